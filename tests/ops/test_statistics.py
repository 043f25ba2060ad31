"""The statistics (tensorgrad/ops/statistics.py) against NumPy: values and dtypes over sweeps of
their parameters, NumPy's warnings (each once, none from tensorgrad's own steps), the NaN
entries' zero gradients, ties, errors; and gradients as torch 2.13 gives them (its values
written out: torch is no dependency of the tests). The finite-difference checks of every order
are the registry's (tests/op_specs.py)."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops.statistics import METHODS

NAN = np.nan


def _same(got: Any, want: Any, rtol: float = 0.0, atol: float = 0.0) -> None:
    """``got`` (a Tensor) is NumPy's ``want``: shape, dtype, and values (NaN where NumPy's)."""
    want = np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape}, NumPy's {want.shape}"
    assert got.dtype == want.dtype, f"dtype {got.dtype}, NumPy's {want.dtype}"
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got.data, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got.data, want)


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def _arrays() -> list[np.ndarray]:
    """Float64, float32 and int64 data, without and with NaNs (the first slice along each axis
    keeps a number: NumPy's nanquantile takes its result's dtype from its first slice's)."""
    rng = np.random.default_rng(0)
    out = []
    for shape in [(), (5,), (4, 3), (2, 3, 4)]:
        x = rng.normal(size=shape)
        out += [x, x.astype(np.float32), rng.integers(-5, 5, size=shape)]
        if x.ndim:
            y = x.copy()
            y[rng.random(shape) < 0.3] = NAN
            y[(0,) * x.ndim] = 1.5
            if x.ndim >= 2:
                y[-1] = NAN  # (a slice of only NaNs)
            out += [y, y.astype(np.float32)]
    return out


def _axes(x: np.ndarray) -> list[Any]:
    return [None, *range(x.ndim), *([(0, x.ndim - 1)] if x.ndim >= 2 else [])]


# ----------------------------------------------------------------------------- NumPy's values


NAN_REDUCTIONS = ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin"]


@pytest.mark.parametrize("name", NAN_REDUCTIONS + ["median", "nanmedian", "ptp"])
def test_reductions_match_numpy(name: str) -> None:
    cases = 0
    for x in _arrays():
        for axis, keepdims in itertools.product(_axes(x), (False, True)):
            kwargs = [{}] + ([{"ddof": 1}, {"ddof": 2.5}] if name in ("nanvar", "nanstd") else [])
            for kw in kwargs:
                try:
                    want = _quiet(getattr(np, name), x, axis=axis, keepdims=keepdims, **kw)
                except ValueError:  # (the extremes of nothing)
                    with pytest.raises(ValueError, match=name):
                        getattr(tg, name)(x, axis=axis, keepdims=keepdims, **kw)
                    continue
                got = _quiet(getattr(tg, name), x, axis=axis, keepdims=keepdims, **kw)
                _same(got, want)  # (to the bit)
                cases += 1
    assert cases > 100


@pytest.mark.parametrize("name", ["nancumsum", "nancumprod"])
def test_running_nan_reductions_match_numpy(name: str) -> None:
    # (float32 within its rounding: cumsum and cumprod accumulate it in float64, as torch)
    for x in _arrays():
        tol = 1e-6 if x.dtype == np.float32 else 0
        for axis in [None, *range(x.ndim)]:
            _same(getattr(tg, name)(x, axis=axis), getattr(np, name)(x, axis=axis), tol, tol)
        want = getattr(np, name)(x, dtype=np.float32)
        _same(getattr(tg, name)(x, dtype=np.float32), want, 1e-6, 1e-6)


# NumPy 2.2 and older compute some quantiles by older rules (integer data at an integer q gives
# integers for three methods; float32 interpolation rounds otherwise); tensorgrad follows 2.4's
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    NUMPY_QUANTILE_RULES = np.quantile(np.arange(3), 0, method="weibull").dtype.kind == "f"


@pytest.mark.skipif(
    not NUMPY_QUANTILE_RULES, reason="this NumPy's quantile rules predate 2.4's, which tg follows"
)
@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
def test_quantiles_match_numpy_for_every_method(name: str) -> None:
    # q as a Python number (NumPy's weak scalar: the data's dtype), as arrays of float64 (NumPy
    # promotes float32 data to it), float32 and int, of 0, 1 and 2 dimensions
    qs = [0.3, 0.5, 0, 1, [0.1, 0.7], np.array([[0.2, 0.9], [1.0, 0.0]])]
    qs += [np.float32(0.25), np.array([0.25, 0.75], np.float32), np.array([0, 1])]
    scale = 100 if "percent" in name else 1
    cases = 0

    def same(x: np.ndarray, q: Any, method: str, axis: Any, keepdims: bool) -> None:
        nonlocal cases
        q = q * scale if not isinstance(q, list) else [v * scale for v in q]
        want = _quiet(getattr(np, name), x, q, axis=axis, keepdims=keepdims, method=method)
        _same(_quiet(getattr(tg, name), x, q, axis=axis, keepdims=keepdims, method=method), want)
        cases += 1

    arrays = _arrays()
    for q, method in itertools.product(qs, METHODS):  # (every q with every method, once)
        same(arrays[-2], q, method, 1, False)
    turn = itertools.cycle(qs)  # (then every method over the arrays and axes, q in turn)
    for x in arrays:
        for axis, keepdims, method in itertools.product(_axes(x)[:3], (False, True), METHODS):
            same(x, next(turn), method, axis, keepdims)
    assert cases > 1000


def test_other_statistics_match_numpy() -> None:
    rng = np.random.default_rng(1)
    cases = 0

    def same(fn: str, *args: Any, **kwargs: Any) -> None:
        nonlocal cases
        try:
            want = _quiet(getattr(np, fn), *args, **kwargs)
        except ZeroDivisionError:  # (cov's fweights all 0: ours is a ValueError too)
            with pytest.raises(ZeroDivisionError, match="weights sum to zero"):
                _quiet(getattr(tg, fn), *args, **kwargs)
            return
        got = _quiet(getattr(tg, fn), *args, **kwargs)
        if isinstance(want, tuple):
            for g, w in zip(got, want, strict=True):
                _same(g, w, rtol=1e-15)
        else:
            _same(got, want, rtol=1e-15)
        cases += 1

    for kind in ("f8", "f4", "i8", "i1", "?"):

        def draw(*shape: int, kind: str = kind) -> np.ndarray:
            if kind == "?":
                return rng.random(shape) > 0.5
            if kind[0] == "i":
                return rng.integers(-3, 4, size=shape).astype(kind)
            return rng.normal(size=shape).astype(kind)

        for n, m in itertools.product(range(1, 6), range(1, 6)):
            for mode in ("full", "same", "valid", 0, 1, 2):
                same("correlate", draw(n), draw(m), mode)
                same("convolve", draw(n), draw(m), mode)
        for shape in [(), (3,), (2, 3), (2, 3, 2)]:
            x = draw(*shape)
            same("vdot", x, draw(*shape))
            for other in [(), (3,), (4, 3)]:
                if not shape or not other or shape[-1] == 3:
                    same("inner", x, draw(*other))
            if len(shape) == 1:
                for count, increasing in itertools.product([None, 0, 1, 4], (False, True)):
                    same("vander", x, count, increasing)
            for axis in _axes(x) + ([(1, 0)] if x.ndim >= 2 else []):
                same("average", x, axis=axis, returned=True)
                weights = [x.shape] + ([] if axis is None else [np.shape(x[..., 0:1].sum())])
                if axis is not None:
                    weights = [x.shape, tuple(x.shape[a] for a in np.atleast_1d(axis))]
                for wshape in weights:
                    w = rng.uniform(0.1, 2, size=wshape).astype("f4" if kind == "f4" else "f8")
                    same("average", x, axis=axis, weights=w, returned=True, keepdims=True)
                    same("average", x, axis=axis, weights=w)
        for shape in [(4,), (2, 5), (3, 4), (4, 1)]:
            x, y = draw(*shape), draw(*shape)
            nobs = shape[-1]
            for rowvar, bias in itertools.product((True, False), (False, True)):
                nobs = shape[-1] if rowvar or len(shape) == 1 else shape[0]
                fw, aw = rng.integers(0, 3, size=nobs), rng.uniform(0, 2, size=nobs)
                same("cov", x, rowvar=rowvar, bias=bias)
                same("cov", x, y, rowvar=rowvar, ddof=0)
                same("cov", x, rowvar=rowvar, fweights=fw, aweights=aw)
                same("cov", x, rowvar=rowvar, aweights=aw, ddof=1)
                same("corrcoef", x, rowvar=rowvar)
                same("corrcoef", x, y, rowvar=rowvar)
    for trial in range(60):
        k = int(rng.integers(1, 6))
        xp = np.sort(rng.normal(size=k) if trial % 3 else rng.integers(-3, 3, size=k) * 1.0)
        fp = rng.normal(size=k)
        if trial % 7 == 0:
            fp[rng.integers(0, k)] = np.inf
        x = np.concatenate([rng.normal(scale=2, size=6), xp, [NAN, -np.inf, np.inf]])
        for kwargs in ({}, {"left": -7.0, "right": 9.0}, {"period": 3.0}):
            same("interp", x, xp, fp, **kwargs)
            same("interp", x.astype(np.float32), xp, fp.astype(np.float32), **kwargs)
    assert cases > 2000


# ----------------------------------------------------------------------------- warnings


def _recorded(fn: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [f"{w.category.__name__}: {w.message}" for w in caught]


@pytest.mark.parametrize(
    "call",
    [
        lambda m, a: m.nanmean(a, axis=1),
        lambda m, a: m.nanmean(np.zeros((2, 0)), axis=1),
        lambda m, a: m.nanvar(a, axis=1, ddof=2),
        lambda m, a: m.nanstd(a, axis=1),
        lambda m, a: m.nanmax(a, axis=1),
        lambda m, a: m.nanmin(a, axis=0),
        lambda m, a: m.nanmedian(a, axis=1),
        lambda m, a: m.nanmedian(a[0]),
        lambda m, a: m.nanquantile(a, [0.2, 0.5], axis=1),
        lambda m, a: m.nanpercentile(a, 30, axis=1),
        lambda m, a: m.nanmedian(np.zeros(0)),
        lambda m, a: m.median(np.zeros((0, 2)), axis=0),
        lambda m, a: m.median(a, axis=1),
        lambda m, a: m.quantile(a, 0.5, axis=1),
        lambda m, a: m.cov(np.array([1.0])),
        lambda m, a: m.cov(np.array([[1.0, 2], [3, 4]]), ddof=5),
        lambda m, a: m.corrcoef(np.array([[1.0, 1, 1], [1, 2, 3]])),
        lambda m, a: m.average(np.ones((0, 3)), axis=0),
        lambda m, a: m.nanvar(np.array([1, 2]), ddof=2),
        lambda m, a: m.interp([1.5, 2.0], [1.0, 2, 3], [np.inf, -np.inf, 1]),
    ],
)
def test_numpy_s_warnings_once_and_none_of_our_own(call: Any) -> None:
    a = np.array([[NAN, NAN, NAN], [1.0, 2, NAN]])
    assert _recorded(lambda: call(tg, a)) == _recorded(lambda: call(np, a))


def test_backward_through_nan_slices_warns_of_nothing() -> None:
    # (NaN entries and slices of only NaNs get gradient 0: no NaN * 0, no 0 / 0 in the rules)
    a = np.array([[NAN, NAN, NAN], [1.0, 2, NAN], [4.0, 1.0, 3.0]])
    calls = {
        name: (lambda x, n=name: getattr(tg, n)(x, axis=1))
        for name in NAN_REDUCTIONS + ["nanmedian", "nancumsum", "nancumprod"]
    }
    calls["nanquantile"] = lambda x: tg.nanquantile(x, [0.3, 0.8], axis=1)
    calls["nanvar ddof"] = lambda x: tg.nanvar(x, axis=1, ddof=2)
    for name, fn in calls.items():
        x = tg.tensor(a, requires_grad=True)
        out = _quiet(fn, x)
        with np.errstate(all="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            out.backward(np.ones(out.shape))
            _, tangent = tg.jvp(lambda t, f=fn: _quiet(f, t), (tg.tensor(a),), (tg.ones(3, 3),))
        grad = x.grad.data
        assert np.all(grad[np.isnan(a)] == 0), name
        assert np.all(np.isfinite(grad)), name
        assert np.all(np.isfinite(tangent.data)), name  # (a NaN result is a constant: 0)


# ----------------------------------------------------------------------------- gradients


def test_nan_statistics_give_nan_entries_no_gradient() -> None:
    x = tg.tensor([[1.0, NAN, 3.0, 4.0], [NAN, 2.0, NAN, 6.0]], requires_grad=True)
    tg.nanmean(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0.5, 0, 0.5]])
    x.grad = None
    tg.nanvar(x, axis=1).sum().backward()  # 2 (x - mean) / n
    np.testing.assert_allclose(x.grad.data, [[-10 / 9, 0, 2 / 9, 8 / 9], [0, -2, 0, 2]])
    x.grad = None
    tg.nanmedian(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 1, 0], [0, 0.5, 0, 0.5]])
    x.grad = None
    tg.nanprod(x).backward()
    np.testing.assert_array_equal(x.grad.data, [[144, 0, 48, 36], [0, 72, 0, 24]])


