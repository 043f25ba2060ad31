"""Every op in the registry against central finite differences in float64.

First order: the vector-Jacobian product for a random cotangent (never all ones), the tangent
rule along a random direction, and their agreement <u, vjp(v)> == <jvp(u), v>. Second order:
the gradient computed with ``create_graph=True`` is differentiated again, in the inputs and in
the cotangent, and so is the tangent from ``jvp`` (reverse over forward, as ``hvp`` does), and
the gradient's own tangent is taken (forward over reverse), as is the tangent's (forward over
forward), all compared with finite differences.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tests.op_specs import NO_SPEC_NEEDED, REGISTRY, OpSpec

EPS = 1e-6


def _bind(spec: OpSpec, args: list[Any], kwargs: dict[str, Any], wrt: tuple[int, ...]):
    def f(*xs: Any) -> tg.Tensor:
        full = list(args)
        for i, x in zip(wrt, xs):
            full[i] = x
        return spec.fn(*full, **kwargs)

    return f


def _draw(spec: OpSpec, data: Any):
    args, kwargs = spec.draw(data)
    if spec.valid is not None:
        assume(spec.valid(args, kwargs))
    wrt = spec.positions(args)
    for a in args:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False  # the op must not write into its inputs
    return args, kwargs, wrt, _bind(spec, args, kwargs, wrt)


def _value(f, xs: list[np.ndarray]) -> np.ndarray:
    return np.asarray(f(*[tg.from_numpy(np.asarray(x)) for x in xs]).data, dtype=np.float64)


def _fd_gradient(f, xs: list[np.ndarray], v: np.ndarray) -> list[np.ndarray]:
    """d<v, f(xs)>/dxs by central differences."""
    grads = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for k in range(x.size):
            shifted = [y.copy() for y in xs]
            shifted[i].reshape(-1)[k] += EPS
            plus = np.sum(v * _value(f, shifted))
            shifted[i].reshape(-1)[k] -= 2 * EPS
            minus = np.sum(v * _value(f, shifted))
            g.reshape(-1)[k] = (plus - minus) / (2 * EPS)
        grads.append(g)
    return grads


# Arrays an op may keep after backward: parameters of the size of its inputs' batch or window
# at most, which the user usually holds anyway. Anything larger that only the rules read
# belongs in the op's ``frees`` (a kept loss would otherwise hold it).
KEPT_AFTER_BACKWARD = {
    ("AvgPool2d", "divisor"),  # the (Ho, Wo) window counts
    ("AdaptiveAvg", "rows"),  # (Ho,) or (H,) window starts and ends
    ("AdaptiveAvg", "cols"),  # (Wo,) or (W,) window starts and ends
    ("AdaptiveAvg", "before"),  # the (Ho, Wo) window sizes
    ("AdaptiveAvg", "after"),
    ("EmbeddingGather", "index"),  # the indices the user passed
    ("SoftmaxCrossEntropy", "target"),  # (N,) class indices
    ("SoftmaxCrossEntropy", "keep"),  # (N,) weights of the counted rows
    ("SoftmaxCrossEntropy", "counted"),  # (N,) which rows count (some ignored)
}


def _arrays_kept(out: tg.Tensor) -> set[tuple[str, str]]:
    """(op, attribute) of every array an op in ``out``'s graph still keeps in an attribute."""
    kept = set()
    seen: set[int] = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or isinstance(node, tg.Tensor) or id(node) in seen:
            continue
        seen.add(id(node))
        assert node.released, f"{node.name} was not released by a backward through it"
        for name in type(node)._param_slots:
            value = getattr(node, name, None)
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, np.ndarray) and item.size > 1:
                    kept.add((node.name, name))
        stack.extend(node.edges)
    return kept


