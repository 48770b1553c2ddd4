"""The "Runs" sidebar, its commands, the status bar item and the live-notebook snapshot in real JupyterLab +
Chromium: runs a kernel logs appear live, the badge follows the run's state, the status bar names the kernel's
run, restore, edit and delete from the context menu, an unsaved edit reaches the live snapshot, both themes read."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import jupyter_track as jt
from tests.conftest import wait_for
from tests.ui.conftest import (
    NOTEBOOK,
    SIDEBAR,
    Lab,
    count,
    open_sidebar,
    quiet,
    requests,
    row,
    run_cell,
    switch_to_dark_theme,
    wait_cell_done,
    write_notebook,
)

pytestmark = pytest.mark.slow


def api(lab: Lab, path: str) -> tuple[int, Any]:
    req = urllib.request.Request(f"{lab.url}jupyter-track/api/{path}",
                                 headers={"Authorization": f"token {lab.token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def context_command(page: Any, run_id: str, command: str) -> None:
    """Right-click the run's row and choose ``command`` from the context menu."""
    page.click(row(run_id), button="right")
    item = f'.lm-Menu .lm-Menu-item[data-command="{command}"]'
    page.wait_for_selector(item, timeout=10_000)
    page.click(item)


START = """\
import os, time
os.environ["JUPYTER_TRACK_CAPTURE"] = "notebook,code"  # the lab fixture turns capture off
import jupyter_track as jt
run = jt.init(project={project!r}, name={name!r}, display=False)
for i in range(5):
    run.log({{"loss": 1 / (i + 1), "acc": i / 10}})
print(run.id)"""


def test_a_kernels_run_appears_live_with_its_badge_and_in_the_status_bar_until_it_finishes(
        lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "live.ipynb", START.format(project="ui-live", name="live-one"), "run.finish()")
    lab.open(page, "live.ipynb")
    open_sidebar(page)
    page.wait_for_selector(f"{SIDEBAR} .jp-TrackSidebar-empty:not([hidden])", timeout=10_000)  # nothing yet
    run_cell(page, 0)
    wait_cell_done(page, 0)
    run_id = page.inner_text(f"{NOTEBOOK} .jp-Cell >> nth=0 >> .jp-OutputArea-output").strip()
    # no reload: the sidebar's poll of the changes cursor brings the new project and its run
    page.wait_for_selector(f'{row(run_id)} .jp-TrackSidebar-badge[data-state="running"]', timeout=20_000)
    assert page.inner_text(f"{row(run_id)} .jp-TrackSidebar-col-name") == "live-one"
    assert page.inner_text(f"{SIDEBAR} .jp-TrackSidebar-range") == "1–1 of 1"
    # the run's row can land in a batch before its points: the metric columns fill in at a later poll
    page.wait_for_function(
        "([th, td]) => [...document.querySelectorAll(th)].map(t => t.innerText).slice(0, 2).join() === 'loss,acc'"
        " && document.querySelector(td)?.innerText === '0.2'",  # loss at step 4
        arg=[f"{SIDEBAR} th.jp-TrackSidebar-col-metric", f"{row(run_id)} td.jp-TrackSidebar-metric"],
        timeout=20_000)
    # the status bar names the run of this notebook's kernel (its notebook facts arrive just after init)
    status = page.wait_for_selector(".jp-TrackStatus[data-state='running']", timeout=20_000)
    assert "live-one · running · step 4" in status.inner_text()
    status.click()  # opens the run's detail panel in a tab named after the run
    page.wait_for_selector(".lm-TabBar-tab:has-text('live-one')", timeout=20_000)
    page.click(".lm-TabBar-tab:has-text('live.ipynb')")
    run_cell(page, 1)
    page.wait_for_selector(f'{row(run_id)} .jp-TrackSidebar-badge[data-state="finished"]', timeout=20_000)
    page.wait_for_selector(".jp-TrackStatus", state="hidden", timeout=20_000)


