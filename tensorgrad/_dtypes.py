"""Default dtype and the conversion of user data to ndarrays."""

from __future__ import annotations

import functools
import math

import numpy as np

_DEFAULT = [np.dtype(np.float64)]
_NUMERIC_KINDS = frozenset("biuf")


def get_default_dtype() -> np.dtype:
    """The dtype factories and Python floats use (float64 unless changed)."""
    return _DEFAULT[0]


def set_default_dtype(dtype) -> None:
    """Set the floating dtype of factories and of Python float data (any NumPy floating dtype:
    float16, float32, float64 or longdouble)."""
    if dtype is None:  # (np.dtype(None) is float64: as torch, None is refused)
        raise TypeError("set_default_dtype: expected a floating dtype, got None")
    d = check_dtype(dtype, "set_default_dtype")
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {d}")
    _DEFAULT[0] = d


def check_dtype(dtype, what: str = "dtype") -> np.dtype:
    """Return ``dtype`` as an np.dtype if tensorgrad supports it (bool, int, uint, float), in
    this machine's byte order (as torch, tensors hold native data)."""
    try:
        d = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{what}: {dtype!r} is not a dtype") from exc
    if d.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{what}: tensors hold bool, integer or floating data, not {d}")
    return d if d.isnative else d.newbyteorder("=")


def native(arr: np.ndarray) -> np.ndarray:
    """``arr`` in this machine's byte order (a copy only when it is not): tensors hold native
    data, as torch's, so that their dtypes compare equal to the usual ones."""
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


def below(values: np.ndarray, bound: float, dtype: np.dtype) -> np.ndarray:
    """Float64 draws below ``bound`` as floating ``dtype``, none rounded up to ``bound`` or past
    it (a uniform draw keeps its open upper end in float16 and float32, as torch's)."""
    out = values.astype(dtype, copy=False)
    top = dtype.type(bound)
    if float(top) >= bound:
        np.minimum(out, np.nextafter(top, dtype.type(-np.inf)), out=out)
    return out


def check_float_dtype(dtype, what: str = "dtype") -> np.dtype:
    """``dtype`` as an np.dtype if it is a floating one, else TypeError naming ``what`` (the
    function) and its dtype argument."""
    d = check_dtype(dtype, f"{what}: dtype")
    if d.kind != "f":
        raise TypeError(f"{what}: dtype must be floating point, got {d}")
    return d


def as_array(data, dtype=None, copy: bool = True, what: str = "data") -> np.ndarray:
    """Convert ``data`` to an ndarray of a supported dtype: TypeError on anything else, ValueError
    on a ragged nesting."""
    from_python = not isinstance(data, (np.ndarray, np.generic))
    refuse_masked(data, what)
    if dtype is not None:
        dtype = check_dtype(dtype, "dtype")
        if not from_python and data.dtype.kind not in _NUMERIC_KINDS:  # no silent casts
            raise TypeError(
                f"{what}: tensors hold bool, integer or floating data, not {data.dtype}"
            )
        if from_python and _holds_non_numbers(data):  # (NumPy would parse "1.5", None: NaN)
            raise TypeError(
                f"{what}: tensors hold bool, integer or floating data, not strings, None or "
                f"other objects (from {type(data).__name__})"
            )
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        # (a ragged nesting is a ValueError and a value out of the dtype's range an
        # OverflowError, as NumPy's; the rest a TypeError)
        error = type(exc) if isinstance(exc, (ValueError, OverflowError)) else TypeError
        raise error(f"{what}: cannot make a tensor from {type(data).__name__}: {exc}") from None
    if (
        arr.dtype.kind == "O"
        and from_python
        and _holds(data, is_huge_int)
        and not _holds_non_numbers(data)
    ):
        raise OverflowError(
            f"{what}: a Python int past the int64 and uint64 range cannot be held (from "
            f"{type(data).__name__}); give dtype=float to hold it as a float"
        )
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{what}: tensors hold bool, integer or floating data, got dtype {arr.dtype} "
            f"from {type(data).__name__}"
        )
    arr = native(arr)  # (a big-endian file's data: the same values, native order)
    if (
        dtype is None
        and from_python
        and arr.dtype == np.float64
        and _DEFAULT[0] != np.float64
        and not _holds_float64(data)
    ):
        arr = arr.astype(_DEFAULT[0])
    return arr


