"""The Markdown tables and the PNG chart, made from the results document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.libs import LIBRARIES, REFERENCE

# What issue #5 asks of tensorgrad: (workload, compared with, bound, "<=" ratio or ">=" speed-up).
TARGETS: list[tuple[str, str, float, str]] = [
    ("linear_noise_784", "naive", 1000.0, ">="),
    ("mlp_small", REFERENCE, 1.5, "<="),
    ("mlp_large", REFERENCE, 1.05, "<="),
    ("op_overhead", REFERENCE, 4.0, "<="),
    ("deep_chain", REFERENCE, 8.0, "<="),
    ("hvp", REFERENCE, 3.0, "<="),
    ("memory", REFERENCE, 1.5, "<="),
]


def _fmt_value(x: float, unit: str) -> str:
    if unit == "MiB":
        return f"{x:.3g} MiB"
    for scale, suffix in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if x >= scale:
            return f"{x / scale:.3g} {suffix}"
    return f"{x / 1e-9:.3g} ns"


def ratio(results: dict, lib: str, base: str) -> tuple[float, float, float, int] | None:
    """The median, min and max over rounds of the paired ratio ``lib / base`` of round medians,
    and the number of rounds paired.

    Rounds alternate the processes, so a round's two medians were measured side by side; the
    spread of their ratios says how much of a difference is noise.
    """
    a, b = results.get(lib, {}), results.get(base, {})
    if "median" not in a or "median" not in b:
        return None
    if not _shown(a) or not _shown(b):  # (a time of other numbers, or of a failed pair: none)
        return None
    paired = [
        a["round_medians"][r] / b["round_medians"][r]
        for r in a["round_medians"]
        if r in b["round_medians"] and b["round_medians"][r] > 0
    ]
    if not paired:
        return None
    return float(np.median(paired)), min(paired), max(paired), len(paired)


def _shown(entry: dict) -> bool:
    """Whether a pair's times stand: not those of a library that disagreed or that failed in
    some round (the rounds that ran are then not the run's alternation)."""
    return entry.get("status") not in ("mismatch", "failed")


def _cell_ratio(r: tuple[float, float, float, int] | None, rounds: int) -> str:
    """A ratio with its range; the rounds paired when fewer than the run's ``rounds``."""
    if r is None:
        return "—"
    mid, lo, hi, n = r
    cell = f"{mid:.3g}×" if n == 1 else f"{mid:.3g}× [{lo:.3g}–{hi:.3g}]"
    return cell + (f" ({n} round{'s' if n > 1 else ''})" if n < rounds else "")


NO_SPREAD = "n/a (one round: no spread)"  # (a verdict needs the spread of several rounds)


def _unmeasured(entries: dict, libs: tuple[str, ...]) -> str:
    """Why a ratio of ``libs`` is missing: a library that disagreed or failed, or was not run."""
    for lib in libs:
        status = entries.get(lib, {}).get("status")
        if status == "mismatch":
            return f"{lib}'s numbers disagree with NumPy's: no time"
        if status == "failed":
            return f"{lib} failed"
    return "not measured"


def _libs(doc: dict) -> list[str]:
    seen = {lib for entries in doc["results"].values() for lib in entries}
    return [lib for lib in LIBRARIES if lib in seen]


def _status_cell(entry: dict) -> str:
    return {"skipped": "skip", "failed": "FAIL", "mismatch": "MISMATCH"}.get(entry["status"], "—")


def write_markdown(doc: dict) -> str:
    """The report: machine and versions, medians, ratios, targets, checks and notes."""
    meta, results = doc["meta"], doc["results"]
    libs = _libs(doc)
    m = meta["machine"]
    lines = [
        "# tensorgrad benchmarks",
        "",
        f"- date: {meta['date']}; command: `{meta['command']}`; wall time {meta.get('wall_s')} s",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['platform']}",
        f"- Python {m['python']}, NumPy {m['numpy']}"
        + (f"; thread settings {m['thread_env']}" if m["thread_env"] else ""),
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        f"- tensorgrad source: commit {m.get('tensorgrad_commit') or 'unknown'}",
        f"- method: each (workload, library) runs in a fresh process per round, {meta['rounds']} "
        f"round(s), the order reversed every round; threads per process: {meta['threads']}; "
        f"malloc: {_MALLOC.get(meta.get('malloc', 'default'), 'glibc defaults')}; per "
        f"process {meta['warmup_s']} s of warm-up then {meta['target_s']} s of timed calls "
        f"(each at least one call{_calls_cap(meta)}; a first call over {meta['slow_s']} s"
        + _compiled_slow(meta)
        + f" is itself the one sample). {_memory_method(meta)} {_rounds_method(doc)}"
        "Times: medians over all timed calls. "
        "Ratios: the median over rounds of the ratio of the two libraries' round medians, with "
        "`[a–b]` the range of those per-round ratios (a target inside it is a tie)." + _reruns(doc),
        "",
        "## Median time per unit",
        "",
        "| workload | unit | " + " | ".join(libs) + " |",
        "|---|---|" + "---|" * len(libs),
    ]
    for wname, entries in results.items():
        w = doc["workloads"][wname]
        cells = []
        for lib in libs:
            e = entries.get(lib, {"status": "skipped"})
            shown = "median" in e and _shown(e)
            cell = _fmt_value(e["median"], w["unit"]) if shown else _status_cell(e)
            if "rounds" in e:
                cell += f" ({e['samples_count']}/{e['rounds']}r)"
                if e.get("failed_round"):
                    cell += f", failed in round {e['failed_round']}"
            cells.append(cell)
        lines.append(f"| {wname} | {w['unit']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "`(n/rr)`: n timed calls over r rounds (fresh processes).",
        "",
        "## Ratio to hand-written NumPy (lower is faster)",
        "",
        "| workload | " + " | ".join(lib for lib in libs if lib != REFERENCE) + " |",
        "|---|" + "---|" * (len(libs) - 1),
    ]
    for wname, entries in results.items():
        cells = [
            _cell_ratio(ratio(entries, lib, REFERENCE), meta["rounds"])
            for lib in libs
            if lib != REFERENCE
        ]
        lines.append(f"| {wname} | " + " | ".join(cells) + " |")
    lines += _faults(doc) + _targets(doc) + _peers(doc) + _checks(doc) + _notes(doc)
    return "\n".join(lines) + "\n"


