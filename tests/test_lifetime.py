"""Lifetime: training keeps memory flat, and graphs die by reference counting alone.

Nodes point to their inputs, never to their outputs, and backward frees the saved values, so a
graph has no reference cycles and is freed the moment its last tensor goes. The documented
exception is ``backward(create_graph=True)``: a leaf's ``.grad`` then references a graph that
references the leaf (a cycle, as in PyTorch); ``tg.autograd.grad`` is the leak-free way.
"""

from __future__ import annotations

import gc
import os
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import tensorgrad as tg

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int:
    """Current resident set size (not the peak) from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Run with the cyclic collector off, so only reference counting frees objects."""
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _mlp(seed: int) -> tuple[tg.nn.Module, tg.optim.Optimizer, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = tg.nn.Sequential(
        tg.nn.Linear(8, 16, rng=rng), tg.nn.Tanh(), tg.nn.Linear(16, 3, rng=rng)
    )
    opt = tg.optim.Adam(model.parameters(), lr=1e-2)
    x = rng.standard_normal((32, 8)).astype(np.float32)
    y = rng.integers(0, 3, size=32)
    return model, opt, x, y


def _step(model: tg.nn.Module, opt: tg.optim.Optimizer, x: np.ndarray, y: np.ndarray) -> float:
    opt.zero_grad()
    loss = tg.nn.functional.cross_entropy(model(tg.tensor(x)), y)
    loss.backward()
    opt.step()
    return loss.item()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_training_keeps_resident_memory_flat() -> None:
    model, opt, x, y = _mlp(0)
    for _ in range(200):  # warm-up: optimizer state, allocator pools, caches
        _step(model, opt, x, y)
    gc.collect()
    start = _rss_bytes()
    peak = start
    for i in range(2000):
        _step(model, opt, x, y)
        if i % 100 == 0:
            peak = max(peak, _rss_bytes())
    end = _rss_bytes()
    growth = (max(peak, end) - start) / 2**20
    assert growth < 4.0, f"resident memory grew by {growth:.2f} MiB over 2,000 steps"


def test_graph_dies_by_reference_counting() -> None:
    """Every intermediate tensor and graph node of a training step dies with gc disabled."""
    model, opt, x, y = _mlp(1)
    with no_cyclic_gc():
        for _ in range(5):
            opt.zero_grad()
            h = model[0](tg.tensor(x))
            a = model[1](h)
            logits = model[2](a)
            loss = tg.nn.functional.cross_entropy(logits, y)
            refs = [weakref.ref(t) for t in (h, a, logits, loss)]
            nodes = [weakref.ref(t.grad_fn) for t in (h, a, logits, loss)]
            loss.backward()
            opt.step()
            del h, a, logits, loss
            assert all(r() is None for r in refs), "an intermediate tensor outlived its step"
            assert all(r() is None for r in nodes), "a graph node outlived its step"


def test_unused_graph_dies_without_backward() -> None:
    """A forward pass whose loss is dropped (evaluation with grad on) frees everything."""
    model, _, x, y = _mlp(2)
    with no_cyclic_gc():
        loss = tg.nn.functional.cross_entropy(model(tg.tensor(x)), y)
        node = weakref.ref(loss.grad_fn)
        out = weakref.ref(loss)
        del loss
        assert node() is None and out() is None


def test_higher_order_with_autograd_grad_has_no_cycles() -> None:
    """Second derivatives through ``tg.autograd.grad`` leave no cycle behind."""
    with no_cyclic_gc():
        x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = (tg.tanh(x) * x).sum()
        (g,) = tg.autograd.grad(y, [x], create_graph=True)
        (h,) = tg.autograd.grad(g.sum(), [x])
        refs = [weakref.ref(t) for t in (y, g)]
        nodes = [weakref.ref(t.grad_fn) for t in (y, g)]
        del y, g, h
        assert all(r() is None for r in refs + nodes)
        assert x.grad is None


def test_backward_create_graph_is_the_documented_cycle() -> None:
    """With ``backward(create_graph=True)`` the leaf's grad holds a graph that holds the leaf."""
    with no_cyclic_gc():
        x = tg.tensor([0.5, -1.0], requires_grad=True)
        (x * x).sum().backward(create_graph=True)
        assert x.grad is not None and x.grad.grad_fn is not None
        leaf = weakref.ref(x)
        del x
        cycle_kept_alive = leaf() is not None
    gc.collect()
    assert cycle_kept_alive, "expected the documented create_graph cycle"
    assert leaf() is None, "the cyclic collector frees it"


def test_backward_frees_saved_values() -> None:
    """After backward, nodes drop what they saved, so a retained output keeps no inputs alive."""
    with no_cyclic_gc():
        x = tg.tensor(np.ones(4), requires_grad=True)
        w = tg.tensor(np.full(4, 2.0))  # saved by Multiply, not a leaf needing grad
        y = (x * w).sum()
        ref = weakref.ref(w)
        del w
        assert ref() is not None  # the graph holds it until backward
        y.backward()
        assert ref() is None, "backward must release the values it saved"


def test_forward_mode_transforms_leave_no_cycles() -> None:
    """A recorded tangent rule points back at the node whose output's tangent it made; the
    transforms drop a level's tangents when it ends, so nothing waits for the collector."""
    rng = np.random.default_rng(3)
    w = tg.tensor(rng.standard_normal((4, 4)), requires_grad=True)  # a parameter f closes over
    x = tg.tensor(rng.standard_normal(4))
    v = tg.tensor(rng.standard_normal(4))
    calls = {
        "jvp": lambda: tg.jvp(lambda x: tg.sigmoid(x @ w) * tg.exp(x), (x,), (v,)),
        "hvp": lambda: tg.hvp(lambda x: (tg.tanh(w @ x) ** 2).sum(), (x,), (v,)),
        "jacfwd": lambda: tg.jacfwd(lambda x: tg.tanh(w @ x) * x)(x),
        "hessian": lambda: tg.hessian(lambda x: (tg.tanh(w @ x) ** 2).sum())(x),
        "jvp of grad": lambda: tg.jvp(tg.grad(lambda x: (tg.exp(x) * w).sum()), (x,), (v,)),
    }
    for name, call in calls.items():
        with no_cyclic_gc():
            result = call()
            del result
            assert gc.collect() == 0, f"{name} left objects in reference cycles"


def test_a_finished_jvp_leaves_no_tangents_on_what_f_kept() -> None:
    """Intermediates ``f`` stored outside outlive the jvp without its tangents (and so without
    the cycle through their nodes); the same tensors keep them while it runs."""
    w = tg.tensor([0.5, 2.0], requires_grad=True)
    kept: list = []

    def f(x: tg.Tensor) -> tg.Tensor:
        y = tg.exp(x * w)
        z = tg.tanh(x * w)
        z *= 2.0  # (the tangents of an in-place write's result go to the tensor written)
        kept.extend((y, z))
        assert y._fw is not None and z._fw is not None
        return y.sum()

    _, t = tg.jvp(f, (tg.tensor([1.0, -1.0]),), (tg.tensor([1.0, 1.0]),))
    np.testing.assert_allclose(t.item(), 0.5 * np.exp(0.5) + 2.0 * np.exp(-2.0))
    assert kept[0]._fw is None and kept[1]._fw is None
    assert not kept[0].grad_fn.extras.get("out_fw")
    (kept[0].sum() * 3.0).backward()  # the graph still works in reverse mode
    np.testing.assert_allclose(w.grad.data, 3.0 * np.array([1.0, -1.0]) * np.exp([0.5, -2.0]))


def test_backward_frees_what_ops_keep_for_their_rules() -> None:
    """A dropout mask, cross-entropy's log-probabilities, max pooling's argmax and an advanced
    index are freed by backward like saved values, not when the user drops the loss."""
    import tracemalloc

    rng = np.random.default_rng(4)
    F = tg.nn.functional
    big = 200_000  # 1.6 MB in float64
    cases = {
        "dropout": (lambda x: F.dropout(x, 0.5, rng=1).sum(), (big,)),
        "cross_entropy": (lambda x: F.cross_entropy(x, rng.integers(0, 500, 400)), (400, 500)),
        "max_pool2d": (lambda x: F.max_pool2d(x, 2, padding=1).sum(), (4, 2, 100, 100)),
        "getitem": (lambda x: x[rng.integers(0, big, big)].sum(), (big,)),
        "repeat": (lambda x: tg.repeat(x, 2).sum(), (big,)),
        "layer_norm": (lambda x: F.layer_norm(x, (4,)).sum(), (big // 4, 4)),
    }
    tracemalloc.start()
    try:
        for name, (f, shape) in cases.items():
            x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
            loss = f(x)
            loss.backward()
            before = tracemalloc.get_traced_memory()[0]
            del loss  # (what it still holds after backward goes now)
            held = before - tracemalloc.get_traced_memory()[0]
            assert held < 0.05 * x.data.nbytes, f"{name}: a kept loss held {held} bytes"
    finally:
        tracemalloc.stop()


def test_retained_graph_keeps_what_ops_keep() -> None:
    x = tg.tensor(np.linspace(-1.0, 1.0, 12).reshape(1, 1, 3, 4), requires_grad=True)
    y = tg.nn.functional.dropout(tg.nn.functional.max_pool2d(x, 2), 0.5, rng=0).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * first)
    with pytest.raises(RuntimeError, match="a second time"):
        y.backward()


def test_a_basic_index_view_is_rebased_after_backward() -> None:
    """A view's index is its view op's parameter, kept after backward: an in-place write to its
    base afterwards still derives the view's graph again from the base's."""
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    base = w * 1.0
    view = base[1:]
    (g,) = tg.autograd.grad(view.sum(), [base])  # (runs, and frees, the view's node alone)
    assert view.grad_fn.released
    base *= 2.0
    (view * view).sum().backward()
    np.testing.assert_array_equal(g.data, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(w.grad.data, [0.0, 16.0, 24.0])


def test_no_tangent_of_a_finished_level_stays_on_anything_f_kept() -> None:
    """Also on what nested transforms make: an inner jvp's output and arguments, an hvp's value,
    a grad's leaf, and the outer jvp's own argument (a stale tangent would ride on every later
    op, and made a later hessian of a matrix 2-norm third order)."""
    x0, v0 = tg.tensor([[1.0, 0.3], [-0.5, 2.0]]), tg.ones((2, 2))
    kept: list = []

    def outer(x: tg.Tensor) -> tg.Tensor:
        kept.append(x)
        out, _ = tg.jvp(lambda y: (kept.append(y), y * 1.5)[1], (x,), (tg.zeros((2, 2)),))
        kept.append(out)
        kept.append(tg.hvp(lambda y: (y * y).sum(), (x,), (v0,))[0])
        tg.grad(lambda y: (kept.append(y), (y * y).sum())[1])(x)
        return x.sum()

    tg.jvp(outer, (x0,), (v0,))
    assert len(kept) == 5 and all(t._fw is None for t in kept)
    a0 = np.array([[1.0, 0.3, -0.5], [0.2, -1.2, 0.7]])
    s = kept[2][:, :1] * tg.ones((2, 3))  # (a later computation on a kept tensor)
    h = tg.hessian(lambda a: tg.norm(a * s, ord=2))(tg.tensor(a0))
    assert h.shape == (2, 3, 2, 3)


def test_an_in_place_write_of_a_tensor_into_itself_leaves_no_cycle() -> None:
    """``out *= out`` (or ``out[0]``) saves the tensor the write rebinds: backward raises, as
    torch's, and the node keeps a stand-in, not the tensor (a cycle holding the graph)."""
    w = tg.tensor(np.ones((8, 4)), requires_grad=True)
    for write in (lambda o: o.__imul__(o), lambda o: o.__imul__(o[0])):
        with no_cyclic_gc():
            out = tg.tanh(tg.ones((3, 8)) @ w)
            out = write(out)
            with pytest.raises(RuntimeError, match="modified by an in-place operation"):
                out.sum().backward()
            node = weakref.ref(out.grad_fn)
            del out
            assert node() is None
