"""Persistence: the store interface, its SQL implementation, blobs, and the background writer.

Nothing here imports the run, widget or server layers. :func:`open_store` keeps one store (and one
writer) per URL and process.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING, Any

from .. import settings

if TYPE_CHECKING:
    from .base import Batch, Store
    from .taps import Tap
    from .writer import Writer

__all__ = ["Batch", "Store", "close_all", "open_store", "settle", "tap", "writer_for"]


def __getattr__(name: str) -> Any:
    """``Batch`` and ``Store``, imported on first use: ``init()`` (which needs this package) does not wait for the
    store interface's module."""
    if name in ("Batch", "Store"):
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_lock = threading.Lock()
_stores: dict[tuple[int, str], Store] = {}
_writers: dict[tuple[int, str], Writer] = {}


def open_store(store: str | None = None, dir: str | os.PathLike[str] | None = None) -> Store:
    """The store at ``store`` (a URL) or in ``dir``, opened once per process and migrated if it is older. What
    a run of this process handed to the writer at ``finish()`` is in it first (see :func:`settle`).

    Example::

        store = open_store(dir="/tmp/jt")          # sqlite:////tmp/jt/jupyter_track.db
    """
    url = settings.store_url(store, dir)
    key = (os.getpid(), url)
    with _lock:
        found = _stores.get(key)
        if found is None:
            from .sql import SQLStore

            found = _stores[key] = SQLStore(url)
    settle(url, finished=True)
    return found


def writer_for(url: str) -> Writer:
    """The background writer of the store at ``url`` in this process (created on first use; it opens the
    store in its own thread)."""
    from .writer import Writer

    key = (os.getpid(), url)
    with _lock:
        writer = _writers.get(key)
        if writer is None:
            writer = _writers[key] = Writer(
                lambda: open_store(url),
                interval=settings.FLUSH_INTERVAL.number(),
                capacity=settings.buffer_points(),
                url=url,
            )
        return writer


def settle(url: str, timeout: float = 10.0, finished: bool = False) -> None:
    """Let this process's own logging reach the store at ``url`` before it is read, so ``jt.load_run(run.path)``
    right after ``jt.init()`` finds the run. ``finished``: only the runs that ``finish()`` handed to the writer
    (a reader of a run's series: cheap while nothing has finished). A write failure is not raised here: the
    writer reports it, and ``flush()`` raises it; the reader then sees what is stored."""
    from ..errors import StoreError

    with _lock:
        writer = _writers.get((os.getpid(), url))
    if writer is not None and (not finished or writer.closing()):
        with contextlib.suppress(StoreError):
            writer.flush(timeout)


def tap(url: str, run_id: str) -> Tap | None:
    """A tap of the points of run ``run_id`` as this process's writer of the store at ``url`` stores them
    (:mod:`.taps`); None where no run of this process logs it."""
    with _lock:
        writer = _writers.get((os.getpid(), url))
    return None if writer is None else writer.tap(run_id)


def close_all() -> None:
    """Drain and stop every writer of this process, then close its stores (at exit, and in tests)."""
    with _lock:
        pid = os.getpid()
        writers = [w for (p, _), w in _writers.items() if p == pid]
        _writers.clear()
    for writer in writers:  # first: a writer may still open its store to write what it holds
        writer.stop()
    with _lock:
        stores = [s for (p, _), s in _stores.items() if p == pid]
        _stores.clear()
    for store in stores:
        store.close()
