"""Faults a real store meets: a writer SIGKILLed mid-flush, the PostgreSQL server restarted under a logging run,
a full disk, a read-only file system, a read-only database. Nothing logged is lost or half-written; the user
is told what is wrong and how much is held; the data lands once the fault is cleared."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.errors import StoreError
from jupyter_track.store import close_all, open_store, settle
from tests.conftest import REPO, wait_for
from tests.postgres import PostgresServer
from tests.stores import count_points, sql

pytestmark = pytest.mark.slow

KEYS = [f"m{k}" for k in range(5)]


def assert_unbroken_prefixes(run: Any, keys: list[str]) -> int:
    """Every key's steps are exactly 0..n-1 with the same n for all keys (no partial or duplicate chunk);
    returns n."""
    lengths = set()
    for key in keys:
        steps = run.metric(key).steps
        assert np.array_equal(steps, np.arange(len(steps))), (key, steps[:5], len(steps))
        lengths.add(len(steps))
    assert len(lengths) == 1, lengths
    return lengths.pop()


def start_child(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


# -- SIGKILL mid-flush on PostgreSQL -------------------------------------------------------------------------------
VICTIM = """
import sys
import jupyter_track as jt
run = jt.init(project="crash", id="victim", store=sys.argv[1])
print("started", flush=True)
step = 0
while True:
    run.log({"m0": 0.5, "m1": 1.5, "m2": 2.5, "m3": 3.5, "m4": float(step)})
    step += 1
"""

IN_FLUSH = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
  AND state IN ('active', 'idle in transaction') AND query ILIKE '%metric_chunks%'
"""


