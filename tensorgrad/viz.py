"""Pictures of the recorded graph: one node per tensor, edges carrying local derivatives.

The literature teaches reverse mode with a figure: variables are nodes, each edge carries the
local derivative of its head with respect to its tail, and a derivative is "multiply along each
route, add the routes". :func:`draw` makes that figure for the user's own computation.

Backends, chosen per call (``backend=None``):

* ``"graphviz"``: when the ``graphviz`` Python package is importable *and* the Graphviz ``dot``
  program is on ``PATH``, ``dot`` lays the graph out and renders SVG and PNG.
* ``"svg"``: otherwise. A self-contained layout (layers by longest path, order by barycentre
  sweeps) written as SVG by this module; ``save(..., ".png")`` then draws the same layout with
  matplotlib (part of the ``notebooks`` extra). Nothing here needs more than NumPy to draw.

What :func:`draw` can see. A node never points to the Tensor it produced, so the value, name
and ``.grad`` of an intermediate tensor are taken, in this order, from: the tensor itself when it
called ``retain_grad()``; the record kept by :func:`trace` when the graph was built inside it;
the op's saved output; or the op re-run on its inputs' values (when every input value is known:
inputs requiring grad always are, constants only when the op saved them or :func:`trace`
recorded them). A value that cannot be found is shown as "not recorded", never guessed.
"""

from __future__ import annotations

import html
import math
import re
import shutil
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tensorgrad._display import _mean_std
from tensorgrad.grad_mode import enable_grad, no_grad
from tensorgrad.ops import _base
from tensorgrad.ops._base import Op
from tensorgrad.tensor import Tensor

__all__ = ["draw", "trace", "Drawing", "NodeInfo", "EdgeInfo", "graphviz_available"]


# ---------------------------------------------------------------- trace: what nodes do not keep
@dataclass
class _Record:
    """What :func:`trace` keeps for one op: its output (weakly, plus the array) and its inputs."""

    out_ref: Any
    out_data: np.ndarray  # (a copy, as the op gave it: later in-place writes do not show)
    out_version: int  # (the output's write count then; the live tensor is shown only while equal)
    inputs: tuple  # (copies, as for out_data)
    input_refs: tuple
    seq: int


_TRACE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TRACE_DEPTH = [0, 0]  # nesting depth, ops recorded so far


def _tracing_record(op: Op, inputs: tuple, t: Tensor) -> None:
    values = []
    refs = []
    for x in inputs:
        if isinstance(x, Tensor):
            values.append(x.data.copy())
            refs.append(weakref.ref(x))
        else:
            try:
                values.append(np.array(x))
            except Exception:
                values.append(None)
            refs.append(None)
    _TRACE_DEPTH[1] += 1
    _TRACE[op] = _Record(
        weakref.ref(t), t.data.copy(), t.version, tuple(values), tuple(refs), _TRACE_DEPTH[1]
    )


@contextmanager
def trace() -> Iterator[None]:
    """Record, for every op run inside, its output tensor and its constant inputs.

    Without it, :func:`draw` knows an intermediate tensor only through what its op saved for
    backward; with it, every intermediate keeps its value and (while the tensor is alive) its
    ``name``, so a figure can label ``c = a + b`` as ``c``. Records live as long as the graph
    and hold copies of the values, so that a later in-place write does not change the figure.
    The hook is process-wide (not per thread); nesting is fine.
    """
    if _TRACE_DEPTH[0] == 0:
        _base.RECORD_HOOKS.append(_tracing_record)
    _TRACE_DEPTH[0] += 1
    try:
        yield
    finally:
        _TRACE_DEPTH[0] -= 1
        if _TRACE_DEPTH[0] == 0:
            _base.RECORD_HOOKS.remove(_tracing_record)


# ---------------------------------------------------------------- the graph as data
@dataclass
class NodeInfo:
    """One drawn node: a leaf tensor, an op's output tensor, or a constant input."""

    id: int
    kind: str  # "leaf", "op" or "const"
    label: str  # the name shown: the tensor's name, or x1.. / v1.. when it has none
    op: str | None  # the op class name for "op" nodes
    shape: tuple[int, ...] | None
    dtype: np.dtype | None
    value: np.ndarray | None
    value_source: str | None  # "tensor", "trace", "saved", "recomputed" or None
    grad: np.ndarray | None = None
    grad_source: str | None = None  # "computed" (d output / d node) or "stored" (.grad)


@dataclass
class EdgeInfo:
    """An edge from an input node to the node it feeds; ``local`` is d(dst)/d(src) if scalar."""

    src: int
    dst: int
    local: float | None = None
    inputs: tuple[int, ...] = field(default=())  # the op's input positions this edge stands for


