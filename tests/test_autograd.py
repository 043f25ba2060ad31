"""Backward: accumulation, retain_graph, hooks, errors, scale, lifetimes, seed figures."""

from __future__ import annotations

import gc
import warnings
import weakref
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.ops.arithmetic import Multiply, Scale


def test_first_example() -> None:
    a = tg.tensor(4.0, requires_grad=True)
    b = tg.tensor(3.0, requires_grad=True)
    d = a * (a + b)
    d.backward()
    assert d.item() == 28.0
    assert a.grad.item() == 11.0 and b.grad.item() == 4.0


def test_seed_rational_function() -> None:
    a = tg.tensor(230.3, requires_grad=True)
    b = tg.tensor(33.2, requires_grad=True)
    y = (a / b - a) * (b / a + a + b) * (a - b)
    y.backward()
    assert a.grad.item() == pytest.approx(-153284.83150602411, rel=1e-12)
    assert b.grad.item() == pytest.approx(3815.0389441500993, rel=1e-12)


def test_seed_sin_exp_log() -> None:
    a = tg.tensor(43.0, requires_grad=True)
    b = tg.tensor(3.0, requires_grad=True)
    c = tg.tensor(2.0, requires_grad=True)
    y = tg.log((tg.sin(a * b) + tg.exp(c - a / b)) ** 2) * c
    y.backward()
    assert a.grad.item() == pytest.approx(60.85353612046653, rel=1e-12)
    assert b.grad.item() == pytest.approx(872.2331479536114, rel=1e-12)
    assert c.grad.item() == pytest.approx(-3.2853671032530305, rel=1e-12)


def test_x_times_x() -> None:
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, -4.0, 6.0])


def test_gradient_accumulates_across_backward_calls() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 7.0])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_grad_does_not_share_memory_with_cotangent() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    v = np.array([1.0, 1.0])
    (x + 0).backward(v)
    x.grad.data += 1
    np.testing.assert_array_equal(v, [1.0, 1.0])


def test_repeated_indices_accumulate() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


def test_boolean_mask_index() -> None:
    x = tg.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.data, [1.0, 3.0])
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 0.0], [2.0, 0.0]])


def test_zero_size() -> None:
    x = tg.zeros(0, 3, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    assert y.item() == 0.0 and x.grad.shape == (0, 3)


def test_non_scalar_backward_needs_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient must be given"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0])


def test_gradient_shape_must_match() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_second_backward_needs_retain_graph() -> None:
    x = tg.tensor(2.0, requires_grad=True)
    y = tg.exp(x) * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 3 * np.exp(2.0))
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_integer_tensor_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating"):
        tg.tensor([1, 2], requires_grad=True)
    t = tg.tensor([1, 2])
    assert t.dtype == np.int64 and not t.requires_grad


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"add.*\(2, 3\).*\(4,\)"):
        tg.ones(2, 3) + tg.ones(4)
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        tg.ones(2, 3) @ tg.ones(4, 5)


def test_bad_rule_is_caught_with_op_and_shapes() -> None:
    class Broken(Multiply):
        def generate_adjoints(self, adjoints, delta, a, b):
            adjoints[0] = delta * b  # forgot to unbroadcast

    from tensorgrad.ops._base import call

    x = tg.ones(3, requires_grad=True)
    y = call(Broken, x, tg.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"Broken.*\(2, 3\).*\(3,\)"):
        y.sum().backward()


def test_unsupported_numpy_function_raises() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="np.fft.fft|fft"):
        np.fft.fft(x)
    with pytest.raises(TypeError, match="np.histogram"):
        np.histogram(x)
    with pytest.raises(TypeError, match="add.reduceat"):
        np.add.reduceat(x, [0])


def test_hooks_and_retain_grad() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    y = x * 3
    y.retain_grad()
    remove = y.register_hook(lambda g: g * 2)
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])
    np.testing.assert_array_equal(seen[0], [6.0, 6.0])
    remove()


@pytest.mark.parametrize("leaf", [True, False])
def test_a_hook_handle_removes_its_own_registration_once(leaf: bool) -> None:
    """As torch's handle: the same function registered twice is two registrations; removing
    one keeps the order of the rest, and a second remove does nothing."""

    def double(g: tg.Tensor) -> tg.Tensor:
        return g * 2

    def add_one(g: tg.Tensor) -> tg.Tensor:
        return g + 1

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    t = x if leaf else x * 1.0
    first = t.register_hook(double)
    t.register_hook(add_one)
    last = t.register_hook(double)
    last.remove()
    last.remove()
    t.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])  # (1 * 2) + 1, not (1 + 1) * 2
    x.grad = None
    first()  # (a handle is also callable)
    with t.register_hook(double):
        pass  # (and a context manager)
    t.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_detach_and_no_grad() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None
    z = x.detach() * 2
    assert not z.requires_grad

    @tg.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with tg.no_grad():
        with tg.enable_grad():
            assert (x * 2).requires_grad
    assert tg.is_grad_enabled()


def test_grad_mode_is_per_thread() -> None:
    import threading

    results = {}

    def worker() -> None:
        results["other"] = tg.is_grad_enabled()

    with tg.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert results["other"] is True


