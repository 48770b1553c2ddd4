"""Artifacts in the SQL store: versions by content digest, aliases and their history, lineage edges; and the
blob references (run files, media, snapshots, artifact files) that tell gc which blobs are in use.

Versions and alias moves are decided under the artifact's row lock (PostgreSQL ``SELECT … FOR UPDATE``; SQLite's
write transaction is exclusive anyway), so two processes logging the same artifact get distinct version numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..errors import ArtifactNotFoundError, UsageError
from .base import (
    AliasEvent,
    AliasWrite,
    ArtifactEdge,
    ArtifactFile,
    ArtifactVersionRecord,
    ArtifactWrite,
    Batch,
    BlobRefWrite,
)
from .schema import (
    artifact_alias_events,
    artifact_aliases,
    artifact_edges,
    artifact_files,
    artifact_versions,
    artifacts,
    blob_refs,
)
from .sql_base import IN_CHUNK, SQLBase


class ArtifactsSQL(SQLBase):
    """The artifacts and blob references of :class:`~.sql.SQLStore`."""

    def _write_blob_refs(self, conn: Connection, refs: Sequence[BlobRefWrite], now: float) -> None:
        """Add (or update) blob references; a replacing one (a re-sent live snapshot) drops its predecessors."""
        if not refs:
            return
        for b in refs:
            if b.replace and b.run_id is not None:
                conn.execute(blob_refs.delete().where(blob_refs.c.run_id == b.run_id,
                                                      blob_refs.c.owner == b.owner, blob_refs.c.name == b.name))
        rows = [{"sha": b.sha, "owner": b.owner, "name": b.name, "run_id": b.run_id, "size": b.size,
                 "created_at": now} for b in refs]
        self._upsert(conn, blob_refs, rows, ["sha", "owner", "name"])

    def _write_artifacts(self, conn: Connection, batch: Batch, now: float) -> None:
        """The batch's artifact versions, alias moves and uses (input edges)."""
        for aw in batch.artifacts:
            self._write_artifact(conn, aw, now)
        for al in batch.aliases:
            self._write_alias(conn, al, now)
        if batch.artifact_uses:
            self._insert_ignore(conn, artifact_edges, [
                {"run_id": u.run_id, "version_id": u.version_id, "direction": "input", "at": now}
                for u in batch.artifact_uses], ["run_id", "version_id", "direction"])
        for ed in batch.artifact_edits:  # description/metadata changed by Artifact.save()
            v = artifact_versions
            owner = sa.select(artifacts.c.id).where(artifacts.c.project == ed.project, artifacts.c.name == ed.name)
            conn.execute(v.update().where(v.c.artifact_id == owner.scalar_subquery(), v.c.version == ed.version)
                         .values(description=ed.description, meta=ed.meta))

    def _collection(self, conn: Connection, project: str, name: str, type: str | None = None) -> Any:
        """The artifact's row, locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: the write
        transaction is already exclusive), so version numbers and digests are decided by one writer at a time.
        Created first when ``type`` is given."""
        if type is not None:
            now = time.time()
            self._insert_ignore(conn, artifacts, [{"project": project, "name": name, "type": type,
                                                   "created_at": now, "updated_at": now}], ["project", "name"])
        query = sa.select(artifacts).where(artifacts.c.project == project, artifacts.c.name == name)
        return conn.execute(query.with_for_update()).one_or_none()

    def _write_artifact(self, conn: Connection, aw: ArtifactWrite, now: float) -> None:
        coll = self._collection(conn, aw.project, aw.name, aw.type)
        if coll.type != aw.type:
            raise UsageError(f"artifact {aw.project}/{aw.name} has type {coll.type!r}, not {aw.type!r}: log it "
                             f"with type={coll.type!r} or choose another name")
        v = artifact_versions
        found = conn.execute(sa.select(v.c.id, v.c.version)
                             .where(v.c.artifact_id == coll.id, v.c.digest == aw.digest)).one_or_none()
        if found is not None:
            version_id, number = found
            aw.created = False
        else:
            last = conn.scalar(sa.select(sa.func.max(v.c.version)).where(v.c.artifact_id == coll.id))
            number = 0 if last is None else int(last) + 1
            version_id = conn.execute(v.insert().values(
                artifact_id=coll.id, version=number, digest=aw.digest, size=sum(f.size for f in aw.files),
                file_count=len(aw.files), description=aw.description, meta=aw.meta, run_id=aw.run_id,
                created_at=now)).inserted_primary_key[0]  # type: ignore[index]
            if aw.files:
                conn.execute(artifact_files.insert(), [
                    {"version_id": version_id, "path": f.path, "sha": f.sha, "size": f.size} for f in aw.files])
                # gc keeps what an artifact refers to; run_id NULL: deleting the logging run keeps the files
                self._upsert(conn, blob_refs, [
                    {"sha": f.sha, "owner": "artifact", "name": f"{aw.project}/{aw.name}:v{number}/{f.path}",
                     "run_id": None, "size": f.size, "created_at": now} for f in aw.files],
                    ["sha", "owner", "name"])
            conn.execute(artifacts.update().where(artifacts.c.id == coll.id).values(updated_at=now))
            aw.created = True
        aw.version = number
        if aw.run_id is not None:
            self._insert_ignore(conn, artifact_edges, [{"run_id": aw.run_id, "version_id": version_id,
                                                        "direction": "output", "at": now}],
                                ["run_id", "version_id", "direction"])
        for alias in dict.fromkeys(aw.aliases):
            self._move_alias(conn, coll.id, alias, version_id, number, aw.run_id, aw.user, now)

    def _move_alias(self, conn: Connection, artifact_id: int, alias: str, version_id: int, number: int,
                    run_id: str | None, user: str | None, now: float) -> None:
        a = artifact_aliases
        current = conn.execute(sa.select(a.c.version_id, artifact_versions.c.version)
                               .join(artifact_versions, artifact_versions.c.id == a.c.version_id)
                               .where(a.c.artifact_id == artifact_id, a.c.alias == alias)).one_or_none()
        if current is not None and current.version_id == version_id:
            return
        values = {"version_id": version_id, "run_id": run_id, "user": user, "updated_at": now}
        if current is None:
            conn.execute(a.insert().values(artifact_id=artifact_id, alias=alias, **values))
        else:
            conn.execute(a.update().where(a.c.artifact_id == artifact_id, a.c.alias == alias).values(**values))
        conn.execute(artifact_alias_events.insert().values(
            artifact_id=artifact_id, alias=alias, action="set", version=number,
            previous=None if current is None else current.version, run_id=run_id, user=user, at=now))

    def _write_alias(self, conn: Connection, al: AliasWrite, now: float) -> None:
        where = f"{al.project}/{al.name}"
        coll = self._collection(conn, al.project, al.name)
        if coll is None:
            raise ArtifactNotFoundError(f"no artifact {where}")
        version_id = conn.scalar(sa.select(artifact_versions.c.id).where(
            artifact_versions.c.artifact_id == coll.id, artifact_versions.c.version == al.version))
        if version_id is None:
            raise ArtifactNotFoundError(f"artifact {where} has no version v{al.version}")
        if not al.remove:
            self._move_alias(conn, coll.id, al.alias, version_id, al.version, al.run_id, al.user, now)
            return
        a = artifact_aliases
        current = conn.scalar(sa.select(a.c.version_id).where(a.c.artifact_id == coll.id, a.c.alias == al.alias))
        if current != version_id:
            raise ArtifactNotFoundError(f"alias {al.alias!r} is not on {where}:v{al.version}; "
                                        f"`jupyter-track artifact show {where}` lists its aliases")
        conn.execute(a.delete().where(a.c.artifact_id == coll.id, a.c.alias == al.alias))
        conn.execute(artifact_alias_events.insert().values(
            artifact_id=coll.id, alias=al.alias, action="removed", version=None, previous=al.version,
            run_id=al.run_id, user=al.user, at=now))


    # -- reads ------------------------------------------------------------------------------------------------
    def blob_referenced(self, sha: str) -> bool:
        with self._read() as conn:
            return conn.scalar(sa.select(blob_refs.c.sha).where(blob_refs.c.sha == sha).limit(1)) is not None

    def blob_refs(self, run_id: str) -> list[BlobRefWrite]:
        query = sa.select(blob_refs).where(blob_refs.c.run_id == run_id).order_by(blob_refs.c.name)
        with self._read() as conn:
            return [BlobRefWrite(sha=r.sha, owner=r.owner, name=r.name, size=r.size, run_id=r.run_id)
                    for r in conn.execute(query)]

    def referenced_blobs(self) -> set[str]:
        with self._read() as conn:
            return set(conn.scalars(sa.select(blob_refs.c.sha).distinct()))

    def list_artifact_versions(self, project: str | None = None, name: str | None = None,
                               type: str | None = None) -> list[ArtifactVersionRecord]:
        query = _VERSIONS
        if project is not None:
            query = query.where(artifacts.c.project == project)
        if name is not None:
            query = query.where(artifacts.c.name == name)
        if type is not None:
            query = query.where(artifacts.c.type == type)
        query = query.order_by(artifacts.c.project, artifacts.c.name, artifact_versions.c.version)
        with self._read() as conn:
            return _version_records(conn, conn.execute(query).all())

    def resolve_artifact(self, project: str, name: str, ref: str) -> ArtifactVersionRecord | None:
        query = _VERSIONS.where(artifacts.c.project == project, artifacts.c.name == name)
        if ref == "latest":
            query = query.order_by(artifact_versions.c.version.desc()).limit(1)
        elif len(ref) > 1 and ref[0] == "v" and ref[1:].isdigit():
            query = query.where(artifact_versions.c.version == int(ref[1:]))
        else:
            a = artifact_aliases
            query = query.join(a, a.c.version_id == artifact_versions.c.id).where(a.c.alias == ref)
        with self._read() as conn:
            found = _version_records(conn, conn.execute(query).all())
        return found[0] if found else None

    def artifact_versions_by_id(self, ids: Iterable[int]) -> list[ArtifactVersionRecord]:
        wanted = list(dict.fromkeys(ids))
        rows: list[Any] = []
        with self._read() as conn:
            for lo in range(0, len(wanted), IN_CHUNK):
                part = wanted[lo:lo + IN_CHUNK]
                rows.extend(conn.execute(_VERSIONS.where(artifact_versions.c.id.in_(part))).all())
            return _version_records(conn, rows)

    def artifact_files(self, version_id: int) -> list[ArtifactFile]:
        f = artifact_files
        query = sa.select(f.c.path, f.c.sha, f.c.size).where(f.c.version_id == version_id).order_by(f.c.path)
        with self._read() as conn:
            return [ArtifactFile(path=p, sha=sha, size=size) for p, sha, size in conn.execute(query)]

    def alias_history(self, project: str, name: str) -> list[AliasEvent]:
        e = artifact_alias_events
        query = (sa.select(e.c.alias, e.c.action, e.c.version, e.c.previous, e.c.run_id, e.c.user, e.c.at)
                 .join(artifacts, artifacts.c.id == e.c.artifact_id)
                 .where(artifacts.c.project == project, artifacts.c.name == name).order_by(e.c.id))
        with self._read() as conn:
            return [AliasEvent(*r) for r in conn.execute(query)]

    def artifact_edges(self, run_ids: Iterable[str] = (), version_ids: Iterable[int] = ()) -> list[ArtifactEdge]:
        e = artifact_edges
        found: dict[tuple[str, int, str], ArtifactEdge] = {}
        with self._read() as conn:
            for column, values in ((e.c.run_id, list(dict.fromkeys(run_ids))),
                                   (e.c.version_id, list(dict.fromkeys(version_ids)))):
                for lo in range(0, len(values), IN_CHUNK):
                    query = (sa.select(e.c.run_id, e.c.version_id, e.c.direction, e.c.at)
                             .where(column.in_(values[lo:lo + IN_CHUNK])))
                    for r in conn.execute(query):
                        found[(r.run_id, r.version_id, r.direction)] = ArtifactEdge(*r)
        return sorted(found.values(), key=lambda edge: (edge.at, edge.run_id, edge.version_id))


