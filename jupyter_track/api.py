"""The read API: runs and their histories from the store, in this process or any other, any day.

Example::

    runs = jt.runs(project="fashion", filters={"state": "finished"}, order="-summary.acc")
    runs.to_pandas()                      # one row per run: config.* and summary.* columns
    r = jt.load_run("fashion/k3v9x2ab")   # also "k3v9x2ab" or "fashion/<run name>"; W&B: jt.Api().run(path)
    r.history(keys=["train/loss"])        # a pandas DataFrame indexed by nothing, with a _step column
    r.config["note"] = "baseline"; r.update()   # edits are stored
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast, overload

from . import frontend
from .errors import RunNotFoundError, UsageError
from .stored_run import StoredRun as StoredRun  # re-exported: the read API's run
from .stored_run import StoredSummary as StoredSummary
from .stored_run import last_per_step, shown_summary
from .types import SYSTEM_PREFIX as SYSTEM_PREFIX  # re-exported: readers (widgets, server) take it from here

if TYPE_CHECKING:
    import pandas as pd

    from .store.base import Store, SweepRecord


class RunList(Sequence[StoredRun]):
    """Runs read from the store: a sequence of :class:`StoredRun`, and ``to_pandas()``."""

    def __init__(self, runs: list[StoredRun]) -> None:
        self._runs = runs

    @overload
    def __getitem__(self, index: int) -> StoredRun: ...
    @overload
    def __getitem__(self, index: slice) -> RunList: ...
    def __getitem__(self, index: int | slice) -> StoredRun | RunList:
        if isinstance(index, slice):
            return RunList(self._runs[index])
        return self._runs[index]

    def __len__(self) -> int:
        return len(self._runs)

    def __repr__(self) -> str:
        return f"<RunList of {len(self)} runs>"

    def to_pandas(self) -> pd.DataFrame:
        """One row per run: id, name, state, project, group, job_type, tags, created_at, duration,
        then ``config.<key>`` (nested keys joined with '.') and ``summary.<key>`` columns."""
        import pandas as pd

        from .media import brief

        rows = []
        for r in self._runs:
            i = r.info
            row: dict[str, Any] = {
                "id": i.id, "name": i.name, "state": i.state, "project": i.project, "entity": i.entity,
                "group": i.group, "job_type": i.job_type, "tags": list(i.tags), "notes": i.notes,
                "created_at": i.created_at, "duration": i.duration,
            }
            row.update(flatten(i.config, "config."))
            # a logged medium (a jt.watch histogram) as one line: the table stays readable, its data stays in the store
            row.update({f"summary.{k}": brief(v) for k, v in shown_summary(i).items()})
            rows.append(row)
        frame = pd.DataFrame(rows)
        if len(frame):
            frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
        return cast("pd.DataFrame", frame)

    def compare(self, metrics: Sequence[str] | None = None, group_by: str | None = None) -> Any:
        """These runs in the compare widget: ``jt.runs("fashion").compare(group_by="config.lr")``
        (the same as ``jt.compare(runs=this_list, ...)``). Runs with an ``init(group=...)`` are drawn per group
        (mean and min–max band) unless ``group_by`` says otherwise (``""``: every run on its own)."""
        return frontend.view("compare")(self, metrics=metrics, group_by=group_by)

    def _ipython_display_(self) -> None:
        """In a notebook, a run list is shown as the table widget: sortable, filterable, one row per run."""
        frontend.view("runs_table")(self)

    def groups(self) -> dict[str, RunGroup]:
        """These runs by their ``init(group=...)``, as :class:`RunGroup` objects (runs without a group are left
        out), in the order their first run appears.

        Example::

            for name, g in jt.runs("ddp").groups().items():
                print(name, len(g), g.summary["loss"]["mean"])
        """
        found: dict[str, list[StoredRun]] = {}
        for r in self._runs:
            if r.group:
                found.setdefault(r.group, []).append(r)
        return {name: RunGroup(name, RunList(members)) for name, members in found.items()}


class RunGroup:
    """The runs of one ``init(group=...)`` — typically the ranks of a distributed training job — read as one
    unit: their aggregated curves (:meth:`history`), aggregated summary, and one entry in ``compare``.

    Example::

        g = jt.Api().group("ddp", "exp-3")
        g.history(["loss"])["loss"]          # per step: mean, min, max, std and count across the ranks
        g.summary["loss"]                    # {"mean": …, "min": …, "max": …, "std": …, "count": 4}
    """

    STATS = ("mean", "min", "max", "std", "count")

    def __init__(self, name: str, runs: RunList) -> None:
        self.name = name
        self.runs = runs

    @property
    def project(self) -> str | None:
        projects = {r.project for r in self.runs}
        return projects.pop() if len(projects) == 1 else None

    @property
    def job_types(self) -> list[str | None]:
        """Each run's ``job_type`` (e.g. ``rank0`` … ``rank3``), in run order."""
        return [r.job_type for r in self.runs]

    @property
    def state(self) -> str:
        """``running`` while a run is; else the state of a run that did not finish (``crashed``, ``failed``,
        ``killed``, …) if there is one; else ``finished``."""
        states = [r.state for r in self.runs]
        if "running" in states:
            return "running"
        return next((s for s in states if s != "finished"), "finished")

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[StoredRun]:
        return iter(self.runs)

    def __repr__(self) -> str:
        return f"<RunGroup {self.name!r} of {len(self)} runs, {self.state}>"

    def keys(self) -> list[str]:
        """The scalar keys any run of the group logged (not the ``system/`` stream)."""
        found = {k for r in self.runs for k in r.store.series_keys(r.id)}
        return sorted(k for k in found if not k.startswith(SYSTEM_PREFIX))

    def history(self, keys: Sequence[str] | None = None, samples: int | None = None) -> pd.DataFrame:
        """Per step, across the group's runs: the ``mean``, ``min``, ``max``, ``std`` (population, ddof 0) and
        ``count`` of each key's values. Columns are ``(key, stat)`` pairs, the index is ``_step``.

        Only runs that logged the key at that step count (a rank that logs less often lowers ``count``, it adds
        no zeros); NaN values are gaps, not counted. ``samples=N`` keeps N evenly spaced steps.
        """
        import numpy as np
        import pandas as pd

        wanted = list(keys) if keys is not None else self.keys()
        found = (self.runs[0].store.read_series_many([r.id for r in self.runs], wanted, times=False)
                 if len(self.runs) else {})
        parts = []
        for key in wanted:
            series = [last_per_step(found[(r.id, key)]) for r in self.runs if (r.id, key) in found]
            steps = np.concatenate([s.steps for s in series]) if series else np.zeros(0, dtype=np.int64)
            values = np.concatenate([s.values for s in series]) if series else np.zeros(0)
            parts.append(_aggregate(steps, values))
        if not parts:
            return cast("pd.DataFrame", pd.DataFrame(index=pd.Index([], name="_step", dtype="int64")))
        frame = pd.concat(parts, axis=1, keys=wanted).sort_index()
        frame.index.name = "_step"
        for key in wanted:
            frame[(key, "count")] = frame[(key, "count")].fillna(0).astype("int64")
        if samples is not None and len(frame) > samples > 0:
            frame = frame.iloc[np.linspace(0, len(frame) - 1, samples).round().astype(int)]
        return cast("pd.DataFrame", frame)

    @property
    def summary(self) -> dict[str, dict[str, float | int]]:
        """Per numeric summary key: ``mean``, ``min``, ``max``, ``std`` (ddof 0) and ``count`` over the runs
        that have it (NaN left out)."""
        import numpy as np

        values: dict[str, list[float]] = {}
        for r in self.runs:
            for key, value in r.summary.items():
                if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
                    values.setdefault(key, []).append(float(value))
        out: dict[str, dict[str, float | int]] = {}
        for key, found in sorted(values.items()):
            a = np.asarray(found)
            out[key] = {"mean": float(a.mean()), "min": float(a.min()), "max": float(a.max()),
                        "std": float(a.std()), "count": len(a)}
        return out

    def to_pandas(self) -> pd.DataFrame:
        """The group's runs, one row each (as :meth:`RunList.to_pandas`)."""
        return self.runs.to_pandas()

    def compare(self, metrics: Sequence[str] | None = None, group_by: str | None = None) -> Any:
        """The group in the compare widget: one mean curve with its min–max band per metric (``group_by=""``
        shows each run instead)."""
        return self.runs.compare(metrics=metrics, group_by=group_by)  # its runs all have a group: drawn per group


