"""The table widget in JupyterLab: image thumbnails, sort and filter by clicks, search as you type, the full image
in a dialog centred on the viewport, no HTML injection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.conftest import NOTEBOOK, Lab, run_cell, wait_cell_done, write_notebook

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
    page.wait_for_selector(f"{PANEL} dialog.jt-dialog img.jt-big[src^='data:image/png']", state="visible")
    page.mouse.click(5, 5)  # outside the image: the dialog closes
    page.wait_for_selector(f"{PANEL} dialog.jt-dialog", state="hidden")

    notes = column(page, 3)
    assert notes and all(n == "<img src=x onerror=alert(1)>" for n in notes)  # shown as text
    assert page.locator(f"{PANEL} .jt-grid-table img[src='x']").count() == 0
    page.screenshot(path=str(tmp_path / "table.png"))


# a long notebook: the table is far below the top, the page scrolled down to it
BIG_IMAGES = """\
import numpy as np
import jupyter_track as jt
table = jt.Table(columns=["image", "name"])
for i in range(30):
    pixels = np.zeros((200, 300, 3), dtype=np.uint8)
    pixels[:, :, 0] = np.linspace(0, 255, 300, dtype=np.uint8)
    pixels[:, :, 2] = i * 8
    pixels[:, (i * 10) % 300] = 255
    table.add_data(jt.Image(pixels, caption=f"sample {i}"), "cat" if i % 2 else "dog")
table"""
FILLER = "print('\\n'.join(str(i) for i in range(60)))"


def _dialog(page: Any) -> dict[str, Any]:
    """The open dialog's box, its image's natural size and caption, and the viewport."""
    return dict(page.evaluate("""() => { const d = document.querySelector('dialog.jt-dialog[open]');
        const img = d.querySelector('img.jt-big'), r = d.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, naturalWidth: img.naturalWidth,
                naturalHeight: img.naturalHeight, shownWidth: img.getBoundingClientRect().width,
                caption: d.querySelector('.jt-big-caption').textContent,
                width: window.innerWidth, height: window.innerHeight}; }"""))


def test_image_dialog_is_centred_on_the_viewport_full_size_and_steps_with_arrows(lab: Lab, page: Any,
                                                                                  tmp_path: Path) -> None:
    write_notebook(lab.root / "long.ipynb", *[FILLER] * 3, BIG_IMAGES)
    lab.open(page, "long.ipynb")
    for index in range(4):
        run_cell(page, index)
        wait_cell_done(page, index)
    thumb = page.locator(f"{PANEL} .jt-grid-table img.jt-thumb").first
    thumb.wait_for(timeout=30_000)
    assert page.evaluate("() => document.querySelector('.jt-thumb').naturalWidth") <= 128  # the table: thumbnails
    thumb.scroll_into_view_if_needed()
    scrolled = page.evaluate("""() => { const s = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) '
        + '.jp-WindowedPanel-outer'); return s ? s.scrollTop : -1; }""")
    assert scrolled > 1000  # the table sits far down the notebook
    thumb.click()
    page.wait_for_selector(f"{PANEL} dialog.jt-dialog[open] img.jt-big", state="visible")
    # the thumbnail shows at once, the full image replaces it when the kernel sends it
    page.wait_for_function("() => document.querySelector('dialog.jt-dialog[open] .jt-big-caption')"
                           ".textContent.includes('300×200') && document.querySelector('dialog.jt-dialog[open] "
                           "img.jt-big').complete")
    box = _dialog(page)
    assert (box["naturalWidth"], box["naturalHeight"]) == (300, 200)  # the original, not the 128 px thumbnail
    assert box["shownWidth"] >= 300  # shown at full size (it fits the viewport)
    assert box["left"] >= 0 and box["right"] <= box["width"]  # within the viewport
    assert box["top"] >= 0 and box["bottom"] <= box["height"]
    assert abs((box["left"] + box["right"]) / 2 - box["width"] / 2) < 2  # centred on the viewport
    assert abs((box["top"] + box["bottom"]) / 2 - box["height"] / 2) < 2
    assert box["caption"].startswith("sample 0 · 300×200 · image 1 of 30")
    page.screenshot(path=str(tmp_path / "table_dialog.png"))

    page.keyboard.press("ArrowRight")  # the next image of the column
    page.wait_for_function("() => document.querySelector('dialog.jt-dialog[open] .jt-big-caption')"
                           ".textContent.startsWith('sample 1 ')")
    page.click(f"{PANEL} dialog.jt-dialog .jt-dialog-next")
    page.wait_for_function("() => document.querySelector('dialog.jt-dialog[open] .jt-big-caption')"
                           ".textContent.startsWith('sample 2 ')")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.querySelector('dialog.jt-dialog[open] .jt-big-caption')"
                           ".textContent.startsWith('sample 1 ')")
    # the keys go to the dialog, not to the notebook (whose shortcuts would act on cells)
    assert page.evaluate("() => document.querySelector('dialog.jt-dialog[open]').contains(document.activeElement)")
    page.keyboard.press("Escape")
    page.wait_for_selector(f"{PANEL} dialog.jt-dialog", state="hidden")

    thumb.click()  # the close button closes it too
    page.wait_for_selector(f"{PANEL} dialog.jt-dialog[open]", state="visible")
    page.click(f"{PANEL} dialog.jt-dialog .jt-dialog-close")
    page.wait_for_selector(f"{PANEL} dialog.jt-dialog", state="hidden")

    # the search filters as the user types, without Enter
    page.locator(f"{PANEL} .jt-search").press_sequentially("cat", delay=50)
    page.wait_for_function(f"() => document.querySelector('{PANEL} .jt-info')?.textContent"
                           ".includes('of 15 (filtered from 30)')", timeout=10_000)
    assert set(column(page, 1)) == {"cat"}
