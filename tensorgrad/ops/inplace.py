"""In-place operations: ``t += v``, ``t -= v``, ``t *= v``, ``t /= v``, ``t **= v``,
``t[index] = v``, and the internal unrecorded write that optimizers, ``nn.init`` and
``load_state_dict`` use.

Every in-place write bumps the tensor's version counter (shared with its views), so an op that
saved the old values raises in backward instead of returning a wrong gradient. On a leaf that
requires grad, in-place ops raise at once outside ``no_grad``. On a non-leaf (or when ``v``
requires grad) the write is recorded as an op whose input is a snapshot of the old values, and
the tensor's ``grad_fn`` becomes that op, so gradients stay right (as in PyTorch).

A recorded write into a view is recorded on the tensor it views (``SetView``, PyTorch's
CopySlices), so that the base and all its views see it in their graphs; views taken before the
write are rebased onto it (``ops._base.check_view``, ``refresh_views``).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_operands
from tensorgrad._shapes import broadcasts_to
from tensorgrad.forward_mode import take_tangents
from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import (
    RECORD_HOOKS,
    Op,
    call,
    check_view,
    follow_retained,
    made_under_no_grad,
    memory_owner,
    note_root_write,
    refresh_views,
    root,
    view_of,
)
from tensorgrad.ops.indexing import normalize_index
from tensorgrad.tensor import WRITE_CLOCK, Tensor, bump_version

__all__: list[str] = []


class SetItem(Op):
    """x with ``x[index]`` replaced by v (the recorded form of ``t[index] = v``)"""

    __slots__ = ("index",)
    linear = True

    def __init__(self, index):
        self.index = index

    def forward(self, x, v):
        out = np.array(x, copy=True)
        out[self.index] = v
        return out

    def generate_adjoints(self, adjoints, delta):
        from tensorgrad._shapes import unbroadcast

        if self.edges[0] is not None:
            # (the written positions set to 0, not multiplied by a 0/1 mask: an inf or NaN
            # delta there would give NaN where the gradient is exactly 0)
            adjoints[0] = self.reapply(delta, 0.0)
        if self.edges[1] is not None:
            written = delta[self.index]
            lost = _overwritten(self.index, delta.shape)
            if lost is not None:
                written = written * ~lost
            shape = self.in_shape(1)
            if len(shape) > written.ndim:  # (a value with extra leading axes of size 1)
                written = written.reshape((1,) * (len(shape) - written.ndim) + written.shape)
            adjoints[1] = unbroadcast(written, shape)


def _overwritten(index: tuple, shape: tuple[int, ...]) -> np.ndarray | None:
    """Which entries of ``x[index] = v``'s right-hand side another write to the same position
    replaced, or None when no position repeats; those entries get no gradient. NumPy keeps one
    write per position (the last, in practice; it does not promise which), found here by the
    same assignment of entry numbers. Only integer index arrays can repeat a position."""
    arrays = [p for p in index if isinstance(p, np.ndarray) and p.dtype.kind in "iu"]
    if not arrays:
        return None
    if len(arrays) == 1 and not any(isinstance(p, np.ndarray) for p in index if p is not arrays[0]):
        a = arrays[0]  # (one integer array: positions repeat only if its entries do)
        if not a.size or (a.min() >= 0 and np.unique(a).size == a.size):
            return None
    kept = np.empty(shape, dtype=np.intp)
    picked = kept[index].shape
    ids = np.arange(math.prod(picked), dtype=np.intp).reshape(picked)
    kept[index] = ids
    lost = kept[index] != ids
    return lost if lost.any() else None


class SetView(Op):
    """x with the part its view op ``view`` selects replaced by v (the recorded form of a
    write into a view of x, PyTorch's CopySlices)"""

    __slots__ = ("view",)
    linear = True

    def __init__(self, view):
        self.view = view

    def forward(self, x, v):
        # NOTE: C order, whatever x's layout (an adjoint or tangent may be Fortran-ordered):
        # every view op's forward then gives a view of out, reshape too, which would copy a
        # non-C-contiguous array and take the write with it
        out = np.array(x, copy=True, order="C")
        self.view.forward(out)[...] = v
        return out

    def generate_adjoints(self, adjoints, delta):
        if self.edges[0] is not None:
            adjoints[0] = self.reapply(delta, 0.0)  # (as SetItem's)
        if self.edges[1] is not None:
            adjoints[1] = self.view.reapply(delta)


# A reverse transform's stand-ins for arguments that require grad (``transforms._lift``): the
# leaves it differentiates with respect to, which torch.func refuses to write into even when
# the caller's tensor is no leaf (the write would reach its memory under its old graph); listed
# while f runs (``transforms._trace`` takes them off once it returns).
# Keyed by id (a WeakSet compares tensors with ==, which is elementwise).
STAND_INS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _aliases_a_leaf(t: Tensor) -> bool:
    """Whether ``t`` shares its memory and version counter with a leaf that requires grad
    (``ops.shape.alias``: the transforms' stand-in for an argument, which torch.func refuses
    to write into as it refuses the leaf itself), or is a reverse transform's stand-in."""
    from tensorgrad.ops.shape import Alias

    if not isinstance(t._node, Alias):  # (a detached tensor shares the cell too: written freely)
        return False
    if STAND_INS.get(id(t)) is t:
        return True
    owner = memory_owner(t)
    return (
        owner is not None
        and owner is not t
        and owner._requires_grad
        and owner._node is None
        and view_of(owner) is None
    )


def _recorded_on_leaf(t: Tensor) -> bool:
    """Whether the view ``t``'s graph is its view ops over the leaf it views (the root): made
    while that leaf required grad, which it has stopped doing since (requires_grad_(False),
    detach_()); torch refuses a write into it, as into a view of a leaf that requires grad."""
    node = t._node
    view = view_of(t)
    while view is not None and node is not None and node.edges:
        base, edge = view[0], node.edges[0]
        if base._node is None:
            return edge is base
        if isinstance(edge, Tensor):
            return False
        node, view = edge, view_of(base)
    return False


def _must_record(t: Tensor, v: Any, what: str) -> bool:
    """Whether the write of ``v`` into ``t`` must be recorded; raises for the writes PyTorch
    refuses (into a leaf that requires grad or a view of one; a recorded write into a view
    made under no_grad)."""
    if not STATE.grad_enabled:
        return False
    v_grad = isinstance(v, Tensor) and v._requires_grad
    if view_of(t) is None:
        if t._requires_grad and (t._node is None or _aliases_a_leaf(t)):
            raise RuntimeError(
                f"{what}: a leaf tensor of shape {t.shape} that requires grad is being used in "
                "an in-place operation (wrap it in tg.no_grad() if you mean to change its values)"
            )
        return t._requires_grad or v_grad
    root = t
    while view_of(root) is not None:
        if root._requires_grad and root._node is None:
            # (a view made to require grad itself, or one taken from such a view)
            raise RuntimeError(
                f"{what}: a view (shape {root.shape}) that is a leaf requiring grad is being "
                "used in an in-place operation, or a view of it is (wrap it in tg.no_grad() if "
                "you mean to change its values)"
            )
        root = root._base[0]
    no_grad = made_under_no_grad(t)
    if (root._node is None and (root._requires_grad or _recorded_on_leaf(t))) or (
        root._requires_grad and _aliases_a_leaf(root)
    ):
        made = ", made under no_grad," if no_grad else ""
        raise RuntimeError(
            f"{what}: a view (shape {t.shape}) of a leaf tensor that requires grad{made} is "
            "being used in an in-place operation (wrap it in tg.no_grad() if you mean to change "
            "the leaf's values)"
        )
    record = root._requires_grad or v_grad
    if record and no_grad:
        raise RuntimeError(
            f"{what}: a view (shape {t.shape}) made under no_grad is written in place outside "
            "it, and the write must be recorded (the tensor it views or the value requires "
            "grad): take the view outside no_grad, or make the write inside it (as PyTorch)"
        )
    return record


def _write(t: Tensor, new: Tensor, what: str, count: bool = True) -> None:
    chain = STATE.write_chain  # (per thread: see grad_mode._State)
    if chain:  # (a write this one is part of: passed on, or into a view's base)
        _write_through(t, new, what, count)
        return
    chain.append(None)  # (the first entry marks a write in progress)
    try:
        _write_through(t, new, what, count)
        if len(chain) > 1 and SHARED:
            _refresh_stand_ins()
    finally:
        chain.clear()


def _write_through(t: Tensor, new: Tensor, what: str, count: bool = True) -> None:
    """Make ``new`` (recorded, or carrying tangents) the value of ``t``. A view passes the
    write on to the tensor it views, as its view op's part of a ``SetView`` (recursively, up
    to the tensor that is no view): the base's graph then has the write, and every view of it
    is rebased onto that graph (this one at once, the others at their next use). Without
    ``count``, ``t`` already holds ``new``'s values (a write the transforms pass on from a
    stand-in that shares its memory): only the graph and tangents change.

    A loop, not a recursion, up a chain of views of views (torch's views all point at the
    tensor owning the memory: a chain of any depth works)."""
    through = []  # the views written through, innermost first
    view = view_of(t)
    while view is not None:
        base, op = view[0], view[1]
        new = call(SetView, _snapshot(base), new, view=op)
        through.append(t)
        t = base
        view = view_of(t)
    _commit(t, new, what, count)
    target = passed_on_to(t)
    if target is not None:
        _pass_on(*target, t, what, new._node is not None)
    for v in reversed(through):  # (outermost first: each finds its base rebased)
        if v._node is not None and STATE.grad_enabled:
            check_view(v)


# A forward transform's stand-ins for its primals (``transforms._jvp``): id -> (a weak reference
# to the stand-in, the caller's tensor, the level). The stand-in shares the caller's memory, and
# a write into it is passed on to the caller's tensor at once (``_pass_on``), as into a view's
# base: torch.func's stand-in is a view. Listed while f runs.
PASS_ON: dict[int, tuple[weakref.ref, Tensor, int]] = {}


def passed_on_to(t: Tensor) -> tuple[Tensor, int] | None:
    """The caller's tensor and the level, if ``t`` is a running jvp's stand-in (``PASS_ON``)."""
    passed = PASS_ON.get(id(t))
    return (passed[1], passed[2]) if passed is not None and passed[0]() is t else None


def _own_tangent_at(fw: dict | None, own: Any, level: int) -> dict:
    """The tangents ``fw`` (by level), with ``own`` at ``level`` instead of ``fw``'s (none if
    ``own`` is None): at its level a tangent is the tensor's own, not the memory's."""
    out = {lv: tt for lv, tt in (fw or {}).items() if lv != level}
    if own is not None:
        out[level] = own
    return out


def _pass_on(x: Tensor, level: int, y: Tensor, what: str, recorded: bool) -> None:
    """Give the caller's tensor ``x`` the graph and tangents a write just gave its stand-in
    ``y`` (which shares its memory: the values are there already), but at ``level`` ``x`` keeps
    its own tangent, or none (as torch.func's: a tangent at the level belongs to the tensor,
    the stand-in or ``x`` read inside f by closure, not to the memory they share). An
    unrecorded write (under no_grad, with tangents) leaves ``x``'s graph as it is."""
    from tensorgrad.forward_mode import set_tangents

    new = Tensor._make(y.data, y._node, True) if recorded else Tensor._make(y.data)
    own = x._fw.get(level) if x._fw is not None else None
    set_tangents(new, _own_tangent_at(y._fw, own, level))
    _write(x, new, what, count=False)


def _commit(t: Tensor, new: Tensor, what: str, count: bool = True) -> Tensor:
    """Write ``new`` into ``t``'s memory and make ``t`` the output of ``new``'s op (without
    ``count``, the memory holds ``new``'s values already: no write, no version)."""
    if count:
        try:
            t.data[...] = new.data
        except ValueError as exc:
            raise ValueError(
                f"{what}: cannot write into a tensor of shape {t.shape}: {exc}"
            ) from None
        bump_version(t)
    else:
        t._cell()
        WRITE_CLOCK[0] += 1  # (a new stamp for the graph change below, counting no write)
    recorded = new._node is not None
    cell = t._version
    if (recorded or new._fw is not None or t._fw is not None) and (
        t._node is not None
        or t._requires_grad
        or t._fw is not None
        or memory_owner(t) is t  # (its own memory: a frozen leaf's views)
    ):
        # a new graph or new tangents: recorded views taken before are stale (see check_view).
        # (not after a write into a tensor with neither that does not own the memory, a
        # detach() of a tracked one: autograd does not see it there, as in torch; its own
        # views, unrecorded, are refreshed below)
        cell[2] = WRITE_CLOCK[0]
    if recorded:
        note_root_write(t, WRITE_CLOCK[0])  # (read by an alias of the same identity)
        follow_retained(t, t._node, new._node)
        if t._node is None:
            # (a leaf no longer: its hooks belong to the leaf it was, as torch's, which the
            # gradient of the new value does not reach)
            t._hooks = None
        t._node = node = new._node
        t._requires_grad = True
        if node.saved and any(
            isinstance(s, Tensor) and s._version is t._version for s in node.saved
        ):
            node.saved = tuple(_stand_in(s, t._version) for s in node.saved)
    take_tangents(t, new._fw)
    STATE.write_chain.append(t)
    if SHARED and t._version is not None and id(t._version) in SHARED:
        _outdate(t, new)
    refresh_views(t._version, recorded)
    return t


# A transform's stand-ins that share memory with the tensors they stand in for, by the id of the
# version cell they share, while f runs: ``[kind, weak reference to the stand-in, ...]``.
# ``["jvp", ref, x, level]`` (``transforms._jvp``): a write into the memory through another
# tensor (``x`` itself, read by closure, or a second stand-in of it) gives the stand-in ``x``'s
# new graph and tangents, but its own tangent at ``level`` (``_refresh_stand_ins``), as a view
# of ``x`` follows a write into its base (torch.func's stand-in is one). ``["leaf", ref, x, what,
# own]`` (``transforms._trace``): a reverse transform's fresh leaf for a tensor that did not
# require grad, which cannot follow a graph: after a recorded write into its memory whose graph
# reaches a tensor that requires grad outside the transform (not among its leaves ``own``), a
# use of the leaf raises (``STALE``) instead of reading the new values without their graph.
SHARED: dict[int, list] = {}

# The leaves that a use raises for (see SHARED): id -> (weak reference, the transform's name).
STALE: dict[int, tuple] = {}
# (held while ``_stale_read`` is added to or taken off RECORD_HOOKS: transforms in several
# threads may do either at once)
STALE_HOOK_LOCK = threading.Lock()


def _outdate(t: Tensor, new: Tensor) -> None:
    """Note the stand-ins sharing ``t``'s memory that the write just committed into ``t`` (the
    value ``new``) leaves behind: not ``t``, nor one the write reaches by being passed on."""
    from tensorgrad import autograd

    chain = STATE.write_chain
    ahead = []
    p = t
    while (target := passed_on_to(p)) is not None:
        p = target[0]
        ahead.append(p)
    for entry in SHARED[id(t._version)]:
        s = entry[1]()
        if s is None or s is t or any(s is a for a in ahead) or any(s is c for c in chain):
            continue
        if not _affected(entry[2], (t, *ahead)):
            continue  # (a write through a detach() of it: its graph is unchanged)
        if entry[0] == "jvp":
            if new._node is not None or new._fw is not None:  # (else its graph is unchanged)
                chain[0] = True  # (to refresh once the write is done: _refresh_stand_ins)
        elif new._node is not None and id(s) not in STALE:
            own = entry[4]
            for leaf in own:
                leaf._requires_grad = False
            try:
                outside = autograd._reaches_grad([new._node])
            finally:
                for leaf in own:
                    leaf._requires_grad = True
            if outside:
                STALE[id(s)] = (entry[1], entry[3])
                with STALE_HOOK_LOCK:
                    if _stale_read not in RECORD_HOOKS:
                        RECORD_HOOKS.append(_stale_read)


def _affected(x: Tensor, written: tuple) -> bool:
    """Whether the tensor ``x`` a stand-in stands in for gets a new graph from a write that
    committed ``written``: it is one of them or a view or alias of one, or it is a jvp's
    stand-in for such a tensor (which ``_refresh_stand_ins`` refreshes)."""
    while True:
        r = root(x)
        if any(x is c or r is c for c in written):
            return True
        target = passed_on_to(x)
        if target is None:
            return False
        x = target[0]


def _refresh_stand_ins() -> None:
    """Give each jvp stand-in sharing memory with a tensor the write just made committed, and
    left behind (not written through it), the graph and tangents of the tensor it stands in
    for, keeping its own tangent at its level (see SHARED)."""
    from tensorgrad.forward_mode import set_tangents
    from tensorgrad.grad_mode import enable_grad
    from tensorgrad.ops.shape import alias

    chain = STATE.write_chain
    if chain[0] is not True:
        return
    done: list = []
    cells = []
    for t in chain[1:]:
        if not any(t._version is c for c in cells):
            cells.append(t._version)
    for cell in cells:
        refreshed = False
        for entry in SHARED.get(id(cell), ()):
            y = entry[1]()
            if entry[0] != "jvp" or y is None or any(y is c for c in chain[1:]):
                continue
            if any(y is d for d in done):
                continue
            done.append(y)
            x, level = entry[2], entry[3]
            own = y._fw.get(level) if y._fw is not None else None
            with enable_grad():  # (a write under no_grad that carried tangents)
                a = alias(x)
            y._node = a._node
            y._requires_grad = a._requires_grad
            set_tangents(y, _own_tangent_at(a._fw, own, level))
            refreshed = refreshed or y._requires_grad
        refresh_views(cell, refreshed)  # (views of a refreshed stand-in follow it)


def _stale_read(op: Op, inputs: tuple, out: Tensor) -> None:
    """A record hook while a leaf is in STALE: refuses an op on it."""
    for x in inputs:
        if isinstance(x, Tensor):
            entry = STALE.get(id(x))
            if entry is not None and entry[0]() is x:
                raise RuntimeError(
                    f"{entry[1]}: f read its argument (shape {x.shape}), the transform's "
                    "stand-in that shares the memory of the caller's tensor, after f wrote into "
                    "that memory through another tensor (the caller's tensor, read by closure, "
                    "or a view of it) with a recorded write: the stand-in, a leaf of the "
                    "transform, cannot follow the write's graph, so the gradient through this "
                    "use would be wrong. Read the argument before the write, or pass a clone "
                    "(in torch.func the stand-in is a view, which follows the write)"
                )


def _stand_in(s: Any, cell: list) -> Any:
    """``s``, or for a tensor sharing the written tensor's version ``cell`` (``t *= t``,
    ``t *= t[0]``), a plain tensor with its data and cell: the write outdated it (backward
    through the node raises, as torch's), and the tensor itself would make the node a reference
    cycle (tensor -> node -> saved -> tensor) holding the whole graph."""
    if not isinstance(s, Tensor) or s._version is not cell:
        return s
    y = Tensor._make(s.data)
    y._version = cell
    return y


def _snapshot(t: Tensor) -> Tensor:
    """The current values of ``t`` under its current graph node (a stale view rebased first),
    as a separate tensor."""
    node = t._node
    if node is not None and t._version is not None and STATE.grad_enabled:
        node = check_view(t)
    old = Tensor._make(t.data.copy(), node, t._requires_grad)
    old._fw = t._fw
    return old


def _check_writable(t: Tensor, what: str) -> None:
    if not t.data.flags.writeable:
        if _of_broadcast(t):
            why = "a broadcast_to view, or a view of one, is read-only, as NumPy's"
        elif 0 in t.data.strides and t.data.size > 1:
            why = "its array shares one element among many positions (a broadcast)"
        else:
            why = "its array is read-only, as from_numpy of a read-only array gives it"
        raise ValueError(f"{what}: cannot write into a read-only tensor of shape {t.shape} ({why})")


def _of_broadcast(t: Tensor) -> bool:
    """Whether ``t`` is a broadcast_to view or a view taken from one (its views' chain)."""
    view = view_of(t)
    while view is not None:
        if type(view[1]).__name__ == "BroadcastTo":
            return True
        view = view_of(view[0])
    return False


def inplace_binary(t: Tensor, v: Any, fn: Callable[[Any, Any], Tensor], what: str) -> Tensor:
    """``t op= v`` for a binary tensorgrad function ``fn``."""
    record = _must_record(t, v, what)
    _check_writable(t, what)
    if not record and t._fw is None and not (isinstance(v, Tensor) and v._fw is not None):
        vd = v.data if isinstance(v, Tensor) else v
        result = np.asarray(fn(t.data, vd).data)
        if not np.can_cast(result.dtype, t.dtype, casting="same_kind"):
            raise TypeError(f"{what}: cannot cast the {result.dtype} result to {t.dtype} in place")
        if result.shape != t.shape:
            raise ValueError(
                f"{what}: the result has shape {result.shape}, which does not fit the tensor's "
                f"shape {t.shape} in place"
            )
        t.data[...] = result
        bump_version(t)
        return t
    new = fn(_snapshot(t), v)
    if new.shape != t.shape:
        raise ValueError(
            f"{what}: the result has shape {new.shape}, which does not fit the tensor's shape "
            f"{t.shape} in place"
        )
    if new.dtype != t.dtype:
        if not np.can_cast(new.dtype, t.dtype, casting="same_kind"):
            raise TypeError(f"{what}: cannot cast the {new.dtype} result to {t.dtype} in place")
        new = new.astype(t.dtype)
    _write(t, new, what)
    return t


def setitem(t: Tensor, index: Any, v: Any) -> None:
    """``t[index] = v``."""
    idx, _ = normalize_index(index, "setitem")
    if not isinstance(v, Tensor):
        check_operands("setitem", (v,), ("value",))  # (NumPy would parse a string, and None is NaN)
    if isinstance(v, Tensor) and t.data.dtype.kind != "f":
        v = v.data  # (cast into an int or bool tensor: no gradient or tangent flows, as torch)
    record = _must_record(t, v, "setitem")
    has_fw = t._fw is not None or (isinstance(v, Tensor) and v._fw is not None)
    if not record and not has_fw:
        vd = v.data if isinstance(v, Tensor) else v
        try:
            if isinstance(vd, (list, tuple)) and t.data.dtype.kind != "f":
                # NOTE: NumPy converts a list's items as it writes them into an integer array,
                # so an item out of range (1000 for int8, inf, NaN) raised after the ones before
                # it were written; converted once first, for its errors only, then written by
                # NumPy as given (whose shape rules depend on the index kind)
                np.asarray(vd, dtype=t.data.dtype)
            t.data[idx] = vd
        except (ValueError, TypeError, IndexError) as exc:
            raise type(exc)(f"setitem: {exc} (tensor of shape {t.shape})") from None
        except OverflowError as exc:  # (as an op's Python int out of range: _out_of_range)
            if type(v) is int and "too large to convert" in str(exc):  # (NumPy's "C long")
                exc = f"Python integer {v} out of bounds for {t.dtype}"
            raise ValueError(f"setitem: {exc} (tensor of shape {t.shape})") from None
        bump_version(t)
        return
    if isinstance(v, Tensor) and v._requires_grad and v.dtype != t.dtype:
        v = v.astype(t.dtype)
    _check_writable(t, "setitem")
    try:
        new = call(SetItem, _snapshot(t), v, index=idx)
    except (ValueError, TypeError, IndexError) as exc:
        raise type(exc)(f"setitem: {exc} (tensor of shape {t.shape})") from None
    _write(t, new, "setitem")


def _at_values(t: Tensor, v: Any, what: str) -> Any:
    """``v`` checked for ``np.add.at`` into ``t`` by ``t += v``'s rule (NumPy's result dtype, a
    Python number weak, cast back same_kind: a float into an integer tensor is refused, where
    NumPy's ufunc.at casts it unsafely); bools as numbers (a bool scatter adds repeats as a
    logical or), the rest as given (NumPy adds in the result dtype: inf - 1e300 into float32
    stays inf)."""
    python = isinstance(v, (bool, int, float))
    dtype = v.dtype if isinstance(v, Tensor) else None if python else np.asarray(v).dtype
    try:
        if python and not isinstance(v, bool):
            np.asarray(v, dtype=t.dtype)  # (a Python int past the dtype: 300 into uint8)
        result = np.result_type(t.data, v if python else np.empty((), dtype))
    except OverflowError as exc:
        raise ValueError(f"{what}: {exc}") from None
    if not np.can_cast(result, t.dtype, casting="same_kind"):
        raise TypeError(f"{what}: cannot cast the {result} result to {t.dtype} in place")
    if t.dtype.kind != "b" and (isinstance(v, bool) or (dtype is not None and dtype.kind == "b")):
        return v.astype(t.dtype) if isinstance(v, Tensor) else np.asarray(v, dtype=t.dtype)
    return v


def add_at(t: Tensor, index: Any, v: Any, subtract: bool = False) -> None:
    """``np.add.at(t, index, v)`` (``np.subtract.at`` with ``subtract``): ``v`` added at
    ``index`` in place, a repeated index adding each time (torch's ``index_add_`` and
    ``scatter_add_``, JAX's ``x.at[index].add(v)``). Unrecorded, NumPy's own ``ufunc.at`` on
    the data; recorded, ``t + a scatter-add of v`` (the values for one entry summed first, then
    added: rounded differently from NumPy's one at a time)."""
    from tensorgrad.ops.arithmetic import add
    from tensorgrad.ops.arithmetic import subtract as minus
    from tensorgrad.ops.indexing import ScatterAdd
    from tensorgrad.ops.shape import broadcast_to

    what = f"np.{'subtract' if subtract else 'add'}.at"
    idx, basic = normalize_index(index, what)
    if not idx:
        idx = (Ellipsis,)  # (an empty tuple: every entry)
    if not isinstance(v, Tensor):
        check_operands(what, (v,), ("b",))
    try:
        picked = np.empty(t.shape, dtype=bool)[idx].shape  # (the shape of t[index])
    except IndexError as exc:
        raise IndexError(f"{what}: {exc} (tensor of shape {t.shape})") from None
    record = _must_record(t, v, what)
    _check_writable(t, what)
    values = _at_values(t, v, what)
    vshape = np.shape(values.data if isinstance(values, Tensor) else values)
    if not broadcasts_to(vshape, picked):
        raise ValueError(
            f"{what}: values of shape {vshape} do not broadcast to the indexed shape {picked} "
            f"(tensor of shape {t.shape})"
        )
    plain = not record and t._fw is None and not (isinstance(v, Tensor) and v._fw is not None)
    if plain and t.ndim <= 32 and len(picked) <= 32:  # (ufunc.at crashes past 32 dimensions)
        data = values.data if isinstance(values, Tensor) else values
        (np.subtract if subtract else np.add).at(t.data, idx, data)
        bump_version(t)
        return

    def added(x: Any, vals: Any) -> Tensor:
        spread = broadcast_to(vals, picked)
        scattered = call(ScatterAdd, spread, shape=t.shape, index=idx, basic=basic)
        return (minus if subtract else add)(x, scattered)

    inplace_binary(t, values, added, what)
