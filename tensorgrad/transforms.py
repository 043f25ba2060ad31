"""Function transforms: grad, value_and_grad, vjp, jvp, jacrev, jacfwd, hessian, hvp.

Reverse transforms differentiate with respect to fresh leaves made from the arguments (or
aliases of arguments that already require grad, so outer graphs stay connected) and ask
``autograd.grad`` for exactly those, so nested transforms never confuse their perturbations.
Forward transforms tag tangents with a level (``forward_mode``). The reverse pass runs its rules
on Tensors, so tangents of an enclosing ``jvp`` flow through it (forward over reverse), and it
records them only when something outside the transform needs the result differentiable.

A transform's own leaves require grad only while ``f`` runs (where nested transforms must keep
their results differentiable for it) and while it differentiates with respect to them; then
they are retired (``_retire``). So a result carries a graph exactly when a leaf that still
requires grad influences it: a user's tensor (an argument, a closed-over parameter, a
cotangent) or a running enclosing transform's leaf; never a finished transform's own
(``vjp_fn``'s result differentiated in its cotangent hangs on ``vjp``'s leaves, yet the
Jacobian comes back plain, as torch.func gives it).
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tensorgrad import autograd
from tensorgrad._dtypes import check_operands
from tensorgrad.forward_mode import (
    ACTIVE,
    begin_level,
    end_level,
    new_level,
    set_tangents,
    strip_level,
    take_tangents,
    visible_tangent,
    with_tangent,
)
from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import RECORD_HOOKS, _watch, next_seq, refresh_view, view_of
from tensorgrad.ops.inplace import (
    PASS_ON,
    SHARED,
    STALE,
    STALE_HOOK_LOCK,
    STAND_INS,
    _stale_read,
    passed_on_to,
)
from tensorgrad.ops.shape import alias, reshape, stack
from tensorgrad.tensor import WRITE_CLOCK, Tensor, bump_version

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "hvp"]


def _to_tensor(x: Any, what: str, name: str = "an argument") -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)):
        # (as an op's operand: stacked into an array, Tensors that require grad or carry a
        # tangent would lose them; torch.func reads a tuple as a pytree, which these do not)
        check_operands(what, (x,), (name,))
    try:
        return Tensor(x)
    except TypeError as exc:
        raise TypeError(f"{what}: arguments must be Tensors, arrays or numbers ({exc})") from None


def _argnums(argnums: Any, n: int, what: str) -> tuple[tuple[int, ...], bool]:
    if type(argnums) is int and 0 <= argnums < n:  # (the common case, argnums=0: as below)
        return (argnums,), True

    def is_int(a: Any) -> bool:
        return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))

    single = is_int(argnums)
    try:
        items = [argnums] if single or isinstance(argnums, (str, bytes)) else list(argnums)
    except TypeError:
        items = [argnums]
    if not all(is_int(a) for a in items):
        raise TypeError(f"{what}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not items:  # (as torch.func and JAX: nothing to differentiate by)
        raise ValueError(f"{what}: argnums must be non-empty")
    nums = tuple(int(a) for a in items)
    for a in nums:
        if not -n <= a < n:
            raise ValueError(f"{what}: argnums {argnums!r} out of range for {n} arguments")
    nums = tuple(a % n for a in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"{what}: argnums {argnums!r} names an argument twice")
    return nums, single


def _lift(x: Any, what: str) -> tuple[Tensor, bool]:
    """A tensor to differentiate with respect to: connected to ``x``'s graph (unless grad mode
    is off) and tangents; and whether it is a fresh leaf of the transform's own."""
    t = _to_tensor(x, what)
    if t.dtype.kind != "f":
        raise TypeError(f"{what}: can only differentiate floating-point inputs, got {t.dtype}")
    if t._requires_grad and STATE.grad_enabled:
        y = alias(t)
        STAND_INS[id(y)] = y  # (not written in place while f runs: a leaf, as torch.func's)
        return y, False
    y = alias(t) if t._fw is not None else Tensor._make(t.data)
    # (the same version cell as x: a write into x inside f is a write into this leaf's data,
    # which a saved op must see, as it would for x itself)
    y._version = t._cell()
    y._requires_grad = True
    autograd.TRANSFORM_LEAVES[id(y)] = y
    return y, True


class _OwnLeaves(list):
    """A reverse transform's fresh leaves, and the ``seq`` mark taken before it lifted its
    arguments: nodes recorded since (``seq`` counts down) are f's. It is also the transform's
    scope for hooks (``grad_mode.STATE.hook_scopes``)."""

    def __init__(self, xs: list) -> None:
        super().__init__()
        self.start = next_seq()
        self.xs = xs  # (all the tensors f differentiates by: these leaves and stand-ins)