class _Graph:
    """Walk the recorded graph from ``root`` and gather what can be shown."""

    def __init__(self, root: Tensor, show_constants: bool, max_nodes: int) -> None:
        self.root = root
        self.nodes: list[NodeInfo] = []
        self.keys: list[Any] = []
        self.index: dict[Any, int] = {}
        self.edges: list[EdgeInfo] = []
        self.tensors: dict[int, Tensor] = {}  # node id -> tensor, when the tensor is known
        self.truncated = 0
        self._walk(show_constants, max_nodes)

    def _add(self, key: Any, kind: str, shape: Any, dtype: Any) -> int:
        i = len(self.nodes)
        self.nodes.append(NodeInfo(i, kind, "", None, shape, dtype, None, None))
        self.keys.append(key)
        self.index[key] = i
        return i

    def _walk(self, show_constants: bool, max_nodes: int) -> None:
        root = self.root
        top = root.grad_fn if root.grad_fn is not None else root
        self._add(top, "op" if isinstance(top, Op) else "leaf", root.shape, root.dtype)
        self.tensors[0] = root
        queue = [top]
        head = 0
        pending: dict[tuple[int, int], list[int]] = {}
        while head < len(queue):
            key = queue[head]
            head += 1
            if not isinstance(key, Op):
                continue
            dst = self.index[key]
            self.nodes[dst].op = key.name
            for pos, edge in enumerate(_edges(key)):
                if edge is None:
                    if not show_constants:
                        continue
                    ckey = (key, pos)
                    if len(self.nodes) >= max_nodes:
                        self.truncated += 1
                        continue
                    src = self._add(ckey, "const", None, None)
                else:
                    parent, shape, dtype = edge
                    src = self.index.get(parent)
                    if src is None:
                        if len(self.nodes) >= max_nodes:
                            self.truncated += 1
                            continue
                        kind = "op" if isinstance(parent, Op) else "leaf"
                        src = self._add(parent, kind, tuple(shape), np.dtype(dtype))
                        queue.append(parent)
                        if kind == "leaf":
                            self.tensors[src] = parent
                pending.setdefault((src, dst), []).append(pos)
        for (src, dst), positions in pending.items():
            self.edges.append(EdgeInfo(src, dst, None, tuple(positions)))

    def order(self) -> list[int]:
        """Node ids in evaluation order: every node after its inputs, inputs left to right.

        A depth-first post-order from the output, taking each op's inputs in argument order,
        is the order Python evaluated an expression in; when :func:`trace` saw every op, its
        record of creation order is used instead.
        """
        preds: dict[int, list[tuple[int, int]]] = {i: [] for i in range(len(self.nodes))}
        for e in self.edges:
            preds[e.dst].append((min(e.inputs, default=0), e.src))
        done: set[int] = set()
        out: list[int] = []
        stack = [(0, False)]
        while stack:
            n, expanded = stack.pop()
            if n in done:
                continue
            if expanded:
                done.add(n)
                out.append(n)
                continue
            stack.append((n, True))
            stack.extend((p, False) for _, p in sorted(preds[n], reverse=True) if p not in done)
        seqs = {}
        for n in out:
            if self.nodes[n].kind == "op":
                rec = _TRACE.get(self.keys[n])
                if rec is None:
                    return out
                seqs[n] = rec.seq
        slots = [i for i, n in enumerate(out) if n in seqs]
        for i, n in zip(slots, sorted(seqs, key=seqs.__getitem__), strict=True):
            out[i] = n
        return out


def _edges(node: Op) -> tuple:
    """Per input: None, or (parent node or leaf, shape, dtype)."""
    edges = getattr(node, "edges", ()) or ()
    return tuple(
        None if p is None else (p, node.in_shape(i), node.in_dtype(i)) for i, p in enumerate(edges)
    )


def _extras(node: Op) -> dict:
    return getattr(node, "extras", None) or {}


def _retained(node: Op) -> Tensor | None:
    ref = _extras(node).get("retained")
    return ref() if ref is not None else None


def _traced_tensor(node: Op) -> Tensor | None:
    """The traced output, while alive and not written to since (else the trace's copy is used)."""
    rec = _TRACE.get(node)
    t = rec.out_ref() if rec is not None else None
    return t if t is not None and t.version == rec.out_version else None


def _saved_object(node: Op, pos: int) -> Any:
    """Input ``pos`` as the op saved it for backward (None if not saved or released)."""
    if getattr(node, "released", True) or pos not in node.save_inputs:
        return None
    saved = getattr(node, "saved", ())
    k = node.save_inputs.index(pos)
    return saved[k] if k < len(saved) else None


def _saved_input(node: Op, pos: int) -> np.ndarray | None:
    """The value of input ``pos`` if the op saved it for backward and has not released it."""
    x = _saved_object(node, pos)
    if x is None:
        return None
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _name(t: Tensor | None) -> str:
    """``t``'s name ("" for none: the drawing numbers it)."""
    return "" if t is None or t.name is None else t.name


