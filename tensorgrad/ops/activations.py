"""Ops for torch's piecewise activations (``tg.nn.functional``'s hardtanh, relu6, hardsigmoid,
hardswish, selu, celu, prelu): each piece selected by multiplying with 0/1 masks, never with
``np.where``, whose loop over a data-dependent mask took 4.6 ms on 256 x 1024 float32 (the
clamp 0.07 ms). Their slopes at the kinks are torch's; a mask is a constant of x, so the
second derivative of a linear piece is 0, and a curved piece's slope is written with NumPy
functions, recorded under ``create_graph``.
"""

from __future__ import annotations

import numpy as np

from tensorgrad._dtypes import half_in_float32, is_half
from tensorgrad._shapes import unbroadcast
from tensorgrad.ops._base import Op
from tensorgrad.tensor import Tensor


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _work_dtype(x):
    data = _raw(x)
    return np.float32 if is_half(data) else data.dtype


class Clamp(Op):
    """min(max(x + shift, lo), hi) / div: torch's ``hardtanh`` (shift 0, div 1) and
    ``hardsigmoid`` (shift 3, [0, 6], div 6), x itself where it ties a bound (-0.0 at 0, as
    torch's); slope 1 / div strictly inside ``(lo - shift, hi - shift)``, 0 at the kinks and
    outside, and ``nan_slope`` at NaN (hardtanh's 1, hardsigmoid's 0)."""

    __slots__ = ("lo", "hi", "shift", "div", "nan_slope")
    save_inputs = (0,)

    def __init__(self, lo: float, hi: float, shift: float, div: float, nan_slope: bool) -> None:
        self.lo, self.hi, self.shift, self.div, self.nan_slope = lo, hi, shift, div, nan_slope

    @half_in_float32  # (x + 3 and the division rounded once, as torch's opmath)
    def forward(self, x):
        t = x.dtype.type
        with np.errstate(over="ignore"):  # (a bound past the dtype's range: +-inf, as NumPy)
            lo, hi = t(self.lo), t(self.hi)
        shifted = x + t(self.shift) if self.shift else x
        # (NumPy's maximum and minimum give their second operand at a tie: x's -0.0)
        out = np.minimum(hi, np.maximum(lo, shifted))
        return out / t(self.div) if self.div != 1 else out

    def _slope(self, x):
        data = _raw(x)
        inside = (data > self.lo - self.shift) & (data < self.hi - self.shift)
        if self.nan_slope:
            inside |= np.isnan(data)
        slope = inside.astype(_work_dtype(x))
        return slope / self.div if self.div != 1 else slope

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)


class ScaledElu(Op):
    """torch's ``elu`` kernel with its three coefficients: ``expm1(x * inscale) * negcoef``
    where x <= 0, else ``x * poscoef`` (selu, celu). Slope ``poscoef`` where x > 0 and at NaN
    (torch's rule), ``inscale * negcoef * exp(x * inscale)`` where x <= 0: at 0 the left side's
    ``inscale * negcoef``, its own slope there 0 (torch's second derivative at 0)."""

    __slots__ = ("negcoef", "poscoef", "inscale")
    save_inputs = (0,)

    def __init__(self, negcoef: float, poscoef: float, inscale: float) -> None:
        self.negcoef, self.poscoef, self.inscale = negcoef, poscoef, inscale

    @half_in_float32
    def forward(self, x):
        t = x.dtype.type
        with np.errstate(over="ignore", invalid="ignore"):
            neg, pos, scale = t(self.negcoef), t(self.poscoef), t(self.inscale)
            if not (np.isfinite(neg) and np.isfinite(pos) and np.isfinite(scale)):
                return np.where(x > 0, x * pos, np.expm1(x * scale) * neg)
            # (one of the two pieces is +-0 at each entry: the sum is the other)
            out = np.expm1(np.minimum(x, 0) * scale) * neg + np.maximum(x, 0) * pos
        zeros = out == 0
        if zeros.any():  # (torch's signed zeros: its formula on those entries)
            z = x[zeros]
            out[zeros] = np.where(z > 0, z * pos, np.expm1(z * scale) * neg)
        return out

    def _slope(self, x):
        data = _raw(x)
        dtype = _work_dtype(x)
        right = ~(data <= 0)  # (NaN too)
        strict = (data < 0).astype(dtype)
        k = self.inscale * self.negcoef
        # (min(x, 0) * strict: 0 at 0, so that the slope's own slope is 0 there, and at +inf;
        # fmin on arrays: 0 at NaN, whose slope is poscoef)
        low = np.minimum(x, 0) if isinstance(x, Tensor) else np.fmin(x, 0)
        left = k * np.exp(low * strict * self.inscale) * (~right).astype(dtype)
        return left + right.astype(dtype) * self.poscoef

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)


