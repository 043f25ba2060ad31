"""2-D convolution and pooling over NCHW tensors: conv2d, max_pool2d, avg_pool2d (and conv1d,
max_pool1d and avg_pool1d, as theirs of images one row high).

A convolution reads its input through one strided window view (``_windows``) and contracts it
with ``np.matmul``, one product per sample and group; the pools take a running maximum or sum
over one strided view per kernel offset (``_offset_views``). No Python loop ever runs over pixels:
the only loops run over the kernel's ``kh * kw`` offsets or the stride's ``sh * sw`` phases.

Convolution is three bilinear ops that are each other's adjoints, so derivatives of any order
stay inside this file (Chainer's ``Convolution2D`` / ``Deconvolution2D`` pairing):

- ``Conv2d(x, w)``: the cross-correlation torch calls conv2d;
- ``ConvTranspose2d(d, w)``: its adjoint in ``x``, the scatter of ``d`` through ``w`` (with no
  more output than input channels and a finite ``w``, computed as conv2d's sums of the padded
  ``d`` against the flipped ``w``: for stride > 1, with a kernel larger than 1 x 1 and above a
  size, one such sum per stride phase of the image);
- ``Conv2dWeight(x, d)``: its adjoint in ``w`` (windows of ``x`` against ``d``).

With ``groups`` > 1 the channels split into groups that each contract as one batched matmul
(``np.matmul`` over a leading group axis). Padding is ``padding`` before and ``padding +
extra`` after each spatial axis: ``extra`` is the one more row or column on the bottom and
right that ``padding='same'`` needs for an even effective kernel, as torch.

Pooling: ``max_pool2d`` records which input each output took (the first maximum of its window,
or its last NaN, as torch) and its adjoint scatters through that fixed index, a linear op whose
own adjoint is the gather. ``avg_pool2d`` is linear; its adjoint is the window scatter divided
by the count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from tensorgrad._dtypes import check_args, half_in_float32
from tensorgrad.ops._base import Op, call
from tensorgrad.ops.indexing import rows_summed
from tensorgrad.tensor import Tensor, flag_arg, is_int

__all__ = [
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
]

Pair = tuple[int, int]


# ----------------------------------------------------------------------------- helpers


def _sizes(value: Any, name: str, op: str, minimum: int, n: int) -> tuple[int, ...]:
    """``value`` as ``n`` ints >= ``minimum``, one per spatial axis; an int, or a tuple of one
    (as torch expands it), is used for every axis."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        sizes = (int(value),) * n
    else:
        what = "an int or a pair of ints" if n == 2 else "an int"
        if not isinstance(value, (tuple, list, np.ndarray)) or getattr(value, "ndim", 1) != 1:
            # (a set, bytes, a 0-d array: refused, as torch)
            raise TypeError(f"{op}: {name} must be {what}, got {value!r}")
        items = tuple(value)
        if len(items) not in (1, n) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items
        ):
            raise TypeError(f"{op}: {name} must be {what}, got {value!r}")
        sizes = tuple(int(v) for v in items) if len(items) == n else (int(items[0]),) * n
    if min(sizes) < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {value!r}")
    if max(sizes) > _INT64_MAX:  # (as torch's: no size, stride or padding is past int64)
        raise ValueError(f"{op}: {name} {value!r} is past the int64 range")
    return sizes


def _pair(value: Any, name: str, op: str, minimum: int) -> Pair:
    """``_sizes`` for the two axes of an image."""
    return _sizes(value, name, op, minimum, 2)  # type: ignore[return-value]


_INT64_MAX = 2**63 - 1


def _no_stride(stride: Any) -> bool:
    """Whether a pool's ``stride`` asks for the default, the kernel size: None, or empty (torch
    passes ``[]`` for None)."""
    return stride is None or (isinstance(stride, (tuple, list)) and not stride)


def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _pad(x: np.ndarray, padding: Pair, value: float = 0.0, extra: Pair = (0, 0)) -> np.ndarray:
    """``x`` padded by ``padding`` before and ``padding + extra`` after its last two axes
    (``extra`` may be negative; where ``padding + extra`` is, ``x`` is cropped after)."""
    (ph, pw), (eh, ew) = padding, extra
    if ph == 0 and pw == 0 and eh == 0 and ew == 0:
        return x
    if ph + eh < 0 or pw + ew < 0:
        # (a crop after the input: conv_transpose's output_padding past its stride leaves rows
        # that no window of the convolution it is the adjoint of reads)
        x = x[:, :, : x.shape[2] + min(0, ph + eh), : x.shape[3] + min(0, pw + ew)]
        eh, ew = max(eh, -ph), max(ew, -pw)
    # (not np.pad: its generic path took 1.4x as long at 2 MB, and 20 us more at any size)
    n, c, h, w = x.shape
    shape = (n, c, h + 2 * ph + eh, w + 2 * pw + ew)
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _overrun(
    size: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, out: Pair
) -> Pair:
    """How far the last of ``out`` windows runs past the padding after the input, per axis (0
    unless ``ceil_mode`` made one more window)."""
    return tuple(  # type: ignore[return-value]
        max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
        for n, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, out)
    )


def _windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> np.ndarray:
    """The (N, C, Ho, Wo, kh, kw) strided view of the windows of the padded image ``xp``, to be
    read only: its entries overlap, and ``xp`` may be the caller's own array. (It is marked
    read-only, but a view made on xp's buffer can be flipped back: never do that.)"""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    if xp.size:
        # (the view made directly on xp's buffer where it is C-contiguous, else by as_strided:
        # sliding_window_view's checks and slicing took 10 us, most of a small convolution's
        # forward; as_strided takes 3, the buffer 0.5. Neither checks that the windows stay
        # inside the image's rows and columns: refused here)
        n, c, h, w = xp.shape
        if min(out) > 0 and (
            (out[0] - 1) * sh + (kh - 1) * dh >= h or (out[1] - 1) * sw + (kw - 1) * dw >= w
        ):
            raise ValueError(f"_windows: {out} windows of {kernel} run past the image {xp.shape}")
        s0, s1, s2, s3 = xp.strides
        shape, strides = (n, c, *out, kh, kw), (s0, s1, s2 * sh, s3 * sw, s2 * dh, s3 * dw)
        if not xp.flags.c_contiguous:
            return as_strided(xp, shape, strides, writeable=False)
        view = np.ndarray(shape, xp.dtype, xp, 0, strides)
        view.flags.writeable = False
        return view
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, : sh * (out[0] - 1) + 1 : sh, : sw * (out[1] - 1) + 1 : sw, ::dh, ::dw]


