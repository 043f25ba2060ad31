"""Indexing: ``t[index]`` (basic and advanced), ``take``, ``take_along_axis``, ``sort`` (a
gather in sorted order), and the scatter-add that is their adjoint.

``getitem`` and ``scatter_add`` are each other's adjoints, so indexing is differentiable to any
order; repeated integer indices accumulate gradient (``np.add.at``).
"""

from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple

import numpy as np

from tensorgrad._dtypes import check_args
from tensorgrad.ops._base import Op, apply, call, mark_view
from tensorgrad.tensor import Tensor, is_int

__all__ = ["getitem", "take", "take_along_axis", "sort", "argsort", "topk"]


def index_array(indices: Any, what: str = "getitem") -> np.ndarray:
    """``indices`` (an array, a Tensor or a Python sequence) as an array; an empty sequence is
    an empty integer array, as NumPy reads it as an index (``np.asarray([])`` is float64)."""
    if isinstance(indices, Tensor):
        return indices.data
    try:
        out = np.asarray(indices)
    except ValueError:  # (NumPy's 'setting an array element with a sequence', on a read)
        raise ValueError(
            f"{what}: the index {indices!r:.60} is a ragged nested sequence, not an array"
        ) from None
    if not out.size and isinstance(indices, (list, tuple, range)):
        out = out.astype(np.intp)
    return out


def normalize_index(index: Any, what: str = "getitem") -> tuple[Any, bool]:
    """The index as NumPy takes it (Tensors and lists become arrays), and whether it is basic
    (ints, slices, None, Ellipsis only: a view with no repeated entries); an IndexError names
    ``what``."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    basic = True
    for p in parts:
        kind = type(p)
        # (the common parts first, past the checks below: slices of ints or None, ints,
        # None, Ellipsis; a slice's generic check took most of a small getitem's time)
        if kind is slice:
            start, stop, step = p.start, p.stop, p.step
            if (
                (start is None or type(start) is int)
                and (stop is None or type(stop) is int)
                and (step is None or type(step) is int)
            ):
                out.append(p)
                continue
        elif kind is int or p is None or p is Ellipsis:
            out.append(p)
            continue
        fresh = False  # (an array made here, which no caller can write into)
        if isinstance(p, Tensor):
            p = p.data
        if isinstance(p, (list, tuple, range)):  # (a sequence inside the index: NumPy's array)
            p = index_array(p, what)
            fresh = True
        if isinstance(p, np.ndarray):
            if p.dtype.kind not in "iub":
                raise IndexError(
                    f"{what}: index arrays must be integer or bool, got dtype {p.dtype}"
                )
            if p.ndim == 0 and p.dtype.kind in "iu":
                p = int(p)
            else:
                basic = False
                if not fresh:
                    # NOTE: a copy, as torch copies an index: the adjoint scatters where the
                    # forward gathered even if the caller writes into its index array later
                    p = p.copy()
        elif isinstance(p, (bool, np.bool_)):
            basic = False
        elif hasattr(type(p), "__index__") and not isinstance(p, (int, np.integer)):
            p = operator.index(p)  # (an integer-like object, as NumPy takes it)
        elif type(p) is slice and not all(
            b is None or hasattr(type(b), "__index__") for b in (p.start, p.stop, p.step)
        ):
            raise TypeError(f"{what}: slice indices must be integers or None, got {p!r}")
        elif not isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))):
            raise IndexError(
                f"{what}: only integers, slices, None, Ellipsis and integer or bool arrays are "
                f"valid indices, got {type(p).__name__}"
            )
        out.append(p)
    return tuple(out), basic


def rows_summed(index: np.ndarray, rows: np.ndarray, num: int) -> np.ndarray:
    """A zero array of ``num`` rows shaped as ``rows``' with row ``k`` of ``rows`` added at
    ``index[k]`` (a 1-D integer array; repeated entries add up, in their order): ``np.add.at``
    itself, given flat positions past a thousand entries, where its per-row path takes 2-3x
    as long (the same additions in the same order: the same bits)."""
    out = np.zeros((num,) + rows.shape[1:], dtype=rows.dtype)
    if rows.size < 1024 or rows.ndim == 1:
        np.add.at(out, index, rows)
        return out
    inner = rows.size // len(rows)
    if index.dtype.kind == "i":
        index = np.where(index < 0, index + num, index)
    positions = (index.astype(np.intp) * inner)[:, None] + np.arange(inner)
    np.add.at(out.reshape(-1), positions.reshape(-1), rows.reshape(-1))
    return out


def _along_one_axis(index: tuple) -> bool:
    """Whether ``index`` is full slices then one 1-D integer array (x[:, :, idx])."""
    if len(index) < 2:
        return False
    last = index[-1]
    return (
        type(last) is np.ndarray
        and last.ndim == 1
        and last.dtype.kind in "iu"
        and all(type(p) is slice and p == slice(None) for p in index[:-1])
    )


def _summed_along(index: np.ndarray, delta: np.ndarray, axis: int, shape: tuple) -> np.ndarray:
    """``rows_summed`` along ``axis``: that axis moved first and the rest flattened, so that
    each copy is added at its entry's row (np.add.at with the index in place took 1.4x as long
    with random picks, 5x with repeat's sorted ones; the same additions in the same order)."""
    rows = np.moveaxis(delta, axis, 0)
    rest = rows.shape[1:]
    summed = rows_summed(index, rows.reshape(len(index), math.prod(rest)), shape[axis])
    return np.ascontiguousarray(np.moveaxis(summed.reshape((shape[axis],) + rest), 0, axis))