class Prelu(Op):
    """x where x > 0, else ``w * x`` (``w`` broadcast against x): torch's ``prelu``. Slope in
    x: 1 where x > 0, else w (at 0 and at NaN too); in w: x where x < 0 (and at NaN), 0 at 0,
    and no mixed second derivative at 0 (torch's)."""

    save_inputs = (0, 1)

    @half_in_float32
    def forward(self, x, w):
        dtype = np.result_type(x, w)
        positive = (x > 0).astype(dtype)
        if not np.isfinite(w).all():  # (inf * 0 would be NaN where x > 0)
            with np.errstate(invalid="ignore"):
                return np.where(x > 0, x, w * x).astype(dtype, copy=False)
        return x * (positive + w * (1 - positive))  # (x * 1 and x * w: torch's values)

    @staticmethod
    def _masks(x):
        data = _raw(x)
        dtype = _work_dtype(x)
        positive = (data > 0).astype(dtype)
        zero = (data == 0).astype(dtype)
        return positive, zero, 1 - positive - zero  # (the last: x < 0 or NaN)

    def _x_slope(self, x, w):
        positive, zero, rest = self._masks(x)
        return positive + w * rest + _raw(w) * zero  # (at 0: w's value, a constant)

    def _w_slope(self, x):
        # (min(x, 0): 0, not inf * 0, at +inf; times the mask: no slope of its own at 0)
        return np.minimum(x, 0) * self._masks(x)[2]

    def generate_adjoints(self, adjoints, delta, x, w):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * self._x_slope(x, w), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(delta * self._w_slope(x), self.in_shape(1))

    def jvp(self, tangents, x, w):
        tx, tw = tangents
        out = None if tx is None else tx * self._x_slope(x, w)
        if tw is not None:
            part = tw * self._w_slope(x)
            out = part if out is None else out + part
        return out


class Hardswish(Op):
    """x * min(max(x + 3, 0), 6) / 6: torch's ``hardswish``, its roundings (x + 3, the clamp, x
    times it, over 6). Slope torch's: 0 where x <= -3, x / 3 + 1/2 where -3 < x < 3, else 1
    (at 3 and at NaN too); the second derivative 1/3 strictly inside (-3, 3) only."""

    save_inputs = (0,)

    @half_in_float32
    def forward(self, x):
        t = x.dtype.type
        with np.errstate(invalid="ignore"):  # (-inf * 0: NaN, as torch's)
            return x * np.minimum(t(6), np.maximum(t(0), x + t(3))) / t(6)

    @staticmethod
    def _slope(x):
        data = _raw(x)
        dtype = _work_dtype(x)
        mid = (data > -3) & (data < 3)
        upper = ~(data <= -3) & ~mid  # (NaN too)
        if isinstance(x, Tensor):  # (recorded: x / 3 + 1/2 has a slope of its own)
            return np.where(mid, x / 3 + 0.5, upper.astype(dtype))
        inner = np.fmin(np.fmax(data, -3), 3) / 3 + 0.5  # (fmin, fmax: no NaN, no inf)
        return (mid * inner + upper).astype(dtype, copy=False)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)
