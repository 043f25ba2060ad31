"""``nn.MultiheadAttention``, torch's: its parameters, masks and results, its attention made
of recorded ops (``tensorgrad.ops.attention``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_float_dtype, to_tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.layers import Linear, _empty, _positive
from tensorgrad.nn.module import Module
from tensorgrad.ops.attention import attention
from tensorgrad.ops.layers import as_generator, probability
from tensorgrad.tensor import Tensor, flag_arg

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of ``embed_dim // num_heads`` features, as torch's:
    query, key and value projected (``in_proj_weight`` (3E, E) and ``in_proj_bias``, or
    ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` where ``kdim`` or ``vdim`` differ
    from E), attention per head, the heads joined by ``out_proj``. Inputs (L, N, E)
    (``batch_first``: (N, L, E)) or unbatched (L, E); ``dropout`` on the weights in training
    mode."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        layer = "MultiheadAttention"
        self.embed_dim = _positive(embed_dim, "embed_dim", layer)
        self.num_heads = _positive(num_heads, "num_heads", layer)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"{layer}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        self.kdim = self.embed_dim if kdim is None else _positive(kdim, "kdim", layer)
        self.vdim = self.embed_dim if vdim is None else _positive(vdim, "vdim", layer)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = probability(dropout, layer)
        self.batch_first = flag_arg(batch_first, "batch_first", layer)
        self.add_zero_attn = flag_arg(add_zero_attn, "add_zero_attn", layer)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        d = check_float_dtype(dtype, layer)
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _empty((3 * e, e), d, layer)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = _empty((e, e), d, layer)
            self.k_proj_weight = _empty((e, self.kdim), d, layer)
            self.v_proj_weight = _empty((e, self.vdim), d, layer)
        if flag_arg(bias, "bias", layer):
            self.in_proj_bias = _empty((3 * e,), d, layer)
        else:
            self.register_parameter("in_proj_bias", None)
        if flag_arg(add_bias_kv, "add_bias_kv", layer):
            self.bias_k, self.bias_v = _empty((1, 1, e), d, layer), _empty((1, 1, e), d, layer)
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        gen = as_generator(rng, layer)  # (one stream: initialisation, then dropout's masks)
        self.out_proj = Linear(e, e, bias=bias, dtype=d, rng=gen)
        self._reset_parameters(gen)
        # (None: the default generator at each call, so that tg.manual_seed reaches it)
        self.rng = None if rng is None else gen

    def _reset_parameters(self, rng: Any = None) -> None:
        """torch's: Xavier-uniform projections, zero biases, Xavier-normal bias_k and bias_v
        (out_proj's weight keeps Linear's initialisation)."""
        gen = as_generator(rng, "MultiheadAttention")
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, rng=gen)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w, rng=gen)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k, rng=gen)
            init.xavier_normal_(self.bias_v, rng=gen)

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """``(output, weights)``: output as the query's shape; the weights (N, L, S) averaged
        over heads (else (N, num_heads, L, S)), None unless ``need_weights``. Masks as
        torch's: a bool ``attn_mask`` (L, S) or (N * num_heads, L, S) and ``key_padding_mask``
        (N, S) are True where a key may NOT be attended to; float ones are added to the
        scores. ``is_causal`` is a hint that ``attn_mask`` is the causal mask (it must be
        given)."""
        from tensorgrad.ops.shape import concatenate, pad, reshaped, swapaxes

        q, k, v = (to_tensor(t, "MultiheadAttention") for t in (query, key, value))
        batched = q.ndim == 3
        self._check(q, k, v, batched)
        if flag_arg(is_causal, "is_causal", "MultiheadAttention") and attn_mask is None:
            raise ValueError("MultiheadAttention: is_causal=True needs the causal attn_mask")
        if not batched:  # (a batch of one, on axis 1)
            q, k, v = (reshaped(t, (t.shape[0], 1, t.shape[1])) for t in (q, k, v))
            if key_padding_mask is not None:
                key_padding_mask = _reshaped_mask(key_padding_mask, (1, -1))
        elif self.batch_first:
            q, k, v = (swapaxes(t, 0, 1) for t in (q, k, v))
        L, N, E = q.shape
        H, hd = self.num_heads, self.head_dim
        q, k, v = self._project(q, k, v)
        mask = self._mask(attn_mask, q, N, L, k.shape[0], "attn_mask")
        padding = self._mask(key_padding_mask, q, N, L, k.shape[0], "key_padding_mask")
        if self.bias_k is not None:
            k = concatenate([k, self.bias_k * np.ones((1, N, 1), k.dtype)], axis=0)
            v = concatenate([v, self.bias_v * np.ones((1, N, 1), v.dtype)], axis=0)
            mask, padding = _one_more_key(mask), _one_more_key(padding)
        # (heads: (L, N, E) -> (N * H, L, hd))
        q, k, v = (swapaxes(reshaped(t, (t.shape[0], N * H, hd)), 0, 1) for t in (q, k, v))
        if self.add_zero_attn:
            k, v = (pad(t, ((0, 0), (0, 1), (0, 0))) for t in (k, v))
            mask, padding = _one_more_key(mask), _one_more_key(padding)
        if padding is not None:  # (N, S) -> (N * H, 1, S)
            s = padding.shape[-1]
            padding = reshaped(padding[:, None, None, :] * np.ones((1, H, 1, 1), padding.dtype),
                               (N * H, 1, s))  # fmt: skip
            mask = padding if mask is None else mask + padding
        p = self.dropout if self.training else 0.0
        out, weights = attention(q, k, v, mask, 1 / math.sqrt(hd), p, self.rng)
        out = reshaped(swapaxes(out, 0, 1), (L * N, E))
        out = reshaped(self.out_proj(out), (L, N, E))
        if not batched:
            out = reshaped(out, (L, E))
        elif self.batch_first:
            out = swapaxes(out, 0, 1)
        if not flag_arg(need_weights, "need_weights", "MultiheadAttention"):
            return out, None
        weights = reshaped(weights, (N, H, L, weights.shape[-1]))
        if flag_arg(average_attn_weights, "average_attn_weights", "MultiheadAttention"):
            weights = weights.mean(axis=1)
        return out, weights if batched else reshaped(weights, weights.shape[1:])

    def _check(self, q: Tensor, k: Tensor, v: Tensor, batched: bool) -> None:
        want = 3 if batched else 2
        dims = (self.embed_dim, self.kdim, self.vdim)
        for name, t, d in zip(("query", "key", "value"), (q, k, v), dims):
            if t.ndim != want or t.shape[-1] != d or t.dtype.kind != "f":
                raise ValueError(
                    f"MultiheadAttention: {name} must be a float array "
                    f"{'(L, N, E)' if batched else '(L, E)'} with E = {d} (query, key and value "
                    f"all batched or all not), got shapes {q.shape}, {k.shape}, {v.shape}"
                )
        batch = 0 if self.batch_first else 1
        if k.shape[:-1] != v.shape[:-1] or (batched and q.shape[batch] != k.shape[batch]):
            raise ValueError(
                "MultiheadAttention: key and value must share their length and batch, and the "
                f"query its batch; got shapes {q.shape}, {k.shape}, {v.shape}"
            )

    def _project(self, q: Tensor, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            ws = (w[:e], w[e : 2 * e], w[2 * e :])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        bs = (None,) * 3 if b is None else (b[:e], b[e : 2 * e], b[2 * e :])
        return tuple(F.linear(t, w, c) for t, w, c in zip((q, k, v), ws, bs))

    def _mask(self, mask: Any, q: Tensor, N: int, L: int, S: int, name: str) -> Any:
        """A mask as a float Tensor of the query's dtype to add to the scores (-inf where a
        bool mask is True): (1, L, S) or (N * H, L, S) for attn_mask, (N, S) for padding."""
        if mask is None:
            return None
        m = mask if isinstance(mask, Tensor) else to_tensor(mask, "MultiheadAttention", name)
        if m.dtype == bool:
            m = Tensor(np.where(m.data, np.array(-np.inf, q.dtype), np.zeros((), q.dtype)))
        elif m.dtype != q.dtype:
            raise TypeError(
                f"MultiheadAttention: {name} must be bool or of the query's dtype {q.dtype}, got "
                f"{m.dtype}"
            )
        if name == "key_padding_mask":
            want = [(N, S)]
        else:
            want = [(L, S), (N * self.num_heads, L, S)]
        if m.shape not in want:
            raise ValueError(
                f"MultiheadAttention: {name} must have shape {' or '.join(map(str, want))}, got "
                f"{m.shape}"
            )
        return m[None] if m.ndim == 2 and name == "attn_mask" else m

    def extra_repr(self) -> str:
        return ""


def _one_more_key(mask: Any) -> Any:
    """A mask with a column of 0 for one more key (bias_k's, add_zero_attn's)."""
    from tensorgrad.ops.shape import pad

    if mask is None:
        return None
    return pad(mask, ((0, 0),) * (mask.ndim - 1) + ((0, 1),))


def _reshaped_mask(mask: Any, shape: tuple[int, ...]) -> Any:
    from tensorgrad.ops.shape import reshaped

    if not isinstance(mask, Tensor):
        mask = to_tensor(mask, "MultiheadAttention", "key_padding_mask")
    return reshaped(mask, shape)
