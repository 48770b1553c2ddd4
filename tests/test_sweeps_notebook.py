"""notebooks/sweeps.ipynb runs top to bottom on CPU and leaves a finished sweep."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import jupyter_track as jt
from tests.conftest import REPO
from tests.test_notebooks import NOTEBOOKS, execute_notebook

pytestmark = pytest.mark.slow


def test_sweeps_notebook_is_current_and_runs_its_trials(tmp_path: Path) -> None:
    check = subprocess.run([sys.executable, "scripts/make_sweeps_notebook.py", "--check"], cwd=REPO,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    store = tmp_path / "store"
    started = time.monotonic()
    nb = execute_notebook(NOTEBOOKS / "sweeps.ipynb", store, tmp_path / "kernels")
    print(f"sweeps notebook: {time.monotonic() - started:.1f} s")
    runs = jt.runs("sweeps", dir=store)
    assert len(runs) == 12 and {r.state for r in runs} <= {"finished", "pruned"}
    assert len({r.sweep_id for r in runs}) == 1
    best = max((r for r in runs if r.state == "finished"), key=lambda r: r.summary["val/acc"])
    printed = "".join(o.get("text", "") for o in nb.cells[-2].outputs)
    assert f"best val/acc {best.summary['val/acc']:.3f}" in printed
