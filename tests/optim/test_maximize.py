"""``maximize=True`` (gradient ascent) for every optimizer, as torch: the gradient is
negated first, before weight decay, momentum and the moment estimates see it."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn, optim
from tests.optim.test_optim import _run

GRADS = [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.4]]
OPTIONS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("Adadelta", {"weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "kwargs"), OPTIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_maximize_is_the_negated_gradient_trajectory(name, kwargs, dtype):
    # negating first makes ascent on g exactly descent on -g, weight decay and state included
    up, up_opt = _run(name, {**kwargs, "maximize": True}, GRADS, dtype)
    down, down_opt = _run(name, kwargs, [[-x for x in g] for g in GRADS], dtype)
    np.testing.assert_array_equal(up.data, down.data)
    assert up.dtype == dtype
    for key, value in down_opt.state[down].items():
        np.testing.assert_array_equal(up_opt.state[up][key], value)
    plain, _ = _run(name, kwargs, GRADS, dtype)
    assert not np.array_equal(up.data, plain.data)


def test_maximize_comes_before_weight_decay_and_momentum():
    # one SGD step, lr 0.1, weight_decay 0.1: g = -grad + wd * p (decay still pulls to 0)
    p, _ = _run("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}, GRADS[:1])
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * (-0.5 + 0.1), -2.0 - 0.1 * (1.0 - 0.2)])
    np.testing.assert_allclose(p.data, [1.04, -2.08], rtol=1e-15)
    # momentum 0.9: buf = -g1, then 0.9 * buf - g2
    p, opt = _run("SGD", {"lr": 0.1, "momentum": 0.9, "maximize": True}, GRADS[:2])
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [-0.55, 0.6], rtol=1e-15)
    np.testing.assert_allclose(p.data, [1.105, -2.16], rtol=1e-15)


@pytest.mark.parametrize(
    ("name", "kwargs", "expected"),
    [
        # first Adam step: p + lr * g / (|g| + eps)
        ("Adam", {"lr": 0.01}, [1 + 0.01 * 0.5 / (0.5 + 1e-8), -2 - 0.01 / (1 + 1e-8)]),
        # AdamW: the decoupled decay p * (1 - lr * wd) is the same whichever the direction
        (
            "AdamW",
            {"lr": 0.01, "weight_decay": 0.1},
            [0.999 + 0.01 * 0.5 / (0.5 + 1e-8), -1.998 - 0.01 / (1 + 1e-8)],
        ),
        # first RMSprop step: square_avg = (1 - alpha) g^2, p + lr * g / (sqrt(...) + eps)
        (
            "RMSprop",
            {"lr": 0.01},
            [1 + 0.01 * 0.5 / (math.sqrt(0.01 * 0.25) + 1e-8), -2 - 0.01 / (0.1 + 1e-8)],
        ),
    ],
)
def test_first_ascent_step_by_hand(name, kwargs, expected):
    p, _ = _run(name, {**kwargs, "maximize": True}, GRADS[:1])
    np.testing.assert_allclose(p.data, expected, rtol=1e-14)


def test_gradient_ascent_finds_a_maximum():
    x = nn.Parameter(np.array([0.0]))
    opt = optim.SGD([x], lr=0.1, momentum=0.5, maximize=True)
    for _ in range(100):
        opt.zero_grad()
        (-((x - 3.0) ** 2)).sum().backward()
        opt.step()
    np.testing.assert_allclose(x.data, [3.0], atol=1e-8)


def test_maximize_per_group_in_state_dict_and_loaded_back():
    a, b = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    opt = optim.Adam([{"params": [a]}, {"params": [b], "maximize": False}], lr=0.1, maximize=True)
    assert [g["maximize"] for g in opt.param_groups] == [True, False]
    sd = opt.state_dict()
    assert [g["maximize"] for g in sd["param_groups"]] == [True, False]
    a2, b2 = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    opt2 = optim.Adam([{"params": [a2]}, {"params": [b2]}], lr=0.1)
    opt2.load_state_dict(sd)
    assert [g["maximize"] for g in opt2.param_groups] == [True, False]
    for p in (a2, b2):
        p.grad = tg.tensor([1.0])
    opt2.step()
    assert a2.data[0] > 0 > b2.data[0]
    assert "maximize: True" in repr(opt2)


def test_state_dict_saved_without_maximize_loads_as_minimizing(tmp_path):
    # a checkpoint from before maximize existed: the key is filled in with False, as torch's
    # __setstate__ does
    p, opt = _run("RMSprop", {"lr": 0.01, "maximize": True}, GRADS[:1])
    sd = opt.state_dict()
    del sd["param_groups"][0]["maximize"]
    tg.save(sd, tmp_path / "old.ckpt")
    opt.load_state_dict(tg.load(tmp_path / "old.ckpt"))
    assert opt.param_groups[0]["maximize"] is False
    before = p.data.copy()
    p.grad = tg.tensor([1.0, 1.0])
    opt.step()
    assert np.all(p.data < before)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
@pytest.mark.parametrize("bad", [1, "yes", None, np.array(True)])
def test_maximize_must_be_a_bool(name, bad):
    p = nn.Parameter(np.zeros(1))
    with pytest.raises(TypeError, match=f"{name}: maximize must be a bool"):
        getattr(optim, name)([p], lr=0.1, maximize=bad)
    getattr(optim, name)([p], lr=0.1, maximize=np.bool_(True))


def test_failed_load_of_a_bad_maximize_changes_nothing():
    p, opt = _run("SGD", {"lr": 0.1, "momentum": 0.9}, GRADS[:2])
    before = opt.state_dict()
    sd = opt.state_dict()
    sd["param_groups"][0]["maximize"] = "no"
    sd["param_groups"][0]["lr"] = 5.0
    with pytest.raises(TypeError, match="maximize"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["maximize"] is False
    np.testing.assert_array_equal(
        opt.state[p]["momentum_buffer"], before["state"][0]["momentum_buffer"]
    )


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("SGD", (0.1, 0.0, 0.0, 0.0, False, True)),
        ("Adam", (0.1, (0.9, 0.999), 1e-8, 0.0, False, True)),
        ("AdamW", (0.1, (0.9, 0.999), 1e-8, 0.0, False, True)),
        ("RMSprop", (0.1, 0.99, 1e-8, 0.0, 0.0, False, True)),
    ],
)
def test_maximize_is_keyword_only(name, args):
    # as torch (whose RMSprop has other arguments in that position)
    with pytest.raises(TypeError):
        getattr(optim, name)([nn.Parameter(np.zeros(1))], *args)
