"""NumPy protocols: ufuncs and functions on Tensors return Tensors and keep the graph."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg


def test_asarray_gives_the_data() -> None:
    t = tg.tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert t.numpy() is t.data


def test_ufuncs_and_functions_are_differentiable() -> None:
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = np.sum(np.exp(x) * 2, axis=0)
    assert isinstance(y, tg.Tensor)
    z = np.matmul(x, x) + np.mean(x) + np.maximum(x, 2.5)
    (y.sum() + z.sum() + np.linalg.norm(x)).backward()
    assert x.grad is not None and x.grad.shape == (2, 2)


def test_np_round_and_around_give_tensors() -> None:
    # (functions in NumPy 2, not ufuncs: once listed among the ufuncs, so they raised)
    x = tg.tensor([1.25, 2.5, -0.5], requires_grad=True)
    for got in (np.round(x, 1), np.around(x), np.round(x)):
        assert isinstance(got, tg.Tensor)
    np.testing.assert_array_equal(np.round(x, 1).data, np.round(x.data, 1))
    np.testing.assert_array_equal(np.around(x).data, [1.0, 2.0, -0.0])


def test_each_table_holds_only_what_its_protocol_dispatches() -> None:
    # ufuncs reach __array_ufunc__, everything else __array_function__: an entry in the wrong
    # table is never used (np.round was listed as a ufunc, so np.round(t) raised)
    from tensorgrad._numpy_interop import FUNCTIONS, UFUNCS

    assert all(isinstance(f, np.ufunc) for f in UFUNCS)
    assert not any(isinstance(f, np.ufunc) for f in FUNCTIONS)


def test_mixed_ndarray_and_tensor() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a = np.array([3.0, 4.0])
    y = a * x  # ndarray on the left dispatches to the Tensor
    assert isinstance(y, tg.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, a)


def test_unsupported_functions_name_themselves() -> None:
    x = tg.tensor([3.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="np.histogram is not supported on tensorgrad Tensors th"):
        np.histogram(x)
    with pytest.raises(TypeError, match="np.spacing"):
        np.spacing(x)
    with pytest.raises(TypeError, match="out="):
        np.exp(x, out=np.empty(3))


def test_tensor_methods() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x.T.reshape(6).sum() + x.mean(axis=1).max() + x.exp().log().sum()
    y.backward()
    assert x.grad.shape == (2, 3)
    assert x.argmax().item() == 5


# ----------------------------------------------------------------------------- np.linalg.norm


@pytest.mark.parametrize(
    ("shape", "ord", "axis"),
    [
        ((5,), None, None),
        ((5,), 2, None),
        ((5,), 1, None),
        ((5,), np.inf, None),
        ((5,), -np.inf, None),
        ((5,), 0, None),
        ((5,), 3, None),
        ((5,), 0.5, None),
        ((3, 4), None, None),
        ((3, 4), "fro", None),
        ((3, 4), 1, None),
        ((3, 4), -1, None),
        ((3, 4), np.inf, None),
        ((3, 4), -np.inf, None),
        ((3, 4), 2, 1),
        ((2, 3, 4), None, None),
        ((2, 3, 4), 1, -1),
        ((2, 3, 4), np.inf, (2, 0)),
        ((2, 3, 4), "fro", (0, 1)),
    ],
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_orders_match_numpy(shape: tuple, ord: Any, axis: Any, keepdims: bool) -> None:
    a = np.random.default_rng(0).normal(size=shape)
    a.flat[0] = 0.0  # (ord=0 counts nonzeros)
    got = np.linalg.norm(tg.tensor(a), ord, axis, keepdims)
    want = np.linalg.norm(a, ord, axis, keepdims)
    assert isinstance(got, tg.Tensor) and got.shape == np.shape(want)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)


def test_norm_orders_are_differentiable() -> None:
    rng = np.random.default_rng(1)
    v = tg.tensor(rng.normal(size=4), requires_grad=True)
    m = tg.tensor(rng.normal(size=(3, 4)), requires_grad=True)
    for ord in (1, np.inf, 3):
        assert tg.gradcheck(lambda t, ord=ord: np.linalg.norm(t, ord), [v])
    for ord in ("fro", 1, -np.inf):
        assert tg.gradcheck(lambda t, ord=ord: np.linalg.norm(t, ord), [m])


def test_norm_of_integers_is_float_as_numpy() -> None:
    a = np.array([3, -4])
    for ord in (None, 1, np.inf):
        got, want = np.linalg.norm(tg.tensor(a), ord), np.linalg.norm(a, ord)
        assert got.dtype == want.dtype and got.item() == want


def test_norm_never_computes_another_norm() -> None:
    m = np.arange(6.0).reshape(2, 3)
    for ord in (2, -2, "nuc"):  # matrix norms from singular values
        np.testing.assert_allclose(np.linalg.norm(tg.tensor(m), ord).data, np.linalg.norm(m, ord))
    for a, ord in [(np.array([3.0, 4.0]), "fro"), (np.ones((2, 2, 2)), 2), (m, 3)]:
        with pytest.raises(ValueError):
            np.linalg.norm(a, ord)
        with pytest.raises(ValueError, match=re.escape(repr(ord))):
            np.linalg.norm(tg.tensor(a), ord)


# ----------------------------------------------------------------------------- reshape, ravel


@pytest.mark.parametrize("order", ["C", "F", "f", "A", None])
@pytest.mark.parametrize("transposed", [False, True])
def test_reshape_and_ravel_orders_match_numpy(order: Any, transposed: bool) -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tg.tensor(a)
    if transposed:  # Fortran-contiguous data: order='A' reads it in Fortran order
        a, t = a.T, t.T
    got = np.reshape(t, (4, -1), order=order)
    np.testing.assert_array_equal(got.data, np.reshape(a, (4, -1), order=order))
    np.testing.assert_array_equal(np.ravel(t, order=order).data, np.ravel(a, order=order))


def test_fortran_reshape_is_differentiable() -> None:
    x = tg.tensor(np.random.default_rng(2).normal(size=(2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda t: np.reshape(t, (3, 2), order="F"), [x])
    assert tg.gradcheck(lambda t: np.ravel(t, order="F"), [x])


def test_ravel_in_memory_order_of_non_contiguous_data() -> None:
    # (order='K' was refused unless the data was contiguous one way or the other)
    a = np.arange(24.0).reshape(2, 3, 4)
    for view in (a[::-1], a[:, ::2], a.transpose(2, 0, 1)[:, ::-1], a[..., ::2].swapaxes(0, 2)):
        got = np.ravel(tg.from_numpy(view), order="K")
        np.testing.assert_array_equal(got.data, np.ravel(view, order="K"))
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda t: np.ravel(t.transpose(2, 0, 1)[:, ::-1], order="K"), [x])
    with pytest.raises(ValueError, match="order='K' of broadcast data"):
        np.ravel(tg.broadcast_to(tg.arange(4.0), (3, 4)), order="K")


def test_unsupported_orders_raise() -> None:
    t = tg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="'K'"):
        np.reshape(t, 6, order="K")
    with pytest.raises(ValueError, match="'X'"):
        np.ravel(t, order="X")


# ----------------------------------------------------------------------------- & | ^ ~ and logic


def test_bitwise_operators_follow_numpy() -> None:
    i, b = np.array([[1, 6], [3, 12]]), np.array([True, False])
    ti, tb = tg.tensor(i), tg.tensor(b)
    pairs = [
        (ti & 5, i & 5),
        (ti | 5, i | 5),
        (ti ^ 5, i ^ 5),
        (~ti, ~i),
        (5 & ti, 5 & i),
        (3 | ti, 3 | i),
        (2 ^ ti, 2 ^ i),
        (tb & True, b & True),
        (tb | b[::-1], b | b[::-1]),
        (True ^ tb, True ^ b),
        (~tb, ~b),
        (tb & 1, b & 1),
        (np.bitwise_and(ti, i.T), np.bitwise_and(i, i.T)),
        (np.bitwise_or(ti, 8), np.bitwise_or(i, 8)),
        (np.bitwise_xor(tb, b), np.bitwise_xor(b, b)),
        (np.invert(ti), np.invert(i)),
        (i[0] & ti, i[0] & i),
    ]
    for got, want in pairs:
        assert isinstance(got, tg.Tensor) and not got.requires_grad
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)


def test_bitwise_on_floats_names_the_op() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError):
        x.data & 1  # NumPy refuses floats too
    for fn, name in [
        (lambda: x & 1, "bitwise_and"),
        (lambda: x | x, "bitwise_or"),
        (lambda: 1 ^ x, "bitwise_xor"),
        (lambda: ~x, "invert"),
        (lambda: np.bitwise_and(x, 1), "bitwise_and"),
        (lambda: np.invert(x), "invert"),
    ]:
        with pytest.raises(TypeError, match=name):
            fn()


def test_logical_functions_give_bools_for_any_dtype() -> None:
    for a in (np.array([0, 2, -1]), np.array([0.0, 1.5, -0.0]), np.array([True, False, True])):
        t = tg.tensor(a)
        other = a[::-1].copy()
        pairs = [
            (np.logical_not(t), np.logical_not(a)),
            (tg.logical_not(t), np.logical_not(a)),
            (np.logical_and(t, other), np.logical_and(a, other)),
            (np.logical_or(t, other), np.logical_or(a, other)),
            (np.logical_xor(t, other), np.logical_xor(a, other)),
        ]
        for got, want in pairs:
            assert got.dtype == np.bool_
            np.testing.assert_array_equal(got.data, want)


# ----------------------------------------------------------------------------- np.where


def test_where_with_only_a_condition_gives_indices() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = tg.tensor(a)
    got, want = np.where(t > 2), np.where(a > 2)
    assert isinstance(got, tuple) and len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(t[np.where(t > 2)].data, a[np.where(a > 2)])
    with pytest.raises(ValueError, match="both or neither"):
        np.where(t > 2, t)


# ----------------------------------------------------------------------------- dropped arguments


@pytest.mark.parametrize(
    ("name", "arg", "fn"),
    [
        ("argmax", "out", lambda t: np.argmax(t, out=np.empty((), dtype=np.intp))),
        ("argmin", "out", lambda t: np.argmin(t, 0, np.empty(3, dtype=np.intp))),
        ("cumsum", "out", lambda t: np.cumsum(t, out=np.empty(6))),
        ("concatenate", "out", lambda t: np.concatenate([t, t], out=np.empty((4, 3)))),
        ("stack", "out", lambda t: np.stack([t, t], out=np.empty((2, 2, 3)))),
        ("take", "out", lambda t: np.take(t, [0], out=np.empty(1))),
        ("einsum", "out", lambda t: np.einsum("ij->j", t, out=np.empty(3))),
        ("einsum", "dtype", lambda t: np.einsum("ij->j", t, dtype=np.float32)),
        ("max", "initial", lambda t: np.max(t, 1, None, False, 5.0)),
        ("round", "out", lambda t: np.round(t, out=np.empty((2, 3)))),
    ],
)
def test_unsupported_arguments_are_refused(name: str, arg: str, fn: Any) -> None:
    a = np.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError, match=rf"np\.{name} on a Tensor .* {arg}="):
        fn(tg.tensor(a, requires_grad=True))
    # with no graph to drop, NumPy's own function on the values (as on a torch tensor)
    try:
        want = fn(a)
    except TypeError as exc:  # (einsum's dtype= casts 'safe'ly: NumPy refuses, the same way)
        with pytest.raises(type(exc)):
            fn(tg.tensor(a))
        return
    got = fn(tg.tensor(a))
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)


def test_supported_ufuncs_with_out_run_on_graph_free_values() -> None:
    t, out = tg.tensor([1.0, 2.0, 3.0]), np.zeros(3)
    assert np.exp(t, out=out) is out
    np.testing.assert_array_equal(out, np.exp([1.0, 2.0, 3.0]))
    a = np.ones(3)
    a += t  # (np.add(a, t, out=(a,)))
    np.testing.assert_array_equal(a, [2.0, 3.0, 4.0])
    assert np.sum(t, where=np.array([True, False, True])) == 4.0
    assert np.add(t, 1.0, where=np.True_).data.tolist() == [2.0, 3.0, 4.0]  # (NumPy's default)
    assert np.less(t, 2.0, dtype=bool).data.tolist() == [True, False, False]
    with pytest.raises(TypeError, match=r"np\.exp on a Tensor .* out="):
        np.exp(tg.tensor([1.0], requires_grad=True), out=np.zeros(1))
    with pytest.raises(ValueError, match="read-only"):  # (a write into a Tensor fails)
        np.exp(t, out=tg.zeros(3))


def test_dtype_and_mode_are_honoured() -> None:
    a = np.arange(6.0).reshape(2, 3) - 2.5
    t = tg.tensor(a)
    i8 = np.array([100, 100], dtype=np.int8)
    pairs = [
        (np.cumsum(t, dtype=np.int64), np.cumsum(a, dtype=np.int64)),
        (np.cumsum(t, 1, np.float32), np.cumsum(a, 1, np.float32)),
        (np.cumsum(tg.tensor(i8), dtype=np.int8), np.cumsum(i8, dtype=np.int8)),
        (np.cumsum(tg.tensor([1, 0, 2]), dtype=bool), np.cumsum([1, 0, 2], dtype=bool)),
        (np.concatenate([t, t], dtype=np.float32), np.concatenate([a, a], dtype=np.float32)),
        (
            np.concatenate([t, t], axis=None, dtype=np.int64, casting="unsafe"),
            np.concatenate([a, a], axis=None, dtype=np.int64, casting="unsafe"),
        ),
        (np.stack([t, t], 1, dtype=np.float32), np.stack([a, a], 1, dtype=np.float32)),
        (np.take(t, [7, -8], mode="wrap"), np.take(a, [7, -8], mode="wrap")),
        (np.take(t, [7, -8], axis=1, mode="clip"), np.take(a, [7, -8], axis=1, mode="clip")),
        (np.take(t, [-1, 9], mode="clip"), np.take(a, [-1, 9], mode="clip")),
    ]
    for got, want in pairs:
        assert isinstance(got, tg.Tensor) and got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)
    for fn in (np.concatenate, np.stack):
        with pytest.raises(TypeError):
            fn([a, a], dtype=np.int64)  # NumPy's same_kind rule refuses float -> int
        with pytest.raises(TypeError, match=f"np.{fn.__name__}: cannot cast float64 to int64"):
            fn([t, t], dtype=np.int64)
    with pytest.raises(ValueError, match="mode"):
        np.take(t, [0], mode="w")


def test_take_modes_and_casts_keep_the_gradient() -> None:
    x = tg.tensor(np.arange(4.0), requires_grad=True)
    index = [5, 2, -7]
    (np.take(x, index, mode="wrap").sum() + np.cumsum(x, dtype=np.float32).sum()).backward()
    taken = np.bincount(np.take(np.arange(4), index, mode="wrap"), minlength=4)
    np.testing.assert_array_equal(x.grad.data, taken + [4, 3, 2, 1])


def test_take_reads_bool_indices_as_numpy_does() -> None:
    # (np.take reads them as 0 and 1; they were refused as not integers)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    taken = np.take(x, [True, True, False])
    np.testing.assert_array_equal(taken.data, np.take(x.data, [True, True, False]))
    taken.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 0.0])


def test_pad_modes_tensorgrad_lacks_are_numpy_s_on_values_and_refused_with_a_graph() -> None:
    # (they raised tensorgrad's ValueError even with no graph to drop)
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    for mode in ("mean", "linear_ramp", "maximum", "median", "minimum"):
        np.testing.assert_array_equal(np.pad(t, 1, mode=mode), np.pad(t.data, 1, mode=mode))
    with pytest.raises(TypeError, match="np.pad .* mode='mean'"):
        np.pad(tg.tensor([1.0], requires_grad=True), 1, mode="mean")
    with pytest.raises(ValueError, match="pad: mode must be"):
        np.pad(tg.tensor([1.0], requires_grad=True), 1, mode="nearest")


# ----------------------------------------------------------------------------- argument mapping


def test_numpy_signatures_map_arguments() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = tg.tensor(a)
    pairs = [
        (np.max(t, 1, None, True), np.max(a, 1, None, True)),
        (np.amin(t, 0, None, True), np.amin(a, 0, None, True)),
        (np.sum(t, 0, None, None, True), np.sum(a, 0, None, None, True)),
        (np.clip(t, 1, None), np.clip(a, 1, None)),
    ]
    for got, want in pairs:
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.data, want)
    assert np.size(t, 0) == np.size(a, 0) and np.size(t, axis=1) == np.size(a, axis=1)
    assert np.size(t) == np.size(a) and np.shape(t) == np.shape(a)


@pytest.mark.skipif(
    np.lib.NumpyVersion(np.__version__) < "2.1.0",
    reason="np.clip takes min= and max= from NumPy 2.1 (2.0 refuses them before dispatching)",
)
def test_numpy_clip_min_max_keywords() -> None:
    a = np.arange(6.0).reshape(2, 3)
    t = tg.tensor(a)
    for got, want in [
        (np.clip(t, min=1, max=3), np.clip(a, min=1, max=3)),
        (np.clip(t, max=3), np.clip(a, max=3)),
    ]:
        np.testing.assert_array_equal(got.data, want)
    with pytest.raises(ValueError, match="min="):
        np.clip(t, 1, 3, min=0)
    with pytest.raises(TypeError, match="a_max"):
        np.clip(t, 1, max=3)
    # no bounds: a differentiable copy (NumPy 2.1+ returns a copy)
    x = tg.tensor(a, requires_grad=True)
    for got in (np.clip(x, None, None), np.clip(x)):
        np.testing.assert_array_equal(got.data, a)
        assert got.data is not x.data
        got.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3), 2.0))


def test_numpys_own_defaults_given_explicitly_are_accepted() -> None:
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    same = np.add(t, 1, where=True, casting="same_kind", order="K", subok=True)
    np.testing.assert_array_equal(same.data, [2.0, 3.0])
    assert np.sum(t, where=True).item() == 3.0
    for kwargs in ({"where": np.array([True, False])}, {"casting": "unsafe"}, {"where": 1}):
        with pytest.raises(TypeError, match="does not support"):
            np.add(t, 1, **kwargs)
    with pytest.raises(TypeError, match=r"out=\(<array of shape \(2,\)>,\)"):
        np.add(t, 1, out=np.zeros(2))  # (arrays by shape, not by value)


# ----------------------------------------------------------------------------- __array__


def test_array_copy_false_refuses_a_cast() -> None:
    t = tg.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="copy"):
        np.array(t.data, dtype=np.float32, copy=False)  # NumPy 2 itself
    with pytest.raises(ValueError, match="copy"):
        np.array(t, dtype=np.float32, copy=False)
    assert np.array(t, copy=False) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    c = np.array(t, copy=True)
    assert c is not t.data and np.array_equal(c, t.data)
    np.array(t)[0] = 5.0  # (NumPy trusts __array__ to copy when asked to)
    np.testing.assert_array_equal(t.data, [1.0, 2.0])


@pytest.mark.parametrize(
    ("call", "args", "kwargs"),
    [
        (np.add.reduce, (), {}),
        (np.add.reduce, (1,), {}),
        (np.add.reduce, (), {"axis": None, "keepdims": True}),
        (np.multiply.reduce, (), {}),
        (np.maximum.reduce, (0, None, None, False), {}),
        (np.minimum.reduce, (), {"axis": (0, 1)}),
        (np.add.accumulate, (), {}),
        (np.add.accumulate, (), {"axis": 1}),
    ],
)
def test_float_ufunc_reductions_are_tensorgrad_reductions(call: Any, args: tuple, kwargs: dict):
    """np.add.reduce and friends on float data, as NumPy (axis 0 by default) and
    differentiable; refusing them made NumPy 2.4.6 leak the tensor (numpy/numpy#31677)."""
    a = np.random.default_rng(5).standard_normal((3, 4))
    x = tg.tensor(a, requires_grad=True)
    got, want = call(x, *args, **kwargs), call(a, *args, **kwargs)
    assert isinstance(got, tg.Tensor) and got.shape == np.shape(want)
    np.testing.assert_allclose(got.data, want, rtol=1e-12)
    got.sum().backward()
    assert x.grad.shape == a.shape


def test_ufunc_reductions_that_would_differ_from_numpy_are_refused_with_a_graph() -> None:
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="initial"):
        np.add.reduce(x, initial=1.0)
    with pytest.raises(TypeError, match="np.subtract.reduce is not supported .* require grad"):
        np.subtract.reduce(x)
    # without one, NumPy's own (as on a torch tensor; they were refused)
    got = np.add.reduce(tg.tensor([True, True]))
    want = np.add.reduce(np.array([True, True]))
    assert isinstance(got, tg.Tensor) and got.dtype == want.dtype and got.item() == want
    assert np.add.reduce(tg.tensor([1.0]), initial=1.0).item() == 2.0
    assert np.subtract.reduce(tg.tensor([5.0, 1.0, 1.0])).item() == 3.0


