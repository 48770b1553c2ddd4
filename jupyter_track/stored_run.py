"""One run read back from the store: :class:`StoredRun` (W&B: ``wandb.apis.public.Run``), its summary, and the
per-step alignment of series that its history and the run groups share.

Example::

    r = jt.load_run("fashion/k3v9x2ab")
    r.history(keys=["train/loss"])
    r.summary["test_acc"] = 0.91; r.update()
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .errors import RunNotFoundError, UsageError
from .metric_defs import MetricDefs
from .names import KEY_MAX, NAME_MAX, checked
from .types import SYSTEM_PREFIX, RunInfo, Series, SummaryEntry
from .values import jsonable

if TYPE_CHECKING:
    import pandas as pd

    from .media import Table
    from .store.base import Store


class StoredRun:
    """A run as recorded in the store (W&B: ``wandb.apis.public.Run``): ``jt.load_run(path)`` or
    ``jt.Api().run(path)``. ``name``, ``notes``, ``tags``, ``config`` and ``summary`` may be edited, then stored
    with :meth:`update` (a run that is still logging may overwrite edits of its config and summary).

    Example::

        r = jt.Api().run("fashion/k3v9x2ab")
        r.tags.append("baseline"); r.summary["test_acc"] = 0.91
        r.update()
    """

    def __init__(self, info: RunInfo, store: Store) -> None:
        self._info = info
        self._read_from = store
        self._forget_edits()

    @property
    def _store(self) -> Store:
        """The store, once what a run of this process handed over at ``finish()`` is in it."""
        from .store import settle

        settle(self._read_from.url, finished=True)
        return self._read_from

    def _forget_edits(self) -> None:
        """The editable fields as read (``update()`` compares them with what they are then)."""
        self._name, self._notes = self._info.name, self._info.notes
        self._tags = list(self._info.tags)
        self._config = dict(self._info.config)
        self._summary: StoredSummary | None = None

    # identity and metadata
    id = property(lambda self: self._info.id)
    project = property(lambda self: self._info.project)
    entity = property(lambda self: self._info.entity)
    state = property(lambda self: self._info.state)
    group = property(lambda self: self._info.group)
    job_type = property(lambda self: self._info.job_type)
    sweep_id = property(lambda self: self._info.sweep_id)
    last_step = property(lambda self: self._info.last_step)
    duration = property(lambda self: self._info.duration)
    path = property(lambda self: self._info.path)
    info = property(lambda self: self._info)

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
            raise ValueError(f"run name {value!r}: give a non-empty string of at most {NAME_MAX} characters")
        self._name = value.strip()

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._notes = None if value is None else str(value)

    @property
    def tags(self) -> list[str]:
        """The tags (a list: ``r.tags.append("best")`` then :meth:`update` stores it)."""
        return self._tags

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._tags = [checked("run.tags", t) for t in value]

    @property
    def config(self) -> dict[str, Any]:
        """The config (a dict: ``r.config["note"] = "x"`` then :meth:`update` stores it)."""
        return self._config

    @property
    def store(self) -> Store:
        """The store this run was read from (as ``Api().store``): its series, objects and blobs are read there."""
        return self._store

    @property
    def meta(self) -> dict[str, Any]:
        """Capture facts: notebook, git, environment, packages, seed, alerts, metric definitions, …"""
        return dict(self._full().meta)

    @property
    def metadata(self) -> dict[str, Any]:
        """W&B's name for :attr:`meta`."""
        return self.meta

    def _full(self) -> RunInfo:
        """The run with meta and per-key statistics (a run from a listing loads them on first need)."""
        if not self._info.detailed:
            self.refresh()
        return self._info

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self._info.created_at, tz=timezone.utc)

    @property
    def summary(self) -> StoredSummary:
        """The effective summary: values set by the user, else the last logged value of each key, or what the
        run's ``define_metric(summary=...)`` makes of it (the ``system/…`` stream is left out; see
        :meth:`history` with ``stream="system"``). A dict; ``summary.update({...})`` stores the values at once."""
        if self._summary is None:
            self._summary = StoredSummary(self, shown_summary(self._info))
        return self._summary

    @property
    def summary_stats(self) -> dict[str, dict[str, Any]]:
        """Per key: last, min, max, count and last step of the logged series."""
        return {k: {"last": e.last, "min": e.min, "max": e.max, "count": e.count, "last_step": e.last_step}
                for k, e in self._full().summary.items() if e.count and is_scalar(e)}

    def keys(self, stream: str = "default") -> list[str]:
        """The logged keys (scalar, text and media) of the training history, or of ``stream="system"``."""
        system = stream == "system"
        return [k for k in self._store.metric_keys(self.id) if k.startswith(SYSTEM_PREFIX) == system]

    def metric(self, key: str) -> Series:
        """One scalar series as numpy arrays (``steps``, ``values``, ``times``): the fastest read there is."""
        return self._store.read_series(self.id, key)

    def history(self, keys: Sequence[str] | None = None, samples: int | None = None, pandas: bool = True,
                stream: str = "default", min_step: int | None = None, max_step: int | None = None
                ) -> pd.DataFrame | list[dict[str, Any]]:
        """The logged history, one row per step: ``_step``, ``_timestamp``, ``_runtime`` and one column per key.

        All points by default (``samples=N`` keeps N evenly spaced rows). Steps where a key was not logged
        hold NaN (None for text). ``stream="system"`` gives the system monitor's samples instead (``_step``
        is then the sample number; ``_timestamp`` is the axis that matters). ``min_step``/``max_step`` keep the
        rows with ``min_step <= _step < max_step`` (W&B's ``scan_history`` bounds); only the stored chunks that
        reach past ``min_step`` are read, so a poller that passes the last step it saw + 1 reads only new points.

        Example::

            seen = -1
            while r.state == "running":
                new = r.history(min_step=seen + 1)      # only what was logged since the last poll
                seen = int(new["_step"].iloc[-1]) if len(new) else seen
        """
        from .store.switches import short_switches

        if stream not in ("default", "system"):
            raise ValueError(f"history(stream={stream!r}): use 'default' or 'system'")
        # a reader beside a busy training loop: each of the read's few dozen waits for the GIL stays short
        with short_switches():
            return self._history(keys, samples, pandas, stream, min_step, max_step)

    def _history(self, keys: Sequence[str] | None, samples: int | None, pandas: bool, stream: str,
                 min_step: int | None, max_step: int | None) -> pd.DataFrame | list[dict[str, Any]]:
        import numpy as np
        import pandas as pd

        wanted = list(keys) if keys is not None else self.keys(stream)
        known = self._full().summary
        scalar_keys = {k for k in wanted if (e := known.get(k)) is not None and e.count and is_scalar(e)}
        missing = [k for k in wanted if k not in known]
        if missing:  # logged since this object read the run (a poll of a running run): the store says which are
            # numbers; a key not logged yet (named by the caller) counts as one
            marks = self._store.key_marks(self.id)
            scalar_keys |= {k for k in missing if k not in marks or marks[k][2]}
        after = None if min_step is None else min_step - 1
        found = self._store.read_run_series(self.id, [k for k in wanted if k in scalar_keys], after_step=after)
        series = [_within(found.get(k) or _empty(k), max_step) for k in wanted if k in scalar_keys]
        texts = {k: [o for o in self._store.read_objects(self.id, k)
                     if (min_step is None or o.step >= min_step) and (max_step is None or o.step < max_step)]
                 for k in wanted if k not in scalar_keys}
        # the float columns of the keys as one block: one allocation (none when the store decoded them as one), one
        # DataFrame block
        aligned = None if texts else _aligned(series)
        if aligned is not None:
            steps, block, stamp = aligned
        else:
            series = [last_per_step(s) for s in series]
            steps = union_steps([s.steps for s in series] + [np.asarray([o.step for o in v], dtype=np.int64)
                                                             for v in texts.values()])
            block = np.full((len(series), len(steps)), np.nan)
            stamp = np.full(len(steps), np.nan)
            for row, s in zip(block, series, strict=True):
                idx = np.searchsorted(steps, s.steps) if len(s.steps) != len(steps) else slice(None)
                row[idx] = s.values
                stamp[idx] = np.fmax(stamp[idx], s.times)
        text_columns: dict[str, Any] = {}
        for key, objs in texts.items():
            col_obj = np.full(len(steps), None, dtype=object)
            for o in objs:
                pos = np.searchsorted(steps, o.step)
                col_obj[pos] = o.data
                stamp[pos] = np.fmax(stamp[pos], o.time)
            text_columns[key] = col_obj
        frame = pd.DataFrame(block.T, columns=[s.key for s in series], copy=False)
        frame["_timestamp"] = stamp
        frame["_runtime"] = stamp - self._info.created_at
        frame.insert(0, "_step", steps)
        for i, (key, col_obj) in enumerate(text_columns.items()):
            frame.insert(1 + len(series) + i, key, col_obj)
        if samples is not None and len(frame) > samples > 0:
            frame = frame.iloc[np.linspace(0, len(frame) - 1, samples).round().astype(int)].reset_index(drop=True)
        if not pandas:
            return cast("list[dict[str, Any]]", frame.to_dict("records"))
        return cast("pd.DataFrame", frame)

    def scan_history(self, keys: Sequence[str] | None = None, page_size: int = 1000, min_step: int | None = None,
                     max_step: int | None = None) -> Iterator[dict[str, Any]]:
        """Every history row as a dict (W&B's spelling), with ``min_step <= _step < max_step`` when given."""
        yield from cast("list[dict[str, Any]]", self.history(keys=keys, pandas=False, min_step=min_step,
                                                             max_step=max_step))

    # media: per-key history of logged media objects, and tables
    def media(self, key: str) -> list[tuple[int, float, Any]]:
        """Every value logged under ``key`` as ``(step, time, object)`` in step order: ``Image`` (a list of
        them for a logged list), ``Histogram``, ``Html``, ``Plotly``, ``Table``; text as ``str``. Blobs are read
        lazily, when the object's pixels or content are asked for.

        Example::

            for step, t, img in jt.load_run(path).media("samples"):
                img.to_pil()
        """
        from .media import from_logged

        get_blob = self._store.blobs.read_bytes
        return [(o.step, o.time, from_logged(o.kind, o.data, get_blob))
                for o in self._store.read_objects(self.id, key)]

    def table(self, key: str, step: int | None = None) -> Table:
        """The ``Table`` logged under ``key`` at ``step`` (default: the last one logged)."""
        from .media import Table

        logged = [o for o in self._store.read_objects(self.id, key) if o.kind == "table"]
        if step is not None:
            logged = [o for o in logged if o.step == step]
        if not logged:
            at = f" at step {step}" if step is not None else ""
            raise KeyError(f"run {self.path} has no table logged under {key!r}{at}")
        return Table.from_logged(logged[-1].data, self._store.blobs.read_bytes)

    def files(self) -> list[dict[str, Any]]:
        """Files stored with ``run.save()``: name, size and content digest."""
        return [{"name": r.name, "size": r.size, "sha256": r.sha}
                for r in self._store.blob_refs(self.id) if r.owner == "run-file"]

    def download_file(self, name: str, root: str | os.PathLike[str] = ".") -> Path:
        """Write a saved file under ``root`` (never outside it) and return its path."""
        root_path = Path(root).resolve()
        for ref in self._store.blob_refs(self.id):
            if ref.owner == "run-file" and ref.name == name:
                target = (root_path / name).resolve()
                if not target.is_relative_to(root_path):
                    raise UsageError(f"file name {name!r} would be written outside {root_path}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self._store.blobs.read_bytes(ref.sha))
                return target
        raise FileNotFoundError(f"run {self.path} has no saved file {name!r}")

    def refresh(self) -> StoredRun:
        """Read the run again (edits not stored with :meth:`update` are dropped)."""
        info = self._store.get_run(self.id)
        if info is None:
            raise RunNotFoundError(f"run {self.path} was deleted")
        self._info = info
        self._forget_edits()
        return self

    def update(self) -> StoredRun:
        """Store the edits of ``name``, ``notes``, ``tags``, ``config`` and ``summary`` (W&B's
        ``run.update()``); summary values set here count as set by the user."""
        from .store.base import Batch, RunWrite, SummaryWrite, listing_summary

        info = self._full()
        fields: dict[str, Any] = {}
        if self._name != info.name:
            fields["name"] = self._name
        if self._notes != info.notes:
            fields["notes"] = self._notes
        config = jsonable(self._config, "config")
        if config != info.config:
            fields["config"] = config
        tags = list(dict.fromkeys(self._tags)) if self._tags != info.tags else None
        summaries = []
        if self._summary is not None:
            shown = shown_summary(info)
            gone = sorted(set(shown) - set(self._summary))
            if gone:
                raise UsageError(f"run {self.path}: summary keys cannot be deleted from a stored run ({gone[0]!r}); "
                                 "set them to None instead")
            entries = dict(info.summary)
            for key, value in self._summary.items():
                value = jsonable(value, checked("summary key", key, KEY_MAX), where="summary")
                if key not in shown or value != shown[key]:
                    entries[key] = replace(entries.get(key) or SummaryEntry(value=None), value=value, user_set=True)
                    summaries.append(SummaryWrite(self.id, key, entries[key]))
            if summaries:
                hidden = MetricDefs.from_meta(info.meta.get("metrics"))
                fields["summary"] = listing_summary({k: e for k, e in entries.items() if not hidden.hides(k)})
        if not fields and tags is None and not summaries:
            return self
        fields["updated_at"] = time.time()
        self._store.write_batch(Batch(runs=[RunWrite(id=self.id, fields=fields, tags=tags)], summaries=summaries))
        return self.refresh()

    def to_dict(self) -> dict[str, Any]:
        i = self._full()
        return {"id": i.id, "name": i.name, "state": i.state, "project": i.project, "entity": i.entity,
                "group": i.group, "job_type": i.job_type, "tags": list(i.tags), "notes": i.notes,
                "created_at": i.created_at, "duration": i.duration, "config": i.config, "summary": dict(self.summary),
                "meta": i.meta, "last_step": i.last_step, "host": i.host, "pid": i.pid}

    def __repr__(self) -> str:
        return f"<StoredRun {self.path} name={self.name!r} state={self.state}>"


class StoredSummary(dict[str, Any]):
    """A stored run's summary: a dict whose ``update()`` stores what it holds at once (W&B's
    ``run.summary.update()``); ``r.summary["k"] = v`` is stored by ``r.update()``."""

    def __init__(self, run: StoredRun, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self._run = run

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._run.update()

    @property
    def _json_dict(self) -> dict[str, Any]:
        """A plain dict of the summary, as W&B's ``run.summary._json_dict`` (its docs export runs to CSV with it)."""
        return dict(self)

    def __repr__(self) -> str:
        from .media import summary_repr  # a logged medium (a jt.watch histogram) as one line, not its data

        return summary_repr(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def shown_summary(info: RunInfo) -> dict[str, Any]:
    """A run's summary values as readers show them: no ``system/…`` keys, nor keys its ``define_metric(
    summary="none")`` leaves out (a listing's summary has none of those already)."""
    hidden = MetricDefs.from_meta(info.meta.get("metrics")) if info.detailed else MetricDefs()
    return {k: e.value for k, e in info.summary.items() if not k.startswith(SYSTEM_PREFIX) and not hidden.hides(k)}


def is_scalar(entry: Any) -> bool:
    return entry.last is not None or (isinstance(entry.value, float) and entry.value != entry.value)


def last_per_step(s: Series) -> Series:
    import numpy as np

    if len(s.steps) < 2:
        return s
    keep = np.empty(len(s.steps), dtype=bool)
    np.not_equal(s.steps[1:], s.steps[:-1], out=keep[:-1])
    keep[-1] = True
    if keep.all():
        return s
    return Series(s.key, s.steps[keep], s.values[keep], s.times[keep])


def _aligned(series: list[Series]) -> tuple[Any, Any, Any] | None:
    """When every series has the same strictly increasing steps (keys logged together, the common case): those
    steps, the values as a block with a row per series, and the latest wall time per step, made in a few
    whole-array operations rather than a few per key (fewer pauses for a reader thread that shares the
    interpreter with a busy training loop); None otherwise. The block is the store's own when it decoded these
    values, in this order, as the rows of one writable block (see ``chunk_codec.decode_series``): no copy."""
    import numpy as np

    if not series or len({len(s.steps) for s in series}) != 1:
        return None
    first = series[0].steps
    if not all(s.steps is first for s in series):  # the store shares the steps of keys stored alike
        steps = np.stack([s.steps for s in series])
        if not (steps == first).all():
            return None
    if not (first[1:] > first[:-1]).all():
        return None
    block = _rows_of_one_block([s.values for s in series])
    if block is None:
        block = np.stack([s.values for s in series]).astype(np.float64, copy=False)
    if all(s.times is series[0].times for s in series):
        stamp = np.array(series[0].times, dtype=np.float64)
    else:
        stamp = np.fmax.reduce(np.stack([s.times for s in series]), axis=0)
    return first, block, stamp


def _rows_of_one_block(values: list[Any]) -> Any:
    """``values`` as a 2-D float64 array without a copy, when they are the rows, in order and whole, of one
    writable block (how the store decodes the values of keys logged together); None otherwise."""
    import numpy as np

    base = values[0].base
    if (base is None or not isinstance(base, np.ndarray) or base.ndim != 2 or base.shape[0] != len(values)
            or base.dtype.itemsize != 8 or base.dtype.kind not in "uif" or not base.flags.writeable
            or not base.flags.c_contiguous):
        return None
    block = base.view(np.float64)
    width = block.shape[1]
    if not all(v.base is base and v.dtype == np.float64 and v.shape == (width,) for v in values):
        return None
    start, stride = block.__array_interface__["data"][0], block.strides[0]
    at = start + stride * np.arange(len(values))
    if not np.array_equal(at, [v.__array_interface__["data"][0] for v in values]):
        return None
    return block


def _empty(key: str) -> Series:
    import numpy as np

    return Series(key, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


def _within(s: Series, max_step: int | None) -> Series:
    """The points of ``s`` before ``max_step`` (all when None)."""
    if max_step is None or not len(s.steps) or s.steps[-1] < max_step:
        return s
    keep = s.steps < max_step
    return Series(s.key, s.steps[keep], s.values[keep], s.times[keep])


def union_steps(arrays: list[Any]) -> Any:
    import numpy as np

    arrays = [a for a in arrays if len(a)]
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    first = arrays[0]
    if all(len(a) == len(first) and (a is first or np.array_equal(a, first)) for a in arrays[1:]):
        return first
    return np.unique(np.concatenate(arrays))
