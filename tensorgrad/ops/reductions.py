"""Reductions: sum mean prod max min var std logsumexp norm argmax argmin cumsum."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._shapes import normalize_axis
from tensorgrad.ops._base import Op, call
from tensorgrad.tensor import Tensor

__all__ = ['sum']



def _expand(delta, in_shape, axes, keepdims):
    """Put back the reduced axes of ``delta`` (size 1) so it broadcasts against the input."""
    if not keepdims:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        delta = np.reshape(delta, tuple(shape))
    return delta


class Sum(Op):
    """sum over ``axis``"""

    __slots__ = ("axis", "keepdims")
    linear = True

    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        return np.sum(x, axis=self.axis, keepdims=self.keepdims)

    def generate_adjoints(self, adjoints, delta):
        shape = self.in_shape(0)
        adjoints[0] = np.broadcast_to(_expand(delta, shape, self.axis, self.keepdims), shape)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis`` (None: all)."""
    ndim = np.ndim(x.data if isinstance(x, Tensor) else x)
    return call(Sum, x, axis=normalize_axis(axis, ndim, "sum"), keepdims=bool(keepdims))
