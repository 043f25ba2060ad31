"""The recurrent layers' time loops (tensorgrad.ops.recurrent): the step-by-step formulas, the
forward's kept gates against the rules' recomputed ones, and what backward frees. (First and
second order, both modes, against finite differences: the registry's specs.)"""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.ops import recurrent


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _lstm_steps(xp, h, c, w, w_hr, reverse):
    """The LSTM recurrence step by step in NumPy: (L, ..., P + H)."""
    n, out = c.shape[-1], []
    for t in range(len(xp))[::-1] if reverse else range(len(xp)):
        gates = xp[t] + h @ w.T
        i, f, o = (_sigmoid(gates[..., k * n : (k + 1) * n]) for k in (0, 1, 3))
        c = f * c + i * np.tanh(gates[..., 2 * n : 3 * n])
        h = o * np.tanh(c)
        if w_hr is not None:
            h = h @ w_hr.T
        out.append(np.concatenate([h, c], axis=-1))
    return np.stack(out[::-1] if reverse else out)


def _gru_steps(xp, h, w, b, reverse):
    n, out = h.shape[-1], []
    for t in range(len(xp))[::-1] if reverse else range(len(xp)):
        a = h @ w.T + b
        r = _sigmoid(xp[t][..., :n] + a[..., :n])
        z = _sigmoid(xp[t][..., n : 2 * n] + a[..., n : 2 * n])
        new = np.tanh(xp[t][..., 2 * n :] + r * a[..., 2 * n :])
        h = (1 - z) * new + z * h
        out.append(h)
    return np.stack(out[::-1] if reverse else out)


def _rnn_steps(xp, h, w, relu, reverse):
    out = []
    for t in range(len(xp))[::-1] if reverse else range(len(xp)):
        pre = xp[t] + h @ w.T
        h = np.maximum(pre, 0) if relu else np.tanh(pre)
        out.append(h)
    return np.stack(out[::-1] if reverse else out)


def _cases(rng: np.random.Generator):
    """(name, function of Tensors, NumPy reference, arrays) for each op and flag."""
    batch, n, steps = (3,), 4, 5
    u = lambda *shape: rng.uniform(-1, 1, shape)  # noqa: E731
    cases = []
    for reverse in (False, True):
        lstm = [u(steps, *batch, 4 * n), u(*batch, n), u(*batch, n), u(4 * n, n)]
        cases.append(("lstm", lstm, reverse, None))
        proj = [u(steps, *batch, 4 * n), u(*batch, 2), u(*batch, n), u(4 * n, 2), u(2, n)]
        cases.append(("lstm_proj", proj, reverse, None))
        gru = [u(steps, *batch, 3 * n), u(*batch, n), u(3 * n, n), u(3 * n)]
        cases.append(("gru", gru, reverse, None))
        for relu in (False, True):
            rnn = [u(steps, *batch, n), u(*batch, n), u(n, n)]
            cases.append(("rnn_relu" if relu else "rnn_tanh", rnn, reverse, relu))
    return cases


def _run(name: str, args: list, reverse: bool, relu: bool | None):
    if name.startswith("lstm"):
        return recurrent.lstm_sequence(*args[:4], *args[4:], reverse=reverse)
    if name == "gru":
        return recurrent.gru_sequence(*args, reverse=reverse)
    return recurrent.rnn_sequence(*args, relu=relu, reverse=reverse)


def _reference(name: str, args: list, reverse: bool, relu: bool | None) -> np.ndarray:
    if name.startswith("lstm"):
        return _lstm_steps(*args[:4], args[4] if len(args) > 4 else None, reverse)
    if name == "gru":
        return _gru_steps(*args, reverse)
    return _rnn_steps(*args, relu, reverse)


CASES = _cases(np.random.default_rng(0))
IDS = [f"{c[0]}{'_reverse' if c[2] else ''}" for c in CASES]


