"""Notebook detection, snapshots and restore with a real Jupyter server and real kernels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import jupyter_track as jt
from jupyter_track.capture.notebook import detect
from jupyter_track.errors import JupyterTrackError
from tests.conftest import REPO, run_python
from tests.jupyter_server import Kernel, Server, start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server-root")
    runtime = tmp_path_factory.mktemp("runtime")
    srv = start_server(root, runtime, env={"JUPYTER_TRACK_QUIET": "1", "JUPYTER_TRACK_SYSTEM_INTERVAL": "0"})
    yield srv
    srv.stop()


@pytest.fixture
def kernels(server: Server) -> Iterator[list[Kernel]]:
    started: list[Kernel] = []
    yield started
    for k in started:
        k.close()


def write_notebook(path: Path, *sources: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)


def kernel_for(server: Server, kernels: list[Kernel], notebook: str, store_dir: Path) -> Kernel:
    write_notebook(server.root / notebook, "print('on disk')")
    kernel = server.start_kernel(notebook, env={"JUPYTER_TRACK_DIR": str(store_dir)})
    kernels.append(kernel)
    return kernel


DETECT = "from jupyter_track.capture.notebook import detect; import json; print(json.dumps(detect().to_meta()))"


def test_server_sessions_find_nested_notebooks_with_spaces_and_follow_renames(
        server: Server, kernels: list[Kernel], store_dir: Path) -> None:
    kernel = kernel_for(server, kernels, "my project/sub dir/train nb.ipynb", store_dir)
    found = json.loads(kernel.run(DETECT))
    assert found["method"] == "server-sessions"
    assert found["relative"] == "my project/sub dir/train nb.ipynb"
    assert found["path"] == str((server.root / "my project/sub dir/train nb.ipynb").resolve())
    assert found["kernel_id"] == kernel.kernel_id and "token" not in json.dumps(found)
    (server.root / "my project/sub dir/train nb.ipynb").rename(server.root / "my project/renamed.ipynb")
    kernel.rename("my project/renamed.ipynb")
    again = json.loads(kernel.run(DETECT))
    assert again["relative"] == "my project/renamed.ipynb" and again["method"] == "server-sessions"


def test_a_server_that_refuses_is_recorded_and_jpy_session_name_is_used(
        server: Server, kernels: list[Kernel], store_dir: Path, tmp_path: Path) -> None:
    kernel = kernel_for(server, kernels, "refused.ipynb", store_dir)
    # the kernel sees the server under a wrong token, as with a password-protected server
    fake_runtime = tmp_path / "runtime"
    fake_runtime.mkdir()
    for info_file in server.runtime.glob("jpserver-*.json"):
        info = json.loads(info_file.read_text())
        info["token"] = "wrong"
        (fake_runtime / info_file.name).write_text(json.dumps(info))
    found = json.loads(kernel.run(f"import os; os.environ['JUPYTER_RUNTIME_DIR'] = {str(fake_runtime)!r}\n"
                                  + DETECT))
    assert found["method"] == "session-env"
    assert found["path"] == str((server.root / "refused.ipynb").resolve()) and found["relative"] == "refused.ipynb"
    assert any("403" in e for e in found["errors"]), found["errors"]


def test_explicit_notebook_overrides_detection(tmp_path: Path) -> None:
    out = run_python(f"""
        import json
        from jupyter_track.capture.notebook import detect
        print(json.dumps(detect().to_meta()))
        print(json.dumps(detect(override={str(tmp_path / 'arg.ipynb')!r}).to_meta()))
    """, env={"JUPYTER_TRACK_NOTEBOOK": str(tmp_path / "env.ipynb")})
    from_env, from_arg = (json.loads(line) for line in out.stdout.splitlines())
    assert from_env == {"method": "override", "path": str(tmp_path / "env.ipynb")}
    assert from_arg["path"] == str(tmp_path / "arg.ipynb")


def test_vscode_session_and_script_methods(tmp_path: Path) -> None:
    assert detect(user_ns={"__vsc_ipynb_file__": str(tmp_path / "vs.ipynb")}).path == str(tmp_path / "vs.ipynb")
    assert detect(user_ns={"__session__": str(tmp_path / "s.ipynb")}).method == "session-env"
    script = tmp_path / "train.py"
    script.write_text("import json\nfrom jupyter_track.capture.notebook import detect\n"
                      "print(json.dumps(detect().to_meta()))\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=REPO,
                         env={k: v for k, v in os.environ.items() if k != "JPY_SESSION_NAME"})
    assert json.loads(out.stdout) == {"method": "script", "path": str(script)}


def test_nbclient_kernel_without_server_finds_nothing_unless_told(tmp_path: Path, store_dir: Path) -> None:
    from tests.test_notebooks import execute_notebook

    path = tmp_path / "nb.ipynb"
    write_notebook(path, DETECT, f"import os; os.environ['JUPYTER_TRACK_NOTEBOOK'] = {str(path)!r}\n" + DETECT)
    nb = execute_notebook(path, store_dir, tmp_path / "kernels")
    first, second = (json.loads(c.outputs[0]["text"]) for c in nb.cells)
    assert first["method"] == "none" and "path" not in first  # nbclient: no server, no session name
    assert second["method"] == "override" and second["path"] == str(path)


def test_snapshots_keep_unsaved_code_and_restore_round_trips(server: Server, kernels: list[Kernel],
                                                              store_dir: Path, tmp_path: Path) -> None:
    kernel = kernel_for(server, kernels, "exp/train.ipynb", store_dir)
    kernel.run("%load_ext jupyter_track")
    kernel.run("data = list(range(10))  # prepared before tracking starts")
    kernel.run("import jupyter_track as jt\nrun = jt.init(project='nb', config={'lr': 0.1}, name='nb-run')")
    kernel.run("for i in data:\n    run.log({'loss': 1 / (i + 1)})")
    kernel.run("run.log({'extra': 1.0})")
    kernel.run("print(run.path)\nrun.finish()")
    r = jt.load_run("nb/nb-run")
    assert r.meta["notebook"]["relative"] == "exp/train.ipynb" and r.meta["notebook"]["method"] == "server-sessions"
    from jupyter_track.snapshot_restore import snapshots

    have = {(s["which"], s["at"]) for s in snapshots(r)}
    assert {("executed", "init"), ("executed", "finish"), ("saved", "init"), ("saved", "finish")} <= have

    executed = jt.restore(r, root=tmp_path)
    assert executed.name == f"train-{r.id}-executed.ipynb"
    nb = nbformat.read(executed, as_version=4)
    header, *cells = nb.cells
    assert header.cell_type == "markdown" and "nb-run" in header.source and r.id in header.source
    assert "exp/train.ipynb" in header.source and '"lr": 0.1' in header.source
    sources = [c.source for c in cells]
    assert "data = list(range(10))  # prepared before tracking starts" in sources  # ran before init()
    loop = cells[sources.index("for i in data:\n    run.log({'loss': 1 / (i + 1)})")]
    assert loop.metadata["jupyter_track"]["steps"] == [0, 9] and loop.execution_count is not None
    extra = cells[sources.index("run.log({'extra': 1.0})")]
    assert extra.metadata["jupyter_track"]["steps"] == [10, 10]
    counts = [c.execution_count for c in cells]
    assert counts == sorted(counts)
    assert sources.count("print(run.path)\nrun.finish()") == 1  # the cell that finished the run, once

    saved = nbformat.read(jt.restore(r, which="saved", root=tmp_path), as_version=4)
    assert [c.source for c in saved.cells[1:]] == ["print('on disk')"]  # the file on disk, unsaved code absent

    second = jt.restore(r, root=tmp_path)  # default names never overwrite
    assert second != executed and second.exists()
    with pytest.raises(FileExistsError, match="never overwrites"):
        jt.restore(r, path=executed)
    with pytest.raises(JupyterTrackError, match=r"no 'live' snapshot.*not open in JupyterLab.*which='executed'"):
        jt.restore(r, which="live", root=tmp_path)


def test_restored_notebook_runs_under_nbclient(server: Server, kernels: list[Kernel], store_dir: Path,
                                                tmp_path: Path) -> None:
    from tests.test_notebooks import execute_notebook

    kernel = kernel_for(server, kernels, "again.ipynb", store_dir)
    kernel.run("import jupyter_track as jt\nrun = jt.init(project='nb', name='rerun', capture='notebook,code')")
    kernel.run("for i in range(3):\n    run.log({'x': float(i)})")
    kernel.run("run.finish()")
    restored = jt.restore("nb/rerun", root=tmp_path)
    execute_notebook(restored, store_dir, tmp_path / "kernels")
    runs = jt.runs("nb", filters={"name": "rerun"})
    assert len(runs) == 2 and all(r.state == "finished" for r in runs)


def test_a_crashed_run_restores_its_init_snapshot_and_says_so(server: Server, kernels: list[Kernel],
                                                              store_dir: Path, tmp_path: Path) -> None:
    kernel = kernel_for(server, kernels, "crash.ipynb", store_dir)
    kernel.run("import jupyter_track as jt\nrun = jt.init(project='nb', name='crashy')\nrun.log({'x': 1.0})")
    pid = int(kernel.run("import os; print(os.getpid())"))
    from jupyter_track.snapshot_restore import snapshots

    def init_snapshot_stored() -> bool:
        try:
            return any(s["which"] == "executed" for s in snapshots(jt.load_run("nb/crashy")))
        except jt.RunNotFoundError:  # the writer has not created the run's row yet
            return False

    deadline = time.monotonic() + 20
    while not init_snapshot_stored():
        assert time.monotonic() < deadline, "the init snapshot never reached the store"
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    assert jt.load_run("nb/crashy").summary["x"] == 1.0
    path = jt.restore("nb/crashy", root=tmp_path)
    header = nbformat.read(path, as_version=4).cells[0].source
    assert "no snapshot at finish: this is the one at init" in header


def test_a_live_run_in_another_store_restores_from_that_store(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 'from the other store'")]),
                   "train.ipynb")
    run = jt.init(project="p", dir=tmp_path / "other", notebook="train.ipynb", capture="notebook")
    run.finish()
    restored = nbformat.read(jt.restore(run, which="saved", root=tmp_path), as_version=4)
    assert "x = 'from the other store'" in [c.source for c in restored.cells]
