"""The compare widget's figures: time to build it for many runs, and the size of its saved state.

A store of ``--runs`` finished runs × ``--metrics`` metrics × ``--steps`` steps is written straight through
``Store.write_batch`` (logging 30M points through ``jt.log`` would measure the logger, not the widget), then
``jt.compare(project=...)`` is timed: listing, one bulk read of every curve, downsampling, bands, table and the
first metric's importance. Figures are printed, never asserted.

Usage::

    python benchmarks/bench_compare.py                       # 1,000 runs × 3 metrics × 10,000 steps
    python benchmarks/bench_compare.py --runs 100 --steps 1000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from jupyter_track.store import open_store
from jupyter_track.store.base import Batch, ChunkWrite, RunWrite, SummaryWrite
from jupyter_track.types import SummaryEntry

METRICS = ("train/loss", "val/loss", "val/acc")


def build_store(folder: Path, runs: int, metrics: int, steps: int, project: str = "bench") -> str:
    """``runs`` finished runs with configs ``lr``/``batch``/``opt`` and ``metrics`` series of ``steps`` points;
    returns the store URL."""
    store = open_store(None, folder)
    rng = np.random.default_rng(0)
    step_arr = np.arange(steps, dtype="<i8")
    times = (1e9 + step_arr).astype("<f8")
    now = time.time()
    for lo in range(0, runs, 50):
        batch = Batch()
        for i in range(lo, min(runs, lo + 50)):
            run_id = f"r{i:06d}"
            lr = float(10 ** rng.uniform(-4, -1))
            config = {"lr": lr, "batch": int(rng.choice([32, 64, 128])), "opt": str(rng.choice(["adam", "sgd"])),
                      "seed": i}
            summary: dict[str, float] = {}  # the runs row's denormalised summary (what a listing reads)
            run = RunWrite(id=run_id, create=True, tags=[], fields={
                "project": project, "entity": None, "name": f"run-{i}", "state": "finished", "group_name": None,
                "job_type": None, "notes": None, "config": config, "meta": {}, "created_at": now + i,
                "updated_at": now + i, "heartbeat_at": now + i, "last_step": steps - 1, "host": "bench",
                "pid": 0, "summary": summary})
            batch.runs.append(run)
            for key in [f"m{k}" if k >= len(METRICS) else METRICS[k] for k in range(metrics)]:
                values = (np.exp(-step_arr / (steps * lr * 30)) + rng.normal(0, 0.02, steps)).astype("<f8")
                batch.chunks.append(ChunkWrite(run_id, key, 0, steps, 0, steps - 1, step_arr.tobytes(),
                                               values.tobytes(), times.tobytes()))
                last = summary[key] = float(values[-1])
                batch.summaries.append(SummaryWrite(run_id, key, SummaryEntry(
                    last, last, float(values.min()), float(values.max()), steps, steps - 1)))
        store.write_batch(batch)
    return store.url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--metrics", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10_000)
    args = parser.parse_args()
    import jupyter_track as jt

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        url = build_store(Path(tmp), args.runs, args.metrics, args.steps)
        print(f"store written: {args.runs:,} runs × {args.metrics} metrics × {args.steps:,} steps "
              f"in {time.perf_counter() - t:.1f} s")
        # warm: imports (anywidget, optuna, sklearn when installed) and the page cache
        jt.compare(project="bench", store=url)
        best = []
        for _ in range(3):
            t = time.perf_counter()
            widget = jt.compare(project="bench", store=url)
            best.append(time.perf_counter() - t)
        method = next(iter(widget.importance.values()), {}).get("method") or "none"
        print(f"build the compare widget: {min(best):.2f} s (best of 3; target ≤ 2 s; importance: {method})")
        state = widget.get_state()
        synced = len(json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css")}, default=str))
        esm = len(str(state.get("_esm", ""))) + len(str(state.get("_css", "")))
        print(f"synced state (saved in a notebook): {synced / 1000:.1f} KB + {esm / 1000:.1f} KB of JS/CSS")
        points = sum(len(c[0]) for per_run in widget._curves for c in per_run if c is not None)
        print(f"curves sent to the view on connect (not saved): {points:,} points, {points * 8 / 1e6:.1f} MB")
        print(f"static fallback HTML: {len(widget.static_html()) / 1000:.1f} KB")


if __name__ == "__main__":
    main()