def test_ufuncs_tensorgrad_lacks_run_on_the_values_of_graph_free_tensors() -> None:
    # (a ufunc tensorgrad lacks, here np.spacing, was refused "it would drop the graph" with no
    # graph to drop; torch computes)
    t = tg.tensor([1.0, 8.0, -27.0])
    got = np.spacing(t)
    assert isinstance(got, tg.Tensor) and not got.requires_grad
    np.testing.assert_array_equal(got.data, np.spacing(t.data))
    mantissa, exponent = np.frexp(t)  # (two results, two Tensors)
    assert isinstance(mantissa, tg.Tensor) and exponent.dtype.kind == "i"
    out = np.zeros(3)
    assert np.spacing(t, out=out) is out  # (an out= array is NumPy's result)
    np.testing.assert_array_equal(out, np.spacing(t.data))
    counts = np.zeros(3)
    np.add.at(counts, tg.tensor([0, 0, 2]), 1)  # (a Tensor index into an ndarray)
    np.testing.assert_array_equal(counts, [2.0, 0.0, 1.0])
    before = t.version
    with pytest.raises(ValueError, match="read-only"):
        np.maximum.at(t, [0], 1.0)  # (a write into a Tensor would bypass its version counter)
    with pytest.raises(ValueError, match="read-only"):
        np.spacing(out, out=(t,))
    np.testing.assert_array_equal(t.data, [1.0, 8.0, -27.0])
    assert t.version == before
    with pytest.raises(TypeError, match="np.spacing is not supported .* require grad"):
        np.spacing(tg.tensor([1.0], requires_grad=True))


