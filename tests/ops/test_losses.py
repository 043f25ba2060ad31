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


@pytest.mark.parametrize(
    ("loss", "kwargs"),
    [("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1}), ("nll_loss", {})],
)
def test_nothing_counted_gives_zero_gradient_to_class_weights_that_require_grad(
    loss: str, kwargs: dict
) -> None:
    # (the total weight, 0, was divided by: NaN for weight[0], which ignored rows point at)
    for target, weights in (([-100, -100], [1.0, 2.0, 3.0]), ([0, 0], [0.0, 2.0, 3.0])):
        x = tg.tensor(np.zeros((2, 3)), requires_grad=True)
        w = tg.tensor(weights, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = getattr(tg.nn.functional, loss)(x, np.array(target), weight=w, **kwargs)
            value.backward()
        assert np.isnan(value.item())
        np.testing.assert_array_equal(x.grad.data, 0.0)
        np.testing.assert_array_equal(w.grad.data, 0.0)


@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
def test_class_weights_that_require_grad_count_in_the_mean_denominator(shape) -> None:
    # (with (N, C, d) logits and label smoothing, the total weight was once summed by Python's
    # builtin sum over rows, giving a loss of shape (d,))
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    y = rng.integers(0, 3, shape[:1] + shape[2:])
    w = tg.tensor(np.abs(rng.standard_normal(3)) + 0.5, requires_grad=True)
    for smoothing in (0.0, 0.2):

        def f(weight: tg.Tensor, smoothing: float = smoothing) -> tg.Tensor:
            return tg.nn.functional.cross_entropy(
                tg.tensor(x), tg.tensor(y), weight=weight, label_smoothing=smoothing
            )

        assert f(w).shape == ()
        assert tg.gradcheck(f, (w,))
    assert tg.gradcheck(
        lambda weight: tg.nn.functional.nll_loss(tg.tensor(x), tg.tensor(y), weight=weight), (w,)
    )


# ----------------------------------------------------------------------------- non-finite logits

F = tg.nn.functional
INF_ROWS = np.array([[np.inf, 1.0, 0.0], [1.0, 2.0, 3.0]])


def _softmax_rows(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("fn", [tg.softmax, tg.log_softmax])
def test_softmax_row_with_pos_inf_is_all_nan_as_torch(fn) -> None:
    with np.errstate(invalid="ignore"):
        y = fn(INF_ROWS).data
        assert np.isnan(y[0]).all()
        want = _softmax_rows(INF_ROWS[1])
        np.testing.assert_allclose(y[1], want if fn is tg.softmax else np.log(want))
        # a masked (-inf) entry is still probability 0, and a row of only -inf is NaN (torch)
        np.testing.assert_array_equal(tg.softmax([[-np.inf, -np.inf, 0.0]]).data, [[0, 0, 1]])
        assert np.isnan(fn([[-np.inf, -np.inf]]).data).all()


@pytest.mark.parametrize("fn", [tg.softmax, tg.log_softmax])
@pytest.mark.parametrize("row", [[-np.inf] * 3, [np.inf, 1.0, 0.0]], ids=["all-inf", "inf"])
def test_softmax_of_a_fully_masked_row_is_nan_without_a_warning(fn, row) -> None:
    # (attention's row whose keys are all masked by -inf: NaN as torch, and as silently; NumPy
    # warned of the inf - inf in the shift)
    x = np.array([row, [0.0, 1.0, 2.0]])
    v = tg.tensor([[1.0, 2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xt = tg.tensor(x, requires_grad=True)
        y = fn(xt, axis=1)
        (g,) = tg.autograd.grad((y * v).sum(), [xt], create_graph=True)
        g.sum().backward()
        _, tangent = tg.jvp(lambda t: fn(t, axis=1), (tg.tensor(x),), (tg.ones((2, 3)),))
    assert np.isnan(y.data[0]).all() and np.isfinite(y.data[1]).all()
    assert np.isnan(g.data[0]).all() and np.isfinite(g.data[1]).all()
    assert np.isnan(tangent.data[0]).all()


@pytest.mark.parametrize(
    "kwargs", [{}, {"weight": np.ones(3)}, {"label_smoothing": 0.1}], ids=["fused", "w", "ls"]
)
def test_cross_entropy_with_pos_inf_logit_is_nan_with_nan_row_gradient(kwargs) -> None:
    x = tg.tensor(INF_ROWS, requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = F.cross_entropy(x, np.array([1, 0]), **kwargs)
        loss.backward()
    assert np.isnan(loss.item())
    assert np.isnan(x.grad.data[0]).all()
    if not kwargs:
        want = (_softmax_rows(INF_ROWS[1]) - [1.0, 0.0, 0.0]) / 2
        np.testing.assert_allclose(x.grad.data[1], want)
    assert np.isfinite(x.grad.data[1]).all()


@pytest.mark.parametrize("row", [[np.inf, 1.0, 0.0], [np.nan, 1.0, 0.0], [-np.inf, 1.0, 0.0]])
@pytest.mark.parametrize("weight", [None, np.ones(3)], ids=["fused", "nll"])
def test_an_ignored_non_finite_row_counts_for_nothing(row, weight) -> None:
    # torch: the loss is the kept row's; the ignored row's gradient is 0 (NaN when its log-softmax
    # is NaN, through the log-softmax adjoint, as torch)
    x = tg.tensor(np.array([row, [1.0, 2.0, 3.0]]), requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = F.cross_entropy(x, np.array([-100, 0]), weight=weight)
        loss.backward()
    kept = -np.log(_softmax_rows(np.array([1.0, 2.0, 3.0]))[0])
    np.testing.assert_allclose(loss.item(), kept)
    if np.isfinite(row[0]) or row[0] == -np.inf:
        np.testing.assert_array_equal(x.grad.data[0], 0.0)
    else:
        assert np.isnan(x.grad.data[0]).all()


@pytest.mark.parametrize("bad", [-np.inf, np.nan])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_label_smoothing_ignores_a_non_finite_ignored_row(bad, reduction) -> None:
    # torch: the smoothing term of an ignored row is 0 even where its log-softmax is -inf or NaN
    rows = np.array([[0.5, bad], [1.0, 2.0]])
    x = tg.tensor(rows, requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = F.cross_entropy(x, np.array([-100, 0]), label_smoothing=0.1, reduction=reduction)
    logp = np.log(_softmax_rows(rows[1]))
    kept = -(0.9 * logp[0] + 0.05 * logp.sum())
    want = [0.0, kept] if reduction == "none" else kept
    np.testing.assert_allclose(loss.data, want)
    assert not np.signbit(loss.data).any()  # (+0.0 for the ignored row, as torch)
    plain = F.cross_entropy(
        np.array([[0.5, 1.0], [1.0, 2.0]]), np.array([-100, 0]), reduction="none"
    )
    assert plain.data[0] == 0.0 and not np.signbit(plain.data[0])


def test_cross_entropy_neg_inf_target_logit_is_inf_with_finite_gradient() -> None:
    x = tg.tensor(np.array([[-np.inf, 1.0, 0.0]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([0]))
    loss.backward()
    assert loss.item() == np.inf
    np.testing.assert_allclose(x.grad.data[0], [-1.0, *_softmax_rows(np.array([1.0, 0.0]))])


# ----------------------------------------------------------------------------- empty batches


@pytest.mark.parametrize(
    ("loss", "int_targets"),
    [
        (lambda x: F.mse_loss(x, np.zeros((0, 3), dtype=x.dtype)), False),
        (lambda x: F.binary_cross_entropy_with_logits(x, np.zeros((0, 3))), False),
        (lambda x: F.cross_entropy(x, np.zeros((0, 3))), False),
        (lambda x: F.cross_entropy(x, np.zeros(0, dtype=np.int64)), True),
        (lambda x: F.nll_loss(x, np.zeros(0, dtype=np.int64)), True),
    ],
    ids=["mse", "bce", "ce_probs", "ce_int", "nll"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_loss_of_an_empty_batch_is_nan_as_torch(loss, int_targets, dtype) -> None:
    x = tg.tensor(np.zeros((0, 3), dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss(x)
        value.backward()
    assert value.shape == () and value.dtype == dtype and np.isnan(value.item())
    assert x.grad.shape == (0, 3) and x.grad.dtype == dtype
    # the zero-size gradient's own derivative (by the output's gradient u) is 0, as torch's
    # (it was 0 * NaN for the losses reduced by _reduce; torch's nll and int cross_entropy
    # give NaN there, a quirk: the gradient has no entries)
    u = tg.tensor(np.array(1.0, dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (g,) = tg.autograd.grad(loss(x), [x], u, create_graph=True)
        (du,) = tg.autograd.grad(g.sum(), [u])
        tangent = tg.jvp(loss, (x.detach(),), (tg.zeros((0, 3), dtype=dtype),))[1]
    assert du.item() == 0.0
    # the tangent of a mean over nothing: NaN, as torch.func's and tg.mean's (0 while the loss
    # added a NaN constant); the integer-target losses keep 0, as their all-ignored batches,
    # consistent with their zero gradients (torch's is NaN there)
    assert tangent.dtype == dtype
    assert tangent.item() == 0.0 if int_targets else np.isnan(tangent.item())


def test_sum_loss_of_an_empty_batch_is_zero() -> None:
    x = tg.tensor(np.zeros((0, 3)), requires_grad=True)
    assert F.mse_loss(x, np.zeros((0, 3)), reduction="sum").item() == 0.0


# ----------------------------------------------------------------------------- error messages


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize(
    "target, kwargs",
    [([0], {}), ([0], {"weight": np.ones(3)}), ([[0.0, 1.0, 0.0]], {}), ([-100], {})],
    ids=["fused", "weight", "probs", "ignored"],
)
def test_cross_entropy_refuses_integer_logits(dtype, target, kwargs) -> None:
    logits = tg.tensor(np.array([[1, 2, 3]], dtype=dtype))
    pattern = rf"cross_entropy: input .* floating point.*{np.dtype(dtype)}"
    # (uint8 logits wrap and overflow in exp before the op's float subtraction refuses them)
    with pytest.raises(TypeError, match=pattern), np.errstate(over="ignore"):
        F.cross_entropy(logits, np.array(target), **kwargs)


@pytest.mark.parametrize(
    "target, kwargs, error, pattern",
    [
        (np.array([0, 1, 2]), {}, ValueError, r"target has shape \(3,\), expected \(2,\)"),
        (np.array([[0], [1]]), {}, ValueError, "target has shape"),
        (np.array([True, False]), {}, TypeError, "target must hold .* got dtype bool"),
        (np.array([0, 1]), {"weight": np.ones(2)}, ValueError, r"weight has shape \(2,\)"),
        (np.full((2, 3), 1 / 3), {"weight": np.ones(2)}, ValueError, r"weight has shape \(2,\)"),
        (np.array([0, 1]), {"weight": np.ones(2), "reduction": "none"}, ValueError, "weight"),
    ],
)
def test_cross_entropy_errors_name_cross_entropy(target, kwargs, error, pattern) -> None:
    with pytest.raises(error, match="^cross_entropy: " + pattern):
        F.cross_entropy(np.zeros((2, 3)), target, **kwargs)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_over_a_zero_length_axis_is_empty_as_torch(fn) -> None:
    x = tg.tensor(np.zeros((2, 0)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x, axis=-1)
        y.sum().backward()
    assert y.shape == (2, 0) and x.grad.shape == (2, 0)
    assert fn(tg.tensor(np.zeros(0)), axis=0).shape == (0,)


@pytest.mark.parametrize("grad", [False, True])
def test_loss_weights_take_the_logits_dtype(grad: bool) -> None:
    # a float64 weight Tensor gave a float32 loss without label smoothing and a float64 one
    # with it (and BCE's pos_weight float64 as a Tensor, float32 as an array)
    F = tg.nn.functional
    x = tg.tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    w = tg.tensor([1.0, 2.0, 3.0], requires_grad=grad)
    for smoothing in (0.0, 0.1):
        loss = F.cross_entropy(x, np.array([0, 2]), w, label_smoothing=smoothing)
        assert loss.dtype == np.float32
        if grad:
            (gx, gw) = tg.autograd.grad(loss, [x, w])
            assert gx.dtype == np.float32 and gw.dtype == np.float64
    t = tg.tensor(np.ones((2, 3), np.float32))
    assert F.binary_cross_entropy_with_logits(x, t, pos_weight=w).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(x, t, weight=w).dtype == np.float32
    assert F.nll_loss(x, np.array([0, 2]), w).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_gradient_does_not_cancel_for_confident_negatives(dtype) -> None:
    # (differentiated term by term, (1 - t) - l sigmoid(-x) was 0 for x < -17 in float32 and
    # -37 in float64; torch's l sigmoid(x) - w t is exact there)
    x = np.array([-20.0, -40.0, -2.2, 3.0], dtype=dtype)
    t = np.array([0.0, 0.0, 0.1, 1.0], dtype=dtype)
    for w in (1.0, 2.5):
        xt = tg.tensor(x, requires_grad=True)
        loss = F.binary_cross_entropy_with_logits(
            xt, t, reduction="sum", pos_weight=np.array(w, dtype=dtype)
        )
        (g,) = tg.autograd.grad(loss, [xt])
        sig = 1 / (1 + np.exp(-x.astype(np.float64)))
        want = ((w - 1) * t + 1) * sig - w * t
        assert g.dtype == dtype
        np.testing.assert_allclose(g.data, want, rtol=1e-4 if dtype == np.float32 else 1e-12)


def test_bce_target_gradient_at_minus_inf_logits_is_torchs() -> None:
    # (the fused op's target slope (w - 1) softplus(-x) - x was 0 * inf = NaN there without a
    # pos_weight; torch gives -x = inf)
    x = tg.tensor([-np.inf, -np.inf, 2.0])
    t = tg.tensor([0.0, 0.5, 0.5], requires_grad=True)
    with np.errstate(invalid="ignore"):  # (the loss itself is NaN there, as torch's)
        (g,) = tg.autograd.grad(F.binary_cross_entropy_with_logits(x, t, reduction="sum"), [t])
        tangent = tg.jvp(
            lambda t: F.binary_cross_entropy_with_logits(x, t, reduction="sum"),
            (t.detach(),),
            (tg.ones(3),),
        )[1]
    np.testing.assert_array_equal(g.data, [np.inf, np.inf, -2.0])
    assert tangent.item() == np.inf


def test_bce_weights_must_broadcast_to_the_input() -> None:
    F = tg.nn.functional
    x, t = tg.zeros((3, 4)), tg.ones((3, 4))
    assert F.binary_cross_entropy_with_logits(x, t, tg.ones((3, 1)), reduction="none").shape == (
        3,
        4,
    )
    # a larger weight made a larger loss in silence; a wrong pos_weight blamed "multiply"
    with pytest.raises(ValueError, match=r"weight of shape \(2, 3, 4\) does not broadcast to the"):
        F.binary_cross_entropy_with_logits(x, t, tg.ones((2, 3, 4)), reduction="none")
    with pytest.raises(ValueError, match=r"with_logits: pos_weight of shape \(3,\) does not"):
        F.binary_cross_entropy_with_logits(x, t, pos_weight=tg.ones(3))


def test_label_smoothing_over_no_classes_does_not_divide_by_zero():
    # (ZeroDivisionError before: found by the random dev profile)
    for logits, target in (([], []), (np.zeros((3, 0)), np.zeros((3, 0)))):
        out = tg.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)
        assert out.shape == () and out.item() == 0.0


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
@pytest.mark.parametrize("shape, target", [((2, 0), [-100, -100]), ((0,), -100)])
@pytest.mark.filterwarnings("error")  # (as torch: silently; the log of no classes warned)
def test_no_classes_with_every_target_ignored_as_torch(fn, reduction, shape, target) -> None:
    # (a (N, 0) or (0,) input crashed: no maximum of an empty row, reshape(-1, 0), index 0 of
    # an empty axis; torch 2.13 gives 0, NaN for a mean, and zeros for 'none')
    x = tg.zeros(shape, requires_grad=True)
    loss = fn(x, np.array(target), reduction=reduction)
    want = {"sum": 0.0, "mean": np.nan, "none": np.zeros(np.shape(target))}[reduction]
    np.testing.assert_array_equal(loss.data, want)
    assert not np.signbit(loss.data).any()
    loss.sum().backward()
    assert x.grad.shape == shape
    with pytest.raises(IndexError, match=r"target values must be in \[0, 0\)"):
        fn(tg.zeros((2, 0)), np.array([0, 0]))


def test_loss_arguments_are_named_in_errors() -> None:
    # (each said "loss: argument 0")
    x, y = tg.zeros((2, 3)), np.array([0, 1])
    with pytest.raises(TypeError, match="cross_entropy: weight holds dtype complex128"):
        F.cross_entropy(x, y, weight=np.ones(3, complex))
    with pytest.raises(TypeError, match="nll_loss: weight holds"):
        F.nll_loss(x, y, weight=np.ones(3, complex))
    with pytest.raises(TypeError, match="binary_cross_entropy_with_logits: pos_weight holds"):
        F.binary_cross_entropy_with_logits(x, tg.zeros((2, 3)), pos_weight=np.array(["a"] * 3))
    with pytest.raises(TypeError, match="mse_loss: weight holds"):
        F.mse_loss(x, tg.zeros((2, 3)), weight=np.full((2, 3), 1j))
    with pytest.raises(TypeError, match="pad: constant_values holds str"):
        tg.pad(tg.ones((2, 2)), 1, constant_values="a")
    with pytest.raises(TypeError, match="clip: a_max holds"):
        tg.clip(tg.ones(2), None, np.array(["x"]))


@pytest.mark.parametrize("row", [[np.inf, 1.0, 0.0], [np.nan, 1.0, 0.0]])
def test_an_ignored_non_finite_row_adds_nothing_to_the_tangent(row) -> None:
    # (torch.func.jvp: 0 from the ignored row; its NaN residual times 0 was NaN)
    x = np.array([row, [0.0, 1.0, 2.0]])
    y = tg.tensor([-100, 1])
    with np.errstate(invalid="ignore"):
        value, tangent = tg.jvp(lambda a: F.cross_entropy(a, y), (tg.tensor(x),), (tg.ones(2, 3),))
    assert np.isfinite(value.item())
    assert abs(tangent.item()) < 1e-12  # (a constant shift of the kept row's logits: 0)


def test_a_loss_weight_written_after_the_forward_does_not_change_the_gradient() -> None:
    # (the weight was read by reference: its later values were used; torch raises)
    x = tg.tensor([[1.0, 2.0, 0.5]], requires_grad=True)
    w = tg.tensor([[0.2, 0.3, 0.5]])
    loss = F.mse_loss(x, tg.zeros((1, 3)), weight=w, reduction="sum")
    w += 1.0
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[0.4, 1.2, 0.5]])


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: tg.mse_loss("x", tg.ones(())), "mse_loss: input holds str"),
        (lambda: tg.mse_loss(tg.ones((2, 3)), None), "mse_loss: target holds NoneType"),
        (
            lambda: tg.mse_loss(tg.ones((2, 3)), np.ones((2, 3)) * 1j),
            "mse_loss: target holds dtype complex128",
        ),
        (
            lambda: tg.binary_cross_entropy_with_logits(np.array(["a", "b"]), tg.ones(2)),
            "binary_cross_entropy_with_logits: input holds dtype <U1",
        ),
        (
            lambda: tg.binary_cross_entropy_with_logits(tg.ones(2), None),
            "binary_cross_entropy_with_logits: target holds NoneType",
        ),
        (
            lambda: tg.nll_loss(np.ones((2, 3)) * 1j, tg.tensor([0, 1])),
            "nll_loss: input holds dtype complex128",
        ),
        (lambda: tg.cross_entropy("x", tg.tensor(0)), "cross_entropy: input holds str"),
        (lambda: tg.softmax("x"), "softmax: x holds str"),
        (lambda: tg.log_softmax(None, axis=1), "log_softmax: x holds NoneType"),
    ],
)
def test_bad_data_is_named_by_the_function_and_its_argument(call, pattern) -> None:
    # (was a shape error for a string read as 0-d, or named an op the loss is made of:
    # "subtract", "negative", "reshape: argument 0")
    with pytest.raises(TypeError, match=pattern):
        call()


@pytest.mark.parametrize("loss", [tg.nll_loss, F.nll_loss, tg.cross_entropy])
def test_a_0d_input_has_no_class_axis(loss) -> None:
    # (nll_loss raised IndexError "tuple index out of range", naming no op)
    with pytest.raises(ValueError, match="input must have a class axis, got a 0-d tensor"):
        loss(tg.tensor(1.0), np.array(0))


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, tg.softmax, tg.log_softmax])
def test_softmax_refuses_axis_minus_1_with_another_dim(fn) -> None:
    # (axis=-1 was read as "not given", so dim=0 won silently)
    with pytest.raises(TypeError, match="give axis or dim, not both"):
        fn(tg.ones((2, 3)), axis=-1, dim=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: tg.mse_loss(tg.ones(2), tg.ones(2), reduction=np.array(["mean", "sum"])),
        lambda: tg.cross_entropy(tg.ones((2, 3)), np.array([0, 1]), reduction=np.array(["a", "b"])),
        lambda: tg.gelu(tg.ones(2), approximate=np.array(["tanh", "none"])),
        lambda: tg.nn.GELU(np.array(["none", "tanh"])),
    ],
)
def test_string_options_given_an_array_name_the_option(call) -> None:
    # (NumPy's 'truth value of an array ... is ambiguous', naming nothing)
    with pytest.raises(ValueError, match="(reduction|approximate) must be"):
        call()


def test_cross_entropy_refuses_a_string_weight_as_such() -> None:
    # (it was 'weight has shape (), expected (3,)')
    with pytest.raises(TypeError, match="cross_entropy: weight holds str data"):
        tg.cross_entropy(tg.ones((2, 3)), np.array([0, 1]), weight="abc")


def test_string_options_take_str_subclasses() -> None:
    # (np.str_('sum') was refused after 4dcdd77; torch takes it)
    assert tg.mse_loss(tg.ones(2), tg.zeros(2), reduction=np.str_("sum")).item() == 2.0
    assert tg.cross_entropy(tg.ones((2, 3)), np.array([0, 1]), reduction=np.str_("sum")).shape == ()
    assert tg.gelu(tg.ones(1), approximate=np.str_("tanh")).shape == (1,)


def test_softmax_takes_one_axis_named_as_both_axis_and_dim() -> None:
    x = tg.ones((2, 3))
    assert tg.softmax(x, axis=-1, dim=1).shape == (2, 3)
    with pytest.raises(TypeError, match="give axis or dim, not both"):
        tg.softmax(x, axis=-1, dim=0)


@pytest.mark.parametrize("weight", [None, np.zeros(0), "tensor"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_smoothing_over_no_classes_is_nan_as_torch(weight, reduction) -> None:
    # (every target is ignored when there are no classes: the smoothed mean indexed an empty
    # weight vector and raised NumPy's IndexError; sum and none gave 0: smoothing over no
    # classes has no uniform distribution, torch's label_smoothing / 0 times 0)
    if isinstance(weight, str):
        weight = tg.tensor(np.zeros(0), requires_grad=True)
    x = tg.tensor(np.zeros((3, 0)), requires_grad=True)
    y = np.zeros(3, np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(
            x, y, weight=weight, ignore_index=0, label_smoothing=0.3, reduction=reduction
        )
        loss.sum().backward()
    assert np.isnan(loss.data).all() and x.grad.shape == (3, 0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_float16_softmax_sums_its_exponentials_in_float32_as_torch(name) -> None:
    # (summed in float16: softmax 0.0005794 where float64 gives 0.00054572)
    x = (1000 + np.random.default_rng(0).uniform(-1, 1, (1500, 3))).astype(np.float16)
    f = getattr(tg, name)
    got = f(tg.tensor(x), axis=0)
    want = f(tg.tensor(x.astype(np.float32)), axis=0).data.astype(np.float16)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize(
    "kwargs", [{}, {"weight": np.ones(4, np.float16)}, {"label_smoothing": 0.1}]
)
def test_float16_cross_entropy_computes_in_float32_and_rounds_once(kwargs) -> None:
    # (its tangent summed [6e4, 6e4, -6e4, -6e4] / 4 in float16: -inf where float64 gives -6e4,
    # with an overflow warning; the weighted and smoothed compositions summed into float16)
    target = np.array([0, 1])
    x = np.zeros((2, 4), np.float16)
    t = np.array([[6e4, 6e4, -6e4, -6e4]] * 2, np.float16)

    def loss(a):
        return F.cross_entropy(a, target, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, tangent = tg.jvp(loss, (x,), (t,))
        grad = tg.grad(loss)(x)
    assert value.dtype == tangent.dtype == grad.dtype == np.float16
    wide = {k: v.astype(np.float64) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    value64, tangent64 = tg.jvp(
        lambda a: F.cross_entropy(a, target, **wide), (x.astype(float),), (t.astype(float),)
    )
    assert tangent.item() == np.float16(tangent64.item())
    assert value.item() == np.float16(value64.item())


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_float16_cross_entropy_gradient_is_rounded_once(smoothing) -> None:
    # (delta * scale was rounded in float16 before it met the float64 residual: 6 of these 21
    # entries came out one float16 ulp off the float64 gradient rounded to float16)
    x = np.random.RandomState(0).randn(7, 3).astype(np.float16)
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    grads = []
    for dtype in (np.float16, np.float64):
        t = tg.tensor(x.astype(dtype), requires_grad=True)
        F.cross_entropy(t, y, label_smoothing=smoothing).backward()
        grads.append(t.grad.data)
    assert grads[0].dtype == np.float16
    np.testing.assert_array_equal(grads[0], grads[1].astype(np.float16))


def test_a_zero_nll_loss_is_plus_zero_as_torch() -> None:
    logp = tg.nn.functional.log_softmax(tg.tensor([[100.0, 0.0], [0.0, 100.0]]), axis=1)
    for reduction in ("mean", "sum"):
        loss = tg.nn.functional.nll_loss(logp, np.array([0, 1]), reduction=reduction)
        assert loss.item() == 0.0 and not np.signbit(loss.item())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_loss_is_one_node_with_the_compositions_bits(dtype, reduction) -> None:
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((5, 3)) * 100).astype(dtype)
    b = rng.standard_normal((5, 3)).astype(dtype)
    a[0, 0] = np.inf
    delta = np.asarray(-0.7, dtype=dtype)
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    loss = tg.mse_loss(x, y, reduction=reduction)
    assert loss.grad_fn.name == "MeanSquaredError" and loss.dtype == dtype
    gx, gy = tg.autograd.grad(loss, [x, y], delta)
    d = x - y
    want = tg.mean(d * d) if reduction == "mean" else tg.sum(d * d)
    wx, wy = tg.autograd.grad(want, [x, y], delta)
    for got, expected in ((loss, want), (gx, wx), (gy, wy)):
        np.testing.assert_array_equal(got.data, expected.data)
        assert got.dtype == expected.dtype
    # (higher order: the adjoint recomputes x - y as ops under create_graph)
    p, q = (tg.tensor(rng.standard_normal((2, 3)), requires_grad=True) for _ in range(2))
    assert tg.gradgradcheck(lambda p, q: tg.mse_loss(p, q, reduction=reduction) * 3.0, (p, q))


@pytest.mark.parametrize(
    "kwargs", [{}, {"reduction": "sum"}, {"ignore_index": 1}, {"label_smoothing": 0.2}]
)
def test_cross_entropy_over_positions_is_one_op(kwargs: dict) -> None:
    """(N, C, d1, d2) logits with (N, d1, d2) targets: the fused op, classes along axis 1, its
    values and derivatives those of the rows moved last and flattened."""
    from tensorgrad.ops.losses import SoftmaxCrossEntropy

    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 4, 3, 2)), requires_grad=True)
    y = rng.integers(0, 4, (2, 3, 2))
    loss = F.cross_entropy(x, y, **kwargs)
    assert isinstance(loss._node, SoftmaxCrossEntropy)
    rows = tg.reshape(tg.moveaxis(x, 1, -1), (-1, 4))
    want = F.cross_entropy(rows, y.reshape(-1), **kwargs)
    np.testing.assert_allclose(loss.data, want.data, rtol=1e-14)
    (g,) = tg.autograd.grad(loss, [x])
    (w,) = tg.autograd.grad(want, [x])
    np.testing.assert_allclose(g.data, w.data, rtol=1e-13, atol=1e-16)
    assert tg.gradgradcheck(lambda t: F.cross_entropy(t, y, **kwargs), (x,))


@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3)])
@pytest.mark.parametrize("ignored", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_class_weighted_cross_entropy_is_one_op(shape, ignored, reduction) -> None:
    """Constant class weights (an array, or a Tensor with no gradient): the fused op with each
    row's weight, its values and derivatives those of the weighted nll of log_softmax; weights
    that require grad keep the composition (their gradient counts)."""
    from tensorgrad.ops.losses import SoftmaxCrossEntropy

    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal(shape), requires_grad=True)
    y = rng.integers(0, 4, shape[:1] + shape[2:])
    if ignored:
        y.reshape(-1)[1] = -100
    w = rng.uniform(0.5, 2.0, 4)
    for weight in (w, tg.tensor(w)):
        loss = F.cross_entropy(x, y, weight=weight, reduction=reduction)
        assert isinstance(loss._node, SoftmaxCrossEntropy)
        want = F.nll_loss(F.log_softmax(x, dim=1), y, weight=w, reduction=reduction)
        np.testing.assert_allclose(loss.data, want.data, rtol=1e-14)
        (g,) = tg.autograd.grad(loss, [x])
        (h,) = tg.autograd.grad(want, [x])
        np.testing.assert_allclose(g.data, h.data, rtol=1e-13, atol=1e-16)
    assert tg.gradgradcheck(lambda t: F.cross_entropy(t, y, weight=w, reduction=reduction), (x,))
    v = tg.tensor(rng.standard_normal(shape))
    _, tangent = tg.jvp(lambda t: F.cross_entropy(t, y, weight=w), (x,), (v,))
    _, direct = tg.jvp(lambda t: F.nll_loss(F.log_softmax(t, dim=1), y, weight=w), (x,), (v,))
    np.testing.assert_allclose(tangent.data, direct.data, rtol=1e-13)
    learned = tg.tensor(w, requires_grad=True)
    assert not isinstance(F.cross_entropy(x, y, weight=learned)._node, SoftmaxCrossEntropy)


def _torch_like_ce_grad(x: np.ndarray, y: np.ndarray, w: np.ndarray, reduction: str) -> tuple:
    """cross_entropy's loss and logits gradient composed by hand (log_softmax, weighted picks,
    the weighted mean), in float64, as torch computes them."""
    with np.errstate(all="ignore"):
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(len(y))
        wy = w[y]
        total = wy.sum() if reduction == "mean" else 1.0
        loss = -(wy * logp[rows, y]).sum() / total
        g = np.exp(logp) * (wy / total)[:, None]
        g[rows, y] -= wy / total
    return loss, g


@pytest.mark.parametrize(
    ("weight", "reduction"),
    [
        ([np.nan, 1.0, 1.0], "mean"),
        ([np.inf, 1.0, 1.0], "sum"),
        ([np.inf, 1.0, 1.0], "mean"),
        ([0.0, 1.0, 1.0], "mean"),
    ],
)
def test_class_weights_out_of_the_ordinary_give_torchs_nan_patterns(weight, reduction) -> None:
    # (the fused op read a NaN mean scale as "nothing counted", with zero slopes: a NaN or inf
    # weight gave zeros where torch's gradient is NaN; a zero-weight row with NaN logits counts,
    # NaN, where a mask of nonzero weights would have dropped it)
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    if weight[0] == 0.0:
        x[0] = np.nan
    y, w = np.array([0, 1]), np.array(weight)
    xt = tg.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = F.cross_entropy(xt, y, weight=w, reduction=reduction)
        loss.backward()
    want, g = _torch_like_ce_grad(x, y, w, reduction)
    np.testing.assert_array_equal(np.isnan(loss.data), np.isnan(want))
    np.testing.assert_array_equal(np.isnan(xt.grad.data), np.isnan(g))
    np.testing.assert_allclose(xt.grad.data[~np.isnan(g)], g[~np.isnan(g)], rtol=1e-12)


@pytest.mark.parametrize("weight", [None, np.array([1.0, 2.0, 3.0])], ids=["plain", "weighted"])
def test_an_ignored_row_with_minus_inf_logits_is_silent(weight) -> None:
    # (the fused op multiplied each row's pick by its weight, 0 for an ignored row: -inf * 0
    # warned, though the row is summed out)
    x = tg.tensor([[-np.inf, 0.0, 1.0], [1.0, 0.0, -0.5]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(x, np.array([-100, 1]), weight=weight)
        loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.data).all()


def test_float16_class_weighted_cross_entropy_is_computed_in_float32() -> None:
    # (as the unweighted op and the composition: weights in float32, rounded once at the end)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 5)).astype(np.float16)
    y = rng.integers(0, 5, 6)
    w = rng.uniform(0.5, 2.0, 5)
    xt = tg.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, y, weight=w)
    loss.backward()
    wide = tg.tensor(x.astype(np.float32), requires_grad=True)
    want = F.nll_loss(F.log_softmax(wide, dim=1), y, weight=w.astype(np.float32))
    want.backward()
    assert loss.dtype == np.float16 and xt.grad.dtype == np.float16
    assert loss.item() == np.float16(want.item())
    np.testing.assert_array_equal(xt.grad.data, wide.grad.data.astype(np.float16))


def test_a_zero_weight_row_with_nan_logits_counts_beside_ignored_rows() -> None:
    # (torch: its loss term is 0 * NaN, NaN; an ignored row is the only one left out)
    x = tg.tensor([[np.nan, 0.0, 1.0], [1.0, 0.0, -0.5], [2.0, 1.0, 0.0]], requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = F.cross_entropy(x, np.array([0, 1, -100]), weight=np.array([0.0, 1.0, 1.0]))
        loss.backward()
    assert np.isnan(loss.item())
    assert np.isnan(x.grad.data[0]).all() and np.isfinite(x.grad.data[1:]).all()


def test_bce_takes_python_numbers_and_refuses_integer_logits() -> None:
    # (a Python float reached the op's forward as a float: an internal AttributeError; integer
    # logits failed inside NumPy's exp; torch refuses them)
    assert F.binary_cross_entropy_with_logits(0.0, 0.0).item() == pytest.approx(np.log(2))
    assert F.binary_cross_entropy_with_logits([0.5], [1.0]).dtype == np.float64
    for logits in (1, np.array([1]), np.array([True])):
        with pytest.raises(TypeError, match="input \\(logits\\) must be floating point"):
            F.binary_cross_entropy_with_logits(logits, np.array([0.0]))


# ----------------------------------------------------------------------------- pinned by mutants
# (each of these survived a mutant of ops/losses.py that the rest of the suite missed; the
# references are written out in NumPy)

X = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
Y = np.array([0, 2])


def _log_softmax(x: np.ndarray) -> np.ndarray:
    s = x - x.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("create_graph", [False, True])
def test_label_smoothed_cross_entropy_gradient_is_softmax_minus_the_smoothed_target(
    create_graph: bool,
) -> None:
    eps, c = 0.2, X.shape[1]
    smoothed = (1 - eps) * np.eye(c)[Y] + eps / c
    want_loss = -(smoothed * _log_softmax(X)).sum(axis=1).mean()
    want_grad = (np.exp(_log_softmax(X)) - smoothed) / len(Y)
    x = tg.tensor(X, requires_grad=True)
    loss = F.cross_entropy(x, Y, label_smoothing=eps)
    (g,) = tg.autograd.grad(loss, [x], create_graph=create_graph)
    assert loss.item() == pytest.approx(want_loss, rel=1e-14)
    np.testing.assert_allclose(g.data, want_grad, rtol=1e-13, atol=1e-16)


def test_probability_targets_with_smoothing_and_class_weights() -> None:
    p = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])
    w = np.array([1.0, 2.0, 3.0])
    eps, c = 0.3, 3
    logp = _log_softmax(X)
    smoothed = p * (1 - eps) + eps / c
    assert F.cross_entropy(X, p, label_smoothing=eps).item() == pytest.approx(
        -(smoothed * logp).sum(axis=1).mean(), rel=1e-14
    )
    assert F.cross_entropy(X, p, weight=w).item() == pytest.approx(
        -(w * p * logp).sum(axis=1).mean(), rel=1e-14
    )


def test_bce_with_logits_weight_and_mse_target_tangent() -> None:
    z, t, w = np.array([1.0, -2.0, 0.5]), np.array([1.0, 0.0, 1.0]), np.array([1.0, 2.0, 3.0])
    pointwise = np.logaddexp(0, z) - t * z
    assert F.binary_cross_entropy_with_logits(z, t, weight=w).item() == pytest.approx(
        (w * pointwise).mean(), rel=1e-14
    )
    # d/dt of mean((x - t) ** 2) along u is -2 mean((x - t) u)
    x, t0 = np.array([1.0, 2.0]), np.array([0.5, 0.0])
    _, tangent = tg.jvp(lambda q: F.mse_loss(tg.tensor(x), q), (t0,), (np.ones(2),))
    assert tangent.item() == pytest.approx(-2 * np.mean(x - t0), rel=1e-15)
