"""Activation and loss modules: thin wrappers over ``tg.nn.functional``."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._dtypes import check_float_dtype
from tensorgrad.nn import functional as F
from tensorgrad.nn._inplace import assign
from tensorgrad.nn.module import Module, Parameter
from tensorgrad.ops.losses import legacy_reduction
from tensorgrad.tensor import Tensor, flag_arg, is_int, number_arg

__all__ = [
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
    "BCELoss",
    "L1Loss",
    "SmoothL1Loss",
    "HuberLoss",
    "KLDivLoss",
    "Hardtanh",
    "ReLU6",
    "Softsign",
    "Mish",
    "GLU",
    "PReLU",
    "Hardsigmoid",
    "Hardswish",
    "SELU",
    "CELU",
    "Softmin",
    "NLLLoss",
]


class ReLU(Module):
    """max(x, 0). ``inplace`` is accepted for torch compatibility; the result is always a new
    tensor (as ``Dropout``'s)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


class Tanh(Module):
    """tanh(x)"""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x))"""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class GELU(Module):
    """x * Phi(x), or its tanh approximation with ``approximate='tanh'``"""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, the identity where ``beta * x > threshold`` (torch's)"""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """x * sigmoid(x) (swish); ``inplace`` as ``ReLU``'s"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.silu(x)


class LeakyReLU(Module):
    """x where positive, else ``negative_slope * x``; ``inplace`` as ``ReLU``'s"""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = number_arg(negative_slope, "negative_slope", "LeakyReLU")
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x where positive, else ``alpha * (exp(x) - 1)``; ``inplace`` as ``ReLU``'s"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = number_arg(alpha, "alpha", "ELU")
        self.inplace = inplace

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class LogSigmoid(Module):
    """log(sigmoid(x)), without overflow"""

    def forward(self, x: Any) -> Tensor:
        return F.logsigmoid(x)


class Softmax(Module):
    """softmax along ``dim`` (default: the last axis)"""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log of softmax along ``dim`` (default: the last axis), computed stably"""

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, dim=self.dim)


def _optional_buffer(module: Module, name: str, value: Any) -> None:
    """A loss's optional tensor argument: a buffer (in ``state_dict``, cast by ``to``), as
    torch registers it, also when None (a tensor assigned later is then a buffer too)."""
    if value is not None and not isinstance(value, Tensor):
        value = Tensor(value)
    module.register_buffer(name, value)


class CrossEntropyLoss(Module):
    """Cross entropy of logits (N, C) or (N, C, ...) against class indices or probabilities,
    as ``torch.nn.CrossEntropyLoss`` (``weight``, ``ignore_index``, ``label_smoothing``)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        _optional_buffer(self, "weight", weight)
        self.ignore_index = ignore_index
        self.reduction = legacy_reduction(size_average, reduce, reduction, "CrossEntropyLoss")
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(Module):
    """Mean squared error over all elements (``reduction`` as torch)."""

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction, "MSELoss")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class BCEWithLogitsLoss(Module):
    """Binary cross entropy on logits, computed stably, as ``torch.nn.BCEWithLogitsLoss``."""

    def __init__(
        self,
        weight: Any = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ) -> None:
        super().__init__()
        _optional_buffer(self, "weight", weight)
        _optional_buffer(self, "pos_weight", pos_weight)
        self.reduction = legacy_reduction(size_average, reduce, reduction, "BCEWithLogitsLoss")

    def forward(self, input: Any, target: Any) -> Tensor:
        kwargs: dict[str, Any] = {"reduction": self.reduction}
        if self.weight is not None:
            kwargs["weight"] = self.weight
        if self.pos_weight is not None:
            kwargs["pos_weight"] = self.pos_weight
        return F.binary_cross_entropy_with_logits(input, target, **kwargs)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class BCELoss(Module):
    """Binary cross entropy on probabilities, each log floored at -100, as
    ``torch.nn.BCELoss``."""

    def __init__(
        self,
        weight: Any = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        _optional_buffer(self, "weight", weight)
        self.reduction = legacy_reduction(size_average, reduce, reduction, "BCELoss")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class L1Loss(Module):
    """Mean absolute error over all elements (``reduction`` as torch)."""

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction, "L1Loss")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class SmoothL1Loss(Module):
    """Quadratic below ``beta``, absolute error above, averaged over all elements (``reduction``
    and ``beta`` as torch's)."""

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__()
        self.reduction = legacy_reduction(size_average, reduce, reduction, "SmoothL1Loss")
        self.beta = F._threshold(beta, "beta", "SmoothL1Loss", zero=True)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, beta={self.beta}"


class HuberLoss(Module):
    """Quadratic below ``delta``, ``delta`` times the absolute error above, averaged over all
    elements (``reduction`` and ``delta`` as torch's)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__()
        self.reduction = legacy_reduction(None, None, reduction, "HuberLoss")
        self.delta = F._threshold(delta, "delta", "HuberLoss", zero=False)

    def forward(self, input: Any, target: Any, weight: Any = None) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta, weight)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"


class KLDivLoss(Module):
    """KL(target || exp(input)) for log-probabilities ``input`` (``reduction``, 'batchmean'
    included, and ``log_target`` as torch's)."""

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce, reduction, "KLDivLoss")
        else:
            F._check_kl_reduction(reduction, "KLDivLoss")
        self.reduction = reduction
        self.log_target = flag_arg(log_target, "log_target", "KLDivLoss")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"


