"""Parts of the benchmark suite run in-process: the check, the sizes and the references."""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import runner, worker
from benchmarks.compare import compare, relative_error
from benchmarks.libs import numpy_impl
from benchmarks.report import _peers
from benchmarks.runner import MALLOC_STEADY, _env
from benchmarks.worker import steadiness
from benchmarks.workloads import CHAIN_SHRINK, WORKLOADS, make_data


def test_relative_error_is_normwise() -> None:
    ref = np.array([1.0, 1e-20, -2.0])
    assert relative_error(ref + np.array([0.0, 1e-17, 0.0]), ref) == pytest.approx(5e-18)
    assert relative_error(ref[:2], ref) == float("inf")
    assert relative_error(np.array([np.nan]), np.array([1.0])) == float("inf")
    assert relative_error(np.array([np.inf]), np.array([np.inf])) == 0.0


def test_compare_uses_the_common_prefix_of_traces_and_flags_missing_keys() -> None:
    ref = {"losses": np.array([3.0, 2.0, 1.0]), "W": np.ones(2)}
    got = {"losses": np.array([3.0, 2.0])}
    errors = compare(got, ref, prefix_keys=("losses",))
    assert errors == {"losses": 0.0, "W": float("inf")}


def test_lib_sizes_swap_in_a_library_s_own_step_count() -> None:
    w = WORKLOADS["linear_noise_784"]
    assert w.lib_sizes(False, "naive")["steps"] == 2
    assert w.lib_sizes(False, "numpy") == {"n_in": 784, "n_out": 128, "steps": 100}


def test_data_is_the_same_for_every_call() -> None:
    w = WORKLOADS["mlp_small"]
    a, b = make_data(w, quick=True), make_data(w, quick=True)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert a["X"].dtype == np.float32 and a["labels"].dtype == np.int64


