"""LightGBM: :class:`JupyterTrackLightGBMCallback` for ``lightgbm.train(callbacks=[...])`` and the scikit-learn
API (``LGBMClassifier().fit(..., callbacks=[...])``), and :func:`log_summary`.

Importing this module imports ``lightgbm``.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import TYPE_CHECKING, Any

try:
    import lightgbm
except ImportError:
    raise ImportError("jupyter_track.integrations.lightgbm needs LightGBM: pip install lightgbm") from None

from ..artifacts import Artifact
from ..live_run import Run
from ..media import Table
from .run_keeper import active_run, log_at

if TYPE_CHECKING:
    from ..disabled import DisabledRun


# booster -> the run its feature importance went to: log_summary() after a training the callback summarized at its
# last round logs no second table
_importance_logged: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


class JupyterTrackLightGBMCallback:
    """Logs each boosting round's evaluation results (``<data>_<metric>``, e.g. ``valid_0_l2``; with
    ``lightgbm.cv`` also ``…-stdv``) at the round's step to the active run (``jt.init()`` before training, or
    ``run=``), and after the last round what :func:`log_summary` logs.

    LightGBM tells a callback nothing when early stopping ends training before the last round: call
    :func:`log_summary` with the booster ``lightgbm.train`` returns (after a training that reached its last round
    it adds no second importance table).

    Example::

        run = jt.init(project="lgbm", config=params)
        booster = lightgbm.train(params, train_set, 50, valid_sets=[valid_set],
                                 callbacks=[JupyterTrackLightGBMCallback()])
        run.finish()
    """

    order = 20  # before lightgbm.early_stopping (30), which raises to stop: this round is logged first

    def __init__(self, run: Run | DisabledRun | None = None, log_model: bool = False,
                 importance_type: str = "gain") -> None:
        self._given = run
        self._log_model = log_model
        self._importance_type = importance_type
        self._run: Run | DisabledRun | None = None

    def __call__(self, env: lightgbm.callback.CallbackEnv) -> None:
        if self._run is None or env.iteration == env.begin_iteration:
            self._run = active_run(self._given, "JupyterTrackLightGBMCallback")
        row: dict[str, float] = {}
        for result in env.evaluation_result_list or ():  # EvalResult tuples (plain tuples before LightGBM 4.7)
            data, metric, value = result[0], result[1], result[2]
            row[f"{data}_{metric}"] = float(value)
            std = result[4] if len(result) > 4 else None  # lightgbm.cv: the standard deviation over the folds
            if std is not None:
                row[f"{data}_{metric}-stdv"] = float(std)
        if row:
            log_at(self._run, row, env.iteration)
        if env.iteration == env.end_iteration - 1 and isinstance(env.model, lightgbm.Booster):
            log_summary(env.model, run=self._run, log_model=self._log_model, importance_type=self._importance_type)


def log_summary(booster: Any, run: Run | DisabledRun | None = None, feature_importance: bool = True,
                log_model: bool = False, importance_type: str = "gain") -> None:
    """Log a trained LightGBM model's feature importance (the table ``feature_importance``), its
    ``best_iteration`` and ``best_score`` (summary) and, with ``log_model``, the model as the ``model`` artifact
    ``model-<run id>``, to the active run (or ``run``). Takes a ``lightgbm.Booster`` or a fitted ``LGBMModel``.

    Example::

        booster = lightgbm.train(params, train_set, 500, valid_sets=[valid_set],
                                 callbacks=[JupyterTrackLightGBMCallback(), lightgbm.early_stopping(10)])
        log_summary(booster, log_model=True)
    """
    booster = getattr(booster, "booster_", booster)  # a fitted scikit-learn LGBMModel holds its booster
    if not isinstance(booster, lightgbm.Booster):
        raise TypeError(f"log_summary() takes a lightgbm.Booster or a fitted LGBMModel, not {type(booster).__name__}")
    found = active_run(run, "log_summary()")
    if not isinstance(found, Run):
        return
    if feature_importance and _importance_logged.get(booster) != found.id:
        _importance_logged[booster] = found.id
        values = booster.feature_importance(importance_type=importance_type)
        ranked = sorted(zip(booster.feature_name(), values, strict=True), key=lambda fv: -float(fv[1]))
        found.log({"feature_importance": Table(columns=["feature", "importance"],
                                               data=[[f, float(v)] for f, v in ranked])})
    if booster.best_iteration > 0:
        found.summary["best_iteration"] = booster.best_iteration
    for data, metrics in booster.best_score.items():
        for metric, value in metrics.items():
            found.summary[f"best/{data}_{metric}"] = float(value)
    if log_model:
        with tempfile.TemporaryDirectory(prefix="jt-lgbm-") as folder:
            path = os.path.join(folder, "model.txt")
            booster.save_model(path)
            artifact = Artifact(f"model-{found.id}", type="model", metadata={"best_iteration": booster.best_iteration})
            artifact.add_file(path)
            found.log_artifact(artifact)
