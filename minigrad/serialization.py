"""Safe checkpoints: ``minigrad.save(obj, path)`` and ``minigrad.load(path)`` in the safetensors format.

Nothing is ever pickled, so loading a file cannot run code: a safetensors file is an 8-byte header
length, a JSON header (each tensor's dtype, shape and byte range, plus a ``__metadata__`` dict of
strings) and the raw little-endian tensor bytes. minigrad reads and writes it with the ``safetensors``
package's NumPy API (``pip install safetensors``).

Two kinds of object are saved:

* a flat ``state_dict`` (``str -> Tensor``) is stored as it is, under torch's key names and layouts:
  ``safetensors.torch.load_file(path)`` gives a dict that ``torch_model.load_state_dict`` accepts, and
  a file written by ``safetensors.torch.save_file`` loads here as a dict of minigrad Tensors;
* anything else built from dicts (any hashable JSON-like keys, e.g. the int keys of an optimiser's
  state), lists, tuples, tensors, NumPy arrays, numbers, strings, bools and None — a resumable
  training checkpoint — is flattened: each tensor is stored under its path
  (``"optimizer/state/0/exp_avg"``) and the structure around them goes, as JSON, into the header's
  metadata (``"minigrad.structure"``), so ``load`` rebuilds it exactly (ints stay ints, tuples stay
  tuples, a tensor saved twice comes back as one tensor).

Every tensor's CRC-32 is kept in the metadata too (``"minigrad.crc32"``), so ``load`` notices a
corrupted file instead of returning wrong numbers. Writes are atomic: the bytes go to a temporary
file in the same folder, are flushed and fsync'ed, and ``os.replace`` puts the file in place (then the
folder is fsync'ed), so a crash during ``save`` leaves the previous checkpoint whole.

A writer killed mid-save (SIGKILL, power loss) cannot delete its temporary file, so the temporary's name
says who wrote it: ``.<target>.~minigrad-<host>-<pid>-<random>.tmp``. Every ``save`` first removes the
temporaries in its folder whose writer is gone: written on this host (a hash of the host name, so a
folder shared over NFS never loses another machine's live temporary) by a process that no longer exists
(``os.kill(pid, 0)``). A live writer's temporary, in this process or another, is never touched; a
recycled pid only delays a cleanup until that process ends. (Linux's ``O_TMPFILE`` + ``linkat`` would
leave no name behind at all, but ``linkat`` cannot replace an existing file, so a named step and its
window remain; it is Linux-only too. The pid-marked name works on every POSIX system; on Windows, where
``os.kill`` cannot probe a process without ending it, no temporary is removed.)

Loading checks the file before anything is allocated or decoded: the header's length against the file,
every tensor's dtype, shape and byte range against the bytes that are there, the nesting depth of the
header and of the structure (at most ``MAX_DEPTH`` levels, so a crafted file cannot escape as
``RecursionError``), and every marker's payload. Any fault is the one ``RuntimeError`` naming the file.

    >>> minigrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
    ...                "rng": minigrad.get_rng_state()}, "checkpoint.safetensors")
    >>> checkpoint = minigrad.load("checkpoint.safetensors")
    >>> model.load_state_dict(checkpoint["model"]); opt.load_state_dict(checkpoint["optimizer"])
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
import socket
import zlib
from collections.abc import Mapping

import numpy as np

from . import backend, dtypes
from .autograd.tensor import Tensor

__all__ = ["save", "load"]

STRUCTURE_KEY = "minigrad.structure"  # metadata: the JSON structure of a nested checkpoint
CHECKSUM_KEY = "minigrad.crc32"  # metadata: JSON {tensor key: CRC-32 of its dtype, shape and bytes}
HEADER_CHECKSUM_KEY = "minigrad.header_crc32"  # metadata: CRC-32 of all the other metadata

# Markers for what JSON cannot say directly. A JSON object holding one of these keys is a marker;
# a user's dict that has such a key is written in the pair form (``__dict__``), so nothing is ambiguous.
_TENSOR, _NDARRAY, _TUPLE, _DICT, _SCALAR, _DTYPE, _DEVICE = (
    "__tensor__", "__ndarray__", "__tuple__", "__dict__", "__scalar__", "__dtype__", "__device__")
_MARKERS = frozenset((_TENSOR, _NDARRAY, _TUPLE, _DICT, _SCALAR, _DTYPE, _DEVICE))
_STORABLE_KINDS = "biuf"  # bool, signed and unsigned ints, floats: the dtypes minigrad and safetensors share
MAX_DEPTH = 200  # deepest nesting save writes and load reads (Python's recursion limit is 1000 frames)

# safetensors' dtype names and their item sizes (the header's "dtype" field)
_SAFETENSORS_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
                         "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError("minigrad.save and minigrad.load need the safetensors package: "
                          "pip install safetensors (or pip install \"minigrad[checkpoints]\")") from exc
    return safetensors.numpy


# ---- save -------------------------------------------------------------------------------------

def save(obj, f) -> None:
    """Write ``obj`` (a state_dict or a nested checkpoint) to ``f`` in the safetensors format.

    ``f`` is a path (written atomically) or a binary file object. See the module docstring for what
    ``obj`` may hold.
    """
    tensors, metadata = _flatten(obj)
    data = _safetensors_numpy().save(tensors, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
        return
    _atomic_write(os.fspath(f), data)


def _is_flat_state_dict(obj) -> bool:
    return isinstance(obj, Mapping) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def _flatten(obj) -> tuple[dict, dict]:
    """The arrays to store (key -> contiguous NumPy array) and the header metadata."""
    tensors: dict[str, np.ndarray] = {}
    if _is_flat_state_dict(obj):
        for key, value in obj.items():
            tensors[key] = _storable(value._data, key)
        metadata = {"format": "pt"}  # torch's layout; readers such as transformers look for this
    else:
        structure = _Encoder(tensors).encode(obj, [])
        metadata = {"format": "minigrad", STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"))}
    metadata[CHECKSUM_KEY] = json.dumps({k: _crc32(a) for k, a in tensors.items()}, separators=(",", ":"))
    metadata[HEADER_CHECKSUM_KEY] = str(_metadata_crc32(metadata))
    return tensors, metadata


def _storable(array, where: str) -> np.ndarray:
    array = np.asarray(backend.to_numpy(array), order="C")  # (ascontiguousarray would make 0-d 1-d)
    if array.dtype.kind not in _STORABLE_KINDS:
        raise TypeError(f"minigrad.save cannot store an array of dtype {array.dtype} (at {where!r})")
    return array


def _crc32(array: np.ndarray) -> int:
    """CRC-32 of a contiguous array's dtype, shape and bytes (so a changed dtype or shape is noticed too)."""
    start = zlib.crc32(f"{array.dtype.name}{tuple(array.shape)}".encode())
    return zlib.crc32(array.reshape(-1).view(np.uint8), start)