def test_nanstd_gradient_at_zero_spread_is_zero_as_std_s() -> None:
    x = tg.tensor([[2.0, NAN, 2.0], [1.0, 2.0, 3.0]], requires_grad=True)
    (g,) = tg.autograd.grad(tg.nanstd(x, axis=1).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.data[0], [0, 0, 0])
    np.testing.assert_allclose(g.data[1], np.array([-1, 0, 1]) / 3 / np.sqrt(2 / 3))
    (h,) = tg.autograd.grad(g[0].sum(), [x])
    np.testing.assert_array_equal(h.data[0], [0, 0, 0])  # (a constant there: no higher ones)


def test_median_averages_the_middle_two_where_torch_takes_the_lower() -> None:
    # NumPy's median of an even count is the mean of the middle two, each with half the
    # gradient; torch.median (2.13) is the lower one, [0, 1, 0, 0] here
    x = tg.tensor([4.0, 1.0, 2.0, 3.0], requires_grad=True)
    out = tg.median(x)
    out.backward()
    assert out.item() == 2.5
    np.testing.assert_array_equal(x.grad.data, [0, 0, 0.5, 0.5])


def test_quantile_values_and_gradients_as_torch() -> None:
    # torch.quantile (2.13) in float64, q = [0.2, 0.75] along dim 1, cotangent [[1, 2], [3, 4]]
    # (q first): its values and gradients
    x = tg.tensor([[3.0, 1.0, 4.0, 1.5], [9.0, 2.0, 6.0, 5.0]], requires_grad=True)
    for method, values, grad in [
        ("linear", [[1.3, 3.25], [3.8, 6.75]], [[2.25, 0.4, 0.75, 0.6], [1.0, 0.8, 3.0, 1.2]]),
        ("lower", [[1.0, 3.0], [2.0, 6.0]], [[3.0, 1.0, 0.0, 0.0], [0.0, 2.0, 4.0, 0.0]]),
        ("higher", [[1.5, 4.0], [5.0, 9.0]], [[0.0, 0.0, 3.0, 1.0], [4.0, 0.0, 0.0, 2.0]]),
        ("nearest", [[1.5, 3.0], [5.0, 6.0]], [[3.0, 0.0, 0.0, 1.0], [0.0, 0.0, 4.0, 2.0]]),
        ("midpoint", [[1.25, 3.5], [3.5, 7.5]], [[1.5, 0.5, 1.5, 0.5], [2.0, 1.0, 2.0, 1.0]]),
    ]:
        x.grad = None
        out = tg.quantile(x, [0.2, 0.75], axis=1, method=method)
        np.testing.assert_allclose(out.data.T, values, rtol=1e-15)
        out.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
        np.testing.assert_allclose(x.grad.data, grad, rtol=1e-15)


