"""Bad input to minigrad.save / minigrad.load: malformed or crafted files, unsaveable objects, bad paths.

torch's checkpoints are pickles, so most cases have no torch counterpart (``torch=None``); a malformed
file is always the one ``RuntimeError`` naming the file."""
import json
import os
import tempfile

from .harness import Case

CASES = []
add = CASES.append
INVALID = "not a valid minigrad/safetensors checkpoint"


def _file(data: bytes) -> str:
    fd, path = tempfile.mkstemp(suffix=".safetensors")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _load(data: bytes):
    def call(api):
        path = _file(data)
        try:
            return api.lib.load(path)
        finally:
            os.unlink(path)
    return call


def _framed(header) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw


def _with_structure(structure: str) -> bytes:
    import numpy as np
    import safetensors.numpy
    from minigrad import serialization
    metadata = {"format": "minigrad", serialization.STRUCTURE_KEY: structure,
                serialization.CHECKSUM_KEY: json.dumps({"t": serialization._crc32(np.zeros(1, np.float32))})}
    metadata[serialization.HEADER_CHECKSUM_KEY] = str(serialization._metadata_crc32(metadata))
    return safetensors.numpy.save({"t": np.zeros(1, np.float32)}, metadata=metadata)


DEEP = 100_000
for description, data in [
    ("an empty file", lambda: b""),
    ("a 5-byte file", lambda: b"\x01\x02\x03\x04\x05"),
    ("a header longer than the file", lambda: (1000).to_bytes(8, "little") + b"{}"),
    ("a header that is not JSON", lambda: _framed(b"{nope")),
    ("a header that is a list", lambda: _framed([1, 2])),
    ("a header nested 100,000 deep", lambda: _framed(b'{"a":' * DEEP + b"1" + b"}" * DEEP)),
    ("a header list nested 100,000 deep", lambda: _framed(b"[" * DEEP + b"]" * DEEP)),
    ("a structure nested 600 deep", lambda: _with_structure('{"a":' * 600 + "1" + "}" * 600)),
    ("a structure list nested 600 deep", lambda: _with_structure("[" * 600 + "]" * 600)),
    ("a structure JSON nested 100,000 deep", lambda: _with_structure("[" * DEEP + "]" * DEEP)),
    ("a tensor of 2**62 x 4 float64 in 0 bytes", lambda: _framed({"t": {"dtype": "F64", "shape": [2**62, 4], "data_offsets": [0, 0]}})),
    ("a tensor of 2**31 x 2**31 float32 in 8 bytes", lambda: _framed({"t": {"dtype": "F32", "shape": [2**31, 2**31], "data_offsets": [0, 8]}}) + b"\0" * 8),
    ("a negative shape", lambda: _framed({"t": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}) + b"\0" * 8),
    ("a byte range past the end", lambda: _framed({"t": {"dtype": "U8", "shape": [9], "data_offsets": [0, 9]}}) + b"\0" * 8),
    ("an unknown tensor dtype", lambda: _framed({"t": {"dtype": "X9", "shape": [1], "data_offsets": [0, 1]}}) + b"\0"),
    ("a scalar of a huge void dtype", lambda: _with_structure('{"s":{"__scalar__":["V1000000000000",0]}}')),
    ("a scalar out of its dtype's range", lambda: _with_structure('{"s":{"__scalar__":["int8",100000]}}')),
    ("an unknown dtype marker", lambda: _with_structure('{"d":{"__dtype__":"complex1024"}}')),
    ("a bad device marker", lambda: _with_structure('{"d":{"__device__":"tpu:7"}}')),
    ("a tuple marker holding a number", lambda: _with_structure('{"d":{"__tuple__":5}}')),
    ("a dict marker without pairs", lambda: _with_structure('{"d":{"__dict__":[[1]]}}')),
    ("an unhashable dict key", lambda: _with_structure('{"d":{"__dict__":[[{"a":1},2]]}}')),
    ("a tensor marker naming no tensor", lambda: _with_structure('{"d":{"__tensor__":"nope"}}')),
]:
    add(Case(f"load of {description}", torch=None,
             minigrad=lambda api, data=data: _load(data())(api), match=INVALID))


def _save_deep(api):
    deep = []
    for _ in range(1000):
        deep = [deep]
    with tempfile.TemporaryDirectory() as folder:
        api.lib.save({"x": deep}, os.path.join(folder, "deep.safetensors"))


def _save_object(api):
    with tempfile.TemporaryDirectory() as folder:
        api.lib.save({"x": object()}, os.path.join(folder, "object.safetensors"))


add(Case("save of an object nested 1000 deep", torch=None, minigrad=_save_deep, match="nested more than"))
add(Case("save of an arbitrary object", torch=None, minigrad=_save_object, match="minigrad.save cannot store a builtins.object"))
add(Case("save into a folder that does not exist",
         lambda api: api.lib.save({"w": api.lib.zeros(1)}, "/nonexistent-folder-minigrad/x.ckpt"),
         "Parent directory /nonexistent-folder-minigrad does not exist."))
add(Case("load of a file that does not exist", lambda api: api.lib.load("/nonexistent-folder-minigrad/x.ckpt"),
         "No such file or directory", error=FileNotFoundError))