def hook_scope(t: Tensor) -> _OwnLeaves | None:
    """The innermost running reverse transform whose arguments ``t`` is, or was computed from
    inside its f: a hook registered on ``t`` belongs to that transform (see
    ``autograd._run_hooks``). Only f's own nodes are walked (newer than its mark)."""
    node = t._node
    for scope in reversed(STATE.hook_scopes):
        if any(t is x for x in scope.xs):
            return scope
        if node is None or node.seq >= scope.start:
            continue
        inputs = {id(x._node if x._node is not None else x) for x in scope.xs}
        stack, seen = [node], set()
        while stack:
            e = stack.pop()
            if id(e) in inputs:
                return scope
            if not isinstance(e, Tensor) and e.seq < scope.start and e not in seen:
                seen.add(e)
                stack.extend(p for p in e.edges if p is not None)
    return None


def _trace(
    f: Callable[..., Any], args: Sequence[Any], nums: Sequence[int], what: str, kwargs: Any = None
) -> tuple[Any, list[Tensor], list[Tensor]]:
    """Lift ``args[i]`` for ``i`` in ``nums`` and call ``f`` with grad mode on: ``(f's result,
    the lifted tensors, the fresh leaves among them)``, the leaves retired once ``f`` returns
    (``_reverse`` revives them while it differentiates). A reverse transform differentiates
    what ``f`` computes whatever the caller's grad mode (as ``torch.func.grad`` under
    ``no_grad``); a ``no_grad`` inside ``f`` still holds, and under an outer ``no_grad``
    nothing connects to outer graphs."""
    args = list(args)
    others = [a for i, a in enumerate(args) if i not in nums] + list((kwargs or {}).values())
    before = [state for a in others for state in _states(a)]
    xs: list[Tensor] = []
    own = _OwnLeaves(xs)
    shared = []
    stand_ins = []
    for i in nums:
        source = args[i]
        args[i], fresh = _lift(args[i], what)
        xs.append(args[i])
        if fresh:
            own.append(args[i])
            if isinstance(source, Tensor):  # (the memory a write into the tensor reaches)
                leaf = args[i]
                shared.append(_share(leaf, ["leaf", weakref.ref(leaf), source, what, own]))
        else:
            stand_ins.append(args[i])
    STATE.hook_scopes.append(own)
    was_enabled = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        return f(*args, **(kwargs or {})), xs, own
    finally:
        STATE.grad_enabled = was_enabled
        STATE.hook_scopes.pop()
        for x, entry in shared:
            _unshare(x, entry)
        _retire(own)
        _cut_from_retired(before)
        for x in stand_ins:  # (one f returns, as an output or aux, is written freely after)
            if STAND_INS.get(id(x)) is x:
                del STAND_INS[id(x)]


def _share(y: Tensor, entry: list) -> tuple[Tensor, list]:
    """List the stand-in ``y`` under the memory it shares (``inplace.SHARED``)."""
    SHARED.setdefault(id(y._cell()), []).append(entry)
    return y, entry


def _unshare(y: Tensor, entry: list) -> None:
    """Take the stand-in ``y`` off ``inplace.SHARED`` (and ``STALE``) once f has returned."""
    key = id(y._version)
    entries = SHARED.get(key)
    if entries is not None:
        entries[:] = [e for e in entries if e is not entry]
        if not entries:
            del SHARED[key]
    if STALE.pop(id(y), None) is not None:
        with STALE_HOOK_LOCK:
            if not STALE and _stale_read in RECORD_HOOKS:
                RECORD_HOOKS.remove(_stale_read)


def _cut_from_retired(before: list) -> None:
    """Cut the graph of each tensor (of ``_states``' ``before``) that ``f`` wrote into with a
    value that only the transform's own leaves influence: it would hang on retired leaves (a
    backward through it raised, the graph freed), where torch.func leaves a plain tensor."""
    for t, node, _, _ in before:
        if t._node is not node and t._node is not None:
            if not autograd._reaches_grad([t._node]):
                cut = t._node
                while t is not None:
                    t._node = None
                    t._requires_grad = False
                    if view_of(t) is not None:
                        _watch(t._version, t)  # (a later recorded write into its base rebases it)
                    # a jvp's stand-in passed the write on to the caller's tensor (PASS_ON):
                    # that has the same graph, cut too
                    target = passed_on_to(t)
                    t = target[0] if target is not None and target[0]._node is cut else None


