"""The one path for in-place parameter writes (optimizers, ``nn.init``, ``load_state_dict``,
running statistics): copy into the existing array, record nothing, bump the version counter.

Ops that saved the tensor before such a write then refuse to backward through it (the version
check), exactly as for any other in-place change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tensorgrad._shapes import broadcasts_to
from tensorgrad.ops._base import view_of
from tensorgrad.tensor import Tensor, bump_version, memory_root


def _array(target: Any) -> np.ndarray:
    return target.data if isinstance(target, Tensor) else target


def grad_array(p: Tensor, where: str) -> np.ndarray:
    """``p.grad``'s array, checked before anything is written (a ``.data`` set by hand can be
    anything): an ndarray of ``p``'s shape and a floating dtype (as torch, not cast), else a
    TypeError or ValueError naming ``where``."""
    grad = p.grad.data
    if isinstance(grad, np.generic):  # (a 0-d one's arithmetic, set by hand)
        grad = np.asarray(grad)
    if not isinstance(grad, np.ndarray):
        raise TypeError(f"{where}: a gradient's data must be an ndarray, got {type(grad).__name__}")
    if grad.shape != p.shape:
        raise ValueError(
            f"{where}: gradient of shape {grad.shape} for a parameter of shape {p.shape}"
        )
    if grad.dtype.kind != "f":
        raise TypeError(
            f"{where}: gradient of dtype {grad.dtype} for a parameter of dtype {p.dtype}"
        )
    return grad


def check(target: Any, value: Any, what: str = "value") -> np.ndarray:
    """``value`` as an array that can be copied into ``target`` (same shape), or ValueError."""
    data = _array(target)
    new = np.asarray(value.data if isinstance(value, Tensor) else value)
    if not broadcasts_to(new.shape, data.shape):
        raise ValueError(f"{what}: expected shape {data.shape}, got {new.shape}")
    return new


def assign(target: Any, value: Any) -> None:
    """Write ``value`` into ``target``'s array in place (cast to its dtype), without recording."""
    data = _array(target)
    np.copyto(data, check(target, value), casting="unsafe")
    if isinstance(target, Tensor):
        bump_version(target)


def zero_grads(params: Iterable[Tensor], set_to_none: bool) -> None:
    """Reset each parameter's ``.grad``: to None, or (``set_to_none=False``) to zeros in the
    same tensor, as torch's ``zero_()``, so that a reference to it sees the zeros."""
    for p in params:
        g = p.grad
        if set_to_none or g is None:
            p.grad = None
            continue
        # as torch's: a gradient with a graph (create_graph) is detached in place, one that
        # requires grad stops requiring it, and then the same tensor is zeroed; a view with a
        # graph (torch refuses to detach it) or a read-only array is left as it is, and new
        # zeros take its place
        if not g.data.flags.writeable or (g._node is not None and view_of(g) is not None):
            p.grad = Tensor._make(np.zeros_like(p.data))
            continue
        if g._node is not None:
            g.detach_()
        elif g._requires_grad:
            g.requires_grad_(False)
        assign(g, 0)


def assign_all(pairs: Iterable[tuple[Any, Any]], then: Callable[[], Any] | None = None) -> None:
    """Check every ``(target, value)`` pair first, then write them all and run ``then`` (an
    optimizer's commit of its state): all or nothing. A value sharing memory with any target is
    copied first (a state dict of the module's own arrays, two layers' weights swapped: the
    first write would change the second value).

    A KeyboardInterrupt (a notebook's interrupt) that arrives during the writes is raised once
    they and ``then`` are finished: it arrives between two Python steps, and the write it
    interrupted is done again (a copy and a version bump: harmless twice; ``then`` too)."""
    checked = [(t, check(t, v)) for t, v in pairs]
    for t, _ in checked:
        if not _array(t).flags.writeable:
            raise ValueError(f"cannot write into a read-only array of shape {_array(t).shape}")
    owners = {_owner(_array(t)) for t, _ in checked}
    checked = [(t, v.copy() if _owner(v) in owners else v) for t, v in checked]
    done = 0
    try:
        for t, v in checked:
            assign(t, v)
            done += 1
        if then is not None:
            then()
    except KeyboardInterrupt:
        for t, v in checked[done:]:
            assign(t, v)
        if then is not None:
            then()
        raise


def _owner(a: np.ndarray) -> int:
    """The identity of the object that owns ``a``'s memory (an array's, or the buffer under
    it: views of one array, or arrays over one buffer, share it)."""
    root = memory_root(a)
    return id(root if root.base is None else root.base)
