"""``jt.Artifact``: a named, typed set of files; a draft until logged, then one stored, immutable version."""

from __future__ import annotations

import getpass
import hashlib
import io
import json
import os
import socket
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import JupyterTrackWarning, UsageError, needs_extra
from ..types import RunInfo
from ..values import Loggable, jsonable
from .naming import check_alias, check_name, check_path

if TYPE_CHECKING:
    from ..store.base import AliasEvent, ArtifactFile, ArtifactVersionRecord, Store
    from .graph import LineageGraph


@dataclass
class ArtifactEntry:
    """One file of an artifact: its path inside the artifact, size and SHA-256 (None until logged)."""

    path: str
    size: int
    digest: str | None = None
    local_path: str | None = None
    artifact: Artifact | None = field(default=None, repr=False, compare=False)

    def download(self, root: str | os.PathLike[str] | None = None, skip_cache: bool | None = None) -> str:
        """Write this one file (verified) under ``root`` (default: its artifact's ``download()`` folder) and
        return its path, as W&B's manifest entries do.

        Example::

            with open(run.use_artifact("data:latest").get_entry("data.json").download()) as f: ...
        """
        if self.artifact is None or not self.artifact.logged:
            if self.local_path is not None:
                return self.local_path
            raise UsageError(f"{self.path!r} belongs to an artifact that is not logged yet: log it first")
        return str(Path(self.artifact.download(root, only=[self.path])) / self.path)


@dataclass
class _Pending:
    local: Path | None = None
    data: bytes | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else (self.local.stat().st_size if self.local else 0)


