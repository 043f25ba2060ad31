"""The benchmark driver: fresh worker processes in alternating order, checks, and the report.

For each workload, round after round, every library runs in its own fresh process (the order
reverses every round, so A/B pairs alternate), every round (``--pair-budget`` can cut a slow
peer short for a quicker, less certain run: it then stops after the round in which its time
on a workload passes the budget; NumPy, tensorgrad and torch, and every library on ``memory``,
still run every round). With one thread per process (the default), each worker is pinned to
one CPU: XLA's own thread pool does not follow the thread settings, and jax-jit would
otherwise use more of the machine than the others.
Outputs of each library's first round are checked against NumPy's. A timing process that ran
while the machine itself was slow (its steadiness probes say so) is run again, up to
``--reruns`` times (see ``UNSTEADY_FACTOR``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.compare import compare
from benchmarks.libs import LIBRARIES, PEERS, REFERENCE
from benchmarks.report import write_chart, write_markdown
from benchmarks.worker import COMPILED_SLOW_S, steadiness
from benchmarks.workloads import WORKLOADS, Workload, make_data

ROOT = Path(__file__).resolve().parent.parent
ALWAYS_FULL_ROUNDS = (REFERENCE, "tensorgrad", "torch")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one round: a smoke run")
    p.add_argument("--rounds", type=int, help="rounds of fresh processes (default 10, quick 1)")
    p.add_argument("--workloads", help="comma-separated subset of: " + ",".join(WORKLOADS))
    p.add_argument("--libs", help="comma-separated subset of: " + ",".join(LIBRARIES))
    p.add_argument("--out", type=Path, help="output folder (default benchmarks/results[-quick])")
    p.add_argument("--python", default=sys.executable, help="interpreter for the workers")
    p.add_argument(
        "--pair-budget",
        type=float,
        help="seconds per (workload, peer) after which a slow peer skips the remaining rounds "
        "(default: none, every library runs every round)",
    )
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per worker process")
    p.add_argument("--warmup", type=float, help="warm-up seconds per process (default 0.2)")
    p.add_argument("--target", type=float, help="timed seconds per process (default 0.25)")
    p.add_argument(
        "--slow",
        type=float,
        default=20.0,
        help="a first call this slow is itself the sample, with no warm-up (default 20 s: a "
        "slower first call's one-off costs are small beside it; runs up to 2026-12-07 used 2 s, "
        "which timed autograd's and mygrad's deep_chain and naive's linear_noise_784 cold)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP/XLA threads per worker (default 1: steadier on a shared machine; "
        "0 keeps each library's default)",
    )
    p.add_argument(
        "--malloc",
        choices=("steady", "default"),
        default="steady",
        help="glibc malloc in timing workers: 'steady' (default) fixes the mmap and trim "
        "thresholds so that large arrays are reused from the heap rather than page-faulted in "
        "again after a heap trim (see MALLOC_STEADY); 'default' keeps glibc's adaptive ones",
    )
    p.add_argument(
        "--reruns",
        type=int,
        help="times a timing process is run again when the machine ran slow around it (see "
        "UNSTEADY_FACTOR; default 2, quick 0; 0 also skips the steadiness probes)",
    )
    p.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    p.add_argument(
        "--report",
        type=Path,
        metavar="RESULTS_JSON",
        help="only rewrite results.md and results.png beside an existing results.json",
    )
    args = p.parse_args(argv)
    for option, value, least in (("rounds", args.rounds, 1), ("reruns", args.reruns, 0)):
        if value is not None and value < least:
            p.error(f"--{option} must be at least {least}, got {value}")
    for option, value in (
        ("pair-budget", args.pair_budget),
        ("timeout", args.timeout),
        ("slow", args.slow),
    ):
        if value is not None and not value > 0:
            p.error(f"--{option} must be a positive number of seconds, got {value}")
    for option, value in (("warmup", args.warmup), ("target", args.target)):
        if value is not None and not value >= 0:
            p.error(f"--{option} must be 0 or more seconds, got {value}")
    if args.threads < 0:
        p.error(f"--threads must be 0 (each library's default) or more, got {args.threads}")
    if args.report:
        if not args.report.is_file():
            p.error(f"--report: no results file at {args.report}")
        return args
    args.rounds = args.rounds if args.rounds is not None else (1 if args.quick else 10)
    if args.pair_budget is None:
        args.pair_budget = float("inf")
    args.warmup = args.warmup if args.warmup is not None else (0.0 if args.quick else 0.2)
    args.target = args.target if args.target is not None else (0.0 if args.quick else 0.25)
    args.reruns = args.reruns if args.reruns is not None else (0 if args.quick else 2)
    args.out = args.out or ROOT / "benchmarks" / ("results-quick" if args.quick else "results")
    for option, names, known in (
        ("workloads", args.workloads, WORKLOADS),
        ("libs", args.libs, LIBRARIES),
    ):
        chosen = names.split(",") if names else list(known)
        unknown = [n for n in chosen if n not in known]
        if unknown:
            p.error(f"--{option}: unknown {unknown}; choose from {list(known)}")
        twice = sorted({n for n in chosen if chosen.count(n) > 1})
        if twice:  # (a second run of a pair would overwrite the first's results)
            p.error(f"--{option}: {twice} given more than once")
        setattr(args, option, chosen)
    # (the folder is made and tried now: a full run takes half an hour, and its results are
    # written only at the end)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=args.out):
            pass
    except OSError as e:
        p.error(f"--out: cannot write results into {args.out}: {e.strerror or e}")
    return args


THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


MALLOC_STEADY = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
"""glibc tunables of the timing workers unless ``--malloc default``.

