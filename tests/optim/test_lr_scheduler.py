"""Learning-rate schedulers: each sequence against its closed form (or a hand trace for
ReduceLROnPlateau), state-dict round trips, and malformed hyper-parameters naming the argument.
(The sequences were also compared with torch 2.13's over 60 epochs; torch is not a test
dependency.)"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn, optim
from tensorgrad.optim import lr_scheduler


def _opt(*lrs):
    return optim.SGD([{"params": [nn.Parameter(np.zeros(1))], "lr": lr} for lr in lrs], lr=1.0)


def _sequence(sched, epochs):
    """The rates of epochs 0..epochs-1 (epoch 0 is set by the constructor), per group."""
    out = [sched.get_last_lr()]
    for _ in range(epochs - 1):
        sched.step()
        out.append(sched.get_last_lr())
        assert [g["lr"] for g in sched.optimizer.param_groups] == out[-1]
    return np.array(out)


class Warmup:
    """A callable object: LambdaLR's state_dict keeps its attributes."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


def test_exponential_lr():
    got = _sequence(optim.ExponentialLR(_opt(1.0, 0.1), gamma=0.5), 8)
    want = [[1.0 / 2**t, 0.1 / 2**t] for t in range(8)]
    np.testing.assert_array_equal(got, want)


def test_multistep_lr_with_a_repeated_milestone():
    # a milestone given twice decays twice, as torch
    got = _sequence(optim.MultiStepLR(_opt(1.0, 4.0), milestones=[2, 5, 5], gamma=0.5), 8)
    factors = [1, 1, 0.5, 0.5, 0.5, 0.125, 0.125, 0.125]
    np.testing.assert_array_equal(got, [[f, 4 * f] for f in factors])


def test_multistep_lr_matches_step_lr_on_regular_milestones():
    a = _sequence(optim.MultiStepLR(_opt(0.3), milestones=[3, 6, 9], gamma=0.1), 12)
    b = _sequence(optim.StepLR(_opt(0.3), step_size=3, gamma=0.1), 12)
    np.testing.assert_array_equal(a, b)


