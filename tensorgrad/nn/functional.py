"""``tg.nn.functional``: the functional forms of layers, activations and losses, with the
signatures and defaults of ``torch.nn.functional``. Axis arguments accept ``dim=`` (torch) as
well as ``axis=`` (NumPy).

Losses and the softmax family live in ``tensorgrad.ops.losses``; convolution and pooling in
``tensorgrad.ops.conv`` (adaptive pooling in ``tensorgrad.ops.adaptive_pool``); layer and batch
norm in ``tensorgrad.ops.normalization``; linear, dropout and embedding in
``tensorgrad.ops.layers``. This module gathers them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, check_operands
from tensorgrad._shapes import broadcast_shapes
from tensorgrad.nn.losses import (
    as_floats,
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    pairwise_distance,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from tensorgrad.ops import activations as _activations
from tensorgrad.ops import elementwise as _elementwise
from tensorgrad.ops import losses as _losses
from tensorgrad.ops._base import call
from tensorgrad.ops.adaptive_pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)
from tensorgrad.ops.arithmetic import astype, subtract
from tensorgrad.ops.attention import scaled_dot_product_attention
from tensorgrad.ops.conv import (
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
    max_pool1d,
    max_pool2d,
)
from tensorgrad.ops.elementwise import clip, where
from tensorgrad.ops.layers import dropout, dropout1d, dropout2d, embedding, linear
from tensorgrad.ops.losses import (
    _data,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from tensorgrad.ops.normalization import batch_norm, instance_norm, layer_norm, rms_norm
from tensorgrad.ops.normalization import group_norm as _group_norm
from tensorgrad.ops.reductions import norm, sum
from tensorgrad.ops.resample import interpolate as _interpolate
from tensorgrad.ops.shape import broadcast_to, reshape
from tensorgrad.tensor import Tensor, flag_arg, is_int, number_arg

__all__ = [
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
    "dropout",
    "conv1d",
    "conv2d",
    "conv_transpose1d",
    "conv_transpose2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "layer_norm",
    "batch_norm",
    "embedding",
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softplus",
    "silu",
    "leaky_relu",
    "elu",
    "logsigmoid",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "kl_div",
    "normalize",
    "cosine_similarity",
    "one_hot",
    "pad",
    "scaled_dot_product_attention",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multi_margin_loss",
    "cosine_embedding_loss",
    "pairwise_distance",
    "triplet_margin_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "interpolate",
    "group_norm",
    "hardtanh",
    "relu6",
    "softsign",
    "mish",
    "glu",
    "prelu",
    "hardsigmoid",
    "hardswish",
    "selu",
    "celu",
    "softmin",
    "rms_norm",
    "instance_norm",
    "pixel_shuffle",
    "pixel_unshuffle",
    "dropout1d",
    "dropout2d",
]


# (the activations and the softmax family under torch's argument names: F.softmax(input=t,
# dim=1) works; tg.softmax and friends keep NumPy's x and axis)


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(input, 0), as torch's ``relu``; ``inplace`` is accepted for torch compatibility, and
    the result is always a new tensor (as ``dropout``'s)."""
    return _elementwise.relu(input)


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + exp(-input)), as torch's ``sigmoid``."""
    return _elementwise.sigmoid(input)


def tanh(input: Any) -> Tensor:
    """The hyperbolic tangent, as torch's ``tanh``."""
    return _elementwise.tanh(input)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """input * Phi(input), or its tanh approximation, as torch's ``gelu``."""
    return _elementwise.gelu(input, approximate=approximate)


