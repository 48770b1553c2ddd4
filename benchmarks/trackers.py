"""The same benchmark workloads for every experiment tracker: jupyter_track and its peers.

``benchmarks/bench_logging.py`` prints jupyter_track's figures beside the peers', as ratios. Each
tracker (jupyter_track, wandb, mlflow, trackio) is driven through the same workload code and its public
API, the way its documentation shows for a training loop, fully offline.

Isolation
    Every measurement runs in a fresh interpreter (``sys.executable``), so no
    imports, threads or caches carry over between peers or between repeats. It
    runs in its own new temporary directory, which is both its working
    directory and where the peer writes all its data, and the directory is
    deleted afterwards. Each subprocess has a wall-time limit. When the limit
    runs out, its whole process group is killed (this includes helpers such as
    the ``wandb-core`` service) and the result is ``{"error": ...}``.

Offline and no telemetry (see ``_offline_env``)
    wandb   WANDB_MODE=offline, WANDB_SILENT=true, WANDB_ERROR_REPORTING=false,
            and WANDB_DIR, WANDB_CONFIG_DIR, WANDB_CACHE_DIR, WANDB_DATA_DIR and
            WANDB_ARTIFACT_DIR all inside the temporary directory.
    mlflow  MLFLOW_TRACKING_URI=sqlite:///<tmp>/mlflow.db. MLflow 3.x's default
            local backend is ``sqlite:///mlflow.db``; the ``./mlruns`` file
            store is in maintenance mode and refuses to start unless you opt
            in. Also MLFLOW_DISABLE_TELEMETRY=true. Artifacts go to the
            working directory, which is the temporary directory.
    trackio TRACKIO_DIR=<tmp>/trackio and HF_HOME=<tmp>/hf. The run is local,
            ``init(embed=False)``, and no dashboard or server is started.
    all     DO_NOT_TRACK=1, HF_HUB_OFFLINE=1, HF_HUB_DISABLE_TELEMETRY=1,
            DISABLE_TELEMETRY=1, GRADIO_ANALYTICS_ENABLED=False.
    Everything else stays at the peer's default, including its own
    system-metrics sampling.

Logging call used per peer
    wandb   run = wandb.init(project=, config=); run.log(dict, step=); run.finish()
    mlflow  mlflow.set_experiment(); mlflow.start_run(); mlflow.log_params(config);
            mlflow.log_metrics(dict, step=, synchronous=False); mlflow.end_run().
            This is MLflow's documented asynchronous logging, with
            MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1 (a documented setting)
            so that queued calls are merged into batches. On our 2-core machine
            this is mlflow's fastest path. Per call, the synchronous path took
            ~4 ms. Unbuffered async returns in ~1 ms, but its background writer
            manages only ~1k points/s, which is slower than the synchronous
            path. Buffered async measured ~0.4 ms per call and ~7k points/s
            end to end.
    trackio trackio.init(project=, config=, embed=False); trackio.log(dict, step=);
            trackio.finish()

Workloads (``measure(peer, workload, **params)``)
    import       ``import <peer>`` timed with perf_counter inside a bare
                 interpreter. Median of ``repeats`` (3) subprocesses.
                 -> {"import_s"}
    init         Only the init call, after the import: wandb.init /
                 set_experiment + start_run + log_params / trackio.init, with a
                 5-key config. Each run starts a new project in an empty
                 directory, so store creation is included. The run is then
                 finished, which is not timed. Median of ``repeats`` (3).
                 -> {"init_s"}
    log_latency  ``calls`` log calls, each a dict of 5 float scalars at
                 step 0, 1, 2, ..., made in the calling thread. Each call is
                 timed with perf_counter_ns. Stops early after
                 ``max_seconds``. Finishing the run is not included.
                 -> {"calls", "median_us", "p99_us"}
    ingest       ``steps`` steps of 5 scalars, logged as fast as possible,
                 followed by finish, which flushes to disk. The clock is
                 checked every 1000 steps, and the loop stops once
                 ``max_seconds`` have passed ("truncated": True). Throughput is
                 steps_done * 5 / (loop + finish). ``max_seconds`` limits only
                 the loop. Draining a backlog at finish, as mlflow's async
                 queue does, comes on top of it, so ``seconds`` can be larger.
                 -> {"points", "seconds", "points_per_s"[, "truncated"]}
    read         One metric with ``points`` steps is written: per-step logging
                 for wandb and trackio, MlflowClient.log_batch with 1000
                 metrics per call for mlflow. Writing stops at ``max_seconds``,
                 in which case "truncated": True and ``points`` is the count
                 actually written. The run is then finished, and the time to
                 read the metric's full history back through the peer's own
                 read path is measured. The count read back must match.
                 -> {"points", "read_s"[, "truncated"]}
                 Read paths:
                   wandb   wandb.Api() needs a server. The offline read path
                           is the ``wandb leet inspect --json <run dir>`` CLI,
                           which dumps the run's .wandb transaction log. read_s
                           covers running it (``python -m wandb``, so it
                           includes that interpreter's start-up) and parsing
                           its history records.
                   mlflow  MlflowClient().get_metric_history(run_id, key)
                   trackio SQLiteStorage.get_metric_values(project, run, key),
                           the local query behind ``trackio get metric`` and
                           the dashboard's /get_metric_values endpoint.
                           trackio.Api has no metric-history method.

Defaults are sized so that the full run (every workload, all three peers)
takes about 4.5 minutes on a 2-core machine, under the 6-minute target. "read"
defaults to 200k points and 30 s rather than 1M points and 120 s, because at 1M
points wandb alone needs minutes to write the data and minutes more to read it
back offline.

CLI: ``python benchmarks/trackers.py [tracker ...] [--quick]`` (``benchmarks/bench_logging.py`` is the full benchmark)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PEERS = ("wandb", "mlflow", "trackio")
TRACKERS = ("jupyter_track", *PEERS)  # ours runs through the very same workload code
_WORKLOAD_NAMES = ("import", "init", "log_latency", "ingest", "read")

_Result = dict[str, Any]  # figures of one measurement, or {"error": reason}

_DEFAULTS: dict[str, dict[str, float]] = {
    "import": {"repeats": 3},
    "init": {"repeats": 3},
    "log_latency": {"calls": 20_000, "max_seconds": 20},
    "ingest": {"steps": 200_000, "max_seconds": 60},
    "read": {"points": 200_000, "max_seconds": 30},
}
_QUICK: dict[str, dict[str, float]] = {
    "import": {"repeats": 1},
    "init": {"repeats": 1},
    "log_latency": {"calls": 2_000, "max_seconds": 5},
    "ingest": {"steps": 5_000, "max_seconds": 10},
    "read": {"points": 5_000, "max_seconds": 10},
}
# Subprocess time allowed on top of a workload's own budget: interpreter start,
# import, init, finish (mlflow's async backlog drains here) and the read.
_SLACK_S = 120
_BATCH = 1000  # steps between clock checks; also mlflow's log_batch size

_PROJECT = "peers-bench"
_CONFIG = {"lr": 1e-3, "batch_size": 64, "optimizer": "adam", "epochs": 10, "seed": 0}
_KEYS = ("loss", "accuracy", "lr", "grad_norm", "throughput")

_IMPORT_SNIPPET = """\
import sys, time
t0 = time.perf_counter()
__import__(sys.argv[1])
elapsed = time.perf_counter() - t0
with open(sys.argv[2], "w") as f:
    f.write('{"import_s": %r}' % elapsed)
