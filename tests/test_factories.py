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


def test_full_takes_a_0d_tensor_or_numpy_scalar_as_fill_value() -> None:
    for fill in (tg.tensor(2.0), tg.tensor(2), np.float32(2.0), np.array(2.0), np.int64(2)):
        t = tg.full((2, 3), fill)
        assert t.dtype == np.float64 and t.shape == (2, 3) and (t.data == 2.0).all()
    f32 = tg.full((2,), tg.tensor(1.5, dtype=np.float32), dtype=np.float32)
    assert f32.dtype == np.float32 and f32.data.tolist() == [1.5, 1.5]
    np.testing.assert_array_equal(tg.full((2, 2), tg.tensor([1.0, 2.0])).data, [[1, 2], [1, 2]])
    assert tg.full((), tg.tensor(3.0)).shape == ()
    with pytest.raises(TypeError, match="full: fill_value .*requires grad"):
        tg.full((2,), tg.tensor(2.0, requires_grad=True))  # (torch refuses it too)


@pytest.mark.parametrize("fill", ["a", None, 1j, object(), np.array(["x"])])
def test_full_refuses_a_non_numeric_fill_value_by_name(fill) -> None:
    with pytest.raises(TypeError, match="^full: fill_value"):
        tg.full((2,), fill)


def test_full_names_fill_value_when_it_does_not_fit() -> None:
    with pytest.raises(ValueError, match=r"^full: fill_value .*shape \(3,\)"):
        tg.full((2,), [1.0, 2.0, 3.0])
    with pytest.raises(OverflowError, match="^full: fill_value 300"):
        tg.full((2,), 300, dtype=np.int8)
    with pytest.raises(ValueError, match="^full: shape .* too large"):
        tg.full((2**40, 2**40), 1.0)  # (NumPy: "array is too big", not a MemoryError)
