"""The table widget, kernel side: paging, sorting, filtering and search as the frontend asks for them."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.widgets.table_view import TableWidget, runs_table, static_html
from tests.conftest import run_python


@pytest.fixture
def table() -> jt.Table:
    t = jt.Table(columns=["image", "label", "prediction", "score", "note"])
    for i in range(103):
        t.add_data(jt.Image(np.full((4, 4), i, dtype=np.uint8), caption=f"#{i}"), i % 3, (i * 2) % 3,
                   None if i == 5 else float(i % 10), "<b>bold</b>")
    return t


def test_pages_sorting_with_empty_cells_last_and_filter_with_search(table: jt.Table) -> None:
    w = TableWidget(table)
    assert (w.total, len(w.rows), w.row_ids[:3]) == (103, 25, [0, 1, 2])
    assert w.rows[0][0]["_type"] == "image" and w.rows[0][0]["src"].startswith("data:image/png;base64,")
    w.page = 4
    assert w.row_ids == [100, 101, 102]
    w.sort_by, w.sort_desc = "score", True
    assert w.page == 0 and [table.data[i][3] for i in w.row_ids[:3]] == [9.0, 9.0, 9.0]
    w.page = 4
    assert w.row_ids[-1] == 5  # the empty score sorts last, whichever the direction
    w.query = "label != prediction"
    assert w.total == sum(1 for i in range(103) if i % 3 != (i * 2) % 3) and w.page == 0
    w.search = "#1"
    assert all(table.data[i][0].caption.startswith("#1") for i in w.row_ids) and w.total > 0
    w.query = "label ==="
    assert "failed" in w.error and w.total > 0  # a bad expression is reported, the table stays usable


def test_the_image_dialog_gets_full_images_stepping_through_the_current_order(table: jt.Table) -> None:
    w = TableWidget(table)
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]  # what would go to the frontend (no kernel here)
    w.sort_by, w.sort_desc = "label", True
    w.search = "#1"  # #1, #10…#19, #100…#102: 14 rows over pages, in the order the user sees
    order = list(w._order)
    w._on_message(w, {"type": "full", "row": order[-2], "col": 0, "step": 1, "view": "v1"}, [])
    last = sent[-1]
    assert (last["row"], last["index"], last["count"], last["view"]) == (order[-1], 13, 14, "v1")
    assert last["caption"] == table.data[order[-1]][0].caption and (last["width"], last["height"]) == (4, 4)
    w._on_message(w, {"type": "full", "row": order[-1], "col": 0, "step": 1}, [])
    assert sent[-1]["row"] == order[-1]  # the last image stays the last
    w._on_message(w, {"type": "full", "row": order[0], "col": 0, "step": -1}, [])
    assert sent[-1]["index"] == 0
    w._on_message(w, {"type": "full", "row": 0, "col": 1}, [])  # a column without images: no reply
    assert len(sent) == 3


def test_static_table_escapes_cells(table: jt.Table) -> None:
    html = static_html(table)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html and "83 more rows" in html


def test_import_registers_nothing_and_tables_display_as_the_widget_in_a_shell_started_later() -> None:
    # `import jupyter_track` used to register display formatters on a shell that was already running (a side
    # effect of the import); one started afterwards showed a jt.Table as text. Now the objects display themselves.
    out = run_python("""
        import jupyter_track as jt
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.utils.capture import capture_output

        shell = InteractiveShell.instance()
        formatter = shell.display_formatter.mimebundle_formatter
        print([k for k in formatter.deferred_printers if k[0].startswith("jupyter_track")])
        with jt.init(project="shown", display=False) as run:
            run.log({"acc": 0.5})
        for shown in (jt.Table(columns=["a"], data=[[1]]), jt.runs("shown")):
            with capture_output() as shown_as:
                shell.display_formatter.format(shown)
            print([sorted(o.data) for o in shown_as.outputs])
    """).stdout.splitlines()
    # the widget, then its static view as a second output (it stands in where the widget cannot render)
    widget = "[['application/vnd.jupyter.widget-view+json', 'text/plain'], ['text/html']]"
    assert out == ["[]", widget, widget], out


@pytest.mark.slow
def test_runs_list_displays_as_a_table_widget(tmp_path: Path, store_dir: Path) -> None:
    from tests.test_notebooks import execute_notebook

    cells = ["import jupyter_track as jt\nfor lr in (0.1, 0.01):\n    with jt.init(project='r', config={'lr': lr}, "
             "display=False) as run:\n        run.log({'acc': lr * 5})", "jt.runs('r', order='-summary.acc')"]
    path = tmp_path / "runs.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[1].outputs[0].data
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    [table] = [w["state"] for w in state.values() if "rows" in w["state"]]
    assert table["columns"][:3] == ["id", "name", "state"] and "summary.acc" in table["columns"]
    assert "group" not in table["columns"]  # empty columns are left out
    acc = table["columns"].index("summary.acc")
    assert [r[acc] for r in table["rows"]] == [0.5, 0.05]


def test_runs_table_shows_a_logged_medium_as_one_line(store_dir: Path) -> None:
    with jt.init(project="media-list", display=False) as run:
        run.log({"acc": 0.5, "weights": jt.Histogram(np.arange(100.0), num_bins=4)})
    table = runs_table(jt.runs("media-list"))
    [row] = table.data
    cells = dict(zip(table.columns, row, strict=True))
    assert cells["summary.acc"] == 0.5
    assert cells["summary.weights"] == "histogram: 4 bins over [0, 99]"  # was the record: 1000-px-tall rows


def test_photo_thumbnails_travel_as_jpeg_and_flat_images_as_png() -> None:
    # a saved notebook keeps one page of thumbnails in the widget state: 25 PNG photos weighed 838 KB
    rng = np.random.default_rng(0)
    t = jt.Table(columns=["image"])
    photo = rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)
    t.add_data(jt.Image(photo))
    t.add_data(jt.Image(np.full((64, 64), 7, dtype=np.uint8)))  # a flat mask: PNG is smaller
    w = TableWidget(t)
    jpeg, png = w.rows[0][0]["src"], w.rows[1][0]["src"]
    assert jpeg.startswith("data:image/jpeg;base64,") and png.startswith("data:image/png;base64,")
    png_photo = "data:image/png;base64," + base64.b64encode(t.data[0][0].thumbnail).decode()
    assert len(jpeg) < len(png_photo) / 2
