"""What each REST endpoint answers, as plain functions of a store and the request's raw values (no tornado here).

Each function validates its input and raises :class:`BadInput`, :class:`NotFound`, :class:`NotWritable`,
:class:`TooLarge`, ``OutsideRootError``, ``RunNotFoundError``, ``FilterError`` or ``FileExistsError``;
``handlers.py`` maps them to HTTP statuses in one table. Results are JSON-able (numpy arrays included; NaN and
±inf become null).
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO, cast

import orjson

from .. import settings
from ..analysis.comparison import run_colors
from ..analysis.downsample import thin
from ..api import SYSTEM_PREFIX, StoredRun
from ..errors import JupyterTrackError, OutsideRootError, RunIsRunningError, RunNotFoundError, StoreError
from ..maintenance import delete_runs
from ..names import NAME_MAX
from ..snapshot_restore import AT, WHICH, restore, snapshots
from ..store.base import Batch, BlobRefWrite, RunWrite, Store, listing_row
from ..store.blobs import BlobStore
from ..types import RUN_STATES, RunInfo
from . import wire

SHA = re.compile(r"^[0-9a-f]{64}$")
KERNEL_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,127}$")  # jupyter_server's kernel ids are UUIDs
MAX_RUNNING = 1000  # running runs GET kernels/<id>/run looks through (newest first)
EDITABLE = ("name", "notes", "tags")
NOTEBOOK_ROWS = 1000  # a run list longer than this leaves "notebook" null (GET runs/<project>/<id> has it)
MAX_COMPARE_RUNS = 500  # runs one GET compare takes (each run's curves are read and downsampled)


class BadInput(JupyterTrackError, ValueError):
    """A query parameter or body that cannot be used (400)."""


class NotFound(JupyterTrackError, LookupError):
    """A key, table, snapshot or blob the run does not have (404)."""


class NotWritable(JupyterTrackError, PermissionError):
    """A folder of the server root the server cannot write in (403, as jupyter_server's contents API answers)."""


class TooLarge(BadInput):
    """A body over the configured limit (413)."""


# -- parameters ------------------------------------------------------------------------------------------------
def integer(name: str, raw: str | None, default: int, lo: int, hi: int) -> int:
    """``raw`` as an int in [lo, hi] (clamped above), ``default`` when absent."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"{name}={raw!r} is not an integer") from None
    if value < lo:
        raise BadInput(f"{name}={value} is below {lo}")
    return min(value, hi)


def number(name: str, raw: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise BadInput(f"{name}={raw!r} is not a finite number")
    return value


def json_body(raw: bytes, usage: str) -> Any:
    """A request body as JSON (an empty body is ``{}``); ``usage`` says what to send instead of bad JSON."""
    try:
        return orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        raise BadInput(f"the request body is not JSON; {usage}") from None


def stored_run(store: Store, project: str, run_id: str) -> StoredRun:
    """The run ``run_id`` of ``project`` (404 when there is none, or it belongs to another project)."""
    info = store.get_run(run_id) if len(run_id) <= 64 else None
    if info is None or info.project != project:
        raise RunNotFoundError(f"no run {run_id!r} in project {project!r}; GET runs?project={project} lists them")
    return StoredRun(info, store)


def row(run: RunInfo | dict[str, Any], notebook: str | None = None, alerts: list[Any] | None = None
        ) -> wire.RunRow:
    """One run as the run list shows it (a store's :func:`~jupyter_track.store.base.listing_row`, from a
    ``RunInfo`` or as ``list_rows`` gives it) with its notebook and its alerts' digest, without the system
    monitor's summary values."""
    found = listing_row(run) if isinstance(run, RunInfo) else run
    # logged media (a jt.watch histogram is kilobytes) stay out of the list: the detail's Media tab shows them
    found["summary"] = {k: v for k, v in found["summary"].items()
                        if not k.startswith(SYSTEM_PREFIX) and not _is_medium(v)}
    found["notebook"] = notebook
    latest = alerts[-1] if alerts and isinstance(alerts[-1], dict) else None
    found["alerts"] = None if latest is None else {
        "count": len(alerts or ()), "title": str(latest.get("title", "")), "text": str(latest.get("text", "")),
        "level": str(latest.get("level", "INFO")), "time": float(latest.get("time") or 0)}
    return cast(wire.RunRow, found)  # listing_row() built these fields; the store layer knows no wire shapes


def _is_medium(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("_type"), str)


# -- reads -----------------------------------------------------------------------------------------------------
def projects(store: Store) -> list[wire.ProjectInfo]:
    return [{"name": p.name, "runs": p.runs, "last_created_at": p.last_created_at} for p in store.list_projects()]


def run_filters(state: str | None, tags: Sequence[str], filter_json: str | None, group: str | None = None
                ) -> dict[str, Any] | None:
    """The store filter of a run-list request: ``state=a,b``, ``tag=`` (each required), ``filter=<json>``,
    ``group=`` (the runs of one ``init(group=...)``, e.g. a distributed job's ranks)."""
    clauses: list[Any] = []
    if group:
        clauses.append({"group": group})
    if state:
        states = [s.strip() for s in state.split(",") if s.strip()]
        bad = [s for s in states if s not in RUN_STATES]
        if bad:
            raise BadInput(f"state={bad[0]!r}: use one of {', '.join(RUN_STATES)}")
        clauses.append({"state": {"$in": states}})
    if tags:
        clauses.extend({"tags": t} for t in tags)  # each tag required
    if filter_json:
        try:
            parsed = orjson.loads(filter_json)
        except orjson.JSONDecodeError:
            raise BadInput("filter= is not JSON; give a filter like {\"config.lr\": {\"$lt\": 0.01}}") from None
        if not isinstance(parsed, dict):
            raise BadInput("filter= must be a JSON object like {\"summary.acc\": {\"$gte\": 0.9}}")
        clauses.append(parsed)
    return {"$and": clauses} if clauses else None


def list_runs(store: Store, project: str | None, sort: str | None, order: str | None, limit: str | None,
              offset: str | None, q: str | None, state: str | None, tags: Sequence[str], filter_json: str | None,
              page_size: int, max_page_size: int, overlap: float, group: str | None = None) -> wire.RunsPage:
    """A page of runs with the number matching and a change cursor taken before the read."""
    if order not in (None, "", "asc", "desc"):
        raise BadInput(f"order={order!r}: use asc or desc")
    column = (sort or "created_at").strip().lstrip("+-")
    descending = order == "desc" if order else (not sort or sort.strip().startswith("-"))  # newest first by default
    filters = run_filters(state, tags, filter_json, group)
    first = integer("offset", offset, 0, 0, 2**62)
    count = integer("limit", limit, page_size, 1, max_page_size)
    # taken before the read and `overlap` behind the clock: a change made meanwhile is reported again, never lost
    cursor = min(latest_update(store, project), time.time() - overlap)
    rows = store.list_rows(project=project or None, filters=filters, order=("-" if descending else "") + column,
                           limit=count, offset=first, search=q or None)
    total = len(rows) if first == 0 and len(rows) < count else store.count_matching(project or None, filters,
                                                                                      q or None)
    # the notebook path is read from each run's capture facts: cheap for a page, not for thousands of rows
    notebooks = store.notebooks(r["id"] for r in rows) if len(rows) <= NOTEBOOK_ROWS else {}
    alerts = store.alerts(r["id"] for r in rows) if len(rows) <= NOTEBOOK_ROWS else {}
    return {"total": total, "offset": first, "limit": count, "cursor": cursor,
            "runs": [row(r, notebooks.get(r["id"]), alerts.get(r["id"])) for r in rows]}


def latest_update(store: Store, project: str | None) -> float:
    newest = store.list_runs(project=project or None, order="-updated_at", limit=1)
    return newest[0].updated_at if newest else 0.0


def changes(store: Store, project: str | None, since: str | None, overlap: float, max_page_size: int
            ) -> wire.ChangesAnswer:
    """Runs updated after the cursor ``since`` (plus the running ones and those that turned crashed since, whose
    state changes without a write), and the next cursor. Never a history: the client asks ``metrics?after=``."""
    start = number("since", since)
    now = time.time()
    if start is None:
        return {"runs": [], "cursor": min(latest_update(store, project), now - overlap), "truncated": False}
    timeout = settings.HEARTBEAT_TIMEOUT.number()
    filters = {"$or": [
        {"updated_at": {"$gt": start}},
        {"state": "running"},
        {"$and": [{"state": "crashed"}, {"heartbeat_at": {"$gt": start - timeout}}]},
    ]}
    rows = store.list_rows(project=project or None, filters=filters, order="-updated_at", limit=max_page_size)
    # the cursor stays `overlap` behind the clock: a write stamped earlier but committed later by another process
    # is still found (a change may so be reported for `overlap` seconds; clients replace rows by id)
    cursor = max(start, min(max([start, *(r["updated_at"] for r in rows)]), now - overlap))
    notebooks = store.notebooks(r["id"] for r in rows)
    alerts = store.alerts(r["id"] for r in rows)
    return {"runs": [row(r, notebooks.get(r["id"]), alerts.get(r["id"])) for r in rows], "cursor": cursor,
            "truncated": len(rows) == max_page_size}


def kernel_run(store: Store, kernel_id: str) -> wire.KernelRunAnswer:
    """The newest running run started by kernel ``kernel_id`` (its capture facts' ``notebook.kernel_id``), as a
    run-list row, or ``{"run": None}``. Only running runs are candidates, so this stays cheap to poll."""
    if not KERNEL_ID.match(kernel_id):
        raise BadInput(f"kernel id {kernel_id[:80]!r} is not a Jupyter kernel id (GET /api/kernels lists them)")
    running = store.list_runs(filters={"state": "running"}, order="-created_at", limit=MAX_RUNNING)
    for candidate in running:
        info = store.get_run(candidate.id)  # the list rows carry no capture facts; the detail read does
        if info is not None and info.state == "running" and \
                (info.meta.get("notebook") or {}).get("kernel_id") == kernel_id:
            return {"run": row(info, store.notebooks([info.id]).get(info.id), info.meta.get("alerts"))}
    return {"run": None}


def run_detail(store: Store, project: str, run_id: str) -> wire.RunDetail:
    """One run: config, summary with statistics, capture facts, files, snapshots, its logged keys and its colour
    (by its id, as a compare colours it: the detail panel draws its curves in it)."""
    run = stored_run(store, project, run_id)
    info = run.info
    scalar = store.series_keys(run_id)
    scalar_set = set(scalar)
    logged = store.metric_keys(run_id)
    return {
        **row(info, store.notebooks([run_id]).get(run_id), info.meta.get("alerts")),
        "color": run_colors([run_id])[run_id],
        "entity": info.entity, "host": info.host, "pid": info.pid, "exit_code": info.exit_code,
        "heartbeat_at": info.heartbeat_at, "finished_at": info.finished_at,
        "config": info.config, "summary": run.summary, "meta": info.meta,
        "summary_stats": cast("dict[str, wire.SummaryStats]", run.summary_stats),
        "files": cast("list[wire.FileInfo]", run.files()), "snapshots": cast("list[wire.SnapshotInfo]", snapshots(run)),
        "keys": {
            "scalars": [k for k in scalar if not k.startswith(SYSTEM_PREFIX)],
            "system": [k for k in scalar if k.startswith(SYSTEM_PREFIX)],
            "media": [k for k in logged if k not in scalar_set and not k.startswith(SYSTEM_PREFIX)],
        },
    }


def metrics(store: Store, project: str, run_id: str, keys: Sequence[str], points: str | None, after: str | None,
            default_points: int, max_points: int) -> wire.MetricsAnswer:
    """Per key: steps, values and times, min/max-downsampled to at most ``points`` points; with ``after``, only
    the points logged after that step (a live view's increment)."""
    stored_run(store, project, run_id)
    limit = integer("points", points, default_points, 2, max_points)
    after_step = None if after in (None, "") else integer("after", after, 0, -(2**62), 2**62)
    wanted = [k for k in keys if k] or store.series_keys(run_id)
    out: dict[str, Any] = {}
    for key in dict.fromkeys(wanted):
        series = store.read_series(run_id, key, after_step=after_step)
        steps, values, times = series.steps, series.values, series.times
        if len(steps) > limit:
            steps, values, times = thin(steps, values, times, limit)
            steps = steps.astype("int64")
        out[key] = {"steps": steps, "values": values, "times": times, "count": len(series),
                    "last_step": int(series.steps[-1]) if len(series) else after_step}
    return {"run": run_id, "points": limit, "after": after_step, "metrics": out}


def media(store: Store, project: str, run_id: str, key: str | None, offset: str | None, limit: str | None,
          blob_url: str, page_size: int, max_page_size: int) -> wire.MediaPage:
    """The values logged under ``key`` (images, histograms, html, plotly, tables, text) with blob URLs."""
    if not key:
        raise BadInput("media needs key=<logged key>")
    stored_run(store, project, run_id)
    first = integer("offset", offset, 0, 0, 2**62)
    count = integer("limit", limit, page_size, 1, max_page_size)
    found = store.read_objects(run_id, key)
    return {"key": key, "total": len(found), "offset": first, "items": [
        {"step": o.step, "time": o.time, "kind": o.kind, "data": with_urls(o.data, blob_url)}
        for o in found[first:first + count]]}


def table(store: Store, project: str, run_id: str, key: str | None, step: str | None, page: str | None,
          page_size: str | None, default_size: int, max_size: int, blob_url: str) -> wire.TablePage:
    """One page of the table logged under ``key`` (at ``step``, default the last one)."""
    if not key:
        raise BadInput("table needs key=<logged key>")
    stored_run(store, project, run_id)
    logged = [o for o in store.read_objects(run_id, key) if o.kind == "table"]
    at = None if step in (None, "") else integer("step", step, 0, -(2**62), 2**62)
    chosen = [o for o in logged if at is None or o.step == at]
    if not chosen:
        where = f" at step {at}" if at is not None else ""
        raise NotFound(f"run {project}/{run_id} has no table logged under {key!r}{where}")
    number_ = integer("page", page, 0, 0, 2**62)
    size = integer("page_size", page_size, default_size, 1, max_size)
    content = _table_content(store, chosen[-1].data, f"the table {key!r} of run {project}/{run_id} at step "
                                                     f"{chosen[-1].step}")
    rows = content.get("rows", [])
    return {"key": key, "step": chosen[-1].step, "steps": [o.step for o in logged], "columns": content["columns"],
            "column_types": content.get("column_types"), "nrows": len(rows), "page": number_, "page_size": size,
            "rows": with_urls(rows[number_ * size:(number_ + 1) * size], blob_url)}


def with_urls(data: Any, blob_url: str) -> Any:
    """``data`` with ``url`` (and ``thumb_url``) beside every blob id it holds, pointing at GET blobs/<sha>."""
    if isinstance(data, list):
        return [with_urls(d, blob_url) for d in data]
    if isinstance(data, Mapping):
        out = {k: with_urls(v, blob_url) for k, v in data.items()}
        for field, url in (("sha", "url"), ("thumb", "thumb_url")):
            sha = data.get(field)
            if isinstance(sha, str) and SHA.match(sha):
                out[url] = blob_url + sha
        return out
    return data


def blob(store: Store, sha: str) -> tuple[BinaryIO, int, str]:
    """Blob ``sha`` opened for reading (a file, or the store's database), its size and content type, only when
    some row of the store refers to it. The caller closes the stream."""
    if not SHA.match(sha):
        raise BadInput("a blob id is 64 lowercase hex digits")
    if not store.blob_referenced(sha):
        raise NotFound(f"no blob {sha} is referenced by this store")
    try:
        size = store.blobs.size(sha)
        stream = store.blobs.open(sha)
    except StoreError:
        raise NotFound(f"blob {sha} is referenced but missing from the blob store (run `jupyter-track gc`?)"
                       ) from None
    peek = getattr(stream, "peek", None)  # buffered streams (files and database blobs alike) look ahead freely
    head = peek(16)[:16] if peek is not None else b""
    return stream, size, content_type(head)


def content_type(head: bytes) -> str:
    """The type a blob is served as: images by their signature, JSON, else text (never HTML) or bytes."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.lstrip()[:1] in (b"{", b"["):
        return "application/json"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain; charset=utf-8"  # html media too: the frontend shows it in a sandboxed iframe


@functools.lru_cache(maxsize=8)
def _cached_table(blobs: BlobStore, sha: str) -> Any:
    return orjson.loads(blobs.read_bytes(sha))


def _table_content(store: Store, data: Any, what: str) -> dict[str, Any]:
    """The columns and rows of a logged table (its record ``data`` names a JSON blob); a stored record or blob
    that is not what ``jt.Table`` writes is a :class:`NotFound` saying so."""
    sha = data.get("sha") if isinstance(data, Mapping) else None
    if not isinstance(sha, str) or not SHA.match(sha):
        raise NotFound(f"{what} is damaged: its stored record names no blob")
    if not store.blobs.exists(sha):
        raise NotFound(f"{what}: its blob {sha} is missing from the blob store")
    try:
        content = _cached_table(store.blobs, sha)  # content-addressed: a cached parse never goes stale
    except orjson.JSONDecodeError:
        raise NotFound(f"{what} is damaged: its blob {sha} is not JSON") from None
    if not isinstance(content, dict) or not isinstance(content.get("columns"), list) \
            or not isinstance(content.get("rows", []), list):
        raise NotFound(f"{what} is damaged: its blob {sha} holds no list of columns and rows")
    return content


def compare(store: Store, runs: str | None, metrics: str | None, group_by: str | None, importance_metric: str | None
            ) -> wire.CompareAnswer:
    """What the compare widget shows for ``runs`` (``project/id,project/id,...``), built by the same
    :func:`~jupyter_track.analysis.comparison.comparison` as the widget; curves as ``[metric][run] -> [steps,
    values] | null``. Loads no widget code: the server process never imports IPython, ipywidgets or anywidget."""
    from ..analysis.comparison import common_metrics, comparison  # numpy: only when a compare panel asks
    from ..analysis.importance import importance

    paths = [p.strip() for p in (runs or "").split(",") if p.strip()]
    if not paths:
        raise BadInput("compare needs runs=<project>/<run id>,<project>/<run id>,... (at least one run)")
    if len(paths) > MAX_COMPARE_RUNS:
        raise BadInput(f"{len(paths)} runs asked; compare takes at most {MAX_COMPARE_RUNS} in one request")
    chosen = []
    for path in dict.fromkeys(paths):
        project, _, run_id = path.rpartition("/")
        if not project or not run_id:
            raise BadInput(f"runs: {path!r} is not <project>/<run id>")
        chosen.append(stored_run(store, project, run_id))
    keys = [k.strip() for k in (metrics or "").split(",") if k.strip()] or common_metrics(chosen)
    grouping = (group_by or "").strip()
    if grouping and grouping != "group" and not grouping.startswith("config."):
        raise BadInput(f"group_by={grouping!r}: use group (the runs' init(group=...)) or config.<key>")
    data = comparison(chosen, keys, grouping or None)
    chosen_metric = importance_metric if importance_metric in keys else (keys[0] if keys else "")
    found = {chosen_metric: importance(data.table, data.columns, chosen_metric)} if chosen_metric else {}
    return {
        "metrics": data.metrics, "group_by": data.group_by, "columns": cast("list[wire.CompareColumn]", data.columns),
        "rows": data.rows, "runs": cast("list[wire.CompareRun]", [
            {**r, "project": s.project, "run_group": s.group}
            for r, s in zip(data.runs, chosen, strict=True)]),
        "total_runs": len(data.runs), "bands": data.bands, "importance": found, "importance_metric": chosen_metric,
        "curves": [[None if c is None else [c[0], c[1]] for c in per_run] for per_run in data.curves],
    }


# -- writes ----------------------------------------------------------------------------------------------------
def restore_snapshot(store: Store, project: str, run_id: str, root: str, raw: bytes) -> wire.RestoreAnswer:
    """Write a snapshot as a new notebook inside ``root``; returns its path relative to ``root``."""
    usage = 'restore takes a JSON object: {"path": optional, "which": "executed|saved|live", "at": "finish|init"}'
    body = json_body(raw, usage)
    if not isinstance(body, Mapping):
        raise BadInput(usage)
    which, at, path = body.get("which", "executed"), body.get("at", "finish"), body.get("path")
    if which not in WHICH:
        raise BadInput(f"which={which!r}: use one of {', '.join(WHICH)}")
    if at not in AT:
        raise BadInput(f"at={at!r}: use one of {', '.join(AT)}")
    run = stored_run(store, project, run_id)
    have = {s["which"] for s in snapshots(run)}
    if which not in have:
        listed = ", ".join(sorted(have)) or "none"
        raise NotFound(f"run {project}/{run_id} has no {which!r} snapshot (it has: {listed})")
    root_path = Path(root).resolve()
    target = None if path is None or path == "" else inside_root(root_path, path)
    try:
        written = restore(run, path=target, which=which, at=at, root=root_path)
    except (FileExistsError, OutsideRootError):
        raise  # 409 (another request took the name first), 403
    except OSError as exc:  # a read-only folder or file system
        raise NotWritable(f"the server cannot write the restored notebook ({exc.strerror or exc}); give a path "
                          "in a folder it can write") from None
    return {"path": written.relative_to(root_path).as_posix()}


def inside_root(root: Path, path: Any) -> Path:
    """``path`` (relative, a new ``.ipynb``) resolved inside ``root``, symlinks followed; refuses the rest."""
    if not isinstance(path, str) or "\x00" in path:
        raise BadInput("path must be a string: a notebook path relative to the server root")
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).anchor:
        raise BadInput(f"path {path!r} is absolute; give a path relative to the server root")
    if not path.endswith(".ipynb"):
        raise BadInput(f"path {path!r} must name a .ipynb file")
    given = root / path
    target = given.resolve()
    if not target.is_relative_to(root):
        raise OutsideRootError(f"path {path!r} leads outside the server root")
    if given.is_symlink() or target.exists():
        raise FileExistsError(f"{path} exists; restore never overwrites a notebook: choose another path")
    if not target.parent.is_dir():
        raise BadInput(f"the folder of {path!r} does not exist")
    return target


def store_live_snapshot(store: Store, project: str, run_id: str, raw: bytes, max_bytes: int) -> wire.SnapshotInfo:
    """Keep the notebook JupyterLab has open (unsaved edits included) as the run's ``live@init`` snapshot."""
    import nbformat

    if len(raw) > max_bytes:
        raise TooLarge(f"the snapshot is {len(raw):,} bytes; the limit is {max_bytes:,} "
                       "(c.JupyterTrackServer.max_snapshot_bytes)")
    usage = 'send {"notebook": <nbformat JSON>, "path": <notebook path>}'
    body = json_body(raw, usage)
    if not isinstance(body, dict) or not isinstance(body.get("notebook"), dict):
        raise BadInput(usage)
    path = body.get("path")
    if path is not None and not isinstance(path, str):
        raise BadInput("path must be a string (the notebook's path)")
    stored_run(store, project, run_id)
    try:
        notebook = nbformat.from_dict(body["notebook"])
        nbformat.validate(notebook)
    except (nbformat.ValidationError, AttributeError, TypeError, KeyError) as exc:
        raise BadInput(f"notebook is not a valid nbformat document: {str(exc).splitlines()[0][:300]}") from None
    meta = notebook.setdefault("metadata", {})
    meta["jupyter_track"] = {**(meta.get("jupyter_track") or {}), "live_snapshot": {"path": path, "at": time.time()}}
    data = nbformat.writes(notebook).encode()
    sha = store.blobs.put_bytes(data)
    store.write_batch(Batch(
        runs=[RunWrite(id=run_id, fields={"updated_at": time.time()})],
        blob_refs=[BlobRefWrite(sha=sha, owner="snapshot", name="live@init", size=len(data), run_id=run_id,
                                replace=True)]))
    return {"which": "live", "at": "init", "size": len(data), "sha256": sha}


def edit_run(store: Store, project: str, run_id: str, raw: bytes) -> wire.RunRow:
    """Change a run's name, notes or tags."""
    usage = 'send a JSON object with any of "name", "notes", "tags"'
    body = json_body(raw, usage)
    if not isinstance(body, Mapping) or not body:
        raise BadInput(usage)
    unknown = sorted(set(body) - set(EDITABLE))
    if unknown:
        raise BadInput(f"cannot edit {unknown[0]!r}; editable: {', '.join(EDITABLE)}")
    fields: dict[str, Any] = {}
    if "name" in body:
        name = body["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
            raise BadInput(f"name must be a non-empty string of at most {NAME_MAX} characters")
        fields["name"] = name.strip()
    if "notes" in body:
        if body["notes"] is not None and not isinstance(body["notes"], str):
            raise BadInput("notes must be a string or null")
        fields["notes"] = body["notes"]
    tags = None
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() and len(t) <= NAME_MAX for t in tags):
            raise BadInput(f"tags must be a list of non-empty strings of at most {NAME_MAX} characters")
        tags = [t.strip() for t in tags]
    stored_run(store, project, run_id)
    fields["updated_at"] = time.time()
    store.write_batch(Batch(runs=[RunWrite(id=run_id, fields=fields, tags=tags)]))
    return row(stored_run(store, project, run_id).info)


def delete_run(store: Store, project: str, run_id: str, force: str | None = None) -> wire.DeleteAnswer:
    """Delete a run as ``jupyter-track rm`` does (:func:`~jupyter_track.maintenance.delete_runs`); one that is
    running (its heartbeat is fresh: see :mod:`jupyter_track.store.liveness`) only with ``force=1``, else
    :class:`RunIsRunningError` (409, ``"running": true``)."""
    if force not in (None, "", "0", "1", "true", "false"):
        raise BadInput(f"force={force!r}: use force=1 to delete a running run")
    run = stored_run(store, project, run_id)
    try:
        delete_runs(store, [run], force=force in ("1", "true"))
    except RunIsRunningError as exc:
        raise RunIsRunningError(f"{exc}; finish it first, or send the DELETE again with ?force=1 to delete it "
                                "anyway") from None
    return {"deleted": run_id}
