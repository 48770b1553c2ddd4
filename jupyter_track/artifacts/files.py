"""Artifact files: a version's content digest, and verified downloads out of the blob store (streamed in 1 MiB
blocks, hashed, renamed into place only when the SHA-256 matches) with a byte progress bar for large ones."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import ArtifactIntegrityError, StoreError
from ..store.base import ArtifactFile
from ..store.blobs import BlobStore
from ..whole_files import write_whole
from .naming import check_path

PROGRESS_MIN_BYTES = 50 * 1024 * 1024  # a progress bar for transfers larger than this
_BLOCK = 1 << 20


def version_digest(files: Iterable[ArtifactFile]) -> str:
    """The content digest of a version: SHA-256 over the sorted (path, file SHA-256) pairs."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f.path.encode())
        h.update(b"\0")
        h.update(f.sha.encode())
        h.update(b"\n")
    return h.hexdigest()


@contextmanager
def progress(total: int, desc: str) -> Iterator[Any]:
    """A byte progress bar (``tqdm.auto``: a widget in notebooks, text in a terminal) when ``total`` is large;
    otherwise a no-op object with the same ``update``."""
    if total < PROGRESS_MIN_BYTES or settings.QUIET.flag():
        yield _NoBar()
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024)
    try:
        yield bar
    finally:
        bar.close()


class _NoBar:
    def update(self, n: int) -> None:
        pass


def download(blobs: BlobStore, files: list[ArtifactFile], root: Path, label: str) -> Path:
    """Write ``files`` under ``root`` (created) and return it. Every path is checked before anything is
    written, and again against the resolved ``root`` (symbolic links inside it cannot lead out). Each file is
    hashed while it is copied out of its blob and only renamed into place when its SHA-256 matches; a missing
    or altered blob raises :class:`ArtifactIntegrityError` naming the file."""
    root.mkdir(parents=True, exist_ok=True)
    base = root.resolve()
    targets = []
    for f in files:
        check_path(f.path, f"file name stored in {label}")
        target = (base / f.path).resolve()
        if not target.is_relative_to(base) or target == base:
            raise ValueError(f"file {f.path!r} of {label} would be written outside {base}; nothing was written")
        targets.append((f, target))
    with progress(sum(f.size for f in files), f"download {label}") as bar:
        for f, target in targets:
            _copy_verified(blobs, f, target, label, bar)
    return base


def _copy_verified(blobs: BlobStore, f: ArtifactFile, target: Path, label: str, bar: Any) -> None:
    """Copy ``f``'s blob to ``target`` written whole, once its SHA-256 is checked: a corrupted blob leaves no file."""
    try:
        source = blobs.open(f.sha)
    except StoreError:
        raise ArtifactIntegrityError(
            f"file {f.path!r} of {label} is missing from the blob store ({blobs.where(f.sha)}); it was "
            "deleted outside jupyter_track: log the artifact again from the original files") from None

    def verified() -> Iterator[bytes]:  # raising after the last block: write_whole then keeps nothing
        digest = hashlib.sha256()
        for block in iter(lambda: source.read(_BLOCK), b""):
            digest.update(block)
            bar.update(len(block))
            yield block
        if digest.hexdigest() != f.sha:
            raise ArtifactIntegrityError(
                f"file {f.path!r} of {label} is corrupted in the blob store: its SHA-256 is {digest.hexdigest()}, "
                f"expected {f.sha} ({blobs.where(f.sha)} was modified); it was not written — log the "
                "artifact again from the original files")

    with source:
        write_whole(target, verified())