def _central(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        out.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return out


def test_hand_written_hvp_matches_finite_differences_of_the_gradient() -> None:
    data = make_data(WORKLOADS["hvp"], quick=True)
    a, x, v = data["A"], data["x"], data["v"]
    out = numpy_impl.hvp(data, {})()

    def grad_dot_v(x: np.ndarray) -> float:
        t = np.tanh(a @ x)
        return float((a.T @ (2 * t * (1 - t * t))) @ v)

    assert out["value"] == pytest.approx(np.sum(np.tanh(a @ x) ** 2))
    np.testing.assert_allclose(out["hvp"], _central(grad_dot_v, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["mlp_small", "mlp_large"])
def test_hand_written_mlp_gradients_match_finite_differences(name: str) -> None:
    w = WORKLOADS[name]
    data = {
        k: v.astype(np.float64) if v.dtype == np.float32 else v
        for k, v in make_data(w, True).items()
    }
    make = numpy_impl.implementations()[name]
    out = make(data, w.sizes(True))()
    for key in ("b1", "b3"):

        def loss(p: np.ndarray, key: str = key) -> float:
            return float(make({**data, key: p}, w.sizes(True))()["loss"])

        np.testing.assert_allclose(out[f"grad_{key}"], _central(loss, data[key]), atol=1e-8)


def test_hand_written_chain_scales_by_its_cycles_and_a_skipped_cycle_is_caught() -> None:
    # (each cycle was an exact identity, so a library that skipped cycles passed the check)
    data = make_data(WORKLOADS["op_overhead"], quick=True)
    out = numpy_impl.chain(data, {"n_ops": 96})()
    growth = (2 * CHAIN_SHRINK) ** 12
    np.testing.assert_allclose(out["y"], data["x"] * growth, rtol=1e-12)
    np.testing.assert_allclose(out["dx"], np.full_like(data["x"], growth), rtol=1e-12)
    fewer = numpy_impl.chain(data, {"n_ops": 88})()
    errors = compare(fewer, out)
    assert min(errors.values()) > 100 * WORKLOADS["op_overhead"].tolerance


def test_steady_malloc_adds_fixed_thresholds_before_the_caller_s_tunables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0")
    steady = _env(1, "steady")["GLIBC_TUNABLES"]
    assert steady == MALLOC_STEADY + ":glibc.malloc.tcache_count=0"  # the caller's last: wins
    assert _env(1, "default")["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=0"


def test_peer_verdict_is_the_paired_per_round_ratio() -> None:
    def entry(*medians: float) -> dict:
        return {"median": float(np.median(medians)), "round_medians": dict(enumerate(medians))}

    def verdict(tg: dict, peer: dict) -> str:
        doc = {
            "meta": {"rounds": 2},
            "results": {"w": {"numpy": tg, "tensorgrad": tg, "torch": peer}},
        }
        return _peers(doc)[-1]

    # the two ranges overlap, but tensorgrad is faster in every round: a win
    assert verdict(entry(1.0, 3.0), entry(2.0, 4.0)).endswith("win |")
    assert verdict(entry(1.0, 3.0), entry(2.0, 2.5)).endswith("tie |")  # (slower in round 2)
    assert verdict(entry(3.0, 5.0), entry(2.0, 4.0)).endswith("loss |")


def test_steadiness_kernel_times_one_unit() -> None:
    one = steadiness(0.0)  # (at least one unit)
    assert 0 < one < 0.1


def test_a_process_that_ran_while_the_machine_was_slow_is_run_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def worker(*probes: list[float]):
        runs = iter(probes)
        return lambda *a: {"status": "ok", "steadiness": next(runs)}

    monkeypatch.setattr(runner, "_run_worker", worker([1.0, 1.3], [2.0, 1.0], [1.1, 1.2], [5, 5]))
    monkeypatch.setattr(runner, "RERUN_PAUSE_S", 0.0)
    args = argparse.Namespace(reruns=2)
    # 1.3 and then 2.0 are over 1.25x the level (1.0): run again twice; the third is steady
    result, reruns, unsteady, level = runner._run_steadily({}, args, Path(), 1.0)
    assert (result["steadiness"], reruns, unsteady, level) == ([1.1, 1.2], 2, False, 1.0)
    args.reruns = 0  # the last run is kept, flagged, when no re-run is left
    assert runner._run_steadily({}, args, Path(), 1.0)[1:3] == (0, True)
    # a faster probe lowers the level; a worker without probes (memory, quick) is never re-run
    monkeypatch.setattr(runner, "_run_worker", worker([0.5, 0.6]))
    assert runner._run_steadily({}, args, Path(), 1.0)[1:] == (0, False, 0.5)
    monkeypatch.setattr(runner, "_run_worker", lambda *a: {"status": "failed"})
    assert runner._run_steadily({}, args, Path(), 1.0)[1:] == (0, False, 1.0)


def test_a_worker_waits_for_a_steady_reading_before_its_timed_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = iter([3.0, 2.0, 1.2, 9.0])
    monkeypatch.setattr(worker, "steadiness", lambda seconds: next(readings))
    monkeypatch.setattr(worker, "STEADY_POLL_S", 0.0)
    # 3.0 and 2.0 are over the bound; 1.2 is the reading the timed calls start after
    assert worker.wait_until_steady(0.01, 1.25, 10.0)[0] == 1.2
    assert next(readings) == 9.0
    monkeypatch.setattr(worker, "steadiness", lambda seconds: 9.0)
    assert worker.wait_until_steady(0.01, 1.25, 0.0)[0] == 9.0  # (no time left to wait)


def test_the_runner_gives_each_try_the_bound_and_sums_the_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bounds = []

    def run(spec: dict, *a: object) -> dict:
        bounds.append(spec["steady_bound"])
        return {
            "status": "ok",
            "steadiness": [2.0, 1.0] if len(bounds) == 1 else [0.8, 0.9],
            "waited_s": 1.5,
        }

    monkeypatch.setattr(runner, "_run_worker", run)
    monkeypatch.setattr(runner, "RERUN_PAUSE_S", 0.0)
    result, reruns, unsteady, level = runner._run_steadily(
        {}, argparse.Namespace(reruns=2), Path(), 1.0
    )
    assert bounds == [1.25, 1.25] and (reruns, unsteady, level) == (1, False, 0.8)
    assert result["waited_s"] == 3.0


_REUSE_SCRIPT = """
import sys
import numpy as np
from benchmarks import worker
if sys.argv[1] == "no-trim":
    worker._return_freed_heap = lambda: None
def task():
    return {"a": np.ones(2**20)}  # 8 MiB, touched
for _ in range(3):
    task()  # freed blocks of the same size, kept by glibc for reuse
print(worker._memory(task)[1])
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_memory_counts_pages_an_earlier_call_freed() -> None:
    env = {k: v for k, v in _env().items() if k != "GLIBC_TUNABLES"}  # glibc's defaults

    def reading(mode: str) -> float:
        cmd = [sys.executable, "-c", _REUSE_SCRIPT, mode]
        return float(subprocess.run(cmd, env=env, capture_output=True, check=True).stdout)

    assert reading("trim") >= 7.5
    assert reading("no-trim") < 1.0  # what the trim is for: reused pages are not counted


def _drifting_chain(data: dict, sizes: dict):
    calls = []

    def task() -> dict:
        calls.append(1)
        return {"y": data["x"] * (1.0 + 0.5 * len(calls))}  # (each call differs)

    return task


@pytest.mark.parametrize("with_note", [False, True])
def test_a_task_whose_calls_differ_fails_with_or_without_a_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, with_note: bool
) -> None:
    # (the check once ran only for libraries that had a note beside the workload)
    from benchmarks.libs import Library

    fake = type(sys)("fake_impl")
    fake.version = lambda: "0"
    fake.implementations = lambda: {"op_overhead": _drifting_chain}
    if with_note:
        fake.notes = lambda: {"op_overhead": "a note"}
    monkeypatch.setitem(sys.modules, "fake_impl", fake)
    monkeypatch.setitem(worker.LIBRARIES, "fake", Library("fake", "fake_impl", "numpy"))
    workload = WORKLOADS["op_overhead"]
    np.savez(tmp_path / "data.npz", **make_data(workload, quick=True))
    spec = {
        "workload": "op_overhead",
        "lib": "fake",
        "sizes": workload.lib_sizes(True, "fake"),
        "data_path": str(tmp_path / "data.npz"),
        "warmup_s": 0.0,
        "target_s": 0.0,
        "max_reps": 3,
        "slow_s": 10.0,
    }
    result = worker.run(spec)
    assert result["status"] == "failed"
    assert "not stateless" in result["note"]
    assert ("a note" in result["note"]) == with_note


def _entry(*medians: float, status: str = "ok") -> dict:
    return {
        "status": status,
        "median": float(np.median(medians)),
        "rounds": len(medians),
        "round_medians": dict(enumerate(medians)),
    }


def test_a_pair_that_failed_in_some_round_gets_no_ratio_or_verdict() -> None:
    from benchmarks.report import _targets, ratio

    entries = {"numpy": _entry(1.0, 1.0), "tensorgrad": _entry(1.2, status="failed")}
    assert ratio(entries, "tensorgrad", "numpy") is None
    doc = {"meta": {"rounds": 2}, "results": {"mlp_small": entries}}
    assert _targets(doc)[-1].endswith("| — | tensorgrad failed |")
    entries["tensorgrad"]["status"] = "mismatch"
    assert "tensorgrad's numbers disagree" in _targets(doc)[-1]


def test_one_round_gives_no_verdict_and_fewer_rounds_are_shown() -> None:
    from benchmarks.report import NO_SPREAD, _cell_ratio, _targets, ratio

    def verdict(tg: dict, peer: dict, rounds: int) -> str:
        doc = {"meta": {"rounds": rounds}, "results": {"w": {"tensorgrad": tg, "torch": peer}}}
        return _peers(doc)[-1]

    assert verdict(_entry(1.0), _entry(2.0), 1).endswith(f"0.5× {NO_SPREAD} |")
    assert verdict(_entry(1.0, 1.0), _entry(2.0, 4.0), 3).endswith("[0.25–0.5] (2 rounds) win |")
    entries = {"numpy": _entry(1.0), "tensorgrad": _entry(1.2)}
    doc = {"meta": {"rounds": 1}, "results": {"mlp_small": entries}}
    assert _targets(doc)[-1].endswith(f"| 1.2× | {NO_SPREAD} |")
    assert _cell_ratio(ratio(entries, "tensorgrad", "numpy"), 1) == "1.2×"


def test_the_method_says_which_pairs_ran_fewer_rounds() -> None:
    from benchmarks.report import _rounds_method

    results = {"w": {"numpy": _entry(1.0, 1.0), "torch": _entry(1.0, status="failed")}}
    doc = {"meta": {"rounds": 2, "pair_budget_s": float("inf")}, "results": results}
    assert "fewer rounds (rounds run): w/torch (1)" in _rounds_method(doc)
    results["w"]["torch"] = _entry(1.0, 2.0)
    assert "Every library ran every round" in _rounds_method(doc)


def test_a_loss_trace_must_have_one_entry_per_step(tmp_path: Path) -> None:
    workload = WORKLOADS["linear_noise_784"]
    data = make_data(workload, quick=True)
    steps = workload.lib_sizes(True, "naive")["steps"]
    ref = numpy_impl.implementations()[workload.runs](data, workload.lib_sizes(True, "numpy"))()
    np.savez(tmp_path / "data.npz", **data)
    np.savez(tmp_path / "ref.npz", **ref)
    for n, agree in ((steps, True), (steps - 1, False)):
        np.savez(tmp_path / "out.npz", losses=ref["losses"][:n])
        check = runner._check(
            workload,
            True,
            "naive",
            tmp_path / "out.npz",
            tmp_path / "ref.npz",
            tmp_path / "data.npz",
        )
        assert check["agree"] is agree and check["wrong_length"] == ([] if agree else ["losses"])


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--rounds", "0"], "--rounds"),
        (["--rounds", "-2"], "--rounds"),
        (["--pair-budget", "0"], "--pair-budget"),
        (["--reruns", "-1"], "--reruns"),
        (["--warmup", "-1"], "--warmup"),
        (["--target", "-5"], "--target"),
        (["--slow", "-1"], "--slow"),
        (["--threads", "-2"], "--threads"),
        (["--workloads", "hvp,hvp"], "'hvp'"),
        (["--libs", "numpy,torch,numpy"], "'numpy'"),
        (["--report", "no-such-results.json"], "--report"),
    ],
)
def test_options_out_of_range_are_refused(
    args: list[str], named: str, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as e:
        runner._parse(args)
    assert e.value.code == 2 and named in capsys.readouterr().err


def test_an_unwritable_out_folder_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # (it was found when the results were written, after a full run's half hour)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as e:
        runner._parse(["--out", str(blocker / "results")])
    assert e.value.code == 2 and "--out: cannot write results into" in capsys.readouterr().err
