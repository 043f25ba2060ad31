"""Linear algebra: matmul (NumPy's 1-D and batched rules), dot, outer, tensordot, einsum, kron.

All are bilinear (multilinear for einsum): each adjoint is the same kind of product with the
output adjoint in place of one operand, and the tangent is the sum over operands of the product
with that operand's tangent. Singular values (internal, for ``norm``'s ord=2, -2, 'nuc') close
the file, with the ops their rules need, differentiable to second order.
"""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np

# (hot-path names as module globals: see the NOTE in ops/_base.py)
from numpy import float16 as _HALF
from numpy import ndarray

from tensorgrad._dtypes import check_args, check_operands, narrow
from tensorgrad._shapes import expand_to, unbroadcast
from tensorgrad.ops._base import Op, binary, call
from tensorgrad.tensor import Tensor

__all__ = ["matmul", "dot", "outer", "tensordot", "einsum", "kron"]


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


# ----------------------------------------------------------------------------- matmul


def _transposed(x: Any) -> bool:
    data = x.data if isinstance(x, Tensor) else x
    return data.flags.f_contiguous and not data.flags.c_contiguous


def _outer(u: Any, v: Any) -> Any:
    """The outer product of two vectors, the adjoint of a vector-matrix product (recorded, as
    ``outer``, when the rule runs on Tensors).

    einsum's loop writes a large product faster than the broadcast multiply of ``np.outer``
    (0.7x its time at 784 x 128 here); a small one costs less as ``multiply.outer``."""
    if isinstance(u, Tensor) or isinstance(v, Tensor):
        return outer(u, v)
    if u.size * v.size > 4096:
        return np.einsum("i,j->ij", u, v)
    return np.multiply.outer(u, v)


_F16 = np.dtype(np.float16)


def _product(a: ndarray, b: ndarray) -> ndarray:
    """``a @ b`` of arrays; float16 by float16 in float32, rounded once: NumPy's float16 loop
    adds in float32 too, without BLAS, 30x as long (128 x 64 by 64 x 64: 1,078 against 35 us);
    the two differ in the last bit at most (BLAS adds in another order: 18 of 4,096 entries
    over an inner size of 2,000), and an overflow warns "in cast", not "in matmul". (Another
    byte order's float16 takes NumPy's loop.)"""
    if type(a) is ndarray and a.dtype is _F16 and type(b) is ndarray and b.dtype is _F16:
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(_F16)
    return np.matmul(a, b)