def test_nanquantile_and_nanmedian_gradients_as_torch() -> None:
    # torch.nanquantile (2.13), float64, q = 0.4 along dim 1, cotangent ones; torch.nanmedian
    # is the lower middle ([0, 0, 1, 0] in row 1), NumPy's nanmedian the mean of the two
    x = tg.tensor([[2.0, NAN, 8.0, 4.0], [NAN, NAN, 1.0, 3.0]], requires_grad=True)
    out = tg.nanquantile(x, 0.4, axis=1)
    out.sum().backward()
    np.testing.assert_allclose(out.data, [3.6, 1.8], rtol=1e-15)
    np.testing.assert_allclose(x.grad.data, [[0.2, 0, 0, 0.8], [0, 0, 0.6, 0.4]], rtol=1e-15)
    x.grad = None
    out = tg.nanmedian(x, axis=1)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, [4.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 0, 1], [0, 0, 0.5, 0.5]])


def test_a_row_with_nan_gives_nan_and_its_gradient_to_a_nan_entry() -> None:
    # as torch.quantile and torch.median (2.13): the NaN entry is the result
    x = tg.tensor([[1.0, NAN, 3.0], [1.0, 2.0, 3.0]], requires_grad=True)
    for fn in (lambda t: tg.median(t, axis=1), lambda t: tg.quantile(t, 0.3, axis=1)):
        x.grad = None
        out = fn(x)
        out.sum().backward()
        assert np.isnan(out.data[0]) and not np.isnan(out.data[1])
        np.testing.assert_array_equal(x.grad.data[0], [0, 1, 0])


