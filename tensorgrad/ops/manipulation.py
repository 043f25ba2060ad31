"""NumPy's array-manipulation functions: roll, rot90, hstack, vstack, dstack, column_stack,
atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, meshgrid, array_split, hsplit, vsplit,
dsplit, append, insert and delete.

Each is made of the shape and indexing ops, so its derivatives of every order and its tangents
are theirs; its results are views where NumPy's are (rot90, atleast_*, broadcast_arrays, the
splits, meshgrid without copy). roll is an op of its own: its adjoint is the roll back, where
slices joined by a concatenation would scatter each piece into zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, check_operands, to_tensor
from tensorgrad._shapes import broadcasts_to, normalize_int_axis
from tensorgrad.ops._base import Op, call
from tensorgrad.ops.indexing import index_array, take
from tensorgrad.ops.shape import (
    _axes_arg,
    _data,
    _joined,
    broadcast_to,
    cast_joined,
    clone,
    concatenated,
    flip,
    moveaxis,
    reshape,
    split_along,
    transpose,
)
from tensorgrad.tensor import Tensor, is_int

__all__ = [
    "roll",
    "rot90",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_arrays",
    "meshgrid",
    "array_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "append",
    "insert",
    "delete",
]


def _int(value: Any, op: str, name: str) -> int:
    """An integer argument (not a bool, nor a float NumPy would truncate), else TypeError."""
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def _as_is(x: Any) -> Tensor:
    """``x`` unchanged as a Tensor: itself, or a view of an ndarray (NumPy returns the array)."""
    return x if isinstance(x, Tensor) else reshape(x, _data(x).shape)


# ----------------------------------------------------------------------------- roll, rot90


class Roll(Op):
    """x shifted cyclically by ``shift`` along ``axis`` (a tuple each; None: x flattened)"""

    __slots__ = ("shift", "axis")
    linear = True

    def __init__(self, shift, axis):
        self.shift = shift
        self.axis = axis

    def forward(self, x):
        return np.roll(x, self.shift, self.axis)

    def generate_adjoints(self, adjoints, delta):
        back = -self.shift if self.axis is None else tuple(-s for s in self.shift)
        adjoints[0] = Roll.apply(delta, shift=back, axis=self.axis)


def _shifts(shift: Any) -> np.ndarray:
    """``roll``'s shift as a 0-d or 1-D integer array, else TypeError or ValueError."""
    given = np.asarray(shift.data if isinstance(shift, Tensor) else shift)
    if given.size == 0 and isinstance(shift, (list, tuple)):
        given = given.astype(np.intp)  # (an empty list: no shifts, as NumPy's)
    # (ints only: NumPy truncates 1.5 to 1 and reads True as 1, torch refuses both)
    if given.dtype.kind not in "iu":
        raise TypeError(f"roll: shift must be an int or a sequence of ints, got {shift!r}")
    if given.ndim > 1:
        raise ValueError(f"roll: shift must be an int or a 1-D sequence, got shape {given.shape}")
    return given


def roll(a: Any, shift: Any, axis: Any = None) -> Tensor:
    """``a`` with its entries shifted cyclically by ``shift`` along ``axis``, as NumPy's:
    ints or sequences of them, broadcast against each other, shifts along a repeated axis
    adding up; ``axis=None`` rolls the flattened ``a`` (by the sum of the shifts) and keeps its
    shape. The gradient is rolled back."""
    data = _data(a, "roll")
    shifts = _shifts(shift)
    if axis is None:
        total = sum(int(s) for s in shifts.reshape(-1))
        return call(Roll, a, shift=total % (data.size or 1), axis=None)
    axes = [normalize_int_axis(ax, data.ndim, "roll") for ax in _axes_arg(axis, "roll", "axis")]
    try:  # (one shift for every axis, shifts along one axis, or a shift per axis)
        pairs = np.broadcast_arrays(shifts, np.array(axes, dtype=np.intp))
    except ValueError:
        raise ValueError(
            f"roll: {shifts.size} shifts do not match {len(axes)} axes (shift={shift!r}, "
            f"axis={axis!r})"
        ) from None
    total_by_axis = [0] * data.ndim
    for s, ax in zip(*(p.reshape(-1).tolist() for p in pairs)):
        total_by_axis[ax] += s
    moved = tuple(ax for ax, s in enumerate(total_by_axis) if s % (data.shape[ax] or 1))
    by = tuple(total_by_axis[ax] % data.shape[ax] for ax in moved)
    return call(Roll, a, shift=by, axis=moved)


