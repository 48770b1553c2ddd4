"""The store interface: one write primitive (:meth:`Store.write_batch`) and the reads every reader uses."""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..types import SYSTEM_PREFIX, RunInfo, Series, SummaryEntry
from .blobs import BlobStore


@dataclass
class RunWrite:
    """Columns of one run row to insert (``create``) or update; ``tags`` replaces the run's tag set when given."""

    id: str
    fields: dict[str, Any]
    create: bool = False
    tags: list[str] | None = None


@dataclass
class ChunkWrite:
    """One packed chunk of a metric (its columns' bytes in the layout ``encoding`` names, see
    :mod:`.chunk_codec`); ``replaces`` deletes the chunks with seq in [lo, hi] first (a merge)."""

    run_id: str
    key: str
    seq: int
    n: int
    first_step: int
    last_step: int
    steps: bytes
    values: bytes
    times: bytes
    replaces: tuple[int, int] | None = None
    encoding: int = 0


@dataclass
class TailWrite:
    """A run's small chunks of one flush, in one row of ``metric_tails`` (see :mod:`.tail_rows`): a wide run
    logging slowly writes one row a flush, not one per key. ``seq``: the writer's count of the run's tail rows."""

    run_id: str
    seq: int
    chunks: list[ChunkWrite]


@dataclass
class TailFold:
    """The tail rows of a run whose chunks the same batch wrote into each key's merged chunk: deleted."""

    run_id: str
    seqs: tuple[int, ...]


@dataclass
class ObjectWrite:
    """One non-scalar logged value (text, media reference) at a step."""

    run_id: str
    key: str
    step: int
    time: float
    kind: str
    data: Any


@dataclass
class SummaryWrite:
    run_id: str
    key: str
    entry: SummaryEntry


@dataclass
class BlobRefWrite:
    """Records that ``owner`` (e.g. ``run-file``) relies on blob ``sha`` under ``name``."""

    sha: str
    owner: str
    name: str
    size: int
    run_id: str | None = None
    replace: bool = False  # drop the run's other refs with this owner and name first (a live snapshot re-sent)


@dataclass
class ArtifactFile:
    """One file of an artifact version: its relative path inside the artifact and its blob."""

    path: str
    sha: str
    size: int


@dataclass
class ArtifactWrite:
    """Log an artifact version: ``write_batch`` numbers it (or finds the version with the same ``digest``) inside
    its transaction and fills in ``version`` and ``created``. ``run_id`` (the logging run) gets an output edge;
    ``aliases`` are moved onto the version."""

    project: str
    name: str
    type: str
    digest: str
    files: list[ArtifactFile]
    description: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    aliases: list[str] = field(default_factory=list)
    user: str | None = None
    version: int | None = None  # filled by write_batch
    created: bool = False  # filled by write_batch: False when a version with this digest existed


@dataclass
class AliasWrite:
    """Put ``alias`` on version ``version`` of an artifact (moving it from another version), or remove it."""

    project: str
    name: str
    version: int
    alias: str
    remove: bool = False
    run_id: str | None = None
    user: str | None = None


@dataclass
class ArtifactEdit:
    """Change the description and metadata of artifact version ``version`` (``art.save()`` after editing them)."""

    project: str
    name: str
    version: int
    description: str | None
    meta: dict[str, Any]


@dataclass
class ArtifactUseWrite:
    """An input edge of the lineage: run ``run_id`` used artifact version ``version_id``."""

    version_id: int
    run_id: str


@dataclass
class SweepWrite:
    """Create a sweep's row (``create``: ``fields`` holds every column but ``id``) or update its columns."""

    id: str
    fields: dict[str, Any]
    create: bool = False