def _mm(a: Any, b: Any) -> Any:
    """``_product`` on arrays; on Tensors (a recorded rule) tensorgrad's ``matmul`` itself, past
    NumPy's dispatch to it (about 2 us a call)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return matmul(a, b)
    return _product(a, b)


class Matmul(Op):
    """a @ b (1-D operands are promoted and the added axis removed, as NumPy)"""

    __slots__ = ("b_transposed",)
    save_inputs = (0, 1)
    trims = True

    def trimmed(self, inputs):
        # NOTE: a's adjoint reads only b, and b's only a (as a product's): C @ x keeps only
        # C, so writing into x in place later is fine, as in torch. b's layout is noted now,
        # for its adjoint's.
        a, b = inputs
        self.b_transposed = self.edges[1] is not None and _transposed(b)
        return (a if self.edges[1] is not None else None, b if self.edges[0] is not None else None)

    def forward(self, a, b):
        return _product(a, b)

    def generate_adjoints(self, adjoints, delta, a, b):
        # (an operand that was not saved has no adjoint to give: its shape is its edge's)
        sa = a.shape if a is not None else self.in_shape(0)
        sb = b.shape if b is not None else self.in_shape(1)
        if len(sa) == 2 and len(sb) <= 2:  # the common cases, in one product each
            if self.edges[0] is not None:
                adjoints[0] = _mm(delta, b.T) if len(sb) == 2 else _outer(delta, b)
            if self.edges[1] is not None:
                if self.b_transposed:
                    # NOTE: b is a transposed view (x @ W.T): give its adjoint the same layout,
                    # so W's gradient comes out C-contiguous, as W is.
                    adjoints[1] = _mm(delta.T, a).T
                else:
                    adjoints[1] = _mm(a.T, delta)
            return
        a_vec, b_vec = len(sa) == 1, len(sb) == 1
        if a_vec and not b_vec and len(sb) == 2:  # a vector times a matrix: matvec and outer
            if self.edges[0] is not None:
                adjoints[0] = _mm(b, delta)
            if self.edges[1] is not None:
                adjoints[1] = _outer(a, delta)
            return
        if a_vec and b_vec:  # a dot product: each adjoint is the other vector, scaled
            # (a (1, 1) by (1, n) product took NumPy's slow loop: 330 us against 39 at 262,144)
            if self.edges[0] is not None:
                adjoints[0] = delta * b
            if self.edges[1] is not None:
                adjoints[1] = delta * a
            return
        d = delta
        if a_vec:
            d = np.expand_dims(d, -2)
        elif b_vec:
            d = np.expand_dims(d, -1)
        if self.edges[0] is not None:
            b2 = np.reshape(b, (-1, 1)) if b_vec else b
            da = _mm(d, np.swapaxes(b2, -1, -2))
            adjoints[0] = (
                np.reshape(unbroadcast(da, (1, sa[0])), sa) if a_vec else unbroadcast(da, sa)
            )
        if self.edges[1] is not None:
            a2 = np.reshape(a, (1, -1)) if a_vec else a
            db = _mm(np.swapaxes(a2, -1, -2), d)
            adjoints[1] = (
                np.reshape(unbroadcast(db, (sb[0], 1)), sb) if b_vec else unbroadcast(db, sb)
            )

    def jvp(self, tangents, a, b):
        ta, tb = tangents
        if ta is None:
            return _mm(a, tb)
        return _mm(ta, b) if tb is None else _mm(ta, b) + _mm(a, tb)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands, batched broadcasting of leading axes."""
    try:
        return binary(Matmul, a, b)
    except RuntimeError as exc:
        if max(np.ndim(_data(a)), np.ndim(_data(b))) <= 32:  # (an autograd error: as it is)
            raise
        raise ValueError(f"matmul: {exc}") from None  # NumPy's own limit on dimensions
    except ValueError:
        sa, sb = np.shape(_data(a)), np.shape(_data(b))
        if len(sa) == 0 or len(sb) == 0:
            raise ValueError(
                f"matmul: operands must be at least 1-D, got shapes {sa} and {sb}"
            ) from None
        ka = sa[-1]
        kb = sb[0] if len(sb) == 1 else sb[-2]
        if ka != kb:
            raise ValueError(
                f"matmul: shapes {sa} and {sb} are not aligned (inner dimensions {ka} != {kb})"
            ) from None
        raise


# ----------------------------------------------------------------------------- einsum


