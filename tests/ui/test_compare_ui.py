"""The compare widget in JupyterLab: brushing an axis highlights runs everywhere, the legend hides a run's
curve, a table header sorts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import NOTEBOOK, Lab, run_cell, switch_to_dark_theme, write_notebook

pytestmark = pytest.mark.slow

CELL = """\
import jupyter_track as jt
for i in range(12):
    run = jt.init(project="ui-cmp", name=f"run-{i:02d}", display=False,
                  config={"lr": 10.0 ** -(1 + i % 4), "width": 16 * (1 + i % 3), "opt": ["adam", "sgd"][i % 2]})
    for step in range(500):
        run.log({"loss": 1 / (1 + step * run.config.lr), "acc": step / 500 * (i + 1) / 12})
    run.finish()
jt.compare(project="ui-cmp")"""

PANEL = NOTEBOOK  # the widget is a cell output


def _selected(page: Any, selector: str) -> list[int]:
    return sorted(page.eval_on_selector_all(
        f"{PANEL} {selector}[data-selected='true']", "ns => ns.map(n => Number(n.dataset.run))"))


def brush_axis_top(page: Any, col: int) -> None:
    """Drag down the top 30 % of parallel-coordinates axis ``col``, starting just inside its end."""
    hit = page.locator(f"{PANEL} .jt-cmp-axis[data-col='{col}'] .jt-cmp-hit")
    box = hit.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 2)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * 0.15, steps=5)
    page.mouse.move(x, box["y"] + box["height"] * 0.3, steps=5)
    page.mouse.up()


def test_brush_highlights_runs_legend_hides_and_header_sorts(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "compare.ipynb", CELL)
    lab.open(page, "compare.ipynb")
    run_cell(page)
    page.wait_for_selector(f"{PANEL} .jt-compare[data-curves='loaded']", timeout=60_000)
    assert page.locator(f"{PANEL} .jt-cmp-line").count() == 12
    assert _selected(page, ".jt-cmp-line") == []  # nothing brushed: nothing dimmed

    # brush the top of the lr axis (a linear axis from 1e-4 to 0.1), from just above its end: the lr=0.1 runs
    brush_axis_top(page, 0)
    page.wait_for_selector(f"{PANEL} .jt-compare[data-selected-count='3']", timeout=10_000)
    want = [0, 4, 8]
    assert _selected(page, ".jt-cmp-line") == want
    assert _selected(page, ".jt-cmp-table tbody tr") == want
    assert _selected(page, ".jt-cmp-scatter-plot circle") == want
    assert _selected(page, ".jt-cmp-run") == want
    assert page.locator(f"{PANEL} .jt-cmp-table tbody tr[data-selected='false']").count() == 9

    # legend: clicking run-01 takes its curve off every chart; clicking again brings it back
    canvas = f"{PANEL} .jt-cmp-chart canvas"
    drawn = page.eval_on_selector_all(canvas, "cs => cs.map(c => c.dataset.drawnRuns.split(',').map(Number))")
    assert all(1 in d and len(d) == 12 for d in drawn)
    page.click(f"{PANEL} .jt-cmp-run[data-run='1']")
    drawn = page.eval_on_selector_all(canvas, "cs => cs.map(c => c.dataset.drawnRuns.split(',').map(Number))")
    assert all(1 not in d and len(d) == 11 for d in drawn)
    assert page.get_attribute(f"{PANEL} .jt-cmp-run[data-run='1']", "data-hidden") == "true"
    page.click(f"{PANEL} .jt-cmp-run[data-run='1']")
    drawn = page.eval_on_selector_all(canvas, "cs => cs.map(c => c.dataset.drawnRuns.split(',').map(Number))")
    assert all(1 in d for d in drawn)

    # the table sorts by a header click (ascending, then descending)
    header = f"{PANEL} .jt-cmp-table th:text-is('width')"
    col = int(page.get_attribute(header, "data-col")) + 2  # 1-based, after the run name

    def column() -> list[float]:
        return [float(t) for t in page.eval_on_selector_all(
            f"{PANEL} .jt-cmp-table tbody tr td:nth-child({col})", "ts => ts.map(t => t.textContent)")]

    page.click(header)
    assert column() == sorted(column()) and len(set(column())) == 3
    assert page.get_attribute(header, "data-sort") == "asc"
    page.click(header)
    assert column() == sorted(column(), reverse=True)
    assert page.get_attribute(header, "data-sort") == "desc"
    # the static fallback is in the output but hidden where the widget renders
    assert page.locator(f"{PANEL} .jt-compare-static").count() == 1
    assert not page.locator(f"{PANEL} .jt-compare-static").is_visible()
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)


def test_charts_have_round_ticks_a_crosshair_that_leaves_and_keep_their_ticks_after_a_theme_switch(
        lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "axes.ipynb", """\
