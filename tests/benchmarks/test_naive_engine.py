"""The naive scalar engine of ``benchmarks/naive.py``: values and route-sum gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks import naive


def test_scalar_rules_match_calculus() -> None:
    a, b = naive.Var(0.7), naive.Var(1.9)
    out = naive.Sin(a) * b + naive.Exp(a) / b - naive.Log(b) + naive.Tanh(a * b)
    expected = math.sin(0.7) * 1.9 + math.exp(0.7) / 1.9 - math.log(1.9) + math.tanh(0.7 * 1.9)
    assert out.value == pytest.approx(expected, rel=1e-15)
    g = naive.grad(out)
    sech2 = 1 - math.tanh(0.7 * 1.9) ** 2
    assert g[a] == pytest.approx(math.cos(0.7) * 1.9 + math.exp(0.7) / 1.9 + sech2 * 1.9)
    assert g[b] == pytest.approx(
        math.sin(0.7) - math.exp(0.7) / 1.9**2 - 1 / 1.9 + sech2 * 0.7, rel=1e-13
    )


def test_routes_through_a_diamond_add_up() -> None:
    x = naive.Var(3.0)
    d = x * x  # two routes to x
    y = d * d  # each of the two routes to d splits again: x ** 4 has 4 routes
    assert naive.grad(y)[x] == pytest.approx(4 * 3.0**3)


def test_reflected_operators_and_constants() -> None:
    x = naive.Var(2.0)
    y = 1.0 / x - 3.0 + 2.0 * x - (5.0 - x)
    assert y.value == pytest.approx(0.5 - 3.0 + 4.0 - 3.0)
    assert naive.grad(y)[x] == pytest.approx(-0.25 + 2.0 + 1.0)


def test_deep_chain_uses_no_recursion() -> None:
    x = naive.Var(0.5)
    y = x
    for _ in range(20_000):
        y = -y
    assert naive.grad(y)[x] == 1.0


def test_object_arrays_vectorise_dot_and_sum() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(5), rng.standard_normal((5, 3))
    w_vars = naive.variables(w)
    r = np.dot(x, w_vars) - 1.0
    loss = np.sum(naive.tanh(r) * r)
    r_np = x @ w - 1.0
    assert loss.value == pytest.approx(np.sum(np.tanh(r_np) * r_np), rel=1e-14)
    slope = np.tanh(r_np) + r_np * (1 - np.tanh(r_np) ** 2)
    np.testing.assert_allclose(naive.gradients(loss, w_vars), np.outer(x, slope), rtol=1e-13)
    np.testing.assert_array_equal(naive.values(w_vars), w)
