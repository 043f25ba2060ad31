"""Layer primitives (tensorgrad/ops/layers.py): forward-mode rules against the definitions, and
adjoint paths that the small shapes of the op registry do not reach."""

from __future__ import annotations

import warnings

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


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_scale_grad_by_freq_divides_each_rows_gradient_by_its_count(padding_idx) -> None:
    # (torch's keyword was refused); a row picked three times gets a third of the sum
    rng = np.random.default_rng(0)
    table = rng.standard_normal((5, 3))
    idx = np.array([[0, 2, 2], [4, 2, 0]])
    w = tg.tensor(table, requires_grad=True)
    y = F.embedding(idx, w, padding_idx, scale_grad_by_freq=True, sparse=True)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g))
    want = np.zeros_like(table)
    np.add.at(want, idx.ravel(), g.reshape(-1, 3))
    want /= np.maximum(np.bincount(idx.ravel(), minlength=5), 1)[:, None]
    if padding_idx is not None:
        want[padding_idx] = 0
    np.testing.assert_allclose(w.grad.data, want)

    # the scaled gradient's own derivative agrees with its finite differences (torch's rule)
    def f(w: tg.Tensor) -> tg.Tensor:
        return (F.embedding(idx, w, padding_idx, scale_grad_by_freq=True) ** 3).sum()

    assert tg.gradcheck(lambda w: tg.grad(f)(w), [tg.tensor(table, requires_grad=True)])
    e = tg.nn.Embedding(5, 3, scale_grad_by_freq=True, sparse=True, rng=0)
    assert e.scale_grad_by_freq and e(np.array([1, 1])).shape == (2, 3)


def test_embedding_with_no_columns_differentiates() -> None:
    # (its scatter reshaped with -1 and 0 columns: ValueError; torch gives a (3, 0) gradient)
    import tensorgrad.nn.functional as F

    w = tg.tensor(np.zeros((3, 0)), requires_grad=True)
    F.embedding(np.array([0, 2]), w).sum().backward()
    assert w.grad.shape == (3, 0)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: F.linear("x", tg.ones((2, 3))), "linear: input holds str"),
        (lambda: F.linear(tg.ones((4, 3)), None), "linear: weight holds NoneType"),
        (
            lambda: F.linear(tg.ones((4, 3)), tg.ones((5, 3)), np.array(["b"] * 5)),
            "linear: bias holds dtype <U1",
        ),
        (
            lambda: F.embedding(tg.tensor([0]), np.ones((3, 2)) * 1j),
            "embedding: weight holds dtype complex128",
        ),
        (lambda: F.dropout("x"), "dropout: input holds str"),
    ],
)
def test_bad_data_is_named_by_the_function_and_its_argument(call, pattern) -> None:
    # (was a shape error for a string read as 0-d, or named an op the function is made of:
    # "add: argument 1", "embedding_gather: argument 0", "data:")
    with pytest.raises(TypeError, match=pattern):
        call()


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"max_norm": "x"}, "embedding: max_norm must be a number, got 'x'"),
        ({"max_norm": 1.0, "norm_type": "x"}, "embedding: norm_type must be a number, got 'x'"),
    ],
)
def test_embedding_max_norm_arguments_are_named_and_write_nothing(kwargs, pattern) -> None:
    # (were NumPy's UFuncTypeError and "Invalid norm order 'x' for vectors")
    w = tg.nn.Parameter(np.full((5, 2), 3.0))
    with pytest.raises(TypeError, match=pattern):
        F.embedding(tg.tensor([0, 1]), w, **kwargs)
    np.testing.assert_array_equal(w.data, np.full((5, 2), 3.0))


def test_dropout_names_a_negative_seed() -> None:
    # (NumPy's SeedSequence message named no argument)
    with pytest.raises(ValueError, match="dropout: an int seed for rng must be at least 0"):
        tg.nn.functional.dropout(tg.ones(3), 0.5, rng=-7)


def test_embedding_max_norm_refuses_a_weight_it_cannot_rescale_in_place() -> None:
    # (an integer table was truncated in place, a list gave an AttributeError, a read-only
    # array NumPy's bare message)
    ints = tg.tensor(np.array([[3, 4], [1, 0]]))
    with pytest.raises(TypeError, match=r"^embedding: max_norm .* must be floating, got dtype int"):
        F.embedding(np.array([0]), ints, max_norm=1.0)
    assert ints.data.tolist() == [[3, 4], [1, 0]]
    with pytest.raises(TypeError, match=r"^embedding: max_norm .* Tensor or an ndarray, got list"):
        F.embedding(np.array([0]), [[3.0, 4.0], [1.0, 0.0]], max_norm=1.0)
    frozen = np.array([[3.0, 4.0], [1.0, 0.0]])
    frozen.setflags(write=False)
    with pytest.raises(ValueError, match=r"^embedding: max_norm .* weight is read-only"):
        F.embedding(np.array([0]), frozen, max_norm=1.0)
    with warnings.catch_warnings():  # (an np.matrix table is a plain array: its rows rescaled)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        matrix = np.matrix([[3.0, 4.0], [1.0, 0.0], [6.0, 8.0]])
    out = F.embedding(np.array([0, 2]), matrix, max_norm=1.0)
    np.testing.assert_allclose(out.data, [[0.6, 0.8], [0.6, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(matrix), [[0.6, 0.8], [1.0, 0.0], [0.6, 0.8]], rtol=1e-6)
    table = np.array([[3.0, 4.0], [1.0, 0.0]])  # (a writeable float table is rescaled, as before)
    out = F.embedding(np.array([0]), table, max_norm=1.0)
    np.testing.assert_allclose(out.data, [[0.6, 0.8]], rtol=1e-6)
    np.testing.assert_allclose(table[0], [0.6, 0.8], rtol=1e-6)
