"""`jupyter-track sweep / agent / sweeps` with a real argparse program run as a subprocess per trial."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jupyter_track as jt
from tests.conftest import REPO

PROGRAM = textwrap.dedent("""\
    import argparse
    import jupyter_track as wandb

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    run = wandb.init(project="ignored-by-the-sweep", config=args)
    for epoch in range(args.epochs):
        wandb.log({"loss": args.lr * args.layers / (epoch + 1)})
    assert wandb.config.lr == args.lr
    run.finish()
    """)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "jupyter_track", *args], capture_output=True, text=True,
                            cwd=cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def test_cli_agent_runs_an_argparse_program_with_key_value_arguments(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(PROGRAM)
    (tmp_path / "sweep.yaml").write_text(textwrap.dedent("""\
        program: train.py
        method: grid
        metric:
          name: loss
          goal: minimize
        parameters:
          lr:
            values: [0.1, 0.01]
          layers:
            values: [1, 2]
          epochs:
            value: 2
        """))
    sweep_id = _cli("sweep", "sweep.yaml", "--project", "cli", cwd=tmp_path).stdout.strip()
    assert len(sweep_id) == 8
    _cli("agent", sweep_id, "--count", "3", cwd=tmp_path)
    _cli("agent", sweep_id, cwd=tmp_path)  # the rest of the grid, then it stops
    runs = jt.sweep_runs(sweep_id)
    assert sorted((r.config["lr"], r.config["layers"]) for r in runs) == [(0.01, 1), (0.01, 2), (0.1, 1), (0.1, 2)]
    assert {r.project for r in runs} == {"cli"} and {r.state for r in runs} == {"finished"}
    assert all(r.config["epochs"] == 2 and r.summary["loss"] == r.config["lr"] * r.config["layers"] / 2
               for r in runs)
    s = jt.get_sweep(sweep_id)
    assert s.state == "finished" and s.best_run().config == {"lr": 0.01, "layers": 1, "epochs": 2}  # type: ignore[union-attr]
    listing = _cli("sweeps", "cli", cwd=tmp_path).stdout
    assert sweep_id in listing and "0.005" in listing and "finished" in listing


def test_cli_command_template_and_missing_program(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(PROGRAM)
    (tmp_path / "sweep.yaml").write_text(textwrap.dedent(f"""\
        program: train.py
        method: random
        run_cap: 2
        parameters:
          lr:
            values: [0.5]
        command:
          - {sys.executable}
          - ${{program}}
          - --epochs=3
          - ${{args}}
        """))
    sweep_id = _cli("sweep", "sweep.yaml", cwd=tmp_path).stdout.strip()
    _cli("agent", sweep_id, cwd=tmp_path)
    runs = jt.sweep_runs(sweep_id)
    assert len(runs) == 2 and all(r.config["epochs"] == 3 and r.config["lr"] == 0.5 for r in runs)
    (tmp_path / "bad.yaml").write_text("method: random\nparameters:\n  lr:\n    values: [1]\n")
    bad = _cli("sweep", "bad.yaml", cwd=tmp_path).stdout.strip()
    result = subprocess.run([sys.executable, "-m", "jupyter_track", "agent", bad], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 1 and "no 'program'" in result.stderr
    result = subprocess.run([sys.executable, "-m", "jupyter_track", "sweep", "missing.yaml"], capture_output=True,
                            text=True, cwd=REPO, timeout=60)
    assert result.returncode != 0 and "does not exist" in result.stderr


PRUNED_PROGRAM = textwrap.dedent("""\
    import argparse
    import time
    from pathlib import Path
    import jupyter_track as wandb

    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float, default=0.0)
    args = parser.parse_args()
    counter = Path("trials.txt")
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    bad = n == 2  # the second trial logs a clearly bad loss; the first and third improve on each other
    run = wandb.init(config=args)
    for step in range(1000 if bad else 3):  # the bad one would take 100 s if left alone
        wandb.log({"loss": 1000.0 + step if bad else 1.0 / n})
        time.sleep(0.1 if bad else 0.01)
    run.finish()
    """)


def test_cli_agent_ends_a_pruned_program_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(PRUNED_PROGRAM)
    (tmp_path / "sweep.yaml").write_text(textwrap.dedent("""\
        program: train.py
        method: random
        metric:
          name: loss
          goal: minimize
        parameters:
          x:
            min: 0.0
            max: 1.0
        early_terminate:
          type: hyperband
          min_iter: 1
          eta: 3
          s: 0
        """))
    sweep_id = _cli("sweep", "sweep.yaml", "--project", "prune", cwd=tmp_path).stdout.strip()
    started = time.monotonic()
    _cli("agent", sweep_id, "--count", "3", cwd=tmp_path)
    took = time.monotonic() - started
    runs = jt.sweep_runs(sweep_id)
    assert [r.state for r in runs] == ["finished", "pruned", "finished"], [(r.state, r.summary) for r in runs]
    pruned = runs[1]
    # ended early: well before its 1,000 steps (the agent looks every 0.25 s; a busy machine may take seconds)
    assert pruned.summary["loss"] >= 1000.0 and pruned.last_step is not None and pruned.last_step < 300
    print(f"agent with 3 trials, the second pruned at step {pruned.last_step}: {took:.1f} s")
    assert runs[2].summary["loss"] == 1.0 / 3
    assert jt.get_sweep(sweep_id).best_run().summary["loss"] == 1.0 / 3  # type: ignore[union-attr]
