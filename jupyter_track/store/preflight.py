"""What ``init()`` needs of a store before SQLAlchemy has loaded: stdlib sqlite3, or one psycopg connection.

``init()`` checks here that the store can be used (a newer schema or a damaged file is refused at once), numbers
the project's new run to name it, and makes the run's row, in one transaction (runs started at the same moment in
several processes get distinct numbers), so that a process killed right after ``init()`` leaves a (crashed) run
rather than none (about 0.3 ms on SQLite). The writer thread opens the store with SQLAlchemy and writes everything
else, off the training thread. A store not made yet (the first run of a new SQLite file) or older is opened at
once instead (its schema is made or migrated then), and asked again; one that takes no writes now (read-only,
full, locked) gets the run's row from the writer's first batch (the writer holds the data and says why). A
PostgreSQL store is asked with psycopg alone (SQLAlchemy would double the time ``init()`` takes).
"""

from __future__ import annotations

# sqlite3's C module itself (sqlite3.dbapi2 re-exports it): the package only adds datetime adapters, which the
# preflight never uses, and imports datetime for them (2-3 ms of init())
import _sqlite3 as sqlite3
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import RunIsRunningError, StoreError
from . import access, revisions, urls

Columns = Callable[[int], dict[str, Any]]  # the new run's columns, given its number (its name holds it)
_JSON_COLUMNS = ("config", "meta", "summary", "tags")


# The next run number of project %(p)s, taken atomically from its counter row (never below the project's run count
# + 1: runs copied in by `jupyter-track migrate` count too). Plain SQL for psycopg: here and in SQLStore alike.
NEXT_RUN_NUMBER = """
INSERT INTO run_counters (project, n)
VALUES (%(p)s::varchar, (SELECT count(*) + 1 FROM runs WHERE project = %(p)s::varchar))
ON CONFLICT (project) DO UPDATE SET n = greatest(run_counters.n + 1, excluded.n)
RETURNING n
"""


def _insert(columns: list[str], placeholder: Callable[[str], str]) -> str:
    """``INSERT`` of a run row with ``columns``; a row already there is kept (and :func:`_taken` says so)."""
    values = ", ".join(placeholder(c) for c in columns)
    return f"INSERT INTO runs ({', '.join(columns)}) VALUES ({values}) ON CONFLICT (id) DO NOTHING"


def _taken(run_id: str) -> RunIsRunningError:
    """A run with ``run_id`` appeared after ``init()`` found none: another process started it this moment."""
    return RunIsRunningError(
        f"a run with id {run_id!r} was started by another process at the same moment, and two processes logging "
        "one run would lose points; leave id out to start a new run, or resume it (resume='allow') once that one "
        "has finished")


def _row(run_id: str, fields: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    """The run row's values as the drivers take them: JSON columns as text, written as SQLAlchemy writes them."""
    row = {"id": run_id, "summary": {}, **fields, "tags": list(dict.fromkeys(tags))}
    return {k: _json(v) if k in _JSON_COLUMNS else v for k, v in row.items()}


def _json(value: Any) -> str:
    """``value`` as the store's JSON serializer (orjson) writes it. The stdlib's json (loaded already) writes the
    same text for plain values; orjson, which takes ``init()`` 2 ms to import, does the rest (numpy values,
    keys that are not strings, NaN: orjson writes null)."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


# SQLite's form of NEXT_RUN_NUMBER, run inside the transaction that makes the run's row
NEXT_RUN_NUMBER_SQLITE = """
INSERT INTO run_counters (project, n) VALUES (:p, (SELECT count(*) + 1 FROM runs WHERE project = :p))
ON CONFLICT (project) DO UPDATE SET n = max(run_counters.n + 1, excluded.n)
RETURNING n
"""


def _sqlite_start(path: Path, project: str, run_id: str, columns: Columns, tags: list[str]
                  ) -> tuple[int, dict[str, Any]] | None:
    """Refuse a newer or damaged store, then number the run from the project's counter and make its row, in one
    write transaction of the SQLite store at ``path`` (runs started at the same moment in several processes get
    distinct names); None when the store does not have the current schema or takes no writes now."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store folder {path.parent}: {exc.strerror}") from None
    if not path.exists():
        return None
    conn = None
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found = (conn.execute(f"SELECT version_num FROM {revisions.VERSION_TABLE}").fetchone()
                 if revisions.VERSION_TABLE in tables else None)
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise StoreError(access.cannot("open", path, exc)) from None
    started: tuple[int, dict[str, Any]] | None = None
    try:
        revisions.check(found[0] if found else None, str(path))
        if not found or found[0] != revisions.HEAD:
            return None  # an empty file, one being created, or an older store: opening it makes or migrates it
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA synchronous=NORMAL")  # as the store's own connections: durable against a kill
        conn.execute("BEGIN IMMEDIATE")
        number = int(conn.execute(NEXT_RUN_NUMBER_SQLITE, {"p": project}).fetchone()[0])
        fields = columns(number)
        row = _row(run_id, fields, tags)
        if conn.execute(_insert(list(row), lambda c: f":{c}"), row).rowcount == 0:
            raise _taken(run_id)  # closing the connection rolls the transaction back
        conn.executemany("INSERT INTO run_tags (run_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
                         [(run_id, t) for t in dict.fromkeys(tags)])
        conn.execute("COMMIT")
        started = number, fields
    except sqlite3.Error:
        return None  # read-only, full, locked: the writer's first batch makes the row, or says why not
    finally:
        # closing a store's last connection checkpoints its WAL (disk syncs, 1-15 ms): init() leaves that to a thread
        if started is None:
            conn.close()
        else:
            threading.Thread(target=conn.close, name="jupyter_track-preflight").start()
    return started


