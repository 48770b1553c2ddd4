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
from tests.ui.conftest import (
    NOTEBOOK,
    Lab,
    open_sidebar,
    quiet,
    requests,
    row,
    run_cell,
    switch_to_dark_theme,
    write_notebook,
)

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
    page.wait_for_function(f"() => document.querySelectorAll('{charts} canvas[data-points]').length === 3",
                           timeout=20_000)
    drawn = page.eval_on_selector_all(charts, "cs => Object.fromEntries(cs.map(c => [c.dataset.metric, "
                                              "Number(c.querySelector('canvas').dataset.points)]))")
    assert drawn == {"loss": 40, "train/acc": 39, "val/loss": 4}
    prefixes = page.eval_on_selector_all(f'{panel} [data-section="charts"] .jt-lc-group',
                                         "gs => gs.map(g => g.dataset.prefix)")
    assert prefixes == ["", "train", "val"]
    # hovering a chart shows the crosshair's tooltip at the nearest point
    box = page.locator(f'{charts}[data-metric="loss"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    tip = page.inner_text(f'{charts}[data-metric="loss"] .jt-chart-tip').splitlines()
    step = int(tip[0].removeprefix("step "))
    assert 30 < step < 39 and tip[1] == f"loss: {float(f'{1 / (step + 1):.5g}')}", tip  # the logged 1 / (step + 1)

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
    chart = f'{panel} .jt-lc[data-metric="loss"] canvas[data-points]'
    page.wait_for_selector(chart, timeout=20_000)
    assert page.locator(f'{panel} [data-section="charts"] .jt-empty').count() == 0
    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(set(seen)) < 3:
        assert page.get_attribute(panel, "data-state") == "running"
        seen.append(int(page.get_attribute(chart, "data-points")))
        time.sleep(0.4)
    assert len(set(seen)) >= 3, seen  # grew at least twice while the cell ran
    assert seen == sorted(seen)
    # behind another tab the panel asks nothing; back in front it catches up at once
    page.click(".lm-TabBar-tab:has-text('live.ipynb')")
    page.wait_for_selector(panel, state="hidden", timeout=10_000)
    page.wait_for_timeout(500)  # a poll already on the wire when it was hidden is still reported
    assert quiet(page, polls, 2000) == 0, polls[-3:]
    hidden_at = int(page.get_attribute(chart, "data-points"))
    page.click(".lm-TabBar-tab:has-text('live-one')")
    page.wait_for_function(f"() => Number(document.querySelector('{chart}')?.dataset.points) > {hidden_at}",
                           timeout=20_000)
    (lab.root / "stop.txt").write_text("")
    page.wait_for_function(f"() => document.querySelector('{panel}')?.dataset.state === 'finished'", timeout=30_000)
    steps = lab.root / "steps.txt"
    assert wait_for(lambda: steps.exists() and steps.read_text(), timeout=30)
    logged = int(steps.read_text())
    page.wait_for_function(f"() => Number(document.querySelector('{chart}')?.dataset.points) === {logged}",
                           timeout=10_000)  # the whole history once it finished, every point drawn
    assert page.get_attribute(panel, "data-live") is None  # polling stopped
    assert page.inner_text(f'{panel} .jt-detail-head .jt-state') == "finished"
    page.wait_for_timeout(500)
    assert quiet(page, polls, 2000) == 0, polls[-3:]  # a finished run is not asked about again


def painted_runs(page: Any, canvas: str, y_fraction: float) -> int:
    """How many separate painted stretches a horizontal line across ``canvas`` at ``y_fraction`` of its height
    crosses (gridlines, the frame, curves): the canvas is transparent where nothing was drawn."""
    return page.eval_on_selector(canvas, """(c, f) => {
        const row = c.getContext('2d').getImageData(0, Math.round(c.height * f), c.width, 1).data;
        let runs = 0, inside = false;
        for (let i = 3; i < row.length; i += 4) { const on = row[i] > 0; if (on && !inside) runs++; inside = on; }
        return runs; }""", y_fraction)


def pixels_of(page: Any, canvas: str, hex_colour: str) -> int:
    """How many opaque pixels of ``canvas`` have (about) colour ``#rrggbb``."""
    rgb = [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]
    return page.eval_on_selector(canvas, """(c, rgb) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        const off = (i) => Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]);
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && off(i) < 30) n++;
        return n; }""", rgb)


def test_detail_charts_have_round_ticks_gridlines_a_crosshair_both_themes_and_the_runs_compare_colour(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    runs = []
    for i in range(2):
        run = jt.init(project="ui-detail-axes", name=f"axes-{i}", display=False)
        for step in range(200):
            run.log({"loss": 3.0 / (step + 1) + 0.01 * i})
        run.finish()
        runs.append(run)
    # colours go by run id; of two runs whose slots collide the smaller id keeps its own: compare that one
    run = min(runs, key=lambda r: r.id)
    lab.home(page)
    open_sidebar(page, "ui-detail-axes")
    page.click(row(runs[0].id), timeout=30_000)
    page.click(row(runs[1].id), modifiers=["Control"])
    page.click(".jp-TrackSidebar-compare")
    page.wait_for_selector(".jt-compare-panel .jt-compare[data-curves='loaded']", timeout=30_000)
    in_compare = dict(page.eval_on_selector_all(
        ".jt-compare-panel .jt-cmp-run", "rs => rs.map(r => [r.textContent, r.firstChild.style.background])"))

    panel = open_run(page, run.id)
    page.click(f'{panel} .jt-detail-tab[data-tab="charts"]')
    canvas = f'{panel} .jt-lc[data-metric="loss"] canvas'
    page.wait_for_selector(f"{canvas}[data-points='200']", timeout=20_000)
    # the run's colour: the one its legend swatch has in the compare panel, and the curve is painted in it
    colour = page.get_attribute(canvas, "data-colors") or ""
    as_rgb = "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))
    assert in_compare[run.name] == as_rgb, (in_compare, colour)
    assert pixels_of(page, canvas, colour) > 100
    # round ticks on both axes, not just min and max
    label = page.get_attribute(canvas, "aria-label") or ""
    steps, values = label.removeprefix("loss: step ").split("; value ")
    assert steps.split(", ")[:3] == ["0", "50", "100"], label
    assert len(values.split(", ")) >= 3 and all(float(v) * 2 % 1 == 0 for v in values.split(", ")), label
    # gridlines: a line across the plot crosses a painted gridline at each x tick (step 0's is the frame's left
    # side) and the frame's right side
    assert painted_runs(page, canvas, 0.3) >= len(steps.split(", ")) + 1
    # the log scale: whole decades
    page.check(f'{panel} .jt-lc[data-metric="loss"] .jt-lc-log input')
    page.wait_for_function("sel => document.querySelector(sel).getAttribute('aria-label').includes('value 0.1, 1')",
                           arg=canvas, timeout=5_000)
    page.uncheck(f'{panel} .jt-lc[data-metric="loss"] .jt-lc-log input')
    # the crosshair's tooltip follows the pointer and goes when it leaves
    box = page.locator(canvas).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tip = f'{panel} .jt-lc[data-metric="loss"] .jt-chart-tip'
    page.wait_for_selector(tip, state="visible", timeout=5_000)
    assert page.inner_text(tip).splitlines()[1].startswith("loss: ")
    page.locator(canvas).screenshot(path=str(tmp_path / "detail-chart-crosshair.png"))
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] - 60)  # off the chart
    page.wait_for_selector(tip, state="hidden", timeout=5_000)
    # smoothing: the smoothed curve over the faint raw one, the ticks unchanged
    before = page.eval_on_selector(canvas, "c => c.toDataURL()")
    page.fill(f"{panel} .jt-lc-smoothing input", "0.9")
    assert page.eval_on_selector(canvas, "c => c.toDataURL()") != before
    assert page.get_attribute(canvas, "aria-label") == label
    # a theme switch: the ticks are still there, in the dark theme's ink
    light_ink = page.get_attribute(canvas, "data-ink")
    switch_to_dark_theme(page)
    page.wait_for_function("([sel, ink]) => document.querySelector(sel).dataset.ink !== ink",
                           arg=[canvas, light_ink], timeout=10_000)
    assert page.get_attribute(canvas, "aria-label") == label
    assert painted_runs(page, canvas, 0.3) >= len(steps.split(", ")) + 1
    page.locator(f'{panel} [data-section="charts"]').screenshot(path=str(tmp_path / "detail-charts-dark.png"))


