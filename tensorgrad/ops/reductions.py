"""Reductions: sum mean prod max min var std logsumexp norm argmax argmin cumsum.

Every reduction takes ``axis`` (None, an int or a tuple) and ``keepdims`` as NumPy does. Rules
put the reduced axes back with ``_expand`` so that the output adjoint broadcasts against the input.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tensorgrad._shapes import expand_to, normalize_axis
from tensorgrad.ops._base import Op, call
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

    def _divisor(self, out, shape):
        """``out`` put back to ``shape``, with 1 where it is 0: dividing by it gives the 0
        gradient at zero that ``norm`` (the zero vector) and ``std`` (no spread) promise."""
        full = self._expand(out, shape)
        zero = (full.data if isinstance(full, Tensor) else full) == 0
        return np.where(zero, 1, full)


# ----------------------------------------------------------------------------- sum, mean


class Sum(_Reduction):
    """sum over ``axis``"""

    linear = True

    def forward(self, x):
        return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims)  # np.sum, minus a layer

    def generate_adjoints(self, adjoints, delta):
        shape = self.in_shape(0)
        adjoints[0] = expand_to(self._expand(delta, shape), shape)


class Mean(_Reduction):
    """mean over ``axis``"""

    linear = True

    def forward(self, x):
        return np.mean(x, axis=self.axis, keepdims=self.keepdims)

    def generate_adjoints(self, adjoints, delta):
        shape = self.in_shape(0)
        n = _count(shape, self.axis)
        adjoints[0] = expand_to(self._expand(delta, shape) / builtins.max(n, 1), shape)


# ----------------------------------------------------------------------------- prod


def _prod_others(x, axis):
    # NOTE: the product of all other entries along the reduced axes, exact with zeros: the
    # reduced axes are flattened into one of length n, and an n x n copy with the diagonal
    # replaced by 1 is multiplied out (O(n^2), used only when x has zeros).
    keep = [a for a in range(x.ndim) if a not in axis]
    moved = np.transpose(x, keep + list(axis))
    lead = moved.shape[: len(keep)]
    n = _count(x.shape, axis)
    flat = np.reshape(moved, lead + (1, n))
    eye = np.eye(n, dtype=bool)
    others = np.prod(np.where(eye, 1, flat), axis=-1)  # (..., n)
    back = np.reshape(others, lead + tuple(x.shape[a] for a in axis))
    inverse = np.argsort(keep + list(axis))
    return np.transpose(back, tuple(int(i) for i in inverse))


class Prod(_Reduction):
    """product over ``axis`` (exact gradient when entries are zero)"""

    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        return np.prod(x, axis=self.axis, keepdims=self.keepdims)

    def _slope(self, x, out):
        data = x.data if isinstance(x, Tensor) else x
        if np.all(data != 0):
            return self._expand(out, data.shape) / x
        return _prod_others(x, self.axis)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._slope(x, out)

    def jvp(self, tangents, x, out):
        return np.sum(tangents[0] * self._slope(x, out), axis=self.axis, keepdims=self.keepdims)


# ----------------------------------------------------------------------------- max, min


class _Extreme(_Reduction):
    save_inputs = (0,)
    save_output = True

    def _share(self, x, out):
        # NOTE: tied extremes share the gradient equally (autograd's convention, API.md); a
        # NaN extreme is the NaN entries' (NaN == NaN is false: they would share 0 / 0).
        full = self._expand(out, x.shape)
        hit = (x == full) | ((full != full) & (x != x))
        return hit / np.sum(hit, axis=self.axis, keepdims=True)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._share(x, out)

    def jvp(self, tangents, x, out):
        return np.sum(tangents[0] * self._share(x, out), axis=self.axis, keepdims=self.keepdims)


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
        return np.var(x, axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)

    def _slope(self, x):
        n = _count(x.shape, self.axis) - self.ddof
        return (x - np.mean(x, axis=self.axis, keepdims=True)) * (2.0 / n)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = self._expand(delta, x.shape) * self._slope(x)

    def jvp(self, tangents, x):
        return np.sum(tangents[0] * self._slope(x), axis=self.axis, keepdims=self.keepdims)


class Std(Var):
    """standard deviation over ``axis`` with ``ddof``; its gradient at zero spread is 0 (as
    torch's, and ``norm``'s at the zero vector)"""

    save_output = True

    def forward(self, x):
        return np.std(x, axis=self.axis, keepdims=self.keepdims, ddof=self.ddof)

    def _std_slope(self, x, out):
        return self._slope(x) / (2 * self._divisor(out, x.shape))

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._std_slope(x, out)

    def jvp(self, tangents, x, out):
        return np.sum(tangents[0] * self._std_slope(x, out), axis=self.axis, keepdims=self.keepdims)


# ----------------------------------------------------------------------------- logsumexp, norm


def _finite_max(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


class LogSumExp(_Reduction):
    """log(sum(exp(x))) over ``axis``, computed without overflow; all -inf gives -inf, grad 0"""

    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        m = _finite_max(x, self.axis)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True)) + m
        return out if self.keepdims else np.squeeze(out, axis=self.axis)

    def _weights(self, x, out):
        # NOTE: softmax weights exp(x - out); where out is -inf (all entries -inf) they are 0.
        full = self._expand(out, x.shape)
        finite = np.isfinite(full.data if isinstance(full, Tensor) else full)
        return np.where(finite, np.exp(x - np.where(finite, full, 0)), 0)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._weights(x, out)

    def jvp(self, tangents, x, out):
        return np.sum(tangents[0] * self._weights(x, out), axis=self.axis, keepdims=self.keepdims)


class Norm(_Reduction):
    """Euclidean (Frobenius) norm over ``axis``; its gradient at the zero vector is 0"""

    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        return np.sqrt(np.sum(np.square(x), axis=self.axis, keepdims=self.keepdims))

    def _slope(self, x, out):
        return x / self._divisor(out, x.shape)

    def generate_adjoints(self, adjoints, delta, x, out):
        adjoints[0] = self._expand(delta, x.shape) * self._slope(x, out)

    def jvp(self, tangents, x, out):
        return np.sum(tangents[0] * self._slope(x, out), axis=self.axis, keepdims=self.keepdims)


# ----------------------------------------------------------------------------- argmax, cumsum


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
    linear = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return np.cumsum(x, axis=self.axis)

    def generate_adjoints(self, adjoints, delta):
        # NOTE: the adjoint of a running sum is the running sum taken from the other end.
        flipped = np.flip(delta, axis=self.axis)
        adjoints[0] = np.flip(np.cumsum(flipped, axis=self.axis), axis=self.axis)


# ----------------------------------------------------------------------------- public functions


def _ndim(x: Any) -> int:
    return np.ndim(x.data if isinstance(x, Tensor) else x)


def _reduce(cls, name, x, axis, keepdims, **params) -> Tensor:
    if isinstance(keepdims, Tensor) or not isinstance(keepdims, (bool, np.bool_, int)):
        raise TypeError(f"{name}: keepdims must be a bool, got {keepdims!r}")
    axes = normalize_axis(axis, _ndim(x), name)
    return call(cls, x, axis=axes, keepdims=bool(keepdims), **params)


def _nonempty(name: str, x: Any, axis: Any) -> None:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    axes = normalize_axis(axis, data.ndim, name)
    if any(data.shape[a] == 0 for a in axes):  # (axis=() reduces nothing: fine, as NumPy)
        raise ValueError(f"{name}: zero-size reduction over axis {axis!r} of shape {data.shape}")


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis`` (None: all)."""
    return _reduce(Sum, "sum", x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    _nonempty("mean", x, axis)
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


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis`` (``ddof=0`` by default, as NumPy)."""
    return _spread(Var, "var", x, axis, keepdims, ddof)


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation over ``axis``; its gradient at zero spread is 0, as torch's."""
    return _spread(Std, "std", x, axis, keepdims, ddof)


def _spread(cls: type, name: str, x: Any, axis: Any, keepdims: bool, ddof: Any) -> Tensor:
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    n = _count(data.shape, normalize_axis(axis, data.ndim, name))
    if not isinstance(ddof, (int, np.integer)) or not 0 <= ddof < n:
        raise ValueError(f"{name}: ddof must be an int in [0, {n}) for {n} elements, got {ddof!r}")
    return _reduce(cls, name, x, axis, keepdims, ddof=int(ddof))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis`` without overflow; over all -inf it is -inf, gradient 0."""
    _nonempty("logsumexp", x, axis)
    return _reduce(LogSumExp, "logsumexp", x, axis, keepdims)


def norm(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Euclidean norm over ``axis`` (Frobenius for several axes); gradient 0 at the zero vector."""
    return _reduce(Norm, "norm", x, axis, keepdims)


def _arg(fn, name, x, axis, keepdims):
    if isinstance(keepdims, Tensor) or not isinstance(keepdims, (bool, np.bool_, int)):
        raise TypeError(f"{name}: keepdims must be a bool, got {keepdims!r}")
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
    if axis is None:
        from tensorgrad.ops.shape import reshape

        return call(CumSum, reshape(x, -1), axis=0)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, (bool, np.bool_)):
        raise TypeError(f"cumsum: axis must be None or an int, got {axis!r}")
    (ax,) = normalize_axis(axis, _ndim(x), "cumsum")
    return call(CumSum, x, axis=ax)
