"""Attention, as torch's ``scaled_dot_product_attention``: softmax(q k^T * scale + mask) v,
made of recorded ops (its derivatives of every order are theirs).

A query whose keys are all masked gets weights of 0 and an output of 0, as torch's (its
"safe softmax", 2.5 and later): the softmax of a row of -inf would be NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensorgrad._dtypes import to_tensor
from tensorgrad.tensor import Tensor, flag_arg, number_arg

__all__ = ["scaled_dot_product_attention"]


def attention(
    q: Tensor, k: Tensor, v: Tensor, mask: Any, scale: float, dropout_p: float, rng: Any
) -> tuple[Tensor, Tensor]:
    """The output and the weights of attention of ``q`` (..., L, E) over ``k`` (..., S, E)
    and ``v`` (..., S, Ev); ``mask`` None, a bool array (True: may attend) or a float one
    (added to the scores), broadcast to (..., L, S)."""
    from tensorgrad.ops.elementwise import where
    from tensorgrad.ops.layers import dropout
    from tensorgrad.ops.linalg import _swap, matmul
    from tensorgrad.ops.losses import softmax

    scores = matmul(q, _swap(k)) * scale
    if mask is not None:
        if mask.dtype == bool:
            scores = where(mask, scores, np.array(-np.inf, scores.dtype))
        else:
            scores = scores + mask
    dead = np.isneginf(scores.data).all(axis=-1, keepdims=True)  # (no key to attend to)
    if dead.any():
        zero = np.zeros((), scores.dtype)
        weights = where(dead, zero, softmax(where(dead, zero, scores), axis=-1))
    else:
        weights = softmax(scores, axis=-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, rng=rng)
    return matmul(weights, v), weights


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    rng: Any = None,
) -> Tensor:
    """softmax(query key^T * scale + mask) value, as torch's, for ``query`` (..., L, E),
    ``key`` (..., S, E), ``value`` (..., S, Ev), the leading axes broadcast: ``attn_mask`` a
    bool mask (True: may attend) or a float one added to the scores (differentiable),
    broadcast to (..., L, S); ``is_causal`` the lower triangle (L, S) instead; ``scale``
    1/sqrt(E) by default; ``dropout_p`` drops weights (always: pass 0 in evaluation, as
    torch's), from ``rng`` (a Generator or seed; default ``tg.manual_seed``'s);
    ``enable_gqa`` repeats key and value heads (axis -3) to the query's."""
    op = "scaled_dot_product_attention"
    q, k, v = (to_tensor(t, op, n) for t, n in ((query, "query"), (key, "key"), (value, "value")))
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2 or t.dtype.kind != "f":
            raise ValueError(
                f"{op}: {name} must be a float array of at least 2 dimensions (..., L, E), got "
                f"shape {t.shape} of dtype {t.dtype}"
            )
    shapes = f"query {q.shape}, key {k.shape}, value {v.shape}"
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: query and key must share the last axis (E), key and value the one before "
            f"it (S); got {shapes}"
        )
    if len({q.dtype, k.dtype, v.dtype}) > 1:
        raise TypeError(
            f"{op}: query, key and value must share a dtype (as torch's), got {q.dtype}, "
            f"{k.dtype} and {v.dtype}"
        )
    if flag_arg(enable_gqa, "enable_gqa", op):
        k, v = _repeat_heads(q, k, v, shapes, op)
    try:
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{op}: the leading axes of {shapes} do not broadcast") from None
    dropout_p = number_arg(dropout_p, "dropout_p", op)
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    if scale is None:
        scale = 1 / math.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
    scale = number_arg(scale, "scale", op)
    L, S = q.shape[-2], k.shape[-2]
    mask = None
    if flag_arg(is_causal, "is_causal", op):
        if attn_mask is not None:
            raise ValueError(f"{op}: give attn_mask or is_causal=True, not both")
        mask = np.tri(L, S, dtype=bool)
    elif attn_mask is not None:
        mask = _mask(attn_mask, q, op)
        try:
            fits = np.broadcast_shapes(mask.shape, lead + (L, S)) == lead + (L, S)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{op}: attn_mask of shape {mask.shape} does not broadcast to the scores' "
                f"{lead + (L, S)} ({shapes})"
            )
    return attention(q, k, v, mask, scale, dropout_p, rng)[0]


def _mask(attn_mask: Any, q: Tensor, op: str) -> Any:
    """A bool mask as an array, a float one as a Tensor in the query's dtype."""
    if isinstance(attn_mask, Tensor):
        if attn_mask.dtype == bool:
            return attn_mask.data
        mask = attn_mask
    else:
        a = np.asarray(attn_mask)
        if a.dtype == bool:
            return a
        mask = to_tensor(a, op, "attn_mask")
    if mask.dtype.kind != "f":
        raise TypeError(f"{op}: attn_mask must be bool or floating, got {mask.dtype}")
    if mask.dtype != q.dtype:  # (added to the scores in the query's dtype)
        from tensorgrad.ops.arithmetic import astype

        mask = astype(mask, q.dtype)
    return mask


def _repeat_heads(q: Tensor, k: Tensor, v: Tensor, shapes: str, op: str) -> tuple:
    """Key and value heads (axis -3) each repeated for their group of query heads."""
    from tensorgrad.ops.shape import repeat

    if min(q.ndim, k.ndim, v.ndim) < 3:
        raise ValueError(f"{op}: enable_gqa needs heads on axis -3, got {shapes}")
    hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
    if hk != hv or hk == 0 or hq % hk:
        raise ValueError(
            f"{op}: with enable_gqa, key and value must have equal head counts dividing the "
            f"query's, got {shapes}"
        )
    return repeat(k, hq // hk, axis=-3), repeat(v, hq // hk, axis=-3)
