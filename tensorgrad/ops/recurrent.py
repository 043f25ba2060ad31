"""The time loops of the recurrent layers as ops: every step of an LSTM, GRU or Elman RNN layer
(one direction) in one node.

Each op takes the input's projections for all the steps, xp (L, ..., G * H) (x W_ih^T and
biases, one matmul over the whole sequence, made by the layer as torch's CPU and cuDNN layers
make it), the initial state(s) and the recurrent weights, and returns the state(s) of every
step, (L, ..., .), in time order (``reverse`` runs the recurrence from the last step). The
forward is the recurrence in NumPy, one matmul and a few ufuncs a step; the adjoint rule runs
it backwards (backpropagation through time), the tangent rule forwards.

The rules read every step's gates as the forward kept them, or on Tensors recompute them from
what was saved (the inputs and the output, whose states shifted by a step are the previous
ones) by one matmul and a few ufuncs over all the steps at once; the recurrent weights'
adjoints are one matmul over all the steps. The rules are written with operators and with ops
that take arrays or Tensors, so that run on Tensors (``create_graph``, forward mode over a
recorded graph) they record themselves: derivatives of any order follow (there the steps are
sliced by halves, ``_by_step``, so that a backward through a recorded rule is O(size * log L)).
An op that no rule will run for (not recorded, no tangent: ``_keeps``, decided by the public
function) keeps no gates: its forward writes each step's into one step's buffers, with the
same ufuncs on the same layouts, so the same bits.

Packed sequences (``batch_sizes``, torch's ``PackedSequence`` layout): xp is then
(sum(batch_sizes), G * H), the rows of each step after those of the step before, and step t
runs the first batch_sizes[t] rows of the state (batch_sizes non-increasing, the sequences
sorted by decreasing length); the others keep their state. The same loops run it: a step
starts from the previous step's state, its first rows, or (a sequence whose first step in the
recurrence's order this is: the reverse direction) the initial state's (``_state_in``); the
rules carry the state's adjoint the other way (``_carry``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_args, to_tensor
from tensorgrad.grad_mode import STATE
from tensorgrad.ops._base import Op, call
from tensorgrad.ops.elementwise import Sigmoid, Tanh, _relu_slope, _selected
from tensorgrad.ops.linalg import _mm, _product
from tensorgrad.tensor import Tensor, flag_arg

__all__ = ["lstm_sequence", "gru_sequence", "rnn_sequence"]


# ----------------------------------------------------------------------------- argument checks
# (shared with the layers and cells of tensorgrad.nn.recurrent, which check their own input
# and states with these before calling the functions below)


def check_state(where: object, name: str, shape: tuple, expected: tuple, given: str) -> None:
    """ValueError naming ``where`` (a function's name, or a layer, by its repr: made only for
    the message), the state ``name``, the shape expected for ``given`` (what fixed it: the
    input, the weights) and the one got."""
    if shape != expected:
        raise ValueError(f"{where}: expected {name} of shape {expected} for {given}, got {shape}")


def check_length(where: object, whose: str, shape: tuple, axis: int = 0) -> None:
    """ValueError naming ``where`` (as ``check_state``'s) for a sequence of length 0 (the time
    ``axis`` of ``shape``), as torch's layers refuse one ("Expected sequence length to be
    larger than 0")."""
    if shape[axis] == 0:
        raise ValueError(f"{where}: {whose} sequence length is 0 (shape {shape})")


def _batch_sizes_arg(where: str, batch_sizes: Any) -> tuple[int, ...] | None:
    """``batch_sizes`` as a tuple of ints (None stays None): 1-D, integers, positive and
    non-increasing, else a ValueError (TypeError for non-integers) naming ``where``."""
    if batch_sizes is None:
        return None
    b = np.asarray(batch_sizes.data if isinstance(batch_sizes, Tensor) else batch_sizes)
    if b.dtype.kind not in "iu" or b.ndim != 1:
        raise TypeError(
            f"{where}: batch_sizes must be a 1-D sequence of ints, got {b.dtype} of shape {b.shape}"
        )
    if len(b) == 0 or b.min() <= 0 or np.any(np.diff(b) > 0):
        raise ValueError(
            f"{where}: batch_sizes must be positive and non-increasing (a PackedSequence's), "
            f"got {b.tolist()}"
        )
    return tuple(b.tolist())