def _aggregate(steps: Any, values: Any) -> pd.DataFrame:
    """Per distinct step: mean, min, max, std (ddof 0) and count of ``values`` (NaN left out)."""
    import numpy as np
    import pandas as pd

    keep = ~np.isnan(values)
    order = np.argsort(steps[keep], kind="stable")
    s, v = steps[keep][order], values[keep][order]
    if not len(s):
        return cast("pd.DataFrame", pd.DataFrame({stat: [] for stat in RunGroup.STATS},
                                                 index=pd.Index([], dtype="int64")))
    uniq, start = np.unique(s, return_index=True)
    count = np.diff(np.append(start, len(s)))
    with np.errstate(invalid="ignore"):  # inf - inf in a deviation: std is NaN there, as numpy's own
        mean = np.add.reduceat(v, start) / count
        dev = v - np.repeat(mean, count)
        std = np.sqrt(np.add.reduceat(dev * dev, start) / count)
    return cast("pd.DataFrame", pd.DataFrame({
        "mean": mean, "min": np.minimum.reduceat(v, start), "max": np.maximum.reduceat(v, start), "std": std,
        "count": count}, index=pd.Index(uniq, dtype="int64")))


class Api:
    """W&B-style entry point: ``Api().runs("project")``, ``Api().run("project/id")``.

    ``store``/``dir`` pick the store (default: the same as ``jt.init()``); W&B's ``overrides``, ``timeout``
    and ``api_key`` are accepted and ignored (there is no server).
    """

    def __init__(self, overrides: Mapping[str, Any] | None = None, timeout: int | None = None,
                 api_key: str | None = None, *, store: str | None = None,
                 dir: str | os.PathLike[str] | None = None) -> None:
        from .store import open_store

        self.store = open_store(store, dir)

    def _settled(self) -> Store:
        """The store, once this process's writer for it has committed what was logged so far: each query sees
        the process's own runs as logged (``api.run(run.path)`` right after ``init()``), also through an ``Api``
        made earlier and kept (as the sweep view keeps its)."""
        from .store import settle

        settle(self.store.url)
        return self.store

    def runs(self, path: str | None = None, filters: Mapping[str, Any] | None = None,
             order: str | None = "-created_at", per_page: int | None = None, limit: int | None = None,
             search: str | None = None, group: str | None = None) -> RunList:
        """Runs of the project ``path`` names (every project when None) matching ``filters`` and, with
        ``group``, of that ``init(group=...)`` only."""
        if limit is not None and not 0 <= limit < 2**63:
            raise ValueError(f"limit={limit} is out of range: give a count from 0 to {2**63 - 1}, or None for all")
        project = _project_of(path)
        if group is not None:
            filters = {"$and": [dict(filters), {"group": group}]} if filters else {"group": group}
        infos = self._settled().list_runs(project=project, filters=filters, order=order, limit=limit,
                                          search=search)
        return RunList([StoredRun(i, self.store) for i in infos])

    def group(self, path: str, name: str) -> RunGroup:
        """The runs of project ``path`` started with ``init(group=name)`` (e.g. the ranks of one distributed
        job), oldest first, as one :class:`RunGroup`."""
        found = self.runs(path, order="created_at", group=name)
        if not found:
            raise RunNotFoundError(f"no runs in group {name!r} of project {_project_of(path)!r}; "
                                   "`jupyter-track ls PROJECT --columns group` shows the runs' groups")
        return RunGroup(name, found)

    def run(self, path: str) -> StoredRun:
        project, ident = _split_run_path(path)
        info = self._settled().get_run(ident)
        if info is not None and (project is None or info.project == project):
            return StoredRun(info, self.store)
        by_name = self.store.list_runs(project=project, filters={"name": ident}, limit=2, detail=True)
        if len(by_name) == 1:
            return StoredRun(by_name[0], self.store)
        if len(by_name) > 1:
            raise RunNotFoundError(f"several runs are named {ident!r} in project {project!r}; use the run id")
        where = f" in project {project!r}" if project else ""
        raise RunNotFoundError(f"no run {ident!r}{where}; `jupyter-track ls` lists the runs")

    def sweep(self, path: str) -> Sweep:
        """A sweep by ``entity/project/id``, ``project/id`` or id (W&B's ``Api().sweep``): ``.runs``,
        ``.best_run()``, ``.config``, ``.state``."""
        record = self._settled().get_sweep(sweep_id_of(path))
        if record is None:
            raise RunNotFoundError(f"no sweep {path!r} in this store; `jupyter-track sweeps` lists them")
        return Sweep(record, self.store)

    def artifact(self, name: str, type: str | None = None) -> Any:
        """An artifact version by ``project/name:alias`` (W&B's ``Api().artifact``)."""
        from .artifacts import artifact

        return artifact(name, type=type, store=self.store.url)

    def artifacts(self, type_name: str | None = None, name: str | None = None, project: str | None = None,
                  per_page: int | None = None, tags: list[str] | None = None) -> Any:
        """Logged artifact versions, by type and name (W&B's ``Api().artifacts``; ``per_page`` is accepted and
        unused: the versions come in one list)."""
        from .artifacts import artifacts

        if tags:  # W&B's artifact tags are not stored here (log_artifact(tags=) says so): no filter can find them
            raise UsageError(f"Api().artifacts(tags={list(tags)!r}): artifact tags are not stored in jupyter_track, "
                             "so versions cannot be selected by them; put aliases on versions instead "
                             "(log_artifact(aliases=[...]), art.aliases.append(...); art.save()) and read "
                             "one with Api().artifact('name:alias')")
        return artifacts(project, type=type_name, name=name, store=self.store.url)

    def projects(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "runs": p.runs, "last_created_at": p.last_created_at}
                for p in self._settled().list_projects()]


