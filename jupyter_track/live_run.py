"""Run: validates what is logged, stamps step and time, and appends to the buffer; never touches the disk."""

from __future__ import annotations

import contextlib
import copy
import numbers
import os
import struct
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Mapping
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from . import frontend
from .errors import JupyterTrackWarning, StoreError, UsageError
from .messages import logger, say
from .names import KEY_MAX, checked
from .run_config import Config
from .run_files import RunFiles
from .run_summary import _RESET, Summary
from .types import AlertLevel, RunState, SummaryEntry
from .values import FAST_TYPES, STEP_MAX, normalize

log = logger(__name__)

if TYPE_CHECKING:
    from datetime import timedelta

    from .artifacts import Artifact
    from .capture import Capture
    from .metric_defs import MetricDef, MetricDefs
    from .store.blobs import BlobStore
    from .store.buffer import RunBuffer
    from .store.writer import Writer

_now = time.time
# the buffer's record of plain calls: bound by the first Run (the writer's module is loaded by then), so
# `import jupyter_track` does not load it
Rows: Any = None

_ROWS: dict[int, struct.Struct] = {}
_HEAD = struct.Struct("<qd")  # a row of the writer's :class:`Rows` starts with the step (int64) and the time


_RUNS: weakref.WeakSet[Run] = weakref.WeakSet()  # this process's runs: a forked child turns off their hot path


def _after_fork() -> None:
    """In a forked child: every run of the parent is marked as such, and its ``log()`` takes the path that drops
    what a worker logs (see ``Run._elsewhere``); the hot path would fill a buffer no writer thread empties, then
    wait on it for good."""
    for run in list(_RUNS):
        run._forked, run._hot = True, None  # noqa: SLF001 - the module of the class


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _row(n: int) -> struct.Struct:
    """Packs the ``n`` values of a call as float64, little-endian: the rest of its row in :class:`Rows`."""
    found = _ROWS.get(n)
    if found is None:
        found = _ROWS[n] = struct.Struct(f"<{n}d")
    return found


