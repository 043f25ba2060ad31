"""Argument checks of the shape ops (tensorgrad/ops/shape.py), against NumPy's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize(
    "call",
    [
        lambda x: tg.swapaxes(x, 0, None),
        lambda x: tg.split(x, 1, axis=None),
        lambda x: tg.stack([x], axis=None),
        lambda x: tg.concatenate([x], axis=(0,)),
    ],
)
def test_single_axis_ops_refuse_none_and_tuples(call) -> None:
    with pytest.raises(TypeError, match="axis must be an int"):
        call(tg.zeros(2))


def test_concatenate_axis_none_joins_flattened_tensors() -> None:
    parts = [np.zeros(0), np.array(1.0), np.ones((2, 1))]
    out = tg.concatenate(parts, axis=None)
    np.testing.assert_array_equal(out.data, np.concatenate(parts, axis=None))


def test_pad_refuses_negative_width_on_0d() -> None:
    with pytest.raises(ValueError, match="pad: pad_width must be non-negative"):
        tg.pad(tg.tensor(0.0), -1)


def test_tile_takes_negative_reps_only_against_an_empty_axis() -> None:
    assert tg.tile(np.zeros(0), -1).shape == np.tile(np.zeros(0), -1).shape == (0,)
    with pytest.raises(ValueError, match="tile: reps must be non-negative"):
        tg.tile(np.zeros((2, 0)), (-1, 1))  # NumPy refuses this too
    with pytest.raises(ValueError, match="tile: reps must be non-negative"):
        tg.tile(np.zeros(2), -1)


def test_broadcast_to_past_32_dimensions() -> None:
    # np.broadcast_shapes stops at 32 dimensions; np.broadcast_to (and tensorgrad) do not
    x = tg.zeros(*(1,) * 33, requires_grad=True)
    shape = (2,) + (1,) * 33
    y = tg.broadcast_to(x, shape)
    assert y.shape == np.broadcast_to(x.data, shape).shape
    y.sum().backward()
    assert x.grad.shape == x.shape and x.grad.data.item() == 2.0
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast"):
        tg.broadcast_to(np.zeros(2), (-1,))


def test_moveaxis_refuses_repeated_axes() -> None:
    with pytest.raises(ValueError, match="moveaxis: repeated axis"):
        tg.moveaxis(tg.zeros(1, 2), (0, 1), (1, 1))


def test_repeat_and_moveaxis_take_int_axes_only_as_numpy() -> None:
    x = tg.zeros(2, 3)
    with pytest.raises(TypeError, match="repeat: axis must be an int"):
        tg.repeat(x, 2, axis=(0,))  # np.repeat refuses a tuple too
    with pytest.raises(TypeError, match="moveaxis: axis must be an int"):
        tg.moveaxis(x, [(0,)], [1])
    assert tg.repeat(x, 2, axis=-1).shape == np.repeat(x.data, 2, axis=-1).shape


@pytest.mark.parametrize(
    "shape, repeats, axis",
    [
        ((2, 3), 2, 1),
        ((2, 3), 17, 0),  # (past 16 copies: one sum, not adds)
        ((2, 3), [2, 0, 1], 1),  # (an entry repeated 0 times: no gradient)
        ((2, 3), [0, 0, 0], 1),
        ((2, 0, 3), 2, 2),
        ((1,) * 63 + (2,), 2, 63),  # (no room for the reshape's extra axis: reduceat's path)
    ],
)
def test_repeat_gradient_sums_each_entrys_copies(shape: tuple, repeats: object, axis: int) -> None:
    x = tg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    y = tg.repeat(x, repeats, axis=axis)
    np.testing.assert_array_equal(y.data, np.repeat(x.data, repeats, axis=axis))
    g = np.random.default_rng(1).standard_normal(y.shape)
    (gx,) = tg.autograd.grad(y, [x], grad_outputs=tg.tensor(g))
    # (np.add.at on the axis moved first and the rest flattened: it crashes past 32 dimensions)
    index = np.repeat(np.arange(shape[axis]), repeats)
    front = np.moveaxis(np.zeros(shape), axis, 0)
    want = np.zeros((shape[axis], front[0].size))
    np.add.at(want, index, np.moveaxis(g, axis, 0).reshape(len(index), front[0].size))
    want = np.moveaxis(want.reshape(front.shape), 0, axis)
    np.testing.assert_allclose(gx.data, want, rtol=1e-15, atol=1e-15)


def test_repeat_takes_negative_counts_only_along_an_empty_axis() -> None:
    assert tg.repeat([], -1).shape == np.repeat([], -1).shape == (0,)
    assert tg.repeat(np.zeros((2, 0)), -1, axis=1).shape == (2, 0)
    with pytest.raises(ValueError, match="repeat: repeats must be non-negative"):
        tg.repeat(np.zeros(2), -1)


def test_repeat_takes_an_empty_list_of_counts_for_an_empty_axis() -> None:
    assert tg.repeat(np.zeros((3, 0)), [], axis=1).shape == np.repeat(np.zeros((3, 0)), [], 1).shape
    with pytest.raises(ValueError, match=r"repeat: repeats of shape \(0,\) do not match"):
        tg.repeat(np.zeros((3, 2)), [], axis=1)


def test_tile_by_zero_of_a_64_dimensional_tensor_has_zero_gradient() -> None:
    x = tg.zeros(*(1,) * 64, requires_grad=True)
    y = tg.tile(x, 0)
    assert y.shape == np.tile(x.data, 0).shape
    y.sum().backward()
    assert x.grad.shape == x.shape and not x.grad.data.any()


def test_transpose_method_takes_numpys_spellings() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tg.tensor(a)
    for axes in [(1, 2, 0), ((1, 2, 0),), ([2, 0, 1],), (), (None,), (-1, 0, 1)]:
        np.testing.assert_array_equal(t.transpose(*axes).data, a.transpose(*axes))
    np.testing.assert_array_equal(t.transpose(axes=(1, 2, 0)).data, a.transpose(1, 2, 0))
    np.testing.assert_array_equal(tg.transpose(t, (2, 1, 0)).data, np.transpose(a, (2, 1, 0)))
    assert tg.tensor([1.0, 2.0]).transpose(0).shape == (2,)
    # two ints are a permutation (API.md: NumPy's transpose), not torch's swap of two dims
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 1\)"):
        t.transpose(0, 1)
    with pytest.raises(TypeError, match="transpose: axes must be ints"):
        t.transpose(1, (2, 0))
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda x: x.transpose(2, 0, 1) * 1.0, (x,))


def test_flatten_is_a_copy_as_numpys() -> None:
    x = tg.zeros(2, 2)
    f = x.flatten()
    f[0] = 5.0  # writes to the copy never reach x
    np.testing.assert_array_equal(x.data, np.zeros((2, 2)))
    w = tg.tensor(np.arange(6.0).reshape(2, 3).T, requires_grad=True)  # non-contiguous
    np.testing.assert_array_equal(w.flatten().data, w.data.flatten())
    assert tg.gradcheck(tg.flatten, (w,))


def test_split_takes_a_0d_tensor_as_sections() -> None:
    pieces = tg.split(tg.arange(6.0), tg.tensor(2))
    assert [p.data.tolist() for p in pieces] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_split_sections_and_points_as_numpy_takes_them() -> None:
    x = tg.arange(4.0)
    # a whole float is a number of sections (NumPy takes int() of it); np.split dispatches here
    assert [p.shape for p in np.split(x, 2.0)] == [(2,), (2,)]
    assert [p.shape for p in tg.split(x, np.array([1, 2]))] == [(1,), (1,), (2,)]
    # a fractional split point was truncated to 1 in silence (NumPy: TypeError)
    with pytest.raises(TypeError, match=r"split: split points must be .*integers, got \[1.5\]"):
        tg.split(x, [1.5])
    with pytest.raises(TypeError, match="split: split points"):
        tg.split(x, np.array([1 + 0j]))
    with pytest.raises(ValueError, match="split: a number of sections must be whole, got 2.5"):
        tg.split(x, 2.5)
    with pytest.raises(TypeError, match="split: indices_or_sections must be"):
        tg.split(x, "2")


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
def test_pad_modes_that_repeat_entries_as_numpy(mode: str) -> None:
    # (only 'constant' was taken); their gradient adds up the copies'
    a = np.arange(12.0).reshape(3, 4)
    x = tg.tensor(a, requires_grad=True)
    y = tg.pad(x, ((1, 2), (3, 0)), mode=mode)
    np.testing.assert_array_equal(y.data, np.pad(a, ((1, 2), (3, 0)), mode=mode))
    y.backward(tg.tensor(np.arange(y.size, dtype=float).reshape(y.shape)))
    copies = np.pad(np.arange(12).reshape(3, 4), ((1, 2), (3, 0)), mode=mode)
    want = np.bincount(copies.ravel(), weights=np.arange(y.size, dtype=float), minlength=12)
    np.testing.assert_array_equal(x.grad.data, want.reshape(3, 4))
    assert np.pad(tg.tensor([1.0, 2.0]), 2, mode=mode).shape == (6,)
    with pytest.raises(ValueError, match="pad: can't extend empty axis"):
        tg.pad(tg.zeros((0, 2)), 1, mode=mode)
    with pytest.raises(ValueError, match="pad: constant_values is for mode='constant' only"):
        tg.pad(x, 1, mode=mode, constant_values=5.0)  # (as NumPy, which refuses it there)


def test_pad_constant_tensor_that_requires_grad_gets_the_padding_gradient() -> None:
    x = tg.tensor(np.float32([[1.0, 2.0], [3.0, 4.0]]))
    c = tg.tensor(1.5, requires_grad=True)
    y = tg.pad(x, 1, constant_values=c)  # (the constant was read with .item(): no gradient)
    assert y.dtype == np.float32 and y.data[0, 0] == 1.5
    y.sum().backward()
    assert c.grad.item() == 12.0
    with pytest.raises(ValueError, match="pad: mode must be 'constant', 'edge'"):
        tg.pad(x, 1, mode="mean")
    # a 0-d tensor has nothing to pad, as np.pad's (NumPy's internal error with such a constant)
    assert tg.pad(tg.tensor(1.0), 1, constant_values=c).item() == 1.0


def test_squeeze_of_a_0d_tensor_takes_axis_0_or_minus_1_as_numpy():
    t = tg.tensor(5.0)
    assert tg.squeeze(t, 0).shape == () and t.squeeze(-1).shape == ()
    with pytest.raises(ValueError, match="squeeze"):
        tg.squeeze(t, 1)


def test_transpose_refuses_bool_axes_as_numpy() -> None:
    # (True, False) was read as (1, 0)
    with pytest.raises(TypeError, match=r"transpose: axes must be ints, got \(True, False\)"):
        tg.ones((2, 3)).transpose(True, False)


def test_flip_of_a_0d_tensor_is_a_view_like_any_flip() -> None:
    # (np.flip of a 0-d array is a copy: the value missed a write its rebased graph saw, and
    # v += 5 raised TypeError)
    a = tg.tensor(2.0, requires_grad=True)
    b = a * 1.0
    v = tg.flip(b)
    b += a
    y = v * 3.0
    y.backward()
    assert y.item() == 12.0 and a.grad.item() == 6.0  # (y = 3 (a + a): consistent)
    v += 5.0
    assert b.item() == 9.0


def test_composite_results_are_not_views_of_their_intermediates() -> None:
    # (made under no_grad, they were refused an in-place write outside it as views; torch's
    # are plain results)
    import tensorgrad.nn.functional as F

    w = tg.tensor(2.0, requires_grad=True)
    makers = [
        lambda: F.nll_loss(tg.ones((2, 3)), np.array([0, 1]), reduction="none"),
        lambda: F.avg_pool2d(tg.ones((1, 4, 4)), 2),
        lambda: F.conv2d(tg.ones((1, 4, 4)), tg.ones((1, 1, 2, 2))),
        lambda: tg.norm(tg.ones((2, 3)), axis=1),
        lambda: tg.norm(tg.ones((2, 3, 3)), ord=2, axis=(1, 2)),
        lambda: tg.take(tg.ones(3), 1),
    ]
    for make in makers:
        with tg.no_grad():
            r = make()
        r += w
        assert r.requires_grad


def test_flip_of_a_python_number_is_its_0d_tensor() -> None:
    # (found by the random hypothesis profile: a float has no ndim)
    assert tg.flip(0.0).shape == () and tg.flip(0.0).item() == 0.0


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: tg.stack([tg.ones(3), np.array(["a"] * 3)]), TypeError, "stack: argument 1"),
        (lambda: tg.stack([tg.ones((2, 3)), "x"]), TypeError, "stack: argument 1 holds str"),
        (
            lambda: tg.concatenate([tg.ones(3), "x"], axis=None),
            TypeError,
            "concatenate: argument 1 holds str",
        ),
        (lambda: tg.concatenate([tg.ones(3), None]), TypeError, "concatenate: argument 1"),
        (lambda: tg.ones((2, 3)).reshape("x"), TypeError, "reshape: shape must be ints"),
        (lambda: tg.broadcast_to(tg.ones(3), "x"), TypeError, "broadcast_to: shape must be"),
    ],
)
def test_bad_arguments_are_named_by_the_function(call, error, pattern) -> None:
    # (were "reshape: argument 0", a shape error for a string read as 0-d, or no op name)
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: tg.squeeze("x"), "squeeze: argument 0 holds str"),
        (lambda: tg.expand_dims(np.ones(2) * 1j, 0), "expand_dims: argument 0 holds dtype complex"),
        (lambda: tg.repeat(None, 2), "repeat: argument 0 holds NoneType"),
        (lambda: tg.expand_dims(tg.ones(2), None), "expand_dims: axis must be an int or a tuple"),
        (lambda: tg.moveaxis(tg.ones(2), None, 0), "moveaxis: source must be an int or a tuple"),
    ],
)
def test_bad_data_and_axes_are_named_by_the_function(call, pattern) -> None:
    # (were "reshape: argument 0" and Python's "'NoneType' object is not iterable")
    with pytest.raises(TypeError, match=pattern):
        call()


def test_pad_refuses_an_empty_pad_width_as_numpy() -> None:
    # (it was read as no padding)
    with pytest.raises(TypeError, match=r"pad: pad_width must be integers, got \[\]"):
        tg.pad(tg.ones((2, 3)), [])
    with pytest.raises(ValueError, match="pad: pad_width"):
        tg.pad(tg.ones((2, 3)), np.zeros((0, 2), np.int64))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: tg.zeros(3)[[[0, 1], [0]]], ValueError, "getitem: the index .* is a ragged"),
        (lambda: tg.take(tg.zeros(3), [[0, 1], [0]]), ValueError, "take: the index .* ragged"),
        (lambda: tg.zeros(3)[0.5:2], TypeError, "getitem: slice indices must be integers"),
        (lambda: tg.take(["a", "b"], 0), TypeError, "take: x holds list data of dtype <U1"),
        (lambda: tg.split(["a", "b"], 2), TypeError, "split: x holds list data of dtype <U1"),
    ],
)
def test_index_and_split_errors_name_the_function_called(call, error, message) -> None:
    # (NumPy's 'setting an array element with a sequence' on a read, Python's bare slice
    # TypeError, errors named after the reshape or getitem the function is made of)
    with pytest.raises(error, match=message):
        call()


def test_setitem_of_a_ragged_or_unconvertible_list_says_why() -> None:
    with pytest.raises(TypeError, match="list data that makes no array .setting an array"):
        tg.zeros((2, 2))[:] = [[1.0], [2.0, 3.0]]
    with pytest.raises(TypeError, match="list data of dtype object"):
        tg.zeros(3)[:] = [1, 10**400, 2]


def test_joining_something_that_is_not_a_sequence_names_the_op() -> None:
    # (Python's bare "'float' object is not iterable")
    for call, arg, kind in [
        (tg.concatenate, 1.5, "float"),
        (tg.stack, None, "NoneType"),
        (tg.stack, tg.tensor(1.0), "Tensor"),
    ]:
        with pytest.raises(
            TypeError, match=f"{call.__name__}: tensors must be an iterable of .*{kind}"
        ):
            call(arg)
    assert tg.concatenate(tg.ones((2, 3))).shape == (6,)  # (rows, as NumPy's)


def test_an_error_inside_the_callers_generator_stays_the_callers() -> None:
    def rows():
        yield tg.ones(2)
        raise TypeError("bad row 1")

    for join in (tg.concatenate, tg.stack):
        with pytest.raises(TypeError, match="bad row 1"):
            join(rows())


def test_ravel_copies_where_numpy_copies_and_shapes_are_checked() -> None:
    # (np.ravel of non-contiguous data was a view: a write reached the base; reshape() with no
    # shape was taken, and broadcast_to(shape=True) read as (1,))
    t = tg.tensor(np.arange(8.0))[::2]
    np.ravel(t)[0] = 100.0
    assert t.data.tolist() == [0.0, 2.0, 4.0, 6.0]
    c = tg.tensor(np.arange(8.0))
    np.ravel(c)[0] = 100.0  # (contiguous: a view, as NumPy's)
    assert c.data[0] == 100.0
    x = tg.tensor(np.arange(4.0), requires_grad=True)
    (np.ravel(x[::2]) ** 2).sum().backward()
    assert x.grad.data.tolist() == [0.0, 0.0, 4.0, 0.0]
    with pytest.raises(TypeError, match="reshape: missing the new shape"):
        tg.tensor([[5.0]]).reshape()
    with pytest.raises(TypeError, match="broadcast_to: shape must be ints"):
        tg.broadcast_to(tg.tensor(2.0), True)


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("reshape", lambda x: tg.reshape(x, -1)),
        ("transpose", lambda x: tg.transpose(x)),
        ("swapaxes", lambda x: tg.swapaxes(x, 0, 0)),
        ("moveaxis", lambda x: tg.moveaxis(x, 0, 0)),
        ("broadcast_to", lambda x: tg.broadcast_to(x, (2, 2))),
        ("pad", lambda x: tg.pad(x, 1)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_data_is_refused_under_the_shape_ops_own_name(name, call) -> None:
    # (a ragged list got NumPy's bare message; swapaxes and moveaxis were named transpose)
    with pytest.raises(TypeError, match=rf"^{name}: x holds list data that makes no array"):
        call([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match=rf"^{name}: x holds dtype <U1"):
        call(np.array([["a", "b"], ["c", "d"]]))


def test_stack_adds_a_repeated_input_s_gradients_in_the_inputs_order_as_torch() -> None:
    # (torch sums the copies first to last: 1 + 1e16 - 1e16 is 0; stack as expand_dims and
    # concatenate summed them last to first, 1)
    x = tg.tensor(0.0, requires_grad=True)
    (g,) = tg.autograd.grad(tg.stack([x, x, x]), [x], np.array([1.0, 1e16, -1e16]))
    assert g.item() == 0.0
