"""`jupyter nbconvert --to html` of a notebook with a run panel, a table and a compare view: each view's static
rendering is in the page, whether the widget state was saved or not, and no ``<… object at 0x…>`` line is; the
static table writes numbers as the live table does."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from jupyter_track.widgets.table_view import cell_text
from tests.test_notebooks import execute_notebook

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
TABLE_JS = Path(__file__).parents[1] / "jupyter_track" / "widgets" / "static" / "table_view.js"


@pytest.mark.slow
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
    panel = page[page.index('class="jt-static"'):page.index('class="jt-table-static"')]
    assert page.count('class="jt-static"') == 1 and panel.count("data:image/svg+xml") == 2  # its two charts
    table = page[page.index('class="jt-table-static"'):]
    assert "<td>0.333333</td>" in table[:table.index("</table>")]  # the jt.Table's rows, 6 digits as live
    assert page.count('class="jt-table-static"') == 2  # … and jt.runs(...) as a table
    assert page.count('class="jt-compare-static"') == 1
    if save_state:  # the widgets are in the page too, for a browser that can load the widget manager
        assert page.count('<script type="application/vnd.jupyter.widget-view+json">') == 4


VALUES = [0.30000000000000004, 1 / 3, 3.0, 7, -2, 1e20, 1e21, 1.5e-7, 2.5e-6, 123456789.123, -0.000012345678,
          1234.5678, 0.1, True, False, None, "text", "inf"]


def test_static_table_writes_numbers_as_the_live_table_does() -> None:
    """cell_text against the live table's own ``fmt`` (static/table_view.js), run by node on the same values."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    source = TABLE_JS.read_text()
    fmt = source[source.index("function fmt(v)"):source.index("\n}\n", source.index("function fmt(v)")) + 2]
    script = f"{fmt}\nconsole.log(JSON.stringify({json.dumps(VALUES)}.map(fmt)));"
    live = json.loads(subprocess.run([node, "-e", script], check=True, capture_output=True, text=True).stdout)
    assert [cell_text(v) for v in VALUES] == live
    assert live[:3] == ["0.3", "0.333333", "3"]


def test_fallback_charts_are_svg_images_that_decode_to_the_same_svg() -> None:
    """JupyterLab drops inline <svg> from an untrusted notebook's HTML and keeps images: the fallback's charts
    are images of the very SVG the live views draw, escaped text and all."""
    from xml.etree import ElementTree

    from jupyter_track.widgets.static_view import chart, fallback

    svg = chart('loss <"a"> & b', [("#1f77b4", [0, 1, 2], [1.0, 0.5, 0.25], None, None)])
    page = fallback(f"<div>{svg}</div>")
    assert "<svg" not in page and "<polyline" not in page and page.count("<img") == 1
    src = re.search(r'<img src="data:image/svg\+xml;charset=utf-8,([^"]*)"', page)
    assert src is not None and " width=\"240\" height=\"110\"" in page and "border:1px solid #ddd" in page
    drawn = ElementTree.fromstring(urllib.parse.unquote(src.group(1)))  # well-formed XML, as an image needs
    line = drawn.find("{http://www.w3.org/2000/svg}polyline")
    assert line is not None and len(line.get("points", "").split()) == 3
    assert drawn.get("font-family") == "sans-serif" and "loss &lt;&quot;a&quot;&gt; &amp; b" in page


def test_static_table_images_stay_within_their_budget_and_open_larger_copies() -> None:
    import numpy as np

    import jupyter_track as jt
    from jupyter_track.widgets.table_view import STATIC_IMAGE_BYTES, static_html

    def photo(i: int) -> jt.Image:  # smooth shades and noise: compresses as a photo does
        y, x = np.mgrid[0:224, 0:224]
        shades = 127 + 60 * np.sin(x / (9 + i)) + 60 * np.cos(y / 13)
        noisy = shades[..., None] + np.random.default_rng(i).normal(0, 12, (224, 224, 3))
        return jt.Image(np.clip(noisy, 0, 255).astype(np.uint8), caption=f"photo {i}")

    few = static_html(jt.Table(columns=["image"], data=[[photo(i)] for i in range(3)]))
    assert few.count("<details>") == 3 and few.count("data:image/jpeg") == 6  # thumbnails and copies: JPEG
    many = static_html(jt.Table(columns=["image"], data=[[photo(i)] for i in range(20)]))
    images = sum(len(u) for u in re.findall(r'src="(data:[^"]*)"', many))
    assert images <= STATIC_IMAGE_BYTES and many.count("<img") - many.count("<details>") == 20
    assert 0 < many.count("<details>") < 20 and "<details>" in many[:many.index("photo 1")]  # the first ones
    digits = static_html(jt.Table(columns=["d"], data=[[jt.Image(np.eye(8, dtype=np.uint8) * 255)]] * 20))
    assert digits.count("<details>") == 20 and 'width="128"' in digits  # tiny: every one, drawn at 16×
