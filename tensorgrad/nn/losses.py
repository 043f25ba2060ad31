"""torch's other losses, functional and as modules: ranking and margin losses
(``margin_ranking_loss``, ``hinge_embedding_loss``, ``soft_margin_loss``,
``multilabel_soft_margin_loss``, ``multi_margin_loss``, ``cosine_embedding_loss``,
``triplet_margin_loss``), ``pairwise_distance``, and the Poisson and Gaussian negative log
likelihoods. Each is torch's formula in recorded ops, so its derivatives of every order are
theirs; a hinge's slope at its corner is torch's ``clamp_min``'s (1: the corner counts as
inside).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, to_tensor
from tensorgrad._shapes import broadcast_shapes
from tensorgrad.nn.module import Module
from tensorgrad.ops import losses as _losses
from tensorgrad.ops.elementwise import exp, log, where
from tensorgrad.ops.reductions import norm, sum
from tensorgrad.tensor import Tensor, flag_arg, number_arg

__all__ = [
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
]
MODULES = [
    "MarginRankingLoss",
    "HingeEmbeddingLoss",
    "SoftMarginLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "CosineEmbeddingLoss",
    "PairwiseDistance",
    "CosineSimilarity",
    "TripletMarginLoss",
    "PoissonNLLLoss",
    "GaussianNLLLoss",
]


def _floats(op: str, **named: Any) -> list[Tensor]:
    """The arguments as Tensors, integers and bools in float64 (the floats' dtype where there
    is one), checked."""
    check_args(op, **named)
    return as_floats([to_tensor(v, op, k) for k, v in named.items()])


def as_floats(xs: list) -> list:
    """Integer and bool operands in the float operands' dtype (float64 where none is float),
    the floats as they are: torch's rule for its losses and ``cosine_similarity``."""
    from tensorgrad.ops.arithmetic import astype

    floats = [x.dtype for x in xs if x.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else np.float64
    return [x if x.dtype.kind == "f" else astype(x, dtype) for x in xs]


def _same_ndim(op: str, names: tuple[str, ...], xs: list[Tensor]) -> tuple[int, ...]:
    """The broadcast shape of ``xs``, which must have as many dimensions each (torch's rule)."""
    if len({x.ndim for x in xs}) > 1:
        shapes = ", ".join(f"{n} of shape {x.shape}" for n, x in zip(names, xs))
        raise ValueError(f"{op}: the inputs must have as many dimensions, got {shapes}")
    return broadcast_shapes(*(x.shape for x in xs), op=op)


def _hinge(x: Tensor) -> Tensor:
    """max(x, 0) with slope 1 at 0, as torch's clamp_min."""
    return where(x.data >= 0, x, np.zeros((), x.dtype))


def margin_ranking_loss(
    input1: Any, input2: Any, target: Any, margin: float = 0.0, size_average: Any = None,
    reduce: Any = None, reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """max(0, -target (input1 - input2) + margin), as torch's (the three of as many
    dimensions, broadcast)."""
    op = "margin_ranking_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    x1, x2, y = _floats(op, input1=input1, input2=input2, target=target)
    _same_ndim(op, ("input1", "input2", "target"), [x1, x2, y])
    margin = number_arg(margin, "margin", op)
    return _losses._reduce(_hinge(-y * (x1 - x2) + margin), reduction)


def hinge_embedding_loss(
    input: Any, target: Any, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """input where target is 1, max(0, margin - input) where it is -1 (both terms elsewhere,
    as torch's formula gives)."""
    op = "hinge_embedding_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    x, y = _floats(op, input=input, target=target)
    broadcast_shapes(x.shape, y.shape, op=op)
    margin = number_arg(margin, "margin", op)
    zero = np.zeros((), x.dtype)
    outside = where(y.data != 1, _hinge(margin - x), zero)
    inside = where(y.data != -1, x, zero)
    return _losses._reduce(outside + inside, reduction)


def soft_margin_loss(
    input: Any, target: Any, size_average: Any = None, reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """log(1 + exp(-target input)), as torch's."""
    from tensorgrad.ops.elementwise import softplus

    op = "soft_margin_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    x, y = _floats(op, input=input, target=target)
    broadcast_shapes(x.shape, y.shape, op=op)
    return _losses._reduce(softplus(-y * x), reduction)


def multilabel_soft_margin_loss(
    input: Any, target: Any, weight: Any = None, size_average: Any = None, reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """-(target log sigmoid(input) + (1 - target) log sigmoid(-input)), times ``weight``,
    averaged over the classes (the last axis), as torch's."""
    from tensorgrad.nn.functional import logsigmoid

    op = "multilabel_soft_margin_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    named = {"input": input, "target": target}
    if weight is not None:
        named["weight"] = weight
    xs = _floats(op, **named)
    x, y = xs[0], xs[1]
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have a class axis, got shape ()")
    broadcast_shapes(*(t.shape for t in xs), op=op)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * xs[2]
    return _losses._reduce(sum(loss, axis=-1) / x.shape[-1], reduction)


def multi_margin_loss(
    input: Any, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
    size_average: Any = None, reduce: Any = None, reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """The sum over the wrong classes i of max(0, margin - input[y] + input[i]) ** p (times
    ``weight[y]``), over the C classes, for each row of ``input`` (N, C) or (C,) and class
    index ``target`` (N,) or (), as torch's."""
    from tensorgrad.ops.arithmetic import astype
    from tensorgrad.ops.indexing import take_along_axis

    op = "multi_margin_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got {p!r}")
    (x,) = _floats(op, input=input)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if x.ndim not in (1, 2) or t.dtype.kind not in "iu" or t.shape != x.shape[:-1]:
        raise ValueError(
            f"{op}: input must be (N, C) or (C,) and target integer class indices (N,) or (), "
            f"got input of shape {x.shape} and target of shape {t.shape} dtype {t.dtype}"
        )
    c = x.shape[-1]
    if t.size and (t.min() < 0 or t.max() >= c):
        raise IndexError(f"{op}: target holds a class outside [0, {c})")
    margin = number_arg(margin, "margin", op)
    rows = x if x.ndim == 2 else x[None]
    index = t.reshape(-1, 1).astype(np.intp)
    picked = take_along_axis(rows, index, axis=1)
    terms = _hinge(margin - picked + rows)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        (w,) = _floats(op, weight=weight)
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},), got {w.shape}")
        terms = terms * w[t.reshape(-1)][:, None]
    wrong = np.ones(rows.shape, bool)
    np.put_along_axis(wrong, index, False, axis=1)
    loss = sum(where(wrong, terms, np.zeros((), terms.dtype)), axis=1) / c
    if x.ndim == 1:
        loss = loss[0]
    return _losses._reduce(astype(loss, x.dtype) if loss.dtype != x.dtype else loss, reduction)


def cosine_embedding_loss(
    input1: Any, input2: Any, target: Any, margin: float = 0.0, size_average: Any = None,
    reduce: Any = None, reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1, the
    cosine along axis 1 of (N, D) inputs (0 of (D,) ones), as torch's (each squared norm
    raised by 1e-12)."""
    from tensorgrad.ops.elementwise import sqrt

    op = "cosine_embedding_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    x1, x2, y = _floats(op, input1=input1, input2=input2, target=target)
    if x1.ndim not in (1, 2) or x1.shape != x2.shape or y.shape != x1.shape[:-1]:
        raise ValueError(
            f"{op}: input1 and input2 must be (N, D) or (D,) of one shape and target (N,) or (),"
            f" got shapes {x1.shape}, {x2.shape} and {y.shape}"
        )
    axis = x1.ndim - 1
    products = sum(x1 * x2, axis=axis)
    squares = (sum(x1 * x1, axis=axis) + 1e-12) * (sum(x2 * x2, axis=axis) + 1e-12)
    cos = products / sqrt(squares)
    zero = np.zeros((), cos.dtype)
    loss = where(y.data == 1, 1 - cos, zero) + where(y.data == -1, _hinge(cos - margin), zero)
    return _losses._reduce(loss, reduction)


def pairwise_distance(
    x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The p-norm of x1 - x2 + eps along the last axis (broadcast), as torch's."""
    op = "pairwise_distance"
    a, b = _floats(op, x1=x1, x2=x2)
    broadcast_shapes(a.shape, b.shape, op=op)
    p, eps = number_arg(p, "p", op), number_arg(eps, "eps", op)
    keepdim = flag_arg(keepdim, "keepdim", op)
    diff = a - b + eps
    if diff.ndim == 0:  # (a 0-d pair: their distance, as torch's)
        return norm(diff[None], axis=-1, ord=p)
    return norm(diff, axis=-1, keepdims=keepdim, ord=p)


def triplet_margin_loss(
    anchor: Any, positive: Any, negative: Any, margin: float = 1.0, p: float = 2,
    eps: float = 1e-6, swap: bool = False, size_average: Any = None, reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0) with d ``pairwise_distance``
    (``swap``: the smaller of d(anchor, negative) and d(positive, negative)), as torch's."""
    op = "triplet_margin_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    a, pos, neg = _floats(op, anchor=anchor, positive=positive, negative=negative)
    _same_ndim(op, ("anchor", "positive", "negative"), [a, pos, neg])
    margin = number_arg(margin, "margin", op)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if flag_arg(swap, "swap", op):
        from tensorgrad.ops.elementwise import minimum

        d_neg = minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _losses._reduce(_hinge(margin + d_pos - d_neg), reduction)


def poisson_nll_loss(
    input: Any, target: Any, log_input: bool = True, full: bool = False,
    size_average: Any = None, eps: float = 1e-8, reduce: Any = None, reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """exp(input) - target input (``log_input``), else input - target log(input + eps); with
    ``full``, Stirling's target log target - target + log(2 pi target) / 2 where target > 1,
    as torch's."""
    op = "poisson_nll_loss"
    reduction = _losses.legacy_reduction(size_average, reduce, reduction, op)
    x, y = _floats(op, input=input, target=target)
    broadcast_shapes(x.shape, y.shape, op=op)
    eps = number_arg(eps, "eps", op)
    if flag_arg(log_input, "log_input", op):
        loss = exp(x) - y * x
    else:
        loss = x - y * log(x + eps)
    if flag_arg(full, "full", op):
        safe = where(y.data > 1, y, np.ones((), y.dtype))
        stirling = safe * log(safe) - safe + 0.5 * log(2 * math.pi * safe)
        loss = loss + where(y.data > 1, stirling, np.zeros((), y.dtype))
    return _losses._reduce(loss, reduction)


def gaussian_nll_loss(
    input: Any, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:  # fmt: skip
    """(log(max(var, eps)) + (input - target) ** 2 / max(var, eps)) / 2 (plus log(2 pi) / 2
    with ``full``), as torch's: ``var`` of input's shape, or of it with the last axis 1 or
    without it (one variance per row); the raise to eps moves the value, not the gradient (as
    torch's clamp without grad)."""
    op = "gaussian_nll_loss"
    _losses._check_reduction(reduction, op)
    x, y, v = _floats(op, input=input, target=target, var=var)
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape or (x.ndim and v.shape == x.shape[:-1] + (1,)):
            if v.shape == x.shape[:-1]:
                from tensorgrad.ops.shape import reshaped

                v = reshaped(v, v.shape + (1,))
        else:
            raise ValueError(
                f"{op}: var of shape {v.shape} must be input's {x.shape}, or it with the last "
                "axis 1 or without it"
            )
    broadcast_shapes(x.shape, y.shape, op=op)
    if np.any(v.data < 0):
        raise ValueError(f"{op}: var has a negative entry")
    eps = number_arg(eps, "eps", op)
    raise_to = np.maximum(eps - v.data, 0).astype(v.dtype)  # (a constant: no gradient)
    v = v + raise_to
    loss = 0.5 * (log(v) + (x - y) ** 2 / v)
    if flag_arg(full, "full", op):
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _losses._reduce(loss, reduction)


# ----------------------------------------------------------------------------- modules


class _Loss(Module):
    """A loss module: its ``reduction`` (torch's legacy size_average and reduce read too)."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _losses.legacy_reduction(
            size_average, reduce, reduction, type(self).__name__
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MarginRankingLoss(_Loss):
    """``margin_ranking_loss`` with its ``margin``."""

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin = number_arg(margin, "margin", "MarginRankingLoss")

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``hinge_embedding_loss`` with its ``margin``."""

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin = number_arg(margin, "margin", "HingeEmbeddingLoss")

    def forward(self, input: Any, target: Any) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """``soft_margin_loss``."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """``multilabel_soft_margin_loss`` with its class ``weight`` (a buffer, as torch's)."""

    def __init__(self, weight: Any = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.register_buffer(
            "weight", None if weight is None else to_tensor(weight, type(self).__name__, "weight")
        )

    def forward(self, input: Any, target: Any) -> Tensor:
        return multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """``multi_margin_loss`` with its ``p``, ``margin`` and class ``weight`` (a buffer)."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None,
                 size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p!r}")
        self.p, self.margin = p, number_arg(margin, "margin", "MultiMarginLoss")
        self.register_buffer(
            "weight", None if weight is None else to_tensor(weight, type(self).__name__, "weight")
        )

    def forward(self, input: Any, target: Any) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                 reduction=self.reduction)  # fmt: skip


class CosineEmbeddingLoss(_Loss):
    """``cosine_embedding_loss`` with its ``margin``."""

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin = number_arg(margin, "margin", "CosineEmbeddingLoss")

    def forward(self, input1: Any, input2: Any, target: Any) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin,
                                     reduction=self.reduction)  # fmt: skip


class PairwiseDistance(Module):
    """``pairwise_distance`` with its ``p``, ``eps`` and ``keepdim``."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Any, x2: Any) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """``F.cosine_similarity`` along ``dim`` with its ``eps``, as ``torch.nn.CosineSimilarity``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Any, x2: Any) -> Tensor:
        from tensorgrad.nn.functional import cosine_similarity

        return cosine_similarity(x1, x2, self.dim, self.eps)


class TripletMarginLoss(_Loss):
    """``triplet_margin_loss`` with its ``margin``, ``p``, ``eps`` and ``swap``."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Any, positive: Any, negative: Any) -> Tensor:
        return triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                   self.swap, reduction=self.reduction)  # fmt: skip


class PoissonNLLLoss(_Loss):
    """``poisson_nll_loss`` with its ``log_input``, ``full`` and ``eps``."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None,
                 eps: float = 1e-8, reduce: Any = None,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Any, target: Any) -> Tensor:
        return poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                reduction=self.reduction)  # fmt: skip


class GaussianNLLLoss(_Loss):
    """``gaussian_nll_loss`` with its ``full`` and ``eps``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:  # fmt: skip
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Any, target: Any, var: Any) -> Tensor:
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)
