"""The core benchmark: jupyter_track's figures against the targets of DESIGN.md, and against its peers.

Prints one table. Every figure is measured in a fresh interpreter with its own temporary store (see
``trackers.py`` for how, and for the peers' offline settings). The shared workloads (import, init, log
latency, ingest, read-back) run through the same code for every tracker; peers that are not installed are
left out (``pip install -e .[bench]`` installs wandb, mlflow and trackio). The rows only jupyter_track has
(1M-point read-back, listing 10,000 runs) run in a subprocess of this script.

Figures are printed, never asserted: machines here are shared and noisy. Throughput rows run ``--repeats``
times (default 3) and report the median.

Usage::

    python benchmarks/bench_logging.py            # everything (about 8 minutes with all peers)
    python benchmarks/bench_logging.py --quick    # small sizes, no peers: a smoke test (about 20 s)
    python benchmarks/bench_logging.py --no-peers --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import trackers

OURS = "jupyter_track"

# (label, workload, figure, unit, target, higher_is_better, parameters)
SHARED_ROWS: list[tuple[str, str, str, str, str, bool, dict[str, Any]]] = [
    ("import", "import", "import_s", "ms", "<= 150 ms", False, {}),
    ("init() on a new store", "init", "init_s", "ms", "<= 300 ms", False, {}),
    ("log() of 5 scalars, median", "log_latency", "median_us", "µs", "<= 5 µs", False, {"calls": 20_000}),
    ("log() of 5 scalars, p99", "log_latency", "p99_us", "µs", "<= 50 µs", False, {"calls": 20_000}),
    ("ingest, 1M points, log → durable", "ingest", "points_per_s", "points/s", ">= 1,000,000", True,
     {"steps": 200_000}),
    ("read back a metric", "read", "read_s", "ms", "", False, {"points": 200_000}),
]
QUICK = {"log_latency": {"calls": 2_000}, "ingest": {"steps": 5_000}, "read": {"points": 5_000}}


# -- rows only jupyter_track has (run in a child process of this script) ---------------------------------------
def own_ingest(steps: int) -> dict[str, Any]:
    """Sustained ingest at a larger size than the shared row: ``steps`` × 5 scalars, then finish()."""
    import jupyter_track as jt

    run = jt.init(project="bench")
    log = run.log
    t0 = time.perf_counter()
    for step in range(steps):
        x = float(step)
        log({"loss": x, "accuracy": x + 1, "lr": x + 2, "grad_norm": x + 3, "throughput": x + 4}, step=step)
    run.finish()
    seconds = time.perf_counter() - t0
    return {"points_per_s": steps * 5 / seconds, "seconds": seconds}


def own_read(points: int) -> dict[str, Any]:
    """Read one ``points``-point metric back: as numpy arrays and as a pandas history frame (median of 5)."""
    import pandas  # noqa: F401 - imported once, outside the timed reads, as a notebook would have it

    import jupyter_track as jt

    run = jt.init(project="bench")
    for step in range(points):
        run.log({"loss": 1.0 / (step + 1)})
    run.finish()
    stored = jt.load_run(run.path)
    numpy_s, frame_s = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        series = stored.metric("loss")
        numpy_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        frame = stored.history(keys=["loss"])
        frame_s.append(time.perf_counter() - t0)
    assert len(series) == points and len(frame) == points
    return {"numpy_s": statistics.median(numpy_s), "history_s": statistics.median(frame_s)}


def make_runs(runs: int, project: str = "big") -> Any:
    """``runs`` finished runs, written straight through the store in batches of 1,000: a config, three summary
    metrics (in the summaries table and on the run row, as the writer keeps them), tags, a notebook."""
    from jupyter_track.store import open_store
    from jupyter_track.store.base import Batch, RunWrite, SummaryWrite
    from jupyter_track.types import SummaryEntry

    store = open_store()
    rng = random.Random(0)
    now = time.time()
    for first in range(0, runs, 1000):
        batch = Batch()
        for i in range(first, min(runs, first + 1000)):
            run_id = f"run{i:06d}"
            summary = {k: rng.random() for k in ("acc", "loss", "val/acc")}
            fields = {"project": project, "name": run_id, "state": "finished", "config": {
                "lr": rng.random(), "layers": i % 5, "optimizer": "adam"}, "meta": {"notebook": {
                    "path": f"/home/u/train{i % 3}.ipynb", "relative": f"train{i % 3}.ipynb"}},
                "created_at": now + i, "updated_at": now, "finished_at": now + i + 60, "summary": summary}
            batch.runs.append(RunWrite(id=run_id, fields=fields, create=True, tags=["sweep"]))
            for key, v in summary.items():
                batch.summaries.append(SummaryWrite(run_id, key, SummaryEntry(v, v, v, v, 100, 99)))
        store.write_batch(batch)
    return store


def own_list(runs: int) -> dict[str, Any]:
    """``runs`` finished runs with a config and 3 summary metrics; list them sorted by a summary metric."""
    import pandas  # noqa: F401

    import jupyter_track as jt

    store = make_runs(runs)
    full, page, frame = [], [], []
    for _ in range(5):
        t0 = time.perf_counter()
        listed = jt.runs("big", order="-summary.acc")
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        listed.to_pandas()
        frame.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.list_runs("big", order="-summary.acc", limit=50)
        page.append(time.perf_counter() - t0)
    assert len(listed) == runs
    return {"full_s": statistics.median(full), "page_s": statistics.median(page),
            "pandas_s": statistics.median(frame)}


def own_panel(steps: int) -> dict[str, Any]:
    """A loop logging 3 metrics per step, with a live panel fed from the store and without one: the
    slowdown, the bytes sent to the frontend, and what one finished panel adds to a saved notebook."""
    import jupyter_track as jt
    from jupyter_track.widgets.run_panel import Feeder, RunPanel

    class Counting(RunPanel):  # no frontend here: count what would go over the wire
        def send(self, content: Any, buffers: Any = None) -> None:
            pass

    def loop(panel: bool) -> tuple[float, Any]:
        run = jt.init(project="bench-panel", display=False)
        feeder = None
        if panel:
            widget = Counting(run_name=run.name, run_path=run.path, started_at=run.start_time)
            feeder = Feeder(widget, run.store_url, run.id)
            feeder.start()
            run.on_finish(feeder.finish)
        log = run.log
        t0 = time.perf_counter()
        for step in range(steps):
            log({"loss": 1.0 / (step + 1), "acc": step / steps, "lr": 0.1})
        seconds = time.perf_counter() - t0
        run.finish()
        return seconds, feeder

    without = statistics.median(loop(False)[0] for _ in range(3))
    timed = [loop(True) for _ in range(3)]
    with_panel = statistics.median(t for t, _ in timed)
    feeder = timed[-1][1]
    widget_bytes = len(json.dumps({k: v for k, v in feeder.panel.get_state().items() if k != "snapshot"},
                                  default=str)) + len(feeder.panel.snapshot) * 4 // 3 + len(feeder.static_html())
    return {"slowdown_percent": 100 * (with_panel / without - 1), "bytes_sent": feeder.bytes_sent,
            "updates": feeder.updates, "loop_s": with_panel, "widget_bytes": widget_bytes}


def own_monitor(seconds: int) -> dict[str, Any]:
    """The system monitor's CPU cost at its default 2 s interval, from its own thread's CPU time."""
    from jupyter_track.capture.system import measure_overhead

    return measure_overhead(seconds=float(seconds), interval=2.0)


OWN: dict[str, Callable[[int], dict[str, Any]]] = {"ingest": own_ingest, "read": own_read, "list": own_list,
                                                   "monitor": own_monitor, "panel": own_panel}


def run_own(name: str, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JUPYTER_TRACK_DIR": tmp, "JUPYTER_TRACK_QUIET": "1"}
        out = subprocess.run([sys.executable, __file__, "--child", name, str(size)], capture_output=True,
                             text=True, env=env, cwd=tmp, timeout=900)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# -- the table ------------------------------------------------------------------------------------------------
def median_of(repeats: int, measure: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    results = [measure() for _ in range(repeats)]
    good = [r for r in results if "error" not in r]
    if not good:
        return results[0]
    figures = {k: statistics.median(r[k] for r in good) for k, v in good[0].items()
               if isinstance(v, int | float) and not isinstance(v, bool) and all(k in r for r in good)}
    if any(r.get("truncated") for r in good):
        figures["truncated"] = True
    return figures


def show(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value * 1000:,.1f}"
    if unit == "points/s":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def ratio(ours: float | None, peer: float | None, higher_is_better: bool) -> str:
    """How many times better jupyter_track is than the peer (> 1: we are faster)."""
    if not ours or not peer:
        return ""
    times = ours / peer if higher_is_better else peer / ours
    return f"{times:,.1f}×" if times >= 10 else f"{times:,.2f}×"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat, no peers")
    parser.add_argument("--no-peers", action="store_true", help="measure jupyter_track only")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the throughput rows (median)")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    peers = [] if args.quick or args.no_peers else [p for p in trackers.PEERS if trackers.available(p)]
    figures: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "python": sys.version.split()[0]}}

    header = ["measure", "target", "jupyter_track", *[f"{p} (×)" for p in peers]]
    rows: list[list[str]] = []
    for label, workload, figure, unit, target, higher, params in SHARED_ROWS:
        params = {**params, **(QUICK.get(workload, {}) if args.quick else {})}
        if workload in ("import", "init"):
            params["repeats"] = 1 if args.quick else 5
        cache_key = f"{workload}:{json.dumps(params, sort_keys=True)}"
        results = {}
        for tracker in [OURS, *peers]:
            key = f"{tracker}/{cache_key}"
            if key not in figures:
                print(f"  measuring {tracker} {workload} …", file=sys.stderr, flush=True)
                throughput = workload in ("ingest", "read")
                figures[key] = median_of(repeats if throughput else 1,
                                         lambda t=tracker, w=workload, p=params: trackers.measure(t, w, **p))
            results[tracker] = figures[key]
        ours = results[OURS].get(figure)
        if workload == "ingest":
            label = f"ingest, {params['steps'] * 5:,} points, log → durable"
        if workload == "read":
            label = f"read back a {params['points']:,}-point metric"
        cells = [label, target, show(ours, unit)]
        for peer in peers:
            theirs = results[peer].get(figure)
            note = " (cut)" if results[peer].get("truncated") else ""
            cells.append(f"{show(theirs, unit)}{note} ({ratio(ours, theirs, higher)})" if theirs else
                         results[peer].get("error", "—")[:30])
        rows.append(cells)

    own_sizes = {"ingest": 20_000 if args.quick else 1_000_000, "read": 20_000 if args.quick else 1_000_000,
                 "list": 500 if args.quick else 10_000}
    print("  measuring jupyter_track's own rows …", file=sys.stderr, flush=True)
    ingest = median_of(repeats, lambda: run_own("ingest", own_sizes["ingest"]))
    read = run_own("read", own_sizes["read"])
    listing = run_own("list", own_sizes["list"])
    monitor = run_own("monitor", 4 if args.quick else 30)
    panel = run_own("panel", 20_000 if args.quick else 1_000_000)
    figures.update({"own_ingest": ingest, "own_read": read, "own_list": listing, "own_monitor": monitor,
                    "own_panel": panel})
    blank = [""] * len(peers)
    panel_steps = 20_000 if args.quick else 1_000_000
    rows += [
        [f"ingest, {own_sizes['ingest'] * 5:,} points, log → durable", ">= 1,000,000",
         show(ingest.get("points_per_s"), "points/s"), *blank],
        [f"read back a {own_sizes['read']:,}-point metric (numpy)", "<= 50 ms",
         show(read.get("numpy_s"), "ms"), *blank],
        [f"read back a {own_sizes['read']:,}-point metric (pandas history)", "",
         show(read.get("history_s"), "ms"), *blank],
        [f"list {own_sizes['list']:,} runs sorted by a summary metric", "<= 200 ms",
         show(listing.get("full_s"), "ms"), *blank],
        ["  … as a pandas frame (to_pandas)", "", show(listing.get("pandas_s"), "ms"), *blank],
        ["  … one page of 50 (what a UI asks for)", "", show(listing.get("page_s"), "ms"), *blank],
        ["system monitor at 2 s, % of one core", "<= 1 %",
         "—" if "percent_of_one_core" not in monitor else f"{monitor['percent_of_one_core']:.3f} %", *blank],
        [f"live panel: {panel_steps:,}-step loop, 3 metrics, slowdown (bench_panel.py: 5 keys, paired)", "<= 2 %",
         "—" if "slowdown_percent" not in panel else f"{panel['slowdown_percent']:+.1f} %", *blank],
        ["  … bytes sent to the frontend over the run", "bounded",
         "—" if "bytes_sent" not in panel else f"{panel['bytes_sent']:,} in {panel['updates']} updates", *blank],
        ["  … bytes one finished panel adds to a saved notebook", "<= 100 KB",
         "—" if "widget_bytes" not in panel else f"{panel['widget_bytes']:,}", *blank],
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    print(f"\nunits: ms, µs per call, points/s; (×) = how many times jupyter_track is faster than that peer; "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; medians of {repeats} for throughput rows.")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(OWN[sys.argv[2]](int(sys.argv[3]))))
    else:
        sys.exit(main())
