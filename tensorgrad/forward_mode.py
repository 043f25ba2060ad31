"""Forward mode: tangents ride on tensors and are pushed through each op's tangent rule.

A tensor's ``_fw`` maps a level (one per active ``jvp``) to its tangent Tensor. While the
tangent of level L is computed, levels at or above L are hidden (``STATE.fw_cap``), so nested
transforms never mix their perturbations: the level-L rule sees the lower-level tangents of
its inputs and records them, which is exactly nested dual-number arithmetic.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import numpy as np

from tensorgrad._shapes import expand_to
from tensorgrad.grad_mode import STATE
from tensorgrad.tensor import Tensor

_levels = itertools.count(1)


def new_level() -> int:
    """A fresh forward-mode level, never reused, so finished transforms cannot be confused."""
    return next(_levels)


def visible_tangent(x: Any, level: int) -> Any:
    """The tangent of ``x`` at ``level``, or None."""
    if isinstance(x, Tensor) and x._fw is not None:
        return x._fw.get(level)
    return None


ACTIVE: set[int] = set()
"""Levels whose ``jvp`` is running: only their tangents still need to flow (a reverse pass run
after a ``jvp`` has finished can ignore the tangents its saved values carry)."""


class Tangents(dict):
    """A tensor's tangents by level (its ``_fw``; an op's output shares it with its node's
    ``out_fw``).

    A recorded tangent rule that used the output points back at the node, so these dicts sit in
    reference cycles; each running level lists them weakly and ``end_level`` drops its entries,
    so a finished ``jvp`` leaves no cyclic garbage holding its tangents, and no stale tangent
    rides on later ops. ``owner`` is a weak reference to the tensor, whose ``_fw`` becomes None
    when its last level is dropped."""

    __slots__ = ("__weakref__", "owner")


_LISTED: dict[int, list] = {}
"""For each running level, weak references to the ``Tangents`` that got a tangent at it."""


def begin_level(level: int) -> None:
    """Mark ``level`` running: its tangents flow, and the dicts that get them are listed."""
    ACTIVE.add(level)
    _LISTED[level] = [64]  # (the list's length at which dead references are dropped)


def end_level(level: int) -> None:
    """Drop the finished ``level``'s tangents from every dict still alive that got one."""
    ACTIVE.discard(level)
    listed = _LISTED.pop(level, None)
    if listed is None:
        return
    for ref in itertools.islice(listed, 1, None):
        fw = ref()
        if fw is not None:
            fw.pop(level, None)
            if not fw:
                owner = fw.owner()
                if owner is not None and owner._fw is fw:
                    owner._fw = None


def set_tangents(t: Tensor, fw: dict | None) -> None:
    """Give ``t`` tangents of its own: ``fw`` copied into a ``Tangents`` listed under each
    running level in it (so they go when the level ends), or None when there are none."""
    if not fw:
        t._fw = None
        return
    own = Tangents(fw)
    t._fw = own
    _list(own, t)


def take_tangents(t: Tensor, fw: dict | None) -> None:
    """Give ``t`` the tangents ``fw`` of the tensor it replaces (an in-place write's result,
    a rebased view), so that ``t._fw`` becomes None when their levels end."""
    t._fw = fw
    if type(fw) is Tangents:
        fw.owner = weakref.ref(t)


def _list(fw: Tangents, out: Tensor) -> None:
    """List ``fw``, the tangents just given to ``out``, under each running level in it."""
    ref = None
    for level in fw:
        listed = _LISTED.get(level)
        if listed is None:  # (a stale tangent of a finished level, or one given by hand)
            continue
        if ref is None:
            fw.owner = weakref.ref(out)
            ref = weakref.ref(fw)
        listed.append(ref)
        if len(listed) >= listed[0]:
            # drop the dead references when the list has doubled: amortised O(1) per entry
            live = [r for r in itertools.islice(listed, 1, None) if r() is not None]
            listed[:] = [max(64, 2 * len(live) + 1), *live]


