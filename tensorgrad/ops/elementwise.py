"""Elementwise functions of one tensor, plus maximum, minimum, clip, where, arctan2, hypot and
logaddexp.

Each op keeps what its rules need: the output for exp, tanh, sigmoid, sqrt (their
derivatives are functions of it), the input otherwise.
"""

from __future__ import annotations

import functools
import math
import operator
from math import isfinite as _isfinite
from typing import Any, NamedTuple

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import errstate as _errstate
from numpy import ndarray
from numpy import vdot as _vdot

from tensorgrad._dtypes import (
    _range,
    check_operands,
    check_python_ints,
    half_in_float32,
    is_half,
    narrow,
)
from tensorgrad._shapes import broadcast_shapes, unbroadcast
from tensorgrad.ops._base import Op, _data, binary, call, unary
from tensorgrad.tensor import Tensor, carries_derivative

_FLOAT32 = np.dtype(np.float32)

__all__ = [
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "cbrt",
    "square",
    "reciprocal",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinc",
    "deg2rad",
    "rad2deg",
    "radians",
    "degrees",
    "tanh",
    "sinh",
    "cosh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sigmoid",
    "softplus",
    "relu",
    "abs",
    "fabs",
    "sign",
    "round",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "fix",
    "erf",
    "erfinv",
    "gelu",
    "i0",
    "maximum",
    "minimum",
    "clip",
    "where",
    "arctan2",
    "hypot",
    "logaddexp",
    "logaddexp2",
]


def _takes_ints(forward):
    """Let a forward written for floating data take bool and integer data as NumPy's ufuncs
    (``np.exp``, so ``tg.exp``) do: computed in float64, returned in float16 for bool and 8-bit
    data, float32 for 16-bit, float64 above (-x would raise on bools, wrap for unsigned)."""

    @functools.wraps(forward)
    def wrapped(self, x):
        dtype = getattr(x, "dtype", None)
        if dtype is not None and dtype.kind == "f":  # (the common path: one check)
            return forward(self, x)
        x = np.asarray(x)
        if x.dtype.kind not in "biu":
            return forward(self, x)
        out = forward(self, x.astype(np.float64))
        return out.astype(np.result_type(x.dtype, np.float16), copy=False)

    return wrapped


class _SavesInput(Op):
    save_inputs = (0,)


class _SavesOutput(Op):
    save_output = True


# ----------------------------------------------------------------------------- exp and log


