"""The op registry: one ``OpSpec`` per differentiable public op, read by the property tests.

A spec says how to draw valid inputs for its op (shapes, value domains, keyword arguments) and
which inputs are differentiated. ``tests/test_op_properties.py`` checks every spec against finite
differences (first and second order, reverse and forward mode), and ``test_registry_complete``
fails when a public differentiable op has no spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

Arrays = list[np.ndarray]
Sample = tuple[list[Any], dict[str, Any]]


@dataclass(frozen=True)
class OpSpec:
    """How to test one op.

    ``fn(*args, **kwargs)`` is called with Tensors in the ``wrt`` positions and the drawn values
    elsewhere. By default ``arity`` float64 arrays of mutually broadcastable shapes are drawn,
    input ``i`` uniform in ``domains.get(i, (low, high))``, then ``kwargs(data, shapes)``.
    ``sample(data)`` replaces all of that. ``valid(args, kwargs)`` rejects draws too close to a
    kink or tie (finite differences are meaningless there; kinks are tested exactly elsewhere).
    """

    name: str
    fn: Callable[..., Any]
    arity: int = 1
    low: float = -2.0
    high: float = 2.0
    domains: dict[int, tuple[float, float]] = field(default_factory=dict)
    kwargs: Callable[[Any, list[tuple[int, ...]]], dict[str, Any]] | None = None
    sample: Callable[[Any], Sample] | None = None
    wrt: tuple[int, ...] | None = None
    valid: Callable[[list[Any], dict[str, Any]], bool] | None = None
    min_dims: int = 0
    max_dims: int = 3
    max_side: int = 4
    order: int = 2
    atol: float = 1e-8
    rtol: float = 1e-6

    def draw(self, data: Any) -> Sample:
        """Draw ``(args, kwargs)`` for one check."""
        if self.sample is not None:
            return self.sample(data)
        shapes_st = hnp.mutually_broadcastable_shapes(
            num_shapes=self.arity,
            min_dims=self.min_dims,
            max_dims=self.max_dims,
            max_side=self.max_side,
        )
        if self.arity >= 2 and self.max_dims >= 2:
            # (those rarely broadcast both sides: at most 3 of CI's 25 draws did for any op)
            shapes_st = st.one_of(
                shapes_st, crossed_shapes(self.arity, self.max_dims, self.max_side)
            )
        shapes = data.draw(shapes_st, label="shapes").input_shapes
        args = [
            draw_array(data, shape, *self.domains.get(i, (self.low, self.high)))
            for i, shape in enumerate(shapes)
        ]
        kwargs = self.kwargs(data, list(shapes)) if self.kwargs is not None else {}
        return args, kwargs

    def positions(self, args: list[Any]) -> tuple[int, ...]:
        """The differentiated argument positions."""
        if self.wrt is not None:
            return self.wrt
        return tuple(
            i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
        )


class _Shapes(NamedTuple):
    input_shapes: tuple[tuple[int, ...], ...]


@st.composite
def crossed_shapes(draw: Any, arity: int, max_dims: int, max_side: int) -> _Shapes:
    """Shapes that broadcast on both sides, as (3, 1) against (4,) or (2, 1, 4) against (3, 1),
    now and then with an axis of length 0: inputs 0 and 1 each have a 1 where the other has the
    full length, the others keep or drop each axis at random."""
    ndim = draw(st.integers(2, max_dims), label="crossed ndim")
    full = draw(st.lists(st.integers(2, max(2, max_side)), min_size=ndim, max_size=ndim))
    if draw(st.integers(0, 11), label="an empty axis") == 0:
        full[draw(st.integers(0, ndim - 1))] = 0
    a, b = draw(st.permutations(range(ndim)))[:2]
    shapes = []
    for i in range(arity):
        shape = [n if draw(st.booleans()) else 1 for n in full]
        if i < 2:
            shape[a if i == 0 else b] = 1
            shape[b if i == 0 else a] = full[b if i == 0 else a]
        while shape and shape[0] == 1 and draw(st.booleans()):
            shape.pop(0)  # (fewer dimensions: broadcast by rank too)
        shapes.append(tuple(shape))
    return _Shapes(tuple(shapes))


def draw_array(data: Any, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    """A float64 array of ``shape`` with values in [low, high] (well away from subnormals)."""
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    return np.asarray(rng.uniform(low, high, size=shape), dtype=np.float64)


def draw_shape(data: Any, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> tuple:
    return data.draw(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side),
        label="shape",
    )


def axis_kwargs(data: Any, shapes: list[tuple[int, ...]], keepdims: bool = True) -> dict:
    """``axis`` (None, an int, or a tuple) valid for ``shapes[0]``, and maybe ``keepdims``."""
    ndim = len(shapes[0])
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(
            st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim).map(tuple)
        )
    out: dict[str, Any] = {"axis": data.draw(st.one_of(*choices), label="axis")}
    if keepdims:
        out["keepdims"] = data.draw(st.booleans(), label="keepdims")
    return out


def away_from(points: Callable[[list[Any], dict[str, Any]], np.ndarray], gap: float = 1e-3):
    """A ``valid`` predicate: every value of ``points(args, kwargs)`` is at least ``gap`` from 0."""

    def valid(args: list[Any], kwargs: dict[str, Any]) -> bool:
        d = np.asarray(points(args, kwargs))
        return bool(np.all(np.abs(d) > gap))

    return valid


REGISTRY: list[OpSpec] = []


def register(*specs: OpSpec) -> None:
    REGISTRY.extend(specs)


# ============================================================================= the core ops

import tensorgrad as tg  # noqa: E402


def _positive(low: float = 0.2, high: float = 2.0) -> dict[int, tuple[float, float]]:
    return {0: (low, high)}


def _off_steps(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """a / b away from the integers, where a // b steps and a % b jumps."""
    q = np.asarray(args[0]) / np.asarray(args[1])
    return bool(np.all(np.abs(q - np.round(q)) > 1e-3))


