"""Optimizers and schedulers against PyTorch's update formulas.

The expected parameters below were computed once with torch 2.13 (torch.optim, float64, the same
three gradients); torch is not a test dependency.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn, optim
from tensorgrad.serialization import load, save

GRADS = [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.4]]
TORCH = [
    ("SGD", {"lr": 0.1}, [0.96, -1.97]),
    (
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
        [0.8606010250099999, -1.7876775500199997],
    ),
    (
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
        [0.765319646, -1.664334292],
    ),
    ("Adam", {"lr": 0.01}, [0.9785260531835489, -1.9849209238476584]),
    (
        "Adam",
        {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-06, "weight_decay": 0.1},
        [0.9762524611682887, -1.9812734788352493],
    ),
    ("Adam", {"lr": 0.01, "amsgrad": True}, [0.9785260531835489, -1.9849209238476584]),
    ("AdamW", {"lr": 0.01}, [0.978228886123465, -1.984323411594224]),
    (
        "AdamW",
        {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True},
        [0.9696370274110353, -1.9670476153046306],
    ),
    ("RMSprop", {"lr": 0.01}, [0.9171210980353726, -1.9649460375747332]),
    (
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.8, "weight_decay": 0.1},
        [0.9100438564500751, -1.9338626837839212],
    ),
    (
        "RMSprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5},
        [0.8312757505298135, -1.9036057104527864],
    ),
]


def _run(name, kwargs, grads=GRADS, dtype=np.float64):
    p = nn.Parameter(np.array([1.0, -2.0], dtype=dtype))
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = tg.tensor(np.array(g, dtype=dtype))
        opt.step()
    return p, opt


@pytest.mark.parametrize(("name", "kwargs", "expected"), TORCH, ids=lambda v: str(v))
def test_matches_torch(name, kwargs, expected):
    p, _ = _run(name, kwargs)
    np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-14)


def test_defaults_are_torchs():
    p = [nn.Parameter(np.zeros(1))]
    assert optim.SGD(p).defaults == {
        "lr": 1e-3,
        "momentum": 0,
        "dampening": 0,
        "weight_decay": 0,
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": None,
    }
    adam = optim.Adam(p).defaults
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"]) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
    )
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    rms = optim.RMSprop(p).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"], rms["momentum"]) == (1e-2, 0.99, 1e-8, 0)
    assert not any(o(p).defaults["maximize"] for o in (optim.Adam, optim.AdamW, optim.RMSprop))


def test_float32_stays_float32_and_updates_in_place():
    p, opt = _run("Adam", {"lr": 0.01}, dtype=np.float32)
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))
    data = p.data
    version = p.version
    p.grad = tg.tensor(np.ones(2, np.float32))
    opt.step()
    assert p.data is data and p.version == version + 1


def test_step_records_nothing_and_skips_params_without_grad():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([a, b], lr=0.5)
    a.grad = tg.tensor([1.0, 2.0])
    opt.step()
    assert a.is_leaf and a.grad_fn is None
    np.testing.assert_array_equal(a.data, [0.5, 0.0])
    np.testing.assert_array_equal(b.data, [1.0, 1.0])


def test_failed_step_changes_nothing():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tg.tensor([1.0, 1.0])
    b.grad = tg.tensor([1.0, 1.0, 1.0])
    opt.step()
    before = (
        a.data.copy(),
        b.data.copy(),
        {k: v.copy() for k, v in opt.state[a].items() if isinstance(v, np.ndarray)},
    )
    a.grad = tg.tensor([1.0, 1.0])
    b._grad = tg.tensor([1.0, 1.0])  # wrong shape, smuggled past the grad setter
    with pytest.raises(ValueError, match="shape"):
        opt.step()
    np.testing.assert_array_equal(a.data, before[0])
    np.testing.assert_array_equal(b.data, before[1])
    assert opt.state[a]["step"] == 1
    np.testing.assert_array_equal(opt.state[a]["exp_avg"], before[2]["exp_avg"])


@pytest.mark.parametrize("at", [1, 2])  # (just after the first or the last write)
def test_an_interrupt_during_the_writes_of_a_step_still_writes_everything(monkeypatch, at):
    # (a notebook's interrupt between two parameters' writes left some updated and the state
    # unchanged: Adam's step count and moments then disagreed with the parameters)
    from tensorgrad.nn import _inplace

    real, calls = _inplace.assign, []

    def flaky(t, v):
        calls.append(1)
        real(t, v)
        if len(calls) == at:
            raise KeyboardInterrupt

    def run(interrupt):
        a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
        opt = optim.Adam([a, b], lr=0.1)
        for k in range(2):
            a.grad, b.grad = tg.tensor([1.0, -1.0]), tg.tensor([0.5, 1.0, 2.0])
            if interrupt and k:
                monkeypatch.setattr(_inplace, "assign", flaky)
                with pytest.raises(KeyboardInterrupt):
                    opt.step()
                monkeypatch.setattr(_inplace, "assign", real)
            else:
                opt.step()
        return a.data.copy(), b.data.copy(), opt.state[a]["step"], opt.state[b]["exp_avg"]

    want, got = run(False), run(True)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


def test_saved_tensor_modified_by_step_is_detected():
    w = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    w.grad = tg.tensor([1.0, 1.0])
    opt.step()
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (optim.SGD, {"lr": -1.0}),
        (optim.SGD, {"lr": 0.1, "nesterov": True}),
        (optim.Adam, {"betas": (0.9, 1.0)}),
        (optim.Adam, {"eps": -1e-8}),
        (optim.RMSprop, {"alpha": 1.5}),
    ],
)
def test_bad_hyperparameters(cls, kwargs):
    with pytest.raises(ValueError):
        cls([nn.Parameter(np.zeros(1))], **kwargs)


def test_nesterov_is_checked_in_the_constructor_only_as_torch():
    # (every step checked it: a group whose momentum a schedule set to 0, or a group added
    # with nesterov and no momentum, raised; torch steps them as plain SGD)
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    opt.add_param_group({"params": [q], "nesterov": True, "momentum": 0.0})
    p.grad = q.grad = tg.ones(2)
    opt.step()
    opt.param_groups[0]["momentum"] = 0.0
    opt.step()
    np.testing.assert_allclose(p.data, [-0.29, -0.29], rtol=1e-15)  # torch's values
    np.testing.assert_allclose(q.data, [-0.2, -0.2], rtol=1e-15)


def test_bad_params():
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([x * 2], lr=0.1)
    p = nn.Parameter(np.zeros(1))
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)


def test_param_groups_and_zero_grad():
    a, b = nn.Parameter(np.ones(1)), nn.Parameter(np.ones(1))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad, b.grad = tg.tensor([1.0]), tg.tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0]], [0.9, 0.0])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_state_dict_round_trip_continues_identically(tmp_path):
    p1, opt1 = _run("Adam", {"lr": 0.01}, GRADS[:2])
    save(opt1.state_dict(), tmp_path / "opt.ckpt")
    p2 = nn.Parameter(p1.data.copy())
    opt2 = optim.Adam([p2], lr=0.5)
    opt2.load_state_dict(load(tmp_path / "opt.ckpt"))
    assert opt2.param_groups[0]["lr"] == 0.01
    for p, opt in ((p1, opt1), (p2, opt2)):
        p.grad = tg.tensor(GRADS[2])
        opt.step()
    np.testing.assert_array_equal(p1.data, p2.data)
    np.testing.assert_allclose(p1.data, TORCH[3][2], rtol=1e-12)


def test_load_state_dict_checks_before_changing():
    p, opt = _run("SGD", {"lr": 0.1, "momentum": 0.9})
    sd = opt.state_dict()
    sd["state"][0]["momentum_buffer"] = np.zeros(5)
    sd["param_groups"][0]["lr"] = 123.0
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1
    with pytest.raises(ValueError, match="groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})


def _without(group: dict, key: str) -> dict:
    return {k: v for k, v in group.items() if k != key}


@pytest.mark.parametrize(
    ("breaks", "error", "pattern"),
    [
        (lambda sd: {**sd, "param_groups": [1]}, TypeError, "'param_groups' must be a list"),
        (lambda sd: {**sd, "state": []}, TypeError, "'state' must be a dict, got list"),
        (
            lambda sd: {**sd, "param_groups": [_without(sd["param_groups"][0], "betas")]},
            ValueError,
            "a parameter group has no betas",
        ),
        (
            lambda sd: {**sd, "param_groups": [_without(sd["param_groups"][0], "lr")]},
            ValueError,
            "a parameter group has no lr",
        ),
        (
            lambda sd: {**sd, "state": {0: {**sd["state"][0], "exp_avg": "x"}}},
            TypeError,
            "state 'exp_avg' of parameter 0 must be an array, got str",
        ),
        (
            lambda sd: {**sd, "state": {0: {**sd["state"][0], "exp_avg": [1.0, 2.0]}}},
            TypeError,
            "state 'exp_avg' of parameter 0 must be an array, got list",
        ),
    ],
)
def test_load_state_dict_refuses_malformed_groups_and_state(breaks, error, pattern):
    # (these escaped as AttributeError or KeyError, or loaded and broke every later step)
    p, opt = _run("Adam", {"lr": 0.1})
    before = opt.state_dict()
    with pytest.raises(error, match=f"Adam.load_state_dict: {pattern}"):
        opt.load_state_dict(breaks(opt.state_dict()))
    _state_equal(opt.state_dict(), before)


def test_load_state_dict_takes_a_momentum_buffer_of_none_as_no_buffer_yet():
    # (torch's SGD saves None until its first step with momentum)
    p, opt = _run("SGD", {"lr": 0.1, "momentum": 0.9}, grads=[])
    opt.load_state_dict({**opt.state_dict(), "state": {0: {"momentum_buffer": None}}})
    p.grad = tg.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [1.0, 1.0])


def test_step_lr_and_cosine_annealing():
    p = nn.Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=0.1)
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(7):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])

    opt = optim.SGD([p], lr=0.1)
    sched = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.02)
    got = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.step()
        got.append(opt.param_groups[0]["lr"])
    want = [0.02 + 0.08 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(got, want)
    # NumPy integers, as the other schedulers (and torch) take them
    assert optim.StepLR(opt, np.int64(3)).step_size == 3
    assert optim.CosineAnnealingLR(opt, np.int64(4)).T_max == 4
    with pytest.raises(ValueError, match="step_size must be a number > 0"):
        optim.StepLR(opt, 0)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": np.float64(0.1), "momentum": np.float64(0.9)}),
        ("Adam", {"lr": np.array(0.01), "betas": (np.float64(0.9), np.float64(0.99))}),
        ("AdamW", {"lr": tg.tensor(0.01)}),
        ("RMSprop", {"alpha": np.float64(0.9), "momentum": np.float64(0.5)}),
    ],
)
def test_numpy_scalar_hyperparameters_keep_float32_state(name, kwargs):
    """A scheduler's lambda may return np.cos(...): a NumPy (or 0-d array, or Tensor)
    hyperparameter must not make a float32 parameter's update or state float64 (NEP 50)."""
    p, opt = _run(name, kwargs, dtype=np.float32)
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if isinstance(v, np.ndarray))


