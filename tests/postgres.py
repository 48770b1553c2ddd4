"""A real, throw-away PostgreSQL server for tests: ``initdb`` into a temporary folder, started on a free port.

PostgreSQL refuses to run as root, and these machines run the tests as root: the cluster then belongs to the
``postgres`` user (Debian's package creates it) and the server commands run through ``su``. The server listens on
127.0.0.1 with ``trust`` authentication, so a test database URL needs no password; a test that checks credential
handling sets a password itself (``ALTER USER``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.jupyter_server import free_port

MISSING = ("PostgreSQL server binaries not found (initdb/pg_ctl under /usr/lib/postgresql/*/bin). Install them "
           "with `apt-get install -y postgresql` (the Makefile's apt-deps target does this for `make test`).")


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps the server binaries off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if found:
        return Path(found[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """One cluster in a temporary folder. ``stop(mode="immediate")`` simulates a crash; ``start()`` brings the
    same data folder back on the same port (a restart as a running client sees it)."""

    def __init__(self) -> None:
        bin_dir = pg_bin()
        if bin_dir is None:
            raise RuntimeError(MISSING)
        self.bin = bin_dir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="jt-pg-"))
        self.data = self.folder / "db"
        self.log = self.folder / "pg.log"
        # as root the cluster belongs to "postgres"; otherwise to whoever runs the tests
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(f"{self.bin / 'initdb'} -D {self.data} -A trust -U postgres -E UTF8 --no-sync")
        # a test server: no fsync (speed; a crash test's `pg_ctl -m immediate` kills the server, not the OS, so
        # committed rows are still in the page cache), and connections enough for the 16-writer load test
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\nfsync = off\nsynchronous_commit = on\nfull_page_writes = off\nmax_connections = 200\n"
                       f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.folder}'\n")
        self.start()

    def _run(self, command: str) -> None:
        argv = ["su", self.user, "-c", command] if self.user else shlex.split(command)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{command!r} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}")

    def start(self) -> None:
        self._run(f"{self.bin / 'pg_ctl'} -D {self.data} -l {self.log} -w -t 60 start")

    def stop(self, mode: str = "fast") -> None:
        self._run(f"{self.bin / 'pg_ctl'} -D {self.data} -m {mode} -w -t 60 stop")

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = name or f"jt_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped (a test's fault injection)
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_until_up(server: PostgresServer, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(server.url(), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
