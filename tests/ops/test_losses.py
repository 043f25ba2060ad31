"""Loss and softmax arguments (tensorgrad/ops/losses.py), as torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize("fn", [tg.softmax, tg.log_softmax])
def test_softmax_of_unsigned_integers_does_not_wrap(fn) -> None:
    x = np.array([0, 1], dtype=np.uint8)
    want = fn(x.astype(np.float64)).data
    np.testing.assert_allclose(fn(x).data, want)
    assert np.all(np.isfinite(want))


@pytest.mark.parametrize("fn", [tg.softmax, tg.log_softmax])
def test_softmax_of_0d_takes_axis_0_or_minus_1_only(fn) -> None:
    assert fn(tg.tensor(0.0), axis=0).shape == fn(tg.tensor(0.0), dim=-1).shape == ()
    with pytest.raises(ValueError, match="out of bounds"):
        fn(tg.tensor(0.0), axis=1)


@pytest.mark.parametrize("fn", [tg.softmax, tg.log_softmax])
@pytest.mark.parametrize("axis", [(0,), [0], True, 0.0])
def test_softmax_axis_must_be_one_int(fn, axis) -> None:
    with pytest.raises(TypeError, match="axis must be an int"):
        fn(tg.zeros((2, 3)), axis=axis)


def test_cross_entropy_refuses_negative_targets_of_any_integer_dtype() -> None:
    # (an unsigned view of int64 targets wrapped back to -1 and picked the last class)
    x = tg.tensor(np.random.default_rng(0).standard_normal((5, 4)))
    for dtype in (np.int64, np.int32, np.int8):
        for y in ([-1] * 5, [0, 1, 2, 3, -1], [0, 1, 2, 3, 4]):
            with pytest.raises(IndexError, match=r"target values must be in \[0, 4\)"):
                tg.nn.functional.cross_entropy(x, tg.tensor(np.array(y, dtype=dtype)))


def test_all_targets_ignored_gives_nan_loss_and_zero_gradient_as_torch() -> None:
    rng = np.random.default_rng(1)
    ignored = tg.tensor(np.full(3, -100))
    losses = {
        "cross_entropy": lambda x: tg.nn.functional.cross_entropy(x, ignored),
        "smoothed": lambda x: tg.nn.functional.cross_entropy(x, ignored, label_smoothing=0.1),
        "nll_loss": lambda x: tg.nn.functional.nll_loss(x, ignored),
    }
    for name, loss in losses.items():
        x = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no division by zero on the way
            value = loss(x)
            value.backward()
        assert np.isnan(value.item()), name
        np.testing.assert_array_equal(x.grad.data, 0.0, err_msg=name)


def test_class_weights_that_require_grad_count_in_the_mean_denominator() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3))
    y = np.array([0, 2, 1, 2, 2])
    w = tg.tensor(np.abs(rng.standard_normal(3)) + 0.5, requires_grad=True)
    for smoothing in (0.0, 0.2):

        def f(weight: tg.Tensor, smoothing: float = smoothing) -> tg.Tensor:
            return tg.nn.functional.cross_entropy(
                tg.tensor(x), tg.tensor(y), weight=weight, label_smoothing=smoothing
            )

        assert tg.gradcheck(f, (w,))
    assert tg.gradcheck(
        lambda weight: tg.nn.functional.nll_loss(tg.tensor(x), tg.tensor(y), weight=weight), (w,)
    )
