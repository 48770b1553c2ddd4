"""Sweeps on Optuna: config checks, each method's behaviour, agents in two processes, pruning, W&B spelling."""

from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import jupyter_track as jt
from jupyter_track.errors import JupyterTrackWarning, SweepConfigError
from jupyter_track.sweeps import parse_config
from tests import stores
from tests.conftest import REPO

pytestmark = pytest.mark.usefixtures("backend")

GRID = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}, "c": {"value": 7}}}


def _quadratic() -> None:
    with jt.init() as run:
        x, y = jt.config.x, jt.config.y
        run.log({"loss": (x - 0.3) ** 2 + (y + 0.2) ** 2})


@pytest.mark.parametrize(("config", "field"), [
    ({"parameters": {"a": {"values": [1]}}}, "method"),
    ({"method": "evolution", "parameters": {"a": {"values": [1]}}}, "method"),
    ({"method": "bayes", "parameters": {"a": {"min": 0.0, "max": 1.0}}}, "metric"),
    ({"method": "random", "metric": {"name": "x", "goal": "up"}, "parameters": {"a": {"values": [1]}}},
     "metric.goal"),
    ({"method": "random", "parameters": {}}, "parameters"),
    ({"method": "random", "parameters": {"a": {"distribution": "gaussian", "min": 0, "max": 1}}},
     "parameters.a.distribution"),
    ({"method": "random", "parameters": {"a": {"distribution": "uniform", "min": 0}}}, "parameters.a.max"),
    ({"method": "random", "parameters": {"a": {"min": 2.0, "max": 1.0}}}, "parameters.a.min"),
    ({"method": "random", "parameters": {"a": {"values": []}}}, "parameters.a.values"),
    ({"method": "random", "parameters": {"a": {"valeus": [1, 2]}}}, "parameters.a.valeus"),
    ({"method": "random", "parameters": {"a": {"distribution": "log_uniform_values", "min": 0, "max": 1}}},
     "parameters.a.min"),
    ({"method": "grid", "parameters": {"a": {"min": 0.0, "max": 1.0}}}, "parameters.a"),
    ({"method": "random", "run_cap": 0, "parameters": {"a": {"values": [1]}}}, "run_cap"),
    ({"method": "random", "metric": {"name": "l"}, "early_terminate": {"type": "median"},
      "parameters": {"a": {"values": [1]}}}, "early_terminate.type"),
    ({"method": "random", "metric": {"name": "l"}, "early_terminate": {"type": "hyperband", "max_iter": 27},
      "parameters": {"a": {"values": [1]}}}, "early_terminate.s"),
    ({"method": "random", "early_terminate": {"type": "hyperband", "min_iter": 1},
      "parameters": {"a": {"values": [1]}}}, "early_terminate"),
    ({"method": "random", "command": "python x.py", "parameters": {"a": {"values": [1]}}}, "command"),
    ({"method": "random", "paramters": {}, "parameters": {"a": {"values": [1]}}}, "paramters"),
])
def test_invalid_config_names_the_bad_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(SweepConfigError, match=f"'{field}'"):
        jt.sweep(config)
    assert isinstance(SweepConfigError("x"), ValueError)


