"""cdist's Euclidean distances by one matrix product, exact where the product form is not.

||a - b||^2 = |a|^2 + |b|^2 - 2 a.b costs one matrix product where the norm of every
difference costs P * R * M temporaries (500 x 400 rows of 64: 197 MB and 120 times torch's
time). The product form cancels: its rounding is about M * eps * (|a|^2 + |b|^2), so rows are
first moved by x2's centroid (distances do not change; rows far from the origin no longer
cancel), the products are taken in float64, and the pairs whose squared distance is below
``_CLOSE`` of their squared norms (or that hold an inf or NaN) are recomputed as the norm of
their difference, in blocks, and their adjoints and tangents too: values and first derivatives
are those of the difference form to ~M * eps / _CLOSE relative, and NumPy's at non-finite rows.
A recorded rule (``create_graph``) uses the product form on the centred rows only.
"""

from __future__ import annotations

import numpy as np
from numpy import ndarray

from tensorgrad._shapes import unbroadcast
from tensorgrad.ops._base import Op

_CLOSE = 2.0**-4
"""A pair whose squared distance is below this share of its rows' squared norms (about the
centroid) is recomputed from its difference: the product form's relative error there would
exceed ~M * eps / _CLOSE."""

_BLOCK = 1 << 16
"""Pairs recomputed at a time: at most _BLOCK * M temporaries."""


def _wide(x: ndarray) -> ndarray:
    return x if x.dtype == np.float64 else x.astype(np.float64)


def _centred(a, b):
    """``a`` and ``b`` moved by the centroid of ``b``'s finite rows (a constant): the same
    distances, without the cancellation of rows far from the origin."""
    bd = b.data if not isinstance(b, ndarray) else b
    finite = np.isfinite(bd).all(axis=-1, keepdims=True)
    count = np.maximum(finite.sum(axis=-2, keepdims=True), 1)
    centre = np.where(finite, bd, 0).sum(axis=-2, keepdims=True) / count
    centre = centre.astype(bd.dtype, copy=False)
    return a - centre, b - centre


def _close_pairs(a: ndarray, b: ndarray, squared: ndarray) -> tuple[ndarray, ...]:
    """Indices (over the broadcast leading axes, flattened, then P and R) of the pairs the
    product form cannot give: close ones, and those of rows holding an inf or NaN."""
    na = np.einsum("...i,...i->...", a, a)[..., :, None]
    nb = np.einsum("...i,...i->...", b, b)[..., None, :]
    with np.errstate(invalid="ignore", over="ignore"):
        scale = na + nb
        risky = ~(squared >= _CLOSE * scale) | ~np.isfinite(scale)
    return np.nonzero(_flat(risky, squared.shape[:-2]))


def _flat(x: ndarray, lead: tuple[int, ...]) -> ndarray:
    """``x`` (``lead`` + (N, K)) viewed as (L, N, K); itself with no leading axes."""
    return x.reshape((int(np.prod(lead)),) + x.shape[-2:]) if lead else x


def _flat_rows(x: ndarray, lead: tuple[int, ...]) -> ndarray:
    """``x`` (..., N, M) broadcast to ``lead`` and viewed as (L, N, M) (or (N, M) with no
    leading axes)."""
    return _flat(np.broadcast_to(x, lead + x.shape[-2:]), lead) if lead else x


def _differences(a: ndarray, b: ndarray, pairs: tuple[ndarray, ...], lead, start, stop):
    """a_p - b_r for the pairs in ``[start, stop)``: (K, M)."""
    if lead:
        ell, p, r = (ix[start:stop] for ix in pairs)
        return a[ell, p] - b[ell, r]
    p, r = (ix[start:stop] for ix in pairs)
    return a[p] - b[r]


