"""The reliability run: load, faults and fuzzing, with the figures the README's reliability section quotes.

1. Load: 16 writer processes × 50,000 steps × 5 metrics at once into one PostgreSQL store and into one SQLite
   store; every point is counted back (each key's steps exactly 0..49,999) and throughput printed.
2. Faults, once each (the scenarios of ``tests/test_faults.py``, run by pytest): a writer SIGKILLed mid-flush on
   PostgreSQL, the PostgreSQL server restarted under a logging run, a full disk and a read-only file system under
   SQLite, a read-only PostgreSQL database.
3. Writer faults, on SQLite and PostgreSQL, each in a fresh process beside a second run: a poison value (an int
   no float64 holds, a step past int64) and a run deleted (``jupyter-track rm --force``) while it logs; prints
   the points each run kept, whether ``log()`` blocked, how long the loop took and what ``finish()`` said.
4. Fuzzing: hostile requests at every REST route of a real jupyter_server, hostile command lines at the CLI;
   inputs tried and answers by status are counted; any 5xx, traceback or non-JSON error fails the run.

PostgreSQL: a throw-away server is started (``tests/postgres.py``: initdb into a temporary folder) unless
``--store postgresql://…`` names one (a fresh database on it is best: the run adds rows).

Usage::

    python benchmarks/bench_reliability.py                    # everything (1-4 minutes on 2 cores)
    python benchmarks/bench_reliability.py --quick            # 16 × 2,000 steps, 200 fuzz inputs each
    python benchmarks/bench_reliability.py --store postgresql://me@db/scratch --skip faults
    python benchmarks/bench_reliability.py --skip load --skip faults --skip fuzz   # the writer faults alone
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

os.environ.setdefault("JUPYTER_TRACK_QUIET", "1")
os.environ.setdefault("JUPYTER_TRACK_CAPTURE", "none")


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


# -- 1. load ---------------------------------------------------------------------------------------------------
def load(pg_url: str, processes: int, steps: int, metrics: int, tmp: Path) -> list[Any]:
    from tests.load import run_load

    results = []
    for backend, url in (("postgresql", pg_url), ("sqlite", f"sqlite:///{tmp / 'load' / 'jupyter_track.db'}")):
        print(f"  {backend}: {processes} processes × {steps:,} steps × {metrics} metrics …", flush=True)
        result = run_load(url, backend, processes, steps, metrics)
        results.append(result)
        verdict = "OK" if not result.errors and result.lost == 0 else "FAILED"
        print(f"  {backend}: {result.points:,} points logged, {result.counted:,} counted back, lost {result.lost}, "
              f"errors {len(result.errors)}; {result.seconds:.1f} s → {result.rate:,.0f} points/s  [{verdict}]")
        for error in result.errors[:5]:
            print(f"    {error}")
    return results


# -- 2. faults ---------------------------------------------------------------------------------------------------
FAULTS = {
    "test_sigkill_mid_flush_on_postgres_leaves_whole_batches_and_a_crashed_run":
        "SIGKILL mid-flush (PostgreSQL): whole batches only, run → crashed, store takes new runs",
    "test_postgres_restart_while_logging_loses_nothing_and_log_never_waits":
        "PostgreSQL server restarted (3 s down) under a logging run: reconnects, nothing lost, log() never waits",
    "test_full_disk_keeps_the_data_in_memory_says_how_much_and_saves_it_once_freed":
        "disk full (SQLite on an 8 MB tmpfs): error names it and the count, data lands once space is freed",
    "test_read_only_file_system_keeps_the_data_and_saves_it_once_writable":
        "read-only file system (tmpfs remounted ro): same, data lands once writable",
    "test_read_only_postgres_database_keeps_the_data_and_saves_it_once_writable":
        "read-only PostgreSQL database (default_transaction_read_only): same, data lands once writable",
    "test_resuming_a_run_in_a_read_only_postgres_database_starts_and_lands_once_writable":
        "resume (init(id=, resume='allow')) in a read-only PostgreSQL database: starts, lands once writable",
}


def faults() -> dict[str, str]:
    """Run each scenario of tests/test_faults.py once; its outcome (passed/failed/skipped) by scenario."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                           "tests/test_faults.py"], cwd=REPO, capture_output=True, text=True, timeout=900)
    outcomes: dict[str, str] = {}
    notes = [line[len("figure: "):] for line in done.stdout.splitlines() if line.startswith("figure: ")]
    for line in done.stdout.splitlines():
        found = re.match(r"^(PASSED|FAILED|SKIPPED|ERROR) tests/test_faults.py::(\w+)", line)
        if found:
            outcomes[found.group(2)] = found.group(1).lower()
        skipped = re.match(r"^SKIPPED \[\d+\] tests/test_faults.py:\d+: (.*)", line)
        if skipped:
            outcomes.setdefault("(skipped)", skipped.group(1))
    for name, text in FAULTS.items():
        print(f"  {outcomes.get(name, 'not run'):8} {text}")
    for note in notes:  # the scenarios' own figures (their captured output, which -rA shows)
        print(f"  figure:  {note}")
    if done.returncode != 0:
        print(done.stdout[-4000:])
    return outcomes


