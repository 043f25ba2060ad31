"""Recurrent layers as torch's: ``RNN`` (tanh or relu), ``LSTM`` (with ``proj_size``), ``GRU``
and the cells ``RNNCell``, ``LSTMCell``, ``GRUCell``.

Parameter names, shapes, gate orders (LSTM i, f, g, o; GRU r, z, n with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn))) and initialisation (every parameter
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), drawn in registration order) are torch's, so a
torch state dict loads as it is.

Each layer, in each direction, is a few recorded ops: the input projected for all the steps by
one matmul (W_ih x + b_ih, and b_hh but for GRU, whose b_hn is inside r (W_hn h + b_hn)), then
one op for the whole time loop (``tensorgrad.ops.recurrent``: its forward, adjoint and tangent
rules each run the recurrence in NumPy, and record themselves for higher orders), whose packed
states are sliced once. The cells are that op over one step, so a layer and its cell stepped
give the same values. A ``PackedSequence`` (``tensorgrad.nn.utils.rnn``) runs through the same
ops, given its ``batch_sizes``: step t runs the first batch_sizes[t] packed rows.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_float_dtype, to_tensor
from tensorgrad.nn import init
from tensorgrad.nn.layers import _empty, _positive
from tensorgrad.nn.module import Module
from tensorgrad.nn.utils.rnn import PackedSequence, _packed_layout
from tensorgrad.ops.layers import as_generator, linear, probability
from tensorgrad.ops.layers import dropout as _dropout
from tensorgrad.ops.recurrent import (
    check_length,
    check_state,
    gru_sequence,
    lstm_sequence,
    rnn_sequence,
)
from tensorgrad.ops.shape import concatenate, moveaxis, stack, swapaxes
from tensorgrad.tensor import Tensor, flag_arg

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ----------------------------------------------------------------------------- helpers


def _projected(seq: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """``linear(seq, w, b)`` for a sequence (L, ..., in), as one matrix product over its
    L * N rows (NumPy's matmul of a stack makes one product per matrix: 1.6x as long)."""
    if seq.ndim == 2:
        return linear(seq, w, b)
    rows = linear(seq.reshape(seq.shape[0] * seq.shape[1], seq.shape[2]), w, b)
    return rows.reshape(seq.shape[:2] + rows.shape[1:])


def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    return Tensor(np.zeros(shape, dtype=dtype))


def _check_state(
    layer: Module, name: str, state: Tensor, expected: tuple[int, ...], given: str
) -> None:
    """``check_state`` (the time loops' own) naming the layer and ``given``, what fixed the
    expected shape."""
    check_state(layer, name, state.shape, expected, given)


# ----------------------------------------------------------------------------- layers


class RNNBase(Module):
    """The multi-layer body of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` is torch's: 'RNN_TANH',
    'RNN_RELU', 'LSTM' or 'GRU')."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"RNNBase: unknown mode {mode!r} (one of {', '.join(_GATES)})")
        name = type(self).__name__
        self.mode = mode
        self.input_size = _positive(input_size, "input_size", name, 1)
        self.hidden_size = _positive(hidden_size, "hidden_size", name, 1)
        self.num_layers = _positive(num_layers, "num_layers", name, 1)
        self.bias = flag_arg(bias, "bias", name)
        self.batch_first = flag_arg(batch_first, "batch_first", name)
        self.bidirectional = flag_arg(bidirectional, "bidirectional", name)
        self.dropout = probability(dropout, name)
        if self.dropout > 0 and self.num_layers == 1:
            warnings.warn(
                f"{name}: dropout applies between recurrent layers, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers=1",
                stacklevel=3 if type(self) is not RNNBase else 2,
            )
        self.proj_size = _positive(proj_size, "proj_size", name, 0)
        if self.proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported for LSTM, got {proj_size}")
        if self.proj_size >= self.hidden_size:
            raise ValueError(
                f"{name}: proj_size ({self.proj_size}) must be smaller than hidden_size "
                f"({self.hidden_size})"
            )
        d = check_float_dtype(dtype, name)
        gate_size = _GATES[mode] * self.hidden_size
        real_hidden = self.proj_size or self.hidden_size
        directions = 2 if self.bidirectional else 1
        self._all_weights: list[list[str]] = []
        for layer in range(self.num_layers):
            for direction in range(directions):
                fan = self.input_size if layer == 0 else real_hidden * directions
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [
                    ("weight_ih", (gate_size, fan)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if self.bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
                names = []
                for kind, shape in shapes:
                    setattr(self, kind + suffix, _empty(shape, d, name))
                    names.append(kind + suffix)
                self._all_weights.append(names)
        self._flat_weights_names = [n for names in self._all_weights for n in names]
        gen = as_generator(rng, name)
        self.reset_parameters(gen)
        # (dropout's masks: from the generator given, else from tg.manual_seed's at each call)
        self._dropout_rng = None if rng is None else gen

    def reset_parameters(self, rng: Any = None) -> None:
        """torch's: every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in order."""
        gen = as_generator(rng, type(self).__name__)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound, rng=gen)

    def flatten_parameters(self) -> None:
        """torch's cuDNN weight packing: nothing to do here (kept so ported code runs)."""

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The parameters per layer and direction, as torch's."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    # ---------------------------------------------------------------- forward
    def _state_shapes(self, batch: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The shapes of h0 and c0 for a batch of shape ``batch`` (``()`` unbatched)."""
        lead = ((2 if self.bidirectional else 1) * self.num_layers,) + batch
        return lead + (self.proj_size or self.hidden_size,), lead + (self.hidden_size,)

    def _check_input(self, input: Any) -> Tensor:
        x = to_tensor(input, type(self).__name__, "input")
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(N, L, {n})" if self.batch_first else "(L, N, {n})"
            raise ValueError(
                f"{self!r}: expected input of shape {layout.format(n=self.input_size)} or "
                f"(L, {self.input_size}), got {x.shape}"
            )
        check_length(self, "the input's", x.shape, 1 if x.ndim == 3 and self.batch_first else 0)
        return x

    def _initial(
        self, batch: tuple[int, ...], hx: Any, given: str
    ) -> tuple[Tensor | None, Tensor | None]:
        """(h0, c0), checked (None where not given; c0 for LSTM only) against the states of
        a batch of shape ``batch``, fixed by what ``given`` names in errors."""
        if hx is None:
            return None, None
        h_shape, c_shape = self._state_shapes(batch)
        layer = type(self).__name__
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self!r}: hx must be a pair (h0, c0), got {type(hx).__name__}")
            h0, c0 = to_tensor(hx[0], layer, "h0"), to_tensor(hx[1], layer, "c0")
            _check_state(self, "h0", h0, h_shape, given)
            _check_state(self, "c0", c0, c_shape, given)
            return h0, c0
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{self!r}: hx must be a tensor h0, got a {type(hx).__name__}")
        h0 = to_tensor(hx, layer, "h0")
        _check_state(self, "h0", h0, h_shape, given)
        return h0, None

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        """``(output, h_n)`` (``(output, (h_n, c_n))`` for LSTM), torch's shapes: output
        (L, N, D * H_out) ((N, L, D * H_out) with ``batch_first``; (L, D * H_out) unbatched),
        h_n (D * num_layers, N, H_out) and c_n (D * num_layers, N, hidden_size). A
        ``PackedSequence`` input gives a PackedSequence output (``batch_first`` does not apply)
        and the states at each sequence's own last step, in the batch's order (``hx`` too is in
        that order), as torch's."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        x = self._check_input(input)
        batch = (x.shape[0 if self.batch_first else 1],) if x.ndim == 3 else ()
        h0, c0 = self._initial(batch, hx, f"an input of shape {x.shape}")
        swap = x.ndim == 3 and self.batch_first
        dtype = np.result_type(x.dtype, self.weight_ih_l0.dtype)
        seq = swapaxes(x, 0, 1) if swap else x  # (time first)
        # (the reverse direction ends at step 0)
        output, h_n, c_n = self._layers(
            seq, h0, c0, batch, dtype, lambda s, rev: s[0 if rev else -1]
        )
        if swap:
            output = swapaxes(output, 0, 1)
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _layers(
        self,
        seq: Tensor,
        h0: Any,
        c0: Any,
        batch: tuple[int, ...],
        dtype: Any,
        last: Any,
        sizes: Any = None,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Every layer and direction over the time-first ``seq`` of a batch of shape ``batch``
        (packed: ``sizes``, the batch sizes): the last layer's output, h_n and c_n (None but for
        LSTM), ``last(states, reverse)`` taking each direction's final states."""
        h_shape, c_shape = self._state_shapes(batch)
        directions = 2 if self.bidirectional else 1
        p = self.proj_size or self.hidden_size
        finals_h, finals_c = [], []
        outs: list[Tensor] = []
        for layer in range(self.num_layers):
            if layer:
                seq = self._joined(outs, bool(self.dropout and self.training))
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                h = _zeros(h_shape[1:], dtype) if h0 is None else h0[k]
                c = None
                if self.mode == "LSTM":
                    c = _zeros(c_shape[1:], dtype) if c0 is None else c0[k]
                names = self._all_weights[k]
                states = self._direction(seq, names, h, c, direction == 1, sizes)
                ends = last(states, direction == 1)
                if self.mode == "LSTM":
                    outs.append(states[..., :p])
                    finals_h.append(ends[..., :p])
                    finals_c.append(ends[..., p:])
                else:
                    outs.append(states)
                    finals_h.append(ends)
        c_n = stack(finals_c, axis=0) if self.mode == "LSTM" else None
        return self._joined(outs, False), stack(finals_h, axis=0), c_n

    def _forward_packed(self, input: PackedSequence, hx: Any) -> tuple[PackedSequence, Any]:
        """``forward`` of a PackedSequence: each layer and direction one time loop over the
        packed rows (``batch_sizes`` given to it), the final states gathered from each
        sequence's last step (the forward direction's; step 0 is every sequence's last in the
        reverse one), sorted to the batch's order and back as ``sorted_indices`` says."""
        data = to_tensor(input.data, type(self).__name__, "input.data")
        if data.ndim != 2 or data.shape[-1] != self.input_size:
            raise ValueError(
                f"{self!r}: expected a PackedSequence of data (sum(batch_sizes), "
                f"{self.input_size}), got {data.shape}"
            )
        sizes = tuple(input.batch_sizes.data.tolist())
        batch = sizes[0]
        h0, c0 = self._initial((batch,), hx, f"a PackedSequence of batch_sizes {list(sizes)}")
        order, unsort = input.sorted_indices, input.unsorted_indices
        if order is not None:
            h0 = None if h0 is None else h0[:, order.data]
            c0 = None if c0 is None else c0[:, order.data]
        dtype = np.result_type(data.dtype, self.weight_ih_l0.dtype)
        # (the forward direction's last row of each sorted sequence b: step len_b - 1's row b;
        # step 0 is every sequence's last in the reverse one)
        starts, lengths = _packed_layout(sizes)
        last_rows = starts[lengths - 1] + np.arange(batch)
        joined, h_n, c_n = self._layers(
            data, h0, c0, (batch,), dtype, lambda s, rev: s[:batch] if rev else s[last_rows], sizes
        )
        output = PackedSequence(joined, input.batch_sizes, order, unsort)
        if unsort is not None:
            h_n = h_n[:, unsort.data]
            c_n = None if c_n is None else c_n[:, unsort.data]
        return output, ((h_n, c_n) if self.mode == "LSTM" else h_n)

    def _joined(self, outs: list[Tensor], drop: bool) -> Tensor:
        """The directions' outputs side by side (L, ..., D * H_out), with dropout if ``drop``.

        NOTE: the masks are drawn in the order the step-by-step layers drew them (each step,
        each direction in turn), so that a seeded dropout gives the masks it gave."""
        if not drop:
            return outs[0] if len(outs) == 1 else concatenate(outs, axis=-1)
        gen = self._dropout_rng
        if len(outs) == 1:
            return _dropout(outs[0], self.dropout, True, rng=gen)
        both = _dropout(stack(outs, axis=1), self.dropout, True, rng=gen)  # (L, D, ..., H)
        shape = outs[0].shape
        return moveaxis(both, 1, -2).reshape(shape[:-1] + (len(outs) * shape[-1],))

    def _direction(
        self,
        seq: Tensor,
        names: list[str],
        h: Tensor,
        c: Tensor | None,
        rev: bool,
        batch_sizes: tuple[int, ...] | None = None,
    ) -> Tensor:
        """One layer in one direction over the sequence ``seq`` (L, ..., in), or packed
        ((sum(batch_sizes), in) with ``batch_sizes``): every step's states in time order
        ((L, ..., H_out + hidden_size), h and c side by side, for LSTM; packed likewise)."""
        bs = batch_sizes
        params = [getattr(self, n) for n in names]
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        if self.mode == "GRU":
            if b_hh is None:
                b_hh = np.zeros(w_hh.shape[:1], w_hh.dtype)  # (a constant)
            xp = _projected(seq, w_ih, b_ih)
            return gru_sequence(xp, h, w_hh, b_hh, reverse=rev, batch_sizes=bs)
        xp = _projected(seq, w_ih, None if b_ih is None else b_ih + b_hh)
        if self.mode == "LSTM":
            w_hr = params[-1] if self.proj_size else None
            return lstm_sequence(xp, h, c, w_hh, w_hr, reverse=rev, batch_sizes=bs)
        relu = self.mode == "RNN_RELU"
        return rnn_sequence(xp, h, w_hh, relu=relu, reverse=rev, batch_sizes=bs)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN, as ``torch.nn.RNN``: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act
    tanh or relu (``nonlinearity``), stacked ``num_layers`` deep, optionally bidirectional, with
    dropout between layers in training mode. ``forward(input, h0=None)`` gives
    ``(output, h_n)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNN: unknown nonlinearity {nonlinearity!r} (select from 'tanh' or 'relu')"
            )
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
            rng=rng,
        )
        self.nonlinearity = nonlinearity  # (left out of the repr, as torch's)


