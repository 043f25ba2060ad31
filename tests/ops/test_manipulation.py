"""NumPy's array-manipulation functions (tensorgrad/ops/manipulation.py) against NumPy itself:
values, shapes, dtypes and error kinds over sweeps of shapes (0-d and empty ones too), dtypes
and arguments; views where NumPy's are; where gradients go; np.<name> on Tensors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensorgrad as tg
from tests.ops.agreement import agree, numpy_insert

RNG = np.random.default_rng(0)
SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (3, 1, 4)]
DTYPES = [np.float64, np.float32, np.int64, np.uint8, np.bool_]


def _array(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    a = RNG.normal(size=shape) * 3
    return (
        (a > 0)
        if dtype is np.bool_
        else np.abs(a).astype(dtype)
        if dtype is np.uint8
        else a.astype(dtype)
    )


def _wrapped(a: np.ndarray) -> list:
    """The same data as an ndarray, a Tensor, and a Tensor that requires grad (floats)."""
    out = [a, tg.tensor(a)]
    if a.dtype.kind == "f":
        out.append(tg.tensor(a, requires_grad=True))
    return out


def _cotangent(out: tg.Tensor) -> np.ndarray:
    return RNG.normal(size=out.shape).astype(out.dtype)


# ----------------------------------------------------------------------------- roll


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_roll_is_numpys(shape: tuple[int, ...], dtype: type) -> None:
    a = _array(shape, dtype)
    shifts = [0, 1, -7, 12, (1, 2), [3], (), (-1, 5, 2)]
    axes = [None, 0, -1, 1, 2, (0, -1), (0, 0), (), (1, 0, 1), 5]
    for x, shift, axis in itertools.product(_wrapped(a), shifts, axes):
        agree(tg.roll, np.roll, (x, shift, axis))


def test_roll_gradient_is_the_roll_back() -> None:
    x = tg.tensor(RNG.normal(size=(3, 4, 2)), requires_grad=True)
    for shift, axis in [(5, None), ((1, -2), (0, 1)), ([2, 3], 1), (7, (2, 2, 0))]:
        y = tg.roll(x, shift, axis)
        v = _cotangent(y)
        (g,) = tg.autograd.grad(y, [x], grad_outputs=v)
        back = np.roll(v, tuple(-s for s in np.atleast_1d(shift)), axis) if axis is not None else (
            np.roll(v, -int(np.sum(shift))))  # fmt: skip
        np.testing.assert_array_equal(g.data, back)
        assert type(y.grad_fn).__name__ == "Roll"  # (one op, not slices and a concatenation)


def test_roll_refuses_what_numpy_truncates_and_mismatched_shifts() -> None:
    x = tg.zeros(2, 3)
    for shift in (1.5, True, [1.0], "a"):  # (NumPy rolls by int(1.5) and by True as 1)
        with pytest.raises(TypeError, match="roll: shift must be an int"):
            tg.roll(x, shift)
    with pytest.raises(ValueError, match="roll: 2 shifts do not match 3 axes"):
        tg.roll(x, (1, 2), axis=(0, 1, 1))
    with pytest.raises(ValueError, match=r"roll: shift must be an int or a 1-D sequence"):
        tg.roll(x, [[1]], axis=0)
    with pytest.raises(np.exceptions.AxisError, match="roll"):
        tg.roll(x, 1, axis=2)
    with pytest.raises(TypeError, match="roll: axis must be an int"):
        tg.roll(x, 1, axis=1.0)


# ----------------------------------------------------------------------------- rot90


@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (0, 3), (2, 3, 4), (2, 0, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_])
def test_rot90_is_numpys(shape: tuple[int, ...], dtype: type) -> None:
    a = _array(shape, dtype)
    pairs = list(itertools.product(range(-4, 4), repeat=2)) + [(0, 1, 2), (0,)]
    for x, k, axes in itertools.product(_wrapped(a)[1:], range(-5, 6), pairs):
        agree(tg.rot90, np.rot90, (x, k, axes))


def test_rot90_is_a_view_and_its_gradient_rotates_back() -> None:
    x = tg.tensor(RNG.normal(size=(2, 3, 4)), requires_grad=True)
    for k, axes in [(1, (0, 1)), (2, (2, 0)), (3, (1, 2)), (0, (0, 2)), (-1, (2, 1))]:
        y = tg.rot90(x, k, axes)
        assert np.shares_memory(y.data, x.data)  # (as NumPy's: flips and a transpose)
        v = _cotangent(y)
        (g,) = tg.autograd.grad(y, [x], grad_outputs=v)
        np.testing.assert_array_equal(g.data, np.rot90(v, -k, axes))


def test_rot90_errors_are_numpys_kinds() -> None:
    x = tg.zeros(2, 3)
    for axes, pattern in [((0, 0), "different"), ((0, -2), "different"), ((0, 1, 2), "two axes"),
                          ((0, 2), "out of range")]:  # fmt: skip
        with pytest.raises(ValueError, match=f"rot90: .*{pattern}"):
            tg.rot90(x, 1, axes)
    for k in (1.5, True, None):  # (NumPy rotates 1.5 times as 3: 1.5 % 4 is no 0, 1 or 2)
        with pytest.raises(TypeError, match="rot90: k must be an int"):
            tg.rot90(x, k)
    with pytest.raises(TypeError, match="rot90: axes must be an int"):
        tg.rot90(x, 1, (0.0, 1))


# ----------------------------------------------------------------------------- stacks

STACK_CASES = [
    [(3,), (2,)],
    [(), (2,), ()],
    [(2, 3), (2, 1)],
    [(2, 3), (4, 3)],
    [(3,), (2, 3)],
    [(1, 3), (3,)],
    [(2, 3, 4), (2, 3, 1)],
    [(2, 3), (2, 3)],
    [(0,), (3,)],
    [(2, 0), (2, 3)],
    [(3,), (3,), (3, 1)],
    [(2,), (2, 2)],
    [(2, 3, 4), (2, 1, 4)],
    [(2, 2, 1), (2, 2)],
    [(1, 2, 1), (2,)],
    [(4,)],
    [],
]


@pytest.mark.parametrize("shapes", STACK_CASES, ids=str)
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
def test_stacks_are_numpys(shapes: list, name: str) -> None:
    for dtypes in [
        (np.float64,) * 3,
        (np.float32, np.float64, np.int64),
        (np.int64, np.bool_, np.uint8),
    ]:
        arrays = [_array(s, d) for s, d in zip(shapes, dtypes)]
        for wrap in (lambda a: a, tg.tensor, lambda a: a.tolist()):
            xs = [wrap(a) for a in arrays]
            agree(getattr(tg, name), getattr(np, name), (xs,))
            agree(lambda xs: getattr(tg, name)(iter(xs)), getattr(np, name), (xs,))


@pytest.mark.parametrize("name", ["hstack", "vstack"])
def test_hstack_vstack_take_dtype_and_casting(name: str) -> None:
    arrays = [np.arange(3), np.ones(3) * 0.5]
    xs = [tg.tensor(a) for a in arrays]
    for dtype, casting in itertools.product([None, np.float32, np.int64, "float64", "nope"],
                                            ["same_kind", "unsafe", "no", "bogus"]):  # fmt: skip
        agree(getattr(tg, name), getattr(np, name), (xs,), dtype=dtype, casting=casting)


def test_stack_errors_name_the_function() -> None:
    with pytest.raises(ValueError, match=r"hstack: shapes \[\(2, 3\), \(3, 3\)\] must match"):
        tg.hstack([tg.zeros(2, 3), tg.zeros(3, 3)])
    with pytest.raises(ValueError, match="vstack: need at least one tensor"):
        tg.vstack([])
    with pytest.raises(TypeError, match="dstack: tensors must be an iterable"):
        tg.dstack(tg.tensor(1.0))
    with pytest.raises(TypeError, match="column_stack: argument 1 holds dtype <U1"):
        tg.column_stack([np.zeros(2), np.array(["a", "b"])])


def test_stack_gradients_split_back() -> None:
    a = tg.tensor(RNG.normal(size=3), requires_grad=True)
    b = tg.tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    y = tg.column_stack([a, b])
    v = _cotangent(y)
    ga, gb = tg.autograd.grad(y, [a, b], grad_outputs=v)
    np.testing.assert_array_equal(ga.data, v[:, 0])
    np.testing.assert_array_equal(gb.data, v[:, 1:])
    y = tg.dstack([a, a])
    (ga,) = tg.autograd.grad(y, [a], grad_outputs=np.ones(y.shape))
    np.testing.assert_array_equal(ga.data, [2.0] * 3)


def test_np_row_stack_comes_to_vstack() -> None:
    # (np.row_stack still exists in NumPy 2.4, deprecated: it calls np.vstack, which dispatches;
    # tensorgrad has no row_stack of its own; NumPy 2.5 removed it)
    assert not hasattr(tg, "row_stack")
    if not hasattr(np, "row_stack"):
        pytest.skip("NumPy 2.5 removed np.row_stack")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(DeprecationWarning):
        y = np.row_stack([x, x * 2])
    assert isinstance(y, tg.Tensor) and y.shape == (2, 2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


# ----------------------------------------------------------------------------- at least n-d


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
def test_atleast_is_numpys(name: str) -> None:
    shapes = [(), (0,), (3,), (2, 3), (0, 2), (2, 3, 4), (1, 2, 3, 4)]
    for shape, dtype in itertools.product(shapes, DTYPES):
        a = _array(shape, dtype)
        for x in _wrapped(a) + [a.tolist()]:  # (0-d: a Python number)
            agree(getattr(tg, name), getattr(np, name), (x,))
    many = [_array(s) for s in shapes]
    agree(getattr(tg, name), getattr(np, name), tuple(many))
    agree(getattr(tg, name), getattr(np, name), ())  # ()


def test_atleast_gives_views_and_the_tensor_itself() -> None:
    x = tg.tensor(RNG.normal(size=(2, 3, 4)), requires_grad=True)
    assert tg.atleast_1d(x) is x and tg.atleast_3d(x) is x  # (as NumPy returns the array)
    a = np.arange(3.0)
    for out in (tg.atleast_2d(a), tg.atleast_3d(a)):
        assert np.shares_memory(out.data, a)
    v = tg.tensor(RNG.normal(size=3), requires_grad=True)
    y = tg.atleast_3d(v)
    assert y.shape == (1, 3, 1)
    (g,) = tg.autograd.grad(y, [v], grad_outputs=np.arange(3.0).reshape(1, 3, 1))
    np.testing.assert_array_equal(g.data, [0.0, 1.0, 2.0])


# ----------------------------------------------------------------------------- broadcast, grids


@pytest.mark.parametrize(
    "shapes",
    [
        [],
        [(3,)],
        [(2, 1), (3,)],
        [(), (2, 3)],
        [(0, 1), (1, 4)],
        [(2, 3), (3, 2)],
        [(1, 2, 1), (3, 1, 1), (1, 4)],
        [(2,), (2,)],
    ],  # fmt: skip
    ids=str,
)
def test_broadcast_arrays_is_numpys(shapes: list) -> None:
    arrays = [_array(s, d) for s, d in zip(shapes, [np.float64, np.int64, np.bool_])]
    for wrap in (lambda a: a, tg.tensor):
        xs = [wrap(a) for a in arrays]
        agree(tg.broadcast_arrays, np.broadcast_arrays, tuple(xs))


def test_broadcast_arrays_views_and_gradients() -> None:
    a = tg.tensor(RNG.normal(size=(2, 1)), requires_grad=True)
    b = tg.tensor(RNG.normal(size=(3,)), requires_grad=True)
    p, q = tg.broadcast_arrays(a, b)
    assert np.shares_memory(p.data, a.data) and np.shares_memory(q.data, b.data)
    ga, gb = tg.autograd.grad(p * 2.0 + q, [a, b], grad_outputs=np.ones((2, 3)))
    np.testing.assert_array_equal(ga.data, [[6.0], [6.0]])
    np.testing.assert_array_equal(gb.data, [2.0, 2.0, 2.0])
    c = tg.tensor(np.zeros((2, 3)))
    assert tg.broadcast_arrays(c, b)[0] is c  # (already of the common shape: itself, as NumPy)
    with pytest.raises(ValueError, match=r"broadcast_arrays: shapes \(2, 1\), \(3, 2\) cannot"):
        tg.broadcast_arrays(a, tg.zeros(3, 2))
    # (past 32 dimensions, as broadcast_to; NumPy 2.4's broadcast_arrays raises RuntimeError)
    big = tg.broadcast_arrays(np.zeros((1,) * 33), b)
    assert [t.shape for t in big] == [(1,) * 32 + (3,)] * 2


def _meshgrid(*xi: np.ndarray, **kwargs: object) -> tuple:
    """NumPy's meshgrid as a tuple, as documented (its sparse=True, copy=False path returns a
    list; tensorgrad's is a tuple there too)."""
    return tuple(np.meshgrid(*xi, **kwargs))


