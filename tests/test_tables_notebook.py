"""notebooks/tables_and_images.ipynb runs top to bottom and leaves a run with a predictions table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jupyter_track as jt
from tests.conftest import REPO
from tests.test_notebooks import NOTEBOOKS, execute_notebook


def test_tables_notebook_is_current_and_records_predictions(tmp_path: Path) -> None:
    check = subprocess.run([sys.executable, "scripts/make_tables_notebook.py", "--check"], cwd=REPO,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    store = tmp_path / "store"
    nb = execute_notebook(NOTEBOOKS / "tables_and_images.ipynb", store, tmp_path / "kernels")
    [run] = jt.runs("tables", dir=store)
    table = jt.load_run(run.path, dir=store).table("predictions")
    assert table.columns == ["image", "label", "prediction", "confidence"] and len(table) == 150
    assert run.summary["test_acc"] > 0.8 and run.state == "finished"
    wrong = table.filter("label != prediction")
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert f"{len(wrong)} mistakes out of 150" in printed
    shown = [o for c in nb.cells for o in c.get("outputs", [])
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(shown) >= 3  # the live panel and two table widgets
