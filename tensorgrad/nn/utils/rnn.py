"""Variable-length sequences, as ``torch.nn.utils.rnn``: ``PackedSequence`` and the functions
that pack, pad and split them.

A ``PackedSequence`` holds the steps of a batch of sequences sorted by decreasing length, step
after step: ``data`` (sum(batch_sizes), *), whose first ``batch_sizes[0]`` rows are every
sequence's first step, the next ``batch_sizes[1]`` the second step of those that have one, and
so on. The recurrent layers take one and run it without padding (each step on the rows still
running). Every function here moves rows with one gather (a getitem by an index array,
with a constant row of ``padding_value`` where it pads), so gradients of any order flow through
``data`` and the padded tensors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from tensorgrad._dtypes import to_tensor
from tensorgrad.ops.recurrent import _batch_sizes_arg
from tensorgrad.ops.shape import concatenate
from tensorgrad.tensor import Tensor, flag_arg, number_arg

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "pack_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class _Fields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_Fields):
    """Packed sequences, torch's tuple ``(data, batch_sizes, sorted_indices,
    unsorted_indices)``: ``data`` (sum(batch_sizes), *) the steps' rows, ``batch_sizes`` (int64)
    how many sequences have each step, ``sorted_indices`` the batch position of each sorted
    sequence (None: the batch was sorted), ``unsorted_indices`` its inverse (computed from
    ``sorted_indices`` when not given, as torch's). Make one with ``pack_padded_sequence`` or
    ``pack_sequence``."""

    __slots__ = ()

    def __new__(
        cls,
        data: Any,
        batch_sizes: Any = None,
        sorted_indices: Any = None,
        unsorted_indices: Any = None,
    ) -> PackedSequence:
        where = "PackedSequence"
        if batch_sizes is None:
            raise TypeError(f"{where}: batch_sizes is required")
        data = to_tensor(data, where, "data")
        sizes = _int_array(batch_sizes, where, "batch_sizes")
        _batch_sizes_arg(where, sizes)  # (positive and non-increasing, as the time loops check)
        if data.ndim == 0 or len(data) != sizes.sum():
            raise ValueError(
                f"{where}: data of shape {data.shape} must have sum(batch_sizes) = "
                f"{sizes.sum()} rows"
            )
        if sorted_indices is not None:
            sorted_indices = _permutation(sorted_indices, sizes[0], where, "sorted_indices")
            if unsorted_indices is None:
                unsorted_indices = np.argsort(sorted_indices)
        if unsorted_indices is not None:
            unsorted_indices = _permutation(unsorted_indices, sizes[0], where, "unsorted_indices")
        return super().__new__(
            cls,
            data,
            Tensor(sizes),
            None if sorted_indices is None else Tensor(sorted_indices),
            None if unsorted_indices is None else Tensor(unsorted_indices),
        )

    @property
    def is_cuda(self) -> bool:
        """False (torch's attribute: everything here is on the CPU)."""
        return False

    def is_pinned(self) -> bool:
        """False, as torch's for memory that is not pinned."""
        return False

    def to(
        self,
        *args: Any,
        dtype: Any = None,
        device: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
    ) -> PackedSequence:
        """``data`` converted as ``Tensor.to`` converts it (its forms and keywords; the CPU is
        the only device), the rest kept; self when ``data`` is unchanged, as torch's."""
        data = self.data._to("PackedSequence.to", args, dtype, device, non_blocking, copy)
        return self if data is self.data else type(self)(data, *self[1:])

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(np.float32)

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(np.float64)


# ----------------------------------------------------------------------------- argument checks


def _int_array(values: Any, where: str, name: str) -> np.ndarray:
    """``values`` (a list, an array or a Tensor of integers, or of integer-valued floats as
    torch's casts take them) as a 1-D int64 array, else TypeError or ValueError naming
    ``where`` and ``name``."""
    a = values.data if isinstance(values, Tensor) else values
    try:
        a = np.asarray(a)
    except (TypeError, ValueError):
        a = np.asarray(a, dtype=object)
    if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.trunc(a)):
        a = a.astype(np.int64)
    if a.dtype.kind not in "iu" and a.size:
        raise TypeError(f"{where}: {name} must hold integers, got {a.dtype}: {a.tolist()}")
    if a.ndim != 1:
        raise ValueError(f"{where}: {name} must be 1-D, got shape {a.shape}")
    return a.astype(np.int64)


def _permutation(values: Any, n: int, where: str, name: str) -> np.ndarray:
    a = _int_array(values, where, name)
    if len(a) != n or not np.array_equal(np.sort(a), np.arange(n)):
        raise ValueError(f"{where}: {name} must be a permutation of range({n}), got {a.tolist()}")
    return a


def _lengths(lengths: Any, where: str, batch: int) -> np.ndarray:
    """``lengths`` as int64, one per sequence of the batch and each positive (torch's
    checks, its messages)."""
    a = _int_array(lengths, where, "lengths")
    if len(a) != batch:
        raise ValueError(
            f"{where}: Expected `len(lengths)` to be equal to batch_size, but got {len(a)} "
            f"(batch_size={batch})"
        )
    if np.any(a <= 0):
        raise ValueError(
            f"{where}: Length of all samples has to be greater than 0, but found an element in "
            f"'lengths' that is <= 0 (lengths {a.tolist()})"
        )
    return a


def _sequences(sequences: Any, where: str) -> list[Tensor]:
    """``sequences`` (an iterable of (L_i, *) arrays or Tensors, a Tensor's rows) as Tensors
    of one trailing shape, checked."""
    if isinstance(sequences, Tensor):
        if not sequences.ndim:
            raise TypeError(f"{where}: sequences must be an iterable of tensors, got a 0-d Tensor")
        sequences = [sequences[i] for i in range(len(sequences))]
    if not isinstance(sequences, Iterable) or isinstance(sequences, (str, bytes)):
        raise TypeError(
            f"{where}: sequences must be an iterable of tensors, got {type(sequences).__name__}"
        )
    seqs = [to_tensor(s, where, f"sequences[{i}]") for i, s in enumerate(sequences)]
    if not seqs:
        raise ValueError(f"{where}: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if s.ndim == 0:
            raise ValueError(f"{where}: sequences[{i}] must be at least 1-D (L, *), got 0-D")
        if s.shape[1:] != seqs[0].shape[1:]:
            raise ValueError(
                f"{where}: sequences[{i}] of shape {s.shape} and sequences[0] of shape "
                f"{seqs[0].shape} differ past their first axis"
            )
    return seqs


def _padded_gather(source: Tensor, idx: np.ndarray, padding_value: Any, where: str) -> Tensor:
    """``source``'s rows by ``idx`` (same shape as the result's leading axes), the index
    ``len(source)`` taking a constant row of ``padding_value`` (source's dtype)."""
    value = number_arg(padding_value, "padding_value", where, bools=True)
    if source.dtype.kind in "iu":
        info = np.iinfo(source.dtype)
        if not (np.isfinite(value) and info.min <= value <= info.max):
            raise ValueError(
                f"{where}: padding_value {padding_value!r} does not fit data of dtype "
                f"{source.dtype}"
            )
    pad = np.full((1,) + source.shape[1:], value, dtype=source.dtype)
    if not np.any(idx == len(source)):
        return source[idx]
    return concatenate([source, pad])[idx]


# ----------------------------------------------------------------------------- packing


def _packed_layout(batch_sizes: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, lengths)`` of packed data: the first row of each step, and the length of
    each sorted sequence (sequence b has the steps t with batch_sizes[t] > b, its rows
    starts[t] + b)."""
    sizes = np.asarray(batch_sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return starts, (sizes[None, :] > np.arange(sizes[0])[:, None]).sum(axis=1)


def _pack(x: Tensor, lengths: np.ndarray, batch_first: bool, enforce_sorted: bool, where: str):
    """``pack_padded_sequence`` of checked arguments."""
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise ValueError(
                f"{where}: `lengths` array must be sorted in decreasing order when "
                f"`enforce_sorted` is True (got {lengths.tolist()}). You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                "sidestep this requirement if you do not need ONNX exportability."
            )
        order, sorted_indices = np.arange(len(lengths)), None
    else:
        order = sorted_indices = np.argsort(-lengths, kind="stable")  # (ties in batch order)
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    lengths = lengths[order]
    if lengths[0] > steps:
        # (torch 2.13 reads past the input's end here)
        raise ValueError(
            f"{where}: a sequence of length {lengths[0]} in an input of {steps} steps "
            f"(shape {x.shape}, batch_first={batch_first})"
        )
    t, b = np.nonzero(np.arange(lengths[0])[:, None] < lengths[None, :])  # (packed order)
    rows = order[b] * steps + t if batch_first else t * batch + order[b]
    data = x.reshape((steps * batch,) + x.shape[2:])[rows]
    batch_sizes = (lengths[None, :] > np.arange(lengths[0])[:, None]).sum(axis=1)
    return PackedSequence(data, batch_sizes, sorted_indices)


def pack_padded_sequence(
    input: Any, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch of sequences, torch's: ``input`` (L, B, *) ((B, L, *) if
    ``batch_first``) and each sequence's length (a list, array or Tensor), sorted decreasing
    unless ``enforce_sorted`` is False (then sorted here, ties in batch order, and the
    permutation kept in ``sorted_indices``). Differentiable in ``input``."""
    where = "pack_padded_sequence"
    batch_first = flag_arg(batch_first, "batch_first", where)
    enforce_sorted = flag_arg(enforce_sorted, "enforce_sorted", where)
    x = to_tensor(input, where)
    if x.ndim < 2:
        raise ValueError(f"{where}: input must be at least 2-D (L, B, *), got shape {x.shape}")
    batch = x.shape[0] if batch_first else x.shape[1]
    return _pack(x, _lengths(lengths, where, batch), batch_first, enforce_sorted, where)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``, torch's: ``(padded, lengths)``, padded (T, B, *)
    ((B, T, *) if ``batch_first``) in the original batch order, filled with ``padding_value``
    past each sequence's end, T the longest length or ``total_length`` (at least that), and
    the lengths (int64). Differentiable in ``sequence.data``."""
    where = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(
            f"{where}: sequence must be a PackedSequence, got {type(sequence).__name__}"
        )
    batch_first = flag_arg(batch_first, "batch_first", where)
    data, sizes = sequence.data, sequence.batch_sizes.data
    steps = len(sizes)
    if total_length is not None:
        if isinstance(total_length, bool) or not isinstance(total_length, (int, np.integer)):
            raise TypeError(
                f"{where}: total_length must be an int, got {type(total_length).__name__}"
            )
        if total_length < steps:
            raise ValueError(
                f"{where}: Expected total_length to be at least the length of the longest "
                f"sequence in input, but got total_length={total_length} and max sequence "
                f"length being {steps}"
            )
        steps = int(total_length)
    batch = int(sizes[0])
    lengths = _packed_layout(sizes)[1]  # (sorted order)
    idx = np.full((steps, batch), len(data), np.intp)
    idx[np.nonzero(np.arange(steps)[:, None] < lengths[None, :])] = np.arange(len(data))
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        idx, lengths = idx[:, unsorted.data], lengths[unsorted.data]
    padded = _padded_gather(data, idx.T if batch_first else idx, padding_value, where)
    return padded, Tensor(lengths.astype(np.int64))


def pad_sequence(
    sequences: Any,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Pad sequences (L_i, *) of one trailing shape into (max L_i, B, *) ((B, max L_i, *) if
    ``batch_first``), torch's: ``padding_value`` after each (``padding_side='left'``: before),
    in the first sequence's dtype (torch's: the others are cast to it). Differentiable in each
    sequence."""
    where = "pad_sequence"
    batch_first = flag_arg(batch_first, "batch_first", where)
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"{where}: Expected padding_side to be one of left or right, but got {padding_side!r}."
        )
    seqs = _sequences(sequences, where)
    dtype = seqs[0].dtype
    seqs = [s if s.dtype == dtype else s.astype(dtype) for s in seqs]
    lengths = np.array([len(s) for s in seqs])
    starts = np.concatenate([[0], np.cumsum(lengths)])
    steps, total = int(lengths.max()), int(starts[-1])
    idx = np.full((steps, len(seqs)), total, np.intp)
    for b, n in enumerate(lengths):
        at = slice(0, n) if padding_side == "right" else slice(steps - n, steps)
        idx[at, b] = np.arange(starts[b], starts[b + 1])
    source = seqs[0] if len(seqs) == 1 else concatenate(seqs)
    return _padded_gather(source, idx.T if batch_first else idx, padding_value, where)


def pack_sequence(sequences: Any, enforce_sorted: bool = True) -> PackedSequence:
    """Pack sequences (L_i, *) of one trailing shape, torch's: their lengths sorted decreasing
    unless ``enforce_sorted`` is False (as ``pack_padded_sequence``). Differentiable in each
    sequence."""
    where = "pack_sequence"
    enforce_sorted = flag_arg(enforce_sorted, "enforce_sorted", where)
    seqs = _sequences(sequences, where)
    lengths = _lengths([len(s) for s in seqs], where, len(seqs))
    return _pack(pad_sequence(seqs), lengths, False, enforce_sorted, where)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a PackedSequence, torch's: a list of (L_i, *) Tensors in the original
    batch order. Differentiable in ``data``."""
    where = "unpack_sequence"
    if not isinstance(packed_sequences, PackedSequence):
        raise TypeError(
            f"{where}: packed_sequences must be a PackedSequence, got "
            f"{type(packed_sequences).__name__}"
        )
    data, sizes = packed_sequences.data, packed_sequences.batch_sizes.data
    starts = _packed_layout(sizes)[0]
    batch = int(sizes[0])
    unsorted = packed_sequences.unsorted_indices
    order = np.arange(batch) if unsorted is None else unsorted.data
    return [data[starts[sizes > b] + b] for b in order]


def unpad_sequence(padded_sequences: Any, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The sequences of a padded batch (L, B, *) ((B, L, *) if ``batch_first``), torch's: a
    list of each one's first ``lengths[b]`` steps (a length past L gives the L steps, as
    torch's slices). Differentiable in ``padded_sequences``."""
    where = "unpad_sequence"
    batch_first = flag_arg(batch_first, "batch_first", where)
    x = to_tensor(padded_sequences, where, "padded_sequences")
    if x.ndim < 2:
        raise ValueError(
            f"{where}: padded_sequences must be at least 2-D (L, B, *), got shape {x.shape}"
        )
    batch = x.shape[0] if batch_first else x.shape[1]
    n = _int_array(lengths, where, "lengths")
    if len(n) != batch:
        raise ValueError(
            f"{where}: {len(n)} lengths for a batch of {batch} (padded_sequences of shape "
            f"{x.shape}, batch_first={batch_first})"
        )
    if np.any(n < 0):
        raise ValueError(f"{where}: lengths must be non-negative, got {n.tolist()}")
    if batch_first:
        return [x[b, : int(k)] for b, k in enumerate(n)]
    return [x[: int(k), b] for b, k in enumerate(n)]