def _metadata_crc32(metadata: dict) -> int:
    items = sorted((k, v) for k, v in metadata.items() if k != HEADER_CHECKSUM_KEY)
    return zlib.crc32(json.dumps(items).encode())


class _Encoder:
    """Turns a nested object into JSON-able data, moving tensors and arrays into ``tensors``."""

    def __init__(self, tensors: dict):
        self.tensors = tensors
        self.key_of: dict[int, str] = {}  # id(tensor) -> key: a tensor saved twice is stored once
        self.alive: list = []  # keeps the objects behind ``key_of`` alive while encoding

    def encode(self, value, path: list):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if len(path) >= MAX_DEPTH:
            raise ValueError(f"minigrad.save cannot store an object nested more than {MAX_DEPTH} levels deep "
                             f"(at {_where(path[:3] + ['...'])})")
        if isinstance(value, Tensor):
            node = {_TENSOR: self._store(value, value._data, path)}
            if value.requires_grad:
                node["requires_grad"] = True
            return node
        if isinstance(value, np.ndarray):
            return {_NDARRAY: self._store(value, value, path)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in _STORABLE_KINDS:
                raise TypeError(f"minigrad.save cannot store a NumPy scalar of dtype {value.dtype} at {_where(path)}")
            return {_SCALAR: [value.dtype.name, value.item()]}
        if isinstance(value, dtypes.dtype):
            return {_DTYPE: value.name}
        if isinstance(value, backend.device):
            return {_DEVICE: str(value)}
        if isinstance(value, tuple):
            return {_TUPLE: [self.encode(v, path + [str(i)]) for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, path + [str(i)]) for i, v in enumerate(value)]
        if isinstance(value, Mapping):
            if all(isinstance(k, str) for k in value) and _MARKERS.isdisjoint(value):
                return {k: self.encode(v, path + [k]) for k, v in value.items()}
            return {_DICT: [[self._encode_key(k, path), self.encode(v, path + [str(k)])] for k, v in value.items()]}
        raise TypeError(
            f"minigrad.save cannot store a {type(value).__module__}.{type(value).__name__} at {_where(path)}: "
            "checkpoints hold only tensors, NumPy arrays, numbers, strings, bools, None, lists, tuples and "
            "dicts (nothing is pickled, so that loading a file can never run code)")

    def _encode_key(self, key, path: list):
        if isinstance(key, (Tensor, np.ndarray)):
            raise TypeError(f"minigrad.save cannot use a tensor as a dict key (at {_where(path)})")
        return self.encode(key, path)

    def _store(self, owner, array, path: list) -> str:
        if id(owner) in self.key_of:
            return self.key_of[id(owner)]
        key = "/".join(path) or "tensor"
        if key in self.tensors:  # two paths that read alike (keys 0 and "0", or a "/" in a key)
            n = 1
            while f"{key}#{n}" in self.tensors:
                n += 1
            key = f"{key}#{n}"
        self.tensors[key] = _storable(array, key)
        self.key_of[id(owner)] = key
        self.alive.append(owner)
        return key


def _where(path: list) -> str:
    return repr("/".join(path)) if path else "the top level"


def _atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either its old bytes or all of ``data``."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    _remove_dead_writers_temporaries(directory)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.~minigrad-{_HOST}-{os.getpid()}-"
                                        f"{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _new_file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


_HOST = f"{zlib.crc32(socket.gethostname().encode()):08x}"
_TEMPORARY = re.compile(r"\.~minigrad-([0-9a-f]{8})-([0-9]+)-[0-9a-f]+\.tmp\Z")


def _remove_dead_writers_temporaries(directory: str) -> None:
    """Delete the temporaries that writers on this host left when they were killed (see the module notes)."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.search(entry.name)
        if not entry.name.startswith(".") or match is None or match.group(1) != _HOST:
            continue
        if _process_exists(int(match.group(2))):
            continue
        try:
            os.unlink(entry.path)
        except OSError:  # already gone (another saver cleaned it), or not ours to delete
            pass


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate it on Windows; be conservative
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # alive under another user (or unknowable): leave it
    return True


def _new_file_mode(path: str) -> int:
    """The permission bits a plain ``open(path, 'wb')`` would give (mkstemp makes files 0600)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); folders cannot be opened this way on Windows."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- load -------------------------------------------------------------------------------------

