"""Adagrad, Adamax, NAdam, RAdam and Adadelta: trajectories against torch 2.13's (skipped without
torch), defaults and checks as torch's, state dict round trips, all-or-nothing steps, groups."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn, optim
from tensorgrad.serialization import load, save
from tests.optim.test_optim import _state_equal

CASES = [
    ("Adagrad", {}),
    (
        "Adagrad",
        {
            "lr": 0.1,
            "lr_decay": 0.05,
            "weight_decay": 0.1,
            "initial_accumulator_value": 0.3,
            "eps": 1e-8,
        },
    ),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {}),  # (rho_t > 5 from step 6: both branches)
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
]
SHAPES = [(), (3,), (4, 5), (2, 3, 4)]
NAMES = ["Adagrad", "Adamax", "NAdam", "RAdam", "Adadelta"]


def _problem(dtype, steps: int = 25, seed: int = 0) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return init, grads


def _train(name, kwargs, init, grads, groups=None):
    params = [tg.tensor(x.copy(), requires_grad=True) for x in init]
    opt = getattr(optim, name)(groups(params) if groups else params, **kwargs)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = tg.tensor(g)
        opt.step()
    return params, opt


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=lambda v: str(v))
def test_trajectories_are_torchs(name, kwargs, maximize, dtype) -> None:
    # 25 steps of four parameters (0-d to 3-d); torch's scalar state (NAdam's mu_product) is
    # in its default dtype, set to the parameters' here as tensorgrad keeps it in theirs
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    kwargs = {**kwargs, "maximize": maximize}
    init, grads = _problem(dtype)
    ours, opt = _train(name, kwargs, init, grads)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        theirs = [torch.tensor(x.copy(), requires_grad=True) for x in init]
        ref = getattr(torch.optim, name)(theirs, **kwargs)
        for gs in grads:
            for p, g in zip(theirs, gs):
                p.grad = torch.tensor(g)
            ref.step()
    finally:
        torch.set_default_dtype(old)
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 2e-5, "atol": 1e-6}
    for p, t in zip(ours, theirs):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, t.detach().numpy(), **tol)
        for key, value in ref.state[t].items():
            mine = opt.state[p][key]
            if key == "step":
                assert float(mine) == float(value)
            else:
                assert mine.dtype == dtype and mine.shape == tuple(value.shape), key
                np.testing.assert_allclose(mine, value.numpy(), **tol, err_msg=key)


def test_defaults_and_group_keys_are_torchs() -> None:
    p = [nn.Parameter(np.zeros(2))]
    want = {
        "Adagrad": dict(lr=1e-2, lr_decay=0, eps=1e-10, weight_decay=0, fused=None)
        | dict(initial_accumulator_value=0, foreach=None, maximize=False, differentiable=False),
        "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None)
        | dict(maximize=False, differentiable=False, capturable=False),
        "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
        | dict(momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False, foreach=None)
        | dict(capturable=False, differentiable=False),
        "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False)
        | dict(foreach=None, capturable=False, decoupled_weight_decay=False)
        | dict(differentiable=False),
        "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)
        | dict(capturable=False, foreach=None, differentiable=False),
    }
    for name, defaults in want.items():
        opt = getattr(optim, name)(p)
        assert opt.defaults == defaults, name
        assert opt.param_groups[0].keys() == defaults.keys() | {"params"}
    # torch's positional order: foreach follows the hyperparameters in Adagrad, Adamax and
    # Adadelta; decoupled_weight_decay is positional in NAdam and RAdam
    assert optim.Adagrad(p, 0.1, 0.0, 0.0, 0.0, 1e-10, True).defaults["foreach"] is True
    assert optim.Adadelta(p, 1.0, 0.9, 1e-6, 0.0, False).defaults["foreach"] is False
    assert optim.NAdam(p, 0.1, (0.9, 0.99), 1e-8, 0.1, 4e-3, True).defaults[
        "decoupled_weight_decay"
    ]
    assert optim.RAdam(p, 0.1, [0.9, 0.99], 1e-8, 0.1, True).defaults["betas"] == (0.9, 0.99)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "pattern"),
    [
        ("Adagrad", {"lr": -0.1}, ValueError, r"Adagrad: invalid lr -0.1 \(must be >= 0\)"),
        ("Adagrad", {"lr_decay": -1.0}, ValueError, "Adagrad: invalid lr_decay -1.0"),
        ("Adagrad", {"initial_accumulator_value": -1}, ValueError, "initial_accumulator_value"),
        ("Adagrad", {"eps": -1e-10}, ValueError, "Adagrad: invalid eps -1e-10"),
        ("Adagrad", {"lr_decay": "x"}, TypeError, "Adagrad: lr_decay must be a number, got 'x'"),
        ("Adagrad", {"fused": True, "foreach": True}, ValueError, "fused and foreach"),
        ("Adamax", {"betas": (0.9, 1.0)}, ValueError, r"Adamax: betas .* \[0, 1\), got \(0.9, 1"),
        ("Adamax", {"weight_decay": -1}, ValueError, "Adamax: invalid weight_decay -1"),
        ("NAdam", {"momentum_decay": -0.1}, ValueError, "NAdam: invalid momentum_decay -0.1"),
        ("NAdam", {"betas": (-0.1, 0.9)}, ValueError, "NAdam: betas must be two numbers"),
        ("NAdam", {"decoupled_weight_decay": 1}, TypeError, "NAdam: decoupled_weight_decay"),
        ("RAdam", {"betas": 0.9}, TypeError, "RAdam: betas must be two numbers, got 0.9"),
        ("RAdam", {"differentiable": True}, ValueError, "RAdam: differentiable=True"),
        ("Adadelta", {"rho": 1.5}, ValueError, r"Adadelta: rho must be in \[0, 1\], got 1.5"),
        ("Adadelta", {"rho": -0.5}, ValueError, "Adadelta: invalid rho -0.5"),
        ("Adadelta", {"lr": "1"}, TypeError, "Adadelta: lr must be a number, got '1'"),
    ],
)
def test_bad_hyperparameters_name_the_argument_and_value(name, kwargs, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        getattr(optim, name)([nn.Parameter(np.zeros(2))], **kwargs)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=lambda v: str(v))
def test_state_dict_round_trip_continues_identically(name, kwargs, tmp_path) -> None:
    init, grads = _problem(np.float32, steps=12)
    params, opt = _train(name, kwargs, init, grads[:7])
    save(opt.state_dict(), tmp_path / "opt.ckpt")
    copies = [tg.tensor(p.data.copy(), requires_grad=True) for p in params]
    other = getattr(optim, name)(copies, lr=123.0)
    other.load_state_dict(load(tmp_path / "opt.ckpt"))
    assert other.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _state_equal(other.state_dict(), opt.state_dict())
    for gs in grads[7:]:
        for ps, o in ((params, opt), (copies, other)):
            for p, g in zip(ps, gs):
                p.grad = tg.tensor(g)
            o.step()
    for p, q in zip(params, copies):
        assert p.dtype == q.dtype == np.float32 and p.data.tobytes() == q.data.tobytes()
    _state_equal(other.state_dict(), opt.state_dict())
    whole, _ = _train(name, kwargs, init, grads)
    for p, q in zip(params, whole):
        assert p.data.tobytes() == q.data.tobytes()


@pytest.mark.parametrize("name", NAMES)
def test_a_failed_step_changes_no_parameter_and_no_state(name) -> None:
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = getattr(optim, name)([a, b], lr=0.1)
    a.grad, b.grad = tg.tensor([1.0, -1.0]), tg.tensor([1.0, 2.0, 3.0])
    opt.step()
    before, data = opt.state_dict(), (a.data.copy(), b.data.copy())
    a.grad = tg.tensor([0.5, 0.5])
    b._grad = tg.tensor([1.0, 1.0])  # wrong shape, smuggled past the grad setter
    with pytest.raises(ValueError, match="shape"):
        opt.step()
    np.testing.assert_array_equal(a.data, data[0])
    np.testing.assert_array_equal(b.data, data[1])
    _state_equal(opt.state_dict(), before)
    # (a hyperparameter set badly by hand: refused by the step, before anything changed)
    b.grad = tg.tensor([1.0, 1.0, 1.0])
    opt.param_groups[0]["eps"] = -1.0
    with pytest.raises(ValueError, match=f"{name}: invalid eps -1.0"):
        opt.step()
    np.testing.assert_array_equal(a.data, data[0])
    opt.param_groups[0]["eps"] = before["param_groups"][0]["eps"]
    _state_equal(opt.state_dict(), before)


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [
        ("Adagrad", {"lr": 0.1}, {"lr": 0.5, "lr_decay": 0.1, "weight_decay": 0.1}),
        ("Adamax", {"lr": 0.01}, {"betas": (0.5, 0.9), "maximize": True}),
        ("NAdam", {"lr": 0.01}, {"momentum_decay": 0.1, "weight_decay": 0.1}),
        ("NAdam", {}, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("RAdam", {"lr": 0.01}, {"betas": (0.5, 0.5), "weight_decay": 0.1}),
        ("Adadelta", {"rho": 0.5}, {"lr": 0.1, "eps": 1e-3}),
    ],
)
def test_param_groups_with_different_settings_step_as_their_own(name, first, second) -> None:
    # each group steps as an optimizer of its settings alone (and as torch's groups)
    init, grads = _problem(np.float64, steps=8)
    both, _ = _train(
        name,
        {},
        init,
        grads,
        lambda ps: [{"params": ps[:2], **first}] + [{"params": ps[2:], **second}],
    )
    alone = _train(name, first, init, grads)[0][:2] + _train(name, second, init, grads)[0][2:]
    for p, q in zip(both, alone):
        assert p.data.tobytes() == q.data.tobytes()
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        theirs = [torch.tensor(x.copy(), requires_grad=True) for x in init]
        ref = getattr(torch.optim, name)(
            [{"params": theirs[:2], **first}, {"params": theirs[2:], **second}]
        )
        for gs in grads:
            for p, g in zip(theirs, gs):
                p.grad = torch.tensor(g)
            ref.step()
    finally:
        torch.set_default_dtype(old)
    for p, t in zip(both, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_adagrad_takes_a_groups_own_initial_accumulator_value() -> None:
    # (torch fills every group's sum from the constructor's value; tensorgrad from the
    # group's, which torch otherwise ignores)
    p, q = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    opt = optim.Adagrad([{"params": [p]}, {"params": [q], "initial_accumulator_value": 3.0}])
    p.grad = q.grad = tg.tensor([1.0])
    opt.step()
    assert opt.state[p]["sum"].tolist() == [1.0] and opt.state[q]["sum"].tolist() == [4.0]
    np.testing.assert_allclose(q.data, [-0.01 / (2.0 + 1e-10)], rtol=1e-15)


def test_nadam_loads_a_mu_product_of_one_number_only() -> None:
    p = nn.Parameter(np.ones(3))
    params, opt = _train("NAdam", {}, [np.ones(3)], [[np.ones(3)]] * 2)
    sd = opt.state_dict()
    assert sd["state"][0]["mu_product"].shape == ()
    sd["state"][0]["mu_product"] = np.ones(3)
    other = optim.NAdam([p])
    with pytest.raises(ValueError, match="state 'mu_product' of parameter 0 has shape"):
        other.load_state_dict(sd)
    assert not other.state
    del sd["state"][0]["mu_product"]
    with pytest.raises(ValueError, match="has no 'mu_product'"):
        other.load_state_dict(sd)


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32_with_numpy_scalar_hyperparameters(name) -> None:
    p = nn.Parameter(np.ones((2, 2), np.float32))
    opt = getattr(optim, name)([p], lr=np.float64(0.01), weight_decay=np.asarray(0.1))
    for _ in range(3):
        p.grad = tg.tensor(np.full((2, 2), 0.5, np.float32))
        opt.step()
    assert p.dtype == np.float32
    for key, value in opt.state[p].items():
        assert key == "step" or value.dtype == np.float32, key