def _close(actual: Any, expected: np.ndarray, spec: OpSpec, what: str) -> None:
    actual = np.asarray(getattr(actual, "data", actual), dtype=np.float64)
    assert actual.shape == np.shape(expected), f"{spec.name}: {what} shape {actual.shape}"
    np.testing.assert_allclose(
        actual, expected, atol=spec.atol, rtol=spec.rtol, err_msg=f"{spec.name}: {what}"
    )


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
@given(data=st.data())
def test_first_order(spec: OpSpec, data: Any) -> None:
    args, kwargs, wrt, f = _draw(spec, data)
    xs = [np.asarray(args[i]) for i in wrt]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="rng"))
    leaves = [tg.from_numpy(x, requires_grad=True) for x in xs]
    out = f(*leaves)
    v = np.asarray(rng.standard_normal(out.shape))
    us = [np.asarray(rng.standard_normal(x.shape)) for x in xs]

    # reverse mode against finite differences, random cotangent
    grads = tg.autograd.grad(out, leaves, grad_outputs=v, retain_graph=True, allow_unused=True)
    expected = _fd_gradient(f, xs, v)
    for i, (g, e) in enumerate(zip(grads, expected)):
        _close(np.zeros_like(e) if g is None else g, e, spec, f"vjp wrt input {wrt[i]}")
        if g is not None:
            assert g.dtype == xs[i].dtype and g.shape == xs[i].shape

    # one input at a time requiring grad (an op then saves only what that rule needs)
    if len(xs) > 1:
        for i, g in enumerate(grads):
            alone = [tg.from_numpy(x, requires_grad=(j == i)) for j, x in enumerate(xs)]
            out_i = f(*alone)
            gi = None
            if out_i.requires_grad:
                (gi,) = tg.autograd.grad(out_i, [alone[i]], grad_outputs=v, allow_unused=True)
            zero = np.zeros_like(xs[i])
            want = zero if g is None else np.asarray(g.data)
            _close(zero if gi is None else gi, want, spec, f"vjp wrt input {wrt[i]} alone")

    # reentrant: a second backward through the retained graph gives the same result
    again = tg.autograd.grad(out, leaves, grad_outputs=v, allow_unused=True)
    for g1, g2 in zip(grads, again):
        if g1 is not None:
            np.testing.assert_array_equal(g1.data, g2.data)
    # ...which freed what the rules needed, saved or kept by the ops themselves
    assert _arrays_kept(out) <= KEPT_AFTER_BACKWARD, f"{spec.name}: kept after backward"

    # forward mode against finite differences along u
    value, tangent = tg.jvp(f, [tg.from_numpy(x) for x in xs], [tg.from_numpy(u) for u in us])
    plus = _value(f, [x + EPS * u for x, u in zip(xs, us)])
    minus = _value(f, [x - EPS * u for x, u in zip(xs, us)])
    _close(tangent, (plus - minus) / (2 * EPS), spec, "jvp")
    _close(value, np.asarray(out.data), spec, "jvp primal output")

    # the tangent is linear in u: d<v, J u>/du = vjp(v) (the tangent rules run on Tensors
    # that require grad, and their ops' own adjoint rules)
    directions = [tg.from_numpy(u, requires_grad=True) for u in us]
    _, tangent_u = tg.jvp(f, [tg.from_numpy(x) for x in xs], directions)
    if tangent_u.requires_grad:
        by_u = tg.autograd.grad((tangent_u * v).sum(), directions, allow_unused=True)
        for i, (h, e) in enumerate(zip(by_u, expected)):
            _close(np.zeros_like(e) if h is None else h, e, spec, f"d<v, J u>/du {wrt[i]}")
    else:
        for e in expected:
            _close(np.zeros_like(e), e, spec, "d<v, J u>/du of a tangent that ignores u")

    # the adjoint and tangent rules are transposes of each other
    lhs = sum(float(np.sum(u * (0 if g is None else g.data))) for u, g in zip(us, grads))
    rhs = float(np.sum(np.asarray(tangent.data) * v))
    assert np.isclose(lhs, rhs, rtol=1e-8, atol=1e-9), f"{spec.name}: <u, vjp v> != <jvp u, v>"


