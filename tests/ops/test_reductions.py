"""Edge cases of the reductions (tensorgrad/ops/reductions.py), against NumPy's behaviour."""

from __future__ import annotations

import math
import re
import warnings
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg


def test_max_min_over_no_axes_of_an_empty_tensor_is_empty() -> None:
    for fn, ref in ((tg.max, np.max), (tg.min, np.min), (tg.logsumexp, np.max)):
        out = fn(np.zeros(0), axis=())
        assert out.shape == ref(np.zeros(0), axis=()).shape == (0,)


def test_an_axis_out_of_range_is_numpy_s_axis_error() -> None:
    # (a ValueError only: NumPy's callers catch it as an IndexError, or as AxisError)
    for call in (lambda: tg.sum(tg.ones(2, 3), axis=2), lambda: tg.cumsum(tg.ones(2), axis=-2)):
        with pytest.raises(np.exceptions.AxisError, match="axis .* is out of bounds") as info:
            call()
        assert info.value.axis in (2, -2) and info.value.ndim in (1, 2)
    assert issubclass(np.exceptions.AxisError, (IndexError, ValueError))


def test_var_std_over_a_length_one_axis_of_an_empty_tensor() -> None:
    x = np.zeros((0, 1))
    assert tg.var(x, axis=1).shape == np.var(x, axis=1).shape == (0,)
    assert tg.std(x, axis=1).shape == (0,)


def test_std_gradient_at_zero_spread_is_zero_as_torch() -> None:
    # (sqrt of var gave inf * 0 = NaN there)
    x = tg.tensor([[3.0, 3.0], [1.0, 2.0]], requires_grad=True)
    tg.sum(tg.std(x, axis=1, ddof=1)).backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.0], [-1 / np.sqrt(2), 1 / np.sqrt(2)]])


def test_std_whose_squares_leave_the_range_is_right_and_so_is_its_gradient() -> None:
    # (float32 entries of 1e-30 gave 0 and a gradient of 0, of 1e20 inf and an overflow
    # warning, of 4e-23 a std 6 % off; torch's are right. float64 at 1e-160 and 1e300 is the
    # same case, where torch is off too)
    base = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0], [1.0, -1.0, 0.5]])
    want = np.std(base, axis=1, ddof=1)
    slope = (base - base.mean(axis=1, keepdims=True)) / (2 * np.where(want == 0, 1, want))[:, None]
    slope[1] = 0.0
    for dtype, scales in ((np.float32, (1e-30, 1e20, 4e-23)), (np.float64, (1e-300, 1e300))):
        for scale in scales:
            x = tg.tensor((base * scale).astype(dtype), requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                s = tg.std(x, axis=1, ddof=1)
                s.sum().backward()
            assert s.dtype == dtype
            np.testing.assert_allclose(s.data, want * scale, rtol=1e-6)
            np.testing.assert_allclose(x.grad.data, slope, rtol=1e-5, atol=1e-7)
    # in range, float64 keeps NumPy's bits, and a row's std does not depend on the others
    x = np.random.default_rng(0).standard_normal((5, 7))
    np.testing.assert_array_equal(tg.std(x, axis=0).data, np.std(x, axis=0))
    rows = np.array([[1e-160, -1e-160], [1.0, 2.0]])
    assert tg.std(rows, axis=1).data[1] == np.std(rows[1])
    for dtype in (np.float16, np.float32):  # (their sums of squares were float16's and float32's)
        long = np.tile(np.array([1.0, -1.0], dtype), 50_000)
        assert tg.std(long).data == 1.0 and tg.std(long).dtype == dtype
    x = tg.tensor(np.array([2e38, -2e38], np.float32), requires_grad=True)
    tg.std(x, ddof=1).backward()  # (x - mean overflowed: inf, -inf)
    np.testing.assert_allclose(x.grad.data, [2**-0.5, -(2**-0.5)], rtol=1e-6)
    x = tg.tensor([1.7e308, 1.7e308, 1e308], requires_grad=True)
    tg.std(x).backward()  # (the same in float64)
    np.testing.assert_allclose(x.grad.data, [1 / 18**0.5, 1 / 18**0.5, -((2 / 9) ** 0.5)])
    big = np.finfo(np.float64).max  # (NumPy's pairwise sums: inf - inf, NaN)
    np.testing.assert_allclose(tg.std([big, big, -big, -big, 0, 0, 0, 0]).data, big / 2**0.5)
    for create_graph in (False, True):  # (the std itself subnormal, or inf: not over it)
        x = tg.tensor(np.array([1.4e-45, -1.4e-45, 0.0], np.float32), requires_grad=True)
        (g,) = tg.autograd.grad(tg.std(x), x, create_graph=create_graph)
        np.testing.assert_allclose(g.data, [6**-0.5, -(6**-0.5), 0.0], rtol=1e-6)
        x = tg.tensor([1.7e308, -1.7e308], requires_grad=True)
        (g,) = tg.autograd.grad(tg.std(x, ddof=1), x, create_graph=create_graph)
        np.testing.assert_allclose(g.data, [2**-0.5, -(2**-0.5)])
    with warnings.catch_warnings(record=True) as seen:  # (NumPy's warnings kept)
        warnings.simplefilter("always")
        tg.std(tg.tensor([2.0, 2.0, 2.0]), ddof=3)
    assert {"Degrees of freedom", "invalid value enco"} <= {str(w.message)[:18] for w in seen}


def test_std_and_norm_higher_derivatives_at_zero_are_zero() -> None:
    # (the 0 gradient there was x / 1 or (x - mean) / n, whose own derivatives are not 0:
    # the Hessian of std at constant rows was (I - 1/n) / n, of norm at 0 the identity)
    x = tg.tensor([[5.0, 5.0, 5.0], [1.0, 2.0, 4.0]])
    h = tg.hessian(lambda t: tg.std(t, axis=1).sum())(x).data.reshape(6, 6)
    np.testing.assert_array_equal(h[:3], 0.0)
    assert np.abs(h[3:, 3:]).max() > 0.1  # (the other row's curvature stays)
    np.testing.assert_array_equal(tg.hessian(tg.norm)(tg.zeros(3, dtype=np.float64)).data, 0.0)
    _, (hv,) = tg.hvp(lambda w: tg.std(w * 2.0), (tg.zeros(3),), (tg.ones(3),))
    np.testing.assert_array_equal(hv.data, 0.0)
    _, tangent = tg.jvp(lambda t: tg.norm(t, axis=0), (tg.zeros(2, 2),), (tg.ones(2, 2),))
    np.testing.assert_array_equal(tangent.data, 0.0)


def test_max_and_min_with_a_nan_send_the_gradient_to_it() -> None:
    # (NaN == NaN is false: the share was 0 / 0, NaN everywhere with a warning)
    x = tg.tensor([[1.0, np.nan, 3.0], [2.0, 5.0, 5.0]], requires_grad=True)
    with np.errstate(invalid="raise", divide="raise"):
        tg.sum(tg.max(x, axis=1)).backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])


# ----------------------------------------------------------------------------- logsumexp


@pytest.mark.parametrize("scale", [3e4, 1e8])
def test_logsumexp_weights_sum_to_one_at_large_magnitudes(scale) -> None:
    # (exp(x - out) with out rounded summed to 1.00096 at 3e4 and to 3 at 1e8 in float32)
    x = tg.tensor(np.full(3, scale, dtype=np.float32), requires_grad=True)
    _, tangent = tg.jvp(tg.logsumexp, (x.detach(),), (tg.ones(3, dtype=np.float32),))
    assert abs(tangent.item() - 1.0) < 1e-6
    tg.logsumexp(x).backward()
    np.testing.assert_allclose(x.grad.data, 1 / 3, rtol=1e-6)


def test_logsumexp_with_inf_and_nan_entries_matches_torch() -> None:
    # values and gradients as torch.logsumexp (2.13) gives them: exp(x - out), so NaN where
    # x == out == inf and across a NaN row; an all -inf row keeps API.md's 0 (torch: NaN)
    inf, nan = np.inf, np.nan
    rows = [[1.0, inf, 2.0], [inf, inf, -inf], [1.0, nan, 2.0], [nan, -inf, inf]]
    rows += [[1.0, -inf, 2.0], [-inf, -inf, -inf]]
    x = tg.tensor(rows, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = tg.logsumexp(x, axis=1)
        y.backward(np.ones(6))
        _, tangent = tg.jvp(lambda t: tg.logsumexp(t, axis=1), (x.detach(),), (tg.ones(6, 3),))
    p = 1 / (1 + np.e)  # softmax of (1, 2)
    np.testing.assert_allclose(y.data, [inf, inf, nan, nan, 2.313261687518223, -inf], rtol=1e-15)
    expected = [[0, nan, 0], [nan, nan, 0], [nan] * 3, [nan] * 3, [p, 0, 1 - p], [0, 0, 0]]
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)
    np.testing.assert_allclose(tangent.data, [nan, nan, nan, nan, 1.0, 0.0], rtol=1e-15)