def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Tensor:
    """``m`` rotated by 90 degrees ``k`` times in the plane of ``axes``, from the first axis
    towards the second, as NumPy's: a view of ``m`` (flips and a transpose)."""
    data = _data(m, "rot90")
    k = _int(k, "rot90", "k")
    try:
        pair = tuple(axes)
    except TypeError:
        raise TypeError(f"rot90: axes must be a pair of ints, got {axes!r}") from None
    if len(pair) != 2:
        raise ValueError(f"rot90: axes must be two axes, got {axes!r}")
    first, second = (_int(a, "rot90", "axes") for a in pair)
    ndim = data.ndim
    if not (-ndim <= first < ndim and -ndim <= second < ndim):
        raise ValueError(f"rot90: axes {axes!r} are out of range for shape {data.shape}")
    first, second = first % ndim, second % ndim
    if first == second:
        raise ValueError(f"rot90: the two axes must be different, got {axes!r}")
    x = m if isinstance(m, Tensor) else data
    k %= 4
    if k == 0:
        return reshape(x, data.shape)  # (a view, as NumPy's m[:])
    if k == 2:
        return flip(x, (first, second))
    order = list(range(ndim))
    order[first], order[second] = second, first
    if k == 1:
        return transpose(flip(x, second), order)
    return flip(transpose(x, order), second)


# ----------------------------------------------------------------------------- at least n-d


def _at_least(x: Any, n: int, op: str) -> Tensor:
    """``x`` with at least ``n`` dimensions, the new ones placed as NumPy's ``atleast_nd``
    places them: a view (``x`` itself when it has as many already)."""
    if not isinstance(x, Tensor):
        check_args(op, arys=x)
    shape = _data(x).shape
    if len(shape) >= n:
        return _as_is(x)
    if n < 3 or not shape:
        return reshape(x, (1,) * (n - len(shape)) + shape)
    # atleast_3d: a vector (N,) becomes (1, N, 1), a matrix (M, N) becomes (M, N, 1)
    return reshape(x, ((1,) if len(shape) == 1 else ()) + shape + (1,))


def _each(arys: tuple, n: int, op: str) -> Any:
    out = tuple(_at_least(x, n, op) for x in arys)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys: Any) -> Any:
    """Each argument with at least one dimension (a 0-d one as shape (1,)): one Tensor for one
    argument, else a tuple, as NumPy's; views."""
    return _each(arys, 1, "atleast_1d")


def atleast_2d(*arys: Any) -> Any:
    """Each argument with at least two dimensions (new axes in front), as NumPy's; views."""
    return _each(arys, 2, "atleast_2d")


def atleast_3d(*arys: Any) -> Any:
    """Each argument with at least three dimensions, as NumPy's: shape () becomes (1, 1, 1),
    (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1); views."""
    return _each(arys, 3, "atleast_3d")


# ----------------------------------------------------------------------------- stacks


def _operands(tup: Any, op: str) -> list:
    """The tensors ``op`` joins (an iterable of one or more), their data checked."""
    xs = _joined(tup, op)
    if not xs:
        raise ValueError(f"{op}: need at least one tensor")
    check_operands(op, tuple(xs))
    return xs


def hstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Tensor:
    """Join tensors along their second axis (the first for 1-D ones; 0-d ones as 1-D), as
    NumPy's, ``dtype=`` and ``casting=`` as ``np.concatenate``'s."""
    xs = [_at_least(x, 1, "hstack") for x in _operands(tup, "hstack")]
    xs = cast_joined(xs, dtype, casting, "hstack")
    return concatenated(xs, 0 if xs[0].ndim == 1 else 1, "hstack")


def vstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Tensor:
    """Join tensors along their first axis, 0-d and 1-D ones as rows (``atleast_2d``), as
    NumPy's (``np.row_stack``, its deprecated alias, comes here too)."""
    xs = [_at_least(x, 2, "vstack") for x in _operands(tup, "vstack")]
    return concatenated(cast_joined(xs, dtype, casting, "vstack"), 0, "vstack")


def dstack(tup: Sequence[Any]) -> Tensor:
    """Join tensors along their third axis, after ``atleast_3d``, as NumPy's."""
    xs = [_at_least(x, 3, "dstack") for x in _operands(tup, "dstack")]
    return concatenated(xs, 2, "dstack")


def column_stack(tup: Sequence[Any]) -> Tensor:
    """Join tensors as the columns of a matrix: 1-D ones (and 0-d ones) as columns, 2-D and
    larger ones along their second axis, as NumPy's."""
    xs = []
    for x in _operands(tup, "column_stack"):
        shape = _data(x).shape
        xs.append(reshape(x, (shape[0] if shape else 1, 1)) if len(shape) < 2 else x)
    return concatenated(xs, 1, "column_stack")


# ----------------------------------------------------------------------------- broadcast, grids


def _broadcast_shape(shapes: list[tuple[int, ...]], op: str) -> tuple[int, ...]:
    """NumPy's broadcast of ``shapes`` (any number of dimensions, where np.broadcast_shapes
    stops at 32), else ValueError naming ``op`` and the shapes."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        sizes = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0} - {1}
        if len(sizes) > 1:
            raise ValueError(f"{op}: shapes {', '.join(map(str, shapes))} cannot be broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_arrays(*args: Any, subok: bool = False) -> tuple[Tensor, ...]:
    """The arguments broadcast against each other, as NumPy's: read-only views
    (``broadcast_to``), or each argument unchanged that has the common shape already; a tuple.
    ``subok`` is accepted for NumPy's signature (tensors have no subclasses to keep)."""
    check_operands("broadcast_arrays", args)
    shapes = [_data(x).shape for x in args]
    shape = _broadcast_shape(shapes, "broadcast_arrays")
    return tuple(_as_is(x) if s == shape else broadcast_to(x, shape) for x, s in zip(args, shapes))


def meshgrid(
    *xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy"
) -> tuple[Tensor, ...]:
    """Coordinate tensors from coordinate vectors (each flattened), as NumPy's: with
    ``indexing='xy'`` the first two axes are swapped (x along columns), ``'ij'`` keeps the
    order; ``sparse`` keeps each along its own axis (size 1 elsewhere); ``copy=False`` gives
    views (read-only where broadcast). The gradients sum over the grid."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    check_operands("meshgrid", xi, tuple(f"xi[{i}]" for i in range(len(xi))))
    n = len(xi)
    where = list(range(n))
    if indexing == "xy" and n > 1:
        where[0], where[1] = 1, 0
    out = tuple(
        reshape(x, tuple(-1 if j == at else 1 for j in range(n))) for x, at in zip(xi, where)
    )
    if not sparse:
        out = broadcast_arrays(*out)
    return tuple(clone(o) for o in out) if copy else out


# ----------------------------------------------------------------------------- splits


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """``split`` that takes a number of sections that does not divide the axis: the first
    ``length % n`` sections are one entry longer, as NumPy's; views of ``ary``."""
    return split_along(ary, indices_or_sections, axis, "array_split", equal=False)


