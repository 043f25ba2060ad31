"""The Op base class: forward on ndarrays, an adjoint rule, a tangent rule, and ``apply``.

An op instance is also the graph node of the tensor it made. It keeps its inputs' edges (the
node or leaf each gradient flows to, with the shape and dtype the gradient must have), the
values its rules need, and never its output Tensor, so graphs die by reference counting.

Rules are written with NumPy functions and operators. Handed ndarrays (an ordinary backward)
they run at NumPy speed; handed Tensors (``create_graph=True`` or forward mode over a recorded
graph) the same code dispatches to tensorgrad ops and is itself recorded.
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Any, ClassVar, NoReturn

import numpy as np

# NOTE: NumPy's module defines ``__getattr__``, and CPython (3.11 to 3.13) then does not cache
# ``np.name`` loads: each is a full lookup, about 300 machine instructions. The names the hot
# paths read on every op (here and in autograd, arithmetic, _shapes) are module globals instead:
# 3 % of the instructions of a small MLP's training step.
from numpy import asarray, ndarray

from tensorgrad._dtypes import check_operands
from tensorgrad._shapes import broadcast_shapes
from tensorgrad.forward_mode import push_tangents, take_tangents
from tensorgrad.grad_mode import STATE
from tensorgrad.tensor import WRITE_CLOCK, Tensor, make_tensor, memory_root


class _OpType(type):
    """Gives every op class ``__slots__`` (empty unless it declares its own): an op is made per
    call, and an instance ``__dict__`` would cost time and memory on each."""

    def __new__(mcls, name: str, bases: tuple, namespace: dict, **kwargs: Any) -> type:
        namespace.setdefault("__slots__", ())
        return super().__new__(mcls, name, bases, namespace, **kwargs)


class Op(metaclass=_OpType):
    """One differentiable operation; subclasses define ``forward``, ``generate_adjoints``, ``jvp``.

    Class attributes say what to keep for the rules: ``save_inputs`` (input positions) and
    ``save_output``; the rules receive them, in that order, as ``*args``. ``frees`` names the
    op's own attributes that hold arrays for the rules (a dropout mask, a pooling's argmax):
    a backward that does not retain the graph drops them with what was saved. A ``linear``
    op's tangent is the op itself applied to the tangents.
    """

    __slots__ = (
        "edges",
        "saved",
        "out_data",
        "out_cell",
        "out_shape",
        "out_dtype",
        "stamp",
        "seq",
        "extras",
        "view_cell",
        "__weakref__",
    )

    save_inputs: ClassVar[tuple[int, ...]] = ()
    save_output: ClassVar[bool] = False
    # whether ``trimmed`` picks the saved inputs, dropping those no rule will need (read by
    # ``apply`` only, so for ops of two or more inputs: ``apply1`` keeps a one-input op's input)
    trims: ClassVar[bool] = False
    linear: ClassVar[bool] = False
    frees: ClassVar[tuple[str, ...]] = ()
    differentiable: ClassVar[bool] = True
    # the public name errors give the op (``floor_divide`` for FloorDivide): a class may set
    # its own, else it is the class name in snake case
    label: ClassVar[str] = "op"
    _param_slots: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        slots: list[str] = []
        for klass in reversed(cls.__mro__):
            if klass is Op or not issubclass(klass, Op):
                continue
            slots.extend(s for s in klass.__dict__.get("__slots__", ()) if s not in slots)
        cls._param_slots = tuple(slots)
        if "label" not in cls.__dict__:
            cls.label = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__.lstrip("_")).lower()
        save = cls.save_inputs
        if isinstance(save, tuple) and save == tuple(range(len(save))):
            # NOTE: one shared tuple per prefix, so that ``apply`` can tell by identity that
            # an op saves all of its inputs in order, and keep the inputs tuple itself
            cls.save_inputs = _PREFIXES.setdefault(len(save), save)

    # ---------------------------------------------------------------- the three rules
    def forward(self, *arrays: Any) -> ndarray:
        raise NotImplementedError

    def generate_adjoints(self, adjoints: list, delta: Any, *args: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no adjoint rule")

    def jvp(self, tangents: list, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no tangent rule")

    def trimmed(self, inputs: tuple) -> tuple:
        """What to save of ``inputs`` (for ops with ``trims``): the ``save_inputs`` ones, with
        None for those no rule will read given which inputs need grad, so that an in-place
        write to such an input raises nothing."""
        return tuple(inputs[i] for i in self.save_inputs)

    # ---------------------------------------------------------------- helpers for rules
    @property
    def needs_grad(self) -> tuple[bool, ...]:
        """For each input, whether its adjoint is wanted."""
        return tuple(e is not None for e in self.edges)

    def in_shape(self, i: int) -> tuple[int, ...]:
        """Shape of input ``i`` (only for inputs that need grad)."""
        parent = self.edges[i]
        return parent.out_shape if isinstance(parent, Op) else parent.data.shape

    def in_dtype(self, i: int) -> np.dtype:
        """dtype of input ``i`` (only for inputs that need grad)."""
        parent = self.edges[i]
        return parent.out_dtype if isinstance(parent, Op) else parent.data.dtype

    def zero_adjoint(self, i: int) -> ndarray:
        """The adjoint of input ``i`` for a derivative that is 0: zeros, never ``delta * 0``
        (an inf or NaN delta would give NaN)."""
        return np.zeros(self.in_shape(i), dtype=self.in_dtype(i))

    @property
    def released(self) -> bool:
        """Whether a backward freed what the op saved (``saved`` is None then)."""
        try:
            return self.saved is None
        except AttributeError:  # never recorded
            return True

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    # ---------------------------------------------------------------- non-leaf hooks
    def retain(self, tensor: Tensor) -> None:
        import weakref

        self._extras()["retained"] = weakref.ref(tensor)

    def retains(self, tensor: Tensor) -> bool:
        """Whether ``tensor`` asked this node (its node) to keep its gradient."""
        ref = self.extras.get("retained") if self.extras else None
        return ref is not None and ref() is tensor

    def hooks_list(self) -> list:
        return self._extras().setdefault("hooks", [])

    def _extras(self) -> dict:
        try:
            extras = self.extras
        except AttributeError:
            extras = None
        if extras is None:
            extras = self.extras = {}
        return extras

    # ---------------------------------------------------------------- application
    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op; record it when grad mode is on and an input requires grad.

        Returns a Tensor if any input is a Tensor, else the forward's result: with no Tensor
        among them (the path rules take, on the engine's own arrays) the inputs go to the
        forward unchecked, none of ``apply``'s refusals of a user's operands applied.
        """
        op = cls(**params)
        for x in inputs:
            if isinstance(x, Tensor):
                return apply(op, inputs)
        # (a rule's or tangent's own arrays: apply's checks of a user's operands have nothing
        # to find there, and cost 2-3 us a call)
        return op.forward(*inputs)

    def reapply(self, *inputs: Any) -> Any:
        """Apply a fresh op with this one's parameters to other inputs (for linear tangents)."""
        op = object.__new__(type(self))
        for s in self._param_slots:
            if hasattr(self, s):
                setattr(op, s, getattr(self, s))
        return apply(op, inputs)

    def saved_args(self, as_tensors: bool) -> list:
        """The saved values for the rules: ndarrays, or Tensors for a recorded rule."""
        saved = self.saved
        if as_tensors:
            args = list(saved)
            if self.save_output:
                out = make_tensor(self.out_data, self, True)
                # the real output's counter (made here if it has none yet: the output adopts it
                # when it needs one, see Tensor._cell), so that the rule's graph sees its writes
                cell = self.out_cell
                if cell is None:
                    cell = self.out_cell = [0, 0, 0, None]
                out._version = cell
                extras = self.extras
                if extras:
                    out._fw = extras.get("out_fw") or None  # (emptied when its levels ended)
                args.append(out)
        else:
            args = []
            for x in saved:
                args.append(x.data if isinstance(x, Tensor) else x)
            if self.save_output:
                args.append(self.out_data)
        return args


