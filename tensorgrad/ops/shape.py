"""Shape ops: reshape, transpose, swapaxes, moveaxis, expand_dims, squeeze, broadcast_to,
flatten, concatenate, stack, split, pad, flip, tile, repeat, and alias.

All are linear, so their tangent rule is the op applied to the tangent. Ops whose NumPy form
returns a view (reshape unless NumPy copies, transpose, expand_dims, squeeze, flip,
broadcast_to) make views of the base tensor (``ops._base.mark_view``): they share its memory and
version counter, and follow its in-place writes.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, check_operands, holds
from tensorgrad._shapes import broadcasts_to, normalize_axis, normalize_int_axis, unbroadcast
from tensorgrad.forward_mode import set_tangents
from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import Op, apply, call, mark_view
from tensorgrad.tensor import Tensor, carries_derivative, is_number

__all__ = [
    "alias",
    "reshape",
    "transpose",
    "swapaxes",
    "moveaxis",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "flatten",
    "concatenate",
    "stack",
    "split",
    "pad",
    "flip",
    "tile",
    "repeat",
]


def _data(x: Any, op: str | None = None) -> np.ndarray:
    """``x``'s array; with ``op``, data that makes no tensor is refused first, under ``op``'s
    name (else NumPy's bare message for a ragged list, or the name of an op it calls)."""
    if isinstance(x, Tensor):
        return x.data
    if op is not None:
        check_args(op, x=x)
    return np.asarray(x)


def _view(x: Any, op: Op) -> Tensor:
    """The view op ``op`` applied to ``x``: for a Tensor, a view of it (see ``mark_view``)."""
    out = apply(op, (x,))
    if not isinstance(out, Tensor):
        return Tensor._make(np.asarray(out))
    return mark_view(out, x, op)


def _ints(values: Any) -> tuple[int, ...]:
    """``values`` as ints, or TypeError: ints only, as NumPy (not 1.5, and not True, which
    ``operator.index`` would read as 1)."""
    values = tuple(values)
    if any(isinstance(v, (bool, np.bool_)) for v in values):
        raise TypeError
    return tuple(operator.index(v) for v in values)


def _axes_arg(axis: Any, op: str, name: str) -> tuple:
    """An int or an iterable of axes as a tuple (each checked later), else TypeError."""
    if isinstance(axis, (int, np.integer)):
        return (axis,)
    try:
        return tuple(axis)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of ints, got {axis!r}") from None


def _shape_arg(shape: tuple, op: str) -> tuple:
    if not shape:  # (reshape() with no shape at all: NumPy's and torch's TypeError)
        raise TypeError(f"{op}: missing the new shape")
    try:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = tuple(shape[0])
        return _ints(shape)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: shape must be ints, got {shape!r}") from None


class Alias(Op):
    """The same values under a new tensor (used to attach tangents without touching x)."""

    # (a weak reference to x, set by ``alias``: see ``ops._base._alias_current``)
    __slots__ = ("source",)
    linear = True

    def forward(self, x):
        return x

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = delta


class Clone(Alias):
    """x copied into new memory, staying in the graph (``Tensor.clone``, as torch's)"""

    def forward(self, x):
        return np.array(x, copy=True, order="K")


def clone(x: Any) -> Tensor:
    """A copy of ``x`` in new memory that stays in the graph: gradients flow back to ``x``."""
    return call(Clone, x)


def alias(x: Any) -> Tensor:
    """A new tensor sharing ``x``'s data, version counter, graph and tangents: the stand-in the
    transforms give ``f`` for an argument. It is no view (see ``mark_view``): an in-place write
    into it is recorded on it alone, as on a detached tensor, never on ``x``'s graph or
    tangents (a forward transform passes it on, ``ops.inplace.PASS_ON``, and refreshes its
    other stand-ins, ``ops.inplace.SHARED``); used after a recorded write to ``x`` otherwise, it
    is refused (``rebase``)."""
    if isinstance(x, Tensor) and not x._requires_grad:
        # no graph to stay connected to: the identity's tangents are the same tensors
        y = Tensor._make(x.data)
        y._version = x._cell()
        if x._fw is not None:
            cap = STATE.fw_cap
            set_tangents(y, {lv: t for lv, t in x._fw.items() if lv < cap})
        return y
    y = call(Alias, x)
    if isinstance(x, Tensor):
        y._version = x._cell()
        if y._node is not None:
            y._node.view_cell = y._version
            y._node.source = weakref.ref(x)
    return y


# ----------------------------------------------------------------------------- reshape family


class Reshape(Op):
    """x with a new shape (same elements in C order)"""

    __slots__ = ("shape",)
    linear = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return np.reshape(x, self.shape)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = np.reshape(delta, self.in_shape(0))


def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with shape ``shape`` (one entry may be -1); ``t.reshape(2, 3)`` works too."""
    new = _shape_arg(shape, "reshape")
    data = _data(x, "reshape")
    op = Reshape(new)
    try:
        out = apply(op, (x,))
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {data.shape} into {new}"
        ) from None
    if not isinstance(out, Tensor):
        return Tensor._make(np.asarray(out))
    # NOTE: NumPy copies what it cannot reshape as a view (some non-contiguous arrays): that
    # copy is no view (as torch's reshape), so later writes to x must not reach it
    base = out.data.base
    if base is not None and (base is data or base is data.base):
        mark_view(out, x, op)
    return out


def reshaped(x: Any, shape: tuple[int, ...]) -> Tensor:
    """``reshape`` as the last step of a composite op, on the op's own intermediate: the result
    is no view (nothing else holds what it shares memory with), so it can be written in place
    as any op's result (a view made under no_grad could not be, outside it)."""
    return call(Reshape, x, shape=shape)


def reshape_operand(x: Any, shape: Any) -> Any:
    """``x`` reshaped as an operand of the op it goes into: a Tensor by ``reshape``
    (differentiably), anything else by NumPy, so that it stays an array the op copies when it
    saves it (a Tensor viewing the caller's array would be saved as it is: a write into that
    array after the forward would change the gradient, unseen by any version check)."""
    if isinstance(x, (np.ndarray, list, tuple)):
        return np.reshape(np.asarray(x), shape)
    return reshape(x, shape)  # (a number: never written into; reshape names one out of range)


class Flatten(Reshape):
    """x as a 1-D copy in C order (never a view)"""

    def forward(self, x):
        return np.array(x, copy=True).reshape(-1)


def flatten(x: Any) -> Tensor:
    """A 1-D copy of ``x`` in C order (NumPy's ``ndarray.flatten``: writes to it never reach
    ``x``)."""
    return call(Flatten, x, shape=(-1,))


def expand_dims(x: Any, axis: Any) -> Tensor:
    """``x`` with new size-1 axes inserted at ``axis`` (int or tuple), as NumPy."""
    if not isinstance(x, Tensor):
        check_operands("expand_dims", (x,))
    data = _data(x)
    axes = _axes_arg(axis, "expand_dims", "axis")
    ndim = data.ndim + len(axes)
    pos = normalize_axis(axes, ndim, "expand_dims")
    shape = list(data.shape)
    for a in pos:
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """``x`` without its size-1 axes (or only those in ``axis``; others raise ValueError)."""
    if not isinstance(x, Tensor):
        check_operands("squeeze", (x,))
    data = _data(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(data.shape) if n == 1)
    elif (
        np.ndim(data) == 0
        and isinstance(axis, (int, np.integer))
        and not isinstance(axis, bool)
        and axis in (0, -1)
    ):
        axes = ()  # (a 0-d tensor takes the int axis 0 or -1, as NumPy's and torch's squeeze)
    else:
        axes = normalize_axis(axis, data.ndim, "squeeze")
        for a in axes:
            if data.shape[a] != 1:
                raise ValueError(
                    f"squeeze: cannot squeeze axis {a} of size {data.shape[a]} (shape {data.shape})"
                )
    return reshape(x, tuple(n for i, n in enumerate(data.shape) if i not in axes))


# ----------------------------------------------------------------------------- axis order


class Transpose(Op):
    """x with its axes permuted"""

    __slots__ = ("axes", "inverse")
    linear = True

    def __init__(self, axes, inverse=None):
        self.axes = axes
        self.inverse = (
            inverse
            if inverse is not None
            else tuple(sorted(range(len(axes)), key=axes.__getitem__))
        )

    def forward(self, x):
        # (the method: np.transpose's dispatch costs more than the view on small arrays)
        return x.transpose(self.axes) if type(x) is np.ndarray else np.transpose(x, self.axes)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = delta.transpose(self.inverse)  # an ndarray's or a Tensor's method


_REVERSED = {n: tuple(range(n - 1, -1, -1)) for n in range(5)}


def _is_index(a: Any) -> bool:
    try:
        operator.index(a)
    except TypeError:
        return False
    return True


def transpose(x: Any, axes: Any = None, *more_axes: Any) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None), as NumPy. Like
    ``ndarray.transpose``, the axes may also be spelled out: ``t.transpose(1, 2, 0)``."""
    ndim = _data(x, "transpose").ndim
    if axes is None and not more_axes:
        perm = _REVERSED.get(ndim) or tuple(range(ndim - 1, -1, -1))
        return _view(x, Transpose(perm, perm))  # a reversal is its own inverse
    given = (axes, *more_axes) if more_axes or _is_index(axes) else axes
    try:
        given = tuple(given)
        ints = _ints(given)
    except TypeError:
        raise TypeError(f"transpose: axes must be ints, got {given!r}") from None
    perm = tuple(a % ndim if -ndim <= a < ndim else -1 for a in ints)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"transpose: axes {given!r} are not a permutation of {ndim} axes")
    return _view(x, Transpose(perm))


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """``x`` with two axes interchanged."""
    ndim = _data(x, "swapaxes").ndim
    a = normalize_int_axis(axis1, ndim, "swapaxes")
    b = normalize_int_axis(axis2, ndim, "swapaxes")
    perm = list(range(ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions; the others keep their order (NumPy's ``moveaxis``)."""
    ndim = _data(x, "moveaxis").ndim
    src = _axes_arg(source, "moveaxis", "source")
    dst = _axes_arg(destination, "moveaxis", "destination")
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of axes")
    src_n = [normalize_int_axis(s, ndim, "moveaxis") for s in src]
    dst_n = [normalize_int_axis(d, ndim, "moveaxis") for d in dst]
    if len(set(src_n)) < len(src_n) or len(set(dst_n)) < len(dst_n):
        raise ValueError(
            f"moveaxis: repeated axis in source {source!r} or destination {destination!r}"
        )
    order = [n for n in range(ndim) if n not in src_n]
    for d, s in sorted(zip(dst_n, src_n)):
        order.insert(d, s)
    return transpose(x, order)


