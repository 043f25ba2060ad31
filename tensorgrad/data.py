"""Datasets and mini-batch loading, as in PyTorch: ``Dataset``, ``TensorDataset``, ``Subset``,
``ConcatDataset``, ``random_split`` and ``DataLoader``.

Batches of a ``TensorDataset`` are gathered with one integer-array index per tensor (a single
NumPy fancy-index copy), never by stacking rows in a Python loop.
"""

from __future__ import annotations

import bisect
import copy
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from tensorgrad._dtypes import native
from tensorgrad.factories import default_rng, seeded_generator
from tensorgrad.tensor import Tensor, carries_derivative

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader"]


def _wrap(array: np.ndarray) -> Tensor:
    """A Tensor over ``array`` without another copy (the gather already made a fresh one), or
    over a native-order copy of big-endian data (tensors hold native data)."""
    return Tensor._make(native(array))


class Dataset:
    """torch's map-style dataset base: a subclass gives ``__getitem__`` (and ``__len__`` for a
    DataLoader); ``a + b`` concatenates two datasets."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows (first-axis entries) of several Tensors or arrays of equal length.

    ``dataset[i]`` returns a tuple with row ``i`` of each tensor, as Tensors. ``i`` may be an
    int, a slice or an integer array (a whole batch at once). Arrays are kept as given, not
    copied; a Tensor that requires grad (or carries a jvp's tangent) is indexed through
    tensorgrad, so its graph (and tangent) is kept.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        items: list[Tensor | np.ndarray] = []
        for pos, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                t = np.asarray(t)
                if t.dtype.kind not in "biuf":  # (as a tensor's: complex is refused too)
                    raise TypeError(
                        f"TensorDataset: tensor {pos} has dtype {t.dtype}; tensors hold bool, "
                        "integer or floating data"
                    )
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {pos} is 0-d; it needs a first axis")
            items.append(t)
        sizes = [t.shape[0] for t in items]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                f"TensorDataset: size mismatch between tensors: first dimensions {sizes}"
            )
        self.tensors: tuple[Tensor | np.ndarray, ...] = tuple(items)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        out = []
        for t in self.tensors:
            if isinstance(t, Tensor):
                # (through tensorgrad: a row is a view sharing t's version counter, so that an
                # in-place write to either is seen by graphs that saved the other)
                out.append(t[index])
            else:
                out.append(_wrap(np.asarray(t[index])))
        return tuple(out)

    def _batch(self, indices: Sequence[int] | np.ndarray) -> tuple[Tensor, ...]:
        """A whole batch: rows ``indices`` of every tensor, gathered in one indexing step each."""
        return self[np.asarray(indices, dtype=np.intp)]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (a view: nothing is copied)."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):  # (a batch's indices: torch's too)
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch's samples: through the dataset's own ``__getitems__`` if it has one."""
        batched = getattr(self.dataset, "__getitems__", None)
        if callable(batched):
            return batched([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after another (``cumulative_sizes``: the running totals of their
    lengths); negative indices count from the end, as a list's."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets must not be empty")
        total, sizes = 0, []
        for i, d in enumerate(self.datasets):
            if not hasattr(d, "__len__") or not hasattr(d, "__getitem__"):
                raise TypeError(
                    f"ConcatDataset: datasets[{i}] must have a length and be indexable, got "
                    f"{type(d).__name__}"
                )
            total += len(d)
            sizes.append(total)
        self.cumulative_sizes = sizes

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"ConcatDataset: an index must be an int, got {index!r}")
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {n}")
        index = int(index) % n
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


def random_split(
    dataset: Any, lengths: Sequence[int | float], rng: np.random.Generator | int | None = None
) -> list[Subset]:
    """``dataset`` cut at random into disjoint ``Subset`` s of the given lengths (ints summing
    to its length, or fractions summing to 1: each the floor of its share, the rest of the
    samples given one each to the first parts, as torch's), from one permutation drawn from
    ``rng`` (a Generator or an int seed; tensorgrad's generator by default)."""
    gen = seeded_generator(rng, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    for i, k in enumerate(lengths):
        if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)):
            raise TypeError(f"random_split: lengths[{i}] must be an int or a float, got {k!r}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: the fraction lengths[{i}] = {f} is not in [0, 1]")
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, k in enumerate(counts):
            if k == 0:
                warnings.warn(
                    f"random_split: the part at index {i} is empty", UserWarning, stacklevel=2
                )
    else:
        counts = []
        for i, k in enumerate(lengths):
            if not float(k).is_integer() or k < 0:
                raise ValueError(
                    f"random_split: lengths must be counts of at least 0 or fractions summing "
                    f"to 1, got lengths[{i}] = {k}"
                )
            counts.append(int(k))
        if sum(counts) != n:
            raise ValueError(
                f"random_split: the lengths sum to {sum(counts)}, the dataset's length is {n}"
            )
    order = (gen if gen is not None else default_rng()).permutation(n).tolist()
    parts, start = [], 0
    for k in counts:
        parts.append(Subset(dataset, order[start : start + k]))
        start += k
    return parts


