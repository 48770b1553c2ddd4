"""Test helpers that look into the store in use, whichever backend the `backend` fixture chose (SQLite or
PostgreSQL), with a plain engine of their own: row counts, blob listings, a lock that stalls the writer; and a
store's files made read-only for real."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from jupyter_track import settings
from jupyter_track.store import settle
from jupyter_track.store.base import RunWrite
from jupyter_track.store.urls import driver_url, sqlite_path


def engine(url: str | None = None) -> sa.Engine:
    """A plain engine on the store at ``url`` (default: the one in use); not a store (no schema is made)."""
    url = url or settings.store_url()
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(driver_url(url))


def sql(statement: str, url: str | None = None, **params: Any) -> list[tuple[Any, ...]]:
    """Run ``statement`` on the store in use in its own transaction; its rows ([] when it returns none). Like every
    reader in this process it first lets this process's writer store what was logged (finish() hands over)."""
    settle(url or settings.store_url())
    made = engine(url)
    try:
        with made.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        made.dispose()


def note_inserts(table: str, *columns: str, url: str | None = None) -> Callable[[], list[tuple[Any, ...]]]:
    """Have the store note ``columns`` of each row inserted into ``table`` from now on (a trigger, on either
    backend). Returns a function that reads the notes so far, without first letting this process's writer store
    what it holds (as :func:`sql` does)."""
    url = url or settings.store_url()
    notes = f"inserted_{table}"
    new = ", ".join(f"NEW.{c}" for c in columns)
    sql(f"CREATE TABLE {notes} ({', '.join(f'{c} TEXT' for c in columns)})", url)
    if url.startswith("postgresql"):
        sql(f"CREATE FUNCTION note_{table}() RETURNS trigger AS $$ BEGIN INSERT INTO {notes} VALUES ({new}); "
            "RETURN NEW; END $$ LANGUAGE plpgsql", url)
        sql(f"CREATE TRIGGER note AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION note_{table}()", url)
    else:
        sql(f"CREATE TRIGGER note AFTER INSERT ON {table} BEGIN INSERT INTO {notes} VALUES ({new}); END", url)

    def read() -> list[tuple[Any, ...]]:
        made = engine(url)
        try:
            with made.connect() as conn:
                return [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {notes}"))]
        finally:
            made.dispose()

    return read


def count_points(run_id: str, key: str, url: str | None = None) -> int:
    """Points of a metric durable in the store (0 before the writer has made the schema). A store that cannot be
    read (a server down) raises: a test must not take that for "nothing stored yet"."""
    url = url or settings.store_url()
    settle(url)  # as every reader in this process: what finish() handed to the writer is stored first
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return 0
    made = engine(url)
    try:
        if not sa.inspect(made).has_table("metric_chunks"):
            return 0
        with made.connect() as conn:
            return int(conn.execute(sa.text("SELECT coalesce(sum(n), 0) FROM metric_chunks WHERE run_id = :r AND "
                                            "key = :k"), {"r": run_id, "k": key}).scalar_one())
    finally:
        made.dispose()


def blob_ids(url: str | None = None) -> list[str]:
    """Every blob stored (files in the SQLite store's folder, rows or files of a PostgreSQL store)."""
    from jupyter_track.store import open_store

    return sorted(open_store(url).blobs)


def age_blob(sha: str, url: str | None = None) -> None:
    """Make blob ``sha`` look stored long ago (gc spares recent blobs)."""
    from jupyter_track.store import open_store

    blobs = open_store(url).blobs
    if sqlite_path(url or settings.store_url()) is not None:
        os.utime(blobs.path(sha), (0, 0))
    else:
        sql("UPDATE blobs SET created_at = 0 WHERE sha = :sha", url, sha=sha)


@contextmanager
def writes_blocked(url: str | None = None, points_only: bool = False) -> Iterator[None]:
    """Hold a lock that makes every write to the store wait (SQLite: an exclusive transaction; PostgreSQL: the
    tables a flush writes, locked exclusively) until the block ends. ``points_only``: on PostgreSQL, only the
    tables logged points go to, so a new run's row can still be made."""
    url = url or settings.store_url()
    path = sqlite_path(url)
    if path is not None:
        import sqlite3

        blocker = sqlite3.connect(path, timeout=60)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            blocker.rollback()
            blocker.close()
        return
    made = engine(url)
    try:
        with made.connect() as conn:
            tables = "metric_chunks, summaries" if points_only else "runs, metric_chunks, summaries"
            conn.execute(sa.text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()
    finally:
        made.dispose()


def corrupt_blob(sha: str, url: str | None = None) -> None:
    """Flip one byte of stored blob ``sha`` (as a disk fault or a hand edit would)."""
    from jupyter_track.store import open_store

    blobs = open_store(url).blobs
    if sqlite_path(url or settings.store_url()) is not None:
        raw = bytearray(blobs.path(sha).read_bytes())
        raw[10] ^= 0xFF
        blobs.path(sha).write_bytes(bytes(raw))
    else:
        [(data,)] = sql("SELECT data FROM blob_parts WHERE sha = :sha AND part = 0", url, sha=sha)
        raw = bytearray(data)
        raw[10] ^= 0xFF
        sql("UPDATE blob_parts SET data = :data WHERE sha = :sha AND part = 0", url, sha=sha, data=bytes(raw))


def remove_blob(sha: str, url: str | None = None) -> None:
    """Delete stored blob ``sha`` behind the store's back (its references stay)."""
    from jupyter_track.store import open_store

    if sqlite_path(url or settings.store_url()) is not None:
        open_store(url).blobs.path(sha).unlink()
    else:
        sql("DELETE FROM blob_parts WHERE sha = :sha", url, sha=sha)
        sql("DELETE FROM blobs WHERE sha = :sha", url, sha=sha)


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """``paths`` (files and folders) read-only for real while the block runs: as root (these machines run the
    tests as root, and root ignores permission bits) each is made immutable with ``chattr +i``, which stops root
    too (no write, no new file in a folder); as another user its write bits are removed. The test is skipped
    where that does not make them read-only (a file system without ``chattr`` support)."""
    undo: list[Callable[[], object]] = []
    try:
        for path in paths:
            if os.geteuid() == 0:
                done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
                if done.returncode != 0:
                    pytest.skip(f"cannot make {path} read-only as root: chattr +i failed: {done.stderr.strip()}")
                undo.append(lambda p=path: subprocess.run(["chattr", "-i", str(p)], check=True))
            else:
                mode = path.stat().st_mode
                path.chmod(mode & ~0o222)
                undo.append(lambda p=path, m=mode: p.chmod(m))
            if _can_write(path):
                pytest.skip(f"{path} is still writable after being made read-only")
        yield
    finally:
        for step in reversed(undo):
            step()


def _can_write(path: Path) -> bool:
    try:
        if path.is_dir():
            tempfile.TemporaryFile(dir=path).close()
        else:
            open(path, "ab").close()  # appends nothing
    except OSError:
        return False
    return True


def damage_table(db: Path, table: str = "runs") -> None:
    """Overwrite the root page of ``table`` in the closed SQLite file ``db`` with garbage, as a disk fault would
    (the schema page stays intact: the store opens, and reading the table meets the damage)."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        (page,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    finally:
        conn.close()
    assert page > 1 and not Path(f"{db}-wal").exists()
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\x0d\x00\xff\xff" + bytes(range(256)) * (size // 256 - 1))


def crashed_run(project: str, run_id: str = "crashed-run", url: str | None = None) -> str:
    """The path of a run that a process on another host left ``running``, with its last heartbeat an hour ago: it
    reads as ``crashed``."""
    from jupyter_track.store import open_store
    from jupyter_track.store.base import Batch, RunWrite

    then = time.time() - 3600
    fields = {"project": project, "name": "lost-run-1", "state": "running", "config": {}, "meta": {},
              "created_at": then, "updated_at": then, "heartbeat_at": then, "host": "elsewhere", "pid": 4242}
    open_store(url).write_batch(Batch(runs=[RunWrite(run_id, fields, create=True)]))
    return f"{project}/{run_id}"


def assert_bits_equal(got: object, want: object) -> None:
    """Equal bit for bit (NaN payloads and the sign of zero included), not just equal as numbers."""
    assert np.asarray(got).tobytes() == np.asarray(want).tobytes()


def new_run(run_id: str) -> RunWrite:
    return RunWrite(id=run_id, create=True, fields={
        "project": "p", "name": run_id, "state": "finished", "config": {}, "meta": {}, "created_at": 1.0,
        "updated_at": 2.0})
