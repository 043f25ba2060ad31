"""Arithmetic: add subtract multiply divide floor_divide remainder fmod negative power float_power
ldexp copysign heaviside, astype, and comparisons."""

from __future__ import annotations

from typing import Any

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import add as _np_add
from numpy import asarray, ndarray
from numpy import multiply as _np_multiply

from tensorgrad._dtypes import check_dtype, kind_of
from tensorgrad._shapes import broadcast_shapes, expand_to, unbroadcast
from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import _INT_MIN, Op, _data, apply1, binary, call, unary
from tensorgrad.ops.elementwise import _OutputSlope, _selected
from tensorgrad.tensor import Tensor, make_tensor

__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "floor_divide",
    "remainder",
    "fmod",
    "power",
    "float_power",
    "ldexp",
    "copysign",
    "heaviside",
    "negative",
    "astype",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "equal",
    "not_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
]


# ----------------------------------------------------------------------------- add, subtract


class Add(Op):
    """a + b"""

    linear = True

    def forward(self, a, b):
        return _np_add(a, b)

    def generate_adjoints(self, adjoints, delta):
        a, b = self.edges
        if a is not None:
            adjoints[0] = unbroadcast(delta, self.in_shape(0))
        if b is not None:
            adjoints[1] = unbroadcast(delta, self.in_shape(1))


class Subtract(Op):
    """a - b"""

    linear = True

    def forward(self, a, b):
        return np.subtract(a, b)

    def generate_adjoints(self, adjoints, delta):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta, self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(-delta, self.in_shape(1))


class Negative(Op):
    """-a"""

    linear = True

    def forward(self, a):
        return np.negative(a)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = -delta


# ----------------------------------------------------------------------------- multiply, divide


class Multiply(Op):
    """a * b"""

    save_inputs = (0, 1)
    trims = True

    def trimmed(self, inputs):
        # NOTE: a's adjoint reads b and b's reads a: x * constant keeps only the constant, so
        # writing into x in place later is fine, as in torch
        a, b = inputs
        return (a if self.edges[1] is not None else None, b if self.edges[0] is not None else None)

    def forward(self, a, b):
        return _np_multiply(a, b)

    def generate_adjoints(self, adjoints, delta, a, b):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * b, self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(delta * a, self.in_shape(1))

    def jvp(self, tangents, a, b):
        ta, tb = tangents
        if ta is None:
            return a * tb
        return ta * b if tb is None else ta * b + a * tb


class Scale(Op):
    """x * c for a Python float c (saves nothing: the adjoint is delta * c)"""

    __slots__ = ("c",)
    label = "multiply"
    linear = True

    def __init__(self, c):
        self.c = c

    @property
    def name(self) -> str:
        return f"Scale({self.c:g})"  # the constant shows in graph pictures and errors

    def forward(self, x):
        return _np_multiply(x, self.c)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = delta * self.c


class Divide(Op):
    """a / b"""

    save_inputs = (0, 1)
    trims = True

    def trimmed(self, inputs):
        # NOTE: the inputs are kept, as torch keeps them, not the quotient, and a only when b
        # needs grad: x / c keeps c alone, so writing into the quotient (or x) later is fine
        a, b = inputs
        return (a if self.edges[1] is not None else None, b)

    def forward(self, a, b):
        return np.true_divide(a, b)

    def generate_adjoints(self, adjoints, delta, a, b):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta / b, self.in_shape(0))
        if self.edges[1] is not None:
            # NOTE: -delta * ((a / b) / b), not (delta / b) * (a / b): for 0 / a subnormal b,
            # delta / b overflows and inf * 0 is NaN, where the derivative -a / b**2 is 0
            # (torch: -0.0)
            adjoints[1] = unbroadcast(-delta * ((a / b) / b), self.in_shape(1))

    def jvp(self, tangents, a, b):
        ta, tb = tangents
        if tb is None:
            return ta / b
        out = a / b
        return -(out * tb) / b if ta is None else (ta - out * tb) / b


