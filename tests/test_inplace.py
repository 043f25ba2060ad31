"""In-place writes: version counters, leaf protection, recorded in-place on non-leaves."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tensorgrad as tg


def test_setitem_on_non_leaf_is_recorded() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y[0] = 5
    assert y.grad_fn.name == "SetItem"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0])


def test_setitem_gradient_flows_to_value() -> None:
    x = tg.zeros(3)
    v = tg.tensor(2.0, requires_grad=True)
    x[np.array([0, 2])] = v
    (x * tg.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert v.grad.item() == 101.0


def test_setitem_repeated_positions_send_gradient_to_the_kept_write_only() -> None:
    # NumPy keeps the last write to a repeated position; the overwritten entries of the value
    # had no effect on the result, so they get no gradient (each write's got the whole delta)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tg.tensor([10.0, 20.0], requires_grad=True)
    y = x * 1.0
    y[[0, 0]] = v
    (y * tg.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(y.data, [20.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.grad.data, [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 10.0, 100.0])
    s = tg.tensor(5.0, requires_grad=True)
    y = x * 1.0
    y[[1, 1, 1]] = s  # a broadcast value written three times to one position
    y.sum().backward()
    assert s.grad.item() == 1.0

    weights = tg.arange(12.0).reshape(3, 4)

    def rows(v: tg.Tensor) -> tg.Tensor:
        y = tg.zeros((3, 4), dtype=np.float64) * 1.0
        y[np.array([[0, 2], [0, 0]]), 1:3] = v
        return y * weights

    def points(v: tg.Tensor) -> tg.Tensor:
        y = tg.zeros((3, 4), dtype=np.float64) * 1.0
        y[[0, 2, 0], [1, 1, 1]] = v
        return y * weights

    rng = np.random.default_rng(0)
    for fn, shape in [(rows, (2, 2, 2)), (rows, (2,)), (points, (3,)), (points, ())]:
        v = tg.tensor(rng.standard_normal(shape), requires_grad=True)
        assert tg.gradcheck(fn, [v]) and tg.gradgradcheck(fn, [v])


@pytest.mark.parametrize(
    "op,expected",
    [("+=", [3.0, 3.0]), ("-=", [3.0, 3.0]), ("*=", [6.0, 12.0]), ("/=", [1.5, 1.5])],
)
def test_augmented_assignment_on_non_leaf(op: str, expected: list[float]) -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    other = {"+=": 1.0, "-=": 1.0, "*=": x, "/=": 2.0}[op]
    if op == "+=":
        y += other
    elif op == "-=":
        y -= other
    elif op == "*=":
        y *= other
    else:
        y /= other
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, expected)


def test_modified_saved_tensor_raises_naming_op_and_shape() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = tg.exp(y) * y
    y += 1
    with pytest.raises(RuntimeError, match=r"Multiply.*\(2,\).*in-place"):
        z.sum().backward()


def test_saved_output_modified_raises() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.exp(x)
    y[0] = 0.0  # exp saved its output
    with pytest.raises(RuntimeError, match="Exp"):
        y.sum().backward()


def test_saved_output_modified_through_a_detached_alias_raises() -> None:
    # the output's version cell is made only when first needed (here by detach), and the node
    # that saved the output must still see the write
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.exp(x)
    d = y.detach()
    d += 1.0
    with pytest.raises(RuntimeError, match="Exp.*output"):
        y.sum().backward()
    z = tg.exp(x)
    z.detach()  # a cell, but no write: backward is fine
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([1.0, 2.0]))


def test_in_place_on_leaf_requiring_grad_raises_outside_no_grad() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 3.0
    with tg.no_grad():
        w -= 0.5
        w[1] = 7.0
    np.testing.assert_array_equal(w.data, [0.5, 7.0])
    assert w.version == 2 and w.is_leaf


def test_views_share_the_version_counter() -> None:
    x = tg.tensor(np.arange(6.0))
    views = [x.reshape(2, 3), x[1:], tg.expand_dims(x, 0), x.reshape(2, 3).T]
    for v in views:
        assert v._version is x._version
    x[0] = 10.0
    assert all(v.version == 1 for v in views)
    assert views[0].data[0, 0] == 10.0


def test_in_place_through_a_view_is_detected() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    z = y * y
    with tg.no_grad():
        y[1:] += 1.0  # a view of y, shares y's counter
    with pytest.raises(RuntimeError, match="Multiply"):
        z.sum().backward()


def test_in_place_plain_tensors() -> None:
    t = tg.tensor([1, 2])
    t += 1
    np.testing.assert_array_equal(t.data, [2, 3])
    with pytest.raises(TypeError, match="cast"):
        t += 0.5
    f = tg.ones(2)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        f += tg.ones(3)


def test_retain_grad_follows_the_tensor_through_an_in_place_op() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    y *= 3.0
    tg.sum(y * y).backward()
    np.testing.assert_array_equal(y.grad.data, [6.0, 12.0])  # d/dy of the new y, as torch
    np.testing.assert_array_equal(x.grad.data, [18.0, 36.0])


def test_writing_a_product_input_that_no_rule_reads_is_fine() -> None:
    # y[0] * 2 keeps only the constant: writing y[0] afterwards is no error (as torch)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    y[0] = y[0] * tg.tensor(2.0)
    tg.sum(y).backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 1.0])
    # ...but a saved input that a rule does read still raises
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([3.0, 4.0])
    z = a * c
    c += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        tg.sum(z).backward()


def test_writing_a_matmul_input_that_no_rule_reads_is_fine() -> None:
    # C @ b with C constant keeps only C (b's adjoint is C.T @ delta), as torch
    c = tg.tensor(np.arange(6.0).reshape(3, 2))
    for shape in [(2,), (2, 4), (5, 2, 4)]:
        b = tg.tensor(np.ones(shape), requires_grad=True)
        y = b * 1.0
        out = (c @ y).sum()
        y += 1.0
        out.backward()
        expected = c.data.sum(axis=0).reshape((2, 1) if len(shape) > 1 else (2,))
        np.testing.assert_array_equal(b.grad.data, np.broadcast_to(expected, shape))
    a = tg.tensor(np.ones((3, 2)), requires_grad=True)
    w = tg.tensor(np.ones((4, 2)))
    y = a * 1.0
    out = (y @ w.T).sum()
    y += 1.0
    out.backward()
    np.testing.assert_array_equal(a.grad.data, np.full((3, 2), 4.0))
    z = y @ w.T  # ...but a saved input that a rule does read still raises
    w += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_setitem_into_an_int_tensor_carries_no_gradient() -> None:
    t = tg.tensor([1, 2])
    w = tg.tensor(5.5, requires_grad=True)
    t[0] = w
    assert t.data.tolist() == [5, 2] and not t.requires_grad and t.grad_fn is None


def test_einsum_relabelling_is_a_copy_not_an_unversioned_view() -> None:
    b = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = tg.tensor(np.ones((2, 2)), requires_grad=True)
    c = tg.sum(b * w)
    v = tg.einsum("ij->ji", b)
    v += 1.0  # (it wrote into b, behind the version counter's back)
    c.backward()
    np.testing.assert_array_equal(w.grad.data, [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(b.data, [[1.0, 2.0], [3.0, 4.0]])


# ------------------------------------------------------------------ views and in-place writes
# (expected values below were checked against PyTorch 2.13; the tests themselves use
# hand-computed values, finite differences, or the same view taken after the write)

X6 = np.arange(1.0, 7.0).reshape(2, 3)
C6 = np.array([[2.0, -1.0, 3.0], [0.5, 4.0, -2.0]])

VIEWS = {
    "slice": lambda y: y[0:2, 1:],
    "int": lambda y: y[1],
    "int_0d": lambda y: y[0, 2],
    "ellipsis_none": lambda y: y[..., None, 1:],
    "negative_step": lambda y: y[::-1, ::-2],
    "reshape": lambda y: y.reshape(3, 2),
    "transpose": lambda y: y.T,
    "swapaxes": lambda y: tg.swapaxes(y, 0, 1),
    "expand_dims": lambda y: tg.expand_dims(y, 1),
    "flip": lambda y: tg.flip(y, 1),
    "view_of_view": lambda y: y.T[1:][0],
    "broadcast_to": lambda y: tg.broadcast_to(y, (2, 2, 3)),
}


def _write_base(x: tg.Tensor, y: tg.Tensor) -> None:
    y[0, 2] = x[1, 1] * 5.0  # a recorded write into the base
    y *= x  # and a second one


def test_a_view_used_after_a_recorded_write_to_its_base_is_rebased() -> None:
    # (PyTorch rebases the view onto the write: its values and gradient follow the base)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[0:2]
    y[0] = 5.0
    (v * 3).sum().backward()
    np.testing.assert_array_equal(v.data, [5.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 3.0, 0.0])
    assert v.grad_fn.name == "GetItem" and v.requires_grad
    # a view consumed before the write keeps the old graph, right for the values it used
    x2 = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y2 = x2 * 2.0
    early = y2[0:2] * 3.0
    y2[0] = 5.0
    (tg.sum(early) + tg.sum(y2)).backward()
    np.testing.assert_array_equal(x2.grad.data, [6.0, 8.0, 2.0])


def test_a_stale_view_is_rebased_for_backward_hooks_and_retain_grad() -> None:
    # backward from the view, a hook on it and retain_grad all see its values after the write
    # (as torch, which regenerates a view's grad_fn when it is read)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1.0
    v = b[:2]
    b *= 3.0
    seen = []
    v.register_hook(lambda g: seen.append(g.data.copy()))
    v.retain_grad()
    v.backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad.data, [3.0, 6.0, 0.0])
    np.testing.assert_array_equal(seen[0], [1.0, 2.0])
    np.testing.assert_array_equal(v.grad.data, [1.0, 2.0])
    x.grad = None
    b2 = x * 1.0
    v2 = b2[1:]
    b2 += 1.0
    assert v2.grad_fn is v2.grad_fn  # (rebased once, then stable)
    (g,) = tg.autograd.grad(v2.sum(), [x])
    np.testing.assert_array_equal(g.data, [0.0, 1.0, 1.0])


@pytest.mark.parametrize("kind", sorted(VIEWS))
def test_a_stale_view_equals_the_view_taken_after_the_write(kind: str) -> None:
    view = VIEWS[kind]
    grads, values = [], []
    for early in (True, False):
        x = tg.tensor(X6, requires_grad=True)
        y = x * 1
        v = view(y) if early else None
        _write_base(x, y)
        if not early:
            v = view(y)
        c = tg.tensor(np.arange(1.0, v.size + 1).reshape(v.shape))
        tg.sum(v * c * v).backward()
        grads.append(x.grad.data)
        values.append(v.data.copy())
    np.testing.assert_array_equal(values[0], values[1])
    np.testing.assert_allclose(grads[0], grads[1])


def test_many_views_of_one_base_and_several_writes() -> None:
    x = tg.tensor(X6, requires_grad=True)
    y = x * 1
    a, b, c = y[0], y[:, 1], y.T
    y[0, 1] = x[1, 1] * 4.0
    u = a * 1.0  # rebased once here...
    y[1, 1] = x[0, 0] * x[0, 2]
    loss = tg.sum(u * 2.0) + tg.sum(a * 3.0) + tg.sum(b * 5.0) + tg.sum(c * tg.tensor(C6.T))
    loss.backward()  # ...and again after the second write
    np.testing.assert_array_equal(a.data, [1.0, 20.0, 3.0])
    np.testing.assert_array_equal(b.data, [20.0, 3.0])
    # y = [[x00, 4 x11, x02], [x10, x00 x02, x12]]; u = a = y[0], b = y[:, 1], c = y.T:
    # d/dx00 = 2 + 3 + 5 x02 + C00 + C11 x02, d/dx11 = 4 (2 + 3 + 5 + C01), ...
    expected = [[2 + 3 + 15 + 2 + 12, 0.0, 2 + 3 + 5 + 3 + 4], [0.5, 4 * (2 + 3 + 5 - 1), -2.0]]
    np.testing.assert_allclose(x.grad.data, expected)


def test_a_rebased_view_differentiates_twice() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    v = y[0:2]
    y[0] = x[2] ** 3
    (g,) = tg.autograd.grad(tg.sum(v * v), [x], create_graph=True)
    (h,) = tg.autograd.grad(tg.sum(g * tg.tensor([1.0, 2.0, 3.0])), [x])
    # sum(v*v) = x2**6 + x1**4
    np.testing.assert_allclose(g.data, [0.0, 32.0, 6 * 3.0**5])
    np.testing.assert_allclose(h.data, [0.0, 12 * 2.0**2 * 2.0, 30 * 3.0**4 * 3.0])

    def f(x: tg.Tensor) -> tg.Tensor:
        y = x * x
        v = y.T[1:]
        y[1, 0] = x[0, 1] * x[1, 2]
        return v * v

    assert tg.gradgradcheck(f, (tg.tensor(X6, requires_grad=True),))


def test_values_saved_before_a_write_still_raise() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[0:2]
    p = v * v  # saves v, which shares y's memory
    z = tg.exp(v)  # saves its own output only
    y[1] = 5.0
    tg.sum(z).backward(retain_graph=True)
    with pytest.raises(RuntimeError, match=r"Multiply.*modified by an in-place operation"):
        tg.sum(p).backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        x2 = tg.tensor([1.0, 2.0], requires_grad=True)
        y2 = x2 * 1
        y2[0] = y2[0] ** 2  # pow saved the view y2[0], which the write changes (as torch)
        tg.sum(y2).backward()


def test_a_view_of_a_base_that_did_not_require_grad_is_rebased_too() -> None:
    w = tg.tensor(2.0, requires_grad=True)
    y = tg.zeros(3)
    v = y[0:2]
    y[1] = w * 3.0
    assert v.requires_grad and v.grad_fn is not None
    tg.sum(v * tg.tensor([1.0, 10.0])).backward()
    assert w.grad.item() == 30.0


def test_a_view_made_under_no_grad_is_refused_after_a_recorded_write() -> None:
    # (as PyTorch: the write's gradient could not reach what the view computes)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    with tg.no_grad():
        v = y[0:2]
    y[0] = x[1] * 1.0
    with pytest.raises(RuntimeError, match="made under no_grad"):
        v * 3.0
    with tg.no_grad():
        np.testing.assert_array_equal((v * 3.0).data, [6.0, 12.0])  # as data it is fine


def test_a_view_of_a_no_grad_view_is_refused_after_a_recorded_write() -> None:
    # (made in grad mode itself, but taken from a view made under no_grad)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    with tg.no_grad():
        v = y[0:2]
    w = v[:][0:2]
    y[0] = x[1] * 1.0
    with pytest.raises(RuntimeError, match="made under no_grad"):
        w * 3.0


@pytest.mark.parametrize("write", ["into the view", "into its base", "then hooks", "no_grad"])
def test_a_chain_of_views_deeper_than_the_recursion_limit(write: str) -> None:
    # (torch's views all point at the tensor owning the memory: any depth works)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    v = y
    depth = 3 * sys.getrecursionlimit()
    for i in range(depth):
        if write == "no_grad" and i == depth // 2:  # (one view in the middle made under no_grad)
            with tg.no_grad():
                v = v[:]
        else:
            v = v[:]
    if write == "no_grad":
        y += 1.0
        with pytest.raises(RuntimeError, match="made under no_grad"):
            v * 2.0
        return
    if write == "into the view":
        v += 1.0
    else:
        y += 1.0
    if write == "then hooks":
        v.retain_grad()
        seen = []
        v.register_hook(seen.append)
    tg.sum(v * v).backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 6.0, 8.0])
    if write == "then hooks":
        np.testing.assert_array_equal(v.grad.data, [4.0, 6.0, 8.0])
        assert len(seen) == 1


def test_retains_grad_of_a_stale_view_is_read_without_rebasing_it() -> None:
    # (it rebased, so a view made under no_grad raised after a write into its base; torch False)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    with tg.no_grad():
        v = y[0:2]
    w = y[0:2]
    w.retain_grad()
    y += 1.0
    assert v.retains_grad is False and v.grad is None
    assert w.retains_grad is True
    tg.sum(w * w).backward()
    np.testing.assert_array_equal(w.grad.data, [4.0, 6.0])


def test_retain_grad_follows_a_rebased_view() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    v = y[0:2]
    v.retain_grad()
    a = tg.sum(v * 2.0)
    y[0] = x[2] * 5.0
    (a + tg.sum(v * 3.0)).backward()
    np.testing.assert_array_equal(v.grad.data, [3.0, 3.0])  # of its new value, as torch
    np.testing.assert_array_equal(x.grad.data, [2.0, 5.0, 15.0])


def test_unrecorded_writes_into_views_stay_unrecorded() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    v = y[1:]
    with tg.no_grad():
        v[0] = 7.0
        v += 1.0
    assert y.grad_fn.name not in ("SetItem", "SetView")
    np.testing.assert_array_equal(y.data, [2.0, 8.0, 7.0])
    tg.sum(y * tg.tensor([1.0, 10.0, 100.0])).backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 20.0, 200.0])  # the old graph, as torch


WRITES = {
    "setitem_chain": lambda x, w, y: y[0].__setitem__(1, w[0] * w[1]),
    "setitem_row_view": lambda x, w, y: y[1].__setitem__(slice(0, 2), w * x[0, :2]),
    "iadd_reshape": lambda x, w, y: y.reshape(3, 2)[1].__iadd__(w),
    "isub_transpose": lambda x, w, y: y.T[2].__isub__(w * 3.0),
    "imul_slice": lambda x, w, y: y[:, 1:].__imul__(x[:, :2] * w),
    "idiv_int_0d": lambda x, w, y: y[1, 2].__itruediv__(w[0] + 3.0),
    "ipow_view_of_view": lambda x, w, y: y.T[1:][0].__ipow__(w[0] + 1.0),
    "negative_step": lambda x, w, y: y[:, ::-1].__setitem__((0, slice(0, 2)), w * 2.0),
    "flip": lambda x, w, y: tg.flip(y, 0)[0, 1:].__imul__(w),
    "expand_dims": lambda x, w, y: tg.expand_dims(y, 0)[0, :, 1].__iadd__(w),
    "advanced_index": lambda x, w, y: y[1].__setitem__([0, 2], w * 5.0),
}


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_a_recorded_write_into_a_view_reaches_its_base(kind: str) -> None:
    # (PyTorch records it on the base, CopySlices: the base and every view see the write, and
    # the written value gets its gradient); checked against finite differences
    def f(x: tg.Tensor, w: tg.Tensor) -> tg.Tensor:
        y = x * 1.0
        early = y[0:2, 0:2]  # a view taken before the write, used after it
        WRITES[kind](x, w, y)
        return tg.sum(y * tg.tensor(C6)) + tg.sum(early * early)

    x = tg.tensor(X6, requires_grad=True)
    w = tg.tensor([1.5, -0.5], requires_grad=True)
    assert tg.gradcheck(f, (x, w))
    assert tg.gradgradcheck(f, (x, w))


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_a_write_into_a_view_with_fortran_ordered_derivatives(kind: str) -> None:
    # read through a transpose, the gradient reaching the write is Fortran-ordered, as is the
    # tangent below: a reshape of it copied, and the write's part went into the copy
    def y_of(x: tg.Tensor, w: tg.Tensor) -> tg.Tensor:
        y = x * 1.0
        WRITES[kind](x, w, y)
        return y

    def f(x: tg.Tensor, w: tg.Tensor) -> tg.Tensor:
        return tg.sum(y_of(x, w).T * tg.tensor(C6.T))

    x = tg.tensor(X6, requires_grad=True)
    w = tg.tensor([1.5, -0.5], requires_grad=True)
    assert tg.gradcheck(f, (x, w))
    assert tg.gradgradcheck(f, (x, w))
    tangents = (np.asfortranarray(C6), np.array([0.25, 2.0]))
    _, by_f = tg.jvp(y_of, (X6, w.data), tangents)
    _, by_c = tg.jvp(y_of, (X6, w.data), tuple(np.ascontiguousarray(t) for t in tangents))
    np.testing.assert_array_equal(by_f.data, by_c.data)


def test_a_recorded_write_into_a_view_by_hand() -> None:
    w = tg.tensor(2.0, requires_grad=True)
    y = tg.zeros(2, 3)
    row = y[0]
    y[0][1] = w  # into a temporary view of y
    assert y.grad_fn.name == "SetView"
    np.testing.assert_array_equal(row.data, [0.0, 2.0, 0.0])
    assert row.requires_grad  # (rebased onto the write)
    col = y[:, 1]
    col *= w  # y[:, 1] is now [w*w, 0]
    tg.sum(y * tg.tensor(C6)).backward()
    np.testing.assert_array_equal(y.data, [[0.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    assert w.grad.item() == -1.0 * 2 * 2.0
    # the augmented form of a subscript writes through the view and then through y itself
    x = tg.tensor(X6, requires_grad=True)
    v = tg.tensor([1.0, 2.0], requires_grad=True)
    z = x * 1.0
    z[0, 0:2] += v
    z.T[1] *= v
    tg.sum(z * tg.tensor(C6)).backward()
    np.testing.assert_array_equal(z.data, [[2.0, 4.0, 3.0], [4.0, 10.0, 6.0]])
    np.testing.assert_array_equal(x.grad.data, [[2.0, -1.0, 3.0], [0.5, 8.0, -2.0]])
    # z00 = x00 + v0, z01 = (x01 + v1) v0, z11 = x11 v1
    np.testing.assert_array_equal(v.grad.data, [2.0 - 1.0 * 4.0, -1.0 * 1.0 + 4.0 * 5.0])


def test_views_that_cannot_take_a_write() -> None:
    # a broadcast view is read-only (one element stands for many), as in NumPy
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    b = tg.broadcast_to(y, (3, 2))
    with pytest.raises(ValueError, match="read-only"):
        b[0, 0] = x[0]
    # writing into a view of a leaf that requires grad is refused, as in PyTorch
    with pytest.raises(RuntimeError, match="view .* of a leaf tensor that requires grad"):
        x[0:1] += 1.0
    # a view made under no_grad cannot take a recorded write outside it (PyTorch neither)
    with tg.no_grad():
        v = y[0:1]
    with pytest.raises(RuntimeError, match="made under no_grad"):
        v[0] = 3.0
    plain = tg.zeros(2)
    with tg.no_grad():
        pv = plain[0:1]
    pv[0] = 3.0  # (nothing to record: fine)
    with pytest.raises(RuntimeError, match="made under no_grad"):
        pv[0] = x[1]
    np.testing.assert_array_equal(y.data, [1.0, 2.0])
    np.testing.assert_array_equal(plain.data, [3.0, 0.0])


def test_a_reshape_that_copies_is_no_view() -> None:
    x = tg.tensor(X6, requires_grad=True)
    y = x * 1.0
    flat = y.T.reshape(6)  # NumPy (and torch) copy here
    y[0, 0] = 10.0
    assert flat.data[0] == 1.0 and flat.version == 0
    w = tg.tensor(2.0, requires_grad=True)
    flat[1] = w  # its own tensor: y does not see it
    assert y.data[1, 0] == 4.0
    tg.sum(flat * 3.0).backward()
    assert w.grad.item() == 3.0
    np.testing.assert_array_equal(x.grad.data, [[3.0, 3.0, 3.0], [0.0, 3.0, 3.0]])


def test_a_write_into_a_view_of_a_detached_tensor_stays_off_the_graph() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    node = y.grad_fn
    d = y.detach()
    w = tg.tensor(4.0, requires_grad=True)
    d[0:2][0] = w  # recorded on d (as torch): y's graph is not the detached tensor's
    assert d.grad_fn.name == "SetView" and y.grad_fn is node
    (tg.sum(d * 2.0) + tg.sum(y)).backward()
    assert w.grad.item() == 2.0
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])


def test_forward_mode_through_views_and_writes() -> None:
    x0, t0 = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([10.0, 20.0, 30.0])

    def stale(x: tg.Tensor) -> tg.Tensor:
        y = x * 1
        v = y[0:2]
        y[0] = 5.0
        return v * 3

    out, tangent = tg.jvp(stale, (x0,), (t0,))
    np.testing.assert_array_equal(out.data, [15.0, 6.0])
    np.testing.assert_array_equal(tangent.data, [0.0, 60.0])

    def into_view(x: tg.Tensor) -> tg.Tensor:
        y = tg.zeros(3)
        v = y[0:2]
        v[1] = x[2] * 7
        w = y[1:]
        w *= x[:2]
        return y + v.sum()

    out, tangent = tg.jvp(into_view, (x0,), (t0,))
    # y = [0, 7 x2 x0, 0] and v.sum() = y[1]: the tangent of 7 x2 x0 is 7 (30 * 1 + 3 * 10)
    np.testing.assert_array_equal(out.data, [21.0, 42.0, 21.0])
    np.testing.assert_array_equal(tangent.data, [420.0, 840.0, 420.0])
    np.testing.assert_allclose(tg.jacfwd(into_view)(x0).data, tg.jacrev(into_view)(x0).data)
    # a write into the argument inside jvp changes the caller's values, never its tangents
    y0 = tg.tensor([1.0, 2.0, 3.0])
    tg.jvp(lambda y: y.__setitem__(0, 5.0) or y * 2, (y0,), (t0,))
    assert y0._fw is None and y0.data[0] == 5.0


def test_unrecorded_views_are_watched_weakly_and_forgotten_when_dead() -> None:
    import weakref

    y = tg.zeros(4)
    kept = [y[0:2] for _ in range(10)]
    for _ in range(5000):
        y[1:3]  # made and dropped
    ref = weakref.ref(y[2:])
    assert ref() is None  # (the watch keeps no view alive)
    assert len(y._version[4]) < 200  # (nor grows without bound)
    w = tg.tensor(2.0, requires_grad=True)
    y[0] = w
    assert all(k.requires_grad for k in kept)


def test_a_view_of_a_leaf_made_under_no_grad_is_not_written_outside_it() -> None:
    # (it changed the leaf with no error; torch raises)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with tg.no_grad():
        v = x[0:2]
    with pytest.raises(RuntimeError, match="view .* of a leaf tensor that requires grad"):
        v += 1.0
    with pytest.raises(RuntimeError, match="view .* of a leaf tensor that requires grad"):
        v[0] = 5.0
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    with tg.no_grad():
        v += 1.0  # inside no_grad: the user means it
    np.testing.assert_array_equal(x.data, [2.0, 3.0, 3.0])
    d = x.detach()
    d += 1.0  # a detached tensor may be written, as in torch
    np.testing.assert_array_equal(x.data, [3.0, 4.0, 4.0])


def test_unrecorded_write_into_a_broadcast_view_names_the_op() -> None:
    b = tg.broadcast_to(tg.zeros(3), (2, 3))
    with pytest.raises(ValueError, match=r"^\+=: cannot write into a read-only tensor.*broadcast"):
        b += 1.0
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    t = tg.from_numpy(frozen)  # (the message blamed a broadcast_to view here too)
    with pytest.raises(ValueError, match=r"read-only tensor of shape \(3,\) \(its array is"):
        t += 1.0
    same = tg.broadcast_to(tg.zeros(3) * 1.0, (3,))  # (no stride 0: still a broadcast_to view)
    with pytest.raises(ValueError, match=r"a broadcast_to view, or a view of one, is read-only"):
        same += 1.0


def _weights(n: int) -> tg.Tensor:
    return tg.tensor(10.0 ** np.arange(n))


def _index_cases() -> dict:
    """For each op that reads a constant array (an index, mask, condition, target or bound) in
    its rules: (forward, a write into that array after it, the wrt tensor, its gradient)."""
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    F = tg.nn.functional
    idx, nd, mask = tg.tensor([0, 1]), np.array([0, 1]), np.array([True, False, True, False])
    cond, lo = tg.tensor([True, False, True, False]), tg.tensor([0.0, 0.0, 0.0, 0.0])
    logits = tg.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]], requires_grad=True)
    target = tg.tensor([0, 2])
    p = np.exp(logits.data) / np.exp(logits.data).sum(axis=1, keepdims=True)
    w = tg.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], requires_grad=True)
    tokens, pos = tg.tensor([0, 2]), tg.tensor([0, 1])

    def written() -> tg.Tensor:
        z = x * 1.0
        z[pos] = tg.tensor([5.0, 6.0])
        return (z * _weights(4)).sum()

    return {
        "getitem Tensor": (
            lambda: (x[idx] * _weights(2)).sum(),
            lambda: idx.__setitem__(1, 3),
            x,
            [1, 10, 0, 0],
        ),
        "getitem ndarray": (
            lambda: (x[nd] * _weights(2)).sum(),
            lambda: nd.__setitem__(1, 3),
            x,
            [1, 10, 0, 0],
        ),
        "bool mask": (
            lambda: (x[mask] * _weights(2)).sum(),
            lambda: mask.__setitem__(1, 1),
            x,
            [1, 0, 10, 0],
        ),
        "setitem": (written, lambda: pos.__setitem__(1, 3), x, [0, 0, 100, 1000]),
        "where": (
            lambda: (tg.where(cond, x, 0.0) * _weights(4)).sum(),
            lambda: cond.__setitem__(1, True),
            x,
            [1, 0, 100, 0],
        ),
        "clip": (
            lambda: (tg.clip(x, lo, 2.5) * _weights(4)).sum(),
            lambda: lo.__setitem__(0, 5.0),
            x,
            [1, 10, 0, 0],
        ),
        "cross_entropy": (
            lambda: F.cross_entropy(logits, target),
            lambda: target.__setitem__(0, 1),
            logits,
            (p - np.eye(3)[[0, 2]]) / 2,
        ),
        "embedding": (
            lambda: (F.embedding(tokens, w) * tg.tensor([[1.0], [10.0]])).sum(),
            lambda: tokens.__setitem__(0, 1),
            w,
            [[1, 1], [0, 0], [10, 10]],
        ),
    }


@pytest.mark.parametrize("name", list(_index_cases()))
def test_a_write_into_a_constant_array_after_the_forward_changes_no_gradient(name: str) -> None:
    """Torch copies an index and raises for a changed saved tensor; the arrays the rules read
    here are copies, so backward uses the values the forward used."""
    forward, write, wrt, expected = _index_cases()[name]
    out = forward()
    write()
    out.backward()
    np.testing.assert_allclose(wrt.grad.data, np.asarray(expected, dtype=float), rtol=1e-12)


def test_a_view_that_is_itself_a_leaf_requiring_grad_refuses_in_place_writes() -> None:
    """As torch: a view given requires_grad (its base needs none) is a leaf; writing into it,
    or into a view of it, outside no_grad raises and changes nothing."""
    base = tg.zeros(3)
    view = base[1:]
    view.requires_grad_()
    inner = view[1:]
    for write in (
        lambda: view.__iadd__(1.0),
        lambda: view.__setitem__(Ellipsis, tg.tensor([2.0, 3.0], requires_grad=True)),
        lambda: inner.__imul__(2.0),
    ):
        with pytest.raises(RuntimeError, match="leaf requiring grad"):
            write()
    np.testing.assert_array_equal(base.data, [0.0, 0.0, 0.0])
    assert view.is_leaf and view.grad_fn is None
    with tg.no_grad():
        view += 1.0
    np.testing.assert_array_equal(base.data, [0.0, 1.0, 1.0])


def test_overwritten_positions_get_zero_gradient_even_from_an_inf_delta():
    # (the rules multiplied delta by a 0/1 mask: inf * 0 gave NaN where torch gives 0)
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    y = a * 1.0
    y[0] = 5.0
    (y * tg.tensor([np.inf, 1.0])).sum().backward()
    assert a.grad.data.tolist() == [0.0, 1.0]
    b = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    z = b * 1.0
    view = z[1:]
    view[...] = 5.0  # (through a view: SetView)
    (z * tg.tensor([1.0, np.inf, np.nan])).sum().backward()
    assert b.grad.data.tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(("vshape", "index"), [((1, 1, 3), 0), ((1, 3), 0), ((1, 2, 3), [0, 1])])
def test_setitem_value_with_extra_leading_axes_gets_its_gradient(vshape, index):
    # (NumPy and torch accept such a value; backward raised IndexError or a reshape error)
    x = tg.tensor(np.zeros((2, 3)), requires_grad=True)
    v = tg.tensor(np.ones(vshape), requires_grad=True)
    y = x * 1.0
    y[index] = v
    gx, gv = tg.autograd.grad((y * y).sum(), [x, v])
    assert gv.shape == vshape
    np.testing.assert_array_equal(gv.data, np.full(vshape, 2.0))


def test_detach_in_place_of_a_saved_output_still_sees_later_writes() -> None:
    # (detach_ cut the node before a version cell linked it: the write went unseen, torch raises)
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    y = tg.exp(x)
    s = y.sum()
    y.detach_()
    y += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        s.backward()


def test_a_detached_tensor_can_be_written_into_twice() -> None:
    # (the second write was refused as if it were a transform's stand-in for the leaf)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    d = w.detach()
    d += v
    d += v
    d.sum().backward()
    np.testing.assert_array_equal(v.grad.data, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("freeze", ["requires_grad_", "detach_"])
def test_a_leaf_made_non_leaf_by_a_write_drops_its_leaf_hooks(freeze: str) -> None:
    # (torch's hooks on a leaf stay with the leaf it was: the new value's gradient skips them)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    s = tg.tensor(2.0, requires_grad=True)
    x.register_hook(lambda g: g * 100.0)
    x.requires_grad_(False) if freeze == "requires_grad_" else x.detach_()
    x /= s
    y = tg.sum(x * tg.tensor([1.0, 10.0]))
    (g,) = tg.autograd.grad(y, [x], retain_graph=True)
    np.testing.assert_array_equal(g.data, [1.0, 10.0])
    x.retain_grad()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 10.0])
    assert s.grad.item() == -(1.0 + 20.0) / 4.0


@pytest.mark.parametrize("freeze", ["requires_grad_", "detach_"])
def test_a_write_into_a_view_of_a_leaf_frozen_since_raises(freeze: str) -> None:
    x = tg.tensor(X6, requires_grad=True)
    v = x.T  # recorded while x required grad
    x.requires_grad_(False) if freeze == "requires_grad_" else x.detach_()
    with pytest.raises(RuntimeError, match=r"setitem: a view \(shape \(3, 2\)\) of a leaf"):
        v[0] = 1.5
    np.testing.assert_array_equal(x.data, X6)
    with tg.no_grad():
        v[0] = 1.5  # (unrecorded: allowed, as torch)
    assert x.data[0, 0] == 1.5


def test_a_leaf_moved_into_the_graph_interior_raises_in_backward() -> None:
    # a leaf the graph used, then made a non-leaf by a recorded write: its gradient has nowhere
    # to go (torch raises too); no .grad changes
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    s = tg.tensor(2.0, requires_grad=True)
    y = tg.sum(x * 3.0)
    x.requires_grad_(False)
    x[:] = s
    with pytest.raises(RuntimeError, match=r"shape \(2,\) .* moved into the graph interior"):
        (y + tg.sum(x)).backward()
    with pytest.warns(UserWarning, match="not a leaf"):  # (both are inner tensors now)
        assert s.grad is None and x.grad is None


def test_a_stale_node_above_a_frozen_leaf_raises_as_torch() -> None:
    # only a finished transform's own leaves let backward skip a node whose saved tensor was
    # written: a user's leaf frozen after the forward does not (a retained .grad or a hook
    # on the way would silently get nothing)
    x = tg.tensor([-2.0, 1.0, 2.5], requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    z = tg.minimum(y + 0.5, x)  # saves x
    x.requires_grad_(False)
    x -= 1.0
    with pytest.raises(RuntimeError, match="saved by Minimum"):
        tg.sum(z).backward()


def test_a_leaf_view_rebased_onto_a_write_drops_its_leaf_hooks() -> None:
    # a view made to require grad itself, rebased once a recorded write into its base gives it
    # a graph: its leaf hooks stay behind, as torch's (checked against torch 2.13)
    b = tg.zeros(3)
    v = b[0:2]
    v.requires_grad_()
    v.register_hook(lambda g: g * 100.0)
    b[2] = tg.tensor(2.0, requires_grad=True)
    y = tg.sum(v * tg.tensor([1.0, 10.0]))
    v.retain_grad()
    y.backward()
    np.testing.assert_array_equal(v.grad.data, [1.0, 10.0])


@pytest.mark.parametrize("freeze", ["requires_grad_", "detach_"])
def test_a_view_of_a_frozen_leaf_is_rebased_onto_a_recorded_write(freeze: str) -> None:
    # (its views were not marked stale, so backward reached the leaf as a leaf: w got nothing)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x[0:2]  # recorded while x required grad
    x.requires_grad_(False) if freeze == "requires_grad_" else x.detach_()
    w = tg.tensor(5.0, requires_grad=True)
    x[0] = w
    tg.sum(v * tg.tensor([2.0, 3.0])).backward()
    assert w.grad.item() == 2.0
    np.testing.assert_array_equal(v.data, [5.0, 2.0])


def test_a_no_grad_view_of_a_leaf_frozen_later_refuses_a_recorded_write_s_graph() -> None:
    # (as for a base that never required grad: the write's gradient cannot reach the view;
    # the view was not watched, so it silently kept the old values' constant graph)
    a = tg.tensor(X6, requires_grad=True)
    w = tg.tensor(2.0, requires_grad=True)
    with tg.no_grad():
        v = a[0]
    a.requires_grad_(False)
    a[0] = w
    with pytest.raises(RuntimeError, match="made under no_grad is used in a recorded op"):
        v * 1.0


def test_a_view_of_a_frozen_leaf_takes_the_tangents_of_a_forward_mode_write() -> None:
    a = tg.tensor(X6, requires_grad=True)
    v = a[0]
    a.requires_grad_(False)

    def f(x: tg.Tensor) -> tuple[tg.Tensor, tg.Tensor]:
        a[0] = x
        return v * 1.0, a[0] * 1.0

    _, (tv, ta) = tg.jvp(f, (tg.tensor([1.0, 2.0, 3.0]),), (tg.tensor([10.0, 20.0, 30.0]),))
    np.testing.assert_array_equal(tv.data, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(ta.data, [10.0, 20.0, 30.0])


def test_a_write_into_a_view_of_a_broadcast_view_names_the_broadcast() -> None:
    # (it blamed from_numpy: "as from_numpy of a read-only array gives it")
    b = tg.ones((2, 4), requires_grad=True) * 1
    with pytest.raises(ValueError, match="a broadcast_to view, or a view of one, is read-only"):
        tg.broadcast_to(b, (3, 2, 4))[0][...] = 5


_F = tg.nn.functional


@pytest.mark.parametrize(
    ("fn", "array_shape", "leaf_shape"),
    [
        (lambda a, t: tg.outer(a, t), (2,), (3,)),
        (lambda a, t: tg.outer(t, a), (2,), (3,)),
        (lambda a, t: tg.tensordot(a, t, axes=([0], [0])), (3, 2), (3, 4)),
        (lambda a, t: _F.conv2d(a, t), (1, 3, 3), (1, 1, 2, 2)),  # (an unbatched input)
        (lambda a, t: _F.batch_norm(t, None, None, a, None, training=True), (2,), (4, 2)),
        (lambda a, t: _F.batch_norm(t, np.zeros(2), np.ones(2), a, None), (2,), (4, 2)),
        (
            lambda a, t: _F.cross_entropy(t, np.array([0, 1, 1]), weight=a, label_smoothing=0.1),
            (2,),
            (3, 2),
        ),
    ],
)
def test_a_numpy_operand_written_after_the_forward_does_not_change_the_gradient(
    fn, array_shape, leaf_shape
) -> None:
    # (reshaped or moved by tensorgrad's own view ops, a NumPy operand became a Tensor viewing
    # the caller's array, saved uncopied: outer, tensordot, an unbatched conv2d input and
    # batch_norm's weight gave gradients of the values written after the forward)
    rng = np.random.default_rng(0)
    start = rng.uniform(0.5, 1.5, array_shape)
    leaf = tg.tensor(rng.standard_normal(leaf_shape), requires_grad=True)
    grads = []
    for write in (False, True):
        a = start.copy()
        out = fn(a, leaf)
        if write:
            a[...] = 7.0
        v = np.cos(np.arange(out.size, dtype=float)).reshape(out.shape)
        (g,) = tg.autograd.grad(out, [leaf], v, create_graph=True)
        s = (g * g).sum()
        h = tg.autograd.grad(s, [leaf])[0].data if s.requires_grad else np.zeros(leaf_shape)
        grads.append((g.data, h))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_writes_before_a_node_was_recorded_or_elsewhere_raise_nothing() -> None:
    # (a write is stale only if later than the node: an unrelated write moving the clock, or
    # the write that made x, is no error)
    x = tg.tensor(np.ones(3), requires_grad=True)
    with tg.no_grad():
        x += 1
    y = (x * x).sum()
    z = tg.tensor(np.zeros(3))
    z += 1
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0, 4.0])
    w = tg.tensor(np.zeros(3), requires_grad=True)
    e = w.exp()  # (saves its output)
    e.detach()
    z += 1
    e.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("second", [True, False])
def test_a_stale_view_as_either_operand_is_rebased(second: bool) -> None:
    a = tg.tensor(np.ones(3), requires_grad=True)
    b = a * 1
    v = b[:2]
    b *= 3  # (v sees the write: its gradient goes through it)
    c = tg.tensor(np.ones(2))
    ((c * v) if second else (v * c)).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 3.0, 0.0])


def test_add_at_is_a_recorded_scatter_add() -> None:
    rng = np.random.default_rng(0)
    src, idx = rng.normal(size=(6, 3)), np.array([0, 2, 2, 1, 0, 2])
    s = tg.tensor(src, requires_grad=True)
    out = tg.zeros((4, 3), dtype=np.float64)
    version = out.version
    assert np.add.at(out, idx, s) is None  # (in place, as NumPy's)
    want = np.zeros((4, 3))
    np.add.at(want, idx, src)
    np.testing.assert_array_equal(out.data, want)
    assert out.version > version and out.requires_grad
    w = rng.normal(size=(4, 3))
    (out * w).sum().backward()
    np.testing.assert_array_equal(s.grad.data, w[idx])  # each row's gradient: its target's
    # on a non-leaf, subtract.at with repeats; the tensor's own gradient passes through
    x = tg.tensor(rng.normal(size=5), requires_grad=True)
    y = x * 2
    np.subtract.at(y, [0, 0, 3], 1.5)
    np.testing.assert_allclose(y.data, x.data * 2 - [3.0, 0, 0, 1.5, 0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full(5, 2.0))
    # forward mode and second order
    _, tangent = tg.jvp(
        lambda v: _added_at((4, 3), idx, v), (tg.tensor(src),), (tg.tensor(np.ones((6, 3))),)
    )
    np.testing.assert_array_equal(tangent.data, np.bincount(idx, minlength=4)[:, None] * [1, 1, 1])
    s = tg.tensor(src, requires_grad=True)
    (g,) = tg.autograd.grad(_added_at((4, 3), idx, s**2).sum(), s, create_graph=True)
    (h,) = tg.autograd.grad(g.sum(), s)
    np.testing.assert_array_equal(h.data, np.full((6, 3), 2.0))


def _added_at(shape: tuple, idx: np.ndarray, v: tg.Tensor) -> tg.Tensor:
    out = tg.zeros(shape, dtype=np.float64)
    np.add.at(out, idx, v)
    return out


def test_add_at_refusals_leave_the_tensor_as_it_was() -> None:
    leaf = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="np.add.at: a leaf"):
        np.add.at(leaf, [0], 1.0)
    t = tg.tensor([1.0, 2.0, 3.0])
    for call, error, pattern in [
        (lambda: np.add.at(t, [0, 1], np.ones(3)), ValueError, r"values of shape \(3,\)"),
        (lambda: np.add.at(t, [5], 1.0), IndexError, "np.add.at: index 5 is out of bounds"),
        (lambda: np.add.at(tg.zeros(2, dtype=np.int64), [0], 0.5), TypeError, "cannot cast"),
        (lambda: np.multiply.at(t, [0], 2.0), ValueError, "np.multiply.at would write"),
    ]:
        with pytest.raises(error, match=pattern):
            call()
        np.testing.assert_array_equal(t.data, [1.0, 2.0, 3.0])


def test_add_at_takes_numpys_values_where_the_write_is_not_recorded() -> None:
    t = tg.tensor(np.arange(5.0))
    np.add.at(t, [0, 0], True)  # (bools as numbers: a repeat adds again)
    assert t.data[0] == 2.0
    u = tg.tensor(np.zeros(3, np.uint8))
    np.add.at(u, [0, 0], 1)  # (a Python int is weak: uint8 stays uint8)
    np.testing.assert_array_equal(u.data, [2, 0, 0])
    with pytest.raises(ValueError, match="np.add.at: Python integer 300 out of bounds"):
        np.add.at(u, [0], 300)
    w = tg.tensor(np.zeros(3))
    np.add.at(w, (), 1.0)  # (an empty index: every entry, as NumPy)
    np.testing.assert_array_equal(w.data, [1.0, 1.0, 1.0])
    big = tg.tensor(np.array([1e16]))
    np.add.at(big, [0] * 1000, 1.0)  # (NumPy's one add at a time: each 1 is lost)
    assert big.data[0] == 1e16
    # recorded: a bool value into a float tensor that requires grad through its graph
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.zeros(2, dtype=np.float64) * x
    np.add.at(y, [0, 0], True)
    np.testing.assert_array_equal(y.data, [2.0, 0.0])


def test_add_at_unrecorded_bumps_the_version() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = tg.tensor([1.0, 1.0, 1.0])
    y = (x * t).sum()  # (saves t)
    version = t.version
    np.add.at(t, [0], 10.0)
    assert t.version > version
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    # at 32 dimensions still NumPy's own ufunc.at (one add at a time: the 1 is lost)
    u = tg.ones((2,) + (1,) * 31, dtype=np.float32)
    v = np.array([1e8, 1.0, -1e8], np.float32).reshape((3,) + (1,) * 31)
    np.add.at(u, np.array([0, 0, 0]), v)
    assert u.data.reshape(-1)[0] == 0.0
