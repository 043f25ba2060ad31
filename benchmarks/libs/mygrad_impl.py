"""MyGrad: NumPy-backed tensors with ``backward()`` (first order only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mygrad as mg
import numpy as np
from mygrad.nnet.activations import relu
from mygrad.nnet.losses import softmax_crossentropy

from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, LR_MLP, Data, Sizes

Task = Callable[[], dict[str, Any]]

SKIPS = {"hvp": "MyGrad has no higher-order derivatives"}


def version() -> str:
    return mg.__version__


def linear_noise(data: Data, sizes: Sizes) -> Task:
    x, y, w0, steps = data["x"], data["y"], data["W"], sizes["steps"]

    def task() -> dict[str, Any]:
        w = mg.tensor(w0)
        losses = np.empty(steps)
        for k in range(steps):
            r = mg.matmul(x, w) - y
            loss = mg.mean(r * r)
            loss.backward()
            losses[k] = loss.item()
            w = mg.tensor(w.data - LR_LINEAR * w.grad, copy=False)  # (a fresh array)
        return {"losses": losses, "W": w.data}

    return task


def _mlp(activation: Callable[[Any], Any]) -> Callable[[Data, Sizes], Task]:
    def make(data: Data, sizes: Sizes) -> Task:
        names = ("W1", "b1", "W2", "b2", "W3", "b3")
        params = [mg.tensor(data[k]) for k in names]
        x, labels = data["X"], data["labels"]

        def loss_fn(params: list) -> Any:
            w1, b1, w2, b2, w3, b3 = params
            h1 = activation(mg.matmul(x, w1.T) + b1)
            h2 = activation(mg.matmul(h1, w2.T) + b2)
            return softmax_crossentropy(mg.matmul(h2, w3.T) + b3, labels)

        def task() -> dict[str, Any]:
            loss = loss_fn(params)
            loss.backward()
            out: dict[str, Any] = {"loss": loss.data}
            for k, p in zip(names, params, strict=True):
                out[f"grad_{k}"] = p.grad
                out[k] = p.data - LR_MLP * p.grad
            return out

        return task

    return make


def chain(data: Data, sizes: Sizes) -> Task:
    x0, cycles = data["x"], sizes["n_ops"] // 8

    def task() -> dict[str, Any]:
        x = mg.tensor(x0)
        v = x
        for _ in range(cycles):
            v = mg.exp(v)
            v = mg.log(v)
            v = -v
            v = mg.reciprocal(v)
            v = -v
            v = mg.reciprocal(v)
            v = v * 2.0
            v = v * CHAIN_SHRINK
        mg.sum(v).backward()
        return {"y": v.data, "dx": x.grad}

    return task


def implementations() -> dict[str, Callable[[Data, Sizes], Task]]:
    return {
        "linear_noise": linear_noise,
        "mlp_small": _mlp(mg.tanh),
        "mlp_large": _mlp(relu),
        "op_overhead": chain,
        "deep_chain": chain,
    }
