"""``python -m benchmarks --quick`` end to end, in fresh processes: the numbers must agree.

Times are not asserted (no timing in unit tests); statuses and the cross-library check are.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEERS = ["torch", "autograd", "mygrad", "jax"]


# The pairs that cannot run: naive has no MLP, no 100,000-op chain it could finish, no second
# order and no memory step; mygrad has no forward-over-reverse for hvp.
CANNOT_RUN = {
    ("mlp_small", "naive"),
    ("mlp_large", "naive"),
    ("deep_chain", "naive"),
    ("hvp", "naive"),
    ("memory", "naive"),
    ("hvp", "mygrad"),
}


def _run(tmp_path: Path, *args: str, chart: bool = False) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            *([] if chart else ["--no-chart"]),
            "--out",
            str(tmp_path),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "results.md").read_text().startswith("# tensorgrad benchmarks")
    return json.loads((tmp_path / "results.json").read_text())


def _assert_all_agree(doc: dict, libs: list[str]) -> None:
    for wname, entries in doc["results"].items():
        for lib in libs:
            e = entries[lib]
            if (wname, lib) in CANNOT_RUN:  # (a peer that is not installed is not tested here)
                assert e["status"] == "skipped" and e["note"], (wname, lib, e)
                continue
            assert e["status"] == "ok", (wname, lib, e.get("note"), e.get("traceback"))
            assert e["median"] > 0
            if lib != "numpy":
                assert e["check"]["agree"], (wname, lib, e["check"])
                assert e["check"]["outputs_checked"], (wname, lib)


def test_quick_run_tensorgrad_naive_numpy(tmp_path: Path) -> None:
    chart = importlib.util.find_spec("matplotlib") is not None
    doc = _run(tmp_path, "--libs", "numpy,tensorgrad,naive", chart=chart)
    _assert_all_agree(doc, ["numpy", "tensorgrad", "naive"])
    if chart:  # (the chart code runs once in the suite)
        assert (tmp_path / "results.png").read_bytes().startswith(b"\x89PNG")
    results = doc["results"]
    assert set(results) == {
        "linear_noise",
        "linear_noise_784",
        "mlp_small",
        "mlp_large",
        "op_overhead",
        "deep_chain",
        "hvp",
        "memory",
    }
    assert all(results[w]["tensorgrad"]["status"] == "ok" for w in results)
    assert results["op_overhead"]["naive"]["status"] == "ok"
    assert results["linear_noise_784"]["naive"]["check"]["outputs_checked"] == ["losses"]
    assert results["mlp_small"]["naive"]["status"] == "skipped"
    # timing workers record their page faults (the memory workload measures RSS instead)
    assert doc["meta"]["malloc"] == "steady"
    assert results["linear_noise_784"]["tensorgrad"]["page_faults_per_unit"] >= 0
    assert "page_faults_per_unit" not in results["memory"]["tensorgrad"]


def test_quick_run_installed_peers(tmp_path: Path) -> None:
    peers = [p for p in PEERS if importlib.util.find_spec(p) is not None]
    if not peers:
        pytest.skip("no peer library of the bench extra is installed")
    libs = ["numpy"] + peers + (["jax-jit"] if "jax" in peers else [])
    doc = _run(tmp_path, "--libs", ",".join(libs))  # (every workload: a broken one is caught)
    _assert_all_agree(doc, libs)


def test_unknown_library_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--libs", "numpy,nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "nope" in proc.stderr
