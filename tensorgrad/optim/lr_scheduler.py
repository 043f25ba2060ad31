"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``: ``StepLR``, ``MultiStepLR``,
``ExponentialLR``, ``LinearLR``, ``ConstantLR``, ``CosineAnnealingLR``, ``LambdaLR``,
``PolynomialLR``, ``CosineAnnealingWarmRestarts``, ``OneCycleLR`` and ``ReduceLROnPlateau``,
and the combinators ``SequentialLR`` and ``ChainedScheduler``.

Call ``scheduler.step()`` once per epoch after ``optimizer.step()`` (``ReduceLROnPlateau``:
``scheduler.step(metric)``). Schedules chain as torch's: each step carries a group's current
rate on by the schedule's factor for that epoch (torch's recursive form), so a warm-up and a
decay on one optimizer combine, a rate set by hand is carried on, and ``ReduceLROnPlateau``'s
reductions survive a second scheduler. While a group's rate is still exactly the one the
schedule set itself (the common case of one scheduler), the step gives the closed form in the
epoch count instead, the same rate without drift: where torch's products round differently,
the values agree to a few units in the last place, except where the schedule reaches exactly 0
(``LinearLR(end_factor=0)`` after ``total_iters``), where torch's may leave a residue of order
1e-17 times the base rate. ``LambdaLR`` is not chainable (as torch's): it sets
``base_lr * lr_lambda(epoch)``. A schedule resumed with ``last_epoch`` starts at that epoch's
closed-form rate, except ``ExponentialLR``, ``LinearLR`` and ``CosineAnnealingLR``, which keep
the groups' rates at that first epoch, as torch 2.13's (so a run resumed from a checkpoint
follows torch's, one epoch behind the closed form). ``load_state_dict`` leaves the rates to
the optimizer's state dict, except that a scheduler built after the optimizer's state was loaded
takes back what its construction did to them, so it resumes at the loaded rates. A parameter
group added after the scheduler was made is scheduled from its rate at the next step.

A step or load that raises changes nothing (the epoch count, the rates and the state are kept).
"""

from __future__ import annotations

import bisect
import math
import sys
import types
import warnings
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from tensorgrad.optim.optimizer import Optimizer
from tensorgrad.tensor import flag_arg, is_number

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "ReduceLROnPlateau",
    "ConstantLR",
    "SequentialLR",
    "ChainedScheduler",
    "PolynomialLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
]


def _number(
    value: Any, name: str, owner: str, low: float = -math.inf, high: float = math.inf
) -> float:
    """``value`` as a float: TypeError unless a real number, ValueError unless finite and in
    ``[low, high]``; both name ``owner`` and the argument."""
    if not is_number(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        where = (
            "" if low == -math.inf else f" >= {low}" if high == math.inf else f" in [{low}, {high}]"
        )
        raise ValueError(f"{owner}: {name} must be a finite number{where}, got {value!r}")
    return number


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _positive(value: Any, name: str, owner: str) -> int | float:
    """A period (``step_size``, ``T_max``): a number > 0, kept an int if it is one (torch takes
    floats too: a configuration's computed ``T_max = epochs * 0.8``)."""
    number = _number(value, name, owner, 0.0)
    if number <= 0:
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}")
    return int(value) if _is_int(value) else number


def _integer(value: Any, name: str, owner: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``: TypeError unless an int, ValueError if smaller; both
    name ``owner`` and the argument (as ``_number``)."""
    if not _is_int(value) or value < minimum:
        error = ValueError if _is_int(value) else TypeError
        raise error(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _nonnegative(value: Any, name: str, owner: str) -> float:
    return _number(value, name, owner, 0.0)


def _fraction(value: Any, name: str, owner: str) -> float:
    """A factor in (0, 1] (LinearLR's start_factor, ConstantLR's factor: torch's recursive
    forms divide by it)."""
    number = _number(value, name, owner)
    if not 0.0 < number <= 1.0:
        raise ValueError(f"{owner}: {name} must be in (0, 1], got {value!r}")
    return number


def _counter(minimum: int) -> Callable[[Any, str, str], int]:
    return lambda value, name, owner: _integer(value, name, owner, minimum)


def _unit(value: Any, name: str, owner: str) -> float:
    return _number(value, name, owner, 0.0, 1.0)


def _check_optimizer(optimizer: Any, owner: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an Optimizer, got {optimizer!r}")


def _copy(value: Any) -> Any:
    # (a loaded tuple of rates becomes a list, as the scheduler's own: a step adds lists)
    return list(value) if isinstance(value, (list, tuple)) else value


_NOT_STATE = frozenset(("optimizer", "_undo"))  # (what no state dict holds)


class _Undo:
    """A scheduler's construction: the groups' rates before it, and how many times the
    optimizer's state had been loaded by then (see ``LRScheduler._undo_construction``).

    Over a loaded state it also extends the optimizer's ``_built``: the rates before the
    schedulers built since the load (one after another, or a combinator's parts and itself:
    ``chained``) and the rates they left; rates set by hand in between start it again."""

    def __init__(self, before: list[Any], optimizer: Optimizer, chained: bool = False) -> None:
        self.before = before
        self.loads = optimizer._loads
        if not self.loads:
            return
        after = [g["lr"] for g in optimizer.param_groups]
        built = optimizer._built
        if built is None or not (chained or before == built[1]):
            optimizer._built = [list(before), after]
        else:
            built[1] = after


def _group_lr(group: dict[str, Any], i: int, owner: str) -> float:
    lr = group["lr"]
    if not is_number(lr):
        raise TypeError(f"{owner}.step: param_groups[{i}]['lr'] is {lr!r}, not a number")
    return float(lr)


class LRScheduler:
    """Base class: sets every group's ``lr`` at each ``step()``, from the closed form ``_rate``
    or, for a rate set elsewhere, torch's recursive ``_chained``."""

    chainable = True  # (LambdaLR: always its closed form, as torch)
    # whether a schedule resumed with ``last_epoch`` keeps the groups' rates at its first epoch
    # (torch 2.13's ExponentialLR, LinearLR and CosineAnnealingLR) rather than setting that
    # epoch's closed-form rate
    _resume_keeps: ClassVar[bool] = False
    # the constructor's checks of the hyper-parameters a state dict holds, run again by
    # ``load_state_dict``: a load never leaves a value the constructor refuses
    _entries: ClassVar[dict[str, Callable[[Any, str, str], Any]]] = {}

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        _check_optimizer(optimizer, name)
        last_epoch = _integer(last_epoch, "last_epoch", name, -1)
        groups = optimizer.param_groups
        if last_epoch != -1:
            for i, g in enumerate(groups):
                if "initial_lr" not in g:
                    raise KeyError(
                        f"{name}: param 'initial_lr' is not set in param_groups[{i}] when "
                        f"resuming a schedule (last_epoch={last_epoch})"
                    )
        self.optimizer = optimizer
        self.base_lrs = [g.get("initial_lr", g["lr"]) for g in groups]
        self.last_epoch = last_epoch
        before = [g["lr"] for g in groups]
        # (if it raises, no group has been given an 'initial_lr')
        resumed = last_epoch != -1
        if resumed and self._resume_keeps:
            self._step(last_epoch + 1, closed=True, keep=True)
        else:
            self._step(last_epoch + 1, closed=False, resumed=resumed)
        self._undo = _Undo(before, optimizer)

    def get_lr(self) -> list[float]:
        """The closed-form rates at epoch ``self.last_epoch``."""
        return self._rates(self.last_epoch, self.base_lrs)

    def _rates(self, epoch: int, bases: list[Any]) -> list[float]:
        return [self._rate(base, epoch) for base in bases]

    def _rate(self, base: float, epoch: int) -> float:
        """The closed-form rate of a group whose base rate is ``base``."""
        raise NotImplementedError

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        """torch's recursive step: the rate at ``epoch`` from ``lr``, the rate before it."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set the learning rates. ``step(epoch)`` (deprecated, as in
        torch) jumps to ``epoch`` and sets its closed-form rates."""
        if epoch is None:
            self._step(self.last_epoch + 1, closed=False)
            return
        name = type(self).__name__
        epoch = _integer(epoch, "epoch", f"{name}.step", 0)
        warnings.warn(
            f"{name}.step(epoch) is deprecated, as in torch: call step() once per epoch",
            UserWarning,
            stacklevel=2,
        )
        self._step(epoch, closed=True)

    def _step(self, epoch: int, closed: bool, keep: bool = False, resumed: bool = False) -> None:
        groups = self.optimizer.param_groups
        previous = self.last_epoch
        # (a group added since the last step starts from its own rate)
        bases = self.base_lrs + [g.get("initial_lr", g["lr"]) for g in groups[len(self.base_lrs) :]]
        self.last_epoch = epoch
        try:
            if len(bases) != len(groups):  # (base_lrs set by hand: before anything changes)
                raise ValueError(
                    f"{type(self).__name__}.step: {len(bases)} base rates for the optimizer's "
                    f"{len(groups)} parameter groups"
                )
            if keep:  # (the groups' own rates: no schedule's rate is needed; keep is closed)
                lrs = [_group_lr(g, i, type(self).__name__) for i, g in enumerate(groups)]
            else:
                lrs = self._rates(epoch, bases)
            if not closed and self.chainable:
                # NOTE: a rate that is still the schedule's own (its closed form one epoch
                # back, or the base before the first step) takes the closed form; any other
                # (set by hand or by another schedule) is carried on, as torch's. Resumed with
                # ``last_epoch``, a group still at its base is taken as an optimizer that was
                # not loaded (torch carries that base on: StepLR stays at it past a step)
                own = bases if previous == -1 else self._rates(previous, bases)
                for i, g in enumerate(groups):
                    lr = _group_lr(g, i, type(self).__name__)
                    if lr != own[i] and not (resumed and lr == bases[i]):
                        lrs[i] = self._chained(lr, bases[i], epoch)
        except BaseException:
            self.last_epoch = previous
            raise
        for g, lr, base in zip(groups, lrs, bases, strict=True):
            g["lr"] = lr
            g.setdefault("initial_lr", base)
        self.base_lrs = bases
        self._last_lr = lrs
        self._undo = None

    def get_last_lr(self) -> list[float]:
        """The rates set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, as torch (lists are copies)."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k not in _NOT_STATE}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict()``; a key this scheduler does not have
        raises ValueError, and nothing changes. The groups' rates are the optimizer's (load its
        state dict too, as in torch), except that a scheduler built over the optimizer's loaded
        state takes back the change its construction made to them (torch's does not)."""
        self._check_state_dict(state_dict)
        self._load(state_dict)

    def _load(self, state_dict: dict[str, Any]) -> None:
        """``load_state_dict``'s changes, after ``_check_state_dict`` passed (cannot fail)."""
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})
        self._undo_construction()

    def _undo_construction(self) -> None:
        # NOTE: building a schedule takes its epoch 0, also after the optimizer's state was
        # loaded (LinearLR multiplies the loaded rate by start_factor); loaded right after, the
        # schedule gives back the rates it found, where it alone changed them since. Any other
        # rate (a plateau's reduction, one set by hand) stays: it is the optimizer's. So do the
        # rates of an optimizer loaded after the schedule was built (torch's order), or never
        # loaded: the construction's change is only undone over a loaded state. Several
        # schedules built over it are undone together, by the first one loaded (``_Undo``).
        undo = self.__dict__.get("_undo")
        built = self.optimizer._built
        # (``built`` is only set over a loaded state, and emptied by each load)
        if undo is not None and built and undo.loads == self.optimizer._loads:
            for g, before, after in zip(self.optimizer.param_groups, *built):
                if g["lr"] == after:
                    g["lr"] = before
        self._undo = None

    def _check_state_dict(self, state_dict: Any, floor: int = -1) -> None:
        """Raise unless ``state_dict`` can be loaded; ``floor``: the lowest ``last_epoch`` a
        schedule (not a combinator) may hold: -1, less inside SequentialLRs (each takes back
        the first steps of the schedules in it)."""
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{name}.load_state_dict: expected a dict, got {type(state_dict).__name__}"
            )
        known = set(self.state_dict())
        unknown = [k for k in state_dict if k not in known]
        if unknown:
            raise ValueError(
                f"{name}.load_state_dict: unknown entries {unknown!r} (expected some of "
                f"{sorted(known)})"
            )
        owner = f"{name}.load_state_dict"
        if "last_epoch" in state_dict:
            _integer(state_dict["last_epoch"], "last_epoch", owner, floor)
        for key, check in self._entries.items():
            if key in state_dict:
                check(state_dict[key], key, owner)
        groups = len(self.optimizer.param_groups)
        bases = state_dict.get("base_lrs")
        if isinstance(bases, (list, tuple)) and len(bases) > groups:
            raise ValueError(
                f"{owner}: base_lrs has {len(bases)} rates for the optimizer's {groups} "
                "parameter groups"
            )
        mine = self.__dict__
        for key, value in state_dict.items():
            # (a number stays a number, a list of rates a list of numbers: a load never leaves
            # a rate the next optimizer step cannot use)
            old = mine.get(key)
            if is_number(old):  # (a bool is no number)
                ok = value is None or is_number(value)
            elif isinstance(old, list) and all(is_number(v) for v in old):
                ok = isinstance(value, (list, tuple)) and all(is_number(v) for v in value)
            else:
                continue
            if not ok:
                raise TypeError(
                    f"{name}.load_state_dict: {key!r} must be "
                    f"{'a number' if not isinstance(old, list) else 'a list of numbers'}, got "
                    f"{value!r:.80}"
                )


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _positive(step_size, "step_size", "StepLR")
        self.gamma = _nonnegative(gamma, "gamma", "StepLR")
        super().__init__(optimizer, last_epoch)

    _entries = {"step_size": _positive, "gamma": _nonnegative}

    def _rate(self, base: float, epoch: int) -> float:
        # (torch decays at the epochs that are multiples of step_size; for 2.5, at 5, 10, ...:
        # every numerator epochs of step_size as an exact fraction)
        return _scaled(base, self.gamma, epoch // Fraction(self.step_size).numerator)

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        return lr * self.gamma if epoch and epoch % self.step_size == 0 else lr


def _scaled(lr: float, gamma: float, k: int) -> float:
    """``lr * gamma ** k`` in floats, as torch's step-by-step products: infinite (or 0) only
    when the product is, though ``gamma ** k`` alone may leave the float range (a tiny rate
    rising, a huge one falling), where a Python power raises OverflowError or rounds to 0."""
    lr, gamma, k = float(lr), float(gamma), int(k)
    try:
        p = gamma**k
    except OverflowError:
        p = None
    except ZeroDivisionError:  # (0 to a negative power: IEEE's pow gives inf, NumPy's too)
        p = math.copysign(math.inf, gamma) if k % 2 else math.inf
    if p is not None and (gamma == 0 or abs(p) >= sys.float_info.min):
        return lr * p
    if math.isnan(lr) or math.isnan(gamma):
        return math.nan
    # (the product's sign: lr's, -0.0 too, times gamma ** k's)
    sign = -1.0 if (math.copysign(1.0, lr) < 0) != (gamma < 0 and k % 2 == 1) else 1.0
    if math.isinf(lr):  # (times a power out of range; inf times inf ** -k is inf * 0)
        return math.nan if math.isinf(gamma) else math.copysign(math.inf, sign)
    if lr == 0 or math.isinf(gamma):  # (0 times a finite power, or a power of inf that is 0)
        return math.copysign(0.0, sign)
    # gamma ** k outside the normal floats: in integers, exact where it fits in _BITS bits
    gm, ge = _integer_float(abs(gamma))
    pm, pe = _power(gm, ge, abs(k))
    m, e = _integer_float(abs(lr))
    if k >= 0:
        m, e = m * pm, e + pe
    else:  # (lr / gamma ** |k|: a quotient of _BITS bits and a sticky bit for the rounding)
        shift = max(0, _BITS + pm.bit_length() - m.bit_length())
        q, r = divmod(m << shift, pm)
        m, e = 2 * q + (r != 0), e - shift - pe - 1
    top = m.bit_length() + e  # (the product lies in [2 ** (top - 1), 2 ** top))
    if top > 1024:
        value = math.inf
    elif top <= -1075:
        value = 0.0
    else:  # (int division and int to float conversion round correctly, ties to even)
        try:
            value = float(m << e) if e >= 0 else m / (1 << -e)
        except OverflowError:  # (past the largest float's halfway point: IEEE rounds to inf)
            value = math.inf
    return math.copysign(value, sign)


# (the mantissa ``_power`` keeps: each squaring doubles the cut's error, k * 2 ** -_BITS in all,
# so 2 ** -128 still for counts to 2 ** 64, far below float64's 2 ** -53: one rounding at the end)
_BITS = 192


def _integer_float(x: float) -> tuple[int, int]:
    """A positive finite float as ``m * 2 ** e`` with an integer m."""
    m, e = math.frexp(x)
    return int(m * 2**53), e - 53


def _power(m: int, e: int, k: int) -> tuple[int, int]:
    """``(m * 2 ** e) ** k`` as ``(m', e')`` by squaring, each product cut to ``_BITS`` bits
    (exact while it fits: a power of two's powers stay exact, so halfway cases round as IEEE)."""
    rm, re = 1, 0
    while k:
        if k & 1:
            rm, re = _cut(rm * m, re + e)
        k >>= 1
        if k:
            m, e = _cut(m * m, 2 * e)
    return rm, re


def _cut(m: int, e: int) -> tuple[int, int]:
    extra = m.bit_length() - _BITS
    return (m >> extra, e + extra) if extra > 0 else (m, e)


def _milestones(value: Any, name: str, owner: str) -> list[int]:
    """Epochs in any order, sorted (torch counts them: order is free)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{owner}: {name} must be a list of epochs, got {value!r}")
    marks = list(value)
    if not all(_is_int(m) and m >= 0 for m in marks):
        raise ValueError(f"{owner}: {name} must be epochs (ints >= 0), got {marks!r}")
    return sorted(int(m) for m in marks)


class MultiStepLR(LRScheduler):
    """``lr = base_lr * gamma ** (number of milestones <= epoch)``; ``milestones`` are epochs
    in any order (kept sorted; a repeated milestone decays by ``gamma`` once per repetition, as
    torch)."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = _milestones(milestones, "milestones", "MultiStepLR")
        self.gamma = _nonnegative(gamma, "gamma", "MultiStepLR")
        super().__init__(optimizer, last_epoch)

    _entries = {"milestones": _milestones, "gamma": _nonnegative}

    def _rate(self, base: float, epoch: int) -> float:
        return _scaled(base, self.gamma, bisect.bisect_right(self.milestones, epoch))

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        hits = self.milestones.count(epoch)
        return _scaled(lr, self.gamma, hits) if hits else lr


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``."""

    _resume_keeps = True

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _nonnegative(gamma, "gamma", "ExponentialLR")
        super().__init__(optimizer, last_epoch)

    _entries = {"gamma": _nonnegative}

    def _rate(self, base: float, epoch: int) -> float:
        return _scaled(base, self.gamma, epoch)

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        return lr * self.gamma if epoch else lr


class LinearLR(LRScheduler):
    """``lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters)
    / total_iters)``: from ``start_factor`` in (0, 1] to ``end_factor`` in [0, 1] of the base
    rate over ``total_iters`` epochs, then constant."""

    _resume_keeps = True

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = _fraction(start_factor, "start_factor", "LinearLR")
        self.end_factor = _unit(end_factor, "end_factor", "LinearLR")
        self.total_iters = _integer(total_iters, "total_iters", "LinearLR", 1)
        super().__init__(optimizer, last_epoch)

    _entries = {"start_factor": _fraction, "end_factor": _unit, "total_iters": _counter(1)}

    def _rate(self, base: float, epoch: int) -> float:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        # (exactly end_factor from total_iters on; never below 0 for end_factor 0)
        return base * (e if epoch >= n else s + (e - s) * (epoch / n))

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        if epoch == 0:
            return lr * s
        if epoch > n:
            return lr
        if epoch == n and e == 0:  # (exactly 0, as the closed form: the quotient rounds)
            return 0.0
        return lr * (1.0 + (e - s) / (n * s + (epoch - 1) * (e - s)))


class ConstantLR(LRScheduler):
    """``lr = base_lr * factor`` for the first ``total_iters`` epochs, then ``base_lr``."""

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.factor = _fraction(factor, "factor", "ConstantLR")
        self.total_iters = _integer(total_iters, "total_iters", "ConstantLR", 0)
        super().__init__(optimizer, last_epoch)

    _entries = {"factor": _fraction, "total_iters": _counter(0)}

    def _rate(self, base: float, epoch: int) -> float:
        return base if epoch >= self.total_iters else base * self.factor

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        if epoch == 0:
            return lr * self.factor
        return lr / self.factor if epoch == self.total_iters else lr


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    _resume_keeps = True

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _positive(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = _nonnegative(eta_min, "eta_min", "CosineAnnealingLR")
        super().__init__(optimizer, last_epoch)

    _entries = {"T_max": _positive, "eta_min": _nonnegative}

    def _rate(self, base: float, epoch: int) -> float:
        cos = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base - self.eta_min) * cos

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        t, low = self.T_max, self.eta_min
        if epoch == 0:
            return lr
        if (epoch - 1 - t) % (2 * t) == 0:  # (from the bottom of a cycle, where cos is -1)
            return lr + (base - low) * (1 - math.cos(math.pi / t)) / 2
        ratio = (1 + math.cos(math.pi * epoch / t)) / (1 + math.cos(math.pi * (epoch - 1) / t))
        return low + (lr - low) * ratio


class PolynomialLR(LRScheduler):
    """``lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``: to 0 over
    ``total_iters`` epochs, then 0."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        # (torch checks neither: total_iters 0 divides by zero, a negative power makes the
        # last epoch's rate infinite)
        self.total_iters = _integer(total_iters, "total_iters", "PolynomialLR", 1)
        self.power = _nonnegative(power, "power", "PolynomialLR")
        super().__init__(optimizer, last_epoch)

    _entries = {"total_iters": _counter(1), "power": _nonnegative}

    def _rate(self, base: float, epoch: int) -> float:
        return base * (1.0 - min(self.total_iters, epoch) / self.total_iters) ** self.power

    def _chained(self, lr: float, base: float, epoch: int) -> float:
        n = self.total_iters
        if epoch == 0 or epoch > n:
            return lr
        return lr * ((1.0 - epoch / n) / (1.0 - (epoch - 1) / n)) ** self.power


