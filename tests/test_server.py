"""The REST API of the server extension, against a real jupyter_server (a subprocess, token auth on) that loads
the extension through the shipped ``jupyter-config`` file and reads the store the test process writes with jt."""

from __future__ import annotations

import functools
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track import settings
from jupyter_track.analysis.comparison import run_colors
from jupyter_track.store import close_all, open_store, settle
from jupyter_track.store.base import Batch, ObjectWrite, RunWrite
from tests.conftest import REPO, run_python
from tests.jupyter_server import Server, start_server
from tests.stores import crashed_run, damage_table, read_only

API = "jupyter-track/api/"

pytestmark = pytest.mark.usefixtures("backend")


def start(tmp: Path, store: str, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> Server:
    """jupyter_server with only the shipped config enabling the extension, reading the store at URL ``store``."""
    config = tmp / "config"
    (config / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy(REPO / "jupyter-config/server-config/jupyter_track.json", config / "jupyter_server_config.d")
    root = tmp / "root"
    root.mkdir()
    return start_server(root, tmp / "runtime", env={"JUPYTER_CONFIG_DIR": str(config), "JUPYTER_TRACK_STORE": store,
                                                    "JUPYTER_TRACK_QUIET": "1", **(env or {})}, args=args)


ROUTE_TABLE = """
import json
from jupyter_track.server.handlers import BaseHandler
from jupyter_track.server.routes import ROUTES
verbs = ("get", "post", "put", "patch", "delete")
print(json.dumps([[path, [v for v in verbs if getattr(h, v) is not getattr(BaseHandler, v)]] for path, h in ROUTES]))
"""


@functools.cache
def route_table() -> list[tuple[str, list[str]]]:
    """The API's route table: (path pattern, verbs its handler answers). Read in a fresh interpreter: in this one
    tests/jupyter_server.py shadows the jupyter_server package that the routes import."""
    return [(path, verbs) for path, verbs in json.loads(run_python(ROUTE_TABLE).stdout)]


def every_route(project: str, run_id: str) -> list[tuple[str, str]]:
    """``(method, path)`` for every verb of every route in the API's route table, the run routes aimed at run
    ``project/run_id``: a route added to the table is in this list without a test naming it."""
    found = []
    for pattern, verbs in route_table():
        path = (pattern.replace(r"runs/([^/]+)/([^/]+)", f"runs/{project}/{run_id}").replace("([^/]+)", "x")
                .replace("(.*)", "no-such-endpoint"))
        assert re.fullmatch(pattern, path) and verbs, (pattern, path, verbs)
        found += [(verb.upper(), path) for verb in verbs]
    return found


@pytest.fixture(scope="module")
def shared() -> Iterator[dict[str, tuple[Server, str]]]:
    """The module's servers, one per store backend, each started when a test first asks: (server, store URL)."""
    started: dict[str, tuple[Server, str]] = {}
    yield started
    for server, _ in started.values():
        server.stop()


@pytest.fixture
def server(shared: dict[str, tuple[Server, str]], backend: str, monkeypatch: pytest.MonkeyPatch,
           tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Server:
    """The module's server for this test's backend; this test's jt calls write to the store it reads."""
    if backend not in shared:
        tmp = tmp_path_factory.mktemp(f"server-{backend}")
        url = (f"sqlite:///{tmp / 'store' / 'jupyter_track.db'}" if backend == "sqlite"
               else request.getfixturevalue("postgres").create_database())
        shared[backend] = (start(tmp, url), url)
    server, url = shared[backend]
    monkeypatch.setenv("JUPYTER_TRACK_STORE", url)
    return server


def call(server: Server, method: str, path: str, body: Any = None, token: str | None = "",
         raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, parsed JSON body) of a request to the API; ``token=None`` sends none. Sent once the runs this
    process finished are stored (finish() hands its last batch over; a user's next look comes after that)."""
    settle(settings.store_url(), finished=True)
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.url + API + path, data=data, method=method)
    if token is not None:
        req.add_header("Authorization", f"token {token or server.token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, text, kind = response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        status, text, kind = err.code, err.read(), err.headers.get("Content-Type", "")
    if "json" in kind:
        return status, json.loads(text) if text else None
    return status, text


def ok(server: Server, method: str, path: str, body: Any = None) -> Any:
    status, answer = call(server, method, path, body)
    assert status == 200, (status, answer)
    return answer


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def make_runs(project: str, n: int) -> list[jt.Run]:
    made = []
    for i in range(n):
        run = jt.init(project=project, name=f"r{i}", config={"lr": 0.1 * (i + 1), "opt": "adam" if i % 2 else "sgd"},
                      tags=["even" if i % 2 == 0 else "odd"], display=False)
        for step in range(10):
            run.log({"loss": 1.0 / (step + 1 + i), "acc": (i * 7 % n) / n})
        run.finish()
        made.append(run)
    return made


def test_every_endpoint_refuses_requests_without_a_token(server: Server) -> None:
    run = make_runs(unique("token"), 1)[0]
    for method, path in every_route(run.project, run.id):
        body = None if method in ("GET", "DELETE") else {"name": "x"}
        status, answer = call(server, method, path, body, token=None)
        assert status in (401, 403), (method, path, status)
        assert "Traceback" not in json.dumps(answer)
        status, _ = call(server, method, path, body, token="wrong" + server.token)
        assert status in (401, 403), (method, path, status)
    assert jt.load_run(run.path).name == "r0"  # neither renamed nor deleted


def test_a_cookie_authenticated_post_without_the_xsrf_header_is_refused(server: Server) -> None:
    run = make_runs(unique("xsrf"), 1)[0]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(server.url + f"login?next=%2F&token={server.token}", timeout=30):
        pass
    page = opener.open(server.url + "login", timeout=30).read().decode()
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), None)
    assert xsrf is not None and page
    form = urllib.parse.urlencode({"password": server.token, "_xsrf": xsrf}).encode()
    opener.open(urllib.request.Request(server.url + "login", data=form), timeout=30).read()
    assert any(c.name.startswith("username-") for c in jar), [c.name for c in jar]  # logged in by cookie
    url = server.url + API + f"runs/{run.project}/{run.id}"
    with opener.open(url, timeout=30) as response:  # a GET with the cookie alone works
        assert json.loads(response.read())["id"] == run.id
    patch = urllib.request.Request(url, data=json.dumps({"notes": "x"}).encode(), method="PATCH")
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(patch, timeout=30)
    assert refused.value.code == 403
    patch.add_header("X-XSRFToken", xsrf)
    with opener.open(patch, timeout=30) as response:
        assert json.loads(response.read())["notes"] == "x"


def test_projects_list_names_run_counts_and_last_start(server: Server) -> None:
    project = unique("proj")
    make_runs(project, 3)
    found = {p["name"]: p for p in ok(server, "GET", "projects")}
    assert found[project]["runs"] == 3 and found[project]["last_created_at"] > 0


def test_runs_are_paged_sorted_by_a_summary_metric_and_filtered(server: Server) -> None:
    project = unique("list")
    runs = make_runs(project, 7)
    acc = {r.id: r.summary["acc"] for r in runs}
    by_acc = sorted(acc, key=lambda k: (-acc[k]))
    page1 = ok(server, "GET", f"runs?project={project}&sort=summary.acc&order=desc&limit=3")
    page2 = ok(server, "GET", f"runs?project={project}&sort=summary.acc&order=desc&limit=3&offset=3")
    assert page1["total"] == page2["total"] == 7
    listed = [r["id"] for r in page1["runs"] + page2["runs"]]
    assert [acc[i] for i in listed] == [acc[i] for i in by_acc[:6]]
    first = page1["runs"][0]
    assert set(first) >= {"id", "name", "state", "project", "group", "job_type", "tags", "created_at", "duration",
                          "notebook", "summary"}
    assert first["state"] == "finished" and "loss" in first["summary"] and page1["cursor"] > 0
    ascending = ok(server, "GET", f"runs?project={project}&sort=config.lr&order=asc")
    assert [r["name"] for r in ascending["runs"]] == [f"r{i}" for i in range(7)]
    newest = ok(server, "GET", f"runs?project={project}")
    assert [r["name"] for r in newest["runs"]] == [f"r{i}" for i in reversed(range(7))]
    tagged = ok(server, "GET", f"runs?project={project}&tag=odd")
    assert tagged["total"] == 3 and all("odd" in r["tags"] for r in tagged["runs"])
    assert ok(server, "GET", f"runs?project={project}&state=finished")["total"] == 7
    assert ok(server, "GET", f"runs?project={project}&state=running")["total"] == 0
    found = ok(server, "GET", f"runs?project={project}&q=r3")["runs"]  # name, id, notes or tags (ids are random)
    assert "r3" in [r["name"] for r in found] and all("r3" in r["name"] + r["id"] for r in found)
    f = urllib.parse.quote(json.dumps({"config.lr": {"$gt": 0.45}, "config.opt": "adam"}))
    chosen = ok(server, "GET", f"runs?project={project}&filter={f}&sort=name&order=asc")
    assert [r["name"] for r in chosen["runs"]] == ["r5"] and chosen["total"] == 1
    for bad in ("filter=%7Bnot%20json", "filter=" + urllib.parse.quote('{"nope": 1}'), "state=sleeping",
                "limit=abc", "limit=0", "order=sideways", "sort=nonsense"):
        status, answer = call(server, "GET", f"runs?project={project}&{bad}")
        assert status == 400 and answer["error"], (bad, status, answer)


def test_run_detail_has_config_summary_stats_meta_files_snapshots_and_keys(server: Server, tmp_path: Path) -> None:
    run = jt.init(project=unique("detail"), config={"lr": 0.01}, display=False)
    (tmp_path / "weights.txt").write_text("w")
    run.save(str(tmp_path / "weights.txt"), base_path=str(tmp_path))
    for step in range(5):
        run.log({"loss": 1.0 / (step + 1), "note": f"step {step}"})
    run.finish()
    d = ok(server, "GET", f"runs/{run.project}/{run.id}")
    assert d["id"] == run.id and d["config"] == {"lr": 0.01} and d["state"] == "finished"
    assert d["summary"]["loss"] == pytest.approx(0.2)
    assert d["summary_stats"]["loss"]["min"] == pytest.approx(0.2) and d["summary_stats"]["loss"]["count"] == 5
    assert isinstance(d["meta"], dict) and d["snapshots"] == []
    assert [f["name"] for f in d["files"]] == ["weights.txt"]
    assert d["keys"]["scalars"] == ["loss"] and d["keys"]["media"] == ["note"]
    assert d["color"] == run_colors([run.id])[run.id]  # the colour its curves have in a compare


def test_metrics_are_downsampled_with_nan_as_null_and_after_gives_only_newer_points(server: Server) -> None:
    run = jt.init(project=unique("metrics"), display=False)
    for step in range(10_000):
        run.log({"loss": float("nan") if step == 5000 else 1.0 / (step + 1), "acc": float("inf") if step == 3 else 0.5})
    run.finish()
    base = f"runs/{run.project}/{run.id}/metrics"
    m = ok(server, "GET", f"{base}?keys=loss,acc&points=200")["metrics"]
    assert set(m) == {"loss", "acc"}
    assert len(m["loss"]["steps"]) <= 200 and m["loss"]["count"] == 10_000
    assert m["loss"]["steps"][0] == 0 and m["loss"]["steps"][-1] == 9999 and None in m["loss"]["values"]
    assert max(v for v in m["loss"]["values"] if v is not None) == 1.0  # the spike at step 0 survives
    assert None in m["acc"]["values"]  # inf → null
    full = ok(server, "GET", f"{base}?keys=loss&points=5000&after=9989")["metrics"]["loss"]
    assert full["steps"] == list(range(9990, 10_000)) and len(full["times"]) == 10
    assert ok(server, "GET", f"{base}?keys=loss&after=9999")["metrics"]["loss"]["steps"] == []
    assert set(ok(server, "GET", base)["metrics"]) == {"loss", "acc"}
    assert call(server, "GET", f"{base}?points=x")[0] == 400


def test_media_table_and_blob_endpoints_serve_logged_objects(server: Server) -> None:
    run = jt.init(project=unique("media"), display=False)
    pixels = np.zeros((8, 8, 3), dtype=np.uint8)
    pixels[2:5, 2:5] = 255
    run.log({"sample": jt.Image(pixels, caption="a square")})
    table = jt.Table(columns=["i", "label"], data=[[i, f"row {i}"] for i in range(25)])
    run.log({"preds": table})
    run.finish()
    items = ok(server, "GET", f"runs/{run.project}/{run.id}/media?key=sample")["items"]
    assert items[0]["kind"] == "image" and items[0]["data"]["caption"] == "a square"
    url = items[0]["data"]["url"]
    assert url == "/" + API + "blobs/" + items[0]["data"]["sha"]
    status, png = call(server, "GET", url.removeprefix("/" + API))
    assert status == 200 and png.startswith(b"\x89PNG")
    req = urllib.request.Request(server.url + url.lstrip("/"), headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = ok(server, "GET", f"runs/{run.project}/{run.id}/table?key=preds&page=2&page_size=10")
    assert page["columns"] == ["i", "label"] and page["nrows"] == 25
    assert page["rows"] == [[i, f"row {i}"] for i in range(20, 25)]
    assert call(server, "GET", f"runs/{run.project}/{run.id}/table?key=sample")[0] == 404
    assert call(server, "GET", f"runs/{run.project}/{run.id}/table")[0] == 400


def test_blob_endpoint_refuses_unknown_malformed_and_unreferenced_ids(server: Server) -> None:
    stray = open_store().blobs.put_bytes(b"a blob no row refers to")  # in the blob folder, but no row lists it
    assert call(server, "GET", f"blobs/{stray}")[0] == 404
    assert call(server, "GET", "blobs/" + "a" * 64)[0] == 404
    for bad in ("xyz", "A" * 64, "a" * 63, "..%2F..%2Fjupyter_track.db", "%2Fetc%2Fpasswd"):
        status, answer = call(server, "GET", f"blobs/{bad}")
        assert status in (400, 404), (bad, status)
        assert isinstance(answer, dict) and answer.get("error"), (bad, answer)


def test_bad_ids_are_404_with_a_json_error(server: Server) -> None:
    run = make_runs(unique("ids"), 1)[0]
    for path in ("runs/p/nosuchrun", f"runs/other-project/{run.id}", "runs/p/" + "x" * 300,
                 "runs/p/nosuchrun/metrics", "runs/p/nosuchrun/media?key=a", "runs/p/%00"):
        status, answer = call(server, "GET", path)
        assert status == 404 and "error" in answer and "Traceback" not in answer["error"], (path, status, answer)
    assert call(server, "DELETE", "runs/p/nosuchrun")[0] == 404
    assert call(server, "PATCH", "runs/p/nosuchrun", {"name": "x"})[0] == 404
    # a path no route takes: the API's JSON 404 (what the labextension shows), not jupyter_server's HTML page
    for method, path in (("GET", "no-such-endpoint"), ("POST", "runs//x"), ("DELETE", "kernels/a/b/run")):
        status, answer = call(server, method, path, raw=b"" if method == "POST" else None)
        assert status == 404 and "no endpoint" in answer["error"], (method, path, status, answer)


def _notebook(source: str) -> dict[str, Any]:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import jupyter_track as jt"), nbformat.v4.new_code_cell(source)]
    return json.loads(nbformat.writes(nb))


def test_live_snapshot_is_stored_and_jt_restore_live_shows_the_unsaved_edit(server: Server, tmp_path: Path) -> None:
    run = make_runs(unique("live"), 1)[0]
    base = f"runs/{run.project}/{run.id}/snapshot"
    first = ok(server, "POST", base, {"notebook": _notebook("lr = 0.1  # saved"), "path": "train.ipynb"})
    assert first["which"] == "live" and first["at"] == "init"
    ok(server, "POST", base, {"notebook": _notebook("lr = 0.5  # UNSAVED EDIT"), "path": "train.ipynb"})
    snaps = ok(server, "GET", f"runs/{run.project}/{run.id}")["snapshots"]
    assert [(s["which"], s["at"]) for s in snaps] == [("live", "init")]  # the re-sent one replaced the first
    restored = jt.restore(run.path, which="live", root=tmp_path)
    text = restored.read_text()
    assert "UNSAVED EDIT" in text and "# saved" not in text
    assert call(server, "POST", base, {"notebook": {"cells": "not a notebook"}})[0] == 400
    assert call(server, "POST", base, {"path": "x.ipynb"})[0] == 400
    assert call(server, "POST", base, raw=b"{not json")[0] == 400
    huge = {"notebook": _notebook("x = 1"), "path": "big.ipynb", "pad": "x" * (21 * 1024 * 1024)}
    status, answer = call(server, "POST", base, huge)
    assert status == 413 and "limit" in answer["error"]


def test_restore_writes_inside_the_root_and_refuses_traversal_absolute_paths_and_overwrites(
        server: Server, tmp_path: Path) -> None:
    run = make_runs(unique("restore"), 1)[0]
    ok(server, "POST", f"runs/{run.project}/{run.id}/snapshot", {"notebook": _notebook("y = 2"), "path": "n.ipynb"})
    url = f"runs/{run.project}/{run.id}/restore"
    made = ok(server, "POST", url, {"which": "live"})
    assert made["path"] == f"{run.name}-{run.id}-live.ipynb"
    assert "Restored from run" in (server.root / made["path"]).read_text()
    again = ok(server, "POST", url, {"which": "live"})  # the default name gets a number, never overwrites
    assert again["path"] == f"{run.name}-{run.id}-live-1.ipynb"
    (server.root / "sub").mkdir(exist_ok=True)
    assert ok(server, "POST", url, {"which": "live", "path": "sub/mine.ipynb"})["path"] == "sub/mine.ipynb"
    outside = tmp_path / "outside"
    outside.mkdir()
    link = server.root / f"escape-{run.id}"
    link.symlink_to(outside, target_is_directory=True)
    (server.root / f"leak-{run.id}.ipynb").symlink_to(outside / "leak.ipynb")
    cases = [
        ({"which": "live", "path": "../../etc/passwd"}, (400, 403)),
        ({"which": "live", "path": "../../../../tmp/evil.ipynb"}, (403,)),
        ({"which": "live", "path": "sub/../../evil.ipynb"}, (403,)),
        ({"which": "live", "path": "/tmp/evil.ipynb"}, (400,)),
        ({"which": "live", "path": str(server.root / "abs.ipynb")}, (400,)),
        ({"which": "live", "path": f"escape-{run.id}/evil.ipynb"}, (403,)),
        ({"which": "live", "path": f"leak-{run.id}.ipynb"}, (403,)),
        ({"which": "live", "path": "sub/mine.ipynb"}, (409,)),
        ({"which": "live", "path": made["path"]}, (409,)),
        ({"which": "live", "path": "nofolder/x.ipynb"}, (400,)),
        ({"which": "live", "path": 5}, (400,)),
        ({"which": "nope"}, (400,)),
        ({"which": "live", "at": "midway"}, (400,)),
        ({"which": "executed"}, (404,)),  # this run has only the live snapshot
    ]
    for body, statuses in cases:
        status, answer = call(server, "POST", url, body)
        assert status in statuses, (body, status, answer)
        assert answer["error"] and "Traceback" not in answer["error"]
    assert list(outside.iterdir()) == []
    assert not Path("/tmp/evil.ipynb").exists() and not (server.root / "abs.ipynb").exists()
    status, answer = call(server, "POST", url, raw=b"[1, 2")
    assert status == 400 and "not JSON" in answer["error"] and '"which"' in answer["error"]


def test_restore_names_made_from_hostile_run_names_stay_inside_the_root(server: Server) -> None:
    run = make_runs(unique("names"), 1)[0]
    base = f"runs/{run.project}/{run.id}"
    ok(server, "POST", f"{base}/snapshot", {"notebook": _notebook("z = 3"), "path": "n.ipynb"})
    outside = server.root.parent / f"outside-{run.id}"
    outside.mkdir()
    (server.root / f"r0-{run.id}-live.ipynb").symlink_to(outside / "leak.ipynb")  # the default name, dangling
    assert ok(server, "POST", f"{base}/restore", {"which": "live"})["path"] == f"r0-{run.id}-live-1.ipynb"
    for name in ("../" + outside.name + "/x", str(outside / "abs"), "..", "a\\b:c*?\x00", "x" * 255):  # PATCH sets any
        ok(server, "PATCH", base, {"name": name})
        made = ok(server, "POST", f"{base}/restore", {"which": "live"})["path"]
        assert "/" not in made and made.endswith(f"-{run.id}-live.ipynb") and len(made) < 200, (name, made)
        assert (server.root / made).is_file()
    assert list(outside.iterdir()) == []


def test_restore_puts_the_notebook_beside_its_source_when_that_is_inside_the_root(server: Server,
                                                                                  tmp_path: Path) -> None:
    import nbformat

    folder = server.root / f"exp-{secrets.token_hex(3)}"
    folder.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (folder / "link").symlink_to(outside, target_is_directory=True)  # inside the root by name only
    made = {}
    for where in (folder, outside, folder / "link"):
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("w = 4")]), where / "train.ipynb")
        run = jt.init(project=unique("beside"), notebook=str(where / "train.ipynb"), capture="notebook",
                      display=False)
        run.finish()
        made[where] = ok(server, "POST", f"runs/{run.project}/{run.id}/restore", {"which": "saved"})["path"]
        assert made[where].endswith(f"train-{run.id}-saved.ipynb") and (server.root / made[where]).is_file()
    assert made[folder].startswith(folder.name + "/")  # beside its source: its relative paths still work
    assert "/" not in made[outside] and "/" not in made[folder / "link"]  # outside the root: at the root
    assert list(outside.glob("*-saved.ipynb")) == []