def _offset_views(
    image: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair
) -> list[np.ndarray]:
    """Entry (i, j) of every window at once: the (N, C, Ho, Wo) strided view of ``image`` under
    each kernel offset, row-major (writable where ``image`` is)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span_h, span_w = sh * (out[0] - 1) + 1, sw * (out[1] - 1) + 1
    return [
        image[:, :, i * dh : i * dh + span_h : sh, j * dw : j * dw + span_w : sw]
        for i in range(kh)
        for j in range(kw)
    ]


def _im2col(windows: np.ndarray) -> np.ndarray:
    """(N, C, Ho, Wo, kh, kw) windows as a C-ordered (N, C * kh * kw, Ho * Wo) array: copied in
    that order, each row a run along the image (copying them as (N * Ho * Wo, C * kh * kw)
    rows, tensordot's order, took 13x as long), and ready for one product per sample whose
    result is already (N, O, Ho * Wo)."""
    n, c, ho, wo, kh, kw = windows.shape
    cols = np.ascontiguousarray(windows.transpose(0, 1, 4, 5, 2, 3))
    return cols.reshape(n, c * kh * kw, ho * wo)


def _scatter_windows(
    cols: np.ndarray, size: Pair, padding: Pair, stride: Pair, dilation: Pair
) -> np.ndarray:
    """Transpose of ``_windows`` after padding: add (N, C, kh, kw, Ho, Wo) windows into an
    (N, C, H, W) image, dropping the padding (the image is made large enough for windows that
    run past the padding after the input). One vectorised add per kernel offset."""
    n, c, kh, kw, ho, wo = cols.shape
    ph, pw = padding
    eh, ew = _overrun(size, (kh, kw), stride, padding, dilation, (ho, wo))
    image = np.zeros((n, c, size[0] + 2 * ph + eh, size[1] + 2 * pw + ew), dtype=cols.dtype)
    for k, view in enumerate(_offset_views(image, (kh, kw), stride, dilation, (ho, wo))):
        view += cols[:, :, k // kw, k % kw]
    return image[:, :, ph : ph + size[0], pw : pw + size[1]]


def _correlate(windows: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """conv2d's sums: (N, C, Ho, Wo, kh, kw) ``windows`` against ``w`` (O, C / groups, kh, kw),
    one product per sample and group, (O / g, C / g * kh * kw) by (C / g * kh * kw, Ho * Wo)."""
    n, _, ho, wo = windows.shape[:4]
    o, k = w.shape[0], w.shape[1] * w.shape[2] * w.shape[3]
    rows = _im2col(windows).reshape(n, groups, k, ho * wo)
    return np.matmul(w.reshape(groups, o // groups, k), rows).reshape(n, o, ho, wo)


def _full_correlation(
    d: np.ndarray, w: np.ndarray, size: Pair, shift: Pair, dilation: Pair, groups: int
) -> np.ndarray:
    """The stride-1 scatter of ``d`` (N, O, Ho, Wo) through ``w`` (O, C / g, kh, kw) as
    conv2d's sums: entry h of the result (per axis; ``size`` of them) is the sum over taps j of
    ``d[h + shift - j * dilation] w[j]``, d zero outside. That is d padded by the dilated
    kernel's span less ``shift`` before (cropped where negative) and as needed after, against
    w flipped, its channel axes swapped per group. Its columns (O / g * kh * kw per pixel) are
    no more than the scatter's (C / g * kh * kw) when O <= C, and the scatter's adds per kernel
    offset (memory-bound) are gone: at stride 1, 0.4-0.8x the time at N32 C16-32 16-32 px
    (1.4-2.3x where O is 2-5 C). Only for a finite w: a padded zero times an inf is a NaN the
    scatter never adds."""
    o, cg, kh, kw = w.shape
    (dh, dw), (ho, wo) = dilation, d.shape[2:]
    before = (dh * (kh - 1) - shift[0], dw * (kw - 1) - shift[1])
    after = (size[0] + dh * (kh - 1) - ho - before[0], size[1] + dw * (kw - 1) - wo - before[1])
    # (a negative amount crops: rows of d that only the padding's zeros reached; all of them
    # where the crops meet, and the windows then read only zeros)
    (ch0, cw0), (ch1, cw1) = ((max(0, -b) for b in amounts) for amounts in (before, after))
    d = d[:, :, ch0 : max(ch0, ho - ch1), cw0 : max(cw0, wo - cw1)]
    pad_before = (max(0, before[0]), max(0, before[1]))
    pad_after = (max(0, after[0]), max(0, after[1]))
    d = _pad(d, pad_before, extra=(pad_after[0] - pad_before[0], pad_after[1] - pad_before[1]))
    flipped = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    windows = _windows(d, (kh, kw), (1, 1), dilation, size)
    return _correlate(windows, flipped.reshape(groups * cg, o // groups, kh, kw), groups)


def _phase_taps(size: int, k: int, s: int, p: int, dilation: int) -> list[tuple]:
    """Per stride phase of one axis of a convolution's input (its first unpadded index h0, one
    per residue modulo ``s``): the kernel taps that reach it (a slice, or None), and the shift
    and dilation that make its scatter a stride-1 one (``_full_correlation``). Row h = h0 + s * t
    sits at padded position a = h + p; tap i reaches it from output row (a - i * dilation) / s
    where that is a whole number."""
    step = s // math.gcd(s, dilation)  # (taps reaching one residue are every step-th)
    phases = []
    for h0 in range(min(s, size)):
        a0 = h0 + p
        first = next((i for i in range(min(k, step)) if (a0 - i * dilation) % s == 0), None)
        if first is None:
            phases.append((h0, None, 0, 1))
            continue
        # (the output row tap `first` reaches row h0 from; each later tap of the phase comes
        # from dilation / gcd rows earlier)
        phases.append(
            (h0, slice(first, None, step), (a0 - first * dilation) // s, step * dilation // s)
        )
    return phases


# (below about this many of the scatter's adds (N * C * Ho * Wo * kh * kw) per stride phase, the
# phases' own steps, 10-15 us each, cost more than those strided adds: N8 C16 16 x 16, 3 x 3,
# stride 2 is just past it)
_PHASED_MIN = 2**14


def _add_tangents(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


# ----------------------------------------------------------------------------- convolution


class _Conv(Op):
    """Shared parameters of the three convolution ops; all save both inputs (bilinear).
    ``extra``: padding added after the input on top of ``padding`` (``'same'``, even kernels)."""

    __slots__ = ("stride", "padding", "dilation", "groups", "extra")
    save_inputs = (0, 1)

    def __init__(
        self, stride: Pair, padding: Pair, dilation: Pair, groups: int = 1, extra: Pair = (0, 0)
    ) -> None:
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.extra = extra

    @property
    def _conv(self) -> dict[str, Any]:
        return {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            "extra": self.extra,
        }

    def _out(self, size: tuple[int, ...], kernel: tuple[int, ...]) -> Pair:
        s, p, d, e = self.stride, self.padding, self.dilation, self.extra
        return (
            _out_size(size[0] + e[0], kernel[0], s[0], p[0], d[0]),
            _out_size(size[1] + e[1], kernel[1], s[1], p[1], d[1]),
        )

    def _cols(self, x: np.ndarray, kernel: tuple[int, ...], out: tuple[int, ...]) -> np.ndarray:
        xp = _pad(x, self.padding, extra=self.extra)
        return _windows(xp, kernel, self.stride, self.dilation, out)

    def jvp(self, tangents, a, b):
        # NOTE: bilinear: d(f(a, b)) = f(da, b) + f(a, db).
        ta, tb = tangents
        first = None if ta is None else self.reapply(ta, b)
        second = None if tb is None else self.reapply(a, tb)
        return _add_tangents(first, second)


class Conv2d(_Conv):
    """cross-correlation of x (N, C, H, W) with w (O, C / groups, kh, kw), as torch's conv2d"""

    @half_in_float32  # (NumPy's float16 products add up in float16)
    def forward(self, x, w):
        out = self._out(x.shape[2:], w.shape[2:])
        return _correlate(self._cols(x, w.shape[2:], out), w, self.groups)

    def generate_adjoints(self, adjoints, delta, x, w):
        if self.edges[0] is not None:
            adjoints[0] = ConvTranspose2d.apply(delta, w, size=tuple(x.shape[2:]), **self._conv)
        if self.edges[1] is not None:
            adjoints[1] = Conv2dWeight.apply(x, delta, kernel=tuple(w.shape[2:]), **self._conv)