@pytest.mark.parametrize(
    "call",
    [
        lambda X: np.sum(X, dtype=int),
        lambda X: np.mean(X, dtype=int),
        lambda X: np.mean(X, 0, np.float32),
        lambda X: np.prod(X > 2, dtype=bool),
        lambda X: np.var(X, dtype=np.float32),
        lambda X: np.var(X, correction=1),
        lambda X: np.std(X, axis=1, correction=1),
        lambda X: np.exp(X, dtype=np.float32),
        lambda X: np.add(X, 1, dtype=np.float32),
        lambda X: np.negative((X > 2) * 1, dtype=np.float64),
        lambda X: np.reshape(X, 6, copy=True),
        lambda X: np.reshape(X, 6, copy=False),
    ],
)
def test_numpy_keywords_as_numpy_takes_them(call) -> None:
    # (dtype= of reductions and ufuncs, var's correction= and reshape's copy= were refused)
    a = np.array([[1.5, 2.5, 4.0], [0.5, 3.0, 8.0]])
    try:
        want = call(a)
    except TypeError:  # (reshape's copy= is NumPy 2.1's)
        pytest.skip("this NumPy does not take the keyword")
    got = call(tg.tensor(a))
    assert isinstance(got, tg.Tensor) and got.dtype == want.dtype
    np.testing.assert_allclose(got.data, want, rtol=1e-6)