def _cycle(epoch: float, first: int, mult: int) -> tuple[float, int]:
    """CosineAnnealingWarmRestarts' place at ``epoch``: the epochs since the last restart and
    the length of the cycle, counted in integers (torch takes the cycle's number from a
    floating logarithm, one cycle early where it rounds down at a restart: T_0=1, T_mult=3 at
    epoch 121 gives the end of the cycle, eta_min, where this gives its start)."""
    if mult == 1:
        return epoch % first, first
    start, length = 0, first
    while epoch >= start + length:
        start, length = start + length, length * mult
    return epoch - start, length


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov and Hutter): ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur
    / T_i)) / 2``, where ``T_cur`` counts the epochs since the last restart and a restart comes
    after ``T_i`` epochs, ``T_0`` at first, then ``T_mult`` times longer each time. ``step()``
    advances one epoch; ``step(epoch)`` goes to ``epoch``, which may be a fraction (as torch:
    ``step(epoch + i / iters)`` once per batch)."""

    chainable = False  # (as torch's: the rate comes from base_lr and the place in the cycle)

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        name = "CosineAnnealingWarmRestarts"
        self.T_0 = _integer(T_0, "T_0", name, 1)
        self.T_i = self.T_0
        self.T_mult = _integer(T_mult, "T_mult", name, 1)
        self.eta_min = _nonnegative(eta_min, "eta_min", name)
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    _entries = {
        "T_0": _counter(1),
        "T_mult": _counter(1),
        "T_i": _positive,
        "eta_min": _nonnegative,
        "T_cur": lambda value, name, owner: _number(value, name, owner, -1.0),
    }

    def _rate(self, base: float, epoch: int) -> float:
        # (torch's order of operations, for its bits)
        cos = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return self.eta_min + (base - self.eta_min) * cos / 2

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (a number >= 0, a fraction too; not
        deprecated here, as torch's)."""
        if epoch is None:
            self._step(self.last_epoch + 1, closed=False)
            return
        epoch = _number(epoch, "epoch", "CosineAnnealingWarmRestarts.step", 0.0)
        self._step(math.floor(epoch), closed=True, at=epoch)

    def _step(
        self,
        epoch: int,
        closed: bool,
        keep: bool = False,
        resumed: bool = False,
        at: float | None = None,
    ) -> None:
        before = (self.T_cur, self.T_i)
        if at is None and not (closed or resumed) and self.last_epoch >= 0:
            self.T_cur = self.T_cur + 1  # (torch's count: after step(2.5), step() is 3.5)
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        else:  # (the first epoch, a jump, or a resumed schedule: its place at that epoch)
            place = max(epoch if at is None else at, 0)
            self.T_cur, self.T_i = _cycle(place, self.T_0, self.T_mult)
        try:
            super()._step(max(epoch, 0) if at is None else epoch, closed, keep, resumed)
        except BaseException:
            self.T_cur, self.T_i = before
            raise


