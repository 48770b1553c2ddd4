"""The live run panel in JupyterLab: the chart grows while the cell is still running."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import jupyter_track as jt
from tests.conftest import wait_for
from tests.ui.conftest import NOTEBOOK, Lab, run_cell, switch_to_dark_theme, write_notebook

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


def test_chart_grows_while_the_cell_runs_and_stays_after_finish(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "live.ipynb", LOOP)
    lab.open(page, "live.ipynb")
    run_cell(page)
    chart = f"{NOTEBOOK} .jt-chart canvas"
    page.wait_for_selector(chart, timeout=30_000)
    samples = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        prompt = page.inner_text(f"{NOTEBOOK} .jp-InputPrompt")
        steps = page.eval_on_selector_all(chart, "cs => cs.map(c => Number(c.dataset.lastStep || -1))")
        samples.append((prompt, max(steps, default=-1)))
        if "*" not in prompt or len({s for p, s in samples if "*" in p and s >= 0}) >= 3:
            break
        time.sleep(0.5)
    (lab.root / "stop.txt").write_text("")
    running = [s for p, s in samples if "*" in p and s >= 0]
    assert len(set(running)) >= 3, samples  # several different step counts seen while the cell ran
    assert running == sorted(running)
    page.wait_for_selector(f"{NOTEBOOK} .jt-badge[data-state='finished']", timeout=30_000)
    steps_file = lab.root / "steps.txt"
    assert wait_for(lambda: steps_file.exists() and steps_file.read_text(), timeout=30)  # written, not just created
    last_step = int(steps_file.read_text()) - 1
    page.wait_for_function(  # the final state draws every step up to the last
        f"() => Math.max(...[...document.querySelectorAll('{chart}')].map(c => Number(c.dataset.lastStep)))"
        f" === {last_step}", timeout=10_000)
    assert page.locator(f"{NOTEBOOK} .jt-static").count() >= 1
    assert not page.locator(f"{NOTEBOOK} .jt-static").first.is_visible()
    page.screenshot(path=str(tmp_path / "run_panel.png"))


# The usual epoch pattern: a validation metric logged with commit=False once per "epoch", committed by the next
# training log. The cell runs until the test writes stop.txt.
SPARSE = """\
import os, time
import jupyter_track as jt
run = jt.init(project="sparse", name="sparse-ui")
step = 0
while not os.path.exists("stop.txt") and step < 20_000:
    run.log({"train/loss": 1 / (step + 1)})
    if step % 20 == 19:  # about every 0.4 s: one new point per panel update, as an epoch's would be
        run.log({"val/loss": 2 / (step + 1)}, commit=False)
    time.sleep(0.02)
    step += 1
run.finish()"""


def test_a_sparse_series_streams_every_point_while_the_cell_runs(lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "sparse.ipynb", SPARSE)
    lab.open(page, "sparse.ipynb")
    run_cell(page)
    # the points the val/loss chart draws (-1 before it exists)
    points = (f"() => Number([...document.querySelectorAll('{NOTEBOOK} .jt-chart')].find(b => b.querySelector("
              "'.jt-key').textContent === 'val/loss')?.querySelector('canvas').dataset.points ?? -1)")
    # it used to stay at one point (each message's last point was taken for a provisional one and dropped)
    page.wait_for_function(f"() => ({points})() >= 6", timeout=30_000)

    def stored() -> int:
        history = jt.Api(dir=str(lab.store)).runs("sparse")[0].history(keys=["val/loss"])
        return int(history["val/loss"].notna().sum())

    before = stored()  # every point stored by now is drawn by the next update
    page.wait_for_function(f"() => ({points})() >= {before}", timeout=10_000)
    drawn = int(page.evaluate(points))
    assert "*" in page.inner_text(f"{NOTEBOOK} .jp-InputPrompt")  # … while the run is still running
    assert drawn <= stored()  # and none twice
    (lab.root / "stop.txt").write_text("")
    page.wait_for_selector(f"{NOTEBOOK} .jt-badge[data-state='finished']", timeout=30_000)


SHORT = """\
import jupyter_track as jt
run = jt.init(project="short", name="short-ui")  # unsaved code: only the live snapshot has this line
for step in range(5):
    run.log({"loss": 1 / (step + 1)})
run.finish()"""


def test_a_run_over_in_a_moment_has_its_live_snapshot(lab: Lab, page: Any, tmp_path: Path) -> None:
    from jupyter_track.snapshot_restore import snapshots

    write_notebook(lab.root / "short.ipynb", "print('on disk')")
    lab.open(page, "short.ipynb")
    cell = page.locator(f"{NOTEBOOK} .jp-Cell").first
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(SHORT)  # edited, not saved
    run_cell(page)
    page.wait_for_selector(f"{NOTEBOOK} .jt-badge[data-state='finished']", timeout=30_000)

    def live() -> bool:
        runs = jt.Api(dir=str(lab.store)).runs("short")
        return len(runs) == 1 and any(s["which"] == "live" for s in snapshots(runs[0]))

    assert wait_for(live, timeout=20)  # the poll alone (every ~2 s, once the kernel was busy) missed such runs
    run = jt.Api(dir=str(lab.store)).runs("short")[0]
    restored = jt.restore(run, which="live", root=tmp_path)
    assert "# unsaved code: only the live snapshot has this line" in restored.read_text()


# A run wider than the panel shows by default: 20 keys, of which the panel streams its top ones (loss first).
WIDE = """\
import os, time
import jupyter_track as jt
run = jt.init(project="wide", name="wide-ui")
step = 0
while not os.path.exists("stop.txt") and step < 20_000:
    run.log({"train/loss": 1 / (step + 1), **{f"layer/m{j:02d}": step + j for j in range(20)}})
    time.sleep(0.02)
    step += 1
