"""In-place operations: ``t += v``, ``t -= v``, ``t *= v``, ``t /= v``, ``t **= v``,
``t[index] = v``, and the internal unrecorded write that optimizers, ``nn.init`` and
``load_state_dict`` use.

Every in-place write bumps the tensor's version counter (shared with its views), so an op that
saved the old values raises in backward instead of returning a wrong gradient. On a leaf that
requires grad, in-place ops raise at once outside ``no_grad``. On a non-leaf (or when ``v``
requires grad) the write is recorded as an op whose input is a snapshot of the old values, and
the tensor's ``grad_fn`` becomes that op, so gradients stay right (as in PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import Op, call
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
            keep = np.ones(self.in_shape(0), dtype=bool)
            keep[self.index] = False
            adjoints[0] = delta * keep
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(delta[self.index], self.in_shape(1))


def _check_target(t: Tensor, what: str) -> bool:
    """Whether the write must be recorded; raises for the writes PyTorch refuses."""
    if not STATE.grad_enabled:
        return False
    if t._requires_grad and t._node is None:
        raise RuntimeError(
            f"{what}: a leaf tensor of shape {t.shape} that requires grad is being used in an "
            "in-place operation (wrap it in tg.no_grad() if you mean to change its values)"
        )
    cell = t._version
    if not t._requires_grad and cell is not None and len(cell) > 3:
        # a view made under no_grad of a leaf that requires grad: writing it changes the leaf
        # (a detached tensor shares the leaf's very array and may be written, as in torch)
        base = cell[3]()
        if (
            base is not None
            and base.data is not t.data
            and base._requires_grad
            and base._node is None
        ):
            raise RuntimeError(
                f"{what}: a view (shape {t.shape}) of a leaf tensor that requires grad, made "
                "under no_grad, is being used in an in-place operation (wrap it in "
                "tg.no_grad() if you mean to change the leaf's values)"
            )
    return t._requires_grad


def _is_view(t: Tensor) -> bool:
    return t.data.base is not None


def _view_write(what: str, t: Tensor) -> RuntimeError:
    # NOTE: a recorded write into a view would give the view a new graph node but leave the
    # tensor it views without one: its values would change and its gradient would miss the
    # write (PyTorch records the write on the base too; tensorgrad does not yet).
    return RuntimeError(
        f"{what}: an in-place write that must be recorded (the tensor or the value requires "
        f"grad) into a view (shape {t.shape}) is not supported; write into the tensor it "
        "views, or build the result out of place"
    )


def _commit(t: Tensor, new: Tensor, what: str) -> Tensor:
    """Write ``new`` into ``t``'s memory and make ``t`` the output of ``new``'s op."""
    try:
        t.data[...] = new.data
    except ValueError as exc:
        raise ValueError(f"{what}: cannot write into a tensor of shape {t.shape}: {exc}") from None
    bump_version(t)
    if new._node is not None:
        t._version[2] = WRITE_CLOCK[0]  # a recorded write: views taken before it are stale
        old = t._node
        t._node = new._node
        t._requires_grad = True
        extras = old.extras if old is not None else None
        ref = extras.get("retained") if extras else None
        if ref is not None and ref() is t:  # retain_grad follows the tensor to its new value
            del extras["retained"]
            new._node.retain(t)
    t._fw = new._fw
    return t


def _snapshot(t: Tensor) -> Tensor:
    """The current values of ``t`` under its current graph node, as a separate tensor."""
    old = Tensor._make(t.data.copy(), t._node, t._requires_grad)
    old._fw = t._fw
    return old


def inplace_binary(t: Tensor, v: Any, fn: Callable[[Any, Any], Tensor], what: str) -> Tensor:
    """``t op= v`` for a binary tensorgrad function ``fn``."""
    v_grad = isinstance(v, Tensor) and v._requires_grad
    record = _check_target(t, what) or (STATE.grad_enabled and v_grad)
    if record and _is_view(t):
        raise _view_write(what, t)
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
    return _commit(t, new, what)


def setitem(t: Tensor, index: Any, v: Any) -> None:
    """``t[index] = v``."""
    idx, _ = normalize_index(index)
    if isinstance(v, Tensor) and t.data.dtype.kind != "f":
        v = v.data  # (cast into an int or bool tensor: no gradient or tangent flows, as torch)
    v_grad = isinstance(v, Tensor) and v._requires_grad
    record = _check_target(t, "setitem") or (STATE.grad_enabled and v_grad)
    if record and _is_view(t):
        raise _view_write("setitem", t)
    has_fw = t._fw is not None or (isinstance(v, Tensor) and v._fw is not None)
    if not record and not has_fw:
        vd = v.data if isinstance(v, Tensor) else v
        try:
            t.data[idx] = vd
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"setitem: {exc} (tensor of shape {t.shape})") from None
        bump_version(t)
        return
    if v_grad and v.dtype != t.dtype:
        v = v.astype(t.dtype)
    try:
        new = call(SetItem, _snapshot(t), v, index=idx)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"setitem: {exc} (tensor of shape {t.shape})") from None
    _commit(t, new, "setitem")
