"""``save`` / ``load`` for model and optimizer state dicts: an ``.npz`` that never needs pickle.

A checkpoint is a zip archive in NumPy's ``.npz`` layout. It holds one ``.npy`` member per array
(``a0``, ``a1``, ...) and one metadata member, ``__tensorgrad__``: a uint8 array of UTF-8 JSON
with the format name and version, ``tensorgrad.__version__``, and the object tree: the nesting of
dicts, lists and tuples, every non-array value (None, bools, ints, floats, strings) in place, and
a reference for each array. Loading uses ``np.load(..., allow_pickle=False)`` and plain JSON, so a
file can describe data but never run code; anything that is not such a checkpoint is refused with
``ValueError``.

What round-trips, exactly (type, dtype, shape, value, dict key order):

- ``dict`` (any ``Mapping``; loaded as ``dict``), ``list``, ``tuple``; dict keys may be str, int,
  float, bool, None, or tuples of these (optimizer states use int keys).
- ``None``, ``bool``, ``int``, ``float`` (including nan and inf), ``str``.
- ``numpy.ndarray`` of any non-object dtype (bool, ints, floats, complex, ...), 0-d included;
  NumPy scalars such as ``np.float32(1.5)`` or ``np.str_('a')`` come back as NumPy scalars of
  the same dtype (a ``np.str_`` or ``np.bytes_`` ending in NUL is refused with ``ValueError``:
  NumPy's string dtypes drop trailing NULs).
- ``tg.Tensor`` (and subclasses such as ``Parameter``) come back as plain ``tg.Tensor`` leaves
  with ``requires_grad=False`` over the stored data, as ``state_dict()`` hands them out: so
  ``module.load_state_dict(tg.load(p))`` and ``optimizer.load_state_dict(tg.load(p))`` receive
  what ``state_dict()`` gave.

Subclasses of these types load as the type itself, as a ``Mapping`` loads as a ``dict``: a
namedtuple as a ``tuple``, an ``IntEnum`` as an ``int``, a ``str`` subclass (or a ``str``
enum) as its ``str`` value. Anything else (sets, arbitrary objects, object arrays, cycles) is
refused at save time with a ``TypeError`` that names the key path, such as
``obj['state'][0]['exp_avg']``.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import os
import stat
import struct
import uuid
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from tensorgrad._dtypes import native
from tensorgrad._version import __version__
from tensorgrad.tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

FORMAT_NAME = "tensorgrad-checkpoint"
# (format 2 adds the "int" node, an int past 2,000 bits in hex; a file with none is written as
# format 1, which tensorgrad before it reads)
FORMAT_VERSION = 2
META_KEY = "__tensorgrad__"
_ZIP_MAGIC = b"PK\x03\x04"
_CENTRAL_MAGIC = b"PK\x01\x02"  # (an entry of a zip archive's central directory)
_END_MAGIC = b"PK\x05\x06"  # (a zip archive's end-of-central-directory record)
_SCALAR_TYPES = (type(None), bool, int, float, str)
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

PathOrFile = str | os.PathLike | IO[bytes]


# ---------------------------------------------------------------------------------- encoding
class _Encoder:
    """Turn an object tree into a JSON-able tree plus a dict of arrays named ``a0``, ``a1``..."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()
        self.version = 1  # (the oldest format that holds what was encoded)

    def _array(self, kind: str, value: np.ndarray, where: str) -> dict[str, Any]:
        if value.dtype.hasobject or value.dtype.kind == "V":
            raise TypeError(
                f"save: {where} is an array of dtype {value.dtype}, which needs pickle; "
                "only plain numeric, bool and string arrays can be saved"
            )
        name = f"a{len(self.arrays)}"
        self.arrays[name] = value
        return {"kind": kind, "key": name, "dtype": value.dtype.str, "shape": list(value.shape)}

    def value(self, obj: Any, where: str) -> Any:
        # NOTE: np.generic first: np.str_ subclasses str and np.float64 subclasses float
        if isinstance(obj, np.generic):
            if isinstance(obj, (np.str_, np.bytes_)) and obj[-1:] in ("\0", b"\0"):
                raise ValueError(
                    f"save: {where} is a NumPy {type(obj).__name__} ending in a NUL character, "
                    "which NumPy's string arrays cannot store (it would load back shortened)"
                )
            return self._array("npscalar", np.asarray(obj), where)
        if isinstance(obj, bool) or obj is None or isinstance(obj, str):
            return bool(obj) if isinstance(obj, bool) else obj
        if isinstance(obj, int):  # (its stored value: a subclass's own __int__ is not asked)
            obj = int.__int__(obj)
            # (JSON writes ints in decimal, which Python refuses past 4,300 digits, or past the
            # lowest limit a user may set, 640: in hex, which has no limit)
            if obj.bit_length() <= 2000:
                return obj
            self.version = 2
            return {"kind": "int", "hex": hex(obj)}
        if isinstance(obj, float):
            obj = float.__float__(obj)
            if math.isfinite(obj):
                return obj
            return {"kind": "float", "value": "nan" if math.isnan(obj) else repr(obj)}
        if isinstance(obj, Tensor):
            return self._array("tensor", np.asarray(obj.data), where)
        if isinstance(obj, np.ndarray):
            if type(obj) is not np.ndarray and not isinstance(obj, np.memmap):
                # (a masked array's mask, a matrix's kind: what would not come back)
                raise TypeError(
                    f"save: {where} is a {type(obj).__name__}, an ndarray subclass whose extra "
                    "state a checkpoint cannot keep; save np.asarray of it (or its parts)"
                )
            return self._array("ndarray", obj, where)
        if isinstance(obj, (Mapping, list, tuple)):
            if id(obj) in self._active:
                raise TypeError(f"save: {where} contains itself (a reference cycle)")
            self._active.add(id(obj))
            try:
                if isinstance(obj, Mapping):
                    items = [
                        [self.key(k, where), self.value(v, f"{where}[{k!r}]")]
                        for k, v in obj.items()
                    ]
                    return {"kind": "dict", "items": items}
                kind = "list" if isinstance(obj, list) else "tuple"
                return {
                    "kind": kind,
                    "items": [self.value(v, f"{where}[{i}]") for i, v in enumerate(obj)],
                }
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"save: {where} has unsupported type {type(obj).__name__}; a checkpoint holds dicts, "
            "lists, tuples, Tensors, ndarrays, NumPy scalars, None, bool, int, float and str"
        )

    def key(self, key: Any, where: str) -> Any:
        if isinstance(key, tuple):
            return {"kind": "tuple", "items": [self.key(k, where) for k in key]}
        if isinstance(key, np.generic) or not isinstance(key, _SCALAR_TYPES):
            raise TypeError(
                f"save: {where} has a key {key!r} of unsupported type {type(key).__name__}; "
                "dict keys must be str, int, float, bool, None or tuples of these"
            )
        return self.value(key, where)


