"""The workloads: what each one computes, its sizes (full and quick) and its input data.

Every library implements a workload as a factory ``make(data, sizes) -> task``; calling the task
runs the timed unit of work once and returns the numbers that are compared across libraries.
Inputs are generated here, once, in the parent process, so every library sees the same arrays.
Tasks are stateless: each call starts from the same inputs, so every call returns the same
numbers (the worker checks that) and warm-up calls do not change what is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

LR_LINEAR = 1e-3
"""Learning rate of the ``linear_noise`` gradient descent."""

LR_MLP = 1e-2
"""Learning rate of the single SGD step of the MLP workloads."""

CHAIN_SHRINK = 0.5000005
"""The chain's last factor: with the ``* 2`` before it, each cycle scales x by 1 + 1e-6."""

CHAIN_CYCLE = (
    "exp",
    "log",
    "neg",
    "reciprocal",
    "neg",
    "reciprocal",
    "mul 2",
    f"mul {CHAIN_SHRINK}",
)
"""The elementwise ops of ``op_overhead`` and ``deep_chain``, repeated in this order.

Each cycle maps x to x * (1 + 1e-6) (up to rounding), and its derivative is 1 + 1e-6, so values
stay bounded (a factor of 1.013 over 100,000 ops), gradients neither vanish nor explode, and
rounding differences between libraries only add up (they are not amplified). The 1e-6 is what
the cross-library check sees of every cycle: a library that ran one cycle fewer would be 1e-6
off, far outside the 1e-10 tolerance (an exact identity would hide skipped work).
"""

Sizes = dict[str, int]
Data = dict[str, np.ndarray]


@dataclass(frozen=True)
class Workload:
    """One benchmark: sizes, data, the unit a time is reported in, and how results compare."""

    name: str
    description: str
    dtype: str
    unit: str
    full: Sizes
    quick: Sizes
    make_data: Callable[[np.random.Generator, Sizes], Data]
    units_per_call: Callable[[Sizes], int] = lambda sizes: 1
    """How many ``unit`` one call is, given the sizes a library ran (see ``lib_sizes``)."""
    implementation: str = ""
    """The workload whose implementations are run (``memory`` runs ``mlp_large``)."""
    measures: str = "time"
    prefix_keys: tuple[str, ...] = field(default=())
    """Checked outputs that are per-step traces, compared on their common prefix."""

    @property
    def tolerance(self) -> float:
        """Relative tolerance of the cross-library check."""
        return 1e-10 if self.dtype == "float64" else 1e-4

    @property
    def runs(self) -> str:
        return self.implementation or self.name

    def sizes(self, quick: bool) -> Sizes:
        return dict(self.quick if quick else self.full)

    def lib_sizes(self, quick: bool, lib: str) -> Sizes:
        """The sizes ``lib`` runs: a ``{lib}_steps`` entry replaces ``steps`` (fewer steps for a
        slow library, said in the output); other libraries' overrides are dropped."""
        sizes = self.sizes(quick)
        steps = sizes.get(f"{lib}_steps")
        sizes = {k: v for k, v in sizes.items() if not k.endswith("_steps")}
        if steps is not None:
            sizes["steps"] = steps
        return sizes


def _linear_data(rng: np.random.Generator, s: Sizes) -> Data:
    n_in, n_out = s["n_in"], s["n_out"]
    return {
        "x": rng.standard_normal(n_in),
        "y": rng.standard_normal(n_out),
        "W": rng.standard_normal((n_in, n_out)) / np.sqrt(n_in),
    }


def _linear_steps(sizes: Sizes) -> int:
    return sizes["steps"]


