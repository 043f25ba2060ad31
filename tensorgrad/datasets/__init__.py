"""Small data sets bundled with tensorgrad, loaded offline, plus a train/test split helper.

``digits.npz`` holds the 1,797 8x8 handwritten digits of the UCI "Optical Recognition of
Handwritten Digits" data set (E. Alpaydin and C. Kaynak, 1998; CC BY 4.0), the same array
scikit-learn ships as ``load_digits``: ``X`` uint8 (1797, 64) with pixel counts 0-16 and ``y``
uint8 labels 0-9.
"""

from __future__ import annotations

import io
from importlib import resources
from typing import Any

import numpy as np

from tensorgrad.factories import seeded_generator

__all__ = ["load_digits", "train_test_split", "split"]

N_DIGITS = 1797


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(X, y)``: ``X`` float32 (1797, 64), pixel values 0-16; ``y`` int64 labels 0-9.

    Read from the package's own ``digits.npz`` through ``importlib.resources``, so it works
    offline and from an installed wheel or zip. Each call returns fresh arrays.
    """
    blob = resources.files(__name__).joinpath("digits.npz").read_bytes()
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        X = z["X"].astype(np.float32)
        y = z["y"].astype(np.int64)
    return X, y


def train_test_split(
    X: Any,
    y: Any,
    test_fraction: float = 0.2,
    rng: np.random.Generator | int | None = None,
    stratify: bool = True,
) -> tuple[Any, Any, Any, Any]:
    """Split ``X`` and ``y`` along axis 0 into ``(X_train, X_test, y_train, y_test)``.

    ``ceil(test_fraction * n)`` samples go to the test set, as in scikit-learn. With
    ``stratify`` (the default) each class of ``y`` gets its share of the test set (largest
    remainders), so a 20% split of digits keeps the class balance. Both parts come back in a
    shuffled order drawn from ``rng`` (a ``numpy.random.Generator``, an int seed, or None for
    fresh entropy). Works on anything NumPy-indexable by an integer array.
    """
    if isinstance(X, (list, tuple)):  # (indexed by an integer array below)
        X = np.asarray(X)
    if isinstance(y, (list, tuple)):
        y = np.asarray(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"train_test_split: X has {n} samples but y has {len(y)}")
    if isinstance(test_fraction, (bool, np.bool_)) or not isinstance(
        test_fraction, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"train_test_split: test_fraction must be a number, got {test_fraction!r}")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be in (0, 1), got {test_fraction}")
    gen = seeded_generator(rng, "train_test_split")
    n_test = int(np.ceil(float(test_fraction) * n))
    if n_test < 1 or n_test >= n:
        raise ValueError(
            f"train_test_split: test_fraction={test_fraction} of {n} samples leaves "
            f"{n_test} test and {n - n_test} train samples; both must be at least 1"
        )
    if gen is None:  # (fresh entropy, not tg.manual_seed's generator)
        gen = np.random.default_rng()

    perm = gen.permutation(n)
    if stratify:
        labels = np.asarray(y)
        if labels.ndim != 1:
            raise ValueError(
                f"train_test_split: stratify needs 1-D labels, got shape {labels.shape}"
            )
        _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        # Group the shuffled indices by class (stable sort keeps the shuffle within a class).
        grouped = perm[np.argsort(inverse[perm], kind="stable")]
        quota = counts * n_test / n
        take = np.floor(quota).astype(np.int64)
        # NOTE: largest remainders get the leftover test slots; ties go to the earlier class.
        extra = n_test - int(take.sum())
        take[np.argsort(-(quota - take), kind="stable")[:extra]] += 1
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        in_test = np.zeros(n, dtype=bool)
        pos = np.arange(n) - np.repeat(starts, counts)  # rank of each grouped index in its class
        in_test[pos < np.repeat(take, counts)] = True
        test_idx = gen.permutation(grouped[in_test])
        train_idx = gen.permutation(grouped[~in_test])
    else:
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


split = train_test_split
"""Alias of :func:`train_test_split`."""
