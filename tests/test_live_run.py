"""Logging through a Run: steps, commit semantics, accepted values, config, summary, lifecycle."""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.errors import JupyterTrackWarning, UsageError
from tests.conftest import REPO

pytestmark = pytest.mark.usefixtures("backend")


def read(run: jt.Run) -> jt.StoredRun:
    run.flush()
    return jt.load_run(run.path)


def test_log_without_step_counts_each_call_as_the_next_step() -> None:
    run = jt.init(project="p")
    for i in range(5):
        run.log({"loss": 1.0 / (i + 1)})
    h = read(run).history()
    assert h["_step"].tolist() == [0, 1, 2, 3, 4]
    assert h["loss"].tolist() == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])


def test_commit_false_merges_into_the_current_step() -> None:
    run = jt.init(project="p")
    run.log({"a": 1.0}, commit=False)
    run.log({"b": 2.0})
    run.log({"a": 3.0})
    h = read(run).history()
    assert h["_step"].tolist() == [0, 1]
    assert h["a"].tolist() == [1.0, 3.0]
    assert h["b"].tolist()[0] == 2.0 and math.isnan(h["b"].tolist()[1])


def test_explicit_step_stays_open_until_a_later_step_as_in_wandb() -> None:
    run = jt.init(project="p")
    run.log({"loss": 0.5}, step=10)
    run.log({"val": 0.7}, step=10)  # same step again: merged, no warning
    run.log({"epoch": 1})  # no step: still step 10, then advances
    run.log({"loss": 0.4})
    h = read(run).history()
    assert h["_step"].tolist() == [10, 11]
    assert h.loc[0, ["loss", "val", "epoch"]].tolist() == [0.5, 0.7, 1.0]
    assert run.step == 12


def test_lower_step_warns_ignores_the_row_and_keeps_what_was_logged() -> None:
    run = jt.init(project="p")
    run.log({"loss": 1.0}, step=5)
    run.log({"loss": 0.9}, step=6)
    with pytest.warns(JupyterTrackWarning, match="lower than the run's current step"):
        run.log({"loss": 123.0}, step=2)
    run.log({"loss": 0.8}, step=7)
    h = read(run).history()
    assert h["_step"].tolist() == [5, 6, 7]
    assert h["loss"].tolist() == [1.0, 0.9, 0.8]


def test_accepted_values_numbers_numpy_bools_text_none_and_nested_dicts() -> None:
    run = jt.init(project="p")
    run.log({
        "int": 3, "float": 0.25, "bool": True, "np32": np.float32(1.5), "np_int": np.int64(7),
        "np0d": np.array(2.5), "one": np.array([4.0]), "text": "resnet-50", "skip": None,
        "nested": {"a": 1, "b": {"c": 2.0}},
    })
    r = read(run)
    row = r.history().iloc[0]
    assert row["int"] == 3 and row["float"] == 0.25 and row["bool"] == 1.0 and row["np32"] == 1.5
    assert row["np_int"] == 7 and row["np0d"] == 2.5 and row["one"] == 4.0
    assert row["text"] == "resnet-50" and row["nested/a"] == 1 and row["nested/b/c"] == 2.0
    assert "skip" not in r.keys()  # noqa: SIM118 - keys() is the list of logged metrics
    assert r.summary["text"] == "resnet-50"


def test_torch_scalars_are_accepted_when_torch_is_installed() -> None:
    torch = pytest.importorskip("torch")
    run = jt.init(project="p")
    run.log({"loss": torch.tensor(0.5), "acc": torch.tensor([0.75])})
    assert read(run).history().iloc[0][["loss", "acc"]].tolist() == [0.5, 0.75]


@pytest.mark.parametrize("value, type_name", [
    (object(), "object"), ([1, 2], "list"), (np.zeros(3), "numpy.ndarray"), (Decimal("1.5"), "decimal.Decimal"),
])
def test_bad_values_raise_typeerror_naming_key_and_type_and_lose_nothing(value: object, type_name: str) -> None:
    run = jt.init(project="p")
    run.log({"loss": 1.0})
    with pytest.raises(TypeError) as info:
        run.log({"loss": 0.5, "bad_key": value})
    message = str(info.value)
    assert "'bad_key'" in message and type_name in message and "accepted" in message
    run.log({"loss": 0.25})
    h = read(run).history()
    assert h["loss"].tolist() == [1.0, 0.25]  # the bad call logged nothing, not even its good key
    assert "bad_key" not in h.columns


