"""A run's charts as self-contained HTML/SVG: what a saved notebook shows where no widget can run (GitHub,
nbviewer, ``jupyter nbconvert --to html``, VS Code without the kernel, or JupyterLab after a restart when widget
state was not saved, its default; Notebook 7 shares JupyterLab's output area and widget manager).

Every widget of ours is displayed as two outputs: the widget view, then its static rendering wrapped by
:func:`fallback`. The fallback's own ``<style>`` makes the pair show one thing: the widget where it renders, the
static view where the widget's model is gone (JupyterLab's "Error displaying widget: model not found" is hidden
then). Its charts travel as images (``<img src="data:image/svg+xml,…">``), not inline SVG: JupyterLab sanitises
the HTML of an untrusted notebook (one it did not run or save itself, e.g. downloaded or run by nbclient), which
drops ``<svg>`` and ``<style>`` but keeps images. There the widget output shows nothing (only a trusted output
may use the widget renderer: JupyterLab falls back to the empty ``text/plain``) and the static view, charts
included, is all that is seen.
"""

from __future__ import annotations

import html
import math
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

WIDTH, HEIGHT, PAD = 240, 110, 4
LABELS = 12  # px under the plot for the step ticks' labels: labels never cross a curve
LEFT = 34  # px left of the plot for the value ticks' labels
MAX_CHARTS = 24
LINE = "#1f77b4"
# JupyterLab (and Notebook 7, built on it) puts each output in a .jp-OutputArea-child. The widget renderer there
# (a Lumino widget) marks its output node with the class jupyter-widgets only when it shows an error instead of the view
# ("Error displaying widget: model not found"); a view that rendered holds our root (.jt-panel, .jt-compare,
# .jt-table), as it does in nbconvert's HTML when the widget manager loads there (whose output nodes are no
# Lumino widgets: a rendered view there is never hidden).
# (:has() does not nest: the first rule names the fallback's output by a descendant combinator instead.)
# VS Code puts a cell's outputs in one .cell_container of its output webview, an HTML output's markup inserted as is
# (so this <style> applies there too), and marks the node of a widget it renders .cell-output-ipywidget-background
# (microsoft/vscode-jupyter, ipywidgets/renderer); a widget whose model is gone falls back to the next type of its
# output (our empty text/plain). The third rule hides the fallback beside a rendered view there; nothing of it
# matches in JupyterLab, and it is written from VS Code's sources, not tried in VS Code.
_CHILD = ".jp-OutputArea-child"
_VIEW = ":is(.jt-panel, .jt-compare, .jt-table)"
FALLBACK_STYLE = (
    f"<style>{_CHILD}:has(> .lm-Widget.jp-OutputArea-output.jupyter-widgets):has(+ {_CHILD} .jt-fallback)"
    " {display: none}"
    f"{_CHILD}:has({_VIEW}) + {_CHILD}:has(.jt-fallback) {{display: none}}"
    f".cell_container:has(.cell-output-ipywidget-background {_VIEW}) .jt-fallback {{display: none}}</style>"
)


def fallback(body: str) -> str:
    """``body`` (static HTML) as the output that follows a widget view and stands in for it where it cannot
    render, its SVG charts made images (:func:`svg_images`); see the module's docstring."""
    return f'<div class="jt-fallback">{FALLBACK_STYLE}{svg_images(body)}</div>'


_SVG = re.compile(r"<svg\b([^>]*)>(.*?)</svg>", re.S)  # ours never nest
_ATTRIBUTE = re.compile(r'\s(width|height|style)="([^"]*)"')
_TITLE = re.compile(r"^<title>(.*?)</title>", re.S)