def _fill_values(g: _Graph) -> None:
    """Names and values for every node (see the module docstring for the order of sources)."""
    for nid in g.order():
        info, key = g.nodes[nid], g.keys[nid]
        if info.kind == "leaf":
            info.label = _name(key)
            info.value, info.value_source = _leaf_value(g, nid, key)
        elif info.kind == "const":
            op, pos = key
            rec = _TRACE.get(op)
            value = None
            if rec is not None:
                ref = rec.input_refs[pos]
                t = ref() if ref is not None else None
                info.label = _name(t)
                value, info.value_source = rec.inputs[pos], "trace"
            if value is None:
                saved = _saved_object(op, pos)
                if isinstance(saved, Tensor):
                    info.label = _name(saved)
                value = _saved_input(op, pos)
                info.value_source = "saved" if value is not None else None
            info.value = value
            if value is not None:
                info.shape, info.dtype = value.shape, value.dtype
        else:
            t = g.tensors.get(nid)
            if t is None:
                t = _retained(key)
            if t is None:
                t = _traced_tensor(key)
            if t is not None:
                g.tensors[nid] = t
                info.label = _name(t)
                info.value, info.value_source = t.data, "tensor"
                continue
            rec = _TRACE.get(key)
            if rec is not None:
                info.value, info.value_source = rec.out_data, "trace"
                continue
            out = getattr(key, "out_data", None)
            if out is not None and key.save_output:
                info.value, info.value_source = out, "saved"
                continue
            inputs = _input_values(g, nid)
            if inputs is not None:
                value = _rerun(key, inputs)
                if value is not None and value.shape == info.shape:
                    info.value, info.value_source = value, "recomputed"
    leaves = ops = 0
    for nid in g.order():
        info = g.nodes[nid]
        if info.label or info.kind == "const":
            continue
        if info.kind == "leaf":
            leaves += 1
            info.label = f"x{leaves}"
        else:
            ops += 1
            info.label = f"v{ops}"
    for info in g.nodes:
        if info.kind == "const" and not info.label:
            info.label = "const"


def _leaf_value(g: _Graph, nid: int, leaf: Tensor) -> tuple[Any, str | None]:
    """A leaf's value as the graph used it: its data, unless it was written in place after an
    op that uses it was recorded (an optimizer step): then the copy a trace kept, or nothing
    (its current values are not the ones the graph's values and derivatives came from)."""
    cell = leaf._version
    if cell is None:  # (never written in place: no use to look for)
        return leaf.data, "tensor"
    uses = [(g.keys[e.dst], e.inputs) for e in g.edges if e.src == nid]
    if not uses or cell[1] <= min(op.stamp for op, _ in uses):
        return leaf.data, "tensor"
    for op, positions in uses:
        rec = _TRACE.get(op)
        if rec is not None and positions and rec.inputs[positions[0]] is not None:
            return rec.inputs[positions[0]], "trace"
    return None, None


def _input_values(g: _Graph, nid: int) -> list | None:
    """The values of every input of op node ``nid``, or None if one is unknown."""
    node = g.keys[nid]
    values = []
    for pos, edge in enumerate(_edges(node)):
        if edge is not None:
            value = g.nodes[g.index[edge[0]]].value if edge[0] in g.index else None
        else:
            rec = _TRACE.get(node)
            value = rec.inputs[pos] if rec is not None else _saved_input(node, pos)
        if value is None:
            return None
        values.append(value)
    return values


def _rerun(node: Op, inputs: list) -> np.ndarray | None:
    """The op's forward applied again to ``inputs`` (plain arrays in, plain array out)."""
    try:
        with no_grad():
            out = node.reapply(*inputs)
        return np.asarray(out.data if isinstance(out, Tensor) else out)
    except Exception:
        return None


# ---------------------------------------------------------------- local derivatives
def _fill_locals(g: _Graph) -> None:
    """d(dst)/d(src) on each edge whose two ends hold one number each."""
    for e in g.edges:
        src, dst = g.nodes[e.src], g.nodes[e.dst]
        if dst.kind != "op" or src.kind == "const":
            continue
        if not (_is_scalar(src.shape) and _is_scalar(dst.shape)):
            continue
        parts = _local_parts(g, e.dst)
        if parts is None:
            continue
        total = 0.0
        for pos in e.inputs:
            if parts[pos] is None:
                break
            total += float(np.asarray(parts[pos]).reshape(()))
        else:
            e.local = total


def _is_scalar(shape: Any) -> bool:
    return shape is not None and math.prod(shape) == 1


def _local_parts(g: _Graph, nid: int) -> list | None:
    """Per input position, d(out)/d(input) for a one-element output, or None entries."""
    cache = getattr(g, "_local_cache", None)
    if cache is None:
        cache = g._local_cache = {}  # type: ignore[attr-defined]
    if nid in cache:
        return cache[nid]
    node, info = g.keys[nid], g.nodes[nid]
    parts = None
    if not getattr(node, "released", True) and not _saved_written(node):
        # The op's own adjoint rule on a unit cotangent, with the values it saved.
        try:
            contributions: list = [None] * len(_edges(node))
            delta = np.ones(info.shape, dtype=info.dtype)
            with no_grad():
                node.generate_adjoints(contributions, delta, *node.saved_args(False))
            parts = [None if c is None else np.asarray(c) for c in contributions]
        except Exception:
            parts = None
    if parts is None:
        inputs = _input_values(g, nid)
        if inputs is not None:
            parts = _rerun_grads(node, inputs)
    cache[nid] = parts
    return parts


