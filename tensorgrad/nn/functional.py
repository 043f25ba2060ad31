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

from tensorgrad._dtypes import check_operands
from tensorgrad.ops import elementwise as _elementwise
from tensorgrad.ops import losses as _losses
from tensorgrad.ops.conv import avg_pool2d, conv2d, max_pool2d
from tensorgrad.ops.elementwise import where
from tensorgrad.ops.layers import dropout, embedding, linear
from tensorgrad.ops.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from tensorgrad.ops.normalization import batch_norm, layer_norm
from tensorgrad.tensor import Tensor, number_arg

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


# (the activations and the softmax family under torch's argument names: F.softmax(input=t,
# dim=1) works; tg.softmax and friends keep NumPy's x and axis)


def relu(input: Any, inplace: bool = False) -> Tensor:
    """max(input, 0), as torch's ``relu``; ``inplace`` is accepted for torch compatibility, and
    the result is always a new tensor (as ``dropout``'s)."""
    return _elementwise.relu(input)


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + exp(-input)), as torch's ``sigmoid``."""
    return _elementwise.sigmoid(input)


def tanh(input: Any) -> Tensor:
    """The hyperbolic tangent, as torch's ``tanh``."""
    return _elementwise.tanh(input)


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """input * Phi(input), or its tanh approximation, as torch's ``gelu``."""
    return _elementwise.gelu(input, approximate=approximate)


def softmax(
    input: Any,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """Softmax along ``dim`` (or NumPy's ``axis``; default the last), as torch's ``softmax``
    (``_stacklevel`` is torch's and unused)."""
    return _losses.softmax(input, axis=axis, dim=dim, dtype=dtype)


def log_softmax(
    input: Any,
    dim: int | None = None,
    _stacklevel: int = 3,
    dtype: Any = None,
    *,
    axis: int | None = None,
) -> Tensor:
    """Log of the softmax along ``dim`` (or ``axis``; default the last), as torch's."""
    return _losses.log_softmax(input, axis=axis, dim=dim, dtype=dtype)


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """torch's ``softplus``: ``log(1 + exp(beta * x)) / beta``, and ``x`` itself where
    ``beta * x > threshold`` (torch's switch to the identity, where the two agree to within
    about ``exp(-threshold)``); differentiable to any order, as a composition."""
    # (a 0-d Tensor or array of one is taken, as torch)
    beta = number_arg(beta, "beta", "softplus")
    threshold = number_arg(threshold, "threshold", "softplus")
    if not isinstance(input, Tensor):  # (a list or a number: checked and made an array, as ops do)
        check_operands("softplus", (input,))
        input = np.asarray(input)
    scaled = input if beta == 1 else input * float(beta)
    soft = _elementwise.softplus(scaled)
    soft = soft if beta == 1 else soft / float(beta)
    return where(scaled > threshold, input, soft)