@pytest.mark.parametrize("spec", [s for s in REGISTRY if s.order >= 2], ids=lambda s: s.name)
@given(data=st.data())
def test_second_order(spec: OpSpec, data: Any) -> None:
    args, kwargs, wrt, f = _draw(spec, data)
    xs = [np.asarray(args[i]) for i in wrt]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="rng"))
    v = rng.standard_normal(np.shape(_value(f, xs)))
    us = [rng.standard_normal(x.shape) for x in xs]
    ws = [rng.standard_normal(x.shape) for x in xs]

    def gradient(arrays: list[np.ndarray], create_graph: bool):
        leaves = [tg.from_numpy(np.asarray(a), requires_grad=True) for a in arrays]
        out = f(*leaves)
        if not out.requires_grad:
            return leaves, [None] * len(leaves)
        gs = tg.autograd.grad(
            out, leaves, grad_outputs=v, create_graph=create_graph, allow_unused=True
        )
        return leaves, gs

    def w_dot_grad(arrays: list[np.ndarray]) -> float:
        _, gs = gradient(arrays, False)
        return sum(float(np.sum(w * g.data)) for w, g in zip(ws, gs) if g is not None)

    leaves, gs = gradient(xs, True)
    s = sum(((g * w).sum() for g, w in zip(gs, ws) if g is not None and g.requires_grad), 0.0)
    if isinstance(s, tg.Tensor) and s.requires_grad:
        hw = tg.autograd.grad(s, leaves, allow_unused=True)
        analytic = sum(float(np.sum(u * h.data)) for u, h in zip(us, hw) if h is not None)
    else:
        analytic = 0.0  # the gradient does not depend on the inputs (a linear op)
    plus = w_dot_grad([x + EPS * u for x, u in zip(xs, us)])
    minus = w_dot_grad([x - EPS * u for x, u in zip(xs, us)])
    numeric = (plus - minus) / (2 * EPS)
    assert np.isclose(analytic, numeric, atol=spec.atol, rtol=spec.rtol), (
        f"{spec.name}: second order u.H.w analytic {analytic!r} vs numerical {numeric!r}"
    )

    # the gradient is linear in the cotangent: d<w, vjp(v)>/dv = J w (a rule that detached its
    # delta under create_graph passed every check above)
    leaves = [tg.from_numpy(np.asarray(x), requires_grad=True) for x in xs]
    out = f(*leaves)
    if out.requires_grad:
        cotangent = tg.from_numpy(np.asarray(v), requires_grad=True)
        gs = tg.autograd.grad(
            out, leaves, grad_outputs=cotangent, create_graph=True, allow_unused=True
        )
        s = sum(((g * w).sum() for g, w in zip(gs, ws) if g is not None), 0.0)
        dv = None
        if isinstance(s, tg.Tensor) and s.requires_grad:
            (dv,) = tg.autograd.grad(s, [cotangent], allow_unused=True)
        plus = _value(f, [x + EPS * w for x, w in zip(xs, ws)])
        minus = _value(f, [x - EPS * w for x, w in zip(xs, ws)])
        j_w = (plus - minus) / (2 * EPS)
        _close(np.zeros_like(j_w) if dv is None else dv, j_w, spec, "d<w, vjp(v)>/dv")

    # one input at a time requiring grad (an op saving only what that rule needs): the second
    # derivative in that input, and the gradient's derivative in the cotangent
    if len(xs) > 1:
        for i in range(len(xs)):
            _second_order_alone(spec, f, xs, i, v, us[i], ws[i])

    # reverse over forward (the way tg.hvp works): differentiate the tangent <v, J w>
    leaves = [tg.from_numpy(np.asarray(x), requires_grad=True) for x in xs]
    _, tangent = tg.jvp(f, leaves, [tg.from_numpy(w) for w in ws])
    directional = (tangent * v).sum()
    if directional.requires_grad:
        hw = tg.autograd.grad(directional, leaves, allow_unused=True)
        over_forward = sum(float(np.sum(u * h.data)) for u, h in zip(us, hw) if h is not None)
    else:
        over_forward = 0.0
    assert np.isclose(over_forward, numeric, atol=spec.atol, rtol=spec.rtol), (
        f"{spec.name}: reverse over forward u.H.w {over_forward!r} vs numerical {numeric!r}"
    )

    # forward over forward: the tangent of <v, J w> along u
    def v_dot_jw(*inputs: tg.Tensor) -> tg.Tensor:
        _, t = tg.jvp(f, inputs, [tg.from_numpy(w) for w in ws])
        return (t * v).sum()

    _, tangent = tg.jvp(v_dot_jw, [tg.from_numpy(x) for x in xs], [tg.from_numpy(u) for u in us])
    over_forward_twice = float(tangent.data)
    assert np.isclose(over_forward_twice, numeric, atol=spec.atol, rtol=spec.rtol), (
        f"{spec.name}: forward over forward u.H.w {over_forward_twice!r} vs numerical {numeric!r}"
    )

    # forward over reverse: the tangent of <w, vjp(v)> along u (the adjoint ops' tangent rules)
    def w_dot_vjp(*inputs: tg.Tensor) -> tg.Tensor:
        out = f(*inputs)
        if not out.requires_grad:
            return tg.tensor(0.0)
        gs = tg.autograd.grad(out, list(inputs), v, create_graph=True, allow_unused=True)
        return sum(((g * w).sum() for g, w in zip(gs, ws) if g is not None), tg.tensor(0.0))

    leaves = [tg.from_numpy(np.asarray(x), requires_grad=True) for x in xs]
    _, tangent = tg.jvp(w_dot_vjp, leaves, [tg.from_numpy(u) for u in us])
    over_reverse = float(tangent.data)
    assert np.isclose(over_reverse, numeric, atol=spec.atol, rtol=spec.rtol), (
        f"{spec.name}: forward over reverse u.H.w {over_reverse!r} vs numerical {numeric!r}"
    )


