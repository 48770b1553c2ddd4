"""The example notebooks run top to bottom on a real kernel and leave the expected runs in the store.

The kernel is this test process's own interpreter (the venv's python): its kernel spec is written to a
temporary folder and given to nbclient through a KernelSpecManager, so nothing is installed and no
``python3`` kernel spec found elsewhere on the machine can swap the interpreter. The store is pytest's
``tmp_path``, handed to the kernel through ``JUPYTER_TRACK_DIR`` in its environment.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from ipykernel.kernelspec import write_kernel_spec  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

import jupyter_track as jt  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL_NAME = "jupyter-track-test"
CELL_TIMEOUT = 60  # seconds per cell


def execute_notebook(path: Path, store_dir: Path, kernels_dir: Path) -> Any:
    """Run every cell of ``path``; raises nbclient's CellExecutionError on the first failing cell."""
    nb = nbformat.read(path, as_version=4)
    write_kernel_spec(str(kernels_dir / KERNEL_NAME))  # argv starts with sys.executable
    specs = KernelSpecManager(kernel_dirs=[str(kernels_dir)])
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    if os.name == "posix":  # Unix sockets (in a short path: they have a length limit), not open TCP ports
        km.transport, km.ip = "ipc", os.path.join(tempfile.mkdtemp(prefix="jt-ipc-"), "k")
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_TRACK_")}
    env["JUPYTER_TRACK_DIR"] = str(store_dir)
    client = nbclient.NotebookClient(nb, km=km, kernel_name=KERNEL_NAME, timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env)
    finally:  # nbclient leaves a kernel manager it was given running: stop the kernel here
        if km.has_kernel:
            km.shutdown_kernel()
        if km.transport == "ipc":
            shutil.rmtree(os.path.dirname(km.ip), ignore_errors=True)
    return nb


def execute_cell(source: str, store_dir: Path, tmp_path: Path) -> tuple[Any, int]:
    """Run a one-cell notebook; return the executed notebook and how many bytes its saved file gained."""
    path = tmp_path / "cell.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    empty = path.stat().st_size
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    nbformat.write(nb, tmp_path / "executed.ipynb")
    return nb, (tmp_path / "executed.ipynb").stat().st_size - empty


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "no code cells"
    assert all(not c.outputs and c.execution_count is None for c in code), "clear outputs before committing"


def test_quickstart_notebook_runs_and_records_a_run(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    kernels_dir = tmp_path / "kernels"
    nb = execute_notebook(NOTEBOOKS / "quickstart.ipynb", store_dir, kernels_dir)

    assert store_dir.is_dir() and any(store_dir.iterdir()), "the kernel wrote nothing to JUPYTER_TRACK_DIR"
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Traceback" not in outputs

    runs = jt.runs("quickstart", dir=store_dir)
    assert len(runs) == 1
    run = runs[0]
    assert run.state == "finished"
    assert run.project == "quickstart"
    assert set(run.tags) >= {"quickstart"}
    assert run.notes

    config = run.config
    for key in ("lr", "epochs", "hidden", "batch_size", "seed"):
        assert key in config, key
    assert config["lr"] == 0.5 and config["epochs"] == 30 and config["hidden"] == 32
    assert config["batch_size"] == 64 and config["seed"] == 0

    keys = set(run.keys())
    assert {"train/loss", "train/acc", "val/loss", "val/acc", "epoch"} <= keys, keys

    n_train = config["n_samples"] - config["n_samples"] // 5
    steps_per_epoch = math.ceil(n_train / config["batch_size"])
    expected_steps = config["epochs"] * steps_per_epoch
    assert run.last_step == expected_steps - 1

    history = run.history(keys=["train/loss", "train/acc", "val/loss", "val/acc", "epoch"])
    assert len(history) == expected_steps
    assert history["train/loss"].notna().all() and history["train/acc"].between(0, 1).all()
    val = history.dropna(subset=["val/acc"])
    assert len(val) == config["epochs"]
    assert val["epoch"].tolist() == list(range(config["epochs"]))
    assert val["val/loss"].iloc[-1] < val["val/loss"].iloc[0]  # it learned something

    # two moons are 50/50: chance is 0.5; this network gets about 0.96
    summary = run.summary
    assert summary["best_val_acc"] > 0.9
    assert summary["best_val_acc"] == pytest.approx(val["val/acc"].max())
    assert summary["val/acc"] > 0.9

    table = jt.runs("quickstart", dir=store_dir).to_pandas()
    assert len(table) == 1 and table.loc[0, "summary.best_val_acc"] > 0.9


def test_kernel_uses_this_interpreter(tmp_path: Path) -> None:
    """Guards the set-up above: a kernel picked from elsewhere would test another environment."""
    nb = nbformat.v4.new_notebook()
    source = "import os, sys\nprint(sys.prefix)\nprint(os.environ['JUPYTER_TRACK_DIR'])"
    nb.cells = [nbformat.v4.new_code_cell(source)]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    out = execute_notebook(path, tmp_path / "store", tmp_path / "kernels")
    printed = out.cells[0].outputs[0]["text"].split()
    assert printed[0] == sys.prefix  # the venv, not the interpreter it was made from
    assert printed[1] == str(tmp_path / "store")