class EuclideanCdist(Op):
    """||a_p - b_r|| for a (..., P, M) and b (..., R, M), leading axes broadcast (cdist, p = 2);
    its gradient is 0 at zero distance (torch's)."""

    save_inputs = (0, 1)
    save_output = True
    label = "cdist"

    def forward(self, a, b):
        dtype = np.result_type(a, b)
        ac, bc = _centred(_wide(a), _wide(b))
        with np.errstate(invalid="ignore", over="ignore"):
            na = np.einsum("...i,...i->...", ac, ac)[..., :, None]
            nb = np.einsum("...i,...i->...", bc, bc)[..., None, :]
            squared = na + nb - 2 * (ac @ np.swapaxes(bc, -1, -2))
        lead = squared.shape[:-2]
        pairs = _close_pairs(ac, bc, squared)
        out = np.sqrt(np.maximum(squared, 0))
        if pairs[0].size:
            fa, fb = _flat_rows(_wide(a), lead), _flat_rows(_wide(b), lead)
            flat = _flat(out, lead)
            for start in range(0, pairs[0].size, _BLOCK):
                d = _differences(fa, fb, pairs, lead, start, start + _BLOCK)
                exact = np.sqrt(np.einsum("ki,ki->k", d, d))
                flat[tuple(ix[start : start + _BLOCK] for ix in pairs)] = exact
        return out.astype(dtype, copy=False)

    def generate_adjoints(self, adjoints, delta, a, b, out):
        # d||a_p - b_r|| / da_p = (a_p - b_r) / d_pr: with W = delta / d (0 at d = 0),
        # a's adjoint is a * rowsum(W) - W @ b and b's b * colsum(W) - W^T @ a
        zero = (out if isinstance(out, ndarray) else out.data) == 0
        w = np.where(zero, 0, delta / np.where(zero, 1, out))
        if not isinstance(w, ndarray):  # (a recorded rule: the product form, centred)
            ac, bc = _centred(a, b)
            if self.edges[0] is not None:
                adjoints[0] = unbroadcast(ac * w.sum(-1, keepdims=True) - w @ bc, self.in_shape(0))
            if self.edges[1] is not None:
                gb = bc * w.sum(-2)[..., None] - np.swapaxes(w, -1, -2) @ ac
                adjoints[1] = unbroadcast(gb, self.in_shape(1))
            return
        ga, gb = self._exact_adjoints(w, a, b, out)
        if self.edges[0] is not None:
            adjoints[0] = unbroadcast(ga, self.in_shape(0)).astype(self.in_dtype(0), copy=False)
        if self.edges[1] is not None:
            adjoints[1] = unbroadcast(gb, self.in_shape(1)).astype(self.in_dtype(1), copy=False)

    def _exact_adjoints(self, w, a, b, out):
        """Both adjoints in float64, before unbroadcasting: the product form on the centred
        rows, the close pairs' part from their differences."""
        w = _wide(w)
        ac, bc = _centred(_wide(a), _wide(b))
        lead = out.shape[:-2]
        with np.errstate(invalid="ignore", over="ignore"):
            pairs = _close_pairs(ac, bc, _wide(out) ** 2)
        if pairs[0].size:
            w = w.copy()
            flat_w = _flat(w, lead)
            close_w = flat_w[pairs].copy()
            flat_w[pairs] = 0
        ga = ac * w.sum(-1, keepdims=True) - w @ bc
        gb = bc * w.sum(-2)[..., None] - np.swapaxes(w, -1, -2) @ ac
        if pairs[0].size:
            ga = np.broadcast_to(ga, lead + ga.shape[-2:]).copy() if lead else ga
            gb = np.broadcast_to(gb, lead + gb.shape[-2:]).copy() if lead else gb
            fga = _flat(ga, lead)
            fgb = _flat(gb, lead)
            fa, fb = _flat_rows(_wide(a), lead), _flat_rows(_wide(b), lead)
            for start in range(0, pairs[0].size, _BLOCK):
                sl = slice(start, start + _BLOCK)
                part = _differences(fa, fb, pairs, lead, start, start + _BLOCK)
                part *= close_w[sl, None]
                ia = (pairs[0][sl], pairs[1][sl]) if lead else (pairs[0][sl],)
                ib = (pairs[0][sl], pairs[2][sl]) if lead else (pairs[1][sl],)
                np.add.at(fga, ia, part)
                np.subtract.at(fgb, ib, part)
        return ga, gb

    def jvp(self, tangents, a, b, out):
        # d||a_p - b_r|| = (a_p - b_r).(da_p - db_r) / d_pr
        ta, tb = tangents
        zero = (out if isinstance(out, ndarray) else out.data) == 0
        inv = np.where(zero, 0, 1 / np.where(zero, 1, out))
        plain = isinstance(inv, ndarray) and all(
            t is None or isinstance(t, ndarray) for t in tangents
        )
        ac, bc = _centred(_wide(a), _wide(b)) if plain else _centred(a, b)
        s = 0
        if ta is not None:
            s = s + (ac * ta).sum(-1)[..., None] - ta @ np.swapaxes(bc, -1, -2)
        if tb is not None:
            s = s + (bc * tb).sum(-1)[..., None, :] - ac @ np.swapaxes(tb, -1, -2)
        if plain:
            s = np.broadcast_to(s, out.shape).copy()
            self._exact_tangents(s, ta, tb, a, b, out)
            return (s * inv).astype(out.dtype, copy=False)
        return s * inv

    def _exact_tangents(self, s, ta, tb, a, b, out):
        """The close pairs' (a_p - b_r).(da_p - db_r) from their differences, into ``s``."""
        ac, bc = _centred(_wide(a), _wide(b))
        lead = out.shape[:-2]
        with np.errstate(invalid="ignore", over="ignore"):
            pairs = _close_pairs(ac, bc, _wide(out) ** 2)
        if not pairs[0].size:
            return
        flat_s = _flat(s, lead)
        fa, fb = _flat_rows(_wide(a), lead), _flat_rows(_wide(b), lead)
        fta = _flat_rows(_wide(ta), lead) if ta is not None else None
        ftb = _flat_rows(_wide(tb), lead) if tb is not None else None
        for start in range(0, pairs[0].size, _BLOCK):
            sl = slice(start, start + _BLOCK)
            diff = _differences(fa, fb, pairs, lead, start, start + _BLOCK)
            if fta is None:
                dt = -_rows(ftb, pairs, lead, sl, 2)
            elif ftb is None:
                dt = _rows(fta, pairs, lead, sl, 1)
            else:
                dt = _rows(fta, pairs, lead, sl, 1) - _rows(ftb, pairs, lead, sl, 2)
            flat_s[tuple(ix[sl] for ix in pairs)] = np.einsum("ki,ki->k", diff, dt)


def _rows(x: ndarray, pairs: tuple[ndarray, ...], lead, sl: slice, which: int) -> ndarray:
    """The rows of ``x`` the pairs in ``sl`` name (``which``: 1 for P's side, 2 for R's)."""
    if lead:
        return x[pairs[0][sl], pairs[which][sl]]
    return x[pairs[which - 1][sl]]