def svg_images(body: str) -> str:
    """Every inline ``<svg>`` of ``body`` (HTML we made) as an ``<img>`` of it: a data URL, percent-encoded (a
    few % larger than the SVG, base64 would be a third larger). Its size and style (the frame) move to the
    image, a leading ``<title>`` becomes the image's tooltip; text is drawn in a sans-serif font (an image does
    not inherit the page's)."""
    def image(match: re.Match[str]) -> str:
        attributes, inner = match.groups()
        kept = dict(_ATTRIBUTE.findall(attributes))
        style = kept.pop("style", "")
        size = "".join(f' {k}="{v}"' for k, v in kept.items())
        svg = f'<svg{_ATTRIBUTE.sub("", attributes)}{size} font-family="sans-serif">{inner}</svg>'
        # SVG text is escaped already (no raw " in it): its attribute quotes become ', which need no escaping
        url = urllib.parse.quote(svg.replace('"', "'"), safe=" '=:/,;()")
        title = _TITLE.match(inner)
        tip = f' title="{title.group(1)}"' if title else ""
        return (f'<img src="data:image/svg+xml;charset=utf-8,{url}" alt="chart"{size}{tip} '
                f'style="vertical-align:top;{style}">')

    return _SVG.sub(image, body)


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
    end a line (a gap, not a spike); a band is drawn as a shaded polygon behind its line. Gridlines and tick
    labels follow the live charts' rule (static/chart_core.js: :func:`nice_ticks`, :func:`tick_text`)."""
    pts = [(float(s), float(v)) for _, st, *arrays in lines for arr in arrays if arr is not None
           for s, v in zip(st, arr, strict=False) if v is not None and math.isfinite(float(v))]
    body = ""
    if pts:
        axes = Axes((min(p[0] for p in pts), max(p[0] for p in pts)), (min(p[1] for p in pts),
                    max(p[1] for p in pts)), width, height)
        body += axes.grid

        def at(s: Any, v: Any) -> str:
            return f"{axes.px(float(s)):.1f},{axes.py(float(v)):.1f}"

        for color, steps, values, lo, hi in lines:
            c = html.escape(color)
            if lo is not None and hi is not None:
                upper = [at(s, v) for s, v in zip(steps, hi, strict=False) if v is not None]
                lower = [at(s, v) for s, v in zip(steps, lo, strict=False) if v is not None]
                band = " ".join(upper + lower[::-1])
                body += f'<polygon fill="{c}" fill-opacity="0.2" stroke="none" points="{band}"/>'
            runs: list[list[str]] = [[]]
            for s, v in zip(steps, values, strict=False):
                if v is not None and math.isfinite(float(v)):
                    runs[-1].append(at(s, v))
                elif runs[-1]:
                    runs.append([])
            body += "".join(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{" ".join(r)}"/>'
                            for r in runs if r)
        body += axes.labels
    return (f'<figure style="margin:0"><figcaption style="font-size:11px">{html.escape(key)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'style="border:1px solid #ddd">{body}</svg></figure>')


class Axes:
    """The frame, gridlines and tick labels of one saved SVG chart over the data ranges ``x`` and ``y``:
    ``grid`` goes under the marks, ``labels`` over them; ``px``/``py`` map data to pixels (y kept 4 % clear
    of the frame, as the live charts do).

    Example::

        axes = Axes((0, 99), (0.1, 2.3), WIDTH, HEIGHT)
        svg = axes.grid + f'<circle cx="{axes.px(50)}" cy="{axes.py(1.0)}" r="2"/>' + axes.labels
    """

    def __init__(self, x: tuple[float, float], y: tuple[float, float], width: int, height: int) -> None:
        x0, x1 = x[0], (x[1] if x[1] > x[0] else x[0] + 1)
        y0, y1 = y
        if y1 == y0:
            y0, y1 = y0 - (abs(y0) * 0.05 or 0.5), y1 + (abs(y1) * 0.05 or 0.5)
        pad = (y1 - y0) * 0.04
        self.x, self.y = (x0, x1), (y0 - pad, y1 + pad)
        self.left, self.top, self.right, self.bottom = LEFT, PAD, width - PAD, height - LABELS
        xt, x_step = nice_ticks(x0, x1, 3)
        yt, y_step = nice_ticks(*self.y, 4)
        lines = "".join(f"M{self.px(v):.1f} {self.top}V{self.bottom}" for v in xt) + "".join(
            f"M{self.left} {self.py(v):.1f}H{self.right}" for v in yt)
        self.grid = (f'<path d="{lines}" stroke="#888" stroke-opacity="0.2" fill="none"/>'
                     f'<rect x="{self.left}" y="{self.top}" width="{self.right - self.left}" '
                     f'height="{self.bottom - self.top}" fill="none" stroke="#888" stroke-opacity="0.5"/>')
        self.labels = "".join(
            f'<text x="{self.left - 3}" y="{self.py(v) + 3:.1f}" font-size="9" fill="#777" text-anchor="end">'
            f"{html.escape(tick_text(v, y_step))}</text>" for v in yt) + "".join(
            f'<text x="{self.px(v):.1f}" y="{height - 2}" font-size="9" fill="#777" text-anchor="middle">'
            f"{html.escape(tick_text(v, x_step))}</text>" for v in xt)

    def px(self, v: float) -> float:
        return self.left + (v - self.x[0]) / (self.x[1] - self.x[0]) * (self.right - self.left)

    def py(self, v: float) -> float:
        return self.top + (1 - (v - self.y[0]) / (self.y[1] - self.y[0])) * (self.bottom - self.top)


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], float]:
    """About ``count`` round ticks inside [lo, hi] (steps of 1, 2 or 5 × 10^k) and their step, as the live
    charts choose them (``niceTicks`` in static/chart_core.js).

    Example::

        nice_ticks(0, 1, 4)   # ([0, 0.2, 0.4, 0.6, 0.8, 1.0], 0.2)
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [], 1.0
    if not hi > lo:
        hi = lo + (abs(lo) or 1)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    norm = raw / mag
    step = (1 if norm < 1.5 else 2 if norm < 3 else 5 if norm < 7 else 10) * mag
    first = math.ceil(lo / step - 1e-9)
    ticks: list[float] = []
    while (first + len(ticks)) * step <= hi + step * 1e-9:
        i = first + len(ticks)
        ticks.append(0.0 if i == 0 else float(f"{i * step:.12g}"))
    return ticks, step


def tick_text(value: float, step: float) -> str:
    """A tick's label: the decimals its step needs, thousands as ``k``, very large or small as exponents
    (``tickText`` in static/chart_core.js)."""
    if value == 0:
        return "0"
    a = abs(value)
    if a >= 1e6 or a < 1e-4:
        exponent = math.floor(math.log10(a))
        digits = min(3, max(0, -math.floor(math.log10(step / 10 ** exponent) + 1e-9)))
        return f"{value / 10 ** exponent:.{digits}f}e{exponent}"
    if a >= 1e4 and step >= 100:
        thousands = f"{value / 1000:.{max(0, -math.floor(math.log10(step / 1000) + 1e-9))}f}"
        return (thousands.rstrip("0").rstrip(".") if "." in thousands else thousands) + "k"
    return f"{value:.{min(10, max(0, -math.floor(math.log10(step) + 1e-9)))}f}"


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.5g}"
    return str(value)
