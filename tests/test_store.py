"""The SQL store on a real SQLite file: schema versions, migrations, chunks, filters, deletes, blobs."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

import jupyter_track as jt
from jupyter_track.errors import StoreError, StoreVersionError
from jupyter_track.store import close_all, open_store
from jupyter_track.store import writer as writer_mod
from jupyter_track.store.filters import FilterError
from jupyter_track.store.revisions import VERSION_TABLE
from jupyter_track.store.schema import HEAD, REVISIONS, metadata
from jupyter_track.store.sql import SQLStore, redact


def db(store_dir: Path) -> Path:
    return store_dir / "jupyter_track.db"


def test_new_store_is_wal_and_stamped_with_the_head_revision(store_dir: Path) -> None:
    store = open_store()
    assert isinstance(store, SQLStore) and store.schema_revision() == HEAD
    with sqlite3.connect(db(store_dir)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_written_by_a_newer_version_is_refused_and_left_untouched(store_dir: Path) -> None:
    open_store()
    close_all()
    with sqlite3.connect(db(store_dir)) as conn:
        conn.execute("UPDATE jupyter_track_version SET version_num = '9999_future'")
    before = db(store_dir).read_bytes()
    with pytest.raises(StoreVersionError, match=r"newer jupyter_track.*pip install -U jupyter_track"):
        jt.init(project="p")
    assert db(store_dir).read_bytes() == before


def test_a_store_stamped_in_alembic_version_is_adopted_and_that_table_left_to_optuna(store_dir: Path) -> None:
    run = jt.init(project="p")
    run.log({"x": 1.0})
    run.finish()
    close_all()
    with sqlite3.connect(db(store_dir)) as conn:  # how stores were stamped before the table had our name
        conn.execute("ALTER TABLE jupyter_track_version RENAME TO alembic_version")
    assert jt.run(run.path).summary["x"] == 1.0
    with sqlite3.connect(db(store_dir)) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "jupyter_track_version" in tables and "alembic_version" not in tables


def test_corrupted_store_gives_a_clear_error(store_dir: Path) -> None:
    store_dir.mkdir(parents=True)
    db(store_dir).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store()


def test_migration_scripts_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_track.store.migrate import script_revisions, upgrade

    assert tuple(script_revisions()) == REVISIONS
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diff = compare_metadata(context, metadata)
        assert diff == []
        assert conn.scalar(sa.text("SELECT version_num FROM jupyter_track_version")) == HEAD


def test_older_store_is_migrated_on_open(tmp_path: Path) -> None:
    from jupyter_track.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    upgrade(engine, REVISIONS[0])  # the oldest schema there is, with a run in it
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO runs (id, project, name, state, config, meta, created_at, updated_at) "
                             "VALUES ('old1', 'p', 'veteran', 'finished', '{\"lr\": 0.1}', '{}', 1, 2)"))
        conn.execute(sa.text("INSERT INTO run_tags VALUES ('old1', 'kept')"))
        conn.execute(sa.text("INSERT INTO summaries (run_id, key, value, last, min, max, count, last_step, user_set)"
                             " VALUES ('old1', 'acc', 0.9, 0.9, 0.1, 0.9, 10, 9, 0)"))
    engine.dispose()
    store = SQLStore(url)
    assert store.schema_revision() == HEAD
    [listed] = store.list_runs("p")
    assert listed.tags == ["kept"] and listed.summary["acc"].value == 0.9 and listed.config == {"lr": 0.1}
    detailed = store.get_run("old1")
    assert detailed is not None and detailed.summary["acc"].count == 10
    store.close()


def test_slow_loops_leave_few_chunk_rows_and_fast_loops_large_chunks(store_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run = jt.init(project="p")
    for i in range(600):  # one point per flush: the worst case for row counts
        run.log({"slow": float(i)})
        run.flush()
    run.log({"fast": 0.0})
    for i in range(1, 200_000):
        run.log({"fast": float(i)})
    run.finish()
    with sqlite3.connect(db(store_dir)) as conn:
        rows = dict(conn.execute("SELECT key, count(*) FROM metric_chunks GROUP BY key").fetchall())
    assert rows["slow"] <= 600 // writer_mod.MERGE_AFTER + writer_mod.MERGE_AFTER
    assert rows["fast"] <= 200_000 // writer_mod.SMALL_CHUNK
    r = jt.run(run.path)
    assert r.metric("slow").values.tolist() == [float(i) for i in range(600)]
    fast = r.metric("fast")
    assert len(fast) == 200_000 and np.array_equal(fast.values, np.arange(200_000.0))
    assert np.all(np.diff(fast.steps) == 1)


def test_filters_cover_fields_config_summary_tags_and_operators() -> None:
    for i, (lr, opt, tags) in enumerate([(0.1, "adam", ["a"]), (0.01, "sgd", ["a", "b"]), (0.001, "adam", [])]):
        run = jt.init(project="p", config={"lr": lr, "opt": opt, "net": {"depth": i + 1}}, tags=tags,
                      name=f"run-{i}", group="g1" if i < 2 else "g2")
        run.log({"acc": 0.5 + i / 10, "loss": 1.0 - i / 10})
        run.finish(exit_code=1 if i == 2 else 0)

    def names(filters: dict, order: str = "name") -> list[str]:
        return [r.name for r in jt.runs("p", filters=filters, order=order)]

    assert names({"config.lr": {"$lt": 0.05}}) == ["run-1", "run-2"]
    assert names({"config.opt": "adam"}) == ["run-0", "run-2"]
    assert names({"config.opt.value": {"$in": ["sgd"]}}) == ["run-1"]
    assert names({"config.net.depth": {"$gte": 2}}) == ["run-1", "run-2"]
    assert names({"summary.acc": {"$gt": 0.55}}) == ["run-1", "run-2"]
    assert names({"summary_metrics.loss": {"$lte": 0.9}}) == ["run-1", "run-2"]
    assert names({"tags": "b"}) == ["run-1"]
    assert names({"tags": {"$in": ["a", "zzz"]}}) == ["run-0", "run-1"]
    assert names({"tags": {"$all": ["a", "b"]}}) == ["run-1"]
    assert names({"state": "failed"}) == ["run-2"]
    assert names({"state": {"$ne": "failed"}, "group": "g1"}) == ["run-0", "run-1"]
    assert names({"$or": [{"name": "run-0"}, {"config.lr": 0.001}]}) == ["run-0", "run-2"]
    assert names({"name": {"$regex": "^run-[12]$"}}) == ["run-1", "run-2"]
    assert names({}, order="-summary.acc") == ["run-2", "run-1", "run-0"]
    assert names({}, order="config.lr") == ["run-2", "run-1", "run-0"]
    assert [r.name for r in jt.runs("p", search="RUN-1")] == ["run-1"]
    with pytest.raises(FilterError, match="unknown filter field 'colour'"):
        jt.runs("p", filters={"colour": "red"})
    with pytest.raises(FilterError, match="unknown operator '\\$near'"):
        jt.runs("p", filters={"config.lr": {"$near": 1}})
    with pytest.raises(FilterError, match="cannot sort by"):
        jt.runs("p", order="colour")


def test_stale_heartbeat_reads_as_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    run = jt.init(project="p")
    run.flush()
    store = open_store()
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sa.text("UPDATE runs SET heartbeat_at = :t"), {"t": time.time() - 3600})
    assert jt.run(run.path).state == "crashed"
    assert [r.id for r in jt.runs("p", filters={"state": "crashed"})] == [run.id]


def test_delete_run_removes_everything_it_owns(store_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(b"x" * 10)
    run = jt.init(project="p", tags=["t"])
    run.log({"a": 1.0, "text": "hello"})
    run.save(str(tmp_path / "f.bin"))
    run.finish()
    keep = jt.init(project="p")
    keep.log({"a": 2.0})
    keep.finish()
    store = open_store()
    assert store.delete_run(run.id) and not store.delete_run(run.id)
    with sqlite3.connect(db(store_dir)) as conn:
        for table in ("metric_chunks", "objects", "summaries", "run_tags", "blob_refs"):
            n = conn.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", (run.id,)).fetchone()[0]
            assert n == 0, table
    assert [r.id for r in jt.runs("p")] == [keep.id]


def test_blobs_are_content_addressed(tmp_path: Path) -> None:
    store = open_store()
    a = store.blobs.put_bytes(b"same")
    b = store.blobs.put_bytes(b"same")
    (tmp_path / "f").write_bytes(b"same")
    c, size = store.blobs.put_file(tmp_path / "f")
    assert a == b == c and size == 4 and list(store.blobs) == [a]
    with pytest.raises(StoreError, match="not a blob id"):
        store.blobs.path("../../etc/passwd")


def test_redact_hides_passwords() -> None:
    assert "s3cret" not in redact("postgresql://user:s3cret@db.example/runs")
    assert redact("not a url at all ::") == "<store url>" or "not a url" in redact("not a url at all ::")
