"""Whether an SQLite store's files can be written, and what a failure to open one means, in the user's terms.

Stdlib only: ``init()``'s preflight uses it before SQLAlchemy has loaded. ``os.access`` is asked rather than a
file opened for writing (closing any descriptor of a database file drops this process's SQLite locks on it); it
sees a read-only file system and an immutable file or folder even for root, and permissions for other users.
"""

from __future__ import annotations

import os
from pathlib import Path

_DAMAGED = ("malformed", "not a database", "corrupt")  # SQLite's words for a damaged file


def unwritable(path: Path) -> str | None:
    """Why the SQLite store at ``path`` cannot be written (its folder, the file, or its ``-wal``/``-shm`` file
    is read-only), or None when nothing stops a write.

    Example::

        unwritable(Path("/mnt/archive/jupyter_track.db"))     # 'its folder /mnt/archive is read-only'
    """
    for part, what in ((path.parent, "its folder"), (path, "the file"), (Path(f"{path}-wal"), "its -wal file"),
                       (Path(f"{path}-shm"), "its -shm file")):
        if part.exists() and not os.access(part, os.W_OK):
            return f"{what} {part} is read-only"
    return None


def cannot(doing: str, path: Path, reason: object) -> str:
    """The message for an SQLite store that could not be opened or read (``doing``): SQLite's ``reason``, why
    (damaged, read-only) and what to do. Only a damaged file is ever called one: a healthy store is never advised
    away.

    Example::

        cannot("read", path, "database disk image is malformed")   # '… the file is damaged: recover …'
    """
    text = " ".join(str(reason).split())
    said = f"cannot {doing} the store {path}: {text}"
    if any(word in text.lower() for word in _DAMAGED):
        return (f"{said}; the file is damaged: recover what it holds with `sqlite3 {path} .recover`, or move it "
                "away to start a new store in its place")
    why = unwritable(path) if path.parent.exists() else None
    return f"{said}; {why}: make it writable, or choose another store" if why is not None else said
