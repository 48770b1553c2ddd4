"""What only a PostgreSQL store has to get right, against the session's real server: the URL a user types, the
schema made once by processes that connect at the same moment, run names taken atomically, blobs in the database
or a shared folder, a restarted server, and a password that never leaves the URL it was typed in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import jupyter_track as jt
from jupyter_track.errors import StoreError
from jupyter_track.store import close_all, open_store
from jupyter_track.store.sql import SQLStore
from jupyter_track.store.urls import driver_url, redact
from tests.conftest import REPO, run_python
from tests.postgres import PostgresServer, wait_until_up
from tests.stores import blob_ids, sql

PASSWORD = "sekrit-Pa55"


@pytest.fixture
def pg(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database selected the way a user does: ``JUPYTER_TRACK_STORE``."""
    monkeypatch.setenv("JUPYTER_TRACK_STORE", pg_url)
    return pg_url


def test_the_urls_users_type_open_with_psycopg_3(pg_url: str) -> None:
    rest = pg_url.split("://", 1)[1]
    assert driver_url(f"postgres://{rest}") == f"postgresql+psycopg://{rest}"
    assert driver_url(f"postgresql+psycopg2://{rest}") == f"postgresql+psycopg://{rest}"
    assert driver_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    store = SQLStore(f"postgres://{rest}")
    try:
        assert store.engine.dialect.driver == "psycopg" and store.dialect == "postgresql"
    finally:
        store.close()


def test_without_psycopg_the_error_says_what_to_install(pg_url: str) -> None:
    out = run_python(f"""
        import sys
        sys.modules["psycopg"] = None  # as if the extra was not installed
        import jupyter_track as jt
        try:
            jt.init(project="p", store={pg_url!r})
        except jt.errors.StoreError as exc:
            print(exc)
    """)
    assert 'pip install "jupyter_track[postgres]"' in out.stdout


