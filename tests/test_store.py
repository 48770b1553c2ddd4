"""The SQL store on a real SQLite file and a real PostgreSQL server: schema versions, migrations, chunks, filters,
deletes, blobs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

import jupyter_track as jt
from jupyter_track.errors import StoreError, StoreVersionError
from jupyter_track.store import close_all, open_store, packing
from jupyter_track.store.base import Batch, RunWrite
from jupyter_track.store.filters import FilterError
from jupyter_track.store.packing import pack_chunk
from jupyter_track.store.revisions import VERSION_TABLE
from jupyter_track.store.schema import HEAD, REVISIONS, metadata
from jupyter_track.store.sql import SQLStore
from jupyter_track.store.urls import redact
from tests.conftest import run_python
from tests.stores import assert_bits_equal, damage_table, new_run, note_inserts, read_only, sql
from tests.stores import engine as raw_engine

pytestmark = pytest.mark.usefixtures("backend")


def db(store_dir: Path) -> Path:
    return store_dir / "jupyter_track.db"


def test_new_store_is_stamped_with_the_head_revision(store_url: str) -> None:
    store = open_store()
    assert isinstance(store, SQLStore) and store.schema_revision() == HEAD
    assert store.url == store_url and store.dialect == store_url.split(":")[0]


@pytest.mark.sqlite_only("WAL is SQLite's journal mode")
def test_new_sqlite_store_is_in_wal_mode(store_dir: Path) -> None:
    open_store()
    with sqlite3.connect(db(store_dir)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


_OPEN_AT_ONCE = r"""
import sys, time
from pathlib import Path
from jupyter_track.store.sql_engine import sqlite_engine
folder, start, rounds = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for attempt in range(rounds):
    while time.time() < start + attempt * 0.05:
        pass  # a spin on the clock, not a sleep: every process opens the new file within microseconds of the others
    with sqlite_engine(folder / f"{attempt}.db").connect() as conn:
        print(conn.exec_driver_sql("PRAGMA journal_mode").scalar(), flush=True)