def test_a_nan_anywhere_in_a_long_row_is_found() -> None:
    # (np.argpartition orders short rows fully: only a longer one shows that the last place,
    # where a NaN goes, must be among the places partitioned)
    rng = np.random.default_rng(0)
    for where_nan in (0, 7, 20, 39):
        x = rng.normal(size=(3, 40))
        x[1, where_nan] = NAN
        for fn in (
            lambda m, a: m.median(a, axis=1),
            lambda m, a: m.quantile(a, [0.1, 0.5], axis=1),
            lambda m, a: m.percentile(a, 20.0, axis=1, method="lower"),
        ):
            _same(fn(tg, x), fn(np, x))


def _subgradient_check(fn: Any, x: np.ndarray) -> None:
    """At ties, the gradient equals the gradient of some tie-breaking (the entries moved 1e-9
    apart in the order of a permutation): one of the one-sided derivatives, a subgradient; or
    the mean of them all (max's and min's convention: tied entries share equally), a convex
    combination of them, a subgradient too."""
    t = tg.tensor(x, requires_grad=True)
    fn(t).sum().backward()
    grad = t.grad.data
    candidates = []
    for order in itertools.permutations(range(x.size)):
        moved = tg.tensor(x + 1e-9 * np.array(order, float).reshape(x.shape), requires_grad=True)
        fn(moved).sum().backward()
        candidates.append(moved.grad.data)
    candidates.append(np.mean(candidates, axis=0))
    assert any(np.allclose(grad, c, atol=1e-12) for c in candidates), grad