def test_logsumexp_finite_rows_stay_exact_and_keep_the_dtype() -> None:
    rows = [[1e4, 1e4 - 1.0, -1e4], [0.0, 0.0, 0.0]]
    for dtype, rtol in ((np.float64, 1e-11), (np.float32, 1e-3)):  # (out is near 1e4)
        x = tg.tensor(rows, dtype=dtype, requires_grad=True)
        y = tg.logsumexp(x, axis=1)
        y.sum().backward()
        assert y.dtype == x.grad.dtype == dtype
        np.testing.assert_allclose(y.data, [1e4 + np.log1p(np.exp(-1.0)), np.log(3.0)], rtol=rtol)
        p = 1 / (1 + np.exp(-1.0))
        np.testing.assert_allclose(x.grad.data, [[p, 1 - p, 0], [1 / 3] * 3], rtol=rtol)


# ----------------------------------------------------------------------------- norm with ord


def _svd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.linalg.svd(a, full_matrices=False)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [((3, 4), None), ((4, 3), (1, 0)), ((2, 3, 4), (1, 2)), ((2, 3, 4), (2, 0)), ((1, 5), None)],
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_singular_orders_match_numpy(
    ord: Any, shape: tuple, axis: Any, keepdims: bool
) -> None:
    a = np.random.default_rng(0).normal(size=shape)
    want = np.linalg.norm(a, ord, axis, keepdims)
    for dtype in (np.float64, np.float32):
        got = tg.norm(tg.tensor(a, dtype=dtype), axis=axis, keepdims=keepdims, ord=ord)
        assert got.shape == want.shape and got.dtype == dtype
        np.testing.assert_allclose(got.data, want, rtol=1e-12 if dtype == np.float64 else 1e-5)
    method = tg.tensor(a).norm(axis=axis, keepdims=keepdims, ord=ord)
    np.testing.assert_allclose(method.data, want, rtol=1e-12)


def test_norm_singular_order_gradients_are_singular_vector_products() -> None:
    # ord=2: u1 v1^T of the largest singular value, -2: of the smallest, 'nuc': U V^T
    a = np.random.default_rng(1).normal(size=(2, 4, 3))  # two 4 x 3 matrices, batched
    u, _, vt = _svd(a)
    expected = {
        2: u[..., :, :1] @ vt[..., :1, :],
        -2: u[..., :, -1:] @ vt[..., -1:, :],
        "nuc": u @ vt,
    }
    for ord, want in expected.items():
        x = tg.tensor(a, requires_grad=True)
        tg.norm(x, axis=(1, 2), ord=ord).sum().backward()
        np.testing.assert_allclose(x.grad.data, want, atol=1e-12)
        y = tg.tensor(np.swapaxes(a, 1, 2), requires_grad=True)  # wide matrices, axes swapped
        tg.norm(y, axis=(2, 1), ord=ord).sum().backward()
        np.testing.assert_allclose(y.grad.data, np.swapaxes(want, 1, 2), atol=1e-12)


def test_norm_singular_order_ties_share_the_gradient() -> None:
    # tied singular values share as max/min ties do (torch 2.13 gives the same, 0.5 * I)
    for ord in (2, -2):
        x = tg.tensor(np.eye(2), requires_grad=True)
        tg.norm(x, ord=ord).backward()
        np.testing.assert_allclose(x.grad.data, 0.5 * np.eye(2))
    x = tg.tensor(np.diag([3.0, 3.0, 1.0]), requires_grad=True)
    tg.norm(x, ord="nuc").backward()
    np.testing.assert_allclose(x.grad.data, np.eye(3))


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_norm_singular_order_gradient_of_a_matrix_with_inf_is_nan_as_torch(ord) -> None:
    # (the rules called NumPy's SVD with vectors on it, which can hang; elsewhere the gradient
    # was finite and wrong: [[.5, 0, 0], [0, .5, 0]] for ord=2)
    batch = np.stack([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[1.0, 2.0, 3.0], [4.0, np.inf, 6.0]]])
    x = tg.tensor(batch.astype(np.float32), requires_grad=True)
    (g,) = tg.autograd.grad(tg.sum(tg.norm(x, axis=(-2, -1), ord=ord)), [x])
    (want,) = tg.autograd.grad(tg.norm(x[0], ord=ord), [x])
    assert g.dtype == np.float32 and np.isnan(g.data[1]).all()
    np.testing.assert_allclose(g.data[0], want.data[0], rtol=1e-6)
    h = tg.hessian(lambda a: tg.norm(a, ord=ord))(tg.tensor(batch[1]))
    assert np.isnan(h.data).all()


def test_norm_singular_orders_second_order_and_tangents() -> None:
    a = np.random.default_rng(2).normal(size=(3, 4, 2))
    for ord in (2, -2, "nuc"):

        def f(t: tg.Tensor, ord: Any = ord) -> tg.Tensor:
            return tg.norm(t, axis=(0, 2), ord=ord)

        assert tg.gradcheck(f, [tg.tensor(a, requires_grad=True)])
        assert tg.gradgradcheck(f, [tg.tensor(a, requires_grad=True)])
        u = np.random.default_rng(3).normal(size=a.shape)
        _, tangent = tg.jvp(f, (tg.tensor(a),), (tg.tensor(u),))
        eps = 1e-6
        numeric = (f(tg.tensor(a + eps * u)).data - f(tg.tensor(a - eps * u)).data) / (2 * eps)
        np.testing.assert_allclose(tangent.data, numeric, atol=1e-8)


def test_norm_orders_of_vectors_and_matrices_match_numpy() -> None:
    a = np.random.default_rng(4).normal(size=(3, 4))
    for ord in ("fro", 1, -1, np.inf, -np.inf):
        np.testing.assert_allclose(tg.norm(a, ord=ord).data, np.linalg.norm(a, ord))
    for ord in (2, 1, 0, np.inf, -np.inf, 3, 0.5):
        got = tg.norm(a, axis=1, keepdims=True, ord=ord)
        np.testing.assert_allclose(got.data, np.linalg.norm(a, ord, 1, True))
    ints = np.array([[3, 0], [4, 0]])
    assert tg.norm(ints, ord=2).dtype == np.linalg.norm(ints, 2).dtype == np.float64


@pytest.mark.parametrize(
    "shape,ord,axis,expected",
    [
        ((0,), np.inf, None, 0.0),
        ((2, 0), 1, None, 0.0),
        ((0, 3), np.inf, None, 0.0),
        ((2, 0), np.inf, 1, [0.0, 0.0]),
    ],
)
def test_max_based_norms_of_empty_input_are_0_as_numpy(shape, ord, axis, expected) -> None:
    # (NumPy 2.4's values; NumPy 2.0 raised for these)
    x = tg.tensor(np.zeros(shape), requires_grad=True)
    y = tg.norm(x, axis=axis, ord=ord)
    np.testing.assert_array_equal(y.data, expected)
    assert y.shape == np.shape(expected)
    y.sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("ord", [3, 1.5, 0.5, -1])
def test_vector_norm_of_any_order_has_gradient_0_at_zero_entries_and_the_zero_vector(ord) -> None:
    # (|x| ** p had slope inf at 0 for p < 1, and the root ** (1 / p) at a zero sum: NaN
    # gradients; torch.linalg.vector_norm gives 0 there)
    for values in ([0.0, 0.0, 0.0], [1.0, 0.0, -2.0]):
        x = tg.tensor(values, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = tg.norm(x, ord=ord)
            y.backward()
        with np.errstate(divide="ignore"):  # (NumPy's 1 / 0 ** p for p < 0)
            np.testing.assert_allclose(y.data, np.linalg.norm(values, ord))
        a = np.abs(values)
        slope = np.zeros(3)
        if y.item() > 0 and ord > 0:  # the slope away from 0: sign(x) (|x| / norm) ** (p - 1)
            nonzero = a > 0
            slope[nonzero] = np.sign(values)[nonzero] * (a[nonzero] / y.item()) ** (ord - 1)
        np.testing.assert_allclose(x.grad.data, slope, rtol=1e-12)


def test_norm_singular_order_errors_name_norm_and_the_argument() -> None:
    with pytest.raises(TypeError, match="norm: ord=2 needs float32 or float64 x, got float16"):
        tg.norm(np.ones((2, 2), np.float16), ord=2)
    with pytest.raises(ValueError, match="norm: ord='nuc': the SVD of x failed"):
        tg.norm(np.array([[np.nan, 1.0], [1.0, 1.0]]), ord="nuc")
    with pytest.raises(ValueError, match=r"norm: ord=2: the SVD of x failed \(x holds a NaN\)"):
        tg.norm(np.array([np.eye(2), [[np.nan, 1.0], [1.0, 1.0]]]), axis=(1, 2), ord=2)
    # an inf gives NaN singular values whichever NumPy (2.5's SVD raises there; 2.0-2.4 and torch
    # give NaN)
    assert np.isnan(tg.norm(np.array([[np.inf, 1.0], [1.0, 1.0]]), ord=-2).item())
    with pytest.raises(ValueError, match="norm: ord=2 needs a 1-D or 2-D x or an axis"):
        tg.norm(np.ones((2, 2, 2)), ord=2)
    with pytest.raises(ValueError, match="norm: invalid ord='nuc' for vectors"):
        tg.norm(np.ones(3), ord="nuc")
    with pytest.raises(ValueError, match="norm: ord=-2 of empty matrices"):
        tg.norm(np.ones((0, 3)), ord=-2)
    # the largest singular value of an empty matrix is 0 (NumPy 2.0 and 2.4 agree; 2.2 raises)
    assert tg.norm(np.ones((0, 3)), ord=2).item() == 0


@pytest.mark.parametrize(
    "values",
    [np.array([200, 200], np.uint8), np.array([100, 100], np.int8), np.array([50000, 0], np.int32)],
)
def test_norm_and_logsumexp_of_integers_are_taken_in_float64(values: np.ndarray) -> None:
    # x * x (norm) and x - max (logsumexp) would wrap around in the integer dtype
    np.testing.assert_allclose(tg.norm(tg.tensor(values)).data, np.linalg.norm(values))
    want = np.log(np.sum(np.exp(values.astype(np.float64) - values.max()))) + float(values.max())
    got = tg.logsumexp(tg.tensor(values))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.data, want)


