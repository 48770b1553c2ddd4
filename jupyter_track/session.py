"""The process-wide session: ``init()`` and the module-level ``log``/``finish``, the active runs, and exit handling.

At interpreter exit every active run is finished (``failed`` if an uncaught exception ended the program) and
every writer drains, so a script that never calls ``finish()`` still keeps everything it logged.
"""

from __future__ import annotations

import atexit
import collections
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import settings as _settings
from .disabled import DisabledRun
from .errors import RunIsRunningError, RunNotFoundError, UsageError
from .run_config import Config
from .types import SYSTEM_PREFIX

if TYPE_CHECKING:
    from .live_run import Run

_lock = threading.RLock()
_active: list[Run] = []
_finished: collections.deque[Run] = collections.deque(maxlen=8)  # the cell recorder still credits their steps
_pending_config = Config()  # jt.config used before init(): merged into the next run's config
_exit = {"hooked": False, "uncaught": False}

RESUME_MODES = ("allow", "must", "never", "auto")


def current() -> Run | DisabledRun | None:
    """The run the module-level functions act on: the most recently started active run."""
    with _lock:
        return _active[-1] if _active else _disabled_current


_disabled_current: DisabledRun | None = None


def say(message: str) -> None:
    if not _settings.QUIET.flag():
        print(f"jupyter_track: {message}", flush=True)