class Flip(Op):
    """x reversed along ``axis``"""

    __slots__ = ("axis",)
    linear = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        # (np.flip of a 0-d array is a NumPy scalar, a copy: the view is the array itself)
        return np.flip(x, axis=self.axis) if x.ndim else x[...]

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = np.flip(delta, axis=self.axis)


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (None: all axes)."""
    if not isinstance(x, Tensor):
        check_args("flip", x=x)
        x = np.asarray(x)  # (a Python number has no ndim: its 0-d array)
    axes = normalize_axis(axis, _data(x).ndim, "flip")
    return _view(x, Flip(axes))


# ----------------------------------------------------------------------------- broadcast, tile


class BroadcastTo(Op):
    """x broadcast to ``shape``"""

    __slots__ = ("shape",)
    linear = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return np.broadcast_to(x, self.shape)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = unbroadcast(delta, self.in_shape(0))


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """A read-only view of ``x`` broadcast to ``shape``."""
    shape = (
        (int(shape),)
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_))
        else _shape_arg((shape,), "broadcast_to")
    )
    src = _data(x, "broadcast_to").shape
    # NOTE: checked here, not with np.broadcast_shapes, which stops at 32 dimensions (and
    # np.broadcast_to does not)
    if len(shape) > 64 or any(n < 0 for n in shape) or not broadcasts_to(src, shape):
        raise ValueError(f"broadcast_to: cannot broadcast shape {src} to {shape}")
    try:
        return _view(x, BroadcastTo(shape))
    except RuntimeError as exc:
        if len(shape) <= 32:  # (an autograd error: as it is)
            raise
        # NumPy's iterator takes at most 32 dimensions
        raise ValueError(f"broadcast_to: shape {shape}: {exc}") from None


class Tile(Op):
    """x repeated ``reps`` times along each axis (NumPy's ``tile``)"""

    __slots__ = ("reps",)
    linear = True

    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        return np.tile(x, self.reps)

    def generate_adjoints(self, adjoints, delta):
        shape = self.in_shape(0)
        ndim = max(len(shape), len(self.reps))
        full = (1,) * (ndim - len(shape)) + tuple(shape)
        reps = (1,) * (ndim - len(self.reps)) + tuple(self.reps)
        if 0 in reps:  # an empty result: no copy of x, no gradient
            adjoints[0] = np.zeros(shape, dtype=delta.dtype)
            return
        # NOTE: only tiled axes are split into (reps, size) pairs, so a high-rank input stays
        # within NumPy's 64 dimensions; past that, the copies are summed one axis at a time.
        split: list[int] = []
        axes: list[int] = []
        for r, n in zip(reps, full):
            if r != 1:
                axes.append(len(split))
                split.append(r)
            split.append(n)
        if len(split) <= 64:
            summed = np.sum(np.reshape(delta, split), axis=tuple(axes)) if axes else delta
        else:
            summed = np.reshape(delta, tuple(r * n for r, n in zip(reps, full)))
            for i, (r, n) in enumerate(zip(reps, full)):
                parts = [
                    summed[(slice(None),) * i + (slice(k * n, (k + 1) * n),)] for k in range(r)
                ]
                summed = sum(parts[1:], parts[0]) if parts else summed
        adjoints[0] = np.reshape(summed, shape)


def tile(x: Any, reps: Any) -> Tensor:
    """Construct a tensor by repeating ``x`` ``reps`` times (an int or a tuple), as NumPy."""
    given = np.asarray(reps.data if isinstance(reps, Tensor) else reps)
    if given.dtype.kind not in "iu" and given.size or given.ndim > 1:
        raise TypeError(f"tile: reps must be an int or a sequence of ints, got {reps!r}")
    reps = tuple(int(r) for r in given.reshape(-1))
    if any(r < 0 for r in reps):
        # NumPy takes a negative rep only against an axis of length 0 (the result is empty)
        shape = _data(x).shape
        full = (1,) * (len(reps) - len(shape)) + shape
        if any(r < 0 and n for r, n in zip(reps[::-1], full[::-1])):
            raise ValueError(f"tile: reps must be non-negative, got {reps}")
        reps = tuple(max(r, 0) for r in reps)
    return call(Tile, x, reps=reps)


class Repeat(Op):
    """each entry of x repeated ``counts`` times along ``axis`` (one count for all: NumPy's
    ``repeat`` with an int)"""

    __slots__ = ("counts", "axis")
    linear = True

    def __init__(self, counts, axis):
        self.counts = counts
        self.axis = axis

    def forward(self, x):
        return np.repeat(x, self.counts, axis=self.axis)

    def generate_adjoints(self, adjoints, delta):
        size = self.in_shape(0)[self.axis]
        adjoints[0] = RepeatSum.apply(delta, counts=self.counts, axis=self.axis, size=size)


class RepeatSum(Op):
    """each run of ``counts`` entries along ``axis`` summed into one (repeat's adjoint): the runs
    split off by a reshape and added, where getitem's scatter took 3-12x as long"""

    __slots__ = ("counts", "axis", "size")
    linear = True

    def __init__(self, counts, axis, size):
        self.counts = counts
        self.axis = axis
        self.size = size

    def forward(self, delta):
        ax, counts = self.axis, self.counts
        runs = delta.reshape(delta.shape[:ax] + (self.size, counts) + delta.shape[ax + 1 :])
        if counts == 0 or counts > 16:
            return runs.sum(axis=ax + 1)
        # (a few copies: added one by one, np.add.at's order; a sum over a short axis took
        # 16x as long at 256 x 256 float32 with 2)
        pick = (slice(None),) * (ax + 1)
        out = runs[pick + (0,)].copy()
        for k in range(1, counts):
            out += runs[pick + (k,)]
        return out

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = Repeat.apply(delta, counts=self.counts, axis=self.axis)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (an int or one count per entry), as ``np.repeat``;
    the gradient sums each entry's copies."""
    check_operands("repeat", (x,))
    data = _data(x)
    if axis is None:
        x = reshape(x, -1)
        data = data.reshape(-1)
        axis = 0
    ax = normalize_int_axis(axis, data.ndim, "repeat")
    counts = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
    if counts.size == 0 and isinstance(repeats, (list, tuple)):
        counts = counts.astype(np.intp)  # (an empty list: as NumPy, no counts for no entries)
    # (NumPy takes negative counts along an axis of length 0: nothing is repeated)
    if counts.dtype.kind not in "iu" or (data.shape[ax] and np.any(counts < 0)):
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats!r}")
    if counts.ndim > 1 or (counts.ndim == 1 and counts.size not in (1, data.shape[ax])):
        raise ValueError(
            f"repeat: repeats of shape {counts.shape} do not match axis {ax} of length "
            f"{data.shape[ax]}"
        )
    # (one count for every entry: its own op, whose gradient is a reshape and adds; else an
    # index, whose gradient getitem's scatter adds up)
    if counts.size and data.ndim < 64 and (counts.ndim == 0 or (counts == counts.flat[0]).all()):
        return call(Repeat, x, counts=max(int(counts.flat[0]), 0), axis=ax)
    from tensorgrad.ops.indexing import take

    return take(x, np.repeat(np.arange(data.shape[ax]), counts), axis=ax)


