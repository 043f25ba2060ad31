"""Linear algebra (tensorgrad/ops/linalg.py): dtype rules against NumPy's, einsum's forms, and
the adjoints' paths that the small shapes of the op registry do not reach."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops import linalg


def test_dot_with_a_python_scalar_promotes_as_numpy() -> None:
    a = np.array(0.0, dtype=np.float32)
    assert tg.dot(a, 2).dtype == np.dot(a, 2).dtype == np.float64
    assert tg.dot(2.0, tg.tensor(a)).dtype == np.dot(2.0, a).dtype


def test_einsum_takes_numpys_sublist_form() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    got = tg.einsum(a, [0, 30], tg.tensor(b), [30, 51], [0, 51])
    np.testing.assert_allclose(got.data, np.einsum(a, [0, 30], b, [30, 51], [0, 51]))
    assert tg.einsum(3, np.array([])).data == np.einsum(3, np.array([]))
    np.testing.assert_array_equal(
        tg.einsum(np.ones((2, 3)), [Ellipsis, 1]).data, np.einsum(np.ones((2, 3)), [Ellipsis, 1])
    )


def test_einsum_sublist_errors_name_einsum() -> None:
    with pytest.raises(TypeError, match="einsum: each subscript"):
        tg.einsum(np.ones(2), [True])
    with pytest.raises(ValueError, match="einsum: subscript is not within"):
        tg.einsum(np.ones(2), [52])


def test_dot_refuses_more_than_32_dimensions_as_numpy() -> None:
    big = np.zeros((1,) * 33)
    with pytest.raises(RuntimeError):
        np.dot(big, np.zeros(1))
    with pytest.raises(ValueError, match="dot: operands of at most 32 dimensions"):
        tg.dot(big, np.zeros(1))
    assert tg.dot(2.0, big).shape == np.dot(2.0, big).shape  # a 0-d operand: a product


def test_einsum_refuses_a_complex_sublist() -> None:
    with pytest.raises(TypeError, match="einsum: a sublist must hold ints"):
        tg.einsum(3, np.array([], dtype=complex))


@pytest.mark.parametrize(
    "spec, sa, sb",
    [
        ("bi,bi->b", (1, 3), (4, 3)),
        ("...i,...i->...", (2, 1, 3), (4, 3)),
        ("...ij,...jk->...ik", (2, 1, 2, 3), (5, 3, 4)),  # batched matmul, broadcast batch
        ("ij,ij->ij", (4, 1), (4, 3)),
        ("ij,jk->ik", (2, 1), (3, 4)),  # a size-1 contracted letter: b's adjoint is broadcast
        ("ii,i->i", (3, 3), (1,)),
        ("ii,i->i", (1, 1), (3,)),
    ],
)
def test_einsum_with_broadcast_operands_first_and_second_order(spec, sa, sb) -> None:
    # (the adjoint came back in the broadcast shape, and backward refused it)
    rng = np.random.default_rng(0)
    a = tg.tensor(rng.standard_normal(sa), requires_grad=True)
    b = tg.tensor(rng.standard_normal(sb), requires_grad=True)
    np.testing.assert_allclose(tg.einsum(spec, a, b).data, np.einsum(spec, a.data, b.data))
    assert tg.gradcheck(lambda a, b: tg.einsum(spec, a, b), (a, b))
    assert tg.gradgradcheck(lambda a, b: tg.einsum(spec, a, b), (a, b))


PAIRWISE = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ij,jk->ki", (2, 3), (3, 4)),
    ("bij,bjk->bik", (2, 4, 3), (2, 3, 4)),  # (batched: 16 or more entries per product)
    ("bhqd,bhkd->bhqk", (2, 2, 4, 2), (2, 2, 4, 2)),
    ("qbd,kbd->bkq", (4, 2, 2), (4, 2, 2)),
    ("ijk,jk->i", (2, 3, 4), (3, 4)),
    ("ij,ij->", (2, 3), (2, 3)),
    ("ijl,jm->mi", (2, 3, 2), (3, 4)),  # (l summed in a alone)
    ("ij,jkm->", (2, 3), (3, 4, 2)),
    ("i,i->", (3,), (3,)),
    ("ij,jk->ik", (2, 0), (0, 3)),  # (an empty contraction: zeros)
]


@pytest.mark.parametrize("spec, sa, sb", PAIRWISE)
def test_einsum_as_one_matmul_first_and_second_order(
    monkeypatch: pytest.MonkeyPatch, spec: str, sa: tuple, sb: tuple
) -> None:
    """Two float operands with a letter to contract are one (batched) matmul past a size: at
    any size here, its values, adjoints (gradcheck, gradgradcheck) and tangents are NumPy's."""
    monkeypatch.setattr(linalg, "_PAIR_MIN", 0)
    calls = []
    pairwise = linalg._pairwise
    monkeypatch.setattr(
        linalg, "_pairwise", lambda *args: calls.append(args[:3]) or pairwise(*args)
    )
    rng = np.random.default_rng(0)
    a = tg.tensor(rng.standard_normal(sa), requires_grad=True)
    b = tg.tensor(rng.standard_normal(sb), requires_grad=True)
    y = tg.einsum(spec, a, b)
    assert calls and pairwise(*calls[0], a.data, b.data) is not None
    np.testing.assert_allclose(y.data, np.einsum(spec, a.data, b.data), atol=1e-14)
    assert not np.may_share_memory(y.data, a.data) and not np.may_share_memory(y.data, b.data)
    assert tg.gradcheck(lambda a, b: tg.einsum(spec, a, b), (a, b))
    assert tg.gradgradcheck(lambda a, b: tg.einsum(spec, a, b), (a, b))
    ta, tb = rng.standard_normal(sa), rng.standard_normal(sb)
    _, t = tg.jvp(lambda a, b: tg.einsum(spec, a, b), (a.data, b.data), (ta, tb))
    want = np.einsum(spec, ta, b.data) + np.einsum(spec, a.data, tb)
    np.testing.assert_allclose(t.data, want, atol=1e-14)