With glibc's adaptive defaults, whether an 800 KB array is reused from the heap or page-faulted
in anew on every step depends on where unrelated small allocations happened to land: on
linear_noise_784 one harness gave NumPy 126 minor faults per step and tensorgrad 11, the worker
gave NumPy 10 and tensorgrad 92, and time followed the faults. Fixed thresholds (arrays under
32 MiB come from the heap, which is not trimmed below 256 MiB of free top) take that lottery out of
the comparison; every library runs with the same setting. ``memory`` always keeps glibc's
defaults: its figure is what one step adds to a fresh process as users run it.
"""


PROBE_S = 0.03
"""Seconds of the steadiness kernel (``benchmarks.worker.steadiness``) just before and just after
each timing process's timed calls."""

UNSTEADY_FACTOR = 1.25
"""A timing process whose steadiness kernel ran this much slower than the machine's usual
(the fastest level seen in this run) before or after its timed calls is run again, up to
``--reruns`` times, after a pause of ``RERUN_PAUSE_S``.

Since 2026-12-03 the first of the two kernel runs is also a gate: the worker repeats it until it
reads under the same bound, for up to ``STEADY_WAIT_S``, and starts its timed calls right after.
A full run on a noisy morning without the gate (an idle NumPy loop timed right after it read
over 1.2x its median in 26 of 200 samples of 0.1 s) needed 264 re-runs for 278 processes and
kept 70 that ran slow in all three tries.

On this shared machine, everything sometimes runs about 2x slower for 0.1-2 s at a time, the
same for every library; a process caught in it made whole rounds' ratios 1.5-2x off, so that a
library at half another's time could tie with it. The kernel is the same NumPy work in every
process, so which processes are run again does not depend on the library they measure. The
last run is kept (flagged if it still ran slow), and the report counts the re-runs."""

RERUN_PAUSE_S = 1.0

STEADY_WAIT_S = 10.0
"""The longest a timing worker waits for its steadiness kernel to read under the bound."""

MAX_CALLS = 50
"""A process's warm-up and its timed calls each stop at this many calls, if ``--warmup`` and
``--target`` seconds have not run out before: any workload under 5 ms a call times 50 calls.

Kept as it was from the start: a 3-round trial without it (2026-12-03: mlp_small and
op_overhead, timing for the whole 0.25 s, thousands of calls) had round medians 1.08-1.14x apart
in processes whose steadiness kernels both ran at the usual speed, no steadier than with it."""


def _steady_level(seconds: float = 0.5, chunks: int = 10) -> float:
    """The machine's usual steadiness-kernel time: the fastest of ``chunks`` medians."""
    return min(steadiness(seconds / chunks) for _ in range(chunks))


def _env(threads: int = 0, malloc: str = "default") -> dict[str, str]:
    """The workers' environment: the repository importable, ``threads`` BLAS/OpenMP threads for
    every library (0 leaves each library's default), and the glibc malloc setting ``malloc``."""
    env = dict(os.environ)
    if malloc == "steady":
        # (the caller's own tunables come last, so they win where both set one)
        env["GLIBC_TUNABLES"] = ":".join(filter(None, [MALLOC_STEADY, env.get("GLIBC_TUNABLES")]))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if threads > 0:
        env.update({var: str(threads) for var in THREAD_VARS})
        xla = f"--xla_cpu_multi_thread_eigen={'false' if threads == 1 else 'true'}"
        env["XLA_FLAGS"] = " ".join(filter(None, [env.get("XLA_FLAGS"), xla]))
    return env


