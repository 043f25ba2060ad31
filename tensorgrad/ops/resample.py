"""``interpolate``: torch's nearest, nearest-exact, linear and bilinear resampling of (N, C, L)
and (N, C, H, W) tensors, made of recorded gathers and weighted sums (differentiable to any
order, in either mode).

The source indices and weights are torch's CPU kernel's, bit for bit: its scale (``1 /
scale_factor`` when a scale factor is given, else ``in / out``; ``(in - 1) / (out - 1)`` with
``align_corners``), computed in the input's precision (float32 for float16), the source index
``scale * (i + 0.5) - 0.5`` as one fused multiply-add (torch's compiled kernel contracts it;
emulated here exactly), floored through float32 as its ``floorf``. An axis is interpolated
last-first (W, then H), as torch's nested loop, each rounded to the input's dtype.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensorgrad._dtypes import to_tensor
from tensorgrad.ops._base import Op, call
from tensorgrad.tensor import Tensor, flag_arg, is_int, is_number

__all__ = ["interpolate"]

_LINEAR = {"linear": 3, "bilinear": 4}
_OTHER = ("area", "bicubic", "trilinear", "lanczos")


# ----------------------------------------------------------------------------- exact fma


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _to_odd(s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``s + t`` (``t`` the exact error of ``s``) rounded to odd: the neighbour toward t when
    s is even and t nonzero (so that a second rounding to nearest is the exact one's)."""
    nudge = (t != 0) & ((s.view(np.int64) & 1) == 0)
    if nudge.any():
        s = np.where(nudge, np.nextafter(s, np.where(t > 0, np.inf, -np.inf)), s)
    return s


def fma(a: Any, b: Any, c: Any, dtype: Any) -> np.ndarray:
    """``a * b + c`` rounded once in ``dtype`` (float32 or float64), as C's ``fma``: in float64
    for float32 (the product is exact there), else by Dekker's exact product and Boldo and
    Melquiond's rounding to odd."""
    if np.dtype(dtype) == np.float32:
        a, b, c = (np.asarray(v, np.float32).astype(np.float64) for v in (a, b, c))
        return _to_odd(*_two_sum(a * b, c)).astype(np.float32)
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p = a * b
    split = 134217729.0  # 2 ** 27 + 1: Veltkamp's split into halves of 26 bits
    ca, cb = split * a, split * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # (p + e == a * b exactly)
    th, tl = _two_sum(c, p)
    return th + _to_odd(*_two_sum(tl, e))


# ----------------------------------------------------------------------------- indices


def _scale(n_in: int, n_out: int, factor: float | None, align: bool, dt: type) -> Any:
    """torch's ``area_pixel_compute_scale`` in ``dt``."""
    if align:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    if factor is not None and factor > 0:
        return dt(1.0 / factor)
    return dt(n_in) / dt(n_out)


def _floorf(real: np.ndarray, n_in: int) -> np.ndarray:
    """torch's ``min(int64(floorf(real)), n_in - 1)``: floored through float32."""
    return np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), n_in - 1)


def nearest_indices(
    n_in: int, n_out: int, factor: float | None, exact: bool, dt: type, planar: bool
):
    """The source index of each output along an axis (``exact``: 'nearest-exact'). torch's
    kernels differ: (N, C, L) input takes the scale in ``dt`` (the input's precision) and, for
    nearest-exact, the fused ``scale * (i + 0.5) - 0.5``, then ``floorf(real + 0.5)``; (N, C, H,
    W) input (``planar``) takes ``nearest_idx``: a float32 scale, ``floorf((i + 0.5) * scale)``
    for nearest-exact, and for nearest the identity where the sizes agree and ``i >> 1`` where
    the output is twice the input."""
    i = np.arange(n_out)
    if planar:
        if not exact and n_out == n_in:
            return i
        if not exact and n_out == 2 * n_in:
            return i >> 1
        s = _scale(n_in, n_out, factor, False, np.float32)
        real = ((i + 0.5) * np.float64(s)) if exact else i.astype(np.float32) * s
        return _floorf(real, n_in)
    s = _scale(n_in, n_out, factor, False, dt)
    if not exact:
        return _floorf(s * i.astype(dt), n_in)
    real = fma(s, i.astype(dt) + dt(0.5), dt(-0.5), dt)
    real = np.where(real < 0, dt(0), real)
    return _floorf(real.astype(np.float64) + 0.5, n_in)  # (floorf(real + 0.5): in double)


def linear_weights(n_in: int, n_out: int, factor: float | None, align: bool, dt: type):
    """The two source indices and weights of each output along an axis: torch's
    ``compute_source_index_and_lambda`` (the identity where the sizes agree)."""
    if n_in == n_out:
        i = np.arange(n_out)
        return i, i, np.ones(n_out, dt), np.zeros(n_out, dt)
    s = _scale(n_in, n_out, factor, align, dt)
    i = np.arange(n_out).astype(dt)
    if align:
        real = s * i
    else:
        real = fma(s, i + dt(0.5), dt(-0.5), dt)
        real = np.where(real < 0, dt(0), real)
    i0 = _floorf(real, n_in)
    l1 = np.minimum(np.maximum(real - i0.astype(dt), dt(0)), dt(1)).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (dt(1) - l1).astype(dt), l1


