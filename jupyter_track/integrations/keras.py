"""Keras 3: :class:`JupyterTrackMetricsLogger` (metrics and learning rate) and :class:`JupyterTrackModelCheckpoint`
(checkpoints as artifacts) for ``model.fit(callbacks=[...])``.

Importing this module imports Keras; choose its backend as usual (``KERAS_BACKEND=torch`` needs no TensorFlow).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

try:
    import keras
except ImportError:
    raise ImportError("jupyter_track.integrations.keras needs Keras 3: pip install keras") from None

from ..artifacts import Artifact
from ..live_run import Run
from .run_keeper import active_run, log_at

if TYPE_CHECKING:
    from ..disabled import DisabledRun


class JupyterTrackMetricsLogger(keras.callbacks.Callback):
    """Logs Keras' metrics to the active run (``jt.init()`` before ``fit()``, or ``run=``), with W&B's names:
    ``epoch/<metric>``, ``epoch/learning_rate`` and ``epoch/epoch`` at the end of every epoch; with
    ``log_freq="batch"`` (or every ``log_freq`` batches) also ``batch/<metric>`` and ``batch/learning_rate``.

    Steps: with epoch logging only, the epoch; with batch logging, the number of batches trained before (counted
    from ``initial_global_step`` across ``fit()`` calls), an epoch's row at the step of its last batch.

    Example::

        run = jt.init(project="keras-mnist", config={"lr": 1e-3})
        model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[JupyterTrackMetricsLogger(log_freq=10)])
        run.finish()
    """

    def __init__(self, log_freq: Literal["epoch", "batch"] | int = "epoch", initial_global_step: int = 0,
                 run: Run | DisabledRun | None = None) -> None:
        super().__init__()
        if log_freq == "batch":
            log_freq = 1
        if log_freq != "epoch" and (isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1):
            raise ValueError(f"JupyterTrackMetricsLogger(log_freq={log_freq!r}): use 'epoch', 'batch' or a whole "
                             "number of batches ≥ 1")
        self._every = None if log_freq == "epoch" else log_freq
        self._batches = initial_global_step
        self._given = run
        self._run: Run | DisabledRun | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._run = active_run(self._given, "JupyterTrackMetricsLogger")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches += 1
        if self._every is not None and self._batches % self._every == 0 and self._run is not None:
            row = {f"batch/{k}": v for k, v in (logs or {}).items()}
            lr = self._learning_rate()
            if lr is not None:
                row["batch/learning_rate"] = lr
            log_at(self._run, row, self._batches - 1)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._run is None:
            return
        row: dict[str, Any] = {f"epoch/{k}": v for k, v in (logs or {}).items()}
        row["epoch/epoch"] = epoch
        lr = self._learning_rate()
        if lr is not None:
            row["epoch/learning_rate"] = lr
        log_at(self._run, row, epoch if self._every is None else max(self._batches - 1, 0))

    def _learning_rate(self) -> float | None:
        """The optimizer's current learning rate (a schedule's value at this step), if it has one."""
        lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        return None if lr is None else float(lr)  # a variable, or a schedule's tensor: float() reads either


class JupyterTrackModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras' ``ModelCheckpoint`` (same arguments) that also logs each file it saves as a version of a ``model``
    artifact (``artifact_name``, default ``model-<run id>``) of the active run (or ``run=``), with the alias
    ``epoch_<n>`` (and ``best`` with ``save_best_only``) and the monitored value in its metadata.

    Example::

        run = jt.init(project="keras-mnist")
        ckpt = JupyterTrackModelCheckpoint("ckpt/model.keras", monitor="val_loss", save_best_only=True)
        model.fit(x, y, epochs=5, validation_split=0.1, callbacks=[ckpt])
        jt.artifact(f"model-{run.id}:best").download()
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: Literal["epoch"] | int = "epoch", initial_value_threshold: float | None = None, *,
                 artifact_name: str | None = None, run: Run | DisabledRun | None = None) -> None:
        super().__init__(filepath, monitor=monitor, verbose=verbose, save_best_only=save_best_only,
                         save_weights_only=save_weights_only, mode=mode, save_freq=save_freq,
                         initial_value_threshold=initial_value_threshold)
        self._artifact_name = artifact_name
        self._given = run
        self._run: Run | DisabledRun | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        self._run = active_run(self._given, "JupyterTrackModelCheckpoint")

    # Keras saves through this method for both epoch and batch checkpoints; the file it names is logged when the
    # call wrote it (save_best_only skips a save that is no improvement)
    def _save_model(self, epoch: int, batch: int | None, logs: dict[str, Any] | None) -> None:
        path = self._get_file_path(epoch, batch, logs or {})
        before = _written(path)
        super()._save_model(epoch, batch, logs)
        after = _written(path)
        run = self._run
        if after is None or after == before or not isinstance(run, Run):
            return
        metadata = {"epoch": epoch + 1, "monitor": self.monitor, "value": (logs or {}).get(self.monitor)}
        if batch is not None:
            metadata["batch"] = batch + 1
        artifact = Artifact(self._artifact_name or f"model-{run.id}", type="model", metadata=metadata)
        artifact.add_file(path)
        run.log_artifact(artifact, aliases=[f"epoch_{epoch + 1}", *(["best"] if self.save_best_only else [])])


def _written(path: str) -> tuple[int, int] | None:
    """When and how large the file at ``path`` was last written (None: no file)."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size
