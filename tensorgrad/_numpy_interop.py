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
from tensorgrad.tensor import Tensor

UFUNCS: dict[np.ufunc, Callable[..., Any]] = {
    np.add: ops.add,
    np.subtract: ops.subtract,
    np.multiply: ops.multiply,
    np.divide: ops.divide,
    np.true_divide: ops.divide,
    np.power: ops.power,
    np.negative: ops.negative,
    np.positive: lambda x: x,
    np.matmul: ops.matmul,
    np.exp: ops.exp,
    np.expm1: ops.expm1,
    np.log: ops.log,
    np.log1p: ops.log1p,
    np.sqrt: ops.sqrt,
    np.square: ops.square,
    np.reciprocal: ops.reciprocal,
    np.sin: ops.sin,
    np.cos: ops.cos,
    np.tan: ops.tan,
    np.arcsin: ops.arcsin,
    np.arccos: ops.arccos,
    np.arctan: ops.arctan,
    np.tanh: ops.tanh,
    np.sinh: ops.sinh,
    np.cosh: ops.cosh,
    np.absolute: ops.abs,
    np.sign: ops.sign,
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
    np.invert: ops.logical_not,
    np.bitwise_and: ops.logical_and,
    np.bitwise_or: ops.logical_or,
    np.isfinite: lambda x: _constant(np.isfinite, x),
    np.isnan: lambda x: _constant(np.isnan, x),
    np.isinf: lambda x: _constant(np.isinf, x),
}


