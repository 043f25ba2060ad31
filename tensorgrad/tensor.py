"""The Tensor: an ndarray, a flag, and a link to the op that made it.

Everything differentiable lives in ``tensorgrad.ops``; the methods and operators here are
sugar over those functions.
"""

from __future__ import annotations

import copy
import functools
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from tensorgrad._device import CPU, check_device, to_arguments
from tensorgrad._device import device as _Device
from tensorgrad._dtypes import as_array, check_dtype
from tensorgrad.grad_mode import STATE


class RemovableHandle:
    """A hook's registration: ``remove()`` takes off this one (not another registration of the
    same function), and only once, as torch's handle; also callable, and a context manager."""

    __slots__ = ("_hooks", "_entry")

    def __init__(self, hooks: list, entry: Any) -> None:
        self._hooks: list | None = hooks
        self._entry = entry

    def remove(self) -> None:
        hooks, self._hooks = self._hooks, None
        if hooks is not None:
            for i, h in enumerate(hooks):
                if h is self._entry:
                    del hooks[i]
                    return

    __call__ = remove

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _in_place(op: str, what: str) -> Callable[[Tensor, Any], Tensor]:
    """``t what v`` for the tensorgrad function named ``op`` (in tensorgrad.ops, or its arithmetic
    module for the bitwise ones), through the recorded in-place path."""

    def method(self: Tensor, other: Any) -> Tensor:
        from tensorgrad.ops.inplace import inplace_binary

        fn = getattr(_ops, op, None) or getattr(_ops.arithmetic, op)
        return inplace_binary(self, other, fn, what)

    method.__doc__ = f"``t {what} v`` in place."
    return method


_new = object.__new__


