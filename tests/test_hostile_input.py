"""Hostile input for every public op, factory, functional op and layer.

Each call is given wrong shapes, wrong dtypes (int, bool, complex, object, strings), bad axes,
NaN/inf data, empty arrays, non-contiguous and read-only arrays, 0-d tensors and huge ranks. It
must either work as NumPy says (same shape, dtype and values where NumPy has the op) or raise
``ValueError``/``TypeError``/``IndexError`` (API.md, *Errors*); never an internal error, never a
wrong-shaped result, and its inputs are never written to (all arrays are read-only, and are
compared with copies afterwards). When a float input requires grad, a backward pass through the
result must give each input a gradient of its own shape.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.ops import recurrent
from tests.ops.agreement import numpy_insert

ALLOWED = (ValueError, TypeError, IndexError)
SUPPORTED_KINDS = "biuf"
NO_REF = object()  # the reference raised: tensorgrad must raise too

# ============================================================================= hostile values

HUGE_RANKS = ((1,) * 33, (1,) * 31 + (2, 1), (1,) * 64)
KINDS = ("f64", "f64", "f64", "f32", "i64", "i8", "u8", "bool", "c128", "object", "str")
WRAPS = ("ndarray", "tensor", "grad", "grad", "list")


def _shapes(max_dims: int = 3) -> st.SearchStrategy:
    return st.one_of(
        hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=3),
        hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=1, max_side=3),
        st.sampled_from(HUGE_RANKS),
    )


FLOAT_POOL = [0.0, -0.0, 1.0, -1.5, 0.5, 2.0, 3.0, 1e-300, 1e300, -1e300, np.nan, np.inf, -np.inf]


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _build(kind: str, shape: tuple[int, ...], draw: Any, contiguous: bool) -> np.ndarray:
    size = math.prod(shape)
    if kind in ("f64", "f32"):
        values = draw(st.lists(st.sampled_from(FLOAT_POOL), min_size=size, max_size=size))
        with np.errstate(over="ignore"):  # pool values past float32's range become inf
            flat = np.array(values, dtype=np.float64 if kind == "f64" else np.float32)
    elif kind in ("i64", "i8", "u8"):
        lo = 0 if kind == "u8" else -3
        values = draw(st.lists(st.integers(lo, 3), min_size=size, max_size=size))
        flat = np.array(values, dtype={"i64": np.int64, "i8": np.int8, "u8": np.uint8}[kind])
    elif kind == "bool":
        flat = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool)
    elif kind == "c128":
        flat = np.arange(size) + 1j
    elif kind == "object":
        flat = np.empty(size, dtype=object)
        flat[:] = [1.5] * size
    else:
        flat = np.array(["a"] * size)
    a = flat.reshape(shape)
    if not contiguous and a.ndim >= 1:
        # the same values, viewed through a non-contiguous (strided or transposed) layout
        if draw(st.booleans()) or a.ndim < 2:
            big = np.repeat(a, 2, axis=-1)
            a = big[..., ::2]
        else:
            a = np.ascontiguousarray(np.swapaxes(a, 0, -1)).swapaxes(0, -1)
    return _readonly(a)


@st.composite
def hostile(
    draw: Any,
    shape: tuple[int, ...] | None = None,
    kinds: tuple[str, ...] = KINDS,
    wraps: tuple[str, ...] = WRAPS,
) -> Any:
    """One hostile argument: an ndarray, Tensor (maybe requiring grad), or nested list."""
    if shape is None:
        shape = draw(_shapes())
    kind = draw(st.sampled_from(kinds))
    a = _build(kind, shape, draw, contiguous=draw(st.booleans()))
    wrap = draw(st.sampled_from(wraps))
    if kind in ("c128", "object", "str") or wrap == "ndarray":
        return a
    if wrap == "list":
        return a.tolist() if a.ndim <= 3 else a
    return tg.from_numpy(a, requires_grad=(wrap == "grad" and a.dtype.kind == "f"))


def _valid(shape: tuple[int, ...]) -> st.SearchStrategy:
    """A float argument of this shape (not a list, which loses the shape of an empty array)."""
    return hostile(shape, kinds=("f64", "f32"), wraps=("ndarray", "tensor", "grad", "grad"))


def _well_formed(data: Any) -> bool:
    """Whether this example draws only valid arguments, so that the accepting branch of a test
    whose hostile draws are nearly always refused runs too (it then must accept)."""
    return data.draw(st.booleans(), label="well-formed")


def _accepted(name: str, out: Any, well_formed: bool) -> bool:
    assert not well_formed or isinstance(out, tg.Tensor), f"{name} refused valid input: {out!r}"
    return isinstance(out, tg.Tensor)


def _raw(x: Any) -> Any:
    """What NumPy is given for the reference result."""
    if isinstance(x, tg.Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(v) for v in x)
    return x


def _arrays_in(x: Any) -> list[np.ndarray]:
    if isinstance(x, tg.Tensor):
        return [x.data]
    if isinstance(x, np.ndarray):
        return [x]
    if isinstance(x, (list, tuple)):
        return [a for v in x for a in _arrays_in(v)]
    return []


def _tensors_in(x: Any) -> list[tg.Tensor]:
    if isinstance(x, tg.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tensors_in(v)]
    return []


def _unsupported(x: Any, also: str = "") -> bool:
    return any(a.dtype.kind not in SUPPORTED_KINDS + also for a in _arrays_in(x))


# ============================================================================= the checker


def _same(got: np.ndarray, want: np.ndarray, exact_dtype: bool, values: bool = True) -> None:
    assert got.shape == want.shape, f"shape {got.shape}, NumPy gives {want.shape}"
    if exact_dtype:
        assert got.dtype == want.dtype, f"dtype {got.dtype}, NumPy gives {want.dtype}"
    if not values:
        return
    if want.dtype.kind in "biu" and got.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    elif want.dtype.kind in "biuf":
        g = got.astype(np.float64)
        w = want.astype(np.float64)
        # a tolerance from the less precise of the two float dtypes (float16 for int8 inputs,
        # where our formula and NumPy's round differently)
        sizes = [d.itemsize for d in (got.dtype, want.dtype) if d.kind == "f"]
        rtol = {2: 4e-3, 4: 1e-5}.get(min(sizes, default=8), 1e-9)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-300, equal_nan=True)


def check(
    name: str,
    fn: Callable[..., Any],
    args: tuple,
    kwargs: dict | None = None,
    ref: Callable[..., Any] | None = None,
    exact_dtype: bool = True,
    shape: tuple[int, ...] | None = None,
    may_reject: bool = False,
    backward: bool = True,
    values: bool = True,
    compares_complex: bool = False,
) -> Any:
    """Call ``fn(*args, **kwargs)`` and check it against the hostile-input contract.

    ``ref`` computes the NumPy answer from the raw arrays (raising means the input is invalid);
    ``shape`` is the expected result shape when there is no reference. ``may_reject`` allows
    tensorgrad to refuse an input NumPy accepts (a documented restriction). ``values=False``
    compares shapes and dtypes only. ``compares_complex``: complex operands are taken (== and !=
    compare them by value, as NumPy and torch; the result is bool).
    """
    kwargs = kwargs or {}
    everything = (args, tuple(kwargs.values()))
    before = [a.copy() for a in _arrays_in(everything)]
    want: Any = None
    if ref is not None:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                want = np.asarray(ref(*_raw(args), **_raw(kwargs)))
            except Exception:
                want = NO_REF
    bad_dtype = _unsupported(everything, "c" if compares_complex else "") or (
        want is not None and want is not NO_REF and want.dtype.kind not in SUPPORTED_KINDS
    )
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
    except ALLOWED as exc:
        assert "read-only" not in str(exc), f"{name} tried to write to its input: {exc}"
        assert str(exc), f"{name} raised {type(exc).__name__} without a message"
        if not (bad_dtype or want is NO_REF or want is None or may_reject):
            raise AssertionError(f"{name} rejected an input NumPy accepts: {exc!r}") from exc
        out = exc
    except Exception as exc:  # an internal error escaped the engine
        raise AssertionError(f"{name} raised internal {type(exc).__name__}: {exc}") from exc
    else:
        assert not bad_dtype, f"{name} accepted unsupported data and returned {out!r}"
        assert want is not NO_REF, f"{name} accepted an input NumPy rejects"
        results = out if isinstance(out, list) else [out]
        for r in results:
            assert isinstance(r, tg.Tensor), f"{name} returned {type(r).__name__}"
            assert r.dtype.kind in SUPPORTED_KINDS, f"{name} returned dtype {r.dtype}"
        if want is not None and not isinstance(out, list):
            _same(out.data, want, exact_dtype, values)
        if shape is not None and not isinstance(out, list):
            assert out.shape == shape, f"{name}: shape {out.shape}, expected {shape}"
        if backward:
            _check_backward(name, everything, results)
    after = _arrays_in(everything)
    for a, b in zip(before, after, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name} changed an input"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{name} mutated an input"
    return out


def _check_backward(name: str, everything: Any, results: list[tg.Tensor]) -> None:
    leaves = [t for t in _tensors_in(everything) if t.requires_grad and t.is_leaf]
    outs = [r for r in results if r.requires_grad]
    if not leaves or not outs:
        return
    for t in leaves:
        t.grad = None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in outs:
            try:
                r.backward(tg.ones_like(r), retain_graph=True)
            except Exception as exc:
                raise AssertionError(
                    f"{name}: backward raised {type(exc).__name__}: {exc}"
                ) from exc
    for t in leaves:
        if t.grad is not None:
            assert t.grad.shape == t.shape, f"{name}: grad shape {t.grad.shape} for {t.shape}"
            assert t.grad.dtype == t.dtype, f"{name}: grad dtype {t.grad.dtype} for {t.dtype}"


# ============================================================================= elementwise


def _sigmoid(x: Any) -> Any:
    x = np.asarray(x)
    if x.dtype.kind in "biu":  # in float64, rounded once to the dtype np.exp gives them
        return (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.result_type(x, np.float16))
    return 1 / (1 + np.exp(-x))


def _erf(x: Any) -> Any:
    x = np.asarray(x)
    out = np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


def _erfinv_one(v: float) -> float:
    """erfinv by bisection on math.erf (or math.erfc past 0.5, relatively accurate there)."""
    a = abs(v)
    if not a <= 1:
        return math.nan
    if a == 1:
        return math.copysign(math.inf, v)
    rest = 1.0 - a
    lo, hi = 0.0, 6.0
    while hi - lo > 0 and lo < (mid := (lo + hi) / 2) < hi:
        below = math.erf(mid) < a if a < 0.5 else math.erfc(mid) > rest
        lo, hi = (mid, hi) if below else (lo, mid)
    return math.copysign(lo, v)


def _erfinv(x: Any) -> Any:
    x = np.asarray(x)
    out = np.vectorize(_erfinv_one, otypes=[np.float64])(x.astype(np.float64))
    return out.astype(x.dtype) if x.dtype.kind == "f" else out


def _gelu(x: Any) -> Any:
    x = np.asarray(x)
    return x * 0.5 * (1 + _erf(x / np.sqrt(2)))


UNARY_NUMPY: dict[str, Callable[..., Any]] = {
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "square": np.square,
    "reciprocal": np.reciprocal,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "abs": np.abs,
    "sign": np.sign,
    "round": np.round,
    "negative": np.negative,
    "logical_not": np.logical_not,
    "relu": lambda x: np.maximum(x, 0),
    "flatten": lambda x: np.reshape(x, -1),
    "exp2": np.exp2,
    "log2": np.log2,
    "log10": np.log10,
    "cbrt": np.cbrt,
    "arcsinh": np.arcsinh,
    "arccosh": np.arccosh,
    "arctanh": np.arctanh,
    "deg2rad": np.deg2rad,
    "rad2deg": np.rad2deg,
    "radians": np.radians,
    "degrees": np.degrees,
    "fabs": np.fabs,
    "floor": np.floor,
    "ceil": np.ceil,
    "trunc": np.trunc,
    "rint": np.rint,
    "fix": np.fix,
    "sinc": np.sinc,
    "i0": np.i0,
    "nan_to_num": np.nan_to_num,
    "isnan": np.isnan,
    "isinf": np.isinf,
    "isfinite": np.isfinite,
    "isposinf": np.isposinf,
    "isneginf": np.isneginf,
}
# our own formulas: shapes and values are checked, dtypes may legitimately differ for ints
UNARY_OWN: dict[str, Callable[..., Any]] = {
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0, x),
    "erf": _erf,
    "erfinv": _erfinv,
    "gelu": _gelu,
}


@pytest.mark.parametrize("name", sorted(UNARY_NUMPY) + sorted(UNARY_OWN))
@given(data=st.data())
def test_unary(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    fn = getattr(tg, name)
    ref = UNARY_NUMPY.get(name) or UNARY_OWN[name]
    check(name, fn, (x,), ref=ref, exact_dtype=name in UNARY_NUMPY)


BINARY_NUMPY: dict[str, Callable[..., Any]] = {
    name: getattr(np, name)
    for name in """add subtract multiply divide floor_divide remainder power maximum minimum less
    less_equal greater greater_equal equal not_equal logical_and logical_or logical_xor matmul dot
    outer arctan2 hypot logaddexp logaddexp2 copysign fmod heaviside float_power ldexp
    isclose""".split()
}


@st.composite
def _two_shapes(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if draw(st.booleans()):
        return draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=3)).input_shapes
    return draw(_shapes()), draw(_shapes())


@pytest.mark.parametrize("name", sorted(BINARY_NUMPY))
@given(data=st.data())
def test_binary(name: str, data: Any) -> None:
    sa, sb = data.draw(_two_shapes(), label="shapes")
    a = data.draw(hostile(sa), label="a")
    b = data.draw(st.one_of(hostile(sb), st.sampled_from([2, 0.5, True, np.nan])), label="b")
    if data.draw(st.booleans(), label="swap"):
        a, b = b, a
    ref = BINARY_NUMPY[name]
    # NOTE: NumPy's dot/outer on bool, and power of integers to negative powers, are NumPy's
    # own rules; tensorgrad follows them exactly. With inf or nan in the input, dot's and
    # matmul's values depend on the BLAS (its scal and gemm may skip a zero factor, so that
    # nan * 0 gives 0): only shapes and dtypes are compared then.
    raw = [np.asarray(v) for v in _raw((a, b))]
    finite = all(np.all(np.isfinite(v)) for v in raw if v.dtype.kind == "f")
    # (np.dot types an empty list by the operand before it: np.dot(2, []) is int64, np.dot([],
    # 2) float64; tensorgrad converts each operand alone, as np.asarray does)
    odd = name == "dot" and any(isinstance(v, list) and not np.size(v) for v in (a, b))
    check(
        name,
        getattr(tg, name),
        (a, b),
        ref=ref,
        exact_dtype=not odd,
        values=finite or name not in ("dot", "matmul"),
        compares_complex=name in ("equal", "not_equal"),
    )


@given(data=st.data())
def test_where(data: Any) -> None:
    shapes = data.draw(_two_shapes(), label="shapes")
    cond = data.draw(hostile(shapes[0], wraps=("ndarray", "tensor")), label="cond")
    a = data.draw(hostile(shapes[1]), label="a")
    b = data.draw(st.one_of(hostile(), st.just(0.0)), label="b")

    def ref(c: Any, a: Any, b: Any) -> Any:
        c = np.asarray(c)
        if c.dtype.kind not in SUPPORTED_KINDS:
            raise TypeError
        return np.where(c.astype(bool), a, b)

    check("where", tg.where, (cond, a, b), ref=ref)


@given(data=st.data())
def test_clip(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    bound = st.one_of(st.none(), st.sampled_from([-1.0, 0, 1.5, np.nan]), hostile())
    lo, hi = data.draw(bound, label="lo"), data.draw(bound, label="hi")

    def ref(x: Any, lo: Any, hi: Any) -> Any:
        if lo is None and hi is None:
            raise ValueError
        return np.clip(x, lo, hi)

    # NOTE: bounds are constants, so a bound array may not change the result's shape.
    out = check("clip", tg.clip, (x, lo, hi), ref=ref, may_reject=True)
    if isinstance(out, tg.Tensor):
        assert out.shape == np.shape(_raw(x)) or out.shape == np.shape(ref(*_raw((x, lo, hi))))


@given(data=st.data())
def test_astype(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    dtype = data.draw(
        st.sampled_from(
            [np.float32, "float64", int, bool, np.uint8, complex, object, str, "nope", None, 3]
        ),
        label="dtype",
    )

    def ref(x: Any, dtype: Any) -> Any:
        if np.dtype(dtype).kind not in SUPPORTED_KINDS:  # (None is float64, as in NumPy)
            raise TypeError
        return np.asarray(x).astype(dtype)

    check("astype", tg.astype, (x, dtype), ref=ref)


# ============================================================================= reductions

AXES = st.one_of(
    st.none(),
    st.integers(-4, 4),
    st.sampled_from([(0,), (0, -1), (1, 0), (0, 0), 40, -40, 1.0, True, "0", [0], ()]),
)


def _np_axis(axis: Any, x: Any = None) -> Any:
    # NumPy accepts lists and bools as axes in places, and some functions take axis 0 of a 0-d
    # array; tensorgrad takes ints and tuples only, and bounds-checks every axis
    if isinstance(axis, list):  # tensorgrad takes a list of ints like a tuple
        axis = tuple(axis)
    if isinstance(axis, (bool, float, str)):
        raise TypeError
    if x is not None and np.ndim(x) == 0 and axis not in (None, ()):
        raise ValueError
    return axis


def _squeeze(x: Any, axis: Any) -> Any:
    # (a 0-d array takes the int axis 0 or -1 in NumPy's squeeze, and in tensorgrad's)
    if np.ndim(x) == 0 and isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        if axis in (0, -1):
            return np.squeeze(x, axis)
    return np.squeeze(x, _np_axis(axis, x))


def _lse(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = np.asarray(x)
    if x.dtype.kind in "biu":  # x - max(x) would wrap around in unsigned integers
        x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # (log 0 = -inf over nothing)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _norm(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = np.asarray(x)
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _in_range(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NumPy's var or std computed in long double and rounded to NumPy's dtype: tensorgrad's
    keep a spread whose squares leave the range (std([0, 1e300]) is 5e299; NumPy's inf)."""

    def ref(x: Any, **kwargs: Any) -> Any:
        x = np.asarray(x)
        dtype = fn(np.zeros(2, x.dtype)).dtype
        if x.dtype.kind not in "biuf" or np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
            return fn(x, **kwargs)  # (refused anyway, or no wider type here)
        return np.asarray(fn(x.astype(np.longdouble), **kwargs)).astype(dtype)

    return ref


REDUCTIONS: dict[str, tuple[Callable[..., Any], bool]] = {
    # name: (reference, exact dtype)
    "sum": (np.sum, True),
    "prod": (np.prod, True),
    "mean": (np.mean, True),  # (NaN over nothing, as NumPy)
    "max": (np.max, True),
    "min": (np.min, True),
    "argmax": (np.argmax, False),
    "argmin": (np.argmin, False),
    "var": (_in_range(np.var), True),  # (any real ddof; inf or NaN past the last degree of
    "std": (_in_range(np.std), True),  # freedom)
    "logsumexp": (_lse, False),
    "norm": (_norm, False),
}


