"""diagonal, diag, trace, tril, triu: NumPy's values, shapes and dtypes; where the gradient
lands; errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensorgrad as tg

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 3, 4), (0, 3), (2, 0, 2)])
def test_values_are_numpys(shape: tuple[int, ...]) -> None:
    a = RNG.normal(size=shape)
    axes = [(i, j) for i, j in itertools.permutations(range(-len(shape), len(shape)), 2)
            if i % len(shape) != j % len(shape)]  # fmt: skip
    for k in (-6, -1, 0, 2, 7):
        np.testing.assert_array_equal(tg.tril(a, k).data, np.tril(a, k))
        np.testing.assert_array_equal(tg.triu(a, k).data, np.triu(a, k))
        for ax in axes:
            np.testing.assert_array_equal(tg.diagonal(a, k, *ax).data, np.diagonal(a, k, *ax))
            np.testing.assert_array_equal(tg.trace(a, k, *ax).data, np.trace(a, k, *ax))
        if len(shape) == 2:
            np.testing.assert_array_equal(tg.diag(a, k).data, np.diag(a, k))


@pytest.mark.parametrize("n", [0, 1, 3])
def test_diag_of_a_vector_and_1d_triangles(n: int) -> None:
    v = RNG.normal(size=n)
    for k in (-2, 0, 1):
        np.testing.assert_array_equal(tg.diag(v, k).data, np.diag(v, k))
        np.testing.assert_array_equal(tg.tril(v, k).data, np.tril(v, k))
        np.testing.assert_array_equal(tg.triu(v, k).data, np.triu(v, k))


def test_dtypes_are_numpys() -> None:
    ints = np.arange(9, dtype=np.int32).reshape(3, 3)
    assert tg.trace(ints).dtype == np.trace(ints).dtype
    for dtype in (np.float32, np.int8, np.uint8, bool, np.float16):
        np.testing.assert_array_equal(tg.trace(ints, dtype=dtype).data, np.trace(ints, dtype=dtype))
        assert tg.trace(ints, dtype=dtype).dtype == np.trace(ints, dtype=dtype).dtype
    wraps = np.full((2, 2), 200, np.uint8)
    assert tg.trace(wraps, dtype=np.uint8).item() == np.trace(wraps, dtype=np.uint8) == 144
    for fn in (tg.tril, tg.triu, tg.diagonal, tg.diag):
        assert fn(ints).dtype == np.int32
        assert fn(ints > 3).dtype == np.bool_
        np.testing.assert_array_equal(fn(ints > 3).data, getattr(np, fn.__name__)(ints > 3))


def test_infinities_stay_out_of_the_zeroed_part() -> None:
    a = np.full((3, 3), np.inf)
    assert np.array_equal(tg.tril(a).data, np.tril(a))  # zeros, not inf * 0
    assert np.array_equal(tg.diag(np.array([np.inf, 1.0])).data, np.diag([np.inf, 1.0]))


def test_gradients_land_where_the_entries_came_from() -> None:
    a = RNG.normal(size=(2, 3, 4))
    x = tg.tensor(a, requires_grad=True)
    (tg.diagonal(x, 1, 2, 1) * np.arange(1.0, 3.0)).sum().backward()
    want = np.zeros_like(a)
    for r in range(2):  # rows along axis 2, columns along axis 1, offset 1: [b, r + 1, r]
        want[:, r + 1, r] = r + 1.0
    np.testing.assert_array_equal(x.grad.data, want)

    y = tg.tensor(RNG.normal(size=(3, 3)), requires_grad=True)
    (tg.tril(y, -1) * 2.0).sum().backward()
    np.testing.assert_array_equal(y.grad.data, 2.0 * np.tril(np.ones((3, 3)), -1))

    v = tg.tensor(RNG.normal(size=3), requires_grad=True)
    w = RNG.normal(size=(5, 5))
    (tg.diag(v, -2) * w).sum().backward()
    np.testing.assert_array_equal(v.grad.data, np.diagonal(w, -2))

    z = tg.tensor(RNG.normal(size=(4, 4)), requires_grad=True)
    tg.trace(z, 1).backward()
    np.testing.assert_array_equal(z.grad.data, np.eye(4, k=1))


def test_methods_and_numpy_functions_dispatch() -> None:
    x = tg.tensor(RNG.normal(size=(3, 3)), requires_grad=True)
    assert np.trace(x, out=None).requires_grad  # (NumPy's default out is taken)
    with pytest.raises(TypeError, match="np.trace on a Tensor does not support the argument out"):
        np.trace(x, 0, 0, 1, None, np.zeros(()))
    plain = tg.tensor(np.eye(2))
    out = np.zeros(())
    assert np.trace(plain, 0, 0, 1, None, out) is out and out == 2.0  # (graph-free: NumPy's)
    for out in (x.diagonal(), x.trace(1), np.diagonal(x), np.trace(x), np.tril(x), np.triu(x, 1),
                np.diag(x)):  # fmt: skip
        assert isinstance(out, tg.Tensor) and out.requires_grad


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: tg.diagonal(np.ones(3)), ValueError, r"diagonal: a must be at least 2-D.*\(3,\)"),
        (lambda: tg.diagonal(np.ones((2, 2)), 0, 1, -1), ValueError, "axis1 and axis2 are"),
        (lambda: tg.diagonal(np.ones((2, 2)), 0, 0, 2), ValueError, "diagonal"),
        (lambda: tg.trace(np.ones((2, 2)), 1.5), TypeError, "trace: offset must be an int"),
        (lambda: tg.trace(np.ones(3)), ValueError, "trace: a must be at least 2-D"),
        (lambda: tg.diagonal(np.ones((2, 2)), 0, 0, 5), ValueError, r"diagonal \(axis2\)"),
        (lambda: tg.tril(np.float64(1.0)), ValueError, r"tril: m must be at least 1-D"),
        (lambda: tg.triu(np.ones((2, 2)), k=True), TypeError, "triu: k must be an int"),
        (lambda: tg.diag(np.ones((2, 2, 2))), ValueError, r"diag: v must be 1-D or 2-D"),
        (lambda: tg.diag(np.float64(1.0)), ValueError, r"diag: v must be 1-D or 2-D"),
        (lambda: tg.diag(np.ones(2), "1"), TypeError, "diag: k must be an int"),
        (lambda: tg.tril("abc"), TypeError, "tril"),
    ],
)  # fmt: skip
def test_refusals_name_the_op_and_argument(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_diag_embed_is_torchs_and_diagonal_inverts_it() -> None:
    # torch 2.13: diag_embed([[1, 2], [3, 4]], offset=-1, dim1=0, dim2=2)
    want = [[[0, 0, 0], [0, 0, 0]], [[1, 0, 0], [3, 0, 0]], [[0, 2, 0], [0, 4, 0]]]
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tg.diag_embed(x, -1, 0, 2).data, want)
    a = RNG.normal(size=(2, 3, 4))
    for offset, dims in itertools.product((-2, 0, 3), itertools.permutations(range(-4, 4), 2)):
        if dims[0] % 4 == dims[1] % 4:
            continue
        out = tg.diag_embed(a, offset, *dims)
        assert out.shape[dims[0]] == out.shape[dims[1]] == 4 + abs(offset)
        np.testing.assert_array_equal(tg.diagonal(out, offset, *dims).data, a)
        assert np.count_nonzero(out.data) == a.size
    assert tg.diag_embed(np.arange(3)).dtype == np.arange(3).dtype
    np.testing.assert_array_equal(tg.diag_embed(np.array([1.0, 2.0])).data, np.diag([1.0, 2.0]))


def test_diag_embed_gradient_is_the_diagonal_back_to_any_order() -> None:
    x = tg.tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    v = RNG.normal(size=(2, 4, 4))
    (g,) = tg.autograd.grad(tg.diag_embed(x, 1), [x], v, create_graph=True)
    np.testing.assert_array_equal(g.data, np.diagonal(v, 1, -2, -1))
    # (linear: the gradient's own derivative in the cotangent puts it back on the diagonal)
    w = tg.tensor(v, requires_grad=True)
    (g,) = tg.autograd.grad(tg.diag_embed(x, 1), [x], w, create_graph=True)
    (back,) = tg.autograd.grad((g * g).sum(), [w])
    np.testing.assert_allclose(back.data, tg.diag_embed(2 * g.data, 1).data)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: tg.diag_embed(np.float64(1.0)), ValueError, r"diag_embed: input must be at least"),
        (lambda: tg.diag_embed(np.ones(3), 0, 0, 0), ValueError, "dim1 and dim2 are the same"),
        (lambda: tg.diag_embed(np.ones(3), 0, -2, 0), ValueError, "dim1 and dim2 are the same"),
        (lambda: tg.diag_embed(np.ones(3), 0, 0, 2), ValueError, r"diag_embed \(dim2\)"),
        (lambda: tg.diag_embed(np.ones(3), 1.5), TypeError, "diag_embed: offset must be an int"),
        (lambda: tg.diag_embed("abc"), TypeError, "diag_embed"),
    ],
)  # fmt: skip
def test_diag_embed_refusals_name_the_op(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


# ----------------------------------------------------------------------------- index helpers


def _same_indices(got: tuple, want: tuple) -> None:
    assert type(got) is tuple and len(got) == len(want)
    for g, w in zip(got, want):
        assert type(g) is np.ndarray and g.dtype == w.dtype  # (plain arrays, as NumPy's)
        np.testing.assert_array_equal(g, w)


def test_triangle_and_diagonal_indices_are_numpys() -> None:
    for n, k, m in itertools.product(range(5), range(-3, 4), [None, 0, 1, 3, 5]):
        _same_indices(tg.tril_indices(n, k, m), np.tril_indices(n, k, m))
        _same_indices(tg.triu_indices(n, k, m), np.triu_indices(n, k, m))
    for n, ndim in itertools.product(range(4), range(5)):
        _same_indices(tg.diag_indices(n, ndim), np.diag_indices(n, ndim))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3), (3,), (2, 2, 2), (3, 3, 3, 3)])
def test_index_helpers_read_a_tensors_shape(shape: tuple[int, ...]) -> None:
    a = RNG.normal(size=shape)
    for arr in [a, tg.tensor(a), tg.tensor(a, requires_grad=True)] + [a.tolist()] * (a.size > 0):
        for name, k in itertools.product(["tril_indices_from", "triu_indices_from"], (-1, 0, 2)):
            if len(shape) != 2:
                with pytest.raises(ValueError, match=f"{name}: arr must be 2-D"):
                    getattr(tg, name)(arr, k)
                continue
            _same_indices(getattr(tg, name)(arr, k), getattr(np, name)(a, k))
        if len(shape) < 2 or len(set(shape)) > 1:
            with pytest.raises(ValueError, match="diag_indices_from: arr"):
                tg.diag_indices_from(arr)
        else:
            _same_indices(tg.diag_indices_from(arr), np.diag_indices_from(a))
    # np.<name>_from on a Tensor that requires grad: the same plain arrays
    t = tg.tensor(a, requires_grad=True)
    if len(shape) == 2:
        _same_indices(np.tril_indices_from(t, 1), np.tril_indices_from(a, 1))
        _same_indices(np.triu_indices_from(t), np.triu_indices_from(a))


def test_index_helpers_refuse_what_is_no_size() -> None:
    for call in (lambda: tg.tril_indices(2.0), lambda: tg.triu_indices(2, 1.5),
                 lambda: tg.tril_indices(2, 0, True), lambda: tg.diag_indices(3, 2.0),
                 lambda: tg.diag_indices(tg.tensor(3))):  # fmt: skip
        with pytest.raises(TypeError, match=r"(tril|triu|diag)_indices: \w+ must be an int"):
            call()
    with pytest.raises(ValueError, match="triu_indices: n and m must be non-negative"):
        tg.triu_indices(-1)
    with pytest.raises(TypeError, match="tril_indices_from: arr holds"):
        tg.tril_indices_from(np.array([["a"]]))


def test_tril_and_triu_methods_take_numpys_k() -> None:
    # (Tensor methods keep NumPy's names, as t.sum(axis=...) does; torch's t.tril(1) reads the
    # same positionally, its keyword diagonal= is refused)
    a = RNG.normal(size=(2, 3, 4))
    x = tg.tensor(a)
    np.testing.assert_array_equal(x.tril().data, np.tril(a))
    np.testing.assert_array_equal(x.triu(1).data, np.triu(a, 1))
    np.testing.assert_array_equal(x.tril(k=-1).data, np.tril(a, -1))
    with pytest.raises(TypeError, match="diagonal"):
        x.triu(diagonal=1)
