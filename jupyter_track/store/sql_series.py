"""What runs log, in the SQL store: metric series as chunks of packed arrays, media and text objects, and the
per-run summary with each key's statistics (written inside ``write_batch``'s transaction; read back in a few
vectorised queries)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..types import Series, SummaryEntry
from .base import Batch, ObjectRecord
from .schema import metric_chunks, metric_tails, objects, summaries
from .sql_base import IN_CHUNK, SQLBase
from .switches import short_switches

_DELETE_REPLACED = metric_chunks.delete().where(  # the chunks a merged chunk replaces, executed for many at once
    metric_chunks.c.run_id == sa.bindparam("r"), metric_chunks.c.key == sa.bindparam("k"),
    metric_chunks.c.seq.between(sa.bindparam("lo"), sa.bindparam("hi")))
_DELETE_FOLDED = metric_tails.delete().where(  # tail rows whose chunks the same batch merged
    metric_tails.c.run_id == sa.bindparam("r"), metric_tails.c.seq == sa.bindparam("s"))


class SeriesSQL(SQLBase):
    """The series, objects and summaries of :class:`~.sql.SQLStore`."""

    def _write_series(self, conn: Connection, batch: Batch) -> None:
        """The batch's chunks (replaced ranges deleted first), objects and summary entries."""
        replaced = [{"r": c.run_id, "k": c.key, "lo": c.replaces[0], "hi": c.replaces[1]}
                    for c in batch.chunks if c.replaces is not None]
        if replaced:  # one statement for every merge (a statement built and run per merged key took 0.4 ms each)
            conn.execute(_DELETE_REPLACED, replaced)
        if batch.chunks:
            self._insert_ignore(conn, metric_chunks, [
                {"run_id": c.run_id, "key": c.key, "seq": c.seq, "n": c.n, "first_step": c.first_step,
                 "last_step": c.last_step, "steps": c.steps, "values": c.values, "times": c.times,
                 "encoding": c.encoding}
                for c in batch.chunks], ["run_id", "key", "seq"])
        if batch.tails:
            from .tail_rows import encode

            self._insert_ignore(conn, metric_tails, [
                {"run_id": t.run_id, "seq": t.seq, "last_step": max(c.last_step for c in t.chunks),
                 "data": encode(t.chunks)} for t in batch.tails], ["run_id", "seq"])
        folded = [{"r": f.run_id, "s": seq} for f in batch.folds for seq in f.seqs]
        if folded:
            conn.execute(_DELETE_FOLDED, folded)
        if batch.objects:
            conn.execute(objects.insert(), [
                {"run_id": o.run_id, "key": o.key, "step": o.step, "time": o.time, "kind": o.kind, "data": o.data}
                for o in batch.objects])
        if batch.summaries:
            rows = [_summary_row(s.run_id, s.key, s.entry) for s in batch.summaries]
            self._upsert(conn, summaries, rows, ["run_id", "key"])

    def metric_keys(self, run_id: str) -> list[str]:
        query = (sa.select(summaries.c.key).where(summaries.c.run_id == run_id, summaries.c.count > 0)
                 .order_by(summaries.c.key))
        with self._read() as conn:
            return list(conn.scalars(query).all())

    def read_series(self, run_id: str, key: str, after_step: int | None = None) -> Series:
        return self.read_run_series(run_id, [key], after_step).get(key) or _decoded([(key, ())])[key]

    def read_run_series(self, run_id: str, keys: Iterable[str] | None = None, after_step: int | None = None
                        ) -> dict[str, Series]:
        c = metric_chunks.c
        query = (sa.select(c.key, c.seq, *_CHUNK_COLUMNS).where(c.run_id == run_id).order_by(c.key, c.seq))
        wanted = None if keys is None else list(dict.fromkeys(keys))
        if wanted is not None and len(wanted) <= IN_CHUNK:  # more: read them all and keep those asked for
            query = query.where(c.key.in_(wanted))
        if after_step is not None:
            query = query.where(c.last_step > after_step)
        chosen = None if wanted is None else set(wanted)
        with short_switches(), self._read() as conn:  # a reader beside a busy training loop: see .switches
            rows = _with_tails(_chunk_rows(conn, query), _tail_chunks(
                conn, [run_id], after_step, keep=lambda key, last: (chosen is None or key in chosen)
                and (after_step is None or last > after_step)))
        # a whole read may be large (1M points, 1,000 keys): two threads; a poll for new points stays in this one
        found = _decoded([(key, tuple(zip(*group, strict=True))[2:]) for key, group in groupby(rows, key=itemgetter(0))
                          if chosen is None or key in chosen], threads=2 if after_step is None else 1)
        if after_step is not None:
            found = _after(found, after_step)
        return found

    # -- bulk reads for the compare widget --------------------------------------------------------------------
    def read_series_many(self, run_ids: Iterable[str], keys: Iterable[str], times: bool = True
                         ) -> dict[tuple[str, str], Series]:
        ids, wanted = list(dict.fromkeys(run_ids)), list(dict.fromkeys(keys))
        c = metric_chunks.c
        rows: list[Any] = []
        chosen = set(wanted)
        with self._read() as conn:
            for lo in range(0, len(ids), IN_CHUNK):  # one query (per 900 runs: SQLite's parameter limit)
                query = (sa.select(c.run_id, c.key, c.seq, *_CHUNK_COLUMNS[:-1], c.times if times else sa.null())
                         .where(c.run_id.in_(ids[lo:lo + IN_CHUNK]), c.key.in_(wanted))
                         .order_by(c.run_id, c.key, c.seq))
                rows += _with_tails(_chunk_rows(conn, query), _tail_chunks(
                    conn, ids[lo:lo + IN_CHUNK], None, times, keep=lambda key, _: key in chosen), by_run=True)
        return _decoded([(ids, tuple(zip(*group, strict=True))[3:])
                         for ids, group in groupby(rows, key=itemgetter(0, 1))], times, threads=2)

    def series_keys(self, run_id: str) -> list[str]:
        query = sa.select(metric_chunks.c.key).where(metric_chunks.c.run_id == run_id).distinct()
        with self._read() as conn:
            keys = set(conn.scalars(query))
            keys.update(key for key, _ in _tail_keys(conn, run_id))
        return sorted(keys)

    def read_objects(self, run_id: str, key: str | None = None) -> list[ObjectRecord]:
        query = sa.select(objects).where(objects.c.run_id == run_id)
        if key is not None:
            query = query.where(objects.c.key == key)
        with self._read() as conn:
            return [ObjectRecord(key=r.key, step=r.step, time=r.time, kind=r.kind, data=r.data)
                    for r in conn.execute(query.order_by(objects.c.step, objects.c.id))]

    def chunk_tails(self, run_id: str) -> dict[str, int]:
        query = (sa.select(metric_chunks.c.key, sa.func.max(metric_chunks.c.seq))
                 .where(metric_chunks.c.run_id == run_id).group_by(metric_chunks.c.key))
        with self._read() as conn:
            found = {k: int(s) for k, s in conn.execute(query)}
            for key, seq in _tail_keys(conn, run_id):
                found[key] = max(found.get(key, -1), seq)
        return found

    def settle_tails(self, run_id: str) -> None:
        c = metric_chunks.c
        with self._write() as conn:
            tails = _tail_chunks(conn, [run_id], None)
            if not tails:
                return
            top = dict(conn.execute(sa.select(c.key, sa.func.max(c.seq)).where(c.run_id == run_id)
                                    .group_by(c.key)).all())
            live = [{"run_id": run_id, "key": key, "seq": seq, "first_step": first, "last_step": last,
                     "encoding": encoding, "n": n, "steps": s, "values": v, "times": t}
                    for _, key, seq, first, last, encoding, n, s, v, t in tails if seq > top.get(key, -1)]
            if live:
                self._insert_ignore(conn, metric_chunks, live, ["run_id", "key", "seq"])
            conn.execute(metric_tails.delete().where(metric_tails.c.run_id == run_id))


    # -- the live panel's reads: each key from its own cursor, in one query ----------------------------------
    def read_series_after(self, run_id: str, cursors: Mapping[str, int | None]) -> dict[str, Series]:
        c = metric_chunks.c
        groups: dict[int | None, list[str]] = {}  # keys logged together share a cursor: one condition for them
        for key, after in cursors.items():
            groups.setdefault(after, []).append(key)
        rows: list[Any] = []
        with self._read() as conn:
            for part in _parts(list(groups.items()), IN_CHUNK):  # SQLite's parameter limit
                # a SELECT per cursor, each a search of the (run, key) index (an OR of them scanned the run)
                selects = [sa.select(c.key, c.seq, *_CHUNK_COLUMNS).where(
                    c.run_id == run_id, c.key.in_(keys), *(() if after is None else (c.last_step > after,)))
                    for after, keys in part]
                query = selects[0] if len(selects) == 1 else sa.union_all(*selects)
                rows += _chunk_rows(conn, query)
            known = [a for a in cursors.values() if a is not None]
            since = min(known) if len(known) == len(cursors) else None  # tail rows with a step after every cursor

            def wanted(key: str, last: int) -> bool:
                if key not in cursors:
                    return False
                cursor = cursors[key]
                return cursor is None or last > cursor

            merged = _with_tails(sorted(rows, key=itemgetter(0, 1)), _tail_chunks(conn, [run_id], since, keep=wanted))
        found = _decoded([(key, tuple(zip(*group, strict=True))[2:])
                          for key, group in groupby(merged, key=itemgetter(0))])
        for after, keys in groups.items():  # a chunk that ends after a cursor may start before it
            if after is not None:
                found.update(_after({k: found[k] for k in keys if k in found}, after))
        return {k: s for k, s in found.items() if len(s.steps)}

    # -- a run's keys as they stand: the live panel's look, and history() of keys logged since a run was read ---
    def key_marks(self, run_id: str) -> dict[str, tuple[int, int | None, bool]]:
        c = summaries.c
        # a number: in `value`, or NaN (NULL there, JSON null in value_json); anything else has a JSON value
        scalar = sa.or_(c.value.is_not(None), c.value_json.is_(None), sa.cast(c.value_json, sa.Text) == "null")
        query = sa.select(c.key, c.count, c.last_step, scalar).where(c.run_id == run_id)
        with self._read() as conn:
            return {k: (int(n or 0), s, bool(scalar)) for k, n, s, scalar in conn.execute(query)}


