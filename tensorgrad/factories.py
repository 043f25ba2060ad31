"""Tensor constructors: tensor, from_numpy, zeros, ones, full, empty, arange, linspace, eye,
zeros_like, ones_like, rand, randn, and the global seed for the random ones. Each but
from_numpy takes torch's ``device=`` for ports: None or the CPU, checked first."""

from __future__ import annotations

import contextlib
import math
import operator
from typing import Any

import numpy as np

from tensorgrad._device import check_device
from tensorgrad._dtypes import (
    as_array,
    below,
    check_dtype,
    check_float_dtype,
    get_default_dtype,
    is_huge_int,
    kind_of,
    refuse_masked,
)
from tensorgrad.grad_mode import STATE
from tensorgrad.tensor import Tensor, constant_arg, flag_arg, grad_flag

__all__ = [
    "tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "zeros_like",
    "ones_like",
    "rand",
    "randn",
    "manual_seed",
]

_RNG = [np.random.default_rng()]


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the generator that ``rand``/``randn`` (and layers' initialisers) use by default."""
    try:
        if seed is None:  # (NumPy would seed from the OS: not reproducible, as torch refuses)
            raise TypeError
        _RNG[0] = np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:  # (NumPy's SeedSequence message alone names no call)
        raise type(exc)(f"manual_seed: seed must be a non-negative int, got {seed!r}") from None
    return _RNG[0]


def default_rng() -> np.random.Generator:
    """The generator set by ``manual_seed`` (inside ``jacfwd``, the calling thread's copy)."""
    rng = STATE.rng
    return _RNG[0] if rng is None else rng


def seeded_generator(rng: Any, owner: str) -> np.random.Generator | None:
    """An ``rng`` argument checked: a Generator as it is, an int seed >= 0 as a new Generator,
    None as None (the caller's default); errors name ``owner``."""
    if rng is None or isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:  # (NumPy's SeedSequence message named no argument)
            raise ValueError(f"{owner}: an int seed for rng must be at least 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{owner}: rng must be a numpy.random.Generator, an int seed or None, got {rng!r}"
    )


def tensor(
    data: Any,
    requires_grad: bool = False,
    dtype: Any = None,
    name: str | None = None,
    *,
    device: Any = None,
) -> Tensor:
    """A new Tensor holding a copy of ``data`` (same as ``Tensor(...)``)."""
    if device is not None:  # (checked here: the common call passes Tensor one keyword fewer)
        check_device(device, "tensor")
    return Tensor(data, requires_grad, dtype, name)  # (by position: the quicker call)


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A Tensor sharing memory with ``array`` (no copy; a subclass such as ``np.matrix`` is
    viewed as a plain ndarray; data in non-native byte order is refused, as torch refuses it,
    and so is a masked array, whose mask torch drops)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(array).__name__}")
    refuse_masked(array, "from_numpy")
    check_dtype(array.dtype, "from_numpy")
    if not array.dtype.isnative:
        raise ValueError(
            f"from_numpy: the array's byte order ({array.dtype.str}) is not this machine's; "
            "convert it with a.astype(a.dtype.newbyteorder('=')), or use tg.tensor (a copy)"
        )
    plain = array if type(array) is np.ndarray else array.view(np.ndarray)
    return _finish(plain, requires_grad, "from_numpy")


