"""The sweep view in JupyterLab: a cell running a grid sweep with jt.agent shows it; its header has the best
value; brushing a parallel-coordinates axis changes the highlighted runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Lab, run_cell, write_notebook
from tests.ui.test_compare_ui import PANEL, brush_axis_top

pytestmark = pytest.mark.slow

CELL = """\
import jupyter_track as jt
def train():
    with jt.init() as run:
        for step in range(50):
            run.log({"loss": jt.config.lr * jt.config.width + 1 / (step + 1)})
sweep_id = jt.sweep({"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
                     "parameters": {"lr": {"values": [0.1, 0.2, 0.3, 0.4]}, "width": {"values": [1, 2, 3]}}},
                    project="ui-sweep")
jt.agent(sweep_id, function=train)"""


def test_agent_shows_the_sweep_view_with_best_and_brushing(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "sweep.ipynb", CELL)
    lab.open(page, "sweep.ipynb")
    run_cell(page)
    head = f"{PANEL} .jt-sweep-head"
    page.wait_for_selector(f"{head}:has-text('12 trials (0 pruned)')", timeout=90_000)
    page.wait_for_selector(f"{head}:has-text('finished')", timeout=30_000)  # the agent's last refresh
    page.wait_for_selector(f"{PANEL} .jt-compare[data-curves='loaded']", timeout=60_000)
    text = page.inner_text(head)
    assert "best so far loss: 0.12 (" in text and "(grid, finished)" in text, text  # lr 0.1 × width 1 + 1/50
    assert page.locator(f"{PANEL} .jt-compare").count() == 1  # one view; no run panel per trial
    assert page.locator(f"{PANEL} .jt-cmp-line").count() == 12
    assert page.eval_on_selector(f"{PANEL} .jt-cmp-scatter select", "s => s.selectedOptions[0].text") == "trial"
    assert page.locator(f"{PANEL} .jt-cmp-line[data-selected='true']").count() == 0
    heads = page.eval_on_selector_all(f"{PANEL} .jt-cmp-imp th", "ths => ths.map(t => t.textContent)")
    assert heads == ["parameter", "fANOVA importance", "Spearman", "Pearson"], heads  # scikit-learn is installed

    # brush the top of the lr axis (column 1, after the trial number): the three lr=0.4 runs
    names = page.eval_on_selector_all(f"{PANEL} .jt-cmp-table thead th", "ths => ths.map(t => t.textContent)")
    assert names[:3] == ["run", "trial", "lr"], names
    brush_axis_top(page, 1)
    page.wait_for_selector(f"{PANEL} .jt-compare[data-selected-count='3']", timeout=10_000)
    lrs = page.eval_on_selector_all(f"{PANEL} .jt-cmp-table tbody tr[data-selected='true'] td:nth-child(3)",
                                    "ts => ts.map(t => t.textContent)")
    assert lrs == ["0.4"] * 3, lrs
    lines = page.eval_on_selector_all(f"{PANEL} .jt-cmp-line[data-selected='true']",
                                      "ns => ns.map(n => Number(n.dataset.run))")
    rows = page.eval_on_selector_all(f"{PANEL} .jt-cmp-table tbody tr[data-selected='true']",
                                     "ns => ns.map(n => Number(n.dataset.run))")
    assert sorted(lines) == sorted(rows) and len(lines) == 3
    assert page.locator(f"{PANEL} .jt-cmp-line[data-selected='false']").count() == 9
    page.screenshot(path=str(tmp_path / "sweep_view.png"), full_page=True)
