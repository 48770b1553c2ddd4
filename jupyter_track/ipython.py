"""``%load_ext jupyter_track``: the ``%jt`` and ``%%jt_run`` magics, and the hooks that record every executed cell;
W&B's ``%wandb`` / ``%%wandb``, registered as soon as the package is imported in IPython (as wandb's are).

The only module that imports IPython at import time. ``jt.init()`` in IPython installs the same hooks itself,
so the executed-code history is there whether or not the extension was loaded.
"""

from __future__ import annotations

import ast
import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from . import session
from .capture import cells


@magics_class
class TrackMagics(Magics):
    """``%jt status|runs [PROJECT]|finish`` and ``%%jt_run [--name N] [--project P] [--config k=v ...]``."""

    @line_magic
    def jt(self, line: str) -> Any:
        words = shlex.split(line)
        command = words[0] if words else "status"
        if command == "status":
            return _status()
        if command == "runs":
            from .api import runs

            current = session.current()
            project = words[1] if len(words) > 1 else (current.project if current else None)
            frame = runs(project).to_pandas()
            shown = [c for c in ("id", "name", "state", "project", "created_at", "duration") if c in frame.columns]
            return frame[shown + [c for c in frame.columns if c.startswith("summary.")]]
        if command == "finish":
            current = session.current()
            if current is None:
                print("no active run")
            else:
                current.finish()
            return None
        print("usage: %jt status | %jt runs [PROJECT] | %jt finish")
        return None

    @cell_magic
    def jt_run(self, line: str, cell: str) -> None:
        options = _parse_run_options(line)
        run = session.init(**options, reinit="create_new")
        assert self.shell is not None  # a cell magic always runs in a shell
        try:
            self.shell.ex(cell)
        except KeyboardInterrupt:
            run.finish(exit_code=255, state="killed")
            raise
        except BaseException:
            run.finish(exit_code=1)
            raise
        run.finish()


@magics_class
class WandbMagics(Magics):
    """W&B's notebook magics, shown with what this store holds instead of the W&B web app.

    ``%wandb`` shows the active run's live panel; ``%wandb PROJECT``, ``%wandb ENTITY/PROJECT`` compares that
    project's runs; ``%wandb [ENTITY/]PROJECT/runs/ID`` one run; ``.../sweeps/ID`` the sweep view;
    ``%%wandb`` shows the active run's live panel above what the cell prints. ``-h``/``--height`` is accepted
    (the views size themselves).
    """

    @line_magic
    def wandb(self, line: str) -> Any:
        words = _without_height(line, "%wandb")
        if not words:
            current = session.current()
            if current is None:
                print("%wandb: no active run; start one with wandb.init(), or name what to show: "
                      "%wandb PROJECT, %wandb PROJECT/runs/ID")
                return None
            return current.display()
        if len(words) > 1:
            raise UsageError(f"%wandb takes one path (PROJECT, PROJECT/runs/ID, PROJECT/sweeps/ID), got {line!r}")
        return _show_path(words[0])

    @cell_magic("wandb")  # type: ignore[arg-type]  # IPython's stubs miss the named form
    def wandb_cell(self, line: str, cell: str) -> None:
        _without_height(line, "%%wandb")
        current = session.current()
        if current is not None:
            current.display()
        assert self.shell is not None  # a cell magic always runs in a shell
        self.shell.ex(cell)


def _without_height(line: str, magic: str) -> list[str]:
    words = shlex.split(line)
    kept = []
    i = 0
    while i < len(words):
        if words[i] in ("-h", "--height"):
            if i + 1 >= len(words) or not words[i + 1].isdigit():
                raise UsageError(f"{magic} {words[i]} takes a height in pixels, e.g. {magic} {words[i]} 600")
            i += 2
        else:
            kept.append(words[i])
            i += 1
    return kept