@pytest.mark.parametrize("data, key", [
    ({"loss": 0.5, "huge": 10**400}, "huge"),  # plain Python values: log()'s fast path
    ({"loss": 0.5, "huge": -(10**400)}, "huge"),
    ({"loss": np.float32(0.5), "huge": 10**400}, "huge"),  # with a numpy value: the general path
    ({"loss": 0.5, "nested": {"huge": 10**400}}, "nested/huge"),
    ({"loss": 0.5, "huge": Fraction(10**400)}, "huge"),  # any other real number
])
def test_an_int_too_large_for_a_float64_is_refused_at_the_call_naming_the_key(data: dict[str, object],
                                                                              key: str) -> None:
    run = jt.init(project="p")
    run.log({"loss": 1.0})
    with pytest.raises(ValueError, match=rf"'{key}'.*too large for a float64"):
        run.log(data)
    run.log({"loss": 0.25, "edge": 2**1000})  # a large int a float64 holds is fine
    run.finish()  # nothing was dropped: the bad call recorded nothing, and the writer never saw it
    h = jt.load_run(run.path).history()
    assert h["loss"].tolist() == [1.0, 0.25] and h["edge"].tolist()[-1] == float(2**1000)


def test_steps_outside_int64_are_refused_at_the_call_and_the_largest_is_kept() -> None:
    run = jt.init(project="p")
    run.log({"loss": 1.0})
    for bad in (2**63, -1, 10**400):
        with pytest.raises(ValueError, match=r"steps are 0 … 9223372036854775807"):
            run.log({"loss": 0.5}, step=bad)
    run.log({"loss": 0.25}, step=2**63 - 1, commit=True)
    with pytest.raises(ValueError, match="step counter passed"):  # the next step would be 2**63
        run.log({"loss": 0.125})
    run.finish()
    r = jt.load_run(run.path)
    assert r.history()["_step"].tolist() == [0, 2**63 - 1] and r.last_step == 2**63 - 1


