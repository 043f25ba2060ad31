"""A matrix's parts, as NumPy's functions: diagonal, diag, trace, tril, triu; and torch's
diag_embed; and NumPy's index helpers for them (tril_indices, triu_indices and their _from
forms, diag_indices, diag_indices_from).

Each is made of recorded ops (a gather of the diagonal, a masked ``where``, a scatter into a
square), so its derivatives of every order are theirs: a diagonal's gradient lands on the
diagonal, a triangle's on the triangle. The index helpers return plain integer arrays, as
NumPy's: indices, with no gradient to carry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._dtypes import check_operands, to_tensor
from tensorgrad._shapes import normalize_int_axis
from tensorgrad.ops._base import call
from tensorgrad.tensor import Tensor, is_int

__all__ = [
    "diagonal",
    "diag",
    "trace",
    "tril",
    "triu",
    "diag_embed",
    "block_diag",
    "tril_indices",
    "triu_indices",
    "tril_indices_from",
    "triu_indices_from",
    "diag_indices",
    "diag_indices_from",
]


def _int(value: Any, op: str, name: str) -> int:
    """An integer argument (a Python or NumPy int, not a bool: NumPy's 1.0 and True are
    refused, as ``eye``'s k), else TypeError naming it."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def _diagonal(a: Any, offset: Any, axis1: Any, axis2: Any, op: str) -> Tensor:
    """``diagonal``, its errors naming ``op`` (``trace`` is made of it)."""
    from tensorgrad.ops.shape import moveaxis

    x = to_tensor(a, op, "a")
    offset = _int(offset, op, "offset")
    shape = x.shape
    if len(shape) < 2:
        raise ValueError(f"{op}: a must be at least 2-D, got shape {shape}")
    rows = normalize_int_axis(axis1, len(shape), f"{op} (axis1)")
    cols = normalize_int_axis(axis2, len(shape), f"{op} (axis2)")
    if rows == cols:
        raise ValueError(f"{op}: axis1 and axis2 are the same axis ({rows}) of shape {shape}")
    first, second = max(-offset, 0), max(offset, 0)
    k = max(0, min(shape[rows] - first, shape[cols] - second))
    if (rows, cols) != (len(shape) - 2, len(shape) - 1):
        # (only when it moves something: a transposed view in front of a leaf makes its
        # gradient a strided copy, 20x as long at 512 x 512)
        x = moveaxis(x, (rows, cols), (-2, -1))
    return x[..., np.arange(first, first + k), np.arange(second, second + k)]


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal of ``a`` over ``axis1`` and ``axis2`` (above the main one for a positive
    ``offset``), as a new last axis, as NumPy's (a copy, not a view)."""
    return _diagonal(a, offset, axis1, axis2, "diagonal")


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Tensor:
    """The sum of ``diagonal(a, offset, axis1, axis2)``, in ``dtype`` if given, as NumPy's."""
    from tensorgrad.ops.reductions import in_dtype, sum

    return in_dtype(sum, _diagonal(a, offset, axis1, axis2, "trace"), dtype, axis=-1)


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
    matrix of zeros (a scatter, whose adjoint is the gather back), as NumPy's."""
    x = to_tensor(v, "diag", "v")
    k = _int(k, "diag", "k")
    if x.ndim == 2:
        return _diagonal(x, k, 0, 1, "diag")
    if x.ndim != 1:
        raise ValueError(f"diag: v must be 1-D or 2-D, got shape {x.shape}")
    return _embed(x, k)


def _embed(x: Tensor, k: int) -> Tensor:
    """The last axis of ``x`` on the ``k``-th diagonal of square matrices of zeros, in two new
    last axes: a scatter, whose adjoint is the gather back (so, linear, of every order)."""
    from tensorgrad.ops.indexing import ScatterAdd

    n, before, after = x.shape[-1], max(-k, 0), max(k, 0)
    size = n + before + after
    lead = x.shape[:-1]
    diagonal = (np.arange(before, before + n), np.arange(after, after + n))
    index = (slice(None),) * len(lead) + diagonal
    return call(ScatterAdd, x, shape=lead + (size, size), index=index, basic=False)


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """torch's diag_embed: the last axis of ``input`` on the ``offset``-th diagonal (above the
    main one for a positive offset) of new square matrices of zeros, over the output's axes
    ``dim1`` (rows) and ``dim2`` (columns), the other axes in their order: the inverse of
    ``diagonal(out, offset, dim1, dim2)``."""
    from tensorgrad.ops.shape import moveaxis

    x = to_tensor(input, "diag_embed", "input")
    offset = _int(offset, "diag_embed", "offset")
    if x.ndim == 0:
        raise ValueError("diag_embed: input must be at least 1-D, got shape ()")
    ndim = x.ndim + 1
    rows = normalize_int_axis(dim1, ndim, "diag_embed (dim1)")
    cols = normalize_int_axis(dim2, ndim, "diag_embed (dim2)")
    if rows == cols:
        raise ValueError(f"diag_embed: dim1 and dim2 are the same axis ({rows}) of the output")
    out = _embed(x, offset)
    if (rows, cols) == (ndim - 2, ndim - 1):
        return out
    return moveaxis(out, (-2, -1), (rows, cols))


def block_diag(*tensors: Any) -> Tensor:
    """The matrices ``tensors`` (a 0-d one as 1 x 1, a 1-D one as a row) on the diagonal of a
    matrix of zeros, as torch's (and SciPy's): their dtypes promoted; padding and
    concatenation, so each gradient is its block."""
    from tensorgrad.ops.arithmetic import astype
    from tensorgrad.ops.shape import concatenate, pad, reshaped

    blocks = []
    for i, t in enumerate(tensors):
        x = to_tensor(t, "block_diag", f"tensors[{i}]")
        if x.ndim > 2:
            raise ValueError(
                f"block_diag: tensors[{i}] must have at most 2 dimensions, got shape {x.shape}"
            )
        blocks.append(reshaped(x, (1,) * (2 - x.ndim) + x.shape))
    if not blocks:
        return Tensor(np.zeros((1, 0)))
    dtype = np.result_type(*(b.dtype for b in blocks))
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        right = width - left - b.shape[1]
        b = b if b.dtype == dtype else astype(b, dtype)
        rows.append(pad(b, ((0, 0), (left, right))))
        left += b.shape[1]
    return concatenate(rows, axis=0)


# ----------------------------------------------------------------------------- index helpers


def _triangle_indices(n: Any, k: Any, m: Any, op: str, lower: bool) -> tuple[np.ndarray, ...]:
    n, k = _int(n, op, "n"), _int(k, op, "k")
    m = n if m is None else _int(m, op, "m")
    if n < 0 or m < 0:
        raise ValueError(f"{op}: n and m must be non-negative, got n={n}, m={m}")
    return (np.tril_indices if lower else np.triu_indices)(n, k, m)


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The row and column indices of the entries on and below the ``k``-th diagonal of an
    ``n`` x ``m`` matrix (``m`` defaults to ``n``), row by row, as NumPy's: integer arrays."""
    return _triangle_indices(n, k, m, "tril_indices", lower=True)


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The row and column indices of the entries on and above the ``k``-th diagonal of an
    ``n`` x ``m`` matrix, row by row, as NumPy's: integer arrays."""
    return _triangle_indices(n, k, m, "triu_indices", lower=False)


def _matrix_shape(arr: Any, op: str) -> tuple[int, ...]:
    """The shape of ``arr`` (a Tensor, whatever it requires, or array data), which only the
    index helpers read."""
    if isinstance(arr, Tensor):
        return arr.shape
    check_operands(op, (arr,), ("arr",))
    return np.shape(arr)


def tril_indices_from(arr: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``tril_indices`` of the 2-D ``arr``'s shape, as NumPy's."""
    shape = _matrix_shape(arr, "tril_indices_from")
    if len(shape) != 2:
        raise ValueError(f"tril_indices_from: arr must be 2-D, got shape {shape}")
    return _triangle_indices(shape[0], k, shape[1], "tril_indices_from", lower=True)


def triu_indices_from(arr: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``triu_indices`` of the 2-D ``arr``'s shape, as NumPy's."""
    shape = _matrix_shape(arr, "triu_indices_from")
    if len(shape) != 2:
        raise ValueError(f"triu_indices_from: arr must be 2-D, got shape {shape}")
    return _triangle_indices(shape[0], k, shape[1], "triu_indices_from", lower=False)


def diag_indices(n: int, ndim: int = 2) -> tuple[np.ndarray, ...]:
    """The indices of the main diagonal of an ``n`` x ... x ``n`` array of ``ndim`` axes:
    ``ndim`` times ``arange(n)``, as NumPy's."""
    n, ndim = _int(n, "diag_indices", "n"), _int(ndim, "diag_indices", "ndim")
    return np.diag_indices(n, ndim)


def diag_indices_from(arr: Any) -> tuple[np.ndarray, ...]:
    """``diag_indices`` of ``arr``, which must have two axes or more, all of one length (as
    NumPy's)."""
    shape = _matrix_shape(arr, "diag_indices_from")
    if len(shape) < 2:
        raise ValueError(f"diag_indices_from: arr must be at least 2-D, got shape {shape}")
    if len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: arr's axes must all have one length, got {shape}")
    return np.diag_indices(shape[0], len(shape))
