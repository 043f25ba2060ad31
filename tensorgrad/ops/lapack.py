"""What LAPACK computes for ``tg.linalg``: inv, solve, det, slogdet, cholesky, eigh, eigvalsh,
and torch's logdet (``tg.logdet``), batched over the leading axes of stacks of square matrices,
differentiable to any order.

Each rule is written with ``_mm``, ``_swap`` and the ops of this file, which take arrays or
Tensors: run on Tensors (``create_graph=True``, nested ``jvp``) they record themselves. With
Y = x^-1: d(x^-1) = -Y dx Y; d(det x) = <C, dx> for the cofactor matrix C = det(x) x^-T (kept
at a singular x by computing it from the SVD); d(log|det x|) = <x^-T, dx>; solve's adjoints
are a solve with x^T; cholesky's are Murray's (2016), and eigh's the classic ones, as torch's
and JAX's, for a symmetric input (the tangent is symmetrised, the gradient symmetric).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from tensorgrad._dtypes import to_tensor
from tensorgrad._shapes import unbroadcast
from tensorgrad.ops._base import Op, apply, call
from tensorgrad.ops.linalg import _mm, _svd, _swap, matmul
from tensorgrad.tensor import Tensor, is_int

__all__ = [
    "inv",
    "solve",
    "det",
    "slogdet",
    "logdet",
    "cholesky",
    "eigh",
    "eigvalsh",
    "matrix_power",
    "multi_dot",
    "solve_triangular",
    "cholesky_solve",
]


def _lapack(fn: Any, op: str, *arrays: np.ndarray) -> np.ndarray:
    """``fn(*arrays)``, a LinAlgError (a singular matrix, one not positive definite) naming
    ``op`` and, in a stack, the first failing matrix's index (as torch's "batch element")."""
    try:
        return np.asarray(fn(*arrays))
    except np.linalg.LinAlgError as exc:
        msg = str(exc)
        msg = f"{op}: {msg[:1].lower()}{msg[1:]}"
    lead = _lead(*arrays)
    if lead:
        # (by halves: the first failing matrix in log2(n) calls, O(n) work in all)
        flat = [np.broadcast_to(m, lead + m.shape[-2:]).reshape((-1,) + m.shape[-2:])
                for m in arrays]  # fmt: skip
        lo, hi = 0, flat[0].shape[0]
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                fn(*(m[lo:mid] for m in flat))
            except np.linalg.LinAlgError:
                hi = mid
            else:
                lo = mid
        index = tuple(int(i) for i in np.unravel_index(lo, lead))
        msg += f" (the matrix at index {index} of the stack of shape {lead})"
    raise np.linalg.LinAlgError(msg)


def _operand(x: Any, op: str, name: str) -> Tensor:
    """``x`` as a float32 or float64 Tensor: integers and bools in float64, as NumPy; float16
    refused, as NumPy and torch (LAPACK has no half precision)."""
    from tensorgrad.ops.arithmetic import astype

    x = to_tensor(x, op, name)
    if x.dtype.kind in "biu":
        return astype(x, np.float64)
    if x.dtype == np.float16:
        raise TypeError(
            f"{op}: {name} of dtype float16 is not supported (LAPACK has no half "
            "precision); cast it to float32"
        )
    return x


def _square(x: Any, op: str, name: str = "x") -> Tensor:
    """``x`` checked to be a stack of square matrices (``_operand``)."""
    x = _operand(x, op, name)
    shape = x.shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"{op}: {name} must be a square matrix or a stack of them (..., n, n), got shape "
            f"{shape}"
        )
    return x


def _symmetric_part(m: Any) -> Any:
    """(m + m^T) / 2 of each matrix: the part of a tangent a symmetric input's rules read, and
    their gradient."""
    return (m + _swap(m)) * 0.5


def _flag(value: Any, op: str, name: str) -> bool:
    """A bool argument (a NumPy bool too), else TypeError naming ``op`` and ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)


# ----------------------------------------------------------------------------- inv and solve


class Inv(Op):
    """the inverse of each matrix"""

    save_output = True

    def forward(self, x):
        return _lapack(np.linalg.inv, "inv", x)

    def generate_adjoints(self, adjoints, delta, y):
        yt = _swap(y)
        adjoints[0] = -_mm(_mm(yt, delta), yt)

    def jvp(self, tangents, y):
        return -_mm(_mm(y, tangents[0]), y)


