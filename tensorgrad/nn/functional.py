"""``tg.nn.functional``: the functional forms of layers, activations and losses, with the
signatures and defaults of ``torch.nn.functional``. Axis arguments accept ``dim=`` (torch) as
well as ``axis=`` (NumPy).

Losses and the softmax family live in ``tensorgrad.ops.losses``; convolution and pooling in
``tensorgrad.ops.conv``; layer and batch norm in ``tensorgrad.ops.normalization``; linear,
dropout and embedding in ``tensorgrad.ops.layers``. This module gathers them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad.ops.conv import avg_pool2d, conv2d, max_pool2d
from tensorgrad.ops.elementwise import gelu, sigmoid, tanh, where
from tensorgrad.ops.elementwise import relu as _relu
from tensorgrad.ops.elementwise import softplus as _softplus
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
from tensorgrad.tensor import Tensor, constant_arg

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


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """torch's ``softplus``: ``log(1 + exp(beta * x)) / beta``, and ``x`` itself where
    ``beta * x > threshold`` (torch's switch to the identity, where the two agree to within
    about ``exp(-threshold)``); differentiable to any order, as a composition."""
    beta = constant_arg(beta, "beta", "softplus")
    threshold = constant_arg(threshold, "threshold", "softplus")
    for name, value in (("beta", beta), ("threshold", threshold)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"softplus: {name} must be a number, got {value!r}")
    scaled = input if beta == 1 else input * float(beta)
    soft = _softplus(scaled) if beta == 1 else _softplus(scaled) / float(beta)
    return where(scaled > threshold, input, soft)
