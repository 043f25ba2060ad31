"""A matrix's parts, as NumPy's functions: diagonal, diag, trace, tril, triu.

Each is a composition of recorded ops (a gather of the diagonal, a masked ``where``), so its
derivatives of every order are theirs: a diagonal's gradient lands on the diagonal, a
triangle's on the triangle.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from tensorgrad._dtypes import to_tensor
from tensorgrad._shapes import normalize_int_axis
from tensorgrad.tensor import Tensor

__all__ = ["diagonal", "diag", "trace", "tril", "triu"]


def _int(value: Any, op: str, name: str) -> int:
    """An integer argument (a Python or NumPy int, not a bool), else TypeError naming it."""
    if not isinstance(value, (bool, np.bool_)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise TypeError(f"{op}: {name} must be an int, got {value!r}")


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal of ``a`` over ``axis1`` and ``axis2`` (above the main one for a positive
    ``offset``), as a new last axis, as NumPy's (a copy, not a view)."""
    from tensorgrad.ops.shape import moveaxis

    x = to_tensor(a, "diagonal", "a")
    offset = _int(offset, "diagonal", "offset")
    shape = x.shape
    if len(shape) < 2:
        raise ValueError(f"diagonal: a must be at least 2-D, got shape {shape}")
    rows = normalize_int_axis(axis1, len(shape), "diagonal")
    cols = normalize_int_axis(axis2, len(shape), "diagonal")
    if rows == cols:
        raise ValueError(f"diagonal: axis1 and axis2 are the same axis ({rows}) of shape {shape}")
    first, second = max(-offset, 0), max(offset, 0)
    k = max(0, min(shape[rows] - first, shape[cols] - second))
    moved = moveaxis(x, (rows, cols), (-2, -1))
    return moved[..., np.arange(first, first + k), np.arange(second, second + k)]


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Tensor:
    """The sum of ``diagonal(a, offset, axis1, axis2)`` (in ``dtype`` if given), as NumPy's."""
    from tensorgrad.ops.arithmetic import astype
    from tensorgrad.ops.reductions import sum

    d = diagonal(a, offset, axis1, axis2)
    return sum(d if dtype is None else astype(d, dtype), axis=-1)


def _triangle(m: Any, k: Any, op: str, lower: bool) -> Tensor:
    from tensorgrad.ops.elementwise import where

    x = to_tensor(m, op, "m")
    k = _int(k, op, "k")
    if x.ndim == 0:
        raise ValueError(f"{op}: m must be at least 1-D, got shape ()")
    keep = np.tri(*x.shape[-2:], k=k if lower else k - 1, dtype=bool)
    return where(keep if lower else ~keep, x, np.zeros((), x.dtype))


def tril(m: Any, k: int = 0) -> Tensor:
    """``m`` with the entries above its ``k``-th diagonal zeroed, in the last two axes (a 1-D
    ``m`` is taken as a matrix of equal rows, as NumPy)."""
    return _triangle(m, k, "tril", lower=True)


def triu(m: Any, k: int = 0) -> Tensor:
    """``m`` with the entries below its ``k``-th diagonal zeroed (see ``tril``)."""
    return _triangle(m, k, "triu", lower=False)


def diag(v: Any, k: int = 0) -> Tensor:
    """A 2-D ``v``'s ``k``-th diagonal; a 1-D ``v`` on the ``k``-th diagonal of a square
    matrix of zeros, as NumPy's."""
    from tensorgrad.ops.elementwise import where
    from tensorgrad.ops.shape import pad, reshape

    x = to_tensor(v, "diag", "v")
    k = _int(k, "diag", "k")
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"diag: v must be 1-D or 2-D, got shape {x.shape}")
    n = x.shape[0]
    square = where(np.eye(n, dtype=bool), reshape(x, (n, 1)), np.zeros((), x.dtype))
    before, after = max(-k, 0), max(k, 0)
    return pad(square, ((before, after), (after, before)))
