"""``jt.agent(sweep_id, function=train, count=N)``: run the sweep's trials in this process.

Each trial: Optuna suggests the parameters; the next ``jt.init()`` (inside ``train``) joins the trial without
being told (a :class:`~jupyter_track.session.PendingTrial`): the run gets the sweep id and the parameters
over its ``config`` defaults. With ``early_terminate: hyperband`` the run's ``log()`` reports the metric to
Optuna at each band (its n-th finite value of the metric, as W&B counts positions) and W&B's rule decides
(:mod:`.hyperband`); when the trial is pruned, the run ends as ``pruned`` and ``log()`` raises
:class:`~jupyter_track.errors.TrialPruned`, which stops ``train`` and is caught here. After ``train``, the
run's final value of the metric (its summary) is told to Optuna.

``count`` bounds this agent's trials; ``run_cap`` (and a grid's size) bound the sweep's, across agents and
processes: trial numbers come from the shared Optuna storage, a trial numbered past the cap is discarded
(told failed, with the user attribute ``jt_discarded``), and the agent stops.

Example::

    def train():
        with jt.init(config={"lr": 0.1}) as run:      # the sweep's lr wins over this default
            for epoch in range(10):
                run.log({"loss": 1 / (epoch + 1) * jt.config.lr})

    jt.agent(sweep_id, function=train, count=20)
"""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

import optuna
from optuna.trial import TrialState

from .. import frontend, session, settings
from ..errors import TrialPruned, UsageError
from ..messages import say
from . import core, space
from . import study as studies
from .config import SweepSpec
from .hyperband import BEST_SO_FAR

if TYPE_CHECKING:
    from ..live_run import Run
    from ..store.base import Store


def agent(sweep_id: str, function: Callable[[], Any] | None = None, entity: str | None = None,
          project: str | None = None, count: int | None = None, *, seed: int | None = None,
          store: str | None = None, dir: str | os.PathLike[str] | None = None, display: bool | None = None,
          on_trial: Callable[[], Any] | None = None) -> int:
    """Run up to ``count`` trials of ``sweep_id`` (all, when None: until the grid or ``run_cap`` is done) by
    calling ``function()``; returns how many trials ran. ``seed`` seeds this agent's sampler (random, bayes).
    In a notebook the sweep view (``jt.sweep_view``) is shown and refreshed after each trial, unless
    ``display=False`` (or ``$JUPYTER_TRACK_DISPLAY=0``); ``on_trial()`` is also called after each trial.
    """
    if function is None:
        raise UsageError("jt.agent(sweep_id, function=train): give the function to call per trial, or run the "
                         "config's program with `jupyter-track agent SWEEP_ID`")
    if count is not None and count < 1:
        raise ValueError(f"agent(count={count!r}): a whole number >= 1, or None for no limit")
    from ..store import open_store

    url = settings.store_url(store, dir)
    target = open_store(url)
    record, spec = core.load(target, sweep_id)
    study = studies.open_study(url, record, spec, seed=seed)
    core.set_state(target, record.id, "running")
    refresh_view = frontend.view("sweep_view")(record.id, url) if frontend.wants_display(display) else None
    callbacks = [c for c in (refresh_view, on_trial) if c is not None]
    return run_trials(target, record.id, spec, study, count,
                      lambda trial: _run_trial(target, record.id, record.project, spec, study, trial, function,
                                               panel=refresh_view is None),
                      after=lambda: _after_trial(callbacks))


def run_trials(store: Store, sweep_id: str, spec: SweepSpec, study: optuna.Study, count: int | None,
               run_one: Callable[[optuna.Trial], bool], after: Callable[[], None] | None = None) -> int:
    """The agents' loop: ``run_one(trial)`` (True when the trial failed) for up to ``count`` trials; when the
    sweep's cap is reached its state becomes ``finished``. ``after()`` is called after each trial and once more
    after that state change. The loop gives up early, as W&B's agent does, when its first trials all fail
    (:class:`FailureWatch`). Returns how many trials ran."""
    done = 0
    failures = FailureWatch(sweep_id)
    while count is None or done < count:
        trial = next_trial(study, spec)
        if trial is None:
            core.set_state(store, sweep_id, "finished")
            if after is not None:
                after()
            break
        failed = run_one(trial)
        done += 1
        if after is not None:
            after()
        if failures.gives_up(failed):
            break
    return done


