"""tg.datasets: the bundled digits array and the train/test split helper."""

import hashlib
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorgrad.datasets import load_digits, split, train_test_split

# Facts read from scikit-learn 1.9.1's sklearn/datasets/data/digits.csv.gz (1797 rows of 64
# pixels and a label), the source of digits.npz.
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
PIXEL_SUM = 561_718
FIRST_ROW = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4]
X_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
Y_SHA256 = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"


def test_digits_shapes_dtypes_and_ranges():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))
    assert set(np.unique(y).tolist()) == set(range(10))


def test_digits_match_the_scikit_learn_array():
    X, y = load_digits()
    assert np.bincount(y).tolist() == CLASS_COUNTS
    assert int(X.astype(np.int64).sum()) == PIXEL_SUM
    assert X[0, : len(FIRST_ROW)].tolist() == FIRST_ROW
    assert y[:10].tolist() == list(range(10))
    assert hashlib.sha256(X.astype(np.uint8).tobytes()).hexdigest() == X_SHA256
    assert hashlib.sha256(y.astype(np.uint8).tobytes()).hexdigest() == Y_SHA256


def test_digits_returns_fresh_arrays():
    X1, y1 = load_digits()
    X1[:] = -1
    y1[:] = -1
    X2, y2 = load_digits()
    assert X2.min() == 0 and y2.min() == 0


def test_digits_is_package_data_without_pickle():
    ref = resources.files("tensorgrad.datasets").joinpath("digits.npz")
    assert ref.is_file()
    blob = ref.read_bytes()
    assert len(blob) < 100_000
    with ref.open("rb") as f, np.load(f, allow_pickle=False) as z:
        assert sorted(z.files) == ["X", "y"]
        assert z["X"].dtype == np.uint8 and z["X"].shape == (1797, 64)


def test_split_of_digits_holds_out_a_stratified_fifth():
    X, y = load_digits()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_fraction=0.2, rng=0)
    assert X_te.shape == (360, 64) and X_tr.shape == (1437, 64)
    assert y_te.dtype == np.int64 and X_tr.dtype == np.float32
    expected = np.array(CLASS_COUNTS) * 0.2
    assert np.all(np.abs(np.bincount(y_te, minlength=10) - expected) < 1)
    # Rows stay paired with their labels.
    rows = {X[i].tobytes(): y[i] for i in range(len(y))}
    assert all(rows[x.tobytes()] == label for x, label in zip(X_te, y_te, strict=True))


def test_split_is_reproducible_and_seed_dependent():
    ids = np.arange(100)
    labels = ids % 3
    a = split(ids, labels, rng=7)
    b = split(ids, labels, rng=np.random.default_rng(7))
    c = split(ids, labels, rng=8)
    for u, v in zip(a, b, strict=True):
        assert np.array_equal(u, v)
    assert not np.array_equal(a[1], c[1])


@settings(deadline=None, max_examples=60)
@given(
    n=st.integers(2, 60),
    n_classes=st.integers(1, 5),
    fraction=st.floats(0.01, 0.99),
    stratify=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_partitions_every_sample_once(n, n_classes, fraction, stratify, seed):
    ids = np.arange(n)
    labels = np.random.default_rng(seed).integers(0, n_classes, n)
    n_test = int(np.ceil(fraction * n))
    if n_test >= n:
        with pytest.raises(ValueError, match="test_fraction"):
            split(ids, labels, test_fraction=fraction, rng=seed, stratify=stratify)
        return
    tr, te, ytr, yte = split(ids, labels, test_fraction=fraction, rng=seed, stratify=stratify)
    assert len(te) == n_test
    assert sorted(np.concatenate([tr, te]).tolist()) == list(range(n))
    assert np.array_equal(labels[tr], ytr) and np.array_equal(labels[te], yte)
    if stratify:
        counts = np.bincount(labels, minlength=n_classes)
        got = np.bincount(yte, minlength=n_classes)
        assert np.all(np.abs(got - counts * n_test / n) < 1)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5])
def test_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        split(np.arange(10), np.arange(10), test_fraction=fraction)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="10 samples but y has 9"):
        split(np.arange(10), np.arange(9))


def test_train_test_split_names_bad_arguments_and_takes_lists() -> None:
    # (None and 'abc' reached float() and NumPy's SeedSequence; '0.2' was taken; a list X
    # failed with 'only integer scalar arrays can be converted')
    X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    with pytest.raises(TypeError, match="test_fraction must be a number, got True"):
        train_test_split(X, y, test_fraction=True)  # (a bool is no number, as elsewhere)
    with pytest.raises(TypeError, match="test_fraction must be a number, got None"):
        train_test_split(X, y, test_fraction=None)
    with pytest.raises(TypeError, match="test_fraction must be a number, got '0.2'"):
        train_test_split(X, y, test_fraction="0.2")
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        train_test_split(X, y, rng="abc")
    with pytest.raises(ValueError, match="an int seed for rng must be at least 0"):
        train_test_split(X, y, rng=-1)
    parts = train_test_split(X.tolist(), y.tolist(), rng=0)
    assert [np.shape(p) for p in parts] == [(8, 2), (2, 2), (8,), (2,)]
