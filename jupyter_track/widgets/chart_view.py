"""Charts logged with ``jt.plot`` drawn as self-contained HTML/SVG: what the live panel, the compare widget and
a saved notebook's static view show of them. Every text (keys, titles, labels, values) is escaped.

Lines (``line``, ``line_series``, ``pr_curve``, ``roc_curve``) are drawn by :func:`.static_view.chart`; scatter,
bars, histograms and confusion matrices here. Each is bounded (points per line, points, bars, classes) so a
chart stays a few KB in the saved notebook.

Example::

    html = chart_html("roc", jt.plot.roc_curve(y, probas))
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..media.chart import Chart
from .static_view import Axes, chart, fmt

W, H, PAD = 300, 180, 4
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
LINE_POINTS = 300  # per line
MAX_LINES = 10
SCATTER_POINTS = 1000
MAX_BARS = 30
HISTOGRAM_BINS = 20
MAX_CLASSES = 40  # a confusion matrix's side
CELL_TEXT_CLASSES = 12  # counts are written in the cells up to this many classes
LINES = ("line", "line_series", "pr_curve", "roc_curve")
COMPARE_KEYS, COMPARE_RUNS, COMPARE_SIZE = 6, 8, (240, 150)  # compare's small multiples


def chart_html(key: str, logged: Chart, width: int = W, height: int = H, caption: str | None = None) -> str:
    """``logged`` (under ``key``) drawn under ``caption`` (default: the key) and its title, with its axis titles,
    legend and notes."""
    caption = key if caption is None else caption
    caption = caption if not logged.title or logged.title == caption else f"{caption} · {logged.title}"
    draw = _DRAW.get(logged.chart)
    if draw is None:
        figure, notes = _frame(caption, "", width, height), [f"a {logged.chart} chart is not drawn here"]
    else:
        figure, notes = draw(caption, logged, width, height)
    axes = [f"{axis}: {name}" for axis, name in _axis_titles(logged).items() if name]
    footer = " · ".join([*axes, *notes])
    return (f'<div class="jt-logged-chart" data-key="{html.escape(key)}" data-chart="{html.escape(logged.chart)}" '
            f'style="font:11px sans-serif;max-width:{width + 2}px">{figure}'
            + (f'<div style="color:#777">{footer}</div>' if footer else "") + "</div>")


def _axis_titles(logged: Chart) -> dict[str, str]:
    """Axis titles: the chart's own, else the columns drawn."""
    f = logged.fields
    if logged.chart == "bar":
        guess = {"x": f.get("value"), "y": f.get("label")}
    elif logged.chart == "histogram":
        guess = {"x": f.get("value"), "y": "count"}
    elif logged.chart == "confusion_matrix":
        guess = {"x": f.get("predicted"), "y": f.get("actual")}
    else:
        guess = {"x": f.get("x"), "y": f.get("y")}
    return {axis: html.escape(str(logged.axes.get(axis) or guess[axis] or "")) for axis in ("x", "y")}


# -- lines --------------------------------------------------------------------------------------------------
def _lines(caption: str, logged: Chart, width: int, height: int) -> tuple[str, list[str]]:
    xs, ys = _numbers(logged.column("x")), _numbers(logged.column("y"))
    if len(xs) and np.isnan(xs).all():  # x is text (a category per row): its rows in order
        xs = np.arange(len(xs), dtype=np.float64)
    strokes = logged.column("stroke") or [None] * len(xs)
    groups: dict[Any, list[int]] = {}
    for i, s in enumerate(strokes):
        groups.setdefault(s, []).append(i)
    notes = [f"{len(groups) - MAX_LINES} more lines not drawn"] if len(groups) > MAX_LINES else []
    drawn, legend = [], []
    for n, (name, rows) in enumerate(list(groups.items())[:MAX_LINES]):
        idx = np.asarray(rows)
        idx = idx[np.argsort(xs[idx], kind="stable")]  # a line goes along x, whatever the table's row order
        idx = idx[_evenly(len(idx), LINE_POINTS)]
        color = PALETTE[n % len(PALETTE)]
        drawn.append((color, xs[idx].tolist(), [None if math.isnan(v) else v for v in ys[idx].tolist()], None,
                      None))
        if name is not None:
            legend.append(f'<span style="color:{color}">■</span> {html.escape(str(name))}')
    figure = chart(caption, drawn, width, height)
    return figure + (f'<div>{" ".join(legend)}</div>' if legend else ""), notes