# ---------------------------------------------------------------------------------- decoding
class CheckpointError(ValueError):
    """The file is not an intact tensorgrad checkpoint (or is from a newer format)."""


def _corrupt(msg: str) -> CheckpointError:
    return CheckpointError(f"not a valid tensorgrad checkpoint: {msg}")


class _Decoder:
    """Rebuild the object tree from its JSON form, checking every node as it goes."""

    def __init__(self, npz: Any) -> None:
        self.npz = npz
        self.members = set(npz.files)

    def _array(self, node: dict[str, Any]) -> np.ndarray:
        key = node.get("key")
        if not isinstance(key, str) or key == META_KEY or key not in self.members:
            raise _corrupt(f"array reference {key!r} has no matching array in the archive")
        # the member's own header first: a small file must not make us allocate what it claims
        with self.npz.zip.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            read = np.lib.format.read_array_header_1_0
            if version != (1, 0):
                read = np.lib.format.read_array_header_2_0
            shape, _, dtype = read(member)
        if dtype.str != node.get("dtype") or list(shape) != node.get("shape"):
            raise _corrupt(
                f"array {key!r} is {dtype.str}{list(shape)}, metadata says "
                f"{node.get('dtype')}{node.get('shape')}"
            )
        return self.npz[key]  # (the same header; allow_pickle=False refuses object arrays)

    def value(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict):
            raise _corrupt(f"unexpected node {node!r:.80} in the object tree")
        kind = node.get("kind")
        if kind == "dict":
            out = {}
            for pair in self._items(node):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _corrupt("a dict item is not a [key, value] pair")
                out[self.key(pair[0])] = self.value(pair[1])
            return out
        if kind == "list":
            return [self.value(v) for v in self._items(node)]
        if kind == "tuple":
            return tuple(self.value(v) for v in self._items(node))
        if kind == "ndarray":
            return self._array(node)
        if kind == "tensor":
            arr = self._array(node)
            if arr.dtype.kind not in "biuf":  # (tg.save writes no other: the file was edited)
                raise _corrupt(f"a tensor of dtype {arr.dtype}")
            return Tensor._make(native(arr))  # (a big-endian host's file: native order)
        if kind == "npscalar":
            arr = self._array(node)
            if arr.ndim != 0:
                raise _corrupt("a NumPy scalar is stored as a non-0-d array")
            return arr[()]
        if kind == "float" and node.get("value") in _NONFINITE:
            return _NONFINITE[node["value"]]
        if kind == "int" and isinstance(node.get("hex"), str):
            try:
                return int(node["hex"], 16)
            except ValueError:
                raise _corrupt(f"int node {node['hex']!r:.80} is not a hex number") from None
        raise _corrupt(f"unknown node {node!r:.80} in the object tree")

    def key(self, node: Any) -> Any:
        if isinstance(node, dict) and node.get("kind") == "tuple":
            return tuple(self.key(k) for k in self._items(node))
        if isinstance(node, dict) and node.get("kind") not in ("float", "int", None):
            raise _corrupt(f"dict key {node!r:.80} is not a scalar or tuple")
        return self.value(node)

    @staticmethod
    def _items(node: dict[str, Any]) -> list[Any]:
        items = node.get("items")
        if not isinstance(items, list):
            raise _corrupt(f"{node.get('kind')} node without an item list")
        return items


