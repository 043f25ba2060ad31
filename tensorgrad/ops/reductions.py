"""Reductions: sum mean prod max min var std logsumexp norm argmax argmin; the running sum and
product cumsum, cumprod; and cdist, the p-norms of the rows' differences.

Every reduction takes ``axis`` (None, an int or a tuple) and ``keepdims`` as NumPy does. Rules
put the reduced axes back with ``_expand`` so that the output adjoint broadcasts against the input.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import math
from typing import Any

import numpy as np
from numpy import float16 as _HALF
from numpy import ndarray

from tensorgrad._dtypes import check_args, half_sum, wide_sum
from tensorgrad._dtypes import narrow as _narrow
from tensorgrad._shapes import expand_to, normalize_axis
from tensorgrad.ops._base import Op, _data, apply1, call
from tensorgrad.tensor import Tensor

__all__ = [
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "var",
    "std",
    "logsumexp",
    "norm",
    "argmax",
    "argmin",
    "cumsum",
    "cumprod",
    "cdist",
]


def _expand(delta, in_shape, axes, keepdims):
    """Put back the reduced axes of ``delta`` (as size 1) so it broadcasts against the input."""
    if not keepdims and delta.ndim:  # (a 0-d delta, everything reduced, broadcasts as it is)
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        delta = delta.reshape(tuple(shape))  # an ndarray's or a Tensor's method
    return delta


def _count(shape, axes) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


class _Reduction(Op):
    __slots__ = ("axis", "keepdims")

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def _expand(self, delta, shape):
        return _expand(delta, shape, self.axis, self.keepdims)

    def _over_output(self, num, out, shape):
        """``num / out`` with ``out`` put back to ``shape``, and 0 where ``out`` is 0: the 0
        gradient at zero that ``norm`` (the zero vector) and ``std`` (no spread) promise, a
        constant there, so that their higher derivatives are 0 too (not those of ``num``)."""
        full = self._expand(out, shape)
        zero = (full.data if isinstance(full, Tensor) else full) == 0
        if not zero.any():
            return num / full
        return np.where(zero, 0, num / np.where(zero, 1, full))


# ----------------------------------------------------------------------------- sum, mean


class Sum(_Reduction):
    """sum over ``axis``"""

    linear = True

    def forward(self, x):
        if type(x) is ndarray and x.dtype.type is _HALF:  # (in float32, as torch)
            return half_sum(x, self.axis, self.keepdims)
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)  # np.sum, minus a layer

    def generate_adjoints(self, adjoints, delta):
        shape = self.in_shape(0)
        adjoints[0] = expand_to(self._expand(delta, shape), shape)


def mean_by_sum(dtype: np.dtype, n: int) -> bool:
    """Whether the sum of ``n`` entries of ``dtype`` divided by n is np.mean's value to the bit:
    float64, or float32 while n is exact in float32 (np.mean divides float32 in float64 and
    rounds once, the correctly rounded float32 quotient then); n > 0."""
    return n > 0 and (dtype == _FLOAT64 or (dtype == _FLOAT32 and n <= 2**24))


_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


def maximum_along(x: Any, axis: Any, initial: float | None = -np.inf) -> Any:
    """``np.maximum.reduce(x, axis, keepdims=True, initial=initial)``: the softmax family's
    shift (``initial=None``: none, as np.max; an integer array refuses an infinite one).
    Short rows (2-32 entries, 32 rows or more) of a C-contiguous array are reduced across the
    rows of its transposed copy: NumPy's reduce along a contiguous axis of about 2-24 entries
    costs 30-50 ns a row (8,192 rows of 10 took 425 us, transposed 38; 256 rows of 10 13.7 us
    against 3.0; 64 of 10 3.9 against 2.3). The same maxima (a maximum is exact; only a NaN's
    sign or payload may differ)."""
    if (
        type(x) is ndarray
        and x.dtype.kind == "f"
        and x.ndim >= 2
        and axis in (-1, x.ndim - 1, (-1,), (x.ndim - 1,))  # (an int, or a reduction's tuple)
        and 1 < x.shape[-1] <= 32
        and x.size >= 32 * x.shape[-1]
        and x.flags.c_contiguous
    ):
        columns = np.ascontiguousarray(x.reshape(-1, x.shape[-1]).T)
        maxima = np.maximum.reduce(columns, axis=0, initial=initial)
        return maxima.reshape(x.shape[:-1] + (1,))
    return np.maximum.reduce(x, axis=axis, keepdims=True, initial=initial)


class Mean(_Reduction):
    """mean over ``axis``"""

    linear = True

    def forward(self, x):
        if type(x) is ndarray:
            n = _count(x.shape, self.axis)
            if mean_by_sum(x.dtype, n):  # (np.mean's sum and division, minus its Python layer)
                return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims) / n
        return np.mean(x, axis=self.axis, keepdims=self.keepdims)

    def generate_adjoints(self, adjoints, delta):
        shape = self.in_shape(0)
        n = _count(shape, self.axis)
        adjoints[0] = expand_to(self._expand(delta, shape) / builtins.max(n, 1), shape)


# ----------------------------------------------------------------------------- prod


def _rows(x, axis):
    """``x`` as a 2-D (m, n): the kept axes flattened into rows, the reduced ones into columns;
    with what ``_unrows`` needs to put it back."""
    keep = [a for a in range(x.ndim) if a not in axis]
    order = keep + list(axis)
    moved = x if order == list(range(x.ndim)) else np.transpose(x, order)  # (Tensors: recorded)
    n = _count(x.shape, axis)
    return np.reshape(moved, (math.prod(moved.shape[: len(keep)]), n)), (moved.shape, order)


def _unrows(flat, layout):
    shape, order = layout
    return np.transpose(np.reshape(flat, shape), tuple(int(i) for i in np.argsort(order)))


def _normal(a, zero_ok: bool = False) -> bool:
    """Whether every entry of the float array ``a`` is finite and normal (or 0, if
    ``zero_ok``): a quotient or product of such entries lost no digits to the range."""
    a = np.abs(a)
    info = np.finfo(a.dtype)
    inside = (a >= info.tiny) & (a <= info.max)
    return bool(np.all(inside | (a == 0) if zero_ok else inside))


def _wide(a):
    """``a`` in float64, or in long double if it is float64 or wider (long double is wider than
    float64 where the platform has it), for products and quotients of entries that leave their
    own dtype's range."""
    return a.astype(np.longdouble if a.dtype.itemsize >= 8 else np.float64)