@pytest.mark.parametrize(
    "spec, sa, sb",
    [
        ("ii,i->i", (3, 3), (3,)),  # (a diagonal)
        ("ij,jk->ik", (2, 1), (3, 4)),  # (a broadcast letter)
        ("i,j->ij", (2,), (3,)),  # (nothing to contract)
        ("bi,bi->b", (8, 3), (8, 3)),  # (a batch of dot products)
        ("bij,bj->bi", (8, 4, 3), (8, 3)),  # (of short matrix-vector products)
    ],
)
def test_einsum_without_a_plain_contraction_stays_numpys(spec: str, sa: tuple, sb: tuple) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    assert linalg._pairwise(*spec.replace("->", ",").split(","), a, b) is None


@pytest.mark.parametrize("dtypes", [(np.float16, np.float32), (np.float32, np.float64)])
def test_einsum_of_mixed_float_dtypes_promotes_first_as_numpy(
    monkeypatch: pytest.MonkeyPatch, dtypes: tuple
) -> None:
    """A letter found in one operand only, summed away: in the promoted dtype (NumPy's), not in
    the operand's own (float16 sums of 1000s overflowed, float32 ones lost float64 digits)."""
    monkeypatch.setattr(linalg, "_PAIR_MIN", 0)
    a = np.full((64, 4, 16), 1000.0, dtypes[0])
    b = np.random.default_rng(0).standard_normal(16).astype(dtypes[1])
    got = tg.einsum("ijk,k->j", a, b).data
    want = np.einsum("ijk,k->j", a, b)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=float(np.finfo(want.dtype).eps) * 8)


