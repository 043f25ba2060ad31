"""tg.data: the datasets, random_split and DataLoader."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.data import DataLoader, TensorDataset
from tensorgrad.tensor import Tensor


def _ids(batch):
    return np.asarray(batch[0].data).tolist()


def test_dataset_rows_are_tuples_of_tensors():
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    y = np.array([3, 1, 4, 1], dtype=np.int64)
    ds = TensorDataset(Tensor(X), y)
    assert len(ds) == 4
    x1, y1 = ds[1]
    assert isinstance(x1, Tensor) and isinstance(y1, Tensor)
    assert x1.shape == (3,) and x1.dtype == np.float32 and x1.data.tolist() == [3.0, 4.0, 5.0]
    assert y1.shape == () and y1.dtype == np.int64 and y1.item() == 1
    xb, yb = ds[np.array([3, 0])]
    assert xb.data.tolist() == [X[3].tolist(), X[0].tolist()] and yb.data.tolist() == [1, 3]
    xs, _ = ds[1:3]
    assert xs.shape == (2, 3)


def test_dataset_checks_first_dimensions():
    with pytest.raises(ValueError, match=r"\[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(np.float64(1.0))
    with pytest.raises(TypeError, match="dtype <U1; tensors hold bool, integer or floating"):
        TensorDataset(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="dtype complex128; tensors hold"):  # (was taken)
        TensorDataset(np.array([1 + 2j, 3j]))


def test_dataset_keeps_the_graph_of_a_tensor_that_requires_grad():
    w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    (rows,) = TensorDataset(w)[np.array([0, 2, 0])]
    rows.sum().backward()
    assert w.grad.data.tolist() == [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]


def test_loader_batches_in_order_without_shuffle():
    ds = TensorDataset(np.arange(10), np.arange(10) * 2.0)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [_ids(b) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(isinstance(t, Tensor) for b in batches for t in b)
    assert batches[0][1].data.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert batches[0][0].dtype == np.arange(1).dtype


def test_loader_drop_last():
    ds = TensorDataset(np.arange(10))
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [_ids(b) for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(ds, batch_size=11, drop_last=True)) == 0
    assert list(DataLoader(ds, batch_size=11, drop_last=True)) == []


def test_loader_shuffle_is_seeded_and_reshuffles_each_epoch():
    ds = TensorDataset(np.arange(50))
    a = DataLoader(ds, batch_size=8, shuffle=True, rng=3)
    b = DataLoader(ds, batch_size=8, shuffle=True, rng=np.random.default_rng(3))
    epoch1 = sum((_ids(x) for x in a), [])
    epoch2 = sum((_ids(x) for x in a), [])
    assert sorted(epoch1) == list(range(50)) == sorted(epoch2)
    assert epoch1 != epoch2 and epoch1 != list(range(50))
    assert sum((_ids(x) for x in b), []) == epoch1
    assert sum((_ids(x) for x in b), []) == epoch2


def test_loader_gathers_each_batch_in_one_indexing_step(monkeypatch):
    calls = []
    getitem = TensorDataset.__getitem__

    def counting(self, index):
        calls.append(np.ndim(index))
        return getitem(self, index)

    monkeypatch.setattr(TensorDataset, "__getitem__", counting)
    loader = DataLoader(TensorDataset(np.arange(100), np.arange(100)), batch_size=32, shuffle=True)
    assert len(list(loader)) == 4
    assert calls == [1, 1, 1, 1]


def test_loader_calls_a_subclass_getitem_per_sample_as_torch():
    # (a per-sample transform: it got the whole batch's indices, so a reshape to one sample's
    # shape gave (1, 8, 8) for a batch of one, and failed for two; torch gives (2, 1, 8, 8))
    class Images(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(int(i))
            return x.reshape(1, 8, 8), y

    ds = Images(np.arange(4 * 64, dtype=np.float32).reshape(4, 64), np.arange(4))
    xs, ys = next(iter(DataLoader(ds, batch_size=2)))
    assert xs.shape == (2, 1, 8, 8) and xs.dtype == np.float32 and ys.data.tolist() == [0, 1]
    np.testing.assert_array_equal(xs.data[1, 0], np.arange(64, 128).reshape(8, 8))
    (x1, _), *_ = DataLoader(ds, batch_size=1)
    assert x1.shape == (1, 1, 8, 8)

    class Scaled(TensorDataset):  # (its own __getitems__ is called with the indices, as torch)
        def __getitems__(self, indices):
            return [(10 * self.tensors[0][i],) for i in indices]

    assert next(iter(DataLoader(Scaled(np.arange(4)), batch_size=2)))[0].data.tolist() == [0, 10]

    class Borrowed:  # (not a TensorDataset, TensorDataset's __getitem__ borrowed: per sample)
        __getitem__ = TensorDataset.__getitem__

        def __init__(self):
            self.tensors = (np.arange(4),)

        def __len__(self):
            return 4

    assert next(iter(DataLoader(Borrowed(), batch_size=3)))[0].data.tolist() == [0, 1, 2]


def test_loader_stacks_samples_of_a_plain_dataset():
    samples = [(np.full(3, i, dtype=np.float32), i) for i in range(5)]
    (xb, yb), (xl, yl) = list(DataLoader(samples, batch_size=3))
    assert xb.shape == (3, 3) and xb.dtype == np.float32 and yb.data.tolist() == [0, 1, 2]
    assert xl.shape == (2, 3) and yl.data.tolist() == [3, 4]


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"batch_size": 0}, ValueError),
        ({"batch_size": 2.0}, TypeError),
        ({"batch_size": True}, TypeError),
        ({"shuffle": True, "rng": "seed"}, TypeError),
        ({"shuffle": True, "rng": -1}, ValueError),
        ({"rng": "bad"}, TypeError),  # (ignored without shuffle before)
    ],
)
def test_loader_rejects_bad_arguments(kwargs, exc):
    with pytest.raises(exc, match="batch_size|rng"):
        DataLoader(TensorDataset(np.arange(3)), **kwargs)


@settings(deadline=None, max_examples=50)
@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_loader_covers_the_dataset(n, batch_size, shuffle, drop_last, seed):
    loader = DataLoader(
        TensorDataset(np.arange(n)), batch_size, shuffle=shuffle, rng=seed, drop_last=drop_last
    )
    batches = [_ids(b) for b in loader]
    assert len(batches) == len(loader)
    seen = sum(batches, [])
    assert len(set(seen)) == len(seen)
    if drop_last:
        assert all(len(b) == batch_size for b in batches)
        assert len(seen) == n - n % batch_size
    else:
        assert sorted(seen) == list(range(n))
        assert all(len(b) == batch_size for b in batches[:-1])


def test_loader_collates_dicts_keeps_graphs_and_refuses_non_numeric_samples() -> None:
    import tensorgrad as tg

    class Rows:
        def __len__(self) -> int:
            return 3

        def __getitem__(self, i: int) -> dict:
            return {"x": i, "y": np.array([i, i + 1.0])}

    batch = next(iter(DataLoader(Rows(), 2)))
    np.testing.assert_array_equal(batch["x"].data, [0, 1])
    np.testing.assert_array_equal(batch["y"].data, [[0.0, 1.0], [1.0, 2.0]])

    w = tg.tensor([1.0, 2.0], requires_grad=True)

    class Scaled:
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int) -> Tensor:
            return w * float(i + 1)

    stacked = next(iter(DataLoader(Scaled(), 2)))
    tg.sum(stacked).backward()  # the samples' graph is kept
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])

    class Words:
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int) -> str:
            return "abc"

    assert next(iter(DataLoader(Words(), 2))) == ["abc", "abc"]  # (a list, as torch's)

    class Nothing(Words):
        def __getitem__(self, i: int) -> None:
            return None

    with pytest.raises(TypeError, match="dtype object .the first sample is a NoneType"):
        next(iter(DataLoader(Nothing(), 2)))
    # (complex batches were made; [1, 'a'] was said to be 'samples of non-numeric type int')
    with pytest.raises(TypeError, match="dtype complex128 .the first sample is a complex"):
        next(iter(DataLoader([1 + 1j, 2j], 2)))
    with pytest.raises(TypeError, match="dtype <U21 .the first sample is a int"):
        next(iter(DataLoader([1, "a"], 2)))


def test_shuffle_without_rng_follows_manual_seed() -> None:
    import tensorgrad as tg

    def order() -> list:
        data = TensorDataset(np.arange(6))
        return [b[0].data.tolist() for b in DataLoader(data, 2, shuffle=True)]

    tg.manual_seed(3)
    first = order()
    tg.manual_seed(3)
    assert order() == first


def test_dataset_and_loader_keep_a_jvps_tangent() -> None:
    # (only requires_grad was looked at: jacfwd through a dataset row gave zeros)
    x = tg.tensor([1.0, 2.0, 3.0])

    def row(x: tg.Tensor) -> tg.Tensor:
        return tg.data.TensorDataset(x)[1][0] * 2.0

    def batch(x: tg.Tensor) -> tg.Tensor:
        return next(iter(tg.data.DataLoader(tg.data.TensorDataset(x), batch_size=2)))[0] * 2.0

    def listed(x: tg.Tensor) -> tg.Tensor:
        return next(iter(tg.data.DataLoader([x[0], x[1]], batch_size=2))) * 2.0

    for f in (row, batch, listed):
        np.testing.assert_array_equal(tg.jacfwd(f)(x).data, tg.jacrev(f)(x).data)
    np.testing.assert_array_equal(tg.jacfwd(row)(x).data, [0.0, 2.0, 0.0])


@pytest.mark.parametrize(
    "samples",
    [
        [(1, 2), (3, 4, 5), (6, 7)],  # (the 5 vanished)
        [(1, 2), 5],
        [{"a": 1}, {"a": 2, "b": 3}],
        [{"a": 1}, {"b": 2}],
    ],
)
def test_loader_refuses_samples_of_different_structure(samples) -> None:
    with pytest.raises(ValueError, match="same (structure|dict keys)"):
        list(DataLoader(samples, batch_size=3))
    x, y = next(iter(DataLoader([(1, 2), [3, 4]], batch_size=2)))  # (tuple or list: as torch)
    assert x.data.tolist() == [1, 3] and y.data.tolist() == [2, 4]


def test_loader_collates_what_torchs_getitems_protocol_gives():
    # (a dataset's __getitems__ returns a list of samples, which torch's loader collates; the
    # list was yielded as the batch)
    class Pairs:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return (np.float32(i), i)

        def __getitems__(self, indices):
            assert isinstance(indices, list) and all(type(i) is int for i in indices)
            return [self[i] for i in indices]

    xb, yb = next(iter(DataLoader(Pairs(), batch_size=2)))
    assert xb.dtype == np.float32 and xb.data.tolist() == [0.0, 1.0] and yb.data.tolist() == [0, 1]


def test_a_sample_shares_its_dataset_tensors_version_counter() -> None:
    # (a row was wrapped with a counter of its own: a write to the dataset's tensor after a graph
    # saved the row gave a wrong gradient, [5, 5], where torch raises; and the reverse)
    w = tg.ones(2).requires_grad_()
    data = tg.zeros((3, 2))
    (row,) = TensorDataset(data)[0]
    y = (row * w).sum()
    data += 5.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    (row,) = TensorDataset(data)[1]
    row += 1.0
    assert data.version == 2 and data.data[1].tolist() == [6.0, 6.0]


def test_a_batch_of_samples_of_different_shapes_names_both() -> None:
    loader = tg.data.DataLoader([(tg.ones(2), 1), (tg.ones(3), 1)], batch_size=2)
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) \(entry 0.*\(3,\) \(entry 1\)"):
        next(iter(loader))


def test_a_batch_collates_strings_into_a_list_and_keeps_namedtuples() -> None:
    # (as torch's default collate; strings raised TypeError, namedtuples became tuples)
    from collections import namedtuple

    Sample = namedtuple("Sample", "image name")
    data = [Sample(tg.ones(2), "a.png"), Sample(tg.zeros(2), "b.png")]
    batch = next(iter(tg.data.DataLoader(data, batch_size=2)))
    assert isinstance(batch, Sample) and batch.name == ["a.png", "b.png"]
    assert batch.image.shape == (2, 2)


def test_batches_of_tuples_are_lists_and_dicts_keep_their_type_as_torchs_collate() -> None:
    # (batches were tuples, so `batch[0] = ...` failed, and an OrderedDict became a dict)
    from collections import OrderedDict

    ds = TensorDataset(np.arange(4.0), np.arange(4))
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert type(batch) is list and len(batch) == 2
    batch[0] = batch[0] * 2  # (a list: the fields can be replaced, as torch's)
    samples = [(np.ones(2), 1), [np.zeros(2), 0]]
    batch = next(iter(DataLoader(samples, batch_size=2)))
    assert type(batch) is list and batch[1].data.tolist() == [1, 0]
    samples = [OrderedDict(b=np.ones(1), a=1), OrderedDict(b=np.zeros(1), a=2)]
    batch = next(iter(DataLoader(samples, batch_size=2)))
    assert type(batch) is OrderedDict and list(batch) == ["b", "a"]
    assert batch["a"].data.tolist() == [1, 2] and samples[0]["a"] == 1  # (samples untouched)


def test_a_dataset_without_length_or_indexing_is_named() -> None:
    # ('object of type generator has no len()' at the first len or iteration)
    with pytest.raises(TypeError, match="DataLoader: the dataset must have a length .* generator"):
        DataLoader((i for i in range(3)), 2)


def test_rows_of_big_endian_arrays_are_native_tensors():
    # (FITS data are big-endian: rows came out as '>f4' tensors, which dtype checks refuse)
    ds = TensorDataset(np.arange(4, dtype=">f4").reshape(2, 2), np.arange(2, dtype=">i8"))
    x, y = ds[0]
    assert x.dtype == np.float32 and x.dtype.isnative and y.dtype == np.int64
    (xb, yb) = next(iter(DataLoader(ds, batch_size=2)))
    assert xb.dtype == np.float32 and xb.dtype.isnative and yb.data.tolist() == [0, 1]


# ----------------------------------------------------------------------------- splits and views


@pytest.mark.parametrize(
    "lengths",
    [[0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [0.05, 0.95], [0.25] * 4, [3, 7], [0.1, 0.1, 0.8]],
)
def test_random_split_lengths_are_torchs(lengths):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (an empty part warns in both)
        theirs = [len(p) for p in torch.utils.data.random_split(range(10), lengths)]
        parts = tg.data.random_split(range(10), lengths, rng=0)
    assert [len(p) for p in parts] == theirs
    taken = sorted(i for p in parts for i in p.indices)
    assert taken == list(range(10))  # (disjoint, and every sample once)


def test_random_split_is_seeded_and_checks_its_lengths():
    a = [p.indices for p in tg.data.random_split(range(10), [4, 6], rng=3)]
    assert a == [p.indices for p in tg.data.random_split(range(10), [4, 6], rng=3)]
    tg.manual_seed(1)
    b = [p.indices for p in tg.data.random_split(range(10), [0.5, 0.5])]
    tg.manual_seed(1)
    assert b == [p.indices for p in tg.data.random_split(range(10), [0.5, 0.5])]
    with pytest.warns(UserWarning, match="part at index 1 is empty"):
        tg.data.random_split(range(2), [0.1, 0.1, 0.8], rng=0)
    with pytest.raises(ValueError, match="the lengths sum to 11, the dataset's length is 10"):
        tg.data.random_split(range(10), [3, 8])
    with pytest.raises(ValueError, match=r"lengths\[0\] = -1"):
        tg.data.random_split(range(10), [-1, 11])
    with pytest.raises(ValueError, match=r"lengths\[0\] = 1.5"):
        tg.data.random_split(range(10), [1.5, -0.5])
    with pytest.raises(TypeError, match=r"lengths\[1\] must be an int or a float, got 'a'"):
        tg.data.random_split(range(10), [0.5, "a"])
    with pytest.raises(TypeError, match="random_split: rng must be"):
        tg.data.random_split(range(10), [5, 5], rng="x")


def test_subset_and_concat_dataset_index_as_torchs():
    s = tg.data.Subset(list(range(10)), [1, 3])
    assert (s[0], s[1], len(s), s.__getitems__([1, 0])) == (1, 3, 2, [3, 1])
    with pytest.raises(IndexError):
        s[2]
    c = tg.data.ConcatDataset([[1, 2], [3, 4, 5]])
    assert (len(c), c[3], c[-1], c[-5], c.cumulative_sizes) == (5, 4, 5, 1, [2, 5])
    with pytest.raises(IndexError, match="index 5 is out of range for length 5"):
        c[5]
    with pytest.raises(IndexError, match="index -6 is out of range for length 5"):
        c[-6]
    with pytest.raises(ValueError, match="datasets must not be empty"):
        tg.data.ConcatDataset([])
    with pytest.raises(TypeError, match=r"datasets\[1\] must have a length and be indexable"):
        tg.data.ConcatDataset([range(3), 5])

    class Squares(tg.data.Dataset):
        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return 3

    both = Squares() + Squares()
    assert isinstance(both, tg.data.ConcatDataset) and [both[i] for i in range(6)] == [0, 1, 4] * 2
    assert isinstance(TensorDataset(np.zeros(2)), tg.data.Dataset)
    with pytest.raises(NotImplementedError, match="Dataset must implement __getitem__"):
        tg.data.Dataset()[0]


def test_loader_over_splits_of_a_tensor_dataset_gathers_their_rows():
    X = np.arange(20.0).reshape(10, 2)
    ds = TensorDataset(X, np.arange(10))
    train, _ = tg.data.random_split(ds, [6, 4], rng=0)
    inner = tg.data.Subset(train, [5, 0, 2])  # (a subset of a subset)
    for part in (train, inner):
        rows = [part.dataset.indices[i] for i in part.indices] if part is inner else part.indices
        batches = list(DataLoader(part, batch_size=4))
        got = np.concatenate([b[1].data for b in batches]).tolist()
        assert got == list(rows)
        np.testing.assert_array_equal(np.concatenate([b[0].data for b in batches]), X[rows])
    # a dataset of its own code beneath a Subset: its samples are collated
    words = tg.data.Subset(["ab", "cd", "ef"], [2, 0])
    assert next(iter(DataLoader(words, batch_size=2))) == ["ef", "ab"]
