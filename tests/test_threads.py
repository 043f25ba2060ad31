"""Threads: graphs, gradients and grad mode of one thread never reach another.

Each model's gradients are compared bitwise between a run alone and a run concurrent with
another thread training a different model; grad mode (``no_grad``) is per thread.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

import tensorgrad as tg

STEPS = 30


def _train(seed: int, record: list[list[np.ndarray]], start: threading.Barrier | None) -> None:
    """Train a small MLP for STEPS steps, recording every parameter gradient of every step."""
    rng = np.random.default_rng(seed)
    width = 8 + 4 * seed
    model = tg.nn.Sequential(
        tg.nn.Linear(6, width, rng=rng),
        tg.nn.ReLU(),
        tg.nn.Linear(width, width, rng=rng),
        tg.nn.Tanh(),
        tg.nn.Linear(width, 4, rng=rng),
    )
    opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = rng.standard_normal((16, 6))
    y = rng.integers(0, 4, size=16)
    if start is not None:
        start.wait()
    for _ in range(STEPS):
        opt.zero_grad()
        logits = model(tg.tensor(x, dtype=np.float32))
        loss = tg.nn.functional.cross_entropy(logits, y) + 1e-3 * sum(
            (p * p).sum() for p in model.parameters()
        )
        loss.backward()
        record.append([p.grad.data.copy() for p in model.parameters()])
        opt.step()


def _run_threads(targets: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guard(fn: Callable[[], None]) -> Callable[[], None]:
        def inner() -> None:
            try:
                fn()
            except BaseException as exc:  # surfaced in the main thread below
                errors.append(exc)

        return inner

    threads = [threading.Thread(target=guard(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a training thread hung"
    if errors:
        raise errors[0]


def _assert_bitwise(a: list[list[np.ndarray]], b: list[list[np.ndarray]]) -> None:
    assert len(a) == len(b) == STEPS
    for step, (ga, gb) in enumerate(zip(a, b, strict=True)):
        for i, (u, v) in enumerate(zip(ga, gb, strict=True)):
            assert u.dtype == v.dtype and u.shape == v.shape
            assert u.tobytes() == v.tobytes(), f"step {step}, parameter {i}: gradients differ"


def test_two_threads_get_the_gradients_they_get_alone() -> None:
    alone: dict[int, list[list[np.ndarray]]] = {0: [], 1: []}
    for seed in alone:
        _train(seed, alone[seed], None)
    together: dict[int, list[list[np.ndarray]]] = {0: [], 1: []}
    barrier = threading.Barrier(2)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so their steps interleave finely
    try:
        _run_threads([lambda s=s: _train(s, together[s], barrier) for s in together])
    finally:
        sys.setswitchinterval(interval)
    for seed in alone:
        _assert_bitwise(alone[seed], together[seed])


def test_no_grad_does_not_leak_between_threads() -> None:
    inside = threading.Event()
    checked = threading.Event()
    seen: dict[str, Any] = {}

    def quiet() -> None:
        with tg.no_grad():
            seen["quiet_enabled"] = tg.is_grad_enabled()
            inside.set()
            assert checked.wait(30)
            seen["quiet_records"] = (tg.tensor([1.0], requires_grad=True) * 2).requires_grad

    def busy() -> None:
        assert inside.wait(30)  # the other thread is inside no_grad right now
        seen["busy_enabled"] = tg.is_grad_enabled()
        x = tg.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        seen["busy_records"] = y.requires_grad and y.grad_fn is not None
        y.backward()
        seen["busy_grad"] = x.grad.data.copy()
        with tg.no_grad():
            seen["busy_nested"] = tg.is_grad_enabled()
        checked.set()

    _run_threads([quiet, busy])
    assert seen["quiet_enabled"] is False and seen["quiet_records"] is False
    assert seen["busy_enabled"] is True and seen["busy_records"] is True
    np.testing.assert_array_equal(seen["busy_grad"], [2.0, 4.0])
    assert seen["busy_nested"] is False
    assert tg.is_grad_enabled(), "the main thread's grad mode is untouched"


def test_new_thread_starts_with_grad_enabled() -> None:
    """A thread started inside ``no_grad`` does not inherit it."""
    seen: list[bool] = []
    with tg.no_grad():
        _run_threads([lambda: seen.append(tg.is_grad_enabled())])
        assert not tg.is_grad_enabled()
    assert seen == [True]


def test_jacfwd_with_dropout_is_one_mask_while_another_thread_draws() -> None:
    # (jacfwd rewound the shared generator for each call: the other thread's draws repeated,
    # and its draws between the rewind and f's made f's masks differ, a Jacobian of no mask)
    F = tg.nn.functional
    masks: list[np.ndarray] = []

    def f(x: tg.Tensor) -> tg.Tensor:
        m = F.dropout(tg.ones(x.shape), 0.5)
        masks.append(m.data.copy())
        return m * x

    draws: list[float] = []
    stop = threading.Event()

    def drawer() -> None:
        while not stop.is_set():
            draws.append(float(tg.rand(1).item()))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    other = threading.Thread(target=drawer)
    other.start()
    try:
        for _ in range(5):
            masks.clear()
            jac = tg.jacfwd(f)(tg.ones(20)).data
            assert all(np.array_equal(m, masks[0]) for m in masks)
            np.testing.assert_array_equal(np.diag(jac), masks[0])
    finally:
        stop.set()
        other.join()
        sys.setswitchinterval(interval)
    assert len(set(draws)) == len(draws)


def test_jacfwd_leaves_a_generator_f_draws_from_by_hand_as_without_it() -> None:
    # (f3730fd parked the default generator itself one jump ahead while f ran: an f handed
    # that generator drew from the far part of its stream, and it stayed there)
    g = tg.manual_seed(4)
    ref = np.random.default_rng(4).standard_normal(10)
    jac = tg.jacfwd(lambda t: t * g.standard_normal(3))(tg.ones(3)).data
    # (f is called once per input entry, and a generator passed by hand is not rewound: call
    # k draws ref[3k:3k + 3], of which entry k is on the diagonal)
    np.testing.assert_array_equal(np.diag(jac), ref[[0, 4, 8]])
    assert g.standard_normal() == ref[9]
    assert tg.factories.default_rng() is g


def test_ops_run_every_record_hook_while_another_is_taken_off() -> None:
    # (the ops iterated the hook list itself: a hook taken off meanwhile, by another thread's
    # detect_anomaly or trace ending, shifted the list and the next hook was skipped)
    from tensorgrad.ops import _base

    seen: list[str] = []

    def leaving(op: Any, inputs: tuple, out: Any) -> None:
        seen.append("leaving")
        _base.RECORD_HOOKS.remove(leaving)  # (as another thread's block would, now)

    def staying(op: Any, inputs: tuple, out: Any) -> None:
        seen.append("staying")

    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: tg.exp(x), lambda: x * x):  # (apply1's path and apply's)
        seen.clear()
        _base.RECORD_HOOKS[:] = [leaving, staying]
        try:
            op()
        finally:
            _base.RECORD_HOOKS.clear()
        assert seen == ["leaving", "staying"]


def test_concurrent_backwards_into_one_leaf_each_count() -> None:
    # (accumulating into .grad was check-then-set and an unlocked in-place sum: contributions
    # were lost)
    w = tg.tensor(np.ones(2_000_000), requires_grad=True)
    (w * 1.0).sum().backward()
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        for _ in range(200):
            (w * 1.0).sum().backward()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    np.testing.assert_array_equal(w.grad.data, np.full(2_000_000, 401.0))