"""


@pytest.mark.sqlite_only("the switch of a new file into WAL mode is SQLite's")
def test_processes_opening_a_new_sqlite_store_at_the_same_moment_all_open_it(tmp_path: Path) -> None:
    # two processes switching a new file into WAL mode at once: SQLite answers one with "database is locked" at
    # once, without the busy timeout; one of a launcher's 16 workers failed to start that way in CI
    rounds, start = 40, time.time() + 3  # every process has imported by then
    procs = [subprocess.Popen([sys.executable, "-c", _OPEN_AT_ONCE, str(tmp_path), str(start), str(rounds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-800:]
        assert out.split() == ["wal"] * rounds


def _pages_one_flush_writes(run: jt.Run, keys: list[str], step: int, path: Path) -> int:
    """WAL frames (pages) the commit of one logged step of ``keys`` adds, the WAL emptied first."""
    run.flush()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # 0: not blocked
    run.log({k: step + i / 7 for i, k in enumerate(keys)})
    run.flush()
    return (Path(f"{path}-wal").stat().st_size - 32) // (4096 + 24)  # the WAL's header, then frames


@pytest.mark.sqlite_only("WAL frames are SQLite's")
def test_a_flush_writes_as_many_pages_whatever_other_runs_of_the_same_keys_the_store_holds(store_dir: Path) -> None:
    # an index on (key, value) moved each key's entry at every flush, and the entries of one key from every run sit
    # together: a flush of a wide run rewrote a page per key once the store held runs of the same keys
    keys = [f"layer{i // 10}/grad_norm_{i}" for i in range(300)]
    alone = jt.init(project="p")
    alone.log({k: 0.0 for k in keys})
    pages_alone = _pages_one_flush_writes(alone, keys, 1, db(store_dir))
    alone.finish()
    for _ in range(40):
        other = jt.init(project="p")
        other.log({k: 0.5 for k in keys})
        other.finish()
    crowded = jt.init(project="p")
    crowded.log({k: 0.0 for k in keys})
    pages_crowded = _pages_one_flush_writes(crowded, keys, 1, db(store_dir))
    crowded.finish()
    assert pages_crowded <= pages_alone + 8, (pages_alone, pages_crowded)
    assert [r.summary[keys[-1]] for r in jt.runs("p", filters={f"summary.{keys[-1]}": {"$gt": 1.0}})] == \
        [1 + 299 / 7] * 2  # a filter on a summary value still finds the runs


def test_store_written_by_a_newer_version_is_refused_and_left_untouched(store_dir: Path, backend: str) -> None:
    open_store()
    close_all()
    sql("UPDATE jupyter_track_version SET version_num = '9999_future'")
    before = db(store_dir).read_bytes() if backend == "sqlite" else None
    with pytest.raises(StoreVersionError, match=r"newer jupyter_track.*pip install -U jupyter_track"):
        jt.init(project="p")
    with pytest.raises(StoreVersionError, match=r"newer jupyter_track"):
        open_store()
    if before is not None:
        assert db(store_dir).read_bytes() == before
    assert sql("SELECT version_num FROM jupyter_track_version") == [("9999_future",)]
    assert sql("SELECT count(*) FROM runs") == [(0,)]


def test_a_store_stamped_in_alembic_version_is_adopted_and_that_table_left_to_optuna() -> None:
    run = jt.init(project="p")
    run.log({"x": 1.0})
    run.finish()
    close_all()
    sql("ALTER TABLE jupyter_track_version RENAME TO alembic_version")  # how stores were stamped before
    assert jt.load_run(run.path).summary["x"] == 1.0
    tables = set(sa.inspect(open_store().engine).get_table_names())  # type: ignore[attr-defined]
    assert "jupyter_track_version" in tables and "alembic_version" not in tables


@pytest.mark.sqlite_only("a damaged database file")
def test_corrupted_store_gives_a_clear_error(store_dir: Path) -> None:
    store_dir.mkdir(parents=True)
    db(store_dir).write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store()


def test_migration_scripts_build_exactly_the_declared_schema(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_track.store.schema_upgrade import script_revisions, upgrade

    assert tuple(script_revisions()) == REVISIONS
    engine = raw_engine(store_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        diff = compare_metadata(context, metadata)
        assert diff == []
        assert conn.scalar(sa.text("SELECT version_num FROM jupyter_track_version")) == HEAD
    engine.dispose()


def test_older_store_is_migrated_on_open(store_url: str) -> None:
    from jupyter_track.store.schema_upgrade import upgrade

    url = store_url
    engine = raw_engine(url)
    upgrade(engine, REVISIONS[0])  # the oldest schema there is, with a run in it
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO runs (id, project, name, state, config, meta, created_at, updated_at) "
                             "VALUES ('old1', 'p', 'veteran', 'finished', '{\"lr\": 0.1}', '{}', 1, 2)"))
        conn.execute(sa.text("INSERT INTO run_tags VALUES ('old1', 'kept')"))
        conn.execute(sa.text("INSERT INTO summaries (run_id, key, value, last, min, max, count, last_step, user_set)"
                             " VALUES ('old1', 'acc', 0.9, 0.9, 0.1, 0.9, 10, 9, :no)"), {"no": False})
    engine.dispose()
    store = SQLStore(url)
    assert store.schema_revision() == HEAD
    [listed] = store.list_runs("p")
    assert listed.tags == ["kept"] and listed.summary["acc"].value == 0.9 and listed.config == {"lr": 0.1}
    detailed = store.get_run("old1")
    assert detailed is not None and detailed.summary["acc"].count == 10
    if store.dialect == "postgresql":  # 0007: room in the summaries' pages for updates (see schema.py)
        assert sql("SELECT reloptions FROM pg_class WHERE relname = 'summaries'", url) == [(["fillfactor=70"],)]
    store.close()


def test_a_wide_run_logging_slowly_writes_a_row_a_flush_and_every_reader_sees_each_point_once(store_url: str
                                                                                                ) -> None:
    # 200 keys, a few steps a flush: one tail row a flush (not 200 chunk rows); while it runs, every reader (a run
    # read back, the live panel's cursors, the compare widget's many-run read, the key list) sees every point
    # once, also after a fast stretch of one key merged that key's small chunks while their rows stay
    keys = [f"layer{j // 10}/m{j}" for j in range(200)]
    run = jt.init(project="p", display=False)
    logged: dict[str, list[float]] = {k: [] for k in [*keys, "fast"]}
    step = 0

    def log(data: dict[str, float]) -> None:
        nonlocal step
        run.log(data, step=step)
        for key, value in data.items():
            logged[key].append(value)
        step += 1

    def check() -> None:
        store = open_store()
        stored = jt.load_run(run.path)
        for key, values in logged.items():
            assert stored.metric(key).values.tolist() == values, key
        assert store.series_keys(run.id) == sorted(logged)
        after = store.read_series_after(run.id, {keys[0]: None, keys[1]: 3, "fast": 2})
        assert after[keys[0]].values.tolist() == logged[keys[0]]
        assert after[keys[1]].steps.tolist() == [s for s in stored.metric(keys[1]).steps.tolist() if s > 3]
        assert after["fast"].values.tolist() == logged["fast"][3:]
        many = store.read_series_many([run.id], [keys[5], "fast"])
        assert many[run.id, keys[5]].values.tolist() == logged[keys[5]]
        assert many[run.id, "fast"].values.tolist() == logged["fast"]

    for _ in range(6):
        for _ in range(4):
            log({k: step + j / 1000 for j, k in enumerate(keys)} | {"fast": -float(step)})
        run.flush()
    assert sql("SELECT count(*) FROM metric_tails") == [(6,)]
    assert sql("SELECT count(*) FROM metric_chunks") == [(0,)]
    check()
    for _ in range(packing.MERGE_BELOW):  # "fast" alone: a large chunk, after its small ones merged
        log({"fast": -float(step)})
    run.flush()
    assert sql("SELECT count(*) FROM metric_chunks") == [(2,)]
    check()
    while sql("SELECT count(*) FROM metric_tails") != [(0,)]:  # until the tail is folded (MERGE_AFTER rows)
        log({k: step + j / 1000 for j, k in enumerate(keys)})
        run.flush()
        assert step < 10 * packing.MERGE_AFTER * 4
    assert sql("SELECT count(*) FROM metric_chunks WHERE key = :k", k=keys[0]) == [(1,)]
    check()
    for _ in range(3):
        log({k: float(step) for k in keys})
        run.flush()
    run.finish()
    check()
    assert sql("SELECT count(*) FROM metric_tails") == [(0,)]  # a finished run: folded
    assert sql("SELECT count(*) FROM metric_chunks WHERE key = :k", k=keys[0]) == [(1,)]  # the small merged one
    # took the last points in: rewritten as one


_CRASH_IN_THE_TAIL = """
import os, jupyter_track as jt
run = jt.init(project="p", id="crashed", display=False)
for flush in range(5):
    for i in range(3):
        run.log({"a": float(flush * 3 + i), "b": -float(flush * 3 + i)})
    run.flush()
