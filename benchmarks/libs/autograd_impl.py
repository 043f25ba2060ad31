"""HIPS autograd: functional gradients of ``autograd.numpy`` code."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version as _dist_version
from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd import grad_and_aux, make_vjp, value_and_grad

from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, LR_MLP, Data, Sizes

Task = Callable[[], dict[str, Any]]


def version() -> str:
    return _dist_version("autograd")


def linear_noise(data: Data, sizes: Sizes) -> Task:
    x, y, w0, steps = data["x"], data["y"], data["W"], sizes["steps"]

    def loss_fn(w: Any) -> Any:
        r = anp.dot(x, w) - y
        return anp.mean(r * r)

    loss_and_grad = value_and_grad(loss_fn)

    def task() -> dict[str, Any]:
        w = w0
        losses = np.empty(steps)
        for k in range(steps):
            losses[k], grad_w = loss_and_grad(w)
            w = w - LR_LINEAR * grad_w
        return {"losses": losses, "W": w}

    return task


def _mlp(activation: Callable[[Any], Any]) -> Callable[[Data, Sizes], Task]:
    def make(data: Data, sizes: Sizes) -> Task:
        names = ("W1", "b1", "W2", "b2", "W3", "b3")
        params = [data[k] for k in names]
        x, labels = data["X"], data["labels"]
        rows = np.arange(x.shape[0])

        def loss_fn(params: list) -> Any:
            w1, b1, w2, b2, w3, b3 = params
            h1 = activation(anp.dot(x, w1.T) + b1)
            h2 = activation(anp.dot(h1, w2.T) + b2)
            logits = anp.dot(h2, w3.T) + b3
            shifted = logits - anp.max(logits, axis=1, keepdims=True)
            log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
            return -anp.mean(log_probs[rows, labels])

        loss_and_grad = value_and_grad(loss_fn)

        def task() -> dict[str, Any]:
            loss, grads = loss_and_grad(params)
            out: dict[str, Any] = {"loss": loss}
            for k, p, g in zip(names, params, grads, strict=True):
                out[f"grad_{k}"] = g
                out[k] = p - LR_MLP * g
            return out

        return task

    return make


def chain(data: Data, sizes: Sizes) -> Task:
    x0, cycles = data["x"], sizes["n_ops"] // 8

    def f(v: Any) -> Any:
        for _ in range(cycles):
            v = anp.exp(v)
            v = anp.log(v)
            v = -v
            v = anp.reciprocal(v)
            v = -v
            v = anp.reciprocal(v)
            v = v * 2.0
            v = v * CHAIN_SHRINK
        return v

    def task() -> dict[str, Any]:
        vjp, y = make_vjp(f)(x0)
        return {"y": y, "dx": vjp(np.ones_like(y))}

    return task


def hvp(data: Data, sizes: Sizes) -> Task:
    a, x, v = data["A"], data["x"], data["v"]

    def f(x: Any) -> Any:
        return anp.sum(anp.tanh(anp.dot(a, x)) ** 2)

    def grad_dot_v(x: Any) -> tuple[Any, Any]:
        value, g = value_and_grad(f)(x)
        return anp.dot(g, v), value

    hvp_and_value = grad_and_aux(grad_dot_v)

    def task() -> dict[str, Any]:
        hv, value = hvp_and_value(x)
        return {"value": value, "hvp": hv}

    return task


def _relu(z: Any) -> Any:
    return anp.maximum(z, 0.0)


def implementations() -> dict[str, Callable[[Data, Sizes], Task]]:
    return {
        "linear_noise": linear_noise,
        "mlp_small": _mlp(anp.tanh),
        "mlp_large": _mlp(_relu),
        "op_overhead": chain,
        "deep_chain": chain,
        "hvp": hvp,
    }
