"""The sweep view, kernel side: its state after an agent run (best so far, trials, the trial column,
importance), its refresh after each trial, and in an executed notebook (shown by jt.agent, saved light).
The browser side is in tests/ui/test_sweep_view_ui.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import jupyter_track as jt
from jupyter_track.widgets.sweep_view import SweepView

CONFIG = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
          "parameters": {"lr": {"values": [0.1, 0.2, 0.3, 0.4, 0.5]}, "width": {"values": [1, 2]}}}


def _train() -> None:
    with jt.init() as run:
        for step in range(5):
            run.log({"loss": jt.config.lr * jt.config.width + 0.01 * (5 - step)})


def test_state_after_an_agent_run_has_best_trials_trial_column_and_importance() -> None:
    sweep_id = jt.sweep(CONFIG, project="sv")
    assert jt.agent(sweep_id, function=_train) == 10
    view = jt.sweep_view(sweep_id)
    assert isinstance(view, SweepView)
    best = jt.get_sweep(sweep_id).best_run()
    assert best is not None and best.config == {"lr": 0.1, "width": 1}
    assert view.best == {"value": pytest.approx(0.11), "run": best.id, "name": best.name}
    assert view.trials == 10 and view.pruned == 0 and view.total_runs == 10
    assert f"best so far loss: 0.11 ({best.name})" in view.header and "10 trials (0 pruned)" in view.header
    assert view.columns[0] == {"name": "trial", "kind": "trial", "type": "num"}
    assert [row[0] for row in view.rows] == list(range(1, 11))
    assert view.metrics[0] == "loss" and view.importance_metric == "loss"
    assert view.scatter_axes == ["trial", "loss"]  # the scatter starts as the metric vs trial number
    found = view.importance["loss"]
    assert {r["param"] for r in found["rows"]} == {"lr", "width"}  # the trial number is not a parameter
    assert found["method"] == "fanova" and all(r["importance"] is not None for r in found["rows"])
    assert found["rows"][0]["param"] == "lr"
    assert "best so far" in view.static_html() and "jt-compare-static" in view.static_html()


def test_the_view_refreshes_after_each_trial_and_counts_pruned_trials() -> None:
    sweep_id = jt.sweep({**CONFIG, "method": "random", "parameters": {"x": {"min": 0.0, "max": 1.0}},
                         "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 3, "s": 0}})
    view = jt.sweep_view(sweep_id)
    assert view.trials == 0 and view.best == {} and "0 trials" in view.header
    order: list[int] = []
    seen: list[tuple[int, int, Any]] = []

    def train() -> None:
        order.append(len(order))
        bad = len(order) == 2  # the second trial is clearly worse: hyperband prunes it at its first log
        with jt.init() as run:
            for step in range(3):
                run.log({"loss": 1000.0 + step if bad else 1.0 / len(order)})

    def after() -> None:
        view.refresh()
        seen.append((view.trials, view.pruned, view.best.get("value")))

    assert jt.agent(sweep_id, function=train, count=3, on_trial=after) == 3
    assert seen == [(1, 0, 1.0), (2, 1, 1.0), (3, 1, pytest.approx(1 / 3))]
    assert view.refreshes == 4 and view.version == 4  # made, then once per trial
    assert "3 trials (1 pruned)" in view.header


def test_agent_shows_no_view_outside_a_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_track.widgets import sweep_view

    shown: list[str] = []
    monkeypatch.setattr(sweep_view, "show_for_agent", lambda sweep_id, url: shown.append(sweep_id))
    sweep_id = jt.sweep(CONFIG)
    for display in (None, True, False):  # no kernel with a frontend here: not even display=True shows one
        assert jt.agent(sweep_id, function=_train, count=1, display=display) == 1
    assert shown == []


NOTEBOOK = """\
import jupyter_track as jt
def train():
    with jt.init() as run:
        for step in range(200):
            run.log({"loss": jt.config.lr * jt.config.width + 1 / (step + 1), "acc": step / 200})
sweep_id = jt.sweep({"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
                     "parameters": {"lr": {"values": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, "width": {"values": [1, 2]}}},
                    project="nb-sweep")
jt.agent(sweep_id, function=train)"""


@pytest.mark.slow
def test_agent_in_a_notebook_shows_the_view_and_the_saved_notebook_stays_light(tmp_path: Path,
                                                                             store_dir: Path) -> None:
    from tests.test_notebooks import execute_cell

    nb, growth = execute_cell(NOTEBOOK, store_dir, tmp_path)
    print(f"saved notebook grows by {growth:,} bytes for a sweep view of 12 trials")
    assert growth <= 100_000
    displays = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    views = [o for o in displays if "application/vnd.jupyter.widget-view+json" in o.data]
    statics = [o.data["text/html"] for o in displays if "jt-compare-static" in o.data.get("text/html", "")]
    assert views and statics and "best so far loss" in statics[0]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    sweeps = [w["state"] for w in state.values() if "header" in w["state"] and "trials" in w["state"]]
    assert len(sweeps) == 1 and sweeps[0]["trials"] == 12 and sweeps[0]["total_runs"] == 12
    assert "12 trials (0 pruned)" in sweeps[0]["header"] and "finished" in sweeps[0]["header"]