def _snapshot(x: ndarray) -> ndarray:
    """``x`` as it is now, safe from later writes into its memory: a copy; for a read-only
    view of memory smaller than itself (``np.broadcast_to`` of a buffer) a copy of that
    memory, viewed as ``x`` was (copying the broadcast itself could be huge)."""
    if x.flags.writeable:
        return x.copy()
    # (read-only memory too: it can be made writeable again, or written through a view taken
    # before it was frozen)
    root = memory_root(x)
    if root.nbytes >= x.nbytes or not root.flags.c_contiguous:
        return x.copy()
    offset = x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    view = ndarray(x.shape, x.dtype, buffer=root.copy(), offset=offset, strides=x.strides)
    view.flags.writeable = False
    return view


def apply(op: Op, inputs: tuple) -> Any:
    """The hot path: forward, then record the node and push tangents if needed.

    Written out flat (no helper calls on the common path; one, two and three Tensors have
    their own short paths, the forward called with its arguments spelled out): per-op overhead
    is what small tensors pay.
    """
    n = len(inputs)
    pair = triple = unchecked = huge = False  # two Tensors, three (a linear layer's x, w, b)
    if n == 1 and isinstance(inputs[0], Tensor):
        x = inputs[0]
        try:
            out = op.forward(x.data)
        except OverflowError as exc:  # a Python int that does not fit an integer array
            raise _out_of_range(op, exc) from None
        any_grad = x._requires_grad
        any_tangent = x._fw is not None
    elif n == 2 and isinstance(inputs[0], Tensor) and isinstance(inputs[1], Tensor):
        pair = True
        a, b = inputs
        try:
            out = op.forward(a.data, b.data)
        except OverflowError as exc:
            raise _out_of_range(op, exc) from None
        any_grad = a._requires_grad or b._requires_grad
        any_tangent = a._fw is not None or b._fw is not None
    elif (
        n == 3
        and isinstance(inputs[0], Tensor)
        and isinstance(inputs[1], Tensor)
        and isinstance(inputs[2], Tensor)
    ):
        triple = True
        a, b, c = inputs
        try:
            out = op.forward(a.data, b.data, c.data)
        except OverflowError as exc:
            raise _out_of_range(op, exc) from None
        any_grad = a._requires_grad or b._requires_grad or c._requires_grad
        any_tangent = a._fw is not None or b._fw is not None or c._fw is not None
    else:
        arrays = []
        edges = []  # (what the node would record, gathered in the same pass)
        any_tensor = any_grad = any_tangent = False
        for x in inputs:
            if isinstance(x, Tensor):
                any_tensor = True
                arrays.append(x.data)
                if x._requires_grad:
                    any_grad = True
                    node = x._node
                    edges.append(x if node is None else node)
                else:
                    edges.append(None)
                if x._fw is not None:
                    any_tangent = True
            else:
                arrays.append(x)
                edges.append(None)
                if type(x) not in _PLAIN:
                    unchecked = True
                elif type(x) is int and not _INT_MIN <= x <= _UINT_MAX:
                    huge = True  # (NumPy computes with it as a Python object, if nothing casts it)
        if unchecked:  # an ndarray or a list: refuse complex, object and string data by name
            check_operands(type(op), inputs)
            # lists become arrays, for the forward and for what the rules are saved; an
            # ndarray subclass is viewed as a plain ndarray (np.matrix's * is a matrix product;
            # asarray returns a plain ndarray itself)
            inputs = tuple(x if isinstance(x, _KEPT) else asarray(x) for x in inputs)
            arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        try:
            out = op.forward(*arrays) if n != 2 else op.forward(arrays[0], arrays[1])
        except OverflowError as exc:
            raise _out_of_range(op, exc, inputs) from None
        except TypeError:  # (a ufunc's loop over Python objects: exp of a Python int)
            if huge:
                _refuse_huge(op, inputs)
            raise
        if huge and asarray(out).dtype.kind == "O":  # (tensors hold no Python objects)
            _refuse_huge(op, inputs)
        if not any_tensor:
            return out
    if type(out) is not ndarray:
        out = asarray(out)
    t = _new_tensor(Tensor)
    t.data = out
    t._grad = t._node = t._name = t._fw = t._hooks = t._version = None
    if any_grad and op.differentiable and STATE.grad_enabled:
        # record: edges to the inputs' nodes (or leaves), what the rules need, versions
        # NOTE: an edge is the input's node, or the leaf itself; shapes are read from there
        # (node.out_shape, leaf.data.shape), so no per-edge tuples for the collector to track.
        # (a view used after a recorded write to its base is rebased: see check_view)
        if n == 1:
            node = x._node
            if node is not None and x._version is not None:
                node = check_view(x)
                any_tangent = x._fw is not None  # (a rebased view has its base's tangents)
            op.edges = (x if node is None else node,)
        elif pair or triple:
            # (a rebased view has its base's current tangents: read them after the rebase)
            if a._version is not None and a._node is not None:
                check_view(a)
                any_tangent = any_tangent or a._fw is not None
            if b._version is not None and b._node is not None:
                check_view(b)
                any_tangent = any_tangent or b._fw is not None
            if triple:
                if c._version is not None and c._node is not None:
                    check_view(c)
                    any_tangent = any_tangent or c._fw is not None
                op.edges = (
                    (a if a._node is None else a._node) if a._requires_grad else None,
                    (b if b._node is None else b._node) if b._requires_grad else None,
                    (c if c._node is None else c._node) if c._requires_grad else None,
                )
            else:
                op.edges = (
                    (a if a._node is None else a._node) if a._requires_grad else None,
                    (b if b._node is None else b._node) if b._requires_grad else None,
                )
        else:
            for i, x in enumerate(inputs):
                if isinstance(x, Tensor) and x._version is not None and x._node is not None:
                    edges[i] = check_view(x)
                    any_tangent = any_tangent or x._fw is not None
            op.edges = tuple(edges)
        op.out_shape = out.shape
        op.out_dtype = out.dtype
        op.extras = None
        if op.trims:
            op.saved = op.trimmed(inputs)
        else:
            save = op.save_inputs
            if save is _PREFIXES.get(n):
                op.saved = inputs  # all of them, in order
            else:
                op.saved = tuple(map(inputs.__getitem__, save)) if save else ()
        if unchecked:
            # NOTE: an ndarray operand is the caller's, who may write into it before the
            # backward (a reused batch buffer) with no version counter to tell: a copy is saved
            op.saved = tuple(_snapshot(x) if type(x) is ndarray else x for x in op.saved)
        op.stamp = WRITE_CLOCK[0]
        op.seq = next_seq()
        if op.save_output:
            op.out_data = out
            op.out_cell = None  # linked when the output's version cell is made (Tensor._cell)
        t._requires_grad = True
        t._node = op
        if RECORD_HOOKS:
            for hook in tuple(RECORD_HOOKS):  # (another thread may add or remove one)
                hook(op, inputs, t)
    else:
        t._requires_grad = False
    if any_tangent and op.differentiable:
        push_tangents(op, inputs, t)
        if t._fw is not None and t._node is op and op.save_output:
            # NOTE: a recorded rule that gets the saved output needs its tangent too
            # (forward over reverse); the node keeps the tangents, never the output tensor.
            op._extras()["out_fw"] = t._fw
    return t


