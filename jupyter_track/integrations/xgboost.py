"""XGBoost: :class:`JupyterTrackXGBoostCallback` for ``xgboost.train(callbacks=[...])`` and the scikit-learn API
(``XGBClassifier(callbacks=[...])``).

Importing this module imports ``xgboost`` (``pip install xgboost-cpu`` is the build without CUDA libraries).
"""

from __future__ import annotations

import copy
import os
import tempfile
from typing import TYPE_CHECKING, Any

try:
    import xgboost
except ImportError:
    raise ImportError("jupyter_track.integrations.xgboost needs XGBoost: pip install xgboost (or xgboost-cpu)"
                      ) from None

from ..artifacts import Artifact
from ..live_run import Run
from ..media import Table
from .run_keeper import active_run, log_at

if TYPE_CHECKING:
    from ..disabled import DisabledRun


class JupyterTrackXGBoostCallback(xgboost.callback.TrainingCallback):
    """Logs each boosting round's evaluation metrics (``<data>-<metric>``, e.g. ``validation_0-logloss``; with
    ``xgboost.cv`` also ``…-std``) at the round's step to the active run (``jt.init()`` before training, or
    ``run=``). When training ends: the feature importance (``importance_type``) as the table
    ``feature_importance``, ``best_iteration``/``best_score`` in the summary (with early stopping) and, with
    ``log_model``, the booster as the ``model`` artifact ``model-<run id>``.

    Example::

        run = jt.init(project="xgb", config=params)
        booster = xgboost.train(params, dtrain, 50, evals=[(dvalid, "valid")],
                                callbacks=[JupyterTrackXGBoostCallback(log_model=True)])
        run.finish()
    """

    def __init__(self, run: Run | DisabledRun | None = None, log_model: bool = False,
                 importance_type: str = "gain") -> None:
        super().__init__()
        self._given = run
        self._log_model = log_model
        self._importance_type = importance_type
        self._run: Run | DisabledRun | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> JupyterTrackXGBoostCallback:
        # scikit-learn's clone() deep-copies estimator parameters: the copy logs to the same run
        return copy.copy(self)

    def before_training(self, model: Any) -> Any:
        self._run = active_run(self._given, "JupyterTrackXGBoostCallback")
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, dict[str, list[Any]]]) -> bool:
        row: dict[str, float] = {}
        for data, metrics in evals_log.items():
            for metric, values in metrics.items():
                last = values[-1]
                if isinstance(last, tuple):  # xgboost.cv: (mean, std) over the folds
                    row[f"{data}-{metric}"], row[f"{data}-{metric}-std"] = float(last[0]), float(last[1])
                else:
                    row[f"{data}-{metric}"] = float(last)
        if row and self._run is not None:
            log_at(self._run, row, epoch)
        return False  # never asks to stop

    def after_training(self, model: Any) -> Any:
        run = self._run
        if not isinstance(run, Run) or not isinstance(model, xgboost.Booster):  # xgboost.cv: no single booster
            return model
        # one number per feature (a multi-class linear booster gives lists: left out)
        scores = [(f, float(v)) for f, v in model.get_score(importance_type=self._importance_type).items()
                  if isinstance(v, int | float)]
        if scores:
            ranked = sorted(scores, key=lambda fv: -fv[1])
            run.log({"feature_importance": Table(columns=["feature", "importance"], data=[list(fv) for fv in ranked])})
        for key in ("best_iteration", "best_score"):
            value = model.attr(key)
            if value is not None:
                run.summary[key] = float(value) if key == "best_score" else int(value)
        if self._log_model:
            with tempfile.TemporaryDirectory(prefix="jt-xgb-") as folder:
                path = os.path.join(folder, "model.json")
                model.save_model(path)
                artifact = Artifact(f"model-{run.id}", type="model",
                                    metadata={"importance_type": self._importance_type, **run.summary.as_dict()})
                artifact.add_file(path)
                run.log_artifact(artifact)
        return model