def test_sigkill_mid_flush_on_postgres_leaves_whole_batches_and_a_crashed_run(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    child = start_child(VICTIM, pg_url, env={"JUPYTER_TRACK_FLUSH_INTERVAL": "0.5"})
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "started"
        assert wait_for(lambda: count_points("victim", "m0", pg_url) > 0), "no flush reached the server"
        # kill the process while its writer is inside a transaction writing chunks: seen by the server itself
        with psycopg.connect(pg_url, autocommit=True) as watch:
            caught = wait_for(lambda: watch.execute(IN_FLUSH).fetchone() != (0,), timeout=30, every=0.001)
            child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert caught, "never saw the writer mid-transaction"
    # the server notices the dead client and rolls its transaction back
    assert wait_for(lambda: sql(IN_FLUSH, pg_url) == [(0,)], timeout=30)

    n = assert_unbroken_prefixes(jt.load_run("crash/victim", store=pg_url), KEYS)
    assert n > 0
    values = jt.load_run("crash/victim", store=pg_url).metric("m4").values
    assert np.array_equal(values, np.arange(n, dtype=float))  # each value at its own step, in order
    gapped = sql("SELECT count(*) FROM metric_chunks WHERE run_id = 'victim' AND n <> last_step - first_step + 1",
                 pg_url)
    assert gapped == [(0,)]  # no chunk row with a gap inside

    monkeypatch.setenv("JUPYTER_TRACK_HEARTBEAT_TIMEOUT", "2")
    assert wait_for(lambda: jt.load_run("crash/victim", store=pg_url).state == "crashed", timeout=20)
    with jt.init(project="crash", store=pg_url) as after:  # the store takes new runs as before
        after.log({"x": 1.0})
    assert jt.load_run(after.path, store=pg_url).state == "finished"


# -- the PostgreSQL server restarted while a run logs -----------------------------------------------------------
LOGGER = """
import os, sys, time
import jupyter_track as jt
url, stop_file = sys.argv[1], sys.argv[2]
run = jt.init(project="restart", store=url)
print("run", run.id, flush=True)
clock = time.perf_counter
worst = 0.0
step = 0
while not os.path.exists(stop_file):
    t0 = clock()
    run.log({"m0": 0.5, "m1": 1.5, "m2": 2.5, "m3": 3.5, "m4": float(step)})
    took = clock() - t0
    worst = max(worst, took)
    step += 1
    if step % 200 == 0:
        print("step", step, flush=True)
    time.sleep(0.002)
print("logged", step, worst, flush=True)
run.finish()
print("finished", flush=True)
"""

OUTAGE = 3.0  # seconds the server is down


def test_postgres_restart_while_logging_loses_nothing_and_log_never_waits(
        postgres: PostgresServer, pg_url: str, tmp_path: Path) -> None:
    stop_file = tmp_path / "stop"
    child = start_child(LOGGER, pg_url, str(stop_file), env={"JUPYTER_TRACK_FLUSH_INTERVAL": "0.2"})
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().split()[1]
        assert wait_for(lambda: count_points(run_id, "m0", pg_url) >= 400)
        postgres.stop("immediate")  # a crash of the server: every connection dies at once
        down_at = time.monotonic()
        time.sleep(OUTAGE)
        postgres.start()
        held = count_points(run_id, "m0", pg_url)
        # the writer reconnects on its own (back-off) and writes what it held: the count grows again
        assert wait_for(lambda: count_points(run_id, "m0", pg_url) > held + 200, timeout=30), "no reconnect"
        recovered_after = time.monotonic() - down_at
        stop_file.touch()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert "Traceback" not in err, err
    logged, worst = next(line.split()[1:] for line in out.splitlines() if line.startswith("logged"))
    # log() only appends: during the outage (buffer far from full) it never waited for the store (half the outage
    # leaves room for a busy machine's stalls; the figure printed below is well under a millisecond)
    assert float(worst) < 0.5 * OUTAGE, (worst, err)
    # one message for the outage and one for the recovery, not one per retry
    assert err.count("retried with back-off") == 1, err
    assert err.count("takes writes again") == 1, err
    assert "cannot be reached" in err, err
    stored = jt.load_run(f"restart/{run_id}", store=pg_url)
    assert stored.state == "finished"
    assert assert_unbroken_prefixes(stored, KEYS) == int(logged)
    assert recovered_after < OUTAGE + 20
    # read by benchmarks/bench_reliability.py
    print(f"figure: server down {OUTAGE:.0f} s; slowest log() call of the run {float(worst) * 1e3:.2f} ms; "
          f"writes resumed {recovered_after - OUTAGE:.1f} s after the restart; {int(logged) * len(KEYS):,} points, "
          "all stored")


# -- disk full and read-only file systems (SQLite on a small tmpfs) -------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MB file system (tmpfs) for the store, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root in a privileged container): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        for run in jt.session.active_runs():
            run.finish(quiet=True)
        close_all()
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], capture_output=True)
        subprocess.run(["umount", str(mount)], check=True)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def log_steps(run: Any, start: int, stop: int) -> None:
    for step in range(start, stop):
        run.log({"m0": 0.5, "m1": 1.5, "m2": 2.5, "m3": 3.5, "m4": float(step)})


def expect_reported(caplog: pytest.LogCaptureFixture, problem: str, points: int) -> None:
    warnings = [r.getMessage() for r in caplog.records if r.name == "jupyter_track" and r.levelno == logging.WARNING]
    assert any(problem in w and f": {points} logged points are not saved yet" in w for w in warnings), warnings