def apply1(op: Op, x: Any) -> Any:
    """``apply`` for a one-input op, the most common kind in a long expression: the same steps,
    with no inputs tuple to make and unpack unless the op saves its input.

    NOTE: it repeats ``apply``'s tail (the Tensor, the record, the tangents) for one input on
    purpose: a call to a shared tail would cost more than the rest of this path does.
    """
    if not isinstance(x, Tensor):
        return apply(op, (x,))
    try:
        out = op.forward(x.data)
    except OverflowError as exc:  # a Python int that does not fit an integer array
        raise _out_of_range(op, exc) from None
    if type(out) is not ndarray:
        out = asarray(out)
    t = _new_tensor(Tensor)
    t.data = out
    t._grad = t._node = t._name = t._fw = t._hooks = t._version = None
    if x._requires_grad and op.differentiable and STATE.grad_enabled:
        node = x._node
        if node is not None and x._version is not None:
            node = check_view(x)
        op.edges = (x if node is None else node,)
        op.out_shape = out.shape
        op.out_dtype = out.dtype
        op.extras = None
        op.saved = (x,) if op.save_inputs else ()
        op.stamp = WRITE_CLOCK[0]
        op.seq = next_seq()
        if op.save_output:
            op.out_data = out
            op.out_cell = None
        t._requires_grad = True
        t._node = op
        if RECORD_HOOKS:
            for hook in tuple(RECORD_HOOKS):  # (another thread may add or remove one)
                hook(op, (x,), t)
    else:
        t._requires_grad = False
    if x._fw is not None and op.differentiable:
        push_tangents(op, (x,), t)
        if t._fw is not None and t._node is op and op.save_output:
            op._extras()["out_fw"] = t._fw
    return t


