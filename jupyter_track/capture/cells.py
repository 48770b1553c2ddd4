"""The executed-code history: a recorder on IPython's cell events (code, count, times, errors, step ranges).

It needs no IPython import: it is handed the running shell. ``jt.init()`` installs it on the shell when there
is one, and ``%load_ext jupyter_track`` does too; installing twice is harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .notebook import ExecutedCell

log = logging.getLogger("jupyter_track")

RunsProvider = Callable[[], list[Any]]

_recorders: dict[int, CellRecorder] = {}


class CellRecorder:
    """Records each cell the shell executes: code, count, start and end time, whether it raised, and the
    range of steps each tracked run logged while it ran."""

    def __init__(self, shell: Any, runs: RunsProvider) -> None:
        self.shell = shell
        self.runs = runs
        self.cells: dict[int, ExecutedCell] = {}
        self.current: ExecutedCell | None = None
        self._before: dict[str, tuple[int, int | None]] = {}
        self._history_failed = False  # said once in the debug log

    def pre_run_cell(self, info: Any) -> None:
        if not getattr(info, "store_history", True):
            self.current = None
            return
        self.current = ExecutedCell(count=self.shell.execution_count, code=info.raw_cell, started=time.time())
        self._before = {r.id: (r.step, r.logged_at) for r in self.runs()}

    def post_run_cell(self, result: Any) -> None:
        cell, self.current = self.current, None
        if cell is None:
            return
        cell.ended = time.time()
        cell.count = result.execution_count or cell.count
        error = result.error_in_exec or result.error_before_exec
        if error is not None:
            cell.error = f"{type(error).__name__}: {error}"
        self._steps(cell)
        self.cells[cell.count] = cell

    def _steps(self, cell: ExecutedCell) -> None:
        for run in self.runs():
            step_before, logged_before = self._before.get(run.id, (0, None))
            logged = run.logged_at
            if logged is not None and (logged_before is None or logged > logged_before or run.step != step_before):
                cell.steps[run.id] = [min(step_before, logged), logged]

    def history(self) -> list[ExecutedCell]:
        """Every cell of this kernel session in execution order: IPython's own history (so cells run before
        tracking started are there too), what the hooks saw, and the cell running now."""
        cells = dict(self.cells)
        try:
            for _session, count, source in self.shell.history_manager.get_range(session=0, start=1, raw=True):
                cells.setdefault(count, ExecutedCell(count=count, code=source))
        except Exception:  # a shell without a history database still has what the hooks saw
            if not self._history_failed:
                self._history_failed = True
                log.debug("jupyter_track: IPython's history could not be read; the executed-code snapshot has "
                          "only the cells run since tracking started", exc_info=True)
        if self.current is not None:  # e.g. the cell calling finish(): its steps so far
            # IPython's history already holds the running cell, under its real number; the number taken at
            # pre_run_cell can be one ahead (ipykernel 7 counts the cell before it runs): the history's wins
            latest = max((c for c in cells if c not in self.cells), default=None)
            count = latest if latest is not None and cells[latest].code == self.current.code else self.current.count
            running = ExecutedCell(count, self.current.code, self.current.started)
            self._steps(running)
            cells[running.count] = running
        return [cells[c] for c in sorted(cells)]


def install(shell: Any, runs: RunsProvider) -> CellRecorder:
    """Register the cell hooks on ``shell`` once and return its recorder."""
    recorder = _recorders.get(id(shell))
    if recorder is None:
        recorder = _recorders[id(shell)] = CellRecorder(shell, runs)
        shell.events.register("pre_run_cell", recorder.pre_run_cell)
        shell.events.register("post_run_cell", recorder.post_run_cell)
    return recorder


def uninstall(shell: Any) -> None:
    recorder = _recorders.pop(id(shell), None)
    if recorder is not None:
        shell.events.unregister("pre_run_cell", recorder.pre_run_cell)
        shell.events.unregister("post_run_cell", recorder.post_run_cell)


def recorder_for(shell: Any) -> CellRecorder | None:
    return _recorders.get(id(shell))