def test_training_a_tiny_regression_converges():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    model = nn.Linear(3, 1, dtype=np.float64, rng=0)
    opt = optim.Adam(model.parameters(), lr=0.1)
    for _ in range(200):
        loss = nn.functional.mse_loss(model(X)[:, 0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-6
    np.testing.assert_allclose(model.weight.data[0], [1.0, -2.0, 0.5], atol=1e-3)


def test_hyperparameters_must_be_numbers() -> None:
    p = tg.nn.Parameter(tg.zeros(2))
    for bad in ("0.1", True, None, 1j, np.complex128(0.1), np.asarray(0.1 + 0j)):
        # (a complex NumPy scalar was taken, its imaginary part dropped with a ComplexWarning)
        with pytest.raises(TypeError, match="SGD: lr must be a number"):
            tg.optim.SGD([p], lr=bad)
    tg.optim.SGD([p], lr=np.float32(0.1))  # NumPy scalars and 0-d arrays are numbers
    tg.optim.SGD([p], lr=np.asarray(0.1))
    # (these said "could not convert string to float" without naming the argument)
    with pytest.raises(TypeError, match=r"Adam: betas must be two numbers, got \(0.9, 'x'\)"):
        tg.optim.Adam([p], betas=(0.9, "x"))
    with pytest.raises(TypeError, match="RMSprop: alpha must be a number, got 'x'"):
        tg.optim.RMSprop([p], alpha="x")


@pytest.mark.parametrize(
    ("step", "error"),
    [(-1, ValueError), (1.5, ValueError), (np.nan, ValueError), (np.array(2.5), ValueError)]
    + [("3", TypeError), ([1], TypeError), (None, TypeError), (True, TypeError)]
    + [(np.zeros(2), TypeError)],
    ids=lambda v: v.__name__ if isinstance(v, type) else repr(v),
)
def test_load_state_dict_refuses_a_malformed_step(step, error):
    p, opt = _run("Adam", {"lr": 0.1})
    before = opt.state_dict()
    sd = opt.state_dict()
    sd["state"][0]["step"] = step
    sd["param_groups"][0]["lr"] = 123.0
    with pytest.raises(error, match="Adam.load_state_dict: state 'step' of parameter 0"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1
    assert opt.state[p]["step"] == before["state"][0]["step"]
    np.testing.assert_array_equal(opt.state[p]["exp_avg"], before["state"][0]["exp_avg"])


def test_load_state_dict_accepts_integral_steps_and_keeps_their_type():
    # torch keeps a loaded step as saved (its tensor is not cast): a 0-d array stays one
    p, opt = _run("Adam", {"lr": 0.1})
    for step in (0, 2.0, np.int64(4), np.array(5), np.array(6.0, np.float32), tg.tensor(7.0)):
        sd = opt.state_dict()
        sd["state"][0]["step"] = step
        opt.load_state_dict(sd)
        want = step.data if isinstance(step, tg.Tensor) else step
        got = opt.state[p]["step"]
        assert type(got) is type(want) and got == want
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and got.shape == () and got is not want


def _state_equal(a, b):
    """Two optimizer state dicts are equal in types, dtypes, shapes and values."""
    assert a["param_groups"] == b["param_groups"] and a["state"].keys() == b["state"].keys()
    for i, entry in a["state"].items():
        assert entry.keys() == b["state"][i].keys()
        for k, v in entry.items():
            w = b["state"][i][k]
            assert type(v) is type(w), (k, type(v), type(w))
            if isinstance(v, np.ndarray):
                assert (v.dtype, v.shape) == (w.dtype, w.shape)
                np.testing.assert_array_equal(v, w)
            else:
                assert v == w


@pytest.mark.parametrize("name", ["Adam", "RMSprop"])
def test_zero_d_state_round_trips_exactly(name, tmp_path):
    # a 0-d array (a step saved as torch's float32 tensor, a scalar buffer) came back as a
    # Python number; it stays a 0-d array: of its own dtype for 'step', as torch, else of the
    # parameter's dtype (as every other state tensor, and as torch casts them)
    p, opt = _run(name, {"lr": 0.01}, GRADS[:2], dtype=np.float32)
    sd = opt.state_dict()
    sd["state"][0]["step"] = np.array(2.0, np.float32)
    sd["state"][0]["scalar"] = np.array(0.5, np.float32)
    save(sd, tmp_path / "opt.ckpt")
    opt.load_state_dict(load(tmp_path / "opt.ckpt"))
    _state_equal(opt.state_dict(), sd)
    _state_equal(opt.state_dict(), sd)  # (state_dict copies: the first call changed nothing)
    sd["state"][0]["scalar"] = np.array(0.5)  # float64: cast to the parameter's float32
    opt.load_state_dict(sd)
    scalar = opt.state[p]["scalar"]
    assert type(scalar) is np.ndarray and scalar.shape == () and scalar.dtype == np.float32
    # the step goes on counting in its type, and the update is the one of an int step
    q, ref = _run(name, {"lr": 0.01}, GRADS[:2], dtype=np.float32)
    for par, o in ((p, opt), (q, ref)):
        par.grad = tg.tensor(np.array(GRADS[2], np.float32))
        o.step()
    np.testing.assert_array_equal(p.data, q.data)
    step = opt.state[p]["step"]
    assert type(step) is np.ndarray and step.dtype == np.float32 and step == 3.0
    assert ref.state[q]["step"] == 3 and type(ref.state[q]["step"]) is int


def test_failed_load_of_zero_d_state_changes_nothing():
    p, opt = _run("Adam", {"lr": 0.1})
    sd = opt.state_dict()
    sd["state"][0]["step"] = np.array(2.0, np.float32)
    sd["state"][0]["scalar"] = np.array(0.25)
    opt.load_state_dict(sd)
    before = opt.state_dict()
    for key, bad, error in (
        ("exp_avg", np.zeros(3), ValueError),  # wrong shape
        ("scalar", np.array("x"), TypeError),  # not numbers
        ("step", np.array(2.5), ValueError),  # not integral
    ):
        broken = opt.state_dict()
        broken["state"][0][key] = bad
        broken["param_groups"][0]["lr"] = 123.0
        with pytest.raises(error, match=f"Adam.load_state_dict: state '?{key}'? of parameter 0"):
            opt.load_state_dict(broken)
        _state_equal(opt.state_dict(), before)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("Adam", {"amsgrad": True}), ("RMSprop", {"momentum": 0.5, "centered": True})]
    + [("SGD", {"momentum": 0.9})],
)
def test_state_of_a_zero_d_parameter_is_zero_d_arrays(name, kwargs):
    # NumPy arithmetic on 0-d arrays gives scalars; the state keeps 0-d arrays, as torch
    # keeps 0-d tensors, so that state_dict -> load_state_dict -> state_dict is exact
    p = nn.Parameter(np.array(1.0, np.float32))
    opt = getattr(optim, name)([p], lr=0.1, **kwargs)
    for g in (0.5, -0.25):
        p.grad = tg.tensor(np.array(g, np.float32))
        opt.step()
    for k, v in opt.state[p].items():
        if k != "step":
            assert type(v) is np.ndarray and v.shape == () and v.dtype == np.float32, k
    sd = opt.state_dict()
    opt.load_state_dict(sd)
    _state_equal(opt.state_dict(), sd)


@pytest.mark.parametrize(
    ("name", "kwargs", "key"),
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}, "momentum_buffer"),
        ("Adam", {"lr": 0.1}, "exp_avg"),
        ("RMSprop", {"lr": 0.1, "centered": True}, "square_avg"),
    ],
)
def test_a_load_refuses_a_zero_d_buffer_or_a_missing_entry(name, kwargs, key):
    # (a 0-d buffer was spread over the whole parameter; a missing 'step' or moment restarted
    # from zeros: torch raises at the next step in both cases)
    p, opt = _run(name, kwargs)
    before = opt.state_dict()
    sd = opt.state_dict()
    sd["state"][0][key] = np.array(7.0)
    with pytest.raises(ValueError, match=f"state '{key}' of parameter 0 has shape"):
        opt.load_state_dict(sd)
    if name != "SGD":
        sd = opt.state_dict()
        del sd["state"][0][key]
        with pytest.raises(ValueError, match=f"state of parameter 0 has no '{key}'"):
            opt.load_state_dict(sd)
        sd = opt.state_dict()  # (None was skipped as SGD's empty momentum_buffer: zeros)
        sd["state"][0][key] = None
        with pytest.raises(ValueError, match=f"state '{key}' of parameter 0 is None"):
            opt.load_state_dict(sd)
    _state_equal(opt.state_dict(), before)


