"""One check that a tensorgrad function agrees with its NumPy namesake on one call: the same
results (shapes, dtypes, values), or an error where NumPy raises one, of a kind NumPy's is
(ValueError, TypeError or IndexError; NumPy's AxisError is both of the first and last; any of
them for NumPy's ZeroDivisionError)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import tensorgrad as tg

KINDS = (ValueError, TypeError, IndexError)

with warnings.catch_warnings():
    # (NumPy 2.0 and 2.1 cast a bool obj to integers, with a FutureWarning; 2.2 takes a mask)
    warnings.simplefilter("ignore", FutureWarning)
    NUMPY_INSERT_MASKS = np.insert(np.zeros(2), np.array([True, False]), 1).shape == (3,)


def numpy_insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    """np.insert, a bool ``obj`` taken as a mask on every NumPy (2.2's rule and tg.insert's)."""
    if not NUMPY_INSERT_MASKS and not isinstance(obj, slice) and np.asarray(obj).dtype == bool:
        if np.ndim(obj) != 1:
            raise ValueError("boolean array argument obj to insert must be one dimensional")
        obj = np.flatnonzero(obj)
    return np.insert(arr, obj, values, axis)


def _raw(x: Any) -> Any:
    """What NumPy is given: each Tensor's array, in lists and tuples too."""
    if isinstance(x, tg.Tensor):
        return x.data
    if type(x) in (list, tuple):
        return type(x)(_raw(v) for v in x)
    return x


def _compare(got: Any, want: Any, what: str) -> None:
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want), f"{what}: a {type(got)}, NumPy gives a {type(want)}"
        assert len(got) == len(want), f"{what}: {len(got)} results, NumPy gives {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, f"{what}[{i}]")
        return
    assert isinstance(got, tg.Tensor), f"{what}: {type(got).__name__}, not a Tensor"
    want = np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, NumPy gives {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, NumPy gives {want.dtype}"
    np.testing.assert_array_equal(got.data, want, err_msg=what)


def agree(fn: Callable[..., Any], ref: Callable[..., Any], args: tuple, **kwargs: Any) -> bool:
    """Whether NumPy's ``ref`` returned, given the arrays of ``args`` and ``kwargs`` (then
    ``fn(*args, **kwargs)`` must return the same), after checking that ``fn`` raises where
    ``ref`` raises."""
    what = f"{getattr(fn, '__name__', fn)}{args!r:.200} {kwargs!r:.100}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = ref(*_raw(args), **_raw(kwargs))
        except (*KINDS, ZeroDivisionError) as exc:
            # (a ZeroDivisionError, NumPy's split into 0 sections: any of the three)
            kinds = tuple(k for k in KINDS if isinstance(exc, k)) or KINDS
            try:
                out = fn(*args, **kwargs)
            except kinds:
                return False
            except KINDS as mine:
                raise AssertionError(f"{what}: {mine!r}, NumPy raises {exc!r}") from None
            raise AssertionError(f"{what}: returned {out!r}, NumPy raises {exc!r}") from exc
    _compare(fn(*args, **kwargs), expected, what)
    return True
