"""Run groups (``init(group=..., job_type=f"rank{r}")``) as one unit: the read API, compare and the REST listing."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.errors import RunNotFoundError
from tests.conftest import REPO
from tests.jupyter_server import Server
from tests.test_server import call, start

RANKS = 4
STEPS = 120


def rank_losses(rank: int) -> dict[int, float]:
    """What rank ``rank`` logs, by step: its own noisy curve; rank 3 logs every other step only, rank 1 a NaN."""
    rng = np.random.default_rng(rank)
    out = {}
    for step in range(STEPS):
        if rank == 3 and step % 2:
            continue
        out[step] = float(2.0 / (1 + step) + rank * 0.1 + rng.normal(0, 0.05))
    if rank == 1:
        out[7] = math.nan  # a gap: not counted
    return out


RANK_SCRIPT = """
import sys
import jupyter_track as jt
from tests.test_groups import rank_losses

rank = int(sys.argv[1])
run = jt.init(project="ddp", group="exp", job_type=f"rank{rank}", config={"world_size": 4, "rank": rank},
              display=False)
for step, loss in sorted(rank_losses(rank).items()):
    run.log({"loss": loss}, step=step)
run.summary["best"] = min(v for v in rank_losses(rank).values() if v == v)
run.finish()
"""


def test_group_history_of_four_rank_processes_is_numpys_mean_min_max_std_over_their_points() -> None:
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(RANK_SCRIPT), str(r)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(RANKS)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs

    group = jt.Api().group("ddp", "exp")
    assert len(group) == RANKS and group.state == "finished" and group.project == "ddp"
    assert sorted(t or "" for t in group.job_types) == [f"rank{r}" for r in range(RANKS)]

    frame = group.history(["loss"])
    assert frame.index.name == "_step" and frame.index.tolist() == list(range(STEPS))
    loss = frame["loss"]
    assert list(loss.columns) == ["mean", "min", "max", "std", "count"]
    per_rank = [rank_losses(r) for r in range(RANKS)]
    for step in range(STEPS):
        values = np.array([p[step] for p in per_rank if step in p and not math.isnan(p[step])])
        row = loss.loc[step]
        assert row["count"] == len(values), step
        np.testing.assert_allclose([row["mean"], row["min"], row["max"], row["std"]],
                                   [values.mean(), values.min(), values.max(), values.std()], rtol=1e-12)
    assert loss.loc[7, "count"] == 2 and loss.loc[8, "count"] == 4 and loss.loc[9, "count"] == 3

    assert len(group.history(["loss"], samples=10)) == 10
    best = np.array([min(v for v in p.values() if not math.isnan(v)) for p in per_rank])
    assert group.summary["best"] == pytest.approx({"mean": best.mean(), "min": best.min(), "max": best.max(),
                                                   "std": best.std(), "count": 4})


def _runs(project: str) -> dict[str, list[str]]:
    """Two groups of two runs and one run without a group; returns run ids by group ("" for none)."""
    ids: dict[str, list[str]] = {}
    for group, n in (("a", 2), ("b", 2), (None, 1)):
        for r in range(n):
            run = jt.init(project=project, group=group, job_type=f"rank{r}", display=False)
            for step in range(5):
                run.log({"loss": float(step + r + (10 if group == "b" else 0))})
            run.finish()
            ids.setdefault(group or "", []).append(run.id)
    return ids


def test_runs_filter_by_group_and_list_groups() -> None:
    ids = _runs("grouped")
    assert sorted(r.id for r in jt.runs("grouped", group="a")) == sorted(ids["a"])
    assert sorted(r.id for r in jt.runs("grouped", group="b", filters={"job_type": "rank1"})) == [ids["b"][1]]
    groups = jt.runs("grouped", order="created_at").groups()
    assert list(groups) == ["a", "b"]  # in order of appearance; the run without a group is in none
    assert sorted(r.id for r in groups["b"].runs) == sorted(ids["b"])
    assert groups["b"].history(["loss"])["loss"]["mean"].tolist() == [10.5, 11.5, 12.5, 13.5, 14.5]
    with pytest.raises(RunNotFoundError, match="no runs in group 'c'"):
        jt.Api().group("grouped", "c")


def test_compare_draws_each_group_as_one_band_by_default() -> None:
    _runs("cmpgroups")
    widget = jt.runs("cmpgroups").compare(metrics=["loss"])
    assert widget.group_by == "group"
    assert sorted((b["group"], b["runs"]) for b in widget.bands["loss"]) == [("", 1), ("a", 2), ("b", 2)]
    assert jt.compare(project="cmpgroups", metrics=["loss"]).group_by == "group"
    assert jt.runs("cmpgroups").compare(metrics=["loss"], group_by="").group_by == ""
    assert jt.Api().group("cmpgroups", "a").compare(metrics=["loss"]).group_by == "group"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A real jupyter_server with the extension, reading an SQLite store: (server, the store's URL)."""
    tmp = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{tmp / 'store' / 'jupyter_track.db'}"
    started = start(tmp, url)
    yield started, url
    started.stop()


def test_rest_run_listing_filters_by_group(server: tuple[Server, str], monkeypatch: pytest.MonkeyPatch) -> None:
    srv, url = server
    monkeypatch.setenv("JUPYTER_TRACK_STORE", url)
    ids = _runs("restgroups")
    status, body = call(srv, "GET", "runs?project=restgroups&group=a")
    assert status == 200 and body["total"] == 2, body
    assert sorted(r["id"] for r in body["runs"]) == sorted(ids["a"])
    assert {r["group"] for r in body["runs"]} == {"a"}
    status, body = call(srv, "GET", "runs?project=restgroups&group=nope")
    assert status == 200 and body["total"] == 0 and body["runs"] == []
