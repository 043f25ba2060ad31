"""tg.distributions: values, gradients and draws against torch.distributions and finite
differences."""

from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import distributions as D

RNG = np.random.default_rng(0)
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.random(3) + 0.5
LOW, HIGH = RNG.standard_normal(3), RNG.standard_normal(3) + 3.0
PROBS = np.array([0.1, 0.3, 0.95, 0.7])
CAT = RNG.random((2, 4)) + 0.1
PROBABILITIES = RNG.uniform(0.02, 0.98, (4, 2, 3))
VALUES = {
    "normal": RNG.standard_normal((4, 2, 3)),
    "uniform": LOW + RNG.random((5, 3)) * (HIGH - LOW),
    "bernoulli": np.array([0.0, 1.0, 1.0, 0.0]),
    "categorical": np.array([[0, 1], [3, 2], [1, 1]]),
}


def _make(lib: Any, kind: str, params: list) -> Any:
    """The distribution of ``kind`` in ``lib`` (tensorgrad's or torch's module)."""
    if kind == "normal":
        return lib.Normal(*params)
    if kind == "uniform":
        return lib.Uniform(*params)
    if kind == "bernoulli_probs":
        return lib.Bernoulli(probs=params[0])
    if kind == "bernoulli_logits":
        return lib.Bernoulli(logits=params[0])
    if kind == "categorical_probs":
        return lib.Categorical(probs=params[0])
    return lib.Categorical(logits=params[0])


PARAMS = {
    "normal": [LOC, SCALE],
    "uniform": [LOW, HIGH],
    "bernoulli_probs": [PROBS],
    "bernoulli_logits": [RNG.standard_normal(4)],
    "categorical_probs": [CAT],
    "categorical_logits": [RNG.standard_normal((2, 4))],
}
# what each kind computes: (name, fn(distribution, value))
QUANTITIES = [
    ("log_prob", lambda d, v: d.log_prob(v)),
    ("entropy", lambda d, v: d.entropy()),
    ("mean", lambda d, v: d.mean),
    ("variance", lambda d, v: d.variance),
    ("stddev", lambda d, v: d.stddev),
]


def _value(kind: str, name: str = "") -> np.ndarray:
    return PROBABILITIES if name == "icdf" else VALUES[kind.split("_")[0]]


def _cases() -> list:
    cases = []
    for kind in PARAMS:
        for name, _ in QUANTITIES:
            if kind.startswith("categorical") and name != "log_prob" and name != "entropy":
                continue  # (NaN moments: checked apart)
            cases.append((kind, name))
        if kind in ("normal", "uniform"):
            cases += [(kind, "cdf"), (kind, "icdf")]
    return cases


def _quantity(name: str) -> Any:
    if name == "cdf":
        return lambda d, v: d.cdf(v)
    if name == "icdf":
        return lambda d, v: d.icdf(v)
    return dict(QUANTITIES)[name]


@pytest.mark.parametrize(("kind", "name"), _cases())
def test_values_and_gradients_are_torchs(kind: str, name: str) -> None:
    torch = pytest.importorskip("torch")
    fn = _quantity(name)
    ours = [tg.tensor(p, requires_grad=True) for p in PARAMS[kind]]
    theirs = [torch.tensor(p, requires_grad=True) for p in PARAMS[kind]]
    a = fn(_make(D, kind, ours), tg.tensor(_value(kind, name)))
    b = fn(_make(torch.distributions, kind, theirs), torch.tensor(_value(kind, name)))
    assert a.shape == tuple(b.shape)
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = RNG.standard_normal(a.shape)
    (a * tg.tensor(weights)).sum().backward()
    (b * torch.tensor(weights)).sum().backward()
    for p, q in zip(ours, theirs):
        got = np.zeros(p.shape) if p.grad is None else p.grad.data
        want = np.zeros(p.shape) if q.grad is None else q.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("kind", "name"), _cases())
def test_first_and_second_derivatives_against_finite_differences(kind: str, name: str) -> None:
    fn = _quantity(name)
    value = tg.tensor(_value(kind, name))
    params = [tg.tensor(p, requires_grad=True) for p in PARAMS[kind]]

    def f(*ps: tg.Tensor) -> tg.Tensor:
        return fn(_make(D, kind, list(ps)), value)

    if not f(*params).requires_grad:
        return  # (a constant of the parameters: nothing to check)
    assert tg.gradcheck(f, params)
    assert tg.gradgradcheck(f, params)


