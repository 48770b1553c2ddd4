"""The load run: N real processes log S steps of K metrics each into one store at the same time; every point is
then counted back. Used by tests/test_load.py (reduced) and benchmarks/bench_reliability.py (full size)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

WRITER = """
import os, sys, time
import jupyter_track as jt
url, group, rank, steps, nkeys, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), \\
    sys.argv[6]
keys = [f"m{k}" for k in range(nkeys)]
run = jt.init(project="load", group=group, job_type=f"rank{rank}", config={"rank": rank}, store=url, display=False)
run.flush()  # the store is open and the run's row written: the timed part is logging, not process start-up
print("ready", flush=True)
while not os.path.exists(go):  # a start line: every process logs at the same time
    time.sleep(0.005)
started = time.time()
log = run.log
for step in range(steps):
    value = float(step)
    log(dict.fromkeys(keys, value))
run.finish()
print("done", run.id, started, time.time(), flush=True)
"""


@dataclass
class LoadResult:
    backend: str
    processes: int
    steps: int
    metrics: int
    seconds: float  # from the first process's first log() to the last one's finish() (all durable)
    points: int  # logged
    counted: int  # read back
    errors: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.points - self.counted

    @property
    def rate(self) -> float:
        return self.points / self.seconds if self.seconds > 0 else 0.0


def run_load(url: str, backend: str, processes: int, steps: int, metrics: int, timeout: float = 600,
             env: dict[str, str] | None = None) -> LoadResult:
    """Start ``processes`` writers against ``url``, release them together, wait, and count every point back."""
    from jupyter_track.api import runs as read_runs

    group = f"load-{secrets.token_hex(4)}"
    go = Path(os.environ.get("TMPDIR", "/tmp")) / f"jt-go-{group}"
    child_env = {**os.environ, "JUPYTER_TRACK_CAPTURE": "none", "JUPYTER_TRACK_QUIET": "1", **(env or {})}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, group, str(rank), str(steps), str(metrics), str(go)],
                              cwd=REPO, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for rank in range(processes)]
    errors: list[str] = []
    try:
        for p in procs:  # every process has its run and its writer before anyone logs
            assert p.stdout is not None
            line = p.stdout.readline()
            if line.strip() != "ready":
                errors.append(f"a writer did not start: {line!r} {p.stderr.read() if p.stderr else ''}")
        go.touch()
        outputs = [p.communicate(timeout=timeout) for p in procs]
    finally:
        go.unlink(missing_ok=True)
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    spans = []
    for p, (out, err) in zip(procs, outputs, strict=True):
        if p.returncode != 0 or "Traceback" in err or "jupyter_track:" in err:
            errors.append(f"exit {p.returncode}: {err[-2000:]}")
        for line in out.splitlines():
            if line.startswith("done"):
                _, _run_id, started, ended = line.split()
                spans.append((float(started), float(ended)))
    seconds = max(e for _, e in spans) - min(s for s, _ in spans) if spans else 0.0
    counted = 0
    found = read_runs("load", filters={"group": group}, store=url)
    if len(found) != processes:
        errors.append(f"{len(found)} runs in the store, {processes} expected")
    expected = np.arange(steps)
    for r in found:
        if r.state != "finished":
            errors.append(f"run {r.id} is {r.state}")
        for key in (f"m{k}" for k in range(metrics)):
            series = r.metric(key)
            if not (np.array_equal(series.steps, expected) and np.array_equal(series.values, expected.astype(float))):
                errors.append(f"run {r.id} {key}: {len(series)} points, steps not exactly 0..{steps - 1}")
            counted += len(series)
    return LoadResult(backend, processes, steps, metrics, seconds, processes * steps * metrics, counted, errors)
