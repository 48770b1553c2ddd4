"""Hugging Face transformers: :class:`JupyterTrackCallback` for ``Trainer(callbacks=[...])``.

Importing this module imports ``transformers``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

try:
    from transformers import TrainerCallback
except ImportError:
    raise ImportError("jupyter_track.integrations.huggingface needs transformers: pip install transformers"
                      ) from None

from ..artifacts import Artifact
from ..live_run import Run
from .run_keeper import RunKeeper, log_at, plain

if TYPE_CHECKING:
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from ..disabled import DisabledRun

# logged once, at the end of training: they go to the run's summary, not its history (as W&B does)
SUMMARY_ONLY = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss", "total_flos")
LOG_MODEL = (False, True, "end", "checkpoint")


class JupyterTrackCallback(TrainerCallback):
    """The Trainer's logs, configuration and (``log_model``) model in a jupyter_track run.

    When training begins, the run is the one passed as ``run``, else the active one (``jt.init()`` before
    training), else one the callback starts with ``project``, ``name`` (default: ``TrainingArguments.run_name``)
    and any other :func:`jupyter_track.init` argument (``display=False``: no live panel). Its config gets the
    model's config, the ``TrainingArguments`` and ``model/num_parameters``. A run the callback started is finished
    when training ends; a later ``trainer.evaluate()`` continues it. Each hyper-parameter search trial gets its
    own run.

    Every ``on_log`` is logged at the trainer's global step, keys renamed as W&B does (``loss`` →
    ``train/loss``, ``eval_loss`` → ``eval/loss``); the end-of-training figures (``train_runtime``, …) go to the
    summary. ``log_model="end"`` (or True) logs the final model (``save_pretrained``) as the ``model`` artifact
    ``model-<run id>`` with the alias ``final_model``; ``"checkpoint"`` logs each checkpoint folder the Trainer
    saves.

    Example::

        from jupyter_track.integrations.huggingface import JupyterTrackCallback
        trainer = Trainer(model=model, args=TrainingArguments("out", report_to="none", logging_steps=10),
                          train_dataset=train, eval_dataset=val, callbacks=[JupyterTrackCallback(project="glue")])
        trainer.train()
    """

    def __init__(self, project: str | None = None, name: str | None = None,
                 log_model: bool | Literal["end", "checkpoint"] = False, run: Run | DisabledRun | None = None,
                 display: bool | None = None, **init_kwargs: Any) -> None:
        if log_model not in LOG_MODEL:
            raise ValueError(f"JupyterTrackCallback(log_model={log_model!r}): use False, 'end' (or True: the final "
                             "model) or 'checkpoint' (every checkpoint the Trainer saves)")
        self._init = dict(init_kwargs, project=project, name=name, display=display)
        self._keeper = RunKeeper(run, **self._init)
        self._log_model = "end" if log_model is True else log_model
        self._training = False  # between on_train_begin and on_train_end

    @property
    def run(self) -> Run | DisabledRun | None:
        """The run the callback logs to (None before training begins)."""
        return self._keeper.run

    def _start(self, args: TrainingArguments, state: TrainerState, model: Any) -> Run | DisabledRun:
        """The run, found or started, with the model's config and the training arguments in its config."""
        if self._keeper.run is not None:
            return self._keeper.get()
        names: dict[str, Any] = {}
        if state.is_hyper_param_search:  # a trial: the search's runs share a group
            names["group"] = self._init.get("group") or args.run_name or os.path.basename(
                os.path.normpath(args.output_dir or "trials"))
            if state.trial_name is not None:  # named by Trainer.hyperparameter_search(hp_name=...)
                names["name"] = self._init["name"] or state.trial_name
        elif args.run_name is not None and args.run_name != args.output_dir:
            names["name"] = self._init["name"] or args.run_name
        run = self._keeper.get(**names)
        config: dict[str, Any] = {}
        model_config = getattr(model, "config", None)
        if model_config is not None:
            config.update(model_config if isinstance(model_config, Mapping) else model_config.to_dict())
        config.update(args.to_dict())
        if callable(getattr(model, "num_parameters", None)):
            config["model/num_parameters"] = model.num_parameters()
        run.config.update(plain(config))
        return run

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                       model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if state.is_hyper_param_search:  # each trial its own run: the last trial's run ends here
            self._keeper.forget()
        self._training = True
        self._start(args, state, model)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, Any] | None = None, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        run = self._start(args, state, model)
        for key in SUMMARY_ONLY:
            if key in logs:
                run.summary[key] = logs[key]
        metrics = {_renamed(k): v for k, v in logs.items() if k not in SUMMARY_ONLY}
        if metrics:
            log_at(run, metrics, state.global_step)

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        if not self._training:  # trainer.evaluate() after training: its metrics came through on_log
            self._keeper.end()

    def on_predict(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                   metrics: dict[str, Any], **kwargs: Any) -> None:
        if state.is_world_process_zero and metrics:
            log_at(self._start(args, state, kwargs.get("model")), {_renamed(k): v for k, v in metrics.items()},
                   state.global_step)
        if not self._training:
            self._keeper.end()

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        run = self._keeper.run
        if self._log_model != "checkpoint" or not state.is_world_process_zero or not isinstance(run, Run):
            return
        folder = os.path.join(args.output_dir or ".", f"checkpoint-{state.global_step}")
        if not os.path.isdir(folder):
            return
        artifact = Artifact(f"model-{run.id}", type="model", metadata={"global_step": state.global_step,
                                                                      "epoch": state.epoch})
        artifact.add_dir(folder)
        run.log_artifact(artifact, aliases=[f"checkpoint-{state.global_step}"])

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     model: Any = None, processing_class: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        run = self._keeper.run
        if self._log_model == "end" and isinstance(run, Run) and model is not None:
            with tempfile.TemporaryDirectory(prefix="jt-model-") as folder:
                model.save_pretrained(folder)
                if processing_class is not None and callable(getattr(processing_class, "save_pretrained", None)):
                    processing_class.save_pretrained(folder)
                artifact = Artifact(f"model-{run.id}", type="model", metadata={
                    "final_model": True, "global_step": state.global_step, "best_metric": state.best_metric,
                    "model/num_parameters": run.config.get("model/num_parameters")})
                artifact.add_dir(folder)
                run.log_artifact(artifact, aliases=["final_model"])
        self._training = False
        self._keeper.end()


def _renamed(key: str) -> str:
    """The Trainer's log key as W&B names it: ``eval_loss`` → ``eval/loss``, ``test_acc`` → ``test/acc``, any
    other ``x`` → ``train/x``."""
    for prefix in ("eval_", "test_"):
        if key.startswith(prefix):
            return f"{prefix[:-1]}/{key[len(prefix):]}"
    return f"train/{key}"
