"""Custom differentiable functions, as ``torch.autograd.Function``: a forward and a backward
written by the user, recorded as one node of the graph.

``forward(ctx, *args)`` runs on the arguments (Tensors and anything else) with grad mode off;
``backward(ctx, *grad_outputs)`` gets one gradient per output (Tensors) and returns one per
argument (None where there is none). With ``create_graph`` it runs with grad mode on, so a
backward written with tensorgrad's ops is itself differentiable, to any order. ``jvp(ctx,
*tangents)`` (optional) gives forward mode. The node saves what ``ctx.save_for_backward`` was
given, and a write into a saved input before the backward raises, as for any op.

Several outputs are one node too: the forward's differentiable outputs are packed into one flat
array (a copy), each returned output a slice of it, so the backward runs once with every
output's gradient (zeros for an unused one: gradients are always materialised).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad._shapes import unbroadcast
from tensorgrad.grad_mode import STATE, no_grad
from tensorgrad.ops._base import Op, apply
from tensorgrad.tensor import Tensor

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) leaves for ``backward``: saved tensors, any
    attributes the user sets, and ``needs_input_grad``."""

    def __init__(self, name: str, needs_input_grad: tuple[bool, ...]) -> None:
        self._name = name
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._saving_done = False
        self._non_differentiable: set[int] = set()
        self._materialize = True
        self._node: weakref.ref | None = None  # (weak: the node holds the ctx)

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (Tensors or None) for ``backward``, as ``saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"{self._name}: save_for_backward takes Tensors or None, got a "
                    f"{type(t).__name__} at position {i}"
                )
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``: an input as the input itself, an
        output connected to this node (so that a recorded backward can differentiate it)."""
        node = None if self._node is None else self._node()
        if node is None:
            return self._saved
        return node.saved_tensors()

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """These outputs get no gradient (as integer outputs never do)."""
        self._non_differentiable.update(id(t) for t in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for torch's API: gradients here are always materialised (zeros for an
        output the loss does not use)."""
        self._materialize = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        raise NotImplementedError(
            f"{self._name}: in-place custom functions (mark_dirty) are not supported"
        )