def test_a_group_of_a_set_of_parameters_is_refused():
    # (as torch: a set's order follows hashing, so would each parameter's state-dict index)
    a, b = nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))
    with pytest.raises(TypeError, match="ordered collection"):
        optim.SGD([{"params": {a, b}}], lr=0.1)
    opt = optim.SGD([a], lr=0.1)
    with pytest.raises(TypeError, match="ordered collection"):
        opt.add_param_group({"params": {b}})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": frozenset({b})})  # (torch checks for a set only)
    assert len(opt.param_groups) == 2


@pytest.mark.parametrize(
    ("name", "kwargs", "switch"),
    [
        ("Adam", {"lr": 0.1}, {"amsgrad": True}),
        ("RMSprop", {"lr": 0.1}, {"centered": True}),
        ("RMSprop", {"lr": 0.1}, {"momentum": 0.9}),
        ("SGD", {"lr": 0.1}, {"momentum": 0.9}),
    ],
)
def test_a_state_saved_after_switching_an_option_on_loads_and_resumes_alike(name, kwargs, switch):
    # (the load refused it, missing the option's buffer, which the step starts from zeros)
    p, opt = _run(name, kwargs)
    opt.param_groups[0].update(switch)
    sd = opt.state_dict()
    q = tg.tensor(p.data.copy(), requires_grad=True)
    other = getattr(tg.optim, name)([q], **kwargs)
    other.load_state_dict(sd)
    for _ in range(2):
        p.grad, q.grad = tg.ones(p.shape), tg.ones(q.shape)
        opt.step()
        other.step()
    np.testing.assert_array_equal(q.data, p.data)
    _state_equal(other.state_dict(), opt.state_dict())


