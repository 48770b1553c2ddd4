"""The data shapes passed between layers. (The REST API's JSON shapes are in server/wire.py, mirrored by the
labextension's tokens.ts.)"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

RunState = Literal["running", "finished", "failed", "crashed", "killed", "pruned"]
# pruned: a sweep trial stopped early by the sweep's pruner (early_terminate: hyperband); see jupyter_track.sweeps
RUN_STATES: tuple[RunState, ...] = ("running", "finished", "failed", "crashed", "killed", "pruned")
# keys of the system monitor's stream (a wall-time axis, kept apart from the training history and summary)
SYSTEM_PREFIX = "system/"


class AlertLevel(str, enum.Enum):
    """The level of ``run.alert(...)`` (W&B: ``wandb.AlertLevel``)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


@dataclass
class SummaryEntry:
    """What the store keeps per run and key: the effective value plus the statistics of a scalar series."""

    value: Any
    last: float | None = None
    min: float | None = None
    max: float | None = None
    count: int = 0
    last_step: int | None = None
    user_set: bool = False
    # the sum of the logged values, for define_metric(summary="mean"); kept by the writer while the run logs, not
    # stored (None: not known yet, e.g. a resumed run's entry read back from the store)
    total: float | None = None


@dataclass
class RunInfo:
    """One run as stored: identity, state, metadata and its summary."""

    id: str
    project: str
    name: str
    state: RunState
    created_at: float
    updated_at: float
    entity: str | None = None
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    heartbeat_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    last_step: int | None = None
    sweep_id: str | None = None
    host: str | None = None
    pid: int | None = None
    summary: dict[str, SummaryEntry] = field(default_factory=dict)
    detailed: bool = False  # meta and per-key summary statistics loaded (get_run), not just a listing

    @property
    def path(self) -> str:
        return f"{self.project}/{self.id}"

    @property
    def duration(self) -> float:
        end = self.finished_at if self.finished_at is not None else (self.heartbeat_at or self.updated_at)
        return max(0.0, end - self.created_at)


@dataclass
class Series:
    """One metric's full history as parallel numpy arrays (steps int64, values float64, wall times float64)."""

    key: str
    steps: Any
    values: Any
    times: Any

    def __len__(self) -> int:
        return len(self.steps)


class ChartData(TypedDict):
    """A ``jt.plot.*`` chart as logged (objects kind ``chart``; served as it is by ``GET media``): the chart
    kind, its title, which table column plays which role, axis titles, and the table as logged by ``jt.Table``.

    Roles per kind: ``line``, ``line_series``, ``pr_curve``, ``roc_curve``: x, y, stroke (one line per stroke
    value; None: one line); ``scatter``: x, y; ``bar``: label, value; ``histogram``: value (binned when drawn);
    ``confusion_matrix``: actual, predicted, count."""

    chart: str
    title: str
    fields: dict[str, str | None]
    axes: dict[str, str]
    table: dict[str, Any]  # {"sha", "nrows", "ncols", "columns", "column_types"}: the blob holds the rows