# -- 3. writer faults ---------------------------------------------------------------------------------------------
POISON_STEPS = 100_000
AFTER_DELETE_STEPS = 100_000


def finish_says(run: Any) -> str:
    """What ``run.finish()`` did: returned, or the start of the error it raised."""
    import jupyter_track as jt

    try:
        run.finish(quiet=True)
    except jt.StoreError as exc:
        return f"raised StoreError: {str(exc)[:160]}…"
    return "returned"


def scenario_poison() -> dict[str, Any]:
    """A run logs poison next to a healthy run in the same process: refused at the call, or (the system stream,
    which log() does not check) dropped alone by the writer."""
    import jupyter_track as jt
    from tests.stores import count_points

    good = jt.init(project="poison", reinit="create_new", display=False)
    bad = jt.init(project="poison", reinit="create_new", display=False)
    refused = []
    started = time.perf_counter()
    for step in range(POISON_STEPS):
        good.log({"x": float(step)})
        bad.log({"y": float(step)})
        if step == POISON_STEPS // 2:
            for call in (lambda: bad.log({"huge": 10**400}), lambda: bad.log({"y": 1.0}, step=2**63)):
                try:
                    call()
                except (TypeError, ValueError) as exc:
                    refused.append(f"{type(exc).__name__}: {str(exc)[:90]}…")
            bad.log_system({"system/cpu": 10**400})
    loop = time.perf_counter() - started
    good.finish(quiet=True)
    said = finish_says(bad)
    return {"refused_at_call": refused, "loop_s": loop, "steps": POISON_STEPS,
            "good_kept": count_points(good.id, "x"), "good_state": jt.load_run(good.path).state,
            "bad_kept": count_points(bad.id, "y"), "bad_finish": said}


def scenario_delete() -> dict[str, Any]:
    """A run is deleted (``rm`` refused, then ``rm --force``) while it logs, next to another run, and logs
    100,000 steps more; its buffer holds 1,000 values (1,000 calls of one key), so a writer that kept retrying
    would block its log() within a moment."""
    import threading

    import jupyter_track as jt
    from tests.stores import count_points

    victim = jt.init(project="deleted", reinit="create_new", display=False)
    other = jt.init(project="deleted", reinit="create_new", display=False)
    victim.flush()
    answers: dict[str, Any] = {}

    def remove() -> None:
        for argv in (["rm", victim.path, "--yes"], ["rm", victim.path, "--yes", "--force"]):
            done = subprocess.run([sys.executable, "-m", "jupyter_track", *argv], capture_output=True, text=True,
                                  cwd=REPO, timeout=120)
            answers[" ".join(argv[2:])] = f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[:150]}"
        answers["deleted_at"] = time.perf_counter()

    worst_after = 0.0
    deleter = threading.Thread(target=remove)
    started = time.perf_counter()
    deleter.start()
    step = after = 0
    while after < AFTER_DELETE_STEPS:
        t = time.perf_counter()
        victim.log({"x": float(step), "y": 1.0})
        if "deleted_at" in answers:
            worst_after = max(worst_after, time.perf_counter() - t)
            after += 1
        other.log({"x": float(step), "y": 1.0})
        step += 1
        if step % 100 == 0:
            time.sleep(0.001)  # a brisk loop, not a busy one: the deletion's processes get the CPU too
    ended = time.perf_counter()
    deleter.join()
    other.finish(quiet=True)
    said = finish_says(victim)
    return {"rm": answers["--yes"], "rm_force": answers["--yes --force"], "steps": step,
            "deleted_after_s": answers["deleted_at"] - started, "after_s": ended - answers["deleted_at"],
            "worst_log_after_delete_ms": worst_after * 1e3, "other_kept": count_points(other.id, "x"),
            "victim_finish": said}


SCENARIOS = {"poison": scenario_poison, "delete": scenario_delete}