def _sequence_args(
    where: str, gates: int, args: dict, square: bool = True, batch_sizes: Any = None
) -> tuple:
    """The arguments of a ``*_sequence`` function as Tensors, checked: xp (L, ..., gates * H)
    with L > 0 (or packed, (sum(batch_sizes), gates * H)), W_hh (gates * H, P), P = H unless
    ``square`` is False (LSTM's projection), the states (..., .) and W_hr, b_hh by name; their
    promoted dtype floating. Returns the Tensors, by name, and the batch sizes (a tuple or
    None)."""
    bs = _batch_sizes_arg(where, batch_sizes)
    size = "hidden_size" if gates == 1 else f"{gates} * hidden_size"
    check_args(where, optional=("w_hr",), **args)
    ts = {k: None if v is None else to_tensor(v, where, k) for k, v in args.items()}
    xp, w = ts["xp"], ts["w_hh"]
    if xp.ndim < 2:
        raise ValueError(
            f"{where}: xp must be the input's projections (L, ..., {size}), at "
            f"least 2-D, got shape {xp.shape}"
        )
    check_length(where, "xp's", xp.shape)
    if bs is not None and (xp.ndim != 2 or len(xp) != sum(bs)):
        raise ValueError(
            f"{where}: packed xp must be (sum(batch_sizes), {size}) = ({sum(bs)}, .), got "
            f"shape {xp.shape}"
        )
    if w.ndim != 2 or w.shape[0] % gates:
        raise ValueError(f"{where}: w_hh must be a matrix ({size}, hidden), got shape {w.shape}")
    n, p = w.shape[0] // gates, w.shape[1]
    if square and p != n:
        raise ValueError(f"{where}: w_hh must be ({size}, hidden_size), got shape {w.shape}")
    if xp.shape[-1] != w.shape[0]:
        raise ValueError(
            f"{where}: xp of shape {xp.shape} and w_hh of shape {w.shape} do not match (xp's "
            f"last axis must be w_hh's {w.shape[0]} rows)"
        )
    batch = xp.shape[1:-1] if bs is None else bs[:1]
    wanted = {"h0": batch + (p,), "c0": batch + (n,), "w_hr": (p, n), "b_hh": (gates * n,)}
    for k, t in ts.items():
        if k in wanted and t is not None and t.shape != wanted[k]:
            given = f"xp of shape {xp.shape} and w_hh of shape {w.shape}"
            if bs is not None:
                given += f" (batch_sizes[0] = {bs[0]})"
            check_state(where, k, t.shape, wanted[k], given)
    dtypes = [t.dtype for t in ts.values() if t is not None]
    if any(d.kind != "f" for d in dtypes) and np.result_type(*dtypes).kind != "f":
        kinds = ", ".join(f"{k} {t.dtype}" for k, t in ts.items() if t is not None)
        raise TypeError(
            f"{where}: no floating-point operand ({kinds}): the recurrence computes in the "
            "dtype they promote to, as the layers do (their weights are floating)"
        )
    return ts, bs


# ----------------------------------------------------------------------------- helpers


def _steps(n: int, reverse: bool) -> range:
    """The time steps in the order the recurrence visits them."""
    return range(n - 1, -1, -1) if reverse else range(n)


def _spans(xp: Any, batch_sizes: tuple | None) -> tuple[int, Any]:
    """The count of steps of ``xp`` and each step's index into a sequence: t (xp (L, ...)), or
    (packed) the slice of step t's rows."""
    if batch_sizes is None:
        return len(xp), range(len(xp))
    ends = list(itertools.accumulate(batch_sizes, initial=0))
    return len(batch_sizes), [slice(a, b) for a, b in zip(ends, ends[1:])]


def _state_in(h: Any, first: Any, k: int | None) -> Any:
    """The state a step of ``k`` rows (None: not packed) starts from, given the state ``h``
    the step before it (in the recurrence's order) left, of m rows: its first k if m >= k,
    else with the rows m:k of the initial state ``first`` (packed, in the reverse direction
    the sequences of k rows but not of m start at this step)."""
    if k is None or len(h) == k:
        return h
    if len(h) > k:
        return h[:k]
    return np.concatenate([h, first[len(h) : k]])


def _carry(d: Any, dh: Any, spill: list) -> Any:
    """A step's own adjoint ``d`` (k rows) plus ``dh`` carried back from the step after it in
    the recurrence's order (m rows, None at the first one the rule visits): packed, m < k in
    the forward direction (rows m:k ended here), and m > k in the reverse one, where rows k:m
    began at that step, from the initial state: appended to ``spill`` (``_first``)."""
    if dh is None:
        return d
    k, m = len(d), len(dh)
    if m == k:
        return d + dh
    if m > k:
        spill.append(dh[k:])
        return d + dh[:k]
    return np.concatenate([d[:m] + dh, d[m:]])


def _first(dh: Any, spill: list) -> Any:
    """The initial state's adjoint: ``dh`` carried past the last step the rule visits, and the
    rows ``_carry`` spilled (last spilled the next rows)."""
    return np.concatenate([dh, *spill[::-1]]) if spill else dh


def _joined(steps: list, batch_sizes: tuple | None) -> Any:
    """Per-step values as one sequence: stacked (L, ...), or packed, their rows one after
    another."""
    return np.stack(steps) if batch_sizes is None else np.concatenate(steps)