class Artifact:
    """A versioned dataset, model or any set of files (W&B's ``wandb.Artifact``).

    Build a draft, then log it from a run: identical content is the same version (no new one is made);
    ``latest`` always names the newest version, and aliases such as ``production`` move between versions with
    a recorded history.

    Example::

        art = jt.Artifact("cifar10-preds", type="predictions", metadata={"split": "test"})
        art.add_file("model.pt")                # stored as "model.pt"
        art.add_dir("data/", name="data")       # every file under data/, as "data/…"
        art.add({"classes": ["cat", "dog"]}, "labels")   # "labels.json"
        run.log_artifact(art, aliases=["best"]) # → art.version == "v0"
        path = jt.artifact("cifar10-preds:best").download()
    """

    def __init__(self, name: str, type: str, description: str | None = None,
                 metadata: dict[str, Any] | None = None, incremental: bool = False, use_as: str | None = None
                 ) -> None:
        self._base = check_name(name)
        self.type = check_name(type, "artifact type")
        if incremental:
            warnings.warn(f"Artifact({name!r}, incremental=True): incremental artifacts are not supported here; "
                          "the version logged holds only the files added to this object — to carry the previous "
                          f"version's files over, add them too: with prev = run.use_artifact('{name}:latest'), "
                          "art.add_reference(prev.get_entry(e.path)) for e in prev.files() stores them without a "
                          "copy", JupyterTrackWarning,
                          stacklevel=2)
        self.description = description
        self.metadata: dict[str, Any] = jsonable(dict(metadata or {}), name, "artifact metadata")
        self.aliases: list[str] = []
        self._pending: dict[str, _Pending] = {}
        self._store: Store | None = None
        self._record: ArtifactVersionRecord | None = None
        self._run_id: str | None = None  # the run this object came from: alias moves are credited to it

    # -- building a draft ---------------------------------------------------------------------------------------
    def add_file(self, local_path: str | os.PathLike[str], name: str | None = None, is_tmp: bool = False,
                 skip_cache: bool | None = None, policy: str | None = None, overwrite: bool = False
                 ) -> ArtifactEntry:
        """Add one file, as ``name`` (default: its file name). Its bytes are read when the artifact is logged."""
        path = Path(local_path)
        if not path.is_file():
            hint = "; use add_dir() for a folder" if path.is_dir() else f" (relative to {os.getcwd()})"
            raise FileNotFoundError(f"add_file(): {os.fspath(local_path)!r} is not a file{hint}")
        stored = check_path(name if name is not None else path.name, "add_file(name=...)")
        self._put(stored, _Pending(local=path.resolve()), overwrite)
        return ArtifactEntry(stored, path.stat().st_size, local_path=str(path))

    def add_dir(self, local_path: str | os.PathLike[str], name: str | None = None, skip_cache: bool | None = None,
                policy: str | None = None, merge: bool = False) -> None:
        """Add every file under a folder (symbolic links to folders are not followed), as ``name/<relative
        path>`` (default: the relative path alone). A file name that is not a safe relative path is refused."""
        root = Path(local_path)
        if not root.is_dir():
            raise FileNotFoundError(f"add_dir(): {os.fspath(local_path)!r} is not a folder (relative to "
                                    f"{os.getcwd()})")
        prefix = check_path(name.strip("/"), "add_dir(name=...)") + "/" if name and name.strip("/") else ""
        found: dict[str, _Pending] = {}
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for file in sorted(files):
                full = Path(folder) / file
                if not full.is_file():  # a broken link, a socket, …
                    continue
                rel = full.relative_to(root).as_posix()
                found[check_path(prefix + rel, f"add_dir(): file {str(full)!r} has the name")] = _Pending(
                    local=full.resolve())
        for stored, pending in found.items():
            self._put(stored, pending, overwrite=merge)

    def add_reference(self, uri: ArtifactEntry | str | os.PathLike[str], name: str | None = None,
                      checksum: bool = True, max_objects: int | None = None) -> list[ArtifactEntry]:
        """W&B's references, kept in this store (nothing is fetched over a network): a file of another logged
        artifact (``other.get_entry("model.json")``: the same stored bytes, no copy), or a local ``file://``
        URI or path (a file, or a folder's files, stored as :meth:`add_file` / :meth:`add_dir` do).
        ``s3://``, ``gs://``, ``http(s)://`` … are refused: download the object and add the file.

        Example::

            art.add_reference(run.use_artifact("m1:latest").get_entry("model.json"), "m1.model.json")
        """
        if isinstance(uri, ArtifactEntry):
            if uri.artifact is None or not uri.artifact.logged:
                if uri.local_path is None:
                    raise UsageError(f"add_reference(): {uri.path!r} is not a file of a logged artifact")
                return [self.add_file(uri.local_path, name=name or uri.path)]
            stored = check_path(name or uri.path, "add_reference(name=...)")
            self._put(stored, _Pending(data=uri.artifact._read(uri.path)), overwrite=False)  # noqa: SLF001 - same class
            return [ArtifactEntry(stored, uri.size)]
        text = os.fspath(uri)
        scheme, sep, rest = text.partition("://")
        if sep and scheme != "file":
            raise UsageError(f"add_reference({text!r}): {scheme}:// references need a network, which jupyter_track "
                             "never uses; download the object and add it with add_file() or add_dir()")
        path = Path(rest if sep else text)
        if path.is_dir():
            before = set(self._pending)
            self.add_dir(path, name=name)
            return [ArtifactEntry(p, self._pending[p].size) for p in sorted(set(self._pending) - before)]
        return [self.add_file(path, name=name)]

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ArtifactEntry:
        """Add a Python object: a jupyter_track media object such as ``jt.Table`` (``<name>.<kind>.json`` plus
        the blobs it refers to, as ``media/<sha256>``), a pandas DataFrame (``<name>.parquet``) or JSON-able
        dicts and lists (``<name>.json``)."""
        check_path(name, "add(name=...)")  # a path inside the artifact, as W&B's: "parts/table_0" too
        if isinstance(obj, Loggable):
            media: dict[str, bytes] = {}

            def put_blob(data: bytes) -> str:
                sha = hashlib.sha256(data).hexdigest()
                media[sha] = data
                return sha

            kind, payload = obj.to_logged(put_blob)
            stored, data = f"{name}.{kind}.json", _json({"_type": kind, "data": payload}, name)
            for sha, blob in media.items():
                self._put(f"media/{sha}", _Pending(data=blob), overwrite=True)
        elif type(obj).__module__.startswith("pandas") and hasattr(obj, "to_parquet"):
            buffer = io.BytesIO()
            with needs_extra("parquet", "pyarrow", f"add() of a DataFrame (stored as {name}.parquet)"):
                obj.to_parquet(buffer)  # pandas raises ImportError without a Parquet engine
            stored, data = f"{name}.parquet", buffer.getvalue()
        elif isinstance(obj, dict | list | tuple):
            stored, data = f"{name}.json", _json(obj, name)
        else:
            raise TypeError(f"add(): cannot store a {type(obj).__name__} as {name!r}; add() takes jupyter_track "
                            "media objects (jt.Table, …), pandas DataFrames and JSON-able dicts or lists — write "
                            "other objects to a file and use add_file()")
        self._put(stored, _Pending(data=data), overwrite)
        return ArtifactEntry(stored, len(data))

    @contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[IO[Any]]:
        """Write a file straight into the artifact: ``with art.new_file("notes.txt") as f: f.write(...)``."""
        stored = check_path(name, "new_file(name=...)")
        buffer: io.BytesIO | io.StringIO = io.BytesIO() if "b" in mode else io.StringIO()
        yield buffer
        value = buffer.getvalue()
        self._put(stored, _Pending(data=value if isinstance(value, bytes) else value.encode(encoding or "utf-8")),
                  overwrite="w" in mode)

    def remove(self, name: str) -> None:
        """Take a file out of the draft."""
        self._draft("remove")
        if self._pending.pop(name, None) is None:
            raise KeyError(f"remove(): the artifact has no file {name!r}; it has {sorted(self._pending)}")

    def _put(self, stored: str, pending: _Pending, overwrite: bool) -> None:
        self._draft("add files to")
        if stored in self._pending and not overwrite and self._pending[stored] != pending:
            raise ValueError(f"the artifact already has a file {stored!r}; pass overwrite=True to replace it or "
                             "name= to store it under another name")
        self._pending[stored] = pending

    def _draft(self, verb: str) -> None:
        if self._record is not None:
            raise UsageError(f"cannot {verb} {self.qualified_name}: a logged version never changes; make a new "
                             f"jt.Artifact({self._base!r}, type={self.type!r}) and log it for a new version")

    # -- identity -------------------------------------------------------------------------------------------------
    @property
    def logged(self) -> bool:
        return self._record is not None

    @property
    def name(self) -> str:
        """``name:vN`` once logged (as W&B), the plain name for a draft."""
        return f"{self._base}:v{self._record.version}" if self._record else self._base

    @property
    def base_name(self) -> str:
        return self._base

    source_name = name

    @property
    def version(self) -> str:
        return f"v{self.record.version}"

    @property
    def project(self) -> str:
        return self.record.project

    @property
    def qualified_name(self) -> str:
        """``project/name:vN``: what :func:`jupyter_track.artifact` takes."""
        record = self.record
        return f"{record.project}/{record.name}:v{record.version}"

    @property
    def id(self) -> str:
        return str(self.record.id)

    @property
    def digest(self) -> str:
        """SHA-256 over the sorted (path, file SHA-256) pairs: equal digests mean equal content."""
        return self.record.digest

    @property
    def size(self) -> int:
        return self.record.size if self._record else sum(p.size for p in self._pending.values())

    @property
    def created_at(self) -> float:
        return self.record.created_at

    @property
    def created_by(self) -> str | None:
        """The id of the run that logged this version first (it may have been deleted since)."""
        return self.record.run_id

    @property
    def state(self) -> str:
        return "COMMITTED" if self._record else "PENDING"

    @property
    def record(self) -> ArtifactVersionRecord:
        """The stored version this object is (a UsageError for a draft: log it first)."""
        if self._record is None:
            raise UsageError(f"artifact {self._base!r} is not logged yet: call run.log_artifact(art) first")
        return self._record

    @property
    def store(self) -> Store | None:
        """The store this version is in (None for a draft)."""
        return self._store

    @property
    def acting_run(self) -> str | None:
        """The id of the run that logged or used this object (None: neither); alias moves made through it are
        credited to that run."""
        return self._run_id

    @acting_run.setter
    def acting_run(self, run_id: str | None) -> None:
        self._run_id = run_id

    def _stored(self) -> tuple[Store, ArtifactVersionRecord]:
        record = self.record
        assert self._store is not None
        return self._store, record

    # -- contents -------------------------------------------------------------------------------------------------
    def files(self) -> list[ArtifactEntry]:
        """Every file: path inside the artifact, size, SHA-256 (None in a draft)."""
        if self._record is None:
            return [ArtifactEntry(p, v.size, local_path=str(v.local) if v.local else None)
                    for p, v in sorted(self._pending.items())]
        store, record = self._stored()
        return [ArtifactEntry(f.path, f.size, f.sha, artifact=self) for f in store.artifact_files(record.id)]

    manifest = files

    def get_entry(self, name: str) -> ArtifactEntry:
        """The file ``name`` (W&B's ``get_entry``/``get_path``)."""
        for entry in self.files():
            if entry.path == name:
                return entry
        raise KeyError(f"{self.name} has no file {name!r}; it has: {', '.join(e.path for e in self.files()[:20])}")

    get_path = get_entry

    def get(self, name: str) -> Any:
        """An object added with :meth:`add`, as W&B's: a media object as itself (``jt.Table``, ``jt.Image`` …,
        its images read from the artifact's ``media/`` files), a DataFrame as a DataFrame, JSON as the parsed
        data.

        Example::

            table = run.use_artifact("preds:latest").get("predictions")   # a jt.Table
        """
        paths = {e.path for e in self.files()}
        for candidate in [name, f"{name}.json", f"{name}.parquet",
                          *sorted(p for p in paths if p.startswith(f"{name}.") and p.endswith(".json"))]:
            if candidate in paths:
                data = self._read(candidate)
                if candidate.endswith(".parquet"):
                    import pandas as pd

                    with needs_extra("parquet", "pyarrow", f"get() of the DataFrame {candidate}"):
                        return pd.read_parquet(io.BytesIO(data))
                if not candidate.endswith(".json"):
                    return data
                parsed = json.loads(data)
                kind = parsed.get("_type") if isinstance(parsed, dict) and parsed.keys() == {"_type", "data"} else None
                if kind is not None and candidate == f"{name}.{kind}.json":  # what add() made of a media object
                    from ..media import from_logged

                    return from_logged(kind, parsed["data"], lambda sha: self._read(f"media/{sha}"))
                return parsed
        raise KeyError(f"{self.name} has no object {name!r}; its files: {', '.join(sorted(paths)[:20])}")

    def _read(self, path: str) -> bytes:
        if self._record is None:
            pending = self._pending[path]
            return pending.data if pending.data is not None else pending.local.read_bytes()  # type: ignore[union-attr]
        store, _ = self._stored()
        entry = self.get_entry(path)
        data = store.blobs.read_bytes(entry.digest or "")
        if hashlib.sha256(data).hexdigest() != entry.digest:
            from ..errors import ArtifactIntegrityError

            raise ArtifactIntegrityError(f"file {path!r} of {self.qualified_name} is corrupted in the blob store")
        return data

    def download(self, root: str | os.PathLike[str] | None = None, allow_missing_references: bool = False,
                 skip_cache: bool | None = None, path_prefix: str | None = None,
                 only: Sequence[str] | None = None) -> str:
        """Write the files under ``root`` (default ``./artifacts/<name>-v<N>``), verifying each file's SHA-256,
        and return the folder; ``path_prefix``: the files under it, ``only``: those paths. Nothing is ever written
        outside ``root``.

        Example::

            path = jt.artifact("fashion/cifar10-preds:production").download()
        """
        from .files import download

        store, record = self._stored()
        target = Path(root) if root is not None else _default_folder(record)
        files = store.artifact_files(record.id)
        if path_prefix:
            files = [f for f in files if f.path.startswith(path_prefix)]
        if only is not None:
            files = [f for f in files if f.path in set(only)]
        return str(download(store.blobs, files, target, self.qualified_name))

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        """Download a one-file artifact and return the file's path."""
        files = self.files()
        if len(files) != 1:
            raise UsageError(f"{self.name} has {len(files)} files; use download() and pick one")
        return str(Path(self.download(root)) / files[0].path)

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Check that a downloaded folder holds exactly this version's files with the right SHA-256."""
        from ..store.blobs import hash_file

        store, record = self._stored()
        folder = Path(root) if root is not None else _default_folder(record)
        expected = {f.path: f.sha for f in store.artifact_files(record.id)}
        present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        if present != set(expected):
            raise ValueError(f"{folder} does not hold the files of {self.qualified_name}: missing "
                             f"{sorted(set(expected) - present)}, extra {sorted(present - set(expected))}")
        for path, sha in expected.items():
            if hash_file(folder / path)[0] != sha:
                raise ValueError(f"{folder / path} differs from {self.qualified_name}'s {path!r}")

    # -- aliases --------------------------------------------------------------------------------------------------
    def add_alias(self, alias: str) -> None:
        """Put ``alias`` on this version now, moving it from the version it was on (the move is recorded)."""
        self._write_aliases(add=[check_alias(alias)])

    def remove_alias(self, alias: str) -> None:
        self._write_aliases(remove=[check_alias(alias)])

    def save(self) -> None:
        """Store edits of ``aliases``, ``description`` and ``metadata`` (W&B: ``art.aliases.append("production");
        art.description = "…"; art.save()``). An artifact not logged yet is logged to the active run, as W&B's
        ``save()`` does."""
        if self._record is None:
            from .. import current_run

            current_run.log_artifact(self)
            return
        metadata = jsonable(dict(self.metadata), self._base, "artifact metadata")
        if self.description != self._record.description or metadata != self._record.meta:
            from ..store.base import ArtifactEdit, Batch

            store, record = self._stored()
            store.write_batch(Batch(artifact_edits=[ArtifactEdit(record.project, record.name, record.version,
                                                                 self.description, metadata)]))
        wanted = [a for a in dict.fromkeys(self.aliases) if a != "latest"]
        current = [a for a in self._record.aliases if a != "latest"]
        self._write_aliases(add=[check_alias(a) for a in wanted if a not in current],
                            remove=[a for a in current if a not in wanted])

    def wait(self, timeout: int | None = None) -> Artifact:
        """Logging is synchronous here: returns at once (W&B compatibility)."""
        return self

    def _write_aliases(self, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        from ..store.base import AliasWrite, Batch
        store, record = self._stored()
        user = who()
        batch = Batch(aliases=[AliasWrite(record.project, record.name, record.version, a, remove=False,
                                          run_id=self._run_id, user=user) for a in add]
                      + [AliasWrite(record.project, record.name, record.version, a, remove=True,
                                    run_id=self._run_id, user=user) for a in remove])
        store.write_batch(batch)
        self._refresh()

    def _refresh(self) -> None:
        store, record = self._stored()
        fresh = store.resolve_artifact(record.project, record.name, f"v{record.version}")
        if fresh is not None:
            self.bind(store, fresh, self._run_id)

    def bind(self, store: Store, record: ArtifactVersionRecord, run_id: str | None) -> None:
        """Make this object the stored version ``record`` of ``store``, logged or used by run ``run_id``
        (``log_artifact`` does this to the draft it logs): its name, type, metadata and aliases become the
        record's."""
        self._store, self._record, self._run_id = store, record, run_id
        self._base, self.type, self.description = record.name, record.type, record.description
        self.metadata = dict(record.meta)
        self.aliases = list(record.aliases)
        self._pending = {}

    @classmethod
    def from_record(cls, store: Store, record: ArtifactVersionRecord, run_id: str | None = None) -> Artifact:
        """The stored version ``record`` of ``store`` as an Artifact (what ``jt.artifact()`` returns)."""
        art = cls.__new__(cls)
        art.bind(store, record, run_id)
        return art

    def put_files(self, store: Store) -> list[ArtifactFile]:
        """Put every file of this draft into ``store``'s blobs (streamed; a progress bar when large) and return
        them as stored: path, SHA-256, size."""
        from ..store.base import ArtifactFile
        from .files import progress

        pending = sorted(self._pending.items())
        files = []
        with progress(sum(p.size for _, p in pending), f"log {self.base_name}") as bar:
            for path, p in pending:
                if p.data is not None:
                    files.append(ArtifactFile(path, store.blobs.put_bytes(p.data), len(p.data)))
                    bar.update(len(p.data))
                else:
                    assert p.local is not None
                    if not p.local.is_file():
                        raise FileNotFoundError(f"{self.base_name}: file {str(p.local)!r} (added as {path!r}) is "
                                                "gone")
                    sha, size = store.blobs.put_file(p.local, progress=bar.update)
                    files.append(ArtifactFile(path, sha, size))
        return files

    # -- history and lineage --------------------------------------------------------------------------------------
    def alias_history(self) -> list[AliasEvent]:
        """Every move of this artifact's aliases (all versions), oldest first: alias, action, version,
        previous version, run, user and time."""
        store, record = self._stored()
        return store.alias_history(record.project, record.name)

    def logged_by(self) -> RunInfo | None:
        """The run that logged this version first (None if it was deleted)."""
        store, record = self._stored()
        return store.get_run(record.run_id) if record.run_id else None

    def used_by(self) -> list[RunInfo]:
        """The runs that used this version (``use_artifact``), oldest first; deleted runs are left out."""
        store, record = self._stored()
        edges = store.artifact_edges(version_ids=[record.id])
        found = [store.get_run(e.run_id) for e in edges if e.direction == "input"]
        return [r for r in found if r is not None]

    def lineage(self, depth: int = 20) -> LineageGraph:
        """The runs and artifact versions upstream and downstream of this version."""
        from .graph import build

        store, record = self._stored()
        return build(store, ("artifact", record.id), depth)

    def __repr__(self) -> str:
        if self._record is None:
            return f"<Artifact {self._base} type={self.type} draft, {len(self._pending)} files>"
        return (f"<Artifact {self.qualified_name} type={self.type} aliases={self.aliases} "
                f"{self._record.file_count} files, {self._record.size} bytes>")


def who() -> str:
    """``user@host``, recorded with every alias move."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def _default_folder(record: ArtifactVersionRecord) -> Path:
    """Where ``download()`` writes and ``verify()`` looks without a ``root``: ``./artifacts/<name>-v<N>``."""
    return Path("artifacts") / f"{record.name}-v{record.version}"


def _json(value: Any, name: str) -> bytes:
    """Canonical JSON (sorted keys), so the same object always gives the same bytes and digest."""
    return json.dumps(jsonable(value, name, "artifact object"), sort_keys=True, separators=(",", ":")).encode()
