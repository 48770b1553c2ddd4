"""``GET kernels/<kernel_id>/run``: the running run a notebook's kernel started (JupyterLab's status bar item and
live-notebook snapshot), against a real jupyter_server and a real kernel it started."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import jupyter_track as jt
from tests.jupyter_server import Server
from tests.test_server import call, ok, start, unique


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{tmp / 'store' / 'jupyter_track.db'}"
    server = start(tmp, url)
    yield server, url
    server.stop()


@pytest.fixture
def server(shared: tuple[Server, str], store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The module's server; this test's jt calls (and its kernels: they inherit the server's environment) use the
    store it reads."""
    monkeypatch.setenv("JUPYTER_TRACK_STORE", shared[1])
    return shared[0]


def wait_for(server: Server, path: str, done: Any, timeout: float = 30) -> Any:
    """Poll ``GET path`` as the status bar does until ``done(answer)``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = ok(server, "GET", path)
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_kernel_run_is_the_running_run_of_that_kernel_and_null_once_it_finished(server: Server) -> None:
    project = unique("kernel")
    (server.root / "train.ipynb").write_text("{}")
    kernel = server.start_kernel("train.ipynb")
    other = server.start_kernel("other.ipynb")
    try:
        assert ok(server, "GET", f"kernels/{kernel.kernel_id}/run") == {"run": None}
        run_id = kernel.run(f"import jupyter_track as jt\nrun = jt.init(project={project!r}, name='live', "
                            "display=False)\nrun.log({'loss': 1.0})\nprint(run.id)").strip()
        # the notebook facts (kernel id) are written by the capture thread a moment after init
        answer = wait_for(server, f"kernels/{kernel.kernel_id}/run", lambda a: a["run"] is not None)
        found = answer["run"]
        assert found is not None and found["id"] == run_id and found["project"] == project
        assert found["state"] == "running" and found["name"] == "live" and found["notebook"] == "train.ipynb"
        assert ok(server, "GET", f"kernels/{other.kernel_id}/run") == {"run": None}  # another kernel's: none
        # a second run of the same kernel, both running: the newest is the one shown
        second = kernel.run(f"run2 = jt.init(project={project!r}, name='second', display=False, "
                            "reinit='create_new')\nprint(run2.id)").strip()
        answer = wait_for(server, f"kernels/{kernel.kernel_id}/run",
                          lambda a: a["run"] is not None and a["run"]["id"] == second)
        assert answer["run"]["id"] == second and answer["run"]["name"] == "second"
        kernel.run("run2.finish()")
        answer = wait_for(server, f"kernels/{kernel.kernel_id}/run",
                          lambda a: a["run"] is not None and a["run"]["id"] == run_id)
        assert answer["run"]["id"] == run_id  # the older one still runs
        kernel.run("run.finish()")
        assert wait_for(server, f"kernels/{kernel.kernel_id}/run", lambda a: a["run"] is None) == {"run": None}
        assert jt.Api().run(f"{project}/{run_id}").state == "finished"
    finally:
        kernel.close()
        other.close()


def test_kernel_run_refuses_bad_ids_and_requests_without_a_token(server: Server) -> None:
    assert ok(server, "GET", "kernels/6c4e7f2a-0000-4000-8000-000000000000/run") == {"run": None}
    for bad in ("not%20a%20kernel", "%00", "-leading-dash", "x" * 200):
        status, answer = call(server, "GET", f"kernels/{bad}/run")
        assert status == 400, (bad, status, answer)
        assert "kernel id" in answer["error"] and "Traceback" not in json.dumps(answer)
    for path in ("kernels//run", "kernels/a/b/run"):  # no route: the API's JSON 404
        status, answer = call(server, "GET", path)
        assert status == 404 and "no endpoint" in answer["error"], (path, status, answer)
    for token in (None, "wrong"):
        status, _ = call(server, "GET", "kernels/6c4e7f2a-0000-4000-8000-000000000000/run", token=token)
        assert status in (401, 403)