os._exit(1)  # no finish(): the tail rows stay
"""


def test_a_run_resumed_after_its_writer_crashed_keeps_the_points_it_left_in_tail_rows(store_url: str) -> None:
    run_python(_CRASH_IN_THE_TAIL, check=False)
    assert sql("SELECT count(*) FROM metric_tails") == [(5,)]
    assert jt.load_run("p/crashed").metric("a").values.tolist() == [float(i) for i in range(15)]
    with jt.init(project="p", id="crashed", resume="must", display=False) as run:
        for i in range(15, 15 + 2 * packing.MERGE_BELOW):  # large chunks: they come after the crashed writer's
            run.log({"a": float(i), "b": -float(i)})
    assert sql("SELECT count(*) FROM metric_tails") == [(0,)]
    stored = jt.load_run("p/crashed")
    assert stored.metric("a").values.tolist() == [float(i) for i in range(15 + 2 * packing.MERGE_BELOW)]
    assert stored.metric("b").steps.tolist() == list(range(15 + 2 * packing.MERGE_BELOW))


def test_tail_rows_of_the_previous_layout_are_read_and_a_run_left_in_them_resumes(store_url: str) -> None:
    import struct

    import orjson

    from jupyter_track.store import tail_rows

    run_python(_CRASH_IN_THE_TAIL, check=False)
    close_all()
    # as revision 0008 wrote them: the JSON header as it is, its length's top bit clear
    for seq, data in sql("SELECT seq, data FROM metric_tails ORDER BY seq"):
        length, header = tail_rows._header(bytes(data))
        plain = orjson.dumps(header)
        old = struct.pack("<I", len(plain)) + plain + bytes(data)[4 + length:]
        sql("UPDATE metric_tails SET data = :d WHERE seq = :s", d=old, s=seq)
    sql("UPDATE jupyter_track_version SET version_num = '0008_metric_tails'")
    old_rows = sql("SELECT seq, data FROM metric_tails ORDER BY seq")
    assert len(old_rows) == 5 and all(not struct.unpack_from("<I", bytes(d))[0] >> 31 for _, d in old_rows)
    assert jt.load_run("p/crashed").metric("b").values.tolist() == [-float(i) for i in range(15)]
    assert sql("SELECT version_num FROM jupyter_track_version") == [(HEAD,)]  # migrated on open
    assert sql("SELECT seq, data FROM metric_tails ORDER BY seq") == old_rows  # read, not rewritten
    with jt.init(project="p", id="crashed", resume="must", display=False) as run:
        run.log({"a": 15.0, "b": -15.0})
    assert jt.load_run("p/crashed").metric("a").values.tolist() == [float(i) for i in range(16)]
    assert sql("SELECT count(*) FROM metric_tails") == [(0,)]


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
    rows = dict(sql("SELECT key, count(*) FROM metric_chunks GROUP BY key"))
    assert rows["slow"] <= 600 // packing.MERGE_AFTER + packing.MERGE_AFTER
    assert rows["fast"] <= 200_000 // packing.SMALL_CHUNK
    r = jt.load_run(run.path)
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
    assert jt.load_run(run.path).state == "crashed"
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
    for table in ("metric_chunks", "objects", "summaries", "run_tags", "blob_refs"):
        assert sql(f"SELECT count(*) FROM {table} WHERE run_id = :id", id=run.id) == [(0,)], table
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
    assert redact("postgresql://user:s3cret@db.example/runs") == "postgresql://user:***@db.example/runs"
    assert redact("postgresql://u:s3cret@db:notaport/x") == "postgresql://u:***@db:notaport/x"  # a bad port
    assert redact("postgresql://u:s3cret@[bad/db") == "<store url>"  # unparseable: never echoed with its secret
    assert redact("not a url at all ::") == "not a url at all ::"  # nothing secret: shown as typed


def test_a_batch_written_again_after_its_commit_changes_nothing(store_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer retries a batch when the connection dropped during COMMIT, though the commit may have landed:
    writing every batch of a run a second time must neither fail nor duplicate a point."""
    store = open_store(store_url)
    written: list[object] = []
    write = store.write_batch

    def keep(batch):  # type: ignore[no-untyped-def]
        write(batch)
        written.append(batch)

    monkeypatch.setattr(store, "write_batch", keep)
    run = jt.init(project="twice", display=False)
    for step in range(5000):
        run.log({"loss": 1 / (step + 1), "acc": step / 5000})
        if step % 1000 == 999:
            run.flush()
    run.finish()
    assert len(written) >= 5
    for batch in written:
        write(batch)  # type: ignore[arg-type]
    assert [r.id for r in jt.runs("twice")] == [run.id]
    stored = jt.load_run(run.path)
    assert np.array_equal(stored.metric("loss").steps, np.arange(5000))
    assert stored.summary["acc"] == pytest.approx(4999 / 5000)


