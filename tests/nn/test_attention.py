"""scaled_dot_product_attention and nn.MultiheadAttention beyond the registry: torch's values
(hard-coded from torch 2.13), masks, fully masked rows, shapes, parameters, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tests.nn.patterns import load_sin_pattern

F = tg.nn.functional
RNG = np.random.default_rng(0)


def _mha(**kw: object) -> tg.nn.MultiheadAttention:
    """MultiheadAttention(4, 2) in float64 with sin-pattern parameters (as the torch run)."""
    m = tg.nn.MultiheadAttention(4, 2, dtype=np.float64, **kw)
    load_sin_pattern(m, step=0.7, offset=0.0, scale=0.5)
    return m


def test_multihead_attention_is_torchs() -> None:
    m = _mha(add_bias_kv=True)
    assert [n for n, _ in m.named_parameters()] == [
        "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias"
    ]  # fmt: skip
    q = tg.tensor(np.cos(np.arange(24.0)).reshape(3, 2, 4), requires_grad=True)
    k = np.sin(np.arange(16.0) * 1.3).reshape(2, 2, 4)
    out, w = m(q, k, k, key_padding_mask=np.array([[False, True], [False, False]]))
    (out.sum() + (w**2).sum()).backward()
    np.testing.assert_allclose(
        out.data[0], [[-0.130374695653957, -0.936735305941306, 0.420677836412319,
                       0.515948100195058], [-0.064770323265088, -0.633787371619356,
                       0.437921979625436, 0.217715998219786]], rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        w.data[0], [[0.5922317131067324, 0.0, 0.4077682868932676],
                    [0.5736597331873877, 0.0, 0.4263402668126123],
                    [0.40611162853298577, 0.0, 0.5938883714670142]], rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(
        q.grad.data[2], [[-0.008083290158220938, 0.020317775715143354, 0.03916307419567273,
                          0.03958936694206275], [0.01720218794830689, -0.0045497532150912765,
                          -0.024161874349576968, -0.03241028843775558]], rtol=1e-10)  # fmt: skip
    np.testing.assert_allclose(
        m.in_proj_weight.grad.data[0],
        [-0.05776526880773504, -0.020431537718255507, 0.0356868549245244, 0.05899491772806012],
        rtol=1e-10,
    )


def test_multihead_attention_shapes() -> None:
    m = tg.nn.MultiheadAttention(6, 3, kdim=2, vdim=5, batch_first=True, rng=0)
    assert m.in_proj_weight is None and m.k_proj_weight.shape == (6, 2)
    q, k, v = RNG.normal(size=(4, 7, 6)), RNG.normal(size=(4, 3, 2)), RNG.normal(size=(4, 3, 5))
    q, k, v = (a.astype(np.float32) for a in (q, k, v))
    out, w = m(q, k, v, average_attn_weights=False)
    assert out.shape == (4, 7, 6) and w.shape == (4, 3, 7, 3) and out.dtype == np.float32
    out, w = m(q[0], k[0], v[0])  # (unbatched)
    assert out.shape == (7, 6) and w.shape == (7, 3)
    out, w = m(q, k, v, need_weights=False)
    assert w is None
    np.testing.assert_allclose(m(q, k, v)[0].data, out.data, rtol=1e-6)


def test_multihead_attention_errors() -> None:
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads \(4\)"):
        tg.nn.MultiheadAttention(6, 4)
    m = tg.nn.MultiheadAttention(4, 2)
    x = np.ones((3, 2, 4), np.float32)
    with pytest.raises(ValueError, match=r"query must be .* E = 4"):
        m(np.ones((3, 2, 5), np.float32), x, x)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(3, 3\) or \(4, 3, 3\)"):
        m(x, x, x, attn_mask=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="is_causal=True needs the causal attn_mask"):
        m(x, x, x, is_causal=True)


def test_a_fully_masked_query_gets_zeros_not_nan() -> None:
    """torch's "safe softmax" (2.5 and later): weights and output 0, gradients finite."""
    q = tg.tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    kv = tg.tensor(RNG.normal(size=(4, 2)), requires_grad=True)
    mask = np.ones((3, 4), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, kv, kv, attn_mask=mask)
    np.testing.assert_array_equal(out.data[1], 0.0)
    out.sum().backward()
    assert np.isfinite(q.grad.data).all() and np.isfinite(kv.grad.data).all()
    np.testing.assert_array_equal(q.grad.data[1], 0.0)


