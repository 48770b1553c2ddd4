"""Logging, using, finding and listing artifact versions: what ``run.log_artifact``, ``run.use_artifact``,
``jt.artifact`` and ``jt.artifacts`` do. Every write is one :meth:`Store.write_batch`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, overload

from .. import settings
from ..errors import ArtifactNotFoundError, UsageError
from ..store.base import ArtifactUseWrite, ArtifactVersionRecord, ArtifactWrite, Batch, Store
from .core import Artifact, who
from .files import version_digest
from .graph import LineageGraph, build
from .naming import check_alias, check_name, parse_ref

if TYPE_CHECKING:
    import pandas as pd


def log_artifact(store: Store, artifact_or_path: Artifact | str | os.PathLike[str], *, project: str,
                 run_id: str | None, name: str | None = None, type: str | None = None,
                 aliases: Sequence[str] | None = None) -> Artifact:
    """Store the artifact's files as blobs and its version in one transaction; returns it, logged.

    Identical content (same paths, same bytes) is the existing version: no new version is made, and the given
    aliases and this run's output edge are still recorded."""
    art = _as_artifact(artifact_or_path, name, type)
    wanted = [check_alias(a) for a in dict.fromkeys(aliases or ()) if a != "latest"]  # latest is automatic
    if art.logged:
        if art.store is not store and art.store is not None and art.store.url != store.url:
            raise UsageError(f"{art.qualified_name} belongs to another store ({art.store.url})")
        files = store.artifact_files(art.record.id)
    else:
        files = art.put_files(store)
    if not files:
        raise UsageError(f"artifact {art.base_name!r} has no files: add some with add_file(), add_dir() or add() "
                         "before logging it")
    write = ArtifactWrite(project=project, name=art.base_name, type=art.type, digest=version_digest(files),
                          files=files, description=art.description, meta=art.metadata, run_id=run_id,
                          aliases=wanted, user=who())
    store.write_batch(Batch(artifacts=[write]))
    record = store.resolve_artifact(project, art.base_name, f"v{write.version}")
    assert record is not None
    art.bind(store, record, run_id)
    return art


def link_artifact(store: Store, artifact: Artifact, target_path: str, *, project: str, run_id: str | None,
                  aliases: Sequence[str] | None = None) -> Artifact:
    """W&B's model-registry link, kept in this store: the artifact's files become a version of the collection
    ``target_path`` names (``[entity/][project/]collection``; no project: the run's, as W&B's portfolios), with
    no copy (files are content-addressed) and ``metadata["linked_from"]`` naming the source version. Linking the
    same content again is the same version; ``aliases`` move onto it. The artifact is logged first if it was not.

    Example::

        run.link_artifact(best_model, "model-registry/My Registered Model", aliases=["staging"])
        jt.artifact("model-registry/My Registered Model:staging").download()
    """
    if not isinstance(artifact, Artifact):
        raise UsageError(f"link_artifact() takes a jt.Artifact, not {type(artifact).__name__}")
    if not artifact.logged:
        log_artifact(store, artifact, project=project, run_id=run_id)
    parts = [p for p in str(target_path).strip().strip("/").split("/") if p] if isinstance(target_path, str) else []
    if not 1 <= len(parts) <= 3:
        raise UsageError(f"link_artifact(target_path={target_path!r}): give '[entity/][project/]collection', e.g. "
                         "'model-registry/My Registered Model'")
    collection = check_name(parts[-1], "collection name", spaces=True)
    target_project = parts[-2] if len(parts) > 1 else project
    wanted = [check_alias(a) for a in dict.fromkeys(aliases or ()) if a != "latest"]
    files = store.artifact_files(artifact.record.id)
    write = ArtifactWrite(project=target_project, name=collection, type=artifact.type, digest=version_digest(files),
                          files=files, description=artifact.description,
                          meta={**artifact.metadata, "linked_from": artifact.qualified_name}, run_id=None,
                          aliases=wanted, user=who())
    store.write_batch(Batch(artifacts=[write]))
    record = store.resolve_artifact(target_project, collection, f"v{write.version}")
    assert record is not None
    return Artifact.from_record(store, record, run_id)


