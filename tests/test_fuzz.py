"""Hostile input at the REST API (a real jupyter_server with the extension) and at the CLI: never a 5xx or a
traceback; every error is a clear message (JSON ``{"error": …}`` with a 4xx; a CLI exit status 1 or 2)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

import jupyter_track as jt
from tests import fuzzing
from tests.conftest import run_python
from tests.jupyter_server import Server
from tests.test_server import start

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]  # big reprs

# modest in CI; benchmarks/bench_reliability.py runs thousands
EXAMPLES = int(os.environ.get("JT_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("JT_FUZZ_SEED") is None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

POPULATE = """
import sys
import numpy as np
import jupyter_track as jt
ids = []
for i in range(2):
    with jt.init(project="fuzz", config={"lr": 0.1 * (i + 1)}, tags=["t"], display=False) as run:
        for step in range(50):
            run.log({"loss": 1.0 / (step + 1), "acc": step / 50})
        run.log({"img": jt.Image(np.zeros((4, 4, 3), dtype=np.uint8)),
                 "tbl": jt.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])})
        ids.append(run.id)
print(" ".join(ids))
"""


# inputs the fuzzer once found a 5xx or a traceback with (fixed): tried first, every run
FOUND = [
    '{"config.lr": {}}', '{"summary.loss": []}', '{"name": {"$ne": {"a": 1}}}', '{"last_step": {"$gt": 1e400}}',
    '{"last_step": {"$gt": 1180591620717411303424}}', '{"created_at": {"$gt": "2024-01-01"}}',
    '{"name": {"$regex": "("}}', '{"summary.loss": {"$in": [1, "a"]}}', '{"config.lr": {"$in": [{}]}}',
]


def populated(url: str) -> fuzzing.Target:
    """Two real runs (metrics, an image, a table) in the store at ``url``, for requests to aim at."""
    out = run_python(POPULATE, env={"JUPYTER_TRACK_STORE": url})
    return fuzzing.Target(project="fuzz", run_ids=out.stdout.split()[-2:], keys=["loss", "acc", "img", "tbl"])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[Server, fuzzing.Target]]:
    """One server per backend for the whole module (not one per example), over a store with two real runs."""
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    url = (f"sqlite:///{tmp / 'store' / 'jupyter_track.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres").create_database())
    target = populated(url)
    server = start(tmp, url)
    yield server, target
    server.stop()


def test_rest_api_answers_hostile_requests_with_json_4xx_never_a_5xx_or_traceback(
        api: tuple[Server, fuzzing.Target]) -> None:
    server, target = api
    tried = []

    def one(request: fuzzing.Request) -> None:
        tried.append(request)
        fuzzing.check_answer(request, *fuzzing.send(server, request))

    for found in FOUND:
        for params in ([("filter", found)], [("sort", "-summary.loss"), ("filter", found)]):
            one = example(fuzzing.Request("GET", "runs" + fuzzing.query(params)))(one)
    for path in ("kernels//run", "runs//x", "runs/a/b/c/d", "nothing-here"):  # no route: a JSON 404, not HTML
        one = example(fuzzing.Request("GET", path))(one)
        one = example(fuzzing.Request("DELETE", path))(one)
    FUZZ(given(fuzzing.requests(target))(one))()
    assert len(tried) >= EXAMPLES // 2
    # the runs are still there and readable after all of it
    status, _, body = fuzzing.send(server, fuzzing.Request("GET", f"runs/fuzz/{target.run_ids[0]}"))
    assert status == 200, body


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, fuzzing.Target]:
    tmp = tmp_path_factory.mktemp("fuzzcli")
    return tmp, populated(f"sqlite:///{tmp / 'store' / 'jupyter_track.db'}")


def test_cli_answers_hostile_command_lines_with_a_message_and_status_0_1_2_never_a_traceback(
        cli_store: tuple[Path, fuzzing.Target], monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox, target = cli_store
    (sandbox / "out").mkdir(exist_ok=True)
    monkeypatch.chdir(sandbox)  # exports and restores without --out land here
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(sandbox / "store"))
    monkeypatch.delenv("JUPYTER_TRACK_STORE", raising=False)
    tried = []

    def one(argv: list[str]) -> None:
        tried.append(argv)
        fuzzing.check_cli(argv, *fuzzing.run_cli(argv))

    for found in FOUND:
        one = example(["ls", "--filter", found])(one)
    FUZZ(given(fuzzing.argvs(target, sandbox))(one))()
    assert len(tried) >= EXAMPLES // 2
    assert jt.load_run(f"fuzz/{target.run_ids[0]}").state == "finished"
