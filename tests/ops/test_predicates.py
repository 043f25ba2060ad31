"""tg.isnan, isinf, isfinite, isposinf, isneginf, isclose, allclose and nan_to_num."""

import numpy as np
import pytest

import tensorgrad as tg

VALUES = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 1e308, 5e-324])


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf"])
def test_tests_are_numpys_and_carry_no_gradient(name: str) -> None:
    x = tg.tensor(VALUES, requires_grad=True)
    out = getattr(tg, name)(x)
    np.testing.assert_array_equal(out.data, getattr(np, name)(VALUES))
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(
        getattr(tg, name)(tg.tensor([1, 2])).data,
        [False, False] if name != "isfinite" else [True, True],
    )


def test_isclose_and_allclose() -> None:
    a = tg.tensor([1.0, np.nan, np.inf, 1.0])
    b = tg.tensor([1.0 + 1e-9, np.nan, np.inf, 1.1])
    np.testing.assert_array_equal(tg.isclose(a, b).data, [True, False, True, False])
    np.testing.assert_array_equal(tg.isclose(a, b, equal_nan=True).data, [True, True, True, False])
    np.testing.assert_array_equal(tg.isclose(a, b, rtol=0.2).data, [True, False, True, True])
    assert tg.allclose(a[[0, 2]], b[[0, 2]]) is True and tg.allclose(a, b) is False
    assert tg.allclose(a, a, equal_nan=True) is True
    np.testing.assert_array_equal(tg.isclose(tg.ones((2, 1)), tg.ones(3)).shape, (2, 3))
    with pytest.raises(ValueError, match=r"isclose: shapes \(2,\) and \(3,\)"):
        tg.isclose(tg.ones(2), tg.ones(3))
    with pytest.raises(TypeError, match="isclose: rtol must be a number, got 'x'"):
        tg.isclose(a, b, rtol="x")
    with pytest.raises(TypeError, match="allclose: equal_nan must be a bool"):
        tg.allclose(a, b, equal_nan=1)


def test_nan_to_num_values_gradient_and_numpys_spelling() -> None:
    x = tg.tensor(VALUES, requires_grad=True)
    y = tg.nan_to_num(x, nan=-1.0, neginf=-7.0)
    np.testing.assert_array_equal(y.data, np.nan_to_num(VALUES, nan=-1.0, neginf=-7.0))
    weights = np.linspace(0.1, 0.7, 7)
    (y * tg.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.where(np.isfinite(VALUES), weights, 0))
    z = np.nan_to_num(tg.tensor(VALUES, requires_grad=True), posinf=3.0)
    assert isinstance(z, tg.Tensor) and z.requires_grad and z.data[2] == 3.0
    with pytest.raises(TypeError, match="copy=False"):
        np.nan_to_num(x, copy=False)
    with pytest.raises(TypeError, match="nan_to_num: posinf must be a number"):
        tg.nan_to_num(x, posinf="big")
    assert tg.nan_to_num(tg.tensor([np.inf], dtype=np.float32)).dtype == np.float32
    np.testing.assert_array_equal(tg.nan_to_num(tg.tensor([3, 4])).data, [3, 4])


def test_nan_to_num_is_torchs() -> None:
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        v = VALUES[VALUES != 1e308].astype(dtype)
        for kwargs in ({}, {"nan": 2.0, "posinf": 1.0, "neginf": -1.0}):
            ours = tg.nan_to_num(tg.tensor(v), **kwargs).data
            theirs = torch.nan_to_num(torch.tensor(v), **kwargs).numpy()
            np.testing.assert_array_equal(ours, theirs)
            assert tg.isclose(tg.tensor(v), tg.tensor(v[::-1].copy())).data.tolist() == (
                torch.isclose(torch.tensor(v), torch.tensor(v[::-1].copy())).tolist()
            )