def _parse(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit per-operand letters and output letters (ellipses spelled out)."""
    subscripts = subscripts.replace(" ", "")
    if subscripts.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} have more than one '->'")
    if "->" in subscripts:
        lhs, out = subscripts.split("->")
    else:
        lhs, out = subscripts, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(shapes)} operands")
    used = set(subscripts) - set(".,->")
    free = [c for c in string.ascii_letters if c not in used]
    ell_ndim = 0
    for s, shape in zip(ins, shapes):
        if "..." in s:
            ell_ndim = max(ell_ndim, len(shape) - (len(s) - 3))
    ell = "".join(free[:ell_ndim])
    new_ins = []
    for s, shape in zip(ins, shapes):
        if "..." in s:
            k = len(shape) - (len(s) - 3)
            s = s.replace("...", ell[ell_ndim - k :] if k else "")
        if len(s) != len(shape):
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand of shape {shape}")
        new_ins.append(s)
    if out is None:
        letters = "".join(new_ins)
        out = ell + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        )
    elif ell_ndim and "..." not in out:  # (as NumPy: the ellipsis axes are not summed away)
        raise ValueError(
            f"einsum: subscripts {subscripts!r}: the output has no '...' for the axes the "
            "operands' '...' stands for"
        )
    else:
        out = out.replace("...", ell)
    return new_ins, out


def _wide_einsum(spec: str, *operands: Any, optimize: bool = False) -> Any:
    """``np.einsum`` of arrays whose result is float16, computed in float32 and rounded once, as
    torch's: NumPy's einsum adds float16 products in float16 in some loops (a 300-term
    contraction came out 5-9 float16 ulps off, where matmul is within one)."""
    wide = [
        x.astype(np.float32) if type(x) is np.ndarray and x.dtype == np.float16 else x
        for x in operands
    ]
    return narrow(np.asarray(np.einsum(spec, *wide, optimize=optimize)), np.float16)


_NAIVE_LIMIT = 1 << 18  # (products in einsum's own loop: about 35 us, where planning is 10)
# (from about this many products one matmul, about 9 us of set-up, is faster than einsum's own
# loop: forward and gradients of 'bi,io->bo' at 128 x 32 x 16 float32 117 against 140 us,
# of 8 batched 16 x 32 by 32 x 16 137 against 212; at 2 ** 15 the unbatched ones were not)
_PAIR_MIN = 1 << 16


def _contract(specs: list[str], out: str, xs: Any, half: bool = False) -> Any:
    """``np.einsum`` of ``xs`` (``specs`` -> ``out``), planned where that pays: two float
    operands with a letter to contract, past ``_PAIR_MIN`` products, as one (batched) matmul
    (``_pairwise``); float operands as NumPy's pairwise contractions when there are three or
    more, or the one loop over every letter would be long. (Integers keep NumPy's one
    contraction in the result's dtype, which does not wrap where pairs would.) ``half``: a
    float16 result, computed in float32 (``_wide_einsum``)."""
    spec = ",".join(specs) + "->" + out
    sizes: dict[str, int] = {}
    floats = True
    for s, x in zip(specs, xs):
        if isinstance(x, Tensor):  # (a recorded rule's: tg.einsum, through NumPy's dispatch)
            return np.einsum(spec, *xs)
        if (x.dtype if type(x) is ndarray else np.asarray(x).dtype).kind != "f":
            floats = False
            break
        for c, n in zip(s, x.shape if type(x) is ndarray else np.shape(x)):
            if n > sizes.get(c, 1):
                sizes[c] = n
    products = math.prod(sizes.values())
    if floats and not half and len(xs) == 2 and products >= _PAIR_MIN:
        result = _pairwise(specs[0], specs[1], out, *xs)
        if result is not None:
            return result
    optimize = floats and (len(xs) > 2 or products > _NAIVE_LIMIT)
    if half:
        return _wide_einsum(spec, *xs, optimize=optimize)
    return np.einsum(spec, *xs, optimize=optimize)


def _pairwise(sa: str, sb: str, out: str, a: Any, b: Any) -> Any:
    """A two-operand einsum as one matmul of (batch, left, inner) by (batch, inner, right)
    (torch's way): letters in both operands and the output are the batch, in both and not the
    output summed by the product, in one operand only the left or right rows and columns (or
    summed first, where the output lacks them). A fresh array (or a view of one, in the
    output's order); None where that does not apply: a letter repeated in an operand (a
    diagonal), one that broadcasts (size 1 against n), nothing to contract, many small products
    (a batch of dot products, short matrix-vector or outer ones: einsum's loop is faster), or
    operands that are not ndarrays of one float dtype and their subscripts' rank (mixed dtypes:
    NumPy promotes before it sums a letter found in one operand only; the float check is
    ``_contract``'s). An inf times a 0 in its matmul does not warn, as einsum's own loop."""
    if (
        type(a) is not ndarray
        or type(b) is not ndarray
        or a.dtype != b.dtype
        or a.ndim != len(sa)
        or b.ndim != len(sb)
        or len(set(sa)) != len(sa)
        or len(set(sb)) != len(sb)
    ):
        return None
    size = dict(zip(sa, a.shape))
    for c, n in zip(sb, b.shape):
        if size.setdefault(c, n) != n:
            return None
    inner = [c for c in sa if c in sb and c not in out]
    if not inner:  # (an outer or elementwise product: einsum's loop is faster)
        return None
    batch = [c for c in out if c in sa and c in sb]
    left = [c for c in out if c in sa and c not in sb]
    right = [c for c in out if c in sb and c not in sa]
    nb, nl, nr = (math.prod(size[c] for c in letters) for letters in (batch, left, right))
    nk = math.prod(size[c] for c in inner)
    if nb > 1 and (nl * nr < 16 or nk == 1):  # (and no batch of outer products)
        return None
    alone = tuple(i for i, c in enumerate(sa) if c not in sb and c not in out)
    if alone:
        a, sa = a.sum(axis=alone), "".join(c for c in sa if c in sb or c in out)
    alone = tuple(i for i, c in enumerate(sb) if c not in sa and c not in out)
    if alone:
        b, sb = b.sum(axis=alone), "".join(c for c in sb if c in sa or c in out)
    a = a.transpose([sa.index(c) for c in batch + left + inner]).reshape(nb, nl, nk)
    b = b.transpose([sb.index(c) for c in batch + inner + right]).reshape(nb, nk, nr)
    order = batch + left + right
    # (written into an array of the output's letters, so that where they come in its order the
    # result is that array itself, not a view: a view would be copied again downstream; an inf
    # times a 0 warns in matmul, not in einsum's own loop)
    product = np.empty([size[c] for c in order], a.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        np.matmul(a, b, out=product.reshape(nb, nl, nr))
    if order == list(out):
        return product
    return product.transpose([order.index(c) for c in out])


class Einsum(Op):
    """Einstein summation over explicit subscripts"""

    __slots__ = ("ins", "out", "half")
    trims = True

    def __init__(self, ins, out):
        self.ins = ins
        self.out = out
        self.half = False  # (a float16 result: computed in float32, its rules too)

    @property
    def save_inputs(self):  # every operand is needed by the others' adjoints
        return tuple(range(len(self.ins)))

    def trimmed(self, inputs):
        # NOTE: an operand's adjoint reads the other operands only: one that no other operand's
        # adjoint needs (the only one that needs grad) is not kept, as a product's
        needed = [e is not None for e in self.edges]
        return tuple(
            x if any(n for j, n in enumerate(needed) if j != i) else None
            for i, x in enumerate(inputs)
        )

    def forward(self, *xs):
        half = False  # (set on every run: a reapplied op may meet other dtypes)
        for x in xs:
            if type(x) is ndarray and x.dtype.type is _HALF:
                # (a Python number is a float64 operand to np.einsum: no float16 result then)
                half = np.result_type(*[np.asarray(y) for y in xs]) == _HALF
                break
        self.half = half
        out = _contract(self.ins, self.out, xs, half)
        # NOTE: np.einsum returns a view for a pure relabelling ('ij->ji', 'ii->i'); a view
        # would share the input's memory but not its version counter, so copy it (a view of a
        # matmul's fresh product, from _pairwise, is kept)
        if isinstance(out, np.ndarray) and out.base is not None:
            return out.copy() if any(np.may_share_memory(out, x) for x in xs) else out
        return out

    def generate_adjoints(self, adjoints, delta, *xs):
        for i, e in enumerate(self.edges):
            if e is not None:
                shape, dtype = self.in_shape(i), self.in_dtype(i)
                adjoints[i] = _einsum_adjoint(
                    self.ins, self.out, i, delta, xs, shape, dtype, self.half
                )

    def jvp(self, tangents, *xs):
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                ops = list(xs)
                ops[i] = t
                term = _contract(self.ins, self.out, ops, self.half)
                total = term if total is None else total + term
        return total


def _einsum_adjoint(
    ins: list[str],
    out: str,
    i: int,
    delta: Any,
    xs: tuple,
    shape: tuple,
    dtype: np.dtype,
    half: bool = False,
) -> Any:
    # NOTE: the adjoint of operand i contracts delta with the other operands onto i's letters.
    # Letters of i found nowhere else are summed-out axes: a ones vector brings them back
    # (broadcast). A letter repeated in i (a diagonal) is renamed, and an identity matrix puts
    # the result back on that diagonal.
    # Operands may broadcast (a letter of size 1 in one of them): letters take their broadcast
    # size, and the adjoint is summed back to operand i's shape at the end.
    # (operand i itself may not have been kept: its shape and dtype are given)
    target = ins[i]
    sizes: dict[str, int] = {}
    for j, (s, x) in enumerate(zip(ins, xs)):
        for c, n in zip(s, shape if j == i else np.shape(x)):  # (x may be a Python number)
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    seen = set(out).union(*(set(s) for j, s in enumerate(ins) if j != i))
    specs = [out] + [s for j, s in enumerate(ins) if j != i]
    operands = [delta] + [x for j, x in enumerate(xs) if j != i]
    unique = "".join(dict.fromkeys(target))
    for c in unique:
        if c not in seen:
            specs.append(c)
            operands.append(np.ones(sizes[c], dtype=dtype))
    result = _contract(specs, unique, operands, half)
    if len(unique) == len(target):
        return _onto(result, shape)
    used = set("".join(ins) + out)
    fresh = iter(c for c in string.ascii_letters if c not in used)
    renamed = []
    eyes_specs, eyes = [], []
    first = set()
    for c in target:
        if c in first:
            d = next(fresh)
            renamed.append(d)
            eyes_specs.append(c + d)
            eyes.append(np.eye(sizes[c], dtype=dtype))
        else:
            first.add(c)
            renamed.append(c)
    # (no sum here: each entry is one product with 1 or 0, exact in float16 too)
    full = np.einsum(",".join([unique] + eyes_specs) + "->" + "".join(renamed), result, *eyes)
    return _onto(full, shape)


def _onto(adjoint: Any, shape: tuple[int, ...]) -> Any:
    """An einsum adjoint onto its operand's shape: broadcast where a contraction with a size-1
    letter left it short, then summed where the operand itself was broadcast."""
    full = np.broadcast_shapes(adjoint.shape, shape)
    if full != adjoint.shape:
        adjoint = expand_to(adjoint, full)
    return unbroadcast(adjoint, shape)


def _check_einsum_operands(operands: tuple) -> None:
    if not all(isinstance(x, Tensor) for x in operands):
        check_operands("einsum", operands, tuple(f"operand {i}" for i in range(len(operands))))


def _from_sublists(args: tuple) -> tuple[str, tuple]:
    """NumPy's other form, ``einsum(op0, sublist0, op1, sublist1, ..., [sublist_out])``, as a
    subscripts string and the operands. NumPy checks the sublists (on stand-in operands)."""
    n = len(args) // 2
    _check_einsum_operands(args[: 2 * n : 2])
    raw = [a.data if isinstance(a, Tensor) else a for a in args]
    stand_ins = [
        np.empty(np.shape(_data(a))) if i % 2 == 0 and i < 2 * n else a for i, a in enumerate(raw)
    ]
    try:
        np.einsum(*stand_ins)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"einsum: {exc}") from None

    def letters(sublist: Any) -> str:  # NumPy's mapping: 0-25 are A-Z, 26-51 are a-z
        return "".join(
            "..." if s is Ellipsis else chr(int(s) + (65 if s < 26 else 71)) for s in sublist
        )

    sublists = raw[1 : 2 * n : 2] + raw[2 * n :]  # (and the output's, when given)
    for s in sublists:
        if isinstance(s, np.ndarray) and s.dtype.kind not in "biuf":
            raise TypeError(f"einsum: a sublist must hold ints, got an array of {s.dtype}")
    ins = ",".join(letters(s) for s in sublists[:n])
    return ins + ("->" + letters(sublists[n]) if len(sublists) > n else ""), args[0 : 2 * n : 2]


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as ``np.einsum`` (explicit or implicit output, ellipses), with a
    subscripts string or NumPy's interleaved operand/sublist form."""
    if not isinstance(subscripts, str):
        subscripts, operands = _from_sublists((subscripts, *operands))
    _check_einsum_operands(operands)  # (before a string is read as a 0-d operand)
    shapes = [np.shape(_data(x)) for x in operands]
    ins, out = _parse(subscripts, shapes)
    try:  # (NumPy checks the sizes as it starts: nothing is recorded before)
        return call(Einsum, *operands, ins=ins, out=out)
    except ValueError as exc:
        raise ValueError(f"einsum: {exc} (operand shapes {shapes})") from None


# ----------------------------------------------------------------------------- dot family


def _tensordot_axes(axes: Any, sa: tuple, sb: tuple) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, (bool, np.bool_)):
        n = int(axes)
        if n < 0 or n > len(sa) or n > len(sb):
            raise ValueError(f"tensordot: axes={n} does not fit shapes {sa} and {sb}")
        return list(range(len(sa) - n, len(sa))), list(range(n))
    try:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
        if not all(isinstance(i, (int, np.integer)) for i in ax_a + ax_b):
            raise TypeError
    except (TypeError, ValueError):
        raise TypeError(
            f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}"
        ) from None
    if len(ax_a) != len(ax_b):
        raise ValueError("tensordot: axes for a and b must have the same length")
    for ax, shape in ((ax_a, sa), (ax_b, sb)):
        for k, i in enumerate(ax):
            if not -len(shape) <= i < len(shape):
                raise ValueError(f"tensordot: axes {axes!r} out of range for {sa} and {sb}")
            ax[k] = int(i) % len(shape)
        if len(set(ax)) != len(ax):
            raise ValueError(f"tensordot: repeated axis in {axes!r}")
    return ax_a, ax_b


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """Sum products over the given axes of ``a`` and ``b`` (NumPy's ``tensordot``).

    Computed as NumPy does: contracted axes moved together, both operands reshaped to
    matrices (where they are not already), one matmul, so any rank NumPy allows works.
    """
    from tensorgrad.ops.shape import reshape

    check_args("tensordot", a=a, b=b)
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    ax_a, ax_b = _tensordot_axes(axes, sa, sb)
    for i, j in zip(ax_a, ax_b):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: shape mismatch for sum: {sa} axis {i} vs {sb} axis {j}")
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [j for j in range(len(sb)) if j not in ax_b]
    k = math.prod(sa[i] for i in ax_a)  # (not np.prod: 6 us each)
    m = math.prod(sa[i] for i in free_a)
    n = math.prod(sb[j] for j in free_b)
    # (each move and reshape only where it changes something: two matrices contracted in
    # order are one matmul node)
    a2 = _as_matrix(a, sa, free_a + ax_a, (m, k))
    b2 = _as_matrix(b, sb, ax_b + free_b, (k, n))
    out = matmul(a2, b2)
    shape = tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b)
    return out if out.shape == shape else reshape(out, shape)


def _as_matrix(x: Any, shape: tuple, order: list, matrix: tuple) -> Any:
    """``x`` with its axes in ``order``, reshaped to ``matrix`` (no op where the axes are in
    order already, or the shape is the matrix's). An operand that is not a Tensor is moved by
    NumPy, so that matmul saves a copy of it, not a Tensor viewing the caller's array (a write
    into that array would have changed the gradient behind any version check)."""
    from tensorgrad.ops.shape import reshape, transpose

    if isinstance(x, (np.ndarray, list, tuple)):  # (reshape_operand's rule, with the move)
        return np.reshape(np.transpose(np.asarray(x), order), matrix)
    if order != sorted(order):
        x = transpose(x, tuple(order))
        shape = tuple(shape[i] for i in order)
    return x if shape == matrix else reshape(x, matrix)


def dot(a: Any, b: Any) -> Tensor:
    """NumPy's ``dot``: products of scalars, inner product of vectors, matmul of matrices, and
    a sum over the last axis of ``a`` and the second-to-last of ``b`` otherwise."""
    from tensorgrad.ops.arithmetic import multiply

    check_args("dot", a=a, b=b)
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    if len(sa) == 0 or len(sb) == 0:
        # a Python scalar is an array to np.dot, not a weakly typed scalar (2 * float32 is
        # float64 here, as NumPy)
        a = a if isinstance(a, Tensor) else _data(a)
        b = b if isinstance(b, Tensor) else _data(b)
        return multiply(a, b)
    if len(sa) > 32 or len(sb) > 32:  # (np.dot's own limit, past 0-d operands)
        raise ValueError(f"dot: operands of at most 32 dimensions, got shapes {sa} and {sb}")
    k = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != k:
        raise ValueError(f"dot: shapes {sa} and {sb} are not aligned ({sa[-1]} != {k})")
    if len(sa) <= 2 and len(sb) <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([len(sa) - 1], [max(len(sb) - 2, 0)]))


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of the flattened ``a`` and ``b``."""
    from tensorgrad.ops.shape import reshape_operand

    check_args("outer", a=a, b=b)
    return einsum("i,j->ij", reshape_operand(a, -1), reshape_operand(b, -1))


def kron(a: Any, b: Any) -> Tensor:
    """The Kronecker product, as NumPy's: the shapes (the shorter padded with leading 1s)
    multiply axis by axis; a broadcast product of ``a`` and ``b`` interleaved, reshaped."""
    from tensorgrad.ops.arithmetic import multiply
    from tensorgrad.ops.shape import reshape_operand, reshaped

    check_args("kron", a=a, b=b)
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    wide_a = reshape_operand(a, tuple(n for m in sa for n in (m, 1)))
    wide_b = reshape_operand(b, tuple(n for m in sb for n in (1, m)))
    out = multiply(wide_a, wide_b)
    return reshaped(out, tuple(m * n for m, n in zip(sa, sb)))


# ----------------------------------------------------------------------------- singular values
# NOTE: with x = U diag(s) V^T (thin SVD), ds = diag(U^T dx V): the adjoint of s is
# U diag(delta) V^T (SingularGrad) and its tangent diag(U^T t V) (SingularJvp). Their own rules
# need how U and V move. For weights d on s and P = U^T t V, written for m >= n (else transpose)
#   d(U diag(d) V^T)[t] = U (A o sym(P) + B o anti(P)) V^T + (I - U U^T) t V diag(d / s) V^T
# with A_ij = (d_j - d_i) / (s_j - s_i), B_ij = (d_j + d_i) / (s_j + s_i), 0 where the
# denominator is 0 (a tie weighted equally, as max/min/sum weight it, contributes nothing).
# This map is self-adjoint in t, so it is the adjoint rule as well as the tangent rule.


def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def over_one_batch_axis(fn: Any, x: np.ndarray, *args: Any, **kwargs: Any) -> Any:
    """``fn(x, ...)`` for a stack of matrices, its leading axes flattened into one (NumPy's
    gufuncs take at most 32 dimensions, tensorgrad's arrays 64), the result's (an array or a
    tuple of them) unflattened; array arguments share the stack's leading axes (positional
    ones followed by axes of their own, keyword ones by none)."""
    lead = x.shape[:-2]
    size = math.prod(lead)
    flat = x.reshape((size,) + x.shape[-2:])
    args = tuple(
        np.broadcast_to(a, lead + a.shape[len(lead) :]).reshape((size,) + a.shape[len(lead) :])
        if isinstance(a, np.ndarray) and a.ndim >= len(lead)
        else a
        for a in args
    )
    kwargs = {
        k: np.broadcast_to(v, lead).reshape(-1) if isinstance(v, np.ndarray) and v.ndim else v
        for k, v in kwargs.items()
    }
    out = fn(flat, *args, **kwargs)
    if isinstance(out, tuple):
        return tuple(part.reshape(lead + part.shape[1:]) for part in out)
    return out.reshape(lead + out.shape[1:])


def finite_or_nan(fn: Any, x: np.ndarray, read: Any = None, **kwargs: Any) -> Any:
    """``over_one_batch_axis(fn, x, **kwargs)`` with NaN results (every part of a tuple) for
    each matrix holding an inf or a NaN (in ``read``, the part of x fn reads, if given), fn
    given zeros in its place: LAPACK's SVD may never return on such a matrix."""
    bad = ~np.isfinite(x if read is None else read).all(axis=(-2, -1))
    if not bad.any():
        return over_one_batch_axis(fn, x, **kwargs)
    out = over_one_batch_axis(fn, np.where(bad[..., None, None], 0, x), **kwargs)

    def nan(part: np.ndarray) -> np.ndarray:
        return np.where(bad.reshape(bad.shape + (1,) * (part.ndim - bad.ndim)), np.nan, part)

    return tuple(nan(part) for part in out) if isinstance(out, tuple) else nan(out)


