"""Notebook 7 (``jupyter notebook``: JupyterLab's components, one document per tab): the live run panel, the table
and the comparison render there, the Runs sidebar opens from View → Left Sidebar, and a saved notebook reopened
with a fresh kernel shows its charts, whether the widget state was saved or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.ui.conftest import NOTEBOOK, Notebook7, run_cell, wait_cell_done, write_notebook
from tests.ui.test_reopen_ui import CELLS, STATIC, _outputs, _points, _shut_down_kernels, _widget_texts

pytestmark = pytest.mark.slow

LIVE = """\
import time
import numpy as np
import jupyter_track as jt
run = jt.init(project="nb7", name="live")
for step in range(60):
    run.log({"train/loss": 1 / (step + 1)})
    time.sleep(0.1)
run.finish()"""
TABLE = """\
table = jt.Table(columns=["image", "label"])
for i in range(5):
    table.add_data(jt.Image(np.full((160, 200, 3), i * 40, dtype=np.uint8), caption=f"img {i}"), i)
table"""
COMPARE = """\
with jt.init(project="nb7", name="other", display=False) as other:
    for step in range(20):
        other.log({"train/loss": 2 / (step + 1)})
jt.compare(project="nb7")"""


def test_widgets_and_sidebar_work_in_notebook7(notebook7: Notebook7, page: Any, tmp_path: Path) -> None:
    write_notebook(notebook7.root / "live.ipynb", LIVE, TABLE, COMPARE)
    notebook7.open(page, "live.ipynb")
    run_cell(page, 0)
    # the live panel draws while the cell still runs
    page.wait_for_function(f"""() => document.querySelector('{NOTEBOOK} .jt-badge')?.dataset.state === 'running'
        && [...document.querySelectorAll('{NOTEBOOK} .jt-chart canvas')].some(c => Number(c.dataset.points) >= 2)""",
                           timeout=30_000)
    assert "[*]" in page.locator(f"{NOTEBOOK} .jp-Cell .jp-InputPrompt").first.inner_text()
    page.screenshot(path=str(tmp_path / "nb7-live.png"))
    wait_cell_done(page, 0)
    page.wait_for_function(f"""() => [...document.querySelectorAll('{NOTEBOOK} .jt-chart canvas')]
        .some(c => c.dataset.lastStep === '59')""", timeout=30_000)
    assert page.locator(f"{NOTEBOOK} .jt-badge[data-state='finished']").count() == 1

    for index in (1, 2):
        run_cell(page, index)
        wait_cell_done(page, index)
    page.wait_for_selector(f"{NOTEBOOK} .jt-compare[data-curves='loaded'] canvas", timeout=30_000)
    assert page.locator(f"{NOTEBOOK} .jt-grid-table img.jt-thumb").count() == 5
    page.locator(f"{NOTEBOOK} .jt-grid-table img.jt-thumb").nth(1).click()  # the image dialog works here too
    page.wait_for_selector("dialog.jt-dialog[open] img.jt-big", state="visible")
    page.wait_for_function("() => document.querySelector('dialog.jt-dialog[open] img.jt-big').naturalWidth === 200")
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog.jt-dialog", state="hidden")
    # live widgets: their static stand-ins stay hidden, no widget error anywhere
    assert not any(f.is_visible() for f in page.locator(f"{NOTEBOOK} {STATIC}").all())
    assert "Error displaying widget" not in page.inner_text(NOTEBOOK)

    # the Runs sidebar: Notebook 7 puts JupyterLab's left panels under View → Left Sidebar
    page.click(".lm-MenuBar-itemLabel:text-is('View')")
    page.hover(".lm-Menu-itemLabel:text-is('Left Sidebar')")
    page.click(".lm-Menu-itemLabel:text-is('Show Experiment runs (jupyter_track)')")
    page.wait_for_selector("#jupyter-track-sidebar .jp-TrackSidebar-table", state="visible", timeout=30_000)
    page.wait_for_selector("#jupyter-track-sidebar tr.jp-TrackSidebar-row", timeout=30_000)
    page.screenshot(path=str(tmp_path / "nb7-sidebar.png"))


@pytest.mark.parametrize("save_state", [False, True], ids=["state-not-saved", "state-saved"])
def test_notebook7_reopened_after_kernel_restart_shows_the_charts(notebook7: Notebook7, page: Any, tmp_path: Path,
                                                                  save_state: bool) -> None:
    folder = notebook7.root.parent / "user-settings" / "@jupyter-widgets" / "jupyterlab-manager"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": save_state}))
    path = notebook7.root / "reopen.ipynb"
    write_notebook(path, *CELLS)
    notebook7.open(page, "reopen.ipynb")
    for index in range(len(CELLS)):
        run_cell(page, index)
        wait_cell_done(page, index)
    page.wait_for_selector(f"{NOTEBOOK} .jt-compare[data-curves='loaded']", timeout=30_000)
    page.locator(f"{NOTEBOOK} .jp-Cell").first.click()
    page.keyboard.press("Control+s")
    assert wait_for(lambda: _outputs(path) >= 6, timeout=30)
    assert ("widgets" in json.loads(path.read_text())["metadata"]) == save_state

    _shut_down_kernels(notebook7)
    notebook7.open(page, "reopen.ipynb")  # a fresh kernel: none of the widgets' models exists in it
    if save_state:  # the widgets render from their saved state
        page.wait_for_function(f"""() => [...document.querySelectorAll('{NOTEBOOK} .jt-chart canvas')]
            .some(c => c.dataset.lastStep === '39')""", timeout=30_000)
        page.wait_for_selector(f"{NOTEBOOK} .jt-compare canvas", timeout=30_000)
        assert page.locator(f"{NOTEBOOK} .jt-table tbody tr").count() == 5
    else:  # the static views stand in for them
        page.wait_for_selector(f"{NOTEBOOK} .jt-static img", timeout=30_000)
        assert len(_points(page, f"{NOTEBOOK} .jt-static img")) == 2  # train/loss, val/acc
        assert page.locator(f"{NOTEBOOK} .jt-table-static tbody tr").first.is_visible()
        assert len(_points(page, f"{NOTEBOOK} .jt-compare-static img")) == 4
    assert wait_for(lambda: not any("Loading" in t for t in _widget_texts(page)), timeout=30), _widget_texts(page)
    assert not any(t.startswith("true") for t in _widget_texts(page)), _widget_texts(page)  # no error in sight
    page.screenshot(path=str(tmp_path / f"nb7-reopened-{save_state}.png"), full_page=True)