@dataclass
class Batch:
    """Everything one flush writes, applied by :meth:`Store.write_batch` in one transaction."""

    runs: list[RunWrite] = field(default_factory=list)
    chunks: list[ChunkWrite] = field(default_factory=list)
    tails: list[TailWrite] = field(default_factory=list)
    folds: list[TailFold] = field(default_factory=list)
    objects: list[ObjectWrite] = field(default_factory=list)
    summaries: list[SummaryWrite] = field(default_factory=list)
    blob_refs: list[BlobRefWrite] = field(default_factory=list)
    artifacts: list[ArtifactWrite] = field(default_factory=list)
    aliases: list[AliasWrite] = field(default_factory=list)
    artifact_uses: list[ArtifactUseWrite] = field(default_factory=list)
    artifact_edits: list[ArtifactEdit] = field(default_factory=list)
    sweeps: list[SweepWrite] = field(default_factory=list)
    # the time stamped on the rows the store dates itself (blob refs, artifact versions, alias moves, lineage
    # edges); None: now. `jupyter-track migrate` passes the source's times, so a copy keeps its history.
    at: float | None = None

    def __bool__(self) -> bool:
        return bool(self.runs or self.chunks or self.tails or self.folds or self.objects or self.summaries
                    or self.blob_refs or self.artifacts or self.aliases or self.artifact_uses or self.artifact_edits
                    or self.sweeps)

    def points(self) -> int:
        return (sum(c.n for c in self.chunks if c.replaces is None)
                + sum(c.n for t in self.tails for c in t.chunks))


@dataclass
class ProjectInfo:
    name: str
    runs: int
    last_created_at: float


@dataclass
class ObjectRecord:
    key: str
    step: int
    time: float
    kind: str
    data: Any


@dataclass
class ArtifactVersionRecord:
    """One stored artifact version; ``aliases`` includes ``latest`` on the newest version."""

    id: int
    project: str
    name: str
    type: str
    version: int
    digest: str
    size: int
    file_count: int
    description: str | None
    meta: dict[str, Any]
    run_id: str | None
    created_at: float
    aliases: list[str] = field(default_factory=list)


@dataclass
class AliasEvent:
    """One move of an alias: ``action`` is ``set`` (``version`` is where it went, ``previous`` where it was) or
    ``removed`` (from ``previous``)."""

    alias: str
    action: str
    version: int | None
    previous: int | None
    run_id: str | None
    user: str | None
    at: float


@dataclass
class ArtifactEdge:
    """A lineage edge: ``direction`` is ``output`` (the run logged the version) or ``input`` (it used it)."""

    run_id: str
    version_id: int
    direction: str
    at: float


@dataclass
class SweepRecord:
    """One stored sweep (the optimiser's trials are in its Optuna study, ``study_name``)."""

    id: str
    project: str
    name: str | None
    method: str
    metric: str | None
    goal: str | None
    config: dict[str, Any]
    state: str
    study_name: str
    created_at: float
    updated_at: float


