"""Content-addressed blobs: files named by their SHA-256, so identical content is stored once."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .. import settings
from ..errors import StoreError

_SHA = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def blob_root_for(url: str) -> Path:
    """Where the blobs of the store at ``url`` live: beside an SQLite file, else in the store folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and len(url) > len(prefix):
        return Path(url[len(prefix):]).expanduser().parent / "blobs"
    return settings.store_dir() / "blobs"


class BlobStore:
    """Blobs under ``root/ab/cdef…``; writes are atomic (temp file + rename)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        if not _SHA.match(sha):
            raise StoreError(f"{sha!r} is not a blob id (64 hex digits)")
        return self.root / sha[:2] / sha[2:]

    def exists(self, sha: str) -> bool:
        return self.path(sha).exists()

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write(sha, [data])
        return sha

    def put_file(self, source: str | os.PathLike[str], progress: Callable[[int], object] | None = None
                 ) -> tuple[str, int]:
        """Store a file, hashing it in 1 MiB chunks so memory stays flat; returns (sha, size).

        ``progress`` is called with the length of each block hashed (e.g. a progress bar's ``update``)."""
        digest = hashlib.sha256()
        size = 0
        with open(source, "rb") as f:
            for block in iter(lambda: f.read(_CHUNK), b""):
                digest.update(block)
                size += len(block)
                if progress is not None:
                    progress(len(block))
        sha = digest.hexdigest()
        if not self.exists(sha):
            with open(source, "rb") as f:
                self._write(sha, iter(lambda: f.read(_CHUNK), b""))
        return sha, size

    def open(self, sha: str) -> BinaryIO:
        try:
            return open(self.path(sha), "rb")
        except FileNotFoundError:
            raise StoreError(f"blob {sha} is missing from {self.root}") from None

    def read_bytes(self, sha: str) -> bytes:
        with self.open(sha) as f:
            return f.read()

    def delete(self, sha: str) -> int:
        path = self.path(sha)
        size = path.stat().st_size
        path.unlink()
        return size

    def __iter__(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for sub in self.root.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for f in sub.iterdir():
                    if _SHA.match(sub.name + f.name):
                        yield sub.name + f.name

    def _write(self, sha: str, blocks: Iterator[bytes] | list[bytes]) -> None:
        target = self.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                for block in blocks:
                    f.write(block)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