def _previous_rows(batch_sizes: tuple, reverse: bool) -> np.ndarray:
    """For packed data, the row of each step's previous state in [first; states] (the initial
    state's B rows, then the T steps'): the step before's same row in the forward direction,
    in the reverse one the step after's, or the initial state's for a sequence that begins
    there."""
    ends = list(itertools.accumulate(batch_sizes, initial=0))
    b, steps = batch_sizes[0], len(batch_sizes)
    idx = np.empty(ends[-1], np.intp)
    for t, k in enumerate(batch_sizes):
        rows = np.arange(k)
        if not reverse:
            idx[ends[t] : ends[t + 1]] = rows + (b + ends[t - 1] if t else 0)
        else:
            m = batch_sizes[t + 1] if t + 1 < steps else 0
            idx[ends[t] : ends[t + 1]] = np.where(rows < m, rows + b + ends[t + 1], rows)
    return idx


def _before(states: Any, first: Any, reverse: bool, batch_sizes: tuple | None = None) -> Any:
    """Each step's previous state (L, ...): ``first`` then ``states`` shifted by one step, in
    the recurrence's direction (packed: ``_previous_rows``)."""
    if batch_sizes is not None:
        return np.concatenate([first, states])[_previous_rows(batch_sizes, reverse)]
    if reverse:
        return np.concatenate([states[1:], first[None]])
    return np.concatenate([first[None], states[:-1]])


def _by_step(*seqs: Any, spans: Any = None) -> list:
    """Each of ``seqs`` (L, ...) indexable by step: an array as it is (its steps are views), a
    Tensor as the list of its steps, sliced by halves. (A recorded slice's adjoint is as large
    as what it slices: L slices of the whole would cost O(L * size) in a backward through the
    recorded rule, L slices by halves O(size * log L).) Packed (``spans`` a list of slices,
    ``_spans``), every one as the list of its steps' rows."""
    if isinstance(spans, list):
        return [_packed_steps(x, spans) for x in seqs]
    return [_halves(x) if isinstance(x, Tensor) else x for x in seqs]


def _packed_steps(x: Any, spans: list, start: int = 0) -> Any:
    """The steps of packed ``x`` (its rows from ``spans[0].start - start``), a Tensor's sliced
    by halves (as ``_halves``)."""
    if x is None:
        return None
    if not isinstance(x, Tensor) or len(spans) <= 4:
        return [x[s.start - start : s.stop - start] for s in spans]
    half = len(spans) // 2
    cut = spans[half].start - start
    left, right = spans[:half], spans[half:]
    return _packed_steps(x[:cut], left, start) + _packed_steps(x[cut:], right, start + cut)