@pytest.mark.parametrize("value", [0.5, 2, True])
def test_logsumexp_takes_a_python_number(value: float) -> None:
    # (the dev hypothesis profile found `tg.logsumexp(0.0)` raising an internal AttributeError)
    got = tg.logsumexp(value)
    assert got.shape == () and got.dtype == np.float64
    assert got.item() == float(value)


def test_mean_and_var_with_no_degrees_of_freedom_are_numpys() -> None:
    """As NumPy and torch: NaN over nothing, inf past the last degree of freedom (a ddof of
    any real value); the gradients have the input's shape, and float32 stays float32."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's own, kept)
        for fn, ref in ((tg.mean, np.mean), (tg.var, np.var), (tg.std, np.std)):
            x = tg.tensor(np.ones((2, 0)), requires_grad=True)
            y = fn(x, axis=1)
            np.testing.assert_array_equal(y.data, ref(np.ones((2, 0)), axis=1))
            y.sum().backward()
            assert x.grad.shape == (2, 0)
        for ddof in (2, 3, 0.5, -1):
            for fn, ref in ((tg.var, np.var), (tg.std, np.std)):
                a = np.array([1.0, 2.0, 4.0][: 2 if ddof in (2, 3) else 3], np.float32)
                x = tg.tensor(a, requires_grad=True)
                y = fn(x, ddof=ddof)
                np.testing.assert_allclose(y.data, ref(a, ddof=ddof), rtol=1e-6)
                y.backward()
                assert y.dtype == x.grad.dtype == np.float32
        np.testing.assert_array_equal(tg.var(tg.tensor([1.0, 2.0]), ddof=2).data, np.inf)
    for bad in (True, "1", np.inf, None):
        with pytest.raises(TypeError, match="ddof must be a finite real number"):
            tg.var(tg.tensor([1.0, 2.0]), ddof=bad)


def test_logsumexp_over_nothing_is_minus_inf_as_torch() -> None:
    x = tg.tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = tg.logsumexp(x, axis=0)
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [-np.inf] * 3)
    assert y.dtype == np.float32 and x.grad.shape == (0, 3)


def test_prod_gradient_with_zeros_of_a_64_dimensional_tensor() -> None:
    # (the exact-with-zeros rule added two axes to the kept ones: 65, past NumPy's limit)
    x = tg.tensor(np.zeros((1,) * 63 + (2,)), requires_grad=True)
    tg.prod(x, axis=63).sum().backward()
    assert x.grad.shape == x.shape and not x.grad.data.any()
    y = tg.tensor([[1.0, 0.0, 3.0], [2.0, 0.0, 0.0]], requires_grad=True)
    tg.prod(y, axis=1).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])


def test_norm_of_order_0_is_recorded_with_gradient_0() -> None:
    # (the count was built from a comparison, so it did not require grad; torch's does)
    x = tg.tensor([1.0, 0.0, 2.0, np.inf], requires_grad=True)
    y = tg.norm(x, ord=0)
    assert y.requires_grad and y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize(
    ("values", "want"),
    [
        (np.inf, 1.0),  # (0-d: inf / inf was NaN)
        ([np.inf, 2.0, 3.0], [6.0, np.inf, np.inf]),
        ([1e200, 1e200, 1e-200], [1.0, 1.0, np.inf]),  # (an overflowing product)
        ([np.nan, 2.0, 3.0], [6.0, np.nan, np.nan]),
    ],
)
def test_prod_gradient_is_the_product_of_the_others_past_inf(values, want) -> None:
    x = tg.tensor(np.array(values), requires_grad=True)
    with np.errstate(over="ignore", invalid="ignore"):
        (g,) = tg.autograd.grad(tg.prod(x), [x])
    np.testing.assert_array_equal(g.data, want)


@pytest.mark.parametrize("scale", [1e9, 1e-8, 1e20])
@pytest.mark.parametrize("ord", [3, 1.5, -1])
def test_p_norms_in_float32_stay_exact_at_large_and_small_magnitudes(scale, ord) -> None:
    # (|x|**p and the second derivative's total**(1/p - 2) overflowed or underflowed: the
    # Hessian was wrong or -inf where the float64 one is finite)
    base = np.array([1.0, 0.7])
    x32 = tg.tensor((base * scale).astype(np.float32))
    x64 = tg.tensor(base * scale)
    value = tg.norm(x32, ord=ord).item()
    np.testing.assert_allclose(value, tg.norm(x64, ord=ord).item(), rtol=1e-6)
    h32 = tg.hessian(lambda t: tg.norm(t, ord=ord))(x32).data
    h64 = tg.hessian(lambda t: tg.norm(t, ord=ord))(x64).data
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32, h64, rtol=1e-5, atol=1e-6 * np.abs(h64).max())


@pytest.mark.parametrize("ord", [0.5, 1.5, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_p_norm_gradients_near_the_top_of_the_range_are_finite(ord, dtype) -> None:
    # (the rules multiplied by the row's scale before dividing by it: inf past the range, and
    # an inf or NaN gradient where the slope is about 1; now in float64 and rounded once)
    top = 3e38 if dtype == np.float32 else 6e4
    x = tg.tensor(np.array([top, 1.0, 2.0], dtype), requires_grad=True)
    wide = tg.tensor(x.data.astype(np.float64), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.norm(x, ord=ord).backward(tg.tensor(np.array(2.0, dtype)))
    tg.norm(wide, ord=ord).backward(tg.tensor(2.0))
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad.data, wide.grad.data.astype(dtype))


def test_float16_var_sums_its_squares_in_float64_as_std() -> None:
    # (np.var summed float16 squares: inf for [-200, 0, 200], whose variance 26667 is in range;
    # std was computed in float64 already, and torch sums in float32)
    x = tg.tensor(np.array([-200.0, 0.0, 200.0], np.float16), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = tg.var(x)
        v.backward()
    assert v.dtype == np.float16 and v.item() == np.float16(80000 / 3)
    np.testing.assert_allclose(x.grad.data, [-400 / 3, 0, 400 / 3], rtol=1e-3)
    rows = np.random.default_rng(0).standard_normal((4, 9)).astype(np.float16) * 300
    for ddof in (0, 1):
        want = np.var(rows.astype(np.float64), axis=1, ddof=ddof).astype(np.float16)
        np.testing.assert_array_equal(tg.var(rows, axis=1, ddof=ddof).data, want)
    assert tg.var(np.full(4, 300.0, np.float16)).item() == 0.0
    big = np.array([-60000.0, 60000.0], np.float16)  # (the variance itself past float16: inf)
    assert tg.var(big).item() == np.inf


def test_float16_norm_sums_its_squares_in_float32_as_torch() -> None:
    # (300 squares of 16 overflowed float16: the norm was inf and its gradient 0)
    x = tg.tensor(np.full(300, 16, np.float16), requires_grad=True)
    out = tg.norm(x)
    assert out.dtype == np.float16 and out.item() == np.float16(np.sqrt(300.0) * 16)
    out.backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.data.astype(np.float64), 1 / np.sqrt(300), rtol=1e-3)


def test_p_norms_below_one_do_not_overflow_where_the_norm_is_finite() -> None:
    # (scaled by the largest entry, the sum reaches the row's length n, and n**(1/p) overflowed)
    big = tg.norm(tg.tensor(np.full(10000, 1e-20, np.float32)), ord=0.1, axis=0)
    np.testing.assert_allclose(big.item(), 1e20, rtol=1e-5)
    half = tg.norm(tg.tensor(np.full(1000, 1e-3, np.float16)), ord=0.5, axis=0)
    assert half.dtype == np.float16 and abs(half.item() - 1000.4) < 4


def test_p_norms_below_one_stay_exact_where_nothing_overflows() -> None:
    # (taken in logs for every row, a few ulps came off: 16.0156 for 16 in float16)
    assert tg.norm(tg.tensor(np.ones(4, np.float16)), ord=0.5).item() == 16.0
    assert tg.norm(tg.tensor(np.array([1.0, 4.0])), ord=0.5).item() == 9.0


def test_norm_of_a_python_number() -> None:
    # (found by the random hypothesis profile: the float16 test read a float's dtype)
    assert tg.norm(0.0).item() == 0.0 and tg.norm(-3.0).item() == 3.0


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: tg.argmax("x"), "argmax: x holds str"),
        (lambda: tg.argmin(np.ones(2) * 1j), "argmin: x holds dtype complex128"),
        (lambda: tg.cumsum(None), "cumsum: x holds NoneType"),
    ],
)
def test_bad_data_is_named_by_the_function(call, pattern) -> None:
    # (were "arg_extreme: argument 0", an internal op's name, and "reshape: argument 0")
    with pytest.raises(TypeError, match=pattern):
        call()


def test_std_tangent_over_an_empty_axis_is_nan_as_its_value() -> None:
    # (it was 0, a sum over nothing; torch.func's is NaN: var's 0 over 2 * std)
    e = tg.tensor(np.zeros((2, 0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's, for the empty std)
        value, tangent = tg.jvp(lambda t: tg.std(t, axis=1), (e,), (e,))
    assert np.isnan(value.data).all() and np.isnan(tangent.data).all()


def test_matrix_norm_of_order_minus_1_or_minus_inf_of_empty_matrices_names_norm() -> None:
    # (it named the internal min and an intermediate shape; NumPy raises for the same shapes)
    for ord, shape in ((-1, (3, 0)), (-np.inf, (0, 3))):
        match = "norm: ord=-.* of empty matrices of shape " + re.escape(str(shape))
        with pytest.raises(ValueError, match=match):
            tg.norm(tg.zeros(shape), ord=ord)
    assert tg.norm(tg.zeros((0, 3)), ord=-1).item() == np.linalg.norm(np.zeros((0, 3)), -1)


def test_vector_norm_minus_inf_over_an_empty_axis_names_norm() -> None:
    # (the error named min, the op it is computed with)
    with pytest.raises(ValueError, match=r"norm: ord=-inf over the empty axis 0 of shape \(0, 2\)"):
        tg.norm(tg.zeros((0, 2)), axis=0, ord=-np.inf)
    assert tg.norm(tg.zeros((3, 0)), axis=0, ord=-np.inf).shape == (0,)


def test_std_gradient_at_zero_spread_is_zero_even_from_an_infinite_delta() -> None:
    # torch masks std's gradient where std is 0; an inf delta times the 0 slope was NaN
    x = tg.tensor([[3.0, 3.0], [0.7, 1.0]], requires_grad=True)
    with np.errstate(divide="ignore"):  # (1 / 0, and the division's rule)
        (1.0 / tg.std(x, axis=1)).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.0], [22.222222222222, -22.222222222222]])
    x = tg.tensor([[0.7]], requires_grad=True)
    with np.errstate(divide="ignore"):
        (tg.std(x, axis=0) ** 0.5).sum().backward()
    assert x.grad.data.tolist() == [[0.0]]
    # and its tangent, as torch's (forward and reverse mode agree)
    for tangent in ([np.inf, 0.0, 0.0], [np.nan, 0.0, 0.0]):
        _, t = tg.jvp(tg.std, (tg.full(3, 2.0),), (tg.tensor(tangent),))
        assert t.item() == 0.0
    _, t = tg.jvp(lambda a: tg.std(a, axis=1), (np.array([[2.0, 2], [1, 3]]),), (np.ones((2, 2)),))
    assert t.data.tolist() == [0.0, 0.0]


def _prod_hessian(x: np.ndarray) -> np.ndarray:
    """d2 prod / dx_i dx_j: the product of the entries but i and j (0 on the diagonal)."""
    n = x.size
    return np.array(
        [[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(n)] for i in range(n)]
    )


@pytest.mark.parametrize(
    "x",
    [
        [2.65, 3.3e-16],  # (the sweep's case: hvp gave [1.73, 0] for [1.73, -1.03])
        [2.65, 3.3e-16, 1.7, -0.4],
        [1e-12, 3.0, 1e-9, 2.0, 0.5],
        [1.3, 0.002, 1.7, -0.4],
        [0.0, 3.0, 1e-9, 2.0],
        [0.0, 3.0, 0.0, 2.0],
    ],
)
def test_prod_higher_derivatives_stay_exact_beside_a_small_entry(x) -> None:
    # (the slope was recorded as out / x, whose derivative in its own entry is two terms that
    # cancel: an error of eps * out / x_i^2 where the truth is 0)
    x = np.array(x)
    v = np.arange(1.0, x.size + 1)
    want = _prod_hessian(x)
    scale = np.abs(want).max()
    close = dict(rtol=1e-13, atol=1e-15 * scale)
    np.testing.assert_allclose(tg.hessian(tg.prod)(x).data, want, **close)  # (fwd over rev)
    _, (hv,) = tg.hvp(tg.prod, (tg.tensor(x),), (tg.tensor(v),))  # (rev over fwd)
    np.testing.assert_allclose(hv.data, want @ v, **close)
    t = tg.tensor(x, requires_grad=True)  # (rev over rev)
    (g,) = tg.autograd.grad(tg.prod(t), [t], create_graph=True)
    (hv2,) = tg.autograd.grad(g, [t], grad_outputs=[tg.tensor(v)], create_graph=True)
    np.testing.assert_allclose(hv2.data, want @ v, **close)
    # third order: sum over distinct i, j, k of v_i v_j times the product of the others. (Its
    # rule divides by x_j, exact with zeros, where the others are multiplied out, and else
    # to about eps * max|x| / min|x|: checked where that is small.)
    nonzero = np.abs(x[x != 0])
    if 0 not in x and nonzero.max() / nonzero.min() > 1e4:
        return
    (third,) = tg.autograd.grad(hv2, [t], grad_outputs=[tg.tensor(v)])
    want3 = [
        sum(
            v[i] * v[j] * np.prod(np.delete(x, [i, j, k]))
            for i in range(x.size)
            for j in range(x.size)
            if len({i, j, k}) == 3
        )
        for k in range(x.size)
    ]
    np.testing.assert_allclose(third.data, want3, rtol=1e-13, atol=1e-15 * np.abs(want3).max())


def test_prod_hvp_in_float32_beside_a_small_entry() -> None:
    # (the sweep's float32 case: -0.875 for -1.03)
    x = np.array([2.65, 3.3e-6, -1.2], np.float32)
    v = np.array([0.3, -0.39, 1.0], np.float32)
    _, (hv,) = tg.hvp(lambda t: tg.prod(t), (tg.tensor(x),), (tg.tensor(v),))
    want = _prod_hessian(x.astype(np.float64)) @ v.astype(np.float64)
    assert hv.dtype == np.float32
    np.testing.assert_allclose(hv.data, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("axis", "keepdims"), [(1, False), ((0, 2), True), (None, False)])
def test_prod_hessian_over_axes_matches_the_products_of_the_others(axis, keepdims) -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(0.5, 1.5, (3, 4, 2))
    x[1, 2, 0] = 1e-14
    x[2, 0, 1] = 0.0
    f = lambda t: tg.sum(tg.prod(t, axis=axis, keepdims=keepdims) * 0.7)  # noqa: E731
    h = tg.hessian(f)(x).data.reshape(x.size, x.size)
    flat_axes = (0, 1, 2) if axis is None else (axis,) if isinstance(axis, int) else axis
    kept = [a for a in range(3) if a not in flat_axes]
    want = np.zeros((x.size, x.size))
    index = np.arange(x.size).reshape(x.shape)
    for key in np.ndindex(*[x.shape[a] for a in kept]):
        sel = [slice(None)] * 3
        for a, k in zip(kept, key):
            sel[a] = k
        ids = index[tuple(sel)].ravel()
        want[np.ix_(ids, ids)] = 0.7 * _prod_hessian(x.ravel()[ids])
    np.testing.assert_allclose(h, want, rtol=1e-13, atol=1e-16)
    v = rng.uniform(-1, 1, x.shape)
    _, (hv,) = tg.hvp(f, (tg.tensor(x),), (tg.tensor(v),))
    np.testing.assert_allclose(hv.data.ravel(), want @ v.ravel(), rtol=1e-13, atol=1e-16)


_NO_LONG_DOUBLE = pytest.mark.skipif(
    np.finfo(np.longdouble).maxexp <= np.finfo(np.float64).maxexp,
    reason="float64's products are taken in long double, no wider than float64 here",
)


@pytest.mark.parametrize(
    ("values", "dtype", "want"),
    [
        # (the first review: blocks of the products before or after an entry over- or
        # underflowed where the others' product does not)
        ([0.0, 1e-30, 1e30, 1e30], np.float32, [1e30, 0.0, 0.0, 0.0]),
        ([0.0, 1 / 300, 300.0, 300.0], np.float16, [300.0, 0.0, 0.0, 0.0]),
        pytest.param(
            [1e200, 1e200, 1e-200, 1e-200],
            np.float64,
            [1e-200, 1e-200, 1e200, 1e200],
            marks=_NO_LONG_DOUBLE,
        ),
        # (a product that underflows with no zero: out / x was 0 everywhere)
        pytest.param(
            [1e-300, 1e-300, 1e300, 1e300, 3.0],
            np.float64,
            [3e300, 3e300, 3e-300, 3e-300, 1.0],
            marks=_NO_LONG_DOUBLE,
        ),
        ([1e-30, 1e30, 1e30, 1e-30], np.float32, [1e30, 1e-30, 1e-30, 1e30]),
    ],
)
def test_prod_gradient_where_partial_products_leave_the_range(values, dtype, want) -> None:
    x = np.array(values, dtype)
    with np.errstate(over="ignore", under="ignore"):
        for create_graph in (False, True):  # (the same values, recorded or not)
            t = tg.tensor(x, requires_grad=True)
            (g,) = tg.autograd.grad(tg.prod(t), [t], create_graph=create_graph)
            assert g.dtype == dtype
            np.testing.assert_allclose(g.data, np.array(want, dtype), rtol=2e-3)


@_NO_LONG_DOUBLE
def test_prod_hvp_where_the_product_underflows() -> None:
    # (the second derivatives of a product that underflows, with and without a zero, taken in
    # a wider dtype as the gradient is)
    from fractions import Fraction

    for values in ([1e-160, 1e-160, 1e-100, 2.0, 3.0], [1e-160, 1e-160, 0.0, 1e-100, 3.0]):
        x = np.array(values)
        v = np.arange(1.0, 6.0)
        exact = [
            float(
                sum(
                    Fraction(v[i]) * math.prod(Fraction(x[k]) for k in range(5) if k not in (i, j))
                    for i in range(5)
                    if i != j
                )
            )
            for j in range(5)
        ]
        with np.errstate(under="ignore"):
            _, (hv,) = tg.hvp(tg.prod, (tg.tensor(x),), (tg.tensor(v),))
        np.testing.assert_allclose(hv.data, exact, rtol=1e-13, atol=1e-310)  # (subnormals)


@pytest.mark.parametrize(
    ("values", "dtype", "v", "want"),
    [
        # (the second review: recorded second derivatives were taken in x's dtype: 0 where the
        # product underflows, inf or NaN where it overflows; quotients that overflow gave inf)
        ([1e-200, 1e-200, 3.0], np.float64, [1.0, 0.0, 0.0], [0.0, 3.0, 1e-200]),
        ([1e150, 1e150, 1e150, 2.0], np.float64, [1.0, 0, 0, 0], [0.0, 2e150, 2e150, 1e300]),
        ([1e-30, 1e-30, 3.0], np.float32, [1.0, 0.0, 0.0], [0.0, 3.0, 1e-30]),
        ([1e-300, 1e200, 1e200], np.float64, [0.0, 1.0, 0.0], [1e200, 0.0, 1e-300]),
        ([5e-324, 2.0, 3.0], np.float64, [0.0, 1.0, 0.0], [3.0, 0.0, 5e-324]),
        ([np.inf, 0.0, 3.0], np.float64, [0.0, 1.0, 0.0], [3.0, np.nan, np.inf]),  # (as torch)
    ],
)
def test_prod_second_derivatives_out_of_range_recorded_or_not(values, dtype, v, want) -> None:
    x = np.array(values, dtype)
    if dtype == np.float64 and np.finfo(np.longdouble).maxexp <= np.finfo(np.float64).maxexp:
        pytest.skip("float64's products are taken in long double, no wider than float64 here")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, (plain,) = tg.hvp(tg.prod, (tg.tensor(x),), (tg.tensor(np.array(v, dtype)),))
        recorded_v = tg.tensor(np.array(v, dtype), requires_grad=True)
        _, (recorded,) = tg.hvp(tg.prod, (tg.tensor(x),), (recorded_v,))
        t = tg.tensor(x, requires_grad=True)
        (g,) = tg.autograd.grad(tg.prod(t), [t], create_graph=True)
        (twice,) = tg.autograd.grad(g, [t], grad_outputs=[tg.tensor(np.array(v, dtype))])
    for got in (plain, recorded, twice):
        np.testing.assert_allclose(got.data, np.array(want, dtype), rtol=1e-6)


def test_prod_third_derivative_beside_an_entry_below_the_square_root_of_tiny() -> None:
    # (the recorded rule's derivative squares x: -v / x^2 overflowed, -inf for 0)
    t = tg.tensor(np.array([1e-160, 3.0, 2.0]), requires_grad=True)
    (g,) = tg.autograd.grad(tg.prod(t), [t], create_graph=True)
    (h,) = tg.autograd.grad(g[0], [t], create_graph=True)
    (third,) = tg.autograd.grad(h[1], [t])
    np.testing.assert_allclose(third.data, [0.0, 0.0, 1.0], atol=1e-15)


def test_prod_recorded_second_derivative_multiplies_out_only_the_rows_with_zeros() -> None:
    # (one zero sent every row through the O(n^2) path: 9.7 s and 6.2 GB at (2000, 200))
    x = np.random.default_rng(0).uniform(0.9, 1.1, (300, 50))
    x[0, 0] = 0.0
    t = tg.tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(tg.sum(tg.prod(t, axis=1)), [t], create_graph=True)
    (h,) = tg.autograd.grad(tg.sum(g), [t], create_graph=True)
    for r in (0, 1):
        want = _prod_hessian(x[r]).sum(axis=1)
        np.testing.assert_allclose(h.data[r], want, rtol=1e-12)


def test_prod_second_derivative_past_the_bound_of_rows_multiplied_out_is_quiet() -> None:
    # (a row with an inf past _BY_ROWS_MAX keeps IEEE's NaN there, documented; the wider
    # retry warned "invalid value encountered in divide")
    x = np.ones(2049)
    x[0] = np.inf
    t = tg.tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(tg.prod(t), [t], create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (h,) = tg.autograd.grad(g.sum(), [t])
    assert np.isinf(h.data[1:]).all()


def test_std_over_no_value_with_a_negative_ddof_is_numpys_zero() -> None:
    # (the out-of-range check reduced an empty axis: NumPy's bare "zero-size array" error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (NumPy's own mean of nothing)
        for dtype in (np.float64, np.float32, np.float16):
            x = tg.tensor(np.zeros((0, 3), dtype), requires_grad=True)
            s = tg.std(x, axis=0, ddof=-1)
            assert s.dtype == dtype and s.data.tolist() == [0.0] * 3
            s.sum().backward()
            assert x.grad.shape == (0, 3)
            assert tg.std(x, ddof=-1).item() == 0.0


RAGGED = [[1.0, 2.0], [3.0]]


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("sum", lambda x: tg.sum(x)),
        ("mean", lambda x: tg.mean(x)),
        ("prod", lambda x: tg.prod(x)),
        ("max", lambda x: tg.max(x)),
        ("min", lambda x: tg.min(x)),
        ("var", lambda x: tg.var(x)),
        ("std", lambda x: tg.std(x)),
        ("logsumexp", lambda x: tg.logsumexp(x)),
        ("norm", lambda x: tg.norm(x)),
        ("cumsum", lambda x: tg.cumsum(x, axis=0)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_ragged_list_is_refused_under_the_reductions_name(name, call) -> None:
    # (NumPy's bare "setting an array element with a sequence" came first, naming no op)
    with pytest.raises(TypeError, match=rf"^{name}: x holds list data that makes no array"):
        call(RAGGED)


def test_cumsum_accumulates_float16_in_float32_and_float32_in_float64_as_torch() -> None:
    # (NumPy's running sum in float16: 3,000 values of 0.1 summed to 256, and its gradient too;
    # one overflowing partial sum made every later entry inf)
    x = tg.tensor(np.full(3000, 0.1, np.float16), requires_grad=True)
    y = tg.cumsum(x, axis=0)
    y.sum().backward()
    assert y.dtype == np.float16 and y.data[-1] == np.float16(
        np.cumsum(np.full(3000, 0.1, np.float16).astype(np.float64))[-1]
    )
    assert x.grad.dtype == np.float16 and x.grad.data[0] == 3000
    over = tg.cumsum(np.array([6e4, 2e4, -3e4, 100], np.float16), axis=0).data
    assert np.isinf(over[1]) and over[2:].tolist() == np.float16([50000, 50100]).tolist()
    long = np.full(10**5, 0.1, np.float32)
    want = np.cumsum(long.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(tg.cumsum(long, axis=0).data, want)
    ints = np.arange(5, dtype=np.int32)  # (integers as NumPy: their own dtype)
    assert tg.cumsum(ints, axis=0).dtype == np.cumsum(ints).dtype


@pytest.mark.parametrize("axis", [0, 1])
def test_float16_logsumexp_sums_its_exponentials_in_float32(axis) -> None:
    # (summed in float16 along axis 0, every entry of this one was off the rounded value)
    x = np.random.default_rng(0).uniform(-3, 3, (3000, 3)).astype(np.float16)
    x = x if axis == 0 else x.T.copy()
    want = tg.logsumexp(x.astype(np.float64), axis=axis).data.astype(np.float16)
    got = tg.logsumexp(x, axis=axis)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got.data, want)


_LONG_AXIS = {
    "norm": (lambda a: tg.norm(a, axis=0), 2),
    "var": (lambda a: tg.var(a, axis=0), 1),
    "logsumexp": (lambda a: tg.logsumexp(a, axis=0), 6),
    "softmax": (lambda a: tg.softmax(a, axis=0), 1),
    "log_softmax": (lambda a: tg.log_softmax(a, axis=0), 6),
}


@pytest.mark.parametrize("name", sorted(_LONG_AXIS))
def test_float16_rules_and_tangents_sum_a_long_axis_in_float32(name) -> None:
    # Errors in float16 ulps of the largest entry, against float64 on the same float16 values:
    # the tangents within one; the gradients within one or two (norm's x / out * delta rounds
    # twice), and about 4-5 for the two that read the float16 output's exponentials (its
    # rounding, as torch's). Summed in float16 over a strided axis of 3,000 the tangents were
    # 9-241 off, the gradients of var, softmax, log_softmax and logsumexp 2-16.
    f, grad_ulps = _LONG_AXIS[name]
    rng = np.random.default_rng(0)
    x, t = rng.uniform(0.5, 1.5, (2, 3000, 2)).astype(np.float16)
    wide = x.astype(np.float64)

    def ulps(got, exact) -> float:
        assert got.dtype == np.float16
        return float(np.max(np.abs(got - exact)) / np.spacing(np.float16(np.max(np.abs(exact)))))

    assert ulps(tg.jvp(f, (x,), (t,))[1].data, tg.jvp(f, (wide,), (t.astype(float),))[1].data) <= 1
    d = rng.uniform(0.5, 1.5, f(x).shape).astype(np.float16)
    exact = tg.vjp(f, wide)[1](d.astype(np.float64))[0].data
    assert ulps(tg.vjp(f, x)[1](d)[0].data, exact) <= grad_ulps


@pytest.mark.parametrize("fn", [tg.max, tg.min])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_many_tied_extremes_share_the_gradient_in_every_dtype(fn, dtype) -> None:
    # (the shares' count was summed in x's dtype: float16 stopped at 2048, so 3,000 ties got
    # 1/2048 each and their shares added up to 1.46)
    x = tg.tensor(np.zeros((3000, 2), dtype), requires_grad=True)
    fn(x, axis=0).sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad.data, np.full((3000, 2), 1 / 3000, dtype))


def test_mean_is_numpy_s_mean_for_numbers_and_past_float32_s_exact_counts() -> None:
    # (9f7f287's shortcut read a Python number's shape, and divided float32 sums by a count
    # rounded to float32: np.mean divides in float64 and rounds once)
    assert tg.mean(2.5).item() == 2.5 and tg.mean(3).item() == 3.0 and tg.mean(True).item() == 1
    x = np.random.default_rng(0).random(2**24 + 1, dtype=np.float32)
    assert tg.mean(x).data.tobytes() == np.mean(x).tobytes()
    rows = np.stack([x, x[::-1]])
    np.testing.assert_array_equal(tg.mean(rows, axis=1).data, np.mean(rows, axis=1))


@pytest.mark.parametrize(
    "shape", [(64, 10), (40, 3, 2), (8, 4, 32), (32, 33), (31, 10), (64, 1), (5, 0), (0, 7)]
)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, ">f8"])
def test_maximum_along_is_numpys_maximum(shape: tuple, dtype: Any) -> None:
    """The softmax family's shift: short rows reduced across a transposed copy (past 31 rows
    of 2-32 entries) give NumPy's maxima, NaN and infinities included, also without initial."""
    from tensorgrad.ops.reductions import maximum_along

    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    if x.size:
        x.flat[::7] = np.inf
        x.flat[3::11] = -np.inf
        x.flat[5::13] = np.nan
    for view in (x, x[::2], np.asfortranarray(x)):
        for axis in (-1, view.ndim - 1, (view.ndim - 1,)):
            want = np.maximum.reduce(view, axis=axis, keepdims=True, initial=-np.inf)
            got = maximum_along(view, axis)
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype and got.shape == want.shape
        if view.shape[-1]:
            got = maximum_along(view, -1, initial=None)
            np.testing.assert_array_equal(got, np.max(view, axis=-1, keepdims=True))
    ints = np.arange(64 * 10).reshape(64, 10) % 17
    np.testing.assert_array_equal(maximum_along(ints, 1, initial=None), ints.max(1, keepdims=True))


