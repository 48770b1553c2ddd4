"""The part of the SQL store every domain shares: opening it (a read-only SQLite store is opened for reading; the
schema is made, or upgraded, once), read and write transactions, and the dialect's upserts.

``SQLStore`` (``store/sql.py``) is this base with the domain parts on top: runs (``sql_runs.py``), series and
media (``sql_series.py``), artifacts and blob references (``sql_artifacts.py``), sweeps (``sql_sweeps.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from .. import settings
from ..errors import StoreError, StorePermissionError
from . import access, revisions, urls
from .base import Store
from .blobs import BlobStore, blob_root_for
from .schema import HEAD, metadata
from .sql_engine import postgres_engine, replace_nul, scrub_errors, sqlite_engine
from .urls import redact

_VERSION_TABLE = revisions.VERSION_TABLE
IN_CHUNK = 900  # bound on ids per IN (...) list; SQLite's old default limit is 999 parameters
DRIVER_ROWS = 64  # rows of one INSERT from which SQLite's are handed to the driver as tuples (see SQLBase._many)
SCHEMA_LOCK = 0x6A745F736368656D  # pg_advisory_lock key ("jt_schem") held while the schema is made or migrated


_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for permission denied


class SQLBase(Store):
    """A :class:`Store` over an SQLAlchemy engine, without its domains (see :class:`~.sql.SQLStore`).

    An SQLite store that cannot be written (a read-only file, folder or file system) is opened for reading, and
    :attr:`read_only` says why; a write opens it again for writing once that is possible.
    """

    read_only: str | None = None  # why an SQLite store was opened for reading only

    def __init__(self, url: str, blob_root: str | Path | None = None) -> None:
        self.url = url
        self._reopening = threading.Lock()
        urls.require_driver(url)
        try:
            parsed = make_url(urls.driver_url(url))
        except (sa.exc.ArgumentError, ValueError):
            raise StoreError(f"{redact(url)} is not a store URL: use sqlite:////path/to/jupyter_track.db or "
                             "postgresql://user:password@host:5432/database") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            db = parsed.database
            if not db or db == ":memory:":
                raise StoreError("an in-memory SQLite store cannot be shared with the writer thread; give a file")
            self.path = Path(db).expanduser()
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the store folder {self.path.parent}: {exc.strerror}") from None
            self.engine = sqlite_engine(self.path)
        elif self.dialect == "postgresql":
            self.engine = postgres_engine(parsed)
        else:
            raise StoreError(f"{redact(url)}: jupyter_track stores runs in SQLite (sqlite:///…) or PostgreSQL "
                             f"(postgresql://…), not {self.dialect}")
        scrub_errors(self.engine, url)
        if self.dialect == "postgresql":
            replace_nul(self.engine)
        self.blobs: BlobStore
        if self.dialect == "postgresql" and blob_root is None:
            from .blobs_db import DatabaseBlobStore

            self.blobs = DatabaseBlobStore(self.engine, settings.BLOB_DIR.raw())
        else:
            self.blobs = BlobStore(blob_root if blob_root is not None else blob_root_for(url))
        try:
            self._prepare_schema()
        except StoreError:
            self.engine.dispose()
            raise
        except sa.exc.DBAPIError as exc:
            self.engine.dispose()
            if self.dialect != "sqlite":
                raise StoreError(f"cannot open the store {redact(url)}: {urls.scrub(str(exc.orig), url).strip()} "
                                 "(is the server running, and the user, password and database right?)") from None
            why = access.unwritable(self.path) if self.path.exists() else None
            if why is None:
                raise StoreError(access.cannot("open", self.path, exc.orig)) from None
            self._open_read_only(why)

    def _open_read_only(self, why: str) -> None:
        """Open a store that cannot be written for reading: with its ``-wal`` file (writes not yet copied into the
        database file) where SQLite can share it read-only, else, when there is none or it is empty, the database
        file alone (``immutable``: nothing is missed)."""
        wal = Path(f"{self.path}-wal")
        modes = ["ro"] if wal.exists() and wal.stat().st_size else ["ro", "immutable"]
        error: Any = None
        for mode in modes:
            self.engine = sqlite_engine(self.path, mode)
            try:
                revision = self.schema_revision()
            except sa.exc.DBAPIError as exc:
                self.engine.dispose()
                error = exc.orig
                continue
            if revision != HEAD:
                self.engine.dispose()
                revisions.check(revision, str(self.path))  # a newer store: the usual message
                raise StoreError(f"the store {self.path} is read-only ({why}) and from an older jupyter_track: "
                                 "make it writable once, so that opening it upgrades it")
            self.read_only = why
            return
        held = " (its -wal file holds writes that SQLite reads only with write access to the folder)" \
            if len(modes) == 1 else ""
        raise StoreError(access.cannot("open", self.path, error) + held)

    # -- schema -----------------------------------------------------------------------------------------------
    def _prepare_schema(self) -> None:
        if self.dialect == "postgresql":
            self._prepare_schema_locked()
            return
        with self._write() as conn:
            revision = self._create_or_read_schema(conn)
        if revision is None or revision == HEAD:
            return
        revisions.check(revision, redact(self.url))
        from .schema_upgrade import upgrade  # alembic is imported only when a migration is due

        upgrade(self.engine)

    def _prepare_schema_locked(self) -> None:
        """PostgreSQL: create or migrate the schema holding an advisory lock, so processes that connect to an
        empty (or older) database at the same moment do it once, one after the other; DDL is transactional
        there, so a schema is made completely or not at all."""
        lock = sa.text("SELECT pg_advisory_lock(:key)").bindparams(key=SCHEMA_LOCK)
        with self.engine.connect() as conn:
            conn.execute(lock)
            conn.commit()
            try:
                with conn.begin():
                    revision = self._create_or_read_schema(conn)
                    if revision is not None and revision != HEAD:
                        revisions.check(revision, redact(self.url))
                        from .schema_upgrade import upgrade

                        upgrade(conn)
            finally:
                try:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:key)").bindparams(key=SCHEMA_LOCK))
                    conn.commit()
                except sa.exc.DBAPIError:
                    pass  # the connection is gone, and the lock with its session

    def _create_or_read_schema(self, conn: Connection) -> str | None:
        """The store's schema revision; a new store gets the head schema first (and None is returned)."""
        inspector = sa.inspect(conn)
        if not inspector.has_table(_VERSION_TABLE) and inspector.has_table("runs"):
            self._adopt_legacy_version(conn, inspector)
        if not inspector.has_table(_VERSION_TABLE):
            if inspector.has_table("runs"):
                raise StoreError(f"{redact(self.url)} has jupyter_track tables but no schema version; "
                                 "it was not made by jupyter_track or is damaged")
            metadata.create_all(conn)
            conn.execute(sa.text(f"CREATE TABLE {_VERSION_TABLE} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            conn.execute(sa.text(f"INSERT INTO {_VERSION_TABLE} (version_num) VALUES (:v)"), {"v": HEAD})
            return None
        return conn.scalar(sa.text(f"SELECT version_num FROM {_VERSION_TABLE}"))  # type: ignore[no-any-return]

    def _adopt_legacy_version(self, conn: Connection, inspector: Any) -> None:
        """A store made before the version table had our name kept our revision in ``alembic_version``:
        move it to ours, so that table is Optuna's alone."""
        legacy = revisions.LEGACY_VERSION_TABLE
        if not inspector.has_table(legacy):
            return
        revision = conn.scalar(sa.text(f"SELECT version_num FROM {legacy}"))
        if revision not in revisions.REVISIONS:
            return
        conn.execute(sa.text(f"CREATE TABLE {_VERSION_TABLE} (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(sa.text(f"INSERT INTO {_VERSION_TABLE} (version_num) VALUES (:v)"), {"v": revision})
        conn.execute(sa.text(f"DROP TABLE {legacy}"))
        inspector.clear_cache()

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(sa.text(f"SELECT version_num FROM {_VERSION_TABLE}"))  # type: ignore[no-any-return]

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self.read_only is not None:
            self._writable()
        try:
            with self.engine.connect().execution_options(jt_write=True) as conn, conn.begin():
                yield conn
        except sa.exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
                raise
            # a role granted SELECT only: a sentence naming the role and the fix, not SQLAlchemy's SQL dump
            role = make_url(self.url).username or "this"
            raise StorePermissionError(
                f"the database role {role!r} may read but not write the store {redact(self.url)} "
                f"({' '.join(str(exc.orig).split())}); connect as a role granted INSERT, UPDATE and DELETE on its "
                "tables to change runs") from None

    def _writable(self) -> None:
        """Open a store opened read-only for writing, now that it can be written; else say why it cannot."""
        with self._reopening:
            if self.read_only is None:
                return
            why = access.unwritable(self.path)
            if why is not None:
                raise StoreError(f"cannot write the store {self.path}: {why}")
            # the reading connections go first: connections of one process share the file's -shm mapping
            self.engine.dispose()
            self.engine, self.read_only = sqlite_engine(self.path), None
            try:
                self._prepare_schema()
            except (sa.exc.DBAPIError, StoreError) as exc:
                self.engine.dispose()
                self._open_read_only(access.unwritable(self.path) or "it could not be opened for writing")
                raise StoreError(f"the store {self.path} cannot be opened for writing: "
                                 f"{getattr(exc, 'orig', None) or exc}") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection to read with; a driver error (a damaged page, a server gone) becomes a StoreError that
        says which store and what the driver said, as a failed write does."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise StoreError(self._read_failure(exc)) from None

    def _read_failure(self, exc: sa.exc.DBAPIError) -> str:
        reason = urls.scrub(" ".join(str(exc.orig).split()), self.url)
        if self.dialect == "sqlite":
            return access.cannot("read", self.path, reason)
        return f"cannot read the store {redact(self.url)}: {reason}"


    def refuses(self, exc: BaseException) -> bool:
        if isinstance(exc, sa.exc.DBAPIError):  # the driver's word: constraints and values are the data's fault
            return isinstance(exc, sa.exc.IntegrityError | sa.exc.DataError)
        # a parameter the driver could not bind (SQLAlchemy wraps it), or one it raised about unwrapped
        return isinstance(exc, sa.exc.StatementError) or super().refuses(exc)


    def _upsert(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
        """Insert ``rows`` or update the rows with their ``keys``. The last row of each key wins (PostgreSQL
        refuses one statement that updates a row twice), and rows go in key order, so two writers upserting
        overlapping rows lock them in the same order and never deadlock."""
        stmt = self._insert(table)
        update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
        self._many(conn, stmt.on_conflict_do_update(index_elements=keys, set_=update), _last_per_key(rows, keys))

    def _insert_ignore(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
        self._many(conn, self._insert(table).on_conflict_do_nothing(index_elements=keys), _last_per_key(rows, keys))

    def _many(self, conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
        """Run the INSERT ``stmt`` with each of ``rows`` (dicts of the same columns). SQLite: the rows go to the
        driver as tuples, each value through its column's bind processor, as SQLAlchemy would pass them: its
        per-row work was a fifth of a flush of 10,000 keys (one summary row and chunk each). Fewer rows keep
        SQLAlchemy's path, whose statement cache costs less than the compile here (0.3 ms); so does PostgreSQL,
        for its batched inserts (psycopg's executemany is a round trip per row)."""
        if self.dialect != "sqlite" or len(rows) < DRIVER_ROWS:
            conn.execute(stmt, rows)
            return
        dialect = conn.dialect
        compiled = stmt.compile(dialect=dialect, column_keys=list(rows[0]))
        binds = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                 for name in compiled.positiontup or ()]  # in the SQL's order
        conn.exec_driver_sql(compiled.string,
                             [tuple([row[n] if f is None else f(row[n]) for n, f in binds]) for row in rows])

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT of ``table``, the one with ``ON CONFLICT`` clauses."""
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        return insert(table)

    def close(self) -> None:
        self.engine.dispose()




def _last_per_key(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    if len(rows) < 2:
        return rows
    unique = {tuple(r[k] for k in keys): r for r in rows}
    return [unique[k] for k in sorted(unique, key=lambda key: tuple((v is None, v) for v in key))]