def test_masks_and_flags_are_torchs_rules() -> None:
    q, k, v = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 5, 4)), RNG.normal(size=(2, 5, 3))
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    explicit = F.scaled_dot_product_attention(q, k, v, attn_mask=np.tri(3, 5, dtype=bool))
    np.testing.assert_array_equal(causal.data, explicit.data)
    added = F.scaled_dot_product_attention(q, k, v, attn_mask=np.where(np.tri(3, 5), 0, -np.inf))
    np.testing.assert_allclose(added.data, causal.data, rtol=1e-14)
    # (grouped query attention: key and value heads repeated to the query's)
    qh, kh = RNG.normal(size=(4, 3, 2)), RNG.normal(size=(2, 5, 2))
    gqa = F.scaled_dot_product_attention(qh, kh, kh, enable_gqa=True)
    np.testing.assert_allclose(
        gqa.data, F.scaled_dot_product_attention(qh, np.repeat(kh, 2, 0), np.repeat(kh, 2, 0)).data
    )
    with pytest.raises(ValueError, match="attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"share the last axis .* query \(2, 3, 4\), key \(2, 5"):
        F.scaled_dot_product_attention(q, k[..., :3], v)
    # (a float mask of another dtype is added in the query's, as torch's)
    low = F.scaled_dot_product_attention(q, k, v, attn_mask=np.zeros((3, 5), np.float32))
    assert low.dtype == np.float64
    with pytest.raises(TypeError, match="query, key and value must share a dtype"):
        F.scaled_dot_product_attention(q, k.astype(np.float32), v)
    with pytest.raises(ValueError, match=r"leading axes of query \(2, 3, 4\), key \(3, 5, 4\)"):
        F.scaled_dot_product_attention(q, np.ones((3, 5, 4)), np.ones((3, 5, 3)))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(5, 2, 3, 5\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((5, 2, 3, 5), bool))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 5\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 5), bool))
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, rng=1)
    assert dropped.shape == (2, 3, 3)


def test_more_of_torchs_values() -> None:
    """E != Ev with the default scale; add_zero_attn; a decoder layer with norm_first, gelu
    and a memory padding mask (torch 2.13's values)."""
    q = np.cos(np.arange(6.0)).reshape(2, 3)
    k = np.sin(np.arange(12.0)).reshape(4, 3)
    v = np.cos(np.arange(20.0) * 0.3).reshape(4, 5)
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.sum().item() == pytest.approx(-0.48546438186382096, rel=1e-13)
    m = tg.nn.MultiheadAttention(4, 2, add_zero_attn=True, dtype=np.float64)
    load_sin_pattern(m)
    x = np.cos(np.arange(24.0)).reshape(3, 2, 4)
    o, w = m(x, x, x)
    assert o.sum().item() == pytest.approx(0.29845945399377394, rel=1e-13)
    assert (w**2).sum().item() == pytest.approx(1.5458594387207363, rel=1e-13)
    d = tg.nn.TransformerDecoderLayer(
        4, 2, 6, dropout=0.0, norm_first=True, activation="gelu", dtype=np.float64
    )
    load_sin_pattern(d)
    mem = np.sin(np.arange(16.0) * 0.7).reshape(2, 2, 4)
    kpm = np.array([[False, True], [False, False]])
    y = d(x, mem, memory_key_padding_mask=kpm)
    assert (y**2).sum().item() == pytest.approx(20.16655937781792, rel=1e-13)


def test_dropout_draws_are_seeded_and_differ_between_layers() -> None:
    """tg.manual_seed reaches the attention's dropout; a stack's clones draw different masks
    (also from a generator the user gave, which they share)."""
    x = np.random.default_rng(0).normal(size=(4, 2, 8))
    layer = tg.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, dtype=np.float64)
    layer.train()
    tg.manual_seed(1)
    first = layer(x).data
    tg.manual_seed(1)
    np.testing.assert_array_equal(layer(x).data, first)
    stack = tg.nn.TransformerEncoder(tg.nn.TransformerEncoderLayer(8, 2, 16, rng=0), 3)
    assert all(lay.self_attn.rng is stack.layers[0].self_attn.rng for lay in stack.layers)
    m = tg.nn.MultiheadAttention(64, 4, rng=0)  # (one stream: weights not alike)
    corr = np.corrcoef(m.in_proj_weight.data[:64].ravel(), m.out_proj.weight.data.ravel())
    assert abs(corr[0, 1]) < 0.2


def test_transformer_initialisation_is_torchs() -> None:
    """Xavier-uniform for every matrix of Transformer; the projections' biases 0."""
    t = tg.nn.Transformer(16, 2, 1, 1, 32, rng=0)
    w = t.encoder.layers[0].linear2.weight.data
    assert np.abs(w).max() <= np.sqrt(6 / (32 + 16)) and np.abs(w).max() > 0.2
    m = tg.nn.MultiheadAttention(16, 2, add_bias_kv=True, rng=0)
    np.testing.assert_array_equal(m.out_proj.bias.data, 0)
    np.testing.assert_array_equal(m.in_proj_bias.data, 0)