class Run:
    """One tracked run. Made by :func:`jupyter_track.init`; use it directly or through the module functions.

    Example::

        run = jt.init(project="fashion", config={"lr": 1e-3})
        for step in range(100):
            run.log({"train/loss": 1 / (step + 1)})
        run.summary["best_acc"] = 0.93
        run.finish()
    """

    resumed = False  # W&B's run.resumed: True when init(resume=...) continued a stored run (`if run.resumed:`)

    def __init__(
        self,
        *,
        store_url: str,
        blobs: BlobStore,
        writer: Writer,
        buffer: RunBuffer,
        id: str,
        name: str,
        project: str,
        entity: str | None,
        config: dict[str, Any],
        tags: list[str],
        notes: str | None,
        group: str | None,
        job_type: str | None,
        created_at: float,
        step: int = 0,
        last: dict[str, Any] | None = None,
        user_summary: dict[str, Any] | None = None,
        system_index: int = 0,
        notify_finished: Callable[[Run], None] | None = None,
        sweep_id: str | None = None,
        stats: Mapping[str, SummaryEntry] | None = None,
    ) -> None:
        global Rows
        from .store.buffer import Rows

        self.store_url = store_url
        self.sweep_id = sweep_id  # W&B's run.sweep_id: the sweep this run is a trial of, else None
        self._blobs = blobs
        self._writer = writer
        self._buffer = buffer
        self.id = id
        self.project = project
        self.entity = entity
        self.start_time = created_at
        self._name = name
        self._notes = notes
        self._group = group
        self._job_type = job_type
        self._tags = tuple(tags)
        self._step = step
        self.starting_step = step  # W&B's: the first step of this process's part of the run
        self._last: dict[str, Any] = dict(last or {})
        self._keys: tuple[str, ...] = ()  # the keys of the latest plain log() call
        self._fast = False  # whether the latest log() call took the fast path (plain numbers, packed at once)
        # the latest plain call (keys, values, whether each value's type was checked), not yet in _last
        self._pending: tuple[tuple[str, ...], tuple[Any, ...], bool] | None = None
        # set while the next call of the latest call's keys may take log()'s hot path: (how many keys, their
        # values' getter, the packer of their row, the keys)
        self._hot: tuple[int, Callable[[dict[str, Any]], tuple[Any, ...]], struct.Struct, tuple[str, ...]] | None
        self._hot = None
        self._finished = False
        self._state: RunState = "running"
        self._pid = os.getpid()
        self._forked = False  # set in a process forked from this one (a worker): see _elsewhere
        self._fork_warned = False
        _RUNS.add(self)
        self._meta: dict[str, Any] = {}
        self._system_index = system_index  # system samples so far (a resumed run's stream goes on from there)
        self._logged_at: int | None = None
        self._capture: Capture | None = None
        self._notify_finished = notify_finished  # the session's: finish() tells it first, so it forgets the run
        self._finish_callbacks: list[Callable[[str, dict[str, Any], float], None]] = []
        self._log_hook: Callable[[dict[str, Any]], None] | None = None
        # define_metric(): the definitions, and the summary values they make (statistics of the keys they cover;
        # a resumed run's from the store)
        self._metrics: MetricDefs | None = None  # made by the first define_metric(): init() does not load them
        self._stats = {k: copy.copy(e) for k, e in (stats or {}).items()}
        self._derived: dict[str, Any] = {}
        self._hidden: set[str] = set()
        self._files = RunFiles(id, store_url, blobs, buffer)  # run.save() and run.dir
        self._alerted: dict[str, float] = {}  # alert title -> when it was last raised (wait_duration)
        self.config = Config(config, on_change=self._config_changed)
        self.summary = Summary(self._last, self._summary_changed, user=user_summary, derived=self._derived,
                               hidden=self._hidden, settle=self._settled)

    # -- logging: the hot path --------------------------------------------------------------------------------
    def log(self, data: Mapping[str, Any] | None = None, step: int | None = None, commit: bool | None = None
            ) -> None:
        """Record metrics at a step: returns at once, the background writer makes them durable.

        Without ``step`` each call is the next step; ``commit=False`` adds to the current step without
        advancing (``log()`` with no data then commits it). A ``step`` lower than the current one is ignored
        with a warning (as W&B does). Values: see :data:`jupyter_track.values.ACCEPTED`; anything else raises
        ``TypeError`` naming the key, and an int too large for a float64 (or a ``step`` outside 0 … 2**63-1, or a
        name longer than 512 characters) a ``ValueError``; nothing of that call is recorded.
        """
        hot = self._hot
        if hot is not None and type(data) is dict and step is None and commit is None and len(data) == hot[0]:
            # The hot path: the training loop's call of the same keys as the one before (a plain dict, plain
            # numbers, no step, no metric definitions or hook), whose fixed cost is most of a narrow call's.
            # One C-level lookup per key both checks that the keys are those of the last call (a missing one
            # raises KeyError; with as many keys, the sets are equal) and reads the values in the order of that
            # call's keys (how they are stored), without a tuple of the keys. sum() checks the values as below.
            n, values_of, row, keys = hot
            try:
                vals = values_of(data)
                body = row.pack(*vals) if type(sum(vals, 0.0)) is float else None
            except Exception:  # noqa: BLE001 - a key not there, a value sum() refuses …: the path below says why
                body = None
            if body is not None:
                t = _now()
                buf = self._buffer
                with buf.lock:
                    if buf.held + n >= buf.high_water:
                        buf.full(n)
                    at = self._step
                    if at > STEP_MAX:
                        raise _step_overflow()
                    self._step = at + 1
                    rows = buf.rows
                    if rows is None or (rows.keys is not keys and rows.keys != keys):
                        rows = buf.rows = Rows(keys)
                        buf.items.append(rows)
                    packed = rows.data
                    packed += _HEAD.pack(at, t)
                    packed += body
                    buf.held += n
                    self._logged_at = at
                    pending = self._pending
                    if pending is not None and pending[0] is not keys:
                        self._settle_locked()
                    self._pending = (keys, vals, False)
                return
        if self._elsewhere():
            return
        if self._finished:
            raise UsageError(f"run {self.name!r} has finished; start a new one with jt.init() before logging")
        self._hot = None
        if data is None:
            data = {}
        try:
            values = data.values()
        except AttributeError:
            raise TypeError(f"log() takes a dict of {{name: value}}, not {type(data).__name__}") from None
        # The usual call (str keys, plain numbers) is checked and packed into 8 bytes per value by C loops: the
        # buffer then holds a few bytes per value, not a dict and a float object each, and wide calls stay cheap.
        keys = tuple(data)
        vals = tuple(values)
        same = keys == self._keys
        if same:
            keys = self._keys  # every call of the same keys shares one tuple: the writer groups calls by it
            plain = True
        else:
            # else normalize() raises, naming the key
            plain = all(type(k) is str for k in keys) and "" not in keys and max(map(len, keys), default=0) <= KEY_MAX
            if plain:
                self._keys = keys
        # The values' types: every one a float, int or bool (a C loop that calls type() on each). Once a call
        # of these keys passed, a C-level sum() stands in for it (about 7× faster): its result is an exact float
        # only when every value is a float or an int (or, rarely, a number whose sum with a float is a float:
        # packed as float64 all the same, and kept in the summary as float(value), as normalize() does). A call
        # that took the slow path (tensors, text) clears `_fast`, so sum() never adds such values twice in a row.
        exact = fast = False
        if plain:
            if same and self._fast:
                try:
                    fast = type(sum(vals, 0.0)) is float
                except Exception:  # noqa: BLE001 - a value sum() refuses (text, None …): normalize() says why
                    fast = False
            if not fast:
                fast = exact = FAST_TYPES.issuperset(map(type, vals))
        body = None
        if fast:
            try:  # also checks that every value fits a float64
                body = (_ROWS.get(len(vals)) or _row(len(vals))).pack(*vals)
            except struct.error:  # an int beyond float64 (normalize() raises, naming the key)
                body = None
        self._fast = body is not None
        t = _now()
        scalars: Mapping[str, Any]
        if body is None:
            scalars, rich = normalize(data, self._put_blob)
            keys = tuple(scalars)
            vals = tuple(scalars.values())
            exact = True  # normalize() made them plain numbers
        else:
            scalars, rich = data, None
        if step is not None and (type(step) is not int or not 0 <= step <= STEP_MAX):
            step = _as_step(step)
        buf = self._buffer
        n = len(keys) if rich is None else len(keys) + len(rich)  # the buffer is bounded in values
        with buf.lock:
            if buf.held + n >= buf.high_water:
                buf.full(n)
            current = self._step
            if step is None:
                if current > STEP_MAX:
                    raise _step_overflow()
                at = current
                if commit is not False:
                    self._step = current + 1
            else:
                if step < current:
                    warnings.warn(
                        f"log(step={step}) is lower than the run's current step {current}; this row was ignored "
                        "(steps must not go back: log with step=None, or use a metric such as 'epoch' as x-axis)",
                        JupyterTrackWarning, stacklevel=2)
                    return
                at = step
                self._step = step + 1 if commit else step
            if rich is None:  # a row of the buffer's open Rows record, or a new one when the keys changed
                if body is None:
                    body = _row(len(keys)).pack(*vals)
                rows = buf.rows
                if rows is None or (rows.keys is not keys and rows.keys != keys):
                    rows = buf.rows = Rows(keys)
                    buf.items.append(rows)
                packed = rows.data
                packed += _HEAD.pack(at, t)
                packed += body
            else:
                buf.items.append((at, t, keys, _row(len(keys)).pack(*vals), rich))
                buf.rows = None
            buf.held += n
            self._logged_at = at
            # The summary's last values: a plain call is kept as it is (its keys and values) until the summary
            # is read or a call of other keys comes, which saves a dict update per call.
            pending = self._pending
            if pending is not None and (rich is not None or pending[0] is not keys):
                self._settle_locked()
            if rich is None:
                self._pending = (keys, vals, exact)
        if rich:
            self._last.update(scalars)
            for key, kind, payload in rich:
                self._last[key] = payload if kind == "text" else {"_type": kind}
        # the next call of these keys may take the hot path (which has no step, media, definitions or hook)
        if body is not None and rich is None and keys and not self._metrics and self._log_hook is None:
            self._hot = (len(keys), itemgetter(*keys) if len(keys) > 1 else _one(keys[0]), _ROWS[len(keys)], keys)
        if self._metrics:
            self._follow_metrics(scalars, at)
        if self._log_hook is not None:  # only sweep trials have one
            self._log_hook(dict(scalars))

    def _settle_locked(self) -> None:
        """Move the latest plain call's values into ``_last`` (with the buffer's lock held)."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        keys, vals, exact = pending
        if exact or FAST_TYPES.issuperset(map(type, vals)):
            self._last.update(zip(keys, vals, strict=True))
        else:  # a number sum() let through (an int subclass, a Fraction): as normalize() keeps it
            self._last.update((k, v if type(v) in FAST_TYPES else int(v) if isinstance(v, numbers.Integral)
                               else float(v)) for k, v in zip(keys, vals, strict=True))

    def _op(self, name: str, payload: Any = None) -> None:
        """Hand the writer an op of this run (none from a forked process: see :meth:`_elsewhere`)."""
        if not self._elsewhere():
            self._buffer.op(name, payload)

    def _elsewhere(self) -> bool:
        """Whether this process was forked from the run's (a DataLoader or multiprocessing worker). Its copy of
        the run has no writer thread: what it logged would never be stored, and its buffer, once full, would
        block ``log()`` for good. It is dropped instead, with a warning the first time."""
        if not self._forked:
            return False
        if not self._fork_warned:
            self._fork_warned = True
            warnings.warn(
                f"run {self.path} is logged by process {self._pid}, and this process ({os.getpid()}) was forked from "
                "it (a DataLoader, multiprocessing or fork-started DDP worker): what it logs to that run is not "
                "recorded. Log from the main process, or start a run in the worker (jt.init(group=...); Lightning's "
                "JupyterTrackLogger starts one in rank zero when no run is active before fit)", JupyterTrackWarning,
                stacklevel=3)
        return True

    def _settled(self) -> dict[str, Any]:
        """The last logged value of each key (what the summary shows)."""
        if self._pending is not None:
            with self._buffer.lock:
                self._settle_locked()
        return self._last

    def log_system(self, values: Mapping[str, float], t: float | None = None) -> None:
        """Record one sample of the system stream (``system/…`` keys on a wall-time axis, as the system monitor
        does): kept apart from the training history and never moving the run's step."""
        self._op("system", (self._system_index, _now() if t is None else t, dict(values)))
        self._system_index += 1

    @property
    def step(self) -> int:
        """The step the next ``log()`` without ``step`` will use."""
        return self._step

    @property
    def logged_at(self) -> int | None:
        """The step the latest ``log()`` recorded at (None before the first): the executed-code history credits
        each cell with the steps logged while it ran."""
        return self._logged_at

    @property
    def log_hook(self) -> Callable[[dict[str, Any]], None] | None:
        """Called with the scalars of each ``log()`` after they are recorded; it may raise to stop the caller
        (a sweep trial's monitor raises :class:`~jupyter_track.errors.TrialPruned`). None: no hook."""
        return self._log_hook

    @log_hook.setter
    def log_hook(self, hook: Callable[[dict[str, Any]], None] | None) -> None:
        self._log_hook = hook
        self._hot = None  # log()'s hot path does not call it

    # -- metadata ---------------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = checked("run.name", value)
        self._op("update", {"name": self._name})

    @property
    def notes(self) -> str | None:
        return self._notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._notes = value
        self._op("update", {"notes": value})

    @property
    def tags(self) -> tuple[str, ...]:
        return self._tags

    @tags.setter
    def tags(self, value: Any) -> None:
        self._tags = tuple(checked("run.tags", t) for t in value)
        self._op("tags", self._tags)

    @property
    def group(self) -> str | None:
        return self._group

    @property
    def job_type(self) -> str | None:
        return self._job_type

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def meta(self) -> dict[str, Any]:
        """Capture facts recorded so far (notebook, git, environment, packages, seed, …), as ``StoredRun.meta``."""
        return dict(self._meta)

    @property
    def metadata(self) -> dict[str, Any]:
        """W&B's name for :attr:`meta`: git commit and remote, host, program, Python, GPUs, … (capture runs in
        the background: a fact may arrive a moment after ``init()``)."""
        return self.meta

    @property
    def path(self) -> str:
        """``project/id``, accepted by :func:`jupyter_track.load_run` to read this run back."""
        return f"{self.project}/{self.id}"

    @property
    def dir(self) -> str:
        """The run's own folder (made on first use): files written there are saved with the run when it
        finishes, named relative to it, as ``run.save()`` does. It is ``<store folder>/runs/<run id>/files``
        (a temporary folder, removed after ``finish()``, for a server store).

        Example::

            torch.save(model.state_dict(), os.path.join(run.dir, "model.pt"))   # saved with the run at finish()
        """
        return str(self._files.dir)

    @property
    def url(self) -> str:
        """``jupyter-track://<project>/<id>``: runs live in the local store, not behind a web address."""
        return f"jupyter-track://{self.path}"

    def get_url(self) -> str:
        """W&B's ``run.get_url()``: :attr:`url`."""
        return self.url

    def get_project_url(self) -> str:
        return f"jupyter-track://{self.project}"

    def get_sweep_url(self) -> str | None:
        """The sweep's address when the run is a sweep trial, else None."""
        return f"jupyter-track://{self.project}/sweeps/{self.sweep_id}" if self.sweep_id else None

    @property
    def disabled(self) -> bool:
        return False

    def _config_changed(self, data: dict[str, Any]) -> None:
        self._op("update", {"config": data})

    def _summary_changed(self, key: str, value: Any) -> None:
        if value is _RESET:
            self._op("summary_reset", key)
        else:
            self._op("summary", (key, value))

    def _put_blob(self, data: bytes) -> str:
        return self.attach(data, owner="run-media", name="")

    def attach(self, data: bytes, owner: str, name: str) -> str:
        """Store ``data`` as a content-addressed blob that this run refers to as ``owner``/``name``
        (snapshots, diffs, media); returns its SHA-256."""
        from .store.base import BlobRefWrite

        sha = self._blobs.put_bytes(data)
        self._op("blob_ref", BlobRefWrite(sha=sha, owner=owner, name=name or sha, size=len(data), run_id=self.id))
        return sha

    def record_meta(self, meta: Mapping[str, Any]) -> None:
        """Merge capture facts into the run's ``meta`` (used by the capture modules)."""
        self._meta.update(meta)
        self._op("update", {"meta": dict(self._meta)})

    def define_metric(self, name: str, step_metric: str | None = None, step_sync: bool | None = None,
                      hidden: bool | None = None, summary: str | None = None, goal: str | None = None,
                      overwrite: bool | None = None) -> MetricDef:
        """Say how metric ``name`` (a key, or a glob such as ``"val/*"``) is summarised and plotted, as W&B's
        ``define_metric``: ``summary`` ("min", "max", "mean", "last", "best" with ``goal="minimize"`` or
        ``"maximize"``, "none") is what ``run.summary[key]`` holds (here, in the store and in every view);
        ``step_metric`` is the key charts use as the metric's x-axis by default. Repeated calls for one name
        merge (``overwrite=True`` replaces); ``step_sync`` is accepted (charts always join the x-axis as of each
        step). See :mod:`jupyter_track.metric_defs`.

        Example::

            run.define_metric("val/*", step_metric="epoch")
            run.define_metric("val/loss", summary="min")
        """
        from .metric_defs import MetricDefs, define, summary_value

        self._hot = None  # log()'s hot path does not follow definitions
        if self._metrics is None:
            self._metrics = MetricDefs()
        metrics = self._metrics
        merged = metrics.add(define(name, step_metric, summary, goal, hidden), overwrite=bool(overwrite))
        self._op("metric", merged)
        self.record_meta({"metrics": metrics.as_meta()})
        logged = [k for k in self._settled() if metrics.summary_mode(k) not in (None, "none")]
        # keys logged before: from the writer's statistics (a forked worker has no writer of the run's)
        if any(k not in self._stats for k in logged) and not self._forked:
            self.flush()
            self._stats.update({k: e for k, e in self._writer.summary(self.id).items() if k in logged})
        for key in self._settled():  # keys logged before: their live summary follows the definitions now in force
            mode = metrics.summary_mode(key)
            self._hidden.discard(key)
            if mode == "none":
                self._hidden.add(key)
            if mode in (None, "none") or key not in self._stats:
                self._derived.pop(key, None)
            else:
                self._derived[key] = summary_value(mode, self._stats[key])
        return merged

    def step_metric_for(self, key: str) -> str | None:
        """The key ``key`` is drawn against by default (its ``define_metric(step_metric=)``); None: the step."""
        return self._metrics.step_metric(key) if self._metrics is not None else None

    def _follow_metrics(self, scalars: Mapping[str, float], step: int) -> None:
        """The live summary of the keys ``define_metric`` gives a summary mode (the writer does the same for the
        stored summary). Called only once ``define_metric`` made the definitions."""
        from .metric_defs import fold, summary_value

        metrics = cast("MetricDefs", self._metrics)
        for key, value in scalars.items():
            mode = metrics.summary_mode(key)
            if mode is None:
                continue
            if mode == "none":
                self._hidden.add(key)
                continue
            entry = self._stats.get(key)
            if entry is None:
                entry = self._stats[key] = SummaryEntry(value=None, total=0.0)
            v = float(value)
            fold(entry, v, v, v, v, 1, step)
            self._derived[key] = summary_value(mode, entry)

    def save(self, glob_str: str | os.PathLike[str] | None = None, base_path: str | os.PathLike[str] | None = None,
             policy: str = "live") -> list[str] | bool:
        """Store files matching ``glob_str`` with the run (content-addressed; the same bytes are kept once).

        ``policy``: "live" (W&B's default) stores them now and again at ``finish()`` (their final content),
        "now" only now, "end" only at ``finish()``. Without ``glob_str`` there is nothing to do (W&B's old
        ``run.save()`` that stored the run's attributes: they are stored as they change) and it returns True.

        Example::

            run.save("checkpoints/*.pt")      # → ['checkpoints/epoch1.pt', ...]
        """
        if glob_str is None:
            return True
        return self._files.save(glob_str, base_path, policy)

    # -- artifacts (jupyter_track.artifacts) ----------------------------------------------------------------------
    def log_artifact(self, artifact_or_path: Artifact | str | os.PathLike[str], name: str | None = None,
                     type: str | None = None, aliases: list[str] | None = None, tags: list[str] | None = None
                     ) -> Artifact:
        """Log an artifact as an output of this run; returns it with its version (``v0``, ``v1``, …).

        Identical content returns the existing version. ``aliases`` (e.g. ``["best"]``) move onto it;
        ``latest`` always names the newest version. A path makes a one-file or folder artifact. W&B's
        version ``tags`` are not stored (a warning says so): use ``aliases`` or the artifact's ``metadata``.

        Example::

            art = jt.Artifact("mnist", type="dataset"); art.add_dir("data/")
            run.log_artifact(art, aliases=["raw"]).version       # 'v0'
        """
        from .artifacts import log_artifact
        from .store import open_store

        if tags:
            warnings.warn(f"log_artifact(tags={tags!r}): artifact tags are not stored; use aliases= or the "
                          "artifact's metadata", JupyterTrackWarning, stacklevel=2)
        self.flush()  # the run's row is written before anything that names it
        return log_artifact(open_store(self.store_url), artifact_or_path, project=self.project, run_id=self.id,
                            name=name, type=type, aliases=aliases)

    def link_artifact(self, artifact: Artifact, target_path: str, aliases: list[str] | None = None) -> Artifact:
        """Link an artifact into a collection, as W&B's model registry does, kept in this store (see
        :func:`jupyter_track.artifacts.registry.link_artifact`); returns the linked version.

        Example::

            run.link_artifact(best_model, "model-registry/My Registered Model", aliases=["staging"])
        """
        from .artifacts.registry import link_artifact
        from .store import open_store

        self.flush()
        return link_artifact(open_store(self.store_url), artifact, target_path, project=self.project,
                             run_id=self.id, aliases=aliases)

    def link_model(self, path: str | os.PathLike[str], registered_model_name: str, name: str | None = None,
                   aliases: list[str] | None = None) -> Artifact:
        """Log a model file or folder (:meth:`log_model`) and link it to ``registered_model_name`` in the
        ``model-registry`` project, as W&B's ``run.link_model`` does; returns the linked version."""
        model = self.log_model(path, name=name)
        return self.link_artifact(model, f"model-registry/{registered_model_name}", aliases=aliases)

    def use_artifact(self, artifact_or_name: Artifact | str, type: str | None = None,
                     aliases: list[str] | None = None, use_as: str | None = None) -> Artifact:
        """Declare an artifact version an input of this run (the lineage's input edge) and return it;
        ``"name:latest"``, ``"name:v3"``, ``"name:production"`` or ``"project/name:alias"``. ``use_as``
        (deprecated in W&B) is accepted and has no effect.

        Example::

            data_dir = run.use_artifact("mnist:latest").download()
        """
        from .artifacts import use_artifact
        from .store import open_store

        self.flush()
        return use_artifact(open_store(self.store_url), artifact_or_name, project=self.project, run_id=self.id,
                            type=type, aliases=aliases)

    def log_model(self, path: str | os.PathLike[str], name: str | None = None, aliases: list[str] | None = None
                  ) -> Artifact:
        """Log a model file or folder as a ``model`` artifact (default name ``run-<id>-<file name>``)."""
        return self.log_artifact(path, name=name or f"run-{self.id}-{Path(path).name}", type="model",
                                 aliases=aliases)

    def use_model(self, name: str) -> str:
        """Use a ``model`` artifact and download it; returns the local folder."""
        return self.use_artifact(name, type="model").download()

    # -- lifecycle --------------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Block until everything logged so far is durable in the store."""
        if not self._forked:  # a forked process has no writer thread of the run's (see _elsewhere)
            self._writer.flush()

    def on_finish(self, callback: Callable[[str, dict[str, Any], float], None]) -> None:
        """Call ``callback(state, summary, finished_at)`` once the run has finished and its data is durable (on a
        thread of its own, which ``finish()`` does not wait for)."""
        self._finish_callbacks.append(callback)

    def display(self, height: int | None = None, hidden: bool = False) -> Any:
        """Show the run's live panel in this cell's output (``jt.init()`` shows one in a notebook); W&B's
        ``height`` is accepted (the panel sizes itself), ``hidden=True`` shows nothing."""
        return None if hidden else frontend.show_run(self)

    # -- W&B's other run methods ----------------------------------------------------------------------------------
    def watch(self, models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
              idx: int | None = None, log_graph: bool = False) -> None:
        """Log histograms of a PyTorch model's gradients and/or parameters to this run (see
        :func:`jupyter_track.watch`)."""
        from .model_watch import watch

        watch(models, criterion, log=log, log_freq=log_freq, idx=idx, log_graph=log_graph, run=self)

    def unwatch(self, models: Any = None) -> None:
        """Stop watching ``models`` (default: every model watched for this run)."""
        from .model_watch import unwatch

        unwatch(models, run=self)

    def alert(self, title: str, text: str, level: str | AlertLevel | None = None,
              wait_duration: float | timedelta | None = None) -> None:
        """Raise an alert (W&B's ``run.alert``): recorded with the run (``meta["alerts"]``: title, text,
        level, time and the step last logged), printed on stderr, and shown in the sidebar and the run's detail
        panel. An alert with the same title raised less than ``wait_duration`` seconds after the last one is left
        out.

        Example::

            if acc < 0.3:
                run.alert(title="Low accuracy", text=f"{acc} at step {run.step}", level=jt.AlertLevel.WARN)
        """
        level = level.value if isinstance(level, AlertLevel) else str(level or "INFO").upper()
        if level not in AlertLevel.__members__:
            raise ValueError(f"alert(level={level!r}): use jt.AlertLevel.INFO, WARN or ERROR")
        from datetime import timedelta  # here: init() does not wait for datetime to load

        wait = wait_duration.total_seconds() if isinstance(wait_duration, timedelta) else float(wait_duration or 0)
        now = _now()
        if title in self._alerted and now - self._alerted[title] < wait:
            return
        self._alerted[title] = now
        alerts = [*self._meta.get("alerts", ()), {"title": str(title), "text": str(text), "level": level,
                                                  "time": now, "step": self._logged_at}]
        self.record_meta({"alerts": alerts})
        say(f"{level} alert in run {self.name} ({self.path}): {title}: {text}", alert=True)

    def start_capture(self, parts: set[str], notebook: str | os.PathLike[str] | None = None, shell: Any = None,
                      runs: Callable[[], list[Any]] | None = None) -> None:
        """Start recording ``parts`` (see :func:`jupyter_track.capture.parts_from`) for this run, off the
        training thread; ``finish()`` takes the final snapshots and stops it. ``init()`` calls this.

        Example::

            run.start_capture({"git", "system"})
        """
        from .capture import Capture

        self._capture = Capture(self, parts, notebook=notebook, shell=shell, runs=runs)
        self._capture.start()

    def finish(self, exit_code: int | None = None, quiet: bool | None = None, *, state: RunState | None = None
               ) -> None:
        """End the run: ``finished`` (exit code 0/None) or ``failed``.

        The run's last data (and what the capture at ``init()`` still gathers) is handed to the background
        writer: ``finish()`` does not wait for it to be written (the first write of a process waits for
        SQLAlchemy to load). Everything is stored all the same: readers in this process (``jt.runs()``,
        ``jt.load_run()``, ``history()``, a resumed run) wait for it, and so does the interpreter's exit;
        ``run.flush()`` before ``finish()`` waits for what was logged.

        Raises :class:`~jupyter_track.errors.StoreError` when some of what the run logged is known not to be
        stored (the writer dropped it and said why in the log: a value the store refused, or the run deleted
        while it ran); the run has ended all the same. A drop found in the last batch is said in the log."""
        if self._finished:
            return
        self._finished = True
        self._hot = None  # log() checks for a finished run on its other path
        if self._forked:  # a forked worker's copy (see _elsewhere): the run's own process finishes it
            if self._notify_finished is not None:
                self._notify_finished(self)
            return
        self._state = state or ("finished" if not exit_code else "failed")
        self._files.finish()
        now = _now()
        fields = {"state": self._state, "finished_at": now, "updated_at": now, "heartbeat_at": now,
                  "exit_code": int(exit_code or 0)}
        if self._notify_finished is not None:
            self._notify_finished(self)
        capture, callbacks, state_now = self._capture, list(self._finish_callbacks), self._state
        wait = _exits_without_atexit()
        # the writer stores logged values as float64: the ints and bools among the last ones, for the summary
        exact = {k: v for k, v in self._settled().items() if type(v) is int or type(v) is bool}

        done = threading.Event()  # the last steps, callbacks included, are over

        def last_steps() -> str | None:
            try:
                try:
                    if capture is not None:  # it may still be running (git, packages): its results go first
                        capture.finish()
                finally:  # a callback (the live panel's final state) reads the store: on its thread it may wait
                    said = self._writer.close_run(self.id, fields, wait=wait or bool(callbacks), exact=exact)
                for callback in callbacks:
                    try:
                        callback(state_now, self.summary.as_dict(), now)
                    except Exception:  # the run has ended and is stored; the other callbacks still run
                        log.warning("jupyter_track: run %s: a finish callback failed", self.id, exc_info=True)
                return said
            finally:
                done.set()

        report = self._writer.drops_of(self.id)
        if wait or (capture is None and not callbacks):
            dropped = last_steps()
        else:
            dropped = report()
            self._writer.hand_over(self.id, last_steps)
        shell = frontend.running_shell()
        if shell is not None and not wait:
            _stored_by_cell_end(shell, self._writer, done, report, dropped,
                                f"{self._state} run {self.name} ({self.path})")
        if dropped:
            raise StoreError(f"run {self.name} ({self.path}) has ended, but {dropped}")
        if not quiet:
            say(f"{self._state} run {self.name} ({self.path}), {len(self._settled())} metrics; "
                f"read it back with jt.load_run({self.path!r})")

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish(exit_code=255, state="killed")
        else:
            self.finish(exit_code=1)

    def __repr__(self) -> str:
        return f"<Run {self.path} name={self.name!r} state={self._state} step={self._step}>"


