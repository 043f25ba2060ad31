"""The shared un-broadcasting helper (tensorgrad/_shapes.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad._shapes import unbroadcast

# (partial sums of 6e4 + 6e4 pass float16's 65504; the whole sum is 0)
OVER = np.array([6e4, 6e4, -6e4, -6e4], np.float16)


@pytest.mark.parametrize(
    ("adjoint", "shape"),
    [
        (np.stack([OVER, np.ones(4, np.float16)], axis=1), (2,)),  # extra leading axes
        (np.stack([OVER, np.ones(4, np.float16)], axis=1)[None], (1, 2)),
        (np.stack([OVER, np.ones(4, np.float16)]), (2, 1)),  # an inner axis of size 1
        (np.stack([OVER, np.ones(4, np.float16)])[:, None, :], (2, 1, 1)),
    ],
)
def test_float16_adjoints_are_summed_in_float32(adjoint, shape) -> None:
    # (NumPy adds float16 along an axis in float16: the first sum was inf, torch's is 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = unbroadcast(adjoint, shape)
    assert out.dtype == np.float16 and out.shape == shape
    assert out.reshape(-1).tolist() == [0.0, 4.0]


def test_float16_sums_past_the_range_are_inf_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = unbroadcast(np.full((2, 3), 60000, np.float16), (3,))
    assert out.dtype == np.float16 and np.isinf(out).all()


def test_float16_bias_gradients_through_layers() -> None:
    c = np.zeros((4, 2), np.float16)
    c[:, 0] = OVER
    b = tg.tensor(np.zeros(2, np.float16), requires_grad=True)
    (g,) = tg.autograd.grad(tg.zeros((4, 2), dtype=np.float16) + b, [b], c)
    assert g.dtype == np.float16 and g.data.tolist() == [0.0, 0.0]
    x = tg.tensor(np.ones((4, 1, 1, 1), np.float16))
    w = tg.tensor(np.ones((2, 1, 1, 1), np.float16))
    y = F.conv2d(x, w, b)
    (g,) = tg.autograd.grad(y, [b], c[:, :, None, None])
    assert g.data.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_float16_bias_gradients_agree_with_and_without_create_graph(create_graph) -> None:
    # (a recorded rule un-broadcasts through tg.sum: it summed float16 in float16, inf)
    b = tg.tensor(np.ones(3, np.float16), requires_grad=True)
    x = tg.tensor(np.repeat(OVER[:, None], 3, axis=1))
    (g,) = tg.autograd.grad((x * b).sum(), [b], create_graph=create_graph)
    assert g.dtype == np.float16 and g.data.tolist() == [0.0, 0.0, 0.0]
    assert tg.sum(x, axis=0).data.tolist() == [0.0, 0.0, 0.0]
