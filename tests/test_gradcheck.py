"""gradcheck / gradgradcheck on the edges of their inputs: 0-d and zero-size tensors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize("check", [tg.gradcheck, tg.gradgradcheck])
def test_0d_inputs_stay_0d(check) -> None:
    seen = []

    def fn(a, b):
        seen.append((a.shape, b.shape))
        return tg.dot(a, b) * a

    a = tg.tensor(2.0, dtype=np.float32, requires_grad=True)
    assert check(fn, [a, tg.tensor(3.0, requires_grad=True)])
    assert check(tg.dot, [a, tg.tensor(3.0, requires_grad=True)])
    assert set(seen) == {((), ())}


@pytest.mark.parametrize("check", [tg.gradcheck, tg.gradgradcheck])
@pytest.mark.parametrize(
    ("fn", "shape"),
    [
        (lambda x: x.sum(), (0,)),  # zero-size input, one-element output
        (lambda x: x * 2.0, (2, 0)),  # both zero-size
        (lambda x: (x * x)[:0], (3,)),  # zero-size output
        (lambda x: (x[:0].sum(), x * x), (2,)),  # two outputs, one of them constant in x
    ],
)
def test_zero_size_inputs_and_outputs_pass(check, fn, shape) -> None:
    assert check(fn, [tg.ones(*shape, requires_grad=True)])


def test_zero_size_checks_still_compare_the_other_inputs() -> None:
    def wrong(x, e):
        out = tg.tensor(x.data * 3.0)  # (a constant: its gradient is missing)
        return out + x + e.sum()

    with pytest.raises(tg.GradcheckError, match="input 0"):
        tg.gradcheck(wrong, [tg.ones(2, requires_grad=True), tg.ones(0, requires_grad=True)])


def test_gradgradcheck_needs_one_grad_output_per_output() -> None:
    # (with fewer, zip dropped the outputs past the last: a wrong second derivative passed)
    def f(a):
        y = a * 1.0
        y.register_hook(lambda g: g.detach())  # (cuts the second-order graph through y)
        return a**3, tg.sin(y)

    x = tg.tensor([0.3, -0.7, 1.1], requires_grad=True)
    with pytest.raises(tg.GradcheckError):
        tg.gradgradcheck(f, [x], grad_outputs=[np.ones(3), np.ones(3)])
    with pytest.raises(ValueError, match="got 1 grad_outputs for 2 outputs"):
        tg.gradgradcheck(f, [x], grad_outputs=[np.ones(3)])
    with pytest.raises(ValueError, match=r"grad_outputs\[1\] has shape \(2,\)"):
        tg.gradgradcheck(f, [x], grad_outputs=[np.ones(3), np.ones(2)])


def test_outputs_that_are_not_tensors_count_as_constants() -> None:
    x = tg.tensor([0.3, -0.7], requires_grad=True)
    assert tg.gradcheck(lambda a: (a * 2.0, 3.0), [x])
    assert tg.gradgradcheck(lambda a: (a**3, 3.0), [x])


def test_raise_exception_false_returns_false() -> None:
    def wrong(x):
        return tg.tensor(x.data * 3.0) + x  # (a constant part: its gradient is missing)

    x = tg.ones(2, requires_grad=True)
    assert tg.gradcheck(wrong, [x], raise_exception=False) is False
    assert tg.gradgradcheck(lambda a: wrong(a) * a, [x], raise_exception=False) is False
    assert tg.gradcheck(lambda a: a * a, [x], raise_exception=False) is True
    with pytest.raises(ValueError, match="no input requires grad"):  # (a usage error raises)
        tg.gradcheck(wrong, [tg.ones(2)], raise_exception=False)


def test_outputs_that_do_not_require_grad_are_declared_constant() -> None:
    # (as torch's: a detached output is not compared; with no output requiring grad, the
    # numerical derivatives must all be 0)
    x = tg.tensor([0.3, -0.7], requires_grad=True)
    assert tg.gradcheck(lambda a: (a * a, (a * 2.0).detach()), [x])
    assert tg.gradcheck(lambda a: tg.argmax(a), [x])
    with pytest.raises(tg.GradcheckError, match="no output requires grad.*output 0.*input 0"):
        tg.gradcheck(lambda a: (a * 2.0).detach(), [x])
    # gradgradcheck compares a first derivative that was not recorded (here d/da, beside a
    # recorded d/db): it must be constant
    with pytest.raises(tg.GradcheckError, match="input 0"):
        tg.gradgradcheck(_unrecorded_in_a, [x, tg.tensor([1.5, 0.2], requires_grad=True)])


def _unrecorded_in_a(a: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
    y = a * 1.0
    y.register_hook(lambda g: g.detach())  # (cuts the second-order graph through y)
    return tg.sin(y) + b * b


def test_backward_that_is_not_reentrant_fails() -> None:
    calls = []

    def drifting(x):
        y = x * 1.0

        def hook(g):
            calls.append(1)
            return g * (1.0 + 1e-3 * len(calls))

        y.register_hook(hook)
        return y * y

    x = tg.tensor([0.3, -0.7], requires_grad=True)
    with pytest.raises(tg.GradcheckError, match="not reentrant.*nondet_tol=0.0"):
        tg.gradcheck(drifting, [x], atol=1.0)
    calls.clear()
    assert tg.gradcheck(drifting, [x], atol=1.0, nondet_tol=1.0)


def test_bad_tolerances_and_outputs_are_named() -> None:
    # (were NumPy's UFuncTypeError for eps="x" and "could not convert string to float")
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: eps must be a number, got 'x'"):
        tg.gradcheck(lambda a: a * 2, (x,), eps="x")
    with pytest.raises(TypeError, match="gradgradcheck: atol must be a number, got None"):
        tg.gradgradcheck(lambda a: a * a, (x,), atol=None)
    with pytest.raises(TypeError, match="gradcheck: fn must return Tensors, got str"):
        tg.gradcheck(lambda a: "x", (x,))


def test_a_tolerance_that_is_a_tensor_requiring_grad_is_read_by_its_value() -> None:
    # (as torch's gradcheck; 4658019's number_arg refused one, which had worked before)
    x = tg.tensor([0.3, -0.7], requires_grad=True)
    eps = tg.tensor(1e-6, requires_grad=True)
    assert tg.gradcheck(lambda a: a * a, (x,), eps=eps, atol=tg.tensor(1e-5, requires_grad=True))
    assert tg.gradgradcheck(lambda a: a * a * a, (x,), eps=eps)


@pytest.mark.parametrize(
    "kwargs",
    [{"atol": -1.0}, {"rtol": float("nan")}, {"nondet_tol": -1.0}, {"eps": 0.0}, {"eps": np.inf}],
)
def test_tolerances_and_step_are_checked(kwargs) -> None:
    # (a negative or NaN tolerance reported a false Jacobian mismatch, 'analytic 0.0, numerical
    # 0.0'; torch refuses the tolerances)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for check in (tg.gradcheck, tg.gradgradcheck):
        with pytest.raises(ValueError, match=f"{next(iter(kwargs))} must be"):
            check(lambda a: a**3, (x,), **kwargs)


def test_a_mismatch_prints_plain_numbers() -> None:
    # (it printed 'analytic np.float64(3.0), numerical np.float64(2.0)')
    x = tg.tensor([1.0, 2.0], requires_grad=True)

    class Wrong(tg.ops._base.Op):
        def forward(self, a):
            return a * 2.0

        def generate_adjoints(self, adjoints, delta, *args):
            adjoints[0] = delta * 3.0

    with pytest.raises(tg.GradcheckError, match=r"analytic 3\.0, numerical 1\.99999"):
        tg.gradcheck(lambda a: tg.ops._base.call(Wrong, a), (x,))
