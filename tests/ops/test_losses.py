"""softmax and log_softmax arguments (tensorgrad/ops/losses.py), as torch."""

from __future__ import annotations

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
