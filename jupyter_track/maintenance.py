"""Keeping a store tidy: export a run's history to a file, delete runs, free the blobs no run refers to.

One implementation for the ``jupyter-track export / rm / gc`` commands, the server extension's ``DELETE`` and
Python (``jt.export``, ``jt.gc``).

Example::

    jt.export("fashion/k3v9x2ab", "history.parquet", format="parquet")
    report = jt.gc(dry_run=True)
    print(report.line())      # would delete 3 unreferenced blobs (1.2 MB); kept 40 referenced
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunIsRunningError, RunNotFoundError, needs_extra
from .store.liveness import DELETE_CONSEQUENCE, is_live, running_message

if TYPE_CHECKING:
    import pandas as pd

    from .api import StoredRun
    from .store.base import Store

GC_GRACE_SECONDS = 600  # a blob this young may belong to a run whose reference is not flushed yet
EXPORT_FORMATS = ("csv", "parquet", "json")
EXPORT_CHUNK_ROWS = 100_000  # rows written at a time (and one step of the progress bar)


# -- export -------------------------------------------------------------------------------------------------
@dataclass
class Exported:
    """What :func:`export` wrote: the file, and the history's rows and columns."""

    path: Path
    rows: int
    columns: int


def export_path(run: StoredRun, format: str = "csv", path: str | os.PathLike[str] | None = None) -> Path:
    """Where :func:`export` writes: ``path``, else ``<run name>-<run id>.<format>`` in the working folder."""
    return Path(path) if path is not None else Path(f"{run.name}-{run.id}.{format}")


def export(run: StoredRun | str, path: str | os.PathLike[str] | None = None, format: str = "csv",
           keys: Sequence[str] | None = None, overwrite: bool = False, progress: bool = False,
           store: str | None = None, dir: str | os.PathLike[str] | None = None) -> Exported:
    """Write a run's history (one row per step, as :meth:`StoredRun.history` gives it) to a CSV, Parquet or JSON
    file, in chunks of :data:`EXPORT_CHUNK_ROWS` rows; JSON holds ``{"run": <its record>, "history": [rows]}``.

    ``run`` is a :class:`StoredRun` or a path (``project/id``, ``id``, ``project/<run name>``; read from
    ``store``/``dir``). ``path`` defaults to ``<run name>-<run id>.<format>`` here; an existing file is replaced
    only with ``overwrite=True``. ``keys`` picks metrics (default: all). ``progress`` shows a bar over the chunks
    (tqdm: a widget in a notebook, text in a terminal). Parquet needs the ``[parquet]`` extra (pyarrow).

    Example::

        jt.export("fashion/k3v9x2ab", "history.csv")
        jt.export(jt.load_run("fashion/baseline"), format="parquet", keys=["train/loss"], overwrite=True)
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"export(format={format!r}): use one of {', '.join(EXPORT_FORMATS)}")
    if format == "parquet":  # before anything is read or written
        with needs_extra("parquet", "pyarrow", 'export(format="parquet")'):
            import pyarrow  # noqa: F401
    chosen = _stored_run(run, store, dir)
    out = export_path(chosen, format, path)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True to replace it, or another path")
    frame: Any = chosen.history(keys=list(keys) if keys is not None else None)
    _write(frame, out, format, chosen.to_dict(), progress)
    return Exported(out, len(frame), len(frame.columns))


def _stored_run(run: StoredRun | str, store: str | None, dir: str | os.PathLike[str] | None) -> StoredRun:
    from .api import Api, StoredRun

    return run if isinstance(run, StoredRun) else Api(store=store, dir=dir).run(str(run))


def _write(frame: pd.DataFrame, out: Path, format: str, record: dict[str, Any], progress: bool) -> None:
    starts = range(0, max(len(frame), 1), EXPORT_CHUNK_ROWS)
    bar = _progress(starts, f"export {out.name}", "chunk", progress)
    chunks = (frame.iloc[lo:lo + EXPORT_CHUNK_ROWS] for lo in bar)
    if format == "csv":
        with open(out, "w", newline="") as f:
            for i, chunk in enumerate(chunks):
                _json_cells(chunk).to_csv(f, index=False, header=i == 0)
    elif format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.Schema.from_pandas(frame, preserve_index=False)
        with pq.ParquetWriter(out, schema) as writer:
            for chunk in chunks:
                writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
    else:
        with open(out, "w") as f:
            f.write('{"run": ' + json.dumps(record, default=str) + ', "history": [')
            first = True
            for chunk in chunks:
                part = chunk.to_json(orient="records")
                if part != "[]":
                    f.write(("" if first else ",") + part[1:-1])
                    first = False
            f.write("]}\n")


def _json_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its structured cells (a medium's record, a list) as JSON text: what a CSV reader can parse,
    where pandas would write a Python repr (``{'bins': [...]}``)."""
    objects = [c for c in frame.columns if frame[c].dtype == object]
    if not objects:
        return frame
    frame = frame.copy()
    for c in objects:
        frame[c] = frame[c].map(lambda v: json.dumps(v, default=str) if isinstance(v, dict | list | tuple) else v)
    return frame


