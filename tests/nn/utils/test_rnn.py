"""tg.nn.utils.rnn (PackedSequence and the functions that pack, pad and split sequences) and
the recurrent layers on packed input: torch 2.13's values, indices, errors and gradients (where
torch is installed), each packed sequence run as its own dense call, finite differences of
first and second order (the functions' registry specs are in tests/nn_op_specs.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.nn.utils import rnn

LAYERS = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU", "LSTM_PROJ"]


def _layer(kind: str, module, **kwargs):
    """``kind`` of ``module`` (torch.nn or tg.nn), input 3, hidden 4."""
    if kind.startswith("RNN"):
        return module.RNN(3, 4, nonlinearity=kind[4:].lower(), **kwargs)
    if kind == "LSTM_PROJ":
        return module.LSTM(3, 4, proj_size=2, **kwargs)
    return getattr(module, kind)(3, 4, **kwargs)


def _states(kind: str, layers: int, bidirectional: bool, batch: int, rng) -> list[np.ndarray]:
    d = (2 if bidirectional else 1) * layers
    p = 2 if kind == "LSTM_PROJ" else 4
    shapes = [(d, batch, p)] + ([(d, batch, 4)] if kind.startswith("LSTM") else [])
    return [rng.uniform(-1, 1, s) for s in shapes]


def _run_torch(torch, kind, flags, x, lengths, states, dtype, weights, cotangents):
    """torch's packed layer: the output padded, h_n (c_n), and every gradient."""
    layers, bidirectional, batch_first, enforce_sorted = flags
    layer = _layer(kind, torch.nn, num_layers=layers, bidirectional=bidirectional)
    layer = layer.to(dtype)
    layer.load_state_dict({k: torch.tensor(v, dtype=dtype) for k, v in weights.items()})
    xt = torch.tensor(x, dtype=dtype, requires_grad=True)
    st = [torch.tensor(s, dtype=dtype, requires_grad=True) for s in states]
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xt, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted
    )
    out, hn = layer(packed, tuple(st) if kind.startswith("LSTM") else st[0])
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=batch_first)
    outs = [padded, *(hn if kind.startswith("LSTM") else [hn])]
    loss = sum((o * torch.tensor(v, dtype=dtype)).sum() for o, v in zip(outs, cotangents))
    loss.backward()
    grads = [xt.grad, *(s.grad for s in st)] + [p.grad for p in layer.parameters()]
    return [o.detach().numpy() for o in outs], [g.numpy() for g in grads]


def _run_ours(kind, flags, x, lengths, states, dtype, weights, cotangents):
    layers, bidirectional, batch_first, enforce_sorted = flags
    layer = _layer(kind, nn, num_layers=layers, bidirectional=bidirectional, dtype=dtype)
    layer.load_state_dict({k: np.asarray(v, dtype) for k, v in weights.items()})
    xt = tg.tensor(x.astype(dtype), requires_grad=True)
    st = [tg.tensor(s.astype(dtype), requires_grad=True) for s in states]
    packed = rnn.pack_padded_sequence(
        xt, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted
    )
    out, hn = layer(packed, tuple(st) if kind.startswith("LSTM") else st[0])
    assert isinstance(out, rnn.PackedSequence)
    padded, _ = rnn.pad_packed_sequence(out, batch_first=batch_first)
    outs = [padded, *(hn if kind.startswith("LSTM") else [hn])]
    loss = sum((o * v.astype(dtype)).sum() for o, v in zip(outs, cotangents))
    loss.backward()
    grads = [xt.grad, *(s.grad for s in st)] + [p.grad for p in layer.parameters()]
    return [o.data for o in outs], [np.asarray(g) for g in grads]


def _case(kind: str, flags: tuple, seed: int = 0):
    """Input (5 steps, a batch of 4, lengths sorted or not), states, weights, cotangents."""
    layers, bidirectional, batch_first, enforce_sorted = flags
    rng = np.random.default_rng(seed)
    lengths = [5, 4, 4, 2] if enforce_sorted else [2, 5, 1, 4]
    x = rng.uniform(-1, 1, (4, 5, 3) if batch_first else (5, 4, 3))
    states = _states(kind, layers, bidirectional, 4, rng)
    template = _layer(kind, nn, num_layers=layers, bidirectional=bidirectional, rng=seed)
    weights = {k: rng.uniform(-0.6, 0.6, v.shape) for k, v in template.state_dict().items()}
    d = 2 if bidirectional else 1
    p = 2 if kind == "LSTM_PROJ" else 4
    out_shape = (4, 5, d * p) if batch_first else (5, 4, d * p)
    shapes = [out_shape, (d * layers, 4, p)] + ([(d * layers, 4, 4)] if "LSTM" in kind else [])
    cotangents = [rng.standard_normal(s) for s in shapes]
    return x, lengths, states, weights, cotangents


