"""Copy one store into another, whatever their backends (``jupyter-track migrate --from … --to …``).

Everything goes through the :class:`~jupyter_track.store.base.Store` interface — its reads, ``write_batch`` and
each side's blob store — so a local SQLite file moves to a team's PostgreSQL server (or back) the same way.

The copy is idempotent, so it can be run again at any time:

- a run whose row in the target equals the source's is skipped; a run that changed since the last copy (it was
  still running) is brought up to date: its new points are appended to each series (a series that does not
  continue the target's is rewritten), media and text it logged since are added, its summary and row replaced;
- a run the target changed after the source did (resumed there) is left alone and reported;
- blobs are copied only when the target lacks them (they are named by their SHA-256, checked on the way);
- artifact versions are matched by content digest, alias moves and lineage edges by what they say and when,
  sweeps by id; the sweeps' optimiser state (Optuna trials) is copied by a callback the sweeps layer provides.

A run is copied in one transaction unless it has more than :data:`BATCH_POINTS` points; then its row is written
first with ``updated_at`` 0 and given the source's value last, so an interrupted copy is finished by the next.

Example::

    report = copy_store(SQLStore("sqlite:////data/jt/jupyter_track.db"), SQLStore("postgresql://db/team"))
    print(report.line())      # copied 12 runs, 1,204,000 points, 40 blobs (3.1 MB); skipped 0 already present
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..errors import StoreError, UsageError
from ..types import RunInfo, Series
from .base import (
    AliasWrite,
    ArtifactUseWrite,
    ArtifactVersionRecord,
    ArtifactWrite,
    Batch,
    ChunkWrite,
    ObjectWrite,
    RunWrite,
    Store,
    SummaryWrite,
    SweepWrite,
    listing_summary,
)
from .packing import CHUNK_MAX, pack_chunk
from .urls import redact

CHUNK_POINTS = CHUNK_MAX  # points per chunk row, as the writer packs them
BATCH_POINTS = 2_000_000  # points per transaction at most (a bigger run is copied in several)
BLOB_IN_MEMORY = 32 << 20  # bytes: a larger blob is copied through a temporary file

# The run columns compared to decide whether a run changed since the last copy (a listing has them all).
_COMPARED = ("updated_at", "heartbeat_at", "state", "last_step", "finished_at", "exit_code", "name", "notes", "tags",
             "config", "group", "job_type", "sweep_id", "entity")

# copies a sweep's Optuna study: (source store URL, target store URL, study name) -> trials copied or updated
StudyCopier = Callable[[str, str, str], int]


class Progress(Protocol):
    """What :func:`copy_store` reports while it works (the CLI shows it as a progress bar)."""

    def begin(self, runs: int) -> None:
        """``runs`` runs are about to be looked at."""

    def advance(self, runs: int, points: int, blobs: int) -> None:
        """``runs`` more runs were looked at, writing ``points`` points and ``blobs`` blobs."""


@dataclass
class CopyReport:
    """What a copy did (counts of what was written to the target), what it could not do (``problems``: the
    target lacks it) and what it left alone on purpose (``notes``)."""

    runs: int = 0  # runs created in the target
    updated: int = 0  # runs already there, brought up to date
    skipped: int = 0  # runs already there, unchanged
    newer: int = 0  # runs left alone: the target's copy changed after the source's
    points: int = 0
    objects: int = 0  # media, text and table entries
    blobs: int = 0
    blob_bytes: int = 0
    artifact_versions: int = 0
    alias_moves: int = 0
    edges: int = 0  # lineage edges
    running: int = 0  # runs copied while still running in the source (copy again later for the rest)
    sweeps: int = 0  # sweeps created or updated
    trials: int = 0  # Optuna trials copied or updated
    problems: list[str] = field(default_factory=list)  # what was not copied, and why
    notes: list[str] = field(default_factory=list)  # what was left alone on purpose, and why

    @property
    def wrote(self) -> bool:
        """Whether anything was written to the target."""
        return any((self.runs, self.updated, self.points, self.objects, self.blobs, self.artifact_versions,
                    self.alias_moves, self.edges, self.sweeps, self.trials))

    def line(self) -> str:
        """The one-line summary: ``copied N runs, M points, K blobs (X MB); skipped S already present``."""
        text = (f"copied {self.runs} run{_s(self.runs)}, {self.points:,} points, {self.blobs} blob{_s(self.blobs)} "
                f"({self.blob_bytes / 1e6:.1f} MB)")
        extra = [f"{n} {what.format(s=_s(n))}" for n, what in (
            (self.updated, "run{s} brought up to date"), (self.objects, "media/text value{s}"),
            (self.artifact_versions, "artifact version{s}"), (self.alias_moves, "alias move{s}"),
            (self.edges, "lineage edge{s}"), (self.sweeps, "sweep{s}"), (self.trials, "sweep trial{s}")) if n]
        if extra:
            text += ", " + ", ".join(extra)
        text += f"; skipped {self.skipped} already present"
        if self.newer:
            text += f"; left {self.newer} run{_s(self.newer)} alone that changed in the target after the source"
        if self.running:
            text += (f"; {self.running} run{_s(self.running)} still running in the source: copy again later to "
                     "bring the rest over")
        return text


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def copy_store(source: Store, target: Store, studies: StudyCopier | None = None,
               progress: Progress | None = None) -> CopyReport:
    """Copy everything in ``source`` that ``target`` lacks or has older (see the module doc); returns what was
    done. ``studies`` copies each sweep's Optuna study (without it, sweeps are copied without their trials)."""
    if source is target or source.url == target.url:
        raise UsageError(f"the source and the target are the same store ({redact(source.url)}): give another "
                         "--to")
    return _Copy(source, target, studies, progress).run()


