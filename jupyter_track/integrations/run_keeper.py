"""The run an integration logs to: the one it is given, the active one, or one it starts (and finishes) itself."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any

from .. import session
from ..errors import UsageError
from ..live_run import Run

if TYPE_CHECKING:
    from ..disabled import DisabledRun

MAX_TEXT = 1000  # a config value kept as text (a module's repr can be pages long) is cut here


class RunKeeper:
    """Finds the run for an integration when it first needs one: ``run`` when given, else the active run
    (``jt.init()`` called before training, as with W&B), else a run it starts with ``init_kwargs`` (the arguments
    of :func:`jupyter_track.init`). Only a run it started is finished by :meth:`end`; logging after that (an
    evaluation after training) continues the same run.

    Example::

        keeper = RunKeeper(project="mnist", display=False)
        keeper.get().log({"loss": 0.5}, step=0)   # starts the run (or takes the one jt.init() started)
        keeper.end()                              # finishes it, if this keeper started it
        keeper.get().log({"test/acc": 0.9})       # continues the same run
    """

    def __init__(self, run: Run | DisabledRun | None = None, **init_kwargs: Any) -> None:
        self._run = run
        self._owned = False
        self._init = init_kwargs

    @property
    def run(self) -> Run | DisabledRun | None:
        """The run so far (None before the first :meth:`get`); never starts one."""
        return self._run

    @property
    def project(self) -> str | None:
        """The run's project, or the one it will start in (None: jupyter_track's default)."""
        return self._run.project if self._run is not None else self._init.get("project")

    def get(self, **start: Any) -> Run | DisabledRun:
        """The run to log to, found or started on first use (``start``: :func:`jupyter_track.init` arguments
        that override the keeper's when this call starts it), continued when :meth:`end` finished it."""
        run = self._run
        if run is None:
            run = session.current()
            if run is None:
                run = session.init(**{**self._init, **start})
                self._owned = True
            self._run = run
        elif self._owned and isinstance(run, Run) and run.state != "running":
            run = session.init(id=run.id, project=run.project, store=run.store_url, resume="must",
                               reinit="create_new", display=self._init.get("display"))
            self._run = run
        return run

    def end(self, failed: bool = False) -> None:
        """Finish the run if this keeper started it (``failed``: as failed); a run it was given is left running."""
        run = self._run
        if run is not None and self._owned and run.state == "running":
            run.finish(exit_code=1 if failed else 0)

    def forget(self) -> None:
        """End the run (if this keeper started it) and let the next :meth:`get` find or start another."""
        self.end()
        self._run, self._owned = None, False


def active_run(run: Run | DisabledRun | None, what: str) -> Run | DisabledRun:
    """``run`` if given, else the active run, else a UsageError saying to call ``jt.init()`` before ``what``
    starts (the callbacks that, as W&B's, log to the run the user started)."""
    found = run if run is not None else session.current()
    if found is None:
        raise UsageError(f"{what} logs to the active run: call jt.init() before training (or pass run=)")
    return found


def log_at(run: Run | DisabledRun, data: Mapping[str, Any], step: int | None) -> None:
    """Log ``data`` at the framework's ``step``; a step the run has passed (a second ``fit()``, an evaluation after
    the run was continued) goes to the run's next step, so nothing is dropped."""
    if step is None or step < run.step:
        run.log(data)
    else:
        run.log(data, step=step)


def plain(value: Any) -> Any:
    """A framework's config value as JSON data, quietly: classes and functions by their qualified name, enums by
    value, small arrays as lists, any other object as (at most ``MAX_TEXT`` characters of) its text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}".lstrip(".")
    if callable(getattr(value, "tolist", None)):  # numpy arrays and scalars, tensors
        size = value.numel() if callable(getattr(value, "numel", None)) else getattr(value, "size", sys.maxsize)
        if size <= 10_000:
            return plain(value.tolist())
    return str(value)[:MAX_TEXT]