def _pin_cpu(threads: int) -> int | None:
    """The CPU every worker runs on when each has one thread (None: not pinned)."""
    if threads != 1 or not hasattr(os, "sched_setaffinity"):
        return None
    return max(os.sched_getaffinity(0))


def _probe(python: str) -> dict[str, str | None]:
    proc = subprocess.run(
        [python, "-m", "benchmarks.worker", "--probe"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        total_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total_kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    threads = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    commit = None
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            # (the library and the suite's own code: an edited implementation or harness
            # makes a run of uncommitted code too; the results folder does not)
            ["git", "status", "--porcelain", "--", "tensorgrad", "benchmarks/*.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if head.returncode == 0:
            commit = head.stdout.strip() + (" + uncommitted changes" if dirty.stdout else "")
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "thread_env": threads,
        "tensorgrad_commit": commit,
    }


def _run_worker(spec: dict, args: argparse.Namespace, tmp: Path) -> dict:
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec))
    result_path = Path(spec["result_path"])
    result_path.unlink(missing_ok=True)
    cpu = _pin_cpu(args.threads)
    try:
        proc = subprocess.run(
            [args.python, "-m", "benchmarks.worker", str(spec_path)],
            cwd=ROOT,
            env=_env(args.threads, "default" if spec["measures"] == "memory" else args.malloc),
            capture_output=True,
            text=True,
            timeout=args.timeout,
            preexec_fn=None if cpu is None else lambda: os.sched_setaffinity(0, {cpu}),
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "note": f"timed out after {args.timeout:.0f} s"}
    if not result_path.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "note": f"worker exited {proc.returncode}: {' | '.join(tail)}"}
    return json.loads(result_path.read_text())


def _run_steadily(
    spec: dict, args: argparse.Namespace, tmp: Path, level: float | None
) -> tuple[dict, int, bool, float | None]:
    """Run a worker, and again (up to ``args.reruns`` times) while its steadiness probes say the
    machine ran slow around it; returns the last result, the re-runs, whether it still ran
    slow, and the machine's usual level updated with the probes seen."""
    reruns = 0
    waited = 0.0
    while True:
        spec["steady_bound"] = UNSTEADY_FACTOR * level if level else None
        result = _run_worker(spec, args, tmp)
        probes = result.get("steadiness") or []
        if "waited_s" in result:
            waited += result["waited_s"]
            result["waited_s"] = waited  # (over every try)
        level = min([level, *probes]) if level else None
        unsteady = bool(probes) and level is not None and max(probes) > UNSTEADY_FACTOR * level
        if not unsteady or reruns >= args.reruns:
            return result, reruns, unsteady, level
        reruns += 1
        time.sleep(RERUN_PAUSE_S)


def _summarise(entry: dict) -> None:
    """Median, quartiles and per-round medians of a pair's samples."""
    rounds = entry.get("round_samples", {})
    samples = [s for r in rounds.values() for s in r]
    if not samples:
        return
    entry["samples_count"] = len(samples)
    entry["rounds"] = len(rounds)
    entry["median"] = float(np.median(samples))
    entry["p25"], entry["p75"] = (float(q) for q in np.percentile(samples, [25, 75]))
    entry["round_medians"] = {r: float(np.median(s)) for r, s in rounds.items()}
    faults = list(entry.get("round_page_faults", {}).values())
    if faults:
        entry["page_faults_per_unit"] = float(np.median(faults))


UPDATE_TOL_FLOAT32 = 5e-4