def test_restore_edit_and_delete_from_the_context_menu(lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "train.ipynb", START.format(project="ui-menu", name="restorable") + "\nrun.finish()")
    lab.open(page, "train.ipynb")
    open_sidebar(page)
    run_cell(page, 0)
    wait_cell_done(page, 0)
    run_id = page.inner_text(f"{NOTEBOOK} .jp-Cell >> nth=0 >> .jp-OutputArea-output").strip()
    page.wait_for_selector(f'{row(run_id)} .jp-TrackSidebar-badge[data-state="finished"]', timeout=20_000)
    tabs_before = page.locator(".jp-NotebookPanel").count()
    context_command(page, run_id, "jupyter-track:restore-snapshot")
    # a new notebook tab with the restored notebook: its first cell is the header naming the run
    page.wait_for_function("n => document.querySelectorAll('.jp-NotebookPanel').length > n", arg=tabs_before,
                           timeout=30_000)
    header = f"{NOTEBOOK} .jp-MarkdownCell .jp-RenderedMarkdown"
    # the rendered cell is in the page before its text: wait for the text
    page.wait_for_function("sel => document.querySelector(sel)?.innerText.trim()", arg=header, timeout=30_000)
    assert "Restored from run restorable" in page.inner_text(header)
    assert "snapshot: executed" in page.inner_text(header)
    restored = [p for p in lab.root.glob("*.ipynb") if p.name != "train.ipynb"]
    assert len(restored) == 1 and "print(run.id)" in restored[0].read_text()

    context_command(page, run_id, "jupyter-track:edit-run")
    form = ".jp-Dialog .jp-TrackEditForm"
    page.wait_for_selector(form, timeout=10_000)
    assert page.input_value(f"{form}-input >> nth=0") == "restorable"
    page.fill(f"{form}-input >> nth=0", "renamed")
    page.fill(f"{form}-input >> nth=1", "a, b, a")
    page.fill(f"{form}-notes", "a note")
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_function("sel => document.querySelector(sel)?.innerText.includes('renamed')", arg=row(run_id),
                           timeout=20_000)
    edited = api(lab, f"runs/ui-menu/{run_id}")[1]
    assert (edited["name"], edited["tags"], edited["notes"]) == ("renamed", ["a", "b"], "a note")

    context_command(page, run_id, "jupyter-track:delete-run")
    dialog = page.wait_for_selector(".jp-Dialog", timeout=10_000)
    assert "renamed" in dialog.inner_text() and "cannot be undone" in dialog.inner_text()
    page.click(".jp-Dialog button.jp-mod-reject")  # Cancel keeps it
    page.wait_for_selector(".jp-Dialog", state="detached", timeout=10_000)
    assert api(lab, f"runs/ui-menu/{run_id}")[0] == 200
    context_command(page, run_id, "jupyter-track:delete-run")
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_selector(row(run_id), state="detached", timeout=20_000)
    assert api(lab, f"runs/ui-menu/{run_id}")[0] == 404


