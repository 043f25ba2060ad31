"""Argument checks of the normalisation ops (tensorgrad/ops/normalization.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad.nn.functional as F


def test_batch_norm_eval_refuses_complex_input() -> None:
    x = np.full((1,) * 33, 1j)
    stats = np.zeros(1), np.ones(1)
    with pytest.raises(TypeError, match="batch_norm: input and running statistics"):
        F.batch_norm(x, *stats, training=False)


def test_batch_norm_eval_refuses_complex_running_statistics() -> None:
    x = np.zeros((0, 0))
    with pytest.raises(TypeError, match="batch_norm: input and running statistics"):
        F.batch_norm(x, np.zeros(0), np.zeros(0, dtype=complex), training=False)