def _shape(shape: tuple, what: str) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if not isinstance(s, (int, np.integer)) and np.ndim(s) == 0:
            with contextlib.suppress(TypeError):  # (a 0-d integer array or Tensor, as NumPy)
                s = operator.index(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{what}: shape entries must be ints, got {s!r}")
        if s < 0:
            raise ValueError(f"{what}: negative dimension {s} in shape {tuple(shape)}")
        out.append(int(s))
    return tuple(out)


def _finish(data: np.ndarray, requires_grad: bool, where: str) -> Tensor:
    # (checked: requires_grad="no" is refused, not truthy)
    return Tensor._make(
        data, None, requires_grad is not False and grad_flag(data, requires_grad, where)
    )


def _alloc(what: str, fn: Any, shape: tuple[int, ...], *args: Any, **kwargs: Any) -> np.ndarray:
    """``fn(shape, ...)``, with NumPy's MemoryError for a huge shape as a ValueError."""
    try:
        return fn(shape, *args, **kwargs)
    except (MemoryError, ValueError) as exc:  # (NumPy: "array is too big" past the address space,
        # "Maximum allowed dimension exceeded" for a dimension of 2 ** 63 or more)
        if isinstance(exc, ValueError) and not any(m in str(exc) for m in _TOO_BIG):
            raise
        raise ValueError(f"{what}: shape {shape} is too large to allocate") from None


_TOO_BIG = ("too big", "Maximum allowed dimension")


def _dtype(dtype: Any, where: str) -> np.dtype:
    return get_default_dtype() if dtype is None else check_dtype(dtype, f"{where}: dtype")


def zeros(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """A tensor of zeros; ``zeros(2, 3)`` and ``zeros((2, 3))`` both work."""
    check_device(device, "zeros")
    return _finish(
        _alloc("zeros", np.zeros, _shape(shape, "zeros"), dtype=_dtype(dtype, "zeros")),
        requires_grad,
        "zeros",
    )


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """A tensor of ones."""
    check_device(device, "ones")
    return _finish(
        _alloc("ones", np.ones, _shape(shape, "ones"), dtype=_dtype(dtype, "ones")),
        requires_grad,
        "ones",
    )


def empty(
    *shape: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
) -> Tensor:
    """An uninitialised tensor."""
    check_device(device, "empty")
    return _finish(
        _alloc("empty", np.empty, _shape(shape, "empty"), dtype=_dtype(dtype, "empty")),
        requires_grad,
        "empty",
    )


def full(
    shape: Any,
    fill_value: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    device: Any = None,
) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``: a number, a 0-d tensor or array, or
    (as ``np.full``) values that broadcast to ``shape``."""
    check_device(device, "full")
    shp = _shape((shape,) if np.ndim(shape) == 0 else tuple(shape), "full")
    # (as torch: a fill that requires grad would silently drop its graph; broadcast_to is the
    # differentiable fill)
    fill_value = constant_arg(fill_value, "fill_value", "full")
    kind = kind_of(fill_value)
    if kind not in "biuf" and not is_huge_int(fill_value):  # (a huge int: the dtype decides)
        raise TypeError(
            f"full: fill_value must be a number (bool, integer or float), got {fill_value!r}"
        )
    d = _dtype(dtype, "full")
    try:  # (an out-of-range Python int is an OverflowError, a wrong shape a ValueError)
        if is_huge_int(fill_value) and d.kind != "f":  # (NumPy's bool cast reads only its truth)
            raise OverflowError("a Python int past int64 and uint64")
        fill = np.asarray(fill_value, dtype=d)
        tail = shp[len(shp) - fill.ndim :]
        if fill.ndim > len(shp) or any(f not in (1, n) for f, n in zip(fill.shape, tail)):
            raise ValueError(f"its shape {fill.shape} does not broadcast to it")
    except (ValueError, OverflowError) as exc:
        msg = f"full: fill_value {fill_value!r} does not fit shape {shp} as {d}: {exc}"
        raise type(exc)(msg) from None
    return _finish(_alloc("full", np.full, shp, fill, dtype=d), requires_grad, "full")


def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    device: Any = None,
) -> Tensor:
    """Evenly spaced values in [start, stop), as ``np.arange`` (integers stay integer)."""
    check_device(device, "arange")
    start, stop, step = (
        constant_arg(v, n, "arange") for v, n in ((start, "start"), (stop, "stop"), (step, "step"))
    )
    for v, name in ((start, "start"), (stop, "stop"), (step, "step")):
        if kind_of(v) in "mM":  # (refused before NumPy 2.5 warns of a generic timedelta)
            check_dtype(np.asarray(v).dtype, "arange")
        if np.ndim(v):  # (NumPy: "the truth value of an array ... is ambiguous")
            raise ValueError(f"arange: {name} must be a single number, got shape {np.shape(v)}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is not None:
        dtype = check_dtype(dtype, "arange: dtype")
    # NOTE: an integer or bool dtype is NumPy's arange in that dtype (the first two values cast,
    # then their difference repeated: arange(2, 7, 1.5, dtype=int) is 2, 3, 4, 5), not the float
    # values cast (2, 3, 5, 6); a float dtype's values are start + i * step, torch's formula,
    # in long double, then rounded to the dtype: over 2,000 random ranges all 61,313 values
    # correctly rounded where long double is wider than float64 (torch's 88 %; NumPy's, which
    # repeat the difference of the first two, 32 %: -10.600000000000001 for -12 + 2 * 0.7).
    exact = dtype is not None and dtype.kind in "biu"
    # (stop=None counts from 0 to start, with the given step, as NumPy)
    first, last = (0, start) if stop is None else (start, stop)
    count = _arange_count(first, last, step)
    try:
        data = np.arange(start, stop, step, dtype=dtype if exact else None)
    except MemoryError:
        raise ValueError(f"arange: {_count_text(count)} values are too many to allocate") from None
    except (TypeError, ValueError, OverflowError) as exc:
        msg = str(exc)
        raise type(exc)(msg if msg.startswith("arange") else f"arange: {msg}") from None
    if data.dtype.kind == "f" and not exact and data.size > 1 and not _whole(first, step, data):
        # (past 4,096 values in float64: long double costs about 5x float64's time)
        wide = np.longdouble if data.size <= 4096 else np.float64
        data = wide(first) + np.arange(data.size, dtype=wide) * wide(step)
        if (get_default_dtype() if dtype is None else dtype).itemsize < 4:
            # (NumPy casts long double to float16 through float32: a value just past a float16
            # midpoint lands on it and rounds to even; through float64 it does not)
            data = data.astype(np.float64)
    if dtype is not None:
        data = data.astype(dtype, copy=False)
    elif data.dtype.kind == "f":
        data = data.astype(get_default_dtype(), copy=False)
    else:  # (complex, datetime or object bounds make arrays a tensor cannot hold)
        check_dtype(data.dtype, "arange")
    return _finish(data, requires_grad, "arange")


def _whole(start: Any, step: Any, data: np.ndarray) -> bool:
    """Whether NumPy's float arange ``data`` from ``start`` by ``step`` is exact already: whole
    numbers (arange(0.0, 10.0), the common float one) within the integers its dtype holds
    exactly (2 ** 53 for float64, 2 ** 24 for float32 bounds)."""
    try:
        first, by = float(start), float(step)
    except (TypeError, ValueError, OverflowError):
        return False
    # (NumPy takes its first two values in the bounds' own dtype: float32 bounds collapse past
    # 2 ** 24 although the result is float64)
    try:
        kind = np.result_type(start, step)
    except (TypeError, ValueError):
        kind = data.dtype
    if kind.kind != "f":  # (bool or small-int bounds: NumPy's first two wrap, or OR as bools)
        return False
    exact = 2.0 ** (np.finfo(kind).nmant + 1)
    return first.is_integer() and by.is_integer() and abs(first) + data.size * abs(by) < exact


def _count_text(count: int) -> str:
    """``count`` for a message: short when it is long."""
    if count < 10**15:
        return str(count)
    if count.bit_length() <= 1000:
        return f"{count:.4g}"
    return f"about 2**{count.bit_length() - 1}"  # (past float64's range)


def _arange_count(start: Any, stop: Any, step: Any) -> int | None:
    """How many values arange gives, as NumPy counts them (exactly for integers, in float64
    otherwise); too many for an array is a ValueError here (NumPy 2.4 gives an empty array
    from 2 ** 63 on). None where NumPy decides (a bound that is not a real number)."""
    try:
        if all(isinstance(v, (int, np.integer)) for v in (start, stop, step)):
            count = -(-(int(stop) - int(start)) // int(step))
        else:
            if all(type(v) in (int, float) for v in (start, stop, step)):  # (float64's, as NumPy)
                ratio = (float(stop) - float(start)) / float(step)
            elif all(isinstance(v, (int, np.integer)) for v in (start, stop)):
                # (integer bounds, a float step: their difference exact, NumPy's wraps in int64)
                ratio = (int(stop) - int(start)) / float(step)
            else:  # (in NumPy's own arithmetic: float32 bounds subtract in float32)
                with np.errstate(all="ignore"):
                    quotient = np.asarray(np.divide(np.subtract(stop, start), step))
                if quotient.dtype.kind != "f":  # (complex or object bounds: NumPy decides)
                    return None
                ratio = float(quotient)
            if not math.isfinite(ratio):
                return None
            count = math.ceil(ratio)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    count = max(count, 0)
    if count > np.iinfo(np.intp).max:
        raise ValueError(f"arange: {_count_text(count)} values are too many for an array")
    return count


def linspace(
    start: float,
    stop: float,
    num: int = 50,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    device: Any = None,
) -> Tensor:
    """``num`` evenly spaced values from start to stop inclusive."""
    check_device(device, "linspace")
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    start, stop = constant_arg(start, "start", "linspace"), constant_arg(stop, "stop", "linspace")
    for name, v in (("start", start), ("stop", stop)):
        if is_huge_int(v):  # (torch: OverflowError; NumPy fails subtracting object bounds)
            raise OverflowError(
                f"linspace: {name} {v} is a Python int past int64 and uint64; give it as a float"
            )
        if kind_of(v) not in "biuf":  # (a complex bound's imaginary part would be dropped)
            raise TypeError(f"linspace: {name} must be a real number, got {v!r}")
    d = _dtype(dtype, "linspace")
    if num > np.iinfo(np.intp).max // 8:  # (NumPy: an IndexError of an empty array near 2**63)
        raise ValueError(f"linspace: shape ({num},) is too large to allocate")
    return _finish(
        _alloc("linspace", lambda s: np.linspace(start, stop, *s, dtype=d), (num,)),
        requires_grad,
        "linspace",
    )


def eye(
    n: int,
    m: int | None = None,
    k: int = 0,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    device: Any = None,
) -> Tensor:
    """Ones on the ``k``-th diagonal of an n x m matrix (the main one, above it for k > 0), as
    ``np.eye``."""
    check_device(device, "eye")
    shape = _shape((n, n) if m is None else (n, m), "eye")
    if not isinstance(k, (int, np.integer)) or isinstance(k, (bool, np.bool_)):
        raise TypeError(f"eye: k must be an int, got {k!r}")
    d = _dtype(dtype, "eye")
    data = _alloc("eye", lambda s: np.eye(*s, k=int(k), dtype=d), shape)
    return _finish(data, requires_grad, "eye")


def zeros_like(
    x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None
) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``x``."""
    check_device(device, "zeros_like")
    data = x.data if isinstance(x, Tensor) else as_array(x, copy=False, what="zeros_like: x")
    check_dtype(data.dtype, "zeros_like: x")
    dtype = check_dtype(data.dtype if dtype is None else dtype, "zeros_like: dtype")
    return _finish(np.zeros(data.shape, dtype=dtype), requires_grad, "zeros_like")


def ones_like(
    x: Any, dtype: Any = None, requires_grad: bool = False, *, device: Any = None
) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``x``."""
    check_device(device, "ones_like")
    data = x.data if isinstance(x, Tensor) else as_array(x, copy=False, what="ones_like: x")
    check_dtype(data.dtype, "ones_like: x")
    dtype = check_dtype(data.dtype if dtype is None else dtype, "ones_like: dtype")
    return _finish(np.ones(data.shape, dtype=dtype), requires_grad, "ones_like")


def _rng(rng: Any, where: str) -> np.random.Generator:
    # (an int seed too, as dropout's and DataLoader's rng=)
    generator = seeded_generator(rng, where)
    return default_rng() if generator is None else generator


def _float_dtype(dtype: Any, what: str) -> np.dtype:
    # (as torch: random samples of an int or bool dtype are refused)
    return get_default_dtype() if dtype is None else check_float_dtype(dtype, what)


def rand(
    *shape: Any,
    rng: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Uniform samples in [0, 1)."""
    check_device(device, "rand")
    d = _float_dtype(dtype, "rand")
    flag_arg(requires_grad, "requires_grad", "rand")  # (before drawing: a refusal draws nothing)
    data = below(_alloc("rand", _rng(rng, "rand").random, _shape(shape, "rand")), 1.0, d)
    return _finish(data, requires_grad, "rand")


def randn(
    *shape: Any,
    rng: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Standard normal samples."""
    check_device(device, "randn")
    d = _float_dtype(dtype, "randn")
    flag_arg(requires_grad, "requires_grad", "randn")  # (before drawing: a refusal draws nothing)
    draw = _rng(rng, "randn").standard_normal
    data = _alloc("randn", draw, _shape(shape, "randn")).astype(d, copy=False)
    return _finish(data, requires_grad, "randn")
