"""interpolate / Upsample, group_norm / GroupNorm, Unflatten, NLLLoss and the rest of torch's
activations: torch's indices, weights and slopes at the kinks (values hard-coded from torch
2.13), the modules' reprs, parameters and state_dict keys as torch's. Gradients against finite
differences live in the op registry (tests/nn_op_specs.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.nn import functional as F
from tensorgrad.ops.resample import fma


def _grad(f, x, *rest):
    leaves = [tg.tensor(np.asarray(a, np.float64), requires_grad=True) for a in (x, *rest)]
    return [g.data for g in tg.autograd.grad(f(*leaves).sum(), leaves)]


# ----------------------------------------------------------------------------- interpolate


def test_nearest_indices_are_torchs_in_each_kernel():
    """(N, C, L): the scale 1 / scale_factor even where the sizes agree; (N, C, H, W): the
    identity there (torch's two kernels)."""
    x = np.arange(6.0)
    got = F.interpolate(x.reshape(1, 1, 6), scale_factor=1.1).data.ravel()
    assert got.tolist() == [0, 0, 1, 2, 3, 4]
    got = F.interpolate(x.reshape(1, 1, 1, 6), scale_factor=(1.0, 1.1)).data.ravel()
    assert got.tolist() == [0, 1, 2, 3, 4, 5]
    got = F.interpolate(x.reshape(1, 1, 6, 1), scale_factor=(1.1, 2.0)).data.ravel()
    assert got.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # nearest-exact: the source index 23.5 * (2 / 47) - 0.5 fused, then + 0.5: 1, not 0
    got = F.interpolate(
        np.arange(2, dtype=np.float32).reshape(1, 1, 2), size=47, mode="nearest-exact"
    )
    assert got.data.ravel()[23] == 1 and got.dtype == np.float32


@pytest.mark.parametrize(
    ("dtype", "n_in", "n_out", "j", "weights"),
    [
        (np.float32, 2, 5, 1, [0.8999999761581421, 0.10000000894069672]),  # (unfused: 0.10000002)
        (np.float64, 2, 3, 1, [0.5, 0.49999999999999994]),  # (unfused: 0.5)
    ],
)
def test_linear_weights_are_torchs_fused_source_index(dtype, n_in, n_out, j, weights):
    eye = np.eye(n_in, dtype=dtype).reshape(n_in, 1, n_in)
    got = F.interpolate(eye, size=n_out, mode="linear").data[:, 0, j]
    assert got.tolist() == weights


def test_fma_is_rounded_once():
    # 1 + 2**-30 squared is 1 + 2**-29 + 2**-60: the last term is lost in two roundings
    a = np.float64(1 + 2.0**-30)
    assert fma(a, a, -(1 + 2.0**-29), np.float64) == 2.0**-60
    b = np.float32(1 + 2.0**-12)
    assert fma(b, b, np.float32(-(1 + 2.0**-11)), np.float32) == np.float32(2.0**-24)


def test_bilinear_align_corners_and_scale_handling():
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    got = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True).data[0, 0]
    np.testing.assert_array_equal(got, [[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]])
    # scale_factor 1.7 on 5: floor(8.5) = 8 outputs, the scale 1 / 1.7 (torch's), or 5 / 8
    # recomputed (torch 2.13's values)
    x = np.arange(5.0).reshape(1, 1, 5)
    given = F.interpolate(x, scale_factor=1.7, mode="linear").data.ravel()
    recomputed = F.interpolate(x, scale_factor=1.7, mode="linear", recompute_scale_factor=True)
    assert given.tolist() == [0.0, 0.3823529411764706, 0.9705882352941178, 1.5588235294117647,
                              2.1470588235294117, 2.735294117647059, 3.323529411764706,
                              3.9117647058823533]  # fmt: skip
    assert recomputed.data.ravel().tolist() == [0.0, 0.4375, 1.0625, 1.6875, 2.3125, 2.9375,
                                                3.5625, 4.0]  # fmt: skip
    x = np.arange(4.0).reshape(1, 1, 4)  # (1.5 on 4: the source index 1.5 / 1.5 - 0.5 fused)
    assert F.interpolate(x, scale_factor=1.5, mode="linear").data.ravel().tolist() == [
        0.0, 0.49999999999999994, 1.1666666666666665, 1.8333333333333333, 2.5, 3.0
    ]  # fmt: skip