def test_linear_lr():
    got = _sequence(optim.LinearLR(_opt(0.1, 2.0), start_factor=0.25, total_iters=4), 7)
    factors = [0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(got, [[0.1 * f, 2.0 * f] for f in factors], rtol=1e-15)
    assert got[-1].tolist() == [0.1, 2.0]  # exactly the base rate from total_iters on


def test_linear_lr_down_to_zero_stays_exactly_zero():
    # torch's recursive product leaves a residue of order +-1e-17 here (sometimes negative,
    # which an optimizer refuses); the closed form gives 0 and never goes below it
    for start, n in ((0.5294563324522789, 58), (0.5484545972413507, 32), (0.1, 3)):
        got = _sequence(optim.LinearLR(_opt(0.7), start, 0.0, n), n + 4)[:, 0]
        want = [0.7 * (start - start * t / n) for t in range(n)]
        np.testing.assert_allclose(got[:n], want, rtol=1e-13)
        assert np.all(got >= 0) and np.all(got[n:] == 0.0)


def test_lambda_lr_one_function_per_group():
    sched = optim.LambdaLR(_opt(0.5, 0.2), [lambda e: 1 / (e + 1), Warmup(4)])
    got = _sequence(sched, 6)
    want = [[0.5 / (t + 1), 0.2 * min(1.0, (t + 1) / 4)] for t in range(6)]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    one = _sequence(optim.LambdaLR(_opt(0.5, 0.2), lambda e: 0.9**e), 5)
    np.testing.assert_allclose(one, [[0.5 * 0.9**t, 0.2 * 0.9**t] for t in range(5)], rtol=1e-15)


def test_cosine_annealing_past_t_max_comes_back_up():
    got = _sequence(optim.CosineAnnealingLR(_opt(1.0), T_max=4, eta_min=0.5), 11)[:, 0]
    want = [0.5 + 0.5 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(11)]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert got[4] == 0.5 and got[8] == 1.0


def _plateau(opt, metrics, **kwargs):
    sched = optim.ReduceLROnPlateau(opt, **kwargs)
    out = []
    for m in metrics:
        sched.step(m)
        out.append(sched.get_last_lr())
    return sched, np.array(out)


def test_reduce_lr_on_plateau_by_hand():
    # min mode, strict improvement (threshold 0), patience 1, cooldown 1; the second group is
    # floored at min_lr 0.2, then not changed at all (a change of 0 is not above eps)
    metrics = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3]
    sched, got = _plateau(
        _opt(1.0, 0.3), metrics, factor=0.5, patience=1, threshold=0.0, cooldown=1, min_lr=[0, 0.2]
    )
    first = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    second = [0.3, 0.3, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    np.testing.assert_array_equal(got, np.array([first, second]).T)
    assert (sched.best, sched.last_epoch, sched.num_bad_epochs, sched.cooldown_counter) == (
        3,
        10,
        0,
        0,
    )


def test_reduce_lr_on_plateau_max_mode_abs_threshold():
    # improvement means above best + 0.5; patience 0 reduces at the first bad epoch
    _, got = _plateau(
        _opt(1.0), [1.0, 1.4, 2.0, 2.0], mode="max", threshold_mode="abs", threshold=0.5, patience=0
    )
    np.testing.assert_allclose(got[:, 0], [1.0, 0.1, 0.1, 0.01], rtol=1e-15)


def test_reduce_lr_on_plateau_rel_threshold_and_eps():
    # rel in min mode: below best * (1 - 0.1) is an improvement; a cut of the 1e-8 rate to
    # 5e-9 is smaller than eps and is skipped
    sched, got = _plateau(_opt(1e-8), [10.0, 9.5, 8.9], threshold=0.1, patience=0, factor=0.5)
    assert sched.best == 8.9
    np.testing.assert_array_equal(got[:, 0], [1e-8] * 3)
    sched.step(tg.tensor(100.0))  # a one-element Tensor is a metric
    assert sched.num_bad_epochs == 0 and sched.get_last_lr() == [1e-8]


def _factories():
    return {
        "StepLR": lambda o: optim.StepLR(o, step_size=2, gamma=0.5),
        "MultiStepLR": lambda o: optim.MultiStepLR(o, milestones=[1, 4, 4], gamma=0.3),
        "ExponentialLR": lambda o: optim.ExponentialLR(o, gamma=0.9),
        "LinearLR": lambda o: optim.LinearLR(o, start_factor=0.1, end_factor=0.6, total_iters=9),
        "CosineAnnealingLR": lambda o: optim.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
        "LambdaLR": lambda o: optim.LambdaLR(o, [lambda e: 0.8**e, Warmup(6)]),
        "PolynomialLR": lambda o: optim.PolynomialLR(o, total_iters=8, power=1.5),
        "CosineAnnealingWarmRestarts": lambda o: optim.CosineAnnealingWarmRestarts(o, 2, 2, 0.01),
        "OneCycleLR": lambda o: optim.OneCycleLR(o, [1.0, 0.3], total_steps=20, three_phase=True),
    }


@pytest.mark.parametrize("kind", list(_factories()))
def test_state_dict_round_trip_continues_identically(kind, tmp_path):
    make = _factories()[kind]
    opt = _opt(0.5, 0.2)
    sched = make(opt)
    for _ in range(5):
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 5
    tg.save({"opt": opt.state_dict(), "sched": sd}, tmp_path / "ckpt")
    back = tg.load(tmp_path / "ckpt")
    opt2 = _opt(9.0, 9.0)
    opt2.load_state_dict(back["opt"])
    sched2 = make(opt2)  # (sets the rates of epoch 0; the load below restores the schedule)
    sched2.load_state_dict(back["sched"])
    assert sched2.last_epoch == 5 and sched2.get_last_lr() == sched.get_last_lr()
    # and the rates it had set, before any step (they were the epoch-0 rates until the next step)
    assert [g["lr"] for g in opt2.param_groups] == sched.get_last_lr()
    for _ in range(10):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert [g["lr"] for g in opt2.param_groups] == sched.get_last_lr()
    sd["base_lrs"].append(1.0)  # the state dict is a copy
    assert len(sched.base_lrs) == 2


def test_lambda_lr_state_dict_leaves_the_functions_out():
    warm = Warmup(6)
    sched = optim.LambdaLR(_opt(0.5, 0.2), [lambda e: 0.8**e, warm])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [None, {"n": 6}]
    sd["lr_lambdas"][1]["n"] = 2  # (a copy)
    assert warm.n == 6
    other = Warmup(100)
    sched2 = optim.LambdaLR(_opt(0.5, 0.2), [lambda e: 1.0, other])
    sched2.load_state_dict(sd)
    assert other.n == 2 and sched2.lr_lambdas[1] is other
    assert sd["lr_lambdas"] == [None, {"n": 2}]  # (loading leaves the dict as it was)


@pytest.mark.parametrize("mode", ["min", "max"])
def test_reduce_lr_on_plateau_round_trip(mode, tmp_path):
    metrics = [3.0, 2.0, 2.5, 2.5, 1.0, 1.0, 1.0, 4.0, 4.0, 0.5, 0.5, 0.5]
    opt = _opt(1.0, 0.5)
    sched = optim.ReduceLROnPlateau(opt, mode=mode, patience=1, cooldown=1, min_lr=[0.01, 0.1])
    for m in metrics[:5]:
        sched.step(m)
    tg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ckpt")
    back = tg.load(tmp_path / "ckpt")
    opt2 = _opt(7.0, 7.0)
    opt2.load_state_dict(back["opt"])
    sched2 = optim.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(back["sched"])
    assert (sched2.mode, sched2.mode_worse) == (mode, math.inf if mode == "min" else -math.inf)
    for m in metrics[5:]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()
    assert sched2.state_dict() == sched.state_dict()


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda o: optim.ExponentialLR(o, gamma=-0.5), ValueError, "ExponentialLR: gamma"),
        (lambda o: optim.ExponentialLR(o, gamma=math.nan), ValueError, "ExponentialLR: gamma"),
        (lambda o: optim.ExponentialLR(o, gamma="0.5"), TypeError, "ExponentialLR: gamma"),
        (lambda o: optim.StepLR(o, 3, gamma=-0.1), ValueError, "StepLR: gamma"),
        (lambda o: optim.StepLR(o, 3, gamma=np.complex128(0.5)), TypeError, "StepLR: gamma"),
        (lambda o: optim.StepLR(o, 0), ValueError, "StepLR: step_size"),
        (lambda o: optim.StepLR(o, -2.5), ValueError, "StepLR: step_size"),
        (lambda o: optim.CosineAnnealingLR(o, "4"), TypeError, "CosineAnnealingLR: T_max"),
        (lambda o: optim.StepLR(o, 3, last_epoch=-2), ValueError, "StepLR: last_epoch"),
        (lambda o: optim.StepLR(o, 3, last_epoch=1.0), TypeError, "StepLR: last_epoch"),
        (lambda o: optim.MultiStepLR(o, [-1, 3]), ValueError, "MultiStepLR: milestones"),
        (lambda o: optim.MultiStepLR(o, [1.5]), ValueError, "MultiStepLR: milestones"),
        (lambda o: optim.MultiStepLR(o, 5), TypeError, "MultiStepLR: milestones"),
        (lambda o: optim.MultiStepLR(o, [2], gamma=-1), ValueError, "MultiStepLR: gamma"),
        (lambda o: optim.LinearLR(o, start_factor=0.0), ValueError, "LinearLR: start_factor"),
        (lambda o: optim.LinearLR(o, start_factor=1.5), ValueError, "LinearLR: start_factor"),
        (lambda o: optim.LinearLR(o, end_factor=-0.1), ValueError, "LinearLR: end_factor"),
        (lambda o: optim.LinearLR(o, end_factor=1.1), ValueError, "LinearLR: end_factor"),
        (lambda o: optim.LinearLR(o, total_iters=0), ValueError, "LinearLR: total_iters"),
        (lambda o: optim.LinearLR(o, total_iters="x"), TypeError, "LinearLR: total_iters"),
        (lambda o: optim.CosineAnnealingLR(o, 0), ValueError, "CosineAnnealingLR: T_max"),
        (
            lambda o: optim.CosineAnnealingLR(o, 5, eta_min=-1.0),
            ValueError,
            "CosineAnnealingLR: eta_min",
        ),
        (lambda o: optim.LambdaLR(o, [lambda e: 1.0]), ValueError, "LambdaLR: .*lr_lambda"),
        (lambda o: optim.LambdaLR(o, 3), TypeError, "LambdaLR: lr_lambda"),
        (lambda o: optim.ReduceLROnPlateau(o, "median"), ValueError, "ReduceLROnPlateau: mode"),
        (
            lambda o: optim.ReduceLROnPlateau(o, threshold_mode="pct"),
            ValueError,
            "ReduceLROnPlateau: threshold_mode",
        ),
        (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), ValueError, "ReduceLROnPlateau: factor"),
        (lambda o: optim.ReduceLROnPlateau(o, factor=-0.1), ValueError, "factor"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
        (lambda o: optim.ReduceLROnPlateau(o, cooldown=1.5), TypeError, "cooldown"),
        (lambda o: optim.ReduceLROnPlateau(o, threshold=-0.1), ValueError, "threshold"),
        (lambda o: optim.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "min_lr"),
        (lambda o: optim.ReduceLROnPlateau(o, min_lr=-1.0), ValueError, "min_lr"),
        (lambda o: optim.ReduceLROnPlateau(o, eps="1e-8"), TypeError, "eps"),
        (lambda o: optim.ExponentialLR(object(), 0.5), TypeError, "Optimizer"),
        (lambda o: optim.ReduceLROnPlateau([o]), TypeError, "Optimizer"),
    ],
)
def test_malformed_arguments_are_named(make, error, pattern):
    opt = _opt(0.5, 0.2)
    with pytest.raises(error, match=pattern):
        make(opt)
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.2]
    assert not any("initial_lr" in g for g in opt.param_groups)


def test_a_failing_step_changes_nothing():
    def lam(epoch):
        if epoch == 3:
            raise ArithmeticError("no rate for epoch 3")
        return "fast" if epoch == 5 else 0.5**epoch

    opt = _opt(1.0, 0.5)
    with pytest.raises(ArithmeticError):  # the constructor's first step: no trace left
        optim.LambdaLR(opt, lambda e: 1 / 0)
    assert not any("initial_lr" in g for g in opt.param_groups)
    sched = optim.LambdaLR(opt, lam)
    sched.step()
    sched.step()
    with pytest.raises(ArithmeticError):
        sched.step()
    assert sched.last_epoch == 2 and sched.get_last_lr() == [0.25, 0.125]
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.125]
    sched.last_epoch = 4
    with pytest.raises(TypeError, match="lr_lambda returned 'fast' at epoch 5"):
        sched.step()
    assert sched.last_epoch == 4 and [g["lr"] for g in opt.param_groups] == [0.25, 0.125]
    # a group added after the schedule was made: LambdaLR has no function for it
    opt = _opt(1.0, 0.5)
    sched = optim.LambdaLR(opt, [lambda e: 0.5**e] * 2)
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.3})
    with pytest.raises(ValueError, match="3 parameter groups, the schedule has 2"):
        sched.step()
    assert sched.last_epoch == 0 and [g["lr"] for g in opt.param_groups] == [1.0, 0.5, 0.3]
    assert "initial_lr" not in opt.param_groups[2]