def _chunk_rows(conn: Connection, query: Any) -> Sequence[Any]:
    """The rows of a query of chunk columns as the driver's tuples: their columns (text, integers, bytes) need
    no conversion, and making SQLAlchemy's row objects took 4 of about 30 ms of a profiled 1,000-key
    ``history()`` (4,000 rows). The result is closed here: rows taken from its cursor never reach SQLAlchemy's
    own fetch, which closes it on the last row."""
    result = conn.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _tail_chunks(conn: Connection, run_ids: Sequence[str], after: int | None, times: bool = True,
                 keep: Callable[[str, int], bool] | None = None) -> list[tuple[Any, ...]]:
    """The chunks in the tail rows of runs (those with a step after ``after``, when given, and that ``keep(key,
    last step)`` wants), each as ``(run id, key, seq, first step, last step, encoding, n, steps, values,
    times)``; ``times=False``: None for the times."""
    from .tail_rows import decode

    t = metric_tails.c
    query = sa.select(t.run_id, t.data).where(t.run_id.in_(run_ids) if len(run_ids) > 1 else t.run_id == run_ids[0])
    if after is not None:
        query = query.where(t.last_step > after)
    return [(run_id, key, seq, first, last, encoding, n, s, v, tm if times else None)
            for run_id, data in _chunk_rows(conn, query.order_by(t.run_id, t.seq))
            for key, seq, encoding, n, first, last, s, v, tm in decode(data, keep)]


