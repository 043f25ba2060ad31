"""Reverse mode: topological backward over the recorded graph.

The walk is iterative (no recursion limit) and visits each node once. Nodes are numbered as
they are recorded, and an edge always points at an older node, so a heap that pops the latest
node holding an adjoint pops a node only after all of its consumers have delivered their
contributions (the order torch's engine uses). It runs the node's adjoint rule once and frees
what it saved unless ``retain_graph``. No pass over the graph precedes the walk, except to
prune nodes that lead to no requested input.

An edge is a node (an Op) or a leaf (a Tensor), and the walks ask whether it is a Tensor:
``isinstance`` against Op, whose metaclass is not ``type``, takes CPython's slow path (a call of
``__instancecheck__``; 24 a step of a small MLP, 2 % of its instructions).
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterable, Sequence
from heapq import heapify, heappop, heappush
from typing import Any, NoReturn

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import asarray, empty_like, ndarray

from tensorgrad._dtypes import check_operands
from tensorgrad.forward_mode import ACTIVE
from tensorgrad.grad_mode import STATE, set_grad_enabled
from tensorgrad.ops._base import Op
from tensorgrad.tensor import WRITE_CLOCK, Tensor, bump_version, make_tensor

__all__ = ["backward", "grad"]


def _as_list(x: Any) -> list:
    """Gradients, outputs or inputs as a list: a list or tuple, or any other iterable (a
    generator, a set, a dict's values, a deque), is several; one Tensor or array-like (an
    ndarray, a range, an array.array, a torch tensor) is one."""
    if type(x) is list:
        return x
    if isinstance(x, (list, tuple)):
        return list(x)
    if _one(x):
        return [x]
    return list(x)


def _one(x: Any) -> bool:
    return (
        isinstance(x, (Tensor, ndarray, np.generic, str, bytes, range, memoryview))
        or not isinstance(x, Iterable)
        or hasattr(x, "__array__")
        or hasattr(x, "__array_interface__")
        or hasattr(x, "typecode")  # (an array.array)
    )


def _root_delta(out: Tensor, gradient: Any, create_graph: bool, what: str) -> Any:
    if gradient is None:
        if out.data.size != 1:
            raise RuntimeError(
                f"{what}: a gradient must be given for a non-scalar output of shape {out.shape} "
                "(grad can be implicitly created only for one-element outputs)"
            )
        delta = empty_like(out.data)  # (np.ones_like, minus its Python layer)
        delta.fill(1)
    else:
        if not isinstance(gradient, Tensor):
            # (strings, complex, object data: refused, not parsed, cast or read as NaN)
            check_operands(what, (gradient,), ("gradient",))
        g = gradient.data if isinstance(gradient, Tensor) else asarray(gradient)
        if g.shape != out.shape:
            raise ValueError(
                f"{what}: gradient has shape {g.shape} but the output has shape {out.shape}"
            )
        if create_graph and isinstance(gradient, Tensor):
            return gradient if gradient.dtype == out.dtype else gradient.astype(out.dtype)
        delta = g.astype(out.dtype, copy=False)
    return make_tensor(delta) if create_graph else delta


def _flags(what: str, **flags: Any) -> None:
    """Each flag a bool, an int or None, as torch reads them: a string such as 'no' (truthy, so
    it was read as True) or a float is refused, naming the flag."""
    for name, value in flags.items():
        if value is not None and not isinstance(value, (bool, int, np.bool_, np.integer)):
            raise TypeError(f"{what}: {name} must be a bool, got {value!r}")


def _edge(t: Tensor) -> Any:
    """The node ``t``'s gradient flows into (a stale view's rebased first), or the leaf ``t``."""
    if t._node is None:  # a leaf (the common input of grad): nothing to rebase
        return t
    node = t._live_node()
    return t if node is None else node


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on.

    ``inputs`` restricts accumulation to those leaves.
    """
    if (retain_graph is not None and type(retain_graph) is not bool) or (
        create_graph is not None and type(create_graph) is not bool
    ):
        _flags("backward", retain_graph=retain_graph, create_graph=create_graph)
    outs = _as_list(tensors)
    grads = [None] * len(outs) if grad_tensors is None else _as_list(grad_tensors)
    if len(grads) != len(outs):
        raise ValueError(f"backward: got {len(outs)} tensors but {len(grads)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    roots = []
    for out, g in zip(outs, grads):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward: expected Tensors, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(
                "backward: the tensor does not require grad and has no grad_fn "
                "(no input of its computation has requires_grad=True)"
            )
        roots.append((_edge(out), _root_delta(out, g, create_graph, "backward")))
    targets = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(_as_list(inputs)):
            if not isinstance(t, Tensor):
                raise TypeError(f"backward: inputs[{i}] is a {type(t).__name__}, not a Tensor")
            if not t._requires_grad:
                raise RuntimeError(f"backward: inputs[{i}] does not require grad")
            targets[_edge(t)] = t
        if not targets:
            raise RuntimeError("backward: inputs, when given, must not be empty")
        for key, t in targets.items():
            if not isinstance(key, Tensor):
                t.retain_grad()  # a non-leaf among inputs keeps its .grad from now on, as torch
    found, owned, _ = _run(roots, retain_graph, create_graph, targets, accumulate=True)
    for key in found:
        if isinstance(key, Tensor) and key._node is not None:
            # (checked before any .grad changes; torch raises once it reaches the leaf)
            raise RuntimeError(
                f"backward: a leaf tensor of shape {key.shape} that the graph used has been "
                "moved into the graph interior: an in-place write recorded on it after it was "
                "used (as in PyTorch, its gradient has nowhere to go)"
            )
    # (in the walk's grad mode: leaf hooks and the sums are recorded only with create_graph;
    # set and restored here, not by a set_grad_enabled context: a backward's fixed cost)
    was_enabled = STATE.grad_enabled
    STATE.grad_enabled = bool(create_graph)
    try:
        for key, g in found.items():
            if isinstance(key, Tensor):
                if key._requires_grad:
                    _accumulate_leaf(key, g, create_graph, key in owned)
                elif key._hooks and not _is_transform_leaf(key):
                    # (a leaf frozen after the forward gets no .grad, but its hooks see the
                    # gradient, as torch's; a finished transform's leaf is not reached there)
                    _run_hooks(key._hooks, g, create_graph)
    finally:
        STATE.grad_enabled = was_enabled


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    With ``create_graph=True`` the results are themselves differentiable. An input no output
    depends on raises, or with ``allow_unused`` gets None, or with ``materialize_grads`` zeros
    (as torch: ``allow_unused`` then defaults to True).
    """
    if materialize_grads:
        if allow_unused is False:
            raise ValueError(
                "grad: allow_unused must be True or not given when materialize_grads=True"
            )
        allow_unused = True
    if (  # (spelled out: a call per flag costs a small graph's walk 10 %)
        (retain_graph is not None and type(retain_graph) is not bool)
        or (create_graph is not None and type(create_graph) is not bool)
        or (allow_unused is not None and type(allow_unused) is not bool)
        or type(materialize_grads) is not bool
    ):
        _flags(
            "grad",
            retain_graph=retain_graph,
            create_graph=create_graph,
            allow_unused=allow_unused,
            materialize_grads=materialize_grads,
        )
    inputs = _as_list(inputs)  # (once: a generator is read here only)
    result = _grad(
        outputs, inputs, grad_outputs, retain_graph, bool(create_graph), bool(allow_unused)
    )[0]
    if materialize_grads and any(g is None for g in result):
        from tensorgrad.factories import zeros_like

        # (as torch's: the zeros require grad under create_graph, to be differentiated again)
        return tuple(
            zeros_like(x, requires_grad=bool(create_graph)) if g is None else g
            for x, g in zip(inputs, result)
        )
    return result


def _grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any,
    retain_graph: bool | None,
    create_graph: bool | None,
    allow_unused: bool,
    tensors: bool = False,
) -> tuple[tuple[Tensor | None, ...], bool]:
    """``grad``, and whether the rules were recorded. For the transforms: ``tensors`` runs the
    rules on Tensors where forward-mode tangents ride; ``create_graph=None`` records them only
    if the graph (or a Tensor ``grad_outputs``' graph) reaches a leaf that requires grad outside
    ``inputs`` (a user's, or a running enclosing transform's)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    if not ins:
        raise RuntimeError("grad: inputs must not be empty")
    gos = [None] * len(outs) if grad_outputs is None else _as_list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: got {len(outs)} outputs but {len(gos)} grad_outputs")
    if retain_graph is None:
        retain_graph = bool(create_graph)
    # (inside a running jvp, tangents may ride on the values the rules read, or on
    # grad_outputs: the rules then run on Tensors where they do, as for the transforms)
    tensors = tensors or bool(ACTIVE)
    targets = {}
    keys = []
    for i, x in enumerate(ins):
        if not isinstance(x, Tensor):
            raise TypeError(f"grad: input {i} is a {type(x).__name__}, not a Tensor")
        if not x._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
        key = x if x._node is None else _edge(x)  # (a leaf, the common input: itself)
        targets[key] = x
        keys.append(key)
    roots = []
    for out, g in zip(outs, gos):
        if not isinstance(out, Tensor):
            raise TypeError(f"grad: expected Tensors as outputs, got {type(out).__name__}")
        if not out._requires_grad:  # (allow_unused is about inputs: torch raises here too)
            raise RuntimeError("grad: an output does not require grad and has no grad_fn")
        roots.append(
            (_edge(out), _root_delta(out, g, create_graph is not False or tensors, "grad"))
        )
    found, owned, created = (
        _run(roots, retain_graph, create_graph, targets, tensors) if roots else ({}, (), False)
    )
    result = []
    for i, x in enumerate(ins):
        key = keys[i]
        g = found.get(key)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {x.shape}) was not used in computing the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(None)
            continue
        hooks = x._hooks
        if hooks:  # a leaf's hooks run in grad too, as in backward, in the walk's grad mode
            with set_grad_enabled(bool(created)):
                g = _run_hooks(hooks, g, created)
        if type(g) is ndarray:
            # NOTE: a buffer the engine did not make for this input alone (a grad_outputs array
            # passed through, or a view of one, one a rule gave to several inputs, one a hook
            # saw or returned: an inner node's hooks live in its extras) is copied: a write
            # into the result must not reach another tensor behind its version counter
            if hooks or key not in owned or g.base is not None or (x is not key and key.extras):
                g = g.copy()
            g = make_tensor(g)
        elif not g.data.flags.writeable:
            # (a recorded result that is a broadcast view: its copy, recorded, as torch's
            # results are writeable)
            with set_grad_enabled(bool(created)):
                g = g.clone()
        result.append(g)
    if len(targets) < len(ins):  # an input given twice gets one Tensor, as in torch
        first: dict = {}
        result = [first.setdefault(k, r) for k, r in zip(keys, result)]
    return tuple(result), created


def _accumulate_leaf(
    leaf: Tensor, g: Any, create_graph: bool, owned: bool = False, in_place: bool = True
) -> None:
    """Add ``g`` into ``leaf.grad``. ``owned``: ``g`` is a buffer the engine made for this leaf
    alone, which may become ``.grad`` itself. A first ``.grad`` is otherwise a copy (as torch's
    clone), so that a later backward, which sums into it in place, never writes into a root
    gradient, a hook's argument or another tensor's ``.grad``. Not ``in_place`` (a retained
    non-leaf's ``.grad``, as torch's): the sum is a new tensor, and one read before keeps its
    values."""
    if leaf._hooks:
        g = _run_hooks(leaf._hooks, g, create_graph)
        owned = False  # the hooks have seen it (or made it)
    with _ACCUMULATING:  # (two threads' backwards into one leaf: each contribution counts)
        if create_graph:
            gt = g if isinstance(g, Tensor) else make_tensor(g)
            if leaf._grad is None:
                leaf._grad = gt.clone() if gt._requires_grad else make_tensor(gt.data.copy())
            else:
                leaf._grad = leaf._grad + gt
            return
        if isinstance(g, Tensor):
            g = g.data
        if leaf._grad is None:
            leaf._grad = make_tensor(g if owned and _owns(g) else g.copy())
        elif (
            not in_place or leaf._grad.data.dtype != g.dtype or not leaf._grad.data.flags.writeable
        ):
            total = asarray(leaf._grad.data + g)  # (0-d + 0-d is a NumPy scalar: an array)
            leaf._grad = make_tensor(total.astype(leaf.data.dtype, copy=False))
        else:  # (in place, as torch's, also into a .grad a create_graph backward recorded)
            leaf._grad.data += g
            bump_version(leaf._grad)  # (a graph that saved the old .grad must see the write)


_ACCUMULATING = threading.Lock()


def _owns(g: ndarray) -> bool:
    return g.base is None and g.flags.writeable


def _unshared(g: Any, contributions: list, i: int) -> bool:
    """Whether the rule gave ``g`` to input ``i`` alone."""
    for j, c in enumerate(contributions):
        if c is g and j != i:
            return False
    return True


def _run_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    # (a hook registered inside a reverse transform's f on f's tensors runs only in that
    # transform's passes, or in a backward inside that f, or inside a transform within it;
    # torch.func's outer backward never reaches it)
    running = STATE.reverse_scope
    for hook in list(hooks):
        scope = getattr(hook, "scope", None)
        if scope is not None and scope is not running:
            if running is not None or not any(scope is s for s in STATE.hook_scopes):
                continue
        # (a Tensor gradient stays a Tensor: recorded, or carrying forward-mode tangents)
        on_tensors = create_graph or isinstance(g, Tensor)
        gt = g if isinstance(g, Tensor) else make_tensor(g)
        new = hook(gt)
        if new is not None:
            new_data = new if on_tensors and isinstance(new, Tensor) else asarray(new)
            if new_data.dtype.kind not in "biuf":  # (a string, an object: not read as data)
                raise TypeError(
                    f"hook returned a {type(new).__name__} of dtype {new_data.dtype}: a hook "
                    "returns the gradient's replacement (a Tensor, or numeric data) or None"
                )
            if new_data.shape != gt.shape or new_data.dtype != gt.dtype:
                raise RuntimeError(
                    f"hook returned a gradient of shape {new_data.shape} and dtype "
                    f"{new_data.dtype}, expected shape {gt.shape} and dtype {gt.dtype}"
                )
            g = new_data
    return g


def _reach(roots: Sequence[Any], targets: dict) -> tuple[set, bool]:
    """The op nodes reachable from ``roots`` that may lead to ``targets``; and whether some
    leaf or node reached is not among them (only then can a node be useless to them).

    When every target is an inner node, a node older than all of them leads to none (an edge
    points at an older node): the walk stops there, as torch's at its inputs' topological
    number, so that a grad with respect to an intermediate does not cost its history."""
    stack = []
    seen: set = set()
    stray = False
    oldest = None
    if not any(isinstance(t, Tensor) for t in targets):
        oldest = max(t.seq for t in targets)
    for r in roots:
        if not isinstance(r, Tensor):
            if oldest is not None and r.seq > oldest:
                stray = True
            elif r not in seen:
                seen.add(r)
                stack.append(r)
        elif r not in targets:
            stray = True
    while stack:
        for parent in stack.pop().edges:  # (a released node still has its edges)
            if parent is None:
                continue
            if not isinstance(parent, Tensor):
                if oldest is not None and parent.seq > oldest:
                    stray = True  # (its history: no target there)
                elif parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
            elif parent not in targets:
                stray = True
    return seen, stray


def _reaches_grad(edges: list, targets: dict | None = None, frozen: bool = False) -> bool:
    """Whether the graph from ``edges`` reaches a leaf that requires grad and is not among
    ``targets`` (for the transforms, ``create_graph=None``: a finished transform's own leaves
    no longer require grad, so they never make a result differentiable); with ``frozen``, also
    a leaf that has stopped requiring grad but is not a finished transform's own."""
    stack = list(edges)
    seen: set = set()
    while stack:
        e = stack.pop()
        if not isinstance(e, Tensor):
            if e not in seen:
                seen.add(e)
                for p in e.edges:  # (a loop: a generator per node cost as much as the walk)
                    if p is not None:
                        stack.append(p)
        elif (e._requires_grad and (targets is None or e not in targets)) or (
            frozen and not _is_transform_leaf(e)
        ):
            return True
    return False


def _prune(nodes: set, targets: dict) -> set:
    """The nodes whose rule must run: those with a path to one of ``targets``."""
    useful: set = set()
    # inputs before the nodes that use them: an edge always points at an older node, and a
    # node's ``seq`` counts down as nodes are recorded
    for node in sorted(nodes, key=_seq, reverse=True):
        for e in node.edges:
            if e is not None and (e in targets or e in useful):
                useful.add(node)
                break
    return useful


def _seq(node: Op) -> int:
    return node.seq


def _raise_released(node: Op) -> None:
    raise RuntimeError(
        f"backward through {node.name} a second time: its saved values were freed after the "
        "first backward. Specify retain_graph=True on the first backward (or autograd.grad) "
        "to backward through the graph again."
    )


def _check_versions(node: Op, skippable: bool = False) -> bool:
    """Raise if a value ``node`` saved was written in place after it was saved; with
    ``skippable`` (a backward into every leaf), return True instead when the node leads only to
    a finished transform's retired leaves (``_unneeded``), so its rule need not run (f wrote
    after saving; torch.func's outer backward never enters the inner graph)."""
    for x in node.saved:
        if isinstance(x, Tensor) and x._version is not None and x._version[1] > node.stamp:
            return _unneeded(node, skippable) or _raise_modified(node, "input", x.shape, x.version)
    cell = node.out_cell if node.save_output else None
    if cell is not None and cell[1] > node.stamp:
        return _unneeded(node, skippable) or _raise_modified(
            node, "output", node.out_data.shape, cell[0]
        )
    return False


# The transforms' own leaves (``transforms._lift``), which stop requiring grad once the
# transform has finished: the only leaves a backward may skip a stale node for.
TRANSFORM_LEAVES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _unneeded(node: Op, skippable: bool) -> bool:
    """Whether, with ``skippable``, ``node`` leads only to finished transforms' leaves: an
    inner graph torch.func's outer backward never enters (hooks and retained grads in it
    included). A user's leaf frozen after the forward does not count: torch runs the node, and
    raises."""
    return skippable and not _reaches_grad([e for e in node.edges if e is not None], frozen=True)


def _is_transform_leaf(t: Tensor) -> bool:
    return TRANSFORM_LEAVES.get(id(t)) is t


def _raise_modified(node: Op, what: str, shape: tuple, now: int) -> NoReturn:
    raise RuntimeError(
        f"one of the tensors saved by {node.name} (its {what} of shape {shape}) has been "
        f"modified by an in-place operation after it was saved (it is now at version {now}); "
        "its gradient would be wrong" + _site(node)
    )


def _site(node: Op) -> str:
    extras = getattr(node, "extras", None)
    site = extras.get("site") if extras else None
    return f" (the op was created at {site})" if site else ""


def _run(
    roots: list,
    retain_graph: bool,
    create_graph: bool | None,
    targets: dict | None,
    tensors: bool = False,
    accumulate: bool = False,
) -> tuple[dict, set, bool]:
    """``_propagate`` with the cyclic garbage collector paused.

    Backward allocates many short-lived arrays and frees the graph as it goes, without making
    reference cycles; letting the collector rescan the whole graph meanwhile only costs time
    (about a third of a long chain's backward)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _propagate(roots, retain_graph, create_graph, targets, tensors, accumulate)
    finally:
        if paused:
            gc.enable()


def _propagate(
    roots: list,
    retain_graph: bool,
    create_graph: bool | None,
    targets: dict | None,
    tensors: bool = False,
    accumulate: bool = False,
) -> tuple[dict, set, bool]:
    """Propagate the root adjoints; return the adjoints of leaves (or of ``targets``), the
    keys whose buffers the engine allocated, and whether the rules were recorded
    (``create_graph=None``: only if some leaf reached that requires grad is not a target,
    see ``_grad``).

    Rules run on Tensors when ``create_graph`` (recorded) or ``tensors`` (not recorded, but
    forward-mode tangents flow through them: forward over reverse)."""
    adjoints: dict = {}
    owned: set = set()
    for edge, delta in roots:
        _add(adjoints, owned, edge, delta)
    prune = False
    if targets is not None:  # (which nodes may be skipped: a walk from the distinct root edges)
        reached, prune = _reach(list(adjoints), targets)
    if create_graph is None:
        # (also when a root's adjoint depends on such a leaf: vjp_fn's cotangent, differentiated)
        create_graph = STATE.grad_enabled and (
            (prune and _reaches_grad(list(adjoints), targets))
            or any(
                isinstance(d, Tensor) and d._requires_grad and _reaches_grad([_edge(d)])
                for _, d in roots
            )
        )
        retain_graph = retain_graph or create_graph
    tensors = tensors or create_graph
    # NOTE: every recorded node has an edge that needs grad, so every path ends in a leaf; if
    # all leaves reached are targets (and no target is an inner node), every node is useful.
    useful = None
    if targets is not None:
        if prune or not reached.isdisjoint(targets):  # (a stray leaf, or a target inside)
            useful = _prune(reached, targets)
    found: dict = {}
    # the nodes holding an adjoint, latest first: a node's consumers are all later than it, so
    # it is popped only when every one of them has run
    pending = [(r.seq, r) for r in adjoints if not isinstance(r, Tensor)]
    heapify(pending)
    anomaly = STATE.anomaly
    was_enabled = STATE.grad_enabled
    STATE.grad_enabled = create_graph  # rules record only for create_graph
    try:
        # a node that is next anyway (later than every pending one), handed its first adjoint
        # past the adjoints dict and the heap: the common case of a chain
        nxt = nxt_delta = None
        while nxt is not None or pending:
            if nxt is None:
                node = heappop(pending)[1]
                delta = adjoints.pop(node)
            else:
                node, delta, nxt = nxt, nxt_delta, None
            if useful is not None:
                if node not in useful:
                    # (on no path to a requested input: its rule and hooks do not run, as in
                    # torch, except a requested tensor's own hooks)
                    if node in targets:
                        found[node] = _visit(node, delta, create_graph, accumulate)
                    continue
                if node.extras:
                    delta = _visit(node, delta, create_graph, accumulate)
                if node in targets:  # (only a pruned walk has a target inside the graph)
                    found[node] = delta
            elif node.extras:
                delta = _visit(node, delta, create_graph, accumulate)
            edges = node.edges
            saved = node.saved
            if saved is None:
                if targets is None and _unneeded(node, True):
                    # (freed by a finished transform's own pass: an intermediate of its f,
                    # used after it, leads only to its retired leaves; torch.func's outer
                    # backward never enters that graph either)
                    continue
                _raise_released(node)
            if WRITE_CLOCK[0] != node.stamp and _check_versions(node, targets is None):
                continue  # (a stale node that leads to no leaf requiring grad: skipped)
            # NOTE: unrecorded rules need Tensors only where forward-mode tangents ride.
            on_tensors = False
            if tensors:
                on_tensors = create_graph or _carries_tangents(node, delta)
                if not on_tensors and type(delta) is not ndarray:
                    delta = delta.data
            n_in = len(edges)
            contributions = [None] * n_in
            # (the common arities spelled out: unpacking arguments costs more than most
            # small rules do)
            if on_tensors:
                node.generate_adjoints(contributions, delta, *node.saved_args(True))
            elif len(saved) > 1:
                if len(saved) == 2 and not node.save_output:  # (a product's two inputs)
                    a, b = saved
                    node.generate_adjoints(
                        contributions,
                        delta,
                        a.data if isinstance(a, Tensor) else a,
                        b.data if isinstance(b, Tensor) else b,
                    )
                else:
                    node.generate_adjoints(contributions, delta, *node.saved_args(False))
            elif node.save_output:
                if saved:
                    x = saved[0]
                    node.generate_adjoints(
                        contributions,
                        delta,
                        x.data if isinstance(x, Tensor) else x,
                        node.out_data,
                    )
                else:
                    node.generate_adjoints(contributions, delta, node.out_data)
            elif saved:
                x = saved[0]
                node.generate_adjoints(contributions, delta, x.data if isinstance(x, Tensor) else x)
            else:
                node.generate_adjoints(contributions, delta)
            if anomaly:
                from tensorgrad.anomaly import check_adjoints

                check_adjoints(node, contributions)
            i = -1
            for parent in edges:
                i += 1
                if parent is None:
                    continue
                g = contributions[i]
                if g is not None:
                    is_node = not isinstance(parent, Tensor)
                    if is_node:
                        shape, dtype = parent.out_shape, parent.out_dtype
                    else:
                        shape, dtype = parent.data.shape, parent.data.dtype
                    # (dtypes of the same kind are usually the same object: test that first)
                    if (
                        on_tensors
                        or type(g) is not ndarray
                        or (g.dtype is not dtype and g.dtype != dtype)
                    ):
                        g = _conform(node, i, g, shape, dtype, on_tensors)
                    elif g.shape != shape:
                        _conform(node, i, g, shape, dtype, on_tensors)  # raises, naming both
                    prev = adjoints.get(parent)
                    if prev is None:
                        if is_node:
                            if nxt is None:
                                if not pending or parent.seq < pending[0][0]:
                                    nxt, nxt_delta = parent, g
                                    continue
                            elif parent is nxt:  # (the same input twice: x * x)
                                adjoints[nxt] = nxt_delta
                                heappush(pending, (nxt.seq, nxt))
                                nxt = None
                                _add(adjoints, owned, parent, g)
                                continue
                            heappush(pending, (parent.seq, parent))
                        adjoints[parent] = g
                        # NOTE: a buffer may later be summed into in place only if the rule
                        # made it for this input alone (not the delta, not given to another
                        # input too, before or after this one: a sum into it would reach that
                        # input's adjoint). (whether it is a whole, writable array is checked
                        # when summing)
                        if (
                            not tensors
                            and g is not delta
                            and (
                                n_in == 1
                                or (
                                    contributions[i - 1] is not g
                                    and (n_in == 2 or contributions[i - 2] is not g)
                                    and (n_in < 4 or _unshared(g, contributions, i))
                                )
                            )
                        ):
                            owned.add(parent)
                    else:
                        _add(adjoints, owned, parent, g)
            if nxt is not None and pending and pending[0][0] < nxt.seq:
                # an input pushed after ``nxt`` was chosen is later, so it runs first
                adjoints[nxt] = nxt_delta
                heappush(pending, (nxt.seq, nxt))
                nxt = None
            if not retain_graph:
                # (only nodes whose rule ran: a pruned node may serve another backward)
                node.saved = None  # (marks it released)
                node.out_data = None
                if node.frees:
                    for name in node.frees:
                        setattr(node, name, None)
    finally:
        STATE.grad_enabled = was_enabled
    if targets is None:
        return adjoints, owned, create_graph
    for key, g in adjoints.items():
        if key in targets:
            found[key] = g
    return found, owned, create_graph


def _visit(node: Op, delta: Any, create_graph: bool, accumulate: bool) -> Any:
    """Run non-leaf hooks and keep ``.grad`` for tensors that asked with ``retain_grad``."""
    extras = node.extras
    if not extras:
        return delta
    hooks = extras.get("hooks")
    if hooks:
        delta = _run_hooks(hooks, delta, create_graph)
    ref = extras.get("retained") if accumulate else None  # autograd.grad leaves .grad alone
    if ref is not None:
        t = ref()
        if t is not None:
            _accumulate_leaf(t, delta, create_graph, in_place=False)
    return delta


def _carries_tangents(node: Op, delta: Any) -> bool:
    """Whether tangents of a running ``jvp`` ride on ``delta`` or on what ``node`` saved."""
    if not ACTIVE:
        return False
    riding = [x._fw for x in (delta, *node.saved) if isinstance(x, Tensor) and x._fw is not None]
    if node.save_output and node.extras and node.extras.get("out_fw") is not None:
        riding.append(node.extras["out_fw"])
    return any(not ACTIVE.isdisjoint(fw) for fw in riding)


def _conform(node: Op, i: int, g: Any, shape: tuple, dtype: np.dtype, create_graph: bool) -> Any:
    """Check the shape a rule produced and restore the input's dtype."""
    if not create_graph and isinstance(g, Tensor):
        g = g.data
    elif create_graph and not isinstance(g, Tensor):
        g = make_tensor(asarray(g))
    elif type(g) is not ndarray and not isinstance(g, Tensor):
        g = asarray(g)
    if g.shape != shape:
        raise RuntimeError(
            f"{node.name}: the adjoint rule returned shape {g.shape} for input {i}, which has "
            f"shape {shape} (a broadcast adjoint that was not reduced back to its input)"
        )
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _add(adjoints: dict, owned: set, key: Any, g: Any) -> None:
    """Accumulate ``g`` into ``adjoints[key]``; sum in place only into buffers we allocated."""
    prev = adjoints.get(key)
    if prev is None:
        adjoints[key] = g
    elif isinstance(prev, Tensor) or isinstance(g, Tensor):
        adjoints[key] = prev + g
    elif key in owned and _owns(prev):
        prev += g
    else:
        total = prev + g
        # NOTE: NumPy returns a scalar, not a 0-d array, for 0-d + 0-d; a scalar cannot be
        # summed into in place, so keep it as an array we own.
        adjoints[key] = total if type(total) is ndarray else asarray(total)
        owned.add(key)


def __getattr__(name: str) -> Any:
    """``Function``, ``FunctionCtx`` and ``once_differentiable`` from ``autograd.function``
    (loaded on first use: it builds on the ops, which import this module)."""
    if name in ("Function", "FunctionCtx", "once_differentiable"):
        from tensorgrad.autograd import function

        return getattr(function, name)
    raise AttributeError(f"module 'tensorgrad.autograd' has no attribute {name!r}")
