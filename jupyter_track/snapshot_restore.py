"""Restore a run's notebook snapshot into a new notebook, headed by what the run was and what changed since.

Example::

    path = jt.restore("fashion/k3v9x2ab")                       # the code as executed, at finish
    path = jt.restore(run, which="saved", at="init", path="before.ipynb")
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .api import StoredRun
from .api import run as read_run
from .errors import JupyterTrackError

WHICH = ("executed", "saved", "live")
AT = ("finish", "init")


def snapshots(run: StoredRun) -> list[dict[str, Any]]:
    """The notebook snapshots stored with ``run``: which (executed | saved | live | script), at, size, sha256."""
    found = []
    for ref in run._store.blob_refs(run.id):
        if ref.owner == "snapshot":
            which, _, at = ref.name.partition("@")
            found.append({"which": which, "at": at, "size": ref.size, "sha256": ref.sha})
    return found


def restore(run: StoredRun | Any | str, path: str | os.PathLike[str] | None = None, which: str = "executed",
            at: str = "finish", root: str | os.PathLike[str] | None = None) -> Path:
    """Write a snapshot of ``run`` (a run, its ``project/id`` or id) as a new notebook and return its path.

    ``which``: ``executed`` (the code this kernel ran, in order, with counts and the steps each cell logged),
    ``saved`` (the .ipynb on disk) or ``live`` (the notebook open in JupyterLab, unsaved edits included);
    ``at``: ``finish`` or ``init`` (a crashed run has only ``init``: it is used, and the header says so).
    Never overwrites: an explicit ``path`` that exists is an error; the default name gets a number.
    """
    import nbformat

    if isinstance(run, StoredRun):
        stored = run
    else:  # a live run is read from its own store, which need not be the default one (init(dir=...), a sweep's)
        stored = read_run(run) if isinstance(run, str) else read_run(run.path, store=getattr(run, "store_url", None))
    if which not in WHICH:
        raise ValueError(f"restore(which={which!r}): use one of {WHICH}")
    if at not in AT:
        raise ValueError(f"restore(at={at!r}): use one of {AT}")
    available = {(s["which"], s["at"]): s for s in snapshots(stored)}
    chosen_at = at if (which, at) in available else next((a for a in AT if (which, a) in available), None)
    if chosen_at is None:
        have = ", ".join(f"{w}@{a}" for w, a in sorted(available)) or "none"
        raise JupyterTrackError(f"run {stored.path} has no {which!r} snapshot (it has: {have})")
    data = stored._store.blobs.read_bytes(available[(which, chosen_at)]["sha256"])
    nb = nbformat.reads(data.decode(), as_version=4)
    note = "" if chosen_at == at else f" (no snapshot at {at}: this is the one at {chosen_at})"
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(header(stored, which, chosen_at) + note))
    target = _target(stored, path, which, Path(root) if root is not None else Path.cwd())
    with open(target, "x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
        nbformat.write(nb, f)
    return target


def header(run: StoredRun, which: str, at: str) -> str:
    """The markdown cell on top of a restored notebook."""
    meta = run.meta
    created = datetime.fromtimestamp(run.info.created_at).strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"# Restored from run `{run.name}` (`{run.path}`)", "",
             f"- **snapshot:** {which} at {at} · **state:** {run.state} · **started:** {created}"]
    notebook = meta.get("notebook") or {}
    if notebook.get("path"):
        lines.append(f"- **notebook:** `{notebook.get('relative') or notebook['path']}` "
                     f"(found by {notebook.get('method')})")
    git = meta.get("git") or {}
    if git.get("commit"):
        dirty = " with uncommitted changes" if git.get("dirty") else ""
        lines.append(f"- **git:** `{git['commit'][:12]}` on `{git.get('branch') or 'detached'}`{dirty}")
    if run.config:
        lines.append(f"- **config:** `{json.dumps(run.config, default=str)}`")
    changed = changed_packages(meta.get("packages") or {})
    if changed:
        lines += ["", "Packages that differ from the run's (name: run → now):", ""]
        lines += [f"- `{name}`: {then} → {now or 'not installed'}" for name, (then, now) in sorted(changed.items())]
    elif meta.get("packages"):
        lines += ["", "Installed packages match the run's."]
    return "\n".join(lines)


def changed_packages(recorded: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Packages whose installed version now differs from the one the run recorded."""
    changed: dict[str, tuple[str, str | None]] = {}
    for name, version in recorded.items():
        try:
            now: str | None = metadata.version(name)
        except metadata.PackageNotFoundError:
            now = None
        if now != version:
            changed[name] = (version, now)
    return changed


def _target(run: StoredRun, path: str | os.PathLike[str] | None, which: str, root: Path) -> Path:
    if path is not None:
        target = Path(path)
        target = target if target.is_absolute() else root / target
        if target.exists():
            raise FileExistsError(f"{target} exists; restore never overwrites a notebook: choose another path")
        return target
    origin = (run.meta.get("notebook") or {}).get("path")
    stem = Path(origin).stem if origin and origin.endswith(".ipynb") else run.name
    base = f"{stem}-{run.id}-{which}"
    target = root / f"{base}.ipynb"
    number = 1
    while target.exists():
        target = root / f"{base}-{number}.ipynb"
        number += 1
    return target
