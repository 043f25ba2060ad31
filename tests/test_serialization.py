"""tg.save / tg.load: exact round trips, and refusal of anything that is not our checkpoint."""

import io
import json
import math
import os
import pickle
import tracemalloc
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad import serialization
from tensorgrad.serialization import CheckpointError, load, save
from tensorgrad.tensor import Tensor


# ---------------------------------------------------------------------------------- helpers
def assert_same(a, b, where="obj"):
    """Exact equality of two object trees: types, dtypes, shapes, bits, key order."""
    if isinstance(a, Tensor):
        assert type(b) is Tensor, where
        assert not b.requires_grad and b.is_leaf, where
        assert_same(np.asarray(a.data), b.data, where)
    elif isinstance(a, (np.ndarray, np.generic)):
        assert type(b) is type(a), (where, type(a), type(b))
        assert b.dtype == a.dtype and b.shape == a.shape, where
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), where
    elif isinstance(a, dict):
        assert type(b) is dict, where
        assert len(a) == len(b), where
        for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True):
            assert_same(ka, kb, f"{where} key")
            assert_same(va, vb, f"{where}[{ka!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(b) is type(a) and len(b) == len(a), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, float):
        assert type(b) is float and (a.hex() == b.hex() or (math.isnan(a) and math.isnan(b)))
    else:
        assert type(b) is type(a) and b == a, (where, a, b)


def roundtrip(obj, tmp_path):
    path = tmp_path / "ckpt.tg"
    save(obj, path)
    return load(path)


DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_]
DTYPES += [np.complex128]
arrays = st.sampled_from(DTYPES).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
np_scalars = arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()])
real_arrays = arrays.filter(lambda a: a.dtype.kind != "c")  # Tensors hold no complex data
leaves = scalars | arrays | real_arrays.map(Tensor) | np_scalars
keys = st.text(max_size=6) | st.integers() | st.tuples(st.integers(), st.text(max_size=3))
trees = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(keys, children, max_size=3)
    ),
    max_leaves=12,
)


@pytest.fixture
def marker(tmp_path):
    """A path that a malicious pickle would create; it must never appear."""
    return tmp_path / "pwned"


class _Payload:
    """Unpickling this runs ``os.mkdir(path)``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail loudly if anything reaches pickle while loading."""

    def boom(*args, **kwargs):
        raise AssertionError("pickle was called")

    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "loads", boom)


# ---------------------------------------------------------------------------------- round trips
def test_state_dict_round_trip(tmp_path):
    obj = {
        "layer.weight": Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "layer.bias": np.zeros(3, dtype=np.float64),
        "bn.num_batches_tracked": np.array(7, dtype=np.int64),
        "scalar0d": np.array(2.5, dtype=np.float32),
    }
    back = roundtrip(obj, tmp_path)
    assert list(back) == list(obj)
    assert_same(obj, back)
    assert back["layer.weight"].dtype == np.float32
    assert back["bn.num_batches_tracked"].shape == ()


def test_optimizer_state_round_trip_with_int_keys(tmp_path):
    obj = {
        "state": {0: {"step": 3, "exp_avg": np.ones(2), "exp_avg_sq": np.ones(2)}, 1: {}},
        "param_groups": [
            {
                "params": [0, 1],
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "maximize": None,
                "name": "default",
                "step": np.float32(3.0),
            }
        ],
        (1, "tuple-key"): [math.inf, -math.inf, math.nan, -0.0, 10**30],
        2.5: True,
        None: "none-key",
    }
    assert_same(obj, roundtrip(obj, tmp_path))


def test_layouts_and_dtypes(tmp_path):
    base = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    obj = [
        np.asfortranarray(base),
        base[:, ::2, 1:],
        base.astype(">f4"),
        np.array([1 + 2j]),
        np.array([], dtype=np.int64).reshape(0, 3),
        np.array(["ab", "c"]),
        np.float64(-0.0),
        np.bool_(True),
    ]
    back = roundtrip(obj, tmp_path)
    assert_same(obj, back)
    assert back[0].flags.writeable