def test_numpy_keywords_refused_as_numpy_refuses_them() -> None:
    t = tg.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="np.add with dtype=int64: Cannot cast ufunc 'add'"):
        np.add(t, 1, dtype=np.int64)
    # NumPy's loops and its casting rule decide, Python numbers included (these were computed
    # in floats and truncated)
    with pytest.raises(TypeError, match="np.exp with dtype=int64: No loop matching"):
        np.exp(tg.tensor([1, 2, 3]), dtype=np.int64)
    try:  # (NumPy 2.0 takes this Python float; later NumPy refuses it)
        want = np.multiply(np.array([1, 2, 3]), 2.5, dtype=np.int64)
    except TypeError:
        with pytest.raises(TypeError, match="np.multiply with dtype=int64: Cannot cast"):
            np.multiply(tg.tensor([1, 2, 3]), 2.5, dtype=np.int64)
    else:
        got = np.multiply(tg.tensor([1, 2, 3]), 2.5, dtype=np.int64)
        np.testing.assert_array_equal(got.data, want)
    assert np.multiply(tg.tensor([1, 2, 3]), 2, dtype=np.int64).data.tolist() == [2, 4, 6]
    # (an integer dtype: NumPy's integer sums, which tensorgrad's float rules would not give;
    # on a graph-free Tensor NumPy computes it, as for other arguments tensorgrad lacks)
    assert np.var(tg.tensor([1.7, 0.4]), dtype=np.int64).item() == 1
    with pytest.raises(TypeError, match="np.var on a Tensor: dtype must be floating"):
        np.var(tg.tensor([1.7, 0.4], requires_grad=True), dtype=np.int64)
    with pytest.raises(ValueError, match="np.var: ddof and correction cannot both be given"):
        np.var(t, ddof=1, correction=1)
    if np.lib.NumpyVersion(np.__version__) >= "2.1.0":  # (reshape's copy= is NumPy 2.1's)
        with pytest.raises(ValueError, match="np.reshape: copy=False, but this reshape needs"):
            np.reshape(t.T, 6, copy=False)
        assert np.reshape(t, 6, copy=True).data.base is not t.data
    with pytest.raises(ValueError, match="np.add.accumulate: axis=None of a 2-D tensor"):
        np.add.accumulate(t, axis=None)  # (it flattened)