def _svd(x: np.ndarray, vectors: bool = True) -> Any:
    """The thin SVD (only the singular values without ``vectors``), NaN for a matrix holding an
    inf or a NaN (``finite_or_nan``; torch's singular values of an inf matrix in a stack are
    NaN too; NumPy 2.5.4's SVD raises on an inf, where 2.0-2.4 gave NaN)."""
    return finite_or_nan(np.linalg.svd, x, full_matrices=False, compute_uv=vectors)


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b, 0 where b is 0."""
    a, b = np.broadcast_arrays(a, b)
    return np.divide(a, b, out=np.zeros(b.shape, np.result_type(a, b)), where=b != 0)


def _curvature(x: np.ndarray, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The derivative of U diag(d) V^T along t (the Hessian of <d, s> applied to t)."""
    if x.ndim > 3:
        return over_one_batch_axis(_curvature, x, d, t)
    if x.shape[-2] < x.shape[-1]:
        return _swap(_curvature(_swap(x), d, _swap(t)))
    u, s, vt = _svd(x)
    p = _swap(u) @ t @ _swap(vt)
    di, dj, si, sj = d[..., :, None], d[..., None, :], s[..., :, None], s[..., None, :]
    inner = _divide(dj - di, sj - si) * (p + _swap(p)) / 2
    inner = inner + _divide(dj + di, sj + si) * (p - _swap(p)) / 2
    off = t - u @ (_swap(u) @ t)  # the part of t outside the column space of U
    return u @ inner @ vt + off @ (_swap(vt) * _divide(d, s)[..., None, :]) @ vt