def test_autograd_grad_does_not_touch_grad() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.autograd.grad((x**2).sum(), x)
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    assert x.grad is None
    y = tg.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        tg.autograd.grad((x * 2).sum(), [x, y])
    assert tg.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)[1] is None


def test_million_op_chain() -> None:
    x = tg.tensor([0.5], requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward(np.ones(1))
    assert x.grad.data[0] == 1.0


def test_nested_diamonds_visit_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    original = Scale.generate_adjoints  # y * 0.5 by a Python float is a Scale op

    def counting(self, adjoints, delta):
        calls["n"] += 1
        return original(self, adjoints, delta)

    monkeypatch.setattr(Scale, "generate_adjoints", counting)
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 0.5 + y * 0.5
    y.backward()
    assert calls["n"] == 400  # two multiplies per diamond, each rule run exactly once
    assert x.grad.item() == pytest.approx(1.0)


def test_intermediates_freed_after_backward() -> None:
    gc.disable()
    try:
        x = tg.tensor(np.ones(5), requires_grad=True)
        h = tg.tanh(x * 2)
        ref = weakref.ref(h)
        node_ref = weakref.ref(h.grad_fn)
        out = (h * 3).sum()
        del h
        out.backward()
        assert ref() is None  # freed by backward while the output is still referenced
        assert out.grad_fn is not None and out.grad_fn.released
        del out
        assert node_ref() is None  # no reference cycles: freed without the collector
    finally:
        gc.enable()


def test_tensor_weakref_and_hash() -> None:
    t = tg.tensor([1.0])
    r = weakref.ref(t)
    d = {t: 1}
    assert r() is t and d[t] == 1
    del d, t
    assert r() is None


def test_matmul_with_transposed_weight_keeps_layout() -> None:
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    v = rng.standard_normal((5, 3))
    (x @ w.T).backward(v)
    np.testing.assert_allclose(w.grad.data, v.T @ x.data, rtol=1e-13)
    np.testing.assert_allclose(x.grad.data, v @ w.data, rtol=1e-13)
    assert w.grad.data.flags.c_contiguous
    assert tg.gradgradcheck(lambda x, w: tg.tanh(x @ w.T), (x, w))


def test_a_root_that_feeds_another_root_gets_both_adjoints() -> None:
    # y is an output of its own and the only input of z: its adjoint is the sum of both
    x = tg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = tg.exp(x)
    z = -(y * 3.0)
    gy, gz = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    tg.autograd.backward([y, z], [gy, gz])
    np.testing.assert_allclose(x.grad.data, np.exp(x.data) * (gy - 3.0 * gz), rtol=1e-14)
    y = tg.exp(x)
    z = -(y * 3.0)
    (g,) = tg.autograd.grad([z, y], [x], [gz, gy])
    np.testing.assert_allclose(g.data, np.exp(x.data) * (gy - 3.0 * gz), rtol=1e-14)


def test_an_input_made_from_another_input_of_the_same_node_runs_after_it() -> None:
    # z's node has edges (y, exp(y)): exp(y) is later than y and consumes it, so it must run
    # first even though y is the first edge; and x * x has the same node on both edges
    x = tg.tensor(np.array([0.3, -0.7]), requires_grad=True)
    y = x * 1.5
    z = y * tg.exp(y)
    z.backward(np.ones(2))
    yv = 1.5 * x.data
    np.testing.assert_allclose(x.grad.data, 1.5 * np.exp(yv) * (1 + yv), rtol=1e-14)
    x.grad = None
    y = tg.sin(x)
    (y * y).backward(np.ones(2))
    np.testing.assert_allclose(x.grad.data, 2 * np.sin(x.data) * np.cos(x.data), rtol=1e-14)


_DAG_OPS = (
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: tg.tanh(a) - b,
    lambda a, b: tg.sin(a * 0.5),
    lambda a, b: a * a,
    lambda a, b: a * tg.tanh(a + b),  # (its second edge is later than its first and uses it)
)


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 99), st.integers(0, 99)), max_size=25))
def test_random_graphs_run_each_rule_once_in_order(steps: list) -> None:
    # each step applies an op to two earlier values picked at random: shared inputs, diamonds
    # and edges that skip many nodes, then sums a random choice of them as the output
    def f(x: tg.Tensor, y: tg.Tensor) -> tg.Tensor:
        values = [x, y]
        for op, i, j in steps:
            values.append(_DAG_OPS[op](values[i % len(values)], values[j % len(values)]))
        out = values[-1].sum()
        for k in range(0, len(values) - 1, 3):
            out = values[k].sum() * 0.25 + out
        return out

    x = tg.tensor(np.array([0.3, -0.4]), requires_grad=True)
    y = tg.tensor(np.array([0.2, 0.6]), requires_grad=True)
    assert tg.gradcheck(f, (x, y))
    out = f(x, y)
    nodes = _nodes(out)
    out.backward()
    assert all(n.released for n in nodes)  # every rule ran (and released) before backward ended


