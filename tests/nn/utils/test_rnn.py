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

# ----------------------------------------------------------------------------- the functions


def _same(ours, theirs) -> None:
    """Equal values, shapes and dtypes (float64 or int64), or both None."""
    if theirs is None:
        assert ours is None
        return
    expected = theirs.detach().numpy()
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours.data, expected)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [2, 5, 2, 4], [3, 3, 3, 3]])
def test_packing_and_padding_are_torchs(batch_first: bool, lengths: list[int]) -> None:
    # data, batch_sizes, the indices (ties in batch order, as torch's sort gives them), the
    # padded batch and lengths (total_length, padding_value), the unpacked sequences, and the
    # input's gradient through packing and padding back
    torch = pytest.importorskip("torch")
    R = torch.nn.utils.rnn
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    v = rng.standard_normal((4, 7, 2) if batch_first else (7, 4, 2))
    sort = lengths != sorted(lengths, reverse=True)
    for enforce_sorted in [False] if sort else [True, False]:
        xt, xg = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
        theirs = R.pack_padded_sequence(xt, lengths, batch_first, enforce_sorted)
        ours = rnn.pack_padded_sequence(xg, lengths, batch_first, enforce_sorted)
        for a, b in zip(ours, theirs):
            _same(a, b)
        padded_t, lengths_t = R.pad_packed_sequence(theirs, batch_first, -3.0, 7)
        padded, lengths_g = rnn.pad_packed_sequence(ours, batch_first, -3.0, 7)
        _same(padded, padded_t)
        _same(lengths_g, lengths_t)
        for a, b in zip(rnn.unpack_sequence(ours), R.unpack_sequence(theirs), strict=True):
            _same(a, b)
        (padded_t * torch.tensor(v)).sum().backward()
        (padded * v).sum().backward()
        _same(xg.grad, xt.grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_unpad_sequence_and_pack_sequence_are_torchs(batch_first: bool) -> None:
    torch = pytest.importorskip("torch")
    R = torch.nn.utils.rnn
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 3)) for n in (2, 4, 1)]
    seqs_t = [torch.tensor(s, requires_grad=True) for s in seqs]
    seqs_g = [tg.tensor(s, requires_grad=True) for s in seqs]
    for side in ("left", "right"):
        theirs = R.pad_sequence(seqs_t, batch_first, 1.5, side)
        ours = rnn.pad_sequence(seqs_g, batch_first, 1.5, side)
        _same(ours, theirs)
        v = rng.standard_normal(theirs.shape)
        (theirs * torch.tensor(v)).sum().backward()
        (ours * v).sum().backward()
        for a, b in zip(seqs_g, seqs_t):
            _same(a.grad, b.grad)
    padded = R.pad_sequence(seqs_t, batch_first)
    lengths = [2, 4, 1]
    ours = rnn.unpad_sequence(padded.detach().numpy().copy(), lengths, batch_first)
    # (torch's transposes its input in place without batch_first: called second)
    theirs = R.unpad_sequence(padded, torch.tensor(lengths), batch_first)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)
    for enforce_sorted in (False, True):
        order = sorted(range(3), key=lambda i: -len(seqs[i])) if enforce_sorted else range(3)
        theirs = R.pack_sequence([seqs_t[i] for i in order], enforce_sorted)
        ours = rnn.pack_sequence([seqs_g[i] for i in order], enforce_sorted)
        for a, b in zip(ours, theirs):
            _same(a, b)


def test_packed_sequence_is_torchs_named_tuple() -> None:
    packed = rnn.pack_sequence([np.ones((1, 2)), np.ones((3, 2), np.float32)], False)
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert data.dtype == np.float64  # (pad_sequence: the first sequence's dtype, as torch's)
    assert batch_sizes.tolist() == [2, 1, 1] and batch_sizes.dtype == np.int64
    assert sorted_indices.tolist() == [1, 0] and unsorted_indices.tolist() == [1, 0]
    # unsorted_indices made from sorted_indices when not given, as torch's
    again = rnn.PackedSequence(data, batch_sizes, tg.tensor([1, 0]))
    assert again.unsorted_indices.tolist() == [1, 0]
    assert packed.float().data.dtype == np.float32 and packed.to("cpu") is packed
    assert packed.double().batch_sizes is packed.batch_sizes
    assert not packed.is_cuda
    # float32 in, float32 out and gradients, through the layers too
    seqs = [tg.tensor(np.ones((n, 2), np.float32), requires_grad=True) for n in (3, 1)]
    out, (h, c) = nn.LSTM(2, 3)(rnn.pack_sequence(seqs))
    assert out.data.dtype == h.dtype == c.dtype == np.float32
    (rnn.pad_packed_sequence(out)[0].sum() + h.sum()).backward()
    assert all(s.grad.dtype == np.float32 for s in seqs)


def test_pad_and_pack_round_trips() -> None:
    rng = np.random.default_rng(2)
    seqs = [rng.standard_normal((n, 2, 2)) for n in (3, 1, 4, 4)]
    packed = rnn.pack_sequence(seqs, enforce_sorted=False)
    for a, b in zip(rnn.unpack_sequence(packed), seqs, strict=True):
        np.testing.assert_array_equal(a.data, b)
    padded, lengths = rnn.pad_packed_sequence(packed, batch_first=True)
    np.testing.assert_array_equal(padded.data, rnn.pad_sequence(seqs, batch_first=True).data)
    assert lengths.tolist() == [3, 1, 4, 4]
    again = rnn.pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    np.testing.assert_array_equal(again.data.data, packed.data.data)
    for a, b in zip(rnn.unpad_sequence(padded, lengths, batch_first=True), seqs, strict=True):
        np.testing.assert_array_equal(a.data, b)
    left = rnn.pad_sequence(seqs, padding_value=7.0, padding_side="left")
    assert left.shape == (4, 4, 2, 2) and np.all(left.data[:3, 1] == 7.0)
    np.testing.assert_array_equal(left.data[3:, 1], seqs[1])


# ----------------------------------------------------------------------------- the layers

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
