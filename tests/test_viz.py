"""tg.viz.draw: what a picture holds (values, local derivatives, gradients); how it renders."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad import viz
from tensorgrad.ops import _base


def _by_label(drawing: viz.Drawing) -> dict[str, viz.NodeInfo]:
    return {n.label: n for n in drawing.nodes}


def _local(drawing: viz.Drawing, src: str, dst: str) -> float | None:
    nodes = _by_label(drawing)
    for e in drawing.edges:
        if e.src == nodes[src].id and e.dst == nodes[dst].id:
            return e.local
    raise AssertionError(f"no edge {src} -> {dst}")


def _route_sum(drawing: viz.Drawing, leaf: str) -> float:
    """The textbook rule on the drawn edges: multiply along each route, add the routes."""
    label = {n.id: n.label for n in drawing.nodes}
    into: dict[int, list[viz.EdgeInfo]] = {}
    for e in drawing.edges:
        into.setdefault(e.dst, []).append(e)
    total, stack = 0.0, [(0, 1.0)]
    while stack:
        node, product = stack.pop()
        if label[node] == leaf:
            total += product
            continue
        for e in into.get(node, []):
            if drawing.nodes[e.src].kind != "const":
                stack.append((e.src, product * e.local))
    return total


def _d_of_a_times_a_plus_b(traced: bool) -> tuple[tg.Tensor, tg.Tensor, tg.Tensor]:
    a = tg.tensor(2.0, requires_grad=True, name="a")
    b = tg.tensor(3.0, requires_grad=True, name="b")
    if traced:
        with viz.trace():
            c = a + b
            c.name = "c"
            d = a * c
    else:
        d = a * (a + b)
    return a, b, d


def test_textbook_example_values_locals_and_grads():
    a, b, d = _d_of_a_times_a_plus_b(traced=True)
    pic = viz.draw(d, show_local=True, show_grads=True)
    nodes = _by_label(pic)
    assert set(nodes) == {"a", "b", "c", "v1"}
    assert nodes["c"].op == "Add" and nodes["v1"].op == "Multiply"
    assert nodes["c"].value == 5.0 and nodes["c"].value_source == "tensor"
    assert nodes["v1"].value == 10.0
    assert _local(pic, "a", "v1") == 5.0  # d(a*c)/da = c
    assert _local(pic, "c", "v1") == 2.0  # d(a*c)/dc = a
    assert _local(pic, "a", "c") == 1.0 and _local(pic, "b", "c") == 1.0
    grads = {k: float(n.grad) for k, n in nodes.items()}
    assert grads == {"a": 7.0, "b": 2.0, "c": 2.0, "v1": 1.0}
    assert _route_sum(pic, "a") == 7.0 and _route_sum(pic, "b") == 2.0
    # draw computed gradients without touching .grad
    assert a.grad is None and b.grad is None


def test_trace_shows_values_as_the_ops_gave_them_despite_later_in_place_writes():
    # (the trace kept references: y's node showed y after `y += 100`, contradicting its consumer)
    with viz.trace():
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        w = (y * 3).sum()
        y += 100.0
    nodes = viz.draw(w).nodes
    products = sorted(tuple(n.value) for n in nodes if n.op == "Multiply")
    assert products == [(2.0, 4.0), (6.0, 12.0)]
    assert [n.value for n in nodes if n.op == "Sum"] == [18.0]


def test_untraced_intermediates_are_recomputed_and_numbered():
    _, _, d = _d_of_a_times_a_plus_b(traced=False)
    pic = viz.draw(d, show_local=True)
    nodes = _by_label(pic)
    assert set(nodes) == {"a", "b", "v1", "v2"}
    assert nodes["v1"].op == "Add" and nodes["v1"].value == 5.0
    assert nodes["v1"].value_source == "recomputed"
    assert _local(pic, "v1", "v2") == 2.0


def test_after_backward_uses_kept_grads_only():
    a = tg.tensor(2.0, requires_grad=True, name="a")
    b = tg.tensor(3.0, requires_grad=True, name="b")
    c = a + b
    c.name = "c"
    c.retain_grad()
    e = tg.exp(c)
    d = a * e
    d.backward()
    pic = viz.draw(d, show_grads=True, show_local=True)
    nodes = _by_label(pic)
    assert nodes["a"].grad_source == "stored" and nodes["a"].grad == a.grad.item()
    assert nodes["c"].grad == pytest.approx(2.0 * np.exp(5.0))
    assert nodes["v1"].op == "Exp" and nodes["v1"].grad is None  # not retained, not traced
    assert "grad not kept" in pic.svg
    assert nodes["v1"].value == pytest.approx(np.exp(5.0))  # the op saved its output
    # after the graph is freed, local derivatives come from re-running ops on known values
    assert _local(pic, "c", "v1") == pytest.approx(np.exp(5.0))
    assert _local(pic, "v1", "v2") == pytest.approx(2.0)


def test_retained_grads_survive_a_live_draw():
    a = tg.tensor(1.5, requires_grad=True)
    c = tg.sin(a)
    c.retain_grad()
    y = c * c
    y.backward(retain_graph=True)
    before = c.grad.item()
    viz.draw(y, show_grads=True)
    assert c.grad.item() == before and a.grad.item() == pytest.approx(2 * np.sin(1.5) * np.cos(1.5))


def test_a_live_draw_runs_no_hook():
    # (drawing ran the user's hooks once, and showed the hooked gradient beside plain edges)
    calls = []
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(3.0, requires_grad=True)
    c = a * b
    c.register_hook(lambda g: calls.append("c") or g * 10)
    handle = a.register_hook(lambda g: calls.append("a"))
    y = c + a
    drawing = viz.draw(y, show_grads=True)
    assert calls == [] and sorted(float(n.grad) for n in drawing.nodes) == [1, 1, 2, 4]
    y.backward(retain_graph=True)
    assert calls == ["c", "a"] and a.grad.item() == 31
    handle.remove()  # (the handles still reach the lists put back)
    y.backward()
    assert calls == ["c", "a", "c"]


@settings(max_examples=25, deadline=None)
@given(
    x1=st.floats(0.2, 3.0),
    x2=st.floats(-3.0, 3.0),
)
def test_route_sums_equal_backward(x1: float, x2: float):
    a = tg.tensor(x1, requires_grad=True, name="p")
    b = tg.tensor(x2, requires_grad=True, name="q")
    y = tg.log(a) * b + tg.sin(b) * tg.exp(a / 3.0) - a * a
    pic = viz.draw(y, show_local=True)
    ga, gb = tg.autograd.grad(y, [a, b])
    assert _route_sum(pic, "p") == pytest.approx(ga.item(), rel=1e-9, abs=1e-12)
    assert _route_sum(pic, "q") == pytest.approx(gb.item(), rel=1e-9, abs=1e-12)


def test_constants_saved_traced_or_unknown():
    a = tg.tensor(2.0, requires_grad=True, name="a")
    y = a * 3.0 + 1.0
    nodes = viz.draw(y).nodes
    consts = sorted((n for n in nodes if n.kind == "const"), key=lambda n: n.id)
    values = {float(n.value) if n.value is not None else None for n in consts}
    assert values == {None}  # add did not save its constant input
    assert "Scale(3)" in {n.op for n in nodes}  # a float factor is part of the op
    # and so is a constant exponent (x ** 3 was drawn as "PowerConstant" alone)
    assert "PowerConstant(3)" in {n.op for n in viz.draw(a**3).nodes}
    z = a * tg.tensor(3.0) + 1.0
    consts = [n for n in viz.draw(z).nodes if n.kind == "const"]
    values = {float(n.value) if n.value is not None else None for n in consts}
    assert values == {3.0, None}  # multiply saved its inputs; add did not
    with viz.trace():
        y = a * tg.tensor(3.0) + 1.0
    consts = [n for n in viz.draw(y).nodes if n.kind == "const"]
    assert sorted(float(n.value) for n in consts) == [1.0, 3.0]
    assert "const" not in {n.kind for n in viz.draw(y, show_constants=False).nodes}


def test_named_constant_tensor_keeps_its_name():
    X = tg.tensor(np.ones((3, 2)), name="X")
    W = tg.tensor(np.ones((2, 2)), requires_grad=True, name="W")
    y = (X @ W).sum()
    labels = {n.label for n in viz.draw(y).nodes}
    assert {"X", "W"} <= labels


def test_trace_removes_its_hook_even_on_error():
    assert _base.RECORD_HOOKS == []
    with pytest.raises(RuntimeError):
        with viz.trace():
            with viz.trace():
                assert len(_base.RECORD_HOOKS) == 1
            raise RuntimeError("boom")
    assert _base.RECORD_HOOKS == []


def test_arrays_summaries_and_no_scalar_locals():
    rng = np.random.default_rng(0)
    W = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True, name="W")
    x = tg.tensor(rng.standard_normal(3), name="x")
    y = tg.tanh(W @ x).sum()
    pic = viz.draw(y, show_local=True, show_grads=True)
    nodes = _by_label(pic)
    assert nodes["W"].shape == (4, 3) and "shape (4, 3)" in pic.svg
    assert "mean" in viz.summarize(W.data) and viz.summarize(np.arange(3)) == "[0, 1, 2]"
    assert np.allclose(nodes["W"].grad, tg.autograd.grad(y, [W])[0].numpy())
    assert all(e.local is None for e in pic.edges if pic.nodes[e.src].shape != ())


def test_leaf_and_plain_tensors():
    t = tg.tensor([1.0, 2.0], name="t")
    pic = viz.draw(t, show_grads=True)
    assert len(pic.nodes) == 1 and pic.nodes[0].label == "t" and pic.edges == []
    with pytest.raises(TypeError):
        viz.draw(np.ones(2))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        viz.draw(t, backend="ascii")


def test_long_chain_is_truncated_not_recursive():
    x = tg.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    pic = viz.draw(y, max_nodes=40, show_grads=True)
    assert len(pic.nodes) == 40 and pic.truncated > 0 and "not drawn" in pic.svg
    assert len(viz.draw(y).nodes) == 300


def test_svg_is_well_formed_and_escaped():
    a = tg.tensor(1.0, requires_grad=True, name='<a "quoted" & odd>')
    pic = viz.draw(tg.exp(a), show_local=True, backend="svg")
    root = ET.fromstring(pic.svg)
    assert root.tag.endswith("svg")
    assert '<a "quoted" & odd>' in "".join(root.itertext())
    assert pic._repr_svg_() == pic.svg
    assert pic.source.startswith("digraph") and '\\"quoted\\"' in pic.source


def test_save_formats(tmp_path):
    _, _, d = _d_of_a_times_a_plus_b(traced=True)
    pic = viz.draw(d, show_local=True, show_grads=True, backend="svg")
    assert ET.fromstring(pic.save(tmp_path / "g.svg").read_text()).tag.endswith("svg")
    assert pic.save(tmp_path / "g.dot").read_text() == pic.source
    with pytest.raises(ValueError):
        pic.save(tmp_path / "g.jpg")
    pytest.importorskip("matplotlib")  # (PNG without dot: the notebooks extra, in [dev])
    png = pic.save(tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_png_without_dot_or_matplotlib_says_what_to_install(tmp_path, monkeypatch):
    import sys

    _, _, d = _d_of_a_times_a_plus_b(traced=True)
    pic = viz.draw(d, backend="svg")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # (as if not installed)
    with pytest.raises(ImportError, match=r"\.png needs Graphviz's `dot` program or matplotlib"):
        pic.save(tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()
    assert pic.save(tmp_path / "g.svg").exists()


def test_backend_choice(monkeypatch):
    _, _, d = _d_of_a_times_a_plus_b(traced=False)
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    assert not viz.graphviz_available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert viz.draw(d).backend == "svg"  # (the default falls back quietly)
    # asked for by name, the fallback says why (it was silent); it never raises
    with pytest.warns(UserWarning, match="Graphviz is not available"):
        assert viz.draw(d, backend="graphviz").backend == "svg"

    pytest.importorskip("graphviz")
    monkeypatch.setattr(viz.shutil, "which", lambda name: "/usr/bin/dot")
    calls = []

    def fake_render(source: str, fmt: str) -> bytes:
        calls.append(fmt)
        return b"<svg xmlns='http://www.w3.org/2000/svg'/>"

    monkeypatch.setattr(viz, "_graphviz_render", fake_render)
    pic = viz.draw(d)
    assert pic.backend == "graphviz" and calls == ["svg"]
    assert viz.draw(d, backend="svg").backend == "svg"

    def broken(source: str, fmt: str) -> bytes:
        raise RuntimeError("dot crashed")

    monkeypatch.setattr(viz, "_graphviz_render", broken)
    assert viz.draw(d).backend == "svg"
    with pytest.warns(UserWarning, match="dot crashed"):
        assert viz.draw(d, backend="graphviz").backend == "svg"


def test_a_drawing_is_freed_by_reference_counting(tmp_path) -> None:
    """A drawing and its layout hold no reference cycle (a notebook draws often)."""
    import gc

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (tg.tanh(x) * x).sum()
    gc.collect()
    gc.disable()
    try:
        d = viz.draw(y, show_grads=True, show_local=True, backend="svg")
        d.save(tmp_path / "graph.svg")
        assert d.layout.width > 0
        del d
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_names_that_are_not_text_are_refused_or_drawn_as_text():
    with pytest.raises(TypeError, match="name must be a str or None"):
        tg.tensor(2.0, requires_grad=True, name=1)
    with pytest.raises(TypeError, match="name must be a str or None"):
        tg.Tensor(np.ones(2), name=[1])
    t = tg.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match="name must be a str or None"):
        t.name = 0  # (set afterwards: checked too; it made draw raise AttributeError)
    t.name = "0"
    assert ">0</text>" in viz.draw(t * 2, backend="svg").svg


@pytest.mark.parametrize("name", ["a\x1bb", "a\x00b", "\ud800", "two\nlines", 'q"\\<&>'])
def test_any_name_gives_well_formed_svg_and_dot(name: str) -> None:
    d = viz.draw(tg.tensor(2.0, requires_grad=True, name=name) * 2, backend="svg")
    ET.fromstring(d.svg.encode("utf-8"))  # (control characters made it invalid XML)
    label = [line for line in viz._dot_source(d).splitlines() if "ellipse" in line][0]
    assert "\n" not in label and label.count('"') - label.count('\\"') == 4


def test_value_summary_mean_does_not_overflow_near_the_dtype_maximum():
    d = viz.draw(tg.tensor(np.full(5, 3e38, np.float32), requires_grad=True) * 1, backend="svg")
    assert "mean 3e+38" in d.svg and "mean inf" not in d.svg


def test_max_nodes_must_be_an_int():
    y = tg.tensor(2.0, requires_grad=True) * 2
    for bad in (float("inf"), None, "3", True):
        with pytest.raises(TypeError, match="max_nodes"):
            viz.draw(y, max_nodes=bad)


def test_an_interrupted_live_draw_puts_back_the_hooks_and_grads_it_took(monkeypatch):
    # (they were taken before the try that puts them back: an interrupt lost them for good)
    a = tg.tensor(2.0, requires_grad=True)
    h = a * 3.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(1))
    d = h * a
    d.backward(retain_graph=True)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(viz, "_take_hooks", interrupted)  # (after the grads were taken)
    with pytest.raises(KeyboardInterrupt):
        viz.draw(d, show_grads=True)
    monkeypatch.undo()
    assert h.grad.item() == 2.0
    d.backward()
    assert seen == [1, 1]


def test_png_labels_with_dollars_are_text(tmp_path):
    pytest.importorskip("matplotlib")
    a = tg.tensor(2.0, requires_grad=True, name="$x^$")
    pic = viz.draw(a * a, backend="svg")
    assert pic.save(tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


def test_a_leaf_written_after_the_graph_shows_the_values_the_graph_used():
    # (an optimizer step between the backward and the draw: leaves showed their new values,
    # and local derivatives and recomputed values mixed old and new)
    def run(traced):
        a = tg.tensor(2.0, requires_grad=True, name="a")
        b = tg.tensor(3.0, requires_grad=True, name="b")
        if traced:
            with viz.trace():
                d = (a * b) * a
        else:
            d = (a * b) * a
        d.backward()
        tg.optim.SGD([a, b], lr=0.1).step()
        return viz.draw(d, show_local=True)

    pic = run(traced=True)
    nodes = _by_label(pic)
    assert (nodes["a"].value, nodes["b"].value, nodes["v1"].value) == (2.0, 3.0, 6.0)
    assert _local(pic, "v1", "v2") == 2.0 and _local(pic, "a", "v1") == 3.0
    pic = run(traced=False)  # (no copies kept: nothing shown rather than the new values)
    nodes = _by_label(pic)
    assert nodes["a"].value is None and _local(pic, "a", "v1") is None