# ----------------------------------------------------------------------------- cumprod

# torch 2.13's values for d/dx, d2/dx2 and the third derivative along (W, W) of
# sum(V * cumprod(x)), and the tangent of cumprod along U (torch.func, float64; the third
# derivative by reverse mode thrice, which matches the sums of products of the others: torch's
# jacfwd(hessian) is wrong at zeros, [-27.5, -14, ...] for the first)
V = [1.0, -2.0, 0.5, 3.0, -1.5]
W = [0.5, 1.0, -1.0, 2.0, 0.25]
U = [1.0, -1.0, 2.0, 0.5, -0.5]
CUMPROD_AT_ZEROS = {
    (2.0, 0.0, 3.0, 0.0, 5.0): (
        [1.0, -1.0, 0.0, 0.0, 0.0],
        [[0, -0.5, 0, 0, 0], [-0.5, 0, 1.0, -27.0, 0], [0, 1.0, 0, 0, 0], [0, -27.0, 0, 0, 0],
         [0, 0, 0, 0, 0]],
        [-55.0, -0.5, -35.5, 0.0, -36.0],
        [1.0, -2.0, -6.0, 0.0, 0.0],
    ),
    (2.0, 0.0, 3.0, 1.5, 5.0): (
        [1.0, -41.5, 0.0, 0.0, 0.0],
        [[0, -20.75, 0, 0, 0], [-20.75, 0, -12.5, -27.0, -13.5], [0, -12.5, 0, 0, 0],
         [0, -27.0, 0, 0, 0], [0, -13.5, 0, 0, 0]],
        [-44.875, 6.8125, -44.5, 0.0, -33.75],
        [1.0, -2.0, -6.0, -9.0, -45.0],
    ),
    (0.0, 0.0, 0.0, 0.0, 0.0): (
        [1.0, 0.0, 0.0, 0.0, 0.0],
        [[0, -2.0, 0, 0, 0], [-2.0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]],
        [-1.0, -0.5, 0.5, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0, 0.0],
    ),
}  # fmt: skip


