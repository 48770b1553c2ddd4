"""The notebook frontend as the layers below the widgets see it: is there one, and which view shows an object.

The run, read, sweeps and media layers may not import the widgets (those sit above them and read the store
through the read API). They ask :func:`view` for a view by name instead; its module is imported the first time
the view is used, so ``import jupyter_track`` registers nothing and loads no widget code. Nothing here imports
IPython: :func:`running_shell` only looks for a shell that is already running.

Example::

    from jupyter_track import frontend

    if frontend.wants_display(None):                 # a notebook, and $JUPYTER_TRACK_DISPLAY is not 0
        frontend.view("run_panel")(run)              # the run's live panel in this cell's output
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any, cast

from . import settings

# name -> "module:function" of the view (tests/test_packaging.py checks that each is a widget and exists)
VIEWS = {
    "run_panel": "jupyter_track.widgets.run_panel:show",  # (run) -> feeder: jt.init(), run.display()
    "sweep_view": "jupyter_track.widgets.sweep_view:show_for_agent",  # (sweep id, url) -> refresh: jt.agent
    "compare": "jupyter_track.widgets.compare:compare",  # (runs, metrics=, group_by=) -> widget: RunList.compare()
    "table": "jupyter_track.widgets.table_view:show",  # (table) -> None: displays a jt.Table (a cell's value)
    "runs_table": "jupyter_track.widgets.table_view:show_runs",  # (runs) -> None: jt.runs(...) likewise
}


def view(name: str) -> Callable[..., Any]:
    """The view called ``name`` in :data:`VIEWS` (its module is imported now if it was not yet)."""
    module, _, function = VIEWS[name].partition(":")
    return cast("Callable[..., Any]", getattr(importlib.import_module(module), function))


def running_shell() -> Any:
    """The IPython shell of this process if IPython is running (never imports IPython)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get() if get is not None else None


def in_notebook() -> bool:
    """Whether this is a kernel with a frontend that can show widgets (not a script, not terminal IPython)."""
    shell = running_shell()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def wants_display(display: bool | None) -> bool:
    """``init(display=)``, else ``$JUPYTER_TRACK_DISPLAY``, else: yes in a notebook kernel."""
    if display is None:
        setting = settings.DISPLAY.raw()
        display = setting.strip().lower() not in ("0", "false", "no", "off") if setting else True
    return bool(display) and in_notebook()


def show_run(run: Any) -> Any:
    """Display ``run``'s live panel when a frontend can show widgets; returns the panel's feeder, or None."""
    return view("run_panel")(run) if in_notebook() else None
