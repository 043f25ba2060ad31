"""torch's transformer modules: ``TransformerEncoderLayer``, ``TransformerEncoder``,
``TransformerDecoderLayer``, ``TransformerDecoder`` and ``Transformer``, made of
``MultiheadAttention``, ``Linear``, ``LayerNorm`` and ``Dropout`` with torch's names (so
state dicts load both ways) and torch's order of operations (``norm_first`` too)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.attention import MultiheadAttention
from tensorgrad.nn.containers import ModuleList
from tensorgrad.nn.layers import Dropout, LayerNorm, Linear, _positive
from tensorgrad.nn.module import Module
from tensorgrad.ops.layers import as_generator
from tensorgrad.tensor import Tensor, flag_arg

__all__ = [
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
]


def _activation(activation: Any, layer: str) -> Callable[[Any], Tensor]:
    """torch's ``activation``: 'relu', 'gelu', or a callable (a module too)."""
    if isinstance(activation, str):
        if activation not in ("relu", "gelu"):
            raise ValueError(f"{layer}: activation should be relu/gelu, not {activation}")
        return F.relu if activation == "relu" else F.gelu
    if not callable(activation):
        raise TypeError(f"{layer}: activation must be 'relu', 'gelu' or a callable")
    return activation


def _attention(d_model: int, nhead: int, gen: Any, rng: Any, kw: dict) -> MultiheadAttention:
    """A layer's attention, initialised from the layer's stream ``gen``; its dropout draws
    from ``gen`` only if the user gave ``rng`` (else from the default generator at each call,
    which ``tg.manual_seed`` reaches, as the layer's Dropout modules always do)."""
    attn = MultiheadAttention(d_model, nhead, rng=gen, **kw)
    attn.rng = None if rng is None else gen
    return attn


class _Block(Module):
    """What the encoder and decoder layers share: their parts, in torch's order (so that state
    dicts match both ways), and the feed-forward block."""

    def _build(
        self, layer: str, attentions: tuple[str, ...], d_model: int, nhead: int,
        dim_feedforward: int, dropout: float, activation: Any, layer_norm_eps: float,
        batch_first: bool, norm_first: bool, bias: bool, dtype: Any, rng: Any,
    ) -> None:  # fmt: skip
        """The ``attentions``, the feed-forward block's Linear, Dropout and Linear, then a
        LayerNorm and a Dropout for each residual branch (the attentions' and the block's)."""
        gen = as_generator(rng, layer)
        kw = {"dropout": dropout, "bias": bias, "batch_first": batch_first, "dtype": dtype}
        for name in attentions:
            setattr(self, name, _attention(d_model, nhead, gen, rng, kw))
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, rng=gen)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, rng=gen)
        self.norm_first = flag_arg(norm_first, "norm_first", layer)
        branches = range(1, len(attentions) + 2)
        for i in branches:
            setattr(
                self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            )
        for i in branches:
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(activation, layer)

    def _ff_block(self, x: Tensor, drop: Module) -> Tensor:
        return drop(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _attend(self, attn, drop, x, mem, mask, padding, is_causal) -> Tensor:
        out = attn(x, mem, mem, attn_mask=mask, key_padding_mask=padding, need_weights=False,
                   is_causal=is_causal)[0]  # fmt: skip
        return drop(out)


class TransformerEncoderLayer(_Block):
    """Self-attention then a feed-forward block, each with a residual connection and a
    LayerNorm after it (``norm_first``: before it), as torch's."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        self._build("TransformerEncoderLayer", ("self_attn",), d_model, nhead, dim_feedforward,
                    dropout, activation, layer_norm_eps, batch_first, norm_first, bias, dtype,
                    rng)  # fmt: skip

    def forward(
        self,
        src: Any,
        src_mask: Any = None,
        src_key_padding_mask: Any = None,
        is_causal: bool = False,
    ) -> Tensor:
        """``src`` (S, N, E) (``batch_first``: (N, S, E)) or (S, E); masks as
        ``MultiheadAttention``'s."""
        x = src

        def sa(y: Any) -> Tensor:
            return self._attend(self.self_attn, self.dropout1, y, y, src_mask,
                                src_key_padding_mask, is_causal)  # fmt: skip

        if self.norm_first:
            x = x + sa(self.norm1(x))
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + sa(x))
        return self.norm2(x + self._ff_block(x, self.dropout2))