def test_reduce_lr_on_plateau_bad_metric_or_new_group_changes_nothing():
    opt = _opt(1.0)
    sched = optim.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
    sched.step(1.0)
    before = sched.state_dict()
    for bad in ("low", None, tg.tensor([1.0, 2.0])):
        with pytest.raises(TypeError, match="ReduceLROnPlateau.step: metrics"):
            sched.step(bad)
        assert sched.state_dict() == before
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.3})
    with pytest.raises(RuntimeError, match="min_lr"):
        sched.step(5.0)
    assert sched.state_dict() == before
    # with one min_lr for every group, a new group is simply included
    opt = _opt(1.0)
    sched = optim.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(1.0)
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.3})
    sched.step(5.0)
    assert sched.get_last_lr() == [0.5, 0.15]


def test_a_failing_load_changes_nothing():
    sched = optim.StepLR(_opt(0.5), step_size=2)
    before = sched.state_dict()
    with pytest.raises(ValueError, match="StepLR.load_state_dict: unknown entries \\['T_max'\\]"):
        sched.load_state_dict({**before, "last_epoch": 9, "T_max": 3})
    with pytest.raises(TypeError, match="last_epoch"):
        sched.load_state_dict({**before, "last_epoch": "9"})
    with pytest.raises(TypeError, match="expected a dict"):
        sched.load_state_dict([("last_epoch", 9)])
    assert sched.state_dict() == before

    lam = optim.LambdaLR(_opt(0.5, 0.2), [lambda e: 1.0, Warmup(3)])
    before = lam.state_dict()
    with pytest.raises(ValueError, match="lr_lambdas"):
        lam.load_state_dict({**before, "last_epoch": 9, "lr_lambdas": [None]})
    with pytest.raises(TypeError, match="lr_lambdas"):
        lam.load_state_dict({**before, "last_epoch": 9, "lr_lambdas": [None, 3]})
    assert lam.state_dict() == before and lam.lr_lambdas[1].n == 3

    plateau = optim.ReduceLROnPlateau(_opt(0.5))
    before = plateau.state_dict()
    with pytest.raises(ValueError, match="ReduceLROnPlateau.load_state_dict: mode"):
        plateau.load_state_dict({**before, "best": 1.0, "mode": "median"})
    assert plateau.state_dict() == before


def test_resuming_with_last_epoch():
    opt = _opt(1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        optim.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert opt.param_groups[0]["lr"] == 1.0
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = optim.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    # (torch 2.13 keeps the group's rate at the resumed epoch; the next step halves it)
    assert sched.last_epoch == 4 and sched.get_last_lr() == [1.0]
    sched.step()
    assert sched.get_last_lr() == [0.5]


def test_schedulers_drive_the_optimizer():
    p = nn.Parameter(np.array([0.0]))
    opt = optim.SGD([p], lr=1.0)
    sched = optim.MultiStepLR(opt, milestones=[1, 2], gamma=0.5)
    for _ in range(3):
        p.grad = tg.tensor([-1.0])
        opt.step()
        sched.step()
    np.testing.assert_array_equal(p.data, [1.0 + 0.5 + 0.25])


def test_number_arguments_may_be_zero_d_arrays_and_tensors() -> None:
    # as the optimizers' hyperparameters; the schedule keeps Python floats either way
    opt = _opt(1.0)
    sched = optim.StepLR(opt, 1, gamma=tg.tensor(0.5))
    assert sched.gamma == 0.5 and type(sched.gamma) is float
    optim.ExponentialLR(_opt(1.0), gamma=np.asarray(0.9))
    sched = optim.LambdaLR(opt, lambda e: np.asarray(0.25))
    sched.step()
    assert opt.param_groups[0]["lr"] == 0.25 and type(opt.param_groups[0]["lr"]) is float


def _trace(opt, scheds, epochs, hand=None):
    """The first group's rate after each epoch's steps (``hand``: (epoch, rate) set by hand)."""
    out = [opt.param_groups[0]["lr"]]
    for epoch in range(epochs):
        for s in scheds:
            s.step()
        if hand and epoch == hand[0]:
            opt.param_groups[0]["lr"] = hand[1]
        out.append(opt.param_groups[0]["lr"])
    return out


def test_schedulers_chain_as_torchs():
    # (each schedule set its own closed form, so the last one stepped won: a warm-up followed
    # by a decay lost the warm-up; these are torch 2.13's values)
    opt = _opt(0.1)
    warm = optim.LinearLR(opt, start_factor=0.1, total_iters=4)
    decay = optim.ExponentialLR(opt, 0.9)
    np.testing.assert_allclose(
        _trace(opt, [warm, decay], 4), [0.01, 0.02925, 0.04455, 0.0564975, 0.06561], rtol=1e-12
    )
    # a plateau's reduction survives a second schedule's steps
    opt = _opt(0.1)
    steps = optim.StepLR(opt, 100)
    plateau = optim.ReduceLROnPlateau(opt, patience=0)
    rates = []
    for _ in range(3):
        steps.step()
        plateau.step(1.0)
        rates.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(rates, [0.1, 0.01, 0.001])
    # a rate set by hand is carried on, and so is everything after it
    opt = _opt(1.0)
    got = _trace(opt, [optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)], 9, hand=(1, 0.5))
    want = [1.0, 0.8681980515339464, 0.5, 0.21715728752538102, 0.1, 0.2318019484660536, 0.55]
    np.testing.assert_allclose(got[:7], want, rtol=1e-12)
    # one scheduler alone is its closed form, exactly (no drift over many epochs)
    opt = _opt(1.0)
    got = _trace(opt, [optim.CosineAnnealingLR(opt, T_max=7, eta_min=0.01)], 300)
    assert got == [0.01 + 0.99 * (1 + math.cos(math.pi * t / 7)) / 2 for t in range(301)]


def test_a_scheduler_made_on_a_scheduled_optimizer_starts_from_its_rate():
    # (torch: base_lrs are the groups' initial_lr, and epoch 0 keeps the current rate)
    opt = _opt(1.0)
    first = optim.ExponentialLR(opt, 0.5)
    first.step()
    second = optim.StepLR(opt, 2, gamma=0.1)
    assert second.base_lrs == [1.0] and opt.param_groups[0]["lr"] == 0.5
    assert _trace(opt, [second], 3) == [0.5, 0.5, 0.05, 0.05]


