"""Layer primitives: linear, dropout, embedding.

``Linear`` is bilinear in (x, w), plus an optional bias in the same node; its rules are written
with ``@`` and ``.T`` so that they run on ndarrays and, under ``create_graph``, on Tensors.
``Dropout`` multiplies by a fixed mask drawn once by the public function, so it is linear in x.
``EmbeddingGather`` / ``EmbeddingScatter`` are each other's adjoints (row gather, and row
scatter-add with repeated indices summed).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import ndarray

from tensorgrad._dtypes import check_args, to_tensor
from tensorgrad._shapes import broadcasts_to, unbroadcast
from tensorgrad.ops._base import Op, apply, call
from tensorgrad.ops.indexing import rows_summed
from tensorgrad.ops.linalg import _mm, _outer, _product
from tensorgrad.tensor import Tensor, flag_arg, is_int, number_arg

__all__ = ["linear", "dropout", "dropout1d", "dropout2d", "embedding"]


def _shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, Tensor):
        return x.data.shape
    return x.shape if isinstance(x, ndarray) else np.shape(x)


# ----------------------------------------------------------------------------- linear


class Linear(Op):
    """x @ w.T (+ b) for x (..., in), w (out, in) and an optional bias b (out,)"""

    save_inputs = (0, 1)
    trims = True

    def trimmed(self, inputs):
        # NOTE: as a product's: x's adjoint reads w and w's reads x, so a first layer (x needs
        # no grad) keeps no w, and an in-place write to w (nn.init) before backward is fine,
        # as in torch. (The bias is never read.)
        x, w = inputs[0], inputs[1]
        return (x if self.edges[1] is not None else None, w if self.edges[0] is not None else None)

    def forward(self, x, w, b=None):
        y = _product(x, w.T)
        if b is None:
            return y
        if type(y) is ndarray and (b.dtype is y.dtype or b.dtype == y.dtype):
            y += b  # a buffer of our own: add the bias in place
            return y
        _no_bool_bias(b)  # (a layer's own call reaches here unchecked)
        return y + b

    def generate_adjoints(self, adjoints, delta, x, w):
        edges = self.edges
        bias = len(edges) > 2 and edges[2] is not None
        if edges[0] is not None:
            adjoints[0] = _mm(delta, w)
        if edges[1] is not None or bias:
            rows = delta
            if delta.ndim != 2:
                # NOTE: the batch as rows, counted from the shape: reshape(-1, 0) fails on size 0
                n = math.prod(delta.shape[:-1])
                rows = delta.reshape(n, delta.shape[-1])
            if edges[1] is not None:
                # (one sample: an outer product, not a matrix product with an inner size of 1)
                x2 = x if x.ndim == 2 else x.reshape(rows.shape[0], x.shape[-1])
                adjoints[1] = _outer(delta, x) if x.ndim == 1 else _mm(rows.T, x2)
            if bias:
                adjoints[2] = unbroadcast(rows, rows.shape[1:])

    def jvp(self, tangents, x, w):
        tx, tw = tangents[0], tangents[1]
        terms = [] if tx is None else [_mm(tx, w.T)]
        if tw is not None:
            terms.append(_mm(x, tw.T))
        if len(tangents) > 2 and tangents[2] is not None:
            terms.append(tangents[2])
        out = terms[0]
        for t in terms[1:]:
            out = out + t
        return out


def _no_bool_bias(bias: Any) -> None:
    if bias.dtype.kind == "b":  # (as torch: True is no bias of +1)
        raise TypeError(f"linear: bias must be numeric, got bool data ({bias!r})")


def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``input @ weight.T + bias``, as torch's ``linear``: input (..., in), weight (out, in),
    bias (out,); one op, so an MLP layer is one node. As torch, a weight of shape (in,) gives
    ``input @ weight``, and a bias may be anything that broadcasts to the output's shape (then
    added by its own op)."""
    if isinstance(input, Tensor) and isinstance(weight, Tensor) and isinstance(bias, Tensor):
        # a layer's own call, checked in few steps: the op takes the bias
        xs, ws = input.data.shape, weight.data.shape
        if len(ws) == 2 and bias.data.shape == ws[:1] and xs and xs[-1] == ws[1]:
            return apply(Linear(), (input, weight, bias))
    check_args("linear", ("bias",), input=input, weight=weight, bias=bias)
    if isinstance(input, Tensor):
        xs = input.data.shape
    else:
        input = np.asarray(input)
        xs = input.shape
    if isinstance(weight, Tensor):
        ws = weight.data.shape
    else:
        weight = np.asarray(weight)
        ws = weight.shape
    if len(ws) not in (1, 2):
        raise ValueError(f"linear: weight must be 2-D (out, in) or 1-D (in,), got shape {ws}")
    if len(xs) < 1 or xs[-1] != ws[-1]:
        raise ValueError(
            f"linear: input of shape {xs} does not end with in_features={ws[-1]} "
            f"(weight shape {ws})"
        )
    if bias is None:
        fused = True
    else:
        if not isinstance(bias, Tensor):
            bias = np.asarray(bias)
        _no_bool_bias(bias)
        bs = _shape(bias)
        fused = len(ws) == 2 and bs == (ws[0],)  # (the layer's own bias: one node)
        if not fused and not broadcasts_to(bs, xs[:-1] + ws[:-1]):
            raise ValueError(
                f"linear: bias of shape {bs} does not broadcast to the output's shape "
                f"{xs[:-1] + ws[:-1]}"
            )
    if len(ws) == 1:
        from tensorgrad.ops.linalg import matmul

        out = matmul(input, weight)
    else:
        out = apply(
            Linear(), (input, weight) if bias is None or not fused else (input, weight, bias)
        )
        out = out if isinstance(out, Tensor) else Tensor._make(out)
    return out if fused else out + bias


