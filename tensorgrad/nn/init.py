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
    "orthogonal_",
    "trunc_normal_",
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


def orthogonal_(tensor: Tensor, gain: float = 1.0, rng: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, as torch's ``orthogonal_``: the tensor is
    viewed as (rows, the rest flattened); the Q of the QR decomposition of a standard normal
    matrix (of its transpose when wider than tall), each column's sign made that of R's
    diagonal entry so that Q is drawn uniformly (Haar). Rows (or columns, whichever are
    fewer) come out orthonormal times ``gain``. A zero-element tensor is left as it is."""
    shape = _target(tensor, "orthogonal_", floating=True).shape
    if len(shape) < 2:
        raise ValueError(
            f"orthogonal_: only tensors of 2 or more dimensions are supported, got shape {shape}"
        )
    gain = number_arg(gain, "gain", "orthogonal_", bools=True)
    if tensor.size == 0:
        return tensor
    rows = shape[0]
    cols = tensor.size // rows
    flat = as_generator(rng, "orthogonal_").standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.where(np.diagonal(r) < 0, -1.0, 1.0)  # (the column signs: a Haar draw)
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    rng: Any = None,
) -> Tensor:
    """Fill with N(mean, std**2) truncated to [a, b] (either may be infinite), as torch's
    ``trunc_normal_``: the same distribution, drawn exactly by rejection (``_truncated``) also
    far in a tail, where torch's inverse-CDF draw loses accuracy and warns (no warning here)."""
    _target(tensor, "trunc_normal_", floating=True)
    for name, value in (("mean", mean), ("a", a), ("b", b)):
        if not is_number(value):
            raise TypeError(f"trunc_normal_: {name} must be a number, got {value!r}")
        if math.isnan(float(value)):
            raise ValueError(f"trunc_normal_: {name} must not be NaN")
    if not is_number(std) or not 0 < float(std) < math.inf:
        raise ValueError(f"trunc_normal_: std must be a positive finite number, got {std!r}")
    mean, std, a, b = (float(v) for v in (mean, std, a, b))
    if not math.isfinite(mean):
        raise ValueError(f"trunc_normal_: mean must be finite, got {mean!r}")
    if not a < b:
        raise ValueError(f"trunc_normal_: expects a < b, got a={a}, b={b}")
    gen = as_generator(rng, "trunc_normal_")
    z = _truncated(gen, (a - mean) / std, (b - mean) / std, tensor.size)
    return _fill(tensor, np.clip(mean + std * z, a, b).reshape(tensor.shape))


def _truncated(gen: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    """``n`` draws of a standard normal truncated to [lo, hi], by rejection from a proposal
    whose acceptance is at least about a third wherever the interval lies: the normal itself
    for a wide interval around 0, a uniform one for a narrow one, and for an interval on one
    side of 0 an exponential from its near end with rate (lo + sqrt(lo^2 + 4)) / 2 (Robert,
    1995), truncated to the interval."""
    if hi <= 0:  # (the lower side: the mirror image of the upper)
        return -_truncated(gen, -hi, -lo, n)
    out = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        k = 2 * todo.size + 16  # (enough for the rest, most likely)
        if lo < 0 and hi - lo >= 1:  # around 0, wide: P(lo <= Z <= hi) >= P(0 <= Z <= 1)
            z = gen.standard_normal(k)
            z = z[(z >= lo) & (z <= hi)]
        elif lo < 0:  # around 0, narrow: uniform, accepted with exp(-z^2 / 2) >= exp(-1 / 2)
            z = gen.uniform(lo, hi, k)
            z = z[gen.random(k) < np.exp(-z * z / 2)]
        else:  # in the upper tail: lo + a truncated exponential
            rate = (lo + math.sqrt(lo * lo + 4)) / 2
            reach = -math.expm1(-rate * (hi - lo))  # (its probability of [lo, hi])
            z = lo - np.log1p(-reach * gen.random(k)) / rate
            peak = min(rate, hi)  # (where the ratio of the densities is largest)
            z = z[gen.random(k) < np.exp(((peak - rate) ** 2 - (z - rate) ** 2) / 2)]
            z = z[(z >= lo) & (z <= hi)]
        z = z[: todo.size]
        out[todo[: z.size]] = z
        todo = todo[z.size :]
    return out
