"""tg.linalg's inv, solve, det, slogdet, cholesky, eigh and eigvalsh, tg.logdet and torch's
top-level names, beyond the registry's finite differences:
NumPy's values and shapes, singular matrices, cholesky's symmetric convention, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

RNG = np.random.default_rng(0)


def _leaf(a: np.ndarray) -> tg.Tensor:
    return tg.tensor(a, requires_grad=True)


def _spd(*lead: int, n: int = 3) -> np.ndarray:
    m = RNG.normal(size=lead + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2), (1, 1), (0, 0), (0, 2, 2)])
def test_values_are_numpys(shape: tuple[int, ...]) -> None:
    a = RNG.normal(size=shape) + 3 * np.eye(shape[-1])
    np.testing.assert_allclose(tg.linalg.inv(a).data, np.linalg.inv(a), rtol=1e-12)
    np.testing.assert_allclose(tg.linalg.det(a).data, np.linalg.det(a), rtol=1e-12)
    sign, logabs = tg.linalg.slogdet(a)
    want = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.data, want.sign)
    np.testing.assert_allclose(logabs.data, want.logabsdet, rtol=1e-12)
    spd = a @ np.swapaxes(a, -1, -2) + np.eye(shape[-1])
    np.testing.assert_allclose(tg.linalg.cholesky(spd).data, np.linalg.cholesky(spd), rtol=1e-12)
    np.testing.assert_allclose(
        tg.linalg.cholesky(spd, upper=True).data, np.linalg.cholesky(spd, upper=True), rtol=1e-12
    )


@pytest.mark.parametrize(
    "sa, sb",
    [((3, 3), (3,)), ((2, 3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 1)), ((3, 3), (4, 3, 2)),
     ((2, 1, 3, 3), (5, 3, 2)), ((0, 0), (0,)), ((2, 2), (2, 0))],
)  # fmt: skip
def test_solve_shapes_and_gradients_are_numpys(sa: tuple, sb: tuple) -> None:
    a = RNG.normal(size=sa) + 3 * np.eye(sa[-1])
    b = RNG.normal(size=sb)
    ta, tb = _leaf(a), _leaf(b)
    x = tg.linalg.solve(ta, tb)
    want = np.linalg.solve(a, b)
    assert x.shape == want.shape
    np.testing.assert_allclose(x.data, want, rtol=1e-12, atol=1e-14)
    w = RNG.normal(size=want.shape)
    (x * w).sum().backward()
    assert ta.grad.shape == sa and tb.grad.shape == sb
    # b's gradient is solve(a^T, w) summed over what b was broadcast along; a's is -gb x^T
    vec = len(sb) == 1
    gb = np.linalg.solve(np.swapaxes(a, -1, -2), w[..., None] if vec else w)
    ga = -gb @ np.swapaxes(want[..., None] if vec else want, -1, -2)
    np.testing.assert_allclose(ta.grad.data, _summed_to(ga, sa), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        tb.grad.data, _summed_to(gb[..., 0] if vec else gb, sb), rtol=1e-10, atol=1e-12
    )


def _summed_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """``g`` summed over the axes an operand of ``shape`` was broadcast along."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def _cofactors(m: np.ndarray) -> np.ndarray:
    """The cofactor matrix from its definition (signed minors)."""
    n = m.shape[0]
    c = np.zeros_like(m)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(m, i, 0), j, 1)
            c[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


@pytest.mark.parametrize(
    "m",
    [
        np.array([[1.0, 2.0], [2.0, 4.0]]),
        np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),  # rank 2
        np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]]),  # rank 1
        np.zeros((3, 3)),
        np.diag([1.0, 0.0, 0.0, 2.0]),
    ],
)
def test_det_derivatives_hold_at_singular_matrices(m: np.ndarray) -> None:
    x = _leaf(m)
    (g,) = tg.autograd.grad(tg.linalg.det(x), x, create_graph=True)
    np.testing.assert_allclose(g.data, _cofactors(m), atol=1e-12)
    # the second derivative: the cofactors' own central differences (a polynomial's), and
    # the same from the other side of <w, H t> = <H w, t>
    t, w = RNG.normal(size=m.shape), RNG.normal(size=m.shape)
    (h,) = tg.autograd.grad((g * tg.tensor(t)).sum(), x, retain_graph=True)
    (h_w,) = tg.autograd.grad((g * tg.tensor(w)).sum(), x)
    fd = (_cofactors(m + 1e-4 * w) - _cofactors(m - 1e-4 * w)) / 2e-4
    np.testing.assert_allclose(h_w.data, fd, atol=1e-6)
    np.testing.assert_allclose(np.sum(h.data * w), np.sum(h_w.data * t), atol=1e-9)
    _, tangent = tg.jvp(tg.grad(tg.linalg.det), (tg.tensor(m),), (tg.tensor(w),))
    np.testing.assert_allclose(tangent.data, h_w.data, atol=1e-12)


