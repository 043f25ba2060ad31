"""SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam, RAdam and Adadelta with PyTorch's update
formulas and defaults.

Each ``_update`` is a pure function of (parameter, gradient, state, group) that returns new
arrays; the base class writes them (see ``optimizer.py``). Arithmetic stays in the parameter's
dtype (Python-float hyperparameters do not upcast float32, NEP 50).

``maximize=True`` (keyword-only, as torch) ascends instead: the gradient is negated first, before
weight decay, momentum and the moment estimates see it, exactly where torch negates it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tensorgrad.optim.optimizer import (
    Optimizer,
    State,
    _implementation_flags,
    _next_step,
)
from tensorgrad.tensor import is_number

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam", "Adadelta"]


def _buffer(state: State, key: str, p: np.ndarray) -> np.ndarray:
    """``state[key]``, or zeros like ``p`` where the state has none (the first step, or a setting
    turned on later); made only then: as a ``state.get`` default they were made, a pass over
    p, on every step."""
    buf = state.get(key)
    return np.zeros_like(p) if buf is None else buf


def _betas(betas: Any) -> Any:
    """A list of betas as the tuple the groups keep (anything else as given, for the check)."""
    return tuple(betas) if isinstance(betas, (list, tuple)) else betas


def _check_betas(name: str, betas: Any) -> None:
    """Adam's, Adamax's, NAdam's and RAdam's ``betas``: two numbers in [0, 1), as torch."""
    if not isinstance(betas, (tuple, list)) or not all(is_number(b) for b in betas):
        raise TypeError(f"{name}: betas must be two numbers, got {betas!r}")
    if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
        raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")


def _decoupled(name: str, value: Any) -> bool:
    """``decoupled_weight_decay`` (Adam, NAdam, RAdam): a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: decoupled_weight_decay must be a bool, got {value!r}")
    return bool(value)


def _in_place(p: np.ndarray, *arrays: np.ndarray) -> bool:
    """Whether an update may write its steps into arrays it made (``out=``) and get the bits,
    dtype and layout the formula's fresh arrays would have: every array of p's dtype and
    C-contiguous, and not 0-d (NumPy gives scalars there, which ``out=`` cannot take). Not so
    after ``Module.float()`` with float64 state, say: NumPy's promotion then, as before. Nor
    below 4,096 entries, where fresh arrays cost nothing to speak of and this check would
    (SGD's 200 10-entry parameters: 1.1 -> 1.5 ms with it)."""
    if p.size < 4096 or not p.flags.c_contiguous:
        return False
    dtype = p.dtype
    return all(type(a) is np.ndarray and a.dtype == dtype and a.flags.c_contiguous for a in arrays)