@given(data=st.data())
def test_cumsum(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(AXES, label="axis")

    def ref(x: Any, axis: Any) -> Any:
        if isinstance(axis, tuple):
            raise TypeError
        return np.cumsum(x, axis=_np_axis(axis, x))

    check("cumsum", tg.cumsum, (x,), {"axis": axis}, ref=ref)


def _running_widened(fn: Callable[..., Any], x: Any, axis: Any, dtype: Any) -> Any:
    """NumPy's running ``fn`` (cumprod, nancumsum...) with float16 and float32 accumulated wider
    and rounded once, as tensorgrad's and torch's (documented; NumPy's stays in their dtype)."""
    if isinstance(axis, tuple):
        raise TypeError
    a = np.asarray(x)
    axis = _np_axis(axis, a)
    target = a.dtype if dtype is None else np.dtype(dtype)
    wide = {np.float16: np.float32, np.float32: np.float64}.get(target.type)
    if wide is not None:
        return fn(a.astype(target), axis=axis, dtype=wide).astype(target)
    return fn(a, axis=axis, dtype=dtype)


@given(data=st.data())
def test_cumprod(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(AXES, label="axis")
    dtype = data.draw(
        st.sampled_from([None, None, np.float64, np.float32, np.float16, np.int64, bool, "nope"]),
        label="dtype",
    )

    def ref(x: Any, axis: Any, dtype: Any) -> Any:
        return _running_widened(np.cumprod, x, axis, dtype)

    check("cumprod", tg.cumprod, (x,), {"axis": axis, "dtype": dtype}, ref=ref)


# ============================================================================= statistics


def _by_rows(fn: Callable[..., Any], x: Any, *q: Any, axis: Any, keepdims: bool, **kw: Any) -> Any:
    """NumPy's ``fn`` (a median or quantile) over ``axis``, taken along the last axis of ``x``
    made 2-D (kept axes by rows, reduced ones by columns): its meaning at every rank and size,
    where NumPy's own reshape with -1 fails for an empty ``x`` and nanmedian's fancy indexing
    past 63 axes."""
    a = np.asarray(x)
    axes = np.lib.array_utils.normalize_axis_tuple(range(a.ndim) if axis is None else axis, a.ndim)
    keep = [i for i in range(a.ndim) if i not in axes]
    rows = np.transpose(a, keep + list(axes)).reshape(
        math.prod(a.shape[i] for i in keep), math.prod(a.shape[i] for i in axes)
    )
    out = np.asarray(fn(rows, *q, axis=1, **kw))
    kept = (
        [1 if i in axes else n for i, n in enumerate(a.shape)]
        if keepdims
        else [a.shape[i] for i in keep]
    )
    return out.reshape(out.shape[:-1] + tuple(kept))


STATISTICS: dict[str, tuple[Callable[..., Any], bool]] = {
    # name: (reference, exact dtype); NaN-skipping versions of the reductions, order statistics
    "nansum": (np.nansum, True),
    "nanprod": (np.nanprod, True),
    "nanmean": (np.nanmean, True),
    "nanvar": (np.nanvar, True),
    "nanstd": (np.nanstd, True),
    "nanmax": (np.nanmax, True),
    "nanmin": (np.nanmin, True),
    "nanargmax": (np.nanargmax, False),
    "nanargmin": (np.nanargmin, False),
    "median": (lambda x, **kw: _by_rows(np.median, x, **kw), True),
    "nanmedian": (lambda x, **kw: _by_rows(np.nanmedian, x, **kw), True),
    "ptp": (np.ptp, True),
}


@pytest.mark.parametrize("name", sorted({**REDUCTIONS, **STATISTICS}))
@given(data=st.data())
def test_reduction(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(AXES, label="axis")
    keepdims = data.draw(st.sampled_from([False, True, 1, "yes"]), label="keepdims")
    kwargs: dict[str, Any] = {"axis": axis, "keepdims": keepdims}
    if name.removeprefix("nan") in ("var", "std"):
        kwargs["ddof"] = data.draw(st.sampled_from([0, 1, -1, 1.5, 100]), label="ddof")
    ref_fn, exact = {**REDUCTIONS, **STATISTICS}[name]

    def ref(x: Any, axis: Any, keepdims: Any, **kw: Any) -> Any:
        if not isinstance(keepdims, (bool, int)):
            raise TypeError
        axis = _np_axis(axis, x)  # a list of ints is taken as a tuple (by argmax/argmin too)
        if name.removeprefix("nan") in ("argmax", "argmin") and isinstance(axis, tuple):
            if len(axis) != 1:
                raise TypeError
            (axis,) = axis  # tensorgrad also takes a 1-tuple
        fn = ref_fn
        if np.asarray(x).dtype.kind in "iub" and name in ("nanvar", "nanstd"):
            fn = REDUCTIONS[name[3:]][0]  # (integers: the plain reductions' paths)
        return fn(x, axis=axis, keepdims=bool(keepdims), **kw)

    check(name, getattr(tg, name), (x,), kwargs, ref=ref, exact_dtype=exact)


QUANTILES = {
    "quantile": [0.5, 0, 1, 0.25, [0.25, 0.75], [[0.1], [0.9]], 1.5, -0.1, np.nan, "a"],
    "percentile": [50, 0, 100, 12.5, [25.0, 75.0], [[10.0], [90.0]], 150, -10, np.nan, "a"],
}


@pytest.mark.parametrize("name", ["quantile", "nanquantile", "percentile", "nanpercentile"])
@given(data=st.data())
def test_quantiles(name: str, data: Any) -> None:
    from tensorgrad.ops.statistics import METHODS

    x = data.draw(hostile(), label="x")
    q = data.draw(st.sampled_from(QUANTILES[name.removeprefix("nan")]), label="q")
    if isinstance(q, list) and data.draw(st.booleans(), label="q float32"):
        q = np.asarray(q, np.float32)
    method = data.draw(st.sampled_from([*METHODS, "cubic"]), label="method")
    axis = data.draw(AXES, label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")

    def ref(x: Any, q: Any, axis: Any, keepdims: Any, method: Any) -> Any:
        fn = getattr(np, name)
        if name.startswith("nan") and not np.size(x):  # (NumPy's nanmean, q and method unused)
            return fn(x, q, axis=_np_axis(axis, x), keepdims=keepdims, method=method)
        return _by_rows(fn, x, q, axis=_np_axis(axis, x), keepdims=keepdims, method=method)

    # NOTE: NumPy's nanquantile takes its result's dtype from its first slice's (float32 data
    # whose first slice is all NaN gives float32, where a float64 q makes the others float64)
    check(
        name,
        getattr(tg, name),
        (x, q),
        {"axis": axis, "keepdims": keepdims, "method": method},
        ref=ref,
        exact_dtype=not name.startswith("nan"),
    )


@pytest.mark.parametrize("name", ["nancumsum", "nancumprod"])
@given(data=st.data())
def test_nan_running(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(AXES, label="axis")
    dtype = data.draw(st.sampled_from([None, None, np.float64, np.float32, np.int64, "nope"]))

    def ref(x: Any, axis: Any, dtype: Any) -> Any:
        return _running_widened(getattr(np, name), x, axis, dtype)

    check(name, getattr(tg, name), (x,), {"axis": axis, "dtype": dtype}, ref=ref)


@given(data=st.data())
def test_average(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(AXES, label="axis")
    shape = np.shape(_raw(x))
    like = data.draw(st.sampled_from(["same", "axes", "other"]), label="weights shape")
    if like == "same":
        wshape = shape
    elif like == "axes" and isinstance(axis, int) and -len(shape) <= axis < len(shape):
        wshape = (shape[axis],)
    else:
        wshape = data.draw(_shapes(), label="wshape")
    weights = data.draw(st.one_of(st.none(), hostile(wshape)), label="weights")
    returned = data.draw(st.booleans(), label="returned")

    def average(x: Any, axis: Any, weights: Any) -> Any:
        out = tg.average(x, axis, weights, returned)
        return tg.stack(out) if returned else out

    def ref(x: Any, axis: Any, weights: Any) -> Any:
        out = np.average(x, _np_axis(axis, x), weights, returned)
        return np.stack(out) if returned else out

    check("average", average, (x, axis, weights), ref=ref)


@given(data=st.data())
def test_cov_corrcoef(data: Any) -> None:
    m = data.draw(hostile(data.draw(_shapes(2), label="shape")), label="m")
    y = data.draw(st.one_of(st.none(), hostile(np.shape(_raw(m)))), label="y")
    rowvar = data.draw(st.sampled_from([True, False, 1]), label="rowvar")
    if data.draw(st.booleans(), label="corrcoef"):

        def ref(m: Any, y: Any, rowvar: Any) -> Any:
            if not isinstance(rowvar, bool):
                raise TypeError  # (tensorgrad's flags are bools)
            return np.corrcoef(m, y, rowvar)

        # (values: tests/ops/test_statistics.py; NumPy's dot and tensorgrad's matmul may add
        # in another order, which cancelling terms show)
        check("corrcoef", tg.corrcoef, (m, y, rowvar), ref=ref, values=False)
        return
    ddof = data.draw(st.sampled_from([None, 0, 1, 5, 1.5]), label="ddof")
    bias = data.draw(st.sampled_from([False, True]), label="bias")

    def ref(m: Any, y: Any, rowvar: Any, bias: Any, ddof: Any) -> Any:
        if not isinstance(rowvar, bool):
            raise TypeError
        return np.cov(m, y, rowvar, bias, ddof)

    check("cov", tg.cov, (m, y, rowvar, bias, ddof), ref=ref, values=False)


@pytest.mark.parametrize("name", ["inner", "vdot"])
@given(data=st.data())
def test_inner_vdot(name: str, data: Any) -> None:
    sa, sb = data.draw(_two_shapes(), label="shapes")
    a, b = data.draw(hostile(sa), label="a"), data.draw(hostile(sb), label="b")
    if name == "vdot" and data.draw(st.booleans(), label="same size"):
        b = data.draw(hostile(tuple(reversed(sa))), label="b")
    raw = [np.asarray(v) for v in _raw((a, b))]
    finite = all(np.all(np.isfinite(v)) for v in raw if v.dtype.kind == "f")
    # (as for dot: with inf or NaN the BLAS decides the values)

    def ref(a: Any, b: Any) -> Any:
        if name == "inner" and np.ndim(a) and np.ndim(b) and max(np.ndim(a), np.ndim(b)) > 32:
            return np.tensordot(a, b, (-1, -1))  # (NumPy's inner stops at 32 dimensions)
        return getattr(np, name)(a, b)

    check(name, getattr(tg, name), (a, b), ref=ref, values=finite)


@given(data=st.data())
def test_vander(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    n = data.draw(st.sampled_from([None, 0, 1, 3, -1, 2.0, True, "a"]), label="N")
    increasing = data.draw(st.sampled_from([False, True, 1]), label="increasing")

    def ref(x: Any, n: Any, increasing: Any) -> Any:
        if not isinstance(increasing, bool):
            raise TypeError  # (tensorgrad's flags are bools)
        return np.vander(x, n, increasing)

    check("vander", tg.vander, (x, n, increasing), ref=ref)


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@given(data=st.data())
def test_convolve_correlate(name: str, data: Any) -> None:
    a = data.draw(hostile(data.draw(_shapes(2), label="a shape")), label="a")
    v = data.draw(hostile(data.draw(_shapes(2), label="v shape")), label="v")
    mode = data.draw(st.sampled_from(["full", "same", "valid", 0, 1, 2, 3, "f", None]))
    check(name, getattr(tg, name), (a, v, mode), ref=getattr(np, name))


@given(data=st.data())
def test_interp(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    k = data.draw(st.integers(0, 4), label="points")
    points = data.draw(
        st.lists(st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, np.inf]), min_size=k, max_size=k)
    )
    xp = np.sort(np.array(points, dtype=np.float64))  # (NumPy's: xp must increase)
    xp.flags.writeable = False
    fp = data.draw(hostile(data.draw(st.sampled_from([(k,), (k + 1,), (k, 1)]))), label="fp")
    bound = st.sampled_from([None, None, 0.5, -np.inf, np.nan, True, "a"])
    left, right = data.draw(bound, label="left"), data.draw(bound, label="right")
    period = data.draw(st.sampled_from([None, None, 2.0, -1.5, 0, np.inf]), label="period")
    check("interp", tg.interp, (x, xp, fp, left, right, period), ref=np.interp)


# ============================================================================= shape ops

SHAPE_ARGS = st.one_of(
    _shapes(),
    st.sampled_from([-1, (-1,), (2, -1), (-1, -1), (-2,), (1.5,), ("a",), (0,), (2**40, 2**40)]),
)


@given(data=st.data())
def test_reshape(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    shape = data.draw(
        st.one_of(SHAPE_ARGS, st.just(tuple(reversed(np.shape(_raw(x)))))), label="shape"
    )

    def ref(x: Any, shape: Any) -> Any:
        if any(isinstance(s, float) for s in np.atleast_1d(shape).tolist()):
            raise TypeError
        return np.reshape(x, shape)

    check("reshape", tg.reshape, (x, shape), ref=ref)


@given(data=st.data())
def test_broadcast_to(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    shape = data.draw(st.one_of(SHAPE_ARGS, st.just((2,) + np.shape(_raw(x)))), label="shape")
    check("broadcast_to", tg.broadcast_to, (x, shape), ref=np.broadcast_to)


@given(data=st.data())
def test_transpose(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    n = np.ndim(_raw(x))
    axes = data.draw(
        st.one_of(
            st.none(),
            st.permutations(range(n)).map(tuple),
            st.sampled_from([(0,), (0, 0), (1, 0), (5, 0, 1), (-1, 0), (0.0,)]),
        ),
        label="axes",
    )
    check("transpose", tg.transpose, (x, axes), ref=lambda x, axes: np.transpose(x, _np_axis(axes)))


AXIS = st.one_of(st.integers(-4, 4), st.sampled_from([40, -40, 1.0, True, "0", None]))


def _int_axis(axis: Any) -> Any:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError
    return axis


@given(data=st.data())
def test_swapaxes_moveaxis(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    a, b = data.draw(AXIS, label="a"), data.draw(AXIS, label="b")
    check(
        "swapaxes",
        tg.swapaxes,
        (x, a, b),
        ref=lambda x, a, b: np.swapaxes(x, _int_axis(a), _int_axis(b)),
    )
    src = data.draw(st.one_of(AXIS, st.sampled_from([(0, 1), (0, 0), ()])), label="src")
    dst = data.draw(st.one_of(AXIS, st.sampled_from([(1, 0), (1, 1), ()])), label="dst")

    def move(x: Any, s: Any, d: Any) -> Any:
        for v in (s, d):
            if not isinstance(v, tuple):
                _int_axis(v)
        return np.moveaxis(x, s, d)

    check("moveaxis", tg.moveaxis, (x, src, dst), ref=move)


@given(data=st.data())
def test_expand_squeeze_flip(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(AXES, label="axis")
    if axis is not None:
        check(
            "expand_dims",
            tg.expand_dims,
            (x, axis),
            ref=lambda x, a: np.expand_dims(x, _np_axis(tuple(a) if isinstance(a, list) else a)),
        )
    check("squeeze", tg.squeeze, (x, axis), ref=_squeeze)
    check("flip", tg.flip, (x, axis), ref=lambda x, a: np.flip(x, _np_axis(a)))


@given(data=st.data())
def test_tile_repeat(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    reps = data.draw(st.sampled_from([2, 0, (2, 1), (1, 1, 1, 2), -1, (1.5,), "a"]), label="reps")

    def tile(x: Any, reps: Any) -> Any:
        if any(isinstance(r, float) for r in np.atleast_1d(reps).tolist()):
            raise TypeError
        return np.tile(x, reps)

    check("tile", tg.tile, (x, reps), ref=tile)
    repeats = data.draw(
        st.one_of(st.sampled_from([2, 0, -1, 1.5, "a", [1, 2], [0, 1, 2]]), hostile((2,))),
        label="repeats",
    )
    axis = data.draw(AXIS, label="axis")

    def repeat(x: Any, r: Any, axis: Any) -> Any:
        if axis is not None:
            _np_axis(_int_axis(axis), x)
        r = np.asarray(r)
        if r.dtype.kind not in "iu":
            raise TypeError
        return np.repeat(x, r, axis=axis)

    check("repeat", tg.repeat, (x, repeats, axis), ref=repeat)


@given(data=st.data())
def test_concatenate_stack(data: Any) -> None:
    base = data.draw(_shapes(), label="shape")
    n = data.draw(st.integers(0, 3), label="n")
    parts = [
        data.draw(hostile(data.draw(st.one_of(st.just(base), _shapes()), label="s")), label="p")
        for _ in range(n)
    ]
    axis = data.draw(AXIS, label="axis")

    def ref(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(parts: Any, axis: Any) -> Any:
            if axis is not None:
                _int_axis(axis)
            return fn([np.asarray(p) for p in parts], axis=axis)

        return inner

    check("concatenate", tg.concatenate, (parts, axis), ref=ref(np.concatenate), exact_dtype=False)
    check("stack", tg.stack, (parts, axis), ref=ref(np.stack), exact_dtype=False)


@given(data=st.data())
def test_split(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    how = data.draw(
        st.sampled_from([1, 2, 3, 0, -1, [1], [0, 2], [2, 1], [5], 1.5, 2.0, [1.5], "a"]),
        label="how",
    )
    axis = data.draw(AXIS, label="axis")

    def ref(x: Any, how: Any, axis: Any) -> Any:
        _int_axis(axis)
        if isinstance(how, str) or (isinstance(how, float) and not how.is_integer()):
            raise TypeError  # (NumPy takes int(1.5) sections when the length is a multiple)
        return np.split(np.asarray(x), how, axis=axis)  # (np.split(list, n) is AttributeError)

    out = check("split", tg.split, (x, how, axis), ref=None)
    with np.errstate(all="ignore"):
        try:
            want = ref(_raw(x), how, axis)
        except Exception:
            want = None
    if isinstance(out, list):
        assert want is not None, "split accepted an input NumPy rejects"
        assert [o.shape for o in out] == [w.shape for w in want]
        for o, w in zip(out, want, strict=True):
            _same(o.data, w, exact_dtype=True)
    elif want is not None and not _unsupported(x):
        raise AssertionError(f"split rejected an input NumPy accepts: {out!r}")


@given(data=st.data())
def test_pad(data: Any) -> None:
    x = data.draw(hostile(data.draw(_shapes().filter(lambda s: len(s) < 8))), label="x")
    width = data.draw(
        st.sampled_from([1, 0, (1, 2), ((1, 0),), -1, 1.5, "a", ((1, 1), (0, 2), (0, 0), (1, 1))]),
        label="pad_width",
    )
    mode = data.draw(st.sampled_from(["constant", "constant", "reflect", 3]), label="mode")
    value = data.draw(st.sampled_from([0, 1.5, np.nan, "a"]), label="value")

    def ref(x: Any, width: Any, mode: Any, constant_values: Any) -> Any:
        if mode not in ("constant", "reflect") or isinstance(width, (float, str)):
            raise ValueError
        if isinstance(constant_values, str):  # (NumPy parses it, or skips it with no padding)
            raise TypeError
        if np.asarray(x).dtype.kind in "iu" and constant_values != constant_values:
            raise ValueError  # (NumPy: "cannot convert float NaN to integer", but for a 0-d x,
            # which it returns as it is; tensorgrad refuses NaN for an integer x at any shape)
        if mode != "constant":  # (NumPy refuses constant_values there, tensorgrad a nonzero)
            if isinstance(constant_values, str) or constant_values != 0:
                raise ValueError
            return np.pad(x, width, mode=mode)
        return np.pad(x, width, mode=mode, constant_values=constant_values)

    check("pad", tg.pad, (x, width), {"mode": mode, "constant_values": value}, ref=ref)


# ============================================================================= indexing

INDICES = st.one_of(
    st.integers(-4, 4),
    st.sampled_from(
        [
            slice(None, None, 2),
            slice(None, None, -1),
            slice(5, 1),
            None,
            Ellipsis,
            (0, 0),
            (Ellipsis, 0),
            (0, None, Ellipsis),
            (slice(None), [0, 0, 1]),
            [0, -1, 0],
            [[0], [1]],
            [True, False],
            40,
            -40,
            1.5,
            "a",
            (0,) * 70,
            [],
            slice(0, 1, 0),
        ]
    ),
)


def _index_ref(x: Any, index: Any) -> Any:
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, np.ndarray) and part.dtype.kind not in "biu":
            raise IndexError
    return np.asarray(x)[index]


@given(data=st.data())
def test_getitem(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    index = data.draw(
        st.one_of(INDICES, hostile(data.draw(_shapes(2)), wraps=("ndarray", "tensor"))),
        label="index",
    )
    if isinstance(index, tg.Tensor):
        index = index.data
    check("getitem", tg.getitem, (x, index), ref=_index_ref)
    if isinstance(x, tg.Tensor):
        check("Tensor.__getitem__", lambda x, i: x[i], (x, index), ref=_index_ref)


@given(data=st.data())
def test_take(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    indices = data.draw(
        st.one_of(st.sampled_from([0, -1, 5, [0, 0], [[1, 0]], 1.5, "a", []]), hostile()),
        label="indices",
    )
    axis = data.draw(AXIS, label="axis")

    def ref(x: Any, indices: Any, axis: Any) -> Any:
        if axis is not None:
            _np_axis(_int_axis(axis), x)
        i = np.asarray(indices)
        if isinstance(indices, list) and not i.size:
            i = i.astype(np.intp)  # (np.take takes an empty list, float64 to np.asarray)
        if i.dtype.kind not in "iu":
            raise IndexError
        if i.ndim + (0 if axis is None else np.ndim(x) - 1) > 64:
            raise ValueError  # np.take segfaults past 64 result dimensions (NumPy 2.4)
        return np.take(x, i.astype(np.intp), axis=axis)

    check("take", tg.take, (x, indices, axis), ref=ref)


@given(data=st.data())
def test_take_along_axis(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    nd = np.ndim(_raw(x)) if not isinstance(_raw(x), list) else np.asarray(_raw(x)).ndim
    indices = data.draw(
        st.one_of(
            st.sampled_from([0, [0, 0], [[1, 0]], 1.5, "a", []]),
            hostile(kinds=("i64", "i8", "u8", "f64", "bool")),
            st.lists(st.integers(-1, 2), min_size=nd, max_size=nd).map(
                lambda v: np.reshape(v, (1,) * (nd - 1) + (-1,)) if nd else np.array(v)
            ),
        ),
        label="indices",
    )
    axis = data.draw(st.sampled_from([None, 0, -1, 1, 5, 1.5]), label="axis")

    def ref(x: Any, indices: Any, axis: Any) -> Any:
        i = np.asarray(indices)
        if isinstance(indices, list) and not i.size:
            i = i.astype(np.intp)
        if i.dtype.kind not in "iu" or not isinstance(axis, (int, type(None))):
            raise IndexError
        x = np.asarray(x)  # (NumPy's reads arr.flat: a Python number fails there)
        if axis is None and i.ndim == 1:  # (and past 32 dimensions, x.flat does)
            x, axis = x.reshape(-1), 0
        return np.take_along_axis(x, i.astype(np.intp), axis=axis)

    check("take_along_axis", tg.take_along_axis, (x, indices, axis), ref=ref, may_reject=True)


@pytest.mark.parametrize("name", ["sort", "argsort"])
@given(data=st.data())
def test_sort(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    axis = data.draw(st.sampled_from([None, 0, -1, 1, 5, 1.5, (0,)]), label="axis")
    kind = data.draw(st.sampled_from([None, "stable", "quicksort", "bogus"]), label="kind")

    def ref(x: Any, axis: Any, kind: Any) -> Any:
        if kind == "bogus" or isinstance(axis, (float, tuple)):
            raise ValueError
        x = np.asarray(x)  # (a Python number: NumPy sorts it as 0-d)
        return getattr(np, name)(x, axis=axis, kind="stable")

    check(name, getattr(tg, name), (x, axis, kind), ref=ref, may_reject=True, exact_dtype=False)


@given(data=st.data())
def test_topk_and_block_diag(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    k = data.draw(st.sampled_from([0, 1, 2, -1, 1.5, True]), label="k")
    dim = data.draw(st.sampled_from([0, -1, 1, 5]), label="dim")
    largest = data.draw(st.sampled_from([True, False, "yes"]), label="largest")

    def ref(x: Any, k: Any, dim: Any, largest: Any) -> Any:
        a = np.asarray(x)
        if not isinstance(k, int) or isinstance(k, bool) or not isinstance(largest, bool):
            raise TypeError
        if a.ndim == 0:
            if k not in (0, 1) or dim not in (0, -1):
                raise ValueError
            return a
        ax = dim % a.ndim if -a.ndim <= dim < a.ndim else None
        if ax is None or not 0 <= k <= a.shape[ax] or a.dtype.kind not in "biuf":
            raise ValueError
        if largest:  # (descending, NaN first, ties by index)
            order = np.flip(np.argsort(np.flip(a, ax), axis=ax, kind="stable"), ax)
            order = a.shape[ax] - 1 - order
        else:
            order = np.argsort(a, axis=ax, kind="stable")
        return np.take_along_axis(a, order.take(np.arange(k), axis=ax), axis=ax)

    check("topk", lambda *a: tg.topk(*a).values, (x, k, dim, largest), ref=ref, may_reject=True,
          exact_dtype=False)  # fmt: skip
    shapes = st.sampled_from([(2, 3), (3,), (), (0, 2), (2, 0), (1, 2, 2)])
    blocks = tuple(data.draw(hostile(data.draw(shapes)), label="b") for _ in range(2))

    def blocks_ref(*bs: Any) -> Any:
        arrays = [np.asarray(b) for b in bs]
        if any(a.ndim > 2 or a.dtype.kind not in "biuf" for a in arrays):
            raise ValueError
        arrays = [a.reshape((1,) * (2 - a.ndim) + a.shape) for a in arrays]
        out = np.zeros((sum(a.shape[0] for a in arrays), sum(a.shape[1] for a in arrays)),
                       np.result_type(*arrays))  # fmt: skip
        i = j = 0
        for a in arrays:
            out[i : i + a.shape[0], j : j + a.shape[1]] = a
            i, j = i + a.shape[0], j + a.shape[1]
        return out

    check("block_diag", tg.block_diag, blocks, ref=blocks_ref, may_reject=True, exact_dtype=False)


@given(data=st.data())
def test_add_at(data: Any) -> None:
    shape = data.draw(_shapes(), label="shape")
    kinds = ("f64", "f32", "i64", "i8", "u8", "bool")
    t = tg.from_numpy(data.draw(hostile(shape, kinds, wraps=("ndarray",)), label="t").copy())
    index = data.draw(st.sampled_from([0, [0, 0], slice(None), (0, [1, 1]), 9, 1.5, [True]]))
    v = data.draw(st.one_of(hostile(), st.sampled_from([1, 0.5, np.nan])), label="v")
    ufunc = data.draw(st.sampled_from([np.add, np.subtract]), label="ufunc")
    want: Any = t.data.copy()
    if t.ndim > 32 or np.ndim(_raw(v)) > 32:
        want = None  # (NumPy's ufunc.at crashes the interpreter past 32 dimensions)
    else:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ufunc.at(want, index, _raw(v))
        except Exception:
            want = NO_REF
    before = t.data.copy()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ufunc.at(t, index, v)
    except ALLOWED as exc:
        assert str(exc)
        # (refused: nothing written; NumPy may refuse where tensorgrad's checks are stricter)
        assert np.array_equal(t.data, before, equal_nan=True), "a refused add.at wrote"
        return
    assert want is not NO_REF, f"np.{ufunc.__name__}.at accepted what NumPy refuses"
    if want is not None:
        np.testing.assert_array_equal(t.data, want)


# ============================================================================= array manipulation


def _int_arg(v: Any) -> Any:
    """An int argument as tensorgrad takes it: NumPy also takes 1.5 (truncated) and True."""
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise TypeError
    return v


def _as_list(out: Any) -> list:
    return [out] if isinstance(out, tg.Tensor) else list(out)


def _check_each(name: str, fn: Callable[..., Any], args: tuple, ref: Callable[..., Any],
                kwargs: dict | None = None, may_reject: bool = False) -> None:  # fmt: skip
    """``check`` for a function of several results (a tuple or list), each compared with
    NumPy's, as ``test_split`` compares split's."""
    kwargs = kwargs or {}
    out = check(name, lambda *a, **k: _as_list(fn(*a, **k)), args, kwargs, may_reject=may_reject)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want: Any = ref(*_raw(args), **_raw(kwargs))
        except Exception:
            want = None
    if isinstance(out, list):
        assert want is not None, f"{name} accepted an input NumPy rejects"
        want = list(want) if isinstance(want, (tuple, list)) else [want]
        assert len(out) == len(want), f"{name}: {len(out)} results, NumPy gives {len(want)}"
        for o, w in zip(out, want, strict=True):
            _same(o.data, np.asarray(w), exact_dtype=True)
    elif want is not None and not _unsupported(everything := (args, tuple(kwargs.values()))):
        assert may_reject, f"{name} rejected an input NumPy accepts ({everything!r:.80}): {out!r}"


SHIFTS = st.sampled_from([0, 1, -3, (1, 2), [1], [], 1.5, True, "a", [[1]], 2**40])
ROLL_AXES = st.sampled_from([None, 0, -1, 1, 5, (0, 0), (0, 1), (), 1.0, "0"])


@given(data=st.data())
def test_roll_and_rot90(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    shift, axis = data.draw(SHIFTS, label="shift"), data.draw(ROLL_AXES, label="axis")

    def roll(x: Any, shift: Any, axis: Any) -> Any:
        if np.asarray(shift).dtype.kind not in "iu" and shift != []:
            raise TypeError  # (NumPy rolls by int(1.5) and by True as 1; torch refuses them)
        if isinstance(axis, (float, str)):
            raise TypeError
        return np.roll(np.asarray(x), shift, axis)

    check("roll", tg.roll, (x, shift, axis), ref=roll)
    k = data.draw(st.sampled_from([0, 1, 2, 3, -1, 5, 1.5, True, None]), label="k")
    axes = data.draw(
        st.sampled_from([(0, 1), (1, 0), (0, 0), (0, -1), (0,), (0, 1.0), (-1, -2), (0, 3), 0]),
        label="axes",
    )

    def rot90(x: Any, k: Any, axes: Any) -> Any:
        _int_arg(k)  # (NumPy rotates 1.5 times as 3: 1.5 % 4 is no 0, 1 or 2)
        for a in tuple(axes):
            _int_arg(a)
        return np.rot90(np.asarray(x), k, axes)

    check("rot90", tg.rot90, (x, k, axes), ref=rot90)


ENDS = st.one_of(st.sampled_from([None, 0.5, 2, "a", [1.0, 2.0]]), hostile((1,)), hostile(()))


@given(data=st.data())
def test_diff_ediff1d_trapezoid(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    n = data.draw(st.sampled_from([0, 1, 2, -1, 1.5, True]), label="n")
    axis = data.draw(st.sampled_from([-1, 0, 1, 5, 1.0, None]), label="axis")
    prepend, append = data.draw(ENDS, label="prepend"), data.draw(ENDS, label="append")

    def diff(x: Any, n: Any, axis: Any, prepend: Any, append: Any) -> Any:
        _int_arg(n)  # (NumPy's True is n=1)
        if n == 0:
            return np.asarray(x)  # (NumPy returns x as it is, a list too; tensorgrad a Tensor)
        _int_arg(axis)
        given = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not None}
        return np.diff(np.asarray(x), n, axis, **given)

    # (n = 0 returns a as it is, unchecked, as NumPy's: prepend and append unread)
    check("diff", tg.diff, (x, n, axis, prepend, append), ref=diff, may_reject=n == 0)
    to_end, to_begin = data.draw(ENDS, label="to_end"), data.draw(ENDS, label="to_begin")
    check("ediff1d", tg.ediff1d, (x, to_end, to_begin), ref=np.ediff1d)
    spacing = data.draw(st.one_of(st.none(), hostile()), label="x points")
    dx = data.draw(st.one_of(st.sampled_from([1.0, 2, None, "a"]), hostile(())), label="dx")

    def trapezoid(y: Any, x: Any, dx: Any, axis: Any) -> Any:
        _int_arg(axis)
        if dx is None or isinstance(dx, str):
            raise TypeError  # (NumPy only reads dx without x, then fails on it)
        if x is not None and np.ndim(x) == 0:
            raise ValueError  # (NumPy's diff of a 0-d x)
        return np.trapezoid(np.asarray(y), x, dx, axis)

    check("trapezoid", tg.trapezoid, (x, spacing, dx, axis), ref=trapezoid, exact_dtype=False)


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
@given(data=st.data())
def test_stacks(name: str, data: Any) -> None:
    base = data.draw(_shapes(), label="shape")
    n = data.draw(st.integers(0, 3), label="n")
    parts = [
        data.draw(hostile(data.draw(st.one_of(st.just(base), _shapes()), label="s")), label="p")
        for _ in range(n)
    ]

    def ref(parts: Any) -> Any:
        return getattr(np, name)([np.asarray(p) for p in parts])

    check(name, getattr(tg, name), (parts,), ref=ref, exact_dtype=False)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays"])
@given(data=st.data())
def test_atleast_and_broadcast_arrays(name: str, data: Any) -> None:
    args = tuple(data.draw(hostile(), label="a") for _ in range(data.draw(st.integers(0, 3))))

    def broadcast(*args: Any) -> Any:
        # (past 32 dimensions too, as tensorgrad's: NumPy 2.4's raises RuntimeError there)
        arrays = [np.asarray(a) for a in args]
        ndim = max((a.ndim for a in arrays), default=0)
        shapes = [(1,) * (ndim - a.ndim) + a.shape for a in arrays]
        shape = tuple(max(s) if 0 not in s else 0 for s in zip(*shapes))
        return [np.broadcast_to(a, shape) for a in arrays]

    ref = broadcast if name == "broadcast_arrays" else getattr(np, name)
    _check_each(name, getattr(tg, name), args, ref)


@given(data=st.data())
def test_meshgrid(data: Any) -> None:
    args = tuple(data.draw(hostile(), label="x") for _ in range(data.draw(st.integers(0, 3))))
    kwargs = {
        "indexing": data.draw(st.sampled_from(["xy", "ij", "yx"]), label="indexing"),
        "sparse": data.draw(st.booleans(), label="sparse"),
        "copy": data.draw(st.booleans(), label="copy"),
    }
    _check_each("meshgrid", tg.meshgrid, args, np.meshgrid, kwargs)


@pytest.mark.parametrize("name", ["array_split", "hsplit", "vsplit", "dsplit"])
@given(data=st.data())
def test_array_splits(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    how = data.draw(
        st.sampled_from([1, 2, 3, 0, -1, [1], [0, 2], [2, 1], [5], 1.5, 2.0, [1.5], "a"]),
        label="how",
    )
    axis = data.draw(AXIS, label="axis")
    args = (x, how, axis) if name == "array_split" else (x, how)

    def ref(x: Any, how: Any, *axis: Any) -> Any:
        if axis:
            _int_arg(axis[0])
        if isinstance(how, str) or (isinstance(how, float) and not how.is_integer()):
            raise TypeError  # (NumPy takes int(1.5) sections)
        return getattr(np, name)(np.asarray(x), how, *axis)

    _check_each(name, getattr(tg, name), args, ref)


OBJS = st.sampled_from(
    [
        0,
        1,
        -1,
        3,
        -4,
        [1],
        [2, 0],
        [0, 0],
        [],
        slice(0, 2),
        slice(None, None, -1),
        np.array([True, False]),
        np.array(1, np.uint8),
        1.5,
        [1.5],
        "a",
        [[0]],
    ]  # fmt: skip
)


@given(data=st.data())
def test_append_insert_delete(data: Any) -> None:
    x = data.draw(hostile(), label="x")
    values = data.draw(st.one_of(st.sampled_from([7, 0.5, [1, 2]]), hostile()), label="values")
    axis = data.draw(st.sampled_from([None, 0, -1, 1, 5, 1.0]), label="axis")

    def append(x: Any, values: Any, axis: Any) -> Any:
        if axis is not None:
            _int_arg(axis)
        return np.append(x, values, axis)

    check("append", tg.append, (x, values, axis), ref=append, exact_dtype=False)
    obj = data.draw(OBJS, label="obj")

    def positions(x: Any, obj: Any, axis: Any) -> None:
        """tensorgrad's refusals where NumPy's read an odd argument."""
        if axis is not None:
            _int_arg(axis)

    def insert(x: Any, obj: Any, values: Any, axis: Any) -> Any:
        positions(x, obj, axis)
        return numpy_insert(np.asarray(x), obj, values, axis)

    # (may refuse: a sequence index past the axis, which NumPy wraps; values NumPy casts
    # from a kind the tensor's dtype does not hold)
    check("insert", tg.insert, (x, obj, values, axis), ref=insert, may_reject=True)

    def delete(x: Any, obj: Any, axis: Any) -> Any:
        positions(x, obj, axis)
        return np.delete(np.asarray(x), obj, axis)

    check("delete", tg.delete, (x, obj, axis), ref=delete)


@given(data=st.data())
def test_index_helpers(data: Any) -> None:
    n = data.draw(st.sampled_from([0, 1, 3, -1, 1.5, True, None, np.int64(2)]), label="n")
    k = data.draw(st.sampled_from([0, 1, -2, 1.5, True]), label="k")
    arr = data.draw(hostile(), label="arr")
    calls = {
        "tril_indices": ((n, k), np.tril_indices),
        "triu_indices": ((n, k, n), np.triu_indices),
        "diag_indices": ((n, 3), np.diag_indices),
        "tril_indices_from": ((arr, k), np.tril_indices_from),
        "triu_indices_from": ((arr,), np.triu_indices_from),
        "diag_indices_from": ((arr,), np.diag_indices_from),
    }
    for name, (args, np_fn) in calls.items():
        raw = tuple(np.asarray(a) if isinstance(a, list) else a for a in _raw(args))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                # (ints only, as tensorgrad's other counts; a negative size refused)
                if any(not isinstance(v, (int, np.integer, np.ndarray)) for v in raw):
                    raise TypeError
                if any(isinstance(v, bool) for v in raw):
                    raise TypeError
                if name in ("tril_indices", "triu_indices") and raw[0] < 0:
                    raise ValueError
                want: Any = np_fn(*raw)
                if name.endswith("_from") and raw[0].dtype.kind not in SUPPORTED_KINDS:
                    raise TypeError
            except Exception:
                want = NO_REF
        try:
            got = getattr(tg, name)(*args)
        except ALLOWED as exc:
            assert str(exc) and want is NO_REF, f"{name} refused {args!r:.80}: {exc!r}"
            continue
        assert want is not NO_REF, f"{name} accepted {args!r:.80}"
        assert type(got) is tuple and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert type(g) is np.ndarray and g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


@given(data=st.data())
def test_np_put_along_axis(data: Any) -> None:
    shape = data.draw(_shapes(), label="shape")
    kinds = ("f64", "f32", "i64", "bool")
    t = tg.from_numpy(data.draw(hostile(shape, kinds, wraps=("ndarray",)), label="t").copy())
    indices = data.draw(
        st.one_of(hostile(kinds=("i64", "u8", "f64")), st.sampled_from([[0], [[1]], 1])),
        label="indices",
    )
    values = data.draw(st.one_of(st.sampled_from([1, 0.5, np.nan]), hostile()), label="values")
    axis = data.draw(st.sampled_from([None, 0, -1, 1, 5]), label="axis")
    want: Any = t.data.copy()
    ind = np.asarray(_raw(indices))
    if isinstance(indices, list) and not ind.size:
        ind = ind.astype(np.intp)  # (no indices, as an index reads []; NumPy's float64 array)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if axis is None and want.ndim > 32:  # (NumPy's arr.flat stops at 32 dimensions)
                np.put_along_axis(want.reshape(-1), ind, _raw(values), 0)
            else:
                np.put_along_axis(want, ind, _raw(values), axis)
    except Exception:
        want = NO_REF
    before = t.data.copy()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.put_along_axis(t, indices, values, axis)
    except ALLOWED as exc:
        assert str(exc)
        assert np.array_equal(t.data, before, equal_nan=True), "a refused put_along_axis wrote"
        return
    assert want is not NO_REF, "np.put_along_axis into a Tensor accepted what NumPy refuses"
    np.testing.assert_array_equal(t.data, want)


# ============================================================================= linear algebra


@given(data=st.data())
def test_tensordot(data: Any) -> None:
    sa, sb = data.draw(_two_shapes(), label="shapes")
    a, b = data.draw(hostile(sa), label="a"), data.draw(hostile(sb), label="b")
    axes = data.draw(
        st.sampled_from(
            [0, 1, 2, 3, -1, ([0], [0]), ([0], [-1]), ([0, 1], [1, 0]), ([0], []), "a"]
        ),
        label="axes",
    )

    def ref(a: Any, b: Any, axes: Any) -> Any:
        if isinstance(axes, int) and axes < 0 or isinstance(axes, str):
            raise ValueError
        return np.tensordot(a, b, axes)

    # NOTE: with inf or nan in the input, NumPy's values depend on the BLAS (which may skip a
    # zero factor, so that inf * 0 gives 0, not nan): only shapes are compared then.
    raw = [np.asarray(v) for v in _raw((a, b))]
    finite = all(np.all(np.isfinite(v)) for v in raw if v.dtype.kind == "f")
    check("tensordot", tg.tensordot, (a, b, axes), ref=ref, exact_dtype=False, values=finite)


def _square_shapes() -> st.SearchStrategy:
    """Mostly stacks of square matrices (empty ones too), else any hostile shape."""
    square = st.tuples(
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=2), st.integers(0, 3)
    ).map(lambda p: p[0] + (p[1], p[1]))
    return st.one_of(square, square, _shapes())


LINALG = {
    "inv": (tg.linalg.inv, np.linalg.inv),
    "det": (tg.linalg.det, np.linalg.det),
    "slogdet": (lambda x: tg.linalg.slogdet(x).logabsdet, lambda x: np.linalg.slogdet(x)[1]),
    "cholesky": (tg.linalg.cholesky, np.linalg.cholesky),
    "eigvalsh": (tg.linalg.eigvalsh, np.linalg.eigvalsh),
    "eigh": (lambda x: tg.linalg.eigh(x).eigenvectors, lambda x: _batched_eigh(x)),
}


def _batched_eigh(x: Any) -> np.ndarray:
    """NumPy's eigenvectors over one batch axis (its eigh refuses 64-dimensional arrays, which
    tensorgrad's takes)."""
    a = np.asarray(x)
    if a.ndim < 2:
        raise ValueError
    return np.linalg.eigh(a.reshape((-1,) + a.shape[-2:]) if a.size else a).eigenvectors.reshape(
        a.shape
    )


@pytest.mark.parametrize("name", sorted(LINALG))
@given(data=st.data())
def test_linalg(name: str, data: Any) -> None:
    x = data.draw(hostile(data.draw(_square_shapes(), label="shape")), label="x")
    fn, ref = LINALG[name]
    # (float16 is refused as NumPy refuses it; LinAlgError is a ValueError)
    check(f"linalg.{name}", fn, (x,), ref=ref, exact_dtype=False)


def _logdet_ref(x: Any) -> Any:
    """torch's logdet from NumPy's slogdet: NaN where det < 0."""
    sign, logabsdet = np.linalg.slogdet(x)
    return np.where(sign < 0, np.nan, logabsdet)


# torch's top-level names for tg.linalg's functions, and its logdet
TORCH_LINALG = {
    "det": (tg.det, np.linalg.det),
    "inverse": (tg.inverse, np.linalg.inv),
    "slogdet": (lambda x: tg.slogdet(x).logabsdet, lambda x: np.linalg.slogdet(x)[1]),
    "logdet": (tg.logdet, _logdet_ref),
}


@pytest.mark.parametrize("name", sorted(TORCH_LINALG))
@given(data=st.data())
def test_torch_linalg_names(name: str, data: Any) -> None:
    x = data.draw(hostile(data.draw(_square_shapes(), label="shape")), label="x")
    fn, ref = TORCH_LINALG[name]
    check(name, fn, (x,), ref=ref, exact_dtype=False)


def _matrix_shapes() -> st.SearchStrategy:
    """Mostly stacks of any matrices (empty ones too), else any hostile shape."""
    stack = st.tuples(
        hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=2),
        st.integers(0, 3),
        st.integers(0, 3),
    ).map(lambda p: p[0] + (p[1], p[2]))
    return st.one_of(stack, stack, _shapes())


def _batched(fn: Callable[..., Any]) -> Callable[..., Any]:
    """NumPy's ``fn`` past 32 dimensions too, over one batch axis (as tensorgrad takes them)."""

    def ref(x: Any) -> Any:
        a = np.asarray(x)
        if a.ndim <= 32:
            return fn(a)
        out = fn(a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:]))
        return out.reshape(a.shape[:-2] + out.shape[1:])

    return ref


def _without_inf(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A reference by an SVD: NaN for a matrix holding an inf (tensorgrad's rule: NumPy's
    SVD gives NaN there before 2.5 and raises from it, or never returns), a NaN refused (as
    NumPy); ``_batched``."""

    def ref(a: np.ndarray) -> Any:
        if a.dtype.kind == "f" and np.isnan(a).any():  # (with an inf, NumPy's may not return)
            raise np.linalg.LinAlgError("SVD did not converge")
        if a.dtype.kind == "f" and a.ndim >= 2 and np.isinf(a).any():
            finite = fn(np.where(np.isinf(a), 0, a))
            bad = np.isinf(a).any(axis=(-2, -1))
            return np.where(
                bad.reshape(bad.shape + (1,) * (finite.ndim - bad.ndim)), np.nan, finite
            )
        return fn(a)

    return _batched(ref)


def _cond_ref(x: Any) -> Any:
    """NumPy's cond, NaN for a matrix holding a NaN whatever the version (2.4's SVD refuses
    it, 2.5's gives NaN)."""
    a = np.asarray(x)
    if a.dtype.kind != "f" or a.ndim < 2 or not np.isnan(a).any():
        return np.linalg.cond(a)
    nan = np.isnan(a).any(axis=(-2, -1))
    eye = np.eye(*a.shape[-2:], dtype=a.dtype)
    return np.where(nan, np.nan, np.linalg.cond(np.where(nan[..., None, None], eye, a)))


DECOMPOSITIONS = {
    "svdvals": (tg.linalg.svdvals, _without_inf(np.linalg.svdvals)),
    "svd.U": (lambda x: tg.linalg.svd(x).U, _without_inf(lambda a: np.linalg.svd(a).U)),
    "svd.Vh": (
        lambda x: tg.linalg.svd(x, full_matrices=False).Vh,
        _without_inf(lambda a: np.linalg.svd(a, full_matrices=False).Vh),
    ),
    "qr.R": (lambda x: tg.linalg.qr(x, mode="r"), _batched(lambda a: np.linalg.qr(a, mode="r"))),
    "qr.Q": (lambda x: tg.linalg.qr(x).Q, _batched(lambda a: np.linalg.qr(a).Q)),
    "pinv": (tg.linalg.pinv, _without_inf(np.linalg.pinv)),
    "matrix_norm": (tg.linalg.matrix_norm, np.linalg.matrix_norm),
    "vector_norm": (tg.linalg.vector_norm, np.linalg.vector_norm),
    "cond": (tg.linalg.cond, lambda a: _cond_ref(a)),
    "matrix_transpose": (tg.linalg.matrix_transpose, np.linalg.matrix_transpose),
    "diagonal": (tg.linalg.diagonal, np.linalg.diagonal),
    "trace": (tg.linalg.trace, np.linalg.trace),
}


@pytest.mark.parametrize("name", sorted(DECOMPOSITIONS))
@given(data=st.data())
def test_linalg_decompositions(name: str, data: Any) -> None:
    x = data.draw(hostile(data.draw(_matrix_shapes(), label="shape")), label="x")
    fn, ref = DECOMPOSITIONS[name]
    check(f"linalg.{name}", fn, (x,), ref=ref, exact_dtype=False)


@given(data=st.data())
def test_linalg_pairs(data: Any) -> None:
    sa, sb = data.draw(_two_shapes(), label="shapes")
    if data.draw(st.booleans(), label="matching"):
        sa, sb = data.draw(st.sampled_from([((3, 2), (3,)), ((2, 3), (2, 2)), ((0, 2), (0,))]))
    a, b = data.draw(hostile(sa), label="a"), data.draw(hostile(sb), label="b")

    def lstsq(a: Any, b: Any) -> Any:
        if not np.isfinite(a).all():  # (NumPy's SVD may not return on an inf)
            raise np.linalg.LinAlgError
        return np.linalg.lstsq(a, b)[0]

    check("linalg.lstsq", lambda a, b: tg.linalg.lstsq(a, b).solution, (a, b), ref=lstsq,
          exact_dtype=False)  # fmt: skip
    check("linalg.vecdot", tg.linalg.vecdot, (a, b), ref=np.linalg.vecdot, exact_dtype=False)
    check("linalg.outer", tg.linalg.outer, (a, b), ref=np.linalg.outer, exact_dtype=False)
    c, d = data.draw(st.sampled_from([((3,), (2, 3)), ((3, 1), (3, 3)), ((2,), (2,))]))
    c, d = data.draw(hostile(c), label="c"), data.draw(hostile(d), label="d")
    check("linalg.cross", tg.linalg.cross, (c, d), ref=np.linalg.cross, exact_dtype=False)
    e = data.draw(hostile(data.draw(st.sampled_from([(2, 3, 6), (2, 2), (3, 2), (0, 0)]))))
    f = data.draw(hostile(data.draw(st.sampled_from([(2, 3), (2,), (3,), ()]))))
    check("linalg.tensorinv", tg.linalg.tensorinv, (e,), ref=np.linalg.tensorinv,
          exact_dtype=False)  # fmt: skip
    check("linalg.tensorsolve", tg.linalg.tensorsolve, (e, f), ref=np.linalg.tensorsolve,
          exact_dtype=False)  # fmt: skip


@given(data=st.data())
def test_linalg_products(data: Any) -> None:
    x = data.draw(hostile(data.draw(_square_shapes(), label="shape")), label="x")
    n = data.draw(st.sampled_from([0, 1, 2, 3, -1, 1.5, True, "2"]), label="n")

    def power(x: Any, n: Any) -> Any:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError
        return np.linalg.matrix_power(np.asarray(x), n)

    # (with an inf or NaN, a product's NaNs depend on the BLAS path NumPy takes, which a
    # non-contiguous operand changes: only shapes then, as test_tensordot)
    finite = all(np.all(np.isfinite(v)) for v in _floats((x,)))
    check("linalg.matrix_power", tg.linalg.matrix_power, (x, n), ref=power, exact_dtype=False,
          may_reject=True, values=finite)  # fmt: skip
    a, b = data.draw(_two_shapes(), label="shapes")
    xa, xb = data.draw(hostile(a), label="a"), data.draw(hostile(b), label="b")
    check("kron", tg.kron, (xa, xb), ref=np.kron, exact_dtype=False, may_reject=True)
    shapes = data.draw(st.sampled_from([[(3,), (3, 2), (2,)], [(2, 3), (3, 2), (2, 2)],
                                        [(2, 3), (2, 2)], [(2,)]]), label="chain")  # fmt: skip
    chain = tuple(data.draw(hostile(shape), label="m") for shape in shapes)
    finite = all(np.all(np.isfinite(v)) for v in _floats(chain))

    def dots(*m: Any) -> Any:
        return np.linalg.multi_dot(list(m))

    check("linalg.multi_dot", lambda *m: tg.linalg.multi_dot(list(m)), chain, ref=dots,
          exact_dtype=False, may_reject=True, values=finite)  # fmt: skip


def _floats(args: tuple) -> list[np.ndarray]:
    """The float arrays among ``args``' raw values (what NumPy is given)."""
    raw = [np.asarray(v) for v in _raw(args) if not isinstance(v, str)]
    return [v for v in raw if v.dtype.kind == "f"]


@given(data=st.data())
def test_linalg_triangular(data: Any) -> None:
    sa = data.draw(_square_shapes(), label="a shape")
    n = sa[-1] if sa else 1
    sb = data.draw(st.sampled_from([(n, 2), (2, n), (n,), sa, ()]), label="b shape")
    a, b = data.draw(hostile(sa), label="a"), data.draw(hostile(sb), label="b")
    kw = {"upper": data.draw(st.booleans()), "left": data.draw(st.booleans())}
    # (tensorgrad's solve on the triangle: NumPy's solve of tril or triu, the reference)
    check("linalg.solve_triangular", tg.linalg.solve_triangular, (a, b), kw, may_reject=True)
    check("linalg.cholesky_solve", tg.linalg.cholesky_solve, (b, a), may_reject=True)


@given(data=st.data())
def test_linalg_solve(data: Any) -> None:
    sa = data.draw(_square_shapes(), label="a shape")
    n = sa[-1] if sa else 1
    sb = data.draw(st.sampled_from([(n,), (n, 2), (2, n, 1), sa, (n + 1,), ()]), label="b shape")
    a, b = data.draw(hostile(sa), label="a"), data.draw(hostile(sb), label="b")
    check("linalg.solve", tg.linalg.solve, (a, b), ref=np.linalg.solve, exact_dtype=False)


@given(data=st.data())
def test_matrix_parts(data: Any) -> None:
    x = data.draw(hostile(data.draw(_shapes(), label="shape")), label="x")
    k = data.draw(st.sampled_from([0, 1, -2, 5, 1.5, None, True]), label="k")
    axes = data.draw(st.sampled_from([(0, 1), (1, 0), (-1, -2), (0, 0), (0, 3), (2, -3)]))

    def refuses_a_bad_k(fn: Callable[..., Any]) -> Callable[..., Any]:
        # (NumPy takes a float k in tri, a bool as 1, None as 0 in places; tensorgrad refuses
        # anything but an int, and a 0-d m)
        def ref(*args: Any) -> Any:
            if not isinstance(k, int) or isinstance(k, bool) or np.ndim(args[0]) == 0:
                raise TypeError
            return fn(*args)

        return ref

    check("tril", tg.tril, (x, k), ref=refuses_a_bad_k(np.tril))
    check("triu", tg.triu, (x, k), ref=refuses_a_bad_k(np.triu))
    check("diag", tg.diag, (x, k), ref=refuses_a_bad_k(np.diag))
    check("diagonal", tg.diagonal, (x, k, *axes), ref=refuses_a_bad_k(np.diagonal))
    check("trace", tg.trace, (x, k, *axes), ref=refuses_a_bad_k(np.trace), exact_dtype=False)
    check("diag_embed", tg.diag_embed, (x, k, *axes), ref=refuses_a_bad_k(_diag_embed))


def _diag_embed(x: Any, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """torch's diag_embed in NumPy: the last axis on the offset-th diagonal of new matrices
    over the output's axes dim1 (rows) and dim2 (columns)."""
    a = np.asarray(x)
    ndim = a.ndim + 1
    rows, cols = (np.core.numeric.normalize_axis_index(d, ndim) for d in (dim1, dim2))
    if rows == cols:
        raise ValueError
    n, before, after = a.shape[-1], max(-offset, 0), max(offset, 0)
    out = np.zeros(a.shape[:-1] + (n + abs(offset),) * 2, a.dtype)
    out[..., np.arange(n) + before, np.arange(n) + after] = a
    return np.moveaxis(out, (-2, -1), (rows, cols))


EINSUMS = [
    "ij,jk->ik",
    "ij->ji",
    "ii->i",
    "ii",
    "i,i",
    "i,j->ij",
    "ij->",
    "...i->...",
    "i...,i->...",
    "bij,bjk->bik",
    "ij,jk->iz",
    "ij,jk",
    "ab->aa",
    "i->",
    "->",
    "i,i,i->",
    "",
    "ij->k",
    "I,I->",
]


VALID_EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("...i->...", [(2, 3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]),
    ("i,i,i->", [(3,)] * 3),
    ("ij->", [(0, 2)]),
]


@given(data=st.data())
def test_einsum(data: Any) -> None:
    well_formed = _well_formed(data)
    if well_formed:
        subscripts, shapes = data.draw(st.sampled_from(VALID_EINSUMS), label="subscripts")
        ops = [data.draw(_valid(shape), label="op") for shape in shapes]
    else:
        subscripts = data.draw(st.one_of(st.sampled_from(EINSUMS), st.just(3)), label="subscripts")
        n = data.draw(st.integers(0, 3), label="n")
        ops = [data.draw(hostile(), label="op") for _ in range(n)]

    def ref(subscripts: Any, *ops: Any) -> Any:
        return np.einsum(subscripts, *ops)

    # (with inf or nan, NumPy's values depend on the BLAS, as for tensordot: shapes only)
    raw = [np.asarray(v) for v in _raw(ops)]
    finite = all(np.all(np.isfinite(v)) for v in raw if v.dtype.kind == "f")
    out = check("einsum", tg.einsum, (subscripts, *ops), ref=ref, exact_dtype=False, values=finite)
    _accepted("einsum", out, well_formed)


# ============================================================================= softmax, losses


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    key = data.draw(st.sampled_from(["axis", "dim"]), label="key")
    axis = data.draw(st.one_of(st.none(), AXIS), label="axis")

    def ref(x: Any, **kw: Any) -> Any:
        (a,) = kw.values()
        a = -1 if a is None else _int_axis(a)
        x = np.asarray(x)
        if x.dtype.kind not in SUPPORTED_KINDS or x.ndim == 0 and a not in (0, -1):
            raise TypeError
        x = x if x.dtype.kind == "f" else x.astype(np.float64)
        m = np.max(x, axis=a, keepdims=True, initial=-np.inf)  # (empty over an empty axis)
        z = x - m  # (unguarded, as torch: a row with +inf, NaN or only -inf is NaN)
        lse = np.log(np.sum(np.exp(z), axis=a, keepdims=True))
        return z - lse if name == "log_softmax" else np.exp(z - lse)

    for fn in (getattr(F, name), getattr(tg, name)):  # (torch's argument names, and NumPy's)
        check(name, fn, (x,), {key: axis}, ref=ref, exact_dtype=False, may_reject=True)


REDUCTION = st.sampled_from(["mean", "sum", "none", "avg", None])


def _loss_shape(batch: tuple[int, ...], reduction: Any) -> tuple[int, ...] | None:
    return batch if reduction == "none" else ()


@given(data=st.data())
def test_mse_and_bce(data: Any) -> None:
    shape = data.draw(_shapes(), label="shape")
    inp = data.draw(hostile(shape), label="input")
    target = data.draw(st.one_of(hostile(shape), hostile(), st.just(0.5)), label="target")
    reduction = data.draw(REDUCTION, label="reduction")
    for name, fn, extra in (
        ("mse_loss", F.mse_loss, {}),
        (
            "binary_cross_entropy_with_logits",
            F.binary_cross_entropy_with_logits,
            {
                "weight": data.draw(st.one_of(st.none(), hostile()), label="weight"),
                "pos_weight": data.draw(st.one_of(st.none(), hostile()), label="pos_weight"),
            },
        ),
    ):
        assert fn is getattr(tg, name)
        out = check(name, fn, (inp, target), {"reduction": reduction, **extra}, may_reject=True)
        if isinstance(out, tg.Tensor):
            assert reduction in ("mean", "sum", "none"), f"{name} accepted reduction={reduction!r}"
            assert np.shape(_raw(target)) == np.shape(_raw(inp)) or np.ndim(_raw(target)) == 0
            want = np.shape(_raw(inp))
            assert out.shape == _loss_shape(want, reduction) or reduction == "none", out.shape


@st.composite
def _classification(draw: Any) -> tuple[Any, Any]:
    n = draw(st.integers(0, 3))
    c = draw(st.integers(0, 3))
    extra = draw(st.sampled_from([(), (), (2,), (2, 1)]))
    logits_shape = draw(st.sampled_from([(n, c) + extra, (c,), (), (n,), (1,) * 33]))
    logits = draw(hostile(logits_shape))
    target_shape = draw(st.sampled_from([(n,) + extra, (), (n, c) + extra, (n + 1,)]))
    target = draw(
        st.one_of(
            hostile(target_shape, kinds=("i64", "i8", "u8")),
            hostile(target_shape),
            st.just([c, -1, -100][: max(n, 0)]),
        )
    )
    return logits, target


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@given(data=st.data())
def test_classification_losses(name: str, data: Any) -> None:
    well_formed = _well_formed(data)
    if well_formed:
        n, c = data.draw(st.integers(0, 3), label="n"), data.draw(st.integers(1, 3), label="c")
        extra = data.draw(st.sampled_from([(), (2,)]), label="extra")
        logits = data.draw(_valid((n, c) + extra), label="logits")
        labels = data.draw(hnp.arrays(np.int64, (n,) + extra, elements=st.integers(0, c - 1)))
        target = data.draw(st.sampled_from([labels, tg.tensor(labels)]), label="target")
        kwargs: dict[str, Any] = {
            "reduction": data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction"),
            "weight": data.draw(st.one_of(st.none(), _valid((c,))), label="weight"),
            "ignore_index": data.draw(st.sampled_from([-100, 0]), label="ignore_index"),
        }
        if name == "cross_entropy":
            kwargs["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.1]), label="ls")
    else:
        logits, target = data.draw(_classification(), label="logits, target")
        kwargs = {
            "reduction": data.draw(REDUCTION, label="reduction"),
            "weight": data.draw(st.one_of(st.none(), hostile()), label="weight"),
            "ignore_index": data.draw(st.sampled_from([-100, 0, 1.5]), label="ignore_index"),
        }
        if name == "cross_entropy":
            ls = data.draw(st.sampled_from([0.0, 0.1, -0.5, 2.0]), label="ls")
            kwargs["label_smoothing"] = ls
    fn = getattr(F, name)
    assert fn is getattr(tg, name)
    out = check(name, fn, (logits, target), kwargs, may_reject=True)
    if _accepted(name, out, well_formed):
        shape = np.shape(_raw(logits))
        batch = shape[:1] + shape[2:] if len(shape) >= 2 else ()
        assert out.shape == _loss_shape(batch, kwargs["reduction"]), out.shape


# ============================================================================= nn.functional layers


def _conv_out(size: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    return out - 1 if ceil and (out - 1) * s >= size + p else out  # (torch's pooling rule)


def _pair(v: Any) -> tuple:
    return v if isinstance(v, tuple) else (v, v)


INTS = st.one_of(st.integers(-1, 3), st.sampled_from([(1, 2), (0, 1), 1.5, "a", (1, 2, 3)]))
PADDINGS = ["same", "valid", "full", ("same", 1)]


@given(data=st.data())
def test_conv2d(data: Any) -> None:
    n, cin, cout, h, w, k = (data.draw(st.integers(0, 3), label="dim") for _ in range(6))
    well_formed = _well_formed(data)
    if well_formed:
        g = data.draw(st.sampled_from([1, 2]), label="groups")
        cin, cout, k, d = max(cin, 1), max(cout, 1) * g, max(k, 1), data.draw(st.integers(1, 2))
        lead = data.draw(st.sampled_from([(n, cin * g), (cin * g,)]), label="lead")
        span = d * (k - 1) + 1  # (the kernel's reach, which the input must cover)
        x = data.draw(_valid(lead + (h + span, w + span)), label="x")
        weight = data.draw(_valid((cout, cin, k, k)), label="weight")
        bias = data.draw(st.one_of(st.none(), _valid((cout,))), label="bias")
        stride = data.draw(st.sampled_from([1, 2, (1, 2)]), label="stride")
        paddings = [0, 1, (1, 0), "valid"] + (["same"] if stride == 1 else [])
        kwargs = {
            "stride": stride,
            "padding": data.draw(st.sampled_from(paddings), label="padding"),
            "dilation": d,
            "groups": g,
        }
    else:
        x = data.draw(
            hostile(data.draw(st.sampled_from([(n, cin, h, w), (cin, h, w), (n, cin, h), ()]))),
            label="x",
        )
        weight = data.draw(
            hostile(data.draw(st.sampled_from([(cout, cin, k, k), (cout, cin + 1, k, k), (k, k)]))),
            label="weight",
        )
        bias = data.draw(st.one_of(st.none(), hostile((cout,)), hostile()), label="bias")
        kwargs = {
            "stride": data.draw(INTS, label="stride"),
            "padding": data.draw(st.one_of(INTS, st.sampled_from(PADDINGS)), label="padding"),
            "dilation": data.draw(INTS, label="dilation"),
            "groups": data.draw(st.sampled_from([1, 1, 2, 3, 0, 1.5, True]), label="groups"),
        }
    out = check("conv2d", F.conv2d, (x, weight, bias), kwargs, may_reject=True)
    if _accepted("conv2d", out, well_formed):
        # an int or an (h, w) pair of ints ('valid' or 'same' for padding), as torch
        s, p, d = (_pair(kwargs[k]) for k in ("stride", "padding", "dilation"))
        g = kwargs["groups"]
        assert isinstance(g, int) and not isinstance(g, bool) and g >= 1, f"groups={g!r}"
        xs, ws = np.shape(_raw(x)), np.shape(_raw(weight))
        assert xs[-3] == ws[1] * g and ws[0] % g == 0, f"conv2d accepted {xs}, {ws}, groups={g}"
        if p == ("same", "same"):
            assert s == (1, 1), f"conv2d accepted padding='same' with stride {s}"
            assert out.shape[-2:] == xs[-2:], f"conv2d 'same': {out.shape} from {xs}"
        p = (0, 0) if p in (("same", "same"), ("valid", "valid")) else p
        assert all(isinstance(v, int) for v in s + p + d), f"conv2d accepted {kwargs}"
        want = (
            *xs[:-3],
            ws[0],
            *(_conv_out(xs[i], ws[i], s[i], p[i], d[i]) for i in (-2, -1)),
        )
        if kwargs["padding"] == "same":
            want = want[:-2] + xs[-2:]
        assert out.shape == want, f"conv2d: {out.shape}, expected {want}"


@given(data=st.data())
def test_conv1d(data: Any) -> None:
    n, cin, cout, length, k = (data.draw(st.integers(0, 3), label="dim") for _ in range(5))
    well_formed = _well_formed(data)
    if well_formed:
        g = data.draw(st.sampled_from([1, 2]), label="groups")
        cin, cout, k, d = max(cin, 1), max(cout, 1) * g, max(k, 1), data.draw(st.integers(1, 2))
        lead = data.draw(st.sampled_from([(n, cin * g), (cin * g,)]), label="lead")
        x = data.draw(_valid(lead + (length + d * (k - 1) + 1,)), label="x")
        weight = data.draw(_valid((cout, cin, k)), label="weight")
        bias = data.draw(st.one_of(st.none(), _valid((cout,))), label="bias")
        stride = data.draw(st.sampled_from([1, 2, (2,)]), label="stride")
        paddings = [0, 1, (1,), "valid"] + (["same"] if stride == 1 else [])
        padding = data.draw(st.sampled_from(paddings), label="padding")
        kwargs = {"stride": stride, "padding": padding, "dilation": d, "groups": g}
    else:
        x = data.draw(
            hostile(data.draw(st.sampled_from([(n, cin, length), (cin, length), (n, cin), ()]))),
            label="x",
        )
        weight = data.draw(
            hostile(data.draw(st.sampled_from([(cout, cin, k), (cout, cin + 1, k), (k, k)]))),
            label="weight",
        )
        bias = data.draw(st.one_of(st.none(), hostile((cout,)), hostile()), label="bias")
        kwargs = {
            "stride": data.draw(INTS, label="stride"),
            "padding": data.draw(st.one_of(INTS, st.sampled_from(PADDINGS)), label="padding"),
            "dilation": data.draw(INTS, label="dilation"),
            "groups": data.draw(st.sampled_from([1, 1, 2, 3, 0, 1.5, True]), label="groups"),
        }
    out = check("conv1d", F.conv1d, (x, weight, bias), kwargs, may_reject=True)
    if _accepted("conv1d", out, well_formed):
        # an int or a tuple of one ('valid' or 'same' for padding), as torch
        for k in ("stride", "padding", "dilation"):
            v = kwargs[k]
            assert not isinstance(v, tuple) or len(v) == 1, f"conv1d accepted {k}={v!r}"
        s, p, d = (_pair(kwargs[k])[0] for k in ("stride", "padding", "dilation"))
        g = kwargs["groups"]
        assert isinstance(g, int) and not isinstance(g, bool) and g >= 1, f"groups={g!r}"
        xs, ws = np.shape(_raw(x)), np.shape(_raw(weight))
        assert xs[-2] == ws[1] * g and ws[0] % g == 0, f"conv1d accepted {xs}, {ws}, groups={g}"
        if p == "same":
            assert s == 1 and out.shape[-1] == xs[-1], f"conv1d 'same': {out.shape} from {xs}"
            return
        p = 0 if p == "valid" else p
        assert all(isinstance(v, int) for v in (s, p, d)), f"conv1d accepted {kwargs}"
        want = (*xs[:-2], ws[0], _conv_out(xs[-1], ws[-1], s, p, d))
        assert out.shape == want, f"conv1d: {out.shape}, expected {want}"


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
@given(data=st.data())
def test_pool2d(name: str, data: Any) -> None:
    shape = data.draw(
        st.sampled_from([(1, 2, 4, 4), (2, 3, 3), (0, 1, 2, 2), (1, 1, 0, 3), (4, 4), ()]),
        label="shape",
    )
    well_formed = _well_formed(data)
    if well_formed:
        k = data.draw(st.sampled_from([1, 2, 3, (2, 1)]), label="kernel")
        shape = data.draw(st.sampled_from([(1, 2, 4, 4), (2, 3, 3), (2, 1, 3, 5)]), label="shape")
        x = data.draw(_valid(shape), label="x")
        kwargs = {
            "kernel_size": k,
            "stride": data.draw(st.sampled_from([None, 1, 2, (2, 1)]), label="stride"),
            "padding": data.draw(st.sampled_from([0, 0 if k == (2, 1) else 1]), label="padding"),
            "ceil_mode": data.draw(st.booleans(), label="ceil_mode"),
        }
        if kwargs["padding"] and k == 1:
            kwargs["padding"] = 0  # (at most half the kernel, as torch)
        if name == "avg_pool2d":
            divisor = data.draw(st.sampled_from([None, 2]), label="divisor_override")
            kwargs["divisor_override"] = divisor
    else:
        x = data.draw(hostile(shape), label="x")
        kwargs = {
            "kernel_size": data.draw(INTS, label="kernel"),
            "stride": data.draw(st.one_of(st.none(), INTS), label="stride"),
            "padding": data.draw(INTS, label="padding"),
            "ceil_mode": data.draw(st.booleans(), label="ceil_mode"),
        }
        if name == "avg_pool2d":
            kwargs["divisor_override"] = data.draw(
                st.sampled_from([None, None, 2, 0, -1, 1.5, True]), label="divisor_override"
            )
    fn = getattr(F, name)
    out = check(name, fn, (x,), kwargs, may_reject=True)
    if _accepted(name, out, well_formed):
        # an int or an (h, w) pair of ints, as torch; (N, C, H, W) or (C, H, W) input
        k, s, p = (_pair(kwargs[n]) for n in ("kernel_size", "stride", "padding"))
        s = k if s == (None, None) else s
        ok = all(isinstance(v, int) and v >= 0 for v in k + s + p)
        assert ok, f"{name} accepted {kwargs}"
        xs = np.shape(_raw(x))
        assert len(xs) in (3, 4) and min(xs[-2:]) > 0, f"{name} accepted shape {xs}"
        divisor = kwargs.get("divisor_override")
        assert divisor is None or (type(divisor) is int and divisor >= 1), f"{divisor!r}"
        ceil = kwargs["ceil_mode"]
        want = xs[:-2] + tuple(_conv_out(xs[i - 2], k[i], s[i], p[i], 1, ceil) for i in (0, 1))
        assert out.shape == want, f"{name}: {out.shape}, expected {want}"


@pytest.mark.parametrize("name", ["max_pool1d", "avg_pool1d"])
@given(data=st.data())
def test_pool1d(name: str, data: Any) -> None:
    shape = data.draw(st.sampled_from([(1, 2, 4), (2, 3), (0, 1, 2), (1, 1, 0), (4,), ()]))
    well_formed = _well_formed(data)
    if well_formed:
        k = data.draw(st.sampled_from([1, 2, 3, (2,)]), label="kernel")
        x = data.draw(_valid(data.draw(st.sampled_from([(1, 2, 4), (2, 3), (2, 1, 5)]))))
        kwargs = {
            "kernel_size": k,
            "stride": data.draw(st.sampled_from([None, 1, 2, (2,)]), label="stride"),
            "padding": data.draw(st.sampled_from([0, 0 if k in (1, (2,)) else 1]), label="pad"),
            "ceil_mode": data.draw(st.booleans(), label="ceil_mode"),
        }
    else:
        x = data.draw(hostile(shape), label="x")
        kwargs = {
            "kernel_size": data.draw(INTS, label="kernel"),
            "stride": data.draw(st.one_of(st.none(), INTS), label="stride"),
            "padding": data.draw(INTS, label="padding"),
            "ceil_mode": data.draw(st.booleans(), label="ceil_mode"),
        }
    out = check(name, getattr(F, name), (x,), kwargs, may_reject=True)
    if _accepted(name, out, well_formed):
        # an int or a tuple of one, as torch; (N, C, L) or (C, L) input
        for key in ("kernel_size", "stride", "padding"):
            v = kwargs[key]
            assert not isinstance(v, tuple) or len(v) == 1, f"{name} accepted {key}={v!r}"
        k, s, p = (_pair(kwargs[n])[0] for n in ("kernel_size", "stride", "padding"))
        s = k if s is None else s
        assert all(isinstance(v, int) and v >= 0 for v in (k, s, p)), f"{name} accepted {kwargs}"
        xs = np.shape(_raw(x))
        assert len(xs) in (2, 3) and xs[-1] > 0, f"{name} accepted shape {xs}"
        want = xs[:-1] + (_conv_out(xs[-1], k, s, p, 1, kwargs["ceil_mode"]),)
        assert out.shape == want, f"{name}: {out.shape}, expected {want}"


@pytest.mark.parametrize("n", [1, 2])
@given(data=st.data())
def test_conv_transpose(n: int, data: Any) -> None:
    name = f"conv_transpose{n}d"
    cin, cout, length, k = (data.draw(st.integers(0, 3), label="dim") for _ in range(4))
    well_formed = _well_formed(data)
    if well_formed:
        g = data.draw(st.sampled_from([1, 2]), label="groups")
        cin, cout, k = max(cin, 1) * g, max(cout, 1), max(k, 1)
        s, d = data.draw(st.integers(1, 3), label="stride"), data.draw(st.integers(1, 2))
        lead = data.draw(st.sampled_from([(data.draw(st.integers(0, 2)), cin), (cin,)]))
        x = data.draw(_valid(lead + (max(length, 1),) * n), label="x")
        weight = data.draw(_valid((cin, cout) + (k,) * n), label="weight")
        bias = data.draw(st.one_of(st.none(), _valid((cout * g,))), label="bias")
        p = data.draw(st.integers(0, (d * (k - 1)) // 2), label="padding")
        op = data.draw(st.integers(0, max(s, d) - 1), label="output_padding")
        kwargs = {"stride": s, "padding": p, "output_padding": op, "groups": g, "dilation": d}
    else:
        sides = (length,) * n
        x = data.draw(
            hostile(data.draw(st.sampled_from([(2, cin) + sides, (cin,) + sides, (cin,), ()]))),
            label="x",
        )
        weight = data.draw(
            hostile(
                data.draw(st.sampled_from([(cin, cout) + (k,) * n, (cin + 1, cout) + (k,) * n]))
            ),
            label="weight",
        )
        bias = data.draw(st.one_of(st.none(), hostile((cout,)), hostile()), label="bias")
        kwargs = {
            "stride": data.draw(INTS, label="stride"),
            "padding": data.draw(st.one_of(INTS, st.just("same")), label="padding"),
            "output_padding": data.draw(INTS, label="output_padding"),
            "groups": data.draw(st.sampled_from([1, 1, 2, 0, 1.5, True]), label="groups"),
            "dilation": data.draw(INTS, label="dilation"),
        }
    out = check(name, getattr(F, name), (x, weight, bias), kwargs, may_reject=True)
    if _accepted(name, out, well_formed):
        sizes = {key: _pair(kwargs[key]) for key in ("stride", "padding", "output_padding")}
        sizes["dilation"] = _pair(kwargs["dilation"])
        for key, v in sizes.items():
            assert all(type(e) is int for e in v), f"{name} accepted {key}={kwargs[key]!r}"
            if n == 1:
                assert not isinstance(kwargs[key], tuple) or len(kwargs[key]) == 1
        g = kwargs["groups"]
        assert type(g) is int and g >= 1, f"{name} accepted groups={g!r}"
        xs, ws = np.shape(_raw(x)), np.shape(_raw(weight))
        assert xs[-n - 1] == ws[0] and ws[0] % g == 0, f"{name} accepted {xs}, {ws}, groups={g}"
        s, p, op, d = (sizes[key] for key in ("stride", "padding", "output_padding", "dilation"))
        assert all(o < si or o < di for o, si, di in zip(op, s, d)), f"{name} accepted {kwargs}"
        spatial = tuple(
            (xs[i - n] - 1) * s[i] - 2 * p[i] + d[i] * (ws[i + 2] - 1) + op[i] + 1 for i in range(n)
        )
        assert out.shape == xs[: -n - 1] + (ws[1] * g,) + spatial, f"{name}: {out.shape}"


@pytest.mark.parametrize(
    "name",
    ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"],
)
@given(data=st.data())
def test_adaptive_pool(name: str, data: Any) -> None:
    n = int(name[-2])
    shapes = [(1, 2, 4, 4), (2, 3, 5), (0, 1, 2, 2), (1, 1, 0, 3), (4,), (), (2, 0, 3)]
    well_formed = _well_formed(data)
    if well_formed:
        shape = data.draw(st.sampled_from([(1, 2, 4, 5), (2, 3, 3), (0, 2, 3, 3)]))[-n - 1 :]
        x = data.draw(_valid(shape), label="x")
        sizes = st.integers(0, 7)
        if n == 2:
            sizes = st.one_of(sizes, st.tuples(st.one_of(st.none(), sizes), sizes))
        output_size = data.draw(sizes, label="output_size")
    else:
        x = data.draw(hostile(data.draw(st.sampled_from(shapes), label="shape")), label="x")
        output_size = data.draw(
            st.sampled_from([2, 0, -1, 1.5, True, None, (2,), (2, 2), (None, 2), "a", (1, 2, 3)]),
            label="output_size",
        )
    kwargs: dict[str, Any] = {"output_size": output_size}
    if "max" in name:
        flags = [False, True] if well_formed else [False, True, 1]
        kwargs["return_indices"] = data.draw(st.sampled_from(flags), label="indices")

    def pool(*args: Any, **kwargs: Any) -> Any:
        out = getattr(F, name)(*args, **kwargs)
        return list(out) if isinstance(out, tuple) else out  # (check's form of two results)

    out = check(name, pool, (x,), kwargs, may_reject=True)
    if isinstance(out, list) or _accepted(name, out, well_formed):
        value = out[0] if isinstance(out, list) else out
        xs = np.shape(_raw(x))
        assert len(xs) in (n + 1, n + 2) and min(xs[-n:]) > 0, f"{name} accepted shape {xs}"
        want = output_size if isinstance(output_size, tuple) else (output_size,) * n
        assert all(v is None or (type(v) is int and v >= 0) for v in want), f"{output_size!r}"
        want = tuple(xs[-n + i] if v is None else v for i, v in enumerate(want))
        assert value.shape == xs[:-n] + want, f"{name}: {value.shape} from {xs}, {output_size}"
        if isinstance(out, list):
            assert out[1].shape == value.shape and out[1].dtype == np.int64


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (
            lambda: F.conv2d(np.ones((1, 4, 3, 3)), np.ones((3, 2, 2, 2)), groups=2),
            ValueError,
            r"3 output channels.*groups=2",
        ),
        (
            lambda: F.conv2d(np.ones((1, 3, 3, 3)), np.ones((4, 1, 2, 2)), groups=2),
            ValueError,
            r"3 channels.*groups=2",
        ),
        (
            lambda: F.conv2d(np.ones((1, 4, 3, 3)), np.ones((4, 1, 2, 2)), groups=2),
            ValueError,
            r"4 channels but weight expects 2",
        ),
        (
            lambda: F.conv2d(np.ones((4, 3, 3)), np.ones((4, 4, 2, 2)), groups=0),
            ValueError,
            "groups",
        ),
        (
            lambda: F.conv2d(np.ones((4, 3, 3)), np.ones((4, 4, 2, 2)), groups=True),
            TypeError,
            "groups",
        ),
        (
            lambda: F.conv2d(np.ones((4, 3, 3)), np.ones((4, 4, 2, 2)), padding="full"),
            ValueError,
            "padding",
        ),
        (
            lambda: F.conv2d(np.ones((4, 3, 3)), np.ones((4, 4, 2, 2)), padding="same", stride=2),
            ValueError,
            r"padding='same'.*stride",
        ),
        (lambda: F.conv2d(np.ones((3, 3)), np.ones((1, 1, 2, 2))), ValueError, "input"),
        (lambda: F.max_pool2d(np.ones((3, 3)), 2), ValueError, "input"),
        (lambda: F.avg_pool2d(np.ones((1, 0, 3)), 2, 2, 1), ValueError, "height and width"),
        (
            lambda: F.avg_pool2d(np.ones((1, 3, 3)), 2, divisor_override=0),
            ValueError,
            "divisor_override",
        ),
        (
            lambda: F.avg_pool2d(np.ones((1, 3, 3)), 2, divisor_override=1.5),
            TypeError,
            "divisor_override",
        ),
        (lambda: tg.nn.Conv2d(3, 4, 2, groups=2), ValueError, r"in_channels \(3\).*groups \(2\)"),
        (lambda: tg.nn.Conv2d(4, 3, 2, groups=2), ValueError, r"out_channels \(3\).*groups \(2\)"),
        (lambda: tg.nn.Conv2d(2, 2, 2, groups=0), ValueError, "groups"),
        (lambda: tg.nn.Conv2d(2, 2, 3, stride=2, padding="same"), ValueError, "stride"),
        (lambda: tg.nn.Conv2d(2, 2, 3, padding="full"), ValueError, "padding"),
    ],
)
def test_conv_and_pool_refusals_name_the_argument(call: Any, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()


@given(data=st.data())
def test_norms(data: Any) -> None:
    shape = data.draw(_shapes(), label="shape")
    x = data.draw(hostile(shape), label="x")
    ns = data.draw(st.sampled_from([shape[-1:], shape[-2:], 3, (), (7,), -1, 1.5]), label="ns")
    weight = data.draw(
        st.one_of(st.none(), hostile(np.atleast_1d(ns).shape if ns else ())), label="w"
    )
    eps = data.draw(st.sampled_from([1e-5, 0.0, -1.0]), label="eps")
    out = check("layer_norm", F.layer_norm, (x, ns, weight), {"eps": eps}, may_reject=True)
    if isinstance(out, tg.Tensor):
        assert out.shape == np.shape(_raw(x))
    c = shape[1] if len(shape) >= 2 else 2
    stats = [data.draw(st.one_of(st.none(), hostile((c,))), label="stat") for _ in range(4)]
    training = data.draw(st.booleans(), label="training")
    if training:  # running statistics are updated in place, by design: none given here
        stats[:2] = [None, None]
    out = check(
        "batch_norm",
        F.batch_norm,
        (x, *stats),
        {"training": training, "eps": eps},
        may_reject=True,
        backward=False,
    )
    if isinstance(out, tg.Tensor):
        assert out.shape == np.shape(_raw(x))


def _cdist(x1: Any, x2: Any, p: Any) -> np.ndarray:
    """torch's cdist in NumPy: p-norms of the rows' differences over the last axis, integers
    and bools in float64 (tensorgrad's ``norm``'s rule), other p than 0, 1, 2, inf over the
    largest difference (no power leaves the range where the norm does not)."""
    if isinstance(p, (bool, str)):
        raise TypeError
    if not p >= 0:
        raise ValueError
    a, b = (np.asarray(v) for v in (x1, x2))
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise ValueError
    a, b = (v.astype(np.float64) if v.dtype.kind in "biu" else v for v in (a, b))
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return np.sum(d != 0, axis=-1).astype(d.dtype)
    if p == np.inf:
        return np.max(d, axis=-1, initial=0)
    if p == 1:
        return np.sum(d, axis=-1)
    if p == 2:
        return np.sqrt(np.sum(d * d, axis=-1))
    wide = d.astype(np.float64)
    s = np.max(wide, axis=-1, keepdims=True, initial=0)
    s = np.where(np.isfinite(s) & (s != 0), s, 1)
    return (s[..., 0] * np.sum((wide / s) ** p, axis=-1) ** (1 / p)).astype(d.dtype)


@given(data=st.data())
def test_cdist(data: Any) -> None:
    if data.draw(st.booleans(), label="rows of one length"):
        lead = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_side=2), label="lead")
        m = data.draw(st.integers(0, 3), label="m")
        sa, sb = (s + (data.draw(st.integers(0, 3)), m) for s in lead.input_shapes)
    else:
        sa, sb = data.draw(_two_shapes(), label="shapes")
    x1, x2 = data.draw(hostile(sa), label="x1"), data.draw(hostile(sb), label="x2")
    p = data.draw(st.sampled_from([0, 1, 2, 2.0, np.inf, 0.5, 3, -1, np.nan, True, "2"]), label="p")
    check("cdist", tg.cdist, (x1, x2, p), ref=_cdist)


def _attention_ref(q: Any, k: Any, v: Any, attn_mask: Any = None) -> np.ndarray:
    """NumPy's attention: softmax(q k^T / sqrt(E) + mask) v, 0 for a fully masked query."""
    q, k, v = (np.asarray(a) for a in (q, k, v))
    if min(q.ndim, k.ndim, v.ndim) < 2 or any(a.dtype.kind != "f" for a in (q, k, v)):
        raise ValueError
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]) if q.shape[-1] else q @ k.mT
    if attn_mask is not None:
        mask = np.asarray(attn_mask)
        if mask.dtype != bool and mask.dtype != q.dtype:
            raise TypeError
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    dead = np.isneginf(scores).all(axis=-1, keepdims=True)
    scores = np.where(dead, 0, scores)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True, initial=-np.inf))
    w = np.where(dead, 0, e / e.sum(axis=-1, keepdims=True))
    return w @ v


@given(data=st.data())
def test_scaled_dot_product_attention(data: Any) -> None:
    s = data.draw(st.sampled_from([(2, 3, 4), (3, 4), (0, 4), (2, 0, 4), (4,), ()]), label="q")
    q = data.draw(hostile(s), label="query")
    k = data.draw(hostile(data.draw(st.sampled_from([(2, 5, 4), (5, 4), (5, 3), (0, 4)]))))
    v = data.draw(hostile(data.draw(st.sampled_from([(2, 5, 2), (5, 2), (1, 5, 3), (0, 2)]))))
    mask = data.draw(st.one_of(st.none(), hostile(data.draw(st.sampled_from([(3, 5), (5,)])))))
    # (NaN, inf or huge entries: a row's softmax may be NaN in both; values compared where not)
    tame = all(np.all(np.abs(a.astype(np.float64)) < 1e100) for a in _floats((q, k, v, mask)))
    check("scaled_dot_product_attention", F.scaled_dot_product_attention, (q, k, v, mask),
          ref=_attention_ref, exact_dtype=False, may_reject=True, values=tame)  # fmt: skip


@given(data=st.data())
def test_linear_embedding_dropout(data: Any) -> None:
    fin, fout = data.draw(st.integers(0, 3), label="in"), data.draw(st.integers(0, 3), label="out")
    x = data.draw(hostile(data.draw(st.sampled_from([(2, fin), (fin,), (), (1,) * 33 + (fin,)]))))
    weight = data.draw(hostile(data.draw(st.sampled_from([(fout, fin), (fin, fout), (fout,)]))))
    bias = data.draw(st.one_of(st.none(), hostile((fout,)), hostile()), label="bias")
    out = check("linear", F.linear, (x, weight, bias), may_reject=True)
    if isinstance(out, tg.Tensor):
        # (a weight of shape (in,) gives input @ weight, as torch)
        assert out.shape == np.shape(_raw(x))[:-1] + np.shape(_raw(weight))[:-1]

    idx = data.draw(hostile(kinds=("i64", "i8", "u8", "f64", "bool")), label="idx")
    table = data.draw(hostile(data.draw(st.sampled_from([(4, 3), (0, 3), (4,), ()]))), label="w")
    padding_idx = data.draw(st.sampled_from([None, 0, -1, 9, 1.5]), label="padding_idx")
    out = check(
        "embedding", F.embedding, (idx, table), {"padding_idx": padding_idx}, may_reject=True
    )
    if isinstance(out, tg.Tensor):
        assert out.shape == np.shape(_raw(idx)) + np.shape(_raw(table))[1:]

    x = data.draw(hostile(), label="x")
    p = data.draw(st.sampled_from([0.0, 0.5, 1.0, -0.1, 1.5, "a"]), label="p")
    training = data.draw(st.booleans(), label="training")
    out = check(
        "dropout", F.dropout, (x,), {"p": p, "training": training, "rng": 0}, may_reject=True
    )
    if isinstance(out, tg.Tensor):
        assert out.shape == np.shape(_raw(x))


# ============================================================================= factories


SIZES = st.one_of(st.integers(0, 3), st.sampled_from([-1, 1.5, "a", None, 2**62, True]))
DTYPES = st.sampled_from([None, np.float32, "float64", int, bool, complex, object, str, "nope"])


def _factory_ref(np_fn: Callable[..., Any]) -> Callable[..., Any]:
    def ref(*shape: Any, dtype: Any = None, **kw: Any) -> Any:
        if dtype is not None and np.dtype(dtype).kind not in SUPPORTED_KINDS:
            raise TypeError
        flat = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        if any(isinstance(s, (bool, float, str)) or s is None for s in flat):
            raise TypeError
        return np_fn(flat, dtype=dtype if dtype is not None else np.float64)

    return ref


@given(data=st.data())
def test_factories(data: Any) -> None:
    shape = data.draw(st.lists(SIZES, max_size=3).map(tuple), label="shape")
    packed = data.draw(st.booleans(), label="packed")
    dtype = data.draw(DTYPES, label="dtype")
    args = (shape,) if packed else shape
    for name, np_fn in (("zeros", np.zeros), ("ones", np.ones)):
        check(name, getattr(tg, name), args, {"dtype": dtype}, ref=_factory_ref(np_fn))
    try:
        want = _factory_ref(np.zeros)(*args, dtype=dtype)
    except Exception:
        want = None
    for name in ("empty", "rand", "randn"):
        kwargs = {"dtype": dtype}
        if name != "empty":
            kwargs["rng"] = np.random.default_rng(0)
        out = check(name, getattr(tg, name), args, kwargs, may_reject=True)
        if isinstance(out, tg.Tensor):
            assert want is not None, f"{name} accepted shape {args} dtype {dtype}"
            assert out.shape == want.shape, f"{name}: shape {out.shape}, expected {want.shape}"
    fill = data.draw(st.sampled_from([0.5, 2, True, np.nan, "a", None, [1.0, 2.0]]), label="fill")
    out = check("full", tg.full, (shape, fill), {"dtype": dtype}, may_reject=True)
    if isinstance(out, tg.Tensor):
        assert out.shape == tuple(shape)
    x = data.draw(hostile(), label="x")
    for name, np_fn in (("zeros_like", np.zeros_like), ("ones_like", np.ones_like)):

        def ref(x: Any, dtype: Any = None, np_fn: Callable[..., Any] = np_fn) -> Any:
            if dtype is not None and np.dtype(dtype).kind not in SUPPORTED_KINDS:
                raise TypeError
            if np.asarray(x).dtype.kind not in SUPPORTED_KINDS:
                raise TypeError
            return np_fn(x, dtype=dtype)

        check(name, getattr(tg, name), (x,), {"dtype": dtype}, ref=ref, exact_dtype=False)


@given(data=st.data())
def test_ranges(data: Any) -> None:
    well_formed = _well_formed(data)
    if well_formed:
        num = st.one_of(st.integers(-3, 5), st.sampled_from([0.5, -1.5]))
        start, stop = (data.draw(num, label="arg") for _ in range(2))
        step = data.draw(st.sampled_from([1, 2, -1, 0.5]), label="step")
        dtype = data.draw(st.sampled_from([None, np.float32, "float64", int]), label="dtype")
    else:
        num = st.one_of(st.integers(-3, 5), st.sampled_from([0.5, np.nan, np.inf, "a", None, 0]))
        start, stop, step = (data.draw(num, label="arg") for _ in range(3))
        dtype = data.draw(DTYPES, label="dtype")

    def arange(start: Any, stop: Any, step: Any, dtype: Any = None) -> Any:
        if dtype is not None and np.dtype(dtype).kind not in SUPPORTED_KINDS:
            raise TypeError
        if any(isinstance(v, str) for v in (start, stop, step)) or start is None:
            raise TypeError
        if dtype is not None and np.dtype(dtype).kind in "biu":
            return np.arange(start, stop, step, dtype=dtype)  # (NumPy's integer arange)
        out = np.arange(start, stop, step)  # (floats: rounded once from float64, as torch)
        return out.astype(dtype) if dtype is not None else out

    out = check(
        "arange",
        tg.arange,
        (start, stop, step),
        {"dtype": dtype},
        ref=arange,
        exact_dtype=False,
        may_reject=True,
    )
    _accepted("arange", out, well_formed)
    check(
        "linspace",
        tg.linspace,
        (start, stop, data.draw(st.sampled_from([0, 1, 5, -1, 2.5]))),
        {"dtype": dtype},
        may_reject=True,
    )
    n, m = data.draw(SIZES, label="n"), data.draw(st.one_of(st.none(), SIZES), label="m")
    check("eye", tg.eye, (n, m), {"dtype": dtype}, may_reject=True)


@given(data=st.data())
def test_tensor_and_from_numpy(data: Any) -> None:
    x = data.draw(
        st.one_of(hostile(), st.sampled_from(["a", None, [1, [2]], [[1], [2, 3]], {}, 1j]))
    )
    dtype = data.draw(DTYPES, label="dtype")
    requires_grad = data.draw(st.booleans(), label="requires_grad")

    def ref(x: Any, dtype: Any = None, requires_grad: bool = False) -> Any:
        if dtype is not None and np.dtype(dtype).kind not in SUPPORTED_KINDS:
            raise TypeError
        if np.asarray(x).dtype.kind in "OUS":  # (NumPy parses "a", {} as bools: not data here)
            raise TypeError
        a = np.array(x, dtype=dtype)
        if a.dtype.kind not in SUPPORTED_KINDS or (requires_grad and a.dtype.kind != "f"):
            raise TypeError
        return a

    for name in ("tensor", "Tensor"):
        out = check(
            name,
            getattr(tg, name),
            (x,),
            {"dtype": dtype, "requires_grad": requires_grad},
            ref=ref,
            exact_dtype=False,
            backward=False,
        )
        if isinstance(out, tg.Tensor) and isinstance(x, np.ndarray):
            assert not np.shares_memory(out.data, x), f"{name} must copy its data"
    if isinstance(x, np.ndarray):
        out = check("from_numpy", tg.from_numpy, (x,), ref=ref, backward=False)
        if isinstance(out, tg.Tensor):
            assert np.shares_memory(out.data, x) or x.size == 0


@given(seed=st.one_of(st.integers(-2, 2**70), st.sampled_from([1.5, "a", None, True])))
def test_manual_seed(seed: Any) -> None:
    def ref(seed: Any) -> Any:
        if seed is None:  # (refused, as torch: NumPy would seed from the OS)
            raise TypeError
        return np.random.default_rng(seed)

    try:
        out = tg.manual_seed(seed)
    except ALLOWED:
        with pytest.raises((ValueError, TypeError, OverflowError)):
            ref(seed)
    else:
        assert isinstance(out, np.random.Generator)
        ref(seed)


@pytest.mark.parametrize(
    "args",
    [(None,), (3,), (1.5,), (True,), ([],), ("gpu",), ("",), ("cuda:x",), ("cpu:-1",), ("cpu:²",)]
    + [(np.float32,), ("cpu", -1), ("cpu", 1.0), ("cpu", True), ("cpu:0", 0), ("cpu", "0")],
)
def test_device(args: tuple) -> None:
    # (tg.device names a device as torch's does; a tensor's device argument: test_factories.py)
    with pytest.raises(ALLOWED, match="^device: "):
        tg.device(*args)
    for ok in ("cpu", "cuda:1", "xpu"):
        assert str(tg.device(ok)) == ok


@pytest.mark.parametrize("dtype", [np.float32, "float64", int, bool, complex, object, "nope", None])
def test_set_default_dtype(dtype: Any) -> None:
    before = tg.get_default_dtype()
    try:
        tg.set_default_dtype(dtype)
    except ALLOWED as exc:
        assert str(exc)
        assert tg.get_default_dtype() == before, "a rejected dtype must change nothing"
    else:
        assert np.dtype(dtype).kind == "f"
        assert tg.get_default_dtype() == np.dtype(dtype)
    finally:
        tg.set_default_dtype(before)


# ============================================================================= tg.nn layers


def _layers() -> dict[str, Callable[[], Any]]:
    nn = tg.nn
    return {
        "Linear": lambda: nn.Linear(3, 2),
        "Conv1d": lambda: nn.Conv1d(2, 3, 2),
        "Conv2d": lambda: nn.Conv2d(2, 3, 2),
        "ConvTranspose1d": lambda: nn.ConvTranspose1d(2, 3, 2, stride=2),
        "ConvTranspose2d": lambda: nn.ConvTranspose2d(2, 3, 2, stride=2, output_padding=1),
        "AdaptiveAvgPool1d": lambda: nn.AdaptiveAvgPool1d(3),
        "AdaptiveAvgPool2d": lambda: nn.AdaptiveAvgPool2d((None, 3)),
        "AdaptiveMaxPool1d": lambda: nn.AdaptiveMaxPool1d(3),
        "AdaptiveMaxPool2d": lambda: nn.AdaptiveMaxPool2d(3),
        "MaxPool1d": lambda: nn.MaxPool1d(2),
        "AvgPool1d": lambda: nn.AvgPool1d(2),
        "MaxPool2d": lambda: nn.MaxPool2d(2),
        "AvgPool2d": lambda: nn.AvgPool2d(2),
        "Flatten": lambda: nn.Flatten(),
        "Dropout": lambda: nn.Dropout(0.5, rng=np.random.default_rng(0)),
        "BatchNorm1d": lambda: nn.BatchNorm1d(3),
        "BatchNorm2d": lambda: nn.BatchNorm2d(2),
        "LayerNorm": lambda: nn.LayerNorm(3),
        "Embedding": lambda: nn.Embedding(4, 3),
        "Identity": lambda: nn.Identity(),
        "Sequential": lambda: nn.Sequential(nn.Linear(3, 2), nn.ReLU()),
        "ReLU": nn.ReLU,
        "Tanh": nn.Tanh,
        "Sigmoid": nn.Sigmoid,
        "GELU": nn.GELU,
        "Softplus": lambda: nn.Softplus(beta=2.0, threshold=1.0),
        "Softmax": nn.Softmax,
        "LogSoftmax": nn.LogSoftmax,
        "SiLU": nn.SiLU,
        "LeakyReLU": lambda: nn.LeakyReLU(0.2),
        "ELU": lambda: nn.ELU(alpha=0.5),
        "LogSigmoid": nn.LogSigmoid,
        # (the recurrent layers' outputs and states, as a list: the contract's results)
        "RNN": lambda: _recurrent(nn.RNN(3, 2, num_layers=2, bidirectional=True)),
        "LSTM": lambda: _recurrent(nn.LSTM(3, 2, proj_size=1)),
        "GRU": lambda: _recurrent(nn.GRU(3, 2, batch_first=True)),
        "RNNBase": lambda: _recurrent(nn.RNNBase("RNN_RELU", 3, 2, bias=False)),
        "RNNCell": lambda: nn.RNNCell(3, 2),
        "LSTMCell": lambda: _recurrent(nn.LSTMCell(3, 2)),
        "GRUCell": lambda: nn.GRUCell(3, 2),
        "GroupNorm": lambda: nn.GroupNorm(1, 3),
        "Unflatten": lambda: nn.Unflatten(-1, (1, -1)),
        "Upsample": lambda: nn.Upsample(scale_factor=1.5, mode="nearest"),
        "Hardtanh": lambda: nn.Hardtanh(-0.5, 2.0),
        "ReLU6": nn.ReLU6,
        "Softsign": nn.Softsign,
        "Mish": nn.Mish,
        "GLU": nn.GLU,
        "PReLU": nn.PReLU,
        "Hardsigmoid": nn.Hardsigmoid,
        "Hardswish": nn.Hardswish,
        "SELU": nn.SELU,
        "CELU": lambda: nn.CELU(0.5),
        "Softmin": lambda: nn.Softmin(-1),
        "RMSNorm": lambda: nn.RMSNorm(3),
        "InstanceNorm1d": lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
        "InstanceNorm2d": lambda: nn.InstanceNorm2d(2, affine=True),
        "PixelShuffle": lambda: nn.PixelShuffle(2),
        "PixelUnshuffle": lambda: nn.PixelUnshuffle(2),
        "Dropout1d": lambda: nn.Dropout1d(0.5, rng=np.random.default_rng(0)),
        "Dropout2d": lambda: nn.Dropout2d(0.5, rng=np.random.default_rng(0)),
        "ZeroPad2d": lambda: nn.ZeroPad2d((1, 0, 2, 1)),
        "ConstantPad1d": lambda: nn.ConstantPad1d(2, 1.5),
        "ConstantPad2d": lambda: nn.ConstantPad2d((0, 1, 1, 0), -1.0),
        "ReflectionPad1d": lambda: nn.ReflectionPad1d(1),
        "ReflectionPad2d": lambda: nn.ReflectionPad2d((1, 1, 0, 1)),
        "ReplicationPad1d": lambda: nn.ReplicationPad1d((2, 0)),
        "ReplicationPad2d": lambda: nn.ReplicationPad2d(1),
        "CosineSimilarity": lambda: _twice(nn.CosineSimilarity(dim=-1)),
    }


def _twice(layer: Any) -> Callable[[Any], Any]:
    """A layer of two inputs given the one hostile input twice."""
    return lambda x: layer(x, x)


def _recurrent(layer: Any) -> Callable[[Any], list]:
    """A recurrent layer whose results (output and states, nested) come as one list."""

    def run(x: Any) -> list:
        out: list = []
        stack = [layer(x)]
        while stack:
            item = stack.pop(0)
            if isinstance(item, tuple):
                stack[:0] = list(item)
            else:
                out.append(item)
        return out

    return run


LAYER_SHAPES = [(2, 3), (3,), (2, 2, 4, 4), (2, 3, 4), (1, 2, 3, 3), (), (0, 3), (2, 4), (1,) * 33]

# the recurrent layers' time loops (tensorgrad.ops.recurrent), called directly: each argument's
# valid shape for L = 3 steps, a batch of 2 and hidden size 2 (LSTM projected to 1 with w_hr)
SEQUENCES: dict[str, tuple[Callable[..., Any], dict[str, tuple[int, ...]]]] = {
    "lstm_sequence": (
        recurrent.lstm_sequence,
        {"xp": (3, 2, 8), "h0": (2, 2), "c0": (2, 2), "w_hh": (8, 2)},
    ),
    "lstm_sequence (w_hr)": (
        recurrent.lstm_sequence,
        {"xp": (3, 2, 8), "h0": (2, 1), "c0": (2, 2), "w_hh": (8, 1), "w_hr": (1, 2)},
    ),
    "gru_sequence": (
        recurrent.gru_sequence,
        {"xp": (3, 2, 6), "h0": (2, 2), "w_hh": (6, 2), "b_hh": (6,)},
    ),
    "rnn_sequence": (recurrent.rnn_sequence, {"xp": (3, 2), "h0": (2,), "w_hh": (2, 2)}),
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
@given(data=st.data())
def test_recurrent_time_loops(name: str, data: Any) -> None:
    # (a direct caller got NumPy's messages, and a zero-length sequence's backward NumPy's
    # "need at least one array to stack": refused at the forward now, as torch's layers do)
    fn, shapes = SEQUENCES[name]
    well_formed = _well_formed(data)
    args = {}
    for arg, shape in shapes.items():
        if not well_formed and data.draw(st.booleans(), label=f"{arg} hostile"):
            bad = st.sampled_from([(0,) + shape[1:], shape[:-1], shape + (1,), (3,) * len(shape)])
            args[arg] = data.draw(hostile(data.draw(st.one_of(bad, _shapes()))), label=arg)
        else:
            args[arg] = data.draw(_valid(shape), label=arg)
    out = check(name, fn, (), kwargs=args, may_reject=True)
    if _accepted(name, out, well_formed):
        xp_shape = np.shape(_raw(args["xp"]))
        length, batch = xp_shape[0], xp_shape[1:-1]
        assert out.shape[:-1] == (length,) + batch


@pytest.mark.parametrize("name", sorted(_layers()))
@given(data=st.data())
def test_layer_forward(name: str, data: Any) -> None:
    layer = _layers()[name]()
    x = data.draw(hostile(data.draw(st.sampled_from(LAYER_SHAPES), label="shape")), label="x")
    if name == "Embedding":
        x = data.draw(st.one_of(st.just(x), hostile(kinds=("i64", "i8", "u8"))), label="indices")
    if name == "Identity":  # passes anything through untouched, as torch
        assert layer(x) is x
        return
    out = check(name, layer, (x,), may_reject=True)
    if isinstance(out, tg.Tensor) and name in (
        "ReLU",
        "Tanh",
        "Sigmoid",
        "GELU",
        "Softplus",
        "Dropout",
        "SiLU",
        "LeakyReLU",
        "ELU",
        "LogSigmoid",
        "Hardtanh",
        "ReLU6",
        "Softsign",
        "Mish",
        "PReLU",
        "Hardsigmoid",
        "Hardswish",
        "SELU",
        "CELU",
        "Softmin",
    ):
        assert out.shape == np.shape(_raw(x))


def _attention_layers() -> dict[str, tuple[Callable[[], Any], int]]:
    """The attention modules and how many inputs each takes."""
    nn = tg.nn
    enc = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0)
    dec = nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0)
    return {
        "MultiheadAttention": (lambda: nn.MultiheadAttention(4, 2), 3),
        "TransformerEncoderLayer": (lambda: enc, 1),
        "TransformerEncoder": (lambda: nn.TransformerEncoder(enc, 2), 1),
        "TransformerDecoderLayer": (lambda: dec, 2),
        "TransformerDecoder": (lambda: nn.TransformerDecoder(dec, 1), 2),
        "Transformer": (lambda: nn.Transformer(4, 2, 1, 1, 8, dropout=0.0), 2),
    }


@pytest.mark.parametrize("name", sorted(_attention_layers()))
@given(data=st.data())
def test_attention_layers(name: str, data: Any) -> None:
    make, n = _attention_layers()[name]
    shapes = st.sampled_from([(3, 2, 4), (3, 4), (2, 2, 4), (3, 2, 5), (0, 2, 4), (4,), ()])
    args = tuple(data.draw(hostile(data.draw(shapes)), label=f"x{i}") for i in range(n))
    layer = make()
    if name == "MultiheadAttention":  # ((output, weights), as a list for check)
        out = check(name, lambda *a: list(layer(*a)), args, may_reject=True)
        out = out[0] if isinstance(out, list) else out
    else:
        out = check(name, layer, args, may_reject=True)
    if isinstance(out, tg.Tensor):  # (the query's, tgt's, shape)
        assert out.shape == np.shape(_raw(args[1 if name == "Transformer" else 0]))


MORE_LOSSES = {  # (name: the function, its module, how many inputs)
    "margin_ranking_loss": (F.margin_ranking_loss, "MarginRankingLoss", 3),
    "hinge_embedding_loss": (F.hinge_embedding_loss, "HingeEmbeddingLoss", 2),
    "soft_margin_loss": (F.soft_margin_loss, "SoftMarginLoss", 2),
    "multilabel_soft_margin_loss": (F.multilabel_soft_margin_loss, "MultiLabelSoftMarginLoss", 2),
    "multi_margin_loss": (F.multi_margin_loss, "MultiMarginLoss", 2),
    "cosine_embedding_loss": (F.cosine_embedding_loss, "CosineEmbeddingLoss", 3),
    "pairwise_distance": (F.pairwise_distance, "PairwiseDistance", 2),
    "triplet_margin_loss": (F.triplet_margin_loss, "TripletMarginLoss", 3),
    "poisson_nll_loss": (F.poisson_nll_loss, "PoissonNLLLoss", 2),
    "gaussian_nll_loss": (F.gaussian_nll_loss, "GaussianNLLLoss", 3),
}


@pytest.mark.parametrize("name", sorted(MORE_LOSSES))
@given(data=st.data())
def test_more_losses(name: str, data: Any) -> None:
    fn, module, n = MORE_LOSSES[name]
    shapes = st.sampled_from([(3, 4), (4,), (3,), (), (0, 4), (3, 1), (1,) * 33])
    args = tuple(data.draw(hostile(data.draw(shapes)), label=f"x{i}") for i in range(n))
    out = check(name, fn, args, may_reject=True)
    if isinstance(out, tg.Tensor) and name != "pairwise_distance":
        assert out.shape == ()  # (reduction='mean')
    check(module, getattr(tg.nn, module)(), args, may_reject=True)


@pytest.mark.parametrize(
    "name",
    [
        "CrossEntropyLoss",
        "MSELoss",
        "BCEWithLogitsLoss",
        "BCELoss",
        "L1Loss",
        "SmoothL1Loss",
        "HuberLoss",
        "KLDivLoss",
        "NLLLoss",
    ],
)
@given(data=st.data())
def test_loss_modules(name: str, data: Any) -> None:
    reduction = data.draw(REDUCTION, label="reduction")
    try:
        loss = getattr(tg.nn, name)(reduction=reduction)
    except ValueError as exc:
        assert reduction not in ("mean", "sum", "none") and "reduction" in str(exc)
        return
    a = data.draw(hostile(), label="input")
    b = data.draw(st.one_of(hostile(np.shape(_raw(a))), hostile()), label="target")
    check(name, loss, (a, b), may_reject=True)


def _float_of(x: Any) -> np.ndarray:
    """NumPy's float result for ``x`` (ints, bools in float64), or TypeError for other kinds."""
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _expit(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0, -x))


# tg.nn.functional's own compositions: shapes and values checked, dtypes may differ for ints
F_UNARY: dict[str, Callable[..., Any]] = {
    "silu": lambda x: _float_of(x) * _expit(_float_of(x)),
    "leaky_relu": lambda x: np.where(_float_of(x) > 0, _float_of(x), 0.01 * _float_of(x)),
    "elu": lambda x: np.where(
        _float_of(x) > 0, _float_of(x), np.expm1(np.minimum(_float_of(x), 0))
    ),
    "logsigmoid": lambda x: -np.logaddexp(0, -_float_of(x)),
    "hardtanh": lambda x: np.clip(_float_of(x), -1.0, 1.0),
    "relu6": lambda x: np.clip(_float_of(x), 0.0, 6.0),
    "softsign": lambda x: _float_of(x) / (1 + np.abs(_float_of(x))),
    "mish": lambda x: _float_of(x) * np.tanh(np.logaddexp(0, _float_of(x))),
    "hardsigmoid": lambda x: np.clip(_float_of(x) + 3, 0.0, 6.0) / 6,
    "hardswish": lambda x: _float_of(x) * np.clip(_float_of(x) + 3, 0.0, 6.0) / 6,
    "selu": lambda x: np.where(
        _float_of(x) > 0,
        _float_of(x) * 1.0507009873554805,
        np.expm1(np.minimum(_float_of(x), 0)) * (1.6732632423543772 * 1.0507009873554805),
    ),
    "celu": lambda x: np.where(
        _float_of(x) > 0, _float_of(x), np.expm1(np.minimum(_float_of(x), 0) * 1.0)
    ),
}


@pytest.mark.parametrize("name", sorted(F_UNARY))
@given(data=st.data())
def test_functional_unary(name: str, data: Any) -> None:
    x = data.draw(hostile(), label="x")
    check(name, getattr(F, name), (x,), ref=F_UNARY[name], exact_dtype=False, may_reject=True)


@given(data=st.data())
def test_functional_pairs_and_one_hot(data: Any) -> None:
    a = data.draw(hostile(), label="a")
    b = data.draw(st.one_of(hostile(np.shape(_raw(a))), hostile()), label="b")
    dim = data.draw(st.integers(-2, 1), label="dim")
    check("l1_loss", F.l1_loss, (a, b), may_reject=True)
    check("smooth_l1_loss", F.smooth_l1_loss, (a, b), {"beta": 0.5}, may_reject=True)
    check("huber_loss", F.huber_loss, (a, b), {"delta": 2.0}, may_reject=True)
    check("kl_div", F.kl_div, (a, b), {"reduction": "batchmean"}, may_reject=True)
    check("binary_cross_entropy", F.binary_cross_entropy, (a, b), may_reject=True)
    widths = data.draw(st.sampled_from([(1, 2), (-1, 1, 0, 2), (1,), (1.5, 0), "a", ()]))
    mode = data.draw(st.sampled_from(["constant", "reflect", "replicate", "circular", "edge"]))
    check("pad", F.pad, (a, widths), {"mode": mode}, may_reject=True)
    check("kl_div", F.kl_div, (a, b), {"log_target": True, "reduction": "sum"}, may_reject=True)
    check("normalize", F.normalize, (a,), {"dim": dim}, may_reject=True)
    check("cosine_similarity", F.cosine_similarity, (a, b), {"dim": dim}, may_reject=True)
    check("one_hot", F.one_hot, (a,), may_reject=True, backward=False)
    check("softmin", F.softmin, (a,), {"dim": dim}, may_reject=True)
    check("glu", F.glu, (a,), {"dim": dim}, may_reject=True)
    check("prelu", F.prelu, (a, b), may_reject=True)
    groups = data.draw(st.sampled_from([1, 2, 3, 0, -1, 1.5]), label="num_groups")
    check("group_norm", F.group_norm, (a, groups), may_reject=True)
    check("group_norm", F.group_norm, (a, 1, b, b), may_reject=True)
    ns = data.draw(st.sampled_from([3, (2, 3), (), -1, 1.5, "a", (0,)]), label="normalized_shape")
    check("rms_norm", F.rms_norm, (a, ns), may_reject=True)
    check("instance_norm", F.instance_norm, (a,), may_reject=True)
    check("instance_norm", F.instance_norm, (a, None, None, b, b), may_reject=True)
    factor = data.draw(st.sampled_from([1, 2, 3, 0, -1, 1.5, True]), label="factor")
    check("pixel_shuffle", F.pixel_shuffle, (a, factor), may_reject=True)
    check("pixel_unshuffle", F.pixel_unshuffle, (a, factor), may_reject=True)
    p = data.draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1, "a"]), label="p")
    check("dropout1d", F.dropout1d, (a, p), {"rng": 0}, may_reject=True)
    with warnings.catch_warnings():  # (3-D input: torch's warning)
        warnings.simplefilter("ignore", UserWarning)
        check("dropout2d", F.dropout2d, (a, p), {"rng": 0}, may_reject=True)
    # (running statistics given are updated in place with use_input_stats: not given here)
    flag = data.draw(st.sampled_from([False, "no"]), label="use_input_stats")
    check("instance_norm", F.instance_norm, (a, b, b), {"use_input_stats": flag}, may_reject=True)
    check("rms_norm", F.rms_norm, (a, np.shape(_raw(a))[-1:], b), {"eps": 1e-6}, may_reject=True)


@given(data=st.data())
def test_interpolate(data: Any) -> None:
    """Every mode, size and scale (some invalid: 0, negative, NaN, wrong length, bools), on
    hostile input; an accepted call keeps the batch and channel axes and gives the size."""
    x = data.draw(hostile(data.draw(st.sampled_from(LAYER_SHAPES + [(1, 2, 3)]))), label="x")
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear", "area",
                                      "cubic", 3]))  # fmt: skip
    kwargs: dict[str, Any] = {"mode": mode}
    if data.draw(st.booleans(), label="by size"):
        kwargs["size"] = data.draw(st.sampled_from([2, 5, (3, 4), (0, 2), -1, True, 2.5, (2,)]))
    else:
        kwargs["scale_factor"] = data.draw(
            st.sampled_from([2, 1.5, 0.5, (2.0, 0.7), 0.0, -1.0, np.nan, np.inf, "2"])
        )
        if data.draw(st.booleans(), label="recompute"):
            kwargs["recompute_scale_factor"] = True
    if data.draw(st.booleans(), label="align"):
        kwargs["align_corners"] = data.draw(st.sampled_from([True, False, "yes"]))
    if data.draw(st.integers(0, 5), label="antialias?") == 0:
        kwargs["antialias"] = True
    out = check("interpolate", F.interpolate, (x,), kwargs, may_reject=True)
    if isinstance(out, tg.Tensor):
        shape = np.shape(_raw(x))
        assert out.shape[:2] == shape[:2] and out.ndim == len(shape) in (3, 4)
        assert kwargs["mode"] in ("nearest", "nearest-exact", "linear", "bilinear")
        assert "antialias" not in kwargs


@pytest.mark.parametrize(
    "make",
    [
        lambda: tg.nn.Linear(-1, 2),
        lambda: tg.nn.Linear(2.5, 2),
        lambda: tg.nn.Linear("3", 2),
        lambda: tg.nn.Linear(2, 2, dtype=np.int64),
        lambda: tg.nn.Conv2d(2, 3, 0),
        lambda: tg.nn.Conv2d(2, 3, 2, groups=2),
        lambda: tg.nn.Conv2d(3, 4, 2, groups=2),
        lambda: tg.nn.Conv2d(2, 2, 2, groups=0),
        lambda: tg.nn.Conv2d(2, 2, 2, groups=1.5),
        lambda: tg.nn.Conv2d(2, 2, 3, stride=2, padding="same"),
        lambda: tg.nn.Conv2d(2, 2, 3, padding="full"),
        lambda: tg.nn.Dropout(1.5),
        lambda: tg.nn.BatchNorm1d(-2),
        lambda: tg.nn.LayerNorm(()),
        lambda: tg.nn.Embedding(0, -3),
        lambda: tg.nn.Softmax(dim=1.5),
        lambda: tg.nn.GroupNorm(2, 3),
        lambda: tg.nn.GroupNorm(0, 3),
        lambda: tg.nn.RMSNorm(-1),
        lambda: tg.nn.InstanceNorm1d(0),
        lambda: tg.nn.PixelShuffle(0),
        lambda: tg.nn.PixelUnshuffle(1.5),
        lambda: tg.nn.Dropout2d(1.5),
        lambda: tg.nn.ZeroPad2d((1, 2)),
        lambda: tg.nn.ConstantPad1d(1.5),
        lambda: tg.nn.ConstantPad2d(1, "a"),
        lambda: tg.nn.ReflectionPad2d("a"),
        lambda: tg.nn.InstanceNorm2d(3, affine="yes"),
        lambda: tg.nn.InstanceNorm2d(3, momentum="a"),
        lambda: tg.nn.RMSNorm(3, eps="a"),
        lambda: tg.nn.RMSNorm(3, elementwise_affine="yes"),
        lambda: tg.nn.Hardtanh(2.0, 1.0),
        lambda: tg.nn.CELU(0.0),
        lambda: tg.nn.PReLU(-1),
        lambda: tg.nn.PReLU(1.5),
        lambda: tg.nn.Unflatten(1, 4),
        lambda: tg.nn.Unflatten(1, (2, 2.5)),
        lambda: tg.nn.GLU(dim="a"),
    ],
)
def test_layer_constructors_reject_bad_arguments(make: Callable[[], Any]) -> None:
    try:
        layer = make()
    except ALLOWED as exc:
        assert str(exc)
    else:  # accepted: it must then work or fail cleanly on an ordinary input
        check(type(layer).__name__, layer, (tg.randn(2, 2, 4, 4),), may_reject=True)


def test_wrong_input_shape_names_the_layer() -> None:
    """API.md: a layer given the wrong input shape raises ValueError naming the layer."""
    cases = [
        (tg.nn.Linear(3, 2), (2, 4)),
        (tg.nn.Conv2d(2, 3, 2), (1, 3, 4, 4)),
        (tg.nn.ConvTranspose2d(2, 3, 2), (1, 3, 4, 4)),
        (tg.nn.ConvTranspose1d(2, 3, 2), (1, 2, 3, 4)),
        (tg.nn.AdaptiveAvgPool1d(2), (1, 2, 3, 4)),
        (tg.nn.AdaptiveMaxPool2d(2), (4, 4)),
        (tg.nn.BatchNorm1d(3), (2, 4)),
        (tg.nn.BatchNorm2d(2), (1, 3, 4, 4)),
        (tg.nn.LayerNorm(3), (2, 4)),
    ]
    for layer, shape in cases:
        with pytest.raises(ValueError) as info:
            layer(tg.randn(*shape, dtype=np.float32))
        text = str(info.value).lower()
        name = type(layer).__name__.lower()
        assert name in text or name.rstrip("12d") in text, f"{name}: {info.value}"


# ============================================================================= completeness

NOT_OPS = {
    # modules, classes, context managers and switches: no data argument to be hostile with
    "__version__",
    "Tensor",
    "autograd",
    "linalg",  # (its functions: test_linalg_is_covered)
    "nn",
    "optim",
    "data",
    "datasets",
    "distributions",  # (its checks: tests/test_distributions.py)
    "cuda",  # (is_available and device_count take nothing)
    # NumPy's dtypes and finfo/iinfo under their own names (tg.float32 is np.float32)
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool_",
    "finfo",
    "iinfo",
    "viz",
    "notebook",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "allclose",  # (a Python bool, isclose's: tests/ops/test_predicates.py)
    "inference_mode",  # (its mode's check: test_autograd.py)
    "is_inference_mode_enabled",
    "detect_anomaly",
    "get_default_dtype",
    "GradcheckError",
    "CheckpointError",
    # function transforms and checkers take functions (covered in test_transforms.py)
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "hvp",
    "gradcheck",
    "gradgradcheck",
    # file I/O (covered in test_serialization.py)
    "save",
    "load",
}


def _covered() -> set[str]:
    names = set(UNARY_NUMPY) | set(UNARY_OWN) | set(BINARY_NUMPY) | set(REDUCTIONS)
    names |= {"Tensor", "tensor", "from_numpy", "zeros", "ones", "empty", "rand", "randn"}
    names |= {"full", "zeros_like", "ones_like", "arange", "linspace", "eye", "manual_seed"}
    names |= {"device"}
    names |= {"set_default_dtype", "where", "clip", "astype", "cumsum", "getitem", "take"}
    names |= {"reshape", "broadcast_to", "transpose", "swapaxes", "moveaxis", "expand_dims"}
    names |= {"squeeze", "flip", "tile", "repeat", "concatenate", "stack", "split", "pad"}
    names |= {"tensordot", "einsum", "softmax", "log_softmax", "mse_loss", "nll_loss"}
    names |= {"binary_cross_entropy_with_logits", "cross_entropy", "conv2d", "max_pool2d"}
    names |= {"conv1d", "max_pool1d", "avg_pool1d", "conv_transpose1d", "conv_transpose2d"}
    names |= {"adaptive_avg_pool1d", "adaptive_avg_pool2d"}
    names |= {"adaptive_max_pool1d", "adaptive_max_pool2d"}
    names |= {"avg_pool2d", "layer_norm", "batch_norm", "linear", "embedding", "dropout"}
    names |= set(_layers()) | {"CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "L1Loss"}
    names |= {"SmoothL1Loss", "HuberLoss", "KLDivLoss", "BCELoss", "binary_cross_entropy"}
    names |= set(F_UNARY) | {"l1_loss", "normalize", "cosine_similarity", "one_hot"}
    names |= {"smooth_l1_loss", "huber_loss", "kl_div"}
    names |= {"diagonal", "diag", "trace", "tril", "triu", "take_along_axis", "sort", "argsort"}
    names |= {"kron", "cumprod", "diag_embed", "cdist", "scaled_dot_product_attention"}
    names |= {"topk", "block_diag", "roll", "rot90", "diff", "ediff1d", "trapezoid", "append"}
    names |= {"hstack", "vstack", "dstack", "column_stack", "meshgrid", "broadcast_arrays"}
    names |= {"atleast_1d", "atleast_2d", "atleast_3d", "array_split", "hsplit", "vsplit"}
    names |= {"dsplit", "insert", "delete", "tril_indices", "triu_indices", "tril_indices_from"}
    names |= {"triu_indices_from", "diag_indices", "diag_indices_from"}
    names |= set(MORE_LOSSES) | {module for _, module, _ in MORE_LOSSES.values()}
    names |= set(_attention_layers())
    names |= {"softmin", "glu", "prelu", "group_norm", "interpolate", "NLLLoss", "rms_norm"}
    names |= {"instance_norm", "pixel_shuffle", "pixel_unshuffle", "dropout1d", "dropout2d"}
    names |= set(STATISTICS) | {"quantile", "nanquantile", "percentile", "nanpercentile"}
    names |= {"nancumsum", "nancumprod", "average", "cov", "corrcoef", "inner", "vdot"}
    names |= {"vander", "convolve", "correlate", "interp"} | set(TORCH_LINALG)
    return names


def test_every_public_name_is_covered() -> None:
    covered = _covered()
    missing = sorted(set(tg.__all__) - covered - NOT_OPS)
    assert not missing, f"public names with no hostile-input test: {missing}"
    missing_f = sorted(set(F.__all__) - covered)
    assert not missing_f, f"tg.nn.functional names with no hostile-input test: {missing_f}"
    layers = {n for n in tg.nn.__all__ if isinstance(getattr(tg.nn, n), type)}
    # (containers, and the cells' base class: no forward)
    layers -= {"Module", "Parameter", "ModuleList", "ModuleDict", "RNNCellBase"}
    layers -= {"ParameterList", "ParameterDict"}
    missing_l = sorted(layers - covered)
    assert not missing_l, f"tg.nn layers with no hostile-input test: {missing_l}"
    stale = sorted((covered | NOT_OPS) - set(tg.__all__) - set(F.__all__) - set(tg.nn.__all__))
    assert not stale, f"covered names that are no longer public: {stale}"


def test_linalg_is_covered() -> None:
    covered = set(LINALG) | {"solve", "norm", "SlogdetResult", "EighResult", "matrix_power"}
    covered |= {"multi_dot", "solve_triangular", "cholesky_solve"}  # (norm: tg.norm)
    covered |= {name.partition(".")[0] for name in DECOMPOSITIONS} | {"SVDResult", "QRResult"}
    covered |= {"lstsq", "LstsqResult", "vecdot", "outer", "cross", "tensorinv", "tensorsolve"}
    covered |= {"matmul", "tensordot", "matrix_rank"}  # (tg's own; a count, NumPy's)
    assert set(tg.linalg.__all__) == covered


def test_arguments_read_as_constants_refuse_a_tensor_that_carries_a_derivative() -> None:
    # each of these read a Tensor requiring grad (or carrying a jvp's tangent) as a number, and
    # its derivative was lost in silence (torch refuses a Tensor in each); a plain Tensor is fine
    F = tg.nn.functional
    x = tg.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 3)))
    stats = tg.zeros(3, dtype=np.float64), tg.ones(3, dtype=np.float64)
    calls = {
        "layer_norm: eps": lambda v: F.layer_norm(x, 3, eps=v),
        "batch_norm: eps": lambda v: F.batch_norm(x, None, None, training=True, eps=v),
        "batch_norm: running_mean": lambda v: F.batch_norm(x, v * stats[0], stats[1]),
        "full: fill_value": lambda v: tg.full((2,), v),
        "arange: start": lambda v: tg.arange(v, 3.0),
        "linspace: stop": lambda v: tg.linspace(0.0, v, 3),
        "dropout: p": lambda v: F.dropout(x, v / 2),
        "embedding: max_norm": lambda v: F.embedding(np.array([0]), tg.ones((2, 2)), max_norm=v),
        "LayerNorm: eps": lambda v: tg.nn.LayerNorm(3, eps=v),
        "Dropout: p": lambda v: tg.nn.Dropout(p=v),
        "batch_norm: momentum": lambda v: F.batch_norm(x, *stats, training=True, momentum=v),
        "BatchNorm1d: momentum": lambda v: tg.nn.BatchNorm1d(3, momentum=v),
    }
    for what, call in calls.items():
        call(tg.tensor(0.5))
        with pytest.raises(TypeError, match=f"{what} is a Tensor that requires grad"):
            call(tg.tensor(0.5, requires_grad=True))
        with pytest.raises(TypeError, match=f"{what} is a Tensor that requires grad"):
            tg.jvp(call, (tg.tensor(0.5),), (tg.tensor(1.0),))


def test_flags_and_index_arguments_are_checked_as_torch_checks_them() -> None:
    # (truthy strings were read as True, 1.7 as 1, one running statistic alone was updated,
    # ignore_index was dropped in silence with probability targets)
    import tensorgrad.nn.functional as F

    x = tg.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="dropout: training must be a bool, got 'no'"):
        F.dropout(x, 0.5, training="no")
    with pytest.raises(TypeError, match="DataLoader: drop_last must be a bool"):
        tg.data.DataLoader([1, 2, 3], batch_size=2, drop_last="no")
    with pytest.raises(TypeError, match="embedding: padding_idx must be an int, got 1.7"):
        F.embedding(tg.tensor([0, 1]), tg.ones(3, 2), padding_idx=1.7)
    for bad in (1.5, None):
        with pytest.raises(TypeError, match="cross_entropy: ignore_index must be an int"):
            F.cross_entropy(x, tg.tensor([0, 1]), ignore_index=bad)
    with pytest.raises(TypeError, match="cross_entropy: ignore_index must be an int"):
        F.cross_entropy(x, tg.tensor([0, 1]), ignore_index=-100.0)  # (the default's value)
        with pytest.raises(TypeError, match="nll_loss: ignore_index must be an int"):
            F.nll_loss(x, tg.tensor([0, 1]), ignore_index=bad)
    with pytest.raises(ValueError, match="ignore_index is not supported with probability"):
        F.cross_entropy(x, np.full((2, 3), 1 / 3, np.float32), ignore_index=0)
    running = np.zeros(3)
    with pytest.raises(ValueError, match="both be None or neither"):
        F.batch_norm(tg.ones(4, 3), running, None, training=True)
    # a NumPy or 0-d Tensor number is taken as a Python number (dtype kept, as torch)
    assert F.cross_entropy(x, tg.tensor([0, 1]), label_smoothing=np.float64(0.1)).dtype == x.dtype
    np.testing.assert_allclose(
        F.softplus(tg.tensor([1.0]), beta=tg.tensor(2.0)).data, np.log1p(np.exp(2.0)) / 2
    )


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (
            lambda: F.batch_norm(tg.ones((4, 3)), None, None, training="no"),
            "batch_norm: training must be a bool, got 'no'",
        ),
        (
            lambda: F.avg_pool2d(tg.ones((1, 1, 4, 4)), 2, count_include_pad="no"),
            "avg_pool2d: count_include_pad must be a bool",
        ),
        (
            lambda: F.embedding(tg.tensor([0]), tg.ones((3, 2)), scale_grad_by_freq="no"),
            "embedding: scale_grad_by_freq must be a bool",
        ),
        (
            lambda: F.embedding(tg.tensor([0]), tg.ones((3, 2)), sparse="no"),
            "embedding: sparse must be a bool",
        ),
    ],
)
def test_more_flags_are_checked_as_torch_checks_them(call, pattern) -> None:
    # (the truthy 'no' was read as True; torch raises TypeError for each)
    with pytest.raises(TypeError, match=pattern):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: tg.abs(10**20),
        lambda: tg.sigmoid(10**20),  # (NumPy's own 'no callable exp method' message)
        lambda: tg.sum(-(10**20)),
        lambda: tg.stack([10**20, 1]),
        lambda: tg.broadcast_to(2**64, (2,)),
        lambda: tg.pad(10**20, 1),
    ],
)
def test_python_ints_no_integer_dtype_holds_are_refused_not_made_object_tensors(call) -> None:
    # (they gave Tensors of dtype object, on which later ops failed with NumPy's messages)
    with pytest.raises(TypeError, match="fits no tensor dtype .int64, uint64."):
        call()


