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

import time

import sqlalchemy as sa

from .base import Batch
from .sql_artifacts import ArtifactsSQL
from .sql_engine import sqlstate
from .sql_runs import RunsSQL
from .sql_series import SeriesSQL
from .sql_sweeps import SweepsSQL

RETRIES = 5  # attempts of a PostgreSQL write transaction the server aborted as a deadlock/serialisation victim
_RETRY_SQLSTATES = ("40001", "40P01")  # serialization_failure, deadlock_detected


class SQLStore(RunsSQL, SeriesSQL, ArtifactsSQL, SweepsSQL):
    """A :class:`Store` over an SQLAlchemy engine: the shared opening and transactions of
    :class:`~.sql_base.SQLBase` with one part per domain (runs, series, artifacts, sweeps), written together in
    one transaction by :meth:`write_batch`.

    An SQLite store that cannot be written (a read-only file, folder or file system) is opened for reading, and
    :attr:`read_only` says why; a write opens it again for writing once that is possible.

    Example::

        store = SQLStore("sqlite:////tmp/jt/jupyter_track.db")
        store.list_runs(project="fashion", order="-summary.acc", limit=10)
    """

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
                if self.dialect != "postgresql" or sqlstate(exc) not in _RETRY_SQLSTATES or attempt == RETRIES - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _write_batch(self, batch: Batch) -> None:
        # A batch may be written twice: when the connection drops during COMMIT the writer cannot tell whether it
        # landed and retries it. So rows with a natural key (runs, chunks by (run, key, seq), sweeps) are inserted
        # "if absent", deletes and upserts are idempotent anyway; only media rows (no natural key) could repeat.
        # Runs go first: every other row refers to its run.
        now = time.time() if batch.at is None else batch.at
        with self._write() as conn:
            self._write_runs(conn, batch.runs)
            self._write_series(conn, batch)
            self._write_blob_refs(conn, batch.blob_refs, now)
            self._write_artifacts(conn, batch, now)
            self._write_sweeps(conn, batch.sweeps)
