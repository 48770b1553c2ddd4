"""A saved notebook reopened with a fresh kernel shows its charts, table and comparison, whether JupyterLab saved
the widget state or not (its default: not; the widgets' models are then gone and only the static views remain)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.ui.conftest import NOTEBOOK, Lab, run_cell, wait_cell_done, write_notebook

pytestmark = pytest.mark.slow

CELLS = [
    """\
import jupyter_track as jt
run = jt.init(project="reopen", name="first")
for step in range(40):
    run.log({"train/loss": 1 / (step + 1), "val/acc": step / 40})
run.finish()""",
    """jt.Table(columns=["epoch", "loss"], data=[[i, 1 / (i + 1)] for i in range(5)])""",
    """\
with jt.init(project="reopen", name="second", display=False) as other:
    for step in range(40):
        other.log({"train/loss": 2 / (step + 1), "val/acc": step / 50})
jt.compare(project="reopen")""",
]
STATIC = ":is(.jt-static, .jt-table-static, .jt-compare-static)"  # the static views of panel, table, compare


def _widget_texts(page: Any) -> list[str]:
    """The text of every widget output that shows no widget: "Loading widget...", or the error when its model is
    gone (with whether it is visible)."""
    return list(page.eval_on_selector_all(
        f"{NOTEBOOK} .jp-OutputArea-output:not([data-mime-type])",  # the widget renderer's (others name theirs)
        "ns => ns.filter(n => !n.firstElementChild).map(n => `${n.offsetParent !== null}: ${n.textContent}`)"))


def _outputs(path: Path) -> int:
    """Outputs in the notebook file (0 while the server is still writing it)."""
    try:
        return sum(len(c.get("outputs", [])) for c in json.loads(path.read_text())["cells"])
    except json.JSONDecodeError:
        return 0


def _points(page: Any, selector: str) -> list[int]:
    """Points of each SVG polyline in the visible chart images (``<img src="data:image/svg+xml,…">``) under
    ``selector``, of the images the browser decoded (a malformed SVG never loads)."""
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].every(n => n.complete)", arg=selector,
                           timeout=10_000)
    return list(page.eval_on_selector_all(
        selector, """ns => ns.filter(n => n.getBoundingClientRect().width > 0 && n.naturalWidth > 0
                          && n.src.startsWith('data:image/svg+xml'))
            .flatMap(n => [...new DOMParser().parseFromString(decodeURIComponent(n.src.slice(n.src.indexOf(',') + 1)),
                                                              'image/svg+xml').querySelectorAll('polyline')])
            .map(n => n.getAttribute('points').trim().split(/\\s+/).length)"""))


def _shut_down_kernels(lab: Lab) -> None:
    def call(method: str, path: str) -> Any:
        request = urllib.request.Request(f"{lab.url}{path}", method=method,
                                         headers={"Authorization": f"token {lab.token}"})
        body = urllib.request.urlopen(request, timeout=30).read()
        return json.loads(body) if body else None

    for session in call("GET", "api/sessions"):
        call("DELETE", f"api/sessions/{session['id']}")
    assert wait_for(lambda: not call("GET", "api/kernels"), timeout=30)


@pytest.mark.parametrize("save_state", [False, True], ids=["state-not-saved", "state-saved"])
def test_reopened_notebook_shows_charts_table_and_comparison(lab: Lab, page: Any, tmp_path: Path,
                                                              save_state: bool) -> None:
    folder = lab.root.parent / "user-settings" / "@jupyter-widgets" / "jupyterlab-manager"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": save_state}))
    path = lab.root / "reopen.ipynb"
    write_notebook(path, *CELLS)
    lab.open(page, "reopen.ipynb")
    for index in range(len(CELLS)):
        run_cell(page, index)
        wait_cell_done(page, index)
    page.wait_for_selector(f"{NOTEBOOK} .jt-badge[data-state='finished']", timeout=30_000)
    page.wait_for_selector(f"{NOTEBOOK} .jt-compare[data-curves='loaded']", timeout=30_000)
    # live: the widgets show, their static views stay hidden
    assert page.locator(f"{NOTEBOOK} {STATIC}").count() == 3
    assert not any(f.is_visible() for f in page.locator(f"{NOTEBOOK} {STATIC}").all())
    page.locator(f"{NOTEBOOK} .jp-Cell").first.click()
    page.keyboard.press("Control+s")
    assert wait_for(lambda: _outputs(path) >= 6, timeout=30)
    saved = json.loads(path.read_text())
    assert ("widgets" in saved["metadata"]) == save_state

    _shut_down_kernels(lab)
    lab.open(page, "reopen.ipynb")  # a fresh kernel: none of the widgets' models exists in it
    page.wait_for_selector(f"{NOTEBOOK} .jt-panel, {NOTEBOOK} .jt-static", timeout=30_000)
    if save_state:  # the widgets render from their saved state
        page.wait_for_function(f"""() => [...document.querySelectorAll('{NOTEBOOK} .jt-chart canvas')]
            .some(c => Number(c.dataset.points) >= 20 && c.dataset.lastStep === '39')""", timeout=30_000)
        page.wait_for_selector(f"{NOTEBOOK} .jt-table tbody tr", timeout=30_000)
        assert page.locator(f"{NOTEBOOK} .jt-table tbody tr").count() == 5
        page.wait_for_selector(f"{NOTEBOOK} .jt-compare canvas", timeout=30_000)
        assert not any(f.is_visible() for f in page.locator(f"{NOTEBOOK} {STATIC}").all())
    else:  # the static views stand in for them
        page.wait_for_selector(f"{NOTEBOOK} .jt-static img", timeout=30_000)
        assert len(_points(page, f"{NOTEBOOK} .jt-static img")) == 2  # train/loss, val/acc
        assert min(_points(page, f"{NOTEBOOK} .jt-static img")) >= 20
        rows = page.locator(f"{NOTEBOOK} .jt-table-static tbody tr")
        assert rows.count() == 5 and rows.first.is_visible()
        assert len(_points(page, f"{NOTEBOOK} .jt-compare-static img")) == 4  # two runs, two metrics
        assert "second" in page.inner_text(f"{NOTEBOOK} .jt-compare-static")
    # the widget manager has looked for every model (no "Loading widget..." left), and no error is in sight
    assert wait_for(lambda: not any("Loading" in t for t in _widget_texts(page)), timeout=30), _widget_texts(page)
    assert not any(t.startswith("true") for t in _widget_texts(page)), _widget_texts(page)
    if not save_state:  # each widget's output holds the error, hidden
        assert _widget_texts(page) == ["false: Error displaying widget: model not found"] * 3
    page.screenshot(path=str(tmp_path / f"reopened-{save_state}.png"), full_page=True)