def test_a_regex_the_database_cannot_use_is_a_filter_error(backend: str) -> None:
    jt.init(project="rx", name="x1", display=False).finish()
    pattern = {"name": {"$regex": "(?P<n>x)1"}}  # Python's named group: PostgreSQL's engine refuses it
    try:
        found = [r.name for r in jt.runs("rx", filters=pattern)]
    except FilterError as exc:
        assert backend == "postgresql" and "$regex" in str(exc) and "POSIX" in str(exc)
    else:
        assert backend == "sqlite" and found == ["x1"]


def test_list_rows_are_the_listing_rows_of_list_runs(store_url: str) -> None:
    """The run list's fast path (plain dicts straight from the rows) says what the RunInfo path says."""
    import orjson

    from jupyter_track.store.base import Store, listing_row

    for n in range(4):
        run = jt.init(project="rows", name=f"r{n}", tags=["a", f"t{n}"], group="g" if n % 2 else None,
                      config={"lr": n / 10}, display=False)
        run.log({"loss": 1 / (n + 1), "odd": float("nan") if n == 2 else n})
        if n == 3:
            run.flush()  # left running
        else:
            run.finish(exit_code=n)
    store = open_store(store_url)
    for args in ({"order": "-summary.loss"}, {"order": "name", "limit": 2, "offset": 1},
                 {"filters": {"tags": "t1"}}, {"search": "r2"}):
        fast = store.list_rows(project="rows", **args)  # type: ignore[arg-type]
        slow = Store.list_rows(store, project="rows", **args)  # type: ignore[arg-type]
        assert fast and orjson.loads(orjson.dumps(fast)) == orjson.loads(orjson.dumps(slow))
    assert [listing_row(i)["name"] for i in store.list_runs("rows", order="name")] == ["r0", "r1", "r2", "r3"]