class TransformerDecoderLayer(_Block):
    """Self-attention, attention over the encoder's output (``memory``), then a feed-forward
    block, each with a residual connection and a LayerNorm, as torch's."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        self._build("TransformerDecoderLayer", ("self_attn", "multihead_attn"), d_model, nhead,
                    dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                    bias, dtype, rng)  # fmt: skip

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """``tgt`` (T, N, E) and ``memory`` (S, N, E) (``batch_first``: batch first) or
        unbatched; masks as ``MultiheadAttention``'s."""
        x = tgt

        def sa(y: Any) -> Tensor:
            return self._attend(self.self_attn, self.dropout1, y, y, tgt_mask,
                                tgt_key_padding_mask, tgt_is_causal)  # fmt: skip

        def mha(y: Any) -> Tensor:
            return self._attend(self.multihead_attn, self.dropout2, y, memory, memory_mask,
                                memory_key_padding_mask, memory_is_causal)  # fmt: skip

        if self.norm_first:
            x = x + sa(self.norm1(x))
            x = x + mha(self.norm2(x))
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + sa(x))
        x = self.norm2(x + mha(x))
        return self.norm3(x + self._ff_block(x, self.dropout3))


def _clones(layer: Module, num_layers: Any, name: str) -> ModuleList:
    """``num_layers`` deep copies of ``layer`` (equal initial parameters, as torch's)."""
    n = _positive(num_layers, "num_layers", name, 0)
    # (a generator a module draws dropout's masks from is shared, not copied: copies would
    # repeat each other's masks)
    shared = {id(m.rng): m.rng for m in layer.modules() if getattr(m, "rng", None) is not None}
    return ModuleList([copy.deepcopy(layer, memo=dict(shared)) for _ in range(n)])


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` in turn, then ``norm`` if given, as
    torch's (``enable_nested_tensor`` and ``mask_check`` are accepted and change nothing)."""

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers, "TransformerEncoder")
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(
        self, src: Any, mask: Any = None, src_key_padding_mask: Any = None, is_causal: Any = None
    ) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))  # fmt: skip
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` in turn, then ``norm`` if given, as torch's."""

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers, "TransformerDecoder")
        self.num_layers = len(self.layers)
        self.norm = norm

    def forward(
        self,
        tgt: Any,
        memory: Any,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        tgt_is_causal: Any = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                      memory_key_padding_mask, bool(tgt_is_causal), memory_is_causal)  # fmt: skip
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """torch's encoder-decoder transformer: ``encoder`` and ``decoder`` stacks each ending in
    a LayerNorm, every matrix parameter re-initialised Xavier-uniform (as torch's)."""

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        gen = as_generator(rng, "Transformer")
        kw = {"dim_feedforward": dim_feedforward, "dropout": dropout, "activation": activation,
              "layer_norm_eps": layer_norm_eps, "batch_first": batch_first,
              "norm_first": norm_first, "bias": bias, "dtype": dtype, "rng": gen}  # fmt: skip
        norm = {"eps": layer_norm_eps, "bias": bias, "dtype": dtype}
        if custom_encoder is None:
            layer = TransformerEncoderLayer(d_model, nhead, **kw)
            custom_encoder = TransformerEncoder(
                layer, num_encoder_layers, LayerNorm(d_model, **norm)
            )
        if custom_decoder is None:
            layer = TransformerDecoderLayer(d_model, nhead, **kw)
            custom_decoder = TransformerDecoder(
                layer, num_decoder_layers, LayerNorm(d_model, **norm)
            )
        self.encoder, self.decoder = custom_encoder, custom_decoder
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, rng=gen)

    def forward(
        self,
        src: Any,
        tgt: Any,
        src_mask: Any = None,
        tgt_mask: Any = None,
        memory_mask: Any = None,
        src_key_padding_mask: Any = None,
        tgt_key_padding_mask: Any = None,
        memory_key_padding_mask: Any = None,
        src_is_causal: Any = None,
        tgt_is_causal: Any = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The decoder's output for ``tgt`` over the encoding of ``src``."""
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)  # fmt: skip
        return self.decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                            memory_key_padding_mask, tgt_is_causal, memory_is_causal)  # fmt: skip

    @staticmethod
    def generate_square_subsequent_mask(sz: int, dtype: Any = np.float32) -> Tensor:
        """The causal float mask (sz, sz): 0 on and below the diagonal, -inf above, as torch's."""
        return Tensor(np.triu(np.full((sz, sz), -np.inf, dtype=dtype), k=1))
