"""Layer primitives (tensorgrad/ops/layers.py): forward-mode rules against the definitions, and
adjoint paths that the small shapes of the op registry do not reach."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F

IDX = np.array([[0, 1], [2, 1]])


def _embed(w: tg.Tensor) -> tg.Tensor:
    return F.embedding(IDX, w, padding_idx=1)


def test_embedding_jvp_carries_the_padding_rows_tangent() -> None:
    # the output really is w[IDX], padding rows included: its tangent is t[IDX] (torch.func.jvp);
    # only the reverse rule blocks the padding row
    rng = np.random.default_rng(0)
    w, t = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    out, tangent = tg.jvp(_embed, (tg.tensor(w),), (tg.tensor(t),))
    np.testing.assert_array_equal(out.data, w[IDX])
    np.testing.assert_array_equal(tangent.data, t[IDX])
    eps = 1e-6
    fd = (_embed(tg.tensor(w + eps * t)).data - _embed(tg.tensor(w - eps * t)).data) / (2 * eps)
    np.testing.assert_allclose(tangent.data, fd, atol=1e-8)


def test_embedding_reverse_mode_still_blocks_the_padding_row() -> None:
    w = tg.tensor(np.ones((3, 2)), requires_grad=True)
    _embed(w).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]])
    # the gradient of the tangent with respect to the tangent is the same scatter

    def tangent_sum(t: tg.Tensor) -> tg.Tensor:
        return tg.jvp(_embed, (tg.tensor(np.ones((3, 2))),), (t,))[1].sum()

    g = tg.grad(tangent_sum)(tg.tensor(np.ones((3, 2))))
    np.testing.assert_array_equal(g.data, w.grad.data)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_on_one_sample_gives_outer_product_weight_gradients(dtype) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal(90).astype(dtype)  # 70 x 90: past the small-product branch
    w = tg.tensor(rng.standard_normal((70, 90)).astype(dtype), requires_grad=True)
    b = tg.tensor(np.zeros(70, dtype=dtype), requires_grad=True)
    weights = rng.standard_normal(70).astype(dtype)
    tg.sum(F.linear(tg.tensor(x), w, b) * weights).backward()
    np.testing.assert_allclose(w.grad.data, np.outer(weights, x), rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, weights, rtol=1e-6)
    assert w.grad.dtype == dtype and w.grad.data.flags.c_contiguous
