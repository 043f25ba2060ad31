"""Exact gradient conventions at kinks and ties (API.md), and numerical stability."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.ops.losses as L


def _grad(f, x):
    t = tg.tensor(x, requires_grad=True)
    f(t).sum().backward()
    return t.grad.data


def test_relu_abs_clip_kinks_have_zero_derivative() -> None:
    np.testing.assert_array_equal(_grad(tg.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(_grad(tg.abs, [-1.0, 0.0, 2.0]), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        _grad(lambda x: tg.clip(x, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0]), [0, 0, 1, 0, 0]
    )
    # one side open (None), as np.clip
    np.testing.assert_array_equal(_grad(lambda x: tg.clip(x, None, 1.0), [0.0, 2.0]), [1, 0])
    np.testing.assert_array_equal(_grad(lambda x: tg.clip(x, 0.0, None), [-1.0, 2.0]), [0, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relus_slope_is_0_at_and_below_the_kink_and_1_above_and_at_nan(dtype) -> None:
    x = [-np.inf, -2.0, -0.0, 0.0, 1e-30, 3.0, np.inf, np.nan]
    want = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=dtype)
    t = tg.tensor(np.array(x, dtype=dtype), requires_grad=True)
    (g,) = tg.autograd.grad(tg.relu(t), [t], tg.tensor(np.full(8, 2.0, dtype=dtype)))
    assert g.dtype == dtype
    np.testing.assert_array_equal(g.data, 2 * want)
    _, tangent = tg.jvp(tg.relu, (t.detach(),), (tg.ones(8, dtype=dtype),))
    np.testing.assert_array_equal(tangent.data, want)
    for v, w in ((0.0, 0.0), (5.0, 3.0), (np.nan, 3.0)):  # 0-d
        s = tg.tensor(np.array(v, dtype=dtype), requires_grad=True)
        (g,) = tg.autograd.grad(tg.relu(s), [s], tg.tensor(np.array(3.0, dtype=dtype)))
        assert g.shape == () and g.dtype == dtype and g.item() == w


def test_clip_bounds_that_require_grad_get_it_where_they_are_the_result() -> None:
    # (they were constants: a bound requiring grad got none, and forward mode dropped its tangent)
    x = tg.tensor([-1.0, 0.5, 2.0, 0.0, 1.0, np.nan], requires_grad=True)
    lo = tg.tensor(0.0, requires_grad=True)
    hi = tg.ones(6, requires_grad=True)
    y = tg.clip(x, lo, hi)
    y.backward(tg.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(x.grad.data, [0, 2, 0, 0, 0, 0])  # 0 at the ties and at NaN
    assert lo.grad.item() == 5.0  # entries 0 and 3 (a tie)
    np.testing.assert_array_equal(hi.grad.data, [0, 0, 3, 0, 5, 0])
    _, tangent = tg.jvp(lambda b: tg.clip(x.detach(), b, 1.0), (tg.tensor(0.0),), (tg.ones(()),))
    np.testing.assert_array_equal(tangent.data, [1, 0, 0, 1, 0, 0])
    # a lower bound above the upper one: the upper is the result (np.clip), and gets it all
    # (but at the NaN, whose result is NaN)
    g = tg.autograd.grad(tg.clip(x.detach(), 2.0, lo).sum(), lo)[0]
    assert g.item() == 5.0
    assert tg.tensor([1.0, 3.0]).clip(max=2.0).data.tolist() == [1.0, 2.0]


def test_max_min_ties_share_equally() -> None:
    np.testing.assert_array_equal(_grad(tg.max, [1.0, 3.0, 3.0, 2.0]), [0, 0.5, 0.5, 0])
    np.testing.assert_array_equal(_grad(tg.min, [1.0, 1.0, 1.0, 2.0]), [1 / 3, 1 / 3, 1 / 3, 0])
    g = _grad(lambda x: tg.max(x, axis=1), [[2.0, 2.0], [1.0, 5.0]])
    np.testing.assert_array_equal(g, [[0.5, 0.5], [0.0, 1.0]])


def test_maximum_minimum_ties_split_half() -> None:
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.tensor([1.0, 1.0, 4.0], requires_grad=True)
    tg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [0.5, 0.0, 1.0])
    a.grad = b.grad = None
    tg.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.5, 0.0, 1.0])


def test_norm_at_zero_has_zero_gradient() -> None:
    np.testing.assert_array_equal(_grad(tg.norm, [0.0, 0.0]), [0.0, 0.0])


def test_logsumexp_all_neg_inf() -> None:
    x = tg.tensor([-np.inf, -np.inf], requires_grad=True)
    y = tg.logsumexp(x)
    assert y.item() == -np.inf
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_power_at_zero_base() -> None:
    x = tg.tensor([0.0, 2.0], requires_grad=True)
    y = tg.tensor(2.0, requires_grad=True)
    (x**y).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 4.0])
    assert np.isfinite(y.grad.data).all()
    z = tg.tensor(0.0, requires_grad=True)
    (z**0.0).backward()
    assert z.grad.item() == 0.0


def test_prod_with_zeros_is_exact() -> None:
    np.testing.assert_array_equal(_grad(tg.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(_grad(tg.prod, [0.0, 0.0, 3.0]), [0.0, 0.0, 0.0])


def test_double_where_idiom() -> None:
    x = tg.tensor([-1.0, 4.0], requires_grad=True)
    safe = tg.where(x > 0, x, 1.0)
    tg.where(x > 0, tg.sqrt(safe), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.25])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "fn",
    [
        tg.sigmoid,
        tg.softplus,
        lambda x: tg.log_softmax(x),
        lambda x: tg.softmax(x),
        lambda x: tg.logsumexp(x),
        lambda x: L.cross_entropy(tg.reshape(x, (1, -1)), np.array([1])),
        lambda x: L.binary_cross_entropy_with_logits(x, np.array([1.0, 0.0, 1.0, 0.0])),
    ],
)
def test_stable_at_large_magnitude(fn, dtype) -> None:
    x = tg.tensor(np.array([1e4, -1e4, 0.5, -3.0]), dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = fn(x)
            y.backward(np.ones(y.shape, dtype=y.dtype))
    assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all()
    assert y.dtype == dtype and x.grad.dtype == dtype


def test_erf_matches_math_erf() -> None:
    import math

    rng = np.random.default_rng(0)
    edges = [np.linspace(e - 1e-3, e + 1e-3, 2001) for e in (0.84375, 1.25, 6.0)]  # (its fits')
    xs = np.concatenate(
        [np.linspace(-6, 6, 2001), [0.0, 1e-8, -1e-300, 3.0, 2.9999, 5.9], *edges]
        + [rng.standard_normal(20_000), rng.uniform(-7, 7, 20_000)]
    )
    ours = tg.erf(tg.tensor(xs)).data
    ref = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(ours, ref, rtol=2.3e-16, atol=0)  # within 1 ulp


def test_float32_erf_is_within_one_float32_ulp_of_math_erf() -> None:
    """float32 (and float16 through it) has fits of its own, evaluated in float32: within an
    ulp of the true erf (0.92 at worst on x86-64), odd, 1 at the ends, NaN kept."""
    import math

    rng = np.random.default_rng(1)
    edges = [np.linspace(e - 1e-3, e + 1e-3, 2001) for e in (0.75, 1.25, 3.9192, 4.0)]
    edges.append(np.linspace(1.25, 1.26, 20_001))  # (the worst: 0.913 ulp at 1.2510351)
    xs = np.concatenate(
        [np.linspace(0, 6, 4001), [1e-30, 1e-40, 1.2e-38, 3.0, 50.0], *edges]
        + [np.abs(rng.standard_normal(40_000)), rng.uniform(0, 5, 40_000)]
    ).astype(np.float32)
    ours = tg.erf(tg.tensor(xs)).data
    assert ours.dtype == np.float32
    ref = np.array([math.erf(v) for v in xs.astype(np.float64)])
    # one ulp of the true value: its binade's spacing (float32's least at subnormals)
    ulp = np.maximum(2.0 ** (np.floor(np.log2(np.maximum(ref, 1e-300))) - 23), 2.0**-149)
    assert np.all(np.abs(ours - ref) <= ulp), np.max(np.abs(ours - ref) / ulp)
    np.testing.assert_array_equal(tg.erf(tg.tensor(-xs)).data, -ours)
    special = np.array([np.inf, -np.inf, np.nan, -0.0], np.float32)
    np.testing.assert_array_equal(tg.erf(tg.tensor(special)).data, [1, -1, np.nan, -0.0])
    assert np.signbit(tg.erf(tg.tensor(special)).data[-1])
    half = np.linspace(-5, 5, 2001).astype(np.float16)  # (rounded once more, from float32)
    ref16 = np.array([math.erf(v) for v in half.astype(np.float64)])
    ulp16 = np.maximum(2.0 ** (np.floor(np.log2(np.maximum(np.abs(ref16), 1e-300))) - 10), 2.0**-24)
    assert np.all(np.abs(tg.erf(tg.tensor(half)).data - ref16) <= ulp16)


def test_gelu_exact_and_tanh() -> None:
    import math

    x = np.linspace(-4, 4, 17)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(tg.gelu(tg.tensor(x)).data, exact, rtol=1e-15, atol=1e-15)
    approx = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(tg.gelu(tg.tensor(x), approximate="tanh").data, approx, rtol=1e-14)


def test_python_scalars_do_not_upcast() -> None:
    x = tg.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    y = (2.0 * x + 1) / 3.0 - x**2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    z = x * tg.tensor(2.0)  # a 0-d float64 Tensor is not a weak scalar (NEP 50)
    assert z.dtype == np.float64


def test_cross_entropy_matches_manual() -> None:
    logits = np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    target = np.array([1, 2])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -logp[[0, 1], target].mean()
    assert L.cross_entropy(tg.tensor(logits), target).item() == pytest.approx(expected)
    w = np.array([1.0, 2.0, 0.5])
    we = -(logp[[0, 1], target] * w[target]).sum() / w[target].sum()
    assert L.cross_entropy(tg.tensor(logits), target, weight=w).item() == pytest.approx(we)
    # label smoothing: torch's formula (1 - e) * nll + e / C * mean(-sum logp)
    ls = 0.1
    smooth = (-logp.sum(1)).mean()
    expected_ls = (1 - ls) * expected + ls / 3 * smooth
    got = L.cross_entropy(tg.tensor(logits), target, label_smoothing=ls).item()
    assert got == pytest.approx(expected_ls)
    ignored = L.cross_entropy(tg.tensor(logits), np.array([1, -100]), ignore_index=-100)
    assert ignored.item() == pytest.approx(-logp[0, 1])
    # an ignore_index inside [0, C) that is neither the smallest nor the largest target
    three = np.vstack([logits, logits[:1]])
    logp3 = np.vstack([logp, logp[:1]])
    mid = L.cross_entropy(tg.tensor(three), np.array([0, 1, 2]), ignore_index=1)
    assert mid.item() == pytest.approx(-(logp3[0, 0] + logp3[2, 2]) / 2)