def refuse_masked(data, what: str) -> None:
    """TypeError for a masked array, whose mask a tensor cannot keep (NumPy's conversions, and
    torch's from_numpy, drop it in silence)."""
    if isinstance(data, np.ma.MaskedArray):
        raise TypeError(
            f"{what}: a masked array's mask cannot be kept; fill it first, e.g. a.filled(np.nan)"
        )


def is_huge_int(x) -> bool:
    """A Python int past int64 and uint64, which NumPy holds only as an object (a float dtype
    takes it; an integer or bool dtype cannot)."""
    return type(x) is int and not -(2**63) <= x < 2**64


def holds(dtype: np.dtype, value) -> bool:
    """Whether ``dtype`` holds the number ``value``, as torch's casts check: a float dtype within
    its range (or not finite), an integer dtype finite and within its range (NumPy's casts wrap
    one that is not: np.pad into uint8, np.where before NumPy 2.5)."""
    integer = isinstance(value, (int, np.integer))  # (math.isfinite(10**400) would overflow)
    if dtype.kind == "f":
        return (not integer and not math.isfinite(value)) or abs(value) <= _range(dtype)[1]
    if dtype.kind in "iu":
        if not integer and not math.isfinite(value):
            return False
        low, high = _range(dtype)
        return low <= value <= high
    return True


def check_python_ints(dtype: np.dtype, values: tuple) -> None:
    """NumPy 2.5's OverflowError for a Python int among ``values`` that the integer ``dtype``
    cannot hold (NumPy before 2.5 wraps one in np.where; np.clip takes one from 2.1)."""
    if dtype.kind in "iu":
        for v in values:
            if type(v) is int and not holds(dtype, v):
                raise OverflowError(f"Python integer {v} out of bounds for {dtype}")


@functools.cache
def _range(dtype: np.dtype) -> tuple:
    """The lowest and highest finite values of a numeric dtype, as Python numbers."""
    if dtype.kind == "f":
        return float(np.finfo(dtype).min), float(np.finfo(dtype).max)
    return int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)


def _holds(data, test) -> bool:
    """Whether nested Python lists and tuples ``data`` hold an entry that passes ``test``."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif test(x):
            return True
    return False


def _holds_float64(data) -> bool:
    """Whether Python ``data`` holds NumPy float64 values (scalars, arrays or Tensors), which
    keep float64 whatever the default dtype (only Python floats take the default, as torch)."""
    from tensorgrad.tensor import Tensor

    def float64(x) -> bool:
        if isinstance(x, Tensor):
            return x.data.dtype == np.float64
        return isinstance(x, (np.generic, np.ndarray)) and x.dtype == np.float64

    return _holds(data, float64)


def _holds_non_numbers(data) -> bool:
    """Whether Python ``data`` holds anything but real numbers: strings, bytes, None, a dict
    (read as NumPy reads it, with no dtype: a list of Python ints too large for int64 is an
    object array of numbers, and passes)."""
    if isinstance(data, (float, int)):
        return False
    try:
        probe = np.asarray(data)
    except (TypeError, ValueError, OverflowError):
        return False  # (the conversion itself will say what is wrong)
    if probe.dtype.kind in "USV":
        return True
    if probe.dtype.kind == "O":
        return not all(isinstance(v, (int, float, np.number)) for v in probe.ravel())
    return False


_TENSOR: list = []  # (tensor.Tensor once looked up: tensor.py imports this module)


def _tensor_type() -> type:
    """``tensor.Tensor``, imported once (an import statement in a function costs about a
    microsecond per call, more than the checks it serves)."""
    if not _TENSOR:
        from tensorgrad.tensor import Tensor

        _TENSOR.append(Tensor)
    return _TENSOR[0]


def check_operands(op, inputs: tuple, names: tuple[str, ...] | None = None) -> None:
    """Raise TypeError, naming ``op`` (a name or an Op class) and the argument (by its name in
    ``names``, else its position), for a non-Tensor input whose data is not bool, integer or
    floating (complex, object, strings); Tensors and Python numbers pass at the cost of a type
    check."""
    Tensor = _tensor_type()
    for i, x in enumerate(inputs):
        if type(x) in _PLAIN or isinstance(x, Tensor):
            continue
        if type(x) is np.ndarray and x.dtype.kind in _NUMERIC_KINDS:
            continue  # (a plain numeric array, not masked: the common non-Tensor operand)
        name = op if isinstance(op, str) else op.label
        what = f"{name}: {names[i] if names else f'argument {i}'}"
        from tensorgrad.tensor import carries_derivative

        if isinstance(x, (list, tuple)) and _holds(x, carries_derivative):
            raise TypeError(
                f"{what} is a {type(x).__name__} holding Tensors that require grad (or carry "
                "a tangent): as an array their graph would be lost; use tg.stack"
            )
        refuse_masked(x, what)
        kind = kind_of(x)
        if kind not in _NUMERIC_KINDS:
            raise TypeError(
                f"{what} holds {_describe(x)}; tensors hold bool, integer or floating data"
            )


def check_args(where: str, optional: tuple[str, ...] = (), **args) -> None:
    """``check_operands`` for the arguments of the public function ``where``, by name (the
    ``optional`` ones skipped when None): called first, so that a string or None is refused as
    such, not read as a 0-d array by a shape check or named after an op the function is made
    of."""
    Tensor = _tensor_type()
    for k, v in args.items():  # (Tensors, and absent optional ones: the common call, cheap)
        if not isinstance(v, Tensor) and (v is not None or k not in optional):
            check_operands(where, (v,), (k,))


def to_tensor(x, where: str, name: str = "input"):
    """``x`` as a Tensor (itself if one), bad data named as ``where``'s argument ``name``."""
    Tensor = _tensor_type()
    if isinstance(x, Tensor):
        return x
    check_operands(where, (x,), (name,))
    return Tensor(x)


