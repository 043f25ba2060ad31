"""The decompositions of any matrix for ``tg.linalg``: svd, svdvals, qr, pinv, lstsq, batched
over the leading axes, differentiable to any order (svdvals to the second, as ``norm``'s).

As in lapack.py, each rule is written with ``_mm``, ``_swap`` and ops that take arrays or
Tensors, so that run on Tensors it records itself. The rules are the classic ones (torch's and
JAX's): with x = U diag(s) V^T and P = U^T dx V, ds = diag(P), U^T dU and V^T dV are P's
parts over F_ij = 1 / (s_j^2 - s_i^2) (inf where singular values tie, as torch's), and the
parts of dU and dV outside U's and V's columns divide by s; with x = QR, Q^T dQ and dR R^-1
split Q^T dx R^-1 into its skew and triangular parts; pinv's is Golub and Pereyra's, for a
constant rank.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tensorgrad.ops._base import Op, call
from tensorgrad.ops.lapack import (
    _flag,
    _gap_inverses,
    _operand,
    _solve,
    _symmetric_part,
    _unused,
)
from tensorgrad.ops.linalg import (
    SingularValues,
    _mm,
    _svd,
    _swap,
    finite_or_nan,
    over_one_batch_axis,
)
from tensorgrad.tensor import Tensor

__all__ = ["svd", "svdvals", "qr", "pinv", "lstsq"]


def _matrices(x: Any, op: str, name: str = "x") -> Tensor:
    """``x`` as a float Tensor of at least two dimensions (``_operand``)."""
    x = _operand(x, op, name)
    if x.ndim < 2:
        raise ValueError(
            f"{op}: {name} must be a matrix or a stack of them (..., m, n), got shape {x.shape}"
        )
    return x


def _eye(k: int, like: Any) -> np.ndarray:
    return np.eye(k, dtype=like.dtype)


# ----------------------------------------------------------------------------- svd


class SvdFactors(Op):
    """U (rows :m), the singular values (row m, largest first) and V (rows m+1:) of each
    matrix, packed in one array of width k = min(m, n) (``full``: max(m, n), U and V square,
    their completions constants as torch's, the rest zeros)"""

    __slots__ = ("full",)
    save_output = True

    def __init__(self, full: bool = False) -> None:
        self.full = full

    def forward(self, x):
        m, n = x.shape[-2:]
        if np.isnan(x).any():  # (NumPy's SVD refuses it, as torch's)
            raise np.linalg.LinAlgError("svd: a holds a NaN")
        if not self.full:
            u, s, vt = _svd(x)
            return np.concatenate([u, s[..., None, :], _swap(vt)], axis=-2)
        u, s, vt = finite_or_nan(np.linalg.svd, x, full_matrices=True)  # (as _svd's)
        out = np.zeros(x.shape[:-2] + (m + 1 + n, max(m, n)), x.dtype)
        out[..., :m, :m], out[..., m, : min(m, n)], out[..., m + 1 :, :n] = u, s, _swap(vt)
        out[np.isnan(s).any(axis=-1)] = np.nan  # (the matrices finite_or_nan gave NaN)
        return out

    def _parts(self, out, rows):
        """U, s and V (thin) from a packed array of ``rows`` = m rows for U."""
        k = min(rows, out.shape[-2] - rows - 1)
        return out[..., :rows, :k], out[..., rows, :k], out[..., rows + 1 :, :k]

    def generate_adjoints(self, adjoints, delta, out):
        m = self.in_shape(0)[-2]
        u, s, v = self._parts(out, m)
        gu, gs, gv = self._parts(delta, m)
        m, n, k = u.shape[-2], v.shape[-2], s.shape[-1]
        inner = gs[..., :, None] * _eye(k, s)
        use_u, use_v = not _unused(gu), not _unused(gv)
        with np.errstate(divide="ignore", invalid="ignore"):  # (a tie or a zero: inf, NaN)
            f = _gap_inverses(s * s) if use_u or use_v else None
            if use_u:
                ju = _mm(_swap(u), gu)
                inner = inner + f * (ju - _swap(ju)) * s[..., None, :]
            if use_v:
                jv = _mm(_swap(v), gv)
                inner = inner + s[..., :, None] * (f * (jv - _swap(jv)))
            g = _mm(_mm(u, inner), _swap(v))
            if use_u and m > k:  # (the part of gu outside U's columns)
                g = g + _mm((gu - _mm(u, ju)) / s[..., None, :], _swap(v))
            if use_v and n > k:
                g = g + _mm(u, _swap((gv - _mm(v, jv)) / s[..., None, :]))
        adjoints[0] = g

    def jvp(self, tangents, out):
        t = tangents[0]
        m, n = t.shape[-2:]
        u, s, v = self._parts(out, m)
        k = s.shape[-1]
        p = _mm(_mm(_swap(u), t), v)
        si, sj = s[..., :, None], s[..., None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            f = _gap_inverses(s * s)
            du = _mm(u, f * (p * sj + si * _swap(p)))
            dv = _mm(v, f * (si * p + _swap(p) * sj))
            if m > k:
                du = du + (_mm(t, v) - _mm(u, p)) / sj
            if n > k:
                dv = dv + (_mm(_swap(t), u) - _mm(v, _swap(p))) / sj
        ds = np.diagonal(p, axis1=-2, axis2=-1)
        packed = np.concatenate([du, ds[..., None, :], dv], axis=-2)
        width = out.shape[-1]
        if width > k:  # (the completions' columns: constants)
            pad = np.zeros(packed.shape[:-1] + (width - k,), packed.dtype)
            packed = np.concatenate([packed, pad], axis=-1)
        return packed


class SVDResult(NamedTuple):
    """``svd``'s result, as NumPy's: U, the singular values S (largest first), and Vh = V^T."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def _hermitian_svd(x: Tensor, compute_uv: bool) -> Any:
    """NumPy's SVD of a symmetric matrix by eigh: s = |w| sorted down, w's signs moved into
    Vh; recorded, so differentiable as eigh (for a symmetric input)."""
    from tensorgrad.ops.elementwise import abs as absolute
    from tensorgrad.ops.elementwise import sign
    from tensorgrad.ops.indexing import take_along_axis
    from tensorgrad.ops.lapack import eigh, eigvalsh

    def descending(a: np.ndarray) -> np.ndarray:  # (NumPy's order, ties reversed)
        flat = a.reshape(-1, a.shape[-1])  # (one batch axis: argsort stops at 32 dimensions)
        return np.argsort(flat, axis=-1)[:, ::-1].reshape(a.shape)

    if not compute_uv:
        s = absolute(eigvalsh(x))
        return take_along_axis(s, descending(s.data), axis=-1)
    w, v = eigh(x)
    order = descending(np.abs(w.data))
    s = take_along_axis(absolute(w), order, axis=-1)
    u = take_along_axis(v, order[..., None, :], axis=-1)
    signs = take_along_axis(sign(w), order, axis=-1)
    return SVDResult(u, s, _swap(u * signs[..., None, :]))


def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """The SVD a = U diag(S) Vh of a matrix, or of each in a stack, as NumPy's (its defaults:
    ``full_matrices=True``, whose extra columns of U or Vh are constants, as torch's, any
    orthonormal completion being one); ``compute_uv=False`` gives S alone (differentiable to
    second order, finite where singular values tie). The factors' derivatives are inf or NaN
    where singular values tie, or (outside a square matrix's) where one is 0, as torch's, and
    each pair of singular vectors is defined up to a common sign (use sign-invariant
    functions of them). ``hermitian=True`` reads a symmetric matrix through ``eigh``."""
    op = "svd"
    full_matrices = _flag(full_matrices, op, "full_matrices")
    compute_uv = _flag(compute_uv, op, "compute_uv")
    x = _matrices(a, op, "a")
    if _flag(hermitian, op, "hermitian"):
        if x.shape[-1] != x.shape[-2]:
            raise ValueError(f"svd: hermitian=True needs square matrices, got shape {x.shape}")
        return _hermitian_svd(x, compute_uv)
    if not compute_uv:
        return _singular_values(x, op)
    m, n = x.shape[-2:]
    k = min(m, n)
    packed = call(SvdFactors, x, full=full_matrices and m != n)
    wide = packed.shape[-1]
    u = packed[..., :m, : m if wide > k else k]
    vh = _swap(packed[..., m + 1 :, : n if wide > k else k])
    return SVDResult(u, packed[..., m, :k], vh)


def svdvals(x: Any) -> Tensor:
    """The singular values of a matrix, or of each in a stack, largest first (NumPy 2's and
    torch's): differentiable to second order, finite where singular values tie."""
    return _singular_values(_matrices(x, "svdvals"), "svdvals")


def _singular_values(x: Tensor, op: str) -> Tensor:
    try:
        return call(SingularValues, x)
    except np.linalg.LinAlgError as exc:  # (a NaN)
        raise np.linalg.LinAlgError(f"{op}: {exc}") from None


# ----------------------------------------------------------------------------- qr


def _tril_part(c: Any) -> Any:
    """c's strictly lower triangle."""
    k = c.shape[-1]
    return c * np.tri(k, k, -1, dtype=c.dtype)


def _qr_adjoint(q: Any, r: Any, gq: Any, gr: Any) -> Any:
    """The adjoint of (Q, R) for x = QR with R square (m >= n): (gQ + Q copyltu(M)) R^-T with
    M = R gR^T - gQ^T Q, copyltu mirroring M's lower triangle onto its upper one."""
    m = _mm(r, _swap(gr)) - _mm(_swap(gq), q)
    low = _tril_part(m)
    b = gq + _mm(q, low + _swap(low) + m * _eye(m.shape[-1], m))
    return _swap(_solve(r, _swap(b), True))


def _qr_tangent(q: Any, r: Any, t: Any) -> tuple[Any, Any]:
    """The tangents of (Q, R) along t for x = QR with R square: with X = t R^-1 and C = Q^T X,
    Q^T dQ = Omega, C's strictly lower part made skew, dR = (C - Omega) R, and dQ = Q Omega +
    X - Q C (X's part outside Q's columns)."""
    x = _swap(_solve(_swap(r), _swap(t), False))
    c = _mm(_swap(q), x)
    low = _tril_part(c)
    omega = low - _swap(low)
    return _mm(q, omega) + x - _mm(q, c), _mm(c - omega, r)


_COMPLETE = (
    "qr: mode='complete' of a matrix with more rows than columns is not differentiable "
    "(Q's extra columns are any orthonormal completion; as torch); use mode='reduced'"
)


class QrFactors(Op):
    """Q^T (columns :m) beside R (columns m:) for x = QR, packed along the last axis"""

    __slots__ = ("mode",)
    save_output = True

    def __init__(self, mode: str = "reduced") -> None:
        self.mode = mode

    def forward(self, x):
        q, r = over_one_batch_axis(np.linalg.qr, x, mode=self.mode)
        return np.concatenate([_swap(q), r], axis=-1)

    def _parts(self, out, rows):
        return _swap(out[..., :rows]), out[..., rows:]

    def _check(self, m, n):
        if self.mode == "complete" and m > n:
            raise NotImplementedError(_COMPLETE)

    def generate_adjoints(self, adjoints, delta, out):
        m, n = self.in_shape(0)[-2:]
        self._check(m, n)
        q, r = self._parts(out, m)
        gq, gr = self._parts(delta, m)
        if m >= n:
            adjoints[0] = _qr_adjoint(q, r, gq, gr)
            return
        # (a wide x = [X | Y]: X = Q R_X, and R's other columns V = Q^T Y)
        gv, y = gr[..., m:], _mm(q, r[..., m:])
        gx = _qr_adjoint(q, r[..., :m], gq + _mm(y, _swap(gv)), gr[..., :m])
        adjoints[0] = np.concatenate([gx, _mm(q, gv)], axis=-1)

    def jvp(self, tangents, out):
        t = tangents[0]
        m, n = t.shape[-2:]
        self._check(m, n)
        q, r = self._parts(out, m)
        if m >= n:
            dq, dr = _qr_tangent(q, r, t)
            return np.concatenate([_swap(dq), dr], axis=-1)
        dq, drx = _qr_tangent(q, r[..., :m], t[..., :m])
        dv = _mm(_swap(dq), _mm(q, r[..., m:])) + _mm(_swap(q), t[..., m:])
        return np.concatenate([_swap(dq), drx, dv], axis=-1)


class QRResult(NamedTuple):
    """``qr``'s result, as NumPy's: Q with orthonormal columns and upper triangular R."""

    Q: Tensor
    R: Tensor


def qr(a: Any, mode: str = "reduced") -> Any:
    """The QR decomposition a = QR of a matrix, or of each in a stack, as NumPy's (its modes:
    'reduced', 'complete', 'r' for R alone; 'raw', LAPACK's Householder form, is not
    differentiable and refused for an input that requires grad). Differentiable to any order,
    also for wide matrices (as torch's); not for 'complete' with more rows than columns (Q's
    extra columns are arbitrary; as torch). A rank-deficient matrix gives inf or NaN
    derivatives, as torch's."""
    from tensorgrad.grad_mode import is_grad_enabled

    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete', 'r' or 'raw', got {mode!r}")
    x = _matrices(a, "qr", "a")
    if mode == "raw":
        if x.requires_grad and is_grad_enabled():
            raise ValueError("qr: mode='raw' is not differentiable; use 'reduced' or 'r'")
        h, tau = np.linalg.qr(x.data, mode="raw")
        return Tensor(h), Tensor(tau)
    m, n = x.shape[-2:]
    packed = call(QrFactors, x, mode="complete" if mode == "complete" else "reduced")
    q, r = _swap(packed[..., :m]), packed[..., m:]
    return r if mode == "r" else QRResult(q, r)


# ----------------------------------------------------------------------------- pinv, lstsq
# NOTE: for P = pinv(A) at a constant rank (Golub and Pereyra, 1973),
#   dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P,
# so the adjoint of P for G is -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).


def _pinv_tangent(a: Any, p: Any, t: Any) -> Any:
    pt = _swap(p)
    z = _mm(_mm(p, pt), _swap(t))
    w = _mm(_swap(t), _mm(pt, p))
    return -_mm(_mm(p, t), p) + z - _mm(_mm(z, a), p) + w - _mm(p, _mm(a, w))


def _pinv_adjoint(a: Any, p: Any, g: Any) -> Any:
    pt, gt = _swap(p), _swap(g)
    z = _mm(gt, _mm(p, pt))
    w = _mm(_mm(pt, p), gt)
    return -_mm(_mm(pt, g), pt) + z - _mm(a, _mm(p, z)) + w - _mm(_mm(w, p), a)


class Pinv(Op):
    """the pseudo-inverse of each matrix, NumPy's (``options``: its rcond, rtol, hermitian)"""

    __slots__ = ("options",)
    save_inputs = (0,)
    save_output = True

    def __init__(self, options: dict) -> None:
        self.options = options

    def forward(self, x):
        read = np.tril(x) if self.options.get("hermitian") else x  # (eigh's lower triangle)
        if np.isnan(read).any():  # (NumPy's SVD refuses it)
            raise np.linalg.LinAlgError("pinv: a holds a NaN")
        return finite_or_nan(np.linalg.pinv, x, read, **self.options)  # (inf: NaN, as svd's)

    def generate_adjoints(self, adjoints, delta, x, p):
        g = _pinv_adjoint(x, p, delta)
        adjoints[0] = _symmetric_part(g) if self.options.get("hermitian") else g

    def jvp(self, tangents, x, p):
        t = tangents[0]
        return _pinv_tangent(x, p, _symmetric_part(t) if self.options.get("hermitian") else t)


_UNSET = object()


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _UNSET) -> Tensor:
    """The (Moore-Penrose) pseudo-inverse of a matrix, or of each in a stack, NumPy's (its
    cutoffs: ``rcond``, or the array API's ``rtol``, relative to the largest singular value;
    ``hermitian=True`` for a symmetric input, whose derivatives are then a symmetric input's).
    Its derivatives are those at a constant rank (as torch's): they jump where a singular value
    crosses the cutoff."""
    options: dict[str, Any] = {"hermitian": _flag(hermitian, "pinv", "hermitian")}
    if rtol is not _UNSET:
        if rcond is not None:
            raise ValueError("pinv: give rcond or rtol, not both")
        options["rtol"] = _constant(rtol, "pinv", "rtol")
    elif rcond is not None:
        options["rcond"] = _constant(rcond, "pinv", "rcond")
    x = _matrices(a, "pinv", "a")
    for name in ("rcond", "rtol"):
        cut = options.get(name)
        if isinstance(cut, np.ndarray):
            try:
                np.broadcast_shapes(cut.shape, x.shape[:-2])
            except ValueError:
                raise ValueError(
                    f"pinv: {name} of shape {cut.shape} does not broadcast against the stack's "
                    f"leading axes {x.shape[:-2]} (a of shape {x.shape})"
                ) from None
    return call(Pinv, x, options=options)


def _constant(value: Any, op: str, name: str) -> Any:
    """A cutoff: a real number or an array of them (None as it is), never a Tensor that
    requires grad."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(f"{op}: {name} is a cutoff, not differentiable; pass a number")
        value = value.data
    a = np.asarray(value)
    if a.dtype.kind not in "biuf" or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a real number or an array of them, got {value!r}")
    return a if a.ndim else float(a)


class Lstsq(Op):
    """the least-squares solution x of a x = b (NumPy's, 2-D b), through the pseudo-inverse
    P with NumPy's cutoff ``rcond``: x = P b"""

    __slots__ = ("rcond", "solution")
    save_inputs = (0, 1)
    frees = ("solution",)

    def __init__(self, rcond: float, solution: np.ndarray) -> None:
        self.rcond = rcond
        self.solution = solution  # (NumPy's, computed with the rank and residuals)

    def forward(self, a, b):
        return self.solution

    def _pinv(self, a):
        if isinstance(a, Tensor):
            return Pinv.apply(a, options={"rcond": self.rcond})
        return np.linalg.pinv(a, rcond=self.rcond)

    def generate_adjoints(self, adjoints, delta, a, b):
        p = self._pinv(a)
        if self.edges[0] is not None:
            adjoints[0] = _pinv_adjoint(a, p, _mm(delta, _swap(b)))
        if self.edges[1] is not None:
            adjoints[1] = _mm(_swap(p), delta)

    def jvp(self, tangents, a, b):
        ta, tb = tangents
        p = self._pinv(a)
        out = None if tb is None else _mm(p, tb)
        if ta is not None:
            part = _mm(_pinv_tangent(a, p, ta), b)
            out = part if out is None else out + part
        return out


class LstsqResult(NamedTuple):
    """``lstsq``'s result, as NumPy's: the solution, the sums of squared residuals (empty
    unless a has full column rank and more rows than columns), a's rank, its singular values."""

    solution: Tensor
    residuals: Tensor
    rank: int
    singular_values: Tensor


def lstsq(a: Any, b: Any, rcond: float | None = None) -> LstsqResult:
    """The least-squares solution of a x = b for a matrix ``a`` (M, N) and ``b`` (M,) or (M, K),
    NumPy's (``rcond=None``: machine precision times max(M, N)), differentiable to any order
    in a and b as x = pinv(a) b (its derivatives at a constant rank, as torch's); the residuals
    and singular values are recorded too (computed again: NumPy's to rounding)."""
    from tensorgrad.ops.reductions import sum as tg_sum
    from tensorgrad.ops.shape import reshaped

    op = "lstsq"
    a = _matrices(a, op, "a")
    b = _operand(b, op, "b")
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            f"lstsq: a must be a matrix (M, N) and b (M,) or (M, K) with the same M, got a of "
            f"shape {a.shape} and b of shape {b.shape} (for stacks, use pinv(a) @ b)"
        )
    m, n = a.shape
    eps = float(np.finfo(np.float64).eps)  # (NumPy's, whose LAPACK call is in double)
    if rcond is None:
        rcond = eps * max(m, n)
    else:
        rcond = _constant(rcond, op, "rcond")
        if not isinstance(rcond, float):
            raise TypeError(f"lstsq: rcond must be a number, got {rcond!r}")
        rcond = eps if rcond < 0 else rcond  # (LAPACK's: a negative one means eps)
    column = b.ndim == 1
    b2 = reshaped(b, (m, 1)) if column else b
    if not np.isfinite(a.data).all():  # (NumPy's SVD fails on it, or never returns)
        raise np.linalg.LinAlgError("lstsq: a holds an inf or a NaN")
    numpy = np.linalg.lstsq(a.data, b2.data, rcond=rcond)
    x = call(Lstsq, a, b2, rcond=rcond, solution=numpy[0])
    s = call(SingularValues, a)
    rank = int(numpy[2])
    if rank == n and m > n:  # (NumPy's values, recorded as ||a x - b||^2 for the derivatives)
        recorded = tg_sum((_mm(a, x) - b2) ** 2, axis=0)
        residuals = recorded + (numpy[1].astype(recorded.dtype) - recorded.data)
    else:
        residuals = Tensor(np.zeros(0, x.dtype))
    return LstsqResult(reshaped(x, (n,)) if column else x, residuals, rank, s)