def inv(x: Any) -> Tensor:
    """The inverse of a square matrix, or of each in a stack (..., n, n); LinAlgError for a
    singular one, as NumPy."""
    return call(Inv, _square(x, "inv"))


class Solve(Op):
    """a^-1 b for matrices b (..., n, k), the leading axes broadcast; with ``upper`` True or
    False, for that triangle of a alone, by substitution (``_substitute``)"""

    __slots__ = ("upper",)
    save_inputs = (0,)
    save_output = True

    def __init__(self, upper: bool | None = None) -> None:
        self.upper = upper

    def forward(self, a, b):
        if self.upper is None:
            return _lapack(np.linalg.solve, "solve", a, b)
        return _substitute(a, b, self.upper)

    def _read(self, m):
        """The part of a matrix the op reads: all of it, or its triangle."""
        return m if self.upper is None else np.triu(m) if self.upper else np.tril(m)

    def generate_adjoints(self, adjoints, delta, a, x):
        gb = _solve(_swap(a), delta, None if self.upper is None else not self.upper)
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(gb, self.in_shape(1))
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(self._read(-_mm(gb, _swap(x))), self.in_shape(0))

    def jvp(self, tangents, a, x):
        ta, tb = tangents
        if ta is None:
            return _solve(a, tb, self.upper)
        moved = _mm(self._read(ta), x)
        return _solve(a, -moved if tb is None else tb - moved, self.upper)


def _lead(*stacks: np.ndarray) -> tuple[int, ...]:
    """The broadcast of stacks' leading axes (already known to broadcast), past NumPy's 32
    dimensions too."""
    shapes = [m.shape[:-2] for m in stacks]
    n = max(len(s) for s in shapes)
    columns = zip(*((1,) * (n - len(s)) + s for s in shapes))
    return tuple(0 if 0 in c else max(c) for c in columns)


def _each_or_nan(fn: Any, a: np.ndarray, *rest: np.ndarray) -> np.ndarray:
    """``fn(a, *rest)`` of stacks of matrices; where LAPACK meets an exact zero pivot, NaN in
    that matrix's result only (the others kept): a rule's inverse or solve, on the forward's
    matrices or their transposes, where the forward's own factorisation may have missed it (a
    NaN or inf in ``a``: [[0, 0], [1, nan]] solves, its transpose does not); the derivative is
    undefined there, not a LinAlgError."""
    try:
        return fn(a, *rest)
    except np.linalg.LinAlgError:
        pass
    lead = _lead(a, *rest)
    flat = [np.broadcast_to(m, lead + m.shape[-2:]).reshape((-1,) + m.shape[-2:])
            for m in (a, *rest)]  # fmt: skip
    parts = []
    for ms in zip(*flat):
        try:
            parts.append(fn(*ms))
        except np.linalg.LinAlgError:
            shape = ms[-1].shape
            parts.append(np.full(shape, np.nan, np.result_type(*ms)))
    out = np.stack(parts) if parts else fn(*(m[:0] for m in flat))
    return out.reshape(lead + out.shape[1:])


def _solve(a: Any, b: Any, upper: bool | None = None) -> Any:
    """``Solve`` in a rule: recorded on Tensors; on arrays, by substitution for a triangle,
    else ``_each_or_nan``'s."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return Solve.apply(a, b, upper=upper)
    if upper is not None:
        return _substitute(a, b, upper)
    return _each_or_nan(np.linalg.solve, a, b)


def _inverse(x: Any) -> Any:
    """``Inv`` in a rule: recorded on Tensors; on arrays, ``_each_or_nan``'s."""
    if isinstance(x, Tensor):
        return Inv.apply(x)
    return _each_or_nan(np.linalg.inv, x)


def _check_leading(sa: tuple, sb: tuple, op: str) -> None:
    """ValueError naming ``op`` and both shapes unless the stacks' leading axes broadcast
    (checked by hand: np.broadcast_shapes stops at 32 dimensions, NumPy's solve does not)."""
    if any(p != q and 1 not in (p, q) for p, q in zip(sa[-3::-1], sb[-3::-1])):
        raise ValueError(
            f"{op}: the leading axes of a of shape {sa} and b of shape {sb} cannot be "
            "broadcast together"
        )