# ----------------------------------------------------------------------------- dropout


class Dropout(Op):
    """x times a fixed mask of 0 and 1 / (1 - p)"""

    __slots__ = ("mask",)
    linear = True
    frees = ("mask",)

    def __init__(self, mask: ndarray) -> None:
        self.mask = mask

    def forward(self, x):
        return x * self.mask

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = delta * self.mask


def default_generator() -> np.random.Generator:
    """The generator that ``tg.manual_seed`` seeds."""
    from tensorgrad.factories import default_rng

    return default_rng()


def as_generator(rng: Any, op: str = "rng") -> np.random.Generator:
    """``rng`` as a Generator: a Generator, an int seed, or None for the default generator."""
    from tensorgrad.factories import seeded_generator

    gen = seeded_generator(rng, op)
    return default_generator() if gen is None else gen


def probability(p: Any, where: str) -> float:
    """Dropout's ``p`` as a float in [0, 1]; a string is refused, as torch, and a bool too
    (torch reads True as 1: as tensorgrad's other number arguments, a bool is no number)."""
    p = number_arg(p, "p", where)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: p must be a probability in [0, 1], got {p!r}")
    return p


def dropout(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """Zero each entry with probability ``p`` and scale the rest by 1 / (1 - p), as torch.

    The mask is drawn from ``rng`` (a Generator or seed; default: the generator of
    ``tg.manual_seed``), so a seeded call is reproducible. With ``training=False`` or ``p=0``
    the input is returned unchanged. ``inplace`` is accepted for torch compatibility; the result
    is always a new tensor.
    """
    p = probability(p, "dropout")
    training = flag_arg(training, "training", "dropout")
    x = to_tensor(input, "dropout")
    if not training or p == 0:
        return x
    return call(Dropout, x, mask=_mask(x, p, as_generator(rng, "dropout"), x.shape))


def _mask(x: Tensor, p: float, gen: np.random.Generator, shape: tuple) -> ndarray:
    """A mask of ``shape`` (x's, or broadcast to it), each entry kept with probability 1 - p
    and then 1 / (1 - p), else 0, in x's floating dtype."""
    keep = gen.random(shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - float(p))
    return (keep * scale).astype(x.dtype if x.dtype.kind == "f" else np.float64)


def _channel_dropout(input: Any, p: Any, training: Any, rng: Any, op: str, dims: tuple) -> Tensor:
    """``dropout`` of whole channels: one draw per sample and channel (axes 0 and 1 of a
    batched input of ``dims[1]`` dimensions, axis 0 of an unbatched one of ``dims[0]``)."""
    p = probability(p, op)
    training = flag_arg(training, "training", op)
    x = to_tensor(input, op)
    if x.ndim not in dims:
        raise ValueError(f"{op}: expected {dims[0]}-D or {dims[1]}-D input, got shape {x.shape}")
    if not training or p == 0:
        return x
    lead = 2 if x.ndim == dims[1] or op == "dropout2d" else 1  # (dropout2d: 3-D is (N, C, L))
    shape = x.shape[:lead] + (1,) * (x.ndim - lead)
    return call(Dropout, x, mask=_mask(x, p, as_generator(rng, op), shape))


def dropout1d(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """Zero whole channels of (N, C, L) or unbatched (C, L) input with probability ``p`` and
    scale the rest by 1 / (1 - p), as torch's ``dropout1d`` (``rng`` and ``inplace`` as
    ``dropout``'s)."""
    return _channel_dropout(input, p, training, rng, "dropout1d", (2, 3))


def dropout2d(
    input: Any,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    rng: np.random.Generator | int | None = None,
) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability ``p`` and scale the rest by
    1 / (1 - p), as torch's ``dropout2d``; 3-D input is read as (N, C, L), with torch's
    warning (other ranks are refused, where torch warns)."""
    if np.ndim(input.data if isinstance(input, Tensor) else input) == 3:
        import warnings

        warnings.warn(
            "dropout2d: received a 3-D input, read as (N, C, L) with channel-wise 1-D dropout, "
            "as torch does (torch may read it as unbatched (C, H, W) in a future release); use "
            "dropout1d for 1-D channel-wise dropout",
            stacklevel=2,
        )
    return _channel_dropout(input, p, training, rng, "dropout2d", (3, 4))


# ----------------------------------------------------------------------------- embedding


class _Rows(Op):
    __slots__ = ("index", "padding_idx", "num")

    def __init__(self, index: ndarray, padding_idx: int | None, num: int) -> None:
        self.index = index
        self.padding_idx = padding_idx
        self.num = num

    def _params(self) -> dict[str, Any]:
        return {"index": self.index, "padding_idx": self.padding_idx, "num": self.num}


class EmbeddingGather(_Rows):
    """rows ``index`` of w (num, dim), shaped index.shape + (dim,); with ``masked``, the rows
    picked by ``padding_idx`` are zero (the transpose of the scatter); with ``freq`` (a (num,)
    column of 1 / count), each row's gradient is divided by how often ``index`` picks it
    (torch's ``scale_grad_by_freq``: a scaling of the gradient alone, not of the tangent)"""

    __slots__ = ("masked", "freq")
    frees = ("freq",)
    # NOTE: linear, so the tangent is the same gather: the output really is w[padding_idx], and
    # its tangent is the tangent's row there (torch.func.jvp). Only the adjoint, the scatter,
    # blocks the padding row (torch's embedding backward).
    linear = True

    def __init__(self, index, padding_idx, num, masked: bool = False, freq=None) -> None:
        super().__init__(index, padding_idx, num)
        self.masked = masked
        self.freq = freq

    def forward(self, w):
        rows = w[self.index]
        if self.masked and self.padding_idx is not None:
            rows = rows * (self.index != self.padding_idx)[..., None]
        return rows

    def generate_adjoints(self, adjoints, delta):
        adjoints[0] = EmbeddingScatter.apply(delta, freq=self.freq, **self._params())


class EmbeddingScatter(_Rows):
    """d (index.shape + (dim,)) summed into (num, dim) rows; ``padding_idx`` rows get nothing;
    with ``freq``, each row times its 1 / count"""

    __slots__ = ("freq",)
    linear = True
    frees = ("freq",)

    def __init__(self, index, padding_idx, num, freq=None) -> None:
        super().__init__(index, padding_idx, num)
        self.freq = freq

    def forward(self, d):
        dim = d.shape[-1]
        rows = d.reshape(self.index.size, dim)  # (not -1: dim may be 0)
        flat = self.index.reshape(-1)
        if self.padding_idx is not None:
            keep = flat != self.padding_idx
            rows, flat = rows[keep], flat[keep]
        out = rows_summed(flat, rows, self.num)  # repeated indices accumulate
        if self.freq is not None:
            out *= self.freq
        return out

    def generate_adjoints(self, adjoints, delta):
        # NOTE: the gather without ``freq``, as torch's double backward: the scaling is then
        # applied once along any path back to the weight (by the forward gather's adjoint), so
        # the derivative of a scaled gradient agrees with its finite differences
        adjoints[0] = EmbeddingGather.apply(delta, masked=True, **self._params())


def embedding(
    input: Any,
    weight: Any,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num, dim) picked by the integer tensor ``input``, as torch's
    ``embedding``. Rows at ``padding_idx`` get no gradient. With ``max_norm``, the picked rows
    of ``weight`` whose ``norm_type``-norm exceeds it are rescaled in place first (as torch).
    With ``scale_grad_by_freq``, a row's gradient is divided by the number of times ``input``
    picks it. ``sparse`` is accepted for torch compatibility; the gradient is always dense."""
    idx = np.asarray(input.data if isinstance(input, Tensor) else input)
    check_args("embedding", weight=weight)
    scale_grad_by_freq = flag_arg(scale_grad_by_freq, "scale_grad_by_freq", "embedding")
    flag_arg(sparse, "sparse", "embedding")
    ws = _shape(weight)
    if len(ws) != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, dim), got shape {ws}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    num = ws[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):  # (no negative indices, as torch)
        raise IndexError(
            f"embedding: indices must be in [0, {num}) for {num} embeddings "
            f"(got min {idx.min()}, max {idx.max()})"
        )
    idx = idx.astype(np.intp)  # (a copy: a later write into the caller's changes no rule)
    if padding_idx is not None:
        if not is_int(padding_idx):  # (1.7 was read as 1; torch refuses it)
            raise TypeError(f"embedding: padding_idx must be an int, got {padding_idx!r}")
        if not -num <= padding_idx < num:
            raise ValueError(
                f"embedding: padding_idx must be in [-{num}, {num}), got {padding_idx}"
            )
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        from tensorgrad.nn._inplace import assign

        max_norm = number_arg(max_norm, "max_norm", "embedding")
        norm_type = number_arg(norm_type, "norm_type", "embedding")
        # (checked before anything is written: rows rescaled into ints would be truncated)
        if not isinstance(weight, (Tensor, ndarray)):
            raise TypeError(
                "embedding: max_norm rescales rows of weight in place, so weight must be a Tensor "
                f"or an ndarray, got {type(weight).__name__}"
            )
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)  # (np.matrix: rows)
        if w.dtype.kind != "f":
            raise TypeError(
                f"embedding: max_norm rescales rows of weight in place, so weight must be "
                f"floating, got dtype {w.dtype}"
            )
        if not w.flags.writeable:
            raise ValueError(
                "embedding: max_norm rescales rows of weight in place, but weight is read-only"
            )
        used = np.unique(idx)
        norms = np.linalg.norm(w[used], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        new = w.copy()
        new[used] = w[used] * scale[:, None].astype(w.dtype)
        assign(weight, new)
    freq = None
    dtype = (weight.data if isinstance(weight, Tensor) else np.asarray(weight)).dtype
    if scale_grad_by_freq and dtype.kind == "f":  # (an integer table has no gradient)
        counts = np.bincount(idx.reshape(-1), minlength=num)[:, None]
        freq = np.divide(1, counts, out=np.zeros(counts.shape, dtype), where=counts > 0)
    return call(EmbeddingGather, weight, index=idx, padding_idx=padding_idx, num=num, freq=freq)