def init(
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
    Namespace, …), ``name``, ``notes``, ``tags``, ``group``, ``job_type``, ``entity`` (recorded), ``dir`` (store
    folder), ``id`` + ``resume`` ("allow" | "must" | "never" | True; a run that another process is logging right
    now is not resumed: :class:`~jupyter_track.errors.RunIsRunningError`), ``reinit`` (a run already active is
    finished first unless ``reinit="create_new"``; ``"return_previous"`` returns it), ``mode="disabled"`` (every
    call a no-op), ``display`` (inline live panel), ``store`` (a store URL), ``notebook`` (the notebook's path,
    when detection cannot find it), ``capture`` (what is recorded automatically: True/"all", False/"none", or
    names from ``notebook, code, git, environment, packages, system``). Arguments W&B accepts that have no
    meaning here (``save_code``, ``sync_tensorboard``, …) are accepted and ignored.

    Example::

        with jt.init(project="fashion", config={"lr": 1e-3}) as run:
            run.log({"loss": 0.5})
    """
    global _disabled_current
    mode = (mode or _mode_setting()).lower()
    if mode not in ("online", "offline", "disabled", "shared", "dryrun", "run"):
        raise ValueError(f"init(mode={mode!r}): use 'online', 'offline' or 'disabled'")
    merged = _merge_config(config, config_include_keys, config_exclude_keys)
    trial = _take_trial()
    if trial is not None:  # a sweep trial: its parameters win over init(config=) defaults, as in W&B
        merged.update(trial.params)
        project, id = trial.project or project, id or trial.run_id
        if store is None and dir is None:
            store = trial.store
    from .capture import Capture, parts_from

    parts = parts_from(capture)
    if mode == "disabled":
        _disabled_current = DisabledRun(config=merged, project=project, name=name)
        return _disabled_current
    _disabled_current = None
    previous = current()
    if previous is not None:
        if reinit in ("return_previous", False) and not previous.disabled:
            return previous
        if reinit != "create_new":
            previous.finish()
    resume_mode = _resume_mode(resume)
    from .store import open_store, writer_for

    url = _settings.store_url(store, dir)
    # An id may name a run to resume: that needs the store now. Otherwise the store is only checked here (stdlib
    # sqlite3, or one psycopg round trip to a server) and opened by the writer thread: SQLAlchemy takes longer
    # to import than the rest of init().
    opened = open_store(url) if id else None
    existing = opened.get_run(id) if opened is not None and id else None
    if existing is not None:
        if resume_mode in (None, "never"):
            raise UsageError(
                f"a run with id {id!r} already exists in project {existing.project!r}; pass resume='allow' to "
                "continue it, or leave id out to start a new run")
        run = _resume(opened, url, writer_for(url), existing, merged, name, notes, tags)
    else:
        if resume_mode == "must":
            raise RunNotFoundError(f"init(resume='must'): no run with id {id!r} in {_where(url)}")
        run = _create(opened, url, writer_for(url), project, entity, merged, name, notes, tags, group, job_type,
                      id, sweep_id=trial.sweep_id if trial is not None else None)
    with _lock:
        _active.append(run)
    _pending_config.clear()  # consumed by this run
    _hook_exit()
    if _pending_seed:
        run.record_meta({"seed": _pending_seed.pop()})
    say(f"{'resumed' if existing else 'started'} run {run.name} ({run.path}) → {_where(url)}")
    from .capture.cells import running_shell

    run._capture = Capture(run, parts, notebook=notebook, shell=running_shell(), runs=tracked_runs)
    run._capture.start()
    if trial is not None and trial.on_start is not None:
        trial.on_start(run)
    if _wants_display(display) and (trial is None or trial.panel):
        show(run)
    return run


def _create(store: Any, url: str, writer: Any, project: str | None, entity: str | None, config: dict[str, Any],
            name: str | None, notes: str | None, tags: Sequence[str] | None, group: str | None,
            job_type: str | None, run_id: str | None, sweep_id: str | None = None) -> Run:
    import socket

    from .live_run import Run
    from .names import new_run_id, new_run_name
    from .store import open_store
    from .store.blobs import BlobStore, DeferredBlobStore, blob_root_for
    from .store.preflight import start_run
    from .store.urls import sqlite_path

    project = _project(project)
    run_id = _check_id(run_id) if run_id else new_run_id()
    now = time.time()
    tag_list = [str(t) for t in (tags or ())]
    path = sqlite_path(url)

    def columns(number: int) -> dict[str, Any]:
        fields = {
            "project": project, "entity": entity, "name": str(name) if name else new_run_name(number),
            "state": "running", "group_name": group, "job_type": job_type, "notes": notes, "config": config,
            "meta": {}, "created_at": now, "updated_at": now, "heartbeat_at": now, "last_step": None,
            "host": socket.gethostname(), "pid": os.getpid(),
        }
        if sweep_id is not None:
            fields["sweep_id"] = sweep_id
        return fields

    # the preflight also refuses a newer or damaged store at once, and makes the run's row where it can
    started = start_run(url, project, run_id, columns, tag_list)
    if started is None:  # a server store not made (or migrated) yet: open it now
        store = store if store is not None else open_store(url)
        number = store.next_run_number(project)
        started = number, columns(number)
    fields = started[1]
    buffer = writer.register(run_id)
    buffer.op("create", (fields, tag_list))  # the run's row, where the preflight could not make it yet
    blobs = (BlobStore(blob_root_for(url)) if path is not None else store.blobs if store is not None
             else DeferredBlobStore(lambda: open_store(url).blobs))
    return Run(store_url=url, blobs=blobs, writer=writer, buffer=buffer, id=run_id,
               name=fields["name"], project=project, entity=entity, config=config, tags=tag_list, notes=notes,
               group=group, job_type=job_type, created_at=now)


def _resume(store: Any, url: str, writer: Any, info: Any, config: dict[str, Any], name: str | None,
            notes: str | None, tags: Sequence[str] | None) -> Run:
    import socket

    from .live_run import Run

    now = time.time()
    run_name, run_notes = name or info.name, notes if notes is not None else info.notes
    fields = {"state": "running", "finished_at": None, "exit_code": None, "heartbeat_at": now, "updated_at": now,
              "pid": os.getpid(), "host": socket.gethostname(), "name": run_name, "notes": run_notes}
    try:  # before the writer knows it: a run another process (or this one) is logging is left to that one
        claimed = store.resume_run(info.id, fields)
    except RunIsRunningError as exc:  # two writers of one run interleave their chunks: points would be lost
        raise RunIsRunningError(f"{exc}; finish it there first (or wait until it reads as crashed), or leave id "
                                "out to start a new run") from None
    buffer = writer.register(info.id, summary=info.summary, chunk_tails=store.chunk_tails(info.id),
                             last_step=info.last_step)
    last = {k: e.last if e.last is not None else e.value for k, e in info.summary.items()
            if e.count and not k.startswith(SYSTEM_PREFIX)}
    user = {k: e.value for k, e in info.summary.items() if e.user_set}
    step = 0 if info.last_step is None else info.last_step + 1
    run = Run(store_url=url, blobs=store.blobs, writer=writer, buffer=buffer, id=info.id, name=run_name,
              project=info.project, entity=info.entity, config=info.config, tags=list(tags or info.tags),
              notes=run_notes, group=info.group, job_type=info.job_type,
              created_at=info.created_at, step=step, last=last, user_summary=user)
    if not claimed:  # the store takes no writes now: the writer writes them once it does
        buffer.op("update", fields)
    run._system_index = max((e.count for k, e in info.summary.items() if k.startswith(SYSTEM_PREFIX)), default=0)
    if tags is not None:
        run.tags = tags
    if config:
        run.config.update(config)
    return run


def finish(exit_code: int | None = None, quiet: bool | None = None) -> None:
    """Finish the current run (no-op without one)."""
    run = current()
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def log(data: Mapping[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """Log to the current run; see :meth:`Run.log`."""
    run = _active[-1] if _active else _disabled_current
    if run is None:
        raise UsageError("call jt.init() before jt.log()")
    run.log(data, step=step, commit=commit)


def forget(run: Run) -> None:
    with _lock:
        if run in _active:
            _active.remove(run)
            _finished.append(run)


def active_runs() -> list[Run]:
    with _lock:
        return list(_active)


def tracked_runs() -> list[Run]:
    """Active runs and the last few finished ones (a cell that finishes a run still gets its step range)."""
    with _lock:
        return list(_active) + [r for r in _finished if r not in _active]


# Shows a run's live panel; installed by the package entry point (the widgets layer sits above this one).
display_hook: Callable[[Run], Any] | None = None
# set by the entry point: jt.agent's sweep view — (sweep id, store url, display) -> a refresh callback or None
sweep_view_hook: Callable[[str, str, bool | None], Callable[[], Any] | None] | None = None


def show(run: Run) -> Any:
    """Display ``run``'s live panel, when a frontend can show widgets; returns the panel's feeder or None."""
    if display_hook is None or not _in_frontend():
        return None
    return display_hook(run)


def _wants_display(display: bool | None) -> bool:
    """``init(display=)``, else ``$JUPYTER_TRACK_DISPLAY``, else: yes in a notebook kernel."""
    if display is None:
        setting = _settings.DISPLAY.text()
        display = setting.strip().lower() not in ("0", "false", "no", "off") if setting else True
    return bool(display) and _in_frontend()


def _in_frontend() -> bool:
    from .capture.cells import running_shell

    shell = running_shell()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"  # a kernel with a frontend


_pending_seed: list[dict[str, Any]] = []


def seed_everything(seed: int, deterministic: bool = False) -> dict[str, Any]:
    """Seed ``random``, numpy, torch and tensorflow (those installed) and record the seed in the current run,
    or in the next one started.

    Example::

        jt.seed_everything(42)
        run = jt.init(project="fashion")     # run.meta["seed"] == {"seed": 42, "seeded": [...], ...}
    """
    from .capture.seeds import seed_everything as seed_all

    seeded = seed_all(seed, deterministic=deterministic)
    run = current()
    if run is not None and not isinstance(run, DisabledRun):
        run.record_meta({"seed": seeded})
    else:
        _pending_seed[:] = [seeded]
    return seeded


# -- sweep trials: the next init() joins the trial (jupyter_track.sweeps) ----------------------------------------
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


_pending_trial: list[PendingTrial] = []
_env_trial = {"taken": False}


def set_pending_trial(trial: PendingTrial | None) -> None:
    """Make ``trial`` the one the next ``init()`` joins (None: forget a trial no run joined)."""
    with _lock:
        _pending_trial[:] = [trial] if trial is not None else []


def _take_trial() -> PendingTrial | None:
    with _lock:
        if _pending_trial:
            return _pending_trial.pop()
        sweep_id = _settings.SWEEP_ID.text()
        if _env_trial["taken"] or not sweep_id:
            return None
        _env_trial["taken"] = True  # one trial per process started by the CLI agent
    import json

    params = json.loads(_settings.SWEEP_PARAMS.text() or "{}")
    if not isinstance(params, dict):
        raise UsageError(f"{_settings.SWEEP_PARAMS.name} must be a JSON object of parameters")
    return PendingTrial(sweep_id=sweep_id, params=params, project=_settings.SWEEP_PROJECT.text(),
                        run_id=_settings.SWEEP_RUN_ID.text())


# -- module attributes: jt.config / jt.summary / jt.run ---------------------------------------------------------
def config() -> Config:
    run = current()
    return run.config if run is not None else _pending_config


def set_config(value: Any) -> None:
    """``jt.config = {...}``: tutorials assign the module attribute; it updates the current run's config."""
    run = current()
    target = run.config if run is not None else _pending_config
    target.update(value)