def use_artifact(store: Store, artifact_or_name: Artifact | str, *, project: str, run_id: str,
                 type: str | None = None, aliases: Sequence[str] | None = None) -> Artifact:
    """Record that run ``run_id`` uses an artifact version (an input edge) and return it. A name is resolved
    as :func:`artifact` does, in ``project`` unless it names one; a draft is logged first (with no creating
    run)."""
    if isinstance(artifact_or_name, Artifact):
        art = artifact_or_name
        if not art.logged:
            log_artifact(store, art, project=project, run_id=None, aliases=aliases)
        elif art.store is not None and art.store.url != store.url:
            raise UsageError(f"{art.qualified_name} belongs to another store ({art.store.url})")
        record = art.record
    else:
        record = resolve(store, artifact_or_name, default_project=project, type=type)
        art = Artifact.from_record(store, record)
    if type is not None and record.type != type:
        raise UsageError(f"{art.qualified_name} has type {record.type!r}, not {type!r}")
    store.write_batch(Batch(artifact_uses=[ArtifactUseWrite(version_id=record.id, run_id=run_id)]))
    art.acting_run = run_id
    return art


def resolve(store: Store, ref: str, default_project: str | None = None, type: str | None = None
            ) -> ArtifactVersionRecord:
    """The version ``[project/]name[:alias]`` names (alias: ``latest``, ``vN`` or a user alias), or an error
    that lists what exists."""
    parsed = parse_ref(ref)
    project = parsed.project or _project_for(store, parsed.name, default_project)
    record = store.resolve_artifact(project, parsed.name, parsed.alias)
    if record is None:
        versions = store.list_artifact_versions(project, parsed.name)
        if not versions:
            others = sorted({v.project for v in store.list_artifact_versions(name=parsed.name)})
            names = sorted({v.name for v in store.list_artifact_versions(project)})
            hint = (f"; it exists in {', '.join(repr(p) for p in others)}: write '{others[0]}/{parsed.name}'"
                    if others else f"; project {project!r} has: {', '.join(names)}" if names
                    else f"; project {project!r} has no artifacts yet (log one with run.log_artifact(art))")
            raise ArtifactNotFoundError(f"no artifact {parsed.name!r} in project {project!r}{hint}")
        known = [f"v{v.version}" for v in versions] + sorted({a for v in versions for a in v.aliases})
        raise ArtifactNotFoundError(f"artifact {project}/{parsed.name} has no version or alias {parsed.alias!r}; "
                                    f"it has: {', '.join(known)}")
    if type is not None and record.type != type:
        raise UsageError(f"{project}/{parsed.name} has type {record.type!r}, not {type!r}")
    return record


def _project_for(store: Store, name: str, preferred: str | None) -> str:
    """The project of an artifact named without one: the caller's (a run's), ``$JUPYTER_TRACK_PROJECT``, or
    the only project that has an artifact of that name."""
    chosen = preferred or settings.PROJECT.raw()
    if chosen:
        return chosen
    projects = sorted({v.project for v in store.list_artifact_versions(name=name)})
    if len(projects) == 1:
        return projects[0]
    if not projects:
        known = sorted({f"{v.project}/{v.name}" for v in store.list_artifact_versions()})
        raise ArtifactNotFoundError(f"no artifact named {name!r}" + (f"; there are: {', '.join(known[:20])}"
                                                                     if known else "; the store has no artifacts"))
    raise ArtifactNotFoundError(f"artifact {name!r} exists in several projects ({', '.join(projects)}); name the "
                                f"project: '{projects[0]}/{name}'")


def _as_artifact(artifact_or_path: Artifact | str | os.PathLike[str], name: str | None, type: str | None
                 ) -> Artifact:
    if isinstance(artifact_or_path, Artifact):
        return artifact_or_path
    path = Path(artifact_or_path)
    art = Artifact(name or check_name(path.name.replace(" ", "_") or "artifact"), type or "unspecified")
    if path.is_dir():
        art.add_dir(path)
    else:
        art.add_file(path)
    return art