def _mlp_data(rng: np.random.Generator, s: Sizes) -> Data:
    widths = [s["n_in"], s["h1"], s["h2"], s["n_out"]]
    data: Data = {
        "X": rng.standard_normal((s["batch"], s["n_in"])).astype(np.float32),
        "labels": rng.integers(0, s["n_out"], size=s["batch"]).astype(np.int64),
    }
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True), start=1):
        bound = 1.0 / np.sqrt(fan_in)  # torch.nn.Linear's default initialisation range
        data[f"W{i}"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        data[f"b{i}"] = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return data


def _chain_data(rng: np.random.Generator, s: Sizes) -> Data:
    if s["n_ops"] % len(CHAIN_CYCLE):
        raise ValueError(f"n_ops must be a multiple of {len(CHAIN_CYCLE)}, got {s['n_ops']}")
    return {"x": rng.uniform(0.5, 1.5, s["n"])}


def _chain_ops(sizes: Sizes) -> int:
    return sizes["n_ops"]


def _hvp_data(rng: np.random.Generator, s: Sizes) -> Data:
    n = s["n"]
    return {
        "A": rng.standard_normal((n, n)) / np.sqrt(n),
        "x": rng.standard_normal(n),
        "v": rng.standard_normal(n),
    }


_MLP_LARGE_FULL = {"n_in": 784, "h1": 512, "h2": 256, "n_out": 10, "batch": 256}
_MLP_LARGE_QUICK = {"n_in": 48, "h1": 32, "h2": 16, "n_out": 10, "batch": 16}

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload(
            name="linear_noise",
            description="linear layer 50x10 fits noise to noise: MSE, 100 steps of GD, lr 1e-3",
            dtype="float64",
            unit="step",
            full={"n_in": 50, "n_out": 10, "steps": 100},
            quick={"n_in": 12, "n_out": 4, "steps": 5},
            make_data=_linear_data,
            units_per_call=_linear_steps,
            prefix_keys=("losses",),
        ),
        Workload(
            name="linear_noise_784",
            description="the same at 784x128",
            dtype="float64",
            unit="step",
            full={"n_in": 784, "n_out": 128, "steps": 100, "naive_steps": 2},
            quick={"n_in": 40, "n_out": 16, "steps": 4, "naive_steps": 2},
            make_data=_linear_data,
            units_per_call=_linear_steps,
            implementation="linear_noise",
            prefix_keys=("losses",),
        ),
        Workload(
            name="mlp_small",
            description="MLP 64-128-64-10, tanh, softmax cross-entropy, batch 64: one SGD step",
            dtype="float32",
            unit="step",
            full={"n_in": 64, "h1": 128, "h2": 64, "n_out": 10, "batch": 64},
            quick={"n_in": 16, "h1": 24, "h2": 16, "n_out": 10, "batch": 8},
            make_data=_mlp_data,
        ),
        Workload(
            name="mlp_large",
            description="MLP 784-512-256-10, ReLU, softmax cross-entropy, batch 256: one SGD step",
            dtype="float32",
            unit="step",
            full=_MLP_LARGE_FULL,
            quick=_MLP_LARGE_QUICK,
            make_data=_mlp_data,
        ),
        Workload(
            name="op_overhead",
            description="1,000 chained elementwise ops on shape (16,), forward and backward",
            dtype="float64",
            unit="op",
            full={"n": 16, "n_ops": 1000},
            quick={"n": 16, "n_ops": 96},
            make_data=_chain_data,
            units_per_call=_chain_ops,
        ),
        Workload(
            name="deep_chain",
            description="100,000 chained elementwise ops on shape (4,), forward and backward",
            dtype="float64",
            unit="call",
            full={"n": 4, "n_ops": 100_000},
            quick={"n": 4, "n_ops": 2_000},
            make_data=_chain_data,
        ),
        Workload(
            name="hvp",
            description="Hessian-vector product of sum(tanh(A @ x) ** 2), A 500x500",
            dtype="float64",
            unit="call",
            full={"n": 500},
            quick={"n": 40},
            make_data=_hvp_data,
        ),
        Workload(
            name="memory",
            description="peak resident memory added by one mlp_large step (fresh process)",
            dtype="float32",
            unit="MiB",
            full=_MLP_LARGE_FULL,
            quick=_MLP_LARGE_QUICK,
            make_data=_mlp_data,
            implementation="mlp_large",
            measures="memory",
        ),
    ]
}


def make_data(workload: Workload, quick: bool, seed: int = 0) -> Data:
    """The inputs of ``workload``, the same for every library (NumPy ``Generator(seed)``)."""
    return workload.make_data(np.random.default_rng(seed), workload.sizes(quick))