def _calls_cap(meta: dict) -> str:
    """The method's bound on calls per process (50 in runs that did not record it)."""
    return f" and at most {meta.get('max_calls', 50):,}"


def _rounds_method(doc: dict) -> str:
    """Which libraries ran every round (read off the rounds each pair ran), and where the
    workers ran."""
    meta = doc["meta"]
    pinned = meta.get("pinned_cpu")
    where = f"Every worker ran pinned to CPU {pinned}. " if pinned is not None else ""
    budget = meta.get("pair_budget_s")
    if budget is None or budget == float("inf"):
        short = [
            f"{wname}/{lib} ({e.get('rounds', 0)})"
            for wname, entries in doc["results"].items()
            for lib, e in entries.items()
            if e.get("status") != "skipped" and e.get("rounds", 0) < meta["rounds"]
        ]
        if short:
            return where + f"Pairs that ran fewer rounds (rounds run): {', '.join(short)}. "
        return where + "Every library ran every round. "
    return where + (
        "NumPy, tensorgrad and torch run every round, and every library runs every round of "
        "memory; another peer stops after the round in which its time on a workload passes "
        f"{budget} s. "
    )


def _compiled_slow(meta: dict) -> str:
    """The first-call threshold of libraries that compile on their first call (runs before
    2026-12-07 did not record it)."""
    compiled = meta.get("compiled_slow_s")
    if compiled is None or compiled <= meta["slow_s"]:
        return ""
    return f" (jax, which compiles on its first call: over {compiled:g} s, compiling included)"


def _memory_method(meta: dict) -> str:
    """How memory was read (runs before the heap trim, 2026-12-03, did not record it)."""
    trim = (
        " then glibc's malloc_trim gives the heap's free pages back, so that no step reuses "
        "pages an earlier call freed;"
        if meta.get("memory_trim")
        else ""
    )
    if meta.get("memory_warmup") == "full":
        size = "of the same (quick) size" if meta.get("quick") else "full-size"
        warm = f"one earlier {size} step, for every library (so that no first use of a BLAS "
        warm += "buffer or library cache, nor jax's compiling, is counted),"
    else:
        warm = "a warm-up on the quick sizes (jax: on the full size, so compiling is not "
        warm += "counted),"
    quick = (
        " At the quick sizes a step adds a few pages: those ratios say nothing."
        if meta.get("quick")
        else ""
    )
    return f"Memory: one step after {warm}{trim} peak RSS minus RSS before the step.{quick}"


