"""The live run panel in JupyterLab: the chart grows while the cell is still running."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import Lab, write_notebook

pytestmark = pytest.mark.slow

# The cell logs until the test has seen the chart grow and writes stop.txt (a fixed-length loop could end
# before a slow machine has drawn the panel), then says how many steps it logged.
LOOP = """\
import os, time
import jupyter_track as jt
run = jt.init(project="ui", name="live-ui")
step = 0
while not os.path.exists("stop.txt") and step < 5000:
    run.log({"train/loss": 1 / (step + 1), "train/acc": step / 300})
    time.sleep(0.02)
    step += 1
run.finish()
open("steps.txt", "w").write(str(step))"""


def run_cell(page: Any) -> None:
    """Run the first cell; retry once if the prompt does not show [*] (a keypress before the kernel was ready)."""
    for _ in range(2):
        page.click(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .jp-InputArea-editor")
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(
                "() => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt')"
                ".innerText.includes('*')", timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - playwright's timeout: try the keypress once more
            continue
    raise AssertionError("the cell never started running")


def test_chart_grows_while_the_cell_runs_and_stays_after_finish(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "live.ipynb", LOOP)
    lab.open(page, "live.ipynb")
    run_cell(page)
    chart = ".jp-NotebookPanel:not(.lm-mod-hidden) .jt-chart canvas"
    page.wait_for_selector(chart, timeout=30_000)
    samples = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        prompt = page.inner_text(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt")
        steps = page.eval_on_selector_all(chart, "cs => cs.map(c => Number(c.dataset.lastStep || -1))")
        samples.append((prompt, max(steps, default=-1)))
        if "*" not in prompt or len({s for p, s in samples if "*" in p and s >= 0}) >= 3:
            break
        time.sleep(0.5)
    (lab.root / "stop.txt").write_text("")
    running = [s for p, s in samples if "*" in p and s >= 0]
    assert len(set(running)) >= 3, samples  # several different step counts seen while the cell ran
    assert running == sorted(running)
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jt-badge[data-state='finished']",
                           timeout=30_000)
    deadline = time.monotonic() + 30
    while not (lab.root / "steps.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    last_step = int((lab.root / "steps.txt").read_text()) - 1
    page.wait_for_function(  # the final state draws every step up to the last
        f"() => Math.max(...[...document.querySelectorAll('{chart}')].map(c => Number(c.dataset.lastStep)))"
        f" === {last_step}", timeout=10_000)
    assert page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jt-static").count() >= 1
    assert not page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jt-static").first.is_visible()
    page.screenshot(path=str(tmp_path / "run_panel.png"))
