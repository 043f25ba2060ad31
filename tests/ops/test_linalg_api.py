"""The rest of np.linalg on Tensors (tensorgrad/ops/linalg_api.py): NumPy's values, the
np.linalg.* spellings on Tensors, cond's infinities, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

RNG = np.random.default_rng(1)


@pytest.mark.parametrize(
    "kw",
    [{}, {"axis": 1}, {"axis": (0, 2)}, {"axis": (2, 0), "keepdims": True}, {"axis": ()},
     {"ord": 1}, {"ord": np.inf, "axis": (1, 2)}, {"ord": 0.5, "keepdims": True}, {"ord": 0}],
)  # fmt: skip
def test_vector_norm_is_numpys(kw: dict) -> None:
    x = RNG.normal(size=(2, 3, 4))
    got = tg.linalg.vector_norm(x, **kw)
    want = np.linalg.vector_norm(x, **kw)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.data, want, rtol=1e-14)
    np.testing.assert_allclose(np.linalg.vector_norm(tg.tensor(x), **kw).data, want, rtol=1e-14)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm_is_numpys(ord: object) -> None:
    x = RNG.normal(size=(2, 3, 4))
    for keepdims in (False, True):
        got = tg.linalg.matrix_norm(x, ord=ord, keepdims=keepdims)
        np.testing.assert_allclose(
            got.data, np.linalg.matrix_norm(x, ord=ord, keepdims=keepdims), rtol=1e-13
        )


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf])
def test_cond_is_numpys(p: object) -> None:
    x = RNG.normal(size=(2, 3, 3))
    np.testing.assert_allclose(tg.linalg.cond(x, p).data, np.linalg.cond(x, p), rtol=1e-12)
    # (an exactly singular matrix: inf, as NumPy's, for every p)
    with np.errstate(all="ignore"):
        assert np.isinf(tg.linalg.cond(np.zeros((2, 2)), p).item())
        singular = np.array([[1.0, 2.0], [0.0, 0.0]])  # (NumPy's nuc raises: no convergence)
        assert tg.linalg.cond(singular, p).item() == (0.0 if p == -2 else np.inf)


def test_cond_gradient_is_the_singular_values_ratio() -> None:
    x = tg.tensor(RNG.normal(size=(3, 3)), requires_grad=True)
    tg.linalg.cond(x).backward()
    u, s, vh = np.linalg.svd(x.data)
    want = np.outer(u[:, 0], vh[0]) / s[-1] - s[0] / s[-1] ** 2 * np.outer(u[:, -1], vh[-1])
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)


def test_the_array_api_functions_are_numpys() -> None:
    x, y = RNG.normal(size=(2, 3, 3)), RNG.normal(size=(3, 3))
    cases = [
        (tg.linalg.matrix_transpose(x), np.linalg.matrix_transpose(x)),
        (tg.linalg.vecdot(x, y), np.linalg.vecdot(x, y)),
        (tg.linalg.vecdot(x, x, axis=0), np.linalg.vecdot(x, x, axis=0)),
        (tg.linalg.cross(x, y), np.linalg.cross(x, y)),
        (tg.linalg.cross(x, y, axis=-2), np.linalg.cross(x, y, axis=-2)),
        (tg.linalg.diagonal(x, offset=1), np.linalg.diagonal(x, offset=1)),
        (tg.linalg.trace(x, offset=-1), np.linalg.trace(x, offset=-1)),
        (tg.linalg.outer(x[0, 0], y[1]), np.linalg.outer(x[0, 0], y[1])),
        (tg.linalg.matmul(x, y), np.linalg.matmul(x, y)),
        (tg.linalg.tensordot(x, y, axes=1), np.linalg.tensordot(x, y, axes=1)),
        (tg.linalg.matrix_rank(x), np.linalg.matrix_rank(x)),
        (tg.linalg.tensorinv(x.reshape(3, 6) @ x.reshape(6, 3), ind=1), None),
    ]
    for got, want in cases[:-1]:
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.data, want, rtol=1e-13, atol=1e-15)
    t = tg.tensor(x)
    np.testing.assert_array_equal(np.linalg.matrix_transpose(t).data, np.swapaxes(x, -1, -2))
    np.testing.assert_allclose(np.linalg.cross(t, y).data, np.cross(x, y), rtol=1e-14)


def test_tensorinv_and_tensorsolve_are_numpys() -> None:
    a = (RNG.normal(size=(6, 6)) + 4 * np.eye(6)).reshape(2, 3, 6)
    np.testing.assert_allclose(
        tg.linalg.tensorinv(a).data, np.linalg.tensorinv(a), rtol=1e-12, atol=1e-14
    )
    a4, b = a.reshape(2, 3, 3, 2), RNG.normal(size=(2, 3))
    np.testing.assert_allclose(tg.linalg.tensorsolve(a4, b).data, np.linalg.tensorsolve(a4, b))
    moved = np.moveaxis(a4, 2, 0)
    np.testing.assert_allclose(
        tg.linalg.tensorsolve(moved, b, axes=(0,)).data, np.linalg.tensorsolve(moved, b, (0,))
    )


def test_errors_name_the_function_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"vecdot: .*\(2, 3\) and x2 of shape \(2, 4\)"):
        tg.linalg.vecdot(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"cross: .*length 3 along axis -1"):
        tg.linalg.cross(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match=r"outer: x1 and x2 must be 1-D"):
        tg.linalg.outer(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match=r"matrix_norm: x must be at least 2-D"):
        tg.linalg.matrix_norm(np.ones(3))
    with pytest.raises(ValueError, match=r"cond: invalid p='max'"):
        tg.linalg.cond(np.eye(2), "max")
    with pytest.raises(ValueError, match=r"tensorinv: a of shape \(2, 3\) is not square"):
        tg.linalg.tensorinv(np.ones((2, 3)), ind=1)
    with pytest.raises(ValueError, match=r"tensorsolve: a of shape \(2, 3\) does not match"):
        tg.linalg.tensorsolve(np.ones((2, 3)), np.ones(3))


def test_review_cases() -> None:
    """tensorsolve's axes in the order given; cond's NaN and a stack's singular matrix (the
    others keep their gradient); vecdot's small integer dtypes; trace's dtype; rank's rtol."""
    a, b = RNG.normal(size=(2, 3, 6)), RNG.normal(size=6)
    for axes in ((1, 0), (0, 1)):
        np.testing.assert_allclose(
            tg.linalg.tensorsolve(a, b, axes).data, np.linalg.tensorsolve(a, b, axes)
        )
    np.testing.assert_allclose(  # (sizes only, as NumPy's check)
        tg.linalg.tensorsolve(a, b.reshape(3, 2)).data, np.linalg.tensorsolve(a, b.reshape(3, 2))
    )
    assert np.isnan(tg.linalg.cond(np.array([[np.nan, 1.0], [1.0, 1.0]]), 1).item())
    x = tg.tensor(np.stack([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [0.5, 3.0]]]), True)
    c = tg.linalg.cond(x, 1)
    assert np.isinf(c.data[0]) and c.requires_grad
    c[1].backward()
    assert np.abs(x.grad.data[1]).sum() > 0 and not x.grad.data[0].any()
    with pytest.raises(np.linalg.LinAlgError, match="cond is not defined on empty arrays"):
        tg.linalg.cond(np.zeros((0, 0)))
    i8 = np.full(3, 100, np.int8)
    got = tg.linalg.vecdot(i8, i8)
    assert got.dtype == np.int8 and got.item() == np.linalg.vecdot(i8, i8)
    m = RNG.normal(size=(2, 3, 3))
    assert tg.linalg.trace(m, dtype=np.float32).dtype == np.float32
    low = np.outer([1.0, 2.0], [1.0, 1.0]) + np.diag([0.0, 1e-3])
    assert tg.linalg.matrix_rank(low, rtol=1e-2).item() == np.linalg.matrix_rank(low, rtol=1e-2)


def test_argument_errors_name_the_function() -> None:
    with pytest.raises(ValueError, match=r"^vector_norm: invalid ord='fro'"):
        tg.linalg.vector_norm(np.ones(3), ord="fro")
    with pytest.raises(ValueError, match=r"^matrix_norm: invalid ord=3"):
        tg.linalg.matrix_norm(np.ones((2, 2)), ord=3)
    with pytest.raises(TypeError, match=r"^matrix_norm: keepdims must be a bool"):
        tg.linalg.matrix_norm(np.ones((2, 2)), keepdims="yes")
    with pytest.raises(ValueError, match="tensorinv: ind must be a positive integer"):
        tg.linalg.tensorinv(np.ones((2, 2)), ind=0)
    with pytest.raises(ValueError, match=r"matrix_transpose: x must be at least 2-D"):
        tg.linalg.matrix_transpose(np.ones(3))
    with pytest.raises(ValueError, match=r"outer: x1 and x2 must be 1-D"):
        tg.linalg.outer(np.ones(2), np.ones((2, 2)))