def _reruns(doc: dict) -> str:
    """The method's sentence on processes run again because the machine ran slow around them."""
    meta = doc["meta"]
    if not meta.get("reruns") or "probe_s" not in meta:
        return ""
    processes = reruns = 0
    waited = 0.0
    kept = []
    for wname, entries in doc["results"].items():
        for lib, e in entries.items():
            if "round_steadiness" in e:
                processes += len(e["round_steadiness"])
            waited += sum(e.get("round_waited_s", {}).values())
            reruns += sum(e.get("reruns", {}).values())
            kept += [f"{wname}/{lib} round {int(r) + 1}" for r in e.get("unsteady_rounds", [])]
    gate = ""
    if "steady_wait_s" in meta:
        gate = (
            " Before its timed calls, a process repeated the kernel until it read under that "
            f"bound, for up to {meta['steady_wait_s']:g} s: {waited:.1f} s of waiting in all."
        )
    return (
        f" Steadiness: a fixed NumPy kernel runs for {meta['probe_s']} s just before and after "
        "each timing process's timed calls; when either took over "
        f"{meta['unsteady_factor']}x the fastest level seen in the run (the machine ran slow), "
        f"the process was run again, up to {meta['reruns']} times: {reruns} re-runs for "
        f"{processes} kept processes"
        + (f"; kept while still slow: {', '.join(kept)}." if kept else ", none kept while slow.")
        + gate
    )


_MALLOC = {
    "steady": "timing workers with glibc's mmap and trim thresholds fixed (32 MiB, 256 MiB; "
    "`--malloc default` keeps the adaptive ones), memory with glibc's defaults",
    "default": "glibc defaults",
}


def _faults(doc: dict) -> list[str]:
    """Minor page faults per unit where any library takes at least one: they explain times."""
    libs = _libs(doc)
    rows = []
    for wname, entries in doc["results"].items():
        faults = {lib: e.get("page_faults_per_unit") for lib, e in entries.items()}
        if max((f for f in faults.values() if f is not None), default=0.0) < 1.0:
            continue
        cells = [f"{faults[lib]:.3g}" if faults.get(lib) is not None else "—" for lib in libs]
        rows.append(f"| {wname} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return [
        "",
        "### Minor page faults per unit (median over rounds)",
        "",
        "Shown for workloads where a library takes at least one per unit: a fault is a fresh "
        "page of memory, and on memory-bound workloads time follows them.",
        "",
        "| workload | " + " | ".join(libs) + " |",
        "|---|" + "---|" * len(libs),
        *rows,
    ]


def _targets(doc: dict) -> list[str]:
    lines = [
        "",
        "## tensorgrad against the targets of issue #5",
        "",
        *(
            ["Quick sizes: these verdicts say nothing about the full-size workloads.", ""]
            if doc["meta"].get("quick")
            else []
        ),
        "| workload | target | measured [spread] | verdict |",
        "|---|---|---|---|",
    ]
    for wname, base, bound, sense in TARGETS:
        entries = doc["results"].get(wname)
        if entries is None:
            continue
        if sense == ">=":
            r = ratio(entries, base, "tensorgrad")
            target = f"≥ {bound:g}× faster than {base}"
        else:
            r = ratio(entries, "tensorgrad", base)
            target = f"≤ {bound:g}× NumPy"
        if r is None:
            lines.append(
                f"| {wname} | {target} | — | {_unmeasured(entries, (base, 'tensorgrad'))} |"
            )
            continue
        mid, lo, hi, n = r
        ok = mid >= bound if sense == ">=" else mid <= bound
        tie = lo <= bound <= hi
        verdict = "met" if ok and not tie else "tie (within spread)" if tie else "missed"
        if n < 2:
            verdict = NO_SPREAD
        cell = _cell_ratio(r, doc["meta"]["rounds"])
        lines.append(f"| {wname} | {target} | {cell} | {verdict} |")
    return lines


def _peers(doc: dict) -> list[str]:
    """Does tensorgrad beat every eager peer? As for the targets, the paired per-round ratio
    tensorgrad / peer decides: a win if every round's is below 1, a loss if every round's is
    above, a tie if 1 is within their range."""
    lines = [
        "",
        "## tensorgrad against each eager peer (tensorgrad time / peer time)",
        "",
        "Median over rounds of the paired ratio of round medians, `[range]` over rounds: a win "
        "when every round's ratio is below 1, a tie when 1 is within the range.",
        "",
    ]
    peers = [p for p in _libs(doc) if p not in (REFERENCE, "tensorgrad", "naive")]
    peers = [p for p in peers if LIBRARIES[p].eager]
    if not peers:
        return lines + ["No eager peer was measured."]
    lines += ["| workload | " + " | ".join(peers) + " |", "|---|" + "---|" * len(peers)]
    for wname, entries in doc["results"].items():
        cells = []
        for peer in peers:
            r = ratio(entries, "tensorgrad", peer)
            if r is None:
                cells.append("—")
                continue
            verdict = "win" if r[2] < 1 else "loss" if r[1] > 1 else "tie"
            if r[3] < 2:
                verdict = NO_SPREAD
            cells.append(f"{_cell_ratio(r, doc['meta']['rounds'])} {verdict}")
        lines.append(f"| {wname} | " + " | ".join(cells) + " |")
    return lines