def _check(
    workload: Workload, quick: bool, lib: str, outputs: Path, reference: Path, data: Path
) -> dict:
    """Compare a library's first-round outputs with the reference's: values, dtypes, and each
    parameter's update (new minus old, of which the new value alone shows little: a wrong
    learning rate hides in the float32 weights' rounding)."""
    with np.load(outputs) as a, np.load(reference) as b, np.load(data) as d:
        got, ref, start = dict(a), dict(b), dict(d)
    same_sizes = workload.lib_sizes(quick, lib) == workload.lib_sizes(quick, REFERENCE)
    keys = [k for k in ref if same_sizes or k in workload.prefix_keys]
    errors = compare(got, ref, keys=keys, prefix_keys=workload.prefix_keys)
    # (an update's tolerance in float32 is 5e-4: the new weights' own float32 rounding is up to
    # 1.35e-4 of an update on mlp_large; a learning rate 0.1 % off is 1e-3)
    update_tol = UPDATE_TOL_FLOAT32 if workload.dtype == "float32" else workload.tolerance
    updates: dict[str, float] = {}
    for k in keys:
        if f"grad_{k}" in ref and k in start and k in got:
            old = start[k].astype(np.float64)
            updates[f"update of {k}"] = compare(
                {k: np.asarray(got[k], np.float64) - old}, {k: ref[k].astype(np.float64) - old}
            )[k]
    wrong_dtype = [
        k
        for k in keys
        if k in got and ref[k].dtype.kind == "f" and np.asarray(got[k]).dtype != ref[k].dtype
    ]
    # a trace compared on its common prefix must still be as long as the steps each ran
    wrong_length = [
        k
        for k in workload.prefix_keys
        for who, out in ((lib, got), (REFERENCE, ref))
        if k in out and len(out[k]) != workload.lib_sizes(quick, who).get("steps", len(out[k]))
    ]
    worst_key = max(errors, key=errors.__getitem__) if errors else None
    worst = errors[worst_key] if worst_key else 0.0
    worst_update = max(updates.values()) if updates else None
    return {
        "max_rel_err": worst,
        "worst_output": worst_key,
        "max_update_err": worst_update,
        "outputs_checked": keys,
        "wrong_dtype": wrong_dtype,
        "wrong_length": wrong_length,
        "tolerance": workload.tolerance,
        "update_tolerance": update_tol,
        "agree": worst <= workload.tolerance
        and (worst_update or 0.0) <= update_tol
        and not wrong_dtype
        and not wrong_length,
    }


