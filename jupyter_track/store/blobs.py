"""Content-addressed blobs: files named by their SHA-256, so identical content is stored once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .. import settings
from ..errors import StoreError
from ..whole_files import write_whole
from .urls import sqlite_path

_SHA = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def check_sha(sha: str) -> str:
    """``sha`` when it is a blob id (64 lowercase hex digits); else a :class:`StoreError`."""
    if not isinstance(sha, str) or not _SHA.match(sha):
        raise StoreError(f"{sha!r} is not a blob id (64 hex digits)")
    return sha


def hash_file(source: str | os.PathLike[str], progress: Callable[[int], object] | None = None) -> tuple[str, int]:
    """(SHA-256, size) of a file, read in 1 MiB blocks (memory stays flat); ``progress`` gets each block's length."""
    import hashlib  # here, not at the top: init() imports this module, and hashlib costs it 2 ms

    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
            size += len(block)
            if progress is not None:
                progress(len(block))
    return digest.hexdigest(), size


def blob_root_for(url: str) -> Path:
    """Where the blobs of the SQLite store at ``url`` live: beside its file (else in the store folder)."""
    path = sqlite_path(url)
    return (path.parent if path is not None else settings.store_dir()) / "blobs"


class BlobStore:
    """Blobs under ``root/ab/cdef…``; writes are atomic (temp file + rename).

    This is the interface every blob reader uses (``put_bytes``/``put_file``, ``open``/``read_bytes``, ``exists``,
    ``size``, ``modified``, ``delete``, iteration for gc, ``where`` for messages); a PostgreSQL store keeps its
    blobs in the database instead (:class:`~jupyter_track.store.blobs_db.DatabaseBlobStore`). ``root`` is the
    local folder of the blobs, None where there is none.
    """

    root: Path | None

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """The file of blob ``sha`` (in a folder-backed store)."""
        if self.root is None:
            raise StoreError(f"blob {check_sha(sha)} is kept in the database, not in a file")
        return self.root / check_sha(sha)[:2] / sha[2:]

    def where(self, sha: str) -> str:
        """Where blob ``sha`` is (or would be) kept, for messages."""
        return str(self.path(sha))

    def size(self, sha: str) -> int:
        try:
            return self.path(sha).stat().st_size
        except FileNotFoundError:
            raise StoreError(f"blob {sha} is missing from {self.root}") from None

    def modified(self, sha: str) -> float:
        """When blob ``sha`` was stored (seconds since the epoch): gc spares recent ones."""
        try:
            return self.path(sha).stat().st_mtime
        except FileNotFoundError:
            raise StoreError(f"blob {sha} is missing from {self.root}") from None

    def exists(self, sha: str) -> bool:
        return self.path(sha).exists()

    def put_bytes(self, data: bytes) -> str:
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write(sha, [data])
        return sha

    def put_file(self, source: str | os.PathLike[str], progress: Callable[[int], object] | None = None
                 ) -> tuple[str, int]:
        """Store a file, hashing it in 1 MiB chunks so memory stays flat; returns (sha, size).

        ``progress`` is called with the length of each block hashed (e.g. a progress bar's ``update``)."""
        sha, size = hash_file(source, progress)
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
        if self.root is None or not self.root.exists():
            return
        for sub in self.root.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                for f in sub.iterdir():
                    if _SHA.match(sub.name + f.name):
                        yield sub.name + f.name

    def _write(self, sha: str, blocks: Iterable[bytes]) -> None:
        write_whole(self.path(sha), blocks)


class DeferredBlobStore(BlobStore):
    """The blobs of a store opened only when first used (``opener``): a run on a server store starts logging
    before the store (and SQLAlchemy) is loaded, and opens it when it stores its first blob."""

    def __init__(self, opener: Callable[[], BlobStore]) -> None:
        self._opener = opener
        self._target: BlobStore | None = None
        self.root = None  # not known before the store is opened; every method asks the target

    @property
    def target(self) -> BlobStore:
        if self._target is None:
            self._target = self._opener()
        return self._target

    def path(self, sha: str) -> Path:
        return self.target.path(sha)

    def where(self, sha: str) -> str:
        return self.target.where(sha)

    def size(self, sha: str) -> int:
        return self.target.size(sha)

    def modified(self, sha: str) -> float:
        return self.target.modified(sha)

    def exists(self, sha: str) -> bool:
        return self.target.exists(sha)

    def put_bytes(self, data: bytes) -> str:
        return self.target.put_bytes(data)

    def put_file(self, source: str | os.PathLike[str], progress: Callable[[int], object] | None = None
                 ) -> tuple[str, int]:
        return self.target.put_file(source, progress)

    def open(self, sha: str) -> BinaryIO:
        return self.target.open(sha)

    def read_bytes(self, sha: str) -> bytes:
        return self.target.read_bytes(sha)

    def delete(self, sha: str) -> int:
        return self.target.delete(sha)

    def __iter__(self) -> Iterator[str]:
        return iter(self.target)
