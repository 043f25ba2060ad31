"""tg.autograd.functional: torch.autograd.functional's jacobian, hessian, vjp, jvp, hvp, vhp."""

from typing import Any

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import functional as AF

RNG = np.random.default_rng(0)
XN, YN = RNG.standard_normal(3), RNG.standard_normal(2)


def _pair(lib: Any) -> Any:
    """Two inputs, two outputs."""
    return lambda a, b: (lib.tanh(a).sum() * b, a * 2 + b.sum())


def _curved(lib: Any) -> Any:
    """Two inputs, one scalar output."""
    return lambda a, b: (lib.tanh(a) ** 2).sum() * b.sum() + (a**3).sum()


# (name, call(functional, lib, inputs converted)): inputs are (XN, YN) or XN
CASES = {
    "jacobian": (lambda F, lib, i: F.jacobian(_pair(lib), i), (XN, YN)),
    "jacobian_forward": (
        lambda F, lib, i: F.jacobian(_pair(lib), i, vectorize=True, strategy="forward-mode"),
        (XN, YN),
    ),
    "jacobian_one_input": (lambda F, lib, i: F.jacobian(lambda a: (a**3, a), i), XN),
    "jacobian_one_each": (lambda F, lib, i: F.jacobian(lambda a: a**3, i), XN),
    "jacobian_independent": (lambda F, lib, i: F.jacobian(lambda a, b: a * 2, i), (XN, YN)),
    "hessian": (lambda F, lib, i: F.hessian(_curved(lib), i), (XN, YN)),
    "hessian_forward": (
        lambda F, lib, i: F.hessian(
            _curved(lib), i, vectorize=True, outer_jacobian_strategy="forward-mode"
        ),
        (XN, YN),
    ),
    "hessian_one_input": (lambda F, lib, i: F.hessian(lambda a: (a**3).sum(), i), XN),
    "vjp": (lambda F, lib, i: F.vjp(_pair(lib), i, (i[1] * 1.5, i[0] - 1.0)), (XN, YN)),
    "vjp_default_v": (lambda F, lib, i: F.vjp(lambda a: (a**3).sum(), i), XN),
    "vjp_independent": (lambda F, lib, i: F.vjp(lambda a, b: a * 2, i, i[0]), (XN, YN)),
    "jvp": (lambda F, lib, i: F.jvp(_pair(lib), i, (i[0] + 1.0, i[1] * 3.0)), (XN, YN)),
    "jvp_default_v": (lambda F, lib, i: F.jvp(lambda a: a**3, i), np.array(2.0)),
    "hvp": (lambda F, lib, i: F.hvp(_curved(lib), i, (i[0] * 2.0, i[1] + 1.0)), (XN, YN)),
    "hvp_one_element": (
        lambda F, lib, i: F.hvp(lambda a: (a**3).sum().reshape(1), i, i * 0.5),
        XN,
    ),
    "hvp_linear": (lambda F, lib, i: F.hvp(lambda a: a.sum(), i, i), XN),
    "vhp": (lambda F, lib, i: F.vhp(_curved(lib), i, (i[0] * 2.0, i[1] + 1.0)), (XN, YN)),
    "vhp_linear": (lambda F, lib, i: F.vhp(lambda a: a.sum(), i, i), XN),
}


def _convert(value: Any, make: Any) -> Any:
    return tuple(make(v) for v in value) if isinstance(value, tuple) else make(value)


def _flat(result: Any) -> list[np.ndarray]:
    if isinstance(result, (tuple, list)):  # (torch's forward-mode jacobian gives lists)
        return [a for r in result for a in _flat(r)]
    return [result.data if isinstance(result, tg.Tensor) else result.detach().numpy()]


def _structure(result: Any) -> Any:
    if isinstance(result, (tuple, list)):
        return tuple(_structure(r) for r in result)
    return tuple(result.shape)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # (torch.jit's, in vectorize)