# ----------------------------------------------------------------------------- join and split


class Concatenate(Op):
    """inputs joined along ``axis``"""

    __slots__ = ("axis", "sizes")
    linear = True

    def __init__(self, axis, sizes):
        self.axis = axis
        self.sizes = sizes

    def forward(self, *xs):
        return np.concatenate(xs, axis=self.axis)

    def generate_adjoints(self, adjoints, delta):
        start = 0
        for i, e in enumerate(self.edges):
            n = self.sizes[i]
            if e is not None:
                adjoints[i] = delta[(slice(None),) * self.axis + (slice(start, start + n),)]
            start += n


class Stack(Concatenate):
    """inputs joined along a new ``axis`` (one op, where expand_dims per input and a
    concatenate were ``len(inputs) + 1``; ``sizes`` unused)"""

    def forward(self, *xs):
        return np.stack(xs, axis=self.axis)

    def generate_adjoints(self, adjoints, delta):
        for i, e in enumerate(self.edges):
            if e is not None:
                adjoints[i] = delta[(slice(None),) * self.axis + (i,)]


def _joined(tensors: Any, op: str) -> list:
    """The tensors ``op`` joins, as a list: any iterable of them (an array or a tensor of one
    dimension or more gives its rows, as NumPy's); anything else is refused by name. (An error
    raised while iterating, inside the caller's generator, stays the caller's.)"""
    try:
        items = iter(tensors)
    except TypeError:  # (a number, None, a 0-d tensor)
        raise TypeError(
            f"{op}: tensors must be an iterable of tensors, got {type(tensors).__name__}"
        ) from None
    return list(items)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join a sequence of tensors along an existing axis."""
    xs = _joined(tensors, "concatenate")
    if not xs:
        raise ValueError("concatenate: need at least one tensor")
    check_operands("concatenate", tuple(xs))  # (before a shape check reads "x" as 0-d)
    if axis is None:  # NumPy: join the flattened tensors
        xs, axis = [reshape(x, -1) for x in xs], 0
    return concatenated(xs, axis, "concatenate")


def concatenated(xs: list, axis: Any, op: str) -> Tensor:
    """``xs`` (checked operands, one or more) joined along ``axis``: ``concatenate`` for the
    functions made of it, its shape errors named as ``op``'s."""
    shapes = [_data(x).shape for x in xs]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated")
    ax = normalize_int_axis(axis, ndim, op)
    for s in shapes:
        if len(s) != ndim or any(s[i] != shapes[0][i] for i in range(ndim) if i != ax):
            raise ValueError(f"{op}: shapes {shapes} must match except along axis {ax}")
    return call(Concatenate, *xs, axis=ax, sizes=tuple(s[ax] for s in shapes))


