"""Layers and functional ops: exact conventions (ties, padding rows, running statistics), shape
errors that name the layer, dtypes. Gradients against finite differences live in the op registry
(tests/nn_op_specs.py)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.nn import functional as F


def test_layers_default_to_float32_and_keep_it():
    x = tg.tensor(np.ones((2, 1, 6, 6), np.float32))
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, rng=0),
        nn.BatchNorm2d(2),
        nn.GELU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.LayerNorm(8),
        nn.Dropout(0.5, rng=0),
        nn.Linear(8, 3, rng=0),
        nn.Tanh(),
    )
    out = model(x)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    out.sum().backward()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize(
    ("layer", "x", "pattern"),
    [
        (
            nn.Linear(4, 3),
            np.ones((2, 5), np.float32),
            r"Linear\(in_features=4.*\(\.\.\., 4\).*\(2, 5\)",
        ),
        (
            nn.Conv2d(3, 2, 3),
            np.ones((1, 2, 5, 5), np.float32),
            r"Conv2d\(3, 2.*\(N, 3, H, W\).*\(1, 2, 5, 5\)",
        ),
        (nn.BatchNorm1d(3), np.ones((4, 2), np.float32), r"BatchNorm1d\(3.*\(N, 3\).*\(4, 2\)"),
        (
            nn.BatchNorm2d(3),
            np.ones((4, 3, 2), np.float32),
            r"BatchNorm2d\(3.*\(N, 3, H, W\).*\(4, 3, 2\)",
        ),
        (
            nn.LayerNorm((2, 3)),
            np.ones((4, 3, 2), np.float32),
            r"LayerNorm.*\(\.\.\., 2, 3\).*\(4, 3, 2\)",
        ),
        (nn.MaxPool2d(2), np.ones((4, 4), np.float32), r"MaxPool2d.*\(N, C, H, W\).*\(4, 4\)"),
    ],
)
def test_wrong_input_shape_names_layer_expected_and_got(layer, x, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer(tg.tensor(x))


def test_embedding_layer_refuses_float_indices_as_the_function_does():
    # (a dtype mistake: TypeError, as F.embedding raises for the same indices; was ValueError)
    for call in (nn.Embedding(5, 2), lambda i: F.embedding(i, tg.ones((5, 2)))):
        with pytest.raises(TypeError, match=r"integer.*float32"):
            call(tg.tensor(np.ones(3, np.float32)))


def test_conv2d_errors():
    x, w = np.ones((1, 2, 4, 4)), np.ones((3, 2, 5, 5))
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match="channels"):
        F.conv2d(x, np.ones((3, 1, 3, 3)))
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, np.ones((3, 2, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, np.ones((3, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match="bias"):
        F.conv2d(x, np.ones((3, 2, 3, 3)), bias=np.ones(2))


def test_conv2d_against_a_direct_sum():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), np.arange(4.0)
    y = F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2)).data
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    ref = np.zeros_like(y)
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            patch = xp[:, :, 2 * i : 2 * i + 3, j : j + 3 : 2]
            ref[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w) + b
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_conv_unbatched_input():
    conv = nn.Conv2d(2, 3, 3, padding=1, rng=0)
    x = np.random.default_rng(1).standard_normal((2, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(conv(x).data, conv(x[None]).data[0], rtol=1e-6)


def test_max_pool_tie_sends_gradient_to_the_first_maximum():
    x = tg.tensor(np.array([[[[1.0, 3.0], [3.0, 0.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, 2)
    y.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(x.grad.data[0, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_max_pool_overlapping_windows_accumulate_and_indices():
    x = tg.tensor(np.array([[[[0.0, 5.0, 1.0, 0.0]]]]), requires_grad=True)
    y, idx = F.max_pool2d(x, (1, 2), stride=1, return_indices=True)
    np.testing.assert_array_equal(y.data[0, 0, 0], [5.0, 5.0, 1.0])
    np.testing.assert_array_equal(idx.data[0, 0, 0], [1, 1, 2])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[0, 0, 0], [0.0, 2.0, 1.0, 0.0])


def test_pools_default_stride_is_kernel_size_and_padding_is_limited():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    assert F.max_pool2d(x, 3).shape == (1, 1, 2, 2)
    np.testing.assert_allclose(F.avg_pool2d(x, 2).data[0, 0, 0], [3.5, 5.5, 7.5])
    with pytest.raises(ValueError, match="half the kernel"):
        F.max_pool2d(x, 2, padding=2)


def test_avg_pool_count_include_pad():
    x = np.ones((1, 1, 2, 2))
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 1, 1).data[0, 0], np.full((2, 2), 4 / 9))
    np.testing.assert_allclose(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False).data, 1.0)


def test_batch_norm_running_statistics_as_torch():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm1d(2, momentum=0.3, dtype=np.float64)
    x = rng.standard_normal((5, 2)) * 3 + 1
    y = bn(x)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(axis=0), 1 / (1 + 1e-5 / x.var(axis=0)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean.data, 0.3 * x.mean(axis=0), rtol=1e-12)
    unbiased = x.var(axis=0, ddof=1)
    np.testing.assert_allclose(bn.running_var.data, 0.7 + 0.3 * unbiased, rtol=1e-12)
    assert bn.num_batches_tracked.data == 1
    bn.eval()
    z = bn(x)
    ref = (x - bn.running_mean.data) / np.sqrt(bn.running_var.data + 1e-5)
    np.testing.assert_allclose(z.data, ref, rtol=1e-12)
    assert bn.num_batches_tracked.data == 1
    assert set(bn.state_dict()) == {
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    }


def test_batch_norm_cumulative_average_and_untracked():
    bn = nn.BatchNorm2d(1, momentum=None, dtype=np.float64)
    batches = [np.full((2, 1, 1, 1), v) + np.array([-1, 1.0]).reshape(2, 1, 1, 1) for v in (1, 3)]
    for b in batches:
        bn(b)
    np.testing.assert_allclose(bn.running_mean.data, [2.0])
    free = nn.BatchNorm1d(2, track_running_stats=False).eval()
    out = free(np.array([[1.0, 2.0], [3.0, 6.0]], np.float32))
    np.testing.assert_allclose(out.data, [[-1, -1], [1, 1]], atol=1e-4)
    with pytest.raises(ValueError, match="more than 1 value"):
        F.batch_norm(np.ones((1, 3)), None, None, training=True)


def test_batch_norm_of_an_empty_batch_is_empty_and_leaves_running_stats_as_torch():
    bn = nn.BatchNorm2d(3, dtype=np.float64)
    x = tg.zeros((0, 3, 2, 2), requires_grad=True)
    y = bn(x)
    y.sum().backward()
    assert y.shape == (0, 3, 2, 2) and x.grad.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.weight.grad.data, 0.0)
    np.testing.assert_array_equal(bn.bias.grad.data, 0.0)
    np.testing.assert_array_equal(bn.running_mean.data, 0.0)
    np.testing.assert_array_equal(bn.running_var.data, 1.0)
    assert bn.num_batches_tracked.item() == 1  # (counted, as torch)
    assert F.batch_norm(np.ones((2, 3, 0)), None, None, training=True).shape == (2, 3, 0)


def test_layer_norm_matches_definition():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    w, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    ref = (x - mean) / np.sqrt(var + 1e-5) * w + b
    np.testing.assert_allclose(F.layer_norm(x, (4, 5), w, b).data, ref, rtol=1e-12)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(x, (5, 4))


def test_embedding_repeated_indices_and_padding_row():
    emb = nn.Embedding(4, 2, padding_idx=1, dtype=np.float64, rng=0)
    np.testing.assert_array_equal(emb.weight.data[1], [0.0, 0.0])
    idx = np.array([[0, 1, 0], [3, 1, 0]])
    out = emb(idx)
    assert out.shape == (2, 3, 2)
    out.backward(np.ones((2, 3, 2)))
    np.testing.assert_array_equal(emb.weight.grad.data[:, 0], [3.0, 0.0, 0.0, 1.0])
    with pytest.raises(IndexError):
        emb(np.array([4]))
    with pytest.raises(IndexError, match=r"indices must be in \[0, 4\)"):
        emb(np.array([-1]))  # no Python-style wrap, as torch


def test_embedding_max_norm_renormalises_in_place():
    w = nn.Parameter(np.array([[3.0, 4.0], [0.3, 0.4]]))
    F.embedding(np.array([0, 1]), w, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(w.data, axis=1), [1.0, 0.5], rtol=1e-6)


def test_dropout_seeded_scaled_and_identity_in_eval():
    x = tg.tensor(np.ones((200, 50)))
    a = F.dropout(x, 0.3, rng=np.random.default_rng(5))
    b = F.dropout(x, 0.3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.data, b.data)
    assert set(np.unique(a.data)) == {0.0, 1 / 0.7}
    assert abs((a.data == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x
    layer = nn.Dropout(0.3, rng=0).eval()
    assert layer(x) is x
    assert np.all(F.dropout(x, 1.0, rng=0).data == 0)
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)


def test_functional_accepts_dim_and_axis():
    x = np.random.default_rng(0).standard_normal((2, 3))
    np.testing.assert_allclose(F.softmax(x, dim=0).data, F.softmax(x, axis=0).data)
    np.testing.assert_allclose(nn.LogSoftmax(dim=1)(x).data, F.log_softmax(x, axis=1).data)
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(axis=-1), 1.0)


def test_loss_modules():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    target = np.array([0, 2])
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    ce = nn.CrossEntropyLoss()(logits, target).item()
    assert ce == pytest.approx(-(logp[0, 0] + logp[1, 2]) / 2)
    assert nn.MSELoss(reduction="sum")(np.ones(3), np.zeros(3)).item() == 3.0
    bce = nn.BCEWithLogitsLoss()(np.array([0.0]), np.array([1.0])).item()
    assert bce == pytest.approx(np.log(2))
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_losses_keep_torchs_argument_positions() -> None:
    # torch's deprecated size_average and reduce hold their places: a positional ignore_index
    # (cross_entropy's fifth argument) was read as the reduction
    x, y = tg.tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([0, 1])
    assert F.cross_entropy(x, y, None, None, 1).item() == pytest.approx(1.31326169)
    assert F.nll_loss(F.log_softmax(x, dim=1), y, None, None, 1).item() == pytest.approx(1.31326169)
    t = tg.zeros((2, 2))
    with pytest.warns(UserWarning, match="mse_loss: size_average and reduce are deprecated"):
        assert F.mse_loss(x, t, False).item() == 30.0  # (torch: reduction='sum')
    with pytest.warns(UserWarning, match="use reduction='none'"):
        assert F.mse_loss(x, t, reduce=False).shape == (2, 2)
    with pytest.warns(UserWarning, match="BCEWithLogitsLoss"):
        assert nn.BCEWithLogitsLoss(None, True, True).reduction == "mean"
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.CrossEntropyLoss(None, None, 1).ignore_index == 1
    # mse_loss's weight (torch 2.13): each squared error weighted, the mean over the weights
    w = tg.tensor([[1.0, 3.0], [2.0, 1.0]])
    assert F.mse_loss(x, t, weight=w).item() == pytest.approx(47 / 7)
    assert F.mse_loss(x, t, weight=w, reduction="sum").item() == 47.0
    with pytest.raises(ValueError, match=r"mse_loss: weight has shape \(2,\), expected"):
        F.mse_loss(x, t, weight=tg.ones(2))


def test_torch_only_keywords_are_accepted() -> None:
    x = tg.tensor(np.float32([-1.0, 2.0]), requires_grad=True)
    assert F.relu(x, inplace=True).data.tolist() == [0.0, 2.0]
    assert nn.ReLU(inplace=True)(x).data.tolist() == [0.0, 2.0]
    y = F.softmax(x, dim=-1, dtype=np.float64)  # (torch: the input is cast first)
    assert y.dtype == np.float64
    y[0].backward()
    assert x.grad.dtype == np.float32
    assert F.log_softmax(tg.tensor([1, 2]), dtype="float32").dtype == np.float32
    with pytest.raises(TypeError, match="log_softmax: dtype must be floating point, got int8"):
        F.log_softmax(x, dtype=np.int8)


def test_loss_weights_are_buffers_cast_by_to_as_torch():
    bce = nn.BCEWithLogitsLoss(weight=np.array([1.0, 2.0]), pos_weight=np.array([3.0, 1.0]))
    assert list(bce.state_dict()) == ["weight", "pos_weight"]
    assert list(nn.BCEWithLogitsLoss().state_dict()) == []
    bce.to(np.float32)
    assert bce.weight.dtype == bce.pos_weight.dtype == np.float32
    x, t = np.array([[0.5, -1.0]], np.float32), np.array([[1.0, 0.0]], np.float32)
    assert bce(x, t).dtype == np.float32  # (a float64 weight would have promoted the loss)
    ce = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))
    assert list(ce.state_dict()) == ["weight"] and ce.to(np.float32).weight.dtype == np.float32


def test_linear_higher_order_through_the_layer():
    lin = nn.Linear(3, 1, dtype=np.float64, rng=0)
    x = tg.tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True)
    (g,) = tg.autograd.grad(lin(x).sum() ** 2, [x], create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), [x])
    w = lin.weight.data[0]
    np.testing.assert_allclose(h.data[0], 2 * w * w.sum(), rtol=1e-12)


def test_linear_with_bias_is_one_node():
    x = tg.tensor(np.ones((2, 3)))
    w = tg.tensor(np.ones((4, 3)), requires_grad=True)
    b = tg.tensor(np.ones(4), requires_grad=True)
    y = F.linear(x, w, b)
    assert y.grad_fn.name == "Linear" and len(y.grad_fn.edges) == 3
    y.sum().backward()
    np.testing.assert_array_equal(b.grad.data, [2.0] * 4)
    np.testing.assert_array_equal(w.grad.data, np.full((4, 3), 2.0))


@pytest.mark.parametrize(
    ("x_shape", "w_shape"), [((0, 3), (2, 3)), ((4, 3), (0, 3)), ((5, 0), (2, 0))]
)
def test_linear_backward_on_empty_sizes(x_shape, w_shape):
    x = tg.tensor(np.ones(x_shape), requires_grad=True)
    w = tg.tensor(np.ones(w_shape), requires_grad=True)
    b = tg.tensor(np.ones(w_shape[:1]), requires_grad=True)
    F.linear(x, w, b).sum().backward()
    assert x.grad.shape == x_shape and w.grad.shape == w_shape and b.grad.shape == w_shape[:1]
    np.testing.assert_array_equal(b.grad.data, np.full(w_shape[:1], float(x_shape[0])))


def test_linear_with_zero_in_features_is_its_bias():
    # as torch: the zero-element weight's init is a no-op with a warning; the bias bound
    # 1/sqrt(fan_in) is taken as 0, so the bias is 0 (and trainable)
    with pytest.warns(UserWarning, match="zero-element"):
        lin = nn.Linear(0, 3, dtype=np.float64, rng=0)
    assert lin.weight.shape == (3, 0)
    assert repr(lin) == "Linear(in_features=0, out_features=3, bias=True)"
    np.testing.assert_array_equal(lin.bias.data, np.zeros(3))
    nn.init.uniform_(lin.bias, -1.0, 1.0, rng=1)
    x = tg.tensor(np.ones((2, 4, 0)), requires_grad=True)
    y = lin(x)
    assert y.shape == (2, 4, 3)
    np.testing.assert_array_equal(y.data, np.broadcast_to(lin.bias.data, (2, 4, 3)))
    (y * tg.tensor(np.arange(3.0))).sum().backward()
    assert x.grad.shape == (2, 4, 0) and lin.weight.grad.shape == (3, 0)
    np.testing.assert_array_equal(lin.bias.grad.data, [0.0, 8.0, 16.0])
    with pytest.warns(UserWarning, match="zero-element"):
        plain = nn.Linear(0, 2, bias=False)
    out = plain(tg.tensor(np.ones((5, 0), np.float32)))
    assert out.shape == (5, 2) and out.dtype == np.float32 and not out.data.any()


def test_linear_with_zero_out_features_gives_empty_outputs():
    with pytest.warns(UserWarning, match="zero-element"):
        lin = nn.Linear(3, 0, dtype=np.float64, rng=0)
    assert lin.weight.shape == (0, 3) and lin.bias.shape == (0,)
    x = tg.tensor(np.ones((4, 3)), requires_grad=True)
    y = lin(x)
    assert y.shape == (4, 0)
    y.sum().backward()
    assert lin.weight.grad.shape == (0, 3) and lin.bias.grad.shape == (0,)
    np.testing.assert_array_equal(x.grad.data, np.zeros((4, 3)))
    # it trains (nothing to update) and round-trips like any other layer
    opt = tg.optim.Adam(lin.parameters(), lr=0.1)
    opt.step()
    with pytest.warns(UserWarning, match="zero-element"):
        other = nn.Linear(3, 0, dtype=np.float64)
    other.load_state_dict(lin.state_dict())
    with pytest.warns(UserWarning, match="zero-element"):
        both = nn.Linear(0, 0)
    assert both(tg.zeros(2, 0)).shape == (2, 0)


@pytest.mark.parametrize(
    ("args", "pattern", "error"),
    [((-1, 2), "in_features", ValueError), ((2, -1), "out_features", ValueError)]
    + [((2.0, 2), "in_features", TypeError), ((True, 2), "in_features", TypeError)]
    + [((2, "3"), "out_features", TypeError)],
)
def test_linear_sizes_must_be_non_negative_ints(args, pattern, error):
    # (a wrong type is a TypeError, as torch's; a negative size a ValueError)
    with pytest.raises(error, match=f"Linear: {pattern} must be a non-negative int"):
        nn.Linear(*args)


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: nn.Conv2d(1, 1, (2, 3, 4)), "kernel_size"),
        (lambda: nn.Conv2d(1, 1, ()), "kernel_size"),
        (lambda: nn.Conv2d(1, 1, 2.0), "kernel_size"),
        (lambda: nn.Conv2d(1, 1, 2, stride=(1, 2, 3)), "stride"),
        (lambda: nn.Conv2d(1, 1, 2, padding=(1, 2, 3)), "padding"),
        (lambda: nn.Conv2d(1, 1, 2, dilation=(1, 2, 3)), "dilation"),
        (lambda: nn.MaxPool2d((2, 3, 4)), "kernel_size"),
        (lambda: nn.MaxPool2d(2, stride=(1, 1, 1)), "stride"),
        (lambda: nn.AvgPool2d((2, 3, 4)), "kernel_size"),
        (lambda: nn.AvgPool2d(2, padding=(0, 0, 0)), "padding"),
        (lambda: nn.LayerNorm(4.0), "normalized_shape"),
    ],
)
def test_size_arguments_of_the_wrong_length_or_type_are_refused(make, pattern):
    with pytest.raises(TypeError, match=pattern):
        make()


def test_size_arguments_of_one_entry_are_used_for_both_sides_as_torch():
    # (torch's functional forms expand (2,) to (2, 2); these raised TypeError)
    x = tg.ones((1, 1, 4, 4))
    assert F.conv2d(x, tg.ones((1, 1, 2, 2)), stride=(2,), padding=(1,)).shape == (1, 1, 3, 3)
    assert F.max_pool2d(x, (2,)).shape == F.avg_pool2d(x, (2,), (2,)).shape == (1, 1, 2, 2)
    assert nn.Conv2d(1, 1, (3,), padding=(1,)).kernel_size == (3, 3)


def test_linear_takes_a_broadcast_bias_and_a_1d_weight_as_torch():
    x, w = tg.tensor(np.arange(8.0).reshape(2, 4)), tg.tensor(np.ones((3, 4)))
    b = tg.tensor([0.5], requires_grad=True)
    y = F.linear(x, w, b)  # (a bias of shape (1,) or () was refused)
    np.testing.assert_array_equal(y.data, x.data @ w.data.T + 0.5)
    y.sum().backward()
    assert b.grad.shape == (1,) and b.grad.item() == 6.0
    assert F.linear(x, w, 0.5).shape == (2, 3)
    np.testing.assert_array_equal(F.linear(x, tg.ones(4)).data, [6.0, 22.0])  # input @ weight
    with pytest.raises(ValueError, match=r"linear: bias of shape \(4,\) does not broadcast"):
        F.linear(x, w, np.ones(4))


@pytest.mark.parametrize(
    ("padding_mode", "numpy_mode"),
    [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")],
)
@pytest.mark.parametrize("padding", [1, (2, 1), "same"])
def test_conv2d_padding_modes_pad_the_input_first(padding_mode, numpy_mode, padding) -> None:
    # (padding_mode was not a parameter; torch's default 'zeros' was refused too)
    conv = nn.Conv2d(2, 3, (3, 2), padding=padding, padding_mode=padding_mode, rng=0)
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6)).astype(np.float32)
    if padding == "same":  # (total 2 rows, 1 column: the extra column goes to the right)
        widths = ((0, 0), (0, 0), (1, 1), (0, 1))
    else:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        widths = ((0, 0), (0, 0), (ph, ph), (pw, pw))
    want = F.conv2d(np.pad(x, widths, mode=numpy_mode), conv.weight, conv.bias)
    np.testing.assert_allclose(conv(x).data, want.data, rtol=1e-6)
    assert repr(conv).endswith(f", padding_mode={padding_mode})")  # (torch's, unquoted)
    assert nn.Conv2d(1, 1, 3, padding_mode="zeros").padding_mode == "zeros"
    with pytest.raises(ValueError, match="Conv2d: padding_mode must be"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")


@pytest.mark.parametrize(
    ("mode", "shape", "padding", "ok"),
    [
        ("reflect", (1, 1, 2, 3), 1, True),
        ("reflect", (1, 1, 1, 3), 1, False),  # (NumPy would repeat the single row)
        ("reflect", (1, 3, 3), (0, 3), False),  # unbatched; only the padded axis counts
        ("reflect", (1, 3, 4), (0, 3), True),
        ("circular", (1, 1, 3, 3), 3, True),  # wraps around once
        ("circular", (1, 1, 3, 3), (1, 4), False),
        ("replicate", (1, 1, 1, 3), 4, True),
        ("replicate", (1, 1, 0, 3), 1, False),
        ("circular", (1, 1, 2, 3), (2, 1), True),
    ],
)
def test_conv2d_padding_modes_refuse_what_torch_refuses(mode, shape, padding, ok) -> None:
    conv = nn.Conv2d(1, 1, 1, padding=padding, padding_mode=mode, bias=False, rng=0)
    x = tg.zeros(shape)
    if ok:
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        assert conv(x).shape == shape[:-2] + (shape[-2] + 2 * ph, shape[-1] + 2 * pw)
    else:
        with pytest.raises(ValueError, match=rf"padding_mode='{mode}' pads .* of the input of"):
            conv(x)


def test_size_arguments_accept_numpy_integers():
    conv = nn.Conv2d(1, 1, np.int64(3), stride=np.int32(2), padding=(np.int64(1), 1))
    assert conv.kernel_size == (3, 3) and conv.stride == (2, 2) and conv.padding == (1, 1)
    assert type(conv.kernel_size[0]) is int
    assert repr(conv) == "Conv2d(1, 1, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert conv(tg.zeros(1, 1, 5, 5)).shape == (1, 1, 3, 3)
    assert nn.LayerNorm(np.int64(4)).normalized_shape == (4,)
    assert nn.LayerNorm([2, np.int64(3)]).normalized_shape == (2, 3)
    assert nn.LayerNorm(np.array([2, 3])).weight.shape == (2, 3)
    pool = nn.MaxPool2d(np.int64(2))
    assert pool.kernel_size == 2 and pool.stride == 2
    assert repr(pool) == (
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )  # (torch's text)
    assert pool(tg.zeros(1, 1, 4, 4)).shape == (1, 1, 2, 2)
    assert nn.AvgPool2d((2, np.int64(1))).kernel_size == (2, 1)


def test_softplus_beta_threshold_as_torchs():
    # torch's switch to the identity above the threshold, and its beta; (no beta before)
    x = tg.tensor([-3.0, 0.5, 15.0, 25.0], requires_grad=True)
    y = nn.functional.softplus(x)
    assert y.data[3] == 25.0 and y.data[2] == np.logaddexp(0, 15.0)
    y2 = nn.Softplus(beta=2.0, threshold=1.0)(x)
    np.testing.assert_allclose(y2.data[:2], np.logaddexp(0, 2 * x.data[:2]) / 2)
    assert y2.data[2:].tolist() == [15.0, 25.0]
    (g,) = tg.autograd.grad(y2.sum(), [x])
    np.testing.assert_allclose(g.data, [1 / (1 + np.exp(6.0)), 1 / (1 + np.exp(-1.0)), 1, 1])
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"


def test_functional_activations_take_torchs_argument_names_and_batch_norm_bias():
    # (F.softmax(input=t, dim=1) raised: the functions were tg's, whose first argument is x)
    t = tg.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(F.softmax(input=t, dim=1).data.sum(axis=1), [1.0, 1.0])
    assert F.log_softmax(t, 0).shape == (2, 3) and F.log_softmax(t, axis=1).shape == (2, 3)
    for fn in (F.sigmoid, F.tanh, F.gelu, F.relu):
        assert fn(input=t).shape == (2, 3)
    bn = nn.BatchNorm1d(3, bias=False)  # (torch 2.13's keyword: a weight alone)
    assert bn.bias is None and [n for n, _ in bn.named_parameters()] == ["weight"]
    assert bn(tg.ones((2, 3), dtype=np.float32)).shape == (2, 3)


def test_batch_norm_that_fails_counts_no_batch() -> None:
    # (one sample per channel raises; the counter moved all the same, so the next batch was
    # averaged in with weight 1/2 under momentum=None)
    bn = tg.nn.BatchNorm1d(2, momentum=None)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tg.tensor(np.ones((1, 2), np.float32)))
    assert bn.num_batches_tracked.data == 0
    bn(tg.tensor(np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)))
    np.testing.assert_allclose(bn.running_mean.data, [1.0, 2.0])


def test_uniform_init_keeps_its_upper_bound_open_in_float16_and_normal_refuses_nan_std() -> None:
    # (float64 draws rounded up to b in float16: 1,033 of 4,000,000 equal to 1; a float16 layer's
    # weights touched their bound too; torch keeps [a, b))
    x = tg.Tensor(np.zeros(1_000_000, np.float16))
    nn.init.uniform_(x, 0.0, 1.0, rng=0)
    assert x.dtype == np.float16 and x.data.max() < 1.0
    y = tg.Tensor(np.zeros(100_000, np.float16))
    nn.init.uniform_(y, -0.1, 0.1, rng=0)
    assert float(y.data.max()) < 0.1 and float(y.data.min()) >= np.float16(-0.1)
    w = nn.Linear(1, 200_000, dtype=np.float16, rng=0).weight.data
    assert float(w.max()) < 1.0 and float(w.min()) >= -1.0
    with pytest.raises(ValueError, match="normal_: std must be a number >= 0, got nan"):
        nn.init.normal_(tg.Tensor(np.zeros(3)), 0.0, float("nan"))


def test_layer_norm_over_an_empty_shape_as_torch() -> None:
    # (normalized_shape 0 was refused; torch and F.layer_norm take it)
    x = tg.zeros((2, 0), requires_grad=True)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's mean of an empty axis)
        y = nn.LayerNorm(0)(x)
        y.sum().backward()
    assert y.shape == (2, 0) and x.grad.shape == (2, 0)
    assert nn.LayerNorm((2, 0)).normalized_shape == (2, 0)


def test_dropout_p_and_batch_norm_momentum_must_be_numbers() -> None:
    # (Dropout('0.5') stored 0.5 and F.dropout raised NumPy's UFuncTypeError; a string
    # momentum failed at the first forward, as an operand error)
    for make in (lambda: nn.Dropout("0.5"), lambda: F.dropout(tg.ones(3), "0.5")):
        with pytest.raises(TypeError, match=r"ropout: p must be a number, got '0.5'"):
            make()
    with pytest.raises(TypeError, match="p must be a number, got True"):
        nn.Dropout(True)
    with pytest.raises(ValueError, match=r"probability in \[0, 1\]"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="BatchNorm1d: momentum must be a number or None"):
        nn.BatchNorm1d(3, momentum="a")
    assert nn.Dropout(np.float32(0.25)).p == 0.25
    assert nn.BatchNorm1d(3, momentum=None).momentum is None


def test_init_refuses_values_the_tensor_cannot_hold_as_torch() -> None:
    # (None filled NaN, 1e300 inf in float32, NaN became int64's minimum, a list broadcast,
    # uniform_ truncated its draws into integers)
    from tensorgrad.nn import init

    w = tg.ones(3, dtype=np.float32)
    ints = tg.tensor(np.zeros(2, np.int64))
    cases = [
        (lambda: init.constant_(w, None), TypeError, "val must be a number"),
        (lambda: init.constant_(w, [1.0, 2.0, 3.0]), TypeError, "val must be a number"),
        (lambda: init.constant_(w, 1e300), ValueError, "cannot be held by .* float32"),
        (lambda: init.constant_(ints, np.nan), ValueError, "cannot be held by .* int64"),
        (lambda: init.uniform_(w, -1e300, 1e300), ValueError, "a=-1e\\+300 cannot be held"),
        (lambda: init.uniform_(ints), TypeError, "expected a floating-point tensor"),
        (lambda: init.uniform_(w, 1.0, 0.0), ValueError, "expects a <= b"),
        (lambda: init.normal_(ints), TypeError, "expected a floating-point tensor"),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()
    np.testing.assert_array_equal(w.data, 1.0)  # (nothing written)
    np.testing.assert_array_equal(init.constant_(w, np.inf).data, np.inf)
    half = tg.tensor(np.zeros(3, np.float16))  # (a mean past the range fills inf, as torch)
    np.testing.assert_array_equal(init.normal_(half, 1e6).data, np.inf)
    assert init.constant_(tg.tensor(np.zeros(2, bool)), True).data.all()


@pytest.mark.parametrize(
    "layer",
    [
        nn.Linear(3, 2),
        nn.Conv2d(3, 2, 1),
        nn.BatchNorm1d(3),
        nn.BatchNorm2d(3),
        nn.LayerNorm(3),
        nn.MaxPool2d(2),
        nn.AvgPool2d(2),
        nn.Flatten(),
    ],
    ids=lambda m: type(m).__name__,
)
def test_bad_input_data_is_named_by_the_layer(layer) -> None:
    # (was "data: tensors hold ...", or for Linear a shape error for a string read as 0-d)
    name = type(layer).__name__
    with pytest.raises(TypeError, match=f"{name}: input holds str"):
        layer("x")
    with pytest.raises(TypeError, match=f"{name}: input holds dtype complex128"):
        layer(np.ones((2, 3, 2, 2)) * 1j)


def test_embedding_padding_idx_is_an_int_and_empty_tables_are_built() -> None:
    # (1.0 reached NumPy's indexing error, '1' a bare comparison TypeError, True was row 1;
    # a 0-d Tensor is taken, and tables with 0 rows or 0 columns are built, as torch's)
    for bad in (1.0, "1", True):
        with pytest.raises(TypeError, match="Embedding: padding_idx must be an int"):
            nn.Embedding(3, 2, padding_idx=bad)
    assert nn.Embedding(3, 2, padding_idx=tg.tensor(2)).padding_idx == 2
    assert nn.Embedding(3, 0)(np.array([1, 2])).shape == (2, 0)
    assert nn.Embedding(0, 2)(np.zeros(0, np.int64)).shape == (0, 2)


def test_bool_arguments_are_refused_where_torch_refuses_them():
    # (True as linear's bias added 1, pos_weight=False weighted by 0, Flatten(True) flattened
    # from dim 1; a bool weight is a mask, as torch's)
    x, w = tg.ones((2, 3)), tg.ones((4, 3))
    for bias in (True, np.array([True, False, True, False]), tg.tensor([True, False, True, False])):
        with pytest.raises(TypeError, match="linear: bias must be numeric"):
            F.linear(x, w, bias)
    np.testing.assert_array_equal(F.linear(x, w, 1.0).data, np.full((2, 4), 4.0))
    logits, target = tg.tensor([2.0, -1.0, 0.5]), tg.tensor([1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="pos_weight must be numeric"):
        F.binary_cross_entropy_with_logits(logits, target, pos_weight=np.array(False))
    mask = np.array([True, False, True])
    for loss in (F.binary_cross_entropy_with_logits, F.mse_loss):
        got = loss(logits, target, weight=mask).item()
        assert got == loss(logits, target, weight=mask.astype(float)).item()
    with pytest.raises(TypeError, match="start_dim must be an int"):
        nn.Flatten(start_dim=True)
    for dim in (np.int64(0), tg.tensor(0)):
        assert nn.Flatten(dim)(tg.ones((2, 3))).shape == (6,)


def test_layers_too_large_to_allocate_are_named() -> None:
    # (NumPy's bare "Maximum allowed dimension exceeded")
    for make, match in [
        (lambda: nn.Linear(10**20, 2), r"Linear: shape \(2, 100000000000000000000\) is too large"),
        (lambda: nn.Conv2d(10**20, 2, 3), "Conv2d: shape .* is too large to allocate"),
        (lambda: nn.Embedding(10**20, 2), "Embedding: shape .* is too large to allocate"),
        (lambda: nn.BatchNorm1d(10**20), r"BatchNorm1d: shape \(100000000000000000000,\) is"),
        (lambda: nn.BatchNorm1d(10**20, affine=False), "BatchNorm1d: shape .* is too large"),
        (lambda: nn.LayerNorm(10**20), "LayerNorm: shape .* is too large to allocate"),
        (lambda: nn.Conv2d(3, 4, 10**20), "Conv2d: kernel_size 100000000000000000000 is past"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()


def test_softplus_takes_a_list_and_init_fills_name_themselves() -> None:
    # (softplus compared the list with its threshold: Python's own TypeError; zeros_ and ones_
    # were reported as constant_)
    np.testing.assert_allclose(F.softplus([1.0, 30.0]).data, [np.log1p(np.e), 30.0])
    with pytest.raises(TypeError, match="softplus: argument 0 holds list data"):
        F.softplus(["a"])
    for fill in (nn.init.zeros_, nn.init.ones_):
        with pytest.raises(TypeError, match=f"{fill.__name__}: expected a Tensor, got float"):
            fill(1.5)


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv1d_is_conv2d_one_row_high(padding_mode: str) -> None:
    rng = np.random.default_rng(0)
    conv = nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2, padding_mode=padding_mode, rng=0)
    assert conv.weight.shape == (6, 2, 3) and conv.kernel_size == (3,)
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert repr(conv) == (
        "Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=(2,), dilation=(2,), groups=2"
        + ("" if padding_mode == "zeros" else f", padding_mode={padding_mode}")
        + ")"
    )
    x = rng.normal(size=(2, 4, 7))
    numpy_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}.get(
        padding_mode, "wrap"
    )
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2)), mode=numpy_mode)
    two_d = F.conv2d(
        padded[:, :, None, :], conv.weight.data[:, :, None, :], conv.bias.data, dilation=(1, 2),
        groups=2,
    )  # fmt: skip
    np.testing.assert_allclose(conv(x).data, two_d.data[:, :, 0, :], rtol=1e-6)
    assert conv(x[0]).shape == (6, 7)  # (unbatched)
    bound = 1 / math.sqrt(2 * 3)  # (fan_in: in_channels / groups * k)
    assert np.abs(conv.bias.data).max() <= bound
    with pytest.raises(ValueError, match=r"Conv1d\(4, 6.*expected input of shape \(N, 4, L\)"):
        conv(np.ones((2, 3, 7)))
    with pytest.raises(TypeError, match="Conv1d: kernel_size must be an int"):
        nn.Conv1d(1, 1, (2, 2))


def test_pools_1d_are_the_2d_ones_one_row_high() -> None:
    x = np.random.default_rng(0).normal(size=(2, 3, 9))
    rows = x[:, :, None, :]
    out, idx = F.max_pool1d(x, 3, 2, 1, return_indices=True, ceil_mode=True)
    want, want_idx = F.max_pool2d(rows, (1, 3), (1, 2), (0, 1), return_indices=True, ceil_mode=True)
    np.testing.assert_array_equal(out.data, want.data[:, :, 0])
    np.testing.assert_array_equal(idx.data, want_idx.data[:, :, 0])  # (indices along L)
    got = F.avg_pool1d(x, 3, 2, 1, count_include_pad=False)
    want = F.avg_pool2d(rows, (1, 3), (1, 2), (0, 1), count_include_pad=False)
    np.testing.assert_array_equal(got.data, want.data[:, :, 0])
    assert repr(nn.MaxPool1d(2)) == (
        "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    np.testing.assert_array_equal(nn.AvgPool1d(3, 2, 1)(x).data, F.avg_pool1d(x, 3, 2, 1).data)
    assert nn.MaxPool1d(2)(x[0]).shape == (3, 4)
    with pytest.raises(ValueError, match=r"MaxPool1d\(.*expected input of shape \(N, C, L\)"):
        nn.MaxPool1d(2)(np.ones((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="max_pool1d: padding 2 must be at most half"):
        F.max_pool1d(x, 2, padding=2)
    with pytest.raises(TypeError, match="avg_pool1d: kernel_size must be an int"):
        F.avg_pool1d(x, (2, 2))


def test_conv_and_pool_sizes_pinned_by_a_mutation_run() -> None:
    x = np.arange(12.0).reshape(1, 2, 6)
    for call in (
        lambda: F.max_pool1d(x, True),
        lambda: F.max_pool2d(x[None], True),
        lambda: F.conv1d(x, np.ones((1, 2, 2)), stride=True),
        lambda: nn.MaxPool1d(True),
        lambda: nn.AvgPool1d(2, padding=False),
    ):
        with pytest.raises(TypeError, match="must be an int"):  # (a bool is no size, as torch)
            call()
    with pytest.raises(ValueError, match="conv1d: padding='same' .* got stride 2$"):
        F.conv1d(x, np.ones((1, 2, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="max_pool1d: padding 2 must be at most half .* 3"):
        F.max_pool1d(x, 3, 1, 2)  # (an odd kernel: half of 3 is 1)
    with pytest.raises(ValueError, match=r"max_pool1d: kernel 9 \(dilation 1\) is larger"):
        F.max_pool1d(x, 9)
    with pytest.raises(ValueError, match=r"max_pool1d: kernel 3 \(dilation 3\) is larger"):
        F.max_pool1d(x, 3, dilation=3)
    with pytest.raises(ValueError, match="avg_pool1d: kernel 9 is larger than the input 6"):
        F.avg_pool1d(x, 9)
    with pytest.raises(TypeError, match="avg_pool1d: count_include_pad"):
        F.avg_pool1d(x, 2, count_include_pad=1)
    # torch's ceil rule: one window over a single entry and the padding after it
    np.testing.assert_array_equal(F.avg_pool1d(np.ones((1, 1, 1)), 2, 2, 0, True).data, [[[1.0]]])
    assert F.max_pool1d(np.zeros((2, 0, 5)), 2).shape == (2, 0, 2)  # (as the 2-D pools)
    assert repr(nn.MaxPool1d((3,), (2,), (1,))) == (
        "MaxPool1d(kernel_size=(3,), stride=(2,), padding=(1,), dilation=1, ceil_mode=False)"
    )
    assert repr(nn.Conv1d(2, 3, 2)) == "Conv1d(2, 3, kernel_size=(2,), stride=(1,))"
    assert nn.MaxPool1d(4, 3, ceil_mode=True)(x).shape == (1, 2, 2)  # (ceil_mode passed on)
    edges = nn.AvgPool1d(3, 1, 1, count_include_pad=False)(x).data[0, 0, [0, -1]]
    np.testing.assert_allclose(edges, [0.5, 4.5])  # (count_include_pad passed on)


@pytest.mark.parametrize(
    "name, shape",
    [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm1d", (4, 6)),
     ("InstanceNorm2d", (3, 4, 3, 2)), ("InstanceNorm2d", (4, 3, 2))],
)  # fmt: skip
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"affine": True}, {"track_running_stats": True},
     {"affine": True, "track_running_stats": True, "momentum": None}],
)  # fmt: skip
def test_instance_norm_layers_as_torchs(name, shape, kwargs) -> None:
    """Values, reprs, state dict keys and running statistics (training twice, then evaluation)
    as torch 2.13's layers, batched and unbatched."""
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(4, dtype=np.float64, **kwargs)
    theirs = getattr(torch.nn, name)(4, dtype=torch.float64, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(3).standard_normal(shape)
    for training in (True, True, False):
        ours.train(training)
        theirs.train(training)
        got, want = ours(x).data, theirs(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
        for key, value in ours.state_dict().items():
            np.testing.assert_allclose(value.data, theirs.state_dict()[key].numpy(), atol=1e-15)


def test_instance_norm_layer_checks_its_input() -> None:
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(.*expected 3-D \(unbatched\) or 4-D"):
        nn.InstanceNorm2d(3)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(.*expected input with 3 channels"):
        nn.InstanceNorm1d(3, affine=True)(np.ones((2, 4, 5)))
    with pytest.warns(UserWarning, match="do not match num_features"):  # (as torch's)
        assert nn.InstanceNorm1d(3)(np.ones((2, 4, 5))).shape == (2, 4, 5)


_THIN_LAYERS = [
    ("ZeroPad2d", (1,), (2, 3, 4)),
    ("ZeroPad2d", ((1, 2, 0, 3),), (1, 2, 3, 4)),
    ("ZeroPad2d", ((-1, 2, 0, -1),), (1, 2, 3, 4)),  # (negative: a crop, as torch)
    ("ConstantPad1d", (2, 3.5), (2, 3, 4)),
    ("ConstantPad2d", ((1, 0, 2, 0), 1.0), (3, 4)),
    ("ReflectionPad1d", (1,), (2, 3)),
    ("ReflectionPad2d", ((1, 1, 2, 0),), (1, 2, 3, 4)),
    ("ReplicationPad1d", ((2, 1),), (1, 2, 3)),
    ("ReplicationPad2d", (1,), (2, 3, 4)),
    ("PixelShuffle", (2,), (1, 8, 2, 3)),
    ("PixelShuffle", (3,), (2, 1, 9, 2, 1)),
    ("PixelUnshuffle", (2,), (1, 2, 4, 6)),
    ("PixelUnshuffle", (3,), (2, 3, 3)),
]


@pytest.mark.parametrize("name, args, shape", _THIN_LAYERS)
def test_padding_and_pixel_shuffle_layers_as_torchs(name, args, shape) -> None:
    """Values, gradients (of a random cotangent) and reprs those of torch 2.13's layers."""
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    xt, tx = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(tx)
    np.testing.assert_array_equal(y.data, ty.detach().numpy())
    v = rng.standard_normal(y.shape)
    y.backward(v)
    ty.backward(torch.tensor(v))
    np.testing.assert_allclose(xt.grad.data, tx.grad.numpy(), rtol=0, atol=1e-15)


def test_padding_layers_check_their_arguments_and_input() -> None:
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or a tuple of 4"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(TypeError, match=r"ConstantPad1d: padding must be an int or a tuple"):
        nn.ConstantPad1d(1.5, 0.0)
    with pytest.raises(ValueError, match=r"ReflectionPad2d\(.*expected 3-D \(unbatched\) or 4-D"):
        nn.ReflectionPad2d(1)(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"pad: mode='reflect' pads \(2, 2\) along axis 1"):
        nn.ReflectionPad1d(2)(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"pixel_shuffle: the channels of the input of shape"):
        nn.PixelShuffle(2)(np.ones((1, 6, 2, 2)))
    with pytest.raises(ValueError, match=r"pixel_unshuffle: the height and width"):
        nn.PixelUnshuffle(2)(np.ones((1, 1, 3, 2)))
    with pytest.raises(ValueError, match=r"pixel_shuffle: expects a positive upscale_factor"):
        F.pixel_shuffle(np.ones((1, 4, 2, 2)), 0)
    with pytest.raises(ValueError, match=r"pixel_shuffle: expects input of at least 3 dim"):
        F.pixel_shuffle(np.ones((4, 2)), 2)


@pytest.mark.parametrize(
    "fn, shape, lead",
    [(F.dropout1d, (40, 30, 5), 2), (F.dropout1d, (300, 6), 1), (F.dropout2d, (20, 30, 3, 2), 2)],
)
def test_channel_dropout_zeroes_whole_channels(fn, shape, lead) -> None:
    """One draw per (sample, channel) (per channel for unbatched dropout1d): a kept channel
    scaled by 1 / (1 - p) throughout, about p of them zero; eval mode and p=0 the identity."""
    x = tg.tensor(np.ones(shape))
    y = fn(x, 0.25, rng=np.random.default_rng(4)).data
    per_channel = y.reshape(shape[:lead] + (-1,))
    assert (per_channel == per_channel[..., :1]).all()
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    dropped = per_channel[..., 0] == 0
    assert abs(dropped.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / dropped.size)  # (4 sigma)
    assert fn(x, 0.25, training=False) is x and fn(x, 0.0) is x
    again = fn(x, 0.25, rng=np.random.default_rng(4)).data
    np.testing.assert_array_equal(y, again)  # (seeded: reproducible)


def test_channel_dropout_layers_and_checks() -> None:
    torch = pytest.importorskip("torch")
    for name in ("Dropout1d", "Dropout2d"):
        assert repr(getattr(nn, name)(0.2)) == repr(getattr(torch.nn, name)(0.2))
    layer = nn.Dropout2d(0.5, rng=0)
    x = tg.tensor(np.ones((2, 3, 2, 2)))
    assert layer(x).shape == x.shape
    assert layer.eval()(x) is x
    with pytest.raises(ValueError, match=r"dropout1d: expected 2-D or 3-D input, got shape"):
        F.dropout1d(np.ones((2, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"dropout2d: expected 3-D or 4-D input, got shape"):
        F.dropout2d(np.ones((2, 2)))
    with pytest.warns(UserWarning, match="dropout2d: received a 3-D input, read as"):
        y = F.dropout2d(np.ones((3, 4, 5)), 0.5, rng=1).data  # (channel-wise 1-D, as torch)
    assert (y == y[..., :1]).all()


def test_cosine_similarity_layer_as_torchs() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
    ours, theirs = nn.CosineSimilarity(dim=1, eps=1e-6), torch.nn.CosineSimilarity(1, 1e-6)
    assert repr(ours) == repr(theirs) == "CosineSimilarity()"
    want = theirs(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ours(a, b).data, want, rtol=0, atol=1e-15)