class _FunctionNode(Op):
    """The graph node of one ``Function.apply``: its inputs are the Tensor arguments."""

    __slots__ = (
        "fn",
        "ctx",
        "packing",
        "saved_kinds",
        "out_arrays",
        "call_saved",
        "call_out",
        "plain",
    )
    trims = True
    frees = ("saved_kinds", "ctx")
    label = "Function"

    def forward(self, *arrays):  # (the forward already ran: the packed outputs)
        return self.out_arrays

    def trimmed(self, inputs: tuple) -> tuple:
        """The saved tensors that are not outputs (inputs and intermediates)."""
        return tuple(t for kind, t in self.saved_kinds if kind == "tensor")

    def saved_tensors(self) -> tuple:
        """``ctx.saved_tensors`` as the running rule sees it: plain Tensors of the engine's
        arrays, or the engine's Tensors (an input as itself, the output connected to this node,
        tangents riding), as the engine hands a node's saved values to its rules."""
        if self.saved_kinds is None:
            raise RuntimeError(
                f"{self.fn.__name__}: its saved tensors were freed by a backward (use "
                "retain_graph=True to backward twice)"
            )
        given, plain = self.call_saved, self.plain
        out: list = []
        packed = None
        j = 0
        for kind, value in self.saved_kinds:
            if kind == "none":
                out.append(None)
            elif kind == "tensor":
                if given is not None:
                    value = given[j]
                j += 1
                out.append(_as_tensor(value, plain))
            else:  # ("output", k)
                if packed is None:
                    whole = self.out_data if self.call_out is None else self.call_out
                    packed = _as_tensor(whole, plain)
                out.append(_unpacked(packed, self.packing, value))
        return tuple(out)

    def _enter(self, saved: tuple, plain: bool, from_engine: bool) -> None:
        """Keep what the engine handed a rule, for ``saved_tensors`` while it runs."""
        n = sum(kind == "tensor" for kind, _ in self.saved_kinds)
        self.plain = plain
        self.call_saved = saved[:n] if from_engine else None
        self.call_out = saved[-1] if self.save_output and saved else None

    def _leave(self) -> None:
        self.call_saved = self.call_out = None
        self.plain = True

    def generate_adjoints(self, adjoints, delta, *saved):
        # (Tensors where tangents ride on the saved values, whatever the delta: forward over
        # reverse without create_graph hands an array delta with Tensor saved values)
        on_tensors = isinstance(delta, Tensor) or any(isinstance(x, Tensor) for x in saved)
        if on_tensors and not isinstance(delta, Tensor):
            delta = Tensor._make(delta)
        self._enter(saved, not on_tensors, True)
        try:
            self._adjoints(adjoints, delta)
        finally:
            self._leave()

    def _adjoints(self, adjoints, delta):
        fn = self.fn
        grads = _split(delta if isinstance(delta, Tensor) else Tensor._make(delta), self.packing)
        result = fn.backward(self.ctx, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        positions = self.packing["tensor_positions"]
        if len(result) != self.packing["n_args"]:
            raise RuntimeError(
                f"{fn.__name__}.backward returned {len(result)} gradients, expected "
                f"{self.packing['n_args']} (one per argument of forward)"
            )
        as_tensors = isinstance(delta, Tensor)
        for k, i in enumerate(positions):
            g = result[i]
            if g is None or self.edges[k] is None:
                continue
            if not isinstance(g, Tensor):
                g = Tensor(np.asarray(g))
            shape = self.packing["input_shapes"][k][0]
            if g.shape != shape:  # (a broadcast gradient is summed back, as torch's sum_to)
                if not _broadcasts_to(shape, g.shape):
                    raise RuntimeError(
                        f"{fn.__name__}.backward returned a gradient of shape {g.shape} for "
                        f"argument {i}, of shape {shape}"
                    )
                g = unbroadcast(g, shape)
            adjoints[k] = g if as_tensors else g.data

    def jvp(self, tangents, *saved):
        plain = all(t is None or type(t) is np.ndarray for t in tangents)
        self._enter(saved, plain, False)
        try:
            return self._tangent(tangents)
        finally:
            self._leave()

    def _tangent(self, tangents):
        fn = self.fn
        if not _overrides(fn, "jvp"):
            raise RuntimeError(
                f"{fn.__name__}: forward mode needs a jvp(ctx, *tangents) staticmethod"
            )
        packing = self.packing
        per_arg: list = [None] * packing["n_args"]
        for t, i, (shape, dtype) in zip(
            tangents, packing["tensor_positions"], packing["input_shapes"]
        ):
            if t is None:  # (materialised, as gradients are)
                t = np.zeros(shape, dtype)
            per_arg[i] = t if isinstance(t, Tensor) else Tensor._make(t)
        result = fn.jvp(self.ctx, *per_arg)
        outs = result if isinstance(result, tuple) else (result,)
        chosen = []
        for k in packing["differentiable"]:
            o = outs[k] if k < len(outs) else None
            if o is None:
                shape, dtype = packing["shapes"][len(chosen)], packing["dtypes"][len(chosen)]
                o = np.zeros(shape, dtype)
            chosen.append(o if isinstance(o, Tensor) else Tensor(np.asarray(o)))
        return _pack(chosen, packing, tangent=True)


def _broadcasts_to(shape: tuple, big: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``big`` (so that ``big`` sums back to it)."""
    try:
        return np.broadcast_shapes(shape, big) == big
    except ValueError:
        return False


def _as_tensor(value: Any, plain: bool) -> Tensor:
    """A saved value for the user's rule: an array as a plain Tensor; a Tensor as itself, or
    (``plain``: the engine computes on arrays) its values alone, without graph or tangents."""
    if isinstance(value, Tensor):
        return Tensor._make(value.data) if plain else value
    return Tensor._make(value)


def _overrides(fn: type, name: str) -> bool:
    return getattr(fn, name) is not getattr(Function, name)


def _split(packed: Tensor, packing: dict) -> list[Tensor]:
    """The per-output gradients (or values) in the packed array, reshaped."""
    return [_unpacked(packed, packing, k) for k in range(len(packing["shapes"]))]


def _unpacked(packed: Tensor, packing: dict, k: int) -> Tensor:
    if packing["single"]:
        return packed
    start, stop = packing["bounds"][k]
    part = packed[start:stop].reshape(packing["shapes"][k])
    dtype = packing["dtypes"][k]
    return part if part.dtype == dtype else part.astype(dtype)


def _pack(outputs: list[Tensor], packing: dict, tangent: bool = False) -> Any:
    """The differentiable outputs as one array (one output as itself); their tangents as one
    Tensor, recorded or carrying lower-level tangents as the rule's results do."""
    if packing["single"]:
        return outputs[0] if tangent else outputs[0].data
    dtype = packing["packed_dtype"]
    if tangent:
        from tensorgrad.ops.shape import concatenate

        return concatenate([o.astype(dtype).reshape(-1) for o in outputs])
    return np.concatenate([o.data.astype(dtype, copy=False).reshape(-1) for o in outputs])


class Function:
    """Subclass with staticmethods ``forward(ctx, *args)`` (or ``forward(*args)`` with
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grad_outputs)``, and call
    ``apply(*args)``."""

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward")

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            f"{type(self).__name__}: call {type(self).__name__}.apply(...), a Function is not "
            "instantiated (torch's legacy style)"
        )

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` and record one node whose rule is ``backward``."""
        name = cls.__name__
        if not _overrides(cls, "forward"):
            raise NotImplementedError(f"{name} must define forward")
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        recording = STATE.grad_enabled
        needs = tuple(isinstance(a, Tensor) and a.requires_grad and recording for a in args)
        ctx = FunctionCtx(name, needs)
        separate = _overrides(cls, "setup_context")
        with no_grad():
            output = cls.forward(*args) if separate else cls.forward(ctx, *args)
            if separate:
                cls.setup_context(ctx, args, output)
        outs = output if isinstance(output, tuple) else (output,)
        differentiable = [
            k
            for k, o in enumerate(outs)
            if isinstance(o, Tensor)
            and o.dtype.kind == "f"
            and id(o) not in ctx._non_differentiable
        ]
        tracked = any(needs) or any(isinstance(a, Tensor) and a._fw is not None for a in args)
        if not positions or not differentiable or not tracked:
            return output  # (nothing to differentiate: the forward's own tensors)
        if not _overrides(cls, "backward"):
            raise NotImplementedError(f"{name} must define backward")
        chosen = [outs[k] for k in differentiable]
        packing = _packing(chosen, args, positions, differentiable)
        kinds = _saved_kinds(ctx, chosen)
        saves_output = any(kind == "output" for kind, _ in kinds)
        node = _node_type(cls, saves_output)()
        node.fn, node.ctx, node.packing, node.saved_kinds = cls, ctx, packing, kinds
        node.out_arrays = _pack(chosen, packing)
        # (a jvp runs inside apply, before apply records the output: its values meanwhile)
        node.out_data = node.out_arrays
        node.call_saved = node.call_out = None
        node.plain = True
        ctx._node = weakref.ref(node)
        packed = apply(node, tuple(args[i] for i in positions))
        node.out_arrays = None
        results = list(outs)
        for k, value in zip(differentiable, _split(packed, packing)):
            results[k] = value
        return tuple(results) if isinstance(output, tuple) else results[0]


def _node_type(fn: type, saves_output: bool) -> type:
    """The node class of ``fn``'s applications, named as torch's (``MyExpBackward``), so that
    ``grad_fn`` and errors name the function; one that saves its output (the engine then keeps
    it, checks its version and hands it to the rules) if ``saves_output``."""
    made = fn.__dict__.get("_tg_node_types")
    if made is None:
        name, label = f"{fn.__name__}Backward", fn.__name__
        made = (
            type(name, (_FunctionNode,), {"label": label}),
            type(name, (_FunctionNode,), {"label": label, "save_output": True}),
        )
        fn._tg_node_types = made
    return made[saves_output]


def _packing(chosen: list[Tensor], args: tuple, positions: tuple, differentiable: list) -> dict:
    shapes = [o.shape for o in chosen]
    sizes = [int(np.prod(s)) for s in shapes]
    bounds, start = [], 0
    for n in sizes:
        bounds.append((start, start + n))
        start += n
    return {
        "single": len(chosen) == 1,
        "shapes": shapes,
        "dtypes": [o.dtype for o in chosen],
        "packed_dtype": np.result_type(*[o.dtype for o in chosen]),
        "bounds": bounds,
        "n_args": len(args),
        "differentiable": differentiable,
        "tensor_positions": positions,
        "input_shapes": [(args[i].shape, args[i].dtype) for i in positions],
    }


def _saved_kinds(ctx: FunctionCtx, chosen: list[Tensor]) -> tuple:
    """For each saved tensor: ("none", None), ("output", k) or ("tensor", t)."""
    outputs = {id(o): k for k, o in enumerate(chosen)}
    kinds = []
    for t in ctx._saved:
        if t is None:
            kinds.append(("none", None))
        elif id(t) in outputs:
            kinds.append(("output", outputs[id(t)]))
        else:
            kinds.append(("tensor", t))
    ctx._saved = ()  # (the node keeps them, so that a backward can free them)
    return tuple(kinds)


class _Once(Op):
    """A once-differentiable backward's result: differentiating it again raises."""

    __slots__ = ("name",)
    label = "once_differentiable"

    def forward(self, *arrays):
        return arrays[0]

    def generate_adjoints(self, adjoints, delta, *saved):
        raise RuntimeError(
            f"{self.name}: its backward is marked once_differentiable, and cannot be "
            "differentiated again"
        )

    def jvp(self, tangents, *saved):
        return self.generate_adjoints(None, None)


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a ``backward`` as not differentiable: it runs with grad mode off, and a second
    derivative through it raises (torch's decorator)."""

    @functools.wraps(backward)
    def wrapped(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            result = backward(ctx, *grads)
        if not STATE.grad_enabled:
            return result
        sources = [g for g in grads if isinstance(g, Tensor) and g.requires_grad]
        if not sources:
            return result
        single = not isinstance(result, tuple)
        items = (result,) if single else result
        marked = []
        for r in items:
            if isinstance(r, Tensor):
                op = _Once()
                op.name = getattr(ctx, "_name", "Function")
                r = apply(op, (r, *sources))
            marked.append(r)
        return marked[0] if single else tuple(marked)

    return wrapped
