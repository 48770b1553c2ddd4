"""The run detail panel in real JupyterLab + Chromium: what a user sees after clicking a run in the Runs sidebar —
overview facts, config, a chart per metric with every point drawn, media, tables, snapshots with Restore — that a
hostile run name stays text, and that a running run's charts grow while a kernel logs."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

import jupyter_track as jt
from tests.conftest import wait_for
from tests.ui.conftest import NOTEBOOK, Lab, open_sidebar, quiet, requests, row, run_cell, write_notebook

pytestmark = pytest.mark.slow

DETAIL = ".jt-detail"
HOSTILE = "<img src=x onerror=alert(1)>"


def open_run(page: Any, run_id: str) -> str:
    """Click the run in the sidebar; return the selector of its (visible) detail panel."""
    page.click(row(run_id), timeout=30_000)
    panel = f'{DETAIL}[data-run-id="{run_id}"]'
    page.wait_for_selector(f"{panel} .jt-detail-name", timeout=30_000)
    return panel


def post_live_snapshot(lab: Lab, run: jt.Run, notebook: nbformat.NotebookNode) -> None:
    """What the labextension sends when a run starts in an open notebook: the run gets a ``live`` snapshot."""
    body = json.dumps({"notebook": notebook, "path": "train.ipynb"}).encode()
    req = urllib.request.Request(f"{lab.url}jupyter-track/api/runs/{run.project}/{run.id}/snapshot", data=body,
                                 method="POST", headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.status == 200


def finished_run(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> jt.Run:
    """A finished run with a hostile name, nested config, scalars under two prefixes, images and a table."""
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "git,environment,packages")
    monkeypatch.chdir(Path(__file__).parent)  # inside this repository: git facts are captured
    run = jt.init(project="ui-detail", name=HOSTILE, group="grp",
                  config={"lr": 0.003, "model": {"depth": 7, "act": "gelu"}, "tag": "<b>bold</b>"}, display=False)
    for step in range(40):
        run.log({"loss": 1.0 / (step + 1), "train/acc": float("nan") if step == 20 else step / 40})
        if step % 10 == 9:
            run.log({"val/loss": 2.0 / (step + 1)}, commit=False)
    pixels = np.zeros((12, 20, 3), dtype=np.uint8)
    pixels[:, :10] = [255, 0, 0]
    run.log({"samples": jt.Image(pixels, caption="red left half")}, step=40)
    run.log({"samples": jt.Image(255 - pixels, caption="second")}, step=41)
    run.log({"preds": jt.Table(columns=["i", "image", "label"], data=[[i, jt.Image(pixels), f"<i>{i}</i>"]
                                                                       for i in range(3)])}, step=42)
    run.finish()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('restored cell')")])
    post_live_snapshot(lab, run, notebook)
    return run


def test_detail_shows_overview_config_charts_media_tables_and_snapshots(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    run = finished_run(lab, monkeypatch)
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    lab.home(page)
    open_sidebar(page, "ui-detail")
    panel = open_run(page, run.id)

    # the hostile name is text: shown literally, no element made of it, no script ran
    assert page.inner_text(f"{panel} .jt-detail-name") == HOSTILE
    assert page.locator(f'{panel} img[src="x"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0  # nor anywhere else (the sidebar, the tab title)

    # overview facts
    fact = lambda key: page.inner_text(f'{panel} dd[data-fact="{key}"]')  # noqa: E731
    assert fact("state") == "finished"
    assert fact("group") == "grp"
    assert len(fact("git")) > 0 and page.locator(f"{panel} .jt-git-commit").inner_text() != "no commit yet"
    assert fact("python").startswith(".".join(map(str, __import__("sys").version_info[:2])))
    packages = page.inner_text(f"{panel} .jt-packages summary")
    assert int(packages.split()[0]) > 20  # "N packages", expandable
    page.click(f"{panel} .jt-packages summary")
    assert page.locator(f"{panel} .jt-package-list li", has_text="numpy==").count() == 1
    assert fact("gpu") == "none" or " GB)" in fact("gpu")  # this machine has none; a GPU shows name (memory)

    # config: flattened and searchable
    page.click(f'{panel} .jt-detail-tab[data-tab="config"]')
    assert page.inner_text(f'{panel} tr[data-key="model.depth"] td') == "7"
    assert page.inner_text(f'{panel} tr[data-key="tag"] td') == "<b>bold</b>"
    page.fill(f"{panel} .jt-config-search", "model")
    keys = page.eval_on_selector_all(f'{panel} [data-section="config"] tr[data-key]',
                                     "rs => rs.map(r => r.dataset.key)")
    assert keys == ["model.depth", "model.act"]

    # charts: one per scalar, grouped by prefix, every point drawn (NaN a gap)
    page.click(f'{panel} .jt-detail-tab[data-tab="charts"]')
    charts = f'{panel} [data-section="charts"] .jt-lc'
    page.wait_for_function(f"() => document.querySelectorAll('{charts} path[data-points]').length === 3",
                           timeout=20_000)
    drawn = page.eval_on_selector_all(charts, "cs => Object.fromEntries(cs.map(c => [c.dataset.metric, "
                                              "Number(c.querySelector('path').dataset.points)]))")
    assert drawn == {"loss": 40, "train/acc": 39, "val/loss": 4}
    prefixes = page.eval_on_selector_all(f'{panel} [data-section="charts"] .jt-lc-group',
                                         "gs => gs.map(g => g.dataset.prefix)")
    assert prefixes == ["", "train", "val"]
    # hovering a chart reads out the nearest point
    box = page.locator(f'{charts}[data-metric="loss"] svg').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.99, box["y"] + box["height"] / 2)
    assert "step 39" in page.inner_text(f'{charts}[data-metric="loss"] .jt-lc-readout')

    # media: the latest image by default, a step slider goes back; the image really loads
    page.click(f'{panel} .jt-detail-tab[data-tab="media"]')
    media = f'{panel} .jt-media[data-key="samples"]'
    page.wait_for_function(f"() => {{ const i = document.querySelector('{media} img'); "
                           "return i && i.complete && i.naturalWidth > 0; }", timeout=20_000)
    assert page.inner_text(f"{media} figcaption") == "second"
    assert page.eval_on_selector(f"{media} img", "i => i.naturalWidth") == 20
    page.fill(f"{media} .jt-step-slider", "0")
    page.wait_for_function(f"() => document.querySelector('{media} figcaption')?.textContent === 'red left half'")
    assert "step 40" in page.inner_text(f"{media} .jt-media-step")

    # tables: first page, image cells as thumbnails, text cells as text
    page.click(f'{panel} .jt-detail-tab[data-tab="tables"]')
    table = f'{panel} .jt-table-box[data-key="preds"]'
    page.wait_for_selector(f"{table} .jt-data-table", timeout=20_000)
    assert page.locator(f"{table} .jt-data-table tr").count() == 4  # header + 3 rows
    assert page.inner_text(f"{table} .jt-data-table tr:nth-child(2) td:nth-child(3)") == "<i>0</i>"
    images = f"[...document.querySelectorAll('{table} img')]"
    page.wait_for_function(f"() => {images}.length === 3 && {images}.every(i => i.complete && i.naturalWidth > 0)",
                           timeout=20_000)

    # snapshots: the live snapshot with a Restore button that opens the restored notebook
    page.click(f'{panel} .jt-detail-tab[data-tab="snapshots"]')
    snapshot = f'{panel} tr.jt-snapshot[data-which="live"]'
    assert page.locator(snapshot).count() == 1
    page.click(f"{snapshot} .jt-restore")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=30_000)
    page.wait_for_function(f"() => document.querySelector('{NOTEBOOK}')?.innerText.includes('restored cell')",
                           timeout=20_000)
    assert alerts == []


# The kernel starts the run and waits for go.txt (the test opens the run's panel before its first point), logs
# until the test has seen the chart grow and writes stop.txt (a fixed-length loop could end before a slow machine
# has the panel open), then says how many steps it logged.
LOOP = """\
import os, time, jupyter_track as jt
run = jt.init(project="ui-live-detail", name="live-one", display=False)
open("started.txt", "w").write(run.id)
for _ in range(1200):
    if os.path.exists("go.txt"):
        break
    time.sleep(0.05)
