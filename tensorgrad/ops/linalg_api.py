"""The rest of ``np.linalg`` on Tensors, as NumPy 2's functions: the array API's
``vector_norm, matrix_norm, matrix_transpose, vecdot, cross, diagonal, trace, outer`` and
``cond, matrix_rank, tensorinv, tensorsolve``, made of recorded ops (their derivatives of every
order are those of the ops they are made of).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._dtypes import to_tensor
from tensorgrad._shapes import normalize_axis, normalize_int_axis
from tensorgrad.ops.linalg import _swap
from tensorgrad.tensor import Tensor

__all__ = [
    "vector_norm",
    "matrix_norm",
    "matrix_transpose",
    "vecdot",
    "cross",
    "diagonal",
    "trace",
    "outer",
    "cond",
    "matrix_rank",
    "tensorinv",
    "tensorsolve",
]


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Tensor:
    """The vector norm of order ``ord`` over all of ``x`` (``axis=None``, whatever its shape)
    or over the axes in ``axis`` taken as one, as NumPy 2's (``norm``'s vector orders)."""
    from tensorgrad.ops.reductions import _check_keepdims, norm
    from tensorgrad.ops.shape import moveaxis, reshaped

    op = "vector_norm"
    x = to_tensor(x, op, "x")
    _check_keepdims(op, keepdims)
    shape = x.shape
    axes = tuple(range(len(shape))) if axis is None else normalize_axis(axis, len(shape), op)
    if len(axes) == 1:
        return _named(op, norm, x, axis=axes[0], keepdims=bool(keepdims), ord=ord)
    if axes:  # (the axes moved to the end and merged into one)
        rest = tuple(n for i, n in enumerate(shape) if i not in axes)
        ends = tuple(range(len(shape) - len(axes), len(shape)))
        merged = reshaped(moveaxis(x, axes, ends), rest + (-1,))
    else:  # (a norm over no axes: each entry's own)
        merged = reshaped(x, shape + (1,))
    out = _named(op, norm, merged, axis=-1, ord=ord)
    if keepdims:
        return reshaped(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return out


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Tensor:
    """The matrix norm of order ``ord`` of each matrix in the last two axes, as NumPy 2's
    (``norm``'s matrix orders)."""
    from tensorgrad.ops.reductions import norm

    x = to_tensor(x, "matrix_norm", "x")
    _at_least_2d(x, "matrix_norm")
    return _named("matrix_norm", norm, x, axis=(-2, -1), keepdims=keepdims, ord=ord)


def _named(op: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(...)``, its argument errors (a bad ord, keepdims) named as ``op``'s."""
    try:
        return fn(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        if not msg.startswith("norm:"):
            raise
        raise type(exc)(f"{op}:{msg[len('norm:') :]}") from None


def _at_least_2d(x: Tensor, op: str) -> None:
    if x.ndim < 2:
        raise ValueError(f"{op}: x must be at least 2-D, got shape {x.shape}")


def matrix_transpose(x: Any, /) -> Tensor:
    """Each matrix in the last two axes transposed."""
    x = to_tensor(x, "matrix_transpose", "x")
    _at_least_2d(x, "matrix_transpose")
    return _swap(x)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Tensor:
    """The dot products of vectors along ``axis`` (of equal length), the other axes broadcast,
    as NumPy 2's."""
    from tensorgrad.ops.arithmetic import multiply
    from tensorgrad.ops.reductions import sum

    a, b = to_tensor(x1, "vecdot", "x1"), to_tensor(x2, "vecdot", "x2")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"vecdot: x1 and x2 must be at least 1-D, got {a.shape} and {b.shape}")
    ia = normalize_int_axis(axis, a.ndim, "vecdot")
    ib = normalize_int_axis(axis, b.ndim, "vecdot")
    if a.shape[ia] != b.shape[ib]:
        raise ValueError(
            f"vecdot: x1 of shape {a.shape} and x2 of shape {b.shape} differ in length along "
            f"axis {axis} ({a.shape[ia]} and {b.shape[ib]})"
        )
    out = sum(multiply(a, b), axis=axis)
    kind = np.result_type(a.dtype, b.dtype)
    if kind.kind in "biu" and out.dtype != kind:  # (NumPy keeps int8, uint8, bool: its sum widens)
        from tensorgrad.ops.arithmetic import astype

        return astype(out != 0 if kind.kind == "b" else out, kind)
    return out


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Tensor:
    """The cross products of 3-vectors along ``axis``, the other axes broadcast, as NumPy 2's
    ``np.linalg.cross`` (torch's ``linalg.cross``)."""
    from tensorgrad.ops.shape import moveaxis

    a, b = to_tensor(x1, "cross", "x1"), to_tensor(x2, "cross", "x2")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cross: x1 and x2 must be at least 1-D, got {a.shape} and {b.shape}")
    ia = normalize_int_axis(axis, a.ndim, "cross")
    ib = normalize_int_axis(axis, b.ndim, "cross")
    if a.shape[ia] != 3 or b.shape[ib] != 3:
        raise ValueError(
            f"cross: x1 of shape {a.shape} and x2 of shape {b.shape} must both have length 3 "
            f"along axis {axis}"
        )
    a, b = moveaxis(a, ia, -1), moveaxis(b, ib, -1)
    ahead, behind = [1, 2, 0], [2, 0, 1]
    out = a[..., ahead] * b[..., behind] - a[..., behind] * b[..., ahead]
    return moveaxis(out, -1, axis)


def diagonal(x: Any, /, *, offset: int = 0) -> Tensor:
    """The diagonals of the matrices in the last two axes, as NumPy 2's ``np.linalg.diagonal``
    (``tg.diagonal`` is NumPy's ``np.diagonal``, over the first two axes)."""
    from tensorgrad.ops.matrices import _diagonal

    return _diagonal(x, offset, -2, -1, "linalg.diagonal")


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Tensor:
    """The traces of the matrices in the last two axes, as NumPy 2's ``np.linalg.trace``."""
    from tensorgrad.ops.matrices import _diagonal
    from tensorgrad.ops.reductions import in_dtype, sum

    return in_dtype(sum, _diagonal(x, offset, -2, -1, "linalg.trace"), dtype, axis=-1)


def outer(x1: Any, x2: Any, /) -> Tensor:
    """The outer product of two vectors, as NumPy 2's ``np.linalg.outer`` (which, unlike
    ``np.outer``, refuses other shapes)."""
    from tensorgrad.ops.linalg import outer as flat_outer

    a, b = to_tensor(x1, "outer", "x1"), to_tensor(x2, "outer", "x2")
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: x1 and x2 must be 1-D, got shapes {a.shape} and {b.shape}")
    return flat_outer(a, b)


def cond(x: Any, p: Any = None) -> Tensor:
    """The condition number of a matrix, or of each in a stack, in the norm ``p`` (None or 2:
    the ratio of the largest singular value to the smallest; -2 its inverse; 'fro', 'nuc', 1,
    -1, inf, -inf: norm(x) norm(x^-1) of square matrices), as NumPy's."""
    from tensorgrad.ops.decompositions import _matrices, svdvals
    from tensorgrad.ops.elementwise import where
    from tensorgrad.ops.lapack import _each_or_nan, _square, inv
    from tensorgrad.ops.reductions import norm

    op = "cond"
    by_svd = p is None or (not isinstance(p, str) and p in (2, -2))
    if not by_svd and p not in ("fro", "nuc", 1, -1, np.inf, -np.inf):
        raise ValueError(f"cond: invalid p={p!r}")
    a = _matrices(x, op) if by_svd else _square(x, op)
    if 0 in a.shape[-2:]:
        raise np.linalg.LinAlgError("cond: cond is not defined on empty arrays")
    holds_nan = np.isnan(a.data).any(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        if by_svd:
            # (a matrix holding a NaN: NaN, as NumPy 2.5's; the identity in its place for the
            # SVD, which refuses a NaN)
            eye = np.eye(*a.shape[-2:], dtype=a.dtype)
            s = svdvals(where(holds_nan[..., None, None], eye, a) if holds_nan.any() else a)
            out = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
            if holds_nan.any():
                out = where(holds_nan, np.array(np.nan, out.dtype), out)
            dead = np.isnan(out.data) & ~holds_nan  # (0 / 0: inf, as NumPy's)
        else:
            # (a singular matrix, one whose inverse LAPACK refuses: inf, as NumPy's; the
            # identity in its place, so that the stack's others keep their derivatives)
            bad = np.isnan(_each_or_nan(np.linalg.inv, a.data)).any(axis=(-2, -1))
            if bad.any():
                a = where(bad[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a)
            out = norm(a, axis=(-2, -1), ord=p) * norm(inv(a), axis=(-2, -1), ord=p)
            if (bad & holds_nan).any():  # (NaN for a matrix holding one, as NumPy's)
                out = where(bad & holds_nan, np.array(np.nan, out.dtype), out)
            dead = bad & ~holds_nan
    return where(dead, np.array(np.inf, out.dtype), out) if dead.any() else out


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Tensor:
    """The number of singular values above the cutoff, as NumPy's (integers, no gradient)."""
    data = A.data if isinstance(A, Tensor) else A
    return Tensor(np.asarray(np.linalg.matrix_rank(data, tol, hermitian, rtol=rtol)))


def tensorinv(a: Any, ind: int = 2) -> Tensor:
    """The inverse of ``a`` for ``tensordot(., ., ind)``, as NumPy's: ``a`` reshaped to a
    square matrix of its first ``ind`` axes by the rest, inverted, reshaped back."""
    from tensorgrad.ops.lapack import inv
    from tensorgrad.ops.matrices import _int
    from tensorgrad.ops.shape import reshaped

    x = to_tensor(a, "tensorinv", "a")
    ind = _int(ind, "tensorinv", "ind")
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    rows, cols = x.shape[:ind], x.shape[ind:]
    n = int(np.prod(rows))
    if n != int(np.prod(cols)):
        raise ValueError(
            f"tensorinv: a of shape {x.shape} is not square over its first {ind} axes and "
            f"the rest ({rows} against {cols})"
        )
    return reshaped(inv(reshaped(x, (n, n))), cols + rows)


def tensorsolve(a: Any, b: Any, axes: Any = None) -> Tensor:
    """x with ``tensordot(a, x, x.ndim) == b``, as NumPy's (``axes``: a's axes moved to the
    end first)."""
    from tensorgrad.ops.lapack import solve
    from tensorgrad.ops.shape import moveaxis, reshaped

    x = to_tensor(a, "tensorsolve", "a")
    y = to_tensor(b, "tensorsolve", "b")
    if axes is not None:
        normalize_axis(axes, x.ndim, "tensorsolve")  # (types, bounds, repeats: it sorts them)
        given = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
        moved = tuple(int(k) % x.ndim for k in given)  # (NumPy's: moved in the order given)
        x = moveaxis(x, moved, tuple(range(x.ndim - len(moved), x.ndim)))
    rest = x.shape[y.ndim :]
    n, m = int(np.prod(rest)), int(np.prod(y.shape))
    if int(np.prod(x.shape[: y.ndim])) != m or n != m:  # (NumPy's check: sizes only)
        raise ValueError(
            f"tensorsolve: a of shape {x.shape} does not match b of shape {y.shape} (a's "
            "leading axes must hold b's number of entries, its others as many)"
        )
    return reshaped(solve(reshaped(x, (m, n)), reshaped(y, (m,))), rest)