@pytest.mark.parametrize(
    "fn",
    [
        tg.median,
        tg.nanmedian,
        tg.ptp,
        lambda t: tg.quantile(t, [0.2, 0.5, 0.9]),
        lambda t: tg.nanquantile(t, [0.2, 0.5, 0.9], method="midpoint"),
        lambda t: tg.quantile(t, 0.4, method="nearest"),
        lambda t: tg.percentile(t, 62.5, method="hazen"),
    ],
)
def test_ties_give_a_subgradient(fn: Any) -> None:
    for x in ([2.0, 1.0, 2.0, 2.0, 5.0], [3.0, 3.0, 1.0, 1.0], [1.0, 1.0, 1.0]):
        _subgradient_check(fn, np.array(x))


def test_nanmax_ties_share_and_nans_get_nothing() -> None:
    x = tg.tensor([[1.0, 3.0, NAN, 3.0], [NAN, NAN, NAN, NAN]], requires_grad=True)
    out = _quiet(tg.nanmax, x, axis=1)
    out.backward(np.ones(2))
    np.testing.assert_array_equal(out.data, [3.0, NAN])
    np.testing.assert_array_equal(x.grad.data, [[0, 0.5, 0, 0.5], [0, 0, 0, 0]])


def test_nanmax_of_only_nans_has_gradient_zero_under_create_graph() -> None:
    # (with create_graph the share is computed on Tensors: 0 / 0 there must not appear)
    x = tg.tensor([[1.0, 3.0, 3.0], [NAN, NAN, NAN]], requires_grad=True)
    for fn in (tg.nanmax, tg.nanmin):
        out = _quiet(fn, x, axis=1)
        (g,) = tg.autograd.grad(out, [x], tg.ones(2), create_graph=True)
        assert np.all(g.data[1] == 0), fn


def test_nanargmax_names_itself_for_one_slice_of_only_nans() -> None:
    x = np.array([[1.0, 2.0], [NAN, NAN]])
    for name in ("nanargmax", "nanargmin"):
        with pytest.raises(ValueError, match=f"{name}: All-NaN slice"):
            getattr(tg, name)(x, axis=1)


