"""Edge cases of the factories (tensorgrad/factories.py), against NumPy's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_a_shape_too_large_to_allocate_is_a_value_error(name) -> None:
    with pytest.raises(ValueError, match=f"{name}: "):
        getattr(tg, name)(2**58)  # 2 EiB of float64: NumPy's MemoryError


def test_full_of_a_shape_too_large_to_allocate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="full: "):
        tg.full((2**58,), 1.0)


def test_arange_with_stop_none_keeps_the_step() -> None:
    np.testing.assert_array_equal(tg.arange(1, None, -1).data, np.arange(1, None, -1))
    np.testing.assert_array_equal(tg.arange(3, None, 2).data, np.arange(3, None, 2))


def test_arange_refuses_a_nan_step() -> None:
    with pytest.raises(ValueError, match="arange"):
        tg.arange(0, None, np.nan)


def test_eye_too_large_to_allocate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="eye: "):
        tg.eye(1, 2**62, dtype=bool)
    assert tg.eye(2, dtype=bool).shape == (2, 2) and tg.eye(2, 3).shape == (2, 3)


def test_random_samples_need_a_floating_dtype() -> None:
    for fn in (tg.rand, tg.randn):
        with pytest.raises(TypeError, match="dtype must be floating point"):
            fn(3, dtype=int)
    assert tg.rand(2, dtype=np.float64).dtype == np.float64