def test_det_third_derivative_is_recorded() -> None:
    m = RNG.normal(size=(3, 3))
    x = _leaf(m)
    (g,) = tg.autograd.grad(tg.linalg.det(x), x, create_graph=True)
    (h,) = tg.autograd.grad(g[0, 1], x, create_graph=True)
    (third,) = tg.autograd.grad(h[1, 2], x)
    # det of 3 x 3 is cubic: d^3 det / dx01 dx12 dx20 = the sign of the permutation (0 1 2) -> 1
    want = np.zeros((3, 3))
    want[2, 0] = 1.0
    np.testing.assert_allclose(third.data, want, atol=1e-10)


def _second(x: tg.Tensor, t: np.ndarray) -> tg.Tensor:
    """det's second derivative along t, recorded: the gradient of <grad det, t>."""
    (g,) = tg.autograd.grad(tg.linalg.det(x).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad((g * t).sum(), x, create_graph=True)
    return h


@pytest.mark.parametrize("n", [2, 3, 4])
def test_det_third_derivatives_reverse_and_forward(n: int) -> None:
    m = RNG.normal(size=(2, n, n)) + n * np.eye(n)
    t, s, v = (RNG.normal(size=m.shape) for _ in range(3))
    # D3 det[t, s, .] by central differences of the (array) second derivative
    fd = np.zeros_like(m)
    for idx in np.ndindex(m.shape):
        e = np.zeros_like(m)
        e[idx] = 1e-5
        plus = _second(_leaf(m + e), t).data
        minus = _second(_leaf(m - e), t).data
        fd[idx] = np.sum((plus - minus) * s) / 2e-5
    x = _leaf(m)
    (third,) = tg.autograd.grad((_second(x, t) * s).sum(), x)  # (reverse, thrice)
    np.testing.assert_allclose(third.data, fd, rtol=1e-6, atol=1e-6)
    first = tg.grad(lambda y: tg.linalg.det(y).sum())
    second = tg.grad(lambda y: (first(y) * t).sum())
    _, along = tg.jvp(second, (tg.tensor(m),), (tg.tensor(s),))  # (forward over the two)
    np.testing.assert_allclose(along.data, fd, rtol=1e-6, atol=1e-6)
    (fourth,) = tg.autograd.grad((third * v).sum() if third.requires_grad else x.sum(), x)
    assert fourth.shape == m.shape


def test_det_second_derivative_in_every_mode_near_a_singular_matrix() -> None:
    # singular values 3, 2, 1 and 0 (rounded): the inverse is useless, the SVD is not
    q1, _ = np.linalg.qr(RNG.normal(size=(4, 4)))
    q2, _ = np.linalg.qr(RNG.normal(size=(4, 4)))
    m = q1 @ np.diag([3.0, 2.0, 1.0, 0.0]) @ q2
    t, w = RNG.normal(size=(4, 4)), RNG.normal(size=(4, 4))
    x = _leaf(m)
    reverse = _second(x, t).data
    _, forward = tg.jvp(tg.grad(tg.linalg.det), (tg.tensor(m),), (tg.tensor(t),))
    fd = (_cofactors(m + 1e-5 * t) - _cofactors(m - 1e-5 * t)) / 2e-5
    np.testing.assert_allclose(reverse, fd, atol=1e-8)
    np.testing.assert_allclose(forward.data, fd, atol=1e-8)
    assert np.sum(reverse * w) == pytest.approx(np.sum(_second(_leaf(m), w).data * t), abs=1e-9)


def test_det_at_size_zero() -> None:
    x = _leaf(np.zeros((2, 0, 0)))
    d = tg.linalg.det(x)
    np.testing.assert_array_equal(d.data, [1.0, 1.0])
    (g,) = tg.autograd.grad(d.sum(), x, create_graph=True)
    assert g.shape == (2, 0, 0)
    _, tangent = tg.jvp(tg.grad(lambda y: tg.linalg.det(y).sum()), (tg.tensor(x.data),),
                        (tg.tensor(x.data),))  # fmt: skip
    assert tangent.shape == (2, 0, 0)


def test_slogdet_at_a_singular_matrix() -> None:
    x = _leaf(np.array([[1.0, 2.0], [2.0, 4.0]]))
    sign, logabs = tg.linalg.slogdet(x)
    assert sign.item() == 0 and logabs.item() == -np.inf and not sign.requires_grad
    with np.errstate(all="ignore"):
        logabs.backward()  # the cofactors over 0, as torch's (inf and NaN), not an error
    assert np.all(np.isinf(x.grad.data))


def test_slogdet_gradient_is_the_inverse_transpose() -> None:
    a = RNG.normal(size=(2, 3, 3))
    x = _leaf(a)
    result = tg.linalg.slogdet(x)
    assert isinstance(result, tg.linalg.SlogdetResult) and result.sign.shape == (2,)
    np.testing.assert_array_equal(result.sign.data, np.sign(np.linalg.det(a)))
    assert tg.linalg.slogdet(np.diag([-2.0, 3.0])).sign.item() == -1.0
    result.logabsdet.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10)


