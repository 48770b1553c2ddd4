"""Automatic capture for a run: notebook, code as executed, git, environment, packages, system/GPU stats.

All of it runs off the training thread: :meth:`Capture.start` (at ``init()``) launches one short-lived thread
for the one-off facts and the ``init`` snapshots, and the system monitor's own thread; :meth:`Capture.finish`
stops the monitor and takes the ``finish`` snapshots. A part that fails is recorded in the run's
``meta["capture_errors"]``, never raised into the user's code.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from .. import settings
from ..messages import logger

PARTS = ("notebook", "code", "git", "environment", "packages", "system")
log = logger()


class CapturedRun(Protocol):
    """What capture needs of a run (the live Run provides it)."""

    id: str

    def record_meta(self, meta: dict[str, Any]) -> None: ...
    def attach(self, data: bytes, owner: str, name: str) -> str: ...
    def log_system(self, values: dict[str, float], t: float | None = None) -> None: ...


def parts_from(capture: bool | str | Iterable[str] | None) -> set[str]:
    """The parts to capture: ``True``/"all", ``False``/"none", or names from :data:`PARTS`
    (default: ``$JUPYTER_TRACK_CAPTURE``)."""
    if capture is None:
        capture = settings.CAPTURE.raw() or "all"
    if capture is True or capture == "all":
        return set(PARTS)
    if capture is False or capture in ("none", "0", ""):
        return set()
    names = [p.strip() for p in capture.split(",")] if isinstance(capture, str) else [str(p) for p in capture]
    unknown = sorted(set(names) - set(PARTS))
    if unknown:
        raise ValueError(f"capture: unknown part(s) {unknown}; choose from {list(PARTS)}, 'all' or 'none'")
    return set(names)


class Capture:
    """Capture for one run, from ``init()`` to ``finish()``.

    Example::

        capture = Capture(run, parts={"notebook", "code", "system"}, shell=get_ipython())
        capture.start()      # returns at once
        ...
        capture.finish()     # final snapshots; stops the system monitor
    """

    def __init__(self, run: CapturedRun, parts: set[str], notebook: str | os.PathLike[str] | None = None,
                 shell: Any = None, runs: Callable[[], list[Any]] | None = None,
                 system_interval: float | None = None) -> None:
        self.run = run
        self.parts = parts
        self.override = notebook
        self.shell = shell
        self.runs = runs or (lambda: [run])
        self.interval = settings.SYSTEM_INTERVAL.number() if system_interval is None else system_interval
        self.notebook: Any = None
        self.errors: list[str] = []
        self._thread: threading.Thread | None = None
        self._monitor: Any = None
        self._cwd = Path.cwd()

    def start(self) -> None:
        if self.shell is not None and "code" in self.parts:
            from .cells import install

            install(self.shell, self.runs)
        if self.parts:  # all of it off the training thread, the monitor's start (psutil's import) included
            # Thread.start() returns once the new thread runs: were the thread's first step the work (psutil's import
            # holds the GIL for milliseconds), init() would wait that long for the GIL. It first waits for this.
            go = threading.Event()
            self._thread = threading.Thread(target=self._at_init, args=(go,), name="jupyter_track-capture",
                                            daemon=True)
            self._thread.start()
            go.set()

    def finish(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # finish() does not wait longer: say what may be missing rather than hang
                self.errors.append(f"capture at init was still running {timeout:g} s into finish(): notebook, "
                                   "git, environment or package facts may be missing from this run")
        if self._monitor is not None:
            self._monitor.stop()
        self._guard("snapshots at finish", lambda: self._snapshots("finish"))
        if self.errors:
            self.run.record_meta({"capture_errors": list(self.errors)})

    # -- the work ---------------------------------------------------------------------------------------------
    def _start_monitor(self) -> None:
        from .system import SystemMonitor

        self._monitor = SystemMonitor(lambda values, t: self.run.log_system(values, t), interval=self.interval)
        self._monitor.start()

    def _at_init(self, go: threading.Event) -> None:
        go.wait()
        if "system" in self.parts and self.interval > 0:
            self._guard("system monitor", self._start_monitor)
        if self.parts & {"notebook", "code"}:
            self._guard("notebook detection", self._detect)
        self._guard("snapshots at init", lambda: self._snapshots("init"))
        wanted = self.parts & {"git", "environment", "packages"}
        if wanted:
            self._guard("environment", lambda: self._environment(wanted))
        if self.errors:
            self.run.record_meta({"capture_errors": list(self.errors)})

    def _detect(self) -> None:
        from .notebook import detect

        user_ns = getattr(self.shell, "user_ns", None)
        self.notebook = detect(self.override, user_ns=user_ns)
        self.run.record_meta({"notebook": self.notebook.to_meta()})

    def _environment(self, wanted: set[str]) -> None:
        from .environment import capture_environment

        env = capture_environment(self._cwd, wanted)
        meta = dict(env.meta)
        if env.git_diff and meta.get("git"):
            sha = self.run.attach(env.git_diff, owner="git-diff", name="git.diff")
            meta["git"] = {**meta["git"], "diff_sha256": sha, "diff_bytes": len(env.git_diff)}
        self.run.record_meta(meta)

    def _snapshots(self, at: str) -> None:
        from .notebook import executed_snapshot, saved_snapshot

        path = getattr(self.notebook, "path", None)
        if "notebook" in self.parts and path:
            if path.endswith(".ipynb"):
                data = saved_snapshot(path)
                if data is not None:
                    self.run.attach(data, owner="snapshot", name=f"saved@{at}")
            elif at == "init" and Path(path).is_file():  # a script: its source is the code as run
                self.run.attach(Path(path).read_bytes(), owner="snapshot", name="script@init")
        if "code" in self.parts and self.shell is not None:
            from .cells import recorder_for

            recorder = recorder_for(self.shell)
            if recorder is not None:
                data = executed_snapshot(recorder.history(), run_id=self.run.id)
                self.run.attach(data, owner="snapshot", name=f"executed@{at}")

    def _guard(self, what: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as exc:
            log.debug("jupyter_track: capture of %s failed", what, exc_info=True)
            self.errors.append(f"{what}: {type(exc).__name__}: {exc}")