def _saved_written(node: Op) -> bool:
    """Whether a value ``node`` saved was written in place since (backward would refuse it)."""
    from tensorgrad.autograd import _check_versions

    try:
        _check_versions(node)
    except RuntimeError:
        return True
    return False


def _rerun_grads(node: Op, inputs: list) -> list | None:
    """Local derivatives by re-running the op on fresh leaves (after the graph was freed)."""
    from tensorgrad import autograd

    try:
        leaves = [
            Tensor(v, requires_grad=e is not None) if e is not None else Tensor(v)
            for v, e in zip(inputs, _edges(node), strict=True)
        ]
        with enable_grad():
            out = node.reapply(*leaves)
        wanted = [x for x in leaves if x._requires_grad]
        grads = iter(autograd.grad(out, wanted, allow_unused=True))
        return [None if not x._requires_grad else _data_or_none(next(grads)) for x in leaves]
    except Exception:
        return None


def _data_or_none(t: Tensor | None) -> np.ndarray | None:
    return None if t is None else t.data


# ---------------------------------------------------------------- gradients
def _fill_grads(g: _Graph) -> None:
    """d(root)/d(node) computed while the graph is alive, else the ``.grad`` that was kept."""
    from tensorgrad import autograd

    root = g.root
    live = (
        root._requires_grad
        and root.size == 1
        and (root.grad_fn is None or not getattr(root.grad_fn, "released", True))
    )
    if live:
        targets: list[tuple[int, Tensor]] = []
        for info, key in zip(g.nodes, g.keys, strict=True):
            if info.kind == "leaf":
                targets.append((info.id, key))
            elif info.kind == "op":
                # A stand-in tensor whose creator is this node: grad() reports the node's adjoint.
                stand_in = Tensor._make(np.empty(info.shape, info.dtype), key, True)
                targets.append((info.id, stand_in))
        # grad() also feeds retain_grad() tensors, and drawing runs no user hook: both are
        # taken off and put back after, listed as they are taken (an interrupt in the middle
        # puts back those taken so far)
        kept: list[tuple[Tensor, Any]] = []
        hooked: list[tuple[Any, list]] = []
        try:
            _keep_grads(g, kept)
            _take_hooks(root, hooked)
            grads = autograd.grad(
                root, [t for _, t in targets], retain_graph=True, allow_unused=True
            )
        except Exception:
            grads = None
        finally:
            for t, old in kept:
                t._grad = old
            for holder, hooks in hooked:
                if isinstance(holder, Tensor):
                    holder._hooks = hooks
                else:
                    holder.extras["hooks"] = hooks
        if grads is not None:
            for (nid, _), gr in zip(targets, grads, strict=True):
                info = g.nodes[nid]
                info.grad = None if gr is None else gr.data
                info.grad_source = None if gr is None else "computed"
            return
    for nid, info in enumerate(g.nodes):
        t = g.tensors.get(nid)
        if t is not None and t._grad is not None:  # (not .grad: a non-leaf's read warns)
            info.grad, info.grad_source = t._grad.data, "stored"


def _take_hooks(root: Tensor, taken: list[tuple[Any, list]]) -> None:
    """Take the hooks off every node and leaf behind ``root``, listing in ``taken`` what to put
    back (each entry before its hooks are taken off)."""
    stack: list[Any] = [root._node if root._node is not None else root]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Tensor):
            if item._hooks:
                taken.append((item, item._hooks))
                item._hooks = None
            continue
        hooks = item.extras.get("hooks") if item.extras else None
        if hooks:
            taken.append((item, hooks))
            item.extras["hooks"] = None
        stack.extend(e for e in item.edges if e is not None)


def _keep_grads(g: _Graph, kept: list[tuple[Tensor, Any]]) -> None:
    """Take the ``.grad`` of the retain_grad() tensors in ``g`` apart, listing them in ``kept``
    to be put back after the walk (``grad()`` leaves them alone; this keeps them so whatever the
    hooks it runs do)."""
    for key in g.keys:
        if isinstance(key, Op):
            t = _retained(key)
            if t is not None:
                kept.append((t, t._grad))
                t._grad = None


