"""PyTorch Lightning: :class:`JupyterTrackLogger`, a ``Logger`` for ``Trainer(logger=...)``.

Importing this module imports Lightning (the ``lightning`` package, else the older ``pytorch_lightning``).
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

try:
    import lightning.pytorch as pl
    from lightning.fabric.loggers.logger import rank_zero_experiment
except ImportError:  # the package before Lightning 2.0's rename
    try:
        import pytorch_lightning as pl  # type: ignore[no-redef]
        from lightning_fabric.loggers.logger import rank_zero_experiment
    except ImportError:
        raise ImportError("jupyter_track.integrations.lightning needs PyTorch Lightning: pip install lightning"
                          ) from None

from ..artifacts import Artifact
from ..live_run import Run
from .run_keeper import RunKeeper, log_at, plain

if TYPE_CHECKING:
    from ..disabled import DisabledRun

rank_zero_only = pl.utilities.rank_zero_only
ModelCheckpoint = pl.callbacks.ModelCheckpoint


class JupyterTrackLogger(pl.loggers.Logger):
    """Lightning's metrics, hyper-parameters and (``log_model``) checkpoints in a jupyter_track run.

    The run is the one passed as ``experiment``, else the active one (``jt.init()`` before training), else one the
    logger starts when training starts, with ``project``, ``name`` and any other :func:`jupyter_track.init`
    argument (``display=False``: no live panel). A run the logger started is finished when ``fit()`` (or
    ``validate()``/``test()``) ends, as ``failed`` if it raised; a later ``trainer.test()`` continues it.

    Metrics are logged at the trainer's global step (a step the run has passed goes to its next step).
    ``log_model=True`` logs the last and best checkpoints of each ``ModelCheckpoint`` as versions of a ``model``
    artifact (``model-<run id>``, or ``checkpoint_name``; the best one gets the alias ``best``) when training
    ends, ``"all"`` every checkpoint as it is saved. ``log_graph`` records nothing. Only rank zero logs.

    Checkpoints go to ``<save_dir>/<project>/<run id>/checkpoints`` (``save_dir`` defaults to the trainer's
    ``default_root_dir``).

    Example::

        from jupyter_track.integrations.lightning import JupyterTrackLogger
        logger = JupyterTrackLogger(project="mnist", log_model=True)
        trainer = lightning.Trainer(logger=logger, max_epochs=3)
        trainer.fit(model, train_loader, val_loader)     # the live panel shows in the cell
        jt.load_run(logger.experiment.path).history()
    """

    LOGGER_JOIN_CHAR = "-"

    def __init__(self, project: str | None = None, name: str | None = None,
                 save_dir: str | os.PathLike[str] | None = None, version: str | None = None,
                 log_model: bool | Literal["all"] = False, prefix: str = "", checkpoint_name: str | None = None,
                 experiment: Run | DisabledRun | None = None, display: bool | None = None, **init_kwargs: Any
                 ) -> None:
        super().__init__()
        if log_model not in (True, False, "all"):
            raise ValueError(f"JupyterTrackLogger(log_model={log_model!r}): use False, True (the last and best "
                             "checkpoints when training ends) or 'all' (every checkpoint as it is saved)")
        if version is not None:  # Lightning's version names the run: continue it if it exists
            init_kwargs.update(id=version, resume=init_kwargs.get("resume", "allow"))
        self._keeper = RunKeeper(experiment, project=project, name=name, display=display, **init_kwargs)
        self._save_dir = os.fspath(save_dir) if save_dir is not None else None
        self._version = version
        self._log_model = log_model
        self._prefix = prefix
        self._checkpoint_name = checkpoint_name
        self._waiting: dict[int, ModelCheckpoint] = {}  # callbacks whose files are logged when training ends
        self._logged: dict[str, float] = {}  # checkpoint path -> modification time when it was logged

    # -- what Lightning reads -----------------------------------------------------------------------------------
    @property
    @rank_zero_experiment
    def experiment(self) -> Run | DisabledRun:
        """The run (found or started on first use; after training, the finished run)."""
        run = self._keeper.run
        return run if run is not None else self._keeper.get()

    @property
    def name(self) -> str | None:
        """The run's project (Lightning's checkpoint folder is ``<save_dir>/<name>/<version>``)."""
        return self._keeper.project

    @property
    def version(self) -> str | None:
        """The run's id (before the run exists: the ``version`` passed, if any)."""
        run = self._keeper.run
        return run.id if run is not None else self._version

    @property
    def save_dir(self) -> str | None:
        """The folder given as ``save_dir`` (None: Lightning uses the trainer's ``default_root_dir``)."""
        return self._save_dir

    # -- what Lightning calls -----------------------------------------------------------------------------------
    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """Merge ``params`` (the module's ``save_hyperparameters()``) into the run's config."""
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        self._keeper.get().config.update(plain(values))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self._prefix:
            metrics = {f"{self._prefix}{self.LOGGER_JOIN_CHAR}{k}": v for k, v in metrics.items()}
        log_at(self._keeper.get(), metrics, step)

    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        if self._log_model == "all" or (self._log_model and checkpoint_callback.save_top_k == -1):
            self._log_checkpoints(checkpoint_callback)
        elif self._log_model:
            self._waiting[id(checkpoint_callback)] = checkpoint_callback

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """End of ``fit()``/``validate()``/``test()``: log the waiting checkpoints, finish a run the logger
        started (``failed``: as failed)."""
        if status == "failed":
            self._keeper.end(failed=True)
            return
        for callback in self._waiting.values():
            self._log_checkpoints(callback)
        self._keeper.end()

    # -- checkpoints as artifacts ---------------------------------------------------------------------------------
    def _log_checkpoints(self, callback: ModelCheckpoint) -> None:
        """Log ``callback``'s last, best and top-k checkpoints not logged since they were last written."""
        run = self._keeper.get()
        if not isinstance(run, Run):  # a disabled run keeps nothing
            return
        scores: dict[str, Any] = {callback.last_model_path: callback.current_score,
                                  **callback.best_k_models, callback.best_model_path: callback.best_model_score}
        found = sorted((os.path.getmtime(p), p) for p in scores if p and os.path.isfile(p))
        settings = {k: getattr(callback, k, None) for k in ("monitor", "mode", "save_last", "save_top_k",
                                                             "save_weights_only")}
        for mtime, path in found:
            if self._logged.get(path, -1.0) >= mtime:
                continue
            artifact = Artifact(self._checkpoint_name or f"model-{run.id}", type="model", metadata=plain({
                "score": scores[path], "original_filename": os.path.basename(path), "ModelCheckpoint": settings}))
            artifact.add_file(path, name="model.ckpt")
            best = path == callback.best_model_path
            run.log_artifact(artifact, aliases=["best"] if best else None)
            self._logged[path] = mtime