@pytest.mark.parametrize(
    "shapes",
    [
        [],
        [(3,)],
        [(2,), (3,)],
        [(2,), (3,), (4,)],
        [(), (3,)],
        [(2, 2), (3,)],
        [(0,), (2,)],
        [(2,), (0,), (1,)],
        [(4,), (3,), (2,), (1,)],
    ],  # fmt: skip
    ids=str,
)
def test_meshgrid_is_numpys(shapes: list) -> None:
    arrays = [_array(s, d) for s, d in zip(shapes, [np.float64, np.int64, np.float32, np.bool_])]
    for wrap, indexing, sparse, copy in itertools.product(
        (lambda a: a, tg.tensor), ("xy", "ij", "yx"), (False, True), (True, False)
    ):
        xs = [wrap(a) for a in arrays]
        agree(tg.meshgrid, _meshgrid, tuple(xs), indexing=indexing, sparse=sparse, copy=copy)


def test_meshgrid_copies_unless_told_and_its_gradients_sum() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0, 5.0], requires_grad=True)
    gx, gy = tg.meshgrid(x, y)
    assert not np.shares_memory(gx.data, x.data)
    assert np.shares_memory(tg.meshgrid(x, y, copy=False)[0].data, x.data)
    assert gx.shape == gy.shape == (3, 2)
    ga, gb = tg.autograd.grad(gx * gy, [x, y], grad_outputs=np.ones((3, 2)))
    np.testing.assert_array_equal(ga.data, [12.0, 12.0])  # sum of y for each x
    np.testing.assert_array_equal(gb.data, [3.0, 3.0, 3.0])