def test_restore_into_a_folder_the_server_cannot_write_is_a_json_403(server: Server) -> None:
    run = make_runs(unique("locked"), 1)[0]
    base = f"runs/{run.project}/{run.id}"
    ok(server, "POST", f"{base}/snapshot", {"notebook": _notebook("v = 5"), "path": "n.ipynb"})
    locked = server.root / f"locked-{run.id}"
    locked.mkdir()
    with read_only(locked):
        status, answer = call(server, "POST", f"{base}/restore", {"which": "live", "path": f"{locked.name}/x.ipynb"})
    assert status == 403 and "cannot write" in answer["error"], (status, answer)


def test_malformed_stored_tables_are_a_json_404_saying_so(server: Server) -> None:
    run = make_runs(unique("tables"), 1)[0]
    store = open_store()
    put = store.blobs.put_bytes
    records = {"not-a-dict": "x", "no-sha": {}, "sha-a-number": {"sha": 5}, "sha-a-path": {"sha": "../../x"},
               "missing-blob": {"sha": "e" * 64}, "blob-not-json": {"sha": put(b"not json {")},
               "blob-a-list": {"sha": put(b"[1, 2]")}, "no-columns": {"sha": put(b'{"rows": [[1]]}')},
               "rows-not-a-list": {"sha": put(b'{"columns": ["a"], "rows": 5}')}}
    store.write_batch(Batch(objects=[ObjectWrite(run_id=run.id, key=key, step=0, time=time.time(), kind="table",
                                                 data=data) for key, data in records.items()]))
    for key in records:
        status, answer = call(server, "GET", f"runs/{run.project}/{run.id}/table?key={key}")
        assert status == 404 and key and answer["error"].startswith(f"the table {key!r}"), (key, status, answer)