def cast_joined(xs: list, dtype: Any, casting: Any, op: str) -> list:
    """``xs`` cast to ``dtype`` (None: their common dtype, so nothing is cast) when NumPy's
    ``casting`` rule allows each cast, else TypeError: the ``dtype=`` and ``casting=`` of
    NumPy's ``concatenate``, ``hstack`` and ``vstack``."""
    from tensorgrad.ops.arithmetic import astype

    dtypes = [_data(x).dtype for x in xs]
    try:
        target = np.dtype(dtype) if dtype is not None else np.result_type(*dtypes)
        allowed = [np.can_cast(d, target, casting) for d in dtypes]
    except (TypeError, ValueError) as exc:  # (a dtype or casting rule NumPy does not know)
        raise type(exc)(f"{op}: {exc}") from None
    for d, ok in zip(dtypes, allowed):
        if not ok:
            raise TypeError(f"{op}: cannot cast {d} to {target} with casting={casting!r}")
    if dtype is None:
        return xs
    return [x if d == target else astype(x, target) for x, d in zip(xs, dtypes)]


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors of equal shape along a new axis."""
    xs = _joined(tensors, "stack")
    if not xs:
        raise ValueError("stack: need at least one tensor")
    check_operands("stack", tuple(xs))
    shapes = [_data(x).shape for x in xs]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: all tensors must have the same shape, got {shapes}")
    ax = normalize_int_axis(axis, len(shapes[0]) + 1, "stack")
    return call(Stack, *xs, axis=ax, sizes=None)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Split into pieces along ``axis``: ``n`` equal sections, or at the given split points."""
    return split_along(x, indices_or_sections, axis, "split", equal=True)


