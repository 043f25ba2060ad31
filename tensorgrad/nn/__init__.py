"""``tg.nn``: modules, layers, losses, initialisers and functional ops, PyTorch style."""

from __future__ import annotations

from tensorgrad.nn import functional, init, utils
from tensorgrad.nn.activation import (
    ELU,
    GELU,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    MSELoss,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from tensorgrad.nn.containers import ModuleDict, ModuleList, Sequential
from tensorgrad.nn.layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    MaxPool2d,
)
from tensorgrad.nn.module import Module, Parameter

__all__ = [
    "functional",
    "init",
    "utils",
    "Module",
    "Parameter",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "Identity",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Embedding",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "GELU",
    "Softplus",
    "SiLU",
    "LeakyReLU",
    "ELU",
    "LogSigmoid",
    "Softmax",
    "LogSoftmax",
    "CrossEntropyLoss",
    "MSELoss",
    "BCEWithLogitsLoss",
    "L1Loss",
]
