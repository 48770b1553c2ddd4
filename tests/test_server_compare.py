"""``GET compare``: the compare widget's data for JupyterLab's compare panel, against a real jupyter_server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_track as jt
from jupyter_track.server.queries import MAX_COMPARE_RUNS
from tests.conftest import run_python
from tests.jupyter_server import Server
from tests.test_server import call, ok, start, unique


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("server")
    store = tmp / "store"
    server = start(tmp, f"sqlite:///{store / 'jupyter_track.db'}")
    yield server, store
    server.stop()


@pytest.fixture
def server(shared: tuple[Server, Path], store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Server:
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(shared[1]))
    return shared[0]


def two_runs(project: str) -> list[jt.Run]:
    runs = []
    for n, lr in enumerate((0.1, 0.01)):
        run = jt.init(project=project, name=f"lr{lr}", config={"lr": lr, "opt": "adam", "model": {"depth": 3}},
                      group="g" if n else "h", display=False)
        for step in range(30):
            run.log({"loss": (n + 1) / (step + 1), "acc": step / 30 if step != 7 else float("nan")})
        run.log({"only_first": 1.0} if n == 0 else {"only_second": 2.0})
        run.finish()
        runs.append(run)
    return runs


def test_compare_returns_curves_of_common_metrics_and_only_differing_config(server: Server) -> None:
    a, b = two_runs(unique("cmp"))
    got = ok(server, "GET", f"compare?runs={a.project}/{a.id},{b.project}/{b.id}")
    assert got["metrics"] == ["acc", "loss"]  # common summary metrics only, sorted
    assert [r["name"] for r in got["runs"]] == ["lr0.1", "lr0.01"]
    assert [r["path"] for r in got["runs"]] == [f"{a.project}/{a.id}", f"{b.project}/{b.id}"]
    assert got["runs"][0]["color"] != got["runs"][1]["color"]
    config = [c["name"] for c in got["columns"] if c["kind"] == "config"]
    assert config == ["lr"]  # opt and model.depth are the same in both runs
    assert [c["name"] for c in got["columns"] if c["kind"] == "summary"] == ["acc", "loss"]
    assert [row[0] for row in got["rows"]] == [0.1, 0.01]
    loss = got["curves"][got["metrics"].index("loss")]
    assert [len(c[0]) for c in loss] == [30, 30] and loss[1][1][0] == 2.0 and loss[0][0][-1] == 29
    acc = got["curves"][got["metrics"].index("acc")][0]
    assert acc[1][7] is None  # NaN is a gap (null), not a number
    assert got["group_by"] == "" and got["total_runs"] == 2
    assert "note" in got["importance"]["acc"]  # two runs: importance says why it has nothing
    # the panel's view picked another metric: its importance (only), as the kernel would compute it
    picked = ok(server, "GET", f"compare?runs={a.project}/{a.id},{b.project}/{b.id}&metrics=acc,loss&importance=loss")
    assert picked["importance_metric"] == "loss" and set(picked["importance"]) == {"loss"}
    assert "2 here" in picked["importance"]["loss"]["note"]


def test_a_run_has_the_same_colour_in_the_notebook_and_the_lab_compare_whatever_the_order(server: Server) -> None:
    project = unique("colours")
    made = []
    for i in range(6):
        with jt.init(project=project, name=f"r{i}", config={"lr": i}, display=False) as run:
            run.log({"loss": 1.0})
        made.append(run)
    paths = [f"{r.project}/{r.id}" for r in made]
    notebook = {r["id"]: r["color"] for r in jt.compare(paths).runs}
    lab = {r["id"]: r["color"] for r in ok(server, "GET", "compare?runs=" + ",".join(reversed(paths)))["runs"]}
    assert notebook == lab and len(set(lab.values())) == 6  # by run, not by place in the list; all distinct
    first_two = ok(server, "GET", "compare?runs=" + ",".join(paths[:2]))["runs"]
    assert len({r["color"] for r in first_two}) == 2


def test_compare_by_group_gives_a_mean_and_min_max_band_per_group(server: Server) -> None:
    project = unique("grp")
    runs = []
    for i in range(3):
        run = jt.init(project=project, group="a" if i < 2 else "b", config={"seed": i}, display=False)
        runs.append(run)
        for step in range(5):
            run.log({"loss": float(step + i)})
        run.finish()
    ids = ",".join(f"{r.project}/{r.id}" for r in runs)
    got = ok(server, "GET", f"compare?runs={ids}&group_by=group&metrics=loss")
    bands = {b["group"]: b for b in got["bands"]["loss"]}
    assert set(bands) == {"a", "b"} and bands["a"]["runs"] == 2 and bands["b"]["runs"] == 1
    assert bands["a"]["mean"] == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert bands["a"]["lo"] == [0, 1, 2, 3, 4] and bands["a"]["hi"] == [1, 2, 3, 4, 5]
    assert [r["group"] for r in got["runs"]] == ["a", "a", "b"]


def test_compare_refuses_bad_input_with_a_json_error(server: Server) -> None:
    a, _ = two_runs(unique("bad"))
    for query, status in [("compare", 400), ("compare?runs=", 400), ("compare?runs=justanid", 400),
                          (f"compare?runs={a.project}/nosuchrun", 404), (f"compare?runs=other/{a.id}", 404),
                          (f"compare?runs={a.project}/{a.id}&group_by=whatever", 400),
                          ("compare?runs=" + ",".join(f"p/r{i}" for i in range(MAX_COMPARE_RUNS + 1)), 400)]:
        got_status, answer = call(server, "GET", query)
        assert got_status == status, (query, got_status, answer)
        assert isinstance(answer, dict) and answer["error"] and "Traceback" not in json.dumps(answer), query


def test_compare_needs_a_token(server: Server) -> None:
    a, _ = two_runs(unique("auth"))
    for token in (None, "wrong"):
        status, answer = call(server, "GET", f"compare?runs={a.project}/{a.id}", token=token)
        assert status in (401, 403) and "Traceback" not in json.dumps(answer)


def test_a_compare_request_loads_no_widget_ipython_or_anywidget_into_the_server_process() -> None:
    # the server extension answers GET compare with the analysis layer; the widgets (anywidget, ipywidgets,
    # IPython) never load into the Jupyter server's process. Run in a fresh interpreter: this one has them.
    runs = []
    for i in range(9):  # enough runs for an importance figure, so that part of the answer is computed too
        run = jt.init(project="noview", config={"lr": 0.1 / (i + 1), "opt": "sgd" if i % 2 else "adam"},
                      display=False)
        for step in range(50):
            run.log({"loss": (i + 1) / (step + 1)})
        run.finish()
        runs.append(run)
    paths = ",".join(f"{r.project}/{r.id}" for r in runs)
    out = run_python(f"""
        import json, sys
        from jupyter_track.server import queries
        from jupyter_track.store import open_store

        got = queries.compare(open_store(), {paths!r}, None, None, None)
        print(json.dumps({{"metrics": got["metrics"], "curves": len(got["curves"][0]),
                          "importance": [r["param"] for r in got["importance"]["loss"]["rows"]],
                          "loaded": sorted(m for m in sys.modules if m.split(".")[0] in
                                           ("IPython", "ipywidgets", "anywidget", "ipykernel")
                                           or m.startswith("jupyter_track.widgets"))}}))
    """)
    got = json.loads(out.stdout)
    assert got["metrics"] == ["loss"] and got["curves"] == 9
    assert sorted(got["importance"]) == ["lr", "opt"]
    assert got["loaded"] == []
