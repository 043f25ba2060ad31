"""detect_anomaly: names the op, where it was created, and NaN or inf."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


def test_anomaly_names_op_site_and_kind() -> None:
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        y = tg.sqrt(x)  # the line the error must name
        line = 15
        with pytest.raises(RuntimeError) as info, np.errstate(divide="ignore"):
            y.sum().backward()
    msg = str(info.value)
    assert "Sqrt" in msg and "inf" in msg
    assert f"test_anomaly.py:{line - 1}" in msg


def test_anomaly_nan() -> None:
    x = tg.tensor([-1.0, 1.0], requires_grad=True)
    with tg.detect_anomaly(), np.errstate(invalid="ignore"):
        y = tg.sqrt(x) * 2.0
        with pytest.raises(RuntimeError, match=r"Sqrt.*nan"):
            y.sum().backward()


def test_off_by_default_and_restored() -> None:
    x = tg.tensor([0.0], requires_grad=True)
    y = tg.sqrt(x)
    with np.errstate(divide="ignore"):  # the inf slope at 0, as NumPy gives it
        y.sum().backward()  # no error: anomaly detection is off
    assert np.isinf(x.grad.data[0])
    assert y.grad_fn.extras is None  # nothing recorded when off
    with tg.detect_anomaly():
        pass
    from tensorgrad.grad_mode import STATE

    assert STATE.anomaly is False


def test_a_reentered_block_restores_the_mode_and_check_nan_false_keeps_the_sites(
    tmp_path,
) -> None:
    from tensorgrad.grad_mode import STATE

    # (re-entering one instance left anomaly mode on for good; check_nan=False recorded no
    # site at all, where torch records them for backward's other errors)
    block = tg.detect_anomaly()
    with block:
        with block:
            pass
        assert STATE.anomaly is True
    assert STATE.anomaly is False and STATE.sites is False
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.detect_anomaly(check_nan=False):
        z = tg.exp(x * 1.0)
        z += 1.0
        with pytest.raises(RuntimeError, match=r"modified by an in-place.*test_anomaly.py:\d+"):
            z.sum().backward()
        with np.errstate(invalid="ignore"):
            tg.sqrt(tg.tensor([-1.0], requires_grad=True)).sum().backward()  # no NaN check
    with tg.detect_anomaly():
        with tg.detect_anomaly(check_nan=False):
            assert STATE.anomaly is False and STATE.sites is True
        assert STATE.anomaly is True
    # a folder beside the package whose name starts with the package's is the user's
    import subprocess
    import sys
    from pathlib import Path

    package = Path(tg.__file__).resolve().parent
    sibling = tmp_path / f"{package.name}_examples"
    sibling.mkdir()
    script = sibling / "run.py"
    script.write_text(
        "import tensorgrad as tg\n"
        "x = tg.tensor([-1.0], requires_grad=True)\n"
        "with tg.detect_anomaly():\n"
        "    y = tg.sqrt(x)\n"
        "    y.sum().backward()\n"
    )
    from tensorgrad import anomaly

    # (the check itself, for a path of that shape next to the real package folder)
    assert not anomaly._in_package(str(package.parent / f"{package.name}_examples" / "run.py"))
    assert anomaly._in_package(str(package / "ops" / "_base.py"))
    assert not anomaly._in_package("<string>")
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(package.parent), "PATH": ""},
    )
    assert "run.py:4" in result.stderr