def test_a_load_fills_in_hyperparameters_older_state_dicts_lack():
    # (as torch's __setstate__: nesterov, amsgrad, centered and momentum default)
    for name, lacking in [("SGD", "nesterov"), ("Adam", "amsgrad"), ("RMSprop", "centered")]:
        p, opt = _run(name, {"lr": 0.1})
        sd = opt.state_dict()
        del sd["param_groups"][0][lacking]
        opt.load_state_dict(sd)
        assert opt.param_groups[0][lacking] is False


def test_a_loaded_group_is_a_copy():
    p, opt = _run("Adam", {"lr": 0.1})
    sd = opt.state_dict()
    sd["param_groups"][0]["betas"] = [0.9, 0.99]
    opt.load_state_dict(sd)
    sd["param_groups"][0]["betas"][0] = 0.0
    assert opt.param_groups[0]["betas"] == [0.9, 0.99]


def test_state_reads_as_empty_and_sgd_without_momentum_keeps_none():
    # (as torch: opt.state[p] is {} before any step; KeyError before)
    p, opt = _run("SGD", {"lr": 0.1}, grads=[])
    assert opt.state[p] == {}
    p, opt = _run("SGD", {"lr": 0.1})
    assert opt.state_dict()["state"] == {}  # ({0: {}} before)
    with pytest.raises(TypeError, match="betas must be two numbers"):
        optim.Adam([p], betas=0.9)  # ('float' object is not iterable before)