def _nodes(t: tg.Tensor) -> list:
    seen, stack = {}, [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is not None and not isinstance(n, tg.Tensor) and id(n) not in seen:
            seen[id(n)] = n
            stack.extend(n.edges)
    return list(seen.values())


# ----------------------------------------------------------------------------- torch parity


def test_grad_buffers_are_never_shared_with_what_the_user_holds() -> None:
    # a later backward sums into .grad in place: .grad must not be the array a hook saw or
    # returned, the root gradient, or another tensor's .grad (torch clones in these cases)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(seen.append)
    y = (x * 3.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(seen[0].data, [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = tg.tensor([5.0, 5.0])
    x.register_hook(lambda g: h)
    y = (x * 3.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(h.data, [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.data, [10.0, 10.0])
    # create_graph: the root gradient, a retained .grad, a read-only broadcast
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    gradient = tg.tensor([1.0, 1.0])
    y = x + 0.0
    y.backward(gradient, create_graph=True)
    y.backward(gradient)
    np.testing.assert_array_equal(gradient.data, [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0.0
    y.retain_grad()
    loss = (y * tg.tensor([3.0, 4.0])).sum()
    loss.backward(create_graph=True)
    assert x.grad is not y.grad
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 8.0])
    np.testing.assert_array_equal(y.grad.data, [6.0, 8.0])
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    y.sum().backward(create_graph=True)  # (y's adjoint is a broadcast of the sum's)
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    y = tg.sin(w)
    y.retain_grad()
    tg.autograd.backward([y], [gradient], create_graph=True)
    tg.autograd.backward([y], [gradient])
    np.testing.assert_allclose(w.grad.data, 2 * np.cos(w.data), rtol=1e-15)


def test_backward_inputs_skip_what_does_not_lead_to_them() -> None:
    # as torch: a retained tensor off the path gets no .grad and its hooks do not run; a
    # retained input gets its gradient once; a freed node off the path is no error
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    u = tg.exp(w)
    u.retain_grad()
    calls = []
    u.register_hook(calls.append)
    loss = (x * u).sum()
    tg.autograd.grad(loss, [x], retain_graph=True)
    loss.backward(inputs=[x])
    assert u.grad is None and w.grad is None and calls == []
    np.testing.assert_allclose(x.grad.data, np.exp(w.data), rtol=1e-15)
    y = x * 1.0
    y.retain_grad()
    (y * 3.0).sum().backward(inputs=[y])
    np.testing.assert_array_equal(y.grad.data, [3.0, 3.0])
    e = tg.exp(x)
    e.sum().backward()
    (g,) = tg.autograd.grad((e * w).sum(), [w])
    np.testing.assert_allclose(g.data, np.exp(x.data), rtol=1e-15)


def test_grad_with_respect_to_intermediates_does_not_walk_their_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As torch (its inputs' topological number): nodes older than every requested inner node
    lead to none of them, so the pruning walk stops there (a grad in a loop over a growing
    graph was quadratic); what is older than one target but not another still counts."""
    from tensorgrad.ops._base import Op

    slot = Op.__dict__["edges"]
    reads = {"n": 0}

    def counted(node):
        reads["n"] += 1
        return slot.__get__(node, type(node))

    x = tg.tensor(np.linspace(0.1, 0.8, 8), requires_grad=True)
    z = x
    for _ in range(2000):
        z = z * 1.0001
    calls = []
    z.register_hook(calls.append)
    w = tg.tensor(np.ones(8), requires_grad=True)
    h = tg.exp(w)  # (newer than z, on no path to it nor to u: not run)
    h.register_hook(calls.append)
    u = tg.sin(z) * 2.0
    y = (tg.tanh(u) ** 2 * h).sum()
    monkeypatch.setattr(Op, "edges", property(counted, slot.__set__))
    gz, gu = tg.autograd.grad(y, [z, u], retain_graph=True)
    assert reads["n"] < 50, reads["n"]
    monkeypatch.undo()
    t = np.tanh(u.data)
    want_u = 2 * t * (1 - t * t) * h.data
    np.testing.assert_allclose(gu.data, want_u, rtol=1e-14)
    np.testing.assert_allclose(gz.data, want_u * 2 * np.cos(z.data), rtol=1e-14)
    assert len(calls) == 1  # (z's own hook, as a requested input's; not h's)
    (gx,) = tg.autograd.grad(y, [x])  # (a leaf among the targets: the whole graph)
    np.testing.assert_allclose(gx.data, gz.data * 1.0001**2000, rtol=1e-12)


def test_an_output_older_than_every_inner_target_runs_no_rule() -> None:
    # (the root itself past the cut: nothing of its graph leads to the target, as in torch)
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    a = x * 2
    fired = []
    a.register_hook(fired.append)
    y0 = (a * 3).sum()
    t = x.exp()
    (g,) = tg.autograd.grad(y0, [t], allow_unused=True)
    assert g is None and fired == []
    y0.backward()  # (the graph was neither run nor freed)
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])
    assert len(fired) == 1


def test_grad_refuses_an_output_that_does_not_require_grad_even_with_allow_unused() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    c = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad(c.sum(), [x], allow_unused=True)


def test_tensor_backward_with_create_graph_keeps_the_graph() -> None:
    # retain_graph defaults to create_graph, so the gradient can be differentiated again
    x = tg.tensor(2.0, requires_grad=True)
    y = tg.exp(x) * x
    y.backward(create_graph=True)
    first = x.grad
    e2 = np.exp(2.0)
    assert first.item() == pytest.approx(3 * e2)  # (x + 1) e^x
    first.backward()
    # plus (x + 2) e^x, summed into the same .grad in place, as torch's
    assert x.grad is first and x.grad.item() == pytest.approx(3 * e2 + 4 * e2)


def test_grad_leaves_nodes_it_did_not_run_usable() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = tg.exp(x)
    (gh,) = tg.autograd.grad(tg.sum(h * h), h)  # Exp, below the input h, never runs
    np.testing.assert_allclose(gh.data, 2 * np.exp([1.0, 2.0]))
    tg.sum(h).backward()  # so a later backward can still go through it
    np.testing.assert_allclose(x.grad.data, np.exp([1.0, 2.0]))


def test_backward_inputs_may_be_non_leaves_and_must_require_grad() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    tg.autograd.backward(tg.sum(h * h), inputs=[h])
    np.testing.assert_array_equal(h.grad.data, [4.0, 8.0])
    assert x.grad is None
    with pytest.raises(RuntimeError, match=r"inputs\[0\] does not require grad"):
        tg.autograd.backward(tg.sum(x * x), inputs=[tg.tensor([1.0])])
    with pytest.raises(RuntimeError, match="must not be empty"):
        tg.autograd.grad(tg.sum(x * x), [])


def test_a_non_leaf_among_backward_inputs_keeps_its_grad_from_then_on_as_torch() -> None:
    # (it got .grad for that call only: a later plain backward added nothing to it)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    z = tg.sum(y * y)
    assert not y.retains_grad and not x.retains_grad
    z.backward(inputs=[y], retain_graph=True)
    assert y.retains_grad and x.grad is None
    z.backward()
    np.testing.assert_array_equal(y.grad.data, [12.0, 24.0])  # torch's
    np.testing.assert_array_equal(x.grad.data, [18.0, 36.0])


def test_grad_materializes_unused_inputs_as_zeros_as_torch() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    u = tg.tensor(np.ones((2, 1), np.float32), requires_grad=True)
    gx, gu = tg.autograd.grad(tg.sum(x * x), [x, u], materialize_grads=True)
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    assert gu.shape == (2, 1) and gu.dtype == np.float32 and not gu.data.any()
    assert tg.autograd.grad(tg.sum(x * x), [x, u], allow_unused=True)[1] is None
    _, gu = tg.autograd.grad(tg.sum(x * x), [x, u], create_graph=True, materialize_grads=True)
    assert gu.requires_grad  # (as torch's: differentiable again)
    assert tg.autograd.grad(tg.sum(gu), [u], allow_unused=True) == (None,)
    with pytest.raises(ValueError, match="allow_unused must be True"):
        tg.autograd.grad(tg.sum(x * x), [x, u], allow_unused=False, materialize_grads=True)
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        tg.autograd.grad(tg.sum(x * x), [x, u])


def test_inputs_and_outputs_may_be_any_iterable_of_tensors_as_torch() -> None:
    # (a generator or a set was taken as one input, and refused as not a Tensor)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    u = tg.tensor([3.0], requires_grad=True)
    (tg.sum(x * 3.0) + tg.sum(u)).backward(inputs=(t for t in [x]))
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    assert u.grad is None
    gx, gu = tg.autograd.grad((y for y in [tg.sum(x * x) + tg.sum(u)]), iter([x, u]))
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    (gu2,) = tg.autograd.grad(
        tg.sum(x * x), (t for t in [u]), allow_unused=True, materialize_grads=True
    )
    assert gu2.shape == (1,) and not gu2.data.any()  # (the generator read once only)
    (gx2,) = tg.autograd.grad(tg.sum(x * x), x, grad_outputs=np.float64(2.0))
    np.testing.assert_array_equal(gx2.data, [4.0, 8.0])
    # a gradient stays one array-like, whatever it iterates over (a range, an array.array)
    import array

    for gradient in (range(1, 3), array.array("d", [1.0, 2.0])):
        (gx3,) = tg.autograd.grad(x * 3.0, x, grad_outputs=gradient)
        np.testing.assert_array_equal(gx3.data, [3.0, 6.0])
    with pytest.raises(TypeError, match="input 0 is a ndarray"):
        tg.autograd.grad(tg.sum(x * x), np.ones(2))
    # several gradients may come from a generator too, as torch's
    import collections

    pairs = [tg.tensor([1.0, 1.0]), tg.tensor(1.0)]
    for several in ((g for g in pairs), collections.deque(pairs), dict(enumerate(pairs)).values()):
        (g,) = tg.autograd.grad([x * 3.0, tg.sum(x * x)], x, grad_outputs=several)
        np.testing.assert_array_equal(g.data, [5.0, 7.0])

    def failing():  # (an error inside the caller's own generator is the caller's)
        yield x
        raise TypeError("the caller's own")

    with pytest.raises(TypeError, match="the caller's own"):
        tg.autograd.grad(tg.sum(x * x), failing())


def test_a_hook_returning_neither_a_tensor_nor_none_is_a_type_error() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: "twice")
    with pytest.raises(TypeError, match="hook returned a str"):
        tg.sum(x * 2.0).backward()
    # (NumPy's own results stay data: an array, or the scalar of 0-d arithmetic)
    s = tg.tensor(1.0, requires_grad=True)
    s.register_hook(lambda g: g.numpy() * 2)
    (s * 3.0).backward()
    assert s.grad.item() == 6.0


def test_a_leaf_frozen_after_the_forward_gets_no_grad_but_its_hooks_run() -> None:
    # (as torch: its AccumulateGrad runs the hooks, then finds it no longer requires grad)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    y = tg.sum(x * x)
    x.requires_grad_(False)
    y.backward()
    assert x.grad is None
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])


def test_leaf_hooks_run_in_grad_and_may_not_change_the_dtype() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (g,) = tg.autograd.grad(tg.sum(x * x), x)
    np.testing.assert_array_equal(g.data, [20.0, 40.0])
    y = tg.tensor(np.ones(2, np.float32), requires_grad=True)
    y.register_hook(lambda g: g.astype(np.float64))
    with pytest.raises(RuntimeError, match="dtype float64, expected shape .* dtype float32"):
        tg.sum(y * y).backward()


def test_requires_grad_and_grad_attributes_go_through_the_checks() -> None:
    ints = tg.tensor([1, 2])
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        ints.requires_grad = True  # (it used to be stored, and gradients truncated to ints)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad = False
    x.requires_grad = False
    assert not x.requires_grad
    with pytest.raises(ValueError, match="dtype int64, tensor has shape"):
        x.grad = tg.tensor([1, 2])


def test_set_grad_enabled_as_decorator_and_twice_as_context() -> None:
    @tg.set_grad_enabled(False)
    def inside() -> bool:
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled()  # decorating did not switch grad mode off
    assert not inside() and tg.is_grad_enabled()
    switch = tg.set_grad_enabled(False)
    with switch:
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    with switch:
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    with pytest.raises(TypeError, match="mode must be a bool"):
        tg.set_grad_enabled("yes")


def _modes(lib: Any) -> list[tuple[bool, bool]]:
    """(grad enabled, inference mode enabled) in each of a few nestings of ``lib``'s modes."""

    def read() -> tuple[bool, bool]:
        return lib.is_grad_enabled(), lib.is_inference_mode_enabled()

    seen = [read()]
    with lib.inference_mode():
        seen.append(read())
        with lib.inference_mode(False):
            seen.append(read())
        seen.append(read())
    with lib.no_grad(), lib.inference_mode(False):  # (mode False turns grad mode on)
        seen.append(read())

    @lib.inference_mode
    def bare() -> tuple[bool, bool]:
        return read()

    @lib.inference_mode()
    def steps() -> Any:
        yield read()

    seen += [bare(), *steps(), read()]
    return seen


def test_inference_mode_is_no_grad_with_torchs_nesting() -> None:
    x = tg.ones(3, requires_grad=True)
    with tg.inference_mode():
        y = x * 2.0
    assert not y.requires_grad and y.grad_fn is None
    (x * y).sum().backward()  # (torch refuses an inference tensor here; ours is ordinary)
    np.testing.assert_array_equal(x.grad.data, 2.0)
    assert _modes(tg) == [
        (True, False),
        (False, True),
        (True, False),
        (False, True),
        (True, False),
        (False, True),
        (False, True),
        (True, False),
    ]
    with pytest.raises(TypeError, match="inference_mode: mode must be a bool, got 1"):
        tg.inference_mode(1)


def test_inference_mode_nests_as_torchs() -> None:
    torch = pytest.importorskip("torch")
    assert _modes(tg) == _modes(torch)


def test_grad_mode_decorators_bare_and_on_generators() -> None:
    @tg.no_grad
    def plain() -> bool:
        return tg.is_grad_enabled()

    @tg.no_grad()
    def steps() -> Any:
        sent = yield tg.is_grad_enabled()
        yield sent, tg.is_grad_enabled()
        return "done"

    assert plain() is False and tg.is_grad_enabled()
    gen = steps()
    assert next(gen) is False and tg.is_grad_enabled()  # the caller's mode between steps
    assert gen.send(5) == (5, False) and tg.is_grad_enabled()
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done" and tg.is_grad_enabled()


@pytest.mark.parametrize("share", [(0, 2), (1, 3), (0, 3), (0, 1, 3), (2, 3)])
def test_an_adjoint_buffer_given_to_several_inputs_is_never_summed_into(share) -> None:
    # (a rule that hands one fresh array to inputs 0 and 2 made it input 0's own buffer: the
    # contribution of input 1 was summed into it in place, and input 2 then counted it again)
    from tensorgrad.ops._base import Op, call

    class Share(Op):
        linear = True

        def forward(self, *xs):
            return sum(xs)

        def generate_adjoints(self, adjoints, delta):
            g = delta * 1.0
            for i in range(len(self.edges)):
                adjoints[i] = g if i in share else delta * 1.0

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = tg.tensor([3.0, 4.0], requires_grad=True)
    call(Share, x, x, x, x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    (gx, gy) = tg.autograd.grad(call(Share, x, y, x, y).sum(), [x, y])
    np.testing.assert_array_equal(gx.data, [2.0, 2.0])
    np.testing.assert_array_equal(gy.data, [2.0, 2.0])


def test_a_leaf_frozen_after_the_forward_gets_no_grad():
    # (backward accumulated into every leaf it reached; torch skips one that no longer
    # requires grad)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    loss = (w * w * v).sum()
    w.requires_grad_(False)
    loss.backward()
    assert w.grad is None
    np.testing.assert_array_equal(v.grad.data, [1.0, 4.0, 9.0])


def test_grad_results_share_memory_with_nothing_else():
    # a grad_outputs array passed straight through was returned as the result's data: a write
    # into the result changed grad_outputs behind the version check of a graph that saved it
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([1.0, 1.0], requires_grad=True)
    G = tg.tensor([5.0, 6.0])
    p = (w * G).sum()
    (g,) = tg.autograd.grad(x + 0.0, x, grad_outputs=G)
    g += 100.0
    np.testing.assert_array_equal(G.data, [5.0, 6.0])
    p.backward()
    np.testing.assert_array_equal(w.grad.data, [5.0, 6.0])
    # an input given twice gets one Tensor (two over one array had two version counters)
    a, b = tg.autograd.grad((x * 3).sum(), [x, x])
    assert a is b
    # a rule that gives one buffer to two inputs: each result its own
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    ga, gb = tg.autograd.grad((x + y).sum(), [x, y])
    assert not np.shares_memory(ga.data, gb.data)


def test_a_backward_summing_into_grad_bumps_its_version() -> None:
    # (a graph that saved the old .grad read the sum: torch raises)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    (x * x).sum().backward()
    z = (x.grad * w).sum()
    (x * x).sum().backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_an_ndarray_operand_is_saved_as_it_was() -> None:
    # (a reused buffer written before the backward changed the gradient: no version counter)
    a = np.array([1.0, 2.0])
    x = tg.tensor([1.0, 1.0], requires_grad=True)
    y = (x * a).sum() + (np.array([[1.0, 0.0], [0.0, 1.0]]) @ x * a).sum()
    a[:] = 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_backward_with_create_graph_under_no_grad_records_the_grad() -> None:
    # (torch's engine runs the accumulation and the leaf hooks in create_graph's mode)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    with tg.no_grad():
        y.backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_array_equal(tg.autograd.grad(x.grad.sum(), x)[0].data, [6.0, 12.0])
    seen = []
    z = tg.tensor([1.0], requires_grad=True)
    z.register_hook(lambda g: seen.append(tg.is_grad_enabled()))
    out = (z * z).sum()
    with tg.no_grad():
        tg.autograd.grad(out, z, create_graph=True)
    (z * z).sum().backward()
    assert seen == [True, False]


def test_grad_results_a_hook_saw_share_no_memory() -> None:
    # (the add rule gives its delta, the grad_outputs array itself, to both inputs; with hooks
    # it was not copied: a write into one result reached the other and the caller's array)
    a = tg.tensor(np.ones(2), requires_grad=True)
    b = tg.tensor(np.ones(2), requires_grad=True)
    a.register_hook(lambda g: None)
    b.register_hook(lambda g: None)
    v = np.ones(2)
    ga, gb = tg.autograd.grad(a + b, [a, b], v)
    ga += 1.0
    np.testing.assert_array_equal(gb.data, [1.0, 1.0])
    np.testing.assert_array_equal(v, [1.0, 1.0])
    h = a * 1.0
    u = tg.tensor([5.0, 5.0])
    h.register_hook(lambda g: u)
    (gh,) = tg.autograd.grad((h * 2.0).sum(), h)
    gh += 1.0
    np.testing.assert_array_equal(u.data, [5.0, 5.0])


def test_a_recorded_rule_sees_writes_into_the_output_it_saved() -> None:
    # (with create_graph, exp's rule multiplies by a stand-in for its output, which had a
    # counter of its own: d/dv of the gradient read the written output; torch raises)
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    v = tg.tensor([1.0, 1.0], requires_grad=True)
    y = tg.exp(x)
    (g,) = tg.autograd.grad(y, x, v, create_graph=True)
    with tg.no_grad():
        y += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        tg.autograd.grad(g.sum(), v)


def test_a_grad_result_that_is_a_view_of_grad_outputs_is_copied() -> None:
    # (reshape's rule returns a view of its delta, the caller's grad_outputs: a write into the
    # result changed it behind its version counter; torch raises)
    x = tg.tensor(np.ones((2, 3)), requires_grad=True)
    w = tg.tensor(np.ones((3, 2)), requires_grad=True)
    go = tg.tensor(np.full((3, 2), 5.0))
    z = (go * w).sum()
    (r,) = tg.autograd.grad(x.reshape(3, 2), x, grad_outputs=go)
    r += 1.0
    z.backward()
    np.testing.assert_array_equal(go.data, 5.0)
    np.testing.assert_array_equal(w.grad.data, 5.0)


def test_a_read_only_ndarray_operand_is_saved_as_it_was() -> None:
    # (a broadcast view was copied whole: 128 MB for a (4000, 4000) view of 4000 values; then
    # it was kept as it was, and a write into its buffer changed the gradient)
    buf = np.array([1.0, 2.0, 3.0])
    wide = np.broadcast_to(buf, (4, 3))
    w = tg.tensor(np.ones((4, 3)), requires_grad=True)
    product = w * wide
    y = product.sum()
    saved = [s for s in product.grad_fn.saved if isinstance(s, np.ndarray)]
    assert saved and all(s.base is not None and s.base.nbytes == buf.nbytes for s in saved)
    buf[:] = 100.0
    y.backward()
    np.testing.assert_array_equal(w.grad.data, np.broadcast_to([1.0, 2.0, 3.0], (4, 3)))
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])  # (a NumPy fallback's result: a read-only view)
    w = tg.tensor(np.ones((2, 2)), requires_grad=True)
    y = (w * np.fliplr(t)).sum()
    t += 10.0
    y.backward()
    np.testing.assert_array_equal(w.grad.data, [[2.0, 1.0], [4.0, 3.0]])
    # read-only memory was kept as it was: it can be made writeable again, or written through
    # a view taken before it was frozen
    for unfreeze in (True, False):
        c = np.array([1.0, 2.0, 3.0])
        writer = c[:]
        c.flags.writeable = False
        x = tg.tensor(np.ones(3), requires_grad=True)
        y = (x * c).sum()
        if unfreeze:
            c.flags.writeable = True
        writer[...] = 100.0
        y.backward()
        np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])


def test_a_recorded_grad_is_summed_into_in_place_by_a_later_backward() -> None:
    # (torch adds into it in place, bumping its version; it was replaced by a new tensor, so a
    # graph that saved it silently used the old values)
    a = tg.tensor([1.0, -1.0], requires_grad=True)
    w = tg.tensor([1.0, 1.0], requires_grad=True)
    (a * a).sum().backward(create_graph=True)
    g = a.grad
    z = (g * w).sum()
    (a * 3.0).sum().backward()
    assert a.grad is g
    np.testing.assert_array_equal(g.data, [5.0, 1.0])
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.backward()


def test_grad_results_with_create_graph_are_writeable() -> None:
    # (the sum rule's broadcast view came back as it was: read-only)
    x = tg.tensor([2.0], requires_grad=True)
    (r,) = tg.autograd.grad([x.sum()], [x], create_graph=True)
    r += 1.0
    np.testing.assert_array_equal(r.data, [2.0])


@pytest.mark.parametrize(
    ("gradient", "pattern"),
    [
        (np.full((2, 3), "a"), "gradient holds dtype <U1"),
        (np.ones((2, 3)) * 1j, "gradient holds dtype complex128"),
        ([[None] * 3] * 2, "gradient holds list"),
    ],
    ids=["str", "complex", "None"],
)
def test_a_gradient_of_bad_data_is_refused_by_name(gradient, pattern) -> None:
    # (were NumPy's "could not convert string to float", the imaginary part dropped with a
    # ComplexWarning, and None read as NaN; vjp_fn refuses them all)
    x = tg.ones((2, 3), requires_grad=True)
    with pytest.raises(TypeError, match=f"backward: {pattern}"):
        (x * 2).backward(gradient)
    with pytest.raises(TypeError, match=f"grad: {pattern}"):
        tg.autograd.grad([x * 2], [x], grad_outputs=[gradient])
    assert x.grad is None


def test_inputs_that_are_not_tensors_are_named_as_such() -> None:
    # (they were said not to require grad)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad: input 1 is a int, not a Tensor"):
        tg.autograd.grad((x * x).sum(), [x, 3])
    with pytest.raises(TypeError, match=r"backward: inputs\[0\] is a float, not a Tensor"):
        tg.autograd.backward((x * x).sum(), inputs=[3.0])


def test_retained_grad_of_a_non_leaf_is_replaced_not_written() -> None:
    # as torch's retain_grad: grad + new, a new tensor; it was summed in place, so a .grad read
    # before changed under its reader (and a graph that saved it raised "modified")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    g = y.grad
    z.backward()
    assert g.data.tolist() == [4.0, 8.0] and g.version == 0
    assert y.grad.data.tolist() == [8.0, 16.0] and y.grad is not g
    assert x.grad.data.tolist() == [16.0, 32.0]  # (a leaf's .grad still sums in place)
    # a 0-d one stays an array (0-d + 0-d is a NumPy scalar: read-only, numpy() not an ndarray)
    s = x.sum()
    s.retain_grad()
    loss = s * s
    loss.backward(retain_graph=True)
    loss.backward()
    assert type(s.grad.numpy()) is np.ndarray and s.grad.item() == 12.0
    with tg.no_grad():
        s.grad += 1
    assert s.grad.item() == 13.0


def test_register_hook_refuses_what_cannot_be_called_by_name() -> None:
    # (functools' "the first argument must be callable", after the hook list was made)
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="register_hook: fn must be callable, got int"):
        x.register_hook(3)
    assert x._hooks is None


def test_reading_the_grad_of_a_non_leaf_that_keeps_none_warns_as_torch() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    kept = x * 3.0
    kept.retain_grad()
    tg.sum(y + kept).backward()
    with pytest.warns(UserWarning, match=r"not a leaf .* \.retain_grad\(\)"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(kept.grad.data, [1.0, 1.0])
        np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])
        assert tg.tensor([1.0]).grad is None  # (a leaf that requires no grad)
        assert tg.tensor([1.0], requires_grad=True).grad is None
        with tg.no_grad():
            assert (x * 2.0).grad is None  # (made under no_grad: a leaf)
        repr(y)
        y._repr_html_()  # (the notebook display reads no .grad)
        z = x * 1.0
        with tg.no_grad():
            v = z[0:1]  # (torch's leaf; stale after the write below, and read, not rebased)
        z += 1.0
        assert v.grad is None
        m = tg.nn.Module()
        m.register_buffer("b", x * 2.0)  # (a non-leaf buffer: to() reads no .grad)
        m.to(np.float32)
        # (a transform's stand-in for its argument is torch.func's leaf)
        tg.grad(lambda a: (a.grad, tg.sum(a * 2.0))[1])(x)
        tg.jvp(lambda a: (a.grad, a * 2.0)[1], (x,), (tg.ones(2),))


def test_autograd_flags_refuse_a_string_naming_the_flag_as_torch() -> None:
    # (create_graph="no" was read as True: the gradient was recorded; torch refuses a string or
    # a float there and takes an int, as this does)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    cases = [
        (lambda: tg.autograd.grad((x * x).sum(), [x], create_graph="no"), "grad: create_graph"),
        (lambda: tg.autograd.grad((x * x).sum(), [x], allow_unused=1.0), "grad: allow_unused"),
        (lambda: (x * x).sum().backward(retain_graph="no"), "backward: retain_graph"),
    ]
    for fn, message in cases:
        with pytest.raises(TypeError, match=f"{message} must be a bool, got"):
            fn()
    assert x.grad is None  # (backward refused before it ran)
    (g,) = tg.autograd.grad((x * x).sum(), [x], create_graph=0, retain_graph=1)
    assert not g.requires_grad and g.data.tolist() == [2.0, 4.0]
    (g,) = tg.autograd.grad((x * x).sum(), [x], create_graph=np.True_, allow_unused=None)
    assert g.requires_grad


# ----------------------------------------------------------------------------- pinned by mutants
# (each behaviour below survived a mutant of the engine that the rest of the suite missed)


def test_a_root_gradient_takes_the_output_dtype_as_torch() -> None:
    # (the root a leaf itself: no rule's edge restores the dtype on the way)
    x = tg.tensor(np.ones(3, np.float32), requires_grad=True)
    x.backward(np.ones(3))  # (a float64 array for a float32 output)
    assert x.grad.dtype == np.float32
    (g,) = tg.autograd.grad(x, [x], grad_outputs=tg.tensor(np.ones(3)), create_graph=True)
    assert g.dtype == np.float32


def test_a_one_element_output_of_any_shape_needs_no_gradient() -> None:
    x = tg.tensor(np.ones((1, 1)), requires_grad=True)
    (x * 3).backward()
    np.testing.assert_array_equal(x.grad.data, [[3.0]])


@pytest.mark.parametrize("leaf", [True, False])
def test_a_grad_result_shares_no_memory_with_what_a_hook_saw(leaf: bool) -> None:
    # (torch returns the hook's tensor itself; a write into the result would reach it)
    a = tg.tensor(np.ones(3), requires_grad=True)
    x = a if leaf else a * 2
    seen = []
    x.register_hook(seen.append)
    (g,) = tg.autograd.grad((x * x).sum(), x)
    g.data[...] = 100.0
    assert not np.shares_memory(seen[0].data, g.data)
    np.testing.assert_array_equal(seen[0].data, 2 * x.data)


def test_backward_never_writes_into_the_root_gradients_it_was_given() -> None:
    # (.grad of a reshape is a view of the given array: a second backward sums into a copy;
    # torch sums into the user's array here)
    x = tg.tensor(np.ones(6), requires_grad=True)
    gr = np.ones((2, 3))
    x.reshape(2, 3).backward(gr)
    x.reshape(2, 3).backward(gr)
    np.testing.assert_array_equal(gr, np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad.data, np.full(6, 2.0))
    y = tg.tensor(np.ones(6), requires_grad=True)
    g1, g2 = np.ones((2, 3)), np.ones((2, 3))
    tg.autograd.backward([y.reshape(2, 3), y.reshape(2, 3)], [g1, g2])
    np.testing.assert_array_equal(g1, np.ones((2, 3)))
    np.testing.assert_array_equal(g2, np.ones((2, 3)))
    np.testing.assert_array_equal(y.grad.data, np.full(6, 2.0))


def test_a_read_only_grad_is_replaced_by_the_sum() -> None:
    # (torch raises on a .grad that is a broadcast; the sum is a new array here)
    x = tg.tensor(np.ones(3), requires_grad=True)
    x.grad = tg.broadcast_to(tg.tensor(1.0), (3,))
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0, 3.0])


def test_a_hook_that_removes_itself_does_not_skip_the_next() -> None:
    x = tg.tensor(np.ones(2), requires_grad=True)
    calls = []

    def first(g):
        calls.append("first")
        handle.remove()

    handle = x.register_hook(first)
    x.register_hook(lambda g: calls.append("second"))
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert calls == ["first", "second", "second"]


def test_grad_with_respect_to_a_leaf_and_a_node_on_its_path() -> None:
    a = tg.tensor(np.ones(3), requires_grad=True)
    x = a * 2
    ga, gx = tg.autograd.grad((x * 3).sum(), [a, x])
    np.testing.assert_array_equal(ga.data, [6.0, 6.0, 6.0])
    np.testing.assert_array_equal(gx.data, [3.0, 3.0, 3.0])


def test_autograd_grad_leaves_a_retained_grad_alone() -> None:
    # (as every other .grad; torch 2.13 fills a retained non-leaf's here, not a leaf's)
    a = tg.tensor(np.ones(3), requires_grad=True)
    x = a * 2
    x.retain_grad()
    tg.autograd.grad((x * x).sum(), a, retain_graph=True)
    assert x._grad is None and a.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0, 4.0])
