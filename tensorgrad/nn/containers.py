"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, as in PyTorch."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from tensorgrad.nn.module import Module, Parameter
from tensorgrad.tensor import Tensor, is_int

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(i: int, n: int, what: str) -> int:
    try:
        i = operator.index(i)
    except TypeError:
        raise TypeError(
            f"{what} indices must be integers or slices, got {type(i).__name__}"
        ) from None
    if not -n <= i < n:
        raise IndexError(f"{what}: index {i} is out of range for {n} modules")
    return i % n


def _numbered(container: Module) -> bool:
    """Whether the children are named "0", "1"... in order (not by an ``OrderedDict``'s keys)."""
    return list(container._modules) == [str(j) for j in range(len(container._modules))]


def _delete(container: Module, i: int | slice, what: str, renumber: bool) -> None:
    """Remove the children at position(s) ``i``; with ``renumber`` the rest are named
    ``"0"``, ``"1"``... again, as torch (so names keep matching positions)."""
    names = list(container._modules)
    if isinstance(i, slice):
        gone = set(names[i])
    else:
        if not is_int(i):
            raise TypeError(f"{what}: index must be an int or a slice, got {i!r}")
        gone = {names[_index(int(i), len(names), what)]}
    kept = [(k, m) for k, m in container._modules.items() if k not in gone]
    container._modules.clear()
    for j, (k, m) in enumerate(kept):
        container._modules[str(j) if renumber else k] = m


def _insert(container: Module, index: Any, module: Any, what: str, none: bool = False) -> None:
    """Insert ``module`` (or, with ``none``, None) before position ``index``, as torch: the
    later modules move up one name, so names and registration order stay the list order. A
    negative or too large ``index`` is clamped as by ``list.insert`` (torch breaks on those)."""
    if not (isinstance(module, Module) or (none and module is None)):
        raise TypeError(f"{what}: {module!r} is not a Module")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{what}: index must be an int, got {index!r}")
    items = list(container._modules.items())
    n = len(items)
    i = min(max(int(index) + n if index < 0 else int(index), 0), n)
    if not _numbered(
        container
    ):  # (names given by an OrderedDict: the new one is numbered by position)
        if str(i) in container._modules:
            raise KeyError(f"{what}: a module named {str(i)!r} is already present")
        items.insert(i, (str(i), module))
    else:
        items.insert(i, ("", module))
        items = [(str(j), m) for j, (_, m) in enumerate(items)]
    container._modules.clear()
    for k, m in items:
        container.add_module(k, m)


class Sequential(Module):
    """Modules applied in order: ``Sequential(a, b)(x) == b(a(x))``; children are named
    ``"0"``, ``"1"``... (or by the keys of an ``OrderedDict`` argument)."""

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                if not isinstance(m, Module):
                    raise TypeError(f"Sequential: argument {i} is not a Module: {m!r}")
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(i, slice):
            return Sequential(OrderedDict(items[i]))
        return items[_index(i, len(items), "Sequential")][1]

    def __setitem__(self, i: int, module: Module) -> None:
        """Replace the module at position ``i`` (it keeps its name and position)."""
        names = list(self._modules)
        setattr(self, names[_index(i, len(names), "Sequential")], module)

    def __delitem__(self, i: int | slice) -> None:
        """Remove the module(s) at ``i``; the rest are renumbered if they were numbered (torch
        renumbers names given by an ``OrderedDict`` too; those are kept here)."""
        _delete(self, i, "Sequential", renumber=_numbered(self))

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: {module!r} is not a Module")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert ``module`` before position ``index`` (see ``ModuleList.insert``)."""
        _insert(self, index, module, "Sequential.insert")
        return self

    def pop(self, i: int = -1) -> Module:
        """Remove and return the module at ``i`` (the last by default)."""
        module = self[i]
        del self[i]
        return module

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of both's modules (the same module objects), as torch."""
        if not isinstance(other, Sequential):
            return NotImplemented
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            return NotImplemented
        return self.extend(list(other))


class ModuleList(Module):
    """A list of modules whose parameters are registered (children ``"0"``, ``"1"``...)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or ():
            self.append(m)

    def append(self, module: Module | None) -> ModuleList:
        # (None holds a place, as torch's and as ``ml[i] = None``)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"ModuleList: {module!r} is not a Module")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``, as torch: the later modules move up one
        name, so names and registration order stay the list order. A negative or too large
        ``index`` is clamped as by ``list.insert`` (torch breaks on those)."""
        _insert(self, index, module, "ModuleList.insert", none=True)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        """A new ModuleList of both's modules (the same module objects), as torch."""
        return ModuleList([*self, *other])

    def __iadd__(self, other: Iterable[Module]) -> ModuleList:
        return self.extend(list(other))

    def __len__(self) -> int:
        return len(self._modules)

    def __repr__(self) -> str:
        """As torch's: a run of modules that print alike is one line, ``(0-2): 3 x Linear(...)``
        (a deep network of identical blocks prints in a few lines)."""
        runs: list[list] = []  # [first index, last index, repr]
        for i, m in enumerate(self):
            text = repr(m)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return f"{type(self).__name__}()"
        lines = [
            (f"({a}): " if a == b else f"({a}-{b}): {b - a + 1} x ") + text.replace("\n", "\n  ")
            for a, b, text in runs
        ]
        return f"{type(self).__name__}(" + "".join("\n  " + line for line in lines) + "\n)"

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(items[i])
        return items[_index(i, len(items), "ModuleList")]

    def __setitem__(self, i: int, module: Module) -> None:
        self.add_module(str(_index(i, len(self), "ModuleList")), module)

    def __delitem__(self, i: int | slice) -> None:
        """Remove the module(s) at ``i``; the rest are renumbered, as torch."""
        _delete(self, i, "ModuleList", renumber=True)

    def pop(self, i: int = -1) -> Module:
        """Remove and return the module at ``i`` (the last by default)."""
        module = self[i]
        del self[i]
        return module


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):  # (None: a placeholder, as
            raise TypeError(f"ModuleDict: {module!r} is not a Module")  # torch's add_module)
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module (``KeyError`` if absent), as torch."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add the modules of a mapping, or of an iterable of ``(key, module)`` pairs, as
        torch's."""
        if isinstance(modules, (Mapping, ModuleDict)):
            pairs = list(modules.items())
        else:
            try:
                pairs = [tuple(p) for p in modules]
            except TypeError:
                raise TypeError(
                    f"ModuleDict.update: expected a mapping or (key, module) pairs, got "
                    f"{type(modules).__name__}"
                ) from None
            for i, p in enumerate(pairs):
                if len(p) != 2:
                    raise ValueError(
                        f"ModuleDict.update: element {i} has {len(p)} items; pairs must be "
                        "(key, module)"
                    )
        for k, m in pairs:  # (all checked before any is added: names too; None a placeholder)
            if m is not None and not isinstance(m, Module):
                raise TypeError(f"ModuleDict: {m!r} is not a Module")
            self._check_name(k, "module", self._modules)
        for k, m in pairs:
            self[k] = m