def test_torchs_implementation_flags_and_named_parameters():
    # torch code passes these; the groups keep the same keys as torch 2.13's
    torch_keys = {
        "SGD": "dampening differentiable foreach fused lr maximize momentum nesterov weight_decay",
        "Adam": "amsgrad betas capturable decoupled_weight_decay differentiable eps foreach "
        "fused lr maximize weight_decay",
        "RMSprop": "alpha capturable centered differentiable eps foreach lr maximize momentum "
        "weight_decay",
    }
    p = nn.Parameter(np.zeros(2))
    for name, keys in torch_keys.items():
        opt = getattr(optim, name)([p], foreach=False)
        assert sorted(k for k in opt.param_groups[0] if k != "params") == keys.split()
    optim.Adam([p], fused=True, capturable=True)
    with pytest.raises(ValueError, match="differentiable=True is not supported"):
        optim.SGD([p], differentiable=True)
    with pytest.raises(TypeError, match="foreach must be a bool"):
        optim.SGD([p], foreach="yes")
    # Adam(decoupled_weight_decay=True) is AdamW, as torch's
    a, ref = nn.Parameter(np.array([1.0, -2.0])), nn.Parameter(np.array([1.0, -2.0]))
    opts = [optim.Adam([a], lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)]
    opts.append(optim.AdamW([ref], lr=0.1, weight_decay=0.1))
    for g in GRADS:
        for q, o in zip((a, ref), opts):
            q.grad = tg.tensor(np.array(g))
            o.step()
    np.testing.assert_array_equal(a.data, ref.data)
    assert opts[1].param_groups[0]["decoupled_weight_decay"] is True
    # (name, parameter) pairs, as torch 2.13 takes named_parameters()
    model = nn.Linear(2, 1, rng=0)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="all parameter groups must be named, or none"):
        opt.add_param_group({"params": [nn.Parameter(np.zeros(1))]})


def test_state_dicts_without_the_flags_still_load():
    # (a checkpoint from before the flags existed, or a hand-written one)
    for name in ("SGD", "Adam", "AdamW", "RMSprop"):
        p, opt = _run(name, {"lr": 0.1})
        sd = opt.state_dict()
        for k in ("foreach", "fused", "capturable", "differentiable", "decoupled_weight_decay"):
            sd["param_groups"][0].pop(k, None)
        opt.load_state_dict(sd)
        assert opt.param_groups[0]["foreach"] is None
    assert opt.param_groups[0]["differentiable"] is False


def test_adam_first_moment_with_beta1_0_is_the_gradient_exactly():
    # (m + (1 - beta1) * (g - m) lost g after a huge gradient; torch's lerp takes it from g)
    p = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.Adam([p], lr=0.0, betas=(0.0, 0.999))
    for g in (1e20, 1.0):
        p.grad = tg.tensor([g])
        opt.step()
    assert opt.state[p]["exp_avg"].tolist() == [1.0]


def test_rmsprop_square_average_with_alpha_1_survives_an_overflowing_square():
    # ((1 - alpha) * (g * g) was 0 * inf = NaN; torch's addcmul order gives 0)
    p = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.RMSprop([p], lr=1e-3, alpha=1.0)
    p.grad = tg.tensor([1e200])
    with np.errstate(over="ignore"):
        opt.step()
    assert opt.state[p]["square_avg"].tolist() == [0.0] and np.isfinite(p.data).all()


def test_a_step_takes_a_learning_rate_a_schedule_set_below_0():
    # (every step checked lr >= 0, so a cosine schedule or a rounding residue below 0 raised;
    # torch checks only in the constructor and add_param_group)
    p = tg.tensor([1.0], requires_grad=True)
    opt = tg.optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = -1e-17
    p.grad = tg.tensor([1.0])
    opt.step()
    opt.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="invalid lr"):
        tg.optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=-1e-17)
    opt.param_groups[0]["lr"] = float("nan")
    with pytest.raises(ValueError, match="invalid lr"):
        opt.step()