def mark_view(out: Tensor, base: Tensor, op: Op) -> Tensor:
    """Make ``out``, made from ``base`` by the view op ``op``, a view of it: it shares
    ``base``'s version cell and remembers ``(base, op, grad mode)``, so that after a recorded
    in-place write to the memory they share its graph can be derived again from ``base``'s.

    A recorded view's node remembers the cell, where ``check_view`` sees such a write; an
    unrecorded view (its base did not require grad, or under no_grad) is never checked by an
    op, so the cell keeps a weak reference to it for ``refresh_views``."""
    cell = out._version = base._cell()
    node = out._node
    if node is not None:
        out._base = (base, op, True)
        node.view_cell = cell
    else:
        out._base = (base, op, STATE.grad_enabled)
        # (also of a leaf that requires grad, under no_grad: frozen later, by requires_grad_
        # (False) or detach_(), it may be written by a recorded op)
        _watch(cell, out)
    return out


def check_view(x: Tensor) -> Op:
    """The node to record an op on ``x`` with (``x`` has a node and a version cell). A view
    whose base had a recorded in-place write after the view's node was recorded is rebased
    first: its graph describes the values from before the write (PyTorch does the same)."""
    node = x._node
    cell = x._version
    if getattr(node, "view_cell", None) is cell and cell[2] > node.stamp:
        return rebase(x)
    return node


