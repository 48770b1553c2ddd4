"""The store on SQLAlchemy Core: one implementation for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout; write transactions start with ``BEGIN IMMEDIATE`` so two writers
queue on the lock instead of failing on a read→write upgrade, and readers never block writers.

PostgreSQL (psycopg 3) runs plain READ COMMITTED transactions; what SQLite's single writer serialised for free is
made explicit: the schema is created or migrated under an advisory lock, artifact versions and alias moves under
the artifact's row lock (``SELECT … FOR UPDATE``), run names from an atomic counter row, and upserts lock their
rows in key order (no deadlock between two writers) and are retried when the server still picks a victim.
Connections are checked before use (``pool_pre_ping``), so a restarted server is reconnected transparently, and
the URL's password is scrubbed from every error the driver raises.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from .. import settings
from ..errors import ArtifactNotFoundError, RunIsRunningError, RunNotFoundError, StoreError, UsageError
from ..types import RunInfo, Series, SummaryEntry
from . import access, liveness, revisions, urls
from . import filters as flt
from .base import (
    AliasEvent,
    AliasWrite,
    ArtifactEdge,
    ArtifactFile,
    ArtifactVersionRecord,
    ArtifactWrite,
    Batch,
    BlobRefWrite,
    ObjectRecord,
    ProjectInfo,
    Store,
    SweepRecord,
)
from .blobs import BlobStore, blob_root_for
from .schema import (
    HEAD,
    artifact_alias_events,
    artifact_aliases,
    artifact_edges,
    artifact_files,
    artifact_versions,
    artifacts,
    blob_refs,
    metadata,
    metric_chunks,
    objects,
    run_tags,
    runs,
    summaries,
    sweeps,
)
from .urls import redact

_VERSION_TABLE = revisions.VERSION_TABLE
_IN_CHUNK = 900  # bound on ids per IN (...) list; SQLite's old default limit is 999 parameters
BUSY_TIMEOUT_MS = 60_000  # how long a write waits for another process's write lock before failing
SCHEMA_LOCK = 0x6A745F736368656D  # pg_advisory_lock key ("jt_schem") held while the schema is made or migrated
RETRIES = 5  # attempts of a PostgreSQL write transaction the server aborted as a deadlock/serialisation victim
_RETRY_SQLSTATES = ("40001", "40P01")  # serialization_failure, deadlock_detected


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


class SQLStore(Store):
    """A :class:`Store` over an SQLAlchemy engine.

    An SQLite store that cannot be written (a read-only file, folder or file system) is opened for reading, and
    :attr:`read_only` says why; a write opens it again for writing once that is possible.

    Example::

        store = SQLStore("sqlite:////tmp/jt/jupyter_track.db")
        store.list_runs(project="fashion", order="-summary.acc", limit=10)
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
            self.engine = _sqlite_engine(self.path)
        elif self.dialect == "postgresql":
            # a pool per process: the writer thread, the server's worker threads and readers each hold one
            # connection at most; pre-ping replaces connections a restarted server dropped
            self.engine = sa.create_engine(
                parsed, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=60, pool_recycle=1800,
                # a write waits for another's row locks as long as an SQLite write waits for the file lock
                connect_args={"connect_timeout": 10, "application_name": "jupyter_track",
                              "options": f"-c lock_timeout={BUSY_TIMEOUT_MS}"},
                json_serializer=_dumps, json_deserializer=orjson.loads,
            )
        else:
            raise StoreError(f"{redact(url)}: jupyter_track stores runs in SQLite (sqlite:///…) or PostgreSQL "
                             f"(postgresql://…), not {self.dialect}")
        _scrub_errors(self.engine, url)
        if self.dialect == "postgresql":
            _replace_nul(self.engine)
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
            self.engine = _sqlite_engine(self.path, mode)
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
        from .migrate import upgrade  # alembic is imported only when a migration is due

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
                        from .migrate import upgrade

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
        with self.engine.connect().execution_options(jt_write=True) as conn, conn.begin():
            yield conn

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
            self.engine, self.read_only = _sqlite_engine(self.path), None
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

    # -- writes -----------------------------------------------------------------------------------------------
    def write_batch(self, batch: Batch) -> None:
        if not batch:
            return
        for attempt in range(RETRIES):
            try:
                self._write_batch(batch)
                return
            except sa.exc.DBAPIError as exc:
                # PostgreSQL aborts one of two transactions that lock rows in opposite orders (or conflict under a
                # stricter isolation level the server may be configured with): that one is simply run again
                if self.dialect != "postgresql" or _sqlstate(exc) not in _RETRY_SQLSTATES or attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def refuses(self, exc: BaseException) -> bool:
        if isinstance(exc, sa.exc.DBAPIError):  # the driver's word: constraints and values are the data's fault
            return isinstance(exc, sa.exc.IntegrityError | sa.exc.DataError)
        # a parameter the driver could not bind (SQLAlchemy wraps it), or one it raised about unwrapped
        return isinstance(exc, sa.exc.StatementError) or super().refuses(exc)

    def _write_batch(self, batch: Batch) -> None:
        # A batch may be written twice: when the connection drops during COMMIT the writer cannot tell whether it
        # landed and retries it. So rows with a natural key (runs, chunks by (run, key, seq), sweeps) are inserted
        # "if absent", deletes and upserts are idempotent anyway; only media rows (no natural key) could repeat.
        with self._write() as conn:
            for rw in batch.runs:
                tags = {} if rw.tags is None else {"tags": list(dict.fromkeys(rw.tags))}
                if rw.create:
                    self._insert_ignore(conn, runs, [{"id": rw.id, "summary": {}, "tags": [], **rw.fields, **tags}],
                                        ["id"])
                elif rw.fields or tags:
                    conn.execute(runs.update().where(runs.c.id == rw.id).values(**rw.fields, **tags))
                if rw.tags is not None:
                    conn.execute(run_tags.delete().where(run_tags.c.run_id == rw.id))
                    if rw.tags:
                        conn.execute(run_tags.insert(), [{"run_id": rw.id, "tag": t} for t in dict.fromkeys(rw.tags)])
            for c in batch.chunks:
                if c.replaces is not None:
                    conn.execute(metric_chunks.delete().where(
                        metric_chunks.c.run_id == c.run_id, metric_chunks.c.key == c.key,
                        metric_chunks.c.seq.between(*c.replaces)))
            if batch.chunks:
                self._insert_ignore(conn, metric_chunks, [
                    {"run_id": c.run_id, "key": c.key, "seq": c.seq, "n": c.n, "first_step": c.first_step,
                     "last_step": c.last_step, "steps": c.steps, "values": c.values, "times": c.times}
                    for c in batch.chunks], ["run_id", "key", "seq"])
            if batch.objects:
                conn.execute(objects.insert(), [
                    {"run_id": o.run_id, "key": o.key, "step": o.step, "time": o.time, "kind": o.kind, "data": o.data}
                    for o in batch.objects])
            if batch.summaries:
                rows = [_summary_row(s.run_id, s.key, s.entry) for s in batch.summaries]
                self._upsert(conn, summaries, rows, ["run_id", "key"])
            if batch.blob_refs:
                for b in batch.blob_refs:  # a replacing ref (a re-sent live snapshot) drops its predecessors
                    if b.replace and b.run_id is not None:
                        conn.execute(blob_refs.delete().where(blob_refs.c.run_id == b.run_id,
                                                              blob_refs.c.owner == b.owner, blob_refs.c.name == b.name))
                now = time.time() if batch.at is None else batch.at
                rows = [{"sha": b.sha, "owner": b.owner, "name": b.name, "run_id": b.run_id, "size": b.size,
                         "created_at": now} for b in batch.blob_refs]
                self._upsert(conn, blob_refs, rows, ["sha", "owner", "name"])
            if batch.artifacts or batch.aliases or batch.artifact_uses:
                now = time.time() if batch.at is None else batch.at
                for aw in batch.artifacts:
                    self._write_artifact(conn, aw, now)
                for al in batch.aliases:
                    self._write_alias(conn, al, now)
                if batch.artifact_uses:
                    self._insert_ignore(conn, artifact_edges, [
                        {"run_id": u.run_id, "version_id": u.version_id, "direction": "input", "at": now}
                        for u in batch.artifact_uses], ["run_id", "version_id", "direction"])
            for ed in batch.artifact_edits:
                v = artifact_versions
                owner = sa.select(artifacts.c.id).where(artifacts.c.project == ed.project, artifacts.c.name == ed.name)
                conn.execute(v.update().where(v.c.artifact_id == owner.scalar_subquery(), v.c.version == ed.version)
                             .values(description=ed.description, meta=ed.meta))
            for sw in batch.sweeps:
                if sw.create:
                    self._insert_ignore(conn, sweeps, [{"id": sw.id, **sw.fields}], ["id"])
                elif sw.fields:
                    conn.execute(sweeps.update().where(sweeps.c.id == sw.id).values(**sw.fields))

    def _upsert(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
        """Insert ``rows`` or update the rows with their ``keys``. The last row of each key wins (PostgreSQL
        refuses one statement that updates a row twice), and rows go in key order, so two writers upserting
        overlapping rows lock them in the same order and never deadlock."""
        stmt = self._insert(table)
        update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update), _last_per_key(rows, keys))

    def _insert_ignore(self, conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
        conn.execute(self._insert(table).on_conflict_do_nothing(index_elements=keys), _last_per_key(rows, keys))

    def _insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT of ``table``, the one with ``ON CONFLICT`` clauses."""
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        return insert(table)

    # -- artifact writes (inside write_batch's transaction) -------------------------------------------------------
    def _collection(self, conn: Connection, project: str, name: str, type: str | None = None) -> Any:
        """The artifact's row, locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: the write
        transaction is already exclusive), so version numbers and digests are decided by one writer at a time.
        Created first when ``type`` is given."""
        if type is not None:
            now = time.time()
            self._insert_ignore(conn, artifacts, [{"project": project, "name": name, "type": type,
                                                   "created_at": now, "updated_at": now}], ["project", "name"])
        query = sa.select(artifacts).where(artifacts.c.project == project, artifacts.c.name == name)
        return conn.execute(query.with_for_update()).one_or_none()

    def _write_artifact(self, conn: Connection, aw: ArtifactWrite, now: float) -> None:
        coll = self._collection(conn, aw.project, aw.name, aw.type)
        if coll.type != aw.type:
            raise UsageError(f"artifact {aw.project}/{aw.name} has type {coll.type!r}, not {aw.type!r}: log it "
                             f"with type={coll.type!r} or choose another name")
        v = artifact_versions
        found = conn.execute(sa.select(v.c.id, v.c.version)
                             .where(v.c.artifact_id == coll.id, v.c.digest == aw.digest)).one_or_none()
        if found is not None:
            version_id, number = found
            aw.created = False
        else:
            last = conn.scalar(sa.select(sa.func.max(v.c.version)).where(v.c.artifact_id == coll.id))
            number = 0 if last is None else int(last) + 1
            version_id = conn.execute(v.insert().values(
                artifact_id=coll.id, version=number, digest=aw.digest, size=sum(f.size for f in aw.files),
                file_count=len(aw.files), description=aw.description, meta=aw.meta, run_id=aw.run_id,
                created_at=now)).inserted_primary_key[0]  # type: ignore[index]
            if aw.files:
                conn.execute(artifact_files.insert(), [
                    {"version_id": version_id, "path": f.path, "sha": f.sha, "size": f.size} for f in aw.files])
                # gc keeps what an artifact refers to; run_id NULL: deleting the logging run keeps the files
                self._upsert(conn, blob_refs, [
                    {"sha": f.sha, "owner": "artifact", "name": f"{aw.project}/{aw.name}:v{number}/{f.path}",
                     "run_id": None, "size": f.size, "created_at": now} for f in aw.files],
                    ["sha", "owner", "name"])
            conn.execute(artifacts.update().where(artifacts.c.id == coll.id).values(updated_at=now))
            aw.created = True
        aw.version = number
        if aw.run_id is not None:
            self._insert_ignore(conn, artifact_edges, [{"run_id": aw.run_id, "version_id": version_id,
                                                        "direction": "output", "at": now}],
                                ["run_id", "version_id", "direction"])
        for alias in dict.fromkeys(aw.aliases):
            self._move_alias(conn, coll.id, alias, version_id, number, aw.run_id, aw.user, now)

    def _move_alias(self, conn: Connection, artifact_id: int, alias: str, version_id: int, number: int,
                    run_id: str | None, user: str | None, now: float) -> None:
        a = artifact_aliases
        current = conn.execute(sa.select(a.c.version_id, artifact_versions.c.version)
                               .join(artifact_versions, artifact_versions.c.id == a.c.version_id)
                               .where(a.c.artifact_id == artifact_id, a.c.alias == alias)).one_or_none()
        if current is not None and current.version_id == version_id:
            return
        values = {"version_id": version_id, "run_id": run_id, "user": user, "updated_at": now}
        if current is None:
            conn.execute(a.insert().values(artifact_id=artifact_id, alias=alias, **values))
        else:
            conn.execute(a.update().where(a.c.artifact_id == artifact_id, a.c.alias == alias).values(**values))
        conn.execute(artifact_alias_events.insert().values(
            artifact_id=artifact_id, alias=alias, action="set", version=number,
            previous=None if current is None else current.version, run_id=run_id, user=user, at=now))

    def _write_alias(self, conn: Connection, al: AliasWrite, now: float) -> None:
        where = f"{al.project}/{al.name}"
        coll = self._collection(conn, al.project, al.name)
        if coll is None:
            raise ArtifactNotFoundError(f"no artifact {where}")
        version_id = conn.scalar(sa.select(artifact_versions.c.id).where(
            artifact_versions.c.artifact_id == coll.id, artifact_versions.c.version == al.version))
        if version_id is None:
            raise ArtifactNotFoundError(f"artifact {where} has no version v{al.version}")
        if not al.remove:
            self._move_alias(conn, coll.id, al.alias, version_id, al.version, al.run_id, al.user, now)
            return
        a = artifact_aliases
        current = conn.scalar(sa.select(a.c.version_id).where(a.c.artifact_id == coll.id, a.c.alias == al.alias))
        if current != version_id:
            raise ArtifactNotFoundError(f"alias {al.alias!r} is not on {where}:v{al.version}; "
                                        f"`jupyter-track artifact show {where}` lists its aliases")
        conn.execute(a.delete().where(a.c.artifact_id == coll.id, a.c.alias == al.alias))
        conn.execute(artifact_alias_events.insert().values(
            artifact_id=coll.id, alias=al.alias, action="removed", version=None, previous=al.version,
            run_id=al.run_id, user=al.user, at=now))

    def _refuse_if_live(self, conn: Connection, run_id: str, consequence: str) -> bool:
        """Raise :class:`RunIsRunningError` if a process is logging the run (its row locked on PostgreSQL until
        the transaction ends, so that no other process claims it meanwhile); False if there is no such run."""
        found = conn.execute(
            sa.select(runs.c.project, runs.c.name, runs.c.created_at, runs.c.updated_at, runs.c.heartbeat_at,
                      runs.c.host, runs.c.pid, flt.state_expr().label("state"))
            .where(runs.c.id == run_id).with_for_update(of=runs)).first()
        if found is None:
            return False
        info = RunInfo(id=run_id, **found._mapping)  # noqa: SLF001 - SQLAlchemy's documented Row API
        if liveness.is_live(info):
            raise RunIsRunningError(f"{liveness.running_message(info)}; {consequence}")
        return True

    def resume_run(self, run_id: str, fields: dict[str, Any]) -> bool:
        consequence = "a second process cannot log to it at the same time"
        try:
            with self._write() as conn:
                if not self._refuse_if_live(conn, run_id, consequence):
                    raise RunNotFoundError(f"no run {run_id!r} to resume in {redact(self.url)}")
                conn.execute(runs.update().where(runs.c.id == run_id).values(**fields))
        except (sa.exc.OperationalError, sa.exc.InternalError):  # takes no writes now (read-only, full, locked)
            info = self.get_run(run_id)  # still asked, though not in one transaction with the claim
            if info is not None and liveness.is_live(info):
                raise RunIsRunningError(f"{liveness.running_message(info)}; {consequence}") from None
            return False
        return True

    def delete_run(self, run_id: str, force: bool = False) -> bool:
        with self._write() as conn:
            if not force:  # checked in the deleting transaction: no process resumes it in between
                self._refuse_if_live(conn, run_id, "deleting it now would drop what it logs from then on")
            for table in (metric_chunks, objects, summaries, run_tags, blob_refs):
                conn.execute(table.delete().where(table.c.run_id == run_id))
            return bool(conn.execute(runs.delete().where(runs.c.id == run_id)).rowcount)

    # -- reads ------------------------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunInfo | None:
        found = self.list_runs(filters={"id": run_id}, limit=1, detail=True)
        return found[0] if found else None

    def count_runs(self, project: str) -> int:
        with self._read() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(runs).where(runs.c.project == project))
                       or 0)

    def next_run_number(self, project: str) -> int:
        """PostgreSQL: taken from the project's counter row in one atomic statement, so runs started at the same
        moment in several processes or machines get distinct names (never below the project's run count + 1:
        runs copied in by ``jupyter-track migrate`` count too). SQLite: the run count + 1."""
        if self.dialect != "postgresql":
            return super().next_run_number(project)
        from .preflight import NEXT_RUN_NUMBER  # the statement init()'s preflight runs without SQLAlchemy

        with self._write() as conn:
            return int(conn.exec_driver_sql(NEXT_RUN_NUMBER, {"p": project}).scalar_one())

    # -- reads for the server extension -------------------------------------------------------------------------
    def count_matching(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
                       search: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(runs).where(_matching(project, filters, search, time.time()))
        with self._read() as conn, _pattern_errors():
            return int(conn.scalar(query) or 0)

    def blob_referenced(self, sha: str) -> bool:
        with self._read() as conn:
            return conn.scalar(sa.select(blob_refs.c.sha).where(blob_refs.c.sha == sha).limit(1)) is not None

    def alerts(self, run_ids: Iterable[str]) -> dict[str, list[Any]]:
        wanted = list(dict.fromkeys(run_ids))
        alerts = runs.c.meta["alerts"]
        found: dict[str, list[Any]] = {}
        with self._read() as conn:
            for lo in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(runs.c.id, alerts).where(runs.c.id.in_(wanted[lo:lo + _IN_CHUNK]))
                found.update({run_id: a for run_id, a in conn.execute(query) if isinstance(a, list) and a})
        return found

    def notebooks(self, run_ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(run_ids))
        notebook = runs.c.meta["notebook"]
        path = sa.func.coalesce(notebook["relative"].as_string(), notebook["path"].as_string())
        found: dict[str, str] = {}
        with self._read() as conn:
            for lo in range(0, len(wanted), _IN_CHUNK):
                query = sa.select(runs.c.id, path).where(runs.c.id.in_(wanted[lo:lo + _IN_CHUNK]), path.is_not(None))
                found.update({run_id: p for run_id, p in conn.execute(query)})
        return found

    def list_runs(
        self,
        project: str | None = None,
        filters: Mapping[str, Any] | None = None,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        search: str | None = None,
        detail: bool = False,
    ) -> list[RunInfo]:
        if not detail:
            listed = self._json_as_text(_LISTED)
            return [_listed_run(*r) for r in self._listing(listed, project, filters, order, limit, offset, search)]
        columns = [c for c in runs.c if c.name not in ("state", "summary", "tags")]
        rows = self._listing(columns, project, filters, order, limit, offset, search)
        infos = [_run_info(r) for r in rows]
        with self._read() as conn:
            for info in infos:
                self._add_detail(conn, info)
        return infos

    def list_rows(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
                  order: str | None = None, limit: int | None = None, offset: int = 0,
                  search: str | None = None) -> list[dict[str, Any]]:
        loads = orjson.loads
        return [
            {"id": id, "name": name, "state": state, "project": project, "group": group, "job_type": job_type,
             "tags": loads(tags) if tags else [], "notes": notes, "created_at": created_at, "updated_at": updated_at,
             # RunInfo.duration's rule, inline: this loop is the whole cost of a 10,000-run list
             "duration": max(0.0, (finished_at if finished_at is not None else (heartbeat_at or updated_at))
                             - created_at),
             "last_step": last_step, "sweep_id": sweep_id, "summary": loads(summary) if summary else {}}
            for (id, name, project, group, job_type, notes, created_at, updated_at, heartbeat_at, finished_at,
                 last_step, sweep_id, summary, tags, state)
            in self._listing(self._json_as_text(_ROW_COLUMNS), project, filters, order, limit, offset, search)]

    def _json_as_text(self, columns: Sequence[sa.Column[Any]]) -> list[Any]:
        """``columns`` with the JSON ones read as text, for the caller to parse: SQLAlchemy's per-value JSON
        processing costs more than the parse (PostgreSQL: cast in SQL, else psycopg parses them itself)."""
        as_text = sa.cast if self.dialect == "postgresql" else sa.type_coerce
        return [as_text(c, sa.Text) if c.name in _JSON_COLUMNS else c for c in columns]

    def _listing(self, columns: Sequence[Any], project: str | None, filters: Mapping[str, Any] | None,
                 order: str | None, limit: int | None, offset: int, search: str | None) -> list[Any]:
        """``columns`` and, last, the state of the matching runs in ``order``: one tuple per run."""
        now = time.time()
        query: Any = sa.select(*columns, flt.state_expr(now).label("state")).select_from(runs)
        query = flt.order_by(query.where(_matching(project, filters, search, now)), order, now)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self._read() as conn, _pattern_errors():
            return list(conn.execute(query).all())

    def _add_detail(self, conn: Connection, info: RunInfo) -> None:
        """Tags and every summary entry with its statistics, from their own tables."""
        info.detailed = True
        info.tags = list(conn.scalars(sa.select(run_tags.c.tag).where(run_tags.c.run_id == info.id)
                                      .order_by(run_tags.c.tag)))
        query = sa.select(summaries.c.key, summaries.c.value, summaries.c.value_json, summaries.c.last,
                          summaries.c.min, summaries.c.max, summaries.c.count, summaries.c.last_step,
                          summaries.c.user_set).where(summaries.c.run_id == info.id)
        for key, value, value_json, last, lo, hi, count, last_step, user_set in conn.execute(query).all():
            if value_json is not None:
                value = value_json
            elif value is None and count and not user_set:
                value = math.nan
            info.summary[key] = SummaryEntry(value, last, lo, hi, count, last_step, bool(user_set))

    def list_projects(self) -> list[ProjectInfo]:
        query = (sa.select(runs.c.project, sa.func.count(), sa.func.max(runs.c.created_at))
                 .group_by(runs.c.project).order_by(sa.func.max(runs.c.created_at).desc()))
        with self._read() as conn:
            return [ProjectInfo(name=p, runs=n, last_created_at=t) for p, n, t in conn.execute(query)]

    def metric_keys(self, run_id: str) -> list[str]:
        query = (sa.select(summaries.c.key).where(summaries.c.run_id == run_id, summaries.c.count > 0)
                 .order_by(summaries.c.key))
        with self._read() as conn:
            return list(conn.scalars(query))

    def read_series(self, run_id: str, key: str, after_step: int | None = None) -> Series:
        query = (sa.select(metric_chunks.c.steps, metric_chunks.c["values"], metric_chunks.c.times)
                 .where(metric_chunks.c.run_id == run_id, metric_chunks.c.key == key)
                 .order_by(metric_chunks.c.seq))
        if after_step is not None:
            query = query.where(metric_chunks.c.last_step > after_step)
        with self._read() as conn:
            series = _joined(key, conn.execute(query).all())
        if after_step is not None and len(series.steps) and series.steps[0] <= after_step:
            keep = series.steps > after_step  # a merged chunk also holds points read before
            series = Series(key, series.steps[keep], series.values[keep], series.times[keep])
        return series

    # -- bulk reads for the compare widget --------------------------------------------------------------------
    def read_series_many(self, run_ids: Iterable[str], keys: Iterable[str], times: bool = True
                         ) -> dict[tuple[str, str], Series]:
        from itertools import groupby

        ids, wanted = list(dict.fromkeys(run_ids)), list(dict.fromkeys(keys))
        c = metric_chunks.c
        rows: list[Any] = []
        with self._read() as conn:
            for lo in range(0, len(ids), _IN_CHUNK):  # one query (per 900 runs: SQLite's parameter limit)
                query = (sa.select(c.run_id, c.key, c.steps, c["values"], c.times if times else sa.null())
                         .where(c.run_id.in_(ids[lo:lo + _IN_CHUNK]), c.key.in_(wanted))
                         .order_by(c.run_id, c.key, c.seq))
                rows += conn.execute(query).all()
        return {(run_id, key): _joined(key, [r[2:] for r in group], times)
                for (run_id, key), group in groupby(rows, key=lambda r: (r[0], r[1]))}

    def series_keys(self, run_id: str) -> list[str]:
        query = (sa.select(metric_chunks.c.key).where(metric_chunks.c.run_id == run_id).distinct()
                 .order_by(metric_chunks.c.key))
        with self._read() as conn:
            return list(conn.scalars(query))

    def read_objects(self, run_id: str, key: str | None = None) -> list[ObjectRecord]:
        query = sa.select(objects).where(objects.c.run_id == run_id)
        if key is not None:
            query = query.where(objects.c.key == key)
        with self._read() as conn:
            return [ObjectRecord(key=r.key, step=r.step, time=r.time, kind=r.kind, data=r.data)
                    for r in conn.execute(query.order_by(objects.c.step, objects.c.id))]

    def chunk_tails(self, run_id: str) -> dict[str, int]:
        query = (sa.select(metric_chunks.c.key, sa.func.max(metric_chunks.c.seq))
                 .where(metric_chunks.c.run_id == run_id).group_by(metric_chunks.c.key))
        with self._read() as conn:
            return {k: int(s) for k, s in conn.execute(query)}

    def blob_refs(self, run_id: str) -> list[BlobRefWrite]:
        query = sa.select(blob_refs).where(blob_refs.c.run_id == run_id).order_by(blob_refs.c.name)
        with self._read() as conn:
            return [BlobRefWrite(sha=r.sha, owner=r.owner, name=r.name, size=r.size, run_id=r.run_id)
                    for r in conn.execute(query)]

    def referenced_blobs(self) -> set[str]:
        with self._read() as conn:
            return set(conn.scalars(sa.select(blob_refs.c.sha).distinct()))

    # -- artifact reads ---------------------------------------------------------------------------------------
    def list_artifact_versions(self, project: str | None = None, name: str | None = None,
                               type: str | None = None) -> list[ArtifactVersionRecord]:
        query = _VERSIONS
        if project is not None:
            query = query.where(artifacts.c.project == project)
        if name is not None:
            query = query.where(artifacts.c.name == name)
        if type is not None:
            query = query.where(artifacts.c.type == type)
        query = query.order_by(artifacts.c.project, artifacts.c.name, artifact_versions.c.version)
        with self._read() as conn:
            return _version_records(conn, conn.execute(query).all())

    def resolve_artifact(self, project: str, name: str, ref: str) -> ArtifactVersionRecord | None:
        query = _VERSIONS.where(artifacts.c.project == project, artifacts.c.name == name)
        if ref == "latest":
            query = query.order_by(artifact_versions.c.version.desc()).limit(1)
        elif len(ref) > 1 and ref[0] == "v" and ref[1:].isdigit():
            query = query.where(artifact_versions.c.version == int(ref[1:]))
        else:
            a = artifact_aliases
            query = query.join(a, a.c.version_id == artifact_versions.c.id).where(a.c.alias == ref)
        with self._read() as conn:
            found = _version_records(conn, conn.execute(query).all())
        return found[0] if found else None

    def artifact_versions_by_id(self, ids: Iterable[int]) -> list[ArtifactVersionRecord]:
        wanted = list(dict.fromkeys(ids))
        rows: list[Any] = []
        with self._read() as conn:
            for lo in range(0, len(wanted), _IN_CHUNK):
                part = wanted[lo:lo + _IN_CHUNK]
                rows.extend(conn.execute(_VERSIONS.where(artifact_versions.c.id.in_(part))).all())
            return _version_records(conn, rows)

    def artifact_files(self, version_id: int) -> list[ArtifactFile]:
        f = artifact_files
        query = sa.select(f.c.path, f.c.sha, f.c.size).where(f.c.version_id == version_id).order_by(f.c.path)
        with self._read() as conn:
            return [ArtifactFile(path=p, sha=sha, size=size) for p, sha, size in conn.execute(query)]

    def alias_history(self, project: str, name: str) -> list[AliasEvent]:
        e = artifact_alias_events
        query = (sa.select(e.c.alias, e.c.action, e.c.version, e.c.previous, e.c.run_id, e.c.user, e.c.at)
                 .join(artifacts, artifacts.c.id == e.c.artifact_id)
                 .where(artifacts.c.project == project, artifacts.c.name == name).order_by(e.c.id))
        with self._read() as conn:
            return [AliasEvent(*r) for r in conn.execute(query)]

    def artifact_edges(self, run_ids: Iterable[str] = (), version_ids: Iterable[int] = ()) -> list[ArtifactEdge]:
        e = artifact_edges
        found: dict[tuple[str, int, str], ArtifactEdge] = {}
        with self._read() as conn:
            for column, values in ((e.c.run_id, list(dict.fromkeys(run_ids))),
                                   (e.c.version_id, list(dict.fromkeys(version_ids)))):
                for lo in range(0, len(values), _IN_CHUNK):
                    query = (sa.select(e.c.run_id, e.c.version_id, e.c.direction, e.c.at)
                             .where(column.in_(values[lo:lo + _IN_CHUNK])))
                    for r in conn.execute(query):
                        found[(r.run_id, r.version_id, r.direction)] = ArtifactEdge(*r)
        return sorted(found.values(), key=lambda edge: (edge.at, edge.run_id, edge.version_id))

    # -- sweep reads --------------------------------------------------------------------------------------------
    def get_sweep(self, sweep_id: str) -> SweepRecord | None:
        with self._read() as conn:
            row = conn.execute(sa.select(sweeps).where(sweeps.c.id == sweep_id)).one_or_none()
        return SweepRecord(**row._asdict()) if row is not None else None

    def list_sweeps(self, project: str | None = None) -> list[SweepRecord]:
        query = sa.select(sweeps).order_by(sweeps.c.created_at.desc())
        if project is not None:
            query = query.where(sweeps.c.project == project)
        with self._read() as conn:
            return [SweepRecord(**r._asdict()) for r in conn.execute(query)]

    def close(self) -> None:
        self.engine.dispose()


def _matching(project: str | None, filters: Mapping[str, Any] | None, search: str | None,
              now: float) -> sa.ColumnElement[bool]:
    """The condition of a listing: ``filters``, the project, and ``search`` over name, id, notes and tags."""
    cond = flt.where(filters, now)
    if project is not None:
        cond = sa.and_(runs.c.project == project, cond)
    if search:
        # the text is matched literally ("lr_0.1" has no wildcard) and without case, the same on both backends
        like = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

        def has(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
            return sa.func.lower(column).like(like, escape="\\")

        tagged = sa.select(run_tags.c.run_id).where(has(run_tags.c.tag))
        cond = sa.and_(cond, sa.or_(has(runs.c.name), has(runs.c.id), has(runs.c.notes), runs.c.id.in_(tagged)))
    return cond


@contextmanager
def _pattern_errors() -> Iterator[None]:
    """A ``$regex`` that Python accepts but PostgreSQL's regex engine refuses (e.g. ``(?P<n>x)``): a
    :class:`FilterError` naming the problem, like every other bad filter."""
    try:
        yield
    except sa.exc.DataError as exc:
        if _sqlstate(exc) != "2201B":  # invalid_regular_expression
            raise
        message = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise flt.FilterError(f"$regex: PostgreSQL cannot use this pattern ({message}); use POSIX syntax") from None


def _sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _last_per_key(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    if len(rows) < 2:
        return rows
    unique = {tuple(r[k] for k in keys): r for r in rows}
    return [unique[k] for k in sorted(unique, key=lambda key: tuple((v is None, v) for v in key))]


def _scrub_errors(engine: Engine, url: str) -> None:
    """Every driver error of ``engine`` (connection failures included) loses the URL's password, wherever the
    driver put it in its message: the errors reach logs, the writer's warnings and the server's answers."""
    if urls.password(url) is None:
        return

    @event.listens_for(engine, "handle_error")
    def _scrub(context: Any) -> None:
        for exc in (context.original_exception, context.sqlalchemy_exception):
            if exc is not None and exc.args:
                exc.args = tuple(urls.scrub(a, url) if isinstance(a, str) else a for a in exc.args)


def _replace_nul(engine: Engine) -> None:
    """PostgreSQL text cannot hold NUL characters (SQLite's can): in every text parameter one becomes U+FFFD, so
    a name or tag with one is stored (not a write the writer retries forever) and an id with one matches nothing
    (a 404, not a server error)."""

    def clean(params: Any) -> Any:
        if isinstance(params, dict):
            return {k: v.replace("\x00", "\ufffd") if isinstance(v, str) and "\x00" in v else v
                    for k, v in params.items()}
        if isinstance(params, list | tuple) and params and isinstance(params[0], dict | list | tuple):
            return type(params)(clean(p) for p in params)
        if isinstance(params, list | tuple):
            return type(params)(v.replace("\x00", "\ufffd") if isinstance(v, str) and "\x00" in v else v
                                for v in params)
        return params

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _clean(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
               ) -> tuple[str, Any]:
        return statement, clean(parameters)


def _sqlite_engine(path: Path, mode: str | None = None) -> Engine:
    """The engine of the SQLite store at ``path``; ``mode`` ``ro`` or ``immutable`` opens it for reading only."""
    url = sa.URL.create("sqlite", database=str(path))
    if mode is not None:  # a URI filename: %-escaped, so a '?' or '#' in the path stays in the path
        url = url.set(database=f"file:{quote(str(path))}",
                      query={"mode": "ro", "uri": "true", **({"immutable": "1"} if mode == "immutable" else {})})
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                              json_serializer=_dumps, json_deserializer=orjson.loads)
    _configure_sqlite(engine, read_only=mode is not None)
    return engine


def _configure_sqlite(engine: Engine, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly in _begin
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process; WAL keeps it consistent
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        # $regex filters: RE2 in linear time, in place of SQLAlchemy's REGEXP (Python's backtracking re, which
        # one pattern like "(a+)+$" keeps busy for minutes, holding the GIL: the whole server process froze)
        dbapi_conn.create_function("regexp", 2, flt.regexp, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("jt_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


_VERSIONS = (sa.select(artifact_versions, artifacts.c.project, artifacts.c.name, artifacts.c.type)
             .join(artifacts, artifacts.c.id == artifact_versions.c.artifact_id))


def _version_records(conn: Connection, rows: Sequence[Any]) -> list[ArtifactVersionRecord]:
    """Records of version rows (from :data:`_VERSIONS`), each with its aliases (``latest`` on the newest)."""
    if not rows:
        return []
    ids = sorted({r.artifact_id for r in rows})
    aliases: dict[int, list[str]] = {}
    latest: dict[int, int] = {}
    v, a = artifact_versions, artifact_aliases
    for lo in range(0, len(ids), _IN_CHUNK):
        part = ids[lo:lo + _IN_CHUNK]
        for version_id, alias in conn.execute(sa.select(a.c.version_id, a.c.alias).where(a.c.artifact_id.in_(part))
                                              .order_by(a.c.alias)):
            aliases.setdefault(version_id, []).append(alias)
        for artifact_id, newest in conn.execute(sa.select(v.c.artifact_id, sa.func.max(v.c.version))
                                                .where(v.c.artifact_id.in_(part)).group_by(v.c.artifact_id)):
            latest[artifact_id] = newest
    return [ArtifactVersionRecord(
        id=r.id, project=r.project, name=r.name, type=r.type, version=r.version, digest=r.digest, size=r.size,
        file_count=r.file_count, description=r.description, meta=r.meta or {}, run_id=r.run_id,
        created_at=r.created_at,
        aliases=(["latest"] if latest.get(r.artifact_id) == r.version else []) + aliases.get(r.id, []))
        for r in rows]


def _joined(key: str, chunks: Sequence[Any], times: bool = True) -> Series:
    """The series of ``key`` from its chunk rows ``(steps, values, times)`` in ``seq`` order (``times=False``: an
    empty times array)."""
    import numpy as np

    return Series(
        key=key,
        steps=np.frombuffer(b"".join(r[0] for r in chunks), dtype="<i8"),
        values=np.frombuffer(b"".join(r[1] for r in chunks), dtype="<f8"),
        times=np.frombuffer(b"".join(r[2] for r in chunks) if times else b"", dtype="<f8"),
    )


def _summary_row(run_id: str, key: str, e: SummaryEntry) -> dict[str, Any]:
    # NaN is kept as NULL in both columns (SQL has no portable NaN); reads turn a NULL with count > 0 back into NaN.
    numeric = isinstance(e.value, int | float)
    return {
        "run_id": run_id, "key": key,
        "value": float(e.value) if numeric and not math.isnan(e.value) else None,
        "value_json": None if numeric else e.value,
        "last": e.last, "min": e.min, "max": e.max, "count": e.count, "last_step": e.last_step,
        "user_set": e.user_set,
    }


_JSON_COLUMNS = ("config", "summary", "tags")
_LISTED = [runs.c[name] for name in (
    "id", "project", "entity", "name", "group_name", "job_type", "notes", "config", "created_at", "updated_at",
    "heartbeat_at", "finished_at", "exit_code", "last_step", "sweep_id", "host", "pid", "summary", "tags")]
# what list_rows reads (base.listing_row's fields)
_ROW_COLUMNS = [runs.c[name] for name in (
    "id", "name", "project", "group_name", "job_type", "notes", "created_at", "updated_at", "heartbeat_at",
    "finished_at", "last_step", "sweep_id", "summary", "tags")]


def _listed_run(id: str, project: str, entity: str | None, name: str, group: str | None, job_type: str | None,
                notes: str | None, config: str | None, created_at: float, updated_at: float,
                heartbeat_at: float | None, finished_at: float | None, exit_code: int | None,
                last_step: int | None, sweep_id: str | None, host: str | None, pid: int | None,
                summary: str | None, tags: str | None, state: Any) -> RunInfo:
    """A run of a listing, from the columns of :data:`_LISTED` (JSON still as text) and the state."""
    values = orjson.loads(summary) if summary else {}
    return RunInfo(
        id=id, project=project, name=name, state=state, created_at=created_at, updated_at=updated_at,
        entity=entity, group=group, job_type=job_type, notes=notes, tags=orjson.loads(tags) if tags else [],
        config=orjson.loads(config) if config else {}, heartbeat_at=heartbeat_at, finished_at=finished_at,
        exit_code=exit_code, last_step=last_step, sweep_id=sweep_id, host=host, pid=pid,
        summary={k: SummaryEntry(math.nan if v is None else v) for k, v in values.items()},
    )


def _run_info(r: Any) -> RunInfo:
    return RunInfo(
        id=r.id, project=r.project, entity=r.entity, name=r.name, state=r.state, group=r.group_name,
        job_type=r.job_type, notes=r.notes, config=r.config or {}, meta=r.meta or {},
        created_at=r.created_at, updated_at=r.updated_at, heartbeat_at=r.heartbeat_at, finished_at=r.finished_at,
        exit_code=r.exit_code, last_step=r.last_step, sweep_id=r.sweep_id, host=r.host, pid=r.pid,
    )