def test_run_ids_dot_and_dotdot_are_refused_and_dotted_ids_are_reachable(server: Server) -> None:
    for bad in (".", ".."):
        with pytest.raises(ValueError, match=r"other than '\.' and '\.\.'"):
            jt.init(project="dots", id=bad, display=False)
    run = jt.init(project=unique("dots"), id=f"a.{secrets.token_hex(3)}", display=False)
    run.finish()
    assert ok(server, "GET", f"runs/{run.project}/{run.id}")["id"] == run.id


@pytest.mark.sqlite_only("a damaged page of the SQLite file")
def test_a_damaged_store_page_is_a_json_503_naming_the_file(tmp_path: Path, store_dir: Path) -> None:
    run = make_runs(unique("hurt"), 1)[0]
    close_all()
    damage_table(store_dir / "jupyter_track.db", "runs")
    damaged = start(tmp_path / "server", f"sqlite:///{store_dir / 'jupyter_track.db'}")
    try:
        for path in (f"runs?project={run.project}", f"runs/{run.project}/{run.id}"):
            status, answer = call(damaged, "GET", path)
            assert status == 503 and "malformed" in answer["error"] and ".recover" in answer["error"], (path, answer)
    finally:
        damaged.stop()


def test_patch_edits_name_notes_tags_and_delete_removes_the_run(server: Server) -> None:
    run = make_runs(unique("edit"), 1)[0]
    url = f"runs/{run.project}/{run.id}"
    edited = ok(server, "PATCH", url, {"name": "renamed", "notes": "good one", "tags": ["best", "cnn"]})
    assert (edited["name"], edited["notes"], edited["tags"]) == ("renamed", "good one", ["best", "cnn"])
    stored = jt.load_run(run.path)
    assert (stored.name, stored.notes, sorted(stored.tags)) == ("renamed", "good one", ["best", "cnn"])
    for bad in ({"name": ""}, {"name": 3}, {"tags": "x"}, {"tags": [1]}, {"notes": 5}, {"state": "finished"}, {},
                [1]):
        status, answer = call(server, "PATCH", url, bad)
        assert status == 400 and answer["error"], (bad, status)
    status, answer = call(server, "PATCH", url, raw=b"{not json")
    assert status == 400 and "not JSON" in answer["error"] and '"name", "notes", "tags"' in answer["error"]
    assert ok(server, "DELETE", url) == {"deleted": run.id}
    assert call(server, "GET", url)[0] == 404
    with pytest.raises(jt.RunNotFoundError):
        jt.load_run(run.path)