@pytest.mark.parametrize("x", sorted(CUMPROD_AT_ZEROS), ids=str)
def test_cumprod_derivatives_at_zeros_are_torchs(x) -> None:
    # (the naive gradient divides the running sum of V * out by x: NaN or wrong at a zero)
    grad, hessian, third, tangent = CUMPROD_AT_ZEROS[x]
    x = np.array(x)

    def f(t: tg.Tensor) -> tg.Tensor:
        return (tg.cumprod(t) * np.array(V)).sum()

    leaf = tg.tensor(x, requires_grad=True)
    tg.cumprod(leaf).backward(np.array(V))  # (the rule on arrays)
    np.testing.assert_allclose(leaf.grad.data, grad, atol=1e-14)
    (g,) = tg.autograd.grad(f(leaf), [leaf], create_graph=True)  # (the rule recorded)
    np.testing.assert_allclose(g.data, grad, atol=1e-14)
    np.testing.assert_allclose(tg.hessian(f)(tg.tensor(x)).data, hessian, atol=1e-14)
    np.testing.assert_allclose(tg.jacfwd(tg.hessian(f))(tg.tensor(x)).data @ W @ W, third,
                               atol=1e-13)  # fmt: skip
    _, t = tg.jvp(tg.cumprod, (tg.tensor(x),), (tg.tensor(np.array(U)),))
    np.testing.assert_allclose(t.data, tangent, atol=1e-14)
    # reverse over reverse and forward over reverse agree with the Hessian
    _, hv = tg.hvp(f, (tg.tensor(x),), (tg.tensor(np.array(W)),))
    np.testing.assert_allclose(hv[0].data, np.array(hessian) @ W, atol=1e-14)


