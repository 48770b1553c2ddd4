"""A notebook JupyterLab did not run or save itself (downloaded, or run headless by nbclient or papermill) opens
untrusted: JupyterLab sanitises its HTML outputs (no ``<svg>``, no ``<style>``) and renders no widget. Each of our
views then shows its static view alone, charts included, and no widget error, whether the widget state was saved
or not; once the user trusts it, the widgets render from the saved state, or the static views stay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.conftest import wait_for
from tests.test_notebooks import execute_notebook
from tests.ui.conftest import NOTEBOOK, Lab
from tests.ui.test_reopen_ui import CELLS, STATIC, _points, _widget_texts

pytestmark = pytest.mark.slow

IMAGES = """\
import numpy as np
shade = lambda i: jt.Image(np.full((64, 64), 60 * i, dtype=np.uint8), caption=f"shade {i}")
jt.Table(columns=["shade", "third", "image"], data=[[i, i / 3, shade(i)] for i in range(4)])"""


@pytest.mark.parametrize("save_state", [False, True], ids=["state-not-saved", "state-saved"])
def test_untrusted_notebook_shows_each_static_view_alone_with_its_charts(lab: Lab, page: Any, tmp_path: Path,
                                                                         store_dir: Path, save_state: bool) -> None:
    path = tmp_path / "untrusted.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in [*CELLS, IMAGES]]), path)
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if not save_state:  # what JupyterLab saves by default
        nb.metadata.pop("widgets", None)
    nbformat.write(nb, lab.root / "untrusted.ipynb")  # unsigned: JupyterLab opens it untrusted

    lab.open(page, "untrusted.ipynb")
    page.wait_for_selector(f"{NOTEBOOK} .jt-static img", timeout=30_000)
    # sanitised, so untrusted: the fallbacks' <style> was dropped, and the widget outputs show their empty text
    assert page.locator(f"{NOTEBOOK} .jt-fallback").count() == 4
    assert page.locator(f"{NOTEBOOK} .jt-fallback style").count() == 0
    assert page.locator(f"{NOTEBOOK} .jp-OutputArea-output[data-mime-type='text/plain']").count() == 4
    text = page.inner_text(NOTEBOOK)
    assert "Error displaying widget" not in text and "Loading widget" not in text and "object at 0x" not in text
    assert all(view.is_visible() for view in page.locator(f"{NOTEBOOK} {STATIC}").all())
    # the charts are images, drawn: the run's two metrics, two runs × two metrics in the comparison
    assert len(_points(page, f"{NOTEBOOK} .jt-static img")) == 2
    assert min(_points(page, f"{NOTEBOOK} .jt-static img")) >= 20
    assert len(_points(page, f"{NOTEBOOK} .jt-compare-static img")) == 4
    # … and nothing of them is left as stray text (a sanitised inline SVG leaves its tick labels)
    assert page.locator(f"{NOTEBOOK} .jt-static figure").all_inner_texts() == ["train/loss", "val/acc"]
    # the tables, their numbers written as the live table writes them
    tables = page.locator(f"{NOTEBOOK} .jt-table-static")
    assert tables.nth(0).locator("tbody tr").count() == 5
    assert tables.nth(1).locator("tbody tr").nth(1).inner_text().split("\t")[:2] == ["1", "0.333333"]
    # a thumbnail opens a larger copy in place, no kernel needed
    shades = tables.nth(1).locator("details")
    assert shades.count() == 4 and shades.first.locator("summary img").bounding_box()["height"] <= 48
    shades.first.locator("summary").click()
    large = shades.first.locator(":scope > img")
    large.wait_for(state="visible", timeout=5_000)
    assert large.bounding_box()["width"] >= 128 and large.evaluate("n => n.naturalWidth") > 0
    assert "shade 0" in shades.first.inner_text()
    page.screenshot(path=str(tmp_path / f"untrusted-{save_state}.png"), full_page=True)

    # trusted by the user (command palette: Trust Notebook), the outputs render again as trusted ones
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+c")
    page.fill(".lm-CommandPalette-input", "Trust Notebook")
    page.keyboard.press("Enter")
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_function(f"() => document.querySelectorAll('{NOTEBOOK} .jt-fallback style').length === 4",
                           timeout=10_000)
    if save_state:  # the widgets render from the saved state, their static views hide
        page.wait_for_selector(f"{NOTEBOOK} .jt-panel", timeout=30_000)
        page.wait_for_selector(f"{NOTEBOOK} .jt-table tbody tr", timeout=30_000)
        assert not any(view.is_visible() for view in page.locator(f"{NOTEBOOK} {STATIC}").all())
    else:  # the models are gone: the widget errors stay hidden, the static views stay
        assert wait_for(lambda: len(_widget_texts(page)) == 4 and not any("Loading" in t for t in _widget_texts(page)),
                        timeout=30), _widget_texts(page)
        assert _widget_texts(page) == ["false: Error displaying widget: model not found"] * 4
        assert all(view.is_visible() for view in page.locator(f"{NOTEBOOK} {STATIC}").all())
    assert "Error displaying widget" not in page.inner_text(NOTEBOOK)
    page.screenshot(path=str(tmp_path / f"trusted-{save_state}.png"), full_page=True)
