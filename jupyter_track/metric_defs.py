"""``define_metric``: which x-axis a metric is drawn against, and what its summary holds.

A definition names a key or a glob (``"val/*"``, ``"*"``) and says:

- ``step_metric``: the key whose value is the metric's default x-axis (charts join it as of each step: the value
  it had at the last step at or before the point);
- ``summary``: what ``run.summary[key]`` holds: ``"last"`` (the default), ``"min"``, ``"max"``, ``"mean"``,
  ``"best"`` (``min`` or ``max`` by ``goal``) or ``"none"`` (the key is left out of the summary);
- ``goal``: ``"minimize"`` or ``"maximize"``; ``hidden``: recorded for W&B compatibility.

The live run, the writer (the stored summary) and the readers (charts, ``StoredRun.summary``) all resolve keys
through :class:`MetricDefs`, so they agree. Definitions are stored in the run's ``meta["metrics"]``.

Example::

    defs = MetricDefs([define("val/*", step_metric="epoch"), define("loss", summary="min")])
    defs.step_metric("val/acc")          # 'epoch'
    defs.summary_mode("loss")            # 'min'
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from .types import SummaryEntry

SUMMARY_MODES = ("last", "min", "max", "mean", "best", "none")
GOALS = {"minimize": "min", "maximize": "max", "min": "min", "max": "max"}


class MetricDef(NamedTuple):
    """One ``define_metric`` call: ``name`` is a key or a glob; a field left None says nothing about it.

    A named tuple, not a frozen dataclass: ``init()`` imports this module, and a frozen dataclass's generated
    methods take 1.5 ms to make at import."""

    name: str
    step_metric: str | None = None
    summary: str | None = None
    goal: str | None = None
    hidden: bool | None = None

    def merged(self, later: MetricDef) -> MetricDef:
        """This definition with what ``later`` (of the same name) says on top, as W&B merges repeated calls."""
        return self._replace(**{k: v for k, v in later._asdict().items() if v is not None})

    def as_meta(self) -> dict[str, Any]:
        """The stored form (``meta["metrics"][name]``): the fields given."""
        return {k: v for k, v in self._asdict().items() if v is not None and k != "name"}

    def arguments(self) -> dict[str, Any]:
        """The ``define_metric`` arguments that make this definition."""
        return {"name": self.name, **self.as_meta()}


def define(name: str, step_metric: str | None = None, summary: str | None = None, goal: str | None = None,
           hidden: bool | None = None) -> MetricDef:
    """A checked :class:`MetricDef`; a ValueError says which argument is wrong and what it may be."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"define_metric(name={name!r}): give a metric name or a glob such as 'val/*'")
    if step_metric is not None and (not isinstance(step_metric, str) or not step_metric):
        raise ValueError(f"define_metric({name!r}, step_metric={step_metric!r}): give the name of a logged key")
    if summary is not None:
        summary = str(summary).strip().lower()
        if summary not in SUMMARY_MODES:
            raise ValueError(f"define_metric({name!r}, summary={summary!r}): use one of {', '.join(SUMMARY_MODES)} "
                             "(jupyter_track keeps one summary value per key)")
    if goal is not None:
        goal = str(goal).strip().lower()
        if goal not in GOALS:
            raise ValueError(f"define_metric({name!r}, goal={goal!r}): use 'minimize' or 'maximize'")
        goal = "minimize" if GOALS[goal] == "min" else "maximize"
    if summary == "best" and goal is None:
        raise ValueError(f"define_metric({name!r}, summary='best') needs goal='minimize' or goal='maximize'")
    return MetricDef(name, step_metric, summary, goal, None if hidden is None else bool(hidden))


