"""Shape ops: reshape, transpose, swapaxes, moveaxis, expand_dims, squeeze, broadcast_to,
flatten, concatenate, stack, split, pad, flip, tile, repeat, and alias.

All are linear, so their tangent rule is the op applied to the tangent. Ops whose NumPy form
returns a view share the base tensor's version counter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad.ops._base import Op, call
from tensorgrad.tensor import Tensor

__all__ = ['alias', 'reshape']



class Alias(Op):
    """The same values under a new tensor (used to attach tangents without touching x)."""

    linear = True

    def forward(self, x):
        return x

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = delta


def alias(x: Any) -> Tensor:
    """A new tensor sharing ``x``'s data, version counter and graph."""
    out = call(Alias, x)
    if isinstance(x, Tensor):
        out._version = x._version
    return out


class Reshape(Op):
    """x with a new shape (same elements in C order)"""

    __slots__ = ("shape",)
    linear = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return np.reshape(x, self.shape)

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = np.reshape(delta, self.in_shape(0))


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x: Any, *shape: Any) -> Tensor:
    """``x`` with shape ``shape`` (one entry may be -1); ``t.reshape(2, 3)`` works too."""
    new = _shape_arg(shape)
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    try:
        out = call(Reshape, x, shape=new)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {data.shape} into {new}") from None
    if isinstance(x, Tensor):
        out._version = x._version
    return out