class _Copy:
    def __init__(self, source: Store, target: Store, studies: StudyCopier | None, progress: Progress | None
                 ) -> None:
        self.src, self.dst = source, target
        self.studies = studies
        self.progress = progress
        self.report = CopyReport()
        self._blobs_seen: set[str] = set()

    def run(self) -> CopyReport:
        self._sweeps()  # first: a run's sweep id then points at a sweep the target knows
        self._runs()
        self._artifacts()  # last: lineage edges name runs
        return self.report

    # -- blobs ------------------------------------------------------------------------------------------------
    def _blob(self, sha: str, owner: str) -> int:
        """Copy blob ``sha`` if the target lacks it; returns 1 if it was copied. A blob the source lost is
        reported (``owner`` says whose it is) and the copy goes on: the target is then as complete as the source."""
        if sha in self._blobs_seen:
            return 0
        self._blobs_seen.add(sha)
        if self.dst.blobs.exists(sha):
            return 0
        try:
            got, size = self._put(sha)
        except StoreError as exc:
            self.report.problems.append(f"{owner}: {exc}")
            return 0
        if got != sha:
            self.report.problems.append(f"{owner}: blob {sha} is damaged in the source (its content hashes to "
                                        f"{got}); copied under its true hash")
        self.report.blobs += 1
        self.report.blob_bytes += size
        return 1

    def _put(self, sha: str) -> tuple[str, int]:
        """Copy one blob: in memory when small, through a temporary file when large (memory stays flat)."""
        if self.src.blobs.size(sha) <= BLOB_IN_MEMORY:
            data = self.src.blobs.read_bytes(sha)
            return self.dst.blobs.put_bytes(data), len(data)
        import shutil
        import tempfile

        with tempfile.NamedTemporaryFile(prefix="jt-migrate-") as tmp:
            with self.src.blobs.open(sha) as f:
                shutil.copyfileobj(f, tmp, 1 << 20)
            tmp.flush()
            return self.dst.blobs.put_file(tmp.name)

    # -- sweeps -----------------------------------------------------------------------------------------------
    def _sweeps(self) -> None:
        for record in reversed(self.src.list_sweeps()):  # oldest first
            fields = {k: v for k, v in asdict(record).items() if k != "id"}
            have = self.dst.get_sweep(record.id)
            if have is None:
                self.dst.write_batch(Batch(sweeps=[SweepWrite(record.id, fields, create=True)]))
                self.report.sweeps += 1
            elif asdict(have) != asdict(record) and have.updated_at <= record.updated_at:
                self.dst.write_batch(Batch(sweeps=[SweepWrite(record.id, fields)]))
                self.report.sweeps += 1
            if self.studies is not None:
                self.report.trials += self.studies(self.src.url, self.dst.url, record.study_name)

    # -- runs -------------------------------------------------------------------------------------------------
    def _runs(self) -> None:
        listed = self.src.list_runs(order="created_at")
        present = {i.id: i for i in self.dst.list_runs()}
        if self.progress is not None:
            self.progress.begin(len(listed))
        for info in listed:
            have = present.get(info.id)
            points = blobs = 0
            if have is not None and _same_row(info, have):
                self.report.skipped += 1
            elif have is not None and have.updated_at > info.updated_at:
                self.report.newer += 1
                self.report.notes.append(f"run {info.project}/{info.id} changed in the target after the source "
                                         "(resumed there?); it was left as it is in the target")
            else:
                before = (self.report.points, self.report.blobs)
                self._copy_run(info, have is not None)
                points, blobs = self.report.points - before[0], self.report.blobs - before[1]
            if self.progress is not None:
                self.progress.advance(1, points, blobs)

    def _copy_run(self, listed: RunInfo, exists: bool) -> None:
        run_id = listed.id
        info = self.src.get_run(run_id)
        if info is None:  # deleted from the source meanwhile
            return
        refs = self.src.blob_refs(run_id)
        for ref in refs:  # the blobs first: a reader never finds a ref without its blob
            self._blob(ref.sha, f"run {info.project}/{run_id} ({ref.owner} {ref.name})")
        row = _row(info)
        final = row.pop("updated_at")
        if not exists:
            row["updated_at"] = 0.0  # until the last batch of this run: an interrupted copy is not "the same"
        # the listing's tags: in the order they were given (a detailed read sorts them), as a listing compares them
        batch = Batch(runs=[RunWrite(run_id, row, create=not exists, tags=list(listed.tags))])
        if exists:  # the target's chunks follow those a crashed writer left in its tail rows
            self.dst.settle_tails(run_id)
        tails = self.dst.chunk_tails(run_id) if exists else {}
        for key in self.src.series_keys(run_id):
            for chunk in self._chunks(run_id, key, tails.get(key)):
                if batch.chunks and batch.points() + chunk.n > BATCH_POINTS:
                    self.dst.write_batch(batch)
                    batch = Batch()
                batch.chunks.append(chunk)
                self.report.points += chunk.n
        batch.objects += self._new_objects(run_id, exists)
        batch.summaries += [SummaryWrite(run_id, k, e) for k, e in info.summary.items()]
        batch.blob_refs += refs
        batch.runs.append(RunWrite(run_id, {"updated_at": final}))
        self.dst.write_batch(batch)
        self.report.objects += len(batch.objects)
        if exists:
            self.report.updated += 1
        else:
            self.report.runs += 1
        if info.state == "running":
            self.report.running += 1

    def _chunks(self, run_id: str, key: str, tail: int | None) -> list[ChunkWrite]:
        """The chunks that make the target's series ``key`` equal the source's: the new points after the
        target's, or every point (replacing the target's chunks) when the target's series is not a prefix."""
        import numpy as np

        series = self.src.read_series(run_id, key)
        start, seq, replaces = 0, 0, None
        if tail is not None:
            have = self.dst.read_series(run_id, key)
            n = len(have.steps)
            if n <= len(series.steps) and np.array_equal(have.steps, series.steps[:n]) \
                    and np.array_equal(have.times, series.times[:n]):
                start, seq = n, tail + 1
            else:
                replaces = (0, tail)
        out = []
        for lo in range(start, len(series.steps), CHUNK_POINTS):
            hi = min(len(series.steps), lo + CHUNK_POINTS)
            out.append(_chunk(run_id, key, seq, series, lo, hi, replaces))
            seq, replaces = seq + 1, None
        return out

    def _new_objects(self, run_id: str, exists: bool) -> list[ObjectWrite]:
        """The source's logged objects (media, text, tables) the target's run lacks."""
        have = Counter((o.key, o.step, o.time, o.kind) for o in self.dst.read_objects(run_id)) if exists else Counter()
        out = []
        for o in self.src.read_objects(run_id):
            mark = (o.key, o.step, o.time, o.kind)
            if have[mark]:
                have[mark] -= 1
                continue
            out.append(ObjectWrite(run_id, o.key, o.step, o.time, o.kind, o.data))
        return out

    # -- artifacts --------------------------------------------------------------------------------------------
    def _artifacts(self) -> None:
        versions = self.src.list_artifact_versions()
        if not versions:
            return
        mine = self._target_versions()
        for v in versions:  # by project, name and version: numbers come out the same in an empty target
            if (v.project, v.name, v.digest) in mine:
                continue
            files = self.src.artifact_files(v.id)
            for f in files:
                self._blob(f.sha, f"artifact {v.project}/{v.name}:v{v.version} ({f.path})")
            self.dst.write_batch(Batch(artifacts=[ArtifactWrite(
                project=v.project, name=v.name, type=v.type, digest=v.digest, files=files,
                description=v.description, meta=v.meta, run_id=v.run_id)], at=v.created_at))
            self.report.artifact_versions += 1
        mine = self._target_versions()
        by_src_id = {v.id: mine[(v.project, v.name, v.digest)] for v in versions}
        self._edges(versions, by_src_id)
        self._aliases(versions, by_src_id)

    def _target_versions(self) -> dict[tuple[str, str, str], ArtifactVersionRecord]:
        return {(v.project, v.name, v.digest): v for v in self.dst.list_artifact_versions()}

    def _edges(self, versions: list[ArtifactVersionRecord],
               by_src_id: dict[int, ArtifactVersionRecord]) -> None:
        present = {(e.run_id, e.version_id, e.direction)
                   for e in self.dst.artifact_edges(version_ids=[v.id for v in by_src_id.values()])}
        for e in self.src.artifact_edges(version_ids=[v.id for v in versions]):
            there = by_src_id[e.version_id]
            if (e.run_id, there.id, e.direction) in present:
                continue
            if e.direction == "output":  # logging the same content again only adds the edge
                batch = Batch(artifacts=[ArtifactWrite(project=there.project, name=there.name, type=there.type,
                                                       digest=there.digest, files=[], run_id=e.run_id)], at=e.at)
            else:
                batch = Batch(artifact_uses=[ArtifactUseWrite(there.id, e.run_id)], at=e.at)
            self.dst.write_batch(batch)
            self.report.edges += 1

    def _aliases(self, versions: list[ArtifactVersionRecord], by_src_id: dict[int, ArtifactVersionRecord]
                 ) -> None:
        """Replay the source's alias moves the target has not seen, in order, with their times (so the
        history reads the same, and a second copy finds every move already there)."""
        number: dict[tuple[str, str, int], int] = {(v.project, v.name, v.version): by_src_id[v.id].version
                                                   for v in versions}
        for project, name in dict.fromkeys((v.project, v.name) for v in versions):
            seen = Counter((e.alias, e.action, e.at) for e in self.dst.alias_history(project, name))
            for e in self.src.alias_history(project, name):
                mark = (e.alias, e.action, e.at)
                if seen[mark]:
                    seen[mark] -= 1
                    continue
                at = e.version if e.action == "set" else e.previous
                if at is None or (project, name, at) not in number:
                    continue
                move = AliasWrite(project, name, number[(project, name, at)], e.alias, remove=e.action != "set",
                                  run_id=e.run_id, user=e.user)
                try:
                    self.dst.write_batch(Batch(aliases=[move], at=e.at))
                except (UsageError, LookupError) as exc:  # the target moved it its own way meanwhile: say so
                    self.report.problems.append(f"alias {e.alias!r} of {project}/{name} was not replayed: {exc}")
                    continue
                self.report.alias_moves += 1