def test_float16_einsum_tangent_is_computed_in_float32_below_the_matmul_size() -> None:
    # (the tangents' einsum takes the op's float16 flag: float16's own sums were 62 ulps off)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 300)).astype(np.float16)
    b = rng.standard_normal((300, 8)).astype(np.float16)
    ta = rng.standard_normal((8, 300)).astype(np.float16)
    _, t = tg.jvp(lambda a: tg.einsum("ij,jk->ik", a, b), (a,), (ta,))
    want = np.einsum("ij,jk->ik", ta.astype(np.float32), b.astype(np.float32))
    np.testing.assert_allclose(t.data, want.astype(np.float16), rtol=2e-3, atol=1e-2)


def test_large_float32_einsum_is_one_matmul_within_rounding() -> None:
    rng = np.random.default_rng(0)
    q = rng.standard_normal((8, 4, 32, 16)).astype(np.float32)
    k = rng.standard_normal((8, 4, 32, 16)).astype(np.float32)
    assert 8 * 4 * 32 * 32 * 16 >= linalg._PAIR_MIN
    y = tg.einsum("bhqd,bhkd->bhqk", q, k).data
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.einsum("bhqd,bhkd->bhqk", q, k), rtol=1e-5, atol=1e-5)


def test_dot_names_itself_in_a_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"dot: shapes \(3,\) and \(4,\) are not aligned"):
        tg.dot(tg.ones(3), tg.ones(4))


# ----------------------------------------------------------------------------- singular values


def _numeric_hessian(f, a: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    grad = tg.grad(f)
    cols = []
    for k in range(a.size):
        e = np.zeros(a.size)
        e[k] = eps
        e = e.reshape(a.shape)
        cols.append((grad(tg.tensor(a + e)).data - grad(tg.tensor(a - e)).data).ravel() / (2 * eps))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (2, 2, 3)])
def test_singular_norm_hessian_in_every_mode(ord, shape) -> None:
    # forward over forward exercises the tangent of the singular values' tangent rule, which
    # the registry (reverse over reverse, reverse over forward) does not reach
    a = np.random.default_rng(5).normal(size=shape)
    weights = np.arange(1.0, 1.0 + np.prod(shape[:-2], dtype=int))

    def f(t: tg.Tensor) -> tg.Tensor:
        return tg.sum(tg.norm(t, axis=(-2, -1), ord=ord) * weights)

    want = _numeric_hessian(f, a)
    for name, transform in (
        ("forward over reverse", tg.hessian),
        ("reverse over reverse", lambda f: tg.jacrev(tg.jacrev(f))),
        ("forward over forward", lambda f: tg.jacfwd(tg.jacfwd(f))),
        ("reverse over forward", lambda f: tg.jacrev(tg.jacfwd(f))),
    ):
        got = transform(f)(tg.tensor(a)).data.reshape(a.size, a.size)
        np.testing.assert_allclose(got, want, atol=1e-6, err_msg=name)


def test_singular_norm_third_derivative_raises_not_silently_zero() -> None:
    x = tg.tensor(np.random.default_rng(6).normal(size=(3, 3)), requires_grad=True)
    (g,) = tg.autograd.grad(tg.norm(x, ord="nuc"), [x], create_graph=True)
    (h,) = tg.autograd.grad((g * g).sum(), [x], create_graph=True)
    with pytest.raises(NotImplementedError, match="norm: ord=2, -2 and 'nuc'.*second order"):
        tg.autograd.grad((h * h).sum(), [x])


