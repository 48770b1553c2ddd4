"""``%load_ext jupyter_track``: the ``%jt`` and ``%%jt_run`` magics, and the hooks that record every executed cell.

The only module that imports IPython at import time. ``jt.init()`` in IPython installs the same hooks itself,
so the executed-code history is there whether or not the extension was loaded.
"""

from __future__ import annotations

import ast
import shlex
from typing import Any

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


def unload(shell: InteractiveShell) -> None:
    cells.uninstall(shell)
    for kind, name in (("line", "jt"), ("cell", "jt_run")):
        shell.magics_manager.magics[kind].pop(name, None)
