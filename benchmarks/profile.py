"""Profile one library on one workload with cProfile: where the time per call goes.

``python -m benchmarks.profile op_overhead [--lib tensorgrad] [--calls 20] [--top 25]`` warms the
task up, profiles ``--calls`` calls, and prints the functions with the most own time, as a
percentage of the profiled total, named ``file:function`` relative to the repository root.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import pstats
import sys
from pathlib import Path

from benchmarks.libs import LIBRARIES
from benchmarks.workloads import WORKLOADS, make_data

ROOT = Path(__file__).resolve().parent.parent


def _where(filename: str) -> str:
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        parts = path.parts
        for anchor in ("site-packages", "lib"):
            if anchor in parts:
                return "/".join(parts[parts.index(anchor) + 1 :])
        return filename


def profile(workload: str, lib: str, calls: int, quick: bool) -> pstats.Stats:
    """Profile ``calls`` calls of the task after one warm-up call."""
    w = WORKLOADS[workload]
    library = LIBRARIES[lib]
    module = importlib.import_module(library.module)
    if hasattr(module, "configure"):
        module.configure(w.dtype)
    make = module.implementations(**library.options)[w.runs]
    task = make(make_data(w, quick), w.lib_sizes(quick, lib))
    task()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        task()
    profiler.disable()
    return pstats.Stats(profiler)


def hot_spots(stats: pstats.Stats, top: int) -> list[tuple[str, float, float, int]]:
    """``(file:function, own %, cumulative %, calls)`` by own time, largest first."""
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in table.values()) or 1.0
    rows = []
    for (filename, _line, func), (_, ncalls, tottime, cumtime, _) in table.items():
        name = f"{_where(filename)}:{func}" if filename != "~" else func
        rows.append((name, 100 * tottime / total, 100 * cumtime / total, ncalls))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    p.add_argument("workload", choices=[w for w in WORKLOADS if WORKLOADS[w].measures == "time"])
    p.add_argument("--lib", default="tensorgrad", choices=list(LIBRARIES))
    p.add_argument("--calls", type=int, default=10)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--quick", action="store_true", help="the workload's quick sizes")
    args = p.parse_args(argv)
    stats = profile(args.workload, args.lib, args.calls, args.quick)
    print(f"{args.lib} on {args.workload}: {args.calls} calls, {stats.total_tt:.3f} s profiled")  # type: ignore[attr-defined]
    print(f"{'own %':>7} {'cum %':>7} {'calls':>10}  file:function")
    for name, own, cum, ncalls in hot_spots(stats, args.top):
        print(f"{own:7.1f} {cum:7.1f} {ncalls:10d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