def test_the_media_tab_draws_histograms_as_bar_charts_with_a_step_slider_and_a_ridge_view(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    run = jt.init(project="ui-hist", name="hist", display=False)
    for step, bins in enumerate((8, 16, 32, 32, 32)):  # a different number of bins at the first steps
        values = np.arange(1000.0) ** 0.5 + step * 3  # drifting to the right step by step
        run.log({"loss": 1.0 / (step + 1), "weights": jt.Histogram(values, num_bins=bins)})
    run.finish()
    lab.home(page)
    open_sidebar(page, "ui-hist")
    panel = open_run(page, run.id)
    page.click(f'{panel} .jt-detail-tab[data-tab="media"]')
    media = f'{panel} .jt-media[data-key="weights"]'
    chart = f"{media} .jt-histogram-bars canvas"
    page.wait_for_selector(f"{chart}[data-bars]", timeout=20_000)
    assert page.get_attribute(chart, "data-bars") == "32"  # the latest step by default
    assert page.locator(f"{media} pre").count() == 0  # no raw JSON
    heights = [float(h) for h in (page.get_attribute(chart, "data-heights") or "").split()]
    assert heights[-1] > heights[0] > 0  # sqrt values: more of them in the higher bins
    assert "step 4" in page.inner_text(f"{media} .jt-media-step")
    label = page.get_attribute(chart, "aria-label") or ""
    assert label.startswith("step 4: value ") and len(label.split("; count ")[1].split(", ")) >= 3, label
    page.locator(f"{media} .jt-histogram-box").screenshot(path=str(tmp_path / "media-histogram.png"))
    page.fill(f"{media} .jt-step-slider", "0")
    page.wait_for_function("sel => document.querySelector(sel)?.dataset.bars === '8'", arg=chart)
    assert "step 0" in page.inner_text(f"{media} .jt-media-step")

    # the ridge view: every step's histogram on its own baseline, the slider at rest
    page.check(f"{media} .jt-ridge-toggle input")
    ridges = f"{media} .jt-histogram-ridges canvas"
    page.wait_for_selector(ridges, timeout=5_000)
    assert page.get_attribute(ridges, "data-ridges") == "5"  # one ridge per step
    assert page.get_attribute(ridges, "data-steps") == "0 1 2 3 4"
    assert page.is_disabled(f"{media} .jt-step-slider")
    assert page.inner_text(f"{media} .jt-media-step") == "steps 0–4"
    assert (page.get_attribute(ridges, "aria-label") or "").endswith("; step 0, 1, 2, 3, 4")
    page.locator(media).screenshot(path=str(tmp_path / "media-ridges.png"))  # with the slider and the toggle
    page.uncheck(f"{media} .jt-ridge-toggle input")
    page.wait_for_function("sel => document.querySelector(sel)?.dataset.bars === '8'", arg=chart)
    assert page.is_enabled(f"{media} .jt-step-slider")
    # the Summary tab names the histogram on one line
    page.click(f'{panel} .jt-detail-tab[data-tab="summary"]')
    cell = page.inner_text(f'{panel} [data-section="summary"] tr[data-key="weights"] td')
    assert cell.startswith("histogram: 32 bins over [12, 43.6"), cell