def store_location(text: str, must_exist: bool) -> str:
    """The store URL a user means by ``text``: a URL (``sqlite:///…``, ``postgresql://…``), an SQLite file, or a
    store folder (its ``jupyter_track.db``). ``must_exist``: a local store must already be there (a source)."""
    from pathlib import Path

    from .. import settings
    from .urls import backend, sqlite_path

    if "://" in text:
        kind = backend(text)
        if kind not in ("sqlite", "postgresql"):
            raise UsageError(f"{redact(text)} is not a store URL: use sqlite:////path/jupyter_track.db, "
                             "postgresql://user@host/database, or a store folder")
        path = sqlite_path(text)
        if kind == "postgresql":
            return text
        if path is None:
            raise UsageError(f"{text} names no file: write sqlite:////absolute/path/jupyter_track.db")
    else:
        path = Path(text).expanduser()
    path = path.resolve()
    if path.is_dir() or (not path.exists() and not path.suffix):
        path = path / settings.DB_FILENAME
    if must_exist and not path.is_file():
        raise UsageError(f"there is no store at {path}: give the folder of a store (the one with "
                         f"{settings.DB_FILENAME}) or its file")
    return f"sqlite:///{path}"


def _same_row(a: RunInfo, b: RunInfo) -> bool:
    return all(_equal(getattr(a, f), getattr(b, f)) for f in _COMPARED)


def _equal(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _row(i: RunInfo) -> dict[str, Any]:
    """The run's row as the writer writes it, from a detailed RunInfo. The state is the one readers see (a
    running run whose heartbeat stopped is copied as it reads: the heartbeat is copied too)."""
    return {"project": i.project, "entity": i.entity, "name": i.name, "state": i.state, "group_name": i.group,
            "job_type": i.job_type, "notes": i.notes, "config": i.config, "meta": i.meta,
            "created_at": i.created_at, "updated_at": i.updated_at, "heartbeat_at": i.heartbeat_at,
            "finished_at": i.finished_at, "exit_code": i.exit_code, "last_step": i.last_step,
            "sweep_id": i.sweep_id, "host": i.host, "pid": i.pid, "summary": listing_summary(i.summary)}


def _chunk(run_id: str, key: str, seq: int, s: Series, lo: int, hi: int,
           replaces: tuple[int, int] | None) -> ChunkWrite:
    import numpy as np

    return pack_chunk(run_id, key, seq, np.ascontiguousarray(s.steps[lo:hi], dtype="<i8"),
                      np.ascontiguousarray(s.values[lo:hi], dtype="<f8"),
                      np.ascontiguousarray(s.times[lo:hi], dtype="<f8"), replaces)
