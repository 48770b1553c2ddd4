"""Code written for W&B runs unchanged with ``import jupyter_track as wandb``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import jupyter_track as jt
from tests.conftest import run_python, wait_for


def test_tutorial_script_runs_unchanged_in_a_fresh_process() -> None:
    out = run_python("""
        import argparse, math, random
        import jupyter_track as wandb

        wandb.login()
        parser = argparse.ArgumentParser()
        parser.add_argument("--lr", type=float, default=0.01)
        args = parser.parse_args([])
        wandb.init(project="wandb-tutorial", entity="me", config=args, name="tutorial", tags=["demo"],
                   notes="from the docs", group="g", job_type="train", reinit=True)
        wandb.config.update({"epochs": 3, "architecture": "CNN"}, allow_val_change=True)
        config = wandb.config
        assert config.lr == 0.01 and config["epochs"] == 3
        for epoch in range(config.epochs):
            for batch in range(10):
                wandb.log({"loss": math.exp(-epoch - batch / 10), "acc": random.random()})
            wandb.log({"epoch": epoch, "val": {"loss": 0.1, "acc": 0.9}, "Notes": "CNN"}, commit=False)
            wandb.log({})
        wandb.run.summary["best_acc"] = 0.99
        wandb.summary.update({"test_acc": 0.95})
        print(wandb.run.name, wandb.run.id, wandb.run.project)
        wandb.finish()
        assert wandb.run is None
    """)
    _name, run_id, project = out.stdout.split()[-3:]
    r = jt.Api().run(f"me/{project}/{run_id}")
    assert (r.name, r.state, r.entity, r.tags, r.notes) == ("tutorial", "finished", "me", ["demo"], "from the docs")
    assert r.config == {"lr": 0.01, "epochs": 3, "architecture": "CNN"}
    assert r.summary["best_acc"] == 0.99 and r.summary["test_acc"] == 0.95
    assert r.summary["val/acc"] == 0.9 and r.summary["Notes"] == "CNN"
    h = r.history()
    assert len(h) == 33 and h["epoch"].dropna().tolist() == [0, 1, 2]


def test_context_manager_define_metric_and_save_spellings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "model.h5").write_bytes(b"m")
    with jt.init(project="p", config={"a": 1}) as run:
        run.define_metric("val/acc", step_metric="epoch", summary="max")
        jt.log({"val/acc": 0.5, "epoch": 0})
        jt.save(str(tmp_path / "model.h5"), base_path=str(tmp_path))
        assert jt.run.name == run.name and jt.run.config.a == 1
    r = jt.load_run(run.path)
    assert r.meta["metrics"]["val/acc"] == {"step_metric": "epoch", "summary": "max"}
    assert [f["name"] for f in r.files()] == ["model.h5"]


def test_api_runs_with_wandb_filters_and_order() -> None:
    for lr in (0.1, 0.01):
        with jt.init(project="proj", config={"lr": lr}) as run:
            run.log({"acc": lr * 5})
    api = jt.Api()
    runs = api.runs(path="my-entity/proj", filters={"config.lr": 0.01}, order="-summary_metrics.acc")
    assert len(runs) == 1 and runs[0].summary["acc"] == 0.05


def test_the_docs_export_of_runs_to_csv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """W&B's public-API guide exports a project with ``run.summary._json_dict``; live summaries have it too."""
    import ast

    import pandas as pd

    with jt.init(project="proj", config={"lr": 0.1, "_private": 1}) as run:
        run.log({"acc": 0.5, "loss": 1.0})
        run.summary["best"] = 0.7
        assert run.summary._json_dict == {"acc": 0.5, "loss": 1.0, "best": 0.7}
    summaries, configs, names = [], [], []
    for r in jt.Api().runs("my-entity/proj"):
        summaries.append(r.summary._json_dict)
        configs.append({k: v for k, v in r.config.items() if not k.startswith("_")})
        names.append(r.name)
    pd.DataFrame({"summary": summaries, "config": configs, "name": names}).to_csv(tmp_path / "project.csv")
    back = pd.read_csv(tmp_path / "project.csv")
    assert list(back["name"]) == [run.name] and back["config"][0] == "{'lr': 0.1}"
    assert ast.literal_eval(back["summary"][0]) == {"acc": 0.5, "loss": 1.0, "best": 0.7}


