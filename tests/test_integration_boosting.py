"""XGBoost and LightGBM callbacks with the real libraries: a small classifier on synthetic data, read back from the
store (one row per boosting round at its step, feature importance, best iteration, the model as an artifact)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")
xgboost = pytest.importorskip("xgboost")
lightgbm = pytest.importorskip("lightgbm")

import jupyter_track as jt  # noqa: E402
from jupyter_track.errors import UsageError  # noqa: E402
from jupyter_track.integrations.lightgbm import JupyterTrackLightGBMCallback, log_summary  # noqa: E402
from jupyter_track.integrations.xgboost import JupyterTrackXGBoostCallback  # noqa: E402

ROUNDS = 8
FEATURES = ["signal", "weak", "noise_a", "noise_b"]


@pytest.fixture
def xy() -> tuple[Any, Any]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    return x, (x[:, 0] + 0.3 * x[:, 1] + 0.1 * rng.normal(size=300) > 0).astype(int)


def importance(run: Any) -> list[str]:
    return jt.load_run(run.path).table("feature_importance").to_pandas()["feature"].tolist()


# -- XGBoost ---------------------------------------------------------------------------------------------------------
def test_xgboost_logs_each_round_then_importance_and_the_model(xy: tuple[Any, Any], tmp_path: Path) -> None:
    x, y = xy
    train = xgboost.DMatrix(x[:200], y[:200], feature_names=FEATURES)
    valid = xgboost.DMatrix(x[200:], y[200:], feature_names=FEATURES)
    run = jt.init(project="boost", config={"max_depth": 2}, display=False)
    evals: dict[str, Any] = {}
    booster = xgboost.train({"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "max_depth": 2},
                            train, ROUNDS, evals=[(train, "train"), (valid, "valid")], evals_result=evals,
                            verbose_eval=False, callbacks=[JupyterTrackXGBoostCallback(log_model=True)])
    run.finish()

    stored = jt.load_run(run.path)
    assert set(stored.keys()) == {"train-logloss", "train-auc", "valid-logloss", "valid-auc", "feature_importance"}
    valid_loss = stored.metric("valid-logloss")
    assert valid_loss.steps.tolist() == list(range(ROUNDS))
    assert valid_loss.values.tolist() == pytest.approx(evals["valid"]["logloss"])
    assert importance(run)[0] == "signal"
    model = jt.artifact(f"boost/model-{run.id}")
    restored = xgboost.Booster(model_file=model.file(str(tmp_path / "dl")))
    assert np.allclose(restored.predict(valid), booster.predict(valid))


def test_xgboost_scikit_learn_api_with_early_stopping_records_the_best_iteration(xy: tuple[Any, Any]) -> None:
    from sklearn.base import clone

    x, y = xy
    run = jt.init(project="boost", display=False)
    estimator = xgboost.XGBClassifier(n_estimators=200, max_depth=2, learning_rate=0.5, early_stopping_rounds=3,
                                      callbacks=[JupyterTrackXGBoostCallback()])
    clone(estimator).fit(x[:200], y[:200], eval_set=[(x[200:], y[200:])], verbose=False)  # deep-copies callbacks
    run.finish()

    stored = jt.load_run(run.path)
    rounds = stored.metric("validation_0-logloss")
    assert len(rounds.steps) < 200  # it stopped early
    best = int(stored.summary["best_iteration"])
    assert stored.summary["best_score"] == pytest.approx(rounds.values.min())
    assert rounds.values[best] == pytest.approx(rounds.values.min())


def test_xgboost_cv_logs_mean_and_std_per_round(xy: tuple[Any, Any]) -> None:
    x, y = xy
    run = jt.init(project="boost", display=False)
    result = xgboost.cv({"objective": "binary:logistic", "max_depth": 2}, xgboost.DMatrix(x, y), ROUNDS, nfold=3,
                        seed=0, callbacks=[JupyterTrackXGBoostCallback()])
    run.finish()
    stored = jt.load_run(run.path)
    assert set(stored.keys()) == {"train-logloss", "train-logloss-std", "test-logloss", "test-logloss-std"}
    assert stored.metric("test-logloss").values.tolist() == pytest.approx(result["test-logloss-mean"].tolist())


# -- LightGBM --------------------------------------------------------------------------------------------------------
def lgb_sets(xy: tuple[Any, Any]) -> tuple[Any, Any]:
    x, y = xy
    train = lightgbm.Dataset(x[:200], y[:200], feature_name=FEATURES)
    return train, lightgbm.Dataset(x[200:], y[200:], reference=train)


PARAMS = {"objective": "binary", "metric": ["binary_logloss", "auc"], "num_leaves": 4, "verbose": -1, "seed": 0}


def test_lightgbm_logs_each_round_and_importance_after_the_last(xy: tuple[Any, Any], tmp_path: Path) -> None:
    train, valid = lgb_sets(xy)
    run = jt.init(project="boost", display=False)
    evals: dict[str, Any] = {}
    callbacks = [JupyterTrackLightGBMCallback(log_model=True), lightgbm.record_evaluation(evals)]
    booster = lightgbm.train(PARAMS, train, ROUNDS, valid_sets=[train, valid], valid_names=["train", "valid"],
                             callbacks=callbacks)
    run.finish()

    stored = jt.load_run(run.path)
    assert set(stored.keys()) == {"train_binary_logloss", "train_auc", "valid_binary_logloss", "valid_auc",
                                  "feature_importance"}
    valid_loss = stored.metric("valid_binary_logloss")
    assert valid_loss.steps.tolist() == list(range(ROUNDS))
    assert valid_loss.values.tolist() == pytest.approx(evals["valid"]["binary_logloss"])
    assert importance(run)[0] == "signal"
    restored = lightgbm.Booster(model_file=jt.artifact(f"boost/model-{run.id}").file(str(tmp_path / "dl")))
    x, _ = xy
    assert np.allclose(restored.predict(x), booster.predict(x))


def test_log_summary_after_a_full_training_adds_no_second_table(xy: tuple[Any, Any]) -> None:
    train, valid = lgb_sets(xy)
    run = jt.init(project="boost", display=False)
    booster = lightgbm.train(PARAMS, train, ROUNDS, valid_sets=[valid], callbacks=[JupyterTrackLightGBMCallback()])
    log_summary(booster)  # the callback summarized the last round already
    run.finish()
    stored = jt.load_run(run.path)
    assert [step for step, _, _ in stored.media("feature_importance")] == [ROUNDS - 1]
    assert len(stored.history()) == ROUNDS


def test_lightgbm_early_stopping_then_log_summary(xy: tuple[Any, Any]) -> None:
    train, valid = lgb_sets(xy)
    run = jt.init(project="boost", display=False)
    booster = lightgbm.train({**PARAMS, "learning_rate": 0.5}, train, 200, valid_sets=[valid],
                             callbacks=[JupyterTrackLightGBMCallback(), lightgbm.early_stopping(3, verbose=False)])
    log_summary(booster)
    run.finish()

    stored = jt.load_run(run.path)
    rounds = stored.metric("valid_0_binary_logloss")
    assert booster.best_iteration < len(rounds.steps) < 200  # every round until the stop, the stopping one too
    assert stored.summary["best_iteration"] == booster.best_iteration
    assert stored.summary["best/valid_0_binary_logloss"] == pytest.approx(rounds.values[booster.best_iteration - 1])
    assert importance(run)[0] == "signal"


def test_lightgbm_cv_logs_mean_and_stdv(xy: tuple[Any, Any]) -> None:
    train, _ = lgb_sets(xy)
    run = jt.init(project="boost", display=False)
    result = lightgbm.cv({**PARAMS, "metric": "auc"}, train, ROUNDS, nfold=3,
                         callbacks=[JupyterTrackLightGBMCallback()])
    run.finish()
    stored = jt.load_run(run.path)
    assert set(stored.keys()) == {"valid_auc", "valid_auc-stdv"}
    assert stored.metric("valid_auc").values.tolist() == pytest.approx(result["valid auc-mean"])


def test_without_a_run_the_callbacks_say_to_call_init_first(xy: tuple[Any, Any]) -> None:
    x, y = xy
    with pytest.raises(UsageError, match=r"JupyterTrackXGBoostCallback logs to the active run: call jt.init\(\)"):
        xgboost.train({}, xgboost.DMatrix(x, y), 2, callbacks=[JupyterTrackXGBoostCallback()])
    with pytest.raises(UsageError, match=r"JupyterTrackLightGBMCallback logs to the active run"):
        lightgbm.train(PARAMS, lgb_sets(xy)[0], 2, callbacks=[JupyterTrackLightGBMCallback()])
    with pytest.raises(TypeError, match=r"log_summary\(\) takes a lightgbm\.Booster"):
        log_summary(object())
