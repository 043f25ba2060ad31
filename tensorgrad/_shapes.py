"""Shape helpers shared by every op: one unbroadcast, one axis normaliser."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import add as _np_add
from numpy import ndarray

from tensorgrad._dtypes import half_sum


def unbroadcast(adjoint, shape: tuple[int, ...]):
    """Sum ``adjoint`` back down to ``shape`` after NumPy broadcasting.

    Works on ndarrays and on Tensors alike (through the ``sum``/``reshape`` methods, which are
    tensorgrad ops on Tensors), so the reduction is itself differentiable.
    """
    ashape = adjoint.shape
    if ashape == shape:
        return adjoint
    lead = len(ashape) - len(shape)
    if ashape[lead:] == shape:  # only extra leading axes (a bias): one sum, no reshape
        axes = _LEADING[lead] if lead < len(_LEADING) else tuple(range(lead))
        if type(adjoint) is ndarray:
            if adjoint.dtype.type is _HALF:  # (in float32, as torch)
                return half_sum(adjoint, axes)
            return _np_add.reduce(adjoint, axis=axes)  # (the sum method, minus a Python layer)
        return adjoint.sum(axis=axes)
    inner = tuple(lead + i for i, n in enumerate(shape) if n == 1 and ashape[lead + i] != 1)
    axes = tuple(range(lead)) + inner
    if type(adjoint) is ndarray and adjoint.dtype.type is _HALF:
        return half_sum(adjoint, axes, keepdims=True).reshape(shape)
    return adjoint.sum(axis=axes, keepdims=True).reshape(shape)


_HALF = np.float16


_LEADING = tuple(tuple(range(n)) for n in range(8))


def expand_to(x, shape: tuple[int, ...]):
    """``x`` broadcast to ``shape`` (the adjoint of a sum): a fresh array for ndarrays (much
    cheaper than ``np.broadcast_to`` on small arrays, and writable, so it can be summed into
    in place); a differentiable ``broadcast_to`` for Tensors."""
    if type(x) is not ndarray and not isinstance(x, np.generic):
        return np.broadcast_to(x, shape)  # a Tensor: dispatches to tg.broadcast_to
    out = np.empty(shape, dtype=x.dtype)
    out[...] = x
    return out


def normalize_axis(axis, ndim: int, op: str = "op") -> tuple[int, ...]:
    """Return ``axis`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        axes: Sequence = (axis,)
    elif isinstance(axis, Sequence) and all(
        isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis
    ):
        axes = axis
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            # (NumPy's AxisError, with its axis and ndim: a ValueError and an IndexError, as
            # NumPy's callers catch it)
            raise np.exceptions.AxisError(int(a), ndim, op)
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def normalize_int_axis(axis, ndim: int, op: str = "op") -> int:
    """Return a single int ``axis`` as a non-negative axis (None, tuples and bools refused)."""
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    return normalize_axis(axis, ndim, op)[0]


def broadcasts_to(src: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Whether an array of shape ``src`` broadcasts to ``shape`` (NumPy's rule, one way: it
    neither adds to ``shape`` nor changes it)."""
    return len(src) <= len(shape) and all(a == n or a == 1 for a, n in zip(src[::-1], shape[::-1]))


def broadcast_shapes(*shapes: tuple[int, ...], op: str = "op") -> tuple[int, ...]:
    """NumPy's broadcast of ``shapes``, with an error that names the op and every shape."""
    try:
        return np.broadcast_shapes(*shapes)
    except (ValueError, RuntimeError):  # (RuntimeError: NumPy's limit of 32 dimensions)
        listed = ", ".join(str(tuple(s)) for s in shapes[:-1]) + f" and {tuple(shapes[-1])}"
        raise ValueError(f"{op}: shapes {listed} cannot be broadcast together") from None