def _retire(own: Sequence[Tensor], flag: bool = False) -> None:
    """Stop (or, with ``flag``, resume) a transform's own leaves requiring grad.

    NOTE: while ``f`` runs, a nested transform must keep what it returns differentiable for
    the enclosing one (the graph reaches the enclosing transform's leaves); once ``f`` has
    returned, nothing can differentiate with respect to these leaves but the transform itself
    (``vjp_fn``'s ``outs`` are fixed), so a result that hangs on them, and on no leaf that still
    requires grad, needs no graph (the engine's ``create_graph=None`` walk, and ``_connected``,
    skip leaves that do not require grad)."""
    for x in own:
        x._requires_grad = flag


def _connected(t: Any) -> bool:
    """Whether ``t`` must keep its graph: grad mode is on and a leaf that still requires grad
    (a user's, or a running enclosing transform's) influences it."""
    return (
        isinstance(t, Tensor)
        and t._requires_grad
        and STATE.grad_enabled
        and autograd._reaches_grad([autograd._edge(t)])
    )


def _reverse(
    outs: Sequence[Tensor],
    xs: Sequence[Tensor],
    cotangents: Sequence[Any],
    retain: bool,
    own: Sequence[Tensor] = (),
) -> tuple[tuple[Tensor, ...], bool]:
    """The gradients of ``outs`` with respect to ``xs`` (``own``: the retired fresh leaves among
    them, revived meanwhile), and whether they were recorded (the graph, or a cotangent's,
    reaches a leaf requiring grad outside ``xs``, and grad mode is on)."""
    # NOTE: the gradient is recorded only when the graph behind ``outs`` reaches a leaf
    # requiring grad other than ``xs`` (a user's, or an enclosing transform's, which will
    # differentiate it); the engine finds that out after its first pass (create_graph=None).
    # NOTE: an enclosing jvp's tangent that a leaf requiring grad influences (the jvp's
    # direction is a user's parameter) needs the rules recorded, or the gradient's tangent,
    # computed in them, would lose its graph: the engine's own test sees only the graph behind
    # ``outs``. (Tested before the transform's own leaves are revived.)
    record = True if _tangent_needs_grad([*outs, *xs]) else None
    _retire(own, True)
    running = STATE.reverse_scope
    STATE.reverse_scope = own if isinstance(own, _OwnLeaves) else None
    try:
        pairs = [(o, c) for o, c in zip(outs, cotangents) if o._requires_grad]
        if not pairs:
            return tuple(Tensor._make(np.zeros_like(x.data)) for x in xs), False
        gs, create = autograd._grad(
            [o for o, _ in pairs],
            list(xs),
            [c for _, c in pairs],
            retain_graph=retain or bool(record),
            create_graph=record,
            allow_unused=True,
            tensors=True,
        )
    finally:
        STATE.reverse_scope = running
        _retire(own)
    out = []
    for g, x in zip(gs, xs):
        if g is None:
            g = Tensor._make(np.zeros_like(x.data))
        elif g._requires_grad and not (create and _connected(g)):
            # NOTE: recorded rules may still leave a gradient that hangs only on retired leaves
            # (the Jacobian of vjp_fn(c) in a c that requires grad: J^T is recorded from
            # values that hang on vjp's leaves alone): plain, as torch.func's
            g = _detached(g)
        out.append(g)
    return tuple(out), create


def _tangent_needs_grad(tensors: Sequence[Tensor]) -> bool:
    """Whether a tangent of one of ``tensors`` must keep its graph (``_connected``)."""
    return any(_connected(t) for x in tensors if x._fw is not None for t in x._fw.values())


def _leaves(tree: Any) -> list:
    """The items of a tree of tuples, lists and dicts."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _leaves(item)]
    return [tree]


def _tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` (nested tuples and lists) with ``fn`` applied to each item, in order."""
    if isinstance(tree, (tuple, list)):
        return _rebuilt(tree, [_tree_map(fn, item) for item in tree])
    return fn(tree)


def _rebuilt(tree: tuple | list, items: list) -> tuple | list:
    """A tuple or list of ``tree``'s own type holding ``items`` (a namedtuple takes them as
    its fields)."""
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):
        return type(tree)(*items)
    return type(tree)(items)


def _items(tree: Any) -> list:
    """The items of nested tuples and lists, in ``_tree_map``'s order."""
    if isinstance(tree, (tuple, list)):  # (read, not rebuilt: a namedtuple's own __new__
        return [item for sub in tree for item in _items(sub)]  # may not take its fields back)
    return [tree]


def _shaped_like(tree: Any, items: Sequence[Any]) -> Any:
    """``items`` in the nesting of ``tree`` (one per item of ``tree``, in ``_items``' order)."""
    it = iter(items)
    return _tree_map(lambda _: next(it), tree)