def _prod_others(x, axis):
    """The product of all other entries along the reduced axes, exact with zeros, infs and
    NaNs: the products before each entry times those after it (O(n), of arrays), in a wider
    dtype (``_wide``), so that a part does not leave the range where the whole does not, within
    that dtype's own range (float64's for float16 and float32 entries, long double's, up to
    1e4932 on x86, for float64 and long double ones)."""
    flat, layout = _rows(x, axis)
    flat = _wide(flat)
    m, n = flat.shape
    before = np.ones((m, n), flat.dtype)
    after = np.ones((m, n), flat.dtype)
    if n > 1:
        np.cumprod(flat[:, :-1], axis=-1, out=before[:, 1:])
        np.cumprod(flat[:, :0:-1], axis=-1, out=after[:, -2::-1])
    return _unrows(_narrow(before * after, x.dtype), layout)


def _sums_of_others(flat):
    """Along the last axis of a 2-D ``flat``, for each entry the sum of the others: sums before
    it plus sums after it (not the total minus it, which cancels where it is the bulk)."""
    zero = np.zeros((flat.shape[0], 1), flat.dtype)
    before = np.cumsum(np.concatenate([zero, flat[:, :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumsum(np.concatenate([zero, np.flip(flat, -1)[:, :-1]], axis=-1), -1), -1)
    return before + after


def _others_along(x, v, axis):
    """For each entry j, the sum over i != j of v_i times the product of all entries but x_i
    and x_j, along the reduced axes: the derivative of prod's slope along v (and its adjoint:
    second derivatives are symmetric). A row with an inf or NaN (up to ``_BY_ROWS_MAX``), or
    recorded (x a Tensor) with a zero, is multiplied out (``_along_by_rows``: its values are
    IEEE's products, and its own derivatives prod's, but where 0 * inf makes them NaN)."""
    fx, layout = _rows(x, axis)
    fv, _ = _rows(v, axis)
    data = _data(fx)
    special = ~np.isfinite(data).all(axis=1)  # (inf or NaN: P / x_j would be inf / inf)
    if special.sum() * data.shape[1] ** 2 > _BY_ROWS_MAX:
        special[:] = False  # (too large to multiply out: IEEE's quotients, NaN at inf / inf)
    if isinstance(x, Tensor):
        special |= (data == 0).any(axis=1)
    if not special.any():
        return _unrows(_along(fx, fv), layout)
    if special.all():
        return _unrows(_along_by_rows(fx, fv), layout)
    a, b = np.flatnonzero(~special), np.flatnonzero(special)
    parts = np.concatenate([_along(fx[a], fv[a]), _along_by_rows(fx[b], fv[b])])
    return _unrows(parts[np.argsort(np.concatenate([a, b]))], layout)


# how many products (rows times n^2) ``_along_by_rows`` may take for rows with an inf or NaN;
# past it they keep the quotients' NaNs (recorded rows with a zero are always multiplied out:
# their derivatives need it)
_BY_ROWS_MAX = 1 << 22


def _along(fx, fv):
    """``_others_along`` of 2-D rows: the product P of a row's nonzero entries over x_j, times
    the sum of v_i / x_i over the others (each term holds what it should: no quotient cancels).
    A zero leaves only the terms that skip it: P times the others' sum at it, v at it times
    P / x_j elsewhere; two zeros leave P times v at the other one, at each; more leave 0.
    In x's dtype when its products and quotients stay in range, else (and always recorded,
    whose derivatives square x) in a wider one."""
    data = _data(fx)
    zero = data == 0
    nonzero = np.where(zero, 1, fx) if zero.any() else fx
    if isinstance(fx, Tensor) or isinstance(fv, Tensor):
        wide = _wide(nonzero)
        return _narrow(_along_in(wide, fv.astype(wide.dtype), zero)[0], data.dtype)
    with np.errstate(all="ignore"):  # (a product or quotient out of range: then widened)
        out, product, quotients, ratios = _along_in(nonzero, fv, zero)
    if _normal(product) and _normal(quotients) and _normal(ratios, zero_ok=True):
        if np.isfinite(out).all():
            return out
    with np.errstate(all="ignore"):  # (inf / inf past _BY_ROWS_MAX: IEEE's NaN, said there)
        return _narrow(_along_in(_wide(nonzero), _wide(fv), zero)[0], data.dtype)


def _along_in(nonzero, fv, zero):
    product = np.prod(nonzero, axis=1, keepdims=True)
    quotients = product / nonzero  # (the others' products, of a row without zeros)
    ratios = fv / nonzero
    spread = _sums_of_others(ratios)
    if zero.any():
        count = np.sum(zero, axis=1, keepdims=True)
        lone = count == 1
        at_zeros = _sums_of_others(np.where(zero, fv, 0))
        others = np.where((lone & ~zero) | ((count == 2) & zero), at_zeros, 0)
        spread = np.where((count == 0) | (lone & zero), spread, others)
    return spread * quotients, product, quotients, ratios


def _along_by_rows(fx, fv):
    """``_along`` multiplied out, as prod's own derivatives: for each j, the others of the row
    with x_j replaced by 1, summed against v but at j (O(n^2) a row; IEEE's 0 * inf is NaN
    where v is 0 beside an infinite product)."""
    eye = np.eye(fx.shape[1], dtype=bool)
    others = apply1(ProdOthers((2,)), np.where(eye, 1, fx[:, None, :]))
    return np.sum(np.where(eye, 0, others) * fv[:, None, :], axis=-1)  # ([r, j, i]: but i, j)


class ProdOthers(Op):
    """the product of the other entries along ``axis``: prod's slope, recorded as one op (for
    create_graph and recorded tangents) whose derivative is exact. out / x's, in its own entry,
    is two terms that cancel: an error of eps * out / x_i^2 where the truth is 0, visible in a
    Hessian beside a small entry. (``_along``'s quotients cancel one order later: a third
    derivative of a row without zeros is off by about the wider dtype's eps times max|x| /
    min|x| times its scale, a finite wrong value where that passes 1: entries 1e-160 beside 3)"""

    __slots__ = ("axis",)
    save_inputs = (0,)

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        with np.errstate(over="ignore", under="ignore"):  # (out of range: taken exactly below)
            out = np.prod(x, axis=self.axis, keepdims=True)
        return out / x if _normal(out) else _prod_others(x, self.axis)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = _others_along(x, delta, self.axis)

    def jvp(self, tangents, x):
        return _others_along(x, tangents[0], self.axis)


class Prod(_Reduction):
    """product over ``axis`` (exact gradient when entries are zero)"""

    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        return np.prod(x, axis=self.axis, keepdims=self.keepdims)

    def _slope(self, x, out):
        # NOTE: out / x unless out is not finite or not normal (a zero, inf or NaN entry, or
        # a product that over- or underflowed), where the product of the others is taken
        # exactly; recorded (Tensors), the slope is an op of its own, ProdOthers
        if isinstance(x, Tensor):
            return apply1(ProdOthers(self.axis), x)
        if _normal(out):
            return self._expand(out, x.shape) / x
        return _prod_others(x, self.axis)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._slope(x, out)

    def jvp(self, tangents, x, out):
        return wide_sum(tangents[0] * self._slope(x, out), self.axis, self.keepdims)


# ----------------------------------------------------------------------------- max, min


class _Extreme(_Reduction):
    save_inputs = (0,)
    save_output = True

    def _share(self, x, out):
        # NOTE: tied extremes share the gradient equally (autograd's convention, API.md); a
        # NaN extreme is the NaN entries' (NaN == NaN is false: they would share 0 / 0).
        full = self._expand(out, x.shape)
        if type(x) is ndarray and x.dtype.kind == "f" and not np.isnan(out).any():
            # (no NaN extreme: the ties alone, in x's dtype; the float64 shares of bools cost
            # 4x the rest at 512 x 512)
            hit = np.equal(x, full)
            share = hit.astype(x.dtype)
            # (counted as ints: float16 stops counting at 2048; 1/k then rounded once to x's)
            share /= np.add.reduce(hit, axis=self.axis, keepdims=True)
            return share
        hit = (x == full) | ((full != full) & (x != x))
        return hit / np.sum(hit, axis=self.axis, keepdims=True)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._share(x, out)

    def jvp(self, tangents, x, out):
        return wide_sum(tangents[0] * self._share(x, out), self.axis, self.keepdims)


class Max(_Extreme):
    """maximum over ``axis``; tied maxima share the gradient equally"""

    def forward(self, x):
        return np.max(x, axis=self.axis, keepdims=self.keepdims)


class Min(_Extreme):
    """minimum over ``axis``; tied minima share the gradient equally"""

    def forward(self, x):
        return np.min(x, axis=self.axis, keepdims=self.keepdims)


# ----------------------------------------------------------------------------- var, std


class Var(_Reduction):
    """variance over ``axis`` with ``ddof`` (0: population variance, as NumPy)"""

    __slots__ = ("ddof",)
    save_inputs = (0,)

    def __init__(self, axis, keepdims, ddof):
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, x):
        x = np.asarray(x)
        if x.dtype.kind == "f" and x.dtype.itemsize < 4:
            # (float16 in float64, as std: its sums of squares overflow at 65504, where the
            # variance may be in range; torch sums in float32)
            var = np.var(
                x, axis=self.axis, keepdims=self.keepdims, ddof=self.ddof, dtype=np.float64
            )
            return _narrow(var, x.dtype)
        return np.var(x, axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)

    def _slope(self, x):
        # (NumPy's divisor: n - ddof, and inf past the last degree of freedom)
        n = _count(x.shape, self.axis) - self.ddof
        scale = 2.0 / n if n > 0 else math.inf
        if type(x) is ndarray and x.dtype.type is _HALF:  # (in float64, as its forward: the
            x = x.astype(np.float64)  # float16 mean's rounding moved every tangent's sum)
        return (x - np.mean(x, axis=self.axis, keepdims=True)) * scale

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = self._expand(delta, x.shape) * self._slope(x)

    def jvp(self, tangents, x):
        return wide_sum(tangents[0] * self._slope(x), self.axis, self.keepdims)


class Std(Var):
    """standard deviation over ``axis`` with ``ddof``; its gradient at zero spread is 0 (as
    torch's, and ``norm``'s at the zero vector)"""

    save_output = True

    def forward(self, x):
        x = np.asarray(x)
        axis, keepdims, ddof = self.axis, self.keepdims, self.ddof
        n = _count(x.shape, axis)
        # (NumPy's, NaN or 0 with its warnings; no value, or none over a negative ddof: 0)
        if x.dtype.kind != "f" or n <= ddof or n <= 1:
            return np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)
        if x.dtype.itemsize < 4:
            # (float16 in float64: its sums of squares overflow at 65504, and its squares are
            # subnormal below 6e-5, where the std is in range)
            return _narrow(
                np.std(x, axis=axis, keepdims=keepdims, ddof=ddof, dtype=np.float64), x.dtype
            )
        with np.errstate(over="ignore", invalid="ignore"):  # (computed again, below)
            out = np.std(x, axis=axis, keepdims=keepdims, ddof=ddof)
        where = _std_out_of_range(out, x, axis)
        if where is None:
            return out
        # NOTE: squares past the range, or subnormal (float32 entries of 1e-30 gave std 0, and
        # a gradient of 0; of 1e20, inf): those entries again over x scaled by a power of two
        # per row, exactly, so that a row in range keeps its bits
        scale = self._scale(x)
        scaled = np.std(x / scale, axis=axis, keepdims=True, ddof=ddof)
        with np.errstate(over="ignore"):  # (a std past the range is inf, as the maths has it)
            scaled = (scaled * scale).reshape(np.shape(out))
        return np.where(where, scaled, out) if np.ndim(out) else scaled

    def _scale(self, x):
        """A power of two per row, 2 ** e <= max |x| < 2 ** (e + 1) (1 for a row of zeros,
        infs or NaNs): x over it is in [-2, 2], and the scale itself in range."""
        big = np.max(np.abs(x), axis=self.axis, keepdims=True)
        usable = np.isfinite(big) & (big > 0)
        e = np.where(usable, np.frexp(np.where(usable, big, 1))[1] - 1, 0)
        return np.ldexp(np.ones((), x.dtype), e)

    def _std_slope(self, x, out):
        if x.dtype.itemsize < 4:  # (float16 in float64, as its forward)
            x, out = x.astype(np.float64), out.astype(np.float64)
        elif (
            1 < _count(x.shape, self.axis) > self.ddof and _std_out_of_range(_data(out)) is not None
        ):
            # (x - mean overflowed near the top of the range, and (x - mean) / n lost digits as
            # a subnormal: over x scaled as the forward's, and over the std of the scaled x, not
            # the output rounded to a subnormal or to inf; recorded on Tensors)
            scale = self._scale(_data(x))
            xs = x / scale
            if isinstance(xs, Tensor):
                scaled = std(xs, axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)
            else:
                scaled = np.std(xs, axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)
            return self._over_output(self._slope(xs) / 2, scaled, x.shape)
        return self._over_output(self._slope(x) / 2, out, x.shape)

    def generate_adjoints(self, adjoints, delta, x, out):
        # no spread: exactly 0 there, whatever flows in (an inf delta times the 0 slope was
        # NaN; torch masks its gradient there)
        none = _unspread(out, delta)
        with np.errstate(**_quiet(none)):
            g = self._expand(delta, x.shape) * self._std_slope(x, out)
        adjoints[0] = g if none is None else np.where(self._expand(none, x.shape), 0, g)

    def jvp(self, tangents, x, out):
        t = tangents[0]
        empty = _count(x.shape, self.axis) == 0
        none = None if empty else _unspread(out, t)  # (as the adjoint: torch masks it there)
        with np.errstate(**_quiet(none)):
            tangent = wide_sum(t * self._std_slope(x, out), self.axis, self.keepdims)
        if empty:  # (NaN values: var's tangent 0 over 2 * NaN, as torch)
            return tangent + np.nan
        return tangent if none is None else np.where(none, 0, tangent)


def _std_out_of_range(out, x=None, axis=None):
    """Where the float32 or float64 std ``out`` came from squares that were subnormal (0 < std <
    sqrt(tiny / eps): digits lost) or past the range (std over sqrt(max), inf or NaN), and,
    given ``x`` (reduced over ``axis``), where a 0 is of a row that is not constant (its squares
    all underflowed): None in the common case (two reductions of ``out``)."""
    bounds = _STD_BOUNDS.get(out.dtype)
    if bounds is None:
        info = np.finfo(out.dtype)
        bounds = _STD_BOUNDS[out.dtype] = (np.sqrt(info.tiny / info.eps), np.sqrt(info.max))
    small, big = bounds
    if out.ndim == 0:  # (NumPy scalars' own comparisons: a reduction costs more)
        if small <= out <= big:
            return None
    elif not out.size or small <= out.min() and out.max() <= big:  # (a NaN: not <= big)
        return None
    where = ((out > 0) & (out < small)) | ~(out <= big)
    if x is not None:
        zero = out == 0
        if zero.any():  # (a constant row's 0 is exact)
            spread = np.max(x, axis=axis) != np.min(x, axis=axis)
            where = where | (zero & spread.reshape(np.shape(out)))
    return where if where.any() else None


_STD_BOUNDS: dict = {}


def _unspread(out, flowing):
    """Where std ``out`` is 0 (no spread), if ``flowing`` (a delta, or an input's tangent) is
    inf or NaN somewhere, so that 0 * it would not be 0; else None (the common case: ``out``'s
    zeros are checked first, on the reduced shape)."""
    none = (out.data if isinstance(out, Tensor) else out) == 0
    if not np.any(none):
        return None
    values = flowing.data if isinstance(flowing, Tensor) else flowing
    return None if np.isfinite(values).all() else none


def _quiet(none):
    """``np.errstate`` settings: the invalid 0 * inf quiet only where ``none`` masks it."""
    return {} if none is None else {"invalid": "ignore"}


# ----------------------------------------------------------------------------- logsumexp, norm


class LogSumExp(_Reduction):
    """log(sum(exp(x))) over ``axis``, computed without overflow; all -inf gives -inf, grad 0"""

    save_inputs = (0,)
    label = "logsumexp"
    save_output = True

    def forward(self, x):
        # a row's max is its answer when it is not finite: +inf (also with -inf entries), NaN
        # (NaN entries propagate) or -inf (all entries -inf), as torch and NumPy give
        x = np.asarray(x)  # (a Python number comes as it is)
        if x.dtype.type is _HALF:  # (its sum of exponentials in float32, as torch)
            return _narrow(self.forward(x.astype(np.float32)), np.float16)
        if x.dtype.kind in "biu":  # in float64, as NumPy's log: x - max must not wrap around
            x = x.astype(np.float64)
        # (the ufuncs' reduce, as np.max and np.sum do it, minus their Python layer)
        m = maximum_along(x, self.axis)  # (-inf over no entries)
        finite = np.isfinite(m)
        if finite.all():
            out = np.log(np.add.reduce(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        else:
            shifted = np.exp(np.where(finite, x - np.where(finite, m, 0), -np.inf))
            total = np.sum(shifted, axis=self.axis, keepdims=True)  # >= 1 in finite rows
            out = np.where(finite, np.log(np.where(finite, total, 1)) + m, m)
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def _weights(self, x, out):
        # NOTE: softmax weights exp(x - out), as torch (but normalised): NaN at the +inf
        # entries of a +inf row and across a NaN row, 0 at the others; 0 across an all -inf row
        # (API.md, where torch gives NaN). Written so that no inf - inf is evaluated.
        full = self._expand(out, x.shape)
        f = full.data if isinstance(full, Tensor) else full
        finite = np.isfinite(f)
        w = np.exp(np.where(finite, x, -np.inf) - np.where(finite, full, 0))
        # normalised: exp(x - out) sums to 1 only as closely as out is rounded, which at large
        # |x| is visibly off (float32 at 3e4: 1.001); these are exactly softmax(x)
        total = wide_sum(w, self.axis, True)
        if finite.all():
            return w / total
        w = w / np.where(finite, total, 1)  # (an all -inf row: 0 / 1)
        data = x.data if isinstance(x, Tensor) else x
        undefined = (f != f) | ((f == np.inf) & (data == np.inf))
        return np.where(undefined, np.nan, w)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._weights(x, out)

    def jvp(self, tangents, x, out):
        return wide_sum(tangents[0] * self._weights(x, out), self.axis, self.keepdims)


class Norm(_Reduction):
    """Euclidean (Frobenius) norm over ``axis``; its gradient at the zero vector is 0"""

    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        if np.result_type(x) == np.float16:  # (in float32, as torch: 256 squares of 16 overflow)
            total = np.sum(np.square(x, dtype=np.float32), axis=self.axis, keepdims=self.keepdims)
            return np.sqrt(total).astype(np.float16)
        return np.sqrt(np.sum(np.square(x), axis=self.axis, keepdims=self.keepdims))

    def _slope(self, x, out):
        return self._over_output(x, out, x.shape)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._slope(x, out)

    def jvp(self, tangents, x, out):
        return wide_sum(tangents[0] * self._slope(x, out), self.axis, self.keepdims)


# ------------------------------------------------------------------- argmax, cumsum, cumprod


class _ArgExtreme(Op):
    __slots__ = ("axis", "keepdims", "fn")
    differentiable = False

    def __init__(self, axis, keepdims, fn):
        self.axis = axis
        self.keepdims = keepdims
        self.fn = fn

    def forward(self, x):
        return self.fn(x, axis=self.axis, keepdims=self.keepdims)


class CumSum(Op):
    """running sum along ``axis``"""

    __slots__ = ("axis",)
    label = "cumsum"
    linear = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return _running_sum(x, self.axis)

    def generate_adjoints(self, adjoints, delta):
        # NOTE: the adjoint of a running sum is the running sum taken from the other end.
        flipped = np.flip(delta, axis=self.axis)
        adjoints[0] = np.flip(_running_sum(flipped, self.axis), axis=self.axis)


_RUNNING = {np.float16: np.float32, np.float32: np.float64}
"""The accumulator of a running sum, as torch's on the CPU: NumPy adds float16 and float32 in
their own dtype, so 3,000 float16 values of 0.1 summed to 256 and one overflowing entry made
every later one inf."""


def _running_sum(x, axis):
    wide = _RUNNING.get(x.dtype.type) if type(x) is ndarray else None
    if wide is None:  # (Tensors under create_graph: tensorgrad's cumsum, this op again)
        return np.cumsum(x, axis=axis)
    return _narrow(np.cumsum(x, axis=axis, dtype=wide), x.dtype.type)


class CumProd(Op):
    """running product along ``axis`` (exact derivatives of every order where entries are
    zero)"""

    __slots__ = ("axis",)
    label = "cumprod"
    save_inputs = (0,)
    save_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        # (float16 in float32 and float32 in float64, rounded once per entry, as torch's CPU
        # loop and cumsum: NumPy's float16 product of [300, 300, 0.001] was inf at the end)
        wide = _RUNNING.get(x.dtype.type)
        if wide is None:
            return np.cumprod(x, axis=self.axis)
        with np.errstate(over="ignore", under="ignore"):
            return _narrow(np.cumprod(x, axis=self.axis, dtype=wide), x.dtype.type)

    def generate_adjoints(self, adjoints, delta, x, out):
        # NOTE: d out_k / d x_j is the product of x_0..x_k but x_j (j <= k), so the adjoint at
        # j is out_{j-1} * S_j with S_j = delta_j + x_{j+1} S_{j+1}: a running sum from the
        # end whose terms are products, taken without dividing by x (exact at zeros)
        axis, dtype = self.axis, x.dtype
        if _plain(x, out, delta) and _normal(out):  # (no zero, inf, NaN or range lost: torch's)
            w = np.multiply(out, delta, dtype=_RUNNING.get(dtype.type, dtype))
            adjoints[0] = _narrow(np.flip(_running_sum(np.flip(w, axis), axis), axis) / x, dtype)
            return
        x, out, delta = _widened(axis, x, out, delta)
        steps = np.flip(_shifted(np.flip(x, axis), axis, 0), axis)  # (x_{j+1} at j)
        with _quiet_range(x):
            ahead = np.flip(_running_scan(np.flip(steps, axis), np.flip(delta, axis), axis), axis)
            adjoints[0] = _narrowed(_shifted(out, axis, 1) * ahead, dtype)

    def jvp(self, tangents, x, out):
        # the tangent t_k = x_k t_{k-1} + out_{k-1} u_k: a running sum of the same kind
        u, axis, dtype = tangents[0], self.axis, x.dtype
        if _plain(x, out, u) and _normal(out):
            return out * _running_sum(u / x, axis)
        x, out, u = _widened(axis, x, out, u)
        with _quiet_range(x):
            return _narrowed(_running_scan(x, _shifted(out, axis, 1) * u, axis), dtype)


def _plain(*values) -> bool:
    """Whether a rule runs on arrays alone (no Tensor among ``values``: nothing to record)."""
    return not any(isinstance(v, Tensor) for v in values)


def _widened(axis, x, out, *values):
    """A rule's arrays ``x``, ``out`` (cumprod's), ... in float32 for float16 ones (torch's
    accumulator), and in ``_wide``'s dtype where ``out`` left the range (a product that
    over- or underflowed: its parts may not, as 1e-200 * 1e-200 * 1e200); Tensors as they are."""
    values = (x, out, *values)
    if not _plain(*values):
        return values
    zeroed = np.logical_or.accumulate(x == 0, axis=axis)
    if not _normal(np.where(zeroed, 1, out)):  # (zeros that a zero in x made are exact)
        wide = _wide(x)
        with np.errstate(over="ignore", under="ignore"):  # (out again, in range there)
            return (wide, np.cumprod(wide, axis=axis), *(_wide(v) for v in values[2:]))
    if x.dtype.type is _HALF:
        return tuple(v.astype(np.float32) for v in values)
    return values


def _quiet_range(x):
    """``np.errstate`` for a running scan of arrays: its partial products may leave the range
    where the result does not (and are then not the result's terms); on Tensors as it is."""
    return np.errstate(over="ignore", under="ignore") if _plain(x) else contextlib.nullcontext()


def _narrowed(a, dtype):
    return _narrow(a, dtype) if type(a) is ndarray else a


def _span(x, axis, start, stop):
    """``x[start:stop]`` along ``axis``."""
    return x[(slice(None),) * axis + (slice(start, stop),)]


def _shifted(x, axis, fill):
    """``x`` moved one place on along ``axis``: ``fill`` first, the last entry dropped."""
    n = x.shape[axis]
    if n == 0:
        return x
    edge = _span(x, axis, 0, 1)
    first = np.full(edge.shape, fill, dtype=edge.dtype)
    return np.concatenate([first, _span(x, axis, 0, n - 1)], axis=axis)


def _running_scan(a, b, axis):
    """s_k = b_k + a_k s_{k-1} along ``axis`` (s_{-1} = 0): log2(n) steps that each join runs
    twice as long (s over the last 2d entries from those over d), of products and sums only, so
    that on Tensors it is recorded and its derivatives of every order are exact."""
    n = b.shape[axis]
    d = 1
    while d < n:
        early, late = _span(b, axis, 0, d), _span(b, axis, d, None)
        factor = _span(a, axis, d, None)
        b = np.concatenate([early, late + factor * _span(b, axis, 0, n - d)], axis=axis)
        if 2 * d < n:  # (the products of the last 2d a's, for the next step)
            a = np.concatenate([_span(a, axis, 0, d), factor * _span(a, axis, 0, n - d)], axis)
        d *= 2
    return b


# ----------------------------------------------------------------------------- public functions


def _ndim(x: Any) -> int:
    return np.ndim(x.data if isinstance(x, Tensor) else x)


def _check_keepdims(name: str, keepdims: Any) -> None:
    if isinstance(keepdims, Tensor) or not isinstance(keepdims, (bool, np.bool_, int)):
        raise TypeError(f"{name}: keepdims must be a bool, got {keepdims!r}")


def _reduce(cls, name, x, axis, keepdims, **params) -> Tensor:
    if type(keepdims) is not bool:
        _check_keepdims(name, keepdims)
        keepdims = bool(keepdims)
    if isinstance(x, Tensor):  # (the common case, one Tensor: its one-input path)
        ndim = x.data.ndim
        axes = tuple(range(ndim)) if axis is None else normalize_axis(axis, ndim, name)
        return apply1(cls(axis=axes, keepdims=keepdims, **params), x)
    if type(x) is not ndarray:  # (before its ndim: a ragged list refused under the op's name)
        check_args(name, x=x)
    axes = normalize_axis(axis, _ndim(x), name)
    return call(cls, x, axis=axes, keepdims=keepdims, **params)


def _nonempty(name: str, x: Any, axis: Any) -> None:
    if not isinstance(x, Tensor):
        check_args(name, x=x)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalize_axis(axis, data.ndim, name)
    if any(data.shape[a] == 0 for a in axes):  # (axis=() reduces nothing: fine, as NumPy)
        raise ValueError(f"{name}: zero-size reduction over axis {axis!r} of shape {data.shape}")


def in_dtype(fn: Any, a: Any, dtype: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(a, ...)`` with NumPy's ``dtype=`` of a reduction or ufunc: computed on ``a`` cast
    to ``dtype``, the result cast to it too. (Summing the cast values and casting the sums gives
    NumPy's result for every dtype, also those cumsum widens (int8) or does not add in (bool:
    a running or), but for float16 and float32 sums, which tensorgrad accumulates wider.)"""
    from tensorgrad.ops.arithmetic import astype

    if dtype is None:
        return fn(a, *args, **kwargs)
    out = fn(astype(a, dtype), *args, **kwargs)
    return out if out.dtype == np.dtype(dtype) else astype(out, dtype)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis`` (None: all)."""
    return _reduce(Sum, "sum", x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``; NaN over an empty axis (NumPy's warning included), as
    NumPy and torch, with a zero-size gradient."""
    return _reduce(Mean, "mean", x, axis, keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``; the gradient is exact where entries are zero."""
    return _reduce(Prod, "prod", x, axis, keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient equally."""
    _nonempty("max", x, axis)
    return _reduce(Max, "max", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient equally."""
    _nonempty("min", x, axis)
    return _reduce(Min, "min", x, axis, keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: float = 0) -> Tensor:
    """Variance over ``axis``: the squared deviations summed, over ``n - ddof`` (``ddof=0`` by
    default, as NumPy). With no degrees of freedom left (``ddof >= n``, an empty axis) it is
    inf or NaN, as NumPy and torch."""
    return _spread(Var, "var", x, axis, keepdims, ddof)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: float = 0) -> Tensor:
    """Standard deviation over ``axis`` (``ddof`` as ``var``'s); its gradient at zero spread is
    0, as torch's."""
    return _spread(Std, "std", x, axis, keepdims, ddof)


def _ddof_arg(ddof: Any, name: str) -> int | float:
    """``ddof`` checked (a finite real number, not a bool), an int where it is whole."""
    real = isinstance(ddof, (int, float, np.integer, np.floating)) and not isinstance(ddof, bool)
    if not real or not math.isfinite(ddof):
        raise TypeError(f"{name}: ddof must be a finite real number, got {ddof!r}")
    return int(ddof) if float(ddof).is_integer() else float(ddof)


def _spread(cls: type, name: str, x: Any, axis: Any, keepdims: bool, ddof: Any) -> Tensor:
    return _reduce(cls, name, x, axis, keepdims, ddof=_ddof_arg(ddof, name))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis`` without overflow; over all -inf, or over an empty axis,
    it is -inf (as torch), with gradient 0 (torch's is NaN there).

    Rows with +inf or NaN give torch's value and gradient exp(x - out): NaN at the +inf entries
    of a +inf row and across a NaN row, 0 at the other entries.
    """
    return _reduce(LogSumExp, "logsumexp", x, axis, keepdims)


def norm(x: Any, axis: Any = None, keepdims: bool = False, *, ord: Any = None) -> Tensor:
    """Norm over ``axis``; by default Euclidean (Frobenius over several axes), gradient 0 at 0.

    ``ord`` is ``np.linalg.norm``'s: over one axis (or a 1-D ``x``) a vector norm (2, inf, -inf,
    0, 1, any p); over two axes (or a 2-D ``x``) a matrix norm ('fro', 1, -1, inf, -inf, and from
    the singular values 2, -2, 'nuc', batched over the other axes, differentiable to second
    order). Tied maxima or minima, singular values included, share the gradient equally.
    """
    if not isinstance(x, Tensor):
        check_args("norm", x=x)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind in "biu":  # NumPy takes norms of ints and bools in float64 (no overflow)
        from tensorgrad.ops.arithmetic import astype

        x = astype(x, np.float64)
    if ord is None:
        return _reduce(Norm, "norm", x, axis, keepdims)
    _check_keepdims("norm", keepdims)
    if axis is None:
        if data.ndim not in (1, 2):
            raise ValueError(
                f"norm: ord={ord!r} needs a 1-D or 2-D x or an axis, got {data.ndim}-D"
            )
        axis = tuple(range(data.ndim))
    normalize_axis(axis, data.ndim, "norm")  # (types, bounds, repeats)
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    axes = [int(a) % data.ndim for a in axes]  # in the given order: (1, 0) is the transpose
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes[0])
    elif len(axes) == 2:
        out = _matrix_norm(x, ord, *axes)
    else:
        raise ValueError(f"norm: ord={ord!r} needs one or two axes, got axis={axis!r}")
    if keepdims:
        return out
    from tensorgrad.ops.shape import reshaped

    return reshaped(out, tuple(n for i, n in enumerate(out.shape) if i not in axes))


def _vector_norm(x: Any, ord: Any, axis: int) -> Tensor:
    """The vector norm of order ``ord`` along ``axis``, keeping it."""
    from tensorgrad.ops.arithmetic import astype, not_equal
    from tensorgrad.ops.elementwise import abs as absolute

    if isinstance(ord, str) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise ValueError(f"norm: invalid ord={ord!r} for vectors")
    if ord == 2:
        return call(Norm, x, axis=(axis,), keepdims=True)
    if ord == np.inf:
        return _largest(absolute(x), axis)
    if ord == -np.inf:
        shape = np.shape(x.data if isinstance(x, Tensor) else x)
        if shape[axis] == 0:  # (as NumPy: the smallest of no entries is undefined)
            raise ValueError(f"norm: ord=-inf over the empty axis {axis} of shape {shape}")
        return min(absolute(x), axis=axis, keepdims=True)
    if ord == 0:  # the count of nonzero entries: gradient 0, but recorded, as torch
        return sum(astype(not_equal(x, 0), x.dtype) * x**0, axis=axis, keepdims=True)
    if ord == 1:
        return sum(absolute(x), axis=axis, keepdims=True)
    from tensorgrad.ops.elementwise import where

    dtype = (x.data if isinstance(x, Tensor) else np.asarray(x)).dtype
    if dtype.kind == "f" and dtype.itemsize < 8:
        # (in float64 and rounded once: the rules below multiply by the row's scale before they
        # divide by it, which overflows float32 near its top, an inf gradient for 3e38 where the
        # slope is 1)
        return astype(_vector_norm(astype(x, np.float64), ord, axis), dtype)
    p = float(ord)  # (a NumPy scalar order must not upcast float32)
    # NOTE: taken as s * norm(|x| / s) with a constant s per row (the largest |x|; p < 0: the
    # smallest nonzero one), exact for a norm to every order: no power overflows or underflows
    # where the norm does not (in float32 |x|**3 did from 7e12, and the second derivative's
    # total**(1/p - 2) from 1e9).
    a = absolute(x)
    s = _norm_scale(a.data, axis, p)
    a = a / s
    # NOTE: as torch, a zero entry gets gradient 0 (not |x|**(p-1) * 0, NaN for p < 1), and so
    # does the zero vector (not an infinite slope of the root at 0): both powers are taken of
    # stand-ins (1) where they would be singular, and `where` drops those branches.
    nonzero = a.data != 0
    powered = where(nonzero, where(nonzero, a, 1.0) ** p, 0.0 if p > 0 else np.inf)
    total = sum(powered, axis=axis, keepdims=True)
    regular = total.data != 0  # (p < 0: total is 0 only over all-infinite entries: norm inf)
    safe = where(regular, total, 1.0)
    if 0 < p < 1:
        # (total reaches the row's length n, and n**(1/p) may overflow before s * brings it
        # back: then in logs, which costs a few ulps, so only then)
        with np.errstate(over="ignore"):
            overflows = not np.isfinite(safe.data ** (1 / p)).all()
        if overflows:
            from tensorgrad.ops.elementwise import exp, log

            return where(regular, exp(log(safe) / p + np.log(s)), 0.0)
    return s * where(regular, safe ** (1 / p), 0.0 if p > 0 else np.inf)


def _norm_scale(a: np.ndarray, axis: int, p: float) -> np.ndarray:
    """A p-norm's constant row scale: the largest of ``a`` (p < 0: the smallest nonzero), or 1
    where that is 0, infinite or NaN (the rows the norm's own cases decide)."""
    if p > 0:
        s = np.max(a, axis=axis, keepdims=True, initial=0)
    else:
        s = np.min(np.where(a != 0, a, np.inf), axis=axis, keepdims=True, initial=np.inf)
    return np.where(np.isfinite(s) & (s != 0), s, 1)


def _matrix_norm(x: Any, ord: Any, rows: int, cols: int) -> Tensor:
    """The matrix norm of order ``ord`` over axes ``rows`` and ``cols``, keeping them."""
    from tensorgrad.ops.elementwise import abs as absolute

    if ord == "fro":
        return call(Norm, x, axis=tuple(sorted((rows, cols))), keepdims=True)
    if ord == "nuc" or (not isinstance(ord, str) and ord in (2, -2)):
        return _singular_norm(x, ord, rows, cols)
    if isinstance(ord, str) or ord not in (1, -1, np.inf, -np.inf):
        raise ValueError(f"norm: invalid ord={ord!r} for matrices")
    # ord=+-1: extreme column sum (sum over rows); ord=+-inf: extreme row sum
    summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
    shape = np.shape(_data(x))
    if ord < 0 and shape[other] == 0:
        # (the smallest of no sums: NumPy raises too; its message names a minimum)
        raise ValueError(f"norm: ord={ord!r} of empty matrices of shape {shape}")
    sums = sum(absolute(x), axis=summed, keepdims=True)
    return _largest(sums, other) if ord > 0 else min(sums, axis=other, keepdims=True)


def _largest(a: Tensor, axis: int) -> Tensor:
    """The maximum of the non-negative ``a`` along ``axis``, kept; 0 along an empty axis, as
    NumPy's norms (its sum there: the same zeros, and a gradient of the input's shape)."""
    if a.shape[axis] == 0:
        return sum(a, axis=axis, keepdims=True)
    return max(a, axis=axis, keepdims=True)


def _singular_norm(x: Any, ord: Any, rows: int, cols: int) -> Tensor:
    """ord=2 (largest singular value), -2 (smallest), 'nuc' (their sum), keeping the axes."""
    from tensorgrad.ops.linalg import SingularValues
    from tensorgrad.ops.shape import moveaxis, reshaped

    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype not in (np.float32, np.float64):
        raise TypeError(f"norm: ord={ord!r} needs float32 or float64 x, got {data.dtype}")
    shape = list(data.shape)
    k = builtins.min(shape[rows], shape[cols])
    if k == 0 and ord == -2:
        raise ValueError(f"norm: ord=-2 of empty matrices of shape {data.shape}")
    try:
        s = call(SingularValues, moveaxis(x, (rows, cols), (-2, -1)))
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"norm: ord={ord!r}: the SVD of x failed ({exc}); is x finite?") from None
    # (the norm of an empty matrix is 0, as NumPy's)
    reduce = sum if ord == "nuc" or k == 0 else max if ord == 2 else min
    shape[rows] = shape[cols] = 1
    return reshaped(reduce(s, axis=-1), tuple(shape))


_CDIST_MODES = (
    "use_mm_for_euclid_dist_if_necessary",
    "use_mm_for_euclid_dist",
    "donot_use_mm_for_euclid_dist",
)


def cdist(
    x1: Any, x2: Any, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"
) -> Tensor:
    """The p-norm distance between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): (..., P, R), the leading axes broadcast, as torch's; ``p >= 0`` (0 counts the
    entries that differ, inf takes the largest difference). The norm of the differences
    (``norm``'s orders), so its gradients are torch's: 0 at zero distance, and at a zero
    difference for p < 1; second derivatives where the distance is not zero. p = 2 takes one
    matrix product, its close pairs recomputed from their differences (``compute_mode``
    'use_mm_for_euclid_dist': not recomputed, torch's rounding; 'donot_use_mm_for_euclid_dist':
    the differences' norms). Integers and bools are taken in float64, as ``norm`` takes them."""
    from tensorgrad._dtypes import to_tensor
    from tensorgrad.ops.arithmetic import astype
    from tensorgrad.ops.shape import expand_dims

    a, b = to_tensor(x1, "cdist", "x1"), to_tensor(x2, "cdist", "x2")
    real = isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool)
    if not real or isinstance(p, np.bool_):
        raise TypeError(f"cdist: p must be a real number, got {p!r}")
    if not p >= 0:  # (NaN too)
        raise ValueError(f"cdist: p must be non-negative, got {p!r}")
    shapes = f"x1 of shape {a.shape} and x2 of shape {b.shape}"
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cdist: x1 and x2 must be at least 2-D, got {shapes}")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"cdist: {shapes} must have the same number of columns (last axis)")
    if builtins.max(a.ndim, b.ndim) > 63:  # (as the differences' form: NumPy's limit of 64 axes)
        raise ValueError(f"cdist: x1 and x2 may have at most 63 dimensions, got {shapes}")
    # (NumPy's rule by hand: np.broadcast_shapes stops at 32 dimensions, its ufuncs at 64)
    if any(m != n and 1 not in (m, n) for m, n in zip(a.shape[-3::-1], b.shape[-3::-1])):
        raise ValueError(f"cdist: the leading axes of {shapes} do not broadcast")
    if a.dtype.kind in "biu":
        a = astype(a, np.float64)
    if b.dtype.kind in "biu":
        b = astype(b, np.float64)
    if compute_mode not in _CDIST_MODES:
        raise ValueError(
            f"cdist: compute_mode must be one of {', '.join(map(repr, _CDIST_MODES))}, "
            f"got {compute_mode!r}"
        )
    if p == 2 and compute_mode != _CDIST_MODES[2]:
        from tensorgrad.ops.distance import EuclideanCdist

        return call(EuclideanCdist, a, b, exact=compute_mode == _CDIST_MODES[0])
    return norm(expand_dims(a, -2) - expand_dims(b, -3), axis=-1, ord=float(p))


def _arg(fn, name, x, axis, keepdims):
    if not isinstance(x, Tensor):
        check_args(name, x=x)  # (else named after the op both share)
    _check_keepdims(name, keepdims)
    _nonempty(name, x, axis)
    if axis is not None:
        axis = normalize_axis(axis, _ndim(x), name)
        if len(axis) != 1:
            raise TypeError(f"{name}: axis must be None or an int")
        axis = axis[0]
    return call(_ArgExtreme, x, axis=axis, keepdims=bool(keepdims), fn=fn)


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Index of the (first) maximum, over the flattened tensor or along ``axis``; no gradient."""
    return _arg(np.argmax, "argmax", x, axis, keepdims)


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Index of the (first) minimum, over the flattened tensor or along ``axis``; no gradient."""
    return _arg(np.argmin, "argmin", x, axis, keepdims)


def cumsum(x: Any, axis: Any = None) -> Tensor:
    """Running sum along ``axis`` (None: over the flattened tensor, as NumPy)."""
    return _running(CumSum, "cumsum", x, axis)


def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Running product along ``axis`` (None: over the flattened tensor), in ``dtype`` if given
    (``x`` cast to it first), as NumPy's; its derivatives of every order are exact where
    entries are zero (products of the other entries, never a quotient by x)."""
    if dtype is not None and not isinstance(x, Tensor):
        check_args("cumprod", x=x)  # (else named after astype)
    return in_dtype(functools.partial(_running, CumProd, "cumprod"), x, dtype, axis)


def _running(cls: type, name: str, x: Any, axis: Any) -> Tensor:
    if axis is None:
        from tensorgrad.ops.shape import reshape

        check_args(name, x=x)  # (else named after reshape)
        return call(cls, reshape(x, -1), axis=0)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"{name}: axis must be None or an int, got {axis!r}")
    if not isinstance(x, Tensor):
        check_args(name, x=x)
    (ax,) = normalize_axis(axis, _ndim(x), name)
    return call(cls, x, axis=ax)
