"""The ``Optimizer`` base class: parameter groups, per-parameter state, all-or-nothing steps.

A step first computes every new parameter value and state entry into fresh arrays (a pure
function of the old ones, ``_update``), then writes all parameters through the one in-place
path. If anything raises while computing (a gradient of the wrong shape, a bad hyperparameter)
no parameter and no state entry has changed.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from tensorgrad.grad_mode import enable_grad
from tensorgrad.nn._inplace import assign_all, grad_array, zero_grads
from tensorgrad.tensor import Tensor, flag_arg, is_number

__all__ = ["Optimizer"]

State = dict[str, Any]


def _check_param(p: Any, where: str) -> Tensor:
    if not isinstance(p, Tensor):
        raise TypeError(f"{where}: optimizers take Tensors, got {type(p).__name__}")
    if not p.is_leaf:
        raise ValueError(f"{where}: cannot optimize a non-leaf tensor (shape {p.shape})")
    if p.dtype.kind != "f":
        raise TypeError(f"{where}: cannot optimize a tensor of dtype {p.dtype}")
    return p


def _next_step(step: Any) -> tuple[int, Any]:
    """The step after ``step`` (None: none yet) as an int to count with, and as the value to
    store, of ``step``'s type: a loaded 0-d array or float step stays one (torch increments its
    step tensor in place)."""
    if step is None:
        return 1, 1
    new = step + 1
    if isinstance(step, np.ndarray):
        new = np.asarray(new, dtype=step.dtype)
    return int(new), new


def _check_step(value: Any, where: str) -> int:
    """A step count: a non-negative integer (an integral float or 0-d array is accepted, as
    torch stores ``step`` as a float tensor); TypeError or ValueError naming ``where``."""
    raw = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
    numeric = (int, float, np.integer, np.floating)
    if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, numeric):
        raise TypeError(f"{where} must be a non-negative int, got {value!r}")
    if isinstance(raw, (int, np.integer)):
        ok = raw >= 0
    else:
        ok = math.isfinite(raw) and raw >= 0 and float(raw).is_integer()
    if not ok:
        raise ValueError(f"{where} must be a non-negative int, got {value!r}")
    return int(raw)


def _as_floats(group: dict[str, Any]) -> dict[str, Any]:
    """``group`` with its numbers (also inside tuples: Adam's betas) as Python floats: a NumPy
    scalar, 0-d array or Tensor hyperparameter (a scheduler's ``np.cos``) would make a float32
    parameter's update and state float64 (NEP 50), where a Python float does not."""
    out = {}
    for k, v in group.items():
        if k == "params":
            out[k] = v
        elif isinstance(v, tuple):
            out[k] = tuple(float(b) if is_number(b) else b for b in v)
        else:
            out[k] = float(v.data if isinstance(v, Tensor) else v) if is_number(v) else v
    return out


_SWITCHES = ("foreach", "fused", "capturable", "differentiable")


def _implementation_flags(
    owner: str, flags: dict[str, Any], keywords: bool = True
) -> dict[str, Any]:
    """torch's implementation switches (``foreach``, ``fused``, ``capturable``,
    ``differentiable``), accepted so that torch code runs, and kept in the groups as torch's:
    they choose how torch computes a step, not what it computes, so they change nothing here.
    Each is a bool or None; ``differentiable=True`` (a step recorded for autograd) is refused;
    as ``keywords`` of a constructor, ``fused`` and ``foreach`` not both True (torch lets a
    group hold both)."""
    for key, value in flags.items():
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{owner}: {key} must be a bool or None, got {value!r}")
    if keywords and flags.get("fused") and flags.get("foreach"):
        raise ValueError(f"{owner}: fused and foreach cannot both be True, as in torch")
    if flags.get("differentiable"):
        raise ValueError(
            f"{owner}: differentiable=True is not supported (tensorgrad's optimizer steps are "
            "not recorded for autograd)"
        )
    return dict(flags)


def _listed(params: Any, owner: str) -> list[Any]:
    """``params`` (a Tensor, or an iterable of them, of pairs or of groups) as a list."""
    if isinstance(params, Tensor):
        return [params]
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, of (name, Tensor) pairs or of "
            f"parameter groups (dicts), got {type(params).__name__}"
        ) from None


def _named(params: list[Any]) -> tuple[list[Any], list[str] | None]:
    """``params`` as tensors, and their names if they came as ``(name, tensor)`` pairs (as
    ``module.named_parameters()`` gives them; torch keeps the names in the group)."""
    pairs = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params]
    if not any(pairs):
        return params, None
    if not all(pairs):
        raise ValueError("optimizer: all parameters in a group must be named, or none")
    return [p[1] for p in params], [p[0] for p in params]