class FloorDivide(Op):
    """a // b (NumPy's floor division): a step function of a and b, derivative 0 (torch has no
    derivative for it; 0 is the derivative almost everywhere)"""

    def forward(self, a, b):
        return np.floor_divide(a, b)

    def generate_adjoints(self, adjoints, delta):
        for i in (0, 1):
            if self.edges[i] is not None:
                adjoints[i] = self.zero_adjoint(i)

    def jvp(self, tangents):
        return None  # (a zero tangent)


class Remainder(Op):
    """a % b (NumPy's: the sign of b) = a - b floor(a / b); the derivative is 1 in a and
    -floor(a / b) in b (floor(a / b) is piecewise constant: a constant to every order)"""

    save_inputs = (0, 1)
    trims = True

    def trimmed(self, inputs):
        # (a's adjoint reads nothing: with b needing no grad, nothing is kept)
        return inputs if self.edges[1] is not None else (None, None)

    def forward(self, a, b):
        return np.remainder(a, b)

    @staticmethod
    def _quotient(a, b):
        return np.floor_divide(_data(a), _data(b))  # (an array: constant to every order)

    def generate_adjoints(self, adjoints, delta, a, b):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta, self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(-delta * self._quotient(a, b), self.in_shape(1))

    def jvp(self, tangents, a, b):
        ta, tb = tangents
        q = self._quotient(a, b)
        if tb is None:
            return expand_to(ta, q.shape)
        return -tb * q if ta is None else ta - tb * q


class Fmod(Op):
    """C's fmod, with the sign of a (NumPy's ``fmod``) = a - b trunc(a / b); the derivative is 1
    in a and -trunc(a / b) in b, the quotient the forward used: torch's and JAX's trunc(a / b)
    in floating point can be one off (-10 at fmod(1, 0.1), whose value is 1 - 9 * 0.1)"""

    save_inputs = (0, 1)
    save_output = True  # (the quotient comes from it: np.fmod again took a third of the time)
    trims = True

    def trimmed(self, inputs):
        # (a's adjoint reads nothing: with b needing no grad, nothing is kept but the output)
        return inputs if self.edges[1] is not None else (None, None)

    def forward(self, a, b):
        return np.fmod(a, b)

    @staticmethod
    def _quotient(a, b, out):
        # (a - out is b times an integer, up to a rounding: rint takes it away; an array, a
        # constant to every order)
        a, b, out = _data(a), _data(b), _data(out)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.rint((a - out) / b)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta, self.in_shape(0))
        if self.edges[1] is not None:
            q = self._quotient(a, b, out)
            adjoints[1] = unbroadcast(-delta * q, self.in_shape(1))

    def jvp(self, tangents, a, b, out):
        ta, tb = tangents
        if tb is None:
            return ta
        q = self._quotient(a, b, out)
        return -tb * q if ta is None else ta - tb * q


# ----------------------------------------------------------------------------- copysign, heaviside