def test_a_regex_python_re_would_backtrack_on_for_hours_answers_at_once(backend: str) -> None:
    jt.init(project="rx", name="a" * 40 + "!", display=False).finish()
    # Python's re tries ~2^40 ways to split the a's (3.7 s at 27 characters, doubling with each one); it held the
    # GIL throughout, freezing the server. RE2 (SQLite's REGEXP) and PostgreSQL's engine are linear. A fresh
    # process, so that a regression is a timeout here and not a hung test run.
    out = run_python("""
        import jupyter_track as jt
        print(len(jt.runs("rx", filters={"name": {"$regex": "^(a+)+$"}})),
              len(jt.runs("rx", filters={"name": {"$regex": "^(a+)+!$"}})))
    """, timeout=60)
    assert out.stdout.split() == ["0", "1"]


def test_a_regex_with_a_backreference_is_a_filter_error_naming_re2(backend: str) -> None:
    jt.init(project="rx", name="aa", display=False).finish()
    for pattern in (r"^(a)\1$", "a(?=a)"):
        with pytest.raises(FilterError, match=r"\$regex .*not a valid pattern.*RE2 syntax"):
            jt.runs("rx", filters={"name": {"$regex": pattern}})


def _killed_writer_leaves_its_wal(store_dir: Path) -> None:
    """A process that logs and dies without closing the store: its ``-wal`` and ``-shm`` files stay."""
    run_python("""
        import os, jupyter_track as jt
        run = jt.init(project="ro", name="killed", display=False)
        run.log({"x": 2.0})
        run.flush()
        os._exit(0)
    """)
    assert (store_dir / "jupyter_track.db-wal").stat().st_size > 0 and (store_dir / "jupyter_track.db-shm").exists()


