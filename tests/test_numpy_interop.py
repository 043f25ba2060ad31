"""NumPy protocols: ufuncs and functions on Tensors return Tensors and keep the graph."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


def test_asarray_gives_the_data() -> None:
    t = tg.tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert t.numpy() is t.data


def test_ufuncs_and_functions_are_differentiable() -> None:
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = np.sum(np.exp(x) * 2, axis=0)
    assert isinstance(y, tg.Tensor)
    z = np.matmul(x, x) + np.mean(x) + np.maximum(x, 2.5)
    (y.sum() + z.sum() + np.linalg.norm(x)).backward()
    assert x.grad is not None and x.grad.shape == (2, 2)


def test_mixed_ndarray_and_tensor() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a = np.array([3.0, 4.0])
    y = a * x  # ndarray on the left dispatches to the Tensor
    assert isinstance(y, tg.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, a)


def test_unsupported_functions_name_themselves() -> None:
    x = tg.tensor([3.0, 1.0, 2.0])
    with pytest.raises(TypeError, match="np.sort"):
        np.sort(x)
    with pytest.raises(TypeError, match="np.cbrt"):
        np.cbrt(x)
    with pytest.raises(TypeError, match="out="):
        np.exp(x, out=np.empty(3))


def test_tensor_methods() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.T.reshape(6).sum() + x.mean(axis=1).max() + x.exp().log().sum()
    y.backward()
    assert x.grad.shape == (2, 3)
    assert x.argmax().item() == 5
