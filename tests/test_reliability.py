"""Real processes: a SIGKILLed logger loses at most the last flush interval; 8 writers share one store (SQLite and
PostgreSQL alike)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import jupyter_track as jt
from tests.conftest import REPO, run_python, wait_for
from tests.stores import count_points

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("backend")]

VICTIM = """
import sys, time
import jupyter_track as jt
run = jt.init(project="crash", id="victim")
step = 0
while True:
    run.log({"x": float(step), "y": 1.0})
    step += 1
    if step % 100 == 0:
        time.sleep(0.001)  # a brisk training loop (≤ 100k steps/s): the writer's interval is tested, not its throughput
    if step % 2000 == 0:
        print(step, time.time(), flush=True)
"""


def test_kill_mid_run_loses_at_most_one_flush_interval(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    child = subprocess.Popen([sys.executable, "-c", VICTIM], stdout=subprocess.PIPE, text=True, cwd=REPO,
                             env={**os.environ, "JUPYTER_TRACK_FLUSH_INTERVAL": "0.5"})
    assert child.stdout is not None
    marks: list[tuple[int, float]] = []
    for line in child.stdout:  # three seconds of logging, however long the child took to start
        step, when = line.split()
        marks.append((int(step), float(when)))
        if len(marks) > 10 and marks[-1][1] - marks[0][1] > 3.0:
            break
    killed_at = time.time()
    child.send_signal(signal.SIGKILL)
    child.wait(10)

    db = store_dir / "jupyter_track.db"
    if db.exists():  # the SQLite file survived the kill whole
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = count_points("victim", "x")
    logged_a_second_before = max(s for s, t in marks if t <= killed_at - 1.0)
    assert stored >= logged_a_second_before, (stored, logged_a_second_before, marks[-3:])
    r = jt.load_run("crash/victim")
    values = r.metric("x").values
    assert values.tolist() == [float(i) for i in range(len(values))]  # a prefix, in order, no partial chunk

    monkeypatch.setenv("JUPYTER_TRACK_HEARTBEAT_TIMEOUT", "2")
    assert wait_for(lambda: jt.load_run("crash/victim").state == "crashed", timeout=15, every=0.2)
    with jt.init(project="crash") as after:  # the store opens and takes writes as usual
        after.log({"x": 1.0})
    assert jt.load_run(after.path).state == "finished"


WRITER = """
import sys
import jupyter_track as jt
rank = int(sys.argv[1])
run = jt.init(project="multi", group="exp", job_type=f"rank{rank}", config={"rank": rank})
for step in range(20_000):
    run.log({"loss": 1.0 / (step + 1), "rank": float(rank)})
run.finish()
"""


def test_eight_processes_logging_to_one_store_lose_nothing() -> None:
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(WRITER), str(rank)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in range(8)]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=False):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err, err
    runs = jt.runs("multi", filters={"group": "exp"})
    assert len(runs) == 8 and {r.state for r in runs} == {"finished"}
    for r in runs:
        loss = r.metric("loss")
        rank = r.metric("rank")
        assert len(loss) == 20_000 and len(rank) == 20_000
        assert set(rank.values.tolist()) == {float(r.config["rank"])}
        assert r.summary_stats["loss"]["count"] == 20_000 and r.last_step == 19_999


def test_a_script_that_never_calls_finish_keeps_everything_and_finishes_at_exit() -> None:
    out = run_python("""
        import jupyter_track as jt
        run = jt.init(project="exit", config={"a": 1})
        for i in range(50_000):
            run.log({"x": float(i)})
        print(run.path)
    """)
    r = jt.load_run(out.stdout.split()[-1])
    assert r.state == "finished" and len(r.metric("x")) == 50_000


def test_an_uncaught_exception_marks_the_run_failed() -> None:
    out = run_python("""
        import jupyter_track as jt
        run = jt.init(project="exit")
        run.log({"x": 1.0})
        print(run.path, flush=True)
        raise RuntimeError("boom")
    """, check=False)
    assert out.returncode == 1 and "RuntimeError: boom" in out.stderr
    r = jt.load_run(out.stdout.split()[-1])
    assert r.state == "failed" and r.summary["x"] == 1.0


HOLDER = """
import sys
import jupyter_track as jt
run = jt.init(project="shared", id="one-run")
for step in range(100):
    run.log({"x": float(step)})
run.flush()
print("logging", flush=True)
sys.stdin.readline()  # holds the run, heartbeat and all, until the test is done
"""


def test_a_second_process_cannot_resume_a_run_another_one_is_logging() -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=REPO)
    assert holder.stdout is not None and holder.stdout.readline() == "logging\n"
    try:
        # two writers of one run used to interleave their chunks: half the points were lost without a word
        with pytest.raises(jt.RunIsRunningError, match=rf"is running: process {holder.pid} on .*leave id out"):
            jt.init(project="shared", id="one-run", resume="allow")
    finally:
        holder.kill()
        holder.wait(10)
    # killed on this host: its heartbeat is still fresh, but no process is logging it any more
    with jt.init(project="shared", id="one-run", resume="allow") as resumed:
        assert resumed.step == 100
        resumed.log({"x": 100.0})
    assert jt.load_run("shared/one-run").metric("x").values.tolist() == [float(i) for i in range(101)]
    again = jt.init(project="shared", id="one-run", resume="allow")  # and in one process, a run is logged once
    with pytest.raises(jt.RunIsRunningError, match="is running: this process"):
        jt.init(project="shared", id="one-run", resume="allow", reinit="create_new")
    again.finish()


def test_a_process_killed_right_after_init_leaves_its_run() -> None:
    jt.init(project="early").finish()  # the store exists (a new store's first run is made by the writer)
    out = run_python("""
        import os, signal
        import jupyter_track as jt
        run = jt.init(project="early", config={"lr": 0.1}, tags=["t"])
        print(run.path, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # before the writer thread has even loaded SQLAlchemy
    """, env={"JUPYTER_TRACK_FLUSH_INTERVAL": "1"}, check=False)
    assert out.returncode == -signal.SIGKILL
    r = jt.load_run(out.stdout.split()[-1])
    assert r.state in ("running", "crashed")  # running until its heartbeat ages, then crashed
    assert r.config == {"lr": 0.1} and r.tags == ["t"]
