"""The in-memory buffer a run appends to, and what the writer remembers of each run between flushes.

``log()`` only appends a record to its run's :class:`RunBuffer` (:class:`Rows` of plain calls, :data:`Point`
tuples of calls with media or text, :class:`Op` records); the writer thread (:mod:`.writer`) takes them at each
flush and packs them (:mod:`.packing`). ``init()`` imports this module: it holds no dataclass and imports numpy
only where rows are read.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from ..messages import logger
from ..types import SummaryEntry

if TYPE_CHECKING:
    from ..metric_defs import MetricDefs
    from .taps import Tap

log = logger()

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
            return count(self.items)

    def samples_only(self) -> bool:
        """Whether there are records here and each is a system sample: an idle run's."""
        with self.lock:
            return bool(self.items) and all(type(rec) is Op and rec.name == "system" for rec in self.items)

    def take(self) -> tuple[list[Record], bool]:
        """Everything buffered so far, and whether it holds op records."""
        with self.lock:
            items, self.items, self.rows = self.items, [], None
            has_ops, self.has_ops = self.has_ops, False
            self.held = 0
            self.room.notify_all()
        return items, has_ops


def count(items: list[Record]) -> int:
    """Logged values in buffer records (metric values, media, system samples)."""
    return sum(rec.values() if isinstance(rec, Rows) else held(rec) if not isinstance(rec, Op)
               else held(rec.payload) if rec.name == "system" else 0 for rec in items)


def held(rec: Point | Sample) -> int:
    """Logged values in a point (scalars and media) or a system sample."""
    return len(rec[2]) + (len(rec[4] or ()) if len(rec) == 5 else 0)


# The writer's own records below are plain classes with __slots__, not dataclasses: init() imports this module to
# make the writer, and making one dataclass's generated methods takes about 1 ms at import.
class OpenChunk:
    """A small chunk of a key kept in memory after it was written, to be merged with the key's next ones:
    in a tail row, or (``merged``) a merged chunk still small, in ``metric_chunks``."""

    __slots__ = ("merged", "seq", "steps", "times", "values")

    def __init__(self, seq: int, steps: Any, values: Any, times: Any, merged: bool = False) -> None:
        self.seq, self.steps, self.values, self.times, self.merged = seq, steps, values, times, merged


class RunState:
    """What the writer remembers of a run between flushes (it is the run's only writer)."""

    __slots__ = ("_metrics", "buffer", "closing", "drained", "dropped", "gone", "last_heartbeat", "last_step",
                 "next_seq", "next_tail", "open_chunks", "open_points", "summary", "tails", "taps", "why")

    def __init__(self, buffer: RunBuffer, summary: dict[str, SummaryEntry] | None = None,
                 next_seq: dict[str, int] | None = None, last_step: int | None = None,
                 last_heartbeat: float = 0.0) -> None:
        self.buffer = buffer
        self.summary: dict[str, SummaryEntry] = {} if summary is None else summary
        self._metrics: MetricDefs | None = None
        self.next_seq: dict[str, int] = {} if next_seq is None else next_seq
        self.open_chunks: dict[str, list[OpenChunk]] = {}
        self.open_points: dict[str, int] = {}  # key -> the points of its open chunks
        self.tails: list[int] = []  # the seqs of the tail rows written since the last fold
        self.next_tail = 0  # a resumed run's tail rows were settled (Store.settle_tails)
        self.last_step = last_step
        self.last_heartbeat = last_heartbeat
        self.closing = False
        self.drained = False  # the last flush took the buffer of a closing run: its last records, and its fold
        self.dropped = 0  # logged values of the run that could not be stored and were dropped
        self.why = ""  # the first reason, for finish()'s error
        self.gone = False  # its row was deleted (or never made): what it logs is dropped, never retried
        self.taps: list[Tap] = []  # readers in this process handed the run's points as they are stored (.taps)

    def tail_mark(self) -> tuple[dict[str, list[OpenChunk]], dict[str, int], list[int], int]:
        """The run's open chunks and tail rows as they are, for :meth:`tail_back` (packing replaces the lists of
        ``open_chunks``, never changes them)."""
        return dict(self.open_chunks), dict(self.open_points), list(self.tails), self.next_tail

    def tail_back(self, mark: tuple[dict[str, list[OpenChunk]], dict[str, int], list[int], int]) -> None:
        """Put back :meth:`tail_mark`'s open chunks and tail rows: a batch that could not be packed is not written,
        so a fold it began must not forget the tail points of the rows it would have deleted."""
        self.open_chunks, self.open_points, self.tails, self.next_tail = mark

    @property
    def metrics(self) -> MetricDefs:
        """define_metric(): what each key's summary holds (made by the writer thread, when it first asks)."""
        if self._metrics is None:
            from ..metric_defs import MetricDefs

            self._metrics = MetricDefs()
        return self._metrics


def drop(run_id: str, state: RunState, points: int, why: str, gone: bool = False) -> None:
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


def dropped(state: RunState) -> str | None:
    return f"{state.dropped} logged values were not stored: {state.why}" if state.dropped or state.gone else None
