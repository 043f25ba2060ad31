"""Anomaly detection: where each op was created, and NaN/inf checks on every adjoint.

Off by default and free when off: while a ``detect_anomaly`` block is open in any thread, ops
call a record hook (which looks at this thread's flag); the backward loop tests the flag once.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import RECORD_HOOKS

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager: ops record their creation site (file:line of user code), and backward
    raises ``RuntimeError`` naming the op and that site when an adjoint holds NaN or inf
    (``check_nan=False``: the sites only, for backward's other errors, as torch)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list[tuple[bool, bool]] = []  # (one entry per open block: re-entrant)

    def __enter__(self) -> detect_anomaly:
        self._prev.append((STATE.anomaly, STATE.sites))
        STATE.anomaly = bool(self.check_nan)
        STATE.sites = True
        RECORD_HOOKS.append(_record_hook)
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly, STATE.sites = self._prev.pop()
        RECORD_HOOKS.remove(_record_hook)


def _user_site() -> str:
    frame = sys._getframe(2)
    while frame is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _in_package(filename: str) -> bool:
    # (a sibling folder such as tensorgrad_examples/ is the user's, and so is code with no file:
    # "<string>", "<stdin>", a notebook cell)
    return not filename.startswith("<") and os.path.abspath(filename).startswith(_PACKAGE_DIR)


def record_site(op: Any) -> None:
    """Remember the user code line that created ``op``."""
    op._extras()["site"] = _user_site()


def _record_hook(op: Any, inputs: tuple, out: Any) -> None:
    """The record hook of open ``detect_anomaly`` blocks (once per op, in this thread only)."""
    if STATE.sites and not (op.extras and "site" in op.extras):
        record_site(op)


def check_adjoints(op: Any, adjoints: list) -> None:
    """Raise if an adjoint ``op``'s rule produced has NaN or inf."""
    for i, g in enumerate(adjoints):
        if g is None:
            continue
        data = np.asarray(getattr(g, "data", g))
        if data.dtype.kind not in "fc":
            continue
        bad = None
        if np.isnan(data).any():
            bad = "nan"
        elif np.isinf(data).any():
            bad = "inf"
        if bad:
            extras = op.extras or {}
            site = extras.get("site", "<created outside detect_anomaly>")
            raise RuntimeError(
                f"detect_anomaly: the adjoint rule of {op.name} (created at {site}) returned "
                f"{bad} values for its input {i}"
            )