def test_corrcoef_is_clipped_where_rounding_passes_1() -> None:
    # (unclipped, the correlation of these rows is 1 + 2.2e-16, as NumPy's before its clip)
    a = np.array([1.3, 0.95, -0.7])
    m = np.stack([a, 3 * a + 1])
    got = tg.corrcoef(m)
    _same(got, np.corrcoef(m))
    assert np.all(np.abs(got.data) <= 1)


def test_nanquantile_ties_over_rows_go_to_the_earlier_entry_at_the_lower_place() -> None:
    # (rows holding NaNs, each its own places: the stable sort the docs promise; rows long enough
    # that an unstable sort would move tied entries: 0 and 1 alternate, so the 0.3 quantile
    # (nearest) is a 0)
    x = np.tile([1.0, 0.0], (2, 20))
    x[0, 5] = x[1, [2, 9, 30]] = NAN
    t = tg.tensor(x, requires_grad=True)
    tg.nanquantile(t, 0.3, axis=1, method="nearest").sum().backward()
    want = np.zeros_like(x)
    for row in range(2):
        zeros = np.flatnonzero(x[row] == 0)
        rank = int(np.around(0.3 * (np.sum(~np.isnan(x[row])) - 1)))  # (its sorted place)
        want[row, zeros[rank]] = 1
    np.testing.assert_array_equal(t.grad.data, want)


@pytest.mark.parametrize("nan", [False, True])
def test_nan_order_statistics_of_one_row_partition_it(nan: bool) -> None:
    # (one row, or data without a NaN, takes np.argpartition's order, not a sort of the
    # whole: values NumPy's, the gradient on one entry of each tied value's run)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 5, size=(30, 41)).astype(float)
    if nan:
        x[rng.random(x.shape) < 0.1] = NAN
    for fn in (
        lambda m, a: m.nanmedian(a),
        lambda m, a: m.nanquantile(a, [0.1, 0.5, 0.93]),
        lambda m, a: m.nanpercentile(a, 30.0, method="midpoint"),
    ):
        _same(fn(tg, x), fn(np, x))
        t = tg.tensor(x, requires_grad=True)
        fn(tg, t).sum().backward()
        g = t.grad.data
        assert np.all(g[np.isnan(x)] == 0)
        assert np.isclose(g.sum(), np.size(fn(np, x)))
        for value in np.unique(x[~np.isnan(x)]):  # (each place on one entry: lo and hi at most)
            assert np.count_nonzero(g[x == value]) <= 2


def test_cov_and_corrcoef_gradients_as_torch() -> None:
    # torch.cov (correction=1, fweights [1, 2, 1], aweights [0.5, 1, 2]) and torch.corrcoef
    # (2.13) in float64, cotangent ones: their values and gradients
    x = tg.tensor([[1.0, 2.0, 4.0], [0.5, -1.0, 2.0]], requires_grad=True)
    c = tg.cov(x, fweights=[1, 2, 1], aweights=[0.5, 1.0, 2.0])
    c.sum().backward()
    expected = [[1.857142857142857, 1.9285714285714286], [1.9285714285714286, 2.892857142857143]]
    np.testing.assert_allclose(c.data, expected, rtol=1e-15)
    grad = [-0.5714285714285714, -2.9285714285714284, 3.4999999999999996]
    np.testing.assert_allclose(x.grad.data, [grad, grad], rtol=1e-15)
    x.grad = None
    r = tg.corrcoef(x)
    r.sum().backward()
    np.testing.assert_allclose(r.data[0, 1], 0.6546536707079772, rtol=1e-15)
    expected = [
        [0.37408781183312995, -0.5611317177496946, 0.18704390591656472],
        [-0.5819143739626464, 0.2909571869813232, 0.29095718698132317],
    ]
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-14)


def test_interp_gradients_in_x_and_fp() -> None:
    xp, fp = np.array([0.0, 1.0, 3.0]), tg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    x = tg.tensor([-1.0, 0.5, 1.0, 2.0, 3.0, 4.0, NAN], requires_grad=True)
    out = tg.interp(x, xp, fp)
    out.backward(np.ones(7))
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 3.0, 2.5, 2.0, 2.0, NAN])
    # (outside [xp[0], xp[-1]] flat; at a point of xp the slope to its right; at the last, 0)
    np.testing.assert_array_equal(x.grad.data, [0, 2, -0.5, -0.5, 0, 0, 0])
    np.testing.assert_array_equal(fp.grad.data, [1.5, 2.0, 2.5])


