"""torch.autograd.functional's API: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.

Each takes the function and its inputs (a Tensor or a tuple of Tensors) and returns the
derivatives, shaped as torch's (a Tensor per input for a tuple of inputs, a tuple per output for
a tuple of outputs), computed by tensorgrad's transforms (``tg.jacrev``, ``tg.jacfwd``,
``tg.jvp``, ``tg.hvp``) or by ``tg.autograd.grad``. Results are detached unless
``create_graph``; ``strict`` refuses an output independent of an input (a zero derivative
found from the graph, not from the values), as torch's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad.grad_mode import enable_grad
from tensorgrad.tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]

_STRATEGIES = ("reverse-mode", "forward-mode")


def _as_tuple(x: Any, what: str, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``x`` was a tuple, its Tensors): a Tensor (or an ndarray) or a tuple of them."""
    tupled = isinstance(x, tuple)
    items = x if tupled else (x,)
    out = []
    for i, t in enumerate(items):
        if isinstance(t, np.ndarray):
            t = Tensor(t)
        if not isinstance(t, Tensor):
            got = f"{what}[{i}] a {type(t).__name__}" if tupled else type(t).__name__
            raise TypeError(f"{fn}: {what} must be a Tensor or a tuple of Tensors, got {got}")
        out.append(t)
    return tupled, tuple(out)