@pytest.mark.parametrize(
    "third",
    [
        lambda f: tg.jacfwd(tg.jacfwd(tg.jacfwd(f))),  # (CurvatureDiag's tangent rule)
        lambda f: tg.jacrev(tg.jacfwd(tg.jacfwd(f))),  # (CurvatureDiag's adjoint rule)
        lambda f: tg.jacfwd(tg.jacrev(tg.jacrev(f))),  # (Curvature's tangent rule)
        lambda f: tg.jacrev(tg.jacrev(tg.jacrev(f))),  # (Curvature's adjoint rule)
    ],
    ids=["fff", "rff", "frr", "rrr"],
)
def test_singular_norm_third_derivatives_raise_in_every_mode(third) -> None:
    x = tg.tensor(np.random.default_rng(6).normal(size=(2, 3)))
    with pytest.raises(NotImplementedError, match="norm: ord=2, -2 and 'nuc'.*second order"):
        third(lambda a: tg.norm(a, ord=2))(x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, k", [(3, 5), (120, 70)])  # a small and a large outer product
def test_vector_matrix_adjoints_are_outer_products(dtype, n, k) -> None:
    rng = np.random.default_rng(0)
    v, m = rng.standard_normal(n).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
    u = rng.standard_normal(k).astype(dtype)
    tv, tm = tg.tensor(v, requires_grad=True), tg.tensor(m, requires_grad=True)
    tg.sum(tv @ tm).backward()  # (the delta of a sum: a broadcast view)
    np.testing.assert_allclose(tm.grad.data, np.outer(v, np.ones(k)), rtol=1e-6)
    assert tm.grad.dtype == dtype and tm.grad.data.flags.c_contiguous
    tm2, tu = tg.tensor(m, requires_grad=True), tg.tensor(u, requires_grad=True)
    weights = rng.standard_normal(n).astype(dtype)
    tg.sum((tm2 @ tu) * weights).backward()
    np.testing.assert_allclose(tm2.grad.data, np.outer(weights, u), rtol=1e-5)
    np.testing.assert_allclose(tu.grad.data, m.T @ weights, rtol=1e-4)


def test_einsum_keeps_only_the_operands_other_adjoints_read() -> None:
    """As a product (and torch): the only operand that needs grad is not kept, so writing into
    it before backward is fine; with two that need grad, each is kept for the other."""
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.einsum("i,j->ij", a, tg.tensor([3.0, 4.0]))
    with tg.no_grad():
        a *= 2.0
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [7.0, 7.0])
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    y = tg.einsum("i,j->ij", a, b)
    with tg.no_grad():
        a *= 2.0
    with pytest.raises(RuntimeError, match="Einsum"):
        y.sum().backward()


def test_matmul_keeps_an_autograd_error_a_runtime_error() -> None:
    # (matmul turned every RuntimeError into a ValueError, meant for NumPy's dimension limit)
    x = tg.tensor(np.ones((3, 3)), requires_grad=True)
    b = x * 1.0
    with tg.no_grad():
        v = b[0]
    b[1] = tg.tensor(np.zeros(3), requires_grad=True) * 1.0
    with pytest.raises(RuntimeError, match="made under no_grad"):
        v @ tg.tensor(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="made under no_grad"):
        tg.broadcast_to(v, (2, 3))


def test_einsum_refuses_an_output_without_the_operands_ellipsis_as_numpy() -> None:
    x = tg.tensor(np.ones((4, 2, 3)))
    with pytest.raises(ValueError, match=r"^einsum: .*'\.\.\.ij->ij'.*no '\.\.\.'"):
        tg.einsum("...ij->ij", x)  # (the string form summed the axes; the sublist form raised)
    with pytest.raises(ValueError):
        tg.einsum(x, [Ellipsis, 0, 1], [0, 1])
    assert tg.einsum("...ij->ij", tg.tensor(np.ones((2, 3)))).shape == (2, 3)  # (no axes)
    with pytest.raises(ValueError, match=r"^einsum: .*more than one '->'"):
        tg.einsum("ij->j->i", tg.tensor(np.ones((2, 3))))


def test_dot_names_itself_for_misaligned_nd_operands() -> None:
    a, b = tg.tensor(np.ones((2, 3, 4))), tg.tensor(np.ones((2, 5, 6)))
    with pytest.raises(ValueError, match=r"^dot: shapes \(2, 3, 4\) and \(2, 5, 6\)"):
        tg.dot(a, b)


@pytest.mark.parametrize("scale", [2.5, 3, np.float64(2.5)])
def test_einsum_with_a_python_number_operand_differentiates(scale) -> None:
    # (the adjoint read .shape of the other operands: a Python number raised AttributeError)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    tg.einsum("i,->i", x, scale).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [scale, scale])
    (g,) = tg.autograd.grad(tg.einsum(",i->i", scale, x).sum(), [x])
    np.testing.assert_array_equal(g.data, [scale, scale])