def split_along(x: Any, indices_or_sections: Any, axis: Any, op: str, equal: bool) -> list[Tensor]:
    """``split`` (``equal``: sections of one length, else ValueError) and ``array_split`` (the
    first ``length % n`` sections one longer), errors named as ``op``'s: views of ``x``."""
    from tensorgrad.ops.indexing import getitem

    check_args(op, x=x)  # (else named after the getitem it is made of)
    data = _data(x)
    ax = normalize_int_axis(axis, data.ndim, op)
    length = data.shape[ax]
    sections = indices_or_sections
    if isinstance(sections, Tensor):
        sections = sections.data
    if np.ndim(sections) == 0:  # a number of sections (NumPy takes int() of it)
        n = _section_count(sections, op)
        if n <= 0 or (equal and length % n):
            raise ValueError(
                f"{op}: axis {ax} of length {length} cannot be split into {n} "
                f"{'equal ' if equal else ''}sections"
            )
        each, extra = divmod(length, n)
        bounds = [0]
        for i in range(n):
            bounds.append(bounds[-1] + each + (i < extra))
    else:
        points = np.asarray(sections)
        if points.ndim != 1 or (points.size and points.dtype.kind not in "iu"):
            raise TypeError(
                f"{op}: split points must be a 1-D sequence of integers, got "
                f"{indices_or_sections!r}"
            )
        bounds = [0] + [int(p) for p in points] + [length]
    pieces = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index = (slice(None),) * ax + (slice(lo, hi),)
        pieces.append(getitem(x, index))
    return pieces


