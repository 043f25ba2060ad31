"""Argument checks of the normalisation ops (tensorgrad/ops/normalization.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F


def test_batch_norm_eval_refuses_complex_input() -> None:
    x = np.full((1,) * 33, 1j)
    stats = np.zeros(1), np.ones(1)
    with pytest.raises(TypeError, match="batch_norm: input holds dtype complex128"):
        F.batch_norm(x, *stats, training=False)


def test_batch_norm_eval_refuses_complex_running_statistics() -> None:
    x = np.zeros((0, 0))
    with pytest.raises(TypeError, match="batch_norm: running_var must hold numbers"):
        F.batch_norm(x, np.zeros(0), np.zeros(0, dtype=complex), training=False)


def test_batch_norm_of_integers_is_computed_in_float() -> None:
    # as layer_norm and NumPy's mean: integer input is normalised in float64 (torch refuses it)
    x = np.arange(4).reshape(2, 2, 1)
    mean, var = np.array([1.0, 2.0]), np.array([4.0, 0.25])
    y = F.batch_norm(x, mean, var, training=False, eps=0.0)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.data.ravel(), [-0.5, -2.0, 0.5, 2.0])
    trained = F.batch_norm(x, None, None, training=True)
    np.testing.assert_array_equal(
        trained.data, F.batch_norm(x * 1.0, None, None, training=True).data
    )


def test_batch_norm_checks_both_running_statistics_and_momentum_before_writing() -> None:
    # (a list or read-only running_var raised after running_mean was updated; momentum=None
    # raised "unsupported operand type(s)")
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    mean = tg.zeros(3)
    with pytest.raises(TypeError, match="running_var must be a Tensor or an ndarray, got list"):
        F.batch_norm(x, mean, [1.0, 1.0, 1.0], training=True)
    with pytest.raises(ValueError, match="running_var is read-only"):
        F.batch_norm(x, mean, tg.broadcast_to(tg.ones(1), (3,)), training=True)
    for momentum in (None, "0.1"):
        with pytest.raises(TypeError, match="momentum must be a number"):
            F.batch_norm(x, mean, tg.ones(3), training=True, momentum=momentum)
    np.testing.assert_array_equal(mean.data, 0.0)
    layer = tg.nn.BatchNorm1d(3)
    layer.running_var.data.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        layer(x)
    np.testing.assert_array_equal(layer.running_mean.data, 0.0)
    assert layer.num_batches_tracked.data == 0


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: F.batch_norm("x", None, None, training=True), "batch_norm: input holds str"),
        (
            lambda: F.batch_norm(tg.ones((4, 3)), None, None, np.array(["a"] * 3), training=True),
            "batch_norm: weight holds dtype <U1",
        ),
        (lambda: F.layer_norm("x", 3), "layer_norm: input holds str"),
        (
            lambda: F.layer_norm(tg.ones((4, 3)), 3, weight=np.array(["a"] * 3)),
            "layer_norm: weight holds dtype <U1",
        ),
        (
            lambda: F.layer_norm(tg.ones((4, 3)), 3, bias=np.ones(3) * 1j),
            "layer_norm: bias holds dtype complex128",
        ),
        (lambda: F.layer_norm(tg.ones((4, 3)), (3.7,)), "layer_norm: normalized_shape must be"),
        (lambda: F.layer_norm(tg.ones((4, 3)), None), "layer_norm: normalized_shape must be"),
    ],
)
def test_bad_arguments_are_named_by_the_function_and_argument(call, pattern) -> None:
    # (were a shape error for a string read as 0-d, "reshape"/"multiply"/"add: argument 1",
    # Python's "'NoneType' object is not iterable"; a normalized_shape of 3.7 was read as 3)
    with pytest.raises(TypeError, match=pattern):
        call()


def test_an_eps_that_is_not_a_number_is_named_and_changes_no_statistic() -> None:
    # (was Python's "could not convert string to float: 'x'")
    mean, var = tg.zeros(3), tg.ones(3)
    x = tg.tensor(np.arange(12.0).reshape(4, 3))
    with pytest.raises(TypeError, match="batch_norm: eps must be a number, got 'x'"):
        F.batch_norm(x, mean, var, training=True, eps="x")
    np.testing.assert_array_equal(mean.data, np.zeros(3))
    with pytest.raises(TypeError, match="layer_norm: eps must be a number, got None"):
        F.layer_norm(x, 3, eps=None)
    for make in (lambda: tg.nn.LayerNorm(3, eps="x"), lambda: tg.nn.BatchNorm1d(3, eps="x")):
        with pytest.raises(TypeError, match="Norm.*: eps must be a number"):
            make()


@pytest.mark.parametrize("eps", [-1.0, 0.0, -0.0])
def test_batch_norm_training_refuses_an_eps_that_is_not_positive(eps) -> None:
    # (it returned NaN with NumPy's sqrt warning; torch refuses it in training)
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    with pytest.raises(ValueError, match="batch_norm: eps must be positive during training"):
        F.batch_norm(x, None, None, training=True, eps=eps)
    layer = tg.nn.BatchNorm1d(3, eps=eps)
    with pytest.raises(ValueError, match="eps must be positive during training"):
        layer(x)
    assert np.all(layer.running_mean.data == 0) and layer.num_batches_tracked.item() == 0
    if eps == 0.0:  # (in eval, as torch: the running variance is 1)
        assert np.isfinite(layer.eval()(x).data).all()


def test_batch_norm_in_eval_refuses_a_negative_eps_as_torch() -> None:
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    with pytest.raises(ValueError, match="batch_norm: eps must be non-negative, got -1.0"):
        F.batch_norm(x, tg.zeros(3), tg.ones(3), training=False, eps=-1.0)


@pytest.mark.parametrize(("shape", "normalized"), [((2, 0), (0,)), ((0, 3), (0, 3))])
def test_layer_norm_over_nothing_is_empty_without_warnings(shape, normalized) -> None:
    # (NumPy's 'Mean of empty slice' and 'invalid value' warnings, forward and backward)
    x = tg.zeros(shape, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.layer_norm(x, normalized)
        y.backward(tg.zeros(y.shape))
        _, tangent = tg.jvp(lambda t: F.layer_norm(t, normalized), (x.detach(),), (x.detach(),))
    assert y.shape == x.grad.shape == tangent.shape == shape


def test_float16_normalization_computes_its_statistics_in_float32() -> None:
    # (squares of deviations over 256 overflowed float16: every output and gradient was 0)
    a = np.array([[300.0, -300.0, 0.0, 100.0]], np.float16)
    want = (a - a.astype(np.float32).mean()) / np.sqrt(a.astype(np.float32).var() + 1e-5)
    x = tg.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.layer_norm(x, (4,))
        y.backward(tg.tensor(np.array([[1, 2, 3, 4]], np.float16)))
        z = F.batch_norm(tg.tensor(a.T.copy()), None, None, training=True)
    assert y.dtype == x.grad.dtype == z.dtype == np.float16
    np.testing.assert_allclose(y.data, want, rtol=2e-3)
    np.testing.assert_allclose(z.data.ravel(), want.ravel(), rtol=2e-3)
    assert np.all(x.grad.data != 0) and abs(float(x.grad.data.astype(np.float32).sum())) < 1e-3


def test_float16_layer_norm_of_a_byte_swapped_array_is_computed_in_float32() -> None:
    # (a '>f2' array is not == float16: its squares overflowed float16 at 256)
    x = np.array([[300.0, -200.0, 5.0]], np.float16)
    want = F.layer_norm(x, (3,)).data
    assert np.isfinite(want).all()
    np.testing.assert_array_equal(F.layer_norm(x.astype(">f2"), (3,)).data, want)


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_])
def test_batch_norm_training_refuses_running_statistics_it_cannot_hold(dtype) -> None:
    # (averages were written into integer arrays, truncated: var 0.625 became 0; torch refuses)
    x = tg.tensor([[0.0, 10.0], [2.0, 10.5], [4.0, 9.5]])
    rm, rv = np.zeros(2, dtype), np.ones(2, dtype)
    with pytest.raises(TypeError, match="batch_norm: running_mean has dtype"):
        F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    assert rm.tolist() == [0, 0] and rv.tolist() == [1, 1]
    F.batch_norm(x, rm, rv, training=False)  # (read only: taken)


def test_float16_batch_norm_in_eval_mode_computes_in_float32_as_torch() -> None:
    # (x - running_mean overflowed float16: inf where torch gives 285.8; 1 / sqrt(var + eps) in
    # float16 gave 316.0 for 316.2)
    x = tg.tensor(np.array([[60000.0, -60000.0]], np.float16), requires_grad=True)
    mean = np.array([-10000.0, 10000.0], np.float16)
    var = np.array([60000.0, 60000.0], np.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.batch_norm(x, mean, var)
        (g,) = tg.autograd.grad(y.sum(), [x])
    want = (70000 / np.sqrt(60000 + 1e-5)) * np.array([1, -1])
    assert y.dtype == np.float16 and g.dtype == np.float16
    np.testing.assert_array_equal(y.data[0], want.astype(np.float16))
    np.testing.assert_array_equal(g.data[0], np.float16(1 / np.sqrt(60000 + 1e-5)))
    ones = F.batch_norm(
        np.ones((1, 2), np.float16), np.zeros(2, np.float16), np.zeros(2, np.float16)
    )
    assert (ones.data == np.float16(1 / np.sqrt(1e-5))).all()


def test_float16_batch_norm_in_eval_mode_rounds_once_with_weight_and_bias() -> None:
    # (the normalised value was rounded to float16 before the weight and bias: 0.0 here where
    # torch and float64 give 0.001373)
    args = [np.array([v], np.float16) for v in (0.3945, 3.469, 0.8594, -5.145)]
    x = np.array([[11.55]], np.float16)
    y = F.batch_norm(tg.tensor(x), args[0], args[1], tg.tensor(args[2]), tg.tensor(args[3]))
    m, v, w, b = (a.astype(np.float64) for a in args)
    want = (x.astype(np.float64) - m) / np.sqrt(v + 1e-5) * w + b
    assert y.dtype == np.float16 and y.item() == np.float16(want.item()) != 0


@pytest.mark.parametrize("wide", [np.float32, np.float64])
def test_float16_batch_norm_in_eval_mode_keeps_the_promoted_dtype_of_wider_parameters(wide):
    # (the float32 path cast its result to float16 even for float32 parameters, where the
    # training path, and this one before, promote: a module's dtype changed with .eval())
    m = tg.nn.BatchNorm1d(3, dtype=wide)
    x = tg.tensor(np.ones((4, 3), np.float16))
    assert m(x).dtype == wide
    m.eval()
    assert m(x).dtype == wide
    y = F.batch_norm(x, np.zeros(3, np.float16), np.ones(3, np.float16), None, np.ones(3, wide))
    assert y.dtype == wide


# ----------------------------------------------------------------------------- group norm


def _group_norm_composed(x, g, weight=None, bias=None, eps=1e-5):
    """group_norm as it was composed before its fused op: Standardize over the (N, G, -1)
    view, then the affine."""
    from tensorgrad.ops.normalization import _standardize

    shape = x.shape
    y, _ = _standardize(tg.reshape(x, (shape[0], g, -1)), (2,), eps)
    y = tg.reshape(y, shape)
    bshape = (shape[1],) + (1,) * (len(shape) - 2)
    if weight is not None:
        y = y * tg.reshape(weight, bshape)
    if bias is not None:
        y = y + tg.reshape(bias, bshape)
    return y


@pytest.mark.parametrize("affine", ["none", "weight", "bias", "both"])
@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 2), 3), ((3, 4), 2), ((1, 4, 2, 2, 2), 4)])
def test_group_norm_fused_op_is_the_composition_to_every_order(shape, groups, affine) -> None:
    # (the spec draws no affine or both: a weight alone and a bias alone are checked here)
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.standard_normal(shape) * 2 + 1, requires_grad=True)
    c = shape[1]
    w = tg.tensor(rng.uniform(0.5, 1.5, c), requires_grad=True)
    b = tg.tensor(rng.standard_normal(c), requires_grad=True)
    w, b = (
        (w if affine in ("weight", "both") else None),
        (b if affine in ("bias", "both") else None),
    )
    ins = [t for t in (x, w, b) if t is not None]

    def split(args):
        it = iter(args)
        return (
            next(it),
            (next(it) if w is not None else None),
            (next(it) if b is not None else None),
        )

    def fused(*args):
        return F.group_norm(args[0], groups, *split(args)[1:])

    def composed(*args):
        return _group_norm_composed(args[0], groups, *split(args)[1:])

    y, want = fused(*ins), composed(*ins)
    np.testing.assert_allclose(y.data, want.data, rtol=1e-12, atol=1e-13)
    delta = rng.standard_normal(shape)
    got = tg.autograd.grad(y, ins, delta, create_graph=True)
    ref = tg.autograd.grad(want, ins, delta, create_graph=True)
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a.data, r.data, rtol=1e-11, atol=1e-12)
    probe = [rng.standard_normal(t.shape) for t in got]
    second = tg.autograd.grad(
        sum((a * p).sum() for a, p in zip(got, probe)), ins, materialize_grads=True
    )
    second_ref = tg.autograd.grad(
        sum((r * p).sum() for r, p in zip(ref, probe)), ins, materialize_grads=True
    )
    for a, r in zip(second, second_ref):
        np.testing.assert_allclose(a.data, r.data, rtol=1e-10, atol=1e-11)
    tangents = tuple(tg.tensor(rng.standard_normal(t.shape)) for t in ins)
    primals = tuple(t.detach() for t in ins)
    _, jv = tg.jvp(fused, primals, tangents)
    _, jv_ref = tg.jvp(composed, primals, tangents)
    np.testing.assert_allclose(jv.data, jv_ref.data, rtol=1e-11, atol=1e-12)
    assert tg.gradcheck(fused, ins) and tg.gradgradcheck(fused, ins)


def test_group_norm_float32_of_a_large_mean_is_exact_to_rounding() -> None:
    # (the mean is corrected by the mean of the rows it centred: at mean 50 the output was
    # 5.5 float32 ulps off float64, the weight's gradient 9, against 1 each now)
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 8, 16, 16)) + 50).astype(np.float32)
    w = rng.standard_normal(8).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    delta = rng.standard_normal(x.shape).astype(np.float32)

    def run(dtype):
        ins = [tg.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b)]
        y = F.group_norm(ins[0], 2, ins[1], ins[2])
        return [y.data] + [g.data for g in tg.autograd.grad(y, ins, delta.astype(dtype))]

    for got, want in zip(run(np.float32), run(np.float64)):
        assert got.dtype == np.float32
        err = np.abs(got - want).max() / np.abs(want).max()
        assert err < 3 * np.finfo(np.float32).eps, err


def test_group_norm_of_float16_or_mixed_dtypes_keeps_the_composition() -> None:
    x = np.random.default_rng(1).standard_normal((2, 4, 3))
    half = F.group_norm(x.astype(np.float16), 2, np.ones(4, np.float16), np.zeros(4, np.float16))
    assert half.dtype == np.float16
    want = _group_norm_composed(tg.tensor(x.astype(np.float16)), 2).data
    np.testing.assert_array_equal(half.data, want)
    mixed = F.group_norm(x.astype(np.float32), 2, np.ones(4), np.zeros(4))
    assert mixed.dtype == np.float64


def test_group_norm_agrees_with_torch_in_float32() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 8, 5, 4)).astype(np.float32)
    w, b = rng.standard_normal(8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    delta = rng.standard_normal(x.shape).astype(np.float32)
    ins = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.group_norm(ins[0], 4, ins[1], ins[2])
    grads = tg.autograd.grad(y, ins, delta)
    tins = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ty = torch.nn.functional.group_norm(tins[0], 4, tins[1], tins[2])
    tgrads = torch.autograd.grad(ty, tins, torch.tensor(delta))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    for g, t in zip(grads, tgrads):
        np.testing.assert_allclose(g.data, t.numpy(), rtol=1e-5, atol=1e-5)


def test_group_norm_of_arrays_returns_a_tensor() -> None:
    # (the fused op's apply returned its forward's ndarray for ndarray input)
    out = F.group_norm(np.arange(12.0).reshape(1, 4, 3), 2, np.ones(4), np.zeros(4))
    assert isinstance(out, tg.Tensor) and out.shape == (1, 4, 3)


def test_rms_norm_agrees_with_torch() -> None:
    """Values and gradients of x, weight within rounding of torch 2.13's, eps=None as torch's
    (float32's machine epsilon for float32 and float16, float64's for float64)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for dtype, tol in ((np.float64, 1e-13), (np.float32, 2e-5)):
        x = rng.standard_normal((3, 4, 5)).astype(dtype)
        x[0, 0] *= 1e-4  # (a small row: there eps matters)
        w = rng.standard_normal((4, 5)).astype(dtype)
        delta = rng.standard_normal(x.shape).astype(dtype)
        for eps in (None, 1e-3):
            for weight in (w, None):
                ins = [tg.tensor(a, requires_grad=True) for a in (x, weight) if a is not None]
                y = F.rms_norm(ins[0], (4, 5), ins[1] if len(ins) > 1 else None, eps)
                grads = tg.autograd.grad(y, ins, delta)
                tins = [torch.tensor(a, requires_grad=True) for a in (x, weight) if a is not None]
                ty = torch.rms_norm(tins[0], [4, 5], tins[1] if len(tins) > 1 else None, eps)
                tgrads = torch.autograd.grad(ty, tins, torch.tensor(delta))
                assert y.dtype == dtype
                np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=tol, atol=tol)
                for g, t in zip(grads, tgrads):
                    np.testing.assert_allclose(g.data, t.numpy(), rtol=tol, atol=tol)
    half = rng.standard_normal((2, 6)).astype(np.float16) * np.float16(0.01)
    want = torch.rms_norm(torch.tensor(half), [6]).numpy()
    np.testing.assert_array_equal(F.rms_norm(half, 6).data, want)  # (float32 inside, rounded once)
    # a wider weight: the input's dtype, as torch's
    assert F.rms_norm(x.astype(np.float32), (4, 5), w.astype(np.float64)).dtype == np.float32


