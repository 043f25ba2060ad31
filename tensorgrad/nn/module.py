"""``Module`` and ``Parameter``: PyTorch's registration model over tensorgrad Tensors.

Assigning a ``Parameter`` or a ``Module`` as an attribute registers it; ``register_buffer``
registers non-trained state (running statistics). Names are dotted paths (``"0.weight"``), and
``state_dict`` / ``load_state_dict`` use them as keys. ``load_state_dict`` checks every key,
shape and dtype before it writes anything, then copies into the existing arrays through the one
in-place path (no recording, versions bumped).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from tensorgrad._device import to_arguments
from tensorgrad._dtypes import native
from tensorgrad.nn._inplace import assign_all, zero_grads
from tensorgrad.tensor import Tensor, bump_version, flag_arg

__all__ = ["Module", "Parameter", "IncompatibleKeys"]


class Parameter(Tensor):
    """A Tensor that a ``Module`` registers as trainable; ``requires_grad=True`` by default.

    ``Parameter(t)`` copies the data of ``t`` (a Tensor, ndarray or nested list) and keeps its
    dtype (unlike a plain ``tg.tensor`` of Python floats, there is no default-dtype cast for
    arrays).
    """

    __slots__ = ()
    _copies_grad = False  # (a copy of a model starts without gradients, as torch's)

    def __init__(self, data: Any = None, requires_grad: bool = True, dtype: Any = None) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _sharing(kind: type, value: Any) -> Tensor:
    """A ``kind`` leaf holding ``value``'s array itself (a Tensor's: with its version counter,
    so that a write through either is seen by both graphs' checks); big-endian data is copied
    into native order (tensors hold native data)."""
    t = kind(requires_grad=False) if kind is Parameter else kind(np.empty(0))
    t.data = value.data if isinstance(value, Tensor) else native(np.asarray(value))
    if isinstance(value, Tensor):
        t._version = value._cell()
    return t


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of all layers and models: subclasses set attributes in ``__init__`` and
    define ``forward``; calling the module calls ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def _check_init(self) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            self._check_init()
            # (as torch's register_parameter, after the instance's own attribute is dropped:
            # only a class attribute, such as a method, is in the way)
            self._check_name(name, "parameter", params, type(self))
            self._forget(name, keep=params)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(a tg.nn.Parameter or None is expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._check_init()
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} "
                    "(a Tensor or None is expected)"
                )
            self._buffers[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r}")
            self._modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict) -> None:
        """Drop ``name`` from the instance dict and every registry but ``keep``, so that a
        replacement in ``keep`` stays at its position."""
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        names.update(self._parameters, self._buffers, self._modules)
        return sorted(names)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a placeholder) under ``name``."""
        self._check_init()
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register non-trained state under ``name``; persistent buffers go in ``state_dict``."""
        self._check_init()
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name``."""
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def _check_name(self, name: str, what: str, table: dict, owner: Any = None) -> None:
        """As torch: a non-empty string without '.', not already an attribute of another kind
        (of ``owner``: this module by default; re-registering a name of the same registry
        replaces it in place)."""
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{what} name must be non-empty and contain no '.', got {name!r}")
        if name not in table and hasattr(self if owner is None else owner, name):
            raise KeyError(f"attribute {name!r} already exists (cannot register it as a {what})")

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every descendant with dotted names (pre-order): each once, or, with
        ``remove_duplicate=False``, under every name it is registered by (as torch; a module
        that contains itself is not entered again)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module, frozenset[int]]] = [(prefix, self, frozenset())]
        while stack:
            name, mod, ancestors = stack.pop()
            if remove_duplicate:
                if id(mod) in seen:
                    continue
                seen.add(id(mod))
            elif id(mod) in ancestors:
                continue
            yield name, mod
            inner = ancestors if remove_duplicate else ancestors | {id(mod)}
            children = [
                (f"{name}.{k}" if name else k, m, inner)
                for k, m in mod._modules.items()
                if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(
        self, table: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for mod_name, mod in mods:
            for name, value in getattr(mod, table).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a shared parameter appears once, or, with
        ``remove_duplicate=False``, under every name (as torch)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``""``: this module), as torch's."""
        mod = self
        if target == "":
            return mod
        for i, name in enumerate(target.split(".")):
            child = mod._modules.get(name) if isinstance(mod, Module) else None
            if child is None:
                where = ".".join(target.split(".")[:i]) or type(self).__name__
                raise AttributeError(f"{where} has no submodule {name!r} (looking up {target!r})")
            mod = child
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target``, as torch's."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target``, as torch's."""
        return self._get_member(target, "_buffers", "buffer")

    def _get_member(self, target: str, table: str, what: str) -> Any:
        path, _, name = target.rpartition(".")
        value = getattr(self.get_submodule(path), table).get(name)
        if value is None:
            raise AttributeError(f"{path or type(self).__name__} has no {what} {name!r}")
        return value

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm on batch statistics) recursively,
        through each child's own ``train`` (as torch: a submodule may override it)."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad`` (to None, the default, as torch; else zeroed in
        place)."""
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(
        self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False
    ) -> Module:
        """Convert every floating parameter and buffer (and gradient) to ``dtype`` in place.

        As torch's ``to(device, dtype)``, ``to(dtype)``, ``to(device)`` or ``to(tensor)`` (its
        dtype), by position or keyword: ``None`` changes nothing, nor does the CPU (``"cpu"``),
        the only device; ``non_blocking`` is accepted for ports and changes nothing."""
        target = to_arguments("Module.to", args, dtype, device, Tensor, "floating dtype")
        flag_arg(non_blocking, "non_blocking", "Module.to")
        if target is None:
            return self
        if target.kind != "f":
            raise TypeError(f"Module.to: expected a floating dtype, got {target}")
        for m in self.modules():
            for table in (m._parameters, m._buffers):
                for t in table.values():
                    if t is None or t.dtype.kind != "f" or t.dtype == target:
                        continue
                    t.data = t.data.astype(target)
                    bump_version(t)
                    g = t._grad  # (not .grad: a non-leaf buffer's read warns)
                    if g is None or g.dtype == target:
                        continue
                    if g._node is None:  # (the same .grad object, as torch)
                        g.data = g.data.astype(target)
                        bump_version(g)
                    else:  # (a create_graph gradient: its node made the old dtype)
                        t.grad = Tensor._make(g.data.astype(target))
        return self

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ------------------------------------------------------------------ state
    def state_dict(
        self, prefix: str = "", *, destination: Any = None, keep_vars: bool = False
    ) -> dict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, as detached Tensors that share
        the module's arrays (save them with ``tg.save``), or the tensors themselves with
        ``keep_vars``. As torch, a module or tensor registered under several names appears
        under each of them. ``prefix`` is put before every key as given (torch's:
        ``prefix="encoder."``); ``destination`` is a mapping to fill and return instead of a
        new one."""
        out: Any = OrderedDict() if destination is None else destination
        for key, t in self._state_targets().items():
            out[prefix + key] = t if keep_vars else t.detach()
        return out

    def _state_targets(self) -> dict[str, Tensor]:
        """What ``state_dict`` lists and ``load_state_dict`` writes: every name of every
        parameter and persistent buffer (shared ones under each name)."""
        targets: dict[str, Tensor] = OrderedDict()
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            base = f"{mod_name}." if mod_name else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    targets[base + name] = p
            for name, b in mod._buffers.items():
                if b is not None and name not in mod._non_persistent:
                    targets[base + name] = b
        return targets

    _optional_state: tuple[str, ...] = ()
    """Entries a state dict may leave out (they keep their value), as torch's ``version``-less
    loads allow (BatchNorm's ``num_batches_tracked``)."""

    def _optional_keys(self) -> set[str]:
        keys = set()
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            base = f"{mod_name}." if mod_name else ""
            keys.update(base + name for name in mod._optional_state)
        return keys

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy ``state_dict`` into this module's parameters and buffers, in place.

        Every key, shape and dtype is checked first; on any mismatch a ``ValueError`` lists all
        the problems and nothing is changed. With ``strict=False`` missing and unexpected keys
        are allowed (and returned); shapes and dtypes must still match. With ``assign=True``
        (as torch's) the module takes the state dict's arrays and Tensors themselves, with their
        dtypes, instead of copying into its own; parameters keep their ``requires_grad``. An
        optimizer built before then still holds the old parameters: load first.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping, got {type(state_dict).__name__}")
        targets = self._state_targets()
        optional = self._optional_keys()
        missing = [k for k in targets if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict if k not in targets]
        problems: list[str] = []
        if strict:
            problems += [f"missing key {k!r}" for k in missing]
            problems += [f"unexpected key {k!r}" for k in unexpected]
        pairs = []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            arr = value.data if isinstance(value, Tensor) else value
            if not isinstance(arr, (np.ndarray, np.generic)):
                kind = type(value)  # (named with its module: a torch.Tensor, not "Tensor")
                name = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
                problems.append(f"{key!r}: expected a NumPy array or tensorgrad Tensor, got {name}")
                continue
            arr = np.asarray(arr)
            trainable = isinstance(target, Parameter) and target._requires_grad
            if arr.shape != target.shape:
                problems.append(
                    f"{key!r}: expected shape {target.shape}, got {arr.shape} (wrong shape)"
                )
            elif (
                arr.dtype != target.dtype
                and not assign
                and arr.dtype.newbyteorder("=") != target.dtype  # (a big-endian file's: fine)
            ):
                problems.append(f"{key!r}: expected dtype {target.dtype}, got {arr.dtype}")
            elif assign and trainable and arr.dtype.kind != "f":
                problems.append(
                    f"{key!r}: a parameter that requires grad needs a floating dtype, got "
                    f"{arr.dtype}"
                )
            elif assign and arr.dtype.kind not in "biuf":  # (strings, objects, complex)
                problems.append(
                    f"{key!r}: tensors hold bool, integer or floating data, got {arr.dtype}"
                )
            elif not (arr if assign else target.data).flags.writeable:
                whose = "state dict" if assign else "module"
                problems.append(f"{key!r}: the {whose}'s array is read-only")
            else:
                pairs.append((key, target, value if assign else arr))
        if problems:
            raise ValueError(
                f"load_state_dict for {type(self).__name__} changed nothing: " + "; ".join(problems)
            )
        if assign:
            self._take_state(pairs)
        else:
            assign_all((target, arr) for _, target, arr in pairs)
        return IncompatibleKeys(missing, unexpected)

    def _take_state(self, pairs: list[tuple[str, Tensor, Any]]) -> None:
        """``load_state_dict(assign=True)``'s writes, checked already: each (key, the module's
        tensor, the state dict's value) becomes the module's own."""
        made: dict[int, Tensor] = {}  # (a value under two keys, a tied weight: one object)
        for key, target, value in pairs:
            path, _, name = key.rpartition(".")
            owner = self.get_submodule(path)
            new = made.get(id(value))
            if isinstance(target, Parameter):
                if new is None:
                    new = value if isinstance(value, Parameter) else _sharing(Parameter, value)
                new.requires_grad_(target._requires_grad)
                setattr(owner, name, new)
            else:
                if new is None:
                    new = value if isinstance(value, Tensor) else _sharing(Tensor, value)
                owner._buffers[name] = new
            made[id(value)] = new

    # ------------------------------------------------------------------ calling and display
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (override in layers)."""
        return ""

    def __repr__(self) -> str:
        """As torch's: a one-line ``extra_repr`` alone stays on the line; otherwise its lines
        and then the children's, one per line, indented."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        lines = extra_lines + [
            f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()
        ]
        if len(lines) == 1 and extra_lines:
            return f"{type(self).__name__}({extra})"
        body = "".join("\n  " + line for line in lines)
        return f"{type(self).__name__}({body}\n)" if lines else f"{type(self).__name__}()"

    def summary(self, *inputs: Any) -> Any:
        """A table of layers, output shapes and parameter counts (``tensorgrad._display``)."""
        from tensorgrad import _display

        return _display.module_summary(self, *inputs)

    def _repr_html_(self) -> str:
        from tensorgrad import _display

        return _display.module_html(self)

    def num_parameters(self) -> int:
        """Total number of parameter entries."""
        return int(sum(p.size for p in self.parameters()))
