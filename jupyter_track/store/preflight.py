"""What ``init()`` needs of a store before SQLAlchemy has loaded: stdlib sqlite3, or one psycopg round trip.

``init()`` checks here that the store can be used (a newer schema or a damaged file is refused at once) and
numbers the project's new run to name it; the writer thread then opens the store with SQLAlchemy and creates the
run, off the training thread. A PostgreSQL store is asked with psycopg alone (SQLAlchemy would double the time
``init()`` takes); one not made yet, or older, is opened at once instead (its schema is made or migrated then).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from . import access, revisions, urls


def count_runs(path: Path, project: str) -> int:
    """The number of runs of ``project`` in the store at ``path`` (0 for a store not made yet)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the store folder {path.parent}: {exc.strerror}") from None
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if revisions.VERSION_TABLE not in tables:
                return 0  # an empty file, one being created, or an older store SQLStore adopts: it decides
            query = f"SELECT version_num FROM {revisions.VERSION_TABLE}"
            (revision,) = conn.execute(query).fetchone() or (None,)
            revisions.check(revision, str(path))
            return int(conn.execute("SELECT count(*) FROM runs WHERE project = ?", (project,)).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(access.cannot("open", path, exc)) from None


# The next run number of project %(p)s, taken atomically from its counter row (never below the project's run count
# + 1: runs copied in by `jupyter-track migrate` count too). Plain SQL for psycopg: here and in SQLStore alike.
NEXT_RUN_NUMBER = """
INSERT INTO run_counters (project, n)
VALUES (%(p)s::varchar, (SELECT count(*) + 1 FROM runs WHERE project = %(p)s::varchar))
ON CONFLICT (project) DO UPDATE SET n = greatest(run_counters.n + 1, excluded.n)
RETURNING n
"""


def server_run_number(url: str, project: str) -> int | None:
    """The number of the next run of ``project`` in the PostgreSQL store at ``url``, taken atomically (see
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
            number = conn.execute(NEXT_RUN_NUMBER, {"p": project}).fetchone()
            return int(number[0]) if number else None
    except psycopg.Error as exc:
        advice = (" (is the server running, and the user, password and database right?)"
                  if isinstance(exc, psycopg.OperationalError) else "")
        raise StoreError(f"cannot open the store {urls.redact(url)}: {urls.scrub(str(exc), url).strip()}{advice}"
                         ) from None


def run_number(url: str, project: str) -> int | None:
    """The number of the next run of ``project`` in the store at ``url``, asked without SQLAlchemy; None when the
    caller must open the store (a server store not made yet, or older)."""
    path = urls.sqlite_path(url)
    return count_runs(path, project) + 1 if path is not None else server_run_number(url, project)
