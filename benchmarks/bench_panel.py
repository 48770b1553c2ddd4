"""The live run panel's cost: update time, bytes per update and share of wall time, by run width; and the
slowdown a panel adds to a small training loop.

Every figure is measured in a fresh interpreter with its own temporary store, the panel's messages counted
where they would go over the wire (no frontend here). Figures are printed, never asserted: machines here are
shared and noisy; the slowdown is a ratio against the same loop without a panel in the same process
(medians of ``--repeats``, alternating), which is what to compare across machines.

Rows (the targets of issue #17):

* update time p50 / max, idle (nothing new) and with new data, for a run of ``keys`` × ``steps``: ≤ 10 ms;
* bytes of the first update and the most of any update: ≤ 1 MB;
* the feeder's share of wall time while a loop logs that run: ≤ 2 %;
* the slowdown of a 5-key loop with the panel: ≤ 2 %.

Usage::

    python benchmarks/bench_panel.py            # 5 and 1,000 keys × 2,000 steps, a 1M-step loop (~5 min)
    python benchmarks/bench_panel.py --quick    # smaller: a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any


def _panel(run: Any, start: bool) -> Any:
    from jupyter_track.widgets.run_panel import Feeder, RunPanel

    class Counting(RunPanel):  # no frontend here: what is sent is counted by the feeder
        def send(self, content: Any, buffers: Any = None) -> None:
            pass

    widget = Counting(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(widget, run.store_url, run.id, step_metric=run.step_metric_for)
    if start:
        feeder.start()
        run.on_finish(feeder.finish)
    return feeder


def child_updates(width: int, steps: int, seconds: int, runs: int) -> dict[str, Any]:
    """Updates of a panel over a run of ``width`` keys × ``steps`` steps: the first (the whole run so far),
    idle ones, ones with 20 new steps each; then the feeder's share of the wall time of a loop logging that
    width for ``seconds``, in each of ``runs`` runs."""
    import jupyter_track as jt

    keys = [f"layer{j // 10}/m{j}" for j in range(width - 1)] + ["train/loss"]
    run = jt.init(project="bench", display=False)
    for step in range(steps):
        run.log({k: step * 0.001 + j for j, k in enumerate(keys)})
    run.flush()
    feeder = _panel(run, start=False)
    t0 = time.perf_counter()
    feeder.tick()
    first_s, first_bytes = time.perf_counter() - t0, sum(feeder.update_bytes)
    feeder.update_bytes.clear()
    idle, busy = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        feeder.tick()
        idle.append(time.perf_counter() - t0)
    for i in range(20):
        for step in range(steps + 20 * i, steps + 20 * (i + 1)):
            run.log({k: step * 0.001 + j for j, k in enumerate(keys)})
        run.flush()
        feeder._looked_at = 0.0 if i % 4 else feeder._looked_at  # a look once a second, as at 4 updates/s
        t0 = time.perf_counter()
        feeder.tick()
        busy.append(time.perf_counter() - t0)
    run.finish()
    # the share of wall time: a loop logging the same width, a live panel fed by its thread; ``runs`` runs of
    # ``seconds`` each (a run has tens of updates at most: one alone is too few to tell 2 % from 3 %)
    shares, wall_shares, updates = [], [], []
    for _ in range(runs):
        run = jt.init(project="bench", display=False)
        feeder = _panel(run, start=True)
        t0 = time.perf_counter()
        step = 0
        while time.perf_counter() - t0 < seconds:
            for _ in range(100):
                run.log({k: step * 0.001 + j for j, k in enumerate(keys)})
                step += 1
        wall = time.perf_counter() - t0
        shares.append(100 * sum(feeder.tick_cpu_seconds) / wall)
        wall_shares.append(100 * sum(feeder.tick_seconds) / wall)
        updates.append(len(feeder.tick_seconds))
        run.finish()
    return {"first_s": first_s, "first_bytes": first_bytes, "idle_p50_s": statistics.median(idle),
            "idle_max_s": max(idle), "new_p50_s": statistics.median(busy), "new_max_s": max(busy),
            "max_update_bytes": max(feeder.update_bytes, default=0), "shares": shares,
            "wall_shares": wall_shares, "updates_in_loop": updates}


def child_slowdown(steps: int, repeats: int) -> dict[str, Any]:
    """A 5-key loop with a live panel and without, alternating, in this one process: the medians of each, and
    the median of the pairs' ratios (the slowdown)."""
    import jupyter_track as jt

    def loop(panel: bool) -> tuple[float, float]:
        """The loop's wall time, and the process's CPU time over it (every thread: the writer's, the panel's)."""
        run = jt.init(project="bench-panel", display=False)
        if panel:
            _panel(run, start=True)
        log = run.log
        t0, c0 = time.perf_counter(), time.process_time()
        for step in range(steps):
            log({"loss": 1.0 / (step + 1), "acc": step / steps, "lr": 0.1, "grad": step * 0.5, "epoch": step // 1000})
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        run.finish()
        return seconds, cpu

    loop(False)  # warm-up: imports, the store's first open
    without, with_panel = [], []
    for i in range(repeats):  # which of a pair runs first alternates: neither has the warmer machine always
        if i % 2:
            with_panel.append(loop(True))
            without.append(loop(False))
        else:
            without.append(loop(False))
            with_panel.append(loop(True))
    a, b = statistics.median(w for w, _ in without), statistics.median(w for w, _ in with_panel)
    # each pair ran back to back: the median of their ratios is less swayed by a machine busy elsewhere
    ratios = [100 * (w[0] / o[0] - 1) for o, w in zip(without, with_panel, strict=True)]
    # the CPU time the panel adds (its thread's, handing the GIL over): less swayed by other processes than
    # wall time, which on a loaded machine is mostly the time this process waits for a core
    cpu = [100 * (w[1] / o[1] - 1) for o, w in zip(without, with_panel, strict=True)]
    return {"without_s": a, "with_s": b, "slowdown_percent": statistics.median(ratios), "pairs": ratios,
            "cpu_percent": statistics.median(cpu), "cpu_pairs": cpu}


CHILDREN = {"updates": child_updates, "slowdown": child_slowdown}


def run_child(name: str, *args: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JUPYTER_TRACK_DIR": tmp, "JUPYTER_TRACK_QUIET": "1", "JUPYTER_TRACK_DISPLAY": "0"}
        out = subprocess.run([sys.executable, __file__, "--child", name, *map(str, args)], capture_output=True,
                             text=True, env=env, cwd=tmp, timeout=900)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--repeats", type=int, default=5, help="pairs of slowdown loops (median)")
    parser.add_argument("--share-runs", type=int, default=4, help="runs of the CPU-share loop per width (median)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*map(int, args.child[1:]))))
        return 0
    steps = 500 if args.quick else 2_000
    loop_steps = 100_000 if args.quick else 1_000_000
    rows = [("measure", "target", "jupyter_track")]
    for width in (5, 1_000):
        print(f"  measuring {width} keys × {steps:,} steps …", file=sys.stderr, flush=True)
        r = run_child("updates", width, steps, 4 if args.quick else 15, 1 if args.quick else args.share_runs)
        if "error" in r:
            rows.append((f"live panel, {width:,} keys", "", r["error"][:60]))
            continue
        ms = lambda s: f"{s * 1000:,.1f}"  # noqa: E731
        spread = lambda xs: f"{statistics.median(xs):.2f} % ({min(xs):.2f}–{max(xs):.2f})"  # noqa: E731
        rows += [
            (f"live panel update, {width:,} keys × {steps:,} steps: idle p50 / max (ms)", "<= 10",
             f"{ms(r['idle_p50_s'])} / {ms(r['idle_max_s'])}"),
            ("  … with 20 new steps, p50 / max (ms)", "<= 10", f"{ms(r['new_p50_s'])} / {ms(r['new_max_s'])}"),
            ("  … first update (the run so far): ms, bytes", "<= 1 MB",
             f"{ms(r['first_s'])} ms, {r['first_bytes']:,}"),
            ("  … most bytes in one update while logging", "<= 1 MB", f"{r['max_update_bytes']:,}"),
            ("  … the feeder's CPU time while a loop logs that width, % of wall time: median (range)", "<= 2 %",
             f"{spread(r['shares'])} ({len(r['shares'])} runs, {sum(r['updates_in_loop'])} updates)"),
            ("  … its updates' wall time (waits for the GIL included), % of wall time", "",
             spread(r["wall_shares"])),
        ]
    print(f"  measuring the slowdown of a {loop_steps:,}-step 5-key loop …", file=sys.stderr, flush=True)
    r = run_child("slowdown", loop_steps, 1 if args.quick else args.repeats)
    rows.append((f"live panel: {loop_steps:,}-step loop, 5 keys, slowdown (without / with)", "<= 2 %",
                 r.get("error", "")[:60] or
                 f"{r['slowdown_percent']:+.1f} % (pairs {min(r['pairs']):+.1f}…{max(r['pairs']):+.1f} %; "
                 f"medians {r['without_s']:.2f} s / {r['with_s']:.2f} s)"))
    if "error" not in r:
        rows.append(("  … the process's CPU time over that loop, more with the panel", "",
                     f"{r['cpu_percent']:+.1f} % (pairs {min(r['cpu_pairs']):+.1f}…{max(r['cpu_pairs']):+.1f} %)"))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for i, row in enumerate(rows):
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print("-|-".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