def test_mapping_is_loaded_as_dict(tmp_path):
    back = roundtrip(OrderedDict([("b", 1), ("a", 2)]), tmp_path)
    assert type(back) is dict and list(back.items()) == [("b", 1), ("a", 2)]


def test_tensor_subclass_and_grad_state(tmp_path):
    t = Tensor(np.ones(3), requires_grad=True)
    back = roundtrip({"w": t}, tmp_path)["w"]
    assert type(back) is Tensor and not back.requires_grad
    assert back.data is not t.data


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(obj=trees)
def test_random_trees_round_trip(obj, tmp_path):
    assert_same(obj, roundtrip(obj, tmp_path))


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    save({"x": np.arange(3)}, buf)
    end = buf.tell()
    buf.seek(0)
    assert_same({"x": np.arange(3)}, load(buf))
    assert buf.tell() == end  # (just after the checkpoint, whatever follows)
    np.save(buf, np.zeros(100_000))  # (more than a zip reader's 64 KiB look-back)
    buf.seek(0)
    assert_same({"x": np.arange(3)}, load(buf))
    assert buf.tell() == end


def test_a_failed_load_leaves_the_stream_where_it_was():
    buf = io.BytesIO()
    save({"x": np.arange(3)}, buf)
    for data in [b"not a zip", b"xx" + buf.getvalue()[:-30]]:
        stream = io.BytesIO(data)
        stream.seek(2)
        with pytest.raises(CheckpointError):
            load(stream)
        assert stream.tell() == 2


def test_memmaps_save_as_arrays(tmp_path):
    np.save(tmp_path / "m.npy", np.arange(4.0))
    mm = np.load(tmp_path / "m.npy", mmap_mode="r")
    save({"m": mm}, tmp_path / "c")
    loaded = load(tmp_path / "c")["m"]
    assert type(loaded) is np.ndarray and loaded.tolist() == [0, 1, 2, 3]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_load_reads_a_fifo_path(tmp_path):
    # (a path was read as a seekable file: a bare "Illegal seek" OSError, and the writer's
    # BrokenPipeError; a FIFO is read as a pipe, as a file object of one is)
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=save, args=({"a": np.arange(3)}, fifo), daemon=True)
    writer.start()
    got = load(fifo)
    writer.join()
    assert list(got) == ["a"] and got["a"].tolist() == [0, 1, 2]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_save_writes_into_a_fifo_without_replacing_it(tmp_path):
    # (the atomic replace swapped a FIFO or a device for a regular file, as it does a file)
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    save({"a": 2}, fifo)
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and load(io.BytesIO(got[0])) == {"a": 2}


def test_checkpoints_saved_one_after_another_into_a_stream_load_in_order(tmp_path):
    # (the zip reader starts from the end of the stream: the last checkpoint was returned first)
    buf = io.BytesIO(b"header")
    buf.seek(0, io.SEEK_END)
    for epoch in range(3):
        save({"epoch": epoch, "w": np.full(2, epoch)}, buf)
    buf.seek(len(b"header"))
    for epoch in range(3):
        assert_same({"epoch": epoch, "w": np.full(2, epoch)}, load(buf))
    with pytest.raises(CheckpointError, match="not an .npz"):
        load(buf)  # (nothing left)
    path = tmp_path / "log.ckpt"
    for epoch in range(2):  # append mode: writes always go to the end
        with open(path, "ab") as f:
            save({"epoch": epoch}, f)
    with open(path, "rb") as f:
        assert [load(f), load(f)] == [{"epoch": 0}, {"epoch": 1}]
    assert load(path) == {"epoch": 0}


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symlinks")
def test_save_over_a_file_keeps_its_permissions_and_writes_through_a_symlink(tmp_path):
    # (the atomic replace gave the new file the umask's mode and replaced the link by a file)
    private = tmp_path / "private.ckpt"
    save({"a": 1}, private)
    private.chmod(0o600)
    save({"a": 2}, private)
    assert private.stat().st_mode & 0o777 == 0o600 and load(private) == {"a": 2}
    link = tmp_path / "latest"
    link.symlink_to(private)
    save({"a": 3}, link)
    assert link.is_symlink() and load(private) == {"a": 3}
    save({"a": 4}, os.fsencode(private))  # (a bytes path, as load takes)
    assert load(private) == {"a": 4}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "private.ckpt"]