def test_an_unsaved_edit_reaches_the_live_snapshot_of_a_run_started_in_the_notebook(
        lab: Lab, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_notebook(lab.root / "edit.ipynb", "x = 'saved value'", START.format(project="ui-snap", name="snap"))
    lab.open(page, "edit.ipynb")
    editor = page.locator(f"{NOTEBOOK} .jp-Cell").nth(0).locator(".jp-InputArea-editor")
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type("  # UNSAVED-EDIT-42")
    run_cell(page, 1)
    wait_cell_done(page, 1)
    run_id = page.inner_text(f"{NOTEBOOK} .jp-Cell >> nth=1 >> .jp-OutputArea-output").strip()
    def live_snapshot() -> bool:  # the extension sends it once it learns the kernel runs this run
        status, answer = api(lab, f"runs/ui-snap/{run_id}")  # 404 until the kernel's writer flushed the run
        return status == 200 and any(s["which"] == "live" for s in answer["snapshots"])

    assert wait_for(live_snapshot, timeout=30, every=0.3), api(lab, f"runs/ui-snap/{run_id}")
    assert "UNSAVED-EDIT-42" not in (lab.root / "edit.ipynb").read_text()  # never saved to disk
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    text = jt.restore(f"ui-snap/{run_id}", which="live", root=tmp_path).read_text()
    assert "x = 'saved value'  # UNSAVED-EDIT-42" in text


def _log_runs(lab: Lab, monkeypatch: pytest.MonkeyPatch, project: str, n: int) -> list[jt.Run]:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    made = []
    for i in range(n):
        run = jt.init(project=project, name=f"r{i:03d}", group=f"g{i % 2}", tags=["odd" if i % 2 else "even"],
                      config={"i": i}, display=False)
        run.log({"acc": (i * 37 % n) / n, "loss": 1 / (i + 1)})
        if i % 5 == 4:
            run.finish(exit_code=1)
        else:
            run.finish()
        made.append(run)
    return made


def test_paging_sorting_by_a_metric_search_state_filter_and_multi_select_compare(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _log_runs(lab, monkeypatch, "ui-many", 60)
    lab.home(page)
    open_sidebar(page)
    page.wait_for_selector(f"{SIDEBAR} tr.jp-TrackSidebar-row", timeout=30_000)
    rng = f"{SIDEBAR} .jp-TrackSidebar-range"
    assert page.inner_text(rng) == "1–50 of 60"
    names = f"{SIDEBAR} tr.jp-TrackSidebar-row .jp-TrackSidebar-col-name"
    assert page.inner_text(f"{names} >> nth=0") == "r059"  # newest first
    page.click(f"{SIDEBAR} .jp-TrackSidebar-next")
    page.wait_for_function(f"() => document.querySelector('{rng}')?.innerText === '51–60 of 60'", timeout=10_000)
    # sort by the acc column (highest first): the server sorts all 60, not just the page
    page.click(f"{SIDEBAR} th[data-column='summary.acc']")
    best = max(runs, key=lambda r: r.summary["acc"])
    page.wait_for_function(f"() => document.querySelector('{names}')?.innerText === '{best.name}'", timeout=10_000)
    assert page.inner_text(rng) == "1–50 of 60"
    page.click(f"{SIDEBAR} th[data-column='summary.acc']")  # again: lowest first
    worst = min(runs, key=lambda r: r.summary["acc"])
    page.wait_for_function(f"() => document.querySelector('{names}')?.innerText === '{worst.name}'", timeout=10_000)
    page.fill(f"{SIDEBAR} .jp-TrackSidebar-search", "r01")
    # r010 … r019, and any run whose random id has "r01" in it (the search matches ids too: 1 in 130 runs of 60)
    found = sum("r01" in r.name or "r01" in r.id for r in runs)
    page.wait_for_function(f"() => document.querySelector('{rng}')?.innerText === '1–{found} of {found}'",
                           timeout=10_000)
    page.fill(f"{SIDEBAR} .jp-TrackSidebar-search", "")
    page.select_option(f"{SIDEBAR} .jp-TrackSidebar-state", "failed")
    page.wait_for_function(f"() => document.querySelector('{rng}')?.innerText === '1–12 of 12'", timeout=10_000)
    badges = page.eval_on_selector_all(f"{SIDEBAR} .jp-TrackSidebar-badge", "bs => bs.map(b => b.dataset.state)")
    assert set(badges) == {"failed"} and len(badges) == 12
    # group view: a header per group
    page.check(f"{SIDEBAR} .jp-TrackSidebar-byGroup input")
    groups = page.eval_on_selector_all(f"{SIDEBAR} .jp-TrackSidebar-groupRow", "rs => rs.map(r => r.innerText)")
    assert sorted(groups) == ["g0 · 6", "g1 · 6"], groups
    page.uncheck(f"{SIDEBAR} .jp-TrackSidebar-byGroup input")
    # ctrl-click two rows: both selected, "Compare selected (2)" opens the compare panel
    rows = page.locator(f"{SIDEBAR} tr.jp-TrackSidebar-row")
    rows.nth(0).click(modifiers=["Control"])
    rows.nth(1).click(modifiers=["Control"])
    assert page.locator(f"{SIDEBAR} tr.jp-TrackSidebar-row.jp-mod-selected").count() == 2
    assert page.inner_text(f"{SIDEBAR} .jp-TrackSidebar-compare") == "Compare selected (2)"
    page.click(f"{SIDEBAR} .jp-TrackSidebar-compare")
    page.wait_for_selector(".lm-TabBar-tab:has-text('Compare 2 runs')", timeout=20_000)


def _luminance(path: Path) -> tuple[float, int]:
    """Mean luminance (0-255) of an image and its number of distinct colours."""
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        grey = rgb.convert("L")
        return ImageStat.Stat(grey).mean[0], len(rgb.getcolors(maxcolors=1 << 20) or [])


def test_light_and_dark_theme_screenshots_of_the_sidebar(
        lab: Lab, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _log_runs(lab, monkeypatch, "ui-theme", 8)
    lab.home(page)
    open_sidebar(page)
    page.wait_for_selector(f"{SIDEBAR} tr.jp-TrackSidebar-row", timeout=30_000)
    page.wait_for_selector("body[data-jp-theme-light='true']", state="attached", timeout=10_000)
    light = tmp_path / "sidebar-light.png"
    page.locator(SIDEBAR).screenshot(path=str(light))
    page.screenshot(path=str(tmp_path / "lab-light.png"))
    switch_to_dark_theme(page)
    dark = tmp_path / "sidebar-dark.png"
    page.locator(SIDEBAR).screenshot(path=str(dark))
    page.screenshot(path=str(tmp_path / "lab-dark.png"))
    light_mean, light_colours = _luminance(light)
    dark_mean, dark_colours = _luminance(dark)
    assert light.stat().st_size > 5_000 and dark.stat().st_size > 5_000
    assert light_colours > 20 and dark_colours > 20  # text and badges drawn, not a blank area
    assert light_mean > 180, light_mean
    assert dark_mean < 90, dark_mean
    # the text of the dark sidebar is light: the names read on the dark background
    colour = page.eval_on_selector(f"{SIDEBAR} .jp-TrackSidebar-col-name",
                                   "e => getComputedStyle(e).color")
    channels = [int(c) for c in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3]]
    assert sum(channels) / 3 > 150, colour


RUNNING = """\
import jupyter_track as jt
run = jt.init(project="ui-running", name="still-going", display=False)
run.log({"loss": 1.0})
print(run.id)"""


def test_deleting_a_running_run_asks_again_and_deletes_it_only_when_forced(lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "running.ipynb", RUNNING)
    deletes: list[str] = []
    page.on("request", lambda r: deletes.append(r.url) if r.method == "DELETE" else None)
    lab.open(page, "running.ipynb")
    open_sidebar(page)
    run_cell(page, 0)
    wait_cell_done(page, 0)  # the cell is done; the run keeps running (no finish()): its kernel is alive
    run_id = page.inner_text(f"{NOTEBOOK} .jp-Cell >> nth=0 >> .jp-OutputArea-output").strip()
    page.wait_for_selector(f'{row(run_id)} .jp-TrackSidebar-badge[data-state="running"]', timeout=20_000)

    context_command(page, run_id, "jupyter-track:delete-run")
    dialog = page.wait_for_selector(".jp-Dialog", timeout=10_000)
    text = dialog.inner_text()
    assert "still-going" in text and "is still running" in text, text
    assert "its process will lose what it logs from then on" in text, text
    assert page.inner_text(".jp-Dialog button.jp-mod-accept") == "Delete anyway"
    page.click(".jp-Dialog button.jp-mod-reject")  # Cancel keeps it
    page.wait_for_selector(".jp-Dialog", state="detached", timeout=10_000)
    assert deletes == []
    status, kept = api(lab, f"runs/ui-running/{run_id}")
    assert status == 200 and kept["state"] == "running"

    context_command(page, run_id, "jupyter-track:delete-run")
    page.wait_for_selector(".jp-Dialog button.jp-mod-accept:has-text('Delete anyway')", timeout=10_000)
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_selector(row(run_id), state="detached", timeout=20_000)
    assert api(lab, f"runs/ui-running/{run_id}")[0] == 404
    assert len(deletes) == 1, deletes
    sent = urllib.parse.urlsplit(deletes[0])  # JupyterLab adds a cache-busting number to the query
    assert sent.path == f"/jupyter-track/api/runs/ui-running/{run_id}"
    assert urllib.parse.parse_qs(sent.query)["force"] == ["1"], deletes


def test_the_sidebar_asks_nothing_while_hidden_and_catches_up_when_shown(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _log_runs(lab, monkeypatch, "ui-hidden", 1)
    lab.settings(pollInterval=250)
    changes = requests(page, "/jupyter-track/api/changes")
    lab.home(page)
    open_sidebar(page, "ui-hidden")
    page.wait_for_selector(f"{SIDEBAR} tr.jp-TrackSidebar-row", timeout=30_000)
    # shown: it polls the changes cursor about every 250 ms
    assert wait_for(lambda: count(page, changes) >= 4, timeout=20, every=0), changes
    page.click('li[data-id="jupyter-track-sidebar"]')  # collapse the sidebar
    page.wait_for_selector(SIDEBAR, state="hidden", timeout=10_000)
    page.wait_for_timeout(500)  # a poll already on the wire when it closed is still reported
    assert quiet(page, changes, 2000) == 0, changes[-5:]
    # a run logged while hidden is in the list as soon as the sidebar is shown again
    made = _log_runs(lab, monkeypatch, "ui-hidden", 1)[0]
    page.click('li[data-id="jupyter-track-sidebar"]')
    page.wait_for_selector(row(made.id), timeout=20_000)
    seen = count(page, changes)
    assert wait_for(lambda: count(page, changes) >= seen + 2, timeout=20, every=0)  # and it polls again


def test_an_idle_notebook_sends_no_kernel_run_requests_until_its_kernel_is_busy(lab: Lab, page: Any) -> None:
    write_notebook(lab.root / "idle.ipynb", "x = 1")
    lab.settings(pollInterval=250)
    asks = requests(page, "/jupyter-track/api/kernels/")
    lab.open(page, "idle.ipynb")
    # a new kernel is asked about, and so is a kernel that was busy (starting) in the last 15 s; then never again
    assert wait_for(lambda: count(page, asks) >= 1, timeout=30, every=0)

    def settled() -> bool:
        return quiet(page, asks, 1500) == 0

    assert wait_for(settled, timeout=60, every=0), asks[-3:]
    assert quiet(page, asks, 2000) == 0
    run_cell(page, 0)  # a busy kernel may start a run: it is asked about again
    assert wait_for(lambda: quiet(page, asks, 250) > 0, timeout=20, every=0)
    assert wait_for(settled, timeout=60, every=0), asks[-3:]  # and after 15 s idle, never again


SHOTS = Path("/tmp/h-sidebar-shots")  # screenshots for the reviewer, outside the repository


def _metric_headers(page: Any) -> list[str]:
    return page.eval_on_selector_all(f"{SIDEBAR} th.jp-TrackSidebar-col-metric", "ts => ts.map(t => t.innerText)")


def _wait_rows(page: Any, n: int, timeout: int) -> None:
    page.wait_for_function("sel => document.querySelectorAll(sel).length === " + str(n),
                           arg=f"{SIDEBAR} tr.jp-TrackSidebar-row", timeout=timeout)


def _log(project: str, name: str, values: dict[str, Any]) -> jt.Run:
    run = jt.init(project=project, name=name, display=False)
    run.log(values)
    run.finish()
    return run


def test_metric_columns_fit_the_default_width_stay_put_as_runs_arrive_and_a_choice_survives_a_reload(
        lab: Lab, page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(lab.store))
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    hist = jt.Histogram(np.arange(200.0))  # a medium: never a column
    # loss and acc in every run, f1 in three of four, epoch_time in one: the defaults are the three most common
    for i in range(4):
        values: dict[str, Any] = {"loss": 1 / (i + 1), "acc": 0.5 + i / 10, "weights": hist}
        if i > 0:
            values["f1"] = 0.4 + i / 10
        if i == 2:
            values["epoch_time"] = 12.5
        _log("ui-cols", f"run-{i}", values)
    _log("ui-other", "x-run", {"bleu": 0.3})
    lab.settings(pollInterval=250)
    lab.home(page)
    open_sidebar(page, "ui-cols")
    _wait_rows(page, 4, 30_000)
    assert sorted(_metric_headers(page)) == ["acc", "f1", "loss"]
    chosen = _metric_headers(page)
    SHOTS.mkdir(exist_ok=True)
    # at the sidebar's default width: the metric columns show, nothing overflows sideways, the rest collapsed
    layout = page.evaluate("""sel => {
        const list = document.querySelector(sel + ' .jp-TrackSidebar-list');
        const shown = [...document.querySelectorAll(sel + ' th[data-column]')].filter(t => !t.hidden);
        return {width: list.clientWidth, scroll: list.scrollWidth, shown: shown.map(t => t.dataset.column),
                right: Math.max(...shown.map(t => t.getBoundingClientRect().right)),
                edge: list.getBoundingClientRect().right};
    }""", SIDEBAR)
    assert layout["width"] < 400, layout  # the default width, narrow
    assert layout["scroll"] <= layout["width"] and layout["right"] <= layout["edge"] + 0.5, layout
    names = page.eval_on_selector_all(f"{SIDEBAR} td.jp-TrackSidebar-col-name",
                                      "ts => ts.map(t => t.scrollWidth <= t.clientWidth)")
    assert all(names), names  # the names (run-0 …) are not cut
    assert layout["shown"][:2] == ["state", "name"] and sorted(layout["shown"][2:]) == ["summary.acc", "summary.f1",
                                                                                       "summary.loss"], layout
    page.locator(SIDEBAR).screenshot(path=str(SHOTS / "sidebar-default-width.png"))
    # the collapsed columns of a row show in a card while the mouse is over it
    first = f"{SIDEBAR} tr.jp-TrackSidebar-row >> nth=0"
    page.hover(f"{first} >> td.jp-TrackSidebar-col-name")
    card = page.wait_for_selector(".jp-TrackSidebar-details:not([hidden])", timeout=10_000)
    details = card.inner_text()
    started = page.eval_on_selector(f"{SIDEBAR} tr.jp-TrackSidebar-row td[data-column='created_at']",
                                    "td => td.textContent")
    assert "Started" in details and started in details and "Duration" in details, details
    assert "Group" not in details  # empty values are left out (these runs have no group)
    box = card.bounding_box()
    assert box["x"] >= page.locator(SIDEBAR).bounding_box()["width"], box  # beside the sidebar, over no row
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "sidebar-hover-card.png"), clip=box)
    mean, colours = _luminance(SHOTS / "sidebar-hover-card.png")
    assert mean > 215 and colours > 10, (mean, colours)  # drawn (light card, text), not clipped by the sidebar
    page.screenshot(path=str(SHOTS / "sidebar-hover-details.png"))
    page.mouse.move(900, 500)
    page.wait_for_selector(".jp-TrackSidebar-details", state="hidden", timeout=10_000)

    # widened (the split handle dragged 300 px right), the collapsed columns come back, most important first
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first.bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 300, handle["y"] + handle["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_selector(f"{SIDEBAR} th[data-column='created_at']:not([hidden])", timeout=10_000)
    wide = page.evaluate("""sel => {
        const list = document.querySelector(sel + ' .jp-TrackSidebar-list');
        return {width: list.clientWidth, scroll: list.scrollWidth,
                shown: [...document.querySelectorAll(sel + ' th[data-column]')].filter(t => !t.hidden).length};
    }""", SIDEBAR)
    assert wide["width"] > 500 and wide["scroll"] <= wide["width"] and wide["shown"] > 6, wide
    page.locator(SIDEBAR).screenshot(path=str(SHOTS / "sidebar-wide.png"))

    # new runs with other keys arrive (outnumbering f1 on this page): the columns stay as they are
    newer = [_log("ui-cols", f"new-{i}", {"bleu": 0.1 * i, "ppl": 30 - i}) for i in range(4)]
    page.wait_for_selector(row(newer[-1].id), timeout=20_000)
    _wait_rows(page, 8, 20_000)
    assert _metric_headers(page) == chosen

    # the user's choice: f1 out, bleu in; it holds after a reload of the page, for this project only
    page.click(f"{SIDEBAR} .jp-TrackSidebar-columnsButton")
    picker = f"{SIDEBAR} .jp-TrackSidebar-picker"
    page.wait_for_selector(f"{picker}:not([hidden])", timeout=10_000)
    offered = page.eval_on_selector_all(f"{picker} input", "bs => bs.map(b => b.value)")
    assert "weights" not in offered and {"bleu", "ppl", "epoch_time"} <= set(offered), offered
    page.uncheck(f"{picker} input[value='f1']")
    page.check(f"{picker} input[value='bleu']")
    expected = [c for c in chosen if c != "f1"] + ["bleu"]
    assert _metric_headers(page) == expected
    page.locator(SIDEBAR).screenshot(path=str(SHOTS / "sidebar-picker.png"))
    page.reload()
    open_sidebar(page, "ui-cols")
    _wait_rows(page, 8, 30_000)
    page.wait_for_function("([sel, want]) => [...document.querySelectorAll(sel)].map(t => t.innerText).join()"
                           " === want", arg=[f"{SIDEBAR} th.jp-TrackSidebar-col-metric", ",".join(expected)],
                           timeout=10_000)
    page.locator(SIDEBAR).screenshot(path=str(SHOTS / "sidebar-chosen-after-reload.png"))
    page.select_option(f"{SIDEBAR} .jp-TrackSidebar-project", "ui-other")
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].map(t => t.innerText).join() === 'bleu'",
                           arg=f"{SIDEBAR} th.jp-TrackSidebar-col-metric", timeout=10_000)
