"""What went wrong with a write to the store, in the user's terms, and what to do about it."""

from __future__ import annotations

import os

from .urls import scrub, sqlite_path

_FAULTS = (  # words of SQLite's, PostgreSQL's and the OS's messages → what the user should hear
    (("disk is full", "no space left", "disk full", "file too large", "quota"), "the store's disk is full",
     "free some disk space"),
    (("readonly", "read-only", "read only"), "the store is read-only",
     "make the store writable again"),
    (("connect", "closed the connection", "terminating connection", "starting up", "shutting down",
      "server closed", "connection refused"), "the store's database server cannot be reached",
     "start the database server or check the network"),
)


def _local_fault(url: str) -> str:
    """Words for the OS's view of an SQLite store's folder when the driver's message is vague ("unable to open
    database file" on a file system remounted read-only)."""
    path = sqlite_path(url)
    if path is None:
        return ""
    try:
        stat = os.statvfs(path.parent)
    except OSError:
        return ""
    if stat.f_flag & os.ST_RDONLY:
        return "read-only file system"
    if stat.f_bavail == 0:
        return "no space left on the disk"
    return ""


def reason(exc: BaseException, url: str) -> str:
    """The driver's words (not SQLAlchemy's wrapper with its SQL and parameters), on one line, no password."""
    orig = getattr(exc, "orig", None) or exc
    text = scrub(" ".join(str(orig).split()), url) or type(orig).__name__
    return text if len(text) <= 300 else text[:300] + "…"


def describe(exc: BaseException | None, url: str = "") -> str:
    """What went wrong with a write, in the user's terms, with the driver's words: "the store's disk is full
    (database or disk is full)"."""
    if exc is None:
        return "writing to the store failed"
    said = reason(exc, url)
    local = _local_fault(url)
    if local and local not in said:
        said = f"{said}; {local}"
    low = said.lower()
    for words, problem, _ in _FAULTS:
        if any(w in low for w in words):
            return f"{problem} ({said})"
    return f"writing to the store failed ({said})"


def advice(exc: BaseException | None, url: str = "") -> str:
    """What to do about it."""
    low = describe(exc, url).lower()
    return next((todo for words, _, todo in _FAULTS if any(w in low for w in words)), "fix the store")
