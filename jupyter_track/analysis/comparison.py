"""The comparison model: what a compare view shows for a set of runs, built once for the compare widget and the
server's ``GET compare`` alike — the table (config keys that differ, summary metrics), each run's curves
downsampled, and per group the mean/min/max band aligned on step.

Example::

    runs = list(jt.runs("fashion"))
    data = comparison(runs, common_metrics(runs), group_by="config.lr")
    data.bands["val/acc"][0]      # {"group": "lr=0.01", "color": "#1f77b4", "runs": 3, "steps": [...], ...}
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..api import SYSTEM_PREFIX, StoredRun, flatten
from .downsample import thin

CURVE_BUCKETS = 100  # min/max buckets per curve sent to the view (~200 points)
BAND_POINTS = 100  # points of a saved mean/min/max band
MAX_BANDS = 24  # groups with a band in the saved state
MAX_METRICS = 6  # default metrics shown (the common scalar keys)
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


@dataclass
class Comparison:
    """What the compare view shows for ``chosen`` runs, built once and shared by the widget
    (:meth:`CompareWidget.fill`) and the server extension's ``GET compare`` (JupyterLab's compare panel runs
    compare.js on it)."""

    metrics: list[str]
    group_by: str
    columns: list[dict[str, Any]]  # name, kind (config | summary | a lead's kind), type (num | cat)
    runs: list[dict[str, Any]]  # id, path, name, color, group per run
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
    colour_of = run_colors([i.id for i in infos])
    colors = [colour_of[i.id] for i in infos]
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
    run_rows = [{"id": i.id, "path": f"{i.project}/{i.id}", "name": i.name, "color": colors[n], "group": groups[n]}
                for n, i in enumerate(infos)]

    ids = [i.id for i in infos]
    series = chosen[0].store.read_series_many(ids, keys, times=False) if chosen else {}
    curves: list[list[tuple[Any, Any] | None]] = []
    bands: dict[str, list[dict[str, Any]]] = {}
    for key in keys:
        per_run = [series.get((run_id, key)) for run_id in ids]
        curves.append([curve(s.steps, s.values) if s is not None else None for s in per_run])
        bands[key] = _bands(per_run, groups, colors)
    return Comparison(keys, group_by or "", columns, run_rows, rows, bands, curves, table)


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


def run_colors(ids: Sequence[str]) -> dict[str, str]:
    """A colour per run id that follows the run, not its place in a list: the id picks a palette slot (a stable
    hash), and a run whose slot another run of the same view already holds (runs taken in id order) takes the
    next free one. The notebook's compare and JupyterLab's compare panel, given the same runs in any order,
    colour each run alike; more runs than :data:`PALETTE` holds get golden-angle colours beyond it.

    Example::

        run_colors(["3f9a2c1b", "a81d0e77"])   # {"3f9a2c1b": "#7f7f7f", "a81d0e77": "#8c564b"}
    """
    unique = sorted(set(ids))
    size = max(len(PALETTE), len(unique))
    taken: set[int] = set()
    out: dict[str, str] = {}
    for run_id in unique:
        slot = zlib.crc32(run_id.encode()) % len(PALETTE)
        while slot in taken:
            slot = (slot + 1) % size
        taken.add(slot)
        out[run_id] = _color(slot)
    return out


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


def curve(steps: Any, values: Any, buckets: int = CURVE_BUCKETS) -> tuple[Any, Any]:
    """A curve in ``buckets`` min/max buckets (about ``2 * buckets`` points) as little-endian float32 arrays."""
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
