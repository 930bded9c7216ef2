"""Checkpoints: state_dicts cross between minigrad and torch through safetensors files in both
directions, nested resume checkpoints come back exactly, damaged files give a clear error naming the
file, and a crash during save leaves the previous checkpoint intact."""
import io
import math
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.optim as optim

safetensors = pytest.importorskip("safetensors")
REPO = Path(__file__).resolve().parents[1]


def mg_cnn(lib):
    """The same small CNN (conv, batch norm with its buffers, linear) in minigrad or torch."""
    n = lib.nn
    return n.Sequential(n.Conv2d(1, 4, 3), n.BatchNorm2d(4), n.ReLU(), n.Flatten(), n.Linear(64, 3))


def train_a_little(model, lib):
    """A forward pass in training mode changes the batch-norm buffers, so they are not defaults."""
    model.train()
    x = lib.tensor(np.random.default_rng(0).standard_normal((5, 1, 6, 6)).astype(np.float32))
    model(x)
    model.eval()


def same(a, b) -> bool:
    """Exact structural equality: types, keys (and their order), dtypes, shapes and values."""
    if isinstance(a, minigrad.Tensor):
        return (isinstance(b, minigrad.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and a.requires_grad == b.requires_grad and np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a) and \
            all(type(x) is type(y) for x, y in zip(a, b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


# ---- crossing to and from torch -----------------------------------------------------------------

def test_minigrad_state_dict_file_loads_into_the_torch_twin(torch, tmp_path):
    from safetensors.torch import load_file
    model = mg_cnn(minigrad)
    train_a_little(model, minigrad)
    path = tmp_path / "model.safetensors"
    minigrad.save(model.state_dict(), path)
    twin = mg_cnn(torch)
    twin.load_state_dict(load_file(path))  # strict: every key and shape must match torch's
    twin.eval()
    x = np.random.default_rng(1).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(model(minigrad.tensor(x)).detach().numpy(), twin(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert twin[1].num_batches_tracked.dtype == torch.int64 and int(twin[1].num_batches_tracked) == 1


def test_torch_state_dict_file_loads_into_the_minigrad_twin(torch, tmp_path):
    from safetensors.torch import save_file
    twin = mg_cnn(torch)
    train_a_little(twin, torch)
    path = tmp_path / "from_torch.safetensors"
    save_file(twin.state_dict(), path)
    loaded = minigrad.load(path)
    assert all(isinstance(v, minigrad.Tensor) for v in loaded.values())
    model = mg_cnn(minigrad)
    model.load_state_dict(loaded)
    model.eval()
    x = np.random.default_rng(2).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(model(minigrad.tensor(x)).detach().numpy(), twin(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "int8", "uint8", "bool"])
def test_every_dtype_and_0d_and_empty_tensors_cross_both_ways(torch, tmp_path, dtype):
    from safetensors.torch import load_file, save_file
    rng = np.random.default_rng(0)
    arrays = {"matrix": (rng.standard_normal((3, 4)) * 10).astype(dtype), "scalar": np.asarray(rng.random() > 0.5).astype(dtype),
              "empty": np.zeros((0, 2), dtype=dtype), "strided.T": (rng.standard_normal((4, 3)) * 10).astype(dtype).T}
    minigrad.save({k: minigrad.tensor(v) for k, v in arrays.items()}, tmp_path / "mg.safetensors")
    for key, value in load_file(tmp_path / "mg.safetensors").items():
        assert str(value.dtype) == f"torch.{dtype}" and tuple(value.shape) == arrays[key].shape
        np.testing.assert_array_equal(value.numpy(), arrays[key])
    save_file({k: torch.from_numpy(v.copy()) for k, v in arrays.items()}, tmp_path / "th.safetensors")
    for key, value in minigrad.load(tmp_path / "th.safetensors").items():
        assert value.dtype.name == dtype and tuple(value.shape) == arrays[key].shape
        np.testing.assert_array_equal(value.numpy(), arrays[key])


# ---- nested checkpoints -------------------------------------------------------------------------

def make_training(seed=0):
    minigrad.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    opt = optim.Adam([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.01}],
                     lr=0.05, amsgrad=True)
    sched = optim.lr_scheduler.SequentialLR(
        opt, [optim.lr_scheduler.LinearLR(opt, total_iters=3), optim.lr_scheduler.MultiStepLR(opt, [5, 7, 7])],
        milestones=[3])
    return model, opt, sched


def train(model, opt, sched, steps):
    for _ in range(steps):
        x = minigrad.randn(8, 4)  # draws from the global generator: the RNG state matters
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def test_nested_checkpoint_round_trip_is_exact(tmp_path):
    model, opt, sched = make_training()
    train(model, opt, sched, 4)
    checkpoint = {
        "model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
        "epoch": 3, "step": 12, "rng": minigrad.get_rng_state(),
        "misc": {"tuple": (1, 2.5, None, "x"), "list": [True, False, [1, (2,)]], "nan": float("nan"),
                 "inf": -math.inf, "big": 2**100, "int_keys": {0: "a", 7: {1: 2}}, "tuple_key": {(1, 2): 3},
                 "__tensor__": "a user key that looks like a marker", "numpy": np.arange(4, dtype=np.int16),
                 "np_scalar": np.float32(0.1), "dtype": minigrad.float64, "0-d": minigrad.tensor(3.5),
                 "needs_grad": minigrad.ones(2, requires_grad=True), "empty": {}, "empty_list": []},
    }
    path = tmp_path / "resume.safetensors"
    minigrad.save(checkpoint, path)
    loaded = minigrad.load(path)
    assert same(checkpoint, loaded)
    assert isinstance(loaded["optimizer"]["state"][0]["exp_avg"], minigrad.Tensor)
    from safetensors import safe_open
    with safe_open(path, framework="np") as f:  # tensors are stored under readable paths
        assert "optimizer/state/0/exp_avg" in f.keys() and "model/0.weight" in f.keys()


def test_a_tensor_saved_twice_is_stored_once_and_loads_as_one_tensor():
    shared = minigrad.randn(3)
    buffer = io.BytesIO()
    minigrad.save({"a": [shared], "b": {"c": shared}, "n": 1}, buffer)
    loaded = minigrad.load(io.BytesIO(buffer.getvalue()))
    assert loaded["a"][0] is loaded["b"]["c"]


def test_resuming_from_a_checkpoint_continues_exactly_like_uninterrupted(tmp_path):
    model, opt, sched = make_training()
    train(model, opt, sched, 4)
    minigrad.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                   "rng": minigrad.get_rng_state(), "epoch": 4}, tmp_path / "ckpt.safetensors")
    train(model, opt, sched, 5)

    model2, opt2, sched2 = make_training(seed=123)  # different initial weights, all overwritten below
    checkpoint = minigrad.load(tmp_path / "ckpt.safetensors")
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    minigrad.set_rng_state(checkpoint["rng"])
    train(model2, opt2, sched2, 5)
    for (key, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=key)
    assert sched2.get_last_lr() == sched.get_last_lr()
    assert checkpoint["epoch"] == 4


def test_objects_that_would_need_pickle_are_refused_with_their_path(tmp_path):
    with pytest.raises(TypeError, match="'model/bad'"):
        minigrad.save({"model": {"bad": object()}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="lambda|function"):
        minigrad.save({"fn": lambda: 0}, tmp_path / "x.safetensors")
    assert not (tmp_path / "x.safetensors").exists()


def test_multistep_milestones_come_back_as_a_counter(tmp_path):
    opt = optim.SGD([minigrad.ones(1, requires_grad=True)], lr=1.0)
    sched = optim.lr_scheduler.MultiStepLR(opt, [2, 2, 5])
    minigrad.save(sched.state_dict(), tmp_path / "s.safetensors")
    sched2 = optim.lr_scheduler.MultiStepLR(opt, [9])
    sched2.load_state_dict(minigrad.load(tmp_path / "s.safetensors"))
    assert sched2.milestones == Counter({2: 2, 5: 1}) and isinstance(sched2.milestones, Counter)


def test_map_location_puts_tensors_on_that_device(tmp_path):
    minigrad.save({"w": minigrad.ones(2)}, tmp_path / "w.safetensors")
    loaded = minigrad.load(tmp_path / "w.safetensors", map_location="cpu")
    assert loaded["w"].device == "cpu"
    if minigrad.cuda.is_available():
        assert minigrad.load(tmp_path / "w.safetensors", map_location="cuda")["w"].device == "cuda:0"


# ---- damaged files ------------------------------------------------------------------------------

def good_file(tmp_path) -> bytes:
    path = tmp_path / "good.safetensors"
    minigrad.save({"model": {"w": minigrad.randn(3, 4), "n": minigrad.zeros((), dtype=minigrad.int64)}, "epoch": 2}, path)
    return path.read_bytes()


def assert_clear_error(path, data):
    path.write_bytes(data)
    with pytest.raises(RuntimeError) as error:
        minigrad.load(path)
    assert str(path) in str(error.value) and "not a valid minigrad/safetensors checkpoint" in str(error.value)


@pytest.mark.parametrize("damage", ["empty", "five_bytes", "truncated_header", "truncated_data", "last_byte_missing",
                                    "random_bytes", "text_file", "header_garbled", "data_byte_flipped",
                                    "header_length_flipped", "pickle_file"])
def test_damaged_file_gives_a_clear_error_naming_the_file(tmp_path, damage):
    data = good_file(tmp_path)
    header = int.from_bytes(data[:8], "little")
    damaged = {
        "empty": b"",
        "five_bytes": data[:5],
        "truncated_header": data[:8 + header // 2],
        "truncated_data": data[:8 + header + 10],
        "last_byte_missing": data[:-1],
        "random_bytes": np.random.default_rng(0).bytes(len(data)),
        "text_file": b"this is not a checkpoint, just some text\n" * 5,
        "header_garbled": data[:8] + b"#" * 16 + data[24:],
        "data_byte_flipped": data[:-5] + bytes([data[-5] ^ 0x10]) + data[-4:],
        "header_length_flipped": bytes([data[0] ^ 0x01]) + data[1:],
        "pickle_file": b"\x80\x04\x95" + b"\x00" * 40,
    }[damage]
    assert_clear_error(tmp_path / f"{damage}.safetensors", damaged)


def test_flipping_any_bit_of_a_checkpoint_is_detected(tmp_path):
    data = good_file(tmp_path)
    path = tmp_path / "flipped.safetensors"

    @settings(max_examples=150, deadline=None)
    @given(position=st.integers(0, len(data) - 1), bit=st.integers(0, 7))
    def check(position, bit):
        damaged = bytearray(data)
        damaged[position] ^= 1 << bit
        assert_clear_error(path, bytes(damaged))

    check()


# ---- atomic writes ------------------------------------------------------------------------------

def leftovers(folder: Path, keep: str):
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_failure_before_the_rename_keeps_the_old_checkpoint_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    old = {"w": minigrad.ones(3)}
    minigrad.save(old, path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        minigrad.save({"w": minigrad.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert same(old, minigrad.load(path))
    assert leftovers(tmp_path, path.name) == []


@pytest.mark.parametrize("crash_point", ["mid_write", "before_rename"])
def test_process_killed_during_save_leaves_the_previous_checkpoint_intact(tmp_path, crash_point):
    """A child process saves over an existing checkpoint and dies abruptly (os._exit, no cleanup) half-way
    through writing the bytes, or after writing and fsync but before the rename."""
    path = tmp_path / "ckpt.safetensors"
    old = {"model": {"w": minigrad.arange(6.0).reshape(2, 3)}, "epoch": 1}
    minigrad.save(old, path)
    before = path.read_bytes()
    child = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        import minigrad
        crash_point = {crash_point!r}
        if crash_point == "mid_write":
            real_fdopen = os.fdopen
            class HalfWriter:
                def __init__(self, f): self.f = f
                def __enter__(self): return self
                def __exit__(self, *exc): return False
                def write(self, data):
                    self.f.write(data[: len(data) // 2]); self.f.flush(); os._exit(3)
            os.fdopen = lambda fd, mode: HalfWriter(real_fdopen(fd, mode))
        else:
            real_fsync = os.fsync
            def fsync_then_die(fd):
                real_fsync(fd); os._exit(3)
            os.fsync = fsync_then_die
        minigrad.save({{"model": {{"w": minigrad.zeros(100000)}}, "epoch": 2}}, {str(path)!r})
        os._exit(0)  # not reached when the crash happened
    """)
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert path.read_bytes() == before
    assert same(old, minigrad.load(path))
    orphans = leftovers(tmp_path, path.name)
    assert len(orphans) == 1  # the dead process could not clean up its temporary file ...
    for name in orphans:  # ... which is hidden, never named like the checkpoint, and (mid-write) not loadable
        assert name.startswith(f".{path.name}.") and name.endswith(".tmp")
        if crash_point == "mid_write":
            assert_clear_error(tmp_path / name, (tmp_path / name).read_bytes())
    minigrad.save(old, path)  # ... and the next save removes it: its writer is dead
    assert leftovers(tmp_path, path.name) == []


KILL_LOOP = textwrap.dedent("""
    # Saves A and B alternately in a forked writer, SIGKILLs it at a random moment, checks the target, repeats.
    import json, math, os, random, signal, sys, time
    import numpy as np
    import minigrad
    path, rounds, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    folder, name = os.path.dirname(path), os.path.basename(path)
    n = 65536
    states = {1: {"model": {"w": minigrad.arange(float(n))}, "epoch": 1},
              2: {"model": {"w": -minigrad.arange(float(n)) - 1}, "epoch": 2}}
    save_seconds = math.inf  # kills land within ~4 saves, however loaded the machine
    for _ in range(3):
        started = time.perf_counter()
        minigrad.save(states[1], path)
        save_seconds = min(save_seconds, time.perf_counter() - started)
    rng = random.Random(seed)
    temporaries = lambda: sorted(f for f in os.listdir(folder) if f != name)
    report = {"loaded": {"1": 0, "2": 0}, "changed": 0, "killed": 0, "rounds_leaving_a_temporary": 0, "most_temporaries": 0}
    on_disk = 1
    for _ in range(rounds):
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer: save the other state, then this one, then the other ... until killed
            try:
                os.write(ready_w, b"1")  # the clock starts here, not at fork (whose cost varies a lot)
                i = 0
                while True:
                    minigrad.save(states[3 - on_disk if i % 2 == 0 else on_disk], path)
                    i += 1
            finally:
                os._exit(1)
        os.read(ready_r, 1)
        os.close(ready_r), os.close(ready_w)
        time.sleep(rng.uniform(0, 4 * save_seconds))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        report["killed"] += os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        before, got = on_disk, minigrad.load(path)  # must load (no exception) and be one whole state
        epoch = on_disk = got["epoch"]
        assert np.array_equal(got["model"]["w"].numpy(), states[epoch]["model"]["w"].numpy()), epoch
        report["changed"] += epoch != before
        report["loaded"][str(epoch)] += 1
        left = temporaries()
        report["rounds_leaving_a_temporary"] += bool(left)
        report["most_temporaries"] = max(report["most_temporaries"], len(left))
    minigrad.save(states[1], path)  # the next save after the last kill
    report["left_after_next_save"] = temporaries()
    print(json.dumps(report))
""")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill loop forks its writers (POSIX)")
def test_200_kills_during_save_leave_old_or_new_state_and_no_temporaries_after_the_next_save(tmp_path):
    """One interpreter forks a writer that saves two states alternately and SIGKILLs it at a random moment,
    200 times (forking, not starting 200 interpreters, keeps this at a few seconds). After every kill the
    target loads and equals one of the two states; stale temporaries never pile up (each writer's first
    save removes its dead predecessors'), and once a save has run after the last kill none is left."""
    path = tmp_path / "ckpt.safetensors"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", KILL_LOOP, str(path), "200", "0"], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    report = __import__("json").loads(result.stdout)
    assert report["killed"] == 200
    assert sum(report["loaded"].values()) == 200
    assert report["rounds_leaving_a_temporary"] >= 5  # the kills really landed mid-save ...
    assert 5 <= report["changed"] <= 195  # ... and after a rename too: both outcomes are exercised
    assert report["most_temporaries"] <= 2  # the killed writer's, and at most its predecessor's (killed
    # before its first save got going): they never accumulate
    assert report["left_after_next_save"] == []
    assert leftovers(tmp_path, path.name) == []


def temporary_name(target: Path, pid: int, host=None) -> Path:
    from minigrad.serialization import _HOST
    return target.parent / f".{target.name}.~minigrad-{host or _HOST}-{pid}-0123abcd.tmp"


def test_save_removes_dead_writers_temporaries_and_never_a_live_writers(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # exited and reaped: its pid names no process
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = temporary_name(path, dead.pid)
        stale_other_target = temporary_name(tmp_path / "other.safetensors", dead.pid)
        live_writer = temporary_name(path, live.pid)
        this_process = temporary_name(path, os.getpid())
        from minigrad.serialization import _HOST
        other_host = temporary_name(path, dead.pid, host="00000000" if _HOST != "00000000" else "11111111")
        unrelated = tmp_path / ".ckpt.safetensors.user-notes.tmp"
        for f in (stale, stale_other_target, live_writer, this_process, other_host, unrelated):
            f.write_bytes(b"partial")
        minigrad.save({"w": minigrad.ones(2)}, path)
        assert not stale.exists() and not stale_other_target.exists()
        assert live_writer.exists() and this_process.exists() and other_host.exists() and unrelated.exists()
    finally:
        live.kill()
        live.wait()


# ---- crafted files --------------------------------------------------------------------------------

def crafted(header: bytes, data: bytes = b"") -> bytes:
    return len(header).to_bytes(8, "little") + header + data


def with_structure(structure_json: str) -> bytes:
    """A file with valid checksums whose structure metadata is ``structure_json`` (the CRCs are no
    defence against a crafted file, so load must check the structure itself)."""
    import json
    from minigrad import serialization
    metadata = {"format": "minigrad", serialization.STRUCTURE_KEY: structure_json,
                serialization.CHECKSUM_KEY: json.dumps({"t": serialization._crc32(np.zeros(2, np.float32))})}
    metadata[serialization.HEADER_CHECKSUM_KEY] = str(serialization._metadata_crc32(metadata))
    return safetensors.numpy.save({"t": np.zeros(2, np.float32)}, metadata=metadata)


@pytest.mark.parametrize("case", [
    "header_nested_100000", "header_array_nested_100000", "structure_nested_600", "structure_list_nested_600",
    "structure_json_nested_100000", "shape_beyond_the_file", "shape_overflowing_64_bits", "negative_shape",
    "offsets_past_the_end", "offsets_reversed", "unknown_dtype", "entry_not_a_dict", "scalar_void_dtype",
    "scalar_huge_int", "dtype_marker_unknown", "device_marker_bad", "tuple_marker_not_a_list",
    "dict_marker_not_pairs", "dict_key_unhashable", "two_markers", "tensor_key_not_a_string",
    "tensor_key_missing", "int_tensor_requires_grad"])
def test_crafted_file_gives_the_one_clear_error_before_allocating(tmp_path, case):
    deep = 100_000
    big = [2**31, 2**31]
    files = {
        "header_nested_100000": lambda: crafted(b'{"a":' * deep + b"1" + b"}" * deep),
        "header_array_nested_100000": lambda: crafted(b"[" * deep + b"]" * deep),
        "structure_nested_600": lambda: with_structure('{"a":' * 600 + "1" + "}" * 600),
        "structure_list_nested_600": lambda: with_structure("[" * 600 + "]" * 600),
        "structure_json_nested_100000": lambda: with_structure("[" * deep + "]" * deep),
        "shape_beyond_the_file": lambda: crafted(b'{"t":{"dtype":"F32","shape":%s,"data_offsets":[0,8]}}'
                                                 % str(big).encode(), b"\0" * 8),
        "shape_overflowing_64_bits": lambda: crafted(b'{"t":{"dtype":"F64","shape":[4611686018427387904,4],'
                                                     b'"data_offsets":[0,0]}}'),
        "negative_shape": lambda: crafted(b'{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', b"\0" * 8),
        "offsets_past_the_end": lambda: crafted(b'{"t":{"dtype":"U8","shape":[9],"data_offsets":[0,9]}}', b"\0" * 8),
        "offsets_reversed": lambda: crafted(b'{"t":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}', b"\0" * 8),
        "unknown_dtype": lambda: crafted(b'{"t":{"dtype":"X99","shape":[1],"data_offsets":[0,1]}}', b"\0"),
        "entry_not_a_dict": lambda: crafted(b'{"t":[1,2,3]}'),
        "scalar_void_dtype": lambda: with_structure('{"s":{"__scalar__":["V1000000000000",0]}}'),
        "scalar_huge_int": lambda: with_structure('{"s":{"__scalar__":["int8",100000]}}'),
        "dtype_marker_unknown": lambda: with_structure('{"d":{"__dtype__":"complex1024"}}'),
        "device_marker_bad": lambda: with_structure('{"d":{"__device__":"tpu:7"}}'),
        "tuple_marker_not_a_list": lambda: with_structure('{"d":{"__tuple__":5}}'),
        "dict_marker_not_pairs": lambda: with_structure('{"d":{"__dict__":[[1]]}}'),
        "dict_key_unhashable": lambda: with_structure('{"d":{"__dict__":[[{"a":1},2]]}}'),
        "two_markers": lambda: with_structure('{"d":{"__tuple__":[],"__dtype__":"float32"}}'),
        "tensor_key_not_a_string": lambda: with_structure('{"d":{"__tensor__":[1]}}'),
        "tensor_key_missing": lambda: with_structure('{"d":{"__tensor__":"nope"}}'),
        "int_tensor_requires_grad": lambda: with_structure('{"d":{"__tensor__":"t","requires_grad":true}}'),
    }
    data = files[case]()
    if case == "int_tensor_requires_grad":  # the same file but with an int tensor
        data = data.replace(b'"F32"', b'"I32"')
        from minigrad import serialization
        import json
        header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
        metadata = header["__metadata__"]
        metadata[serialization.CHECKSUM_KEY] = json.dumps({"t": serialization._crc32(np.zeros(2, np.int32))})
        metadata[serialization.HEADER_CHECKSUM_KEY] = str(serialization._metadata_crc32(metadata))
        data = safetensors.numpy.save({"t": np.zeros(2, np.int32)}, metadata=metadata)
    assert_clear_error(tmp_path / f"{case}.safetensors", data)


def test_save_refuses_an_object_nested_deeper_than_load_reads(tmp_path):
    from minigrad.serialization import MAX_DEPTH
    deep = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels deep"):
        minigrad.save({"x": deep}, tmp_path / "deep.safetensors")
    assert not any(tmp_path.iterdir())  # refused before a byte was written
    ok = []
    for _ in range(MAX_DEPTH - 5):
        ok = [ok]
    minigrad.save({"x": ok}, tmp_path / "ok.safetensors")
    assert minigrad.load(tmp_path / "ok.safetensors")["x"] == ok


def test_save_to_a_file_object_and_load_from_one():
    buffer = io.BytesIO()
    minigrad.save({"w": minigrad.ones(2), "step": 3}, buffer)
    loaded = minigrad.load(io.BytesIO(buffer.getvalue()))
    assert loaded["step"] == 3 and np.array_equal(loaded["w"].numpy(), [1.0, 1.0])


def test_new_checkpoint_gets_ordinary_file_permissions(tmp_path):
    path = tmp_path / "perm.safetensors"
    minigrad.save({"w": minigrad.ones(1)}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