def test_unsupported_functions_are_named_with_their_submodule() -> None:
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    for fn, name in ((np.fft.fft, "np.fft.fft"), (np.linalg.eig, "np.linalg.eig")):
        with pytest.raises(TypeError, match=rf"^{name} is not supported"):
            fn(t)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # (np.matrix's own)
def test_an_np_matrix_operand_is_a_plain_array_for_the_gradient_too():
    # (the rule computed delta * matrix: a matrix product, so a wrong gradient or a crash)
    t = tg.tensor([[0.5, -1.0], [2.0, 1.5]], requires_grad=True)
    (t * np.matrix([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[1.0, 2.0], [3.0, 4.0]])
    r = tg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    (r * np.matrix([[1.0, 2.0, 3.0]])).sum().backward()  # (raised "shapes not aligned")
    np.testing.assert_array_equal(r.grad.data, [[1.0, 2.0, 3.0]])


def test_a_masked_operand_is_refused_as_tg_tensor_refuses_it():
    # (its mask was dropped in silence: the forward used the masked values)
    t = tg.tensor([[0.5, -1.0], [2.0, 1.5]], requires_grad=True)
    m = np.ma.array([[1.0, 2.0], [3.0, 4.0]], mask=[[0, 1], [0, 0]])
    for call in (lambda: t * m, lambda: np.add(t, m), lambda: t @ m, lambda: tg.where(t > 0, t, m)):
        with pytest.raises(TypeError, match="masked array"):
            call()


def test_like_functions_refuse_dtypes_tensors_cannot_hold():
    t = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="np.zeros_like"):
        np.zeros_like(t, dtype=complex)
    with pytest.raises(TypeError, match="np.ones_like"):
        np.ones_like(t, dtype=object)
    assert np.zeros_like(t, dtype=np.float32).dtype == np.float32


