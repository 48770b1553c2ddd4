"""The table widget in JupyterLab: image thumbnails, sort and filter by clicks, enlarge, no HTML injection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import NOTEBOOK, Lab, run_cell, write_notebook

pytestmark = pytest.mark.slow

TABLE = """\
import numpy as np
import jupyter_track as jt
rng = np.random.default_rng(0)
table = jt.Table(columns=["image", "label", "prediction", "note"])
for i in range(60):
    pixels = np.full((16, 16, 3), (i * 4) % 256, dtype=np.uint8)
    table.add_data(jt.Image(pixels, caption=f"digit {i}"), i % 3, (i * 2) % 3, "<img src=x onerror=alert(1)>")
table"""

PANEL = NOTEBOOK  # the widget is a cell output


def column(page: Any, index: int) -> list[str]:
    return page.eval_on_selector_all(f"{PANEL} .jt-grid-table tbody tr",
                                     f"rows => rows.map(r => r.children[{index}].textContent)")


def test_table_sorts_filters_and_enlarges_by_clicks(lab: Lab, page: Any, tmp_path: Path) -> None:
    write_notebook(lab.root / "table.ipynb", TABLE)
    lab.open(page, "table.ipynb")
    run_cell(page)
    page.wait_for_selector(f"{PANEL} .jt-grid-table img.jt-thumb", timeout=30_000)
    assert page.locator(f"{PANEL} .jt-grid-table img.jt-thumb").count() == 25  # one page of thumbnails
    assert "rows 1–25 of 60" in page.inner_text(f"{PANEL} .jt-info")

    def rows_sorted(descending: bool) -> None:  # the header changes at once; the rows when the kernel replies
        page.wait_for_function(
            "([sel, desc]) => { const v = [...document.querySelectorAll(sel)].map(r => Number(r.children[1]"
            ".textContent)); return v.length === 25 && v.every((x, i) => i === 0 || (desc ? v[i - 1] >= x : "
            "v[i - 1] <= x)) && v[0] === (desc ? 2 : 0); }",
            arg=[f"{PANEL} .jt-grid-table tbody tr", descending], timeout=10_000)

    page.click(f"{PANEL} .jt-grid-table th:has-text('label')")
    rows_sorted(descending=False)
    page.click(f"{PANEL} .jt-grid-table th:has-text('label')")
    rows_sorted(descending=True)

    page.fill(f"{PANEL} .jt-query", "label != prediction")
    page.press(f"{PANEL} .jt-query", "Enter")
    page.wait_for_function(f"() => document.querySelector('{PANEL} .jt-info')?.textContent.includes('filtered')")
    labels, predictions = column(page, 1), column(page, 2)
    assert labels and all(a != b for a, b in zip(labels, predictions, strict=True))
    expected = sum(1 for i in range(60) if i % 3 != (i * 2) % 3)
    assert f"of {expected} (filtered from 60)" in page.inner_text(f"{PANEL} .jt-info")

    page.click(f"{PANEL} .jt-grid-table img.jt-thumb >> nth=0")  # click to enlarge: the full image
    page.wait_for_selector(f"{PANEL} .jt-overlay img.jt-big[src^='data:image/png']", state="visible")
    page.screenshot(path=str(tmp_path / "table_enlarged.png"))
    page.click(f"{PANEL} .jt-overlay")

    notes = column(page, 3)
    assert notes and all(n == "<img src=x onerror=alert(1)>" for n in notes)  # shown as text
    assert page.locator(f"{PANEL} .jt-grid-table img[src='x']").count() == 0
    page.screenshot(path=str(tmp_path / "table.png"))
