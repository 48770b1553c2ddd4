"""The read API as a user sees it from another process: RunList, StoredRun, history, W&B spellings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import jupyter_track as jt
from tests.conftest import run_python

pytestmark = pytest.mark.usefixtures("backend")


def test_runs_written_by_another_process_read_back_with_pandas() -> None:
    run_python("""
        import jupyter_track as jt
        run = jt.init(project="fashion", config={"lr": 1e-3, "opt": {"name": "adam"}}, name="baseline",
                      tags=["cnn"], group="exp-1", job_type="train")
        for step in range(1000):
            jt.log({"train/loss": 1 / (step + 1), "train/acc": step / 1000}, step=step)
        run.summary["best_acc"] = 0.93
        run.finish()
    """)
    frame = jt.runs(project="fashion").to_pandas()
    assert len(frame) == 1
    row = frame.iloc[0]
    for column in ("id", "name", "state", "project", "group", "job_type", "tags", "created_at", "duration",
                   "config.lr", "config.opt.name", "summary.best_acc", "summary.train/loss"):
        assert column in frame.columns, column
    assert (row["name"], row["state"], row["group"], row["job_type"], row["tags"]) == (
        "baseline", "finished", "exp-1", "train", ["cnn"])
    assert row["config.lr"] == 1e-3 and row["config.opt.name"] == "adam" and row["summary.best_acc"] == 0.93
    assert isinstance(row["created_at"], pd.Timestamp)
    r = jt.load_run(f"fashion/{row['id']}")
    h = r.history(keys=["train/loss"])
    assert list(h.columns) == ["_step", "train/loss", "_timestamp", "_runtime"]
    assert len(h) == 1000 and h["train/loss"].iloc[-1] == pytest.approx(1 / 1000)
    assert (h["_runtime"] >= 0).all()


def test_run_paths_accept_id_project_id_entity_project_id_and_name() -> None:
    run = jt.init(project="fashion", name="unique-name", capture=False)
    run.record_meta({"notebook": {"method": "override"}})
    run.finish()
    for path in (run.id, f"fashion/{run.id}", f"team/fashion/{run.id}", "fashion/unique-name",
                 f"fashion/runs/{run.id}"):
        found = jt.load_run(path)
        assert found.id == run.id and found.meta["notebook"] == {"method": "override"}, path
    with pytest.raises(jt.RunNotFoundError, match="no run 'missing' in project 'fashion'"):
        jt.load_run("fashion/missing")
    with pytest.raises(jt.RunNotFoundError):
        jt.load_run(f"other/{run.id}")


def test_wandb_style_api_runs_and_run() -> None:
    for i in range(3):
        with jt.init(project="fashion", config={"i": i}) as run:
            run.log({"acc": i / 10})
    api = jt.Api()
    runs = api.runs("entity/fashion", order="-summary.acc")
    assert [r.config["i"] for r in runs] == [2, 1, 0]
    assert api.run(f"entity/fashion/{runs[0].id}").summary["acc"] == 0.2
    assert [p["name"] for p in api.projects()] == ["fashion"]
    assert len(runs[:2]) == 2 and isinstance(runs[:2], jt.RunList)


def test_history_aligns_keys_logged_at_different_steps_and_keeps_last_duplicate() -> None:
    run = jt.init(project="p")
    for step in range(10):
        run.log({"train/loss": float(step)}, step=step)
        if step % 5 == 4:
            run.log({"val/acc": step / 10, "note": f"epoch {step // 5}"}, step=step)
    run.log({"train/loss": 99.0}, step=9)  # same step again: the last value wins in history
    run.finish()
    r = jt.load_run(run.path)
    h = r.history()
    assert h["_step"].tolist() == list(range(10))
    assert h["train/loss"].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 99]
    assert [v for v in h["val/acc"].tolist() if not math.isnan(v)] == [0.4, 0.9]
    assert h["note"].tolist()[4] == "epoch 0" and pd.isna(h["note"].tolist()[0])
    assert len(r.metric("train/loss")) == 11  # the raw series keeps every point
    assert len(r.history(samples=3)) == 3
    rows = list(r.scan_history(keys=["val/acc"]))
    assert [row["_step"] for row in rows] == [4, 9]


def test_history_of_many_keys_in_packed_chunks_is_exact_and_a_frame_the_user_can_edit() -> None:
    keys = [f"layer{i:02d}/grad" for i in range(40)]
    values = np.random.default_rng(1).random((600, 40))
    values[7, 3], values[8, 5], values[9, 6] = np.nan, np.inf, -0.0
    run = jt.init(project="p")
    for step in range(600):
        run.log(dict(zip(keys, values[step].tolist(), strict=True)))
    run.finish()
    r = jt.load_run(run.path)
    h = r.history()
    assert list(h.columns) == ["_step", *keys, "_timestamp", "_runtime"]
    assert np.array_equal(h[keys].to_numpy(), values, equal_nan=True)
    assert math.copysign(1.0, h[keys[6]].iloc[9]) == -1.0
    assert h["_step"].tolist() == list(range(600)) and h["_timestamp"].is_monotonic_increasing
    h.iloc[0, 1] = 5.0  # the frame is the user's: editing it changes neither the store nor the next read
    h[keys[2]] += 1
    again = r.history()
    assert again[keys[0]].iloc[0] == values[0, 0] and np.array_equal(again[keys[2]].to_numpy(), values[:, 2])
    picked = r.history(keys=[keys[5], keys[1], keys[5]])  # the caller's order, a key named twice
    assert np.array_equal(picked.iloc[:, 1].to_numpy(), values[:, 5], equal_nan=True)
    assert np.array_equal(picked.iloc[:, 2].to_numpy(), values[:, 1])
    assert r.metric(keys[4]).values.tolist() == values[:, 4].tolist()


def test_history_between_steps_reads_only_those_rows() -> None:
    run = jt.init(project="p")
    for step in range(0, 3000, 3):
        run.log({"loss": step / 10, "note": f"at {step}" if step % 300 == 0 else None} if step % 300 == 0
                else {"loss": step / 10}, step=step)
    run.finish()
    r = jt.load_run(run.path)
    part = r.history(min_step=1500, max_step=1800)
    assert part["_step"].tolist() == list(range(1500, 1800, 3))
    assert part["loss"].tolist() == [s / 10 for s in range(1500, 1800, 3)]
    assert part["note"].tolist()[0] == "at 1500" and part["note"].iloc[1:].isna().all()
    empty = r.history(min_step=3000)  # nothing new yet: no rows, the same columns
    assert empty.empty and list(empty.columns) == ["_step", "loss", "note", "_timestamp", "_runtime"]
    assert [row["_step"] for row in r.scan_history(keys=["loss"], min_step=2990)] == [2991, 2994, 2997]


def test_a_run_object_read_while_it_logs_shows_the_keys_logged_since_in_its_history() -> None:
    # the object read the run's summary once: a number logged since under a new key came back as None before
    run = jt.init(project="p")
    run.log({"a": 1.0})
    run.flush()
    r = jt.load_run(run.path)
    run.log({"a": 2.0, "b": 5.0, "note": "hello"})
    run.flush()
    h = r.history()
    assert h["b"].tolist()[1] == 5.0 and math.isnan(h["b"].tolist()[0])
    assert h["note"].tolist()[1] == "hello"
    named = r.history(keys=["b", "not-logged"])
    assert named["b"].tolist() == [5.0] and named["not-logged"].isna().all()
    run.finish()
    after = jt.load_run(run.path).history()
    assert after[["_step", "a", "b", "note"]].equals(h[["_step", "a", "b", "note"]])


def test_a_reader_thread_polling_new_rows_while_the_run_logs_sees_every_step_once() -> None:
    import threading

    run = jt.init(project="p")
    run.log({"loss": 0.0, "acc": 0.0}, step=0)
    run.flush()
    r = jt.load_run(run.path)
    seen: list[int] = []
    done = threading.Event()

    def poll() -> None:
        last = -1
        while True:
            finished = done.is_set()
            new = r.history(keys=["loss", "acc"], min_step=last + 1)
            seen.extend(new["_step"].tolist())
            assert new["loss"].tolist() == [s / 2 for s in new["_step"]]
            last = seen[-1] if seen else last
            if finished:
                return

    reader = threading.Thread(target=poll)
    reader.start()
    for step in range(1, 30_000):
        run.log({"loss": step / 2, "acc": step / 4}, step=step)
    run.finish()
    done.set()
    reader.join(60)
    assert not reader.is_alive() and seen == list(range(30_000))


def test_metric_read_is_vectorised_numpy() -> None:
    run = jt.init(project="p")
    for i in range(50_000):
        run.log({"x": i * 0.5})
    run.finish()
    s = jt.load_run(run.path).metric("x")
    assert s.values.dtype == np.float64 and s.steps.dtype == np.int64
    assert np.array_equal(s.values, np.arange(50_000) * 0.5) and np.all(np.diff(s.times) >= 0)


def test_download_file_never_writes_outside_root(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.txt").write_text("hi")
    run = jt.init(project="p")
    run.save(str(tmp_path / "a.txt"), base_path=tmp_path)
    run.finish()
    r = jt.load_run(run.path)
    with pytest.raises(FileNotFoundError):
        r.download_file("../a.txt", tmp_path / "out")
    assert r.download_file("a.txt", tmp_path / "out").read_text() == "hi"
