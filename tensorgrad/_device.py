"""Devices as torch names them, for code ported from torch: tensorgrad computes on the CPU only,
so a device argument is checked (None or the CPU passes, anything else is refused) and then
ignored. ``device`` is the small object ``Tensor.device`` returns and ports pass on; the ``to``
argument forms (``Tensor.to``, ``Module.to``, ``PackedSequence.to``) are read here, once."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorgrad._dtypes import check_dtype

# (the kinds torch's ports name; "cpu:0" and "cuda:1" carry an index)
_KINDS = ("cpu", "cuda", "mps", "meta", "xpu")


class device:  # noqa: N801  (torch's name: ``torch.device`` becomes ``tg.device``)
    """A device as torch's ``torch.device``: a ``type`` ("cpu", "cuda", "mps", "meta", "xpu")
    and an ``index`` (an int, or None for the current one), made from a string ("cpu",
    "cuda:1"), a type and an index, or a device (tensorgrad's or torch's). Only the CPU holds
    tensors here: another device can be named (``tg.device("cuda" if ok else "cpu")``) and is
    refused where a tensor would go to it. It equals a device of the same type and index (not a
    string, as torch's: ``x.device.type == "cpu"`` and ``str(x.device) == "cpu"`` compare
    strings) and hashes accordingly."""

    __slots__ = ("_type", "_index")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002  (torch's)
        if isinstance(type, device) or (
            type.__class__.__name__ == "device" and hasattr(type, "type")
        ):
            type = str(type)  # (torch.device's str is "cpu" or "cuda:0", as this one's)
        if not isinstance(type, str):
            raise TypeError(
                f"device: expected a device string such as 'cpu' or 'cuda:0', got {type!r}"
            )
        kind, colon, number = type.partition(":")
        if kind not in _KINDS or (colon and not (number.isascii() and number.isdigit())):
            raise ValueError(
                f"device: expected one of {', '.join(_KINDS)}, optionally with ':index', got "
                f"{type!r}"
            )
        if colon and index is not None:
            raise ValueError(f"device: {type!r} has an index, and index={index!r} was given too")
        if index is not None and (
            not isinstance(index, (int, np.integer))
            or isinstance(index, (bool, np.bool_))
            or index < 0
        ):
            raise ValueError(f"device: index must be a non-negative int or None, got {index!r}")
        self._type = kind
        self._index = int(number) if colon else None if index is None else int(index)

    @property
    def type(self) -> str:
        """The kind of device: "cpu", "cuda", ..."""
        return self._type

    @property
    def index(self) -> int | None:
        """The device's number, or None."""
        return self._index

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self) -> str:
        index = "" if self._index is None else f", index={self._index}"
        return f"device(type={self._type!r}{index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, device):
            return self._type == other._type and self._index == other._index
        if other.__class__.__name__ == "device" and hasattr(other, "index"):  # (torch's)
            return (self._type, self._index) == (str(other.type), other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((device, self._type, self._index))

    def __reduce__(self) -> tuple:
        return device, (self._type, self._index)


CPU = device("cpu")  # (every tensor's ``device``)


def device_kind(value: Any) -> str | None:
    """The kind of a device as torch names one ("cpu" of "cpu" or "cpu:0", "cuda" of
    "cuda:1"...; of a ``tg.device`` or a ``torch.device`` too), or None for anything else."""
    if isinstance(value, device):
        return value._type
    if isinstance(value, str) or value.__class__.__name__ == "device":
        try:
            return device(value)._type
        except (TypeError, ValueError):
            return None
    return None


def check_device(value: Any, where: str) -> None:
    """Pass None and the CPU (``"cpu"``, ``"cpu:0"``, a CPU ``tg.device`` or ``torch.device``);
    anything else is a ValueError naming ``where`` and the device given."""
    if value is not None and value is not CPU and device_kind(value) != "cpu":
        raise ValueError(f"{where}: tensorgrad runs on the CPU only, got {value!r}")


def to_arguments(
    where: str, args: tuple, dtype: Any, dev: Any, tensor_type: type, what: str = "dtype"
) -> np.dtype | None:
    """The dtype asked for by torch's ``to`` forms, ``to(device, dtype)``, ``to(dtype)``,
    ``to(device)`` and ``to(tensor)`` (its dtype), by position or keyword, or None when none is
    (the device checked: CPU only). A TypeError names ``where`` for another combination or a
    value that is neither a dtype nor a device; ``what`` names the dtypes ``where`` takes."""
    positional = list(args)
    if positional and device_kind(positional[0]) is not None:
        if dev is not None:
            raise TypeError(f"{where}: the device was given twice, {positional[0]!r} and {dev!r}")
        dev = positional.pop(0)
    elif positional and isinstance(positional[0], tensor_type):
        if len(positional) > 1 or dtype is not None or dev is not None:
            raise TypeError(
                f"{where}: to(other) takes other's dtype and device, got more arguments too: "
                f"{args!r}, dtype={dtype!r}, device={dev!r}"
            )
        return positional[0].dtype
    if len(positional) > 1 or (positional and dtype is not None):
        raise TypeError(
            f"{where}: expected (device, dtype), (dtype), (device) or (tensor) and keywords, got "
            f"{args!r} and dtype={dtype!r}"
        )
    if positional:
        dtype = positional[0]
    check_device(dev, where)
    if dtype is None:
        return None
    try:
        np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: expected a {what} or the 'cpu' device, got {dtype!r}") from None
    return check_dtype(dtype, f"{where}: dtype")
