"""Gradient utilities: ``clip_grad_norm_`` and ``clip_grad_value_``, as ``torch.nn.utils``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from tensorgrad._dtypes import get_default_dtype
from tensorgrad.nn._inplace import assign
from tensorgrad.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector"]


def _params(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _vector_norm(v: np.ndarray, norm_type: float) -> float:
    """The ``norm_type``-norm of the flattened float64 ``v``, as ``torch.linalg.vector_norm``:
    max |v| for inf, min |v| for -inf, the count of non-zeros for 0 (an empty ``v`` gives the
    identity: 0, or inf for -inf)."""
    a = np.abs(v.reshape(-1))
    if norm_type == np.inf:
        return float(a.max()) if a.size else 0.0
    if norm_type == -np.inf:
        return float(a.min()) if a.size else np.inf
    if norm_type == 0:
        return float(np.count_nonzero(a))
    with np.errstate(divide="ignore", over="ignore"):  # 0 ** -p is inf, as torch
        return float(np.power(np.sum(a**norm_type), 1.0 / norm_type))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping. As torch: the total is the norm of the
    per-gradient norms (so ``norm_type=0`` counts the gradients with a non-zero entry, ``-inf``
    takes the smallest |entry|), and every gradient is multiplied by
    ``min(max_norm / (norm + 1e-6), 1)``, NaN for a NaN norm. The norm is computed in float64
    and returned as a 0-d Tensor of the gradients' (promoted) dtype, as torch; 0.0 in the
    default dtype when no parameter has a gradient."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0, dtype=get_default_dtype())
    dtype = np.result_type(*(g.dtype for g in grads))
    norm_type = float(norm_type)
    norms = np.array([_vector_norm(g.data.astype(np.float64), norm_type) for g in grads])
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({total}), so it cannot be clipped (pass error_if_nonfinite=False to "
            "scale by it anyway)"
        )
    scale = float(max_norm) / (total + 1e-6)
    if not scale >= 1.0:  # (a NaN scale too: torch multiplies by it)
        for g in grads:
            assign(g, g.data * np.asarray(scale, dtype=g.dtype))
    with np.errstate(over="ignore"):  # a float64 norm beyond float32's range is inf, as torch
        return Tensor._make(np.asarray(total, dtype=dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry to [-clip_value, clip_value] in place."""
    for p in _params(parameters):
        if p.grad is not None:
            assign(p.grad, np.clip(p.grad.data, -clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Any]) -> Tensor:
    """All parameters flattened and joined into one (differentiable) 1-D Tensor."""
    from tensorgrad.ops.shape import concatenate, reshape

    return concatenate([reshape(p, -1) for p in parameters])