def push_tangents(op: Any, inputs: tuple, out: Tensor) -> None:
    """Give ``out`` the tangents of every visible level present on ``inputs``, lowest first."""
    cap = STATE.fw_cap
    levels = None
    for x in inputs:
        if isinstance(x, Tensor) and x._fw is not None:
            for lv in x._fw:
                if lv < cap:
                    if levels is None:
                        levels = [lv]
                    elif lv not in levels:
                        levels.append(lv)
    if levels is None:
        return
    if len(levels) > 1:
        levels.sort()
    fw = Tangents()
    for level in levels:
        recording = STATE.grad_enabled
        tangents = []
        plain = True  # the rule may run on arrays: nothing recorded, no lower level riding
        for x in inputs:
            t = None
            if isinstance(x, Tensor):
                # the rule may use the arrays of x and of its tangent if neither is recorded
                # (when recording) nor carries a tangent of a lower level (nested transforms)
                # (written out, not a helper called twice: this runs for every op with a
                # tangent)
                xfw = x._fw
                if plain:
                    if recording and x._requires_grad:
                        plain = False
                    elif xfw is not None:
                        for lv in xfw:
                            if lv < level:
                                plain = False
                                break
                if xfw is not None:
                    t = xfw.get(level)
                    if t is not None and plain:
                        if recording and t._requires_grad:
                            plain = False
                        elif t._fw is not None:
                            for lv in t._fw:
                                if lv < level:
                                    plain = False
                                    break
            tangents.append(t)
        if plain:
            tangent = _plain_tangent(op, inputs, out, tangents)
        else:
            STATE.fw_cap = level
            try:
                tangent = _tangent(op, inputs, out, tangents)
            finally:
                STATE.fw_cap = cap
        if tangent is not None:
            fw[level] = tangent
            out._fw = fw
    if fw:
        _list(fw, out)


def _zero_like(x: Any) -> Any:
    if isinstance(x, Tensor):
        return np.zeros_like(x.data)
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    return 0


def _plain_tangent(op: Any, inputs: tuple, out: Tensor, tangents: list) -> Tensor | None:
    """The tangent rule on ndarrays: nothing it computes needs recording."""
    if op.linear:
        # NOTE: a linear op's forward keeps no state, so the op itself maps the tangents.
        arrays = []
        for x, t in zip(inputs, tangents):
            arrays.append(_zero_like(x) if t is None else t.data)
        result = op.forward(*arrays)
    else:
        ts = []
        for t in tangents:
            ts.append(None if t is None else t.data)
        save = op.save_inputs
        if not save:
            result = op.jvp(ts, out.data) if op.save_output else op.jvp(ts)
        else:
            args = []
            for i in save:
                x = inputs[i]
                args.append(x.data if isinstance(x, Tensor) else x)
            if op.save_output:
                args.append(out.data)
            result = op.jvp(ts, *args)
    data = out.data
    if type(result) is np.ndarray and result.shape == data.shape and result.dtype == data.dtype:
        return Tensor._make(result)
    return _as_tangent(result, out)


def _tangent(op: Any, inputs: tuple, out: Tensor, tangents: list) -> Tensor | None:
    """The tangent rule on Tensors, recorded (or carrying lower-level tangents) as needed."""
    if op.linear:
        result = op.reapply(*[_zero_like(x) if t is None else t for x, t in zip(inputs, tangents)])
    else:
        args = list(map(inputs.__getitem__, op.save_inputs))
        if op.save_output:
            args.append(out)
        result = op.jvp(tangents, *args)
    return _as_tangent(result, out)


def _as_tangent(result: Any, out: Tensor) -> Tensor | None:
    """A rule's tangent in the output's shape and, for a float output, its dtype (as reverse
    mode casts adjoints: a rule's float64 helper must not make a float32 tangent float64)."""
    if result is None:
        return None
    if type(result) is Tensor:  # (the common case, already the output's shape and dtype)
        data, like = result.data, out.data
        if data.shape == like.shape and data.dtype == like.dtype:
            return result
    shape, dtype = out.data.shape, out.data.dtype
    if isinstance(result, Tensor):
        # (a rule's Tensor result may be smaller than the output, as an ndarray's may: where's
        # tangent has the shape of its condition and branch tangents, not of its output)
        if result.shape != shape:
            result = expand_to(result, shape)
    else:
        result = np.asarray(result)
        if result.shape != shape:
            result = np.broadcast_to(result, shape).copy()
    if dtype.kind == "f" and result.dtype != dtype:
        result = result.astype(dtype)
    return result if isinstance(result, Tensor) else Tensor._make(result)


def with_tangent(x: Tensor, level: int, tangent: Tensor) -> Tensor:
    """An alias of ``x`` (same data, same graph) that carries ``tangent`` at ``level``."""
    from tensorgrad.ops.shape import alias

    y = alias(x)
    fw = dict(y._fw) if y._fw is not None else {}
    fw[level] = tangent
    set_tangents(y, fw)
    return y


def strip_level(x: Any, level: int) -> Any:
    """``x`` without its tangent at ``level`` (an alias sharing data and graph)."""
    if not isinstance(x, Tensor) or x._fw is None or level not in x._fw:
        return x
    from tensorgrad.ops.shape import alias

    y = alias(x)
    set_tangents(y, {k: v for k, v in (y._fw or {}).items() if k != level})
    return y