def test_wandb_yaml_file_is_accepted_as_is(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(textwrap.dedent("""\
        program: train.py
        method: bayes
        metric:
          name: val_loss
          goal: minimize
        parameters:
          learning_rate:
            distribution: log_uniform_values
            min: 0.0001
            max: 0.1
          optimizer:
            values: ["adam", "sgd"]
          epochs:
            value: 5
          dropout:
            distribution: q_uniform
            min: 0.0
            max: 0.5
            q: 0.1
          width:
            distribution: int_uniform
            min: 32
            max: 256
          noise:
            distribution: normal
            mu: 0
            sigma: 1
        early_terminate:
          type: hyperband
          min_iter: 3
          eta: 3
        command:
          - ${env}
          - ${interpreter}
          - ${program}
          - ${args}
        """))
    sweep_id = jt.sweep(str(path), project="p")
    s = jt.get_sweep(sweep_id)
    assert s.method == "bayes" and s.metric == "val_loss" and s.project == "p" and s.state == "pending"
    spec = parse_config(s.config)
    assert [p.kind for p in spec.params] == ["log_uniform_values", "categorical", "constant", "q_uniform",
                                             "int_uniform", "normal"]
    assert spec.hyperband is not None and spec.hyperband.bands[:4] == (3, 9, 27, 81) and spec.hyperband.eta == 3


@pytest.mark.parametrize(("early_terminate", "bands"), [
    ({"min_iter": 3}, (3, 9, 27, 81)),  # eta 3 by default
    ({"min_iter": 1, "eta": 2}, (1, 2, 4, 8)),
    ({"max_iter": 27, "s": 2}, (3, 9)),  # max_iter / eta^k for k = 1 … s: max_iter itself is no band
    ({"max_iter": 5, "s": 2, "eta": 2}, (1, 2)),  # W&B's own example: 2.5 → 2, 1.25 → 1
    ({"max_iter": 10, "s": 5, "eta": 3}, (1, 3)),  # 10/27 < 1: no more bands
    ({"max_iter": 81, "s": 2, "min_iter": 1}, (9, 27)),  # both given: W&B reads max_iter
])
def test_hyperband_bands_are_wandbs(early_terminate: dict[str, Any], bands: tuple[int, ...]) -> None:
    spec = parse_config({"method": "random", "metric": {"name": "l"}, "parameters": {"a": {"value": 1}},
                         "early_terminate": {"type": "hyperband", **early_terminate}})
    assert spec.hyperband is not None and spec.hyperband.bands[:len(bands)] == bands
    if "max_iter" in early_terminate:
        assert spec.hyperband.bands == bands
    with pytest.raises(SweepConfigError, match="gives no band"):
        parse_config({"method": "random", "metric": {"name": "l"}, "parameters": {"a": {"value": 1}},
                      "early_terminate": {"type": "hyperband", "max_iter": 2, "s": 1, "eta": 3}})


def test_every_distribution_gives_values_in_range() -> None:
    seen: list[dict[str, Any]] = []

    def train() -> None:
        with jt.init():
            seen.append(jt.config.as_dict())

    sweep_id = jt.sweep({"method": "random", "seed": 1, "parameters": {
        "u": {"min": 0.5, "max": 1.5}, "i": {"min": 2, "max": 4},
        "lv": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-2},
        "q": {"distribution": "q_uniform", "min": 0, "max": 10, "q": 5},
        "n": {"distribution": "normal", "mu": 100, "sigma": 1},
        "lu": {"distribution": "log_uniform", "min": 0, "max": 1},
        "c": {"values": [[1, 2], {"k": 1}]},
        "nested": {"parameters": {"depth": {"values": [1, 2]}}}}})
    jt.agent(sweep_id, function=train, count=20)
    for c in seen:
        assert 0.5 <= c["u"] <= 1.5 and c["i"] in (2, 3, 4) and isinstance(c["i"], int)
        assert 1e-4 <= c["lv"] <= 1e-2 and c["q"] in (0, 5, 10) and 90 < c["n"] < 110
        assert 1 <= c["lu"] <= 2.7183 and c["c"] in ([1, 2], {"k": 1}) and c["nested"]["depth"] in (1, 2)


