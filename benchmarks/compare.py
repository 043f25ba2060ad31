"""The cross-library check: normwise relative error of each output against the reference."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np


def relative_error(value: np.ndarray, reference: np.ndarray) -> float:
    """``max|value - reference| / max|reference|``, in float64; ``inf`` on a shape mismatch.

    Normwise rather than elementwise, so that entries near zero (a loss trace that has
    converged, a gradient entry that cancels) do not turn rounding noise into a failure.
    Non-finite entries must match exactly.
    """
    a = np.asarray(value, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return 0.0 if np.array_equal(a, b, equal_nan=True) else float("inf")
    if a.size == 0:
        return 0.0
    scale = float(np.max(np.abs(b)))
    err = float(np.max(np.abs(a - b)))
    if scale == 0.0:
        return 0.0 if err == 0.0 else float("inf")
    return err / scale


def compare(
    outputs: Mapping[str, np.ndarray],
    reference: Mapping[str, np.ndarray],
    keys: Iterable[str] | None = None,
    prefix_keys: Iterable[str] = (),
) -> dict[str, float]:
    """The relative error of each output in ``keys`` (default: all the reference's).

    A key missing from ``outputs`` has error ``inf``. ``prefix_keys`` are 1-D traces compared on
    their common prefix (a library that ran fewer steps).
    """
    prefix = set(prefix_keys)
    errors: dict[str, float] = {}
    for key in reference if keys is None else keys:
        if key not in outputs:
            errors[key] = float("inf")
            continue
        a, b = np.asarray(outputs[key]), np.asarray(reference[key])
        if key in prefix:
            n = min(a.shape[0], b.shape[0])
            a, b = a[:n], b[:n]
        errors[key] = relative_error(a, b)
    return errors
