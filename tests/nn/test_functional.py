"""More of torch.nn.functional (silu, leaky_relu, elu, logsigmoid, l1_loss, smooth_l1_loss,
huber_loss, kl_div, normalize, cosine_similarity, one_hot) and their modules: values and slopes
against closed forms, torch's conventions at kinks, NaN and large inputs, dtypes and errors.
Gradients against finite differences live in the op registry (tests/nn_op_specs.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.nn import functional as F

X = np.array([-3.0, -0.5, 0.0, 0.5, 3.0, np.nan])


def _slope(fn, x: np.ndarray, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    t = tg.tensor(x, requires_grad=True)
    y = fn(t, **kwargs)
    (g,) = tg.autograd.grad(y.sum(), [t])
    return y.data, g.data


def test_silu_is_x_times_sigmoid() -> None:
    y, g = _slope(F.silu, X)
    s = 1 / (1 + np.exp(-X))
    np.testing.assert_allclose(y, X * s, rtol=1e-15)
    np.testing.assert_allclose(g, s * (1 + X * (1 - s)), rtol=1e-15)


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
def test_leaky_relu_has_torchs_slope_at_zero_and_nan(slope: float) -> None:
    # (torch's rule: x > 0 ? 1 : negative_slope, so negative_slope at 0 and at NaN)
    y, g = _slope(F.leaky_relu, X, negative_slope=slope)
    np.testing.assert_array_equal(y, np.where(X > 0, X, X * slope))
    np.testing.assert_array_equal(g, np.where(X > 0, 1.0, slope))


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_has_torchs_slope_at_zero_and_no_overflow(alpha: float) -> None:
    x = np.concatenate([X, [800.0, -800.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (e ** 800 in the dropped branch would overflow)
        y, g = _slope(F.elu, x, alpha=alpha)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(y, np.where(x > 0, x, alpha * np.expm1(x)), rtol=1e-15)
        want = np.where(x > 0, 1.0, alpha * np.exp(x))  # (NaN at NaN: torch's vector loops)
        np.testing.assert_allclose(g, want, rtol=1e-15)
    assert g[2] == alpha  # (at 0: alpha * e ** 0, torch's)
    tiny = np.array([-1e-10, -3e-300])  # (e ** x - 1 would be off by 1e-7, or 0)
    np.testing.assert_allclose(F.elu(tiny, alpha=alpha).data, alpha * np.expm1(tiny), rtol=1e-15)


def test_logsigmoid_is_stable_at_any_magnitude() -> None:
    x = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y, g = _slope(F.logsigmoid, x)
    np.testing.assert_allclose(y, np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))), rtol=1e-15)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(g, 1 / (1 + np.exp(x)), rtol=1e-15, atol=1e-300)
    assert y[0] == -1e4 and y[-1] == 0.0


@pytest.mark.parametrize("fn", [F.silu, F.leaky_relu, F.elu, F.logsigmoid])
def test_activations_keep_float32(fn) -> None:
    x = tg.tensor(np.linspace(-2, 2, 5, dtype=np.float32), requires_grad=True)
    y = fn(x)
    (g,) = tg.autograd.grad(y.sum(), [x])
    assert y.dtype == np.float32 and g.dtype == np.float32


def test_l1_loss_reductions_and_slope_zero_where_equal() -> None:
    a, b = np.array([[1.0, -2.0, 3.0]]), np.array([[0.5, -2.0, 4.0]])
    assert F.l1_loss(a, b).item() == pytest.approx(0.5)
    assert F.l1_loss(a, b, reduction="sum").item() == pytest.approx(1.5)
    np.testing.assert_array_equal(F.l1_loss(a, b, reduction="none").data, [[0.5, 0.0, 1.0]])
    _, g = _slope(lambda t: F.l1_loss(t, b, reduction="sum"), a)
    np.testing.assert_array_equal(g, [[1.0, 0.0, -1.0]])  # (torch's sign: 0 at equality)
    with pytest.raises(ValueError, match=r"l1_loss: input shape \(1, 3\) and target shape"):
        F.l1_loss(a, np.zeros(3))
    with pytest.raises(ValueError, match="reduction"):
        F.l1_loss(a, b, reduction="avg")
    assert nn.L1Loss(reduction="sum")(a, b).item() == pytest.approx(1.5)
    with pytest.warns(UserWarning, match="deprecated"):
        assert nn.L1Loss(size_average=False).reduction == "sum"


def test_normalize_divides_by_the_clamped_norm() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(F.normalize(x).data, [[0.6, 0.8], [0, 0], [0.5**0.5, -(0.5**0.5)]])
    np.testing.assert_allclose(F.normalize(x, p=1.0).data[0], [3 / 7, 4 / 7])
    np.testing.assert_allclose(F.normalize(x, dim=0).data[:, 0], [3 / 10**0.5, 0, 1 / 10**0.5])
    # (a zero row: divided by eps, the norm's and the clamp's slopes both 0 there, as torch)
    t = tg.tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(F.normalize(t, eps=0.5)[1].sum(), [t])
    np.testing.assert_array_equal(g.data, [[0, 0], [2.0, 2.0], [0, 0]])
    f32 = F.normalize(tg.tensor(x.astype(np.float32)))
    assert f32.dtype == np.float32
    # (a norm between 0 and eps: divided by eps itself, torch's clamp, not by norm + eps)
    np.testing.assert_allclose(F.normalize(np.array([3e-13, 4e-13]), dim=0).data, [0.3, 0.4])
    # (a 0-d input: its sign, as torch's, for dim 0 or -1)
    t = tg.tensor(-3.0, requires_grad=True)
    assert F.normalize(t, dim=-1).item() == -1.0


def test_cosine_similarity_broadcasts_and_clamps_each_norm() -> None:
    a = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    b = np.array([1.0, 1.0])
    np.testing.assert_allclose(F.cosine_similarity(a, b).data, [0.5**0.5, 1.0, 0.0])
    np.testing.assert_allclose(F.cosine_similarity(a.T, b[:, None], dim=0).data, [0.5**0.5, 1, 0])
    assert F.cosine_similarity(np.ones((2, 3, 4)), np.ones((3, 4)), dim=-1).shape == (2, 3)
    assert F.cosine_similarity(tg.tensor(2.0), tg.tensor(-3.0), dim=0).item() == -1.0
    ints = F.cosine_similarity(np.array([[1, 2]]), np.array([[1.0, 0.0]], np.float32))
    assert ints.dtype == np.float32  # (an integer operand takes the other's float, as torch)


def test_cosine_similarity_below_eps_has_torchs_gradient() -> None:
    # torch raises a norm below eps in place without grad: the value is divided by eps, the
    # gradient still flows through the norm (torch 2.13: [4.33e7, 5.33e7, -6.67e7])
    a, b = np.array([[3e-9, -4e-9, 0.0]]), np.array([[1.0, 2.0, -2.0]])
    x = tg.tensor(a, requires_grad=True)
    (g,) = tg.autograd.grad(F.cosine_similarity(x, b).sum(), [x])
    np.testing.assert_allclose(g.data, [[1.3e8 / 3, 1.6e8 / 3, -2e8 / 3]], rtol=1e-12)


def test_one_hot_as_torch() -> None:
    out = F.one_hot(np.array([[0, 2], [1, 0]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3) and not out.requires_grad
    np.testing.assert_array_equal(out.data[0], [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(tg.tensor([1]), num_classes=4).data.tolist() == [[0, 1, 0, 0]]
    assert F.one_hot(np.zeros(0, np.int64), 3).shape == (0, 3)
    with pytest.raises(ValueError, match="smaller than num_classes=2"):
        F.one_hot(np.array([2]), 2)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(np.array([-1, 0]))
    with pytest.raises(ValueError, match="infer the number of classes"):
        F.one_hot(np.zeros(0, np.int64))
    with pytest.raises(TypeError, match="integer class indices"):
        F.one_hot(np.array([0.0]))


def test_activation_modules() -> None:
    x = np.array([-1.0, 2.0])
    assert nn.LeakyReLU(0.2)(x).data.tolist() == [-0.2, 2.0]
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    np.testing.assert_allclose(nn.ELU(alpha=2.0)(x).data, [2 * np.expm1(-1.0), 2.0])
    np.testing.assert_allclose(nn.SiLU()(x).data, F.silu(x).data)
    np.testing.assert_allclose(nn.LogSigmoid()(x).data, F.logsigmoid(x).data)
    with pytest.raises(TypeError, match="LeakyReLU: negative_slope must be a number"):
        nn.LeakyReLU("0.1")
    with pytest.raises(TypeError, match="elu: alpha must be a number"):
        F.elu(x, alpha=None)


def test_leaky_relu_and_elu_at_the_ends_of_the_range() -> None:
    # (the review of 61f8458: max(x, 0 x) was NaN at inf; 0 * alpha NaN for an infinite alpha;
    # -0.0's sign lost to the sum)
    with np.errstate(invalid="ignore"):
        y = F.leaky_relu(np.array([np.inf, -np.inf, 2.0]), 0.0).data
    assert y[0] == np.inf and y[2] == 2.0
    assert F.leaky_relu(np.array([-np.inf]), 0.5).item() == -np.inf
    for alpha, dtype in (
        (np.inf, np.float64),
        (np.nan, np.float32),
        (1e39, np.float32),
        (1e39, np.float16),
    ):
        x = tg.tensor(np.array([1.0, 3.0], dtype), requires_grad=True)
        with np.errstate(all="ignore"):
            y = F.elu(x, alpha)
            (g,) = tg.autograd.grad(y.sum(), [x])
        np.testing.assert_array_equal(y.data, [1.0, 3.0])
        np.testing.assert_array_equal(g.data, [1.0, 1.0])
    # (torch: x itself at +-0 for any alpha; alpha e ** x's own sign elsewhere)
    for alpha in (1.0, -1.0, 0.0, np.inf, np.nan, 5e-324):
        for x in (np.array([0.0, -0.0]), np.array(-0.0)):
            y = F.elu(x, alpha).data
            np.testing.assert_array_equal(np.signbit(y), np.signbit(x))
            assert not np.isnan(y).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.elu(np.array([-np.inf, -0.6]), 0.0).data
        np.testing.assert_array_equal(np.signbit(y), [True, True])
        assert F.elu(np.array([-0.6]), 5e-324).item() == 0.0  # (alpha expm1(x) underflows)
        assert F.elu(np.array([2.0], np.longdouble), np.inf).item() == 2.0
        assert F.leaky_relu(np.array([np.inf], np.float32), 1e-50).item() == np.inf
    x = tg.tensor(np.array([np.nan, 0.0]), requires_grad=True)
    (g,) = tg.autograd.grad(F.elu(x, 2.0).sum(), [x], create_graph=True)
    assert np.isnan(g.data[0]) and g.data[1] == 2.0  # (NaN at NaN, as the plain slope)


@pytest.mark.parametrize("fn", [F.leaky_relu, F.elu])
def test_float16_leaky_relu_and_elu_round_once_from_float32(fn) -> None:
    # (as torch's opmath: x * slope, and alpha expm1(x), in float32, then rounded)
    x = np.random.default_rng(5).uniform(-4, 4, 4000).astype(np.float16)
    kwargs = {"negative_slope": 0.3} if fn is F.leaky_relu else {"alpha": 0.3}
    want = fn(x.astype(np.float32), **kwargs).data.astype(np.float16)
    np.testing.assert_array_equal(fn(x, **kwargs).data, want)


def test_elu_second_derivative_is_recorded_from_its_slope() -> None:
    # (the create_graph slope: alpha e ** x where x <= 0, so alpha at 0; no e ** x of a large x)
    x = tg.tensor(np.array([-1.0, 0.0, 800.0, 1e4]), requires_grad=True)
    (g,) = tg.autograd.grad(F.elu(x, alpha=2.0).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.data, [2 * np.exp(-1.0), 2.0, 1.0, 1.0], rtol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (h,) = tg.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, [2 * np.exp(-1.0), 2.0, 0.0, 0.0], rtol=1e-15)


def test_cosine_similarity_of_an_overflowing_norm_and_of_mixed_floats() -> None:
    # (the norm's raise to eps was inf - inf = NaN; each norm in its operand's dtype, as torch)
    a = tg.tensor([[1e200, 1e200, 1.0]], requires_grad=True)
    with np.errstate(over="ignore"):
        y = F.cosine_similarity(a, np.array([[1.0, 1.0, 1.0]]))
    assert y.item() == 0.0
    rng = np.random.default_rng(6)
    u, v = rng.standard_normal(3).astype(np.float16), rng.standard_normal(3).astype(np.float32)
    got = F.cosine_similarity(u, v, dim=0)
    unit_u = u / np.float16(tg.norm(tg.tensor(u)).item())
    want = np.sum(unit_u * (v / np.linalg.norm(v)))
    assert got.dtype == np.float32 and got.item() == pytest.approx(float(want), rel=1e-6)


def test_smooth_l1_and_huber_are_torchs_piecewise_formulas() -> None:
    a = np.array([[0.0, 0.25, -1.0, 3.0, 1.0]])
    b = np.zeros_like(a)
    z = np.abs(a)
    for beta in (0.5, 1.0, 2.0):
        y, g = _slope(F.smooth_l1_loss, a, target=b, reduction="none", beta=beta)
        np.testing.assert_allclose(y, np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta))
        np.testing.assert_allclose(g, np.where(z < beta, a / beta, np.sign(a)))  # (0 at 0)
        y, g = _slope(F.huber_loss, a, target=b, reduction="none", delta=beta)
        np.testing.assert_allclose(y, np.where(z < beta, 0.5 * z * z, beta * (z - 0.5 * beta)))
        np.testing.assert_allclose(g, np.where(z < beta, a, beta * np.sign(a)))
    # beta 0 is l1_loss (its slope 0 where equal), as torch
    y, g = _slope(lambda t: F.smooth_l1_loss(t, b, reduction="sum", beta=0), a)
    assert y == pytest.approx(5.25) and np.array_equal(g, np.sign(a))
    assert F.smooth_l1_loss(a, b).item() == pytest.approx(
        np.mean(np.where(z < 1, z * z / 2, z - 0.5))
    )
    w = np.array([[1.0, 2.0, 0.0, 1.0, 1.0]])
    assert F.huber_loss(a, b, reduction="sum", weight=w).item() == pytest.approx(
        0 + 2 * 0.03125 + 0 + 2.5 + 0.5
    )
    assert nn.SmoothL1Loss(beta=0.5)(a, b).item() == pytest.approx(
        F.smooth_l1_loss(a, b, beta=0.5).item()
    )
    assert nn.HuberLoss(reduction="sum", delta=2.0)(a, b).item() == pytest.approx(
        F.huber_loss(a, b, reduction="sum", delta=2.0).item()
    )
    assert repr(nn.HuberLoss(delta=2)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert F.smooth_l1_loss(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32


def test_smooth_l1_and_huber_errors_name_the_argument() -> None:
    a, b = np.zeros((2, 3)), np.ones((2, 3))
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be 0 or more, got -1.0"):
        F.smooth_l1_loss(a, b, beta=-1)
    for delta in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match=r"huber_loss: delta must be positive"):
            F.huber_loss(a, b, delta=delta)
    with pytest.raises(TypeError, match="huber_loss: delta must be a number"):
        F.huber_loss(a, b, delta="1")
    with pytest.raises(ValueError, match=r"smooth_l1_loss: input shape \(2, 3\) and target"):
        F.smooth_l1_loss(a, np.ones(3))
    with pytest.raises(ValueError, match=r"huber_loss: weight shape \(3,\) and input shape"):
        F.huber_loss(a, b, weight=np.ones(3))
    with pytest.raises(ValueError, match="huber_loss: reduction must be"):
        F.huber_loss(a, b, reduction="batchmean")
    with pytest.raises(ValueError, match="SmoothL1Loss: beta must be 0 or more"):
        nn.SmoothL1Loss(beta=-0.5)


def test_kl_div_is_torchs_pointwise_kl_with_zero_targets_at_zero() -> None:
    p = np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    log_q = np.log(np.array([[0.25, 0.25, 0.5], [0.5, 0.25, 0.25]]))
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.where(p > 0, p * (np.log(p) - log_q), 0.0)
    x = tg.tensor(log_q, requires_grad=True)
    t = tg.tensor(p, requires_grad=True)
    out = F.kl_div(x, t, reduction="none")
    np.testing.assert_allclose(out.data, pointwise, rtol=1e-15)
    gx, gt = tg.autograd.grad(out.sum(), [x, t])
    np.testing.assert_array_equal(gx.data, -p)
    with np.errstate(divide="ignore"):
        # (t log t's slope is 0 at a zero target, torch's NaN: only -input's part is left)
        want_t = np.where(p > 0, np.log(p) + 1 - log_q, -log_q)
    np.testing.assert_allclose(gt.data, want_t, rtol=1e-15)
    total = pointwise.sum()
    assert F.kl_div(log_q, p, reduction="batchmean").item() == pytest.approx(total / 2)
    assert F.kl_div(log_q, p, reduction="sum").item() == pytest.approx(total)
    with pytest.warns(UserWarning, match="kl_div: reduction='mean' divides"):
        assert F.kl_div(log_q, p).item() == pytest.approx(total / 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl = nn.KLDivLoss(reduction="batchmean", log_target=True)
        log_p = np.log(p[:1])
        assert kl(log_q[:1], log_p).item() == pytest.approx(pointwise[0].sum())
    assert F.kl_div(np.zeros(()), np.zeros(()), reduction="batchmean").item() == 0.0  # (0-d)
    with pytest.raises(TypeError, match="kl_div: log_target must be a bool"):
        F.kl_div(log_q, p, log_target="yes")
    with pytest.raises(ValueError, match="kl_div: reduction must be 'mean', 'batchmean'"):
        F.kl_div(log_q, p, reduction="batch")
    with pytest.raises(ValueError, match=r"kl_div: input shape \(2, 3\) and target shape"):
        F.kl_div(log_q, p[0])
    assert repr(kl) == "KLDivLoss(reduction='batchmean', log_target=True)"


def test_smooth_l1_and_huber_second_derivatives_and_branches_not_taken() -> None:
    # (quadratic in input - target: 1 / beta at 0, where abs's slope 0 gave 0; 0 from the
    # threshold on, as torch's strict z < beta)
    x = tg.tensor([0.0, 0.2, 0.5, 2.0], requires_grad=True)
    y = F.smooth_l1_loss(x, np.zeros(4), reduction="sum", beta=0.5)
    (g,) = tg.autograd.grad(y, [x], create_graph=True)
    np.testing.assert_array_equal(tg.autograd.grad(g.sum(), [x])[0].data, [2.0, 2.0, 0.0, 0.0])
    y = F.huber_loss(x, np.zeros(4), reduction="sum", delta=0.5)
    (g,) = tg.autograd.grad(y, [x], create_graph=True)
    np.testing.assert_array_equal(tg.autograd.grad(g.sum(), [x])[0].data, [1.0, 1.0, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (the branch not taken neither overflows nor NaNs)
        big = tg.tensor([1e200, -np.inf, 0.3], requires_grad=True)
        y = F.smooth_l1_loss(big, np.zeros(3), reduction="none")
        (g,) = tg.autograd.grad(y.sum(), [big])
        np.testing.assert_array_equal(g.data, [1.0, -1.0, 0.3])
        big = tg.tensor([1e100, -np.inf, 0.3], requires_grad=True)
        y = F.huber_loss(big, np.zeros(3), reduction="none", delta=np.inf)  # (all quadratic)
        np.testing.assert_array_equal(y.data, [5e199, np.nan, 0.045])
        (g,) = tg.autograd.grad(y.sum(), [big])
        np.testing.assert_array_equal(g.data, [1e100, 0.0, 0.3])
        h = tg.tensor(np.array([400.0, 0.5], np.float16), requires_grad=True)
        y = F.huber_loss(h, np.zeros(2, np.float16), reduction="none")
        assert y.dtype == np.float16 and y.data.tolist() == [399.5, 0.125]
        y = F.smooth_l1_loss(h[:1] * 0 + 3, np.zeros(1, np.float16), beta=1e5)  # (in float32,
        assert y.item() == pytest.approx(4.5e-5, rel=1e-2)  # where torch's forward gives 0)
        y = F.smooth_l1_loss(np.array([1e200]), np.zeros(1), beta=1e300)  # (0.5 d (d / t):
        assert y.item() == pytest.approx(5e99)  # torch's 0.5 d d / t overflows to inf)
        y = F.smooth_l1_loss(np.array([1e30], np.float32), np.zeros(1, np.float32), beta=np.inf)
        assert y.item() == 0.0  # (torch: inf / inf, NaN)
        ints = F.smooth_l1_loss(np.array([1, 3]), np.array([0, 0]), reduction="none", beta=0.5)
        np.testing.assert_array_equal(ints.data, [0.75, 2.75])  # (float64: beta stays 0.5)
    nan = tg.tensor([np.nan, 1.0], requires_grad=True)  # (a NaN's slope is NaN, as torch's)
    for loss in (F.huber_loss, F.smooth_l1_loss):
        (g,) = tg.autograd.grad(loss(nan, np.zeros(2), reduction="sum"), [nan])
        np.testing.assert_array_equal(g.data, [np.nan, 1.0])
        y = F.huber_loss(np.array([0.5]), np.zeros(1), reduction="none", delta=1e200)
        assert y.item() == 0.125  # (the linear branch, not taken, overflowed to -inf at 0.5)
        x32 = np.array([0.3, 0.0, -1.0], np.float32)
        g = _slope(
            F.smooth_l1_loss, x32, target=np.zeros(3, np.float32), reduction="sum", beta=1e-50
        )[1]
        np.testing.assert_array_equal(g, [1.0, 0.0, -1.0])  # (a beta of 0 in float32: l1)
        tiny = tg.tensor(np.array([0.0, 1.0], np.float32), requires_grad=True)
        (g,) = tg.autograd.grad(F.smooth_l1_loss(tiny, np.zeros(2, np.float32), beta=1e-40), [tiny])
        np.testing.assert_array_equal(g.data, [0.0, 0.5])  # (a subnormal beta: 1 / beta overflowed)
        y = F.huber_loss(x32, np.zeros(3, np.float32), reduction="none", delta=1e-50)
        np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.0])  # (a delta of 0 in float32)
        y = F.huber_loss(x32, np.zeros(3, np.float32), reduction="none", delta=1e300)  # (inf)
        np.testing.assert_allclose(y.data, [0.045, 0.0, 0.5], rtol=1e-7)
    assert F.smooth_l1_loss(np.zeros(2), np.ones(2), beta=True).item() == 0.5  # (float(True))
    w = np.array([1, 2])  # (an integer weight takes the input's dtype, as torch's)
    assert F.huber_loss(np.zeros(2, np.float32), np.ones(2, np.float32), weight=w).dtype == (
        np.float32
    )


def test_kl_div_reductions_and_odd_targets_as_torch() -> None:
    x = np.log(np.full((2, 2), 0.5))
    t = np.array([[0.2, 0.8], [0.6, 0.4]])
    total = float(np.sum(t * (np.log(t) - x)))
    assert F.kl_div(x[0], t[0], reduction="batchmean").item() == pytest.approx(
        np.sum(t[0] * (np.log(t[0]) - x[0])) / 2  # (a 1-D input: its length is the batch)
    )
    with pytest.warns(UserWarning, match="deprecated") as record:
        # (torch: the legacy reduction, then batchmean's division all the same; one warning)
        assert F.kl_div(x, t, size_average=False, reduction="batchmean").item() == pytest.approx(
            total / 2
        )
        assert F.kl_div(x, t, size_average=True).item() == pytest.approx(total / 4)
    assert len(record) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (NaN, silently, as torch's xlogy and 0 / 0)
        y = F.kl_div(np.array([-1.0, -1.0]), np.array([-0.5, 0.5]), reduction="none")
        assert np.isnan(y.data[0]) and y.data[1] == pytest.approx(0.5 * (np.log(0.5) + 1))
        q = tg.tensor([-0.5, np.nan, 0.5], requires_grad=True)
        (g,) = tg.autograd.grad(F.kl_div(np.full(3, -1.0), q, reduction="sum"), [q])
        np.testing.assert_allclose(g.data, [np.nan, np.nan, np.log(0.5) + 2])  # (torch's NaNs)
        empty = np.zeros((0, 3))
        assert np.isnan(F.kl_div(empty, empty, reduction="batchmean").item())
    # float16 in float32: the tangent of log t overflowed float16 below 1.5e-5
    half = tg.tensor(np.array([-1.0], np.float16))
    _, tangent = tg.jvp(
        lambda q: F.kl_div(half, q, reduction="sum"),
        (tg.tensor(np.array([1e-5], np.float16)),),
        (tg.tensor(np.array([1.0], np.float16)),),
    )
    assert tangent.dtype == np.float16 and tangent.item() == pytest.approx(np.log(1e-5) + 2, 1e-3)
    with pytest.raises(ValueError, match="'mean', 'batchmean', 'sum' or 'none'"):
        F.kl_div(x, t, reduction="batch")


def test_binary_cross_entropy_is_torchs_with_its_floors() -> None:
    x = np.array([0.0, 0.0, 1.0, 0.3, 1e-10, 1e-300])
    t = np.array([0.0, 1.0, 0.0, 0.7, 0.3, 0.5])
    xt, tt = tg.tensor(x, requires_grad=True), tg.tensor(t, requires_grad=True)
    with np.errstate(divide="ignore"):
        loss = F.binary_cross_entropy(xt, tt, reduction="none")
        loss.sum().backward()
        logs = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        by_t = np.log1p(-x) - np.log(x)
    np.testing.assert_allclose(loss.data, -(t * logs[0] + (1 - t) * logs[1]), rtol=1e-15)
    assert loss.data[1] == 100.0  # (a confident wrong answer costs 100, not inf)
    # torch's slope: (x - t) / max(x (1 - x), 1e-12 in float32): -1.000000004e12 at x=0, t=1
    floor = float(np.float32(1e-12))
    np.testing.assert_allclose(xt.grad.data, (x - t) / np.maximum(x * (1 - x), floor))
    assert xt.grad.data[1] == pytest.approx(-1.000000003995803e12, rel=1e-15)
    np.testing.assert_array_equal(tt.grad.data, by_t)  # (inf at 0 and 1, as torch's)
    w = np.array([1.0, 2.0])
    a, b = np.array([[0.25, 0.5]]), np.array([[1.0, 0.0]])
    want = -(np.log(0.25) + 2 * np.log(0.5)) / 2
    assert F.binary_cross_entropy(a, b, w).item() == pytest.approx(want, rel=1e-15)
    assert nn.BCELoss(weight=w, reduction="sum")(a, b).item() == pytest.approx(2 * want)
    for dtype in (np.float32, np.float16):  # (float16 in float32, rounded once)
        out = F.binary_cross_entropy(a.astype(dtype), b.astype(dtype))
        assert out.dtype == dtype
        assert out.item() == pytest.approx(-(np.log(0.25) + np.log(0.5)) / 2, rel=1e-3)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: F.binary_cross_entropy(np.array([1.5]), np.array([0.0])), ValueError,
         r"binary_cross_entropy: every entry of input must be in \[0, 1\], got 1.5"),
        (lambda: F.binary_cross_entropy(np.array([np.nan]), np.array([0.0])), ValueError,
         "input must be in .* got nan"),
        (lambda: F.binary_cross_entropy(np.array([0.5]), np.array([-1.0])), ValueError,
         "every entry of target"),
        (lambda: F.binary_cross_entropy(np.array([1]), np.array([0.0])), TypeError,
         "input must be floating point"),
        (lambda: F.binary_cross_entropy(np.array([0.5]), np.array([0.0, 1.0])), ValueError,
         r"input shape \(1,\) and target shape \(2,\) differ"),
        (lambda: F.binary_cross_entropy(np.array([0.5]), np.array([0.0]), np.ones(2)), ValueError,
         r"weight of shape \(2,\)"),
        (lambda: nn.BCELoss(reduction="avg"), ValueError, "BCELoss: reduction"),
    ],
)  # fmt: skip
def test_binary_cross_entropy_refusals(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_pad_is_torchs_crop_then_pad_last_axis_first() -> None:
    x = np.arange(6.0).reshape(1, 1, 6)
    # (torch 2.13's values for these calls)
    np.testing.assert_array_equal(F.pad(x, (1, -2), "circular").data, [[[3, 0, 1, 2, 3]]])
    np.testing.assert_array_equal(F.pad(x, (-2, 1), "circular").data, [[[2, 3, 4, 5, 2]]])
    np.testing.assert_array_equal(F.pad(x, (1, -2), "reflect").data, [[[1, 0, 1, 2, 3]]])
    np.testing.assert_array_equal(F.pad(x, (1, -2), "replicate").data, [[[0, 0, 1, 2, 3]]])
    y = F.pad(np.ones((2, 3)), (1, 0, 0, 2), value=7.0)  # (left, right, top, bottom)
    np.testing.assert_array_equal(
        y.data, np.pad(np.ones((2, 3)), ((0, 2), (1, 0)), constant_values=7)
    )
    assert F.pad(np.arange(4).reshape(2, 2), (1, 1)).dtype == np.int64
    with pytest.raises(ValueError, match=r"pad: mode='reflect' pads \(3, 0\) along axis 1"):
        F.pad(np.ones((1, 3)), (3, 0), "reflect")
    with pytest.raises(ValueError, match="pad: pad must have an even length"):
        F.pad(np.ones(3), (1, 2, 3))
    with pytest.raises(ValueError, match="pad: value is for mode='constant' only"):
        F.pad(np.ones(3), (1, 1), "reflect", value=1.0)


def test_binary_cross_entropy_near_the_ends_and_in_float16() -> None:
    # log(1 - x) as log1p(-x): 1e-17, torch's value, not 0
    tiny = F.binary_cross_entropy(np.array([1e-17]), np.array([0.0]), reduction="sum")
    assert tiny.item() == pytest.approx(1e-17, rel=1e-12, abs=0)
    x = np.random.default_rng(0).uniform(0.05, 0.95, 200)
    t = np.random.default_rng(1).uniform(0, 1, 200)
    half = F.binary_cross_entropy(x.astype(np.float16), t.astype(np.float16), reduction="none")
    xs, ts = x.astype(np.float16).astype(np.float64), t.astype(np.float16).astype(np.float64)
    exact = -(ts * np.log(xs) + (1 - ts) * np.log1p(-xs))
    # (computed in float32 and rounded once: within half a float16 ulp of the exact value,
    # plus float32's own rounding)
    assert np.all(np.abs(half.data.astype(np.float64) - exact) <= np.spacing(half.data) * 0.51)
