"""notebooks/artifacts.ipynb runs top to bottom on a real kernel and leaves the promoted model and its lineage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbclient")

import jupyter_track as jt
from tests.conftest import REPO
from tests.test_notebooks import NOTEBOOKS, execute_notebook, nbformat


def test_artifacts_notebook_is_generated_and_committed_without_outputs() -> None:
    check = subprocess.run([sys.executable, "scripts/make_artifacts_notebook.py", "--check"], cwd=REPO,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    nb = nbformat.read(NOTEBOOKS / "artifacts.ipynb", as_version=4)
    assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code")


def test_artifacts_notebook_promotes_a_model_with_lineage(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    nb = execute_notebook(NOTEBOOKS / "artifacts.ipynb", store_dir, tmp_path / "kernels")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("<svg" in o.get("data", {}).get("text/html", "") for o in outputs), "the lineage graph is shown"

    production = jt.artifact("artifacts-demo/blob-classifier:production", dir=store_dir)
    assert production.version == "v0" and production.type == "model"
    assert [a.version for a in jt.artifacts("artifacts-demo", type="dataset", dir=store_dir)] == ["v0"]
    graph = production.lineage()
    assert [n.get("job_type") for n in graph.upstream() if n["kind"] == "run"] == ["train", "dataset"]
    assert [n.get("job_type") for n in graph.downstream()] == ["eval"]
