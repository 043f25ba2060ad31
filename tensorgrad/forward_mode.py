"""Forward mode: tangents ride on tensors and are pushed through each op's tangent rule.

A tensor's ``_fw`` maps a level (one per active ``jvp``) to its tangent Tensor. While the
tangent of level L is computed, levels at or above L are hidden (``STATE.fw_cap``), so nested
transforms never mix their perturbations: the level-L rule sees the lower-level tangents of
its inputs and records them, which is exactly nested dual-number arithmetic.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

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


def _is_plain(x: Any, level: int, recording: bool) -> bool:
    if not isinstance(x, Tensor):
        return True
    if recording and x.requires_grad:
        return False
    return x._fw is None or all(lv >= level for lv in x._fw)


def push_tangents(op: Any, inputs: tuple, out: Tensor) -> None:
    """Give ``out`` the tangents of every visible level present on ``inputs``."""
    cap = STATE.fw_cap
    levels: set[int] = set()
    for x in inputs:
        if isinstance(x, Tensor) and x._fw is not None:
            levels.update(lv for lv in x._fw if lv < cap)
    if not levels:
        return
    fw: dict[int, Tensor] = {}
    for level in sorted(levels):
        tangents = [visible_tangent(x, level) for x in inputs]
        STATE.fw_cap = level
        try:
            tangent = _tangent(op, inputs, out, tangents, level)
        finally:
            STATE.fw_cap = cap
        if tangent is not None:
            fw[level] = tangent
            out._fw = fw


def _zero_like(x: Any) -> Any:
    if isinstance(x, Tensor):
        return np.zeros_like(x.data)
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    return 0


def _tangent(op: Any, inputs: tuple, out: Tensor, tangents: list, level: int) -> Any:
    recording = STATE.grad_enabled
    plain = all(_is_plain(x, level, recording) for x in inputs) and all(
        _is_plain(t, level, recording) for t in tangents
    )
    if op.linear:
        filled = [
            _zero_like(x) if t is None else (t.data if plain else t)
            for x, t in zip(inputs, tangents)
        ]
        result = op.reapply(*filled)
    else:
        if plain:
            args = [
                x.data if isinstance(x, Tensor) else x for x in (inputs[i] for i in op.save_inputs)
            ]
            if op.save_output:
                args.append(out.data)
            ts = [None if t is None else t.data for t in tangents]
        else:
            args = [inputs[i] for i in op.save_inputs]
            if op.save_output:
                args.append(out)
            ts = tangents
        result = op.jvp(ts, *args)
    if result is None:
        return None
    if isinstance(result, Tensor):
        return result
    result = np.asarray(result)
    if result.shape != out.shape:
        result = np.broadcast_to(result, out.shape).copy()
    return Tensor._make(result)


def with_tangent(x: Tensor, level: int, tangent: Tensor) -> Tensor:
    """An alias of ``x`` (same data, same graph) that carries ``tangent`` at ``level``."""
    from tensorgrad.ops.shape import alias

    y = alias(x)
    fw = dict(y._fw) if y._fw is not None else {}
    fw[level] = tangent
    y._fw = fw
    return y


def strip_level(x: Any, level: int) -> Any:
    """``x`` without its tangent at ``level`` (an alias sharing data and graph)."""
    if not isinstance(x, Tensor) or x._fw is None or level not in x._fw:
        return x
    from tensorgrad.ops.shape import alias

    y = alias(x)
    rest = {k: v for k, v in (y._fw or {}).items() if k != level}
    y._fw = rest or None
    return y