def load(f, map_location=None, *, weights_only: bool = True):
    """Read a checkpoint written by ``save`` (or any safetensors file) back into minigrad Tensors.

    ``f`` is a path or a binary file object; ``map_location`` ('cpu', 'cuda:0', a ``device``) puts
    every tensor on that device (default: the CPU). ``weights_only`` is accepted for torch
    compatibility: minigrad always loads safely, nothing in a file is ever executed.

    Raises ``RuntimeError`` naming the file when it is truncated, corrupted or not a safetensors file.
    """
    if hasattr(f, "read"):
        name, data = getattr(f, "name", "<file object>"), f.read()
    else:
        name = os.fspath(f)
        with open(name, "rb") as file:
            data = file.read()
    device = None if map_location is None else backend.device(map_location)
    metadata = _read_metadata(data, name)
    try:
        arrays = _safetensors_numpy().load(data)
    except ImportError:
        raise
    except Exception as exc:  # safetensors' own error types vary across versions
        raise _invalid(name, str(exc) or type(exc).__name__) from exc
    _verify_checksums(arrays, metadata, name)

    def tensor(key: str, requires_grad: bool = False) -> Tensor:
        if key not in tensors:
            if key not in arrays:
                raise _invalid(name, f"the structure names a tensor {key!r} that the file does not hold")
            array = np.array(arrays[key])  # a writable, aligned copy of the file's bytes
            tensors[key] = Tensor._make(array if device is None else backend.to_device(array, device))
        t = tensors[key]
        if requires_grad:
            if not t.dtype.is_floating_point:
                raise _invalid(name, f"the structure asks for gradients of tensor {key!r} of dtype {t.dtype}")
            t.requires_grad = True
        return t

    tensors: dict[str, Tensor] = {}
    if STRUCTURE_KEY not in metadata:
        return {key: tensor(key) for key in arrays}
    try:
        structure = json.loads(metadata[STRUCTURE_KEY])
    except ValueError as exc:
        raise _invalid(name, f"its structure metadata is not valid JSON: {exc}") from exc
    except RecursionError:
        raise _invalid(name, "its structure metadata is nested too deeply") from None

    def ndarray(key: str) -> np.ndarray:
        if key not in arrays:
            raise _invalid(name, f"the structure names an array {key!r} that the file does not hold")
        return np.array(arrays[key])

    try:
        return _Decoder(tensor, ndarray).decode(structure)
    except _MalformedStructure as exc:
        raise _invalid(name, f"its structure metadata is malformed: {exc}") from None