class GetItem(Op):
    """x[index]"""

    __slots__ = ("index", "basic")
    label = "getitem"
    linear = True

    def __init__(self, index, basic):
        self.index = index
        self.basic = basic

    @property
    def frees(self) -> tuple[str, ...]:
        # an advanced index (often as large as the output) goes after backward, as torch's;
        # a basic one stays: a view is derived again from its base with it (``rebase``)
        return () if self.basic else ("index",)

    def forward(self, x):
        return x[self.index]

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = ScatterAdd.apply(
            delta, shape=self.in_shape(0), index=self.index, basic=self.basic
        )


class ScatterAdd(Op):
    """A zero tensor of ``shape`` with ``delta`` added at ``index`` (the adjoint of getitem)"""

    __slots__ = ("shape", "index", "basic")
    linear = True

    def __init__(self, shape, index, basic):
        self.shape = shape
        self.index = index
        self.basic = basic

    @property
    def frees(self) -> tuple[str, ...]:
        # (an advanced index goes after backward, as getitem's: diag's scatter keeps none)
        return () if self.basic else ("index",)

    def forward(self, delta):
        index = self.index
        if (
            len(index) == 1
            and type(index[0]) is np.ndarray
            and index[0].dtype.kind in "iu"
            and len(self.shape) <= 32
        ):  # (rows picked by one integer array: x[idx], the common gather)
            rows = delta.reshape((index[0].size,) + tuple(self.shape[1:]))
            return rows_summed(index[0].reshape(-1), rows, self.shape[0])
        # (x[:, idx] with as many picks as the axis has entries or more: take along an axis,
        # repeat's per-entry counts; fewer picks of a wide axis are faster by np.add.at, which
        # writes only their rows)
        axis = len(index) - 1
        if _along_one_axis(index) and len(index[-1]) >= self.shape[axis]:
            return _summed_along(index[-1], delta, axis, self.shape)
        out = np.zeros(self.shape, dtype=delta.dtype)
        if self.basic:
            out[self.index] = delta
        elif out.ndim > 32 or delta.ndim > 32:
            # NOTE: np.add.at crashes the interpreter (segfault) past 32 dimensions in NumPy
            # 2.4, so add at flat positions instead: the index picks them from an arange.
            flat = np.arange(out.size).reshape(out.shape)[self.index]
            np.add.at(out.reshape(-1), flat.reshape(-1), np.broadcast_to(delta, flat.shape).ravel())
        else:
            np.add.at(out, self.index, delta)
        return out

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = GetItem.apply(delta, index=self.index, basic=self.basic)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with NumPy's basic and advanced indexing; basic indices give a view that
    shares ``x``'s version counter."""
    idx, basic = normalize_index(index)
    if isinstance(x, Tensor):
        data = x.data
    else:
        check_args("getitem", x=x)  # (a list holding Tensors that require grad, strings, ...)
        data = np.asarray(x)
    if basic and len(idx) == data.ndim and Ellipsis not in idx:
        idx += (Ellipsis,)  # (so that an int per axis gives a 0-d view, not a copied scalar)
    op = GetItem(idx, basic)
    try:
        out = apply(op, (x if isinstance(x, Tensor) else data,))  # (a Python number: its array)
    except (IndexError, ValueError) as exc:  # (ValueError: a slice step of 0)
        raise type(exc)(f"getitem: {exc} (tensor of shape {data.shape})") from None
    if not isinstance(out, Tensor):
        return Tensor._make(np.asarray(out))
    if basic:
        mark_view(out, x, op)
    return out