def _detached(g: Tensor) -> Tensor:
    """``g`` without its graph, with its tangents; a tangent keeps its graph only if it must
    (``_connected``): a tangent recorded under an enclosing jvp from the retired leaves (the
    tangent of value_and_grad's value) would otherwise hang on them."""
    d = Tensor._make(g.data)
    d._version = g._cell()  # (the same memory: a write through either is seen by both graphs)
    if g._fw is not None:
        set_tangents(d, {lv: t if _connected(t) else _detached(t) for lv, t in g._fw.items()})
    return d


def _plain_tree(aux: Any, keep_levels: Any = None) -> Any:
    """``aux`` with every Tensor in it (through tuples, lists and dicts) detached unless it
    must keep its graph (``_connected``); with ``keep_levels``, also without tangents at other
    levels (an aux made inside a finished jvp: a stale tangent would ride on every later op)."""
    if isinstance(aux, Tensor):
        if keep_levels is not None and aux._fw is not None:
            for level in [lv for lv in aux._fw if lv not in keep_levels]:
                aux = strip_level(aux, level)
        return aux if _connected(aux) else _detached(aux)
    if isinstance(aux, (tuple, list)):
        return _rebuilt(aux, [_plain_tree(a, keep_levels) for a in aux])
    if isinstance(aux, dict):
        return {k: _plain_tree(v, keep_levels) for k, v in aux.items()}
    return aux


# ----------------------------------------------------------------------------- grad


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``f`` and its gradient with respect to ``argnums``: ``(value, g)``, or
    ``((value, aux), g)`` with ``has_aux`` (JAX's layout)."""
    return _value_and_grad(f, argnums, has_aux, "value_and_grad")


def _value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int], has_aux: bool, name: str
) -> Callable[..., Any]:
    """``value_and_grad``, its errors naming ``name`` (``grad`` is built on it)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), name)
        result, xs, own = _trace(f, args, nums, name, kwargs)
        if has_aux:
            out, aux = _split_aux(result, name)
        else:
            out, aux = result, None
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}: f must return a Tensor, got {type(out).__name__}")
        if out.size != 1:
            raise TypeError(
                f"{name}: f must return a one-element Tensor, got shape {out.shape} "
                "(use jacrev or vjp for non-scalar outputs)"
            )
        # NOTE: aux keeps its graph where a leaf that still requires grad influences it, as
        # torch.func's (even when the value does not): then the value's graph, which aux may
        # share, is kept too.
        aux = _plain_tree(aux)
        keep = has_aux and any(isinstance(a, Tensor) and a._requires_grad for a in _leaves(aux))
        # (a cotangent of None is the engine's own ones: out has one element)
        gs, connected = _reverse([out], xs, [None], retain=keep, own=own)
        g = gs[0] if single else gs
        if not connected:
            # NOTE: the value hangs only on the transform's own leaves (or grad mode is off):
            # a plain result, as torch.func gives; its graph is spent.
            out = _detached(out)
        return ((out, aux) if has_aux else out), g

    return wrapped


def _split_aux(result: Any, name: str) -> tuple[Any, Any]:
    """``(output, aux)`` from what an ``f`` with ``has_aux`` returned."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"{name}: with has_aux=True, f must return (output, aux)")
    return result