# -- delete -------------------------------------------------------------------------------------------------
def refuse_running(runs: Iterable[StoredRun]) -> None:
    """Raise :class:`RunIsRunningError` for the first of ``runs`` that is running (its heartbeat is fresh: see
    :mod:`jupyter_track.store.liveness`); :func:`delete_runs` asks before deleting anything."""
    for run in runs:
        if is_live(run.info):
            raise RunIsRunningError(f"{running_message(run.info)}; {DELETE_CONSEQUENCE}")


def delete_runs(store: Store, runs: Sequence[StoredRun], force: bool = False) -> list[str]:
    """Delete ``runs`` and everything logged in them; their files and media stay in the blob store until
    :func:`gc` (artifacts they logged stay too). Returns the deleted runs' paths.

    A running run is deleted only with ``force=True`` (its process goes on; the writer drops what it logs from
    then on): without it :class:`RunIsRunningError` is raised before anything is deleted, and the store checks
    again in each deleting transaction. A run deleted meanwhile raises :class:`RunNotFoundError`.

    Example::

        api = jt.Api()
        delete_runs(api.store, list(api.runs("scratch", filters={"state": "crashed"})))
    """
    if not force:
        refuse_running(runs)
    deleted = []
    for run in runs:
        if not store.delete_run(run.id, force=force):
            raise RunNotFoundError(f"run {run.path} was already deleted")
        deleted.append(run.path)
    return deleted


# -- gc -----------------------------------------------------------------------------------------------------
@dataclass
class GcReport:
    """What :func:`gc` did (or, with ``dry_run``, would do)."""

    deleted: int  # unreferenced blobs deleted (or that would be)
    freed: int  # their bytes
    kept: int  # blobs some run, table, snapshot or artifact refers to
    young: int  # unreferenced blobs kept because they are younger than the grace period
    grace: float
    dry_run: bool

    def line(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        young = f" and {self.young} written in the last {self.grace / 60:g} minutes" if self.young else ""
        return (f"{verb} {self.deleted} unreferenced blobs ({format_bytes(self.freed)}); kept {self.kept} "
                f"referenced{young}")


def gc(store: Store | str | None = None, dry_run: bool = False, grace: float = GC_GRACE_SECONDS,
       progress: bool = False, dir: str | os.PathLike[str] | None = None) -> GcReport:
    """Delete the blobs (media, saved files, snapshots, artifact files) that nothing in the store refers to any
    more — what deleted runs leave behind. A blob younger than ``grace`` seconds is kept: a run may have written
    it and not yet flushed the reference. ``store`` is a store, a URL, or None (with ``dir``: the default store,
    as ``jt.init()`` picks it); ``progress`` shows a bar over the blobs deleted.

    Example::

        jt.gc(dry_run=True).line()    # 'would delete 3 unreferenced blobs (1.2 MB); kept 40 referenced'
        jt.gc()
    """
    if store is None or isinstance(store, str):
        from .store import open_store

        store = open_store(store, dir)
    referenced = store.referenced_blobs()
    now = time.time()
    doomed, freed, young = [], 0, 0
    for sha in store.blobs:
        if sha in referenced:
            continue
        if now - store.blobs.modified(sha) < grace:
            young += 1
            continue
        doomed.append(sha)
    for sha in _progress(doomed, "gc", "blob", progress):
        freed += store.blobs.size(sha) if dry_run else store.blobs.delete(sha)
    return GcReport(len(doomed), freed, len(referenced), young, grace, dry_run)


def _progress(items: Sequence[Any], desc: str, unit: str, show: bool) -> Iterator[Any]:
    """``items``, with a tqdm bar (a widget in a notebook, text in a terminal) when ``show`` and there are two or
    more."""
    if not show or len(items) < 2:
        return iter(items)
    from tqdm.auto import tqdm

    return iter(tqdm(items, desc=desc, total=len(items), unit=unit))


def format_bytes(n: int) -> str:
    """``n`` bytes for people: ``512 B``, ``1.2 MB``."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