def solve(a: Any, b: Any) -> Tensor:
    """x with a @ x = b, for square ``a`` (..., n, n) and ``b`` a vector (n,) or matrices
    (..., n, k), the leading axes broadcast (NumPy 2's rule: only a 1-D b is a vector)."""
    from tensorgrad.ops.shape import reshaped

    a = _square(a, "solve", "a")
    b = _operand(b, "solve", "b")
    n, sb = a.shape[-1], b.shape
    if len(sb) == 0:
        raise ValueError(f"solve: b must be a vector (n,) or matrices (..., n, k), got shape {sb}")
    if (sb[0] if len(sb) == 1 else sb[-2]) != n:
        hint = ""
        if len(sb) >= 2 and sb[-1] == n:  # (torch's rule: a stack of vectors)
            hint = "; for a stack of vectors (..., n), as torch reads b, pass b[..., None]"
        raise ValueError(
            f"solve: a of shape {a.shape} and b of shape {sb} do not match (b's "
            f"{'length' if len(sb) == 1 else 'rows'} must be a's {n}: NumPy 2's rule, only a "
            f"1-D b is a vector{hint})"
        )
    if len(sb) == 1:
        out = call(Solve, a, reshaped(b, (n, 1)))
        return reshaped(out, out.shape[:-1])
    _check_leading(a.shape, sb, "solve")
    return call(Solve, a, b)


def _substitute(a: np.ndarray, b: np.ndarray, upper: bool) -> np.ndarray:
    """x with a @ x = b by substitution on a's ``upper`` or lower triangle (the other is not
    read), one row at a time over the batch and b's columns: backward stable where an LU
    solve's pivoting loses digits on a triangle (a random 30 x 30 one: 4e-9 against 5e-16),
    and O(n^2 k); a zero on the diagonal gives inf or NaN, as torch's."""
    n = a.shape[-1]
    lead = _lead(a, b)
    x = np.zeros(lead + b.shape[-2:], np.result_type(a, b))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in range(n - 1, -1, -1) if upper else range(n):
            done = slice(i + 1, n) if upper else slice(0, i)
            rest = b[..., i, :] - (a[..., i : i + 1, done] @ x[..., done, :])[..., 0, :]
            x[..., i, :] = rest / a[..., i, i, None]
    return x


