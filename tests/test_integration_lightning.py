"""JupyterTrackLogger with a real Lightning Trainer: a tiny regression model on synthetic data, read back from the
store (metric counts and steps, config, checkpoints as artifacts, the run's state)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning")

import jupyter_track as jt  # noqa: E402
from jupyter_track.integrations.lightning import JupyterTrackLogger  # noqa: E402
from tests.conftest import run_python  # noqa: E402

N, BATCH, EPOCHS, EVERY = 64, 8, 2, 2  # 8 batches an epoch; a training row every 2 steps


class Regression(L.LightningModule):
    def __init__(self, lr: float = 0.1, hidden: int = 4, fail_at: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(3, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))

    def step(self, batch: Any) -> Any:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def training_step(self, batch: Any, index: int) -> Any:
        if self.hparams.fail_at is not None and self.global_step == self.hparams.fail_at:
            raise RuntimeError("diverged")
        loss = self.step(batch)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: Any, index: int) -> None:
        self.log("val/loss", self.step(batch))

    def test_step(self, batch: Any, index: int) -> None:
        self.log("test/loss", self.step(batch))

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


@pytest.fixture
def loader() -> Any:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(N, 3, generator=generator)
    data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
    return torch.utils.data.DataLoader(data, batch_size=BATCH)


def trainer(tmp_path: Path, logger: JupyterTrackLogger, **kwargs: Any) -> Any:
    options = dict(max_epochs=EPOCHS, log_every_n_steps=EVERY, enable_progress_bar=False,
                   enable_model_summary=False, default_root_dir=str(tmp_path / "root"))
    return L.Trainer(logger=logger, **{**options, **kwargs})


@pytest.mark.usefixtures("backend")
def test_fit_records_metrics_at_the_global_step_hparams_and_the_best_checkpoint(tmp_path: Path, loader: Any
                                                                                ) -> None:
    logger = JupyterTrackLogger(project="pl", name="tiny", log_model=True, display=False)
    trainer(tmp_path, logger).fit(Regression(lr=0.05), loader, loader)

    run = jt.load_run(logger.experiment.path)
    assert run.state == "finished" and run.name == "tiny" and run.project == "pl"
    assert logger.name == "pl" and logger.version == run.id
    assert run.config == {"lr": 0.05, "hidden": 4, "fail_at": None}
    steps_per_epoch = N // BATCH
    train = run.metric("train/loss")
    # Lightning logs after every EVERY-th optimizer step, at the global step it reached
    assert train.steps.tolist() == list(range(EVERY - 1, EPOCHS * steps_per_epoch, EVERY))
    val = run.metric("val/loss")
    assert val.steps.tolist() == [steps_per_epoch * e - 1 for e in range(1, EPOCHS + 1)]
    assert val.values[-1] < val.values[0]  # it learned something
    assert set(run.keys()) == {"train/loss", "val/loss", "epoch"}

    checkpoints = tmp_path / "root" / "pl" / run.id / "checkpoints"  # <save_dir>/<name>/<version>
    assert [p.name for p in checkpoints.iterdir()] == [f"epoch={EPOCHS - 1}-step={EPOCHS * steps_per_epoch}.ckpt"]
    model = jt.artifact(f"pl/model-{run.id}:best")
    assert model.type == "model" and model.version == "v0" and set(model.aliases) == {"latest", "best"}
    assert [f.path for f in model.files()] == ["model.ckpt"]
    assert model.metadata["original_filename"] == next(checkpoints.iterdir()).name
    restored = Regression.load_from_checkpoint(model.file(str(tmp_path / "download")))
    assert restored.hparams.lr == 0.05


def test_test_after_fit_continues_the_run_and_finishes_it_again(tmp_path: Path, loader: Any) -> None:
    logger = JupyterTrackLogger(project="pl", display=False)
    fit = trainer(tmp_path, logger)
    fit.fit(Regression(), loader)
    assert logger.experiment.state == "finished"
    last_train_step = int(jt.load_run(logger.experiment.path).metric("train/loss").steps[-1])

    fit.test(Regression(), loader)

    assert len(jt.runs("pl")) == 1
    run = jt.load_run(logger.experiment.path)
    assert run.state == "finished"
    test = run.metric("test/loss")
    # Lightning logs the test at the global step the fit reached: the run has passed it, so it goes one further
    assert test.steps.tolist() == [last_train_step + 1]


def test_an_exception_in_training_fails_the_run_and_keeps_what_was_logged(tmp_path: Path, loader: Any) -> None:
    logger = JupyterTrackLogger(project="pl", display=False)
    with pytest.raises(RuntimeError, match="diverged"):
        trainer(tmp_path, logger).fit(Regression(fail_at=5), loader)
    run = jt.load_run(logger.experiment.path)
    assert run.state == "failed"
    assert run.metric("train/loss").steps.tolist() == [1, 3]


def test_the_active_run_is_used_and_left_running(tmp_path: Path, loader: Any) -> None:
    run = jt.init(project="mine", config={"dataset": "synthetic"}, display=False)
    logger = JupyterTrackLogger(log_model="all", display=False)
    checkpoint = L.pytorch.callbacks.ModelCheckpoint(save_top_k=-1)  # one file per epoch, each logged when saved
    trainer(tmp_path, logger, callbacks=[checkpoint]).fit(Regression(), loader)

    assert logger.experiment is run and run.state == "running"
    run.finish()
    stored = jt.load_run(run.path)
    assert stored.config == {"dataset": "synthetic", "lr": 0.1, "hidden": 4, "fail_at": None}
    assert len(stored.metric("train/loss").steps) == EPOCHS * N // BATCH // EVERY
    versions = jt.artifacts("mine", name=f"model-{run.id}")
    assert [v.version for v in versions] == [f"v{i}" for i in range(EPOCHS)]


def test_other_ranks_log_nothing(tmp_path: Path) -> None:
    from lightning.pytorch.utilities import rank_zero_only

    logger = JupyterTrackLogger(project="pl", display=False)
    rank_zero_only.rank = 1
    try:
        assert not isinstance(logger.experiment, jt.Run)  # Lightning's dummy experiment
        logger.log_metrics({"loss": 1.0}, step=0)
        logger.log_hyperparams({"lr": 0.1})
    finally:
        rank_zero_only.rank = 0
    assert logger.version is None and len(jt.runs("pl")) == 0


def test_a_fork_started_ddp_fit_stores_the_run_the_logger_starts_in_rank_zero(tmp_path: Path) -> None:
    # Lightning's ddp_notebook / ddp_fork: each rank is a process forked from the kernel's. Rank zero's logger starts
    # the run in that process, whose writer stores it before the rank exits (without atexit). In a process of its
    # own: forking pytest's, with its threads, could inherit a lock some thread holds.
    out = run_python(f"""
        import torch, lightning as L
        import jupyter_track as jt
        from jupyter_track.integrations.lightning import JupyterTrackLogger

        class Model(L.LightningModule):
            def __init__(self):
                super().__init__()
                self.net = torch.nn.Linear(3, 1)

            def training_step(self, batch, index):
                loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
                self.log("train/loss", loss)
                return loss

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        data = torch.utils.data.TensorDataset(torch.randn({N}, 3), torch.randn({N}, 1))
        trainer = L.Trainer(max_epochs={EPOCHS}, accelerator="cpu", devices=2, strategy="ddp_fork",
                            logger=JupyterTrackLogger(project="ddp", display=False), log_every_n_steps=1,
                            enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
                            default_root_dir={str(tmp_path)!r})
        trainer.fit(Model(), torch.utils.data.DataLoader(data, batch_size={BATCH}))
        (run,) = jt.runs("ddp")
        print(run.state, len(run.metric("train/loss").steps), run.summary["epoch"])
        """, timeout=300)
    assert out.stdout.split()[-3:] == ["finished", str(EPOCHS * N // BATCH // 2), str(EPOCHS - 1)]  # 2 ranks


def test_bad_log_model_says_what_to_use() -> None:
    with pytest.raises(ValueError, match=r"log_model='best'.*'all'"):
        JupyterTrackLogger(log_model="best")  # type: ignore[arg-type]


def test_the_pytorch_lightning_package_works_without_lightning(tmp_path: Path) -> None:
    pytest.importorskip("pytorch_lightning")
    out = run_python(f"""
        import sys
        sys.modules["lightning"] = None          # as if only pytorch_lightning were installed
        import torch, pytorch_lightning as pl
        import jupyter_track as jt
        from jupyter_track.integrations.lightning import JupyterTrackLogger

        class M(pl.LightningModule):
            def __init__(self):
                super().__init__(); self.net = torch.nn.Linear(2, 1)
            def training_step(self, batch, i):
                loss = self.net(batch[0]).pow(2).mean(); self.log("loss", loss); return loss
            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=0.1)

        data = torch.utils.data.TensorDataset(torch.randn(16, 2))
        logger = JupyterTrackLogger(project="old", display=False)
        pl.Trainer(logger=logger, max_epochs=1, log_every_n_steps=1, enable_progress_bar=False,
                   enable_checkpointing=False, default_root_dir={str(tmp_path)!r}).fit(
            M(), torch.utils.data.DataLoader(data, batch_size=4))
        assert "lightning.pytorch" not in sys.modules
        print(jt.load_run(logger.experiment.path).metric("loss").steps.tolist(), logger.experiment.state)
    """, env={"JUPYTER_TRACK_DIR": os.environ["JUPYTER_TRACK_DIR"]})
    assert out.stdout.strip().splitlines()[-1] == "[0, 1, 2, 3] finished"