def _distinct(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """No two entries within 1e-3 (ties are tested exactly elsewhere)."""
    x = np.sort(np.asarray(args[0]).reshape(-1))
    return x.size < 2 or bool(np.min(np.diff(x)) > 1e-3)


def _apart(args: list[Any], kwargs: dict[str, Any]) -> bool:
    a, b = np.broadcast_arrays(args[0], args[1])
    return bool(np.all(np.abs(a - b) > 1e-3))


def _not_near(*points: float) -> Callable[[list[Any], dict[str, Any]], bool]:
    def valid(args: list[Any], kwargs: dict[str, Any]) -> bool:
        x = np.asarray(args[0])
        return all(bool(np.all(np.abs(x - p) > 1e-3)) for p in points)

    return valid


_INTEGERS = (-2.0, -1.0, 0.0, 1.0, 2.0)  # (where floor, ceil and trunc step, in [-2, 2])
_HALVES = (-1.5, -0.5, 0.5, 1.5)  # (where round and rint step)


def _off_origin(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """(a, b) at least 0.2 from (0, 0), where hypot and arctan2 are not differentiable."""
    return bool(np.all(np.hypot(args[0], args[1]) > 0.2))


def _off_axes(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Both arguments away from 0, where copysign's sign (of either) changes."""
    return bool(np.all(np.abs(args[0]) > 1e-3) and np.all(np.abs(args[1]) > 1e-3))


UNARY = {
    "exp": {},
    "exp2": {},
    "expm1": {},
    "log": {"domains": _positive()},
    "log2": {"domains": _positive()},
    "log10": {"domains": _positive()},
    "log1p": {"domains": {0: (-0.8, 2.0)}},
    "sqrt": {"domains": _positive()},
    "cbrt": {"valid": away_from(lambda args, kw: args[0], 0.2)},  # (its slope: inf at 0)
    "square": {},
    "reciprocal": {"domains": _positive(0.3)},
    "sin": {},
    "cos": {},
    "tan": {"domains": {0: (-1.2, 1.2)}},
    "arcsin": {"domains": {0: (-0.9, 0.9)}},
    "arccos": {"domains": {0: (-0.9, 0.9)}},
    "arctan": {},
    "sinc": {"low": -3.0, "high": 3.0},
    "deg2rad": {},
    "radians": {},
    "rad2deg": {},
    "degrees": {},
    "tanh": {},
    "sinh": {},
    "cosh": {},
    "arcsinh": {"low": -4.0, "high": 4.0},
    "arccosh": {"domains": {0: (1.2, 4.0)}},
    "arctanh": {"domains": {0: (-0.85, 0.85)}},
    "sigmoid": {"low": -6.0, "high": 6.0},
    "softplus": {"low": -6.0, "high": 6.0},
    "relu": {"valid": _not_near(0.0)},
    "abs": {"valid": _not_near(0.0)},
    "fabs": {"valid": _not_near(0.0)},
    "sign": {"valid": _not_near(0.0)},
    "round": {"valid": _not_near(*_HALVES)},
    "rint": {"valid": _not_near(*_HALVES)},
    "floor": {"valid": _not_near(*_INTEGERS)},
    "ceil": {"valid": _not_near(*_INTEGERS)},
    "trunc": {"valid": _not_near(*_INTEGERS)},
    "fix": {"valid": _not_near(*_INTEGERS)},
    "erf": {"low": -4.0, "high": 4.0},
    "erfinv": {"domains": {0: (-0.95, 0.95)}},
    "i0": {"low": -4.0, "high": 4.0},
    "negative": {},
    "flatten": {},
}
for _name, _extra in UNARY.items():
    register(OpSpec(_name, getattr(tg, _name), **_extra))

register(
    OpSpec(
        "nan_to_num",
        tg.nan_to_num,
        kwargs=lambda d, s: {"nan": d.draw(st.sampled_from([0.0, -1.5]))},
    ),
)
register(
    OpSpec(
        "gelu",
        tg.gelu,
        low=-4,
        high=4,
        kwargs=lambda d, s: {"approximate": d.draw(st.sampled_from(["none", "tanh"]))},
    ),
    OpSpec("add", tg.add, arity=2),
    OpSpec("subtract", tg.subtract, arity=2),
    OpSpec("multiply", tg.multiply, arity=2),
    OpSpec("divide", tg.divide, arity=2, domains={1: (0.4, 2.0)}),
    OpSpec("floor_divide", tg.floor_divide, arity=2, domains={1: (0.4, 2.0)}, valid=_off_steps),
    OpSpec("remainder", tg.remainder, arity=2, domains={1: (0.4, 2.0)}, valid=_off_steps),
    OpSpec("fmod", tg.fmod, arity=2, domains={1: (0.4, 2.0)}, valid=_off_steps),
    OpSpec("fmod", tg.fmod, arity=2, domains={1: (-2.0, -0.4)}, valid=_off_steps),
    OpSpec("power", tg.power, arity=2, domains={0: (0.3, 2.0), 1: (-2.0, 2.0)}),
    OpSpec("float_power", tg.float_power, arity=2, domains={0: (0.3, 2.0), 1: (-2.0, 2.0)}),
    OpSpec("maximum", tg.maximum, arity=2, valid=_apart),
    OpSpec("minimum", tg.minimum, arity=2, valid=_apart),
    OpSpec("arctan2", tg.arctan2, arity=2, valid=_off_origin),
    OpSpec("hypot", tg.hypot, arity=2, valid=_off_origin),
    OpSpec("logaddexp", tg.logaddexp, arity=2, low=-4.0, high=4.0),
    OpSpec("logaddexp2", tg.logaddexp2, arity=2, low=-4.0, high=4.0),
    OpSpec("copysign", tg.copysign, arity=2, valid=_off_axes),
    OpSpec("heaviside", tg.heaviside, arity=2, valid=_not_near(0.0)),
    OpSpec(
        "clip",
        tg.clip,
        kwargs=lambda d, s: {"a_min": -0.5, "a_max": 0.7},
        valid=_not_near(-0.5, 0.7),
    ),
    OpSpec("astype", tg.astype, kwargs=lambda d, s: {"dtype": np.float64}),
    OpSpec("alias", tg.ops.alias),
)


def _where_sample(data: Any) -> Sample:
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    c, a, b = shapes.input_shapes
    cond = draw_array(data, c, 0, 1) > 0.5
    return [cond, draw_array(data, a, -2, 2), draw_array(data, b, -2, 2)], {}


register(OpSpec("where", tg.where, sample=_where_sample, wrt=(1, 2)))


def _clip_away_from_bounds(args: list[Any], kwargs: dict[str, Any]) -> bool:
    x, lo, hi = np.broadcast_arrays(*args)
    return bool(np.all(np.abs(x - lo) > 1e-3) and np.all(np.abs(x - hi) > 1e-3))


# bounds that are differentiated too (as torch's clamp): they were read as constants
register(
    OpSpec(
        "clip",
        lambda x, lo, hi: tg.clip(x, lo, hi),
        arity=3,
        domains={1: (-1.5, 0.0), 2: (0.2, 1.5)},
        valid=_clip_away_from_bounds,
    )
)

# ----------------------------------------------------------------------------- reductions


def _var_kwargs(data: Any, shapes: list[tuple[int, ...]]) -> dict:
    kw = axis_kwargs(data, shapes)
    axes = tg._shapes.normalize_axis(kw["axis"], len(shapes[0]))
    n = int(np.prod([shapes[0][a] for a in axes])) if axes else 1
    kw["ddof"] = data.draw(st.integers(0, 1)) if n > 1 else 0
    return kw


def _spread(args: list[Any], kwargs: dict[str, Any]) -> bool:
    v = np.var(args[0], axis=kwargs.get("axis"), ddof=kwargs.get("ddof", 0))
    return bool(np.all(v > 1e-3))


def _norm_positive(args: list[Any], kwargs: dict[str, Any]) -> bool:
    n = np.sqrt(np.sum(np.asarray(args[0]) ** 2, axis=kwargs.get("axis")))
    return bool(np.all(n > 1e-3))


def _cumprod_sample(data: Any) -> Sample:
    """An array, some entries of which maybe exactly 0 (cumprod is a polynomial: finite
    differences hold there, and its rules must not divide by x), and an axis or None."""
    x, shape = _one(data)
    if x.size and data.draw(st.booleans(), label="zeros"):
        x.reshape(-1)[data.draw(st.lists(st.integers(0, x.size - 1), max_size=3))] = 0.0
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    return [x], {"axis": axis}


register(
    OpSpec("sum", tg.sum, kwargs=axis_kwargs),
    OpSpec("mean", tg.mean, kwargs=axis_kwargs),
    OpSpec("prod", tg.prod, kwargs=axis_kwargs),
    OpSpec("max", tg.max, kwargs=axis_kwargs, valid=_distinct),
    OpSpec("min", tg.min, kwargs=axis_kwargs, valid=_distinct),
    OpSpec("var", tg.var, kwargs=_var_kwargs),
    OpSpec("std", tg.std, kwargs=_var_kwargs, valid=_spread),
    OpSpec("logsumexp", tg.logsumexp, kwargs=axis_kwargs, low=-5, high=5),
    OpSpec("norm", tg.norm, kwargs=axis_kwargs, valid=_norm_positive),
    OpSpec(
        "cumsum",
        tg.cumsum,
        kwargs=lambda d, s: {
            "axis": d.draw(st.none() | st.integers(-len(s[0]), len(s[0]) - 1)) if s[0] else None
        },
    ),
    OpSpec("cumprod", tg.cumprod, sample=_cumprod_sample),
)


def _cdist_sample(data: Any) -> Sample:
    """x1 (..., P, M) and x2 (..., R, M) with leading axes that broadcast, and an order p."""
    lead = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    m = data.draw(st.integers(1, 3), label="m")
    shapes = [s + (data.draw(st.integers(1, 3)), m) for s in lead.input_shapes]
    p = data.draw(st.sampled_from([0, 0.5, 1, 1.5, 2, 3, np.inf]), label="p")
    return [draw_array(data, s, -2, 2) for s in shapes], {"p": p}


def _cdist_smooth(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Distances away from 0 (no derivative there); for p not 2 or 3, every difference away
    from 0 too (|d| ** p bends there), and for p = inf no tie for the largest."""
    d = np.abs(args[0][..., :, None, :] - args[1][..., None, :, :])
    p = kwargs["p"]
    if not np.all(np.sqrt(np.sum(d * d, axis=-1)) > 1e-3):
        return False
    if p in (0.5, 1.5):
        return bool(np.all(d > 0.05))
    if p in (1, np.inf) and not np.all(d > 1e-3):
        return False
    gaps = np.diff(np.sort(d, axis=-1), axis=-1)
    return p != np.inf or bool(np.all(gaps > 1e-3))


def _cdist2_sample(data: Any) -> Sample:
    """p = 2 alone (its own op: the product form, close pairs from their differences), with
    more rows and columns than ``_cdist_sample``'s."""
    lead = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2))
    m = data.draw(st.integers(1, 4), label="m")
    shapes = [s + (data.draw(st.integers(1, 4)), m) for s in lead.input_shapes]
    return [draw_array(data, s, -2, 2) for s in shapes], {"p": 2}


register(
    OpSpec("cdist", tg.cdist, sample=_cdist_sample, valid=_cdist_smooth),
    OpSpec("cdist", tg.cdist, sample=_cdist2_sample, valid=_cdist_smooth),
)


def _singular_norm_sample(data: Any) -> Sample:
    """ord=2, -2 or 'nuc' over two axes (in either order) of a stack of matrices."""
    shape = draw_shape(data, min_dims=2)
    x = draw_array(data, shape, -2, 2)
    rows, cols = data.draw(st.permutations(range(len(shape))), label="axes")[:2]
    ord = data.draw(st.sampled_from([2, -2, "nuc"]), label="ord")
    return [x], {"axis": (rows, cols), "keepdims": data.draw(st.booleans()), "ord": ord}


def _singular_gaps(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Singular values apart from each other and from 0 (where they are not differentiable)."""
    s = np.linalg.svd(np.moveaxis(args[0], kwargs["axis"], (-2, -1)), compute_uv=False)
    gaps = np.abs(s[..., :, None] - s[..., None, :]) + np.eye(s.shape[-1])
    return bool(np.all(s > 0.05) and np.all(gaps > 0.05))


register(OpSpec("norm", tg.norm, sample=_singular_norm_sample, valid=_singular_gaps))


def _vector_norm_sample(data: Any) -> Sample:
    """A vector norm of another order than 2 (a composition of ops) along one axis."""
    shape = draw_shape(data, min_dims=1)
    x = draw_array(data, shape, -2, 2)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    ord = data.draw(st.sampled_from([1, 3, 0.5, 1.5, -1, np.inf, -np.inf]), label="ord")
    return [x], {"axis": axis, "keepdims": data.draw(st.booleans()), "ord": ord}


def _entries_apart(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """|x| away from 0 (where |x| ** p bends) and from each other (the max and min orders)."""
    a = np.abs(np.asarray(args[0]))
    return bool(np.all(a > 0.05)) and _distinct([a], kwargs)


register(OpSpec("norm", tg.norm, sample=_vector_norm_sample, valid=_entries_apart))


# ----------------------------------------------------------------------------- statistics


def _nan_slices(x: np.ndarray, axis: Any, data: Any, keep: int = 1) -> np.ndarray:
    """``x`` (a copy) with some entries NaN, each slice reduced over ``axis`` keeping at least
    ``keep`` numbers (a slice of only NaNs, or too few, is NaN: no derivative to check)."""
    if not x.size or not data.draw(st.booleans(), label="NaNs"):
        return x
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="NaN seed"))
    mask = rng.random(x.shape) < 0.35
    axes = tg._shapes.normalize_axis(axis, x.ndim)
    short = np.sum(~mask, axis=axes, keepdims=True) < keep
    mask &= ~short
    out = x.copy()
    out[mask] = np.nan
    return out


def _nan_reduction_sample(data: Any, keep: int = 1, ddof: bool = False) -> Sample:
    x, shape = _one(data)
    kw = axis_kwargs(data, [shape])
    if ddof:  # (1 only where a slice has 2 entries or more)
        n = int(np.prod([shape[a] for a in tg._shapes.normalize_axis(kw["axis"], len(shape))]))
        kw["ddof"] = data.draw(st.integers(0, 1), label="ddof") if n > 1 else 0
        keep = kw["ddof"] + 1
    return [_nan_slices(x, kw["axis"], data, keep)], kw


def _numbers_distinct(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """No two numbers (NaNs aside) within 1e-3: an order statistic's rank stays put."""
    x = np.asarray(args[0])
    return _distinct([x[~np.isnan(x)]], kwargs)


def _nan_spread_positive(args: list[Any], kwargs: dict[str, Any]) -> bool:
    v = np.nanvar(args[0], axis=kwargs.get("axis"), ddof=kwargs.get("ddof", 0))
    return bool(np.all(v > 1e-3))


def _nan_running_sample(data: Any) -> Sample:
    x, shape = _one(data)
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    return [_nan_slices(x, None, data)], {"axis": axis}


def _quantile_kwargs(data: Any, shape: tuple, percent: bool) -> dict:
    """axis, keepdims, a method, and q: a number, or an array of up to 2-D (cast to the data's
    dtype by the spec's fn: NumPy keeps float32 data float32 only for a float32 q)."""
    from tensorgrad.ops.statistics import METHODS

    kw = axis_kwargs(data, [shape])
    kw["method"] = data.draw(st.sampled_from(METHODS), label="method")
    scalar = st.floats(0, 1).map(lambda q: round(q, 3))
    q = data.draw(
        scalar | st.lists(scalar, min_size=1, max_size=3).map(np.array) | st.just(np.eye(2) / 2),
        label="q",
    )
    kw["q"] = q * 100 if percent else q
    return kw


def _quantile_fn(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(x: Any, q: Any, **kw: Any) -> Any:
        return fn(x, q if isinstance(q, float) else np.asarray(q, x.dtype), **kw)

    return call


def _quantile_sample(percent: bool, nans: bool) -> Callable[[Any], Sample]:
    def sample(data: Any) -> Sample:
        x, shape = _one(data)
        kw = _quantile_kwargs(data, shape, percent)
        return [_nan_slices(x, kw["axis"], data) if nans else x], kw

    return sample


def _median_sample(nans: bool) -> Callable[[Any], Sample]:
    def sample(data: Any) -> Sample:
        x, shape = _one(data)
        kw = axis_kwargs(data, [shape])
        return [_nan_slices(x, kw["axis"], data) if nans else x], kw

    return sample


def _average_sample(data: Any) -> Sample:
    """x, and weights (differentiated) of x's shape or of the reduced axes' (in the order the
    axes are given), away from 0 so that no sum of them is; or no weights; maybe returned."""
    x, shape = _one(data)
    kw = axis_kwargs(data, [shape])
    axis = kw["axis"]
    kw["returned"] = data.draw(st.booleans(), label="returned")
    how = data.draw(st.sampled_from(["none", "same", "axes"]), label="weights")
    if how == "none" or (how == "axes" and axis is None):
        return [x, None], kw
    wshape = shape if how == "same" else tuple(shape[a] for a in np.atleast_1d(axis))
    return [x, draw_array(data, wshape, 0.5, 2.0)], kw


def _average(x: Any, w: Any, **kw: Any) -> Any:
    out = tg.average(x, weights=w, **kw)
    if not kw["returned"]:
        return out
    return tg.concatenate([tg.reshape(out[0], (-1,)), tg.reshape(out[1], (-1,))])


def _cov_sample(data: Any) -> Sample:
    """m (k, n) or (n,), maybe y, and cov's flags and constant weights."""
    k, n = data.draw(st.integers(1, 3), label="k"), data.draw(st.integers(2, 5), label="n")
    rowvar = data.draw(st.booleans(), label="rowvar")
    shape = data.draw(st.sampled_from([(k, n), (n,)]), label="shape")
    if not rowvar and len(shape) == 2:
        shape = (n, k)
    args = [draw_array(data, shape, -2, 2)]
    if data.draw(st.booleans(), label="y"):
        args.append(draw_array(data, shape, -2, 2))
    kw: dict[str, Any] = {"rowvar": rowvar, "bias": data.draw(st.booleans(), label="bias")}
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    if data.draw(st.booleans(), label="fweights"):
        kw["fweights"] = rng.integers(1, 3, size=n)
    if data.draw(st.booleans(), label="aweights"):
        kw["aweights"] = rng.uniform(0.5, 2.0, size=n)
    if data.draw(st.booleans(), label="ddof"):
        kw["ddof"] = data.draw(st.integers(0, 1))
    return args, kw


def _corrcoef_sample(data: Any) -> Sample:
    args, kw = _cov_sample(data)
    return args, {"rowvar": kw["rowvar"]}


def _uncorrelated(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Variances away from 0 and correlations away from +-1 (where corrcoef is clipped)."""
    c = np.atleast_2d(np.cov(*args, rowvar=kwargs["rowvar"]))
    d = np.diag(c)
    if not np.all(d > 1e-2):
        return False
    r = c / np.sqrt(np.outer(d, d))
    return bool(np.all(np.abs(r - np.eye(len(d))) < 1 - 1e-3))


def _inner_sample(data: Any) -> Sample:
    k = data.draw(st.integers(1, 3), label="k")
    shapes = [
        data.draw(st.sampled_from([(), (k,), (2, k), (1, 3, k)]), label="shape") for _ in range(2)
    ]
    return [draw_array(data, s, -2, 2) for s in shapes], {}


def _vdot_sample(data: Any) -> Sample:
    shapes = data.draw(st.sampled_from([((), ()), ((6,), (2, 3)), ((3, 2), (6,)), ((2, 2), (4,))]))
    return [draw_array(data, s, -2, 2) for s in shapes], {}


def _vander_sample(data: Any) -> Sample:
    x = draw_array(data, (data.draw(st.integers(0, 4), label="n"),), -2, 2)
    n = data.draw(st.none() | st.integers(0, 5), label="N")
    return [x], {"N": n, "increasing": data.draw(st.booleans(), label="increasing")}


def _correlate_sample(data: Any) -> Sample:
    n, m = data.draw(st.integers(1, 5), label="n"), data.draw(st.integers(1, 5), label="m")
    mode = data.draw(st.sampled_from(["full", "same", "valid"]), label="mode")
    return [draw_array(data, (n,), -2, 2), draw_array(data, (m,), -2, 2)], {"mode": mode}


def _interp_sample(data: Any) -> Sample:
    """x of any shape, increasing xp (a constant) and fp; maybe left and right, or a period."""
    k = data.draw(st.integers(1, 5), label="k")
    gaps = draw_array(data, (k,), 0.2, 1.0)
    xp = np.cumsum(gaps) - 1.5
    x, _ = _one(data)
    kw: dict[str, Any] = {}
    extra = data.draw(st.sampled_from(["none", "bounds", "period"]), label="extra")
    if extra == "bounds":
        kw = {"left": -3.0, "right": 4.0}
    elif extra == "period":
        kw = {"period": float(xp[-1] - xp[0] + 0.3)}
    return [x, xp, draw_array(data, (k,), -2, 2)], kw


def _off_knots(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """x away from every point of xp (where the slope jumps), also after the period's wrap."""
    x, xp = np.asarray(args[0]), np.asarray(args[1])
    period = kwargs.get("period")
    if period is not None:
        x, xp = x % period, xp % period
        if not bool(np.all(np.minimum(x, period - x) > 1e-3)):
            return False
        xp = np.concatenate([xp, xp - period, xp + period])
    return bool(np.all(np.abs(x.reshape(-1, 1) - xp.reshape(1, -1)) > 1e-3))


register(
    OpSpec("nansum", tg.nansum, sample=_nan_reduction_sample),
    OpSpec("nanprod", tg.nanprod, sample=_nan_reduction_sample),
    OpSpec("nanmean", tg.nanmean, sample=_nan_reduction_sample),
    OpSpec("nanvar", tg.nanvar, sample=lambda d: _nan_reduction_sample(d, ddof=True)),
    OpSpec(
        "nanstd",
        tg.nanstd,
        sample=lambda d: _nan_reduction_sample(d, ddof=True),
        valid=_nan_spread_positive,
    ),
    OpSpec("nanmax", tg.nanmax, sample=_nan_reduction_sample, valid=_numbers_distinct),
    OpSpec("nanmin", tg.nanmin, sample=_nan_reduction_sample, valid=_numbers_distinct),
    OpSpec("nancumsum", tg.nancumsum, sample=_nan_running_sample),
    OpSpec("nancumprod", tg.nancumprod, sample=_nan_running_sample),
    OpSpec("median", tg.median, sample=_median_sample(False), valid=_distinct),
    OpSpec("nanmedian", tg.nanmedian, sample=_median_sample(True), valid=_numbers_distinct),
    OpSpec(
        "quantile",
        _quantile_fn(tg.quantile),
        sample=_quantile_sample(False, False),
        valid=_distinct,
    ),
    OpSpec(
        "percentile",
        _quantile_fn(tg.percentile),
        sample=_quantile_sample(True, False),
        valid=_distinct,
    ),
    OpSpec(
        "nanquantile",
        _quantile_fn(tg.nanquantile),
        sample=_quantile_sample(False, True),
        valid=_numbers_distinct,
    ),
    OpSpec(
        "nanpercentile",
        _quantile_fn(tg.nanpercentile),
        sample=_quantile_sample(True, True),
        valid=_numbers_distinct,
    ),
    OpSpec("ptp", tg.ptp, kwargs=axis_kwargs, min_dims=1, valid=_distinct),
    OpSpec("average", _average, sample=_average_sample),
    OpSpec("cov", tg.cov, sample=_cov_sample),
    OpSpec("corrcoef", tg.corrcoef, sample=_corrcoef_sample, valid=_uncorrelated),
    OpSpec("inner", tg.inner, sample=_inner_sample),
    OpSpec("vdot", tg.vdot, sample=_vdot_sample),
    OpSpec("vander", tg.vander, sample=_vander_sample),
    OpSpec("convolve", tg.convolve, sample=_correlate_sample),
    OpSpec("correlate", tg.correlate, sample=_correlate_sample),
    OpSpec("interp", tg.interp, sample=_interp_sample, wrt=(0, 2), valid=_off_knots),
)


# ----------------------------------------------------------------------------- shape


def _one(data: Any, min_dims: int = 0) -> tuple[np.ndarray, tuple[int, ...]]:
    shape = draw_shape(data, min_dims=min_dims)
    return draw_array(data, shape, -2, 2), shape


def _reshape_sample(data: Any) -> Sample:
    x, shape = _one(data)
    new = data.draw(st.sampled_from([(-1,), shape[::-1], (1,) + shape, (x.size, 1)]))
    return [x], {"shape": new}


def _transpose_sample(data: Any) -> Sample:
    x, shape = _one(data)
    axes = data.draw(st.permutations(range(len(shape))) | st.none())
    return [x], {"axes": None if axes is None else tuple(axes)}


def _axis_pair_sample(data: Any) -> Sample:
    x, shape = _one(data, 1)
    n = len(shape)
    a, b = data.draw(st.integers(-n, n - 1)), data.draw(st.integers(-n, n - 1))
    return [x], {"a": a, "b": b}


def _expand_sample(data: Any) -> Sample:
    x, shape = _one(data)
    return [x], {"axis": data.draw(st.integers(-len(shape) - 1, len(shape)))}


def _squeeze_sample(data: Any) -> Sample:
    x, shape = _one(data)
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.none() | st.sampled_from(ones)) if ones else None
    return [x], {"axis": axis}


def _broadcast_sample(data: Any) -> Sample:
    x, shape = _one(data)
    target = (2,) + tuple(3 if n == 1 else n for n in shape)
    return [x], {"shape": target}


def _join_sample(data: Any) -> Sample:
    shape = draw_shape(data, min_dims=1)
    axis = data.draw(st.integers(0, len(shape) - 1))
    k = data.draw(st.integers(1, 3))
    arrays = []
    for _ in range(k):
        s = list(shape)
        s[axis] = data.draw(st.integers(1, 3))
        arrays.append(draw_array(data, tuple(s), -2, 2))
    return arrays, {"axis": axis}


def _stack_sample(data: Any) -> Sample:
    shape = draw_shape(data)
    k = data.draw(st.integers(1, 3))
    arrays = [draw_array(data, shape, -2, 2) for _ in range(k)]
    return arrays, {"axis": data.draw(st.integers(-len(shape) - 1, len(shape)))}


def _split_sample(data: Any) -> Sample:
    x, shape = _one(data, 1)
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    how = data.draw(
        st.sampled_from([d for d in range(1, n + 1) if n % d == 0])
        | st.lists(st.integers(0, n), max_size=3).map(sorted)
    )
    return [x], {"how": how, "axis": axis}


def _split(x: Any, how: Any, axis: int) -> Any:
    pieces = tg.split(x, how, axis)
    return tg.concatenate([p * (i + 1.0) for i, p in enumerate(pieces)], axis=axis)


def _pad_sample(data: Any) -> Sample:
    x, shape = _one(data)
    mode = data.draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    widths = [
        (data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
        if n or mode == "constant"
        else (0, 0)  # (only a constant extends an empty axis)
        for n in shape
    ] or 0  # (a 0-d tensor: an int, as np.pad, which refuses an empty pad_width)
    if mode != "constant":
        return [x], {"pad_width": widths, "mode": mode}
    return [x], {"pad_width": widths, "constant_values": data.draw(st.sampled_from([0.0, 1.5]))}


def _flip_sample(data: Any) -> Sample:
    x, shape = _one(data)
    return [x], axis_kwargs(data, [shape], keepdims=False)


def _tile_sample(data: Any) -> Sample:
    x, shape = _one(data)
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=len(shape) + 1)))
    return [x], {"reps": reps}


def _repeat_sample(data: Any) -> Sample:
    x, shape = _one(data)
    if shape and data.draw(st.booleans()):
        axis = data.draw(st.integers(0, len(shape) - 1))
        reps = data.draw(
            st.integers(0, 3)
            | st.lists(st.integers(0, 3), min_size=shape[axis], max_size=shape[axis]).map(np.array)
        )
        return [x], {"repeats": reps, "axis": axis}
    return [x], {"repeats": data.draw(st.integers(0, 3)), "axis": None}


register(
    OpSpec("reshape", lambda x, shape: tg.reshape(x, shape), sample=_reshape_sample),
    OpSpec("transpose", tg.transpose, sample=_transpose_sample),
    OpSpec("swapaxes", lambda x, a, b: tg.swapaxes(x, a, b), sample=_axis_pair_sample),
    OpSpec("moveaxis", lambda x, a, b: tg.moveaxis(x, a, b), sample=_axis_pair_sample),
    OpSpec("expand_dims", tg.expand_dims, sample=_expand_sample),
    OpSpec("squeeze", tg.squeeze, sample=_squeeze_sample),
    OpSpec("broadcast_to", tg.broadcast_to, sample=_broadcast_sample),
    OpSpec("concatenate", lambda *xs, axis: tg.concatenate(xs, axis), sample=_join_sample),
    OpSpec("stack", lambda *xs, axis: tg.stack(xs, axis), sample=_stack_sample),
    OpSpec("split", _split, sample=_split_sample),
    OpSpec("pad", tg.pad, sample=_pad_sample),
    OpSpec("flip", tg.flip, sample=_flip_sample),
    OpSpec("tile", tg.tile, sample=_tile_sample),
    OpSpec("repeat", tg.repeat, sample=_repeat_sample),
)

# ----------------------------------------------------------------------------- array manipulation


def _weighted_flat(outs: Any) -> Any:
    """Several results as one tensor: each flattened and scaled by its place (1, 2, ...), so
    that a gradient sent to the wrong result shows."""
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    return tg.concatenate([tg.reshape(o, -1) * (i + 1.0) for i, o in enumerate(outs)])


def _flattened(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` whose results ``_weighted_flat`` puts in one tensor."""
    return lambda *args, **kwargs: _weighted_flat(fn(*args, **kwargs))


def _roll_sample(data: Any) -> Sample:
    x, shape = _one(data)
    n = len(shape)
    shifts = st.integers(-6, 6)
    if not n or data.draw(st.booleans(), label="flattened"):
        shift = data.draw(shifts | st.lists(shifts, max_size=2).map(tuple), label="shift")
        return [x], {"shift": shift, "axis": None}
    axes = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3), label="axes")
    if data.draw(st.booleans(), label="one shift"):
        return [x], {"shift": data.draw(shifts), "axis": tuple(axes)}
    # (one shift per axis; an axis may repeat, its shifts then add up)
    return [x], {"shift": tuple(data.draw(shifts) for _ in axes), "axis": tuple(axes)}


def _rot90_sample(data: Any) -> Sample:
    x, shape = _one(data, 2)
    first, second = data.draw(st.permutations(range(-len(shape), len(shape))), label="axes")[:2]
    if (first - second) % len(shape) == 0:  # (the same axis, spelled twice)
        second = (first + 1) % len(shape)
    return [x], {"k": data.draw(st.integers(-5, 5), label="k"), "axes": (first, second)}


def _diff_sample(data: Any) -> Sample:
    """a, and maybe prepend and append: a number each (0-d), or entries of a's shape along
    the axis."""
    x, shape = _one(data, 1)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    ends: list[Any] = []
    for label in ("prepend", "append"):
        kind = data.draw(st.sampled_from(["none", "number", "rows"]), label=label)
        rows = shape[: axis % len(shape)] + (data.draw(st.integers(1, 2)),) + shape[axis:][1:]
        ends.append(
            None if kind == "none" else draw_array(data, () if kind == "number" else rows, -2, 2)
        )
    n = data.draw(st.integers(0, 3), label="n")
    return [x, *ends], {"n": n, "axis": axis}


def _ediff1d_sample(data: Any) -> Sample:
    x, _ = _one(data)
    ends = [
        data.draw(st.none() | st.sampled_from([(), (2,), (1, 2)]), label=label)
        for label in ("to_end", "to_begin")
    ]
    return [x] + [None if s is None else draw_array(data, s, -2, 2) for s in ends], {}


def _stacked_sample(data: Any, least: int, axis: int) -> Sample:
    """1 to 3 arrays of one shape but along ``axis``, at least ``least``-D, and maybe one of
    fewer dimensions that ``atleast_{least}d`` lifts to a joinable shape: a number among
    vectors, a row (n,) among matrices (., n), a matrix (m, n) among (m, n, .)."""
    base = list(draw_shape(data, min_dims=least, max_dims=3 if least > 1 else 1))
    arrays = []
    for _ in range(data.draw(st.integers(1, 3), label="k")):
        s = list(base)
        s[axis] = data.draw(st.integers(1, 3))
        arrays.append(draw_array(data, tuple(s), -2, 2))
    if data.draw(st.booleans(), label="a smaller one"):
        small = {(1, 1): (), (2, 2): (base[-1],), (3, 3): tuple(base[:2])}.get((least, len(base)))
        if small is not None and (least != 2 or axis == 0):
            arrays.insert(data.draw(st.integers(0, len(arrays))), draw_array(data, small, -2, 2))
    return arrays, {}


def _column_stack_sample(data: Any) -> Sample:
    """Columns (1-D of n), numbers (when n is 1) and matrices (n, k) side by side."""
    n = data.draw(st.integers(1, 3), label="n")
    shapes = [(n,), (n, data.draw(st.integers(1, 2))), (n, 1, 2)] + ([()] if n == 1 else [])
    picks = data.draw(st.lists(st.sampled_from(shapes[:2] + shapes[3:]), min_size=1, max_size=3))
    if data.draw(st.booleans(), label="3-D"):
        picks = [(n, 1, 2), (n, 2, 2)]
    return [draw_array(data, s, -2, 2) for s in picks], {}


def _atleast_sample(data: Any) -> Sample:
    return [draw_array(data, draw_shape(data, max_dims=4), -2, 2) for _ in range(
        data.draw(st.integers(1, 3), label="k"))], {}  # fmt: skip


def _broadcast_arrays_sample(data: Any) -> Sample:
    k = data.draw(st.integers(1, 3), label="k")
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=k, max_dims=3, max_side=3))
    return [draw_array(data, s, -2, 2) for s in shapes.input_shapes], {}


def _meshgrid_sample(data: Any) -> Sample:
    k = data.draw(st.integers(1, 3), label="k")
    xs = [draw_array(data, draw_shape(data, max_dims=2, max_side=3), -2, 2) for _ in range(k)]
    flags = {f: data.draw(st.booleans(), label=f) for f in ("sparse", "copy")}
    return xs, {"indexing": data.draw(st.sampled_from(["xy", "ij"])), **flags}


def _array_split_sample(data: Any) -> Sample:
    x, shape = _one(data, 1)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    how = data.draw(st.integers(1, 5) | st.lists(st.integers(0, 5), max_size=3), label="how")
    return [x], {"how": how, "axis": axis}


def _split_by_rank_sample(least: int, axis: int) -> Callable[[Any], Sample]:
    def sample(data: Any) -> Sample:
        x, shape = _one(data, least)
        n = shape[axis if len(shape) > 1 else 0]
        how = data.draw(
            st.sampled_from([d for d in range(1, n + 1) if n % d == 0])
            | st.lists(st.integers(0, n), max_size=3).map(sorted),
            label="how",
        )
        return [x], {"indices_or_sections": how}

    return sample


def _append_sample(data: Any) -> Sample:
    x, shape = _one(data)
    if not shape or data.draw(st.booleans(), label="flattened"):
        return [x, draw_array(data, draw_shape(data, max_dims=2), -2, 2)], {"axis": None}
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    rows = list(shape)
    rows[axis] = data.draw(st.integers(1, 3))
    return [x, draw_array(data, tuple(rows), -2, 2)], {"axis": axis}


def _insert_sample(data: Any) -> Sample:
    """arr, values and obj (an int, ints, a slice or a bool mask) along an axis or flattened;
    values shaped as the inserted entries, or one number for all of them."""
    x, shape = _one(data)
    flat = not shape or data.draw(st.booleans(), label="flattened")
    axis = None if flat else data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    full = (x.size,) if flat else shape
    ax = 0 if flat else axis % len(shape)
    n = full[ax]
    kind = data.draw(st.sampled_from(["int", "ints", "slice", "mask"]), label="obj")
    if kind == "int":
        obj: Any = data.draw(st.integers(-n, n), label="at")
        run = data.draw(st.integers(1, 3), label="run")
        rest = full[:ax] + full[ax + 1 :]
        vshape = (run,) + rest  # (its first axis moves to ax: the run of new entries)
    else:
        if kind == "ints":
            obj = data.draw(st.lists(st.integers(-n, n), min_size=2, max_size=4), label="at")
            k = len(obj)
        elif kind == "slice":
            obj = slice(*data.draw(st.tuples(st.integers(-n, n), st.integers(-n, n)), label="at"))
            k = len(range(*obj.indices(n)))
        else:
            obj = data.draw(st.lists(st.booleans(), min_size=n, max_size=n).map(np.array))
            k = int(obj.sum())
        vshape = full[:ax] + (k,) + full[ax + 1 :]
    if data.draw(st.booleans(), label="one number"):
        vshape = ()
    return [x, draw_array(data, vshape, -2, 2)], {"obj": obj, "axis": axis}


def _delete_sample(data: Any) -> Sample:
    x, shape = _one(data)
    flat = not shape or data.draw(st.booleans(), label="flattened")
    axis = None if flat else data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    n = x.size if flat else shape[axis]
    obj = data.draw(
        st.integers(-n, n - 1)
        | st.lists(st.integers(-n, n - 1), max_size=4)
        | st.tuples(st.integers(-n, n), st.integers(-n, n), st.sampled_from([1, 2, -1])).map(
            lambda t: slice(*t)
        )
        | st.lists(st.booleans(), min_size=n, max_size=n).map(np.array),
        label="obj",
    )
    return [x], {"obj": obj, "axis": axis}


def _trapezoid_sample(data: Any) -> Sample:
    """y, and its sample points x (1-D along the axis, or of y's shape) or a spacing dx (a
    number, or an array broadcast against the pairs)."""
    y, shape = _one(data, 1)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    kind = data.draw(st.sampled_from(["dx", "dx array", "x 1-D", "x"]), label="spacing")
    if kind == "dx":
        return [y, None, data.draw(st.sampled_from([1.0, 0.5, 2.0]))], {"axis": axis}
    if kind == "dx array":
        return [y, None, draw_array(data, (), 0.2, 2.0)], {"axis": axis}
    xs = (shape[axis],) if kind == "x 1-D" else shape
    return [y, draw_array(data, xs, -2, 2), 1.0], {"axis": axis}


register(
    OpSpec("roll", tg.roll, sample=_roll_sample),
    OpSpec("rot90", tg.rot90, sample=_rot90_sample),
    OpSpec(
        "diff", lambda x, p, a, **kw: tg.diff(x, prepend=p, append=a, **kw), sample=_diff_sample
    ),
    OpSpec("ediff1d", tg.ediff1d, sample=_ediff1d_sample),
    OpSpec("hstack", lambda *xs: tg.hstack(xs), sample=lambda d: _stacked_sample(d, 1, 0)),
    OpSpec(
        "hstack",
        lambda *xs: tg.hstack(xs),
        sample=lambda d: _stacked_sample(d, 2, 1),  # (2-D and more: along axis 1)
    ),
    OpSpec("vstack", lambda *xs: tg.vstack(xs), sample=lambda d: _stacked_sample(d, 2, 0)),
    OpSpec("dstack", lambda *xs: tg.dstack(xs), sample=lambda d: _stacked_sample(d, 3, 2)),
    OpSpec("column_stack", lambda *xs: tg.column_stack(xs), sample=_column_stack_sample),
    *(
        OpSpec(name, _flattened(getattr(tg, name)), sample=_atleast_sample)
        for name in ("atleast_1d", "atleast_2d", "atleast_3d")
    ),
    OpSpec(
        "broadcast_arrays",
        lambda *xs: _weighted_flat(tg.broadcast_arrays(*xs)),
        sample=_broadcast_arrays_sample,
    ),
    OpSpec(
        "meshgrid",
        lambda *xs, **kw: _weighted_flat(tg.meshgrid(*xs, **kw)),
        sample=_meshgrid_sample,
    ),  # fmt: skip
    OpSpec(
        "array_split",
        lambda x, how, axis: _weighted_flat(tg.array_split(x, how, axis)),
        sample=_array_split_sample,
    ),
    *(
        OpSpec(name, _flattened(getattr(tg, name)), sample=_split_by_rank_sample(least, axis))
        for name, least, axis in (("hsplit", 1, 1), ("vsplit", 2, 0), ("dsplit", 3, 2))
    ),
    OpSpec("append", tg.append, sample=_append_sample),
    OpSpec("insert", lambda x, v, obj, axis: tg.insert(x, obj, v, axis), sample=_insert_sample),
    OpSpec("delete", tg.delete, sample=_delete_sample),
    OpSpec(
        "trapezoid",
        lambda y, x, dx, axis: tg.trapezoid(y, x, dx, axis),
        sample=_trapezoid_sample,
    ),
)

# ----------------------------------------------------------------------------- indexing


def _index_sample(data: Any) -> Sample:
    x, shape = _one(data, 1)
    kind = data.draw(st.sampled_from(["basic", "int", "bool", "mixed"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    if kind == "basic":
        index = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
    elif kind == "int":
        index = rng.integers(-shape[0], shape[0], size=data.draw(st.integers(0, 6)))
    elif kind == "bool":
        index = rng.random(shape) > 0.5
    else:
        index = (
            (slice(None), rng.integers(0, shape[1], size=4))
            if len(shape) > 1
            else (rng.integers(0, shape[0], size=(2, 2)),)
        )
    return [x], {"index": index}


def _take_sample(data: Any) -> Sample:
    x, shape = _one(data, 1)
    axis = data.draw(st.none() | st.integers(0, len(shape) - 1))
    n = x.size if axis is None else shape[axis]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    return [x], {"indices": rng.integers(0, n, size=5), "axis": axis}


def _take_along_sample(data: Any) -> Sample:
    """Indices of arr's rank (some axes of length 1, broadcast), or 1-D with axis=None."""
    x, shape = _one(data, 1)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    if data.draw(st.booleans(), label="flattened"):
        return [x], {"indices": rng.integers(-x.size, x.size, size=4), "axis": None}
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    ishape = [
        data.draw(st.integers(1, 4))
        if i == axis % len(shape)
        else data.draw(st.sampled_from([1, n]))
        for i, n in enumerate(shape)
    ]
    return [x], {"indices": rng.integers(-shape[axis], shape[axis], size=ishape), "axis": axis}


register(
    OpSpec("getitem", lambda x, index: tg.getitem(x, index), sample=_index_sample),
    OpSpec("take", tg.take, sample=_take_sample),
    OpSpec("take_along_axis", tg.take_along_axis, sample=_take_along_sample),
    OpSpec(
        "sort",
        tg.sort,
        kwargs=lambda d, s: (
            {"axis": d.draw(st.none() | st.integers(-len(s[0]), len(s[0]) - 1))}
            if s[0]
            else {"axis": None}
        ),
        valid=_distinct,
    ),
    OpSpec(
        "topk",
        lambda x, **kw: tg.topk(x, **kw).values,
        kwargs=lambda d, s: _topk_kwargs(d, s[0]),
        valid=_distinct,
    ),
    OpSpec(
        "block_diag",
        lambda *xs: tg.block_diag(*xs),
        sample=lambda d: (
            [
                draw_array(d, draw_shape(d, max_dims=2), -2, 2)
                for _ in range(d.draw(st.integers(1, 3)))
            ],
            {},
        ),
    ),
)


def _topk_kwargs(data: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """k up to the axis' length, the axis, largest or not."""
    dim = data.draw(st.integers(-len(shape), len(shape) - 1), label="dim") if shape else -1
    n = shape[dim] if shape else 1
    k = data.draw(st.integers(0 if shape else 1, n), label="k")
    return {"k": k, "dim": dim, "largest": data.draw(st.booleans(), label="largest")}


# ----------------------------------------------------------------------------- linalg


def _matmul_sample(data: Any) -> Sample:
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    case = data.draw(st.sampled_from(["mm", "mv", "vm", "vv", "batched"]))
    shapes = {
        "mm": ((n, k), (k, m)),
        "mv": ((n, k), (k,)),
        "vm": ((k,), (k, m)),
        "vv": ((k,), (k,)),
        "batched": ((2, 1, n, k), (3, k, m)),
    }[case]
    return [draw_array(data, s, -2, 2) for s in shapes], {}


def _dot_sample(data: Any) -> Sample:
    k = data.draw(st.integers(1, 3))
    case = data.draw(st.sampled_from(["scalar", "vv", "mm", "nd"]))
    shapes = {
        "scalar": ((), (2, k)),
        "vv": ((k,), (k,)),
        "mm": ((2, k), (k, 3)),
        "nd": ((2, 2, k), (3, k, 2)),
    }[case]
    return [draw_array(data, s, -2, 2) for s in shapes], {}


def _outer_sample(data: Any) -> Sample:
    return [draw_array(data, draw_shape(data, max_dims=2), -2, 2) for _ in range(2)], {}


def _tensordot_sample(data: Any) -> Sample:
    case = data.draw(st.sampled_from(["int", "pairs"]))
    if case == "int":
        return [draw_array(data, (2, 3, 4), -2, 2), draw_array(data, (3, 4, 2), -2, 2)], {"axes": 2}
    return [draw_array(data, (2, 3, 4), -2, 2), draw_array(data, (4, 2, 3), -2, 2)], {
        "axes": ([1, 2], [2, 0])
    }


EINSUMS = {
    "ij,jk->ik": ((2, 3), (3, 4)),
    "i,i->": ((3,), (3,)),
    "ii->i": ((3, 3),),
    "ii": ((3, 3),),
    "ij->": ((2, 3),),
    "bij,bjk->bik": ((2, 2, 3), (2, 3, 2)),
    "...ij->...ji": ((2, 3, 4),),
    "ij,jk": ((2, 3), (3, 2)),
    "ij,jk,kl->il": ((2, 3), (3, 2), (2, 2)),
    "iij,j->ij": ((2, 2, 3), (3,)),
    "i,j->ij": ((2,), (3,)),
}


def _einsum_sample(data: Any) -> Sample:
    spec = data.draw(st.sampled_from(sorted(EINSUMS)))
    return [draw_array(data, s, -2, 2) for s in EINSUMS[spec]], {"subscripts": spec}


register(
    OpSpec("matmul", tg.matmul, sample=_matmul_sample),
    OpSpec("dot", tg.dot, sample=_dot_sample),
    OpSpec("outer", tg.outer, sample=_outer_sample),
    OpSpec("tensordot", tg.tensordot, sample=_tensordot_sample),
    OpSpec("einsum", lambda *xs, subscripts: tg.einsum(subscripts, *xs), sample=_einsum_sample),
    OpSpec("kron", tg.kron, arity=2, max_dims=2, max_side=3),
)

# ----------------------------------------------------------------------------- matrices


def _matrix_parts_sample(data: Any) -> Sample:
    """An array of at least 2-D, an offset and two distinct axes (diagonal and trace)."""
    shape = draw_shape(data, min_dims=2)
    axis1, axis2 = data.draw(st.permutations(range(-len(shape), 0)), label="axes")[:2]
    offset = data.draw(st.integers(-3, 3), label="offset")
    return [draw_array(data, shape, -2, 2)], {"offset": offset, "axis1": axis1, "axis2": axis2}


def _triangle_sample(data: Any) -> Sample:
    shape = draw_shape(data, min_dims=1)
    return [draw_array(data, shape, -2, 2)], {"k": data.draw(st.integers(-3, 3), label="k")}


def _diag_embed_sample(data: Any) -> Sample:
    """An array of at least 1-D, an offset and two distinct axes of the output."""
    shape = draw_shape(data, min_dims=1)
    dim1, dim2 = data.draw(st.permutations(range(-len(shape) - 1, 0)), label="dims")[:2]
    offset = data.draw(st.integers(-3, 3), label="offset")
    return [draw_array(data, shape, -2, 2)], {"offset": offset, "dim1": dim1, "dim2": dim2}


def _diag_sample(data: Any) -> Sample:
    shape = draw_shape(data, min_dims=1, max_dims=2)
    return [draw_array(data, shape, -2, 2)], {"k": data.draw(st.integers(-3, 3), label="k")}


def _square_stack(data: Any) -> np.ndarray:
    """A stack of square matrices (n from 1 to 4, up to two leading axes)."""
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    n = data.draw(st.integers(1, 4), label="n")
    return draw_array(data, lead + (n, n), -2, 2)


def _well_conditioned(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Matrices whose condition number is at most 20 and whose singular values are at least
    0.05 (finite differences lose digits past either: log |x| of a 1 x 1 x = 0.0012 did)."""
    s = np.linalg.svd(args[0], compute_uv=False)
    return bool(np.all(s[..., -1] > 0.05) and np.all(s[..., 0] < 20 * s[..., -1]))


def _positive_det_sample(data: Any) -> Sample:
    """A stack of square matrices each with det > 0 (logdet is NaN where det < 0): the first
    row negated where it was negative."""
    x = _square_stack(data)
    flip = np.where(np.linalg.det(x) < 0, -1.0, 1.0)
    x[..., 0, :] *= flip[..., None]
    return [x], {}


def _solve_sample(data: Any) -> Sample:
    a = _square_stack(data)
    n = a.shape[-1]
    if data.draw(st.booleans(), label="a vector b"):
        return [a, draw_array(data, (n,), -2, 2)], {}
    lead = data.draw(st.sampled_from([(), a.shape[:-2], (2,) + a.shape[:-2], (1,)]), label="lead")
    k = data.draw(st.integers(1, 3), label="k")
    return [a, draw_array(data, lead + (n, k), -2, 2)], {}


def _multi_dot_sample(data: Any) -> Sample:
    """A chain of 2 to 4 matrices, the first and last maybe vectors."""
    dims = [data.draw(st.integers(1, 4), label="dim") for _ in range(data.draw(st.integers(3, 5)))]
    shapes = [(dims[i], dims[i + 1]) for i in range(len(dims) - 1)]
    if data.draw(st.booleans(), label="row vector first"):
        shapes[0] = shapes[0][1:]
    if len(shapes) > 1 and data.draw(st.booleans(), label="column vector last"):
        shapes[-1] = shapes[-1][:1]
    return [draw_array(data, shape, -2, 2) for shape in shapes], {}


def _triangular_sample(data: Any) -> Sample:
    """A stack of matrices with a diagonal of 1.5 to 2.5 (well conditioned triangles), b on
    the side ``left`` says; every flag."""
    a = _square_stack(data) * 0.3
    n = a.shape[-1]
    a = a + np.eye(n) * draw_array(data, a.shape[:-1], 1.5, 2.5)[..., None, :]
    left = data.draw(st.booleans(), label="left")
    k = data.draw(st.integers(1, 3), label="k")
    b = draw_array(data, a.shape[:-2] + ((n, k) if left else (k, n)), -2, 2)
    flags = {f: data.draw(st.booleans(), label=f) for f in ("upper", "unitriangular")}
    return [a, b], {"left": left, **flags}


def _cholesky_solve_sample(data: Any) -> Sample:
    """b and a Cholesky factor (lower, or upper)."""
    (x,), _ = _positive_definite_sample(data)
    low = np.linalg.cholesky(x)
    upper = data.draw(st.booleans(), label="upper")
    b = draw_array(data, x.shape[:-1] + (data.draw(st.integers(1, 3)),), -2, 2)
    # (contiguous: the finite differences step entries through a flat view)
    return [b, np.ascontiguousarray(np.swapaxes(low, -1, -2) if upper else low)], {"upper": upper}


def _positive_definite_sample(data: Any) -> Sample:
    """m m^T + I/2 for a random stack m: symmetric, eigenvalues at least 1/2."""
    m = _square_stack(data)
    x = m @ np.swapaxes(m, -1, -2) + 0.5 * np.eye(m.shape[-1])
    return [x], {"upper": data.draw(st.booleans(), label="upper")}


def _symmetrised(x: Any) -> Any:
    return (x + tg.swapaxes(x, -1, -2)) * 0.5


def _eigenvalues_apart(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """The symmetrised matrices' eigenvalues at least 0.05 apart (their derivatives divide by
    the gaps)."""
    x = np.asarray(args[0])
    w = np.linalg.eigvalsh((x + np.swapaxes(x, -1, -2)) / 2)
    return w.shape[-1] < 2 or bool(np.min(np.diff(w, axis=-1)) > 0.05)


def _eigh_parts(x: Any) -> Any:
    """eigh's eigenvalues and its eigenvectors squared (each vector's sign is arbitrary), side by
    side."""
    w, v = tg.linalg.eigh(_symmetrised(x))
    return tg.concatenate([w, tg.reshape(v**2, w.shape[:-1] + (-1,))], axis=-1)


register(
    OpSpec("diagonal", tg.diagonal, sample=_matrix_parts_sample),
    OpSpec("trace", tg.trace, sample=_matrix_parts_sample),
    OpSpec("tril", tg.tril, sample=_triangle_sample),
    OpSpec("triu", tg.triu, sample=_triangle_sample),
    OpSpec("diag", tg.diag, sample=_diag_sample),
    OpSpec("diag_embed", tg.diag_embed, sample=_diag_embed_sample),
    OpSpec(
        "linalg.inv",
        tg.linalg.inv,
        sample=lambda d: ([_square_stack(d)], {}),
        valid=_well_conditioned,
    ),
    OpSpec(
        "linalg.det",
        tg.linalg.det,
        sample=lambda d: ([_square_stack(d)], {}),
        valid=_well_conditioned,
    ),
    OpSpec(
        "linalg.slogdet",
        lambda x: tg.linalg.slogdet(x).logabsdet,
        sample=lambda d: ([_square_stack(d)], {}),
        valid=_well_conditioned,
    ),
    # (torch's top-level names: the same functions, checked under their names too)
    OpSpec("det", tg.det, sample=lambda d: ([_square_stack(d)], {}), valid=_well_conditioned),
    OpSpec(
        "inverse", tg.inverse, sample=lambda d: ([_square_stack(d)], {}), valid=_well_conditioned
    ),
    OpSpec(
        "slogdet",
        lambda x: tg.slogdet(x).logabsdet,
        sample=lambda d: ([_square_stack(d)], {}),
        valid=_well_conditioned,
    ),
    OpSpec("logdet", tg.logdet, sample=_positive_det_sample, valid=_well_conditioned),
    OpSpec("linalg.solve", tg.linalg.solve, sample=_solve_sample, valid=_well_conditioned),
    OpSpec(
        "linalg.solve_triangular",
        lambda a, b, **kw: tg.linalg.solve_triangular(a, b, **kw),
        sample=_triangular_sample,
    ),
    OpSpec(
        "linalg.cholesky_solve",
        lambda b, low, upper: tg.linalg.cholesky_solve(b, low, upper),
        sample=_cholesky_solve_sample,
    ),
    OpSpec(
        "linalg.matrix_power",
        tg.linalg.matrix_power,
        sample=lambda d: ([_square_stack(d)], {"n": d.draw(st.sampled_from([1, 2, 3, 5, -1, -2]))}),
        valid=_well_conditioned,
    ),
    OpSpec(
        "linalg.multi_dot",
        lambda *xs: tg.linalg.multi_dot(list(xs)),
        sample=_multi_dot_sample,
    ),
    # (cholesky reads a symmetric matrix: the finite differences move one entry, so the spec
    # symmetrises its input, as the derivatives take a tangent's symmetric part)
    # (eigh and eigvalsh read a symmetric matrix: symmetrised, as cholesky's)
    OpSpec(
        "linalg.eigh",
        _eigh_parts,
        sample=lambda d: ([_square_stack(d)], {}),
        valid=_eigenvalues_apart,
    ),
    OpSpec(
        "linalg.eigvalsh",
        lambda x: tg.linalg.eigvalsh(_symmetrised(x)),
        sample=lambda d: ([_square_stack(d)], {}),
        valid=_eigenvalues_apart,
    ),
    OpSpec(
        "linalg.cholesky",
        lambda x, upper: tg.linalg.cholesky((x + tg.swapaxes(x, -1, -2)) * 0.5, upper=upper),
        sample=_positive_definite_sample,
    ),
)

# ----------------------------------------------------------------------------- decompositions


def _matrix_stack(data: Any, wide: bool | None = None) -> np.ndarray:
    """A stack of m x n matrices (m and n from 1 to 4, up to two leading axes)."""
    lead = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    m, n = data.draw(st.integers(1, 4), label="m"), data.draw(st.integers(1, 4), label="n")
    return draw_array(data, lead + (m, n), -2, 2)


def _singular_values_apart(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Singular values at least 0.05 and 0.05 apart, the largest at most 20 times the
    smallest (the factors' derivatives divide by s and by the gaps of s^2)."""
    s = np.linalg.svd(np.asarray(args[0]), compute_uv=False)
    gaps = -np.diff(s, axis=-1)
    return bool(
        np.all(s[..., -1] > 0.05)
        and np.all(s[..., 0] < 20 * s[..., -1])
        and (gaps.size == 0 or np.min(gaps) > 0.05)
    )


def _svd_parts(x: Any, full_matrices: bool) -> Any:
    """svd's S, and its thin U and Vh squared (a pair of singular vectors is defined up to a
    common sign; a full U's or Vh's completion is a constant), side by side."""
    u, s, vh = tg.linalg.svd(x, full_matrices=full_matrices)
    k = s.shape[-1]
    lead = s.shape[:-1]
    parts = [
        s,
        tg.reshape(u[..., :k] ** 2, lead + (-1,)),
        tg.reshape(vh[..., :k, :] ** 2, lead + (-1,)),
    ]
    return tg.concatenate(
        parts + [tg.reshape(u[..., :1, :k] * vh[..., :k, :1].mT, lead + (-1,))], axis=-1
    )


def _qr_sample(data: Any) -> Sample:
    x = _matrix_stack(data)
    m, n = x.shape[-2:]
    modes = ["reduced", "r"] + (["complete"] if m <= n else [])
    return [x], {"mode": data.draw(st.sampled_from(modes), label="mode")}


def _qr_parts(x: Any, mode: str) -> Any:
    """qr's R, and Q beside it (flattened), whatever the mode."""
    out = tg.linalg.qr(x, mode=mode)
    r = out if mode == "r" else out.R
    lead = r.shape[:-2]
    parts = [tg.reshape(r, lead + (-1,))]
    if mode != "r":
        parts.append(tg.reshape(out.Q, lead + (-1,)))
    return tg.concatenate(parts, axis=-1)


def _columns_conditioned(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """The first min(m, n) columns well conditioned (QR divides by R's diagonal)."""
    x = np.asarray(args[0])
    return _well_conditioned([x[..., : min(x.shape[-2:])]], {})


def _pinv_sample(data: Any) -> Sample:
    x = _matrix_stack(data)
    if x.shape[-1] == x.shape[-2] and data.draw(st.booleans(), label="hermitian"):
        return [x], {"hermitian": True}
    return [x], {}


def _lstsq_sample(data: Any) -> Sample:
    m, n = data.draw(st.integers(1, 4), label="m"), data.draw(st.integers(1, 4), label="n")
    b = (m,) if data.draw(st.booleans(), label="vector b") else (m, data.draw(st.integers(1, 3)))
    return [draw_array(data, (m, n), -2, 2), draw_array(data, b, -2, 2)], {}


def _lstsq_parts(a: Any, b: Any) -> Any:
    """lstsq's solution, residuals and singular values, flattened side by side."""
    x, res, _, s = tg.linalg.lstsq(a, b)
    return tg.concatenate([tg.reshape(x, (-1,)), res, s])


def _vector_norm_sample(data: Any) -> Sample:
    shape = draw_shape(data)
    x = draw_array(data, shape, -2, 2)
    n = len(shape)
    axis = data.draw(
        st.none() | st.integers(-n, n - 1) | st.lists(st.integers(0, n - 1), unique=True).map(tuple)
        if n
        else st.none(),
        label="axis",
    )
    ord = data.draw(st.sampled_from([2, 1, 3, 0.5, np.inf]), label="ord")
    return [x], {"axis": axis, "keepdims": data.draw(st.booleans()), "ord": ord}


def _vector_norm_smooth(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Entries away from 0 (|x|'s kink); for ord=inf, one largest |x| per norm."""
    a = np.abs(np.asarray(args[0]))
    if not np.all(a > 1e-2):
        return False
    if kwargs["ord"] != np.inf or a.size == 0:
        return True
    axis = kwargs["axis"]
    axes = tuple(range(a.ndim)) if axis is None else np.atleast_1d(axis) % a.ndim
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    rows = np.sort(np.moveaxis(a, tuple(axes), ends).reshape(a.shape[: a.ndim - len(axes)] + (-1,)))
    return rows.shape[-1] < 2 or bool(np.min(rows[..., -1] - rows[..., -2]) > 0.05)


def _matrix_norm_sample(data: Any) -> Sample:
    x = _matrix_stack(data)
    ord = data.draw(st.sampled_from(["fro", "nuc", 2, -2]), label="ord")
    return [x], {"ord": ord, "keepdims": data.draw(st.booleans(), label="keepdims")}


def _cond_sample(data: Any) -> Sample:
    p = data.draw(st.sampled_from([None, 2, -2, "fro", "nuc"]), label="p")
    return [_square_stack(data) if p in ("fro", "nuc") else _matrix_stack(data)], {"p": p}


def _vector_pair_sample(data: Any, length: int | None = None) -> Sample:
    """Two arrays of vectors along an axis, the other axes broadcast."""
    sa, sb = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)
    ).input_shapes
    k = length or data.draw(st.integers(1, 4), label="length")
    axis = data.draw(st.integers(-1 - min(len(sa), len(sb)), -1), label="axis")
    sa, sb = list(sa), list(sb)
    sa.insert(len(sa) + axis + 1, k)
    sb.insert(len(sb) + axis + 1, k)
    return [draw_array(data, tuple(sa), -2, 2), draw_array(data, tuple(sb), -2, 2)], {"axis": axis}


def _tensorinv_sample(data: Any) -> Sample:
    x = draw_array(data, (6, 6), -2, 2) + 4 * np.eye(6)
    ind, shape = data.draw(st.sampled_from([(1, (6, 2, 3)), (2, (2, 3, 6)), (2, (3, 2, 3, 2))]))
    return [x.reshape(shape)], {"ind": ind}


def _tensorsolve_sample(data: Any) -> Sample:
    a = (draw_array(data, (6, 6), -2, 2) + 4 * np.eye(6)).reshape(2, 3, 3, 2)
    b = draw_array(data, (2, 3), -2, 2)
    if data.draw(st.booleans(), label="axes"):
        return [np.ascontiguousarray(np.moveaxis(a, 2, 0)), b], {"axes": (0,)}
    return [a, b], {}


register(
    OpSpec(
        "linalg.svd",
        _svd_parts,
        sample=lambda d: ([_matrix_stack(d)], {"full_matrices": d.draw(st.booleans())}),
        valid=_singular_values_apart,
    ),
    OpSpec(
        "linalg.svdvals",
        tg.linalg.svdvals,
        sample=lambda d: ([_matrix_stack(d)], {}),
        valid=_singular_values_apart,
    ),
    OpSpec("linalg.qr", _qr_parts, sample=_qr_sample, valid=_columns_conditioned),
    OpSpec(
        "linalg.pinv",
        lambda x, **kw: tg.linalg.pinv(_symmetrised(x) if kw else x, **kw),
        sample=_pinv_sample,
        valid=_well_conditioned,
    ),
    OpSpec("linalg.lstsq", _lstsq_parts, sample=_lstsq_sample, valid=_well_conditioned),
    OpSpec(
        "linalg.vector_norm",
        lambda x, **kw: tg.linalg.vector_norm(x, **kw),
        sample=_vector_norm_sample,
        valid=_vector_norm_smooth,
    ),
    OpSpec(
        "linalg.matrix_norm",
        lambda x, **kw: tg.linalg.matrix_norm(x, **kw),
        sample=_matrix_norm_sample,
        valid=_singular_values_apart,
    ),
    OpSpec(
        "linalg.matrix_transpose",
        tg.linalg.matrix_transpose,
        sample=lambda d: ([_matrix_stack(d)], {}),
    ),
    OpSpec(
        "linalg.vecdot",
        lambda a, b, axis: tg.linalg.vecdot(a, b, axis=axis),
        sample=_vector_pair_sample,
    ),
    OpSpec(
        "linalg.cross",
        lambda a, b, axis: tg.linalg.cross(a, b, axis=axis),
        sample=lambda d: _vector_pair_sample(d, 3),
    ),
    OpSpec(
        "linalg.diagonal",
        lambda x, offset: tg.linalg.diagonal(x, offset=offset),
        sample=lambda d: ([_matrix_stack(d)], {"offset": d.draw(st.integers(-3, 3))}),
    ),
    OpSpec(
        "linalg.trace",
        lambda x, offset: tg.linalg.trace(x, offset=offset),
        sample=lambda d: ([_matrix_stack(d)], {"offset": d.draw(st.integers(-3, 3))}),
    ),
    OpSpec(
        "linalg.outer",
        tg.linalg.outer,
        arity=2,
        min_dims=1,
        max_dims=1,
        sample=lambda d: (
            [draw_array(d, (d.draw(st.integers(1, 4)),), -2, 2) for _ in range(2)],
            {},
        ),
    ),
    OpSpec("linalg.cond", tg.linalg.cond, sample=_cond_sample, valid=_singular_values_apart),
    OpSpec("linalg.tensorinv", tg.linalg.tensorinv, sample=_tensorinv_sample),
    OpSpec("linalg.tensorsolve", tg.linalg.tensorsolve, sample=_tensorsolve_sample),
)

# ----------------------------------------------------------------------------- softmax, losses


def _softmax_kwargs(data: Any, shapes: list[tuple[int, ...]]) -> dict:
    n = len(shapes[0])
    return {"axis": data.draw(st.integers(-n, n - 1))} if n else {}


def _classification_sample(data: Any) -> Sample:
    n, c = data.draw(st.integers(1, 4)), data.draw(st.integers(2, 4))
    extra = data.draw(st.sampled_from([(), (2,)]))
    logits = draw_array(data, (n, c) + extra, -3, 3)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    kwargs: dict[str, Any] = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
    if data.draw(st.booleans()):
        kwargs["weight"] = rng.uniform(0.5, 2.0, size=c)
    if data.draw(st.booleans()):
        target = rng.uniform(0, 1, size=logits.shape)
        target = target / target.sum(axis=1, keepdims=True)
    else:
        target = rng.integers(0, c, size=(n,) + extra)
        if data.draw(st.booleans()) and target.size > 1:
            target.reshape(-1)[0] = -100
            kwargs["ignore_index"] = -100
            target.reshape(-1)[-1] = 0
    if data.draw(st.booleans()):
        kwargs["label_smoothing"] = 0.1
    return [logits, target], kwargs


def _nll_sample(data: Any) -> Sample:
    args, kwargs = _classification_sample(data)
    logits, target = args
    if target.dtype.kind == "f":
        target = np.argmax(target, axis=1)
    kwargs.pop("label_smoothing", None)
    return [logits, target], kwargs


def _pair_same_shape(data: Any, low: float = -2, high: float = 2) -> list[np.ndarray]:
    shape = draw_shape(data)
    return [draw_array(data, shape, -2, 2), draw_array(data, shape, low, high)]


def _bce_sample(data: Any) -> Sample:
    x, t = _pair_same_shape(data, 0, 1)
    kwargs: dict[str, Any] = {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}
    if data.draw(st.booleans()):
        kwargs["pos_weight"] = 2.0
    return [x, t], kwargs


def _probabilities_sample(data: Any) -> Sample:
    """Probabilities away from 0 and 1 (where torch's floors bend the loss), targets in [0, 1],
    maybe a weight broadcast along the last axis."""
    shape = draw_shape(data)
    x, t = draw_array(data, shape, 0.05, 0.95), draw_array(data, shape, 0.0, 1.0)
    args: list[Any] = [x, t, None]
    if x.ndim and data.draw(st.booleans(), label="weight"):
        args[2] = draw_array(data, x.shape[-1:], 0.5, 2.0)
    return args, {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}


register(
    OpSpec("softmax", tg.softmax, kwargs=_softmax_kwargs),
    OpSpec("log_softmax", tg.log_softmax, kwargs=_softmax_kwargs),
    OpSpec("cross_entropy", tg.cross_entropy, sample=_classification_sample, wrt=(0,)),
    OpSpec("nll_loss", tg.nll_loss, sample=_nll_sample, wrt=(0,)),
    OpSpec(
        "mse_loss",
        tg.mse_loss,
        sample=lambda d: (
            _pair_same_shape(d),
            {"reduction": d.draw(st.sampled_from(["mean", "sum", "none"]))},
        ),
    ),
    OpSpec(
        "binary_cross_entropy_with_logits", tg.binary_cross_entropy_with_logits, sample=_bce_sample
    ),
    OpSpec(
        "binary_cross_entropy",
        tg.binary_cross_entropy,
        sample=_probabilities_sample,  # (input, target and a drawn weight differentiated)
    ),
)


# nn.functional's own relu, sigmoid, tanh, gelu, softmax and log_softmax (softmax's by dim=):
# tg's same-named specs with the wrapper as fn, since those satisfy the name check and would
# otherwise leave the wrappers themselves uncalled by the registry
import tensorgrad.nn.functional as F  # noqa: E402

_BY_NAME = {s.name: s for s in REGISTRY}
register(
    *(replace(_BY_NAME[n], fn=getattr(F, n)) for n in ("relu", "sigmoid", "tanh", "gelu")),
    replace(_BY_NAME["softmax"], fn=lambda x, axis=-1: F.softmax(x, dim=axis)),
    replace(_BY_NAME["log_softmax"], fn=lambda x, axis=-1: F.log_softmax(x, dim=axis)),
)

# Names that are public and carry no gradient by design.
NO_SPEC_NEEDED = set(tg.ops.NO_GRADIENT) | {"one_hot"}  # (integer rows, no gradient)

try:  # the neural-network ops register their own specs
    from tests import nn_op_specs  # noqa: E402, F401
except ImportError as exc:  # pragma: no cover - only while tg.nn is being built
    if "nn_op_specs" not in str(exc):
        raise


def _power_constant_sample(data: Any) -> Sample:
    x, _ = _one(data)
    p = data.draw(st.sampled_from([2, 3, 0.5, -1.0, 0, 1, 2.5]), label="p")
    return [np.asarray(np.abs(x) + 0.3)], {"p": p}


register(OpSpec("power", lambda x, p: tg.power(x, p), sample=_power_constant_sample))


def _ce_plain_sample(data: Any) -> Sample:
    """The fused path: (N, C) logits, integer targets, maybe an ignored row, maybe constant
    class weights."""
    n, c = data.draw(st.integers(1, 5)), data.draw(st.integers(2, 5))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    target = rng.integers(0, c, size=n)
    if n > 1 and data.draw(st.booleans()):
        target[0] = -100
    kwargs: dict[str, Any] = {"reduction": data.draw(st.sampled_from(["mean", "sum"]))}
    if data.draw(st.booleans()):
        kwargs["weight"] = rng.uniform(0.5, 2.0, size=c)
    return [draw_array(data, (n, c), -3, 3), target], kwargs


register(OpSpec("cross_entropy", tg.cross_entropy, sample=_ce_plain_sample, wrt=(0,)))


def _weighted_sample(data: Any) -> Sample:
    """Class weights as a differentiated argument (third, as in torch's signature), and
    probability targets differentiated too when drawn: forward mode once dropped a weight's
    tangent (the weight was read as a constant unless it required grad)."""
    args, kwargs = _classification_sample(data)
    c = args[0].shape[1]
    kwargs.pop("weight", None)
    return [*args, draw_array(data, (c,), 0.5, 2.0)], kwargs


def _nll_weighted_sample(data: Any) -> Sample:
    (logp, target), kwargs = _nll_sample(data)
    kwargs.pop("weight", None)
    return [logp, target, draw_array(data, (logp.shape[1],), 0.5, 2.0)], kwargs


def _bce_weighted_sample(data: Any) -> Sample:
    (x, t), kwargs = _bce_sample(data)
    kwargs.pop("pos_weight", None)
    last = x.shape[-1:] if x.ndim else ()
    return [x, t, draw_array(data, x.shape, 0.5, 2.0), draw_array(data, last, 0.5, 2.0)], kwargs


register(
    OpSpec(
        "cross_entropy",
        tg.cross_entropy,
        sample=_weighted_sample,
        wrt=None,  # (every float argument: logits, weight, and probability targets)
    ),
    OpSpec(
        "nll_loss",
        lambda x, t, w, **kw: tg.nll_loss(x, t, w, **kw),
        sample=_nll_weighted_sample,
        wrt=(0, 2),
    ),
    OpSpec(
        "binary_cross_entropy_with_logits",
        lambda x, t, w, pw, **kw: tg.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw, **kw),
        sample=_bce_weighted_sample,
    ),
)


def _scalar_sample(data: Any) -> Sample:
    x, _ = _one(data)
    c = data.draw(st.sampled_from([2.0, -0.5, 0.0, 1.0, 3.25]), label="c")
    flip = data.draw(st.booleans(), label="flip")
    return [x], {"c": c, "flip": flip}


register(
    OpSpec(
        "multiply",
        lambda x, c, flip: tg.multiply(c, x) if flip else tg.multiply(x, c),
        sample=_scalar_sample,
    )
)


def _sinc_sample(data: Any) -> Sample:
    """sinc's input with some entries exactly 0 (its slope's series is exact there to second
    order: sinc''(0) = -pi ** 2 / 3) or at the switch to the quotient, +-0.5."""
    x, _ = _one(data)
    if x.size and data.draw(st.booleans(), label="special"):
        at = data.draw(st.lists(st.integers(0, x.size - 1), min_size=1, max_size=3))
        x.reshape(-1)[at] = data.draw(st.sampled_from([0.0, 0.5, -0.5]), label="value")
    return [x], {}


def _heaviside_at_zero_sample(data: Any) -> Sample:
    """x1 with entries exactly 0, where the result is x2 (its derivative 1 there), others away
    from 0; only x2 is differentiated (x1 steps at 0)."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    s1, s2 = shapes.input_shapes
    x1 = draw_array(data, s1, 0.5, 2.0) * np.where(draw_array(data, s1, 0, 1) > 0.5, 1.0, -1.0)
    x1 = np.where(draw_array(data, s1, 0, 1) > 0.5, 0.0, x1)
    # (float32: a float64 constant would make float32_preserved's float32 x2 float64)
    return [np.ascontiguousarray(x1, np.float32), draw_array(data, s2, -2, 2)], {}


def _ldexp_sample(data: Any) -> Sample:
    """x and integer exponents i (an array or a Python int) that broadcast together."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    sx, si = shapes.input_shapes
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="exponents"))
    i = rng.integers(-3, 4, size=si) if data.draw(st.booleans()) else int(rng.integers(-3, 4))
    return [draw_array(data, sx, -2, 2), i], {}


register(
    OpSpec("sinc", tg.sinc, sample=_sinc_sample),
    OpSpec("heaviside", tg.heaviside, sample=_heaviside_at_zero_sample, wrt=(1,)),
    OpSpec("ldexp", tg.ldexp, sample=_ldexp_sample, wrt=(0,)),
    OpSpec("float_power", lambda x, p: tg.float_power(x, p), sample=_power_constant_sample),
    # (past 20, where the derivatives' I_n / x ** n switch to their asymptotic expansion; i0
    # is 1e6 to 1e10 there: the rounding of the finite differences' sums is 1e-6 of an entry)
    OpSpec("i0", tg.i0, low=16.0, high=26.0, rtol=1e-4),
)


class _ScaledProductAndSum(tg.autograd.Function):
    """A custom function for the registry: (s x y, x + y) of broadcasting x and y, its output
    saved, its gradients left broadcast (summed back by the engine, as torch's), a jvp."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, s: float) -> tuple:
        product = s * x * y
        ctx.save_for_backward(x, y, product)
        ctx.s = s
        return product, x + y

    @staticmethod
    def backward(ctx: Any, g_product: Any, g_sum: Any) -> tuple:
        x, y, product = ctx.saved_tensors
        # (through the saved output: x's is product / x times g, written without a quotient)
        return g_product * ctx.s * y + g_sum, g_product * ctx.s * x + g_sum, None

    @staticmethod
    def jvp(ctx: Any, tx: Any, ty: Any, _: None) -> tuple:
        x, y, _product = ctx.saved_tensors
        return ctx.s * (tx * y + x * ty), tx + ty


def _custom_function(x: Any, y: Any) -> Any:
    product, total = _ScaledProductAndSum.apply(x, y, 1.5)
    return product * total


register(OpSpec("autograd.Function", _custom_function, arity=2))