def _inputs(inputs: Any, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    """``_as_tuple`` of the inputs, each checked to be floating."""
    tupled, ins = _as_tuple(inputs, "inputs", fn)
    for i, t in enumerate(ins):
        if t.dtype.kind != "f":
            raise TypeError(
                f"{fn}: inputs[{i}] has dtype {t.dtype}; only floating-point inputs can be "
                "differentiated"
            )
    return tupled, ins


def _arguments(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """What a transform is called with: the inputs, detached unless ``create_graph`` (so
    that no graph is recorded for results that are detached anyway)."""
    return inputs if create_graph else tuple(t.detach() for t in inputs)


def _leaves(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """The tensors to differentiate with respect to: the inputs themselves with
    ``create_graph`` (so that the results' graphs reach theirs), else fresh leaves."""
    if create_graph:
        return tuple(t if t.requires_grad else t.detach().requires_grad_() for t in inputs)
    return tuple(t.detach().requires_grad_() for t in inputs)


def _outputs(out: Any, fn: str) -> tuple[bool, tuple[Tensor, ...]]:
    tupled = isinstance(out, tuple)
    items = out if tupled else (out,)
    if not all(isinstance(t, Tensor) for t in items):
        got = type(out).__name__ if not tupled else "a tuple holding other objects"
        raise TypeError(f"{fn}: the function must return a Tensor or a tuple of Tensors, got {got}")
    return tupled, items


def _done(tree: Any, create_graph: bool) -> Any:
    """``tree``'s Tensors detached unless ``create_graph``."""
    if isinstance(tree, tuple):
        return tuple(_done(t, create_graph) for t in tree)
    return tree if create_graph or tree is None else tree.detach()


def _independent(fn: str, j: int, i: int | None = None) -> RuntimeError:
    which = "the output" if i is None else f"output {i}"
    return RuntimeError(
        f"{fn}: {which} of the function is independent of input {j}; strict=True refuses "
        "a derivative that is zero because no computation links them"
    )


def _check_linked(func: Callable[..., Any], inputs: tuple[Tensor, ...], fn: str) -> None:
    """``strict``: every output computed from every input (found on the recorded graph)."""
    from tensorgrad.autograd import grad

    leaves = _leaves(inputs, False)
    with enable_grad():
        _, outs = _outputs(func(*leaves), fn)
        for i, out in enumerate(outs):
            if not out.requires_grad:
                raise RuntimeError(
                    f"{fn}: output {i} of the function does not require grad: strict=True "
                    "needs every output computed from the inputs"
                )
            found = grad(out.sum(), leaves, retain_graph=True, allow_unused=True)
            for j, g in enumerate(found):
                if g is None:
                    raise _independent(fn, j, i if len(outs) > 1 else None)


def _vector(v: Any, like: tuple[Tensor, ...], tupled: bool, fn: str, of: str) -> list[Tensor]:
    """``v`` checked against ``like`` (the outputs for vjp, the inputs for jvp; ``of`` names
    them): as many, of their shapes; None only for one one-element Tensor (then 1)."""
    if v is None:
        if tupled or like[0].size != 1:
            raise ValueError(
                f"{fn}: v may be None only when the function has one {of} of one element, got "
                f"{len(like)} {of}(s) of shapes {[t.shape for t in like]}"
            )
        return [Tensor(np.ones(like[0].shape, like[0].dtype))]
    v_tupled, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like) or v_tupled != tupled:
        want = f"a tuple of {len(like)}" if tupled else "one Tensor"
        got = f"a tuple of {len(vs)}" if v_tupled else "one Tensor"
        raise ValueError(f"{fn}: v must be shaped as the function's {of}s: {want}, got {got}")
    for k, (a, t) in enumerate(zip(vs, like)):
        if a.shape != t.shape:
            name, which = (f"v[{k}]", f"{of} {k}") if tupled else ("v", f"the {of}")
            raise ValueError(f"{fn}: {name} has shape {a.shape}, {which} has shape {t.shape}")
    return list(vs)


def _one_element(out: Any, fn: str) -> Tensor:
    if not isinstance(out, Tensor) or out.size != 1:
        got = f"shape {out.shape}" if isinstance(out, Tensor) else type(out).__name__
        raise TypeError(f"{fn}: the function must return a one-element Tensor, got {got}")
    return out.reshape(())


def _check_strategy(strategy: str, strict: bool, fn: str, name: str) -> None:
    if strategy not in _STRATEGIES:
        raise ValueError(f"{fn}: {name} must be 'reverse-mode' or 'forward-mode', got {strategy!r}")
    if strict and strategy == "forward-mode":
        raise ValueError(f"{fn}: strict=True needs {name}='reverse-mode' (as torch's)")


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a Tensor of shape
    ``out_i.shape + in_j.shape`` (a tuple over inputs for a tuple of inputs, inside a tuple over
    outputs for a tuple of outputs). ``strategy`` picks ``tg.jacrev`` or ``tg.jacfwd``;
    ``vectorize`` is accepted for torch's signature (both are vectorised already)."""
    from tensorgrad.transforms import jacfwd, jacrev

    _check_strategy(strategy, strict, "jacobian", "strategy")
    tupled, ins = _inputs(inputs, "jacobian")
    if strict:
        _check_linked(func, ins, "jacobian")

    outs_tupled: list[bool] = []

    def checked(*args: Tensor) -> Any:
        out = func(*args)
        outs_tupled.append(_outputs(out, "jacobian")[0])
        return out

    transform = jacrev if strategy == "reverse-mode" else jacfwd
    args = _arguments(ins, create_graph)
    found = transform(checked, argnums=tuple(range(len(ins))))(*args)
    if not tupled:  # (one input: its Jacobian itself, per output)
        found = tuple(f[0] for f in found) if outs_tupled[0] else found[0]
    return _done(found, create_graph)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of ``func`` (one-element output) at ``inputs``: for inputs i and j a Tensor
    of shape ``in_i.shape + in_j.shape`` (nested tuples for a tuple of inputs), the gradient by
    reverse mode, its Jacobian by ``outer_jacobian_strategy``."""
    from tensorgrad.transforms import grad, jacfwd, jacrev

    _check_strategy(outer_jacobian_strategy, strict, "hessian", "outer_jacobian_strategy")
    tupled, ins = _inputs(inputs, "hessian")
    argnums = tuple(range(len(ins)))

    def scalar(*args: Tensor) -> Tensor:
        return _one_element(func(*args), "hessian")

    if strict:
        _check_curved(scalar, ins, "hessian")
    outer = jacrev if outer_jacobian_strategy == "reverse-mode" else jacfwd
    args = _arguments(ins, create_graph)
    found = outer(grad(scalar, argnums=argnums), argnums=argnums)(*args)
    return _done(found if tupled else found[0][0], create_graph)


def _check_curved(scalar: Callable[..., Tensor], inputs: tuple[Tensor, ...], fn: str) -> None:
    """``strict`` for second derivatives: each input's gradient computed from the inputs."""
    from tensorgrad.autograd import grad

    leaves = _leaves(inputs, False)
    with enable_grad():
        out = scalar(*leaves)
        found = (
            grad(out, leaves, create_graph=True, allow_unused=True)
            if out.requires_grad
            else (None,) * len(leaves)
        )
    for j, g in enumerate(found):
        if g is None or not g.requires_grad:
            raise RuntimeError(
                f"{fn}: the gradient with respect to input {j} is independent of the inputs "
                "(the function is independent of it, or linear in the inputs); strict=True "
                "refuses it"
            )


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product, shaped as the inputs (``v`` as
    the outputs; None for one one-element output)."""
    from tensorgrad.autograd import grad

    tupled, ins = _inputs(inputs, "vjp")
    leaves = _leaves(ins, create_graph)
    with enable_grad():
        out_tupled, outs = _outputs(func(*leaves), "vjp")
        vs = _vector(v, outs, out_tupled, "vjp", "output")
        linked = [(o, w) for o, w in zip(outs, vs) if o.requires_grad]
        found: tuple = (None,) * len(leaves)
        if linked:
            found = grad(
                [o for o, _ in linked],
                leaves,
                [w for _, w in linked],
                create_graph=create_graph,
                allow_unused=True,
            )
    result = []
    for j, (g, t) in enumerate(zip(found, ins)):
        if g is None:
            if strict:
                raise _independent("vjp", j)
            g = Tensor(np.zeros(t.shape, t.dtype))
        result.append(g)
    return _done(_shaped(outs, out_tupled), create_graph), _done(
        _shaped(result, tupled), create_graph
    )


def _shaped(items: Any, tupled: bool) -> Any:
    return tuple(items) if tupled else items[0]


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product by forward mode, shaped as the
    outputs (``v`` as the inputs; None for one one-element input)."""
    from tensorgrad.transforms import jvp as forward

    tupled, ins = _inputs(inputs, "jvp")
    vs = _vector(v, ins, tupled, "jvp", "input")
    if strict:
        _check_linked(func, ins, "jvp")
    args = _arguments(ins, create_graph)
    out, tangent = forward(lambda *a: _checked_outputs(func(*a), "jvp"), args, vs)
    return _done(out, create_graph), _done(tangent, create_graph)


def _checked_outputs(out: Any, fn: str) -> Any:
    _outputs(out, fn)
    return out


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Tensor, Any]:
    """``(func(*inputs), H v)`` for a one-element ``func``: forward over reverse mode (``tg.hvp``),
    shaped as the inputs, as ``v`` is (None for one one-element input)."""
    from tensorgrad.transforms import hvp as forward_over_reverse

    tupled, ins = _inputs(inputs, "hvp")
    vs = _vector(v, ins, tupled, "hvp", "input")

    given: list[Tensor] = []

    def scalar(*args: Tensor) -> Tensor:
        out = func(*args)
        given.append(out)
        return _one_element(out, "hvp")

    if strict:
        _check_curved(scalar, ins, "hvp")
    args = _arguments(ins, create_graph)
    _, found = forward_over_reverse(scalar, args, vs)
    return _done(given[-1], create_graph), _done(_shaped(found, tupled), create_graph)


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Tensor, Any]:
    """``(func(*inputs), v^T H)`` for a one-element ``func``: reverse over reverse mode (the
    gradient of ``g . v``, g the gradient), shaped as the inputs, as ``v`` is."""
    from tensorgrad.autograd import grad

    tupled, ins = _inputs(inputs, "vhp")
    vs = _vector(v, ins, tupled, "vhp", "input")

    def scalar(*args: Tensor) -> Tensor:
        return _one_element(func(*args), "vhp")

    if strict:
        _check_curved(scalar, ins, "vhp")
    leaves = _leaves(ins, create_graph)
    with enable_grad():
        given = func(*leaves)
        value = _one_element(given, "vhp")
        result = [Tensor(np.zeros(t.shape, t.dtype)) for t in ins]
        if value.requires_grad:
            gs = grad(value, leaves, create_graph=True, allow_unused=True)
            terms = [(g * w).sum() for g, w in zip(gs, vs) if g is not None and g.requires_grad]
            if terms:
                total = terms[0]
                for term in terms[1:]:
                    total = total + term
                found = grad(total, leaves, create_graph=create_graph, allow_unused=True)
                result = [r if g is None else g for r, g in zip(result, found)]
    return _done(given, create_graph), _done(_shaped(result, tupled), create_graph)