def _second_order_alone(
    spec: OpSpec, f: Any, xs: list, i: int, v: np.ndarray, u: np.ndarray, w: np.ndarray
) -> None:
    """``test_second_order``'s u.H.w and d<w, vjp(v)>/dv checks with input ``i`` alone
    requiring grad (the others constants)."""

    def inputs(x_i: np.ndarray, grad: bool) -> list:
        return [
            tg.from_numpy(np.asarray(x_i if j == i else x), requires_grad=grad and j == i)
            for j, x in enumerate(xs)
        ]

    def w_dot_grad(x_i: np.ndarray) -> float:
        ins = inputs(x_i, True)
        out = f(*ins)
        if not out.requires_grad:
            return 0.0
        (g,) = tg.autograd.grad(out, [ins[i]], grad_outputs=v, allow_unused=True)
        return 0.0 if g is None else float(np.sum(w * g.data))

    numeric = (w_dot_grad(xs[i] + EPS * u) - w_dot_grad(xs[i] - EPS * u)) / (2 * EPS)
    ins = inputs(xs[i], True)
    out = f(*ins)
    analytic, dv = 0.0, None
    if out.requires_grad:
        cotangent = tg.from_numpy(np.asarray(v), requires_grad=True)
        (g,) = tg.autograd.grad(
            out, [ins[i]], grad_outputs=cotangent, create_graph=True, allow_unused=True
        )
        if g is not None:
            s = (g * w).sum()
            if s.requires_grad:
                h, dv = tg.autograd.grad(s, [ins[i], cotangent], allow_unused=True)
                analytic = 0.0 if h is None else float(np.sum(u * h.data))
    assert np.isclose(analytic, numeric, atol=spec.atol, rtol=spec.rtol), (
        f"{spec.name}: input {i} alone, u.H.w {analytic!r} vs numerical {numeric!r}"
    )
    shifted = [np.asarray(x) for x in xs]
    plus = _value(f, shifted[:i] + [shifted[i] + EPS * w] + shifted[i + 1 :])
    minus = _value(f, shifted[:i] + [shifted[i] - EPS * w] + shifted[i + 1 :])
    j_w = (plus - minus) / (2 * EPS)
    _close(np.zeros_like(j_w) if dv is None else dv, j_w, spec, f"input {i} alone, d/dv")