def test_path_is_kept_as_given(tmp_path):
    for name in ["model.ckpt", "weights", "w.npz"]:
        save({"a": 1}, str(tmp_path / name))
        assert (tmp_path / name).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ckpt", "w.npz", "weights"]


def test_metadata_is_plain_json(tmp_path):
    path = tmp_path / "c"
    save({"lr": 0.1, "w": np.zeros(2)}, path)
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["__tensorgrad__"].tobytes())
        assert sorted(z.files) == ["__tensorgrad__", "a0"]
    assert meta["format"] == "tensorgrad-checkpoint" and meta["format_version"] == 1
    assert meta["tensorgrad_version"] == serialization.__version__
    assert meta["tree"]["items"][0] == ["lr", 0.1]


# ---------------------------------------------------------------------------------- save errors
class _Subclass(np.ndarray):
    """An ndarray subclass (as np.matrix, whose kind a checkpoint would drop)."""


@pytest.mark.parametrize(
    ("obj", "where"),
    [
        ({"a": [1, {2, 3}]}, r"obj\['a'\]\[1\]"),
        ({"opt": {"f": lambda: 0}}, r"obj\['opt'\]\['f'\]"),
        ({"x": np.array([object()], dtype=object)}, r"obj\['x'\]"),
        ({frozenset(): 1}, r"frozenset"),
        ({np.int64(1): 1}, r"key"),
        ([b"bytes"], r"obj\[0\]"),
        ({"m": np.ma.masked_array([1.0, 2.0], mask=[0, 1])}, r"obj\['m'\] is a MaskedArray"),
        ([np.arange(2.0).view(_Subclass)], r"obj\[0\] is a _Subclass"),
    ],
)
def test_unsupported_values_raise_type_error_naming_the_path(obj, where, tmp_path):
    with pytest.raises(TypeError, match=where):
        save(obj, tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_cycles_are_refused(tmp_path):
    d = {"a": []}
    d["a"].append(d)
    with pytest.raises(TypeError, match="cycle"):
        save(d, tmp_path / "c")


def test_nesting_too_deep_to_save_says_so(tmp_path):
    deep: list = []
    for _ in range(5000):  # (a bare RecursionError escaped)
        deep = [deep]
    with pytest.raises(ValueError, match="save: obj nests too deeply"):
        save(deep, tmp_path / "deep")
    assert not (tmp_path / "deep").exists()
    # (a dict a few hundred deep passed our encoder and failed in JSON's, a bare RecursionError on
    # Python 3.11; 3.13's JSON encoder goes deeper)
    nested: dict = {}
    for _ in range(450):
        nested = {"a": nested}
    try:
        save(nested, tmp_path / "nested")
    except ValueError as exc:
        assert "save: obj nests too deeply" in str(exc)
        assert not (tmp_path / "nested").exists()
    else:
        assert load(tmp_path / "nested") == nested


def test_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c"
    save({"v": 1}, path)

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(serialization.np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        save({"v": 2}, path)
    with pytest.raises(TypeError):
        save({"v": {1, 2}}, path)
    monkeypatch.undo()
    assert load(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["c"]


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        save({}, tmp_path / "nope" / "c")


# ---------------------------------------------------------------------------------- refusals
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent")


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_file_is_refused_without_running_it(protocol, tmp_path, marker):
    payload = pickle.dumps({"state": _Payload(marker)}, protocol=protocol)
    # The payload is armed: unpickling it elsewhere does create its marker.
    armed = tmp_path / "armed"
    pickle.loads(pickle.dumps(_Payload(armed)))
    assert armed.is_dir()

    path = tmp_path / "evil.pt"
    path.write_bytes(payload)
    with pytest.raises(ValueError):
        load(path)
    assert not marker.exists()


def test_object_arrays_are_refused_without_running_them(tmp_path, marker, no_unpickling):
    evil = np.array([_Payload(marker)], dtype=object)
    files = {}
    # A bare .npy holding a pickle.
    files["npy"] = tmp_path / "a.npy"
    np.save(files["npy"], evil, allow_pickle=True)
    # A foreign .npz with an object array.
    files["npz"] = tmp_path / "b.npz"
    np.savez(files["npz"], x=evil)
    # Our own layout and metadata, but the array member is a pickled object array.
    meta = {
        "format": "tensorgrad-checkpoint",
        "format_version": 1,
        "tensorgrad_version": "0",
        "tree": {"kind": "ndarray", "key": "a0", "dtype": "|O", "shape": [1]},
    }
    files["ours"] = tmp_path / "c.tg"
    with open(files["ours"], "wb") as f:
        np.savez(f, __tensorgrad__=np.frombuffer(json.dumps(meta).encode(), np.uint8), a0=evil)
    # A zip with a pickle inside, as torch.save writes.
    files["zip"] = tmp_path / "d.pt"
    with zipfile.ZipFile(files["zip"], "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Payload(marker)))
    for kind, path in files.items():
        with pytest.raises(ValueError):
            load(path)
        assert not marker.exists(), kind


def test_foreign_npz(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weight=np.ones(3))
    with pytest.raises(ValueError, match="without tensorgrad metadata"):
        load(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00", os.urandom(0) + bytes(range(256)) * 4, b"PK\x03\x04garbage", b"\x93NUMPY"],
)
def test_junk_files(content, tmp_path):
    path = tmp_path / "junk"
    path.write_bytes(content)
    with pytest.raises(CheckpointError):
        load(path)


def test_truncated_files(tmp_path):
    path = tmp_path / "c"
    save({"w": np.arange(100.0), "lr": 0.1}, path)
    blob = path.read_bytes()
    for cut in range(0, len(blob), max(1, len(blob) // 40)):
        path.write_bytes(blob[:cut])
        with pytest.raises(ValueError):
            load(path)


@settings(
    deadline=None, max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_bytes_give_value_error_or_the_same_object(data, tmp_path):
    obj = {"w": np.arange(5.0), "b": Tensor(np.ones(2, np.float32)), "step": 4}
    path = tmp_path / "c"
    save(obj, path)
    blob = bytearray(path.read_bytes())
    pos = data.draw(st.integers(0, len(blob) - 1))
    blob[pos] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(blob))
    try:
        back = load(path)
    except ValueError:
        return
    assert_same(obj, back)


def _rewrite_meta(path, change):
    with np.load(path, allow_pickle=False) as z:
        members = {k: z[k] for k in z.files}
    meta = json.loads(members["__tensorgrad__"].tobytes())
    change(meta)
    members["__tensorgrad__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **members)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(format_version=99), "format 99"),
        (lambda m: m.update(format_version="1"), "format version"),
        (lambda m: m.update(format="other"), "format"),
        (lambda m: m.pop("tree"), "tree"),
        (lambda m: m["tree"]["items"][0].__setitem__(1, {"kind": "evil"}), "unknown node"),
        (lambda m: m["tree"]["items"][0][1].update(key="a9"), "no matching array"),
        (lambda m: m["tree"]["items"][0][1].update(dtype="<i8"), "metadata says"),
        (lambda m: m["tree"]["items"][0][1].update(key="__tensorgrad__"), "no matching array"),
        (lambda m: m["tree"].update(items=[[[1], 2]]), "unknown node|unexpected node|not a scalar"),
        (
            lambda m: m["tree"]["items"][0].__setitem__(1, {"kind": "int", "hex": "0xzz"}),
            "int node '0xzz' is not a hex number",
        ),
    ],
)
def test_bad_metadata(change, message, tmp_path):
    path = tmp_path / "c"
    save({"w": np.zeros(2)}, path)
    _rewrite_meta(path, change)
    with pytest.raises(CheckpointError, match=message):
        load(path)


def test_a_tensor_node_of_a_non_numeric_dtype_is_refused(tmp_path):
    # (an edited file: an array of strings, saved as an ndarray, marked a tensor, loaded as a
    # Tensor of dtype <U2; tg.save writes no such tensor)
    path = tmp_path / "c"
    save({"w": np.array(["ab", "cd"])}, path)
    _rewrite_meta(path, lambda m: m["tree"]["items"][0][1].update(kind="tensor"))
    with pytest.raises(CheckpointError, match="a tensor of dtype <U2"):
        load(path)


def test_an_array_larger_than_its_metadata_says_is_refused_before_it_is_read():
    # (a small deflated member can claim a huge array: it was read whole, then refused)
    meta = _metadata({"kind": "ndarray", "key": "a0", "dtype": "<f8", "shape": [3]})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, array in (("__tensorgrad__", meta), ("a0", np.zeros(1_000_000))):
            member = io.BytesIO()
            np.lib.format.write_array(member, array)
            z.writestr(f"{name}.npy", member.getvalue())
    buf.seek(0)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=r"'a0' is <f8\[1000000\], metadata says"):
            load(buf)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # (the array is 8 MB)


def test_metadata_that_is_not_json(tmp_path):
    path = tmp_path / "c"
    with open(path, "wb") as f:
        np.savez(f, __tensorgrad__=np.frombuffer(b"{not json", np.uint8))
    with pytest.raises(CheckpointError):
        load(path)


# ---------------------------------------------------------------------------------- with tg.nn
def test_module_and_optimizer_state_dicts(tmp_path):
    from tensorgrad import nn, optim
    from tensorgrad.ops.elementwise import square
    from tensorgrad.ops.reductions import mean

    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 3, rng=0), nn.ReLU(), nn.Linear(3, 2, rng=1))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    x = Tensor(rng.standard_normal((5, 4)).astype(np.float32))
    mean(square(model(x))).backward()
    opt.step()
    save(model.state_dict(), tmp_path / "model.ckpt")
    save(opt.state_dict(), tmp_path / "opt.ckpt")

    clone = nn.Sequential(nn.Linear(4, 3, rng=2), nn.ReLU(), nn.Linear(3, 2, rng=3))
    clone.load_state_dict(load(tmp_path / "model.ckpt"))
    for (name, p), (_, q) in zip(model.named_parameters(), clone.named_parameters(), strict=True):
        assert np.array_equal(p.data, q.data), name
        assert q.dtype == np.float32
    opt2 = optim.Adam(clone.parameters(), lr=1e-2)
    opt2.load_state_dict(load(tmp_path / "opt.ckpt"))
    assert_same(opt.state_dict(), opt2.state_dict())


def test_numpy_strings_keep_their_type(tmp_path):
    obj = {"s": np.str_("héllo"), "empty": [np.str_("")], "b": np.bytes_(b"x\x00y"), "p": "str"}
    back = roundtrip(obj, tmp_path)
    assert_same(obj, back)
    assert type(back["s"]) is np.str_ and type(back["p"]) is str


@pytest.mark.parametrize("value", [np.str_("a\x00"), np.bytes_(b"a\x00")])
def test_numpy_strings_ending_in_nul_are_refused(value, tmp_path):
    with pytest.raises(ValueError, match=r"obj\['k'\].*NUL"):
        save({"k": value}, tmp_path / "c")
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_error_is_public():
    import tensorgrad

    assert tensorgrad.CheckpointError is CheckpointError
    assert issubclass(CheckpointError, ValueError)


def test_a_save_into_a_missing_folder_names_the_path_given(tmp_path) -> None:
    # (it named the hidden temporary file beside it)
    target = tmp_path / "missing" / "x.npz"
    with pytest.raises(FileNotFoundError) as info:
        save(Tensor(np.ones(2)), target)
    assert info.value.filename == str(target)
    assert not (tmp_path / "missing").exists()


def test_a_pipe_is_read_up_to_its_checkpoint_and_no_further():
    # (a pipe was read to its end: the checkpoints after the first were lost, and a reader
    # waited for the writer to close it)
    import threading

    r, w = os.pipe()
    writer, reader = os.fdopen(w, "wb"), os.fdopen(r, "rb")
    big = np.arange(100_000.0)  # (more than a pipe's buffer, read in several pieces)
    go_on = threading.Event()

    def write() -> None:
        save({"epoch": 0, "w": Tensor(big)}, writer)
        save({"epoch": 1}, writer)
        writer.flush()
        go_on.wait(30)  # (the writer stays open: a load must not wait for its end)
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        first = load(reader)
        assert first["epoch"] == 0 and np.array_equal(first["w"].data, big)
        assert load(reader) == {"epoch": 1}
    finally:
        go_on.set()
        thread.join(30)
    with reader, pytest.raises(CheckpointError, match="not an .npz"):
        load(reader)  # (nothing left)


def test_a_truncated_checkpoint_in_a_pipe_is_refused():
    buf = io.BytesIO()
    save({"a": Tensor([1.0, 2.0]), "b": [1, "x"]}, buf)
    data = buf.getvalue()
    for n in [0, 3, 4, 40, len(data) // 2, len(data) - 1]:
        r, w = os.pipe()
        with os.fdopen(w, "wb") as writer:
            writer.write(data[:n])
        with os.fdopen(r, "rb", buffering=0) as reader, pytest.raises(CheckpointError):
            load(reader)


def test_subclasses_of_the_kept_types_load_as_those_types():
    # (as documented: a namedtuple as a tuple, an IntEnum as an int, a str enum as its value)
    import enum
    from collections import namedtuple

    class Color(enum.IntEnum):
        RED = 1

    class Mode(str, enum.Enum):
        FAST = "fast"

    pair = namedtuple("pair", "a b")
    buf = io.BytesIO()
    save({"p": pair(1, 2), "c": Color.RED, Color.RED: Mode.FAST, "o": OrderedDict(a=1)}, buf)
    buf.seek(0)
    back = load(buf)
    assert back == {"p": (1, 2), "c": 1, 1: "fast", "o": {"a": 1}}
    assert [type(v) for v in back.values()] == [tuple, int, str, dict]


def test_an_old_checkpoint_with_data_descriptors_loads_from_a_pipe():
    # (saves before 643edfc wrote np.savez into an unseekable stream: sizes after the data,
    # which a reader of records cannot skip; such a stream is read to its end, as before)
    import threading

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            self.data += bytes(b)
            return len(b)

    buf = io.BytesIO()
    save({"w": np.arange(3.0)}, buf)
    buf.seek(0)
    with np.load(buf) as npz:
        members = {k: npz[k] for k in npz.files}
    old = Unseekable()
    np.savez(old, **members)
    assert zipfile.ZipFile(io.BytesIO(bytes(old.data))).infolist()[0].flag_bits & 0x08
    r, w = os.pipe()
    writer, reader = os.fdopen(w, "wb"), os.fdopen(r, "rb", buffering=0)
    thread = threading.Thread(target=lambda: (writer.write(bytes(old.data)), writer.close()))
    thread.start()
    with reader:
        assert_same({"w": np.arange(3.0)}, load(reader))
    thread.join(30)


def _metadata(tree: dict) -> np.ndarray:
    """A hand-made checkpoint's metadata member holding ``tree``."""
    meta = {"format": "tensorgrad-checkpoint", "format_version": 1, "tree": tree}
    return np.frombuffer(json.dumps(meta).encode(), np.uint8)


def test_a_big_endian_tensor_loads_in_native_order():
    # (what a big-endian host's save writes: the tensor came back '>f4')
    tree = {"kind": "tensor", "key": "a0", "dtype": ">f4", "shape": [2]}
    buf = io.BytesIO()
    np.savez(buf, __tensorgrad__=_metadata(tree), a0=np.arange(2, dtype=">f4"))
    buf.seek(0)
    t = load(buf)
    assert t.dtype == np.float32 and t.dtype.isnative and t.data.tolist() == [0, 1]


def test_text_mode_and_wrong_direction_files_are_named(tmp_path):
    # (UnicodeDecodeError, io.UnsupportedOperation or "string argument expected")
    path = tmp_path / "c.ckpt"
    save({"a": 1}, path)
    with open(path) as f, pytest.raises(TypeError, match="load: .* is a text-mode file"):
        load(f)
    with open(path, "ab") as f, pytest.raises(TypeError, match="load: .* is not open for reading"):
        load(f)
    with pytest.raises(TypeError, match="save: .* is a text-mode file; open it in binary mode"):
        save({"a": 1}, io.StringIO())
    with open(path, "rb") as f:
        with pytest.raises(TypeError, match="save: .* is not open for writing"):
            save({"a": 2}, f)
        assert load(f) == {"a": 1}


def test_a_member_claiming_a_huge_size_in_a_pipe_is_a_checkpoint_error():
    # (its claimed size was read in one call: MemoryError or OverflowError, not CheckpointError)
    import struct

    buf = io.BytesIO()
    save({"x": np.arange(10.0)}, buf)
    data = bytearray(buf.getvalue())
    (size, name_len) = struct.unpack_from("<I4xH", data, 18)
    # (the first member's compressed size: in its zip64 extra field when the header's reads
    # 0xFFFFFFFF, as Python 3.11's zipfile writes it, else in the header, as 3.10's)
    zip64 = size == 0xFFFFFFFF
    for claim in (2**40, 2**64 - 1) if zip64 else (2**32 - 2,):
        struct.pack_into("<Q" if zip64 else "<I", data, 30 + name_len + 12 if zip64 else 18, claim)
        r, w = os.pipe()
        with os.fdopen(w, "wb") as writer:
            writer.write(bytes(data))
        with os.fdopen(r, "rb") as reader, pytest.raises(CheckpointError, match="truncated"):
            load(reader)


def test_file_likes_without_io_modes_and_text_wrappers():
    # (a readable attribute that is not a method, and a RawIOBase without readable(), loaded
    # before the mode checks; tempfile's text wrappers gave bare errors)
    import functools
    import tempfile

    buf = io.BytesIO()
    save({"a": 1}, buf)
    data = buf.getvalue()

    class Reader:
        readable = True

        def __init__(self) -> None:
            self.f = io.BytesIO(data)

        def read(self, n: int = -1) -> bytes:
            return self.f.read(n)

    class Raw(io.RawIOBase):
        def __init__(self) -> None:
            self.f = io.BytesIO(data)

        def readinto(self, b) -> int:
            got = self.f.read(len(b))
            b[: len(got)] = got
            return len(got)

    class Encoded(Reader):  # (a binary reader that has an encoding attribute)
        encoding = "binary"

    class ForwardOnly(Raw):  # (its own UnsupportedOperation stays its own)
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def tell(self) -> int:
            return self.f.tell()

        def seek(self, pos: int, whence: int = 0) -> int:
            if whence == 0 and pos < self.f.tell():
                raise io.UnsupportedOperation("cannot seek backwards")
            return self.f.seek(pos, whence)

    class Undeclared(ForwardOnly):  # (io's default readable() answer: its own error stays)
        readable = io.RawIOBase.readable

    class Partial(Reader):  # (a readable() without a __name__)
        readable = staticmethod(functools.partial(bool, 0))  # (a bare partial warns on 3.13)

    assert load(Reader()) == load(Raw()) == load(Encoded()) == {"a": 1}
    for stream in (ForwardOnly(), Undeclared()):
        with pytest.raises(io.UnsupportedOperation, match="cannot seek backwards"):
            load(stream)
    with pytest.raises(TypeError, match="load: .* is not open for reading"):
        load(Partial())
    with tempfile.NamedTemporaryFile("w+") as f:
        with pytest.raises(TypeError, match="save: .* is a text-mode file"):
            save({"a": 1}, f)
    import codecs  # (codecs.open forces "b" into its mode: the codec's own TypeError)

    with tempfile.TemporaryDirectory() as d:
        with codecs.open(os.path.join(d, "t"), "w", encoding="utf-8") as f:
            with pytest.raises(TypeError, match="save: .* is a text-mode file"):
                save({"a": 1}, f)
        with pytest.raises(TypeError, match="load: .* is a text-mode file"):
            load(codecs.getreader("utf-8")(io.BytesIO(data)))
    with tempfile.TemporaryDirectory() as d:
        import gzip

        path = os.path.join(d, "c.gz")
        with gzip.open(path, "wb") as f:
            save({"a": 1}, f)
            with pytest.raises(TypeError, match="load: .* is not open for reading"):
                load(f)  # (GzipFile's own error is an OSError of EBADF)
        with gzip.open(path, "rb") as f:
            with pytest.raises(TypeError, match="save: .* is not open for writing"):
                save({"a": 2}, f)
            assert load(f) == {"a": 1}
    # (a zipfile member defines only its own direction, tempfile's wrapper forwards to its file:
    # both wrong ways round gave a bare io.UnsupportedOperation)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        with z.open("m", "w") as member:
            with pytest.raises(TypeError, match="load: .* is not open for reading"):
                load(member)
            save({"a": 1}, member)
    with zipfile.ZipFile(archive) as z, z.open("m") as member:
        with pytest.raises(TypeError, match="save: .* is not open for writing"):
            save({"a": 2}, member)
        assert load(member) == {"a": 1}
    with tempfile.NamedTemporaryFile("wb") as f:
        with pytest.raises(TypeError, match="load: .* is not open for reading"):
            load(f)


def test_ints_past_the_decimal_digit_limit_round_trip(tmp_path):
    # (JSON's decimal form: a bare ValueError from its encoder past 4,300 digits; torch pickles)
    big = {"x": 10**5000, "y": -(2**20000) + 1, 10**700: [3**2000]}
    buf = io.BytesIO()
    save(big, buf)
    buf.seek(0)
    assert load(buf) == big
    # (format 2 for the new node, so that an older tensorgrad says the file is newer; a file
    # without one stays format 1)
    for obj, version in ((big, 2), ({"x": 2**2000 - 1}, 1)):
        save(obj, tmp_path / "c")
        with np.load(tmp_path / "c", allow_pickle=False) as z:
            assert json.loads(z["__tensorgrad__"].tobytes())["format_version"] == version


def test_int_and_float_subclasses_save_their_stored_values():
    # (int(obj) asked a subclass's own __int__: Count(3) was saved as 99)
    class Count(int):
        def __int__(self) -> int:
            return 99

    class Rate(float):
        def __float__(self) -> float:
            return 99.0

    buf = io.BytesIO()
    save({"i": Count(3), "f": Rate(2.5), Count(4): 1}, buf)
    buf.seek(0)
    assert load(buf) == {"i": 3, "f": 2.5, 4: 1}


def test_a_path_of_the_wrong_type_is_named():
    # (os.fspath's "expected str, bytes or os.PathLike object, not float" named neither function)
    with pytest.raises(TypeError, match="save: path must be a str, .* got float"):
        save({"a": 1}, 3.5)
    with pytest.raises(TypeError, match="load: path must be a str, .* got NoneType"):
        load(None)