def _exits_without_atexit() -> bool:
    """Whether this is a ``multiprocessing`` child, which ends with ``os._exit()`` (no atexit drain) once its
    target returns: there ``finish()`` waits until the run is stored."""
    mp = sys.modules.get("multiprocessing")
    return mp is not None and mp.parent_process() is not None


def _stored_by_cell_end(shell: Any, writer: Writer, done: threading.Event, dropped: Callable[[], str | None],
                        raised: str | None, run: str) -> None:
    """In IPython the cell that called ``finish()`` ends once the run is stored and its finish callbacks ran:
    what reads the store next (the sidebar, another process, the next cell) finds it finished, the live panel's
    final view is in that cell's output (a frontend, or nbclient, takes no output after the cell ended), and
    ``finish()`` itself still returns at once. What the last batch lost (values the store refused) is said in
    that cell, as ``finish()`` would have."""

    def settle(result: Any = None) -> None:
        shell.events.unregister("post_run_cell", settle)
        with contextlib.suppress(StoreError):  # the writer has said why; it keeps the data and retries
            writer.flush()
        done.wait(60)
        lost = dropped()
        # not what finish() raised already; an error finish() could not raise: a warning, which
        # JUPYTER_TRACK_QUIET does not silence
        if lost and lost != raised:
            warnings.warn(f"{run} has ended, but {lost}", JupyterTrackWarning, stacklevel=1)

    shell.events.register("post_run_cell", settle)


def _one(key: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The hot path's getter of one key's value, as a 1-tuple (``itemgetter`` of one key returns the value)."""
    def value_of(data: dict[str, Any]) -> tuple[Any, ...]:
        return (data[key],)
    return value_of


def _step_overflow() -> ValueError:
    return ValueError(f"log(): the run's step counter passed {STEP_MAX} (int64); nothing of this call was recorded "
                      "— log with smaller explicit steps")


def _as_step(step: Any) -> int:
    """``step`` as an int the store can hold (0 … 2**63-1), else a TypeError / ValueError saying why."""
    try:
        as_int = int(step)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"log(step=...) takes an int, not {type(step).__name__}") from None
    if as_int != step:
        raise TypeError(f"log(step={step!r}): steps are whole numbers")
    if not 0 <= as_int <= STEP_MAX:
        raise ValueError(f"log(step={as_int}): steps are 0 … {STEP_MAX} (stored as int64); nothing of this call "
                         "was recorded")
    return as_int