_PLAIN = frozenset((float, int, bool))


def kind_of(x) -> str:
    """The dtype kind NumPy gives ``x`` ('O' for what it cannot make an array of; a Tensor's
    through its data)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind
    try:
        return np.asarray(x).dtype.kind
    except (TypeError, ValueError):
        return "O"


def _describe(x) -> str:
    if isinstance(x, (np.ndarray, np.generic)):
        return f"dtype {x.dtype}"
    try:
        return f"{type(x).__name__} data of dtype {np.asarray(x).dtype}"
    except (TypeError, ValueError, OverflowError) as exc:  # (a ragged list: say why)
        return f"{type(x).__name__} data that makes no array ({exc})"


def narrow(a, dtype):
    """``a`` (computed wider) back in ``dtype``: a value past its range is inf, as the maths has
    it, with no overflow warning (the entries themselves were in range)."""
    with np.errstate(over="ignore"):
        return a.astype(dtype)


def half_sum(a, axis, keepdims: bool = False):
    """The sum of float16 ``a`` over ``axis``, accumulated in float32 and rounded once, as
    torch's: NumPy adds float16 along an axis in float16, so the partial sums of [6e4, 6e4, -6e4,
    -6e4] overflow to inf where the sum is 0."""
    total = np.add.reduce(a, axis=axis, dtype=np.float32, keepdims=keepdims)
    return narrow(total, np.float16)


def wide_sum(a, axis=None, keepdims: bool = False):
    """``np.sum``, with a float16 array accumulated in float32 and rounded once (``half_sum``),
    for the rules' and tangents' sums; a Tensor (a recorded rule) goes to ``tg.sum``, which does
    the same."""
    if type(a) is np.ndarray and a.dtype.type is np.float16:
        return half_sum(a, axis, keepdims)
    return np.sum(a, axis=axis, keepdims=keepdims)


def is_half(x) -> bool:
    """Whether ``x`` holds float16 data (by the dtype's type: ``== np.float16`` misses a
    byte-swapped one, '>f2')."""
    dtype = getattr(x, "dtype", None)  # (a Python number given to an op: not half)
    return dtype is not None and dtype.type is np.float16


def half_in_float32(forward):
    """Compute a forward ``forward(self, x)`` or ``forward(self, x, y)`` of float16 operands
    (both of them) in float32 and round once, as torch does (float16's own arithmetic loses
    what some ops need: 1 + e ** -x rounds to 1 from x = 7.6, a square overflows at 256,
    NumPy's float16 products add up in float16). (y as a default, not *args: forwarding
    those cost 75 ns a call.)"""

    @functools.wraps(forward)
    def wrapped(self, x, y=None):
        if is_half(x) and (y is None or is_half(y)):
            if y is None:
                return forward(self, x.astype(np.float32)).astype(np.float16)
            return forward(self, x.astype(np.float32), y.astype(np.float32)).astype(np.float16)
        return forward(self, x) if y is None else forward(self, x, y)

    return wrapped