def _section_count(sections: Any, op: str) -> int:
    """``split``'s number of sections: an int, or a real number with an integer value."""
    if isinstance(sections, (np.ndarray, np.generic)):
        sections = sections.item()
    if isinstance(sections, int) or (isinstance(sections, float) and sections.is_integer()):
        return int(sections)
    if isinstance(sections, float):
        raise ValueError(f"{op}: a number of sections must be whole, got {sections!r}")
    raise TypeError(
        f"{op}: indices_or_sections must be a number of sections or a sequence of split "
        f"points, got {sections!r}"
    )


# ----------------------------------------------------------------------------- pad


class Pad(Op):
    """x padded with a constant along each axis"""

    __slots__ = ("pad_width", "value")

    def __init__(self, pad_width, value):
        self.pad_width = pad_width
        self.value = value

    def forward(self, x):
        if not self.pad_width:
            return np.array(x, copy=True)
        return np.pad(x, self.pad_width, mode="constant", constant_values=self.value)

    def generate_adjoints(self, adjoints, delta):
        index = tuple(slice(lo, lo + n) for (lo, _), n in zip(self.pad_width, self.in_shape(0)))
        adjoints[0] = delta[index]

    def jvp(self, tangents):
        # NOTE: the padding constant has zero tangent, so the tangent is padded with zeros.
        return Pad.apply(tangents[0], pad_width=self.pad_width, value=0)