def test_a_database_role_granted_only_select_gets_a_json_403_for_edits_and_deletes_and_keeps_the_run(
        backend: str, store_url: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("database roles and their grants are PostgreSQL's")
    import psycopg
    from sqlalchemy.engine import make_url

    run = make_runs(unique("grants"), 1)[0]
    role = f"reader_{secrets.token_hex(3)}"
    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    reader = start(tmp_path / "server", make_url(store_url).set(username=role).render_as_string())
    try:
        url = f"runs/{run.project}/{run.id}"
        assert ok(reader, "GET", url)["name"] == run.name
        for method, body in (("PATCH", {"name": "renamed"}), ("DELETE", None)):
            status, answer = call(reader, method, url, body)
            assert status == 403, (method, status, answer)
            assert f"role '{role}' may read but not write" in answer["error"], answer
            assert "permission denied" in answer["error"] and "[SQL:" not in answer["error"]
        assert ok(reader, "GET", url)["name"] == run.name  # nothing was changed or lost
    finally:
        reader.stop()


def test_delete_of_a_running_run_answers_409_unless_forced_and_a_crashed_one_goes(server: Server) -> None:
    project = unique("running")
    run = jt.init(project=project, display=False)
    run.log({"x": 1.0})
    run.flush()
    url = f"runs/{project}/{run.id}"
    status, answer = call(server, "DELETE", url)
    assert status == 409 and answer["running"] is True  # the sidebar's contract: confirm, then ?force=1
    assert "is running" in answer["error"] and "?force=1" in answer["error"]
    assert ok(server, "GET", url)["state"] == "running"
    status, answer = call(server, "DELETE", url + "?force=maybe")
    assert status == 400 and "force=1" in answer["error"]
    assert ok(server, "DELETE", url + "?force=1") == {"deleted": run.id}
    assert call(server, "GET", url)[0] == 404
    run.log({"x": 2.0})  # its process goes on; finish() says what was dropped (known once flushed)
    run.flush()
    with pytest.raises(jt.StoreError, match="deleted from the store while it was running"):
        run.finish()
    crashed = crashed_run(project, unique("crashed"))  # a stale heartbeat: crashed, not running: no force needed
    assert ok(server, "DELETE", f"runs/{crashed}") == {"deleted": crashed.split("/")[1]}


def test_changes_since_a_cursor_returns_only_runs_changed_after_it(server: Server) -> None:
    project = unique("changes")
    old = make_runs(project, 3)
    store = open_store()
    aged = time.time() - 120
    store.write_batch(Batch(runs=[RunWrite(id=r.id, fields={"updated_at": aged}) for r in old]))
    start = ok(server, "GET", f"changes?project={project}")
    assert start["runs"] == [] and start["cursor"] == pytest.approx(aged)
    listing = ok(server, "GET", f"runs?project={project}")
    assert listing["cursor"] == pytest.approx(aged)
    assert ok(server, "GET", f"changes?project={project}&since={start['cursor']}")["runs"] == []
    ok(server, "PATCH", f"runs/{project}/{old[1].id}", {"tags": ["touched"]})
    new = jt.init(project=project, name="new", display=False)
    new.log({"acc": 0.9})
    new.flush()
    changed = ok(server, "GET", f"changes?project={project}&since={start['cursor']}")
    by_id = {r["id"]: r for r in changed["runs"]}
    assert set(by_id) == {old[1].id, new.id}
    assert by_id[new.id]["state"] == "running" and by_id[new.id]["summary"] == {"acc": 0.9}
    assert by_id[old[1].id]["tags"] == ["touched"]
    assert changed["cursor"] > start["cursor"]
    new.finish()
    after = ok(server, "GET", f"changes?project={project}&since={changed['cursor']}")
    by_id = {r["id"]: r for r in after["runs"]}  # a change of the last seconds may be reported again: never lost
    assert by_id[new.id]["state"] == "finished" and set(by_id) <= {new.id, old[1].id}
    assert call(server, "GET", "changes?since=yesterday")[0] == 400


LOGGER = """
import sys, time, jupyter_track as jt
steps = int(sys.argv[1])
run = jt.init(project=sys.argv[2], name=sys.argv[3], display=False)
t0 = time.perf_counter()
for step in range(steps):
    run.log({"loss": 1.0 / (step + 1), "acc": step / steps, "lr": 0.1})
run.finish()
print(time.perf_counter() - t0, run.id)
"""


def _log_in_four_processes(project: str, steps: int, tag: str) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", LOGGER, str(steps), project, f"{tag}{i}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
             for i in range(4)]
    ids = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0 and "Error" not in err, err
        ids.append(out.split()[1])
    return time.perf_counter() - t0, ids