# -- the read API -------------------------------------------------------------------------------------------------
def artifact(name: str, type: str | None = None, store: str | None = None,
             dir: str | os.PathLike[str] | None = None) -> Artifact:
    """A logged artifact version, without a run (W&B: ``wandb.Api().artifact(name)``).

    ``name`` is ``[project/]name[:alias]``: ``latest`` (default), ``v3`` or an alias such as ``production``.

    Example::

        model = jt.artifact("fashion/classifier:production")
        model.aliases, model.version, model.download()
    """
    from ..store import open_store

    opened = open_store(store, dir)
    return Artifact.from_record(opened, resolve(opened, name, type=type))


def artifacts(project: str | None = None, type: str | None = None, name: str | None = None,
              store: str | None = None, dir: str | os.PathLike[str] | None = None) -> ArtifactList:
    """Every logged artifact version (of ``project``, of ``type``, named ``name``: also W&B's
    ``"project/name"``), by name and version.

    Example::

        jt.artifacts("fashion", type="model").to_pandas()   # name, version, size, aliases, created by, …
    """
    from ..store import open_store

    if name is not None and "/" in name:  # W&B's "project/name" (or "entity/project/name")
        ref = parse_ref(name)
        project, name = project or ref.project, ref.name
    opened = open_store(store, dir)
    return ArtifactList([Artifact.from_record(opened, r)
                         for r in opened.list_artifact_versions(project, name=name, type=type)])


class ArtifactList(Sequence[Artifact]):
    """Artifact versions read from the store: a sequence of :class:`Artifact`, and ``to_pandas()``."""

    def __init__(self, items: list[Artifact]) -> None:
        self._items = items

    @overload
    def __getitem__(self, index: int) -> Artifact: ...
    @overload
    def __getitem__(self, index: slice) -> ArtifactList: ...
    def __getitem__(self, index: int | slice) -> Artifact | ArtifactList:
        if isinstance(index, slice):
            return ArtifactList(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"<ArtifactList of {len(self)} versions>"

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for a in self._items:
            r = a.record
            out.append({"project": r.project, "name": r.name, "version": f"v{r.version}", "type": r.type,
                        "aliases": list(r.aliases), "files": r.file_count, "size": r.size,
                        "created_at": r.created_at, "created_by": r.run_id, "digest": r.digest})
        return out

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame(self.rows(), columns=["project", "name", "version", "type", "aliases", "files", "size",
                                                   "created_at", "created_by", "digest"])
        if len(frame):
            frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
        return cast("pd.DataFrame", frame)


def lineage(artifact_or_run: Any, depth: int = 20, store: str | None = None,
            dir: str | os.PathLike[str] | None = None) -> LineageGraph:
    """The lineage graph around an artifact version or a run: upstream (the runs and versions it came from)
    and downstream (the runs that used it and what they made), ``depth`` hops each way.

    Takes a logged :class:`Artifact`, an artifact reference ``"[project/]name[:alias]"``, or a run (a live
    ``Run``, a stored run from ``jt.load_run(...)``, or a ``RunInfo``).

    Example::

        jt.lineage("fashion/classifier:production")   # displays as a graph in a notebook cell
        jt.lineage(run).to_dict()
    """
    from ..store import open_store

    if isinstance(artifact_or_run, Artifact):
        return artifact_or_run.lineage(depth)
    if isinstance(artifact_or_run, str):
        opened = open_store(store, dir)
        return build(opened, ("artifact", resolve(opened, artifact_or_run).id), depth)
    run_id = getattr(artifact_or_run, "id", None)
    if not isinstance(run_id, str):
        raise TypeError(f"lineage() takes an artifact, an artifact name or a run, not {type(artifact_or_run).__name__}")
    url = getattr(artifact_or_run, "store_url", None) or store
    return build(open_store(url, dir), ("run", run_id), depth)