class FailureWatch:
    """W&B's agent rules for a sweep that cannot work: stop after ``AGENT_MAX_INITIAL_FAILURES`` (5) failed
    trials in a row before any ran through, or 3 failed within the agent's first 60 s unless
    ``AGENT_DISABLE_FLAPPING`` (their ``WANDB_AGENT_*`` names are honoured)."""

    FLAPPING_SECONDS = 60.0
    FLAPPING_FAILURES = 3

    def __init__(self, sweep_id: str) -> None:
        self.sweep_id = sweep_id
        self.started = time.monotonic()
        self.in_a_row = 0  # failed trials before the first that ran through
        self.early = 0  # failed trials within FLAPPING_SECONDS of the start
        self.any_passed = False
        self.max_in_a_row = max(1, int(settings.AGENT_MAX_INITIAL_FAILURES.number()))
        self.flapping = not settings.AGENT_DISABLE_FLAPPING.flag()

    def gives_up(self, failed: bool) -> bool:
        """Count one trial; True (after saying why) when the agent should stop."""
        if not failed:
            self.any_passed = True
            return False
        if not self.any_passed:
            self.in_a_row += 1
        if time.monotonic() - self.started < self.FLAPPING_SECONDS:
            self.early += 1
        if self.flapping and self.early >= self.FLAPPING_FAILURES:
            why = (f"{self.early} trials failed within the agent's first {self.FLAPPING_SECONDS:.0f} s "
                   f"({settings.AGENT_DISABLE_FLAPPING.alias}=true keeps it going)")
        elif self.in_a_row >= self.max_in_a_row:
            why = (f"its first {self.in_a_row} trials all failed "
                   f"({settings.AGENT_MAX_INITIAL_FAILURES.alias} sets how many)")
        else:
            return False
        # stderr whatever QUIET says, as the tracebacks it concludes are
        print(f"jupyter_track: sweep {self.sweep_id}: the agent stops because {why}; the tracebacks above say what "
              "went wrong in the training function. Fix it and run the agent again: the sweep goes on where it "
              "stopped.", file=sys.stderr, flush=True)
        return True


def _after_trial(callbacks: list[Callable[[], Any]]) -> None:
    """Call each callback; a failing one is reported and never stops the sweep."""
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - a view that fails to refresh must not stop the trials
            traceback.print_exc(file=sys.stderr)


def cap(spec: SweepSpec) -> int | None:
    """The sweep's total number of trials: ``run_cap``, and a grid's size."""
    limits = [c for c in (spec.run_cap, space.grid_size(spec.params) if spec.method == "grid" else None)
              if c is not None]
    return min(limits) if limits else None


def next_trial(study: optuna.Study, spec: SweepSpec) -> optuna.Trial | None:
    """A new trial, or None when the sweep's cap is reached (a trial numbered past it is discarded)."""
    limit = cap(spec)
    if limit is not None and len(study.get_trials(deepcopy=False)) >= limit:
        return None
    trial = study.ask()
    if limit is not None and trial.number >= limit:  # another agent took the last place meanwhile
        trial.set_user_attr("jt_discarded", True)
        study.tell(trial, state=TrialState.FAIL)
        return None
    return trial


def hyperband_bands(spec: SweepSpec) -> frozenset[int]:
    """The positions in the metric's logged values at which a trial reports to Optuna and may be pruned
    (none without ``early_terminate``); see :mod:`.hyperband`."""
    return frozenset(spec.hyperband.bands) if spec.hyperband is not None else frozenset()