class Exp(_SavesOutput):
    """e ** x"""

    def forward(self, x):
        return np.exp(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = delta * out

    def jvp(self, tangents, out):
        return tangents[0] * out


class Expm1(_SavesInput):
    """e ** x - 1, accurate near 0; its slope e ** x from x (torch's 1 + the output is 0 from x =
    -37 in float64, and off by 5e-8 at -20: the 1 cancels)"""

    def forward(self, x):
        return np.expm1(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * np.exp(x)

    def jvp(self, tangents, x):
        return tangents[0] * np.exp(x)


class Log(_SavesInput):
    """natural logarithm"""

    def forward(self, x):
        return np.log(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / x

    def jvp(self, tangents, x):
        return tangents[0] / x


class Log1p(_SavesInput):
    """log(1 + x), accurate near 0"""

    def forward(self, x):
        return np.log1p(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / (x + 1)

    def jvp(self, tangents, x):
        return tangents[0] / (x + 1)


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Exp2(_SavesOutput):
    """2 ** x"""

    def forward(self, x):
        return np.exp2(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = delta * (out * _LN2)

    def jvp(self, tangents, out):
        return tangents[0] * (out * _LN2)


class Log2(_SavesInput):
    """base-2 logarithm"""

    def forward(self, x):
        return np.log2(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / (x * _LN2)

    def jvp(self, tangents, x):
        return tangents[0] / (x * _LN2)


class Log10(_SavesInput):
    """base-10 logarithm"""

    def forward(self, x):
        return np.log10(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / (x * _LN10)

    def jvp(self, tangents, x):
        return tangents[0] / (x * _LN10)


# ----------------------------------------------------------------------------- powers


def _sqrt_slope_times(delta, out):
    # NOTE: delta / (2 sqrt x) with a zero delta giving 0 at x == 0 and x < 0 (0 * inf and
    # 0 * NaN are NaN), so where(x > 0, sqrt(x), 0) and sqrt(x) * 0 have gradient 0 there. The
    # inner where keeps the second derivative finite too: the masked branch never divides by 0.
    # Only there: at x > 0 a zero delta still has its slope 1 / (2 sqrt x) for the derivatives
    # taken through this rule (a stationary point's Hessian lost its sqrt term).
    if (
        type(out) is ndarray
        and type(delta) is ndarray
        and out.size
        and np.minimum.reduce(out, axis=None) > 0
    ):  # (no zero, no NaN: nothing to mask, the common case in 2 passes instead of 8)
        return delta / (2 * out)
    idle = (delta == 0) & ~(out > 0)
    return np.where(idle, 0, delta / (2 * np.where(idle, 1, out)))


class Sqrt(_SavesOutput):
    """square root; a zero adjoint gives gradient 0 at x == 0 (else the slope there is inf)"""

    def forward(self, x):
        return np.sqrt(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = _sqrt_slope_times(delta, out)

    def jvp(self, tangents, out):
        return _sqrt_slope_times(tangents[0], out)


class Cbrt(_SavesOutput):
    """cube root (of negative x too); its slope 1 / (3 cbrt(x) ** 2), inf at 0 (as JAX's)"""

    def forward(self, x):
        return np.cbrt(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = delta / (out * out * 3.0)

    def jvp(self, tangents, out):
        return tangents[0] / (out * out * 3.0)


class Square(_SavesInput):
    """x * x"""

    def forward(self, x):
        return np.square(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * (2 * x)

    def jvp(self, tangents, x):
        return tangents[0] * (2 * x)


class Reciprocal(_SavesOutput):
    """1 / x"""

    def forward(self, x):
        return np.reciprocal(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = -delta * out * out

    def jvp(self, tangents, out):
        return -tangents[0] * out * out


# ----------------------------------------------------------------------------- trigonometric


class Sin(_SavesInput):
    """sine"""

    def forward(self, x):
        return np.sin(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * np.cos(x)

    def jvp(self, tangents, x):
        return tangents[0] * np.cos(x)


class Cos(_SavesInput):
    """cosine"""

    def forward(self, x):
        return np.cos(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = -delta * np.sin(x)

    def jvp(self, tangents, x):
        return -tangents[0] * np.sin(x)


class Tan(_SavesOutput):
    """tangent"""

    def forward(self, x):
        return np.tan(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = delta * (1 + out * out)

    def jvp(self, tangents, out):
        return tangents[0] * (1 + out * out)


class Arcsin(_SavesInput):
    """inverse sine"""

    def forward(self, x):
        return np.arcsin(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / np.sqrt(1 - x * x)

    def jvp(self, tangents, x):
        return tangents[0] / np.sqrt(1 - x * x)


class Arccos(_SavesInput):
    """inverse cosine"""

    def forward(self, x):
        return np.arccos(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = -delta / np.sqrt(1 - x * x)

    def jvp(self, tangents, x):
        return -tangents[0] / np.sqrt(1 - x * x)


class Arctan(_SavesInput):
    """inverse tangent"""

    def forward(self, x):
        return np.arctan(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / (1 + x * x)

    def jvp(self, tangents, x):
        return tangents[0] / (1 + x * x)


# sinc'(x) = x * P(x ** 2) near 0: P's coefficients (-1) ** k 2k pi ** 2k / (2k + 1)!, k = 12..1
_SINC_SERIES = tuple(
    (-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1) for k in range(12, 0, -1)
)
_SINC_NEAR = 0.5


def _sinc_slope(x):
    """d sinc / dx = (cos(pi x) - sinc(x)) / x, from its Taylor series where |x| < 0.5.

    NOTE: the quotient cancels near 0 (22 ulps at 0.1, 1.5 at 0.5, where 12 terms of the series
    are within an ulp), and is 0 / 0 at 0; the series is exact there to every order the rules
    reach, sinc''(0) = -pi ** 2 / 3 included (torch's masked quotient gives 0 for it, NaN
    under create_graph). Each branch sees only its own entries (double where): the other's
    are 1 and 0, so no inf or NaN reaches a derivative through the unused branch."""
    if is_half(x):  # (in float32, as the forward; Tensor.astype is recorded)
        x = x.astype(np.float32)
    data = x.data if isinstance(x, Tensor) else x
    near = np.abs(data) < _SINC_NEAR
    far_x = np.where(near, 1.0, x)
    far = (np.cos(far_x * math.pi) - Sinc.apply(far_x)) / far_x
    if not near.any():
        return far
    near_x = np.where(near, x, 0.0)
    z = near_x * near_x
    acc = _SINC_SERIES[0]
    for c in _SINC_SERIES[1:]:
        acc = acc * z + c
    return np.where(near, acc * near_x, far)


class Sinc(_SavesInput):
    """sin(pi x) / (pi x), 1 at 0: NumPy's normalised sinc (float16 in float32, as torch)"""

    @half_in_float32
    def forward(self, x):
        return np.sinc(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * _sinc_slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * _sinc_slope(x)


class _Scaling(Op):
    """x times a constant, NumPy's ufunc (deg2rad and its kin): linear, its adjoint itself"""

    linear = True
    ufunc: Any = None

    def forward(self, x):
        return self.ufunc(x)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = type(self).apply(delta)


class Deg2rad(_Scaling):
    """degrees to radians, x * pi / 180"""

    ufunc = np.deg2rad


class Radians(_Scaling):
    """degrees to radians, x * pi / 180 (NumPy's other name for deg2rad)"""

    ufunc = np.radians


class Rad2deg(_Scaling):
    """radians to degrees, x * 180 / pi"""

    ufunc = np.rad2deg


class Degrees(_Scaling):
    """radians to degrees, x * 180 / pi (NumPy's other name for rad2deg)"""

    ufunc = np.degrees


# ----------------------------------------------------------------------------- hyperbolic


def _finite(a: ndarray) -> bool:
    """Whether ``a`` is surely finite: one dot product (BLAS: 1.2 us on 16 values, 11 on 256x512
    float32), inf or NaN if any entry is; entries over about 1e154 (1e19 in float32) read as not
    finite, which only costs the slower exact path. (vdot copies a non-contiguous array, and
    float16's squares overflow at 256: those are tested entry by entry.)"""
    if a.dtype.itemsize >= 4:
        if a.flags.c_contiguous:
            return _isfinite(_vdot(a, a))
        if a.flags.f_contiguous:
            return _isfinite(_vdot(a.T, a.T))
    return bool(np.isfinite(a).all())


def _selected(values: Any, mask: Any) -> Any:
    """``values * mask`` (an incoming derivative times a 0/1 mask, or tie shares) with exactly
    0 where ``mask`` is 0: inf * 0 is NaN, but a masked-out entry's derivative is 0 whatever
    flows in (torch's relu, clamp and maximum rules select, they do not multiply). On Tensors (a
    recorded rule) a where selects, so that the recorded rule gives the same."""
    if type(values) is ndarray and _finite(values):
        return values * mask
    return _select(values, mask)


def _select(values: Any, mask: Any) -> Any:
    """``_selected``'s exact path, for values that may hold inf or NaN."""
    with np.errstate(invalid="ignore"):
        product = values * mask
    if isinstance(product, Tensor):
        return np.where(np.equal(mask.data if isinstance(mask, Tensor) else mask, 0), 0, product)
    return np.where(np.equal(mask, 0), np.zeros((), product.dtype), product)


class _OutputSlope(Op):
    """delta * s(y) for an activation's output y: the activation's adjoint and tangent rule as
    one op, so that higher-order graphs (hvp, double backward) hold one node for it, not three
    (``slope`` is s, ``bend`` its derivative ds/dy)."""

    save_inputs = (0, 1)
    selects = False  # (a 0/1 slope: a masked-out entry gets 0 even from an inf delta)

    @classmethod
    def of(cls, delta, y):
        """delta * s(y): plain arithmetic on arrays, this op (recorded as needed) on Tensors."""
        if isinstance(delta, Tensor) or isinstance(y, Tensor):
            return binary(cls, delta, y)
        return _selected(delta, cls.slope(y)) if cls.selects else delta * cls.slope(y)

    @classmethod
    def of_own(cls, delta, y):
        """``of`` in the activation's own adjoint rule, where ``delta`` has ``y``'s shape and
        dtype (the engine conforms it): s(y), a buffer of our own, is scaled in place."""
        if isinstance(delta, Tensor) or isinstance(y, Tensor):
            return binary(cls, delta, y)
        s = cls.slope(y)
        if cls.selects and not (type(delta) is ndarray and _finite(delta)):
            return _select(delta, s)
        if type(s) is not ndarray:  # (0-d: NumPy gives a scalar)
            return delta * s
        s *= delta  # (x * y == y * x, to the bit)
        return s

    @staticmethod
    def slope(y):
        """s(y): a new array (or a NumPy scalar for 0-d y) of y's shape and dtype."""
        raise NotImplementedError

    @staticmethod
    def bend(y):
        raise NotImplementedError

    def forward(self, delta, y):
        return self.of(delta, y)  # (arrays here: ``of``'s plain arithmetic)

    def generate_adjoints(self, adjoints, g, delta, y):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(self.of(g, y), self.in_shape(0))
        if self.edges[1] is not None:
            # (a 0/1 slope is flat: exactly 0, not delta * 0, which an infinite delta makes NaN)
            bent = self.bend(y) if self.selects else g * delta * self.bend(y)
            adjoints[1] = unbroadcast(bent, self.in_shape(1))

    def jvp(self, tangents, delta, y):
        td, ty = tangents
        out = None if td is None else self.of(td, y)
        if ty is not None:
            term = self.bend(y) if self.selects else delta * self.bend(y) * ty
            out = term if out is None else out + term
        return out


class TanhSlope(_OutputSlope):
    """delta * (1 - y ** 2): tanh's rule for its output y"""

    @staticmethod
    def slope(y):
        return 1 - y * y

    @staticmethod
    def bend(y):
        return y * -2.0


class Tanh(_SavesOutput):
    """hyperbolic tangent"""

    def forward(self, x):
        return np.tanh(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = TanhSlope.of_own(delta, out)

    def jvp(self, tangents, out):
        return TanhSlope.of(tangents[0], out)


class Sinh(_SavesInput):
    """hyperbolic sine"""

    def forward(self, x):
        return np.sinh(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * np.cosh(x)

    def jvp(self, tangents, x):
        return tangents[0] * np.cosh(x)


class Cosh(_SavesInput):
    """hyperbolic cosine"""

    def forward(self, x):
        return np.cosh(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * np.sinh(x)

    def jvp(self, tangents, x):
        return tangents[0] * np.sinh(x)


class Arcsinh(_SavesInput):
    """inverse hyperbolic sine; its slope 1 / hypot(1, x): no overflow past |x| = 1e154, where
    1 / sqrt(1 + x * x) (torch's) is 0"""

    def forward(self, x):
        return np.arcsinh(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / np.hypot(1.0, x)

    def jvp(self, tangents, x):
        return tangents[0] / np.hypot(1.0, x)


def _arccosh_slope_denominator(x):
    # sqrt(x - 1) sqrt(x + 1): no overflow past 1e154 (x * x - 1 is inf there), and x - 1 exact
    # near 1, where the slope is largest
    return np.sqrt(x - 1) * np.sqrt(x + 1)


class Arccosh(_SavesInput):
    """inverse hyperbolic cosine (x >= 1); its slope 1 / sqrt(x ** 2 - 1), inf at 1"""

    def forward(self, x):
        return np.arccosh(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / _arccosh_slope_denominator(x)

    def jvp(self, tangents, x):
        return tangents[0] / _arccosh_slope_denominator(x)


class Arctanh(_SavesInput):
    """inverse hyperbolic tangent (|x| <= 1); its slope 1 / ((1 - x)(1 + x)), exact where
    1 - x * x cancels, inf at +-1"""

    def forward(self, x):
        return np.arctanh(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta / ((1 - x) * (1 + x))

    def jvp(self, tangents, x):
        return tangents[0] / ((1 - x) * (1 + x))


# ----------------------------------------------------------------------------- activations


def _exp_neg_abs(x: np.ndarray) -> np.ndarray:
    """e ** -|x| in one fresh array (0-d too: an array, not a scalar): softplus's term that
    never overflows."""
    e = np.abs(x, out=np.empty(x.shape, x.dtype))
    np.negative(e, out=e)
    np.exp(e, out=e)
    return e


class Sigmoid(_SavesOutput):
    """1 / (1 + e ** -x), subnormal results kept where e ** -x overflows (float16 in float32,
    as torch: 1 + e rounds to 1 in float16 from x = 7.6)"""

    @_takes_ints
    @half_in_float32
    def forward(self, x):
        # NOTE: 1 / (1 + e ** -x) in four ufunc calls: as accurate as the overflow-free form it
        # replaced (1 or e ** x over 1 + e ** -|x|, nine calls; about 3.7 ulps at worst, as it
        # was) and 1.4x (512 entries) to 2.4x (1M float64) faster. Where e ** -x overflows (x
        # below -88.7 in float32, -709.8 in float64) it gives 0 where sigmoid is e ** x, a
        # subnormal (1 + e ** x rounded to 1 long before): those entries get that. (NumPy
        # reports the overflow after the exponentials are all written: no pass looks for it)
        e = np.negative(x, out=np.empty(x.shape, x.dtype.type))  # (0-d too; native order)
        overflowed: list = []
        with _errstate(over="call", call=lambda *_: overflowed.append(True)):
            np.exp(e, out=e)
        past = _flatnonzero(np.isinf(e)) if overflowed else None  # (by index: see _erf_block)
        e += 1
        np.reciprocal(e, out=e)
        if past is not None:
            e.reshape(-1)[past] = np.exp(x.reshape(-1)[past])
        return e

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = SigmoidSlope.of_own(delta, out)

    def jvp(self, tangents, out):
        return SigmoidSlope.of(tangents[0], out)


class SigmoidSlope(_OutputSlope):
    """delta * y (1 - y): sigmoid's rule for its output y"""

    @staticmethod
    def slope(y):
        return y * (1 - y)

    @staticmethod
    def bend(y):
        return 1 - y * 2.0


def softplus_array(x: np.ndarray) -> np.ndarray:
    """log(1 + e ** x) of a float array without overflow: np.logaddexp(0, x)'s formula,
    max(x, 0) + log1p(e ** -|x|), in NumPy's vector loops (logaddexp's own loop takes about
    20x as long); float32 and float16 in float64, rounded once (float32's own exp and log1p
    loops gave up to 2.7 ulps, logaddexp 1.4)."""
    if x.dtype.itemsize < 8:
        return softplus_array(x.astype(np.float64)).astype(x.dtype)
    t = _exp_neg_abs(x)
    np.log1p(t, out=t)
    t += np.maximum(x, 0)
    return t


class Softplus(_SavesInput):
    """log(1 + e ** x), computed without overflow for any x"""

    @_takes_ints
    def forward(self, x):
        return softplus_array(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * Sigmoid.apply(x)

    def jvp(self, tangents, x):
        return tangents[0] * Sigmoid.apply(x)


def _relu_slope(out):
    # NOTE: 0 where out <= 0 (the kink too), 1 elsewhere, NaN included: torch's threshold rule.
    # A ReLU's output is never below 0, so that is out != 0 (one pass); in out's dtype, as a
    # float times a float is a faster loop than a float times a bool (every ReLU's backward)
    data = out.data if isinstance(out, Tensor) else out
    return (data != 0).astype(data.dtype)


class ReluSlope(_OutputSlope):
    """delta * (y > 0): relu's rule for its output y (recorded on y, as torch's
    threshold_backward, so that a create_graph gradient is a function of the input: its own
    derivative is 0, not missing)"""

    slope = staticmethod(_relu_slope)
    selects = True

    @staticmethod
    def bend(y):
        return np.zeros_like(y.data if isinstance(y, Tensor) else y)


class Relu(_SavesOutput):
    """max(x, 0); derivative 0 at the kink x == 0, 1 at NaN (as torch)"""

    def forward(self, x):
        if type(x) is ndarray and x.dtype == _FLOAT32 and x.ndim:
            # NOTE: NumPy (2.0 to 2.4 on x86) takes max(float32 array, scalar) 2-3x slower than
            # against an array (256x512: 95 against 31 us on 2.4.6, 91 against 40 on 2.0.2); a
            # row of zeros gives the same bits, -0.0 and NaN included (float64 is faster against
            # the scalar)
            return np.maximum(x, np.zeros(x.shape[-1], _FLOAT32))
        return np.maximum(x, 0)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = ReluSlope.of_own(delta, out)

    def jvp(self, tangents, out):
        return _selected(tangents[0], _relu_slope(out))


class LeakyRelu(_SavesInput):
    """x where x > 0, else ``slope`` * x: ``tg.nn.functional.leaky_relu`` (torch's rule: the
    slope is ``slope`` at 0 and at NaN). For 0 < slope <= 1 in x's dtype (float32 for float16),
    max(x, slope x): no select, whose loop over a data-dependent mask took 7x as long (np.where,
    512 x 512 float32: 988 us). A slope past the dtype's range acts as +-inf, as NumPy casts it
    (torch refuses it); its create_graph gradient is a constant of x (torch's is recorded, with
    derivative 0: a further grad of it raises here, as an output that needs no grad)."""

    __slots__ = ("slope",)

    def __init__(self, slope: float) -> None:
        self.slope = slope

    @half_in_float32  # (x * slope rounded once, as torch's opmath)
    def forward(self, x):
        s = self.slope
        if 0 < x.dtype.type(s) <= 1:  # (not 0, nor one that rounds to 0: inf * 0 is NaN)
            return np.maximum(x, x * s)
        with np.errstate(invalid="ignore"):  # (inf * 0 where x > 0: not taken)
            return np.where(x > 0, x, x * s)

    def _slope(self, x):
        # (a constant of x, piecewise: an array also under create_graph; float32 for float16)
        data = x.data if isinstance(x, Tensor) else x
        dtype = np.float32 if is_half(data) else data.dtype
        s = self.slope
        if 0 <= s <= 1:  # max(1, s) = 1, max(0, s) = s: exact, and s at NaN
            return np.maximum((data > 0).astype(dtype), s)
        return np.where(data > 0, 1, s).astype(dtype)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)


class Elu(_SavesInput):
    """x where x > 0, else alpha (e ** x - 1): ``tg.nn.functional.elu``, x itself at +-0 for any
    alpha (as torch), its slope torch's, alpha e ** x where x <= 0, else 1 (NaN at NaN, as
    torch's vector loops). Without a select (see LeakyRelu) for an alpha finite in x's dtype:
    alpha expm1(min(x, 0)) + max(x, 0), its zeros then set apart (-0.0 + 0.0 is +0.0, and the
    min gives +0.0 for -0.0); np.where otherwise (0 * alpha would be NaN)."""

    __slots__ = ("alpha",)

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def _plain(self, dtype) -> bool:
        """Whether ``alpha`` times a number of at most 1 is finite in ``dtype``."""
        # (_range: cached, where np.finfo's lookup took 5 us)
        return math.isfinite(self.alpha) and math.fabs(self.alpha) <= _range(dtype)[1]

    @half_in_float32
    def forward(self, x):
        if not self._plain(x.dtype):
            with np.errstate(invalid="ignore"):  # (0 * alpha where x >= 0: not taken)
                e = np.expm1(np.minimum(x, 0)) * self.alpha
            return np.where(x >= 0, x, e)
        e = np.expm1(np.minimum(x, 0)) * self.alpha
        out = e + np.maximum(x, 0)
        zero = out == 0  # (x itself at +-0; elsewhere e, signed: alpha 0 or an underflow)
        if type(out) is not ndarray:
            return (x if x == 0 else e) if zero else out
        if zero.any():
            np.copyto(out, np.where(x == 0, x, e), where=zero)
        return out

    def _slope(self, x):
        if isinstance(x, Tensor):  # (recorded: its own derivative, alpha e ** x, counts)
            if is_half(x.data):  # (in float32, as the forward and the plain slope)
                from tensorgrad.ops.arithmetic import astype

                x = astype(x, np.float32)
            pos = x.data > 0  # (False at NaN: NaN there, e ** NaN)
            return where(pos, 1.0, exp(where(pos, 0.0, x)) * self.alpha)
        dtype = _FLOAT32 if is_half(x) else x.dtype
        e = np.exp(np.minimum(x, 0).astype(dtype, copy=False))
        if not self._plain(dtype):
            return np.where(x > 0, 1, e * self.alpha).astype(dtype, copy=False)
        le = (x <= 0).astype(dtype)
        e *= self.alpha
        e *= le  # (NaN at NaN: e ** NaN)
        le -= 1
        e -= le  # alpha e ** x where x <= 0, else 0 - (0 - 1) = 1
        return e

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)


def _abs_slope(x):
    # NOTE: sign(x), with 0 at the kink and at NaN (torch's sgn; np.sign(NaN) is NaN)
    data = x.data if isinstance(x, Tensor) else x
    s = np.sign(data)
    if type(s) is ndarray and s.dtype.kind == "f":
        # (NaNs sought in the result and zeroed: 0.65-0.7x the time of np.where's three passes)
        nan = np.isnan(s)
        if nan.any():
            s[nan] = 0
        return s
    return np.where(data == data, s, 0)


class AbsSlope(_OutputSlope):
    """delta * sign(x): abs's rule for its input x (recorded on x, as torch's ``grad * sgn(x)``,
    so that a create_graph gradient is a function of x: its own derivative is 0, not missing)"""

    slope = staticmethod(_abs_slope)

    @staticmethod
    def bend(y):
        return np.zeros_like(y.data if isinstance(y, Tensor) else y)

    def generate_adjoints(self, adjoints, g, delta, y):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(self.of(g, y), self.in_shape(0))
        if self.edges[1] is not None:  # (flat: exactly 0, as torch's sgn, even from an inf g)
            adjoints[1] = self.zero_adjoint(1)

    def jvp(self, tangents, delta, y):
        return None if tangents[0] is None else self.of(tangents[0], y)  # (flat in y)


class Abs(_SavesInput):
    """|x|; derivative 0 at the kink x == 0 and at NaN (as torch)"""

    def forward(self, x):
        return np.abs(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = AbsSlope.of_own(delta, x)

    def jvp(self, tangents, x):
        return AbsSlope.of(tangents[0], x)


class Fabs(Abs):
    """|x| as a float (NumPy's fabs: integers in the float dtype np.exp gives them); derivative
    0 at the kink x == 0 and at NaN, as abs"""

    def forward(self, x):
        return np.fabs(x)


class _Flat(Op):
    """A step function: derivative 0 everywhere, at the steps too (zeros, not delta * 0: an inf
    delta would give NaN), as torch's sign, round, floor, ceil and trunc."""

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = self.zero_adjoint(0)

    def jvp(self, tangents):
        return None  # (a zero tangent)


class Sign(_Flat):
    """-1, 0 or 1; derivative 0 everywhere (including 0, where it is undefined)"""

    def forward(self, x):
        return np.sign(x)


class Round(_Flat):
    """x rounded to ``decimals`` digits, half to even (NumPy's); derivative 0 everywhere"""

    __slots__ = ("decimals",)

    def __init__(self, decimals):
        self.decimals = decimals

    def forward(self, x):
        return np.round(x, self.decimals)


class Floor(_Flat):
    """the largest integer <= x (integer and bool data keep their dtype, as NumPy's);
    derivative 0 everywhere"""

    def forward(self, x):
        return np.floor(x)


class Ceil(_Flat):
    """the smallest integer >= x (integer and bool data keep their dtype, as NumPy's);
    derivative 0 everywhere"""

    def forward(self, x):
        return np.ceil(x)


class Trunc(_Flat):
    """x rounded towards 0 (integer and bool data keep their dtype, as NumPy's); derivative 0
    everywhere"""

    def forward(self, x):
        return np.trunc(x)


class Fix(Trunc):
    """x rounded towards 0, NumPy's fix (its values are trunc's); derivative 0 everywhere"""


class Rint(_Flat):
    """x rounded to the nearest integer, half to even (integers become floats, as NumPy's);
    derivative 0 everywhere"""

    def forward(self, x):
        return np.rint(x)


# ----------------------------------------------------------------------------- i0


_LONG = np.longdouble
_TWO_PI_LONG = 2 * np.longdouble("3.14159265358979323846264338327950288")


def _scaled_bessel(x: ndarray, n: int) -> ndarray:
    """I_n(x) / x ** n, the modified Bessel function of the first kind over x ** n (even in x,
    1 / (2 ** n n!) at 0), in x's floating dtype (float64 for integers).

    NOTE: float64 and wider in long double, rounded once; float32 and float16 in float64: for
    |x| <= 20 its power series (in Horner's form, 40 terms: past the last one that counts at
    20), all of whose terms are positive; past 20, the asymptotic expansion e ** x / sqrt(2 pi
    x) * sum_k (-1) ** k a_k(n) / x ** k, whose terms fall below 1e-17 before they start to grow
    there. Within 1 ulp of mpmath's for n = 0..3 on 12,000 points of [0, 714] where long double
    is x87's 80 bits (x86-64 Linux); in float64 (there, or where long double is float64:
    Windows, Apple silicon) the same sums are within about 12 ulps. Long double costs: about
    20x float64's time, several times np.i0's own."""
    x = np.asarray(x)
    dtype = np.result_type(x.dtype, np.float64) if x.dtype.kind != "f" else x.dtype
    work = _LONG if dtype.itemsize >= 8 else np.dtype(np.float64)
    a = np.abs(x.astype(work)).reshape(-1)  # (1-D: a 0-d one's ufuncs give scalars)
    out = np.empty(a.shape, work)
    near = ~(a > 20)  # (NaN too: the series keeps it)
    at = _flatnonzero(near)
    if at.size:
        acc = a[at]
        q = acc * acc
        q *= 0.25
        acc.fill(1)
        for k in range(40, 0, -1):
            acc *= q
            acc /= k * (k + n)
            acc += 1
        acc /= 2**n * math.factorial(n)
        out[at] = acc
    at = _flatnonzero(~near)
    if at.size:
        far = a[at]
        u = 1 / (8 * far)
        term, total = np.ones_like(far), np.ones_like(far)
        for k in range(1, 41):
            term *= u
            term *= ((2 * k - 1) ** 2 - 4 * n * n) / k
            total += term
        half = np.exp(far / 2)  # (e ** x in two halves: finite where I_0 is, up to 713.98)
        two_pi = _TWO_PI_LONG if work == _LONG else 2 * math.pi
        with np.errstate(invalid="ignore"):  # (inf / inf at x = inf: NaN, as np.i0 gives)
            out[at] = half * (half * total / np.sqrt(two_pi * far)) / far**n
    return narrow(out, dtype).reshape(x.shape)


class ScaledBessel(_SavesInput):
    """I_n(x) / x ** n (n = 0: NumPy's i0, the modified Bessel function of the first kind of
    order 0); its derivative is x I_{n+1}(x) / x ** (n + 1), the next one times x (i1 for n = 0),
    so that each order of derivative is one of them (float16 in float32, as torch's)"""

    __slots__ = ("n",)
    label = "i0"

    def __init__(self, n: int = 0):
        self.n = n

    @property
    def name(self) -> str:
        return "I0" if self.n == 0 else f"ScaledBessel({self.n})"

    @half_in_float32
    def forward(self, x):
        return np.i0(x) if self.n == 0 else _scaled_bessel(x, self.n)

    def _slope(self, x):
        data = x.data if isinstance(x, Tensor) else x
        if data.dtype.kind != "f":  # (an integer x: in float64, as np.i0 computes it)
            x = x.astype(np.float64)
        return x * ScaledBessel.apply(x, n=self.n + 1)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)


# ----------------------------------------------------------------------------- erf and gelu


_ERF_SLOPE = 1.1283791670955126  # d erf / dx = 2/sqrt(pi) exp(-x^2)
_ERF_BLOCK_BYTES = 1 << 17  # a work array's size per pass: each stays in the cache
_flatnonzero = np.flatnonzero  # (a module global: see the NOTE on NumPy's names in ops/_base.py)


class _ErfFit(NamedTuple):
    """erf in ``dtype`` from three polynomial fits (see the NOTE below)."""

    dtype: type
    small: float  # |x| below it: x + x * P(x^2)
    small_poly: tuple
    at_1: float  # from there up to 1.25: at_1 + Q(|x| - 1)
    mid_poly: tuple
    clamp: float  # from 1.25: 1 - exp(-s^2) * R(u), s = min(|x|, clamp), u = 1/s mapped
    u_mid: float  # onto [-1, 1] as (u - u_mid) / u_half
    u_half: float
    big_poly: tuple


# NOTE: erf from three polynomial fits (Chebyshev interpolants of erf, computed in extended
# precision, as monomials), each arranged so that its rounding errors are a small part of the
# result: for small |x|, x + x * P(x^2); up to 1.25, erf(1) + Q(|x| - 1) (erf(1) rounded to
# the dtype, the rest of it in Q's constant); from there, 1 - exp(-x^2) * R(u), R fitting
# exp(x^2) erfc(x) in u, 1/|x| mapped onto [-1, 1] from 1.25 to where erf rounds to 1 (6 in
# float64, 4 in float32: erfc(3.92) is under half an ulp of 1 there). float64: within 0.9 ulp
# of the true erf on 1.3 million points (correct rounding: 0.5), and 20-45x faster than the
# extended-precision series and continued fraction it replaces. float32 (and float16 through
# it): fits of its own, fewer terms, evaluated in float32 (1.9x faster than float64 rounded
# once, as torch's float32 erf is its own): within 0.92 ulp over every float32 from 0 to 4
# (the worst just past 1.25), correctly rounded on 94 % of them.
_ERF64 = _ErfFit(
    np.float64,
    0.84375,
    (
        8.817946268950228e-11,
        -1.2645772931877817e-09,
        1.4910112505062253e-08,
        -1.6378922884331833e-07,
        1.6463100873110717e-06,
        -1.492569856227017e-05,
        0.00012055334552877543,
        -0.0008548327057579373,
        0.005223977625923891,
        -0.02686617064517306,
        0.11283791670955327,
        -0.3761263890318376,
        0.1283791670955126,
    ),
    0.8427007929497149,
    (
        -0.00018141110334950647,
        8.34332447115008e-05,
        0.0012251674134851399,
        -0.0018849805671876919,
        -0.004777006086442636,
        0.015154712193532616,
        0.004612305297044378,
        -0.0691845828306913,
        0.06918458290428632,
        0.13836916580650252,
        -0.41510749742059583,
        0.4151074974205952,
        -2.434219232704775e-17,
    ),
    6.0,
    0.48333333333333334,
    0.3166666666666667,
    (
        -3.496438694128301e-11,
        2.403055532340659e-10,
        -5.513264511591842e-10,
        2.933237652769094e-10,
        1.5556813171002659e-09,
        -7.161351001094829e-09,
        2.1126901572632306e-08,
        -4.3211125994035984e-08,
        3.6647469592310246e-08,
        1.5727802147730286e-07,
        -9.713142978089173e-07,
        3.075712494902266e-06,
        -5.706569434366874e-06,
        -1.6040223423212374e-06,
        6.431053088935805e-05,
        -0.00029881063771079654,
        0.0007254252285990377,
        0.0005809002813304038,
        -0.018707650540190766,
        0.13723950555296546,
        0.24822427604712266,
    ),
)

_ERF32 = _ErfFit(
    np.float32,
    0.75,
    (
        -0.000675878798626902,
        0.005115657235408642,
        -0.026835274908455213,
        0.1128338976809368,
        -0.37612619697373206,
        0.12837916560453927,
    ),
    0.8427007794380188,
    (
        0.014890781931827876,
        0.004028482593691368,
        -0.06917222930314068,
        0.06920721631133742,
        0.13836895149524145,
        -0.4151077792661306,
        0.4151074984247279,
        1.406092246108992e-08,
    ),
    4.0,
    0.525,
    0.275,
    (
        2.3709522944953572e-05,
        -0.00012565587959748365,
        0.00031167308549223335,
        0.0005995650057876641,
        -0.013883944005095503,
        0.1149378313044317,
        0.26595975917816084,
    ),
)


def _horner(coefs: tuple, v: np.ndarray) -> np.ndarray:
    """The polynomial with ``coefs`` (highest power first) at ``v``, in place."""
    acc = np.full_like(v, coefs[0])
    for c in coefs[1:]:
        acc *= v
        acc += c
    return acc


def _erf(x: np.ndarray) -> np.ndarray:
    """erf within 1 ulp (NumPy has none), in blocks that stay in the cache."""
    x = np.asarray(x)
    dtype = np.result_type(x.dtype, np.float16)  # (tg.exp's dtype)
    fit = _ERF32 if dtype.itemsize <= 4 else _ERF64
    block = _ERF_BLOCK_BYTES // np.dtype(fit.dtype).itemsize
    if x.size <= block:
        return _erf_block(x, fit).astype(dtype, copy=False)
    out = np.empty(x.shape, dtype)
    flat, flat_out = x.reshape(-1), out.reshape(-1)
    for start in range(0, x.size, block):
        flat_out[start : start + block] = _erf_block(flat[start : start + block], fit)
    return out


def _erf_block(x: np.ndarray, fit: _ErfFit) -> np.ndarray:
    """erf of ``x`` in ``fit.dtype`` (see the NOTE above)."""
    shape = x.shape
    x = x.astype(fit.dtype, copy=False).reshape(-1)  # (1-D: a 0-d one's ufuncs give scalars)
    a = np.abs(x)
    out = a.copy()  # (a NaN meets no branch and stays)
    # (each branch's entries by index: a boolean mask's gather and scatter took 2-4x as long;
    # Python float constants take the array's dtype, NEP 50)
    at = _flatnonzero(a < fit.small)
    if at.size:
        s = a.take(at)
        out[at] = s + s * _horner(fit.small_poly, s * s)
    at = _flatnonzero((a >= fit.small) & (a < 1.25))
    if at.size:
        out[at] = fit.at_1 + _horner(fit.mid_poly, a.take(at) - 1.0)
    at = _flatnonzero(a >= 1.25)
    if at.size:
        s = np.minimum(a.take(at), fit.clamp)  # (inf included: erf rounds to 1 from there)
        u = 1.0 / s
        u -= fit.u_mid
        u /= fit.u_half
        out[at] = 1.0 - np.exp(-(s * s)) * _horner(fit.big_poly, u)
    return np.copysign(out, x, out=out).reshape(shape)


class Erf(_SavesInput):
    """the error function 2/sqrt(pi) * integral of e**(-t**2) from 0 to x"""

    def forward(self, x):
        return _erf(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * (_ERF_SLOPE * np.exp(-(x * x)))

    def jvp(self, tangents, x):
        return tangents[0] * (_ERF_SLOPE * np.exp(-(x * x)))


# NOTE: erfinv as |y| P(W) with W = -log(1 - y^2) (the usual variable, whose log takes the
# singularity at 1): P a polynomial in W for W < 5 (|y| < 0.9966), in sqrt(W) above, up to
# W = 37.5 (1 - |y| = 2**-53); both Chebyshev interpolants of erfinv(y) / y computed with
# mpmath and stored as monomials in their mapped variable, relative errors 6.4e-9 and 4.8e-8.
# One Halley step (erf's second derivative is -2x times its first; cubic convergence) then
# gives float64's precision: on erf itself where |y| < 0.93, above it on erfc(x) = 1 - |y|
# (exact there) with erfc from erf's tail fit, exp(-x^2) R(u), relatively accurate as 1 - |y|
# goes to 2**-53. Within 2 ulps of the true erfinv on 5,200 float64 points (torch's: 1);
# float32 and float16 computed in float64 and rounded once. In blocks, as erf.
_ERFINV_CENTER = (
    -3.333980934147317e-05,
    3.553137896647898e-05,
    0.00028407515293994956,
    -0.0008455459388864941,
    -0.00048434995073943913,
    0.00852917635520323,
    -0.019574194007114538,
    -0.026108685994254685,
    0.6166007234735243,
    1.501409359832883,
)  # in (W - 2.5) / 2.5
_ERFINV_TAIL = (
    -0.0010158460821456338,
    0.0011583553050625917,
    0.0025567058459434275,
    -0.004297271401456799,
    0.0011560512798628416,
    -2.0207361722500428e-06,
    0.0016322580517144543,
    -0.0024901064505514605,
    0.0033613448381442333,
    -0.00487641394981487,
    0.003201355720521906,
    1.9630102637138511,
    4.021423788207566,
)  # in (sqrt(W) - 4.1798961672288675) / 1.9438281897290777
_ERFINV_TAIL_MID, _ERFINV_TAIL_HALF = 4.1798961672288675, 1.9438281897290777


def _erfc_tail(s: np.ndarray) -> np.ndarray:
    """erfc(s) for s in [1.25, 6] (float64), from erf's tail fit: relatively accurate."""
    u = 1.0 / s
    u -= _ERF64.u_mid
    u /= _ERF64.u_half
    return np.exp(-(s * s)) * _horner(_ERF64.big_poly, u)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """erfinv (NaN outside [-1, 1], +-inf at +-1) in erf's dtype, computed in float64."""
    y = np.asarray(y)
    dtype = np.result_type(y.dtype, np.float16)
    flat = y.astype(np.float64).reshape(-1)
    out = np.empty(flat.shape, np.float64)
    block = _ERF_BLOCK_BYTES // 8
    for start in range(0, flat.size, block):
        out[start : start + block] = _erfinv_block(flat[start : start + block])
    return out.reshape(y.shape).astype(dtype, copy=False)


def _erfinv_block(y: np.ndarray) -> np.ndarray:
    a = np.abs(y)
    w = 1.0 - a
    with np.errstate(divide="ignore", invalid="ignore"):
        big_w = np.log(w * (2.0 - w))
    big_w *= -1.0
    out = np.where(a == 1.0, np.inf, np.nan)  # (and NaN past 1 or for NaN)
    inside = a < 1.0
    for at, tail in (
        (_flatnonzero(inside & (a < 0.93)), False),
        (_flatnonzero(inside & (a >= 0.93)), True),
    ):
        if not at.size:
            continue
        aa, ww = a.take(at), big_w.take(at)
        xs = np.empty_like(aa)
        for part, near in ((_flatnonzero(ww < 5.0), True), (_flatnonzero(ww >= 5.0), False)):
            if part.size:
                v = ww.take(part)
                if near:
                    v = _horner(_ERFINV_CENTER, (v - 2.5) / 2.5)
                else:
                    v = np.sqrt(v)
                    v -= _ERFINV_TAIL_MID
                    v /= _ERFINV_TAIL_HALF
                    v = _horner(_ERFINV_TAIL, v)
                xs[part] = v * aa.take(part)
        # one Halley step on f = erf(x) - |y|, or erfc(x) - (1 - |y|) (f' is -erf's there)
        if tail:
            r = w.take(at) - _erfc_tail(np.maximum(xs, 1.25))
        else:
            r = _erf(xs) - aa
        r /= _ERF_SLOPE * np.exp(-(xs * xs))
        xs -= r / (1.0 + xs * r)
        out[at] = xs
    return np.copysign(out, y)


class Erfinv(_SavesOutput):
    """the inverse of erf on [-1, 1]: NaN outside, +-inf at +-1"""

    def forward(self, x):
        return _erfinv(x)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = delta * (_ERFINV_SLOPE * np.exp(out * out))

    def jvp(self, tangents, out):
        return tangents[0] * (_ERFINV_SLOPE * np.exp(out * out))


_ERFINV_SLOPE = math.sqrt(math.pi) / 2  # d erfinv / dy = sqrt(pi)/2 exp(erfinv(y)^2)

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_C = math.sqrt(2.0 / math.pi)


def _gelu_slope(x, approximate: str, cdf: Any = None):
    """d gelu / dx; ``cdf``: Phi(x) as the forward computed it (arrays only), or None."""
    if is_half(x):  # (in float32, as the forward)
        x = x.astype(np.float32)
    if approximate == "tanh":
        inner = _TANH_C * (x + 0.044715 * x * x * x)
        t = np.tanh(inner)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_TANH_C * (1 + 3 * 0.044715 * x * x))
    if cdf is None:  # (on Tensors: recorded, so that its own derivative counts)
        cdf = 0.5 * (1 + Erf.apply(x * _INV_SQRT2))
    return cdf + x * (_INV_SQRT_2PI * np.exp(-0.5 * (x * x)))


class Gelu(_SavesInput):
    """x * Phi(x) (Phi the normal CDF), or its tanh approximation with approximate='tanh'.
    The forward's 1 + erf(x / sqrt 2) (2 Phi(x)) is kept for the plain rules (erf is most of
    GELU's time: a backward that computed it again took as long as the forward;
    approximate='none' only): one more array of x's shape (float32 for float16 x) until a
    backward that does not retain the graph. A write into x that its version counter cannot
    see (through ``.data``) then meets the forward's Phi(x), as layer_norm's variance."""

    __slots__ = ("approximate", "twice_cdf")
    frees = ("twice_cdf",)

    def __init__(self, approximate: str = "none"):
        if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.twice_cdf = None

    @_takes_ints
    @half_in_float32  # (1 + erf(x) cancels in float16)
    def forward(self, x):
        if self.approximate == "tanh":
            inner = _TANH_C * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + np.tanh(inner))
        self.twice_cdf = 1 + _erf(x * _INV_SQRT2)  # (kept as it is: no pass more here)
        return 0.5 * x * self.twice_cdf

    def _slope(self, x):
        # (the forward's Phi(x) where the rule runs on its arrays; recomputed, recorded, on
        # Tensors: its own derivative counts there)
        twice = None if isinstance(x, Tensor) else self.twice_cdf
        return _gelu_slope(x, self.approximate, None if twice is None else 0.5 * twice)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * self._slope(x)

    def jvp(self, tangents, x):
        return tangents[0] * self._slope(x)


# ----------------------------------------------------------------------------- binary, clip, where


def _max_masks(a, b, beaten):
    """Each argument's share of the gradient (torch's rule): all of it unless the other
    argument wins (``beaten(a, b)``: a < b for maximum), half on an exact tie, and all of it
    to both where either is NaN (no comparison holds there; the max reduction instead gives
    a NaN extreme to its NaN entries). The tangent rule is the transpose: ta + tb at a NaN,
    where torch's forward mode gives tb."""
    a = a.data if isinstance(a, Tensor) else a
    b = b.data if isinstance(b, Tensor) else b
    dtype = np.result_type(a, b)  # (the masks in it: int64 and float64 ones cost 20x the max)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    half = np.equal(a, b).astype(dtype)
    half *= 0.5
    mask_a = np.subtract(1, beaten(a, b), dtype=dtype)
    mask_a -= half
    mask_b = np.subtract(1, beaten(b, a), dtype=dtype)
    mask_b -= half
    return mask_a, mask_b


class Maximum(Op):
    """elementwise max(a, b); ties give each argument half the gradient, a NaN all of it to
    both (as torch)"""

    save_inputs = (0, 1)
    beaten = staticmethod(np.less)

    def forward(self, a, b):
        return np.maximum(a, b)

    def generate_adjoints(self, adjoints, delta, a, b):
        mask_a, mask_b = _max_masks(a, b, self.beaten)
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(_selected(delta, mask_a), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(_selected(delta, mask_b), self.in_shape(1))

    def jvp(self, tangents, a, b):
        mask_a, mask_b = _max_masks(a, b, self.beaten)
        ta, tb = tangents
        # (the tangent multiplies, as torch's forward rule: only the adjoints select)
        if ta is None:
            return tb * mask_b
        return ta * mask_a if tb is None else ta * mask_a + tb * mask_b


class Minimum(Maximum):
    """elementwise min(a, b); ties give each argument half the gradient, a NaN all of it to
    both (as torch)"""

    beaten = staticmethod(np.greater)

    def forward(self, a, b):
        return np.minimum(a, b)


# (whether np.clip, given two Python-number bounds, gives the bound at a tie with x, as NumPy 2.0
# does; 2.4 gives x)
_CLIP_TAKES_TIED_BOUND = not np.signbit(np.clip(np.array([-0.0]), 0.0, 1.0))[0]
_WIDE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _plain_number(v: Any) -> bool:
    """None, a Python float or an int NumPy takes as a weak scalar (no bool)."""
    return v is None or type(v) is float or (type(v) is int and -(2**63) <= v < 2**63)


class Clip(_SavesInput):
    """x limited to [lo, hi]; derivative 1 strictly inside, 0 outside, at the bounds (API.md;
    torch gives 1 there), at NaN and where a bound is NaN (as torch)"""

    __slots__ = ("lo", "hi", "result_dtype")

    def __init__(self, lo, hi):
        self.lo = lo
        self.hi = hi

    @property
    def frees(self) -> tuple[str, ...]:
        # array bounds (as large as x, perhaps) go after backward; numbers stay, for display
        return tuple(k for k in ("lo", "hi") if np.ndim(getattr(self, k)) > 0)

    def forward(self, x):
        lo, hi = self.lo, self.hi
        if (
            type(x) is ndarray
            and x.dtype in _WIDE_FLOATS
            and _plain_number(lo)
            and _plain_number(hi)
            and (lo is None or hi is None or _CLIP_TAKES_TIED_BOUND)
        ):
            # x where it is not outside the bounds, as torch's clamp: -0.0 stays -0.0 at a bound
            # of 0, which np.clip's one-bound form and NumPy 2.0's two-bound form gave as 0.0
            # (float32 and float64 maximum and minimum give their second argument at a tie;
            # Python-number bounds keep x's dtype, so nothing is rounded before it widens)
            out = x if lo is None else np.maximum(lo, x)
            if hi is not None:
                if lo is not None and type(out) is ndarray:  # (a fresh array: taken in place)
                    np.minimum(hi, out, out=out)
                else:  # (x itself, or a 0-d result NumPy gave as a scalar)
                    out = np.minimum(hi, out)
        else:
            out = np.clip(x, lo, hi)
        if not hasattr(out, "dtype"):  # (a Python int past int64 is clipped as an object)
            out = np.asarray(out)
        self.result_dtype = out.dtype  # (the dtype its comparisons were made in: see _inside)
        return out

    def _inside(self, x):
        lo, hi = self.lo, self.hi
        data = x.data if isinstance(x, Tensor) else x
        if data.dtype != self.result_dtype:
            # x in the result's dtype, as the forward compared (a float16 x of 2 is inside a
            # float32 bound of 2.0004, which rounds to 2 in float16); a Python-number bound is
            # then taken in that dtype, an array bound promotes to it, as in the forward
            x = data.astype(self.result_dtype)
        inside = True
        if lo is not None:
            inside = x > lo
        if hi is not None:
            inside = inside & (x < hi) if lo is not None else x < hi
        return inside

    def generate_adjoints(self, adjoints, delta, x):
        # NOTE: array bounds may broadcast x to a larger shape, as np.clip does
        inside = self._inside(x)
        adjoints[0] = unbroadcast(_selected(delta, inside), self.in_shape(0))

    def jvp(self, tangents, x):
        inside = self._inside(x)
        return _selected(tangents[0], inside)


class Where(Op):
    """a where cond else b (no gradient to cond)"""

    save_inputs = (0,)

    def forward(self, cond, a, b):
        if type(a) is int or type(b) is int:
            # (NumPy before 2.5 wraps one out of an integer branch's range; 2.5 refuses it, past
            # int64 in its own words): the other branch's dtype is the result's
            other = b if type(a) is int else a
            dtype = getattr(other, "dtype", None)
            if type(other) in (int, bool) or (dtype is not None and dtype.kind == "b"):
                dtype = np.dtype(np.int_)  # (NumPy's default integer, the result's)
            if dtype is not None:
                check_python_ints(dtype, (a, b))
        return np.where(cond, a, b)

    def generate_adjoints(self, adjoints, delta, cond):
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(np.where(cond, delta, 0), self.in_shape(1))
        if self.edges[2] is not None:
            adjoints[2] = unbroadcast(np.where(cond, 0, delta), self.in_shape(2))

    def jvp(self, tangents, cond):
        _, ta, tb = tangents
        return np.where(cond, 0 if ta is None else ta, 0 if tb is None else tb)


# ------------------------------------------------------------------- arctan2, hypot, logaddexp


def _over(num, den):
    """num / den, with 0 where den is 0 (double where: the masked entries divide by 1, so that
    no inf or NaN reaches a higher derivative through them)."""
    zero = np.equal(_data(den), 0)
    if not zero.any():
        return num / den
    return np.where(zero, 0, num / np.where(zero, 1, den))


class Arctan2(Op):
    """the angle of the point (x, y) (NumPy's arctan2(y, x)); derivatives x / r ** 2 in y and
    -y / r ** 2 in x (r = hypot(x, y), no square to overflow), 0 at the origin (as torch)"""

    save_inputs = (0, 1)

    def forward(self, y, x):
        return np.arctan2(y, x)

    def generate_adjoints(self, adjoints, delta, y, x):
        r = np.hypot(y, x)
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * _over(_over(x, r), r), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(-delta * _over(_over(y, r), r), self.in_shape(1))

    def jvp(self, tangents, y, x):
        ty, tx = tangents
        r = np.hypot(y, x)
        result = None if ty is None else ty * _over(_over(x, r), r)
        if tx is not None:
            term = tx * _over(_over(y, r), r)
            result = -term if result is None else result - term
        return result


class Hypot(Op):
    """sqrt(a ** 2 + b ** 2) without overflow (NumPy's); derivatives a / r and b / r, 0 at the
    origin (as ``norm``'s; torch's are NaN there)"""

    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        return np.hypot(a, b)

    @staticmethod
    def _slope(a, b, out):
        if isinstance(a, Tensor) or isinstance(b, Tensor):  # (recorded: see HypotSlope)
            return HypotSlope.apply(a, b)
        return _over(a, out)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * self._slope(a, b, out), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(delta * self._slope(b, a, out), self.in_shape(1))

    def jvp(self, tangents, a, b, out):
        ta, tb = tangents
        result = None if ta is None else ta * self._slope(a, b, out)
        if tb is not None:
            term = tb * self._slope(b, a, out)
            result = term if result is None else result + term
        return result


class HypotSlope(Op):
    """a / hypot(a, b), 0 at the origin: hypot's slope as one op (as recorded rules use it),
    whose own derivatives, b ** 2 / r ** 3 and -a b / r ** 3, are taken as (b / r) ** 2 / r and
    -(a / r)(b / r) / r. (Through a / r's own graph, 1 / r - a ** 2 / r ** 3 cancels where
    |b| << |a|: hypot's second derivative was 7e-9 off in float64, 0.1 in float32, as torch's.)"""

    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        return _over(a, np.hypot(a, b))

    def _bends(self, a, b, out):
        r = np.hypot(a, b)
        other = HypotSlope.apply(b, a)
        return _over(other * other, r), _over(out * other, r)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        in_a, in_b = self._bends(a, b, out)
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * in_a, self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(-delta * in_b, self.in_shape(1))

    def jvp(self, tangents, a, b, out):
        ta, tb = tangents
        in_a, in_b = self._bends(a, b, out)
        result = None if ta is None else ta * in_a
        if tb is not None:
            term = tb * in_b
            result = -term if result is None else result - term
        return result


class Logaddexp(Op):
    """log(e ** a + e ** b) without overflow (NumPy's); derivatives the softmax weights
    sigmoid(a - b) and sigmoid(b - a), torch's: NaN where a and b are the same infinity (as
    torch's and JAX's at -inf). (Not e ** (a - out), JAX's: out's rounding error is all of
    a - out's for large a and b, 2.4e-7 off at 1e10.)"""

    save_inputs = (0, 1)
    scale = 1.0  # (the weights are sigmoid(scale (a - b)))

    def forward(self, a, b):
        return np.logaddexp(a, b)

    def _weight(self, a, b):
        return LogaddexpWeight.apply(a - b, scale=self.scale)

    def generate_adjoints(self, adjoints, delta, a, b):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * self._weight(a, b), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(delta * self._weight(b, a), self.in_shape(1))

    def jvp(self, tangents, a, b):
        ta, tb = tangents
        result = None if ta is None else ta * self._weight(a, b)
        if tb is not None:
            term = tb * self._weight(b, a)
            result = term if result is None else result + term
        return result


class LogaddexpWeight(Op):
    """sigmoid(scale d), logaddexp's weight of a for d = a - b (scale log 2 for logaddexp2), as
    one op whose slope is scale w(d) w(-d), both weights computed: sigmoid's own rule, y (1 - y),
    cancels where y is near 1 (logaddexp's second derivative was 1.6e-12 off in float64, 8e-4 in
    float32, where torch's is within 1e-15 and 6e-7)"""

    __slots__ = ("scale",)
    save_inputs = (0,)
    save_output = True

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def forward(self, d):
        return Sigmoid.apply(d if self.scale == 1.0 else d * self.scale)

    def _slope(self, d, out):
        slope = out * LogaddexpWeight.apply(-d, scale=self.scale)
        return slope if self.scale == 1.0 else slope * self.scale

    def generate_adjoints(self, adjoints, delta, d, out):
        adjoints[0] = delta * self._slope(d, out)

    def jvp(self, tangents, d, out):
        return tangents[0] * self._slope(d, out)


class Logaddexp2(Logaddexp):
    """log2(2 ** a + 2 ** b) without overflow (NumPy's); derivatives sigmoid((a - b) log 2) and
    sigmoid((b - a) log 2)"""

    scale = _LN2

    def forward(self, a, b):
        return np.logaddexp2(a, b)


# ----------------------------------------------------------------------------- public functions

exp = unary(Exp, "exp")
exp2 = unary(Exp2, "exp2")
expm1 = unary(Expm1, "expm1")
log = unary(Log, "log")
log2 = unary(Log2, "log2")
log10 = unary(Log10, "log10")
log1p = unary(Log1p, "log1p")
sqrt = unary(Sqrt, "sqrt")
cbrt = unary(Cbrt, "cbrt")
square = unary(Square, "square")
reciprocal = unary(Reciprocal, "reciprocal")
sin = unary(Sin, "sin")
cos = unary(Cos, "cos")
tan = unary(Tan, "tan")
arcsin = unary(Arcsin, "arcsin")
arccos = unary(Arccos, "arccos")
arctan = unary(Arctan, "arctan")
sinc = unary(Sinc, "sinc")
deg2rad = unary(Deg2rad, "deg2rad")
radians = unary(Radians, "radians")
rad2deg = unary(Rad2deg, "rad2deg")
degrees = unary(Degrees, "degrees")
tanh = unary(Tanh, "tanh")
sinh = unary(Sinh, "sinh")
cosh = unary(Cosh, "cosh")
arcsinh = unary(Arcsinh, "arcsinh")
arccosh = unary(Arccosh, "arccosh")
arctanh = unary(Arctanh, "arctanh")
sigmoid = unary(Sigmoid, "sigmoid")
softplus = unary(Softplus, "softplus")
relu = unary(Relu, "relu")
abs = unary(Abs, "abs")  # noqa: A001 - NumPy's name
fabs = unary(Fabs, "fabs")
sign = unary(Sign, "sign")
floor = unary(Floor, "floor")
ceil = unary(Ceil, "ceil")
trunc = unary(Trunc, "trunc")
rint = unary(Rint, "rint")
fix = unary(Fix, "fix")


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001
    """``x`` rounded to ``decimals`` digits, half to even, as ``np.round``; the gradient is 0
    (a step function, as torch's ``round``)."""
    try:
        decimals = operator.index(decimals)
    except TypeError:
        raise TypeError(f"round: decimals must be an int, got {decimals!r}") from None
    return call(Round, x, decimals=decimals)


erf = unary(Erf, "erf")
erfinv = unary(Erfinv, "erfinv")
i0 = unary(ScaledBessel, "i0")


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x * Phi(x); ``approximate='tanh'`` uses the tanh approximation (as torch)."""
    return call(Gelu, x, approximate=approximate)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; ties split the gradient half and half, and where either argument is
    NaN (the result is NaN) both get all of it, as torch."""
    return binary(Maximum, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; ties split the gradient half and half, and where either argument is
    NaN (the result is NaN) both get all of it, as torch."""
    return binary(Minimum, a, b)


def clip(x: Any, a_min: Any = None, a_max: Any = None, **bounds: Any) -> Tensor:
    """Limit ``x`` to [a_min, a_max] (or the keywords ``min=`` and ``max=``, as
    ``ndarray.clip`` and torch's ``clip``). A bound that is a Tensor requiring grad (or
    carrying a tangent) gets the gradient where it is the result, as with torch's ``clamp``;
    at a tie with ``x`` the bound takes it (torch gives it to ``x``, whose derivative is 0 at
    the bounds here); other bounds are constants."""
    if bounds:
        unknown = set(bounds) - {"min", "max"}
        if unknown:
            raise TypeError(f"clip: unexpected keyword argument {sorted(unknown)[0]!r}")
        if a_min is not None or a_max is not None:
            raise TypeError("clip: give the bounds as a_min and a_max or as min= and max=")
        a_min, a_max = bounds.get("min"), bounds.get("max")
    if a_min is None and a_max is None:
        raise ValueError("clip: at least one of a_min and a_max must be given")
    # (array bounds are copied: the rules must see the bounds the forward used, even if the
    # caller writes into its arrays before backward)
    lo = _own(a_min.data if isinstance(a_min, Tensor) else a_min)
    hi = _own(a_max.data if isinstance(a_max, Tensor) else a_max)
    bounds_given = tuple(v if v is not None else 0.0 for v in (lo, hi))  # (one side open)
    check_operands("clip", (x, *bounds_given), ("x", "a_min", "a_max"))
    if type(lo) is int or type(hi) is int:  # (NumPy 2.1+ takes one out of range, 2.0 refused it)
        _check_int_bounds(_data(x), lo, hi)
    try:
        out = call(Clip, x, lo=lo, hi=hi)
    except ValueError:
        broadcast_shapes(*(np.shape(_data(v)) for v in (x, lo, hi) if v is not None), op="clip")
        raise
    if not (carries_derivative(a_min) or carries_derivative(a_max)):
        return out
    # where the result is a bound, it is that bound (np.clip is minimum(maximum(x, lo), hi));
    # a NaN in x or in a bound gives no gradient to anything, as Clip's rule
    # (compared in the result's dtype, as the forward computed: a uint8 x and a bound of -1
    # raise in uint8; float16 bounds 2 and 2.0004 are equal in float16, not in a float32 result)
    dtype = out.dtype
    with np.errstate(invalid="ignore", over="ignore"):  # (a bound out of range: warned above)
        xd, lo, hi = (
            v if v is None else np.asarray(v).astype(dtype, copy=False)
            for v in (x.data if isinstance(x, Tensor) else x, lo, hi)
        )
        if carries_derivative(a_max):
            out = where((xd if lo is None else np.maximum(xd, lo)) >= hi, a_max, out)
        if carries_derivative(a_min):
            out = where((xd <= lo) & (True if hi is None else lo < hi), a_min, out)
    return out


def _check_int_bounds(x: Any, lo: Any, hi: Any) -> None:
    """Refuse a Python int bound that clip's integer result cannot hold (its dtype: x's and the
    other bound's; a Python int is weak), as torch."""
    try:  # (a Python-int x is an int64 array: only the bounds are weak)
        others = [
            v if isinstance(v, (float, np.generic, ndarray)) else np.asarray(v)
            for v in (x, *(b for b in (lo, hi) if type(b) is not int))
            if v is not None
        ]
        dtype = np.result_type(*others) if others else None
    except (TypeError, ValueError):  # (NumPy's own error follows)
        return
    if dtype is not None:
        try:
            check_python_ints(dtype, (lo, hi))
        except OverflowError as exc:
            raise ValueError(f"clip: {exc}") from None


def _own(value: Any) -> Any:
    """``value``, copied if it is an ndarray (a caller could write into it later)."""
    return value.copy() if isinstance(value, np.ndarray) else value


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` is true, else ``b``, broadcasting all three.

    Both branches are computed: for ``where(x > 0, log(x), 0)`` the gradient of the untaken
    branch is multiplied by 0, and 0 * inf is NaN. Use the double-where idiom:
    ``safe = where(x > 0, x, 1); where(x > 0, log(safe), 0)`` (``sqrt`` needs none: its gradient
    is 0 wherever the incoming one is).
    """
    c = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    check_operands("where", (c,), ("condition",))
    c = c.astype(bool)  # (a copy: a later write into the caller's condition changes no rule)
    try:
        return call(Where, c, a, b)
    except ValueError:
        broadcast_shapes(*(np.shape(_data(v)) for v in (c, a, b)), op="where")
        raise


def arctan2(y: Any, x: Any) -> Tensor:
    """The angle of the point (x, y) from the positive x axis, in [-pi, pi] (NumPy's
    ``arctan2(y, x)``: y first); its gradient is 0 at the origin, as torch's."""
    return binary(Arctan2, y, x)


def hypot(a: Any, b: Any) -> Tensor:
    """sqrt(a ** 2 + b ** 2) without overflow; its gradient is 0 at a = b = 0, as ``norm``'s."""
    return binary(Hypot, a, b)


def logaddexp(a: Any, b: Any) -> Tensor:
    """log(e ** a + e ** b) without overflow; its gradient is the softmax weights of (a, b)."""
    return binary(Logaddexp, a, b)


def logaddexp2(a: Any, b: Any) -> Tensor:
    """log2(2 ** a + 2 ** b) without overflow; its gradient is the base-2 softmax weights."""
    return binary(Logaddexp2, a, b)
