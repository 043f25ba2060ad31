"""``tg.optim``: optimizers and learning-rate schedulers with PyTorch's formulas and defaults."""

from __future__ import annotations

from tensorgrad.optim import lr_scheduler
from tensorgrad.optim.algorithms import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    RAdam,
    RMSprop,
)
from tensorgrad.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)
from tensorgrad.optim.optimizer import Optimizer

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adamax",
    "NAdam",
    "RAdam",
    "Adadelta",
    "lr_scheduler",
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "ReduceLROnPlateau",
    "ConstantLR",
    "SequentialLR",
    "ChainedScheduler",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
]
