"""Which notebook this kernel runs, and notebook snapshots (the saved file and the code as executed).

Detection tries, in order: an explicit override (``jt.init(notebook=)`` / ``$JUPYTER_TRACK_NOTEBOOK``), the
running Jupyter servers' ``/api/sessions`` matched by this kernel's id (follows renames), ``JPY_SESSION_NAME``
/ ``__session__``, VS Code's ``__vsc_ipynb_file__``, a plain script's ``sys.argv[0]``. Every lookup is short
and never raises: a method that fails is recorded in ``NotebookInfo.errors`` and the next one is tried.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import settings

log = logging.getLogger("jupyter_track")


@dataclass
class NotebookInfo:
    """Where the code of a run came from."""

    method: str  # override | server-sessions | session-env | vscode | script | none
    path: str | None = None  # absolute
    relative: str | None = None  # relative to the Jupyter server's root, when known
    kernel_id: str | None = None
    server: str | None = None  # the server's URL (never its token)
    errors: list[str] = field(default_factory=list)

    def to_meta(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [])}


@dataclass
class ExecutedCell:
    """One execution in this kernel session: its code and, when the hooks saw it, timing, outcome and the
    range of steps each run logged while it ran."""

    count: int
    code: str
    started: float | None = None
    ended: float | None = None
    error: str | None = None
    steps: dict[str, list[int]] = field(default_factory=dict)  # run id -> [first, last]


def detect(override: str | os.PathLike[str] | None = None, user_ns: dict[str, Any] | None = None,
           timeout: float = 1.0) -> NotebookInfo:
    """Find the notebook (or script) this process runs; never raises, never waits more than ``timeout`` per
    server."""
    errors: list[str] = []
    user_ns = user_ns or {}
    chosen = override or settings.NOTEBOOK.raw()
    if chosen:
        path = Path(chosen).expanduser().resolve()
        return NotebookInfo("override", str(path), _relative_to_servers(path), errors=errors)
    kernel_id = _kernel_id()
    if kernel_id:
        found = _from_server_sessions(kernel_id, timeout, errors)
        if found is not None:
            return found
    session = os.environ.get("JPY_SESSION_NAME") or user_ns.get("__session__")
    if session:
        path = Path(session).resolve()
        return NotebookInfo("session-env", str(path), _relative_to_servers(path), kernel_id, errors=errors)
    vscode = user_ns.get("__vsc_ipynb_file__")
    if vscode:
        return NotebookInfo("vscode", str(Path(vscode).resolve()), None, kernel_id, errors=errors)
    script = sys.argv[0] if sys.argv else ""
    if script and not kernel_id and Path(script).is_file() and not script.endswith("ipykernel_launcher.py"):
        return NotebookInfo("script", str(Path(script).resolve()), None, errors=errors)
    return NotebookInfo("none", kernel_id=kernel_id, errors=errors)


def _kernel_id() -> str | None:
    """This kernel's id, from its connection file name (``kernel-<id>.json``), when running in ipykernel."""
    if "ipykernel" not in sys.modules:
        return None
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).stem
    except Exception:
        log.debug("jupyter_track: no kernel id (ipykernel has no connection file here); notebook detection "
                  "goes on without the server's sessions", exc_info=True)
        return None
    return name.removeprefix("kernel-") if name.startswith("kernel-") else None


def running_servers() -> list[dict[str, Any]]:
    """The Jupyter servers of this user, from their runtime files (url, token, root_dir, pid)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return []
    found = []
    runtime = Path(jupyter_runtime_dir())
    for info_file in sorted(runtime.glob("jpserver-*.json")) + sorted(runtime.glob("nbserver-*.json")):
        try:
            info = json.loads(info_file.read_text())
        except (OSError, ValueError):
            continue
        if _alive(info.get("pid")):
            found.append(info)
    return found


def _alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (TypeError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _from_server_sessions(kernel_id: str, timeout: float, errors: list[str]) -> NotebookInfo | None:
    import urllib.error
    import urllib.request

    for server in running_servers():
        url = str(server.get("url", "")).rstrip("/") + "/"
        request = urllib.request.Request(url + "api/sessions")
        if server.get("token"):
            request.add_header("Authorization", f"token {server['token']}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # the user's own Jupyter server
                sessions = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "code", None) or getattr(exc, "reason", None) or exc
            errors.append(f"server-sessions {url}: {reason}")
            continue
        for session in sessions:
            if (session.get("kernel") or {}).get("id") == kernel_id:
                relative = session.get("path") or session.get("notebook", {}).get("path")
                root = Path(server.get("root_dir") or server.get("notebook_dir") or ".")
                absolute = (root / relative).resolve() if relative else None
                return NotebookInfo("server-sessions", str(absolute) if absolute else None, relative, kernel_id,
                                    url, errors=errors)
    return None


def _relative_to_servers(path: Path) -> str | None:
    for server in running_servers():
        root = Path(server.get("root_dir") or server.get("notebook_dir") or "/").resolve()
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return None


# -- snapshots ---------------------------------------------------------------------------------------------------
def saved_snapshot(path: str | os.PathLike[str], output_cap: int | None = None) -> bytes | None:
    """The notebook file as saved on disk (nbformat v4), with any cell's outputs larger than ``output_cap``
    bytes replaced by a note; None when it is not a readable notebook."""
    import nbformat

    cap = output_cap if output_cap is not None else int(settings.SNAPSHOT_OUTPUT_CAP.number())
    try:
        nb = nbformat.read(os.fspath(path), as_version=4)
    except (OSError, ValueError, nbformat.reader.NotJSONError):
        return None
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if outputs and len(json.dumps(outputs)) > cap:
            size = len(json.dumps(outputs))
            cell["outputs"] = [nbformat.v4.new_output(
                "stream", name="stdout",
                text=f"[jupyter_track: {size:,} bytes of output left out of the snapshot (cap {cap:,} bytes, "
                     "JUPYTER_TRACK_SNAPSHOT_OUTPUT_CAP)]\n")]
    return str(nbformat.writes(nb)).encode()


def executed_snapshot(cells: list[ExecutedCell], run_id: str | None = None,
                      language: dict[str, Any] | None = None) -> bytes:
    """The code executed in this kernel session, one cell per execution in order, with counts; each cell's
    metadata tells when it ran, whether it raised and which steps ``run_id`` logged during it."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = language or {"name": "python", "version": sys.version.split()[0]}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in cells:
        code = nbformat.v4.new_code_cell(cell.code, execution_count=cell.count)
        meta: dict[str, Any] = {}
        if cell.started is not None:
            meta["started"] = cell.started
        if cell.ended is not None:
            meta["ended"] = cell.ended
        if cell.error:
            meta["error"] = cell.error
        if run_id is not None and run_id in cell.steps:
            meta["steps"] = cell.steps[run_id]
        if meta:
            code.metadata["jupyter_track"] = meta
        nb.cells.append(code)
    return str(nbformat.writes(nb)).encode()
