"""The recurrent layers against torch's: forward + backward, and forward under no_grad.

``python -m benchmarks.recurrent [case ...] [--rounds 15]`` (cases: lstm gru rnn lstm_large
lstm_128 gru_128 rnn_128 lstm_128_bi) runs each layer on float32 input of its shape, torch's
weights loaded into tensorgrad's layer, one thread, and prints per call the smallest mean over
rounds of the process's CPU time (on a shared machine CPU time leaves out the time spent waiting
for the core; tensorgrad and torch alternate round by round, so that both see the same load),
the ratio, and the largest difference of their outputs and gradients. Needs torch (not a
dependency of tensorgrad).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

# (name: layer, input_size, hidden_size, num_layers, input shape (L, N, H_in), calls a round,
# bidirectional)
CASES = {
    "lstm": ("LSTM", 32, 64, 2, (50, 16, 32), 5, False),
    "gru": ("GRU", 32, 64, 2, (50, 16, 32), 5, False),
    "rnn": ("RNN", 32, 64, 2, (50, 16, 32), 5, False),
    "lstm_large": ("LSTM", 128, 256, 1, (100, 32, 128), 2, False),
    "lstm_128": ("LSTM", 64, 128, 1, (50, 32, 64), 5, False),
    "gru_128": ("GRU", 64, 128, 1, (50, 32, 64), 5, False),
    "rnn_128": ("RNN", 64, 128, 1, (50, 32, 64), 5, False),
    "lstm_128_bi": ("LSTM", 64, 128, 2, (50, 32, 64), 2, True),
}


def _per_call(fn: Callable[[], None], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


def _race(ours: Callable, theirs: Callable, calls: int, rounds: int) -> tuple[float, float]:
    """The smallest mean CPU time a call of each, the two alternating round by round."""
    ours(), theirs()
    a, b = [], []
    for _ in range(rounds):
        a.append(_per_call(ours, calls))
        b.append(_per_call(theirs, calls))
    return min(a), min(b)


def run(name: str, rounds: int) -> str:
    import torch

    import tensorgrad as tg
    from tensorgrad import nn

    torch.set_num_threads(1)
    kind, n_in, hidden, layers, shape, calls, bidirectional = CASES[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    width = hidden * (2 if bidirectional else 1)
    cotangent = rng.standard_normal(shape[:2] + (width,)).astype(np.float32)
    flags = {"num_layers": layers, "bidirectional": bidirectional}
    theirs = getattr(torch.nn, kind)(n_in, hidden, **flags)
    ours = getattr(nn, kind)(n_in, hidden, **flags)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x_t, x_g = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    v_t = torch.tensor(cotangent)

    def ours_both() -> None:
        ours(x_g)[0].backward(cotangent)

    def theirs_both() -> None:
        theirs(x_t)[0].backward(v_t)

    def ours_forward() -> None:
        with tg.no_grad():
            ours(x_g)

    def theirs_forward() -> None:
        with torch.no_grad():
            theirs(x_t)

    both = _race(ours_both, theirs_both, calls, rounds)
    forward = _race(ours_forward, theirs_forward, calls, rounds)
    x_t.grad, x_g.grad = None, None
    for p, q in zip(theirs.parameters(), ours.parameters()):
        p.grad, q.grad = None, None
    out_t, out_g = theirs(x_t)[0], ours(x_g)[0]
    out_t.backward(v_t)
    out_g.backward(cotangent)
    diff = float(np.abs(out_t.detach().numpy() - out_g.data).max())
    grads = [(x_t.grad, x_g.grad)] + [
        (p.grad, q.grad) for p, q in zip(theirs.parameters(), ours.parameters())
    ]
    grad_diff = max(float(np.abs(a.numpy() - b.data).max()) for a, b in grads)
    both_ways = ", bidirectional=True" if bidirectional else ""
    label = f"{kind}({n_in}, {hidden}, num_layers={layers}{both_ways}) on {shape}"
    cells = [f"{k}: {a * 1e3:.2f} ms vs {b * 1e3:.2f} ms ({a / b:.2f}x)" for k, (a, b) in
             (("forward+backward", both), ("no_grad forward", forward))]  # fmt: skip
    return f"{label}: " + ", ".join(cells) + f"; max |diff| {diff:.1e}, gradients {grad_diff:.1e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"some of {', '.join(CASES)} (default: all)")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown} (choose from {', '.join(CASES)})")
    print("tensorgrad vs torch, float32, one thread (CPU time per call, best of rounds)")
    for name in args.cases or CASES:
        print(run(name, args.rounds), flush=True)


if __name__ == "__main__":
    main()