def test_interpolate_gradients_are_the_forwards_adjoint():
    """The gradient is the transpose of the forward's matrix (torch's nearest backward takes
    other indices than its forward in some cases: (1, 1, 2) by 1.1, for one)."""
    for kwargs in (
        {"scale_factor": 1.1},
        {"size": 7, "mode": "nearest-exact"},
        {"size": 5, "mode": "linear", "align_corners": True},
    ):
        n = 4
        eye = np.eye(n).reshape(n, 1, n)
        matrix = F.interpolate(eye, **kwargs).data[:, 0, :]
        g = np.cos(np.arange(matrix.shape[1]))
        (grad,) = _grad(lambda t, kw=kwargs, g=g: F.interpolate(t, **kw) * g, np.zeros((1, 1, n)))
        np.testing.assert_allclose(grad.ravel(), matrix @ g, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize(
    ("shape", "size", "mode"),
    [
        ((2, 3, 5, 4), (9, 7), "bilinear"),
        ((2, 3, 6), 4, "linear"),
        ((1, 2, 3, 3), (3, 8), "bilinear"),
    ],
)
def test_interpolate_dense_products_are_the_gathers_and_scatters(
    monkeypatch, shape, size, mode, align
):
    """Both ways through ``Lerp`` (the interpolation matrix's products, or with the size bound
    at 0 the gathers and scatters) agree to rounding, in float32 and float64."""
    from tensorgrad.ops import resample

    rng = np.random.default_rng(2)
    for dtype, tol in ((np.float64, 1e-14), (np.float32, 3e-7)):
        x = rng.standard_normal(shape).astype(dtype)
        results = []
        for bound in (resample._DENSE_MAX, 0):
            monkeypatch.setattr(resample, "_DENSE_MAX", bound)
            t = tg.tensor(x, requires_grad=True)
            y = F.interpolate(t, size=size, mode=mode, align_corners=align)
            delta = np.cos(np.arange(y.size)).reshape(y.shape).astype(dtype)
            (g,) = tg.autograd.grad(y, [t], delta)
            assert y.dtype == g.dtype == dtype
            results.append((y.data, g.data))
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_interpolate_keeps_an_inf_or_nan_local_as_torch():
    """A product with the dense matrix would spread an inf or NaN along its whole line (0 * inf
    is NaN): such input and such gradients take the gathers and scatters."""
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    x[0, 0, 1, 2] = np.inf
    t = tg.tensor(x, requires_grad=True)
    y = F.interpolate(t, size=(8, 10), mode="bilinear")
    bad = ~np.isfinite(y.data[0, 0])
    assert 0 < bad.sum() <= 20  # (of 8 x 10 outputs: only those next to the inf)
    assert np.isfinite(y.data[0, 0, :, 0]).all() and np.isfinite(y.data[0, 0, 6:]).all()
    delta = np.ones(y.shape)
    delta[0, 0, 0, 0] = np.nan
    (g,) = tg.autograd.grad(y, [t], delta)
    # (output (0, 0) reads inputs 0 and 1 of each axis, one of them with weight 0)
    assert np.isnan(g.data[0, 0, :2, :2]).all() and np.isnan(g.data).sum() == 4
    torch = pytest.importorskip("torch")
    tt = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.interpolate(tt, size=(8, 10), mode="bilinear")
    np.testing.assert_array_equal(np.isfinite(y.data), np.isfinite(ty.detach().numpy()))
    (tgrad,) = torch.autograd.grad(ty, [tt], torch.tensor(delta))
    np.testing.assert_array_equal(np.isnan(g.data), np.isnan(tgrad.numpy()))


def test_interpolate_refusals_are_torchs():
    x = tg.zeros((1, 1, 4))
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, size=3, align_corners=False)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2.0)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="antialias"):
        F.interpolate(tg.zeros((1, 1, 4, 4)), size=3, mode="bilinear", antialias=True)
    with pytest.raises(ValueError, match=r"'bilinear' needs \(N, C, H, W\)"):
        F.interpolate(x, size=3, mode="bilinear")
    with pytest.raises(ValueError, match="not meaningful"):
        F.interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="positive"):
        F.interpolate(x, scale_factor=0.2)
    with pytest.raises(ValueError, match="one entry per spatial"):
        F.interpolate(x, size=(3, 3))
    with pytest.raises(TypeError, match="size must be ints"):
        F.interpolate(x, size=2.5)
    with pytest.raises(ValueError, match="not supported"):
        F.interpolate(x, size=2, mode="area")


def test_interpolate_dtypes():
    ints = np.arange(6).reshape(1, 2, 3)
    assert F.interpolate(ints, size=5).dtype == ints.dtype  # (a gather)
    assert F.interpolate(ints, size=5, mode="linear").dtype == np.float64
    half = F.interpolate(np.ones((1, 1, 3, 3), np.float16), size=(4, 5), mode="bilinear")
    assert half.dtype == np.float16 and np.all(half.data == 1)


