"""What ``init()`` needs of the embedded SQLite store before SQLAlchemy has loaded: a few ms of stdlib sqlite3.

``init()`` checks here that the store can be used (a newer schema or a damaged file is refused at once) and
counts the project's runs to name the new one; the writer thread then opens the store with SQLAlchemy and
creates the run, off the training thread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from . import revisions


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///…`` URL, else None."""
    prefix = "sqlite:///"
    return Path(url[len(prefix):]).expanduser() if url.startswith(prefix) and len(url) > len(prefix) else None


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
        raise StoreError(f"cannot open the store {path}: {exc} (if the file is damaged, move it away: a new "
                         "store is made in its place)") from None
