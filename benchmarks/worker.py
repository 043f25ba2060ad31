"""Run one (workload, library) pair in this fresh process and write what was measured.

``python -m benchmarks.worker SPEC.json`` reads the spec the runner wrote, imports only the one
library it names, builds the task (not timed), warms it up, then times repeated calls between
two runs of the ``steadiness`` kernel (or, for ``memory``, measures the resident memory one call
adds) and writes a JSON result, plus the outputs of the first call as ``.npz`` when asked.
``python -m benchmarks.worker --probe`` prints which libraries are installed, without importing
them.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import re
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.compare import compare
from benchmarks.libs import LIBRARIES
from benchmarks.workloads import WORKLOADS, Workload


def probe() -> dict[str, str | None]:
    """For each library, its package's version if installed (found without importing it)."""
    found: dict[str, str | None] = {}
    for name, lib in LIBRARIES.items():
        if importlib.util.find_spec(lib.package) is None:
            found[name] = None
            continue
        try:
            found[name] = importlib.metadata.version(lib.package)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "source tree"
    return found


def _as_numpy(outputs: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in outputs.items()}


STEADINESS_UNIT_OPS = 50
"""exp-log pairs on 16 float64 values in one unit of the steadiness kernel (about 30 µs here)."""


def steadiness(seconds: float) -> float:
    """Seconds per unit of a fixed NumPy kernel, the median over ``seconds`` of units.

    The same small work in every process, whatever library it measures: run just before and just
    after a process's timed calls, it tells whether the machine itself ran slow around them (on
    a shared machine, everything here sometimes runs about 2x slower for 0.1-2 s at a time).
    """
    x = np.linspace(0.5, 1.5, 16)
    times: list[float] = []
    end = time.perf_counter() + seconds
    while not times or time.perf_counter() < end:
        t0 = time.perf_counter()
        v = x
        for _ in range(STEADINESS_UNIT_OPS):
            v = np.log(np.exp(v))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


STEADY_POLL_S = 0.1
"""Seconds between two readings of the steadiness kernel while a worker waits for a steady one."""


def wait_until_steady(probe_s: float, bound: float, max_wait: float) -> tuple[float, float]:
    """Run the steadiness kernel until it reads at most ``bound`` (or for ``max_wait`` seconds);
    returns the last reading and the seconds spent past the first one."""
    reading = steadiness(probe_s)
    start = time.perf_counter()
    while reading > bound and time.perf_counter() - start < max_wait:
        time.sleep(STEADY_POLL_S)
        reading = steadiness(probe_s)
    return reading, time.perf_counter() - start


COMPILED_SLOW_S = 30.0
"""For a library that compiles on its first call, the first-call time that makes it the sample."""


def _slow_s(spec: dict, module: Any) -> float:
    """How slow a first call must be to be the one sample: ``slow_s``, or for a library that
    compiles on its first call, ``COMPILED_SLOW_S`` if that is more (so that compiling is not
    timed unless the call is long anyway)."""
    if getattr(module, "FIRST_CALL_COMPILES", False):
        return max(spec["slow_s"], COMPILED_SLOW_S)
    return spec["slow_s"]


def _timed(
    task: Callable[[], Any], spec: dict, slow_s: float
) -> tuple[dict, list[float], dict, int, float, dict]:
    """Warm up for ``warmup_s`` (at least one call), then time calls for ``target_s``, between
    two runs of the steadiness kernel (``probe_s`` each; 0 skips them). The first is repeated
    until it reads at most ``steady_bound``, for up to ``steady_wait_s`` seconds, so that the
    timed calls start while the machine runs at its usual speed. The last item returned holds
    the two readings and the seconds waited (empty without probes).

    A first call slower than ``slow_s`` is itself the one sample (its one-off costs are small
    beside it), so that a minute-long call is not run twice per process (``_slow_s``).
    """
    probe_s = spec.get("probe_s", 0.0)
    start = time.perf_counter()
    first = _as_numpy(task())
    elapsed = time.perf_counter() - start
    if elapsed >= slow_s:
        return first, [elapsed], first, 0, 0.0, {}
    warmup_calls = 1
    while time.perf_counter() - start < spec["warmup_s"] and warmup_calls < spec["max_reps"]:
        task()
        warmup_calls += 1
    steady: dict[str, Any] = {}
    if probe_s:
        bound = spec.get("steady_bound") or float("inf")
        reading, waited = wait_until_steady(probe_s, bound, spec.get("steady_wait_s", 0.0))
        steady = {"steadiness": [reading], "waited_s": waited}
    times: list[float] = []
    out: Any = None
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    while not times or (sum(times) < spec["target_s"] and len(times) < spec["max_reps"]):
        t0 = time.perf_counter()
        out = task()
        times.append(time.perf_counter() - t0)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / len(times)
    if probe_s:
        steady["steadiness"].append(steadiness(probe_s))
    return first, times, _as_numpy(out), warmup_calls, faults, steady


