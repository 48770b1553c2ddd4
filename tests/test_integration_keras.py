"""Keras 3 callbacks on the torch backend (no TensorFlow): a tiny classifier on synthetic data, read back from the
store (metric counts and steps, learning rate, checkpoints as artifacts)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is imported: it picks its backend once
pytest.importorskip("torch")
keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

import jupyter_track as jt  # noqa: E402
from jupyter_track.errors import UsageError  # noqa: E402
from jupyter_track.integrations.keras import JupyterTrackMetricsLogger, JupyterTrackModelCheckpoint  # noqa: E402

N, BATCH, EPOCHS = 64, 16, 3  # 48 samples train (3 batches an epoch), 16 validate


def data() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 3)).astype("float32")
    return x, (x.sum(1) > 0).astype("float32")


def model(lr: Any = 0.1) -> Any:
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer=keras.optimizers.SGD(lr), loss="binary_crossentropy", metrics=["accuracy"])
    return m


def fit(m: Any, callbacks: list[Any], epochs: int = EPOCHS, **kwargs: Any) -> Any:
    x, y = data()
    return m.fit(x, y, epochs=epochs, batch_size=BATCH, validation_split=0.25, verbose=0, shuffle=False,
                 callbacks=callbacks, **kwargs)


def test_keras_runs_on_torch_without_tensorflow() -> None:
    assert keras.backend.backend() == "torch"
    with pytest.raises(ImportError):
        import tensorflow  # noqa: F401


def test_epoch_metrics_and_the_scheduled_learning_rate_at_each_epoch() -> None:
    run = jt.init(project="keras", display=False)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    history = fit(model(schedule), [JupyterTrackMetricsLogger()])
    run.finish()

    stored = jt.load_run(run.path)
    assert set(stored.keys()) == {"epoch/loss", "epoch/accuracy", "epoch/val_loss", "epoch/val_accuracy",
                                  "epoch/learning_rate", "epoch/epoch"}
    loss = stored.metric("epoch/loss")
    assert loss.steps.tolist() == list(range(EPOCHS))
    assert loss.values.tolist() == pytest.approx(history.history["loss"])
    assert stored.metric("epoch/val_loss").values.tolist() == pytest.approx(history.history["val_loss"])
    batches = N * 3 // 4 // BATCH
    lr = stored.metric("epoch/learning_rate").values.tolist()  # the schedule's value after each epoch's steps
    assert lr == pytest.approx([0.1 * 0.5 ** (batches * (e + 1)) for e in range(EPOCHS)])


def test_batch_logging_uses_the_batch_step_and_puts_epochs_at_their_last_batch() -> None:
    run = jt.init(project="keras", display=False)
    fit(model(), [JupyterTrackMetricsLogger(log_freq=2)])
    fit(model(), [JupyterTrackMetricsLogger(log_freq="batch", initial_global_step=9)], epochs=1)
    run.finish()

    stored = jt.load_run(run.path)
    batches = EPOCHS * N * 3 // 4 // BATCH  # 9 in the first fit
    assert stored.metric("batch/loss").steps.tolist() == [*range(1, batches, 2), 9, 10, 11]
    assert stored.metric("epoch/loss").steps.tolist() == [2, 5, 8, 11]
    assert stored.metric("batch/learning_rate").values.tolist() == pytest.approx([0.1] * 7)
    assert stored.metric("epoch/epoch").values.tolist() == [0, 1, 2, 0]


def test_model_checkpoint_logs_each_improvement_as_a_version(tmp_path: Path) -> None:
    run = jt.init(project="keras", display=False)
    path = tmp_path / "ckpt" / "model.keras"
    checkpoint = JupyterTrackModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    history = fit(model(), [checkpoint])
    run.finish()

    val = history.history["val_loss"]
    improved = [e for e in range(EPOCHS) if val[e] == min(val[: e + 1])]
    versions = jt.artifacts("keras", name=f"model-{run.id}")
    assert [v.metadata["epoch"] for v in versions] == [e + 1 for e in improved]
    assert [v.metadata["value"] for v in versions] == pytest.approx([val[e] for e in improved])
    best = jt.artifact(f"keras/model-{run.id}:best")
    assert best.version == versions[-1].version and f"epoch_{improved[-1] + 1}" in best.aliases
    restored = keras.models.load_model(best.file(str(tmp_path / "dl")))
    x, _ = data()
    assert np.allclose(restored.predict(x, verbose=0), keras.models.load_model(path).predict(x, verbose=0))


def test_weights_every_two_batches_are_logged_with_their_batch(tmp_path: Path) -> None:
    run = jt.init(project="keras", display=False)
    checkpoint = JupyterTrackModelCheckpoint(tmp_path / "w-{epoch}-{batch}.weights.h5", save_weights_only=True,
                                             save_freq=2, artifact_name="weights")
    fit(model(), [checkpoint], epochs=1)
    run.finish()
    assert [(v.metadata["epoch"], v.metadata["batch"]) for v in jt.artifacts("keras", name="weights")] == [(1, 2)]


def test_without_a_run_the_callbacks_say_to_call_init_first(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"call jt.init\(\) before training"):
        fit(model(), [JupyterTrackMetricsLogger()])
    with pytest.raises(ValueError, match="log_freq=0"):
        JupyterTrackMetricsLogger(log_freq=0)
