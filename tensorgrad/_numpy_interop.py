"""NumPy protocols: ``np.exp(t)``, ``np.sum(t, axis=0)``, ``np.matmul(a, b)`` on Tensors.

Supported ufuncs and functions map to tensorgrad ops, so they return Tensors and stay
differentiable; anything else raises ``TypeError`` naming the function instead of silently
dropping the graph. The same tables let adjoint rules, written with NumPy calls, record a graph
when they are handed Tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad import ops
from tensorgrad._dtypes import _holds, check_dtype
from tensorgrad._shapes import normalize_int_axis
from tensorgrad.ops import arithmetic, decompositions, lapack, linalg_api
from tensorgrad.ops._base import _data as _plain  # (the data of a Tensor, else x itself)
from tensorgrad.ops.indexing import index_array
from tensorgrad.ops.reductions import in_dtype
from tensorgrad.ops.shape import cast_joined, clone
from tensorgrad.tensor import Tensor, carries_derivative


def _positive(x: Any) -> Tensor:
    """A copy, as NumPy's (which has no bool loop: refused as NumPy does)."""
    if np.asarray(_plain(x)).dtype.kind == "b":
        raise TypeError("positive: a bool tensor has no positive, as in NumPy")
    return clone(x)


UFUNCS: dict[np.ufunc, Callable[..., Any]] = {
    np.add: ops.add,
    np.subtract: ops.subtract,
    np.multiply: ops.multiply,
    np.divide: ops.divide,
    np.true_divide: ops.divide,
    np.power: ops.power,
    np.negative: ops.negative,
    np.positive: _positive,
    np.matmul: ops.matmul,
    np.exp: ops.exp,
    np.exp2: ops.exp2,
    np.expm1: ops.expm1,
    np.log: ops.log,
    np.log2: ops.log2,
    np.log10: ops.log10,
    np.log1p: ops.log1p,
    np.sqrt: ops.sqrt,
    np.cbrt: ops.cbrt,
    np.square: ops.square,
    np.reciprocal: ops.reciprocal,
    np.sin: ops.sin,
    np.cos: ops.cos,
    np.tan: ops.tan,
    np.arcsin: ops.arcsin,
    np.arccos: ops.arccos,
    np.arctan: ops.arctan,
    np.arctan2: ops.arctan2,
    np.hypot: ops.hypot,
    np.deg2rad: ops.deg2rad,
    np.radians: ops.radians,
    np.rad2deg: ops.rad2deg,
    np.degrees: ops.degrees,
    np.tanh: ops.tanh,
    np.sinh: ops.sinh,
    np.cosh: ops.cosh,
    np.arcsinh: ops.arcsinh,
    np.arccosh: ops.arccosh,
    np.arctanh: ops.arctanh,
    np.logaddexp: ops.logaddexp,
    np.logaddexp2: ops.logaddexp2,
    np.absolute: ops.abs,
    np.fabs: ops.fabs,
    np.sign: ops.sign,
    np.floor: ops.floor,
    np.ceil: ops.ceil,
    np.trunc: ops.trunc,
    np.rint: ops.rint,
    np.copysign: ops.copysign,
    np.heaviside: ops.heaviside,
    np.floor_divide: ops.floor_divide,
    np.remainder: ops.remainder,
    np.fmod: ops.fmod,
    np.float_power: ops.float_power,
    np.ldexp: ops.ldexp,
    np.divmod: lambda a, b: (ops.floor_divide(a, b), ops.remainder(a, b)),
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.less: ops.less,
    np.less_equal: ops.less_equal,
    np.greater: ops.greater,
    np.greater_equal: ops.greater_equal,
    np.equal: ops.equal,
    np.not_equal: ops.not_equal,
    np.logical_and: ops.logical_and,
    np.logical_or: ops.logical_or,
    np.logical_xor: ops.logical_xor,
    np.logical_not: ops.logical_not,
    np.invert: arithmetic.invert,
    np.bitwise_and: arithmetic.bitwise_and,
    np.bitwise_or: arithmetic.bitwise_or,
    np.bitwise_xor: arithmetic.bitwise_xor,
    np.isfinite: lambda x: _constant(np.isfinite, x),
    np.isnan: lambda x: _constant(np.isnan, x),
    np.isinf: lambda x: _constant(np.isinf, x),
}


