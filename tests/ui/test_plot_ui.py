"""``wandb.plot`` charts in real JupyterLab + Chromium: drawn in the run detail panel's Media tab (from the
chart's table, by the labextension) and in the live run panel while the cell still runs (SVG from the kernel)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as wandb
from tests.conftest import wait_for
from tests.ui.conftest import NOTEBOOK, Lab, open_sidebar, run_cell, write_notebook
from tests.ui.test_detail_ui import open_run

pytestmark = pytest.mark.slow

HOSTILE = "<img src=x onerror=alert(1)>"


def test_detail_media_tab_draws_each_chart_kind(lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    probas = rng.dirichlet([1, 1, 1], 200)
    run = wandb.init(project="ui-plots", display=False)
    table = wandb.Table(data=[[i, i * i, "sq"] for i in range(10)] + [[i, 2 * i, "lin"] for i in range(10)],
                        columns=["x", "y", "kind"])
    run.log({
        "line": wandb.plot.line(table, "x", "y", stroke="kind", title="Growth"),
        "scatter": wandb.plot.scatter(wandb.Table(data=rng.normal(size=(50, 2)).tolist(), columns=["a", "b"]),
                                      "a", "b"),
        "bar": wandb.plot.bar(wandb.Table(data=[["car", 0.5], [HOSTILE, 0.9]], columns=["c", "acc"]), "c", "acc"),
        "histogram": wandb.plot.histogram(wandb.Table(data=[[v] for v in rng.normal(size=300)], columns=["v"]), "v"),
        "cm": wandb.plot.confusion_matrix(y_true=y, probs=probas, class_names=["cat", "dog", HOSTILE]),
        "roc": wandb.plot.roc_curve(y, probas, labels=["cat", "dog", "bird"]),
    })
    run.finish()
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    lab.home(page)
    open_sidebar(page, "ui-plots")
    panel = open_run(page, run.id)
    page.click(f'{panel} .jt-detail-tab[data-tab="media"]')

    def plot(key: str, kind: str) -> str:
        selector = f'{panel} .jt-media[data-key="{key}"] .jt-plot[data-chart="{kind}"]'
        page.wait_for_selector(selector, timeout=20_000)
        return selector

    # lines: one line per stroke value, every point drawn, on the shared axes (round ticks)
    line = plot("line", "line")
    drawn = lambda selector: json.loads(page.get_attribute(f"{selector} canvas", "data-lines"))  # noqa: E731
    assert drawn(line) == [["sq", 10], ["lin", 10]]
    assert page.inner_text(f"{line} .jt-lc-title") == "Growth"
    assert page.get_attribute(f"{line} canvas", "aria-label") == "Growth: x 0, 2, 4, 6, 8; value 0, 20, 40, 60, 80"
    roc = plot("roc", "roc_curve")
    assert [name for name, _ in drawn(roc)] == ["cat", "dog", "bird"]
    assert "x: False positive rate · y: True positive rate" in page.inner_text(roc)
    # scatter, bars, histogram bins, confusion-matrix cells
    scatter = plot("scatter", "scatter")
    assert page.get_attribute(scatter, "data-drawn") == "50"
    xs, ys = (page.get_attribute(f"{scatter} canvas", "aria-label") or "").split("; ")
    assert len(xs.split(", ")) >= 3 and len(ys.split(", ")) >= 3, (xs, ys)  # ticks on both axes
    page.locator(scatter).screenshot(path=str(tmp_path / "detail-scatter.png"))
    bar = plot("bar", "bar")
    assert page.get_attribute(bar, "data-drawn") == "2" and page.locator(f"{bar} rect.jt-plot-mark").count() == 2
    assert int(page.get_attribute(plot("histogram", "histogram"), "data-drawn")) == 20
    cm = plot("cm", "confusion_matrix")
    assert page.get_attribute(cm, "data-drawn") == "9"
    counts = page.eval_on_selector_all(f"{cm} .jt-plot-count", "ts => ts.map(t => Number(t.textContent))")
    assert sum(counts) == 200 and len(counts) == 9
    # a hostile class name is text, in the bars and the matrix alike
    assert page.locator(f"{panel} img").count() == 0 and alerts == []
    assert HOSTILE[:12] in page.inner_text(bar)
    page.screenshot(path=str(tmp_path / "detail_plots.png"), full_page=True)


# The cell logs charts while it runs, waits for stop.txt (the test has seen them drawn), logs the confusion
# matrix again with other counts, and finishes.
LOOP = """\
import os, time
import jupyter_track as wandb
run = wandb.init(project="ui-live-plots", name="live-plots")
run.log({"loss": 1.0, "cm": wandb.plot.confusion_matrix(y_true=[0, 1, 1], preds=[0, 1, 0], class_names=["a", "b"]),
         "ls": wandb.plot.line_series([0, 1, 2], [[0, 1, 4], [0, 2, 3]], keys=["p", "q"], xname="epoch")})