def server_start_run(url: str, project: str, run_id: str, columns: Columns, tags: list[str]
                     ) -> tuple[int, dict[str, Any]] | None:
    """:func:`start_run` on the PostgreSQL store at ``url``: the number is taken atomically (see
    :meth:`SQLStore.next_run_number`); None when the store is not made yet or is older (the caller opens it).
    A newer schema is refused, and a server that cannot be reached is a :class:`StoreError`."""
    urls.require_driver(url)
    import psycopg

    conninfo = "postgresql://" + url.split("://", 1)[1]  # psycopg takes the URL without SQLAlchemy's +driver
    try:
        with psycopg.connect(conninfo, connect_timeout=10, application_name="jupyter_track", autocommit=True) as conn:
            row = conn.execute(f"SELECT to_regclass('{revisions.VERSION_TABLE}') IS NOT NULL").fetchone()
            if not row or not row[0]:
                return None
            found = conn.execute(f"SELECT version_num FROM {revisions.VERSION_TABLE}").fetchone()
            revision = found[0] if found else None
            revisions.check(revision, urls.redact(url))
            if revision != revisions.HEAD:
                return None
            taken = conn.execute(NEXT_RUN_NUMBER, {"p": project}).fetchone()
            if not taken:
                return None
            number = int(taken[0])
            fields = columns(number)
            values = _row(run_id, fields, tags)
            try:
                with conn.transaction():
                    inserted = conn.execute(_insert(list(values), lambda c: f"%({c})s::json" if c in _JSON_COLUMNS
                                                    else f"%({c})s"), values).rowcount
                    if inserted == 0:
                        raise _taken(run_id)
                    conn.cursor().executemany("INSERT INTO run_tags (run_id, tag) VALUES (%s, %s) ON CONFLICT "
                                              "DO NOTHING", [(run_id, t) for t in dict.fromkeys(tags)])
            except psycopg.DatabaseError:
                pass  # read-only, or another fault: the writer's first batch makes the row, or says why not
            return number, fields
    except psycopg.Error as exc:
        advice = (" (is the server running, and the user, password and database right?)"
                  if isinstance(exc, psycopg.OperationalError) else "")
        raise StoreError(f"cannot open the store {urls.redact(url)}: {urls.scrub(str(exc), url).strip()}{advice}"
                         ) from None


def start_run(url: str, project: str, run_id: str, columns: Columns, tags: list[str]
              ) -> tuple[int, dict[str, Any]] | None:
    """Number the next run of ``project`` in the store at ``url`` and make its row (see the module's docstring),
    without SQLAlchemy: ``(number, its columns)``; None when the caller must open the store (one not made yet, or
    older: opening makes or migrates it; then ask again) or when the store takes no writes now."""
    path = urls.sqlite_path(url)
    if path is None:
        return server_start_run(url, project, run_id, columns, tags)
    return _sqlite_start(path, project, run_id, columns, tags)