# ----------------------------------------------------------------------------- splits


@pytest.mark.parametrize("shape", [(7,), (0,), (2, 6), (3, 4, 6), (2, 2, 0), ()])
def test_splits_are_numpys(shape: tuple[int, ...]) -> None:
    a = _array(shape)
    hows = [1, 2, 3, 5, 0, -1, [2], [2, 1, 9], [], [0, 0], np.array([1, 3]), 2.0]
    for x, how in itertools.product(_wrapped(a), hows):
        for axis in (0, 1, -1, 3):
            agree(tg.array_split, np.array_split, (x, how, axis))
        for name in ("hsplit", "vsplit", "dsplit"):
            agree(getattr(tg, name), getattr(np, name), (x, how))


def test_split_errors_name_the_function() -> None:
    with pytest.raises(ValueError, match="array_split: axis 0 of length 3 cannot be split into 0"):
        tg.array_split(tg.zeros(3), 0)
    with pytest.raises(ValueError, match="hsplit: axis 1 of length 3 cannot be split into 2 equal"):
        tg.hsplit(tg.zeros(2, 3), 2)
    with pytest.raises(ValueError, match=r"hsplit: ary must have at least 1 dimension, got shape"):
        tg.hsplit(tg.tensor(1.0), 1)
    with pytest.raises(ValueError, match="vsplit: ary must have at least 2 dimensions"):
        tg.vsplit(tg.zeros(4), 2)
    with pytest.raises(ValueError, match="dsplit: ary must have at least 3 dimensions"):
        tg.dsplit(tg.zeros(2, 2), 2)
    # (NumPy's array_split takes int(2.5) = 2 sections; refused here, as split refuses it)
    with pytest.raises(ValueError, match="array_split: a number of sections must be whole"):
        tg.array_split(tg.zeros(4), 2.5)


