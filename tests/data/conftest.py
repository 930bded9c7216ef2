"""Writers for small synthetic files in the standard formats, a loopback HTTP server, and torchvision as an
oracle (skipped when it cannot be imported)."""
import gzip
import hashlib
import http.server
import io
import os
import pickle
import struct
import sys
import tarfile
import threading
import types
from pathlib import Path

import numpy as np
import pytest


def write_idx(path, array: np.ndarray, compress=True) -> Path:
    """IDX: 0, 0, type code 0x08 (uint8), ndim, big-endian int32 sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    raw = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw, mtime=0) if compress else raw)
    return path


def make_mnist_raw(raw_folder, n_train=12, n_test=5, seed=0, compress=True):
    """The four MNIST files with random images and labels; returns {name: (images, labels)}."""
    rng = np.random.default_rng(seed)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(Path(raw_folder) / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(Path(raw_folder) / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
        out[prefix] = (images, labels)
    return out


def write_cifar_batch(path, data: np.ndarray, labels, labels_key="labels", protocol=2):
    entry = {"batch_label": "synthetic", labels_key: [int(v) for v in labels], "data": data,
             "filenames": [f"img{k}.png" for k in range(len(labels))]}
    Path(path).write_bytes(pickle.dumps(entry, protocol=protocol))


def make_cifar10_folder(root, per_batch=4, seed=0, protocol=2):
    """root/cifar-10-batches-py with 5 train batches, a test batch and batches.meta; returns the arrays."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch)
        write_cifar_batch(folder / name, data, labels, protocol=protocol)
        made[name] = (data, labels)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names, "num_vis": 3072}, protocol=protocol))
    return made


def md5_of(path) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def make_tar_gz(path, source_root, member_root):
    with tarfile.open(path, "w:gz") as tar:
        tar.add(Path(source_root) / member_root, arcname=member_root)
    return Path(path)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; /truncated/NAME announces more bytes than it sends, then hangs up."""

    def do_GET(self):
        if self.path.startswith("/truncated/"):
            body = (Path(self.directory) / "good" / self.path.split("/")[-1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path):
    """(base_url, served_folder): an HTTP server on 127.0.0.1 (port 0) serving a temporary folder."""
    served = tmp_path / "served"
    served.mkdir()

    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(served), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---- torchvision as the oracle ------------------------------------------------------------------------
# PyPI's torchvision wheels are CUDA builds: beside the CPU torch (torch==2.13.0 from the CPU index) their
# compiled ops extension cannot load (it links libc10_cuda.so), and `import torchvision` then fails in
# torchvision._meta_registrations with "operator torchvision::nms does not exist". The transforms,
# utils and datasets tested here need none of those ops, so the import is retried with that module
# stubbed. $MINIGRAD_TORCHVISION may name a folder holding torchvision (and Pillow) installed with
# `pip install --no-deps --target DIR torchvision==0.28.0 pillow`, which leaves site-packages' torch alone.
if os.environ.get("MINIGRAD_TORCHVISION"):
    sys.path.insert(0, os.environ["MINIGRAD_TORCHVISION"])


def import_torchvision():
    """torchvision, or None when it (or torch, or Pillow) is not importable."""
    try:
        import torch  # noqa: F401
        import PIL.Image  # noqa: F401
    except ImportError:
        return None
    try:
        import torchvision
        return torchvision
    except ImportError:
        return None
    except RuntimeError as exc:
        if "torchvision::" not in str(exc):
            raise
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision
    return torchvision


@pytest.fixture(scope="session")
def torchvision():
    module = import_torchvision()
    if module is None:
        pytest.skip("torchvision (with torch and Pillow) is not importable")
    return module


@pytest.fixture(scope="session")
def Image():
    return pytest.importorskip("PIL.Image")
