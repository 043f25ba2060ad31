"""Normalisation: layer_norm, batch_norm and group_norm, built on one fused ``Standardize`` op
(group_norm of float32 and float64 on its own ``GroupNorm`` op, with the affine folded in).

``Standardize`` maps x to (x - mean) / sqrt(var + eps) over some axes (biased variance, as torch
normalises). Its Jacobian is symmetric, rstd * (I - 1/n - xhat xhat^T / n) along the reduced
axes, so the adjoint and the tangent rule are the same formula. The rule reads the saved output
xhat and recomputes rstd from the saved input, so under ``create_graph`` both are differentiable
functions of x and higher derivatives are exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, half_in_float32, is_half, to_tensor
from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import Op
from tensorgrad.ops.linalg import _mm
from tensorgrad.tensor import Tensor, constant_arg, flag_arg, number_arg

__all__ = ["layer_norm", "batch_norm", "group_norm", "rms_norm", "instance_norm"]


class Standardize(Op):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance)"""

    __slots__ = ("axes", "eps", "stats")
    save_inputs = (0,)
    save_output = True
    frees = ("stats",)

    def __init__(self, axes: tuple[int, ...], eps: float) -> None:
        self.axes = axes
        self.eps = eps

    @half_in_float32  # (a square overflows float16 at 256)
    def forward(self, x):
        if x.size == 0:  # (nothing to normalise: no NumPy warnings of empty means, as torch)
            empty = x.sum(axis=self.axes, keepdims=True) * 1.0
            self.stats = (empty, empty)
            return x * 1.0
        mean = x.mean(axis=self.axes, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=self.axes, keepdims=True)
        self.stats = (mean, var)  # read by batch_norm for the running statistics
        return centred / np.sqrt(var + self.eps)

    def _rule(self, v, x, xhat):
        if is_half(x):  # (as the forward)
            f32 = np.float32
            return self._rule(v.astype(f32), x.astype(f32), xhat.astype(f32)).astype(np.float16)
        if x.size == 0:
            return v * 1.0  # (a derivative of no entries)
        stats = getattr(self, "stats", None)
        if type(x) is np.ndarray and stats is not None and stats[1].dtype == x.dtype:
            # (the forward's variance: the same operations on the same x, the same bits, and
            # four passes over x fewer)
            var = stats[1]
        else:  # (on Tensors: a function of x, so that higher derivatives are exact)
            centred = x - np.mean(x, axis=self.axes, keepdims=True)
            var = np.mean(centred * centred, axis=self.axes, keepdims=True)
        rstd = 1 / np.sqrt(var + self.eps)
        mean_v = np.mean(v, axis=self.axes, keepdims=True)
        mean_vx = np.mean(v * xhat, axis=self.axes, keepdims=True)
        return rstd * (v - mean_v - xhat * mean_vx)

    def generate_adjoints(self, adjoints, delta, x, xhat):
        adjoints[0] = self._rule(delta, x, xhat)

    def jvp(self, tangents, x, xhat):
        return self._rule(tangents[0], x, xhat)


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(np.shape(x.data if isinstance(x, Tensor) else x))


def _dtype(x: Any) -> np.dtype:
    return x.dtype if isinstance(x, (Tensor, np.ndarray)) else np.asarray(x).dtype


def _normalized_shape(value: Any, op: str = "layer_norm") -> tuple[int, ...]:
    """``op``'s ``normalized_shape`` as a tuple of ints (1.5 and True refused, not read as
    1)."""
    if type(value) is tuple and all(type(n) is int for n in value):
        return value  # (a layer's own, checked when it was made)
    from tensorgrad.ops.shape import _ints

    try:
        return _ints((value,) if isinstance(value, (int, np.integer)) else value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{op}: normalized_shape must be an int or a sequence of ints, got {value!r}"
        ) from None


def _standardize(x: Any, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Standardize]:
    from tensorgrad.ops._base import apply

    op = Standardize(axes=axes, eps=float(eps))
    out = apply(op, (x,))
    return (out if isinstance(out, Tensor) else Tensor._make(np.asarray(out))), op


