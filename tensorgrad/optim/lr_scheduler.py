"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``: ``StepLR``, ``MultiStepLR``,
``ExponentialLR``, ``LinearLR``, ``CosineAnnealingLR``, ``LambdaLR`` and ``ReduceLROnPlateau``.

Call ``scheduler.step()`` once per epoch after ``optimizer.step()`` (``ReduceLROnPlateau``:
``scheduler.step(metric)``). The epoch-indexed rates come from each schedule's closed form in the
epoch count, so they do not drift. They match torch's recursive form as long as only the
scheduler sets ``lr``: a rate changed by hand (or by a second scheduler) is overwritten at the
next ``step()`` (torch would carry it on), and a schedule resumed with ``last_epoch`` starts at
that epoch's closed-form rate. ``load_state_dict`` also gives the groups the rates the saved
schedule had set, so a scheduler built after the optimizer's state was loaded resumes at them.
Where torch's recursive products round differently, the values agree to a few units in the last
place, except where the schedule reaches exactly 0: there the closed form gives 0
(``LinearLR(end_factor=0)`` after ``total_iters``) where torch's products may leave a residue of
order 1e-17 times the base rate.

A step or load that raises changes nothing (the epoch count, the rates and the state are kept).
"""

from __future__ import annotations

import bisect
import math
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from tensorgrad.optim.optimizer import Optimizer, _is_number

__all__ = [
    "LRScheduler",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "ReduceLROnPlateau",
]


def _number(
    value: Any, name: str, owner: str, low: float = -math.inf, high: float = math.inf
) -> float:
    """``value`` as a float: TypeError unless a real number, ValueError unless finite and in
    ``[low, high]``; both name ``owner`` and the argument."""
    if not _is_number(value):
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


def _integer(value: Any, name: str, owner: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``, else ValueError naming ``owner`` and the argument."""
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_optimizer(optimizer: Any, owner: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected an Optimizer, got {optimizer!r}")


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


class LRScheduler:
    """Base class: sets every group's ``lr`` to ``get_lr()`` at each ``step()``."""

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
        self.step()  # (if it raises, no group has been given an 'initial_lr')
        for g, base in zip(groups, self.base_lrs, strict=True):
            g.setdefault("initial_lr", base)

    def get_lr(self) -> list[float]:
        """The rates at epoch ``self.last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the learning rates."""
        groups = self.optimizer.param_groups
        previous = self.last_epoch
        self.last_epoch += 1
        try:
            lrs = list(self.get_lr())
            if len(lrs) != len(groups):
                raise ValueError(
                    f"{type(self).__name__}.step: the optimizer has {len(groups)} parameter "
                    f"groups, the schedule was made for {len(lrs)}"
                )
        except BaseException:
            self.last_epoch = previous
            raise
        for g, lr in zip(groups, lrs, strict=True):
            g["lr"] = lr
        self._last_lr = lrs

    def get_last_lr(self) -> list[float]:
        """The rates set by the last ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer, as torch (lists are copies)."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by ``state_dict()`` and give the groups the rates of the
        restored epoch; a key this scheduler does not have raises ValueError, and nothing
        changes."""
        self._check_state_dict(state_dict)
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})
        self._restore_rates()

    def _restore_rates(self) -> None:
        # NOTE: building a schedule sets the rates of epoch 0, also after the optimizer's state
        # was loaded; without this the groups would keep those until the next step() (torch
        # keeps the loaded rate at construction, where its recursive form starts from it).
        lrs = self.__dict__.get("_last_lr")
        groups = self.optimizer.param_groups
        if isinstance(lrs, list) and len(lrs) == len(groups):  # (else step() says what is wrong)
            for g, lr in zip(groups, lrs, strict=True):
                g["lr"] = lr

    def _check_state_dict(self, state_dict: Any) -> None:
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
        if "last_epoch" in state_dict:
            _integer(state_dict["last_epoch"], "last_epoch", f"{name}.load_state_dict", -1)


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _integer(step_size, "step_size", "StepLR", 1)
        self.gamma = _number(gamma, "gamma", "StepLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr = base_lr * gamma ** (number of milestones <= epoch)``; ``milestones`` are epochs
    in increasing order (a repeated milestone decays by ``gamma`` once per repetition, as
    torch)."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        if isinstance(milestones, (str, bytes, Mapping)) or not isinstance(milestones, Iterable):
            raise TypeError(f"MultiStepLR: milestones must be a list of epochs, got {milestones!r}")
        marks = list(milestones)
        if not all(_is_int(m) and m >= 0 for m in marks):
            raise ValueError(f"MultiStepLR: milestones must be epochs (ints >= 0), got {marks!r}")
        marks = [int(m) for m in marks]
        if any(b < a for a, b in zip(marks, marks[1:])):
            raise ValueError(f"MultiStepLR: milestones must be increasing, got {marks}")
        self.milestones, self.gamma = marks, _number(gamma, "gamma", "MultiStepLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        decays = bisect.bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**decays for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _number(gamma, "gamma", "ExponentialLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """``lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters)
    / total_iters)``: from ``start_factor`` in (0, 1] to ``end_factor`` in [0, 1] of the base
    rate over ``total_iters`` epochs, then constant."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        start = _number(start_factor, "start_factor", "LinearLR")
        if not 0.0 < start <= 1.0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        self.start_factor = start
        self.end_factor = _number(end_factor, "end_factor", "LinearLR", 0.0, 1.0)
        self.total_iters = _integer(total_iters, "total_iters", "LinearLR", 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        # (exactly end_factor from total_iters on; never below 0 for end_factor 0)
        factor = e if self.last_epoch >= n else s + (e - s) * (self.last_epoch / n)
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _integer(T_max, "T_max", "CosineAnnealingLR", 1)
        self.eta_min = _number(eta_min, "eta_min", "CosineAnnealingLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cos = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cos for base in self.base_lrs]


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

    def get_lr(self) -> list[float]:
        lrs = []
        for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True):
            factor = fn(self.last_epoch)
            if not _is_number(factor):
                raise TypeError(
                    f"LambdaLR: lr_lambda returned {factor!r} at epoch {self.last_epoch}, "
                    "expected a number"
                )
            lrs.append(base * float(factor))
        return lrs

    def state_dict(self) -> dict[str, Any]:
        sd = {k: _copy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        sd["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._check_state_dict(state_dict)
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
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items() if k != "lr_lambdas"})
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                fn.__dict__.update(attrs)
        self._restore_rates()


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
        factor = _number(factor, "factor", name, 0.0)
        if factor >= 1.0:
            raise ValueError(f"{name}: factor must be < 1.0, got {factor!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"{name}: expected {n} min_lr values, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = [_number(m, "min_lr", name, 0.0) for m in min_lr]
        else:
            self.default_min_lr = _number(min_lr, "min_lr", name, 0.0)
            self.min_lrs = [self.default_min_lr] * n
        self._set_mode(mode, threshold, threshold_mode, name)
        self.optimizer = optimizer
        self.factor = factor
        self.patience = _integer(patience, "patience", name, 0)
        self.cooldown = _integer(cooldown, "cooldown", name, 0)
        self.eps = _number(eps, "eps", name, 0.0)
        self.last_epoch = 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

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

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record one epoch's ``metrics`` (a number or a one-element Tensor) and reduce the
        rates if it has not improved for more than ``patience`` epochs."""
        name = "ReduceLROnPlateau.step"
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: metrics must be a number, got {metrics!r}") from None
        groups = self.optimizer.param_groups
        min_lrs = self.min_lrs
        if len(groups) != len(min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"{name}: the optimizer has {len(groups)} parameter groups but min_lr was "
                    f"given for {len(min_lrs)}; set min_lrs to one value per group"
                )
            min_lrs = [self.default_min_lr] * len(groups)
        self.last_epoch += 1
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

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._check_state_dict(state_dict)
        merged = {**self.__dict__, **state_dict}
        probe = object.__new__(ReduceLROnPlateau)  # check the mode before changing anything
        probe._set_mode(
            merged["mode"],
            merged["threshold"],
            merged["threshold_mode"],
            "ReduceLROnPlateau.load_state_dict",
        )
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})
        self.mode_worse = probe.mode_worse
