"""The files of a run: ``run.save(glob)`` and the run's own folder ``run.dir``, stored content-addressed with the
run (blob refs owned ``run-file``), now and at ``finish()``."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import JupyterTrackWarning, StoreError

if TYPE_CHECKING:
    from .store.blobs import BlobStore
    from .store.buffer import RunBuffer

POLICIES = ("live", "now", "end")


class RunFiles:
    """What a run stores of the file system.

    Example::

        files = RunFiles("abc123", "sqlite:////data/jupyter_track.db", blobs, buffer)
        files.save("checkpoints/*.pt", policy="live")    # now, and again at finish()
        files.finish()                                   # run.dir's files and the "live"/"end" saves
    """

    def __init__(self, run_id: str, store_url: str, blobs: BlobStore, buffer: RunBuffer) -> None:
        self.run_id = run_id
        self.store_url = store_url
        self._blobs = blobs
        self._buffer = buffer
        self._dir: Path | None = None
        self._temporary = False  # a server store's run.dir: removed once saved
        self._at_finish: list[tuple[str, Path]] = []  # (absolute pattern, folder names are relative to)

    @property
    def dir(self) -> Path:
        """``<store folder>/runs/<run id>/files`` for an SQLite store, else a temporary folder; made on first use."""
        if self._dir is None:
            from .store.urls import sqlite_path

            store_file = sqlite_path(self.store_url)
            if store_file is not None:
                self._dir = store_file.expanduser().parent / "runs" / self.run_id / "files"
                self._dir.mkdir(parents=True, exist_ok=True)
            else:
                self._dir = Path(tempfile.mkdtemp(prefix=f"jupyter_track-{self.run_id}-"))
                self._temporary = True
        return self._dir

    def save(self, pattern: str | os.PathLike[str], base_path: str | os.PathLike[str] | None = None,
             policy: str = "live") -> list[str]:
        """Store the files matching ``pattern`` (names relative to ``base_path``, else to the working folder);
        ``policy`` "live" now and at :meth:`finish`, "now", or "end" (only at :meth:`finish`)."""
        if policy not in POLICIES:
            raise ValueError(f"save(policy={policy!r}): use 'live', 'now' or 'end'")
        pattern = os.fspath(pattern)
        base = Path(base_path).resolve() if base_path is not None else Path.cwd()
        at_finish = (os.path.abspath(pattern), base)
        if policy == "end":
            self._at_finish.append(at_finish)
            return []
        saved = self._store(pattern, base)  # a file refused now (too large, unreadable) is not tried again at finish
        if policy == "live":
            self._at_finish.append(at_finish)
        return saved

    def finish(self) -> None:
        """Store the files of ``run.dir`` and of the "live" and "end" saves as they are now."""
        saves = list(self._at_finish)
        if self._dir is not None and self._dir.is_dir():
            saves.append((str(self._dir / "**" / "*"), self._dir))
        for pattern, base in saves:
            try:
                self._store(pattern, base)
            except FileNotFoundError:  # a file removed since keeps the content saved before; an empty run.dir
                pass
            except (OSError, StoreError) as exc:  # the run still ends, with everything else it logged
                warnings.warn(f"run {self.run_id}: {pattern} was not saved at finish(): {exc}", JupyterTrackWarning,
                              stacklevel=3)
        if self._dir is not None and self._temporary:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _store(self, pattern: str, base: Path) -> list[str]:
        import glob  # here: init() imports this module

        from .store.base import BlobRefWrite

        paths = [p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p)]
        if not paths and os.path.isfile(pattern):
            paths = [pattern]
        if not paths:
            raise FileNotFoundError(f"save(): no file matches {pattern!r} (relative to {os.getcwd()})")
        saved = []
        for path in paths:
            sha, size = self._blobs.put_file(path)
            name = _stored_name(Path(path), base)
            # saved again under a name: the new content replaces the old
            self._buffer.op("blob_ref", BlobRefWrite(sha=sha, owner="run-file", name=name, size=size,
                                                     run_id=self.run_id, replace=True))
            saved.append(name)
        return saved


def _stored_name(path: Path, base: Path) -> str:
    resolved = path.resolve()
    for root in (base.resolve(), Path.cwd()):
        if resolved.is_relative_to(root):
            return resolved.relative_to(root).as_posix()
    return path.name