def _halves(x: Tensor) -> list:
    n = len(x)
    if n <= 4:
        return [x[t] for t in range(n)]
    return _halves(x[: n // 2]) + _halves(x[n // 2 :])


def _rows(a: Any) -> Any:
    """``a`` (..., k) as a matrix of rows (the count from the shape: reshape(-1, 0) fails)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _times(a: Any, m: Any) -> Any:
    """``a @ m`` for a (..., k) and a matrix m (k, n), as one matrix product over the rows of
    ``a`` (np.matmul of a stack by a matrix makes one product per matrix of the stack)."""
    return _mm(_rows(a), m).reshape(a.shape[:-1] + (m.shape[-1],))


def _sigmoid_into(x: np.ndarray, out: np.ndarray, overflowed: list) -> np.ndarray:
    """``Sigmoid``'s 1 / (1 + e ** -x), written into ``out``, under the caller's errstate that
    appends to ``overflowed`` when e ** -x overflows: those entries then get e ** x, a
    subnormal, as Sigmoid's. (One errstate for the whole loop, not one a call: float16, whose
    Sigmoid computes in float32, calls Sigmoid itself.)"""
    if x.dtype.itemsize < 4:
        out[...] = Sigmoid.apply(x)
        return out
    np.negative(x, out=out)
    np.exp(out, out=out)
    past = None
    if overflowed:
        past = np.isinf(out)
        overflowed.clear()
    out += 1
    np.reciprocal(out, out=out)
    if past is not None:
        out[past] = np.exp(x[past])
    return out


def _keeps(ts: dict) -> bool:
    """Whether an op on the Tensors ``ts`` (None: absent) will run a rule, so that its forward
    must keep every step's gates: it is recorded (grad mode on, an input requiring grad) or
    pushes tangents (an input carrying one), as ``apply`` decides after the forward. Else the
    forward writes them into one step's buffers, reused by every step."""
    grad = STATE.grad_enabled
    return any(
        t is not None and ((grad and t._requires_grad) or t._fw is not None) for t in ts.values()
    )


def _buffers(keep: bool, xp: Any, batch_sizes: tuple | None, widths: tuple, dtype: Any) -> list:
    """Arrays for a forward's per-step values of the given last-axis ``widths``: the whole
    sequence's, xp's shape but its last axis, kept for the rules; or (not ``keep``) one
    step's, of the most rows a step has, which every step writes over (``_at``)."""
    if keep:
        lead = xp.shape[:-1]
    else:
        lead = xp.shape[1:-1] if batch_sizes is None else batch_sizes[:1]
    return [np.empty(lead + (w,), dtype) for w in widths]


def _at(arrays: list, keep: bool, s: Any, k: int | None) -> list:
    """Step ``s``'s part of each of ``_buffers``' ``arrays`` (a step of ``k`` rows, None: not
    packed): its index into the sequence's, or the first k rows of a step's."""
    if keep:
        return [a[s] for a in arrays]
    return arrays if k is None else [a[:k] for a in arrays]


def _product_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``_product(a, b)`` written into ``out``."""
    if out.dtype.itemsize < 4:  # (float16: _product's own path)
        out[...] = _product(a, b)
        return out
    return np.matmul(a, b, out=out)


def _kept(op: Op, out: Any) -> tuple:
    """The arrays (L, ...) of every step's gates the forward of ``op`` kept for its rules, or
    Nones when the rules run on Tensors.

    NOTE: on Tensors (a recorded rule) the gates are recomputed from the saved inputs and
    output, so that the rule's graph reaches them; the forward's arrays would be constants
    there. On arrays the forward's are the same values (but for the rounding of a matrix
    product made per step rather than over all the steps at once), and save the rules that
    product and the activations over the whole sequence."""
    kept = op.kept
    if isinstance(out, Tensor) or kept is None:
        return (None,) * 3
    return kept


def _zero_tangents(tangents: list, inputs: tuple) -> list:
    """The tangents with zeros for the None (zero) ones."""
    return [np.zeros(x.shape, x.dtype) if t is None else t for t, x in zip(tangents, inputs)]


# ----------------------------------------------------------------------------- LSTM


class LSTMSequence(Op):
    """every step of an LSTM layer (gates i, f, g, o, torch's order): from xp (L, ..., 4H),
    h0 (..., P), c0 (..., H) and W_hh (4H, P) (and W_hr (P, H) for ``ProjectedLSTMSequence``),
    h_t and c_t of each step packed in (L, ..., P + H), where c_t = f c_{t-1} + i g and
    h_t = o tanh(c_t) (times W_hr^T if projected); packed with ``batch_sizes`` (xp
    (sum(batch_sizes), 4H), the states (B, .), B = batch_sizes[0])"""

    __slots__ = ("reverse", "batch_sizes", "keep", "kept")
    save_inputs = (0, 1, 2, 3)
    save_output = True
    frees = ("kept",)
    label = "lstm"

    def __init__(
        self, reverse: bool = False, batch_sizes: tuple | None = None, keep: bool = True
    ) -> None:
        self.reverse = reverse
        self.batch_sizes = batch_sizes
        self.keep = keep  # (whether the forward keeps every step's gates: ``_keeps``)

    def forward(self, xp, h0, c0, w, w_hr=None):
        bs, keep = self.batch_sizes, self.keep
        steps, at = _spans(xp, bs)
        n, p = c0.shape[-1], h0.shape[-1]
        dtype = np.result_type(xp, h0, c0, w, *(() if w_hr is None else (w_hr,)))
        out = np.empty(xp.shape[:-1] + (p + n,), dtype)
        # (for the rules, kept: the four gates' sigmoids, g = tanh of its own, tanh(c_t); the
        # pre-activations, and o tanh(c_t) if projected, a step's own)
        acts, gs, tcs = _buffers(keep, xp, bs, (4 * n, n, n), dtype)
        pres, ots = _buffers(False, xp, bs, (4 * n, n), dtype)
        h = h0 = h0.astype(dtype, copy=False)
        c = c0 = c0.astype(dtype, copy=False)
        wt, hr = w.T, None if w_hr is None else w_hr.T
        overflowed: list = []
        with np.errstate(over="call", call=lambda *_: overflowed.append(True)):
            for t in _steps(steps, self.reverse):
                k = None
                if bs is not None:
                    k = bs[t]
                    h, c = _state_in(h, h0, k), _state_in(c, c0, k)
                s = at[t]
                act, g, tc = _at((acts, gs, tcs), keep, s, k)
                gates, ot = _at((pres, ots), False, s, k)
                _product_into(h, wt, gates)
                gates += xp[s]
                _sigmoid_into(gates, act, overflowed)  # (g's part unused)
                np.tanh(gates[..., 2 * n : 3 * n], out=g)
                ig = np.multiply(act[..., :n], g, out=gates[..., :n])
                c = np.multiply(act[..., n : 2 * n], c, out=out[s, ..., p:])
                c += ig
                np.tanh(c, out=tc)
                h = out[s, ..., :p]
                if hr is None:
                    np.multiply(act[..., 3 * n :], tc, out=h)
                else:
                    _product_into(np.multiply(act[..., 3 * n :], tc, out=ot), hr, h)
        self.kept = (acts, gs, tcs) if keep else None
        return out

    def _unpack(self, args: tuple) -> tuple:
        """(xp, h0, c0, w, w_hr or None, out) from the rules' saved values."""
        if len(args) == 6:
            return args
        xp, h0, c0, w, out = args
        return xp, h0, c0, w, None, out

    def _gates(self, xp, h0, c0, w, out):
        """Every step's h_{t-1}, c_{t-1}, gates i, f, g, o and tanh(c_t): the forward's (see
        ``_kept``), or recomputed on Tensors."""
        n, p = c0.shape[-1], h0.shape[-1]
        cs, bs = out[..., p:], self.batch_sizes
        h_prev = _before(out[..., :p], h0, self.reverse, bs)
        act, g, tc = _kept(self, out)
        if act is None:
            pre = xp + _times(h_prev, w.T)
            act = Sigmoid.apply(pre)
            g, tc = Tanh.apply(pre[..., 2 * n : 3 * n]), Tanh.apply(cs)
        i, f, o = act[..., :n], act[..., n : 2 * n], act[..., 3 * n :]
        return h_prev, _before(cs, c0, self.reverse, bs), i, f, g, o, tc

    def generate_adjoints(self, adjoints, delta, *args):
        xp, h0, c0, w, w_hr, out = self._unpack(args)
        p = h0.shape[-1]
        h_prev, c_prev, i, f, g, o, tc = self._gates(xp, h0, c0, w, out)
        # dL/dc_t from h_t, per unit of dL/d(o tanh(c_t)); the pre-activations' slopes times
        # what each gate multiplies (i: g, f: c_{t-1}, g: i, o: tanh(c_t))
        through_h = o * (1 - tc * tc)
        slopes = np.concatenate(
            [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), tc * o * (1 - o)], axis=-1
        )
        bs = self.batch_sizes
        steps, spans = _spans(xp, bs)
        d_h, d_c, through_h, slopes, f = _by_step(
            delta[..., :p], delta[..., p:], through_h, slopes, f, spans=spans
        )
        d_pre: list = [None] * steps
        d_hs: list = [None] * steps  # (dL/dh_t, for W_hr's adjoint)
        dh = dc = None  # (from the step after, in the recurrence's order)
        spill_h: list = []
        spill_c: list = []
        for t in _steps(steps, not self.reverse):
            dh_t = _carry(d_h[t], dh, spill_h)
            dm = dh_t if w_hr is None else _mm(dh_t, w_hr)
            dc_t = _carry(d_c[t] + dm * through_h[t], dc, spill_c)
            d_pre[t] = np.concatenate([dc_t, dc_t, dc_t, dm], axis=-1) * slopes[t]
            d_hs[t] = dh_t
            dh, dc = _mm(d_pre[t], w), dc_t * f[t]
        edges = self.edges
        d_pre = _joined(d_pre, bs)
        if edges[0] is not None:
            adjoints[0] = d_pre
        if edges[1] is not None:
            adjoints[1] = _first(dh, spill_h)
        if edges[2] is not None:
            adjoints[2] = _first(dc, spill_c)
        if edges[3] is not None:
            adjoints[3] = _mm(_rows(d_pre).T, _rows(h_prev))
        if len(edges) > 4 and edges[4] is not None:
            adjoints[4] = _mm(_rows(_joined(d_hs, bs)).T, _rows(o * tc))

    def jvp(self, tangents, *args):
        xp, h0, c0, w, w_hr, out = self._unpack(args)
        inputs = (xp, h0, c0, w) + (() if w_hr is None else (w_hr,))
        t_xp, dh, dc, t_w, *t_hr = _zero_tangents(tangents, inputs)
        n = c0.shape[-1]
        h_prev, c_prev, i, f, g, o, tc = self._gates(xp, h0, c0, w, out)
        slopes = np.concatenate([i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o)], axis=-1)
        through_h = o * (1 - tc * tc)
        fixed = t_xp + _times(h_prev, t_w.T)  # (the pre-activations' tangents but h_{t-1}'s)
        m_hr = None if w_hr is None else _times(o * tc, t_hr[0].T)
        bs = self.batch_sizes
        steps, spans = _spans(xp, bs)
        fixed, slopes, g, c_prev, i, f, tc, through_h, m_hr = _by_step(
            fixed, slopes, g, c_prev, i, f, tc, through_h, m_hr, spans=spans
        )
        d_hs: list = [None] * steps
        d_cs: list = [None] * steps
        t_h0, t_c0 = dh, dc
        for t in _steps(steps, self.reverse):
            if bs is not None:
                dh, dc = _state_in(dh, t_h0, bs[t]), _state_in(dc, t_c0, bs[t])
            s = (fixed[t] + _mm(dh, w.T)) * slopes[t]
            dc = (
                s[..., :n] * g[t]
                + s[..., n : 2 * n] * c_prev[t]
                + i[t] * s[..., 2 * n : 3 * n]
                + f[t] * dc
            )
            dh = s[..., 3 * n :] * tc[t] + through_h[t] * dc
            if w_hr is not None:
                dh = _mm(dh, w_hr.T) + m_hr[t]
            d_hs[t], d_cs[t] = dh, dc
        return np.concatenate([_joined(d_hs, bs), _joined(d_cs, bs)], axis=-1)


