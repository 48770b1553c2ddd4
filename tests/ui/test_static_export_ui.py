"""The static fallback: a notebook executed headless and exported to HTML shows the run's charts in a browser
with no widget manager and no network (as GitHub, nbviewer or an emailed HTML file would)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.test_notebooks import execute_notebook

pytestmark = pytest.mark.slow

CELL = """\
import jupyter_track as jt
run = jt.init(project="export", name="exported")
for step in range(2_000):
    run.log({"train/loss": 1 / (step + 1), "val/acc": step / 2_000})
run.finish()"""


def test_exported_html_shows_the_charts_without_widgets(tmp_path: Path, store_dir: Path, page: Any) -> None:
    from nbconvert import HTMLExporter

    path = tmp_path / "export.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)]), path)
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    html, _ = HTMLExporter().from_notebook_node(nb)
    out = tmp_path / "export.html"
    out.write_text(html)
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else
               route.continue_())  # offline: the widget manager script cannot load
    page.goto(out.as_uri())
    charts = page.locator(".jt-static figure")
    charts.first.wait_for(state="visible", timeout=10_000)
    assert charts.count() == 2
    captions = page.locator(".jt-static figcaption").all_inner_texts()
    assert captions == ["train/loss", "val/acc"]
    assert page.locator(".jt-static polyline").count() >= 2
    assert "exported" in page.inner_text(".jt-static")
    page.screenshot(path=str(tmp_path / "export.png"), full_page=True)