def _checks(doc: dict) -> list[str]:
    lines = [
        "",
        "## Numbers checked against NumPy",
        "",
        "Normwise relative error `max|x - ref| / max|ref|` over every output (loss traces, "
        "updated weights, gradients, values), and the same dtypes; tolerance 1e-10 in float64, "
        "1e-4 in float32. Each SGD update (new weights minus old) is checked too, at 5e-4 in "
        "float32 (the new weights' own float32 rounding reaches 1.35e-4 of an update on "
        "mlp_large): a learning rate 0.1 % off fails it. A loss trace must have one entry per "
        "step the library ran.",
        "",
    ]
    rows = []
    for wname, entries in doc["results"].items():
        for lib, e in entries.items():
            c = e.get("check")
            if c and "max_rel_err" in c:
                mark = "ok" if c["agree"] else "**DISAGREES**"
                if c.get("wrong_dtype"):
                    mark += f" (dtype differs: {', '.join(c['wrong_dtype'])})"
                if c.get("wrong_length"):
                    mark += f" (a trace of the wrong length: {', '.join(c['wrong_length'])})"
                update = c.get("max_update_err")
                update_cell = "—" if update is None else f"{update:.1e}"
                rows.append(
                    f"| {wname} | {lib} | {c['max_rel_err']:.1e} ({c['worst_output']}) | "
                    f"{update_cell} | {mark} |"
                )
    if rows:
        lines += [
            "| workload | library | worst error (output) | worst update error | |",
            "|---|---|---|---|---|",
        ] + rows
    return lines


def _notes(doc: dict) -> list[str]:
    lines = ["", "## Notes", ""]
    for wname, w in doc["workloads"].items():
        ref_sizes = w["sizes"].get(REFERENCE)
        quick = f"; this quick run's sizes: {ref_sizes}" if doc["meta"].get("quick") else ""
        lines.append(f"- `{wname}`: {w['description']} ({w['dtype']}{quick}).")
        for lib, sizes in w["sizes"].items():
            if sizes != ref_sizes and doc["results"][wname].get(lib, {}).get("status") != "skipped":
                lines.append(
                    f"  - {lib} ran {sizes} (others {ref_sizes}); times are per {w['unit']}."
                )
    for wname, entries in doc["results"].items():
        for lib, e in entries.items():
            if e.get("note"):
                lines.append(f"- {wname} / {lib}: {e['status']}: {e['note']}")
    if doc["meta"].get("chart"):
        lines.append(f"- chart: {doc['meta']['chart']}")
    return lines


def write_chart(doc: dict, path: Path) -> str:
    """A bar chart of ratios to NumPy per workload (log scale); says why if it is skipped."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "skipped: matplotlib is not installed"
    try:
        return _draw_chart(doc, path, plt)
    except Exception as e:  # (the tables are still written: a chart is not worth the run)
        plt.close("all")
        return f"skipped: the chart failed ({type(e).__name__}: {e})"


def _draw_chart(doc: dict, path: Path, plt: Any) -> str:
    libs = [lib for lib in _libs(doc) if lib != REFERENCE]
    workloads = list(doc["results"])
    fig, ax = plt.subplots(figsize=(2.4 + 1.3 * len(workloads), 4.5))
    width = 0.8 / max(len(libs), 1)
    x = np.arange(len(workloads))
    noted = False
    for i, lib in enumerate(libs):
        values, below, above, notes = [], [], [], []
        for wname in workloads:
            r = ratio(doc["results"][wname], lib, REFERENCE)
            values.append(r[0] if r else np.nan)
            below.append(r[0] - r[1] if r else 0.0)
            above.append(r[2] - r[0] if r else 0.0)
            notes.append(bool(r and doc["results"][wname].get(lib, {}).get("note")))
        bars = ax.bar(
            x + (i - (len(libs) - 1) / 2) * width,
            values,
            width,
            label=lib,
            yerr=[below, above],  # (the range of the per-round ratios)
            error_kw={"elinewidth": 0.7, "capsize": 1.5},
        )
        for bar, note in zip(bars, notes):
            if note:  # (a note qualifies the figure: fewer steps, not the same work, ...)
                bar.set_hatch("///")
                noted = True
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(x, workloads, rotation=20, ha="right")
    ax.set_ylabel("time (memory: MiB added) / hand-written NumPy, log")
    quick = ", quick sizes (a smoke run: no timing)" if doc["meta"].get("quick") else ""
    ax.set_title(f"tensorgrad benchmarks, {doc['meta']['date']}{quick}", fontsize=10)
    footer = "bars: median of per-round ratios; whiskers: their range; no bar: skipped or failed"
    if noted:
        footer += "; hatched: see that pair's note in results.md"
    fig.text(0.01, 0.01, footer, fontsize=7)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"`{path.name}`"
