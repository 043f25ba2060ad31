"""Edge cases of the reductions (tensorgrad/ops/reductions.py), against NumPy's behaviour."""

from __future__ import annotations

import numpy as np

import tensorgrad as tg


def test_max_min_over_no_axes_of_an_empty_tensor_is_empty() -> None:
    for fn, ref in ((tg.max, np.max), (tg.min, np.min), (tg.logsumexp, np.max)):
        out = fn(np.zeros(0), axis=())
        assert out.shape == ref(np.zeros(0), axis=()).shape == (0,)


def test_var_std_over_a_length_one_axis_of_an_empty_tensor() -> None:
    x = np.zeros((0, 1))
    assert tg.var(x, axis=1).shape == np.var(x, axis=1).shape == (0,)
    assert tg.std(x, axis=1).shape == (0,)


def test_std_gradient_at_zero_spread_is_zero_as_torch() -> None:
    # (sqrt of var gave inf * 0 = NaN there)
    x = tg.tensor([[3.0, 3.0], [1.0, 2.0]], requires_grad=True)
    tg.sum(tg.std(x, axis=1, ddof=1)).backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.0], [-1 / np.sqrt(2), 1 / np.sqrt(2)]])


def test_max_and_min_with_a_nan_send_the_gradient_to_it() -> None:
    # (NaN == NaN is false: the share was 0 / 0, NaN everywhere with a warning)
    x = tg.tensor([[1.0, np.nan, 3.0], [2.0, 5.0, 5.0]], requires_grad=True)
    with np.errstate(invalid="raise", divide="raise"):
        tg.sum(tg.max(x, axis=1)).backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