def test_cumprod_along_an_axis_and_flattened_as_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, (3, 4, 2))
    x[1, 2, 0] = x[0, 0, 1] = 0.0
    for axis in (None, 0, 1, -1):
        np.testing.assert_array_equal(tg.cumprod(x, axis).data, np.cumprod(x, axis))
        np.testing.assert_array_equal(np.cumprod(tg.tensor(x), axis).data, np.cumprod(x, axis))
        np.testing.assert_array_equal(tg.tensor(x).cumprod(axis).data, np.cumprod(x, axis))
        leaf = tg.tensor(x, requires_grad=True)
        v = rng.normal(size=tg.cumprod(x, axis).shape)
        tg.cumprod(leaf, axis).backward(v)
        # each entry's gradient as the sum over the outputs of the products of the others
        flat = np.moveaxis(x, axis, -1) if axis is not None else x.reshape(1, -1)
        vv = np.moveaxis(v, axis, -1) if axis is not None else v.reshape(1, -1)
        n = flat.shape[-1]
        want = np.zeros_like(flat)
        for j in range(n):
            for k in range(j, n):
                others = np.prod(np.delete(flat[..., : k + 1], j, axis=-1), axis=-1)
                want[..., j] += vv[..., k] * others
        want = np.moveaxis(want, -1, axis) if axis is not None else want.reshape(x.shape)
        np.testing.assert_allclose(leaf.grad.data, want, atol=1e-14)
    assert np.multiply.accumulate(tg.tensor(x), axis=1).shape == (3, 4, 2)
    for empty in (np.zeros((0, 3)), np.zeros((2, 0))):
        leaf = tg.tensor(empty, requires_grad=True)
        tg.cumprod(leaf, axis=1).sum().backward()
        assert leaf.grad.shape == empty.shape