def test_grid_runs_every_point_once_then_the_agent_stops() -> None:
    seen = []

    def train() -> None:
        with jt.init(project="ignored", config={"a": 0, "d": "default"}) as run:
            assert run.sweep_id == sweep_id  # W&B's run.sweep_id
            seen.append((jt.config.a, jt.config.b, jt.config.c, jt.config.d))
            run.log({"loss": jt.config.a})

    sweep_id = jt.sweep(GRID, project="grid")
    with pytest.warns(JupyterTrackWarning, match="init\\(project='ignored'\\) is ignored in sweep .*'grid'"):
        assert jt.agent(sweep_id, function=train, count=100) == 6
    assert sorted(seen) == [(a, b, 7, "default") for a in (1, 2, 3) for b in ("x", "y")]
    runs = jt.sweep_runs(sweep_id)
    assert len(runs) == 6 and {r.sweep_id for r in runs} == {sweep_id} and {r.project for r in runs} == {"grid"}
    assert len(jt.runs(filters={"sweep": sweep_id})) == 6
    s = jt.get_sweep(sweep_id)
    assert s.state == "finished" and s.best_value == 1 and s.best_run().config["a"] == 1  # type: ignore[union-attr]
    assert jt.agent(sweep_id, function=train) == 0  # nothing left


def test_grid_takes_wandbs_order_so_count_n_runs_the_same_points() -> None:
    """W&B's grid: parameters sorted by name (nested ones by path), the cartesian product with the last varying
    fastest, values in the order given; q_uniform as numpy.arange(min, max, q); constants outside the grid."""
    seen: list[tuple[Any, ...]] = []

    def train() -> None:
        with jt.init():
            c = jt.config
            seen.append((c.a, c.b, c.nested["z"], c.q, c.k))

    grid = {"method": "grid", "parameters": {
        "nested": {"parameters": {"z": {"values": [0, 1]}}}, "k": {"value": "const"},
        "b": {"values": ["y", "x"]}, "q": {"distribution": "q_uniform", "min": 0, "max": 1, "q": 0.5},
        "a": {"distribution": "int_uniform", "min": 2, "max": 3}}}
    sweep_id = jt.sweep(grid)
    assert jt.agent(sweep_id, function=train, count=5) == 5
    assert seen == [(2, "y", 0, 0, "const"), (2, "y", 0, 0.5, "const"), (2, "y", 1, 0, "const"),
                    (2, "y", 1, 0.5, "const"), (2, "x", 0, 0, "const")]
    assert jt.agent(sweep_id, function=train, count=2) == 2  # a second agent goes on where the first stopped
    assert seen[5:] == [(2, "x", 0, 0.5, "const"), (2, "x", 1, 0, "const")]
    assert jt.agent(sweep_id, function=train) == 16 - 7  # 2 a × 2 b × 2 z × 2 q (max 1 is left out, as in W&B)
    assert len(set(seen)) == 16 and seen[-1] == (3, "x", 1, 0.5, "const")


def test_trial_runs_go_to_the_sweeps_store_when_init_names_none(tmp_path: Path) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'team' / 'jupyter_track.db'}"

    def train() -> None:
        with jt.init() as run:  # no store here: the one the agent was given
            run.log({"loss": jt.config.a})

    sweep_id = jt.sweep(GRID, project="grid", store=elsewhere)
    assert jt.agent(sweep_id, function=train, count=2, store=elsewhere) == 2
    assert len(jt.runs("grid", store=elsewhere)) == 2
    assert len(jt.runs("grid")) == 0  # the default store got nothing


def test_random_with_a_seed_is_reproducible() -> None:
    def draws(seed: int) -> list[tuple[float, int]]:
        got: list[tuple[float, int]] = []

        def train() -> None:
            with jt.init():
                got.append((jt.config.x, jt.config.n))

        config = {"method": "random", "seed": seed, "parameters": {"x": {"min": 0.0, "max": 1.0},
                                                                   "n": {"values": [1, 2, 3, 4, 5]}}}
        jt.agent(jt.sweep(config), function=train, count=6)
        return got

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)


def test_tpe_beats_random_on_a_quadratic_with_the_same_budget() -> None:
    def best(method: str, seed: int) -> float:
        config = {"method": method, "seed": seed, "metric": {"name": "loss", "goal": "minimize"},
                  "parameters": {"x": {"min": -2.0, "max": 2.0}, "y": {"min": -2.0, "max": 2.0}}}
        sweep_id = jt.sweep(config)
        jt.agent(sweep_id, function=_quadratic, count=30)
        value = jt.get_sweep(sweep_id).best_value
        assert value is not None
        return float(value)

    tpe = statistics.mean(best("bayes", s) for s in range(3))
    rnd = statistics.mean(best("random", s) for s in range(3))
    assert tpe < rnd / 2, (tpe, rnd)