def layer_norm(
    input: Any,
    normalized_shape: int | Sequence[int],
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` axes, then scale by ``weight`` and shift
    by ``bias`` (both of shape ``normalized_shape``), as torch's ``layer_norm``."""
    check_args("layer_norm", ("weight", "bias"), input=input, weight=weight, bias=bias)
    ns = _normalized_shape(normalized_shape)
    shape = _shape(input)
    if not ns or len(ns) > len(shape) or shape[len(shape) - len(ns) :] != ns:
        raise ValueError(
            f"layer_norm: input of shape {shape} does not end with normalized_shape {ns}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and _shape(p) != ns:
            raise ValueError(f"layer_norm: {name} must have shape {ns}, got {_shape(p)}")
    axes = tuple(range(len(shape) - len(ns), len(shape)))
    y, _ = _standardize(input, axes, number_arg(eps, "eps", "layer_norm"))
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def _trailing_axes(input: Any, normalized_shape: Any, params: dict, op: str) -> tuple:
    """The axes of ``input`` that ``normalized_shape`` (checked) names, its last ones; each of
    ``params`` (name: value or None) must have that shape."""
    ns = _normalized_shape(normalized_shape, op)
    shape = _shape(input)
    if not ns or len(ns) > len(shape) or shape[len(shape) - len(ns) :] != ns:
        raise ValueError(f"{op}: input of shape {shape} does not end with normalized_shape {ns}")
    for name, p in params.items():
        if p is not None and _shape(p) != ns:
            raise ValueError(f"{op}: {name} must have shape {ns}, got {_shape(p)}")
    return tuple(range(len(shape) - len(ns), len(shape)))


def rms_norm(
    input: Any,
    normalized_shape: int | Sequence[int],
    weight: Any = None,
    eps: float | None = None,
) -> Tensor:
    """x / sqrt(mean(x**2) + eps) over the trailing ``normalized_shape`` axes, times ``weight``
    (of shape ``normalized_shape``), as torch's ``rms_norm``: ``eps=None`` is the machine
    epsilon of the computation's type (float64's for float64, float32's for float32 and
    float16, which is computed in float32 and rounded once); the result has the input's dtype
    (integers: float64). A composition of recorded ops, so every order of derivative and
    forward mode follow."""
    from tensorgrad.ops.arithmetic import astype
    from tensorgrad.ops.elementwise import sqrt
    from tensorgrad.ops.reductions import mean

    check_args("rms_norm", ("weight",), input=input, weight=weight)
    input = to_tensor(input, "rms_norm")
    axes = _trailing_axes(input, normalized_shape, {"weight": weight}, "rms_norm")
    if eps is not None:
        eps = number_arg(eps, "eps", "rms_norm")
    dtype = _dtype(input)
    out_dtype = dtype if dtype.kind in "fc" else np.dtype(np.float64)
    work = np.float32 if out_dtype.type is np.float16 else out_dtype.type
    x = input if dtype == work else astype(input, work)
    if eps is None:
        eps = float(np.finfo(np.float64 if work is np.float64 else np.float32).eps)
    y = x * (1 / sqrt(mean(x * x, axis=axes, keepdims=True) + eps))  # (one full-size product)
    if weight is not None:
        y = y * weight
    return y if y.dtype == out_dtype else astype(y, out_dtype)


def _check_running(running_mean: Any, running_var: Any, c: int, training: bool, op: str) -> None:
    """Check ``op``'s running statistics (both or neither; Tensors or arrays of shape (C,),
    floating and writable if ``training`` writes them), before either is written."""
    if (running_mean is None) != (running_var is None):  # (as torch: one alone is refused)
        raise ValueError(f"{op}: running_mean and running_var must both be None or neither be None")
    for name, p in (("running_mean", running_mean), ("running_var", running_var)):
        if p is None:
            continue
        if not isinstance(p, (Tensor, np.ndarray)):  # (they are written in place: as torch)
            raise TypeError(f"{op}: {name} must be a Tensor or an ndarray, got {type(p).__name__}")
        if _shape(p) != (c,):
            raise ValueError(f"{op}: {name} must have shape ({c},), got {_shape(p)}")
        data = constant_arg(p, name, op)  # (statistics, never differentiated: as torch)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{op}: {name} must hold numbers, got dtype {data.dtype}")
        if training and data.dtype.kind != "f":  # (averages written into ints: truncated)
            raise TypeError(
                f"{op}: {name} has dtype {data.dtype}, and training writes averages into it in "
                "place: it must be floating"
            )
        if training and not data.flags.writeable:  # (refused before either is written)
            raise ValueError(f"{op}: {name} is read-only, and training updates it in place")


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (axis 1) of an (N, C, ...) tensor, as torch's ``batch_norm``.

    ``training=True`` uses the batch statistics (biased variance) and, when running statistics
    are given, updates them in place: ``running = (1 - momentum) * running + momentum * batch``,
    with the *unbiased* batch variance for ``running_var``, as torch. ``training=False`` uses
    the running statistics as constants. Integer and bool input is normalised in float64
    (as ``layer_norm``; torch refuses it).
    """
    from tensorgrad.ops.arithmetic import astype

    check_args("batch_norm", ("weight", "bias"), input=input, weight=weight, bias=bias)
    training = flag_arg(training, "training", "batch_norm")
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...), got shape {shape}")
    if (input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype).kind in "biu":
        input = astype(input, np.float64)  # (else the eval scale would be cast to integers)
    c = shape[1]
    bshape = (1, c) + (1,) * (len(shape) - 2)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and _shape(p) != (c,):
            raise ValueError(f"batch_norm: {name} must have shape ({c},), got {_shape(p)}")
    _check_running(running_mean, running_var, c, training, "batch_norm")
    eps = number_arg(eps, "eps", "batch_norm")
    momentum = number_arg(momentum, "momentum", "batch_norm")
    if training and eps <= 0:  # (as torch: a batch's variance can be 0; NaN is taken, as torch)
        raise ValueError(f"batch_norm: eps must be positive during training, got {eps!r}")
    if eps < 0:
        raise ValueError(f"batch_norm: eps must be non-negative, got {eps!r}")
    if training:
        axes = (0,) + tuple(range(2, len(shape)))
        count = int(np.prod([shape[a] for a in axes]))
        if count == 0:  # nothing to normalise: an empty output, running statistics unchanged
            from tensorgrad.ops.arithmetic import multiply

            return _affine(multiply(input, 0.0), weight, bias, bshape)
        if count == 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"shape {shape}"
            )
        y, op = _standardize(input, axes, eps)
        if (running_mean is not None or running_var is not None) and not STATE.replay:
            _update_running(op.stats, running_mean, running_var, momentum, count)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: training=False needs running_mean and running_var")
        mean = np.asarray(running_mean.data if isinstance(running_mean, Tensor) else running_mean)
        var = np.asarray(running_var.data if isinstance(running_var, Tensor) else running_var)
        dtype = input.dtype if isinstance(input, Tensor) else np.asarray(input).dtype
        half = dtype.type is np.float16
        if half:  # (in float32 and rounded once, as torch: x - mean overflows float16)
            dtype = np.dtype(np.float32)
            input = astype(input, dtype)
            var = var.astype(dtype)
        scale = (1 / np.sqrt(var + eps)).astype(dtype, copy=False).reshape(bshape)
        y = (input - mean.astype(dtype, copy=False).reshape(bshape)) * scale
        if not isinstance(y, Tensor):
            y = Tensor._make(np.asarray(y))
        if half:  # (the affine step in float32 too, rounded once, as torch; wider parameters
            # give their dtype, as the training path's promotion does)
            out = _affine(y, weight, bias, bshape)
            wide = [
                np.asarray(p.data if isinstance(p, Tensor) else p).dtype
                for p in (weight, bias)
                if p is not None
            ]
            return astype(out, np.result_type(np.float16, *wide))
    return _affine(y, weight, bias, bshape)


def _affine(y: Tensor, weight: Any, bias: Any, bshape: tuple) -> Tensor:
    from tensorgrad.ops.shape import reshape_operand

    if weight is not None:
        y = y * reshape_operand(weight, bshape)
    if bias is not None:
        y = y + reshape_operand(bias, bshape)
    return y


def _update_running(stats: tuple, running_mean: Any, running_var: Any, momentum: float, n: int):
    """Exponential moving averages of the batch mean and unbiased variance, written in place."""
    from tensorgrad.nn._inplace import assign

    mean, var = (np.asarray(s).reshape(-1) for s in stats)
    if running_mean is not None:
        old = np.asarray(running_mean.data if isinstance(running_mean, Tensor) else running_mean)
        assign(running_mean, (1 - momentum) * old + momentum * mean)
    if running_var is not None:
        old = np.asarray(running_var.data if isinstance(running_var, Tensor) else running_var)
        assign(running_var, (1 - momentum) * old + momentum * var * (n / (n - 1)))


# ----------------------------------------------------------------------------- group norm


def _rowsum(a: Any) -> Any:
    """The sums of the rows of a 2-D ``a``, as its product with ones (BLAS: a quarter of
    ``a.sum(axis=1)``'s time on 1,024 float32 rows of 1,024)."""
    return _mm(a, np.ones(a.shape[1], a.dtype))


def _rowdot(a: Any, b: Any) -> Any:
    """The dot products of the rows of two 2-D arrays of one shape, as R products of 1 x K by
    K x 1 (BLAS: 0.7x ``einsum('ij,ij->i')``'s time on 1,024 float32 rows of 1,024)."""
    r, k = a.shape
    return np.reshape(_mm(np.reshape(a, (r, 1, k)), np.reshape(b, (r, k, 1))), (r,))


class GroupNorm(Op):
    """group_norm of x (N, C, ...) over G groups of channels, plus an optional bias (C,), in
    one node (``GroupNormAffine``: times a weight (C,) before the bias).

    With xhat = (x - mean) * rstd over each group's (N G, K) row, the rules are the
    ``Standardize`` rule's with the per-channel affine folded into per-row coefficients: every
    full-size step is one pass of a product or sum by a row's number, and the reductions over
    rows are BLAS products (``_rowsum``, ``_rowdot``), 3x the speed of the composition.
    """

    __slots__ = ("groups", "eps", "bias", "stats")
    save_inputs = (0,)
    frees = ("stats",)

    def __init__(self, groups: int, eps: float, bias: bool) -> None:
        self.groups = groups
        self.eps = eps
        self.bias = bias

    def _sizes(self, shape: tuple) -> tuple[int, int, int, int, int]:
        n, c = shape[:2]
        hw = math.prod(shape[2:])
        return n, c, self.groups, hw, c // self.groups * hw

    def _params(self, params: tuple) -> tuple[Any, Any]:
        weight = params[0] if type(self) is GroupNormAffine else None
        return weight, params[-1] if self.bias else None

    def _moments(self, x: Any) -> tuple[Any, Any, Any]:
        """(centred, d, rstd) of x's (N G, K) rows, xhat = (centred - d) * rstd: the forward's,
        or, on Tensors, functions of x (d None) so that higher derivatives are exact."""
        stats = getattr(self, "stats", None)
        if type(x) is np.ndarray and stats is not None:
            return stats
        n, c, g, hw, k = self._sizes(x.shape)
        rows = np.reshape(x, (n * g, k))
        centred = rows - np.reshape(_rowsum(rows) / k, (n * g, 1))
        return centred, None, 1 / np.sqrt(_rowdot(centred, centred) / k + self.eps)

    def forward(self, x, *params):
        w, b = self._params(params)
        n, c, g, hw, k = self._sizes(x.shape)
        rows = x.reshape(n * g, k)
        centred = rows - (_rowsum(rows) / k)[:, None]
        # (d: the mean of the rows centred by the rounded mean, a corrected two-pass mean and
        # variance; more exact than NumPy's pairwise mean, at a third of its time)
        d = _rowsum(centred) / k
        rstd = 1 / np.sqrt(_rowdot(centred, centred) / k - d * d + self.eps)
        self.stats = (centred, d, rstd)
        if w is None and b is None:
            y = centred * rstd[:, None]
            y -= (d * rstd)[:, None]
            return y.reshape(x.shape)
        if w is None:
            scale = np.repeat(rstd, c // g)
        else:
            scale = (rstd.reshape(n, g, 1) * w.reshape(g, c // g)).reshape(n * c)
        shift = np.repeat(d, c // g) * -scale
        if b is not None:
            shift = (shift.reshape(n, c) + b).reshape(n * c)
        y = np.empty(x.shape, np.result_type(centred, scale))
        rows = y.reshape(n * c, hw)
        np.multiply(centred.reshape(n * c, hw), scale[:, None], out=rows)
        rows += shift[:, None]
        return y

    def generate_adjoints(self, adjoints, delta, x, w=None):
        n, c, g, hw, k = self._sizes(x.shape)
        centred, d, rstd = self._moments(x)
        rows = np.reshape(delta, (n * c, hw))
        sums = np.sum(rows, axis=1)  # (sum of delta, per sample and channel)
        dots = _rowdot(rows, np.reshape(centred, (n * c, hw)))
        if d is not None:
            dots = dots - np.repeat(d, c // g) * sums
        sums = np.reshape(sums, (n, g, c // g))
        dots = np.reshape(dots, (n, g, c // g)) * np.reshape(rstd, (n, g, 1))  # (of delta xhat)
        edges = self.edges
        if self.bias and edges[-1] is not None:
            adjoints[len(edges) - 1] = np.sum(np.reshape(sums, (n, c)), axis=0)
        if w is not None and edges[1] is not None:
            adjoints[1] = np.sum(np.reshape(dots, (n, c)), axis=0)
        if edges[0] is not None:
            # rstd (v - mean(v) - xhat mean(v xhat)) of v = w delta, over each group
            if w is not None:
                w = np.reshape(w, (1, g, c // g))
                sums, dots = sums * w, dots * w
            mean_v = np.reshape(np.sum(sums, axis=2), (n * g,)) / k
            coef = -rstd * rstd * np.reshape(np.sum(dots, axis=2), (n * g,)) / k
            adjoints[0] = self._combine(delta, rstd, w, centred, d, coef, -rstd * mean_v, x.shape)

    def jvp(self, tangents, x, w=None):
        n, c, g, hw, k = self._sizes(x.shape)
        centred, d, rstd = self._moments(x)
        tx, tw = tangents[0], tangents[1] if w is not None else None
        bshape = (c,) + (1,) * (len(x.shape) - 2)
        terms = []
        if tx is not None:  # (the Jacobian of xhat is symmetric: the adjoint's formula)
            rows = np.reshape(tx, (n * g, k))
            mean_t = _rowsum(rows) / k
            mean_tc = _rowdot(rows, centred) / k
            if d is not None:
                mean_tc = mean_tc - d * mean_t
            coef = -rstd * rstd * rstd * mean_tc
            t = self._combine(tx, rstd, None, centred, d, coef, -rstd * mean_t, x.shape)
            terms.append(t if w is None else t * np.reshape(w, bshape))
        if tw is not None:
            xhat = centred if d is None else centred - d[:, None]
            xhat = np.reshape(xhat * np.reshape(rstd, (n * g, 1)), x.shape)
            terms.append(xhat * np.reshape(tw, bshape))
        if self.bias and tangents[-1] is not None:
            terms.append(np.reshape(tangents[-1], bshape))
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out

    def _combine(self, v, rstd, w, centred, d, coef, shift, shape):
        """rstd w v + coef (centred - d) + shift over the (N G, K) rows (w (1, G, C / G) or
        None, the others one number per row), in x's shape."""
        n, c, g, hw, k = self._sizes(shape)
        if d is not None:
            shift = shift - coef * d
        coef, shift = np.reshape(coef, (n * g, 1)), np.reshape(shift, (n * g, 1))
        if w is None:
            rows, scale = (n * g, k), np.reshape(rstd, (n * g, 1))
        else:
            rows, scale = (n * c, hw), np.reshape(np.reshape(rstd, (n, g, 1)) * w, (n * c, 1))
        if isinstance(v, Tensor) or isinstance(centred, Tensor):
            first = np.reshape(np.reshape(v, rows) * scale, (n * g, k))
            return np.reshape(first + (centred * coef + shift), shape)
        # (on arrays: two full-size temporaries fewer, and a result that owns its memory, which
        # the engine then need not copy into a leaf's .grad)
        out = np.empty(shape, np.result_type(v, scale))
        np.multiply(np.reshape(v, rows), scale, out=out.reshape(rows))
        rest = centred * coef
        rest += shift
        grouped = out.reshape(n * g, k)
        grouped += rest
        return out


class GroupNormAffine(GroupNorm):
    """group_norm with a weight: inputs x, weight and, with ``bias``, the bias"""

    save_inputs = (0, 1)


def group_norm(
    input: Any,
    num_groups: int,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each of ``num_groups`` groups of channels (axis 1 of an (N, C, ...) tensor,
    split into equal consecutive groups) over its channels and spatial axes, then scale by
    ``weight`` and shift by ``bias`` (each of shape (C,)), as torch's ``group_norm`` (biased
    variance): one ``GroupNorm`` node for float32 and float64 (weight and bias of the input's
    dtype); else (float16, mixed dtypes, no entries) layer norm's ``Standardize`` over an (N, G,
    C / G * ...) view, then the affine."""
    from tensorgrad.ops.shape import reshape

    check_args("group_norm", ("weight", "bias"), input=input, weight=weight, bias=bias)
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"group_norm: input must be (N, C, ...), got shape {shape}")
    if type(num_groups) is not int:
        from tensorgrad.tensor import is_int

        if not is_int(num_groups):
            raise TypeError(f"group_norm: num_groups must be an int, got {num_groups!r}")
    g, c = int(num_groups), shape[1]
    if g <= 0 or c % g:
        raise ValueError(
            f"group_norm: the number of channels of the input of shape {shape} must be divisible "
            f"by num_groups, a positive int, got {num_groups}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and _shape(p) != (c,):
            raise ValueError(
                f"group_norm: {name} must have shape ({c},), one entry per channel of the input "
                f"of shape {shape}, got {_shape(p)}"
            )
    eps = number_arg(eps, "eps", "group_norm")
    dtype = _dtype(input)
    if dtype.kind in "biu":
        from tensorgrad.ops.arithmetic import astype

        input = astype(input, np.float64)
    elif (
        dtype.type in (np.float32, np.float64)
        and all(p is None or _dtype(p) == dtype for p in (weight, bias))
        and math.prod(shape)
    ):
        from tensorgrad.ops._base import call

        inputs = (p for p in (input, weight, bias) if p is not None)
        cls = GroupNorm if weight is None else GroupNormAffine
        return call(cls, *inputs, groups=g, eps=float(eps), bias=bias is not None)
    # (float16, mixed dtypes, no entries: as a composition, Standardize then the affine)
    per = c // g * int(np.prod(shape[2:], dtype=np.int64))
    y, _ = _standardize(reshape(input, (shape[0], g, per)), (2,), eps)
    y = reshape(y, shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (len(shape) - 2))


# ----------------------------------------------------------------------------- instance norm


def instance_norm(
    input: Any,
    running_mean: Any = None,
    running_var: Any = None,
    weight: Any = None,
    bias: Any = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample of an (N, C, ...) tensor over its spatial axes,
    then scale by ``weight`` and shift by ``bias`` (each (C,)), as torch's ``instance_norm``.

    ``use_input_stats=True``: ``group_norm`` with one channel per group; given running
    statistics, they are updated in place as torch's, with the batch's average of the
    per-instance means and of the per-instance *unbiased* variances: ``running = (1 - momentum)
    * running + momentum * average``. ``use_input_stats=False``: the running statistics as
    constants, as ``batch_norm`` in evaluation."""
    check_args("instance_norm", ("weight", "bias"), input=input, weight=weight, bias=bias)
    use_input_stats = flag_arg(use_input_stats, "use_input_stats", "instance_norm")
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"instance_norm: input must be (N, C, ...), got shape {shape}")
    c = shape[1]
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and _shape(p) != (c,):
            raise ValueError(
                f"instance_norm: {name} must have shape ({c},), one entry per channel of the "
                f"input of shape {shape}, got {_shape(p)}"
            )
    _check_running(running_mean, running_var, c, use_input_stats, "instance_norm")
    eps = number_arg(eps, "eps", "instance_norm")
    momentum = number_arg(momentum, "momentum", "instance_norm")
    if eps < 0:
        raise ValueError(f"instance_norm: eps must be non-negative, got {eps!r}")
    if not use_input_stats:
        if running_mean is None:
            raise ValueError(
                "instance_norm: use_input_stats=False needs running_mean and running_var"
            )
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    count = math.prod(shape[2:])
    if count == 1:
        raise ValueError(
            f"instance_norm: expected more than 1 spatial element when training, got input "
            f"shape {shape}"
        )
    y = group_norm(input, c, weight, bias, eps)
    if running_mean is not None and count and shape[0] and not STATE.replay:
        x = np.asarray(input.data if isinstance(input, Tensor) else input)
        if x.dtype.kind != "f" or x.dtype.itemsize < 4:  # (float16: squares overflow at 256)
            x = x.astype(np.float64 if x.dtype.kind != "f" else np.float32)
        rows = x.reshape(shape[0], c, count)
        mean = rows.mean(axis=2)
        centred = rows - mean[..., None]
        var = np.einsum("nck,nck->nc", centred, centred) / count  # (biased: scaled below)
        _update_running((mean.mean(axis=0), var.mean(axis=0)), running_mean, running_var,
                        momentum, count)  # fmt: skip
    return y