# ----------------------------------------------------------------------------- the op


# NOTE: the dense product costs n_in * n_out multiply-adds per line, each way, the gathers and
# scatters about n_in + n_out copies and products, with NumPy's inner loop run per row of the
# weights' broadcast. Measured on one core, float32, forward + backward (forward alone), dense
# against gathers: 8 x 32 x 32 x 32 by 2 in both axes 5.3 (2.3) ms against 18 (4.2); 4 x 16 x
# 96 x 96 by 2, 33 (17) against 62 (13); (16, 64, 128) by 2, 3.2 (1.7) against 6.1 (1.0);
# (8, 64, 256) by 2, 3.9 (1.8) against 4.5 (0.9). So dense while n_in n_out / (n_in + n_out),
# 21, 64, 85 and 171 there, is at most 128.
_DENSE_MAX = 128


class Lerp(Op):
    """y = w0 x[i0] + w1 x[i1] along one axis (``transpose``: its adjoint, the scatter of
    ``w0 y`` to i0 and ``w1 y`` to i1), one interpolated axis of ``interpolate``.

    Linear, and each direction's adjoint is the other, so every order stays in this class.
    With finite values and an axis of up to a few hundred entries, both directions are a
    product with the (n_out, n_in) interpolation matrix: the same two terms per output (and
    exact zeros), rounded as BLAS adds them (within a float32 ulp of torch's, as the gathers'
    sums were; where i0 = i1, at the last input, w0 + w1 is one entry). An inf or NaN would
    reach a whole line through the zeros, so such values take the gathers and scatters, as
    torch's (0 * inf is NaN where it multiplies).
    """

    __slots__ = ("axis", "i0", "i1", "w0", "w1", "n_in", "transpose", "matrix")
    linear = True
    frees = ("i0", "i1", "w0", "w1", "matrix")  # (read by the rules only)

    def __init__(self, axis, i0, i1, w0, w1, n_in, transpose=False, matrix=None) -> None:
        self.axis, self.i0, self.i1, self.w0, self.w1 = axis, i0, i1, w0, w1
        self.n_in, self.transpose = n_in, transpose
        if matrix is None and n_in * len(i0) <= _DENSE_MAX * (n_in + len(i0)):
            rows = np.arange(len(i0))
            matrix = np.zeros((len(i0), n_in), w0.dtype)
            matrix[rows, i0] = w0
            matrix[rows, i1] += w1
        self.matrix = matrix

    def forward(self, x):
        m, axis = self.matrix, self.axis
        if m is None or not np.isfinite(x).all():
            return self._scatter(x) if self.transpose else self._gather(x)
        if self.transpose:
            m = m.T
        if axis == x.ndim - 1:  # (one product of the lines by m^T)
            lines = x.reshape(-1, x.shape[-1])
            return np.matmul(lines, m.T).reshape(x.shape[:-1] + (m.shape[0],))
        return np.matmul(m, x)  # (axis 2 of 4: one product per sample and channel)

    def _weights(self, ndim: int) -> tuple:
        shape = (-1,) + (1,) * (ndim - 1 - self.axis)
        return self.w0.reshape(shape), self.w1.reshape(shape)

    def _gather(self, x):
        w0, w1 = self._weights(x.ndim)
        with np.errstate(invalid="ignore"):  # (an inf times a weight 0: NaN, as torch's, silent)
            a, b = np.take(x, self.i0, axis=self.axis), np.take(x, self.i1, axis=self.axis)
            return a * w0 + b * w1

    def _scatter(self, d):
        from tensorgrad.ops.indexing import _summed_along

        w0, w1 = self._weights(d.ndim)
        shape = d.shape[: self.axis] + (self.n_in,) + d.shape[self.axis + 1 :]
        out = _summed_along(self.i0, d * w0, self.axis, shape)
        out += _summed_along(self.i1, d * w1, self.axis, shape)
        return out

    def generate_adjoints(self, adjoints, delta):
        params = {s: getattr(self, s) for s in self.__slots__}
        params["transpose"] = not self.transpose
        adjoints[0] = Lerp.apply(delta, **params)


# ----------------------------------------------------------------------------- arguments


