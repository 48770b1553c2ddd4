"""The static fallback: a notebook executed headless and exported to HTML (what nbviewer serves: nbconvert) shows
the run's charts, the tables and the comparison in a browser with no widget manager and no network (as GitHub,
nbviewer or an emailed HTML file would), whether the widget state was saved or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.test_html_export import CELLS
from tests.test_notebooks import execute_notebook
from tests.ui.test_reopen_ui import _points
from tests.ui.test_untrusted_ui import IMAGES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("save_state", [False, True], ids=["state-not-saved", "state-saved"])
def test_exported_html_shows_every_static_view_without_widgets(tmp_path: Path, store_dir: Path, page: Any,
                                                               save_state: bool) -> None:
    from nbconvert import HTMLExporter

    path = tmp_path / "export.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in [*CELLS, IMAGES]]), path)
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    if not save_state:
        nb.metadata.pop("widgets", None)
    html, _ = HTMLExporter().from_notebook_node(nb)
    out = tmp_path / "export.html"
    out.write_text(html)
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else
               route.continue_())  # offline: the widget manager script cannot load
    page.goto(out.as_uri())
    charts = page.locator(".jt-static figure")
    charts.first.wait_for(state="visible", timeout=10_000)
    assert charts.all_inner_texts() == ["train/loss", "val/acc"]  # the captions; the charts are images
    assert len(_points(page, ".jt-static img")) == 2 and min(_points(page, ".jt-static img")) >= 100
    assert "exported" in page.inner_text(".jt-static")
    assert len(_points(page, ".jt-compare-static img")) == 2  # one run, two metrics
    assert page.locator(".jt-table-static").count() == 3 and all(
        t.is_visible() for t in page.locator(".jt-table-static").all())
    text = page.inner_text("body")
    assert "object at 0x" not in text and "Error displaying widget" not in text
    # a thumbnail opens its larger copy, no script needed
    summary = page.locator(".jt-table-static details summary").first
    summary.click()
    large = page.locator(".jt-table-static details").first.locator(":scope > img")
    large.wait_for(state="visible", timeout=5_000)
    assert large.bounding_box()["width"] >= 128
    page.screenshot(path=str(tmp_path / f"export-{save_state}.png"), full_page=True)
