"""Every test gets its own store folder (a real SQLite file under tmp_path) and a clean session."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_track import session
from jupyter_track.store import close_all

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(folder))
    monkeypatch.setenv("JUPYTER_TRACK_QUIET", "1")
    # automatic capture is tested where it is the subject; elsewhere it would only add this repo's diff and
    # pytest's own "script" to every run
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    for name in ("JUPYTER_TRACK_STORE", "JUPYTER_TRACK_PROJECT", "JUPYTER_TRACK_MODE", "WANDB_MODE",
                 "WANDB_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    yield folder
    for run in session.active_runs():
        run.finish(quiet=True)
    session._disabled_current = None
    session._pending_config = session.Config()
    close_all()


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 120, check: bool = True
               ) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (the same venv), with the test's store environment."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"subprocess failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