def test_outer_names_itself_and_the_bad_argument() -> None:
    # (was "reshape: argument 0" for either argument)
    with pytest.raises(TypeError, match="outer: a holds complex"):
        tg.outer(1j, tg.ones(2))
    with pytest.raises(TypeError, match="outer: b holds NoneType"):
        tg.outer(tg.ones(2), None)


def test_dot_and_einsum_name_the_bad_operand() -> None:
    # (were "multiply: argument 1" for dot, and a subscripts/shape mismatch for a string read
    # as a 0-d operand in einsum)
    x = tg.ones((2, 3), requires_grad=True)
    with pytest.raises(TypeError, match="dot: b holds str"):
        x.dot("x")
    with pytest.raises(TypeError, match="einsum: operand 0 holds str"):
        tg.einsum("i->i", "x")
    with pytest.raises(TypeError, match="einsum: operand 1 holds str"):
        tg.einsum(x, [0, 1], "x", [1, 2])


def test_tensordot_names_the_bad_operand() -> None:
    # (was "transpose: argument 0")
    with pytest.raises(TypeError, match="tensordot: a holds dtype <U1"):
        tg.tensordot(np.full((2, 2), "a"), tg.ones((2, 2)))


@pytest.mark.parametrize("spec", ["ij,jk->ik", "bij,bjk->bik", "ij,kj->ik", "ij,jk,kl->il"])
def test_float16_einsum_adds_in_float32_and_rounds_once(spec) -> None:
    # (NumPy's einsum adds float16 products in float16 in some loops: 5-9 ulps off; torch and
    # matmul accumulate in float32)
    rng = np.random.default_rng(0)
    sizes = {"i": 20, "j": 300, "k": 30, "l": 4, "b": 3}
    ins = spec.split("->")[0].split(",")
    ops = [rng.uniform(-1, 1, [sizes[c] for c in s]).astype(np.float16) for s in ins]
    wide = [o.astype(np.float64) for o in ops]

    def within_a_rounding(got, exact) -> None:  # (one float16 ulp; float32's own error near 0)
        assert got.dtype == np.float16
        ulp = np.spacing(np.maximum(np.abs(exact), 0.05).astype(np.float16)).astype(np.float64)
        assert np.all(np.abs(got - exact) <= ulp)

    xs = [tg.tensor(o, requires_grad=True) for o in ops]
    out = tg.einsum(spec, *xs)
    within_a_rounding(out.data, np.einsum(spec, *wide))
    delta = rng.uniform(-1, 1, out.shape).astype(np.float16)
    out.backward(tg.tensor(delta))
    if len(ops) == 2:  # the first operand's adjoint: delta contracted with the second
        adjoint = f"{spec.split('->')[1]},{ins[1]}->{ins[0]}"
        within_a_rounding(xs[0].grad.data, np.einsum(adjoint, delta.astype(np.float64), wide[1]))
        tangent = rng.uniform(-1, 1, ops[0].shape).astype(np.float16)
        _, t_out = tg.jvp(lambda a: tg.einsum(spec, a, ops[1]), (ops[0],), (tangent,))
        within_a_rounding(t_out.data, np.einsum(spec, tangent.astype(np.float64), wide[1]))


def test_integer_einsum_of_three_operands_is_numpys() -> None:
    # (an optimised order contracted the two int8 operands first, in int8: it wrapped)
    a = np.arange(1, 40, dtype=np.int8)
    assert tg.einsum("i,i,->", a, a, 1).item() == np.einsum("i,i,->", a, a, 1) == 20540
    b = np.ones((3, 4))
    np.testing.assert_array_equal(
        tg.einsum("ij,jk,k->i", b, b.T @ b, np.ones(4)).data,
        np.einsum("ij,jk,k->i", b, b.T @ b, np.ones(4)),
    )


