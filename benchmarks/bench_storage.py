"""Storage and read figures of issue #17: stored bytes per point, a 1M-point read, ``history()`` of 1,000 keys and a
reader thread polling a run that is logging in the same process; each next to its floor, with the ratio.

Every figure is measured in a fresh interpreter with its own temporary store, ``--repeats`` times (default 3), and
the median printed. Figures are printed, never asserted: machines here are shared and noisy.

Usage::

    python benchmarks/bench_storage.py                 # every row (about 2 minutes)
    python benchmarks/bench_storage.py --repeats 1
    python benchmarks/bench_storage.py --rows read history   # some rows only
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any


def _env(folder: str) -> None:
    os.environ.update(JUPYTER_TRACK_DIR=folder, JUPYTER_TRACK_QUIET="1", JUPYTER_TRACK_CAPTURE="none")


def _stored_bytes(url: str, key: str | None = None) -> tuple[int, int]:
    import sqlalchemy as sa

    from jupyter_track.store.urls import driver_url

    where = "" if key is None else " WHERE key = :k"
    engine = sa.create_engine(driver_url(url))
    with engine.connect() as conn:
        size, points = conn.execute(sa.text('SELECT sum(length(steps) + length("values") + length(times)), sum(n) '
                                            f"FROM metric_chunks{where}"), {"k": key}).one()
    engine.dispose()
    return int(size), int(points)


def bytes_per_point(folder: str) -> dict[str, Any]:
    """250,000 steps × 4 keys logged as fast as possible: a float64 loss with noise (the hardest case), a loss
    from a float32 tensor (``loss.item()``), a constant learning rate and an accuracy in thousandths."""
    import numpy as np

    import jupyter_track as jt

    _env(folder)
    n = 250_000
    rng = np.random.default_rng(0)
    loss = (np.exp(-np.arange(n) / 50_000) + rng.normal(0, 0.01, n)).tolist()
    loss32 = np.asarray(loss, dtype=np.float32).astype(float).tolist()
    acc = (np.round(rng.random(n) * 1000) / 1000).tolist()
    run = jt.init(project="bench", display=False)
    for i in range(n):
        run.log({"loss": loss[i], "loss32": loss32[i], "lr": 3e-4, "acc": acc[i]})
    run.finish()
    url = jt.load_run(run.path).store.url
    size, points = _stored_bytes(url)
    per_key = {k: round(_stored_bytes(url, k)[0] / n, 2) for k in ("loss", "loss32", "lr", "acc")}
    return {"value": size / points, "floor": 24.0, "per_key": per_key}


def read_1m(folder: str, raw: bool) -> dict[str, Any]:
    """One 1M-point metric (float64 with noise, logged as fast as possible) read back as numpy arrays;
    ``raw``: written in the uncompressed layout of earlier versions (the floor)."""
    import numpy as np

    import jupyter_track as jt
    from jupyter_track.store import chunk_codec

    _env(folder)
    if raw:
        chunk_codec.PACK_MIN = 1 << 62  # every chunk stays RAW, as stores before revision 0006 hold them
    values = (np.exp(-np.arange(1_000_000) / 200_000) + np.random.default_rng(0).normal(0, 0.01, 1_000_000)).tolist()
    run = jt.init(project="bench", display=False)
    for v in values:
        run.log({"loss": v})
    run.finish()
    r = jt.load_run(run.path)
    r.metric("loss")  # warm: the page cache, the connection, the imports
    times, cpu, all_cpu = [], [], []
    for _ in range(3):
        start, start_cpu, start_all = time.perf_counter(), time.thread_time(), time.process_time()
        s = r.metric("loss")
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        all_cpu.append(time.process_time() - start_all)
    assert len(s.values) == 1_000_000
    return {"value": statistics.median(times), "cpu": statistics.median(cpu), "all_cpu": statistics.median(all_cpu)}


def history_wide(folder: str) -> dict[str, Any]:
    """``history()`` of every key of a run with 1,000 keys × 2,000 steps; the floor is a DataFrame built from
    numpy arrays of the same shape (``_step`` and 1,000 float columns)."""
    import numpy as np
    import pandas as pd

    import jupyter_track as jt

    _env(folder)
    keys = [f"layer{i:04d}/grad_norm" for i in range(1000)]
    rng = np.random.default_rng(0)
    run = jt.init(project="bench", display=False)
    for _ in range(2000):
        run.log(dict(zip(keys, rng.random(1000).tolist(), strict=True)))
    run.finish()
    r = jt.load_run(run.path)
    r.history()
    ours, floor, cpu, all_cpu = [], [], [], []
    for _ in range(3):
        start, start_cpu, start_all = time.perf_counter(), time.thread_time(), time.process_time()
        frame = r.history()
        ours.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        all_cpu.append(time.process_time() - start_all)
    assert frame.shape == (2000, 1003)
    arrays = {k: rng.random(2000) for k in keys}
    for _ in range(3):
        start = time.perf_counter()
        pd.DataFrame({"_step": np.arange(2000), **arrays})
        floor.append(time.perf_counter() - start)
    return {"value": statistics.median(ours), "floor": statistics.median(floor), "cpu_ms": _ms(cpu),
            "all_cpu_ms": _ms(all_cpu)}


def reader_poll(folder: str, seconds: float = 6.0) -> dict[str, Any]:
    """A reader thread in the logging process polls ``history(min_step=last + 1)`` (only new rows) while the
    main thread logs 5 keys as fast as it can for ``seconds``: each poll's wall time."""
    import jupyter_track as jt

    _env(folder)
    run = jt.init(project="bench", display=False)
    run.log({f"k{j}": 0.0 for j in range(5)}, step=0)
    run.flush()
    r = jt.load_run(run.path)
    polls: list[float] = []
    cpu: list[float] = []  # the reader thread's own CPU time per poll: the rest of a poll is waiting (the GIL)
    rows = [0]
    stop = threading.Event()

    def poll() -> None:
        last = -1
        while not stop.is_set():
            start, start_cpu = time.perf_counter(), time.thread_time()
            new = r.history(min_step=last + 1)
            polls.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
            if len(new):
                last = int(new["_step"].iloc[-1])
                rows[0] += len(new)
            stop.wait(0.1)  # a dashboard's pace: 10 polls a second at most

    reader = threading.Thread(target=poll)
    reader.start()
    deadline, step = time.perf_counter() + seconds, 1
    while time.perf_counter() < deadline:
        for _ in range(1000):
            run.log({"k0": 1.0, "k1": 2.0, "k2": 3.0, "k3": 4.0, "k4": float(step)}, step=step)
            step += 1
    stop.set()
    reader.join()
    run.finish()
    # the first poll imports pandas in the reader thread, beside the busy loop: its time is apart from the others'
    return {"value": statistics.median(polls), "polls": len(polls), "cpu_ms": _ms(cpu), "first_ms": _ms(polls[:1]),
            "max_after_first_ms": round(max(polls[1:], default=0) * 1000, 1), "rows": rows[0], "steps": step}


