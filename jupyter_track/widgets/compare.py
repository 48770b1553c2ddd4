"""The compare widget: many runs in one cell — curves, config diff, parallel coordinates, importance, scatter.

``jt.compare(project="fashion")`` (or ``jt.runs(...).compare()``) reads the runs and their curves in bulk
(one store query), downsamples every curve to ~200 points and keeps them in the kernel: the view asks for them
when it connects and gets them as one binary message, so the saved notebook holds only what a static view
needs — the table (config keys that differ, summary metrics), the group (or overall) mean/min/max bands at low
resolution and the importance figures. A second output of the cell holds static HTML/SVG (curves of up to 20
runs or the bands, and the config diff) for GitHub, nbviewer and nbconvert.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..api import SYSTEM_PREFIX, Api, RunList, StoredRun, flatten
from .chart_view import compare_charts
from .downsample import thin
from .static_view import chart, fmt

STATIC = Path(__file__).with_name("static")
CURVE_BUCKETS = 100  # min/max buckets per curve sent to the view (~200 points)
BAND_POINTS = 100  # points of a saved mean/min/max band
MAX_BANDS = 24  # groups with a band in the saved state
MAX_METRICS = 6  # default metrics shown (the common scalar keys)
MIN_RUNS_FOR_IMPORTANCE = 8
FANOVA_RUNS = 200  # fANOVA fits on at most this many runs (a seeded sample): its cost grows with the forest's leaves
SAVED_RUNS = 300  # runs whose rows are in the synced (saved) state; the view gets all of them on connect
STATIC_RUNS = 20  # runs drawn one by one in the static view (more: the bands)
STATIC_ROWS = 50
STATIC_POINTS = 3000  # points of all the static view's run curves together (each curve thinned to its share)
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


class CompareWidget(anywidget.AnyWidget):
    """Runs side by side; made by :func:`compare`."""

    _esm = STATIC / "compare.js"
    _css = STATIC / "compare.css"
    metrics: traitlets.List[str] = traitlets.List().tag(sync=True)
    group_by = traitlets.Unicode("").tag(sync=True)
    runs: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # id, name, color, group per run
    columns: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)  # name, kind, type
    rows: traitlets.List[list[Any]] = traitlets.List().tag(sync=True)  # one per run, in `columns` order
    total_runs = traitlets.Int(0).tag(sync=True)  # runs compared; `runs`/`rows` keep the first SAVED_RUNS
    bands = traitlets.Dict().tag(sync=True)  # metric -> [{group, color, steps, mean, lo, hi}]
    importance = traitlets.Dict().tag(sync=True)  # metric -> {rows: [...], method, note}: see importance()
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
        """The widget, then the static fallback as a second output (an exporter shows the widget view over any
        other format of the same output; the widget's CSS hides this one wherever the widget renders)."""
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        data = (bundle[0] if isinstance(bundle, tuple) else bundle) or {"text/plain": repr(self)}
        display(data, raw=True)
        display({"text/html": self.static_html()}, raw=True)

    def static_html(self) -> str:
        return static_html(self, self._curves, *self._all)

    def fill(self, chosen: Sequence[StoredRun], keys: Sequence[str], group_by: str | None = None,
             lead: Sequence[tuple[dict[str, Any], Sequence[Any]]] = (), importance_metric: str | None = None) -> None:
        """Set the state (synced and kept) for ``chosen`` with the metrics ``keys`` (see :func:`comparison`)."""
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


@dataclass
class Comparison:
    """What the compare view shows for ``chosen`` runs, built once and shared by the widget
    (:meth:`CompareWidget.fill`) and the server extension's ``GET compare`` (JupyterLab's compare panel runs
    compare.js on it)."""

    metrics: list[str]
    group_by: str
    columns: list[dict[str, Any]]  # name, kind (config | summary | a lead's kind), type (num | cat)
    runs: list[dict[str, Any]]  # id, name, color, group per run
    rows: list[list[Any]]  # one per run, in `columns` order (numbers shortened to 6 digits)
    bands: dict[str, list[dict[str, Any]]]  # metric -> [{group, color, runs, steps, mean, lo, hi}]
    curves: list[list[tuple[Any, Any] | None]]  # [metric][run] -> (steps, values) float32, downsampled
    table: dict[str, list[Any]]  # full-precision columns for importance()


def comparison(chosen: Sequence[StoredRun], keys: Sequence[str], group_by: str | None = None,
               lead: Sequence[tuple[dict[str, Any], Sequence[Any]]] = ()) -> Comparison:
    """The view's data for ``chosen`` with the metrics ``keys``; ``lead`` are extra columns put first (a column
    dict and one value per run, e.g. a sweep's trial number), not config keys. Reads every curve in one query."""
    keys = list(keys)
    infos = [r.info for r in chosen]
    configs = [flatten(i.config) for i in infos]
    diff = _differing(configs)
    summaries = [r.summary for r in chosen]
    colors = [_color(i) for i in range(len(chosen))]
    groups = [_group_of(r, configs[n], group_by) for n, r in enumerate(chosen)]
    columns: list[dict[str, Any]] = (
        [c for c, _ in lead]
        + [{"name": k, "kind": "config", "type": _kind([c.get(k) for c in configs])} for k in diff]
        + [{"name": k, "kind": "summary", "type": "num"} for k in keys])
    values = [[_json(v[n]) for _, v in lead] + [_json(configs[n].get(k)) for k in diff]
              + [_number(summaries[n].get(k)) for k in keys] for n in range(len(chosen))]
    table = {c["name"] + ("" if c["kind"] == "config" else " "): [row[j] for row in values]
             for j, c in enumerate(columns)}
    rows = [[_short(v) for v in row] for row in values]
    run_rows = [{"id": i.id, "name": i.name, "color": colors[n], "group": groups[n]} for n, i in enumerate(infos)]

    ids = [i.id for i in infos]
    series = chosen[0].store.read_series_many(ids, keys, times=False) if chosen else {}
    curves: list[list[tuple[Any, Any] | None]] = []
    bands: dict[str, list[dict[str, Any]]] = {}
    for key in keys:
        per_run = [series.get((run_id, key)) for run_id in ids]
        curves.append([_downsample(s.steps, s.values) if s is not None else None for s in per_run])
        bands[key] = _bands(per_run, groups, colors)
    return Comparison(keys, group_by or "", columns, run_rows, rows, bands, curves, table)


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


def common_metrics(runs: Sequence[StoredRun]) -> list[str]:
    """The scalar summary keys every run has (not ``system/``), sorted; the first :data:`MAX_METRICS`."""
    sets = [{k for k, e in r.info.summary.items() if _is_number(e.value) and not k.startswith(SYSTEM_PREFIX)}
            for r in runs]
    common = set.intersection(*sets) if sets else set()
    return sorted(common)[:MAX_METRICS]


def _differing(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """The config keys whose values are not all the same (a key missing from some runs differs)."""
    keys = list(dict.fromkeys(k for c in configs for k in c if not k.startswith("_wandb")))
    missing = object()
    return [k for k in keys if len({repr(c.get(k, missing)) for c in configs}) > 1]


def _group_of(run: StoredRun, config: Mapping[str, Any], group_by: str | None) -> str:
    if not group_by:
        return ""
    if group_by == "group":
        return str(run.group or "")
    key = group_by.removeprefix("config.")
    value = config.get(key, run.config.get(key))
    return "" if value is None else f"{key}={value}"


def _color(i: int) -> str:
    if i < len(PALETTE):
        return PALETTE[i]
    hue = (i * 137.508) % 360  # the golden angle: neighbours far apart on the wheel
    return _hsl_hex(hue, 0.6, 0.45 if i % 2 else 0.55)


def _hsl_hex(h: float, s: float, lum: float) -> str:
    c = (1 - abs(2 * lum - 1)) * s
    x = c * (1 - abs((h / 60) % 2 - 1))
    m = lum - c / 2
    r, g, b = [(c, x, 0.0), (x, c, 0.0), (0.0, c, x), (0.0, x, c), (x, 0.0, c), (c, 0.0, x)][int(h // 60) % 6]
    return "#" + "".join(f"{round((v + m) * 255):02x}" for v in (r, g, b))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(v: Any) -> float | None:
    return float(v) if _is_number(v) and math.isfinite(v) else None


def _json(v: Any) -> Any:
    if v is None or isinstance(v, bool | str):
        return v
    if _is_number(v):
        return _number(v)
    return str(v)


def _short(v: Any) -> Any:
    """A number with 6 significant digits (what a table shows; the saved state stays small)."""
    return float(f"{v:.6g}") if isinstance(v, float) else v


def _kind(values: Sequence[Any]) -> str:
    present = [v for v in values if v is not None]
    return "num" if present and all(_is_number(v) for v in present) else "cat"


def _downsample(steps: Any, values: Any, buckets: int = CURVE_BUCKETS) -> tuple[Any, Any]:
    s, v, _ = thin(steps, values, values, 2 * buckets + 1)  # times are not shown: the values stand in
    return np.asarray(s, dtype="<f4"), np.asarray(v, dtype="<f4")


def _bands(per_run: Sequence[Any], groups: Sequence[str], colors: Sequence[str]) -> list[dict[str, Any]]:
    """Per group: the mean, min and max of its runs, aligned on step (each run interpolated on a shared step
    grid: the steps themselves when runs are short, else :data:`BAND_POINTS` evenly spaced steps)."""
    out = []
    for group in list(dict.fromkeys(groups))[:MAX_BANDS]:
        members = [s for s, g in zip(per_run, groups, strict=True) if g == group and s is not None and len(s.steps)]
        if not members:
            continue
        color = colors[groups.index(group)]
        if max(len(s.steps) for s in members) <= BAND_POINTS:
            grid = np.unique(np.concatenate([s.steps for s in members])).astype(np.float64)
        else:
            lo, hi = min(float(s.steps[0]) for s in members), max(float(s.steps[-1]) for s in members)
            grid = np.linspace(lo, hi, BAND_POINTS)
        stack = np.vstack([np.interp(grid, s.steps, s.values, left=np.nan, right=np.nan) for s in members])
        seen = ~np.isnan(stack).all(axis=0)
        stack = stack[:, seen]
        with np.errstate(all="ignore"):
            mean, lo_v, hi_v = np.nanmean(stack, axis=0), np.nanmin(stack, axis=0), np.nanmax(stack, axis=0)
        out.append({"group": group, "color": color, "runs": len(members), "steps": _rounded(grid[seen]),
                    "mean": _rounded(mean), "lo": _rounded(lo_v), "hi": _rounded(hi_v)})
    return out


def _rounded(a: Any) -> list[float | None]:
    return [float(f"{x:.6g}") if math.isfinite(x) else None for x in np.asarray(a, dtype=np.float64)]


# -- parameter importance -------------------------------------------------------------------------------------
def importance(table: Mapping[str, Sequence[Any]], columns: Sequence[Mapping[str, Any]], metric: str
               ) -> dict[str, Any]:
    """Correlation (Pearson, Spearman) of ``metric`` with each numeric config column, and an importance of every
    config column: Optuna's fANOVA where scikit-learn is installed (the ``[importance]`` extra), else each
    column's share of the metric's variance on its own (ε², numpy only). ``method`` says which, ``note`` why
    when it is not fANOVA, or why there is none (too few runs).

    Example::

        importance({"lr": lrs, "loss ": losses}, [{"name": "lr", "kind": "config", "type": "num"}], "loss")
        # {"rows": [{"param": "lr", "importance": 0.93, "pearson": -0.97, "spearman": -0.98}],
        #  "method": "fanova", "note": ""}
    """
    target = np.array([np.nan if v is None else v for v in table.get(metric + " ", [])], dtype=np.float64)
    params = [c for c in columns if c["kind"] == "config"]
    ok = np.isfinite(target)
    if ok.sum() < MIN_RUNS_FOR_IMPORTANCE or not params:
        return {"rows": [], "method": "", "note": f"Importance is not meaningful with fewer than "
                f"{MIN_RUNS_FOR_IMPORTANCE} runs that logged {metric} and differ in config ({int(ok.sum())} here)."}
    rows: dict[str, dict[str, Any]] = {}
    for c in params:
        name = c["name"]
        entry: dict[str, Any] = {"param": name, "importance": None, "pearson": None, "spearman": None}
        if c["type"] == "num":
            x = np.array([np.nan if v is None else v for v in table[name]], dtype=np.float64)
            both = ok & np.isfinite(x)
            if both.sum() >= 3 and np.ptp(x[both]) > 0 and np.ptp(target[both]) > 0:
                entry["pearson"] = _corr(x[both], target[both])
                entry["spearman"] = _corr(_rank(x[both]), _rank(target[both]))
        rows[name] = entry
    method, note, found = "fanova", "", {}
    try:
        found = _fanova(table, params, target, ok)
    except ImportError:  # scikit-learn is an extra: say so, and show what numpy alone can honestly give
        method, found = "eta_squared", _eta_squared(table, params, target, ok)
        note = ("fANOVA needs scikit-learn, which is not installed here: pip install 'jupyter_track[importance]'. "
                "Shown instead: the share of the metric's variance each key explains on its own (ε², one-way "
                "ANOVA); interactions between keys are not counted.")
    except (ValueError, RuntimeError, ZeroDivisionError) as exc:
        note = f"fANOVA importance is not available here: {exc}"
    for name, value in found.items():
        rows[name]["importance"] = value
    ordered = sorted(rows.values(), key=lambda e: -(e["importance"] if e["importance"] is not None
                                                    else abs(e["spearman"] or 0.0)))
    return {"rows": ordered, "method": method, "note": note}


def _eta_squared(table: Mapping[str, Sequence[Any]], params: Sequence[Mapping[str, Any]], target: Any, ok: Any
                 ) -> dict[str, float]:
    """ε² of the metric on each key alone: (between-group sum of squares − (groups − 1) × within-group mean
    square) / total sum of squares, clipped at 0 — the bias-corrected η², so a key with a value per run does not
    explain everything by chance. Numeric keys with more distinct values than ``n // 4`` are cut into that many
    quantile bins (at least 2, at most 10). A key whose groups leave no within-group freedom is left out."""
    found: dict[str, float] = {}
    for c in params:
        values = table[c["name"]]
        present = ok & np.array([v is not None for v in values])
        y = target[present]
        kept = [v for v, good in zip(values, present, strict=True) if good]
        labels: Any = [str(v) for v in kept]
        if c["type"] == "num":
            labels = np.array(kept, dtype=np.float64)
            bins = max(2, min(10, len(labels) // 4))
            if len(np.unique(labels)) > bins:
                labels = np.searchsorted(np.quantile(labels, np.linspace(0, 1, bins + 1))[1:-1], labels, "right")
        _, groups = np.unique(labels, return_inverse=True)
        k, n = int(groups.max(initial=-1)) + 1, len(y)
        total = float(((y - y.mean()) ** 2).sum()) if n else 0.0
        if n - k < 1 or total <= 0:
            continue
        counts = np.bincount(groups, minlength=k)
        means = np.bincount(groups, weights=y, minlength=k) / counts
        between = float((counts * (means - y.mean()) ** 2).sum())
        within = total - between
        found[c["name"]] = round(max(0.0, (between - (k - 1) * within / (n - k)) / total), 4)
    return found


def _corr(a: Any, b: Any) -> float:
    return round(float(np.corrcoef(a, b)[0, 1]), 4)


def _rank(a: Any) -> Any:
    """Ranks with ties averaged (Spearman's correlation is Pearson's on these)."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a), dtype=np.float64)
    _, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return sums[inverse] / counts[inverse]


def _fanova(table: Mapping[str, Sequence[Any]], params: Sequence[Mapping[str, Any]], target: Any, ok: Any
            ) -> dict[str, float]:
    """Optuna's fANOVA on an in-memory study made of the runs (each run a finished trial); ImportError without
    scikit-learn."""
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances
    from optuna.trial import create_trial

    evaluator = FanovaImportanceEvaluator(n_trees=32, max_depth=8, seed=0)  # raises ImportError first

    dists: dict[str, Any] = {}
    for c in params:
        values = [v for v, good in zip(table[c["name"]], ok, strict=True) if good and v is not None]
        if c["type"] == "num":
            lo, hi = min(values), max(values)
            if hi > lo:
                dists[c["name"]] = FloatDistribution(float(lo), float(hi))
        elif len(set(map(str, values))) > 1:
            dists[c["name"]] = CategoricalDistribution(sorted(set(map(str, values))))
    if not dists:
        raise ValueError("no config key varies across the runs")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    usable = np.flatnonzero(ok)
    if len(usable) > FANOVA_RUNS:
        usable = np.sort(np.random.default_rng(0).choice(usable, FANOVA_RUNS, replace=False))
    for n in (int(i) for i in usable):
        chosen = {k: table[k][n] for k in dists}
        if any(v is None for v in chosen.values()):
            continue
        trial_params = {k: float(v) if isinstance(d, FloatDistribution) else str(v)
                        for (k, d), v in zip(dists.items(), chosen.values(), strict=True)}
        study.add_trial(create_trial(params=trial_params, distributions=dists, value=float(target[n])))
    if len(study.trials) < MIN_RUNS_FOR_IMPORTANCE:
        raise ValueError(f"only {len(study.trials)} runs have every varying config key")
    found = get_param_importances(study, evaluator=evaluator)
    return {k: round(float(v), 4) for k, v in found.items()}


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
            lines = [(runs[r]["color"], *_downsample(c[0], c[1], share // 2), None, None)
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