_VERSIONS = (sa.select(artifact_versions, artifacts.c.project, artifacts.c.name, artifacts.c.type)
             .join(artifacts, artifacts.c.id == artifact_versions.c.artifact_id))


def _version_records(conn: Connection, rows: Sequence[Any]) -> list[ArtifactVersionRecord]:
    """Records of version rows (from :data:`_VERSIONS`), each with its aliases (``latest`` on the newest)."""
    if not rows:
        return []
    ids = sorted({r.artifact_id for r in rows})
    aliases: dict[int, list[str]] = {}
    latest: dict[int, int] = {}
    v, a = artifact_versions, artifact_aliases
    for lo in range(0, len(ids), IN_CHUNK):
        part = ids[lo:lo + IN_CHUNK]
        for version_id, alias in conn.execute(sa.select(a.c.version_id, a.c.alias).where(a.c.artifact_id.in_(part))
                                              .order_by(a.c.alias)):
            aliases.setdefault(version_id, []).append(alias)
        for artifact_id, newest in conn.execute(sa.select(v.c.artifact_id, sa.func.max(v.c.version))
                                                .where(v.c.artifact_id.in_(part)).group_by(v.c.artifact_id)):
            latest[artifact_id] = newest
    return [ArtifactVersionRecord(
        id=r.id, project=r.project, name=r.name, type=r.type, version=r.version, digest=r.digest, size=r.size,
        file_count=r.file_count, description=r.description, meta=r.meta or {}, run_id=r.run_id,
        created_at=r.created_at,
        aliases=(["latest"] if latest.get(r.artifact_id) == r.version else []) + aliases.get(r.id, []))
        for r in rows]