run.finish()"""


def test_a_key_not_shown_by_default_is_picked_and_streams(lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "wide.ipynb", WIDE)
    lab.open(page, "wide.ipynb")
    run_cell(page)
    panel = f"{NOTEBOOK} .jt-panel"
    page.wait_for_selector(f"{panel} .jt-chart canvas", timeout=30_000)
    picker = page.locator(f"{panel} .jt-picker")
    page.wait_for_function(f"() => document.querySelector('{panel} .jt-picker summary')?.textContent"
                           " === 'keys: 12 of 21 shown'", timeout=30_000)
    drawn = f"() => [...document.querySelectorAll('{panel} .jt-key')].map(k => k.textContent)"
    assert "train/loss" in page.evaluate(drawn) and "layer/m19" not in page.evaluate(drawn)
    picker.locator("summary").click()
    picker.locator(".jt-search").fill("m19")
    assert picker.locator(".jt-pick").count() == 1  # the search narrows the list
    picker.locator("input[data-key='layer/m19']").check()
    last = (f"() => Number([...document.querySelectorAll('{panel} .jt-chart')].find(b => b.querySelector("
            "'.jt-key').textContent === 'layer/m19')?.querySelector('canvas').dataset.lastStep ?? -1)")
    page.wait_for_function(f"() => ({last})() >= 0", timeout=30_000)
    first = page.evaluate(last)
    page.wait_for_function(f"() => ({last})() > {first}", timeout=30_000)  # it streams …
    assert "*" in page.inner_text(f"{NOTEBOOK} .jp-InputPrompt")  # … while the cell still runs
    picker.locator(".jt-search").fill("train/loss")
    picker.locator("input[data-key='train/loss']").uncheck()  # and a default key can be hidden
    page.wait_for_function(f"() => !({drawn})().includes('train/loss')", timeout=30_000)
    (lab.root / "stop.txt").write_text("")
    page.wait_for_selector(f"{panel} .jt-badge[data-state='finished']", timeout=30_000)
    assert "layer/m19" in page.evaluate(drawn) and "train/loss" not in page.evaluate(drawn)  # the final state too


def test_panel_charts_have_round_ticks_log_decades_a_crosshair_that_leaves_and_theme_ink(
        lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "axes.ipynb", """\
import jupyter_track as jt
run = jt.init(project="ui-axes", name="axes")
for step in range(300):
    run.log({"train/loss": 10.0 / (1 + step) ** 2})
run.finish()""")
    lab.open(page, "axes.ipynb")
    run_cell(page)
    canvas = page.locator(f"{NOTEBOOK} .jt-chart canvas").first
    page.wait_for_function("c => c.dataset.lastStep === '299'", arg=canvas.element_handle(timeout=30_000),
                           timeout=30_000)

    def ticks() -> tuple[list[str], list[str]]:
        steps, values = (canvas.get_attribute("aria-label") or "").removeprefix("train/loss: step ").split("; value ")
        return steps.split(", "), values.split(", ")

    steps, values = ticks()
    assert steps[:3] == ["0", "100", "200"] and len(values) >= 3, (steps, values)  # round ticks, not min/max
    page.click(f"{NOTEBOOK} .jt-controls label:has-text('log scale') input")
    page.wait_for_function("c => c.getAttribute('aria-label').includes('0.001')", arg=canvas.element_handle())
    assert {"0.001", "0.1", "10"} <= set(ticks()[1])  # whole decades on a log axis

    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tip = page.locator(f"{NOTEBOOK} .jt-chart-tip").first
    tip.wait_for(state="visible", timeout=5_000)
    assert tip.inner_text().startswith("step ") and "train/loss:" in tip.inner_text()
    page.screenshot(path=str(tmp_path / "panel-crosshair.png"))
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] - 60)
    tip.wait_for(state="hidden", timeout=5_000)

    light_ink = canvas.get_attribute("data-ink")
    switch_to_dark_theme(page)
    page.wait_for_function("([c, ink]) => c.dataset.ink !== ink", arg=[canvas.element_handle(), light_ink],
                           timeout=10_000)
    page.wait_for_timeout(1_500)
    assert {"0.001", "0.1", "10"} <= set(ticks()[1])  # the ticks are drawn again in the dark theme's ink
    page.screenshot(path=str(tmp_path / "panel-dark.png"))
