"""Differences and the trapezoidal rule, as NumPy's: diff, ediff1d, trapezoid.

Each is made of slices, subtractions, a concatenation for the values put around the
differences, and a sum: linear in every differentiable argument but trapezoid's (a product of
the spacings and the values), and differentiable to any order in all of them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args
from tensorgrad._shapes import normalize_int_axis
from tensorgrad.ops.arithmetic import add, astype, divide, multiply, not_equal, subtract
from tensorgrad.ops.indexing import getitem
from tensorgrad.ops.manipulation import _as_is, _broadcast_shape
from tensorgrad.ops.reductions import sum as _sum
from tensorgrad.ops.shape import _data, broadcast_to, concatenated, reshape
from tensorgrad.tensor import Tensor

__all__ = ["diff", "ediff1d", "trapezoid"]


def _ends(ax: int, ndim: int) -> tuple[tuple, tuple]:
    """The indices of all but the first, and all but the last, entries along ``ax``."""
    lead = (slice(None),) * ax
    return lead + (slice(1, None),), lead + (slice(None, -1),)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The ``n``-th differences along ``axis``, ``out[i] = a[i + 1] - a[i]`` taken ``n``
    times, as NumPy's: ``prepend`` and ``append`` are joined to ``a`` first (a number as one
    entry across the other axes); bools give ``!=`` (no gradient); ``n=0`` returns ``a``.
    Differentiable in ``a``, ``prepend`` and ``append``."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)):
        raise TypeError(f"diff: n must be an int, got {n!r}")
    given = {
        k: v
        for k, v in (("prepend", prepend), ("append", append))
        if v is not None and v is not np._NoValue  # (NumPy's own "not given", by np.diff)
    }
    check_args("diff", a=a, **given)
    if n == 0:
        return _as_is(a)
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    data = _data(a)
    if data.ndim == 0:
        raise ValueError("diff: a must be at least 1-D, got shape ()")
    ax = normalize_int_axis(axis, data.ndim, "diff")
    x: Any = a if isinstance(a, Tensor) else data
    if given:
        row = data.shape[:ax] + (1,) + data.shape[ax + 1 :]
        ends = {k: broadcast_to(v, row) if np.ndim(_data(v)) == 0 else v for k, v in given.items()}
        parts = [ends.get("prepend"), x, ends.get("append")]
        x = concatenated([p for p in parts if p is not None], ax, "diff")
    step = not_equal if _data(x).dtype == np.bool_ else subtract
    hi, lo = _ends(ax, data.ndim)
    for _ in range(n):
        x = step(getitem(x, hi), getitem(x, lo))
    return x


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Tensor:
    """The differences of the flattened ``ary``, ``to_begin`` and ``to_end`` (flattened) put
    before and after them, as NumPy's: the result in ``ary``'s dtype, into which the two must
    cast under the 'same_kind' rule (else TypeError). Differentiable in all three."""
    check_args("ediff1d", ("to_end", "to_begin"), ary=ary, to_end=to_end, to_begin=to_begin)
    dtype = _data(ary).dtype
    if dtype == np.bool_:
        raise TypeError("ediff1d: ary is bool, which has no differences (NumPy's refuses it too)")
    x = reshape(ary, -1)
    hi, lo = _ends(0, 1)
    d = subtract(x[hi], x[lo])
    if to_begin is None and to_end is None:
        return d
    parts = []
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            continue
        have = _data(extra).dtype
        if not np.can_cast(have, dtype, casting="same_kind"):
            raise TypeError(
                f"ediff1d: {name} of dtype {have} cannot be cast to ary's dtype {dtype} under "
                "the 'same_kind' rule"
            )
        flat = reshape(extra, -1)
        parts.append((name, flat if flat.dtype == dtype else astype(flat, dtype)))
    pieces = [p for k, p in parts if k == "to_begin"] + [d] + [p for k, p in parts if k == "to_end"]
    return concatenated(pieces, 0, "ediff1d")


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Tensor:
    """The integral of ``y`` along ``axis`` by the trapezoidal rule, as NumPy's (the name of
    NumPy 2's ``trapz``): samples at ``x`` (1-D, or shaped as ``y``) or spaced by ``dx``,
    ``sum(d * (y[1:] + y[:-1]) / 2)``. Differentiable in ``y``, ``x`` and ``dx``."""
    check_args("trapezoid", ("x",), y=y, x=x, dx=dx)
    ydata = _data(y)
    ax = normalize_int_axis(axis, ydata.ndim, "trapezoid")  # (a 0-d y too: AxisError, as NumPy)
    if x is None:
        d: Any = dx
    else:
        xdata = _data(x)
        if xdata.ndim == 0:
            raise ValueError("trapezoid: x must be at least 1-D, got shape ()")
        if xdata.ndim == 1:
            d = diff(x)
            d = reshape(d, tuple(d.shape[0] if i == ax else 1 for i in range(ydata.ndim)))
        else:
            d = diff(x, axis=normalize_int_axis(axis, xdata.ndim, "trapezoid"))
    hi, lo = _ends(ax, ydata.ndim)
    y = y if isinstance(y, Tensor) else ydata
    pairs = add(getitem(y, hi), getitem(y, lo))
    _broadcast_shape([np.shape(_data(d)), pairs.shape], "trapezoid")  # (past 32 dimensions too)
    return _sum(divide(multiply(d, pairs), 2.0), axis=axis)