@pytest.mark.parametrize(("name", "args", "reverse", "relu"), CASES, ids=IDS)
def test_every_step_is_the_cells_formula(name, args, reverse, relu) -> None:
    out = _run(name, [tg.tensor(a) for a in args], reverse, relu)
    np.testing.assert_allclose(out.data, _reference(name, args, reverse, relu), rtol=0, atol=1e-15)
    # unbatched: the batch's first row
    row = [a[:, 0] if k == 0 else a[0] if k == 1 or (k == 2 and "lstm" in name) else a
           for k, a in enumerate(args)]  # fmt: skip
    one = _run(name, [tg.tensor(a) for a in row], reverse, relu)
    np.testing.assert_allclose(one.data, out.data[:, 0], rtol=0, atol=1e-15)


@pytest.mark.parametrize(("name", "args", "reverse", "relu"), CASES, ids=IDS)
def test_kept_gates_and_recomputed_ones_give_the_same_derivatives(name, args, reverse, relu):
    """The rules on arrays read the gates the forward kept; recorded (create_graph), they
    recompute them: the same gradients and tangents, to rounding."""
    rng = np.random.default_rng(1)
    leaves = [tg.tensor(a, requires_grad=True) for a in args]
    out = _run(name, leaves, reverse, relu)
    v = rng.standard_normal(out.shape)
    kept = tg.autograd.grad(out, leaves, v, retain_graph=True)
    recomputed = tg.autograd.grad(out, leaves, v, create_graph=True)
    for g, h in zip(kept, recomputed):
        assert h.requires_grad
        np.testing.assert_allclose(g.data, h.data, rtol=1e-13, atol=1e-14)
    us = [rng.standard_normal(a.shape) for a in args]
    _, plain = tg.jvp(lambda *xs: _run(name, list(xs), reverse, relu), args, us)
    directions = [tg.tensor(u, requires_grad=True) for u in us]  # (recorded: recomputed)
    _, recorded = tg.jvp(lambda *xs: _run(name, list(xs), reverse, relu), args, directions)
    assert recorded.requires_grad
    np.testing.assert_allclose(plain.data, recorded.data, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize(("name", "args", "reverse", "relu"), CASES[:4], ids=IDS[:4])
def test_backward_frees_the_kept_gates(name, args, reverse, relu) -> None:
    leaves = [tg.tensor(a, requires_grad=True) for a in args]
    out = _run(name, leaves, reverse, relu)
    node = out.grad_fn
    if name != "rnn_tanh":
        assert node.kept is not None
    (out * out).sum().backward(retain_graph=True)
    first = [x.grad.data.copy() for x in leaves]
    for x in leaves:
        x.grad = None
    (out * out).sum().backward()
    for x, g in zip(leaves, first):
        np.testing.assert_array_equal(x.grad.data, g)  # (the kept gates, stacked once)
    assert node.released and getattr(node, "kept", None) is None


def _sequence(name: str, args: list, reverse: bool, batch_sizes: tuple | None):
    """``name``'s op (one of ``_cases``') on ``args``, packed if ``batch_sizes``."""
    kwargs = {"reverse": reverse, "batch_sizes": batch_sizes}
    if name.startswith("lstm"):
        return recurrent.lstm_sequence(*args, **kwargs)
    if name == "gru":
        return recurrent.gru_sequence(*args, **kwargs)
    return recurrent.rnn_sequence(*args, relu=name == "rnn_relu", **kwargs)


@pytest.mark.parametrize("batch_sizes", [None, (4, 4, 3, 1, 1)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["lstm", "lstm_proj", "gru", "rnn_tanh", "rnn_relu"])
def test_unrecorded_forwards_keep_no_gates_and_give_the_recorded_bits(
    name: str, dtype: type, reverse: bool, batch_sizes: tuple | None
) -> None:
    # an op that will not be recorded (no_grad, or no input requiring grad) and pushes no
    # tangent writes every step's gates into one step's buffers: the same bits as the recorded
    # op's, which keeps them all for its rules
    rng = np.random.default_rng(3)
    # (dense: 5 steps of 4 rows, the packed case's xp reshaped)
    args = _packed_case(rng, batch_sizes or (4,) * 5, name)
    if batch_sizes is None:
        args[0] = args[0].reshape(5, 4, -1)
    args = [(3 * a).astype(dtype) for a in args]
    leaves = [tg.tensor(a, requires_grad=True) for a in args]
    recorded = _sequence(name, leaves, reverse, batch_sizes)
    assert recorded.requires_grad
    if not name.startswith("rnn"):
        assert recorded.grad_fn.kept is not None
    with tg.no_grad():
        quiet = _sequence(name, leaves, reverse, batch_sizes)
    plain = _sequence(name, [tg.tensor(a) for a in args], reverse, batch_sizes)
    for out in (quiet, plain):
        assert not out.requires_grad and out.dtype == dtype
        assert out.data.tobytes() == recorded.data.tobytes()
    # forward mode under no_grad keeps them (its tangent rule reads them): the tangents of the
    # recorded op's
    us = [rng.standard_normal(a.shape).astype(dtype) for a in args]
    f = lambda *xs: _sequence(name, list(xs), reverse, batch_sizes)  # noqa: E731
    _, tangent = tg.jvp(f, args, us)
    with tg.no_grad():
        _, quiet_tangent = tg.jvp(f, args, us)
    assert quiet_tangent.data.tobytes() == tangent.data.tobytes()


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("name", ["lstm", "lstm_proj", "gru", "rnn_tanh"])
def test_unrecorded_forwards_allocate_no_more_than_the_output_and_a_steps_buffers(
    name: str, packed: bool
) -> None:
    import tracemalloc

    rng = np.random.default_rng(4)
    n, b, steps = 32, 8, 30
    gates = {"lstm": 4, "gru": 3}.get(name[:4], 1)
    xp = rng.uniform(-1, 1, (steps * b, gates * n))
    states = [rng.uniform(-1, 1, (b, n)) for _ in range(2 if name.startswith("lstm") else 1)]
    w = rng.uniform(-0.3, 0.3, (gates * n, n))
    rest = {"lstm": [], "lstm_proj": [rng.uniform(-1, 1, (n, n))], "gru": [xp[0, : 3 * n]]}
    args = [xp if packed else xp.reshape(steps, b, -1), *states, w, *rest.get(name, [])]
    leaves = [tg.tensor(a, requires_grad=True) for a in args]
    batch_sizes = (b,) * steps if packed else None
    tracemalloc.start()
    try:
        with tg.no_grad():
            out = _sequence(name, leaves, False, batch_sizes)
        peak = tracemalloc.get_traced_memory()[1]
        del out
        tracemalloc.reset_peak()
        out = _sequence(name, leaves, False, batch_sizes)
        peak_recorded = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    size, step = out.data.nbytes, xp.nbytes // steps
    assert peak < size + 4 * step + 8192  # (the output, a step's buffers, and some objects)
    if not name.startswith("rnn"):  # (the gates kept: 2 to 3 times the output's size)
        assert peak_recorded > 2.5 * size


def test_float32_stays_float32_and_mixed_dtypes_promote() -> None:
    rng = np.random.default_rng(2)
    xp = rng.uniform(-1, 1, (3, 2, 8)).astype(np.float32)
    h0, c0 = np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32)
    w = rng.uniform(-1, 1, (8, 2)).astype(np.float32)
    leaves = [tg.tensor(a, requires_grad=True) for a in (xp, h0, c0, w)]
    out = recurrent.lstm_sequence(*leaves)
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(x.grad.dtype == np.float32 for x in leaves)
    # (a float64 initial state: the states are float64 from the first step, as NumPy's)
    out = recurrent.lstm_sequence(xp, h0.astype(np.float64), c0, w)
    assert out.dtype == np.float64
    want = _lstm_steps(xp.astype(np.float64), h0, c0, w.astype(np.float64), None, False)
    np.testing.assert_allclose(out.data, want, rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_gates_past_the_exponentials_range_are_sigmoids_subnormals_without_a_warning(dtype):
    """A gate whose e ** -x overflows is tg.sigmoid's value (e ** x, a subnormal, not 0), and
    the overflow warns nothing, as tg.sigmoid's."""
    import warnings

    low = {np.float16: -20.0, np.float32: -100.0, np.float64: -730.0}[dtype]
    xp = np.array([[0.5, 0.5, 0.5, low]], dtype)  # (gates i, f, g, o; one step, H = 1)
    zero = np.zeros(1, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = recurrent.lstm_sequence(xp, zero, zero, np.zeros((4, 1), dtype)).data
        i = tg.sigmoid(xp[0, :1]).data
        c = i * np.tanh(xp[0, 2:3])
        h = tg.sigmoid(xp[0, 3:]).data * np.tanh(c)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out[0], np.concatenate([h, c]))
    if dtype != np.float16:
        assert 0 < h[0] < np.finfo(dtype).tiny  # (a subnormal)


def _ones(*shape: int) -> tg.Tensor:
    return tg.tensor(np.full(shape, 0.1), requires_grad=True)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        # (torch 2.13's layers: "Expected sequence length to be larger than 0"; here the
        # forward refused nothing and the backward raised NumPy's "need at least one array")
        (
            lambda: recurrent.lstm_sequence(_ones(0, 2, 8), _ones(2, 2), _ones(2, 2), _ones(8, 2)),
            ValueError,
            r"lstm_sequence: xp's sequence length is 0 \(shape \(0, 2, 8\)\)",
        ),
        (
            lambda: recurrent.gru_sequence(_ones(0, 6), _ones(2), _ones(6, 2), _ones(6)),
            ValueError,
            r"gru_sequence: xp's sequence length is 0",
        ),
        (
            lambda: recurrent.rnn_sequence(_ones(0, 1, 2), _ones(1, 2), _ones(2, 2)),
            ValueError,
            r"rnn_sequence: xp's sequence length is 0",
        ),
        (
            lambda: recurrent.lstm_sequence(_ones(8), _ones(2), _ones(2), _ones(8, 2)),
            ValueError,
            r"lstm_sequence: xp must be .*\(L, \.\.\., 4 \* hidden_size\).*got shape \(8,\)",
        ),
        (
            lambda: recurrent.lstm_sequence(_ones(3, 2, 6), _ones(2, 2), _ones(2, 2), _ones(8, 2)),
            ValueError,
            r"lstm_sequence: xp of shape \(3, 2, 6\) and w_hh of shape \(8, 2\) do not match",
        ),
        (
            lambda: recurrent.lstm_sequence(_ones(3, 2, 8), _ones(3, 2), _ones(2, 2), _ones(8, 2)),
            ValueError,
            r"lstm_sequence: expected h0 of shape \(2, 2\) for xp of shape \(3, 2, 8\) and w_hh "
            r"of shape \(8, 2\), got \(3, 2\)",
        ),
        (
            lambda: recurrent.lstm_sequence(_ones(3, 2, 8), _ones(2, 2), _ones(2, 3), _ones(8, 2)),
            ValueError,
            r"lstm_sequence: expected c0 of shape \(2, 2\) .*got \(2, 3\)",
        ),
        (
            lambda: recurrent.lstm_sequence(
                _ones(3, 2, 8), _ones(2, 1), _ones(2, 2), _ones(8, 1), _ones(2, 2)
            ),
            ValueError,
            r"lstm_sequence: expected w_hr of shape \(1, 2\) .*got \(2, 2\)",
        ),
        (
            lambda: recurrent.lstm_sequence(_ones(3, 2, 8), _ones(2, 1), _ones(2, 2), _ones(8, 1)),
            ValueError,
            r"lstm_sequence: w_hh must be \(4 \* hidden_size, hidden_size\), got shape \(8, 1\)",
        ),
        (
            lambda: recurrent.gru_sequence(_ones(3, 6), _ones(2), _ones(6, 2), _ones(8)),
            ValueError,
            r"gru_sequence: expected b_hh of shape \(6,\) .*got \(8,\)",
        ),
        (
            lambda: recurrent.gru_sequence(_ones(3, 6), _ones(2), _ones(7, 2), _ones(6)),
            ValueError,
            r"gru_sequence: w_hh must be a matrix \(3 \* hidden_size, hidden\), got shape \(7, 2\)",
        ),
        (
            lambda: recurrent.rnn_sequence(_ones(3, 2), _ones(2), _ones(2, 3)),
            ValueError,
            r"rnn_sequence: w_hh must be \(hidden_size, hidden_size\), got shape \(2, 3\)",
        ),
        (
            lambda: recurrent.rnn_sequence(
                np.ones((3, 2), int), np.ones(2, int), np.eye(2, dtype=int)
            ),
            TypeError,
            r"rnn_sequence: no floating-point operand \(xp int64, h0 int64, w_hh int64\)",
        ),
        (
            lambda: recurrent.rnn_sequence(_ones(3, 2), "h", _ones(2, 2)),
            TypeError,
            r"rnn_sequence: h0 holds str",
        ),
        (
            lambda: recurrent.rnn_sequence(_ones(3, 2), _ones(2), _ones(2, 2), relu="yes"),
            TypeError,
            r"rnn_sequence: relu must be a bool, got 'yes'",
        ),
        (
            lambda: recurrent.gru_sequence(_ones(3, 6), _ones(2), _ones(6, 2), _ones(6), reverse=1),
            TypeError,
            r"gru_sequence: reverse must be a bool, got 1",
        ),
    ],
)
def test_direct_calls_are_checked_naming_the_function_argument_and_shapes(
    call, error, pattern
) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_integer_operands_promote_with_floating_weights_as_the_layers_inputs_do() -> None:
    rng = np.random.default_rng(3)
    xp, w = rng.integers(-2, 3, (3, 2, 2)), rng.uniform(-1, 1, (2, 2))
    out = recurrent.rnn_sequence(xp, np.zeros((2, 2), int), w)
    assert out.dtype == np.float64
    np.testing.assert_allclose(
        out.data, recurrent.rnn_sequence(xp.astype(float), np.zeros((2, 2)), w).data
    )
    # an empty batch is fine (torch's layers take one), an empty sequence is not
    assert recurrent.rnn_sequence(np.zeros((3, 0, 2)), np.zeros((0, 2)), w).shape == (3, 0, 2)