def test_rms_norm_checks_its_arguments() -> None:
    x = tg.tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"rms_norm: input of shape \(2, 3\) does not end with"):
        F.rms_norm(x, 4)
    with pytest.raises(ValueError, match=r"rms_norm: weight must have shape \(3,\), got \(2,\)"):
        F.rms_norm(x, 3, np.ones(2))
    with pytest.raises(TypeError, match="rms_norm: normalized_shape must be an int"):
        F.rms_norm(x, 1.5)
    with pytest.raises(ValueError, match="rms_norm: input of shape"):
        F.rms_norm(x, ())
    assert F.rms_norm(np.ones((2, 3), np.int64), 3).dtype == np.float64
    assert F.rms_norm(np.ones((0, 3)), 3).shape == (0, 3)


def test_rms_norm_layer_as_torchs() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = tg.nn.RMSNorm((2, 3)), torch.nn.RMSNorm((2, 3))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert repr(ours) == "RMSNorm((2, 3), eps=None, elementwise_affine=True)" == repr(theirs)
    assert not list(tg.nn.RMSNorm(3, elementwise_affine=False).parameters())
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"RMSNorm.*expected input of shape \(\.\.\., 2, 3\)"):
        ours(np.ones((2, 3, 2)))


def test_instance_norm_agrees_with_torch_and_updates_running_statistics_as_torchs() -> None:
    torch = pytest.importorskip("torch")
    tnf = torch.nn.functional
    rng = np.random.default_rng(11)
    for shape in ((3, 4, 5), (2, 4, 3, 2)):
        x = rng.standard_normal(shape)
        w, b, delta = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(shape)
        mean, var = rng.standard_normal(4), rng.uniform(0.5, 2.0, 4)
        ours, theirs = (mean.copy(), var.copy()), (torch.tensor(mean), torch.tensor(var))
        for use_input_stats in (True, False):
            ins = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
            y = F.instance_norm(ins[0], *ours, ins[1], ins[2], use_input_stats, 0.3)
            tins = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
            ty = tnf.instance_norm(tins[0], *theirs, tins[1], tins[2], use_input_stats, 0.3)
            np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=0, atol=1e-14)
            grads = tg.autograd.grad(y, ins, delta)
            tgrads = torch.autograd.grad(ty, tins, torch.tensor(delta))
            for g, t in zip(grads, tgrads):
                np.testing.assert_allclose(g.data, t.numpy(), rtol=0, atol=1e-13)
            for a, t in zip(ours, theirs):  # (the running statistics, as torch writes them)
                np.testing.assert_allclose(a, t.numpy(), rtol=0, atol=1e-15)
    x32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    want = tnf.instance_norm(torch.tensor(x32)).numpy()
    np.testing.assert_allclose(F.instance_norm(x32).data, want, rtol=0, atol=2e-6)


def test_instance_norm_checks_its_arguments_before_writing() -> None:
    x = tg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    mean, var = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match=r"instance_norm: expected more than 1 spatial element"):
        F.instance_norm(np.ones((2, 3, 1)), mean, var)
    with pytest.raises(ValueError, match=r"instance_norm: weight must have shape \(3,\)"):
        F.instance_norm(x, mean, var, np.ones(2))
    with pytest.raises(ValueError, match=r"instance_norm: running_var must have shape \(3,\)"):
        F.instance_norm(x, mean, np.ones(4))
    with pytest.raises(ValueError, match="instance_norm: running_mean and running_var must both"):
        F.instance_norm(x, mean)
    with pytest.raises(ValueError, match="instance_norm: use_input_stats=False needs running"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(TypeError, match="instance_norm: use_input_stats must be a bool"):
        F.instance_norm(x, use_input_stats="no")
    with pytest.raises(ValueError, match=r"instance_norm: input must be \(N, C, ...\)"):
        F.instance_norm(np.ones(3))
    assert not mean.any() and (var == 1).all()  # (nothing written by a refused call)
    assert F.instance_norm(np.arange(8).reshape(1, 2, 4)).dtype == np.float64
