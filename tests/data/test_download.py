"""Downloads against a loopback HTTP server: MD5 checked, mirrors retried, nothing partial left behind."""
import shutil
from pathlib import Path

import numpy as np
import pytest

from minigrad.data import CIFAR10, MNIST
from minigrad.data.download import DownloadError, download_url, extract_tar

from conftest import make_cifar10_folder, make_mnist_raw, make_tar_gz, md5_of

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture
def served_mnist(http_root, tmp_path):
    """good/ holds four synthetic MNIST files; wrong/ holds files of the same names with other bytes."""
    base, served = http_root
    made = make_mnist_raw(served / "good", seed=1)
    make_mnist_raw(served / "wrong", seed=2)

    class TinyMNIST(MNIST):
        resources = [(name, md5_of(served / "good" / name)) for name in NAMES]
        mirrors = [f"{base}/good/"]

    return base, served, TinyMNIST, made


def _leftovers(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*")) if Path(folder).exists() else []


def test_download_fetches_verifies_and_loads(served_mnist, tmp_path):
    base, served, TinyMNIST, made = served_mnist
    ds = TinyMNIST(tmp_path / "root", download=True)
    np.testing.assert_array_equal(ds.data, made["train"][0])
    assert _leftovers(Path(ds.raw_folder)) == sorted(NAMES)
    for name in NAMES:
        assert md5_of(Path(ds.raw_folder) / name) == md5_of(served / "good" / name)


@pytest.mark.parametrize("bad_mirror", ["missing", "wrong", "truncated"])
def test_a_failing_first_mirror_is_skipped(served_mnist, tmp_path, bad_mirror):
    base, served, TinyMNIST, made = served_mnist
    ds = TinyMNIST(tmp_path / "root", download=True, mirrors=[f"{base}/{bad_mirror}/", f"{base}/good/"])
    np.testing.assert_array_equal(ds.data, made["train"][0])
    assert _leftovers(Path(ds.raw_folder)) == sorted(NAMES)


def test_all_mirrors_failing_raises_a_clear_error_and_leaves_nothing(served_mnist, tmp_path):
    base, served, TinyMNIST, made = served_mnist
    mirrors = [f"{base}/missing/", f"{base}/wrong/", f"{base}/truncated/"]
    root = tmp_path / "root"
    with pytest.raises(DownloadError) as info:
        TinyMNIST(root, download=True, mirrors=mirrors)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert all(m + "train-images-idx3-ubyte.gz" in message for m in mirrors)
    assert "404" in message and "checksum mismatch" in message
    assert _leftovers(root / "TinyMNIST" / "raw") == []  # no partial or unverified file, not even hidden ones


def test_mirror_list_can_come_from_the_environment(served_mnist, tmp_path, monkeypatch):
    base, served, TinyMNIST, made = served_mnist
    TinyMNIST.mirrors = ["http://127.0.0.1:9/nowhere/"]  # a closed port: only the env list can succeed
    monkeypatch.setenv("MINIGRAD_MIRRORS", f"{base}/missing/, {base}/good/")
    ds = TinyMNIST(tmp_path / "root", download=True)
    np.testing.assert_array_equal(ds.targets, made["train"][1])


def test_existing_readable_files_are_kept_even_with_other_md5s(served_mnist, tmp_path):
    base, served, TinyMNIST, made = served_mnist
    root = tmp_path / "root"
    local = make_mnist_raw(root / "TinyMNIST" / "raw", seed=3)  # parses, but MD5s differ from `resources`
    ds = TinyMNIST(root, download=True, mirrors=[f"{base}/missing/"])  # a download attempt would fail
    np.testing.assert_array_equal(ds.data, local["train"][0])


def test_corrupt_existing_file_is_replaced_by_download(served_mnist, tmp_path):
    base, served, TinyMNIST, made = served_mnist
    root = tmp_path / "root"
    make_mnist_raw(root / "TinyMNIST" / "raw", seed=3)
    (root / "TinyMNIST" / "raw" / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    ds = TinyMNIST(root, download=True)
    np.testing.assert_array_equal(ds.data, made["train"][0])


def test_download_url_keeps_a_verified_file_without_fetching(http_root, tmp_path):
    base, served = http_root
    (served / "f.bin").write_bytes(b"hello")
    first = download_url([f"{base}/"], tmp_path, "f.bin", md5_of(served / "f.bin"))
    (served / "f.bin").unlink()  # a second fetch would now 404
    assert download_url([f"{base}/"], tmp_path, "f.bin", md5_of(first)) == first


def test_cifar10_download_extracts_the_verified_archive(http_root, tmp_path):
    base, served = http_root
    made = make_cifar10_folder(tmp_path / "build", per_batch=2)
    archive = make_tar_gz(served / "cifar-10-python.tar.gz", tmp_path / "build", "cifar-10-batches-py")

    class TinyCIFAR10(CIFAR10):
        tgz_md5 = md5_of(archive)

    root = tmp_path / "root"
    ds = TinyCIFAR10(root, download=True, mirrors=[f"{base}/missing/", f"{base}/"])
    assert len(ds) == 10 and ds.targets[:2] == [int(v) for v in made["data_batch_1"][1]]
    assert _leftovers(root) == sorted(["cifar-10-batches-py"] + [f"cifar-10-batches-py/{n}" for n in
                                       ["batches.meta", "data_batch_1", "data_batch_2", "data_batch_3",
                                        "data_batch_4", "data_batch_5", "test_batch"]])


def test_cifar10_archive_with_wrong_md5_is_rejected(http_root, tmp_path):
    base, served = http_root
    make_cifar10_folder(tmp_path / "build", per_batch=1)
    make_tar_gz(served / "cifar-10-python.tar.gz", tmp_path / "build", "cifar-10-batches-py")
    with pytest.raises(DownloadError, match="checksum mismatch"):
        CIFAR10(tmp_path / "root", download=True, mirrors=[f"{base}/"])  # the official MD5 cannot match
    assert _leftovers(tmp_path / "root") == []


def test_extract_refuses_members_outside_the_expected_folder(tmp_path):
    import io
    import tarfile
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("cifar-10-batches-py/../../escaped")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    (tmp_path / "root").mkdir()
    with pytest.raises(ValueError, match="refusing to extract"):
        extract_tar(archive, tmp_path / "root", "cifar-10-batches-py")
    assert not (tmp_path / "escaped").exists() and _leftovers(tmp_path / "root") == []


# ---- no internet: one clear message saying where to put the files ----------------------------------
def _closed_port_mirror():
    """A loopback URL nothing listens on (a port just bound and released): connections are refused."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.mark.parametrize("cls, files", [
    (MNIST, [f"MNIST/raw/{name}" for name in NAMES]),
    (CIFAR10, [f"cifar-10-batches-py/{n}" for n in ["data_batch_1", "data_batch_5", "test_batch", "batches.meta"]]),
])
def test_unreachable_mirrors_give_the_exact_files_to_put_in_place(tmp_path, cls, files):
    mirror = _closed_port_mirror()
    with pytest.raises(RuntimeError) as info:
        cls(tmp_path, download=True, mirrors=[mirror])
    message = str(info.value)
    assert isinstance(info.value, DownloadError) and info.value.__suppress_context__
    assert f"Could not download {cls.__name__}" in message and mirror in message and "refused" in message
    for f in files:
        assert f"  {tmp_path / f}\n" in message
    assert f"root={str(tmp_path)!r}" in message


def test_example_script_exits_with_the_message_and_no_traceback(tmp_path):
    import os
    import subprocess
    import sys
    script = Path(__file__).resolve().parents[2] / "examples" / "mnist_cnn.py"
    env = dict(os.environ, MINIGRAD_MIRRORS=_closed_port_mirror())
    env.pop("MINIGRAD_DATA", None)
    out = subprocess.run([sys.executable, str(script), "--data-root", str(tmp_path), "--out", str(tmp_path / "run")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and out.stderr.startswith("error: Could not download MNIST")
    assert f"  {tmp_path / 'MNIST' / 'raw' / 'train-images-idx3-ubyte.gz'}\n" in out.stderr
    assert "--data-root DIR" in out.stderr and "$MINIGRAD_DATA" in out.stderr
