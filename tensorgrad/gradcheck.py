"""``gradcheck`` and ``gradgradcheck``: analytic Jacobians against central finite differences.

Both run in float64 whatever the inputs' dtype (torch's warn and keep the dtype; single
precision is too coarse for central differences), and the test suite uses them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tensorgrad.tensor import Tensor, number_arg

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences."""


def _as_tuple(x: Any) -> tuple:
    if isinstance(x, (list, tuple)):
        return tuple(x)
    return (x,)


def _float64_inputs(inputs: Sequence[Any]) -> list[Any]:
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            # (a C-ordered copy, so that the flat view the differences perturb is the tensor
            # itself; np.ascontiguousarray would make a 0-d input 1-d)
            t = Tensor._make(np.array(x.data, dtype=np.float64, order="C"))
            out.append(t.requires_grad_(True) if x._requires_grad else t)
        else:
            out.append(x)
    return out


def _value(o: Any) -> Any:
    return o.data if isinstance(o, Tensor) else o


def _outputs(fn: Callable[..., Any], xs: Sequence[Any]) -> list[np.ndarray]:
    # (copies: an output may be a view of the input the next difference perturbs)
    return [np.array(_value(o), dtype=np.float64) for o in _as_tuple(fn(*xs))]


def numerical_jacobians(
    fn: Callable[..., Any], xs: Sequence[Any], wrt: Sequence[int], eps: float
) -> list[list[np.ndarray]]:
    """d out / d x[i] by central differences: ``[input][output]`` arrays of shape (out, in)."""
    sizes = [o.size for o in _outputs(fn, xs)]
    result = []
    for i in wrt:
        flat = xs[i].data.reshape(-1)
        per_out = [np.zeros((n, flat.size)) for n in sizes]  # (a zero-size one stays empty)
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = _outputs(fn, xs)
            flat[k] = orig - eps
            minus = _outputs(fn, xs)
            flat[k] = orig
            for o, (p, m) in enumerate(zip(plus, minus)):
                per_out[o][:, k] = ((p - m) / (2 * eps)).reshape(-1)
        result.append(per_out)
    return result


def analytic_jacobians(outs: list, xs: Sequence[Any], wrt: Sequence[int]) -> list[list[np.ndarray]]:
    """d out / d x[i] by reverse mode, one backward per output element (the graph retained):
    ``[input][output]`` arrays of shape (out, in)."""
    from tensorgrad.autograd import grad

    result = [[np.zeros((np.size(_value(o)), xs[i].size)) for o in outs] for i in wrt]
    for o_idx, out in enumerate(outs):
        if not isinstance(out, Tensor) or not out._requires_grad:
            continue
        for j in range(out.size):
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[j] = 1
            grads = grad(
                out, [xs[i] for i in wrt], grad_outputs=seed, retain_graph=True, allow_unused=True
            )
            for k, g in enumerate(grads):
                if g is not None:
                    result[k][o_idx][j] = g.data.reshape(-1)
    return result


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
) -> bool:
    """Check ``fn``'s gradients with respect to the inputs that require grad.

    As torch's: only outputs that require grad are compared (the others are declared
    constant); with none, every numerical derivative must be 0 (within ``nondet_tol``). A
    second backward must give the same Jacobian within ``nondet_tol``. Returns True, or raises
    ``GradcheckError`` naming the input, the worst entry (output index, input index) and both
    values; with ``raise_exception=False`` returns False instead.
    """
    return _check(fn, inputs, eps, atol, rtol, nondet_tol, raise_exception, "gradcheck")