# ----------------------------------------------------------------------------- parameters


def _parameter(value: Any, what: str) -> Parameter | None:
    """``value`` as a container's entry: a Parameter as it is, another Tensor made a Parameter
    (as torch's containers do; ``Parameter(t)`` copies ``t``'s data, see ``Parameter``), None a
    placeholder; anything else refused (torch keeps other objects as plain attributes)."""
    if value is None or isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{what}: expected a Parameter, a Tensor or None, got {type(value).__name__}")


def _parameter_lines(container: Module, keys: Iterable[Any]) -> str:
    """One line per entry, ``(key): Parameter containing: [float32 of shape (2, 3)]``, as
    torch's ``extra_repr`` of its parameter containers."""
    lines = []
    for k in keys:
        p = container._parameters[str(k)]
        text = "None" if p is None else f"Parameter containing: [{p.dtype} of shape {p.shape}]"
        lines.append(f"({k}): {text}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list of parameters, registered as ``"0"``, ``"1"``... so that ``parameters()``,
    ``state_dict``, ``to`` and ``zero_grad`` see them, as ``torch.nn.ParameterList``."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(list(self._parameters.values()))

    def __getitem__(self, i: int | slice) -> Any:
        values = list(self._parameters.values())
        if isinstance(i, slice):
            return ParameterList(values[i])
        return values[_index(i, len(values), "ParameterList")]

    def __setitem__(self, i: int, value: Any) -> None:
        """Replace the entry at position ``i`` (a Tensor is made a Parameter)."""
        i = _index(i, len(self), "ParameterList")
        self._parameters[str(i)] = _parameter(value, "ParameterList")

    def append(self, value: Any) -> ParameterList:
        self.register_parameter(str(len(self)), _parameter(value, "ParameterList.append"))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(
                f"ParameterList.extend: expected an iterable of parameters, got "
                f"{type(values).__name__}"
            )
        values = [_parameter(v, "ParameterList.extend") for v in values]  # (all checked first)
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called")

    def extra_repr(self) -> str:
        return _parameter_lines(self, range(len(self)))


class ParameterDict(Module):
    """A dict of parameters registered under their (string) keys, as
    ``torch.nn.ParameterDict``: ``parameters()``, ``state_dict``, ``to`` and ``zero_grad`` see
    them; a key must be a valid parameter name (no ``.``, not one of the dict's methods)."""

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, _parameter(value, "ParameterDict"))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._parameters))

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._parameters))

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        return self._parameters.keys()

    def values(self) -> Iterable[Parameter]:
        return self._parameters.values()

    def items(self) -> Iterable[tuple[str, Parameter]]:
        return self._parameters.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Parameter:
        """Remove ``key`` and return its parameter (``KeyError`` if absent)."""
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Parameter]:
        """Remove and return the last inserted ``(key, parameter)`` (``KeyError`` if empty)."""
        if not self._parameters:
            raise KeyError("ParameterDict.popitem: the dict is empty")
        return self._parameters.popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        self._parameters.clear()

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameter objects."""
        return ParameterDict(list(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with ``keys``, each holding ``default``."""
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add the entries of a mapping (another ``ParameterDict`` too) or of ``(key, value)``
        pairs; all are checked before any is added."""
        if isinstance(parameters, (Mapping, ParameterDict)):
            pairs = list(parameters.items())
        else:
            try:
                pairs = [tuple(p) for p in parameters]
            except TypeError:
                raise TypeError(
                    f"ParameterDict.update: expected a mapping or (key, value) pairs, got "
                    f"{type(parameters).__name__}"
                ) from None
            for i, p in enumerate(pairs):
                if len(p) != 2:
                    raise ValueError(
                        f"ParameterDict.update: element {i} has {len(p)} items; pairs must be "
                        "(key, value)"
                    )
        pairs = [(k, _parameter(v, "ParameterDict.update")) for k, v in pairs]
        for k, _ in pairs:
            self._check_name(k, "parameter", self._parameters)
        for k, v in pairs:
            self.register_parameter(k, v)

    def __or__(self, other: ParameterDict) -> ParameterDict:
        if not isinstance(other, ParameterDict):
            return NotImplemented
        out = self.copy()
        out.update(other)
        return out

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called")

    def extra_repr(self) -> str:
        return _parameter_lines(self, self._parameters)
