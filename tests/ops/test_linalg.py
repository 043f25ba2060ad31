"""dot's dtype rules (tensorgrad/ops/linalg.py), against NumPy's."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


def test_dot_with_a_python_scalar_promotes_as_numpy() -> None:
    a = np.array(0.0, dtype=np.float32)
    assert tg.dot(a, 2).dtype == np.dot(a, 2).dtype == np.float64
    assert tg.dot(2.0, tg.tensor(a)).dtype == np.dot(2.0, a).dtype


def test_einsum_takes_numpys_sublist_form() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    got = tg.einsum(a, [0, 30], tg.tensor(b), [30, 51], [0, 51])
    np.testing.assert_allclose(got.data, np.einsum(a, [0, 30], b, [30, 51], [0, 51]))
    assert tg.einsum(3, np.array([])).data == np.einsum(3, np.array([]))
    np.testing.assert_array_equal(
        tg.einsum(np.ones((2, 3)), [Ellipsis, 1]).data, np.einsum(np.ones((2, 3)), [Ellipsis, 1])
    )


def test_einsum_sublist_errors_name_einsum() -> None:
    with pytest.raises(TypeError, match="einsum: each subscript"):
        tg.einsum(np.ones(2), [True])
    with pytest.raises(ValueError, match="einsum: subscript is not within"):
        tg.einsum(np.ones(2), [52])


def test_dot_refuses_more_than_32_dimensions_as_numpy() -> None:
    big = np.zeros((1,) * 33)
    with pytest.raises(RuntimeError):
        np.dot(big, np.zeros(1))
    with pytest.raises(ValueError, match="dot: operands of at most 32 dimensions"):
        tg.dot(big, np.zeros(1))
    assert tg.dot(2.0, big).shape == np.dot(2.0, big).shape  # a 0-d operand: a product


def test_einsum_refuses_a_complex_sublist() -> None:
    with pytest.raises(TypeError, match="einsum: a sublist must hold ints"):
        tg.einsum(3, np.array([], dtype=complex))