def test_run_cap_is_a_limit_on_the_sweep_across_agents() -> None:
    config = {"method": "random", "run_cap": 5, "metric": {"name": "loss"},
              "parameters": {"x": {"min": -1.0, "max": 1.0}, "y": {"value": 0.0}}}
    sweep_id = jt.sweep(config)
    assert jt.agent(sweep_id, function=_quadratic, count=3) == 3
    assert jt.agent(sweep_id, function=_quadratic, count=3) == 2
    assert jt.agent(sweep_id, function=_quadratic) == 0
    assert len(jt.sweep_runs(sweep_id)) == 5


def test_sweep_parameters_win_over_init_config_defaults() -> None:
    def train() -> None:
        with jt.init(config={"lr": 1.0, "other": "kept"}):
            assert jt.config.lr == 0.5 and jt.config.other == "kept"

    jt.agent(jt.sweep({"method": "grid", "parameters": {"lr": {"values": [0.5]}}}), function=train)
    [run] = jt.runs()
    assert run.config == {"lr": 0.5, "other": "kept"} and run.state == "finished"


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on() -> None:
    def train() -> None:
        with jt.init():
            if jt.config.a == 2:
                raise RuntimeError("boom")
            jt.log({"loss": jt.config.a})

    sweep_id = jt.sweep({"method": "grid", "metric": {"name": "loss"}, "parameters": {"a": {"values": [1, 2, 3]}}})
    assert jt.agent(sweep_id, function=train) == 3
    states = sorted((r.config["a"], r.state) for r in jt.sweep_runs(sweep_id))
    assert states == [(1, "finished"), (2, "failed"), (3, "finished")]