def _stale(x: Tensor) -> bool:
    """Whether ``check_view`` would rebase ``x``."""
    node = x._node
    cell = x._version
    return (
        node is not None
        and cell is not None
        and getattr(node, "view_cell", None) is cell
        and cell[2] > node.stamp
    )


def refresh_view(x: Any) -> None:
    """Rebase ``x`` if it is a recorded view made stale by a recorded write to its base, so
    that its tangents (read outside an op: a transform's output) are its base's after the
    write. A view that cannot be rebased here (under no_grad) is left as it is."""
    if (
        isinstance(x, Tensor)
        and x._version is not None
        and x._node is not None
        and getattr(x, "_base", None) is not None
        and STATE.grad_enabled
        and not made_under_no_grad(x)
    ):
        check_view(x)  # (rebases it if stale)


def rebase(x: Tensor) -> Op:
    """Give the view ``x`` a node derived from its base's current graph: the view op applied
    again to the base (itself rebased first if it is a stale view, by ``apply``). The data
    already shares the base's memory, so only the graph and the tangents change; graphs
    recorded from the old node keep it, and stay right for the values they used."""
    view = getattr(x, "_base", None)
    if view is None:  # (``ops.shape.alias``: the same values, but no view to derive again)
        if _alias_current(x._node):
            return x._node  # (the write went into another tensor sharing the memory)
        raise RuntimeError(
            f"a tensor of shape {x.shape} that aliases another is used after an in-place "
            "write to that tensor was recorded: take the alias again after the write"
        )
    if made_under_no_grad(x):
        raise RuntimeError(
            f"a view (shape {x.shape}) made under no_grad is used in a recorded op after an "
            "in-place write to the tensor it views was recorded: the write's gradient cannot "
            "reach it. Take the view and make the write both inside no_grad or both outside "
            "(as PyTorch)"
        )
    base, op = view[0], view[1]
    if _stale(base):
        # (a chain of stale views of views: rebased from the outermost down, so that the
        # reapply below finds its base current, with no recursion through the chain)
        chain = [base]
        while (up := getattr(chain[-1], "_base", None)) is not None and _stale(up[0]):
            chain.append(up[0])
        for b in reversed(chain):
            check_view(b)
    new = op.reapply(base)
    node = new._node
    if node is None:  # (the base no longer requires grad: nothing to rebase onto, but a
        take_tangents(x, new._fw)  # forward-mode write into it brought tangents)
        return x._node
    node.view_cell = x._version
    follow_retained(x, x._node, node)
    if x._node is None:
        x._hooks = None  # (a leaf's hooks: see inplace._commit)
    x._node = node
    x._requires_grad = True
    take_tangents(x, new._fw)
    return node


# The stamp of the last recorded write into each tensor or into a view or alias of it
# (``root``): id -> (weak reference, stamp), the entry dropped with the tensor. (Keyed by id: a
# WeakKeyDictionary compares tensors with ==, which is elementwise.)
_ROOT_WRITES: dict[int, tuple[weakref.ref, int]] = {}


