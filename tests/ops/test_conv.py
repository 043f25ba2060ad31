"""Pooling edge cases (tensorgrad/ops/conv.py): padding that never wins, empty batches, integer
input. Expected values are torch 2's, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F


def _finite_and_all_neg_inf() -> np.ndarray:
    """Channel 0 finite, channel 1 all -inf: (1, 2, 2, 2)."""
    return np.array([[[[1.0, 2.0], [3.0, 4.0]], [[-np.inf] * 2, [-np.inf] * 2]]])


def test_max_pool_padding_never_wins_a_window_of_neg_inf() -> None:
    # 3x3 outputs of a 2x2 kernel, stride 1, padding 1: a window of only -inf real entries
    # takes its first real entry, as torch, so no gradient leaks into the other channel
    x = tg.tensor(_finite_and_all_neg_inf(), requires_grad=True)
    F.max_pool2d(x, 2, 1, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_array_equal(x.grad.data[0, 1], [[4.0, 2.0], [2.0, 1.0]])


def test_max_pool_padding_never_wins_channel_order_swapped() -> None:
    x = tg.tensor(_finite_and_all_neg_inf()[:, ::-1].copy(), requires_grad=True)
    F.max_pool2d(x, 2, 1, 1).sum().backward()  # (the last channel's padding once crashed here)
    np.testing.assert_array_equal(x.grad.data[0, 0], [[4.0, 2.0], [2.0, 1.0]])
    np.testing.assert_array_equal(x.grad.data[0, 1], [[1.0, 2.0], [2.0, 4.0]])


def test_max_pool_indices_never_point_at_padding() -> None:
    out, idx = F.max_pool2d(_finite_and_all_neg_inf(), 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(idx.data[0, 1].ravel(), [0, 0, 1, 0, 0, 1, 2, 2, 3])
    np.testing.assert_array_equal(idx.data[0, 0].ravel(), [0, 1, 1, 2, 3, 3, 2, 3, 3])
    assert np.all(out.data[0, 1] == -np.inf)


def test_max_pool_neg_inf_window_with_dilation_and_stride() -> None:
    # rows: windows start at -1 and 1 with offsets {0, 2}: the first real rows are 1 and 1
    x = np.full((1, 1, 3, 1), -np.inf)
    xt = tg.tensor(x, requires_grad=True)
    out, idx = F.max_pool2d(x, (2, 1), (2, 1), (1, 0), dilation=(2, 1), return_indices=True)
    np.testing.assert_array_equal(idx.data.ravel(), [1, 1])
    F.max_pool2d(xt, (2, 1), (2, 1), (1, 0), dilation=(2, 1)).sum().backward()
    np.testing.assert_array_equal(xt.grad.data.ravel(), [0.0, 2.0, 0.0])


def test_max_pool_window_of_padding_only_is_neg_inf_with_no_gradient() -> None:
    # as torch 2.13: such a window (dilation steps over the whole input) gives -inf and torch's
    # index (its first row and column at or after its start: outside the plane, or aliasing
    # another entry); torch's backward then writes out of bounds, here nothing flows
    x = tg.tensor(np.arange(4.0).reshape(1, 1, 2, 2), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, 1, 1, dilation=3, return_indices=True)
    assert y.data.tolist() == [[[[-np.inf]]]] and idx.data.tolist() == [[[[6]]]]
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((1, 1, 2, 2)))
    x = tg.tensor(np.arange(16.0).reshape(2, 1, 4, 2), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, 1, 1, dilation=(1, 3), return_indices=True)
    np.testing.assert_array_equal(y.data, np.full((2, 1, 5, 1), -np.inf))
    np.testing.assert_array_equal(idx.data[1, 0, :, 0], [2, 2, 4, 6, 8])
    y.sum().backward()
    assert not x.grad.data.any()
    _, tangent = tg.jvp(
        lambda a: F.max_pool2d(a, 2, 1, 1, dilation=(1, 3)), (x,), (tg.ones(x.shape),)
    )
    assert not tangent.data.any()
    low = F.max_pool2d(np.ones((1, 1, 2, 2), np.int16), 2, 1, 1, dilation=3)
    assert low.dtype == np.int16 and low.data.tolist() == [[[[-32768]]]]


def test_max_pool_sends_a_nan_window_to_its_last_nan() -> None:
    # torch: every NaN replaces the running maximum, so a window's last NaN (row-major) wins
    nan = np.nan
    x = [[[[1.0, nan, 5.0, nan, 2.0, nan], [nan, 9.0, 0.0, 1.0, 2.0, 3.0]]]]
    x = tg.tensor(np.array(x), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(y.data).all()
    np.testing.assert_array_equal(idx.data.ravel(), [6, 3, 5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0, 0, 0, 1, 0, 1], [1, 0, 0, 0, 0, 0]])
    x = tg.tensor(np.array([[[[nan, 1.0], [nan, nan]]]], np.float32), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, 1, 1, return_indices=True)  # with padding: never padding
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 0, 1], [2, 3, 3], [2, 3, 3]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[2, 1], [2, 4]])


def test_max_pool_ceil_mode_as_torch() -> None:
    x = tg.tensor(np.arange(9.0).reshape(1, 1, 3, 3), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(y.data[0, 0], [[4.0, 5.0], [7.0, 8.0]])
    np.testing.assert_array_equal(idx.data[0, 0], [[4, 5], [7, 8]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
    # windows running past the input: an all -inf window takes its first real entry
    _, idx = F.max_pool2d(np.full((1, 1, 3, 3), -np.inf), 2, ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 2], [6, 8]])
    # the last window must start inside the input or the left padding (5x5: 3 outputs, not 4)
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    y = F.max_pool2d(x, 2, 2, 1, ceil_mode=True)
    np.testing.assert_array_equal(y.data[0, 0], [[0, 2, 4], [10, 12, 14], [20, 22, 24]])
    y = F.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True)
    np.testing.assert_array_equal(y.data, np.full((1, 1, 2, 2), 18.0))
    with pytest.raises(TypeError, match="max_pool2d: ceil_mode must be a bool"):
        F.max_pool2d(x, 2, ceil_mode=1)


def test_max_pool_gradcheck_with_padding_and_dilation() -> None:
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 2, 5, 5)), requires_grad=True)
    assert tg.gradcheck(lambda a: F.max_pool2d(a, 3, 2, 1, dilation=(1, 2)), (x,))
    assert tg.gradgradcheck(lambda a: F.max_pool2d(a, 3, 2, 1, dilation=(1, 2)) ** 2, (x,))


@pytest.mark.parametrize("padding", [0, 1])
def test_max_pool_of_an_empty_batch(padding: int) -> None:
    x = tg.zeros((0, 2, 4, 4), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, padding=padding, return_indices=True)
    want = (0, 2, 2 + padding, 2 + padding)
    assert y.shape == idx.shape == want
    y.sum().backward()
    assert x.grad.shape == x.shape
    _, tangent = tg.jvp(lambda a: F.max_pool2d(a, 2, padding=padding), (x,), (tg.ones(x.shape),))
    assert tangent.shape == want


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint8])
def test_max_pool_of_integers_with_padding(dtype: type) -> None:
    # as torch: padding is the dtype's minimum and never wins, even against that minimum
    x = np.arange(16, dtype=dtype).reshape(1, 1, 4, 4)
    y = F.max_pool2d(x, 2, padding=1)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.data[0, 0], [[0, 2, 3], [8, 10, 11], [12, 14, 15]])
    low = np.full((1, 1, 2, 2), np.iinfo(dtype).min, dtype=dtype)
    _, idx = F.max_pool2d(low, 2, 1, 1, return_indices=True)
    np.testing.assert_array_equal(idx.data[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])


def test_avg_pool_of_integers_is_the_float_mean() -> None:
    x = tg.tensor(np.arange(16).reshape(1, 1, 4, 4))
    y = F.avg_pool2d(x, 2)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data.ravel(), [2.5, 4.5, 10.5, 12.5])
    bools = np.array([[[[True, False], [False, False]]]])
    np.testing.assert_array_equal(F.avg_pool2d(bools, 2).data.ravel(), [0.25])