# ----------------------------------------------------------------------------- packed sequences


def _packed_case(rng: np.random.Generator, batch_sizes: tuple, name: str) -> list:
    """Packed arrays for ``name`` (one of ``_cases``'s), xp (sum(batch_sizes), G)."""
    n, b, rows = 3, batch_sizes[0], sum(batch_sizes)
    u = lambda *shape: rng.uniform(-1, 1, shape)  # noqa: E731
    if name == "lstm":
        return [u(rows, 4 * n), u(b, n), u(b, n), u(4 * n, n)]
    if name == "lstm_proj":
        return [u(rows, 4 * n), u(b, 2), u(b, n), u(4 * n, 2), u(2, n)]
    if name == "gru":
        return [u(rows, 3 * n), u(b, n), u(3 * n, n), u(3 * n)]
    return [u(rows, n), u(b, n), u(n, n)]


@pytest.mark.parametrize("batch_sizes", [(3, 3, 2, 1), (2, 2, 2), (1,), (4, 1, 1)])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("name", ["lstm", "lstm_proj", "gru", "rnn_tanh", "rnn_relu"])
def test_packed_sequences_run_each_sequence_as_its_own_dense_call(
    name: str, reverse: bool, batch_sizes: tuple
) -> None:
    # sequence b has the steps t with batch_sizes[t] > b, its row at step t is row b of the
    # step's rows; its states, and every gradient, are those of the dense op on it alone (the
    # reverse direction starting at its own last step)
    rng = np.random.default_rng(len(batch_sizes))
    args = _packed_case(rng, batch_sizes, name)
    relu = name == "rnn_relu" if name.startswith("rnn") else None
    ends = np.cumsum((0,) + batch_sizes)
    leaves = [tg.tensor(a, requires_grad=True) for a in args]
    if name.startswith("lstm"):
        out = recurrent.lstm_sequence(*leaves, reverse=reverse, batch_sizes=batch_sizes)
    elif name == "gru":
        out = recurrent.gru_sequence(*leaves, reverse=reverse, batch_sizes=batch_sizes)
    else:
        out = recurrent.rnn_sequence(*leaves, relu=relu, reverse=reverse, batch_sizes=batch_sizes)
    cotangent = rng.standard_normal(out.shape)
    grads = tg.autograd.grad(out, leaves, cotangent)
    expected = [np.zeros_like(a) for a in args]
    for b in range(batch_sizes[0]):
        rows = [ends[t] + b for t in range(len(batch_sizes)) if batch_sizes[t] > b]
        per_row = {1, 2} if name.startswith("lstm") else {1}
        own = [
            tg.tensor(a[rows] if i == 0 else a[b] if i in per_row else a, requires_grad=True)
            for i, a in enumerate(args)
        ]
        dense = _run(name, own, reverse, relu)
        np.testing.assert_allclose(out.data[rows], dense.data, rtol=1e-12, atol=1e-12)
        for i, g in enumerate(tg.autograd.grad(dense, own, cotangent[rows])):
            if i == 0:
                expected[0][rows] += g.data
            elif i in per_row:
                expected[i][b] += g.data
            else:
                expected[i] += g.data
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.data, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (
            lambda: recurrent.rnn_sequence(
                _ones(5, 2), _ones(3, 2), _ones(2, 2), batch_sizes=[2, 3]
            ),
            ValueError,
            r"rnn_sequence: batch_sizes must be positive and non-increasing .*got \[2, 3\]",
        ),
        (
            lambda: recurrent.rnn_sequence(
                _ones(2, 2), _ones(2, 2), _ones(2, 2), batch_sizes=[2, 0]
            ),
            ValueError,
            r"rnn_sequence: batch_sizes must be positive",
        ),
        (
            lambda: recurrent.gru_sequence(
                _ones(4, 6), _ones(2, 2), _ones(6, 2), _ones(6), batch_sizes=[2.0, 2.0]
            ),
            TypeError,
            r"gru_sequence: batch_sizes must be a 1-D sequence of ints, got float64",
        ),
        (
            lambda: recurrent.lstm_sequence(
                _ones(4, 8), _ones(2, 2), _ones(2, 2), _ones(8, 2), batch_sizes=[2, 1]
            ),
            ValueError,
            r"lstm_sequence: packed xp must be \(sum\(batch_sizes\), 4 \* hidden_size\) = "
            r"\(3, \.\), got shape \(4, 8\)",
        ),
        (
            lambda: recurrent.lstm_sequence(
                _ones(3, 8), _ones(3, 2), _ones(2, 2), _ones(8, 2), batch_sizes=[2, 1]
            ),
            ValueError,
            r"lstm_sequence: expected h0 of shape \(2, 2\) for xp of shape \(3, 8\) and w_hh of "
            r"shape \(8, 2\) \(batch_sizes\[0\] = 2\), got \(3, 2\)",
        ),
    ],
)
def test_packed_calls_are_checked(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("name", ["lstm_proj", "gru", "rnn_tanh"])
def test_packed_second_order_and_recorded_tangents_past_four_steps(
    name: str, reverse: bool
) -> None:
    # more than four packed steps: the recorded rules (create_graph, forward mode over a
    # recorded graph) slice them by halves (_packed_steps), which the registry's samples (at
    # most 3 steps) and the layers' tests (3 steps) do not reach
    batch_sizes = (3, 3, 2, 2, 2, 1, 1)
    rng = np.random.default_rng(11)
    args = [tg.tensor(a, requires_grad=True) for a in _packed_case(rng, batch_sizes, name)]

    def f(*a):
        if name.startswith("lstm"):
            return recurrent.lstm_sequence(*a, reverse=reverse, batch_sizes=batch_sizes)
        if name == "gru":
            return recurrent.gru_sequence(*a, reverse=reverse, batch_sizes=batch_sizes)
        return recurrent.rnn_sequence(*a, reverse=reverse, batch_sizes=batch_sizes)

    assert tg.gradgradcheck(f, tuple(args))
    # hvp runs the tangent rule, then a reverse pass through the rules it recorded
    v = tuple(tg.tensor(rng.standard_normal(a.shape)) for a in args)
    cot = rng.standard_normal(f(*args).shape)
    _, hv = tg.hvp(lambda *a: (f(*a) * cot).sum(), tuple(a.detach() for a in args), v)

    def grads(shift):
        ins = [tg.tensor(a.data + shift * t.data, requires_grad=True) for a, t in zip(args, v)]
        return tg.autograd.grad((f(*ins) * cot).sum(), ins)

    eps = 1e-6
    for h, gp, gm in zip(hv, grads(eps), grads(-eps)):
        np.testing.assert_allclose(h.data, (gp.data - gm.data) / (2 * eps), rtol=1e-5, atol=1e-7)