def _tail_keys(conn: Connection, run_id: str) -> list[tuple[str, int]]:
    """The ``(key, seq)`` of each chunk in the tail rows of a run."""
    from .tail_rows import keys

    query = sa.select(metric_tails.c.data).where(metric_tails.c.run_id == run_id)
    return [pair for (data,) in _chunk_rows(conn, query) for pair in keys(data)]


def _with_tails(rows: Sequence[Any], tails: list[tuple[Any, ...]], by_run: bool = False) -> Sequence[Any]:
    """Chunk rows ``(key, seq, encoding, n, steps, values, times)`` sorted by key and seq (``by_run``: ``(run id,
    key, seq, …)``, sorted by run too) with the live chunks of ``tails`` (see :func:`_tail_chunks`) sorted
    in. A tail chunk is live while its key has no chunk with a seq as high: a merge takes the seq of the last chunk
    it covers, and a key's large chunk follows the merge of the small ones before it. Rows read after a step hold
    every such chunk too: the chunk that covers a tail chunk ends where it ends, or later."""
    if not tails:
        return rows
    top: dict[Any, int] = {}
    for row in rows:  # in seq order: the last row of a key has its highest seq
        top[row[:2] if by_run else row[0]] = row[2] if by_run else row[1]
    extra = [(run_id, key, seq, *rest) if by_run else (key, seq, *rest)
             for run_id, key, seq, _, _, *rest in tails
             if seq > top.get((run_id, key) if by_run else key, -1)]
    if not extra:
        return rows
    return sorted([*rows, *extra], key=itemgetter(0, 1, 2) if by_run else itemgetter(0, 1))