class ProjectedLSTMSequence(LSTMSequence):
    """``LSTMSequence`` with h_t = W_hr o tanh(c_t) (torch's ``proj_size``)"""

    save_inputs = (0, 1, 2, 3, 4)
    label = "lstm"


def lstm_sequence(
    xp: Any,
    h0: Any,
    c0: Any,
    w_hh: Any,
    w_hr: Any = None,
    reverse: bool = False,
    batch_sizes: Any = None,
) -> Tensor:
    """Every step of an LSTM layer, h_t and c_t packed (L, ..., P + H) (``LSTMSequence``):
    xp (L, ..., 4H) with L > 0, h0 (..., P), c0 (..., H), w_hh (4H, P), w_hr (P, H) or None
    (then P = H), checked (ValueError naming the argument and both shapes). With
    ``batch_sizes`` (a PackedSequence's), xp is packed, (sum(batch_sizes), 4H), h0 and c0
    (batch_sizes[0], .), and so is the result, (sum(batch_sizes), P + H)."""
    args = {"xp": xp, "h0": h0, "c0": c0, "w_hh": w_hh, "w_hr": w_hr}
    ts, bs = _sequence_args("lstm_sequence", 4, args, w_hr is None, batch_sizes)
    xp, h0, c0, w_hh, w_hr = ts.values()
    reverse = flag_arg(reverse, "reverse", "lstm_sequence")
    params = {"reverse": reverse, "batch_sizes": bs, "keep": _keeps(ts)}
    if w_hr is None:
        return call(LSTMSequence, xp, h0, c0, w_hh, **params)
    return call(ProjectedLSTMSequence, xp, h0, c0, w_hh, w_hr, **params)


