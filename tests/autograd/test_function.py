"""tg.autograd.Function: custom forward and backward, recorded as one node."""

from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import Function, once_differentiable


class Exp(Function):
    """exp, saving its output."""

    @staticmethod
    def forward(ctx: Any, x: tg.Tensor) -> tg.Tensor:
        y = tg.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: tg.Tensor) -> tg.Tensor:
        (y,) = ctx.saved_tensors
        return g * y


class Cube(Function):
    """x ** 3 with a scale (a non-tensor argument), saving its input; setup_context style."""

    @staticmethod
    def forward(x: tg.Tensor, scale: float) -> tg.Tensor:
        return scale * x**3

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: tg.Tensor) -> None:
        x, scale = inputs
        ctx.save_for_backward(x)
        ctx.scale = scale

    @staticmethod
    def backward(ctx: Any, g: tg.Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        return g * 3 * ctx.scale * x**2, None

    @staticmethod
    def jvp(ctx: Any, t: tg.Tensor, _: None) -> tg.Tensor:
        (x,) = ctx.saved_tensors
        return 3 * ctx.scale * x**2 * t


class ProductAndSum(Function):
    """Two outputs of two inputs: a * b and a + b, and an integer output (an argmax)."""

    @staticmethod
    def forward(ctx: Any, a: tg.Tensor, b: tg.Tensor) -> tuple:
        ctx.save_for_backward(a, b)
        return a * b, a + b, tg.argmax(a)

    @staticmethod
    def backward(ctx: Any, g_prod: tg.Tensor, g_sum: tg.Tensor) -> tuple:
        a, b = ctx.saved_tensors
        return g_prod * b + g_sum, g_prod * a + g_sum


def test_backward_and_grad_fn() -> None:
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward" and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp(x.data))
    with pytest.raises(RuntimeError):  # (the saved values were freed)
        y.sum().backward()


def test_nothing_is_recorded_without_grad() -> None:
    y = Exp.apply(tg.tensor([1.0]))
    assert not y.requires_grad and y.grad_fn is None
    with tg.no_grad():
        assert Exp.apply(tg.tensor([1.0], requires_grad=True)).grad_fn is None


@pytest.mark.parametrize("fn", [lambda x: Cube.apply(x, 2.0), Exp.apply])
def test_first_and_second_order_against_finite_differences(fn: Any) -> None:
    x = tg.tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    assert tg.gradcheck(fn, [x])
    assert tg.gradgradcheck(fn, [x])


def test_several_outputs_one_backward() -> None:
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 5.0], requires_grad=True)
    prod, total, index = ProductAndSum.apply(a, b)
    assert index.dtype == np.int64 and not index.requires_grad and index.item() == 1
    (prod.sum() + 3 * total.sum()).backward()
    np.testing.assert_allclose(a.grad.data, b.data + 3)
    np.testing.assert_allclose(b.grad.data, a.data + 3)
    a.grad = b.grad = None
    ProductAndSum.apply(a, b)[0].sum().backward()  # (the other's gradient: zeros)
    np.testing.assert_allclose(a.grad.data, b.data)
    assert tg.gradcheck(lambda u, v: ProductAndSum.apply(u, v)[0], [a, b])
    assert tg.gradgradcheck(lambda u, v: ProductAndSum.apply(u, v)[1] ** 2, [a, b])


def test_ctx_needs_input_grad_and_mark_non_differentiable() -> None:
    seen = []

    class Split(Function):
        @staticmethod
        def forward(ctx: Any, x: tg.Tensor, y: tg.Tensor, k: int) -> tuple:
            seen.append(ctx.needs_input_grad)
            big, small = x * k, y * 1.0
            ctx.mark_non_differentiable(small)
            return big, small

        @staticmethod
        def backward(ctx: Any, g: tg.Tensor) -> tuple:
            return g * 2.0, None, None

    x = tg.tensor([1.0], requires_grad=True)
    big, small = Split.apply(x, tg.tensor([4.0]), 2)
    assert seen == [(True, False, False)] and big.requires_grad and not small.requires_grad
    big.backward(tg.ones(1))
    assert x.grad.item() == 2.0


def test_forward_mode_needs_jvp() -> None:
    x, t = tg.tensor([0.5, 2.0]), tg.tensor([1.0, -1.0])
    _, tangent = tg.jvp(lambda v: Cube.apply(v, 2.0), (x,), (t,))
    np.testing.assert_allclose(tangent.data, 6 * x.data**2 * t.data)
    np.testing.assert_allclose(
        tg.jacfwd(lambda v: Cube.apply(v, 1.0))(x).data, np.diag(3 * x.data**2)
    )
    with pytest.raises(RuntimeError, match="ProductAndSum: forward mode needs a jvp"):
        tg.jvp(lambda v: ProductAndSum.apply(v, v)[0], (x,), (t,))


def test_once_differentiable_refuses_a_second_derivative() -> None:
    class Square(Function):
        @staticmethod
        def forward(ctx: Any, x: tg.Tensor) -> tg.Tensor:
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx: Any, g: tg.Tensor) -> tg.Tensor:
            assert not tg.is_grad_enabled()
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x)
    (g,) = tg.autograd.grad(y, x, tg.ones(2, requires_grad=True), create_graph=True)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    with pytest.raises(RuntimeError, match="Square: its backward is marked once_differentiable"):
        g.sum().backward()


def test_errors_name_the_function() -> None:
    class Short(Function):
        @staticmethod
        def forward(ctx: Any, x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
            return x * y

        @staticmethod
        def backward(ctx: Any, g: tg.Tensor) -> tg.Tensor:
            return g

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Short.backward returned 1 gradients, expected 2"):
        Short.apply(x, x).sum().backward()

    class WrongShape(Function):
        @staticmethod
        def forward(ctx: Any, x: tg.Tensor) -> tg.Tensor:
            return x.sum()

        @staticmethod
        def backward(ctx: Any, g: tg.Tensor) -> tg.Tensor:
            return tg.ones(3)

    with pytest.raises(
        RuntimeError,
        match=r"WrongShape.backward returned a gradient of shape \(3,\) for argument 0, of sh",
    ):
        WrongShape.apply(x).backward()
    with pytest.raises(TypeError, match="save_for_backward takes Tensors or None, got a float"):

        class Saves(Function):
            @staticmethod
            def forward(ctx: Any, x: tg.Tensor) -> tg.Tensor:
                ctx.save_for_backward(x, 1.0)
                return x

        Saves.apply(x)
    with pytest.raises(RuntimeError, match="call Exp.apply"):
        Exp()

    x2 = x * 1.0
    y = Cube.apply(x2, 1.0)
    with tg.no_grad():
        x2 += 1.0  # (a saved input written in place before the backward)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_forward_over_reverse_without_create_graph() -> None:
    """The tangents ride on the saved values while the delta is an array (the review's case)."""
    x = tg.tensor(np.array([1.0, 2.0, -0.5]))
    _, hv = tg.jvp(tg.grad(lambda a: Cube.apply(a, 1.0).sum()), (x,), (tg.ones(3),))
    np.testing.assert_allclose(hv.data, 6 * x.data)  # (the review's case gave zeros)