def _curvature_diag(x: np.ndarray, t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The second derivatives of each singular value along t and w: ``<d, this>`` is
    ``<w, _curvature(x, d, t)>`` for every d."""
    if x.ndim > 3:
        return over_one_batch_axis(_curvature_diag, x, t, w)
    if x.shape[-2] < x.shape[-1]:
        return _curvature_diag(_swap(x), _swap(t), _swap(w))
    u, s, vt = _svd(x)
    v = _swap(vt)
    p, r = _swap(u) @ t @ v, _swap(u) @ w @ v
    sym, anti = r * (p + _swap(p)) / 2, r * (p - _swap(p)) / 2
    si, sl = s[..., :, None], s[..., None, :]  # [i, l]: summed over i for singular value l
    terms = _divide(sym + _swap(sym), sl - si) + _divide(anti + _swap(anti), sl + si)
    off = t - u @ (_swap(u) @ t)
    outside = np.einsum("...ai,...ab,...bi->...i", v, _swap(w) @ off, v)
    return np.sum(terms, axis=-2) + _divide(outside, s)


class SingularValues(Op):
    """singular values of the matrices in the last two axes, largest first"""

    save_inputs = (0,)

    def forward(self, x):
        if np.isnan(x).any():  # (NumPy's SVD refuses it, as torch's; an inf gives NaN values)
            raise np.linalg.LinAlgError("x holds a NaN")
        return _svd(x, vectors=False)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = SingularGrad.apply(x, delta)

    def jvp(self, tangents, x):
        return SingularJvp.apply(x, tangents[0])


class SingularGrad(Op):
    """U diag(d) V^T for the thin SVD of x: the adjoint of x's singular values for d"""

    save_inputs = (0, 1)

    def forward(self, x, d):
        u, _, vt = _svd(x)
        return (u * d[..., None, :]) @ vt

    def generate_adjoints(self, adjoints, delta, x, d):
        if self.edges[0] is not None:
            adjoints[0] = Curvature.apply(x, d, delta)
        if self.edges[1] is not None:
            adjoints[1] = SingularJvp.apply(x, delta)

    def jvp(self, tangents, x, d):
        tx, td = tangents
        out = None if td is None else SingularGrad.apply(x, td)
        if tx is not None:
            part = Curvature.apply(x, d, tx)
            out = part if out is None else out + part
        return out


class SingularJvp(Op):
    """diag(U^T t V) for the thin SVD of x: the tangent of x's singular values along t"""

    save_inputs = (0, 1)

    def forward(self, x, t):
        u, _, vt = _svd(x)
        return np.einsum("...ai,...ab,...ib->...i", u, t, vt)

    def generate_adjoints(self, adjoints, delta, x, t):
        if self.edges[0] is not None:
            adjoints[0] = Curvature.apply(x, delta, t)
        if self.edges[1] is not None:
            adjoints[1] = SingularGrad.apply(x, delta)

    def jvp(self, tangents, x, t):
        tx, tt = tangents
        out = None if tt is None else SingularJvp.apply(x, tt)
        if tx is not None:
            part = CurvatureDiag.apply(x, t, tx)
            out = part if out is None else out + part
        return out


_THIRD_ORDER = (
    "norm: ord=2, -2 and 'nuc' (singular values) are differentiable to second order only; "
    "a third derivative is not implemented"
)


class _ThirdOrder(Op):
    """Second derivatives of singular values: their own derivatives are not implemented."""

    def generate_adjoints(self, adjoints, delta, *args):
        raise NotImplementedError(_THIRD_ORDER)

    def jvp(self, tangents, *args):
        raise NotImplementedError(_THIRD_ORDER)


class Curvature(_ThirdOrder):
    """the derivative of U diag(d) V^T along t"""

    def forward(self, x, d, t):
        return _curvature(x, d, t)


class CurvatureDiag(_ThirdOrder):
    """the second derivatives of each singular value of x along t and w"""

    def forward(self, x, t, w):
        return _curvature_diag(x, t, w)