@pytest.mark.parametrize(
    ("kind", "other"),
    [
        ("normal", [LOC[::-1].copy(), SCALE * 2]),
        ("uniform", [LOW - 1.0, HIGH + 0.5]),
        ("uniform", [LOW + 0.1, HIGH]),  # (q does not cover p: inf)
        ("bernoulli_probs", [np.array([0.0, 0.4, 1.0, 0.2])]),
        ("bernoulli_logits", [RNG.standard_normal(4)]),
        ("categorical_probs", [np.array([[0.0, 0.2, 0.3, 0.5], [0.1, 0.2, 0.3, 0.4]])]),
        ("categorical_logits", [RNG.standard_normal((2, 4))]),
    ],
)
def test_kl_divergence_is_torchs(kind: str, other: list) -> None:
    torch = pytest.importorskip("torch")
    ours = [tg.tensor(p, requires_grad=True) for p in PARAMS[kind]]
    theirs = [torch.tensor(p, requires_grad=True) for p in PARAMS[kind]]
    a = D.kl_divergence(_make(D, kind, ours), _make(D, kind, [tg.tensor(o) for o in other]))
    b = torch.distributions.kl_divergence(
        _make(torch.distributions, kind, theirs),
        _make(torch.distributions, kind, [torch.tensor(o) for o in other]),
    )
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
    finite = np.isfinite(a.data)
    tg.where(finite, a, 0.0).sum().backward()
    torch.where(torch.tensor(finite), b, 0.0).sum().backward()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_kl_divergence_against_finite_differences() -> None:
    q = D.Normal(tg.tensor(LOC[::-1].copy()), tg.tensor(SCALE * 2))

    def f(loc: tg.Tensor, scale: tg.Tensor) -> tg.Tensor:
        return D.kl_divergence(D.Normal(loc, scale), q)

    params = [tg.tensor(LOC, requires_grad=True), tg.tensor(SCALE, requires_grad=True)]
    assert tg.gradcheck(f, params) and tg.gradgradcheck(f, params)


def test_draws_have_the_distributions_moments_and_shapes() -> None:
    n = D.Normal(tg.tensor([1.0, -2.0]), tg.tensor([2.0, 0.5]))
    x = n.sample((200_000,), rng=1)
    assert x.shape == (200_000, 2) and not x.requires_grad
    np.testing.assert_allclose(x.data.mean(0), [1.0, -2.0], atol=0.02)
    np.testing.assert_allclose(x.data.std(0), [2.0, 0.5], rtol=0.01)
    u = D.Uniform(-1.0, 3.0).sample(100_000, rng=2).data
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    b = D.Bernoulli(tg.tensor([0.3, 0.0, 1.0])).sample((100_000,), rng=3).data
    assert b.dtype == np.float64 and set(np.unique(b)) <= {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0), [0.3, 0.0, 1.0], atol=0.01)
    c = D.Categorical(tg.tensor([0.2, 0.0, 0.5, 0.3])).sample((100_000,), rng=4).data
    assert c.dtype == np.int64
    np.testing.assert_allclose(np.bincount(c, minlength=4) / 1e5, [0.2, 0.0, 0.5, 0.3], atol=0.01)
    batch = D.Categorical(logits=tg.zeros((3, 5))).sample((7, 2), rng=5)
    assert batch.shape == (7, 2, 3) and batch.data.max() < 5
    # seeded: the same draws again; tg.manual_seed seeds the default
    assert np.array_equal(n.sample((3,), rng=9).data, n.sample((3,), rng=9).data)
    tg.manual_seed(0)
    first = n.sample((3,)).data
    tg.manual_seed(0)
    assert np.array_equal(first, n.sample((3,)).data)


def test_rsample_is_differentiable_and_sample_is_not() -> None:
    loc = tg.tensor([0.5, -1.0], requires_grad=True)
    scale = tg.tensor([2.0, 3.0], requires_grad=True)
    draws = D.Normal(loc, scale).rsample((4,), rng=0)
    eps = (draws.data - loc.data) / scale.data
    draws.sum().backward()
    np.testing.assert_allclose(loc.grad.data, [4.0, 4.0])
    np.testing.assert_allclose(scale.grad.data, eps.sum(0))
    low = tg.tensor(1.0, requires_grad=True)
    D.Uniform(low, 3.0).rsample((5,), rng=0).sum().backward()
    assert 0 < low.grad.item() < 5  # (5 (1 - u) summed)
    assert not D.Normal(loc, scale).sample((2,), rng=0).requires_grad
    with pytest.raises(NotImplementedError, match="Bernoulli has no reparameterised rsample"):
        D.Bernoulli(0.5).rsample()