def _collate(samples: list[Any]) -> Any:
    """Stack a list of samples (Tensors, arrays, numbers, or tuples or dicts of these) into a
    batch, as torch's default collate (a list of fields, a dict of its type); samples that
    require grad (or carry a tangent) are stacked through tensorgrad, so their graph (and
    tangents) are kept."""
    first = samples[0]
    if isinstance(first, (str, bytes)):  # (as torch's collate: strings stay a list)
        return list(samples)
    if isinstance(first, (tuple, list, dict)):
        kind = dict if isinstance(first, dict) else (tuple, list)
        for s in samples:  # (as torch: no sample's extra fields dropped, none missing)
            if not isinstance(s, kind) or len(s) != len(first):
                raise ValueError(
                    f"DataLoader: samples of one batch must have the same structure, got "
                    f"{type(first).__name__} of {len(first)} and {type(s).__name__} of "
                    f"{len(s) if isinstance(s, (tuple, list, dict)) else 'no'} fields"
                )
    if isinstance(first, (tuple, list)):
        fields = (_collate([s[k] for s in samples]) for k in range(len(first)))
        if hasattr(first, "_fields"):  # (a namedtuple stays one, as torch's collate)
            return type(first)(*fields)
        return list(fields)  # (a list for tuples too, as torch's)
    if isinstance(first, dict):
        if any(s.keys() != first.keys() for s in samples):
            raise ValueError("DataLoader: samples of one batch must have the same dict keys")
        batch = copy.copy(first)  # (its own type, an OrderedDict's too, as torch's collate)
        batch.update({k: _collate([s[k] for s in samples]) for k in first})
        return batch
    if any(carries_derivative(s) for s in samples):
        from tensorgrad.ops.shape import stack

        return stack(samples)
    arrays = [s.data if isinstance(s, Tensor) else np.asarray(s) for s in samples]
    for i, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise ValueError(
                f"DataLoader: samples of one batch must have the same shape, got {arrays[0].shape} "
                f"(entry 0 of the batch) and {a.shape} (entry {i})"
            )
    batch = np.stack(arrays)
    if batch.dtype.kind not in "biuf":
        raise TypeError(
            f"DataLoader: a batch of these samples has dtype {batch.dtype} (the first sample is "
            f"a {type(first).__name__}); tensors hold bool, integer or floating data"
        )
    return _wrap(batch)


def _gatherable(dataset: Any) -> tuple[TensorDataset | None, np.ndarray | None]:
    """The plain TensorDataset beneath ``dataset`` (itself, or through plain Subsets) and the
    rows its samples are (None: all, in order), so that a batch is one gather; (None, None)
    for a dataset whose samples go through its own code. (A subclass's own __getitem__, a
    per-sample transform, is called per sample, and its own __getitems__ for the batch's
    indices, as torch's.)"""
    picks = None
    while type(dataset) is Subset:
        at = np.asarray(dataset.indices, dtype=np.intp)
        picks = at if picks is None else at[picks]
        dataset = dataset.dataset
    kind = type(dataset)
    plain = (
        issubclass(kind, TensorDataset)
        and kind.__getitem__ is TensorDataset.__getitem__
        and not hasattr(kind, "__getitems__")
    )
    return (dataset, picks) if plain else (None, None)


class DataLoader:
    """Iterate over ``dataset`` in mini-batches of ``batch_size`` samples.

    With ``shuffle``, each epoch (each ``iter()``) draws a new permutation from ``rng``: a
    ``numpy.random.Generator``, or an int seed that makes one generator for the loader's life,
    so a seeded run reproduces every epoch while epochs differ. ``drop_last`` drops a final
    incomplete batch. A ``TensorDataset`` is indexed a batch at a time (not a subclass with its
    own ``__getitem__`` or ``__getitems__``); any other ``len``-and-index dataset has its samples
    stacked, those it gives for a list of indices if it has torch's ``__getitems__``.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        rng: np.random.Generator | int | None = None,
        drop_last: bool = False,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            # (a generator or other iterable: torch's IterableDataset has no counterpart here)
            raise TypeError(
                f"DataLoader: the dataset must have a length and be indexable (a "
                f"TensorDataset, a list, a map-style dataset), got {type(dataset).__name__}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        if not isinstance(drop_last, (bool, np.bool_)):  # ('no' is truthy: refused, as torch)
            raise TypeError(f"DataLoader: drop_last must be a bool, got {drop_last!r}")
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        # (checked even when unused: a typo is never ignored)
        rng = seeded_generator(rng, "DataLoader")
        self.rng = rng if self.shuffle else None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        if self.shuffle:  # (no rng: tensorgrad's generator, which tg.manual_seed seeds)
            order = (self.rng if self.rng is not None else default_rng()).permutation(n)
        else:
            order = np.arange(n)
        rows, picks = _gatherable(self.dataset)
        batched = None if rows is not None else getattr(self.dataset, "__getitems__", None)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            if rows is not None:  # (a list of the tensors' rows, as torch's collate of tuples)
                yield list(rows._batch(idx if picks is None else picks[idx]))
            elif batched is not None:  # (a list of samples, as torch's fetcher reads it)
                yield _collate(list(batched(idx.tolist())))
            else:
                yield _collate([self.dataset[int(i)] for i in idx])
