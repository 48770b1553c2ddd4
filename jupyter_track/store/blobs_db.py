"""Blobs of a PostgreSQL store: in the database up to a size threshold, larger ones in a shared folder.

A store on a server is shared by machines that have no folder in common by default, so its blobs (media,
notebook snapshots, saved files, artifact files, tables) are kept in the database itself — every reader on every
machine sees them, they are in the server's backups, and nothing else needs configuring. Each blob is one
``blobs`` row and its bytes in ``blob_parts`` rows of 1 MiB, so a large one is written and read in bounded memory.

Above ``JUPYTER_TRACK_BLOB_DB_MAX`` (64 MiB by default: model checkpoints, large datasets) a blob goes to the
folder ``JUPYTER_TRACK_BLOB_DIR`` names (a mount every machine shares, laid out like the SQLite store's ``blobs``
folder); without one such a blob is refused with that advice rather than bloating the database.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .. import settings
from ..errors import StoreError
from .blobs import BlobStore, check_sha, hash_file
from .schema import blob_parts, blobs

PART = 1 << 20  # bytes per blob_parts row


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n:,} bytes"


class DatabaseBlobStore(BlobStore):
    """Blobs in the store's database (``size <= max_bytes``), larger ones under ``folder`` when one is given.

    Example::

        blobs = DatabaseBlobStore(engine, folder=None, max_bytes=64 << 20)
        sha = blobs.put_bytes(b"png bytes")      # one blobs row + one blob_parts row, in one transaction
        blobs.read_bytes(sha)
    """

    def __init__(self, engine: Engine, folder: str | os.PathLike[str] | None = None,
                 max_bytes: int | None = None) -> None:
        self.engine = engine
        self.root = Path(folder).expanduser() if folder else None
        self.max_bytes = int(settings.BLOB_DB_MAX.number()) if max_bytes is None else max_bytes

    # -- where a blob is ----------------------------------------------------------------------------------------
    def _size_in_db(self, sha: str) -> int | None:
        with self.engine.connect() as conn:
            found = conn.scalar(sa.select(blobs.c.size).where(blobs.c.sha == check_sha(sha)))
        return None if found is None else int(found)

    def _in_db(self, sha: str) -> bool:
        return self._size_in_db(sha) is not None

    def _in_folder(self, sha: str) -> bool:
        return self.root is not None and super().path(sha).is_file()

    def exists(self, sha: str) -> bool:
        return self._in_db(sha) or self._in_folder(sha)

    def where(self, sha: str) -> str:
        if self.root is not None and not self._in_db(sha):
            return str(super().path(sha))
        return f"the store's database (blob {check_sha(sha)})"

    # -- writes -------------------------------------------------------------------------------------------------
    def _too_large(self, size: int) -> StoreError:
        return StoreError(
            f"a blob of {_mib(size)} is larger than {settings.BLOB_DB_MAX.name} ({_mib(self.max_bytes)}), the "
            f"largest kept in a PostgreSQL store's database: set {settings.BLOB_DIR.name} to a folder every "
            f"machine mounts for larger blobs, or raise {settings.BLOB_DB_MAX.name}")

    def put_bytes(self, data: bytes) -> str:
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        if len(data) > self.max_bytes:
            if self.root is None:
                raise self._too_large(len(data))
            return super().put_bytes(data)
        self._insert(sha, len(data), (data[i:i + PART] for i in range(0, max(len(data), 1), PART)))
        return sha

    def put_file(self, source: str | os.PathLike[str], progress: Callable[[int], object] | None = None
                 ) -> tuple[str, int]:
        if self.root is not None and os.path.getsize(source) > self.max_bytes:
            return super().put_file(source, progress)
        sha, size = hash_file(source, progress)
        if size > self.max_bytes:  # grew while it was hashed
            if self.root is None:
                raise self._too_large(size)
            return super().put_file(source)
        with open(source, "rb") as f:
            self._insert(sha, size, iter(lambda: f.read(PART) or None, None), check=True)
        return sha, size

    def _insert(self, sha: str, size: int, parts: Iterator[bytes | None], check: bool = False) -> None:
        """Write the blob row and its parts in one transaction; a blob another writer stored first is left as it
        is (the primary key makes the second writer wait for the first, then skip)."""
        from sqlalchemy.dialects.postgresql import insert

        with self.engine.begin() as conn:
            made = conn.scalar(insert(blobs).values(sha=sha, size=size, created_at=time.time())
                               .on_conflict_do_nothing(index_elements=["sha"]).returning(blobs.c.sha))
            if made is None:
                return
            written = 0
            for number, part in enumerate(parts):
                if part is None:
                    break
                conn.execute(blob_parts.insert().values(sha=sha, part=number, data=part))
                written += len(part)
            if written == 0:
                conn.execute(blob_parts.insert().values(sha=sha, part=0, data=b""))
            if check and written != size:  # the file changed between hashing and copying: keep nothing
                raise StoreError(f"blob {sha} changed while it was stored ({written} bytes read, {size} hashed); "
                                 "store it again once it is no longer being written")

    # -- reads (a blob not in the database is read from the folder: the base class, through path()) -------------
    def open(self, sha: str) -> BinaryIO:
        size = self._size_in_db(sha)
        if size is None:
            return super().open(sha)
        return io.BufferedReader(_PartsReader(self.engine, sha, size), buffer_size=PART)

    def read_bytes(self, sha: str) -> bytes:
        query = sa.select(blob_parts.c.data).where(blob_parts.c.sha == check_sha(sha)).order_by(blob_parts.c.part)
        with self.engine.connect() as conn:
            if conn.scalar(sa.select(blobs.c.size).where(blobs.c.sha == sha)) is not None:
                return b"".join(conn.scalars(query))
        return super().read_bytes(sha)

    def size(self, sha: str) -> int:
        found = self._size_in_db(sha)
        return found if found is not None else super().size(sha)

    def modified(self, sha: str) -> float:
        with self.engine.connect() as conn:
            found = conn.scalar(sa.select(blobs.c.created_at).where(blobs.c.sha == check_sha(sha)))
        return float(found) if found is not None else super().modified(sha)

    def delete(self, sha: str) -> int:
        with self.engine.begin() as conn:
            size = conn.scalar(sa.select(blobs.c.size).where(blobs.c.sha == check_sha(sha)))
            if size is not None:
                conn.execute(blob_parts.delete().where(blob_parts.c.sha == sha))
                conn.execute(blobs.delete().where(blobs.c.sha == sha))
                return int(size)
        return super().delete(sha)

    def __iter__(self) -> Iterator[str]:
        with self.engine.connect() as conn:
            found = list(conn.scalars(sa.select(blobs.c.sha).order_by(blobs.c.sha)))
        yield from found
        if self.root is not None:
            yield from super().__iter__()

    def path(self, sha: str) -> Path:
        """The file of blob ``sha`` in the shared folder; a :class:`StoreError` for one kept in the database, or
        for one that is nowhere when there is no folder (what the base class's reads say of a missing blob)."""
        if self._in_db(sha):
            raise StoreError(f"blob {sha} is kept in the store's database, not in a file")
        if self.root is None:
            raise StoreError(f"blob {sha} is missing from the store's database")
        return super().path(sha)


class _PartsReader(io.RawIOBase):
    """A blob's bytes read from the database one part at a time (a download never holds the whole blob)."""

    def __init__(self, engine: Engine, sha: str, size: int) -> None:
        self._engine, self._sha, self._size = engine, sha, size
        self._part, self._buffer, self._at = 0, memoryview(b""), 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        if self._at >= len(self._buffer):
            query = sa.select(blob_parts.c.data).where(blob_parts.c.sha == self._sha, blob_parts.c.part == self._part)
            with self._engine.connect() as conn:
                data = conn.scalar(query)
            if data is None:
                return 0
            self._buffer, self._at, self._part = memoryview(bytes(data)), 0, self._part + 1
        n = min(len(target), len(self._buffer) - self._at)
        target[:n] = self._buffer[self._at:self._at + n]  # a view: no copy of the rest of the part
        self._at += n
        return n
