"""W&B's ``define_metric(step_metric=)`` and ``run.alert(...)`` in real JupyterLab + Chromium: the live panel and
the run detail panel draw a metric against its step metric by default, and a run's alerts show as a badge on its
sidebar row (the latest as the tooltip) and as a list in the detail panel's overview."""

from __future__ import annotations

from typing import Any

import pytest

import jupyter_track as jt
from tests.ui.conftest import NOTEBOOK, Lab, open_sidebar, row, run_cell, wait_cell_done, write_notebook

pytestmark = pytest.mark.slow


def test_step_metric_is_the_default_x_axis_and_alerts_show_in_the_sidebar_and_detail(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    import jupyter_track as wandb

    run = wandb.init(project="ui-wandb", display=False)
    wandb.define_metric("epoch")
    wandb.define_metric("val/*", step_metric="epoch")
    for step in range(30):
        wandb.log({"train/loss": 1 / (step + 1)})
        if step % 10 == 9:  # three validations, at epochs 0, 1, 2
            wandb.log({"val/loss": 2 / (step + 1), "epoch": step // 10}, commit=False)
    wandb.alert(title="Slow start", text="loss above 0.5", level=wandb.AlertLevel.INFO)
    wandb.alert(title="Low accuracy", text="0.21 at step 29", level="WARN")
    wandb.finish()
    lab.home(page)
    open_sidebar(page, "ui-wandb")

    badge = f"{row(run.id)} .jp-TrackSidebar-alerts"
    page.wait_for_selector(badge, timeout=30_000)
    assert page.inner_text(badge) == "⚠ 2"
    assert page.get_attribute(badge, "data-level") == "WARN"
    assert page.get_attribute(badge, "title") == "2 alerts; latest: [WARN] Low accuracy: 0.21 at step 29"

    page.click(row(run.id), timeout=30_000)
    panel = f'.jt-detail[data-run-id="{run.id}"]'
    page.wait_for_selector(f'{panel} dd[data-fact="alerts"]', timeout=30_000)
    alerts = page.eval_on_selector_all(f"{panel} .jt-alert", "as => as.map(a => [a.dataset.level, "
                                                             "a.querySelector('.jt-alert-title').textContent])")
    assert alerts == [["WARN", " Low accuracy"], ["INFO", " Slow start"]]  # newest first

    page.click(f'{panel} .jt-detail-tab[data-tab="charts"]')
    charts = f'{panel} [data-section="charts"] .jt-lc'
    page.wait_for_function(f"() => document.querySelectorAll('{charts} canvas[data-points]').length === 3",
                           timeout=20_000)
    axes = page.eval_on_selector_all(charts, "cs => Object.fromEntries(cs.map(c => [c.dataset.metric, ["
                                             "c.dataset.x || 'step', Number(c.querySelector('canvas').dataset.points)"
                                             "]]))")
    assert axes == {"train/loss": ["step", 30], "val/loss": ["epoch", 3], "epoch": ["step", 3]}
    box = page.locator(f'{charts}[data-metric="val/loss"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    assert page.inner_text(f'{charts}[data-metric="val/loss"] .jt-chart-tip-head') == "epoch 2"
    assert jt.load_run(run.path).meta["metrics"]["val/*"] == {"step_metric": "epoch"}


LIVE = """\
import jupyter_track as wandb
run = wandb.init(project="ui-live-axis")
wandb.define_metric("val/loss", step_metric="custom_step")
for i in range(10):
    wandb.log({"train/loss": 1 / (i + 1), "custom_step": i ** 2, "val/loss": 1 / (i + 1)})
run.finish()"""


def test_the_live_panel_draws_a_metric_against_its_step_metric_by_default(lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "axis.ipynb", LIVE)
    lab.open(page, "axis.ipynb")
    run_cell(page)
    wait_cell_done(page, 0)
    page.wait_for_selector(f"{NOTEBOOK} .jt-badge[data-state='finished']", timeout=30_000)
    charts = f"{NOTEBOOK} .jt-chart"
    page.wait_for_function(f"() => [...document.querySelectorAll('{charts} canvas')].filter(c => c.dataset.x)"
                           ".length === 3", timeout=20_000)
    axes = page.eval_on_selector_all(charts, "cs => Object.fromEntries(cs.map(c => [c.querySelector('.jt-key')"
                                             ".textContent, c.querySelector('canvas').dataset.x]))")
    assert axes == {"train/loss": "_step", "val/loss": "custom_step", "custom_step": "_step"}
    assert page.eval_on_selector(f"{NOTEBOOK} .jt-controls select", "s => s.value") == "_default"
