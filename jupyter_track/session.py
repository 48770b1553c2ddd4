"""The process-wide session: ``init()`` and the module-level ``log``/``finish``, the active runs, and exit handling.

One :class:`Session` holds the state; the module's ``init``, ``log``, ``finish``, ``current``, … act on the
default one. At interpreter exit every active run is finished (``failed`` if an uncaught exception ended the
program) and every writer drains, so a script that never calls ``finish()`` still keeps everything it logged.
"""

from __future__ import annotations

import atexit
import collections
import os
import sys
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import frontend
from . import settings as _settings
from .disabled import DisabledRun
from .errors import JupyterTrackWarning, NoRunError, RunNotFoundError, UsageError
from .messages import say
from .run_config import Config

if TYPE_CHECKING:
    from .live_run import Run
    from .run_summary import Summary

RESUME_MODES = ("allow", "must", "never", "auto")


@dataclass
class PendingTrial:
    """A sweep trial waiting for its run: the next ``init()`` in this process joins it (the run gets
    ``sweep_id``, ``params`` over its config, the sweep's project) and then calls ``on_start(run)``.

    Set by ``jt.agent`` (:func:`set_pending_trial`), or read once from ``JUPYTER_TRACK_SWEEP_*`` in a program
    that ``jupyter-track agent`` started.
    """

    sweep_id: str
    params: dict[str, Any]
    project: str | None = None
    run_id: str | None = None
    store: str | None = None  # the sweep's store: the trial's run goes there unless init() names a store or dir
    on_start: Callable[[Run], None] | None = None
    panel: bool = True  # False: the run shows no live panel (jt.agent shows the sweep view instead)