class Optimizer:
    """Base class: ``params`` is an iterable of Tensors, of ``(name, tensor)`` pairs, or of
    dicts (parameter groups with their own hyperparameters); ``defaults`` fills in what a group
    does not set."""

    # hyperparameters a loaded group may lack (a state dict saved before they existed), and
    # the value they then take, as torch's ``__setstate__`` fills them in
    _load_defaults: dict[str, Any] = {"foreach": None, "differentiable": False}
    # the state entries that hold one value per element of the parameter
    _buffers: tuple[str, ...] = ()
    # the entries a parameter's state must have once it has any: those every step writes,
    # whatever the group's settings (an option switched on later starts its own buffers from
    # zeros, as its first step would)
    _state_keys: tuple[str, ...] = ()
    # the state entries that hold one number (NAdam's mu_product), however p is shaped
    _scalars: tuple[str, ...] = ()
    # the hyperparameters that must be numbers >= 0 (an lr a schedule took below 0 passes in
    # a step or a load)
    _nonnegative: tuple[str, ...] = ("lr", "eps", "weight_decay", "momentum", "alpha")
    # how many times ``load_state_dict`` succeeded (a schedule built over a loaded state undoes
    # its construction's change on its own load, unless the optimizer was loaded again since)
    _loads = 0
    # the rates before and after the schedulers built since the last load (lr_scheduler._Undo)
    _built: list[list[Any]] | None = None

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        # (as torch's: a parameter without state yet reads as {})
        self.state: defaultdict[Tensor, State] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = _listed(params, type(self).__name__)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with optional hyperparameter overrides); the argument's
        name is torch's."""
        group = param_group
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group is a dict with a 'params' entry")
        if isinstance(group["params"], set):
            # (as torch: a set's order, and so each parameter's index in a state dict, would
            # follow hashing; a load could give parameters of one shape each other's state)
            raise TypeError(
                f"{name}: a parameter group's params must be an ordered collection (a list or "
                "tuple), not a set"
            )
        params, names = _named(_listed(group["params"], name))
        params = [_check_param(p, name) for p in params]
        kinds = {"param_names" in g for g in self.param_groups} | {names is not None}
        if len(kinds) > 1:  # (as torch: state dicts match groups by name or by position)
            raise ValueError(f"{name}: all parameter groups must be named, or none")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or seen & {id(p) for p in params}:
            raise ValueError(f"{name}: some parameters appear more than once")
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self._validate(full)
        full["params"] = params
        if names is not None:
            full["param_names"] = names
        self.param_groups.append(full)

    def _validate(self, group: dict[str, Any], started: bool = False) -> None:
        """Raise ValueError for an invalid hyperparameter (subclasses extend). ``started``: for
        a step or a load, where a negative lr passes, as torch (a schedule can take it a hair
        below 0; torch checks it in the constructor only, tensorgrad in a new group too)."""
        name = type(self).__name__
        for key in self._nonnegative:
            if key not in group:
                continue
            value = group[key]
            if not is_number(value):
                raise TypeError(f"{name}: {key} must be a number, got {value!r}")
            v = float(value)
            if not (v >= 0.0 or (started and key == "lr" and v == v)):
                raise ValueError(f"{name}: invalid {key} {value!r} (must be >= 0)")
        if "maximize" in group:
            flag_arg(group["maximize"], "maximize", name)
        # (a group's own switches, or loaded ones, as the constructor's keywords; a switch
        # this optimizer has not is a key of the group's own, as torch's)
        switches = {k: group[k] for k in _SWITCHES if k in group and k in self.defaults}
        if switches:
            _implementation_flags(name, switches, keywords=False)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the ``.grad`` of every parameter (to None by default, as torch; else zeroed in
        place)."""
        zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; with ``closure``, re-evaluate the loss
        first and return it."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        name = type(self).__name__
        writes = []
        new_states = []
        for group in self.param_groups:
            self._validate(group, started=True)
            hyper = _as_floats(group)
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = grad_array(p, f"{name}.step").astype(p.dtype, copy=False)
                new_p, state = self._update(p.data, grad, self.state.get(p, {}), hyper)
                if not p.ndim:  # NumPy arithmetic on 0-d arrays gives scalars: keep arrays
                    state = {
                        k: np.asarray(v) if isinstance(v, np.generic) and k != "step" else v
                        for k, v in state.items()
                    }
                writes.append((p, new_p))
                new_states.append((p, state))

        def commit() -> None:
            for p, state in new_states:
                if state or p in self.state:  # (SGD without momentum keeps none, as torch)
                    self.state[p] = state

        assign_all(writes, commit)  # (the parameters and their state: all or nothing)
        return loss

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: State, group: dict[str, Any]
    ) -> tuple[np.ndarray, State]:
        """The new parameter value and state, as fresh arrays (the old ones are not touched)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}`` with
        parameters numbered across groups in order, as torch; arrays are copies."""
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": ids})
        state = {}
        for g in self.param_groups:
            for p in g["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: (v.copy() if isinstance(v, np.ndarray) else v)
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state; everything is checked before anything changes."""
        name = type(self).__name__
        try:
            groups, state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError, IndexError):  # (IndexError: a NumPy scalar or array)
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'"
            ) from None
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, Mapping) for g in groups):
            raise TypeError(
                f"{name}.load_state_dict: 'param_groups' must be a list of dicts, got "
                f"{groups!r:.80}"
            )
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{name}.load_state_dict: 'state' must be a dict, got {type(state).__name__}"
            )
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: {len(groups)} parameter groups, expected "
                f"{len(self.param_groups)}"
            )
        params: dict[int, Tensor] = {}
        new_groups = []
        for mine, saved in zip(self.param_groups, groups, strict=True):
            ids = saved.get("params", ())
            if not isinstance(ids, (list, tuple)):
                raise TypeError(
                    f"{name}.load_state_dict: a group's 'params' must be a list of parameter "
                    f"indices, got {ids!r:.80}"
                )
            if len(ids) != len(mine["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: a group has {len(saved.get('params', ()))} "
                    f"parameters, expected {len(mine['params'])}"
                )
            for i in ids:
                try:
                    hash(i)
                except TypeError:
                    raise TypeError(
                        f"{name}.load_state_dict: a group's 'params' must be a list of parameter "
                        f"indices, got {ids!r:.80}"
                    ) from None
            params.update(zip(ids, mine["params"], strict=True))
            # (copies: a later change to the caller's dict, or its betas list, reaches nothing)
            g = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for k, v in self._load_defaults.items():
                g.setdefault(k, v)
            missing = [k for k in self.defaults if k not in g]
            if missing:
                raise ValueError(
                    f"{name}.load_state_dict: a parameter group has no {', '.join(missing)}"
                )
            g["params"] = mine["params"]
            if "param_names" in mine:
                g.setdefault("param_names", mine["param_names"])
            self._validate(g, started=True)
            new_groups.append(g)
        new_state: defaultdict[Tensor, State] = defaultdict(dict)
        for key, entry in state.items():
            if key not in params:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter {key!r}")
            p = params[key]
            converted: State = {}
            if not isinstance(entry, dict):
                raise TypeError(
                    f"{name}.load_state_dict: state of parameter {key!r} must be a dict, got "
                    f"{type(entry).__name__}"
                )
            if entry:
                absent = [k for k in self._state_keys if k not in entry]
                if absent:  # (a restart from zeros would silently change the trajectory)
                    raise ValueError(
                        f"{name}.load_state_dict: state of parameter {key!r} has no "
                        f"{', '.join(map(repr, absent))}"
                    )
            for k, v in entry.items():
                if isinstance(v, Tensor):
                    v = v.data
                if v is None and k != "step":  # (torch's SGD saves a momentum_buffer of None)
                    if k in self._state_keys:  # (a required one would restart from zeros)
                        raise ValueError(
                            f"{name}.load_state_dict: state {k!r} of parameter {key!r} is None"
                        )
                    continue
                if k == "step":
                    # kept as saved (a 0-d array stays one, of its dtype), as torch keeps its
                    # step tensor uncast; the algorithms count with its value
                    _check_step(v, f"{name}.load_state_dict: state 'step' of parameter {key!r}")
                    converted[k] = v.copy() if isinstance(v, np.ndarray) else v
                    continue
                if not isinstance(v, np.ndarray):
                    raise TypeError(
                        f"{name}.load_state_dict: state {k!r} of parameter {key} must be an "
                        f"array, got {type(v).__name__}"
                    )
                if v.dtype.kind not in "biuf":
                    raise TypeError(
                        f"{name}.load_state_dict: state {k!r} of parameter {key} has dtype "
                        f"{v.dtype}, expected numbers"
                    )
                if k in self._scalars and v.ndim:
                    raise ValueError(
                        f"{name}.load_state_dict: state {k!r} of parameter {key} has shape "
                        f"{v.shape}, expected one number (shape ())"
                    )
                if v.shape != p.shape and (v.ndim or k in self._buffers):
                    # (a 0-d buffer would be spread over p; another 0-d entry is a scalar)
                    raise ValueError(
                        f"{name}.load_state_dict: state {k!r} of parameter {key} has shape "
                        f"{v.shape}, expected {p.shape}"
                    )
                # (an array stays an array, in the parameter's dtype, as torch)
                converted[k] = v.astype(p.dtype, copy=True)
            new_state[p] = converted
        self.param_groups = new_groups
        self.state = new_state
        self._loads += 1
        self._built = None

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"