@pytest.mark.parametrize("name", sorted(CASES))
def test_results_are_torchs(name: str) -> None:
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as torch_functional

    call, inputs = CASES[name]
    ours = call(AF, tg, _convert(inputs, tg.tensor))
    theirs = call(torch_functional, torch, _convert(inputs, torch.tensor))
    assert _structure(ours) == _structure(theirs)
    for a, b in zip(_flat(ours), _flat(theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_closed_forms_and_shapes() -> None:
    x, v = tg.tensor(XN), tg.tensor(YN[[0, 1, 0]])
    np.testing.assert_allclose(AF.jacobian(lambda a: a**3, x).data, np.diag(3 * XN**2))
    np.testing.assert_allclose(AF.hessian(lambda a: (a**3).sum(), x).data, np.diag(6 * XN))
    for fn in (AF.hvp, AF.vhp):
        value, hv = fn(lambda a: (a**3).sum(), x, v)
        np.testing.assert_allclose(value.data, (XN**3).sum())
        np.testing.assert_allclose(hv.data, 6 * XN * v.data)
    out, g = AF.vjp(lambda a: a**3, x, v)
    np.testing.assert_allclose(g.data, 3 * XN**2 * v.data)
    out, t = AF.jvp(lambda a: a**3, x, v)
    np.testing.assert_allclose(t.data, 3 * XN**2 * v.data)
    # torch's nesting: outputs outside, inputs inside; Hessians input by input
    jac = AF.jacobian(_pair(tg), (x, tg.tensor(YN)))
    assert _structure(jac) == (((2, 3), (2, 2)), ((3, 3), (3, 2)))
    hess = AF.hessian(_curved(tg), (x, tg.tensor(YN)))
    assert _structure(hess) == (((3, 3), (3, 2)), ((2, 3), (2, 2)))
    # an input the output does not use: zeros (strict=False)
    assert not AF.jacobian(lambda a, b: a * 2, (x, tg.tensor(YN)))[1].data.any()


@pytest.mark.parametrize(
    ("call", "second"),
    [
        (lambda x, cg: AF.jacobian(lambda a: a**3, x, create_graph=cg), False),
        (lambda x, cg: AF.hessian(lambda a: (a**3).sum(), x, create_graph=cg), True),
        (lambda x, cg: AF.vjp(lambda a: a**3, x, tg.ones(3), create_graph=cg)[1], False),
        (lambda x, cg: AF.jvp(lambda a: a**3, x, tg.ones(3), create_graph=cg)[1], False),
        (lambda x, cg: AF.hvp(lambda a: (a**3).sum(), x, tg.ones(3), create_graph=cg)[1], True),
        (lambda x, cg: AF.vhp(lambda a: (a**3).sum(), x, tg.ones(3), create_graph=cg)[1], True),
    ],
    ids=["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"],
)
def test_create_graph_records_and_otherwise_detaches(call: Any, second: bool) -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    plain = call(x, False)
    assert not plain.requires_grad and x.grad is None
    recorded = call(x, True)
    recorded.sum().backward()
    # the derivative of the result's sum: of 3x**2 (first derivatives of x**3) 6x; of 6x, 6
    np.testing.assert_allclose(x.grad.data, 6.0 if second else 6 * x.data)


def test_strict_refuses_what_no_computation_links() -> None:
    x, y = tg.tensor(XN), tg.tensor(YN)
    independent = "the output of the function is independent of input 1; strict=True"
    with pytest.raises(RuntimeError, match=independent):
        AF.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="output 1 of the function is independent of input 1"):
        AF.jacobian(lambda a, b: (a * b.sum(), a * 2), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="output 0 of the function does not require grad"):
        AF.jacobian(lambda a: tg.ones(2), x, strict=True)
    with pytest.raises(RuntimeError, match=independent):
        AF.vjp(lambda a, b: a * 2, (x, y), x, strict=True)
    with pytest.raises(RuntimeError, match=independent):
        AF.jvp(lambda a, b: a * 2, (x, y), (x, y), strict=True)
    linear = "the gradient with respect to input 0 is independent of the inputs"
    for fn in (AF.hvp, AF.vhp):
        with pytest.raises(RuntimeError, match=linear):
            fn(lambda a: a.sum(), x, x, strict=True)
    with pytest.raises(RuntimeError, match="gradient with respect to input 1 is independent"):
        AF.hessian(lambda a, b: (a**2).sum(), (x, y), strict=True)
    # what strict=True accepts is what strict=False computes
    np.testing.assert_array_equal(
        AF.jacobian(lambda a: a**3, x, strict=True).data, AF.jacobian(lambda a: a**3, x).data
    )


def test_bad_arguments_are_named() -> None:
    x = tg.tensor(XN)
    cases = [
        (lambda: AF.jacobian(lambda a: a, [x]), TypeError, "inputs must be a Tensor or a tuple"),
        (lambda: AF.vjp(lambda a, b: a, (x, 3.0)), TypeError, r"got inputs\[1\] a float"),
        (lambda: AF.jacobian(lambda a: a, tg.tensor([1, 2])), TypeError, "dtype int64"),
        (lambda: AF.jacobian(lambda a: 3, x), TypeError, "return a Tensor or a tuple of Tensors"),
        (lambda: AF.vjp(lambda a: a, x, tg.ones(2)), ValueError, r"v has shape \(2,\), the output"),
        (lambda: AF.jvp(lambda a: a, x, tg.ones(2)), ValueError, r"input has shape \(3,\)"),
        (lambda: AF.vjp(lambda a: (a, a), x, (x,)), ValueError, "a tuple of 2, got a tuple of 1"),
        (lambda: AF.vjp(lambda a: a, x), ValueError, "v may be None only when the function has"),
        (lambda: AF.jvp(lambda a: a, x), ValueError, "one input of one element"),
        (lambda: AF.hessian(lambda a: a, x), TypeError, r"one-element Tensor, got shape \(3,\)"),
        (lambda: AF.hvp(lambda a: a, x, x), TypeError, "hvp: the function must return a one-el"),
        (lambda: AF.jacobian(lambda a: a, x, strategy="x"), ValueError, "strategy must be"),
        (
            lambda: AF.jacobian(lambda a: a, x, strict=True, strategy="forward-mode"),
            ValueError,
            "strict=True needs strategy='reverse-mode'",
        ),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()