def _integer_indices(indices: Any, op: str) -> np.ndarray:
    """``indices`` as an integer array (a bool one would act as a mask), else IndexError."""
    ind = index_array(indices, op)
    if ind.dtype.kind not in "iu":
        raise IndexError(f"{op}: indices must be integers, got dtype {ind.dtype}")
    return ind


def _check_bounds(ind: np.ndarray, n: int, op: str, along: str, shape: tuple) -> None:
    """IndexError naming the first of ``ind`` outside [-n, n)."""
    if ind.size and (ind.min() < -n or ind.max() >= n):
        bad = ind[(ind < -n) | (ind >= n)].flat[0]
        raise IndexError(f"{op}: index {bad} is out of bounds{along} with size {n} (shape {shape})")


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Entries of ``x`` at integer ``indices`` along ``axis`` (flattened when None), as NumPy."""
    from tensorgrad._shapes import normalize_int_axis
    from tensorgrad.ops.shape import reshape, reshaped

    check_args("take", x=x)  # (else named after the reshape it is made of)
    ind = _integer_indices(indices, "take")
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if axis is None:
        x, ax, n = reshape(x, -1), 0, data.size
    else:
        ax = normalize_int_axis(axis, data.ndim, "take")
        if 0 in data.shape[:ax]:  # NumPy checks no index when there is nothing to take from
            return reshape(x, data.shape[:ax] + ind.shape + data.shape[ax + 1 :])
        x, n = (x if isinstance(x, Tensor) else data), data.shape[ax]
    _check_bounds(ind, n, "take", "" if axis is None else f" along axis {ax}", data.shape)
    lead = (slice(None),) * ax
    if ind.ndim == 0:  # (a 0-d index would be basic indexing, a view: take always copies)
        out = getitem(x, lead + (ind.reshape(1),))
        return reshaped(out, out.shape[:ax] + out.shape[ax + 1 :])
    return getitem(x, lead + (ind,))


def take_along_axis(arr: Any, indices: Any, axis: int | None = -1) -> Tensor:
    """``arr``'s entries at ``indices`` along ``axis``, matched by position along the others
    (which broadcast), as NumPy's (``axis=None``: of the flattened ``arr``, with 1-D
    ``indices``): the gather ``torch.gather`` is, its gradient added back at the indices."""
    from tensorgrad._shapes import normalize_int_axis
    from tensorgrad.ops.shape import reshape

    check_args("take_along_axis", arr=arr)
    ind = _integer_indices(indices, "take_along_axis")
    data = arr.data if isinstance(arr, Tensor) else np.asarray(arr)
    if axis is None:
        if ind.ndim != 1:
            raise ValueError(
                f"take_along_axis: with axis=None, indices must be 1-D, got shape {ind.shape}"
            )
        arr, data = reshape(arr, -1), data.reshape(-1)
        axis = 0
    ax = normalize_int_axis(axis, data.ndim, "take_along_axis")
    if ind.ndim != data.ndim:
        raise ValueError(
            f"take_along_axis: indices of shape {ind.shape} and arr of shape {data.shape} must "
            "have as many dimensions"
        )
    others = tuple(1 if i == ax else n for i, n in enumerate(data.shape))
    if not all(p == q or 1 in (p, q) for p, q in zip(ind.shape, others)):
        raise ValueError(
            f"take_along_axis: indices of shape {ind.shape} do not broadcast against arr of "
            f"shape {data.shape} along the axes other than {ax}"
        )
    _check_bounds(ind, data.shape[ax], "take_along_axis", f" along axis {ax}", data.shape)
    return _gather_along(
        arr if isinstance(arr, Tensor) else Tensor(data), ind, ax, "take_along_axis"
    )


def _gather_along(x: Tensor, ind: np.ndarray, ax: int, op: str) -> Tensor:
    """``x`` at ``ind`` along ``ax`` (checked), matched by position along the other axes:
    NumPy's fancy index, an arange of x's length on every other axis, broadcast against
    ``ind``; an index NumPy refuses (past 63 arrays) named as ``op``'s."""
    index = tuple(
        ind if i == ax else np.arange(m).reshape([-1 if j == i else 1 for j in range(x.ndim)])
        for i, m in enumerate(x.shape)
    )
    try:
        return call(GetItem, x, index=index, basic=False)
    except IndexError as exc:
        raise IndexError(f"{op}: {exc} (shape {x.shape})") from None