@pytest.mark.parametrize("kind", ["StepLR", "ExponentialLR", "LinearLR", "CosineAnnealingLR"])
def test_a_group_added_later_is_scheduled_from_its_rate(kind):
    # (a ValueError before; torch's values, though torch's cosine raises from the third step)
    make = {
        "StepLR": lambda o: optim.StepLR(o, 2, 0.5),
        "ExponentialLR": lambda o: optim.ExponentialLR(o, 0.5),
        "LinearLR": lambda o: optim.LinearLR(o, 0.2, 1.0, 5),
        "CosineAnnealingLR": lambda o: optim.CosineAnnealingLR(o, 3),
    }[kind]
    want = {
        "StepLR": [0.35, 0.35, 0.175, 0.175],
        "ExponentialLR": [0.35, 0.175, 0.0875, 0.04375],
        "LinearLR": [1.011111111111111, 1.3222222222222222, 1.6333333333333333, 1.9444444444444444],
        "CosineAnnealingLR": [0.23333333333333342, 0.0, 0.175, 0.525],
    }[kind]
    opt = _opt(0.1)
    sched = make(opt)
    sched.step()
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.7})
    got = []
    for _ in range(4):
        sched.step()
        got.append(opt.param_groups[1]["lr"])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-17)
    assert opt.param_groups[1]["initial_lr"] == 0.7 and len(sched.base_lrs) == 2


def test_float_periods_unsorted_milestones_and_step_with_an_epoch():
    # torch takes these; step(epoch) is deprecated there and sets the closed form
    opt = _opt(1.0)
    assert _trace(opt, [optim.StepLR(opt, 2.0, 0.5)], 4) == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt = _opt(1.0)
    assert _trace(opt, [optim.MultiStepLR(opt, [3, 1], 0.5)], 4) == [1.0, 0.5, 0.5, 0.25, 0.25]
    opt = _opt(1.0)
    sched = optim.CosineAnnealingLR(opt, T_max=2.5)
    sched.step()
    assert sched.get_last_lr()[0] == pytest.approx((1 + math.cos(math.pi / 2.5)) / 2)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(5)
    assert sched.last_epoch == 5 and sched.get_last_lr()[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="epoch"):
        sched.step(-1)


def test_plateau_step_takes_the_deprecated_epoch_as_torch():
    # (step(metrics, epoch) raised TypeError; torch warns and sets last_epoch)
    opt = _opt(0.1)
    sched = optim.ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(2.0, 7)
    assert sched.last_epoch == 7 and opt.param_groups[0]["lr"] == pytest.approx(0.01)
    with pytest.raises(TypeError, match="epoch"):
        sched.step(3.0, 1.5)
    with pytest.raises(ValueError, match="epoch"):
        sched.step(3.0, -1)
    assert sched.last_epoch == 7 and opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_a_load_with_values_of_the_wrong_kind_changes_nothing():
    # (a rate of 'a' reached the optimizer's group, whose next step then failed)
    opt = _opt(0.1)
    sched = optim.StepLR(opt, 2)
    before = sched.state_dict()
    for bad in ({"gamma": "x"}, {"_last_lr": ["a"]}, {"base_lrs": 3}):
        with pytest.raises(TypeError, match="StepLR.load_state_dict"):
            sched.load_state_dict(bad)
        assert sched.state_dict() == before and opt.param_groups[0]["lr"] == 0.1


def _lrs(opt, sched, epochs):
    out = [opt.param_groups[0]["lr"]]
    for _ in range(epochs):
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def test_constant_sequential_and_chained_schedulers_as_torchs():
    # torch 2.13's values, 0.5 base
    opt = _opt(0.5)
    assert _lrs(opt, optim.ConstantLR(opt, factor=0.5, total_iters=2), 3) == [0.25, 0.25, 0.5, 0.5]
    opt = _opt(0.5)
    seq = optim.SequentialLR(
        opt, [optim.ConstantLR(opt, 0.1, 5), optim.ExponentialLR(opt, 0.9)], milestones=[5]
    )
    got = _lrs(opt, seq, 8)
    want = [0.05] * 5 + [0.5, 0.45, 0.405, 0.3645]
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert seq.get_last_lr() == [got[-1]]
    opt = _opt(0.5)
    chained = optim.ChainedScheduler([optim.ConstantLR(opt, 0.1, 3), optim.ExponentialLR(opt, 0.9)])
    np.testing.assert_allclose(
        _lrs(opt, chained, 4), [0.05, 0.045, 0.0405, 0.3645, 0.32805], rtol=1e-14
    )
    # their state dicts hold their parts', and a round trip resumes the schedule
    opt2 = _opt(9.0)
    opt2.load_state_dict(opt.state_dict())
    again = optim.ChainedScheduler([optim.ConstantLR(opt2, 0.1, 3), optim.ExponentialLR(opt2, 0.9)])
    again.load_state_dict(chained.state_dict())
    assert _lrs(opt2, again, 3)[1:] == _lrs(opt, chained, 3)[1:]
    bad = chained.state_dict()
    bad["_schedulers"][1]["gamma"] = "x"
    before = again.state_dict()
    with pytest.raises(TypeError, match="gamma"):
        again.load_state_dict(bad)
    assert again.state_dict() == before  # (the first part was not loaded either)


def test_combinators_refuse_what_torch_refuses():
    opt, other = _opt(0.5), _opt(0.5)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        optim.ChainedScheduler([optim.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="another optimizer"):
        optim.SequentialLR(opt, [optim.StepLR(opt, 2), optim.StepLR(other, 2)], [3])
    with pytest.raises(ValueError, match="1 milestones"):
        optim.SequentialLR(opt, [optim.StepLR(opt, 2), optim.StepLR(opt, 2)], [3, 4])
    with pytest.raises(ValueError, match="at least one"):
        optim.ChainedScheduler([])
    with pytest.raises(ValueError, match="ConstantLR: factor"):
        optim.ConstantLR(opt, factor=1.5)


def test_a_load_keeps_the_optimizers_rates_and_undoes_only_the_construction():
    # (a load reset the rates to the schedule's own, dropping a plateau's reduction: torch 2.13
    # keeps 0.018225 here; a LinearLR built after the optimizer's load resumes at its rate)
    def run(opt):
        sched = optim.ExponentialLR(opt, 0.9)
        plateau = optim.ReduceLROnPlateau(opt, factor=0.5, patience=0)
        return sched, plateau

    opt = _opt(0.1)
    sched, plateau = run(opt)
    for metric in (1.0, 2.0, 3.0):
        sched.step()
        plateau.step(metric)
    opt2 = _opt(0.1)
    opt2.load_state_dict(opt.state_dict())
    sched2, plateau2 = run(opt2)
    sched2.load_state_dict(sched.state_dict())
    plateau2.load_state_dict(plateau.state_dict())
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.018225, rel=1e-14)
    sched.load_state_dict(sched.state_dict())
    assert opt.param_groups[0]["lr"] == pytest.approx(0.018225, rel=1e-14)
    opt = _opt(0.1)
    linear = optim.LinearLR(opt, 0.1, 1.0, 10)
    for _ in range(4):
        linear.step()
    opt2 = _opt(0.1)
    opt2.load_state_dict(opt.state_dict())
    optim.LinearLR(opt2, 0.1, 1.0, 10).load_state_dict(linear.state_dict())
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]  # (torch: 0.1x of it)