def test_processes_connecting_to_an_empty_database_at_once_make_the_schema_once(pg_url: str) -> None:
    code = textwrap.dedent(f"""
        import time, sys
        start = float(sys.argv[1])
        time.sleep(max(0.0, start - time.time()))
        from jupyter_track.store import open_store
        print(open_store({pg_url!r}).schema_revision())
    """)
    import time

    start = str(time.time() + 2.0)  # every process imports first, then all connect at the same moment
    procs = [subprocess.Popen([sys.executable, "-c", code, start], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    from jupyter_track.store.schema import HEAD

    assert {out.strip() for out, _ in outs} == {HEAD}
    assert sql("SELECT version_num FROM jupyter_track_version", pg_url) == [(HEAD,)]


def test_runs_started_at_the_same_moment_get_distinct_names(pg: str) -> None:
    jt.init(project="names").finish()  # the store exists: init takes its fast path
    close_all()
    code = textwrap.dedent("""
        import time, sys
        time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
        import jupyter_track as jt
        with jt.init(project="names") as run:
            print(run.name)
    """)
    import time

    start = str(time.time() + 2.0)
    procs = [subprocess.Popen([sys.executable, "-c", code, start], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    names = [out.strip() for out, _ in outs]
    assert len(set(names)) == 6, names
    assert sorted(int(n.rsplit("-", 1)[1]) for n in names) == list(range(2, 8))


def test_config_values_of_mixed_types_filter_and_sort_without_errors(pg: str) -> None:
    for name, lr in (("a", 0.1), ("b", "auto"), ("c", 0.001), ("d", True)):
        jt.init(project="mixed", name=name, config={"lr": lr}).finish()
    assert [r.name for r in jt.runs("mixed", filters={"config.lr": {"$lt": 0.05}})] == ["c"]
    assert [r.name for r in jt.runs("mixed", order="config.lr")][:2] == ["c", "a"]
    assert [r.name for r in jt.runs("mixed", filters={"config.lr": "auto"})] == ["b"]
    assert [r.name for r in jt.runs("mixed", filters={"config.lr": True})] == ["d"]
    assert list(jt.load_run("mixed/" + jt.runs("mixed", filters={"name": "b"})[0].id).config) == ["lr"]


def test_key_order_nan_inf_nul_and_wildcards_round_trip(pg: str) -> None:
    run = jt.init(project="p", name="lr_0.1", config={"zeta": 1, "alpha": 2, "mid": {"y": 1, "b": 2}},
                  notes="a\x00b")
    run.log({"x": float("nan")})
    run.log({"x": float("inf")})
    run.log({"x": -float("inf")})
    run.finish()
    back = jt.load_run(run.path)
    assert list(back.config) == ["zeta", "alpha", "mid"] and list(back.config["mid"]) == ["y", "b"]
    values = back.metric("x").values
    assert str(values.tolist()) == "[nan, inf, -inf]"
    assert back.notes == "a\ufffdb"  # PostgreSQL text holds no NUL
    jt.init(project="p", name="lrx0.1").finish()
    assert [r.name for r in jt.runs("p", search="lr_0")] == ["lr_0.1"]  # "_" is matched literally


def test_blobs_live_in_the_database_and_large_ones_need_the_shared_folder(pg: str, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BLOB_DB_MAX", "4096")
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(os.urandom(1000))
    large.write_bytes(os.urandom(10_000))
    with jt.init(project="b") as run:
        run.save(str(small))
        with pytest.raises(StoreError, match=r"JUPYTER_TRACK_BLOB_DIR.*JUPYTER_TRACK_BLOB_DB_MAX"):
            run.save(str(large))
    assert sql("SELECT count(*) FROM blobs") == [(1,)]
    close_all()
    shared = tmp_path / "shared"
    monkeypatch.setenv("JUPYTER_TRACK_BLOB_DIR", str(shared))
    with jt.init(project="b") as run:
        run.save(str(large))
    files = [p for p in shared.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == large.read_bytes()
    store = open_store()
    assert len(blob_ids()) == 2
    read = set()
    for sha in blob_ids():
        with store.blobs.open(sha) as f:
            read.add(f.read())
        assert store.blobs.read_bytes(sha) in read
    assert read == {small.read_bytes(), large.read_bytes()}  # one from the database, one from the folder


def test_a_blob_in_neither_place_reads_as_missing(pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `migrate`, gc and the server report for a lost blob: that it is missing, with or without a folder."""
    sha = "ab" * 32
    for folder in (None, tmp_path / "shared"):
        if folder is not None:
            monkeypatch.setenv("JUPYTER_TRACK_BLOB_DIR", str(folder))
        close_all()
        blobs = open_store().blobs
        assert not blobs.exists(sha)
        for read in (blobs.size, blobs.modified, blobs.open, blobs.read_bytes):
            with pytest.raises(StoreError, match=f"blob {sha} is missing"):
                read(sha)


def test_a_restarted_server_is_reconnected_transparently(postgres: PostgresServer, pg: str) -> None:
    with jt.init(project="restart") as run:
        run.log({"x": 1.0})
    store = open_store()
    assert [r.id for r in store.list_runs("restart")] == [run.id]
    postgres.stop("fast")  # every pooled connection is dropped
    postgres.start()
    wait_until_up(postgres)
    assert [r.id for r in store.list_runs("restart")] == [run.id]
    with jt.init(project="restart") as again:
        again.log({"x": 2.0})
    assert jt.load_run(again.path).summary["x"] == 2.0


@pytest.fixture
def secret_url(postgres: PostgresServer) -> str:
    """A database owned by a role with a password, and the URL that carries it."""
    import psycopg

    url = postgres.create_database()
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'jt_team') THEN "
                     f"CREATE ROLE jt_team LOGIN PASSWORD '{PASSWORD}'; END IF; END $$")
        conn.execute(f'ALTER DATABASE "{database}" OWNER TO jt_team')
    return f"postgresql://jt_team:{PASSWORD}@127.0.0.1:{postgres.port}/{database}"


def test_the_password_never_reaches_messages_errors_logs_or_stored_runs(secret_url: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_STORE", secret_url)
    monkeypatch.setenv("JUPYTER_TRACK_CAPTURE", "all")  # environment, packages, git, code: everything recorded
    out = run_python("""
        import logging, jupyter_track as jt
        logging.basicConfig(level=logging.DEBUG)
        with jt.init(project="secret", config={"lr": 0.1}) as run:
            run.log({"x": 1.0})
        print(run.path)
    """, env={"JUPYTER_TRACK_QUIET": "0"})
    assert "jt_team:***@" in out.stderr  # the init line (on stderr in a script) names the store, without the password
    assert PASSWORD not in out.stdout + out.stderr
    path = out.stdout.split()[-1]
    detail = jt.load_run(path)
    assert PASSWORD not in json.dumps({"meta": detail.meta, "config": dict(detail.config)}, default=str)
    engine = sa.create_engine(driver_url(secret_url))
    with engine.connect() as conn:  # nothing anywhere in the database holds it
        for table in ("runs", "objects", "summaries", "blob_refs"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                assert PASSWORD not in str(row), table
        for (data,) in conn.execute(sa.text("SELECT data FROM blob_parts")):
            assert PASSWORD.encode() not in bytes(data)
    engine.dispose()
    wrong = secret_url.rsplit("/", 1)[0] + "/nosuchdb"  # the server answers: no such database
    with pytest.raises(StoreError) as raised:
        SQLStore(wrong)
    assert PASSWORD not in str(raised.value) and "jt_team:***@" in str(raised.value)
    with pytest.raises(StoreError) as raised:
        jt.init(project="p", store=wrong)
    assert PASSWORD not in str(raised.value)
    assert redact(secret_url) == secret_url.replace(PASSWORD, "***")


def test_the_server_extension_log_and_answers_hide_the_password(secret_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets
    import shutil
    import time
    import urllib.error
    import urllib.request

    from tests.jupyter_server import free_port

    monkeypatch.setenv("JUPYTER_TRACK_STORE", secret_url)
    with jt.init(project="secret") as run:
        run.log({"x": 1.0})
    config = tmp_path / "config" / "jupyter_server_config.d"
    config.mkdir(parents=True)
    shutil.copy(REPO / "jupyter-config/server-config/jupyter_track.json", config)
    (tmp_path / "root").mkdir()
    port, token, log = free_port(), secrets.token_hex(16), tmp_path / "server.log"
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path / 'root'}"],
            env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path)},
            stdout=sink, stderr=subprocess.STDOUT)
    try:
        def get(path: str) -> str:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/{path}", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.read().decode()

        deadline = time.monotonic() + 60
        while True:
            try:
                get("api/status")
                break
            except (urllib.error.URLError, OSError):
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        answers = [get("jupyter-track/api/" + path)
                   for path in ("projects", "runs?project=secret", f"runs/secret/{run.id}")]
        assert run.id in answers[1] and all(PASSWORD not in a for a in answers)
    finally:
        process.terminate()
        process.wait(15)
    text = log.read_text()
    assert "jt_team:***@" in text and PASSWORD not in text


def test_listing_threads_share_the_pool_without_exhausting_it(pg: str) -> None:
    for i in range(3):
        jt.init(project="pool", name=f"r{i}").finish()
    store = open_store()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                assert len(store.list_runs("pool", order="-summary.x")) == 3
        except BaseException as exc:  # noqa: BLE001 - thread boundary: collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_a_role_that_may_only_read_lists_runs_with_the_api_and_the_cli(pg: str) -> None:
    run = jt.init(project="ro", display=False)
    run.log({"x": 1.0})
    run.finish()
    close_all()
    role = f"reader_{os.getpid()}_{run.id}".lower()
    sql(f"CREATE ROLE {role} LOGIN")
    sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    reader = pg.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
    assert reader != pg
    assert [r.id for r in jt.runs("ro", store=reader)] == [run.id]
    ls = subprocess.run([sys.executable, "-m", "jupyter_track", "--store", reader, "ls", "ro"], capture_output=True,
                        text=True, timeout=120)
    assert ls.returncode == 0 and run.id in ls.stdout, ls.stderr


def test_a_file_too_large_for_the_store_at_finish_warns_and_the_run_still_ends(pg: str, tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BLOB_DB_MAX", "4096")
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(10_000))
    run = jt.init(project="b")
    run.save(str(large), policy="end")
    run.log({"x": 1.0})
    with pytest.warns(jt.JupyterTrackWarning, match=r"large\.bin was not saved at finish\(\).*10,000 bytes"):
        run.finish()
    stored = jt.load_run(run.path)
    assert stored.state == "finished" and stored.summary["x"] == 1.0


def test_a_running_runs_summary_updates_stay_in_their_pages_and_its_indexes_do_not_grow(pg: str) -> None:
    # every flush updates each key's summary row; with room in the page (fillfactor) and no indexed column
    # changed, PostgreSQL keeps the new version in the same page and adds no index entries (a HOT update)
    keys = [f"layer{i // 10}/grad_norm_{i}" for i in range(300)]
    run = jt.init(project="p")
    run.log({k: 0.0 for k in keys})
    run.flush()

    def index_bytes() -> int:
        return int(sql("SELECT pg_relation_size('ix_summaries_key') + pg_relation_size('summaries_pkey')", pg)[0][0])

    def heap_bytes() -> int:
        return int(sql("SELECT pg_relation_size('summaries')", pg)[0][0])

    before, heap = index_bytes(), heap_bytes()
    for step in range(1, 101):
        run.log({k: step + i / 7 for i, k in enumerate(keys)})
        run.flush()
    run.finish()
    # without room in its pages every update left a dead row version behind until a vacuum: 41 KB grew to 500 KB
    # (with room: 57 KB to 123 KB), and each version had entries in both indexes (49 KB more against 16 KB)
    assert heap_bytes() <= 3 * heap, (heap, heap_bytes())
    assert index_bytes() - before <= 32 * 1024, (before, index_bytes())
    assert jt.load_run(run.path).summary[keys[-1]] == 100 + 299 / 7