def test_cholesky_derivatives_are_those_of_a_symmetric_input() -> None:
    a = _spd(2)
    x = _leaf(a)
    w = RNG.normal(size=a.shape)
    (tg.linalg.cholesky(x) * w).sum().backward()
    g = x.grad.data
    np.testing.assert_allclose(g, np.swapaxes(g, -1, -2), rtol=1e-12)  # symmetric
    # along a symmetric direction it is the derivative of L(a + e s)
    s = RNG.normal(size=a.shape)
    s = s + np.swapaxes(s, -1, -2)
    fd = np.sum(w * (np.linalg.cholesky(a + 1e-6 * s) - np.linalg.cholesky(a - 1e-6 * s))) / 2e-6
    np.testing.assert_allclose(np.sum(g * s), fd, rtol=1e-7)
    # a tangent's symmetric part is taken: t and its transpose move L alike
    t = RNG.normal(size=a.shape)
    _, along_t = tg.jvp(tg.linalg.cholesky, (tg.tensor(a),), (tg.tensor(t),))
    _, along_tt = tg.jvp(tg.linalg.cholesky, (tg.tensor(a),), (tg.tensor(np.swapaxes(t, -1, -2)),))
    np.testing.assert_allclose(along_t.data, along_tt.data, rtol=1e-12, atol=1e-14)
    sym = (t + np.swapaxes(t, -1, -2)) / 2
    fd = (np.linalg.cholesky(a + 1e-6 * sym) - np.linalg.cholesky(a - 1e-6 * sym)) / 2e-6
    np.testing.assert_allclose(along_t.data, fd, rtol=1e-6, atol=1e-8)
    # upper=True is L^T, and its gradient the same symmetric one
    y = _leaf(a)
    (tg.linalg.cholesky(y, upper=True) * np.swapaxes(w, -1, -2)).sum().backward()
    np.testing.assert_allclose(y.grad.data, g, rtol=1e-12)


def test_cholesky_reads_the_triangle_numpy_reads() -> None:
    a = _spd(n=3)
    noise = RNG.normal(size=(3, 3))
    low, high = np.tril(a) + np.triu(noise, 1), np.triu(a) + np.tril(noise, -1)
    np.testing.assert_allclose(tg.linalg.cholesky(low).data, np.linalg.cholesky(a))
    for m in (low, high):
        np.testing.assert_allclose(
            tg.linalg.cholesky(m, upper=True).data, np.linalg.cholesky(m, upper=True)
        )
    np.testing.assert_allclose(tg.linalg.cholesky(high, upper=True).data, np.linalg.cholesky(a).T)


def test_solve_tangents_of_each_operand_alone() -> None:
    a = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    b, ta, tb = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 3)), RNG.normal(size=(3, 2))
    x = np.linalg.solve(a, b)
    _, along_b = tg.jvp(lambda v: tg.linalg.solve(a, v), (tg.tensor(b),), (tg.tensor(tb),))
    np.testing.assert_allclose(along_b.data, np.linalg.solve(a, tb), rtol=1e-12)
    _, along_a = tg.jvp(lambda m: tg.linalg.solve(m, b), (tg.tensor(a),), (tg.tensor(ta),))
    np.testing.assert_allclose(along_a.data, -np.linalg.solve(a, ta @ x), rtol=1e-12)