def _check(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float,
    atol: float,
    rtol: float,
    nondet_tol: float,
    raise_exception: bool,
    caller: str,
    every_output: bool = False,
) -> bool:
    """gradcheck's work; ``caller`` names the public function in the errors; ``every_output``
    compares outputs that do not require grad too (their derivatives must be 0)."""
    # (a 0-d Tensor is read by its value even when it requires grad, as torch's gradcheck does)
    eps, atol, rtol, nondet_tol = (
        number_arg(v.data if isinstance(v, Tensor) else v, name, caller)
        for name, v in (("eps", eps), ("atol", atol), ("rtol", rtol), ("nondet_tol", nondet_tol))
    )
    # (a negative or NaN tolerance failed every comparison: a false mismatch; as torch, refused)
    for name, v in (("atol", atol), ("rtol", rtol), ("nondet_tol", nondet_tol)):
        if not v >= 0:
            raise ValueError(f"{caller}: {name} must be greater than or equal to zero, got {v!r}")
    if not (eps != 0 and math.isfinite(eps)):  # (a division by it; -eps is the same step)
        raise ValueError(f"{caller}: eps must be a nonzero finite step, got {eps!r}")
    xs = _float64_inputs(_as_tuple(inputs))
    wrt = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x._requires_grad]
    if not wrt:
        raise ValueError(f"{caller}: no input requires grad")
    try:
        _compare_jacobians(fn, xs, wrt, eps, atol, rtol, nondet_tol, caller, every_output)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _compare_jacobians(
    fn: Callable[..., Any],
    xs: list,
    wrt: list[int],
    eps: float,
    atol: float,
    rtol: float,
    nondet_tol: float,
    caller: str,
    every_output: bool,
) -> None:
    outs = list(_as_tuple(fn(*xs)))
    for out in outs:
        if np.asarray(_value(out)).dtype.kind not in "biuf":  # (a string, None, complex)
            raise TypeError(f"{caller}: fn must return Tensors, got {type(out).__name__}")
    live = [o for o, out in enumerate(outs) if isinstance(out, Tensor) and out._requires_grad]
    if every_output:
        live = list(range(len(outs)))
    analytic = analytic_jacobians(outs, xs, wrt)
    again = analytic_jacobians(outs, xs, wrt)  # (before the differences perturb the inputs)
    numeric = numerical_jacobians(fn, xs, wrt, eps)
    if not live:
        for k, i in enumerate(wrt):
            for o, n in enumerate(numeric[k]):
                if n.size and not np.abs(n).max() <= nondet_tol:
                    raise GradcheckError(
                        f"{caller}: no output requires grad, but the numerical derivative of "
                        f"output {o} with respect to input {i} is not 0 (largest "
                        f"{np.abs(n).max()!r})"
                    )
        return
    for k, i in enumerate(wrt):
        for o in live:
            _compare(analytic[k][o], numeric[k][o], atol, rtol, f"input {i}", f"output {o}", caller)
    for k, i in enumerate(wrt):
        for o in live:
            a, b = analytic[k][o], again[k][o]
            if a.size and not np.abs(a - b).max() <= nondet_tol:
                idx = np.unravel_index(int(np.argmax(np.abs(a - b))), a.shape)
                raise GradcheckError(
                    f"{caller}: backward is not reentrant: a second backward gives "
                    f"{b[idx]!r} where the first gave {a[idx]!r} for input {i} (output {o}, "
                    f"entry {tuple(int(j) for j in idx)}), more than nondet_tol={nondet_tol}"
                )


def _compare(
    a: np.ndarray, n: np.ndarray, atol: float, rtol: float, what: str, out: str, caller: str
) -> None:
    if a.shape != n.shape:
        raise GradcheckError(f"{caller}: Jacobian shapes differ for {what}: {a.shape} vs {n.shape}")
    excess = np.abs(a - n) - (atol + rtol * np.abs(n))
    bad = ~(excess <= 0)
    if bad.any():
        flat = np.where(np.isnan(excess), np.inf, excess).reshape(-1)
        idx = np.unravel_index(int(np.argmax(flat)), a.shape)
        raise GradcheckError(
            f"{caller}: Jacobian mismatch for {what} ({out}) at entry (output element "
            f"{idx[0]}, input element {idx[1]}): analytic {float(a[idx])!r}, "
            f"numerical {float(n[idx])!r}"
        )


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    *,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
) -> bool:
    """Check second derivatives: gradcheck of x -> d<v, fn(x)>/dx with ``create_graph=True``.

    ``grad_outputs`` (v) defaults to a fixed random cotangent, never all ones. Every first
    derivative is compared, recorded or not (one that was not recorded must be constant:
    stricter than torch, which skips it).
    """
    from tensorgrad.autograd import grad

    xs = _float64_inputs(_as_tuple(inputs))
    wrt = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x._requires_grad]
    if not wrt:
        raise ValueError("gradgradcheck: no input requires grad")
    outs0 = _as_tuple(fn(*xs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        vs = [rng.standard_normal(np.shape(_value(o))) for o in outs0]
    else:
        vs = [np.asarray(_value(v), dtype=np.float64) for v in _as_tuple(grad_outputs)]
        if len(vs) != len(outs0):  # (zip would leave the outputs past the last unchecked)
            raise ValueError(
                f"gradgradcheck: got {len(vs)} grad_outputs for {len(outs0)} outputs of fn"
            )
        for k, (o, v) in enumerate(zip(outs0, vs)):
            if v.shape != np.shape(_value(o)):
                raise ValueError(
                    f"gradgradcheck: grad_outputs[{k}] has shape {v.shape}, output {k} has "
                    f"shape {np.shape(_value(o))}"
                )

    def first(*args: Any) -> tuple:
        outs = [o for o in _as_tuple(fn(*args))]
        pairs = [(o, v) for o, v in zip(outs, vs) if isinstance(o, Tensor) and o._requires_grad]
        gs = grad(
            [o for o, _ in pairs],
            [args[i] for i in wrt],
            grad_outputs=[v for _, v in pairs],
            create_graph=True,
            allow_unused=True,
        )
        return tuple(
            g if g is not None else Tensor(np.zeros(args[i].shape)) for g, i in zip(gs, wrt)
        )

    return _check(
        first, xs, eps, atol, rtol, nondet_tol, raise_exception, "gradgradcheck", every_output=True
    )
