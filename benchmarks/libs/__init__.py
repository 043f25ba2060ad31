"""The libraries under test, by name, and the module holding each one's implementations.

Nothing is imported here: a library's module is imported only by the worker process that runs
it, so that one library's import (threads, allocators, JIT caches) cannot affect another's time.

An implementation module defines ``implementations(**options) -> {workload: factory}``, where a
factory ``make(data, sizes)`` returns a task: calling the task runs the timed unit of work once
and returns a dict of arrays that are compared across libraries. Modules may also define
``configure(dtype)`` (run before ``make``), ``version() -> str``, ``SKIPS: {workload: why}`` and
``notes(**options) -> {workload: note}`` (said beside its figures in the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Library:
    """A library under test: where its implementations live and how to tell it is installed."""

    name: str
    module: str
    package: str
    """The import name that must be installed for this library to run."""
    eager: bool = True
    """False for compiled modes (jax.jit): the 'beats every eager peer' bar leaves them out."""
    options: dict = field(default_factory=dict)


LIBRARIES: dict[str, Library] = {
    lib.name: lib
    for lib in [
        Library("numpy", "benchmarks.libs.numpy_impl", "numpy"),
        Library("tensorgrad", "benchmarks.libs.tensorgrad_impl", "tensorgrad"),
        Library("naive", "benchmarks.libs.naive_impl", "numpy"),
        Library("torch", "benchmarks.libs.torch_impl", "torch"),
        Library("autograd", "benchmarks.libs.autograd_impl", "autograd"),
        Library("mygrad", "benchmarks.libs.mygrad_impl", "mygrad"),
        Library("jax", "benchmarks.libs.jax_impl", "jax", options={"jit": False}),
        Library("jax-jit", "benchmarks.libs.jax_impl", "jax", eager=False, options={"jit": True}),
    ]
}

REFERENCE = "numpy"
"""Every library's numbers are checked against, and its times divided by, this one's."""

PEERS = ("torch", "autograd", "mygrad", "jax", "jax-jit")
"""Optional libraries (the ``bench`` extra): skipped with a note when not installed."""