def _inplace_repr(module: Module, text: str = "") -> str:
    """torch's extra_repr of an activation with ``inplace``: shown only when set."""
    if module.inplace:
        return f"{text}, inplace=True" if text else "inplace=True"
    return text


class Hardtanh(Module):
    """x clipped to [min_val, max_val]; ``inplace`` as ``ReLU``'s"""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val = number_arg(min_val, "min_val", type(self).__name__)
        self.max_val = number_arg(max_val, "max_val", type(self).__name__)
        if self.min_val > self.max_val:
            raise ValueError(
                f"{type(self).__name__}: min_val cannot be greater than max_val, got "
                f"{self.min_val} > {self.max_val}"
            )
        self.inplace = flag_arg(inplace, "inplace", type(self).__name__)

    def forward(self, x: Any) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return _inplace_repr(self, f"min_val={self.min_val}, max_val={self.max_val}")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6); ``inplace`` as ``ReLU``'s"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self)


class Softsign(Module):
    """x / (1 + |x|)"""

    def forward(self, x: Any) -> Tensor:
        return F.softsign(x)


class _InplaceActivation(Module):
    """An activation whose only argument is torch's ``inplace`` (accepted, shown in the repr
    when set, as torch's; the result is always a new tensor, as ``ReLU``'s)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = flag_arg(inplace, "inplace", type(self).__name__)

    def extra_repr(self) -> str:
        return _inplace_repr(self)


class Mish(_InplaceActivation):
    """x * tanh(softplus(x)); ``inplace`` as ``ReLU``'s"""

    def forward(self, x: Any) -> Tensor:
        return F.mish(x)


class GLU(Module):
    """a * sigmoid(b) for the halves a, b of the input along ``dim``"""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if not is_int(dim):
            raise TypeError(f"GLU: dim must be an int, got {dim!r}")
        self.dim = int(dim)

    def forward(self, x: Any) -> Tensor:
        return F.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """x where positive, else ``weight * x``: a learned slope, one (``num_parameters=1``) or one
    per channel (axis 1), initialised to ``init``; a float32 ``weight`` of shape
    (num_parameters,) by default, as ``torch.nn.PReLU``."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, dtype: Any = np.float32
    ) -> None:
        super().__init__()
        if not is_int(num_parameters) or num_parameters < 0:
            raise (TypeError if not is_int(num_parameters) else ValueError)(
                f"PReLU: num_parameters must be a non-negative int, got {num_parameters!r}"
            )
        self.num_parameters = int(num_parameters)
        self.init = number_arg(init, "init", "PReLU")
        d = check_float_dtype(dtype, "PReLU")
        self.weight = Parameter(np.full((self.num_parameters,), self.init, dtype=d))

    def reset_parameters(self) -> None:
        """Every slope ``init`` again, as at construction."""
        assign(self.weight, np.full(self.weight.shape, self.init, dtype=self.weight.dtype))

    def forward(self, x: Any) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Hardsigmoid(_InplaceActivation):
    """min(max(x + 3, 0), 6) / 6; ``inplace`` as ``ReLU``'s"""

    def forward(self, x: Any) -> Tensor:
        return F.hardsigmoid(x)


class Hardswish(_InplaceActivation):
    """x * min(max(x + 3, 0), 6) / 6; ``inplace`` as ``ReLU``'s"""

    def forward(self, x: Any) -> Tensor:
        return F.hardswish(x)


class SELU(_InplaceActivation):
    """scale * elu(x, alpha) with torch's constants; ``inplace`` as ``ReLU``'s"""

    def forward(self, x: Any) -> Tensor:
        return F.selu(x)


class CELU(Module):
    """x where positive, else ``alpha * (exp(x / alpha) - 1)``; ``inplace`` as ``ReLU``'s"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = number_arg(alpha, "alpha", "CELU")
        if self.alpha == 0:
            raise ValueError("CELU: alpha cannot be 0")
        self.inplace = flag_arg(inplace, "inplace", "CELU")

    def forward(self, x: Any) -> Tensor:
        return F.celu(x, self.alpha)

    def extra_repr(self) -> str:
        return _inplace_repr(self, f"alpha={self.alpha}")


class Softmin(Module):
    """softmax(-x) along ``dim`` (None: the last axis, as ``tg.nn.functional.softmin``)"""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        if dim is not None and not is_int(dim):
            raise TypeError(f"Softmin: dim must be an int or None, got {dim!r}")
        self.dim = None if dim is None else int(dim)

    def forward(self, x: Any) -> Tensor:
        return F.softmin(x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class NLLLoss(Module):
    """Negative log likelihood of class indices given log-probabilities (N, C) or (N, C, ...),
    as ``torch.nn.NLLLoss`` (``weight``, a buffer, and ``ignore_index``)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        _optional_buffer(self, "weight", weight)
        if not is_int(ignore_index):
            raise TypeError(f"NLLLoss: ignore_index must be an int, got {ignore_index!r}")
        self.ignore_index = int(ignore_index)
        self.reduction = legacy_reduction(size_average, reduce, reduction, "NLLLoss")

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )
