"""``tg.nn.utils.clip_grad_norm_`` at the norms and values torch treats specially (expected
values are torch 2's, worked out by hand)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


def _params(*grads: list[float]) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros(len(g)))
        p.grad = tg.tensor(np.array(g, dtype=np.float64))
        params.append(p)
    return params


def test_neg_inf_norm_is_the_smallest_entry_and_does_not_clip_above_it() -> None:
    (p,) = _params([1.0, 0.5, 2.0])
    total = nn.utils.clip_grad_norm_([p], max_norm=0.6, norm_type=-np.inf)
    assert total.item() == 0.5
    np.testing.assert_array_equal(p.grad.data, [1.0, 0.5, 2.0])  # 0.6 / 0.5 >= 1: unchanged


def test_neg_inf_norm_clips_below_it() -> None:
    (p,) = _params([1.0, 0.5, 2.0])
    assert nn.utils.clip_grad_norm_([p], max_norm=0.25, norm_type=-np.inf).item() == 0.5
    np.testing.assert_allclose(p.grad.data, np.array([1.0, 0.5, 2.0]) * 0.25 / (0.5 + 1e-6))


def test_zero_norm_counts_the_gradients_with_a_non_zero_entry() -> None:
    # as torch: the norm of the per-gradient norms (non-zero counts 2, 1, 0)
    params = _params([1.0, 0.0, 2.0], [3.0, 0.0], [0.0, 0.0])
    total = nn.utils.clip_grad_norm_(params, max_norm=0.6, norm_type=0)
    assert total.item() == 2.0
    np.testing.assert_allclose(params[0].grad.data, [0.3, 0.0, 0.6], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad.data, [0.9, 0.0], rtol=1e-5)


def test_negative_norm_with_a_zero_entry_is_zero() -> None:
    params = _params([1.0, 0.0, 2.0], [3.0])
    assert nn.utils.clip_grad_norm_(params, max_norm=0.6, norm_type=-1).item() == 0.0
    np.testing.assert_array_equal(params[1].grad.data, [3.0])


@pytest.mark.parametrize("norm_type", [2.0, 1.0, np.inf, -np.inf])
@pytest.mark.parametrize("first", [True, False])
def test_nan_norm_makes_every_gradient_nan(norm_type: float, first: bool) -> None:
    grads = [[1.0, np.nan, 2.0], [3.0]]
    params = _params(*(grads if first else grads[::-1]))
    total = nn.utils.clip_grad_norm_(params, max_norm=10.0, norm_type=norm_type)
    assert np.isnan(total.item())
    for p in params:
        assert np.isnan(p.grad.data).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("norm_type", [2.0, np.inf, -np.inf])
def test_error_if_nonfinite_raises_for_nan_and_inf(bad: float, norm_type: float) -> None:
    if bad == np.inf and norm_type == -np.inf:
        bad = -np.inf  # (min |g| stays finite with one infinite entry: make them all infinite)
        params = _params([bad, bad], [bad])
    else:
        params = _params([3.0], [1.0, bad])  # the non-finite gradient last
    with pytest.raises(RuntimeError, match="clip_grad_norm_: .*non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert params[0].grad.data[0] in (3.0, bad)  # nothing scaled


def _float32_params(*grads: list[float]) -> list[nn.Parameter]:
    params = []
    for g in grads:
        p = nn.Parameter(np.zeros(len(g), np.float32))
        p.grad = tg.tensor(np.array(g, dtype=np.float32))
        params.append(p)
    return params


def test_float32_norm_overflows_in_float32_as_torch() -> None:
    # torch 2.13 takes each norm in the gradient's dtype: 1e20 ** 2 is inf in float32
    (p,) = _float32_params([1e20, 1e20])
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: The total norm of order 2\.0 for"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.data, np.float32([1e20, 1e20]))  # nothing scaled
    total = nn.utils.clip_grad_norm_(p, 1.0)
    assert total.dtype == np.float32 and total.item() == np.inf
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])  # scaled by 1 / inf, as torch
    for norm_type, want, grad in ((1.0, 2e20, 0.5), (np.inf, 1e20, 1.0)):  # these fit float32
        (p,) = _float32_params([1e20, 1e20])
        total = nn.utils.clip_grad_norm_(p, 1.0, norm_type, error_if_nonfinite=True)
        assert total.dtype == np.float32 and total.item() == np.float32(want)
        np.testing.assert_allclose(p.grad.data, [grad, grad], rtol=1e-6)
    # one entry's norm is |entry| whatever the order (torch's shortcut), so this is finite
    (p,) = _float32_params([-1e20])
    assert nn.utils.clip_grad_norm_(p, 1.0, 3.0, error_if_nonfinite=True).item() == np.float32(1e20)


def test_mixed_dtype_norms_are_per_gradient_then_promoted() -> None:
    # the float32 gradient's norm is already inf before the float64 total, as torch
    a, b = _float32_params([1e20, 1e20])[0], _params([1.0, 2.0])[0]
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.dtype == np.float64 and total.item() == np.inf
    h = nn.Parameter(np.zeros(2, np.float16))
    h.grad = tg.tensor(np.array([300.0, 300.0], np.float16))  # squared in float32, as torch
    total = nn.utils.clip_grad_norm_(h, 1000.0, error_if_nonfinite=True)
    assert total.dtype == np.float16 and total.item() == 424.25


def test_clip_grad_functions_take_torchs_foreach_switch() -> None:
    p = tg.nn.Parameter(tg.ones(2))
    p.grad = tg.ones(2) * 3.0
    for foreach in (None, False, True):
        tg.nn.utils.clip_grad_value_([p], 2.0, foreach=foreach)
        total = tg.nn.utils.clip_grad_norm_([p], 1.0, foreach=foreach)
        assert float(total.data) > 0
    np.testing.assert_allclose(np.linalg.norm(p.grad.data), 1.0, rtol=1e-5)
    with pytest.raises(TypeError, match="clip_grad_norm_: foreach must be a bool"):
        tg.nn.utils.clip_grad_norm_([p], 1.0, foreach="yes")


def test_clipping_writes_every_gradient_or_none() -> None:
    # (a read-only .grad failed after the first gradient was scaled; now it is replaced, as
    # zero_grad does, and torch scales both)
    a, b = nn.Parameter(tg.ones(3)), nn.Parameter(tg.ones(3))
    a.grad = tg.tensor([10.0, 10.0, 10.0])
    ro = np.full(3, 5.0)
    ro.flags.writeable = False
    b.grad = tg.from_numpy(ro)
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert abs(total.item() - np.sqrt(375.0)) < 1e-4
    np.testing.assert_allclose(a.grad.data, 10 / np.sqrt(375.0), rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, 5 / np.sqrt(375.0), rtol=1e-5)
    np.testing.assert_array_equal(ro, 5.0)
    nn.utils.clip_grad_value_([a, b], 0.1)
    np.testing.assert_allclose(b.grad.data, 0.1, rtol=1e-6)
    with pytest.raises(TypeError, match="clip_value must be a number"):
        nn.utils.clip_grad_value_([a, b], np.array([0.5, 2.0, 1.0]))


def test_load_state_dict_of_swapped_own_arrays_swaps_them() -> None:
    # (the first copy changed the second value: both layers got the same weights; torch too)
    m = nn.Sequential(nn.Linear(3, 3, bias=False, rng=0), nn.Linear(3, 3, bias=False, rng=1))
    w0, w1 = m[0].weight.data.copy(), m[1].weight.data.copy()
    state = m.state_dict()
    m.load_state_dict({"0.weight": state["1.weight"], "1.weight": state["0.weight"]})
    np.testing.assert_array_equal(m[0].weight.data, w1)
    np.testing.assert_array_equal(m[1].weight.data, w0)


def test_clipping_a_parameter_listed_twice_or_a_graph_gradient_as_torch() -> None:
    # (torch scales a parameter listed twice twice, and clips a create_graph .grad in place)
    p = nn.Parameter(tg.tensor([3.0, 4.0]))
    p.grad = tg.tensor([3.0, 4.0])
    nn.utils.clip_grad_norm_([p, p], 1.0)
    np.testing.assert_allclose(p.grad.data, [0.06, 0.08], rtol=1e-5)
    x = tg.tensor([3.0, 4.0], requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    g = x.grad
    nn.utils.clip_grad_norm_([x], 1.0)
    assert x.grad is g and g.grad_fn is not None
    nn.utils.clip_grad_value_([p], True)  # (a bool bound, as torch's float())
    assert np.abs(p.grad.data).max() <= 1.0


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda p: nn.utils.clip_grad_norm_(p, "x"), "clip_grad_norm_: max_norm must be a number"),
        (
            lambda p: nn.utils.clip_grad_norm_(p, 1.0, norm_type="x"),
            "clip_grad_norm_: norm_type must be a number",
        ),
        (
            lambda p: nn.utils.clip_grad_norm_("x", 1.0),
            "clip_grad_norm_: parameters must be a Tensor or an iterable of Tensors, got str",
        ),
        (
            lambda p: nn.utils.clip_grad_value_(None, 1.0),
            "clip_grad_value_: parameters must be .*, got NoneType",
        ),
        (
            lambda p: nn.utils.parameters_to_vector("x"),
            "parameters_to_vector: parameters must be .*, got str",
        ),
    ],
)
def test_bad_arguments_are_named_and_change_no_gradient(call, pattern) -> None:
    # (were NumPy's "could not convert string to float", an AttributeError from inside,
    # Python's "not iterable", "reshape: argument 0")
    p = nn.Parameter(np.ones(3))
    p.grad = tg.full((3,), 5.0)
    with pytest.raises(TypeError, match=pattern):
        call([p])
    np.testing.assert_array_equal(p.grad.data, np.full(3, 5.0))


def test_clip_grad_norm_reads_a_string_number_as_torch_does() -> None:
    # (torch documents norm_type='inf'; it reads both with float(): the checks of this
    # session refused the string)
    p = nn.Parameter(np.ones(2))
    p.grad = tg.tensor([3.0, -4.0])
    total = nn.utils.clip_grad_norm_([p], "2", norm_type="inf")
    assert total.item() == 4.0
    np.testing.assert_allclose(p.grad.data, [1.5, -2.0], rtol=1e-5)
    nn.utils.clip_grad_value_([p], "1")
    np.testing.assert_allclose(p.grad.data, [1.0, -1.0])


def test_gradient_clipping_checks_every_gradient_before_it_changes_one() -> None:
    # (clip_grad_value_ clipped the first gradient, then crashed on a .data set to a list;
    # clip_grad_norm_ raised AttributeError, or took an integer gradient)
    ps = [tg.tensor(np.ones(3), requires_grad=True) for _ in range(2)]
    for p in ps:
        p.grad = tg.tensor(np.full(3, 10.0))
    ps[1].grad.data = [10.0, 10.0, 10.0]
    with pytest.raises(TypeError, match="clip_grad_value_: a gradient's data must be an ndarray"):
        nn.utils.clip_grad_value_(ps, 1.0)
    assert ps[0].grad.data.tolist() == [10.0] * 3
    with pytest.raises(TypeError, match="clip_grad_norm_: a gradient's data must be an ndarray"):
        nn.utils.clip_grad_norm_(ps, 1.0)
    ps[1].grad.data = np.array([1, 2, 3])
    with pytest.raises(TypeError, match="clip_grad_norm_: gradient of dtype int64"):
        nn.utils.clip_grad_norm_(ps, 1.0)
    ps[1].grad.data = np.ones(4)
    with pytest.raises(ValueError, match=r"clip_grad_value_: gradient of shape \(4,\)"):
        nn.utils.clip_grad_value_(ps, 1.0)
    assert ps[0].grad.data.tolist() == [10.0] * 3


def test_clip_grad_value_reads_a_one_element_tensor_as_torch() -> None:
    p = tg.tensor([5.0, -5.0, 1.0], requires_grad=True)
    p.grad = tg.tensor([5.0, -5.0, 1.0])
    tg.nn.utils.clip_grad_value_([p], tg.tensor([2.0]))
    np.testing.assert_array_equal(p.grad.data, [2.0, -2.0, 1.0])
