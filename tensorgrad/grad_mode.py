"""Per-thread switches: grad mode, the forward-mode level cap, anomaly detection."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    """Thread-local state read on the op hot path."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.fw_cap = 1 << 62  # forward-mode levels at or above the cap are invisible
        self.anomaly = False  # detect_anomaly's NaN/inf check of every adjoint
        self.sites = False  # and its record of each op's creation site
        # jacfwd calling f again for another input element: layers keep their state as the
        # first call left it (batch norm's running statistics), so f's effects happen once
        self.replay = False
        # and draw from a private copy of the generator (``factories.default_rng``), rewound
        # for each call, so that no other thread's draws repeat or are lost
        self.rng: Any = None
        # the tensors the in-place write in progress in this thread commits, after a marker
        # (``ops.inplace._write``); empty between writes
        self.write_chain: list = []
        # the reverse transforms whose f is running, innermost last (their own leaves, with
        # the ``seq`` mark where f began: ``transforms._OwnLeaves``), and the one whose reverse
        # pass is running: a hook registered inside f on f's tensors runs only in passes of
        # that transform (``autograd._run_hooks``), as torch.func's inner-level hooks
        self.hook_scopes: list = []
        self.reverse_scope: Any = None
        self.inference = False  # inside ``inference_mode()`` (read by is_inference_mode_enabled)


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether ops record the graph in this thread."""
    return STATE.grad_enabled


class _GradModeContext:
    """Context manager and decorator that sets grad mode for this thread."""

    enabled: bool

    def _switch(self) -> Any:
        """Set this mode; return what ``_restore`` needs to undo it."""
        prev = STATE.grad_enabled
        STATE.grad_enabled = self.enabled
        return prev

    def _restore(self, prev: Any) -> None:
        STATE.grad_enabled = prev

    def __enter__(self) -> None:
        self._prev = self._switch()

    def __exit__(self, *exc: object) -> None:
        self._restore(self._prev)

    def __call__(self, fn: F) -> F:
        def run(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            prev = self._switch()
            try:
                return call(*args, **kwargs)
            finally:
                self._restore(prev)

        if inspect.isgeneratorfunction(fn):
            # NOTE: a generator runs in steps: the mode holds during each step, and the
            # caller's mode between them (as torch's decorators do).
            @functools.wraps(fn)
            def steps(*args: Any, **kwargs: Any) -> Any:
                gen = run(fn, *args, **kwargs)
                try:
                    value = run(next, gen)
                    while True:
                        try:
                            sent = yield value
                        except GeneratorExit:
                            run(gen.close)
                            raise
                        except BaseException as exc:  # thrown in: pass it on to the generator
                            value = run(gen.throw, exc)
                        else:
                            value = run(gen.send, sent)
                except StopIteration as stop:
                    return stop.value

            return steps  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return run(fn, *args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _BareDecorator(_GradModeContext):
    """``no_grad`` and ``enable_grad`` also decorate without parentheses: ``@tg.no_grad``."""

    def __new__(cls, fn: Any = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        return super().__new__(cls)(fn)


class no_grad(_BareDecorator):
    """Stop recording: ops inside run on values only (forward-mode tangents still flow)."""

    enabled = False


class enable_grad(_BareDecorator):
    """Record again, e.g. inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode`` (context manager, decorator, or plain call)."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got {mode!r}")
        self.enabled = bool(mode)
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self.enabled

    def __enter__(self) -> None:  # (the switch happened in __init__; again for a second use)
        STATE.grad_enabled = self.enabled

    def __call__(self, fn: F) -> F:
        STATE.grad_enabled = self._prev  # a decorator switches only while ``fn`` runs
        return super().__call__(fn)


class inference_mode(_GradModeContext):
    """torch's ``inference_mode(mode=True)``: as ``no_grad`` (``mode=False``: grad mode on, as
    torch's), a context manager and a decorator (with or without parentheses).

    NOTE: tensors made inside are ordinary tensors: torch refuses to record them in a graph
    later, or to write into them in place outside; code that runs under torch runs here."""

    def __new__(cls, mode: Any = True) -> Any:
        if callable(mode):  # (``@tg.inference_mode``: the function in mode's place)
            return super().__new__(cls)._with(True)(mode)
        return super().__new__(cls)

    def __init__(self, mode: Any = True) -> None:
        self._with(mode)

    def _with(self, mode: Any) -> inference_mode:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"inference_mode: mode must be a bool, got {mode!r}")
        self.mode = bool(mode)
        self.enabled = not self.mode
        return self

    def _switch(self) -> Any:
        prev = STATE.grad_enabled, STATE.inference
        STATE.grad_enabled, STATE.inference = not self.mode, self.mode
        return prev

    def _restore(self, prev: Any) -> None:
        STATE.grad_enabled, STATE.inference = prev

    def clone(self) -> inference_mode:
        """A new context with the same mode (torch's decorators' ``clone``)."""
        return inference_mode(self.mode)


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()``."""
    return STATE.inference
