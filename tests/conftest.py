"""Every test gets its own store folder (a real SQLite file under tmp_path) and a clean session."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jupyter_track import session, settings
from jupyter_track.store import close_all
from tests.postgres import PostgresServer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "store"
    for setting in settings.ALL:  # the developer's own environment (WANDB_PROJECT, WANDB_RUN_ID, …) stays out
        for name in (setting.name, setting.alias):
            if name:
                monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUPYTER_TRACK_DIR", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the package list's cache: not the developer's
    monkeypatch.setenv("JUPYTER_TRACK_QUIET", "1")
    # automatic capture is tested where it is the subject; elsewhere it would only add this repo's diff and
    # pytest's own "script" to every run
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "none")
    yield folder
    try:
        session.reset()  # finishes the runs a test left active, forgets jt.config, a pending trial or seed, …
    finally:
        close_all()


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 120, check: bool = True
               ) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (the same venv), with the test's store environment."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"subprocess failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def wait_for(condition: Callable[[], object], timeout: float = 30.0, every: float = 0.05) -> bool:
    """Poll ``condition`` until it is truthy (True) or ``timeout`` seconds pass (False): ``assert wait_for(...)``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole test session (see tests/postgres.py)."""
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's PostgreSQL server: its URL (``postgresql://…``)."""
    return postgres.create_database()


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test once per store backend: ``sqlite`` (the file in ``store_dir``) and ``postgresql`` (a fresh
    database on the session's server, selected through ``JUPYTER_TRACK_STORE`` as a user would). A module opts in
    with ``pytestmark = pytest.mark.usefixtures("backend")``; a test of the SQLite file itself is marked
    ``@pytest.mark.sqlite_only("why")``.

    After a PostgreSQL case, an SQLite file in ``store_dir`` means the test (or the code) silently fell back
    to the embedded store: that fails the test."""
    if request.param == "postgresql":
        marker = request.node.get_closest_marker("sqlite_only")
        if marker is not None:
            pytest.skip(f"SQLite only: {marker.args[0] if marker.args else 'a test of the SQLite file itself'}")
        monkeypatch.setenv("JUPYTER_TRACK_STORE", request.getfixturevalue("pg_url"))
    yield request.param
    if request.param == "postgresql":
        stray = store_dir / "jupyter_track.db"
        assert not stray.exists(), f"a PostgreSQL-parametrised test wrote the SQLite store {stray}"


@pytest.fixture
def store_url(backend: str) -> str:
    """The URL of the store the test's runs go to (``sqlite:///…`` or ``postgresql://…``)."""
    from jupyter_track import settings

    url = settings.store_url()
    assert url.startswith("sqlite:///" if backend == "sqlite" else "postgresql://"), url
    return url
