"""A run's charts as self-contained HTML/SVG: what a saved notebook shows where no widget can run (GitHub,
nbviewer, ``jupyter nbconvert --to html``)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

WIDTH, HEIGHT, PAD = 240, 110, 4
MAX_CHARTS = 24


def render_html(title: str, state: str, series: Mapping[str, tuple[Any, Any]], summary: Mapping[str, Any]) -> str:
    """Small multiples, one SVG line chart per key (``series``: key → (steps, values)); all text escaped."""
    charts = [_chart(key, steps, values) for key, (steps, values) in list(series.items())[:MAX_CHARTS]]
    stats = " · ".join(f"{html.escape(str(k))}: {html.escape(_fmt(v))}" for k, v in list(summary.items())[:24])
    more = len(series) - MAX_CHARTS
    return (
        '<div class="jt-static" style="font:12px sans-serif">'
        f"<div><b>{html.escape(title)}</b> · {html.escape(state)}</div>"
        f'<div style="color:#555;margin:2px 0 4px">{stats}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:6px">{"".join(charts)}</div>'
        + (f"<div>… and {more} more metrics</div>" if more > 0 else "")
        + "</div>"
    )


def _chart(key: str, steps: Any, values: Any) -> str:
    points = [(float(s), float(v)) for s, v in zip(steps, values, strict=True)]
    finite = [(s, v) for s, v in points if math.isfinite(v)]
    body = ""
    if finite:
        x0, x1 = min(s for s, _ in finite), max(s for s, _ in finite)
        y0, y1 = min(v for _, v in finite), max(v for _, v in finite)
        x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

        def at(s: float, v: float) -> str:
            x = PAD + (s - x0) / (x1 - x0) * (WIDTH - 2 * PAD)
            y = PAD + (1 - (v - y0) / (y1 - y0)) * (HEIGHT - 2 * PAD)
            return f"{x:.1f},{y:.1f}"

        runs: list[list[str]] = [[]]
        for s, v in points:  # NaN/inf end a line: gaps, not spikes
            if math.isfinite(v):
                runs[-1].append(at(s, v))
            elif runs[-1]:
                runs.append([])
        body = "".join(f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{" ".join(r)}"/>'
                       for r in runs if r)
        body += (f'<text x="{PAD}" y="{HEIGHT - 2}" font-size="9" fill="#777">'
                 f"{html.escape(_fmt(y0))} … {html.escape(_fmt(y1))}</text>")
    return (f'<figure style="margin:0"><figcaption style="font-size:11px">{html.escape(key)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'style="border:1px solid #ddd">{body}</svg></figure>')


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.5g}"
    return str(value)
