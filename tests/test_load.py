"""Load: 16 processes log into one store at once, on SQLite and on PostgreSQL; every point is counted back.
(The full-size run, 16 × 50,000 steps × 5 metrics with throughput, is benchmarks/bench_reliability.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load import LoadResult, run_load

pytestmark = pytest.mark.slow

PROCESSES, STEPS, METRICS = 16, 5_000, 5


def check(result: LoadResult) -> None:
    assert not result.errors, "\n".join(result.errors[:5])
    assert result.counted == result.points == PROCESSES * STEPS * METRICS  # nothing lost


def test_sixteen_processes_logging_to_one_sqlite_store_lose_nothing(store_dir: Path) -> None:
    check(run_load(f"sqlite:///{store_dir / 'jupyter_track.db'}", "sqlite", PROCESSES, STEPS, METRICS))


def test_sixteen_processes_logging_to_one_postgres_store_lose_nothing(pg_url: str) -> None:
    check(run_load(pg_url, "postgresql", PROCESSES, STEPS, METRICS))
