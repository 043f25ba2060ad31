"""Hand-written NumPy: forward and backward written out by hand, the limit to compare with.

Plain allocating NumPy, the way a user writes backprop by hand: no ``out=``, no preallocated
buffers, no fusing of consecutive rules (the one in-place habit kept: the softmax gradient's
``-= 1`` at the labels and ``/= n`` on the array it just made). Each backward line is the
adjoint of one forward line.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, LR_MLP, Data, Sizes

Task = Callable[[], dict[str, np.ndarray]]


def version() -> str:
    return np.__version__


def linear_noise(data: Data, sizes: Sizes) -> Task:
    """``steps`` of gradient descent on ``mean((x @ W - y) ** 2)``."""
    x, y, w0, steps = data["x"], data["y"], data["W"], sizes["steps"]

    def task() -> dict[str, np.ndarray]:
        w = w0
        losses = np.empty(steps)
        for k in range(steps):
            r = x @ w - y
            losses[k] = np.mean(r * r)
            grad_w = np.outer(x, r * (2.0 / r.size))
            w = w - LR_LINEAR * grad_w
        return {"losses": losses, "W": w}

    return task


def _mlp(activation: str) -> Callable[[Data, Sizes], Task]:
    def make(data: Data, sizes: Sizes) -> Task:
        x, labels = data["X"], data["labels"]
        names = ("W1", "b1", "W2", "b2", "W3", "b3")
        w1, b1, w2, b2, w3, b3 = (data[k] for k in names)
        n = x.shape[0]
        rows = np.arange(n)

        def act(z: np.ndarray) -> np.ndarray:
            return np.tanh(z) if activation == "tanh" else np.maximum(z, 0)

        def act_adjoint(delta: np.ndarray, z: np.ndarray, h: np.ndarray) -> np.ndarray:
            return delta * (1 - h * h) if activation == "tanh" else delta * (z > 0)

        def task() -> dict[str, np.ndarray]:
            z1 = x @ w1.T + b1
            h1 = act(z1)
            z2 = h1 @ w2.T + b2
            h2 = act(z2)
            logits = h2 @ w3.T + b3
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_probs[rows, labels].mean()

            d_logits = np.exp(log_probs)
            d_logits[rows, labels] -= 1
            d_logits /= n
            grads = {"W3": d_logits.T @ h2, "b3": d_logits.sum(axis=0)}
            d_z2 = act_adjoint(d_logits @ w3, z2, h2)
            grads["W2"], grads["b2"] = d_z2.T @ h1, d_z2.sum(axis=0)
            d_z1 = act_adjoint(d_z2 @ w2, z1, h1)
            grads["W1"], grads["b1"] = d_z1.T @ x, d_z1.sum(axis=0)

            out = {"loss": loss}
            for k, p in zip(names, (w1, b1, w2, b2, w3, b3), strict=True):
                out[f"grad_{k}"] = grads[k]
                out[k] = p - LR_MLP * grads[k]
            return out

        return task

    return make


def chain(data: Data, sizes: Sizes) -> Task:
    """The ``CHAIN_CYCLE`` ops, forward keeping what each adjoint needs, then backward."""
    x, cycles = data["x"], sizes["n_ops"] // 8

    def task() -> dict[str, np.ndarray]:
        saved = []
        v = x
        for _ in range(cycles):
            e = np.exp(v)
            v = np.log(e)
            v = -v
            r1 = np.reciprocal(v)
            v = -r1
            r2 = np.reciprocal(v)
            v = r2 * 2.0
            v = v * CHAIN_SHRINK
            saved.append((e, r1, r2))
        y = v
        delta = np.ones_like(y)  # the adjoint of sum(y)
        for e, r1, r2 in reversed(saved):
            delta = delta * CHAIN_SHRINK
            delta = delta * 2.0
            delta = -delta * r2 * r2
            delta = -delta
            delta = -delta * r1 * r1
            delta = -delta
            delta = delta / e
            delta = delta * e
        return {"y": y, "dx": delta}

    return task


def hvp(data: Data, sizes: Sizes) -> Task:
    """f(x) = sum(tanh(A x) ** 2) and H v = A.T ((2 - 6 t^2)(1 - t^2) * (A v)), t = tanh(A x)."""
    a, x, v = data["A"], data["x"], data["v"]

    def task() -> dict[str, np.ndarray]:
        t = np.tanh(a @ x)
        value = np.sum(t * t)
        t2 = t * t
        curvature = (2 - 6 * t2) * (1 - t2)
        return {"value": value, "hvp": a.T @ (curvature * (a @ v))}

    return task


def implementations() -> dict[str, Callable[[Data, Sizes], Task]]:
    return {
        "linear_noise": linear_noise,
        "mlp_small": _mlp("tanh"),
        "mlp_large": _mlp("relu"),
        "op_overhead": chain,
        "deep_chain": chain,
        "hvp": hvp,
    }
