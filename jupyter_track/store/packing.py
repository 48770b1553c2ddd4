"""Packing: the records of every run's buffer into one batch of per-key columnar chunks, summary entries and
run rows, for :meth:`~jupyter_track.store.base.Store.write_batch`.

The writer thread loads this module at its first flush: ``init()``, which makes the writer, does not wait for the
store interface's module (18 dataclasses, 5 ms) or the metric definitions' (1 ms).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any, cast

from ..messages import logger
from ..metric_defs import MetricDef, fold, summary_value
from ..types import SummaryEntry
from .base import (
    Batch,
    BlobRefWrite,
    ChunkWrite,
    ObjectWrite,
    RunWrite,
    SummaryWrite,
    TailFold,
    TailWrite,
    listing_summary,
)
from .buffer import Op, OpenChunk, Point, Record, Rows, RunState, Sample, count, drop, held
from .heap import mapped
from .taps import Part, Tap, Taps

log = logger()

CHUNK_MAX = 65536  # points per chunk row at most
MERGE_BELOW = 128  # chunks below this are "small": a flush's small chunks go in one tail row (every key's), stay
# open in memory, and are merged into one chunk per key when the run's tail is folded, so slow loops leave neither a
# row per point nor a row per key and flush. Larger ones are rows as they are: the writer keeps open chunks in memory
# (for every key of a wide run: with 1,000 keys, 16 open chunks of 1,000 points each held 380 MB)
SMALL_CHUNK = 1024  # a key's open points that fold the run's tail; a merged chunk below this stays open
MERGE_AFTER = 32  # tail rows that fold the run's tail (a slow loop's keys never reach SMALL_CHUNK points)
OPEN_MAX = 3_000_000  # a run's open points, every key's, that fold its tail and close every chunk: the writer's
# memory at any width. A fast loop of 10,000 keys flushes 50 points a key (the buffer holds 50 calls); with SMALL_CHUNK
# open points each (and the value matrices of the batches their chunks are views of) it held 180 MB more than the loop
# alone, 100 MB with this bound. Up to 3,000 keys a slow loop folds as it did (at SMALL_CHUNK points a key): folding
# more often wrote more bytes (1M: 2.05x the raw bytes for 3,000 keys at 50 steps/s, against 1.93x).
HEARTBEAT_EVERY = 5.0  # seconds between heartbeats of an idle run; its system samples (every 2 s) wait for them: a
# commit writes whole pages, and one for each sample of 9 keys (216 bytes) took an idle run to 11 KB/s, 1 GB a day
Stats = tuple[float, float, float, float]  # a key's new values: min and max (NaN left out), last, sum


class Packer:
    """Packs the writer's batches; one per writer, used by one flush at a time. Keys logged together have the same
    steps and times arrays: per batch their encoding (``chunk_codec.encode``'s ``shared``), and the chunk slices
    and merges of those arrays, are made once.

    Example::

        packer = Packer()
        batch = packer.collect([(run_id, state)])   # a RunState per run, as the writer keeps them
        store.write_batch(batch)
    """

    def __init__(self) -> None:
        self.packed = 0  # values packed by the collect running now
        self.logged = False  # whether it packed log() calls (not only ops, system samples)
        self._small: list[tuple[str, int, Any, Any, Any]] = []  # the run's small chunks of this batch (key, seq, …)
        self._merged: dict[str, int] = {}  # key -> the last seq merged for the run in this batch
        self._fold = False  # a key of the run has SMALL_CHUNK open points
        self._encoded: dict[Any, Any] = {}
        self._shared: dict[Any, Any] = {}
        self.taps = Taps()  # the batch's points for the taps of its runs (the live panel), once it is committed
        self._tapping: list[tuple[Tap, frozenset[str] | None, list[Part]]] = []  # the run's taps being packed for

    def collect(self, runs: list[tuple[str, RunState]], forced: bool = True) -> Batch:
        """Take every run's buffered records and pack them into one batch (:attr:`packed`: the logged values in
        it; :attr:`logged`: whether it holds ``log()`` calls). Unless ``forced`` (a ``flush()`` waits for it), a
        run that holds system samples only keeps them until its next heartbeat (see :data:`HEARTBEAT_EVERY`)."""
        self.packed, self.logged = 0, False
        self.taps = Taps()
        # Packing allocates a few objects per logged record while up to a buffer's worth of records is alive;
        # the cyclic GC would rescan them all, again and again. Nothing here makes cycles, so pause it.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._collect_all(runs, forced)
        finally:
            self._encoded.clear()  # the batch holds the bytes; the arrays go now, not at the next flush
            self._shared.clear()
            self._small, self._merged, self._tapping = [], {}, []
            if paused:
                gc.enable()

    def _collect_all(self, runs: list[tuple[str, RunState]], forced: bool) -> Batch:
        batch = Batch()
        now = time.time()
        for run_id, state in runs:
            # finish() buffers a run's last records, then marks it closing: marked before this take, the batch
            # holds its last records, and its fold (the writer forgets it after this batch only)
            state.drained = state.closing
            if not (forced or state.closing or now - state.last_heartbeat >= HEARTBEAT_EVERY) \
                    and state.buffer.samples_only():
                continue  # an idle run: its samples go with its heartbeat, a commit every few seconds, not each 2 s
            items, has_ops = state.buffer.take()
            if state.gone:  # drained all the same: its log() must never wait on a run that is not there
                state.dropped += count(items)
                continue
            marks, tail = _marks(batch), state.tail_mark()
            self._small, self._merged, self._fold = [], {}, False
            self._tapping = self.taps.stage(state.taps, fresh=not state.summary) if state.taps else []
            try:
                changed = self._pack(run_id, state, items, has_ops, batch) if items else False
                self._tail(run_id, state, batch)
            except Exception as exc:  # one run's records must never cost another run its data
                _truncate(batch, marks)
                state.tail_back(tail)
                for _, _, parts in self._tapping:  # not stored: not the panel's either
                    parts.clear()
                log.error("jupyter_track: run %s: could not prepare logged data", run_id, exc_info=exc)
                drop(run_id, state, count(items), f"they could not be prepared ({exc!r})")
                continue
            if changed or now - state.last_heartbeat >= HEARTBEAT_EVERY:
                fields: dict[str, Any] = {"heartbeat_at": now}
                if changed:
                    fields["updated_at"] = now
                    fields["last_step"] = state.last_step
                    fields["summary"] = listing_summary(_shown(state))
                batch.runs.append(RunWrite(id=run_id, fields=fields))
                state.last_heartbeat = now
        return batch

    def _pack(self, run_id: str, state: RunState, items: list[Record], has_ops: bool, batch: Batch) -> bool:
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
        self.logged = True
        s_all, columns, stats = _point_columns(points)  # all of it before any state changes
        if len(s_all):
            top = int(s_all.max())
            state.last_step = top if state.last_step is None else max(state.last_step, top)
        rich = [rec for rec in points if not isinstance(rec, Rows)]
        if rich:
            self._objects(run_id, state, [r[0] for r in rich], [r[1] for r in rich], [r[4] for r in rich], batch)
        self._series(run_id, state, columns, batch, stats)
        self._exact(run_id, state, exact, batch)
        return True

    @staticmethod
    def _exact(run_id: str, state: RunState, exact: list[dict[str, int | bool]], batch: Batch) -> None:
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

    def _checked_columns(self, run_id: str, state: RunState, samples: Sequence[Sample]
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
                    drop(run_id, state, held(rec), problem)
            if len(kept) == len(samples):
                raise
            return list(_columns(*(list(map(itemgetter(i), kept)) for i in range(3)))) if kept else []

    def _series(self, run_id: str, state: RunState, columns: list[tuple[str, Any, Any, Any]],
                batch: Batch, stats: list[Stats] | None = None) -> None:
        """Chunk, summarise (``stats``: each column's, when known) and tap the columns."""
        for i, (key, s, v, t) in enumerate(columns):
            self.packed += len(s)
            self._chunks(run_id, state, key, s, v, t, batch)
            self._summarise(state, key, s, _stats(v[None, :])[0] if stats is None else stats[i])
            batch.summaries.append(SummaryWrite(run_id, key, state.summary[key]))
            if self._tapping:
                self._tap(key, s, v, t)

    def _tap(self, key: str, s: Any, v: Any, t: Any) -> None:
        """The key's points for the run's taps that want it: its values copied (they are a view of the batch's
        value matrix, which a tap must not keep), its steps and times shared (arrays of their own)."""
        copied = None
        for _, keys, parts in self._tapping:
            if keys is None or key in keys:
                if copied is None:
                    copied = v.copy()
                parts.append((key, s, copied, t))

    def _objects(self, run_id: str, state: RunState, steps: list[int], times: list[float], rich: list[Any],
                 batch: Batch) -> None:
        touched: set[str] = set()
        for step, t, entries in zip(steps, times, rich, strict=False):
            for key, kind, data in entries or ():
                self.packed += 1
                batch.objects.append(ObjectWrite(run_id, key, step, t, kind, data))
                self._summarise_object(state, key, kind, data, step)
                touched.add(key)
        for key in touched:
            batch.summaries.append(SummaryWrite(run_id, key, state.summary[key]))

    def _apply_op(self, run_id: str, state: RunState, op: Op, update: dict[str, Any], batch: Batch) -> None:
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

    def _chunks(self, run_id: str, state: RunState, key: str, s: Any, v: Any, t: Any, batch: Batch) -> None:
        n = len(s)
        for lo in range(0, n, CHUNK_MAX):
            hi = min(n, lo + CHUNK_MAX)
            seq = state.next_seq.get(key, 0)
            state.next_seq[key] = seq + 1
            cs, cv, ct = self._slice(s, lo, hi), v[lo:hi], self._slice(t, lo, hi)
            if hi - lo < MERGE_BELOW:  # small: in this batch's tail row (see _tail), and open until the fold
                # a new list, not an append: the copy of open_chunks that tail_mark took keeps the old one
                state.open_chunks[key] = [*state.open_chunks.get(key, ()), OpenChunk(seq, cs, cv, ct)]
                points = state.open_points[key] = state.open_points.get(key, 0) + hi - lo
                self._fold = self._fold or points >= SMALL_CHUNK
                self._small.append((key, seq, cs, cv, ct))
                continue
            opened = state.open_chunks.pop(key, None)
            state.open_points.pop(key, None)
            if opened and (not opened[-1].merged or len(opened) > 1):  # the small chunks and pieces before it
                self._merge(run_id, state, key, opened, batch, close=True)  # are merged first (a merge covers a run
                # of seqs), and closed
            batch.chunks.append(pack_chunk(run_id, key, seq, cs, cv, ct, shared=self._encoded))

    def _merge(self, run_id: str, state: RunState, key: str, opened: list[OpenChunk], batch: Batch,
               close: bool = False) -> None:
        """The key's open chunks (taken out of ``state``) merged into a chunk row. Below SMALL_CHUNK open points in
        all, and unless ``close``, only the new small chunks are merged, with the merged pieces before them no
        larger than that (a binary counter): a slow key's points are rewritten about log2(SMALL_CHUNK / points a
        fold) times, not at every fold, and it keeps a few pieces open (1,000 keys at a point a flush wrote 21.6x
        the raw bytes when each fold rewrote every key's open chunk; 9.2x with pieces and tail_rows' compressed
        header). Otherwise all of them become one chunk, closed. A merge takes the seq of the last chunk it
        covers: the tail chunks it covers are then no longer live (see sql_series._with_tails), whether or not
        their rows are deleted yet, and the pieces it covers are the key's chunk rows in its range of seqs."""
        import numpy as np

        total = sum(len(c.steps) for c in opened)
        kept: list[OpenChunk] = []
        if total < SMALL_CHUNK and not close:
            at = len(opened)
            while at and not opened[at - 1].merged:
                at -= 1
            size = sum(len(c.steps) for c in opened[at:])
            while at and len(opened[at - 1].steps) <= size:
                at -= 1
                size += len(opened[at].steps)
            kept, opened = opened[:at], opened[at:]
        first, last = opened[0].seq, opened[-1].seq
        ms, mt = self._joined([c.steps for c in opened]), self._joined([c.times for c in opened])
        mv = np.concatenate([c.values for c in opened])
        batch.chunks.append(pack_chunk(run_id, key, last, ms, mv, mt, replaces=(first, last), shared=self._encoded))
        self._merged[key] = last
        if total < SMALL_CHUNK and not close:
            state.open_chunks[key] = [*kept, OpenChunk(last, ms, mv, mt, merged=True)]
            state.open_points[key] = total

    def _tail(self, run_id: str, state: RunState, batch: Batch) -> None:
        """The run's small chunks of this batch: one tail row; or, when a key has SMALL_CHUNK open points, the
        run MERGE_AFTER tail rows or OPEN_MAX open points, or it finishes, the fold: every key's open chunks merged,
        and the run's tail rows deleted (a finished run's series are chunks of a thousand points and more, as a
        fast loop's are). A fold for OPEN_MAX keeps no chunk open."""
        closing = state.drained and bool(self._small or state.tails or state.open_chunks)  # its pieces: one chunk
        if not self._small and not closing:
            return
        full = sum(state.open_points.values()) >= OPEN_MAX
        if closing or full or self._fold or len(state.tails) + 1 >= MERGE_AFTER:
            whole = full or closing  # every key's open points one chunk, closed
            for key, opened in list(state.open_chunks.items()):
                new = not opened[-1].merged  # else merged pieces only: chunk rows already, kept open unless whole
                if new or whole:
                    del state.open_chunks[key]
                    state.open_points.pop(key, None)
                if new or (whole and len(opened) > 1):
                    self._merge(run_id, state, key, opened, batch, close=whole)
            if state.tails:
                batch.folds.append(TailFold(run_id, tuple(state.tails)))
                state.tails = []
            return
        merged = self._merged  # keys whose large chunk of this batch came with the merge of these
        chunks = [pack_chunk(run_id, key, seq, cs, cv, ct, shared=self._encoded)
                  for key, seq, cs, cv, ct in self._small if seq > merged.get(key, -1)]
        if chunks:
            batch.tails.append(TailWrite(run_id, state.next_tail, chunks))
            state.tails.append(state.next_tail)
            state.next_tail += 1

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
    def _summarise(state: RunState, key: str, s: Any, stats: Stats) -> None:
        """Fold the statistics of the key's new values at steps ``s`` into its summary entry."""
        entry = state.summary.get(key)
        if entry is None:
            entry = state.summary[key] = SummaryEntry(value=None, total=0.0)
        fold(entry, *stats, len(s), int(s[-1]))
        if not entry.user_set:
            entry.value = summary_value(state.metrics.summary_mode(key), entry)

    @staticmethod
    def _define(run_id: str, state: RunState, definition: MetricDef, batch: Batch) -> None:
        """Record a ``define_metric``; the keys it covers that were logged already show their summary its way."""
        state.metrics.add(definition)
        for key, entry in state.summary.items():
            if entry.count and entry.last is not None and not entry.user_set:
                value = summary_value(state.metrics.summary_mode(key), entry)
                if value != entry.value:
                    entry.value = value
                    batch.summaries.append(SummaryWrite(run_id, key, entry))

    @staticmethod
    def _summarise_object(state: RunState, key: str, kind: str, data: Any, step: int) -> None:
        entry = state.summary.get(key)
        if entry is None:
            entry = state.summary[key] = SummaryEntry(value=None)
        entry.count += 1
        entry.last_step = step
        if not entry.user_set:
            entry.value = data if kind == "text" else {"_type": kind, **data} if isinstance(data, dict) else data


def _shown(state: RunState) -> dict[str, SummaryEntry]:
    """The run's summary entries but those ``define_metric(summary="none")`` leaves out."""
    if not state.metrics:
        return state.summary
    return {k: e for k, e in state.summary.items() if not state.metrics.hides(k)}


def _stats(matrix: Any) -> list[Stats]:
    """Each row's :data:`Stats` of a (keys × points) float64 matrix: a few vectorised passes over the whole
    matrix, not four numpy calls per key (at 10,000 keys a flush, those took a quarter of the writer's time)."""
    import numpy as np

    return list(zip(np.fmin.reduce(matrix, axis=1).tolist(), np.fmax.reduce(matrix, axis=1).tolist(),
                    matrix[:, -1].tolist(), matrix.sum(axis=1).tolist(), strict=True))


def _point_columns(points: Sequence[Rows | Point]
                   ) -> tuple[Any, list[tuple[str, Any, Any, Any]], list[Stats] | None]:
    """The steps of ``log()`` calls, and per key: (key, steps, values, times) arrays in logging order, and
    their :data:`Stats` when one pass made them. Calls of one key set (the usual training loop: one
    :class:`Rows`) become one matrix by a single transposed copy; mixed key sets are grouped, then re-ordered
    per key."""
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
        return s_all, [(key, s_all, matrix[j], t_all) for j, key in enumerate(ks)], _stats(matrix)
    per_key: dict[str, list[tuple[Any, Any]]] = {}
    for ks, found in groups.items():
        if not ks:
            continue
        idx = np.concatenate([np.arange(first, first + len(v)) for first, v in found])
        matrix = _transposed([v for _, v in found])
        for j, key in enumerate(ks):
            per_key.setdefault(key, []).append((idx, matrix[j]))
    return s_all, list(_ordered(per_key, s_all, t_all)), None


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


def pack_chunk(run_id: str, key: str, seq: int, s: Any, v: Any, t: Any,
               replaces: tuple[int, int] | None = None, shared: dict[Any, Any] | None = None) -> ChunkWrite:
    """One chunk row of ``key`` from contiguous arrays: steps ``s`` (int64), values ``v`` and times ``t`` (float64),
    encoded by :func:`.chunk_codec.encode` (``shared``: its memo of the batch's steps and times). Callable from any
    thread (``jupyter-track migrate`` packs chunks)."""
    from .chunk_codec import encode

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


_WRITES = ("runs", "chunks", "tails", "folds", "objects", "summaries", "blob_refs")  # what the writer's batches hold


def by_run(batch: Batch) -> dict[str | None, Batch]:
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