def test_divmod_with_dtype_and_positive_copies():
    q, r = np.divmod(tg.tensor([3.0]), 2.0, dtype=np.float64)  # (AttributeError on a tuple)
    assert q.data.tolist() == [1.0] and r.data.tolist() == [1.0]
    x = tg.tensor([1.0, 2.0])
    y = np.positive(x)
    y += 10  # (np.positive returned x itself)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_positive_of_a_bool_tensor_is_refused_as_numpy() -> None:
    # (it returned a bool copy; NumPy has no bool loop for positive)
    with pytest.raises(TypeError, match="positive: a bool tensor"):
        np.positive(tg.tensor([True, False]))


def test_numpy_functions_on_tensors_without_a_graph_take_their_values() -> None:
    # (as on torch tensors: nothing to drop, so np.median, np.histogram, matplotlib's calls...
    # work; they were refused)
    x = tg.tensor([3.0, 1.0, 2.0])
    assert np.median(x) == 2.0 and np.sort(x).tolist() == [1.0, 2.0, 3.0]
    assert np.convolve(x, tg.tensor([1.0, 1.0])).tolist() == [3.0, 4.0, 3.0, 2.0]
    assert np.histogram(x, bins=3, range=tg.tensor([0.0, 3.0]).tolist())[0].tolist() == [0, 1, 2]
    assert not np.iterable(tg.tensor(0.5))  # (iter() of a 0-d tensor raises at once)
    with pytest.raises(TypeError, match="np.histogram .* require grad"):
        np.histogram(tg.tensor([1.0, 2.0], requires_grad=True))
    with pytest.raises(TypeError, match="np.histogram .* require grad"):
        np.histogram(x, weights=tg.tensor([1.0, 2.0, 3.0], requires_grad=True))