def _op_classes() -> list[type]:
    """Every Op subclass the package defines (its modules imported first)."""
    import pkgutil

    from tensorgrad.ops._base import Op

    for info in pkgutil.walk_packages(tg.__path__, "tensorgrad."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found, stack = [], [Op]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.append(sub)
                stack.append(sub)
    return found


# Rules the registry cannot reach, each checked elsewhere: (class, rule) -> where.
REACHED_ELSEWHERE = {
    ("SetItem", "forward"): "x[i] = y, no public function: tests/test_inplace.py (gradcheck)",
    ("SetItem", "generate_adjoints"): "tests/test_inplace.py (gradcheck, gradgradcheck)",
    ("SetView", "forward"): "a write into a view: tests/test_inplace.py (gradcheck)",
    ("SetView", "generate_adjoints"): "tests/test_inplace.py (gradcheck, gradgradcheck)",
    ("_EmptyMean", "forward"): "a loss's mean over no rows: tests/ops/test_losses.py",
    (
        "CofactorDerivative",
        "generate_adjoints",
    ): "det's third derivatives: tests/ops/test_lapack.py",
    ("CofactorDerivative", "jvp"): "det's third derivatives: tests/ops/test_lapack.py",
    ("_ThirdOrder", "generate_adjoints"): "raises: tests/ops/test_linalg.py (third derivatives)",
    ("_ThirdOrder", "jvp"): "raises: tests/ops/test_linalg.py (third derivatives)",
    ("_Once", "forward"): "once_differentiable: tests/autograd/test_function.py",
    ("_Once", "generate_adjoints"): "raises: tests/autograd/test_function.py",
    ("_Once", "jvp"): "raises: tests/autograd/test_function.py",
}

_RULES = ("forward", "generate_adjoints", "jvp")


def _recording(rule: Any, key: tuple, hits: set) -> Any:
    def recorded(*args: Any, **kwargs: Any) -> Any:
        hits.add(key)
        return rule(*args, **kwargs)

    return recorded


def _few_draws(inner: Any, spec: OpSpec) -> Any:
    @settings(max_examples=3, derandomize=True, database=None)
    @given(data=st.data())
    def run(data: Any) -> None:
        inner(spec=spec, data=data)

    return run


def test_registry_reaches_every_op_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every forward, adjoint and tangent rule a differentiable Op class defines runs in the
    registry's checks (first and second order, both modes, a few draws per spec), whichever
    class runs it (an inherited rule counts once any subclass runs it): a rule no spec
    reaches, defined anywhere in the package, fails here, whatever its op's name."""
    hits: set = set()
    defined = []
    for cls in _op_classes():
        for rule in _RULES:
            fn = cls.__dict__.get(rule)
            if cls.differentiable and callable(fn) and not isinstance(fn, staticmethod):
                key = (cls.__name__, rule)
                defined.append((f"{cls.__module__}.{cls.__name__}.{rule}", key))
                monkeypatch.setattr(cls, rule, _recording(fn, key, hits))
    for spec in REGISTRY:
        checks = [test_first_order] + ([test_second_order] if spec.order >= 2 else [])
        for check in checks:
            _few_draws(check.hypothesis.inner_test, spec)()
    missing = [name for name, key in defined if key not in hits and key not in REACHED_ELSEWHERE]
    assert not missing, f"no registry spec runs: {missing}"


def _linalg_names() -> set[str]:
    """tg.linalg's ops, by the names the registry gives them (its norm, matmul and tensordot
    are tg's own; matrix_rank counts, without a gradient)."""
    skip = {"norm", "matmul", "tensordot", "matrix_rank"}
    return {f"linalg.{n}" for n in tg.linalg.__all__ if n not in skip and not n.endswith("Result")}


def _packing_names() -> set[str]:
    """tg.nn.utils.rnn's functions, by the names the registry gives them (their place)."""
    from tensorgrad.nn.utils import rnn

    return {f"nn.utils.rnn.{n}" for n in rnn.__all__ if n != "PackedSequence"}


def _public_differentiable() -> set[str]:
    names = set(tg.ops.OPS) | _linalg_names() | _packing_names()
    try:
        import tensorgrad.nn.functional as F

        names |= {n for n in getattr(F, "__all__", []) if callable(getattr(F, n))}
    except ImportError:
        pass
    return names - NO_SPEC_NEEDED


def test_registry_complete() -> None:
    """A public differentiable op without a spec fails here: it cannot skip its check."""
    specced = {s.name for s in REGISTRY}
    missing = sorted(_public_differentiable() - specced)
    assert not missing, f"ops without an OpSpec in tests/op_specs.py: {missing}"


def _internal(name: str) -> bool:
    """Whether ``name`` is ``ops.<module>.<function>``, a function of the package that no
    public name reaches as it is (the recurrent layers' time loops): specced under its place."""
    module, _, function = name.rpartition(".")
    if not module.startswith("ops."):
        return False
    try:
        return callable(getattr(importlib.import_module(f"tensorgrad.{module}"), function, None))
    except ImportError:
        return False


def test_registry_names_are_public() -> None:
    # (a custom function's node, specced through an example: tests/op_specs.py)
    public = set(tg.ops.OPS) | _linalg_names() | _packing_names() | {"autograd.Function"}
    try:
        import tensorgrad.nn.functional as F

        public |= set(getattr(F, "__all__", []))
    except ImportError:
        pass
    unknown = sorted(n for n in {s.name for s in REGISTRY} - public if not _internal(n))
    assert not unknown, f"specs for names that are not public ops: {unknown}"


FLOAT64_RESULTS = {"cov", "corrcoef", "vander", "interp"}


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda s: s.name)
@given(data=st.data())
def test_float32_preserved(spec: OpSpec, data: Any) -> None:
    """float32 in gives float32 value and gradient out (no silent upcast)."""
    args, kwargs, wrt, f = _draw(spec, data)
    leaves = [tg.tensor(np.asarray(args[i]), dtype=np.float32, requires_grad=True) for i in wrt]
    out = f(*leaves)
    if spec.name in ("astype", "float_power"):
        # (astype's spec casts to float64, float_power computes in it: checked exactly in
        # test_arithmetic)
        assert out.dtype == np.float64
        return
    # (NumPy's own float64 results of float32 data: cov and corrcoef compute in float64 unless
    # given a dtype, vander in the dtype promoted with int, interp always; the gradients keep
    # the inputs' float32)
    want = np.float64 if spec.name in FLOAT64_RESULTS else np.float32
    assert out.dtype == want, f"{spec.name}: float32 input gave {out.dtype}"
    # forward mode too (reverse mode casts each adjoint back; a tangent rule's float64 helper
    # once made the tangents of maximum, max and 2.0 ** x float64)
    primals = tuple(leaf.detach() for leaf in leaves)
    ones = tuple(tg.ones(leaf.shape, dtype=np.float32) for leaf in leaves)
    _, tangent = tg.jvp(f, primals, ones)
    assert tangent.dtype == want, f"{spec.name}: float32 input gave a {tangent.dtype} tangent"
    if out.requires_grad:
        gs = tg.autograd.grad(
            out, leaves, grad_outputs=np.zeros(out.shape, np.float32), allow_unused=True
        )
        for g in gs:
            if g is not None:
                assert g.dtype == np.float32
                assert not np.any(g.data), f"{spec.name}: zero cotangent gave nonzero grads"
