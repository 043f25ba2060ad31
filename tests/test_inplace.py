"""In-place writes: version counters, leaf protection, recorded in-place on non-leaves."""

from __future__ import annotations

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


def test_a_view_used_after_a_recorded_write_to_its_base_is_refused() -> None:
    # (its graph described the base's old values: the gradient was silently wrong; torch
    # rebases the view, tensorgrad refuses it until it does)
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    v = y[0:2]
    y[0] = 5.0
    with pytest.raises(RuntimeError, match="used after an in-place write to the tensor it views"):
        v * 3.0
    w = y[0:2]  # taken after the write: fine
    tg.sum(w * 3.0).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 6.0, 0.0])
    # a view consumed before the write is fine too
    x2 = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y2 = x2 * 2.0
    early = y2[0:2] * 3.0
    y2[0] = 5.0
    (tg.sum(early) + tg.sum(y2)).backward()
    np.testing.assert_array_equal(x2.grad.data, [6.0, 8.0, 2.0])


def test_a_recorded_write_into_a_view_is_refused() -> None:
    # (writing a value that requires grad through a view left the viewed tensor without the
    # write in its graph: w's gradient was lost)
    w = tg.tensor(2.0, requires_grad=True)
    y = tg.zeros(2, 3)
    with pytest.raises(RuntimeError, match="into a view .* is not supported"):
        y[0][1] = w
    row = y[1]
    with pytest.raises(RuntimeError, match="into a view .* is not supported"):
        row += w
    assert not y.data.any() and y.version == 0  # nothing half-written
    y[0, 1] = w  # into the tensor itself: recorded
    tg.sum(y * 3.0).backward()
    assert w.grad.item() == 3.0


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
