"""The store interface: one write primitive (:meth:`Store.write_batch`) and the reads every reader uses."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..types import RunInfo, Series, SummaryEntry
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
    """One packed chunk of a metric; ``replaces`` deletes the chunks with seq in [lo, hi] first (a merge)."""

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


@dataclass
class Batch:
    """Everything one flush writes, applied by :meth:`Store.write_batch` in one transaction."""

    runs: list[RunWrite] = field(default_factory=list)
    chunks: list[ChunkWrite] = field(default_factory=list)
    objects: list[ObjectWrite] = field(default_factory=list)
    summaries: list[SummaryWrite] = field(default_factory=list)
    blob_refs: list[BlobRefWrite] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.runs or self.chunks or self.objects or self.summaries or self.blob_refs)

    def points(self) -> int:
        return sum(c.n for c in self.chunks if c.replaces is None)


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


class Store(abc.ABC):
    """A run store. Writers call :meth:`write_batch`; readers never take a write lock."""

    url: str
    blobs: BlobStore

    @abc.abstractmethod
    def write_batch(self, batch: Batch) -> None:
        """Apply ``batch`` atomically: all of it is durable, or none of it."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunInfo | None: ...

    @abc.abstractmethod
    def count_runs(self, project: str) -> int: ...

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

    @abc.abstractmethod
    def list_projects(self) -> list[ProjectInfo]: ...

    @abc.abstractmethod
    def metric_keys(self, run_id: str) -> list[str]: ...

    @abc.abstractmethod
    def read_series(self, run_id: str, key: str) -> Series: ...

    @abc.abstractmethod
    def read_objects(self, run_id: str, key: str | None = None) -> list[ObjectRecord]: ...

    @abc.abstractmethod
    def chunk_tails(self, run_id: str) -> dict[str, int]:
        """The highest chunk seq per key of a run (a resumed run's writer continues after it)."""

    @abc.abstractmethod
    def blob_refs(self, run_id: str) -> list[BlobRefWrite]: ...

    @abc.abstractmethod
    def referenced_blobs(self) -> set[str]: ...

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> bool:
        """Delete a run and everything it owns; returns False if there was no such run."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def read_many(self, run_id: str, keys: Iterable[str]) -> list[Series]:
        return [self.read_series(run_id, k) for k in keys]