def test_python_ints_a_tensor_casts_stay_taken() -> None:
    assert (tg.tensor([1.0], dtype=np.float32) * 10**20).dtype == np.float32
    assert (tg.tensor([1], dtype=np.uint64) + (2**64 - 2)).item() == 2**64 - 1
    assert tg.abs(-(2**63)).dtype == np.int64


# ----------------------------------------------------------------------------- packed sequences
# (tg.nn.utils.rnn: torch 2.13's conditions, its messages where it has them, named by function;
# torch reads past the input's end for a length longer than it, refused here)

_PADDED = np.ones((4, 3, 2))


def _packed() -> Any:
    return tg.nn.utils.rnn.pack_padded_sequence(_PADDED, [3, 2, 1])


PACKING_ERRORS = {
    "pack_padded_sequence": [
        (lambda R: R.pack_padded_sequence(_PADDED, [2, 3, 1]), ValueError, "must be sorted in"),
        (
            lambda R: R.pack_padded_sequence(_PADDED, [3, 2]),
            ValueError,
            r"Expected `len\(lengths\)` to be equal to batch_size, but got 2 \(batch_size=3\)",
        ),
        (lambda R: R.pack_padded_sequence(_PADDED, [3, 2, 0]), ValueError, "greater than 0"),
        (
            lambda R: R.pack_padded_sequence(_PADDED, [5, 2, 1]),
            ValueError,
            r"a sequence of length 5 in an input of 4 steps \(shape \(4, 3, 2\)",
        ),
        (lambda R: R.pack_padded_sequence(np.ones(4), [3]), ValueError, "at least 2-D"),
        (lambda R: R.pack_padded_sequence(_PADDED, [[3, 2, 1]]), ValueError, "lengths must be 1-D"),
        (lambda R: R.pack_padded_sequence(_PADDED, [2.5, 2, 1]), TypeError, "hold integers"),
        (lambda R: R.pack_padded_sequence(_PADDED, "abc"), TypeError, "hold integers"),
        (
            lambda R: R.pack_padded_sequence(_PADDED, [3, 2, 1], batch_first="yes"),
            TypeError,
            "batch_first must be a bool",
        ),
        (lambda R: R.pack_padded_sequence("x", [3]), TypeError, "input holds str"),
    ],
    "pad_packed_sequence": [
        (lambda R: R.pad_packed_sequence(_PADDED), TypeError, "must be a PackedSequence"),
        (
            lambda R: R.pad_packed_sequence(_packed(), total_length=2),
            ValueError,
            "but got total_length=2 and max sequence length being 3",
        ),
        (
            lambda R: R.pad_packed_sequence(_packed(), total_length=5.0),
            TypeError,
            "total_length must be an int",
        ),
        (
            lambda R: R.pad_packed_sequence(_packed(), padding_value="a"),
            TypeError,
            "padding_value must be a number",
        ),
        (
            lambda R: R.pad_packed_sequence(
                _packed(), padding_value=tg.tensor(1.0, requires_grad=True)
            ),
            TypeError,
            "padding_value is a Tensor that requires grad",
        ),
        (
            lambda R: R.pad_packed_sequence(
                R.pack_sequence([np.ones(2, int), np.ones(1, int)]), padding_value=np.nan
            ),
            ValueError,
            "padding_value nan does not fit data of dtype int64",
        ),
    ],
    "pad_sequence": [
        (lambda R: R.pad_sequence([]), ValueError, "received an empty list of sequences"),
        (
            lambda R: R.pad_sequence([np.ones((2, 3)), np.ones((3, 2))]),
            ValueError,
            r"sequences\[1\] of shape \(3, 2\) and sequences\[0\] of shape \(2, 3\) differ",
        ),
        (
            lambda R: R.pad_sequence([np.ones(2)], padding_side="middle"),
            ValueError,
            "Expected padding_side to be one of left or right, but got 'middle'",
        ),
        (lambda R: R.pad_sequence([np.ones(())]), ValueError, r"sequences\[0\] must be at least"),
        (lambda R: R.pad_sequence(5), TypeError, "must be an iterable of tensors, got int"),
    ],
    "pack_sequence": [
        (lambda R: R.pack_sequence([]), ValueError, "received an empty list"),
        (
            lambda R: R.pack_sequence([np.ones(0), np.ones(3)], enforce_sorted=False),
            ValueError,
            "greater than 0",
        ),
        (lambda R: R.pack_sequence([np.ones(2), np.ones(3)]), ValueError, "must be sorted in"),
        (
            lambda R: R.pack_sequence(tg.tensor(1.0)),
            TypeError,
            "must be an iterable of tensors, got a 0-d Tensor",
        ),
    ],
    "unpack_sequence": [
        (lambda R: R.unpack_sequence([np.ones(2)]), TypeError, "must be a PackedSequence"),
    ],
    "unpad_sequence": [
        (
            lambda R: R.unpad_sequence(np.ones((4, 3)), [2, 4]),
            ValueError,
            r"2 lengths for a batch of 3 \(padded_sequences of shape \(4, 3\)",
        ),
        (lambda R: R.unpad_sequence(np.ones((4, 3)), [2, -1, 1]), ValueError, "non-negative"),
        (lambda R: R.unpad_sequence(np.ones(4), [2]), ValueError, "at least 2-D"),
    ],
    "PackedSequence": [
        (
            lambda R: R.PackedSequence(np.ones((3, 2)), [1, 2]),
            ValueError,
            r"batch_sizes must be positive and non-increasing .*got \[1, 2\]",
        ),
        (
            lambda R: R.PackedSequence(np.ones((4, 2)), [2, 1]),
            ValueError,
            r"data of shape \(4, 2\) must have sum\(batch_sizes\) = 3 rows",
        ),
        (
            lambda R: R.PackedSequence(np.ones((3, 2)), [2, 1], [0, 0]),
            ValueError,
            r"sorted_indices must be a permutation of range\(2\)",
        ),
        (lambda R: R.PackedSequence(np.ones((3, 2))), TypeError, "batch_sizes is required"),
        (lambda R: _packed().to(device="cuda"), ValueError, "CPU only, got 'cuda'"),
    ],
}


@pytest.mark.parametrize(
    "name, call, error, pattern",
    [(name, *case) for name, cases in PACKING_ERRORS.items() for case in cases],
)
def test_packing_refuses_bad_input_naming_the_function(name, call, error, pattern) -> None:
    with pytest.raises(error, match=f"{name}(.to)?: .*{pattern}"):
        call(tg.nn.utils.rnn)


def test_packing_is_covered() -> None:
    assert set(PACKING_ERRORS) == set(tg.nn.utils.rnn.__all__)


def test_recurrent_layers_check_a_packed_input() -> None:
    pack = tg.nn.utils.rnn.pack_sequence
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): expected a PackedSequence of data "):
        tg.nn.LSTM(3, 4)(pack([np.ones((2, 2))]))
    with pytest.raises(
        ValueError,
        match=r"GRU\(2, 4\): expected h0 of shape \(1, 2, 4\) for a PackedSequence of "
        r"batch_sizes \[2, 1\], got \(1, 3, 4\)",
    ):
        tg.nn.GRU(2, 4)(pack([np.ones((2, 2)), np.ones((1, 2))]), np.zeros((1, 3, 4)))
