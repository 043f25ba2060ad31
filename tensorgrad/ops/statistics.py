"""Statistics: NumPy's NaN-aware reductions (nansum ... nanargmin), order statistics (median,
quantile, percentile and their NaN-skipping forms), and ptp, average, cov, corrcoef, inner,
vdot, vander, convolve, correlate and interp, differentiable.

Nearly all are compositions of recorded ops (where, sum, a gather, matmul...), so that their
higher derivatives and tangents are those ops' own; ``NanMax``/``NanMin`` (tied extremes share,
NaN entries get nothing) and ``Correlate`` (NumPy's 1-D correlation, its rules correlations
again) are ops of their own. Values, dtypes and warnings are NumPy's.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, check_dtype, to_tensor
from tensorgrad._shapes import normalize_axis
from tensorgrad.ops._base import Op, call
from tensorgrad.ops.arithmetic import astype, multiply, remainder
from tensorgrad.ops.elementwise import clip, sqrt, where
from tensorgrad.ops.indexing import _gather_along, take
from tensorgrad.ops.linalg import dot, matmul, tensordot
from tensorgrad.ops.matrices import diagonal
from tensorgrad.ops.reductions import (
    CumProd,
    CumSum,
    Max,
    Mean,
    Min,
    Prod,
    Std,
    Sum,
    Var,
    _arg,
    _check_keepdims,
    _ddof_arg,
    _Extreme,
    _nonempty,
    _reduce,
    _rows,
    _running,
    _spread,
    cumprod,
    in_dtype,
)
from tensorgrad.ops.shape import (
    broadcast_to,
    concatenate,
    flip,
    reshape,
    reshaped,
    squeeze,
    transpose,
)
from tensorgrad.tensor import Tensor, constant_arg, flag_arg, is_int

__all__ = [
    "nansum",
    "nanprod",
    "nancumsum",
    "nancumprod",
    "nanmean",
    "nanvar",
    "nanstd",
    "nanmax",
    "nanmin",
    "nanargmax",
    "nanargmin",
    "median",
    "nanmedian",
    "quantile",
    "nanquantile",
    "percentile",
    "nanpercentile",
    "ptp",
    "average",
    "cov",
    "corrcoef",
    "inner",
    "vdot",
    "vander",
    "convolve",
    "correlate",
    "interp",
]


def _warn(message: str) -> None:
    """NumPy's RuntimeWarning for a slice it has no value for (once per call, as NumPy)."""
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def _nan_mask(x: Tensor) -> np.ndarray | None:
    """Where ``x`` is NaN, or None where it holds none (integers and bools never do)."""
    if x.dtype.kind != "f":
        return None
    mask = np.isnan(x.data)
    return mask if mask.any() else None


def _filled(x: Tensor, mask: np.ndarray | None, value: float) -> Tensor:
    """``x`` with its NaN entries replaced by ``value``: a ``where``, so they get gradient 0."""
    return x if mask is None else where(mask, value, x)


def _dtype_arg(dtype: Any, name: str) -> np.dtype | None:
    return None if dtype is None else check_dtype(dtype, f"{name}: dtype")


# ----------------------------------------------------------------------------- nansum ...


