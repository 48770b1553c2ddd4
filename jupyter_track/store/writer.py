"""The one background writer thread per store and process.

``log()`` only appends a record to its run's :class:`~.buffer.RunBuffer`; the :class:`Writer` drains every
buffer at the flush interval (or early, when a buffer passes its high-water mark), has :mod:`.packing` pack the
records into per-key columnar chunks and keep each run's summary statistics, and applies everything as one
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
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import StoreError
from ..messages import logger
from ..types import SummaryEntry
from . import switches
from .buffer import RunBuffer, RunState, drop, dropped
from .faults import advice, describe, reason
from .heap import give_back

log = logger()

if TYPE_CHECKING:
    from .base import Batch, Store
    from .packing import Packer
    from .taps import Tap, Taps

TRIM_AFTER = 65536  # values written before freed memory is handed back to the OS (a trim walks the heap) …
TRIM_EVERY = 1.0  # … at most once a second while runs log, and when a run finishes
RETRY_MAX = 8.0  # seconds between retries of a failed write at most (back-off doubles from the flush interval)


class _Pending:
    """A packed batch not yet committed, how many logged values it carries (chunk merges make
    ``batch.points()`` an undercount of what a failed write holds back), and its points for taps."""

    __slots__ = ("batch", "points", "taps")

    def __init__(self, batch: Batch, points: int, taps: Taps | None = None) -> None:
        self.batch, self.points, self.taps = batch, points, taps



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
        self._runs: dict[str, RunState] = {}
        self._pending: list[_Pending] = []
        self._packer: Packer | None = None  # made at the first flush, in this thread (it loads the store's records)
        self._packed = 0  # values packed by the flush running now
        self._logged = False  # whether the flush running now packed log() calls (not only ops, system samples)
        self._untrimmed = 0  # values written since the freed memory was last handed back to the OS
        self._trimmed_at = 0.0
        self._since_close = 0  # values written since a run last finished
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
        state = RunState(buffer=buf, summary=dict(summary or {}), last_step=last_step,
                          next_seq={k: s + 1 for k, s in (chunk_tails or {}).items()},
                          last_heartbeat=time.time())
        with self._registry:
            self._runs[run_id] = state
            self._start()
        return buf

    def tap(self, run_id: str) -> Tap | None:
        """A :class:`~.taps.Tap` of the run's points as this writer stores them (None: it does not write the
        run); :meth:`~.taps.Tap.close` it when done."""
        from .taps import Tap

        with self._registry:
            state = self._runs.get(run_id)
            if state is None or state.closing:
                return None
            tap = Tap()
            state.taps = [*state.taps, tap]  # a new list: the writer thread may be going through the old one
            return tap

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
        return dropped(state)  # the state, not the registry: a flushed run is forgotten

    def drops_of(self, run_id: str) -> Callable[[], str | None]:
        """What of the run was dropped so far, as :meth:`close_run` says it (None when nothing was), each time
        it is called: also after a flush, when the writer has forgotten the run."""
        with self._registry:
            state = self._runs.get(run_id)
        return (lambda: None) if state is None else (lambda: dropped(state))

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

    def _states(self) -> list[RunState]:
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
                self._flush_once(forced=target > self._completed)
                if not self._logged and lowered is not None:  # no log() call since the last flush
                    switches.restore(lowered)
                    lowered = None
                with self._cond:
                    self._completed = max(self._completed, target)
                    self._cond.notify_all()
        finally:
            if lowered is not None:
                switches.restore(lowered)

    def _flush_once(self, forced: bool = True) -> None:
        """Pack what the runs hold and commit it (``forced``: a ``flush()`` or the end waits for it; see
        :meth:`.Packer.collect`)."""
        with self._flushing:
            if self._packer is None:
                from .packing import Packer

                self._packer = Packer()
            # What a failed write held back goes first; while it still fails, new records stay in the run
            # buffers (bounded: log() waits once one is full) instead of piling up here without limit.
            if self._pending and not self._write_pending():
                return
            self._packed = 0
            with self._registry:
                runs = list(self._runs.items())
                for _, state in runs:  # here, not as it is packed: tap() adds taps with this lock held
                    if any(tap.closed for tap in state.taps):
                        state.taps = [tap for tap in state.taps if not tap.closed]
            try:
                batch = self._packer.collect(runs, forced)
            except BaseException as exc:  # thread boundary: record, never lose the thread
                self.error = exc
                log.exception("jupyter_track: could not prepare logged data")
                return
            self._packed, self._logged = self._packer.packed, self._packer.logged
            if batch:
                self._pending.append(_Pending(batch, self._packed, self._packer.taps))
            # the trim below hands back what is freed: the batch written, and the state of a run forgotten here
            del batch, runs
            if not self._write_pending():
                return
            with self._registry:
                closed = [r for r, s in self._runs.items() if s.drained and not s.buffer.items]
                if any(s.closing and not s.drained for s in self._runs.values()):
                    self._wake.set()  # finished during this flush: the next one writes its end at once
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
            done = self._pending.pop(0)
            if done.taps is not None:
                done.taps.publish()
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
        from .packing import by_run  # loaded by the flush that made the batch

        if head.taps is not None:  # the runs' parts are written apart, or dropped: their taps read the store
            head.taps.lose()

        parts = by_run(head.batch)
        if len(parts) > 1:
            self._pending[0:1] = [_Pending(part, part.points()) for part in parts.values()]
            return
        (run_id, part), = parts.items()
        gone = run_id is not None and self.store.get_run(run_id) is None
        self._pending.pop(0)
        with self._registry:
            state = self._runs.get(run_id) if run_id is not None else None
        if run_id is None or state is None:
            log.warning("jupyter_track: the store refused logged data (%s); it was dropped", reason(exc, self.url))
            return
        if gone and not any(w.create for w in part.runs):
            why = "it was deleted from the store while it was running (`jupyter-track rm --force`, or the sidebar)"
        else:
            why = f"the store refused them ({reason(exc, self.url)})"
        drop(run_id, state, head.points, why, gone=gone)

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
