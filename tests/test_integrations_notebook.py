"""notebooks/integrations.ipynb runs top to bottom on a real kernel: one run per framework, each trained with the
framework's own loop, with the live panel in the cell that trains."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_track as jt
from tests.conftest import REPO
from tests.test_notebooks import NOTEBOOKS, execute_notebook, nbformat

PANEL = "application/vnd.jupyter.widget-view+json"
FRAMEWORKS = ("torch", "lightning", "transformers", "accelerate", "keras", "xgboost", "lightgbm", "sklearn")


def test_integrations_notebook_is_generated_and_committed_without_outputs() -> None:
    check = subprocess.run([sys.executable, "scripts/make_integrations_notebook.py", "--check"], cwd=REPO,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    nb = nbformat.read(NOTEBOOKS / "integrations.ipynb", as_version=4)
    assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code")


def test_integrations_notebook_records_a_run_per_framework_with_its_live_panel(tmp_path: Path) -> None:
    missing = [f for f in FRAMEWORKS if importlib.util.find_spec(f) is None]  # the kernel imports them
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    store = tmp_path / "store"
    nb = execute_notebook(NOTEBOOKS / "integrations.ipynb", store, tmp_path / "kernels")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.get("output_type") == "error"]

    runs = {r.name: r for r in jt.runs("integrations-demo", dir=store)}
    assert set(runs) == {"lightning", "huggingface", "keras", "xgboost", "lightgbm", "sklearn"}
    assert {r.state for r in runs.values()} == {"finished"}
    lightning = jt.load_run(runs["lightning"].path, dir=store)
    assert lightning.config == {"lr": 0.5, "hidden": 16}
    assert len(lightning.metric("val/acc").steps) == 5 and lightning.summary["val/acc"] > 0.9
    assert jt.artifact(f"integrations-demo/model-{lightning.id}:best", dir=store).type == "model"
    hf = jt.load_run(runs["huggingface"].path, dir=store)
    assert hf.config["hidden_size"] == 16 and len(hf.metric("eval/loss").steps) == 3
    assert jt.artifact(f"integrations-demo/model-{hf.id}:final_model", dir=store).type == "model"
    keras = jt.load_run(runs["keras"].path, dir=store)
    assert keras.metric("epoch/val_accuracy").steps.tolist() == [5, 11, 17, 23, 29]  # 6 batches an epoch
    assert len(jt.load_run(runs["xgboost"].path, dir=store).metric("valid-logloss").steps) == 20
    assert len(jt.load_run(runs["lightgbm"].path, dir=store).metric("valid_0_binary_logloss").steps) == 20

    # the live panel shows in the cell that trains: Lightning's fit(), the Trainer's train(), Keras' fit()
    trains = [c for c in code if any(k in c.source for k in ("trainer.fit(", ".train()", "keras_model.fit("))]
    assert len(trains) == 3
    assert all(any(PANEL in o.get("data", {}) for o in c.outputs) for c in trains)
    [boosting] = [c for c in code if "lightgbm.train(" in c.source]  # LightGBM's feature importance: a table widget
    assert any(PANEL in o.get("data", {}) for o in boosting.outputs)
    sklearn = jt.load_run(runs["sklearn"].path, dir=store)
    assert set(sklearn.keys()) == {"feature_importances", "confusion_matrix", "summary_metrics", "class_proportions",
                                   "calibration_curve", "roc", "precision_recall"}
    [charts] = [c for c in code if "jt.sklearn.plot_classifier(" in c.source]
    assert any(PANEL in o.get("data", {}) for o in charts.outputs)  # the live panel that draws them
    assert "accuracy_score" in charts.outputs[-1]["data"]["text/plain"]
