"""diff, ediff1d, trapezoid (tensorgrad/ops/differences.py) against NumPy itself: values,
shapes, dtypes and error kinds over sweeps of shapes (0-d and empty ones too), dtypes and
arguments; where gradients go."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensorgrad as tg
from tests.ops.agreement import agree

RNG = np.random.default_rng(0)


def _array(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    a = RNG.normal(size=shape) * 3
    if dtype is np.bool_:
        return a > 0
    return (np.abs(a) if dtype is np.uint8 else a).astype(dtype)


def _wrapped(a: np.ndarray) -> list:
    out = [a, tg.tensor(a)]
    if a.dtype.kind == "f":
        out.append(tg.tensor(a, requires_grad=True))
    return out


@pytest.mark.parametrize("shape", [(), (0,), (1,), (5,), (2, 3), (3, 0), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, np.bool_])
def test_diff_is_numpys(shape: tuple[int, ...], dtype: type) -> None:
    a = _array(shape, dtype)
    row = shape[:-1] + (1,) if shape else ()
    ends = [None, 2, 0.5, True, np.ones(row, np.float32), np.zeros(shape[:-1] + (2,), np.int64)]
    for x, n, axis, pre, app in itertools.product(
        _wrapped(a), [0, 1, 2, 5, -1], [-1, 0, 2], ends, [None, 1.5, np.ones(row)]
    ):
        kw = {k: v for k, v in (("prepend", pre), ("append", app)) if v is not None}
        agree(tg.diff, np.diff, (x, n, axis), **kw)


def test_diff_refuses_what_numpy_would_read_oddly() -> None:
    for n in (1.5, True, None):  # (NumPy's range(1.5) fails; True is n=1 there)
        with pytest.raises(TypeError, match="diff: n must be an int"):
            tg.diff(tg.zeros(3), n)
    with pytest.raises(ValueError, match="diff: order n must be non-negative, got -1"):
        tg.diff(tg.zeros(3), -1)
    with pytest.raises(ValueError, match=r"diff: a must be at least 1-D"):
        tg.diff(tg.tensor(1.0))
    with pytest.raises(ValueError, match=r"diff: shapes \[\(2, 1\), \(2, 3\)\] must match"):
        tg.diff(tg.zeros(2, 3), axis=0, prepend=np.zeros((2, 1)))


def test_diff_gradients_reach_prepend_and_append() -> None:
    x = tg.tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    p = tg.tensor(0.5, requires_grad=True)  # (a number: one entry across the other axes)
    q = tg.tensor(RNG.normal(size=(2, 1)), requires_grad=True)
    y = tg.diff(x, 2, axis=1, prepend=p, append=q)
    np.testing.assert_array_equal(y.data, np.diff(x.data, 2, axis=1, prepend=0.5, append=q.data))
    v = RNG.normal(size=y.shape)
    gx, gp, gq = tg.autograd.grad(y, [x, p, q], grad_outputs=v)
    # the second difference's adjoint: each entry gets v[i-2] - 2 v[i-1] + v[i] (in range)
    full = np.zeros((2, 5))
    full[:, :3] += v
    full[:, 1:4] -= 2 * v
    full[:, 2:] += v
    np.testing.assert_allclose(gx.data, full[:, 1:4], rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(gp.data, full[:, 0].sum(), rtol=1e-15)
    np.testing.assert_allclose(gq.data, full[:, 4:], rtol=1e-15, atol=1e-15)


def test_diff_of_bools_is_not_equal_with_no_gradient() -> None:
    x = np.array([True, True, False, True])
    np.testing.assert_array_equal(tg.diff(x).data, np.diff(x))
    assert tg.diff(x).dtype == np.bool_ and not tg.diff(x).requires_grad


@pytest.mark.parametrize("shape", [(), (0,), (1,), (4,), (2, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int8, np.uint8, np.bool_])
def test_ediff1d_is_numpys(shape: tuple[int, ...], dtype: type) -> None:
    a = _array(shape, dtype)
    extras = [None, 3, -1.5, [1, 2], np.array([[1.0, 2.0]], np.float32), np.array([], np.int64),
              np.array([True]), [300]]  # fmt: skip
    for x, to_end, to_begin in itertools.product(_wrapped(a), extras, extras):
        agree(tg.ediff1d, np.ediff1d, (x, to_end, to_begin))


def test_ediff1d_gradients() -> None:
    x = tg.tensor(RNG.normal(size=(2, 2)), requires_grad=True)
    b = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.ediff1d(x, to_begin=b, to_end=x[0, 0])
    v = np.arange(1.0, 7.0)  # (2 to_begin, 3 differences, 1 to_end)
    gx, gb = tg.autograd.grad(y, [x, b], grad_outputs=v)
    np.testing.assert_array_equal(gb.data, [1.0, 2.0])
    np.testing.assert_array_equal(gx.data.reshape(-1), [-3.0 + 6.0, 3.0 - 4.0, 4.0 - 5.0, 5.0])


@pytest.mark.parametrize("shape", [(), (0,), (1,), (5,), (2, 3), (3, 0), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.bool_])
def test_trapezoid_is_numpys(shape: tuple[int, ...], dtype: type) -> None:
    y = _array(shape, dtype)
    for axis in (-1, 0, 1, 3):
        n = shape[axis] if shape and -len(shape) <= axis < len(shape) else 1
        xs = [None, _array((n,)), _array(shape, np.float32), _array((n + 1,)), [0, 1, 3, 7, 8][:n]]
        for t, x, dx in itertools.product(_wrapped(y), xs, [1.0, 0.5, 2, np.float32(0.25),
                                                           np.array(3.0), _array(())]):  # fmt: skip
            agree(tg.trapezoid, np.trapezoid, (t, x, dx, axis))


def test_trapezoid_is_differentiable_in_y_x_and_dx() -> None:
    y = tg.tensor(RNG.normal(size=(2, 4)), requires_grad=True)
    x = tg.tensor(np.sort(RNG.normal(size=4)), requires_grad=True)
    dx = tg.tensor(0.5, requires_grad=True)
    area = tg.trapezoid(y, x)
    gy, gx = tg.autograd.grad(area, [y, x], grad_outputs=np.array([1.0, -2.0]))
    d = np.diff(x.data)
    weights = np.zeros(4)
    weights[:-1] += d / 2
    weights[1:] += d / 2
    np.testing.assert_allclose(gy.data, np.outer([1.0, -2.0], weights), rtol=1e-15)
    s = np.array([1.0, -2.0]) @ y.data  # d/dx_i of sum (x_{i+1} - x_i)(y_i + y_{i+1}) / 2
    want = np.zeros(4)
    want[:-1] -= (s[:-1] + s[1:]) / 2
    want[1:] += (s[:-1] + s[1:]) / 2
    np.testing.assert_allclose(gx.data, want, rtol=1e-14)
    (gdx,) = tg.autograd.grad(tg.trapezoid(y, dx=dx).sum(), [dx])
    np.testing.assert_allclose(gdx.data, np.trapezoid(y.data).sum(), rtol=1e-14)


def test_trapezoid_keeps_float32_and_names_itself() -> None:
    y = tg.tensor(np.ones(3, np.float32), requires_grad=True)
    assert tg.trapezoid(y).dtype == np.float32 == tg.trapezoid(y, dx=0.5).dtype
    with pytest.raises(np.exceptions.AxisError, match="trapezoid"):  # (NumPy: IndexError)
        tg.trapezoid(tg.tensor(1.0))
    with pytest.raises(ValueError, match=r"trapezoid: shapes \(3, 1\), \(2, 2\) cannot"):
        tg.trapezoid(np.zeros((3, 2)), x=np.zeros(4), axis=0)
    with pytest.raises(TypeError, match="trapezoid: dx"):
        tg.trapezoid(y, dx=None)
