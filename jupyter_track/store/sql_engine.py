"""The engines of the SQL store: SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE`` for writes, RE2 for ``$regex``)
and PostgreSQL (a pool per process, pre-ping, a lock timeout, NUL characters replaced); every driver error loses
the URL's password.

Example::

    engine = sqlite_engine(Path("/tmp/jt/jupyter_track.db"))            # read-write, WAL
    reader = sqlite_engine(Path("/tmp/jt/jupyter_track.db"), "ro")      # for a store that cannot be written
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from . import filters as flt
from . import urls

BUSY_TIMEOUT_MS = 60_000  # how long a write waits for another process's write lock before failing
WAL_CHECKPOINT_PAGES = 4000  # WAL pages (4 KB) after which a commit copies them into the file (SQLite: 1,000)


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def postgres_engine(url: sa.URL) -> Engine:
    """A pool per process: the writer thread, the server's worker threads and readers each hold one connection at
    most; pre-ping replaces connections a restarted server dropped."""
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=60, pool_recycle=1800,
        # a write waits for another's row locks as long as an SQLite write waits for the file lock
        connect_args={"connect_timeout": 10, "application_name": "jupyter_track",
                      "options": f"-c lock_timeout={BUSY_TIMEOUT_MS}"},
        json_serializer=dumps, json_deserializer=orjson.loads,
    )


def sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    """The SQLSTATE of a PostgreSQL error (None on SQLite)."""
    return getattr(exc.orig, "sqlstate", None)


def scrub_errors(engine: Engine, url: str) -> None:
    """Every driver error of ``engine`` (connection failures included) loses the URL's password, wherever the
    driver put it in its message: the errors reach logs, the writer's warnings and the server's answers."""
    if urls.password(url) is None:
        return

    @event.listens_for(engine, "handle_error")
    def _scrub(context: Any) -> None:
        for exc in (context.original_exception, context.sqlalchemy_exception):
            if exc is not None and exc.args:
                exc.args = tuple(urls.scrub(a, url) if isinstance(a, str) else a for a in exc.args)


def replace_nul(engine: Engine) -> None:
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


def sqlite_engine(path: Path, mode: str | None = None) -> Engine:
    """The engine of the SQLite store at ``path``; ``mode`` ``ro`` or ``immutable`` opens it for reading only."""
    url = sa.URL.create("sqlite", database=str(path))
    if mode is not None:  # a URI filename: %-escaped, so a '?' or '#' in the path stays in the path
        url = url.set(database=f"file:{quote(str(path))}",
                      query={"mode": "ro", "uri": "true", **({"immutable": "1"} if mode == "immutable" else {})})
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                              json_serializer=dumps, json_deserializer=orjson.loads)
    _configure_sqlite(engine, read_only=mode is not None)
    return engine


def _enter_wal(cur: sqlite3.Cursor) -> None:
    """Put the database in WAL mode, waiting out other processes as a write would. On a new file the switch
    upgrades a read lock to a write lock, and SQLite answers that upgrade's conflict with "database is locked" at
    once, without the busy timeout (to avoid a deadlock): processes opening a new store at the same moment (a
    launcher's workers) would fail; one of them wins, and then the file is in WAL mode for the others."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.001
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            # SQLITE_BUSY's message (Python 3.10 has no error codes on the exception)
            if "database is locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _configure_sqlite(engine: Engine, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun explicitly in _begin
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not read_only:
            _enter_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process; WAL keeps it consistent
            # A checkpoint copies the newest copy of each page in the WAL into the file. The pages every flush
            # rewrites (the chunk index's leaves, the summaries) were copied at nearly every flush of a wide run with
            # SQLite's 1,000 pages; at 4,000 a quarter as often (a 1,000-key run writes ~15 % fewer bytes). The WAL
            # file then stays at up to ~16 MB, reused after each checkpoint
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        # $regex filters: RE2 in linear time, in place of SQLAlchemy's REGEXP (Python's backtracking re, which
        # one pattern like "(a+)+$" keeps busy for minutes, holding the GIL: the whole server process froze)
        dbapi_conn.create_function("regexp", 2, flt.regexp, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("jt_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