def _ms(seconds: list[float]) -> float:
    """The median of ``seconds`` in milliseconds, rounded for the printed line."""
    return round(statistics.median(seconds) * 1000, 1)


ROWS = {
    "bytes": ("stored bytes per point (4 keys × 250k steps)", lambda d: bytes_per_point(d), "B", "≤ 8"),
    "read": ("read back a 1M-point metric (numpy)", None, "ms", "≤ 20 ms"),
    "history": ("history() of all keys, 1,000 keys × 2,000 steps", lambda d: history_wide(d), "ms", "≤ 3× floor"),
    "poll": ("reader thread polling history(min_step=) while logging", lambda d: reader_poll(d), "ms",
             "≤ 50 ms per poll"),
}


def _child(row: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        if row == "read":
            ours = read_1m(folder + "/ours", raw=False)
            return {"value": ours["value"], "cpu_ms": _ms([ours["cpu"]]), "all_cpu_ms": _ms([ours["all_cpu"]])}
        if row == "read-raw":
            return read_1m(folder + "/raw", raw=True)
        return ROWS[row][1](folder)  # type: ignore[misc,no-any-return]


def _run(row: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", row], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS), help="the rows to measure")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'what':58s} {'jupyter_track':>14s} {'floor':>10s} {'ratio':>7s}  target")
    for row, (label, _, unit, target) in ROWS.items():
        if row not in args.rows:
            continue
        if row == "read":  # ours and the floor in turns: the machine's load drifts less between them
            pairs = [(_run(row), _run("read-raw")) for _ in range(args.repeats)]
            results = [ours for ours, _ in pairs]
            floor: float | None = statistics.median(raw["value"] for _, raw in pairs)
            for ours, raw in pairs:
                ours["raw_cpu_ms"] = _ms([raw["cpu"]])
        else:
            results = [_run(row) for _ in range(args.repeats)]
            floors = [r["floor"] for r in results if "floor" in r]
            floor = statistics.median(floors) if floors else None
        value = statistics.median(r["value"] for r in results)
        scale = 1000 if unit == "ms" else 1
        shown = f"{value * scale:,.1f} {unit}"
        floor_shown = f"{floor * scale:,.1f} {unit}" if floor is not None else "–"
        ratio = f"{value / floor:.2f}×" if floor else "–"
        print(f"{label:58s} {shown:>14s} {floor_shown:>10s} {ratio:>7s}  {target}")
        # the run whose figure is the median; CPU figures are per call, wall figures (…_ms) of that run
        middle = sorted(results, key=lambda r: r["value"])[len(results) // 2]
        extra = {k: v for k, v in middle.items() if k not in ("value", "floor")}
        if extra:
            print(f"{'':58s} {json.dumps(extra)}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("floors: bytes = raw int64 + float64 + float64; read = the same series in the raw layout of earlier "
          "versions; history = a DataFrame built from the numpy arrays. cpu_ms: the calling thread's CPU time per "
          "call; all_cpu_ms: the process's (the decode helper's and zstd's threads too): on a loaded machine wall "
          "time is the calling thread's CPU plus waiting")


if __name__ == "__main__":
    main()
