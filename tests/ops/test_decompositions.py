"""tg.linalg's svd, svdvals, qr, pinv and lstsq beyond the registry's finite differences:
NumPy's values, torch's gradients (hard-coded from torch 2.13), their modes and flags, ties,
completions, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

RNG = np.random.default_rng(0)
A = np.array([[2.0, -1.0, 0.5], [0.0, 1.0, 3.0], [1.0, 1.0, -2.0], [0.5, 0.0, 1.0]])


def _leaf(a: np.ndarray) -> tg.Tensor:
    return tg.tensor(a, requires_grad=True)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 1, 4, 2), (1, 1), (0, 3), (2, 0)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_values_are_numpys(shape: tuple[int, ...], full: bool) -> None:
    a = RNG.normal(size=shape)
    u, s, vh = tg.linalg.svd(a, full_matrices=full)
    want = np.linalg.svd(a, full_matrices=full)
    for got, ref in zip((u, s, vh), want):
        assert got.shape == ref.shape
        np.testing.assert_allclose(got.data, ref, atol=1e-14)
    # (NumPy's values alone, without vectors: their own LAPACK call, rounded otherwise)
    s_alone = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_array_equal(tg.linalg.svd(a, compute_uv=False).data, s_alone)
    np.testing.assert_array_equal(tg.linalg.svdvals(a).data, s_alone)
    assert isinstance(np.linalg.svd(tg.tensor(a)), tg.linalg.SVDResult)


def test_svd_gradient_is_torchs() -> None:
    x = _leaf(A)
    u, s, vh = tg.linalg.svd(x, full_matrices=False)
    y = (u**4).sum() + tg.prod(s) + (vh**4).sum() + (u[:, :1] * vh[:1, :].T[:1]).sum()
    y.backward()
    torch_grad = [
        [5.371162510026785, -2.317632121033648, 0.7806569869332222],
        [1.6892333282757344, 4.633382622620639, 3.1996420535384513],
        [3.9194990856128524, 6.502483782299173, -1.7776712491356068],
        [1.4352819215629677, 0.6149698868654475, 0.9540097322083407],
    ]
    np.testing.assert_allclose(x.grad, torch_grad, rtol=1e-12)


def test_svd_full_matrices_completion_is_a_constant() -> None:
    """U's columns past min(m, n) are any orthonormal completion: no gradient, as torch's."""
    x = _leaf(A)
    u, _, _ = tg.linalg.svd(x)
    assert u.shape == (4, 4)
    u[:, 3:].sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros_like(A))
    # (the thin columns' gradient is the thin SVD's)
    x2, x3 = _leaf(A), _leaf(A)
    (tg.linalg.svd(x2).U[:, :3] ** 4).sum().backward()
    (tg.linalg.svd(x3, full_matrices=False).U ** 4).sum().backward()
    np.testing.assert_allclose(x2.grad, x3.grad, rtol=1e-13)


def test_svd_singular_values_alone_stay_finite_at_a_tie() -> None:
    """S's gradient U V^T needs no gaps: finite at the identity (U's would be inf)."""
    x = _leaf(np.eye(3))
    tg.linalg.svd(x).S.sum().backward()
    np.testing.assert_allclose(x.grad, np.eye(3), atol=1e-15)
    x = _leaf(np.eye(3))
    with np.errstate(all="ignore"):
        (tg.linalg.svd(x).U ** 4).sum().backward()
    assert not np.isfinite(np.asarray(x.grad)).all()


def test_svd_hermitian_is_numpys() -> None:
    m = RNG.normal(size=(2, 4, 4))
    sym = m + np.swapaxes(m, -1, -2)
    got = tg.linalg.svd(sym, hermitian=True)
    want = np.linalg.svd(sym, hermitian=True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w, atol=1e-13)
    np.testing.assert_allclose(
        tg.linalg.svd(sym, compute_uv=False, hermitian=True).data,
        np.linalg.svd(sym, compute_uv=False, hermitian=True),
        atol=1e-13,
    )
    # (its gradient: the general SVD's, at a symmetric matrix, for symmetric directions)
    x, y = _leaf(sym), _leaf(sym)
    tg.linalg.svd(x, hermitian=True).S.sum().backward()
    tg.linalg.svd(y).S.sum().backward()
    np.testing.assert_allclose(x.grad, (y.grad + np.swapaxes(y.grad, -1, -2)) / 2, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 5, 2), (1, 1), (0, 3), (3, 0)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_values_are_numpys(shape: tuple[int, ...], mode: str) -> None:
    a = RNG.normal(size=shape)
    got, want = tg.linalg.qr(a, mode=mode), np.linalg.qr(a, mode=mode)
    if mode == "r":
        np.testing.assert_array_equal(got.data, want)
        return
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.data, w)


def test_qr_gradient_is_torchs() -> None:
    x = _leaf(A)
    q, r = tg.linalg.qr(x)
    ((q**3).sum() + (r**2).sum()).backward()
    torch_grad = [
        [3.605663329115931, -2.263117728463482, 1.0162789107277859],
        [-0.07684870285632006, 1.1700779184904126, 6.017441690065486],
        [2.7432130778727104, 2.5668043530461055, -4.0011627793377],
        [1.0909205277908562, -0.08113779223828455, 1.9372099157642546],
    ]
    np.testing.assert_allclose(x.grad, torch_grad, rtol=1e-12)


def test_qr_r_alone_is_differentiable() -> None:
    """mode='r' (torch's refuses a backward): R's derivatives, as the reduced mode's R's."""
    x, y = _leaf(A), _leaf(A)
    (tg.linalg.qr(x, mode="r") ** 3).sum().backward()
    (tg.linalg.qr(y).R ** 3).sum().backward()
    np.testing.assert_array_equal(x.grad, y.grad)


def test_qr_complete_of_a_tall_matrix_and_raw_are_not_differentiable() -> None:
    x = _leaf(A)
    q, _ = tg.linalg.qr(x, mode="complete")
    assert q.shape == (4, 4)
    with pytest.raises(NotImplementedError, match="mode='complete'"):
        q.sum().backward()
    with pytest.raises(ValueError, match="mode='raw' is not differentiable"):
        tg.linalg.qr(x, mode="raw")
    h, tau = tg.linalg.qr(A, mode="raw")
    for g, w in zip((h, tau), np.linalg.qr(A, mode="raw")):
        np.testing.assert_array_equal(g.data, w)
    with pytest.raises(ValueError, match="qr: mode must be"):
        tg.linalg.qr(A, mode="full")


def test_pinv_is_numpys_and_its_gradient_torchs() -> None:
    x = _leaf(A)
    p = tg.linalg.pinv(x)
    np.testing.assert_array_equal(p.data, np.linalg.pinv(A))
    (p**2).sum().backward()
    torch_grad = [
        [-0.10952479590287227, 0.1183004069916262, -0.01573040403710414],
        [-0.07900168045144224, -0.24044976936423265, -0.022674427162069022],
        [-0.1647352185071517, -0.3560491046507333, 0.027315503053065134],
        [-0.04728957649823507, -0.029527624776481295, -0.010882547537102943],
    ]
    np.testing.assert_allclose(x.grad, torch_grad, rtol=1e-12)


def test_pinv_cutoffs_are_numpys() -> None:
    low_rank = np.outer([1.0, 2.0, 3.0], [1.0, -1.0]) + 1e-9 * RNG.normal(size=(3, 2))
    for kw in ({}, {"rcond": 1e-6}, {"rtol": 1e-6}, {"rtol": None}, {"rcond": np.array(1e-6)}):
        np.testing.assert_array_equal(
            tg.linalg.pinv(low_rank, **kw).data, np.linalg.pinv(low_rank, **kw)
        )
    with pytest.raises(ValueError, match="rcond or rtol, not both"):
        tg.linalg.pinv(low_rank, rcond=1e-6, rtol=1e-6)
    with pytest.raises(TypeError, match="cutoff, not differentiable"):
        tg.linalg.pinv(low_rank, rcond=_leaf(np.array(1e-6)))


def test_pinv_of_a_matrix_holding_an_inf_is_nan_alone() -> None:
    """LAPACK's SVD may never return on an inf: NaN for that matrix of a stack only."""
    a = np.stack([A, A])
    a[1, 0, 0] = np.inf
    out = tg.linalg.pinv(a).data
    np.testing.assert_array_equal(out[0], np.linalg.pinv(A))
    assert np.isnan(out[1]).all()
    with pytest.raises(np.linalg.LinAlgError, match="pinv: a holds a NaN"):
        tg.linalg.pinv(np.full((2, 2), np.nan))


@pytest.mark.parametrize("b_shape", [(4,), (4, 2)])
def test_lstsq_is_numpys(b_shape: tuple[int, ...]) -> None:
    b = RNG.normal(size=b_shape)
    got, want = tg.linalg.lstsq(A, b), np.linalg.lstsq(A, b)
    np.testing.assert_allclose(got.solution.data, want[0], rtol=1e-13)
    np.testing.assert_allclose(got.residuals.data, want[1], rtol=1e-12)
    assert got.rank == want[2]
    np.testing.assert_allclose(got.singular_values.data, want[3], rtol=1e-14)
    # (its gradient in a and b: pinv(a) b's)
    xa, xb, ya, yb = _leaf(A), _leaf(b), _leaf(A), _leaf(b)
    (tg.linalg.lstsq(xa, xb).solution ** 2).sum().backward()
    ((tg.linalg.pinv(ya) @ yb) ** 2).sum().backward()
    np.testing.assert_allclose(xa.grad, ya.grad, rtol=1e-12)
    np.testing.assert_allclose(xb.grad, yb.grad, rtol=1e-12)


def test_lstsq_rank_deficient_and_wide() -> None:
    deficient = np.outer([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 2.0])
    for a in (deficient, A.T):
        b = RNG.normal(size=a.shape[0])
        got, want = tg.linalg.lstsq(a, b), np.linalg.lstsq(a, b)
        np.testing.assert_allclose(got.solution.data, want[0], atol=1e-13)
        assert got.residuals.shape == want[1].shape == (0,)
        assert got.rank == want[2]
    with pytest.raises(ValueError, match=r"lstsq: .*a of shape \(2, 4, 3\) and b of shape"):
        tg.linalg.lstsq(np.stack([A, A]), np.ones(4))
    with pytest.raises(np.linalg.LinAlgError, match="lstsq: a holds an inf"):
        tg.linalg.lstsq(np.where(A > 2, np.inf, A), np.ones(4))


def test_errors_name_the_function() -> None:
    for fn in (tg.linalg.svd, tg.linalg.svdvals, tg.linalg.qr, tg.linalg.pinv):
        name = fn.__name__
        with pytest.raises(ValueError, match=rf"{name}: .*\(\.\.\., m, n\), got shape \(3,\)"):
            fn(np.ones(3))
        with pytest.raises(TypeError, match=f"{name}: .*float16"):
            fn(np.ones((2, 2), np.float16))
    with pytest.raises(TypeError, match="svd: full_matrices must be a bool"):
        tg.linalg.svd(A, full_matrices="no")
    with pytest.raises(np.linalg.LinAlgError, match="svdvals: x holds a NaN"):
        tg.linalg.svdvals(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match=r"pinv: rcond of shape \(2,\) does not broadcast"):
        tg.linalg.pinv(np.ones((3, 2, 2)), rcond=np.ones(2))
    with pytest.raises(TypeError, match="pinv: rcond must be a real number"):
        tg.linalg.pinv(A, rcond="x")
    with pytest.raises(ValueError, match="svd: hermitian=True needs square"):
        tg.linalg.svd(A, hermitian=True)


def test_float32_stays_float32() -> None:
    a = A.astype(np.float32)
    for out in (*tg.linalg.svd(a), *tg.linalg.qr(a), tg.linalg.pinv(a), tg.linalg.svdvals(a)):
        assert out.dtype == np.float32
    assert tg.linalg.lstsq(a, np.ones(4, np.float32)).solution.dtype == np.float32


def test_lstsq_rank_and_residuals_are_numpys_at_the_edges() -> None:
    """NumPy's rules: residuals only for full column rank and more rows than columns; the
    cutoff float64's eps (NumPy's LAPACK call is in double), a negative rcond meaning eps."""
    cases = [
        (np.eye(3), np.ones(3), {}),  # (square: no residuals)
        (np.zeros((3, 2)), np.ones(3), {}),  # (rank 0)
        # (rcond -1 is eps: a singular value of 1e-20 cut, one of 1e-12 kept; an exact rank 1
        # outer product's rounded second one, ~1e-16, fell on either side of it by host)
        (np.array([[1.0, 0.0], [0.0, 1e-20], [0.0, 0.0]]), np.ones(3), {"rcond": -1}),
        (np.array([[1.0, 0.0], [0.0, 1e-12], [1.0, 0.0]]), np.ones(3), {"rcond": -1}),
        (np.diag([1.0, 1e-7]).astype(np.float32), np.ones(2, np.float32), {}),
        (np.array([[1, 0], [0, 1e-7], [0, 0]], np.float32), np.ones(3, np.float32), {}),
    ]
    for a, b, kw in cases:
        got, want = tg.linalg.lstsq(a, b, **kw), np.linalg.lstsq(a, b, **kw)
        np.testing.assert_allclose(got.solution.data, want[0], rtol=1e-6)
        assert got.residuals.shape == want[1].shape
        np.testing.assert_allclose(got.residuals.data, want[1], rtol=1e-6)
        assert got.rank == want[2]
    # (an ill-conditioned a: NumPy's residuals, not ||a x - b||^2 computed again)
    a = np.vander(np.linspace(0, 1, 5), 4) @ np.diag([1, 1e-5, 1e-10, 1e-14])
    b = np.arange(5.0)
    np.testing.assert_allclose(
        tg.linalg.lstsq(a, b).residuals.data, np.linalg.lstsq(a, b)[1], rtol=1e-12, atol=1e-30
    )


def test_pinv_hermitian_reads_a_symmetric_input() -> None:
    """Its derivatives are a symmetric input's (torch's are the general ones): the gradient
    is symmetric, a tangent's symmetric part taken; only the lower triangle is read, as
    NumPy's (an inf above it changes nothing)."""
    m = RNG.normal(size=(3, 3))
    sym = m + m.T + 4 * np.eye(3)
    x = _leaf(sym)
    (tg.linalg.pinv(x, hermitian=True) * np.arange(9.0).reshape(3, 3)).sum().backward()
    np.testing.assert_allclose(x.grad.data, x.grad.data.T, rtol=1e-12)
    t = RNG.normal(size=(3, 3))
    _, along = tg.jvp(lambda a: tg.linalg.pinv(a, hermitian=True), (sym,), (t,))
    _, along_sym = tg.jvp(lambda a: tg.linalg.pinv(a, hermitian=True), (sym,), ((t + t.T) / 2,))
    np.testing.assert_allclose(along.data, along_sym.data, rtol=1e-12)
    upper_inf = sym.copy()
    upper_inf[0, 2] = np.inf
    np.testing.assert_allclose(
        tg.linalg.pinv(upper_inf, hermitian=True).data,
        np.linalg.pinv(upper_inf, hermitian=True),
        rtol=1e-12,
    )


def test_past_32_dimensions() -> None:
    a = RNG.normal(size=(1,) * 33 + (3, 2))
    x = _leaf(a)
    (g,) = tg.autograd.grad((tg.linalg.svdvals(x) ** 3).sum(), x, create_graph=True)
    (h,) = tg.autograd.grad((g * g).sum(), x)
    flat = _leaf(a.reshape(3, 2))
    (gf,) = tg.autograd.grad((tg.linalg.svdvals(flat) ** 3).sum(), flat, create_graph=True)
    (hf,) = tg.autograd.grad((gf * gf).sum(), flat)
    np.testing.assert_allclose(h.data.reshape(3, 2), hf.data, rtol=1e-12)
    sym = a[..., :2, :] + np.swapaxes(a[..., :2, :], -1, -2)
    np.testing.assert_allclose(
        tg.linalg.svd(sym, hermitian=True).S.data.reshape(2),
        np.linalg.svd(sym.reshape(2, 2), hermitian=True).S,
    )
