"""conv_transpose1d/2d and the adaptive pools, with their modules: values and gradients
hard-coded from torch 2.13, torch's window rule and tie/NaN choices, the adjoint identity with
conv2d, output_size, and errors. Gradients against finite differences (any order, forward mode)
live in the op registry (tests/nn_op_specs.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.nn import functional as F

# ----------------------------------------------------------------------------- conv_transpose


def test_conv_transpose2d_matches_torch_values_and_gradients() -> None:
    x = tg.tensor((np.arange(18.0).reshape(1, 2, 3, 3) - 8) / 4, requires_grad=True)
    w = tg.tensor((np.arange(16.0).reshape(2, 2, 2, 2) - 7) / 8, requires_grad=True)
    b = tg.tensor([0.5, -1.0], requires_grad=True)
    y = F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)
    torch_y = [
        [
            [1.625, 1.78125, 1.625, 1.71875, 1.625],
            [1.6875, 1.53125, 1.5625, 1.34375, 1.4375],
            [1.625, 1.59375, 1.625, 1.53125, 1.625],
            [1.3125, 0.96875, 1.1875, 0.78125, 1.0625],
            [1.625, 1.40625, 1.625, 1.34375, 1.625],
        ],
        [
            [-0.75, -0.34375, -0.5, -0.15625, -0.25],
            [0.0625, 0.15625, 0.1875, 0.21875, 0.3125],
            [0.0, 0.21875, 0.25, 0.40625, 0.5],
            [0.4375, 0.34375, 0.5625, 0.40625, 0.6875],
            [0.75, 0.78125, 1.0, 0.96875, 1.25],
        ],
    ]
    np.testing.assert_allclose(y.data, [torch_y], rtol=1e-15)
    r = np.arange(50.0).reshape(y.shape) / 10
    gx, gw, gb = tg.autograd.grad((y * r).sum(), [x, w, b])
    torch_gx = [
        [[0.0, -0.4875, -0.7375], [-1.625, -4.75, -5.45], [-3.125, -8.25, -8.95]],
        [[2.5, 5.1125, 5.6625], [6.375, 12.45, 13.35], [8.875, 16.95, 17.85]],
    ]
    torch_gw = [
        [[[-1.6, -3.175], [-3.225, -6.0]], [[-6.6, -12.55], [-16.35, -28.5]]],
        [[[9.2, 13.025], [12.975, 18.3]], [[26.7, 37.4], [33.6, 46.425]]],
    ]
    np.testing.assert_allclose(gx.data, [torch_gx], rtol=1e-13)
    np.testing.assert_allclose(gw.data, torch_gw, rtol=1e-13)
    np.testing.assert_allclose(gb.data, [30.0, 92.5], rtol=1e-13)


def test_conv_transpose1d_output_padding_past_the_stride_below_the_dilation() -> None:
    # (stride 1, dilation 2, output_padding 1: torch allows it; the last entry receives
    # nothing, and the adjoints crop it away; unbatched, groups 2)
    x = tg.tensor((np.arange(8.0).reshape(4, 2) - 3) / 2, requires_grad=True)
    w = tg.tensor((np.arange(12.0).reshape(4, 1, 3) - 5) / 4, requires_grad=True)
    y = F.conv_transpose1d(x, w, stride=1, padding=1, output_padding=1, groups=2, dilation=2)
    torch_y = [[1.25, 1.625, 1.0, 1.125, 0.75], [2.25, 2.125, 3.0, 2.625, 3.75]]
    np.testing.assert_allclose(y.data, torch_y, rtol=1e-15)
    gx, gw = tg.autograd.grad((y * y).sum(), [x, w])
    torch_gx = [[-4.9375, -6.25], [-0.8125, -1.75], [6.0625, 9.75], [13.1875, 23.25]]
    torch_gw = [[[-2.5, -6.875, -4.875]], [[0.0, -1.625, -1.125]], [[4.5, 8.125, 10.125]]]
    torch_gw.append([[9.0, 18.375, 22.875]])
    np.testing.assert_allclose(gx.data, torch_gx, rtol=1e-14)
    np.testing.assert_allclose(gw.data, torch_gw, rtol=1e-14)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups, output_padding",
    [(1, 0, 1, 1, 0), (2, 1, 1, 2, 1), (3, 2, 2, 1, 2), ((2, 1), (0, 1), (1, 3), 2, (1, 2))],
)
def test_conv_transpose2d_is_conv2ds_adjoint(stride, padding, dilation, groups, output_padding):
    # <conv_transpose2d(d, w), x> == <d, conv2d(x, w)>, over shapes past the phased paths' size
    rng = np.random.default_rng(0)
    d = rng.standard_normal((8, 6, 9, 7))
    w = rng.standard_normal((6, 8 // groups, 3, 4))
    y = F.conv_transpose2d(d, w, None, stride, padding, output_padding, groups, dilation)
    x = rng.standard_normal(y.shape)
    conv = F.conv2d(x, w, None, stride, padding, dilation, groups).data
    # (an output_padding past the stride, below the dilation, adds entries no conv2d window
    # of d's size reads: conv2d then has more outputs, the adjoint the first ones)
    conv = conv[:, :, : d.shape[2], : d.shape[3]]
    assert conv.shape == d.shape
    np.testing.assert_allclose(np.sum(y.data * x), np.sum(d * conv), rtol=1e-11)


def test_conv_transpose_second_order_and_float32() -> None:
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    assert tg.gradgradcheck(
        lambda a, b: F.conv_transpose2d(a, b, stride=2, padding=1, output_padding=1, groups=2),
        (x, tg.tensor(rng.standard_normal((4, 3, 3, 3)) / 3, requires_grad=True)),
    )
    y = F.conv_transpose2d(x.data.astype(np.float32), w.data.astype(np.float32), stride=2)
    assert y.dtype == np.float32 and y.shape == (2, 3, 7, 7)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 2, 2)), output_padding=1),
         ValueError, r"output_padding \(1, 1\) must be smaller than either the stride \(1, 1\)"),
        (lambda: F.conv_transpose2d(np.ones((1, 3, 3, 3)), np.ones((2, 1, 2, 2))),
         ValueError, r"input has 3 channels but weight expects 2"),
        (lambda: F.conv_transpose2d(np.ones((1, 3, 3, 3)), np.ones((3, 1, 2, 2)), groups=2),
         ValueError, r"3 input channels, not divisible by groups=2"),
        (lambda: F.conv_transpose2d(np.ones((1, 4, 3, 3)), np.ones((4, 3, 2, 2)), padding=3),
         ValueError, r"output size \(-2, -2\) is too small"),
        (lambda: F.conv_transpose2d(np.ones((1, 2, 0, 3)), np.ones((2, 3, 2, 2))),
         ValueError, "non-empty spatial"),
        (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 3, 2, 2)), np.ones(2)),
         ValueError, r"bias must have shape \(3,\)"),
        (lambda: F.conv_transpose1d(np.ones((1, 2, 3)), np.ones((2, 3, 2)), padding="same"),
         TypeError, "padding"),
        (lambda: F.conv_transpose1d(np.ones((2, 3)), np.ones((2, 3, 2)), stride=(1, 1)),
         TypeError, "stride"),
    ],
)  # fmt: skip
def test_conv_transpose_refusals(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_conv_transpose_modules_are_torchs() -> None:
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False,
                           dilation=2)  # fmt: skip
    assert repr(m) == (
        "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "dilation=(2, 2), output_padding=(1, 1), groups=2, bias=False)"
    )
    assert m.weight.shape == (4, 3, 3, 3) and m.bias is None
    assert (
        repr(nn.ConvTranspose1d(4, 6, 3)) == "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,))"
    )
    assert nn.ConvTranspose1d(4, 6, 3, groups=2).weight.shape == (4, 3, 3)
    # torch's init: fan_in is the weight's second axis (out_channels / groups) times the kernel
    m = nn.ConvTranspose2d(8, 6, 3, groups=2, rng=0)
    bound = 1 / np.sqrt(3 * 9)
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.bias.data).max() <= bound
    assert np.abs(m.weight.data).max() > 0.9 * bound
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")


def test_conv_transpose_module_output_size() -> None:
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, rng=0)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)
    assert m(x).shape == (1, 3, 9, 9)
    y = m(x, output_size=(10, 9))
    assert y.shape == (1, 3, 10, 9)
    want = F.conv_transpose2d(x, m.weight, m.bias, stride=2, output_padding=(1, 0))
    np.testing.assert_array_equal(y.data, want.data)
    assert m(x, output_size=[1, 3, 9, 10]).shape == (1, 3, 9, 10)  # (the whole shape)
    assert m(x[0], output_size=(3, 10, 10)).shape == (3, 10, 10)
    with pytest.raises(ValueError, match=r"valid sizes range from \[9, 9\] to \[10, 10\]"):
        m(x, output_size=(11, 11))
    with pytest.raises(ValueError, match="2 or 4 elements"):
        m(x, output_size=(10,))
    with pytest.raises(TypeError, match="output_size"):
        m(x, output_size=10)


# ----------------------------------------------------------------------------- adaptive pools


def test_adaptive_avg_pool2d_matches_torch() -> None:
    x = tg.tensor(np.arange(35.0).reshape(1, 1, 5, 7) ** 2 / 100, requires_grad=True)
    y = F.adaptive_avg_pool2d(x, (3, 4))
    torch_y = [
        [0.285, 0.43166666666666664, 0.6916666666666668, 0.9349999999999999],
        [2.4316666666666666, 2.893333333333333, 3.573333333333333, 4.131666666666667],
        [6.375, 7.151666666666666, 8.251666666666667, 9.125],
    ]
    np.testing.assert_allclose(y.data, [[torch_y]], rtol=1e-14)
    (g,) = tg.autograd.grad((y * np.arange(12.0).reshape(1, 1, 3, 4)).sum(), [x])
    torch_g = [
        [0.0, 1 / 6, 1 / 6, 0.5, 1 / 3, 13 / 12, 0.75],
        [2 / 3, 25 / 18, 13 / 18, 31 / 18, 1.0, 35 / 12, 23 / 12],
        [2 / 3, 11 / 9, 5 / 9, 11 / 9, 2 / 3, 11 / 6, 7 / 6],
        [8 / 3, 85 / 18, 37 / 18, 79 / 18, 7 / 3, 6.25, 47 / 12],
        [2.0, 3.5, 1.5, 19 / 6, 5 / 3, 53 / 12, 2.75],
    ]
    np.testing.assert_allclose(g.data, [[torch_g]], rtol=1e-14)


def test_adaptive_avg_pool1d_windows_shrink_and_grow() -> None:
    # torch's windows: [0, 2), [1, 4), [3, 5) for 5 -> 3; 3 -> 5 repeats entries
    np.testing.assert_allclose(F.adaptive_avg_pool1d(np.array([[1.0, 2, 4, 8, 16]]), 3).data,
                               [[1.5, 14 / 3, 12.0]])  # fmt: skip
    np.testing.assert_array_equal(F.adaptive_avg_pool1d(np.array([[1.0, 2, 4]]), (5,)).data,
                                  [[1.0, 1.5, 2.0, 3.0, 4.0]])  # fmt: skip


def test_adaptive_max_pool_picks_torchs_index() -> None:
    x = np.array([[[3.0, 1, 3, 0, 2], [3, 5, 5, -1, 2], [0, 0, 4, 4, 1]]])  # (C, H, W)
    y, i = F.adaptive_max_pool2d(x, (2, 3), return_indices=True)
    np.testing.assert_array_equal(y.data, [[[5.0, 5, 2], [5, 5, 4]]])
    np.testing.assert_array_equal(i.data, [[[6, 6, 4], [6, 6, 13]]])  # (first maximum)
    assert i.dtype == np.int64 and not i.requires_grad
    y, i = F.adaptive_max_pool1d(np.array([[1.0, 2, 2, 0, 7, 7, 3]]), 4, return_indices=True)
    np.testing.assert_array_equal(y.data, [[2.0, 2, 7, 7]])
    np.testing.assert_array_equal(i.data, [[1, 1, 4, 5]])
    # the last NaN of a window, row-major; a window of -inf takes its first entry (torch's)
    nan = np.array([[[[1.0, np.nan, 3], [np.nan, 2, 2]]]])
    _, i = F.adaptive_max_pool2d(nan, (1, 2), return_indices=True)
    np.testing.assert_array_equal(i.data, [[[[3, 1]]]])
    _, i = F.adaptive_max_pool2d(nan, 1, return_indices=True)
    np.testing.assert_array_equal(i.data, [[[[3]]]])
    _, i = F.adaptive_max_pool2d(np.full((1, 1, 3, 3), -np.inf), 2, return_indices=True)
    np.testing.assert_array_equal(i.data, [[[[0, 1], [3, 4]]]])
    # -0.0 before 0.0 stays -0.0, as torch's strict comparison
    y = F.adaptive_max_pool2d(np.array([[[[-0.0, 0.0], [0.0, -0.0]]]]), 1)
    assert np.signbit(y.data).all()


def test_adaptive_max_gradient_goes_to_the_chosen_entry_once_per_window() -> None:
    x = tg.tensor([[[1.0, 5, 2, 4, 3]]], requires_grad=True)
    y = F.adaptive_max_pool1d(x, 3)  # windows [0, 2), [1, 4), [3, 5): 5, 5, 4
    np.testing.assert_array_equal(y.data, [[[5.0, 5, 4]]])
    (g,) = tg.autograd.grad((y * np.array([1.0, 10, 100])).sum(), [x])
    np.testing.assert_array_equal(g.data, [[[0.0, 11, 0, 100, 0]]])


@pytest.mark.parametrize("out", [1, (7, 7), (2, 7), (5, 3), (None, 4), (20, 1), (0, 3)])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool2d_paths_agree_with_the_window_rule(out, kind) -> None:
    # the fast paths (1 x 1, divisors) and the general one against a loop over torch's windows
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 14, 14)).astype(np.float32)
    y = getattr(F, f"adaptive_{kind}_pool2d")(x, out)
    ho, wo = (out, out) if isinstance(out, int) else (14 if out[0] is None else out[0], out[1])
    want = np.zeros((2, 3, ho, wo), np.float32)
    reduce = np.mean if kind == "avg" else np.max
    for i in range(ho):
        for j in range(wo):
            rows = slice(i * 14 // ho, -(-(i + 1) * 14 // ho))
            cols = slice(j * 14 // wo, -(-(j + 1) * 14 // wo))
            want[:, :, i, j] = reduce(x[:, :, rows, cols], axis=(2, 3))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, want, rtol=1e-6, atol=1e-6)


def test_adaptive_pools_inputs_and_refusals() -> None:
    assert F.adaptive_avg_pool2d(np.ones((3, 5, 7)), (None, 3)).shape == (3, 5, 3)
    assert F.adaptive_avg_pool2d(np.ones((0, 3, 5, 7)), 2).shape == (0, 3, 2, 2)
    assert F.adaptive_max_pool1d(np.ones((3, 5)), 0).shape == (3, 0)
    y = F.adaptive_avg_pool2d(np.arange(12).reshape(1, 3, 4), 2)  # (ints averaged in float64)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, [[[2.5, 4.5], [6.5, 8.5]]])
    assert F.adaptive_avg_pool2d(np.ones((1, 1, 3, 3), np.float16), 2).dtype == np.float16
    with pytest.raises(ValueError, match="non-empty height and width"):
        F.adaptive_avg_pool2d(np.ones((2, 3, 0, 7)), 2)
    with pytest.raises(ValueError, match="4-D"):
        F.adaptive_max_pool2d(np.ones((5, 7)), 2)
    with pytest.raises(ValueError, match="output_size must have 2 entries"):
        F.adaptive_avg_pool2d(np.ones((1, 5, 7)), (2,))
    with pytest.raises(ValueError, match=">= 0"):
        F.adaptive_avg_pool1d(np.ones((1, 5)), -1)
    with pytest.raises(TypeError, match="output_size"):
        F.adaptive_avg_pool1d(np.ones((1, 5)), (None,))
    with pytest.raises(TypeError, match="output_size"):
        F.adaptive_avg_pool2d(np.ones((1, 5, 7)), 2.0)


def test_adaptive_pool_modules() -> None:
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    assert repr(nn.AdaptiveMaxPool2d(3, return_indices=True)) == "AdaptiveMaxPool2d(output_size=3)"
    assert repr(nn.AdaptiveAvgPool1d(2)) == "AdaptiveAvgPool1d(output_size=2)"
    assert repr(nn.AdaptiveMaxPool1d(2)) == "AdaptiveMaxPool1d(output_size=2)"
    x = np.random.default_rng(3).standard_normal((2, 4, 6, 6)).astype(np.float32)
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    np.testing.assert_allclose(head(x).data, x.mean(axis=(2, 3)), rtol=1e-6)
    y, i = nn.AdaptiveMaxPool2d((4, 5), return_indices=True)(x)
    assert y.shape == i.shape == (2, 4, 4, 5)
    assert nn.AdaptiveMaxPool1d(4)(x[0]).shape == (4, 6, 4)
    with pytest.raises(ValueError, match="AdaptiveAvgPool2d"):
        nn.AdaptiveAvgPool2d(-1)
    with pytest.raises(ValueError, match="expected input of shape"):
        nn.AdaptiveAvgPool1d(2)(x)


def test_review_edges() -> None:
    """An empty batch through the 1 x 1 adaptive max pool; a transposed convolution's output
    size of 0 (torch's: an empty output)."""
    assert F.adaptive_max_pool2d(np.zeros((0, 3, 4, 5), np.float32), (1, 1)).shape == (0, 3, 1, 1)
    assert F.adaptive_max_pool1d(np.zeros((0, 3, 7)), 1).shape == (0, 3, 1)
    x = tg.tensor(np.ones((2, 1, 1)), requires_grad=True)
    y = F.conv_transpose1d(x, np.ones((1, 2, 2)), stride=2, padding=1)
    assert y.shape == (2, 2, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)
