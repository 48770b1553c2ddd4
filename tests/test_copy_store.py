"""``jupyter-track migrate``: a store copied into another (SQLite → SQLite, SQLite → PostgreSQL), counted back."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import sqlite3
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.cli import main
from jupyter_track.store import close_all, open_store
from jupyter_track.store.base import Store
from tests.conftest import REPO
from tests.postgres import PostgresServer


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where to copy to: a new SQLite store folder, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "team")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database()


def _open(location: str) -> Store:
    return open_store(location) if "://" in location else open_store(dir=location)


def _fill(files: Path) -> str:
    """A source store with what users log: two grouped runs (scalars, an image, text, a table, a saved file),
    an artifact with two versions, an alias moved twice and a use, and a grid sweep half done. Returns the
    sweep's id."""
    files.mkdir()
    for r in range(2):
        run = jt.init(project="team", group="exp", job_type=f"rank{r}", config={"lr": 0.1 * (r + 1)},
                      tags=["cnn", f"r{r}"], notes=f"rank {r}", display=False)
        for i in range(300):
            run.log({"loss": 1 / (i + 1) + r, "acc": i / 300})
        run.log({"img": jt.Image(np.full((8, 8, 3), 40 * r, dtype=np.uint8), caption=f"r{r}"), "note": "hi"})
        run.log({"preds": jt.Table(columns=["x", "y"], data=[[1, "a"], [2, f"b{r}"]])})
        (files / f"weights{r}.bin").write_bytes(bytes([r]) * 5000)
        run.save(str(files / f"weights{r}.bin"))
        art = jt.Artifact("data", type="dataset", description=f"version {r}", metadata={"rows": r})
        art.add_file(str(files / f"weights{r}.bin"))
        run.log_artifact(art, aliases=["production"])  # moves the alias from v0 to v1
        if r == 1:
            run.use_artifact("data:v0")
        run.finish()
    config = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"a": {"values": [1, 2, 3, 4]}}}
    sweep_id = jt.sweep(config, project="team")
    jt.agent(sweep_id, function=_trial, count=2)
    return sweep_id


def _trial(store: str | None = None) -> None:
    with jt.init(display=False, store=store) as run:
        for i in range(5):
            run.log({"loss": jt.config.a * (5 - i)})


def inventory(store: Store) -> dict[str, Any]:
    """Everything a reader can see in ``store``, in comparable form (blob bytes included)."""
    from jupyter_track.sweeps.study import storage

    runs = {}
    for listed in store.list_runs(order="created_at"):
        info = store.get_run(listed.id)
        assert info is not None
        series = {k: (s.steps.tolist(), s.values.tolist(), s.times.tolist())
                  for k in store.series_keys(info.id) for s in [store.read_series(info.id, k)]}
        objects = sorted((o.key, o.step, o.time, o.kind, json.dumps(o.data, sort_keys=True))
                         for o in store.read_objects(info.id))
        refs = sorted((r.sha, r.owner, r.name, r.size) for r in store.blob_refs(info.id))
        runs[info.id] = (vars(info), listed.tags, listed.summary, series, objects, refs)
    versions = [(v.project, v.name, v.type, v.version, v.digest, v.size, v.description, v.meta, v.run_id,
                 v.created_at, v.aliases, [vars(f) for f in store.artifact_files(v.id)])
                for v in store.list_artifact_versions()]
    ids = {v.id: (v.project, v.name, v.version) for v in store.list_artifact_versions()}
    edges = sorted((e.run_id, ids[e.version_id], e.direction, e.at) for e in store.artifact_edges(version_ids=ids))
    history = {(p, n): [vars(e) for e in store.alias_history(p, n)] for p, n, _ in ids.values()}
    blobs = {sha: store.blobs.read_bytes(sha) for sha in store.referenced_blobs()}
    sweeps = [vars(s) for s in store.list_sweeps()]
    trials = {}
    for s in store.list_sweeps():
        optuna = storage(store.url)
        study_id = optuna.get_study_id_from_name(s.study_name)
        trials[s.id] = [(t.number, t.params, t.state.name, t.values, t.intermediate_values, t.user_attrs)
                        for t in optuna.get_all_trials(study_id)]
    return {"runs": runs, "versions": versions, "edges": edges, "history": history, "blobs": blobs,
            "sweeps": sweeps, "trials": trials}


def assert_same(copied: Any, source: Any, where: str = "") -> None:
    """``copied == source``, failing with the path of the first difference (the inventories are large)."""
    if isinstance(source, dict) and isinstance(copied, dict):
        assert copied.keys() == source.keys(), f"{where}: keys {sorted(copied)} != {sorted(source)}"
        for key in source:
            assert_same(copied[key], source[key], f"{where}/{key}")
    elif isinstance(source, list | tuple) and isinstance(copied, list | tuple) and len(source) == len(copied):
        for n, (c, s) in enumerate(zip(copied, source, strict=True)):
            assert_same(c, s, f"{where}[{n}]")
    else:
        assert copied == source, f"{where}: {copied!r} != {source!r}"


