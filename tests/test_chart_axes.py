"""Axes of every chart: round ticks with gridlines in the saved (static SVG) charts, chosen by the same rule as
the live charts' (widgets/static/chart_core.js, run by node here)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import jupyter_track as jt


def test_static_chart_has_round_ticks_and_gridlines_clear_of_every_curve() -> None:
    # the min … max label used to be drawn over the plot, across the curves' low points; now: round ticks
    from jupyter_track.widgets.static_view import HEIGHT, LABELS, LEFT, chart

    svg = chart("loss", [("#000", list(range(50)), [1 / (s + 1) for s in range(50)], None, None)])
    points = [tuple(map(float, p.split(","))) for line in re.findall(r'points="([^"]+)"', svg) for p in line.split()]
    texts = re.findall(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*text-anchor="(\w+)">([^<]*)</text>', svg)
    x_labels = [t for x, y, anchor, t in texts if anchor == "middle"]
    y_labels = [t for x, y, anchor, t in texts if anchor == "end"]
    assert x_labels == ["0", "20", "40"] and y_labels == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert all(float(y) > HEIGHT - LABELS for x, y, anchor, _ in texts if anchor == "middle")
    assert all(float(x) < LEFT for x, y, anchor, _ in texts if anchor == "end")
    assert min(x for x, _ in points) >= LEFT and max(y for _, y in points) <= HEIGHT - LABELS
    assert svg.count("M") >= len(x_labels) + len(y_labels)  # a gridline per tick


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (CI has node 20)")
def test_saved_and_live_charts_choose_the_same_ticks() -> None:
    # the static SVG (Python) and the live charts (static/chart_core.js) follow one rule
    from jupyter_track.widgets.static_view import nice_ticks, tick_text

    cases = [(0, 1, 4), (0.0013, 0.0021, 3), (0, 199_999, 3), (-3, 7, 5), (1e-6, 5e-6, 3), (12, 12.5, 3),
             (0, 2.5e6, 3), (1000, 26_000, 4), (-0.5, -0.1, 4), (3, 3, 5)]
    core = Path(jt.__file__).parent / "widgets" / "static" / "chart_core.js"
    script = (f"import {{ niceTicks, tickText }} from {json.dumps(core.as_uri())};\n"
              f"console.log(JSON.stringify({json.dumps(cases)}.map(([lo, hi, n]) => {{\n"
              "  const t = niceTicks(lo, hi, n); return t.ticks.map((v) => tickText(v, t.step)); })));")
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    python = [[tick_text(v, step) for v in ticks] for ticks, step in (nice_ticks(*c) for c in cases)]
    assert json.loads(done.stdout) == python
    assert python[2] == ["0", "50k", "100k", "150k"] and python[4] == ["1e-6", "2e-6", "3e-6", "4e-6", "5e-6"]
