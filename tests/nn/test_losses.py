"""The margin, ranking, distance and Poisson/Gaussian NLL losses (tensorgrad/nn/losses.py):
torch 2.13's values and gradients hard-coded, the hinges' corners, modules, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorgrad as tg

F = tg.nn.functional
X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
Y = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])
Z = np.array([[0.0, 2.0, -1.0], [1.0, -0.5, 0.5]])

CALLS: dict[str, Any] = {
    "margin_ranking": lambda x: F.margin_ranking_loss(x, Z, Y, margin=0.5),
    "hinge": lambda x: F.hinge_embedding_loss(x, Y, margin=1.0),
    "soft_margin": lambda x: F.soft_margin_loss(x, Y),
    "multilabel": lambda x: F.multilabel_soft_margin_loss(x, (Y + 1) / 2),
    "multi_margin": lambda x: F.multi_margin_loss(
        x, np.array([2, 0]), p=2, margin=3.0, weight=np.array([1.0, 2.0, 0.5])
    ),
    "cosine": lambda x: F.cosine_embedding_loss(x, Z, np.array([1.0, -1.0])),
    "triplet": lambda x: F.triplet_margin_loss(x, Z, Y, margin=1.0),
    "poisson": lambda x: F.poisson_nll_loss(x, np.abs(Z) * 2, full=True),
    "gaussian": lambda x: F.gaussian_nll_loss(x, Z, np.array([[0.5], [2.0]]), full=True),
}
TORCH = {  # (torch 2.13's loss and gradient in x, float64)
    "margin_ranking": (
        0.16666666666666666,
        [[-0.16666666666666666, 0.0, -0.0], [0.16666666666666666, -0.0, 0.0]],
    ),
    "hinge": (
        1.0416666666666667,
        [
            [0.16666666666666666, -0.16666666666666666, 0.16666666666666666],
            [0.0, 0.16666666666666666, -0.16666666666666666],
        ],
    ),
    "soft_margin": (
        0.6109493941305008,
        [
            [-0.0629234447996909, 0.04482357022833252, -0.019867153670352924],
            [0.1362624126989406, -0.07297058318570031, 0.0629234447996909],
        ],
    ),
    "multilabel": (
        0.6109493941305009,
        [
            [-0.0629234447996909, 0.04482357022833251, -0.019867153670352924],
            [0.1362624126989406, -0.07297058318570031, 0.0629234447996909],
        ],
    ),
    "multi_margin": (
        0.8645833333333334,
        [[0.25, 0.0, -0.25], [-0.9166666666666665, 0.5833333333333333, 0.3333333333333333]],
    ),
    "cosine": (
        1.1772695500576877,
        [
            [-0.03717714563612027, -0.12082572331742801, -0.0511185752496468],
            [0.08708364861354867, -0.15550651538120894, 0.18349768814981757],
        ],
    ),
    "triplet": (
        2.07698377686776,
        [[0.28212695012952976, -0.35112376214081553, -0.0960903148178201], [0.0, 0.0, -0.0]],
    ),
    "poisson": (
        2.914796347498985,
        [
            [0.27478687845002137, -0.6053534264714262, 0.8981760164884418],
            [0.4136148450563441, 0.04733756944795689, -0.06557822338122776],
        ],
    ),
    "gaussian": (
        4.036126033204672,
        [[0.16666666666666666, -1.0, 1.0], [0.041666666666666664, 0.0625, -0.08333333333333333]],
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_and_gradients_are_torchs(name: str) -> None:
    x = tg.tensor(X, requires_grad=True)
    loss = CALLS[name](x)
    loss.backward()
    value, grad = TORCH[name]
    assert loss.item() == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(x.grad.data, grad, rtol=1e-12, atol=1e-15)


def test_a_hinge_at_its_corner_has_torchs_slope() -> None:
    """torch's clamp_min passes the gradient at the corner (slope 1), unlike relu's 0."""
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    F.margin_ranking_loss(x, np.zeros(2), np.array([1.0, -1.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 1.0])


def test_modules_and_their_arguments() -> None:
    nn = tg.nn
    assert repr(nn.TripletMarginLoss(margin=0.5)) == "TripletMarginLoss(reduction='mean')"
    loss = nn.MultiMarginLoss(p=2, margin=3.0, weight=np.array([1.0, 2.0, 0.5]))
    assert loss(X, np.array([2, 0])).item() == pytest.approx(TORCH["multi_margin"][0])
    assert "weight" in dict(loss.named_buffers())
    assert nn.GaussianNLLLoss(full=True)(X, Z, np.array([[0.5], [2.0]])).item() == pytest.approx(
        TORCH["gaussian"][0]
    )
    assert nn.PairwiseDistance(keepdim=True)(X, Z).shape == (2, 1)
    assert nn.MarginRankingLoss(reduction="none")(X, Z, Y).shape == (2, 3)
    with pytest.warns(UserWarning, match="size_average and reduce are deprecated"):
        legacy = nn.SoftMarginLoss(size_average=False)
    assert legacy(X, Y).item() == pytest.approx(TORCH["soft_margin"][0] * 6)


def test_errors_name_the_loss_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"margin_ranking_loss: .* input1 of shape \(2, 3\)"):
        F.margin_ranking_loss(X, Z[0], Y)
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(X, np.array([0, 1]), p=3)
    with pytest.raises(IndexError, match=r"multi_margin_loss: target holds a class outside"):
        F.multi_margin_loss(X, np.array([0, 3]))
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has a negative entry"):
        F.gaussian_nll_loss(X, Z, -np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var of shape \(3,\) must be"):
        F.gaussian_nll_loss(X, Z, np.ones(3))
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0"):
        F.triplet_margin_loss(X, Z, Y, margin=0.0)