def test_a_failing_matrix_in_a_rule_spoils_only_its_own_gradient() -> None:
    # the forward factorises [[0, 0], [1, nan]] (NaN result); the adjoint's transpose meets a
    # zero pivot: NaN for that matrix, the other's gradient as it is alone
    a = np.stack([[[2.0, 1.0], [1.0, 3.0]], [[0.0, 0.0], [1.0, np.nan]]])
    ta, tb = _leaf(a), _leaf(np.ones((2, 2, 1)))
    with np.errstate(invalid="ignore"):
        ga, gb = tg.autograd.grad(tg.linalg.solve(ta, tb).sum(), [ta, tb])
    alone_a, alone_b = _leaf(a[0]), _leaf(np.ones((2, 1)))
    want_a, want_b = tg.autograd.grad(tg.linalg.solve(alone_a, alone_b).sum(), [alone_a, alone_b])
    np.testing.assert_allclose(ga.data[0], want_a.data)
    np.testing.assert_allclose(gb.data[0], want_b.data)
    assert np.isnan(gb.data[1]).all()


def test_inverse_gradient_and_tangent() -> None:
    a = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    y = np.linalg.inv(a)
    x = _leaf(a)
    w = RNG.normal(size=(3, 3))
    (tg.linalg.inv(x) * w).sum().backward()
    np.testing.assert_allclose(x.grad.data, -y.T @ w @ y.T, rtol=1e-12)
    t = RNG.normal(size=(3, 3))
    _, tangent = tg.jvp(tg.linalg.inv, (tg.tensor(a),), (tg.tensor(t),))
    np.testing.assert_allclose(tangent.data, -y @ t @ y, rtol=1e-12)


