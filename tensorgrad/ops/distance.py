"""cdist's Euclidean distances by one matrix product, exact where the product form is not.

||a - b||^2 = |a|^2 + |b|^2 - 2 a.b costs one matrix product where the norm of every
difference costs P * R * M temporaries (500 x 400 rows of 64: 197 MB and 120 times torch's
time). The product form cancels: its rounding is about M * eps * (|a|^2 + |b|^2), so rows are
first moved by x2's centroid (distances do not change; rows far from the origin no longer
cancel), the products are taken in float64, and the pairs whose squared distance is below
``_CLOSE`` of their squared norms (or whose rows hold an inf or NaN) are recomputed from their
difference, in blocks, for the values, the adjoints and the tangents: within ~M * eps / _CLOSE
of the difference form, and NumPy's at non-finite rows. A recorded rule (``create_graph``, a
tangent that requires grad) is the difference form itself, exact to every order (O(P R M)).
"""

from __future__ import annotations

import numpy as np
from numpy import ndarray

from tensorgrad._shapes import unbroadcast
from tensorgrad.ops._base import Op, _data

_CLOSE = 2.0**-4
"""A pair whose squared distance is below this share of its rows' squared norms (about the
centroid) is recomputed from its difference. Past it the product form's distance is within
~M * eps / _CLOSE / 2 relative and its adjoint's terms within ~eps * 4: smooth enough for
second differences at step 1e-6 (at 2**-10 the registry's finite differences of the gradient
met its rounding, 1e-8 off)."""

_BLOCK = 1 << 14
"""Pairs recomputed at a time: at most M * _BLOCK temporaries (8 MB at M = 64)."""


def _wide(x: ndarray) -> ndarray:
    return x if x.dtype == np.float64 else x.astype(np.float64)


def _integral(x: ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.mod(x, 1) == 0))


def _centred(a: ndarray, b: ndarray) -> tuple[ndarray, ndarray]:
    """``a`` and ``b`` (float64) moved by the centroid of ``b``'s finite rows: the same
    distances, without the cancellation of rows far from the origin. Each row is divided
    before the sum (no overflow); an integer centroid where both hold only integers (their
    squares and products stay exact)."""
    finite = np.isfinite(b).all(axis=-1, keepdims=True)
    count = np.maximum(finite.sum(axis=-2, keepdims=True), 1)
    centre = np.where(finite, b / count, 0).sum(axis=-2, keepdims=True)
    if _integral(a) and _integral(b):
        centre = np.round(centre)
    return a - centre, b - centre


def _norms(ac: ndarray, bc: ndarray) -> tuple[ndarray, ndarray]:
    """The rows' squared norms, as a column (P, 1) and as a row (1, R)."""
    na = np.einsum("...i,...i->...", ac, ac)[..., :, None]
    nb = np.einsum("...i,...i->...", bc, bc)[..., None, :]
    return na, nb


