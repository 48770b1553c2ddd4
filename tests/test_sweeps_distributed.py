"""Distributed sweeps: agents in separate processes ("machines", each told the store through its environment, as
the `backend` fixture sets it: one shared database) share one sweep through Optuna's storage: no grid point twice,
the sweep's cap holds across them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from optuna.trial import TrialState

import jupyter_track as jt
from jupyter_track.store import close_all, open_store
from jupyter_track.sweeps.core import load
from jupyter_track.sweeps.study import open_study
from tests.conftest import REPO

pytestmark = pytest.mark.usefixtures("backend")

AGENTS = 3

AGENT_SCRIPT = """
import sys, time
import jupyter_track as jt

def train():
    with jt.init(display=False) as run:
        time.sleep(0.05)  # long enough for the agents' trials to interleave
        run.log({"loss": float(jt.config.a) + float(jt.config.b)})

count = None if sys.argv[2] == "all" else int(sys.argv[2])
print(jt.agent(sys.argv[1], function=train, count=count))
"""


def _agents(sweep_id: str, count: int | None) -> list[int]:
    """Start :data:`AGENTS` agent processes at once; returns how many trials each ran."""
    close_all()  # this process's connections are not inherited by the agents
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(AGENT_SCRIPT), sweep_id,
                               "all" if count is None else str(count)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(AGENTS)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    return [int(out.strip().splitlines()[-1]) for out, _ in outs]


def _trials(sweep_id: str) -> list[Any]:
    store = open_store()
    record, spec = load(store, sweep_id)
    return open_study(store.url, record, spec).get_trials(deepcopy=False)


def test_three_agents_share_a_grid_of_12_points_each_exactly_once() -> None:
    sweep_id = jt.sweep({"method": "grid", "metric": {"name": "loss"},
                         "parameters": {"a": {"values": [0, 1, 2, 3]}, "b": {"values": [0, 10, 20]}}})
    ran = _agents(sweep_id, 5)  # 3 × 5 places for 12 points: the grid's size caps the sweep
    assert sum(ran) == 12 and max(ran) <= 5, ran
    runs = jt.sweep_runs(sweep_id)
    points = sorted((r.config["a"], r.config["b"]) for r in runs)
    assert points == [(a, b) for a in range(4) for b in (0, 10, 20)]  # every point once: no duplicate
    assert all(r.state == "finished" for r in runs)
    done = [t for t in _trials(sweep_id) if t.state == TrialState.COMPLETE]
    assert sorted(t.number for t in done) == list(range(12))
    assert len({(t.params["a"], t.params["b"]) for t in done}) == 12
    assert jt.get_sweep(sweep_id).state == "finished"


def test_a_random_sweep_with_a_run_cap_of_10_runs_10_trials_across_three_agents() -> None:
    sweep_id = jt.sweep({"method": "random", "run_cap": 10, "metric": {"name": "loss"},
                         "parameters": {"a": {"min": 0.0, "max": 1.0}, "b": {"values": [0, 1]}}})
    ran = _agents(sweep_id, None)  # no count: each agent goes on until the sweep's cap
    assert sum(ran) == 10, ran
    runs = jt.sweep_runs(sweep_id)
    assert len(runs) == 10 and all(r.state == "finished" for r in runs)
    assert len({(r.config["a"], r.config["b"]) for r in runs}) == 10
    completed = [t for t in _trials(sweep_id) if t.state == TrialState.COMPLETE]
    assert len(completed) == 10
    # a trial asked for past the cap (agents racing for the last place) is discarded, never run
    assert all(t.user_attrs.get("jt_discarded") for t in _trials(sweep_id) if t.state != TrialState.COMPLETE)
