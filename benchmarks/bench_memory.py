"""The write path at any width: memory, log() latency, small runs, merge flushes, bytes written (issue #17).

Every row is measured in a fresh interpreter with its own temporary store, next to its floor measured in the
same process (the same loop without tracking), and printed with the ratio. Figures are printed, never asserted:
machines here are shared and noisy; each row is the median of ``--repeats`` processes (default 3).

Usage::

    python benchmarks/bench_memory.py             # every row (about 16 minutes on 2 cores)
    python benchmarks/bench_memory.py --quick     # small sizes: a smoke test (about 2 minutes)
    python benchmarks/bench_memory.py --only latency,stalls   # some groups of rows (see --help)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

MB = 1 << 20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _settled(run: Any) -> float:
    """RSS once the writer stored what ``finish()`` handed over (it returns before that write ends)."""
    from jupyter_track.store import settle

    settle(run.store_url)
    return _rss() / MB


def _loop(keys: list[str], steps: int, log: Callable[[dict[str, float]], Any]) -> float:
    t0 = time.perf_counter()
    for step in range(steps):
        base = step * 1e-3
        log({k: base + j for j, k in enumerate(keys)})  # new floats every step, as a training loop makes
    return time.perf_counter() - t0


# -- children: one measurement each, in a fresh interpreter --------------------------------------------------
def child_memory(width: int, steps: int) -> dict[str, Any]:
    """Peak RSS of ``steps`` log() calls of ``width`` keys as fast as possible, against the same loop without
    tracking in this process; RSS after finish() against RSS before init()."""
    import numpy  # noqa: F401 - the floor holds the libraries a run loads too (a training loop has numpy)

    import jupyter_track as jt
    from jupyter_track.store import sql, writer  # noqa: F401

    keys = [f"layer{j // 10}/m{j}" for j in range(width)]
    floor_s = _loop(keys, steps, lambda d: None)
    floor = _peak()
    before = _rss()
    run = jt.init(project="bench", display=False)
    loop_s = _loop(keys, steps, run.log)
    run.finish()
    after = _rss()
    return {"floor_mb": floor / MB, "peak_mb": _peak() / MB, "before_mb": before / MB, "after_mb": after / MB,
            "settled_mb": _settled(run), "floor_s": floor_s, "loop_s": loop_s}


def child_latency(width: int, calls: int) -> dict[str, Any]:
    """p50 of log() with ``width`` keys against a dict copy of the same data (the floor)."""
    import jupyter_track as jt

    clock = time.perf_counter_ns
    data = {f"layer{j // 10}/m{j}": j * 0.5 for j in range(width)}

    def p50(call: Callable[[dict[str, float]], Any]) -> float:
        took = []
        for _ in range(calls):
            t0 = clock()
            call(data)
            took.append(clock() - t0)
        return statistics.median(took) / 1e3

    run = jt.init(project="bench", display=False)
    floor = p50(dict)
    ours = p50(run.log)
    run.finish()
    return {"floor_us": floor, "log_us": ours}


def child_stalls(steps: int) -> dict[str, Any]:
    """log() calls of 5 keys slower than 1 ms in a ``steps``-step loop, and the loop time they take, against the
    same loop without tracking in this process first (the floor: what the machine itself stalls a loop); RSS
    after finish() against RSS before init() (numpy and the store's modules loaded, as for the memory rows)."""
    import numpy  # noqa: F401 - a training loop has numpy loaded

    import jupyter_track as jt
    from jupyter_track.store import sql, writer  # noqa: F401

    clock = time.perf_counter_ns

    def loop(log: Callable[[dict[str, float]], Any]) -> tuple[list[int], int]:
        slow: list[int] = []
        t0 = clock()
        for step in range(steps):
            a = clock()
            log({"loss": 1.0 / (step + 1), "acc": step * 1e-6, "lr": 1e-3, "epoch": step // 1000, "grad": 0.5})
            took = clock() - a
            if took > 1_000_000:
                slow.append(took)
        return slow, clock() - t0

    floor, _ = loop(lambda d: None)
    before = _rss()
    run = jt.init(project="bench", display=False)
    slow, took = loop(run.log)
    run.finish()
    after = _rss()
    return {"over_1ms": len(slow), "over_10ms": sum(t > 10_000_000 for t in slow),
            "max_ms": max(slow, default=0) / 1e6, "share": sum(slow) / took, "floor_1ms": len(floor),
            "floor_max_ms": max(floor, default=0) / 1e6, "before_mb": before / MB, "after_mb": after / MB,
            "settled_mb": _settled(run)}


def child_small(capture: int) -> dict[str, Any]:
    """init() in a fresh process (the store exists), and finish() of a 20-step run (``capture`` 0: with
    ``capture="none"``). finish() hands the last batch (and the capture's results) to the writer; the exit waits
    for it. ``init_cpu_ms``: the CPU time of init()'s thread, steadier than wall time on a loaded machine."""
    import jupyter_track as jt

    c0, t0 = time.thread_time(), time.perf_counter()
    run = jt.init(project="bench", display=False, **({} if capture else {"capture": "none"}))
    init_s, init_cpu = time.perf_counter() - t0, time.thread_time() - c0
    for step in range(20):
        run.log({"loss": 1.0 / (step + 1), "acc": step * 0.01})
    t0 = time.perf_counter()
    run.finish()
    finish_s = time.perf_counter() - t0
    run = jt.init(project="bench", display=False, **({} if capture else {"capture": "none"}))
    for step in range(20):  # a second run: the writer's store is open and SQLAlchemy loaded
        run.log({"loss": 1.0 / (step + 1), "acc": step * 0.01})
    t0 = time.perf_counter()
    run.finish()
    return {"init_ms": init_s * 1e3, "init_cpu_ms": init_cpu * 1e3, "finish_ms": finish_s * 1e3,
            "again_ms": (time.perf_counter() - t0) * 1e3}


def child_merge(width: int) -> dict[str, Any]:
    """The writer flush that folds the run's tail: every key's small chunks merged into one (after MERGE_AFTER - 1
    flushes of a step each, tail rows, the next folds): wall time, and the process's CPU time meanwhile (the logging
    thread waits: it is the writer's)."""
    import jupyter_track as jt
    from jupyter_track.store.packing import MERGE_AFTER

    keys = [f"layer{j // 10}/m{j}" for j in range(width)]
    # no system monitor: its samples, every 2 s, are tail rows too, and one would fold the tail a flush early
    run = jt.init(project="bench", display=False, capture="none")
    plain, plain_cpu = [], []
    for step in range(MERGE_AFTER - 1):
        run.log({k: step + j * 1e-3 for j, k in enumerate(keys)})
        c0, t0 = time.process_time(), time.perf_counter()
        run.flush()
        plain.append(time.perf_counter() - t0)
        plain_cpu.append(time.process_time() - c0)
    run.log({k: j * 1e-3 for j, k in enumerate(keys)})
    c0, t0 = time.process_time(), time.perf_counter()
    run.flush()
    merge, merge_cpu = time.perf_counter() - t0, time.process_time() - c0
    run.finish()
    return {"merge_ms": merge * 1e3, "plain_ms": statistics.median(plain[1:]) * 1e3, "merge_cpu_ms": merge_cpu * 1e3,
            "plain_cpu_ms": statistics.median(plain_cpu[1:]) * 1e3}


def child_wide(width: int, calls: int) -> dict[str, Any]:
    """One writer flush of ``calls`` log() calls of ``width`` keys (a buffer and flush interval large enough to
    hold them all): wall time, and the process's CPU time meanwhile (the logging thread waits: the writer's)."""
    os.environ["JUPYTER_TRACK_BUFFER_POINTS"] = str(2 * width * calls)
    os.environ["JUPYTER_TRACK_FLUSH_INTERVAL"] = "1"
    import jupyter_track as jt

    keys = [f"layer{j // 10}/m{j}" for j in range(width)]
    run = jt.init(project="bench", display=False, capture="none")
    run.log({k: 0.0 for k in keys})
    run.flush()  # the store open, its statements and the keys' summaries made; the next wake-up a second away
    for step in range(1, calls + 1):
        run.log({k: step * 1e-3 + j for j, k in enumerate(keys)})
    c0, t0 = time.process_time(), time.perf_counter()
    run.flush()
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    run.finish()
    return {"flush_ms": took * 1e3, "flush_cpu_ms": cpu * 1e3}


def child_written(width: int, seconds: int, rate: int = 50, flush_ms: int = 1000) -> dict[str, Any]:
    """A run logging ``width`` keys at ``rate`` steps/s for ``seconds``, then finished: the bytes this process passed
    to write() meanwhile (``/proc/self/io``'s wchar: SQLite's WAL frames and checkpoints, every merge's rewrite)
    against the raw bytes of the points logged (int64 step + float64 value + float64 time: 24 a point). ``flush_ms``:
    the writer's interval (a slow loop's flushes of a point each, in a tenth of the time at 100 ms)."""
    os.environ["JUPYTER_TRACK_FLUSH_INTERVAL"] = str(flush_ms / 1000)
    import jupyter_track as jt

    keys = [f"layer{j // 10}/m{j}" for j in range(width)]
    run = jt.init(project="bench", display=False, capture="none")
    run.log({k: 0.0 for k in keys})
    run.flush()  # the store made and the run's row written: not part of the metrics' bytes
    w0, c0, t0 = _wchar(), time.process_time(), time.perf_counter()
    steps = rate * seconds
    for step in range(1, steps + 1):
        run.log({k: step * 1e-3 + j * 0.37 + random.random() for j, k in enumerate(keys)})
        time.sleep(max(0.0, t0 + step / rate - time.perf_counter()))
    run.finish()
    _settled(run)  # finish() hands the last batch over: its write counts too
    written, cpu = _wchar() - w0, time.process_time() - c0
    return {"written_mb": written / MB, "raw_mb": steps * width * 24 / MB, "cpu_pct": 100 * cpu / seconds}


def child_idle(seconds: int) -> dict[str, Any]:
    """A run that logs nothing for ``seconds`` (a notebook left open between cells), its system monitor sampling
    every 2 s: the bytes this process passed to write() meanwhile, and the raw bytes of the samples."""
    import jupyter_track as jt

    run = jt.init(project="bench", display=False, capture="system")
    run.log({"loss": 1.0})
    run.flush()
    time.sleep(3)  # the first samples and the monitor's start
    w0 = _wchar()
    time.sleep(seconds)
    written = _wchar() - w0
    samples = jt.load_run(run.path).history(stream="system")
    keys = len([c for c in samples.columns if not c.startswith("_")])
    run.finish()
    return {"written_kb_s": written / seconds / 1e3, "raw_kb_s": keys * 24 / 2 / 1e3}


def _wchar() -> int:
    """The bytes this process has passed to write() (``/proc/self/io``)."""
    with open("/proc/self/io") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("wchar:"))


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "memory": child_memory, "latency": child_latency, "stalls": child_stalls, "small": child_small,
    "merge": child_merge, "wide": child_wide, "written": child_written, "idle": child_idle,
}


GROUPS = tuple(CHILDREN)  # the groups of rows, each measured by its child


def run_child(store: str, name: str, *args: int) -> dict[str, Any]:
    env = {**os.environ, "JUPYTER_TRACK_DIR": store, "JUPYTER_TRACK_DISPLAY": "0", "JUPYTER_TRACK_QUIET": "1"}
    out = subprocess.run([sys.executable, __file__, "--child", name, *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"{name}{args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def after_finish(m: dict[str, float]) -> tuple[str, str, str, str, str]:
    """The row of RSS after finish(): right after it returns / once the writer stored the last batch."""
    before = m["before_mb"]
    return (f"… RSS after finish() (before init(): {before:.0f} MB): right after / once stored",
            f"{m['after_mb']:.0f} / {m['settled_mb']:.0f} MB", "",
            f"{m['after_mb'] / before:.2f}× / {m['settled_mb'] / before:.2f}×", "≤ 1.2× before init()")


def median_of(repeats: int, measure: Callable[[], dict[str, Any]]) -> dict[str, float]:
    runs = [measure() for _ in range(repeats)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--repeats", type=int, default=3, help="processes per row (median)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups of rows to measure (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, *sizes = args.child
        print(json.dumps(CHILDREN[name](*map(int, sizes))))
        return 0
    only = set(args.only.split(","))
    if only - set(GROUPS):
        parser.error(f"--only: unknown groups {', '.join(sorted(only - set(GROUPS)))}; pick from {', '.join(GROUPS)}")
    q = args.quick
    wide100, wide1000, stall_steps = (20_000, 3_000, 200_000) if q else (200_000, 60_000, 2_000_000)
    rows: list[tuple[str, str, str, str, str]] = []  # what, figure, floor, ratio, target
    with tempfile.TemporaryDirectory() as store:
        def med(name: str, *sizes: int) -> dict[str, float]:
            return median_of(args.repeats, lambda: run_child(store, name, *sizes))

        for width, steps in ((100, wide100), (1000, wide1000)) if "memory" in only else ():
            m = med("memory", width, steps)
            rows.append((f"peak RSS, {width:,} keys/step, {steps // 1000}k steps", f"{m['peak_mb']:.0f} MB",
                         f"{m['floor_mb']:.0f} MB", f"+{m['peak_mb'] - m['floor_mb']:.0f} MB",
                         "≤ floor + 64 MB"))
            rows.append(after_finish(m))
            rows.append(("… loop time (log → finish)", f"{m['loop_s']:.1f} s", f"{m['floor_s']:.1f} s",
                         f"{m['loop_s'] / m['floor_s']:.1f}×", ""))
        for width, calls in ((100, 20_000), (1000, 5_000)) if "latency" in only else ():
            m = med("latency", width, calls // (10 if q else 1))
            rows.append((f"log() p50, {width:,} keys", f"{m['log_us']:.1f} µs", f"{m['floor_us']:.1f} µs (dict copy)",
                         f"{m['log_us'] / m['floor_us']:.1f}×", "≤ 2× floor"))
        for capture in (1, 0) if "small" in only else ():
            m = med("small", capture)
            how = "" if capture else ', capture="none"'
            rows.append((f"finish() of a small run (20 steps{how}): first run of the process / next run",
                         f"{m['finish_ms']:.1f} ms / {m['again_ms']:.1f} ms", "", "", "≤ 10 ms"))
            rows.append((f"init() in a fresh process{how}", f"{m['init_ms']:.1f} ms ({m['init_cpu_ms']:.1f} ms CPU)",
                         "", "", "≤ 10 ms"))
        if "stalls" in only:
            m = med("stalls", stall_steps)
            rows.append((f"log() calls over 1 ms, {stall_steps // 1000:,}k-step loop (5 keys)",
                         f"{m['over_1ms']:.0f} ({m['over_10ms']:.0f} over 10 ms, max {m['max_ms']:.1f} ms)",
                         f"{m['floor_1ms']:.0f} (max {m['floor_max_ms']:.1f} ms; the loop without tracking)",
                         f"{m['share']:.1%} of the loop", "none over 1 ms"))
            rows.append(after_finish(m))
        if "merge" in only:
            merges = {w: med("merge", w) for w in (1000, 3000)}
            for width, m in merges.items():
                rows.append((f"writer merge flush, {width:,} keys", f"{m['merge_ms']:.0f} ms "
                             f"(CPU {m['merge_cpu_ms']:.0f} ms)",
                             f"{m['plain_ms']:.0f} ms (CPU {m['plain_cpu_ms']:.0f} ms; a flush without merges)",
                             f"{m['merge_ms'] / m['plain_ms']:.1f}×", "linear in keys"))
            rows.append(("… 3,000 / 1,000 keys", f"{merges[3000]['merge_ms'] / merges[1000]['merge_ms']:.1f}×", "3×",
                         "", "≈ 3× (linear)"))
        if "wide" in only:
            width, calls = (1000, 200) if q else (1000, 2000)
            m = med("wide", width, calls)
            rows.append((f"writer flush of {calls:,} calls × {width:,} keys (one batch)",
                         f"{m['flush_ms']:.0f} ms (CPU {m['flush_cpu_ms']:.0f} ms)", "", "", ""))
        for width in (1000, 3000) if "written" in only else ():
            seconds = 4 if q else 20
            m = med("written", width, seconds)
            rows.append((f"bytes written, {width:,} keys at 50 steps/s for {seconds} s (log → finish)",
                         f"{m['written_mb']:.1f} MB", f"{m['raw_mb']:.1f} MB (24 B a point)",
                         f"{m['written_mb'] / m['raw_mb']:.2f}× (the process's CPU: {m['cpu_pct']:.0f} % of a core)",
                         "≤ 2× raw"))
        if "written" in only:  # a slow loop: a point a key and flush, past a key's SMALL_CHUNK open points
            seconds = 12 if q else 120
            m = med("written", 1000, seconds, 10, 100)
            rows.append((f"… 1,000 keys at a step a flush (10 steps/s, 0.1 s flushes) for {seconds} s (log → finish)",
                         f"{m['written_mb']:.1f} MB", f"{m['raw_mb']:.1f} MB (24 B a point)",
                         f"{m['written_mb'] / m['raw_mb']:.2f}× (the process's CPU: {m['cpu_pct']:.0f} % of a core)",
                         ""))
        if "idle" in only:  # a run left open: a commit a heartbeat, not a sample
            seconds = 12 if q else 60
            m = med("idle", seconds)
            rows.append((f"bytes written by an idle run (nothing logged, system samples every 2 s), {seconds} s",
                         f"{m['written_kb_s']:.1f} KB/s ({m['written_kb_s'] * 86_400 / 1e6:.2f} GB a day)",
                         f"{m['raw_kb_s'] * 1e3:.0f} B/s (the samples)",
                         f"{m['written_kb_s'] / m['raw_kb_s']:.0f}×", ""))
    head = ("what", "jupyter_track", "floor (same process)", "ratio", "target")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{os.cpu_count()} cores, Python {sys.version.split()[0]}; medians of {args.repeats} processes per row.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
