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