class Store(abc.ABC):
    """A run store. Writers call :meth:`write_batch`; readers never take a write lock."""

    url: str
    blobs: BlobStore

    @abc.abstractmethod
    def write_batch(self, batch: Batch) -> None:
        """Apply ``batch`` atomically: all of it is durable, or none of it."""

    def refuses(self, exc: BaseException) -> bool:
        """Whether ``exc``, raised by :meth:`write_batch`, means the store refused the batch's data (a
        constraint, a value it cannot hold), which no retry can change, rather than failed to take writes at all
        (disk full, locked, read-only, server gone), which a retry may get past."""
        return isinstance(exc, TypeError | ValueError | OverflowError)

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunInfo | None: ...

    @abc.abstractmethod
    def count_runs(self, project: str) -> int: ...

    def next_run_number(self, project: str) -> int:
        """The number in the name of the next run of ``project`` (``adjective-noun-N``)."""
        return self.count_runs(project) + 1

    @abc.abstractmethod
    def list_runs(
        self,
        project: str | None = None,
        filters: Mapping[str, Any] | None = None,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        search: str | None = None,
        detail: bool = False,
    ) -> list[RunInfo]:
        """Runs matching ``filters`` (see :mod:`jupyter_track.store.filters`), sorted by ``order`` (``-summary.acc``).

        A listing reads one table: tags and the effective summary values, without ``meta`` (capture facts can
        be large) or per-key statistics; ``detail=True`` (what :meth:`get_run` does) adds both."""

    def list_rows(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
                  order: str | None = None, limit: int | None = None, offset: int = 0,
                  search: str | None = None) -> list[dict[str, Any]]:
        """:meth:`list_runs` as :func:`listing_row` dicts: what a long run list (the REST API, the sidebar) shows,
        without config or dataclasses (a store may build them straight from its rows: 10,000 runs add up)."""
        return [listing_row(i) for i in self.list_runs(project, filters, order, limit, offset, search)]

    @abc.abstractmethod
    def list_projects(self) -> list[ProjectInfo]: ...

    @abc.abstractmethod
    def metric_keys(self, run_id: str) -> list[str]: ...

    @abc.abstractmethod
    def read_series(self, run_id: str, key: str, after_step: int | None = None) -> Series:
        """A scalar series (only the points after ``after_step`` when given: a live view's cursor)."""

    @abc.abstractmethod
    def series_keys(self, run_id: str) -> list[str]:
        """The keys with scalar series (training and system streams)."""

    @abc.abstractmethod
    def read_objects(self, run_id: str, key: str | None = None) -> list[ObjectRecord]: ...

    @abc.abstractmethod
    def chunk_tails(self, run_id: str) -> dict[str, int]:
        """The highest chunk seq per key of a run (a resumed run's writer continues after it)."""

    @abc.abstractmethod
    def settle_tails(self, run_id: str) -> None:
        """Store the chunks of the tail rows a run's last writer left (it ended before it folded them: a crash)
        as chunks of their own, and delete those rows: a resumed run's writer, or a copy, goes on after them."""

    @abc.abstractmethod
    def blob_refs(self, run_id: str) -> list[BlobRefWrite]: ...

    @abc.abstractmethod
    def referenced_blobs(self) -> set[str]: ...

    @abc.abstractmethod
    def resume_run(self, run_id: str, fields: dict[str, Any]) -> bool:
        """Claim a stored run for this process: write ``fields`` (state ``running``, pid, host, …) to its row, in
        one transaction with the check that no process is logging it now (see
        :mod:`~jupyter_track.store.liveness`; else :class:`~jupyter_track.errors.RunIsRunningError`: two
        writers of one run would lose points). False when the store takes no writes now (the caller hands the
        fields to the writer, which holds them and says why)."""

    @abc.abstractmethod
    def delete_run(self, run_id: str, force: bool = False) -> bool:
        """Delete a run and everything it owns; returns False if there was no such run. A run some process is
        logging right now (see :mod:`~jupyter_track.store.liveness`) raises
        :class:`~jupyter_track.errors.RunIsRunningError` unless ``force``: its writer would drop what it logs
        from then on."""

    # -- artifacts ----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_artifact_versions(self, project: str | None = None, name: str | None = None,
                               type: str | None = None) -> list[ArtifactVersionRecord]:
        """Artifact versions (every project when ``project`` is None), by project, name and version."""

    @abc.abstractmethod
    def resolve_artifact(self, project: str, name: str, ref: str) -> ArtifactVersionRecord | None:
        """The version ``ref`` names: ``latest``, ``v<N>`` or an alias; None if there is none."""

    @abc.abstractmethod
    def artifact_versions_by_id(self, ids: Iterable[int]) -> list[ArtifactVersionRecord]: ...

    @abc.abstractmethod
    def artifact_files(self, version_id: int) -> list[ArtifactFile]: ...

    @abc.abstractmethod
    def alias_history(self, project: str, name: str) -> list[AliasEvent]:
        """Every alias move of an artifact, oldest first."""

    @abc.abstractmethod
    def artifact_edges(self, run_ids: Iterable[str] = (), version_ids: Iterable[int] = ()) -> list[ArtifactEdge]:
        """The lineage edges touching any of ``run_ids`` or ``version_ids``."""

    # -- sweeps -------------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def get_sweep(self, sweep_id: str) -> SweepRecord | None: ...

    @abc.abstractmethod
    def list_sweeps(self, project: str | None = None) -> list[SweepRecord]:
        """Sweeps (of ``project``, or all), newest first."""

    @abc.abstractmethod
    def close(self) -> None: ...

    # -- bulk reads for the compare widget (SQLStore: one query for every run and key) -------------------------
    def read_series_many(self, run_ids: Iterable[str], keys: Iterable[str], times: bool = True
                         ) -> dict[tuple[str, str], Series]:
        """The scalar series of every ``(run_id, key)`` pair of ``run_ids`` × ``keys`` that has points
        (``times=False``: without wall times, an empty array each, a third less to read)."""
        import numpy as np

        wanted = list(keys)
        found = {(r, k): self.read_series(r, k) for r in run_ids for k in wanted}
        return {pair: s if times else Series(s.key, s.steps, s.values, np.zeros(0))
                for pair, s in found.items() if len(s.steps)}

    def read_run_series(self, run_id: str, keys: Iterable[str] | None = None, after_step: int | None = None
                        ) -> dict[str, Series]:
        """The scalar series of one run (of ``keys`` only, when given) that have points (after ``after_step``,
        when given: a poller's cursor); SQLStore reads them in one query."""
        wanted = self.series_keys(run_id) if keys is None else list(keys)
        found = {k: self.read_series(run_id, k, after_step) for k in wanted}
        return {k: s for k, s in found.items() if len(s.steps)}

    def read_series_after(self, run_id: str, cursors: Mapping[str, int | None]) -> dict[str, Series]:
        """The points of each key of ``cursors`` after its own step (``None``: its whole series), for the keys
        that have some: a poller that follows keys logged on different step axes (SQLStore: one query)."""
        found = {k: self.read_series(run_id, k, after) for k, after in cursors.items()}
        return {k: s for k, s in found.items() if len(s.steps)}

    def key_marks(self, run_id: str) -> dict[str, tuple[int, int | None, bool]]:
        """Per logged key of a run, from its summary: ``(count, last_step, scalar)``: how a live view sees which
        keys moved since its last look without reading their values (SQLStore: one query)."""
        info = self.get_run(run_id)
        return {k: (e.count, e.last_step, isinstance(e.value, int | float)) for k, e in
                (info.summary.items() if info is not None else ())}

    # -- reads for the server extension (SQLStore answers each with one indexed query) ------------------------
    def count_matching(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
                       search: str | None = None) -> int:
        """How many runs :meth:`list_runs` would list with these arguments and no limit."""
        return len(self.list_runs(project=project, filters=filters, search=search))

    def blob_referenced(self, sha: str) -> bool:
        """Whether some row relies on blob ``sha`` (only those are served)."""
        return sha in self.referenced_blobs()

    def alerts(self, run_ids: Iterable[str]) -> dict[str, list[Any]]:
        """The alerts each run raised (``run.alert``, kept in its capture facts), by run id; runs without any are
        left out."""
        found: dict[str, list[Any]] = {}
        for run_id in run_ids:
            info = self.get_run(run_id)
            if info is not None and info.meta.get("alerts"):
                found[run_id] = list(info.meta["alerts"])
        return found

    def notebooks(self, run_ids: Iterable[str]) -> dict[str, str]:
        """The notebook each run came from (its path relative to where it ran, when known), by run id."""
        found: dict[str, str] = {}
        for run_id in run_ids:
            info = self.get_run(run_id)
            notebook = (info.meta.get("notebook") or {}) if info is not None else {}
            path = notebook.get("relative") or notebook.get("path")
            if path:
                found[run_id] = str(path)
        return found


def listing_row(info: RunInfo) -> dict[str, Any]:
    """One run as run lists show it: identity, state, times, tags and the effective summary values (a value that
    is not a number, NaN, reads as None once in JSON)."""
    return {
        "id": info.id, "name": info.name, "state": info.state, "project": info.project, "group": info.group,
        "job_type": info.job_type, "tags": list(info.tags), "notes": info.notes, "created_at": info.created_at,
        "updated_at": info.updated_at, "duration": info.duration, "last_step": info.last_step,
        "sweep_id": info.sweep_id, "summary": {k: e.value for k, e in info.summary.items()},
    }


def listing_summary(summary: Mapping[str, SummaryEntry]) -> dict[str, Any]:
    """The effective summary values kept on the run row for listings (``runs.summary``): no ``system/`` keys, NaN
    as null (JSON has no NaN)."""
    return {k: None if isinstance(e.value, float) and math.isnan(e.value) else e.value
            for k, e in summary.items() if not k.startswith(SYSTEM_PREFIX)}