def test_a_masked_weight_or_gradient_is_refused_too():
    # (linear and the gradients given to backward or grad took np.asarray: the mask was dropped)
    import tensorgrad.nn.functional as F

    m = np.ma.masked_array([[0.0, 1.0, 2.0]], mask=[[0, 1, 0]])
    x = tg.tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match="linear: weight: a masked array's mask"):
        F.linear(x, m)
    with pytest.raises(TypeError, match="backward: gradient: a masked array's mask"):
        (x[:1] * 1.0).backward(gradient=m)
    with pytest.raises(TypeError, match="grad: gradient: a masked array's mask"):
        tg.autograd.grad(x[:1] * 1.0, x, m)


def test_numpy_functions_on_tensors_cannot_write_into_them() -> None:
    # (the values-only fallback handed the tensor's own array: np.copyto wrote into a saved
    # value with no version bump, and a gradient was silently wrong)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    y = (w * c).sum()
    with pytest.raises(ValueError, match="read-only"):
        np.copyto(c, np.array([10.0, 10.0]))
    with pytest.raises(ValueError, match="read-only"):
        np.median(tg.tensor([1.0, 2.0, 3.0]), out=tg.tensor(0.0))
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 4.0])


def test_unary_plus_of_a_bool_tensor_is_refused_as_np_positive() -> None:
    b = tg.tensor([True, False])
    for plus in (lambda t: +t, np.positive):
        with pytest.raises(TypeError, match="bool tensor has no positive"):
            plus(b)
    t = tg.tensor([1.0])
    assert +t is t


def test_np_var_and_std_in_a_narrower_dtype_keep_the_deviations() -> None:
    # (the float64 data was cast to float32 first: 0.01254892 for NumPy's 0.0125; integers
    # near 1e8 gave 0.0 for a variance of 1.25)
    x = np.array([10000.1, 10000.2, 10000.3, 10000.4])
    t = tg.tensor(x, requires_grad=True)
    v = np.var(t, dtype=np.float32)
    assert v.dtype == np.float32 and v.item() == np.var(x, dtype=np.float32)
    assert np.std(t, dtype=np.float32).item() == np.std(x, dtype=np.float32)
    v.backward()
    assert t.grad.dtype == np.float64
    ints = np.array([100000001, 100000002, 100000003, 100000004])
    assert np.var(tg.tensor(ints), dtype=np.float32).item() == 1.25


def test_ufunc_reductions_take_a_float_dtype_and_accumulate_one_axis() -> None:
    m = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = np.add.reduce(m, dtype=np.float32)
    assert total.dtype == np.float32 and total.tolist() == [4.0, 6.0]
    assert np.maximum.reduce(m, axis=1, dtype=np.float32).tolist() == [2.0, 4.0]
    assert np.add.accumulate(m, axis=(1,)).tolist() == [[1.0, 3.0], [3.0, 7.0]]
    for axis in [(0, 1), ()]:
        with pytest.raises(ValueError, match="accumulate does not allow multiple axes"):
            np.add.accumulate(m, axis=axis)
    for bad in (np.int64, "foo"):
        with pytest.raises(TypeError, match="np.add.reduce on a Tensor .* dtype"):
            np.add.reduce(m, dtype=bad)
    # (graph-free Tensors: NumPy's own result and errors, as before)
    assert np.add.reduce(tg.tensor(1.5), dtype=np.float32).item() == 1.5
    halves = np.add.accumulate(tg.tensor(np.full(3000, 0.1)), dtype=np.float16)
    assert halves[-1].item() == np.add.accumulate(np.full(3000, 0.1), dtype=np.float16)[-1]
    with pytest.raises(TypeError, match="cannot accumulate on a scalar"):
        np.add.accumulate(tg.tensor(1.5), axis=())


