"""tensorgrad, through its public API only (``tg.*``, Tensor methods, ``tg.autograd.grad``,
``tg.hvp``), written the way a user would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tensorgrad as tg
from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, LR_MLP, Data, Sizes

Task = Callable[[], dict[str, Any]]


def version() -> str:
    return f"{tg.__version__} (layers: {_SOURCE})"


def _log_softmax_cross_entropy(logits: tg.Tensor, labels: tg.Tensor) -> tg.Tensor:
    """Mean cross-entropy from ``logsumexp`` and integer indexing (when tg.nn is missing)."""
    log_probs = logits - tg.logsumexp(logits, axis=1, keepdims=True)
    return -tg.mean(log_probs[tg.arange(labels.shape[0]), labels])


def _matmul_linear(x: tg.Tensor, w: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    return x @ w.T + b


try:
    from tensorgrad.nn.functional import cross_entropy as _cross_entropy
    from tensorgrad.nn.functional import linear as _linear

    _SOURCE = "tg.nn.functional linear and cross_entropy"
except ImportError:
    _cross_entropy, _linear = _log_softmax_cross_entropy, _matmul_linear
    _SOURCE = "x @ w.T + b, logsumexp + indexing"


def linear_noise(data: Data, sizes: Sizes) -> Task:
    x, y, steps = tg.tensor(data["x"]), tg.tensor(data["y"]), sizes["steps"]
    w0 = data["W"]

    def task() -> dict[str, Any]:
        w = tg.tensor(w0, requires_grad=True)
        losses = np.empty(steps)
        for k in range(steps):
            r = x @ w - y
            loss = tg.mean(r * r)
            (grad_w,) = tg.autograd.grad(loss, [w])
            losses[k] = loss.item()
            with tg.no_grad():
                w = w - LR_LINEAR * grad_w
            w.requires_grad_()
        return {"losses": losses, "W": w.detach()}

    return task


def _mlp(activation: Callable[[tg.Tensor], tg.Tensor]) -> Callable[[Data, Sizes], Task]:
    def make(data: Data, sizes: Sizes) -> Task:
        names = ("W1", "b1", "W2", "b2", "W3", "b3")
        params = [tg.tensor(data[k], requires_grad=True) for k in names]
        x, labels = tg.tensor(data["X"]), tg.tensor(data["labels"])

        def loss_fn(params: list[tg.Tensor]) -> tg.Tensor:
            w1, b1, w2, b2, w3, b3 = params
            h1 = activation(_linear(x, w1, b1))
            h2 = activation(_linear(h1, w2, b2))
            return _cross_entropy(_linear(h2, w3, b3), labels)

        def task() -> dict[str, Any]:
            loss = loss_fn(params)
            grads = tg.autograd.grad(loss, params)
            out: dict[str, Any] = {"loss": loss.detach()}
            with tg.no_grad():
                for k, p, g in zip(names, params, grads, strict=True):
                    out[f"grad_{k}"] = g
                    out[k] = p - LR_MLP * g
            return out

        return task

    return make


def chain(data: Data, sizes: Sizes) -> Task:
    x0, cycles = data["x"], sizes["n_ops"] // 8

    def task() -> dict[str, Any]:
        x = tg.tensor(x0, requires_grad=True)
        v = x
        for _ in range(cycles):
            v = tg.exp(v)
            v = tg.log(v)
            v = -v
            v = tg.reciprocal(v)
            v = -v
            v = tg.reciprocal(v)
            v = v * 2.0
            v = v * CHAIN_SHRINK
        v.sum().backward()
        return {"y": v.detach(), "dx": x.grad}

    return task


def hvp(data: Data, sizes: Sizes) -> Task:
    a, x, v = tg.tensor(data["A"]), tg.tensor(data["x"]), tg.tensor(data["v"])

    def f(x: tg.Tensor) -> tg.Tensor:
        return tg.sum(tg.tanh(a @ x) ** 2)

    def task() -> dict[str, Any]:
        value, (hv,) = tg.hvp(f, (x,), (v,))
        return {"value": value, "hvp": hv}

    return task


def implementations() -> dict[str, Callable[[Data, Sizes], Task]]:
    return {
        "linear_noise": linear_noise,
        "mlp_small": _mlp(tg.tanh),
        "mlp_large": _mlp(tg.relu),
        "op_overhead": chain,
        "deep_chain": chain,
        "hvp": hvp,
    }
