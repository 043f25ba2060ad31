"""Argument checks of the indexing ops (tensorgrad/ops/indexing.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


def test_take_refuses_bool_indices() -> None:
    # a bool index would act as a mask in the getitem take is built on
    x = np.zeros((1, 1), dtype=np.uint8)
    for indices in (True, np.array([True, False])):
        with pytest.raises(IndexError, match="take: indices must be integers"):
            tg.take(x, indices, axis=1)


def test_take_refuses_a_none_axis_given_as_a_tuple() -> None:
    with pytest.raises(TypeError, match="take: axis must be an int"):
        tg.take(np.zeros(3), [0], axis=(0,))


def test_backward_of_an_integer_array_index_past_32_dimensions() -> None:
    # np.add.at segfaults past 32 dimensions: the scatter adds at flat positions there
    for ndim in (33, 64):
        x = tg.tensor(np.arange(2.0).reshape((1,) * (ndim - 1) + (2,)), requires_grad=True)
        (x[..., [1, 1, 0]] * tg.tensor([0.0, 1.0, 2.0])).sum().backward()
        np.testing.assert_array_equal(x.grad.data.ravel(), [2.0, 1.0])
        x.grad = None
        tg.repeat(x, 3, axis=-1).sum().backward()
        np.testing.assert_array_equal(x.grad.data.ravel(), [3.0, 3.0])


def test_take_from_an_empty_leading_block_checks_no_index_as_numpy() -> None:
    x = np.zeros((0, 0))
    assert tg.take(x, 0, axis=1).shape == np.take(x, 0, axis=1).shape == (0,)
    assert tg.take(np.zeros((0, 3)), [5, 6], axis=1).shape == (0, 2)
    with pytest.raises(IndexError):
        tg.take(np.zeros((2, 0, 3)), 5, axis=1)  # NumPy refuses this one


def test_index_errors_name_getitem_or_setitem() -> None:
    t = tg.zeros(3)
    with pytest.raises(IndexError, match=r"^getitem: only integers"):
        t[1.0]
    with pytest.raises(IndexError, match=r"^setitem: only integers"):
        t[1.0] = 2.0
    with pytest.raises(IndexError, match=r"^setitem: index 5 is out of bounds"):
        t[[0, 5]] = 1.0
    np.testing.assert_array_equal(t.data, np.zeros(3))  # nothing half-written


def test_take_with_a_scalar_index_copies_as_numpy():
    # (a 0-d index became basic indexing: the result was a view, and a write reached t)
    t = tg.tensor(np.arange(6.0).reshape(2, 3))
    s = tg.take(t, 1)
    s[...] = 100.0
    r = tg.take(t, np.int64(1), axis=0)
    r[0] = -5.0
    np.testing.assert_array_equal(t.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(tg.take(t, -1, axis=-1).data, np.take(t.data, -1, axis=-1))
    y = tg.tensor(np.arange(6.0), requires_grad=True)
    (g,) = tg.autograd.grad(tg.take(y * 1.0, 2), [y])
    np.testing.assert_array_equal(g.data, [0, 0, 1, 0, 0, 0])


def test_take_out_of_bounds_names_take_and_the_shape():
    t = tg.tensor(np.ones((2, 3, 4)))
    with pytest.raises(IndexError, match=r"^take: index 100 .* size 24 \(shape \(2, 3, 4\)\)"):
        tg.take(t, 100)
    with pytest.raises(IndexError, match=r"^take: index 5 .*along axis 1 with size 3"):
        tg.take(t, [0, 5], axis=1)


def test_sequences_and_integer_like_objects_index_as_numpy() -> None:
    # (only lists became arrays: tuples, ranges and __index__ objects were refused)
    a = np.arange(6.0).reshape(2, 3)
    t = tg.tensor(a)

    class One:
        def __index__(self):
            return 1

    for index in [((0, 1), (1, 2)), ((0, 1),), range(2), One()]:
        np.testing.assert_array_equal(t[index].data, a[index])
    t[((0, 1), (1, 2))] = 9.0
    a[((0, 1), (1, 2))] = 9.0
    np.testing.assert_array_equal(t.data, a)
    # an empty list of indices takes nothing (np.asarray([]) is float64)
    assert tg.take(tg.arange(3.0), []).shape == (0,)
    assert np.take(tg.arange(3.0), []).shape == (0,)


def test_a_list_holding_tensors_that_require_grad_is_refused_not_cut() -> None:
    # (it became an array through __array__: the values were written, the graph lost)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    t = tg.zeros(3, requires_grad=True) * 1.0
    with pytest.raises(TypeError, match="setitem: value is a list holding Tensors that require"):
        t[0:2] = [x[0] * 3, x[1] * 5]
    with pytest.raises(TypeError, match="add: argument 1 is a list holding Tensors"):
        x + [x[0] * 3, x[1] * 5]
    np.testing.assert_array_equal((x + [tg.tensor(1.0), 2.0]).data, [2.0, 4.0])  # (constants)
    # (getitem and flip read such a list through np.asarray, past the check the others make)
    with pytest.raises(TypeError, match="getitem: x is a list holding Tensors"):
        tg.getitem([x[0] * 3, x[1] * 5], 0)
    with pytest.raises(TypeError, match="flip: x is a list holding Tensors"):
        tg.flip([x[0] * 3, x[1] * 5])
    np.testing.assert_array_equal(tg.flip([tg.tensor(1.0), 2.0]).data, [2.0, 1.0])


def test_getitem_of_a_python_number_indexes_its_array() -> None:
    # (found by the random hypothesis profile: a float has no [], NumPy's asarray(0.0)[None] works)
    np.testing.assert_array_equal(tg.getitem(0.0, None).data, [0.0])


def test_a_slice_step_of_zero_names_getitem() -> None:
    # (was NumPy's bare "slice step cannot be zero")
    with pytest.raises(ValueError, match=r"getitem: slice step cannot be zero.*\(2, 3\)"):
        tg.ones((2, 3), requires_grad=True)[0:1:0]


@pytest.mark.parametrize(
    ("dtype", "value"),
    [(np.int8, [7, 1000, 7]), (np.int8, 1000), (np.int64, float("inf")), (np.int64, [1.0, np.nan])],
)
def test_a_value_an_integer_tensor_cannot_hold_changes_nothing(dtype, value) -> None:
    # (NumPy wrote [7] before it met 1000, with no version bump: a graph that saved the tensor
    # then gave a wrong gradient instead of the in-place error; a bare OverflowError)
    x = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    k = tg.tensor(np.array([5, 5, 5], dtype=dtype))
    y = (x * k).sum()
    with pytest.raises(ValueError, match=r"^setitem: .* \(tensor of shape \(3,\)\)"):
        k[: np.size(value)] = value
    assert k.data.tolist() == [5, 5, 5] and k.version == 0
    y.backward()
    assert x.grad.data.tolist() == [5.0, 5.0, 5.0]


def test_an_integer_tensor_takes_an_array_as_numpy_does() -> None:
    k = tg.tensor(np.zeros(3, np.int8))
    k[:] = np.array([1, 1000, 2])  # (an array is cast, wrapping, as NumPy's write)
    want = np.zeros(3, np.int8)
    want[:] = np.array([1, 1000, 2])
    assert k.data.tolist() == want.tolist()


@pytest.mark.parametrize(
    ("dtype", "value"),
    [(np.int8, np.int64(1000)), (np.int64, np.float64("nan")), (np.int64, np.float64(1e20))],
)
def test_a_numpy_scalar_an_integer_tensor_cannot_hold_is_refused_as_numpy(dtype, value) -> None:
    # (816c7ff cast it unchecked: -24, or the integer minimum, was written)
    k = tg.tensor(np.array([5, 5, 5], dtype=dtype))
    with pytest.raises(ValueError, match="^setitem: "):
        k[0] = value
    assert k.data.tolist() == [5, 5, 5] and k.version == 0


def test_a_nested_list_too_deep_for_the_target_is_refused_as_numpy() -> None:
    for dtype in (np.int64, np.float64):
        k = tg.tensor(np.array([5, 5, 5], dtype=dtype))
        with pytest.raises(ValueError, match="setting an array element with a sequence"):
            k[:] = [[1, 2, 3]]
        assert k.data.tolist() == [5, 5, 5]


def test_a_list_into_an_integer_tensor_keeps_numpys_shape_rules() -> None:
    # (ae984da's scratch region refused lists deeper than the region, which NumPy broadcasts
    # under an advanced index)
    base = np.arange(6, dtype=np.int64).reshape(2, 3)
    for index, value in ((([0, 1],), [[[1, 2, 3]]]), ((0, [0, 0, 2]), [[1, 2, 3]])):
        t = tg.tensor(base.copy())
        t[index] = value
        want = base.copy()
        want[index] = value
        assert t.data.tolist() == want.tolist()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("tail", [(16,), (3, 400)])
def test_rows_summed_is_np_add_at_bit_for_bit(dtype, tail) -> None:
    # (the adjoint of x[idx] and embedding's add at flat positions past 1,024 entries: the same
    # additions in the same order as add.at's row by row, repeats, signed zeros and all)
    from tensorgrad.ops.indexing import rows_summed

    rng = np.random.default_rng(0)
    for index in (rng.integers(-50, 50, 900), rng.integers(0, 50, 900).astype(np.uint16)):
        rows = rng.standard_normal((900, *tail)).astype(dtype)
        rows[rng.random(rows.shape) < 0.05] = -0.0
        expected = np.zeros((50, *tail), dtype)
        np.add.at(expected, index, rows)
        got = rows_summed(index, rows, 50)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize(
    "lead", [(slice(None),), (slice(1, None),), (slice(None, None, 2),), (slice(None), 0)]
)
def test_gradient_of_picks_along_an_axis_after_slices(lead: tuple) -> None:
    """x[..., idx] with as many picks as the axis has entries: the scatter along the moved axis
    (full slices only before the index; others, and ints, keep np.add.at), np.add.at's sums."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((4, 3, 5)), requires_grad=True)
    idx = np.array([4, 0, 4, 1, 2, 2, 0])
    index = lead + (idx,) if len(lead) == 2 else lead + (slice(None), idx)
    y = x[index]
    g = rng.standard_normal(y.shape)
    (gx,) = tg.autograd.grad(y, [x], grad_outputs=tg.tensor(g))
    want = np.zeros(x.shape)
    np.add.at(want, index, g)
    np.testing.assert_array_equal(gx.data, want)
    assert gx.data.flags.c_contiguous