@dataclass
class Sweep:
    """A stored sweep: its record, its runs and the best of them by the sweep's metric.

    Example::

        s = jt.get_sweep(sweep_id)
        s.best_run().config, s.best_value, len(s.runs)
    """

    record: SweepRecord
    store: Store

    id = property(lambda self: self.record.id)
    project = property(lambda self: self.record.project)
    config = property(lambda self: self.record.config)
    method = property(lambda self: self.record.method)
    metric = property(lambda self: self.record.metric)
    goal = property(lambda self: self.record.goal)
    state = property(lambda self: self.record.state)

    @property
    def runs(self) -> RunList:
        """The sweep's runs, oldest first."""
        infos = self.store.list_runs(filters={"sweep": self.id}, order="created_at")
        return RunList([StoredRun(i, self.store) for i in infos])

    def best_run(self, include_pruned: bool = False) -> StoredRun | None:
        """The finished run with the best final value of the metric (None without a metric or such a run)."""
        if not self.metric:
            return None
        sign = "-" if self.goal == "maximize" else ""
        states = ["finished", "pruned"] if include_pruned else ["finished"]
        found = self.store.list_runs(filters={"sweep": self.id, "state": {"$in": states},
                                              f"summary.{self.metric}": {"$exists": True}},
                                     order=f"{sign}summary.{self.metric}", limit=1)
        return StoredRun(found[0], self.store) if found else None

    @property
    def best(self) -> StoredRun | None:
        return self.best_run()

    @property
    def best_value(self) -> float | None:
        best = self.best_run()
        if best is None or self.metric is None:
            return None
        entry = best.info.summary.get(self.metric)
        return None if entry is None else entry.value

    def __repr__(self) -> str:
        return f"<Sweep {self.project}/{self.id} {self.method} state={self.state}>"