def _check_sort_args(kind: Any, order: Any, stable: Any, op: str) -> None:
    """NumPy's checks of ``kind`` and ``stable`` (its errors, naming ``op``); ``order`` is for
    structured arrays, which tensors never are."""
    if order is not None:
        raise ValueError(f"{op}: order is for structured arrays, which tensors are not")
    try:
        np.argsort(np.zeros(1), kind=kind, stable=stable)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{op}: {exc}") from None


def sort(
    a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
    stable: bool | None = None,
) -> Tensor:  # fmt: skip
    """``a`` sorted along ``axis`` (None: flattened), as NumPy's (NaNs last), always stably
    whatever ``kind``: a gather whose gradient goes back to each entry's place (torch's
    ``sort`` values)."""
    from tensorgrad._shapes import normalize_int_axis
    from tensorgrad.ops.shape import reshape

    check_args("sort", a=a)
    _check_sort_args(kind, order, stable, "sort")
    x = a if isinstance(a, Tensor) else Tensor(a)
    if axis is None:
        x = reshape(x, -1)
        axis = 0
    if x.ndim == 0:
        raise ValueError("sort: a 0-d array has no axis to sort along (use axis=None)")
    ax = normalize_int_axis(axis, x.ndim, "sort")
    try:
        order_ = np.argsort(x.data, axis=ax, kind="stable")
    except RuntimeError as exc:  # (NumPy's sort stops at 32 dimensions along some axes)
        raise ValueError(f"sort: {exc}") from None
    # (take_along_axis's gather, its checks skipped: argsort's indices are in range)
    return _gather_along(x, order_, ax, "sort")


def argsort(
    a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None, *,
    stable: bool | None = None,
) -> Tensor:  # fmt: skip
    """The indices that sort ``a`` along ``axis`` (None: flattened), as NumPy's, always
    stably whatever ``kind``; no gradient."""
    check_args("argsort", a=a)
    _check_sort_args(kind, order, stable, "argsort")
    from tensorgrad._shapes import normalize_int_axis

    data = a.data if isinstance(a, Tensor) else np.asarray(a)
    if axis is not None and data.ndim:  # (checked as sort checks it; a 0-d a is NumPy's [0])
        axis = normalize_int_axis(axis, data.ndim, "argsort")
    try:
        out = np.argsort(data, axis=axis, kind="stable")
    except (TypeError, ValueError) as exc:  # (a bad axis: NumPy's message)
        raise type(exc)(f"argsort: {exc}") from None
    except RuntimeError as exc:  # (NumPy's sort stops at 32 dimensions along some axes)
        raise ValueError(f"argsort: {exc}") from None
    return Tensor._make(out.astype(np.int64))


class TopkResult(NamedTuple):
    """``topk``'s result, as torch's: the values and their indices along the axis."""

    values: Tensor
    indices: Tensor


