"""Gradient utilities: ``clip_grad_norm_`` and ``clip_grad_value_``, as ``torch.nn.utils``; and
its submodule ``rnn`` (packed and padded sequences)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from tensorgrad._dtypes import get_default_dtype
from tensorgrad.nn._inplace import assign, grad_array
from tensorgrad.nn.utils import rnn  # noqa: F401  (tg.nn.utils.rnn, as torch.nn.utils.rnn)
from tensorgrad.optim.optimizer import _implementation_flags
from tensorgrad.tensor import Tensor, number_arg

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector"]


def _params(parameters: Tensor | Iterable[Tensor], where: str) -> list[Tensor]:
    """``parameters`` (a Tensor or an iterable of them) as a list, anything else refused."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        params = [parameters]
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{where}: parameters must be a Tensor or an iterable of Tensors, got "
                f"{type(p).__name__}"
            )
    return params


def _number(value: Any, name: str, where: str) -> float:
    """``float(value)``, as torch reads it, for a real number (a bool as 0 or 1) or a string
    of one (torch documents ``norm_type='inf'``); else TypeError. A one-element Tensor is read
    by its value even when it requires grad or carries a tangent, as torch's ``float()`` does."""
    if isinstance(value, Tensor):
        value = value.data
        if value.size == 1:
            value = value.reshape(())
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    return number_arg(value, name, where, bools=True)


def _vector_norm(v: np.ndarray, norm_type: float) -> np.ndarray:
    """The ``norm_type``-norm of the flattened ``v`` as a 0-d array of ``v``'s dtype, as
    ``torch.linalg.vector_norm`` on CPU: computed in that dtype (float16 in float32, torch's
    opmath, rounded once at the end), so float32 squares of 1e20 overflow to inf, but a single
    entry's norm is its |v| whatever the order; max |v| for inf, min |v| for -inf, the count
    of non-zeros for 0 (an empty ``v`` gives the identity: 0, or inf for -inf)."""
    dtype = v.dtype
    a = np.abs(v.reshape(-1))
    if a.size == 1 and norm_type != 0:  # torch's shortcut: |v| itself, whatever the order
        return a.reshape(())
    if dtype.itemsize < 4:
        a = a.astype(np.float32)
    with np.errstate(over="ignore", divide="ignore"):  # overflow is inf; 0 ** -p is inf, as torch
        if norm_type == np.inf:
            r = a.max() if a.size else 0.0
        elif norm_type == -np.inf:
            r = a.min() if a.size else np.inf
        elif norm_type == 0:
            r = np.count_nonzero(a)
        elif norm_type == 1:
            r = a.sum()
        elif norm_type == 2:
            r = np.sqrt((a * a).sum())
        else:
            r = np.power((a**norm_type).sum(), 1.0 / norm_type)
        return np.asarray(r, dtype=dtype)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients in place so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping. As torch: the total is the norm of the
    per-gradient norms (so ``norm_type=0`` counts the gradients with a non-zero entry, ``-inf``
    takes the smallest |entry|), and every gradient is multiplied by
    ``min(max_norm / (norm + 1e-6), 1)``, NaN for a NaN norm. Each gradient's norm is computed
    in its own dtype and the total in the gradients' promoted dtype, as torch (so float32
    gradients whose norm exceeds float32's range give an inf norm, which
    ``error_if_nonfinite=True`` refuses, and a zero scale); it is returned as a 0-d Tensor of
    that dtype; 0.0 in the default dtype when no parameter has a gradient. ``foreach`` is
    torch's switch between two kernels of the same result: taken, and checked, only."""
    _implementation_flags("clip_grad_norm_", {"foreach": foreach})
    max_norm = _number(max_norm, "max_norm", "clip_grad_norm_")
    norm_type = _number(norm_type, "norm_type", "clip_grad_norm_")
    params = [p for p in _params(parameters, "clip_grad_norm_") if p.grad is not None]
    grads = [grad_array(p, "clip_grad_norm_") for p in params]
    if not grads:
        return Tensor(0.0, dtype=get_default_dtype())
    dtype = np.result_type(*(g.dtype for g in grads))
    norms = np.array([_vector_norm(g, norm_type) for g in grads], dtype=dtype)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: The total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # torch's ``max_norm / (total + 1e-6)`` in the norm's dtype: reciprocal, then product
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        scale = (1 / (total + 1e-6)) * max_norm
    if not scale >= 1.0:  # (a NaN scale too: torch multiplies by it)

        def times_scale(g: np.ndarray) -> np.ndarray:
            # as torch's ``mul_``: the scale cast to the gradient's dtype, float16 in float32
            op = np.float32 if g.dtype.itemsize < 4 else g.dtype
            with np.errstate(invalid="ignore", over="ignore"):  # inf * a zero scale is NaN
                new = g.astype(op, copy=False) * np.asarray(scale, dtype=op)
            return new.astype(g.dtype, copy=False)

        _rewrite_grads(params, times_scale)
    return Tensor._make(total)


def _rewrite_grads(params: list[Tensor], change: Any) -> None:
    """``.grad = change(.grad)`` for each parameter in order, as torch's in-place loop (a
    parameter listed twice is changed twice), but every new value computed before any is
    written: a failure leaves every gradient as it was. A read-only ``.grad`` (a
    ``from_numpy`` of a read-only array) is replaced, as ``zero_grad`` does."""
    new: dict[int, tuple[Tensor, np.ndarray]] = {}
    for p in params:
        g = p.grad
        current = new.get(id(g), (p, g.data))[1]
        new[id(g)] = (p, change(current))
    for p, value in new.values():
        g = p.grad
        if g.data.flags.writeable:
            assign(g, value)
        else:
            p.grad = Tensor._make(np.array(value, dtype=g.dtype))


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clip every gradient entry to [-clip_value, clip_value] in place (``foreach`` as in
    ``clip_grad_norm_``)."""
    _implementation_flags("clip_grad_value_", {"foreach": foreach})
    # (as torch's float(clip_value): one bound for every entry, a bool taken as 0 or 1)
    bound = _number(clip_value, "clip_value", "clip_grad_value_")
    params = [p for p in _params(parameters, "clip_grad_value_") if p.grad is not None]
    for p in params:  # (all checked before any is clipped)
        grad_array(p, "clip_grad_value_")
    _rewrite_grads(params, lambda g: np.clip(g, -bound, bound))


def parameters_to_vector(parameters: Iterable[Any]) -> Tensor:
    """All parameters flattened and joined into one (differentiable) 1-D Tensor."""
    from tensorgrad.ops.shape import concatenate, reshape

    params = _params(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return concatenate([reshape(p, -1) for p in params])