def test_convolve_and_correlate_gradients_are_correlations() -> None:
    a, v = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True), tg.tensor([1.0, -1.0, 2.0])
    v.requires_grad_()
    out = tg.convolve(a, v, "same")
    out.backward(np.array([1.0, 0.0, 0.0, 2.0]))
    # (torch's conv1d of the padded a with v reversed gives the same values and gradients)
    np.testing.assert_array_equal(out.data, [1.0, 3.0, 5.0, 2.0])
    np.testing.assert_array_equal(a.grad.data, [-1.0, 1.0, 4.0, -2.0])
    np.testing.assert_array_equal(v.grad.data, [2.0, 9.0, 6.0])


def test_correlation_gradients_with_an_inf_weight_add_only_real_terms() -> None:
    # (the rules' correlations pad with zeros only for finite operands: 0 * inf would make the
    # gradient of a[0], which never meets v's inf, NaN)
    a, v = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True), np.array([1.0, np.inf])
    with np.errstate(invalid="ignore"):
        tg.correlate(a, v).backward(np.array([2.0, 1.0, 1.0]))
    np.testing.assert_array_equal(a.grad.data, [2.0, np.inf, np.inf, np.inf])


def test_average_returned_and_weights_that_sum_to_zero() -> None:
    x, w = tg.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True), tg.tensor([1.0, 3.0])
    w.requires_grad_()
    avg, total = tg.average(x, axis=1, weights=w, returned=True)
    np.testing.assert_array_equal(avg.data, [1.75, 4.5])
    np.testing.assert_array_equal(total.data, [4.0, 4.0])
    (avg.sum() + total.sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [[0.25, 0.75]] * 2)
    # (sum_i (x_ij - avg_i) / sum(w), and 1 from each of the two totals)
    np.testing.assert_array_equal(w.grad.data, [1.4375, 2.1875])
    for err in (ZeroDivisionError, ValueError):  # (NumPy's, and tensorgrad's contract)
        with pytest.raises(err, match="average: the weights sum to zero"):
            tg.average(x, axis=1, weights=[1.0, -1.0])


def test_ptp_wraps_integers_around_as_numpy() -> None:
    _same(tg.ptp(np.array([-128, 127], np.int8)), np.ptp(np.array([-128, 127], np.int8)))