_PHASE_KEYS = frozenset(("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum"))


def _phases(value: Any, name: str, owner: str) -> list[dict[str, Any]]:
    """OneCycleLR's phases: dicts of an ``end_step`` and the group keys they go between."""
    ok = isinstance(value, (list, tuple)) and value
    ok = ok and all(isinstance(p, Mapping) and set(p) == _PHASE_KEYS for p in value)
    if not (ok and all(is_number(p["end_step"]) for p in value)):
        raise TypeError(f"{owner}: {name} must be a list of phases, got {value!r:.80}")
    return [dict(p) for p in value]


def _strategy(value: Any, name: str, owner: str) -> str:
    if value not in ("cos", "linear"):
        raise ValueError(f"{owner}: anneal_strategy must be 'cos' or 'linear', got {value!r}")
    return value


def _per_group(value: Any, name: str, optimizer: Optimizer, owner: str) -> list[float]:
    """One number per parameter group: a list of as many, or one number for all."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{owner}: expected {n} values for {name}, got {len(value)}")
        return [_number(v, name, owner, 0.0) for v in value]
    return [_number(value, name, owner, 0.0)] * n


def _greater_than_0(value: Any, name: str, owner: str) -> float:
    number = _number(value, name, owner, 0.0)
    if number <= 0:
        raise ValueError(f"{owner}: {name} must be a number > 0, got {value!r}")
    return number


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith and Topin), as torch's: over ``total_steps`` steps (or
    ``epochs * steps_per_epoch``) the rate rises from ``max_lr / div_factor`` to ``max_lr`` for
    ``pct_start`` of them, then falls to ``max_lr / div_factor / final_div_factor``
    (``three_phase``: back to the start first, in as many steps as it rose, then to the end),
    annealed by a cosine (``'cos'``) or linearly; with ``cycle_momentum`` the momentum (SGD's
    and RMSprop's ``momentum``, or the first of ``betas``) goes the other way, between
    ``max_momentum`` and ``base_momentum``. Meant to step once per batch. The groups keep
    ``initial_lr``, ``max_lr``, ``min_lr`` (and ``max_momentum``, ``base_momentum``), as
    torch's."""

    chainable = False  # (as torch's: each rate comes from the groups' keys above)

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        name = "OneCycleLR"
        _check_optimizer(optimizer, name)
        if total_steps is not None:
            total = _integer(total_steps, "total_steps", name, 1)
        elif epochs is not None and steps_per_epoch is not None:
            total = _integer(epochs, "epochs", name, 1)
            total *= _integer(steps_per_epoch, "steps_per_epoch", name, 1)
        else:
            raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch")
        pct = _unit(pct_start, "pct_start", name)
        self._anneal_func_type = _strategy(anneal_strategy, "anneal_strategy", name)
        max_lrs = _per_group(max_lr, "max_lr", optimizer, name)
        div = _greater_than_0(div_factor, "div_factor", name)
        final = _greater_than_0(final_div_factor, "final_div_factor", name)
        cycle_momentum = flag_arg(cycle_momentum, "cycle_momentum", name)
        three_phase = flag_arg(three_phase, "three_phase", name)
        _integer(last_epoch, "last_epoch", name, -1)  # (before the groups change)
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{name}: cycle_momentum needs an optimizer with momentum or betas, got "
                    f"{type(optimizer).__name__} (pass cycle_momentum=False)"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            tops = _per_group(max_momentum, "max_momentum", optimizer, name)
            bottoms = _per_group(base_momentum, "base_momentum", optimizer, name)
        self.total_steps = total
        self.cycle_momentum = cycle_momentum
        up = float(pct * total) - 1
        ends = [up, float(2 * pct * total) - 2, total - 1] if three_phase else [up, total - 1]
        lrs = ["initial_lr", "max_lr", "initial_lr", "min_lr"] if three_phase else []
        lrs = lrs or ["initial_lr", "max_lr", "min_lr"]
        moms = ["max_momentum", "base_momentum", "max_momentum", "max_momentum"][: len(lrs)]
        self._schedule_phases = [
            {
                "end_step": end,
                "start_lr": lrs[i],
                "end_lr": lrs[i + 1],
                "start_momentum": moms[i],
                "end_momentum": moms[i + 1],
            }
            for i, end in enumerate(ends)
        ]
        # (what the construction changes in the groups, for _undo_construction)
        changed = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
        changed += ("betas", "momentum") if cycle_momentum else ()
        before = [{k: g[k] for k in changed if k in g} for g in optimizer.param_groups]
        if last_epoch == -1:  # (resumed, the groups hold them: a loaded optimizer's)
            for g, top in zip(optimizer.param_groups, max_lrs, strict=True):
                g["initial_lr"] = top / div
                g["max_lr"] = top
                g["min_lr"] = g["initial_lr"] / final
            if cycle_momentum:
                for g, top, bottom in zip(optimizer.param_groups, tops, bottoms, strict=True):
                    self._set_momentum(g, top)
                    g["max_momentum"], g["base_momentum"] = top, bottom
        super().__init__(optimizer, last_epoch)
        self._undo.groups = before  # type: ignore[union-attr]

    _entries = {
        "total_steps": _counter(1),
        "_schedule_phases": _phases,
        "_anneal_func_type": _strategy,
        "cycle_momentum": lambda value, name, owner: flag_arg(value, name, owner),
    }

    def _undo_construction(self) -> None:
        # (as the rates: built over a loaded optimizer and loaded before its next step, the
        # groups' momenta and the keys above go back to the loaded ones)
        undo = self.__dict__.get("_undo")
        built = self.optimizer._built
        if undo is not None and built and undo.loads == self.optimizer._loads:
            for g, keys in zip(self.optimizer.param_groups, undo.groups):
                g.update(keys)
        super()._undo_construction()

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        # (torch's orders of operations, for its bits)
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _schedule(self, step: int) -> list[tuple[float, float | None]]:
        """Each group's rate and momentum (None without cycle_momentum) at ``step``."""
        name = "OneCycleLR.step"
        if step > self.total_steps:
            raise ValueError(
                f"{name}: tried to step {step} times; the schedule has total_steps="
                f"{self.total_steps}"
            )
        phases = self._schedule_phases
        keys = {p[k] for p in phases for k in ("start_lr", "end_lr")}
        if self.cycle_momentum:
            keys |= {p[k] for p in phases for k in ("start_momentum", "end_momentum")}
        out = []
        for i, g in enumerate(self.optimizer.param_groups):
            missing = sorted(k for k in keys if k not in g)
            if missing:
                raise KeyError(
                    f"{name}: param_groups[{i}] has no {', '.join(map(repr, missing))} (a group "
                    "added after the schedule was made, or an optimizer's state not loaded)"
                )
            start = 0.0
            for j, phase in enumerate(phases):
                end = phase["end_step"]
                if step <= end or j == len(phases) - 1:
                    # (a phase of no steps gives its end: torch divides by zero there)
                    pct = (step - start) / (end - start) if end != start else 1.0
                    lr = self._anneal(g[phase["start_lr"]], g[phase["end_lr"]], pct)
                    momentum = None
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            g[phase["start_momentum"]], g[phase["end_momentum"]], pct
                        )
                    break
                start = end
            out.append((lr, momentum))
        return out

    def _rates(self, epoch: int, bases: list[Any]) -> list[float]:
        return [lr for lr, _ in self._schedule(epoch)]

    def _step(self, epoch: int, closed: bool, keep: bool = False, resumed: bool = False) -> None:
        momenta = [m for _, m in self._schedule(epoch)]  # (raises before anything changes)
        super()._step(epoch, closed, keep, resumed)
        if self.cycle_momentum:
            for g, m in zip(self.optimizer.param_groups, momenta, strict=True):
                self._set_momentum(g, m)


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``, with one function for every group or a list of
    one function per group. ``state_dict()`` leaves the functions out, as torch (an entry is
    None for a plain function, the ``__dict__`` of a callable object)."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(optimizer, "LambdaLR")
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(
                    f"LambdaLR: expected {n} lr_lambda functions (one per parameter group), "
                    f"got {len(lr_lambda)}"
                )
            fns = list(lr_lambda)
        else:
            fns = [lr_lambda] * n
        for fn in fns:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function, got {fn!r}")
        self.lr_lambdas = fns
        super().__init__(optimizer, last_epoch)

    chainable = False

    def _rates(self, epoch: int, bases: list[Any]) -> list[float]:
        if len(bases) != len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR.step: the optimizer has {len(bases)} parameter groups, the schedule "
                f"has {len(self.lr_lambdas)} lr_lambda functions"
            )
        lrs = []
        for fn, base in zip(self.lr_lambdas, bases, strict=True):
            factor = fn(epoch)
            if not is_number(factor):
                raise TypeError(
                    f"LambdaLR: lr_lambda returned {factor!r} at epoch {epoch}, expected a number"
                )
            lrs.append(base * float(factor))
        return lrs

    def state_dict(self) -> dict[str, Any]:
        sd = {
            k: _copy(v)
            for k, v in self.__dict__.items()
            if k not in _NOT_STATE and k != "lr_lambdas"
        }
        sd["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return sd

    def _check_state_dict(self, state_dict: Any, floor: int = -1) -> None:
        super()._check_state_dict(state_dict, floor)
        saved = state_dict.get("lr_lambdas", [None] * len(self.lr_lambdas))
        if not isinstance(saved, (list, tuple)) or len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR.load_state_dict: lr_lambdas must be a list of {len(self.lr_lambdas)} "
                f"entries, got {saved!r}"
            )
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None and not (isinstance(attrs, Mapping) and hasattr(fn, "__dict__")):
                raise TypeError(
                    "LambdaLR.load_state_dict: an lr_lambdas entry is None or the attributes "
                    f"of a callable object, got {attrs!r}"
                )

    def _load(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict.get("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items() if k != "lr_lambdas"})
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                fn.__dict__.update(attrs)
        self._undo_construction()


def _metric(value: Any, name: str, owner: str) -> float:
    """The best metric so far: a number, infinite before the first step."""
    if not is_number(value) or math.isnan(float(value)):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r:.80}")
    return float(value)


def _reduction(value: Any, name: str, owner: str) -> float:
    factor = _nonnegative(value, name, owner)
    if factor >= 1.0:
        raise ValueError(f"{owner}: {name} must be < 1.0, got {value!r}")
    return factor


def _floors(value: Any, name: str, owner: str) -> list[float]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{owner}: {name} must be a list of numbers, got {value!r:.80}")
    return [_nonnegative(m, name, owner) for m in value]


class ReduceLROnPlateau(LRScheduler):
    """Multiply every group's ``lr`` by ``factor`` (not below its ``min_lr``; a change smaller
    than ``eps`` is skipped) once the metric passed to ``step(metric)`` has not improved for more
    than ``patience`` epochs, then wait ``cooldown`` epochs. Improvement in ``mode`` 'min'
    (``'max'``) with ``threshold_mode`` 'rel' means below ``best * (1 - threshold)`` (above
    ``best * (1 + threshold)``); with 'abs', below ``best - threshold`` (above ``best +
    threshold``). As torch's."""

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        _check_optimizer(optimizer, name)
        factor = _reduction(factor, "factor", name)
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"{name}: expected {n} min_lr values, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = _floors(min_lr, "min_lr", name)
        else:
            self.default_min_lr = _nonnegative(min_lr, "min_lr", name)
            self.min_lrs = [self.default_min_lr] * n
        self._set_mode(mode, threshold, threshold_mode, name)
        self.optimizer = optimizer
        self.factor = factor
        self.patience = _integer(patience, "patience", name, 0)
        self.cooldown = _integer(cooldown, "cooldown", name, 0)
        self.eps = _nonnegative(eps, "eps", name)
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    _entries = {
        "factor": _reduction,
        "patience": _counter(0),
        "cooldown": _counter(0),
        "eps": _nonnegative,
        "min_lrs": _floors,
        "default_min_lr": lambda value, name, owner: (
            None if value is None else _nonnegative(value, name, owner)
        ),
        "cooldown_counter": _counter(0),
        "num_bad_epochs": _counter(0),
        "best": _metric,
    }

    def _set_mode(self, mode: Any, threshold: Any, threshold_mode: Any, owner: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{owner}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        threshold = _number(threshold, "threshold", owner, 0.0)
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def get_lr(self) -> list[float]:
        raise NotImplementedError("ReduceLROnPlateau sets rates from a metric: use step(metric)")

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's ``metrics`` (a number or a one-element Tensor) and reduce the
        rates if it has not improved for more than ``patience`` epochs. ``epoch`` (deprecated,
        as in torch) sets the epoch count instead of advancing it."""
        name = "ReduceLROnPlateau.step"
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: metrics must be a number, got {metrics!r}") from None
        if epoch is not None:
            epoch = _integer(epoch, "epoch", name, 0)
            warnings.warn(
                f"{name}(metrics, epoch) is deprecated, as in torch: call step(metrics) once "
                "per epoch",
                UserWarning,
                stacklevel=2,
            )
        groups = self.optimizer.param_groups
        min_lrs = self.min_lrs
        if len(groups) != len(min_lrs):
            if self.default_min_lr is None:
                # (as torch, only when a reduction is due; checked before anything changes)
                better = self._is_better(current, self.best)
                bad = 0 if better or self.in_cooldown else self.num_bad_epochs + 1
                if bad > self.patience:
                    raise RuntimeError(
                        f"{name}: the optimizer has {len(groups)} parameter groups but min_lr "
                        f"was given for {len(min_lrs)}; set min_lrs to one value per group"
                    )
            else:
                min_lrs = [self.default_min_lr] * len(groups)
        for i, g in enumerate(groups):  # (before anything changes)
            _group_lr(g, i, "ReduceLROnPlateau")
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self.min_lrs = min_lrs
            for g, low in zip(groups, min_lrs, strict=True):
                old = float(g["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [g["lr"] for g in groups]

    def _check_state_dict(self, state_dict: Any, floor: int = -1) -> None:
        super()._check_state_dict(state_dict, floor)
        merged = {**self.__dict__, **state_dict}
        probe = object.__new__(ReduceLROnPlateau)  # check the mode before changing anything
        probe._set_mode(
            merged["mode"],
            merged["threshold"],
            merged["threshold_mode"],
            "ReduceLROnPlateau.load_state_dict",
        )

    def _load(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})
        self.mode_worse = math.inf if self.mode == "min" else -math.inf


def _check_parts(owner: str, schedulers: Any, optimizer: Any) -> list[LRScheduler]:
    """The schedulers of a combinator, all on ``optimizer`` (None: the first one's)."""
    if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, (list, tuple)):
        raise TypeError(f"{owner}: schedulers must be a list of schedulers, got {schedulers!r}")
    if not schedulers:
        raise ValueError(f"{owner}: expected at least one scheduler")
    if optimizer is None:
        optimizer = getattr(schedulers[0], "optimizer", None)
    _check_optimizer(optimizer, owner)
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise TypeError(f"{owner}: schedulers[{i}] is not a scheduler, got {s!r}")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(
                f"{owner}: schedulers[{i}] is a ReduceLROnPlateau, which needs a metric at each "
                "step; step it separately"
            )
        if s.optimizer is not optimizer:
            raise ValueError(f"{owner}: schedulers[{i}] belongs to another optimizer")
    return list(schedulers)


class _Combined(LRScheduler):
    """A scheduler made of others: its state dict holds theirs (as torch's)."""

    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        sd = {
            k: _copy(v)
            for k, v in self.__dict__.items()
            if k not in _NOT_STATE and k != "_schedulers"
        }
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def _check_state_dict(self, state_dict: Any, floor: int = -1) -> None:
        parts = state_dict.get("_schedulers") if isinstance(state_dict, Mapping) else None
        if not isinstance(parts, (list, tuple)) or len(parts) != len(self._schedulers):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected '_schedulers' with "
                f"{len(self._schedulers)} state dicts"
            )
        # (its own count is never rewound; a schedule inside SequentialLRs was rewound by each:
        # torch's count reaches -2 and less there)
        super()._check_state_dict({k: v for k, v in state_dict.items() if k != "_schedulers"})
        inner = floor - 1 if isinstance(self, SequentialLR) else floor
        for part, sd in zip(self._schedulers, parts, strict=True):
            part._check_state_dict(sd, inner)
        if "_milestones" in state_dict:  # (SequentialLR's: as its constructor checks them)
            owner = f"{type(self).__name__}.load_state_dict"
            _sequence_marks(state_dict["_milestones"], len(self._schedulers) - 1, owner)

    def _load(self, state_dict: dict[str, Any]) -> None:
        for part, sd in zip(self._schedulers, state_dict["_schedulers"], strict=True):
            part._load(sd)
        super()._load({k: v for k, v in state_dict.items() if k != "_schedulers"})

    def _take_over_undo(self, before: list[Any]) -> None:
        """The combinator undoes its parts' constructions and its own as one (the parts'
        changes are not theirs alone any more): back to ``before``, the rates before the first
        part was built (``_rates_before``)."""
        _forget_undo(self)
        self._undo = _Undo(before, self.optimizer, chained=True)


def _rates_before(part: LRScheduler, optimizer: Optimizer) -> list[Any]:
    while isinstance(part, _Combined):
        part = part._schedulers[0]
    undo = part.__dict__.get("_undo")
    return list(undo.before) if undo is not None else [g["lr"] for g in optimizer.param_groups]


def _forget_undo(scheduler: LRScheduler) -> None:
    scheduler._undo = None
    for part in getattr(scheduler, "_schedulers", ()):
        _forget_undo(part)


def _guard(optimizer: Optimizer, schedulers: list[LRScheduler]) -> Callable[[], None]:
    """A function that puts back the groups' rates and the attributes of ``schedulers`` (and
    of their parts) as they are now: a combinator changes its parts one after another, and a
    later one may raise, which must change nothing."""
    groups_of = optimizer.param_groups
    groups = [(g, {k: g[k] for k in ("lr", "initial_lr") if k in g}) for g in groups_of]
    built = _copy(optimizer.__dict__.get("_built"))
    saved = []
    stack = list(schedulers)
    while stack:
        part = stack.pop()
        saved.append((part, {k: _copy(v) for k, v in part.__dict__.items()}))
        stack.extend(getattr(part, "_schedulers", ()))

    def restore() -> None:
        for g, values in groups:
            g.pop("initial_lr", None)
            g.update(values)
        for part, attributes in saved:
            part.__dict__.clear()
            part.__dict__.update(attributes)
        if "_built" in optimizer.__dict__:
            optimizer._built = built

    return restore


def _rewind(scheduler: LRScheduler) -> None:
    """Take back a scheduler's first step (torch's recursive_undo): the epoch count of each
    schedule inside it goes back by one."""
    if isinstance(scheduler, _Combined):
        for part in scheduler._schedulers:
            _rewind(part)
    else:
        scheduler.last_epoch -= 1


def _first_step(scheduler: LRScheduler, restart: bool = False) -> None:
    """A part's first step in a SequentialLR: at its next epoch, or (``restart``, at a
    milestone) at its epoch 0 in the closed form, as torch's; a resumed part that keeps the
    groups' rates when built resumed (``_resume_keeps``) keeps them here too, as torch's."""
    if isinstance(scheduler, _Combined):
        scheduler.step()
    elif restart:
        scheduler._step(0, closed=True)
    elif scheduler.last_epoch >= 0 and scheduler._resume_keeps:
        scheduler._step(scheduler.last_epoch + 1, closed=True, keep=True)
    else:
        scheduler._step(scheduler.last_epoch + 1, closed=False)


def _sequence_marks(milestones: Any, count: int, owner: str) -> list[int]:
    """SequentialLR's milestones: ``count`` increasing epochs."""
    if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
        raise TypeError(f"{owner}: milestones must be a list of epochs, got {milestones!r}")
    marks = [_integer(m, "milestones", owner, 0) for m in milestones]
    if len(marks) != count:
        raise ValueError(
            f"{owner}: expected {count} milestones (one fewer than the schedulers), "
            f"got {len(marks)}"
        )
    if marks != sorted(marks):
        raise ValueError(f"{owner}: milestones must be increasing, got {marks}")
    return marks


class SequentialLR(_Combined):
    """``schedulers[i]`` runs from ``milestones[i - 1]`` (restarting at its epoch 0) until the
    next milestone, as torch's ``SequentialLR``."""

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        name = "SequentialLR"
        _check_optimizer(optimizer, name)
        parts = _check_parts(name, schedulers, optimizer)
        marks = _sequence_marks(milestones, len(parts) - 1, name)
        self._schedulers, self._milestones = parts, marks
        self.optimizer = optimizer
        self.last_epoch = _integer(last_epoch, "last_epoch", name, -1) + 1
        # the parts' first steps are undone: the groups start again from their initial rates
        # (a group added since: from its own), and the first part takes its epoch 0; all or
        # nothing
        restore = _guard(optimizer, parts)
        try:
            before = _rates_before(parts[0], optimizer)
            for g in optimizer.param_groups:
                g["lr"] = g.get("initial_lr", g["lr"])
            for part in parts:
                _rewind(part)
            first = parts[bisect.bisect_right(marks, 0)]
            _first_step(first)
            self.base_lrs = [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups]
            self._last_lr = first.get_last_lr()
            self._take_over_undo(before)
        except BaseException:
            restore()
            raise

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch: the current part steps, or the next one starts at its epoch 0."""
        self.last_epoch += 1
        i = bisect.bisect_right(self._milestones, self.last_epoch)
        part = self._schedulers[i]
        try:
            if i > 0 and self._milestones[i - 1] == self.last_epoch:
                _first_step(part, restart=True)
            else:
                part.step()
        except BaseException:
            self.last_epoch -= 1
            raise
        self._last_lr = part.get_last_lr()


class ChainedScheduler(_Combined):
    """Steps every scheduler in ``schedulers`` at each ``step()``, in order (as torch's; the
    schedules chain, see the module docstring)."""

    def __init__(self, schedulers: list[LRScheduler], optimizer: Optimizer | None = None) -> None:
        self._schedulers = _check_parts("ChainedScheduler", schedulers, optimizer)
        self.optimizer = self._schedulers[0].optimizer if optimizer is None else optimizer
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]
        self._take_over_undo(_rates_before(self._schedulers[0], self.optimizer))

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order (all or nothing: a part that raises undoes the
        steps of the parts before it)."""
        restore = _guard(self.optimizer, self._schedulers)
        try:
            for part in self._schedulers:
                part.step()
        except BaseException:
            restore()
            raise
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]