def runs(project: str | None = None, filters: Mapping[str, Any] | None = None, order: str | None = "-created_at",
         limit: int | None = None, search: str | None = None, store: str | None = None,
         dir: str | os.PathLike[str] | None = None, group: str | None = None) -> RunList:
    """Runs of ``project`` (all projects if None) matching ``filters`` (and of ``group`` only, when given),
    sorted by ``order``.

    Example::

        jt.runs("fashion", filters={"config.lr": {"$lt": 0.01}}, order="-summary.val/acc").to_pandas()
        jt.runs("ddp", group="exp-3").groups()["exp-3"].history(["loss"])    # the ranks' mean/min/max per step
    """
    return Api(store=store, dir=dir).runs(project, filters=filters, order=order, limit=limit, search=search,
                                          group=group)


def load_run(path: str, store: str | None = None, dir: str | os.PathLike[str] | None = None) -> StoredRun:
    """One stored run by ``project/id``, ``id``, ``entity/project/id`` or ``project/<run name>`` (the same as
    ``jt.Api().run(path)``; ``jt.run`` is the active run, as ``wandb.run`` is).

    Example::

        jt.load_run("fashion/k3v9x2ab").history(keys=["train/loss"])
    """
    return Api(store=store, dir=dir).run(path)


def sweep_id_of(path: str) -> str:
    """W&B accepts ``entity/project/id``; the id is the last part."""
    return str(path).strip("/").split("/")[-1]


def _project_of(path: str | None) -> str | None:
    if not path:
        return None
    parts = path.strip("/").split("/")
    return parts[-1]


def _split_run_path(path: str) -> tuple[str | None, str]:
    parts = [p for p in str(path).strip().split("/") if p]
    if not parts:
        raise RunNotFoundError("give a run as 'project/id' or 'id'")
    if len(parts) == 1:
        return None, parts[0]
    if len(parts) == 3 and parts[1] == "runs":  # W&B URLs: project/runs/id
        return parts[0], parts[2]
    return parts[-2], parts[-1]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested keys joined with '.': ``{"opt": {"lr": 1}}`` → ``{"opt.lr": 1}`` (what ``to_pandas`` shows)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
