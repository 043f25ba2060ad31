"""Deterministic parameters for comparisons with values hard-coded from torch runs."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


def load_sin_pattern(
    m: tg.nn.Module, step: float = 0.37, offset: float = 0.5, scale: float = 0.4
) -> None:
    """Parameter i (in state-dict order) of ``m`` set to sin(j * (i + 1) * step + offset) *
    scale over its flat entries j, as the torch runs that gave the hard-coded values did."""
    state = {}
    for i, (name, p) in enumerate(m.state_dict().items()):
        values = np.sin(np.arange(np.asarray(p).size) * (i + 1) * step + offset) * scale
        state[name] = values.reshape(np.shape(p))
    m.load_state_dict(state)