def test_take_along_axis_is_numpys_and_adds_gradients_back() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4, 5))
    for axis in (0, 1, -1):
        shape = [1, 4, 5] if axis == 0 else [3, 1, 5] if axis == 1 else [3, 4, 1]
        shape[axis] = 6  # (more picks than the axis has: repeats)
        ind = rng.integers(-a.shape[axis], a.shape[axis], size=shape)
        x = tg.tensor(a, requires_grad=True)
        out = tg.take_along_axis(x, ind, axis)
        np.testing.assert_array_equal(out.data, np.take_along_axis(a, ind, axis))
        w = rng.normal(size=out.shape)
        (out * w).sum().backward()
        want = np.zeros_like(a)
        full = np.broadcast_to(ind, out.shape) % a.shape[axis]
        grid = list(np.indices(out.shape))
        grid[axis % 3] = full
        np.add.at(want, tuple(grid), w)
        np.testing.assert_allclose(x.grad.data, want)
    flat = tg.take_along_axis(a, np.array([0, 59, -1]), axis=None)
    np.testing.assert_array_equal(flat.data, a.reshape(-1)[[0, 59, -1]])
    assert np.take_along_axis(tg.tensor(a, requires_grad=True), ind, -1).requires_grad


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda a: tg.take_along_axis(a, np.zeros((3, 4), int), 1), ValueError,
         r"indices of shape \(3, 4\) and arr of shape \(3, 4, 5\)"),
        (lambda a: tg.take_along_axis(a, np.zeros((3, 4, 5)), 1), IndexError, "integers"),
        (lambda a: tg.take_along_axis(a, np.full((3, 4, 5), 4), 1), IndexError,
         r"index 4 is out of bounds along axis 1 with size 4"),
        (lambda a: tg.take_along_axis(a, np.zeros((2, 4, 5), int), 1), ValueError,
         r"\(2, 4, 5\) do not broadcast against arr of shape \(3, 4, 5\)"),
        (lambda a: tg.take_along_axis(a, np.zeros((2, 2), int), None), ValueError,
         "axis=None, indices must be 1-D"),
        (lambda a: tg.take_along_axis(a, np.array(1), None), ValueError,
         "axis=None, indices must be 1-D"),
        (lambda a: tg.take_along_axis(a.reshape(-1), np.array([65, 70]), 0), IndexError,
         "index 65 is out of bounds"),  # (the first one out of range)
        (lambda a: tg.sort(tg.tensor(1.0)), ValueError, "sort: a 0-d array has no axis"),
    ],
)  # fmt: skip
def test_take_along_axis_refusals(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call(np.zeros((3, 4, 5)))


def test_sort_is_numpys_stable_sort_and_its_gradient_goes_back() -> None:
    x = np.array([[3.0, 1.0, 2.0, 1.0], [np.nan, 0.0, -1.0, 5.0]])
    for axis in (-1, 0, None):
        np.testing.assert_array_equal(tg.sort(x, axis).data, np.sort(x, axis))
        np.testing.assert_array_equal(tg.argsort(x, axis).data, np.argsort(x, axis, kind="stable"))
    t = tg.tensor(x[0], requires_grad=True)
    (tg.sort(t) * np.array([10.0, 20.0, 30.0, 40.0])).sum().backward()
    # (ties in order: the first 1.0 (index 1) gets the first place's weight)
    np.testing.assert_array_equal(t.grad.data, [40.0, 10.0, 30.0, 20.0])
    assert tg.argsort(x).dtype == np.int64 and not tg.argsort(t).requires_grad
    assert np.sort(tg.tensor(x, requires_grad=True)).requires_grad
    with pytest.raises(ValueError, match="sort: .*kind"):
        tg.sort(x, kind="bubble")
    ties = np.tile([3.0, 1.0, 2.0, 1.0], 12)  # (NumPy's quicksort is unstable past 16)
    np.testing.assert_array_equal(tg.argsort(ties).data, np.argsort(ties, kind="stable"))
    np.testing.assert_array_equal(tg.argsort(np.float64(3.0)).data, [0])  # (NumPy's)
    for kind in ("q", "heap", "Quicksort"):  # (NumPy's spellings, sorted stably all the same)
        np.testing.assert_array_equal(tg.sort(ties, kind=kind).data, np.sort(ties))
    with pytest.raises(ValueError, match="sort: order is for structured arrays"):
        tg.sort(ties, -1, None, ["f"])


def test_topk_is_torchs() -> None:
    """torch's order: largest first, NaN as the largest; ties here by index (torch leaves
    their order open); the gradient goes back to each entry's place."""
    x = tg.tensor([1.0, 3.0, 3.0, np.nan, 2.0], requires_grad=True)
    values, indices = tg.topk(x, 3)
    np.testing.assert_array_equal(values.data, [np.nan, 3.0, 3.0])
    np.testing.assert_array_equal(indices.data, [3, 1, 2])
    values, indices = x.topk(2, largest=False)
    np.testing.assert_array_equal(indices.data, [0, 4])
    (values * np.array([10.0, 1.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [10.0, 0.0, 0.0, 0.0, 1.0])
    grid = tg.topk(np.array([[1, 5, 2], [3, 3, 1]]), 2, dim=0)
    np.testing.assert_array_equal(grid.values.data, [[3, 5, 2], [1, 3, 1]])
    np.testing.assert_array_equal(grid.indices.data, [[1, 0, 0], [0, 1, 1]])
    assert tg.topk(np.array(3.0), 1).values.shape == ()
    with pytest.raises(ValueError, match=r"topk: k = 4 is out of range for dim -1 of size 3"):
        tg.topk(np.ones(3), 4)


def test_block_diag_is_torchs() -> None:
    a = tg.tensor(np.ones((2, 2)), requires_grad=True)
    out = tg.block_diag(2.0, np.array([1.0, 2.0]), a)
    np.testing.assert_array_equal(
        out.data,
        [[2, 0, 0, 0, 0], [0, 1, 2, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1]],
    )
    (out * np.arange(20.0).reshape(4, 5)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [[13, 14], [18, 19]])
    assert tg.block_diag().shape == (1, 0)
    with pytest.raises(ValueError, match=r"block_diag: tensors\[1\] must have at most 2"):
        tg.block_diag(np.ones(2), np.ones((1, 1, 1)))


def test_topk_ties_and_a_0d_input() -> None:
    """Ties in index order both ways on a long row (the stable sorts'); a 0-d input with k 0."""
    x = np.array([2.0, 1.0, 2.0, 1.0] * 5)
    np.testing.assert_array_equal(tg.topk(x, 4).indices.data, [0, 2, 4, 6])
    np.testing.assert_array_equal(tg.topk(x, 4, largest=False).indices.data, [1, 3, 5, 7])
    assert tg.topk(np.array(3.0), 0).values.item() == 3.0


def test_topk_partition_path_orders_as_the_sort() -> None:
    """A few of many (4 k <= n) go through a partition (of the floats themselves when no NaN
    is there, else of monotone integer keys): the same indices as the stable sort's order,
    ties by index, NaN first, -0.0 tied with 0.0."""
    rng = np.random.default_rng(3)
    pool = [0.0, -0.0, 1.0, -1.0, 2.0, np.nan, np.inf, -np.inf, 1e-300]
    for dtype in (np.float64, np.float32, "no NaN", np.int8, np.uint8):
        if dtype == "no NaN":
            a, dtype = rng.choice([v for v in pool if v == v], size=(3, 40)), np.float64
        elif dtype in (np.float64, np.float32):
            a = rng.choice(pool, size=(3, 40))
        else:
            a = rng.integers(0, 4, (3, 40))
        a = a.astype(dtype)
        for largest in (True, False):
            got = tg.topk(a, 7, dim=1, largest=largest).indices.data
            keyed = np.flip(a, 1) if largest else a
            order = np.argsort(keyed, axis=1, kind="stable")
            want = (39 - np.flip(order, 1))[:, :7] if largest else order[:, :7]
            np.testing.assert_array_equal(got, want)