def test_the_stored_summary_keeps_ints_and_bools_as_logged(backend: str) -> None:
    """W&B shows ``epoch`` 4 and a flag ``False`` as logged; the chunks hold float64, which read back as 4.0 and
    0.0 in every reader of the stored summary until the run handed the writer its exact last values."""
    run = jt.init(project="proj")
    for epoch in range(5):
        run.log({"epoch": epoch, "done": epoch == 4, "early": False, "loss": 1 / (epoch + 1), "n": 2.0,
                 "np_int": np.int64(epoch), "np_bool": np.bool_(epoch > 2)})
    run.define_metric("best", summary="max")
    for value in (3, 1):
        run.log({"best": value})
    run.summary["best_epoch"] = 3
    run.summary["tuned"] = True
    run.finish()
    # a summary of statistics (the max of "best") stays a float, live and stored
    expected = {"epoch": 4, "done": True, "early": False, "loss": 0.2, "n": 2.0, "best": 3.0, "best_epoch": 3,
                "tuned": True, "np_int": 4, "np_bool": True}
    for summary in (jt.Api().run(run.path).summary, jt.load_run(run.path).summary,
                    jt.Api().runs("my-entity/proj")[0].summary._json_dict):
        assert dict(summary) == expected
        assert [type(summary[k]) for k in expected] == [int, bool, bool, float, float, float, int, bool, int, bool]
    assert len(jt.runs("proj", filters={"summary.epoch": {"$gte": 4}})) == 1  # sorting and filters: as numbers
    resumed = jt.init(project="proj", id=run.id, resume="must")
    assert resumed.summary["epoch"] == 4 and type(resumed.summary["epoch"]) is int
    resumed.log({"loss": 0.1})
    resumed.finish()
    assert type(jt.load_run(run.path).summary["done"]) is bool


def test_disabled_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch, store_dir) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WANDB_MODE", "disabled")
    run = jt.init(project="p", config=argparse.Namespace(x=1))
    jt.log({"a": 1.0})
    assert run.disabled and jt.config.x == 1
    assert not (store_dir / "jupyter_track.db").exists()


def test_init_accepts_wandb_only_arguments() -> None:
    run = jt.init(project="p", save_code=True, sync_tensorboard=False, monitor_gym=False, anonymous="allow",
                  settings=None, magic=False, force=False, allow_val_change=True)
    run.finish()
    assert jt.load_run(run.path).state == "finished"


def test_api_artifact_spellings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    with jt.init(project="proj") as run:
        art = jt.Artifact("data", type="dataset")
        art.add_file(str(tmp_path / "data.csv"))
        run.log_artifact(art, aliases=["best"])
    api = jt.Api()
    assert api.artifact("proj/data:best").version == "v0"
    assert [a.name for a in api.artifacts("dataset")] == ["data:v0"]  # W&B names versions so
    assert [a.name for a in api.artifacts(type_name="dataset", name="proj/data", per_page=50)] == ["data:v0"]
    with pytest.raises(jt.UsageError, match=r"artifact tags are not stored.*aliases"):  # never a bare TypeError
        api.artifacts(type_name="dataset", name="proj/data", tags=["production"])