# ----------------------------------------------------------------------------- group norm


def test_group_norm_values_and_refusals():
    x = np.arange(16.0).reshape(1, 4, 2, 2) ** 1.5
    w, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 0.0, -0.5, 1.0])
    got = F.group_norm(x, 2, w, b, eps=1e-3).data
    g = x.reshape(1, 2, -1)
    want = (g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-3)
    want = want.reshape(x.shape) * w[:, None, None] + b[:, None, None]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        F.group_norm(np.ones((2, 3)), 2)
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.group_norm(np.ones((2, 4, 3)), 2, np.ones(3))
    with pytest.raises(ValueError, match=r"\(N, C, \.\.\.\)"):
        F.group_norm(np.ones(4), 1)
    assert F.group_norm(np.ones((0, 4, 3)), 2).shape == (0, 4, 3)


def test_group_norm_module_is_torchs():
    m = nn.GroupNorm(2, 4)
    assert repr(m) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(m.state_dict()) == ["weight", "bias"]
    assert m.weight.dtype == np.float32 and m.weight.shape == (4,)
    assert np.all(m.weight.data == 1) and np.all(m.bias.data == 0)
    plain = nn.GroupNorm(2, 4, affine=False)
    assert repr(plain) == "GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)"
    assert list(plain.state_dict()) == [] and list(plain.parameters()) == []
    x = tg.randn(3, 4, 5)
    np.testing.assert_allclose(m(x).data, F.group_norm(x, 2).data, rtol=1e-6)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(2, 3)
    with pytest.raises(ValueError, match="GroupNorm"):
        m(tg.randn(3, 6, 5))


# ----------------------------------------------------------------------------- modules


def test_module_reprs_and_state_are_torchs():
    cases = {
        nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)",
        nn.ReLU6(): "ReLU6()",
        nn.ReLU6(inplace=True): "ReLU6(inplace=True)",
        nn.Softsign(): "Softsign()",
        nn.Mish(): "Mish()",
        nn.GLU(): "GLU(dim=-1)",
        nn.PReLU(): "PReLU(num_parameters=1)",
        nn.Hardsigmoid(): "Hardsigmoid()",
        nn.Hardswish(): "Hardswish()",
        nn.SELU(): "SELU()",
        nn.CELU(2.0): "CELU(alpha=2.0)",
        nn.Softmin(): "Softmin(dim=None)",
        nn.NLLLoss(): "NLLLoss()",
        nn.Unflatten(1, (2, 5)): "Unflatten(dim=1, unflattened_size=(2, 5))",
        nn.Upsample(scale_factor=2): "Upsample(scale_factor=2.0, mode='nearest')",
        nn.Upsample(size=3, mode="linear"): "Upsample(size=3, mode='linear')",
        nn.Upsample(scale_factor=(2, 1.5), mode="bilinear", align_corners=True): (
            "Upsample(scale_factor=(2.0, 1.5), mode='bilinear')"
        ),
    }
    for module, text in cases.items():
        assert repr(module) == text
        if not isinstance(module, nn.PReLU):
            assert list(module.state_dict()) == [] and list(module.parameters()) == []


def test_prelu_module():
    m = nn.PReLU(3, init=0.1)
    assert list(m.state_dict()) == ["weight"]
    assert m.weight.shape == (3,) and m.weight.dtype == np.float32
    assert np.all(m.weight.data == np.float32(0.1))
    x = tg.tensor(np.array([[-1.0, 2.0, -3.0]], np.float32))
    y = m(x)
    y.sum().backward()
    np.testing.assert_allclose(y.data, [[-0.1, 2.0, -0.3]], rtol=1e-6)
    np.testing.assert_array_equal(m.weight.grad.data, [-1.0, 0.0, -3.0])


def test_unflatten_upsample_and_nll_loss_modules():
    x = tg.randn(3, 12)
    assert nn.Unflatten(1, (2, -1, 3))(x).shape == (3, 2, 2, 3)
    assert nn.Unflatten(-1, [3, 4])(x).shape == (3, 3, 4)
    with pytest.raises(ValueError, match="Unflatten"):
        nn.Unflatten(1, (5, -1))(x)
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 4)
    img = tg.randn(2, 3, 4, 4)
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    np.testing.assert_array_equal(
        up(img).data, F.interpolate(img, scale_factor=2.0, mode="bilinear").data
    )
    logp = F.log_softmax(tg.randn(4, 3), dim=1)
    target = np.array([0, 2, 1, 2])
    weight = np.array([1.0, 2.0, 0.5], np.float32)
    loss = nn.NLLLoss(weight=weight, ignore_index=1)
    assert list(loss.state_dict()) == ["weight"]
    want = F.nll_loss(logp, target, weight=tg.tensor(weight), ignore_index=1)
    np.testing.assert_array_equal(loss(logp, target).data, want.data)


