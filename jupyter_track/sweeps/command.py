"""``jupyter-track agent SWEEP_ID``: run the config's ``program`` once per trial, as W&B's CLI agent does.

The command is the config's ``command`` (default ``${env} ${interpreter} ${program} ${args}``) with W&B's
macros: ``${args}`` → ``--key=value`` per parameter (argparse scripts written for W&B run unchanged),
``${args_no_hyphens}`` → ``key=value``, ``${args_no_boolean_flags}`` (``--flag`` for True, nothing for False),
``${args_json}``, ``${args_json_file}``, ``${program}``, ``${interpreter}`` (this Python), ``${env}`` (dropped).
The program's first ``jt.init()`` joins the trial through ``JUPYTER_TRACK_SWEEP_*`` environment variables
(declared in :mod:`jupyter_track.settings`). With hyperband this agent follows the run's metric in the store
and reports the value logged at each band (read from the stored series, not the latest value); when the trial
is pruned it ends the process and marks the run ``pruned`` — unless the program already finished its run, which
then stays ``finished``. Then it tells Optuna the run's final value.

Example::

    jupyter-track sweep sweep.yaml            # prints the sweep id
    jupyter-track agent 3k9x2abq --count 10
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from .. import settings
from ..errors import UsageError
from ..messages import say
from ..names import new_run_id
from ..store.base import Batch, RunWrite
from . import core, space
from . import study as studies
from .config import SweepSpec
from .trials import BandReporter, run_trials, tell

POLL_SECONDS = 0.25


def format_args(params: dict[str, Any], hyphens: bool = True, boolean_flags: bool = False) -> list[str]:
    """``{"lr": 0.1, "opt": "adam"}`` → ``["--lr=0.1", "--opt=adam"]`` (W&B's ``${args}``)."""
    out = []
    for key, value in params.items():
        if boolean_flags and isinstance(value, bool):
            if value:
                out.append(f"--{key}")
            continue
        text = json.dumps(value) if isinstance(value, list | dict) or value is None else str(value)
        out.append(f"--{key}={text}" if hyphens else f"{key}={text}")
    return out


def build_command(spec: SweepSpec, params: dict[str, Any], folder: Path) -> list[str]:
    """The trial's command line from the config's ``command`` template."""
    check_program(spec)
    argv: list[str] = []
    for part in spec.command:
        if part == "${env}":
            continue
        if part == "${args}":
            argv += format_args(params)
        elif part == "${args_no_hyphens}":
            argv += format_args(params, hyphens=False)
        elif part == "${args_no_boolean_flags}":
            argv += format_args(params, boolean_flags=True)
        elif part == "${args_json_file}":
            path = folder / "params.json"
            path.write_text(json.dumps(params))
            argv.append(str(path))
        else:
            argv.append(part.replace("${interpreter}", sys.executable).replace("${program}", spec.program or "")
                        .replace("${args_json}", json.dumps(params)))
    return argv


def check_program(spec: SweepSpec) -> None:
    if spec.program is None and any("${program}" in part for part in spec.command):
        raise UsageError("the sweep config has no 'program': add program: train.py (or a command) to run it "
                         "with `jupyter-track agent`, or call jt.agent(sweep_id, function=train) in Python")


def run_agent(sweep_id: str, count: int | None = None, store: str | None = None,
              dir: str | os.PathLike[str] | None = None) -> int:
    """Run up to ``count`` trials of the sweep as subprocesses; returns how many ran."""
    from ..store import open_store

    url = settings.store_url(store, dir)
    target = open_store(url)
    record, spec = core.load(target, sweep_id)
    check_program(spec)  # before a trial is asked for
    study = studies.open_study(url, record, spec)
    core.set_state(target, record.id, "running")
    return run_trials(target, record.id, spec, study, count,
                      lambda trial: _run_process(target, url, record.id, record.project, spec, study, trial))


def _run_process(store: Any, url: str, sweep_id: str, project: str, spec: SweepSpec, study: optuna.Study,
                 trial: optuna.Trial) -> bool:
    """One trial of ``jupyter-track agent``: True when it failed (the program exited non-zero or started no
    run)."""
    params = space.suggest(trial, spec.params)
    run_id = new_run_id()
    env = {**os.environ, settings.STORE.name: url, **settings.SWEEP_ID.both(sweep_id),
           **settings.SWEEP_RUN_ID.both(run_id), settings.SWEEP_PARAMS.name: json.dumps(params),
           settings.SWEEP_PROJECT.name: project,
           # other runs the program starts (cross-validation folds in worker processes) go to the sweep's project,
           # as W&B's agent sets WANDB_PROJECT for them
           **settings.PROJECT.both(project)}
    with tempfile.TemporaryDirectory(prefix="jt-trial-") as folder:
        argv = build_command(spec, params, Path(folder))
        say(f"sweep {sweep_id} trial {trial.number}: {' '.join(argv)}")
        child = subprocess.Popen(argv, env=env)
        pruned = _Watch(store, run_id, spec, trial).follow(child)
        code = child.wait()
    info = store.get_run(run_id)
    if info is None:
        say(f"trial {trial.number}: the program started no run (call jt.init() in it); marked failed")
        study.tell(trial, state=TrialState.FAIL)
        return True
    if pruned:
        now = time.time()
        store.write_batch(Batch(runs=[RunWrite(run_id, {"state": "pruned", "finished_at": now, "updated_at": now,
                                                        "exit_code": 0})]))
        study.tell(trial, state=TrialState.PRUNED)
        return False
    summary = {k: e.value for k, e in info.summary.items()}
    tell(study, trial, spec, summary if code == 0 else None)
    return code != 0


class _Watch:
    """Follows the trial's run in the store while its program runs: reads the metric's new values (the series
    as logged, step by step), reports the value at each hyperband band to Optuna, and ends the program when
    the trial is pruned there."""

    def __init__(self, store: Any, run_id: str, spec: SweepSpec, trial: optuna.Trial) -> None:
        self.store = store
        self.run_id = run_id
        self.metric = spec.metric
        self.bands = BandReporter(trial, spec)
        self.after: int | None = None  # the last step read

    def follow(self, child: subprocess.Popen[bytes]) -> bool:
        """Watch until the program ends; True if it was pruned (and ended here)."""
        if not self.bands.bands or self.metric is None:
            return False
        while child.poll() is None:
            time.sleep(POLL_SECONDS)
            if self._read(ask=True):
                if child.poll() is None and self._still_running():
                    child.terminate()
                    return True
                break  # the program ended (or finished its run) after its last value: not pruned
        child.wait()
        self._read(ask=False)  # what it logged since the last look: its values count at the bands all the same
        return False

    def _read(self, ask: bool) -> bool:
        """Report the values logged since the last read; True as soon as the trial is pruned at one of them."""
        assert self.metric is not None
        new = self.store.read_series(self.run_id, self.metric, after_step=self.after)
        for step, value in zip(new.steps.tolist(), new.values.tolist(), strict=True):
            self.after = int(step)
            if math.isfinite(value) and self.bands.add(float(value), ask=ask):
                return True
        return False

    def _still_running(self) -> bool:
        info = self.store.get_run(self.run_id)
        return info is not None and info.state == "running"