_CHUNK_COLUMNS = (metric_chunks.c.encoding, metric_chunks.c.n, metric_chunks.c.steps, metric_chunks.c["values"],
                  metric_chunks.c.times)


def _decoded(found: Sequence[tuple[Any, Sequence[Any]]], times: bool = True, threads: int = 1
             ) -> dict[Any, Series]:
    """Each ``(name, columns of its chunk rows)``'s series (see :func:`.chunk_codec.decode_series`), decoded
    together (keys logged together share their steps and times, and are unpacked a chunk position at a time):
    ``{name: series}``; a name is a key, or ``(run id, key)``. ``threads=2``: a large read on two cores."""
    from .chunk_codec import decode_series

    decoded = decode_series([chunks for _, chunks in found], times, threads)
    return {name: Series(name if isinstance(name, str) else name[1], *arrays)
            for (name, _), arrays in zip(found, decoded, strict=True)}


def _after(found: dict[str, Series], after_step: int) -> dict[str, Series]:
    """Each series' points after ``after_step`` (a chunk that ends after it may also hold points read before).
    Series that shared their steps or times (keys logged together) share them after the cut too: one mask and one
    copy for them all, and ``history()`` sees at once that their steps are the same."""
    masks: dict[int, Any] = {}  # id of the steps -> the points to keep
    cuts: dict[tuple[int, int], Any] = {}  # (id of an array, id of its series' steps) -> the array cut
    kept = {}
    for key, s in found.items():
        if not len(s.steps) or s.steps[0] > after_step:
            kept[key] = s
            continue
        keep = masks.get(id(s.steps))
        if keep is None:
            keep = masks[id(s.steps)] = s.steps > after_step
        steps, times = cuts.get((id(s.steps), id(s.steps))), cuts.get((id(s.times), id(s.steps)))
        if steps is None:
            steps = cuts[(id(s.steps), id(s.steps))] = s.steps[keep]
        if times is None:
            times = cuts[(id(s.times), id(s.steps))] = s.times[keep]
        kept[key] = Series(key, steps, s.values[keep], times)
    return kept


def _parts(groups: list[tuple[int | None, list[str]]], size: int) -> Iterable[list[tuple[int | None, list[str]]]]:
    """The ``(cursor, keys)`` groups in parts of at most ``size`` parameters each (a key is one, and each group
    has two more: the run and the cursor); a big group is split."""
    part: list[tuple[int | None, list[str]]] = []
    used = 0
    for after, keys in groups:
        for lo in range(0, len(keys), size - 2):
            piece = keys[lo:lo + size - 2]
            if part and used + len(piece) + 2 > size:
                yield part
                part, used = [], 0
            part.append((after, piece))
            used += len(piece) + 2
    if part:
        yield part


def _summary_row(run_id: str, key: str, e: SummaryEntry) -> dict[str, Any]:
    # NaN is kept as NULL in both columns (SQL has no portable NaN); reads turn a NULL with count > 0 back into NaN.
    numeric = isinstance(e.value, int | float)
    return {
        "run_id": run_id, "key": key,
        "value": float(e.value) if numeric and not math.isnan(e.value) else None,
        "value_json": None if numeric else e.value,
        "last": e.last, "min": e.min, "max": e.max, "count": e.count, "last_step": e.last_step,
        "user_set": e.user_set,
    }