import jupyter_track as jt
for i in range(3):
    with jt.init(project="ui-axes", name=f"lr-{i}", config={"lr": 0.1 * (i + 1)}, display=False) as run:
        for step in range(1, 401):
            run.log({"loss": 2.0 / (1 + step * run.config.lr)})
jt.compare(project="ui-axes")""")
    lab.open(page, "axes.ipynb")
    run_cell(page)
    page.wait_for_selector(f"{PANEL} .jt-compare[data-curves='loaded']", timeout=60_000)
    canvas = page.locator(f"{PANEL} .jt-cmp-chart canvas[data-metric='loss']")

    def ticks() -> tuple[list[str], list[str]]:
        label = canvas.get_attribute("aria-label") or ""
        steps, values = label.removeprefix("loss: step ").split("; value ")
        return steps.split(", "), values.split(", ")

    steps, values = ticks()
    assert steps[:3] == ["0", "100", "200"] and len(values) >= 4, (steps, values)  # round ticks, not min/max
    assert page.locator(f"{PANEL} .jt-cmp-scatter-plot .jt-cmp-ticks text").count() >= 4

    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tip = page.locator(f"{PANEL} .jt-chart-tip").first
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert text.startswith("step ") and all(f"lr-{i}:" in text for i in range(3)), text
    page.screenshot(path=str(tmp_path / "compare-crosshair.png"))
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] - 40)  # off the chart: the tooltip goes
    tip.wait_for(state="hidden", timeout=5_000)

    light_ink = canvas.get_attribute("data-ink")
    switch_to_dark_theme(page)
    page.wait_for_function(
        "([sel, ink]) => document.querySelector(sel).dataset.ink !== ink",
        arg=[f"{PANEL} .jt-cmp-chart canvas[data-metric='loss']", light_ink], timeout=10_000)
    page.wait_for_timeout(1_500)  # the last of the redraws that follow a theme switch
    red, green, blue = (float(x) for x in re.findall(r"[\d.]+", canvas.get_attribute("data-ink") or "")[:3])
    assert min(red, green, blue) > 150, canvas.get_attribute("data-ink")  # light ink on the dark background
    assert ticks() == (steps, values)  # redrawn in the dark theme's ink, every tick still there
    page.screenshot(path=str(tmp_path / "compare-dark.png"))


def test_without_scikit_learn_the_importance_table_names_its_figure_and_says_why(lab: Lab, page: Any) -> None:
    blocked = 'import sys\nsys.modules["sklearn"] = None  # the [importance] extra is not installed\n'
    write_notebook(lab.root / "no_sklearn.ipynb", blocked + CELL.replace("ui-cmp", "ui-cmp-eta"))
    lab.open(page, "no_sklearn.ipynb")
    run_cell(page)
    page.wait_for_selector(f"{PANEL} .jt-cmp-imp tr:nth-child(2)", timeout=60_000)
    heads = page.eval_on_selector_all(f"{PANEL} .jt-cmp-imp th", "ths => ths.map(t => t.textContent)")
    assert heads == ["parameter", "ε² (variance explained alone)", "Spearman", "Pearson"], heads
    note = page.inner_text(f"{PANEL} .jt-cmp-importance .jt-cmp-note")
    assert "fANOVA needs scikit-learn" in note and "pip install 'jupyter_track[importance]'" in note, note