def test_integers_are_taken_in_float64_and_float32_kept() -> None:
    assert tg.linalg.inv(np.array([[2, 0], [0, 4]])).dtype == np.float64
    assert tg.linalg.det(np.eye(2, dtype=bool)).dtype == np.float64
    a = (RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)
    x = _leaf(a)
    for fn in (tg.linalg.inv, tg.linalg.det, lambda v: tg.linalg.slogdet(v)[1],
               lambda v: tg.linalg.solve(v, np.ones(3, np.float32)),
               lambda v: tg.linalg.cholesky(v @ v.T)):  # fmt: skip
        out = fn(x)
        assert out.dtype == np.float32
        out.sum().backward()
        assert x.grad.dtype == np.float32
        x.grad = None


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: tg.linalg.inv(np.ones((2, 3))), ValueError, r"inv: x must be a square.*\(2, 3\)"),
        (lambda: tg.linalg.det(np.ones(3)), ValueError, r"det: x must be a square.*\(3,\)"),
        (lambda: tg.linalg.inv(np.ones((2, 2))), np.linalg.LinAlgError, "inv: singular matrix"),
        (lambda: tg.linalg.solve(np.ones((2, 2)), np.ones(2)), np.linalg.LinAlgError,
         "solve: singular"),
        (lambda: tg.linalg.cholesky(-np.eye(2)), np.linalg.LinAlgError,
         "cholesky: matrix is not positive definite"),
        (lambda: tg.linalg.slogdet(np.eye(2, dtype=np.float16)), TypeError,
         "slogdet: x of dtype float16"),
        (lambda: tg.linalg.solve(np.eye(3), np.ones(2)), ValueError,
         r"solve: a of shape \(3, 3\) and b of shape \(2,\)"),
        (lambda: tg.linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1))), ValueError,
         r"solve: the leading axes of a of shape \(2, 3, 3\) and b of shape \(4, 3, 1\)"),
        (lambda: tg.linalg.solve(np.eye(2), 1.0), ValueError, r"solve: b must be a vector"),
        (lambda: tg.linalg.inv("ab"), TypeError, "inv"),
        (lambda: tg.linalg.cholesky(np.eye(2), upper=1), TypeError, "cholesky: upper"),
    ],
)  # fmt: skip
def test_refusals_name_the_op_and_argument(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_errors_in_a_stack_name_the_failing_matrix() -> None:
    stack = np.stack([np.eye(2), -np.eye(2), np.eye(2)])
    with pytest.raises(np.linalg.LinAlgError, match=r"cholesky: .*index \(1,\) of the stack"):
        tg.linalg.cholesky(stack)
    with pytest.raises(ValueError, match=r"only a 1-D b is a vector; .* pass b\[\.\.\., None\]"):
        tg.linalg.solve(np.ones((4, 3, 3)) + np.eye(3), np.ones((4, 3)))


def test_linalg_error_is_a_value_error() -> None:
    # (the contract's ValueError for bad input holds: NumPy's LinAlgError subclasses it)
    with pytest.raises(ValueError):
        tg.linalg.inv(np.zeros((2, 2)))


def test_numpy_functions_dispatch() -> None:
    a = _spd(n=3)
    x = _leaf(a)
    outs = [np.linalg.inv(x), np.linalg.det(x), np.linalg.slogdet(x).logabsdet,
            np.linalg.solve(x, np.ones(3)), np.linalg.cholesky(x)]  # fmt: skip
    for out in outs:
        assert isinstance(out, tg.Tensor) and out.requires_grad
    assert tg.linalg.norm is tg.norm


def test_det_gradient_where_det_over_or_underflows_but_the_cofactors_do_not() -> None:
    # (det(x) x^-T would be inf * 0 or 0 * inf: the SVD's products of all s but one are fine)
    stack = np.stack([1e200 * np.eye(2), 1e-170 * np.eye(2), [[2.0, 1.0], [1.0, 3.0]]])
    x = _leaf(stack)
    with np.errstate(all="ignore"):  # (the forward's det overflows and underflows)
        tg.linalg.det(x).sum().backward()
    np.testing.assert_allclose(x.grad.data[0], 1e200 * np.eye(2))
    np.testing.assert_allclose(x.grad.data[1], 1e-170 * np.eye(2))
    np.testing.assert_allclose(x.grad.data[2], [[3.0, -1.0], [-1.0, 2.0]])
    y = _leaf((20 * np.eye(30)).astype(np.float32))
    with np.errstate(over="ignore"):  # (det 20 ** 30 is past float32's range: inf)
        tg.linalg.det(y).backward()
    np.testing.assert_allclose(np.diagonal(y.grad.data), np.full(30, 20.0**29), rtol=1e-5)


def test_a_failing_matrix_in_a_stack_of_two_axes() -> None:
    a = np.tile(np.array([[2.0, 1.0], [1.0, 3.0]]), (2, 2, 1, 1))
    a[1, 0] = [[0.0, 0.0], [1.0, np.nan]]
    ta = _leaf(a)
    with np.errstate(invalid="ignore"):
        (ga,) = tg.autograd.grad(tg.linalg.solve(ta, np.ones((2, 1))).sum(), [ta])
    assert ga.shape == (2, 2, 2, 2) and np.isnan(ga.data[1, 0]).all()
    alone = _leaf(a[0, 0])
    (want,) = tg.autograd.grad(tg.linalg.solve(alone, np.ones((2, 1))).sum(), [alone])
    for i, j in [(0, 0), (0, 1), (1, 1)]:
        np.testing.assert_allclose(ga.data[i, j], want.data)


def test_det_second_derivative_in_its_direction_and_with_tangents_on_both() -> None:
    m = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
    v, w, tx, tv = (RNG.normal(size=(3, 3)) for _ in range(4))
    # <H(x) v, w> differentiated in v (which requires grad) is H(x) w
    x, vt = _leaf(m), _leaf(v)
    (g,) = tg.autograd.grad(tg.linalg.det(x), x, create_graph=True)
    (hv,) = tg.autograd.grad((g * vt).sum(), x, create_graph=True)
    (by_v,) = tg.autograd.grad((hv * w).sum(), vt)
    np.testing.assert_allclose(by_v.data, _second(_leaf(m), w).data, rtol=1e-10)

    # the tangent of H(x) v along (tx, tv): D3 det[v, tx, .] + H(x) tv
    def hvp(y: tg.Tensor, u: tg.Tensor) -> tg.Tensor:
        return tg.hvp(lambda z: tg.linalg.det(z), (y,), (u,))[1][0]

    _, tangent = tg.jvp(hvp, (tg.tensor(m), tg.tensor(v)), (tg.tensor(tx), tg.tensor(tv)))
    fd = (_second(_leaf(m + 1e-6 * tx), v).data - _second(_leaf(m - 1e-6 * tx), v).data) / 2e-6
    np.testing.assert_allclose(tangent.data, fd + _second(_leaf(m), tv).data, rtol=1e-6, atol=1e-6)


def test_eigh_is_numpys_and_its_gradient_the_classic_one() -> None:
    a = _spd(2, n=4)
    w, v = tg.linalg.eigh(a)
    want = np.linalg.eigh(a)
    np.testing.assert_allclose(w.data, want.eigenvalues, rtol=1e-12)
    np.testing.assert_allclose(np.abs(v.data), np.abs(want.eigenvectors), rtol=1e-10, atol=1e-12)
    # d sum(c w) = V diag(c) V^T; through the eigenvectors' squares the classic formula
    x = _leaf(a)
    c = RNG.normal(size=(2, 4))
    (tg.linalg.eigh(x).eigenvalues * c).sum().backward()
    vv = want.eigenvectors
    np.testing.assert_allclose(x.grad.data, (vv * c[:, None, :]) @ np.swapaxes(vv, -1, -2))
    # eigvalsh at a tie: the gradient is still V diag(c) V^T, finite (the eigenvectors' term,
    # inf there, is skipped when they are unused)
    y = _leaf(np.diag([1.0, 1.0, 2.0]))
    (tg.linalg.eigvalsh(y) * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(y.grad.data, np.diag([1.0, 2.0, 3.0]))
    # ... and with create_graph, where the cotangent depends on x (torch: diag(3, 3, 12))
    z = _leaf(np.diag([1.0, 1.0, 2.0]))
    (g,) = tg.autograd.grad((tg.linalg.eigvalsh(z) ** 3).sum(), z, create_graph=True)
    np.testing.assert_array_equal(g.data, np.diag([3.0, 3.0, 12.0]))
    skew = np.array([[2.0, 1.0, 0.0], [5.0, 3.0, 1.0], [7.0, 2.0, 4.0]])
    for uplo in ("U", "l"):  # (the triangle NumPy reads, either case; LAPACK's signs too)
        want = np.linalg.eigh(skew, UPLO=uplo)
        got = tg.linalg.eigh(skew, UPLO=uplo)
        np.testing.assert_array_equal(got.eigenvectors.data, want.eigenvectors)
        np.testing.assert_array_equal(
            tg.linalg.eigvalsh(skew, UPLO=uplo).data, np.linalg.eigvalsh(skew, UPLO=uplo)
        )
    # the gradient through the eigenvectors is symmetric (a symmetric input's)
    s = _leaf(a[0])
    (tg.linalg.eigh(s).eigenvectors ** 2 * RNG.normal(size=(4, 4))).sum().backward()
    np.testing.assert_allclose(s.grad.data, s.grad.data.T, rtol=1e-12, atol=1e-14)
    assert isinstance(np.linalg.eigh(_leaf(a)), tg.linalg.EighResult)
    assert np.linalg.eigvalsh(_leaf(a)).requires_grad
    with pytest.raises(ValueError, match="eigh: UPLO must be 'L' or 'U'"):
        tg.linalg.eigh(a, UPLO="X")
    with pytest.raises(TypeError, match="eigvalsh: x of dtype float16"):
        tg.linalg.eigvalsh(np.eye(2, dtype=np.float16))


def test_eigh_tangent_of_a_sign_invariant_function() -> None:
    a = _spd(n=3)
    t = RNG.normal(size=(3, 3))

    def squares(m: tg.Tensor) -> tg.Tensor:
        return tg.linalg.eigh(m).eigenvectors ** 2

    _, tangent = tg.jvp(squares, (tg.tensor(a),), (tg.tensor(t),))
    sym = (t + t.T) / 2
    fd = (np.linalg.eigh(a + 1e-6 * sym).eigenvectors ** 2
          - np.linalg.eigh(a - 1e-6 * sym).eigenvectors ** 2) / 2e-6  # fmt: skip
    np.testing.assert_allclose(tangent.data, fd, rtol=1e-5, atol=1e-7)


def test_matrix_power_and_multi_dot_are_numpys() -> None:
    a = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
    for n in (0, 1, 2, 5, -1, -3):
        np.testing.assert_allclose(
            tg.linalg.matrix_power(a, n).data, np.linalg.matrix_power(a, n), rtol=1e-10
        )
    ints = np.array([[1, 2], [3, 4]])
    got = tg.linalg.matrix_power(ints, 3)
    assert got.dtype == np.int64 and np.array_equal(got.data, np.linalg.matrix_power(ints, 3))
    x = _leaf(a)
    assert not tg.linalg.matrix_power(x, 0).requires_grad  # (the identity: a constant)
    tg.linalg.matrix_power(x, 2).sum().backward()  # d sum(A A) = 1 A^T + A^T 1
    ones = np.ones((3, 3))
    np.testing.assert_allclose(
        x.grad.data, ones @ np.swapaxes(a, -1, -2) + np.swapaxes(a, -1, -2) @ ones
    )
    for n in (3, -3):  # (NumPy's short cut (a a) a: its bits)
        np.testing.assert_array_equal(
            tg.linalg.matrix_power(a, n).data, np.linalg.matrix_power(a, n)
        )
    assert tg.linalg.matrix_power(a, np.array(2)).shape == a.shape  # (a 0-d int, as NumPy)
    plain, out = tg.tensor(np.eye(2)), np.empty((2, 2))
    assert np.linalg.multi_dot([plain, plain], out=out) is out  # (graph-free: NumPy's)
    chain = [RNG.normal(size=s) for s in [(4,), (4, 10), (10, 2), (2, 6), (6,)]]
    np.testing.assert_allclose(tg.linalg.multi_dot(chain).data, np.linalg.multi_dot(chain))
    assert np.linalg.multi_dot([_leaf(chain[1]), chain[2]]).requires_grad
    with pytest.raises(TypeError, match="matrix_power: n must be an int"):
        tg.linalg.matrix_power(a, 1.5)
    with pytest.raises(ValueError, match=r"multi_dot: arrays 0 and 1 of shapes \(3,\) and"):
        tg.linalg.multi_dot([np.ones(3), np.ones((4, 2))])
    with pytest.raises(ValueError, match="multi_dot: expected at least two arrays"):
        tg.linalg.multi_dot([np.ones((2, 2))])


def test_triangular_solves() -> None:
    a = np.tril(RNG.normal(size=(3, 3))) + 3 * np.eye(3)
    b = RNG.normal(size=(3, 2))
    np.testing.assert_allclose(
        tg.linalg.solve_triangular(a + np.triu(np.ones((3, 3)), 1), b, upper=False).data,
        np.linalg.solve(a, b),  # (the other triangle is not read)
    )
    unit = np.tril(a, -1) + np.eye(3)
    np.testing.assert_allclose(
        tg.linalg.solve_triangular(a, b.T, upper=False, left=False, unitriangular=True).data,
        np.linalg.solve(unit.T, b).T,
    )
    low = np.linalg.cholesky(a @ a.T)
    np.testing.assert_allclose(tg.linalg.cholesky_solve(b, low).data, np.linalg.solve(a @ a.T, b))
    np.testing.assert_allclose(
        tg.linalg.cholesky_solve(b, low.T, upper=True).data, np.linalg.solve(a @ a.T, b)
    )
    x = _leaf(low)
    tg.linalg.cholesky_solve(b, x).sum().backward()
    assert not np.triu(x.grad.data, 1).any()  # (the other triangle is not read: no gradient)
    with pytest.raises(TypeError, match="solve_triangular"):
        tg.linalg.solve_triangular(a, b)  # (upper is required, as torch's)
    # by substitution: a random 25 x 25 triangle, where an LU solve lost 7 digits
    ill = np.tril(np.random.default_rng(0).normal(size=(25, 25)))
    x = tg.linalg.solve_triangular(ill, np.ones((25, 1)), upper=False).data
    exact = np.ones((25, 1), dtype=np.longdouble)
    for i in range(25):  # (long double substitution)
        exact[i] = (1 - ill[i, :i].astype(np.longdouble) @ exact[:i, 0]) / ill[i, i]
    np.testing.assert_allclose(x, exact.astype(np.float64), rtol=1e-12)
    zero = tg.linalg.solve_triangular(
        np.array([[0.0, 0.0], [1.0, 3.0]]), np.ones((2, 1)), upper=False
    )
    assert np.isinf(zero.data).all()  # (a zero on the diagonal: inf, as torch's)
    with pytest.raises(ValueError, match=r"solve_triangular: b must be matrices \(\.\.\., n, k\)"):
        tg.linalg.solve_triangular(a, np.ones(3), upper=False)


def test_logdet_is_torchs_where_det_is_not_positive() -> None:
    # det 5, -1 and 0: log 5, NaN (its gradient 0, a where on slogdet's, as torch's) and -inf
    a = np.array([[[2.0, 1.0], [1.0, 3.0]], [[0.0, 1.0], [1.0, 0.0]], [[1.0, 2.0], [2.0, 4.0]]])
    x = _leaf(a)
    out = tg.logdet(x)
    assert out.shape == (3,) and np.isclose(out.data[0], np.log(5.0), rtol=1e-15)
    assert np.isnan(out.data[1]) and out.data[2] == -np.inf
    with np.errstate(all="ignore"):
        out[:2].sum().backward()
    np.testing.assert_allclose(x.grad.data[0], np.linalg.inv(a[0]).T, rtol=1e-14)
    assert not x.grad.data[1].any()
    assert np.isnan(x.grad.data[2]).all()  # (0 times the cofactors over 0: NaN, as torch's)
    assert tg.logdet(np.zeros((3, 0, 0))).data.tolist() == [0.0, 0.0, 0.0]  # (det 1, as torch)
    assert tg.logdet(np.eye(2, dtype=np.float32)).dtype == np.float32
    assert tg.logdet(np.eye(2, dtype=np.int64)).dtype == np.float64


def test_logdet_derivatives_of_every_order_and_its_tangents() -> None:
    a = _spd(2)
    x = _leaf(a)
    (g,) = tg.autograd.grad(tg.logdet(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, np.linalg.inv(a).swapaxes(-1, -2), rtol=1e-13)
    assert tg.gradgradcheck(lambda y: tg.logdet(y), (tg.tensor(a, requires_grad=True),))
    t = RNG.normal(size=a.shape)
    _, tangent = tg.jvp(tg.logdet, (tg.tensor(a),), (tg.tensor(t),))
    want = np.einsum("...ij,...ji->...", np.linalg.inv(a), t)
    np.testing.assert_allclose(tangent.data, want, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logdet_agrees_with_torch(dtype: type) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a = rng.normal(size=(4, 3, 3)).astype(dtype)  # (some dets negative: NaN in both)
    w, v = rng.normal(size=4).astype(dtype), rng.normal(size=a.shape).astype(dtype)
    x = _leaf(a)
    out = tg.logdet(x)
    kept = tg.where(np.isnan(out.data), 0.0, out)
    (g,) = tg.autograd.grad((kept * w).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad((g * v).sum(), x)
    tx = torch.tensor(a, requires_grad=True)
    tout = torch.logdet(tx)
    tkept = torch.where(torch.isnan(tout), 0.0, tout)
    (tgrad,) = torch.autograd.grad((tkept * torch.tensor(w)).sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad((tgrad * torch.tensor(v)).sum(), tx)
    rtol, atol = (1e-12, 1e-13) if dtype is np.float64 else (2e-4, 2e-5)
    assert out.dtype == tout.detach().numpy().dtype
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(g.data, tgrad.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(h.data, th.numpy(), rtol=rtol, atol=atol)


def test_torchs_top_level_names_are_the_same_functions() -> None:
    assert tg.det is tg.linalg.det and tg.inverse is tg.linalg.inv
    assert tg.slogdet is tg.linalg.slogdet and "logdet" not in tg.linalg.__all__
    a = RNG.normal(size=(2, 3, 3))
    x = tg.tensor(a)
    np.testing.assert_array_equal(x.det().data, tg.linalg.det(a).data)
    np.testing.assert_array_equal(x.inverse().data, tg.linalg.inv(a).data)
    np.testing.assert_array_equal(x.logdet().data, tg.logdet(a).data)
    sign, logabsdet = x.slogdet()
    np.testing.assert_array_equal(sign.data, np.linalg.slogdet(a)[0])
    np.testing.assert_array_equal(logabsdet.data, np.linalg.slogdet(a)[1])
    with pytest.raises(ValueError, match=r"logdet: x must be a square matrix.*\(2, 3\)"):
        tg.logdet(np.ones((2, 3)))
    with pytest.raises(TypeError, match="logdet: x of dtype float16"):
        tg.logdet(np.ones((2, 2), np.float16))
