"""Making the Run that ``init()`` returns: a new run (its number, name and row) or a resumed one (claimed from the
store, its step, summary and system stream carried on)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import settings
from .errors import RunIsRunningError
from .names import NAME_MAX, checked
from .types import SYSTEM_PREFIX

if TYPE_CHECKING:
    from .live_run import Run
    from .store.base import Store
    from .store.writer import Writer
    from .types import RunInfo


def create_run(store: Store | None, url: str, writer: Writer, project: str | None, entity: str | None,
               config: dict[str, Any], name: str | None, notes: str | None, tags: Sequence[str] | None,
               group: str | None, job_type: str | None, run_id: str | None, sweep_id: str | None = None,
               notify_finished: Callable[[Run], None] | None = None) -> Run:
    """A new run in the store at ``url`` (``store``: already opened, or None), logging through ``writer``."""
    from .live_run import Run
    from .names import new_run_id, new_run_name
    from .store import open_store
    from .store.blobs import BlobStore, DeferredBlobStore, blob_root_for
    from .store.preflight import start_run
    from .store.urls import sqlite_path

    project = project_name(project)
    run_id = check_id(run_id) if run_id else new_run_id()
    now = time.time()
    tag_list = [checked("init(tags=...)", t) for t in (tags or ())]
    name = checked("init(name=...)", name) if name else None
    entity = None if entity is None else checked("init(entity=...)", entity)
    group = None if group is None else checked("init(group=...)", group)
    job_type = None if job_type is None else checked("init(job_type=...)", job_type)
    path = sqlite_path(url)

    def columns(number: int) -> dict[str, Any]:
        fields = {
            "project": project, "entity": entity, "name": name or new_run_name(number),
            "state": "running", "group_name": group, "job_type": job_type, "notes": notes, "config": config,
            "meta": {}, "created_at": now, "updated_at": now, "heartbeat_at": now, "last_step": None,
            "host": host_name(), "pid": os.getpid(),
        }
        if sweep_id is not None:
            fields["sweep_id"] = sweep_id
        return fields

    # the preflight also refuses a newer or damaged store at once, and makes the run's row where it can
    started = start_run(url, project, run_id, columns, tag_list)
    if started is None:  # a store not made (or migrated) yet: opening it does that; then the number is taken again
        store = store if store is not None else open_store(url)  # atomically (two first runs of a new store too)
        started = start_run(url, project, run_id, columns, tag_list)
        if started is None:  # the store takes no writes now: the writer makes the row once it does, or says why
            number = store.next_run_number(project)
            started = number, columns(number)
    fields = started[1]
    buffer = writer.register(run_id)
    # the run's row, where the preflight could not make it yet: written by the flush init() asks for as it returns
    buffer.op("create", (fields, tag_list), wake=False)
    blobs = (BlobStore(blob_root_for(url)) if path is not None else store.blobs if store is not None
             else DeferredBlobStore(lambda: open_store(url).blobs))
    return Run(store_url=url, blobs=blobs, writer=writer, buffer=buffer, id=run_id,
               name=fields["name"], project=project, entity=entity, config=config, tags=tag_list, notes=notes,
               group=group, job_type=job_type, created_at=now, notify_finished=notify_finished, sweep_id=sweep_id)


def resume_run(store: Store, url: str, writer: Writer, info: RunInfo, config: dict[str, Any], name: str | None,
               notes: str | None, tags: Sequence[str] | None, notify_finished: Callable[[Run], None] | None = None
               ) -> Run:
    """The stored run ``info`` running again in this process (a run another process is logging is refused:
    :class:`~jupyter_track.errors.RunIsRunningError`)."""
    from .live_run import Run
    from .metric_defs import MetricDefs

    now = time.time()
    run_name = checked("init(name=...)", name) if name else info.name
    run_notes = notes if notes is not None else info.notes
    fields = {"state": "running", "finished_at": None, "exit_code": None, "heartbeat_at": now, "updated_at": now,
              "pid": os.getpid(), "host": host_name(), "name": run_name, "notes": run_notes}
    try:  # before the writer knows it: a run another process (or this one) is logging is left to that one
        claimed = store.resume_run(info.id, fields)
    except RunIsRunningError as exc:  # two writers of one run interleave their chunks: points would be lost
        raise RunIsRunningError(f"{exc}; finish it there first (or wait until it reads as crashed), or leave id "
                                "out to start a new run") from None
    store.settle_tails(info.id)  # what a crashed writer left in tail rows: before this writer's chunks follow
    buffer = writer.register(info.id, summary=info.summary, chunk_tails=store.chunk_tails(info.id),
                             last_step=info.last_step)
    # a last value logged as an int or a bool reads back as that (the statistics are floats)
    last = {k: e.value if e.last is None or (type(e.value) in (int, bool) and e.value == e.last) else e.last
            for k, e in info.summary.items() if e.count and not k.startswith(SYSTEM_PREFIX)}
    user = {k: e.value for k, e in info.summary.items() if e.user_set}
    step = 0 if info.last_step is None else info.last_step + 1
    system_index = max((e.count for k, e in info.summary.items() if k.startswith(SYSTEM_PREFIX)), default=0)
    run = Run(store_url=url, blobs=store.blobs, writer=writer, buffer=buffer, id=info.id, name=run_name,
              project=info.project, entity=info.entity, config=info.config, tags=list(tags or info.tags),
              notes=run_notes, group=info.group, job_type=info.job_type, created_at=info.created_at, step=step,
              last=last, user_summary=user, system_index=system_index, notify_finished=notify_finished,
              sweep_id=info.sweep_id, stats={k: e for k, e in info.summary.items() if k in last})
    run.resumed = True
    for definition in MetricDefs.from_meta(info.meta.get("metrics")):  # its define_metric()s hold on
        run.define_metric(**definition.arguments())
    if not claimed:  # the store takes no writes now: the writer writes them once it does
        buffer.op("update", fields)
    if tags is not None:
        run.tags = tags
    if config:
        run.config.update(config)
    return run


def host_name() -> str:
    """This machine's name, as ``socket.gethostname()`` says it (``uname`` where there is one: importing socket
    costs ``init()`` 2 ms)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def project_name(project: str | None) -> str:
    """``project``, else ``$JUPYTER_TRACK_PROJECT``, else the working folder's name; a ValueError when it cannot
    name a project."""
    chosen = project or settings.PROJECT.raw() or Path.cwd().name or "uncategorized"
    chosen = str(chosen).strip()
    if not chosen or "/" in chosen or len(chosen) > NAME_MAX:
        raise ValueError(f"init(project={project!r}): a project name is 1-{NAME_MAX} characters without '/'")
    return chosen


def check_id(run_id: str) -> str:
    """``run_id`` when it can name a run (and a URL path segment), else a ValueError saying what ids may be."""
    run_id = str(run_id)
    if not run_id or len(run_id) > 64 or not all(c.isalnum() or c in "-_." for c in run_id) \
            or run_id in (".", ".."):  # a URL path segment "." or ".." is resolved away: never reachable over REST
        raise ValueError(f"init(id={run_id!r}): ids are 1-64 letters, digits, '-', '_' or '.', other than '.' "
                         "and '..'")
    return run_id