@pytest.mark.parametrize(
    "make, steps, expected",
    [
        (lambda o: optim.ConstantLR(o, 0.5, 3), 2, [0.05, 0.1, 0.1, 0.1]),
        (lambda o: optim.LinearLR(o, 0.25, total_iters=4), 0, [0.025, 0.04375, 0.0625, 0.08125]),
        (
            lambda o: optim.ChainedScheduler(
                [optim.ConstantLR(o, 0.5, 3), optim.ExponentialLR(o, 0.9)]
            ),
            0,
            [0.05, 0.045, 0.0405, 0.0729],
        ),
        (
            lambda o: optim.SequentialLR(
                o, [optim.ConstantLR(o, 0.5, 2), optim.ExponentialLR(o, 0.9)], [2]
            ),
            0,
            [0.05, 0.05, 0.1, 0.09],
        ),
        (lambda o: optim.LambdaLR(o, lambda e: 0.1 if e < 3 else 1.0), 0, [0.01, 0.01, 0.01, 0.1]),
    ],
)
def test_a_resume_in_torchs_order_keeps_the_loaded_rate(make, steps, expected):
    # (built, then the optimizer loaded, then the schedule: a saved rate equal to the one the
    # construction set was taken back to the base rate, e.g. ConstantLR resumed at 0.1, not
    # 0.05; torch 2.13's values)
    opt = _opt(0.1)
    sched = make(opt)
    for _ in range(steps):
        opt.step()
        sched.step()
    opt2 = _opt(0.1)
    sched2 = make(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    np.testing.assert_allclose(_lrs(opt2, sched2, 3), expected, rtol=1e-12)


def test_nested_sequential_and_a_fractional_step_size():
    # (a SequentialLR of combinators raised AttributeError or NotImplementedError; StepLR(2.5)
    # decayed at epochs 3, 5, 8 where torch decays at 5, 10)
    opt = _opt(0.1)
    inner = optim.SequentialLR(
        opt, [optim.ConstantLR(opt, 0.5, 2), optim.ExponentialLR(opt, 0.9)], [2]
    )
    outer = optim.SequentialLR(opt, [inner, optim.StepLR(opt, 2, 0.5)], [5])
    np.testing.assert_allclose(
        _lrs(opt, outer, 9), [0.05, 0.1, 0.09, 0.081, 0.0729, 0.1, 0.1, 0.05, 0.05, 0.025]
    )
    opt = _opt(0.1)
    chained = optim.ChainedScheduler([optim.ConstantLR(opt, 0.1, 2), optim.ExponentialLR(opt, 0.9)])
    seq = optim.SequentialLR(opt, [chained, optim.StepLR(opt, 2, 0.5)], [4])
    assert len(_lrs(opt, seq, 9)) == 10
    opt = _opt(0.1)
    got = _lrs(opt, optim.StepLR(opt, 2.5, 0.5), 12)
    assert got == [0.1] * 5 + [0.05] * 5 + [0.025] * 3
    with pytest.raises(ValueError, match="fused and foreach"):
        optim.Adam([nn.Parameter(np.zeros(1))], fused=True, foreach=True)


def test_a_sequential_nested_in_a_sequential_loads_its_own_state_dict():
    # (the inner parts, rewound by both, hold last_epoch -2, as torch's: the load refused it)
    def build() -> tuple:
        opt = _opt(0.1)
        inner = optim.SequentialLR(
            opt, [optim.ConstantLR(opt, factor=0.5), optim.ExponentialLR(opt, gamma=0.9)], [2]
        )
        return opt, optim.SequentialLR(opt, [optim.StepLR(opt, 3), inner], [5])

    opt, sched = build()
    assert sched.state_dict()["_schedulers"][1]["_schedulers"][1]["last_epoch"] == -2
    got = []
    for epoch in range(12):
        sched.step()
        got.append(sched.get_last_lr()[0])
        if epoch in (0, 6):
            opt2, sched2 = build()
            opt2.load_state_dict(opt.state_dict())
            sched2.load_state_dict(sched.state_dict())
            opt, sched = opt2, sched2
    want = [0.1, 0.1, 0.01, 0.01, 0.005, 0.1, 0.09, 0.081, 0.0729, 0.06561, 0.059049, 0.0531441]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    for path in ([], [1]):  # (a SequentialLR's own count is rewound by none)
        bad = sched.state_dict()
        part = bad
        for i in path:
            part = part["_schedulers"][i]
        part["last_epoch"] = -2
        with pytest.raises(ValueError, match="last_epoch must be an int >= -1"):
            build()[1].load_state_dict(bad)


def test_linear_lr_to_0_chained_after_a_rate_set_by_hand_ends_at_exactly_0():
    # (the recursive form's quotient rounded: -2.2e-17, which the next step refused)
    w = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.03)
    sched = tg.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, end_factor=0.0, total_iters=4)
    rates = []
    for epoch in range(6):
        w.grad = tg.tensor([1.0])
        opt.step()
        sched.step()
        if epoch == 1:
            opt.param_groups[0]["lr"] = 0.2
        rates.append(opt.param_groups[0]["lr"])
    assert rates[3:] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("forward", [True, False])
def test_two_schedules_built_over_a_loaded_state_are_undone_together(forward):
    # (loaded in the order they were built, only the last construction was undone: 0.00925
    # instead of 0.0185; each checked the rate its own construction left, which the next
    # construction had changed)
    def build(opt):
        return optim.ConstantLR(opt, 0.5, 10), optim.LinearLR(opt, 0.1, total_iters=10)

    opt = _opt(0.1)
    scheds = build(opt)
    for _ in range(3):
        opt.step()
        for s in scheds:
            s.step()
    opt2 = _opt(0.1)
    opt2.load_state_dict(opt.state_dict())
    again = build(opt2)
    pairs = list(zip(again, scheds))
    for new, old in pairs if forward else pairs[::-1]:
        new.load_state_dict(old.state_dict())
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for _ in range(2):
        opt.step()
        opt2.step()
        for s, t in zip(scheds, again):
            s.step()
            t.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(opt.param_groups[0]["lr"], rel=1e-14)


def test_plateau_with_per_group_min_lr_raises_for_an_added_group_only_when_reducing():
    # (it raised at every step once a group was added; torch only when a reduction is due)
    opt = _opt(0.1)
    plateau = optim.ReduceLROnPlateau(opt, min_lr=[0.0], patience=1)
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))], "lr": 0.1})
    plateau.step(1.0)
    plateau.step(2.0)
    assert plateau.get_last_lr() == [0.1, 0.1]
    before = plateau.state_dict()
    with pytest.raises(RuntimeError, match="2 parameter groups but min_lr was given for 1"):
        plateau.step(3.0)
    assert plateau.state_dict() == before  # (nothing changed)


def test_sequential_lr_over_a_group_added_later_starts_it_from_its_rate() -> None:
    # (it raised KeyError 'initial_lr' after setting the first group's rate back: the warm-up's
    # factor was lost for the rest of training)
    opt = optim.SGD([nn.Parameter(tg.ones(1))], lr=1.0)
    warm = lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
    decay = lr_scheduler.ExponentialLR(opt, 0.9)
    opt.add_param_group({"params": [nn.Parameter(tg.ones(1))], "lr": 2.0})
    seq = lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[2])
    assert [g["lr"] for g in opt.param_groups] == [0.5, 1.0]  # (its epoch 0: the warm-up)
    rates = []
    for _ in range(3):
        opt.step()
        seq.step()
        rates.append([g["lr"] for g in opt.param_groups])
    np.testing.assert_allclose(rates, [[0.5, 1.0], [1.0, 2.0], [0.9, 1.8]])