def _squared(ac: ndarray, bc: ndarray, na: ndarray, nb: ndarray) -> ndarray:
    """|a|^2 + |b|^2 - 2 a.b for every pair of rows (the product form)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return na + nb - 2 * (ac @ np.swapaxes(bc, -1, -2))


def _close_pairs(na: ndarray, nb: ndarray, squared: ndarray, share: float) -> tuple:
    """The pairs the product form cannot give (those below ``share`` of their squared norms
    ``na + nb``, and those of non-finite rows): their rows' indices among x1's and x2's rows
    over the leading axes flattened, and their places in the flattened output, in that order."""
    with np.errstate(invalid="ignore", over="ignore"):
        scale = na + nb
        risky = ~np.isfinite(scale)
        if share:
            risky |= ~(squared >= share * scale)
    p, r = squared.shape[-2:]
    at = np.flatnonzero(risky)  # (ell * P + i) * R + j, in order
    return at // r, (at // (p * r)) * r + at % r, at


def _columns(x: ndarray, lead: tuple[int, ...]) -> ndarray:
    """``x`` (..., N, M) broadcast to the leading axes ``lead``, its rows as the columns of an
    (M, L * N) array: a block of pairs' rows is gathered, and summed, along contiguous memory
    (np.add.reduceat over rows of 64 took 9 times as long)."""
    rows = np.broadcast_to(x, lead + x.shape[-2:]).reshape(-1, x.shape[-1])
    return np.ascontiguousarray(rows.T)


def _segment_add(target: ndarray, rows: ndarray, columns: ndarray) -> None:
    """``target[rows] += columns.T`` with repeated rows summed: one sort and one reduceat."""
    if rows.size > 1 and not np.all(rows[1:] >= rows[:-1]):
        order = np.argsort(rows, kind="stable")
        rows, columns = rows[order], columns[:, order]
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    target[rows[starts]] += np.add.reduceat(columns, starts, axis=1).T


class EuclideanCdist(Op):
    """||a_p - b_r|| for a (..., P, M) and b (..., R, M), leading axes broadcast (cdist, p = 2);
    its gradient is 0 at zero distance (torch's). ``exact``: close pairs recomputed from their
    differences (else torch's ``use_mm_for_euclid_dist``, rounding as the product form)."""

    __slots__ = ("exact",)
    save_inputs = (0, 1)
    save_output = True
    label = "cdist"

    def __init__(self, exact: bool = True) -> None:
        self.exact = exact

    def _pairs(self, ac: ndarray, bc: ndarray, squared: ndarray, norms: tuple = ()) -> tuple:
        na, nb = norms or _norms(ac, bc)
        return _close_pairs(na, nb, squared, _CLOSE if self.exact else 0.0)

    def forward(self, a, b):
        dtype = np.result_type(a, b)
        a, b = _wide(a), _wide(b)
        ac, bc = _centred(a, b)
        norms = _norms(ac, bc)
        squared = _squared(ac, bc, *norms)
        out = np.sqrt(np.maximum(squared, 0))
        ia, ib, at = self._pairs(ac, bc, squared, norms)
        if at.size:
            lead, flat = out.shape[:-2], out.reshape(-1)
            ca, cb = _columns(a, lead), _columns(b, lead)
            for k in range(0, at.size, _BLOCK):
                sl = slice(k, k + _BLOCK)
                d = ca.take(ia[sl], axis=1) - cb.take(ib[sl], axis=1)
                flat[at[sl]] = np.sqrt(np.einsum("ik,ik->k", d, d))
        return out.astype(dtype, copy=False)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        # d||a_p - b_r|| / da_p = (a_p - b_r) / d_pr: with W = delta / d (0 at d = 0),
        # a's adjoint is a * rowsum(W) - W @ b and b's b * colsum(W) - W^T @ a
        zero = _data(out) == 0
        w = np.where(zero, 0, delta / np.where(zero, 1, out))
        if not isinstance(w, ndarray):  # (recorded: the difference form, exact to every order)
            from tensorgrad.ops.shape import expand_dims

            part = (expand_dims(a, -2) - expand_dims(b, -3)) * expand_dims(w, -1)
            if self.edges[0] is not None:
                adjoints[0] = unbroadcast(part.sum(-2), self.in_shape(0))
            if self.edges[1] is not None:
                adjoints[1] = unbroadcast(-part.sum(-3), self.in_shape(1))
            return
        ga, gb = self._adjoints(_wide(w), _wide(a), _wide(b), _wide(out))
        for i, g in enumerate((ga, gb)):
            if self.edges[i] is not None:
                adjoints[i] = unbroadcast(g, self.in_shape(i)).astype(self.in_dtype(i), copy=False)

    def _adjoints(self, w, a, b, out):
        """Both adjoints in float64 over the broadcast leading axes: the product form on the
        centred rows, the close pairs' part from their differences."""
        ac, bc = _centred(a, b)
        ia, ib, at = self._pairs(ac, bc, out * out)
        if at.size:
            flat_w = w.reshape(-1)  # (w is this rule's own array)
            close_w = flat_w[at]
            flat_w[at] = 0
        ga = np.ascontiguousarray(ac * w.sum(-1, keepdims=True) - w @ bc)
        gb = np.ascontiguousarray(bc * w.sum(-2)[..., None] - np.swapaxes(w, -1, -2) @ ac)
        if at.size:
            lead, m = out.shape[:-2], a.shape[-1]
            ca, cb = _columns(a, lead), _columns(b, lead)
            rows_a, rows_b = ga.reshape(-1, m), gb.reshape(-1, m)
            for k in range(0, at.size, _BLOCK):
                sl = slice(k, k + _BLOCK)
                part = ca.take(ia[sl], axis=1) - cb.take(ib[sl], axis=1)
                part *= close_w[sl]
                _segment_add(rows_a, ia[sl], part)
                _segment_add(rows_b, ib[sl], -part)
        return ga, gb

    def jvp(self, tangents, a, b, out):
        # d||a_p - b_r|| = (a_p - b_r).(da_p - db_r) / d_pr
        ta, tb = tangents
        zero = _data(out) == 0
        inv = np.where(zero, 0, 1 / np.where(zero, 1, out))
        given = [v for v in (inv, a, b, ta, tb) if v is not None]
        if not all(isinstance(v, ndarray) for v in given):
            # (recorded: the difference form, exact to every order)
            from tensorgrad.ops.shape import expand_dims

            dt = 0
            if ta is not None:
                dt = dt + expand_dims(ta, -2)
            if tb is not None:
                dt = dt - expand_dims(tb, -3)
            return ((expand_dims(a, -2) - expand_dims(b, -3)) * dt).sum(-1) * inv
        a, b = _wide(a), _wide(b)
        ac, bc = _centred(a, b)
        s = np.zeros(out.shape)
        if ta is not None:
            s += (ac * ta).sum(-1)[..., None] - ta @ np.swapaxes(bc, -1, -2)
        if tb is not None:
            s += (bc * tb).sum(-1)[..., None, :] - ac @ np.swapaxes(tb, -1, -2)
        ia, ib, at = self._pairs(ac, bc, _wide(out) ** 2)
        if at.size:
            lead, flat_s = out.shape[:-2], s.reshape(-1)
            ca, cb = _columns(a, lead), _columns(b, lead)
            cta = None if ta is None else _columns(_wide(ta), lead)
            ctb = None if tb is None else _columns(_wide(tb), lead)
            for k in range(0, at.size, _BLOCK):
                sl = slice(k, k + _BLOCK)
                diff = ca.take(ia[sl], axis=1) - cb.take(ib[sl], axis=1)
                dt = 0
                if cta is not None:
                    dt = dt + cta.take(ia[sl], axis=1)
                if ctb is not None:
                    dt = dt - ctb.take(ib[sl], axis=1)
                flat_s[at[sl]] = np.einsum("ik,ik->k", diff, dt)
        return (s * inv).astype(out.dtype, copy=False)