# -- scatter, bars, histogram, heatmap ----------------------------------------------------------------------
def _scatter(caption: str, logged: Chart, width: int, height: int) -> tuple[str, list[str]]:
    xs, ys = _numbers(logged.column("x")), _numbers(logged.column("y"))
    ok = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    notes = [f"{len(ok):,} points, {SCATTER_POINTS:,} drawn"] if len(ok) > SCATTER_POINTS else []
    ok = ok[_evenly(len(ok), SCATTER_POINTS)]
    if not len(ok):
        return _frame(caption, "", width, height), ["no finite points"]
    axes = Axes((float(xs[ok].min()), float(xs[ok].max())), (float(ys[ok].min()), float(ys[ok].max())), width,
                height)
    # a dot per point (round caps), kept 3 px inside the frame on x
    inset = (axes.right - axes.left - 6) / (axes.right - axes.left)
    middle = (axes.left + axes.right) / 2
    moves = "".join(f"M{middle + (axes.px(a) - middle) * inset:.1f} {axes.py(b):.1f}h0"
                    for a, b in zip(xs[ok].tolist(), ys[ok].tolist(), strict=True))
    dots = (f'<path d="{moves}" stroke="{PALETTE[0]}" stroke-opacity="0.7" stroke-width="4" '
            'stroke-linecap="round" fill="none"/>')
    return _frame(caption, axes.grid + dots + axes.labels, width, height), notes


def _bar(caption: str, logged: Chart, width: int, height: int) -> tuple[str, list[str]]:
    labels, values = logged.column("label"), _numbers(logged.column("value"))
    notes = [f"the first {MAX_BARS} of {len(labels)} bars"] if len(labels) > MAX_BARS else []
    labels, values = labels[:MAX_BARS], values[:MAX_BARS]
    finite = values[np.isfinite(values)]
    if not len(finite):
        return _frame(caption, "", width, height), ["no finite values"]
    lo, hi = min(0.0, float(finite.min())), max(0.0, float(finite.max()))
    hi = hi if hi > lo else lo + 1
    left, row = 90, (height - 2 * PAD) / len(labels)
    x = lambda v: left + (v - lo) / (hi - lo) * (width - left - PAD - 36)  # noqa: E731 - a scale, used thrice
    body = ""
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        top = PAD + i * row
        mid = top + row / 2 + 3
        body += (f'<text x="{left - 3}" y="{mid:.1f}" font-size="9" text-anchor="end" fill="#555">'
                 f"{html.escape(_short(label))}</text>")
        if math.isfinite(value):
            a, b = sorted((x(0.0), x(float(value))))
            body += (f'<rect x="{a:.1f}" y="{top + row * 0.15:.1f}" width="{max(b - a, 0.5):.1f}" '
                     f'height="{row * 0.7:.1f}" fill="{PALETTE[0]}"/>'
                     f'<text x="{b + 2:.1f}" y="{mid:.1f}" font-size="9" fill="#555">{html.escape(fmt(float(value)))}'
                     "</text>")
    return _frame(caption, body, width, height), notes


def _histogram(caption: str, logged: Chart, width: int, height: int) -> tuple[str, list[str]]:
    values = _numbers(logged.column("value"))
    finite = values[np.isfinite(values)]
    if not len(finite):
        return _frame(caption, "", width, height), ["no finite values"]
    counts, edges = np.histogram(finite, bins=min(HISTOGRAM_BINS, max(1, len(np.unique(finite)))))
    bottom, top = height - 14, PAD
    step = (width - 2 * PAD) / len(counts)
    body = "".join(
        f'<rect x="{PAD + i * step:.1f}" y="{bottom - (bottom - top) * c / counts.max():.1f}" '
        f'width="{max(step - 1, 0.5):.1f}" height="{(bottom - top) * c / counts.max():.1f}" fill="{PALETTE[0]}">'
        f"<title>{html.escape(fmt(float(edges[i])))} … {html.escape(fmt(float(edges[i + 1])))}: {int(c)}</title></rect>"
        for i, c in enumerate(counts))
    body += (f'<text x="{PAD}" y="{height - 3}" font-size="9" fill="#777">{html.escape(fmt(float(edges[0])))}</text>'
             f'<text x="{width - PAD}" y="{height - 3}" font-size="9" fill="#777" text-anchor="end">'
             f"{html.escape(fmt(float(edges[-1])))}</text>")
    return _frame(caption, body, width, height), [f"{len(finite):,} values, max {int(counts.max())} per bin"]