FLAGS = list(itertools.product([1, 2], [False, True], [False, True], [False, True]))


def _max_differences(torch, kind: str, flags: tuple, dtype) -> tuple[float, float]:
    x, lengths, states, weights, cotangents = _case(kind, flags)
    t_dtype = torch.float64 if dtype == np.float64 else torch.float32
    t_outs, t_grads = _run_torch(
        torch, kind, flags, x, lengths, states, t_dtype, weights, cotangents
    )
    outs, grads = _run_ours(kind, flags, x, lengths, states, dtype, weights, cotangents)
    assert [o.shape for o in outs] == [o.shape for o in t_outs]
    assert [g.shape for g in grads] == [g.shape for g in t_grads]
    assert all(o.dtype == dtype for o in outs) and all(g.dtype == dtype for g in grads)
    value = max(float(np.abs(a - b).max()) for a, b in zip(outs, t_outs))
    grad = max(float(np.abs(a - b).max()) for a, b in zip(grads, t_grads))
    return value, grad


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_layers_are_torchs_float64_and_float32(kind: str) -> None:
    # outputs (padded back), h_n and c_n at each sequence's own last step in the batch's order,
    # and the gradients of the input, the initial states and every parameter, over 1 or 2
    # layers, one or both directions, batch_first or not, sorted or not
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    for flags in FLAGS:
        value, grad = _max_differences(torch, kind, flags, np.float64)
        assert value < 1e-13 and grad < 1e-13, (flags, value, grad)
        value, grad = _max_differences(torch, kind, flags, np.float32)
        assert value < 2e-6 and grad < 2e-5, (flags, value, grad)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_layers_run_each_sequence_alone(kind: str, bidirectional: bool) -> None:
    # (no torch needed) each sequence of the packed batch gives what the layer gives it on its
    # own, unbatched: its outputs, and h_n (c_n) from its own last step, in the batch's order
    rng = np.random.default_rng(1)
    layer = _layer(kind, nn, num_layers=2, bidirectional=bidirectional, dtype=np.float64, rng=1)
    seqs = [rng.uniform(-1, 1, (n, 3)) for n in (2, 5, 1, 4)]
    hx = _states(kind, 2, bidirectional, 4, rng)
    out, hn = layer(rnn.pack_sequence(seqs, enforce_sorted=False), hx if "LSTM" in kind else hx[0])
    finals = hn if "LSTM" in kind else (hn,)
    for b, (seq, got) in enumerate(zip(seqs, rnn.unpack_sequence(out))):
        states = tuple(s[:, b] for s in hx)
        alone, alone_h = layer(seq, states if "LSTM" in kind else states[0])
        np.testing.assert_allclose(got.data, alone.data, rtol=0, atol=1e-14)
        for f, a in zip(finals, alone_h if "LSTM" in kind else (alone_h,)):
            np.testing.assert_allclose(f.data[:, b], a.data, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH"])
def test_packed_layers_second_order_and_forward_mode_against_finite_differences(kind) -> None:
    # (through packing, both directions and padding back; the parameters' own second order is
    # the time loops' registry specs')
    rng = np.random.default_rng(2)
    layer = _layer(kind, nn, bidirectional=True, dtype=np.float64, rng=2)
    lengths = [1, 3, 2]
    x = tg.tensor(rng.uniform(-1, 1, (3, 3, 3)), requires_grad=True)
    h0 = tg.tensor(rng.uniform(-1, 1, (2, 3, 4)), requires_grad=True)

    def f(x, h0):
        packed = rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, hn = layer(packed, (h0, -h0) if "LSTM" in kind else h0)
        hn = hn[0] if "LSTM" in kind else hn
        return rnn.pad_packed_sequence(out)[0].sum(axis=-1) + hn.sum(axis=(0, 2))

    assert tg.gradcheck(f, (x, h0))
    assert tg.gradgradcheck(f, (x, h0))
    u = [rng.standard_normal(x.shape), rng.standard_normal(h0.shape)]
    _, tangent = tg.jvp(f, (x.detach(), h0.detach()), tuple(tg.tensor(v) for v in u))
    eps = 1e-6
    plus = f(x.data + eps * u[0], h0.data + eps * u[1]).data
    minus = f(x.data - eps * u[0], h0.data - eps * u[1]).data
    np.testing.assert_allclose(tangent.data, (plus - minus) / (2 * eps), atol=1e-8)