class MetricDefs:
    """A run's definitions. A key resolves to its exact-name definition, else to the latest glob it matches."""

    def __init__(self, defs: Iterable[MetricDef] = ()) -> None:
        self._exact: dict[str, MetricDef] = {}
        self._globs: dict[str, MetricDef] = {}
        self._cache: dict[str, MetricDef | None] = {}
        for d in defs:
            self.add(d)

    @classmethod
    def from_meta(cls, stored: Any) -> MetricDefs:
        """The definitions recorded in a run's ``meta["metrics"]`` (anything unreadable is skipped)."""
        defs = []
        for name, fields in (stored.items() if isinstance(stored, Mapping) else ()):
            if isinstance(fields, Mapping):
                try:
                    defs.append(define(name, **{k: fields.get(k) for k in ("step_metric", "summary", "goal",
                                                                           "hidden")}))
                except ValueError:
                    continue
        return cls(defs)

    def __bool__(self) -> bool:
        return bool(self._exact or self._globs)

    def __iter__(self) -> Iterator[MetricDef]:
        return iter([*self._exact.values(), *self._globs.values()])

    def add(self, d: MetricDef, overwrite: bool = False) -> MetricDef:
        """Record ``d``, merged into an earlier definition of the same name unless ``overwrite``; returns the
        definition now in force for that name."""
        table = self._globs if _is_glob(d.name) else self._exact
        merged = table[d.name].merged(d) if d.name in table and not overwrite else d
        table.pop(d.name, None)
        table[d.name] = merged  # re-inserted: the latest glob is tried first
        self._cache.clear()
        return merged

    def as_meta(self) -> dict[str, dict[str, Any]]:
        return {d.name: d.as_meta() for d in self}

    def for_key(self, key: str) -> MetricDef | None:
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self._exact.get(key)
        if found is None:
            found = next((d for d in reversed(self._globs.values()) if fnmatch.fnmatchcase(key, d.name)), None)
        self._cache[key] = found
        return found

    def summary_mode(self, key: str) -> str | None:
        """``min``, ``max``, ``mean`` or ``none`` when the key's summary is not its last value; else None."""
        d = self.for_key(key)
        if d is None or d.summary in (None, "last"):
            return None
        if d.summary == "best":
            return GOALS[d.goal or "minimize"]
        return d.summary

    def hides(self, key: str) -> bool:
        """Whether ``summary="none"`` leaves the key out of the summary."""
        return self.summary_mode(key) == "none"

    def step_metric(self, key: str) -> str | None:
        """The key's default x-axis (None: the step). A metric is never its own x-axis (``define_metric("*",
        step_metric="epoch")`` leaves ``epoch`` on the step)."""
        d = self.for_key(key)
        step = d.step_metric if d is not None else None
        return step if step != key else None


def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


def fold(entry: SummaryEntry, lo: float, hi: float, last: float, total: float, n: int, step: int) -> None:
    """Add ``n`` values (their min, max, last value and sum; NaN left out of min and max) logged up to ``step`` to
    ``entry``'s statistics."""
    entry.total = _total(entry) + total
    entry.min = lo if entry.min is None or math.isnan(entry.min) else min(entry.min, lo)
    entry.max = hi if entry.max is None or math.isnan(entry.max) else max(entry.max, hi)
    entry.last, entry.count, entry.last_step = last, entry.count + n, step


def summary_value(mode: str | None, entry: SummaryEntry) -> Any:
    """What the summary shows for a logged series under ``mode`` (see :meth:`MetricDefs.summary_mode`)."""
    if mode == "min":
        return entry.min
    if mode == "max":
        return entry.max
    if mode == "mean" and entry.count:
        return _total(entry) / entry.count
    return entry.last


def _total(entry: SummaryEntry) -> float:
    """The sum of the values in ``entry``. A resumed run's entry, read back from the store, has none: its mean
    (the summary value, when it was "mean" before) or else its last value, times the count, stands in."""
    if entry.total is not None:
        return entry.total
    known = entry.value if isinstance(entry.value, float | int) and not isinstance(entry.value, bool) else entry.last
    return float(known) * entry.count if known is not None and entry.count else 0.0