def test_array_split_pieces_are_views_with_their_own_gradients() -> None:
    x = tg.tensor(RNG.normal(size=7), requires_grad=True)
    pieces = tg.array_split(x, 3)
    assert [p.shape for p in pieces] == [(3,), (2,), (2,)]
    assert all(np.shares_memory(p.data, x.data) for p in pieces)
    (g,) = tg.autograd.grad(pieces[1] * 2.0 + pieces[2].sum(), [x], grad_outputs=np.ones(2))
    np.testing.assert_array_equal(g.data, [0, 0, 0, 2, 2, 2, 2])


# ----------------------------------------------------------------------------- append, insert


def test_append_is_numpys() -> None:
    shapes = [(), (0,), (3,), (2, 3), (2, 1), (1, 3), (2, 0)]
    for s1, s2, axis in itertools.product(shapes, shapes, [None, 0, 1, -1, 2]):
        a, b = _array(s1), _array(s2, np.int64)
        for x in _wrapped(a):
            agree(tg.append, np.append, (x, b, axis))


INSERT_OBJS = [0, 1, -1, 3, -3, 4, -4, [1], [2, 1], [1, 1], [0, 3, 3], [], slice(0, 2),
               slice(None, None, -1), slice(5, 5), np.array([True, False, True]),
               np.array([1], np.uint8), np.array(2), 1.5, [1.5], np.array([[1]])]  # fmt: skip