@pytest.mark.parametrize(
    "make, key, toggles",
    [
        (lambda ps: tg.optim.RMSprop(ps, lr=0.1, momentum=0.9), "momentum", (0.9, 0.0, 0.9)),
        (lambda ps: tg.optim.RMSprop(ps, lr=0.1, centered=True), "centered", (True, False, True)),
        (lambda ps: tg.optim.Adam(ps, lr=0.1, amsgrad=True), "amsgrad", (True, False, True)),
    ],
)
def test_a_setting_turned_off_and_on_again_carries_on_from_its_state(make, key, toggles):
    # torch keeps a state entry while its setting is off (its first step makes them all)
    p = tg.tensor(np.zeros(1), requires_grad=True)
    opt = make([p])
    entry = {"momentum": "momentum_buffer", "centered": "grad_avg", "amsgrad": "max_exp_avg_sq"}
    for value, g in zip(toggles, (10.0, 0.1, 0.1)):
        opt.param_groups[0][key] = value
        p.grad = tg.tensor(np.array([g]))
        opt.step()
        assert entry[key] in opt.state[p] and entry[key] in opt.state_dict()["state"][0]
    # (torch 2.13, the same steps)
    want = {"momentum": -1.920149836193216, "amsgrad": -0.22070459103446086}
    if key in want:
        np.testing.assert_allclose(p.item(), want[key], rtol=1e-12)


def test_load_state_dict_names_a_group_whose_params_are_not_a_list():
    p = nn.Parameter(tg.ones(2))
    opt = optim.SGD([p], lr=0.1)
    state = opt.state_dict()
    state["param_groups"][0]["params"] = 0
    with pytest.raises(TypeError, match="a group's 'params' must be a list of parameter indices"):
        opt.load_state_dict(state)


def test_params_that_are_not_iterable_are_named() -> None:
    # (was Python's "'NoneType' object is not iterable")
    with pytest.raises(TypeError, match="SGD: params must be an iterable.*NoneType"):
        optim.SGD(None, lr=0.1)
    with pytest.raises(TypeError, match="Adam: params must be an iterable.*int"):
        optim.Adam([{"params": 3}])


def test_sgd_dampening_that_is_not_a_number_is_named() -> None:
    # (was blamed on Nesterov: "requires a momentum > 0 and zero dampening")
    p = nn.Parameter(np.ones(3))
    with pytest.raises(TypeError, match="SGD: dampening must be a number, got 'x'"):
        optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, dampening="x")


def test_add_param_group_takes_torchs_keyword() -> None:
    opt = tg.optim.SGD([tg.ones(2, requires_grad=True)], lr=0.1)
    opt.add_param_group(param_group={"params": [tg.ones(2, requires_grad=True)]})
    assert len(opt.param_groups) == 2


@pytest.mark.parametrize(
    "data", [np.array([1 + 5j, 2 - 3j]), np.array([1, 2]), np.array(["1", "2"], object)]
)
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_a_step_refuses_a_gradient_that_is_not_floating(name, data) -> None:
    # (a .data replaced by hand: cast, a complex one lost its imaginary part and strings were
    # read as numbers; torch raises "expected dtype float")
    p = nn.Parameter(np.ones(2, np.float32))
    opt = getattr(optim, name)([p], lr=0.1)
    p.grad = tg.tensor(np.zeros(2, np.float32))
    p.grad.data = data
    with pytest.raises(TypeError, match=f"{name}.step: gradient of dtype"):
        opt.step()
    assert p.data.tolist() == [1.0, 1.0] and not opt.state


def test_load_state_dict_refuses_an_unhashable_parameter_index() -> None:
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["params"] = [[0]]
    with pytest.raises(TypeError, match="SGD.load_state_dict: a group's 'params' must be a list"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["params"] == [p]


def test_rmsprop_divides_after_scaling_as_torch() -> None:
    # (g / avg overflowed float32 where torch's addcdiv, (-lr * g) / avg, stays finite)
    p = nn.Parameter(np.zeros(1, np.float32))
    opt = optim.RMSprop([p], lr=1e-3, alpha=1.0)
    p.grad = tg.tensor(np.array([1e31], np.float32))
    with np.errstate(over="raise"):
        opt.step()
    np.testing.assert_allclose(p.data, [-1e36], rtol=1e-6)


@pytest.mark.parametrize(("key", "value"), [("differentiable", True), ("foreach", "x")])
def test_load_state_dict_refuses_switches_the_constructor_refuses(key, value) -> None:
    p = nn.Parameter(np.ones(2))
    opt = optim.Adam([p])
    sd = opt.state_dict()
    sd["param_groups"][0][key] = value
    with pytest.raises((TypeError, ValueError), match=f"Adam: {key}"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0][key] == {"differentiable": False, "foreach": None}[key]


def test_a_step_refuses_gradient_data_that_is_not_an_array() -> None:
    # (AttributeError: 'list' object has no attribute 'shape')
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    p.grad = tg.tensor(np.zeros(2))
    p.grad.data = [1.0, 2.0]
    with pytest.raises(TypeError, match="SGD.step: a gradient's data must be an ndarray"):
        opt.step()
    assert p.data.tolist() == [1.0, 1.0]


def test_group_switches_are_checked_as_the_keywords_and_none_is_taken() -> None:
    # (a group dict's differentiable=True was taken, then its own state dict refused on load;
    # torch builds with capturable=None, whose state dicts were refused)
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="SGD: differentiable=True is not supported"):
        optim.SGD([{"params": [p], "differentiable": True}], lr=0.1)
    opt = optim.Adam([p], capturable=None, differentiable=None)
    with pytest.raises(TypeError, match="Adam: foreach must be a bool"):
        opt.add_param_group({"params": [q], "foreach": "x"})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": [q], "capturable": None})
    opt.load_state_dict(opt.state_dict())


