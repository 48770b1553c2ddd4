"""``%load_ext jupyter_track``: the magics and the cell hooks, in a real kernel of a real Jupyter server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import jupyter_track as jt
from tests.conftest import wait_for
from tests.jupyter_server import Kernel, Server, start_server

pytestmark = pytest.mark.slow

HOOKS = ("print(sum(type(cb.__self__).__name__ == 'CellRecorder' for cb in get_ipython().events.callbacks"
         "['pre_run_cell'] if hasattr(cb, '__self__')))")


@pytest.fixture
def kernel(tmp_path: Path, store_dir: Path) -> Iterator[Kernel]:
    (tmp_path / "root").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "root" / "magic.ipynb")
    server: Server = start_server(tmp_path / "root", tmp_path / "runtime",
                                  env={"JUPYTER_TRACK_QUIET": "1", "JUPYTER_TRACK_SYSTEM_INTERVAL": "0"})
    k = server.start_kernel("magic.ipynb", env={"JUPYTER_TRACK_DIR": str(store_dir)})
    yield k
    k.close()
    server.stop()


def test_magics_wrap_cells_in_runs_and_report_status(kernel: Kernel) -> None:
    kernel.run("%load_ext jupyter_track")
    kernel.run("%load_ext jupyter_track")  # loading twice is harmless
    assert kernel.run(HOOKS).strip() == "1"
    kernel.run("import jupyter_track as jt")
    kernel.run("%%jt_run --name magic --project mg --config lr=0.1 opt=adam --tags a,b\n"
               "for i in range(5):\n    jt.log({'x': float(i)})")
    ok = jt.load_run("mg/magic")
    assert ok.state == "finished" and ok.config == {"lr": 0.1, "opt": "adam"} and sorted(ok.tags) == ["a", "b"]
    assert len(ok.metric("x")) == 5
    kernel.run("%%jt_run --name boom --project mg\njt.log({'x': 1.0})\n1 / 0", allow_error=True)
    assert jt.load_run("mg/boom").state == "failed"

    kernel.run("run = jt.init(project='mg', name='live')")
    # the capture thread finds the notebook (through the server's sessions) a moment after init()
    assert wait_for(lambda: "server-sessions" in kernel.run("%jt status"), every=0.2)
    status = kernel.run("%jt status")
    assert "live (mg/" in status and "store" in status and "magic.ipynb" in status and "server-sessions" in status
    listing = kernel.run("%jt runs")
    assert "magic" in listing and "boom" in listing and "live" in listing
    kernel.run("%jt finish")
    assert jt.load_run("mg/live").state == "finished"
    assert "no active run" in kernel.run("%jt status")


def test_unload_removes_hooks_and_magics(kernel: Kernel) -> None:
    kernel.run("%load_ext jupyter_track")
    kernel.run("%unload_ext jupyter_track")
    assert kernel.run(HOOKS).strip() == "0"
    out = kernel.run("%jt status", allow_error=True)
    assert "magic function `%jt` not found" in out, out
    error = kernel.run("try:\n    get_ipython().run_line_magic('jt', 'status')\nexcept Exception as e:\n"
                       "    print(type(e).__name__)")
    assert "UsageError" in error


def test_init_without_the_extension_records_executed_cells(kernel: Kernel) -> None:
    kernel.run("x = 1")
    kernel.run("import jupyter_track as jt\nrun = jt.init(project='mg', name='plain')")
    assert kernel.run(HOOKS).strip() == "1"  # init() installed the hooks itself
    kernel.run("run.log({'y': 2.0})")
    kernel.run("run.finish()")
    from jupyter_track.snapshot_restore import snapshots

    executed = [s for s in snapshots(jt.load_run("mg/plain")) if s["which"] == "executed" and s["at"] == "finish"]
    r = jt.load_run("mg/plain")
    nb = nbformat.reads(r.store.blobs.read_bytes(executed[0]["sha256"]).decode(), as_version=4)
    sources = [c.source for c in nb.cells]
    first = sources.index("x = 1")  # a cell run before tracking started is in the history
    assert sources[first + 1] == "import jupyter_track as jt\nrun = jt.init(project='mg', name='plain')"
    logged = sources.index("run.log({'y': 2.0})")
    assert logged > first + 1 and nb.cells[logged].metadata["jupyter_track"]["steps"] == [0, 0]


def test_what_the_last_batch_lost_is_said_at_the_end_of_the_cell_that_finished_the_run(kernel: Kernel) -> None:
    # finish() hands its last batch to the writer and returns: the cell's end says what that batch lost
    kernel.run("import jupyter_track as jt\nrun = jt.init(project='lost', name='gone', display=False)\n"
               "run.log({'x': 1.0})\nrun.flush()")
    stored = jt.load_run("lost/gone")
    stored.store.delete_run(stored.id, force=True)  # as `jupyter-track rm --force` does while it runs
    out = kernel.run("for i in range(50):\n    run.log({'x': float(i)})\nrun.finish()")
    assert "finished run gone (lost/" in out and "has ended, but 50 logged values were not stored" in out, out
    assert "deleted from the store while it was running" in out
    assert "has ended, but" not in kernel.run("print('next cell')")  # said once



def test_wandb_magics_work_after_import_jupyter_track_as_wandb(kernel: Kernel) -> None:
    # W&B tutorials end with `%wandb entity/project -h 1024` (W&B's magics exist once wandb is imported)
    kernel.run("import jupyter_track as wandb")
    for i in range(2):
        kernel.run(f"wandb.init(project='Tables-Quickstart', name='r{i}', display=False)\n"
                   f"wandb.log({{'loss': {i + 1}.0}})\nwandb.finish()")
    shown = ("w = get_ipython().run_line_magic('wandb', {!r})\n"
             "print(type(w).__name__, sorted(r['name'] for r in w.runs))")
    assert kernel.run(shown.format("charlesfrye/Tables-Quickstart -h 1024")).strip() == "CompareWidget ['r0', 'r1']"
    run_id = jt.runs("Tables-Quickstart")[0].id
    one = kernel.run(shown.format(f"someone/Tables-Quickstart/runs/{run_id}")).strip()
    assert one.startswith("CompareWidget") and one.count("'r") == 1
    assert "no runs of project 'nope' in this store; its projects: Tables-Quickstart" in kernel.run("%wandb nope")
    assert "W&B cloud feature" in kernel.run("%wandb me/proj/reports/weekly -h 600")
    assert "no active run" in kernel.run("%wandb")
    bad = kernel.run("%wandb proj -h tall", allow_error=True)
    assert "%wandb -h takes a height in pixels" in bad, bad

    # %%wandb: the active run's panel, then the cell runs as written
    kernel.run("run = wandb.init(project='Tables-Quickstart', name='live', display=False)")
    out = kernel.run("%%wandb -h 600\nprint('cell ran', wandb.run.name)")
    assert "cell ran live" in out
    kernel.run("wandb.finish()")
    assert [r.state for r in jt.runs("Tables-Quickstart") if r.name == "live"] == ["finished"]