def test_an_agent_whose_first_trials_all_fail_stops_and_says_why(capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # W&B's tutorial sweep over a missing data file: every trial raises; count=25 must not mean 25 crashes
    def train() -> None:
        with jt.init():
            raise FileNotFoundError("pima-indians-diabetes.data.csv not found.")

    config = {"method": "random", "metric": {"name": "loss"}, "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    sweep_id = jt.sweep(config)
    assert jt.agent(sweep_id, function=train, count=25) == 3  # 3 failures within the first 60 s
    err = capsys.readouterr().err
    assert err.count("FileNotFoundError: pima-indians") == 3
    assert "the agent stops because 3 trials failed within the agent's first 60 s" in err
    assert "WANDB_AGENT_DISABLE_FLAPPING=true keeps it going" in err
    assert [r.state for r in jt.sweep_runs(sweep_id)] == ["failed"] * 3

    # without that rule, W&B's other one: 5 failures in a row before any trial ran through (its variable honoured)
    monkeypatch.setenv("WANDB_AGENT_DISABLE_FLAPPING", "true")
    monkeypatch.setenv("WANDB_AGENT_MAX_INITIAL_FAILURES", "4")
    assert jt.agent(sweep_id, function=train, count=25) == 4
    assert "its first 4 trials all failed (WANDB_AGENT_MAX_INITIAL_FAILURES sets how many)" in capsys.readouterr().err

    # once a trial has run through, failures later on do not stop the agent
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        with jt.init():
            if len(calls) > 1:
                raise RuntimeError("out of memory")
            jt.log({"loss": 1.0})

    assert jt.agent(jt.sweep(config), function=flaky, count=7) == 7


def test_hyperband_prunes_a_clearly_bad_trial() -> None:
    order: list[str] = []

    def train() -> None:
        bad = len(order) >= 12  # twelve good trials (each better than the last), then bad ones
        order.append("bad" if bad else "good")
        with jt.init() as run:
            for i in range(12):
                run.log({"loss": 1000.0 + i if bad else 1.0 / len(order) - i * 1e-6})

    config = {"method": "random", "metric": {"name": "loss", "goal": "minimize"},
              "parameters": {"x": {"min": 0.0, "max": 1.0}},
              "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 3, "s": 1}}
    sweep_id = jt.sweep(config)
    jt.agent(sweep_id, function=train, count=15)
    runs = jt.sweep_runs(sweep_id)
    states = [r.state for r in runs]
    assert states[:12] == ["finished"] * 12, states
    assert states[12:] == ["pruned"] * 3, states
    assert all(r.last_step is not None and r.last_step < 3 for r in runs[12:])  # by the 3rd log
    assert "pruned" in jt.types.RUN_STATES


def test_two_agents_in_two_processes_run_the_grid_exactly_once(tmp_path: Path) -> None:
    grid = {"method": "grid", "metric": {"name": "loss"},
            "parameters": {"a": {"values": list(range(6))}, "b": {"values": [0, 1, 2]}}}
    sweep_id = jt.sweep(grid)
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import pathlib, sys, time
        import jupyter_track as jt
        def train():
            with jt.init() as run:
                time.sleep(0.1)
                run.log({{"loss": jt.config.a + jt.config.b}})
        pathlib.Path(sys.argv[1]).touch()
        while not pathlib.Path({str(go)!r}).exists():  # both start together, however slowly each imported
            time.sleep(0.01)
        print(jt.agent({sweep_id!r}, function=train))
    """)
    ready = [tmp_path / f"ready{i}" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-c", script, str(r)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for r in ready]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    ran = [int(out.strip().splitlines()[-1]) for out, _ in outs]
    assert sum(ran) == 18 and min(ran) > 0, ran
    points = sorted((r.config["a"], r.config["b"]) for r in jt.sweep_runs(sweep_id))
    assert points == [(a, b) for a in range(6) for b in range(3)]


def test_wandb_seeds_example_runs_unchanged() -> None:
    import jupyter_track as wandb

    sweep_config = {
        "method": "random",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {
            "optimizer": {"values": ["adam", "sgd"]},
            "fc_layer_size": {"values": [128, 256, 512]},
            "dropout": {"values": [0.3, 0.4, 0.5]},
            "epochs": {"value": 2},
            "learning_rate": {"distribution": "uniform", "min": 0, "max": 0.1},
            "batch_size": {"distribution": "q_log_uniform_values", "q": 8, "min": 32, "max": 256},
        },
    }

    def train(config: Any = None) -> None:
        with wandb.init(config=config):
            config = wandb.config
            for epoch in range(config.epochs):
                wandb.log({"loss": config.learning_rate * config.dropout / (epoch + 1), "epoch": epoch})

    sweep_id = wandb.sweep(sweep_config, project="test-project")
    wandb.agent(sweep_id, function=train, count=10)
    runs = wandb.runs("test-project", filters={"sweep": sweep_id})
    assert len(runs) == 10 and all(r.state == "finished" for r in runs)
    assert all(r.config["batch_size"] % 8 == 0 and r.config["optimizer"] in ("adam", "sgd") for r in runs)


def test_optuna_tables_share_the_store_without_touching_our_schema(store_dir: Path) -> None:
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_track.store import close_all
    from jupyter_track.store.schema import HEAD, metadata

    jt.agent(jt.sweep(GRID), function=_quadratic_like_grid)
    close_all()
    engine = stores.engine()
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert {"studies", "trials", "version_info"} <= tables and "sweeps" in tables
        assert conn.scalar(sa.text("SELECT version_num FROM jupyter_track_version")) == HEAD
        ours = set(metadata.tables)
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, type_, parent: type_ != "table" or name in ours})
        assert compare_metadata(context, metadata) == []
    engine.dispose()
    assert jt.runs() is not None  # the store still opens


def _quadratic_like_grid() -> None:
    with jt.init() as run:
        run.log({"loss": jt.config.a})
