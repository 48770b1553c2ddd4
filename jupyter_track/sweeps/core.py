"""Creating sweeps and reading them back: ``jt.sweep(config)``, ``jt.get_sweep(id)``, ``jt.sweep_runs(id)``.

Example::

    sweep_id = jt.sweep({"method": "grid", "metric": {"name": "loss"},
                         "parameters": {"lr": {"values": [0.1, 0.01]}}}, project="fashion")
    jt.agent(sweep_id, function=train)
    jt.get_sweep(sweep_id).best_run().config      # the run with the lowest final loss
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import settings
from ..api import Sweep, sweep_id_of
from ..errors import UsageError
from ..store.base import Batch, SweepRecord, SweepWrite
from .config import SweepSpec, load_config, parse_config

if TYPE_CHECKING:
    from ..api import RunList
    from ..store.base import Store


def sweep(sweep: Mapping[str, Any] | str | os.PathLike[str], entity: str | None = None, project: str | None = None,
          *, store: str | None = None, dir: str | os.PathLike[str] | None = None, quiet: bool = False) -> str:
    """Create a sweep from a W&B-style config (a dict, or the path of a W&B sweep YAML file); returns its id.

    The project is ``project``, else the config's ``project``, else the default project (as ``init()``).
    An invalid config raises :class:`~jupyter_track.errors.SweepConfigError` naming the field.

    Example::

        sweep_id = jt.sweep({"method": "random", "metric": {"name": "acc", "goal": "maximize"},
                             "parameters": {"lr": {"min": 1e-4, "max": 1e-1}}}, project="fashion")
    """
    from ..messages import say
    from ..names import new_run_id
    from ..run_start import project_name
    from ..store import open_store
    from . import study

    config = load_config(sweep)
    spec = parse_config(config)
    url = settings.store_url(store, dir)
    target = open_store(url)
    sweep_id = new_run_id()
    now = time.time()
    name = study.study_name(sweep_id)
    study.create_study(url, name, spec)
    fields = {"project": project_name(project or spec.project), "name": spec.name, "method": spec.method,
              "metric": spec.metric, "goal": spec.goal if spec.metric else None, "config": config,
              "state": "pending", "study_name": name, "created_at": now, "updated_at": now}
    target.write_batch(Batch(sweeps=[SweepWrite(sweep_id, fields, create=True)]))
    if not quiet:
        say(f"created sweep {sweep_id} ({spec.method}) in project {fields['project']}; run it with "
                    f"jt.agent({sweep_id!r}, function=train) or `jupyter-track agent {sweep_id}`")
    return sweep_id


def load(store: Store, sweep_id: str) -> tuple[SweepRecord, SweepSpec]:
    record = store.get_sweep(sweep_id_of(sweep_id))
    if record is None:
        raise UsageError(f"no sweep {sweep_id!r} in this store; create one with jt.sweep(config) or "
                         "`jupyter-track sweep CONFIG.yaml` (`jupyter-track sweeps` lists them)")
    return record, parse_config(record.config)


def set_state(store: Store, sweep_id: str, state: str) -> None:
    store.write_batch(Batch(sweeps=[SweepWrite(sweep_id, {"state": state, "updated_at": time.time()})]))


def get_sweep(sweep_id: str, store: str | None = None, dir: str | os.PathLike[str] | None = None) -> Sweep:
    """The sweep ``sweep_id`` (``entity/project/id`` accepted), read from the store."""
    from ..store import open_store

    target = open_store(store, dir)
    return Sweep(load(target, sweep_id)[0], target)


def sweep_runs(sweep_id: str, store: str | None = None, dir: str | os.PathLike[str] | None = None) -> RunList:
    """The runs of a sweep (same as ``jt.runs(filters={"sweep": sweep_id})``, oldest first)."""
    return get_sweep(sweep_id, store=store, dir=dir).runs


def list_sweeps(project: str | None = None, store: str | None = None,
                dir: str | os.PathLike[str] | None = None) -> list[Sweep]:
    """The sweeps of ``project`` (or of every project), newest first."""
    from ..store import open_store

    target = open_store(store, dir)
    return [Sweep(r, target) for r in target.list_sweeps(project)]