def finite_number(value: Any) -> TypeGuard[int | float]:
    """A value that counts as one of the metric's logged values (W&B leaves out NaN, inf, bools and text)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class BandReporter:
    """Counts a trial's logged values of the metric and, at each hyperband band, reports the value there to
    Optuna; :meth:`add` says whether Optuna prunes the trial (only asked while ``ask`` is true)."""

    def __init__(self, trial: optuna.Trial, spec: SweepSpec) -> None:
        self.trial = trial
        self.bands = hyperband_bands(spec)
        self.maximize = spec.goal == "maximize"
        self.strict = spec.hyperband is None or spec.hyperband.strict
        self.count = 0
        self.best: float | None = None

    def add(self, value: float, ask: bool = True) -> bool:
        self.count += 1
        if self.best is None or (value > self.best if self.maximize else value < self.best):
            self.best = value
        if self.count not in self.bands:
            return False
        self.trial.report(value, self.count)
        if not ask:
            return False
        if not self.strict:
            self.trial.set_user_attr(BEST_SO_FAR, self.best)
        return self.trial.should_prune()


class TrialMonitor:
    """Watches a trial's run: reports the metric's value at the hyperband bands (:class:`BandReporter`) and
    prunes the run when Optuna says so (see the module doc)."""

    def __init__(self, trial: optuna.Trial, spec: SweepSpec, sweep_id: str) -> None:
        self.trial = trial
        self.sweep_id = sweep_id
        self.metric = spec.metric
        self.bands = BandReporter(trial, spec)
        self.pruned = False
        self.run: Run | None = None

    def start(self, run: Run) -> None:
        self.run = run
        if self.bands.bands:
            run.log_hook = self.on_log

    def on_log(self, scalars: dict[str, Any]) -> None:
        value = scalars.get(self.metric) if self.metric is not None else None
        if not finite_number(value) or not self.bands.add(float(value)):
            return
        self.pruned = True
        run = self.run
        assert run is not None
        run.log_hook = None
        run.finish(quiet=True, state="pruned")
        raise TrialPruned(f"trial {self.trial.number} of sweep {self.sweep_id} was pruned by hyperband at "
                          f"{self.metric}={value} (its value number {self.bands.count}, below the top 1/eta of "
                          f"the sweep's runs there); its run {run.path} ended as 'pruned' and jt.agent goes on "
                          "with the next trial")


def _run_trial(store: Store, sweep_id: str, project: str, spec: SweepSpec, study: optuna.Study,
               trial: optuna.Trial, function: Callable[[], Any], panel: bool = True) -> bool:
    """One trial of ``jt.agent``: True when it failed (the function raised or started no run)."""
    params = space.suggest(trial, spec.params)
    monitor = TrialMonitor(trial, spec, sweep_id)
    session.set_pending_trial(session.PendingTrial(sweep_id, params, project, store=store.url,
                                                    on_start=monitor.start, panel=panel))
    failed = False
    try:
        function()
    except TrialPruned:
        monitor.pruned = True
    except KeyboardInterrupt:
        if monitor.run is not None:
            monitor.run.finish(exit_code=255, quiet=True, state="killed")
        study.tell(trial, state=TrialState.FAIL)
        raise
    except Exception:  # noqa: BLE001 - a failing trial is recorded and the sweep goes on (as W&B's agent)
        traceback.print_exc(file=sys.stderr)
        failed = True
    finally:
        session.set_pending_trial(None)
    run = monitor.run
    if run is None:
        say(f"trial {trial.number} of sweep {sweep_id}: the function started no run (call jt.init() "
                    "inside it); the trial is marked failed")
        study.tell(trial, state=TrialState.FAIL)
        return True
    run.log_hook = None
    if monitor.pruned:
        if run.state == "running":
            run.finish(quiet=True, state="pruned")
        study.tell(trial, state=TrialState.PRUNED)
        return False
    if run.state == "running":
        run.finish(exit_code=1 if failed else 0, quiet=True)
    tell(study, trial, spec, run.summary.as_dict() if not failed else None)
    return failed


def tell(study: optuna.Study, trial: optuna.Trial | int, spec: SweepSpec, summary: dict[str, Any] | None) -> None:
    """Report a finished trial: its summary's metric value, or failed (no summary, no numeric value)."""
    if summary is None:
        study.tell(trial, state=TrialState.FAIL)
        return
    if spec.metric is None:  # a sweep without a metric: Optuna still needs a value
        study.tell(trial, 0.0)
        return
    value = summary.get(spec.metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        study.tell(trial, state=TrialState.FAIL)
        return
    study.tell(trial, float(value))