def _output_only(f: Callable[..., Any], name: str, box: list) -> Callable[..., Any]:
    """``f`` returning only its output; the aux of its first call goes into ``box``."""

    def output(*args: Any, **kwargs: Any) -> Any:
        out, aux = _split_aux(f(*args, **kwargs), name)
        if not box:
            box.append(aux)
        return out

    return output


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of a one-element-output ``f`` with respect to ``argnums``; ``(g, aux)``
    with ``has_aux``."""
    vg = _value_and_grad(f, argnums, has_aux, "grad")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        (value, g) = vg(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapped


# ----------------------------------------------------------------------------- vjp, jvp


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., tuple]]:
    """``(f(*primals), vjp_fn)``; ``vjp_fn(cotangent)`` returns one gradient per primal."""
    out, xs, own = _trace(f, primals, range(len(primals)), "vjp")
    outs = _items(out)  # (nested tuples and lists too, as the other transforms)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"vjp: f must return Tensors, got {type(o).__name__}")

    def vjp_fn(*cotangents: Any) -> tuple:
        # (f returned a tuple: one tuple or list of cotangents nested as it, or one cotangent
        # per item; an array is one cotangent, never split along its first axis)
        given: Any = cotangents
        if isinstance(out, (tuple, list)):
            several = len(cotangents) == 1 and isinstance(cotangents[0], (tuple, list))
            given = cotangents[0] if several else cotangents
        n = len(out) if isinstance(out, (tuple, list)) else 1
        if len(given) != n:
            raise ValueError(
                f"vjp_fn: expected {n} cotangent{'s' if n != 1 else ''} (one per output of f), "
                f"got {len(given)}"
            )
        cts = _cotangents(out, given) if isinstance(out, (tuple, list)) else list(given)
        for c, o in zip(cts, outs):
            if isinstance(c, (list, tuple)):
                check_operands("vjp_fn", (c,), ("a cotangent",))
            if not isinstance(c, Tensor) and np.asarray(c).dtype.kind not in "biuf":
                raise TypeError(
                    f"vjp_fn: a cotangent must be a Tensor, an array or a number, got {c!r}"
                )
            if np.shape(getattr(c, "data", c)) != o.shape:
                raise ValueError(
                    f"vjp_fn: cotangent of shape {np.shape(getattr(c, 'data', c))} for an "
                    f"output of shape {o.shape}"
                )
        cts = [
            c if isinstance(c, Tensor) else np.asarray(c, dtype=o.dtype) for c, o in zip(cts, outs)
        ]
        return _reverse(outs, xs, cts, retain=True, own=own)[0]

    # NOTE: an output that only vjp's own leaves influence (or any, under an outer no_grad)
    # comes back plain, as torch.func's; vjp_fn keeps the graph.
    plain = [o if _connected(o) else _detached(o) for o in outs]
    return _shaped_like(out, plain), vjp_fn


def _count_of(items: tuple | list) -> str:
    n = len(items)
    return f"a {type(items).__name__} of {n} item{'' if n == 1 else 's'}"


def _cotangents(out: tuple | list, given: Any) -> list:
    """The cotangents ``given`` for the nested tuple or list ``out``, in ``_items``' order:
    nested as ``out`` down to each Tensor, whose cotangent is taken whole."""
    if not isinstance(given, (tuple, list)) or len(given) != len(out):
        got = _count_of(given) if isinstance(given, (tuple, list)) else type(given).__name__
        raise ValueError(
            f"vjp_fn: cotangents must be nested as f's output, {_count_of(out)} here, got {got}"
        )
    found: list = []
    for o, c in zip(out, given):
        found.extend(_cotangents(o, c) if isinstance(o, (tuple, list)) else [c])
    return found


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), tangent_out)`` by forward mode: tangents pushed through every op's tangent
    rule in the same pass as the values."""
    primals = tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)
    tangents = tuple(tangents) if isinstance(tangents, (tuple, list)) else (tangents,)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    return _jvp(f, primals, tangents, new_level())


def _jvp(
    f: Callable[..., Any],
    primals: tuple,
    tangents: tuple,
    level: int,
    own: bool = False,
    what: str = "jvp",
) -> tuple[Any, Any]:
    """``jvp`` at ``level``; with ``own`` the primals are the caller's fresh leaves, which carry
    the tangents themselves, and the outputs are not aliased to drop the level (the caller
    drops it). When it returns, the level's tangents are gone from every tensor that got one
    (``end_level``): they would keep the graph they were recorded on in reference cycles, and
    a stale tangent would ride on every later op. Errors name ``what`` (the transform called)."""
    stand_ins = []  # (the ids of f's stand-ins, listed in PASS_ON while f runs)
    begin_level(level)  # (first: the primals' tangents are listed under it too)
    try:
        xs = []
        for p, t in zip(primals, tangents):
            x = _to_tensor(p, what)
            tt = _to_tensor(t, what, "a tangent")
            if tt.shape != x.shape:
                raise ValueError(
                    f"{what}: tangent of shape {tt.shape} for a primal of shape {x.shape}"
                )
            if x.dtype.kind != "f":
                raise TypeError(f"{what}: primals must be floating point, got {x.dtype}")
            if tt.dtype != x.dtype:
                tt = tt.astype(x.dtype)
            if own and x._fw is None:
                set_tangents(x, {level: tt})
                xs.append(x)
            else:
                y = with_tangent(x, level, tt)
                xs.append(y)
                PASS_ON[id(y)] = (weakref.ref(y), x, level)
                stand_ins.append(_share(y, ["jvp", weakref.ref(y), x, level]))
        out = f(*xs)
        if isinstance(out, (tuple, list)):  # (nested too: jacrev's Jacobians over argnums)
            tangents_out: list = []

            def split(o: Any) -> Tensor:
                primal, tangent = _split(o, level, own, what)
                tangents_out.append(tangent)
                return primal

            primals_out = _tree_map(split, out)
            return primals_out, _shaped_like(out, tangents_out)
        return _split(out, level, own, what)
    finally:
        for y, entry in stand_ins:
            PASS_ON.pop(id(y), None)
            _unshare(y, entry)
        end_level(level)


