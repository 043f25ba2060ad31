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