@pytest.mark.slow
def test_sidebar_requests_at_10_per_s_while_4_processes_log_cause_no_error_or_lost_point(server: Server) -> None:
    project = unique("load")
    steps = 40_000
    quiet_s, _ = _log_in_four_processes(project, steps, "quiet")
    errors: list[str] = []
    requests = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal requests
        cursor = ok(server, "GET", f"changes?project={project}")["cursor"]
        tick = 0
        while not stop.is_set():
            t = time.monotonic()
            paths = [f"runs?project={project}&sort=summary.loss&order=asc",
                     f"changes?project={project}&since={cursor}"]
            listing = call(server, "GET", paths[0])
            running = [r for r in (listing[1] or {}).get("runs", []) if r["state"] == "running"]
            if running:
                paths.append(f"runs/{project}/{running[tick % len(running)]['id']}/metrics?points=500")
            for path in [None, *paths[1:]]:
                status, answer = listing if path is None else call(server, "GET", path)
                requests += 1
                if status != 200:
                    errors.append(f"{path}: {status} {answer}")
                elif path and path.startswith("changes"):
                    cursor = answer["cursor"]
            tick += 1
            stop.wait(max(0.0, 0.1 - (time.monotonic() - t)))

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        busy_s, ids = _log_in_four_processes(project, steps, "busy")
    finally:
        stop.set()
        poller.join()
    print(f"\n4 processes × {steps:,} steps × 3 metrics: {4 * steps * 3 / quiet_s:,.0f} points/s without the "
          f"sidebar, {4 * steps * 3 / busy_s:,.0f} points/s with it polling ({requests} requests, "
          f"{requests / busy_s:.1f}/s)")
    assert errors == []
    assert requests >= 10
    for run_id in ids:
        series = jt.load_run(f"{project}/{run_id}").metric("loss")
        assert len(series) == steps and series.steps[-1] == steps - 1


def test_the_run_list_and_changes_leave_logged_histograms_out_of_the_summary(server: Server) -> None:
    project = unique("hist")
    start_cursor = ok(server, "GET", f"changes?project={project}")["cursor"]
    run = jt.init(project=project, name="h", display=False)
    for step in range(3):
        run.log({"loss": 1.0 / (step + 1), "weights": jt.Histogram(np.random.default_rng(step).normal(size=500))})
    run.finish()
    [listed] = ok(server, "GET", f"runs?project={project}")["runs"]
    assert listed["summary"] == {"loss": pytest.approx(1 / 3)}  # no kilobytes of bin edges per row
    [changed] = ok(server, "GET", f"changes?project={project}&since={start_cursor}")["runs"]
    assert changed["summary"] == listed["summary"]
    detail = ok(server, "GET", f"runs/{project}/{run.id}")
    assert detail["summary"]["weights"]["_type"] == "histogram"  # the run's own page still has it (Media tab)
    media = ok(server, "GET", f"runs/{project}/{run.id}/media?key=weights")
    assert [i["step"] for i in media["items"]] == [0, 1, 2] and len(media["items"][0]["data"]["bins"]) == 65