def test_dtypes_and_broadcasting() -> None:
    d = D.Normal(tg.zeros(3, dtype=np.float32), 1.0)
    assert d.loc.dtype == d.scale.dtype == np.float32 and d.batch_shape == (3,)
    assert d.log_prob(0.5).dtype == np.float32 and d.sample((2,), rng=0).dtype == np.float32
    assert D.Normal(0.0, 1.0).loc.dtype == tg.get_default_dtype()
    assert D.Uniform(tg.zeros((2, 1)), tg.ones(3)).batch_shape == (2, 3)
    cat = D.Categorical(logits=tg.zeros((2, 5)))
    assert cat.batch_shape == (2,) and cat.event_shape == () and cat.param_shape == (2, 5)
    assert np.isnan(cat.mean.data).all() and np.isnan(D.Uniform(0.0, 1.0).mode.item())
    np.testing.assert_array_equal(D.Bernoulli(tg.tensor([0.2, 0.5, 0.9])).mode.data[[0, 2]], [0, 1])
    np.testing.assert_allclose(
        D.Normal(0.0, 2.0).perplexity().item(), np.exp(D.Normal(0.0, 2.0).entropy().item())
    )


def test_bad_arguments_are_named() -> None:
    cases = [
        (lambda: D.Normal(0.0, -1.0), ValueError, "Normal: scale must be greater than 0, got -1.0"),
        (
            lambda: D.Normal(tg.tensor([0.0, np.nan]), 1.0),
            ValueError,
            r"loc must be a real number, got nan at index \(1,\)",
        ),
        (
            lambda: D.Normal(tg.zeros(2), tg.ones(3)),
            ValueError,
            r"do not broadcast: loc \(2,\), scale \(3,\)",
        ),
        (lambda: D.Normal("a", 1.0), TypeError, "Normal: loc must be a Tensor or a number"),
        (lambda: D.Uniform(1.0, 1.0), ValueError, "Uniform: low must be less than high"),
        (lambda: D.Uniform(0.0, 1.0).log_prob(1.0), ValueError, r"value must be in \[low, high\)"),
        (lambda: D.Bernoulli(1.5), ValueError, r"Bernoulli: probs must be in \[0, 1\], got 1.5"),
        (lambda: D.Bernoulli(0.5, logits=0.0), ValueError, "either probs or logits, not both"),
        (lambda: D.Bernoulli(0.5).log_prob(0.5), ValueError, "value must be 0 or 1, got 0.5"),
        (
            lambda: D.Categorical(tg.tensor([-0.1, 1.0])),
            ValueError,
            "probs must be finite and at least 0",
        ),
        (lambda: D.Categorical(tg.zeros(3)), ValueError, "probs must be of a positive sum"),
        (lambda: D.Categorical(tg.tensor(1.0)), ValueError, "a last axis of at least one category"),
        (
            lambda: D.Categorical(logits=tg.zeros(3)).log_prob(3),
            ValueError,
            r"an index in \[0, 3\)",
        ),
        (
            lambda: D.Normal(tg.zeros(2), 1.0).log_prob(tg.zeros(3)),
            ValueError,
            r"value of shape \(3,\) does not broadcast with batch_shape \(2,\)",
        ),
        (
            lambda: D.Normal(0.0, 1.0).sample((-1,)),
            TypeError,
            "sample_shape must be a tuple of sizes",
        ),
        (
            lambda: D.Normal(0.0, 1.0, validate_args="yes"),
            TypeError,
            "validate_args must be a bool",
        ),
        (
            lambda: D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0)),
            NotImplementedError,
            "no rule for Normal and Uniform",
        ),
        (
            lambda: D.Bernoulli(0.5).icdf(0.5),
            NotImplementedError,
            "Bernoulli does not implement icdf",
        ),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()
    # validate_args=False: torch's unchecked values (-inf outside a Uniform's support)
    assert D.Uniform(0.0, 1.0, validate_args=False).log_prob(2.0).item() == -np.inf
    D.Distribution.set_default_validate_args(False)
    try:
        assert D.Normal(0.0, -1.0).scale.item() == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)


def test_register_kl_picks_the_most_specific_rule() -> None:
    class Wide(D.Normal):
        pass

    @D.register_kl(Wide, D.Normal)
    def _wide(p: Any, q: Any) -> tg.Tensor:
        return tg.tensor(-1.0)

    assert D.kl_divergence(Wide(0.0, 1.0), D.Normal(0.0, 1.0)).item() == -1.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), Wide(0.0, 1.0)).item() == 0.0
    with pytest.raises(TypeError, match="register_kl: expected Distribution subclasses"):
        D.register_kl(int, D.Normal)