class Tensor:
    """An n-dimensional array that records the differentiable ops applied to it.

    ``data`` is the ndarray; ``requires_grad`` asks for gradients; ``grad_fn`` is the op that
    made it (None for leaves). Tensors hash by identity, so they can be dict keys.
    """

    __slots__ = (
        "data",
        "_grad",
        "_requires_grad",
        "_node",
        "_name",
        "_version",
        "_fw",
        "_hooks",
        # (a view's ``(base, op, made in grad mode)``, set by ``ops._base.mark_view`` only:
        # unset on other tensors, so that making a tensor costs nothing more)
        "_base",
        "__weakref__",
    )
    __array_priority__ = 1000.0
    _copies_grad = True  # (whether copy.deepcopy copies .grad: nn.Parameter's does not)

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
        *,
        device: Any = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        where = "tensor" if type(self) is Tensor else type(self).__name__  # (Parameter)
        if dtype is not None:
            dtype = check_dtype(dtype, f"{where}: dtype")
        if device is not None:
            check_device(device, where)
        self.data = as_array(data, dtype=dtype, copy=True)
        self._grad = None
        self._requires_grad = False
        self._node = None
        self._name = _checked_name(name, where)
        self._version = None  # the in-place counter, made on first need (see _cell)
        self._fw = None
        self._hooks = None
        if requires_grad is not False:  # (checked: requires_grad="no" is refused, not truthy)
            self._requires_grad = grad_flag(self.data, requires_grad, where)

    @classmethod
    def _make(cls, data: np.ndarray, node: Any = None, requires_grad: bool = False) -> Tensor:
        """Wrap ``data`` without copying or checking (the op hot path)."""
        t = _new(cls)
        t.data = data
        t._requires_grad = requires_grad
        t._node = node
        t._grad = t._name = t._version = t._fw = t._hooks = None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> _Device:
        """Where the data lives: always ``tg.device("cpu")``, for code ported from torch
        (``tg.zeros(3, device=x.device)``, ``x.device.type == "cpu"``)."""
        return CPU

    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of matrices transposed), as NumPy's and torch's."""
        if self.data.ndim < 2:
            raise ValueError(f"mT: needs at least 2 dimensions, got shape {self.data.shape}")
        return _ops.swapaxes(self, -1, -2)

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (user-created or results under no_grad)."""
        return self._node is None

    @property
    def grad_fn(self) -> Any:
        """The op that made this tensor, or None for a leaf."""
        return self._live_node()

    def _live_node(self) -> Any:
        """``_node``; for a view whose base was written in place since the view's node was
        recorded, a node derived again from the base's graph (as torch regenerates a view's
        grad_fn): backward, hooks and retain_grad then see the values after the write."""
        node = self._node
        if node is not None and self._version is not None:
            from tensorgrad.ops._base import check_view

            node = check_view(self)
        return node

    @property
    def name(self) -> str | None:
        """A name for drawings and displays (a str or None)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = _checked_name(value, "Tensor.name")

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient (leaves, and non-leaves that called ``retain_grad``). Read
        on a non-leaf that keeps none, it is None with a warning, as torch's."""
        g = self._grad
        if g is None:
            node = self._node
            # (the node as it is: a stale view is not rebased by a read, which may raise. No
            # warning for a node with no edges, a no_grad view's refusal, nor for an alias with
            # a source, a transform's stand-in for its argument: torch's leaves, both)
            if (
                node is not None
                and node.edges
                and not self.retains_grad
                and getattr(node, "source", None) is None
            ):
                warnings.warn(
                    "the .grad of a tensor that is not a leaf is being read: backward does not "
                    "fill it (call .retain_grad() on it before backward to keep its gradient, or "
                    "take the gradient of a leaf)",
                    UserWarning,
                    stacklevel=2,
                )
        return g

    @grad.deleter
    def grad(self) -> None:
        self._grad = None  # (``del t.grad``, as torch)

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is None:
            self._grad = None
            return
        if value is self:
            raise RuntimeError("grad: a tensor cannot be its own gradient")
        if not isinstance(value, Tensor):
            try:  # (Python data takes the tensor's dtype; an array keeps its own)
                value = Tensor(value, dtype=None if isinstance(value, np.ndarray) else self.dtype)
            except TypeError as exc:
                raise TypeError(f"grad: expected a Tensor, an array or None ({exc})") from None
        if value.shape != self.shape or value.dtype != self.dtype:
            raise ValueError(
                f"grad: assigned gradient has shape {value.shape} and dtype {value.dtype}, "
                f"tensor has shape {self.shape} and dtype {self.dtype}"
            )
        self._grad = value

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded for gradients (set through ``requires_grad_``'s
        checks: floating-point leaves only, and a non-leaf cannot be cut off this way)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only); returns self."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
        flag = bool(requires_grad)
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}"
            )
        if not flag and self._node is not None:
            raise RuntimeError(
                "requires_grad_(False) on a non-leaf tensor: use detach() to stop gradients"
            )
        self._requires_grad = flag
        return self

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``, or only into ``inputs``'
        (see ``tg.autograd.backward``)."""
        # (one tensor, one gradient: a list or tuple is the gradient's data, not one per tensor)
        grads = None if gradient is None else [gradient]
        _autograd.backward([self], grads, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data and version counter, cut from the graph."""
        t = Tensor._make(self.data)
        t._version = self._cell()
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place, as torch's: it becomes a leaf that does not
        require grad and carries no tangent. A view refuses (use ``detach()``), as in torch."""
        from tensorgrad.ops._base import view_of

        if view_of(self) is not None:
            raise RuntimeError(
                f"detach_: a view (shape {self.shape}) cannot be detached in place, as in torch; "
                "use detach()"
            )
        if self._node is not None:
            self._cell()  # (linked to the node that saved this output: it must see later writes)
        self._node = None
        self._requires_grad = False
        self._fw = None
        return self

    def _cell(self) -> list[Any]:
        """The version cell ``[writes, stamp of the last write, stamp of the last recorded
        write, a weak reference to the tensor that made it]``, shared with views; made on first
        need, since most tensors are never written in place."""
        cell = self._version
        if cell is None:
            node = self._node
            if node is not None and node.save_output:
                cell = node.out_cell
                if cell is not None and cell[3] is None and node.out_data is self.data:
                    # (made for a recorded rule's stand-in of this output: shared, so that the
                    # rule's graph sees this output's writes too)
                    cell[3] = weakref.ref(self)
                    self._version = cell
                    return cell
                cell = node.out_cell = [0, 0, 0, weakref.ref(self)]  # (the node sees its writes)
            else:
                cell = [0, 0, 0, weakref.ref(self)]
            self._version = cell
        return cell

    @property
    def version(self) -> int:
        """How many in-place writes this tensor (or a view sharing its memory) has had."""
        cell = self._version
        return 0 if cell is None else cell[0]

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        node = self._live_node()
        if node is not None:
            node.retain(self)

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf keeps its ``.grad`` (``retain_grad()``, or a non-leaf among
        ``backward``'s ``inputs``), as torch's; False for a leaf."""
        node = self._node  # (as it is: a read rebases no stale view, which may raise)
        return node is not None and node.retains(self)

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``fn(grad)`` when this tensor's gradient is computed; a returned Tensor replaces
        it. Returns a handle whose ``remove()`` (or a call) takes this registration off."""
        if not callable(fn):  # (checked first: a refusal leaves no hook list behind)
            raise TypeError(f"register_hook: fn must be callable, got {type(fn).__name__}")
        if not self._requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        node = self._live_node()
        hooks = node.hooks_list() if node is not None else self._leaf_hooks()
        entry = functools.partial(fn)  # (one object per registration: fn may come twice)
        if STATE.hook_scopes:  # (inside a reverse transform's f: see _run_hooks)
            from tensorgrad.transforms import hook_scope

            scope = hook_scope(self)
            if scope is not None:
                entry.scope = scope
        hooks.append(entry)
        return RemovableHandle(hooks, entry)

    def _leaf_hooks(self) -> list:
        if self._hooks is None:
            self._hooks = []
        return self._hooks

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The underlying ndarray (no copy)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted, got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype`` (differentiable between floating dtypes)."""
        return _ops.astype(self, dtype)

    # (torch's names for the conversions a port meets, over ``astype``; each returns self when
    # the dtype is already right, as torch's; ``float()``, ``long()``... are installed below)
    def to(
        self,
        *args: Any,
        dtype: Any = None,
        device: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
    ) -> Tensor:
        """torch's ``to``: ``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``
        (other's dtype), by position or keyword; the device must be the CPU, the only one.
        Self when the dtype is already right (unless ``copy``), else ``astype``: differentiable
        between floating dtypes, a step function to integer and bool dtypes. ``non_blocking``
        is accepted for ports and changes nothing."""
        return self._to("Tensor.to", args, dtype, device, non_blocking, copy)

    def _to(
        self, where: str, args: tuple, dtype: Any, device: Any, non_blocking: Any, copy: Any
    ) -> Tensor:
        """``to`` with its errors naming ``where`` (``PackedSequence.to`` converts its data)."""
        target = to_arguments(where, args, dtype, device, Tensor)
        flag_arg(non_blocking, "non_blocking", where)
        if flag_arg(copy, "copy", where):
            return _ops.astype(self, self.data.dtype if target is None else target)
        return self if target is None else self._as(target)

    def _as(self, dtype: Any) -> Tensor:
        return self if self.data.dtype == dtype else _ops.astype(self, dtype)

    def type_as(self, other: Any) -> Tensor:
        """This tensor in ``other``'s dtype (a Tensor or an ndarray), as torch's: self if it
        already is."""
        if not isinstance(other, (Tensor, np.ndarray)):
            raise TypeError(f"type_as: other must be a Tensor, got {type(other).__name__}")
        return self._as(other.dtype)

    def cpu(self) -> Tensor:
        """Self: the data is on the CPU already (for ports of torch's ``x.cpu()``)."""
        return self

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            if copy is False:  # NumPy 2's contract: never copy silently
                raise ValueError(
                    f"unable to avoid a copy: converting a {self.data.dtype} tensor to "
                    f"{np.dtype(dtype)} needs one, and copy=False was given"
                )
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return _interop.array_function(func, args, kwargs)

    # ------------------------------------------------------------------ python protocol
    __hash__ = object.__hash__

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:  # (raised by iter() itself: np.iterable(t) is then False)
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        # (not bool, as NumPy: a bool tensor indexes as a mask, never as position 0 or 1)
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer one-element tensors can be used as an index")
        return int(self.data.item())

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", threshold=200)
        extra = []
        if self.data.size == 0 and self.data.shape != (0,):  # "[]" alone hides the shape
            extra.append(f"size={self.data.shape}")
        dtype = self.data.dtype
        # (the values show float64, int64 and bool apart, except when there are none: as torch)
        if dtype != np.float64 and (dtype.kind != "b" and dtype != np.int64 or not self.data.size):
            extra.append(f"dtype={dtype}")
        if self._node is not None:
            extra.append(f"grad_fn=<{type(self._node).__name__}>")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        if self.name is not None:
            extra.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its value (``f"{loss:.4f}"``), as torch and NumPy do."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return str(self) if not spec else object.__format__(self, spec)

    def _repr_html_(self) -> str:
        """An HTML card for Jupyter (shape, dtype, requires_grad, grad_fn, values)."""
        from tensorgrad._display import tensor_html

        return tensor_html(self)

    def __getstate__(self) -> None:
        raise TypeError("tensors are not pickled: use tg.save / tg.load for checkpoints")

    def __copy__(self) -> Tensor:
        """``copy.copy(t)``: as ``copy.deepcopy`` (new data, as NumPy's ``copy.copy``; torch's
        shares memory without the version counter, which would hide in-place writes)."""
        return self.__deepcopy__({})

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        """``copy.deepcopy(t)``, as torch: a new leaf with a copy of the data, the same class,
        dtype, ``requires_grad`` and name, and a deep copy of ``.grad``; refused for a tensor
        made by a recorded op (a graph cannot be copied: use ``clone`` or ``detach``). A class
        with ``_copies_grad`` False (``nn.Parameter``, as torch's) leaves ``.grad`` behind."""
        if self._node is not None:
            raise RuntimeError(
                "copy.copy and copy.deepcopy: only tensors created explicitly by the user (graph "
                f"leaves) can be copied; this one was made by {type(self._node).__name__}: use "
                "clone() or detach() instead"
            )
        done = memo.get(id(self))
        if done is not None:
            return done
        cls = type(self)
        new = cls._make(np.array(self.data, copy=True, order="K"), None, self._requires_grad)
        new.name = self.name
        memo[id(self)] = new
        if self._grad is not None and self._copies_grad:
            new._grad = copy.deepcopy(self._grad, memo)
        if cls is not Tensor:  # (a subclass's own state: extra slots, or its __dict__)
            for slot in _subclass_slots(cls):
                if hasattr(self, slot):
                    setattr(new, slot, copy.deepcopy(getattr(self, slot), memo))
            if hasattr(self, "__dict__"):
                new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __contains__(self, value: Any) -> bool:
        """``value in t``: whether any element equals ``value`` (NumPy's ``(t == value).any()``;
        no gradient)."""
        return bool((self == value).data.any())

    def clone(self) -> Tensor:
        """A copy in new memory that stays in the graph (torch's ``clone``): gradients flow back
        to ``self``. ``detach()`` is the other way round (shared memory, no graph)."""
        from tensorgrad.ops.shape import clone

        return clone(self)

    # ------------------------------------------------------------------ operators
    if TYPE_CHECKING:
        # NOTE: + - * / // % divmod, unary minus and & | ^ ~ are installed by
        # tensorgrad.ops.arithmetic, next to their ops: they call the op machinery directly, one
        # Python call fewer per operator (every small op in a user's expression goes through
        # one). Declared here for typing.
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __divmod__(self, other: Any) -> tuple[Tensor, Tensor]: ...
        def __rdivmod__(self, other: Any) -> tuple[Tensor, Tensor]: ...
        def __neg__(self) -> Tensor: ...
        # & | ^ ~ as NumPy: bitwise for integers, logical for bools, TypeError for floats
        def __and__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __rxor__(self, other: Any) -> Tensor: ...
        def __invert__(self) -> Tensor: ...

    def __pow__(self, other: Any) -> Tensor:
        return _ops.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.power(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __pos__(self) -> Tensor:
        if self.data.dtype.kind == "b":  # (as NumPy's and torch's: no positive of a bool)
            raise TypeError("positive: a bool tensor has no positive, as in NumPy")
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.greater_equal(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        """Elementwise ``==`` as a bool tensor; against None, a string or another object that
        is not numeric data, all False, as NumPy."""
        return self._equality(other, _ops.equal, False)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        """Elementwise ``!=`` as a bool tensor; all True where ``==`` is all False."""
        return self._equality(other, _ops.not_equal, True)

    def _equality(self, other: Any, compare: Any, unlike: bool) -> Tensor:
        if other is None:
            return Tensor._make(np.full(self.data.shape, unlike))
        try:
            return compare(self, other)
        except TypeError:
            if not _non_numeric(other):
                raise
            return Tensor._make(np.full(self.data.shape, unlike))

    def __round__(self, ndigits: int | None = None) -> Tensor:
        """``round(t)`` / ``round(t, n)``: ``tg.round`` (half to even, same dtype, gradient 0),
        always a Tensor, also 0-d (``int(t)`` gives a number)."""
        return _ops.round(self, 0 if ndigits is None else ndigits)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    # ------------------------------------------------------------------ in place
    def __setitem__(self, index: Any, value: Any) -> None:
        from tensorgrad.ops.inplace import setitem

        setitem(self, index, value)

    # (every augmented assignment writes in place, as NumPy's: aliases of the tensor see it)
    __iadd__ = _in_place("add", "+=")
    __isub__ = _in_place("subtract", "-=")
    __imul__ = _in_place("multiply", "*=")
    __itruediv__ = _in_place("divide", "/=")
    __ipow__ = _in_place("power", "**=")
    __ifloordiv__ = _in_place("floor_divide", "//=")
    __imod__ = _in_place("remainder", "%=")
    __imatmul__ = _in_place("matmul", "@=")
    __iand__ = _in_place("bitwise_and", "&=")
    __ior__ = _in_place("bitwise_or", "|=")
    __ixor__ = _in_place("bitwise_xor", "^=")


def _checked_name(name: Any, where: str) -> str | None:
    """A tensor's ``name``: a str or None (a drawing shows it as text)."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{where}: name must be a str or None, got {type(name).__name__}")
    return name


def _non_numeric(x: Any) -> bool:
    """Whether NumPy would take ``x`` as strings, bytes or objects (which equal no number)."""
    if isinstance(x, Tensor):
        return False
    try:
        return np.asarray(x).dtype.kind in "OSUV"
    except TypeError:
        return True
    except ValueError:  # (a ragged list of numbers: NumPy refuses to compare with it)
        return False


_TENSOR_SLOTS = frozenset(Tensor.__slots__)

# ``Tensor._make`` bound once, for the hot paths that wrap every result: CPython 3.11 does not
# cache a classmethod's lookup on its class (a bound method is made on every ``Tensor._make``).
make_tensor = Tensor._make


def _subclass_slots(cls: type) -> list[str]:
    """The slots a subclass of Tensor adds (private names mangled), for ``deepcopy``."""
    names = []
    for klass in cls.__mro__:
        if klass is Tensor:
            break
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name in ("__dict__", "__weakref__") or name in _TENSOR_SLOTS:
                continue
            if name.startswith("__") and not name.endswith("__"):
                name = f"_{klass.__name__.lstrip('_')}{name}"
            names.append(name)
    return names


_ops: Any = None  # tensorgrad.ops, bound at package import (it imports this module)
# tensorgrad._numpy_interop, bound likewise (an import statement in the protocol methods cost
# about 1.5 us of every np.* call on a Tensor, the rules' calls at higher order too)
_interop: Any = None
_autograd: Any = None  # tensorgrad.autograd, bound likewise (for backward)

# NOTE: every in-place write takes a new stamp from this process-wide clock. An op records the
# clock when it saves values; in backward, if the clock has not moved since, nothing it saved
# can have changed (one comparison per node), else it compares its tensors' last-write stamps.
WRITE_CLOCK = [0]


def carries_derivative(x: Any) -> bool:
    """Whether ``x`` is a Tensor that requires grad or carries a forward-mode tangent: an
    argument a function may read as a constant only when this is False."""
    return isinstance(x, Tensor) and (x._requires_grad or x._fw is not None)


def constant_arg(value: Any, name: str, where: str) -> Any:
    """``value`` for an argument that ``where`` reads as a constant (a number, a probability):
    a Tensor's data, or TypeError for a Tensor that requires grad or carries a tangent, whose
    derivative would be dropped in silence (torch refuses a Tensor there)."""
    if not isinstance(value, Tensor):
        return value
    if carries_derivative(value):
        raise TypeError(
            f"{where}: {name} is a Tensor that requires grad (or carries a tangent), and "
            f"{where} reads it as a constant, so its gradient would be lost; pass "
            f"{name}.detach()"
        )
    return value.data


def number_arg(value: Any, name: str, where: str, *, bools: bool = False) -> float:
    """``constant_arg`` for a number (an eps, a max_norm): a float, or TypeError naming
    ``where`` and ``name`` for anything else (a string would reach NumPy's own message); a bool
    only with ``bools`` (where torch reads the argument with ``float()``)."""
    if type(value) is float:
        return value  # (the common call: a layer's eps)
    value = constant_arg(value, name, where)
    if not is_number(value, bools=bools):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}")
    return float(value)


def grad_flag(data: np.ndarray, requires_grad: Any, where: str) -> bool:
    """A new tensor's ``requires_grad``, checked with ``where`` (the factory) named: a bool, and
    True only for floating-point data."""
    flag = flag_arg(requires_grad, "requires_grad", where)
    if flag and data.dtype.kind != "f":
        raise TypeError(
            f"{where}: only floating-point tensors can require gradients, got dtype {data.dtype}"
        )
    return flag


def flag_arg(value: Any, name: str, where: str) -> bool:
    """A bool flag (a NumPy bool too), else TypeError naming ``where`` and ``name``: as torch,
    a truthy string such as 'no' is not read as True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a bool, got {value!r}")
    return bool(value)


def is_int(value: Any) -> bool:
    """A Python or NumPy integer, not a bool (an index or count argument: 1.7 is refused, not
    read as 1, as torch)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any, *, bools: bool = False) -> bool:
    """A real number: a Python or NumPy int or float, or a 0-d array or Tensor of one (not a
    string or None, nor a bool unless ``bools``: where torch reads the argument with
    ``float()``)."""
    raw = value.data if isinstance(value, Tensor) else value
    if isinstance(raw, np.ndarray) and raw.ndim == 0:
        return raw.dtype.kind in ("biuf" if bools else "iuf")
    real = isinstance(raw, (int, float, np.integer, np.floating))
    return real and (bools or not isinstance(raw, (bool, np.bool_)))


def memory_root(a: np.ndarray) -> np.ndarray:
    """The array whose memory ``a`` views (``a`` itself if it owns its memory): views of one
    array share it."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def bump_version(t: Tensor) -> None:
    """Count an in-place write to ``t`` (and every view sharing its memory)."""
    cell = t._cell()
    WRITE_CLOCK[0] += 1
    cell[0] += 1
    cell[1] = WRITE_CLOCK[0]


def _method(name: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(_ops, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as ``tg.{name}(self, ...)``."
    return method


# Methods that read naturally on a tensor; each forwards to the function of the same name.
TENSOR_METHODS = (
    "sum mean prod max min var std logsumexp norm argmax argmin cumsum cumprod topk "
    "reshape transpose swapaxes moveaxis squeeze expand_dims flatten broadcast_to flip tile repeat "
    "split exp log log1p expm1 sqrt square reciprocal sin cos tan tanh sinh cosh arcsin arccos "
    "arctan sigmoid relu softplus gelu abs sign round clip maximum minimum matmul dot outer "
    "diagonal trace exp2 log2 log10 cbrt arcsinh arccosh arctanh sinc deg2rad rad2deg floor "
    "ceil trunc rint fix arctan2 hypot logaddexp logaddexp2 copysign fmod heaviside float_power "
    "ldexp i0 tril triu det inverse logdet slogdet"
).split()

for _name in TENSOR_METHODS:
    setattr(Tensor, _name, _method(_name))


def _conversion(name: str, dtype: type) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return self._as(dtype)

    flows = "gradients flow back" if np.dtype(dtype).kind == "f" else "no gradient flows through"
    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = (
        f"As {np.dtype(dtype)}, self if it is already, as torch's ``{name}()`` ({flows})."
    )
    return method


# torch's dtype conversions, installed here rather than in the class body: methods named
# ``float``, ``int`` and ``bool`` there would shadow the builtins in its annotations for type
# checkers
for _name, _dtype in (
    ("half", np.float16),
    ("float", np.float32),
    ("double", np.float64),
    ("long", np.int64),
    ("int", np.int32),
    ("bool", np.bool_),
):
    setattr(Tensor, _name, _conversion(_name, _dtype))