def writer_faults(stores: list[tuple[str, str]]) -> dict[str, Any]:
    """Each scenario in a fresh process, on each store: the figures it printed."""
    figures: dict[str, Any] = {}
    for backend, url in stores:
        for name in SCENARIOS:
            env = {**os.environ, "JUPYTER_TRACK_STORE": url, "JUPYTER_TRACK_BUFFER_POINTS": "1000"}
            done = subprocess.run([sys.executable, __file__, "--scenario", name], capture_output=True, text=True,
                                  cwd=REPO, env=env, timeout=600)
            if done.returncode != 0 or not done.stdout.strip():
                figures[f"{name}_{backend}"] = {"failure": done.stderr[-2000:]}
                print(f"  {name} on {backend}: FAILED\n{done.stderr[-2000:]}")
                continue
            found = figures[f"{name}_{backend}"] = json.loads(done.stdout.strip().splitlines()[-1])
            if name == "poison":
                print(f"  poison value on {backend}: refused at the call: {'; '.join(found['refused_at_call'])}")
                print(f"    a bad system sample (writer): the other run kept {found['good_kept']:,} of "
                      f"{found['steps']:,} points ({found['good_state']}); the poisoned run kept {found['bad_kept']:,} "
                      f"of {found['steps']:,} good points, its finish() {found['bad_finish']}; loop "
                      f"{found['loop_s']:.1f} s")
            else:
                print(f"  delete while running on {backend}: `rm` → {found['rm']}")
                print(f"    `rm --force` → {found['rm_force']} ({found['deleted_after_s']:.1f} s into the loop)")
                print(f"    log() never blocked: {AFTER_DELETE_STEPS:,} steps after the delete took "
                      f"{found['after_s']:.1f} s, the slowest call {found['worst_log_after_delete_ms']:.1f} ms; the "
                      f"other run kept {found['other_kept']:,} of {found['steps']:,} points; the deleted run's "
                      f"finish() {found['victim_finish']}")
    return figures


def writer_fault_failed(name: str, found: dict[str, Any]) -> bool:
    if "failure" in found:
        return True
    if name.startswith("poison"):
        return (found["good_kept"] != found["steps"] or found["bad_kept"] != found["steps"]
                or not found["bad_finish"].startswith("raised") or len(found["refused_at_call"]) != 2)
    return found["other_kept"] != found["steps"] or not found["victim_finish"].startswith("raised")


# -- 4. fuzzing --------------------------------------------------------------------------------------------------
def attempt(fuzz_target: Any) -> str:
    """Run a hypothesis test; the (shrunk) counterexample's message when it fails, else ''."""
    try:
        fuzz_target()
    except Exception as exc:  # noqa: BLE001 - reported in the table, the run goes on
        found = list(getattr(exc, "exceptions", None) or [exc])  # several distinct failures: an exception group
        return " | ".join(f"{type(e).__name__}: {str(e)[:700]}" for e in found)
    return ""


def fuzz(examples: int, tmp: Path, pg_url: str | None) -> dict[str, Any]:
    """REST on each backend's store (``examples`` requests each), then the CLI (``examples`` command lines)."""
    from hypothesis import HealthCheck, given, settings

    from tests import fuzzing
    from tests.test_fuzz import populated
    from tests.test_server import start

    fast = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))
    figures: dict[str, Any] = {}

    backends = [("sqlite", f"sqlite:///{tmp / 'fuzz-sqlite' / 'jupyter_track.db'}")]
    if pg_url:
        backends.append(("postgresql", pg_url))
    for backend, url in backends:
        target = populated(url)
        server = start(tmp / f"fuzz-server-{backend}", url)
        statuses: collections.Counter[int] = collections.Counter()
        try:
            @fast
            @given(fuzzing.requests(target))
            def rest(request: fuzzing.Request) -> None:
                status, kind, body = fuzzing.send(server, request)  # noqa: B023 - run before the loop moves on
                statuses[status] += 1  # noqa: B023
                fuzzing.check_answer(request, status, kind, body)

            started = time.perf_counter()
            failure = attempt(rest)
            found = {"inputs": sum(statuses.values()), "seconds": time.perf_counter() - started,
                     "statuses": dict(sorted(statuses.items())), "failure": failure}
            figures[f"rest_{backend}"] = found
        finally:
            server.stop()
        print(f"  REST on {backend}: {found['inputs']:,} requests, answers by status {found['statuses']}; "
              + (f"FAILED: {failure}" if failure else "no 5xx, no traceback, every error JSON with a 4xx"))

    sandbox = tmp / "fuzz-cli"
    (sandbox / "out").mkdir(parents=True)
    cli_target = populated(f"sqlite:///{sandbox / 'store' / 'jupyter_track.db'}")
    codes: collections.Counter[int] = collections.Counter()
    here = os.getcwd()
    os.environ["JUPYTER_TRACK_DIR"] = str(sandbox / "store")
    os.environ.pop("JUPYTER_TRACK_STORE", None)
    os.chdir(sandbox)
    try:
        @fast
        @given(fuzzing.argvs(cli_target, sandbox))
        def cli(argv: list[str]) -> None:
            code, out, err = fuzzing.run_cli(argv)
            codes[code] += 1
            fuzzing.check_cli(argv, code, out, err)

        started = time.perf_counter()
        failure = attempt(cli)
        figures["cli"] = {"inputs": sum(codes.values()), "seconds": time.perf_counter() - started,
                          "exit_codes": dict(sorted(codes.items())), "failure": failure}
    finally:
        os.chdir(here)
    print(f"  CLI: {figures['cli']['inputs']:,} command lines, exit codes {figures['cli']['exit_codes']}; "
          + (f"FAILED: {figures['cli']['failure']}" if figures["cli"]["failure"] else
             "no traceback, every failure with a message"))
    return figures