"""


# --------------------------------------------------------------------------
# Parent side: public API, environment, subprocess handling
# --------------------------------------------------------------------------


def available(peer: str) -> bool:
    """True if ``peer`` can be imported by this interpreter. Nothing is imported."""
    return peer in TRACKERS and importlib.util.find_spec(peer) is not None


def measure(peer: str, workload: str, **params: Any) -> _Result:
    """Run ``workload`` for ``peer`` in fresh subprocesses and return the figures.

    Peer failures, timeouts included, come back as ``{"error": "<reason>"}``.
    An unknown peer, workload or parameter is a caller bug and raises.
    """
    if peer not in TRACKERS:
        raise ValueError(f"unknown tracker {peer!r}; expected one of {TRACKERS}")
    if workload not in _WORKLOAD_NAMES:
        raise ValueError(f"unknown workload {workload!r}; expected one of {_WORKLOAD_NAMES}")
    unknown = set(params) - set(_DEFAULTS[workload])
    if unknown:
        raise TypeError(f"{workload}: unexpected parameters {sorted(unknown)}")
    if not available(peer):
        return {"error": f"{peer} is not installed"}
    full = {**_DEFAULTS[workload], **params}
    if workload in ("import", "init"):
        return _median_of(int(full["repeats"]), lambda: _run_child(peer, workload, {}))
    return _run_child(peer, workload, full)


def _median_of(repeats: int, run_once: Callable[[], _Result]) -> _Result:
    """Median of each figure over ``repeats`` runs; the first error wins."""
    results = []
    for _ in range(max(1, repeats)):
        result = run_once()
        if "error" in result:
            return result
        results.append(result)
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def _offline_env(peer: str, workdir: Path) -> dict[str, str]:
    """Child environment: offline, no telemetry, every data dir under ``workdir``."""
    env = dict(os.environ)
    env.update(
        {
            # all peers / shared libraries
            "DO_NOT_TRACK": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "DISABLE_TELEMETRY": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "HF_HOME": str(workdir / "hf"),
            # wandb
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_ERROR_REPORTING": "false",
            "WANDB_DIR": str(workdir),
            "WANDB_CONFIG_DIR": str(workdir / "wandb-config"),
            "WANDB_CACHE_DIR": str(workdir / "wandb-cache"),
            "WANDB_DATA_DIR": str(workdir / "wandb-data"),
            "WANDB_ARTIFACT_DIR": str(workdir / "wandb-artifacts"),
            # mlflow: sqlite is the 3.x default local backend (file store is deprecated)
            "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # trackio
            "TRACKIO_DIR": str(workdir / "trackio"),
            # jupyter_track
            "JUPYTER_TRACK_DIR": str(workdir / "jupyter_track"),
            "JUPYTER_TRACK_QUIET": "1",
        }
    )
    if peer == "mlflow":
        env["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = "1"
    return env


def _child_command(peer: str, workload: str, params: dict[str, Any], result: Path) -> list[str]:
    if workload == "import":
        return [sys.executable, "-c", _IMPORT_SNIPPET, peer, str(result)]
    script = str(Path(__file__).resolve())
    return [sys.executable, script, "--child", peer, workload, json.dumps(params), str(result)]


def _run_child(peer: str, workload: str, params: dict[str, Any]) -> _Result:
    """Run one measurement in a fresh interpreter inside a new temporary directory."""
    timeout = float(params.get("max_seconds", 0)) * 2 + _SLACK_S
    with tempfile.TemporaryDirectory(prefix=f"peers-{peer}-", ignore_cleanup_errors=True) as tmp:
        workdir = Path(tmp)
        result_path, log_path = workdir / "result.json", workdir / "child.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                _child_command(peer, workload, params, result_path),
                cwd=workdir,
                env=_offline_env(peer, workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: helpers die with it
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
                return {"error": f"timed out after {timeout:.0f}s"}
            finally:
                _kill_group(proc, signal.SIGTERM)  # stray helpers, if any
        if result_path.exists():
            result: _Result = json.loads(result_path.read_text())
            return result
        return {"error": f"exit code {proc.returncode}: {_last_line(log_path)}"}


def _kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
    if sig == signal.SIGKILL:
        proc.wait()


def _last_line(path: Path, limit: int = 200) -> str:
    lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:limit]


# --------------------------------------------------------------------------
# Child side: one adapter per peer, one function per workload
# --------------------------------------------------------------------------


class _Peer:
    """A peer's training-loop API: start a run, log steps, finish, read back."""

    def start(self, project: str, config: dict[str, Any]) -> None:
        raise NotImplementedError

    def log(self, metrics: dict[str, float], step: int) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def read_series(self, key: str) -> list[float]:
        raise NotImplementedError

    def write_series(self, key: str, points: int, deadline: float) -> int:
        """Log ``key`` at steps 0..points-1 until ``deadline``; return steps written."""
        for step in range(points):
            if step % _BATCH == 0 and time.perf_counter() > deadline:
                return step
            self.log({key: float(step)}, step)
        return points