# ----------------------------------------------------------------------------- kinks


NAN = float("nan")


@pytest.mark.parametrize(
    ("f", "points", "slopes"),
    [  # torch 2.13's slopes at these points
        (F.hardtanh, [-1.0, 1.0, 0.0, NAN, 2.0], [0.0, 0.0, 1.0, 1.0, 0.0]),
        (F.relu6, [0.0, 6.0, 3.0, NAN], [0.0, 0.0, 1.0, 1.0]),
        (F.hardsigmoid, [-3.0, 3.0, 0.0, NAN, 4.0], [0.0, 0.0, 1 / 6, 0.0, 0.0]),
        (F.hardswish, [-3.0, 3.0, 0.0, NAN, 4.0, -4.0], [0.0, 1.0, 0.5, 1.0, 1.0, 0.0]),
        (F.softsign, [0.0, 1.0], [1.0, 0.25]),
        (F.selu, [0.0, 1.0], [1.7580993408473766, 1.0507009873554805]),
        (lambda t: F.celu(t, 2.0), [0.0, 1.0], [1.0, 1.0]),
        (lambda t: F.celu(t, -2.0), [0.0, 1.0, -1.0], [1.0, 1.0, 1.6487212707001282]),
        (F.mish, [0.0], [0.6]),
    ],
)
def test_slopes_at_the_kinks_are_torchs(f, points, slopes):
    (g,) = _grad(f, np.array(points))
    np.testing.assert_allclose(g, slopes, rtol=1e-15, atol=0)


def test_second_derivatives_at_the_kinks_are_torchs():
    """torch: 0 at 0 for selu and celu (the right side, its first derivative the left's), and
    prelu's mixed second derivative 0 at 0; hardswish 1/3 strictly inside (-3, 3) only."""
    x0 = np.array([0.0, -1.0])
    for f, want in (
        (F.selu, [0.0, 0.646768603034814]),
        (lambda t: F.celu(t, 2.0), [0.0, 0.3032653298563167]),
    ):
        x = tg.tensor(x0, requires_grad=True)
        (g,) = tg.autograd.grad(f(x).sum(), x, create_graph=True)
        (h,) = tg.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(h.data, want, rtol=1e-14)
    x = tg.tensor(np.array([0.0, -3.0, 3.0, 6.0]), requires_grad=True)
    w = tg.tensor(np.array([0.25]), requires_grad=True)
    gx, gw = tg.autograd.grad(F.prelu(x, w).sum(), (x, w), create_graph=True)
    np.testing.assert_array_equal(gx.data, [0.25, 0.25, 1.0, 1.0])
    (hx,) = tg.autograd.grad(gw.sum(), x)
    np.testing.assert_array_equal(hx.data, [0.0, 1.0, 0.0, 0.0])
    x = tg.tensor(np.array([-3.0, 3.0, 0.0]), requires_grad=True)
    (g,) = tg.autograd.grad(F.hardswish(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, [0.0, 0.0, 1 / 3], rtol=1e-15)


def test_activation_values_and_refusals():
    assert F.hardswish(np.array([-3.0])).data[0] == 0 and np.signbit(
        F.hardswish(np.array([-3.0])).data[0]
    )  # (-3 * 0 / 6: torch's -0.0)
    np.testing.assert_array_equal(
        F.prelu(np.array([np.inf, -2.0]), np.array([0.0])).data, [np.inf, -0.0]
    )
    np.testing.assert_allclose(
        F.softmin(np.array([[1.0, 2.0], [3.0, 4.0]]), dim=1).data,
        [[0.7310585786300049, 0.2689414213699951]] * 2,
        rtol=1e-15,
    )
    np.testing.assert_allclose(
        F.glu(np.array([1.0, 2.0, 0.0, 1.0])).data, [0.5, 2 / (1 + np.exp(-1))]
    )
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        F.hardtanh(np.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="alpha cannot be 0"):
        F.celu(np.ones(2), 0.0)
    with pytest.raises(ValueError, match="even size"):
        F.glu(np.ones(3))
    with pytest.raises(ValueError, match="0-d"):
        F.glu(np.array(1.0))
    with pytest.raises(ValueError, match="one per channel"):
        F.prelu(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="one per channel"):
        F.prelu(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="scalar or 1-D"):
        F.prelu(np.ones((2, 3)), np.ones((1, 3)))
