"""The recurrent layers on packed sequences against torch's, and against tensorgrad's own ways
around packing: the padded batch run densely, and one call per sequence.

``python -m benchmarks.packed_recurrent [lstm gru rnn] [--rounds 10]`` runs each layer
(2 layers, bidirectional, input 32, hidden 64, float32, one thread) forward + backward, and
forward under no_grad, on 16 sequences of lengths 8 to 50 (torch's weights loaded into
tensorgrad's layer), and prints per call the smallest mean CPU time over rounds (as
``benchmarks.recurrent``), and the largest difference of the padded outputs and the input's
gradients. Needs torch.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.recurrent import _race

KINDS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
LENGTHS = [50, 47, 44, 41, 38, 35, 32, 29, 26, 23, 20, 17, 14, 11, 9, 8]


def run(name: str, rounds: int) -> str:
    import torch

    import tensorgrad as tg
    from tensorgrad import nn
    from tensorgrad.nn.utils import rnn

    torch.set_num_threads(1)
    kind = KINDS[name]
    rng = np.random.default_rng(0)
    lengths = list(rng.permutation(LENGTHS))
    x = rng.standard_normal((max(lengths), len(lengths), 32)).astype(np.float32)
    v = rng.standard_normal((max(lengths), len(lengths), 128)).astype(np.float32)
    theirs = getattr(torch.nn, kind)(32, 64, num_layers=2, bidirectional=True)
    ours = getattr(nn, kind)(32, 64, num_layers=2, bidirectional=True)
    ours.load_state_dict({k: p.detach().numpy().copy() for k, p in theirs.state_dict().items()})
    x_t, x_g = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    v_t = torch.tensor(v)
    mask = (np.arange(len(x))[:, None] < np.array(lengths)[None, :])[..., None]

    def ours_packed() -> None:
        packed = rnn.pack_padded_sequence(x_g, lengths, enforce_sorted=False)
        out = rnn.pad_packed_sequence(ours(packed)[0])[0]
        out.backward(v)

    def theirs_packed() -> None:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x_t, lengths, enforce_sorted=False)
        out = torch.nn.utils.rnn.pad_packed_sequence(theirs(packed)[0])[0]
        out.backward(v_t)

    def ours_padded() -> None:  # (the padding run too: other values in the reverse direction)
        (ours(x_g)[0] * mask).backward(v)

    def ours_each() -> None:
        for b, n in enumerate(lengths):
            ours(x_g[:n, b])[0].backward(v[:n, b])

    def ours_forward() -> None:
        with tg.no_grad():
            packed = rnn.pack_padded_sequence(x_g, lengths, enforce_sorted=False)
            rnn.pad_packed_sequence(ours(packed)[0])

    def theirs_forward() -> None:
        with torch.no_grad():
            packed = torch.nn.utils.rnn.pack_padded_sequence(x_t, lengths, enforce_sorted=False)
            torch.nn.utils.rnn.pad_packed_sequence(theirs(packed)[0])

    packed = _race(ours_packed, theirs_packed, 1, rounds)
    forward = _race(ours_forward, theirs_forward, 1, rounds)
    padded = _race(ours_padded, ours_each, 1, rounds)
    x_t.grad, x_g.grad = None, None
    ours_packed(), theirs_packed()
    out_t = torch.nn.utils.rnn.pad_packed_sequence(
        theirs(torch.nn.utils.rnn.pack_padded_sequence(x_t, lengths, enforce_sorted=False))[0]
    )[0]
    out_g = rnn.pad_packed_sequence(
        ours(rnn.pack_padded_sequence(x_g, lengths, enforce_sorted=False))[0]
    )[0]
    diff = float(np.abs(out_t.detach().numpy() - out_g.data).max())
    grad_diff = float(np.abs(x_t.grad.numpy() - x_g.grad.data).max())
    return (
        f"{kind}(32, 64, num_layers=2, bidirectional=True), 16 sequences of 8 to 50 steps, "
        f"forward+backward: packed {packed[0] * 1e3:.2f} ms vs torch's packed "
        f"{packed[1] * 1e3:.2f} ms ({packed[0] / packed[1]:.2f}x); tensorgrad padded "
        f"{padded[0] * 1e3:.2f} ms, one call per sequence {padded[1] * 1e3:.2f} ms; no_grad "
        f"forward: packed {forward[0] * 1e3:.2f} ms vs torch's {forward[1] * 1e3:.2f} ms "
        f"({forward[0] / forward[1]:.2f}x); "
        f"max |diff| {diff:.1e}, input gradients {grad_diff:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"some of {', '.join(KINDS)} (default: all)")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    unknown = sorted(set(args.cases) - set(KINDS))
    if unknown:
        parser.error(f"unknown cases {unknown} (choose from {', '.join(KINDS)})")
    print("tensorgrad packed vs torch packed, float32, one thread (CPU time per call, best)")
    for name in args.cases or KINDS:
        print(run(name, args.rounds), flush=True)


if __name__ == "__main__":
    main()