def test_a_chained_step_that_raises_changes_nothing() -> None:
    opt = optim.SGD([nn.Parameter(tg.ones(1))], lr=1.0)

    def f(epoch: int) -> float:
        if epoch >= 2:
            raise ZeroDivisionError("boom")
        return 1.0

    first, second = lr_scheduler.ExponentialLR(opt, 0.5), lr_scheduler.LambdaLR(opt, f)
    chained = lr_scheduler.ChainedScheduler([first, second])
    chained.step()
    state = (chained.state_dict(), opt.param_groups[0]["lr"])
    with pytest.raises(ZeroDivisionError):
        chained.step()
    assert (chained.state_dict(), opt.param_groups[0]["lr"]) == state
    assert (first.last_epoch, second.last_epoch) == (1, 1)


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (lambda o: lr_scheduler.StepLR(o, 2), {"step_size": 0}),
        (lambda o: lr_scheduler.StepLR(o, 2), {"gamma": math.nan}),
        (lambda o: lr_scheduler.MultiStepLR(o, [2]), {"milestones": [-1]}),
        (lambda o: lr_scheduler.ExponentialLR(o, 0.5), {"gamma": -1.0}),
        (lambda o: lr_scheduler.LinearLR(o), {"start_factor": 0.0}),
        (lambda o: lr_scheduler.LinearLR(o), {"total_iters": 0}),
        (lambda o: lr_scheduler.ConstantLR(o), {"factor": 2.0}),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 3), {"T_max": 0}),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), {"factor": 1.5}),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), {"patience": -1}),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), {"min_lrs": [-1.0]}),
        (lambda o: lr_scheduler.ExponentialLR(o, 0.5), {"base_lrs": [0.1, 0.1]}),
    ],
)
def test_a_load_refuses_what_the_constructor_refuses_and_changes_nothing(make, bad) -> None:
    # (a step_size or T_max of 0 loaded, then step(): ZeroDivisionError; base_lrs longer than
    # the groups: a step that wrote some rates, then raised in zip)
    s = make(_opt(0.1))
    s.step(1.0) if isinstance(s, lr_scheduler.ReduceLROnPlateau) else s.step()
    before = s.state_dict()
    state = {**before, **bad}
    with pytest.raises(ValueError, match=f"load_state_dict: {next(iter(bad))}"):
        s.load_state_dict(state)
    assert s.state_dict() == before


def test_a_step_over_base_rates_for_more_groups_than_there_are_changes_nothing() -> None:
    opt = _opt(0.1)
    s = lr_scheduler.ExponentialLR(opt, 0.5)
    s.step()
    s.base_lrs = [0.1, 0.1]  # (set by hand)
    with pytest.raises(ValueError, match="2 base rates for the optimizer's 1 parameter groups"):
        s.step()
    assert (s.last_epoch, opt.param_groups[0]["lr"]) == (1, 0.05)


def test_a_plateau_step_over_a_rate_that_is_no_number_changes_nothing() -> None:
    opt = _opt(0.1, 0.1)
    s = lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    s.step(1.0)
    opt.param_groups[1]["lr"] = None
    before = s.state_dict()
    with pytest.raises(TypeError, match=r"param_groups\[1\]\['lr'\] is None"):
        s.step(2.0)
    assert s.state_dict() == before
    assert opt.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize(
    ("make", "want"),
    [
        # (torch 2.13's rates after resuming at last_epoch=3 from a checkpoint, then 2 steps)
        (lambda o, e: lr_scheduler.ExponentialLR(o, 0.5, last_epoch=e), [0.125, 0.0625, 0.03125]),
        (lambda o, e: lr_scheduler.LinearLR(o, 0.5, total_iters=4, last_epoch=e), [0.875] * 3),
        (lambda o, e: lr_scheduler.StepLR(o, 2, 0.5, last_epoch=e), [0.25, 0.25, 0.125]),
    ],
)
def test_a_schedule_resumed_with_last_epoch_follows_torch(make, want) -> None:
    # (ExponentialLR, LinearLR and CosineAnnealingLR set the closed form of the resumed epoch,
    # one epoch ahead of torch's, which keeps the loaded rate there)
    opt = _opt(1.0)
    s = make(opt, -1)
    for _ in range(3):
        s.step()
    resumed = _opt(1.0)
    resumed.load_state_dict(opt.state_dict())
    s2 = make(resumed, s.last_epoch)
    lrs = [resumed.param_groups[0]["lr"]]
    for _ in range(2):
        s2.step()
        lrs.append(resumed.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, want, rtol=1e-12)


def test_sequential_milestones_and_plateau_best_are_checked_on_load() -> None:
    # (loaded, then a step raised IndexError or TypeError with last_epoch already moved)
    opt = _opt(0.1)
    parts = [lr_scheduler.LinearLR(opt, 0.5, total_iters=2), lr_scheduler.ExponentialLR(opt, 0.9)]
    s = lr_scheduler.SequentialLR(opt, parts, [2])
    for bad in ([2, 4], [-1], []):
        with pytest.raises(ValueError, match="SequentialLR.load_state_dict: "):
            s.load_state_dict({**s.state_dict(), "_milestones": bad})
    p = lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(TypeError, match="best must be a number"):
        p.load_state_dict({**p.state_dict(), "best": None})
    e = lr_scheduler.ExponentialLR(opt, 0.5)
    e.load_state_dict({**e.state_dict(), "base_lrs": (0.1,)})  # (a tuple: then a step failed)
    e.step()
    assert e.base_lrs == [0.1]


def test_rising_schedules_reach_inf_not_overflow_error():
    # (a Python float's gamma ** k raised a bare OverflowError at every later step; torch: inf)
    for make, steps in [
        (lambda o: lr_scheduler.StepLR(o, step_size=1, gamma=1e200), 3),
        (lambda o: lr_scheduler.ExponentialLR(o, gamma=2.0), 1030),
        (lambda o: lr_scheduler.MultiStepLR(o, [1, 1, 2], gamma=1e200), 3),
    ]:
        opt = _opt(0.1)
        sched = make(opt)
        for _ in range(steps):
            sched.step()
        assert sched.get_last_lr() == [math.inf]
        assert opt.param_groups[0]["lr"] == math.inf
    # finite while the rate is, though gamma ** k alone is not (torch's: step by step); an
    # integer gamma (a torch state dict's) too
    opt = _opt(1e-300)
    sched = lr_scheduler.ExponentialLR(opt, gamma=1.5)
    for _ in range(1751):
        sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [216667916.186], rtol=1e-9)
    opt = _opt(1.0)
    sched = lr_scheduler.StepLR(opt, 1, 2)
    for _ in range(1100):
        sched.step()
    assert sched.get_last_lr() == [math.inf]
    opt = _opt(1e300)  # (and the other way: 0.5 ** 1075 rounds to 0, the rate does not)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    for _ in range(1075):
        sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [1e300 * 2.0**-1000 * 2.0**-75], rtol=1e-12)
    # (to the float nearest the exact product, as lr * gamma ** k in range: squaring doubled a
    # rounded gamma's error, 2e-13 after 9,000 steps of 0.9 from 1e300)
    # (and halfway cases to even, as IEEE: 40-digit decimals rounded twice, 3 * 2 ** -1075 to
    # 5e-324; a NumPy integer count; counts far past any float exponent)
    cases = [(1e300, 0.9, 9000), (1e-300, 1.5, 1751), (1e-300, 1e-310, -1), (3.0, 0.5, 1075)]
    cases += [
        (10.0, 0.5, 1076),
        (-3.0, -0.5, 1075),
        (3.0, 2.0, -1076),
        (1e300, 0.5, np.int64(2000)),
    ]
    for lr, gamma, k in cases:
        want = float(Fraction(lr) * Fraction(gamma) ** int(k))
        assert lr_scheduler._scaled(lr, gamma, k) == want
    assert lr_scheduler._scaled(0.0, 2.0, 10**19) == 0.0
    assert lr_scheduler._scaled(math.inf, 0.5, 10**19) == math.inf
    # (past the largest float's halfway point: inf, not OverflowError; inf * inf ** -1 is NaN)
    assert lr_scheduler._scaled(0.283967625805776, 2.5, 776) == math.inf
    assert math.isnan(lr_scheduler._scaled(math.inf, math.inf, -1))
    opt = _opt(0.1)  # (a closed form far out costs what a near one does)
    sched = lr_scheduler.ExponentialLR(opt, gamma=10.0)
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(10**12)
    assert sched.get_last_lr() == [math.inf]