def test_full_disk_keeps_the_data_in_memory_says_how_much_and_saves_it_once_freed(
        small_disk: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # no timed write during the test: the fault's points reach the store in the flush() below, all in one batch
    # (a writer tick in the middle of log_steps would report only part of them)
    monkeypatch.setenv("JUPYTER_TRACK_FLUSH_INTERVAL", "60")
    caplog.set_level(logging.WARNING, logger="jupyter_track")
    run = jt.init(project="disk", dir=small_disk)
    log_steps(run, 0, 1000)
    run.flush()
    filler = fill(small_disk)
    log_steps(run, 1000, 21_000)  # 100,000 values: more than any space SQLite has already allocated
    with pytest.raises(StoreError, match=r"disk is full.*: 100000 logged points .*not saved yet.*kept in memory"
                                         r".*free some disk space"):
        run.flush()
    expect_reported(caplog, "the store's disk is full", 100_000)
    assert_unbroken_prefixes(jt.load_run(run.path, dir=small_disk), KEYS)  # what was saved before is intact
    log_steps(run, 21_000, 22_000)  # logging goes on meanwhile
    filler.unlink()
    run.flush()
    run.finish()
    assert assert_unbroken_prefixes(jt.load_run(run.path, dir=small_disk), KEYS) == 22_000
    assert any("takes writes again" in r.getMessage() for r in caplog.records)


def test_read_only_file_system_keeps_the_data_and_saves_it_once_writable(
        small_disk: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_FLUSH_INTERVAL", "60")  # as above: one batch, at flush()
    caplog.set_level(logging.WARNING, logger="jupyter_track")
    run = jt.init(project="ro", dir=small_disk)
    log_steps(run, 0, 1000)
    run.flush()
    # the kernel refuses to remount a file system read-only while files on it are open for writing (a disk
    # that fails does it anyway): let the writer's pooled connection go first; it reconnects by itself
    open_store(dir=small_disk).close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    log_steps(run, 1000, 3000)
    with pytest.raises(StoreError, match=r"read-only.*: 10000 logged points .*not saved yet"):
        run.flush()
    expect_reported(caplog, "the store is read-only", 10_000)
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    run.flush()
    run.finish()
    assert assert_unbroken_prefixes(jt.load_run(run.path, dir=small_disk), KEYS) == 3000


# -- a read-only PostgreSQL database ------------------------------------------------------------------------------
def set_read_only(url: str, on: bool) -> None:
    """What an administrator does: make the database read-only for new sessions (and end the current ones, which
    keep the setting they started with), or writable again (sessions then stay as they are)."""
    import psycopg

    settle(url)  # after what this process logged and finished has landed (finish() hands its last batch over)
    db = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{db}" SET default_transaction_read_only = {"on" if on else "off"}')
        if on:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (db,))


def test_read_only_postgres_database_keeps_the_data_and_saves_it_once_writable(
        pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_FLUSH_INTERVAL", "60")  # as above: one batch, at flush()
    caplog.set_level(logging.WARNING, logger="jupyter_track")
    run = jt.init(project="ro", store=pg_url)
    log_steps(run, 0, 1000)
    run.flush()
    set_read_only(pg_url, True)
    log_steps(run, 1000, 3000)
    with pytest.raises(StoreError, match=r"read-only.*: 10000 logged points .*not saved yet.*writable"):
        run.flush()
    expect_reported(caplog, "the store is read-only", 10_000)
    assert assert_unbroken_prefixes(jt.load_run(run.path, store=pg_url), KEYS) == 1000  # nothing recorded is lost
    set_read_only(pg_url, False)
    run.flush()
    run.finish()
    assert assert_unbroken_prefixes(jt.load_run(run.path, store=pg_url), KEYS) == 3000
    assert re.search(r"takes writes again", caplog.text)


def test_resuming_a_run_in_a_read_only_postgres_database_starts_and_lands_once_writable(pg_url: str) -> None:
    with jt.init(project="ro", id="again", store=pg_url) as first:
        log_steps(first, 0, 10)
    set_read_only(pg_url, True)
    # the resume claims the run in a write the store refuses now: the writer holds the claim with the data
    run = jt.init(project="ro", id="again", resume="allow", store=pg_url)
    log_steps(run, 10, 20)
    set_read_only(pg_url, False)
    run.finish()
    stored = jt.load_run(run.path, store=pg_url)
    assert stored.state == "finished" and assert_unbroken_prefixes(stored, KEYS) == 20
