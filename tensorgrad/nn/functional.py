"""``tg.nn.functional``: the functional forms of layers, activations and losses, with the
signatures and defaults of ``torch.nn.functional``. Axis arguments accept ``dim=`` (torch) as
well as ``axis=`` (NumPy).

Losses and the softmax family live in ``tensorgrad.ops.losses``; convolution and pooling in
``tensorgrad.ops.conv``; layer and batch norm in ``tensorgrad.ops.normalization``; linear,
dropout and embedding in ``tensorgrad.ops.layers``. This module gathers them.
"""

from __future__ import annotations

from typing import Any

from tensorgrad.ops.conv import avg_pool2d, conv2d, max_pool2d
from tensorgrad.ops.elementwise import gelu, sigmoid, softplus, tanh
from tensorgrad.ops.elementwise import relu as _relu
from tensorgrad.ops.layers import dropout, embedding, linear
from tensorgrad.ops.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    log_softmax,
    mse_loss,
    nll_loss,
    softmax,
)
from tensorgrad.ops.normalization import batch_norm, layer_norm
from tensorgrad.tensor import Tensor

__all__ = [
    "softmax",
    "log_softmax",
    "cross_entropy",
    "nll_loss",
    "mse_loss",
    "binary_cross_entropy_with_logits",
    "dropout",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "layer_norm",
    "batch_norm",
    "embedding",
    "linear",
    "relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softplus",
]


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(input, 0), as torch's ``relu``; ``inplace`` is accepted for torch compatibility, and
    the result is always a new tensor (as ``dropout``'s)."""
    return _relu(input)