def test_non_string_keys_and_non_dicts_are_refused() -> None:
    run = jt.init(project="p")
    with pytest.raises(TypeError, match="must be strings"):
        run.log({1: 2.0})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="takes a dict"):
        run.log([("a", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes an int"):
        run.log({"a": 1.0}, step="ten")  # type: ignore[arg-type]
    for data in ({"": 1.0}, {"a": 1.0, "": 2.0}):  # a plain number under an empty name as well as a nested one
        with pytest.raises(TypeError, match="must not be empty"):
            run.log(data)
    run.log({"a": 1.0})
    run.finish()
    assert read(run).history()["a"].tolist() == [1.0]  # the refused calls recorded nothing


def test_nan_and_inf_are_stored_as_such() -> None:
    run = jt.init(project="p")
    for v in (1.0, math.nan, math.inf, -math.inf, 2.0):
        run.log({"x": v})
    r = read(run)
    values = r.metric("x").values
    assert values[0] == 1.0 and math.isnan(values[1]) and values[2] == math.inf and values[3] == -math.inf
    stats = r.summary_stats["x"]
    assert stats["min"] == -math.inf and stats["max"] == math.inf and stats["last"] == 2.0


def test_config_attribute_item_update_namespace_and_module_assignment() -> None:
    run = jt.init(project="p", config=argparse.Namespace(lr=1e-3, epochs=10))
    assert run.config.lr == 1e-3 and run.config["epochs"] == 10
    jt.config.update({"batch_size": 64})
    run.config.dropout = 0.1
    jt.config = {"learning_rate": 0.01}  # tutorials assign the module attribute
    assert jt.config.learning_rate == 0.01
    assert read(run).config == {"lr": 1e-3, "epochs": 10, "batch_size": 64, "dropout": 0.1,
                                "learning_rate": 0.01}
    with pytest.raises(AttributeError, match="no key 'missing'"):
        _ = run.config.missing


def test_ints_beyond_64_bits_in_config_and_summary_are_stored_as_repr_with_a_warning() -> None:
    with pytest.warns(JupyterTrackWarning, match="'seed'.*int beyond 64 bits.*repr"):
        run = jt.init(project="p", config={"seed": 2**70, "lr": 0.1})
    run.log({"loss": 1.0})
    with pytest.warns(JupyterTrackWarning, match="'big'.*int beyond 64 bits"):
        run.summary["big"] = -(10**400)
    run.finish()  # the store took every write (the ints used to fail the writer's batch, and retry it forever)
    r = jt.load_run(run.path)
    assert r.config == {"seed": str(2**70), "lr": 0.1} and r.summary["big"] == str(-(10**400))
    assert r.summary["loss"] == 1.0


def test_unserialisable_config_values_are_stored_as_repr_with_a_warning() -> None:
    class Model:
        def __repr__(self) -> str:
            return "Model(layers=3)"

    with pytest.warns(JupyterTrackWarning, match="'model'.*repr"):
        run = jt.init(project="p", config={"model": Model(), "path": Path("/data/x"), "arr": np.arange(3),
                                           "f": np.float32(0.5)})
    assert read(run).config == {"model": "Model(layers=3)", "path": "/data/x", "arr": [0, 1, 2], "f": 0.5}


def test_summary_defaults_to_last_value_and_user_values_win() -> None:
    run = jt.init(project="p")
    for i in range(3):
        run.log({"acc": i / 10, "loss": 1 - i / 10})
    run.summary["best_acc"] = 0.93
    run.summary["acc"] = 0.99  # a user value overrides the last logged one
    assert run.summary["loss"] == 0.8 and run.summary.best_acc == 0.93
    r = read(run)
    assert r.summary == {"acc": 0.99, "loss": 0.8, "best_acc": 0.93}
    del run.summary["acc"]
    assert read(run).summary["acc"] == 0.2
    assert jt.runs("p", order="-summary.best_acc")[0].id == run.id


def test_the_live_summary_holds_each_keys_last_value_across_key_sets_and_value_types() -> None:
    # log() keeps a plain call's values aside until the summary is read, and checks a repeated key set's values
    # with sum(): what the summary shows must not depend on either
    run = jt.init(project="p")
    run.log({"loss": 1.0, "acc": 0.5})
    run.log({"loss": 0.9, "acc": 0.6})
    run.log({"loss": 0.8, "lr": 0.1})  # another key set that shares "loss"
    run.log({"loss": 0.7, "lr": 0.2})
    assert dict(run.summary.items()) == {"loss": 0.7, "acc": 0.6, "lr": 0.2}
    run.log({"loss": 0.6, "lr": Fraction(1, 4)})  # a number sum() lets through: shown as a float, as stored
    run.log({"loss": 0.5, "epoch": True})
    assert run.summary["lr"] == 0.25 and type(run.summary["lr"]) is float and run.summary["epoch"] is True
    run.log({"loss": np.float32(0.25), "epoch": 3})
    assert run.summary["loss"] == 0.25 and type(run.summary["loss"]) is float and run.summary["epoch"] == 3
    run.log({"loss": 0.125, "epoch": 4})  # after a call that was not plain numbers
    assert run.summary.as_dict() == {"loss": 0.125, "acc": 0.6, "lr": 0.25, "epoch": 4}
    assert read(run).history(keys=["loss"])["loss"].tolist() == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.25, 0.125]


def test_a_wide_runs_summary_and_chunks_written_in_one_flush_read_back_as_logged() -> None:
    # 100 keys a flush: SQLite's writer hands rows like these to the driver itself (store.sql_base.DRIVER_ROWS),
    # each value through its column's conversion; every kind of summary value must read back as on PostgreSQL
    from jupyter_track.store.sql_base import DRIVER_ROWS

    keys = [f"layer{j}/grad" for j in range(100)]
    assert len(keys) > DRIVER_ROWS
    run = jt.init(project="p")
    for step in range(200):  # 200 points a key: a chunk row each, not a tail row
        run.log({k: step + j / 1000 for j, k in enumerate(keys)})
    run.log({"nan": math.nan, "inf": -math.inf, "big": 2.0 ** 62, "epoch": 7, "done": True})
    user = {f"note{j}": v for j, v in enumerate(["text", {"a": [1, 2]}, [1.5, "x"], "ünï\ncode", 3, 0.25, False])}
    for k, v in user.items():
        run.summary[k] = v
    run.summary[keys[3]] = "overridden"
    run.finish()  # (ints and bools show as logged once the run has finished: the chunks hold float64)
    got = jt.load_run(run.path)
    expected = {k: 199 + j / 1000 for j, k in enumerate(keys)} | user | {keys[3]: "overridden"}
    expected |= {"inf": -math.inf, "big": 2.0 ** 62, "epoch": 7, "done": True}
    summary = dict(got.summary)
    assert math.isnan(summary.pop("nan"))
    assert summary == expected
    assert type(summary["epoch"]) is int and summary["done"] is True
    history = got.history(keys=keys)
    assert len(history) == 200
    assert history[keys[99]].tolist() == [step + 0.099 for step in range(200)]


def test_names_tags_and_keys_longer_than_the_store_keeps_are_refused_at_the_call_and_nothing_is_lost() -> None:
    # PostgreSQL refuses longer text in these columns; refused in the writer, it took the run's other data along
    for given in ({"name": "n" * 256}, {"group": "g" * 256}, {"job_type": "j" * 256}, {"entity": "e" * 256},
                  {"tags": ["ok", "t" * 256]}):
        with pytest.raises(ValueError, match="is 256 characters long; at most 255 are stored"):
            jt.init(project="p", **given)
    run = jt.init(project="p", name="n" * 255, group="g" * 255, job_type="j" * 255, tags=["t" * 255])
    run.log({"loss": 0.5})
    with pytest.raises(ValueError, match="is 513 characters long; at most 512 are stored"):
        run.log({"loss": 0.4, "k" * 513: 1.0})
    with pytest.raises(ValueError, match="at most 512"):
        run.log({"outer": {"k" * 507: 1.0}})  # "outer/" and 507 characters
    with pytest.raises(ValueError, match="at most 512"):
        run.summary["s" * 513] = 1
    with pytest.raises(ValueError, match="at most 255"):
        run.tags = ["t" * 256]
    with pytest.raises(ValueError, match="at most 255"):
        run.name = "n" * 256
    run.log({"loss": 0.3, "k" * 512: 2.0})
    run.summary["s" * 512] = "kept"
    run.finish()
    got = jt.load_run(run.path)
    assert (got.state, got.name, got.group, got.job_type, list(got.tags)) == (
        "finished", "n" * 255, "g" * 255, "j" * 255, ["t" * 255])
    assert got.history(keys=["loss"])["loss"].tolist() == [0.5, 0.3]
    assert got.summary["k" * 512] == 2.0 and got.summary["s" * 512] == "kept"
    assert len(jt.Api().runs("p")) == 1  # the refused init() calls made no run
    stored = jt.Api().run(run.path)
    with pytest.raises(ValueError, match="at most 255"):
        stored.tags = ["t" * 256]
    stored.summary["s" * 513] = 1
    with pytest.raises(ValueError, match="at most 512"):
        stored.update()


def _log_in_a_forked_worker(calls: int) -> tuple[list[str], str, str]:
    """In a worker forked from the test's process: log to the inherited run, then to a run of the worker's own."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(calls):  # the keys of the run's last call: its log() would take the hot path
            jt.log({"loss": float(i)})
        jt.run.summary["from_worker"] = 1
        jt.run.define_metric("loss", summary="max")
    own = jt.init(project="p", group="workers")
    own.log({"worker_loss": 0.25})
    own.finish()
    return [str(w.message) for w in caught], own.path, jt.load_run(own.path).state  # a reader waits for the writer


def test_a_forked_worker_logging_to_the_run_is_warned_and_dropped_not_blocked_and_its_own_run_is_stored() -> None:
    # a DataLoader or multiprocessing worker forked from the run's process has no writer thread of the run's: more
    # calls than its buffer holds (500,000 values) blocked the worker's log() for good, and fewer were lost unsaid
    import multiprocessing

    run = jt.init(project="p", capture="none")
    run.log({"loss": 1.0})
    # forked while no thread of this process imports a module (the capture's, the writer's first flush): a child
    # that imports a module another thread was importing at the fork waits for that thread's lock for good
    run.flush()
    with multiprocessing.get_context("fork").Pool(1) as pool:
        said, own_path, own_state = pool.apply_async(_log_in_a_forked_worker, (600_000,)).get(timeout=120)
    run.log({"loss": 0.5})
    run.finish()
    assert len(said) == 1 and f"run {run.path} is logged by process" in said[0] and "not recorded" in said[0]
    got = jt.load_run(run.path)
    assert got.state == "finished" and got.keys() == ["loss"] and "from_worker" not in got.summary
    assert got.summary["loss"] == 0.5  # the last value: the worker's definition (max) was not recorded either
    assert got.history(keys=["loss"])["loss"].tolist() == [1.0, 0.5]
    own = jt.load_run(own_path)
    assert own_state == own.state == "finished" and own.group == "workers" and own.summary["worker_loss"] == 0.25


def test_context_manager_marks_failed_on_exception_and_killed_on_interrupt() -> None:
    with pytest.raises(ZeroDivisionError), jt.init(project="p") as run:
        run.log({"x": 1.0})
        _ = 1 / 0
    assert jt.load_run(run.path).state == "failed"
    with pytest.raises(KeyboardInterrupt), jt.init(project="p") as run2:
        raise KeyboardInterrupt
    assert jt.load_run(run2.path).state == "killed"
    with jt.init(project="p") as run3:
        run3.log({"x": 1.0})
    assert jt.load_run(run3.path).state == "finished"


def test_finish_with_exit_code_fails_and_logging_after_finish_is_an_error() -> None:
    run = jt.init(project="p")
    run.finish(exit_code=3)
    info = jt.load_run(run.path)
    assert info.state == "failed" and info.info.exit_code == 3
    with pytest.raises(UsageError, match="has finished"):
        run.log({"x": 1.0})


def test_module_log_before_init_says_what_to_do() -> None:
    with pytest.raises(UsageError, match=r"call jt.init\(\) before jt.log\(\)"):
        jt.log({"x": 1.0})


def test_init_records_identity_and_names_runs_adjective_noun_n(store_dir: Path) -> None:
    run = jt.init(project="fashion", entity="team", name="baseline", tags=["cnn", "cnn", "v1"], notes="first",
                  group="exp-1", job_type="train")
    r = read(run)
    assert (r.name, r.project, r.entity, r.group, r.job_type, r.notes) == (
        "baseline", "fashion", "team", "exp-1", "train", "first")
    assert sorted(r.tags) == ["cnn", "v1"] and r.state == "running"
    assert Path(run.dir).is_dir()  # its own folder (tests/test_wandb_compat.py: its files are saved at finish)
    run.finish()
    second = jt.init(project="fashion")
    adjective, noun, number = second.name.split("-")
    assert number == "2" and adjective.isalpha() and noun.isalpha()


def test_default_project_is_the_working_folder_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my-experiments").mkdir()
    monkeypatch.chdir(tmp_path / "my-experiments")
    assert jt.init().project == "my-experiments"
    monkeypatch.setenv("JUPYTER_TRACK_PROJECT", "from-env")
    assert jt.init().project == "from-env"


def test_reinit_finishes_the_previous_run_unless_asked_otherwise() -> None:
    first = jt.init(project="p")
    second = jt.init(project="p")
    assert jt.load_run(first.path).state == "finished" and jt.run is second
    assert jt.init(project="p", reinit="return_previous") is second
    third = jt.init(project="p", reinit="create_new")
    assert jt.load_run(second.path).state == "running" and jt.run is third


def test_reading_in_the_logging_process_sees_what_it_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    # the writer would wait a minute before its first batch: the read API must not show a stale store
    monkeypatch.setenv("JUPYTER_TRACK_FLUSH_INTERVAL", "60")
    api = jt.Api()  # made before the run, and kept (W&B's `api = wandb.Api()` at the top of a notebook)
    run = jt.init(project="p", config={"lr": 0.1})
    run.log({"loss": 0.5})
    stored = jt.load_run(run.path)
    assert stored.state == "running" and stored.config["lr"] == 0.1
    assert stored.history()["loss"].tolist() == [0.5]
    assert [r.id for r in jt.runs("p")] == [run.id]
    run.log({"loss": 0.25})
    assert api.run(run.path).history()["loss"].tolist() == [0.5, 0.25]
    assert [r.summary["loss"] for r in api.runs("p")] == [0.25]
    assert [p["name"] for p in api.projects()] == ["p"]


def test_resume_continues_steps_summary_and_config() -> None:
    run = jt.init(project="p", id="resume-me", config={"lr": 0.1})
    for i in range(5):
        run.log({"loss": 5.0 - i})
    run.summary["best"] = 1.0
    run.finish()
    with pytest.raises(UsageError, match="resume='allow'"):
        jt.init(project="p", id="resume-me")
    again = jt.init(project="p", id="resume-me", resume="allow", config={"epochs": 3})
    assert again.step == 5 and again.summary["loss"] == 1.0 and again.summary["best"] == 1.0
    again.log({"loss": 0.5})
    again.finish()
    r = jt.load_run("p/resume-me")
    assert r.history()["loss"].tolist() == [5, 4, 3, 2, 1, 0.5]
    assert r.config == {"lr": 0.1, "epochs": 3} and r.state == "finished"
    with pytest.raises(jt.RunNotFoundError):
        jt.init(project="p", id="nope", resume="must")


def test_a_run_another_process_creates_between_lookup_and_creation_is_not_joined(store_url: str) -> None:
    # init(id=) found no run, then made it: the row a process that raced it made in between is not taken over
    from jupyter_track.store.preflight import start_run

    jt.init(project="p", id="raced").finish()

    def columns(number: int) -> dict[str, object]:
        return {"project": "p", "name": f"late-{number}", "state": "running", "config": {}, "meta": {},
                "created_at": 0.0, "updated_at": 0.0}

    with pytest.raises(jt.RunIsRunningError, match="'raced' was started by another process at the same moment"):
        start_run(store_url, "p", "raced", columns, ["t"])
    r = jt.load_run("p/raced")
    assert r.name != "late-2" and r.tags == [] and r.state == "finished"


def test_disabled_mode_makes_every_call_a_noop(store_dir: Path) -> None:
    run = jt.init(project="p", mode="disabled", config={"lr": 0.1})
    run.log({"loss": 1.0})
    jt.log({"loss": 2.0})
    run.summary["x"] = 1
    assert jt.config.lr == 0.1 and run.disabled
    run.finish()
    assert not (store_dir / "jupyter_track.db").exists()


def test_save_stores_files_once_and_reads_them_back(tmp_path: Path) -> None:
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "a.pt").write_bytes(b"weights" * 100)
    (tmp_path / "ckpt" / "b.pt").write_bytes(b"weights" * 100)
    run = jt.init(project="p")
    assert sorted(run.save(str(tmp_path / "ckpt" / "*.pt"), base_path=tmp_path)) == ["ckpt/a.pt", "ckpt/b.pt"]
    r = read(run)
    files = r.files()
    assert [f["name"] for f in files] == ["ckpt/a.pt", "ckpt/b.pt"] and files[0]["sha256"] == files[1]["sha256"]
    out = r.download_file("ckpt/a.pt", tmp_path / "restore")
    assert out.read_bytes() == b"weights" * 100
    with pytest.raises(FileNotFoundError, match="no file matches"):
        run.save(str(tmp_path / "nothing*.pt"))


def test_warnings_are_not_raised_for_plain_logging() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = jt.init(project="p", config={"lr": 0.1})
        for i in range(100):
            run.log({"loss": float(i)})
        run.finish()


def test_config_set_before_init_is_merged_into_the_next_run() -> None:
    jt.config.update({"batch_size": 32})
    jt.config = {"seed": 7}
    run = jt.init(project="p", config={"lr": 0.1})
    assert read(run).config == {"batch_size": 32, "seed": 7, "lr": 0.1}
    run.finish()
    assert jt.config.as_dict() == {}  # consumed by that run, not carried into the next
    assert read(jt.init(project="p")).config == {}


@pytest.mark.parametrize("store_exists", [True, False], ids=["store", "new-store"])
def test_runs_started_at_the_same_moment_get_distinct_numbers_in_their_names(store_exists: bool) -> None:
    if store_exists:
        jt.init(project="names").finish()
    code = textwrap.dedent("""
        import sys, time
        time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
        import jupyter_track as jt
        with jt.init(project="names") as run:
            print(run.name)
    """)
    start = str(time.time() + 3.0)  # every process imports first, then all start a run at the same moment
    procs = [subprocess.Popen([sys.executable, "-c", code, start], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    numbers = sorted(int(out.strip().rsplit("-", 1)[1]) for out, _ in outs)
    first = 2 if store_exists else 1  # a new store: the first runs make it (once), then take their numbers
    assert numbers == list(range(first, first + 6)), numbers


def test_threads_logging_to_one_run_get_distinct_steps_with_their_own_values() -> None:
    run = jt.init(project="p")
    calls = 3000

    def produce(who: int) -> None:
        for i in range(calls):
            run.log({"who": who, "i": i, "twice": 2.0 * i})

    threads = [threading.Thread(target=produce, args=(who,)) for who in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.finish()
    h = read(run).history()
    assert h["_step"].tolist() == list(range(2 * calls))  # every call its own step, none lost or repeated
    assert (h["twice"] == 2 * h["i"]).all()  # a row's values stay together whichever thread won the step
    for who in (1, 2):
        assert h.loc[h["who"] == who, "i"].tolist() == list(range(calls))


def test_calls_of_changing_keys_media_and_updates_in_one_flush_keep_their_order() -> None:
    run = jt.init(project="p")
    run.log({"a": 1.0})
    run.log({"a": 2.0, "b": 20.0})
    run.log({"a": 3.0, "note": "text at 2"})
    run.summary["best"] = 1  # an update between calls of one key set
    run.log({"a": 4.0, "b": 40.0})
    run.log({"b": 50.0, "a": 5.0})  # the same keys in another order
    run.log({"a": 6.0, "b": 60.0})
    run.finish()
    r = read(run)
    assert r.metric("a").values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert r.metric("a").steps.tolist() == [0, 1, 2, 3, 4, 5]
    assert r.metric("b").values.tolist() == [20.0, 40.0, 50.0, 60.0]
    assert r.metric("b").steps.tolist() == [1, 3, 4, 5]
    assert r.summary["best"] == 1 and r.summary["a"] == 6.0


def test_what_finish_hands_over_is_read_resumed_and_kept_in_this_process() -> None:
    """finish() does not wait for the writer (nor for the capture started at init()); a reader, a resume and a
    second finish in this process still find the run as it ended, with the capture's facts."""
    run = jt.init(project="handover", capture=["environment"], display=False)
    for i in range(20):
        run.log({"x": float(i)})
    run.finish()
    stored = jt.load_run(run.path)
    assert stored.state == "finished" and len(stored.metric("x")) == 20 and "python" in stored.meta
    again = jt.init(project="handover", id=run.id, resume="allow", display=False)  # not "running": it ended
    again.log({"x": 20.0})
    again.finish()
    assert jt.load_run(run.path).last_step == 20 and len(jt.load_run(run.path).metric("x")) == 21


def test_repeated_key_sets_keep_values_keys_definitions_and_hooks_whatever_comes_between() -> None:
    # log() takes a shorter path for a plain dict of the same keys as the call before: each of these calls
    # must be stored, summarised and followed as any other call is
    run = jt.init(project="p")
    data = {"a": 1.0, "b": 2}
    run.log(data)
    data["a"] = 1.5  # the same dict, changed after it was logged, logged again
    run.log(data)
    data["a"] = 99.0  # changed after the last call: nothing logged changes
    run.log({"b": 3, "a": 2.0})  # the same keys in another order
    run.log({"a": 2.5, "c": 4.0})  # as many keys, one of them another
    run.log({"a": 3.0, "c": 5.0})
    run.log({"a": 3.5, "c": "text"})  # as many keys, a value that is not a number
    with pytest.raises(TypeError, match="'c'"):
        run.log({"a": 3.5, "c": [1]})  # as many keys, refused: nothing of it is stored
    run.log({"a": 4.0, "c": 6.0})
    run.log({"a": 5.0, "c": 7.0}, commit=False)
    run.log({"a": 6.0, "c": 8.0}, step=20)  # stays open: the next call is step 20 too
    run.log({"a": 7.0, "c": 9.0})
    seen: list[dict[str, object]] = []
    run.log_hook = seen.append
    run.log({"a": 8.0, "c": 10.0})
    run.log_hook = None
    run.define_metric("a", summary="min")
    run.log({"a": 0.5, "c": 11.0})
    run.log({"a": 9.0, "c": 12.0})
    run.log({"e": 1.0})
    run.log({"e": 2.0})
    assert seen == [{"a": 8.0, "c": 10.0}]
    assert run.summary["a"] == 0.5 and run.summary["c"] == 12.0 and run.summary["b"] == 3
    assert type(run.summary["b"]) is int and run.summary["e"] == 2.0
    run.finish()
    with pytest.raises(UsageError):
        run.log({"e": 3.0})
    r = read(run)
    a = r.metric("a")
    assert a.values.tolist() == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 0.5, 9.0]
    assert a.steps.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 20, 20, 21, 22, 23]
    assert r.metric("b").values.tolist() == [2.0, 2.0, 3.0]
    assert r.metric("c").values.tolist() == [4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]
    assert r.metric("e").steps.tolist() == [24, 25]
    assert r.summary["a"] == 0.5
