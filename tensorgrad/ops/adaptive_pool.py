"""Adaptive pooling: adaptive_avg_pool1d/2d and adaptive_max_pool1d/2d, torch's, whose windows
follow from the sizes of the input and the output alone.

Along an axis of L entries pooled to ``out``, window i runs from floor(i * L / out) to
ceil((i + 1) * L / out) (torch's rule): windows of nearly equal lengths that cover the axis,
overlapping by one entry where ``out`` does not divide L, and repeating entries where ``out``
is larger than L. A window over a rectangle is a window along each axis, so both pools work
one axis at a time:

- the mean is ``AdaptiveAvg``: the windows' sums along the last axis, then along the one before,
  divided by each rectangle's size. It is linear, and its adjoint is the same op over the
  *covering* ranges (entry h of the axis receives from the contiguous run of windows that hold
  it) with the division taken first: each is the other's adjoint, so derivatives of any order
  stay here. Window sums add one gather of the axis per offset into the windows, a few (no
  product by a 0/1 matrix: an inf would make the windows that skip it NaN);
- the maximum picks, per window, the index torch's loop picks (the first maximum in row-major
  order, or the last NaN; torch's loop run per offset over all windows at once, along each
  axis in turn), and gathers the input there with ``PoolGather``, max_pool2d's linear gather,
  whose adjoint is its scatter.

Fast paths: an output of 1 x 1 is a mean (or a flat argmax) over the spatial axes, the
classifier head's pool; an output that divides the input is avg_pool2d (max_pool2d) with
kernel and stride L / out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, half_in_float32
from tensorgrad.ops._base import Op, call
from tensorgrad.ops.conv import (
    PoolGather,
    _drop_batch,
    _one_row,
    _row_dropped,
    _unbatched,
    avg_pool2d,
    max_pool2d,
)
from tensorgrad.tensor import Tensor, flag_arg

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]

Ranges = tuple[np.ndarray, np.ndarray]


# ----------------------------------------------------------------------------- windows


def _windows(size: int, out: int) -> Ranges:
    """torch's windows of an axis of ``size`` entries pooled to ``out``: (starts, ends)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _covering(ranges: Ranges, size: int) -> Ranges:
    """For each of the ``size`` entries of the axis, the run of windows that hold it (windows
    whose starts and ends never decrease: the run is contiguous)."""
    starts, ends = ranges
    h = np.arange(size)
    return np.searchsorted(ends, h, "right"), np.searchsorted(starts, h, "right")


def _offset_steps(ranges: Ranges) -> list[tuple[int, Any, np.ndarray]]:
    """Per offset t into the windows: the windows at least t + 1 long (a slice where all are),
    and their entries t along the axis."""
    starts, ends = ranges
    lengths = ends - starts
    steps = []
    for t in range(int(lengths.max(initial=0))):
        longer = lengths > t
        if longer.all():
            steps.append((t, slice(None), starts + t))
        else:
            which = np.flatnonzero(longer)
            steps.append((t, which, starts[which] + t))
    return steps


def _window_sums(x: np.ndarray, ranges: Ranges | None, axis: int) -> np.ndarray:
    """The sum of ``x`` over each window along ``axis`` (None: every entry its own window),
    added in window order, one gather per offset into the windows (they are a few entries
    long: np.add.reduceat over the windows read in order took 2.5x as long at (32, 64, 14, 14)
    to 5 x 5). The pooled axis is moved first: each gather copies whole planes, and the adds
    run over long contiguous rows (gathered along the last axis, NumPy's result kept that axis
    outermost in memory, and every later step ran 5-10x slower)."""
    if ranges is None:
        return x
    steps = _offset_steps(ranges)
    if not steps:  # (no output, or the covering of an axis pooled to none: all zeros)
        shape = x.shape[:axis] + (len(ranges[0]),) + x.shape[axis + 1 :]
        return np.zeros(shape, x.dtype)
    front = np.moveaxis(x, axis, 0)
    total = front[steps[0][2]]  # (a copy: every window is at least one entry long)
    for _, into, taken in steps[1:]:
        total[into] += front[taken]
    return np.moveaxis(total, 0, axis)


class AdaptiveAvg(Op):
    """the windows' sums over the last two axes of x (N, C, H, W), divided by ``before`` first
    and ``after`` last (per entry of the input's, or of the output's, last two axes)"""

    __slots__ = ("rows", "cols", "size", "before", "after")
    linear = True

    def __init__(
        self,
        rows: Ranges | None,
        cols: Ranges | None,
        size: tuple[int, int],
        before: np.ndarray | None = None,
        after: np.ndarray | None = None,
    ) -> None:
        self.rows = rows
        self.cols = cols
        self.size = size  # (H, W) of the input
        self.before = before
        self.after = after

    @half_in_float32  # (a float16 window's sum overflows at 65504; torch sums in float32)
    def forward(self, x):
        dtype = x.dtype
        if self.before is not None:
            x = (x / self.before).astype(dtype, copy=False)
        y = _window_sums(_window_sums(x, self.cols, 3), self.rows, 2)
        if self.after is not None:
            y = (y / self.after).astype(dtype, copy=False)
        return y

    def generate_adjoints(self, adjoints, delta):
        out = (
            self.size[0] if self.rows is None else len(self.rows[0]),
            self.size[1] if self.cols is None else len(self.cols[0]),
        )
        adjoints[0] = AdaptiveAvg.apply(
            delta,
            rows=None if self.rows is None else _covering(self.rows, self.size[0]),
            cols=None if self.cols is None else _covering(self.cols, self.size[1]),
            size=out,
            before=self.after,
            after=self.before,
        )


