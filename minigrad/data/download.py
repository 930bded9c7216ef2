"""Downloading data set files safely: mirrors tried in turn, MD5 checked, nothing partial left behind.

``download_url`` streams a file into a hidden temporary file beside its destination while hashing it,
and renames it into place only when the MD5 matches; on any failure (HTTP error, network error,
wrong checksum, Ctrl-C) the temporary file is removed, so a file at the destination path is always
complete and verified. Mirrors are tried in order; the error, if all fail, lists every attempt.

The ``MINIGRAD_MIRRORS`` environment variable (base URLs separated by commas or spaces) replaces every
data set's mirror list, e.g. to use a local copy or, in tests, a server on 127.0.0.1.

    >>> download_url(["https://ossci-datasets.s3.amazonaws.com/mnist/"], "data/MNIST/raw",
    ...              "train-labels-idx1-ubyte.gz", md5="d53e105ee54ea40749a09fcbcd1e9432")
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["download_url", "check_md5", "md5sum", "mirrors_from_env", "extract_tar", "DownloadError"]

USER_AGENT = "minigrad-data"
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """Every mirror failed for a file."""


def mirrors_from_env(default) -> list[str]:
    """``$MINIGRAD_MIRRORS`` split into base URLs when set, else ``default``."""
    value = os.environ.get("MINIGRAD_MIRRORS", "").replace(",", " ").split()
    return value or list(default)


def md5sum(path, chunk_size: int = _CHUNK) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_md5(path, md5: str | None) -> bool:
    """Whether ``path`` exists and (when ``md5`` is given) has that MD5."""
    path = Path(path)
    return path.is_file() and (md5 is None or md5sum(path) == md5)


def _join(base: str, filename: str) -> str:
    return base if base.endswith(filename) else base.rstrip("/") + "/" + filename


def _progress_bar(total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False, disable=None)


def _fetch_to(url: str, destination: Path, md5: str | None, timeout: float) -> None:
    """Stream ``url`` into a temporary file beside ``destination``; rename it there only if the MD5 matches."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            bar = _progress_bar(int(length) if length else None, destination.name)
            try:
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
        if md5 is not None and digest.hexdigest() != md5:
            raise ValueError(f"checksum mismatch: MD5 {digest.hexdigest()}, expected {md5}")
        os.replace(temporary, destination)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def download_url(mirrors, root, filename: str, md5: str | None = None, timeout: float = 60.0) -> Path:
    """Download ``filename`` into ``root`` from the first mirror that serves it with the right MD5.

    ``mirrors`` are base URLs (``filename`` is appended) or full URLs ending in ``filename``. An existing
    file with the right MD5 is kept. Raises ``DownloadError`` naming every URL tried and why it failed.
    """
    root = Path(root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    destination = root / filename
    if md5 is not None and check_md5(destination, md5):
        return destination
    errors = []
    for base in mirrors:
        url = _join(base, filename)
        print(f"Downloading {url} to {destination}", flush=True)
        try:
            _fetch_to(url, destination, md5, timeout)
            return destination
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError, EOFError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError) else exc
            errors.append(f"  {url}: {reason}")
            print(f"Failed to download (trying next mirror):\n{reason}", flush=True)
    raise DownloadError(f"Error downloading {filename}: every mirror failed:\n" + "\n".join(errors))


def extract_tar(archive, destination_root, member_root: str) -> Path:
    """Extract the ``member_root/`` folder of a tar archive into ``destination_root`` atomically.

    Members are checked before anything is written: only regular files and folders under ``member_root``,
    no absolute paths, no ``..``, no links. Extraction goes to a temporary folder that is renamed to
    ``destination_root/member_root`` at the end, so a half-extracted folder never looks complete.
    """
    destination_root = Path(destination_root)
    final = destination_root / member_root
    staging = Path(tempfile.mkdtemp(prefix=f".{member_root}.", suffix=".part", dir=destination_root))
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                parts = Path(m.name).parts
                if (m.name.startswith("/") or ".." in parts or not (m.isfile() or m.isdir())
                        or not parts or parts[0] != member_root):
                    raise ValueError(f"refusing to extract unexpected archive member {m.name!r} from {archive}")
            for m in members:
                target = staging / m.name
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(m) as src, open(target, "wb") as dst:
                    for chunk in iter(lambda: src.read(_CHUNK), b""):
                        dst.write(chunk)
        extracted = staging / member_root
        extracted.mkdir(exist_ok=True)
        if final.exists():
            import shutil
            shutil.rmtree(final)
        os.replace(extracted, final)
        return final
    finally:
        import shutil
        shutil.rmtree(staging, ignore_errors=True)