def run(args: argparse.Namespace) -> dict:
    """Run every selected pair and return the results document (also written to ``args.out``)."""
    installed = _probe(args.python)
    libs = [lib for lib in LIBRARIES if lib in args.libs]
    if REFERENCE not in libs:
        libs.insert(0, REFERENCE)  # everything is checked against it and divided by it
    doc: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python -m benchmarks " + " ".join(sys.argv[1:]),
            "quick": args.quick,
            "rounds": args.rounds,
            "pair_budget_s": None if args.pair_budget == float("inf") else args.pair_budget,
            "memory_warmup": "full",
            "warmup_s": args.warmup,
            "target_s": args.target,
            "max_calls": MAX_CALLS,
            "slow_s": args.slow,
            "compiled_slow_s": COMPILED_SLOW_S,
            "threads": args.threads or "library defaults",
            "pinned_cpu": _pin_cpu(args.threads),
            "malloc": args.malloc,
            "memory_trim": True,  # (see worker._return_freed_heap)
            "reruns": args.reruns,
            "probe_s": PROBE_S,
            "steady_wait_s": STEADY_WAIT_S,
            "unsteady_factor": UNSTEADY_FACTOR,
            "machine": _machine(),
            "installed": installed,
            "versions": {},
        },
        "workloads": {},
        "results": {},
    }
    started = time.perf_counter()
    level = _steady_level() if args.reruns > 0 else None
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for wname in args.workloads:
            workload = WORKLOADS[wname]
            data_path = tmp / f"{wname}-data.npz"
            np.savez(data_path, **make_data(workload, args.quick))
            doc["workloads"][wname] = {
                "description": workload.description,
                "dtype": workload.dtype,
                "unit": workload.unit,
                "measures": workload.measures,
                "sizes": {lib: workload.lib_sizes(args.quick, lib) for lib in libs},
                "tolerance": workload.tolerance,
            }
            entries: dict[str, dict] = {}
            for lib in libs:
                entry: dict[str, Any] = {"status": "pending", "round_samples": {}, "spent_s": 0.0}
                if installed.get(lib) is None:
                    entry.update(status="skipped", note=f"{LIBRARIES[lib].package} not installed")
                entries[lib] = entry
            doc["results"][wname] = entries
            for rnd in range(args.rounds):
                order = libs if rnd % 2 == 0 else libs[::-1]
                for lib in order:
                    entry = entries[lib]
                    if entry["status"] in ("skipped", "failed"):
                        continue
                    if (
                        lib not in ALWAYS_FULL_ROUNDS
                        and workload.measures != "memory"
                        and entry["round_samples"]
                        and entry["spent_s"] >= args.pair_budget
                    ):
                        continue
                    outputs = tmp / f"{wname}-{lib}-out.npz" if rnd == 0 else None
                    spec = {
                        "workload": wname,
                        "lib": lib,
                        "sizes": workload.lib_sizes(args.quick, lib),
                        "data_path": str(data_path),
                        "result_path": str(tmp / "result.json"),
                        "outputs_path": str(outputs) if outputs else None,
                        "warmup_s": args.warmup,
                        "target_s": args.target,
                        "max_reps": MAX_CALLS,
                        "slow_s": args.slow,
                        "measures": workload.measures,
                        "probe_s": PROBE_S if level and workload.measures == "time" else 0.0,
                        "steady_wait_s": STEADY_WAIT_S,
                    }
                    t0 = time.perf_counter()
                    result, reruns, unsteady, level = _run_steadily(spec, args, tmp, level)
                    probes = result.get("steadiness")
                    entry["spent_s"] += time.perf_counter() - t0
                    if reruns:
                        entry.setdefault("reruns", {})[rnd] = reruns
                    if unsteady:
                        entry.setdefault("unsteady_rounds", []).append(rnd)
                    if probes:
                        entry.setdefault("round_steadiness", {})[rnd] = probes
                    if result.get("waited_s"):
                        entry.setdefault("round_waited_s", {})[rnd] = round(result["waited_s"], 2)
                    if result["status"] != "ok":
                        entry.update({k: v for k, v in result.items() if k != "samples"})
                        if result["status"] == "failed":  # (a missing peer is skipped, not failed)
                            entry["failed_round"] = rnd + 1
                        print(f"  {wname:17s} {lib:10s} {result['status']}: {result.get('note')}")
                        continue
                    entry["status"] = "ok"
                    entry["version"] = result["version"]
                    doc["meta"]["versions"][lib] = result["version"]
                    entry["round_samples"][rnd] = result["samples"]
                    if "page_faults_per_unit" in result:
                        entry.setdefault("round_page_faults", {})[rnd] = result[
                            "page_faults_per_unit"
                        ]
                    if result.get("note"):
                        entry["note"] = result["note"]
                    if outputs is not None and lib != REFERENCE:
                        ref_out = tmp / f"{wname}-{REFERENCE}-out.npz"
                        if ref_out.exists():
                            entry["check"] = _check(
                                workload, args.quick, lib, outputs, ref_out, data_path
                            )
                        else:
                            entry["check"] = {"agree": None, "note": "no reference output"}
                    med = float(np.median(result["samples"]))
                    print(f"  {wname:17s} {lib:10s} round {rnd + 1}: {med:.4g} ({workload.unit})")
            for entry in entries.values():
                if entry["status"] == "pending":
                    entry["status"] = "failed"
                    entry["note"] = "no round ran"
                if entry.get("check", {}).get("agree") is False:
                    entry["status"] = "mismatch"
                _summarise(entry)
    doc["meta"]["wall_s"] = round(time.perf_counter() - started, 1)
    doc["meta"]["steady_level_s"] = level
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(doc, indent=1))
    chart_note = None
    if not args.no_chart:
        chart_note = write_chart(doc, args.out / "results.png")
    doc["meta"]["chart"] = chart_note
    (args.out / "results.md").write_text(write_markdown(doc))
    return doc


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``; exits 1 if any library disagreed with NumPy or
    failed."""
    args = _parse(argv)
    if args.report:
        doc = json.loads(args.report.read_text())
        out = args.report.parent
        doc["meta"]["chart"] = None if args.no_chart else write_chart(doc, out / "results.png")
        (out / "results.md").write_text(write_markdown(doc))
        print(f"rewrote {out}/results.md" + ("" if args.no_chart else " and results.png"))
        return 0
    missing = [p for p in PEERS if p in args.libs]
    print(
        f"benchmarks: {len(args.workloads)} workloads x {len(args.libs)} libraries, "
        f"{args.rounds} round(s){' (quick)' if args.quick else ''}; peers wanted: {missing}"
    )
    doc = run(args)
    print((args.out / "results.md").read_text())
    chart = ", results.png" if (args.out / "results.png").exists() else ""
    print(f"wrote {args.out}/results.json, results.md{chart}")
    code = 0
    for status, what in (("mismatch", f"numbers disagree with {REFERENCE}"), ("failed", "failed")):
        bad = [
            f"{w}/{lib}"
            for w, entries in doc["results"].items()
            for lib, e in entries.items()
            if e["status"] == status
        ]
        if bad:
            print(f"{what}: {', '.join(bad)}", file=sys.stderr)
            code = 1
    return code
