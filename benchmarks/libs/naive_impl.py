"""The naive engine (``benchmarks/naive.py``): scalar ``Var`` nodes in NumPy object arrays.

It runs ``linear_noise`` and ``op_overhead``. It has no max, ReLU or higher derivatives, so it
cannot express the MLPs or the Hessian-vector product; ``deep_chain`` is left out because the
issue asks for the two workloads above only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks import naive
from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, Data, Sizes

Task = Callable[[], dict[str, np.ndarray]]

SKIPS = {
    "mlp_small": "the naive engine cannot express the MLPs (no max for a stable softmax)",
    "mlp_large": "the naive engine cannot express the MLPs (no ReLU, no max)",
    "deep_chain": "not run: the naive engine runs linear_noise and op_overhead only",
    "hvp": "the naive engine has no second derivatives",
    "memory": "not run: memory is measured for mlp_large, which naive cannot express",
}


def version() -> str:
    return "benchmarks/naive.py"


def linear_noise(data: Data, sizes: Sizes) -> Task:
    x, y, w0, steps = data["x"], data["y"], data["W"], sizes["steps"]

    def task() -> dict[str, np.ndarray]:
        w = w0
        losses = np.empty(steps)
        for k in range(steps):
            w_vars = naive.variables(w)
            r = np.dot(x, w_vars) - y
            loss = np.mean(r * r)
            losses[k] = loss.value
            w = w - LR_LINEAR * naive.gradients(loss, w_vars)
        return {"losses": losses, "W": w}

    return task


def chain(data: Data, sizes: Sizes) -> Task:
    x, cycles = data["x"], sizes["n_ops"] // 8

    def task() -> dict[str, np.ndarray]:
        x_vars = naive.variables(x)
        v = x_vars
        for _ in range(cycles):
            v = naive.exp(v)
            v = naive.log(v)
            v = -v
            v = naive.inv(v)  # (one Inv node, as the other libraries' reciprocal)
            v = -v
            v = naive.inv(v)
            v = v * 2.0
            v = v * CHAIN_SHRINK
        return {"y": naive.values(v), "dx": naive.gradients(np.sum(v), x_vars)}

    return task


def implementations() -> dict[str, Callable[[Data, Sizes], Task]]:
    return {"linear_noise": linear_noise, "op_overhead": chain}