@pytest.mark.parametrize(
    ("make", "last", "want"),
    [
        # (torch 2.13's rates; the closed form from initial_lr gave 0.2-based ones)
        (lambda o, e: lr_scheduler.StepLR(o, 3, 0.5, last_epoch=e), 2, [0.05, 0.05, 0.05]),
        (lambda o, e: lr_scheduler.MultiStepLR(o, [2, 5], 0.5, last_epoch=e), 0, [0.1, 0.05, 0.05]),
        (lambda o, e: lr_scheduler.ConstantLR(o, 0.5, 4, last_epoch=e), 8, [0.1, 0.1, 0.1]),
    ],
)
def test_a_schedule_resumed_with_last_epoch_carries_a_rate_set_by_hand_on(make, last, want):
    # (a checkpoint whose rate was lowered by hand: StepLR, MultiStepLR and ConstantLR set the
    # closed form from initial_lr where torch carries the loaded rate on, as any step does)
    opt = _opt(0.1)
    opt.param_groups[0]["initial_lr"] = 0.2
    s = make(opt, last)
    lrs = [opt.param_groups[0]["lr"]]
    s.step()
    lrs.append(opt.param_groups[0]["lr"])
    s.step()
    lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("make", "want"),
    [
        # (torch 2.13's rates: a resumed first part keeps the group's rate, as built resumed)
        (lambda o: lr_scheduler.ExponentialLR(o, 0.5, last_epoch=3), [0.1, 0.05, 0.025, 0.0125]),
        (
            lambda o: lr_scheduler.CosineAnnealingLR(o, 4, last_epoch=3),
            [0.1, 0.114645, 0.391421, 0.668198],
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, 0.5, total_iters=6, last_epoch=3),
            [0.1, 0.11, 0.12, 0.12],
        ),
    ],
)
def test_sequential_over_a_resumed_first_part_that_keeps_the_rate(make, want) -> None:
    opt = _opt(0.1)
    opt.param_groups[0]["initial_lr"] = 0.1
    first = make(opt)
    second = lr_scheduler.StepLR(opt, 2, last_epoch=3)
    s = lr_scheduler.SequentialLR(opt, [first, second], milestones=[10], last_epoch=3)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(3):
        s.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, want, rtol=1e-5)


# --------------------------------------- PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR

CYCLES = [
    ("PolynomialLR", "SGD", {}, {"total_iters": 7, "power": 2.0}, 12, None),
    ("PolynomialLR", "SGD", {}, {}, 8, None),
    ("PolynomialLR", "SGD", {}, {"total_iters": 10, "power": 0.5}, 14, None),
    ("CosineAnnealingWarmRestarts", "SGD", {}, {"T_0": 3}, 20, None),
    ("CosineAnnealingWarmRestarts", "SGD", {}, {"T_0": 2, "T_mult": 2, "eta_min": 0.01}, 40, None),
    # step(epoch) with fractions, and interleaved with step()
    ("CosineAnnealingWarmRestarts", "SGD", {}, {"T_0": 2, "T_mult": 3}, 40, lambda i: i * 0.37),
    ("CosineAnnealingWarmRestarts", "SGD", {}, {"T_0": 5, "eta_min": 0.01}, 40, lambda i: i * 0.37),
    (
        "CosineAnnealingWarmRestarts",
        "SGD",
        {},
        {"T_0": 3, "T_mult": 2},
        40,
        lambda i: None if i % 3 else i * 0.5,
    ),
    ("OneCycleLR", "SGD", {"momentum": 0.9}, {"max_lr": [0.5, 1.0], "total_steps": 50}, 50, None),
    (
        "OneCycleLR",
        "SGD",
        {"momentum": 0.9},
        {"max_lr": 0.5, "epochs": 4, "steps_per_epoch": 7, "anneal_strategy": "linear"},
        28,
        None,
    ),
    ("OneCycleLR", "Adam", {}, {"max_lr": 0.5, "total_steps": 40, "three_phase": True}, 40, None),
    (
        "OneCycleLR",
        "Adam",
        {},
        {"max_lr": [0.5, 0.2], "total_steps": 40, "three_phase": True}
        | {"anneal_strategy": "linear", "pct_start": 0.25, "div_factor": 10.0}
        | {"final_div_factor": 100.0, "base_momentum": [0.8, 0.7], "max_momentum": 0.9},
        40,
        None,
    ),
    ("OneCycleLR", "RMSprop", {"momentum": 0.5}, {"max_lr": 0.5, "total_steps": 33}, 33, None),
    (
        "OneCycleLR",
        "Adagrad",
        {},
        {"max_lr": 0.5, "total_steps": 33, "cycle_momentum": False},
        33,
        None,
    ),
]


def _momenta(opt) -> list:
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _case_id(value: Any) -> str:
    """A parameter's id, the same in every process (a function's repr holds its address, and
    pytest-xdist's workers must collect the same ids)."""
    return "epochs" if callable(value) else str(value)


@pytest.mark.parametrize(("kind", "name", "okw", "skw", "steps", "epochs"), CYCLES, ids=_case_id)
def test_cycles_rates_and_momenta_are_torchs(kind, name, okw, skw, steps, epochs) -> None:
    # the full schedule, two groups: every rate (and momentum) against torch 2.13's
    torch = pytest.importorskip("torch")

    def build(lib, make_param):
        groups = [{"params": [make_param()], "lr": lr} for lr in (0.1, 1.0)]
        opt = getattr(lib.optim, name)(groups, lr=0.1, **okw)
        return opt, getattr(lib.optim.lr_scheduler, kind)(opt, **skw)

    ours = build(tg, lambda: tg.tensor(np.zeros(2), requires_grad=True))
    theirs = build(torch, lambda: torch.zeros(2, requires_grad=True))
    for i in range(steps + 1):
        got = [g["lr"] for g in ours[0].param_groups]
        want = [g["lr"] for g in theirs[0].param_groups]
        rtol = 1e-14 if kind == "PolynomialLR" else 0  # (its closed form: a few units last place)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, err_msg=f"step {i}")
        assert ours[1].get_last_lr() == got
        assert _momenta(ours[0]) == _momenta(theirs[0]), i
        if i == steps:
            break
        epoch = epochs(i) if epochs else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch's step(epoch) deprecations)
            for _, sched in (ours, theirs):
                sched.step() if epoch is None else sched.step(epoch)


def test_polynomial_lr_closed_form() -> None:
    got = _sequence(optim.PolynomialLR(_opt(1.0, 0.5), total_iters=4, power=2.0), 7)
    want = [(1 - min(t, 4) / 4) ** 2 for t in range(7)]
    np.testing.assert_allclose(got, np.array([want, [w / 2 for w in want]]).T, rtol=1e-15)
    assert got[4:].tolist() == [[0.0, 0.0]] * 3