def nansum(a: Any, axis: Any = None, dtype: Any = None, *, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` with NaN entries taken as 0 (their gradient is 0), as NumPy's."""
    x = to_tensor(a, "nansum", "a")
    dtype = _dtype_arg(dtype, "nansum")
    fn = functools.partial(_reduce, Sum, "nansum")
    return in_dtype(fn, _filled(x, _nan_mask(x), 0.0), dtype, axis, keepdims)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, *, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` with NaN entries taken as 1 (their gradient is 0), as NumPy's."""
    x = to_tensor(a, "nanprod", "a")
    dtype = _dtype_arg(dtype, "nanprod")
    fn = functools.partial(_reduce, Prod, "nanprod")
    return in_dtype(fn, _filled(x, _nan_mask(x), 1.0), dtype, axis, keepdims)


def nancumsum(a: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running sum along ``axis`` (None: flattened) with NaN entries taken as 0, as NumPy's."""
    x = to_tensor(a, "nancumsum", "a")
    dtype = _dtype_arg(dtype, "nancumsum")
    fn = functools.partial(_running, CumSum, "nancumsum")
    return in_dtype(fn, _filled(x, _nan_mask(x), 0.0), dtype, axis)


def nancumprod(a: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running product along ``axis`` (None: flattened) with NaN entries taken as 1, as
    NumPy's; exact derivatives at zeros, as ``cumprod``'s."""
    x = to_tensor(a, "nancumprod", "a")
    dtype = _dtype_arg(dtype, "nancumprod")
    fn = functools.partial(_running, CumProd, "nancumprod")
    return in_dtype(fn, _filled(x, _nan_mask(x), 1.0), dtype, axis)


def _reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    """``shape`` with ``axes`` reduced: kept as 1, or dropped."""
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _counts(mask: np.ndarray | None, shape: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    """The number of entries that are not NaN over ``axes``, as NumPy's nan functions count."""
    if mask is not None:
        return np.sum(~mask, axis=axes, keepdims=keepdims, dtype=np.intp)
    return np.full(
        _reduced_shape(shape, axes, keepdims), math.prod(shape[a] for a in axes), np.intp
    )


def _float_work(x: Tensor, dtype: np.dtype | None, name: str) -> Tensor:
    """``x`` in the dtype a NaN statistic of floating data is computed in: its own, or the wider
    of it and a floating ``dtype`` (NumPy refuses another)."""
    if dtype is None:
        return x
    if dtype.kind != "f":
        raise TypeError(f"{name}: dtype must be floating for floating a, got {dtype}")
    work = np.promote_types(x.dtype, dtype)
    return x if work == x.dtype else astype(x, work)


def _cast(out: Tensor, dtype: np.dtype | None) -> Tensor:
    return out if dtype is None or out.dtype == dtype else astype(out, dtype)


def nanmean(a: Any, axis: Any = None, dtype: Any = None, *, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` of the entries that are not NaN (their gradient is 1 / their count,
    the NaN entries' 0), as NumPy's: NaN with NumPy's warning over a slice of only NaNs."""
    x = to_tensor(a, "nanmean", "a")
    dtype = _dtype_arg(dtype, "nanmean")
    if x.dtype.kind != "f":  # (no NaN: NumPy's mean, in dtype)
        return in_dtype(functools.partial(_reduce, Mean, "nanmean"), x, dtype, axis, keepdims)
    _check_keepdims("nanmean", keepdims)
    keepdims = bool(keepdims)
    work = _float_work(x, dtype, "nanmean")
    axes = normalize_axis(axis, x.ndim, "nanmean")
    mask = _nan_mask(work)
    count = _counts(mask, x.shape, axes, keepdims)
    total = _reduce(Sum, "nanmean", _filled(work, mask, 0.0), axis, keepdims)
    empty = count == 0
    out = total / np.where(empty, 1, count).astype(total.dtype)
    if empty.any():
        _warn("Mean of empty slice")
        out = where(empty, np.nan, out)
    return _cast(out, dtype)


def _nan_spread(name: str, a: Any, axis: Any, dtype: Any, ddof: Any, keepdims: Any) -> Any:
    """``(dtype, variance, done)``, NumPy's nanvar: the deviations of the entries that are not
    NaN from their mean (0 at the NaN entries, whose gradient is 0), squared and summed, over
    their count less ``ddof``; NaN, with NumPy's warning, where that is not positive. For integer
    data (``done``), var's or std's own result."""
    x = to_tensor(a, name, "a")
    dtype = _dtype_arg(dtype, name)
    ddof = _ddof_arg(ddof, name)
    if x.dtype.kind != "f":  # (no NaN: var's and std's, NumPy's for integers)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"{name}: dtype must be floating, got {dtype}")
        cls = Var if name == "nanvar" else Std
        fn = functools.partial(_spread, cls, name)
        work = np.float64 if dtype is None else np.promote_types(np.float64, dtype)
        return None, _cast(in_dtype(fn, x, work, axis, keepdims, ddof), dtype), True
    _check_keepdims(name, keepdims)
    keepdims = bool(keepdims)
    work = _float_work(x, dtype, name)
    axes = normalize_axis(axis, x.ndim, name)
    mask = _nan_mask(work)
    count = _counts(mask, x.shape, axes, True)
    filled = _filled(work, mask, 0.0)
    mean = _reduce(Sum, name, filled, axes, True) / np.maximum(count, 1).astype(work.dtype)
    deviation = filled - mean
    if mask is not None:
        deviation = where(mask, 0.0, deviation)
    total = _reduce(Sum, name, deviation * deviation, axes, keepdims)
    dof = count if keepdims else count.reshape(total.shape)
    dof = dof - ddof
    bad = dof <= 0
    var = total / np.where(bad, 1, dof).astype(work.dtype)
    if bad.any():
        _warn("Degrees of freedom <= 0 for slice.")
        var = where(bad, np.nan, var)
    return dtype, var, False


def nanvar(
    a: Any, axis: Any = None, dtype: Any = None, *, ddof: Any = 0, keepdims: bool = False
) -> Tensor:
    """Variance over ``axis`` of the entries that are not NaN (NaN entries get gradient 0), over
    their count less ``ddof``, as NumPy's: NaN, with NumPy's warning, where that count is not
    positive (also for a slice of only NaNs). Integer data as ``var``'s."""
    dtype, var, _ = _nan_spread("nanvar", a, axis, dtype, ddof, keepdims)
    return _cast(var, dtype)


def nanstd(
    a: Any, axis: Any = None, dtype: Any = None, *, ddof: Any = 0, keepdims: bool = False
) -> Tensor:
    """Standard deviation over ``axis`` of the entries that are not NaN, ``nanvar``'s square
    root; its gradient at zero spread is 0, as ``std``'s (a constant there: its higher
    derivatives too)."""
    dtype, var, done = _nan_spread("nanstd", a, axis, dtype, ddof, keepdims)
    if done:  # (integers: std's own)
        return var
    values = var.data
    spread = values > 0
    if spread.all():
        out = sqrt(var)
    else:
        # (where there is no spread, or no value: 0 or NaN, constants)
        rest = np.where(np.isnan(values), np.nan, 0.0).astype(var.dtype)
        out = where(spread, sqrt(where(spread, var, 1.0)), rest)
    return _cast(out, dtype)


# ----------------------------------------------------------------------------- nanmax, nanmin


class _NanExtreme(_Extreme):
    def _share(self, x, out):
        # NOTE: tied extremes share the gradient equally; NaN entries, equal to nothing, get 0,
        # and so does every entry of a slice of only NaNs (its count of 0 divided as 1)
        full = self._expand(out, x.shape)
        hit = x == full
        count = np.sum(hit, axis=self.axis, keepdims=True)
        if isinstance(x, Tensor):
            return hit / np.maximum(count, 1)
        share = hit.astype(x.dtype)
        share /= np.maximum(count, 1)
        return share


class NanMax(_NanExtreme):
    """maximum over ``axis`` of the entries that are not NaN (NaN over only NaNs); tied maxima
    share the gradient"""

    label = "nanmax"

    def forward(self, x):
        return np.fmax.reduce(x, axis=self.axis, keepdims=self.keepdims)


class NanMin(_NanExtreme):
    """minimum over ``axis`` of the entries that are not NaN (NaN over only NaNs); tied minima
    share the gradient"""

    label = "nanmin"

    def forward(self, x):
        return np.fmin.reduce(x, axis=self.axis, keepdims=self.keepdims)


def _nan_extreme(cls: type, name: str, a: Any, axis: Any, keepdims: Any) -> Tensor:
    x = to_tensor(a, name, "a")
    _nonempty(name, x, axis)
    out = _reduce(cls, name, x, axis, keepdims)
    if x.dtype.kind == "f" and np.isnan(out.data).any():
        _warn("All-NaN slice encountered")
    return out


def nanmax(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` ignoring NaNs, as NumPy's (NaN, with its warning, over a slice of
    only NaNs; ValueError over an empty one); tied maxima share the gradient, NaNs get 0."""
    return _nan_extreme(NanMax, "nanmax", a, axis, keepdims)


def nanmin(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` ignoring NaNs, as NumPy's (NaN, with its warning, over a slice of
    only NaNs; ValueError over an empty one); tied minima share the gradient, NaNs get 0."""
    return _nan_extreme(NanMin, "nanmin", a, axis, keepdims)


def _nan_arg(fn: Any, name: str, a: Any, axis: Any, keepdims: Any) -> Tensor:
    x = to_tensor(a, name, "a")
    _check_keepdims(name, keepdims)
    _nonempty(name, x, axis)
    if x.dtype.kind == "f":
        reduced = None
        if axis is not None:
            axes = normalize_axis(axis, x.ndim, name)
            if len(axes) != 1:
                raise TypeError(f"{name}: axis must be None or an int")
            reduced = axes[0]
        if x.size and np.all(np.isnan(x.data), axis=reduced).any():
            raise ValueError(f"{name}: All-NaN slice encountered")
    return _arg(fn, name, x, axis, keepdims)


def nanargmax(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """Index of the (first) maximum ignoring NaNs, as NumPy's (ValueError for a slice of only
    NaNs); no gradient."""
    return _nan_arg(np.nanargmax, "nanargmax", a, axis, keepdims)


def nanargmin(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """Index of the (first) minimum ignoring NaNs, as NumPy's (ValueError for a slice of only
    NaNs); no gradient."""
    return _nan_arg(np.nanargmin, "nanargmin", a, axis, keepdims)


# ----------------------------------------------------------------------------- order statistics

# NumPy's quantile methods: the continuous ones by (alpha, beta) of Hyndman and Fan ('linear'
# is (1, 1)), NumPy's own numbers, ints where it writes ints (an integer q then gives integer
# positions and weights, and integer data an integer result); the others by name
_ALPHA_BETA = {
    "interpolated_inverted_cdf": (0, 1),
    "hazen": (0.5, 0.5),
    "weibull": (0, 0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
_DISCRETE = ("inverted_cdf", "closest_observation", "lower", "higher", "nearest")
METHODS = ("linear", "averaged_inverted_cdf", "midpoint", *_ALPHA_BETA, *_DISCRETE)


def _boundary(index: np.ndarray, take_previous: np.ndarray) -> np.ndarray:
    """NumPy's discrete H&F methods: floor(index) where ``take_previous``, else the next one,
    0 at least."""
    previous = np.floor(index)
    return np.maximum(np.where(take_previous, previous, previous + 1), 0).astype(np.intp)


def _positions(n: np.ndarray, q: np.ndarray, method: str) -> tuple:
    """For each quantile q of n sorted entries (n and q broadcast), as NumPy computes them:
    ``(lo, hi, gamma)``, the sorted positions around it and the weight of the upper one, or
    ``(position, None, None)`` for the discrete methods (and 'linear' at integer q)."""
    if q.dtype.kind == "b":
        q = q.astype(np.int64)  # (as NumPy's n, a Python int, times bools)
    if q.dtype.kind in "iu" and method == "linear":  # (NumPy takes the entries themselves)
        return (n - 1) * q.astype(np.intp), None, None
    nq = n.astype(q.dtype)  # (NumPy's n is a Python int: q's dtype is kept)
    if method in ("lower", "higher", "nearest"):
        rounding = {"lower": np.floor, "higher": np.ceil, "nearest": np.around}[method]
        return rounding((nq - 1) * q).astype(np.intp), None, None
    if method == "inverted_cdf":
        v = nq * q - 1
        return _boundary(v, v - np.floor(v) == 0), None, None
    if method == "closest_observation":
        v = nq * q - 1 - 0.5
        return _boundary(v, (v - np.floor(v) == 0) & (np.floor(v) % 2 == 1)), None, None
    if method == "linear":
        v = (nq - 1) * q
    elif method == "averaged_inverted_cdf":
        v = nq * q - 1
    elif method == "midpoint":
        v = 0.5 * (np.floor((nq - 1) * q) + np.ceil((nq - 1) * q))
    else:
        alpha, beta = _ALPHA_BETA[method]
        v = nq * q + (alpha + q * (1 - alpha - beta)) - 1
    v = np.asarray(v)
    lo = np.floor(v)
    above, below = v >= nq - 1, v < 0
    lo = np.where(above, -1, np.where(below, 0, lo)).astype(v.dtype)  # (-1: the last)
    hi = np.where(above, -1, np.where(below, 0, lo + 1))
    gamma = v - lo
    if method == "averaged_inverted_cdf":
        gamma = np.where(gamma == 0, 0.5, 1.0)
    elif method == "midpoint":
        gamma = np.where(v % 1 == 0, 0.0, 0.5)
    last = n - 1
    lo = np.where(lo < 0, last, lo).astype(np.intp)
    hi = np.where(hi < 0, last, hi).astype(np.intp)
    return lo, hi, np.asarray(gamma, dtype=v.dtype)


def _lerp(a: Tensor, b: Tensor, t: np.ndarray, weak: bool) -> Tensor:
    """NumPy's linear interpolation: a + (b - a) t, or b - (b - a)(1 - t) where t >= 0.5 (exact
    at t = 1); a weak ``t`` (NumPy's Python float) takes the dtype of the data."""
    upper = t >= 0.5
    s = 1 - t
    if weak:
        dtype = np.result_type(a.dtype, 1.0)
        t, s = t.astype(dtype), s.astype(dtype)
    diff = b - a
    if upper.all():
        return b - diff * s
    if not upper.any():
        return a + diff * t
    return where(upper, b - diff * s, a + diff * t)


def _gather(rows: Tensor, index: np.ndarray) -> Tensor:
    """``rows`` (R, n) at ``index`` (R, k) along each row: a gather whose gradient goes back to
    each entry's place."""
    return _gather_along(rows, np.ascontiguousarray(index, dtype=np.intp), 1, "gather")


def _shaped(out: Tensor, qshape: tuple, shape: tuple, axes: tuple, keepdims: bool) -> Tensor:
    """The (Q, R) result as ``qshape`` + the reduced shape (the reduced axes kept as 1)."""
    return reshaped(out, tuple(qshape) + _reduced_shape(shape, axes, keepdims))


def _q_arg(q: Any, name: str, percent: bool) -> tuple[np.ndarray, bool]:
    """``q`` as NumPy reads it (an ndarray, and whether it was a Python number: weak), checked
    to lie in [0, 1] ([0, 100] for a percentile, divided by 100); a constant."""
    weak = type(q) in (int, float)
    q = constant_arg(q, "q", name)
    if isinstance(q, (list, tuple)) or not isinstance(q, (np.ndarray, np.generic, int, float)):
        check_args(name, q=q)
    q = np.asarray(q)
    if q.dtype.kind not in "biuf":
        raise TypeError(f"{name}: q must be real numbers, got dtype {q.dtype}")
    if percent:
        q = np.true_divide(q, 100)
    if q.size and not (q.min() >= 0 and q.max() <= 1):  # (NaN too)
        span = "[0, 100]" if percent else "[0, 1]"
        raise ValueError(f"{name}: q must be in the range {span}, got {q if q.ndim else q[()]!r}")
    if q.ndim > 2:
        raise ValueError(f"{name}: q must be a scalar or 1-D or 2-D, got shape {q.shape}")
    return q, weak


def _method_arg(method: Any, name: str) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"{name}: method must be one of {', '.join(METHODS)}; got {method!r}")
    return method


def _order_setup(name: str, a: Any, axis: Any, keepdims: Any) -> tuple:
    x = to_tensor(a, name, "a")
    _check_keepdims(name, keepdims)
    axes = normalize_axis(axis, x.ndim, name)
    return x, axes, bool(keepdims)


def _nan_order(data: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Indices putting each row of ``data`` (R, n), which holds a NaN, in order at ``places``
    (NaNs last): one row partitioned there by np.argpartition (a stable sort of 10 ** 6
    entries took 4x its time); several rows (each its own places) sorted, stably."""
    if data.shape[0] == 1:
        return np.argpartition(data, np.unique(places), axis=1)
    return np.argsort(data, axis=1, kind="stable")


def _quantile(
    name: str, a: Any, q: Any, axis: Any, method: Any, keepdims: Any, percent: bool, skip_nan: bool
) -> Tensor:
    """quantile, percentile and their NaN forms: the sorted entries at NumPy's positions for
    ``method``, interpolated as NumPy does; the gradient goes to the entries taken, by their
    interpolation weights."""
    x, axes, keepdims = _order_setup(name, a, axis, keepdims)
    q, weak = _q_arg(q, name, percent)
    if skip_nan and x.size == 0:  # (NumPy's nanquantile: the nanmean of nothing, q and method
        return nanmean(x, axis, keepdims=keepdims)  # unused)
    if skip_nan and (x.dtype.kind != "f" or not np.isnan(x.data).any()):
        skip_nan = False  # (nothing to skip: NumPy's quantile)
    method = _method_arg(method, name)
    n = math.prod(x.shape[i] for i in axes)
    if n == 0:
        raise ValueError(
            f"{name}: no entries to take quantiles of over axis {axis!r} of shape {x.shape}"
        )
    interpolated = method not in _DISCRETE and not (method == "linear" and q.dtype.kind in "biu")
    if x.dtype.kind == "b" and interpolated:
        raise TypeError(
            f"{name}: method {method!r} interpolates, which bools cannot (NumPy refuses their "
            "subtraction); use a method that takes entries, such as 'lower' or 'nearest'"
        )
    rows = _rows(x, axes)[0]
    data = rows.data
    shape = (q.size, data.shape[0])  # (Q, R): a quantile's positions in each row
    if skip_nan:
        # NaNs sort last: each row's quantiles are those of its count of other entries
        count = np.sum(~np.isnan(data), axis=1)
        lo, hi, gamma = _positions(np.maximum(count, 1)[None, :], q.reshape(-1, 1), method)
        order = _nan_order(data, lo if hi is None else np.concatenate([lo, hi]))
    else:
        count = None
        lo, hi, gamma = _positions(np.asarray(n), q.reshape(-1, 1), method)
        wanted = [lo] if hi is None else [lo, hi]
        if x.dtype.kind == "f":  # (and the last place, where a NaN would be)
            wanted.append(np.full(1, n - 1))
        order = np.argpartition(data, np.unique(np.concatenate([w.ravel() for w in wanted])), 1)

    def entries(positions: np.ndarray) -> Tensor:  # (R, Q), each row's entries at positions
        index = np.take_along_axis(order, np.broadcast_to(positions, shape).T, axis=1)
        return _gather(rows, index)

    out = entries(lo)
    if gamma is not None:
        out = _lerp(out, entries(hi), np.broadcast_to(gamma, shape).T, weak)
    if count is not None and (count == 0).any():
        _warn("All-NaN slice encountered")
        out = where((count == 0)[:, None], np.nan, out)
    elif count is None and x.dtype.kind == "f":
        # (as NumPy: a row holding a NaN has its last entry, a NaN, for every quantile; the
        # gradient goes to that entry, as torch's)
        has_nan = np.isnan(np.take_along_axis(data, order[:, -1:], axis=1))
        if has_nan.any():
            out = where(has_nan, _gather(rows, order[:, -1:]), out)
    return _shaped(transpose(out), q.shape, x.shape, axes, keepdims)


def quantile(
    a: Any, q: Any, axis: Any = None, *, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """The ``q``-th quantiles (in [0, 1], a constant: a number or an array of up to 2-D, its
    axes first in the result) over ``axis``, by NumPy's ``method`` (all thirteen of them; the
    default 'linear' interpolates between the sorted entries around (n - 1) q): NumPy's values
    and dtypes. The gradient goes to the entries interpolated, by their weights (to the one
    ``np.argpartition`` puts at each sorted position, where entries tie: a subgradient); a row
    holding a NaN gives NaN, its gradient to that NaN entry."""
    return _quantile("quantile", a, q, axis, method, keepdims, False, False)


def percentile(
    a: Any, q: Any, axis: Any = None, *, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """``quantile`` at ``q`` / 100 (``q`` in [0, 100]), as NumPy's."""
    return _quantile("percentile", a, q, axis, method, keepdims, True, False)


def nanquantile(
    a: Any, q: Any, axis: Any = None, *, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """``quantile`` of the entries that are not NaN (they get gradient 0), as NumPy's: NaN, with
    its warning, for a slice of only NaNs; ties as ``_nan_order`` puts them (``quantile``'s
    where there is no NaN)."""
    return _quantile("nanquantile", a, q, axis, method, keepdims, False, True)


def nanpercentile(
    a: Any, q: Any, axis: Any = None, *, method: str = "linear", keepdims: bool = False
) -> Tensor:
    """``nanquantile`` at ``q`` / 100 (``q`` in [0, 100]), as NumPy's."""
    return _quantile("nanpercentile", a, q, axis, method, keepdims, True, True)


def median(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """Median over ``axis``, as NumPy's: the middle sorted entry, or the mean of the two middle
    ones (torch's ``median`` takes the lower one), each getting half the gradient; NaN (with
    NumPy's warnings) over an empty axis; a row holding a NaN gives NaN, its gradient to that NaN
    entry. Tied entries: the gradient goes to those ``np.argpartition`` puts in the middle."""
    x, axes, keepdims = _order_setup("median", a, axis, keepdims)
    n = math.prod(x.shape[i] for i in axes)
    if n == 0:  # (NumPy's: the mean of nothing, NaN with its warnings)
        return _reduce(Mean, "median", x, axes, keepdims)
    rows = _rows(x, axes)[0]
    data = rows.data
    kth = [(n - 1) // 2, n // 2]
    nan_check = x.dtype.kind == "f"
    order = np.argpartition(data, sorted(set(kth + ([n - 1] if nan_check else []))), axis=1)
    middle = _gather(rows, order[:, sorted(set(kth))])
    out = _reduce(Mean, "median", middle, (1,), False)  # (NumPy's mean of the middle entries)
    if nan_check:
        has_nan = np.isnan(data[np.arange(data.shape[0]), order[:, -1]])
        if has_nan.any():  # (as quantile's: the NaN itself, its gradient to that entry)
            out = where(has_nan, reshaped(_gather(rows, order[:, -1:]), (data.shape[0],)), out)
    return _shaped(out, (), x.shape, axes, keepdims)


def nanmedian(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """``median`` of the entries that are not NaN (they get gradient 0), as NumPy's: NaN, with
    its warning, for a slice of only NaNs; ties as ``_nan_order`` puts them (``median``'s
    where there is no NaN)."""
    x, axes, keepdims = _order_setup("nanmedian", a, axis, keepdims)
    if x.dtype.kind != "f":
        return median(x, axis, keepdims=keepdims)
    if x.size == 0:  # (NumPy's: the nanmean of nothing)
        return nanmean(x, axis, keepdims=keepdims)
    if not np.isnan(x.data).any():
        return median(x, axis, keepdims=keepdims)
    rows = _rows(x, axes)[0]
    data = rows.data
    count = np.sum(~np.isnan(data), axis=1)
    lo, hi = np.maximum(count - 1, 0) // 2, count // 2  # (the middle two, or one twice)
    order = _nan_order(data, np.concatenate([lo, hi]))
    index = np.arange(data.shape[0])
    low = _gather(rows, order[index, lo][:, None])
    high = _gather(rows, order[index, hi][:, None])
    odd = (lo == hi)[:, None]
    out = low if odd.all() else where(odd, low, (low + high) / 2)
    empty = count == 0
    if empty.any():
        _warn("All-NaN slice encountered")
        out = where(empty[:, None], np.nan, out)
    return _shaped(reshaped(out, (data.shape[0],)), (), x.shape, axes, keepdims)


# ----------------------------------------------------------------------------- ptp, average


def ptp(a: Any, axis: Any = None, *, keepdims: bool = False) -> Tensor:
    """Range (maximum minus minimum) over ``axis``, as NumPy's (integers wrap around in their
    dtype, bools are refused); tied extremes share the gradient."""
    x = to_tensor(a, "ptp", "a")
    if x.dtype.kind == "b":
        raise TypeError("ptp: bools have no range (NumPy refuses their subtraction)")
    _nonempty("ptp", x, axis)
    return _reduce(Max, "ptp", x, axis, keepdims) - _reduce(Min, "ptp", x, axis, keepdims)


class _ZeroWeights(ZeroDivisionError, ValueError):
    """NumPy's ZeroDivisionError for weights that sum to 0, also a ValueError (a bad argument)."""


def _weights_for(w: Tensor, shape: tuple, axes: tuple | None, name: str) -> Tensor:
    """``w`` checked as NumPy's average checks weights, and put in broadcast form: the shape of
    ``a``, or of the axes reduced (in their order), which is moved into place."""
    if w.shape == shape:
        return w
    if axes is None:
        raise TypeError(
            f"{name}: axis must be given for weights of shape {w.shape}, not a's {shape}"
        )
    if w.shape != tuple(shape[i] for i in axes):
        want = tuple(shape[i] for i in axes)
        raise ValueError(
            f"{name}: weights of shape {w.shape} for a of shape {shape} over axis "
            f"{axes}: {want} or a's own expected"
        )
    order = [int(i) for i in np.argsort(axes)]
    if order != list(range(len(order))):
        w = transpose(w, order)
    return reshape(w, tuple(s if i in axes else 1 for i, s in enumerate(shape)))


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims: bool = False
) -> Any:
    """Weighted average over ``axis``, as NumPy's: sum(a * w) / sum(w), differentiable in ``a``
    and in ``weights`` (the shape of ``a``, or of the axes reduced); ``returned=True`` also
    gives sum(w) (the count without weights) broadcast to the average's shape. Weights that
    sum to 0 raise NumPy's ZeroDivisionError (also a ValueError here)."""
    name = "average"
    x = to_tensor(a, name, "a")
    returned = flag_arg(returned, "returned", name)
    _check_keepdims(name, keepdims)
    keepdims = bool(keepdims)
    reduce_axes = axes = None
    if axis is not None:
        reduce_axes = normalize_axis(axis, x.ndim, name)
        given = (axis,) if is_int(axis) else tuple(axis)
        axes = tuple(int(i) % x.ndim for i in given)  # (weights' axes come in this order)
    if weights is None:
        avg = _reduce(Mean, name, x, reduce_axes, keepdims)
        if not returned:
            return avg
        if avg.size == 0:
            raise _ZeroWeights(f"{name}: no average to count entries for (a of shape {x.shape})")
        scale = Tensor._make(np.full(avg.shape, x.size / avg.size, dtype=avg.dtype))
        return avg, scale
    w = to_tensor(weights, name, "weights")
    w = _weights_for(w, x.shape, axes, name)
    if x.dtype.kind in "biu":
        dtype = np.result_type(x.dtype, w.dtype, np.float64)
    else:
        dtype = np.result_type(x.dtype, w.dtype)
    wd = w if w.dtype == dtype else astype(w, dtype)
    xd = x if x.dtype == dtype else astype(x, dtype)
    scale = _reduce(Sum, name, wd, reduce_axes, keepdims)
    if np.any(scale.data == 0):
        raise _ZeroWeights(f"{name}: the weights sum to zero, can't be normalized")
    avg = _reduce(Sum, name, xd * wd, reduce_axes, keepdims) / scale
    if not returned:
        return avg
    if scale.shape != avg.shape:
        scale = broadcast_to(scale, avg.shape)
    return avg, scale


# ----------------------------------------------------------------------------- cov, corrcoef


def _sample_weights(w: Any, name: str, what: str, n: int, integer: bool) -> np.ndarray | None:
    if w is None:
        return None
    w = constant_arg(w, what, name)
    check_args(name, **{what: w})
    w = np.asarray(w, dtype=float)
    if integer and not np.all(w == np.around(w)):
        raise TypeError(f"{name}: {what} must be integers")
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"{name}: {what} must be 1-D, one per observation ({n}), got shape {w.shape}"
        )
    if np.any(w < 0):
        raise ValueError(f"{name}: {what} cannot be negative")
    return w


def cov(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: Any = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> Tensor:
    """Covariance matrix of the variables in the rows of ``m`` (columns if not ``rowvar``), and
    of ``y``'s, as NumPy's: in float64 unless ``dtype`` says otherwise (the gradient in the
    input's dtype), normalised by N - 1 (N with ``bias``, N - ``ddof`` given it), with the
    integer ``fweights`` and the ``aweights`` as constants; squeezed, as NumPy's."""
    name = "cov"
    check_args(name, ("y",), m=m, y=y)
    x = to_tensor(m, name, "m")
    rowvar = flag_arg(rowvar, "rowvar", name)
    bias = flag_arg(bias, "bias", name)
    if x.ndim > 2:
        raise ValueError(f"{name}: m has more than 2 dimensions (shape {x.shape})")
    other = None if y is None else to_tensor(y, name, "y")
    if other is not None and other.ndim > 2:
        raise ValueError(f"{name}: y has more than 2 dimensions (shape {other.shape})")
    if dtype is None:
        dtypes = [x.dtype] + ([] if other is None else [other.dtype])
        dtype = np.result_type(*dtypes, np.float64)
    else:
        dtype = check_dtype(dtype, f"{name}: dtype")
        if dtype.kind != "f":
            raise TypeError(f"{name}: dtype must be floating, got {dtype}")

    def matrix(t: Tensor, transposed: bool) -> Tensor:
        t = t if t.dtype == dtype else astype(t, dtype)
        if t.ndim < 2:
            t = reshape(t, (1, -1))
        return transpose(t) if transposed else t

    X = matrix(x, not rowvar and x.ndim != 1)
    if X.shape[0] == 0:
        return Tensor._make(np.array([]).reshape(0, 0))
    if other is not None:
        Y = matrix(other, False)
        if not rowvar and Y.shape[0] != 1:
            Y = transpose(Y)
        if Y.shape[1] != X.shape[1]:
            raise ValueError(
                f"{name}: m of shape {x.shape} and y of shape {other.shape} hold "
                "different numbers of observations"
            )
        X = concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    elif not isinstance(_ddof_arg(ddof, name), int):
        raise ValueError(f"{name}: ddof must be an integer, got {ddof!r}")  # (as NumPy's)
    count = X.shape[1]
    f = _sample_weights(fweights, name, "fweights", count, True)
    aw = _sample_weights(aweights, name, "aweights", count, False)
    w = f if aw is None else aw if f is None else f * aw
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum.data[0] if w_sum.size else 0.0
    if w is None:
        fact = count - ddof
    elif ddof == 0:
        fact = w_sum
    elif aw is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * np.sum(w * aw) / w_sum
    if fact <= 0:
        _warn("Degrees of freedom <= 0 for slice")
        fact = 0.0
    centered = X - reshape(avg, (-1, 1))
    if centered.dtype != dtype:  # (NumPy's subtraction in place, into X's dtype)
        centered = astype(centered, dtype)
    weighted = centered if w is None else centered * w  # (float64 weights promote, as NumPy's)
    c = matmul(centered, transpose(weighted))
    c = c * float(np.true_divide(1, fact))  # (NumPy's: times the reciprocal, warning at 0)
    return squeeze(c)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Tensor:
    """Pearson correlation coefficients, ``cov`` over the outer product of the standard
    deviations, clipped to [-1, 1] as NumPy's (a clipped entry, as a perfect correlation, has
    gradient 0 there); NaN for a constant variable."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:  # (one variable: 1, or NaN for a variance of 0, inf or NaN)
        return c / c
    std = sqrt(diagonal(c))
    c = c / reshape(std, (-1, 1))
    c = c / reshape(std, (1, -1))
    return clip(c, -1, 1)


# ----------------------------------------------------------------------------- inner, vdot, vander


def inner(a: Any, b: Any) -> Tensor:
    """Inner product over the last axes, as NumPy's: a.shape[:-1] + b.shape[:-1] (a 0-d operand
    multiplies)."""
    x, other = to_tensor(a, "inner", "a"), to_tensor(b, "inner", "b")
    if x.ndim == 0 or other.ndim == 0:
        return multiply(x, other)
    if x.shape[-1] != other.shape[-1]:
        raise ValueError(
            f"inner: the last axes of a of shape {x.shape} and b of shape {other.shape} differ"
        )
    return tensordot(x, other, axes=([-1], [-1]))


def vdot(a: Any, b: Any) -> Tensor:
    """Dot product of ``a`` and ``b`` flattened (row-major), as NumPy's; they must have as many
    entries."""
    x, other = to_tensor(a, "vdot", "a"), to_tensor(b, "vdot", "b")
    if x.size != other.size:
        raise ValueError(
            f"vdot: a of shape {x.shape} and b of shape {other.shape} have different sizes"
        )
    return dot(reshape(x, (-1,)), reshape(other, (-1,)))


def vander(x: Any, N: Any = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns x ** (N - 1) ... x ** 0 (reversed if
    ``increasing``), as NumPy's: running products in x's dtype promoted with int (float64 for
    float32, int64 for smaller ints), differentiable through ``cumprod`` (exact at 0)."""
    t = to_tensor(x, "vander", "x")
    if t.ndim != 1:
        raise ValueError(f"vander: x must be one-dimensional, got shape {t.shape}")
    if N is None:
        N = t.shape[0]
    elif not is_int(N):
        raise TypeError(f"vander: N must be an int, got {N!r}")
    if N < 0:
        raise ValueError(f"vander: N must not be negative, got {N}")
    increasing = flag_arg(increasing, "increasing", "vander")
    dtype = np.promote_types(t.dtype, int)
    t = t if t.dtype == dtype else astype(t, dtype)
    n = t.shape[0]
    column = reshape(t, (n, 1))
    if N <= 1:  # (no power of x: ones, or nothing, still of x's graph, with gradient 0)
        out = concatenate([np.ones((n, N), dtype), column[:, :0]], axis=1)
    else:
        powers = cumprod(broadcast_to(column, (n, N - 1)), axis=1)
        out = concatenate([np.ones((n, 1), dtype), powers], axis=1)
    return out if increasing else flip(out, axis=1)


# ----------------------------------------------------------------------------- convolve, correlate


class Correlate(Op):
    """out[k] = sum_j a[k + j - p] v[j] for k < length (a's entries outside it taken as 0):
    NumPy's 1-D correlation in each of its modes (p and length from the mode), bilinear; its
    rules are correlations again (the adjoint in a with v reversed), so every order is one op"""

    __slots__ = ("p", "length", "mode")
    save_inputs = (0, 1)

    def __init__(self, p, length, mode=None):
        self.p = p
        self.length = length
        self.mode = mode  # (NumPy's, for the public call: its values are NumPy's own)

    def forward(self, a, v):
        if self.mode is not None:
            return np.correlate(a, v, self.mode)
        return _span(a, v, self.p, self.length)

    def generate_adjoints(self, adjoints, delta, a, v):
        n, m = a.shape[0], v.shape[0]
        if self.needs_grad[0]:
            adjoints[0] = Correlate.apply(delta, np.flip(v, 0), p=m - 1 - self.p, length=n)
        if self.needs_grad[1]:
            adjoints[1] = Correlate.apply(a, delta, p=self.p, length=m)

    def jvp(self, tangents, a, v):
        ta, tv = tangents
        out = None if ta is None else Correlate.apply(ta, v, p=self.p, length=self.length)
        if tv is not None:
            other = Correlate.apply(a, tv, p=self.p, length=self.length)
            out = other if out is None else out + other
        return out


def _span(a: np.ndarray, v: np.ndarray, p: int, length: int) -> np.ndarray:
    """``Correlate``'s out[k] = sum_j a[k + j - p] v[j], k < length, in O(length * len(v)): the
    'valid' correlation of ``a`` put among zeros; where an operand holds an inf or NaN, the span
    of NumPy's full correlation instead, whose entries are dot products over the overlap alone
    (a padding zero times inf would be NaN)."""
    n, m = a.shape[0], v.shape[0]
    if np.isfinite(a).all() and np.isfinite(v).all():
        padded = np.zeros(length + m - 1, np.result_type(a, v))
        lo, hi = max(p, 0), min(p + n, padded.shape[0])
        if hi > lo:
            padded[lo:hi] = a[lo - p : hi - p]
        return np.correlate(padded, v, "valid")
    full = np.correlate(a, v, "full")
    start = m - 1 - p
    lo, hi = max(start, 0), min(start + length, full.shape[0])
    out = np.zeros(length, full.dtype)
    if hi > lo:
        out[lo - start : hi - start] = full[lo:hi]
    return out


_MODES = {"valid": 0, "same": 1, "full": 2, 0: 0, 1: 1, 2: 2}
_MODE_NAMES = ("valid", "same", "full")


def _mode_arg(mode: Any, name: str) -> int:
    key = mode if isinstance(mode, str) or is_int(mode) else None
    if key is None or key not in _MODES:
        raise ValueError(f"{name}: mode must be one of 'valid', 'same' or 'full', got {mode!r}")
    return _MODES[key]


def _mode_span(mode: int, n: int, m: int) -> tuple[int, int]:
    """(p, length) of NumPy's correlation of n entries with m in ``mode``: its output k is
    sum_j a[k + j - p] v[j] (for m > n NumPy correlates the other way and reverses)."""
    if mode == 2:
        return m - 1, n + m - 1
    if n >= m:
        return (0, n - m + 1) if mode == 0 else (m // 2, n)
    return (m - n, m - n + 1) if mode == 0 else (m - n + (n - 1) // 2, m)


def _vector(x: Any, name: str, what: str, scalars: bool) -> Tensor:
    t = to_tensor(x, name, what)
    if t.ndim > 1 or (t.ndim == 0 and not scalars):
        raise ValueError(f"{name}: {what} must be 1-D, got shape {t.shape}")
    if t.size == 0:
        raise ValueError(f"{name}: {what} cannot be empty")
    return t


def correlate(a: Any, v: Any, mode: Any = "valid") -> Tensor:
    """Cross-correlation of the 1-D ``a`` and ``v`` (c[k] = sum_n a[n + k] v[n]), NumPy's, its
    values NumPy's own (mode 'valid', 'same' or 'full'), differentiable in both: the gradients
    are correlations again, of every order."""
    mode = _mode_arg(mode, "correlate")
    x, w = _vector(a, "correlate", "a", False), _vector(v, "correlate", "v", False)
    p, length = _mode_span(mode, x.shape[0], w.shape[0])
    return call(Correlate, x, w, p=p, length=length, mode=_MODE_NAMES[mode])


def convolve(a: Any, v: Any, mode: Any = "full") -> Tensor:
    """Discrete linear convolution of the 1-D ``a`` and ``v`` (0-d ones taken as 1-D), NumPy's,
    its values NumPy's own (mode 'full', 'same' or 'valid'; the longer operand is the signal,
    as NumPy's), differentiable in both: the correlation of the longer with the shorter one
    reversed."""
    mode = _mode_arg(mode, "convolve")
    x, w = _vector(a, "convolve", "a", True), _vector(v, "convolve", "v", True)

    x = x if x.ndim else reshape(x, (1,))
    w = w if w.ndim else reshape(w, (1,))
    if w.shape[0] > x.shape[0]:
        x, w = w, x
    p, length = _mode_span(mode, x.shape[0], w.shape[0])
    return call(Correlate, x, flip(w, 0), p=p, length=length, mode=_MODE_NAMES[mode])


# ----------------------------------------------------------------------------- interp


def interp(
    x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None
) -> Tensor:
    """NumPy's piecewise-linear interpolation of the points (``xp``, ``fp``) at ``x``, float64
    as NumPy's: its values, differentiable in ``fp`` (by the interpolation weights) and in ``x``
    (the slope of the segment, 0 outside [xp[0], xp[-1]]; at a point of ``xp`` the slope of the
    segment to its right); ``xp``, ``left``, ``right`` and ``period`` are constants. As NumPy's,
    ``xp`` must be increasing (it is not checked; without ``period``)."""
    name = "interp"
    check_args(name, ("left", "right", "period"), x=x, xp=xp, fp=fp)
    xs = to_tensor(x, name, "x")
    points = np.asarray(constant_arg(xp, "xp", name))
    values = to_tensor(fp, name, "fp")
    if points.ndim != 1 or values.ndim != 1:
        raise ValueError(
            f"{name}: xp and fp must be 1-D, got shapes {points.shape} and {values.shape}"
        )
    if points.shape[0] != values.shape[0]:
        raise ValueError(
            f"{name}: xp of shape {points.shape} and fp of shape {values.shape} "
            "must have the same length"
        )
    if points.size == 0:
        raise ValueError(f"{name}: xp is empty (no points to interpolate)")
    if period is not None:  # (NumPy's: a period ignores left and right)
        left = right = None
    bounds = []
    for what, bound in (("left", left), ("right", right), ("period", period)):
        bound = constant_arg(bound, what, name)
        if bound is not None:
            if np.ndim(bound) or np.asarray(bound).dtype.kind not in "biuf":
                raise TypeError(f"{name}: {what} must be a real number, got {bound!r}")
            bound = float(bound)
        bounds.append(bound)
    left, right, period = bounds
    xs = xs if xs.dtype == np.float64 else astype(xs, np.float64)
    values = values if values.dtype == np.float64 else astype(values, np.float64)
    points = points.astype(np.float64)
    if period is not None:
        if period == 0:
            raise ValueError(f"{name}: period must be a non-zero value")
        period = abs(period)
        left = right = None
        xs = remainder(xs, period)
        points = points % period
        order = np.argsort(points)
        points = np.concatenate(
            [points[order][-1:] - period, points[order], points[order][:1] + period]
        )
        values = take(values, np.concatenate([order[-1:], order, order[:1]]))
    data = xs.data
    count = points.shape[0]
    fp_first = take(values, np.zeros(1, np.intp)).reshape(())
    fp_last = take(values, np.full(1, count - 1, np.intp)).reshape(())
    first = fp_first if left is None else left
    last = fp_last if right is None else right
    if count == 1:  # (NumPy's: a NaN x takes the point's value too)
        out = where(data < points[0], first, where(data > points[0], last, values[0]))
        return out if isinstance(out, Tensor) else Tensor._make(out)
    j = np.clip(np.searchsorted(points, data, side="right") - 1, 0, count - 2)
    x0, x1 = points[j], points[j + 1]
    y0, y1 = take(values, j), take(values, j + 1)
    # NOTE: the segments' formula only where x is inside [xp[0], xp[-1]]: elsewhere (and at a NaN)
    # x is replaced by the segment's start first, so that the gradient the branches not taken
    # send back is 0 * a finite number, not 0 * NaN (the double where)
    inside = (data >= points[0]) & (data <= points[-1])
    xs = xs if inside.all() else where(inside, xs, x0)
    with np.errstate(all="ignore"):  # (inf - inf, 0 / 0: NumPy's C loop warns of neither)
        slope = (y1 - y0) / (x1 - x0)
        out = slope * (xs - x0) + y0
        nan = np.isnan(out.data)
        if nan.any():  # (NumPy's: from the other end of the segment, then its equal ends)
            other = slope * (xs - x1) + y1
            out = where(nan, other, out)
            flat = nan & np.isnan(other.data) & (y0.data == y1.data)
            if flat.any():
                out = where(flat, y0, out)
        # at a point of xp its own value: slope * 0 + y0, so that the x gradient is the slope
        # to its right, or y0 itself where that product is not 0 (an infinite slope or x)
        knot = (data == x0) & ~(np.isfinite(slope.data) & np.isfinite(data))
        if knot.any():
            out = where(knot, y0, out)
    end = data == points[-1]
    if end.any():  # (the last point's value, not right's)
        out = where(end, fp_last, out)
    out = where(data > points[-1], last, out)
    out = where(data < points[0], first, out)
    out = where(np.isnan(data), np.nan, out)
    return out