def _invalid(name: str, reason: str) -> RuntimeError:
    return RuntimeError(f"{name}: not a valid minigrad/safetensors checkpoint ({reason})")


def _read_metadata(data: bytes, name: str) -> dict:
    """Check the header (its frame and every tensor's entry) and return its ``__metadata__``.

    Everything safetensors would act on is checked here first, so a crafted header can neither make it
    allocate (a shape whose bytes exceed the file) nor escape as a ``RecursionError`` (JSON nested
    100,000 deep): every fault is the same clear error naming the file.
    """
    if len(data) < 8:
        raise _invalid(name, f"the file has {len(data)} bytes, too few for a safetensors header")
    header_size = int.from_bytes(data[:8], "little")
    if header_size > len(data) - 8:
        raise _invalid(name, f"the header claims {header_size} bytes but the file has only {len(data) - 8} after "
                             "the length field: truncated or not a safetensors file")
    try:
        header = json.loads(data[8:8 + header_size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid(name, f"the header is not valid JSON: {exc}") from exc
    except RecursionError:
        raise _invalid(name, "the header's JSON is nested too deeply") from None
    if not isinstance(header, dict):
        raise _invalid(name, "the header is not a JSON object")
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _invalid(name, "the header's __metadata__ is not a dict of strings")
    data_size = len(data) - 8 - header_size
    for key, entry in header.items():
        if key != "__metadata__":
            _check_entry(key, entry, data_size, name)
    return metadata


def _check_entry(key: str, entry, data_size: int, name: str) -> None:
    """One tensor's header entry: a known dtype, a shape of non-negative ints, and a byte range inside the
    data section whose length is exactly the shape's bytes (checked with Python ints: no overflow)."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _invalid(name, f"the header entry of tensor {key!r} is not {{dtype, shape, data_offsets}}")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in _SAFETENSORS_ITEMSIZE:
        raise _invalid(name, f"tensor {key!r} has an unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise _invalid(name, f"tensor {key!r} has a shape that is not a list of non-negative ints: {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(type(o) is int for o in offsets)
            or not 0 <= offsets[0] <= offsets[1] <= data_size):
        raise _invalid(name, f"tensor {key!r} has byte range {offsets!r} outside the {data_size} bytes of data")
    nbytes = math.prod(shape) * _SAFETENSORS_ITEMSIZE[dtype]
    if offsets[1] - offsets[0] != nbytes:
        raise _invalid(name, f"tensor {key!r} of shape {shape} and dtype {dtype} needs {nbytes} bytes, "
                             f"its byte range holds {offsets[1] - offsets[0]}")


def _verify_checksums(arrays: dict, metadata: dict, name: str) -> None:
    if not any(key.startswith("minigrad.") for key in metadata):
        return  # a file from elsewhere (e.g. safetensors.torch.save_file) carries no checksums
    if metadata.get(HEADER_CHECKSUM_KEY) != str(_metadata_crc32(metadata)):
        raise _invalid(name, "checksum mismatch in the header's metadata: the file is corrupted")
    try:
        checksums = json.loads(metadata[CHECKSUM_KEY])
    except ValueError as exc:
        raise _invalid(name, f"its checksum metadata is not valid JSON: {exc}") from exc
    if set(checksums) != set(arrays):
        raise _invalid(name, "the tensors in the file differ from the ones it was saved with")
    for key, expected in checksums.items():
        if _crc32(np.asarray(arrays[key], order="C")) != expected:
            raise _invalid(name, f"checksum mismatch in tensor {key!r}: the file is corrupted")


class _MalformedStructure(Exception):
    """A structure that ``_Encoder`` could not have written (only a crafted or damaged file has one)."""


class _Decoder:
    """Rebuilds the object that ``_Encoder`` flattened, checking each node's form as it goes."""

    def __init__(self, tensor, ndarray):
        self.tensor, self.ndarray = tensor, ndarray

    def decode(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise _MalformedStructure(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, list):
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict):
            return node
        markers = [key for key in node if key in _MARKERS]
        if not markers:
            return {k: self.decode(v, depth + 1) for k, v in node.items()}
        if len(markers) > 1:
            raise _MalformedStructure(f"a node holds several markers {markers}")
        marker = markers[0]
        payload = node[marker]
        if marker in (_TENSOR, _NDARRAY):
            if not isinstance(payload, str):
                raise _MalformedStructure(f"{marker} names a key that is not a string: {payload!r}")
            if marker == _NDARRAY:
                return self.ndarray(payload)
            return self.tensor(payload, node.get("requires_grad", False) is True)
        if marker == _TUPLE:
            if not isinstance(payload, list):
                raise _MalformedStructure(f"{_TUPLE} holds a {type(payload).__name__}, not a list")
            return tuple(self.decode(v, depth + 1) for v in payload)
        if marker == _DICT:
            if not isinstance(payload, list) or not all(isinstance(p, list) and len(p) == 2 for p in payload):
                raise _MalformedStructure(f"{_DICT} does not hold [key, value] pairs")
            out = {}
            for k, v in payload:
                key, value = _hashable(self.decode(k, depth + 1)), self.decode(v, depth + 1)
                try:
                    out[key] = value
                except TypeError:
                    raise _MalformedStructure(f"a dict key of type {type(key).__name__} is not hashable") from None
            return out
        if marker == _SCALAR:
            if (not isinstance(payload, list) or len(payload) != 2 or not isinstance(payload[0], str)
                    or payload[0] not in _SCALAR_DTYPES or not isinstance(payload[1], (bool, int, float))):
                raise _MalformedStructure(f"{_SCALAR} is not [a bool/int/float dtype name, a number]: {payload!r}")
            try:
                return np.dtype(payload[0]).type(payload[1])
            except (OverflowError, ValueError) as exc:
                raise _MalformedStructure(f"{_SCALAR} {payload!r}: {exc}") from None
        if marker == _DTYPE:
            try:
                return dtypes.as_dtype(payload)
            except TypeError:
                raise _MalformedStructure(f"{_DTYPE} names no minigrad dtype: {payload!r}") from None
        try:  # _DEVICE
            return backend.device(payload)
        except (TypeError, RuntimeError) as exc:
            raise _MalformedStructure(f"{_DEVICE} {payload!r}: {exc}") from None


_SCALAR_DTYPES = frozenset(np.dtype(t).name for t in (np.bool_, np.uint8, np.uint16, np.uint32, np.uint64, np.int8,
                                                     np.int16, np.int32, np.int64, np.float16, np.float32,
                                                     np.float64))


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, (list, tuple)) else key