INSERT_VALUES = [7, 7.5, [7, 8], [[7], [8]], [[7, 8, 9]], np.arange(6.0).reshape(2, 3), []]


@pytest.mark.parametrize("shape", [(3,), (2, 3), (0,), (), (2, 0)])
def test_insert_is_numpys(shape: tuple[int, ...]) -> None:
    for dtype in (np.float64, np.int64):
        a = _array(shape, dtype)
        for x, obj, values, axis in itertools.product(
            _wrapped(a), INSERT_OBJS, INSERT_VALUES, [None, 0, 1, -1, 2]
        ):
            agree(tg.insert, numpy_insert, (x, obj, values, axis))


def test_insert_refuses_indices_numpy_wraps() -> None:
    # (NumPy refuses -4 in a length-3 axis as one index, but wraps it inside a sequence)
    with pytest.raises(
        IndexError, match="insert: index -4 is out of bounds for axis 0 with size 3"
    ):
        tg.insert(np.arange(3), [-4, 0], 9)
    with pytest.raises(IndexError, match="insert: index 5 is out of bounds"):
        tg.insert(np.arange(3), 5, 9)
    with pytest.raises(ValueError, match=r"insert: values of shape \(2, 2\) cannot be broadcast"):
        tg.insert(np.arange(3), 1, [[1, 2], [3, 4]])


def test_insert_gradients_reach_arr_and_values() -> None:
    x = tg.tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    v = tg.tensor(RNG.normal(size=(2, 2)), requires_grad=True)
    for obj in ([2, 0], 1):
        vals = v if isinstance(obj, list) else v.T  # (an int obj: values' first axis is the run)
        y = tg.insert(x, obj, vals, axis=1)
        want = np.insert(x.data, obj, vals.data, axis=1)
        np.testing.assert_array_equal(y.data, want)
        w = _cotangent(y)
        gx, gv = tg.autograd.grad(y, [x, v], grad_outputs=w)
        # each entry's gradient is the cotangent where it went: the positions insert gives it
        slots = np.insert(np.zeros((2, 3)), obj, np.arange(1, 5).reshape(vals.shape), axis=1)
        np.testing.assert_array_equal(gx.data, w[slots == 0].reshape(2, 3))
        order = slots[slots > 0].astype(int) - 1
        got = np.empty(4)
        got[order] = w[slots > 0]
        np.testing.assert_array_equal(gv.data if isinstance(obj, list) else gv.data.T,
                                      got.reshape(vals.shape))  # fmt: skip