def _constant(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Tensor:
    """A function with no gradient (a test or a count): computed on the data."""
    plain = [a.data if isinstance(a, Tensor) else a for a in args]
    return Tensor._make(np.asarray(fn(*plain, **kwargs)))


def _no_extra(name: str, kwargs: dict, allowed: tuple[str, ...] = ()) -> None:
    for k, v in kwargs.items():
        if k in allowed:
            continue
        if v is None or (k == "keepdims" and v is np._NoValue):
            continue
        raise TypeError(f"np.{name} on a Tensor does not support the argument {k}={v!r}")


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Dispatch ``ufunc(*inputs)`` to the matching tensorgrad op."""
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None:
        what = ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}"
        raise TypeError(
            f"np.{what} is not supported on tensorgrad Tensors (it would drop the graph); "
            "use tensorgrad operations or np.asarray(t) for the plain values"
        )
    if kwargs:
        _no_extra(ufunc.__name__, kwargs)
    return fn(*inputs)


def _reduction(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    def wrapped(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        keepdims: Any = False,
        **kwargs: Any,
    ) -> Any:
        _no_extra(name, {"dtype": dtype, "out": out, **kwargs}, ())
        return fn(a, axis=axis, keepdims=bool(keepdims) if keepdims is not np._NoValue else False)

    return wrapped


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
        _no_extra(name, {"dtype": dtype, "out": out, **kwargs})
        return fn(a, axis=axis, keepdims=bool(keepdims), ddof=ddof)

    return wrapped


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    if ord not in (None, 2, "fro") or (ord == 2 and isinstance(axis, tuple) and len(axis) > 1):
        raise TypeError(f"np.linalg.norm on a Tensor supports only the 2-norm, got ord={ord!r}")
    return ops.norm(x, axis=axis, keepdims=keepdims)


def _like(fill: float) -> Callable[..., Any]:
    def like(a: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
        _no_extra("zeros_like", kwargs)
        data = a.data if isinstance(a, Tensor) else np.asarray(a)
        return Tensor._make(np.full(data.shape, fill, dtype=dtype or data.dtype))

    return like


def _where(cond: Any, a: Any = None, b: Any = None) -> Any:
    if a is None and b is None:
        return _constant(np.nonzero, cond)
    return ops.where(cond, a, b)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kwargs: Any) -> Any:
    _no_extra("clip", {"out": out, **kwargs})
    return ops.clip(a, a_min, a_max)


def _shape_fn(name: str) -> Callable[..., Any]:
    return lambda a: getattr(np, name)(a.data if isinstance(a, Tensor) else a)


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: _reduction(ops.sum, "sum"),
    np.mean: _reduction(ops.mean, "mean"),
    np.prod: _reduction(ops.prod, "prod"),
    np.max: _reduction(ops.max, "max"),
    np.amax: _reduction(ops.max, "amax"),
    np.min: _reduction(ops.min, "min"),
    np.amin: _reduction(ops.min, "amin"),
    np.var: _var(ops.var, "var"),
    np.std: _var(ops.std, "std"),
    np.argmax: lambda a, axis=None, out=None, keepdims=False: ops.argmax(a, axis, keepdims),
    np.argmin: lambda a, axis=None, out=None, keepdims=False: ops.argmin(a, axis, keepdims),
    np.cumsum: lambda a, axis=None, dtype=None, out=None: ops.cumsum(a, axis),
    np.linalg.norm: _norm,
    np.reshape: lambda a, shape=None, order="C", **kw: ops.reshape(a, kw.get("newshape", shape)),
    np.ravel: lambda a, order="C": ops.reshape(a, -1),
    np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.swapaxes: ops.swapaxes,
    np.moveaxis: ops.moveaxis,
    np.expand_dims: ops.expand_dims,
    np.squeeze: ops.squeeze,
    np.broadcast_to: lambda a, shape, subok=False: ops.broadcast_to(a, shape),
    np.concatenate: lambda arrays, axis=0, out=None, **kw: ops.concatenate(arrays, axis),
    np.stack: lambda arrays, axis=0, out=None, **kw: ops.stack(arrays, axis),
    np.split: ops.split,
    np.pad: lambda a, pad_width, mode="constant", constant_values=0: ops.pad(
        a, pad_width, mode, constant_values
    ),
    np.flip: ops.flip,
    np.tile: ops.tile,
    np.repeat: ops.repeat,
    np.take: lambda a, indices, axis=None, out=None, mode="raise": ops.take(a, indices, axis),
    np.matmul: ops.matmul,
    np.dot: ops.dot,
    np.outer: ops.outer,
    np.tensordot: ops.tensordot,
    np.einsum: lambda subscripts, *operands, optimize=False, **kw: ops.einsum(
        subscripts, *operands
    ),
    np.where: _where,
    np.clip: _clip,
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.zeros_like: _like(0.0),
    np.ones_like: _like(1.0),
    np.shape: _shape_fn("shape"),
    np.ndim: _shape_fn("ndim"),
    np.size: _shape_fn("size"),
    np.result_type: lambda *a: np.result_type(*(x.data if isinstance(x, Tensor) else x for x in a)),
    np.isfinite: lambda x: _constant(np.isfinite, x),
    np.all: lambda a, axis=None, **kw: _constant(np.all, a, axis=axis, **kw),
    np.any: lambda a, axis=None, **kw: _constant(np.any, a, axis=axis, **kw),
    np.count_nonzero: lambda a, axis=None, **kw: _constant(np.count_nonzero, a, axis=axis, **kw),
    np.nonzero: lambda a: tuple(np.nonzero(a.data if isinstance(a, Tensor) else a)),
    np.allclose: lambda a, b, **kw: np.allclose(
        *(x.data if isinstance(x, Tensor) else x for x in (a, b)), **kw
    ),
    np.isclose: lambda a, b, **kw: _constant(np.isclose, a, b, **kw),
    np.array_equal: lambda a, b, **kw: np.array_equal(
        *(x.data if isinstance(x, Tensor) else x for x in (a, b)), **kw
    ),
}


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """Dispatch a NumPy function called on Tensors to the matching tensorgrad function."""
    fn = FUNCTIONS.get(func)
    if fn is None:
        name = getattr(func, "__name__", repr(func))
        module = getattr(func, "__module__", "numpy") or "numpy"
        prefix = "np.linalg." if "linalg" in module else "np."
        raise TypeError(
            f"{prefix}{name} is not supported on tensorgrad Tensors (it would drop the graph); "
            "use tensorgrad operations or np.asarray(t) for the plain values"
        )
    return fn(*args, **kwargs)