# ---------------------------------------------------------------- text of the labels
def _fmt(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if x == 0:
        return "0"
    return f"{x:.4g}"


def summarize(a: np.ndarray | None) -> str:
    """A short text for a value: the number itself, a few entries, or mean and range."""
    if a is None:
        return "not recorded"
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.size == 1:
        return _fmt(a.reshape(()).item())
    if a.size <= 4:
        return "[" + ", ".join(_fmt(v) for v in a.reshape(-1).tolist()) + "]"
    if a.dtype.kind in "biu":
        return f"range [{_fmt(a.min())}, {_fmt(a.max())}]"
    with np.errstate(all="ignore"):
        # (finite values near the dtype's maximum: a plain mean would overflow to inf)
        mean = _mean_std(a)[0] if np.isfinite(a).all() else a.mean()
        return f"mean {_fmt(mean)}, range [{_fmt(a.min())}, {_fmt(a.max())}]"


def _lines(info: NodeInfo, show_values: bool, show_grads: bool) -> list[tuple[str, str]]:
    """The label of a node as (text, style) lines; style is "title", "op", "grad" or ""."""
    title = info.label
    if info.kind == "op" and info.op:
        title = f"{info.label} = {info.op}"
    lines = [(title, "title")]
    if info.shape is not None and len(info.shape) > 0:
        dt = "" if info.dtype is None or info.dtype == np.float64 else f" {info.dtype}"
        lines.append((f"shape {info.shape}{dt}", ""))
    if show_values:
        lines.append((f"value {summarize(info.value)}", ""))
    if show_grads and info.kind != "const":
        text = "not kept" if info.grad is None else summarize(info.grad)
        lines.append((f"grad {text}", "grad"))
    return lines


def _edge_label(g: _Graph, e: EdgeInfo) -> str:
    if e.local is None:
        return ""
    return f"∂{g.nodes[e.dst].label}/∂{g.nodes[e.src].label} = {_fmt(e.local)}"


# ---------------------------------------------------------------- the drawing
def graphviz_available() -> bool:
    """Whether the ``graphviz`` package and the ``dot`` program are both present."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


class Drawing:
    """A drawn graph: Jupyter shows it inline (SVG); ``save`` writes ``.svg``, ``.png``, ``.dot``.

    ``nodes`` and ``edges`` hold what was drawn as data; ``source`` is the Graphviz DOT text
    (always available); ``backend`` says which renderer made ``svg`` ("graphviz" or "svg").
    """

    def __init__(self, g: _Graph, lines: list, labels: list, backend: str | None) -> None:
        self.nodes: list[NodeInfo] = g.nodes
        self.edges: list[EdgeInfo] = g.edges
        self.truncated = g.truncated
        self._lines = lines
        self._edge_labels = labels
        self.source = _dot_source(self)
        self.backend = "svg"
        self._layout: _Layout | None = None
        self.svg = ""
        failed = "Graphviz is not available (the graphviz package and its `dot` program)"
        if backend in (None, "graphviz") and graphviz_available():
            failed = "Graphviz gave no picture"
            try:
                self.svg = _graphviz_render(self.source, "svg").decode("utf-8")
                self.backend = "graphviz"
            except Exception as exc:
                self.svg = ""
                failed = f"Graphviz failed ({type(exc).__name__}: {exc})"
        if not self.svg and backend == "graphviz":  # (asked for by name: say why it is not)
            warnings.warn(f"draw: {failed}; drawn with the built-in SVG layout", stacklevel=3)
        if not self.svg:
            self.svg = _svg(self)

    @property
    def layout(self) -> _Layout:
        if self._layout is None:
            self._layout = _Layout(self)
        return self._layout

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<Drawing: {len(self.nodes)} nodes, {len(self.edges)} edges, {self.backend}>"

    def save(self, path: str | Path) -> Path:
        """Write the picture; the suffix picks the format (``.svg``, ``.png``, ``.dot``/``.gv``).

        PNG comes from ``dot`` when this drawing used it, else from matplotlib.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            path.write_text(self.svg, encoding="utf-8")
        elif suffix in (".dot", ".gv"):
            path.write_text(self.source, encoding="utf-8")
        elif suffix == ".png":
            if self.backend == "graphviz":
                path.write_bytes(_graphviz_render(self.source, "png"))
            else:
                _matplotlib_png(self, path)
        else:
            raise ValueError(f"save: unknown format {suffix!r}; expected .svg, .png or .dot")
        return path


def draw(
    tensor: Tensor,
    show_values: bool = True,
    show_grads: bool = False,
    show_local: bool = False,
    *,
    show_constants: bool = True,
    max_nodes: int = 300,
    backend: str | None = None,
) -> Drawing:
    """Draw the graph that produced ``tensor``: one node per tensor, inputs on the left.

    Each node shows the tensor's name (``x1``, ``v1``… when it has none), the op that made it,
    its shape and a value summary. ``show_grads`` adds d(tensor)/d(node): computed by
    ``tg.autograd.grad(..., retain_graph=True)`` while the graph is alive (``.grad`` fields are
    left as they were, and no hook runs), else read from the ``.grad`` of leaves and
    ``retain_grad()`` tensors.
    ``show_local`` writes the local derivative on each edge whose two ends are single numbers.
    Constants (inputs that do not require grad) are grey. Only the ``max_nodes`` nodes
    nearest the output are drawn. ``backend`` forces ``"graphviz"`` or ``"svg"``; by default
    Graphviz is used when its ``dot`` program is installed, the built-in SVG layout otherwise
    (see the module docstring; with ``"graphviz"`` asked for, the fallback warns). Drawing
    never raises on a valid tensor.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw: expected a Tensor, got {type(tensor).__name__}")
    if backend not in (None, "graphviz", "svg"):
        raise ValueError(f"draw: backend must be None, 'graphviz' or 'svg', got {backend!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
        raise TypeError(f"draw: max_nodes must be an int, got {max_nodes!r}")
    g = _Graph(tensor, show_constants, max(1, int(max_nodes)))
    _fill_values(g)
    if show_local:
        _fill_locals(g)
    if show_grads:
        _fill_grads(g)
    lines = [_lines(n, show_values, show_grads) for n in g.nodes]
    labels = [_edge_label(g, e) for e in g.edges]
    return Drawing(g, lines, labels, backend)


# ---------------------------------------------------------------- Graphviz backend
def _dot_text(s: str) -> str:
    """``s`` inside a DOT string: quotes and backslashes escaped, a line break as DOT's."""
    s = _printable(s).replace("\\", "\\\\").replace('"', '\\"')
    return s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _dot_quote(s: str) -> str:
    return '"' + _dot_text(s) + '"'


def _dot_source(d: Drawing) -> str:
    out = [
        "digraph tensorgrad {",
        "  rankdir=LR;",
        '  node [fontname="monospace", fontsize=11];',
        '  edge [fontname="monospace", fontsize=10];',
    ]
    for info, lines in zip(d.nodes, d._lines, strict=True):
        label = "\\n".join(_dot_text(text) for text, _ in lines)
        style = {
            "leaf": 'shape=ellipse, style=filled, fillcolor="#dbeafe"',
            "op": 'shape=box, style="rounded,filled", fillcolor="#fef3c7"',
            "const": 'shape=box, style="dashed", color="#9ca3af", fontcolor="#6b7280"',
        }[info.kind]
        out.append(f'  n{info.id} [label="{label}", {style}];')
    for e, text in zip(d.edges, d._edge_labels, strict=True):
        attrs = f" [label={_dot_quote(text)}]" if text else ""
        out.append(f"  n{e.src} -> n{e.dst}{attrs};")
    if d.truncated:
        out.append(
            f'  label="cut at max_nodes: {d.truncated} inputs of the drawn nodes not drawn";'
        )
    out.append("}")
    return "\n".join(out) + "\n"


def _graphviz_render(source: str, fmt: str) -> bytes:
    import graphviz

    return graphviz.Source(source).pipe(format=fmt)


# ---------------------------------------------------------------- built-in layout
_CHAR_W = 7.0
_LINE_H = 15.0
_PAD = 8.0
_V_GAP = 18.0
_FILL = {"leaf": "#dbeafe", "op": "#fef3c7", "const": "#ffffff"}
_STROKE = {"leaf": "#3b82f6", "op": "#d97706", "const": "#9ca3af"}


class _Layout:
    """A layered drawing, left to right (the Sugiyama recipe, kept small).

    Layers by longest path from the inputs (inputs sit just before their first consumer); an
    edge spanning several layers passes through invisible waypoints, one per layer, so it goes
    around boxes rather than through them; the order inside each layer comes from barycentre
    sweeps; boxes are sized to their text. ``curves`` holds each edge as cubic Bezier segments
    and the point where its label goes.
    """

    def __init__(self, d: Drawing) -> None:
        n = len(d.nodes)
        preds: list[list[int]] = [[] for _ in range(n)]
        succs: list[list[int]] = [[] for _ in range(n)]
        for e in d.edges:
            preds[e.dst].append(e.src)
            succs[e.src].append(e.dst)
        order = _topo(n, preds)
        rank = [0] * n
        for v in order:
            if d.nodes[v].kind == "op":
                rank[v] = 1 + max((rank[p] for p in preds[v] if d.nodes[p].kind == "op"), default=0)
        for v in reversed(order):
            if d.nodes[v].kind != "op" and succs[v]:
                rank[v] = min(rank[s] for s in succs[v]) - 1
        low = min(rank, default=0)
        rank = [r - low for r in rank]
        self.w = [0.0] * n
        self.h = [0.0] * n
        for v, lines in enumerate(d._lines):
            self.w[v] = max(len(t) for t, _ in lines) * _CHAR_W + 2 * _PAD
            self.h[v] = len(lines) * _LINE_H + _PAD
        # Waypoints: virtual nodes n, n+1, ... on the layers an edge crosses.
        chains: list[list[int]] = []
        label_at: list[int | None] = []
        vpreds, vsuccs = [list(p) for p in preds], [list(s) for s in succs]
        for e, text in zip(d.edges, d._edge_labels, strict=True):
            chain = [e.src]
            for r in range(rank[e.src] + 1, rank[e.dst]):
                v = len(rank)
                rank.append(r)
                self.w.append(_label_w(text) if text and len(chain) == 1 else 0.0)
                self.h.append(_LINE_H if text and len(chain) == 1 else 4.0)
                vpreds.append([chain[-1]])
                vsuccs.append([])
                vsuccs[chain[-1]].append(v)
                chain.append(v)
            if len(chain) > 1:
                vsuccs[chain[-1]].append(e.dst)
                vpreds[e.dst].append(chain[-1])
            chain.append(e.dst)
            chains.append(chain)
            label_at.append(chain[1] if text and len(chain) > 2 else None)
        total = len(rank)
        layers: list[list[int]] = [[] for _ in range(max(rank, default=0) + 1)]
        for v in order + list(range(n, total)):
            layers[rank[v]].append(v)
        pos = {v: i for layer in layers for i, v in enumerate(layer)}
        for sweep in range(8):
            down = sweep % 2 == 0
            nbrs = vpreds if down else vsuccs
            for layer in layers[1:] if down else layers[-2::-1]:

                def bary(v: int, nbrs: list[list[int]] = nbrs) -> float:
                    ps = [pos[u] for u in nbrs[v]]
                    return sum(ps) / len(ps) if ps else pos[v]

                layer.sort(key=bary)
                for i, v in enumerate(layer):
                    pos[v] = i
        gaps = [0.0] * len(layers)  # room for labels of one-layer edges after each layer
        for chain, text in zip(chains, d._edge_labels, strict=True):
            if text and len(chain) == 2:
                gaps[rank[chain[0]]] = max(gaps[rank[chain[0]]], _label_w(text))
        heights = [sum(self.h[v] for v in layer) + _V_GAP * (len(layer) - 1) for layer in layers]
        total_h = max(heights, default=0.0)
        self.x = [0.0] * total
        self.y = [0.0] * total
        x = 20.0
        for li, layer in enumerate(layers):
            width = max((self.w[v] for v in layer), default=0.0)
            y = 20.0 + (total_h - heights[li]) / 2
            for v in layer:
                self.x[v] = x + (width - self.w[v]) / 2
                self.y[v] = y
                y += self.h[v] + _V_GAP
            x += width + max(50.0, gaps[li] + 30.0)
        self.width = max((self.x[v] + self.w[v] for v in range(n)), default=0.0) + 20.0
        self.height = total_h + 40.0 + (_LINE_H if d.truncated else 0.0)
        self.curves: list[tuple[list[tuple], tuple[float, float] | None, str]] = []
        for chain, text, at in zip(chains, d._edge_labels, label_at, strict=True):
            pts = []  # (x_in, x_out, y) of each box or waypoint along the edge
            for v in chain:
                pts.append((self.x[v], self.x[v] + self.w[v], self.y[v] + self.h[v] / 2))
            segments = []
            for (_, xa, ya), (xb, xb_out, yb) in zip(pts, pts[1:], strict=False):
                dx = max(15.0, (xb - xa) / 2)
                segments.append(((xa, ya), (xa + dx, ya), (xb - dx, yb), (xb, yb)))
                if xb_out > xb and (xb, xb_out, yb) != pts[-1]:
                    segments.append(((xb, yb), (xb, yb), (xb_out, yb), (xb_out, yb)))
            if not text:
                where = None
            elif at is not None:
                where = (self.x[at] + self.w[at] / 2, self.y[at] + self.h[at] / 2)
            else:  # near the head, where edges fanning out of one node have spread apart
                where = _bezier_at_x(segments[0], pts[-1][0] - 8 - _label_w(text) / 2)
            self.curves.append((segments, where, text))


def _topo(n: int, preds: list[list[int]]) -> list[int]:
    count = [len(p) for p in preds]
    succs: list[list[int]] = [[] for _ in range(n)]
    for v, ps in enumerate(preds):
        for p in ps:
            succs[p].append(v)
    ready = [v for v in range(n) if count[v] == 0][::-1]
    out = []
    while ready:
        v = ready.pop()
        out.append(v)
        for s in succs[v]:
            count[s] -= 1
            if count[s] == 0:
                ready.append(s)
    return out


def _label_w(text: str) -> float:
    return len(text) * _CHAR_W * 0.9 + 6


def _bezier(c: tuple, t: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = c
    u = 1 - t
    a, b, k, d = u**3, 3 * u * u * t, 3 * u * t * t, t**3
    return (a * x0 + b * x1 + k * x2 + d * x3, a * y0 + b * y1 + k * y2 + d * y3)


def _bezier_at_x(c: tuple, x: float) -> tuple[float, float]:
    """The point of a left-to-right Bezier segment at abscissa ``x`` (bisection on t)."""
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        if _bezier(c, mid)[0] < x:
            lo = mid
        else:
            hi = mid
    return _bezier(c, lo)


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _printable(text: str) -> str:
    """``text`` with what XML 1.0 forbids (control characters but tab, newline and carriage
    return; lone surrogates) replaced by U+FFFD, so that a name cannot break the SVG."""
    return _UNPRINTABLE.sub("\ufffd", text)


def _esc(text: str) -> str:
    return html.escape(_printable(text))


def _svg(d: Drawing) -> str:
    lay = d.layout
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="11">',
        '<defs><marker id="tg-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#4b5563"/></marker>'
        "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for segments, _, _ in lay.curves:
        path = f"M{segments[0][0][0]:.1f},{segments[0][0][1]:.1f}"
        for _, (x1, y1), (x2, y2), (x3, y3) in segments:
            path += f" C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} {x3:.1f},{y3:.1f}"
        out.append(
            f'<path d="{path}" fill="none" stroke="#4b5563" stroke-width="1.2" '
            'marker-end="url(#tg-arrow)"/>'
        )
    for _, where, text in lay.curves:
        if where is not None:
            mx, my = where
            w = _label_w(text)
            out.append(
                f'<rect x="{mx - w / 2:.1f}" y="{my - 8:.1f}" width="{w:.1f}" height="15" '
                'fill="white" fill-opacity="0.9"/>'
            )
            out.append(
                f'<text x="{mx:.1f}" y="{my + 3.5:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#7c3aed">{_esc(text)}</text>'
            )
    for v, info in enumerate(d.nodes):
        x, y, w, h = lay.x[v], lay.y[v], lay.w[v], lay.h[v]
        radius = min(h / 2, 14.0) if info.kind == "leaf" else 6
        dash = ' stroke-dasharray="4,3"' if info.kind == "const" else ""
        out.append(f'<g class="node {info.kind}"><title>{_esc(info.label)}</title>')
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius:.1f}" '
            f'fill="{_FILL[info.kind]}" stroke="{_STROKE[info.kind]}" stroke-width="1.2"{dash}/>'
        )
        for k, (text, style) in enumerate(d._lines[v]):
            attrs = {
                "title": ' font-weight="bold"',
                "grad": ' fill="#b91c1c"',
                "": ' fill="#374151"' if info.kind != "const" else ' fill="#6b7280"',
            }.get(style, "")
            ty = y + _PAD / 2 + _LINE_H * (k + 1) - 4
            out.append(
                f'<text x="{x + w / 2:.1f}" y="{ty:.1f}" text-anchor="middle"{attrs}>'
                f"{_esc(text)}</text>"
            )
        out.append("</g>")
    if d.truncated:
        out.append(
            f'<text x="20" y="{lay.height - 10:.0f}" fill="#6b7280">'
            f"cut at max_nodes: {d.truncated} inputs of the drawn nodes not drawn</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _matplotlib_png(d: Drawing, path: Path, dpi: int = 100) -> None:
    """Draw the built-in layout with matplotlib (PNG when Graphviz is absent)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError(
            "save: a .png needs Graphviz's `dot` program or matplotlib (pip install "
            "'tensorgrad[notebooks]'); .svg and .dot need neither"
        ) from None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MPath

    lay = d.layout
    fig = Figure(figsize=(max(lay.width, 50) / dpi, max(lay.height, 50) / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    font = {"family": "monospace", "size": 11 * 72 / dpi}
    for segments, where, text in lay.curves:
        pts = [segments[0][0]]
        for seg in segments:
            pts.extend(seg[1:])
        codes = [MPath.MOVETO] + [MPath.CURVE4] * (len(pts) - 1)
        ax.add_patch(
            FancyArrowPatch(
                path=MPath(pts, codes), arrowstyle="-|>", mutation_scale=10, color="#4b5563"
            )
        )
        if where is not None:
            # (parse_math=False: a "$" in a name is text, not matplotlib's math; what XML
            # forbids is no glyph either)
            ax.text(where[0], where[1], _printable(text), ha="center", va="center",
                    color="#7c3aed", parse_math=False,
                    fontdict={**font, "size": font["size"] * 0.9},
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip
    for v, info in enumerate(d.nodes):
        x, y, w, h = lay.x[v], lay.y[v], lay.w[v], lay.h[v]
        ax.add_patch(
            FancyBboxPatch(
                (x, y), w, h, boxstyle="round,pad=0,rounding_size=6",
                facecolor=_FILL[info.kind], edgecolor=_STROKE[info.kind],
                linestyle="--" if info.kind == "const" else "-",
            )
        )  # fmt: skip
        for k, (text, style) in enumerate(d._lines[v]):
            ty = y + _PAD / 2 + _LINE_H * (k + 0.5)
            color = "#b91c1c" if style == "grad" else "#111827"
            weight = "bold" if style == "title" else "normal"
            ax.text(x + w / 2, ty, _printable(text), ha="center", va="center", color=color,
                    fontweight=weight, fontdict=font, parse_math=False)  # fmt: skip
    fig.savefig(path, format="png", dpi=dpi)
