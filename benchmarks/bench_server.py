"""REST list of 10,000 runs sorted by a metric (DESIGN.md target: <= 200 ms): first page and the full list.

Makes ``--runs`` finished runs (config + 3 summary metrics, as ``bench_logging.py``'s listing row) in a temporary
store, starts a real jupyter_server with the extension (token auth on), and times
``GET jupyter-track/api/runs?project=big&sort=summary.acc&order=desc`` with ``limit=50`` and ``limit=<all>``
over HTTP (median of ``--repeats``), next to the same query function called in-process (no HTTP, no JSON).
Figures are printed, never asserted.

Usage::

    python benchmarks/bench_server.py              # 10,000 runs
    python benchmarks/bench_server.py --runs 1000
    python benchmarks/bench_server.py --store postgresql://user:pass@host/emptydb    # the same on PostgreSQL
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_logging import make_runs  # one way to fill a store with runs, for both benchmarks

REPO = Path(__file__).resolve().parents[1]


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    config = tmp / "config" / "jupyter_server_config.d"
    config.mkdir(parents=True)
    shutil.copy(REPO / "jupyter-config/server-config/jupyter_track.json", config)
    (tmp / "root").mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp / 'root'}"],
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            get(url + "api/status", token)
            return process, url, token
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the Jupyter server did not start") from None
            time.sleep(0.1)


def get(url: str, token: str) -> tuple[Any, int]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=60) as response:
        body = response.read()
    return json.loads(body), len(body)


def timed(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--store", help="an empty store URL to use (e.g. postgresql://…); default: a temporary "
                        "SQLite store")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jt-bench-server-"))
    os.environ["JUPYTER_TRACK_DIR"] = str(tmp / "store")
    if args.store:
        os.environ["JUPYTER_TRACK_STORE"] = args.store
    else:
        os.environ.pop("JUPYTER_TRACK_STORE", None)
    process = None
    try:
        t0 = time.perf_counter()
        make_runs(args.runs)
        print(f"made {args.runs:,} runs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        from jupyter_track.server import queries
        from jupyter_track.store import open_store

        store = open_store()
        process, url, token = start_server(tmp)
        api = url + "jupyter-track/api/runs?project=big&sort=summary.acc&order=desc"
        rows = []
        for label, limit in (("first page (50)", 50), (f"full list ({args.runs:,})", args.runs)):
            get(f"{api}&limit={limit}", token)  # warm: the server opens the store on its first request
            http_s, (answer, size) = timed(lambda limit=limit: get(f"{api}&limit={limit}", token), args.repeats)
            assert len(answer["runs"]) == min(limit, args.runs) and answer["total"] == args.runs
            values = [r["summary"]["acc"] for r in answer["runs"]]
            assert values == sorted(values, reverse=True)
            local_s, _ = timed(lambda limit=limit: queries.list_runs(
                store, "big", "summary.acc", "desc", str(limit), None, None, None, [], None, 100, args.runs, 2.0),
                args.repeats)
            rows.append((label, http_s, local_s, size))
        print(f"\nREST list of {args.runs:,} runs sorted by summary.acc (target <= 200 ms), {store.dialect} "  # type: ignore[attr-defined]
              f"store, median of {args.repeats}:")
        print(f"{'':<22}{'HTTP GET':>12}{'query fn':>12}{'response':>14}")
        for label, http_s, local_s, size in rows:
            print(f"{label:<22}{http_s * 1e3:>9.1f} ms{local_s * 1e3:>9.1f} ms{size / 1e6:>11.2f} MB")
    finally:
        if process is not None:
            process.terminate()
            process.wait(15)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
