"""Softmax family and losses: softmax, log_softmax, cross_entropy, nll_loss, mse_loss,
binary_cross_entropy_with_logits (``torch.nn.functional`` semantics; ``tg.nn.functional``
re-exports them and also accepts ``dim=``).

softmax and log_softmax are ops (stable: they subtract the maximum). cross_entropy's, BCE's and
mse_loss's common cases are one op each (``SoftmaxCrossEntropy``, ``BinaryCrossEntropyWithLogits``,
``MeanSquaredError``: one node where a composition would record several); the rest, nll_loss
included, are compositions of differentiable ops. All are differentiable to any order.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import errstate as _errstate
from numpy import float16 as _HALF
from numpy import ndarray

from tensorgrad._dtypes import check_args, check_float_dtype, check_operands, narrow
from tensorgrad._shapes import broadcasts_to, normalize_int_axis, unbroadcast
from tensorgrad.ops._base import Op, apply1, call
from tensorgrad.ops.arithmetic import astype
from tensorgrad.ops.elementwise import Sigmoid, Softplus, softplus_array
from tensorgrad.ops.reductions import Mean, maximum_along, mean_by_sum
from tensorgrad.tensor import Tensor, carries_derivative, is_int, is_number

__all__ = [
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy",
]

_REDUCTIONS = ("mean", "sum", "none")


def _data(x: Any) -> ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _const(x: Any, like: Any, op: str, arg: str) -> Any:
    """``x`` (a weight, pos_weight or probability target) in the input's floating dtype, so that
    float32 stays float32 whatever ``x``'s dtype: an ndarray, or, for a Tensor that carries a
    gradient or a tangent, a Tensor (cast by ``astype``, which both pass through). Errors name
    the function ``op`` and its argument ``arg``."""
    if x is None:
        return None
    dtype = _data(like).dtype
    if carries_derivative(x):
        return x if dtype.kind != "f" or x.dtype == dtype else x.astype(dtype)
    if isinstance(x, Tensor):
        x = x.data
    check_operands(op, (x,), (arg,))  # no silent cast of complex, object or string data
    if arg == "pos_weight" and np.asarray(x).dtype.kind == "b":  # (False read as 0: as torch's)
        raise TypeError(f"{op}: {arg} must be numeric, got bool data ({x!r})")
    return np.asarray(x, dtype=dtype if dtype.kind == "f" else None)


def _shifted(x, axis):
    # NOTE: as torch, a row whose maximum is +inf, -inf (all -inf) or NaN is NaN, and silently
    # (attention's fully masked rows; about 1 us a call: the fused cross-entropy, on an MLP
    # step's path, leaves NumPy's warning for rows of logits that are infinite)
    # (initial=-inf: a zero-length axis has no maximum, and gives an empty result, as torch)
    # (the ufuncs' reduce, as np.max and np.sum do it, without their Python layer: 1.5 us each;
    # the forwards only, which get arrays: a recorded rule's np.sum dispatches on Tensors)
    m = maximum_along(x, axis)
    with _errstate(invalid="ignore"):  # (inf - inf there: NaN, silently as torch)
        return x - m


def _rule_in_float32(rule: Any, a: Any, out: Any, axis: int) -> Any:
    """``rule(a, out, axis)``, for float16 arrays computed in float32 and rounded once, as the
    forward (its sum over a long axis in float16 was thousands of ulps off)."""
    if (
        type(a) is ndarray
        and type(out) is ndarray
        and a.dtype.type is np.float16
        and out.dtype.type is np.float16
    ):
        return narrow(rule(a.astype(np.float32), out.astype(np.float32), axis), np.float16)
    return rule(a, out, axis)


def _softmax_product(a, out, axis):
    # (the Jacobian of softmax is symmetric: its adjoint rule and tangent rule are one product)
    return out * (a - np.sum(a * out, axis=axis, keepdims=True))


def _log_softmax_adjoint(delta, out, axis):
    return delta - np.exp(out) * np.sum(delta, axis=axis, keepdims=True)


def _log_softmax_tangent(t, out, axis):
    return t - np.sum(np.exp(out) * t, axis=axis, keepdims=True)


class Softmax(Op):
    """exp(x) / sum(exp(x)) along ``axis``"""

    __slots__ = ("axis",)
    save_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if type(x) is ndarray and x.dtype.type is np.float16:
            # (its sum of exponentials in float32, as torch; inf past the range, silently)
            return narrow(self.forward(x.astype(np.float32)), np.float16)
        e = np.exp(_shifted(x, self.axis))
        return e / np.add.reduce(e, axis=self.axis, keepdims=True)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = _rule_in_float32(_softmax_product, delta, out, self.axis)

    def jvp(self, tangents, out):
        return _rule_in_float32(_softmax_product, tangents[0], out, self.axis)


class LogSoftmax(Op):
    """x - logsumexp(x) along ``axis``"""

    __slots__ = ("axis",)
    save_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        if type(x) is ndarray and x.dtype.type is np.float16:  # (as Softmax's)
            return narrow(self.forward(x.astype(np.float32)), np.float16)
        z = _shifted(x, self.axis)
        total = np.add.reduce(np.exp(z), axis=self.axis, keepdims=True)  # (>= 1, or NaN)
        if type(x) is ndarray and not x.size:  # (an empty axis: log of 0; x may be a number)
            with np.errstate(divide="ignore"):
                return z - np.log(total)
        return z - np.log(total)

    def generate_adjoints(self, adjoints, delta, out):
        adjoints[0] = _rule_in_float32(_log_softmax_adjoint, delta, out, self.axis)

    def jvp(self, tangents, out):
        return _rule_in_float32(_log_softmax_tangent, tangents[0], out, self.axis)


class SoftmaxCrossEntropy(Op):
    """-log softmax(x)[i, y_i] over the rows of x (N, C), or the positions of x (N, C, d1, ...)
    with the classes along axis 1 (targets (N, d1, ...)), each times its row's ``keep`` (its
    target's class weight, or 1; None: 1 for all), summed over the rows that ``counted`` (None:
    all) and scaled (1 / the counted rows' total weight for a mean); an ignored row counts for
    nothing, even a NaN one. With label ``smoothing`` e (every row counting, no weights, C > 0)
    the target is (1 - e) onehot + e / C, as torch's: -((1 - e) log p[i, y_i] + e / C sum_c
    log p[i, c]) per row"""

    __slots__ = ("target", "keep", "counted", "scale", "logp", "smoothing")
    save_inputs = (0,)
    frees = ("logp",)

    def __init__(self, target, keep, scale, smoothing=0.0, counted=None):
        self.target = target
        self.keep = keep  # the rows' weights (0 where ignored), or None when all are 1
        self.counted = counted  # which rows count (a bool array), or None when all do
        self.scale = scale
        self.smoothing = smoothing

    def forward(self, x):
        if x.dtype.type is _HALF:  # (in float32 and rounded once, as softmax's: its sums
            return narrow(self.forward(x.astype(np.float32)), np.float16)  # over classes, rows)
        # NOTE: as torch, a row with a +inf, NaN or only -inf logits has NaN log-probabilities
        # (and so a NaN loss and NaN gradients); a -inf target logit alone gives +inf.
        # (the ufuncs' reduce: the array methods add a Python layer on every call)
        if x.shape[1]:
            logp = x - maximum_along(x, 1, initial=None)
            logp -= np.log(np.add.reduce(np.exp(logp), axis=1, keepdims=True))
        else:  # (no class: empty rows, and no log of their empty sums, which warns)
            logp = x.copy()
        if x.shape[1] or self.keep is None:  # (a target of no class raises IndexError)
            picked = logp[self._at_targets()]
        else:  # no class: every row is ignored (checked by cross_entropy)
            picked = np.zeros(self.target.shape, dtype=x.dtype)
        if self.keep is not None:
            with _errstate(invalid="ignore"):  # (an ignored row's -inf times its 0: summed out)
                picked *= self.keep
        if self.counted is None:
            total = np.add.reduce(picked, axis=None)
        else:  # ignored rows count for nothing, even a NaN or -inf one (not 0 * inf)
            total = picked.sum(where=self.counted)
        e = self.smoothing
        if e:
            total = (1 - e) * total + e / x.shape[1] * np.add.reduce(logp, axis=None)
        self.logp = logp  # the plain backward needs softmax(x) = exp(logp)
        return np.asarray(0.0 - total * self.scale, dtype=x.dtype)  # (0.0 - 0.0 is +0.0)

    def _at_targets(self) -> tuple:
        """The index of each row's (or position's) target class in x."""
        target = self.target
        if target.ndim == 1:
            return np.arange(len(target)), target
        at = np.indices(target.shape, sparse=True)
        return (at[0], target, *at[1:])

    def _residual(self, x):
        # NOTE: softmax(x) - onehot(y), per kept row. Handed a Tensor (higher order), softmax is
        # recomputed as an op so that it is differentiated too; else exp of the saved logp.
        e = self.smoothing
        if isinstance(x, Tensor):
            onehot = np.zeros(x.shape, dtype=x.dtype)
            if x.shape[1]:  # (no class: nothing to pick, every row is ignored)
                onehot[self._at_targets()] = 1
            if e:  # (the smoothed target)
                onehot = (1 - e) * onehot + e / x.shape[1]
            residual = softmax(x, axis=1) - onehot
        else:
            logp = self.logp
            if x.dtype.type is _HALF:  # (float64, rounded once at the end: float32's rounding
                logp = logp.astype(np.float64)  # of e / C and 1 - e moved float16 results)
            residual = np.exp(logp)
            if e:
                residual -= e / residual.shape[1]
            if residual.shape[1]:
                residual[self._at_targets()] -= 1 - e
        return residual if self.keep is None else residual * self.keep[:, None]

    def _slope_scale(self):
        # NOTE: a mean over no counted row is NaN, but its gradient is 0, as torch's
        scale = self.scale
        return scale if scale == scale else 0.0

    def generate_adjoints(self, adjoints, delta, x):
        residual = self._residual(x)
        scale = self._slope_scale()
        if isinstance(residual, ndarray) and type(delta) is ndarray:
            if residual.dtype != delta.dtype:  # (float16's float64 residual: one rounding)
                residual *= delta
                residual *= scale
            else:
                residual *= delta * scale  # a buffer of our own: scale it in place
            adjoints[0] = residual
        else:
            adjoints[0] = residual * (delta * scale)

    def jvp(self, tangents, x):
        terms = self._residual(x) * tangents[0]
        if self.counted is not None:  # an ignored row adds nothing, even a NaN one (torch's 0)
            terms = np.where(self.counted[:, None], terms, 0)
        return np.sum(terms) * self._slope_scale()


def _axis(x: Any, axis: Any, dim: Any, name: str) -> int:
    ndim = _data(x).ndim or 1  # (a 0-d tensor takes axis 0 or -1, as torch)
    if dim is not None:
        if axis is not None and normalize_int_axis(axis, ndim, name) != normalize_int_axis(
            dim, ndim, name
        ):  # (the same axis named twice, as -1 and 1, is taken)
            raise TypeError(f"{name}: give axis or dim, not both")
        axis = dim
    if axis is None:
        axis = -1
    return normalize_int_axis(axis, ndim, name)


def _softmax_op(cls: type[Op], x: Any, axis: Any, dim: Any, dtype: Any, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        check_args(name, x=x)
    ax = _axis(x, axis, dim, name)
    if dtype is not None:  # (torch's dtype=: the input is cast first)
        x = astype(x, check_float_dtype(dtype, name))
    elif _data(x).dtype.kind in "biu":  # integers would wrap in the max-shift: use floats
        x = astype(x, np.float64)
    return call(cls, x, axis=None if _data(x).ndim == 0 else ax)


def softmax(
    x: Any, axis: int | None = None, dim: int | None = None, *, dtype: Any = None
) -> Tensor:
    """Softmax along ``axis`` (default -1), computed stably; ``dtype`` casts the input first."""
    return _softmax_op(Softmax, x, axis, dim, dtype, "softmax")


def log_softmax(
    x: Any, axis: int | None = None, dim: int | None = None, *, dtype: Any = None
) -> Tensor:
    """Log of the softmax along ``axis`` (default -1), without overflow or log(0); ``dtype``
    casts the input first."""
    return _softmax_op(LogSoftmax, x, axis, dim, dtype, "log_softmax")


# ----------------------------------------------------------------------------- losses


def _check_reduction(reduction: str, name: str) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:  # (an array: no ambiguity)
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def legacy_reduction(size_average: Any, reduce: Any, reduction: str, name: str) -> str:
    """``reduction``, checked; or, when torch's deprecated ``size_average`` or ``reduce`` is
    given, the reduction torch reads from them (with torch's warning). They hold their places in
    the signatures so that torch's positional calls mean the same here."""
    if size_average is not None or reduce is not None:
        average = True if size_average is None else bool(size_average)
        reduction = "none" if reduce is not None and not reduce else "mean" if average else "sum"
        warnings.warn(
            f"{name}: size_average and reduce are deprecated (as in torch); use "
            f"reduction={reduction!r} instead",
            stacklevel=3,
        )
    _check_reduction(reduction, name)
    return reduction


class BinaryCrossEntropyWithLogits(Op):
    """(1 - t) x + l softplus(-x) with l = 1 + (w - 1) t for logits x, targets t and a
    positive-class weight w (torch's, before the weight and the reduction); its x-adjoint is
    l sigmoid(x) - w t, as torch's, which does not cancel where the two terms' derivatives,
    (1 - t) - l sigmoid(-x), do (a confident negative's gradient was 0 in float32)"""

    save_inputs = (0, 1, 2)

    def forward(self, x, t, w):
        return (1 - t) * x + ((w - 1) * t + 1) * softplus_array(-x)

    def _slopes(self, x, t, w, wanted):
        """The derivatives by x, t and w, each only if ``wanted`` says so (else None; the
        common backward wants x's alone): arrays, or recorded ops on Tensors."""
        want_x, want_t, want_w = wanted
        # (no pos_weight, passed as 1.0: the target's slope is -x, also at x = -inf, where
        # 0 * softplus(inf) would be NaN)
        plain = type(w) is float and w == 1.0
        softplus_neg = Softplus.apply(-x) if want_w or (want_t and not plain) else None
        by_x = by_t = by_w = None
        if want_x:
            by_x = ((w - 1) * t + 1) * Sigmoid.apply(x) - w * t
        if want_t:
            by_t = -x if plain else (w - 1) * softplus_neg - x
        if want_w:
            by_w = t * softplus_neg
        return by_x, by_t, by_w

    def generate_adjoints(self, adjoints, delta, x, t, w):
        slopes = self._slopes(x, t, w, [e is not None for e in self.edges])
        for i, slope in enumerate(slopes):
            if slope is not None:
                adjoints[i] = unbroadcast(delta * slope, self.in_shape(i))

    def jvp(self, tangents, x, t, w):
        out = None
        slopes = self._slopes(x, t, w, [d is not None for d in tangents])
        for tangent, slope in zip(tangents, slopes):
            if slope is not None:
                term = tangent * slope
                out = term if out is None else out + term
        return out


class _EmptyMean(Mean):
    """A loss's mean over an empty batch: NaN, as torch's, without NumPy's empty-mean warnings;
    its adjoint and tangent are the mean's (a zero-size gradient whose own derivative is 0, and
    a NaN tangent, as torch's)."""

    label = "mean"

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.add.reduce(x, axis=self.axis, keepdims=self.keepdims) / 0


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    from tensorgrad.ops.reductions import mean, sum

    if reduction == "mean":
        if loss.data.size == 0:
            return call(_EmptyMean, loss, axis=tuple(range(loss.ndim)), keepdims=False)
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def _classes_last(x: Any) -> tuple[Any, int, tuple[int, ...]]:
    """Input of shape (N, C, d1, ...) or (C,) as a (M, C) matrix; the batch shape it had."""
    from tensorgrad.ops.shape import moveaxis, reshape

    shape = _data(x).shape
    if len(shape) == 1:
        return reshape(x, (1, shape[0])), shape[0], ()
    c = shape[1]
    batch = (shape[0],) + tuple(shape[2:])
    if len(shape) == 2:
        return x, c, batch
    x = moveaxis(x, 1, -1)
    return reshape(x, (math.prod(batch), c)), c, batch  # (not -1: c may be 0)


def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of integer ``target`` classes given log-probabilities ``input``
    of shape (N, C, ...) or (C,); ``mean`` divides by the total weight of counted targets."""
    reduction = legacy_reduction(size_average, reduce, reduction, "nll_loss")
    if not is_int(ignore_index):
        raise TypeError(f"nll_loss: ignore_index must be an int, got {ignore_index!r}")
    check_args("nll_loss", input=input)
    return _nll(
        input,
        target,
        _const(weight, input, "nll_loss", "weight"),
        ignore_index,
        reduction,
        "nll_loss",
    )


def _nll(
    input: Any, target: Any, weight: Any, ignore_index: int, reduction: str, name: str
) -> Tensor:
    """``nll_loss``, ``weight`` already through ``_const``; its errors name ``name`` (the public
    function the user called)."""
    from tensorgrad.ops.elementwise import where
    from tensorgrad.ops.indexing import getitem
    from tensorgrad.ops.reductions import sum
    from tensorgrad.ops.shape import reshaped

    if np.ndim(_data(input)) == 0:
        raise ValueError(f"{name}: input must have a class axis, got a 0-d tensor")
    logp, c, batch = _classes_last(input)
    y = _data(target)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got dtype {y.dtype}")
    if y.shape != batch:
        raise ValueError(
            f"{name}: target has shape {y.shape}, expected {batch} for input of shape "
            f"{_data(input).shape}"
        )
    y = y.reshape(-1)
    keep = y != ignore_index
    if np.any((y[keep] < 0) | (y[keep] >= c)):
        raise IndexError(f"{name}: target values must be in [0, {c}) or ignore_index")
    safe = np.where(keep, y, 0)
    w = np.ones(c) if weight is None else _data(weight)
    if w.shape != (c,):
        raise ValueError(f"{name}: weight has shape {w.shape}, expected ({c},)")
    if c:
        picked = getitem(logp, (np.arange(len(safe)), safe))
    else:  # (no class, so every row is ignored: zeros that still lead back to the input)
        picked = sum(logp, axis=1)
    every = keep.all()
    if (
        weight is None
        and every
        and len(safe)
        and reduction != "none"
        and _data(logp).dtype.kind == "f"
    ):
        # (the common case in three ops where the general one takes five; 0.0 - total, not
        # -total: NumPy's sum of -picked gave +0.0 for a zero loss, as torch)
        loss = 0.0 - sum(picked)
        return loss if reduction == "sum" else loss / float(len(safe))
    if not every:  # an ignored row counts for nothing, even a NaN or -inf one (not 0 * inf)
        picked = where(keep, picked, -0.0)  # (-0.0: its loss -picked * 0 is +0.0, as torch's)
    wt = np.where(keep, w[safe] if c else 0, 0).astype(_data(input).dtype)
    wt_t = None
    if isinstance(weight, Tensor):  # (its gradient or tangent counts the denominator too)
        wt_t = (getitem(weight, safe) if c else sum(weight)) * keep
        losses = -picked * wt_t
    else:
        losses = -picked * wt
    if reduction == "none":
        return reshaped(losses, batch)
    total = sum(losses)
    if reduction == "sum":
        return total
    return _weighted_mean(total, wt, wt_t)


def _weighted_mean(total: Tensor, weights: ndarray, weights_t: Any = None) -> Tensor:
    """``total`` over the total weight of the counted targets: a Tensor total weight when the
    class weights require grad (so their gradient counts the denominator too); NaN with zero
    gradients when nothing counts (as torch for an all-ignored batch, which then does not
    poison parameters; where the counted targets' weights sum to 0, torch's gradient is NaN)."""
    if weights_t is not None:
        from tensorgrad.ops.reductions import sum  # (the builtin would add up rows, in Python)

        denom = sum(weights_t)
        if denom.data != 0:
            return total / denom
    else:
        denom = float(weights.sum())
        if denom:
            return total / denom
    return total * 0.0 + float("nan")


def _row_scale(reduction: str, count: float) -> float:
    """What the fused cross-entropy multiplies its summed rows by: 1, or 1 / count (the rows'
    number or total weight; NaN for none, as torch's mean over nothing)."""
    return 1.0 if reduction == "sum" else (1.0 / count if count else float("nan"))


def _check_logits(x: ndarray, op: str = "cross_entropy", what: str = "input (logits)") -> None:
    if x.dtype.kind != "f":  # (as torch: no softmax of integers behind the user's back)
        raise TypeError(f"{op}: {what} must be floating point, got dtype {x.dtype}")


def _check_same_shape(
    op: str, input: Any, target: Any, names: tuple[str, str] = ("input", "target")
) -> tuple[int, ...]:
    """A loss's input and target shapes (or the two arguments ``names`` says), which must be
    equal (torch warns and broadcasts)."""
    sa, sb = np.shape(_data(input)), np.shape(_data(target))
    if sa != sb:
        raise ValueError(f"{op}: {names[0]} shape {sa} and {names[1]} shape {sb} differ")
    return sa


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits (N, C, ...) or (C,) against integer class indices or
    class probabilities (same shape as ``input``), as ``torch.nn.functional.cross_entropy``."""

    if (
        size_average is not None
        or reduce is not None
        or type(reduction) is not str  # (a str subclass: checked there, and taken)
        or reduction not in _REDUCTIONS
    ):
        reduction = legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    # (the defaults pass at the cost of one test each: this is an MLP step's path)
    if type(ignore_index) is not int and not is_int(ignore_index):
        raise TypeError(f"cross_entropy: ignore_index must be an int, got {ignore_index!r}")
    if type(label_smoothing) is not float:  # (a NumPy float64 would make a float32 loss float64)
        if not is_number(label_smoothing):
            raise TypeError(
                f"cross_entropy: label_smoothing must be a number, got {label_smoothing!r}"
            )
        label_smoothing = float(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if not isinstance(input, Tensor):
        check_args("cross_entropy", input=input)
    x = _data(input)
    if x.ndim == 0:
        raise ValueError("cross_entropy: input must have a class axis, got a 0-d tensor")
    class_axis = 0 if x.ndim == 1 else 1
    c = x.shape[class_axis]
    y = _data(target)
    if (
        x.ndim >= 2
        and y.dtype.kind in "iu"
        and (weight is None or (c and not label_smoothing and not carries_derivative(weight)))
        and (not label_smoothing or c)  # (smoothing over no class: the careful path's NaN)
        and reduction != "none"
        and y.shape == x.shape[:1] + x.shape[2:]
    ):
        # the common classification case, as one op: softmax - onehot is its whole adjoint
        # NOTE: with no negative target (an ignored -100 included), the op's own pick of the
        # targets raises IndexError for any value >= c; only then, or for a negative or an
        # ignored target, does the careful path sort them out. (A negative index would pick
        # from the end, and an unsigned view of int64 targets wraps back to it.)
        if (
            weight is None
            and not (0 <= ignore_index < c and (y == ignore_index).any())
            and (y.dtype.kind == "u" or not y.size or np.minimum.reduce(y, axis=None) >= 0)
        ):
            scale = _row_scale(reduction, y.size)
            try:
                # (the targets copied: a later write into the caller's changes no rule)
                op = SoftmaxCrossEntropy(y.copy(), None, scale, label_smoothing)
                out = apply1(op, input)
                return out if isinstance(out, Tensor) else Tensor._make(np.asarray(out))
            except IndexError:
                pass
            except TypeError:  # (integer logits fail in the op's in-place subtraction)
                _check_logits(x)
                raise
        _check_logits(x)
        if weight is not None:
            _check_class_weights(weight, c)
        keep = y != ignore_index
        kept = y[keep]
        if kept.size and (kept.min() < 0 or kept.max() >= c):
            raise IndexError(f"cross_entropy: target values must be in [0, {c}) or ignore_index")
        # (non-finite class weights: the composition, whose NaN slopes are torch's; the op's
        # mean takes a NaN scale for "nothing counted", with zero slopes)
        if not label_smoothing and (weight is None or np.isfinite(_data(weight)).all()):
            # (ignored targets or class weights: the op with each row's weight, 0 where
            # ignored, and a mask of the rows that count)
            target = np.where(keep, y, 0)
            if weight is None:
                rows = keep.astype(x.dtype)
                scale = _row_scale(reduction, int(keep.sum()))
            else:  # (float16 logits: in float32, as their composed loss was)
                w = np.asarray(_data(weight), np.float32 if x.dtype.type is _HALF else x.dtype)
                rows = np.where(keep, w[target], 0).astype(w.dtype, copy=False)
                scale = _row_scale(reduction, float(rows.sum()))
            return call(
                SoftmaxCrossEntropy,
                input,
                target=target,
                keep=rows,
                scale=scale,
                counted=None if kept.size == keep.size else keep,
            )
    if x.dtype.type is _HALF:
        # (in float32 and rounded once, as the one-op path above: the weighted and smoothed
        # compositions summed their terms into float16 intermediates, inf past 65504)
        wide = cross_entropy(
            astype(input, np.float32),
            target,
            weight=weight,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )
        return astype(wide, np.float16)
    from tensorgrad.ops.reductions import sum
    from tensorgrad.ops.shape import reshape_operand

    _check_logits(x)
    if y.dtype.kind not in "iuf":
        raise TypeError(
            "cross_entropy: target must hold integer class indices or floating class "
            f"probabilities, got dtype {y.dtype}"
        )
    if weight is not None:
        _check_class_weights(weight, c)
    logp = log_softmax(input, axis=class_axis)
    w = _const(weight, input, "cross_entropy", "weight")
    if y.dtype.kind == "f":
        target = _const(target, input, "cross_entropy", "target")
    wshape = tuple(c if i == class_axis else 1 for i in range(x.ndim))
    if y.dtype.kind == "f":
        if ignore_index != -100:  # (as torch: nothing to ignore among probabilities)
            raise ValueError(
                "cross_entropy: ignore_index is not supported with probability targets, got "
                f"{ignore_index}"
            )
        if y.shape != x.shape:
            raise ValueError(
                f"cross_entropy: probability targets must have the input's shape {x.shape}, "
                f"got {y.shape}"
            )
        # (over no classes the loss is the sum over none, 0, where torch's mean is NaN; the
        # smoothing's NaN share then meets no entry)
        probs = target
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + _uniform(label_smoothing, c)
        terms = logp * probs
        if w is not None:
            terms = terms * reshape_operand(w, wshape)
        losses = -sum(terms, axis=class_axis)
        return _reduce(losses, reduction)
    nll = _nll(logp, target, w, ignore_index, reduction, "cross_entropy")
    if not label_smoothing:
        return nll
    # NOTE: torch mixes in the uniform-target loss -sum_c w_c log p_c, ignored entries zeroed,
    # averaged by the same total weight as the nll term.
    terms = logp if w is None else logp * reshape_operand(w, wshape)
    smooth = -sum(terms, axis=class_axis)
    kept = y != ignore_index
    keep = kept.astype(x.dtype)
    if not kept.all():  # (a where, not a product: an ignored row's -inf logit gives inf * 0)
        from tensorgrad.ops.elementwise import where

        smooth = where(kept, smooth, 0.0)
    if reduction == "none":
        pass
    elif reduction == "sum":
        smooth = sum(smooth)
    else:
        safe = np.where(kept, y, 0)
        wd = np.ones(c) if w is None else _data(w)
        wt = None
        if not c:  # (no classes: every target is ignored, none to pick)
            picked = np.zeros(safe.shape, x.dtype)
        else:
            picked = wd[safe] * keep
        if isinstance(w, Tensor) and c:
            from tensorgrad.ops.indexing import getitem

            wt = getitem(w, safe) * keep
        smooth = _weighted_mean(sum(smooth), picked, wt)
    return nll * (1 - label_smoothing) + smooth * _uniform(label_smoothing, c)


def _check_class_weights(weight: Any, c: int) -> None:
    """cross_entropy's ``weight``: numeric, of shape (C,)."""
    # (a string read as 0-d; complex data refused, not cast)
    check_operands(
        "cross_entropy", (_data(weight) if isinstance(weight, Tensor) else weight,), ("weight",)
    )
    if np.shape(_data(weight)) != (c,):
        raise ValueError(
            f"cross_entropy: weight has shape {np.shape(_data(weight))}, expected ({c},)"
        )


def _uniform(label_smoothing: float, c: int) -> float:
    """Each class's share of the smoothing: NaN over no classes (no uniform distribution
    there; torch's ``label_smoothing / 0`` times 0)."""
    return label_smoothing / c if c else float("nan")


class MeanSquaredError(Op):
    """sum((x - y) ** 2) / count for x and y of one shape and float dtype (count: their size
    for a mean, 1 for a sum): mse_loss's common case as one node, with the composition's
    forward and gradient to the bit but a NaN's sign where both x - y and the incoming
    gradient are NaN (torch's sign: r * g where the composition's product was g * r). The
    composition's subtract, square and mean took 28 us forward and backward at 4 x 4, this
    11.6. As torch's, it saves input and target (no x - y: recomputed in the backward)."""

    __slots__ = ("count",)
    save_inputs = (0, 1)

    def __init__(self, count: int) -> None:
        self.count = count

    def forward(self, x, y):
        r = x - y
        total = np.add.reduce(r * r, axis=None)
        return total if self.count == 1 else total / self.count

    def generate_adjoints(self, adjoints, delta, x, y):
        # (on Tensors, under create_graph, recorded: its own derivative counts)
        r = x - y
        g = r * (delta / self.count)
        if isinstance(g, ndarray):
            g += g  # (2 g as the composition's two products summed, exactly)
        else:
            g = g + g
        if self.edges[0] is not None:
            adjoints[0] = g
        if self.edges[1] is not None:
            adjoints[1] = -g

    def jvp(self, tangents, x, y):
        tx, ty = tangents
        t = tx if ty is None else (-ty if tx is None else tx - ty)
        r = x - y
        return (r * t).sum() * (2.0 / self.count)


def mse_loss(
    input: Any,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Squared error, averaged over all elements by default; with ``weight`` (the input's
    shape), each squared error weighted and the mean taken over the total weight, as torch."""
    reduction = legacy_reduction(size_average, reduce, reduction, "mse_loss")
    check_args("mse_loss", input=input, target=target)
    _check_same_shape("mse_loss", input, target)
    a, b = _data(input), _data(target)
    if (
        weight is None
        and reduction != "none"
        and a.dtype == b.dtype
        and mean_by_sum(a.dtype, a.size)  # (its forward divides the sum, as Mean's)
    ):
        return call(MeanSquaredError, input, target, count=a.size if reduction == "mean" else 1)
    from tensorgrad.ops.arithmetic import subtract

    d = subtract(input, target)
    if weight is None:
        return _reduce(d * d, reduction)
    weight = _const(weight, input, "mse_loss", "weight")
    if _data(weight).shape != a.shape:
        raise ValueError(
            f"mse_loss: weight has shape {_data(weight).shape}, expected the input's {a.shape}"
        )
    losses = d * d * weight
    if reduction != "mean":
        return _reduce(losses, reduction)
    from tensorgrad.ops.reductions import sum

    return sum(losses) / (sum(weight) if isinstance(weight, Tensor) else float(weight.sum()))


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of logits, stable for any magnitude: (1 - t) x + l softplus(-x) with
    l = 1 + (pos_weight - 1) t, as torch."""
    reduction = legacy_reduction(
        size_average, reduce, reduction, "binary_cross_entropy_with_logits"
    )
    check_args("binary_cross_entropy_with_logits", input=input, target=target)
    if not isinstance(input, Tensor):  # (a Python number reached the op's forward as one)
        input = np.asarray(input)
    _check_logits(_data(input), "binary_cross_entropy_with_logits")  # (as torch's)
    target, weight, pos_weight = (
        _const(v, input, "binary_cross_entropy_with_logits", k)
        for k, v in (("target", target), ("weight", weight), ("pos_weight", pos_weight))
    )
    sa = _check_same_shape("binary_cross_entropy_with_logits", input, target)
    for name, w in (("weight", weight), ("pos_weight", pos_weight)):
        ws = None if w is None else _data(w).shape
        if ws is not None and not broadcasts_to(ws, sa):
            raise ValueError(
                f"binary_cross_entropy_with_logits: {name} of shape {ws} does not broadcast to "
                f"the input's shape {sa}"
            )
    w = 1.0 if pos_weight is None else pos_weight
    loss = call(BinaryCrossEntropyWithLogits, input, target, w)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# torch's floor under x (1 - x) in the slope, a float32 1e-12 (its gradient at x = 0, t = 1 is
# -1.000000004e12), and its floor under each log
_BCE_EPS = float(np.float32(1e-12))
_LOG_FLOOR = -100.0


class BinaryCrossEntropy(Op):
    """-(t max(log x, -100) + (1 - t) max(log(1 - x), -100)) for probabilities x and targets t
    (torch's, before the weight and the reduction); the slopes are torch's: (x - t) /
    max(x (1 - x), 1e-12) in x, finite at 0 and 1, and log(1 - x) - log x in t"""

    save_inputs = (0, 1)

    def forward(self, x, t):
        with np.errstate(divide="ignore"):
            logs = np.maximum(np.log(x), _LOG_FLOOR), np.maximum(np.log1p(-x), _LOG_FLOOR)
        return -(t * logs[0] + (1 - t) * logs[1])

    @staticmethod
    def _slope_x(x, t):
        return (x - t) / np.maximum(x * (1 - x), _BCE_EPS)

    @staticmethod
    def _slope_t(x):
        with np.errstate(divide="ignore"):
            return np.log1p(-x) - np.log(x)

    def generate_adjoints(self, adjoints, delta, x, t):
        if self.edges[0] is not None:
            adjoints[0] = delta * self._slope_x(x, t)
        if self.edges[1] is not None:
            adjoints[1] = delta * self._slope_t(x)

    def jvp(self, tangents, x, t):
        tx, tt = tangents
        out = None if tx is None else tx * self._slope_x(x, t)
        if tt is not None:
            term = tt * self._slope_t(x)
            out = term if out is None else out + term
        return out


def _check_probabilities(v: ndarray, op: str, name: str) -> None:
    """torch's check that every entry of ``v`` is in [0, 1] (a NaN is not)."""
    if v.size and not ((v >= 0) & (v <= 1)).all():
        bad = v[~((v >= 0) & (v <= 1))].flat[0]
        raise ValueError(f"{op}: every entry of {name} must be in [0, 1], got {bad}")


def binary_cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of probabilities ``input`` against ``target`` (both in [0, 1]), as
    torch's: each log floored at -100, so a confident wrong answer costs 100, not inf; float16
    computed in float32. ``binary_cross_entropy_with_logits`` is the stable form on logits."""
    op = "binary_cross_entropy"
    reduction = legacy_reduction(size_average, reduce, reduction, op)
    check_args(op, input=input, target=target)
    if not isinstance(input, Tensor):
        input = np.asarray(input)
    _check_logits(_data(input), op, "input")  # (as torch: no probabilities of integers)
    target, weight = (_const(v, input, op, k) for k, v in (("target", target), ("weight", weight)))
    sa = _check_same_shape(op, input, target)
    if weight is not None and not broadcasts_to(_data(weight).shape, sa):
        raise ValueError(
            f"{op}: weight of shape {_data(weight).shape} does not broadcast to the input's "
            f"shape {sa}"
        )
    _check_probabilities(_data(input), op, "input")
    _check_probabilities(_data(target), op, "target")
    half = _data(input).dtype == np.float16
    if half:  # (in float32, rounded once: float16's own floor under x (1 - x) is 0)
        input, target = astype(input, np.float32), astype(target, np.float32)
    loss = call(BinaryCrossEntropy, input, target)
    if half:
        loss = astype(loss, np.float16)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