@pytest.mark.parametrize("shape", [(3,), (2, 3), (0,), (), (2, 0)])
def test_delete_is_numpys(shape: tuple[int, ...]) -> None:
    objs = [0, 1, -1, 3, -4, [0, 0, -1], [1], [], [[0, 1]], slice(None, None, -2), slice(1, 9),
            slice(5, 1), [True, False, True], [True, False], True, np.array(1, np.uint8), 1.5,
            [1.5], np.array([], dtype=float)]  # fmt: skip
    a = _array(shape)
    for x, obj, axis in itertools.product(_wrapped(a), objs, [None, 0, 1, -1, 2]):
        agree(tg.delete, np.delete, (x, obj, axis))


def test_delete_gradient_goes_to_the_kept_entries() -> None:
    x = tg.tensor(RNG.normal(size=(2, 4)), requires_grad=True)
    y = tg.delete(x, [0, 2], axis=1)
    (g,) = tg.autograd.grad(y, [x], grad_outputs=np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(g.data, [[0, 1, 0, 2], [0, 3, 0, 4]])


# ----------------------------------------------------------------------------- np.put_along_axis


def test_np_put_along_axis_writes_into_a_tensor_as_setitem() -> None:
    # (tensorgrad has in-place indexing, t[idx] = v: np.put_along_axis on a Tensor is that
    # write, with NumPy's index; no out-of-place tg.put_along_axis, which NumPy does not have)
    a = RNG.normal(size=(2, 3))
    ind = np.array([[0, 0], [2, 1]])
    for axis, index in [(1, ind), (0, np.array([[1, 0, 1]])), (None, np.array([0, 4, -1]))]:
        want = a.copy()
        np.put_along_axis(want, index, 9.0, axis)
        t = tg.tensor(a)
        assert np.put_along_axis(t, index, 9.0, axis) is None
        np.testing.assert_array_equal(t.data, want)
    x = tg.tensor(a, requires_grad=True)
    v = tg.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    y = x * 1.0
    np.put_along_axis(y, ind, v, axis=1)  # (a repeated index: NumPy keeps the last write)
    want = a.copy()
    np.put_along_axis(want, ind, v.data, axis=1)
    np.testing.assert_array_equal(y.data, want)
    gx, gv = tg.autograd.grad(y, [x, v], grad_outputs=np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(gx.data, [[0, 1, 2], [3, 0, 0]])
    np.testing.assert_array_equal(gv.data, [[0, 0], [5, 4]])
    with pytest.raises(RuntimeError, match="leaf tensor .* in-place"):
        np.put_along_axis(x, ind, 0.0, axis=1)
    with pytest.raises(ValueError, match="put_along_axis: indices of shape"):
        np.put_along_axis(tg.tensor(a), np.array([0]), 0.0, axis=1)


# ----------------------------------------------------------------------------- np.<name>


@pytest.mark.parametrize(
    "call",
    [
        lambda x: np.roll(x, 2, axis=0),
        lambda x: np.rot90(x),
        lambda x: np.hstack([x, x]),
        lambda x: np.vstack([x, x]),
        lambda x: np.dstack([x, x]),
        lambda x: np.column_stack([x, x]),
        lambda x: np.atleast_3d(x),
        lambda x: np.broadcast_arrays(x, x[:1])[1],
        lambda x: np.meshgrid(x[0], x[1])[0],
        lambda x: np.array_split(x, 2, axis=1)[1],
        lambda x: np.hsplit(x, [1])[0],
        lambda x: np.vsplit(x, 2)[0],
        lambda x: np.dsplit(np.atleast_3d(x), 1)[0],
        lambda x: np.append(x, x[0]),
        lambda x: np.insert(x, 1, x[0], axis=0),
        lambda x: np.delete(x, [0], axis=1),
    ],
)
def test_numpy_functions_on_tensors_stay_in_the_graph(call) -> None:
    x = tg.tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    y = call(x)
    assert isinstance(y, tg.Tensor) and y.requires_grad
    want = call(x.data)
    np.testing.assert_array_equal(y.data, want)
    (g,) = tg.autograd.grad(y, [x], grad_outputs=np.ones(y.shape))
    assert g.shape == x.shape