def test_migrate_copies_every_run_point_blob_artifact_and_sweep_and_a_second_copy_nothing(
        store_dir: Path, tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    sweep_id = _fill(tmp_path / "files")
    close_all()
    assert main(["migrate", "--from", str(store_dir), "--to", target]) == 0
    line = capsys.readouterr().out.strip()
    # 2 runs × 300 steps × 2 keys + 2 trials × 5 steps; blobs: 2 images, 2 tables, 2 saved files (= the artifact files)
    assert line.startswith("copied 4 runs, 1,210 points, 6 blobs"), line
    assert "2 artifact versions" in line and "2 sweep trials" in line and "skipped 0 already present" in line

    src, dst = open_store(dir=store_dir), _open(target)
    before = inventory(src)
    assert_same(inventory(dst), before)
    assert len(before["runs"]) == 4 and len(before["blobs"]) == 6 and len(before["edges"]) == 3
    assert [e["action"] for e in before["history"][("team", "data")]] == ["set", "set"]

    assert main(["migrate", "--from", str(store_dir), "--to", target]) == 0
    assert capsys.readouterr().out.strip() == "copied 0 runs, 0 points, 0 blobs (0.0 MB); skipped 4 already present"
    assert_same(inventory(dst), before)  # nothing duplicated: objects, refs, edges, alias moves, trials

    # and back again, from the copy into a new SQLite store: any pair of backends
    assert main(["migrate", "--from", target, "--to", str(tmp_path / "back")]) == 0
    assert capsys.readouterr().out.startswith("copied 4 runs, 1,210 points, 6 blobs")
    assert_same(inventory(open_store(dir=tmp_path / "back")), before)

    # the sweep goes on in the target: its agents take the grid points the source's did not
    jt.agent(sweep_id, function=lambda: _trial(dst.url), store=dst.url)
    assert sorted(r.config["a"] for r in jt.sweep_runs(sweep_id, store=dst.url)) == [1, 2, 3, 4]


def test_a_run_still_running_at_the_first_copy_is_brought_up_to_date(store_dir: Path, target: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    run = jt.init(project="live", display=False)
    for i in range(1000):
        run.log({"loss": 1.0 / (i + 1)})
    run.flush()
    assert main(["migrate", "--from", str(store_dir), "--to", target]) == 0
    first = capsys.readouterr().out
    assert "copied 1 run, 1,000 points" in first and "1 run still running in the source" in first
    for i in range(1000, 1500):
        run.log({"loss": 1.0 / (i + 1)})
    run.log({"sample": "text at the end"})
    run.finish()
    assert main(["migrate", "--from", str(store_dir), "--to", target]) == 0
    second = capsys.readouterr().out
    assert "copied 0 runs, 500 points" in second and "1 run brought up to date" in second, second
    copied = jt.load_run(run.id, store=_open(target).url)
    assert copied.state == "finished"
    loss = copied.metric("loss")
    assert loss.steps.tolist() == list(range(1500))
    assert loss.values[-1] == 1.0 / 1500
    assert [o[2] for o in copied.media("sample")] == ["text at the end"]
    assert_same(inventory(_open(target)), inventory(open_store(dir=store_dir)))


def test_bad_locations_exit_2_with_a_clear_message_and_no_password(store_dir: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    jt.init(project="p", display=False).finish()
    cases = [
        (["--from", str(tmp_path / "nowhere"), "--to", str(tmp_path / "t")], "there is no store at"),
        (["--from", str(store_dir), "--to", "mysql://me:sekrit@db/x"], "is not a store URL"),
        (["--from", str(store_dir), "--to", "postgresql://me:sekrit@127.0.0.1:1/x"], "127.0.0.1"),
        (["--from", str(store_dir), "--to", str(store_dir / "jupyter_track.db")], "are the same store"),
    ]
    for args, message in cases:
        assert main(["migrate", *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err and "sekrit" not in err, err
    assert not (tmp_path / "t").exists()


def test_a_target_with_a_newer_schema_is_refused_and_left_untouched(store_dir: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    jt.init(project="p", display=False).finish()
    newer = tmp_path / "newer"
    open_store(dir=newer)
    close_all()
    db = newer / "jupyter_track.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE jupyter_track_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    assert main(["migrate", "--from", str(store_dir), "--to", str(newer)]) == 1
    assert "newer jupyter_track" in capsys.readouterr().err
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)
    conn.close()


def test_progress_bar_shows_runs_and_points_on_a_terminal(store_dir: Path, tmp_path: Path) -> None:
    for n in range(3):
        with jt.init(project="p", display=False) as run:
            for i in range(200):
                run.log({"x": float(n * i)})
    close_all()
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a new pty is 0 columns wide
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_track", "migrate", "--from", str(store_dir), "--to",
                             str(tmp_path / "team")], stdin=follower, stdout=follower, stderr=follower, cwd=REPO,
                            env=os.environ)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        try:
            block = os.read(leader, 4096) if ready else b""
        except OSError:  # the terminal closed: the command ended
            break
        if not block:
            break
        out += block
    assert proc.wait(timeout=60) == 0
    text = out.decode(errors="replace")
    assert "migrate: 100%" in text and "3/3" in text and "600 points" in text, text
    assert "copied 3 runs, 600 points" in text


def test_a_copy_cut_short_between_batches_is_finished_by_the_next(store_dir: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from jupyter_track.errors import StoreError
    from jupyter_track.store import copy_store

    with jt.init(project="big", display=False) as run:
        for i in range(3000):
            run.log({"a": float(i), "b": -float(i)})
    monkeypatch.setattr(copy_store, "CHUNK_POINTS", 500)  # this run: 12 chunks,
    monkeypatch.setattr(copy_store, "BATCH_POINTS", 1000)  # in 6 transactions
    team = open_store(dir=tmp_path / "team")
    real = team.write_batch
    writes: list[int] = []

    def fail_on_the_third(batch: Any) -> None:  # the target goes away after two of the run's transactions
        writes.append(batch.points())
        if len(writes) == 3:
            raise StoreError("the disk is full (a test)")
        real(batch)

    monkeypatch.setattr(team, "write_batch", fail_on_the_third)
    assert main(["migrate", "--from", str(store_dir), "--to", str(tmp_path / "team")]) == 1
    assert "the disk is full" in capsys.readouterr().err
    monkeypatch.setattr(team, "write_batch", real)
    half = jt.load_run(run.id, dir=tmp_path / "team")
    assert half.info.updated_at == 0.0  # not marked as copied: the next copy does not take it as present
    assert main(["migrate", "--from", str(store_dir), "--to", str(tmp_path / "team")]) == 0
    assert "1 run brought up to date" in capsys.readouterr().out
    assert_same(inventory(team), inventory(open_store(dir=store_dir)))
    assert writes[:3] == [1000, 1000, 1000] and max(writes) == 1000, writes


def test_a_lost_source_blob_is_reported_and_a_run_resumed_in_the_target_is_left_alone(
        store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    team = tmp_path / "team"
    with jt.init(project="p", display=False) as kept:
        kept.log({"loss": 1.0})
    assert main(["migrate", "--from", str(store_dir), "--to", str(team)]) == 0
    with jt.init(project="p", id=kept.id, resume="must", dir=team, display=False) as resumed:  # goes on there
        resumed.log({"loss": 0.5})
    with jt.init(project="p", display=False) as lossy:
        lossy.log({"img": jt.Image(np.zeros((4, 4, 3), dtype=np.uint8))})
    capsys.readouterr()
    [ref] = open_store(dir=store_dir).blob_refs(lossy.id)
    (store_dir / "blobs" / ref.sha[:2] / ref.sha[2:]).unlink()  # the source lost a file

    assert main(["migrate", "--from", str(store_dir), "--to", str(team)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("copied 1 run, 0 points, 0 blobs") and "skipped 0 already present" in out, out
    assert f"not copied: run p/{lossy.id} (run-media" in err and ref.sha in err and "is missing" in err, err
    assert f"run p/{kept.id} changed in the target after the source" in err
    assert jt.load_run(kept.id, dir=team).metric("loss").values.tolist() == [1.0, 0.5]  # the target's points kept
    assert jt.load_run(lossy.id, dir=team).state == "finished"  # everything but the lost file was copied


def test_a_sweep_trial_running_at_the_first_copy_is_finished_by_the_next(tmp_path: Path) -> None:
    """The study copy's update path: a trial copied while it ran gets the parameters, reports, attributes and
    final value the source added since; trials the target's own agents ran are left alone."""
    import optuna

    from jupyter_track.sweeps.study import quiet_optuna, storage
    from jupyter_track.sweeps.study_copy import copy_study

    src, dst = (open_store(dir=tmp_path / name).url for name in ("src", "dst"))
    with quiet_optuna():
        study = optuna.create_study(storage=storage(src), study_name="s")
    done = study.ask()
    done.suggest_float("lr", 0.0, 1.0)
    study.tell(done, 0.5)
    live = study.ask()
    live.suggest_float("lr", 0.0, 1.0)
    live.report(1.0, step=0)
    assert copy_study(src, dst, "s") == 2
    assert copy_study(src, dst, "s") == 0  # nothing changed in the source

    live.suggest_int("layers", 1, 4)
    live.report(0.8, step=1)
    live.set_user_attr("note", "late")
    study.tell(live, 0.7)
    with quiet_optuna():
        theirs = optuna.load_study(study_name="s", storage=storage(dst))
    own = theirs.ask()  # a trial of the target's own agent, still running
    own.suggest_float("lr", 0.0, 1.0)
    assert copy_study(src, dst, "s") == 1
    assert copy_study(src, dst, "s") == 0

    def trials(url: str) -> list[tuple[object, ...]]:
        with quiet_optuna():
            found = optuna.load_study(study_name="s", storage=storage(url)).get_trials()
        return [(t.number, t.params, t.state.name, t.values, t.intermediate_values, t.user_attrs) for t in found]

    source = trials(src)
    assert [t[2] for t in source] == ["COMPLETE", "COMPLETE"] and source[1][1].keys() == {"lr", "layers"}
    assert trials(dst)[:2] == source
    assert trials(dst)[2][0] == 2 and trials(dst)[2][2] == "RUNNING"