@pytest.mark.sqlite_only("read-only files and folders of the SQLite store")
@pytest.mark.parametrize("made_read_only", ["folder", "shm"])
def test_a_read_only_store_is_read_by_the_api_and_the_cli(store_dir: Path, made_read_only: str) -> None:
    """``folder``: the store's folder and file, after every writer closed it (an archive, a read-only mount);
    ``shm``: the ``-shm`` file only, as another user's still-open store leaves it (mode 644)."""
    run = jt.init(project="ro", name="kept", display=False)
    run.log({"x": 1.0})
    run.finish()
    close_all()
    if made_read_only == "folder":
        paths = [db(store_dir), store_dir]
        names = ["kept"]
    else:
        _killed_writer_leaves_its_wal(store_dir)
        paths = [Path(f"{db(store_dir)}-shm")]
        names = ["kept", "killed"]
    with read_only(*paths):
        assert sorted(r.name for r in jt.runs("ro")) == names
        assert jt.load_run(run.path).summary["x"] == 1.0
        ls = subprocess.run([sys.executable, "-m", "jupyter_track", "ls", "ro"], capture_output=True, text=True,
                            timeout=120)
        assert ls.returncode == 0 and all(n in ls.stdout for n in names), ls.stderr
        with pytest.raises(StoreError, match="read-only") as refused:  # a write says why, and keeps the store
            open_store().write_batch(Batch(runs=[RunWrite(id=run.id, fields={"notes": "edited"})]))
        assert "move it away" not in str(refused.value)
    # writable again: the same process (its store opened read-only) writes
    open_store().write_batch(Batch(runs=[RunWrite(id=run.id, fields={"notes": "edited"})]))
    assert jt.load_run(run.path).notes == "edited"


@pytest.mark.sqlite_only("read-only files and folders of the SQLite store")
def test_init_on_a_read_only_store_never_advises_moving_it_away(store_dir: Path) -> None:
    jt.init(project="ro", display=False).finish()
    close_all()
    with read_only(db(store_dir), store_dir):
        with pytest.raises(StoreError) as refused:
            jt.init(project="ro", display=False)
        message = str(refused.value)
    assert "read-only" in message and "move it away" not in message and "damaged" not in message


@pytest.mark.sqlite_only("a damaged page of the SQLite file")
def test_a_damaged_database_page_is_a_store_error_on_read(store_dir: Path) -> None:
    for i in range(3):
        run = jt.init(project="hurt", config={"i": i}, display=False)
        run.log({"x": float(i)})
        run.finish()
    close_all()
    damage_table(db(store_dir), "runs")
    with pytest.raises(StoreError, match=r"cannot read the store .*malformed.*\.recover"):
        jt.runs("hurt")
    ls = subprocess.run([sys.executable, "-m", "jupyter_track", "ls"], capture_output=True, text=True, timeout=120)
    assert ls.returncode == 1 and "malformed" in ls.stderr and "Traceback" not in ls.stderr


def test_a_reader_that_read_the_whole_series_sees_chunks_written_after_it(store_url: str) -> None:
    # a reader keeps its pooled connection: rows another connection writes later, in the WAL or checkpointed into
    # a grown file, are read all the same
    reader, writer = open_store(), SQLStore(store_url)
    writer.write_batch(Batch(runs=[new_run("grows")]))
    rng = np.random.default_rng(11)
    logged = rng.standard_normal(40_000)
    for seq in range(4):
        lo = seq * 10_000
        writer.write_batch(Batch(chunks=[pack_chunk("grows", "x", seq, np.arange(lo, lo + 10_000),
                                                    logged[lo:lo + 10_000], np.full(10_000, 1.7e9))]))
        if seq % 2 and "sqlite" in store_url:
            with writer.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        got = reader.read_series("grows", "x")
        assert_bits_equal(got.values, logged[:lo + 10_000])
        assert_bits_equal(reader.read_run_series("grows")["x"].steps, np.arange(lo + 10_000))
    writer.close()


