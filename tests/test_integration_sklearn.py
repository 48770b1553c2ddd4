"""``jt.sklearn`` in W&B's spelling (``import jupyter_track as wandb; wandb.sklearn.plot_…``) with real scikit-learn
models on synthetic data: each chart is read back from the store and its numbers compared with scikit-learn's own
functions; the keys W&B logs under; clear errors without a run, without scikit-learn and for charts that do not apply.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import metrics  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402
from sklearn.cluster import AgglomerativeClustering, KMeans  # noqa: E402
from sklearn.datasets import make_blobs, make_classification, make_regression  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.model_selection import learning_curve, train_test_split  # noqa: E402
from sklearn.naive_bayes import MultinomialNB  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

import jupyter_track as wandb  # noqa: E402
from jupyter_track.errors import JupyterTrackWarning, UsageError  # noqa: E402
from jupyter_track.integrations.sklearn_charts import NotApplicableError  # noqa: E402
from jupyter_track.media.chart import Chart  # noqa: E402
from tests.conftest import run_python  # noqa: E402

FEATURES = ["f0", "f1", "f2", "f3", "f4", "f5"]


def split(x: Any, y: Any) -> tuple[Any, Any, Any, Any]:
    return train_test_split(x, y, test_size=0.3, random_state=0)  # type: ignore[no-any-return]


@pytest.fixture
def binary() -> tuple[Any, ...]:
    x, y = make_classification(n_samples=300, n_features=6, n_informative=3, random_state=0)
    return split(x, y)


@pytest.fixture
def three_classes() -> tuple[Any, ...]:
    x, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=1)
    return split(x, y)


def charts(run: Any) -> dict[str, Chart]:
    """Every chart of the finished ``run``, by key, each logged once."""
    stored = wandb.load_run(run.path)
    out = {}
    for key in stored.keys():  # noqa: SIM118 - a run's keys() is not a dict's
        [(_, _, chart)] = stored.media(key)
        assert isinstance(chart, Chart)
        out[key] = chart
    return out


def rows(chart: Chart) -> list[dict[str, Any]]:
    return chart.to_pandas().to_dict("records")  # type: ignore[no-any-return]


# -- the composites ------------------------------------------------------------------------------------------------
def test_plot_classifier_logs_wandbs_charts_with_scikit_learns_numbers(binary: tuple[Any, ...]) -> None:
    x_train, x_test, y_train, y_test = binary
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x_train, y_train)
    y_pred, y_probas = model.predict(x_test), model.predict_proba(x_test)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_classifier(model, x_train, x_test, y_train, y_test, y_pred, y_probas, ["no", "yes"],
                                  model_name="Forest", feature_names=FEATURES, log_learning_curve=True)
    run.finish()

    got = charts(run)
    assert set(got) == {"feature_importances", "learning_curve", "confusion_matrix", "summary_metrics",
                        "class_proportions", "calibration_curve", "roc", "precision_recall"}
    assert all(step == 0 for key in got for step, _, _ in wandb.load_run(run.path).media(key))  # one log call

    importances = got["feature_importances"].to_pandas()
    order = np.argsort(-model.feature_importances_)
    assert importances["feature_names"].tolist() == [FEATURES[i] for i in order]
    assert importances["importances"].tolist() == pytest.approx(model.feature_importances_[order])

    cm = metrics.confusion_matrix(y_test, y_pred)
    assert {(r["Actual"], r["Predicted"]): r["Count"] for r in rows(got["confusion_matrix"])} == {
        ("no", "no"): cm[0, 0], ("no", "yes"): cm[0, 1], ("yes", "no"): cm[1, 0], ("yes", "yes"): cm[1, 1]}

    summary = dict(zip(*got["summary_metrics"].to_pandas()[["metric_name", "metric_value"]].T.values, strict=True))
    assert summary == pytest.approx({
        "accuracy_score": metrics.accuracy_score(y_test, y_pred),
        "precision": metrics.precision_score(y_test, y_pred, average="weighted"),
        "recall": metrics.recall_score(y_test, y_pred, average="weighted"),
        "f1_score": metrics.f1_score(y_test, y_pred, average="weighted")})
    assert set(got["summary_metrics"].to_pandas()["model_name"]) == {"RandomForestClassifier"}

    proportions = {(r["class"], r["dataset"]): r["count"] for r in rows(got["class_proportions"])}
    assert proportions == {("no", "train"): (y_train == 0).sum(), ("no", "test"): (y_test == 0).sum(),
                           ("yes", "train"): (y_train == 1).sum(), ("yes", "test"): (y_test == 1).sum()}

    fpr, tpr, _ = metrics.roc_curve(y_test, y_probas[:, 1])
    roc = got["roc"].to_pandas()
    yes = roc[roc["class"] == "yes"]
    assert yes["fpr"].tolist() == pytest.approx(fpr.round(3)) and yes["tpr"].tolist() == pytest.approx(tpr.round(3))
    assert got["precision_recall"].chart == "pr_curve" and set(rows(got["precision_recall"])[0]) == {
        "class", "precision", "recall"}

    curve = got["learning_curve"].to_pandas()
    sizes, train_scores, test_scores = learning_curve(model, x_train, y_train, train_sizes=np.linspace(0.1, 1, 5))
    assert curve[curve["dataset"] == "train"]["train_size"].tolist() == sizes.tolist()
    assert curve[curve["dataset"] == "test"]["score"].tolist() == pytest.approx(test_scores.mean(axis=1))
    assert curve[curve["dataset"] == "train"]["score"].tolist() == pytest.approx(train_scores.mean(axis=1))

    calibration = got["calibration_curve"].to_pandas()
    assert set(calibration["model"]) == {"Perfectly calibrated", "Logistic", "Forest", "Forest + Isotonic",
                                         "Forest + Sigmoid"}
    fit_x, score_x, fit_y, score_y = train_test_split(x_train, y_train, test_size=0.9, random_state=42,
                                                      stratify=y_train)  # the split W&B fits the curves on
    logistic = LogisticRegression().fit(fit_x, fit_y)
    fraction, mean = calibration_curve(score_y, logistic.predict_proba(score_x)[:, 1], n_bins=10)
    mine = calibration[calibration["model"] == "Logistic"]
    assert mine["fraction_of_positives"].tolist() == pytest.approx(fraction)
    assert mine["mean_predicted_value"].tolist() == pytest.approx(mean)


def test_plot_classifier_leaves_out_with_a_warning_what_does_not_apply(three_classes: tuple[Any, ...]) -> None:
    x_train, x_test, y_train, y_test = three_classes
    model = LogisticRegression(max_iter=500).fit(x_train, y_train)  # coef_ has a row per class; three classes
    run = wandb.init(project="sk", display=False)
    with pytest.warns(JupyterTrackWarning) as caught:
        wandb.sklearn.plot_classifier(model, x_train, x_test, y_train, y_test, model.predict(x_test),
                                      model.predict_proba(x_test), ["a", "b", "c"])
    run.finish()
    said = " | ".join(str(w.message) for w in caught)
    assert "coef_ has shape (3, 6)" in said and "calibration_curve is for binary classifiers" in said
    got = charts(run)
    assert set(got) == {"confusion_matrix", "summary_metrics", "class_proportions", "roc", "precision_recall"}
    assert set(got["roc"].to_pandas()["class"]) == {"a", "b", "c"}


def test_plot_classifier_curves_of_a_test_set_without_one_of_the_classes(three_classes: tuple[Any, ...]) -> None:
    x_train, x_test, y_train, y_test = three_classes
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(x_train, y_train)
    x_test, y_test = x_test[y_test != 1], y_test[y_test != 1]  # classes 0 and 2: probas' column 2 is class 2
    probas = model.predict_proba(x_test)
    run = wandb.init(project="sk", display=False)
    with pytest.warns(JupyterTrackWarning, match="calibration_curve is for binary classifiers"):
        wandb.sklearn.plot_classifier(model, x_train, x_test, y_train, y_test, model.predict(x_test), probas,
                                      ["a", "b", "c"])
    run.finish()
    roc = charts(run)["roc"].to_pandas()
    assert set(roc["class"]) == {"a", "c"}
    fpr, tpr, _ = metrics.roc_curve(y_test == 2, probas[:, 2])
    assert roc[roc["class"] == "c"]["tpr"].tolist() == pytest.approx(tpr.round(3))
    assert roc[roc["class"] == "c"]["fpr"].tolist() == pytest.approx(fpr.round(3))


def test_plot_classifier_skips_importances_and_calibration_of_multinomial_naive_bayes(binary: tuple[Any, ...]
                                                                                       ) -> None:
    x_train, x_test, y_train, y_test = (np.abs(part) if i < 2 else part for i, part in enumerate(binary))
    model = MultinomialNB().fit(x_train, y_train)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_classifier(model, x_train, x_test, y_train, y_test, model.predict(x_test),
                                  model.predict_proba(x_test), None)
    run.finish()
    assert set(charts(run)) == {"confusion_matrix", "summary_metrics", "class_proportions", "roc", "precision_recall"}


def test_plot_regressor_logs_summary_learning_curve_outliers_and_residuals() -> None:
    x, y = make_regression(n_samples=120, n_features=3, noise=10.0, random_state=0)
    x_train, x_test, y_train, y_test = split(x, y)
    y_train[5] += 400  # one training sample far off the plane
    model = LinearRegression().fit(x_train, y_train)
    coef = model.coef_.copy()
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_regressor(model, x_train, x_test, y_train, y_test, model_name="OLS")
    run.finish()

    got = charts(run)
    assert set(got) == {"summary_metrics", "learning_curve", "outlier_candidates", "residuals"}
    assert np.array_equal(model.coef_, coef)  # the user's model is not refitted
    y_pred = model.predict(x_test)
    summary = dict(zip(*got["summary_metrics"].to_pandas()[["metric_name", "metric_value"]].T.values, strict=True))
    assert summary == pytest.approx({"mae": metrics.mean_absolute_error(y_test, y_pred),
                                     "mse": metrics.mean_squared_error(y_test, y_pred),
                                     "r2_score": metrics.r2_score(y_test, y_pred)})

    # Cook's distance by its definition: how far all fitted values move when sample i is left out
    design = np.column_stack([np.ones(len(x_train)), x_train])
    fitted = LinearRegression().fit(x_train, y_train).predict(x_train)
    variance = ((y_train - fitted) ** 2).sum() / (len(x_train) - design.shape[1])
    expected = [((fitted - LinearRegression().fit(np.delete(x_train, i, 0), np.delete(y_train, i)).predict(x_train))
                 ** 2).sum() / (design.shape[1] * variance) for i in range(len(x_train))]
    outliers = got["outlier_candidates"].to_pandas()
    assert outliers["instance"].tolist() == list(range(len(x_train)))
    assert outliers["distance"].tolist() == pytest.approx(expected)
    assert outliers["distance"].idxmax() == 5
    assert outliers["influence_threshold"].iloc[0] == pytest.approx(4 / len(x_train))
    candidates = np.array(expected) >= 4 / len(x_train)
    assert outliers["outlier_percentage"].iloc[0] == pytest.approx(100 * candidates.mean())

    residuals = got["residuals"].to_pandas()
    for dataset, score in (("train", "train_score"), ("test", "test_score")):
        part = residuals[residuals["dataset"] == dataset]
        truth = part["y_pred"] - part["residuals"]  # residual = prediction − truth
        assert part[score].iloc[0] == pytest.approx(metrics.r2_score(truth, part["y_pred"]))
    assert len(residuals) == len(x_train)  # 80 % + 20 % of the training set


def test_plot_clusterer_elbow_and_silhouette_are_kmeans_and_scikit_learns() -> None:
    x, _ = make_blobs(n_samples=150, centers=3, random_state=0)
    model = KMeans(n_clusters=3, n_init=4, random_state=0)
    assigned = model.fit_predict(x)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_clusterer(model, x, assigned, labels=["a", "b", "c"], model_name="KMeans")  # labels: unused
    run.finish()

    got = charts(run)
    assert set(got) == {"elbow_curve", "silhouette_plot"}
    elbow = got["elbow_curve"].to_pandas()
    assert elbow["cluster_ranges"].tolist() == [1, 3, 5, 7, 9]
    inertia = [KMeans(n_clusters=k, n_init=4, random_state=0).fit(x).inertia_ for k in (1, 3, 5, 7, 9)]
    assert elbow["errors"].tolist() == pytest.approx(inertia, rel=1e-6)
    assert (elbow["clustering_time"] > 0).all()

    sil = got["silhouette_plot"].to_pandas()
    samples = metrics.silhouette_samples(x, assigned)
    for cluster in range(3):
        expected = np.sort(samples[assigned == cluster])
        assert sil[sil["cluster"] == cluster]["silhouette"].tolist() == pytest.approx(expected)
    assert sil["silhouette_avg"].iloc[0] == pytest.approx(metrics.silhouette_score(x, assigned))
    assert sil["sample"].is_monotonic_increasing and len(sil) == len(x)


def test_plot_clusterer_without_n_clusters_and_score_logs_only_the_silhouette() -> None:
    x, _ = make_blobs(n_samples=60, centers=2, random_state=0)
    model = AgglomerativeClustering(n_clusters=2)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_clusterer(model, x, model.fit_predict(x))
    run.finish()
    assert set(charts(run)) == {"silhouette_plot"}


# -- one chart each ------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("backend")  # the chart's table as a blob in the file store and in PostgreSQL
def test_plot_confusion_matrix_normalised_with_labels_and_kept_rows() -> None:
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 0, 2, 2, 1, 2]
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_confusion_matrix(y_true, y_pred, np.array(["cat", "dog", "owl"]), normalize=True)
    run.finish()
    [(_, _, chart)] = wandb.load_run(run.path).media("confusion_matrix")
    expected = metrics.confusion_matrix(y_true, y_pred, normalize="true")
    names = ["cat", "dog", "owl"]
    assert {(r["Actual"], r["Predicted"]): r["Count"] for r in rows(chart)} == pytest.approx(
        {(names[i], names[j]): expected[i, j] for i in range(3) for j in range(3)})
    assert chart.fields == {"actual": "Actual", "predicted": "Predicted", "count": "Count"}

    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_confusion_matrix(y_true, y_pred, true_labels=[2], pred_labels=[1, 2])
    run.finish()
    [(_, _, chart)] = wandb.load_run(run.path).media("confusion_matrix")
    assert [(r["Actual"], r["Predicted"], r["Count"]) for r in rows(chart)] == [(2, 1, 1), (2, 2, 3)]


def test_plot_roc_and_precision_recall_use_wandbs_keys(three_classes: tuple[Any, ...]) -> None:
    x_train, x_test, y_train, y_test = three_classes
    probas = LogisticRegression(max_iter=500).fit(x_train, y_train).predict_proba(x_test)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_roc(y_test, probas, classes_to_plot=[2])
    wandb.sklearn.plot_precision_recall(y_test, probas, ["a", "b", "c"])
    run.finish()
    got = charts(run)
    roc = got["roc"].to_pandas()
    fpr, tpr, _ = metrics.roc_curve(y_test == 2, probas[:, 2])
    assert set(roc["class"]) == {2} and roc["tpr"].tolist() == pytest.approx(tpr.round(3))
    assert roc["fpr"].tolist() == pytest.approx(fpr.round(3))
    pr = got["precision_recall"].to_pandas()
    assert set(pr["class"]) == {"a", "b", "c"} and len(pr) == 3 * 21


def test_feature_importances_from_a_binary_linear_models_coef_and_its_fitted_names() -> None:
    pd = pytest.importorskip("pandas")
    x, y = make_classification(n_samples=200, n_features=4, random_state=3)
    frame = pd.DataFrame(x, columns=["w", "x", "y", "z"])
    model = LogisticRegression().fit(frame, y)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_feature_importances(model, max_num_features=2)
    run.finish()
    [(_, _, chart)] = wandb.load_run(run.path).media("feature_importances")
    order = np.argsort(-model.coef_[0])[:2]
    assert chart.column("label") == [["w", "x", "y", "z"][i] for i in order]
    assert chart.column("value") == pytest.approx(model.coef_[0][order])
    assert chart.title == "Feature Importance"

    run = wandb.init(project="sk", display=False)
    with pytest.warns(JupyterTrackWarning, match="5 feature_names for the model's 4 features: the first 4 name them"):
        wandb.sklearn.plot_feature_importances(model, ["w", "x", "y", "z", "target"])  # W&B's examples do this
    run.finish()
    [(_, _, chart)] = wandb.load_run(run.path).media("feature_importances")
    assert sorted(chart.column("label")) == ["w", "x", "y", "z"]


def test_single_charts_of_a_regressor_and_a_clusterer() -> None:
    x, y = make_regression(n_samples=80, n_features=2, noise=1.0, random_state=2)
    blobs, _ = make_blobs(n_samples=90, centers=3, random_state=2)
    kmeans = KMeans(n_clusters=3, n_init=2, random_state=0).fit(blobs)
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_residuals(LinearRegression(), x, y)
    wandb.sklearn.plot_outlier_candidates(LinearRegression(), x, y)
    wandb.sklearn.plot_learning_curve(LinearRegression(), x, y, cv=3, train_sizes=[0.5, 1.0])
    wandb.sklearn.plot_summary_metrics(LinearRegression().fit(x, y), x, y, x, y)
    wandb.sklearn.plot_elbow_curve(kmeans, blobs, cluster_ranges=[4, 2])
    wandb.sklearn.plot_silhouette(kmeans, blobs, kmeans.labels_)
    wandb.sklearn.plot_class_proportions(["b", "a", "b"], ["a", "a"])
    run.finish()
    got = charts(run)
    assert set(got) == {"residuals", "outlier_candidates", "learning_curve", "summary_metrics", "elbow_curve",
                        "silhouette_plot", "class_proportions"}
    _, _, test_scores = learning_curve(LinearRegression(), x, y, cv=3, train_sizes=[0.5, 1.0])
    curve = got["learning_curve"].to_pandas()
    assert curve[curve["dataset"] == "test"]["score"].tolist() == pytest.approx(test_scores.mean(axis=1))
    assert got["elbow_curve"].column("x") == [2, 4]
    assert dict(zip(got["summary_metrics"].column("label"), got["summary_metrics"].column("value"),
                    strict=True))["r2_score"] == pytest.approx(metrics.r2_score(y, LinearRegression().fit(x, y)
                                                                                .predict(x)))
    assert [(r["class"], r["dataset"], r["count"]) for r in rows(got["class_proportions"])] == [
        ("a", "train", 1), ("a", "test", 2), ("b", "train", 2), ("b", "test", 0)]


def test_calibration_curve_of_a_classifier_without_predict_proba(binary: tuple[Any, ...]) -> None:
    x_train, _, y_train, _ = binary
    run = wandb.init(project="sk", display=False)
    wandb.sklearn.plot_calibration_curve(SVC().fit(x_train, y_train), x_train, y_train, "SVC")
    run.finish()
    [(_, _, chart)] = wandb.load_run(run.path).media("calibration_curve")
    frame = chart.to_pandas()
    assert set(frame["model"]) == {"Perfectly calibrated", "Logistic", "SVC", "SVC + Isotonic", "SVC + Sigmoid"}
    assert frame["mean_predicted_value"].between(0, 1).all() and frame["fraction_of_positives"].between(0, 1).all()


# -- errors --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", wandb.sklearn.__all__)
def test_every_function_says_to_call_init_first(name: str) -> None:
    function = getattr(wandb.sklearn, name)
    required = [p for p in inspect.signature(function).parameters.values() if p.default is inspect.Parameter.empty]
    with pytest.raises(UsageError, match=rf"jt\.sklearn\.{name} logs its charts to the active run: call jt\.init\(\)"):
        function(*[None] * len(required))


def test_charts_that_do_not_apply_and_bad_input_say_why(binary: tuple[Any, ...],
                                                        three_classes: tuple[Any, ...]) -> None:
    x_train, _, y_train, _ = binary
    x3, _, y3, _ = three_classes
    run = wandb.init(project="sk", display=False)
    with pytest.raises(NotApplicableError, match="SVC has none of feature_importances_, feature_log_prob_, coef_"):
        wandb.sklearn.plot_feature_importances(SVC().fit(x_train, y_train))
    with pytest.raises(NotFittedError):
        wandb.sklearn.plot_feature_importances(RandomForestClassifier())
    forest = RandomForestClassifier(n_estimators=2).fit(x_train, y_train)
    with pytest.raises(ValueError, match="3 feature_names for the model's 6 features; give one name per feature"):
        wandb.sklearn.plot_feature_importances(forest, ["a", "b", "c"])
    with pytest.raises(NotApplicableError, match="calibration_curve is for binary classifiers; y holds 3 classes"):
        wandb.sklearn.plot_calibration_curve(LogisticRegression(), x3, y3)
    with pytest.raises(NotApplicableError, match="AgglomerativeClustering has no n_clusters parameter or no score"):
        wandb.sklearn.plot_elbow_curve(AgglomerativeClustering(), x_train)
    with pytest.raises(ValueError, match="labels names 2 classes, but the data holds class 2"):
        wandb.sklearn.plot_confusion_matrix([0, 1, 2], [0, 1, 2], ["a", "b"])
    with pytest.raises(ValueError, match=r"true_labels names \[7\], which are not classes"):
        wandb.sklearn.plot_confusion_matrix([0, 1], [0, 1], true_labels=[7])
    with pytest.raises(ValueError, match="give y_train: one label per sample"):
        wandb.sklearn.plot_class_proportions()
    run.finish()
    assert wandb.load_run(run.path).keys() == []  # nothing half-logged


def test_without_scikit_learn_the_error_names_the_extra_and_roc_still_works() -> None:
    out = run_python("""
        import sys
        sys.modules["sklearn"] = None          # as if it were not installed
        import jupyter_track as wandb
        run = wandb.init(project="sk", display=False)
        wandb.sklearn.plot_roc([0, 1, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
        try:
            wandb.sklearn.plot_confusion_matrix([0, 1], [0, 1])
        except ImportError as exc:
            print(type(exc).__name__, exc)
        run.finish()
        print(wandb.load_run(run.path).keys())
    """)
    assert out.stdout.splitlines()[0] == ("MissingExtraError jt.sklearn.plot_confusion_matrix needs scikit-learn, "
                                          "which is not installed: pip install 'jupyter_track[importance]'")
    assert out.stdout.splitlines()[-1] == "['roc']"


def test_jt_sklearn_is_the_module_and_importing_jupyter_track_loads_no_scikit_learn() -> None:
    import jupyter_track.sklearn

    assert wandb.sklearn is jupyter_track.sklearn and callable(wandb.sklearn.plot_classifier)
    out = run_python("""
        import sys
        import jupyter_track as wandb
        print("sklearn" in sys.modules)
        wandb.sklearn
        print("sklearn" in sys.modules)
    """)
    assert out.stdout.split() == ["False", "False"]