# -- main ---------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a PostgreSQL URL to use instead of a throw-away server")
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--fuzz", type=int, default=2_000, help="inputs per fuzz target (REST, CLI)")
    parser.add_argument("--skip", action="append", default=[], choices=("load", "faults", "writer", "fuzz"))
    parser.add_argument("--scenario", choices=tuple(SCENARIOS), help=argparse.SUPPRESS)  # one writer fault
    parser.add_argument("--quick", action="store_true", help="16 × 2,000 steps, 200 fuzz inputs")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.scenario:  # a fresh process of writer_faults(): the store is in JUPYTER_TRACK_STORE
        print(json.dumps(SCENARIOS[args.scenario]()))
        return 0
    if args.quick:
        args.steps, args.fuzz = 2_000, 200
    print(f"jupyter_track reliability run on {platform.node()}: {os.cpu_count()} CPU cores, "
          f"Python {platform.python_version()}")

    figures: dict[str, Any] = {"cores": os.cpu_count()}
    server = None
    with tempfile.TemporaryDirectory(prefix="jt-reliability-") as folder:
        tmp = Path(folder)
        try:
            if args.store is None and {"load", "writer", "fuzz"} - set(args.skip):
                from tests.postgres import PostgresServer

                server = PostgresServer()

            def database() -> str:
                return args.store or server.create_database()  # type: ignore[union-attr]

            if "load" not in args.skip:
                section("load")
                results = load(database(), args.processes, args.steps, args.metrics, tmp)
                figures["load"] = [{"backend": r.backend, "processes": r.processes, "steps": r.steps,
                                    "metrics": r.metrics, "points": r.points, "counted": r.counted, "lost": r.lost,
                                    "errors": len(r.errors), "seconds": r.seconds, "points_per_s": r.rate}
                                   for r in results]
            if "faults" not in args.skip:
                section("faults (tests/test_faults.py, each once; pytest starts its own PostgreSQL)")
                figures["faults"] = faults()
            if "writer" not in args.skip:
                section("writer faults (a poison value, a run deleted while it logs; each beside a second run)")
                figures["writer"] = writer_faults([("sqlite", f"sqlite:///{tmp / 'writer' / 'jupyter_track.db'}"),
                                                   ("postgresql", database())])
            if "fuzz" not in args.skip:
                section("fuzzing (hypothesis)")
                figures["fuzz"] = fuzz(args.fuzz, tmp, database())
        finally:
            if server is not None:
                server.close()

    section("summary")
    rows = []
    for r in figures.get("load", []):
        rows.append((f"load, {r['backend']}: {r['processes']} processes × {r['steps']:,} steps × {r['metrics']}",
                     f"{r['points_per_s']:,.0f} points/s; lost {r['lost']}, errors {r['errors']}"))
    if "faults" in figures:
        passed = sum(1 for name in FAULTS if figures["faults"].get(name) == "passed")
        rows.append(("faults survived", f"{passed} of {len(FAULTS)}"))
    if "writer" in figures:
        held = sum(1 for name, found in figures["writer"].items() if not writer_fault_failed(name, found))
        rows.append(("writer faults held (poison value, delete while running; per backend)",
                     f"{held} of {len(figures['writer'])}"))
    if "fuzz" in figures:
        f = figures["fuzz"]
        bad = sum(1 for v in f.values() if v["failure"])
        rest = sum(v["inputs"] for k, v in f.items() if k.startswith("rest"))
        rows.append(("fuzz inputs tried: REST (both backends) / CLI",
                     f"{rest:,} / {f['cli']['inputs']:,}; targets with a 5xx or traceback: {bad}"))
    lost = sum(r["lost"] for r in figures.get("load", []))
    rows.append(("points lost", str(lost)))
    width = max(len(a) for a, _ in rows)
    print(f"| {'what'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for a, b in rows:
        print(f"| {a.ljust(width)} | {b} |")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    failed = (lost != 0 or any(r["errors"] for r in figures.get("load", []))
              or any(v == "failed" for v in figures.get("faults", {}).values())
              or any(writer_fault_failed(name, found) for name, found in figures.get("writer", {}).items())
              or any(v["failure"] for v in figures.get("fuzz", {}).values()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