def test_a_step_takes_gradient_data_that_is_a_numpy_scalar() -> None:
    # (a 0-d gradient's arithmetic set by hand gives np.float64: refused by 6133614)
    p = nn.Parameter(np.array(0.5))
    (p * p).backward()
    p.grad.data = p.grad.data * 2
    optim.SGD([p], lr=0.1).step()
    assert p.data.item() == pytest.approx(0.3)


def test_a_group_may_hold_fused_and_foreach_and_switches_its_optimizer_has_not() -> None:
    # (4c03536 checked groups as constructor keywords: both True was refused, and SGD's
    # capturable or RMSprop's fused type-checked; torch takes them in groups)
    p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1, fused=True)
    opt.add_param_group({"params": [q], "foreach": True})
    q.grad = tg.tensor(np.ones(2))
    opt.step()
    assert q.data.tolist() == [0.9, 0.9]
    opt.load_state_dict(opt.state_dict())
    optim.SGD([{"params": [nn.Parameter(np.ones(1))], "capturable": "x"}], lr=0.1)
    optim.RMSprop([{"params": [nn.Parameter(np.ones(1))], "fused": 1}], lr=0.1)
    with pytest.raises(ValueError, match="SGD: fused and foreach cannot both be True"):
        optim.SGD([p], lr=0.1, fused=True, foreach=True)


def test_loading_a_numpy_scalar_or_array_as_a_state_dict_is_named() -> None:
    # (NumPy's bare IndexError from indexing it with 'param_groups')
    opt = optim.SGD([tg.zeros(2, requires_grad=True)], lr=0.1)
    for bad in (np.int64(1), np.array([1, 2])):
        with pytest.raises(ValueError, match="SGD.load_state_dict: expected a dict with 'state'"):
            opt.load_state_dict(bad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("make", "options"),
    [
        (tg.optim.Adam, {"lr": 0.01}),
        (tg.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
        (tg.optim.AdamW, {"lr": 0.01, "betas": (0.0, 0.99)}),
        (tg.optim.SGD, {"lr": 0.1}),
        (tg.optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
        (tg.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
        (tg.optim.RMSprop, {"lr": 0.01}),
        (tg.optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1}),
    ],
)
def test_in_place_update_steps_are_the_formulas_bits(make, options, dtype, monkeypatch) -> None:
    # (a parameter of 4,096 entries or more steps into arrays the update made: the same bits,
    # dtypes and state as the formula's fresh arrays, which smaller parameters take)
    import tensorgrad.optim.algorithms as algorithms

    def run(in_place: bool) -> tuple:
        monkeypatch.setattr(algorithms, "_in_place", _in_place if in_place else _never)
        rng = np.random.default_rng(0)
        p = tg.tensor(rng.standard_normal((64, 64)).astype(dtype), requires_grad=True)
        opt = make([p], **options)
        for _ in range(3):
            p.grad = tg.tensor(rng.standard_normal((64, 64)).astype(dtype))
            opt.step()
        return p.data.copy(), opt.state[p]

    _in_place, _never = algorithms._in_place, lambda *arrays: False
    (p_fast, fast), (p_slow, slow) = run(True), run(False)
    assert p_fast.dtype == p_slow.dtype and p_fast.tobytes() == p_slow.tobytes()
    assert fast.keys() == slow.keys()
    for key, value in fast.items():
        if isinstance(value, np.ndarray) and value.ndim:
            assert value.dtype == slow[key].dtype and value.tobytes() == slow[key].tobytes(), key