# -- issue #12: W&B code from the real world, in the W&B spelling ------------------------------------------------
def test_wandb_run_is_none_before_init_and_after_finish_so_the_common_guard_starts_one_run() -> None:
    import jupyter_track as wandb

    assert wandb.run is None
    assert not hasattr(wandb, "summary") and getattr(wandb, "summary", None) is None
    for _ in range(2):  # Hugging Face's callback and many notebooks: start a run unless one is active
        if wandb.run is None:
            wandb.init(project="guard")
    first = wandb.run
    assert first is not None and first.project == "guard" and wandb.summary is first.summary
    wandb.finish()
    assert wandb.run is None and not hasattr(wandb, "summary")
    assert jt.load_run(first.path).state == "finished"
    assert jt.Api().run(first.path).id == first.id
    with pytest.raises(TypeError):  # jt.run is the active run (None here), not a function that reads one
        jt.run(first.path)  # type: ignore[misc]


def test_run_watch_and_unwatch() -> None:
    torch = pytest.importorskip("torch")
    import jupyter_track as wandb

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step() -> None:
        loss = model(torch.randn(4, 3)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log({"loss": loss.item()})

    run = wandb.init(project="watch")
    run.watch(model, log="all", log_freq=1)
    step()
    step()
    run.unwatch()
    step()
    run.finish()
    stored = jt.load_run(run.path)
    assert [s for s, _, _ in stored.media("gradients/weight")] == [0, 1]
    assert [s for s, _, _ in stored.media("parameters/bias")] == [0, 1]


SUMMARY_MODES = [("min", 1.0), ("max", 5.0), ("mean", 3.0), ("last", 2.0), ("best-minimize", 1.0),
                 ("best-maximize", 5.0), ("none", None)]


@pytest.mark.parametrize(("mode", "expected"), SUMMARY_MODES, ids=[m for m, _ in SUMMARY_MODES])
def test_define_metric_summary_is_applied_live_and_in_the_store(backend: str, mode: str, expected: float | None
                                                               ) -> None:
    import jupyter_track as wandb

    summary, _, goal = mode.partition("-")
    run = wandb.init(project="define-metric")
    wandb.define_metric("loss", summary=summary, goal=goal or None)
    for value in (3.0, 1.0, 5.0, 4.0, 2.0):
        wandb.log({"loss": value, "acc": value / 10})
    if expected is None:
        assert "loss" not in wandb.summary and "loss" not in list(wandb.summary.keys())
    else:
        assert wandb.summary["loss"] == expected
    assert wandb.summary["acc"] == 0.2  # keys without a definition: the last value
    wandb.finish()
    stored = jt.load_run(run.path)
    assert stored.summary.get("loss") == expected and ("loss" in stored.summary) == (expected is not None)
    listed = jt.runs("define-metric")[0]
    assert listed.summary.get("loss") == expected and ("loss" in listed.summary) == (expected is not None)
    assert stored.history()["loss"].tolist() == [3.0, 1.0, 5.0, 4.0, 2.0]  # the history keeps every value


def test_define_metric_globs_later_definitions_and_bad_arguments(backend: str) -> None:
    import jupyter_track as wandb

    run = wandb.init(project="define-metric")
    wandb.log({"val/acc": 0.9, "val/loss": 0.5, "epoch": 0})
    wandb.define_metric("val/*", summary="max", step_metric="epoch")  # after the first values: applied to them too
    wandb.define_metric("val/loss", summary="min")  # an exact name wins over the glob
    wandb.log({"val/acc": 0.7, "val/loss": 0.2, "epoch": 1})
    wandb.log({"val/acc": 0.8, "val/loss": 0.4, "epoch": 2})
    assert (wandb.summary["val/acc"], wandb.summary["val/loss"], wandb.summary["epoch"]) == (0.9, 0.2, 2)
    with pytest.raises(ValueError, match=r"summary='best'\) needs goal"):
        wandb.define_metric("x", summary="best")
    with pytest.raises(ValueError, match=r"summary='median'.*use one of"):
        wandb.define_metric("x", summary="median")
    run.summary["val/acc"] = 1.0  # a value set by the user still wins
    wandb.finish()
    stored = jt.load_run(run.path)
    assert (stored.summary["val/acc"], stored.summary["val/loss"]) == (1.0, 0.2)
    assert stored.meta["metrics"] == {"val/*": {"summary": "max", "step_metric": "epoch"},
                                      "val/loss": {"summary": "min"}}


def test_a_resumed_run_keeps_its_metric_definitions() -> None:
    import jupyter_track as wandb

    run = wandb.init(project="resume", id="keep-defs")
    wandb.define_metric("loss", summary="mean")
    wandb.log({"loss": 1.0})
    wandb.log({"loss": 3.0})
    wandb.finish()
    wandb.init(project="resume", id="keep-defs", resume="allow")
    wandb.log({"loss": 5.0})
    assert wandb.summary["loss"] == 3.0
    wandb.finish()
    assert jt.load_run(run.path).summary["loss"] == 3.0


def test_log_a_dataframe_logs_a_table() -> None:
    pd = pytest.importorskip("pandas")
    import jupyter_track as wandb

    iris = pd.DataFrame({"sepal length (cm)": [5.1, 4.9], "species": ["setosa", "setosa"]})
    run = wandb.init(project="Tables-Quickstart")
    wandb.log({"iris": iris})
    wandb.finish()
    table = jt.load_run(run.path).table("iris")
    assert table.columns == ["sepal length (cm)", "species"]
    assert table.to_pandas().equals(iris)


def test_table_cells_take_tensors_and_numpy_scalars_as_log_does() -> None:
    torch = pytest.importorskip("torch")

    import jupyter_track as wandb

    table = wandb.Table(columns=["pred", "target", "score", "ok"])
    table.add_data(torch.tensor(7), np.int64(3), np.float32(0.25), np.bool_(False))
    table.add_data(torch.tensor([2.5]), torch.tensor(4, dtype=torch.int32), *torch.tensor([0.5, 1.0]).numpy()[:1], True)
    with pytest.raises(TypeError, match=r"cell \(2, 'pred'\) is a torch.Tensor"):
        table.add_data(torch.ones(2), 1, 0.5, True)  # two values: refused here, not when it is logged
    run = wandb.init(project="tables")
    wandb.log({"predictions_table": table})
    wandb.finish()
    assert jt.load_run(run.path).table("predictions_table").data == [[7, 3, 0.25, False], [2.5, 4, 0.5, True]]


def test_run_metadata_is_what_init_captured() -> None:
    import jupyter_track as wandb

    run = wandb.init(project="meta", capture="environment")
    assert wait_for(lambda: "python" in run.metadata)
    assert run.metadata == run.meta and run.metadata["python"]["version"] == platform.python_version()
    wandb.finish()
    assert jt.Api().run(run.path).metadata["python"] == run.metadata["python"]


def test_each_run_has_its_own_dir_whose_files_are_saved_at_finish(backend: str) -> None:
    import jupyter_track as wandb

    folders = []
    for text in ("first", "second"):
        run = wandb.init(project="run-dir")
        folder = Path(wandb.run.dir)
        (folder / "model.txt").write_text(text)
        (folder / "plots").mkdir()
        (folder / "plots" / "loss.csv").write_text(f"{text},1\n")
        folders.append(folder)
        wandb.finish()
        stored = jt.load_run(run.path)
        assert sorted(f["name"] for f in stored.files()) == ["model.txt", "plots/loss.csv"]
        assert stored.download_file("model.txt", root=folder.parent / "back").read_text() == text
    assert folders[0] != folders[1]
    if backend == "postgresql":  # a temporary folder: gone once its files are in the store
        assert not any(f.exists() for f in folders)


def test_save_policies_and_save_without_arguments(tmp_path: Path) -> None:
    import jupyter_track as wandb

    (tmp_path / "live.txt").write_text("v1")
    (tmp_path / "end.txt").write_text("v1")
    run = wandb.init(project="save")
    assert run.save() is True  # W&B's old run.save(): attributes are stored as they change
    run.notes = "saved as it changes"
    assert wandb.save(str(tmp_path / "live.txt"), base_path=str(tmp_path)) == ["live.txt"]
    assert wandb.save(str(tmp_path / "end.txt"), base_path=str(tmp_path), policy="end") == []
    (tmp_path / "live.txt").write_text("v2")
    (tmp_path / "end.txt").write_text("v2")
    with pytest.raises(ValueError, match="policy='sometimes'"):
        wandb.save(str(tmp_path / "live.txt"), policy="sometimes")
    wandb.finish()
    stored = jt.load_run(run.path)
    assert stored.notes == "saved as it changes"
    assert stored.download_file("live.txt", root=tmp_path / "a").read_text() == "v2"  # its content at finish()
    assert stored.download_file("end.txt", root=tmp_path / "b").read_text() == "v2"


def test_sweep_id_urls_and_display_spellings() -> None:
    import jupyter_track as wandb

    seen = {}

    def train() -> None:
        with wandb.init() as run:
            seen.update(sweep_id=run.sweep_id, sweep_url=run.get_sweep_url(), url=run.get_url(),
                        project_url=run.get_project_url())
            run.log({"loss": wandb.config.lr})

    sweep_id = wandb.sweep({"method": "grid", "parameters": {"lr": {"values": [0.1]}}}, project="cv")
    wandb.agent(sweep_id, function=train, count=1)
    assert seen["sweep_id"] == sweep_id and sweep_id in seen["sweep_url"] and "cv" in seen["project_url"]
    api_sweep = jt.Api().sweep(f"me/cv/{sweep_id}")
    assert api_sweep.id == sweep_id and [r.sweep_id for r in api_sweep.runs] == [sweep_id]
    with pytest.raises(jt.RunNotFoundError, match="no sweep"):
        jt.Api().sweep("nope")
    run = wandb.init(project="plain")
    assert run.sweep_id is None and run.get_sweep_url() is None and isinstance(run.get_url(), str)
    assert run.display(height=720) is None  # no notebook frontend here: nothing shown, nothing raised
    wandb.finish()


def test_alert_is_recorded_with_the_run_and_printed_on_stderr(capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import jupyter_track as wandb
    from jupyter_track import AlertLevel

    monkeypatch.delenv("JUPYTER_TRACK_QUIET")
    run = wandb.init(project="test_alerts")
    wandb.log({"Accuracy": 0.2})
    for _ in range(2):  # the second one comes within wait_duration: left out
        wandb.alert(title="Low Accuracy", text="Accuracy 0.2 is below 0.3", level=AlertLevel.WARN, wait_duration=60)
    run.alert(title="Done", text="finished early", level="error")
    with pytest.raises(ValueError, match="level='LOUD'"):
        run.alert(title="x", text="y", level="loud")
    wandb.finish()
    out = capsys.readouterr()
    assert "WARN alert in run" in out.err and "Low Accuracy: Accuracy 0.2 is below 0.3" in out.err
    assert "alert" not in out.out
    alerts = jt.load_run(run.path).meta["alerts"]
    assert [(a["title"], a["level"], a["step"]) for a in alerts] == [("Low Accuracy", "WARN", 0), ("Done", "ERROR", 0)]


def test_stored_run_update_stores_edited_name_notes_tags_config_and_summary(backend: str) -> None:
    import jupyter_track as wandb

    with wandb.init(project="config_example", config={"dataset": "CelebA"}, tags=["a"]) as run:
        wandb.define_metric("hidden", summary="none")
        wandb.log({"acc": 0.5, "hidden": 1.0})
    api = wandb.Api()
    stored = api.run(f"me/{run.project}/{run.id}")
    stored.config["bar"] = 32
    stored.name, stored.notes = "renamed", "edited later"
    stored.tags.append("b")
    stored.summary["test_acc"] = 0.91
    stored.update()
    again = jt.load_run(run.path)
    assert (again.name, again.notes, again.tags) == ("renamed", "edited later", ["a", "b"])
    assert again.config == {"dataset": "CelebA", "bar": 32}
    assert again.summary == {"acc": 0.5, "test_acc": 0.91}
    again.summary.update({"acc": 0.75})  # W&B's HTTP summary: update() stores at once
    assert dict(jt.load_run(run.path).summary) == {"acc": 0.75, "test_acc": 0.91}
    listed = jt.runs("config_example").to_pandas()
    assert listed.loc[0, "name"] == "renamed" and listed.loc[0, "summary.acc"] == 0.75
    del again.summary["acc"]
    with pytest.raises(jt.UsageError, match="cannot be deleted"):
        again.update()
    with pytest.raises(ValueError, match="non-empty string"):
        again.name = " "


def test_artifact_description_and_metadata_edits_are_saved(backend: str, tmp_path: Path) -> None:
    import jupyter_track as wandb

    (tmp_path / "model.pt").write_bytes(b"weights")
    with wandb.init(project="registry") as run:
        art = wandb.Artifact("mnist-model", type="model", description="first", metadata={"acc": 0.9})
        art.add_file(str(tmp_path / "model.pt"))
        run.log_artifact(art)
    logged = wandb.Api().artifact("registry/mnist-model:latest")
    logged.description = "trained 5 epochs"
    logged.metadata["epochs"] = 5
    logged.aliases.append("production")
    logged.save()
    again = jt.artifact("registry/mnist-model:production")
    assert again.description == "trained 5 epochs" and again.metadata == {"acc": 0.9, "epochs": 5}
    assert again.version == "v0"


def test_worker_processes_of_a_cli_sweep_trial_that_clear_wandb_env_start_runs_of_their_own(tmp_path: Path) -> None:
    # W&B's sweeps-cross-validation example: the trial's program starts workers (before init) that delete WANDB_*
    (tmp_path / "train.py").write_text(textwrap.dedent("""\
        import multiprocessing, os
        import jupyter_track as wandb

        def fold(num, queue):
            for k in [k for k in os.environ if k.startswith("WANDB_") and k != "WANDB_PROJECT"]:
                del os.environ[k]
            run = wandb.init(group=queue.get(), job_type="fold", name=f"fold-{num}")
            run.log({"val_accuracy": 0.5 + num / 10})
            wandb.join()

        if __name__ == "__main__":
            queues = [multiprocessing.Queue() for _ in range(2)]
            workers = [multiprocessing.Process(target=fold, args=(n, q)) for n, q in enumerate(queues)]
            for w in workers:
                w.start()
            sweep_run = wandb.init()
            for q, w in zip(queues, workers):
                q.put(sweep_run.sweep_id)
                w.join()
                assert w.exitcode == 0, w.exitcode
            sweep_run.log({"val_accuracy": 0.55})
            wandb.join()
        """))
    (tmp_path / "sweep.yaml").write_text("program: train.py\nmethod: grid\nparameters:\n  lr:\n    values: [0.1]\n")

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "jupyter_track", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    sweep_id = cli("sweep", "sweep.yaml", "--project", "cv")
    cli("agent", sweep_id, "--count", "1")
    trial, = jt.sweep_runs(sweep_id)
    assert trial.state == "finished" and trial.summary["val_accuracy"] == 0.55
    folds = jt.runs(filters={"group": sweep_id}, order="name")
    assert [(r.name, r.state, r.sweep_id, r.summary["val_accuracy"]) for r in folds] == [
        ("fold-0", "finished", None, 0.5), ("fold-1", "finished", None, 0.6)]
    assert {r.project for r in folds} == {"cv"}  # the agent sets WANDB_PROJECT, which the example keeps


def test_init_and_finish_messages_go_to_stderr_in_a_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_TRACK_QUIET")
    out = run_python("""
        import json
        import jupyter_track as wandb
        with wandb.init(project="stdout") as run:
            wandb.log({"x": 1.0})
        print(json.dumps({"run": run.id}))
    """)
    assert list(json.loads(out.stdout)) == ["run"]  # `python train.py > result.json` stays valid JSON
    assert "jupyter_track: started run" in out.stderr and "jupyter_track: finished run" in out.stderr


def test_log_without_data_commits_the_step() -> None:
    import jupyter_track as wandb

    run = wandb.init(project="steps")
    for i in range(3):  # examples/api-examples/metrics-at-different-steps
        wandb.log({"loss": 1.0 / (i + 1)}, commit=False)
        if i % 2 == 0:
            wandb.log({"val_acc": 0.5}, commit=False)
        wandb.log()
    wandb.finish()
    h = jt.load_run(run.path).history()
    assert h["_step"].tolist() == [0, 1, 2] and h["val_acc"].isna().tolist() == [False, True, False]


def test_a_restarted_job_continues_its_run_through_wandb_environment_variables(store_dir: Path) -> None:
    # W&B's api-examples/resume: `WANDB_RUN_ID=myrun1 python train.py`, then again with WANDB_RESUME=allow
    env = {**os.environ, "WANDB_RUN_ID": "myrun1", "WANDB_NAME": "restartable", "WANDB_TAGS": "a, b",
           "WANDB_RUN_GROUP": "g", "WANDB_JOB_TYPE": "train", "JUPYTER_TRACK_DIR": str(store_dir)}
    script = ("import sys, jupyter_track as wandb\n"
              "start = int(sys.argv[1])\n"
              "wandb.init(project='env-resume')\n"
              "for i in range(start, start + 5):\n"
              "    wandb.log({'loss': 1.0 / (i + 1)})\n")
    first = subprocess.run([sys.executable, "-c", script, "0"], env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-c", script, "5"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode != 0 and "already exists" in again.stderr  # no WANDB_RESUME: not continued silently
    resumed = subprocess.run([sys.executable, "-c", script, "5"], env={**env, "WANDB_RESUME": "allow"},
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    run = jt.load_run("env-resume/myrun1")
    assert run.name == "restartable" and run.tags == ["a", "b"] and run.group == "g" and run.job_type == "train"
    assert run.metric("loss").steps.tolist() == list(range(10))
    assert [r.id for r in jt.runs("env-resume")] == ["myrun1"]


def test_wandb_data_types_holds_the_media_types_and_names_what_it_lacks() -> None:
    import jupyter_track as wandb

    assert wandb.data_types.Table is wandb.Table and wandb.data_types.Image is wandb.Image
    with pytest.raises(AttributeError, match=r"PartitionedTable is not supported by jupyter_track.*Table"):
        wandb.data_types.PartitionedTable("parts")
    # the media tutorial's wandb.Video / Audio / Object3D: the same sentence, naming every type there is
    from jupyter_track import errors, media

    assert set(errors.MEDIA_TYPES) == {n for n in media.__all__ if n[0].isupper()}
    for name in ("Video", "Audio", "Object3D"):
        with pytest.raises(AttributeError, match=rf"wandb\.{name} is not supported.*Image, Plotly.*run\.save\(path\)"):
            getattr(wandb, name)("clip.mp4")
    with pytest.raises(AttributeError, match="has no attribute 'Vidoe'"):
        wandb.Vidoe  # noqa: B018 - a typo stays a plain AttributeError


def test_run_resumed_and_starting_step_tell_a_restarted_job_where_it_is() -> None:
    # W&B's checkpointing pattern: `if wandb.run.resumed: load the checkpoint`, then go on from run.starting_step
    import jupyter_track as wandb

    wandb.setup()
    wandb.require("core")
    run = wandb.init(project="ckpt", id="job-1", resume="allow")
    assert (run.resumed, run.starting_step) == (False, 0)
    for step in range(5):
        run.log({"loss": 1.0 / (step + 1)})
    run.finish()
    again = wandb.init(project="ckpt", id="job-1", resume="allow")
    assert (again.resumed, again.starting_step, wandb.run.resumed) == (True, 5, True)
    again.log({"loss": 0.1})
    again.finish()
    assert wandb.load_run("ckpt/job-1").history()["_step"].tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(AttributeError, match=r"wandb\.Classes is not supported"):
        wandb.Classes([{"id": 1, "name": "cat"}])
