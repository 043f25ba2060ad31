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


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping (as torch: scale = max_norm / (norm + 1e-6),
    applied only when it is below 1). The norm is computed in float64 and returned as a 0-d
    Tensor of the gradients' (promoted) dtype, as torch; 0.0 in the default dtype when no
    parameter has a gradient."""
    grads = [p.grad for p in _params(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0, dtype=get_default_dtype())
    dtype = np.result_type(*(g.dtype for g in grads))
    norm_type = float(norm_type)
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g.data))) if g.size else 0.0 for g in grads)
    else:
        parts = [np.sum(np.abs(g.data.astype(np.float64)) ** norm_type) for g in grads]
        total = float(np.sum(parts)) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}"
        )
    scale = float(max_norm) / (total + 1e-6)
    if scale < 1.0:
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