def test_numpy_functions_dispatch_to_tensorgrad() -> None:
    x = tg.tensor([[3.0, NAN, 1.0], [2.0, 5.0, 4.0]], requires_grad=True)
    for fn, args, kwargs in [
        (np.nanmedian, (), {"axis": 1, "keepdims": True}),
        (np.nanpercentile, (40,), {"axis": 1, "method": "hazen"}),
        (np.nansum, (1, None, None, True), {}),  # (NumPy's positions: axis, dtype, out, keepdims)
        (np.nanvar, (), {"axis": 1, "correction": 1}),
        (np.nanmax, (), {"axis": 0}),
        (np.average, (), {"axis": 1, "weights": [1.0, 2.0, 3.0]}),
    ]:
        out = fn(x, *args, **kwargs)
        assert isinstance(out, tg.Tensor) and out.requires_grad, fn.__name__
        _same(out, _quiet(fn, x.data, *args, **kwargs), rtol=1e-15)
    assert np.median(x[1]).item() == 4.0 and np.median(x[1]).requires_grad
    assert np.ptp(x[1], keepdims=True).shape == (1,)
    assert np.convolve(x[1], [1.0, 1.0]).requires_grad and np.cov(x).requires_grad
    with pytest.raises(TypeError, match="np.quantile on a Tensor does not support .*weights"):
        np.quantile(x[1], 0.5, weights=np.ones(3), method="inverted_cdf")
    # (with no graph to keep, NumPy's own function takes what tensorgrad does not)
    out = np.quantile(x.detach()[1], 0.5, weights=np.ones(3), method="inverted_cdf")
    assert out == 4.0
    with pytest.raises(TypeError, match="np.nanmean on a Tensor does not support .*where"):
        np.nanmean(x, where=np.ones((2, 3), bool) & [True, True, False])


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tg.quantile([1.0, 2.0], 1.5), ValueError, r"quantile: q must be in .*\[0, 1\]"),
        (lambda: tg.percentile([1.0], -1), ValueError, r"percentile: q must be in .*\[0, 100\]"),
        (lambda: tg.nanquantile([1.0], NAN), ValueError, "nanquantile: q must be in"),
        (lambda: tg.quantile([1.0], np.zeros((1, 1, 1))), ValueError, "quantile: q must be"),
        (lambda: tg.quantile([1.0], "a"), TypeError, "quantile: q"),
        (lambda: tg.quantile([1.0], 0.5, method="cubic"), ValueError, "quantile: method must"),
        (lambda: tg.quantile(np.zeros((2, 0)), 0.5, axis=1), ValueError, r"quantile: no entries"),
        (lambda: tg.quantile([True, False], 0.5), TypeError, "quantile: method 'linear'"),
        (lambda: tg.median([1.0], axis=1), ValueError, "median"),
        (lambda: tg.nanmax(np.zeros(0)), ValueError, "nanmax: zero-size"),
        (lambda: tg.nanargmax([NAN, NAN]), ValueError, "nanargmax: All-NaN slice"),
        (lambda: tg.nanargmin(np.zeros((2, 0)), axis=1), ValueError, "nanargmin: zero-size"),
        (lambda: tg.nanvar([1.0], ddof="1"), TypeError, "nanvar: ddof"),
        (lambda: tg.nanmean([1.0], dtype=np.int64), TypeError, "nanmean: dtype must be float"),
        (lambda: tg.nansum(["a"]), TypeError, "nansum: a"),
        (lambda: tg.ptp([True]), TypeError, "ptp: bools"),
        (lambda: tg.average(np.ones((2, 3)), weights=[1.0, 2, 3]), TypeError, "average: axis"),
        (lambda: tg.average(np.ones((2, 3)), 0, [1.0, 2, 3]), ValueError, r"average: weights"),
        (lambda: tg.cov(np.ones((2, 2, 2))), ValueError, "cov: m has more than 2"),
        (lambda: tg.cov([1.0, 2], [1.0]), ValueError, r"cov: m of shape \(2,\) and y of shape"),
        (lambda: tg.cov([1.0, 2], fweights=[1.5, 1]), TypeError, "cov: fweights must be int"),
        (lambda: tg.cov([1.0, 2], aweights=[1.0]), ValueError, "cov: aweights must be 1-D"),
        (lambda: tg.cov([1.0, 2], aweights=[-1.0, 1]), ValueError, "cov: aweights cannot be"),
        (lambda: tg.cov([1.0, 2], dtype=int), TypeError, "cov: dtype must be floating"),
        (lambda: tg.inner(np.ones(3), np.ones(4)), ValueError, r"inner: .*\(3,\) .*\(4,\)"),
        (lambda: tg.vdot(np.ones(3), np.ones(4)), ValueError, r"vdot: a of shape \(3,\)"),
        (lambda: tg.vander(np.ones((2, 2))), ValueError, "vander: x must be one-dim"),
        (lambda: tg.vander([1.0], 2.0), TypeError, "vander: N must be an int"),
        (lambda: tg.vander([1.0], -1), ValueError, "vander: N must not be negative"),
        (lambda: tg.convolve([], [1.0]), ValueError, "convolve: a cannot be empty"),
        (lambda: tg.correlate(2.0, 3.0), ValueError, r"correlate: a must be 1-D"),
        (lambda: tg.correlate([1.0], [1.0], "middle"), ValueError, "correlate: mode must"),
        (lambda: tg.interp([1.0], [], []), ValueError, "interp: xp is empty"),
        (lambda: tg.interp([1.0], [1.0, 2], [1.0]), ValueError, r"interp: xp of shape \(2,\)"),
        (lambda: tg.interp([1.0], [1.0, 2], [1.0, 2], period=0), ValueError, "interp: period"),
        (lambda: tg.interp([1.0], [1.0, 2], [1.0, 2], left="a"), TypeError, "interp: left"),
        (
            lambda: tg.interp([1.0], tg.tensor([1.0, 2], requires_grad=True), [1.0, 2]),
            TypeError,
            "interp: xp is a Tensor that requires grad",
        ),
        (
            lambda: tg.quantile([1.0], tg.tensor(0.5, requires_grad=True)),
            TypeError,
            "quantile: q is a Tensor that requires grad",
        ),
    ],
)
def test_errors_name_the_function_and_the_argument(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