def _split_by_rank(ary: Any, sections: Any, op: str, least: int, axis: int) -> list[Tensor]:
    check_args(op, ary=ary)
    ndim = _data(ary).ndim
    if ndim < least:
        raise ValueError(
            f"{op}: ary must have at least {least} dimension{'s' * (least > 1)}, got "
            f"shape {_data(ary).shape}"
        )
    return split_along(ary, sections, axis if ndim > 1 else 0, op, equal=True)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``split`` along the second axis (the first of a 1-D ``ary``), as NumPy's."""
    return _split_by_rank(ary, indices_or_sections, "hsplit", 1, 1)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``split`` along the first axis of an ``ary`` of two dimensions or more, as NumPy's."""
    return _split_by_rank(ary, indices_or_sections, "vsplit", 2, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``split`` along the third axis of an ``ary`` of three dimensions or more, as NumPy's."""
    return _split_by_rank(ary, indices_or_sections, "dsplit", 3, 2)


# ----------------------------------------------------------------------------- append, insert


def append(arr: Any, values: Any, axis: int | None = None) -> Tensor:
    """``values`` joined after ``arr`` along ``axis`` (None: both flattened), as NumPy's."""
    check_args("append", arr=arr, values=values)
    if axis is None:
        flat = [x if _data(x).ndim == 1 else reshape(x, -1) for x in (arr, values)]
        return concatenated(flat, 0, "append")
    return concatenated([arr, values], axis, "append")


def _flat_or_axis(arr: Any, axis: Any, op: str) -> tuple[Tensor, int]:
    """``arr`` as a Tensor and the axis ``op`` works along (None: ``arr`` flattened)."""
    x = to_tensor(arr, op, "arr")
    if axis is None:
        return (x if x.ndim == 1 else reshape(x, -1)), 0
    return x, normalize_int_axis(axis, x.ndim, op)


def _positions(obj: Any, n: int, op: str) -> np.ndarray:
    """``obj`` (a slice, ints, or a bool mask) as an array (its dtype checked by the caller)."""
    if isinstance(obj, slice):
        return np.arange(*obj.indices(n), dtype=np.intp)
    return index_array(obj, op)


def _fit(v: Tensor, shape: tuple[int, ...], op: str) -> Tensor:
    """``v`` broadcast to ``shape`` as a NumPy assignment broadcasts it (leading axes of size 1
    dropped), else ValueError naming ``op`` and both shapes."""
    extra = v.ndim - len(shape)
    if extra > 0 and v.shape[:extra] == (1,) * extra:
        v = reshape(v, v.shape[extra:])
    if not broadcasts_to(v.shape, shape):
        raise ValueError(f"{op}: values of shape {v.shape} cannot be broadcast to {shape}")
    return broadcast_to(v, shape)


def _values(values: Any, dtype: np.dtype, ndmin: int) -> Tensor:
    """``insert``'s values in ``arr``'s dtype (cast as NumPy casts them, unsafely), with
    leading axes of size 1 up to ``ndmin`` dimensions."""
    from tensorgrad.ops.arithmetic import astype

    if isinstance(values, Tensor):
        v = values if values.dtype == dtype else astype(values, dtype)
    else:
        try:
            v = Tensor(np.array(values, dtype=dtype))
        except (TypeError, ValueError, OverflowError) as exc:  # (NaN into integers...)
            raise ValueError(f"insert: values {values!r:.60} as {dtype}: {exc}") from None
    return v if v.ndim >= ndmin else reshape(v, (1,) * (ndmin - v.ndim) + v.shape)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Tensor:
    """``arr`` with ``values`` inserted before the entries ``obj`` along ``axis`` (None:
    ``arr`` flattened), as NumPy's: ``obj`` an int (``values``' first axis becomes the inserted
    run), a sequence of ints or a slice (one value each, in order, ties in the order given), a
    bool mask (before each True entry); ``values`` cast to ``arr``'s dtype and broadcast as
    NumPy's. Indices run from ``-n`` to ``n`` (NumPy wraps some others in a sequence; refused
    here, as NumPy refuses them as an int). Differentiable in ``arr`` and ``values``."""
    check_args("insert", values=values)
    x, ax = _flat_or_axis(arr, axis, "insert")
    n = x.shape[ax]
    ind = _positions(obj, n, "insert")
    if ind.dtype.kind not in "iub":
        # (NumPy's kinds: one number out of bounds, or no slice bound; more of them no index)
        one = ind.size == 1 and ind.dtype.kind in "f" and -n <= ind.item() <= n
        raise (TypeError if one else IndexError)(
            f"insert: obj must be an int, integers, a bool mask or a slice, got {obj!r:.60}"
        )
    if ind.dtype.kind == "b":
        if ind.ndim != 1:
            raise ValueError(f"insert: a bool mask obj must be 1-D, got shape {ind.shape}")
        ind = np.flatnonzero(ind)
    elif ind.ndim > 1:
        raise ValueError(f"insert: obj must be an int or 1-D, got shape {ind.shape}")
    if ind.size and (ind.min() < -n or ind.max() > n):
        bad = ind[(ind < -n) | (ind > n)].flat[0]
        raise IndexError(f"insert: index {bad} is out of bounds for axis {ax} with size {n}")
    lead = (slice(None),) * ax
    if ind.size == 1:  # one run of values, in front of entry ``at``
        at = int(ind.reshape(-1)[0])
        at += n if at < 0 else 0
        v = _values(values, x.dtype, x.ndim)
        if ind.ndim == 0:  # (values' first axis is the run: a[:, 0:1] = ..., not a[:, 0] = ...)
            v = moveaxis(v, 0, ax)
        v = _fit(v, x.shape[:ax] + (v.shape[ax],) + x.shape[ax + 1 :], "insert")
        parts = [x[lead + (slice(None, at),)], v, x[lead + (slice(at, None),)]]
        return concatenated(parts, ax, "insert")
    ind = np.where(ind < 0, ind + n, ind).astype(np.intp)
    k = len(ind)
    # NOTE: value j lands in front of entry ind[j]: after the entries and the values before it,
    # the values ordered by their entry, ties in the order given (as NumPy's stable sort)
    ind[np.argsort(ind, kind="stable")] += np.arange(k)
    source = np.empty(n + k, dtype=np.intp)  # (the row of [x, values] each output row takes)
    old = np.ones(n + k, dtype=bool)
    old[ind] = False
    source[old] = np.arange(n)
    source[ind] = n + np.arange(k)
    v = _fit(_values(values, x.dtype, 0), x.shape[:ax] + (k,) + x.shape[ax + 1 :], "insert")
    return take(concatenated([x, v], ax, "insert"), source, axis=ax)


def delete(arr: Any, obj: Any, axis: int | None = None) -> Tensor:
    """``arr`` without the entries ``obj`` along ``axis`` (None: ``arr`` flattened), as
    NumPy's: ``obj`` an int, integers (repeats allowed), a slice, or a bool mask of the axis'
    length; a gather, whose gradient goes back to the kept entries."""
    x, ax = _flat_or_axis(arr, axis, "delete")
    n = x.shape[ax]
    keep = np.ones(n, dtype=bool)
    ind = _positions(obj, n, "delete")
    if ind.dtype.kind not in "iub":
        raise IndexError(
            f"delete: obj must be an int, integers, a bool mask or a slice, got {obj!r:.60}"
        )
    if ind.dtype.kind == "b":
        if ind.shape != (n,):
            raise ValueError(
                f"delete: a bool mask obj must be 1-D of the axis' length {n}, got shape "
                f"{ind.shape}"
            )
        keep = ~ind
    else:
        if ind.size and (ind.min() < -n or ind.max() >= n):
            bad = ind[(ind < -n) | (ind >= n)].flat[0]
            raise IndexError(f"delete: index {bad} is out of bounds for axis {ax} with size {n}")
        keep[ind.reshape(-1)] = False
    return take(x, np.flatnonzero(keep), axis=ax)