for _ in range(1200):
    if os.path.exists("stop.txt"):
        break
    run.log({"loss": 0.5})
    time.sleep(0.05)
run.log({"cm": wandb.plot.confusion_matrix(y_true=[0, 0, 0, 1], preds=[0, 0, 0, 1], class_names=["a", "b"])})
run.finish()
open("done.txt", "w").write("done")"""


def test_live_panel_shows_logged_charts_while_the_cell_runs(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "plots.ipynb", LOOP)
    lab.open(page, "plots.ipynb")
    run_cell(page)
    cm = f'{NOTEBOOK} .jt-logged-box[data-key="cm"]'
    page.wait_for_selector(f'{cm} [data-chart="confusion_matrix"] svg', timeout=30_000)
    assert "*" in page.inner_text(f"{NOTEBOOK} .jp-InputPrompt")  # drawn while the cell still runs
    assert page.get_attribute(cm, "data-step") == "0"
    texts = page.eval_on_selector_all(f"{cm} svg text[data-cell]", "ts => ts.map(t => t.textContent)")
    assert texts[:4] == ["1", "0", "1", "1"]  # (a, a) (a, b) (b, a) (b, b)
    assert page.locator(f'{NOTEBOOK} .jt-logged-box[data-key="ls"] polyline').count() == 2
    (lab.root / "stop.txt").write_text("")
    page.wait_for_selector(f"{NOTEBOOK} .jt-badge[data-state='finished']", timeout=30_000)
    assert wait_for(lambda: (lab.root / "done.txt").exists(), timeout=30)
    page.wait_for_function(f"() => document.querySelector('{cm}')?.dataset.step !== '0'", timeout=10_000)
    texts = page.eval_on_selector_all(f"{cm} svg text[data-cell]", "ts => ts.map(t => t.textContent)")
    assert texts[:4] == ["3", "0", "0", "1"]  # the latest confusion matrix
    page.screenshot(path=str(tmp_path / "live_plots.png"))


COMPARE = """\
import jupyter_track as wandb
for n, preds in enumerate([[0, 1, 1], [1, 1, 1]]):
    run = wandb.init(project="ui-cmp-plots", name=f"run-{n}", display=False)
    run.log({"acc": n, "cm": wandb.plot.confusion_matrix(y_true=[0, 1, 1], preds=preds, class_names=["a", "b"])})
    run.finish()
wandb.compare(project="ui-cmp-plots")"""


def test_compare_shows_each_runs_chart_side_by_side(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "compare.ipynb", COMPARE)
    lab.open(page, "compare.ipynb")
    run_cell(page)
    row = f"{NOTEBOOK} .jt-compare .jt-cmp-charts[data-key='cm']"
    page.wait_for_selector(f"{row} svg", timeout=60_000)
    boxes = page.locator(f"{row} .jt-cmp-logged")
    assert boxes.count() == 2
    colours = page.eval_on_selector_all(f"{row} .jt-cmp-logged", "bs => bs.map(b => b.style.borderColor)")
    assert len(set(colours)) == 2  # each run's own colour
    cells = page.eval_on_selector_all(f"{row} .jt-cmp-logged", "bs => bs.map(b => [...b.querySelectorAll("
                                      "'text[data-cell]')].map(t => t.textContent).join(' '))")
    assert sorted(cells) == ["0 1 0 2", "1 0 0 2"]  # run-1 predicted b everywhere; run-0 was right
    page.screenshot(path=str(tmp_path / "compare_plots.png"))