class _Wandb(_Peer):
    def __init__(self) -> None:
        import wandb

        self._wandb = wandb

    def start(self, project: str, config: dict[str, Any]) -> None:
        self._run = self._wandb.init(project=project, config=config)

    def log(self, metrics: dict[str, float], step: int) -> None:
        self._run.log(metrics, step=step)

    def finish(self) -> None:
        self._run.finish()

    def read_series(self, key: str) -> list[float]:
        # wandb.Api() needs a server; offline runs are read through the CLI.
        dump = subprocess.run(
            [sys.executable, "-m", "wandb", "leet", "inspect", "--json", self._run.sync_dir],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        values = []
        for line in dump.splitlines():
            if '"type":"history"' in line:
                item = json.loads(line)["history"]["item"]
                if key in item:
                    values.append(item[key])
        return values


class _Mlflow(_Peer):
    def __init__(self) -> None:
        import mlflow

        self._mlflow = mlflow

    def start(self, project: str, config: dict[str, Any]) -> None:
        self._mlflow.set_experiment(project)
        self._run_id = self._mlflow.start_run().info.run_id
        self._mlflow.log_params(config)

    def log(self, metrics: dict[str, float], step: int) -> None:
        self._mlflow.log_metrics(metrics, step=step, synchronous=False)

    def finish(self) -> None:
        self._mlflow.end_run()  # waits for the async queue to drain

    def write_series(self, key: str, points: int, deadline: float) -> int:
        from mlflow.entities import Metric

        client = self._mlflow.MlflowClient()
        timestamp_ms = int(time.time() * 1000)
        for first in range(0, points, _BATCH):
            if time.perf_counter() > deadline:
                return first
            steps = range(first, min(points, first + _BATCH))
            client.log_batch(self._run_id, [Metric(key, float(s), timestamp_ms, s) for s in steps])
        return points

    def read_series(self, key: str) -> list[float]:
        history = self._mlflow.MlflowClient().get_metric_history(self._run_id, key)
        return [m.value for m in history]


class _Trackio(_Peer):
    def __init__(self) -> None:
        import trackio

        self._trackio = trackio

    def start(self, project: str, config: dict[str, Any]) -> None:
        self._project = project
        self._run = self._trackio.init(project=project, config=config, embed=False)

    def log(self, metrics: dict[str, float], step: int) -> None:
        self._trackio.log(metrics, step=step)

    def finish(self) -> None:
        self._trackio.finish()

    def read_series(self, key: str) -> list[float]:
        from trackio.sqlite_storage import SQLiteStorage

        rows = SQLiteStorage.get_metric_values(self._project, self._run.name, key)
        return [row["value"] for row in rows]


class _JupyterTrack(_Peer):
    def __init__(self) -> None:
        import jupyter_track

        self._jt = jupyter_track

    def start(self, project: str, config: dict[str, Any]) -> None:
        self._run = self._jt.init(project=project, config=config)

    def log(self, metrics: dict[str, float], step: int) -> None:
        self._run.log(metrics, step=step)

    def finish(self) -> None:
        self._run.finish()

    def read_series(self, key: str) -> list[float]:
        return self._jt.load_run(self._run.path).metric(key).values  # type: ignore[no-any-return]


_ADAPTERS: dict[str, Callable[[], _Peer]] = {
    "jupyter_track": _JupyterTrack,
    "wandb": _Wandb,
    "mlflow": _Mlflow,
    "trackio": _Trackio,
}


def _scalars(step: int) -> dict[str, float]:
    """The 5 float scalars logged at each step."""
    x = float(step)
    return {key: x + i for i, key in enumerate(_KEYS)}


def _percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _workload_init(peer: _Peer, params: dict[str, Any]) -> _Result:
    t0 = time.perf_counter()
    peer.start(_PROJECT, _CONFIG)
    init_s = time.perf_counter() - t0
    peer.finish()
    return {"init_s": init_s}


def _workload_log_latency(peer: _Peer, params: dict[str, Any]) -> _Result:
    calls, budget = int(params["calls"]), float(params["max_seconds"])
    peer.start(_PROJECT, _CONFIG)
    log, clock_ns = peer.log, time.perf_counter_ns
    deadline_ns = clock_ns() + int(budget * 1e9)
    latencies: list[int] = []
    for step in range(calls):
        metrics = _scalars(step)
        t0 = clock_ns()
        log(metrics, step)
        t1 = clock_ns()
        latencies.append(t1 - t0)
        if t1 > deadline_ns:
            break
    peer.finish()
    latencies.sort()
    return {
        "calls": len(latencies),
        "median_us": statistics.median(latencies) / 1e3,
        "p99_us": _percentile(latencies, 99) / 1e3,
    }


def _workload_ingest(peer: _Peer, params: dict[str, Any]) -> _Result:
    steps, budget = int(params["steps"]), float(params["max_seconds"])
    peer.start(_PROJECT, _CONFIG)
    log, done, truncated = peer.log, steps, False
    t0 = time.perf_counter()
    for step in range(steps):
        if step % _BATCH == 0 and step and time.perf_counter() - t0 > budget:
            done, truncated = step, True
            break
        log(_scalars(step), step)
    peer.finish()
    seconds = time.perf_counter() - t0
    points = done * len(_KEYS)
    result = {"points": points, "seconds": seconds, "points_per_s": points / seconds}
    return {**result, "truncated": True} if truncated else result


def _workload_read(peer: _Peer, params: dict[str, Any]) -> _Result:
    wanted, budget = int(params["points"]), float(params["max_seconds"])
    key = "loss"
    peer.start(_PROJECT, _CONFIG)
    written = peer.write_series(key, wanted, deadline=time.perf_counter() + budget)
    peer.finish()
    t0 = time.perf_counter()
    values = peer.read_series(key)
    read_s = time.perf_counter() - t0
    if len(values) != written:
        return {"error": f"read back {len(values)} of {written} points"}
    result = {"points": written, "read_s": read_s}
    return {**result, "truncated": True} if written < wanted else result


_WORKLOADS: dict[str, Callable[[_Peer, dict[str, Any]], _Result]] = {
    "init": _workload_init,
    "log_latency": _workload_log_latency,
    "ingest": _workload_ingest,
    "read": _workload_read,
}


def _child_main(peer: str, workload: str, params_json: str, result_path: str) -> None:
    """Entry point of the measurement subprocess; always writes a result file."""
    try:
        result = _WORKLOADS[workload](_ADAPTERS[peer](), json.loads(params_json))
    except BaseException as exc:  # noqa: BLE001 - the child reports any peer failure to its parent
        result = {"error": f"{type(exc).__name__}: {exc}"[:200]}
    Path(result_path).write_text(json.dumps(result))
    sys.stdout.flush()


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def _format(result: _Result) -> str:
    if "error" in result:
        return f"ERROR: {result['error']}"
    parts = []
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.4g}" if abs(value) < 1e3 else f"{value:,.0f}"
        parts.append(f"{key}={value}")
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure experiment trackers offline, on the same workloads.")
    parser.add_argument(
        "peers",
        nargs="*",
        metavar="tracker",
        help=f"any of {', '.join(TRACKERS)} (default: every available one)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    unknown = [p for p in args.peers if p not in TRACKERS]
    if unknown:
        parser.error(f"unknown tracker(s) {', '.join(unknown)}; choose from {', '.join(TRACKERS)}")
    peers = args.peers or [p for p in TRACKERS if available(p)]
    sizes = _QUICK if args.quick else _DEFAULTS
    print(f"{'tracker':<13} {'workload':<12} {'wall_s':>7}  figures")
    for peer in peers:
        for workload in _WORKLOAD_NAMES:
            t0 = time.perf_counter()
            result = measure(peer, workload, **sizes[workload])
            wall = time.perf_counter() - t0
            print(f"{peer:<13} {workload:<12} {wall:>7.1f}  {_format(result)}", flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child_main(*sys.argv[2:6])
    else:
        sys.exit(main())