def summary() -> Any:
    run = current()
    if run is None:
        raise UsageError("jt.summary needs a run: call jt.init() first")
    return run.summary


# -- helpers ----------------------------------------------------------------------------------------------------
def _mode_setting() -> str:
    return _settings.MODE.text() or "online"


def _merge_config(config: Any, include: Sequence[str] | None, exclude: Sequence[str] | None) -> dict[str, Any]:
    merged = Config(_pending_config.as_dict())
    merged.update(config)
    data = merged.as_dict()
    if include:
        data = {k: v for k, v in data.items() if k in include}
    if exclude:
        data = {k: v for k, v in data.items() if k not in exclude}
    return data


def _project(project: str | None) -> str:
    chosen = project or _settings.PROJECT.text() or Path.cwd().name or "uncategorized"
    chosen = str(chosen).strip()
    if not chosen or "/" in chosen or len(chosen) > 255:
        raise ValueError(f"init(project={project!r}): a project name is 1-255 characters without '/'")
    return chosen


def _check_id(run_id: str) -> str:
    run_id = str(run_id)
    if not run_id or len(run_id) > 64 or not all(c.isalnum() or c in "-_." for c in run_id) \
            or run_id in (".", ".."):  # a URL path segment "." or ".." is resolved away: never reachable over REST
        raise ValueError(f"init(id={run_id!r}): ids are 1-64 letters, digits, '-', '_' or '.', other than '.' "
                         "and '..'")
    return run_id


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


def _hook_exit() -> None:
    if _exit["hooked"]:
        return
    _exit["hooked"] = True
    previous = sys.excepthook

    def excepthook(tp: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        _exit["uncaught"] = True
        previous(tp, value, tb)

    sys.excepthook = excepthook
    atexit.register(_at_exit)


def _at_exit() -> None:
    from .store import close_all

    for run in reversed(active_runs()):
        try:
            run.finish(exit_code=1 if _exit["uncaught"] else 0, quiet=True)
        except Exception as exc:  # noqa: BLE001 - at exit: report it and go on finishing the other runs
            print(f"jupyter_track: could not finish run {run.path}: {exc}", file=sys.stderr)
    close_all()
