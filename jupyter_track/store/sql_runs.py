"""Runs in the SQL store: their rows and tags (written inside ``write_batch``'s transaction), listings with
filters, sort and search, resuming and deleting (a running run only when forced)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import RunIsRunningError, RunNotFoundError
from ..types import RunInfo, SummaryEntry
from . import filters as flt
from . import liveness
from .base import ProjectInfo, RunWrite
from .schema import blob_refs, metric_chunks, metric_tails, objects, run_tags, runs, summaries
from .sql_base import IN_CHUNK, SQLBase
from .sql_engine import sqlstate
from .urls import redact


class RunsSQL(SQLBase):
    """The run rows of :class:`~.sql.SQLStore`."""

    def _write_runs(self, conn: Connection, writes: Sequence[RunWrite]) -> None:
        """Create or update run rows and replace their tags (inside ``write_batch``'s transaction)."""
        for rw in writes:
            tags = {} if rw.tags is None else {"tags": list(dict.fromkeys(rw.tags))}
            if rw.create:
                self._insert_ignore(conn, runs, [{"id": rw.id, "summary": {}, "tags": [], **rw.fields, **tags}],
                                    ["id"])
            elif rw.fields or tags:
                conn.execute(runs.update().where(runs.c.id == rw.id).values(**rw.fields, **tags))
            if rw.tags is not None:
                conn.execute(run_tags.delete().where(run_tags.c.run_id == rw.id))
                if rw.tags:
                    conn.execute(run_tags.insert(), [{"run_id": rw.id, "tag": t} for t in dict.fromkeys(rw.tags)])

    def _refuse_if_live(self, conn: Connection, run_id: str, consequence: str) -> bool:
        """Raise :class:`RunIsRunningError` if a process is logging the run (its row locked on PostgreSQL until
        the transaction ends, so that no other process claims it meanwhile); False if there is no such run."""
        found = conn.execute(
            sa.select(runs.c.project, runs.c.name, runs.c.created_at, runs.c.updated_at, runs.c.heartbeat_at,
                      runs.c.host, runs.c.pid, flt.state_expr().label("state"))
            .where(runs.c.id == run_id).with_for_update(of=runs)).first()
        if found is None:
            return False
        info = RunInfo(id=run_id, **found._mapping)  # noqa: SLF001 - SQLAlchemy's documented Row API
        if liveness.is_live(info):
            raise RunIsRunningError(f"{liveness.running_message(info)}; {consequence}")
        return True

    def resume_run(self, run_id: str, fields: dict[str, Any]) -> bool:
        consequence = "a second process cannot log to it at the same time"
        try:
            with self._write() as conn:
                if not self._refuse_if_live(conn, run_id, consequence):
                    raise RunNotFoundError(f"no run {run_id!r} to resume in {redact(self.url)}")
                conn.execute(runs.update().where(runs.c.id == run_id).values(**fields))
        except (sa.exc.OperationalError, sa.exc.InternalError):  # takes no writes now (read-only, full, locked)
            info = self.get_run(run_id)  # still asked, though not in one transaction with the claim
            if info is not None and liveness.is_live(info):
                raise RunIsRunningError(f"{liveness.running_message(info)}; {consequence}") from None
            return False
        return True

    def delete_run(self, run_id: str, force: bool = False) -> bool:
        with self._write() as conn:
            if not force:  # checked in the deleting transaction: no process resumes it in between
                self._refuse_if_live(conn, run_id, liveness.DELETE_CONSEQUENCE)
            for table in (metric_chunks, metric_tails, objects, summaries, run_tags, blob_refs):
                conn.execute(table.delete().where(table.c.run_id == run_id))
            return bool(conn.execute(runs.delete().where(runs.c.id == run_id)).rowcount)

    # -- reads ------------------------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunInfo | None:
        found = self.list_runs(filters={"id": run_id}, limit=1, detail=True)
        return found[0] if found else None

    def count_runs(self, project: str) -> int:
        with self._read() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(runs).where(runs.c.project == project))
                       or 0)

    def next_run_number(self, project: str) -> int:
        """PostgreSQL: taken from the project's counter row in one atomic statement, so runs started at the same
        moment in several processes or machines get distinct names (never below the project's run count + 1:
        runs copied in by ``jupyter-track migrate`` count too). SQLite: the run count + 1."""
        if self.dialect != "postgresql":
            return super().next_run_number(project)
        from .preflight import NEXT_RUN_NUMBER  # the statement init()'s preflight runs without SQLAlchemy

        with self._write() as conn:
            return int(conn.exec_driver_sql(NEXT_RUN_NUMBER, {"p": project}).scalar_one())

    # -- reads for the server extension -------------------------------------------------------------------------
    def count_matching(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
                       search: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(runs).where(_matching(project, filters, search, time.time()))
        with self._read() as conn, _pattern_errors():
            return int(conn.scalar(query) or 0)

    def alerts(self, run_ids: Iterable[str]) -> dict[str, list[Any]]:
        wanted = list(dict.fromkeys(run_ids))
        alerts = runs.c.meta["alerts"]
        found: dict[str, list[Any]] = {}
        with self._read() as conn:
            for lo in range(0, len(wanted), IN_CHUNK):
                query = sa.select(runs.c.id, alerts).where(runs.c.id.in_(wanted[lo:lo + IN_CHUNK]))
                found.update({run_id: a for run_id, a in conn.execute(query) if isinstance(a, list) and a})
        return found

    def notebooks(self, run_ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(run_ids))
        notebook = runs.c.meta["notebook"]
        path = sa.func.coalesce(notebook["relative"].as_string(), notebook["path"].as_string())
        found: dict[str, str] = {}
        with self._read() as conn:
            for lo in range(0, len(wanted), IN_CHUNK):
                query = sa.select(runs.c.id, path).where(runs.c.id.in_(wanted[lo:lo + IN_CHUNK]), path.is_not(None))
                found.update({run_id: p for run_id, p in conn.execute(query)})
        return found

    def list_runs(
        self,
        project: str | None = None,
        filters: Mapping[str, Any] | None = None,
        order: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        search: str | None = None,
        detail: bool = False,
    ) -> list[RunInfo]:
        if not detail:
            listed = self._json_as_text(_LISTED)
            return [_listed_run(*r) for r in self._listing(listed, project, filters, order, limit, offset, search)]
        columns = [c for c in runs.c if c.name not in ("state", "summary", "tags")]
        columns.append(self._json_as_text([runs.c.summary])[0].label("listed_summary"))
        rows = self._listing(columns, project, filters, order, limit, offset, search)
        infos = [_run_info(r) for r in rows]
        with self._read() as conn:
            for info, row in zip(infos, rows, strict=True):
                self._add_detail(conn, info, row.listed_summary)
        return infos

    def list_rows(self, project: str | None = None, filters: Mapping[str, Any] | None = None,
                  order: str | None = None, limit: int | None = None, offset: int = 0,
                  search: str | None = None) -> list[dict[str, Any]]:
        loads = orjson.loads
        return [
            {"id": id, "name": name, "state": state, "project": project, "group": group, "job_type": job_type,
             "tags": loads(tags) if tags else [], "notes": notes, "created_at": created_at, "updated_at": updated_at,
             # RunInfo.duration's rule, inline: this loop is the whole cost of a 10,000-run list
             "duration": max(0.0, (finished_at if finished_at is not None else (heartbeat_at or updated_at))
                             - created_at),
             "last_step": last_step, "sweep_id": sweep_id, "summary": loads(summary) if summary else {}}
            for (id, name, project, group, job_type, notes, created_at, updated_at, heartbeat_at, finished_at,
                 last_step, sweep_id, summary, tags, state)
            in self._listing(self._json_as_text(_ROW_COLUMNS), project, filters, order, limit, offset, search)]

    def _json_as_text(self, columns: Sequence[sa.Column[Any]]) -> list[Any]:
        """``columns`` with the JSON ones read as text, for the caller to parse: SQLAlchemy's per-value JSON
        processing costs more than the parse (PostgreSQL: cast in SQL, else psycopg parses them itself)."""
        as_text = sa.cast if self.dialect == "postgresql" else sa.type_coerce
        return [as_text(c, sa.Text) if c.name in _JSON_COLUMNS else c for c in columns]

    def _listing(self, columns: Sequence[Any], project: str | None, filters: Mapping[str, Any] | None,
                 order: str | None, limit: int | None, offset: int, search: str | None) -> list[Any]:
        """``columns`` and, last, the state of the matching runs in ``order``: one tuple per run."""
        now = time.time()
        query: Any = sa.select(*columns, flt.state_expr(now).label("state")).select_from(runs)
        query = flt.order_by(query.where(_matching(project, filters, search, now)), order, now)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self._read() as conn, _pattern_errors():
            return list(conn.execute(query).all())

    def _add_detail(self, conn: Connection, info: RunInfo, listed: str | None) -> None:
        """Tags and every summary entry with its statistics, from their own tables. ``listed``, the run row's
        copy of the summary (JSON), has the ints and bools that the summaries table holds as floats."""
        info.detailed = True
        info.tags = list(conn.scalars(sa.select(run_tags.c.tag).where(run_tags.c.run_id == info.id)
                                      .order_by(run_tags.c.tag)))
        query = sa.select(summaries.c.key, summaries.c.value, summaries.c.value_json, summaries.c.last,
                          summaries.c.min, summaries.c.max, summaries.c.count, summaries.c.last_step,
                          summaries.c.user_set).where(summaries.c.run_id == info.id)
        shown = (orjson.loads(listed) if listed else None) or {}
        exact = {k: v for k, v in shown.items() if type(v) is int or type(v) is bool}
        for key, value, value_json, last, lo, hi, count, last_step, user_set in conn.execute(query).all():
            if value_json is not None:
                value = value_json
            elif value is None and count and not user_set:
                value = math.nan
            elif key in exact and exact[key] == value:
                value = exact[key]
            info.summary[key] = SummaryEntry(value, last, lo, hi, count, last_step, bool(user_set))

    def list_projects(self) -> list[ProjectInfo]:
        query = (sa.select(runs.c.project, sa.func.count(), sa.func.max(runs.c.created_at))
                 .group_by(runs.c.project).order_by(sa.func.max(runs.c.created_at).desc()))
        with self._read() as conn:
            return [ProjectInfo(name=p, runs=n, last_created_at=t) for p, n, t in conn.execute(query)]


def _matching(project: str | None, filters: Mapping[str, Any] | None, search: str | None,
              now: float) -> sa.ColumnElement[bool]:
    """The condition of a listing: ``filters``, the project, and ``search`` over name, id, notes and tags."""
    cond = flt.where(filters, now)
    if project is not None:
        cond = sa.and_(runs.c.project == project, cond)
    if search:
        # the text is matched literally ("lr_0.1" has no wildcard) and without case, the same on both backends
        like = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

        def has(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
            return sa.func.lower(column).like(like, escape="\\")

        tagged = sa.select(run_tags.c.run_id).where(has(run_tags.c.tag))
        cond = sa.and_(cond, sa.or_(has(runs.c.name), has(runs.c.id), has(runs.c.notes), runs.c.id.in_(tagged)))
    return cond


@contextmanager
def _pattern_errors() -> Iterator[None]:
    """A ``$regex`` that Python accepts but PostgreSQL's regex engine refuses (e.g. ``(?P<n>x)``): a
    :class:`FilterError` naming the problem, like every other bad filter."""
    try:
        yield
    except sa.exc.DataError as exc:
        if sqlstate(exc) != "2201B":  # invalid_regular_expression
            raise
        message = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise flt.FilterError(f"$regex: PostgreSQL cannot use this pattern ({message}); use POSIX syntax") from None



_JSON_COLUMNS = ("config", "summary", "tags")
_LISTED = [runs.c[name] for name in (
    "id", "project", "entity", "name", "group_name", "job_type", "notes", "config", "created_at", "updated_at",
    "heartbeat_at", "finished_at", "exit_code", "last_step", "sweep_id", "host", "pid", "summary", "tags")]
# what list_rows reads (base.listing_row's fields)
_ROW_COLUMNS = [runs.c[name] for name in (
    "id", "name", "project", "group_name", "job_type", "notes", "created_at", "updated_at", "heartbeat_at",
    "finished_at", "last_step", "sweep_id", "summary", "tags")]


def _listed_run(id: str, project: str, entity: str | None, name: str, group: str | None, job_type: str | None,
                notes: str | None, config: str | None, created_at: float, updated_at: float,
                heartbeat_at: float | None, finished_at: float | None, exit_code: int | None,
                last_step: int | None, sweep_id: str | None, host: str | None, pid: int | None,
                summary: str | None, tags: str | None, state: Any) -> RunInfo:
    """A run of a listing, from the columns of :data:`_LISTED` (JSON still as text) and the state."""
    values = orjson.loads(summary) if summary else {}
    return RunInfo(
        id=id, project=project, name=name, state=state, created_at=created_at, updated_at=updated_at,
        entity=entity, group=group, job_type=job_type, notes=notes, tags=orjson.loads(tags) if tags else [],
        config=orjson.loads(config) if config else {}, heartbeat_at=heartbeat_at, finished_at=finished_at,
        exit_code=exit_code, last_step=last_step, sweep_id=sweep_id, host=host, pid=pid,
        summary={k: SummaryEntry(math.nan if v is None else v) for k, v in values.items()},
    )


def _run_info(r: Any) -> RunInfo:
    return RunInfo(
        id=r.id, project=r.project, entity=r.entity, name=r.name, state=r.state, group=r.group_name,
        job_type=r.job_type, notes=r.notes, config=r.config or {}, meta=r.meta or {},
        created_at=r.created_at, updated_at=r.updated_at, heartbeat_at=r.heartbeat_at, finished_at=r.finished_at,
        exit_code=r.exit_code, last_step=r.last_step, sweep_id=r.sweep_id, host=r.host, pid=r.pid,
    )