NEW_UNARY_UFUNCS = [
    np.exp2, np.log2, np.log10, np.cbrt, np.arcsinh, np.arccosh, np.arctanh, np.deg2rad,
    np.rad2deg, np.radians, np.degrees, np.fabs, np.floor, np.ceil, np.trunc, np.rint,
]  # fmt: skip
NEW_BINARY_UFUNCS = [
    np.arctan2, np.hypot, np.logaddexp, np.logaddexp2, np.copysign, np.fmod, np.heaviside,
    np.float_power,
]  # fmt: skip


@pytest.mark.parametrize("ufunc", NEW_UNARY_UFUNCS + NEW_BINARY_UFUNCS, ids=lambda u: u.__name__)
def test_numpys_other_float_ufuncs_are_differentiable(ufunc: np.ufunc) -> None:
    # (they raised "np.log2 is not supported on tensorgrad Tensors that require grad")
    values = [0.25, 0.5, 0.75] if ufunc is np.arctanh else [1.25, 1.5, 2.75]
    x = tg.tensor(values, requires_grad=True)
    a = np.array([0.5, 2.0, 1.5])
    for args in ((x, x), (x, a), (a, x)) if ufunc.nin == 2 else ((x,),):
        got = ufunc(*args)
        want = getattr(tg, ufunc.__name__)(*args)
        assert isinstance(got, tg.Tensor) and got.requires_grad
        np.testing.assert_array_equal(got.data, ufunc(*(np.asarray(v) for v in args)))
        np.testing.assert_array_equal(got.data, want.data)
        (g,) = tg.autograd.grad(got.sum(), [x])
        assert g.shape == x.shape
    with pytest.raises(TypeError, match=f"np.{ufunc.__name__} on a Tensor does not support .*out"):
        ufunc(*(x,) * ufunc.nin, out=np.empty(3))
    # NumPy's dtype=, where it has the loop (float_power has no float32 one: refused, as there)
    try:
        want = ufunc(*(x.data,) * ufunc.nin, dtype=np.float32)
    except TypeError:
        with pytest.raises(TypeError, match=f"np.{ufunc.__name__} with dtype=float32: No loop"):
            ufunc(*(x,) * ufunc.nin, dtype=np.float32)
    else:
        got = ufunc(*(x,) * ufunc.nin, dtype=np.float32)
        assert got.dtype == want.dtype and got.requires_grad
        np.testing.assert_array_equal(got.data, want)


def test_ldexp_fix_sinc_and_i0_from_numpy() -> None:
    x = tg.tensor([1.25, -0.5, 0.0], requires_grad=True)
    got = np.ldexp(x, np.array([1, 2, 3]))
    assert isinstance(got, tg.Tensor) and got.data.tolist() == [2.5, -2.0, 0.0]
    (g,) = tg.autograd.grad(got.sum(), [x])
    assert g.data.tolist() == [2.0, 4.0, 8.0]
    # (dtype= casts x alone: the exponent stays an integer, as NumPy's loops take it; a
    # narrower dtype is refused, as NumPy refuses it)
    half = tg.tensor(np.array([1.5, 2.0], np.float16), requires_grad=True)
    got = np.ldexp(half, np.array([1, 2]), dtype=np.float32)
    assert got.dtype == np.float32 and got.data.tolist() == [3.0, 8.0]
    with pytest.raises(TypeError, match="np.ldexp with dtype=float16: No loop matching"):
        np.ldexp(x, 2, dtype=np.float16)
    # np.fix, np.sinc and np.i0 are functions, not ufuncs (NumPy 2.5 deprecates np.fix: its
    # warning is NumPy's own, for arrays as for Tensors)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "numpy.fix is deprecated", DeprecationWarning)
        for fn in (np.fix, np.sinc, np.i0):
            got = fn(x)
            assert isinstance(got, tg.Tensor) and got.requires_grad
            np.testing.assert_array_equal(got.data, fn(x.data))
        with pytest.raises(TypeError, match="np.fix on a Tensor does not support the argument"):
            np.fix(x, out=np.empty(3))
        assert np.fix(tg.tensor([2.5]), out=np.empty(1)).tolist() == [2.0]  # (graph-free)
