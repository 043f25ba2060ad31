"""Numerical stability beyond ``test_conventions.py``: second derivatives at magnitude 1e4, the
NaN traps at the edge of an op's domain, and warnings treated as errors throughout.

``test_conventions.py`` checks first-order values and gradients of the stable ops at 1e4 and the
first-order conventions (norm at 0, logsumexp over -inf, power at 0, the double-where idiom).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F

BIG = np.array([1e4, -1e4, -1e4, 1e4, 0.5, -3.0])


@contextmanager
def strict() -> Iterator[None]:
    """NumPy overflow, invalid and divide-by-zero raise; any warning is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield


def _first_and_second(f: Callable[[tg.Tensor], tg.Tensor], x: tg.Tensor) -> tuple:
    """f(x), its gradient and a Hessian-vector product along a fixed direction."""
    y = f(x)
    (g,) = tg.autograd.grad(y.sum(), [x], create_graph=True)
    direction = tg.tensor(np.linspace(1, 2, x.size).reshape(x.shape), dtype=x.dtype)
    (h,) = tg.autograd.grad((g * direction).sum(), [x])
    return y, g, h


STABLE: dict[str, Callable[[Any], Any]] = {
    "sigmoid": tg.sigmoid,
    "softplus": tg.softplus,
    "log_softmax": lambda x: F.log_softmax(tg.reshape(x, (2, 3)), dim=1),
    "softmax": lambda x: F.softmax(tg.reshape(x, (2, 3)), dim=0),
    "logsumexp": lambda x: tg.logsumexp(tg.reshape(x, (3, 2)), axis=1),
    "cross_entropy": lambda x: F.cross_entropy(tg.reshape(x, (2, 3)), np.array([2, 0])),
    "cross_entropy_probs_smoothing": lambda x: F.cross_entropy(
        tg.reshape(x, (3, 2)),
        np.array([[0.25, 0.75], [1.0, 0.0], [0.0, 1.0]], dtype=x.dtype),
        label_smoothing=0.1,
    ),
    "cross_entropy_weighted": lambda x: F.cross_entropy(
        tg.reshape(x, (3, 2)),
        np.array([1, 0, 1]),
        weight=np.array([0.5, 2.0], dtype=x.dtype),
        reduction="sum",
    ),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, np.array([1, 0, 1, 0, 1, 0], dtype=x.dtype), reduction="none"
    ),
    "bce_with_logits_pos_weight": lambda x: F.binary_cross_entropy_with_logits(
        x,
        np.array([0, 1, 0, 1, 0.5, 0.5], dtype=x.dtype),
        pos_weight=np.array(3.0, dtype=x.dtype),
    ),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(STABLE))
def test_stable_to_second_order_at_1e4(name: str, dtype: Any) -> None:
    """Values, gradients and Hessian-vector products are finite, warning-free, dtype-kept."""
    x = tg.tensor(BIG, dtype=dtype, requires_grad=True)
    with strict():
        y, g, h = _first_and_second(STABLE[name], x)
    for what, t in (("value", y), ("gradient", g), ("second derivative", h)):
        assert np.isfinite(t.data).all(), f"{name}: non-finite {what} {t.data}"
        assert t.dtype == dtype, f"{name}: {what} dtype {t.dtype}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_values_at_1e4_are_right(dtype: Any) -> None:
    """Not only finite: the saturated values are the limits (sigmoid 0/1, softplus x or 0)."""
    x = tg.tensor([1e4, -1e4], dtype=dtype)
    with strict():
        np.testing.assert_array_equal(tg.sigmoid(x).data, [1.0, 0.0])
        np.testing.assert_array_equal(tg.softplus(x).data, [1e4, 0.0])
        np.testing.assert_allclose(tg.logsumexp(x).data, 1e4)
        np.testing.assert_allclose(F.log_softmax(x).data, [0.0, -2e4])
        loss = F.cross_entropy(tg.reshape(x, (1, 2)), np.array([1]))
        np.testing.assert_allclose(loss.data, 2e4)
        bce = F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0], dtype=dtype))
        np.testing.assert_allclose(bce.data, 1e4)


# ----------------------------------------------------------------------------- NaN traps


def _grads(f: Callable[..., tg.Tensor], *values: Any) -> tuple[list, list]:
    """First derivatives of ``f(*values).sum()`` and the row sums of its Hessian."""
    xs = [tg.tensor(v, requires_grad=True) for v in values]
    first = tg.autograd.grad(f(*xs).sum(), xs, create_graph=True)
    second = []
    for g in first:
        h = tg.autograd.grad(g.sum(), xs, retain_graph=True, allow_unused=True)
        second.append([None if v is None else v.data for v in h])
    return [g.data for g in first], second


