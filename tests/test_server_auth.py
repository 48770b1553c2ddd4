"""The REST API honours jupyter_server's Authorizer, against a real server whose ``authorizer_class`` follows a
policy file the tests rewrite: every verb of every route in the route table asks it, and a refusal is a JSON 403
that changes nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_track as jt
from tests.conftest import REPO
from tests.jupyter_server import Server
from tests.test_server import _notebook, call, every_route, make_runs, ok, start, unique

POLICY = "JT_TEST_AUTHZ"  # tests/authorizers.py (loaded by the server only: jupyter_server is shadowed here)
AUTH_RESOURCE = "jupyter_track"  # the resource the README tells an Authorizer's author about
CORE = ["read", "api"]  # GET /api/status: the tests' wait for the server to start


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A server with the test authorizer over its own SQLite store, and the policy file (everything allowed)."""
    tmp = tmp_path_factory.mktemp("authz")
    policy = tmp / "policy.json"
    policy.write_text(json.dumps([["*", "*"]]))
    server = start(tmp, f"sqlite:///{tmp / 'store' / 'jupyter_track.db'}",
                   env={POLICY: str(policy), "PYTHONPATH": str(REPO)},
                   args=["--ServerApp.authorizer_class=tests.authorizers.FileAuthorizer"])
    yield server, policy
    server.stop()


@pytest.fixture
def policy(served: tuple[Server, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's jt calls write to the server's store; the policy allows everything again afterwards."""
    server, path = served
    monkeypatch.setenv("JUPYTER_TRACK_STORE", f"sqlite:///{server.root.parent / 'store' / 'jupyter_track.db'}")
    yield path
    path.write_text(json.dumps([["*", "*"]]))


def allow(path: Path, *pairs: list[str]) -> None:
    path.write_text(json.dumps([CORE, *pairs]))
    Path(f"{path}.log").unlink(missing_ok=True)


def asked(path: Path) -> list[list[str]]:
    log = Path(f"{path}.log")
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def with_snapshot(server: Server) -> jt.Run:
    run = make_runs(unique("authz"), 1)[0]
    ok(server, "POST", f"runs/{run.project}/{run.id}/snapshot", {"notebook": _notebook("x = 1"), "path": "n.ipynb"})
    return run


def test_every_route_asks_the_authorizer_and_a_refusal_is_a_json_403_that_changes_nothing(
        served: tuple[Server, Path], policy: Path) -> None:
    server, _ = served
    run = with_snapshot(server)
    allow(policy)  # nothing of jupyter_track
    routes = every_route(run.project, run.id)
    for method, path in routes:
        body = None if method in ("GET", "DELETE") else {"name": "renamed", "which": "live"}
        status, answer = call(server, method, path, body)
        assert status == 403, (method, path, status, answer)
        assert "not authorized" in answer["error"] and AUTH_RESOURCE in answer["error"], (method, path, answer)
    assert {tuple(q) for q in asked(policy)} >= {("read", AUTH_RESOURCE), ("write", AUTH_RESOURCE)}
    allow(policy, ["*", "*"])
    assert ok(server, "GET", f"runs/{run.project}/{run.id}")["name"] == "r0"  # not renamed, not deleted
    assert list(server.root.glob("*.ipynb")) == []  # nothing restored


def test_a_read_only_authorizer_lets_every_read_through_and_refuses_every_write(
        served: tuple[Server, Path], policy: Path) -> None:
    server, _ = served
    run = with_snapshot(server)
    allow(policy, ["read", "*"])
    put = urllib.request.Request(server.url + "api/contents/core.ipynb", data=b'{"type": "notebook"}',
                                 method="PUT", headers={"Authorization": f"token {server.token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(put, timeout=30)
    assert refused.value.code == 403  # jupyter_server's own contents API refuses the write: so must the extension
    base = f"runs/{run.project}/{run.id}"
    assert ok(server, "GET", base)["id"] == run.id
    assert ok(server, "GET", f"runs?project={run.project}")["total"] == 1
    for method, path, body in [("PATCH", base, {"name": "renamed"}), ("DELETE", base, None),
                               ("POST", f"{base}/restore", {"which": "live"}),
                               ("POST", f"{base}/snapshot", {"notebook": _notebook("y = 2"), "path": "n.ipynb"})]:
        status, answer = call(server, method, path, body)
        assert status == 403 and "not authorized to write" in answer["error"], (method, path, status, answer)
    stored = jt.load_run(run.path)
    assert stored.name == "r0" and list(server.root.glob("*.ipynb")) == []


def test_restore_needs_read_on_jupyter_track_and_write_on_contents(served: tuple[Server, Path],
                                                                   policy: Path) -> None:
    server, _ = served
    run = with_snapshot(server)
    url = f"runs/{run.project}/{run.id}/restore"
    allow(policy, ["read", AUTH_RESOURCE], ["write", AUTH_RESOURCE])  # no write on contents
    status, answer = call(server, "POST", url, {"which": "live"})
    assert status == 403 and "contents" in answer["error"] and list(server.root.glob("*.ipynb")) == []
    allow(policy, ["read", AUTH_RESOURCE], ["write", "contents"])
    made = ok(server, "POST", url, {"which": "live"})
    assert (server.root / made["path"]).exists()
    assert ["read", AUTH_RESOURCE] in asked(policy) and ["write", "contents"] in asked(policy)
