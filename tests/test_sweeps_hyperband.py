"""W&B's hyperband rule (bands at logged positions, the top 1/eta of all runs there go on), on hand-computed cases,
in the agent in this process and in the CLI agent following a program through the store."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import optuna
import pytest

import jupyter_track as jt
from jupyter_track import settings
from jupyter_track.sweeps import study as studies
from jupyter_track.sweeps.hyperband import stops

pytestmark = pytest.mark.usefixtures("backend")


@pytest.mark.parametrize(("values", "value", "eta", "maximize", "stopped"), [
    ([0.5], 0.5, 3, False, False),  # a run alone at a band is never stopped
    ([1.0, 2.0], 2.0, 3, False, True),  # n=2, eta=3: int(2/3)=0, the threshold is the best value
    ([1.0, 2.0], 2.0, 2, False, False),  # n=2, eta=2: int(2/2)=1, the threshold is 2.0 and 2.0 is not worse
    ([1, 2, 3, 4, 5, 6], 3, 3, False, False),  # sorted[int(6/3)] = 3: 3 goes on …
    ([1, 2, 3, 4, 5, 6], 4, 3, False, True),  # … 4 is stopped
    ([1, 2, 3, 4, 5, 6], 4, 3, True, False),  # maximize: best first 6, 5, 4: 4 goes on …
    ([1, 2, 3, 4, 5, 6], 3, 3, True, True),  # … 3 is stopped
    ([5, 6, 7, 5.5], 5.5, 2, False, False),  # sorted 5, 5.5, 6, 7; int(4/2)=2 → 6
])
def test_a_run_is_stopped_below_the_top_one_over_eta(values: list[float], value: float, eta: float, maximize: bool,
                                                     stopped: bool) -> None:
    assert stops(values, value, eta, maximize) is stopped


# Five trials, one after another (a grid over i), minimize, bands 1, 2, 4 (min_iter 1, eta 2). At each band the
# threshold is sorted(values there)[int(n / 2)], the trial's own value among them:
#   i=0 [5, 4, 3, 2]      alone, then never worse than the threshold                      → finished
#   i=1 [6, 5, 4, 3]      band 1: 5 6 → 6; band 2: 4 5 → 5; band 4: 2 3 → 3                → finished
#   i=2 [7, 1, 1, 1]      band 1: 5 6 7 → 6, and 7 > 6                                      → pruned at value 1
#   i=3 [5.5, 4.5, 2, 1]  band 1: 5 5.5 6 7 → 6; band 2: 4 4.5 5 → 4.5; band 4: 1 2 3 → 2  → finished
#   i=4 [5.2, 5.5, 1, 1]  band 1: 5 5.2 5.5 6 7 → 5.5; band 2: 4 4.5 5 5.5 → 5, 5.5 > 5     → pruned at value 2
# (Optuna's HyperbandPruner would compare each trial only with those of its own bracket.)
SEQUENCES = [[5, 4, 3, 2], [6, 5, 4, 3], [7, 1, 1, 1], [5.5, 4.5, 2, 1], [5.2, 5.5, 1, 1]]
HYPERBAND = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
             "parameters": {"i": {"values": list(range(len(SEQUENCES)))}},
             "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 2}}


def test_agent_prunes_by_wandbs_rule_across_all_runs() -> None:
    def train() -> None:
        with jt.init() as run:
            for v in SEQUENCES[jt.config.i]:
                run.log({"loss": float("nan")})  # not a value at a position (W&B leaves NaN out too)
                run.log({"loss": float(v), "other": 0.0})

    sweep_id = jt.sweep(HYPERBAND)
    assert jt.agent(sweep_id, function=train) == 5
    runs = sorted(jt.sweep_runs(sweep_id), key=lambda r: r.config["i"])
    assert [r.state for r in runs] == ["finished", "finished", "pruned", "finished", "pruned"]
    logged = [[v for v in r.history()["loss"].tolist() if v == v] for r in runs]
    assert logged[2] == [7.0] and logged[4] == [5.2, 5.5]
    assert jt.get_sweep(sweep_id).best_value == 1.0


@pytest.mark.parametrize(("strict", "last_state"), [(True, "pruned"), (False, "finished")])
def test_strict_false_judges_a_run_by_its_best_value_so_far(strict: bool, last_state: str) -> None:
    # band 2 (min_iter 2): values 3, 3, 9 → threshold sorted[int(3/2)] = 3; the third run's value there is 9
    # (stopped when strict), but its best so far is 1 (goes on otherwise)
    sequences = [[3, 3], [3, 3], [1, 9]]

    def train() -> None:
        with jt.init() as run:
            for v in sequences[jt.config.i]:
                run.log({"loss": float(v)})

    config = {**HYPERBAND, "parameters": {"i": {"values": [0, 1, 2]}},
              "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 2, "strict": strict}}
    sweep_id = jt.sweep(config)
    jt.agent(sweep_id, function=train)
    runs = sorted(jt.sweep_runs(sweep_id), key=lambda r: r.config["i"])
    assert [r.state for r in runs] == ["finished", "finished", last_state]


FAST_PROGRAM = textwrap.dedent("""\
    import time
    import jupyter_track as wandb

    run = wandb.init()
    for i in range(20):
        wandb.log({"loss": 100.0 + i})
    time.sleep(1.5)  # logged long before the end: the agent looks while the program still runs
    run.finish()
    """)


def _agent(tmp_path: Path, config: str, count: int) -> str:
    (tmp_path / "sweep.yaml").write_text(textwrap.dedent(config))
    sweep_id = _cli(tmp_path, "sweep", "sweep.yaml", "--project", "cli-hyperband").stdout.strip()
    _cli(tmp_path, "agent", sweep_id, "--count", str(count))
    return sweep_id


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "jupyter_track", *args], capture_output=True, text=True,
                            cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def _reported(sweep_id: str) -> list[dict[int, float]]:
    """Each trial's values reported to Optuna, by band."""
    study = optuna.load_study(study_name=studies.study_name(sweep_id),
                              storage=studies.storage(settings.store_url(None, None)))
    return [t.intermediate_values for t in study.get_trials(deepcopy=False)]