def softmax(
    input: Any,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """Softmax along ``dim`` (or NumPy's ``axis``; default the last), as torch's ``softmax``
    (``_stacklevel`` is torch's and unused)."""
    return _losses.softmax(input, axis=axis, dim=dim, dtype=dtype)


def log_softmax(
    input: Any,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """Log of the softmax along ``dim`` (or ``axis``; default the last), as torch's."""
    return _losses.log_softmax(input, axis=axis, dim=dim, dtype=dtype)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """torch's ``softplus``: ``log(1 + exp(beta * x)) / beta``, and ``x`` itself where
    ``beta * x > threshold`` (torch's switch to the identity, where the two agree to within
    about ``exp(-threshold)``); differentiable to any order, as a composition."""
    # (a 0-d Tensor or array of one is taken, as torch)
    beta = number_arg(beta, "beta", "softplus")
    threshold = number_arg(threshold, "threshold", "softplus")
    if not isinstance(input, Tensor):  # (a list or a number: checked and made an array, as ops do)
        check_operands("softplus", (input,))
        input = np.asarray(input)
    scaled = input if beta == 1 else input * float(beta)
    soft = _elementwise.softplus(scaled)
    soft = soft if beta == 1 else soft / float(beta)
    return where(scaled > threshold, input, soft)


# ----------------------------------------------------------------------------- more of torch's
# (compositions of tensorgrad's ops, whose derivatives, to any order, and float dtypes follow;
# leaky_relu and elu are ops of their own in ops/elementwise.py, for speed)


def _input(x: Any, op: str) -> Any:
    """A Tensor as it is, anything else checked and made an array, as ops do; integers and
    bools in float64, as NumPy's exp takes them (-x of a uint8 would wrap)."""
    if not isinstance(x, Tensor):
        check_operands(op, (x,))
        x = np.asarray(x)
    if x.dtype.kind in "biu":
        return astype(x, np.float64)
    return x


def silu(input: Any, inplace: bool = False) -> Tensor:
    """input * sigmoid(input) (swish), as torch's ``silu``; ``inplace`` is accepted for torch
    compatibility, and the result is always a new tensor."""
    x = _input(input, "silu")
    return x * _elementwise.sigmoid(x)


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where it is positive, else ``negative_slope * input``, as torch's ``leaky_relu``
    (slope ``negative_slope`` at 0 and at NaN, as torch's rule); ``inplace`` as ``silu``'s."""
    slope = number_arg(negative_slope, "negative_slope", "leaky_relu")
    return call(_elementwise.LeakyRelu, _input(input, "leaky_relu"), slope=slope)


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where it is positive, else ``alpha * (exp(input) - 1)``, as torch's ``elu`` (slope
    ``alpha`` at 0, as torch's rule); ``inplace`` as ``silu``'s."""
    alpha = number_arg(alpha, "alpha", "elu")
    return call(_elementwise.Elu, _input(input, "elu"), alpha=alpha)


def logsigmoid(input: Any) -> Tensor:
    """log(sigmoid(input)) = -softplus(-input), without overflow for any input, as torch's
    ``logsigmoid``."""
    x = _input(input, "logsigmoid")
    return -_elementwise.softplus(-x)


def l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Absolute error, averaged over all elements by default, as torch's ``l1_loss`` (slope 0
    where input equals target, as torch's sign)."""
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, "l1_loss")
    check_args("l1_loss", input=input, target=target)
    _losses._check_same_shape("l1_loss", input, target)
    return _losses._reduce(_elementwise.abs(subtract(input, target)), reduction)


def smooth_l1_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 z ** 2 / beta where z = |input - target| < beta, else z - 0.5 beta, averaged over all
    elements by default, as torch's ``smooth_l1_loss`` (``l1_loss`` for a beta of 0 in the
    input's dtype)."""
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    beta = _threshold(beta, "beta", "smooth_l1_loss", zero=True)
    return _losses._reduce(_huber(input, target, beta, "smooth_l1_loss"), reduction)


def huber_loss(
    input: Any,
    target: Any,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Any = None,
) -> Tensor:
    """0.5 z ** 2 where z = |input - target| < delta, else delta (z - 0.5 delta), averaged over
    all elements by default, as torch's ``huber_loss`` (``weight``: a weight per element, of
    the input's shape, as torch's, in the input's dtype)."""
    _losses._check_reduction(reduction, "huber_loss")
    delta = _threshold(delta, "delta", "huber_loss", zero=False)
    loss = _huber(input, target, delta, "huber_loss", huber=True)
    if weight is not None:
        check_args("huber_loss", weight=weight)
        _losses._check_same_shape("huber_loss", weight, input, ("weight", "input"))
        loss = loss * _losses._const(weight, loss, "huber_loss", "weight")
    return _losses._reduce(loss, reduction)


def _threshold(value: Any, name: str, op: str, zero: bool) -> float:
    value = number_arg(value, name, op, bools=True)  # (torch reads it with float())
    if not (value >= 0 if zero else value > 0):  # (NaN included)
        bound = "0 or more" if zero else "positive"
        raise ValueError(f"{op}: {name} must be {bound}, got {value!r}")
    return value


def _huber(input: Any, target: Any, t: float, op: str, huber: bool = False) -> Tensor:
    """Quadratic below the threshold ``t``, linear above: torch's two formulas (huber's is t
    times smooth L1's). Each branch gets the other's entries as a harmless value (the double
    where): the one not taken neither overflows nor sends NaN slopes (0 times an infinite one)
    back; NaN takes the quadratic, whose slope is NaN there, as torch's. The quadratic is in
    input - target, so that its second derivative at 0 is 1 / t (abs's slope is 0 there), and
    written 0.5 d (d / t), |d / t| < 1, so that a subnormal t overflows no gradient (its tangent
    in forward mode, through d / t, does overflow) and 1e200 with a beta of 1e300 is 5e99, not
    torch's inf (a finite entry with an infinite beta is 0, torch's NaN). float16 in float32
    (torch's backward does; its forward rounds t to float16: 1e5 is inf there)."""
    check_args(op, input=input, target=target)
    _losses._check_same_shape(op, input, target)
    d = subtract(input, target)
    half = d.dtype == np.float16
    if half or d.dtype.kind != "f":
        d = astype(d, np.float32 if half else np.float64)
    with np.errstate(over="ignore"):  # (the threshold as the arithmetic sees it: 1e-50 is 0
        t = d.dtype.type(t)  # in float32, 1e300 inf)
    z = _elementwise.abs(d)
    if t == 0 and not huber:  # (l1_loss, as torch; huber's is 0 everywhere then)
        loss = z
    else:
        small = ~(z >= t)
        dq = where(small, d, 0.0)
        quad = 0.5 * dq * dq if huber else 0.5 * dq * (dq / t)
        if not np.isfinite(t):  # (every finite z is below it)
            loss = where(small, quad, np.nan)  # (z inf: torch's inf (inf - inf))
        else:
            zl = where(small, 0.5 * t, z)  # (the linear branch is 0 there)
            loss = where(small, quad, t * (zl - 0.5 * t) if huber else zl - 0.5 * t)
    return astype(loss, np.float16) if half else loss


def kl_div(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise, ``target (log target - input)``, for log-probabilities
    ``input``, as torch's ``kl_div``: 0 where target is 0 and NaN where it is negative (torch's
    xlogy; the slope of target log target is 0 at a zero target here, NaN in torch);
    ``log_target``: target as log-probabilities too. ``reduction='batchmean'`` divides the sum
    by the batch size (the KL divergence's value); 'mean' by the number of elements, with
    torch's warning; float16 in float32 (the tangent of log t overflows it below 1.5e-5)."""
    legacy = size_average is not None or reduce is not None
    if legacy:  # (torch: the legacy reduction, then batchmean's division all the same)
        base = _losses.legacy_reduction(size_average, reduce, "mean", "kl_div")
    else:
        _check_kl_reduction(reduction, "kl_div")
        base = "sum" if reduction == "batchmean" else reduction
    log_target = flag_arg(log_target, "log_target", "kl_div")
    check_args("kl_div", input=input, target=target)
    _losses._check_same_shape("kl_div", input, target)
    if not legacy and reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by the batch size and the support "
            "size (as torch's); reduction='batchmean' divides by the batch size only, the KL "
            "divergence's definition",
            stacklevel=2,
        )
    x, t = _input(input, "kl_div"), _input(target, "kl_div")
    dtype = np.result_type(x.dtype, t.dtype)
    if dtype == np.float16:  # (the tangent of log t, 1 / t, overflows float16 from 1.5e-5)
        x, t = astype(x, np.float32), astype(t, np.float32)
    if log_target:
        loss = _elementwise.exp(t) * (t - x)
    else:
        positive = t > 0
        t_log_t = where(positive, t * _elementwise.log(where(positive, t, 1.0)), 0.0)
        # (a negative or NaN target: NaN, silently, and a NaN slope in it, as torch's xlogy)
        t_log_t = where(t >= 0, t_log_t, where(t >= 0, 0.0, t) * np.nan)
        loss = t_log_t - t * x
    loss = _losses._reduce(loss, base)
    if reduction == "batchmean" and x.ndim:
        n = x.shape[0]
        loss = loss / n if n else loss * np.nan  # (0 / 0, without NumPy's warning)
    return astype(loss, np.float16) if dtype == np.float16 else loss


def _check_kl_reduction(reduction: Any, op: str) -> None:
    """``kl_div``'s (and ``KLDivLoss``'s) reduction: the losses' three, or 'batchmean'."""
    if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(
            f"{op}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}"
        )


def normalize(
    input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """input / max(||input||_p, eps) along ``dim``, as torch's ``normalize`` (the norm's
    gradient is 0 at a zero vector, and the clamp's 0 below eps)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported (the result is a new tensor)")
    p = number_arg(p, "p", "normalize")
    eps = number_arg(eps, "eps", "normalize")
    x = _input(input, "normalize")
    axis = _losses._axis(x, None, dim, "normalize")  # (0 or -1 for a 0-d x, as torch)
    if x.ndim == 0:  # (its norm is its magnitude: as one entry along an axis)
        return reshape(normalize(reshape(x, (1,)), p, 0, eps), ())
    size = norm(x, axis=axis, keepdims=True, ord=p)
    return x / clip(size, eps, None)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast together), as
    torch's ``cosine_similarity``: each divided by its norm raised to ``eps`` where it is below,
    the raise (torch's in-place clamp without grad) moving the value but not the gradient."""
    eps = number_arg(eps, "eps", "cosine_similarity")
    a, b = (x if isinstance(x, Tensor) else np.asarray(x) for x in (x1, x2))
    check_operands("cosine_similarity", (a, b), ("x1", "x2"))
    a, b = as_floats([a, b])  # (each norm in its operand's dtype, as torch)
    shape = broadcast_shapes(a.shape, b.shape, op="cosine_similarity")
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    axis = _losses._axis(a, None, dim, "cosine_similarity")  # (0 or -1 for 0-d, as torch)
    if a.ndim == 0:
        a, b = reshape(a, (1,)), reshape(b, (1,))
    units = []
    for x in (a, b):
        size = norm(x, axis=axis, keepdims=True)
        raise_to = np.maximum(eps - _data(size), 0)  # (a constant: no gradient; 0 at inf)
        units.append(x / (size + raise_to))
    return sum(units[0] * units[1], axis=axis)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows of integer class indices (a new last axis of ``num_classes``, by
    default the largest index + 1), as torch's ``one_hot``; no gradient."""
    y = _data(tensor)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class indices, got dtype {y.dtype}")
    if type(num_classes) is not int and not is_int(num_classes):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    num_classes = int(num_classes)
    if y.size and y.min() < 0:
        raise ValueError("one_hot: class values must be non-negative")
    if num_classes == -1:
        if not y.size:
            raise ValueError("one_hot: can not infer the number of classes from an empty tensor")
        num_classes = int(y.max()) + 1
    elif num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    if y.size and y.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes={num_classes}")
    return Tensor._make(np.equal.outer(y, np.arange(num_classes)).astype(np.int64))


_TORCH_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
                    "circular": "wrap"}  # fmt: skip


def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """torch's ``F.pad``: ``pad`` gives (before, after) widths for the last axes, last axis
    first, (left, right, top, bottom, ...); a negative width crops. ``mode`` 'constant' (with
    ``value``, default 0), 'reflect', 'replicate' or 'circular', with torch's limits (a
    reflected width below the axis's size, a circular one at most it). ``tg.pad`` is NumPy's."""
    from tensorgrad._dtypes import to_tensor
    from tensorgrad.ops.shape import pad as np_pad

    x = to_tensor(input, "pad", "input")
    if mode not in _TORCH_PAD_MODES:
        raise ValueError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if not isinstance(pad, (tuple, list)) or not all(is_int(p) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2 or len(pad) > 2 * x.ndim:
        raise ValueError(
            f"pad: pad must have an even length of at most twice the input's dimensions "
            f"({2 * x.ndim} for shape {x.shape}), got {len(pad)}"
        )
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: value is for mode='constant' only, not {mode!r}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if any(lo < 0 or hi < 0 for lo, hi in widths):  # (cropped first, then padded, as torch)
        x = x[tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, x.shape))]
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    if mode != "constant":
        for axis, (lo, hi) in enumerate(grow):
            n, most = x.shape[axis], max(lo, hi)
            if (mode == "reflect" and most >= n > 0) or (mode == "circular" and most > n):
                limit = "less than" if mode == "reflect" else "at most"
                raise ValueError(
                    f"pad: mode={mode!r} pads ({lo}, {hi}) along axis {axis} of the input of "
                    f"shape {x.shape}, which needs {limit} its size {n}"
                )
    if any(lo or hi for lo, hi in grow):
        if mode == "constant":
            x = np_pad(x, grow, constant_values=0 if value is None else value)
        else:
            x = np_pad(x, grow, mode=_TORCH_PAD_MODES[mode])
    return x


# ----------------------------------------------------------------------------- activations
# (compositions of recorded ops, so that any order of derivative records itself; the slope
# at each kink is torch's, by which side of a where each kink falls on)


def hardtanh(
    input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """input clipped to [min_val, max_val], as torch's ``hardtanh``: slope 1 strictly inside,
    0 at both kinks and outside (torch's), 1 at NaN (which stays NaN); ``inplace`` as
    ``silu``'s."""
    lo = number_arg(min_val, "min_val", "hardtanh")
    hi = number_arg(max_val, "max_val", "hardtanh")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got {lo} > {hi}")
    return _hardtanh(_input(input, "hardtanh"), lo, hi)


def _hardtanh(x: Any, lo: float, hi: float) -> Tensor:
    return call(_activations.Clamp, x, lo=lo, hi=hi, shift=0.0, div=1.0, nan_slope=True)


def relu6(input: Any, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6): ``hardtanh(input, 0, 6)``, as torch's (slope 0 at 0 and at 6)."""
    return _hardtanh(_input(input, "relu6"), 0.0, 6.0)


def softsign(input: Any) -> Tensor:
    """input / (1 + |input|), as torch's ``softsign`` (slope 1 at 0)."""
    x = _input(input, "softsign")
    return x / (_elementwise.abs(x) + 1)


def mish(input: Any, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input)), as torch's ``mish`` (softplus without a threshold)."""
    x = _input(input, "mish")
    return x * _elementwise.tanh(_elementwise.softplus(x))


def glu(input: Any, dim: int = -1) -> Tensor:
    """a * sigmoid(b) for the halves a, b of ``input`` along ``dim``, as torch's ``glu``."""
    from tensorgrad.ops.indexing import getitem

    x = _input(input, "glu")
    if x.ndim == 0:
        raise ValueError("glu: input must have at least one dimension to halve, got a 0-d one")
    axis = _losses._axis(x, None, dim, "glu")
    n = x.shape[axis]
    if n % 2:
        raise ValueError(
            f"glu: dimension {axis} of the input of shape {x.shape} must have an even size "
            f"to be halved, got {n}"
        )
    lead = (slice(None),) * axis
    a, b = getitem(x, lead + (slice(0, n // 2),)), getitem(x, lead + (slice(n // 2, n),))
    return a * _elementwise.sigmoid(b)


def prelu(input: Any, weight: Any) -> Tensor:
    """input where positive, else ``weight * input``, as torch's ``prelu``: ``weight`` one
    slope (shape () or (1,)) or one per channel (axis 1 of the input, (C,)); slope ``weight``
    at 0 and at NaN, and the weight's gradient ``input`` where input <= 0 (torch's)."""
    from tensorgrad.ops.shape import reshape_operand

    check_args("prelu", input=input, weight=weight)
    x = _input(input, "prelu")
    w = weight if isinstance(weight, Tensor) else np.asarray(weight)
    wshape = tuple(w.shape)
    if len(wshape) > 1:
        raise ValueError(f"prelu: weight must be a scalar or 1-D, got shape {wshape}")
    size = int(np.prod(wshape, dtype=np.int64))
    if size != 1:
        channels = x.shape[1] if x.ndim > 1 else 1
        if x.ndim == 0 or size != channels:
            raise ValueError(
                f"prelu: weight of shape {wshape} must have 1 entry or one per channel (axis 1) "
                f"of the input of shape {x.shape}"
            )
    if x.ndim != len(wshape):
        w = reshape_operand(w, tuple(size if i == 1 else 1 for i in range(x.ndim)))
    return call(_activations.Prelu, x, w)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:
    """min(max(input + 3, 0), 6) / 6, as torch's ``hardsigmoid``: slope 1/6 strictly inside
    (-3, 3), 0 at the kinks, outside and at NaN (torch's)."""
    x = _input(input, "hardsigmoid")
    return call(_activations.Clamp, x, lo=0.0, hi=6.0, shift=3.0, div=6.0, nan_slope=False)


def hardswish(input: Any, inplace: bool = False) -> Tensor:
    """input * min(max(input + 3, 0), 6) / 6, as torch's ``hardswish`` (the same roundings):
    slope input / 3 + 1/2 strictly inside (-3, 3), 0 at -3 and below, 1 at 3, above and at
    NaN (torch's)."""
    return call(_activations.Hardswish, _input(input, "hardswish"))


def _scaled_elu(x: Any, negcoef: float, poscoef: float, inscale: float) -> Tensor:
    return call(_activations.ScaledElu, x, negcoef=negcoef, poscoef=poscoef, inscale=inscale)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Any, inplace: bool = False) -> Tensor:
    """scale * (input where positive, else alpha * (exp(input) - 1)), with torch's constants
    (alpha 1.6732632423543772, scale 1.0507009873554805), as torch's ``selu`` (slope alpha *
    scale at 0)."""
    x = _input(input, "selu")
    return _scaled_elu(x, _SELU_ALPHA * _SELU_SCALE, _SELU_SCALE, 1.0)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, else ``alpha * (exp(input / alpha) - 1)``, as torch's ``celu``
    (``input * (1 / alpha)``, as its kernel; alpha 0 refused)."""
    alpha = number_arg(alpha, "alpha", "celu")
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return _scaled_elu(_input(input, "celu"), alpha, 1.0, 1.0 / alpha)


def softmin(
    input: Any,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """softmax(-input) along ``dim`` (or ``axis``; default the last, as tg's ``softmax``), as
    torch's ``softmin``; ``dtype`` casts after the negation."""
    x = _input(input, "softmin")
    return _losses.softmax(-x, axis=axis, dim=dim, dtype=dtype)


def group_norm(
    input: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Tensor:
    """torch's ``group_norm`` (see ``tensorgrad.ops.normalization.group_norm``)."""
    return _group_norm(input, num_groups, weight, bias, eps)


def interpolate(
    input: Any,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """torch's ``interpolate`` (see ``tensorgrad.ops.resample.interpolate``)."""
    return _interpolate(
        input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias
    )


# ----------------------------------------------------------------------------- pixel shuffle
# (a reshape, a transpose and a reshape: every order of derivative and forward mode follow)


def _factor(value: Any, name: str, op: str) -> int:
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{op}: expects a positive {name}, got {value}")
    return int(value)


def pixel_shuffle(input: Any, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) to (*, C, H r, W r): each group of r^2 channels spread over an r x r
    block of pixels, as torch's ``pixel_shuffle``."""
    from tensorgrad._dtypes import to_tensor
    from tensorgrad.ops.shape import transpose

    x = to_tensor(input, "pixel_shuffle")
    r = _factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    if x.ndim < 3:
        raise ValueError(
            f"pixel_shuffle: expects input of at least 3 dimensions (*, C, H, W), got shape "
            f"{x.shape}"
        )
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(
            f"pixel_shuffle: the channels of the input of shape {x.shape} (axis -3) must be "
            f"divisible by upscale_factor**2 = {r * r}"
        )
    n = len(lead)
    y = reshape(x, (*lead, c // (r * r), r, r, h, w))
    y = transpose(y, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return reshape(y, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Any, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) to (*, C r^2, H, W), the inverse of ``pixel_shuffle``, as torch's
    ``pixel_unshuffle``."""
    from tensorgrad._dtypes import to_tensor
    from tensorgrad.ops.shape import transpose

    x = to_tensor(input, "pixel_unshuffle")
    r = _factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    if x.ndim < 3:
        raise ValueError(
            f"pixel_unshuffle: expects input of at least 3 dimensions (*, C, H, W), got shape "
            f"{x.shape}"
        )
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(
            f"pixel_unshuffle: the height and width of the input of shape {x.shape} must be "
            f"divisible by downscale_factor = {r}"
        )
    n = len(lead)
    y = reshape(x, (*lead, c, h // r, r, w // r, r))
    y = transpose(y, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return reshape(y, (*lead, c * r * r, h // r, w // r))