@pytest.mark.parametrize("axes", [([0], [0]), ([1], [0]), 1])
def test_tensordot_saves_a_numpy_operand_as_it_was(axes) -> None:
    # (an operand moved by tensorgrad's own transpose was a Tensor viewing the caller's array:
    # a write into it after the forward changed the gradient)
    a = np.ones((3, 3))
    b = tg.tensor(np.ones((3, 2)), requires_grad=True)
    y = tg.tensordot(a, b, axes=axes)
    a[...] = 7.0
    (g,) = tg.autograd.grad(y.sum(), [b])
    np.testing.assert_array_equal(g.data, 3.0)


def test_einsum_as_one_matmul_does_not_warn_at_an_inf_times_0() -> None:
    # (einsum's own loop does not; the matmul would: "invalid value encountered in matmul")
    a = np.ones((64, 32, 32))
    a[0, 0, 0] = np.inf
    b = np.zeros((64, 32, 32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tg.einsum("bij,bjk->bik", a, b).data
    assert np.isnan(out[0, 0]).all() and not out[1:].any()


@pytest.mark.parametrize(
    "sa, sb", [((16, 40), (40, 8)), ((3, 5, 40), (40, 6)), ((40,), (2, 40, 7)), ((40,), (40,))]
)
def test_float16_products_are_numpys_through_float32(sa: tuple, sb: tuple) -> None:
    """float16 by float16 runs in float32 and rounds once (NumPy's own float16 loop, 30x as
    long, adds in float32 too): matmul's and linear's values and gradients are its, within the
    last bit (BLAS adds in another order)."""
    rng = np.random.default_rng(3)
    a, b = (rng.standard_normal(s).astype(np.float16) for s in (sa, sb))
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    out = tg.matmul(x, y)
    want = np.matmul(a, b)
    assert out.dtype == np.float16
    _same16(out.data, want)
    d = rng.standard_normal(want.shape).astype(np.float16)
    out.backward(d)
    if len(sa) == 2 and len(sb) == 2:
        _same16(x.grad.data, d @ b.T)
        _same16(y.grad.data, a.T @ d)
        w = tg.tensor(b.T.copy(), requires_grad=True)
        z = tg.nn.functional.linear(x, w)
        _same16(z.data, want)
        z.backward(d)
        _same16(w.grad.data, d.T @ a)
    else:
        assert x.grad.dtype == y.grad.dtype == np.float16


def _same16(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype == np.float16
    assert np.all(np.abs(got.astype(np.float64) - want) <= np.spacing(np.abs(want))), (got, want)


def test_a_float16_by_float32_product_is_float32_as_numpy() -> None:
    a = np.full((2, 3), 1.5, np.float16)
    b = np.full((3, 2), 1e5, np.float32)  # (past float16's range: a float16 result is inf)
    x, w = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    out = tg.matmul(x, w)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, a @ b)
    out.backward(np.full((2, 2), 1e-3, np.float32))  # (x's adjoint, 200, fits in float16)
    assert x.grad.dtype == np.float16 and w.grad.dtype == np.float32
    z = tg.nn.functional.linear(x, tg.tensor(b.T.copy()))
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z.data, a @ b)


def test_kron_is_numpys_with_the_gradient_of_its_products() -> None:
    rng = np.random.default_rng(0)
    for sa, sb in [
        ((2, 3), (4,)),
        ((2,), (3, 2)),
        ((), (3,)),
        ((2, 1, 3), (2, 2)),
        ((0, 2), (3, 3)),
    ]:
        a, b = rng.normal(size=sa), rng.normal(size=sb)
        np.testing.assert_array_equal(tg.kron(a, b).data, np.kron(a, b))
    a, b = rng.normal(size=(2, 2)), rng.normal(size=(3,))
    x = tg.tensor(a, requires_grad=True)
    tg.kron(x, b).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((2, 2), b.sum()))
    assert tg.kron(np.arange(3), np.array([1, 2])).dtype == np.int64