def _show_path(path: str) -> Any:
    """What ``%wandb PATH`` shows: W&B paths (``entity/project/runs/id`` …) resolved against the local store."""
    from .api import Api

    parts = [p for p in path.strip("/").split("/") if p]
    if not parts:
        raise UsageError(f"%wandb {path!r}: name a PROJECT, PROJECT/runs/ID or PROJECT/sweeps/ID")
    for kind in ("reports", "artifacts"):
        if kind in parts:
            print(f"%wandb {path}: W&B {kind} pages are a W&B cloud feature; this store has runs, projects and "
                  "sweeps (%wandb PROJECT, %wandb PROJECT/runs/ID, %wandb PROJECT/sweeps/ID)")
            return None
    for kind in ("runs", "sweeps"):
        if kind in parts:
            at = parts.index(kind)
            if at == 0 or at + 1 >= len(parts):
                raise UsageError(f"%wandb {path}: expected [ENTITY/]PROJECT/{kind}/ID")
            project, ident = parts[at - 1], parts[at + 1]
            if kind == "sweeps":
                from .widgets.sweep_view import sweep_view

                return sweep_view(ident)
            from .widgets.compare import compare

            return compare([Api().run(f"{project}/{ident}")])
    if len(parts) > 2:
        raise UsageError(f"%wandb {path}: expected PROJECT, ENTITY/PROJECT, PROJECT/runs/ID or PROJECT/sweeps/ID")
    project = parts[-1]
    found = Api().runs(project)
    if not len(found):
        known = sorted({r.project for r in Api().runs()})
        print(f"%wandb {path}: no runs of project {project!r} in this store"
              + (f"; its projects: {', '.join(known)}" if known else " (it has no runs yet)"))
        return None
    from .widgets.compare import compare

    return compare(found)


def _parse_run_options(line: str) -> dict[str, Any]:
    words = shlex.split(line)
    options: dict[str, Any] = {"config": {}}
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--name", "--project", "--group", "--job-type", "--notes") and i + 1 < len(words):
            options[word[2:].replace("-", "_")] = words[i + 1]
            i += 2
        elif word == "--tags" and i + 1 < len(words):
            options["tags"] = words[i + 1].split(",")
            i += 2
        elif word == "--config":
            i += 1
            while i < len(words) and not words[i].startswith("--"):
                key, sep, raw = words[i].partition("=")
                if not sep:
                    raise ValueError(f"%%jt_run --config takes key=value pairs, got {words[i]!r}")
                try:
                    options["config"][key] = ast.literal_eval(raw)
                except (ValueError, SyntaxError):
                    options["config"][key] = raw
                i += 1
        else:
            raise ValueError(f"%%jt_run: unknown option {word!r}; use --name, --project, --group, --job-type, "
                             "--notes, --tags a,b, --config k=v ...")
    return options


def _status() -> None:
    current = session.current()
    if current is None:
        print("jupyter_track: no active run (start one with jt.init())")
        return
    lines = [f"run      {current.name} ({current.path}), {current.state}, next step {current.step}"]
    url = getattr(current, "store_url", None)
    if url is not None:
        from .store.urls import redact  # not store.sql: %jt status need not load SQLAlchemy

        lines.append(f"store    {redact(url)}")
    notebook = getattr(current, "meta", {}).get("notebook", {})
    if notebook:
        lines.append(f"notebook {notebook.get('path') or '(not found)'} (found by {notebook.get('method')})")
    print("\n".join(lines))


def load(shell: InteractiveShell) -> None:
    cells.install(shell, session.tracked_runs)
    shell.register_magics(TrackMagics)
    register_wandb_magics(shell)


def register_wandb_magics(shell: InteractiveShell) -> None:
    """``%wandb`` / ``%%wandb``, unless wandb's own are there (both packages imported: wandb's stay)."""
    if "wandb" not in shell.magics_manager.magics["line"]:
        shell.register_magics(WandbMagics)


def unload(shell: InteractiveShell) -> None:
    cells.uninstall(shell)
    for kind, name in (("line", "jt"), ("cell", "jt_run"), ("line", "wandb"), ("cell", "wandb")):
        shell.magics_manager.magics[kind].pop(name, None)