def note_root_write(t: Tensor, stamp: int) -> None:
    """Record a recorded write into ``t`` at ``stamp``, under ``t``'s root."""
    r = root(t)
    key = id(r)
    entry = _ROOT_WRITES.get(key)
    if entry is not None and entry[0]() is r:
        _ROOT_WRITES[key] = (entry[0], stamp)
        return

    def forget(ref: weakref.ref, key: int = key) -> None:
        if _ROOT_WRITES.get(key, (None,))[0] is ref:
            del _ROOT_WRITES[key]

    _ROOT_WRITES[key] = (weakref.ref(r, forget), stamp)


def _root_written(t: Tensor) -> int:
    """The stamp of the last recorded write under ``t``'s root (0 if none)."""
    r = root(t)
    entry = _ROOT_WRITES.get(id(r))
    return entry[1] if entry is not None and entry[0]() is r else 0


def root(t: Tensor) -> Tensor:
    """The tensor whose autograd identity ``t`` shares: the base of a view, the source of an
    alias (a transform's stand-in), followed to the end; a ``detach()`` is its own root."""
    while True:
        view = view_of(t)
        if view is not None:
            t = view[0]
            continue
        ref = getattr(t._node, "source", None)
        source = ref() if ref is not None else None
        if source is None:
            return t
        t = source


def _alias_current(node: Op) -> bool:
    """Whether an alias (``node`` is its Alias op) still describes its memory: its source has
    the graph it had then, and no recorded write since went into the source or a tensor of the
    same identity (a view or another alias of it: torch's stand-ins are views). A write into a
    ``detach()`` of it, a tensor of its own, leaves it so, as in torch."""
    ref = getattr(node, "source", None)
    source = ref() if ref is not None else None
    if source is None:
        return False
    live = source._live_node()
    if node.edges[0] is not (source if live is None else live):
        return False
    return _root_written(source) <= node.stamp


def follow_retained(t: Tensor, old: Op | None, new: Op) -> None:
    """``retain_grad`` follows ``t`` from its old node to its new one (as in PyTorch: ``.grad``
    is then the gradient of its new value)."""
    if old is not None and old.retains(t):
        del old.extras["retained"]
        new.retain(t)


def memory_owner(t: Tensor) -> Tensor | None:
    """The tensor whose memory ``t``'s version cell counts writes to: ``t`` itself, or the
    tensor its views share (None: no cell, or that tensor is gone)."""
    cell = t._version
    ref = cell[3] if cell is not None and len(cell) > 3 else None
    return None if ref is None else ref()


def view_of(t: Tensor) -> tuple | None:
    """``(base, op, made in grad mode)`` if ``t`` is a view (see ``mark_view``; a fourth entry
    once ``made_under_no_grad`` has answered for it), else None."""
    if t._version is None or memory_owner(t) is t:
        return None  # (no cell, or its own: the tensor whose memory the views share)
    return getattr(t, "_base", None)


def made_under_no_grad(t: Tensor) -> bool:
    """Whether the view ``t``, or a view it was taken from, was made under no_grad.

    The answer is kept as a fourth entry of each view's ``_base`` on the way (views of views
    may chain 100,000 deep: each is asked once, not once per view below it)."""
    chain = []  # the views passed without an answer, innermost first
    v = t
    while True:
        view = v._base
        if len(view) > 3:
            answer = view[3]
            break
        chain.append(v)
        if not view[2]:
            answer = True
            break
        if view_of(view[0]) is None:
            answer = False
            break
        v = view[0]
    for v in reversed(chain):  # (from the top down: a view's answer is its own or the above's)
        base, op, grad_mode = v._base
        answer = answer or not grad_mode
        v._base = (base, op, grad_mode, answer)
    return t._base[3]


def _watch(cell: list, view: Tensor) -> None:
    """Keep a weak reference to the unrecorded ``view`` in its version cell: ``cell[4]`` lists
    them, and once it reaches ``cell[5]`` entries the dead ones are dropped (amortised O(1))."""
    if len(cell) < 6:
        cell += [None] * (4 - len(cell)) + [[], 64]
    watched = cell[4]
    watched.append(weakref.ref(view))
    if len(watched) >= cell[5]:
        watched[:] = [r for r in watched if r() is not None]
        cell[5] = max(64, 2 * len(watched))