# ---------------------------------------------------------------------------------- public API
def save(obj: Any, path: PathOrFile) -> None:
    """Write ``obj`` (a state dict, or any tree of the supported values) to ``path``.

    The path is used exactly as given (no ``.npz`` is appended). The file is written to a
    temporary name in the same folder and moved into place with ``os.replace``, so a save that
    fails part-way leaves any earlier checkpoint at ``path`` intact. A writable binary file
    object is also accepted: the archive is built in memory and written to it in one piece (so
    append-mode and unseekable streams work, and saves one after another follow each other).
    Raises ``TypeError`` naming the key path of the first value that cannot be stored
    (``ValueError`` for a NumPy string ending in NUL, or nesting too deep for Python's
    recursion limit), before anything is written.
    """
    enc = _Encoder()
    try:
        tree = enc.value(obj, "obj")
        meta = {
            "format": FORMAT_NAME,
            "format_version": enc.version,
            "tensorgrad_version": __version__,
            "tree": tree,
        }
        # (JSON's encoder recurses deeper than ours: a tree a few hundred levels deep fails there)
        meta_bytes = json.dumps(meta, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except RecursionError:
        raise ValueError("save: obj nests too deeply to be saved") from None
    members = {META_KEY: np.frombuffer(meta_bytes, dtype=np.uint8), **enc.arrays}

    if hasattr(path, "write"):
        doubtful = _binary(path, "save", "wb")
        # (built in memory, then written in one piece: zip writers seek back to finish member
        # headers, which an append-mode or unseekable stream would get wrong)
        try:
            path.write(_archive(members))
        except io.UnsupportedOperation as exc:
            if doubtful:  # (it said it was not writable, by io's default: so it was not)
                raise _wrong_way(path, "save", "wb") from exc
            raise
        return
    _check_path(path, "save", "a writable")
    # (through a symlink to its file, as a plain open() writes, and keeping an existing file's
    # permissions, which the replace below would otherwise reset to the umask's)
    target = os.path.realpath(os.fsdecode(os.fspath(path)))
    try:
        special = not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        special = False
    if special:  # a device or a FIFO is written into, as open() does, never replaced
        data = _archive(members)
        with open(target, "wb") as f:
            f.write(data)
        return
    folder, base = os.path.split(target)
    tmp = os.path.join(folder, f".{base}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    # O_EXCL: never clobber; mode 0o666 so the umask applies as for a plain open().
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as exc:  # (named by the path given, not the hidden temporary file's)
        exc.filename = os.fspath(path)
        raise
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _archive(members: dict[str, np.ndarray]) -> memoryview:
    archive = io.BytesIO()
    np.savez(archive, **members)
    return archive.getbuffer()


def _binary(f: Any, op: str, mode: str) -> bool:
    """TypeError naming ``op`` for a file object in text mode (a TextIOBase, or a wrapper of one
    with a text ``mode`` and an ``encoding``, as tempfile's) or opened for the other direction,
    as its ``readable()``/``writable()`` says. io's base classes answer False for a subclass
    that does not say (a zipfile member defines only its own direction): for those the answer
    is returned, True when the first read or write, if it is refused, is to be named so."""
    text_mode = isinstance(getattr(f, "mode", None), str) and "b" not in f.mode
    text = isinstance(f, _TEXT_STREAMS) or (text_mode and getattr(f, "encoding", None) is not None)
    if text:
        raise TypeError(f"{op}: {f!r} is a text-mode file; open it in binary mode ({mode!r})")
    name = "readable" if "r" in mode else "writable"
    able = getattr(f, name, None)
    if not callable(able) or able():
        return False
    owner = getattr(able, "__self__", f)  # (a bound method's object answers for its class)
    declared = getattr(type(owner), name, None) not in _UNDECLARED
    if declared or type(owner).__module__ in ("_io", "io"):  # (io's own files say it)
        raise _wrong_way(f, op, mode)
    return True


def _wrong_way(f: Any, op: str, mode: str) -> TypeError:
    action = "reading" if "r" in mode else "writing"
    return TypeError(f"{op}: {f!r} is not open for {action}; open it with {mode!r}")


# (codecs' readers and writers encode text into a binary file: codecs.open's mode says "b")
_TEXT_STREAMS = (io.TextIOBase, codecs.StreamReader, codecs.StreamWriter, codecs.StreamReaderWriter)
_UNDECLARED = tuple(
    getattr(c, n)
    for c in (io.IOBase, io.RawIOBase, io.BufferedIOBase)
    for n in ("readable", "writable")
)


def load(path: PathOrFile) -> Any:
    """Read a checkpoint written by :func:`save` and return the object tree.

    Arrays come back as ndarrays and Tensors as ``requires_grad=False`` Tensors, so
    ``module.load_state_dict(tg.load(p))`` works. Never unpickles. Raises ``FileNotFoundError``
    for a missing file and ``CheckpointError`` (a ``ValueError``) for anything that is not an
    intact tensorgrad checkpoint: a pickle, random bytes, a truncated file, a foreign ``.npz``
    or zip, an object array, or a checkpoint from a newer format version. A readable binary
    file object is also accepted: the checkpoint at its position is read, and a seekable one is
    left just after it (so checkpoints saved one after another into a stream load in order), or,
    if the load fails, where it was; an unseekable one (a pipe) is read up to the checkpoint's
    end and no further. A path to an unseekable file (a FIFO, a terminal) is read as such a pipe.
    """
    if hasattr(path, "read"):
        if _binary(path, "load", "rb"):  # (not readable by io's default: a read of nothing tells)
            try:
                path.read(0)
            except io.UnsupportedOperation as exc:
                raise _wrong_way(path, "load", "rb") from exc
        return _load_stream(path, repr(path))
    _check_path(path, "load", "a readable")
    with open(os.fspath(path), "rb") as f:
        if not f.seekable():  # (a FIFO or a device, as save writes into: read as a pipe)
            return _load_stream(f, repr(os.fspath(path)))
        return _load_from(f, repr(os.fspath(path)))


def _check_path(path: Any, op: str, kind: str) -> None:
    """TypeError naming ``op`` for a path that is neither a path nor a file object (os.fspath's
    own said "expected str, bytes or os.PathLike object, not float", naming neither)."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{op}: path must be a str, bytes or os.PathLike, or {kind} binary file object, "
            f"got {type(path).__name__}"
        )


def _load_stream(f: IO[bytes], name: str) -> Any:
    if not getattr(f, "seekable", lambda: False)():
        archive, alone = _read_archive(f, name)
        return _load_from(archive, name, not alone)
    start = f.tell()
    try:
        return _load_from(f, name, True)
    except BaseException:
        f.seek(start)
        raise


def _read_archive(f: IO[bytes], name: str) -> tuple[io.BytesIO, bool]:
    """The zip archive at an unseekable stream's position, read record by record up to its end
    record and no further: a checkpoint written after it stays in the stream, and a pipe's
    reader does not wait for the writer to close it. Returns the bytes read and whether they
    are that archive alone: a member whose sizes follow its data (saved into an unseekable
    stream before 643edfc) cannot be skipped so, and the rest of the stream is read, as
    before."""
    out = io.BytesIO()

    def copy(n: int, first: bool = False) -> None:
        # (in pieces of at most _PIECE: a corrupt header's size must not be allocated before
        # the stream ends short of it)
        while n:
            chunk = f.read(min(n, _PIECE))
            if not chunk:
                if first:  # (an empty or short stream: as a file of those bytes reads)
                    return
                raise _corrupt(f"{name} ends inside its archive (truncated)")
            out.write(chunk)
            n -= len(chunk)

    def take(n: int, first: bool = False) -> bytes:  # (a record's header: a few bytes)
        start = out.tell()
        copy(n, first)
        return out.getbuffer()[start:].tobytes()

    sig = take(4, first=True)
    if sig != _ZIP_MAGIC:  # (not an archive: _load_from says what it is)
        out.seek(0)
        return out, True
    while sig != _END_MAGIC:
        if sig == _ZIP_MAGIC:  # a member: its header, then its data
            head = take(26)
            (flags,) = struct.unpack_from("<H", head, 2)
            size, full, name_len, extra_len = struct.unpack_from("<IIHH", head, 14)
            extra = take(name_len + extra_len)[name_len:]
            if flags & 0x08:  # (sizes after the data: the rest of the stream, as before)
                out.write(f.read())
                out.seek(0)
                return out, False
            if size == 0xFFFFFFFF:  # zip64: the sizes are in the extra field, full size first
                size = _zip64_size(extra, full == 0xFFFFFFFF, name)
            copy(size)
        elif sig == _CENTRAL_MAGIC:
            lengths = struct.unpack_from("<HHH", take(42), 24)
            copy(sum(lengths))
        elif sig == b"PK\x06\x06":  # zip64 end record: its own size follows
            copy(struct.unpack("<Q", take(8))[0])
        elif sig == b"PK\x06\x07":  # zip64 end locator
            copy(16)
        else:
            raise _corrupt(f"{name} has an unknown zip record {sig!r}")
        sig = take(4)
    copy(struct.unpack_from("<H", take(18), 16)[0])  # the end record and its comment
    out.seek(0)
    return out, True


_PIECE = 1 << 20


def _zip64_size(extra: bytes, full_first: bool, name: str) -> int:
    """A member's compressed size from its zip64 extra field (id 1)."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 1 and length >= 8 + 8 * full_first:
            return struct.unpack_from("<Q", extra, at + 4 + 8 * full_first)[0]
        at += 4 + length
    raise _corrupt(f"{name} has a zip64 member without its sizes")


def _first_archive(f: IO[bytes], start: int, name: str) -> io.BytesIO:
    """The zip archive that begins at ``start``, leaving ``f`` just after it: its end record is
    the first whose central directory (just before the record) puts a member at ``start``."""
    f.seek(start)
    data = f.read()
    at = data.find(_END_MAGIC)
    while at >= 0 and at + 22 <= len(data):
        size, offset = struct.unpack_from("<II", data, at + 12)
        cd = at - size
        # (offsets count from where the writer's stream began: cd - offset maps them into `data`)
        if (
            0 <= cd
            and cd + 46 <= len(data)
            and data[cd : cd + 4] == _CENTRAL_MAGIC
            and struct.unpack_from("<I", data, cd + 42)[0] + cd - offset == 0
        ):
            (comment,) = struct.unpack_from("<H", data, at + 20)
            end = at + 22 + comment
            f.seek(start + end)
            return io.BytesIO(data[:end])
        at = data.find(_END_MAGIC, at + 1)
    raise _corrupt(f"{name} has no complete archive at its current position")


def _load_from(f: IO[bytes], name: str, stream: bool = False) -> Any:
    """``stream``: read the archive at ``f``'s position alone and leave ``f`` after it."""
    start = f.tell()
    head = f.read(len(_ZIP_MAGIC))
    if head != _ZIP_MAGIC:
        kind = "a pickle" if head[:1] == b"\x80" else "not an .npz (zip) archive"
        raise _corrupt(f"{name} is {kind}")
    f.seek(start)
    try:
        if stream:
            npz = np.load(_first_archive(f, start, name), allow_pickle=False)
        else:
            npz = np.load(f, allow_pickle=False)
            if min((i.header_offset for i in npz.zip.infolist()), default=0) != 0:
                # NOTE: zip readers start from the archive's end; this one begins later, so
                # another (checkpoints appended to one file) follows ours: read ours alone
                npz.close()
                npz = np.load(_first_archive(f, start, name), allow_pickle=False)
        with npz:
            if META_KEY not in npz.files:
                raise _corrupt(f"{name} is an .npz without tensorgrad metadata")
            meta_arr = npz[META_KEY]
            if meta_arr.dtype != np.uint8 or meta_arr.ndim != 1:
                raise _corrupt(f"{name} has a malformed metadata entry")
            meta = json.loads(meta_arr.tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
                raise _corrupt(f"{name} metadata does not name the {FORMAT_NAME} format")
            version = meta.get("format_version")
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise _corrupt(f"{name} has an invalid format version {version!r}")
            if version > FORMAT_VERSION:
                raise CheckpointError(
                    f"{name} uses checkpoint format {version}, written by tensorgrad "
                    f"{meta.get('tensorgrad_version')}; this tensorgrad ({__version__}) reads "
                    f"format {FORMAT_VERSION} and older"
                )
            if "tree" not in meta:
                raise _corrupt(f"{name} metadata has no object tree")
            return _Decoder(npz).value(meta["tree"])
    except CheckpointError:
        raise
    except RecursionError as e:
        raise _corrupt(f"{name} nests too deeply") from e
    except Exception as e:  # BadZipFile, zlib.error, EOFError, numpy's ValueErrors, bad JSON...
        raise _corrupt(f"{name} could not be read ({type(e).__name__}: {e})") from e