# ----------------------------------------------------------------------------- GRU


class GRUSequence(Op):
    """every step of a GRU layer (gates r, z, n, torch's order): from xp (L, ..., 3H) (x W_ih^T
    + b_ih), h0 (..., H), W_hh (3H, H) and b_hh (3H,), h_t of each step (L, ..., H), where with
    a = W_hh h_{t-1} + b_hh, n = tanh(xp_n + r a_n) and h_t = n + z (h_{t-1} - n); packed with
    ``batch_sizes`` as ``LSTMSequence``"""

    __slots__ = ("reverse", "batch_sizes", "keep", "kept")
    save_inputs = (0, 1, 2, 3)
    save_output = True
    frees = ("kept",)
    label = "gru"

    def __init__(
        self, reverse: bool = False, batch_sizes: tuple | None = None, keep: bool = True
    ) -> None:
        self.reverse = reverse
        self.batch_sizes = batch_sizes
        self.keep = keep  # (as LSTMSequence's)

    def forward(self, xp, h0, w, b):
        n = h0.shape[-1]
        bs, keep = self.batch_sizes, self.keep
        steps, at = _spans(xp, bs)
        dtype = np.result_type(xp, h0, w, b)
        out = np.empty(xp.shape[:-1] + (n,), dtype)
        # (for the rules, kept: the gates r and z, and n (W_hn h_{t-1} + b_hn too, copied
        # from a step's own W_hh h_{t-1} + b_hh))
        rzs, news = _buffers(keep, xp, bs, (2 * n, n), dtype)
        a_ns = _buffers(True, xp, bs, (n,), dtype)[0] if keep else None
        (whole,) = _buffers(False, xp, bs, (3 * n,), dtype)
        h = h0 = h0.astype(dtype, copy=False)
        wt = w.T
        overflowed: list = []
        with np.errstate(over="call", call=lambda *_: overflowed.append(True)):
            for t in _steps(steps, self.reverse):
                k = None
                if bs is not None:
                    k = bs[t]
                    h = _state_in(h, h0, k)
                s = at[t]
                rz, new = _at((rzs, news), keep, s, k)
                (a,) = _at((whole,), False, s, k)
                _product_into(h, wt, a)
                a += b
                x = xp[s]
                pre = a[..., : 2 * n]
                pre += x[..., : 2 * n]
                _sigmoid_into(pre, rz, overflowed)
                a_n = a[..., 2 * n :]
                if keep:
                    a_ns[s] = a_n
                np.multiply(rz[..., :n], a_n, out=new)
                new += x[..., 2 * n :]
                np.tanh(new, out=new)
                h = np.subtract(h, new, out=out[s])
                h *= rz[..., n:]
                h += new
        self.kept = (a_ns, rzs, news) if keep else None
        return out

    def _gates(self, xp, h0, w, b, out):
        """Every step's h_{t-1}, W_hn h_{t-1} + b_hn, gates r, z and n: the forward's (see
        ``_kept``), or recomputed on Tensors."""
        n = h0.shape[-1]
        h_prev = _before(out, h0, self.reverse, self.batch_sizes)
        a_n, rz, new = _kept(self, out)
        if a_n is None:
            a = _times(h_prev, w.T) + b
            rz = Sigmoid.apply(xp[..., : 2 * n] + a[..., : 2 * n])
            a_n = a[..., 2 * n :]
            new = Tanh.apply(xp[..., 2 * n :] + rz[..., :n] * a_n)
        return h_prev, a_n, rz[..., :n], rz[..., n:], new

    def generate_adjoints(self, adjoints, delta, xp, h0, w, b, out):
        h_prev, a_n, r, z, new = self._gates(xp, h0, w, b, out)
        # dL/d(pre-activations) per unit of dL/dh_t: of xp's three parts, and of a's (whose n
        # part is r times xp's)
        to_n = (1 - z) * (1 - new * new)
        to_r = to_n * a_n * r * (1 - r)
        to_z = (h_prev - new) * z * (1 - z)
        slopes_x = np.concatenate([to_r, to_z, to_n], axis=-1)
        slopes_a = np.concatenate([to_r, to_z, to_n * r], axis=-1)
        bs = self.batch_sizes
        steps, spans = _spans(xp, bs)
        delta, slopes_x, slopes_a, z = _by_step(delta, slopes_x, slopes_a, z, spans=spans)
        d_x: list = [None] * steps
        d_a: list = [None] * steps
        dh = None
        spill: list = []
        for t in _steps(steps, not self.reverse):
            dh_t = _carry(delta[t], dh, spill)
            three = np.concatenate([dh_t, dh_t, dh_t], axis=-1)
            d_x[t], d_a[t] = three * slopes_x[t], three * slopes_a[t]
            dh = dh_t * z[t] + _mm(d_a[t], w)
        edges = self.edges
        if edges[0] is not None:
            adjoints[0] = _joined(d_x, bs)
        if edges[1] is not None:
            adjoints[1] = _first(dh, spill)
        if edges[2] is not None or edges[3] is not None:
            d_a = _rows(_joined(d_a, bs))
            if edges[2] is not None:
                adjoints[2] = _mm(d_a.T, _rows(h_prev))
            if edges[3] is not None:
                adjoints[3] = d_a.sum(axis=0)

    def jvp(self, tangents, xp, h0, w, b, out):
        t_xp, dh, t_w, t_b = _zero_tangents(tangents, (xp, h0, w, b))
        n = h0.shape[-1]
        h_prev, a_n, r, z, new = self._gates(xp, h0, w, b, out)
        slopes = np.concatenate([r * (1 - r), z * (1 - z)], axis=-1)
        fixed = _times(h_prev, t_w.T) + t_b  # (a's tangents but h_{t-1}'s)
        bs = self.batch_sizes
        steps, spans = _spans(xp, bs)
        fixed, t_xp, slopes, a_n, r, new, h_prev, z = _by_step(
            fixed, t_xp, slopes, a_n, r, new, h_prev, z, spans=spans
        )
        d_hs: list = [None] * steps
        t_h0 = dh
        for t in _steps(steps, self.reverse):
            if bs is not None:
                dh = _state_in(dh, t_h0, bs[t])
            da = fixed[t] + _mm(dh, w.T)
            x = t_xp[t]
            s = (x[..., : 2 * n] + da[..., : 2 * n]) * slopes[t]
            dn = (x[..., 2 * n :] + s[..., :n] * a_n[t] + r[t] * da[..., 2 * n :]) * (
                1 - new[t] * new[t]
            )
            dh = dn + s[..., n:] * (h_prev[t] - new[t]) + z[t] * (dh - dn)
            d_hs[t] = dh
        return _joined(d_hs, bs)