def test_a_slow_loop_folds_its_points_without_rewriting_them_at_every_fold(store_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # a fold every 4 flushes of one point each, a key's chunk closed at 128 points: 32 folds, as a loop of one
    # point a flush makes with the real bounds (a fold every 32 flushes, closed at 1,024)
    monkeypatch.setattr(packing, "MERGE_AFTER", 4)
    monkeypatch.setattr(packing, "SMALL_CHUNK", 128)
    run = jt.init(project="p", capture="none")
    run.log({"a": 0.0, "b": 0.0})
    run.flush()  # the store made: note every chunk row the writer inserts from now on
    inserted = note_inserts("metric_chunks", "key", "n")
    logged = [0.0]
    for step in range(1, 140):
        run.log({"a": step / 7, "b": -step / 7})
        logged.append(step / 7)
        run.flush()
        if step % 20 == 0:  # every point readable at any time, from chunk rows and tail rows
            assert jt.load_run(run.path).metric("a").values.tolist() == logged
            # a slow key keeps a few merged pieces open (a binary counter of 4-point folds), not a row per fold
            assert sql("SELECT count(*) FROM metric_chunks WHERE key = 'a'")[0][0] <= 6
    run.finish()
    stored = jt.load_run(run.path)
    assert stored.metric("a").values.tolist() == logged
    assert stored.metric("b").values.tolist() == [-v for v in logged]
    assert sql("SELECT count(*) FROM metric_tails") == [(0,)]
    # the 128 points that reached the bound are one chunk; the finish merged what came after into one more
    assert [n for (n,) in sql("SELECT n FROM metric_chunks WHERE key = 'a' ORDER BY seq")] == [128, 12]
    # each point went into a chunk row a few times (log2 of 32 folds, then the closing merge), not once a fold:
    # rewriting a key's open chunk at every fold inserted 2,136 points for 140 (15x)
    points = sum(int(n) for key, n in inserted() if key == "a")
    assert len(logged) < points <= 5 * len(logged)


@pytest.mark.parametrize("seed", [4, 8, 26])
def test_random_key_sets_rates_bursts_and_flushes_read_back_exactly_through_every_fold(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    rng = random.Random(seed)
    # tiny bounds: tail rows folded every few flushes, pieces merged and closed, bursts as large chunks, the
    # open-points bound reached
    monkeypatch.setattr(packing, "MERGE_AFTER", rng.choice([2, 3, 5]))
    monkeypatch.setattr(packing, "SMALL_CHUNK", rng.choice([20, 40, 64]))
    monkeypatch.setattr(packing, "MERGE_BELOW", rng.choice([8, 16]))
    monkeypatch.setattr(packing, "OPEN_MAX", rng.choice([100, 400, 10**9]))
    run = jt.init(project="p", capture="none")
    keys = [f"k{i}" for i in range(rng.randint(3, 12))]
    every = {k: rng.choice([1, 1, 2, 3, 7, 25]) for k in keys}  # key k is logged at the steps divisible by this
    logged: dict[str, tuple[list[int], list[float]]] = {k: ([], []) for k in keys}

    def check(stored: jt.StoredRun, min_step: int) -> None:
        for k in keys:
            assert stored.metric(k).steps.tolist() == logged[k][0], k
            assert stored.metric(k).values.tolist() == logged[k][1], k
        since = stored.history(keys=keys[:3], min_step=min_step)
        for k in keys[:3]:
            assert since[k].dropna().tolist() == [v for s, v in zip(*logged[k], strict=True) if s >= min_step], k

    step = 0
    for _ in range(400):
        burst = rng.random() < 0.05  # one key's many points in one flush: a large chunk after its small ones
        for _ in range(rng.randint(20, 60) if burst else 1):
            row = {k: rng.random() for k in keys if step % every[k] == 0 and (not burst or k == keys[0])}
            if row:
                run.log(row, step=step)
                for k, v in row.items():
                    logged[k][0].append(step)
                    logged[k][1].append(v)
            step += 1
        if rng.random() < 0.5:
            run.flush()
        if rng.random() < 0.03:
            run.flush()
            check(jt.load_run(run.path), rng.randint(0, step))
    run.finish()
    check(jt.load_run(run.path), rng.randint(0, step))
    assert sql("SELECT count(*) FROM metric_tails") == [(0,)]
