"""Convolution and pooling edge cases (tensorgrad/ops/conv.py): padding that never wins, empty
batches, integer input, groups, 'same' padding, unbatched input, avg_pool2d's ceil_mode.
Expected values are torch 2's, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.ops import conv


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


# ----------------------------------------------------------------------------- groups


def test_depthwise_conv_with_a_channel_multiplier_by_hand() -> None:
    # groups == C == 2 and four 1x1 kernels: output channel j reads input channel j // 2
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    w = np.array([1.0, 2.0, 3.0, 4.0]).reshape(4, 1, 1, 1)
    y = F.conv2d(x, w, groups=2)
    want = np.stack([x[0, 0], 2 * x[0, 0], 3 * x[0, 1], 4 * x[0, 1]])[None]
    np.testing.assert_array_equal(y.data, want)


def test_grouped_conv_gradients_by_hand() -> None:
    # groups=2 over 4 channels, 3x3 kernels of ones, padding 1 on a 3x3 image: d(sum)/dx is the
    # number of windows covering each pixel (times the group's 3 outputs), d(sum)/dw a window sum
    x = tg.tensor(np.ones((1, 4, 3, 3)), requires_grad=True)
    w = tg.tensor(np.ones((6, 2, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1, groups=2)
    assert y.shape == (1, 6, 3, 3)
    np.testing.assert_array_equal(y.data[0, 0], [[8, 12, 8], [12, 18, 12], [8, 12, 8]])
    y.sum().backward()
    covering = np.array([[4.0, 6.0, 4.0], [6.0, 9.0, 6.0], [4.0, 6.0, 4.0]])
    np.testing.assert_array_equal(x.grad.data, np.broadcast_to(3 * covering, (1, 4, 3, 3)))
    np.testing.assert_array_equal(w.grad.data, np.broadcast_to(covering, (6, 2, 3, 3)))


def test_grouped_conv_is_the_groups_side_by_side() -> None:
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 6, 5, 6)), rng.standard_normal((9, 2, 2, 3)), np.arange(9.0)
    y = F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=3).data
    parts = [
        F.conv2d(
            x[:, 2 * i : 2 * i + 2],
            w[3 * i : 3 * i + 3],
            b[3 * i : 3 * i + 3],
            (2, 1),
            (1, 0),
            (1, 2),
        ).data
        for i in range(3)
    ]
    np.testing.assert_allclose(y, np.concatenate(parts, axis=1), atol=1e-12)


def test_conv_groups_errors_name_the_argument_and_both_numbers() -> None:
    x = np.ones((1, 4, 5, 5))
    with pytest.raises(ValueError, match=r"weight has 3 output channels.*groups=2"):
        F.conv2d(x, np.ones((3, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"input has 3 channels, not divisible by groups=2"):
        F.conv2d(np.ones((1, 3, 5, 5)), np.ones((4, 1, 3, 3)), groups=2)
    with pytest.raises(
        ValueError, match=r"input has 4 channels but weight expects 2 \(1 per group"
    ):
        F.conv2d(x, np.ones((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="groups must be a positive int"):
        F.conv2d(x, np.ones((4, 4, 3, 3)), groups=0)
    with pytest.raises(TypeError, match="groups must be a positive int"):
        F.conv2d(x, np.ones((4, 4, 3, 3)), groups=2.0)


def test_conv2d_layer_with_groups() -> None:
    conv = tg.nn.Conv2d(8, 64, 3, groups=8, rng=0)
    assert conv.weight.shape == (64, 1, 3, 3)
    # torch's fan_in = in_channels / groups * kh * kw = 9: U(-1/3, 1/3), not U(-1/sqrt(72), ..)
    bound = 1 / 3
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.weight.data).max() > 0.3
    assert np.abs(conv.bias.data).max() <= bound and np.abs(conv.bias.data).max() > 0.2
    assert repr(conv) == "Conv2d(8, 64, kernel_size=(3, 3), stride=(1, 1), groups=8)"
    assert conv(tg.zeros(2, 8, 5, 5)).shape == (2, 64, 3, 3)
    assert conv(tg.zeros(8, 5, 5)).shape == (64, 3, 3)
    with pytest.raises(ValueError, match=r"in_channels \(3\) must be divisible by groups \(2\)"):
        tg.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"out_channels \(3\) must be divisible by groups \(2\)"):
        tg.nn.Conv2d(4, 3, 3, groups=2)


# ----------------------------------------------------------------------------- 'same' and 'valid'


@pytest.mark.parametrize(
    "kernel, dilation, want",
    [
        ([1.0, 0.0], 1, [1, 2, 3, 4, 5]),  # total pad 1: 0 left, 1 right (as torch)
        ([0.0, 1.0], 1, [2, 3, 4, 5, 0]),
        ([1.0, 0.0, 0.0, 0.0], 1, [0, 1, 2, 3, 4]),  # total 3: 1 left, 2 right
        ([1.0, 0.0], 3, [0, 1, 2, 3, 4]),  # dilation 3: total 3 again
        ([1.0, 0.0, 0.0], 2, [0, 0, 1, 2, 3]),  # total 4: 2 and 2
    ],
)
def test_same_padding_puts_an_odd_pad_at_the_right(kernel, dilation, want) -> None:
    x = np.arange(1.0, 6.0).reshape(1, 1, 1, 5)
    w = np.array(kernel).reshape(1, 1, 1, -1)
    y = F.conv2d(x, w, padding="same", dilation=dilation)
    np.testing.assert_array_equal(y.data.ravel(), want)
    # and down the rows: the extra row goes at the bottom
    y = F.conv2d(x.reshape(1, 1, 5, 1), w.reshape(1, 1, -1, 1), padding="same", dilation=dilation)
    np.testing.assert_array_equal(y.data.ravel(), want)


def test_same_padding_gradients_by_hand() -> None:
    x = tg.tensor(np.arange(1.0, 6.0).reshape(1, 1, 1, 5), requires_grad=True)
    w = tg.tensor(np.array([[[[0.0, 1.0]]]]), requires_grad=True)
    y = F.conv2d(x, w, padding="same")  # y[i] = x[i + 1], and 0 past the end
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data.ravel(), [0, 1, 1, 1, 1])
    np.testing.assert_array_equal(w.grad.data.ravel(), [15, 14])  # sum(x), sum(x[1:])


def test_valid_padding_and_same_errors() -> None:
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 6))
    w = np.ones((3, 2, 2, 3))
    np.testing.assert_array_equal(F.conv2d(x, w, padding="valid").data, F.conv2d(x, w).data)
    assert F.conv2d(x, w, padding="same", dilation=(2, 1)).shape == (1, 3, 5, 6)
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        F.conv2d(x, w, padding="same", stride=(1, 2))
    with pytest.raises(ValueError, match="padding must be 'valid', 'same'.*'full'"):
        F.conv2d(x, w, padding="full")
    conv = tg.nn.Conv2d(2, 4, 2, padding="same", groups=2, rng=0)
    assert repr(conv) == "Conv2d(2, 4, kernel_size=(2, 2), stride=(1, 1), padding=same, groups=2)"
    assert conv(x.astype(np.float32)).shape == (1, 4, 5, 6)
    with pytest.raises(ValueError, match="'same' is not supported for strided"):
        tg.nn.Conv2d(2, 4, 2, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be 'valid', 'same'"):
        tg.nn.Conv2d(2, 4, 2, padding="full")


# ----------------------------------------------------------------------------- unbatched input


def test_functional_conv_and_pools_take_unbatched_input() -> None:
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((2, 5, 5))
    w = rng.standard_normal((3, 2, 3, 3))
    x = tg.tensor(x_data, requires_grad=True)
    y = F.conv2d(x, w, np.arange(3.0), padding=1)
    assert y.shape == (3, 5, 5)
    np.testing.assert_allclose(y.data, F.conv2d(x_data[None], w, np.arange(3.0), padding=1).data[0])
    y.sum().backward()
    batched = tg.tensor(x_data[None], requires_grad=True)
    F.conv2d(batched, w, padding=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, batched.grad.data[0])

    x = tg.tensor(np.arange(16.0).reshape(1, 4, 4), requires_grad=True)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(y.data, [[[5, 7], [13, 15]]])
    np.testing.assert_array_equal(idx.data, [[[5, 7], [13, 15]]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data.ravel(), [0, 0, 0, 0, 0, 1, 0, 1] * 2)

    x = tg.tensor(np.arange(16.0).reshape(1, 4, 4), requires_grad=True)
    y = F.avg_pool2d(x, 2)
    np.testing.assert_array_equal(y.data, [[[2.5, 4.5], [10.5, 12.5]]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((1, 4, 4), 0.25))
    with pytest.raises(ValueError, match=r"avg_pool2d: input must be 4-D .* or 3-D"):
        F.avg_pool2d(np.ones((4, 4)), 2)
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-D .* or 3-D"):
        F.conv2d(np.ones((4, 4)), np.ones((1, 1, 2, 2)))


# ----------------------------------------------------------------------------- avg_pool ceil_mode


def test_avg_pool_ceil_mode_divides_cut_windows_by_their_length() -> None:
    # 5x5, kernel 2, stride 2: the last row and column of windows hold one input row / column
    x = tg.tensor(np.arange(25.0).reshape(1, 1, 5, 5), requires_grad=True)
    y = F.avg_pool2d(x, 2, ceil_mode=True)
    want = [[3.0, 5.0, 6.5], [13.0, 15.0, 16.5], [20.5, 22.5, 24.0]]
    np.testing.assert_array_equal(y.data[0, 0], want)
    y.sum().backward()  # each input lies in one window: 1 / its length, per axis
    per_axis = np.array([0.5, 0.5, 0.5, 0.5, 1.0])
    np.testing.assert_array_equal(x.grad.data[0, 0], np.outer(per_axis, per_axis))
    assert tg.nn.AvgPool2d(2, ceil_mode=True)(x).shape == (1, 1, 3, 3)


def test_avg_pool_ceil_mode_with_padding_counts_the_padding_but_not_past_it() -> None:
    # 6x6 ones, kernel 3, stride 2, padding 1: 4 windows per axis, starting at -1, 1, 3, 5; the
    # last covers rows 5 and 6 (padding); torch divides by its length inside the padded input
    # (2), not by 3: per axis counts of real entries 2, 3, 3, 1 over divisors 3, 3, 3, 2
    x = np.ones((1, 1, 6, 6))
    per_axis = np.array([2 / 3, 1.0, 1.0, 1 / 2])
    y = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)
    np.testing.assert_allclose(y.data[0, 0], np.outer(per_axis, per_axis))
    y = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_array_equal(y.data, np.ones((1, 1, 4, 4)))
    y = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, divisor_override=2)
    real = np.array([2.0, 3.0, 3.0, 1.0])
    np.testing.assert_array_equal(y.data[0, 0], np.outer(real, real) / 2)
    layer = tg.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_array_equal(layer(tg.ones(1, 6, 6)).data, np.ones((1, 4, 4)))


def test_conv2d_refuses_an_empty_kernel_and_names_the_padded_size() -> None:
    # (a (1, 1, 0, 2) weight gave a (1, 1, 5, 3) output of zeros; the message gave the unpadded
    # size as the padded one, and max_pool2d's ignored dilation)
    with pytest.raises(ValueError, match=r"kernel size must be greater than zero.*\(1, 1, 0, 2\)"):
        F.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 0, 2)))
    with pytest.raises(ValueError, match=r"padded input \(10, 9\) \(input \(6, 5\)"):
        F.conv2d(np.ones((1, 1, 6, 5)), np.ones((1, 1, 1, 4)), padding=2, dilation=3)
    with pytest.raises(
        ValueError, match=r"\(3, 3\) \(dilation \(3, 3\)\) is larger than the padded"
    ):
        F.max_pool2d(np.ones((1, 1, 5, 5)), 3, dilation=3)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: F.conv2d("x", tg.ones((2, 3, 1, 1))), "conv2d: input holds str"),
        (
            lambda: F.conv2d(tg.ones((1, 3, 2, 2)), np.ones((2, 3, 1, 1)) * 1j),
            "conv2d: weight holds dtype complex128",
        ),
        (
            lambda: F.conv2d(tg.ones((1, 3, 2, 2)), tg.ones((2, 3, 1, 1)), np.array(["a", "b"])),
            "conv2d: bias holds dtype <U1",
        ),
        (lambda: F.max_pool2d("x", 2), "max_pool2d: input holds str"),
        (lambda: F.avg_pool2d(None, 2), "avg_pool2d: input holds NoneType"),
    ],
)
def test_bad_data_is_named_by_the_function_and_its_argument(call, pattern) -> None:
    # (was a shape error for a string read as 0-d, or "reshape: argument 0" for the bias)
    with pytest.raises(TypeError, match=pattern):
        call()


@pytest.mark.parametrize("bad", [b"ab", {1, 2}])
def test_size_arguments_refuse_iterables_that_are_no_sequence_of_ints(bad) -> None:
    # (bytes and sets were read as pairs: padding=b'ab' padded by 97 and 98)
    x, w = tg.ones((1, 1, 5, 5)), tg.ones((1, 1, 3, 3))
    with pytest.raises(TypeError, match="conv2d: padding must be an int or a pair of ints"):
        F.conv2d(x, w, padding=bad)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair of ints"):
        F.max_pool2d(x, bad)


def test_a_0d_array_size_argument_is_named() -> None:
    with pytest.raises(TypeError, match="conv2d: padding must be an int or a pair of ints"):
        F.conv2d(tg.ones((1, 1, 5, 5)), tg.ones((1, 1, 3, 3)), padding=np.array(1))


@pytest.mark.parametrize("stride", [(), []])
def test_pools_take_an_empty_stride_as_the_kernel_size_as_torch(stride) -> None:
    x = tg.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    for fn, layer in ((F.max_pool2d, tg.nn.MaxPool2d), (F.avg_pool2d, tg.nn.AvgPool2d)):
        want = fn(x, 2).data
        np.testing.assert_array_equal(fn(x, 2, stride=stride).data, want)
        np.testing.assert_array_equal(layer(2, stride=stride)(x).data, want)


def test_pool_and_conv_sizes_past_int64_are_named() -> None:
    # (avg_pool2d raised a bare OverflowError from its window counts)
    x = tg.ones((1, 1, 4, 4))
    for call in (F.avg_pool2d, F.max_pool2d):
        with pytest.raises(ValueError, match=f"{call.__name__}: stride 1000.* is past the int64"):
            call(x, 2, stride=10**20)
        assert call(x, 2, stride=2**63 - 1).shape == (1, 1, 1, 1)
    with pytest.raises(ValueError, match="conv2d: padding 1000.* is past the int64 range"):
        F.conv2d(x, tg.ones((1, 1, 2, 2)), padding=10**20)


def test_float16_avg_pool2d_sums_its_windows_in_float32_as_torch() -> None:
    # (a float16 window summed in float16 overflowed: a 2 x 2 average of 30000 was inf)
    x = tg.tensor(np.full((1, 1, 4, 4), 30000, np.float16), requires_grad=True)
    y = F.avg_pool2d(x, 2, stride=1)
    assert y.dtype == np.float16 and (y.data == 30000).all()
    (g,) = tg.autograd.grad(y, [x], tg.tensor(np.full((1, 1, 3, 3), 30000, np.float16)))
    want = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]) * 7500
    assert g.dtype == np.float16 and (g.data[0, 0] == want).all()
    assert F.avg_pool2d(tg.tensor(np.full((1, 1, 16, 16), 1000, np.float16)), 16).item() == 1000
    # rounded once: each average is float16(its float64 value)
    r = np.random.default_rng(0).uniform(100, 110, (2, 3, 9, 9)).astype(np.float16)
    for k in (2, 3, 5):
        want = F.avg_pool2d(tg.tensor(r.astype(np.float64)), k).data.astype(np.float16)
        np.testing.assert_array_equal(F.avg_pool2d(tg.tensor(r), k).data, want)


@pytest.mark.parametrize("groups", [1, 2, 8])
def test_float16_convolution_is_computed_in_float32_and_rounded_once(groups) -> None:
    # (NumPy's float16 products add up in float16: the weight gradient summed over the batch
    # came out 2.5 float16 ulps off, 0.036-0.075 of the largest entry; torch's is within 1 ulp)
    F = tg.nn.functional
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((32, 8, 16, 16)).astype(np.float16)
    w0 = rng.standard_normal((8, 8 // groups, 3, 3)).astype(np.float16)
    v0 = rng.standard_normal((32, 8, 16, 16)).astype(np.float16)
    grads = {}
    for dtype in (np.float16, np.float64):
        x = tg.tensor(x0.astype(dtype), requires_grad=True)
        w = tg.tensor(w0.astype(dtype), requires_grad=True)
        y = F.conv2d(x, w, groups=groups, padding=1)
        gx, gw = tg.autograd.grad(y, [x, w], v0.astype(dtype))
        grads[dtype] = (y.data, gx.data, gw.data)
    for low, exact in zip(grads[np.float16], grads[np.float64], strict=True):
        assert low.dtype == np.float16
        # (one rounding of the exact value: within half a float16 ulp, 2**-11 relative)
        np.testing.assert_allclose(low, exact, rtol=2**-11, atol=2**-14)


@pytest.mark.parametrize("groups", [1, 3])
def test_conv2d_of_an_empty_batch_has_empty_gradients(groups) -> None:
    # (1ae283e's weight adjoint reshaped its windows with a -1 beside a batch of 0: ValueError)
    x = tg.tensor(np.zeros((0, 3, 6, 6)), requires_grad=True)
    w = tg.tensor(np.ones((6, 3 // groups, 3, 3)), requires_grad=True)
    y = tg.nn.functional.conv2d(x, w, padding=1, groups=groups)
    gx, gw = tg.autograd.grad(y, [x, w], np.ones(y.shape))
    assert gx.shape == (0, 3, 6, 6) and gw.shape == w.shape
    np.testing.assert_array_equal(gw.data, 0.0)


def test_conv2d_input_gradient_with_an_infinite_weight_is_finite_where_it_does_not_reach() -> None:
    # (859a824's stride-1 scatter multiplied its widened rows' zero columns by the weight too:
    # inf * 0 put NaN into seven entries the inf never reaches; torch gives 2, 3, 2 there)
    x = tg.tensor(np.ones((1, 1, 5, 5)), requires_grad=True)
    w = np.ones((1, 1, 3, 3))
    w[0, 0, 1, 1] = np.inf
    y = tg.nn.functional.conv2d(x, tg.tensor(w))
    (gx,) = tg.autograd.grad(y, [x], np.ones(y.shape))
    counts = np.array([1, 2, 3, 2, 1], float)
    expected = np.outer(counts, counts)
    expected[1:4, 1:4] = np.inf
    np.testing.assert_array_equal(gx.data[0, 0], expected)


def test_max_pool2d_gives_a_zero_gradient_as_plus_zero() -> None:
    # (c8ca352's put kept a -0.0 incoming gradient's sign; bincount and torch give +0.0)
    x = tg.tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), requires_grad=True)
    y = tg.nn.functional.max_pool2d(x, 2)
    (gx,) = tg.autograd.grad(y, [x], np.array([[[[-0.0]]]]))
    assert not np.signbit(gx.data).any()


def _input_gradient_by_loops(d, w, size, stride, padding, dilation, groups):
    """conv2d's input adjoint entry by entry: every output pixel's delta through every weight
    tap it read, the taps landing in the padding dropped."""
    n, o, ho, wo = d.shape
    _, cg, kh, kw = w.shape
    og = o // groups
    dx = np.zeros(
        (
            n,
            cg * groups,
            size[0] + 2 * padding[0] + kh * dilation[0],
            size[1] + 2 * padding[1] + kw * dilation[1],
        )
    )
    for a in range(ho):
        for b in range(wo):
            for i in range(kh):
                for j in range(kw):
                    u, v = a * stride[0] + i * dilation[0], b * stride[1] + j * dilation[1]
                    for gi in range(groups):
                        dg = d[:, gi * og : (gi + 1) * og, a, b]  # (N, O / g)
                        dx[:, gi * cg : (gi + 1) * cg, u, v] += (
                            dg @ w[gi * og : (gi + 1) * og, :, i, j]
                        )
    return dx[:, :, padding[0] : padding[0] + size[0], padding[1] : padding[1] + size[1]]


@pytest.mark.parametrize(
    ("c", "o", "kernel", "padding", "dilation", "groups", "stride"),
    [
        (4, 2, (3, 3), 0, 1, 1, 1),  # (O <= C at stride 1: the input adjoint as a full correlation)
        (4, 4, (3, 2), 1, 1, 2, 1),
        (3, 3, (2, 3), (4, 1), 1, 3, 1),  # (padding wider than the kernel: d cropped)
        (4, 4, (3, 3), 2, 2, 1, 1),
        (4, 2, (2, 2), "same", 1, 2, 1),  # (padding after only: the even kernel's extra row)
        (2, 4, (3, 3), 1, 1, 1, 1),  # (O > C: the scatter of columns)
        (4, 4, (1, 1), 0, 1, 4, 1),
        # stride > 1 and O <= C: one full correlation per stride phase
        (4, 2, (3, 3), 1, 1, 1, 2),
        (4, 4, (3, 2), (2, 0), 1, 2, (2, 3)),
        (2, 2, (3, 3), 1, 2, 1, 2),  # (dilation 2, stride 2: the even rows get no tap)
        # (rows: one tap per phase; columns: every second tap, sub-dilation 3)
        (2, 2, (3, 4), (1, 2), (2, 3), 1, (3, 2)),
        (3, 3, (2, 2), 0, 1, 3, 3),  # (stride past the kernel: phases no tap reaches)
        (4, 4, (5, 5), (4, 3), 1, 1, 2),  # (padding wider than the sub-kernels: d cropped)
        (2, 4, (3, 3), 1, 1, 1, 2),  # (O > C: the strided scatter)
        (2, 2, (2, 2), 1, (3, 2), 1, (4, 8)),  # (an image narrower than the stride)
        (2, 2, (3, 3), (3, 4), (3, 2), 1, (3, 5)),  # (a phase's first tap past the kernel)
    ],
)
def test_conv2d_input_gradient_against_loops(
    c, o, kernel, padding, dilation, groups, stride, monkeypatch
) -> None:
    monkeypatch.setattr(conv, "_PHASED_MIN", 0)  # (the phases at any size)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, c, 6, 7)), requires_grad=True)
    w = rng.standard_normal((o, c // groups, *kernel))
    y = F.conv2d(x, tg.tensor(w), stride=stride, padding=padding, dilation=dilation, groups=groups)
    d = rng.standard_normal(y.shape)
    (gx,) = tg.autograd.grad(y, [x], d)
    if padding == "same":
        # (torch's 'same' for an even kernel: the odd pad after; padded here by hand)
        xp = np.pad(x.data, ((0, 0), (0, 0), (0, 1), (0, 1)))
        y2 = F.conv2d(tg.tensor(xp), tg.tensor(w), groups=groups)
        np.testing.assert_allclose(y.data, y2.data, rtol=1e-12)
        want = _input_gradient_by_loops(d, w, (7, 8), (1, 1), (0, 0), (1, 1), groups)[..., :6, :7]
    else:
        pads = (padding, padding) if isinstance(padding, int) else padding
        strides = (stride, stride) if isinstance(stride, int) else stride
        dilations = (dilation, dilation) if isinstance(dilation, int) else dilation
        want = _input_gradient_by_loops(d, w, (6, 7), strides, pads, dilations, groups)
    np.testing.assert_allclose(gx.data, want, rtol=1e-12, atol=1e-12)


def test_strided_conv2d_phases_second_order(monkeypatch) -> None:
    # (the phases are the forward of the input adjoint: its own derivatives, through create_graph)
    monkeypatch.setattr(conv, "_PHASED_MIN", 0)
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((2, 4, 7, 6)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((4, 2, 3, 2)), requires_grad=True)

    def f(x, w):
        return F.conv2d(x, w, stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=2) ** 2

    assert tg.gradcheck(f, (x, w))
    assert tg.gradgradcheck(f, (x, w))


def test_overlapping_max_pool_gradients_add_up_in_float32_in_the_outputs_order() -> None:
    # (as torch's loop, to the bit; a float64 bincount rounded once gave 1-ulp differences)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 3, 9, 8)).astype(np.float32), requires_grad=True)
    y, idx = F.max_pool2d(x, 3, 1, 1, return_indices=True)
    d = rng.standard_normal(y.shape).astype(np.float32) * 1e3
    (gx,) = tg.autograd.grad(y, [x], d)
    want = np.zeros((2, 3, 72), np.float32)
    for n in range(2):
        for c in range(3):
            for k, pos in enumerate(idx.data[n, c].ravel()):
                want[n, c, pos] += d[n, c].ravel()[k]
    np.testing.assert_array_equal(gx.data, want.reshape(x.shape))


@pytest.mark.parametrize("shape", [(1, 1, 1, 0), (2, 2, 0, 3)])
def test_conv2d_gradients_of_an_image_with_no_rows_or_columns(shape) -> None:
    # (padding gives such an image an output; f1301e4's stride-1 correlation took no window of
    # the empty image and raised)
    x = tg.tensor(np.zeros(shape), requires_grad=True)
    w = tg.tensor(np.ones((shape[1], shape[1], 1, 1)), requires_grad=True)  # (O <= C)
    y = F.conv2d(x, w, padding=1)
    gx, gw = tg.autograd.grad(y, [x, w], np.ones(y.shape), create_graph=True)
    assert gx.shape == shape and gw.shape == w.shape
    np.testing.assert_array_equal(gw.data, 0.0)
    (gd,) = tg.autograd.grad(gx.sum() + gw.sum(), [w], allow_unused=True, materialize_grads=True)
    assert gd.shape == w.shape


@pytest.mark.parametrize(
    ("kernel", "padding", "ceil_mode", "shape"),
    [
        ((2, 2), (0, 0), False, (2, 3, 8, 8)),
        ((3, 2), (1, 1), False, (1, 2, 7, 5)),
        ((3, 3), (0, 0), True, (1, 2, 8, 8)),  # (ceil_mode: a third window, past the image)
        ((4, 4), (0, 0), False, (2, 2, 10, 10)),  # (rows past the last window get nothing)
        ((4, 4), (2, 1), False, (2, 2, 9, 10)),
        ((5, 5), (0, 0), False, (0, 2, 5, 5)),
    ],
)
def test_avg_pool_tiling_windows_adjoint_is_the_scatter(
    kernel, padding, ceil_mode, shape, monkeypatch
) -> None:
    # (windows that tile the image: one pass over blocks, the scatter's bits and +0.0)
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    y = F.avg_pool2d(x, kernel, kernel, padding, ceil_mode=ceil_mode, count_include_pad=False)
    d = rng.standard_normal(y.shape)
    d.flat[:1] = -0.0
    scatter = conv._scatter_windows

    def unused(*args):
        raise AssertionError("the blocks path did not run")

    monkeypatch.setattr(conv, "_scatter_windows", unused)
    (gx,) = tg.autograd.grad(y, [x], d)
    monkeypatch.setattr(conv, "_scatter_windows", scatter)
    op = y.grad_fn
    share = d / op.divisor
    cols = np.broadcast_to(share[:, :, None, None], (*d.shape[:2], *kernel, *d.shape[2:]))
    want = conv._scatter_windows(cols, op.size, op.padding, op.stride, (1, 1))
    np.testing.assert_array_equal(gx.data, want)
    assert not np.signbit(gx.data[gx.data == 0]).any()


@pytest.mark.parametrize("layout", ["contiguous", "sliced"])
def test_windows_past_the_image_are_refused(layout) -> None:
    # (the buffer path checks only the buffer's size, as_strided nothing: a window one row or
    # column too many read the next row or past the array)
    image = np.arange(2 * 3 * 7 * 8, dtype=float).reshape(2, 3, 7, 8)
    if layout == "sliced":
        image = image[:, :, 1:6, 1:7]  # (5, 6), not C-contiguous
    else:
        image = np.ascontiguousarray(image[:, :, :5, :6])
    fits = conv._windows(image, (2, 3), (1, 1), (1, 1), (4, 4))
    assert fits.shape == (2, 3, 4, 4, 2, 3) and not fits.flags.writeable
    for out in ((5, 4), (4, 5)):
        with pytest.raises(ValueError, match="run past the image"):
            conv._windows(image, (2, 3), (1, 1), (1, 1), out)