def test_cli_agent_reports_the_value_logged_at_each_band(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(FAST_PROGRAM)
    sweep_id = _agent(tmp_path, """\
        program: train.py
        method: random
        metric: {name: loss, goal: minimize}
        parameters: {x: {min: 0.0, max: 1.0}}
        early_terminate: {type: hyperband, min_iter: 1, eta: 2}
        """, count=1)
    # the 1st, 2nd, 4th, 8th and 16th values logged, not the latest value the agent happened to see
    assert _reported(sweep_id) == [{1: 100.0, 2: 101.0, 4: 103.0, 8: 107.0, 16: 115.0}]
    assert [r.state for r in jt.sweep_runs(sweep_id)] == ["finished"]


LAST_VALUE_PROGRAM = textwrap.dedent("""\
    import time
    import jupyter_track as wandb

    run = wandb.init()
    run.log({"loss": 1.0 if wandb.config.i == 0 else 1000.0})
    run.finish()  # its last value is logged and its run finished before the agent judges it
    time.sleep(1.5)  # (writing a model file, say)
    """)


def test_cli_trial_that_finished_before_it_was_judged_is_finished_not_pruned(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(LAST_VALUE_PROGRAM)
    sweep_id = _agent(tmp_path, """\
        program: train.py
        method: grid
        metric: {name: loss, goal: minimize}
        parameters: {i: {values: [0, 1]}}
        early_terminate: {type: hyperband, min_iter: 1, eta: 3}
        """, count=2)
    runs = sorted(jt.sweep_runs(sweep_id), key=lambda r: r.config["i"])
    # the second run's 1000 is worse than the threshold (1.0) at band 1, but it had ended: finished
    assert [r.state for r in runs] == ["finished", "finished"]
    assert _reported(sweep_id) == [{1: 1.0}, {1: 1000.0}]
    assert jt.get_sweep(sweep_id).best_value == 1.0