def _window_argmax(x: np.ndarray, ranges: Ranges, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window along ``axis``: its maximum (to compare with: a -0.0 may read as 0.0) and
    that entry's position along the axis, chosen as torch's loop does: an entry replaces the
    maximum when it is greater or NaN (so the first maximum, or the last NaN). The axis is
    moved first, as in ``_window_sums``."""
    steps = _offset_steps(ranges)
    front = np.moveaxis(x, axis, 0)
    best = front[steps[0][2]]
    small = len(steps) <= 255
    offset = np.zeros(best.shape, np.uint8 if small else np.intp)
    for t, into, taken in steps[1:]:
        entry = front[taken]
        held, at = best[into], offset[into]  # (views where every window is this long)
        wins = entry > held
        if x.dtype.kind == "f":
            wins |= np.isnan(entry)
        # NOTE: the winners' offsets only grow, so the last winner's is the largest: a running
        # maximum, as the value's (NaN kept by np.maximum, as by torch's loop); masked writes
        # (np.copyto's where=) took 8x as long
        np.maximum(held, entry, out=held)
        np.maximum(at, wins * (np.uint8(t) if small else t), out=at)
        if not isinstance(into, slice):
            best[into], offset[into] = held, at
    offset = offset + ranges[0].reshape((-1,) + (1,) * (x.ndim - 1))
    return np.moveaxis(best, 0, axis), np.moveaxis(offset, 0, axis)


def _max_index(x: np.ndarray, rows: Ranges, cols: Ranges) -> np.ndarray:
    """(N, C, Ho * Wo) flat positions in each H * W plane of the windows' maxima, by torch's
    rule: a maximum over rows of the rows' maxima is the first maximum in row-major order, and
    the last NaN of a window is in the last row holding one, its last there."""
    n, c, _, w = x.shape
    row_max, col = _window_argmax(x, cols, 3)  # (N, C, H, Wo)
    _, row = _window_argmax(row_max, rows, 2)  # (N, C, Ho, Wo)
    index = row * w + np.take_along_axis(col, row, axis=2)
    return index.reshape(n, c, -1)


def _flat_argmax(x: np.ndarray) -> np.ndarray:
    """(N, C, 1) position of each plane's maximum: its first, or its last NaN (torch's)."""
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    arg = np.argmax(flat, axis=2)
    if flat.dtype.kind == "f":
        nan = np.isnan(flat)
        some = nan.any(axis=2)
        if some.any():
            last = flat.shape[2] - 1 - np.argmax(nan[:, :, ::-1], axis=2)
            arg = np.where(some, last, arg)
    return arg.reshape(n, c, 1)


class AdaptiveMaxGather(PoolGather):
    """max_pool2d's gather at the windows' maxima, the (N, C, Ho * Wo) positions dropped by a
    backward that frees the graph (they are the output's size)"""

    frees = ("index",)


# ----------------------------------------------------------------------------- arguments


def _output_size(op: str, output_size: Any, size: tuple[int, ...]) -> tuple[int, ...]:
    """``output_size`` as one int per spatial axis: an int for every axis, or a tuple (list) of
    one per axis, where the 2-D pools' None keeps that axis's size, as torch."""
    n = len(size)

    def one(v: Any, keep: int) -> int:
        if v is None and n == 2:
            return keep
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if v < 0:
                raise ValueError(f"{op}: output_size must be >= 0, got {output_size!r}")
            return int(v)
        what = "an int or a pair of ints (or None)" if n == 2 else "an int"
        raise TypeError(f"{op}: output_size must be {what}, got {output_size!r}")

    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise ValueError(
                f"{op}: output_size must have {n} entr{'ies' if n > 1 else 'y'}, "
                f"got {output_size!r}"
            )
        return tuple(one(v, keep) for v, keep in zip(output_size, size))
    if output_size is None:  # (None for every axis is no size at all: refused, as torch)
        raise TypeError(f"{op}: output_size must be an int or a tuple, got None")
    return (one(output_size, 0),) * n


def _prepare(op: str, input: Any, output_size: Any, n: int) -> tuple[Any, tuple, tuple]:
    """The input (a Tensor, else an ndarray), its shape and the output's spatial sizes, checked
    as torch checks them."""
    check_args(op, input=input)
    if not isinstance(input, Tensor):
        input = np.asarray(input)
    shape = input.shape
    if len(shape) not in (n + 1, n + 2):
        layout = "3-D (N, C, L) or 2-D (C, L)" if n == 1 else "4-D (N, C, H, W) or 3-D (C, H, W)"
        raise ValueError(f"{op}: input must be {layout}, got shape {shape}")
    if 0 in shape[-n:]:
        what = "a non-empty length" if n == 1 else "a non-empty height and width"
        raise ValueError(f"{op}: input must have {what}, got shape {shape}")
    return input, shape, _output_size(op, output_size, shape[-n:])


# ----------------------------------------------------------------------------- the pools


def _avg4(x: Any, out: tuple[int, int]) -> Tensor:
    """adaptive_avg_pool2d of a 4-D float input."""
    h, w = size = x.shape[2:]
    if out == (1, 1):  # (the classifier head: a mean over the spatial axes)
        from tensorgrad.ops.reductions import mean

        return mean(x, axis=(2, 3), keepdims=True)
    if min(out) and h % out[0] == 0 and w % out[1] == 0:
        kernel = (h // out[0], w // out[1])
        return avg_pool2d(x, kernel, kernel)
    rows = None if out[0] == h else _windows(h, out[0])
    cols = None if out[1] == w else _windows(w, out[1])
    counts = [np.ones(k) if r is None else r[1] - r[0] for r, k in ((rows, h), (cols, w))]
    return call(
        AdaptiveAvg,
        x,
        rows=rows,
        cols=cols,
        size=tuple(size),
        after=np.outer(counts[0], counts[1]).astype(np.float64),
    )


def _max4(x: Any, out: tuple[int, int], return_indices: bool) -> Any:
    """adaptive_max_pool2d of a 4-D input."""
    h, w = x.shape[2:]
    if min(out) and (out != (1, 1)) and h % out[0] == 0 and w % out[1] == 0:
        kernel = (h // out[0], w // out[1])
        return max_pool2d(x, kernel, kernel, return_indices=return_indices)
    data = x.data if isinstance(x, Tensor) else x
    n, c = data.shape[:2]
    if 0 in data.shape or 0 in out:  # (before the 1 x 1 path: an empty batch reshapes)
        index = np.zeros((n, c, out[0] * out[1]), np.intp)
    elif out == (1, 1):
        index = _flat_argmax(data)
    else:
        index = _max_index(data, _windows(h, out[0]), _windows(w, out[1]))
    # (windows that tile the plane, or one window: every position taken once at most)
    unique = out == (1, 1)
    y = call(AdaptiveMaxGather, x, index=index, size=(h, w), out=out, unique=unique)
    if return_indices:
        return y, Tensor._make(index.reshape(y.shape).astype(np.int64))
    return y


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:
    """Mean over torch's adaptive windows of an (N, C, H, W) or (C, H, W) tensor, to an
    ``output_size`` of (Ho, Wo) (an int for both; None keeps that axis's size): window i along
    an axis of L runs from floor(i * L / out) to ceil((i + 1) * L / out). Integer and bool
    input is averaged in float64 (torch refuses it), as avg_pool2d."""
    op = "adaptive_avg_pool2d"
    input, shape, out = _prepare(op, input, output_size, 2)
    if len(shape) == 3:
        return _drop_batch(_avg4(_as_float(_unbatched(input, shape)), out))
    return _avg4(_as_float(input), out)


def _as_float(x: Any) -> Any:
    if x.dtype.kind in "biu":
        from tensorgrad.ops.arithmetic import astype

        return astype(x, np.float64)
    return x


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:
    """Mean over torch's adaptive windows of an (N, C, L) or (C, L) tensor, to ``output_size``
    (an int, or a tuple of one), as adaptive_avg_pool2d's of a row one high."""
    input, _, out = _prepare("adaptive_avg_pool1d", input, output_size, 1)
    return _row_dropped(adaptive_avg_pool2d(_one_row(input), (1,) + out))


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over torch's adaptive windows (adaptive_avg_pool2d's) of an (N, C, H, W) or
    (C, H, W) tensor. A tie sends its gradient to the first maximum (row-major), a window with
    NaNs to its last NaN, as torch; ``return_indices=True`` also returns each maximum's flat
    index into its H * W plane."""
    op = "adaptive_max_pool2d"
    input, shape, out = _prepare(op, input, output_size, 2)
    flag_arg(return_indices, "return_indices", op)
    if len(shape) == 3:
        y = _max4(_unbatched(input, shape), out, return_indices)
        if return_indices:
            return _drop_batch(y[0]), _drop_batch(y[1])
        return _drop_batch(y)
    return _max4(input, out, return_indices)


def adaptive_max_pool1d(input: Any, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over torch's adaptive windows of an (N, C, L) or (C, L) tensor (the indices,
    with ``return_indices=True``, along L)."""
    op = "adaptive_max_pool1d"
    input, _, out = _prepare(op, input, output_size, 1)
    flag_arg(return_indices, "return_indices", op)
    y = adaptive_max_pool2d(_one_row(input), (1,) + out, return_indices)
    if return_indices:
        return _row_dropped(y[0]), _row_dropped(y[1])
    return _row_dropped(y)