class ConvTranspose2d(_Conv):
    """adjoint of conv2d in its input: d (N, O, Ho, Wo) scattered through w to (N, C, H, W)"""

    __slots__ = ("size",)

    def __init__(self, size: Pair, stride: Pair, padding: Pair, dilation: Pair, **group: Any):
        super().__init__(stride, padding, dilation, **group)
        self.size = size

    @half_in_float32  # (NumPy's float16 products add up in float16)
    def forward(self, d, w):
        g = self.groups
        (n, _, ho, wo), (o, cg, kh, kw) = d.shape, w.shape
        # NOTE: with finite weights (the padding's zeros would give an inf or NaN weight
        # inf * 0 = NaN terms the scatter never adds), conv2d's sums against the flipped
        # weights where O <= C (for stride > 1 per stride phase, with a kernel larger than 1 x 1
        # and past a size); for stride 1 and O > C the columns added as one run per kernel
        # offset; else the plain scatter
        (sh, sw), work = self.stride, n * o * ho * wo
        stride1 = sh == sw == 1
        adds = n * g * cg * ho * wo * kh * kw  # (the scatter's, into strided views)
        if (
            o <= g * cg
            and work
            and min(self.size)
            and (stride1 or (kh * kw > 1 and adds >= _PHASED_MIN * sh * sw))
            and np.isfinite(w).all()
        ):
            if stride1:
                return _full_correlation(d, w, self.size, self.padding, self.dilation, g)
            return self._phases(d, w)
        runs = stride1 and o > g * cg and work and min(self.size) and np.isfinite(w).all()
        if runs:
            # (d's rows widened to the padded image's width Wp, zeros after Wo: see _add_runs)
            eh, ew = _overrun(self.size, (kh, kw), (1, 1), self.padding, self.dilation, (ho, wo))
            (h, w_), (ph, pw) = self.size, self.padding
            padded = (h + 2 * ph + eh, w_ + 2 * pw + ew)
            d = _pad(d, (0, 0), extra=(0, padded[1] - wo))
        width = d.shape[3]
        # (N, g, C / g * kh * kw, Ho * width) columns, each window's share of the image
        maps = d.reshape(n, g, o // g, ho * width)
        cols = np.matmul(w.reshape(g, o // g, cg * kh * kw).transpose(0, 2, 1), maps)
        cols = cols.reshape(n, g * cg, kh, kw, ho, width)
        if runs:
            return self._add_runs(cols, padded)
        return _scatter_windows(cols, self.size, self.padding, self.stride, self.dilation)

    def _phases(self, d, w):
        """The scatter for stride > 1 (O <= C, finite w) as one of conv2d's sums per stride
        phase: the image's rows (and columns) that are a given residue modulo the stride
        receive from one subset of the kernel's taps, every ``s / gcd(s, dilation)``-th one,
        as a stride-1 full correlation of d with that sub-kernel (dilated by ``dilation /
        gcd``). No adds into strided views: 0.4-0.6x the scatter's time at N32 C16 32 x 32
        with a 3 x 3 kernel and stride 2. (``extra`` is not read: each phase's extent follows
        from ``size``, and d's from its shape.)"""
        n, g, cg = d.shape[0], self.groups, w.shape[1]
        (sh, sw), kernel = self.stride, w.shape[2:]
        rows, cols = (
            _phase_taps(*args)
            for args in zip(self.size, kernel, self.stride, self.padding, self.dilation)
        )
        # (a phase no tap reaches, where the stride passes the kernel's span or shares a factor
        # with the dilation, stays zero: the image starts as zeros then, and it is skipped)
        empty = any(p[1] is None for p in rows) or any(p[1] is None for p in cols)
        image = (np.zeros if empty else np.empty)((n, g * cg, *self.size), np.result_type(d, w))
        for h0, taps_h, shift_h, dilation_h in rows:
            for w0, taps_w, shift_w, dilation_w in cols:
                if taps_h is None or taps_w is None:
                    continue
                view = image[:, :, h0::sh, w0::sw]
                view[...] = _full_correlation(
                    d,
                    w[:, :, taps_h, taps_w],
                    view.shape[2:],
                    (shift_h, shift_w),
                    (dilation_h, dilation_w),
                    g,
                )
        return image

    def _add_runs(self, cols, padded):
        """``_scatter_windows`` for stride 1 and (N, C, kh, kw, Ho, Wp) blocks whose rows have
        the padded image's width: block (i, j) is added to the flattened image as one run of
        Ho * Wp from i * dh * Wp + j * dw, its zero columns adding +0.0 to the next row or to
        slack after the image (where the scatter adds Ho rows of Wo per block and channel:
        about half of conv2d's backward at 32 x 32). The same sums in the same order."""
        n, c, kh, kw, ho, wp = cols.shape
        (h, w), (ph, pw), (dh, dw), hp = self.size, self.padding, self.dilation, padded[0]
        image = np.zeros((n, c, hp * wp + (kw - 1) * dw), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * wp + j * dw
                image[:, :, start : start + ho * wp] += cols[:, :, i, j].reshape(n, c, ho * wp)
        image = image[:, :, : hp * wp].reshape(n, c, hp, wp)
        return image[:, :, ph : ph + h, pw : pw + w]

    def generate_adjoints(self, adjoints, delta, d, w):
        if self.edges[0] is not None:
            adjoints[0] = Conv2d.apply(delta, w, **self._conv)
        if self.edges[1] is not None:
            adjoints[1] = Conv2dWeight.apply(delta, d, kernel=tuple(w.shape[2:]), **self._conv)


class Conv2dWeight(_Conv):
    """adjoint of conv2d in its weight: windows of x (N, C, H, W) against d (N, O, Ho, Wo)"""

    __slots__ = ("kernel",)

    def __init__(self, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, **group: Any):
        super().__init__(stride, padding, dilation, **group)
        self.kernel = kernel

    @half_in_float32  # (NumPy's float16 products add up in float16)
    def forward(self, x, d):
        cols = self._cols(x, self.kernel, d.shape[2:])
        g = self.groups
        (n, o, ho, wo), c = d.shape, x.shape[1]
        # one product per sample and group, summed over the batch, as (C / g * kh * kw, O / g)
        # products (OpenBLAS took 1.6x as long for the transposed ones)
        k = c // g * self.kernel[0] * self.kernel[1]  # (not -1: the batch may be empty)
        rows = _im2col(cols).reshape(n, g, k, ho * wo)  # (N, g, C / g * kh * kw, Ho * Wo)
        maps = d.reshape(n, g, o // g, ho * wo).transpose(0, 1, 3, 2)
        dw = np.add.reduce(np.matmul(rows, maps), axis=0)  # (g, C / g * kh * kw, O / g)
        return np.ascontiguousarray(dw.transpose(0, 2, 1)).reshape(o, c // g, *self.kernel)

    def generate_adjoints(self, adjoints, delta, x, d):
        if self.edges[0] is not None:
            adjoints[0] = ConvTranspose2d.apply(d, delta, size=tuple(x.shape[2:]), **self._conv)
        if self.edges[1] is not None:
            adjoints[1] = Conv2d.apply(x, delta, **self._conv)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def _conv_padding(
    padding: Any, kernel: tuple, stride: tuple, dilation: tuple, op: str = "conv2d"
) -> tuple[tuple, tuple]:
    """``padding`` as (before, extra after) sizes, one per spatial axis of ``kernel``: an int
    or one per axis, ``'valid'`` (none) or ``'same'`` (the output keeps the input's size; an
    odd total puts the extra entry after, at the bottom and right of an image, as torch).
    Errors name ``op``."""
    n = len(kernel)
    if not isinstance(padding, str):
        return _sizes(padding, "padding", op, 0, n), (0,) * n
    if padding == "valid":
        return (0,) * n, (0,) * n
    if padding != "same":
        what = (
            "'valid', 'same', an int or a pair of ints" if n == 2 else "'valid', 'same' or an int"
        )
        raise ValueError(f"{op}: padding must be {what}, got {padding!r}")
    if stride != (1,) * n:
        shown = stride if n > 1 else stride[0]
        raise ValueError(
            f"{op}: padding='same' is not supported for strided convolutions, got stride {shown}"
        )
    total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
    return tuple(t // 2 for t in total), tuple(t % 2 for t in total)


def _groups(groups: Any, op: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be a positive int, got {groups!r}")
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def _unbatched(x: Any, shape: tuple[int, ...]) -> Any:
    """A 3-D (C, H, W) input as a batch of one: a Tensor reshaped differentiably, anything else
    as a NumPy array (``reshape_operand``)."""
    from tensorgrad.ops.shape import reshape_operand

    return reshape_operand(x, (1,) + shape)


def _drop_batch(y: Tensor) -> Tensor:
    from tensorgrad.ops.shape import reshaped

    return reshaped(y, y.shape[1:])


_LAYOUTS = {
    1: ("3-D (N, C, L) or 2-D (C, L)", "3-D (O, C / groups, k)"),
    2: ("4-D (N, C, H, W) or 3-D (C, H, W)", "4-D (O, C / groups, kh, kw)"),
}


def _convolve(
    op: str, n: int, input: Any, weight: Any, bias: Any, stride: Any, padding: Any,
    dilation: Any, groups: Any,
) -> Tensor:  # fmt: skip
    """conv1d (``n`` = 1) and conv2d (2): their checks, errors naming ``op``, with sizes per
    spatial axis; a 1-D convolution is the 2-D one of images one row high."""
    g = _groups(groups, op)
    check_args(op, ("bias",), input=input, weight=weight, bias=bias)
    xs, ws = _shape(input), _shape(weight)
    if len(xs) not in (n + 1, n + 2):
        raise ValueError(f"{op}: input must be {_LAYOUTS[n][0]}, got shape {xs}")
    if len(ws) != n + 2:
        raise ValueError(f"{op}: weight must be {_LAYOUTS[n][1]}, got shape {ws}")
    if min(ws[2:]) < 1:  # (as torch: an empty kernel would give an output larger than the input)
        raise ValueError(f"{op}: kernel size must be greater than zero, got weight shape {ws}")
    c = xs[-n - 1]
    if ws[0] % g:
        raise ValueError(
            f"{op}: weight has {ws[0]} output channels, not divisible by groups={g} "
            f"(weight shape {ws})"
        )
    if c % g:
        raise ValueError(f"{op}: input has {c} channels, not divisible by groups={g}")
    if c != ws[1] * g:
        per_group = "" if g == 1 else f" ({ws[1]} per group, groups={g})"
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {ws[1] * g}{per_group} "
            f"(weight shape {ws})"
        )
    stride_ = _sizes(stride, "stride", op, 1, n)
    dil = _sizes(dilation, "dilation", op, 1, n)
    pad, extra = _conv_padding(padding, ws[2:], stride_, dil, op)
    size = xs[-n:]
    if min(map(_out_size, [a + e for a, e in zip(size, extra)], ws[2:], stride_, pad, dil)) < 1:
        padded = tuple(a + 2 * p + e for a, p, e in zip(size, pad, extra))
        shown = (lambda t: t) if n > 1 else (lambda t: t[0])
        raise ValueError(
            f"{op}: kernel {shown(ws[2:])} (dilation {shown(dil)}) is larger than the padded "
            f"input {shown(padded)} (input {shown(size)}, padding "
            f"{padding if isinstance(padding, str) else shown(pad)})"
        )
    if bias is not None:
        bs = _shape(bias)
        if bs != (ws[0],):
            raise ValueError(f"{op}: bias must have shape ({ws[0]},), got {bs}")
    from tensorgrad.ops.shape import reshape_operand, reshaped

    if len(xs) == n + 1:
        return _drop_batch(
            _convolve(op, n, _unbatched(input, xs), weight, bias, stride_, padding, dil, g)
        )
    if n == 1:  # (one row high: (N, C, 1, L) by (O, C / g, 1, k))
        input = reshape_operand(input, xs[:2] + (1,) + xs[2:])
        weight = reshape_operand(weight, ws[:2] + (1,) + ws[2:])
        stride_, pad, dil, extra = (1,) + stride_, (0,) + pad, (1,) + dil, (0,) + extra
    params = {"stride": stride_, "padding": pad, "dilation": dil}
    if g != 1 or extra != (0, 0):
        params.update(groups=g, extra=extra)
    y = call(Conv2d, input, weight, **params)
    if n == 1:
        y = reshaped(y, y.shape[:2] + y.shape[3:])
    if bias is not None:
        y = y + reshape_operand(bias, (1, ws[0]) + (1,) * n)
    return y


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of ``input`` (N, C, H, W) or unbatched (C, H, W) with ``weight``
    (O, C / groups, kh, kw), plus ``bias`` (O,), with torch's ``conv2d`` arguments: zero
    ``padding`` as an int, a pair, ``'valid'`` or ``'same'`` (stride 1 only; an odd total pad
    puts the extra row and column at the bottom and right, as torch), and ``groups`` (channels
    split into groups convolved separately; ``groups == C`` is depthwise)."""
    return _convolve("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv1d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of ``input`` (N, C, L) or unbatched (C, L) with ``weight``
    (O, C / groups, k), plus ``bias`` (O,), with torch's ``conv1d`` arguments (``conv2d``'s,
    one int each): conv2d's op on images one row high."""
    return _convolve("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


# ----------------------------------------------------------------------------- transposed


_T_LAYOUTS = {
    1: ("3-D (N, C_in, L) or 2-D (C_in, L)", "3-D (C_in, C_out / groups, k)"),
    2: ("4-D (N, C_in, H, W) or 3-D (C_in, H, W)", "4-D (C_in, C_out / groups, kh, kw)"),
}


def transposed_size(
    size: tuple[int, ...], kernel: tuple, stride: tuple, padding: tuple, dilation: tuple
) -> tuple[int, ...]:
    """conv_transpose's output size per spatial axis before ``output_padding``: the smallest
    input a convolution with these sizes maps to ``size``."""
    return tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + 1
        for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)
    )


def _transpose_convolve(
    op: str, n: int, input: Any, weight: Any, bias: Any, stride: Any, padding: Any,
    output_padding: Any, groups: Any, dilation: Any,
) -> Tensor:  # fmt: skip
    """conv_transpose1d (``n`` = 1) and conv_transpose2d (2): torch's checks, errors naming
    ``op``; the op is conv2d's adjoint in its input (``ConvTranspose2d``), whose own adjoints
    are conv2d and its weight rule, so derivatives of any order stay in this file."""
    g = _groups(groups, op)
    check_args(op, ("bias",), input=input, weight=weight, bias=bias)
    xs, ws = _shape(input), _shape(weight)
    if len(xs) not in (n + 1, n + 2):
        raise ValueError(f"{op}: input must be {_T_LAYOUTS[n][0]}, got shape {xs}")
    if len(ws) != n + 2:
        raise ValueError(f"{op}: weight must be {_T_LAYOUTS[n][1]}, got shape {ws}")
    if min(ws[2:]) < 1:
        raise ValueError(f"{op}: kernel size must be greater than zero, got weight shape {ws}")
    c = xs[-n - 1]
    if c != ws[0]:
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {ws[0]} (weight shape {ws}, "
            f"input shape {xs})"
        )
    if ws[0] % g:
        raise ValueError(
            f"{op}: weight has {ws[0]} input channels, not divisible by groups={g} "
            f"(weight shape {ws})"
        )
    if 0 in xs[-n:]:
        raise ValueError(f"{op}: input must have non-empty spatial axes, got shape {xs}")
    stride_ = _sizes(stride, "stride", op, 1, n)
    pad = _sizes(padding, "padding", op, 0, n)  # (no 'same' or 'valid': torch has none)
    dil = _sizes(dilation, "dilation", op, 1, n)
    out_pad = _sizes(output_padding, "output_padding", op, 0, n)
    shown = (lambda t: t) if n > 1 else (lambda t: t[0])
    if any(a >= s and a >= d for a, s, d in zip(out_pad, stride_, dil)):
        raise ValueError(
            f"{op}: output_padding {shown(out_pad)} must be smaller than either the stride "
            f"{shown(stride_)} or the dilation {shown(dil)}"
        )
    size = tuple(
        m + a for m, a in zip(transposed_size(xs[-n:], ws[2:], stride_, pad, dil), out_pad)
    )
    if min(size) < 0:  # (0: an empty output, as torch's)
        raise ValueError(
            f"{op}: output size {shown(size)} is too small (input {shown(xs[-n:])}, kernel "
            f"{shown(ws[2:])}, stride {shown(stride_)}, padding {shown(pad)}, dilation "
            f"{shown(dil)}, output_padding {shown(out_pad)})"
        )
    c_out = ws[1] * g
    if bias is not None:
        bs = _shape(bias)
        if bs != (c_out,):
            raise ValueError(f"{op}: bias must have shape ({c_out},), got {bs}")
    from tensorgrad.ops.shape import reshape_operand, reshaped

    if len(xs) == n + 1:
        return _drop_batch(
            _transpose_convolve(
                op, n, _unbatched(input, xs), weight, bias, stride_, pad, out_pad, g, dil
            )
        )
    # NOTE: output_padding past the stride (it may be, below the dilation) gives rows that no
    # window of the convolution reads: its adjoints crop them (a negative ``extra``)
    extra = tuple(min(0, s - 1 - a) for s, a in zip(stride_, out_pad))
    if n == 1:  # (one row high: (N, C_in, 1, L) by (C_in, C_out / g, 1, k))
        input = reshape_operand(input, xs[:2] + (1,) + xs[2:])
        weight = reshape_operand(weight, ws[:2] + (1,) + ws[2:])
        stride_, pad, dil, extra, size = (
            (1,) + stride_, (0,) + pad, (1,) + dil, (0,) + extra, (1,) + size
        )  # fmt: skip
    params = {"size": size, "stride": stride_, "padding": pad, "dilation": dil}
    if g != 1 or extra != (0, 0):
        params.update(groups=g, extra=extra)
    y = call(ConvTranspose2d, input, weight, **params)
    if n == 1:
        y = reshaped(y, y.shape[:2] + y.shape[3:])
    if bias is not None:
        y = y + reshape_operand(bias, (1, c_out) + (1,) * n)
    return y


def conv_transpose2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """2-D transposed convolution of ``input`` (N, C_in, H, W) or unbatched (C_in, H, W) with
    ``weight`` (C_in, C_out / groups, kh, kw), plus ``bias`` (C_out,), as torch's
    ``conv_transpose2d``: conv2d's adjoint in its input (the gradient conv2d sends back), of
    size (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1 per axis;
    ``output_padding`` (smaller than the stride or the dilation) adds rows and columns at the
    bottom and right to reach sizes that stride rounds away."""
    return _transpose_convolve(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


def conv_transpose1d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """1-D transposed convolution of ``input`` (N, C_in, L) or unbatched (C_in, L) with
    ``weight`` (C_in, C_out / groups, k), plus ``bias`` (C_out,), as torch's
    ``conv_transpose1d`` (``conv_transpose2d``'s arguments, one int each)."""
    return _transpose_convolve(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


# ----------------------------------------------------------------------------- max pooling


class _PoolIndex(Op):
    """Shared state of the gather/scatter pair: flat positions into each (H, W) plane, and
    ``valid``: None, or a (Ho * Wo,) mask that is False where a window covers only padding
    (its position is torch's, which may lie outside the plane or alias another entry: such an
    output reads and sends nothing)."""

    __slots__ = ("index", "size", "valid", "unique")
    linear = True

    def __init__(
        self, index: np.ndarray, size: Pair, valid: np.ndarray | None = None, unique: bool = False
    ) -> None:
        self.index = index  # (N, C, Ho * Wo) ints into the H * W plane
        self.size = size
        self.valid = valid
        self.unique = unique  # no position twice (windows that do not overlap)

    def _index(self) -> np.ndarray:
        """The positions with those of padding-only windows moved inside the plane (to 0)."""
        return self.index if self.valid is None else np.where(self.valid, self.index, 0)


class PoolGather(_PoolIndex):
    """x (N, C, H, W) read at the recorded positions: (N, C, Ho, Wo)"""

    __slots__ = ("out",)

    def __init__(
        self,
        index: np.ndarray,
        size: Pair,
        out: Pair,
        valid: np.ndarray | None = None,
        unique: bool = False,
    ) -> None:
        super().__init__(index, size, valid, unique)
        self.out = out

    def forward(self, x):
        n, c = x.shape[:2]
        plane = self.size[0] * self.size[1]  # (not -1: the batch may be empty)
        flat = np.take_along_axis(x.reshape(n, c, plane), self._index(), axis=2)
        if self.valid is not None:
            flat = np.where(self.valid, flat, np.zeros((), x.dtype))
        return flat.reshape(n, c, *self.out)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = PoolScatter.apply(
            delta, index=self.index, size=self.size, valid=self.valid, unique=self.unique
        )


class PoolScatter(_PoolIndex):
    """d (N, C, Ho, Wo) added into an (N, C, H, W) zero image at the recorded positions"""

    def forward(self, d):
        n, c, ho, wo = d.shape
        plane = self.size[0] * self.size[1]
        base = (np.arange(n * c) * plane).reshape(n, c, 1)
        flat = (self._index() + base).ravel()
        if self.unique:  # (each position once: put, the same values bincount's float64 gives,
            image = np.zeros(n * c * plane, dtype=d.dtype)  # its +0.0 for a -0.0 included)
            image[flat] = np.asarray(d).reshape(-1) + 0.0
            return image.reshape(n, c, *self.size)
        # NOTE: overlapping windows: the gradients a position won added up in the outputs'
        # order and in d's dtype, as torch's loop (float16 in float32 and rounded once, where
        # torch 2.13 rounds each step); np.add.at at flat positions took 0.2x the time of a
        # float64 bincount
        values = np.asarray(d).reshape(n, c, ho * wo)
        if values.dtype == np.float16:
            values = values.astype(np.float32)
        if self.valid is not None:
            values = np.where(self.valid, values, np.zeros((), values.dtype))
        image = rows_summed(flat, values.ravel(), n * c * plane)
        return image.astype(d.dtype, copy=False).reshape(n, c, *self.size)

    def generate_adjoints(self, adjoints, delta):
        out = self.in_shape(0)[2:]
        adjoints[0] = PoolGather.apply(
            delta,
            index=self.index,
            size=self.size,
            out=tuple(out),
            valid=self.valid,
            unique=self.unique,
        )


class MaxPool2d(Op):
    """maximum over each window; the gradient goes to the first maximum of a window, or to its
    last NaN (torch)"""

    __slots__ = (
        "kernel",
        "stride",
        "padding",
        "dilation",
        "ceil_mode",
        "index",
        "valid",
        "out",
        "unique",
    )
    frees = ("index", "valid")  # (the forward's argmax: computed again by a new forward)

    def __init__(
        self, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool = False
    ) -> None:
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode

    def forward(self, x):
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
        )
        ceil = self.ceil_mode
        ho, wo = self.out = (
            _pool_out(h, kh, sh, ph, dh, ceil),
            _pool_out(w, kw, sw, pw, dw, ceil),
        )
        # with ceil_mode the last window may run past the right padding: pad that far too
        eh, ew = _overrun((h, w), self.kernel, self.stride, self.padding, self.dilation, self.out)
        xp = _pad(x, self.padding, _lowest(x.dtype), (eh, ew))
        out, arg = _window_max(xp, self.kernel, self.stride, self.dilation, self.out)
        if x.dtype.kind == "f":
            nan = np.isnan(out)
            if nan.any():
                # NOTE: torch's loop lets every NaN replace the running maximum, so a window's
                # last NaN wins; only windows holding a NaN pay for this.
                cols = _windows(xp, self.kernel, self.stride, self.dilation, self.out)
                last = np.argmax(np.isnan(cols[nan].reshape(-1, kh * kw)[:, ::-1]), axis=-1)
                arg[nan] = kh * kw - 1 - last
        # Position of the winner in the unpadded plane.
        i, j = np.divmod(arg, kw)
        rows = np.arange(ho).reshape(-1, 1) * sh + i * dh - ph
        cols_ = np.arange(wo) * sw + j * dw - pw
        self.valid = None
        if ph or pw or eh or ew:
            # NOTE: padding wins only a tie with every real entry of its window (all -inf, or
            # the integer minimum); torch then takes the window's first real entry: its first
            # row and column at or after the window's start (its index may leave the plane, or
            # alias another entry, for a window of padding only: no gradient goes there).
            first_r = _first_inside(ho, sh, dh, ph)
            first_c = _first_inside(wo, sw, dw, pw)
            pad = (rows < 0) | (rows >= h) | (cols_ < 0) | (cols_ >= w)
            if pad.any():
                rows = np.where(pad, first_r.reshape(-1, 1), rows)
                cols_ = np.where(pad, first_c, cols_)
            if first_r.max() >= h or first_c.max() >= w:
                self.valid = ((first_r < h).reshape(-1, 1) & (first_c < w)).reshape(-1)
        self.index = (rows * w + cols_).reshape(n, c, ho * wo)
        # (windows that do not overlap: every winner's position is its own)
        self.unique = self.valid is None and all(
            s >= d * (k - 1) + 1 for s, d, k in zip(self.stride, self.dilation, self.kernel)
        )
        return out

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = PoolScatter.apply(
            delta,
            index=self.index,
            size=tuple(self.in_shape(0)[2:]),
            valid=self.valid,
            unique=self.unique,
        )

    def jvp(self, tangents):
        x_shape = tangents[0].shape
        return PoolGather.apply(
            tangents[0],
            index=self.index,
            size=tuple(x_shape[2:]),
            out=self.out,
            valid=self.valid,
            unique=self.unique,
        )


def _window_max(
    xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """Each window's maximum and the offset (i * kw + j) of its first maximum (torch's, and
    argmax's), from one strided view of the image per kernel offset: copying the windows to
    take argmax over each took 4x as long. (A NaN maximum's offset is left to the caller.)"""
    slabs = _offset_views(xp, kernel, stride, dilation, out)
    best = slabs[0].copy()
    for part in slabs[1:]:
        np.maximum(best, part, out=best)
    # the first offset that reaches the maximum, by arithmetic (a masked write per offset was
    # slower than the copy it replaces)
    small = len(slabs) <= 255
    arg = np.zeros(best.shape, np.uint8 if small else np.intp)
    found = np.equal(slabs[0], best)
    for k in range(1, len(slabs)):
        hit = np.equal(slabs[k], best)
        hit &= ~found
        arg += hit * (np.uint8(k) if small else k)
        found |= hit
    if best.dtype.kind == "f":
        # (np.maximum may keep either zero of a -0.0, 0.0 tie: the first one's sign, as torch)
        zero = best == 0
        if zero.any() and (np.signbit(xp) & (xp == 0)).any():
            for k, part in enumerate(slabs):
                np.copyto(best, part, where=zero & (arg == k))
    return best, arg.astype(np.intp)


def _lowest(dtype: np.dtype) -> Any:
    """The padding of max pooling: the smallest value of ``dtype`` (-inf for floats)."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return False if dtype.kind == "b" else -np.inf


def _first_inside(out: int, stride: int, dilation: int, pad: int) -> np.ndarray:
    """Per output position along one axis, the first unpadded input position of its window."""
    start = np.arange(out) * stride - pad
    return start + np.maximum(0, -(start // dilation)) * dilation


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling output size: with ``ceil_mode`` the division rounds up, but the last
    window must start inside the input or its left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_params(
    op: str, x: Any, kernel_size: Any, stride: Any, padding: Any, ceil_mode: bool, n: int = 2
) -> tuple[tuple, tuple, tuple]:
    """A pool's sizes, one per spatial axis (``n``), checked as torch checks them."""
    check_args(op, input=x)
    shape = _shape(x)
    if len(shape) not in (n + 1, n + 2):
        raise ValueError(f"{op}: input must be {_LAYOUTS[n][0]}, got shape {shape}")
    if 0 in shape[-n:]:
        what = "a non-empty height and width" if n == 2 else "a non-empty length"
        raise ValueError(f"{op}: input must have {what}, got shape {shape}")
    flag_arg(ceil_mode, "ceil_mode", op)
    kernel = _sizes(kernel_size, "kernel_size", op, 1, n)
    stride = kernel if _no_stride(stride) else _sizes(stride, "stride", op, 1, n)
    pad = _sizes(padding, "padding", op, 0, n)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        shown = (pad, kernel) if n == 2 else (pad[0], kernel[0])
        raise ValueError(
            f"{op}: padding {shown[0]} must be at most half the kernel size {shown[1]}"
        )
    return kernel, stride, pad


def _one_row(x: Any) -> Any:
    """(N, C, L) or (C, L) as images one row high (a Tensor reshaped differentiably)."""
    from tensorgrad.ops.shape import reshape_operand

    shape = _shape(x)
    return reshape_operand(x, shape[:-1] + (1, shape[-1]))


def _row_dropped(y: Tensor) -> Tensor:
    from tensorgrad.ops.shape import reshaped

    return reshaped(y, y.shape[:-2] + y.shape[-1:])


def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Maximum over (kh, kw) windows of an (N, C, H, W) or unbatched (C, H, W) tensor;
    ``stride`` defaults to the kernel size and padding is -inf (the minimum of an integer
    dtype) but never wins, as torch: a window whose real entries all equal it takes its first
    real entry, and a window of padding only (possible with dilation) gives -inf and sends no
    gradient. A tie sends its gradient to the first maximum (row-major within the window), a
    window with NaNs to its last NaN. ``ceil_mode`` rounds the output size up, as torch (the
    last window starts inside the input or the left padding). ``return_indices=True`` also
    returns the flat index into each H * W plane, as torch (for a window of padding only,
    torch's: its first row and column at or after its start, which lie outside the input)."""
    kernel, stride_, pad = _pool_params(
        "max_pool2d", input, kernel_size, stride, padding, ceil_mode
    )
    dil = _pair(dilation, "dilation", "max_pool2d", 1)
    shape = _shape(input)
    if len(shape) == 3:
        x = _unbatched(input, shape)
        out = max_pool2d(x, kernel, stride_, pad, dil, ceil_mode, return_indices)
        if return_indices:
            return _drop_batch(out[0]), _drop_batch(out[1])
        return _drop_batch(out)
    h, w = shape[2:]
    if (
        min(
            _pool_out(h, kernel[0], stride_[0], pad[0], dil[0], ceil_mode),
            _pool_out(w, kernel[1], stride_[1], pad[1], dil[1], ceil_mode),
        )
        < 1
    ):
        raise ValueError(
            f"max_pool2d: kernel {kernel} (dilation {dil}) is larger than the padded input "
            f"{(h + 2 * pad[0], w + 2 * pad[1])} (input {(h, w)}, padding {pad})"
        )
    op = MaxPool2d(
        kernel=kernel, stride=stride_, padding=pad, dilation=dil, ceil_mode=bool(ceil_mode)
    )
    from tensorgrad.ops._base import apply

    out = apply(op, (input,))
    if not isinstance(out, Tensor):
        out = Tensor._make(np.asarray(out))
    if return_indices:
        return out, Tensor._make(op.index.reshape(out.shape).astype(np.int64))
    return out


def max_pool1d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Maximum over windows of an (N, C, L) or unbatched (C, L) tensor, as torch's
    ``max_pool1d`` (``max_pool2d``'s rules, one int each; indices along L)."""
    op = "max_pool1d"
    kernel, stride_, pad = _pool_params(op, input, kernel_size, stride, padding, ceil_mode, 1)
    dil = _sizes(dilation, "dilation", op, 1, 1)
    length = _shape(input)[-1]
    if _pool_out(length, kernel[0], stride_[0], pad[0], dil[0], ceil_mode) < 1:
        raise ValueError(
            f"{op}: kernel {kernel[0]} (dilation {dil[0]}) is larger than the padded input "
            f"{length + 2 * pad[0]} (input {length}, padding {pad[0]})"
        )
    out = max_pool2d(
        _one_row(input), (1,) + kernel, (1,) + stride_, (0,) + pad, (1,) + dil, ceil_mode,
        return_indices,
    )  # fmt: skip
    if return_indices:
        return _row_dropped(out[0]), _row_dropped(out[1])
    return _row_dropped(out)


# ----------------------------------------------------------------------------- average pooling


class AvgPool2d(Op):
    """sum over each (kh, kw) window divided by ``divisor``; with ``ceil_mode`` the last windows
    may run past the padding after the input, read as zeros"""

    __slots__ = ("kernel", "stride", "padding", "divisor", "size", "out")
    linear = True

    def __init__(
        self, kernel: Pair, stride: Pair, padding: Pair, divisor: Any, size: Pair, out: Pair
    ) -> None:
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.divisor = divisor  # a number, or an (Ho, Wo) array of counts
        self.size = size
        self.out = out

    @property
    def _params(self) -> dict[str, Any]:
        return {s: getattr(self, s) for s in AvgPool2d.__slots__}

    @half_in_float32  # (a float16 window's sum overflows at 65504; torch sums in float32)
    def forward(self, x):
        # (ceil_mode: the last windows may run past the padding, over zeros)
        extra = _overrun(x.shape[2:], self.kernel, self.stride, self.padding, (1, 1), self.out)
        xp = _pad(x, self.padding, extra=extra)
        # (one add of the shifted image per kernel offset: summing the windows' strided view
        # over its last two axes took 3-7x as long)
        total = np.zeros(x.shape[:2] + tuple(self.out), x.dtype)  # (from 0: -0.0s give 0.0)
        for part in _offset_views(xp, self.kernel, self.stride, (1, 1), self.out):
            total += part
        return (total / self.divisor).astype(x.dtype, copy=False)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = AvgPool2dTranspose.apply(delta, **self._params)


class AvgPool2dTranspose(AvgPool2d):
    """adjoint of avg_pool2d: each output's share spread evenly over its window"""

    @half_in_float32  # (overlapping windows' shares are summed)
    def forward(self, d):
        kh, kw = self.kernel
        share = (d / self.divisor).astype(d.dtype, copy=False)
        n, c, ho, wo = share.shape
        if self.stride == self.kernel and (kw >= 4 or n * c * ho * wo <= 1024):
            # windows that tile the padded image: each pixel gets one share, added to the
            # zeros in one pass over (N, C, Ho, kh, Wo, kw) blocks (NumPy's broadcast add is
            # slow along a short last axis: the scatter's strided adds win for wide images
            # under narrow kernels). 8 x 8 windows of N32 C16 32 x 32: 2.07 -> 0.35 ms
            (h, w), (ph, pw) = self.size, self.padding
            image = np.zeros((n, c, max(ho * kh, ph + h), max(wo * kw, pw + w)), d.dtype)
            blocks = image[:, :, : ho * kh, : wo * kw].reshape(n, c, ho, kh, wo, kw)
            blocks += share[:, :, :, None, :, None]  # (from 0: a -0.0 share gives 0.0)
            return image[:, :, ph : ph + h, pw : pw + w]
        cols = np.broadcast_to(share[:, :, None, None], (n, c, kh, kw, ho, wo))
        return _scatter_windows(cols, self.size, self.padding, self.stride, (1, 1))

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = AvgPool2d.apply(delta, **self._params)


def _window_counts(size: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """torch's divisor along one axis: per window, its length inside the padded input (windows
    past it are cut short), or only inside the input itself without ``count_include_pad``."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over (kh, kw) windows of an (N, C, H, W) or (C, H, W) tensor, with torch's
    arguments: ``stride`` defaults to the kernel size, zero padding is counted unless
    ``count_include_pad=False``; ``ceil_mode`` rounds the output size up as ``max_pool2d``,
    and a last window that runs past the padding is divided by its length inside the padded
    input (inside the input itself without ``count_include_pad``), as torch;
    ``divisor_override`` replaces every divisor. Integer and bool input is averaged in float64
    (NumPy's ``mean``; torch truncates)."""
    kernel, stride_, pad = _pool_params(
        "avg_pool2d", input, kernel_size, stride, padding, ceil_mode
    )
    flag_arg(count_include_pad, "count_include_pad", "avg_pool2d")
    shape = _shape(input)
    size = shape[-2:]
    ceil = bool(ceil_mode)
    out = (
        _pool_out(size[0], kernel[0], stride_[0], pad[0], 1, ceil),
        _pool_out(size[1], kernel[1], stride_[1], pad[1], 1, ceil),
    )
    if min(out) < 1:
        raise ValueError(f"avg_pool2d: kernel {kernel} is larger than the input {tuple(size)}")
    if divisor_override is not None:
        if not is_int(divisor_override):
            raise TypeError(
                f"avg_pool2d: divisor_override must be an int, got {divisor_override!r}"
            )
        if divisor_override < 1:
            raise ValueError(f"avg_pool2d: divisor_override must be >= 1, got {divisor_override}")
        divisor: Any = int(divisor_override)
    else:
        include = bool(count_include_pad)
        counts = [
            _window_counts(size[i], kernel[i], stride_[i], pad[i], out[i], include) for i in (0, 1)
        ]
        if np.all(counts[0] == kernel[0]) and np.all(counts[1] == kernel[1]):
            divisor = kernel[0] * kernel[1]
        else:
            divisor = np.outer(counts[0], counts[1]).astype(np.float64)
    if len(shape) == 3:
        x = _unbatched(input, shape)
        return _drop_batch(
            avg_pool2d(x, kernel, stride_, pad, ceil, count_include_pad, divisor_override)
        )
    if (input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype).kind in "biu":
        from tensorgrad.ops.arithmetic import astype

        input = astype(input, np.float64)
    return call(
        AvgPool2d,
        input,
        kernel=kernel,
        stride=stride_,
        padding=pad,
        divisor=divisor,
        size=tuple(size),
        out=out,
    )


def avg_pool1d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of an (N, C, L) or unbatched (C, L) tensor, as torch's
    ``avg_pool1d`` (``avg_pool2d``'s rules, one int each)."""
    op = "avg_pool1d"
    kernel, stride_, pad = _pool_params(op, input, kernel_size, stride, padding, ceil_mode, 1)
    flag_arg(count_include_pad, "count_include_pad", op)
    length = _shape(input)[-1]
    if _pool_out(length, kernel[0], stride_[0], pad[0], 1, bool(ceil_mode)) < 1:
        raise ValueError(f"{op}: kernel {kernel[0]} is larger than the input {length}")
    out = avg_pool2d(
        _one_row(input), (1,) + kernel, (1,) + stride_, (0,) + pad, ceil_mode, count_include_pad
    )
    return _row_dropped(out)
