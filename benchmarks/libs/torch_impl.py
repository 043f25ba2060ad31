"""PyTorch on the CPU, eager, with the threads the runner sets (one by default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, LR_MLP, Data, Sizes

Task = Callable[[], dict[str, Any]]


def version() -> str:
    threads = torch.get_num_threads()
    return f"{torch.__version__} ({threads} thread{'' if threads == 1 else 's'})"


def _t(a: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(a, requires_grad=requires_grad)


def linear_noise(data: Data, sizes: Sizes) -> Task:
    x, y, w0, steps = _t(data["x"]), _t(data["y"]), data["W"], sizes["steps"]

    def task() -> dict[str, Any]:
        w = _t(w0, requires_grad=True)
        losses = np.empty(steps)
        for k in range(steps):
            r = x @ w - y
            loss = torch.mean(r * r)
            (grad_w,) = torch.autograd.grad(loss, [w])
            losses[k] = loss.item()
            with torch.no_grad():
                w = w - LR_LINEAR * grad_w
            w.requires_grad_()
        return {"losses": losses, "W": w.detach()}

    return task


def _mlp(activation: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[Data, Sizes], Task]:
    def make(data: Data, sizes: Sizes) -> Task:
        names = ("W1", "b1", "W2", "b2", "W3", "b3")
        params = [_t(data[k], requires_grad=True) for k in names]
        x, labels = _t(data["X"]), _t(data["labels"])

        def loss_fn(params: list[torch.Tensor]) -> torch.Tensor:
            w1, b1, w2, b2, w3, b3 = params
            h1 = activation(F.linear(x, w1, b1))
            h2 = activation(F.linear(h1, w2, b2))
            return F.cross_entropy(F.linear(h2, w3, b3), labels)

        def task() -> dict[str, Any]:
            loss = loss_fn(params)
            grads = torch.autograd.grad(loss, params)
            out: dict[str, Any] = {"loss": loss.detach()}
            with torch.no_grad():
                for k, p, g in zip(names, params, grads, strict=True):
                    out[f"grad_{k}"] = g
                    out[k] = p - LR_MLP * g
            return out

        return task

    return make


def chain(data: Data, sizes: Sizes) -> Task:
    x0, cycles = data["x"], sizes["n_ops"] // 8

    def task() -> dict[str, Any]:
        x = _t(x0, requires_grad=True)
        v = x
        for _ in range(cycles):
            v = torch.exp(v)
            v = torch.log(v)
            v = -v
            v = torch.reciprocal(v)
            v = -v
            v = torch.reciprocal(v)
            v = v * 2.0
            v = v * CHAIN_SHRINK
        v.sum().backward()
        return {"y": v.detach(), "dx": x.grad}

    return task


def hvp(data: Data, sizes: Sizes) -> Task:
    a, x, v = _t(data["A"]), _t(data["x"]), _t(data["v"])

    def f(x: torch.Tensor) -> torch.Tensor:
        return torch.sum(torch.tanh(a @ x) ** 2)

    def task() -> dict[str, Any]:
        # reverse over reverse by hand: torch's fastest Hessian-vector product here (its
        # autograd.functional.hvp, a double-backward trick, took 1.6x as long; vhp, the same as
        # hvp for this symmetric Hessian, about as long as this; torch.func's jvp of grad 3.8x)
        xg = x.detach().requires_grad_(True)
        value = f(xg)
        (g,) = torch.autograd.grad(value, xg, create_graph=True)
        (hv,) = torch.autograd.grad(g @ v, xg)
        return {"value": value.detach(), "hvp": hv}

    return task


def implementations() -> dict[str, Callable[[Data, Sizes], Task]]:
    return {
        "linear_noise": linear_noise,
        "mlp_small": _mlp(torch.tanh),
        "mlp_large": _mlp(torch.relu),
        "op_overhead": chain,
        "deep_chain": chain,
        "hvp": hvp,
    }
