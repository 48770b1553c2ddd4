"""The sweep view: a sweep's trials in one cell — the compare widget over the sweep's runs, with the sweep's
metric as the importance metric, a trial-number column (scatter: metric vs trial by default) and a header
line "best so far: <value> (<run>) · N trials (k pruned)".

``jt.sweep_view(sweep_id)`` shows it; ``jt.agent`` shows one by itself in a notebook (unless
``display=False``) and calls :meth:`SweepView.refresh` after each trial, which re-reads the store and updates
the synced state (and sends the curves to a connected view), so the table, charts and header follow the sweep.

Example::

    sweep_id = jt.sweep(config, project="fashion")
    jt.agent(sweep_id, function=train, count=20)     # the view appears above and fills in trial by trial
    jt.sweep_view(sweep_id)                           # the same view, later
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable
from typing import Any

import traitlets

from ..analysis.comparison import common_metrics
from ..api import Api, StoredRun
from ..errors import UsageError
from .compare import CompareWidget
from .static_view import fmt

TRIAL = "trial"  # the trial-number column (trial order: 1 for the sweep's first run)


class SweepView(CompareWidget):
    """A sweep's runs side by side; made by :func:`sweep_view`, refreshed by ``jt.agent``."""

    header = traitlets.Unicode("").tag(sync=True)
    best = traitlets.Dict().tag(sync=True)  # value, run (id), name; empty before a finished trial
    trials = traitlets.Int(0).tag(sync=True)
    pruned = traitlets.Int(0).tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)  # bumped per refresh: the view redraws

    def __init__(self, sweep_id: str, api: Api, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sweep_id = sweep_id
        self._api = api
        self.refreshes = 0

    def refresh(self) -> None:
        """Re-read the sweep's runs from the store and update the view (called by ``jt.agent`` per trial)."""
        store = self._api.store
        record = store.get_sweep(self.sweep_id)
        if record is None:
            raise UsageError(f"no sweep {self.sweep_id!r} in this store")
        runs = list(self._api.runs(filters={"sweep": record.id}, order="created_at"))
        metric = record.metric
        keys = ([metric] if metric else []) + [k for k in common_metrics(runs) if k != metric]
        self.fill(runs, keys, lead=[({"name": TRIAL, "kind": "trial", "type": "num"},
                                      list(range(1, len(runs) + 1)))], importance_metric=metric)
        best = _best(runs, metric, record.goal)
        pruned = sum(r.state == "pruned" for r in runs)
        value = "–" if best is None else f"{fmt(best[1])} ({best[0].name})"
        with self.hold_sync():
            self.scatter_axes = [TRIAL, metric] if metric else []
            self.best = {} if best is None else {"value": best[1], "run": best[0].id, "name": best[0].name}
            self.trials, self.pruned = len(runs), pruned
            self.header = (f"sweep {record.id} ({record.method}, {record.state}) · best so far"
                           f"{f' {metric}' if metric else ''}: {value} · {len(runs)} trials ({pruned} pruned)")
            self.version += 1
        self.refreshes += 1
        self._on_message(self, {"type": "curves"}, None)  # a view that is shown gets the curves now

    def static_html(self) -> str:
        return f"<div><b>{html.escape(self.header)}</b></div>" + super().static_html()


def _best(runs: list[StoredRun], metric: str | None, goal: str | None) -> tuple[StoredRun, float] | None:
    """The finished run with the best final value of the metric (as ``Sweep.best_run``)."""
    scored = [(r, float(v)) for r in runs if metric and r.state == "finished"
              for v in [r.summary.get(metric)] if isinstance(v, int | float) and not isinstance(v, bool)
              and math.isfinite(v)]
    if not scored:
        return None
    pick = max if goal == "maximize" else min
    return pick(scored, key=lambda rv: rv[1])


def sweep_view(sweep_id: str, store: str | None = None, dir: str | os.PathLike[str] | None = None) -> SweepView:
    """The sweep view of ``sweep_id`` (``entity/project/id`` accepted); displays as the widget in a cell."""
    view = SweepView(str(sweep_id).strip("/").split("/")[-1], Api(store=store, dir=dir))
    view.refresh()
    return view


def show_for_agent(sweep_id: str, store: str) -> Callable[[], None]:
    """``jt.agent`` in a notebook: show the sweep view in the cell now; returns its ``refresh``, which the agent
    calls after each trial."""
    view = sweep_view(sweep_id, store=store)
    view._ipython_display_()  # the widget and its static fallback, as when it ends a cell
    return view.refresh