def gru_sequence(
    xp: Any, h0: Any, w_hh: Any, b_hh: Any, reverse: bool = False, batch_sizes: Any = None
) -> Tensor:
    """Every step of a GRU layer, h_t (L, ..., H) (``GRUSequence``): xp (L, ..., 3H) with
    L > 0, h0 (..., H), w_hh (3H, H), b_hh (3H,), checked (ValueError naming the argument and
    both shapes). With ``batch_sizes``, packed as ``lstm_sequence``'s."""
    args = {"xp": xp, "h0": h0, "w_hh": w_hh, "b_hh": b_hh}
    ts, bs = _sequence_args("gru_sequence", 3, args, batch_sizes=batch_sizes)
    xp, h0, w_hh, b_hh = ts.values()
    reverse = flag_arg(reverse, "reverse", "gru_sequence")
    return call(GRUSequence, xp, h0, w_hh, b_hh, reverse=reverse, batch_sizes=bs, keep=_keeps(ts))


# ----------------------------------------------------------------------------- Elman RNN


class RNNSequence(Op):
    """every step of an Elman RNN layer: from xp (L, ..., H) (x W_ih^T and both biases),
    h0 (..., H) and W_hh (H, H), h_t = act(xp_t + W_hh h_{t-1}) of each step (L, ..., H), act
    tanh or (``relu``) relu; packed with ``batch_sizes`` as ``LSTMSequence``"""

    __slots__ = ("reverse", "relu", "batch_sizes")
    save_inputs = (0, 1, 2)
    save_output = True
    label = "rnn"

    def __init__(
        self, reverse: bool = False, relu: bool = False, batch_sizes: tuple | None = None
    ) -> None:
        self.reverse = reverse
        self.relu = relu
        self.batch_sizes = batch_sizes

    def forward(self, xp, h0, w):
        dtype = np.result_type(xp, h0, w)
        out = np.empty(xp.shape[:-1] + h0.shape[-1:], dtype)
        h = h0 = h0.astype(dtype, copy=False)
        wt, bs = w.T, self.batch_sizes
        steps, at = _spans(xp, bs)
        (pres,) = _buffers(False, xp, bs, h0.shape[-1:], dtype)
        # (relu as Relu's forward, written into the output: for float32 the max against a row
        # of zeros, not the scalar)
        zero = np.zeros(h0.shape[-1:], dtype) if dtype == np.float32 else 0
        for t in _steps(steps, self.reverse):
            k = None
            if bs is not None:
                k = bs[t]
                h = _state_in(h, h0, k)
            s = at[t]
            (pre,) = _at((pres,), False, s, k)
            _product_into(h, wt, pre)
            pre += xp[s]
            if self.relu:
                h = np.maximum(pre, zero, out=out[s])
            else:
                h = np.tanh(pre, out=out[s])
        return out

    def _slopes(self, out):
        """act' of every step, from its output."""
        return _relu_slope(out) if self.relu else 1 - out * out

    def generate_adjoints(self, adjoints, delta, xp, h0, w, out):
        bs = self.batch_sizes
        steps, spans = _spans(xp, bs)
        delta, slopes = _by_step(delta, self._slopes(out), spans=spans)
        d_pre: list = [None] * steps
        dh = None
        spill: list = []
        for t in _steps(steps, not self.reverse):
            dh_t = _carry(delta[t], dh, spill)
            # (relu's 0 slope selects: exactly 0 even where an inf comes in, as its own rule)
            d_pre[t] = _selected(dh_t, slopes[t]) if self.relu else dh_t * slopes[t]
            dh = _mm(d_pre[t], w)
        edges = self.edges
        d_pre = _joined(d_pre, bs)
        if edges[0] is not None:
            adjoints[0] = d_pre
        if edges[1] is not None:
            adjoints[1] = _first(dh, spill)
        if edges[2] is not None:
            adjoints[2] = _mm(_rows(d_pre).T, _rows(_before(out, h0, self.reverse, bs)))

    def jvp(self, tangents, xp, h0, w, out):
        t_xp, dh, t_w = _zero_tangents(tangents, (xp, h0, w))
        bs = self.batch_sizes
        steps, spans = _spans(xp, bs)
        slopes = self._slopes(out)
        fixed = t_xp + _times(_before(out, h0, self.reverse, bs), t_w.T)
        fixed, slopes = _by_step(fixed, slopes, spans=spans)
        d_hs: list = [None] * steps
        t_h0 = dh
        for t in _steps(steps, self.reverse):
            if bs is not None:
                dh = _state_in(dh, t_h0, bs[t])
            pre = fixed[t] + _mm(dh, w.T)
            dh = d_hs[t] = _selected(pre, slopes[t]) if self.relu else pre * slopes[t]
        return _joined(d_hs, bs)


def rnn_sequence(
    xp: Any,
    h0: Any,
    w_hh: Any,
    relu: bool = False,
    reverse: bool = False,
    batch_sizes: Any = None,
) -> Tensor:
    """Every step of an Elman RNN layer, h_t (L, ..., H) (``RNNSequence``): xp (L, ..., H)
    with L > 0, h0 (..., H), w_hh (H, H), checked (ValueError naming the argument and both
    shapes). With ``batch_sizes``, packed as ``lstm_sequence``'s."""
    args = {"xp": xp, "h0": h0, "w_hh": w_hh}
    ts, bs = _sequence_args("rnn_sequence", 1, args, batch_sizes=batch_sizes)
    xp, h0, w_hh = ts.values()
    relu = flag_arg(relu, "relu", "rnn_sequence")
    reverse = flag_arg(reverse, "reverse", "rnn_sequence")
    return call(RNNSequence, xp, h0, w_hh, reverse=reverse, relu=relu, batch_sizes=bs)