class LSTM(RNNBase):
    """Long short-term memory, as ``torch.nn.LSTM``: gates i, f, g, o (``weight_ih_l{k}`` is
    (4 * hidden_size, in)), c_t = f c_{t-1} + i g, h_t = o tanh(c_t), projected to
    ``proj_size`` by ``weight_hr_l{k}`` if given. ``forward(input, (h0, c0)=None)`` gives
    ``(output, (h_n, c_n))``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            dtype,
            rng,
        )


class GRU(RNNBase):
    """Gated recurrent unit, as ``torch.nn.GRU``: gates r, z, n (``weight_ih_l{k}`` is
    (3 * hidden_size, in)), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
    h_t = (1 - z) n + z h_{t-1}. ``forward(input, h0=None)`` gives ``(output, h_n)``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype=dtype,
            rng=rng,
        )


# ----------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """One step of a recurrent layer: ``weight_ih`` (gates * hidden, in), ``weight_hh``
    (gates * hidden, hidden), ``bias_ih`` and ``bias_hh`` (None without ``bias``)."""

    _gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        # (0 is allowed, as torch's cells: empty weights)
        self.input_size = _positive(input_size, "input_size", name, 0)
        self.hidden_size = _positive(hidden_size, "hidden_size", name, 0)
        self.bias = flag_arg(bias, "bias", name)
        d = check_float_dtype(dtype, name)
        gate_size = self._gates * self.hidden_size
        self.weight_ih = _empty((gate_size, self.input_size), d, name)
        self.weight_hh = _empty((gate_size, self.hidden_size), d, name)
        if self.bias:
            self.bias_ih = _empty((gate_size,), d, name)
            self.bias_hh = _empty((gate_size,), d, name)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: Any = None) -> None:
        """torch's: every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (0 for a
        hidden size of 0), in order."""
        gen = as_generator(rng, type(self).__name__)
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound, rng=gen)

    def _check(self, input: Any, hx: Any, names: Sequence[str]) -> tuple[Tensor, list[Tensor]]:
        """The input, (N, in) or (in,), and the states ``names`` (zeros where ``hx`` is None)."""
        layer = type(self).__name__
        x = to_tensor(input, layer, "input")
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {x.shape}"
            )
        shape = x.shape[:-1] + (self.hidden_size,)
        if hx is None:
            dtype = np.result_type(x.dtype, self.weight_ih.dtype)
            return x, [_zeros(shape, dtype) for _ in names]
        if len(names) == 2:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self!r}: hx must be a pair (h, c), got {type(hx).__name__}")
            states = list(hx)
        elif isinstance(hx, (tuple, list)):
            raise TypeError(f"{self!r}: hx must be a tensor, got a {type(hx).__name__}")
        else:
            states = [hx]
        states = [to_tensor(s, layer, n) for s, n in zip(states, names)]
        for s, n in zip(states, names):
            _check_state(self, n, s, shape, f"an input of shape {x.shape}")
        return x, states

    def _projected(self, x: Tensor, fold: bool = True) -> Tensor:
        """W_ih x + b_ih (+ b_hh if ``fold``) as a sequence of one step (1, ..., gates)."""
        b = self.bias_ih
        if fold and b is not None:
            b = b + self.bias_hh
        return linear(x, self.weight_ih, b)[None]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(RNNCellBase):
    """One Elman step, as ``torch.nn.RNNCell``: h' = act(W_ih x + b_ih + W_hh h + b_hh), act
    tanh or relu. ``forward(input, hx=None)`` gives h'."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNNCell: unknown nonlinearity {nonlinearity!r} (select from 'tanh' or 'relu')"
            )
        super().__init__(input_size, hidden_size, bias, dtype, rng)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, (h,) = self._check(input, hx, ("hx",))
        relu = self.nonlinearity == "relu"
        return rnn_sequence(self._projected(x), h, self.weight_hh, relu=relu)[0]

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity}"  # (unquoted, as torch's)
        return s


class LSTMCell(RNNCellBase):
    """One LSTM step, as ``torch.nn.LSTMCell`` (gates i, f, g, o). ``forward(input,
    hx=None)`` with ``hx = (h, c)`` gives ``(h', c')``."""

    _gates = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, (h, c) = self._check(input, hx, ("h", "c"))
        states = lstm_sequence(self._projected(x), h, c, self.weight_hh)[0]
        n = self.hidden_size
        return states[..., :n], states[..., n:]


class GRUCell(RNNCellBase):
    """One GRU step, as ``torch.nn.GRUCell`` (gates r, z, n). ``forward(input, hx=None)``
    gives h'."""

    _gates = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, (h,) = self._check(input, hx, ("hx",))
        b_hh = self.bias_hh
        if b_hh is None:
            b_hh = np.zeros(self.weight_hh.shape[:1], self.weight_hh.dtype)  # (a constant)
        return gru_sequence(self._projected(x, fold=False), h, self.weight_hh, b_hh)[0]
