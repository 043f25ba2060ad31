"""Parameter initialisers with PyTorch's names, formulas and defaults.

Each ``*_`` function fills a Tensor in place (through the one in-place path: nothing is recorded,
the version counter is bumped) and returns it. Random values are drawn in float64 from ``rng``
(a ``numpy.random.Generator`` or int seed; default: the generator of ``tg.manual_seed``) and
then cast to the tensor's dtype.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from tensorgrad._dtypes import below, holds
from tensorgrad.nn._inplace import assign
from tensorgrad.ops.layers import as_generator
from tensorgrad.tensor import Tensor, is_number, number_arg

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``, as ``torch.nn.init.calculate_gain``."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity")
    linear += ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(tensor: Tensor, name: str) -> tuple[int, int]:
    shape = _target(tensor, name, floating=True).shape
    if len(shape) < 2:
        raise ValueError(
            f"{name}: fan in and fan out need a tensor of at least 2 dimensions, got shape {shape}"
        )
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _no_elements(tensor: Tensor, name: str) -> bool:
    """True (with torch's warning) for a zero-element tensor, which the fan-based initialisers
    leave unchanged: its fans may be 0."""
    if _target(tensor, name).size == 0:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    with np.errstate(over="ignore"):  # (normal_ past the dtype's range fills inf, as torch)
        assign(tensor, values)
    return tensor


def _target(tensor: Any, name: str, floating: bool = False) -> Tensor:
    """``tensor``, checked before anything is drawn: a Tensor (a floating one if ``floating``:
    random draws into integers are refused, as torch)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    if floating and tensor.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {tensor.dtype}")
    return tensor


def _value(value: Any, tensor: Tensor, name: str, arg: str) -> float:
    """``value`` as a number that ``tensor``'s dtype holds (as torch's fill: no NaN into
    integers, nothing past the dtype's range), else the error torch gives."""
    if not is_number(value, bools=True):
        raise TypeError(f"{name}: {arg} must be a number, got {value!r}")
    value = value.item() if isinstance(value, (Tensor, np.ndarray, np.generic)) else value
    dtype = tensor.dtype
    if not holds(dtype, value):
        raise ValueError(f"{name}: {arg}={value!r} cannot be held by the tensor's dtype {dtype}")
    return value


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng: Any = None) -> Tensor:
    """Fill with U(a, b): b itself never, also in float16 and float32."""
    _target(tensor, "uniform_", floating=True)
    a, b = _value(a, tensor, "uniform_", "a"), _value(b, tensor, "uniform_", "b")
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b (the range [a, b)), got a={a}, b={b}")
    values = as_generator(rng, "uniform_").uniform(a, b, tensor.shape)
    if a < b:
        values = below(values, b, tensor.dtype)
    return _fill(tensor, values)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng: Any = None) -> Tensor:
    """Fill with N(mean, std**2)."""
    _target(tensor, "normal_", floating=True)
    if not is_number(mean):  # (a mean past the dtype's range fills inf, as torch)
        raise TypeError(f"normal_: mean must be a number, got {mean!r}")
    if not is_number(std) or not std >= 0:  # (NumPy fills with NaN for a NaN std; torch refuses)
        raise ValueError(f"normal_: std must be a number >= 0, got {std!r}")
    return _fill(tensor, as_generator(rng, "normal_").normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``, a number the tensor's dtype holds (as torch)."""
    return _constant(tensor, val, "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _constant(tensor, 0.0, "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _constant(tensor, 1.0, "ones_")


def _constant(tensor: Tensor, val: float, name: str) -> Tensor:
    _target(tensor, name)
    return _fill(tensor, np.full(tensor.shape, _value(val, tensor, name, "val")))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    gain = number_arg(gain, "gain", "xavier_uniform_", bools=True)
    if _no_elements(tensor, "xavier_uniform_"):
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng=rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    gain = number_arg(gain, "gain", "xavier_normal_", bools=True)
    if _no_elements(tensor, "xavier_normal_"):
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, name: str) -> float:
    if isinstance(mode, str):
        mode = mode.lower()  # (as torch: 'FAN_OUT' is taken)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{name}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, name)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: Any = None,
) -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan)."""
    if _no_elements(tensor, "kaiming_uniform_"):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: Any = None,
) -> Tensor:
    """He normal: N(0, std**2) with std = gain / sqrt(fan)."""
    if _no_elements(tensor, "kaiming_normal_"):
        return tensor
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(tensor, 0.0, std, rng=rng)
