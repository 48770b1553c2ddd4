"""JupyterTrackCallback with a real transformers Trainer: a tiny BERT built from a config (no download) trained on
synthetic tokens, read back from the store (metric counts and steps, config, summary, model artifacts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

import jupyter_track as jt  # noqa: E402
from jupyter_track.integrations.huggingface import JupyterTrackCallback  # noqa: E402

N, BATCH, EPOCHS, EVERY = 32, 8, 2, 2  # 4 steps an epoch; a training row every 2 steps


class Tokens(torch.utils.data.Dataset):
    """Sequences of 6 token ids; the label says whether the first one is in the upper half of the vocabulary."""

    def __init__(self, n: int, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 32, (n, 6), generator=generator)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(6, dtype=torch.long),
                "labels": int(self.ids[i, 0] >= 16)}


def tiny_bert() -> Any:
    config = transformers.BertConfig(vocab_size=32, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=16, max_position_embeddings=8)
    return transformers.BertForSequenceClassification(config)


def make_trainer(tmp_path: Path, callback: JupyterTrackCallback, **arguments: Any) -> Any:
    options = dict(report_to="none", logging_steps=EVERY, num_train_epochs=EPOCHS, per_device_train_batch_size=BATCH,
                   per_device_eval_batch_size=BATCH, eval_strategy="epoch", save_strategy="no", use_cpu=True,
                   disable_tqdm=True, learning_rate=1e-2, seed=0)
    args = transformers.TrainingArguments(str(tmp_path / "out"), **{**options, **arguments})
    return transformers.Trainer(model=tiny_bert(), args=args, train_dataset=Tokens(N), eval_dataset=Tokens(16, 1),
                                callbacks=[callback])


@pytest.mark.usefixtures("backend")
def test_train_logs_at_the_global_step_with_the_config_and_the_final_model(tmp_path: Path) -> None:
    callback = JupyterTrackCallback(project="hf", log_model="end", display=False)
    make_trainer(tmp_path, callback, run_name="tiny-bert").train()

    assert callback.run is not None
    run = jt.load_run(callback.run.path)
    assert run.state == "finished" and run.name == "tiny-bert" and run.project == "hf"
    # the model's config and the TrainingArguments
    assert run.config["hidden_size"] == 8 and run.config["model_type"] == "bert"
    assert run.config["learning_rate"] == 1e-2 and run.config["logging_steps"] == EVERY
    assert run.config["model/num_parameters"] == sum(p.numel() for p in tiny_bert().parameters())
    steps_per_epoch = N // BATCH
    total = EPOCHS * steps_per_epoch
    assert run.metric("train/loss").steps.tolist() == list(range(EVERY, total + 1, EVERY))
    assert run.metric("train/learning_rate").steps.tolist() == list(range(EVERY, total + 1, EVERY))
    assert run.metric("eval/loss").steps.tolist() == [steps_per_epoch * e for e in range(1, EPOCHS + 1)]
    assert run.metric("train/epoch").values[-1] == EPOCHS
    # the end-of-training figures are summary values, not series
    assert run.summary["train_runtime"] > 0 and "train_runtime" not in set(run.keys())

    model = jt.artifact(f"hf/model-{run.id}:final_model")
    assert model.type == "model" and model.metadata["final_model"] is True
    assert {f.path for f in model.files()} >= {"config.json", "model.safetensors"}
    restored = transformers.BertForSequenceClassification.from_pretrained(model.download(str(tmp_path / "dl")))
    assert restored.config.hidden_size == 8


def test_evaluate_after_train_continues_the_run_and_finishes_it_again(tmp_path: Path) -> None:
    callback = JupyterTrackCallback(project="hf", display=False)
    trainer = make_trainer(tmp_path, callback)
    trainer.train()
    assert callback.run is not None and callback.run.state == "finished"
    last = int(jt.load_run(callback.run.path).metric("eval/loss").steps[-1])

    metrics = trainer.evaluate()

    assert len(jt.runs("hf")) == 1
    assert callback.run.state == "finished"
    evals = jt.load_run(callback.run.path).metric("eval/loss")
    assert evals.steps.tolist()[-1] == last + 1  # the global step the run has passed: the next one
    assert evals.values[-1] == pytest.approx(metrics["eval_loss"])


def test_the_active_run_is_used_left_running_and_gets_the_config(tmp_path: Path) -> None:
    run = jt.init(project="mine", config={"dataset": "tokens"}, display=False)
    callback = JupyterTrackCallback(display=False)
    make_trainer(tmp_path, callback, eval_strategy="no").train()
    assert callback.run is run and run.state == "running"
    run.finish()
    stored = jt.load_run(run.path)
    assert stored.config["dataset"] == "tokens" and stored.config["num_train_epochs"] == EPOCHS
    assert "eval/loss" not in set(stored.keys())
    assert len(stored.metric("train/loss").steps) == EPOCHS * N // BATCH // EVERY


def test_log_model_checkpoint_logs_each_saved_checkpoint(tmp_path: Path) -> None:
    callback = JupyterTrackCallback(project="hf", log_model="checkpoint", display=False)
    make_trainer(tmp_path, callback, save_strategy="epoch", eval_strategy="no").train()
    assert callback.run is not None
    versions = jt.artifacts("hf", name=f"model-{callback.run.id}")
    steps = [N // BATCH * e for e in range(1, EPOCHS + 1)]
    assert [sorted(set(v.aliases) - {"latest"}) for v in versions] == [[f"checkpoint-{s}"] for s in steps]
    assert "model.safetensors" in {f.path for f in versions[0].files()}


def test_each_hyperparameter_search_trial_is_a_run_of_one_group(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    callback = JupyterTrackCallback(project="hf", display=False)
    trainer = make_trainer(tmp_path, callback, num_train_epochs=1)
    trainer.model_init = lambda *trial: tiny_bert()
    trainer.hyperparameter_search(backend="optuna", n_trials=2, direction="minimize",
                                  hp_space=lambda trial: {"learning_rate": trial.suggest_float("learning_rate", 1e-3,
                                                                                               1e-1, log=True)},
                                  hp_name=lambda trial: f"trial-{trial.number}")
    runs = sorted(jt.runs("hf"), key=lambda r: r.name)
    assert [r.name for r in runs] == ["trial-0", "trial-1"]
    assert {r.state for r in runs} == {"finished"} and {r.group for r in runs} == {"out"}
    assert runs[0].config["learning_rate"] != runs[1].config["learning_rate"]  # each trial's own arguments
    assert all(len(r.metric("eval/loss").steps) == 1 for r in runs)


def test_bad_log_model_says_what_to_use() -> None:
    with pytest.raises(ValueError, match=r"log_model='all'.*'checkpoint'"):
        JupyterTrackCallback(log_model="all")  # type: ignore[arg-type]
