"""Tests of values (``isnan``, ``isinf``, ``isfinite``, ``isposinf``, ``isneginf``, ``isclose``,
``allclose``), bool results with no gradient, and ``nan_to_num``, whose gradient passes where
the input is finite."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._shapes import broadcast_shapes
from tensorgrad.ops._base import Op, _data, apply, call
from tensorgrad.tensor import Tensor, flag_arg, make_tensor

__all__ = [
    "isnan",
    "isinf",
    "isfinite",
    "isposinf",
    "isneginf",
    "isclose",
    "allclose",
    "nan_to_num",
]


class _Test(Op):
    """An elementwise test: a bool result, no gradient."""

    differentiable = False
    test: Any = None

    def forward(self, x):
        return self.test(x)


def _test(fn: Any, doc: str) -> Any:
    cls = type(fn.__name__.title(), (_Test,), {"test": staticmethod(fn), "label": fn.__name__})

    def public(x: Any) -> Tensor:
        return call(cls, x)

    public.__name__ = fn.__name__
    public.__doc__ = f"Whether each entry {doc}, as a bool tensor (no gradient)."
    return public


isnan = _test(np.isnan, "is NaN")
isinf = _test(np.isinf, "is +inf or -inf")
isfinite = _test(np.isfinite, "is neither inf nor NaN")
isposinf = _test(np.isposinf, "is +inf")
isneginf = _test(np.isneginf, "is -inf")


def _scalar(value: Any, arg: str, where: str) -> None:
    """TypeError unless ``value`` is a Python or NumPy int or float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {arg} must be a number, got {value!r}")


def _tolerances(name: str, rtol: Any, atol: Any, equal_nan: Any) -> None:
    _scalar(rtol, "rtol", name)
    _scalar(atol, "atol", name)
    flag_arg(equal_nan, "equal_nan", name)


class IsClose(Op):
    """|a - b| <= atol + rtol |b| (NumPy's, not symmetric), a bool result, no gradient"""

    __slots__ = ("rtol", "atol", "equal_nan")
    differentiable = False
    label = "isclose"

    def __init__(self, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
        self.rtol, self.atol, self.equal_nan = rtol, atol, equal_nan

    def forward(self, a, b):
        return np.isclose(a, b, rtol=self.rtol, atol=self.atol, equal_nan=self.equal_nan)


def isclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Whether each pair is within ``atol + rtol * |b|`` (NumPy's and torch's defaults), as a
    bool tensor (no gradient); NaNs equal only with ``equal_nan``."""
    _tolerances("isclose", rtol, atol, equal_nan)
    op = IsClose(float(rtol), float(atol), bool(equal_nan))
    try:
        out = apply(op, (a, b))
    except ValueError:
        broadcast_shapes(np.shape(_data(a)), np.shape(_data(b)), op="isclose")  # (names both)
        raise
    return out if isinstance(out, Tensor) else make_tensor(np.asarray(out))


def allclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether ``isclose`` holds for every pair (a Python bool, as torch's)."""
    _tolerances("allclose", rtol, atol, equal_nan)
    return bool(np.all(isclose(a, b, rtol, atol, equal_nan).data))


class NanToNum(Op):
    """x with NaN, +inf and -inf replaced (by 0, the dtype's largest and its lowest unless
    given); the gradient passes where x is finite"""

    __slots__ = ("nan", "posinf", "neginf")
    save_inputs = (0,)
    label = "nan_to_num"

    def __init__(self, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> None:
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        return np.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta * np.isfinite(x)

    def jvp(self, tangents, x):
        return tangents[0] * np.isfinite(x)


def nan_to_num(x: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Tensor:
    """NaN, +inf and -inf in ``x`` replaced by ``nan``, ``posinf`` and ``neginf`` (None: the
    dtype's largest and lowest finite values), as NumPy's and torch's; the gradient is 1 where
    ``x`` is finite, else 0; integer data comes back unchanged."""
    _scalar(nan, "nan", "nan_to_num")
    for arg, value in (("posinf", posinf), ("neginf", neginf)):
        if value is not None:
            _scalar(value, arg, "nan_to_num")
    return call(NanToNum, x, nan=nan, posinf=posinf, neginf=neginf)