def test_cumprod_accumulates_float16_in_float32_and_float32_in_float64_as_torch() -> None:
    # (torch 2.13's CPU values; NumPy's float16 product of 300 * 300 stays inf after 0.001)
    half = tg.cumprod(np.array([300, 300, 0.001, 2], np.float16))
    assert half.dtype == np.float16
    assert half.data.tolist() == [300.0, np.inf, np.float16(90.06), np.float16(180.1)]
    x = np.array([1.1, 1.3, 0.7, 1.9, 0.3, 1.7] * 50, np.float32)
    want = np.cumprod(x.astype(np.float64)).astype(np.float32)  # (torch's, bit for bit)
    np.testing.assert_array_equal(tg.cumprod(x).data, want)
    assert not np.array_equal(np.cumprod(x), want)  # (NumPy's float32 running product)
    leaf = tg.tensor(x, requires_grad=True)
    tg.cumprod(leaf).sum().backward()
    assert leaf.grad.dtype == np.float32
    # the dtype= of NumPy: computed on x cast to it; integers and bools as NumPy's
    ints = np.array([3, -2, 5], np.int8)
    for dtype in (None, np.int8, np.float32, bool):
        got = tg.cumprod(ints, dtype=dtype).data
        np.testing.assert_array_equal(got, np.cumprod(ints, dtype=dtype))
        assert got.dtype == np.cumprod(ints, dtype=dtype).dtype


@pytest.mark.parametrize("zeros", [False, True], ids=["no zero", "zeros"])
def test_cumprod_float16_derivatives_are_within_three_ulps(zeros) -> None:
    """float16 derivatives, by the quotient (no zero) and by the running scan (zeros, the
    widened path): within 3e-3 of each row's largest gradient of the float64 ones at the same
    values (500 rows: 2.1e-3 and 9.3e-4 measured; torch 2.13's float16 gradients of such rows
    3.7e-3 and 9e-3)."""
    rng = np.random.default_rng(11)
    worst = 0.0
    for _ in range(500):
        n = int(rng.integers(2, 30))
        x = (rng.uniform(0.5, 1.6, n) * rng.choice([1, -1], n)).astype(np.float16)
        if zeros:
            x[rng.random(n) < 0.2] = 0
        v = rng.uniform(-1, 1, n).astype(np.float16)
        half, wide = (
            tg.tensor(x, requires_grad=True),
            tg.tensor(x.astype(float), requires_grad=True),
        )
        tg.cumprod(half).backward(v)
        tg.cumprod(wide).backward(v.astype(float))
        want = wide.grad.data
        worst = max(worst, np.abs(half.grad.data - want).max() / np.abs(want).max())
        _, t = tg.jvp(tg.cumprod, (tg.tensor(x),), (tg.tensor(v),))
        _, tw = tg.jvp(tg.cumprod, (tg.tensor(x.astype(float)),), (tg.tensor(v.astype(float)),))
        worst = max(worst, np.abs(t.data - tw.data).max() / np.abs(tw.data).max())
    assert worst < 3e-3


def test_cumprod_gradient_where_the_product_underflows() -> None:
    # (out / x was 0 / 1e-200 where the product of the others is 1: taken by the running
    # sum of products instead, in long double)
    x = tg.tensor(np.array([1e-200, 1e-200, 1e200, 1e200]), requires_grad=True)
    tg.cumprod(x).backward(np.array([0.0, 0.0, 0.0, 1.0]))
    np.testing.assert_allclose(x.grad.data, [1e200, 1e200, 1e-200, 1e-200], rtol=1e-12)


# ----------------------------------------------------------------------------- cdist

CDIST_X1 = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
CDIST_X2 = [[0.0, 1.0, 2.0], [2.0, 1.0, -1.0], [1.0, -1.0, 2.5]]
CDIST_V = [[1.0, -2.0, 0.5], [3.0, -1.0, 2.0]]
# torch 2.13's gradients of sum(V * cdist(x1, x2, p)) (float64): x1[0] is x2[0] (distance 0)
# and x1[1] differs from x2[2] in its last entry only (two zero differences)
CDIST_GRADS = {
    0: ([[0.0] * 3] * 2, [[0.0] * 3] * 3),
    0.5: (
        [[2.888829571003357, 1.1035533905932737, -5.8400999430419995],
         [14.555833735058735, -5.146264369941971, -13.884788477227907]],
        [[-10.916875301294052, 7.719396554912957, 8.91359135792093],
         [-8.088448176547862, -2.573132184970986, 6.604190281162429],
         [1.5606601717798212, -1.1035533905932737, 4.207106781186548]],
    ),
    1: (
        [[1.5, 0.5, -2.5], [4.0, -2.0, -6.0]],
        [[-3.0, 3.0, 3.0], [-3.0, -1.0, 3.0], [0.5, -0.5, 2.5]],
    ),
    1.5: (
        [[1.1024246471027386, 0.4388920024664884, -1.9497265575218068],
         [2.2437757054912213, -1.5865890168144725, -4.7480527878534176]],
        [[-1.6828317791184157, 2.3798835252217088, 2.061039590890063],
         [-1.9737120846281406, -0.7932945084072361, 2.4172937532519168],
         [0.31034351115259684, -0.4388920024664884, 2.219446001233244]],
    ),
    2: (
        [[0.8911825022144659, 0.4364357804719848, -1.7732095337936837],
         [1.4855627054164149, -1.4855627054164149, -4.228344058124622]],
        [[-1.1141720290623112, 2.2283440581246223, 1.671258043593467],
         [-1.480791068804562, -0.7427813527082074, 2.221186603206843],
         [0.2182178902359924, -0.4364357804719848, 2.1091089451179963]],
    ),
    3: (
        [[0.6331698557352056, 0.4580097749458884, -1.7108882847453928],
         [0.7476468701709483, -1.4952937403418969, -3.682205457884634]],
        [[-0.5607351526282113, 2.242940610512845, 1.2616540934134752],
         [-0.9345840170144147, -0.7476468701709483, 2.102814038282433],
         [0.1145024437364721, -0.4580097749458884, 2.028625610934118]],
    ),
    np.inf: (
        [[0.0, 0.5, -2.0], [0.0, -2.0, -2.0]],
        [[0.0, 3.0, 0.0], [0.0, -1.0, 2.0], [0.0, -0.5, 2.0]],
    ),
}  # fmt: skip


@pytest.mark.parametrize("p", sorted(CDIST_GRADS), ids=str)
def test_cdist_gradients_at_zero_distance_are_torchs(p) -> None:
    x1 = tg.tensor(np.array(CDIST_X1), requires_grad=True)
    x2 = tg.tensor(np.array(CDIST_X2), requires_grad=True)
    d = tg.cdist(x1, x2, p=p)
    assert d.shape == (2, 3) and d.data[0, 0] == 0.0
    d.backward(np.array(CDIST_V))
    g1, g2 = CDIST_GRADS[p]
    np.testing.assert_allclose(x1.grad.data, g1, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(x2.grad.data, g2, rtol=1e-13, atol=1e-15)
    # forward mode gives the same derivatives there (no NaN from 0 / 0)
    _, t = tg.jvp(lambda a: tg.cdist(a, np.array(CDIST_X2), p=p), (tg.tensor(CDIST_X1),),
                  (tg.tensor(np.ones((2, 3))),))  # fmt: skip
    np.testing.assert_allclose(np.sum(t.data * CDIST_V), np.sum(g1), rtol=1e-12, atol=1e-14)


def test_cdist_broadcasts_leading_axes_and_keeps_float32() -> None:
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(size=(2, 1, 4, 3)), rng.normal(size=(3, 5, 3))
    d = tg.cdist(x1, x2)
    want = np.sqrt(((x1[..., :, None, :] - x2[..., None, :, :]) ** 2).sum(-1))
    assert d.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(d.data, want, rtol=1e-14)
    f32 = tg.tensor(x1.astype(np.float32), requires_grad=True)
    out = tg.cdist(f32, x2.astype(np.float32), p=3)
    out.sum().backward()
    assert out.dtype == f32.grad.dtype == np.float32
    assert tg.cdist(np.ones((2, 0)), np.ones((3, 0))).data.tolist() == [[0.0] * 3] * 2
    assert tg.cdist(np.array([[1, 2]]), np.array([[4, 6]])).data.tolist() == [[5.0]]


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: tg.cdist(np.ones((2, 3)), np.ones((2, 4))), ValueError,
         r"cdist: x1 of shape \(2, 3\) and x2 of shape \(2, 4\) must have the same number"),
        (lambda: tg.cdist(np.ones(3), np.ones((2, 3))), ValueError,
         r"cdist: x1 and x2 must be at least 2-D, got x1 of shape \(3,\) and x2 of shape \(2,"),
        (lambda: tg.cdist(np.ones((2, 3)), np.ones((2, 3)), p=-1), ValueError,
         "cdist: p must be non-negative, got -1"),
        (lambda: tg.cdist(np.ones((2, 3)), np.ones((2, 3)), p=np.nan), ValueError, "non-negative"),
        (lambda: tg.cdist(np.ones((2, 3)), np.ones((2, 3)), p="2"), TypeError, "cdist: p must be"),
        (lambda: tg.cdist(np.ones((2, 2, 3)), np.ones((3, 2, 3))), ValueError,
         r"cdist: the leading axes of x1 of shape \(2, 2, 3\) and x2 of shape \(3, 2, 3\)"),
        (lambda: tg.cdist(np.ones((2, 3), complex), np.ones((2, 3))), TypeError, "cdist"),
    ],
)  # fmt: skip
def test_cdist_refusals_name_cdist_and_both_shapes(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def _cdist_by_differences(a, b):
    """cdist at p = 2 as the norms of the rows' differences (the form cdist's product matches)."""
    from tensorgrad.ops.shape import expand_dims

    return tg.norm(expand_dims(a, -2) - expand_dims(b, -3), axis=-1)


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e6])
@pytest.mark.parametrize("closeness", [0.0, 1e-12, 1e-7, 1e-3])
def test_cdist_p2_product_form_matches_the_differences(offset, closeness, monkeypatch) -> None:
    """Rows far from the origin and nearly equal rows, where the product form |a|^2 + |b|^2 -
    2 a.b cancels: values, both gradients and the tangent are the differences' to ~1e-14, over
    broadcast leading axes and in blocks smaller than the close pairs."""
    from tensorgrad.ops import distance

    monkeypatch.setattr(distance, "_BLOCK", 3)
    rng = np.random.default_rng(7)
    a = rng.standard_normal((2, 1, 5, 4)) + offset
    b = rng.standard_normal((3, 6, 4)) + offset
    b[:, :3] = a[0, 0, :3] * (1 + closeness)  # three pairs a distance ~closeness apart
    v = rng.standard_normal((2, 3, 5, 6))
    got = [tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)]
    want = [tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)]
    d, r = tg.cdist(*got), _cdist_by_differences(*want)
    np.testing.assert_allclose(d.data, r.data, rtol=1e-13, atol=1e-300)
    d.backward(v)
    r.backward(v)
    for g, w in zip(got, want):
        np.testing.assert_allclose(
            g.grad.data, w.grad.data, rtol=0, atol=1e-13 * np.abs(w.grad.data).max()
        )
    ta, tb = rng.standard_normal(a.shape), rng.standard_normal(b.shape)
    tangents = (tg.tensor(ta), tg.tensor(tb))
    _, t = tg.jvp(tg.cdist, (tg.tensor(a), tg.tensor(b)), tangents)
    _, tr = tg.jvp(_cdist_by_differences, (tg.tensor(a), tg.tensor(b)), tangents)
    np.testing.assert_allclose(t.data, tr.data, rtol=0, atol=1e-13 * np.abs(tr.data).max())