def _confusion(caption: str, logged: Chart, width: int, height: int) -> tuple[str, list[str]]:
    actual, predicted = logged.column("actual"), logged.column("predicted")
    counts = _numbers(logged.column("count"))
    classes = list(dict.fromkeys([*actual, *predicted]))  # in the table's order: W&B's class order
    notes = [f"the first {MAX_CLASSES} of {len(classes)} classes"] if len(classes) > MAX_CLASSES else []
    classes = classes[:MAX_CLASSES]
    where = {c: i for i, c in enumerate(classes)}
    n = len(classes)
    matrix = np.zeros((n, n))
    for a, p, c in zip(actual, predicted, counts, strict=True):
        if a in where and p in where and math.isfinite(c):
            matrix[where[a], where[p]] += c
    labelled = n <= 20
    left = 60 if labelled else PAD
    side = min(width - left - PAD, height - (14 if labelled else 0) - 2 * PAD) / max(n, 1)
    peak = matrix.max() or 1.0
    body = ""
    for i in range(n):
        for j in range(n):
            value = matrix[i, j]
            x, y = left + j * side, PAD + i * side
            body += (f'<rect x="{x:.1f}" y="{y:.1f}" width="{side:.1f}" height="{side:.1f}" fill="{PALETTE[0]}" '
                     f'fill-opacity="{0.06 + 0.94 * value / peak:.2f}" stroke="#fff" stroke-width="0.5">'
                     f"<title>{html.escape(_short(classes[i]))} → {html.escape(_short(classes[j]))}: "
                     f"{html.escape(fmt(float(value)))}</title></rect>")
            if n <= CELL_TEXT_CLASSES:
                color = "#fff" if value / peak > 0.5 else "#333"
                body += (f'<text data-cell="{i},{j}" x="{x + side / 2:.1f}" y="{y + side / 2 + 3:.1f}" '
                         f'font-size="9" text-anchor="middle" fill="{color}">{html.escape(fmt(float(value)))}</text>')
        if labelled:
            body += (f'<text x="{left - 3}" y="{PAD + (i + 0.5) * side + 3:.1f}" font-size="9" text-anchor="end" '
                     f'fill="#555">{html.escape(_short(classes[i], 10))}</text>')
    if labelled:
        body += "".join(f'<text x="{left + (j + 0.5) * side:.1f}" y="{PAD + n * side + 11:.1f}" font-size="9" '
                        f'text-anchor="middle" fill="#555">{html.escape(_short(classes[j], max(2, int(side / 6))))}'
                        "</text>" for j in range(n))
    return _frame(caption, body, width, height), notes


_DRAW: dict[str, Callable[[str, Chart, int, int], tuple[str, list[str]]]] = {
    **dict.fromkeys(LINES, _lines), "scatter": _scatter, "bar": _bar, "histogram": _histogram,
    "confusion_matrix": _confusion}


# -- helpers ------------------------------------------------------------------------------------------------
def _frame(caption: str, body: str, width: int, height: int) -> str:
    return (f'<figure style="margin:0"><figcaption style="font-size:11px">{html.escape(caption)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="border:1px solid #ddd">{body}</svg></figure>')


def _numbers(values: Sequence[Any]) -> Any:
    """Values as float64, NaN where a value is not a number (text, None)."""
    return np.array([float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) else np.nan
                     for v in values], dtype=np.float64)


def _evenly(n: int, limit: int) -> Any:
    """Indexes of at most ``limit`` of ``n`` items, evenly spaced, first and last included."""
    return np.arange(n) if n <= limit else np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def _short(value: Any, limit: int = 14) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- what the widgets send ----------------------------------------------------------------------------------
def is_chart(value: Any) -> bool:
    """Whether a summary value is a logged ``jt.plot`` chart (the store keeps the latest one per key)."""
    return isinstance(value, dict) and value.get("_type") == "chart"


def compare_charts(runs: Sequence[Any], entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The compare widget's small multiples: each chart key that two or more of ``runs`` (stored runs, in
    ``entries``' order: their id, name, colour) logged, with each run's latest chart of it as HTML — at most
    :data:`COMPARE_KEYS` keys and :data:`COMPARE_RUNS` runs per key, so the saved state stays small."""
    logged = [{k: v for k, v in r.summary.items() if is_chart(v)} for r in runs[:len(entries)]]
    keys = sorted({k for charts in logged for k in charts},
                  key=lambda k: (-sum(k in charts for charts in logged), k))
    out = []
    for key in [k for k in keys if sum(k in charts for charts in logged) >= min(2, len(runs))][:COMPARE_KEYS]:
        shown = [(r, e, charts[key]) for r, e, charts in zip(runs, entries, logged, strict=False) if key in charts]
        out.append({"key": key, "runs": len(shown), "charts": [
            {"id": e["id"], "name": e["name"], "color": e["color"],
             "html": chart_html(key, Chart.from_logged(data, r.store.blobs.read_bytes), *COMPARE_SIZE,
                                caption=str(e["name"]))}
            for r, e, data in shown[:COMPARE_RUNS]]})
    return out