def _on_data(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A NumPy function of the values only (a shape, a test): called on the plain data."""
    return lambda *args, **kwargs: fn(
        *map(_plain, args), **{k: _plain(v) for k, v in kwargs.items()}
    )


def _constant(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tensor:
    """A function with no gradient (a test or a count): computed on the data."""
    return Tensor._make(np.asarray(_on_data(fn)(*args, **kwargs)))


# NumPy's own defaults of the keywords tensorgrad does not take: given explicitly, they ask for
# nothing different, so they are accepted (np.add(t, 1, where=True) is np.add(t, 1))
_NUMPY_DEFAULTS = {"where": True, "casting": "same_kind", "order": "K", "subok": True}


def _shown(v: Any) -> str:
    """``v`` for an error message: arrays by shape (a ufunc's ``out`` is a tuple of them)."""
    if isinstance(v, (np.ndarray, Tensor)):
        return f"<array of shape {np.shape(v)}>"
    if isinstance(v, tuple) and any(isinstance(a, (np.ndarray, Tensor)) for a in v):
        return "(" + ", ".join(_shown(a) for a in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


class _ExtraArgument(TypeError):
    """A NumPy keyword a tensorgrad function does not take (``out=``, ``where=``...): on
    graph-free Tensors, NumPy itself computes the call on their values instead."""


def _no_extra(name: str, kwargs: dict, allowed: tuple[str, ...] = ()) -> None:
    for k, v in kwargs.items():
        if k in allowed:
            continue
        if v is None or v is np._NoValue:
            continue
        default = _NUMPY_DEFAULTS.get(k, np._NoValue)
        same_type = type(v) is type(default) or (type(default) is bool and type(v) is np.bool_)
        if same_type and v == default:
            continue
        shown = _shown(v)
        raise _ExtraArgument(f"np.{name} on a Tensor does not support the argument {k}={shown}")


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Dispatch ``ufunc(*inputs)`` to the matching tensorgrad op (and the float reductions
    ``np.add.reduce``, ``np.add.accumulate``, ``np.multiply.reduce``, ``np.maximum.reduce``,
    ``np.minimum.reduce`` to the tensorgrad reduction)."""
    if method in ("reduce", "accumulate") and len(inputs) == 1:
        try:
            reduced = _ufunc_reduction(ufunc, method, inputs[0], kwargs)
        except TypeError as exc:  # (one tensorgrad's reduction would compute differently)
            if _graph_free(inputs, kwargs):
                return _on_values(ufunc, method, inputs, kwargs)
            if isinstance(exc, _ExtraArgument):
                raise TypeError(str(exc)) from None
            raise
        if reduced is not None:
            return reduced
    if method == "at" and ufunc in (np.add, np.subtract) and isinstance(inputs[0], Tensor):
        from tensorgrad.ops.inplace import add_at

        # (NumPy has refused a missing b and keyword arguments before dispatching)
        add_at(*inputs, subtract=ufunc is np.subtract)
        return None
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None:
        if _graph_free(inputs, kwargs):
            return _on_values(ufunc, method, inputs, kwargs)
        what = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        raise TypeError(
            f"np.{what} is not supported on tensorgrad Tensors that require grad (it would "
            "drop the graph); use tensorgrad operations, or t.detach() for the plain values"
        )
    if kwargs:
        try:
            _no_extra(ufunc.__name__, {k: v for k, v in kwargs.items() if k != "dtype"})
            if ufunc in _TESTS:
                _no_extra(ufunc.__name__, kwargs)
        except _ExtraArgument as exc:
            if _graph_free(inputs, kwargs):  # (np.exp(t, out=a), a += t: NumPy's, on values)
                return _on_values(ufunc, method, inputs, kwargs)
            raise TypeError(str(exc)) from None
    dtype = kwargs.get("dtype") if ufunc not in _TESTS else None
    if dtype is None:
        return fn(*inputs)
    # NumPy's dtype=: the operands cast to it, and the result, where NumPy has the loop
    target = np.dtype(dtype)
    _check_loop(ufunc, inputs, target)
    operands = [_cast_operand(x, target) for x in inputs]
    if ufunc is np.ldexp:  # (its exponent stays an integer, as NumPy's loops take it)
        operands[1] = inputs[1]
    out = fn(*operands)
    if isinstance(out, tuple):  # (divmod's two results)
        return tuple(o if o.dtype == target else ops.astype(o, target) for o in out)
    return out if out.dtype == target else ops.astype(out, target)


_TESTS = {
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.isfinite, np.isnan, np.isinf,
}  # fmt: skip
"""The ufuncs whose result is bool whatever their inputs: NumPy has no loop for a dtype=."""


def _check_loop(ufunc: np.ufunc, inputs: tuple, target: np.dtype) -> None:
    """TypeError unless NumPy computes ``ufunc(*inputs, dtype=target)``: asked of NumPy itself
    on one-entry stand-ins of the operands (a Python number as it is, a weak scalar), so that
    its loops and its casting='same_kind' rule decide (np.exp has no integer loop)."""
    stand_ins = [
        np.zeros(1, np.asarray(_plain(x)).dtype)
        if isinstance(x, (Tensor, np.ndarray, np.generic))
        else x
        for x in inputs
    ]
    try:
        with np.errstate(all="ignore"):
            ufunc(*stand_ins, dtype=target)
    except (TypeError, ValueError) as exc:  # (UFuncTypeError is a TypeError)
        raise TypeError(f"np.{ufunc.__name__} with dtype={target}: {exc}") from None


def _cast_operand(x: Any, target: np.dtype) -> Any:
    """An operand of a ufunc with ``dtype=target`` cast to ``target``, a Python number too (as
    NumPy casts its operands before the loop: 2.5 is 2 for an integer loop, where NumPy
    allows that cast at all)."""
    if not isinstance(x, (Tensor, np.ndarray, np.generic)):
        return target.type(x)
    have = np.asarray(_plain(x)).dtype
    return x if have == target else ops.astype(x, target)


_UFUNC_REDUCTIONS = {
    "reduce": {np.add: ops.sum, np.multiply: ops.prod, np.maximum: ops.max, np.minimum: ops.min},
    "accumulate": {np.add: ops.cumsum, np.multiply: ops.cumprod},
}


def _ufunc_reduction(ufunc: np.ufunc, method: str, a: Any, kwargs: dict) -> Any:
    """``ufunc.reduce(a)`` or ``ufunc.accumulate(a)`` as a tensorgrad reduction (axis 0 by
    default, as NumPy's), or None when there is none. Only for float data: on ints and bools
    the ufunc keeps the input's dtype (np.add.reduce of bools is a logical or), where np.sum
    and so tensorgrad's sum promote."""
    fn = _UFUNC_REDUCTIONS[method].get(ufunc)
    if fn is None or not isinstance(a, Tensor):
        return None
    name = f"{ufunc.__name__}.{method}"
    if a.dtype.kind != "f":
        raise TypeError(
            f"np.{name} on a Tensor takes floating data, got {a.dtype} (on ints and bools the "
            "ufunc keeps their dtype, unlike np.sum): use tg.sum, tg.prod, tg.max, tg.min, "
            "tg.cumsum or tg.cumprod"
        )
    kw = dict(kwargs)
    axis = kw.pop("axis", 0)
    # (graph-free Tensors: a dtype= or a tuple axis is refused, and NumPy computes on the values
    # as before, its own result and errors; else a float dtype as np.sum's, an integer or
    # unreadable one refused by name below)
    dtype = kw.get("dtype")
    tuple_axis = method == "accumulate" and isinstance(axis, tuple)
    free = (dtype is not None or tuple_axis) and _graph_free((a,), kwargs)
    try:
        kind = None if dtype is None or free else np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind == "f":
        del kw["dtype"]
    else:
        dtype = None
    if method == "accumulate":
        _no_extra(name, kw)
        if tuple_axis:  # (NumPy's: one axis, as a 1-tuple too)
            if free:
                raise _ExtraArgument(f"np.{name} on a Tensor: axis={axis!r}")
            if len(axis) != 1:
                raise ValueError(f"np.{name}: accumulate does not allow multiple axes")
            axis = axis[0]
        if axis is None and a.ndim > 1:  # (cumsum and cumprod would flatten)
            raise ValueError(f"np.{name}: axis=None of a {a.ndim}-D tensor (NumPy refuses it)")
        return in_dtype(fn, a, dtype, axis=axis)
    keepdims = kw.pop("keepdims", False)
    _no_extra(name, kw)
    return in_dtype(fn, a, dtype, axis=axis, keepdims=bool(keepdims))


# ----------------------------------------------------------------------------- reductions
# Each wrapper has its NumPy function's signature, so positional arguments land where NumPy
# puts them (np.max has no dtype: np.max(t, 1, None, True) is keepdims=True).


def _keepdims(keepdims: Any) -> bool:
    return False if keepdims is np._NoValue else bool(keepdims)


def _trace(a: Any, offset: Any = 0, axis1: Any = 0, axis2: Any = 1, dtype: Any = None,
           out: Any = None) -> Tensor:  # fmt: skip
    """np.trace: (a, offset, axis1, axis2, dtype, out)."""
    _no_extra("trace", {"out": out})
    return ops.trace(a, offset, axis1, axis2, dtype)


def _reduction(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.sum, np.mean, np.prod: (a, axis, dtype, out, keepdims, initial, where)."""

    def wrapped(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        _no_extra(name, {"out": out, "initial": initial, "where": where})
        return in_dtype(fn, a, dtype, axis=axis, keepdims=_keepdims(keepdims))

    return wrapped


def _extreme(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.max, np.min: (a, axis, out, keepdims, initial, where), no dtype."""

    def wrapped(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        _no_extra(name, {"out": out, "initial": initial, "where": where})
        return fn(a, axis=axis, keepdims=_keepdims(keepdims))

    return wrapped


def _ddof_or_correction(name: str, ddof: Any, kwargs: dict) -> Any:
    """``ddof``, or NumPy 2's name for it, ``correction``, popped from ``kwargs``."""
    correction = kwargs.pop("correction", np._NoValue)
    if correction is np._NoValue:
        return ddof
    if ddof != 0:
        raise ValueError(f"np.{name}: ddof and correction cannot both be given")
    return correction


def _var(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def wrapped(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        ddof: int = 0,
        keepdims: Any = False,
        **kwargs: Any,
    ) -> Any:
        if dtype is not None and np.dtype(dtype).kind != "f":
            # (NumPy takes the deviations in the input's dtype and sums them in an integer
            # one: tensorgrad computes in the given dtype, so only floating ones agree; on
            # graph-free Tensors NumPy computes it, as for other arguments)
            raise _ExtraArgument(f"np.{name} on a Tensor: dtype must be floating, got {dtype!r}")
        ddof = _ddof_or_correction(name, ddof, kwargs)
        _no_extra(name, {"out": out, **kwargs})
        if dtype is not None:
            # (in the wider of the data's dtype and the one asked for, then rounded to it: a
            # float32 variance of float64 data from its float32 cast lost the deviations, as
            # NumPy's does not; integers in float64, as tensorgrad's var takes them)
            have = a.dtype if isinstance(a, Tensor) else np.asarray(a).dtype
            work = np.promote_types(have if have.kind == "f" else np.float64, dtype)
            out = in_dtype(fn, a, work, axis=axis, keepdims=_keepdims(keepdims), ddof=ddof)
            return out if out.dtype == np.dtype(dtype) else ops.astype(out, dtype)
        return fn(a, axis=axis, keepdims=_keepdims(keepdims), ddof=ddof)

    return wrapped


def _arg(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.argmax, np.argmin: (a, axis, out, *, keepdims)."""

    def wrapped(a, axis=None, out=None, *, keepdims=False):
        _no_extra(name, {"out": out})
        return fn(a, axis, _keepdims(keepdims))

    return wrapped


def _cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
    _no_extra("cumsum", {"out": out})
    return in_dtype(ops.cumsum, a, dtype, axis)


def _cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
    _no_extra("cumprod", {"out": out})
    return ops.cumprod(a, axis, dtype)


# ----------------------------------------------------------------------------- statistics
# NumPy's signatures, positional arguments where NumPy puts them; ``overwrite_input`` only lets
# NumPy reuse its input's memory, which tensorgrad never writes to, so it is accepted as read.


def _nan_reduction(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.nansum, np.nanprod, np.nanmean: (a, axis, dtype, out, keepdims, initial, where)."""

    def wrapped(a, axis=None, dtype=None, out=None, keepdims=np._NoValue, initial=None,
                where=None):  # fmt: skip
        _no_extra(name, {"out": out, "initial": initial, "where": where})
        return fn(a, axis, dtype, keepdims=_keepdims(keepdims))

    return wrapped


def _nan_running(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.nancumsum, np.nancumprod: (a, axis, dtype, out)."""

    def wrapped(a, axis=None, dtype=None, out=None):
        _no_extra(name, {"out": out})
        return fn(a, axis, dtype)

    return wrapped


def _nan_spread(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.nanvar, np.nanstd: (a, axis, dtype, out, ddof, keepdims, *, where, mean,
    correction)."""

    def wrapped(a, axis=None, dtype=None, out=None, ddof=0, keepdims=np._NoValue, **kwargs):
        ddof = _ddof_or_correction(name, ddof, kwargs)
        _no_extra(name, {"out": out, **kwargs})
        return fn(a, axis, dtype, ddof=ddof, keepdims=_keepdims(keepdims))

    return wrapped


def _nan_extreme(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.nanmax, np.nanmin: (a, axis, out, keepdims, initial, where); np.ptp: (a, axis,
    out, keepdims)."""

    def wrapped(a, axis=None, out=None, keepdims=np._NoValue, initial=None, where=None):
        _no_extra(name, {"out": out, "initial": initial, "where": where})
        return fn(a, axis, keepdims=_keepdims(keepdims))

    return wrapped


def _nan_arg(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.nanargmax, np.nanargmin: (a, axis, out, *, keepdims)."""

    def wrapped(a, axis=None, out=None, *, keepdims=np._NoValue):
        _no_extra(name, {"out": out})
        return fn(a, axis, keepdims=_keepdims(keepdims))

    return wrapped


def _median(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.median, np.nanmedian: (a, axis, out, overwrite_input, keepdims)."""

    def wrapped(a, axis=None, out=None, overwrite_input=False, keepdims=np._NoValue):
        _no_extra(name, {"out": out})
        return fn(a, axis, keepdims=_keepdims(keepdims))

    return wrapped


def _quantile(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.quantile, np.percentile and their NaN forms: (a, q, axis, out, overwrite_input,
    method, keepdims, *, weights)."""

    def wrapped(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=np._NoValue, *, weights=None, **kwargs):  # fmt: skip
        # (weights, NumPy's weighted inverted_cdf, and the old interpolation=: on graph-free
        # Tensors NumPy's own function computes them)
        _no_extra(name, {"out": out, "weights": weights, **kwargs})
        return fn(a, q, axis, method=method, keepdims=_keepdims(keepdims))

    return wrapped


def _average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *,
             keepdims: Any = np._NoValue) -> Any:  # fmt: skip
    return ops.average(a, axis, weights, returned, keepdims=_keepdims(keepdims))


# ----------------------------------------------------------------------------- norm


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """np.linalg.norm: every vector and matrix order NumPy has, as tensorgrad's ``norm`` (which
    takes integers in float64, as NumPy)."""
    return ops.norm(x, axis=axis, keepdims=keepdims, ord=ord)


# ----------------------------------------------------------------------------- shape


def _order(a: Any, order: Any, name: str) -> str:
    """NumPy's index order as 'C' or 'F' ('A': 'F' only for Fortran-contiguous data)."""
    o = "C" if order is None else order.upper() if isinstance(order, str) else order
    if o == "A" or (o == "K" and name == "ravel"):
        data = np.asarray(_plain(a))
        flags = data.flags
        if o == "K" and not (flags.c_contiguous or flags.f_contiguous):
            if any(st == 0 and n > 1 for st, n in zip(data.strides, data.shape)):
                # (NumPy's order for broadcast axes is its iterator's own)
                raise ValueError(f"np.{name} on a Tensor: order='K' of broadcast data")
            return "K"  # (the axes in the order of their strides: ``_ravel``)
        return "F" if flags.f_contiguous and not flags.c_contiguous else "C"
    if o not in ("C", "F"):
        raise ValueError(f"np.{name} on a Tensor: order must be 'C', 'F' or 'A', got {order!r}")
    return o


def _reshape(a: Any, shape: Any = None, order: Any = "C", **kwargs: Any) -> Tensor:
    shape = kwargs.pop("newshape", shape)
    copy = kwargs.pop("copy", None)  # (NumPy 2.1+)
    _no_extra("reshape", kwargs)
    if _order(a, order, "reshape") == "C":
        out = ops.reshape(a, shape)
    else:  # Fortran order is C order on the reversed axes
        reversed_shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)[::-1]
        out = ops.transpose(ops.reshape(ops.transpose(a), reversed_shape))
    if copy:
        return clone(out)
    if copy is False and out.size and not np.may_share_memory(out.data, _plain(a)):
        raise ValueError("np.reshape: copy=False, but this reshape needs a copy")
    return out


def _ravel(a: Any, order: Any = "C") -> Tensor:
    o = _order(a, order, "ravel")
    if o == "C":
        out = ops.reshape(a, -1)
    elif o == "K":  # NumPy's memory order: axes by decreasing |stride|, each read as it runs
        strides = np.asarray(_plain(a)).strides
        axes = sorted(range(len(strides)), key=lambda i: -abs(strides[i]))
        out = ops.reshape(ops.transpose(a, axes), -1)
    else:
        out = ops.reshape(ops.transpose(a), -1)
    data = np.asarray(_plain(a))
    if np.may_share_memory(out.data, data) and not np.may_share_memory(
        np.ravel(data, order=order), data
    ):  # (NumPy copies where its data is not contiguous in that order; a reshape views)
        out = clone(out)
    return out


def _joined(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """np.concatenate, np.stack: (arrays, axis, out, *, dtype, casting)."""

    def wrapped(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
        _no_extra(name, {"out": out})
        return fn(cast_joined(list(arrays), dtype, casting, f"np.{name}"), axis)

    return wrapped


def _take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Tensor:
    _no_extra("take", {"out": out})
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"np.take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    data = np.asarray(_plain(a))
    ind = index_array(indices, "take")
    if ind.dtype.kind == "b":  # (np.take reads bools as the indices 0 and 1, not as a mask)
        ind = ind.astype(np.intp)
    n = data.size if axis is None else data.shape[normalize_int_axis(axis, data.ndim, "take")]
    if mode != "raise" and n and ind.dtype.kind in "iu":
        ind = ind % n if mode == "wrap" else np.clip(ind, 0, n - 1)
    return ops.take(a, ind, axis)


def _einsum(*operands: Any, out: Any = None, optimize: Any = False, **kwargs: Any) -> Tensor:
    # (optimize only changes the contraction order; order only the output's memory layout)
    if kwargs.get("casting") == "safe":
        del kwargs["casting"]
    _no_extra("einsum", {"out": out, **kwargs}, allowed=("order",))
    return ops.einsum(*operands)


def _pad(a: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Tensor:
    constant_values = kwargs.pop("constant_values", 0)
    _no_extra("pad", kwargs)
    if callable(mode) or mode in _NUMPY_ONLY_PAD_MODES:
        # (on graph-free Tensors, NumPy's own np.pad computes it)
        raise _ExtraArgument(f"np.pad on a Tensor does not support mode={mode!r}")
    return ops.pad(a, pad_width, mode, constant_values)


_NUMPY_ONLY_PAD_MODES = ("linear_ramp", "maximum", "mean", "median", "minimum", "empty")


def _put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> None:
    """np.put_along_axis into a Tensor: ``arr[index] = values`` (``setitem``: recorded, the
    version counter bumped, refused on a leaf that requires grad, as ``t[index] = v``), the
    index NumPy's, ``indices`` along ``axis`` and an arange along each other axis (None: the
    flattened ``arr``, C order)."""
    from tensorgrad.ops.inplace import setitem

    if not isinstance(arr, Tensor):  # (a Tensor among the other arguments: NumPy's, on values)
        raise _ExtraArgument("np.put_along_axis writes into arr, which is not a Tensor")
    ind = index_array(indices, "put_along_axis")
    if ind.dtype.kind not in "iu":
        raise IndexError(f"np.put_along_axis: indices must be integers, got dtype {ind.dtype}")
    if axis is None:
        if ind.ndim != 1:
            raise ValueError(
                f"np.put_along_axis: with axis=None, indices must be 1-D, got shape {ind.shape}"
            )
        if ind.size and (ind.min() < -arr.size or ind.max() >= arr.size):
            raise IndexError(
                f"np.put_along_axis: an index of {ind.tolist()!r:.60} is out of bounds for "
                f"the {arr.size} entries of arr"
            )
        setitem(arr, np.unravel_index(ind % max(arr.size, 1), arr.shape), values)
        return
    ax = normalize_int_axis(axis, arr.ndim, "np.put_along_axis")
    if ind.ndim != arr.ndim:
        raise ValueError(
            f"np.put_along_axis: indices of shape {ind.shape} and arr of shape {arr.shape} must "
            "have as many dimensions"
        )
    index = tuple(
        ind if i == ax else np.arange(n).reshape([-1 if j == i else 1 for j in range(arr.ndim)])
        for i, n in enumerate(arr.shape)
    )
    setitem(arr, index, values)


# ----------------------------------------------------------------------------- the rest


def _like(fill: float, name: str) -> Callable[..., Any]:
    def like(a: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
        _no_extra(name, kwargs)
        data = np.asarray(_plain(a))
        dtype = data.dtype if dtype is None else check_dtype(dtype, f"np.{name}")
        return Tensor._make(np.full(data.shape, fill, dtype=dtype))

    return like


def _nonzero(a: Any) -> tuple[np.ndarray, ...]:
    return tuple(np.nonzero(_plain(a)))


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None and y is None:  # NumPy: the indices of the true entries, as np.nonzero
        return _nonzero(condition)
    if x is None or y is None:
        raise ValueError("np.where: either both or neither of x and y should be given")
    return ops.where(condition, x, y)


def _clip(a: Any, a_min: Any = np._NoValue, a_max: Any = np._NoValue, out: Any = None, **kwargs):
    # NumPy 2.1+ also takes the bounds as min= and max= (never both spellings at once)
    lo, hi = kwargs.pop("min", np._NoValue), kwargs.pop("max", np._NoValue)
    _no_extra("clip", {"out": out, **kwargs})
    if a_min is np._NoValue and a_max is np._NoValue:
        a_min, a_max = (None if v is np._NoValue else v for v in (lo, hi))
    elif a_min is np._NoValue or a_max is np._NoValue:
        raise TypeError("np.clip: give both a_min and a_max, or the keywords min= and max=")
    elif lo is not np._NoValue or hi is not np._NoValue:
        raise ValueError("np.clip: min= and max= cannot be given with a_min and a_max")
    if a_min is None and a_max is None:  # (NumPy 2.1+: a copy)
        return clone(a)
    return ops.clip(a, a_min, a_max)


def _round(a: Any, decimals: int = 0, out: Any = None) -> Any:
    """np.round, np.around: functions in NumPy 2, not ufuncs."""
    _no_extra("round", {"out": out})
    return ops.round(a, decimals)


def _fix(x: Any, out: Any = None) -> Any:
    """np.fix: a function, not a ufunc."""
    _no_extra("fix", {"out": out})
    return ops.fix(x)


def _nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Tensor:
    """np.nan_to_num: a new tensor (a tensor is not rewritten in place: copy=False refused)."""
    if copy is not True:
        raise TypeError(
            "np.nan_to_num: copy=False (in place) is not supported on tensorgrad Tensors; use "
            "the returned tensor"
        )
    return ops.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.round: _round,
    np.around: _round,
    np.fix: _fix,
    np.sinc: ops.sinc,
    np.i0: ops.i0,
    np.sum: _reduction(ops.sum, "sum"),
    np.mean: _reduction(ops.mean, "mean"),
    np.prod: _reduction(ops.prod, "prod"),
    np.max: _extreme(ops.max, "max"),
    np.amax: _extreme(ops.max, "amax"),
    np.min: _extreme(ops.min, "min"),
    np.amin: _extreme(ops.min, "amin"),
    np.var: _var(ops.var, "var"),
    np.std: _var(ops.std, "std"),
    np.argmax: _arg(ops.argmax, "argmax"),
    np.argmin: _arg(ops.argmin, "argmin"),
    np.cumsum: _cumsum,
    np.cumprod: _cumprod,
    np.nansum: _nan_reduction(ops.nansum, "nansum"),
    np.nanprod: _nan_reduction(ops.nanprod, "nanprod"),
    np.nanmean: _nan_reduction(ops.nanmean, "nanmean"),
    np.nancumsum: _nan_running(ops.nancumsum, "nancumsum"),
    np.nancumprod: _nan_running(ops.nancumprod, "nancumprod"),
    np.nanvar: _nan_spread(ops.nanvar, "nanvar"),
    np.nanstd: _nan_spread(ops.nanstd, "nanstd"),
    np.nanmax: _nan_extreme(ops.nanmax, "nanmax"),
    np.nanmin: _nan_extreme(ops.nanmin, "nanmin"),
    np.ptp: _nan_extreme(ops.ptp, "ptp"),
    np.nanargmax: _nan_arg(ops.nanargmax, "nanargmax"),
    np.nanargmin: _nan_arg(ops.nanargmin, "nanargmin"),
    np.median: _median(ops.median, "median"),
    np.nanmedian: _median(ops.nanmedian, "nanmedian"),
    np.quantile: _quantile(ops.quantile, "quantile"),
    np.nanquantile: _quantile(ops.nanquantile, "nanquantile"),
    np.percentile: _quantile(ops.percentile, "percentile"),
    np.nanpercentile: _quantile(ops.nanpercentile, "nanpercentile"),
    np.average: _average,
    np.cov: ops.cov,
    np.corrcoef: ops.corrcoef,
    np.inner: ops.inner,
    np.vdot: ops.vdot,
    np.vander: ops.vander,
    np.convolve: ops.convolve,
    np.correlate: ops.correlate,
    np.interp: ops.interp,
    np.linalg.norm: _norm,
    np.linalg.inv: lapack.inv,
    np.linalg.solve: lapack.solve,
    np.linalg.det: lapack.det,
    np.linalg.slogdet: lapack.slogdet,
    np.linalg.cholesky: lapack.cholesky,
    np.linalg.eigh: lapack.eigh,
    np.linalg.eigvalsh: lapack.eigvalsh,
    np.linalg.matrix_power: lapack.matrix_power,
    np.linalg.multi_dot: lapack.multi_dot,
    np.linalg.svd: decompositions.svd,
    np.linalg.qr: decompositions.qr,
    np.linalg.pinv: decompositions.pinv,
    np.linalg.lstsq: decompositions.lstsq,
    np.linalg.cond: linalg_api.cond,
    np.linalg.matrix_rank: linalg_api.matrix_rank,
    np.linalg.tensorinv: linalg_api.tensorinv,
    np.linalg.tensorsolve: linalg_api.tensorsolve,
    # (NumPy 2's array API functions)
    np.linalg.svdvals: decompositions.svdvals,
    np.linalg.vector_norm: linalg_api.vector_norm,
    np.linalg.matrix_norm: linalg_api.matrix_norm,
    np.linalg.matrix_transpose: linalg_api.matrix_transpose,
    np.linalg.vecdot: linalg_api.vecdot,
    np.linalg.cross: linalg_api.cross,
    np.linalg.diagonal: linalg_api.diagonal,
    np.linalg.trace: linalg_api.trace,
    np.linalg.outer: linalg_api.outer,
    np.linalg.matmul: ops.matmul,
    np.linalg.tensordot: lambda x1, x2, /, *, axes=2: ops.tensordot(x1, x2, axes),
    np.diagonal: ops.diagonal,
    np.diag: ops.diag,
    np.trace: _trace,
    np.tril: ops.tril,
    np.triu: ops.triu,
    np.reshape: _reshape,
    np.ravel: _ravel,
    np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.swapaxes: ops.swapaxes,
    np.moveaxis: ops.moveaxis,
    np.expand_dims: ops.expand_dims,
    np.squeeze: ops.squeeze,
    np.broadcast_to: lambda a, shape, subok=False: ops.broadcast_to(a, shape),
    np.concatenate: _joined(ops.concatenate, "concatenate"),
    np.stack: _joined(ops.stack, "stack"),
    np.split: ops.split,
    np.array_split: ops.array_split,
    np.hsplit: ops.hsplit,
    np.vsplit: ops.vsplit,
    np.dsplit: ops.dsplit,
    np.hstack: ops.hstack,
    np.vstack: ops.vstack,  # (np.row_stack, deprecated, calls it)
    np.dstack: ops.dstack,
    np.column_stack: ops.column_stack,
    np.atleast_1d: ops.atleast_1d,
    np.atleast_2d: ops.atleast_2d,
    np.atleast_3d: ops.atleast_3d,
    np.broadcast_arrays: ops.broadcast_arrays,
    np.meshgrid: ops.meshgrid,
    np.append: ops.append,
    np.insert: ops.insert,
    np.delete: ops.delete,
    np.roll: ops.roll,
    np.rot90: ops.rot90,
    np.diff: ops.diff,
    np.ediff1d: ops.ediff1d,
    np.trapezoid: ops.trapezoid,
    np.tril_indices_from: ops.tril_indices_from,
    np.triu_indices_from: ops.triu_indices_from,
    np.diag_indices_from: ops.diag_indices_from,
    np.put_along_axis: _put_along_axis,
    np.pad: _pad,
    np.flip: ops.flip,
    np.tile: ops.tile,
    np.repeat: ops.repeat,
    np.take: _take,
    np.take_along_axis: ops.take_along_axis,
    np.sort: ops.sort,
    np.argsort: ops.argsort,
    np.dot: ops.dot,
    np.outer: ops.outer,
    np.kron: ops.kron,
    np.tensordot: ops.tensordot,
    np.einsum: _einsum,
    np.where: _where,
    np.clip: _clip,
    np.zeros_like: _like(0.0, "zeros_like"),
    np.ones_like: _like(1.0, "ones_like"),
    np.shape: _on_data(np.shape),
    np.ndim: _on_data(np.ndim),
    np.size: _on_data(np.size),
    np.result_type: _on_data(np.result_type),
    np.all: lambda *args, **kwargs: _constant(np.all, *args, **kwargs),
    np.any: lambda *args, **kwargs: _constant(np.any, *args, **kwargs),
    np.count_nonzero: lambda *args, **kwargs: _constant(np.count_nonzero, *args, **kwargs),
    np.nonzero: _nonzero,
    np.allclose: _on_data(np.allclose),
    np.isclose: lambda *args, **kwargs: _constant(np.isclose, *args, **kwargs),
    np.array_equal: _on_data(np.array_equal),
    np.nan_to_num: _nan_to_num,
    np.isposinf: lambda *args, **kwargs: _constant(np.isposinf, *args, **kwargs),
    np.isneginf: lambda *args, **kwargs: _constant(np.isneginf, *args, **kwargs),
}


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy function called on Tensors to the matching tensorgrad function."""
    fn = FUNCTIONS.get(func)
    if fn is None:
        if _graph_free(args, kwargs):
            # no graph or tangent to drop: NumPy's function on the plain values, as on a torch
            # tensor (np.median, np.histogram, matplotlib's calls...)
            return _call_on_values(func, args, kwargs)
        name = getattr(func, "__name__", repr(func))
        module = getattr(func, "__module__", "numpy") or "numpy"
        # (numpy.fft, numpy.linalg, numpy.random...: the public submodule, not numpy._core)
        public = [p for p in module.split(".")[1:] if not p.startswith("_")]
        prefix = "np." + "".join(p + "." for p in public)
        raise TypeError(
            f"{prefix}{name} is not supported on tensorgrad Tensors that require grad (it would "
            "drop the graph); use tensorgrad operations, or t.detach() for the plain values"
        )
    try:
        return fn(*args, **kwargs)
    except TypeError as exc:
        # a keyword tensorgrad's function does not take (np.sum's where=, np.dot's out=): on
        # graph-free Tensors NumPy's own function on the values, as for the unsupported ones
        extra = isinstance(exc, _ExtraArgument) or "unexpected keyword argument" in str(exc)
        if not extra:
            raise
        if _graph_free(args, kwargs):
            return _call_on_values(func, args, kwargs)
        if isinstance(exc, _ExtraArgument):
            raise TypeError(str(exc)) from None
        raise TypeError(f"np.{func.__name__} on a Tensor: {exc}") from None


def _values(values: tuple) -> tuple:
    """``values`` with every Tensor, also inside lists and tuples, replaced by a read-only view
    of its array (a function that writes into an argument, np.copyto or out=, must fail: the
    write would bypass the tensor's version counter)."""
    return tuple(
        _read_only(v.data)
        if isinstance(v, Tensor)
        else type(v)(_values(tuple(v)))
        if isinstance(v, (list, tuple)) and type(v) in (list, tuple)
        else v
        for v in values
    )


def _call_on_values(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``fn`` called with every Tensor argument, keyword ones too, as its values (``_values``)."""
    return fn(*_values(args), **dict(zip(kwargs, _values(tuple(kwargs.values())))))


def _graph_free(inputs: tuple, kwargs: dict) -> bool:
    """Whether no argument carries a gradient's graph or a tangent that NumPy would drop."""
    return not _holds((inputs, list(kwargs.values())), carries_derivative)


def _on_values(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """NumPy's own ufunc on the values of graph-free Tensors, as on a torch tensor (np.cbrt,
    np.spacing, np.add.reduce of bools, np.add.at into an ndarray; a write into a Tensor fails:
    its values are read-only views); the result as Tensors, but an ``out=`` array itself."""
    if method == "at" and isinstance(inputs[0], Tensor):
        # (NumPy 2.4's ufunc.at writes into a read-only array: refused here by name)
        raise ValueError(
            f"np.{ufunc.__name__}.at would write into a Tensor in place, past its version "
            "counter (read-only); use tensorgrad operations"
        )
    result = _call_on_values(getattr(ufunc, method), inputs, kwargs)
    return result if "out" in kwargs else _as_tensors(result)


def _as_tensors(result: Any) -> Any:
    """A ufunc's result as Tensors (as the supported ufuncs give), a tuple of them in turn."""
    if isinstance(result, tuple):
        return tuple(map(_as_tensors, result))
    return result if result is None else Tensor._make(np.asarray(result))


def _read_only(a: np.ndarray) -> np.ndarray:
    view = a.view()
    view.flags.writeable = False
    return view
