"""Arithmetic ops: floor division and remainder, casts, and integer powers."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32])
def test_floor_divide_and_remainder_match_numpy(dtype: type) -> None:
    a = np.array([5, -7, 7, -5, 0], dtype=dtype)
    b = np.array([2, 2, -3, -3, 4], dtype=dtype)
    ta, tb = tg.tensor(a), tg.tensor(b)
    for got, want in [
        (ta // tb, a // b),
        (ta % tb, a % b),
        (ta // 2, a // 2),
        (7 // tb, 7 // b),
        (ta % 3, a % 3),
        (7 % tb, 7 % b),
        (np.floor_divide(ta, tb), np.floor_divide(a, b)),
        (np.remainder(ta, tb), np.remainder(a, b)),
        (np.mod(ta, tb), np.mod(a, b)),
    ]:
        assert isinstance(got, tg.Tensor) and got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)
    q, r = divmod(ta, tb)
    np.testing.assert_array_equal(q.data, a // b)
    np.testing.assert_array_equal(r.data, a % b)
    q, r = divmod(7, tb)
    np.testing.assert_array_equal(r.data, 7 % b)


@pytest.mark.parametrize(("dtype", "tiny"), [(np.float32, 1e-40), (np.float64, 5e-320)])
def test_divide_of_zero_by_a_subnormal_has_denominator_gradient_zero(dtype, tiny) -> None:
    # (d(a / b)/db = -a / b**2 was taken as (delta / b) * out: inf * 0 = NaN; torch gives -0.0)
    a = tg.tensor(np.array([0.0, 1.0], dtype), requires_grad=True)
    b = tg.tensor(np.array([tiny, 2.0], dtype), requires_grad=True)
    with np.errstate(over="ignore"):  # (d/da = 1 / b does overflow: inf, as torch)
        (a / b).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [-0.0, -0.25])
    assert a.grad.data[0] == np.inf


def test_remainder_and_floor_divide_gradients() -> None:
    # a % b = a - b floor(a / b): d/da = 1, d/db = -floor(a / b) (as torch); a // b is flat
    a = tg.tensor([5.5, -7.2, 1.0], requires_grad=True)
    b = tg.tensor([2.0, 3.0, -0.75], requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, -np.floor(a.data / b.data))
    a.grad = b.grad = None
    (a // b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.zeros(3))
    np.testing.assert_array_equal(b.grad.data, np.zeros(3))
    assert tg.gradcheck(operator.mod, (a, b)) and tg.gradgradcheck(operator.mod, (a, b))


def test_remainder_tangent_broadcasts_to_the_output() -> None:
    a, ta = np.array([[4.0], [5.0]]), np.ones((2, 1))
    _, tangent = tg.jvp(lambda a: a % tg.tensor(np.full((2, 3), 3.0)), (a,), (ta,))
    np.testing.assert_array_equal(tangent.data, np.ones((2, 3)))
    _, tangent = tg.jvp(lambda b: tg.tensor(a) % b, (np.full(3, 3.0),), (np.ones(3),))
    np.testing.assert_array_equal(tangent.data, -np.floor(a / 3.0) * np.ones((2, 3)))


@pytest.mark.parametrize("dtype", [np.int64, np.int8, bool])
def test_casting_to_integers_or_bools_is_not_differentiable(dtype: type) -> None:
    x = tg.tensor([1.7, -2.3, 3.5], requires_grad=True)
    y = x.astype(dtype)
    np.testing.assert_array_equal(y.data, x.data.astype(dtype))
    assert not y.requires_grad and y.grad_fn is None
    (x - x.astype(dtype)).sum().backward()  # the cast is a constant: d/dx = 1, as torch
    np.testing.assert_array_equal(x.grad.data, np.ones(3))


def test_casting_between_floats_stays_differentiable() -> None:
    x = tg.tensor([1.5, -2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.requires_grad and y.dtype == np.float32
    (y * 2.0).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    # the other way, with its tangent and second order (the registry's astype spec stays in
    # float64: finite differences cannot see through a float32 rounding)
    x32 = tg.tensor([1.5, -2.0], dtype=np.float32, requires_grad=True)
    y = x32.astype(np.float64)
    (g,) = tg.autograd.grad((y**3).sum(), [x32], create_graph=True)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.data, [6.75, 12.0])
    (h,) = tg.autograd.grad(g.sum(), [x32])
    assert h.dtype == np.float32
    np.testing.assert_array_equal(h.data, [9.0, -12.0])
    _, t = tg.jvp(lambda a: a.astype(np.float64), (x32.detach(),), (tg.ones(2, dtype=np.float32),))
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.data, [1.0, 1.0])


def test_integer_to_negative_power_names_power() -> None:
    with pytest.raises(ValueError, match=r"^power: integers to negative integer powers"):
        tg.tensor([2, 3]) ** -1
    with pytest.raises(ValueError, match=r"^power: integers to negative integer powers"):
        tg.tensor([2, 3]) ** tg.tensor([-1, 2])


@pytest.mark.parametrize(
    ("make", "grad"),
    [
        (lambda x: x / tg.tensor([3.0, 4.0]), [1 / 3, 1 / 4]),
        (lambda x: x / 2.0, [0.5, 0.5]),
        (lambda x: tg.tensor([3.0, 4.0]) / x, [-3.0, -1.0]),
        (lambda x: x % 0.7, [1.0, 1.0]),
    ],
)
def test_divide_and_remainder_keep_only_what_their_rules_read(make, grad) -> None:
    """As torch: a / b keeps its inputs, not the quotient, and a only when b needs grad, so
    writing into the result (or into a) before backward is fine."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    z = make(x)
    z += 1.0
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, grad, rtol=1e-15)


