"""The transformer modules against torch 2.13's values (hard-coded), their parameter names,
clones, dropout and masks."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.patterns import load_sin_pattern

nn = tg.nn


def test_transformer_is_torchs() -> None:
    t = nn.Transformer(4, 2, 1, 1, 6, dropout=0.0, dtype=np.float64)
    load_sin_pattern(t)
    src = tg.tensor(np.cos(np.arange(24.0)).reshape(3, 2, 4), requires_grad=True)
    tgt = np.sin(np.arange(16.0) * 0.5).reshape(2, 2, 4)
    out = t(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(2, np.float64))
    (out**3).sum().backward()
    np.testing.assert_allclose(
        out.data[1], [[0.4492369246553908, 0.22098429313115311, 0.3160164355287966,
                       0.2945269780256402], [0.46067316156992666, 0.21319182951042537,
                       0.31564325076808836, 0.2789966422824025]], rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        src.grad.data[0], [[5.3685601111928715e-06, 4.098123516166872e-06,
                            7.423853787418238e-06, 3.692306148606857e-06],
                           [-2.3561328012651536e-05, -5.837585798873264e-05,
                            9.052765666044692e-05, 5.2462171736616844e-05]], rtol=1e-8)  # fmt: skip
    np.testing.assert_allclose(
        t.encoder.layers[0].linear1.weight.grad.data[0],
        [-7.895154715137629e-07, 5.95487794720616e-07, 3.835972497692796e-07,
         6.666359376042234e-07], rtol=1e-8)  # fmt: skip


def test_parameter_names_are_torchs() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    assert [n for n, _ in layer.named_parameters()] == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
    ]  # fmt: skip
    dec = nn.TransformerDecoderLayer(8, 2, 16)
    names = [n for n, _ in dec.named_children()]
    assert names == ["self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1",
                     "norm2", "norm3", "dropout1", "dropout2", "dropout3"]  # fmt: skip
    enc = nn.TransformerEncoder(layer, 3)
    assert len(enc.layers) == 3 and enc.layers[0] is not enc.layers[1]
    # (clones start equal, as torch's, and then train apart)
    np.testing.assert_array_equal(
        enc.layers[0].linear1.weight.data, enc.layers[2].linear1.weight.data
    )
    t = nn.Transformer(8, 2, 1, 2, 16)
    assert {n.split(".")[0] for n, _ in t.named_parameters()} == {"encoder", "decoder"}
    assert len(t.decoder.layers) == 2


def test_dropout_in_training_and_not_in_eval() -> None:
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, batch_first=True)
    x = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    layer.train()
    assert not np.array_equal(layer(x).data, layer(x).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    assert layer(x).shape == (2, 5, 8) and layer(x[0]).shape == (5, 8)


def test_masks_and_errors() -> None:
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask.data, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    with pytest.raises(ValueError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=nn.GELU())
    x = np.ones((3, 1, 8), np.float32)
    causal = layer(x, src_mask=mask, is_causal=True)
    np.testing.assert_array_equal(causal.data, layer(x, src_mask=mask).data)