def _split(
    out: Any, level: int, keep_level: bool = False, what: str = "jvp"
) -> tuple[Tensor, Tensor]:
    if not isinstance(out, Tensor):
        raise TypeError(f"{what}: f must return Tensors, got {type(out).__name__}")
    refresh_view(out)  # (a view f returned after writing into its base: the base's tangents)
    t = visible_tangent(out, level)
    if t is None:
        t = Tensor._make(np.zeros_like(out.data))
    elif t._requires_grad and not _connected(t):  # (recorded only from a finished transform's
        t = _detached(t)  # leaves: no graph to keep, as jacrev's results)
    elif not t._requires_grad and t._version is None and t.data.base is not None:
        # a view op's tangent is a view of the caller's tangent, with no version counter
        # shared: a copy, so that a write into the result cannot change it unseen; it keeps
        # the tangents of enclosing jvps riding on it (jvp of jvp, jacfwd of jacfwd)
        copy = Tensor._make(t.data.copy())
        if t._fw is not None:
            set_tangents(copy, t._fw)
        t = copy
    return (out if keep_level else strip_level(out, level)), t


# ----------------------------------------------------------------------------- Jacobians


def jacrev(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian of ``f`` by reverse mode (one vjp per output element), shaped
    ``out.shape + in.shape``; use it when outputs are fewer than inputs. For a tuple of outputs
    it is a tuple with one entry per output (each a tuple over ``argnums`` when that is one).
    With ``has_aux``, ``f`` returns ``(output, aux)`` and the result is ``(jacobian, aux)``."""

    return _jacrev(f, argnums, has_aux, "jacrev")


def _jacrev(f: Callable[..., Any], argnums: Any, has_aux: bool, what: str) -> Callable[..., Any]:
    """``jacrev``, its errors naming ``what`` (``hessian``'s inner one)."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), what)
        box: list = []
        fn = _output_only(f, what, box) if has_aux else f
        out, xs, own = _trace(fn, args, nums, what, kwargs)
        several = isinstance(out, (tuple, list))
        outs = _items(out)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(f"{what}: f must return Tensors, got {type(o).__name__}")
        by_output = []
        for o in outs:
            rows: list[list[Tensor]] = [[] for _ in xs]
            for j in range(o.size):
                seed = np.zeros(o.shape, dtype=o.dtype)
                seed.reshape(-1)[j] = 1
                gs = _reverse([o], xs, [seed], retain=True, own=own)[0]
                for k, g in enumerate(gs):
                    rows[k].append(g)
            jacs = tuple(
                reshape(stack(r, axis=0), o.shape + x.shape)
                if r
                else Tensor._make(np.zeros(o.shape + x.shape, dtype=x.dtype))  # (a gradient's)
                for r, x in zip(rows, xs)
            )
            by_output.append(jacs[0] if single else jacs)
        jac = _shaped_like(out, by_output) if several else by_output[0]
        return (jac, _plain_tree(box[0])) if has_aux else jac

    return wrapped


def jacfwd(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Jacobian of ``f`` by forward mode (one jvp per input element), shaped
    ``out.shape + in.shape``; use it when inputs are fewer than outputs. For a tuple of outputs
    it is a tuple with one entry per output (each a tuple over ``argnums`` when that is one).
    With ``has_aux``, ``f`` returns ``(output, aux)`` and the result is ``(jacobian, aux)``
    (``aux`` from the first of the calls). The calls act as one: see ``_Replay``."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums(argnums, len(args), "jacfwd")
        args = tuple(_to_tensor(a, "jacfwd") if i in nums else a for i, a in enumerate(args))
        box: list = []
        replay = _Replay(f, args)
        fn = _output_only(replay, "jacfwd", box) if has_aux else replay
        outer = set(ACTIVE)  # (the levels of enclosing jvps, which aux keeps)
        try:
            jac = _jacobian(fn, replay.reset, args, kwargs, nums, single)
        finally:
            replay.finish()
        return (jac, _plain_tree(box[0], outer)) if has_aux else jac

    return wrapped


class _Replay:
    """``f`` called once per input element as if once: every call draws the same random
    numbers (from the calling thread's copy of tensorgrad's generator, rewound for each call:
    one dropout mask for the whole Jacobian), sees the arguments as the first call did (an
    argument ``f`` writes into is set back before each later call, by ``reset``, and left as the
    first call left it) and leaves layers' state as the first left it (``STATE.replay``: batch
    norm's running statistics move once); at the end the generator stands where one call leaves
    it, unless another thread drew from it meanwhile (its draws are then left as they were,
    never repeated; but they may be f's numbers, as f draws from a copy: such a thread needs a
    generator of its own). (torch.func refuses randomness and state instead; a generator passed
    to ``f``'s ops by hand, and a tensor ``f`` closes over, are not set back.)

    NOTE: setting an argument back restores its graph and tangents too (and those of the
    tensors it views), or the next call's write would be recorded over the previous call's
    (a gradient through it of the write applied once per call), and counts as a write: a graph
    that saved its memory after a call's write raises in backward, never sees other values."""

    def __init__(self, f: Callable[..., Any], args: Sequence[Any]) -> None:
        from tensorgrad.factories import default_rng

        self.f = f
        self.args = args  # (the caller's; f gets stand-ins sharing the memory of some)
        self.shared = default_rng()
        with self.shared.bit_generator.lock:  # (NumPy's own: another thread's draw waits)
            self.own = copy.deepcopy(self.shared)
        self.start = self.own.bit_generator.state
        self.after: Any = None
        self.written: list[_Written] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        again = self.after is not None
        if again:
            self.own.bit_generator.state = self.start
        else:
            befores = [
                (a, arr.copy(), getattr(a, "version", None), _states(a))
                for a in self.args
                if (arr := _array(a)) is not None
            ]
        replay, rng = STATE.replay, STATE.rng
        STATE.replay, STATE.rng = replay or again, self.own
        try:
            return self.f(*args, **kwargs)
        finally:
            STATE.replay, STATE.rng = replay, rng
            if not again:
                self.after = self.own.bit_generator.state
                for a, before, version, states in befores:
                    now = _array(a)
                    if now.shape == before.shape and (
                        a.version != version
                        if version is not None
                        else not np.array_equal(now, before, True)
                    ):
                        self.written.append(_Written(a, now, before, now.copy(), states))

    def reset(self) -> None:
        """Set the written arguments back as they were before the first call (a no-op before
        it): values, graphs and tangents."""
        if self.after is None:
            return
        for w in self.written:  # (all first: two arguments may be one tensor)
            if w.states_after is None:
                w.states_after = _states(w.arg)  # (as the first call left them)
        for w in self.written:
            _set_back(w.arg, w.array, w.before, w.states_before)

    def finish(self) -> None:
        """Leave the written arguments as the first call left them."""
        for w in self.written:
            if w.states_after is not None:
                _set_back(w.arg, w.array, w.after, w.states_after)
        shared = self.shared.bit_generator
        with shared.lock:  # (else it was drawn from meanwhile, by f by hand or by another
            if self.after is not None and shared.state == self.start:  # thread: those stand)
                shared.state = self.after


class _Written:
    """An argument the first of ``_Replay``'s calls wrote into: its array, its values before and
    after that call, and its tensors' states (``_states``) before it and, once the second call's
    ``reset`` takes them, after it."""

    __slots__ = ("arg", "array", "before", "after", "states_before", "states_after")

    def __init__(
        self, arg: Any, array: np.ndarray, before: np.ndarray, after: np.ndarray, states: list
    ) -> None:
        self.arg, self.array, self.before, self.after = arg, array, before, after
        self.states_before = states
        self.states_after: list | None = None


def _states(a: Any) -> list:
    """The graph and tangents of ``a`` and of every tensor it views, to set back."""
    out = []
    while isinstance(a, Tensor):
        out.append((a, a._node, a._requires_grad, a._fw))
        view = view_of(a)
        a = view[0] if view is not None else None
    return out


def _set_back(a: Any, array: np.ndarray, values: np.ndarray, states: list) -> None:
    """Give ``a`` the ``values`` and its tensors the ``states`` (``_states``), counting a
    write when the values change and a new graph for views taken before."""
    if not np.array_equal(array, values, True):
        np.copyto(array, values)
        if isinstance(a, Tensor):
            bump_version(a)
    changed = False
    for t, node, requires_grad, fw in states:
        changed = changed or t._node is not node or t._fw is not fw
        t._node, t._requires_grad = node, requires_grad
        take_tangents(t, fw)
    if changed:
        a._cell()[2] = WRITE_CLOCK[0] = WRITE_CLOCK[0] + 1  # (views rebase at their next use)


def _array(a: Any) -> np.ndarray | None:
    """The array an argument holds (a Tensor's data, or a numeric ndarray), else None."""
    if isinstance(a, Tensor):
        return a.data
    return a if isinstance(a, np.ndarray) and a.dtype.kind in "biuf" else None


def _jacobian(
    fn: Callable[..., Any],
    reset: Callable[[], None],
    args: tuple,
    kwargs: dict,
    nums: tuple[int, ...],
    single: bool,
) -> Any:
    """``jacfwd``'s Jacobian of ``fn`` at ``args``: one jvp per element of each argument
    (``reset`` before each, which sets the arguments back before every call but the first)."""
    per_input = []  # for each differentiated argument, one Jacobian per output
    several = False  # whether f returns a tuple (or list) of outputs
    for i in nums:
        x = args[i]
        if x.dtype.kind != "f":  # (as _jvp's check, also for an empty argument)
            raise TypeError(f"jacfwd: primals must be floating point, got {x.dtype}")
        cols: list[list[Tensor]] = []
        outs: Any = ()
        for k in range(x.size):
            basis = np.zeros(x.shape, dtype=x.dtype)
            basis.reshape(-1)[k] = 1

            def fi(xi: Tensor, i: int = i) -> Any:
                call_args = list(args)
                call_args[i] = xi
                return fn(*call_args, **kwargs)

            reset()
            out, t = _jvp(fi, (x,), (basis,), new_level(), what="jacfwd")
            several = isinstance(out, (tuple, list))
            outs, ts = (_items(out), _items(t)) if several else ((out,), (t,))
            if not cols:
                cols = [[] for _ in outs]
            for col, tj in zip(cols, ts):
                col.append(reshape(tj, -1))
        if not cols:  # an empty argument: zero-size Jacobians
            reset()
            out = fn(*args, **kwargs)
            several = isinstance(out, (tuple, list))
            outs = _items(out) if several else (out,)
            per_input.append(
                [Tensor._make(np.zeros(o.shape + x.shape, dtype=o.dtype)) for o in outs]
            )
            continue
        per_input.append(
            [reshape(stack(c, axis=-1), o.shape + x.shape) for c, o in zip(cols, outs)]
        )
    by_output = [jacs[0] if single else tuple(jacs) for jacs in zip(*per_input, strict=True)]
    return _shaped_like(out, by_output) if several else by_output[0]


def hessian(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The Hessian of a one-element-output ``f``: reverse over reverse (``jacrev(jacrev(f))``,
    as ``torch.autograd.functional.hessian``): ``f`` and its gradient run once, recorded, and
    each row is one reverse pass through that gradient's graph; ``(hessian, aux)`` with
    ``has_aux``. (Forward over reverse, JAX's and ``torch.func``'s with a vmap, would call ``f``
    once per input element here: 4x as long for a small net's loss.)"""
    return _jacrev(_jacrev(f, argnums, has_aux, "hessian"), argnums, has_aux, "hessian")


def hvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """``(f(*primals), H v)`` for a one-element-output ``f``, reverse over forward: one forward
    pass carries the tangents ``v`` (recording the directional derivative ``grad f . v``), and
    one reverse pass differentiates that scalar. The gradient itself is never formed, and the
    reverse pass runs on plain arrays unless something outside needs ``H v`` differentiable.
    ``H v`` is a tuple shaped like ``primals``: a Tensor for one Tensor (or array), as torch's
    ``autograd.functional.hvp``."""
    single = not isinstance(primals, (tuple, list))
    primals = tuple(primals) if isinstance(primals, (tuple, list)) else (primals,)
    tangents = tuple(tangents) if isinstance(tangents, (tuple, list)) else (tangents,)
    if len(primals) != len(tangents):
        raise ValueError(f"hvp: {len(primals)} primals but {len(tangents)} tangents")

    level = new_level()

    def directional(*xs: Any) -> tuple[Tensor, Tensor]:
        return _jvp(f, xs, tangents, level, own=True, what="hvp")  # xs: fresh leaves

    (value, derivative), xs, own = _trace(directional, primals, range(len(primals)), "hvp")
    if not isinstance(value, Tensor) or value.size != 1:
        got = f"shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
        raise TypeError(f"hvp: f must return a one-element Tensor, got {got}")
    # NOTE: value hangs on the transform's own leaves (its level's tangents are gone: _jvp
    # dropped them when it returned); keep its graph (and so the shared part of the
    # derivative's) only when a leaf that still requires grad influences it, and keep the
    # tangents of enclosing jvps.
    keep = _connected(value)
    # (a cotangent of None is the engine's own ones: the derivative has one element, as value)
    hv, _ = _reverse([derivative], xs, [None], retain=keep, own=own)
    return (value if keep else _detached(value)), (hv[0] if single else hv)