def test_x_to_the_power_zero_is_flat_at_inf_and_nan_too():
    # (a * 0 gave NaN at inf and NaN; torch and JAX give 0)
    x = tg.tensor([np.inf, -np.inf, np.nan, 0.0, -2.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.data.tolist() == [0.0] * 5
    _, t = tg.jvp(lambda v: v**0, (x.detach(),), (tg.ones(5),))
    assert t.data.tolist() == [0.0] * 5


@pytest.mark.parametrize(
    "base", [np.uint8(3), np.array([3.0], np.float16), np.array([3.0], np.float32)]
)
def test_power_slopes_are_computed_in_the_result_dtype(base: object) -> None:
    # a narrower operand's dtype lost precision: log(uint8 3) is float16 (4.1058 for 4.10573)
    want = 3.0**1.2 * np.log(3.0)
    y = tg.tensor([1.2], requires_grad=True)
    base = tg.tensor(base) if isinstance(base, np.ndarray) and base.dtype == np.float32 else base
    (g,) = tg.autograd.grad((base**y).sum(), [y])
    np.testing.assert_allclose(g.data, [want], rtol=1e-14)
    _, t = tg.jvp(lambda v: base**v, (y.detach(),), (tg.ones(1),))
    np.testing.assert_allclose(t.data, [want], rtol=1e-14)
    # and y - 1 counted in int64: int8 -128 - 1 wrapped to 127
    x = tg.tensor([2.0], requires_grad=True)
    (g,) = tg.autograd.grad((x ** np.array([-128], np.int8)).sum(), [x])
    np.testing.assert_allclose(g.data, [-128 * 2.0**-129], rtol=1e-14)


def test_power_slopes_keep_a_python_base_and_a_numpy_exponent_as_they_were():
    # (a first form cast a Python base to the result's dtype, where 1e-8 is float16 0: NaN;
    # and a NumPy integer exponent to float, so y - 1 became a constant exponent with no
    # third derivative)
    y = tg.tensor(np.array([0.5], np.float16), requires_grad=True)
    (g,) = tg.autograd.grad((1e-8**y).sum(), [y])
    assert g.data.tolist() == [0.0]
    x = tg.tensor([2.0, 3.0], requires_grad=True)
    x1 = tg.tensor([3.0, 1.0], requires_grad=True)  # (a uint64 exponent: no wrap to -1)
    with np.errstate(over="ignore"):
        (g,) = tg.autograd.grad((x1 ** np.uint64(2**64 - 1)).sum(), [x1])
    assert g.data.tolist() == [np.inf, 2.0**64]
    for p in (np.int64(2), np.array(2), np.int8(2)):
        (g1,) = tg.autograd.grad((x**p).sum(), [x], create_graph=True)
        (g2,) = tg.autograd.grad(g1.sum(), [x], create_graph=True)
        (g3,) = tg.autograd.grad(g2.sum(), [x])
        assert g1.data.tolist() == [4.0, 6.0] and g3.data.tolist() == [0.0, 0.0]


def test_power_slope_in_x_counts_a_narrower_float_exponent_in_the_result_dtype() -> None:
    # y - 1 in float16 rounds: 1.224 ** -0.04607 (float16 exponent) had 3e-5 relative error
    y = np.array([-0.04606482], np.float16)
    x = tg.tensor([1.22404434], requires_grad=True)
    e = float(y[0])
    want = e * 1.22404434 ** (e - 1)
    (g,) = tg.autograd.grad((x**y).sum(), [x])
    np.testing.assert_allclose(g.data, [want], rtol=1e-14)
    _, t = tg.jvp(lambda v: v ** tg.tensor(y), (x.detach(),), (tg.ones(1),))
    np.testing.assert_allclose(t.data, [want], rtol=1e-14)
    # a recorded float16 exponent: the slope's y - 1 is recorded too (second derivative in y)
    ty = tg.tensor(y, requires_grad=True)
    (gx,) = tg.autograd.grad((x**ty).sum(), [x], create_graph=True)
    (gy,) = tg.autograd.grad(gx.sum(), [ty])
    np.testing.assert_allclose(gy.data, [1.224 ** (e - 1) * (1 + e * np.log(1.224))], rtol=2e-3)
    assert gx.dtype == np.float64 and gy.dtype == np.float16


@pytest.mark.parametrize("base", [2**63, 2**64 - 1, 2**64, 2**70])
def test_exponent_slope_of_a_python_int_base_beyond_int64(base: int) -> None:
    # the forward takes it as a float (NumPy); the slope's where() raised NumPy's OverflowError
    # past 2 ** 64, and wrapped it into int64 from 2 ** 63 (log of a negative: NaN)
    b = tg.tensor([1.0, 2.0, 0.0], requires_grad=True)
    y = tg.power(base, b)
    y.sum().backward()
    np.testing.assert_allclose(b.grad.data, y.data * np.log(float(base)), rtol=1e-14)
    _, t = tg.jvp(lambda v: tg.power(base, v), (b.detach(),), (tg.ones(3),))
    np.testing.assert_allclose(t.data, b.grad.data, rtol=1e-14)
    # a float16 exponent: the base's log in float64, not of the base made float16 (inf)
    h = tg.tensor(np.array([0.0, -1.0], np.float16), requires_grad=True)
    with np.errstate(over="ignore"):  # (the forward's own cast of the base to float16)
        (tg.power(base, h)).sum().backward()
    np.testing.assert_allclose(h.grad.data, [np.log(float(base)), 0.0], rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_unrecorded_operators_match_the_recorded_ops(dtype: type) -> None:
    # +, - and * by a float skip the op object when nothing is recorded (no_grad, no grad
    # wanted, no tangents): the same values, dtypes and 0-d arrays as the recorded ops
    a = np.array([[1.5, -2.0, 3.0]]).astype(dtype)
    b = np.array([[0.5], [4.0]]).astype(dtype)
    ta, tb = tg.tensor(a), tg.tensor(b)
    cases = [
        (lambda x, y: x + y, a + b),
        (lambda x, y: x - y, a - b),
        (lambda x, y: y - x, b - a),
        (lambda x, y: x + 0.5, a + 0.5),
        (lambda x, y: 0.5 - x, 0.5 - a),
        (lambda x, y: 0.25 * x, 0.25 * a),
        (lambda x, y: x * 0.25, a * 0.25),
        (lambda x, y: x[0, 0] - y[0, 0], np.asarray(a[0, 0] - b[0, 0])),
    ]
    for f, want in cases:
        got = f(ta, tb)
        assert type(got.data) is np.ndarray and got.dtype == want.dtype
        assert not got.requires_grad and got.grad_fn is None
        np.testing.assert_array_equal(got.data, want)
    w = tg.tensor(a.astype(np.float64), requires_grad=True)
    with tg.no_grad():
        assert not (w - 0.1 * w).requires_grad
    assert (w - 0.1 * w).requires_grad  # (recorded outside no_grad)
    with pytest.raises(ValueError, match=r"subtract: shapes \(1, 3\) and \(4,\)"):
        _ = ta - tg.tensor(np.ones(4, dtype))


def test_unrecorded_operators_keep_forward_mode_tangents() -> None:
    x = tg.tensor(np.array([1.0, 2.0]))
    with tg.no_grad():
        _, t = tg.jvp(lambda v: 3.0 * v - v * 0.5 + v, (x,), (tg.tensor(np.ones(2)),))
    np.testing.assert_array_equal(t.data, [3.5, 3.5])


@pytest.mark.parametrize(
    ("expr", "name"),
    [
        (lambda t, o: t // o, "floor_divide"),
        (lambda t, o: t <= o, "less_equal"),
        (lambda t, o: t != o, "not_equal"),
        (lambda t, o: t == o, "equal"),
        (lambda t, o: t % o, "remainder"),
    ],
)
def test_shape_errors_give_the_ops_public_name(expr, name: str) -> None:
    # (FloorDivide's error said "floordivide", and != said "equal": it ran ==)
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(3,\) and \(2,\) cannot be broadcast"):
        expr(tg.tensor(np.ones(3)), np.ones(2))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, ">f8"])
@pytest.mark.parametrize("p", [3, 4, -3, -2, 5.0, 7])
def test_integer_power_of_a_negative_base_is_the_sign_times_its_magnitudes(
    dtype: object, p: float
) -> None:
    """x ** p for an integer p (past NumPy's fast -1, 0, 1, 2) is |x| ** p with x's sign where p
    is odd (NumPy's pow on a negative base took 50x as long): within an ulp, signed zeros and
    infinities as pow's, no warning past pow's own, gradient p x ** (p - 1) likewise."""
    x = np.array([-3.5, -1.25, -0.0, 0.0, 0.5, 2.0, -np.inf, np.inf], dtype)
    with np.errstate(divide="ignore"):
        want = np.power(x.astype(np.float64), p)
        got = (tg.tensor(x) ** p).data
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_allclose(got, want.astype(got.dtype), rtol=float(np.finfo(got.dtype).eps))
    t = tg.tensor(x[[0, 1, 4, 5]], requires_grad=True)
    (g,) = tg.autograd.grad((t**p).sum(), [t])
    slope = p * np.power(t.data.astype(np.float64), p - 1)
    np.testing.assert_allclose(g.data, slope, rtol=2 * float(np.finfo(g.dtype).eps))


def test_a_constant_power_out_of_range_names_power() -> None:
    with pytest.raises(ValueError, match=r"^power: .*1000"):
        tg.tensor(np.int8([1])) ** 1000


def test_not_equal_against_non_numeric_data_is_all_true() -> None:
    t = tg.tensor([1.0, np.nan])
    np.testing.assert_array_equal((t != None).data, [True, True])  # noqa: E711
    np.testing.assert_array_equal((t != "a").data, [True, True])
    np.testing.assert_array_equal((t != t).data, [False, True])


def test_exponent_slope_at_a_nan_base_is_nan() -> None:
    # NaN ** 0 is 1, but d/db is 1 * log(NaN): NaN, as torch (it was 0: NaN was read as <= 0)
    a = tg.tensor([np.nan, 2.0, 0.0, -1.0])
    b = tg.tensor([0.0, 0.0, 2.0, 2.0], requires_grad=True)
    (gb,) = tg.autograd.grad((a**b).sum(), [b])
    np.testing.assert_array_equal(gb.data, [np.nan, np.log(2.0), 0.0, np.nan])


@pytest.mark.parametrize(
    ("base", "want"),
    [
        (0.0, [0.0, 0.0, -np.inf, 0.0]),  # 0 ** y is flat in y for y >= 0
        (-0.0, [0.0, 0.0, np.inf, 0.0]),  # (-0.0) ** -1 is -inf: times log(0)
        (-2.0, [np.nan] * 4),  # no real power near an integer y: torch, JAX, autograd
    ],
)
def test_exponent_slope_at_a_base_at_or_below_0_is_torchs(base, want) -> None:
    # (a negative base had slope 0, hiding the NaN torch shows; ~(0.0 <= 0) is -2, which is
    # truthy: log(0) = -inf once gave NaN gradients, tangents and Hessians for 0.0 ** x)
    x = np.array([1.0, 2.0, -1.0, 0.0])
    with np.errstate(all="raise", divide="ignore"):  # (0.0 ** -1 warns, as NumPy)
        g = tg.grad(lambda x: tg.sum(base**x))(x)
        t = tg.jvp(lambda x: tg.power(base, x), (x,), (np.ones(4),))[1]
        as_tensor = tg.grad(lambda x: tg.sum(tg.tensor(base) ** x))(x)
    for got in (g, t, as_tensor):
        np.testing.assert_array_equal(got.data, want)
    if base == 0:  # (torch's Hessian there is NaN: 0 * inf)
        h = tg.hessian(lambda x: tg.sum(base**x))(x[:2])
        np.testing.assert_array_equal(h.data, np.zeros((2, 2)))


def test_power_at_exponent_0_has_finite_higher_derivatives_at_small_x() -> None:
    # (keeping y * x ** (y - 1) at y == 0 gave NaN one order up, 0 * inf, below 1 / sqrt(max):
    # float16 at 0.001; the pinned rule stays, as torch's)
    for dtype, small in [(np.float16, 1e-3), (np.float32, 1e-25), (np.float64, 1e-160)]:
        y = tg.tensor([0.0], dtype=dtype)
        h = tg.hessian(lambda x, y=y: (x**y).sum())(tg.tensor([small], dtype=dtype))
        assert h.data.tolist() == [[0.0]]


# ----------------------------------------------------------------------------- SquareSlope
# (x ** 2's rule as one op: the registry checks ** to second order through it, and
# tests/ops/test_elementwise.py the op with the other slope rules; here its bits, third order of
# every constant power, and the one node x ** 2 records)


@pytest.mark.parametrize(("ds", "xs"), [((3, 4), (3, 4)), ((3, 1), (4,)), ((), (2, 3))])
def test_square_slope_op_is_the_products_bits(ds: tuple, xs: tuple) -> None:
    # (its gradients, second derivatives and tangent are checked with the other one-node slope
    # rules, tests/ops/test_elementwise.py; here, that it computes what the product computed)
    from tensorgrad.ops._base import binary
    from tensorgrad.ops.arithmetic import SquareSlope

    rng = np.random.default_rng(0)
    d, x = rng.standard_normal(ds), rng.uniform(-2.0, 2.0, xs)
    td, tx = rng.standard_normal(d.shape), rng.standard_normal(x.shape)
    np.testing.assert_array_equal(binary(SquareSlope, d, x).data, d * (x * 2.0))
    _, tangent = tg.jvp(lambda d, x: binary(SquareSlope, d, x), (d, x), (td, tx))
    np.testing.assert_allclose(tangent.data, td * 2 * x + d * 2 * tx, rtol=1e-14)


@pytest.mark.parametrize(
    "p", [3, 0.5, -1, 2.5, -2]
)  # (x and x ** 2: no graph left to differentiate)
def test_third_derivative_of_a_constant_power(p: float) -> None:
    x = tg.tensor(np.linspace(0.5, 2.0, 5), requires_grad=True)
    want = p * (p - 1) * (p - 2) * x.data ** (p - 3)
    (g1,) = tg.autograd.grad((x**p).sum(), [x], create_graph=True)
    (g2,) = tg.autograd.grad(g1.sum(), [x], create_graph=True)
    (g3,) = tg.autograd.grad(g2.sum(), [x], allow_unused=True, materialize_grads=True)
    np.testing.assert_allclose(g3.data, want, rtol=1e-12, atol=1e-14)
    # forward over reverse over forward: jvp of hvp
    _, t3 = tg.jvp(
        lambda x: tg.hvp(lambda x: (x**p).sum(), x, np.ones(5))[1], (x.data,), (np.ones(5),)
    )
    np.testing.assert_allclose(t3.data, want, rtol=1e-12, atol=1e-14)


def test_square_slope_is_exactly_2_and_x_to_the_1_flat() -> None:
    # (x ** 2's slope is 2 x, so its derivative is exactly 2; x ** 1's is 1, so its derivative is
    # exactly 0: at inf and NaN too, in hvp and in double backward)
    x, v = np.array([np.inf, np.nan, 0.0, -3.0]), np.array([1.0, -2.0, 0.5, 3.0])
    for p, want in [(1, np.zeros(4)), (2, 2 * v)]:
        _, hv = tg.hvp(lambda x, p=p: (x**p).sum(), x, v)
        np.testing.assert_array_equal(hv.data, want)
        if p == 1:  # (its gradient is the incoming derivative itself: no graph, as torch's)
            continue
        t = tg.tensor(x, requires_grad=True)
        (g,) = tg.autograd.grad((t**p).sum(), [t], create_graph=True)
        (h,) = tg.autograd.grad((g * tg.tensor(v)).sum(), [t], materialize_grads=True)
        np.testing.assert_array_equal(h.data, want)


def test_hvp_of_a_square_records_one_node_for_its_rule() -> None:
    from tensorgrad.ops import _base

    seen: list = []
    hook = lambda op, inputs, out: seen.append(type(op).__name__)  # noqa: E731
    _base.RECORD_HOOKS.append(hook)
    try:
        tg.hvp(lambda x: (x**2).sum(), (np.ones(3),), (np.ones(3),))
    finally:
        _base.RECORD_HOOKS.remove(hook)
    assert seen.count("SquareSlope") == 1 and "Multiply" not in seen, seen


def test_a_write_after_a_recorded_square_rule_is_refused() -> None:
    # (the rule saves x, as torch's pow backward does: torch raises here too)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1
    (g,) = tg.autograd.grad((b**2).sum(), [x], create_graph=True)
    b += 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        tg.autograd.grad(g.sum(), [x])


def test_square_slope_tangent_multiplies_in_the_product_rules_order() -> None:
    # (delta * (ty * 2), as torch's: (delta * 2) * ty overflowed for a large delta where ty is 0,
    # and inf * 0 gave NaN in a Hessian's off-diagonal entries and jvp of grad)
    w = tg.tensor(np.array([40000.0, 1.0], np.float16))
    x = tg.tensor(np.array([1.0, 3.0], np.float16))

    def f(x: tg.Tensor) -> tg.Tensor:
        return (w * x**2).sum()

    with np.errstate(over="ignore"):
        h = tg.hessian(f)(x)
        _, t = tg.jvp(tg.grad(f), (x,), (np.array([0.0, 1.0], np.float16),))
        inner_big = tg.jvp(
            lambda x: tg.jvp(lambda y: y**2, (x,), (np.float16(40000.0),))[1],
            (np.float16(2.5),),
            (np.float16(0.5),),
        )[1]
    assert h.data.tolist() == [[np.inf, 0.0], [0.0, 2.0]]
    assert t.data.tolist() == [0.0, 2.0]
    assert inner_big.data.tolist() == 40000.0


def test_a_python_int_past_int64_is_named_with_the_dtype() -> None:
    # (NumPy's own words came through: "Python int too large to convert to C long")
    u = tg.tensor(np.array([1, 2], np.uint8))
    cases = [
        (lambda: u - 2**64, "subtract: Python integer 18446744073709551616 out of bounds for"),
        (lambda: tg.tensor([1, 2]) + 2**63, "add: Python integer 9223372036854775808 out of"),
        (lambda: u.__setitem__(0, 2**64), "setitem: Python integer 18446744073709551616 out of"),
    ]
    for fn, message in cases:
        with pytest.raises(ValueError, match=message):
            fn()
    assert u.data.tolist() == [1, 2]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("p", [3, 1.5, 2.5, 4, 2049, 2**24 + 1, np.float64(3.0)])
def test_constant_power_of_a_large_array_with_negative_entries_is_pows(
    dtype: object, p: float
) -> None:
    """Past 256 entries with a negative one, an integer p takes |x| ** p and x's sign: the same
    special values, layout and dtype as NumPy's pow and slope (x ** (p - 1)); other p, and an
    integer the dtype rounds (2049 in float16), stay NumPy's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 16)).astype(dtype)
    x.flat[:7] = [-np.inf, -0.0, 0.0, np.inf, np.nan, -1.0, -np.nan]
    x = np.asfortranarray(x)
    t = tg.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        y = t**p
        (g,) = tg.autograd.grad(y.sum(), [t])
        want, slope = np.power(x, p), p * x ** (p - 1)
    assert y.dtype == want.dtype and y.data.flags.f_contiguous
    for got, exp in ((y.data, want), (g.data, slope.astype(g.dtype))):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(exp))
        # (not NaN's sign: NumPy's own pow of -nan is -nan on the Intel hosts, +nan on AMD's)
        number = ~np.isnan(exp)
        np.testing.assert_array_equal(np.signbit(got)[number], np.signbit(exp)[number])
        np.testing.assert_allclose(got, exp, rtol=2 * float(np.finfo(dtype).eps))


# ----------------------------------------------------------------------------- fmod, copysign...


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32])
def test_fmod_matches_numpy(dtype: type) -> None:
    a = np.array([5, -7, 7, -5, 0], dtype=dtype)
    b = np.array([2, 2, -3, -3, 4], dtype=dtype)
    got = tg.fmod(tg.tensor(a), tg.tensor(b))
    assert got.dtype == np.fmod(a, b).dtype
    np.testing.assert_array_equal(got.data, np.fmod(a, b))


def test_fmod_gradient_in_b_is_minus_the_quotient_the_forward_used() -> None:
    # fmod(1, 0.1) is 1 - 9 * 0.1 (0.1 is a little above 1/10): d/db is -9; torch's and JAX's
    # trunc(1 / 0.1) = trunc(10.0) gives -10
    a = tg.tensor([1.0, -7.0, 7.5, -0.5], requires_grad=True)
    b = tg.tensor([0.1, 2.0, -2.0, 3.0], requires_grad=True)
    out = tg.fmod(a, b)
    ga, gb = tg.autograd.grad(out.sum(), [a, b])
    assert ga.data.tolist() == [1.0] * 4
    assert gb.data.tolist() == [-9.0, 3.0, 3.0, -0.0]
    np.testing.assert_allclose(out.data, a.data + gb.data * b.data, rtol=0, atol=1e-15)
    _, t = tg.jvp(lambda b: tg.fmod(a.detach(), b), (b.detach(),), (tg.ones(4),))
    np.testing.assert_array_equal(t.data, gb.data)
    a, b = a[1:], b[1:]  # (fmod(1, 0.1) is 1e-16 from a step: no finite differences there)
    assert tg.gradcheck(tg.fmod, (a, b)) and tg.gradgradcheck(tg.fmod, (a, b))


def test_copysign_gradient_is_the_sign_agreement() -> None:
    # +-1 where a != 0, infinite a too (torch's out / a is NaN there), 0 at a == 0 (as torch's);
    # -0.0 is negative, as in the forward; b gets 0
    a = tg.tensor([2.0, 2.0, -3.0, 0.0, -0.0, np.inf, 5.0], requires_grad=True)
    b = tg.tensor([1.0, -1.0, -0.5, -1.0, 1.0, -1.0, -0.0], requires_grad=True)
    ga, gb = tg.autograd.grad(tg.copysign(a, b).sum(), [a, b])
    assert ga.data.tolist() == [1.0, -1.0, 1.0, 0.0, 0.0, -1.0, -1.0]
    assert gb.data.tolist() == [0.0] * 7
    # an infinite incoming derivative gives 0 at the kink, not inf * 0
    (g,) = tg.autograd.grad(tg.copysign(a, b), [a], grad_outputs=np.full(7, np.inf))
    assert g.data[3] == 0.0 and g.data[0] == np.inf
    _, t = tg.jvp(tg.copysign, (a.detach(), b.detach()), (tg.ones(7), tg.ones(7)))
    assert t.data.tolist() == ga.data.tolist()


def test_copysign_and_heaviside_keep_only_what_the_wanted_gradients_read() -> None:
    # (as remainder's: a write into an input no wanted rule reads raises nothing at backward)
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    c = tg.tensor([3.0, 0.0])
    for f in (lambda a: tg.copysign(c, a), lambda a: tg.heaviside(a, c)):
        a = x * 1.0
        out = f(a)
        a += 1.0  # (copysign's sign, and heaviside's x1 where x2 is a constant: not kept)
        (g,) = tg.autograd.grad(out.sum(), [x])
        assert g.data.tolist() == [0.0, 0.0]
    a, v = x * 1.0, x * 2.0
    out = tg.heaviside(a, v)  # (x2 needs grad: x1 is kept, and its version checked)
    a += 1.0
    with pytest.raises(RuntimeError, match="in-place"):
        out.sum().backward()


def test_heaviside_gradient_goes_to_x2_where_x1_is_0() -> None:
    # the result is x2 there (JAX's gradient; torch's heaviside has none); x1 steps: 0
    x1 = tg.tensor([-1.0, 0.0, 2.0, -0.0, np.nan], requires_grad=True)
    x2 = tg.tensor([0.5, 0.25, 0.75, 0.5, 0.5], requires_grad=True)
    out = tg.heaviside(x1, x2)
    np.testing.assert_array_equal(out.data, np.heaviside(x1.data, x2.data))
    g1, g2 = tg.autograd.grad(out, [x1, x2], grad_outputs=np.array([1.0, 2.0, np.inf, 3.0, 1.0]))
    assert g1.data.tolist() == [0.0] * 5
    assert g2.data.tolist() == [0.0, 2.0, 0.0, 3.0, 0.0]
    # x2 a scalar tensor, broadcast: its gradient sums over the zeros of x1
    s = tg.tensor(0.5, requires_grad=True)
    (g,) = tg.autograd.grad(tg.heaviside(x1.detach(), s).sum(), [s])
    assert g.item() == 2.0
    _, t = tg.jvp(lambda v: tg.heaviside(x1.detach(), v), (x2.detach(),), (tg.ones(5),))
    assert t.data.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.int64])
def test_float_power_computes_in_float64_as_numpy(dtype: type) -> None:
    a = np.array([3, 2, 5], dtype)
    b = np.array([-2, 3, 0], dtype)  # (negative integer powers of integers: fine in float64)
    got = tg.float_power(tg.tensor(a), tg.tensor(b))
    want = np.float_power(a, b)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(got.data, want)


def test_float_power_gradients_are_float64_rounded_once() -> None:
    # its rules run in float64 too: float32 operands' gradients are the float64 ones rounded
    x = np.array([1.7, 0.3, 2.2], np.float32)
    y = np.array([2.5, -1.5, 0.7], np.float32)
    a, b = tg.tensor(x, requires_grad=True), tg.tensor(y, requires_grad=True)
    ga, gb = tg.autograd.grad(tg.float_power(a, b).sum(), [a, b])
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    assert ga.dtype == gb.dtype == np.float32
    np.testing.assert_array_equal(ga.data, (y64 * x64 ** (y64 - 1)).astype(np.float32))
    np.testing.assert_array_equal(gb.data, (x64**y64 * np.log(x64)).astype(np.float32))
    # and power's conventions at a zero base (torch's float_power gives the same)
    z = tg.tensor([0.0, 0.0], requires_grad=True)
    e = tg.tensor([0.0, 2.0], requires_grad=True)
    gz, ge = tg.autograd.grad(tg.float_power(z, e).sum(), [z, e])
    assert gz.data.tolist() == [0.0, 0.0] and ge.data.tolist() == [0.0, 0.0]


def test_ldexp_is_exact_and_linear_in_x() -> None:
    x = tg.tensor([1.5, -3.0, 0.1], requires_grad=True)
    i = np.array([3, -1, 1100])
    with np.errstate(over="ignore"):
        out = tg.ldexp(x, i)
        (g,) = tg.autograd.grad(out, [x], grad_outputs=np.array([1.0, 3.0, 1.0]))
        np.testing.assert_array_equal(out.data, np.ldexp(x.data, i))
    assert g.data.tolist() == [8.0, 1.5, np.inf]  # (2 ** 1100 overflows, as the result does)
    assert tg.ldexp(tg.tensor(np.float32(1.5)), 2).dtype == np.float32
    assert tg.ldexp(np.array([3], np.int8), 2).dtype == np.ldexp(np.int8(3), 2).dtype
    with pytest.raises(TypeError, match="ldexp"):
        tg.ldexp(x, tg.tensor([1.0, 2.0, 3.0], requires_grad=True))  # (NumPy refuses a float i)
    with pytest.raises(ValueError, match=r"ldexp: shapes \(3,\) and \(2,\)"):
        tg.ldexp(x, np.array([1, 2]))
    h = tg.hessian(lambda t: (tg.ldexp(t, 2) ** 2).sum())(tg.tensor([1.0]))
    assert h.data.tolist() == [[32.0]]


@pytest.mark.parametrize(
    "i, dtype",
    [
        (np.array([1.0, 2.0, 3.0]), "float64"),  # (integer-valued: NumPy refuses it too)
        (2.0, "float64"),
        (np.float32(2.0), "float32"),
        (tg.tensor([1.0, 2.0, 3.0], dtype=np.float16), "float16"),
        ([1.0, 2.0, 3.0], "float64"),
        (np.array([1, 2, 3], np.uint64), "uint64"),  # (no safe cast to int64, as NumPy's)
    ],
)
def test_ldexp_refuses_an_exponent_numpy_refuses_by_name_and_dtype(i, dtype) -> None:
    x = tg.tensor([1.5, -3.0, 0.1], requires_grad=True)
    with pytest.raises(TypeError, match=rf"ldexp: i of dtype {dtype} is not supported"):
        tg.ldexp(x, i)
    with pytest.raises(TypeError):  # (NumPy's own refusal)
        np.ldexp(x.data, np.asarray(i))
    with pytest.raises(TypeError, match=rf"ldexp: i of dtype {dtype}"):
        np.ldexp(x, i)  # (dispatched)


def test_ldexp_takes_every_exponent_numpy_takes() -> None:
    x = np.array([1.5, -3.0, 0.1])
    for i in (2, True, np.array([1, 2, 3], np.uint32), np.array([1, 0, 1], bool), [1, 2, 3]):
        np.testing.assert_array_equal(tg.ldexp(x, i).data, np.ldexp(x, i))


# tensorgrad's names of the new arithmetic functions torch 2.13 has: torch's names
TORCH_NAMES = {"copysign": "copysign", "fmod": "fmod", "float_power": "float_power"}


@pytest.mark.parametrize("name", sorted(TORCH_NAMES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_gradients_agree_with_torch(name: str, dtype: type) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    a = rng.uniform(0.2, 3.0, (4, 5)).astype(dtype)
    b = rng.uniform(-3.0, 3.0, (4, 5)).astype(dtype)
    b[np.abs(b) < 0.2] = 0.5
    if name == "fmod":  # (away from the quotient's steps, where torch's trunc(a / b) may differ)
        q = a / b
        b[np.abs(q - np.round(q)) < 0.01] = 0.7
    ta, tb = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    out = getattr(tg, name)(ta, tb)
    grads = tg.autograd.grad((out * out).sum(), [ta, tb])
    pa, pb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    pout = getattr(torch, TORCH_NAMES[name])(pa, pb)
    pgrads = torch.autograd.grad((pout * pout).sum(), [pa, pb])
    rtol = 1e-13 if dtype is np.float64 or name == "float_power" else 2e-6
    assert out.dtype == pout.detach().numpy().dtype
    np.testing.assert_allclose(out.data, pout.detach().numpy(), rtol=rtol, atol=1e-15)
    for g, pg in zip(grads, pgrads):
        np.testing.assert_allclose(g.data, pg.numpy(), rtol=rtol, atol=1e-15)