_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """Pad as ``np.pad`` in its modes ``constant``, ``edge``, ``reflect``, ``symmetric`` and
    ``wrap`` (the others are refused). The last four repeat entries of ``x``: a gather whose
    adjoint adds the copies' gradients back. A 0-d Tensor constant that requires grad gets
    the padded entries' gradient."""
    if mode != "constant" and mode not in _GATHER_MODES:
        raise ValueError(
            f"pad: mode must be 'constant', 'edge', 'reflect', 'symmetric' or 'wrap', got {mode!r}"
        )
    ndim = _data(x, "pad").ndim
    try:
        given = np.asarray(pad_width.data if isinstance(pad_width, Tensor) else pad_width)
        if given.dtype.kind not in "iu":  # (an empty list too: float64, as NumPy refuses it)
            raise TypeError(f"pad: pad_width must be integers, got {pad_width!r}")
        given = given.astype(np.int64)
        widths = np.broadcast_to(given, (ndim, 2)) if given.size else None
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit {ndim} axes") from None
    if widths is None:
        raise ValueError(f"pad: pad_width {pad_width!r} is empty (as NumPy's, refused)")
    if np.any(given < 0):  # (checked on the given widths: a 0-d tensor has no rows of them)
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    pw = tuple((int(a), int(b)) for a, b in widths)
    if mode != "constant":
        if type(constant_values) is not int or constant_values != 0:
            raise ValueError(f"pad: constant_values is for mode='constant' only, not {mode!r}")
        from tensorgrad.ops.indexing import getitem

        try:
            index = np.ix_(
                *(np.pad(np.arange(n), w, mode=mode) for n, w in zip(_data(x).shape, pw))
            )
        except ValueError as exc:  # (an empty axis cannot be reflected or wrapped)
            raise ValueError(f"pad: {exc} (mode={mode!r}, shape {_data(x).shape})") from None
        return getitem(x, index) if ndim else call(Pad, x, pad_width=(), value=0)
    value = constant_values
    live = carries_derivative(value)
    if isinstance(value, Tensor):
        value = value.data if value.ndim else value.item()
    check_operands("pad", (value,), ("constant_values",))  # (np.pad would parse a string)
    if not live or not pw:  # (a 0-d x has no padding, as np.pad's)
        dtype = _data(x).dtype
        if dtype.kind in "iu":  # (np.pad casts it into x's dtype, wrapping in an unsigned one)
            for v in np.asarray(value, dtype=object).ravel().tolist():
                if is_number(v) and not holds(dtype, v):
                    raise ValueError(f"pad: constant_values {v!r} does not fit x's dtype {dtype}")
        return call(Pad, x, pad_width=pw, value=value)
    if constant_values.ndim:
        raise ValueError(
            "pad: a constant_values Tensor that requires grad must be one number, got shape "
            f"{constant_values.shape}"
        )
    # x padded with zeros, plus the constant times where the padding is: both differentiable
    where = np.pad(np.zeros(_data(x).shape, dtype=bool), pw, constant_values=True)
    out = call(Pad, x, pad_width=pw, value=0)
    term = constant_values * where
    return out + (term if term.dtype == out.dtype else term.astype(out.dtype))