def solve_triangular(
    a: Any, b: Any, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """x with a @ x = b (``left=False``: x @ a = b) for the upper or lower triangle of ``a``
    (its diagonal taken as ones with ``unitriangular``), as torch's: b holds matrices (..., n, k)
    (``left=False``: (..., k, n)), the leading axes broadcast; by substitution (a zero on the
    diagonal gives inf or NaN, as torch's); its derivatives land on the triangle read."""
    from tensorgrad.ops.elementwise import where

    op = "solve_triangular"
    for name, flag in (("upper", upper), ("left", left), ("unitriangular", unitriangular)):
        _flag(flag, op, name)
    a = _square(a, op, "a")
    b = _operand(b, op, "b")
    n, sb = a.shape[-1], b.shape
    if len(sb) < 2 or sb[-2 if left else -1] != n:
        want = "(..., n, k)" if left else "(..., k, n)"
        raise ValueError(
            f"{op}: b must be matrices {want} with n = {n} (a of shape {a.shape}), got shape {sb}"
        )
    _check_leading(a.shape, sb, op)
    if unitriangular:
        a = where(np.eye(n, dtype=bool), np.ones((), a.dtype), a)
    if left:
        return call(Solve, a, b, upper=bool(upper))
    return _swap(call(Solve, _swap(a), _swap(b), upper=not upper))


def cholesky_solve(b: Any, L: Any, upper: bool = False) -> Tensor:
    """x with (L L^T) x = b for a Cholesky factor L (``upper=True``: (U^T U) x = b), as torch's
    ``cholesky_solve`` (its argument order): two triangular solves."""
    op = "cholesky_solve"
    _flag(upper, op, "upper")
    low = _square(L, op, "L")
    b = _operand(b, op, "b")
    n = low.shape[-1]
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(
            f"{op}: b must be matrices (..., n, k) with n = {n} (L of shape {low.shape}), got "
            f"shape {b.shape}"
        )
    if upper:  # (U^T y = b, then U x = y)
        return solve_triangular(low, solve_triangular(_swap(low), b, upper=False), upper=True)
    return solve_triangular(_swap(low), solve_triangular(low, b, upper=False), upper=True)


# ----------------------------------------------------------------------------- determinants


def _before_after(s: np.ndarray) -> tuple:
    """For each i, the product of the entries of ``s`` before i and that of those after i."""
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before, after


def _products_but_two(s: np.ndarray) -> np.ndarray:
    """[i, j]: the product of ``s`` but s_i and s_j (i != j; 0 on the diagonal), without
    dividing: the values before i, those between i and j, those after j."""
    n = s.shape[-1]
    before, after = _before_after(s)
    later = np.arange(n)[None, :] > np.arange(n)[:, None]  # [i, k]: k after i
    upto = np.cumprod(np.where(later, s[..., None, :], 1), axis=-1)  # [i, j]: s_k, i < k <= j
    between = np.concatenate([np.ones(upto.shape[:-1] + (1,), s.dtype), upto[..., :-1]], -1)
    with np.errstate(over="ignore", invalid="ignore"):  # (the masked entries may overflow)
        upper = np.where(later, before[..., :, None] * between * after[..., None, :], 0)
    return upper + _swap(upper)


def _rotations(x: np.ndarray) -> tuple:
    """x = U diag(s) V^T and det(U) det(V) (the cofactor map's sign: C(U M V^T) is
    det(U) det(V) U C(M) V^T)."""
    n = x.shape[-1]
    u, s, vt = _svd(x.reshape(-1, n, n))  # (one batch axis: NumPy's SVD takes at most 31)
    with np.errstate(invalid="ignore"):  # (a NaN matrix's: NaN, warned of by the forward)
        sign = np.linalg.det(u) * np.linalg.det(vt)
    lead = x.shape[:-2]
    return (u.reshape(x.shape), s.reshape(lead + (n,)), vt.reshape(x.shape),
            sign.reshape(lead + (1, 1)))  # fmt: skip


def _cofactor(x: np.ndarray) -> np.ndarray:
    """det(x) x^-T: from the LU (NumPy's det and inverse share one pivoted factorisation, so
    the product is the adjugate of a nearby matrix: within 4-68 ulps of the true one however
    near singular x is, 4-6x as fast as the SVD), where that succeeds and det(x) and x^-1 are
    finite and det(x) normal; else (a zero pivot, a NaN or inf, det over- or underflowing
    while the cofactors do not: 1e200 I) from the SVD, det(U) det(V) U diag(products of all
    s but one) V^T, which never divides."""
    if x.shape[-1] == 0:
        return np.zeros(x.shape, x.dtype)
    out = None
    with np.errstate(all="ignore"):
        try:
            w = np.linalg.inv(x)
        except np.linalg.LinAlgError:
            pass
        else:
            d = np.linalg.det(x)
            good = (np.abs(d) >= np.finfo(x.dtype).tiny) & np.isfinite(d)
            good &= np.isfinite(w).all(axis=(-2, -1))
            out = d[..., None, None] * _swap(w)
            if good.all():
                return out
            x = x[~good]
    u, s, vt, sign = _rotations(x)
    before, after = _before_after(s)  # (their product: all of s but one)
    with np.errstate(over="ignore"):
        by_svd = sign * _mm(u * (before * after)[..., None, :], vt)
    if out is None:
        return by_svd
    out[~good] = by_svd
    return out


def _cofactor_derivative(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The derivative of the cofactor matrix along t, from the SVD: U Q V^T for T = U^T t V
    with Q_ii = sum_k P_ik T_kk and Q_ij = -P_ij T_ji, P the products of all s but two (so it
    holds at a singular x and near one)."""
    if x.shape != t.shape:
        x, t = np.broadcast_arrays(x, t)
    if x.shape[-1] == 0:
        return np.zeros(x.shape, np.result_type(x, t))
    u, s, vt, sign = _rotations(x)
    rotated = _mm(_mm(_swap(u), t), _swap(vt))
    pairs = _products_but_two(s)
    diagonal = _mm(pairs, np.diagonal(rotated, axis1=-2, axis2=-1)[..., None])
    q = np.eye(s.shape[-1], dtype=pairs.dtype) * _swap(diagonal) - pairs * _swap(rotated)
    return sign * _mm(_mm(u, q), vt)


def _det_third(x: Any, a: Any, b: Any) -> Any:
    """The gradient in x of det's third derivative along a and b (symmetric in all three), for
    W = x^-1 and traces of products of Wa, Wb and Wv: det(x) ((tr Wa tr Wb - tr WaWb) W^T -
    tr Wa (W b W)^T - tr Wb (W a W)^T + (W a W b W)^T + (W b W a W)^T); with recorded ops on
    Tensors (so on to any order). Through x^-1: its error grows as the condition number
    squared (torch's as well); NaN at an exact zero pivot (LinAlgError recorded)."""
    with np.errstate(invalid="ignore", over="ignore"):  # (an inf in x: NaN, as det's)
        w = _inverse(x)
        wa, wb = _mm(w, a), _mm(w, b)

        def tr(m: Any) -> Any:
            return np.sum(np.diagonal(m, axis1=-2, axis2=-1), axis=-1, keepdims=True)[..., None]

        awb, bwa = _mm(_mm(wa, wb), w), _mm(_mm(wb, wa), w)
        inner = (tr(wa) * tr(wb) - tr(_mm(wa, wb))) * w - tr(wa) * _mm(wb, w)
        inner = inner - tr(wb) * _mm(wa, w)
        return Det.apply(x)[..., None, None] * _swap(inner + awb + bwa)


class CofactorDerivative(Op):
    """the derivative of det(x) x^-T along t (det's second derivative, from the SVD)"""

    save_inputs = (0, 1)

    def forward(self, x, t):
        return _cofactor_derivative(x, t)

    def generate_adjoints(self, adjoints, delta, x, t):
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(_det_third(x, t, delta), self.in_shape(0))
        if self.edges[1] is not None:  # (linear and self-adjoint in t)
            adjoints[1] = unbroadcast(CofactorDerivative.apply(x, delta), self.in_shape(1))

    def jvp(self, tangents, x, t):
        tx, tt = tangents
        out = None if tt is None else CofactorDerivative.apply(x, tt)
        if tx is not None:
            part = _det_third(x, t, tx)
            out = part if out is None else out + part
        return out


class Cofactor(Op):
    """det(x) x^-T, the gradient of the determinant"""

    save_inputs = (0,)

    def forward(self, x):
        return _cofactor(x)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = CofactorDerivative.apply(x, delta)

    def jvp(self, tangents, x):
        return CofactorDerivative.apply(x, tangents[0])


class Det(Op):
    """the determinant of each matrix"""

    save_inputs = (0,)

    def forward(self, x):
        return np.asarray(np.linalg.det(x))

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta[..., None, None] * Cofactor.apply(x)

    def jvp(self, tangents, x):
        return np.sum(Cofactor.apply(x) * tangents[0], axis=(-2, -1))


def det(x: Any) -> Tensor:
    """The determinant of a square matrix, or of each in a stack (..., n, n); its first and
    second derivatives hold at and near a singular matrix too (the cofactors from the LU, or
    the SVD where that fails), its third comes through the inverse."""
    return call(Det, _square(x, "det"))


class LogAbsDet(Op):
    """log |det x| of each matrix (LAPACK's sign of det x kept in ``sign`` for the caller)"""

    __slots__ = ("sign",)
    save_inputs = (0,)

    def forward(self, x):
        self.sign, value = np.linalg.slogdet(x)
        return np.asarray(value)

    def generate_adjoints(self, adjoints, delta, x):
        adjoints[0] = delta[..., None, None] * _inverse_t(x)

    def jvp(self, tangents, x):
        return np.sum(_inverse_t(x) * tangents[0], axis=(-2, -1))


def _inverse_t(x: Any) -> Any:
    """x^-T, log |det x|'s gradient; for a singular x, as torch's, inf and NaN (the cofactor
    matrix over det x = 0); recorded (create_graph), LinAlgError (torch's solve raises too)."""
    if isinstance(x, Tensor):
        try:
            return _swap(Inv.apply(x))
        except np.linalg.LinAlgError as exc:
            raise np.linalg.LinAlgError(f"slogdet's recorded gradient: {exc}") from None
    try:
        return _swap(np.linalg.inv(x))
    except np.linalg.LinAlgError:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _cofactor(x) / np.linalg.det(x)[..., None, None]


class SlogdetResult(NamedTuple):
    """``slogdet``'s result, as NumPy's: the sign (a constant) and log |det|."""

    sign: Tensor
    logabsdet: Tensor


def slogdet(x: Any) -> SlogdetResult:
    """The sign and the log of the absolute determinant of a square matrix, or of each in a
    stack, without over- or underflow; the sign is a constant (0 for a singular matrix, whose
    logabsdet is -inf and whose gradient inf and NaN, as torch's; LinAlgError under
    create_graph, as torch's)."""
    sign, value = _sign_and_log_abs_det(_square(x, "slogdet"))
    return SlogdetResult(Tensor(sign), value)


def _sign_and_log_abs_det(x: Tensor) -> tuple[np.ndarray, Tensor]:
    """det x's sign (an array) and ``LogAbsDet`` of x, from one LAPACK call."""
    op = LogAbsDet()
    out = apply(op, (x,))
    sign, op.sign = np.asarray(op.sign), None
    return sign, out


def logdet(x: Any) -> Tensor:
    """log det x of a square matrix, or of each in a stack, as torch's ``logdet``: log |det x|
    where det x > 0, -inf where it is 0, NaN where it is negative; the gradient is slogdet's,
    x^-T, where det x > 0 (0 where NaN: a ``where`` on slogdet's, as torch's), its derivatives
    of every order and its tangents slogdet's."""
    from tensorgrad.ops.elementwise import where

    x = _square(x, "logdet")
    sign, value = _sign_and_log_abs_det(x)
    return where(sign < 0, np.full((), np.nan, x.dtype), value)


# ----------------------------------------------------------------------------- cholesky


def _phi(low: Any) -> np.ndarray:
    """The mask taking a matrix's lower triangle with its diagonal halved (Murray's Phi)."""
    n = low.shape[-1]
    return np.tri(n, dtype=low.dtype) - 0.5 * np.eye(n, dtype=low.dtype)


class Cholesky(Op):
    """the lower Cholesky factor L of each symmetric positive definite matrix, x = L L^T"""

    save_output = True

    def forward(self, x):
        return _lapack(np.linalg.cholesky, "cholesky", x)

    def generate_adjoints(self, adjoints, delta, low):
        li = _inverse(low)  # (one inverse and products: 2.3x torch's time as two solves)
        s = _mm(_mm(_swap(li), _mm(_swap(low), delta) * _phi(low)), li)
        adjoints[0] = _symmetric_part(s)

    def jvp(self, tangents, low):
        t, li = tangents[0], _inverse(low)
        return _mm(low, _mm(_mm(li, _symmetric_part(t)), _swap(li)) * _phi(low))


def cholesky(x: Any, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of a symmetric positive definite matrix, or of each in a stack:
    lower L with x = L L^T, from x's lower triangle (``upper=True``: U = L^T with x = U^T U,
    from x's upper triangle), as NumPy and torch; the derivatives are those of a symmetric x,
    as torch's and JAX's (a tangent's symmetric part is taken, the gradient is symmetric).
    LinAlgError for a matrix not positive definite."""
    _flag(upper, "cholesky", "upper")
    x = _square(x, "cholesky")
    if upper:  # (the lower factor of x^T, which holds x's upper triangle)
        return _swap(call(Cholesky, _swap(x)))
    return call(Cholesky, x)


# ----------------------------------------------------------------------------- eigh
# NOTE: with x = V diag(w) V^T and P = V^T sym(t) V, dw = diag(P) and dV = V (F o P), F_ij =
# 1 / (w_j - w_i) off the diagonal (0 on it); so the adjoint of (w, V) for cotangents (dw,
# dV) is V (diag(dw) + F o (V^T dV)) V^T, symmetrised. EighFactors packs w as row 0 above V;
# EigenValues is w alone, whose rules need V but never F (finite where eigenvalues tie).


def _gap_inverses(w: Any) -> Any:
    """F_ij = 1 / (w_j - w_i), 0 on the diagonal (inf where two eigenvalues tie)."""
    eye = np.eye(w.shape[-1], dtype=bool)
    gaps = w[..., None, :] - w[..., :, None]
    return np.where(eye, 0, 1 / np.where(eye, 1, gaps))


def _unused(dv: Any) -> bool:
    """Whether the eigenvectors' cotangent is a constant 0 (only the eigenvalues of eigh's
    result used): their term, F o (V^T dv), is then skipped, as F is inf at a tie."""
    if isinstance(dv, Tensor):
        return not dv.requires_grad and dv._fw is None and not dv.data.any()
    return not dv.any()


def _eigh(x: np.ndarray, uplo: str, op: str) -> tuple[np.ndarray, np.ndarray]:
    """NumPy's eigh, over one batch axis (its gufunc takes fewer dimensions than arrays)."""
    n = x.shape[-1]
    try:
        w, v = np.linalg.eigh(x.reshape((math.prod(x.shape[:-2]), n, n)), UPLO=uplo)
    except np.linalg.LinAlgError as exc:  # (no convergence: a NaN or inf in x)
        raise np.linalg.LinAlgError(f"{op}: {exc}") from None
    return w.reshape(x.shape[:-1]), v.reshape(x.shape)


class EighFactors(Op):
    """the eigenvalues (row 0, ascending) and eigenvectors (the columns below) of each
    symmetric matrix, from its ``uplo`` triangle"""

    __slots__ = ("uplo",)
    save_output = True

    def __init__(self, uplo: str = "L") -> None:
        self.uplo = uplo

    def forward(self, x):
        w, v = _eigh(x, self.uplo, "eigh")
        return np.concatenate([w[..., None, :], v], axis=-2)

    def generate_adjoints(self, adjoints, delta, out):
        w, v = out[..., 0, :], out[..., 1:, :]
        dw, dv = delta[..., 0, :], delta[..., 1:, :]
        inner = dw[..., :, None] * np.eye(w.shape[-1], dtype=w.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):  # (a tie: inf and NaN, as torch's)
            if not _unused(dv):
                inner = inner + _gap_inverses(w) * _mm(_swap(v), dv)
            g = _mm(_mm(v, inner), _swap(v))
            adjoints[0] = _symmetric_part(g)

    def jvp(self, tangents, out):
        w, v = out[..., 0, :], out[..., 1:, :]
        t = tangents[0]
        p = _mm(_mm(_swap(v), _symmetric_part(t)), v)
        dw = np.diagonal(p, axis1=-2, axis2=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            dv = _mm(v, _gap_inverses(w) * p)
        return np.concatenate([dw[..., None, :], dv], axis=-2)


class EigenValues(Op):
    """the eigenvalues (ascending) of each symmetric matrix, from its ``uplo`` triangle"""

    __slots__ = ("uplo",)
    save_inputs = (0,)

    def __init__(self, uplo: str = "L") -> None:
        self.uplo = uplo

    def forward(self, x):
        try:
            return np.linalg.eigvalsh(x, UPLO=self.uplo)
        except np.linalg.LinAlgError as exc:
            raise np.linalg.LinAlgError(f"eigvalsh: {exc}") from None

    def _vectors(self, x):
        """The eigenvectors: recorded (EighFactors) on a Tensor, so that their own derivatives
        (inf at a tie, as torch's) reach a second derivative."""
        if isinstance(x, Tensor):
            return EighFactors.apply(x, uplo=self.uplo)[..., 1:, :]
        return _eigh(x, self.uplo, "eigvalsh")[1]

    def generate_adjoints(self, adjoints, delta, x):
        v = self._vectors(x)
        adjoints[0] = _mm(v * delta[..., None, :], _swap(v))

    def jvp(self, tangents, x):
        v, t = self._vectors(x), tangents[0]
        return np.sum(v * _mm(_symmetric_part(t), v), axis=-2)


class EighResult(NamedTuple):
    """``eigh``'s result, as NumPy's: eigenvalues (ascending) and eigenvectors (columns)."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def _uplo(UPLO: Any, op: str) -> str:
    """NumPy's ``UPLO``: 'L' or 'U', either case."""
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise ValueError(f"{op}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO.upper()


def eigh(x: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, or of each in a stack,
    from its ``UPLO`` triangle, as NumPy's (LAPACK's signs). The derivatives are a symmetric
    input's (as cholesky's); the eigenvectors' are inf or NaN where two eigenvalues tie (as
    torch's), and are defined up to each vector's sign (use sign-invariant functions of
    them)."""
    uplo = _uplo(UPLO, "eigh")
    packed = call(EighFactors, _square(x, "eigh"), uplo=uplo)
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def eigvalsh(x: Any, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of a symmetric matrix, or of each in a stack, as NumPy's
    (its values, without the eigenvectors); gradient V diag(c) V^T, finite where eigenvalues
    tie (their second derivative is not: inf or NaN, as torch's)."""
    uplo = _uplo(UPLO, "eigvalsh")
    return call(EigenValues, _square(x, "eigvalsh"), uplo=uplo)


# ----------------------------------------------------------------------------- products


def matrix_power(a: Any, n: int) -> Tensor:
    """``a`` raised to the integer power ``n`` by recorded products in NumPy's order (its short
    cuts to 3, then repeated squaring): ``n = 0`` the identity (a constant, where torch's
    output requires grad with zero gradient), ``n = 1`` ``a`` itself (as NumPy's), ``n < 0``
    the inverse's power; integers stay integers for ``n >= 0``."""
    if isinstance(n, np.ndarray) and n.ndim == 0 and n.dtype.kind in "iu":
        n = n.item()  # (a 0-d integer array, as NumPy's operator.index takes it)
    if not is_int(n):
        raise TypeError(f"matrix_power: n must be an int, got {n!r}")
    x = to_tensor(a, "matrix_power", "a")
    shape = x.shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"matrix_power: a must be a square matrix or a stack of them (..., n, n), got "
            f"shape {shape}"
        )
    n = int(n)
    if n == 0:
        return Tensor(np.broadcast_to(np.eye(shape[-1], dtype=x.dtype), shape).copy())
    if n < 0:
        x, n = inv(x), -n
    if n <= 3:  # (NumPy's short cuts: x, x x, (x x) x)
        return x if n == 1 else matmul(x, x) if n == 2 else matmul(matmul(x, x), x)
    result = None
    while True:  # (the binary digits of n: x, x^2, x^4, ... multiplied in where a digit is 1)
        if n & 1:
            result = x if result is None else matmul(result, x)
        n >>= 1
        if not n:
            return result
        x = matmul(x, x)


def multi_dot(arrays: Any) -> Tensor:
    """The product of a chain of matrices in the cheapest order, as NumPy's: the first may be a
    vector (a row), the last a vector (a column); each product recorded."""
    from tensorgrad.ops.shape import reshaped

    try:
        xs = [to_tensor(a, "multi_dot", "arrays") for a in arrays]
    except TypeError as exc:
        if "not iterable" not in str(exc):
            raise
        raise TypeError(f"multi_dot: arrays must be a sequence of arrays, got {arrays!r}") from None
    if len(xs) < 2:
        raise ValueError(f"multi_dot: expected at least two arrays, got {len(xs)}")
    given = [x.shape for x in xs]
    first, last = xs[0].ndim == 1, xs[-1].ndim == 1
    if first:
        xs[0] = reshaped(xs[0], (1, -1))
    if last:
        xs[-1] = reshaped(xs[-1], (-1, 1))
    for i, x in enumerate(xs):
        if x.ndim != 2:
            raise ValueError(
                f"multi_dot: array {i} must be 2-D (the first and last may be 1-D), got shape "
                f"{x.shape}"
            )
    for i in range(len(xs) - 1):
        if xs[i].shape[1] != xs[i + 1].shape[0]:
            raise ValueError(
                f"multi_dot: arrays {i} and {i + 1} of shapes {given[i]} and {given[i + 1]} are "
                "not aligned"
            )
    dims = [xs[0].shape[0]] + [x.shape[1] for x in xs]
    k = len(xs)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):  # (the matrix-chain order, as NumPy's)
        for i in range(k - length):
            j = i + length
            cost[i][j] = -1
            for m in range(i, j):
                c = cost[i][m] + cost[m + 1][j] + dims[i] * dims[m + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, m

    def chain(i: int, j: int) -> Tensor:
        if i == j:
            return xs[i]
        return matmul(chain(i, split[i][j]), chain(split[i][j] + 1, j))

    result = chain(0, k - 1)
    if first and last:
        return reshaped(result, ())
    if first or last:
        return reshaped(result, (result.shape[1],) if first else (result.shape[0],))
    return result