def test_cdist_p2_float32_is_the_float64_distance_rounded_and_nonfinite_rows_numpys() -> None:
    rng = np.random.default_rng(8)
    a, b = rng.standard_normal((7, 5)) * 1e3, rng.standard_normal((4, 5)) * 1e3
    a[0, 1], b[1, 2], a[2, 0], b[3, 4] = np.inf, np.nan, 1e200, -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        want = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    np.testing.assert_array_equal(np.isnan(tg.cdist(a, b).data), np.isnan(want))
    np.testing.assert_allclose(tg.cdist(a, b).data, want, rtol=1e-15)
    f32 = rng.standard_normal((6, 3)).astype(np.float32)
    g32 = rng.standard_normal((5, 3)).astype(np.float32)
    exact = np.sqrt(((f32[:, None].astype(np.float64) - g32[None].astype(np.float64)) ** 2).sum(-1))
    d = tg.cdist(f32, g32)
    assert d.dtype == np.float32
    np.testing.assert_array_equal(d.data, exact.astype(np.float32))


def test_cdist_refuses_more_axes_than_the_differences_can_hold() -> None:
    with pytest.raises(ValueError, match=r"cdist: x1 and x2 may have at most 63 dimensions"):
        tg.cdist(np.ones((1,) * 62 + (2, 3)), np.ones((2, 3)))


def test_cdist_p2_recomputes_only_close_pairs(monkeypatch) -> None:
    """Rows far from the origin are moved by x2's centroid first: none of their pairs needs
    the difference form, one equal pair does."""
    from tensorgrad.ops import distance

    seen = []
    original = distance._close_pairs
    monkeypatch.setattr(
        distance, "_close_pairs", lambda *args: (seen.append(original(*args)), seen[-1])[1]
    )
    rng = np.random.default_rng(9)
    a, b = rng.standard_normal((40, 8)) + 1e6, rng.standard_normal((30, 8)) + 1e6
    tg.cdist(a, b)
    assert [pairs[2].tolist() for pairs in seen] == [[]]
    b[4] = a[7]
    d = tg.cdist(a, b)
    assert seen[1][2].tolist() == [7 * 30 + 4] and d.data[7, 4] == 0.0


def test_cdist_p2_tangent_of_either_side_alone_at_close_pairs() -> None:
    a = np.array([[0.0, 0.0], [3.0, 1.0]])
    b = np.array([[1e-3, 0.0], [5.0, 5.0]])
    ones = (tg.tensor(np.ones((2, 2))),)
    _, t2 = tg.jvp(lambda y: tg.cdist(a, y), (tg.tensor(b),), ones)
    _, r2 = tg.jvp(lambda y: _cdist_by_differences(a, y), (tg.tensor(b),), ones)
    _, t1 = tg.jvp(lambda x: tg.cdist(x, b), (tg.tensor(a),), ones)
    _, r1 = tg.jvp(lambda x: _cdist_by_differences(x, b), (tg.tensor(a),), ones)
    assert t2.data[0, 0] == 1.0
    np.testing.assert_allclose(t2.data, r2.data, rtol=1e-14)
    np.testing.assert_allclose(t1.data, r1.data, rtol=1e-14)


@pytest.mark.parametrize(
    "a, b",
    [
        # the centroid's sum would overflow: x2's rows are divided before they are summed
        (np.array([[1e306, 0.0], [1e306, 1e300]]), np.tile([[1e306, 0.0]], (200, 1))),
        (np.zeros((1, 2), np.float16), np.full((700, 2), 100, np.float16)),
        # a NaN row of x2 leaves the finite rows' gradients as they are
        (np.array([[0.0, 1.0], [2.0, -1.0]]), np.array([[1.0, 1.0], [np.nan, 0.0], [0.5, 3.0]])),
    ],
    ids=["float64 overflow", "float16 overflow", "NaN row"],
)
def test_cdist_p2_gradients_where_rows_are_huge_or_nan(a, b) -> None:
    got = [tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)]
    want = [tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)]
    with np.errstate(invalid="ignore", over="ignore"):
        tg.cdist(*got).sum().backward()
        _cdist_by_differences(*want).sum().backward()
        recorded = tg.autograd.grad(tg.cdist(*want).sum(), want, create_graph=True)
    for g, w, r in zip(got, want, recorded):
        np.testing.assert_array_equal(np.isnan(g.grad.data), np.isnan(w.grad.data))
        np.testing.assert_allclose(
            g.grad.data, w.grad.data, rtol=1e-3 if a.dtype == np.float16 else 1e-14
        )
        np.testing.assert_allclose(r.data, w.grad.data, rtol=1e-3 if a.dtype == np.float16 else 0)


def test_cdist_p2_integer_coordinates_are_exact() -> None:
    rng = np.random.default_rng(12)
    a, b = rng.integers(-20, 20, (60, 3)), rng.integers(-20, 20, (50, 3))
    want = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1).astype(np.float64))
    np.testing.assert_array_equal(tg.cdist(a, b).data, want)
    assert tg.cdist([[11, -16, -1]], [[11, 8, -11]]).item() == 26.0


def test_cdist_p2_compute_modes() -> None:
    """torch's three modes: the default recomputes close pairs, 'use_mm_for_euclid_dist' does
    not (the product form's rounding), 'donot_use_mm_for_euclid_dist' is the differences'."""
    rng = np.random.default_rng(13)
    a = rng.standard_normal((6, 4)) + 1e4
    b = np.concatenate([a[:3] + 1e-7, rng.standard_normal((5, 4)) + 1e4])
    exact = _cdist_by_differences(tg.tensor(a), tg.tensor(b)).data
    default = tg.cdist(a, b).data
    product = tg.cdist(a, b, compute_mode="use_mm_for_euclid_dist").data
    differences = tg.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist").data
    np.testing.assert_array_equal(differences, exact)
    np.testing.assert_allclose(default, exact, rtol=1e-14)
    assert np.abs(product - exact).max() > 1e-12  # (the close pairs' rounding)
    np.testing.assert_allclose(product, exact, atol=1e-6)
    with pytest.raises(ValueError, match="cdist: compute_mode must be one of .*, got 'mm'"):
        tg.cdist(a, b, compute_mode="mm")


def test_cdist_p2_second_order_of_near_duplicates_is_the_differences() -> None:
    """A recorded rule (create_graph, hvp) is the difference form: exact at close pairs."""
    rng = np.random.default_rng(14)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = np.concatenate([a[:1] + np.float32(1e-3), rng.standard_normal((2, 4))]).astype(np.float32)
    v = rng.standard_normal((3, 4)).astype(np.float32)
    got = tg.hvp(lambda x: tg.cdist(x, b).sum(), (tg.tensor(a),), (tg.tensor(v),))[1]
    want = tg.hvp(lambda x: _cdist_by_differences(x, b).sum(), (tg.tensor(a),), (tg.tensor(v),))[1]
    scale = np.abs(want[0].data).max()
    np.testing.assert_allclose(got[0].data, want[0].data, rtol=0, atol=1e-6 * scale)
