"""The run returned by ``init(mode="disabled")``: the same surface as a Run, and every call a no-op."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from .run_config import Config
from .run_summary import Summary


class DisabledRun:
    """Does nothing, so code written for tracking runs unchanged with tracking turned off.

    Example::

        run = jt.init(mode="disabled", config={"lr": 0.1})
        run.log({"loss": 1.0})      # no-op
        run.config.lr               # 0.1: config still works
    """

    id = "disabled"
    entity = None
    group = None
    job_type = None
    notes = None
    tags: tuple[str, ...] = ()
    state = "running"
    disabled = True
    sweep_id = None

    def __init__(self, config: Any = None, project: str | None = None, name: str | None = None,
                 notify_finished: Callable[[DisabledRun], None] | None = None) -> None:
        self._notify_finished = notify_finished  # the session's: it forgets the run as its current one
        self.config = Config(config)
        self.summary = Summary({}, lambda key, value: None)
        self.project = project or "disabled"
        self.name = name or "disabled"
        self.step = 0
        self._dir: str | None = None
        self.meta: dict[str, Any] = {}
        self.metadata = self.meta

    @property
    def path(self) -> str:
        return f"{self.project}/{self.id}"

    @property
    def dir(self) -> str:
        """A temporary folder (W&B's disabled run has one too): what is written there is not kept."""
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="jupyter_track-disabled-")
        return self._dir

    def log(self, data: Mapping[str, Any] | None = None, step: int | None = None, commit: bool | None = None
            ) -> None:
        pass

    def save(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    def define_metric(self, *args: Any, **kwargs: Any) -> None:
        pass

    def alert(self, *args: Any, **kwargs: Any) -> None:
        pass

    def watch(self, *args: Any, **kwargs: Any) -> None:
        pass

    def unwatch(self, *args: Any, **kwargs: Any) -> None:
        pass

    def get_url(self) -> None:
        return None

    get_project_url = get_sweep_url = get_url

    def flush(self) -> None:
        pass

    def display(self, *args: Any, **kwargs: Any) -> None:
        pass

    def finish(self, exit_code: int | None = None, quiet: bool | None = None, **kwargs: Any) -> None:
        if self._notify_finished is not None:
            self._notify_finished(self)

    def __enter__(self) -> DisabledRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.finish()