def _average_of_squares(avg: np.ndarray, g: np.ndarray, decay: float, in_place: bool) -> Any:
    """``decay * avg + ((1 - decay) * g) * g``, Adam's second moment and RMSprop's square
    average (torch's addcmul order: no 0 * inf at overflow); with ``in_place`` (see
    ``_in_place``) written into one array it makes, the operands in that order."""
    if not in_place:
        return decay * avg + ((1 - decay) * g) * g
    work = np.multiply(1 - decay, g)
    np.multiply(work, g, out=work)
    return np.add(np.multiply(decay, avg), work, out=work)


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``start + weight * (end - start)`` in torch's two forms (its CPU lerp): from ``end`` for
    a weight of 0.5 or more, so that a weight of 1 gives ``end`` exactly (Adam's beta1 = 0).
    One fresh array (``end - start``, whose dtype and layout the formula's result has), each
    step written into it with its operands in the formula's order."""
    t = np.subtract(end, start)
    if type(t) is not np.ndarray:  # (0-d: NumPy scalars)
        return start + weight * t if weight < 0.5 else end - t * (1 - weight)
    if weight < 0.5:
        return np.add(start, np.multiply(weight, t, out=t), out=t)
    return np.subtract(end, np.multiply(t, 1 - weight, out=t), out=t)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    ``g = grad`` (``-grad`` with ``maximize``), then ``g = g + weight_decay * p``; with
    momentum, ``buf = g`` on the first step, then ``buf = momentum * buf + (1 - dampening) * g``,
    and ``g = g + momentum * buf`` (Nesterov) or ``g = buf``; finally ``p = p - lr * g`` (torch's
    formulation).
    """

    _load_defaults = {
        **Optimizer._load_defaults,
        "maximize": False,
        "nesterov": False,
        "fused": None,
    }
    _buffers = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        flags = dict(foreach=foreach, differentiable=differentiable, fused=fused)
        # (the constructor's arguments only, as torch: a group, or a momentum set later, with
        # nesterov and no momentum steps as plain SGD)
        if nesterov and is_number(momentum) and is_number(dampening):
            if momentum <= 0 or dampening != 0:
                raise ValueError(
                    "SGD: Nesterov momentum requires a momentum > 0 and zero dampening"
                )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            **_implementation_flags("SGD", flags),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        if not is_number(group["dampening"]):
            raise TypeError(f"SGD: dampening must be a number, got {group['dampening']!r}")

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        new: State = dict(state)
        momentum = group["momentum"]
        in_place = _in_place(p, g)
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = g.copy()
            elif in_place and _in_place(p, buf):  # (into arrays made here, as Adam's)
                work = np.multiply(1 - group["dampening"], g)
                buf = np.add(np.multiply(momentum, buf), work, out=work)
            else:
                buf = momentum * buf + (1 - group["dampening"]) * g
            new["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        if not (in_place and _in_place(p, g)):  # (a loaded buffer's dtype or layout)
            return p - group["lr"] * g, new
        change = np.multiply(group["lr"], g)
        return np.subtract(p, change, out=change), new


class Adam(Optimizer):
    """Adam (Kingma and Ba), as torch: L2 ``weight_decay`` is added to the gradient;
    ``amsgrad`` keeps the running maximum of the second moment."""

    _load_defaults = {
        **Optimizer._load_defaults,
        "maximize": False,
        "amsgrad": False,
        "capturable": False,
        "fused": None,
        "decoupled_weight_decay": False,
    }
    _buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    # (not max_exp_avg_sq: amsgrad switched on after a step starts it from zeros, so a state
    # saved before the next step lacks it and must load)
    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        name = type(self).__name__
        flags = dict(
            foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused
        )
        defaults = dict(
            lr=lr,
            betas=_betas(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            **_implementation_flags(name, flags),
            decoupled_weight_decay=_decoupled(name, decoupled_weight_decay),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        _check_betas(type(self).__name__, group["betas"])

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        if group["maximize"]:
            g = -g
        if wd and group["decoupled_weight_decay"]:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        step, stored = _next_step(state.get("step"))
        m = _buffer(state, "exp_avg", p)
        v = _buffer(state, "exp_avg_sq", p)
        # NOTE: where _in_place allows, each step is written into an array this update made,
        # its operands in the formula's order (the same bits): fresh arrays for every step took
        # a parameter of 400,000 entries 2.9 ms, most of it in first touches of new pages
        in_place = _in_place(p, g, m, v)
        m = _lerp(m, g, 1 - beta1)
        v = _average_of_squares(v, g, beta2, in_place)
        # (an entry the group's settings no longer use is kept, as torch keeps it: turned on
        # again, amsgrad carries on from it)
        new: State = {**state, "step": stored, "exp_avg": m, "exp_avg_sq": v}
        if group["amsgrad"]:
            vmax = np.maximum(_buffer(state, "max_exp_avg_sq", p), v)
            new["max_exp_avg_sq"] = vmax
            v = vmax
        step_size = lr / (1 - beta1**step)
        if not (in_place and _in_place(p, v)):  # (amsgrad's maximum: a loaded state's dtype)
            denom = np.sqrt(v) / math.sqrt(1 - beta2**step) + eps
            return p - (step_size * m) / denom, new  # (torch's addcdiv order)
        denom = np.sqrt(v)
        np.add(np.divide(denom, math.sqrt(1 - beta2**step), out=denom), eps, out=denom)
        change = np.divide(np.multiply(step_size, m), denom, out=denom)
        return np.subtract(p, change, out=change), new


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): ``p = p * (1 - lr * wd)``
    before the Adam step; ``weight_decay`` defaults to 1e-2, as torch (``Adam`` with
    ``decoupled_weight_decay=True`` is the same)."""

    _load_defaults = {**Adam._load_defaults, "decoupled_weight_decay": True}

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )


class RMSprop(Optimizer):
    """RMSprop, as torch: ``square_avg = alpha * square_avg + (1 - alpha) * g**2``; the step
    divides by ``sqrt(square_avg) + eps`` (minus the squared mean gradient when ``centered``),
    through a momentum buffer when ``momentum > 0``."""

    _load_defaults = {
        **Optimizer._load_defaults,
        "maximize": False,
        "momentum": 0.0,
        "centered": False,
        "capturable": False,
    }
    _buffers = ("square_avg", "grad_avg", "momentum_buffer")
    # (not grad_avg or momentum_buffer: centered or momentum switched on after a step starts
    # them from zeros, so a state saved before the next step lacks them)
    _state_keys = ("step", "square_avg")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        flags = dict(capturable=capturable, foreach=foreach, differentiable=differentiable)
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
            **_implementation_flags("RMSprop", flags),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        if not 0.0 <= float(group["alpha"]) <= 1.0:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {group['alpha']!r}")

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        alpha, eps, wd, momentum = (
            group["alpha"],
            group["eps"],
            group["weight_decay"],
            group["momentum"],
        )
        if group["maximize"]:
            g = -g
        if wd:
            g = g + wd * p
        sq = _buffer(state, "square_avg", p)
        in_place = _in_place(p, g, sq)  # (as Adam's: into arrays made here, where it may)
        sq = _average_of_squares(sq, g, alpha, in_place)
        # (entries of a setting turned off are kept, as torch: turned on again, it carries on)
        new: State = {**state, "step": _next_step(state.get("step"))[1], "square_avg": sq}
        if group["centered"]:
            ga = _buffer(state, "grad_avg", p)
            ga = _lerp(ga, g, 1 - alpha)
            new["grad_avg"] = ga
            if in_place and _in_place(p, ga):
                avg = np.subtract(sq, np.multiply(ga, ga))
                np.add(np.sqrt(avg, out=avg), eps, out=avg)
            else:
                avg = np.sqrt(sq - ga * ga) + eps
        elif in_place:
            avg = np.sqrt(sq)
            np.add(avg, eps, out=avg)
        else:
            avg = np.sqrt(sq) + eps
        lr = group["lr"]
        if momentum > 0:
            buf = _buffer(state, "momentum_buffer", p)
            buf_in_place = in_place and _in_place(p, buf)
            if buf_in_place:
                buf = np.add(np.multiply(momentum, buf), np.divide(g, avg, out=avg), out=avg)
            else:
                buf = momentum * buf + g / avg
            new["momentum_buffer"] = buf
            if not buf_in_place:  # (the formula's promotion and layout, as the buffer's)
                return p - lr * buf, new
            change = np.multiply(lr, buf)
            return np.subtract(p, change, out=change), new
        if not in_place:
            return p - (lr * g) / avg, new  # (torch's addcdiv: g / avg may overflow)
        change = np.divide(np.multiply(lr, g), avg, out=avg)
        return np.subtract(p, change, out=change), new


class Adagrad(Optimizer):
    """Adagrad, as torch: ``sum = sum + g * g`` (from ``initial_accumulator_value``) and
    ``p = p - clr * g / (sqrt(sum) + eps)`` with ``clr = lr / (1 + (step - 1) * lr_decay)``.

    The sum starts at the group's ``initial_accumulator_value`` on a parameter's first step;
    torch fills it for every group from the constructor's value (a group's own is ignored
    there), and at construction, so its state dict before any step holds zero steps.
    """

    _load_defaults = {**Optimizer._load_defaults, "maximize": False, "fused": None}
    _buffers = ("sum",)
    _state_keys = ("step", "sum")
    _nonnegative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        flags = dict(foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
            **_implementation_flags("Adagrad", flags),
        )
        super().__init__(params, defaults)

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        step, stored = _next_step(state.get("step"))
        total = state.get("sum")
        if total is None:
            total = np.full_like(p, group["initial_accumulator_value"])
        total = total + g * g
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        # (torch's addcdiv: (-clr * g) / std)
        return p + (-clr * g) / (np.sqrt(total) + group["eps"]), {
            **state,
            "step": stored,
            "sum": total,
        }


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as torch: ``exp_inf = max(beta2 * exp_inf,
    |g| + eps)`` and ``p = p - lr / (1 - beta1**step) * exp_avg / exp_inf``."""

    _load_defaults = {**Optimizer._load_defaults, "maximize": False, "capturable": False}
    _buffers = ("exp_avg", "exp_inf")
    _state_keys = ("step", "exp_avg", "exp_inf")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        flags = dict(foreach=foreach, differentiable=differentiable, capturable=capturable)
        defaults = dict(
            lr=lr,
            betas=_betas(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            **_implementation_flags("Adamax", flags),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        _check_betas("Adamax", group["betas"])

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        step, stored = _next_step(state.get("step"))
        m = _lerp(_buffer(state, "exp_avg", p), g, 1 - beta1)
        u = np.maximum(beta2 * _buffer(state, "exp_inf", p), np.abs(g) + group["eps"])
        clr = group["lr"] / (1 - beta1**step)
        new = {**state, "step": stored, "exp_avg": m, "exp_inf": u}
        return p + (-clr * m) / u, new  # (torch's addcdiv order)


class NAdam(Optimizer):
    """NAdam (Adam with Nesterov momentum, Dozat), as torch: the momentum coefficient
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``, their running product kept
    as ``mu_product``; ``decoupled_weight_decay=True`` decays as AdamW (torch's NAdamW)."""

    _load_defaults = {
        **Optimizer._load_defaults,
        "maximize": False,
        "capturable": False,
        "decoupled_weight_decay": False,
    }
    _buffers = ("exp_avg", "exp_avg_sq")
    _state_keys = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    _scalars = ("mu_product",)
    _nonnegative = ("lr", "eps", "weight_decay", "momentum_decay")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(
            lr=lr,
            betas=_betas(betas),
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=_decoupled("NAdam", decoupled_weight_decay),
            maximize=maximize,
            **_implementation_flags("NAdam", flags),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        _check_betas("NAdam", group["betas"])

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd and group["decoupled_weight_decay"]:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        step, stored = _next_step(state.get("step"))
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        # (kept in p's dtype, as torch's 0-d tensor in the default dtype; the coefficients
        # below are Python floats of its value, as torch's)
        product = state.get("mu_product")
        mu_product = float(np.asarray(product * mu if product is not None else mu, p.dtype))
        m = _lerp(_buffer(state, "exp_avg", p), g, 1 - beta1)
        v = _average_of_squares(_buffer(state, "exp_avg_sq", p), g, beta2, False)
        denom = np.sqrt(v / (1 - beta2**step)) + group["eps"]
        p = p + (-lr * (1.0 - mu) / (1.0 - mu_product) * g) / denom
        p = p + ((-lr * mu_next) / (1.0 - mu_product * mu_next) * m) / denom
        new = {
            **state,
            "step": stored,
            "mu_product": np.asarray(mu_product, p.dtype),
            "exp_avg": m,
            "exp_avg_sq": v,
        }
        return p, new


class RAdam(Optimizer):
    """RAdam (rectified Adam, Liu et al.), as torch: while the approximated length of the
    simple moving average ``rho_t`` is 5 or less the step is momentum SGD on the
    bias-corrected first moment; then Adam's step times the variance rectification.
    ``decoupled_weight_decay=True`` decays as AdamW."""

    _load_defaults = {
        **Optimizer._load_defaults,
        "maximize": False,
        "capturable": False,
        "decoupled_weight_decay": False,
    }
    _buffers = ("exp_avg", "exp_avg_sq")
    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        flags = dict(foreach=foreach, capturable=capturable, differentiable=differentiable)
        defaults = dict(
            lr=lr,
            betas=_betas(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            **_implementation_flags("RAdam", flags),
            decoupled_weight_decay=_decoupled("RAdam", decoupled_weight_decay),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        _check_betas("RAdam", group["betas"])

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if wd and group["decoupled_weight_decay"]:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        step, stored = _next_step(state.get("step"))
        m = _lerp(_buffer(state, "exp_avg", p), g, 1 - beta1)
        v = _average_of_squares(_buffer(state, "exp_avg_sq", p), g, beta2, False)
        new = {**state, "step": stored, "exp_avg": m, "exp_avg_sq": v}
        corrected = m / (1 - beta1**step)
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t <= 5.0:
            return p - corrected * lr, new
        rect = (
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        ) ** 0.5
        adaptive = bias_correction2**0.5 / (np.sqrt(v) + group["eps"])
        return p - corrected * lr * adaptive * rect, new


class Adadelta(Optimizer):
    """Adadelta (Zeiler), as torch: ``square_avg = rho * square_avg + (1 - rho) * g**2``,
    ``delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g``, ``acc_delta = rho *
    acc_delta + (1 - rho) * delta**2`` and ``p = p - lr * delta`` (``lr`` scales the step,
    1.0 by default)."""

    _load_defaults = {**Optimizer._load_defaults, "maximize": False, "capturable": False}
    _buffers = ("square_avg", "acc_delta")
    _state_keys = ("step", "square_avg", "acc_delta")
    _nonnegative = ("lr", "rho", "eps", "weight_decay")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        flags = dict(capturable=capturable, foreach=foreach, differentiable=differentiable)
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            **_implementation_flags("Adadelta", flags),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        super()._validate(group, started)
        if not float(group["rho"]) <= 1.0:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {group['rho']!r}")

    def _update(self, p: np.ndarray, g: np.ndarray, state: State, group: dict) -> tuple:
        rho, eps = group["rho"], group["eps"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        sq = _average_of_squares(_buffer(state, "square_avg", p), g, rho, False)
        acc = _buffer(state, "acc_delta", p)
        delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc = _average_of_squares(acc, delta, rho, False)
        new = {**state, "step": _next_step(state.get("step"))[1], "square_avg": sq}
        new["acc_delta"] = acc
        return p + -group["lr"] * delta, new
