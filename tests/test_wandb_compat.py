"""Code written for W&B runs unchanged with ``import jupyter_track as wandb``."""

from __future__ import annotations

import argparse

import pytest

import jupyter_track as jt
from tests.conftest import run_python


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
        jt.save(str(tmp_path / "model.h5"))
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
