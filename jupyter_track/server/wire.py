"""The JSON shapes the REST API answers, one TypedDict per answer, as :mod:`.queries` returns them.

Mirrored field for field by the labextension's ``labextension/src/tokens.ts`` (same names; a field that may be
absent is ``total=False`` here and ``field?:`` there); ``tests/test_wire.py`` fails when the two drift apart.
Numbers that numpy holds (metric steps and values) are JSON arrays once ``handlers.dumps`` wrote them.

Example::

    def projects(store: Store) -> list[ProjectInfo]: ...
"""

from __future__ import annotations

from typing import Any, TypedDict

from ..types import ChartData as ChartData  # a media item's data for kind "chart" (tokens.ts ChartData)
from ..types import RunState


class ProjectInfo(TypedDict):
    """``GET projects``: one project and how many runs it has."""

    name: str
    runs: int
    last_created_at: float | None


class AlertDigest(TypedDict):
    """A run's alerts in its list row (``run.alert``): how many, and the latest one."""

    count: int
    title: str
    text: str
    level: str
    time: float


class RunRow(TypedDict):
    """One run as ``GET runs`` and ``GET changes`` list it (``notebook`` and ``alerts`` are null in lists over 1000
    rows)."""

    id: str
    name: str
    state: RunState
    project: str
    group: str | None
    job_type: str | None
    tags: list[str]
    notes: str | None
    created_at: float
    updated_at: float
    duration: float | None
    last_step: int | None
    sweep_id: str | None
    notebook: str | None
    alerts: AlertDigest | None
    summary: dict[str, Any]


class RunsPage(TypedDict):
    """``GET runs``: a page of runs, the number matching, and a change cursor taken before the read."""

    total: int
    offset: int
    limit: int
    cursor: float
    runs: list[RunRow]


class ChangesAnswer(TypedDict):
    """``GET changes?since=``: the runs changed after the cursor (and every running one), and the next cursor."""

    runs: list[RunRow]
    cursor: float
    truncated: bool


class KernelRunAnswer(TypedDict):
    """``GET kernels/<id>/run``: the running run the kernel started, if any."""

    run: RunRow | None


class SummaryStats(TypedDict):
    """Statistics of one scalar series (``RunDetail.summary_stats``)."""

    last: float | None
    min: float | None
    max: float | None
    count: int
    last_step: int | None


class FileInfo(TypedDict):
    """A file stored with ``run.save()``."""

    name: str
    size: int
    sha256: str


class SnapshotInfo(TypedDict):
    """A notebook snapshot stored with a run; also what ``POST runs/<project>/<id>/snapshot`` answers."""

    which: str  # executed | saved | live | script
    at: str  # init | finish
    size: int
    sha256: str


class RunKeys(TypedDict):
    """The keys a run logged: scalar series, system series, and the rest (media, tables, text)."""

    scalars: list[str]
    system: list[str]
    media: list[str]


class RunDetail(RunRow):
    """``GET runs/<project>/<id>``: the list row plus the run's detail."""

    color: str  # the run's colour by its id (analysis.comparison.run_colors), as its compare curves have it
    entity: str | None
    host: str | None
    pid: int | None
    exit_code: int | None
    heartbeat_at: float | None
    finished_at: float | None
    config: dict[str, Any]
    summary_stats: dict[str, SummaryStats]
    meta: dict[str, Any]
    files: list[FileInfo]
    snapshots: list[SnapshotInfo]
    keys: RunKeys


class MetricSeries(TypedDict):
    """One key of ``GET metrics``: its points (downsampled), how many were logged, and its last step."""

    steps: Any  # int64 array
    values: Any  # float64 array, NaN as null
    times: Any  # float64 array (wall times)
    count: int
    last_step: int | None


class MetricsAnswer(TypedDict):
    """``GET runs/<project>/<id>/metrics``."""

    run: str
    points: int
    after: int | None
    metrics: dict[str, MetricSeries]


class MediaItem(TypedDict):
    """One logged value of ``GET media`` (images, histograms, html, ...) with its blob URLs."""

    step: int
    time: float
    kind: str
    data: Any  # as logged; for kind "chart" a types.ChartData (tokens.ts ChartData)


class _TableBlobRequired(TypedDict):
    columns: list[str]
    rows: list[list[Any]]


class TableBlob(_TableBlobRequired, total=False):
    """A logged table's blob (``GET blobs/<sha>``), e.g. a chart's data: its columns and rows."""

    column_types: list[str]


class MediaPage(TypedDict):
    """``GET runs/<project>/<id>/media?key=``."""

    key: str
    total: int
    offset: int
    items: list[MediaItem]


class TablePage(TypedDict):
    """``GET runs/<project>/<id>/table?key=``: one page of a logged table at one of its steps."""

    key: str
    step: int
    steps: list[int]
    columns: list[str]
    column_types: list[str] | None
    nrows: int
    page: int
    page_size: int
    rows: list[list[Any]]


class CompareColumn(TypedDict):
    """A column of the compare table: a config key, a summary metric or a lead column."""

    name: str
    kind: str
    type: str  # num | cat


class CompareRun(TypedDict):
    """A run of ``GET compare``."""

    id: str
    name: str
    color: str
    group: str
    project: str
    path: str
    run_group: str | None


class CompareAnswer(TypedDict):
    """``GET compare``: the compare widget's synced state plus every run's curves."""

    metrics: list[str]
    group_by: str
    columns: list[CompareColumn]
    rows: list[list[Any]]
    runs: list[CompareRun]
    total_runs: int
    bands: dict[str, list[dict[str, Any]]]
    importance: dict[str, Any]
    importance_metric: str
    curves: list[list[Any]]  # [metric][run] -> [steps, values] | null


class RestoreAnswer(TypedDict):
    """``POST runs/<project>/<id>/restore``: the new notebook's path under the server root."""

    path: str


class DeleteAnswer(TypedDict):
    """``DELETE runs/<project>/<id>``."""

    deleted: str


class _ErrorRequired(TypedDict):
    error: str


class ErrorAnswer(_ErrorRequired, total=False):
    """The body of every non-2xx answer. ``running`` is true on the 409 of a ``DELETE`` of a running run
    (``?force=1`` deletes it anyway)."""

    running: bool
