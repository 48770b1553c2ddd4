"""Sweeps in the SQL store: their rows (the optimiser's trials live in Optuna's own tables, beside ours)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .base import SweepRecord, SweepWrite
from .schema import sweeps
from .sql_base import SQLBase


class SweepsSQL(SQLBase):
    """The sweeps of :class:`~.sql.SQLStore`."""

    def _write_sweeps(self, conn: Connection, writes: Sequence[SweepWrite]) -> None:
        """Create sweep rows (if absent) or update their fields (inside ``write_batch``'s transaction)."""
        for sw in writes:
            if sw.create:
                self._insert_ignore(conn, sweeps, [{"id": sw.id, **sw.fields}], ["id"])
            elif sw.fields:
                conn.execute(sweeps.update().where(sweeps.c.id == sw.id).values(**sw.fields))

    def get_sweep(self, sweep_id: str) -> SweepRecord | None:
        with self._read() as conn:
            row = conn.execute(sa.select(sweeps).where(sweeps.c.id == sweep_id)).one_or_none()
        return SweepRecord(**row._asdict()) if row is not None else None

    def list_sweeps(self, project: str | None = None) -> list[SweepRecord]:
        query = sa.select(sweeps).order_by(sweeps.c.created_at.desc())
        if project is not None:
            query = query.where(sweeps.c.project == project)
        with self._read() as conn:
            return [SweepRecord(**r._asdict()) for r in conn.execute(query)]

