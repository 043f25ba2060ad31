"""Higher order, forward mode and function transforms (exact cases)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg


def test_fifth_derivative_of_sin() -> None:
    f = tg.sin
    for _ in range(5):
        f = tg.grad(f)
    assert f(0.7).item() == pytest.approx(math.cos(0.7), rel=1e-12)


def test_x4_with_create_graph() -> None:
    x = tg.tensor(2.0, requires_grad=True)
    (g,) = tg.autograd.grad(x**4, x, create_graph=True)
    assert g.item() == 32.0
    (h,) = tg.autograd.grad(g, x)
    assert h.item() == 48.0


def test_backward_create_graph_then_backward_again() -> None:
    x = tg.tensor(2.0, requires_grad=True)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert g.item() == 12.0 and g.requires_grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0  # d(3x^2)/dx = 6x


def test_jacfwd_equals_jacrev_non_square() -> None:
    rng = np.random.default_rng(0)
    a = tg.tensor(rng.standard_normal((3, 2)))

    def f(x):
        return tg.tanh(a @ x) * tg.sum(x**2)

    x = rng.standard_normal(2)
    jf, jr = tg.jacfwd(f)(x), tg.jacrev(f)(x)
    assert jf.shape == jr.shape == (3, 2)
    np.testing.assert_allclose(jf.data, jr.data, rtol=1e-12, atol=1e-14)


def test_jacobian_shape_is_out_plus_in() -> None:
    def f(x):
        return tg.reshape(x, (3, 2)) * 2.0

    x = np.ones((2, 3))
    assert tg.jacrev(f)(x).shape == (3, 2, 2, 3)
    assert tg.jacfwd(f)(x).shape == (3, 2, 2, 3)


def test_perturbation_confusion() -> None:
    def outer(x):
        return x * tg.grad(lambda y: x + y)(1.0)

    assert tg.grad(outer)(2.0).item() == 1.0

    def outer_fwd(x):
        inner = tg.jvp(lambda y: x * y, (tg.tensor(1.0),), (tg.tensor(1.0),))[1]
        return x * inner

    _, t = tg.jvp(outer_fwd, (tg.tensor(2.0),), (tg.tensor(1.0),))
    assert t.item() == 4.0  # d/dx x * x = 2x


def test_seed_forward_mode_example() -> None:
    def f(x1, x2):
        return x1 * x2 + tg.sin(x1)

    out, t1 = tg.jvp(f, (tg.tensor(2.0), tg.tensor(3.0)), (tg.tensor(1.0), tg.tensor(0.0)))
    _, t2 = tg.jvp(f, (tg.tensor(2.0), tg.tensor(3.0)), (tg.tensor(0.0), tg.tensor(1.0)))
    assert out.item() == pytest.approx(6 + math.sin(2))
    assert t1.item() == pytest.approx(3 + math.cos(2), rel=1e-15)
    assert t2.item() == 2.0
    g1, g2 = tg.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert g1.item() == pytest.approx(t1.item(), rel=1e-15) and g2.item() == t2.item()


def test_value_and_grad_layouts() -> None:
    def f(x, y):
        return (x * y).sum(), {"n": 3}

    (v, aux), g = tg.value_and_grad(f, argnums=1, has_aux=True)(np.array([1.0, 2.0]), np.ones(2))
    assert v.item() == 3.0 and aux == {"n": 3}
    np.testing.assert_array_equal(g.data, [1.0, 2.0])
    g, aux = tg.grad(f, has_aux=True)(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    np.testing.assert_array_equal(g.data, [3.0, 4.0])
    gx, gy = tg.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(np.ones(2), np.full(2, 2.0))
    np.testing.assert_array_equal(gx.data, [2.0, 2.0])
    np.testing.assert_array_equal(gy.data, [1.0, 1.0])


def test_grad_requires_scalar_output() -> None:
    with pytest.raises(TypeError, match="one-element"):
        tg.grad(lambda x: x * 2)(np.ones(3))


def test_vjp() -> None:
    out, vjp_fn = tg.vjp(lambda x, y: x * y, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    gx, gy = vjp_fn(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(out.data, [3.0, 8.0])
    np.testing.assert_array_equal(gx.data, [3.0, 40.0])
    np.testing.assert_array_equal(gy.data, [1.0, 20.0])
    gx2, _ = vjp_fn(np.array([1.0, 0.0]))  # callable again
    np.testing.assert_array_equal(gx2.data, [3.0, 0.0])


def _f_hvp(x, a):
    return tg.sum(tg.tanh(a @ x) ** 2)


def test_hessian_and_hvp_match_hand_written() -> None:
    rng = np.random.default_rng(1)
    a_np = rng.standard_normal((5, 4)) / 2
    a = tg.tensor(a_np)
    x = rng.standard_normal(4)
    v = rng.standard_normal(4)
    t = np.tanh(a_np @ x)
    h_of_z = 2 * (1 - t**2) * (1 - 3 * t**2)
    expected_hv = a_np.T @ (h_of_z * (a_np @ v))
    value, (hv,) = tg.hvp(lambda x: _f_hvp(x, a), (x,), (v,))
    assert value.item() == pytest.approx(np.sum(t**2))
    np.testing.assert_allclose(hv.data, expected_hv, rtol=1e-12, atol=1e-14)
    hess = tg.hessian(lambda x: _f_hvp(x, a))(x)
    assert hess.shape == (4, 4)
    np.testing.assert_allclose(hess.data, a_np.T @ (h_of_z[:, None] * a_np), rtol=1e-12)
    np.testing.assert_allclose(tg.jacfwd(tg.jacrev(lambda x: _f_hvp(x, a)))(x).data, hess.data)
    np.testing.assert_allclose(tg.jacrev(tg.jacrev(lambda x: _f_hvp(x, a)))(x).data, hess.data)


def test_hvp_stays_differentiable_when_something_outside_needs_it() -> None:
    x_np, v_np, w_np = (
        np.array([0.5, -1.5, 2.0]),
        np.array([1.0, 2.0, -0.5]),
        np.array([2.0, 3.0, 0.5]),
    )
    # nothing outside requires grad: H v = 6 w x v, and it carries no graph
    w_const = tg.tensor(w_np)
    _, (hv,) = tg.hvp(lambda x: tg.sum(w_const * x**3), (x_np,), (v_np,))
    np.testing.assert_allclose(hv.data, 6 * w_np * x_np * v_np)
    assert not hv.requires_grad
    # a closed-over parameter requires grad: d sum(H v) / dw = 6 x v
    w = tg.tensor(w_np, requires_grad=True)
    _, (hv,) = tg.hvp(lambda x: tg.sum(w * x**3), (x_np,), (v_np,))
    np.testing.assert_allclose(hv.data, 6 * w_np * x_np * v_np)
    (gw,) = tg.autograd.grad(hv.sum(), [w])
    np.testing.assert_allclose(gw.data, 6 * x_np * v_np)
    # the primal requires grad (third order): d sum(H v) / dx = 6 w v
    x = tg.tensor(x_np, requires_grad=True)
    _, (hv,) = tg.hvp(lambda x: tg.sum(w_const * x**3), (x,), (v_np,))
    (gx,) = tg.autograd.grad(hv.sum(), [x])
    np.testing.assert_allclose(gx.data, 6 * w_np * v_np)


def test_forward_mode_over_hvp() -> None:
    # the value keeps the tangent of an enclosing jvp, and H v is differentiated forward
    x, v, u = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 3.0]), np.array([0.3, -0.2, 0.1])

    def f(x):
        return tg.sum(x**4)

    _, value_tangent = tg.jvp(lambda x: tg.hvp(f, (x,), (v,))[0], (x,), (u,))
    assert value_tangent.item() == pytest.approx(np.sum(4 * x**3 * u))
    hv, hv_tangent = tg.jvp(lambda x: tg.hvp(f, (x,), (v,))[1][0], (x,), (u,))
    np.testing.assert_allclose(hv.data, 12 * x**2 * v)
    np.testing.assert_allclose(hv_tangent.data, 24 * x * v * u)


def test_closed_over_parameters_stay_connected() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)

    def f(x):
        return tg.sum(w * x**2)

    g = tg.grad(f)(np.array([3.0, 4.0]))  # 2 w x
    np.testing.assert_array_equal(g.data, [6.0, 16.0])
    assert g.requires_grad  # a gradient penalty can backpropagate into w
    g.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [6.0, 8.0])


def test_constant_closure_not_differentiated() -> None:
    c = tg.tensor(3.0)
    g = tg.grad(lambda x: c * x)(2.0)
    assert g.item() == 3.0 and not g.requires_grad


def test_no_grad_does_not_stop_jvp() -> None:
    with tg.no_grad():
        _, t = tg.jvp(lambda x: tg.exp(x), (tg.tensor(0.0),), (tg.tensor(2.0),))
    assert t.item() == 2.0


def test_detach_in_place_inside_jvp_drops_the_tangent_as_torch_func() -> None:
    def f(x: tg.Tensor) -> tg.Tensor:
        y = x * 2
        y.detach_()
        return y * 1 + x

    _, t = tg.jvp(f, (tg.tensor(np.ones(2)),), (tg.tensor(np.ones(2)),))
    np.testing.assert_array_equal(t.data, [1.0, 1.0])


def test_jvp_with_respect_to_an_inner_jvps_direction() -> None:
    # d/dv of the tangent cos(x) v along u is cos(x) u: forward over forward in the direction
    x0 = tg.tensor([0.5, 1.0])

    def inner(v: tg.Tensor) -> tg.Tensor:
        return tg.jvp(tg.sin, (x0,), (v,))[1]

    _, t = tg.jvp(inner, (tg.tensor([1.0, 2.0]),), (tg.tensor([1.0, 1.0]),))
    np.testing.assert_allclose(t.data, np.cos(x0.data), rtol=1e-15)


def test_an_outer_no_grad_leaves_transform_outputs_and_aux_plain() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = tg.tensor([0.5, -1.0])
    with tg.no_grad():
        out, _ = tg.vjp(lambda a: tg.sin(a * w), x)
        _, aux = tg.grad(lambda a: ((a * w).sum(), a * w), has_aux=True)(x)
    assert not out.requires_grad and not aux.requires_grad


def test_jvp_gives_tangents_in_the_primal_dtype() -> None:
    # (a float64 tangent of a float32 primal is cast, docs/API.md; torch.func keeps float64)
    x = tg.tensor(np.array([1.0, 2.0], np.float32))
    _, t = tg.jvp(lambda a: a, (x,), (tg.tensor([1 / 3, 1.0]),))
    assert t.dtype == np.float32 and t.data[0] == np.float32(1 / 3)


def test_reverse_transforms_differentiate_under_an_outer_no_grad() -> None:
    # As torch.func.grad under torch.no_grad: the transform differentiates what f computes
    # (before, every gradient came back as zeros); the results are plain tensors.
    def f(x: tg.Tensor) -> tg.Tensor:
        return tg.sum(tg.sin(x) ** 3)

    w = tg.tensor([0.3, 0.7], requires_grad=True)
    s, c = np.sin(w.data), np.cos(w.data)
    slope, curvature = 3 * s * s * c, 6 * s * c * c - 3 * s**3
    with tg.no_grad():
        value, g = tg.value_and_grad(f)(w)
        (g_vjp,) = tg.vjp(f, w)[1](tg.tensor(1.0))
        results = {
            "grad": g,
            "vjp": g_vjp,
            "jacrev": tg.jacrev(f)(w),
            "grad of grad": tg.grad(lambda x: tg.sum(tg.grad(f)(x)))(w),
            "hessian": tg.hessian(f)(w)[[0, 1], [0, 1]],
            "hvp": tg.hvp(f, (w,), (tg.ones(2),))[1][0],
        }
        assert not tg.is_grad_enabled()
    assert not value.requires_grad and value.item() == pytest.approx(np.sum(s**3))
    for name, r in results.items():
        expected = slope if name in ("grad", "vjp", "jacrev") else curvature
        np.testing.assert_allclose(r.data, expected, rtol=1e-12, err_msg=name)
        assert not r.requires_grad, name


def test_no_grad_inside_f_still_holds_in_a_transform() -> None:
    def f(x: tg.Tensor) -> tg.Tensor:
        with tg.no_grad():
            y = x * 2.0  # a constant to the transform
        return tg.sum(x * y)

    g = tg.grad(f)(tg.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(g.data, [2.0, 4.0])


def test_nested_grad_of_grad() -> None:
    f = tg.grad(tg.grad(lambda x: x**3))
    assert f(2.0).item() == 12.0


def test_jvp_returns_tuple_for_tuple_output() -> None:
    out, t = tg.jvp(lambda x: (x * 2, x * x), (tg.tensor(3.0),), (tg.tensor(1.0),))
    assert isinstance(out, tuple) and [o.item() for o in out] == [6.0, 9.0]
    assert [v.item() for v in t] == [2.0, 6.0]


def test_gradcheck_and_gradgradcheck() -> None:
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda x: tg.softmax(x) * x, (x,))
    assert tg.gradgradcheck(lambda x: tg.softmax(x) * x, (x,))

    def wrong(x):
        return tg.ops.alias(x) * tg.tensor(x.data)  # hides one factor from the graph

    with pytest.raises(tg.GradcheckError, match="input 0"):
        tg.gradcheck(wrong, (x,))
    assert issubclass(tg.GradcheckError, AssertionError)


def test_grad_under_no_grad_keeps_a_closed_over_graph() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = tg.exp(w)
    with tg.no_grad():
        g = tg.grad(lambda x: tg.sum(h * x))(tg.tensor([1.0, 1.0]))
    np.testing.assert_allclose(g.data, np.exp([1.0, 2.0]))
    tg.sum(h).backward()  # the user's own graph was not freed by the transform
    np.testing.assert_allclose(w.grad.data, np.exp([1.0, 2.0]))


def test_value_and_grad_value_is_plain_unless_an_outer_graph_needs_it() -> None:
    value, _ = tg.value_and_grad(lambda x: tg.sum(x * x))(tg.tensor([1.0, 2.0]))
    assert not value.requires_grad and value.grad_fn is None
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    value, g = tg.value_and_grad(lambda x: tg.sum(x * x * w))(tg.tensor([1.0, 2.0]))
    assert value.requires_grad and g.requires_grad  # both hang on w
    (value + tg.sum(g)).backward()
    np.testing.assert_allclose(w.grad.data, [1.0 + 2.0, 4.0 + 4.0])


def test_hessian_with_several_argnums_and_jacfwd_of_several_outputs() -> None:
    a, b = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])
    h = tg.hessian(lambda a, b: tg.sum(a * a * b), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(h[0][0].data, np.diag(2 * b.data))
    np.testing.assert_allclose(h[0][1].data, np.diag(2 * a.data))
    np.testing.assert_allclose(h[1][0].data, np.diag(2 * a.data))
    np.testing.assert_allclose(h[1][1].data, np.zeros((2, 2)))
    j_double, j_total = tg.jacfwd(lambda x: (x * 2.0, tg.sum(x)))(a)
    np.testing.assert_allclose(j_double.data, 2 * np.eye(2))
    np.testing.assert_allclose(j_total.data, [1.0, 1.0])
    empty = tg.jacfwd(lambda x: x * 2.0)(tg.tensor(np.zeros(0, np.float32)))
    assert empty.shape == (0, 0) and empty.dtype == np.float32
    with pytest.raises(ValueError, match="names an argument twice"):
        tg.grad(lambda a, b: tg.sum(a * b), argnums=(0, 0))(a, b)


def test_gradcheck_of_views_and_of_non_contiguous_inputs() -> None:
    # (a view output was overwritten by the next perturbation; a transposed input was
    # perturbed through a copy: both read as a zero numerical derivative)
    x = tg.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    for f in (lambda a: a, lambda a: a.T, lambda a: a[0], lambda a: tg.reshape(a, (-1,))):
        assert tg.gradcheck(f, (x,))
    transposed = tg.tensor(np.random.default_rng(1).standard_normal((3, 2)).T, requires_grad=True)
    assert tg.gradcheck(tg.sin, (transposed,))


def test_failing_gradgradcheck_names_itself() -> None:
    x = tg.tensor([0.5, -1.0], requires_grad=True)

    def wrong(x):
        return tg.ops.alias(x) * tg.tensor(x.data)  # hides one factor from the graph

    with pytest.raises(tg.GradcheckError, match="^gradgradcheck: Jacobian mismatch"):
        tg.gradgradcheck(wrong, (x,))
    with pytest.raises(ValueError, match="^gradgradcheck: no input"):
        tg.gradgradcheck(wrong, (tg.tensor([1.0]),))


def test_vjp_fn_is_differentiable_in_its_cotangent() -> None:
    # d/dc of vjp_fn(c) = J^T c is J^T (as torch.func); it silently gave zeros
    x = tg.tensor([0.3, 0.4])
    _, fn = tg.vjp(lambda x: tg.sin(x) * x[0], x)
    jac = tg.jacfwd(lambda x: tg.sin(x) * x[0])(x).data
    np.testing.assert_allclose(tg.jacrev(lambda c: fn(c)[0])(tg.ones(2)).data, jac.T)
    np.testing.assert_allclose(tg.grad(lambda c: tg.sum(fn(c)[0]))(tg.ones(2)).data, jac.sum(1))
    c = tg.tensor([1.0, 1.0], requires_grad=True)
    (g,) = fn(c)
    assert g.requires_grad
    g.sum().backward()
    np.testing.assert_allclose(c.grad.data, jac.sum(1))


def test_jacrev_takes_tuple_outputs_and_keyword_arguments() -> None:
    x = tg.tensor([1.0, 2.0])
    for jac in (tg.jacrev, tg.jacfwd):
        a, b = jac(lambda a: (a * 2, tg.sum(a)))(x)
        np.testing.assert_array_equal(a.data, 2 * np.eye(2))
        np.testing.assert_array_equal(b.data, [1.0, 1.0])
        np.testing.assert_array_equal(jac(lambda a, k=1.0: a * k)(x, k=3.0).data, 3 * np.eye(2))
    (da, db), (sa, sb) = tg.jacrev(lambda a, b: (a * b, a + b), argnums=(0, 1))(x, x)
    np.testing.assert_array_equal(da.data, np.diag(x.data))
    np.testing.assert_array_equal(sb.data, np.eye(2))


def test_aux_tensors_inside_containers_come_back_plain() -> None:
    import collections

    Pair = collections.namedtuple("Pair", "p q")
    g, aux = tg.grad(
        lambda x: (tg.sum(x * x), {"a": x * 2, "b": [x + 1, 3], "c": Pair(x, 1)}), has_aux=True
    )(tg.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert not aux["a"].requires_grad and not aux["b"][0].requires_grad
    assert isinstance(aux["c"], Pair) and not aux["c"].p.requires_grad
    np.testing.assert_array_equal(aux["a"].data, [2.0, 4.0])


def _sinx0(x):
    return tg.sin(x) * x[0]


def _sinx0_jacobian(x: np.ndarray) -> np.ndarray:
    jac = np.diag(np.cos(x) * x[0])
    jac[:, 0] += np.sin(x)
    return jac


def _is_plain(t: tg.Tensor) -> bool:
    return not t.requires_grad and t.grad_fn is None


def test_jacobians_of_vjp_fn_in_its_cotangent_come_back_plain() -> None:
    # they hang on vjp's own leaf, which the engine took for a user's: requires_grad=True
    x_np, c_np = np.array([0.3, -0.4, 1.1]), np.array([1.0, -2.0, 0.5])
    jac = _sinx0_jacobian(x_np)
    out, fn = tg.vjp(_sinx0, tg.tensor(x_np))
    assert _is_plain(out)  # as torch.func: only vjp's own leaf influences it
    (g,) = fn(tg.tensor(c_np))
    np.testing.assert_allclose(g.data, jac.T @ c_np, rtol=1e-13)
    assert _is_plain(g)
    jr = tg.jacrev(lambda c: fn(c)[0])(tg.tensor(c_np))
    jf = tg.jacfwd(lambda c: fn(c)[0])(tg.tensor(c_np))
    gs = tg.grad(lambda c: tg.sum(fn(c)[0] ** 2))(tg.tensor(c_np))
    for name, r, expected in (
        ("jacrev", jr, jac.T),
        ("jacfwd", jf, jac.T),
        ("grad", gs, 2 * jac @ jac.T @ c_np),
    ):
        np.testing.assert_allclose(r.data, expected, rtol=1e-12, atol=1e-15, err_msg=name)
        assert _is_plain(r), name
    # a cotangent that requires grad: vjp_fn(c) hangs on c, J^T (linear in c) does not
    c = tg.tensor(c_np, requires_grad=True)
    assert fn(c)[0].requires_grad
    jc = tg.jacrev(lambda c: fn(c)[0])(c)
    np.testing.assert_allclose(jc.data, jac.T, rtol=1e-12)
    assert _is_plain(jc)

    # inside an enclosing transform the inner results stay differentiable for it:
    # d/dx sum((J^T)^2) by central differences
    def outer(x):
        _, fn = tg.vjp(_sinx0, x)
        return tg.sum(tg.jacrev(lambda c: fn(c)[0])(tg.tensor(c_np)) ** 2)

    gx = tg.grad(outer)(tg.tensor(x_np))
    assert _is_plain(gx)
    eps = 1e-6
    fd = [
        (np.sum(_sinx0_jacobian(x_np + e) ** 2) - np.sum(_sinx0_jacobian(x_np - e) ** 2)) / 2 / eps
        for e in np.eye(3) * eps
    ]
    np.testing.assert_allclose(gx.data, fd, rtol=1e-7)


def test_transform_results_hang_on_user_tensors_that_require_grad() -> None:
    x_np, c_np, w_np = np.array([0.3, -0.4, 1.1]), np.array([1.0, -2.0, 0.5]), np.array([2.0, 3.0])
    jac = _sinx0_jacobian(x_np)
    # a primal that requires grad: the outputs and the Jacobian in the cotangent hang on it
    x = tg.tensor(x_np, requires_grad=True)
    out, fn = tg.vjp(_sinx0, x)
    assert out.requires_grad
    jr = tg.jacrev(lambda c: fn(c)[0])(tg.tensor(c_np))
    assert jr.requires_grad
    np.testing.assert_allclose(jr.data, jac.T, rtol=1e-12)
    (gx,) = tg.autograd.grad(tg.sum(jr), [x])  # d/dx sum(J), by central differences
    eps = 1e-6
    fd = [
        (np.sum(_sinx0_jacobian(x_np + e)) - np.sum(_sinx0_jacobian(x_np - e))) / 2 / eps
        for e in np.eye(3) * eps
    ]
    np.testing.assert_allclose(gx.data, fd, rtol=1e-7)
    # a closed-over parameter: f = w0 * sin(x) + w1 * x^2, so J^T = diag(w0 cos x + 2 w1 x)
    w = tg.tensor(w_np, requires_grad=True)
    for jac_fn in (tg.jacrev, tg.jacfwd):
        # (a fresh vjp each time: the backward below frees the forward graph vjp_fn shares)
        _, fn = tg.vjp(lambda x: w[0] * tg.sin(x) + w[1] * x**2, tg.tensor(x_np))
        j = jac_fn(lambda c, fn=fn: fn(c)[0])(tg.tensor(c_np))
        np.testing.assert_allclose(
            j.data, np.diag(w_np[0] * np.cos(x_np) + 2 * w_np[1] * x_np), rtol=1e-13
        )
        assert j.requires_grad
        (gw,) = tg.autograd.grad(tg.sum(j), [w])
        np.testing.assert_allclose(gw.data, [np.sum(np.cos(x_np)), np.sum(2 * x_np)], rtol=1e-13)


def test_nested_transforms_come_back_plain_unless_a_user_tensor_requires_grad() -> None:
    x_np, v_np, w_np = np.array([0.5, -1.5, 2.0]), np.array([1.0, 2.0, -0.5]), 1.5

    def make(w):
        return lambda x: w * tg.sum(x**4)  # H = 12 w diag(x^2)

    h = 12 * w_np * np.diag(x_np**2)
    for w in (tg.tensor(w_np), tg.tensor(w_np, requires_grad=True)):
        f = make(w)
        results = {
            "grad of grad": tg.grad(lambda x, f=f: tg.sum(tg.grad(f)(x)))(x_np),
            "jacfwd of jacrev": tg.jacfwd(tg.jacrev(f))(x_np),
            "jacrev of jacrev": tg.jacrev(tg.jacrev(f))(x_np),
            "hessian": tg.hessian(f)(x_np),
            "hvp": tg.hvp(f, (x_np,), (v_np,))[1][0],
        }
        for name, r in results.items():
            expected = h.sum(1) if name == "grad of grad" else h @ v_np if name == "hvp" else h
            np.testing.assert_allclose(r.data, expected, rtol=1e-13, err_msg=name)
            if w.requires_grad:  # each is linear in w
                assert r.requires_grad, name
                (gw,) = tg.autograd.grad(tg.sum(r), [w])
                assert gw.item() == pytest.approx(expected.sum() / w_np, rel=1e-13), name
            else:
                assert _is_plain(r), name


def test_aux_and_hvp_value_keep_their_own_graphs() -> None:
    # aux (or hvp's value) may hang on a parameter the value (or H v) does not; as torch.func,
    # it keeps its graph then, and backward through it works though the transform ran
    w = tg.tensor([2.0, 3.0], requires_grad=True)
    x = np.array([0.5, -1.0])

    def f(x):
        xx = tg.sin(x) * x
        return tg.sum(xx), {"scaled": xx * w, "plain": xx}

    (value, aux), g = tg.value_and_grad(f, has_aux=True)(x)
    assert _is_plain(value) and _is_plain(g) and _is_plain(aux["plain"])
    np.testing.assert_allclose(g.data, np.sin(x) + x * np.cos(x), rtol=1e-14)
    assert aux["scaled"].requires_grad
    tg.sum(aux["scaled"]).backward()
    np.testing.assert_allclose(w.grad.data, np.sin(x) * x, rtol=1e-14)

    value, (hv,) = tg.hvp(lambda x: tg.sum(x**3) + tg.sum(w), (x,), (np.ones(2),))
    np.testing.assert_allclose(hv.data, 6 * x, rtol=1e-14)
    assert _is_plain(hv) and value.requires_grad
    w.grad = None
    value.backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0])


def test_a_tangent_smaller_than_its_output_is_broadcast_in_nested_forward_mode() -> None:
    # where(True, s, B) with a scalar s: its tangent rule gives the broadcast of the condition
    # and s's tangent, shape (); on Tensors (forward over forward, or a recorded jvp) it must
    # still become the output's (2, 3) (it did for ndarrays only)
    b = np.ones((2, 3))

    def f(s: tg.Tensor) -> tg.Tensor:
        return tg.sum(tg.where(True, s, b)) * s  # 6 s^2

    assert tg.hessian(f)(0.5).item() == pytest.approx(12.0)
    assert tg.jacfwd(tg.jacfwd(f))(0.5).item() == pytest.approx(12.0)
    assert tg.hvp(f, (tg.tensor(0.5),), (tg.tensor(1.0),))[1][0].item() == pytest.approx(12.0)
    _, t = tg.jvp(f, (tg.tensor(0.5, requires_grad=True),), (tg.tensor(1.0),))
    assert t.item() == pytest.approx(6.0)

    def g(s: tg.Tensor) -> tg.Tensor:
        return tg.sum(tg.tile(tg.where(True, s, b), (2, 1))) * s  # 12 s^2 (was 14 silently)

    assert tg.hessian(g)(0.5).item() == pytest.approx(24.0)


def test_jacobians_and_hessian_take_has_aux() -> None:
    # JAX's and torch.func's layout: (jacobian, aux), aux plain unless a user tensor reaches it
    x0 = np.array([0.3, -0.7, 1.1])

    def f(x: tg.Tensor) -> tuple:
        return tg.sin(x) * x[0], {"total": x.sum(), "pair": (x * 2.0,)}

    expected = np.diag(np.cos(x0) * x0[0])
    expected[:, 0] += np.sin(x0)
    for transform in (tg.jacrev, tg.jacfwd):
        jac, aux = transform(f, has_aux=True)(x0)
        np.testing.assert_allclose(jac.data, expected, rtol=1e-14)
        assert aux["total"].item() == pytest.approx(x0.sum())
        np.testing.assert_array_equal(aux["pair"][0].data, 2 * x0)
        assert not aux["total"].requires_grad and aux["pair"][0]._fw is None
    h, aux = tg.hessian(lambda x: (tg.sum(x**3), x * 2.0), has_aux=True)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(h.data, np.diag([6.0, 12.0]))
    np.testing.assert_array_equal(aux.data, [2.0, 4.0])
    x = tg.tensor(x0, requires_grad=True)
    _, aux = tg.jacfwd(lambda x: (tg.sin(x), x * 3.0), has_aux=True)(x)
    assert aux._fw is None  # (no tangent of the finished inner jvps rides on it)
    aux.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0, 3.0])
    with pytest.raises(
        TypeError, match=r"jacrev: with has_aux=True, f must return \(output, aux\)"
    ):
        tg.jacrev(lambda x: x, has_aux=True)(x0)


def test_a_write_into_the_differentiated_input_inside_f_is_caught() -> None:
    # the transform's leaf shared x's memory but not its version counter: y * y saved the old
    # values and the gradient came out as 2 * 10 (torch.func refuses the write)
    x = tg.tensor([1.0, 2.0, 3.0])

    def f(y: tg.Tensor) -> tg.Tensor:
        z = y * y
        x[0] = 10.0
        return tg.sum(z)

    for transform in (tg.grad, tg.jacrev, lambda f: lambda a: tg.vjp(f, a)[1](1.0)):
        x.data[0] = 1.0
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            transform(f)(x)


def test_reverse_transforms_under_jvp_return_plain_tangents() -> None:
    # the tangent of value_and_grad's value (or vjp's output, or grad's aux) kept a graph on the
    # transform's retired leaves: requires_grad True, and backward did nothing
    x, v = np.array([0.5, -1.2]), np.ones(2)

    def f(y: tg.Tensor) -> tg.Tensor:
        return tg.sum(tg.sin(y))

    cases = [
        lambda a: tg.value_and_grad(f)(a)[0],
        lambda a: tg.vjp(tg.sin, a)[0],
        lambda a: tg.grad(lambda y: (f(y), tg.cos(y)), has_aux=True)(a)[1],
        lambda a: tg.hvp(f, (a,), (np.ones(2),))[0],
    ]
    for g in cases:
        _, t = tg.jvp(g, (x,), (v,))
        assert not t.requires_grad and t.grad_fn is None
    # a tangent that a user's parameter influences keeps its graph
    w = tg.tensor(0.7, requires_grad=True)
    _, t = tg.jvp(lambda a: tg.value_and_grad(lambda y: tg.sum(tg.sin(w * y)))(a)[0], (x,), (v,))
    t.backward()
    want = np.sum(np.cos(0.7 * x) - 0.7 * x * np.sin(0.7 * x))  # d/dw of the tangent w cos(wx)
    np.testing.assert_allclose(w.grad.item(), want)


def test_transform_errors_name_the_transform_and_argument() -> None:
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="jacfwd: primals must be floating point"):
        tg.jacfwd(tg.sin)(np.arange(3))
    with pytest.raises(TypeError, match="hessian: can only differentiate floating-point inputs"):
        tg.hessian(tg.sum)(np.arange(3))
    with pytest.raises(ValueError, match=r"hvp: tangent of shape \(3,\)"):
        tg.hvp(tg.sum, (x,), (tg.ones(3),))
    with pytest.raises(TypeError, match="grad: argnums must be an int or a tuple of ints, got 0.0"):
        tg.grad(tg.sum, argnums=0.0)(x)  # ('float' object is not iterable)
    with pytest.raises(TypeError, match="vjp_fn: a cotangent must be a Tensor, an array or a"):
        tg.vjp(tg.sin, x)[1](None)  # (a ValueError about a shape ())
    # the Jacobian of an empty output has the gradients' dtype (the input's), as jax.jacrev
    assert tg.jacrev(lambda a: tg.zeros(0) + tg.sum(a))(np.ones(2, np.float32)).dtype == np.float32


def test_an_outer_backward_skips_a_finished_transform_s_inner_graph_and_its_hooks() -> None:
    # f wrote into what its graph saved, with a hook on the way, and a hook on its argument:
    # torch.func's outer backward never enters the inner graph (no error, no hook call)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = []

    def f(a: tg.Tensor) -> tg.Tensor:
        a.register_hook(lambda g: calls.append("a"))
        b = a * 1.0
        b.register_hook(lambda g: calls.append("b"))
        y = b * b  # saves b
        b *= 3.0
        return y * w

    out, _ = tg.vjp(f, tg.tensor([0.5, 1.5]))
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.25, 2.25])
    assert calls == []


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "hvp"])
def test_an_intermediate_of_f_used_after_the_transform_backpropagates_to_the_user(
    transform: str,
) -> None:
    # (the transform's pass freed f's graph; a backward through the escaped intermediate met
    # its released node and raised "backward through Tanh a second time", where torch.func
    # gives w.grad: the node leads only to the transform's retired leaf)
    stash: list[tg.Tensor] = []
    x = tg.tensor([0.5, -1.0, 2.0])
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def f(a: tg.Tensor) -> tg.Tensor:
        z = tg.tanh(a)
        stash.append(z)
        return tg.sum(z * z)

    if transform == "hvp":
        tg.hvp(f, (x,), (tg.ones(3),))
    else:
        getattr(tg, transform)(f)(x)
    z = stash[0]
    (z * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.tanh(x.data))
    # a graph freed by the user's own backward still raises a second time
    y = tg.tanh(w)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through Tanh a second time"):
        (y * 2.0).sum().backward()


@pytest.mark.parametrize("outside", [False, True])
def test_a_hook_registered_inside_f_runs_only_in_the_transform_s_own_passes(outside: bool) -> None:
    # (torch.func's hooks on f's tensors belong to the transform's level: the outer backward
    # through the gradient, which reuses f's graph here, ran them again, and a hook that
    # returns a new gradient changed the outer result: w.grad -1.3613 against -2.0221)
    w = tg.tensor(1.5, requires_grad=True)
    x = tg.tensor([0.5, -1.2, 2.0], requires_grad=outside)  # (a fresh leaf, or a stand-in)
    calls = []
    outer_calls = []
    w.register_hook(lambda g: outer_calls.append(1))

    def f(a: tg.Tensor) -> tg.Tensor:
        y = a * w
        y.register_hook(lambda g: calls.append(1) or g * 2.0)
        w.register_hook(lambda g: outer_calls.append(2))  # (a tensor from outside: not f's)
        return (tg.sin(y) * a).sum()

    g = tg.grad(f)(x)
    want = 2.0 * 1.5 * np.cos(1.5 * x.data) * x.data + np.sin(1.5 * x.data)
    np.testing.assert_allclose(g.data, want)
    assert calls == [1]
    g.sum().backward()
    assert calls == [1]  # not again
    # d/dw of sum(2 w x cos(w x) + sin(w x)), the hook's doubling inside only (torch: -2.0221)
    xs = x.data
    want_w = np.sum(3 * xs * np.cos(1.5 * xs) - 3 * xs**2 * np.sin(1.5 * xs))
    np.testing.assert_allclose(w.grad.item(), want_w)
    assert sorted(outer_calls) == [1, 2]
    # a plain autograd.grad inside f runs them too
    seen = []

    def h(a: tg.Tensor) -> tg.Tensor:
        y = a * 3.0
        y.register_hook(lambda g: seen.append(1))
        (inner,) = tg.autograd.grad(y.sum(), [a], create_graph=True)
        return (inner * a).sum()

    tg.grad(h)(x)
    assert seen == [1]  # (the inner grad; the transform's pass does not reach y: torch too)


def test_a_hook_inside_f_on_what_f_s_arguments_do_not_reach_is_not_bound() -> None:
    # (bound to the transform, it ran nowhere: neither pass reaches it; torch.func refuses it)
    w = tg.tensor(1.5, requires_grad=True)
    calls = []

    def f(a: tg.Tensor) -> tg.Tensor:
        z = w * 2.0
        z.register_hook(lambda g: calls.append(1) or g * 10.0)
        return (tg.sin(a) * z).sum()

    x = tg.tensor([0.5, -1.2])
    tg.grad(f)(x).sum().backward()
    assert calls == [1]
    np.testing.assert_allclose(w.grad.item(), 20.0 * np.sum(np.cos(x.data)))


def test_a_backward_inside_an_inner_f_runs_the_outer_f_s_hooks() -> None:
    # (only the innermost transform's hooks ran in a backward inside its f)
    calls, seen = [], []

    def outer(a: tg.Tensor) -> tg.Tensor:
        y = a * a
        y.register_hook(lambda g: calls.append(1) or g * 3.0)
        seen.append(tg.autograd.grad(y, [a], retain_graph=True)[0].item())

        def inner(b: tg.Tensor) -> tg.Tensor:
            (gy,) = tg.autograd.grad(y, [a], retain_graph=True)
            seen.append(gy.item())
            return gy * b

        return tg.grad(inner)(a)

    tg.grad(outer)(tg.tensor(0.5))
    assert seen == [3.0, 3.0] and len(calls) == 2


def test_views_of_an_argument_f_wrote_into_stay_writable_after_the_transform() -> None:
    # (a view rebased onto f's write kept that graph after the transform cut it from the
    # argument; writing into it read as a view of a frozen leaf)
    x = tg.tensor([0.5, 1.5, 2.5])
    c = tg.zeros(3)
    cv = c[0:2]

    def f(a: tg.Tensor, cc: tg.Tensor) -> tg.Tensor:
        cc[...] = a * 2.0
        return (a * a).sum()

    for transform in (tg.grad, tg.jacrev, tg.hessian):
        transform(f)(x, c)
        cv[0] = 5.0
        np.testing.assert_array_equal(c.data, [5.0, 3.0, 5.0])
    # jacfwd calls f once per input element, setting the argument back before each later call
    w = tg.tensor(2.0, requires_grad=True)
    c = tg.zeros(3)
    cv = c[0:2]

    def g(a: tg.Tensor, cc: tg.Tensor) -> tg.Tensor:
        cv[...] = a[:2] * w
        return cc * a

    np.testing.assert_array_equal(tg.jacfwd(g)(x, c).data, np.diag([2.0, 6.0, 0.0]))


def test_a_tuple_of_tensors_with_graphs_is_refused_not_stacked() -> None:
    # (stacked into a constant array, its Tensors lost their graph and tangents: jvp of a grad
    # over such a tuple was 0; torch.func reads it as a pytree, which tensorgrad's do not)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad: an argument is a tuple holding Tensors"):
        tg.grad(lambda p: (p[0] * p[1]).sum())((w, w * 3.0))
    x0, t0 = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 0.0])

    def inner(p: tg.Tensor) -> tg.Tensor:
        return (p[0] * p[1] * p[1]).sum()

    with pytest.raises(TypeError, match="grad: an argument is a tuple holding"):
        tg.jvp(lambda x: tg.grad(inner)((x, x * 2.0))[0], (x0,), (t0,))
    _, t = tg.jvp(lambda x: tg.grad(inner)(tg.stack([x, x * 2.0]))[0], (x0,), (t0,))
    np.testing.assert_array_equal(t.data, [8.0, 0.0])
    with pytest.raises(TypeError, match="jvp: a tangent is a list holding"):
        tg.jvp(tg.sin, (x0,), ([w[0] * 1.0, w[1] * w[1]],))
    with pytest.raises(TypeError, match="vjp_fn: a cotangent is a list holding"):
        tg.vjp(tg.sin, x0)[1]([w[0] * 1.0, w[1] * w[1]])
    # (constants still become arrays, as for an op)
    np.testing.assert_array_equal(tg.grad(tg.sum)((tg.tensor(1.0), 2.0)).data, [1.0, 1.0])


def test_a_jvp_direction_that_requires_grad_stays_connected_through_reverse_transforms() -> None:
    # the rules of grad, jacrev, vjp and value_and_grad ran unrecorded, so the tangent they
    # carried (H v) lost its graph back to v: the gradient through it was silently missing
    x = tg.tensor([1.0, 2.0, 3.0])
    v = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)

    def f(u: tg.Tensor) -> tg.Tensor:
        return (tg.sin(u) ** 2).sum()

    hessian = tg.hessian(f)(x).data
    for transform in (
        tg.grad(f),
        tg.jacrev(f),
        lambda t: tg.vjp(f, t)[1](1.0)[0],
        lambda t: tg.value_and_grad(f)(t)[1],
    ):
        _, hv = tg.jvp(transform, (x,), (v,))
        assert hv.requires_grad
        (g,) = tg.autograd.grad(hv.sum(), v)
        np.testing.assert_allclose(g.data, hessian.sum(axis=0))
    # a direction that requires grad on a closed-over tensor too: d/dw of w cos(w x)
    w, dw = tg.tensor(0.7), tg.tensor(1.0, requires_grad=True)
    _, t = tg.jvp(lambda w: tg.grad(lambda u: tg.sum(tg.sin(w * u)))(x), (w,), (dw,))
    (g,) = tg.autograd.grad(t.sum(), dw)
    want = np.sum(np.cos(0.7 * x.data) - 0.7 * x.data * np.sin(0.7 * x.data))
    np.testing.assert_allclose(g.item(), want)


def test_vjp_fn_never_splits_one_array_into_several_cotangents() -> None:
    # (an array for a two-output f was read as its two cotangents along its first axis; JAX
    # refuses the structure)
    x = np.array([1.0, 2.0, 3.0])
    _, vjp_fn = tg.vjp(lambda a: (tg.sum(a), tg.sum(a**2)), x)
    with pytest.raises(ValueError, match="expected 2 cotangents .* got 1"):
        vjp_fn(np.array([1.0, 10.0]))
    for cts in [((1.0, 10.0),), ([np.array(1.0), np.array(10.0)],), (1.0, 10.0)]:
        np.testing.assert_allclose(vjp_fn(*cts)[0].data, 1.0 + 10.0 * 2 * x)
    _, vjp_fn = tg.vjp(lambda a: (a, a * 2), x)
    with pytest.raises(ValueError, match="expected 2 cotangents .* got 1"):
        vjp_fn(np.ones(3))


def test_outputs_in_namedtuples_and_nested_tuples_as_torch_func() -> None:
    # (a namedtuple was rebuilt from one generator: an internal TypeError in vjp, jvp, jacrev,
    # jacfwd and hessian; vjp refused outputs nested in tuples, which the others took)
    from collections import namedtuple

    pair = namedtuple("pair", ["a", "b"])
    x = tg.tensor([0.5, -1.0, 2.0])
    f = lambda t: pair(tg.sin(t), tg.sum(t * t))  # noqa: E731
    out, vjp_fn = tg.vjp(f, x)
    assert type(out) is pair
    (g,) = vjp_fn(pair(tg.ones(3), tg.tensor(1.0)))
    np.testing.assert_allclose(g.data, np.cos(x.data) + 2 * x.data)
    value, tangent = tg.jvp(f, (x,), (tg.ones(3),))
    assert type(value) is pair and type(tangent) is pair
    np.testing.assert_allclose(tangent.b.data, np.sum(2 * x.data))
    assert type(tg.jacrev(f)(x)) is pair and type(tg.jacfwd(f)(x)) is pair
    h = tg.hessian(lambda t: pair(tg.sum(t**3), tg.sum(t * t)))(x)
    np.testing.assert_allclose(h.a.data, np.diag(6 * x.data))
    out, vjp_fn = tg.vjp(lambda t: ((t * 2.0,), tg.sum(t)), x)
    assert isinstance(out[0], tuple) and out[0][0].shape == (3,)
    for cts in [(((tg.ones(3),), 1.0),), ((tg.ones(3),), 1.0)]:
        np.testing.assert_array_equal(vjp_fn(*cts)[0].data, [3.0, 3.0, 3.0])
    with pytest.raises(
        ValueError, match="nested as f's output, a tuple of 1 item here, got Tensor"
    ):
        vjp_fn(tg.ones(3), 1.0)

    class Filled(namedtuple("Filled", ["a", "b"])):  # (its __new__ cannot take Nones back)
        def __new__(cls, a, b=None):
            return super().__new__(cls, a, a * 2.0 if b is None else b)

    jac = tg.jacrev(lambda t: Filled(t * t, tg.sum(t)))(x)
    assert type(jac) is Filled
    np.testing.assert_allclose(jac.a.data, np.diag(2 * x.data))


def test_jacfwd_calls_f_as_once_for_dropout_and_batch_norm() -> None:
    # jacfwd calls f once per input element: each call drew a new dropout mask (a Jacobian no
    # single mask gives) and moved batch norm's running statistics again (24 batches counted)
    w = tg.tensor(np.arange(1.0, 13.0).reshape(4, 3))

    def f(x: tg.Tensor) -> tg.Tensor:
        return tg.nn.functional.dropout(tg.nn.functional.linear(x, w), 0.5)

    x = tg.tensor(np.ones(3))
    tg.manual_seed(0)
    want = tg.jacrev(f)(x).data
    after_rev = tg.factories.default_rng().random()
    tg.manual_seed(0)
    np.testing.assert_array_equal(tg.jacfwd(f)(x).data, want)
    assert tg.factories.default_rng().random() == after_rev  # (as after one call of f)
    a = tg.tensor(np.random.default_rng(0).standard_normal((4, 3, 2)))
    fwd, rev = tg.nn.BatchNorm1d(3, dtype=np.float64), tg.nn.BatchNorm1d(3, dtype=np.float64)
    np.testing.assert_allclose(tg.jacfwd(fwd)(a).data, tg.jacrev(rev)(a).data, atol=1e-12)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_array_equal(getattr(fwd, name).data, getattr(rev, name).data)
    assert fwd.num_batches_tracked.data == 1
    tg.hessian(lambda v: (fwd(v) ** 2).sum())(a)
    assert fwd.num_batches_tracked.data == 2
    assert not tg.grad_mode.STATE.replay


def test_jacfwd_writes_into_arguments_once() -> None:
    # (f ran once per input element on the same arrays: a write compounded, so the Jacobian
    # was of no single call and x ended multiplied by 2 ** 3)
    x = tg.tensor([0.3, -0.7, 1.1])

    def f(a: tg.Tensor) -> tg.Tensor:
        a *= 2.0
        return a * a

    jac = tg.jacfwd(f)(x)
    np.testing.assert_allclose(np.diag(jac.data), [2.4, -5.6, 8.8])
    np.testing.assert_allclose(x.data, [0.6, -1.4, 2.2])
    jac = tg.jacfwd(f)(np.array([0.3, -0.7, 1.1]))  # (an array argument: written as a copy)
    np.testing.assert_allclose(np.diag(jac.data), [2.4, -5.6, 8.8])
    s = tg.tensor(np.ones(3))

    def g(a: tg.Tensor, s: tg.Tensor) -> tg.Tensor:
        s += 1
        return a * s

    np.testing.assert_array_equal(np.diag(tg.jacfwd(g)(tg.tensor([1.0, 2.0, 3.0]), s).data), 2)
    np.testing.assert_array_equal(s.data, [2.0, 2.0, 2.0])
    # (an argument that is no numeric array is passed as it is: comparing strings raised)
    words = np.array(["a", "b"])
    jac = tg.jacfwd(lambda a, w: a * 2.0)(tg.tensor([1.0, 2.0]), words)
    np.testing.assert_array_equal(jac.data, 2 * np.eye(2))


def test_jacfwd_sets_back_the_graph_of_an_argument_f_writes_into() -> None:
    # (the values were set back between calls with no version counted, but not the graph: each
    # call's write was recorded over the previous one's, so a backward through the argument
    # gave 2 ** 3 for one doubling; torch gives 2)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = w * 1.0

    def f(a: tg.Tensor, s: tg.Tensor) -> tg.Tensor:
        s *= 2.0
        return a * s

    jac = tg.jacfwd(f)(tg.tensor([0.5, 0.25, 1.0]), s)
    np.testing.assert_array_equal(np.diag(jac.data), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(s.data, [2.0, 4.0, 6.0])
    s.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0, 2.0])
    # a write that leaves the values as they were is set back too (s * u at u = 1: u ** 3)
    u = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    s = u * 1.0

    def g(a: tg.Tensor, s: tg.Tensor) -> tg.Tensor:
        s *= u
        return a * s

    tg.jacfwd(g)(tg.tensor([0.5, 0.25, 1.0]), s)
    s.sum().backward()
    np.testing.assert_array_equal(u.grad.data, [2.0, 2.0, 2.0])
    # a graph that saved the argument's memory after a call's write raises, never reads the
    # values another call left there
    s = w * 1.0
    seen = []

    def h(a: tg.Tensor, s: tg.Tensor) -> tg.Tensor:
        s *= 2.0
        seen.append(s * s)
        return a * 1.0

    tg.jacfwd(h)(tg.tensor([0.5, 0.25, 1.0]), s)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        seen[0].sum().backward()


def test_a_write_into_a_jvp_primal_is_recorded_on_the_caller_s_tensor() -> None:
    # (the write was recorded on f's stand-in alone: the caller's tensor held the doubled values
    # under its old graph, and a backward through it gave 1, where torch.func gives 2)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def f(a: tg.Tensor) -> tg.Tensor:
        a *= 2.0
        return a * a

    for transform in (
        lambda x: tg.jvp(f, (x,), (tg.ones(3),)),
        lambda x: tg.jacfwd(f)(x),
    ):
        w.grad = None
        x = w * 1.0
        transform(x)
        np.testing.assert_array_equal(x.data, [2.0, 4.0, 6.0])
        x.sum().backward()
        np.testing.assert_array_equal(w.grad.data, [2.0, 2.0, 2.0])
    # a view's write reaches the tensor it views, as torch's CopySlices
    w.grad = None
    base = w * 1.0
    tg.jvp(f, (base[0:2],), (tg.ones(2),))
    base.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0, 1.0])
    # a plain tensor written with a value that requires grad requires grad after it
    x = tg.tensor([0.5, 0.5])

    def g(a: tg.Tensor) -> tg.Tensor:
        a[0] = w[1] * 2.0
        return a * a

    _, tangent = tg.jvp(g, (x,), (tg.ones(2),))
    np.testing.assert_array_equal(tangent.data, [0.0, 1.0])
    assert x.requires_grad
    w.grad = None
    x.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.0, 2.0, 0.0])


def test_forward_over_reverse_results_do_not_hang_on_a_finished_transform() -> None:
    # (the tangent was recorded only from the inner transform's leaves: requires_grad=True with
    # no live leaf behind it, where jacrev(jacrev(f)) and torch give plain results)
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    a = tg.tensor([0.3, 0.7])

    def f(a: tg.Tensor) -> tg.Tensor:
        return (tg.sin(a) + w * a).sum()  # (the Hessian does not depend on w)

    assert not tg.hessian(f)(a).requires_grad
    _, t = tg.jvp(tg.grad(f), (a,), (tg.tensor([1.0, 0.0]),))
    assert not t.requires_grad


def test_hessian_of_several_outputs_over_several_argnums_nests_as_torch() -> None:
    # (jacfwd took one level of tuples: "f must return Tensors, got tuple")
    x, y = tg.tensor([0.3, -0.7]), tg.tensor([1.1, 0.4, 2.0])

    def f(a: tg.Tensor, b: tg.Tensor) -> tuple:
        return (a * a).sum() * (b * b).sum(), (a * a * a).sum() + b.sum()

    h = tg.hessian(f, argnums=(0, 1))(x, y)
    j = tg.jacrev(tg.jacrev(f, argnums=(0, 1)), argnums=(0, 1))(x, y)
    for o in range(2):
        for i in range(2):
            for k in range(2):
                np.testing.assert_allclose(h[o][i][k].data, j[o][i][k].data, atol=1e-12)
    np.testing.assert_allclose(h[0][0][1].data, 4 * np.outer(x.data, y.data))


def test_transform_errors_name_the_transform_called() -> None:
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^hessian: f must return Tensors, got float"):
        tg.hessian(lambda a: 1.0)(x)
    with pytest.raises(TypeError, match=r"^hvp: .*got tuple"):
        tg.hvp(lambda a: (a.sum(), a.sum()), (x,), (x,))
    with pytest.raises(TypeError, match=r"^jacfwd: primals must be floating point"):
        tg.jacfwd(lambda a: a * 1.0)(tg.tensor(np.zeros(0, int)))


def test_hooks_keep_tangents_in_forward_over_reverse() -> None:
    # (a hook's returned Tensor was made an ndarray, dropping its tangent: jvp(grad(f)) and
    # hessian(f) were 0; torch.func gives 4)
    def f(z):
        y = z * 1.0
        y.register_hook(lambda g: g * 2.0)
        return tg.sum(y * y)

    def on_input(z):
        z.register_hook(lambda g: g * 2.0)
        return tg.sum(z * z)

    z, u = np.array([0.5, -1.0]), np.ones(2)
    np.testing.assert_allclose(tg.jvp(tg.grad(f), (z,), (u,))[1].data, [4.0, 4.0])
    np.testing.assert_allclose(tg.hessian(f)(z).data, 4.0 * np.eye(2))
    np.testing.assert_allclose(tg.jvp(tg.grad(on_input), (z,), (u,))[1].data, [4.0, 4.0])


def test_autograd_grad_inside_jvp_carries_the_tangent() -> None:
    # (grad without create_graph ran its rules on arrays: the tangent was 0; torch.func.jvp
    # over torch.autograd.grad gives 3 x**2 and 6 x c)
    x0 = np.array([0.5, -1.0])

    def scaled(c):
        leaf = tg.tensor(x0, requires_grad=True)
        return tg.autograd.grad(tg.sum(leaf**3 * c), [leaf])[0]

    def through_grad_outputs(c):
        leaf = tg.tensor(x0, requires_grad=True)
        return tg.autograd.grad(leaf**3, [leaf], grad_outputs=c)[0]

    for f in (scaled, through_grad_outputs):
        value, tangent = tg.jvp(f, (np.ones(2),), (np.ones(2),))
        np.testing.assert_allclose(value.data, 3 * x0**2)
        np.testing.assert_allclose(tangent.data, 3 * x0**2)
        assert not value.requires_grad


def test_a_view_taken_before_a_recorded_write_into_its_base_has_the_base_s_tangents() -> None:
    # (its tangents were the ones from before the write, or none; torch.func agrees with
    # tensorgrad's own jacrev here)
    w = tg.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]], requires_grad=True)

    def f(x):
        h = w @ x
        v = h[0:2]
        h[0:2] = tg.tanh(v)
        return v

    x = tg.tensor([0.3, -0.2])
    np.testing.assert_allclose(tg.jacfwd(f)(x).data, tg.jacrev(f)(x).data, rtol=1e-12)
    assert abs(tg.jacfwd(f)(x).data[0, 0] - 0.990066) < 1e-6
    p = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)

    def g(x):
        b = p * 1.0
        v = b[0:2]
        b[0:2] = x
        return v * v

    _, tangent = tg.jvp(g, (tg.tensor([0.5, -1.5]),), (tg.tensor([1.0, 1.0]),))
    np.testing.assert_array_equal(tangent.data, [1.0, -3.0])


def test_f_cannot_write_into_an_argument_that_requires_grad() -> None:
    # (the transform's stand-in shared the leaf's memory: the caller's parameter was written
    # and the gradient was the one at the written value; torch.func refuses)
    def f(x):
        x *= 2.0
        return (x * x).sum()

    x = tg.tensor([1.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor .* requires grad .* in-place"):
        tg.grad(f)(x)
    np.testing.assert_array_equal(x.data, [1.0, 3.0])


def test_f_cannot_write_into_a_non_leaf_argument_of_a_reverse_transform() -> None:
    # (the stand-in, an alias of the caller's non-leaf, took the write alone: the caller's
    # tensor held the doubled values under its old graph, and a backward through it gave 1
    # for 2; torch.func refuses, the argument being a leaf of the transform's)
    def f(x):
        x *= 2.0
        return (x * x).sum()

    def g(x):
        h = x[:2]
        h += 1.0
        return (x * x).sum()

    w = tg.tensor([1.0, 3.0, 2.0], requires_grad=True)
    for transform in (tg.grad, tg.jacrev, lambda f: lambda p: tg.vjp(f, p)[1](tg.tensor(1.0))):
        x = w * 1.0
        with pytest.raises(RuntimeError, match="leaf tensor .* requires grad .* in-place"):
            transform(f)(x)
        with pytest.raises(RuntimeError, match="view .* of a leaf tensor that requires grad"):
            transform(g)(x)
        np.testing.assert_array_equal(x.data, [1.0, 3.0, 2.0])


def test_a_transform_s_results_share_the_version_counter_of_what_they_share_memory_with() -> None:
    # (vjp's output, an aux or value_and_grad's value over the argument's memory had a counter
    # of their own: a write through either went unseen; torch raises)
    x = tg.tensor([1.0, 2.0, 3.0])
    w = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    out, _ = tg.vjp(lambda a: a[:], x)
    loss = (out * w).sum()
    x += 10.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_backward_from_vjp_s_output_skips_a_written_node_of_f_s_own_graph() -> None:
    # (y * y saved b, which f then wrote into; the node leads only to vjp's retired leaf, so its
    # gradient goes nowhere, yet the backward from the output raised "modified by an in-place
    # operation"; torch.func's outer backward never enters f's graph)
    w = tg.tensor([1.0, 2.0], requires_grad=True)

    def f(a: tg.Tensor) -> tg.Tensor:
        b = a * 1.0
        y = b * b
        b *= 3.0
        return y * w

    out, vjp_fn = tg.vjp(f, tg.tensor([0.5, 1.5]))
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.25, 2.25])
    # (vjp_fn itself differentiates through that node: it raises, as torch.func's)
    out, vjp_fn = tg.vjp(f, tg.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        vjp_fn(tg.ones(2))


def test_a_recorded_write_through_a_detach_of_an_argument_leaves_its_stand_in_usable() -> None:
    # (the write bumped the memory's count of recorded writes, and the stand-in for an argument
    # that requires grad, an alias, refused to be used after it, though the argument's graph
    # had not changed; torch.func reads the new values under the argument's graph)
    w = tg.tensor([1.0, 2.0], requires_grad=True)

    def f(a: tg.Tensor) -> tg.Tensor:
        d = a.detach()
        d[0] = w[1] * 2.0
        return (a * a).sum()

    for transform in (
        tg.grad,
        tg.jacrev,
        lambda f: lambda p: tg.vjp(f, p)[1](tg.tensor(1.0))[0],
        lambda f: lambda p: tg.jvp(f, (p,), (tg.tensor([1.0, 1.0]),))[1],
    ):
        x = tg.tensor([0.5, 1.5], requires_grad=True)
        result = transform(f)(x)
        np.testing.assert_array_equal(x.data, [4.0, 1.5])
        np.testing.assert_array_equal(result.data.sum(), 11.0)


def test_a_recorded_write_into_one_stand_in_outdates_another_of_the_same_tensor() -> None:
    # (after the change above, the second stand-in of x kept x's old graph once the first was
    # written: w.grad [1, 1, 1], silently, where torch.func gives [2, 1, 1]; it raised, since
    # the stand-ins were aliases of x, not views; now the write reaches x at once and the other
    # stand-in follows x's graph, keeping its own tangent, as torch.func's view does)
    w = tg.tensor([0.3, -0.5, 0.8], requires_grad=True)
    x = w * 1.0

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        p[0] = p[0] * 2.0
        return q * 1.0

    out, tangent = tg.jvp(f, (x, x), (tg.tensor([1.0, 0.0, 0.0]), tg.tensor([0.0, 0.0, 0.0])))
    np.testing.assert_allclose(out.data, [0.6, -0.5, 0.8])
    np.testing.assert_array_equal(tangent.data, [0.0, 0.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 1.0, 1.0])


def test_the_caller_s_tensor_read_by_closure_after_a_write_into_its_jvp_stand_in() -> None:
    # (the write reached the caller's tensor only when f returned: c ** 2 read x's new values
    # under its old graph, no graph at all, and y's gradient missed the path through x; found
    # by a random-program round against torch.func)
    w = tg.tensor([0.97, -0.192, -0.282], requires_grad=True)
    x0 = np.array([-1.138, 1.582, -2.454])
    x = tg.tensor(x0)
    y = w * 1.3
    c = x

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        p += q
        q /= c**2 + 1.0  # (c is x, written through p's stand-in)
        return p * 2.0

    out, tangent = tg.jvp(f, (x, y), (tg.ones(3), tg.zeros(3)))
    np.testing.assert_array_equal(tangent.data, [2.0, 2.0, 2.0])
    assert not c._fw  # (x read by closure has no tangent at the jvp's level, as in torch.func)
    y.sum().backward()
    y0 = w.data * 1.3
    s = (x0 + y0) ** 2 + 1.0
    expected = 1.3 / s - y0 * 2.0 * (x0 + y0) * 1.3 / s**2
    np.testing.assert_allclose(w.grad.data, expected, rtol=1e-12)
    # jacfwd sets x back before each of its calls, a write the graph y saved sees: it raises
    # in backward (as documented), where it gave a wrong gradient
    w.grad = None
    x = tg.tensor(x0)
    y = w * 1.3
    c = x
    tg.jacfwd(f)(x, y)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_one_tensor_passed_twice_to_a_forward_transform_and_written_through_one() -> None:
    # (the other stand-in of x, which does not require grad, kept no graph after the write
    # into the first, where torch.func's view follows x: the gradient missed w)
    w = tg.tensor([0.3, -0.5, 0.8], requires_grad=True)

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        p[0] = p[0] * 2.0 + w[1]
        return q * q

    x = tg.tensor([1.0, 2.0, 3.0])
    out, tangent = tg.jvp(f, (x, x), (tg.tensor([1.0, 0.0, 0.0]), tg.tensor([0.0, 1.0, 0.0])))
    np.testing.assert_array_equal(out.data, [2.25, 4.0, 9.0])
    np.testing.assert_array_equal(tangent.data, [0.0, 4.0, 0.0])  # (q's own tangent)
    (g,) = tg.autograd.grad(out.sum(), [w])
    np.testing.assert_array_equal(g.data, [0.0, 3.0, 0.0])  # (2 * (2 * 1 + w[1]))
    x = tg.tensor([1.0, 2.0, 3.0])
    jp, jq = tg.jacfwd(f, argnums=(0, 1))(x, x)
    np.testing.assert_array_equal(jp.data, np.zeros((3, 3)))
    np.testing.assert_array_equal(jq.data, np.diag([3.0, 4.0, 6.0]))
    (g,) = tg.autograd.grad(jq.sum() + x.sum(), [w])
    np.testing.assert_array_equal(g.data, [0.0, 3.0, 0.0])


def test_an_unrecorded_write_into_a_jvp_stand_in_leaves_the_caller_s_graph() -> None:
    # (passing the write on gave the caller's tensor its stand-in's identity node, whose source
    # is that tensor: a cycle, and finding the tensor's root never ended)
    w = tg.tensor([0.3, -0.5, 0.8], requires_grad=True)
    x = w * 1.0

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        with tg.no_grad():
            p[0] = 5.0
        return q * 1.0

    out, tangent = tg.jvp(f, (x, x), (tg.ones(3), tg.zeros(3)))
    np.testing.assert_array_equal(out.data, [5.0, -0.5, 0.8])
    np.testing.assert_array_equal(tangent.data, [0.0, 0.0, 0.0])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0, 1.0])


def test_jvp_of_grad_with_one_tensor_passed_twice_uses_the_values_before_the_write() -> None:
    # (pins the dual-number answer: q *= p's tangent uses p's value before the write, although
    # p shares q's memory; torch.func's mul_ reads p after it, where the rule's operand aliases
    # the written tensor, and gives another tangent; with q *= p.clone() torch agrees)
    x0 = np.array([0.3, -0.7, 1.2])
    t1 = np.array([0.5, 1.0, -0.4])
    t2 = np.array([-0.3, 0.8, 0.6])

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        q *= p
        return (p * q.sin()).sum()

    x = tg.tensor(x0)
    g, tangent = tg.jvp(lambda p, q: tg.grad(f)(p, q), (x, x), (tg.tensor(t1), tg.tensor(t2)))
    q, q_t, p = x0 * x0, t2 * x0 + x0 * t1, x0 * x0  # (p reads the written memory)
    np.testing.assert_allclose(g.data, np.sin(q) + p * np.cos(q) * x0, rtol=1e-12)
    expected = np.cos(q) * q_t + t1 * np.cos(q) * x0 - p * np.sin(q) * q_t * x0 + p * np.cos(q) * t2
    np.testing.assert_allclose(tangent.data, expected, rtol=1e-12)


def test_a_reverse_transform_s_leaf_read_after_a_write_into_its_memory_raises() -> None:
    # (the transform's fresh leaf for a tensor that does not require grad shares its memory:
    # after f wrote into that memory through the tensor itself with a graph reaching w, the
    # leaf had the new values without that graph, and the gradient to w was silently wrong;
    # torch.func's stand-in follows it; found by a random-program round)
    w = tg.tensor([0.3, -0.5, 0.8], requires_grad=True)

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        p -= w.sin()
        return (q * q).sum()

    x = tg.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="grad: f read its argument"):
        tg.grad(f, argnums=1)(x, x)

    # read before the write, or a write whose graph reaches only the transform's leaf: fine
    def g(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        out = (q * 3.0).sum()
        p -= w.sin()
        return out

    x = tg.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(tg.grad(g, argnums=1)(x, x).data, [3.0, 3.0, 3.0])

    def h(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        p *= 2.0
        return (q * q).sum()

    x = tg.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(tg.grad(h, argnums=1)(x, x).data, [4.0, 8.0, 12.0])


def test_a_write_into_a_stand_in_of_a_detach_leaves_the_other_tensor_s_stand_in_usable() -> None:
    # (Y = X.detach() shares X's memory but not its autograd identity: a write into jvp's
    # stand-in for Y made the stand-in for X raise "aliases another", where torch.func, whose
    # stand-ins are views of X and of Y, computes; found by a random-program round)
    rng = np.random.default_rng(3)
    w = tg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    x = w * 1.3
    y = x.detach()
    tx, ty = tg.tensor(rng.standard_normal((2, 3))), tg.tensor(rng.standard_normal((2, 3)))

    def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
        q[0, 1] = p[1, 1] * 2.0
        return p.sin().sum()

    after = x.data.copy()
    after[0, 1] = 2.0 * after[1, 1]  # (the write reaches x's memory too, as in torch)
    value, tangent = tg.jvp(lambda p, q: tg.grad(f)(p, q), (x, y), (tx, ty))
    np.testing.assert_array_equal(x.data, after)
    np.testing.assert_allclose(value.data, np.cos(after), rtol=1e-12)
    np.testing.assert_allclose(tangent.data, -np.sin(after) * tx.data, rtol=1e-12)


def test_an_argument_outside_argnums_written_from_the_differentiated_one_is_left_plain() -> None:
    # (it kept a graph on grad's retired leaf: requires_grad True, a SetItem grad_fn, and a
    # backward through it raised; torch.func leaves it plain, and keeps a graph that reaches a
    # tensor requiring grad outside the call)
    def f(a: tg.Tensor, s: tg.Tensor) -> tg.Tensor:
        s[0] = a[0] * 3.0
        return (a * s).sum()

    for transform in (tg.grad, tg.jacrev):
        s = tg.tensor([5.0, 5.0])
        np.testing.assert_array_equal(transform(f)(tg.tensor([0.5, 1.5]), s).data, [3.0, 5.0])
        np.testing.assert_array_equal(s.data, [1.5, 5.0])
        assert not s.requires_grad and s.grad_fn is None
        base = tg.tensor([5.0, 5.0, 5.0])
        transform(f)(tg.tensor([0.5, 1.5]), base[0:2])
        assert not base.requires_grad and base.grad_fn is None
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    s = w * 1.0
    tg.grad(f)(tg.tensor([0.5, 1.5]), s)
    s.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.0, 1.0])


def test_a_jvp_tangent_of_a_view_is_not_a_view_of_the_callers_tangent() -> None:
    # (a write into the result changed the caller's tangent behind its version counter)
    t = tg.tensor(np.arange(6.0).reshape(2, 3))
    _, tangent = tg.jvp(lambda a: a.T, (tg.ones((2, 3)),), (t,))
    tangent += 1.0
    np.testing.assert_array_equal(t.data, np.arange(6.0).reshape(2, 3))


def test_f_returning_its_argument_after_writing_into_the_caller_s_tensor() -> None:
    # (the refresh of a returned view met the argument's stand-in, which is no view: an
    # internal AttributeError; then the stand-in refused to be used after the write, "aliases
    # another"; now it follows the caller's tensor as a view does, keeping its own tangent.
    # torch.func refuses the write itself: f may not mutate a captured tensor)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = w * 1.0

    def f(a):
        x.__imul__(2.0)
        return a

    out, tangent = tg.jvp(f, (x,), (tg.ones(2),))
    np.testing.assert_array_equal(out.data, [2.0, 4.0])
    np.testing.assert_array_equal(tangent.data, [1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])


def test_f_cannot_write_through_a_view_of_an_argument_that_requires_grad() -> None:
    # (the view's root is the transform's stand-in, not the leaf: the write reached the
    # caller's parameter; torch.func refuses)
    def f(x):
        h = x[:2]
        h += 1.0
        return (x * x).sum()

    p = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="view .* of a leaf tensor that requires grad"):
        tg.grad(f)(p)
    np.testing.assert_array_equal(p.data, [1.0, 2.0, 3.0])


def test_a_stand_in_f_returns_is_written_freely_after_the_call() -> None:
    # (as torch.func: the refusal of writes into a reverse transform's stand-in for an argument
    # that requires grad held on after the call, for a stand-in returned as aux or output)
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    _, aux = tg.grad(lambda x: ((x**2).sum(), x), has_aux=True)(b)
    aux *= 2
    out, _ = tg.vjp(lambda x: x, b)
    out += 1
    _, first = tg.jacrev(lambda x: (x * 2, x[0]), has_aux=True)(b)
    first += 1
    np.testing.assert_array_equal(b.data, [4.0, 5.0, 7.0])
    with pytest.raises(RuntimeError, match="leaf"):  # (inside f, still refused)
        tg.grad(lambda x: x.__imul__(2).sum())(b)


def test_vjp_fn_after_a_backward_from_vjp_s_output_raises_rather_than_rearm_the_graph() -> None:
    # (a change today let vjp_fn give back what that backward freed, in f's nodes shared with
    # the output's graph: a second out.backward() then ran and doubled w.grad silently, where
    # torch raises; reverted: vjp_fn raises, as before today, where torch.func's works)
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    out, fn = tg.vjp(lambda x: (x * w).exp().sum(), tg.tensor([1.0, 2.0]))
    out.backward()
    first = w.grad.data.copy()
    with pytest.raises(RuntimeError, match="second time"):
        fn(tg.tensor(1.0))
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()
    np.testing.assert_array_equal(w.grad.data, first)


def test_a_jvp_stand_in_follows_a_write_while_another_thread_is_mid_write() -> None:
    # (the list of a write in progress was one for all threads: a write made while another
    # thread's was in progress was taken for part of that one, the stand-in of f's other
    # argument was never refreshed, "aliases another"; and a thread's entries could be left
    # behind when the other cleared the list, after which every write appended to it)
    import threading

    from tensorgrad.grad_mode import STATE
    from tensorgrad.ops import _base

    inside, release = threading.Event(), threading.Event()

    def hook(op: object, inputs: tuple, out: object) -> None:
        if threading.current_thread() is other and type(op).__name__ == "SetView":
            inside.set()
            release.wait(10)

    def write_through_a_view() -> None:
        b = tg.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2.0
        v = b[0:2]
        v += 1.0

    other = threading.Thread(target=write_through_a_view)
    _base.RECORD_HOOKS.append(hook)
    try:
        other.start()
        assert inside.wait(10)
        w = tg.tensor([0.3, -0.5, 0.8], requires_grad=True)

        def f(p: tg.Tensor, q: tg.Tensor) -> tg.Tensor:
            p[0] = p[0] * 2.0
            return q * 1.0

        x = w * 1.0
        out, _ = tg.jvp(f, (x, x), (tg.tensor([1.0, 0.0, 0.0]), tg.zeros(3)))
    finally:
        release.set()
        other.join()
        _base.RECORD_HOOKS.remove(hook)
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 1.0, 1.0])
    assert STATE.write_chain == []  # (this thread's: no write left in progress)


@pytest.mark.parametrize(
    "transform", [tg.grad, tg.value_and_grad, tg.jacrev, tg.jacfwd, tg.hessian]
)
def test_argnums_empty_is_refused_as_torch_func_and_jax(transform) -> None:
    # (jacfwd and hessian raised IndexError 'list index out of range', grad and jacrev gave ())
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="argnums must be non-empty"):
        transform(lambda a, b: (a * b).sum(), argnums=())(x, x)


def test_nested_forward_mode_through_an_output_that_is_a_view() -> None:
    # (the inner jvp's tangent of a view output was copied without the outer level's tangent
    # riding on it: jvp of jvp, jacfwd of jacfwd and jacfwd of hessian gave zeros)
    x = tg.tensor([0.5, 1.0, 2.0])
    e0 = tg.tensor([1.0, 0.0, 0.0])

    def f(t):
        return (t**3)[0]

    assert tg.jvp(lambda t: tg.jvp(f, (t,), (e0,))[1], (x,), (e0,))[1].item() == 3.0
    np.testing.assert_allclose(tg.jacfwd(tg.jacfwd(f))(x)[0].data, [3.0, 0.0, 0.0])
    third = tg.jacfwd(tg.hessian(lambda t: tg.sum(t**4)))(x)
    np.testing.assert_allclose(
        third.data, np.einsum("i,ij,ik->ijk", 24 * x.data, np.eye(3), np.eye(3))
    )

    def g(t):
        return tg.norm(t, ord=3)

    np.testing.assert_allclose(tg.jacfwd(tg.jacfwd(g))(x).data, tg.jacrev(tg.jacrev(g))(x).data)


def test_hvp_of_one_tensor_is_a_tensor_as_torch() -> None:
    # (API.md: shaped like primals, as torch.autograd.functional.hvp; it was a 1-tuple)
    x, v = tg.tensor([1.0, 2.0]), tg.tensor([1.0, 0.0])
    value, hv = tg.hvp(lambda t: tg.sum(t**3), x, v)
    assert isinstance(hv, tg.Tensor) and hv.data.tolist() == [6.0, 0.0]
    _, (hv1,) = tg.hvp(lambda t: tg.sum(t**3), (x,), (v,))
    assert hv1.data.tolist() == [6.0, 0.0] and value.item() == 9.0


def test_value_and_grad_errors_name_value_and_grad() -> None:
    # (they all said "grad:", the transform value_and_grad is built into)
    with pytest.raises(TypeError, match="^value_and_grad: f must return a one-element Tensor"):
        tg.value_and_grad(lambda x: x)(tg.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="^value_and_grad: with has_aux=True"):
        tg.value_and_grad(lambda x: x.sum(), has_aux=True)(tg.tensor([1.0, 2.0]))
    with pytest.raises((TypeError, ValueError), match="^value_and_grad: "):
        tg.value_and_grad(lambda x: x.sum(), argnums=3)(tg.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="^grad: f must return a one-element Tensor"):
        tg.grad(lambda x: x)(tg.tensor([1.0, 2.0]))


def test_hessian_runs_f_once_and_agrees_with_forward_over_reverse() -> None:
    # (reverse over reverse, as torch.autograd.functional.hessian: forward over reverse called f
    # once per input element, 4x as long for a small net's loss)
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((6, 3)), rng.standard_normal(3)
    calls = []

    def loss(w: tg.Tensor, b: tg.Tensor) -> tg.Tensor:
        calls.append(1)
        return tg.mean(tg.tanh(tg.tensor(x) @ w + b) ** 2)

    h = tg.hessian(loss, argnums=(0, 1))(w, np.array(0.3))
    assert len(calls) == 1
    want = tg.jacfwd(tg.jacrev(loss, argnums=(0, 1)), argnums=(0, 1))(w, np.array(0.3))
    for i in range(2):
        for j in range(2):
            assert h[i][j].shape == want[i][j].shape
            np.testing.assert_allclose(h[i][j].data, want[i][j].data, rtol=1e-12, atol=1e-15)


def test_hessian_keeps_a_no_grad_block_in_f_constant() -> None:
    # (reverse over reverse, as tg.grad and torch.autograd.functional.hessian: forward over
    # reverse pushed tangents through the block, a non-symmetric matrix, as torch.func's)
    def f(x: tg.Tensor) -> tg.Tensor:
        with tg.no_grad():
            k = (x * 2).sum()
        return (x**3).sum() * k

    x = np.array([0.5, -1.0, 2.0])
    k = 2 * x.sum()
    np.testing.assert_allclose(tg.hessian(f)(x).data, np.diag(6 * x * k), rtol=1e-14)
