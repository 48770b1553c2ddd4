"""The in-memory buffer a run appends to, and the one background writer thread per store and process.

``log()`` only appends a record to its run's :class:`RunBuffer`; the :class:`Writer` drains every buffer at
the flush interval (or early, when a buffer passes its high-water mark), packs the records into per-key
columnar chunks, keeps each run's summary statistics, and applies everything as one
:meth:`~jupyter_track.store.base.Store.write_batch` transaction.

A failed write (disk full, read-only store, database server restarting) keeps its batch and retries it with
capped exponential back-off; meanwhile new records stay in the run buffers, so memory stays bounded and
``log()`` goes on returning at once until a buffer is full (then it waits: back-pressure). The user is told once
per outage, in the log, what went wrong and how many points are held; :meth:`Writer.flush` raises
:class:`StoreError` with that count; nothing is dropped silently. ``finish()`` hands the run's last batch over
(:meth:`close_run` with ``wait=False``, :meth:`hand_over`) and returns; readers in the process, the end of an
IPython cell (which says what was dropped) and :meth:`stop` at exit wait for it.

Data the store refuses is another matter: retrying it cannot help, and it must not hold back other runs. A
record that int64 steps / float64 values cannot hold is dropped alone when the batch is packed; a batch the store
refuses (a constraint, a value it cannot take) is written again run by run, and only the refused run's part is
dropped. A run whose row was deleted while it ran (``jupyter-track rm --force``) has what it logs from then on
dropped, so its ``log()`` never waits on it. Each is said once in the log; the run's ``finish()`` raises when
it is known by then, else the end of the IPython cell that called it says so.
"""

from __future__ import annotations

import enum
import functools
import gc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from ..errors import StoreError
from ..messages import logger
from ..types import SummaryEntry
from . import switches
from .heap import give_back, mapped
from .urls import scrub, sqlite_path

log = logger()

if TYPE_CHECKING:
    from ..metric_defs import MetricDef, MetricDefs, fold, summary_value
    from .base import Batch, BlobRefWrite, ChunkWrite, ObjectWrite, RunWrite, Store, SummaryWrite, listing_summary


def _load_records() -> None:
    """Import the store's write records and the summary functions, at the writer's first flush: ``init()``, which
    makes the writer, does not wait for the store interface's module (18 dataclasses, 5 ms) or the metric
    definitions' (1 ms); the writer thread loads them while the run starts."""
    global Batch, ChunkWrite, ObjectWrite, RunWrite, SummaryWrite, listing_summary, fold, summary_value
    from ..metric_defs import fold, summary_value
    from .base import Batch, ChunkWrite, ObjectWrite, RunWrite, SummaryWrite, listing_summary

CHUNK_MAX = 65536  # points per chunk row at most
SMALL_CHUNK = 1024  # a merged chunk below this stays "open" and takes further small chunks
MERGE_BELOW = 128  # chunks below this stay open and are merged, so slow loops don't leave one row per point;
# larger ones are rows as they are: the writer keeps open chunks in memory (for every key of a wide run: with
# 1,000 keys, 16 open chunks of 1,000 points each held 380 MB), and rewrites them when it merges
MERGE_AFTER = 16  # open chunks per key that trigger a merge
HEARTBEAT_EVERY = 5.0  # seconds between heartbeats of an idle run
TRIM_AFTER = 65536  # values written before freed memory is handed back to the OS (a trim walks the heap) …
TRIM_EVERY = 1.0  # … at most once a second while runs log, and when a run finishes
RETRY_MAX = 8.0  # seconds between retries of a failed write at most (back-off doubles from the flush interval)
Rich = list[tuple[str, str, Any]]  # media and text of one log() call: (key, kind, stored form)
# a log() call with media or text: step, time, keys, their values packed as little-endian float64, media and text
Point = tuple[int, float, tuple[str, ...], bytes, Rich]
Sample = tuple[int, float, dict[str, float]]  # one system sample: index, time, {"system/…": value}


class Op:
    """A buffer record other than a point: ``create`` (the run's row), ``update`` (run columns), ``tags``,
    ``summary`` / ``summary_reset`` (user summary values), ``metric`` (a
    :class:`~jupyter_track.metric_defs.MetricDef`: what the key's summary holds), ``blob_ref``, or ``system``
    (a :data:`Sample`).

    Points stay plain tuples: ``log()`` makes one per call, and a tuple is the cheapest record to build."""

    __slots__ = ("name", "payload")

    def __init__(self, name: str, payload: Any) -> None:
        self.name = name
        self.payload = payload

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.payload!r})"


class Rows:
    """Consecutive plain ``log()`` calls of one key set: per call a row of its step (int64), time and values
    (float64), little-endian, appended to one bytearray. The buffer holds a few bytes per value and no Python
    object per call (objects freed by the thousand leave the small-object allocator's arenas partly used, so
    the process kept them after ``finish()``), and the writer reads the rows as one numpy array.

    Example::

        rows = Rows(("loss", "acc"))
        rows.data += struct.pack("<qd2d", 0, time.time(), 0.5, 0.9)   # step 0: loss 0.5, acc 0.9
        rows.values()   # 2
    """

    __slots__ = ("data", "keys")

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys
        self.data = bytearray()

    def values(self) -> int:
        """Logged values held here."""
        k = len(self.keys)
        return len(self.data) // (16 + 8 * k) * k

    def arrays(self) -> tuple[Any, Any, Any]:
        """Steps, times and the (calls × keys) value matrix, as views of the rows."""
        import numpy as np

        rows = np.frombuffer(self.data, dtype=_row_dtype(len(self.keys)))
        return rows["s"], rows["t"], rows["v"]


@functools.cache
def _row_dtype(k: int) -> Any:
    import numpy as np

    return np.dtype([("s", "<i8"), ("t", "<f8"), ("v", "<f8", (k,))])


Record = Rows | Point | Op