def test_warm_restarts_by_hand_and_fractional_epochs() -> None:
    sched = optim.CosineAnnealingWarmRestarts(_opt(1.0), T_0=2, T_mult=2, eta_min=0.1)
    got = _sequence(sched, 8)[:, 0]
    places = [(0, 2), (1, 2), (0, 4), (1, 4), (2, 4), (3, 4), (0, 8), (1, 8)]
    want = [0.1 + 0.9 * (1 + math.cos(math.pi * c / n)) / 2 for c, n in places]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    sched.step(2.5)  # (a fraction of an epoch: not deprecated, as torch's)
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (0.5, 4, 2)
    sched.step()  # (carries the fraction on, as torch: 3.5)
    assert (sched.T_cur, sched.T_i, sched.last_epoch) == (1.5, 4, 3)
    with pytest.raises(ValueError, match="CosineAnnealingWarmRestarts.step: epoch"):
        sched.step(-1.0)
    assert (sched.T_cur, sched.last_epoch) == (1.5, 3)


def test_warm_restarts_count_cycles_in_integers() -> None:
    # torch 2.13 takes the cycle from a floating logarithm: at epoch 121 with T_0=1, T_mult=3
    # (a restart) it rounds one cycle down and gives the previous cycle's end, eta_min
    sched = optim.CosineAnnealingWarmRestarts(_opt(1.0), T_0=1, T_mult=3)
    sched.step(121)
    assert (sched.T_cur, sched.T_i, sched.get_last_lr()) == (0, 243, [1.0])
    # resumed with last_epoch, the place in the cycle of that epoch (torch's counts from
    # last_epoch as if in the first cycle: T_cur 3 of 10 here)
    opt = _opt(1.0)
    opt.param_groups[0]["initial_lr"] = 1.0
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, last_epoch=12)
    assert (sched.T_cur, sched.T_i) == (8, 10)
    assert sched.get_last_lr() == [(1 + math.cos(math.pi * 8 / 10)) / 2]


def test_one_cycle_sets_the_groups_keys_and_momentum_as_torchs() -> None:
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.5)
    sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    g = opt.param_groups[0]
    assert (g["initial_lr"], g["max_lr"], g["min_lr"]) == (1 / 25, 1.0, 1 / 25 / 1e4)
    # (torch's cosine, end + (start - end) / 2 * (cos + 1), is start to rounding at step 0)
    assert g["lr"] == pytest.approx(1 / 25, rel=1e-14)
    assert (g["momentum"], g["max_momentum"], g["base_momentum"]) == (
        0.95,
        0.95,
        0.85,
    )
    for _ in range(10):  # (the last step is one past the schedule, as torch allows)
        sched.step()
    before = (sched.state_dict(), dict(g))
    with pytest.raises(ValueError, match="tried to step 11 times.*total_steps=10"):
        sched.step()
    assert sched.state_dict() == before[0] and g == before[1]
    adam = optim.Adam([nn.Parameter(np.zeros(1))], betas=(0.5, 0.9))
    optim.OneCycleLR(adam, 1.0, total_steps=10, max_momentum=0.8)
    assert adam.param_groups[0]["betas"] == (0.8, 0.9)


def test_one_cycle_phase_of_no_steps_gives_its_end() -> None:
    # pct_start * total_steps = 1: the warm-up is step 0 alone (torch divides by zero there)
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.1)
    assert sched.get_last_lr() == [1.0] and opt.param_groups[0]["momentum"] == 0.85
    sched.step()
    assert 0 < sched.get_last_lr()[0] < 1.0


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (lambda o: optim.PolynomialLR(o, total_iters=0), ValueError, "PolynomialLR: total_iters"),
        (lambda o: optim.PolynomialLR(o, power=-1.0), ValueError, "PolynomialLR: power"),
        (lambda o: optim.PolynomialLR(o, power="2"), TypeError, "PolynomialLR: power"),
        (
            lambda o: optim.CosineAnnealingWarmRestarts(o, 0),
            ValueError,
            "CosineAnnealingWarmRestarts: T_0 must be an int >= 1, got 0",
        ),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, 2.0), TypeError, "T_0 must be an int"),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, 2, 0), ValueError, "T_mult"),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, 2, 1.5), TypeError, "T_mult"),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, 2, eta_min="0"), TypeError, "eta_min"),
        (lambda o: optim.OneCycleLR(o, 1.0), ValueError, "OneCycleLR: give total_steps, or"),
        (lambda o: optim.OneCycleLR(o, 1.0, epochs=3), ValueError, "give total_steps"),
        (lambda o: optim.OneCycleLR(o, 1.0, 0), ValueError, "OneCycleLR: total_steps .* got 0"),
        (lambda o: optim.OneCycleLR(o, 1.0, 2.5), TypeError, "OneCycleLR: total_steps"),
        (
            lambda o: optim.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0),
            ValueError,
            "OneCycleLR: steps_per_epoch must be an int >= 1, got 0",
        ),
        (lambda o: optim.OneCycleLR(o, [1.0], 10), ValueError, "expected 2 values for max_lr"),
        (lambda o: optim.OneCycleLR(o, 1.0, 10, pct_start=1.5), ValueError, "pct_start"),
        (
            lambda o: optim.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"),
            ValueError,
            "anneal_strategy must be 'cos' or 'linear', got 'exp'",
        ),
        (lambda o: optim.OneCycleLR(o, 1.0, 10, div_factor=0), ValueError, "div_factor"),
        (lambda o: optim.OneCycleLR(o, 1.0, 10, three_phase="yes"), TypeError, "three_phase"),
        (lambda o: optim.OneCycleLR(o, 1.0, 10, base_momentum=[0.9]), ValueError, "base_mom"),
        (lambda o: optim.OneCycleLR(o, 1.0, 10, last_epoch=-3), ValueError, "last_epoch"),
    ],
)
def test_cycles_malformed_arguments_are_named_and_change_nothing(make, error, pattern) -> None:
    opt = _opt(0.5, 0.2)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(error, match=pattern):
        make(opt)
    assert [dict(g) for g in opt.param_groups] == before


def test_one_cycle_cycle_momentum_needs_momentum_or_betas() -> None:
    opt = optim.Adagrad([nn.Parameter(np.zeros(1))])
    with pytest.raises(ValueError, match="OneCycleLR: cycle_momentum needs an optimizer with"):
        optim.OneCycleLR(opt, 1.0, 10)
    assert "initial_lr" not in opt.param_groups[0]
    optim.OneCycleLR(opt, 1.0, 10, cycle_momentum=False)


def test_one_cycle_built_after_the_optimizers_load_resumes_its_momentum() -> None:
    # (the construction sets the momentum of step 0, as the rate: both are taken back by the
    # scheduler's load, so the next optimizer step uses the saved ones)
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    sched = optim.OneCycleLR(opt, 1.0, total_steps=10)
    for _ in range(4):
        sched.step()
    saved = (opt.state_dict(), sched.state_dict())
    other = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    other.load_state_dict(saved[0])
    resumed = optim.OneCycleLR(other, 1.0, total_steps=10)
    resumed.load_state_dict(saved[1])
    assert other.param_groups[0] == {
        **opt.param_groups[0],
        "params": other.param_groups[0]["params"],
    }
    sched.step()
    resumed.step()
    assert _momenta(other) == _momenta(opt) and resumed.get_last_lr() == sched.get_last_lr()


def test_one_cycle_load_checks_its_phases() -> None:
    sched = optim.OneCycleLR(_opt(0.5, 0.2), [1.0, 1.0], total_steps=10)
    before = sched.state_dict()
    with pytest.raises(TypeError, match="OneCycleLR.load_state_dict: _schedule_phases"):
        sched.load_state_dict({**before, "_schedule_phases": [{"end_step": 3}]})
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear'"):
        sched.load_state_dict({**before, "_anneal_func_type": "exp"})
    assert sched.state_dict() == before