class Session:
    """The state of tracking in one process: the active runs (the last one started is the current one), the
    last few finished ones, ``jt.config`` set before ``init()``, the disabled run, a sweep trial or a seed
    waiting for the next run, and the exit hook.

    Runs tell their session that they finished through the callback it gives them; the session never reaches
    into a run. The module-level ``init``/``log``/``finish``/``current`` act on the default session.

    Example::

        session = Session()
        run = session.init(project="fashion", display=False)
        session.log({"loss": 0.5})
        session.reset()            # finishes the active runs and forgets everything (tests do this)
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._exit_hooked = False  # process-wide: reset() keeps it, the hook finishes whatever is active at exit
        self._clear()

    def _clear(self) -> None:
        self._active: list[Run] = []
        self._finished: collections.deque[Run] = collections.deque(maxlen=8)  # the cell recorder credits them
        self.pending_config = Config()  # jt.config used before init(): merged into the next run's config
        self._disabled: DisabledRun | None = None
        self._trial: PendingTrial | None = None
        self._env_trial_taken = False  # a program the CLI agent started joins one trial, from the environment
        self._seed: dict[str, Any] | None = None  # jt.seed_everything() before init(): recorded in the next run
        self._uncaught = False

    def reset(self) -> None:
        """Finish every active run (quietly) and forget all state: the runs, ``jt.config`` set before
        ``init()``, the disabled run, a pending sweep trial or seed. The exit hook stays installed. A run whose
        ``finish()`` raises does not stop the others; the first error is raised once the state is clear."""
        error: BaseException | None = None
        for run in reversed(self.active_runs()):
            try:
                run.finish(quiet=True)
            except Exception as exc:  # noqa: BLE001 - finish the others, forget everything, then raise it
                error = error or exc
        with self._lock:
            self._clear()
        if error is not None:
            raise error

    # -- the runs -------------------------------------------------------------------------------------------------
    def current(self) -> Run | DisabledRun | None:
        """The run the module-level functions act on: the most recently started active run."""
        with self._lock:
            return self._active[-1] if self._active else self._disabled

    def active_runs(self) -> list[Run]:
        with self._lock:
            return list(self._active)

    def tracked_runs(self) -> list[Run]:
        """Active runs and the last few finished ones (a cell that finishes a run still gets its step range)."""
        with self._lock:
            return list(self._active) + [r for r in self._finished if r not in self._active]

    def _run_finished(self, run: Run) -> None:  # each Run's notify_finished callback
        with self._lock:
            if run in self._active:
                self._active.remove(run)
                self._finished.append(run)

    def _disabled_finished(self, run: DisabledRun) -> None:  # the disabled run's notify_finished callback
        with self._lock:
            if self._disabled is run:
                self._disabled = None

    # -- init / log / finish ----------------------------------------------------------------------------------
    def init(
        self,
        project: str | None = None,
        entity: str | None = None,
        config: Any = None,
        name: str | None = None,
        notes: str | None = None,
        tags: Sequence[str] | None = None,
        group: str | None = None,
        job_type: str | None = None,
        dir: str | os.PathLike[str] | None = None,
        id: str | None = None,
        resume: bool | str | None = None,
        reinit: bool | str | None = None,
        mode: str | None = None,
        display: bool | None = None,
        store: str | None = None,
        notebook: str | os.PathLike[str] | None = None,
        capture: bool | str | Sequence[str] | None = None,
        config_exclude_keys: Sequence[str] | None = None,
        config_include_keys: Sequence[str] | None = None,
        allow_val_change: bool | None = None,
        save_code: bool | None = None,
        sync_tensorboard: bool | None = None,
        monitor_gym: bool | None = None,
        anonymous: str | None = None,
        force: bool | None = None,
        magic: Any = None,
        settings: Any = None,
    ) -> Run | DisabledRun:
        """Start a run and make it the current one; returns the :class:`~jupyter_track.run.Run`.

        Takes W&B's arguments: ``project`` (default: the working folder's name), ``config`` (dict, argparse
        Namespace, …), ``name``, ``notes``, ``tags``, ``group``, ``job_type``, ``entity`` (recorded), ``dir``
        (store folder), ``id`` + ``resume`` ("allow" | "must" | "never" | True; a run that another process is
        logging right now is not resumed: :class:`~jupyter_track.errors.RunIsRunningError`), ``reinit`` (a run
        already active is finished first unless ``reinit="create_new"``; ``"return_previous"`` returns it),
        ``mode="disabled"`` (every call a no-op), ``display`` (inline live panel), ``store`` (a store URL),
        ``notebook`` (the notebook's path, when detection cannot find it), ``capture`` (what is recorded
        automatically: True/"all", False/"none", or names from ``notebook, code, git, environment, packages,
        system``). Arguments W&B accepts that have no meaning here (``save_code``, ``sync_tensorboard``, …) are
        accepted and ignored.

        Example::

            with jt.init(project="fashion", config={"lr": 1e-3}) as run:
                run.log({"loss": 0.5})
        """
        mode = (mode or _settings.MODE.raw() or "online").lower()
        if mode not in ("online", "offline", "disabled", "shared", "dryrun", "run"):
            raise ValueError(f"init(mode={mode!r}): use 'online', 'offline' or 'disabled'")
        merged = self._merge_config(config, config_include_keys, config_exclude_keys)
        trial = self._take_trial()
        if trial is not None:  # a sweep trial: its parameters win over init(config=) defaults, as in W&B
            merged.update(trial.params)
            if trial.project and project and project != trial.project:  # W&B ignores it too, with a warning
                warnings.warn(f"init(project={project!r}) is ignored in sweep {trial.sweep_id}: the trial's run "
                              f"goes to the sweep's project {trial.project!r}", JupyterTrackWarning, stacklevel=2)
            project, id = trial.project or project, id or trial.run_id
            if store is None and dir is None:
                store = trial.store
        elif not _settings.SWEEP_ID.raw():  # in a sweep's program WANDB_RUN_ID is the trial's: never a default
            id = id or _settings.RUN_ID.raw()
            resume = resume if resume is not None else _settings.RESUME.raw()
        name, notes = name or _settings.NAME.raw(), notes or _settings.NOTES.raw()
        group, job_type = group or _settings.RUN_GROUP.raw(), job_type or _settings.JOB_TYPE.raw()
        if tags is None and (listed := _settings.TAGS.raw()):
            tags = [t.strip() for t in listed.split(",") if t.strip()]
        from .capture import parts_from

        parts = parts_from(capture)
        if mode == "disabled":
            disabled = DisabledRun(config=merged, project=project, name=name,
                                   notify_finished=self._disabled_finished)
            with self._lock:
                self._disabled = disabled
            return disabled
        with self._lock:
            self._disabled = None
        previous = self.current()
        if previous is not None:
            if reinit in ("return_previous", False) and not previous.disabled:
                return previous
            if reinit != "create_new":
                previous.finish()
        resume_mode = _resume_mode(resume)
        from .run_start import create_run, resume_run
        from .store import open_store, writer_for

        url = _settings.store_url(store, dir)
        # An id may name a run to resume: that needs the store now. Otherwise the store is only checked here (stdlib
        # sqlite3, or one psycopg round trip to a server) and opened by the writer thread: SQLAlchemy takes longer
        # to import than the rest of init().
        opened = open_store(url) if id else None  # a run this process finished just now is stored by then
        writer = writer_for(url)
        existing = opened.get_run(id) if opened is not None and id else None
        if existing is not None:
            assert opened is not None
            if resume_mode in (None, "never"):
                raise UsageError(
                    f"a run with id {id!r} already exists in project {existing.project!r}; pass resume='allow' to "
                    "continue it, or leave id out to start a new run")
            run = resume_run(opened, url, writer, existing, merged, name, notes, tags,
                             notify_finished=self._run_finished)
        else:
            if resume_mode == "must":
                raise RunNotFoundError(f"init(resume='must'): no run with id {id!r} in {_where(url)}")
            run = create_run(opened, url, writer, project, entity, merged, name, notes, tags, group,
                             job_type, id, sweep_id=trial.sweep_id if trial is not None else None,
                             notify_finished=self._run_finished)
        with self._lock:
            self._active.append(run)
            self.pending_config.clear()  # consumed by this run
            seed, self._seed = self._seed, None
        self._hook_exit()
        if seed is not None:
            run.record_meta({"seed": seed})
        say(f"{'resumed' if existing else 'started'} run {run.name} ({run.path}) → {_where(url)}")
        run.start_capture(parts, notebook=notebook, shell=frontend.running_shell(), runs=self.tracked_runs)
        if trial is not None and trial.on_start is not None:
            trial.on_start(run)
        if frontend.wants_display(display) and (trial is None or trial.panel):
            frontend.show_run(run)
        writer.nudge()  # its first flush (and SQLAlchemy's import) starts now, not while init() still runs
        return run

    def log(self, data: Mapping[str, Any] | None = None, step: int | None = None, commit: bool | None = None
            ) -> None:
        """Log to the current run; see :meth:`Run.log`."""
        active = self._active
        run = active[-1] if active else self._disabled
        if run is None:
            raise UsageError("call jt.init() before jt.log()")
        run.log(data, step=step, commit=commit)

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """Finish the current run (no-op without one)."""
        run = self.current()
        if run is not None:
            run.finish(exit_code=exit_code, quiet=quiet)

    # -- before the next run: a seed, a sweep trial, jt.config -----------------------------------------------------
    def seed_everything(self, seed: int, deterministic: bool = False) -> dict[str, Any]:
        """Seed ``random``, numpy, torch and tensorflow (those installed) and record the seed in the current run,
        or in the next one started.

        Example::

            jt.seed_everything(42)
            run = jt.init(project="fashion")     # run.meta["seed"] == {"seed": 42, "seeded": [...], ...}
        """
        from .capture.seeds import seed_everything as seed_all

        seeded = seed_all(seed, deterministic=deterministic)
        run = self.current()
        if run is not None and not isinstance(run, DisabledRun):
            run.record_meta({"seed": seeded})
        else:
            with self._lock:
                self._seed = seeded
        return seeded

    def set_pending_trial(self, trial: PendingTrial | None) -> None:
        """Make ``trial`` the one the next ``init()`` joins (None: forget a trial no run joined)."""
        with self._lock:
            self._trial = trial

    def _take_trial(self) -> PendingTrial | None:
        with self._lock:
            if self._trial is not None:
                trial, self._trial = self._trial, None
                return trial
            sweep_id = _settings.SWEEP_ID.both_set()
            if self._env_trial_taken or not sweep_id:
                return None
            self._env_trial_taken = True  # one trial per process started by the CLI agent
        import json

        params = json.loads(_settings.SWEEP_PARAMS.raw() or "{}")
        if not isinstance(params, dict):
            raise UsageError(f"{_settings.SWEEP_PARAMS.name} must be a JSON object of parameters")
        return PendingTrial(sweep_id=sweep_id, params=params, project=_settings.SWEEP_PROJECT.raw(),
                            run_id=_settings.SWEEP_RUN_ID.both_set())

    def config(self) -> Config:
        """``jt.config``: the current run's config, or the one the next run starts with."""
        run = self.current()
        return run.config if run is not None else self.pending_config

    def set_config(self, value: Any) -> None:
        """``jt.config = {...}``: tutorials assign the module attribute; it updates the current run's config."""
        self.config().update(value)

    def summary(self) -> Summary:
        """``jt.summary``: the current run's summary (:class:`~jupyter_track.errors.NoRunError`, an
        AttributeError too, without one: ``hasattr(jt, "summary")`` is False)."""
        run = self.current()
        if run is None:
            raise NoRunError("jt.summary needs a run: call jt.init() first")
        return run.summary

    def _merge_config(self, config: Any, include: Sequence[str] | None, exclude: Sequence[str] | None
                      ) -> dict[str, Any]:
        merged = Config(self.pending_config.as_dict())
        merged.update(config)
        data = merged.as_dict()
        if include:
            data = {k: v for k, v in data.items() if k in include}
        if exclude:
            data = {k: v for k, v in data.items() if k not in exclude}
        return data

    # -- exit -------------------------------------------------------------------------------------------------------
    def _hook_exit(self) -> None:
        with self._lock:
            if self._exit_hooked:
                return
            self._exit_hooked = True
        previous = sys.excepthook

        def excepthook(tp: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
            self._uncaught = True
            previous(tp, value, tb)

        sys.excepthook = excepthook
        atexit.register(self._at_exit)

    def _at_exit(self) -> None:
        from .store import close_all

        for run in reversed(self.active_runs()):
            try:
                run.finish(exit_code=1 if self._uncaught else 0, quiet=True)
            except Exception as exc:  # noqa: BLE001 - at exit: report it and go on finishing the other runs
                print(f"jupyter_track: could not finish run {run.path}: {exc}", file=sys.stderr)
        close_all()


def _resume_mode(resume: bool | str | None) -> str | None:
    if resume is None or resume is False:
        return None
    if resume is True:
        return "allow"
    if resume not in RESUME_MODES:
        raise ValueError(f"init(resume={resume!r}): use one of {RESUME_MODES} or True")
    return "allow" if resume == "auto" else resume


def _where(url: str) -> str:
    """The store for messages: a file path, or the URL without its password."""
    from .store.urls import redact, sqlite_path  # not store.sql: init() must not wait for SQLAlchemy to load

    path = sqlite_path(url)
    return str(path) if path is not None else redact(url)


# -- the default session: the module-level API ----------------------------------------------------------------------
DEFAULT = Session()

init = DEFAULT.init
log = DEFAULT.log
finish = DEFAULT.finish
current = DEFAULT.current
active_runs = DEFAULT.active_runs
tracked_runs = DEFAULT.tracked_runs
reset = DEFAULT.reset
seed_everything = DEFAULT.seed_everything
set_pending_trial = DEFAULT.set_pending_trial
config = DEFAULT.config
set_config = DEFAULT.set_config
summary = DEFAULT.summary
