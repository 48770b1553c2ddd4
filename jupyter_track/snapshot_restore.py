"""Restore a run's notebook snapshot into a new notebook, headed by what the run was and what changed since.

Example::

    path = jt.restore("fashion/k3v9x2ab")                       # the code as executed, at finish
    path = jt.restore(run, which="saved", at="init", path="before.ipynb")
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .api import StoredRun
from .api import load_run as read_run
from .errors import JupyterTrackError, OutsideRootError

WHICH = ("executed", "saved", "live")
AT = ("finish", "init")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')  # separators, controls and what Windows refuses in names
_STEM_CHARS = 100  # of a default file name's stem: a 255-character run name would pass the file system's limit


def snapshots(run: StoredRun) -> list[dict[str, Any]]:
    """The notebook snapshots stored with ``run``: which (executed | saved | live | script), at, size, sha256."""
    found = []
    for ref in run.store.blob_refs(run.id):
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
    Without ``path`` the notebook is written beside the run's source notebook when that folder is inside ``root``
    (default: the working folder), so the source's relative paths still work, else in ``root``; its name comes
    from the source notebook's (or the run's) name, made safe, and never leads outside ``root``.
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
        why = ("; a live snapshot is sent by jupyter_track's JupyterLab extension while the run's notebook is open "
               "there, so a run whose notebook was not open in JupyterLab (run headless, in VS Code, or over "
               "before the extension's next look, about 2 s) has none: which='executed' holds the code the "
               "kernel ran") if which == "live" else ""
        raise JupyterTrackError(f"run {stored.path} has no {which!r} snapshot (it has: {have}){why}")
    data = stored.store.blobs.read_bytes(available[(which, chosen_at)]["sha256"])
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
    root = root.resolve()
    notebook = run.meta.get("notebook") or {}
    origin = notebook.get("path") or notebook.get("relative")
    stem = Path(origin).stem if isinstance(origin, str) and origin.endswith(".ipynb") else run.name
    base = f"{safe_name(stem)[:_STEM_CHARS]}-{safe_name(run.id)}-{which}"
    folder = _source_folder(notebook, root) or root
    target = folder / f"{base}.ipynb"
    number = 1
    while os.path.lexists(target):  # a dangling symlink is taken too: it is never written through
        target = folder / f"{base}-{number}.ipynb"
        number += 1
    if not target.parent.resolve().is_relative_to(root):
        raise OutsideRootError(f"restoring {run.path} would write {target}, outside {root}; give a path")
    return target


def safe_name(text: str) -> str:
    """``text`` as one file name component: no separator, control character or leading dot, never empty.

    Example::

        safe_name("../outside/x")      # '_outside_x'
    """
    name = _UNSAFE.sub("_", text).strip().lstrip(".").strip()
    return name or "run"


def _source_folder(notebook: dict[str, Any], root: Path) -> Path | None:
    """The folder of the run's source notebook when it is an existing folder inside ``root`` (symlinks
    followed): its absolute path as captured, else its path relative to the Jupyter server's root."""
    for given in (notebook.get("path"), notebook.get("relative")):
        if not isinstance(given, str) or not given or "\x00" in given:
            continue
        folder = (root / given).parent.resolve()  # an absolute path replaces root
        if folder.is_relative_to(root) and folder.is_dir():
            return folder
    return None