def _status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no {field} in /proc/self/status")
    return int(match.group(1))


def _return_freed_heap() -> None:
    """Give the heap's free pages back to the system (glibc's ``malloc_trim``).

    Without it, a call can reuse pages that an earlier call freed and glibc kept, and its peak
    leaves them out: jax-jit's reading, taken after a full-size warm-up, fell below the 4.09 MiB of
    arrays the step returns. After the trim, every library's step starts from a heap without
    free pages, whatever ran before it."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError) as exc:
        raise RuntimeError(f"memory: cannot call glibc's malloc_trim: {exc}") from exc


def _memory(task: Callable[[], Any]) -> tuple[dict, float]:
    """Resident memory (MiB) one call adds above what the process held before it, once the
    heap's free pages are given back (so the call cannot reuse what an earlier call freed)."""
    gc.collect()
    _return_freed_heap()
    baseline = _status_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError as exc:
        raise RuntimeError(
            f"cannot reset the peak RSS through /proc/self/clear_refs: {exc}"
        ) from exc
    out = _as_numpy(task())
    peak = _status_kib("VmHWM")
    return out, (peak - baseline) / 1024


def run(spec: dict) -> dict:
    """Measure one pair as ``spec`` says; returns the JSON-able result."""
    workload: Workload = WORKLOADS[spec["workload"]]
    lib = LIBRARIES[spec["lib"]]
    module = importlib.import_module(lib.module)
    skip = getattr(module, "SKIPS", {}).get(workload.name)
    if skip:
        return {"status": "skipped", "note": skip}
    if hasattr(module, "configure"):
        module.configure(workload.dtype)
    implementations = module.implementations(**lib.options)
    if workload.runs not in implementations:
        return {"status": "skipped", "note": f"{lib.name} has no {workload.runs} implementation"}
    make = implementations[workload.runs]
    notes = getattr(module, "notes", None)
    note = notes(**lib.options).get(workload.runs) if notes else None
    with np.load(spec["data_path"]) as archive:
        data = {k: archive[k] for k in archive.files}
    sizes = spec["sizes"]
    result: dict[str, Any] = {"status": "ok", "version": module.version()}

    if workload.measures == "memory":
        # one full-size step first, for every library alike: what the measured step adds is then
        # the step's own memory, not the first use of the BLAS's buffers or of a library's
        # caches (jax's compiled executables for the new shapes)
        task = make(data, sizes)
        task()
        first, mib = _memory(task)
        result["samples"] = [mib]
    else:
        task = make(data, sizes)
        slow_s = _slow_s(spec, module)
        first, times, last, warmup_calls, faults, steady = _timed(task, spec, slow_s)
        result.update(steady)
        units = workload.units_per_call(sizes)
        result["samples"] = [t / units for t in times]
        result["warmup_calls"] = warmup_calls
        if warmup_calls:
            result["page_faults_per_unit"] = faults / units
        if warmup_calls == 0:
            result["note"] = f"a first call over {slow_s:g} s is the sample (no warm-up)"
        # every call must compute the same numbers (the tasks are stateless): else the timed
        # calls may have done other work than the one whose outputs were checked
        drift = compare(last, first)
        worst = max(drift.values(), default=0.0)
        if worst > workload.tolerance:
            result["status"] = "failed"
            result["note"] = f"not stateless: the last call differs from the first by {worst:.2e}"
    if note:
        result["note"] = "; ".join(filter(None, [note, result.get("note")]))
    if spec.get("outputs_path"):
        np.savez(spec["outputs_path"], **first)
    return result


def main(argv: list[str]) -> int:
    if argv == ["--probe"]:
        print(json.dumps(probe()))
        return 0
    if len(argv) != 1:
        print("usage: python -m benchmarks.worker SPEC.json | --probe", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    try:
        result = run(spec)
    except Exception as exc:  # reported by the runner, which goes on with the other pairs
        result = {
            "status": "failed",
            "note": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc(limit=8),
        }
    Path(spec["result_path"]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