step = 0
while not os.path.exists("stop.txt") and step < 1500:
    run.log({"loss": 1 / (step + 1)})
    time.sleep(0.1)
    step += 1
run.finish()
open("steps.txt", "w").write(str(step))"""


def test_a_running_runs_chart_grows_while_the_kernel_logs_pauses_while_hidden_and_stops_when_it_finishes(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    write_notebook(lab.root / "live.ipynb", LOOP)
    lab.settings(pollInterval=250)
    polls = requests(page, "/jupyter-track/api/runs/ui-live-detail/")  # the panel's metrics increments
    lab.open(page, "live.ipynb")
    run_cell(page)
    started = lab.root / "started.txt"
    # written, not just created: the kernel opens the file a moment before its text lands
    assert wait_for(lambda: started.exists() and started.read_text(), timeout=30), "the kernel never started"
    run_id = started.read_text()
    open_sidebar(page, "ui-live-detail")
    panel = open_run(page, run_id)
    charts_tab = f'{panel} .jt-detail-tab[data-tab="charts"]'
    assert page.locator(charts_tab).is_hidden()  # no scalar logged yet
    assert page.get_attribute(panel, "data-live") == "true"
    (lab.root / "go.txt").write_text("")
    # the first points arrive live: the Charts tab shows, with a chart for the new key
    page.wait_for_selector(charts_tab, state="visible", timeout=20_000)
    page.click(charts_tab)
    path = f'{panel} .jt-lc[data-metric="loss"] path[data-points]'
    page.wait_for_selector(path, timeout=20_000)
    assert page.locator(f'{panel} [data-section="charts"] .jt-empty').count() == 0
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(set(seen)) < 3:
        assert page.get_attribute(panel, "data-state") == "running"
        seen.append(int(page.get_attribute(path, "data-points")))
        time.sleep(0.4)
    assert len(set(seen)) >= 3, seen  # grew at least twice while the cell ran
    assert seen == sorted(seen)
    # behind another tab the panel asks nothing; back in front it catches up at once
    page.click(".lm-TabBar-tab:has-text('live.ipynb')")
    page.wait_for_selector(panel, state="hidden", timeout=10_000)
    page.wait_for_timeout(500)  # a poll already on the wire when it was hidden is still reported
    assert quiet(page, polls, 2000) == 0, polls[-3:]
    hidden_at = int(page.get_attribute(path, "data-points"))
    page.click(".lm-TabBar-tab:has-text('live-one')")
    page.wait_for_function(f"() => Number(document.querySelector('{path}')?.dataset.points) > {hidden_at}",
                           timeout=20_000)
    (lab.root / "stop.txt").write_text("")
    page.wait_for_function(f"() => document.querySelector('{panel}')?.dataset.state === 'finished'", timeout=30_000)
    steps = lab.root / "steps.txt"
    assert wait_for(lambda: steps.exists() and steps.read_text(), timeout=30)
    logged = int(steps.read_text())
    page.wait_for_function(f"() => Number(document.querySelector('{path}')?.dataset.points) === {logged}",
                           timeout=10_000)  # the whole history once it finished, every point drawn
    assert page.get_attribute(panel, "data-live") is None  # polling stopped
    assert page.inner_text(f'{panel} .jt-detail-head .jt-state') == "finished"
    page.wait_for_timeout(500)
    assert quiet(page, polls, 2000) == 0, polls[-3:]  # a finished run is not asked about again


def test_the_media_tab_draws_histograms_as_bar_charts_with_a_step_slider(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    run = jt.init(project="ui-hist", name="hist", display=False)
    for step, bins in enumerate((8, 16, 32)):  # a different number of bins at each step
        run.log({"loss": 1.0 / (step + 1), "weights": jt.Histogram(np.arange(1000.0) ** 0.5, num_bins=bins)})
    run.finish()
    lab.home(page)
    open_sidebar(page, "ui-hist")
    panel = open_run(page, run.id)
    page.click(f'{panel} .jt-detail-tab[data-tab="media"]')
    media = f'{panel} .jt-media[data-key="weights"]'
    page.wait_for_selector(f"{media} svg.jt-histogram", timeout=20_000)
    assert page.locator(f"{media} .jt-histogram-bar").count() == 32  # the latest step by default
    assert page.locator(f"{media} pre").count() == 0  # no raw JSON
    heights = page.eval_on_selector_all(f"{media} .jt-histogram-bar",
                                        "rs => rs.map(r => Number(r.getAttribute('height')))")
    assert heights[-1] > heights[0] > 0  # sqrt values: more of them in the higher bins
    assert "step 2" in page.inner_text(f"{media} .jt-media-step")
    page.locator(f"{media} svg.jt-histogram").screenshot(path="/tmp/h-sidebar-shots/media-histogram.png")
    page.fill(f"{media} .jt-step-slider", "0")
    page.wait_for_function("sel => document.querySelectorAll(sel).length === 8", arg=f"{media} .jt-histogram-bar")
    assert "step 0" in page.inner_text(f"{media} .jt-media-step")
    # the Summary tab names the histogram on one line
    page.click(f'{panel} .jt-detail-tab[data-tab="summary"]')
    cell = page.inner_text(f'{panel} [data-section="summary"] tr[data-key="weights"] td')
    assert cell.startswith("histogram: 32 bins over [0, 31.6"), cell