def topk(
    input: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True
) -> TopkResult:  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) entries along ``dim``, as torch's:
    in order, largest first (smallest first), ties in the order of their indices, NaN taken as
    larger than every number; the values a gather whose gradient goes back to each entry's
    place (``sorted=False`` gives them sorted too, one of the orders torch allows)."""
    from tensorgrad._shapes import normalize_int_axis
    from tensorgrad.ops.shape import reshaped
    from tensorgrad.tensor import flag_arg

    check_args("topk", input=input)
    x = input if isinstance(input, Tensor) else Tensor(input)
    largest = flag_arg(largest, "largest", "topk")
    flag_arg(sorted, "sorted", "topk")
    if not is_int(k):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    if x.ndim == 0:  # (its one entry, for k 0 or 1 and dim 0 or -1, as torch's)
        normalize_int_axis(dim, 1, "topk")
        if k not in (0, 1):
            raise ValueError(f"topk: k = {k} is out of range for a 0-d input")
        values, indices = topk(reshaped(x, (1,)), 1, 0, largest)
        return TopkResult(reshaped(values, ()), Tensor._make(np.zeros((), np.int64)))
    ax = normalize_int_axis(dim, x.ndim, "topk")
    n = x.shape[ax]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k = {k} is out of range for dim {dim} of size {n} (shape "
                         f"{x.shape})")  # fmt: skip
    if 0 < 4 * k <= n and x.ndim <= 32:  # (a few of many: a partition, then k sorted)
        order = np.moveaxis(_first_k(np.moveaxis(x.data, ax, -1), k, largest), -1, ax)
    elif largest:  # (descending, ties by ascending index: a stable sort of the reversed axis)
        order = np.argsort(np.flip(x.data, ax), axis=ax, kind="stable")
        order = (n - 1 - np.flip(order, ax)).take(np.arange(k), axis=ax)
    else:
        order = np.argsort(x.data, axis=ax, kind="stable").take(np.arange(k), axis=ax)
    return TopkResult(_gather_along(x, order, ax, "topk"), Tensor._make(order.astype(np.int64)))


def _order_keys(a: np.ndarray, largest: bool) -> np.ndarray:
    """Integers ordered as topk takes ``a``'s entries (the first wanted largest): a float's
    bits made monotone (NaN above inf, -0.0 as 0.0), an integer itself; reversed for
    ``largest=False``."""
    if a.dtype.kind == "f":
        f = np.where(np.isnan(a), np.nan, a.astype(np.float64) + 0.0)  # (one NaN, no -0.0)
        bits = f.view(np.int64)
        keys = np.where(bits < 0, np.int64(-(2**63)) - bits - 1, bits)  # (monotone in f)
    else:
        keys = a.astype(np.uint64 if a.dtype.kind == "u" else np.int64)
    return keys if largest else ~keys


def _first_k(a: np.ndarray, k: int, largest: bool) -> np.ndarray:
    """The indices along the last axis of topk's first ``k`` entries, in its order (ties by
    index): the k-th by a partition, the entries past it and as many tied ones as are wanted
    (the first by index), then a stable sort of those k alone. Floats with no NaN are
    compared as they are (-0.0 ties 0.0), others by integer keys in the wanted order (NaN the
    largest); no negated copy: a fresh 2 MB array cost up to 4 ms here."""
    n = a.shape[-1]
    if a.dtype.kind == "f" and not np.isnan(a).any():
        keys, at = a, (n - k if largest else k - 1)
        beyond = np.greater if largest else np.less
    else:
        keys, at, beyond = _order_keys(a, largest), n - k, np.greater
    kth = np.partition(keys, at, axis=-1)[..., at, None]
    past = beyond(keys, kth)
    tied = keys == kth
    wanted = k - past.sum(axis=-1, keepdims=True)
    take = past | tied
    if not np.array_equal(tied.sum(axis=-1, keepdims=True), wanted):
        # (ties past the k-th: the first by index; a running count, 3.4 ms at 256 x 1000)
        take = past | (tied & (np.cumsum(tied, axis=-1) <= wanted))
    picked = np.nonzero(take.reshape(-1, n))[1].reshape(a.shape[:-1] + (k,))
    chosen = np.take_along_axis(keys, picked, axis=-1)
    if beyond is np.greater:  # (descending: the keys reversed, integers or floats)
        chosen = ~chosen if chosen.dtype.kind != "f" else -chosen
    return np.take_along_axis(picked, np.argsort(chosen, axis=-1, kind="stable"), axis=-1)
