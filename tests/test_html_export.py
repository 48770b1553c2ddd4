"""`jupyter nbconvert --to html` of a notebook with a run panel, a table and a compare view: each view's static
rendering is in the page, whether the widget state was saved or not, and no ``<… object at 0x…>`` line is."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.test_notebooks import execute_notebook

pytestmark = pytest.mark.slow

CELLS = [
    """\
import jupyter_track as jt
run = jt.init(project="html", name="exported")
for step in range(300):
    run.log({"train/loss": 1 / (step + 1), "val/acc": step / 300})
run.finish()""",
    """jt.Table(columns=["epoch", "loss"], data=[[i, 1 / (i + 1)] for i in range(5)])""",
    """jt.compare(project="html")""",
    """jt.runs("html")""",
]


@pytest.mark.parametrize("save_state", [False, True], ids=["state-not-saved", "state-saved"])
def test_html_export_has_every_static_view_and_no_object_reprs(tmp_path: Path, store_dir: Path,
                                                               save_state: bool) -> None:
    path = tmp_path / "export.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS]), path)
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    if not save_state:  # what JupyterLab saves by default
        nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)], check=True,
                   capture_output=True)
    page = (tmp_path / "export.html").read_text()
    assert not re.search(r"object at 0x[0-9a-f]+", page)
    assert page.count('class="jt-static"') == 1 and page.count("<polyline") >= 2  # the run panel's charts
    table = page[page.index('class="jt-table-static"'):]
    assert "<td>0.3333333333333333</td>" in table[:table.index("</table>")]  # the jt.Table's rows
    assert page.count('class="jt-table-static"') == 2  # … and jt.runs(...) as a table
    assert page.count('class="jt-compare-static"') == 1
    if save_state:  # the widgets are in the page too, for a browser that can load the widget manager
        assert page.count('<script type="application/vnd.jupyter.widget-view+json">') == 4