class Copysign(Op):
    """|a| with the sign of b; derivative 1 in a where their signs agree, -1 where they do not
    (+-1 at an infinite a too, where torch's out / a is NaN), 0 at a == 0 (the kink, as torch's
    and abs's), and 0 in b"""

    save_inputs = (0, 1)
    trims = True

    def trimmed(self, inputs):
        # (b's adjoint reads nothing: with a needing no grad, nothing is kept)
        return inputs if self.edges[0] is not None else (None, None)

    @staticmethod
    def _slope(a, b):
        a, b = _data(a), _data(b)
        dtype = np.result_type(a, b)
        if dtype.kind != "f":
            dtype = np.dtype(np.float64)
        flipped = np.not_equal(np.signbit(a), np.signbit(b))
        slope = np.subtract(1, 2 * flipped, dtype=dtype)
        return np.where(np.equal(a, 0), np.zeros((), dtype), slope)

    def forward(self, a, b):
        return np.copysign(a, b)

    def generate_adjoints(self, adjoints, delta, a, b):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(_selected(delta, self._slope(a, b)), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = self.zero_adjoint(1)

    def jvp(self, tangents, a, b):
        ta = tangents[0]
        return None if ta is None else _selected(ta, self._slope(a, b))


class Heaviside(Op):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0 (NumPy's ``heaviside``); derivative 0 in
    x1 (a step), and 1 in x2 where x1 == 0, where the result is x2 (JAX's; torch has none)"""

    save_inputs = (0,)
    trims = True

    def trimmed(self, inputs):
        # (x1 only for x2's adjoint: x1's own is zeros)
        return (inputs[0] if self.edges[1] is not None else None,)

    def forward(self, x1, x2):
        return np.heaviside(x1, x2)

    @staticmethod
    def _at_zero(x1):
        return np.equal(_data(x1), 0)

    def generate_adjoints(self, adjoints, delta, x1):
        if self.edges[0] is not None:
            adjoints[0] = self.zero_adjoint(0)
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(np.where(self._at_zero(x1), delta, 0), self.in_shape(1))

    def jvp(self, tangents, x1):
        t2 = tangents[1]
        return None if t2 is None else np.where(self._at_zero(x1), t2, 0)


# ----------------------------------------------------------------------------- power


_INT64_MAX = 2**63 - 1


def _power_dy(x, y, out):
    # NOTE: d(x ** y)/dy = x ** y * log(x), as torch's: 0 where x == 0 and y >= 0 (0 ** y is
    # flat in y there; the log sees 1 instead, so that no 0 * inf reaches a second
    # derivative), +-inf where 0 ** y is infinite (y < 0), and NaN for a negative base (a real
    # power only at integer y, with no derivative in y: torch, JAX and autograd give NaN) and
    # for a NaN base (NaN ** 0 is 1, but its slope in y is NaN).
    if type(x) is int and not _INT_MIN <= x <= _INT64_MAX:
        # (where() would wrap it into int64 from 2 ** 63, or raise past 2 ** 64: its log in
        # float64, whatever the output's dtype, as an int64 base's is)
        x = float(x)
    flat = (x == 0) & (y >= 0)
    base = np.where(flat, 1, x)
    # (the log at least as wide as the result: a uint8 base's own log is float16)
    wide = np.result_type(base.dtype, out.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return out * np.log(base if base.dtype == wide else base.astype(wide))


def _power_dx(x, y, out):
    # NOTE: y * x ** (y - 1) with the y == 0 case pinned to 0, so x ** 0 has slope 0 at x == 0.
    # The base is replaced by 1 where y == 0 (double where) so that 0 ** -1 = inf never enters
    # the masked branch: its second derivative would be 0 * inf = NaN. As torch's rule, the pin
    # drops the mixed partial d/dy (y * x ** (y - 1)) = 1 / x at y == 0 from derivatives taken
    # through this rule (hessian's x row and hvp, reverse over forward; torch.func's jvp of
    # grad keeps it), documented in API.md: keeping the term instead gave NaN at small x one
    # order up (0 times an overflowed x ** (y - 2)). A narrower integer exponent counts in
    # int64: int8 -128 - 1 would wrap to 127 (an integer still, so that a NumPy scalar's y - 1
    # stays a recorded Power on Tensors, not a constant exponent).
    flat = y == 0
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind in "biu" and dtype.itemsize < 8:
        y = y.astype(np.int64)
    elif dtype is not None and dtype.kind == "f" and out.dtype.itemsize > dtype.itemsize:
        y = y.astype(out.dtype)  # (a float16 exponent's y - 1 in float16 rounds)
    return np.where(flat, 0, y * np.where(flat, 1, x) ** (y - 1))


class Power(Op):
    """a ** b (the exponent may be a tensor too)."""

    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        return np.power(a, b)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(delta * _power_dx(a, b, out), self.in_shape(0))
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(delta * _power_dy(a, b, out), self.in_shape(1))

    def jvp(self, tangents, a, b, out):
        ta, tb = tangents
        result = None if ta is None else ta * _power_dx(a, b, out)
        if tb is not None:
            extra = tb * _power_dy(a, b, out)
            result = extra if result is None else result + extra
        return result


def _in_dtype(x: Any, dtype: np.dtype) -> Any:
    """An array or Tensor operand in the floating ``dtype`` (recorded for a Tensor); a Python
    number as it is."""
    have = getattr(x, "dtype", None)
    if have is None or have == dtype:
        return x
    return astype(x, dtype) if isinstance(x, Tensor) else np.asarray(x).astype(dtype)


class FloatPower(Power):
    """a ** b computed in float64 (long double stays), NumPy's ``float_power``: the rules of
    ``power``, taken in that dtype too, so the gradients of float32 operands are float64's
    rounded once (torch's float_power casts the same way)"""

    def forward(self, a, b):
        return np.float_power(a, b)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        dtype = out.dtype
        super().generate_adjoints(adjoints, delta, _in_dtype(a, dtype), _in_dtype(b, dtype), out)

    def jvp(self, tangents, a, b, out):
        dtype = out.dtype
        return super().jvp(tangents, _in_dtype(a, dtype), _in_dtype(b, dtype), out)


class Ldexp(Op):
    """x * 2 ** i for integers i, exact (NumPy's ``ldexp``): linear in x, its gradient
    ldexp(delta, i); i is an integer, with no gradient"""

    save_inputs = (1,)

    def forward(self, x, i):
        return np.ldexp(x, i)

    def generate_adjoints(self, adjoints, delta, i):
        adjoints[0] = unbroadcast(Ldexp.apply(delta, i), self.in_shape(0))

    def jvp(self, tangents, i):
        tx = tangents[0]
        return None if tx is None else Ldexp.apply(tx, i)


def _signed_power(a: Any, p: int | float) -> Any:
    """a ** p as |a| ** p with a's sign where p is odd, or None where NumPy's own pow is as
    good: for a float32 or float64 array holding a negative entry (past 256 entries) and an
    integer p past NumPy's fast -1, 0, 1, 2 that a's dtype holds exactly (NumPy rounds p to it
    first: 2 ** 25 + 1 is even in float32). NumPy's pow takes a slow path for a negative base,
    12-50x as long (x ** 3 at 256 x 256 float32 3.1 ms against 63 us); |a| ** p is within an
    ulp, as pow is for a positive base. NaN keeps its sign, as pow's. (The test for a negative
    entry costs 10-15 % of a positive base's pow.)"""
    if type(a) is not ndarray or a.dtype.kind != "f" or a.size < 256 or p in (-1, 0, 1, 2):
        return None
    if a.dtype.itemsize not in (4, 8):  # (float16's pow is float32's; long double's is its own)
        return None
    if type(p) is float:
        if not p.is_integer():
            return None
    elif type(p) is not int:  # (a NumPy number keeps NumPy's promotion)
        return None
    if not -(2**53) < p < 2**53 or float(a.dtype.type(p)) != p or not (a < 0).any():
        return None
    # (in place in one fresh array of a's layout: pow into a fresh array of its own took 2.6x
    # as long at 256 x 256 float64)
    out = np.abs(a, out=np.empty_like(a, dtype=a.dtype.type))
    np.power(out, p, out=out)
    if p % 2 == 1:
        np.copysign(out, a, out=out)
    else:
        nan = np.isnan(a)  # (|NaN| lost a -NaN's sign)
        if nan.any():
            np.copyto(out, a, where=nan)
    return out


class PowerConstant(Op):
    """a ** p for a constant exponent p (the common ``x ** 2``, ``x ** 0.5``)."""

    __slots__ = ("p",)
    save_inputs = (0,)
    label = "power"

    def __init__(self, p):
        self.p = p

    @property
    def name(self) -> str:
        return f"PowerConstant({self.p:g})"  # (as Scale's: the exponent shows in pictures)

    def forward(self, a):
        # (a float x ** 0.5 is sqrt, as NumPy 2.4+ takes it: -0.0 at -0.0, correctly rounded;
        # NumPy 2.0's pow gave 0.0 there and an ulp off in float32. Not for integers, whose
        # sqrt is float16 for int8, nor a NumPy float exponent, which promotes the result)
        if type(self.p) is float and self.p == 0.5 and a.dtype.kind == "f":
            return np.sqrt(a)
        out = _signed_power(a, self.p)
        return np.power(a, self.p) if out is None else out

    def _slope(self, a):
        # (times a Python float: on Tensors that is the cheap one-input Scale op; x ** 0.5's is
        # sqrt's, 0.5 / sqrt(x): -inf at -0.0, as torch's, where x ** -0.5 * 0.5 gave +inf)
        p = self.p
        if type(p) is float and p == 0.5:
            return 0.5 / a**0.5
        if p == 2:
            return a * float(p)
        slope = _signed_power(a, p - 1)  # (None for Tensors: recorded as a ** (p - 1))
        return (a ** (p - 1) if slope is None else slope) * float(p)

    def generate_adjoints(self, adjoints, delta, a):
        # NOTE: x ** 0 is flat everywhere, also at 0, inf and NaN: zeros, not a * 0 (NaN there)
        p = self.p
        if p == 0:
            adjoints[0] = self.zero_adjoint(0)
        elif p == 2:
            adjoints[0] = SquareSlope.of(delta, a)
        else:
            adjoints[0] = delta if p == 1 else delta * self._slope(a)

    def jvp(self, tangents, a):
        p = self.p
        if p == 2:
            return SquareSlope.of(tangents[0], a)
        return None if p == 0 else tangents[0] * self._slope(a)


class SquareSlope(_OutputSlope):
    """delta * 2 a, the rule of ``a ** 2`` as one op (as tanh's and sigmoid's): higher-order
    graphs (hvp, double backward) hold one node for it, not a scale and a product. (Other
    powers keep the product: their slope ``a ** (p - 1)`` is worth saving, not recomputing.)"""

    @staticmethod
    def slope(y):
        return y * 2.0

    @staticmethod
    def bend(y):
        return 2.0

    def jvp(self, tangents, delta, y):
        # NOTE: delta * (ty * 2), the product rule of delta * (y * 2) in its own order (torch's
        # too): (delta * 2) * ty overflows to inf for a large delta where ty is 0, and inf * 0 is
        # NaN (a Hessian's off-diagonal entries)
        td, ty = tangents
        out = None if td is None else self.of(td, y)
        if ty is not None:
            term = delta * (ty * 2.0)
            out = term if out is None else out + term
        return out


# ----------------------------------------------------------------------------- dtype


class AsType(Op):
    """Cast to a floating dtype; the adjoint is cast back by the engine."""

    __slots__ = ("dtype",)
    label = "astype"
    linear = True

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        return asarray(a).astype(self.dtype)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = delta


class Cast(AsType):
    """Cast to an integer or bool dtype: a step function, not differentiable (as torch)"""

    differentiable = False


# ----------------------------------------------------------------------------- comparisons


class _Compare(Op):
    """Elementwise comparison: bool result, no gradient."""

    differentiable = False
    ufunc: Any = None

    def forward(self, a, b):
        return self.ufunc(a, b)


def _comparison(ufunc: np.ufunc, doc: str, complex_values: bool = False, logical: bool = False):
    """The comparison function; with ``complex_values`` (== and !=) complex operands are
    compared by value, as NumPy and torch (tensors hold no complex data; the result is bool).
    ``logical`` ones take a Python int past int64 by its truth value (NumPy 2.0 did; 2.4 and
    later cannot convert it)."""
    cls = type(ufunc.__name__.title().replace("_", ""), (_Compare,), {"ufunc": ufunc})

    def fn(a: Any, b: Any) -> Tensor:
        if logical:
            a, b = (bool(x) if type(x) is int and not -(2**63) <= x < 2**63 else x for x in (a, b))
        try:
            return binary(cls, a, b)
        except TypeError:
            kinds = (kind_of(a), kind_of(b)) if complex_values else ()
            if "c" not in kinds or not all(k in "biufc" for k in kinds):  # (None, str: refused)
                raise
        # (a Python complex stays a Python scalar: NumPy's weak promotion, float32 0.1 == 0.1+0j)
        a, b = (x.data if isinstance(x, Tensor) else x for x in (a, b))
        try:
            return make_tensor(asarray(ufunc(a, b)))
        except ValueError:
            broadcast_shapes(np.shape(a), np.shape(b), op=ufunc.__name__)  # (names them)
            raise

    fn.__name__ = ufunc.__name__
    fn.__doc__ = f"{doc} elementwise, as a bool tensor (no gradient)."
    return fn


less = _comparison(np.less, "a < b")
less_equal = _comparison(np.less_equal, "a <= b")
greater = _comparison(np.greater, "a > b")
greater_equal = _comparison(np.greater_equal, "a >= b")
equal = _comparison(np.equal, "a == b", complex_values=True)
not_equal = _comparison(np.not_equal, "a != b", complex_values=True)
logical_and = _comparison(np.logical_and, "a and b", logical=True)
logical_or = _comparison(np.logical_or, "a or b", logical=True)
logical_xor = _comparison(np.logical_xor, "a xor b", logical=True)


class LogicalNot(Op):
    """not a (bool result for any numeric dtype, as ``np.logical_not``; no gradient)."""

    differentiable = False

    def forward(self, a):
        return np.logical_not(a)


class _Bitwise(Op):
    """Elementwise bit operation: bitwise for integers, logical for bools; no gradient."""

    differentiable = False
    ufunc: Any = None
    symbol = ""

    def forward(self, *arrays):
        try:
            return self.ufunc(*arrays)
        except TypeError:  # NumPy's message names neither the operator nor the dtypes
            dtypes = ", ".join(str(np.result_type(a)) for a in arrays)
            raise TypeError(
                f"{self.ufunc.__name__} ({self.symbol}) needs integer or bool tensors, got {dtypes}"
            ) from None


def _bitwise(ufunc: np.ufunc, symbol: str) -> type[Op]:
    name = "".join(w.title() for w in ufunc.__name__.split("_"))
    return type(name, (_Bitwise,), {"ufunc": ufunc, "symbol": symbol})


BitwiseAnd = _bitwise(np.bitwise_and, "&")
BitwiseOr = _bitwise(np.bitwise_or, "|")
BitwiseXor = _bitwise(np.bitwise_xor, "^")
Invert = _bitwise(np.invert, "~")


# NOTE: not in __all__ (no registry entry): reached through the operators and NumPy's ufuncs.
def bitwise_and(a: Any, b: Any) -> Tensor:
    """a & b: bitwise for integers, logical for bools (TypeError for floats); no gradient."""
    return binary(BitwiseAnd, a, b)


def bitwise_or(a: Any, b: Any) -> Tensor:
    """a | b: bitwise for integers, logical for bools (TypeError for floats); no gradient."""
    return binary(BitwiseOr, a, b)


def bitwise_xor(a: Any, b: Any) -> Tensor:
    """a ^ b: bitwise for integers, logical for bools (TypeError for floats); no gradient."""
    return binary(BitwiseXor, a, b)


def invert(a: Any) -> Tensor:
    """~a: bitwise for integers, logical for bools (TypeError for floats); no gradient."""
    return call(Invert, a)


# ----------------------------------------------------------------------------- public functions


def add(a: Any, b: Any) -> Tensor:
    """a + b with broadcasting."""
    return binary(Add, a, b)


def subtract(a: Any, b: Any) -> Tensor:
    """a - b with broadcasting."""
    return binary(Subtract, a, b)


def multiply(a: Any, b: Any) -> Tensor:
    """a * b with broadcasting."""
    if type(b) is float and isinstance(a, Tensor):
        return _scale(a, b)
    if type(a) is float and isinstance(b, Tensor):
        return _scale(b, a)
    return binary(Multiply, a, b)


def _scale(x: Tensor, c: float) -> Tensor:
    out = apply1(Scale(c), x)
    return out if isinstance(out, Tensor) else make_tensor(asarray(out))


def divide(a: Any, b: Any) -> Tensor:
    """a / b with broadcasting (true division)."""
    return binary(Divide, a, b)


def floor_divide(a: Any, b: Any) -> Tensor:
    """a // b with broadcasting (NumPy's floor division); the gradient is 0."""
    return binary(FloorDivide, a, b)


def remainder(a: Any, b: Any) -> Tensor:
    """a % b with broadcasting, with the sign of b (NumPy's ``remainder``, Python's ``%``)."""
    return binary(Remainder, a, b)


def fmod(a: Any, b: Any) -> Tensor:
    """C's remainder a - b trunc(a / b), with the sign of a (NumPy's ``fmod``; ``%`` has b's)."""
    return binary(Fmod, a, b)


def copysign(a: Any, b: Any) -> Tensor:
    """|a| with the sign of b (its sign bit: -0.0 counts as negative); no gradient to b."""
    return binary(Copysign, a, b)


def heaviside(x1: Any, x2: Any) -> Tensor:
    """The step function: 0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0 (NumPy's)."""
    return binary(Heaviside, x1, x2)


def float_power(a: Any, b: Any) -> Tensor:
    """a ** b in float64 whatever the operands' dtypes (long double stays), as NumPy's: negative
    integer powers of integers are fine there."""
    return binary(FloatPower, a, b)


def ldexp(x: Any, i: Any) -> Tensor:
    """x * 2 ** i for integer i (NumPy's; a float i is refused, as there); differentiable in x."""
    dtype = _exponent_dtype(i)
    if dtype is not None and (dtype.kind == "f" or not np.can_cast(dtype, np.int64)):
        # (NumPy's loops take exponents that cast safely to int64: bool, int, uint8-32)
        raise TypeError(
            f"ldexp: i of dtype {dtype} is not supported: the exponent must be an integer "
            "array, as NumPy's (which refuses a float one even when its values are integers); "
            "cast it with astype(int), or use x * 2.0 ** i"
        )
    return binary(Ldexp, x, i)


def _exponent_dtype(i: Any) -> np.dtype | None:
    """``ldexp``'s exponent's dtype where it is a number one (else None: the operand checks
    name the rest)."""
    if isinstance(i, float):
        return np.dtype(np.float64)
    dtype = getattr(i, "dtype", None)  # (a Tensor, an ndarray, a NumPy scalar)
    if dtype is None and isinstance(i, (list, tuple)):
        try:
            dtype = np.asarray(i).dtype
        except (ValueError, TypeError):
            return None
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf":
        return None
    return dtype


def power(a: Any, b: Any) -> Tensor:
    """a ** b with broadcasting; see ``Power`` for the conventions at a <= 0."""
    try:
        if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, Tensor):
            return apply1(PowerConstant(b), a)
        return binary(Power, a, b)
    except ValueError as exc:
        if "negative integer powers" not in str(exc):
            raise
        raise ValueError(
            f"power: integers to negative integer powers are not allowed (as NumPy); make the "
            f"base floating, e.g. t.astype(float) ** -1 (got {np.shape(_data(a))} ** {b!r})"
        ) from None


negative = unary(Negative, "negative")


def logical_not(a: Any) -> Tensor:
    """Elementwise not, a bool tensor for any numeric dtype (as NumPy); no gradient."""
    return call(LogicalNot, a)


def astype(a: Any, dtype: Any) -> Tensor:
    """A copy of ``a`` as ``dtype``; gradients flow between floating dtypes."""
    dtype = check_dtype(dtype, "astype")
    return call(AsType if dtype.kind == "f" else Cast, a, dtype=dtype)


# ----------------------------------------------------------------------------- Tensor operators
# Straight to ``binary``/``apply``, past the public functions: one Python call fewer on the path
# every small op of a user's expression takes (tensor.py declares them for type checkers).


def _operator(cls: type[Op], reflected: bool) -> Any:
    if reflected:

        def method(self: Tensor, other: Any) -> Tensor:
            return binary(cls, other, self)
    else:

        def method(self: Tensor, other: Any) -> Tensor:
            return binary(cls, self, other)

    return method


# NOTE: the unrecorded path. ``a + b``, ``a - b`` and ``a * c`` (b a Tensor or a float, c a
# float) that record nothing and carry no tangents (under no_grad: an update, an evaluation) are
# the ufunc alone, past the op object and ``apply``; the checks are spelled out, as in ``apply``.


def _plain_operator(cls: type[Op], ufunc: np.ufunc, reflected: bool) -> Any:
    """``_operator`` for an op whose forward is ``ufunc`` alone, with the unrecorded path."""

    def method(self: Tensor, other: Any) -> Tensor:
        if not (self._requires_grad and STATE.grad_enabled) and self._fw is None:
            if type(other) is float:
                b = other
            elif (
                isinstance(other, Tensor)
                and other._fw is None
                and not (other._requires_grad and STATE.grad_enabled)
            ):
                b = other.data
            else:
                b = None
            if b is not None:
                try:
                    out = ufunc(b, self.data) if reflected else ufunc(self.data, b)
                    return make_tensor(out if type(out) is ndarray else asarray(out))
                except ValueError:  # (the op's own path names the shapes)
                    pass
        return binary(cls, other, self) if reflected else binary(cls, self, other)

    return method


_sub, _rsub = (
    _plain_operator(Subtract, np.subtract, False),
    _plain_operator(Subtract, np.subtract, True),
)
_add, _radd = _plain_operator(Add, np.add, False), _plain_operator(Add, np.add, True)


def _mul(self: Tensor, other: Any) -> Tensor:
    if type(other) is float:
        if (self._requires_grad and STATE.grad_enabled) or self._fw is not None:
            return apply1(Scale(other), self)
        out = _np_multiply(self.data, other)
        return make_tensor(out if type(out) is ndarray else asarray(out))
    return binary(Multiply, self, other)


def _rmul(self: Tensor, other: Any) -> Tensor:
    if type(other) is float:
        return _mul(self, other)  # (x * c == c * x, to the bit)
    return binary(Multiply, other, self)


def _divmod(self: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    return binary(FloorDivide, self, other), binary(Remainder, self, other)


def _rdivmod(self: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    return binary(FloorDivide, other, self), binary(Remainder, other, self)


def _neg(self: Tensor) -> Tensor:
    return apply1(Negative(), self)


def _invert(self: Tensor) -> Tensor:
    return call(Invert, self)


_OPERATORS = {
    "__add__": _add,
    "__radd__": _radd,
    "__sub__": _sub,
    "__rsub__": _rsub,
    "__mul__": _mul,
    "__rmul__": _rmul,
    "__truediv__": _operator(Divide, False),
    "__rtruediv__": _operator(Divide, True),
    "__floordiv__": _operator(FloorDivide, False),
    "__rfloordiv__": _operator(FloorDivide, True),
    "__mod__": _operator(Remainder, False),
    "__rmod__": _operator(Remainder, True),
    "__divmod__": _divmod,
    "__rdivmod__": _rdivmod,
    "__neg__": _neg,
    "__and__": _operator(BitwiseAnd, False),
    "__rand__": _operator(BitwiseAnd, True),
    "__or__": _operator(BitwiseOr, False),
    "__ror__": _operator(BitwiseOr, True),
    "__xor__": _operator(BitwiseXor, False),
    "__rxor__": _operator(BitwiseXor, True),
    "__invert__": _invert,
}
for _name, _method in _OPERATORS.items():
    _method.__name__ = _method.__qualname__ = _name
    _method.__doc__ = f"``{_name}``: the same op as the public function, called directly."
    setattr(Tensor, _name, _method)
