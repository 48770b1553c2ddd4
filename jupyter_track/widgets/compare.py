"""The compare widget: many runs in one cell — curves, config diff, parallel coordinates, importance, scatter.

``jt.compare(project="fashion")`` (or ``jt.runs(...).compare()``) reads the runs and their curves in bulk
(one store query), downsamples every curve to ~200 points and keeps them in the kernel: the view asks for them
when it connects and gets them as one binary message, so the saved notebook holds only what a static view
needs — the table (config keys that differ, summary metrics), the group (or overall) mean/min/max bands at low
resolution and the importance figures. A second output of the cell holds static HTML/SVG (curves of up to 20
runs or the bands, and the config diff) that stands in for the widget wherever it cannot render (GitHub,
nbviewer, nbconvert, a notebook reopened without its kernel).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..analysis.comparison import common_metrics, comparison, curve
from ..analysis.importance import importance
from ..api import Api, RunList, StoredRun
from .chart_view import compare_charts
from .esm import module
from .static_view import chart, fmt, show

STATIC = Path(__file__).with_name("static")
SAVED_RUNS = 300  # runs whose rows are in the synced (saved) state; the view gets all of them on connect
STATIC_RUNS = 20  # runs drawn one by one in the static view (more: the bands)
STATIC_ROWS = 50
STATIC_POINTS = 3000  # points of all the static view's run curves together (each curve thinned to its share)


class CompareWidget(anywidget.AnyWidget):
    """Runs side by side; made by :func:`compare`."""

    _esm = module("compare.js")
    _css = STATIC / "compare.css"
    metrics: traitlets.List[str] = traitlets.List().tag(sync=True)
    group_by = traitlets.Unicode("").tag(sync=True)
    runs: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # id, name, color, group per run
    columns: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # name, kind, type
    rows: traitlets.List[list[Any]] = traitlets.List().tag(sync=True)  # one per run, in `columns` order
    total_runs = traitlets.Int(0).tag(sync=True)  # runs compared; `runs`/`rows` keep the first SAVED_RUNS
    bands = traitlets.Dict().tag(sync=True)  # metric -> [{group, color, steps, mean, lo, hi}]
    importance = traitlets.Dict().tag(sync=True)  # metric -> {rows: [...], method, note}: see analysis.importance
    importance_metric = traitlets.Unicode("").tag(sync=True)
    scatter_axes: traitlets.List[str] = traitlets.List().tag(sync=True)  # the scatter's first x, y columns
    charts: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # jt.plot charts: chart_view.py

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._curves: list[list[tuple[Any, Any] | None]] = []  # [metric][run] -> (steps, values), float32
        self._all: tuple[list[dict[str, Any]], list[list[Any]]] = ([], [])  # every run and row (runs, rows)
        self._table: dict[str, list[Any]] = {}
        self.on_msg(self._on_message)

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("type") == "curves":  # the view connected: every run's curves in one binary message
            index, parts = [], []
            for m, per_run in enumerate(self._curves):
                for r, curve in enumerate(per_run):
                    if curve is not None:
                        index.append([m, r, len(curve[0])])
                        parts += [curve[0].tobytes(), curve[1].tobytes()]
            runs, rows = self._all
            self.send({"type": "curves", "index": index, "runs": runs, "rows": rows}, buffers=[b"".join(parts)])

    @traitlets.observe("importance_metric")
    def _importance_for(self, change: Any) -> None:  # the view picked a metric: its importance, computed once
        metric = change["new"]
        if metric and metric not in self.importance and self._table:
            self.importance = {**self.importance, metric: importance(self._table, self.columns, metric)}

    def _ipython_display_(self) -> None:
        """The widget, then the static view as a second output that stands in for it wherever the widget cannot
        render (:func:`~jupyter_track.widgets.static_view.fallback`)."""
        show(self, self.static_html())

    def static_html(self) -> str:
        return static_html(self, self._curves, *self._all)

    def fill(self, chosen: Sequence[StoredRun], keys: Sequence[str], group_by: str | None = None,
             lead: Sequence[tuple[dict[str, Any], Sequence[Any]]] = (), importance_metric: str | None = None) -> None:
        """Set the state (synced and kept) for ``chosen`` with the metrics ``keys`` (see
        :func:`~jupyter_track.analysis.comparison.comparison`)."""
        data = comparison(chosen, keys, group_by, lead)
        keys = data.metrics
        self._curves = data.curves
        self._all = (data.runs, data.rows)
        self._table = data.table
        with self.hold_sync():
            self.set_trait("metrics", keys)
            self.set_trait("group_by", data.group_by)
            self.set_trait("columns", data.columns)
            self.set_trait("rows", data.rows[:SAVED_RUNS])
            self.set_trait("runs", data.runs[:SAVED_RUNS])
            self.set_trait("total_runs", len(data.runs))
            self.set_trait("bands", data.bands)
            self.set_trait("charts", compare_charts(chosen, data.runs))
            self.set_trait("importance", {})
            chosen_metric = importance_metric if importance_metric in keys else (keys[0] if keys else "")
            if self.importance_metric == chosen_metric:
                self.importance_metric = ""
            self.importance_metric = chosen_metric  # computes that metric's importance


def compare(runs: Any = None, project: str | None = None, filters: Mapping[str, Any] | None = None,
            metrics: Sequence[str] | None = None, group_by: str | None = None, store: str | None = None,
            dir: str | os.PathLike[str] | None = None) -> CompareWidget:
    """Compare runs: ids/paths, :class:`StoredRun` objects, a :class:`RunList`, or ``project`` + ``filters``.

    Runs started with ``init(group=...)`` (e.g. the ranks of a distributed job) are drawn per group, as a mean
    curve with its min–max band, unless ``group_by`` says otherwise (``""``: every run on its own).

    Example::

        jt.compare(project="fashion", metrics=["val/acc"], group_by="config.lr")
    """
    chosen = _resolve(runs, project, filters, store, dir)
    if not chosen:
        raise ValueError("jt.compare(): no runs to compare (give runs, or a project with matching runs)")
    if group_by is None and any(r.group for r in chosen):
        group_by = "group"
    widget = CompareWidget()
    widget.fill(chosen, list(metrics) if metrics else common_metrics(chosen), group_by)
    return widget


def _resolve(runs: Any, project: str | None, filters: Mapping[str, Any] | None, store: str | None,
             dir: str | os.PathLike[str] | None) -> list[StoredRun]:
    if isinstance(runs, RunList):
        return list(runs)
    api = Api(store=store, dir=dir)
    if runs is None:
        return list(api.runs(project, filters=filters, order="created_at"))
    if isinstance(runs, str | StoredRun):
        runs = [runs]
    return [r if isinstance(r, StoredRun) else api.run(str(r)) for r in runs]


# -- the static fallback --------------------------------------------------------------------------------------
def static_html(widget: CompareWidget, curves: Sequence[Sequence[tuple[Any, Any] | None]],
                runs: list[dict[str, Any]], rows: list[list[Any]]) -> str:
    """Curves (each run when few, else the bands) and the config diff of every run (``runs``, ``rows``) as
    HTML/SVG; all text escaped."""
    charts = []
    for m, key in enumerate(widget.metrics):
        lines: list[tuple[str, Any, Any, Any, Any]] = []  # color, steps, values, lo, hi
        if len(runs) <= STATIC_RUNS and not widget.group_by and m < len(curves):
            share = max(16, STATIC_POINTS // max(1, len(runs) * len(widget.metrics)))
            lines = [(runs[r]["color"], *curve(c[0], c[1], share // 2), None, None)
                     for r, c in enumerate(curves[m]) if c is not None]
        else:
            lines = [(b["color"], b["steps"], b["mean"], b["lo"], b["hi"]) for b in widget.bands.get(key, [])]
        charts.append(chart(key, lines))
    legend = " ".join(f'<span style="color:{html.escape(r["color"])}">■</span> {html.escape(r["name"])}'
                      for r in runs[:STATIC_ROWS])
    head = "".join(f"<th>{html.escape(c['name'])}</th>" for c in widget.columns)
    body = "".join(
        f"<tr><td>{html.escape(runs[n]['name'])}</td>"
        + "".join(f"<td>{html.escape('' if v is None else fmt(v))}</td>" for v in row) + "</tr>"
        for n, row in enumerate(rows[:STATIC_ROWS]))
    more = f"<p>{len(rows) - STATIC_ROWS} more runs</p>" if len(rows) > STATIC_ROWS else ""
    return ('<div class="jt-compare-static" style="font:12px sans-serif">'
            f"<div><b>Comparing {len(runs)} runs</b></div><div>{legend}</div>"
            f'<div style="display:flex;flex-wrap:wrap;gap:6px">{"".join(charts)}</div>'
            '<table border="1" style="border-collapse:collapse;font-size:12px">'
            f"<thead><tr><th>run</th>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>")