def test_power_at_zero_base_second_order() -> None:
    """x ** y at x == 0: d/dx and d2/dx2 are exact for y = 0, 1, 2; d/dy is 0 (0 ** y flat)."""
    with strict():
        (dx, dy), ((dxx, dxy), _) = _grads(lambda x, y: x**y, [0.0, 0.0, 0.0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(dx, [0.0, 1.0, 0.0])  # x**0 flat, x**1 slope 1, x**2 slope 0
    np.testing.assert_array_equal(dxx, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(dy, [0.0, 0.0, 0.0])
    assert np.isfinite(dxy).all()


def test_power_constant_exponent_at_zero() -> None:
    with strict():
        (dx,), ((dxx,),) = _grads(lambda x: x**3.0, [0.0, 1.0])
    np.testing.assert_array_equal(dx, [0.0, 3.0])
    np.testing.assert_array_equal(dxx, [0.0, 6.0])


def test_sqrt_times_zero_at_zero() -> None:
    """sqrt's adjoint multiplied by 0 gives 0 at x == 0, not 0 * inf = NaN, to second order."""
    with strict():
        (dx,), ((dxx,),) = _grads(lambda x: tg.sqrt(x) * 0.0, [0.0, 4.0])
    np.testing.assert_array_equal(dx, [0.0, 0.0])
    np.testing.assert_array_equal(dxx, [0.0, 0.0])


def test_sqrt_inside_single_where() -> None:
    """where(x > 0, sqrt(x), 0): gradient 0 at x == 0 and the true slope elsewhere."""
    with strict():
        (dx,), ((dxx,),) = _grads(lambda x: tg.where(x > 0, tg.sqrt(x), 0.0), [0.0, 4.0])
    np.testing.assert_array_equal(dx, [0.0, 0.25])
    np.testing.assert_allclose(dxx, [0.0, -1 / 32])


def test_sqrt_at_zero_with_nonzero_adjoint_is_inf() -> None:
    """The guard only covers a zero adjoint: the slope of sqrt at 0 is still +inf."""
    x = tg.tensor([0.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        tg.sqrt(x).sum().backward()
    assert x.grad.data[0] == np.inf


def test_double_where_idiom_for_log_second_order() -> None:
    """The idiom documented in ``tg.where``: replace the argument in the untaken branch."""

    def f(x: tg.Tensor) -> tg.Tensor:
        safe = tg.where(x > 0, x, 1.0)
        return tg.where(x > 0, tg.log(safe), 0.0)

    with strict():
        (dx,), ((dxx,),) = _grads(f, [0.0, -1.0, 2.0])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.5])
    np.testing.assert_array_equal(dxx, [0.0, 0.0, -0.25])


def test_norm_at_zero_first_and_second_order_finite() -> None:
    """norm's gradient is 0 at the zero vector (API.md); its second derivative stays finite
    there (mathematically it does not exist, so only finiteness is checked)."""
    with strict():
        (dx,), ((dxx,),) = _grads(lambda x: tg.norm(tg.reshape(x, (2, 2)), axis=1), [0.0, 0, 3, 4])
    np.testing.assert_allclose(dx, [0.0, 0.0, 0.6, 0.8])
    assert np.isfinite(dxx).all()
    np.testing.assert_allclose(dxx[2:], [0.032, -0.024])  # (1 - x^2/r^2)/r - xy/r^3 rows


def test_logsumexp_all_neg_inf_rows_second_order() -> None:
    """A row of all -inf gives -inf with zero first and second derivatives; other rows exact."""
    rows = np.array([-np.inf, -np.inf, 0.0, np.log(3.0)])
    with strict():
        (dx,), ((dxx,),) = _grads(lambda x: tg.logsumexp(tg.reshape(x, (2, 2)), axis=1), rows)
        y = tg.logsumexp(tg.tensor(rows.reshape(2, 2)), axis=1)
    assert y.data[0] == -np.inf
    np.testing.assert_allclose(dx, [0.0, 0.0, 0.25, 0.75])
    np.testing.assert_allclose(dxx, [0.0, 0.0, 0.0, 0.0], atol=1e-15)


def test_log_softmax_with_neg_inf_entry() -> None:
    """A masked (-inf) logit gets probability 0 and gradient 0, finite to second order."""
    with strict():
        (dx,), ((dxx,),) = _grads(
            lambda x: F.log_softmax(tg.reshape(x, (1, 3)), dim=1)[:, 1], [-np.inf, 0.0, 0.0]
        )
    np.testing.assert_allclose(dx, [0.0, 0.5, -0.5])
    assert np.isfinite(dxx).all()


# ----------------------------------------------------------------------------- NaN inputs, kinks


def _first(f: Callable[[tg.Tensor], tg.Tensor], values: list[float]) -> tuple:
    """Gradient (all-ones cotangent) and tangent (all-ones direction) of ``f`` at ``values``."""
    x = tg.tensor(values, requires_grad=True)
    (g,) = tg.autograd.grad(f(x).sum(), [x])
    _, t = tg.jvp(f, (x.detach(),), (tg.ones_like(x),))
    return g.data, t.data


def test_relu_abs_clip_at_nan_and_kinks_match_torch() -> None:
    """torch 2.13: relu passes the gradient at NaN (its rule is ``x <= 0 ? 0 : g``), abs gives 0
    (sgn(NaN) = 0), clamp gives 0 at NaN and wherever a bound is NaN; all give 0 at the kink x == 0.
    At a clip bound tensorgrad keeps API.md's 0 (torch passes 1 there)."""
    nan = np.nan
    with strict():
        for f, values, want in (
            (tg.relu, [nan, 0.0, -0.0, -1.0, 2.0], [1, 0, 0, 0, 1]),
            (tg.abs, [nan, 0.0, -0.0, -1.0, 2.0], [0, 0, 0, -1, 1]),
            (lambda x: tg.clip(x, -1.0, 1.0), [nan, -1.0, 1.0, -2.0, 0.5], [0, 0, 0, 0, 1]),
            (lambda x: tg.clip(x, nan, 1.0), [nan, -1.0, 0.5], [0, 0, 0]),
            (lambda x: tg.clip(x, None, np.array([nan, 1.0, nan])), [0.5, 0.5, nan], [0, 1, 0]),
        ):
            g, t = _first(f, values)
            np.testing.assert_array_equal(g, want)
            np.testing.assert_array_equal(t, want)


@pytest.mark.parametrize(
    ("fn", "wins_a"), [(tg.maximum, [1.0, 0.0]), (tg.minimum, [0.0, 1.0])], ids=["max", "min"]
)
def test_maximum_minimum_at_nan_give_both_arguments_the_gradient(fn: Any, wins_a: list) -> None:
    """torch 2.13: where a or b is NaN the output is NaN and both get the whole gradient (no
    comparison in its rule holds); exact ties of finite or infinite values split it half and
    half (API.md). The tangent is the transpose: ta + tb at a NaN (torch's forward mode gives tb
    alone there, disagreeing with its own backward)."""
    nan, inf = np.nan, np.inf
    a = np.array([nan, 1.0, nan, 1.0, inf, 2.0, 1.0])
    b = np.array([1.0, nan, nan, 1.0, inf, 1.0, 2.0])
    want_a = np.array([1.0, 1.0, 1.0, 0.5, 0.5, *wins_a])
    want_b = np.array([1.0, 1.0, 1.0, 0.5, 0.5, *wins_a[::-1]])
    ta, tb = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    delta = np.linspace(1.0, 2.0, a.size)  # (not all ones)
    with strict():
        ga, gb = tg.autograd.grad(fn(ta, tb), [ta, tb], grad_outputs=delta)
        _, tangent = tg.jvp(fn, (a, b), (delta, 3 * delta))
    np.testing.assert_array_equal(ga.data, delta * want_a)
    np.testing.assert_array_equal(gb.data, delta * want_b)
    np.testing.assert_array_equal(tangent.data, delta * want_a + 3 * delta * want_b)
    # the same rule when it is recorded (create_graph: it sees Tensors)
    with strict():
        ga, gb = tg.autograd.grad(fn(ta, tb), [ta, tb], grad_outputs=delta, create_graph=True)
    np.testing.assert_array_equal(ga.data, delta * want_a)
    np.testing.assert_array_equal(gb.data, delta * want_b)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_singular_norms_at_ties_and_zero_are_finite_to_second_order(ord: Any) -> None:
    """The zero matrix, tied and zero singular values: the rules divide by gaps and sums of
    singular values, guarded so that first and second derivatives stay finite, warning-free."""
    for a in (np.zeros((2, 3)), np.eye(3), np.array([[1.0, 2.0], [2.0, 4.0]]), np.ones((3, 2))):
        with strict():
            (dx,), ((dxx,),) = _grads(lambda x: tg.norm(x, ord=ord), a)
        assert np.isfinite(dx).all() and np.isfinite(dxx).all(), (ord, a)