def refresh_views(cell: list, recorded: bool) -> None:
    """After an in-place write gave the tensor owning ``cell`` a new node (``recorded``) or new
    tangents, update its unrecorded views, which no op checks: rebase those made in grad mode
    onto the base's graph (they now require grad, as in PyTorch), give those made under
    no_grad a node that refuses to be recorded on (PyTorch raises too), and recompute the
    tangents of the others."""
    if len(cell) < 6 or not cell[4]:
        return
    kept = []
    for ref in cell[4]:
        v = ref()
        if v is None or v._node is not None:
            continue  # (dead, or recorded by now: check_view keeps it up to date)
        base, op = v._base[0], v._base[1]
        if recorded and base._requires_grad:
            if made_under_no_grad(v):
                _refuse(v, cell)
            else:
                rebase(v)
            continue
        v._fw = None
        if base._fw is not None:
            push_tangents(op, (base,), v)
        kept.append(ref)
    cell[4][:] = kept


_new_tensor = object.__new__
# A recorded node's ``seq``: its creation order, counting down. Every edge points at an older
# node, so popping the smallest ``seq`` first visits a node only after all of its consumers.
next_seq = itertools.count(-1, -1).__next__
_PREFIXES: dict[int, tuple[int, ...]] = {0: ()}  # (0, ..., n - 1) for each n, shared
_PLAIN = frozenset((float, int, bool))
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1  # (the Python ints an integer array can hold)
_KEPT = (Tensor, np.generic, float, int)  # operands forwards take as they are (bool is an int)


class NoGradView(Op):
    """The node of a view made under no_grad after a recorded in-place write to its base:
    recording an op on the view, or a backward from it, raises (its stamp is stale at once, so
    ``check_view`` refuses it before any rule could run: it has none)."""


def _refuse(v: Tensor, cell: list) -> None:
    node = NoGradView()
    node.edges = node.saved = ()
    node.out_shape, node.out_dtype = v.data.shape, v.data.dtype
    node.extras = None
    node.stamp = -1  # (stale at once: check_view calls rebase, which raises)
    node.seq = next_seq()
    node.view_cell = cell
    v._node = node
    v._requires_grad = True


def _refuse_huge(op: Op, inputs: tuple) -> NoReturn:
    big = next(x for x in inputs if type(x) is int and not _INT_MIN <= x <= _UINT_MAX)
    raise TypeError(
        f"{op.label}: the Python integer {big} fits no tensor dtype (int64, uint64): tensors "
        "hold bool, integer or floating data, not Python objects"
    )


def _out_of_range(op: Op, exc: OverflowError, operands: tuple = ()) -> ValueError:
    """``op``'s error for a Python int an integer operand's dtype cannot hold; one past int64 is
    named as NumPy names one past int8 (NumPy's own words there: "Python int too large to
    convert to C long")."""
    msg = str(exc)
    if "too large to convert" in msg:
        big = next((v for v in operands if type(v) is int), None)
        ints = [v.dtype for v in operands if isinstance(v, (Tensor, ndarray))]
        ints = [d for d in ints if d.kind in "iu"]
        if big is not None and ints:
            msg = f"Python integer {big} out of bounds for {np.result_type(*ints)}"
    return ValueError(f"{op.label}: {msg}")


# Functions called as ``hook(op, inputs, out)`` each time an op is recorded (``tg.viz.trace``,
# ``tg.detect_anomaly``): one list, so that recording tests one global when none is active.
RECORD_HOOKS: list = []


def call(cls: type[Op], *inputs: Any, **params: Any) -> Tensor:
    """Public entry: like ``cls.apply`` but always returns a Tensor."""
    out = apply(cls(**params), inputs)
    return out if isinstance(out, Tensor) else make_tensor(asarray(out))


def binary(cls: type[Op], a: Any, b: Any) -> Tensor:
    """Public entry for broadcasting binary ops: a shape mismatch names the op and both shapes."""
    try:
        out = apply(cls(), (a, b))
        return out if isinstance(out, Tensor) else make_tensor(asarray(out))
    except ValueError:
        broadcast_shapes(np.shape(_data(a)), np.shape(_data(b)), op=cls.label)
        raise


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def unary(cls: type[Op], name: str) -> Any:
    """The public function ``name(x)`` for a one-input op; its docstring is the op's."""

    def fn(x: Any) -> Tensor:
        out = apply1(cls(), x)
        return out if isinstance(out, Tensor) else make_tensor(asarray(out))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = cls.__doc__
    return fn
