"""A run's charts as self-contained HTML/SVG: what a saved notebook shows where no widget can run (GitHub,
nbviewer, ``jupyter nbconvert --to html``, or JupyterLab after a restart when widget state was not saved, its
default; Notebook 7 shares JupyterLab's output area and widget manager).

Every widget of ours is displayed as two outputs: the widget view, then its static rendering wrapped by
:func:`fallback`. The fallback's own ``<style>`` makes the pair show one thing: the widget where it renders, the
static view where the widget's model is gone (JupyterLab's "Error displaying widget: model not found" is hidden
then). Viewers that drop the style (an untrusted notebook) show both; viewers without widgets show the static one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

WIDTH, HEIGHT, PAD = 240, 110, 4
LABELS = 12  # px under the plot for the value and step ranges: labels never cross a curve
MAX_CHARTS = 24
LINE = "#1f77b4"
# JupyterLab (and Notebook 7, built on it) puts each output in a .jp-OutputArea-child. The widget renderer there
# (a Lumino widget) marks its output node with the class jupyter-widgets only when it shows an error instead of the view
# ("Error displaying widget: model not found"); a view that rendered holds our root (.jt-panel, .jt-compare,
# .jt-table), as it does in nbconvert's HTML when the widget manager loads there (whose output nodes are no
# Lumino widgets: a rendered view there is never hidden).
# (:has() does not nest: the first rule names the fallback's output by a descendant combinator instead.)
_CHILD = ".jp-OutputArea-child"
FALLBACK_STYLE = (
    f"<style>{_CHILD}:has(> .lm-Widget.jp-OutputArea-output.jupyter-widgets):has(+ {_CHILD} .jt-fallback)"
    " {display: none}"
    f"{_CHILD}:has(:is(.jt-panel, .jt-compare, .jt-table)) + {_CHILD}:has(.jt-fallback) {{display: none}}</style>"
)


def fallback(body: str) -> str:
    """``body`` (static HTML) as the output that follows a widget view and stands in for it where it cannot
    render; see the module's docstring."""
    return f'<div class="jt-fallback">{FALLBACK_STYLE}{body}</div>'


def show(widget: Any, static: str, display_id: bool = False) -> Any:
    """Display ``widget``, then ``static`` (HTML) as its :func:`fallback` in a second output; returns that
    output's display handle when ``display_id`` (to update it once the view is final), else None.

    The widget's ``text/plain`` is left empty: exporters show it where the widget state was not saved, and
    ``<…RunPanel object at 0x…>`` says nothing the static view does not say better.

    Example::

        handle = show(panel, "", display_id=True)   # a live panel: its static view comes when the run ends
        handle.update({"text/html": fallback(final_html)}, raw=True)
    """
    from IPython.display import display

    bundle = widget._repr_mimebundle_()
    data = (bundle[0] if isinstance(bundle, tuple) else bundle) or {}
    display({**data, "text/plain": ""}, raw=True)
    return display({"text/html": fallback(static)}, raw=True, display_id=display_id or None)


def render_html(title: str, state: str, series: Mapping[str, tuple[Any, Any]], summary: Mapping[str, Any],
                logged_charts: Sequence[str] = ()) -> str:
    """Small multiples, one SVG line chart per key (``series``: key → (steps, values)), then the charts the
    run logged with ``jt.plot`` (their HTML from :mod:`.chart_view`); all text escaped."""
    charts = [chart(key, [(LINE, steps, values, None, None)]) for key, (steps, values) in
              list(series.items())[:MAX_CHARTS]]
    stats = " · ".join(f"{html.escape(str(k))}: {html.escape(fmt(v))}" for k, v in list(summary.items())[:24])
    more = len(series) - MAX_CHARTS
    return (
        '<div class="jt-static" style="font:12px sans-serif">'
        f"<div><b>{html.escape(title)}</b> · {html.escape(state)}</div>"
        f'<div style="color:#555;margin:2px 0 4px">{stats}</div>'
        f'<div style="display:flex;flex-wrap:wrap;gap:6px">{"".join(charts)}</div>'
        + (f"<div>… and {more} more metrics</div>" if more > 0 else "")
        + (f'<div style="display:flex;flex-wrap:wrap;gap:6px;margin-top:6px">{"".join(logged_charts)}</div>'
           if logged_charts else "")
        + "</div>"
    )


def chart(key: str, lines: Sequence[tuple[str, Any, Any, Any, Any]], width: int = WIDTH, height: int = HEIGHT
          ) -> str:
    """One SVG line chart: ``lines`` of (colour, steps, values, band low or None, band high or None). NaN/inf
    end a line (a gap, not a spike); a band is drawn as a shaded polygon behind its line."""
    pts = [(float(s), float(v)) for _, st, *arrays in lines for arr in arrays if arr is not None
           for s, v in zip(st, arr, strict=False) if v is not None and math.isfinite(float(v))]
    body = ""
    if pts:
        x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
        y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
        x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

        def at(s: Any, v: Any) -> str:
            x = PAD + (float(s) - x0) / (x1 - x0) * (width - 2 * PAD)
            y = PAD + (1 - (float(v) - y0) / (y1 - y0)) * (height - 2 * PAD - LABELS)
            return f"{x:.1f},{y:.1f}"

        for color, steps, values, lo, hi in lines:
            c = html.escape(color)
            if lo is not None and hi is not None:
                top = [at(s, v) for s, v in zip(steps, hi, strict=False) if v is not None]
                bottom = [at(s, v) for s, v in zip(steps, lo, strict=False) if v is not None]
                band = " ".join(top + bottom[::-1])
                body += f'<polygon fill="{c}" fill-opacity="0.2" stroke="none" points="{band}"/>'
            runs: list[list[str]] = [[]]
            for s, v in zip(steps, values, strict=False):
                if v is not None and math.isfinite(float(v)):
                    runs[-1].append(at(s, v))
                elif runs[-1]:
                    runs.append([])
            body += "".join(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{" ".join(r)}"/>'
                            for r in runs if r)
        body += (f'<line x1="0" x2="{width}" y1="{height - LABELS}" y2="{height - LABELS}" stroke="#eee"/>'
                 f'<text x="{PAD}" y="{height - 2}" font-size="9" fill="#777">'
                 f"{html.escape(fmt(y0))} … {html.escape(fmt(y1))}</text>"
                 f'<text x="{width - PAD}" y="{height - 2}" font-size="9" fill="#777" text-anchor="end">'
                 f"step {html.escape(fmt(x0))} … {html.escape(fmt(x1))}</text>")
    return (f'<figure style="margin:0"><figcaption style="font-size:11px">{html.escape(key)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="border:1px solid #ddd">{body}</svg></figure>')


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.5g}"
    return str(value)