class RunBuffer:
    """Records of one run not yet taken by the writer, in the order they were made: :class:`Rows` of plain
    ``log()`` calls, :data:`Point` tuples of calls with media or text, and :class:`Op` records. ``lock`` also
    guards the run's step counter.

    The bound is in logged values, not calls (``held`` counts the values of the points here): a call of 1,000
    keys takes as much room as 1,000 calls of one, so memory stays bounded at any width."""

    __slots__ = ("capacity", "has_ops", "held", "high_water", "items", "lock", "room", "rows", "run_id", "wake")

    def __init__(self, run_id: str, capacity: int, wake: threading.Event) -> None:
        self.run_id = run_id
        self.items: list[Record] = []
        self.rows: Rows | None = None  # the last of items when it is a Rows record: log() adds its calls to it
        self.held = 0  # values of the points in items (ops are not counted: they never wait)
        self.has_ops = False
        self.lock = threading.Lock()
        self.room = threading.Condition(self.lock)
        self.capacity = max(16, capacity)
        self.high_water = max(8, self.capacity // 4)
        self.wake = wake

    def full(self, n: int) -> None:
        """Called by ``log()`` with ``lock`` held before it adds ``n`` values, once that passes the high-water
        mark: wake the writer, and wait (back-pressure) while they would not fit. A call wider than the whole
        bound goes in alone, once the buffer is empty."""
        self.wake.set()
        while self.held and self.held + n > self.capacity:
            self.room.wait(0.5)
            self.wake.set()

    def op(self, name: str, payload: Any = None, wake: bool = True) -> None:
        """Add an :class:`Op` record, and wake the writer (``wake=False``: it takes it at its next flush)."""
        record = Op(name, payload)
        with self.lock:
            self.items.append(record)
            self.rows = None
            self.has_ops = True
        if wake:
            self.wake.set()

    def points(self) -> int:
        """Logged values held here (metric values, media, system samples), for "not saved" messages."""
        with self.lock:
            return _count(self.items)

    def take(self) -> tuple[list[Record], bool]:
        """Everything buffered so far, and whether it holds op records."""
        with self.lock:
            items, self.items, self.rows = self.items, [], None
            has_ops, self.has_ops = self.has_ops, False
            self.held = 0
            self.room.notify_all()
        return items, has_ops


def _count(items: list[Record]) -> int:
    """Logged values in buffer records (metric values, media, system samples)."""
    return sum(rec.values() if isinstance(rec, Rows) else _held(rec) if not isinstance(rec, Op)
               else _held(rec.payload) if rec.name == "system" else 0 for rec in items)


def _held(rec: Point | Sample) -> int:
    """Logged values in a point (scalars and media) or a system sample."""
    return len(rec[2]) + (len(rec[4] or ()) if len(rec) == 5 else 0)


# The writer's own records below are plain classes with __slots__, not dataclasses: init() imports this module to
# make the writer, and making one dataclass's generated methods takes about 1 ms at import.
class _OpenChunk:
    """A small chunk of a key kept in memory after it was written, to be merged with the key's next ones."""

    __slots__ = ("seq", "steps", "times", "values")

    def __init__(self, seq: int, steps: Any, values: Any, times: Any) -> None:
        self.seq, self.steps, self.values, self.times = seq, steps, values, times


class _RunState:
    """What the writer remembers of a run between flushes (it is the run's only writer)."""

    __slots__ = ("_metrics", "buffer", "closing", "dropped", "gone", "last_heartbeat", "last_step", "next_seq",
                 "open_chunks", "summary", "why")

    def __init__(self, buffer: RunBuffer, summary: dict[str, SummaryEntry] | None = None,
                 next_seq: dict[str, int] | None = None, last_step: int | None = None,
                 last_heartbeat: float = 0.0) -> None:
        self.buffer = buffer
        self.summary: dict[str, SummaryEntry] = {} if summary is None else summary
        self._metrics: MetricDefs | None = None
        self.next_seq: dict[str, int] = {} if next_seq is None else next_seq
        self.open_chunks: dict[str, list[_OpenChunk]] = {}
        self.last_step = last_step
        self.last_heartbeat = last_heartbeat
        self.closing = False
        self.dropped = 0  # logged values of the run that could not be stored and were dropped
        self.why = ""  # the first reason, for finish()'s error
        self.gone = False  # its row was deleted (or never made): what it logs is dropped, never retried

    @property
    def metrics(self) -> MetricDefs:
        """define_metric(): what each key's summary holds (made by the writer thread, when it first asks)."""
        if self._metrics is None:
            from ..metric_defs import MetricDefs

            self._metrics = MetricDefs()
        return self._metrics


class _Pending:
    """A packed batch not yet committed, and how many logged values it carries (chunk merges make
    ``batch.points()`` an undercount of what a failed write holds back)."""

    __slots__ = ("batch", "points")

    def __init__(self, batch: Batch, points: int) -> None:
        self.batch, self.points = batch, points


def _dropped(state: _RunState) -> str | None:
    return f"{state.dropped} logged values were not stored: {state.why}" if state.dropped or state.gone else None


class WriterState(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPED = "stopped"


class Writer:
    """The background writer of one store in this process.

    The store is opened by the writer thread on its first flush (``opener``), so a run can start logging
    before SQLAlchemy has even loaded.

    Example::

        writer = Writer(lambda: open_store(url), interval=1.0)
        buf = writer.register("abc123")          # a RunBuffer the run appends to
        writer.flush()                           # block until everything appended so far is durable
    """

    def __init__(self, opener: Callable[[], Store], interval: float = 1.0, capacity: int = 500_000,
                 url: str = "") -> None:
        self._opener = opener
        self.url = url  # only to name a fault of the store's file system in messages
        self._store: Store | None = None
        self.interval = min(max(interval, 0.01), 1.0)
        self.capacity = capacity
        self.state = WriterState.NEW
        self.error: BaseException | None = None
        self._runs: dict[str, _RunState] = {}
        self._pending: list[_Pending] = []
        self._packed = 0  # values packed by the _collect running now
        self._logged = False  # whether the flush running now packed log() calls (not only ops, system samples)
        self._untrimmed = 0  # values written since the freed memory was last handed back to the OS
        self._trimmed_at = 0.0
        self._since_close = 0  # values written since a run last finished
        self._merged: dict[tuple[str, str], list[tuple[int, int]]] = {}  # (run, key) → seq ranges merged this batch
        # Per batch, for the keys logged together (they have the same steps and times arrays): the encoded steps and
        # times (chunk_codec.encode's ``shared``), and the chunk slices and merges of those arrays, made once
        self._encoded: dict[Any, Any] = {}
        self._shared: dict[Any, Any] = {}
        self._wake = threading.Event()  # the interval's wake-up, set early by a buffer at its high-water mark
        self._kick = threading.Event()  # flush()/stop(): cuts a back-off wait short, which _wake does not
        self._failures = 0  # failed writes in a row
        self._retry_at: float | None = None  # monotonic time of the next retry while writes fail
        self._cond = threading.Condition()
        self._requested = 0
        self._completed = 0
        # The registry lock guards the runs dict and is never held across I/O, so register() (a second init())
        # never waits for a write. The flush lock serialises flush work (packing and writing) between the thread
        # and a final flush at exit; it may take the registry lock, never the reverse.
        self._registry = threading.Lock()
        self._flushing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._handed: list[threading.Thread] = []  # runs' last steps handed over by finish() (hand_over)
        self._handing: dict[str, threading.Event] = {}  # run id → set once those steps buffered its final state

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self._opener()
        return self._store

    # -- lifecycle --------------------------------------------------------------------------------------------
    def register(
        self,
        run_id: str,
        summary: dict[str, SummaryEntry] | None = None,
        chunk_tails: dict[str, int] | None = None,
        last_step: int | None = None,
    ) -> RunBuffer:
        buf = RunBuffer(run_id, self.capacity, self._wake)
        state = _RunState(buffer=buf, summary=dict(summary or {}), last_step=last_step,
                          next_seq={k: s + 1 for k, s in (chunk_tails or {}).items()},
                          last_heartbeat=time.time())
        with self._registry:
            self._runs[run_id] = state
            self._start()
        return buf

    def nudge(self) -> None:
        """Flush now rather than at the end of the interval, without waiting for it. ``init()`` calls this as it
        returns: a process's first flush loads SQLAlchemy (about 0.3 s holding the GIL, with a 0.1 ms switch
        interval), which would halve the speed of what ``init()`` still does."""
        self._wake.set()

    def close_run(self, run_id: str, fields: dict[str, Any], wait: bool = True,
                  exact: dict[str, int | bool] | None = None) -> str | None:
        """Write ``fields`` (final state) after everything the run logged, then forget the run. Returns what
        of the run was dropped (see the module's docstring) as a sentence, or None when nothing was.

        ``exact``: the keys whose last logged value was an int or a bool, with that value: the summary shows it
        as it was logged (the chunks hold float64) where it shows the last value.

        ``wait=False`` hands the run's last batch to the writer thread and returns at once (``finish()``: the
        first write of a process waits for SQLAlchemy to load); the sentence then says only what was dropped
        so far. Readers in this process wait for it (:func:`~jupyter_track.store.settle` flushes), and so
        does the exit (:meth:`stop`)."""
        with self._registry:
            state = self._runs.get(run_id)
        try:
            if state is None:
                return None
            if exact:
                state.buffer.op("exact", exact)
            state.buffer.op("update", fields)
            state.closing = True
        finally:  # its final state is buffered: a flush from now on writes it (see hand_over)
            with self._registry:
                handed = self._handing.pop(run_id, None)
            if handed is not None:
                handed.set()
        if wait:
            self.flush()  # what it dropped of the run was counted before the flush that took its last record ended
        else:
            self._wake.set()
        return _dropped(state)  # the state, not the registry: a flushed run is forgotten

    def drops_of(self, run_id: str) -> Callable[[], str | None]:
        """What of the run was dropped so far, as :meth:`close_run` says it (None when nothing was), each time
        it is called: also after a flush, when the writer has forgotten the run."""
        with self._registry:
            state = self._runs.get(run_id)
        return (lambda: None) if state is None else (lambda: _dropped(state))

    def hand_over(self, run_id: str, work: Callable[[], object]) -> None:
        """Run ``work`` (a run's last steps: waiting for its capture, then ``close_run(run_id, wait=False)``)
        on a thread of its own; :meth:`flush` and :meth:`stop` first wait until it has buffered the run's final
        state, so nothing it writes is missed."""
        # in the context of the caller: a kernel attributes what the work displays (the live panel's final
        # view) to the cell that called finish(). A kernel has contextvars loaded (asyncio loads it); a process
        # without it has no context variable of Python code to carry over, and importing it costs 0.5 ms. (Another
        # thread may be importing it right now: a module half made has no copy_context yet.)
        copy_context = getattr(sys.modules.get("contextvars"), "copy_context", None)
        target = functools.partial(copy_context().run, work) if copy_context is not None else work
        thread = threading.Thread(target=target, name="jupyter_track-finish", daemon=True)
        with self._registry:
            self._handing[run_id] = threading.Event()
            self._handed = [t for t in self._handed if t.is_alive()] + [thread]
        thread.start()

    def closing(self) -> bool:
        """Whether a run finished without waiting (``close_run(wait=False)``) is not stored to its end yet (False
        on the writer's own threads: they store it)."""
        with self._registry:
            if threading.current_thread() is self._thread or threading.current_thread() in self._handed:
                return False
            if self.state is not WriterState.RUNNING:  # stop() writes everything itself, in the thread calling it
                return False
            return bool(self._handing) or any(s.closing for s in self._runs.values())

    def _await_handed(self) -> None:
        with self._registry:
            if threading.current_thread() in self._handed:
                return  # a handed-over step waits for nobody's: it may be what the others wait for
            handing = list(self._handing.values())
        for closed in handing:
            closed.wait()

    def _start(self) -> None:  # with the registry lock held: two first register()s start one thread
        if self.state is WriterState.NEW:
            self.state = WriterState.RUNNING
            self._thread = threading.Thread(target=self._loop, name="jupyter_track-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Drain everything and stop the thread (idempotent)."""
        if self.state is not WriterState.RUNNING:
            return
        self._await_handed()
        self.state = WriterState.STOPPED
        self._wake.set()
        self._kick.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._flush_once()
        if self.error is not None and self._pending:
            log.error("jupyter_track: %s: %d logged points could not be saved and are lost as this process ends",
                      describe(self.error, self.url), self.unsaved())

    # -- flushing ---------------------------------------------------------------------------------------------
    def flush(self, timeout: float | None = 60.0) -> None:
        """Block until everything appended before this call is committed; re-raise a write error."""
        self._await_handed()
        if self.state is not WriterState.RUNNING:
            self._flush_once()
        else:
            with self._cond:
                self._requested += 1
                target = self._requested
            self._wake.set()
            self._kick.set()  # an explicit flush retries a failed write now, whatever the back-off says
            deadline = None if timeout is None else time.monotonic() + timeout
            with self._cond:
                while self._completed < target:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise StoreError(f"the store did not take the logged data within {timeout:.0f} s")
                    self._cond.wait(left)
        # Under the lock: the writer thread may be committing a newer batch right now (in _pending while it is
        # written); only batches left behind by a failed write are unsaved.
        with self._flushing:
            failed = self.error is not None and bool(self._pending)
            unsaved = self._unsaved() if failed else 0
            error = self.error
        if failed:
            raise StoreError(
                f"{describe(error, self.url)}: {unsaved} logged points (and run updates) are not saved yet; they "
                f"are kept in memory and retried — {advice(error, self.url)}, then call flush() or finish() again"
            ) from error

    def summary(self, run_id: str) -> dict[str, SummaryEntry]:
        """Copies of the run's summary statistics as of the last flush (``define_metric`` for keys logged
        before it: the live summary starts from these)."""
        with self._registry:
            state = self._runs.get(run_id)
        if state is None:
            return {}
        with self._flushing:
            return {k: replace(e) for k, e in state.summary.items()}

    def unsaved(self) -> int:
        """Logged values not yet in the store: in batches a failed write holds back, and still buffered."""
        with self._flushing:
            return self._unsaved()

    def _unsaved(self) -> int:  # with the flush lock held
        return sum(p.points for p in self._pending) + sum(s.buffer.points() for s in self._states())

    def _states(self) -> list[_RunState]:
        with self._registry:
            return list(self._runs.values())

    def _loop(self) -> None:
        lowered: tuple[float, float] | None = None  # while the switch interval is lowered: (the one before, ours)
        try:
            while self.state is WriterState.RUNNING:
                retry_at = self._retry_at
                if retry_at is None:
                    self._wake.wait(self.interval)
                else:  # back-off: a full buffer's wake-ups must not turn it into a busy retry loop
                    self._kick.wait(max(0.0, retry_at - time.monotonic()))
                self._wake.clear()
                self._kick.clear()
                with self._cond:
                    target = self._requested
                # The GIL switch interval while runs log (Python's default is 5 ms): a thread waiting for the GIL
                # (the training loop's log()) waits that long before the holder must let go, so each of the
                # writer's turns cost a log() call up to 5 ms. It is held from a flush that wrote points until one
                # that found none (not only during flushes): the writer's wake-up before a flush, and the other
                # threads of a run (capture, system monitor), took turns of 5 ms too.
                if lowered is None:
                    lowered = switches.lower()
                self._logged = False
                self._flush_once()
                if not self._logged and lowered is not None:  # no log() call since the last flush
                    switches.restore(lowered)
                    lowered = None
                with self._cond:
                    self._completed = max(self._completed, target)
                    self._cond.notify_all()
        finally:
            if lowered is not None:
                switches.restore(lowered)

    def _flush_once(self) -> None:
        _load_records()  # a few µs once loaded
        with self._flushing:
            # What a failed write held back goes first; while it still fails, new records stay in the run
            # buffers (bounded: log() waits once one is full) instead of piling up here without limit.
            if self._pending and not self._write_pending():
                return
            self._packed = 0
            try:
                batch = self._collect()
            except BaseException as exc:  # thread boundary: record, never lose the thread
                self.error = exc
                log.exception("jupyter_track: could not prepare logged data")
                return
            if batch:
                self._pending.append(_Pending(batch, self._packed))
            if not self._write_pending():
                return
            with self._registry:
                closed = [r for r, s in self._runs.items() if s.closing and not s.buffer.items]
                for run_id in closed:
                    del self._runs[run_id]
                idle = bool(closed) and not self._runs  # the last run of the process finished
            if idle and self._store is not None:
                self._store.close()  # its pooled connections and their page caches (2 MB each); the next run connects
            self._untrimmed += self._packed
            self._since_close += self._packed
            now = time.monotonic()
            # a run that wrote much (or the last one) ends with a trim, even just after the last timed one: RSS after
            # finish() is back near where it was before init()
            ended_large = bool(closed) and self._since_close >= TRIM_AFTER
            if idle or ended_large or (self._untrimmed >= TRIM_AFTER and now - self._trimmed_at >= TRIM_EVERY):
                give_back()  # what the buffers of logged values held goes back to the OS, not only to malloc
                self._untrimmed, self._trimmed_at = 0, now
            if closed:
                self._since_close = 0

    def _write_pending(self) -> bool:
        """Commit the held batches in order; on failure keep them, schedule a retry and say so once."""
        if self._retry_at is not None and self._store is not None:
            # a retry connects afresh: a pooled connection opened while the store was read-only stays read-only
            # after the fault is cleared, and one to a restarted database server is dead
            self._store.close()
        while self._pending:
            try:
                self.store.write_batch(self._pending[0].batch)
            except Exception as exc:  # noqa: BLE001 - thread boundary: keep the batch, retry with back-off
                try:
                    if self.store.refuses(exc):  # no retry can change that: drop only the refused run's part
                        self._isolate(exc)
                        continue
                except Exception as again:  # noqa: BLE001 - the store failed while the refused run was sought
                    exc = again
                self._failed(exc)
                return False
            self._pending.pop(0)
        if self._retry_at is not None:
            log.warning("jupyter_track: the store takes writes again; the logged data held in memory is saved")
        self.error = None
        self._failures = 0
        self._retry_at = None
        return True

    def _isolate(self, exc: BaseException) -> None:
        """The store refused the first held batch's data. A batch of several runs is split, to be written run by
        run; a single run's part is dropped (its run's row gone: everything the run logs from now on too)."""
        head = self._pending[0]
        parts = _by_run(head.batch)
        if len(parts) > 1:
            self._pending[0:1] = [_Pending(part, part.points()) for part in parts.values()]
            return
        (run_id, part), = parts.items()
        gone = run_id is not None and self.store.get_run(run_id) is None
        self._pending.pop(0)
        with self._registry:
            state = self._runs.get(run_id) if run_id is not None else None
        if run_id is None or state is None:
            log.warning("jupyter_track: the store refused logged data (%s); it was dropped", _reason(exc, self.url))
            return
        if gone and not any(w.create for w in part.runs):
            why = "it was deleted from the store while it was running (`jupyter-track rm --force`, or the sidebar)"
        else:
            why = f"the store refused them ({_reason(exc, self.url)})"
        self._drop(run_id, state, head.points, why, gone=gone)

    def _drop(self, run_id: str, state: _RunState, points: int, why: str, gone: bool = False) -> None:
        """Count ``points`` of the run as dropped; say so once per run (and once more when its row is gone)."""
        first = not state.why
        state.dropped += points
        if first or gone:
            state.why = why
        if gone and not state.gone:
            state.gone = True
            log.warning("jupyter_track: run %s: %s: what it logs from now on is dropped; log() goes on without "
                        "waiting, and finish() will raise", run_id, why)
        elif first:
            log.warning("jupyter_track: run %s: logged values were dropped: %s; the rest of the run (and every "
                        "other run) is stored, and finish() will raise", run_id, why)

    def _failed(self, exc: BaseException) -> None:
        self._failures += 1
        delay = min(RETRY_MAX, self.interval * 2 ** min(self._failures - 1, 16))
        self._retry_at = time.monotonic() + delay
        if self._failures == 1:  # once per outage, not once per retry
            log.warning("jupyter_track: %s: %d logged points are not saved yet; they are kept in memory and the "
                        "write is retried with back-off (every %.0f s at most); log() goes on until the buffer of "
                        "%d values per run is full — %s", describe(exc, self.url), self._unsaved(), RETRY_MAX,
                        self.capacity, advice(exc, self.url))
        self.error = exc

    # -- packing ----------------------------------------------------------------------------------------------
    def _collect(self) -> Batch:
        # Packing allocates a few objects per logged record while up to a buffer's worth of records is alive;
        # the cyclic GC would rescan them all, again and again. Nothing here makes cycles, so pause it.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._collect_all()
        finally:
            self._encoded.clear()  # the batch holds the bytes; the arrays go now, not at the next flush
            self._shared.clear()
            if paused:
                gc.enable()

    def _collect_all(self) -> Batch:
        batch = Batch()
        now = time.time()
        self._merged.clear()
        with self._registry:
            runs = list(self._runs.items())
        for run_id, state in runs:
            items, has_ops = state.buffer.take()
            if state.gone:  # drained all the same: its log() must never wait on a run that is not there
                state.dropped += _count(items)
                continue
            marks = _marks(batch)
            try:
                changed = self._pack(run_id, state, items, has_ops, batch) if items else False
            except Exception as exc:  # one run's records must never cost another run its data
                _truncate(batch, marks)
                log.error("jupyter_track: run %s: could not prepare logged data", run_id, exc_info=exc)
                self._drop(run_id, state, _count(items), f"they could not be prepared ({exc!r})")
                continue
            if changed or now - state.last_heartbeat >= HEARTBEAT_EVERY:
                fields: dict[str, Any] = {"heartbeat_at": now}
                if changed:
                    fields["updated_at"] = now
                    fields["last_step"] = state.last_step
                    fields["summary"] = listing_summary(_shown(state))
                batch.runs.append(RunWrite(id=run_id, fields=fields))
                state.last_heartbeat = now
        if self._merged:
            batch.chunks[:] = [c for c in batch.chunks if not _covered(self._merged, c)]
        return batch

    def _pack(self, run_id: str, state: _RunState, items: list[Record], has_ops: bool, batch: Batch) -> bool:
        # without ops (the usual flush of a training loop) every record is a point: no pass to sort them out
        points = cast("list[Rows | Point]", items)
        exact: list[dict[str, int | bool]] = []  # finish()'s last values as logged: after the points they end
        if has_ops:
            update: dict[str, Any] = {}
            system: list[Sample] = []
            points = []
            for rec in items:
                if not isinstance(rec, Op):
                    points.append(rec)
                elif rec.name == "system":
                    system.append(rec.payload)
                elif rec.name == "exact":
                    exact.append(rec.payload)
                else:
                    self._apply_op(run_id, state, rec, update, batch)
            if update:
                batch.runs.append(RunWrite(id=run_id, fields=update, tags=update.pop("__tags__", None)))
            if system:  # the system stream: indexed by sample, on its own axis; it does not move the run's step
                self._series(run_id, state, self._checked_columns(run_id, state, system), batch)
        if not points:
            self._exact(run_id, state, exact, batch)
            return bool(items)
        self._logged = True
        s_all, columns = _point_columns(points)  # all of it before any state changes
        if len(s_all):
            top = int(s_all.max())
            state.last_step = top if state.last_step is None else max(state.last_step, top)
        rich = [rec for rec in points if not isinstance(rec, Rows)]
        if rich:
            self._objects(run_id, state, [r[0] for r in rich], [r[1] for r in rich], [r[4] for r in rich], batch)
        self._series(run_id, state, columns, batch)
        self._exact(run_id, state, exact, batch)
        return True

    @staticmethod
    def _exact(run_id: str, state: _RunState, exact: list[dict[str, int | bool]], batch: Batch) -> None:
        """Show the last values that were logged as ints or bools as such (the chunks hold float64), where the
        summary shows that value: its last one, or a min or max equal to it. The summary's JSON copy on the run
        row takes ints of 64 bits at most."""
        for values in exact:
            for key, value in values.items():
                known = state.summary.get(key)
                if (known is not None and not known.user_set and type(known.value) is float
                        and known.value == value and -(2 ** 63) <= value < 2 ** 63):
                    known.value = value
                    batch.summaries.append(SummaryWrite(run_id, key, known))

    def _checked_columns(self, run_id: str, state: _RunState, samples: Sequence[Sample]
                         ) -> list[tuple[str, Any, Any, Any]]:
        """The per-key columns of system samples. A sample whose index or value int64 / float64 cannot hold
        is dropped alone, never the batch (``log()`` packs its values itself, so its points always fit)."""
        try:
            return list(_columns(*(list(map(itemgetter(i), samples)) for i in range(3))))
        except (OverflowError, TypeError, ValueError):  # before any state changed: _columns packs, then yields
            kept = []
            for rec in samples:
                problem = _unstorable(rec, "system sample")
                if problem is None:
                    kept.append(rec)
                else:
                    self._drop(run_id, state, _held(rec), problem)
            if len(kept) == len(samples):
                raise
            return list(_columns(*(list(map(itemgetter(i), kept)) for i in range(3)))) if kept else []

    def _series(self, run_id: str, state: _RunState, columns: list[tuple[str, Any, Any, Any]],
                batch: Batch) -> None:
        for key, s, v, t in columns:
            self._packed += len(s)
            self._chunks(run_id, state, key, s, v, t, batch)
            self._summarise(state, key, s, v)
            batch.summaries.append(SummaryWrite(run_id, key, state.summary[key]))

    def _objects(self, run_id: str, state: _RunState, steps: list[int], times: list[float], rich: list[Any],
                 batch: Batch) -> None:
        touched: set[str] = set()
        for step, t, entries in zip(steps, times, rich, strict=False):
            for key, kind, data in entries or ():
                self._packed += 1
                batch.objects.append(ObjectWrite(run_id, key, step, t, kind, data))
                self._summarise_object(state, key, kind, data, step)
                touched.add(key)
        for key in touched:
            batch.summaries.append(SummaryWrite(run_id, key, state.summary[key]))

    def _apply_op(self, run_id: str, state: _RunState, op: Op, update: dict[str, Any], batch: Batch) -> None:
        name, payload = op.name, op.payload
        if name == "create":  # the first op of a new run: its row, before anything else of it is written
            fields, tags = payload
            batch.runs.append(RunWrite(id=run_id, fields=fields, create=True, tags=tags))
        elif name == "update":
            update.update(payload)
        elif name == "tags":
            update["__tags__"] = list(payload)
        elif name == "summary":
            key, value = payload
            entry = state.summary.get(key) or SummaryEntry(value=None)
            entry.value, entry.user_set = value, True
            state.summary[key] = entry
            batch.summaries.append(SummaryWrite(run_id, key, entry))
        elif name == "summary_reset":
            known = state.summary.get(payload)
            if known is not None:
                known.user_set = False
                known.value = known.last
                batch.summaries.append(SummaryWrite(run_id, payload, known))
        elif name == "metric":
            self._define(run_id, state, payload, batch)
        elif name == "blob_ref":
            ref: BlobRefWrite = payload
            if ref.replace:  # one batch holds the last of the refs that replace each other (the store drops the rest)
                batch.blob_refs[:] = [r for r in batch.blob_refs
                                      if (r.run_id, r.owner, r.name) != (ref.run_id, ref.owner, ref.name)]
            batch.blob_refs.append(ref)
        else:
            raise ValueError(f"unknown writer op {name!r}")

    def _chunks(self, run_id: str, state: _RunState, key: str, s: Any, v: Any, t: Any, batch: Batch) -> None:
        import numpy as np

        n = len(s)
        for lo in range(0, n, CHUNK_MAX):
            hi = min(n, lo + CHUNK_MAX)
            seq = state.next_seq.get(key, 0)
            state.next_seq[key] = seq + 1
            cs, cv, ct = self._slice(s, lo, hi), v[lo:hi], self._slice(t, lo, hi)
            opened = state.open_chunks.setdefault(key, []) if hi - lo < MERGE_BELOW else None
            if opened is not None:
                opened.append(_OpenChunk(seq, cs, cv, ct))
            if opened is None or len(opened) < MERGE_AFTER:
                batch.chunks.append(pack_chunk(run_id, key, seq, cs, cv, ct, shared=self._encoded))
            else:  # the merge below covers this chunk: it is not packed on its own
                first = opened[0].seq
                ms, mt = self._joined([c.steps for c in opened]), self._joined([c.times for c in opened])
                mv = np.concatenate([c.values for c in opened])
                # chunks of this batch that the merge covers are not written separately: left out in one pass
                # at the end of the batch (filtering here, once per merging key, grew with keys²)
                self._merged.setdefault((run_id, key), []).append((first, seq))
                batch.chunks.append(pack_chunk(run_id, key, first, ms, mv, mt, replaces=(first, seq),
                                               shared=self._encoded))
                state.open_chunks[key] = [] if len(ms) >= SMALL_CHUNK else [_OpenChunk(first, ms, mv, mt)]

    def _slice(self, a: Any, lo: int, hi: int) -> Any:
        """``a[lo:hi]``: the same object for every key of the batch whose array is ``a`` (its encoding is then
        shared, and so are its open chunks, whose merges are then shared too)."""
        if lo == 0 and hi == len(a):
            return a
        found = self._shared.get(("slice", id(a), lo))
        if found is None:  # ``a`` is kept with its slice: the id stays its own while the batch is packed
            found = self._shared["slice", id(a), lo] = (a, a[lo:hi])
        return found[1]

    def _joined(self, parts: list[Any]) -> Any:
        """The parts concatenated, once per batch for the same part objects (keys logged together)."""
        import numpy as np

        which = ("join", *map(id, parts))
        found = self._shared.get(which)
        if found is None:  # the parts are kept with it, as in _slice
            found = self._shared[which] = (parts, np.concatenate(parts))
        return found[1]

    @staticmethod
    def _summarise(state: _RunState, key: str, s: Any, v: Any) -> None:
        import numpy as np

        entry = state.summary.get(key)
        if entry is None:
            entry = state.summary[key] = SummaryEntry(value=None, total=0.0)
        fold(entry, float(np.fmin.reduce(v)), float(np.fmax.reduce(v)), float(v[-1]), float(np.sum(v)), len(v),
             int(s[-1]))
        if not entry.user_set:
            entry.value = summary_value(state.metrics.summary_mode(key), entry)

    @staticmethod
    def _define(run_id: str, state: _RunState, definition: MetricDef, batch: Batch) -> None:
        """Record a ``define_metric``; the keys it covers that were logged already show their summary its way."""
        state.metrics.add(definition)
        for key, entry in state.summary.items():
            if entry.count and entry.last is not None and not entry.user_set:
                value = summary_value(state.metrics.summary_mode(key), entry)
                if value != entry.value:
                    entry.value = value
                    batch.summaries.append(SummaryWrite(run_id, key, entry))

    @staticmethod
    def _summarise_object(state: _RunState, key: str, kind: str, data: Any, step: int) -> None:
        entry = state.summary.get(key)
        if entry is None:
            entry = state.summary[key] = SummaryEntry(value=None)
        entry.count += 1
        entry.last_step = step
        if not entry.user_set:
            entry.value = data if kind == "text" else {"_type": kind, **data} if isinstance(data, dict) else data


def _shown(state: _RunState) -> dict[str, SummaryEntry]:
    """The run's summary entries but those ``define_metric(summary="none")`` leaves out."""
    if not state.metrics:
        return state.summary
    return {k: e for k, e in state.summary.items() if not state.metrics.hides(k)}


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


def _reason(exc: BaseException, url: str) -> str:
    """The driver's words (not SQLAlchemy's wrapper with its SQL and parameters), on one line, no password."""
    reason = getattr(exc, "orig", None) or exc
    text = scrub(" ".join(str(reason).split()), url) or type(reason).__name__
    return text if len(text) <= 300 else text[:300] + "…"


def describe(exc: BaseException | None, url: str = "") -> str:
    """What went wrong with a write, in the user's terms, with the driver's words: "the store's disk is full
    (database or disk is full)"."""
    if exc is None:
        return "writing to the store failed"
    reason = _reason(exc, url)
    local = _local_fault(url)
    if local and local not in reason:
        reason = f"{reason}; {local}"
    low = reason.lower()
    for words, problem, _ in _FAULTS:
        if any(w in low for w in words):
            return f"{problem} ({reason})"
    return f"writing to the store failed ({reason})"


def advice(exc: BaseException | None, url: str = "") -> str:
    """What to do about it."""
    low = describe(exc, url).lower()
    return next((todo for words, _, todo in _FAULTS if any(w in low for w in words)), "fix the store")


def _point_columns(points: Sequence[Rows | Point]) -> tuple[Any, list[tuple[str, Any, Any, Any]]]:
    """The steps of ``log()`` calls, and per key: (key, steps, values, times) arrays in logging order. Calls of
    one key set (the usual training loop: one :class:`Rows`) become one matrix by a single transposed copy;
    mixed key sets are grouped, then re-ordered per key."""
    import numpy as np

    parts = [rec.arrays() if isinstance(rec, Rows) else
             (np.array([rec[0]], dtype="<i8"), np.array([rec[1]], dtype="<f8"),
              np.frombuffer(rec[3], dtype="<f8").reshape(1, len(rec[2]))) for rec in points]
    if len(parts) == 1:
        s_all, t_all = np.ascontiguousarray(parts[0][0]), np.ascontiguousarray(parts[0][1])
    else:
        s_all, t_all = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    groups: dict[tuple[str, ...], list[tuple[int, Any]]] = {}  # key set → (first row, values) of its records
    at = 0
    for rec, (s, _, v) in zip(points, parts, strict=True):
        groups.setdefault(rec[2] if isinstance(rec, tuple) else rec.keys, []).append((at, v))
        at += len(s)
    if len(groups) == 1:
        (ks, found), = groups.items()
        # one row per call → one contiguous row per key (a transposed copy: each key's values are then a view)
        matrix = _transposed([v for _, v in found])
        return s_all, [(key, s_all, matrix[j], t_all) for j, key in enumerate(ks)]
    per_key: dict[str, list[tuple[Any, Any]]] = {}
    for ks, found in groups.items():
        if not ks:
            continue
        idx = np.concatenate([np.arange(first, first + len(v)) for first, v in found])
        matrix = _transposed([v for _, v in found])
        for j, key in enumerate(ks):
            per_key.setdefault(key, []).append((idx, matrix[j]))
    return s_all, list(_ordered(per_key, s_all, t_all))


def _transposed(blocks: list[Any]) -> Any:
    """The (keys × calls) float64 matrix of (calls × keys) blocks, in pages of its own (:func:`.heap.mapped`):
    the writer's largest array, which the writer thread's malloc arena would keep after it is freed."""
    matrix = mapped((blocks[0].shape[1], sum(len(b) for b in blocks)), "<f8")
    at = 0
    for block in blocks:  # each block copied into its place (no concatenated copy first)
        matrix[:, at:at + len(block)] = block.T
        at += len(block)
    return matrix


def _ordered(per_key: dict[str, list[tuple[Any, Any]]], s_all: Any, t_all: Any
             ) -> Iterator[tuple[str, Any, Any, Any]]:
    """Per key: its values from records of several key sets (row indices, values) in logging order."""
    import numpy as np

    # keys logged in the same key sets have the same row indices (objects): their steps and times are taken
    # once and shared, so the writer encodes them once (per_key keeps the index arrays, and so their ids, alive)
    taken: dict[tuple[int, ...], tuple[Any, Any, Any]] = {}
    for key, parts in per_key.items():
        which = tuple(id(p[0]) for p in parts)
        found = taken.get(which)
        if found is None:
            if len(parts) == 1:
                order, idx = None, parts[0][0]
            else:  # the key was logged in records of different key sets: restore logging order
                idx = np.concatenate([p[0] for p in parts])
                order = np.argsort(idx, kind="stable")
                idx = idx[order]
            found = taken[which] = (order, s_all[idx], t_all[idx])
        order, s, t = found
        v = parts[0][1] if order is None else np.concatenate([p[1] for p in parts])[order]
        yield key, s, np.ascontiguousarray(v), t


def _columns(steps: list[int], times: list[float], scalars: list[dict[str, float]]
             ) -> Iterator[tuple[str, Any, Any, Any]]:
    """Per key: (key, steps, values, times) arrays of system samples, in logging order. Samples that all share
    one key set are read in one vectorised pass; mixed key sets are grouped, then re-ordered per key."""
    import numpy as np

    n = len(scalars)
    first = tuple(scalars[0])
    keysets = list(map(tuple, scalars))
    s_all = np.fromiter(steps, dtype="<i8", count=n)
    t_all = np.fromiter(times, dtype="<f8", count=n)
    if keysets.count(first) == n:
        if first:
            k = len(first)
            matrix = np.fromiter(chain.from_iterable(map(dict.values, scalars)), dtype="<f8", count=n * k)
            matrix = matrix.reshape(n, k)
            for j, key in enumerate(first):
                yield key, s_all, np.ascontiguousarray(matrix[:, j]), t_all
        return
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, ks in enumerate(keysets):
        groups.setdefault(ks, []).append(i)
    per_key: dict[str, list[tuple[Any, Any]]] = {}
    for ks, rows in groups.items():
        if not ks:
            continue
        idx = np.asarray(rows, dtype=np.int64)
        m = np.fromiter(chain.from_iterable(scalars[i].values() for i in rows), dtype="<f8",
                        count=len(rows) * len(ks)).reshape(len(rows), len(ks))
        for j, key in enumerate(ks):
            per_key.setdefault(key, []).append((idx, m[:, j]))
    yield from _ordered(per_key, s_all, t_all)


def _covered(merged: dict[tuple[str, str], list[tuple[int, int]]], chunk: ChunkWrite) -> bool:
    """Whether a chunk of the batch is covered by a merge made in the same batch (so not written alone); the
    merged chunk itself is not."""
    ranges = merged.get((chunk.run_id, chunk.key))
    return ranges is not None and any(first <= chunk.seq <= last and chunk.replaces != (first, last)
                                      for first, last in ranges)


def pack_chunk(run_id: str, key: str, seq: int, s: Any, v: Any, t: Any,
               replaces: tuple[int, int] | None = None, shared: dict[Any, Any] | None = None) -> ChunkWrite:
    """One chunk row of ``key`` from contiguous arrays: steps ``s`` (int64), values ``v`` and times ``t`` (float64),
    encoded by :func:`.chunk_codec.encode` (``shared``: its memo of the batch's steps and times). Callable from any
    thread (``jupyter-track migrate`` packs chunks)."""
    from .chunk_codec import encode

    _load_records()  # outside the writer thread, the records may not be loaded yet
    encoding, steps, values, times = encode(s, v, t, shared)
    return ChunkWrite(run_id=run_id, key=key, seq=seq, n=len(s), first_step=int(s[0]), last_step=int(s[-1]),
                      steps=steps, values=values, times=times, replaces=replaces, encoding=encoding)


def _unstorable(record: Sample, axis: str) -> str | None:
    """Why a record's step (``axis``: its name), time or a value does not fit the int64 / float64 arrays it is
    packed into; None when it fits."""
    import numpy as np

    step, when, values = record[0], record[1], record[2]
    for what, value, dtype in ((axis, step, "<i8"), ("time", when, "<f8"),
                               *((repr(k), v, "<f8") for k, v in values.items())):
        try:
            np.fromiter((value,), dtype=dtype, count=1)
        except (OverflowError, TypeError, ValueError):
            text = repr(value)
            text = text if len(text) <= 40 else f"{text[:12]}…{text[-6:]} ({len(text)} characters)"
            kind = "an int64" if dtype == "<i8" else "a float64"
            where = "" if what == axis else f" at {axis} {step!r}"
            return f"{what} = {text}{where} is not {kind}"
    return None


_WRITES = ("runs", "chunks", "objects", "summaries", "blob_refs")  # what the writer's batches hold


def _by_run(batch: Batch) -> dict[str | None, Batch]:
    """The writer's batch split into one batch per run."""
    parts: dict[str | None, Batch] = {}
    for name in _WRITES:
        for write in getattr(batch, name):
            run_id = write.id if name == "runs" else write.run_id
            getattr(parts.setdefault(run_id, Batch(at=batch.at)), name).append(write)
    return parts


def _marks(batch: Batch) -> tuple[int, ...]:
    return tuple(len(getattr(batch, name)) for name in _WRITES)


def _truncate(batch: Batch, marks: tuple[int, ...]) -> None:
    """Take back what was added to ``batch`` since :func:`_marks` (a run's chunk merges only ever remove that
    run's own chunks of this batch, all added after the marks)."""
    for name, mark in zip(_WRITES, marks, strict=True):
        del getattr(batch, name)[mark:]