def _sizes_arg(value: Any, dims: int, shape: tuple, name: str) -> list:
    """``size`` or ``scale_factor`` as a list of ``dims`` entries, as torch reads them."""
    many = isinstance(value, (list, tuple))
    items = list(value) if many else [value] * dims
    if many and len(items) != dims:
        raise ValueError(
            f"interpolate: {name} must have one entry per spatial dimension of the input "
            f"(shape {shape}: {dims}), got {value!r}"
        )
    for v in items:
        ok = is_int(v) if name == "size" else is_number(v) and not isinstance(v, bool)
        if not ok:
            kind = "ints" if name == "size" else "numbers"
            raise TypeError(f"interpolate: {name} must be {kind}, got {value!r}")
    return [int(v) if name == "size" else float(v) for v in items]


def interpolate(
    input: Any,
    size: int | tuple[int, ...] | None = None,
    scale_factor: float | tuple[float, ...] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resample the spatial axes of an (N, C, L) or (N, C, H, W) tensor to ``size``, or by
    ``scale_factor`` (the output size ``floor(in * scale_factor)``, the interpolation's scale
    ``1 / scale_factor`` unless ``recompute_scale_factor``), as torch's ``interpolate``:
    ``mode`` 'nearest' (torch's, OpenCV's), 'nearest-exact' (pixel centres), 'linear' (3-D) or
    'bilinear' (4-D), with ``align_corners`` for the last two. ``antialias=True`` is refused.
    Integer and bool input: nearest keeps its dtype (a gather), linear gives float64."""
    from tensorgrad.ops.arithmetic import astype
    from tensorgrad.ops.indexing import getitem

    if not isinstance(mode, str) or mode not in ("nearest", "nearest-exact", *_LINEAR, *_OTHER):
        raise ValueError(
            "interpolate: mode must be 'nearest', 'nearest-exact', 'linear' or 'bilinear', "
            f"got {mode!r}"
        )
    if mode in _OTHER:
        raise ValueError(f"interpolate: mode={mode!r} is not supported (nearest, nearest-exact, "
                         "linear and bilinear are)")  # fmt: skip
    linear = mode in _LINEAR
    if not linear and align_corners is not None:  # (torch's check, before any other)
        raise ValueError(
            "interpolate: align_corners can only be set with the interpolating modes (linear, "
            f"bilinear), not mode={mode!r}"
        )
    align = align_corners is not None and flag_arg(align_corners, "align_corners", "interpolate")
    x = to_tensor(input, "interpolate", "input")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"interpolate: input must be (N, C, L) or (N, C, H, W), got shape {x.shape}"
        )
    if linear and x.ndim != _LINEAR[mode]:
        want = "(N, C, L)" if mode == "linear" else "(N, C, H, W)"
        raise ValueError(f"interpolate: mode={mode!r} needs {want} input, got shape {x.shape}")
    dims = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor should be defined")
    recompute = recompute_scale_factor is not None and flag_arg(
        recompute_scale_factor, "recompute_scale_factor", "interpolate"
    )
    if recompute and size is not None:
        raise ValueError("interpolate: recompute_scale_factor is not meaningful with a size")
    if flag_arg(antialias, "antialias", "interpolate"):
        raise ValueError("interpolate: antialias=True is not supported")
    spatial = x.shape[2:]
    if size is not None:
        out = _sizes_arg(size, dims, x.shape, "size")
        factors: list = [None] * dims
    else:
        factors = _sizes_arg(scale_factor, dims, x.shape, "scale_factor")
        out = []
        for n, f in zip(spatial, factors):
            if not math.isfinite(n * f):
                raise ValueError(f"interpolate: scale_factor must be finite, got {scale_factor!r}")
            out.append(math.floor(n * f))  # (torch's int64(in * scale), for a positive one)
        if recompute:
            factors = [None] * dims
    if any(n <= 0 for n in spatial) or any(n <= 0 for n in out):
        raise ValueError(
            f"interpolate: input and output sizes must be positive, got input of shape "
            f"{x.shape} and output size {tuple(out)}"
        )
    dtype = x.dtype
    if linear and dtype.kind != "f":
        x, dtype = astype(x, np.float64), np.dtype(np.float64)
    dt = np.float64 if dtype == np.float64 else np.float32  # (torch's opmath)
    half = dtype == np.float16
    for axis in reversed(range(dims)):  # (W first, then H: torch's nesting)
        ax, n_in, n_out = axis + 2, spatial[axis], out[axis]
        lead = (slice(None),) * ax
        if not linear:
            exact = mode == "nearest-exact"
            idx = nearest_indices(n_in, n_out, factors[axis], exact, dt, dims == 2)
            x = getitem(x, lead + (idx,))  # (a new tensor also where it is the identity)
            continue
        i0, i1, w0, w1 = linear_weights(n_in, n_out, factors[axis], align, dt)
        if half:
            x = astype(x, np.float32)
        else:
            w0, w1 = w0.astype(dtype), w1.astype(dtype)
        x = call(Lerp, x, axis=ax, i0=i0, i1=i1, w0=w0, w1=w1, n_in=n_in)
        if half:
            x = astype(x, np.float16)
    return x
