"""The charts of ``jt.sklearn`` (W&B: ``wandb.sklearn``), computed with scikit-learn: each builder scores or refits
what W&B's does and returns a ``jt.plot`` chart with W&B's table columns; :mod:`.sklearn` logs them.

Importing this module imports scikit-learn (``pip install 'jupyter_track[importance]'``).

Example::

    chart = summary_metrics(model, x_train, y_train, x_test, y_test)   # a bar chart: accuracy_score, precision …
    chart.to_pandas()
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import calibration, metrics, model_selection
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

from .. import plot
from ..errors import JupyterTrackError, JupyterTrackWarning
from ..media.chart import Chart
from ..media.table import Table

IMPORTANCE_ATTRIBUTES = ("feature_importances_", "feature_log_prob_", "coef_")  # W&B's, in its order
RESIDUAL_POINTS = 1000  # per dataset (train, test): a scatter draws about this many
CALIBRATION_BINS = 10


class NotApplicableError(JupyterTrackError, ValueError):
    """The chart cannot be made for this model or these labels (feature importances of a model that has none, a
    calibration curve of a multi-class problem): ``plot_classifier`` and the other composites skip it with a warning."""


# -- classifiers ---------------------------------------------------------------------------------------------------
def confusion_matrix(y_true: Any, y_pred: Any, labels: Sequence[Any] | None = None,
                     true_labels: Sequence[Any] | None = None, pred_labels: Sequence[Any] | None = None,
                     normalize: bool | str = False) -> Chart:
    """Counts of (actual, predicted) pairs over the classes of ``y_true`` and ``y_pred`` (scikit-learn's
    ``confusion_matrix``); ``normalize=True`` (or ``"true"``, ``"pred"``, ``"all"``) gives fractions;
    ``true_labels``/``pred_labels`` keep some rows/columns. Columns: ``Predicted``, ``Actual``, ``Count``."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if len(y_true) != len(y_pred):
        raise ValueError(f"confusion_matrix: {len(y_pred)} predictions for {len(y_true)} true labels; they must be "
                         "as many")
    classes = unique_labels(y_true, y_pred)
    how = "true" if normalize is True else (normalize or None)
    counts = metrics.confusion_matrix(y_true, y_pred, labels=classes, normalize=how)
    rows_kept = _kept(classes, true_labels, "true_labels")
    columns_kept = _kept(classes, pred_labels, "pred_labels")
    data = [[_name(classes[j], labels), _name(classes[i], labels), counts[i, j].item()]
            for i in rows_kept for j in columns_kept]
    table = Table(columns=["Predicted", "Actual", "Count"], data=data)
    return Chart("confusion_matrix", table, {"actual": "Actual", "predicted": "Predicted", "count": "Count"},
                 "Confusion matrix", axes={"x": "Predicted", "y": "Actual"})


def feature_importances(model: Any, feature_names: Sequence[Any] | None = None,
                        title: str = "Feature Importance", max_num_features: int = 50) -> Chart:
    """The model's ``feature_importances_`` (trees), else ``feature_log_prob_`` (naive Bayes) or ``coef_`` (linear
    models; one row only), largest first, at most ``max_num_features`` bars. Features are named by
    ``feature_names``, else the names the model was fitted with, else their column index. Columns:
    ``feature_names``, ``importances``."""
    check_is_fitted(model)
    found = next((a for a in IMPORTANCE_ATTRIBUTES if getattr(model, a, None) is not None), None)
    if found is None:
        raise NotApplicableError(f"feature_importances: {type(model).__name__} has none of "
                                 f"{', '.join(IMPORTANCE_ATTRIBUTES)}, so there are no feature importances to plot")
    values = np.asarray(getattr(model, found), dtype=np.float64)
    if sum(d > 1 for d in values.shape) > 1:
        raise NotApplicableError(f"feature_importances: {type(model).__name__}.{found} has shape {values.shape}, "
                                 "one row per class; one importance per feature is needed (a binary classifier or a "
                                 "model with feature_importances_ has that)")
    values = values.reshape(-1)
    if feature_names is None:
        feature_names = getattr(model, "feature_names_in_", range(len(values)))
    names = [str(n) for n in np.asarray(feature_names).tolist()]
    if len(names) < len(values):
        raise ValueError(f"feature_importances: {len(names)} feature_names for the model's {len(values)} features; "
                         "give one name per feature")
    if len(names) > len(values):  # W&B's examples pass a DataFrame's columns with the target's among them
        warnings.warn(f"feature_importances: {len(names)} feature_names for the model's {len(values)} features: "
                      f"the first {len(values)} name them", JupyterTrackWarning, stacklevel=3)
    order = np.argsort(-values, kind="stable")[:max_num_features]
    table = Table(columns=["feature_names", "importances"], data=[[names[i], values[i].item()] for i in order])
    return plot.bar(table, "feature_names", "importances", title=title)


def class_proportions(y_train: Any, y_test: Any = None, labels: Sequence[Any] | None = None) -> Chart:
    """How many samples of each class the training and test sets hold (a bar per class and set). Columns:
    ``class``, ``dataset``, ``count`` and ``bar`` (the bar's label, ``"<class> (<dataset>)"``)."""
    sets = {"train": _labels(y_train, "y_train")}
    if y_test is not None:
        sets["test"] = _labels(y_test, "y_test")
    data = []
    for value in unique_labels(*sets.values()):
        name = _name(value, labels)
        data += [[name, dataset, int((y == value).sum()), f"{name} ({dataset})"] for dataset, y in sets.items()]
    table = Table(columns=["class", "dataset", "count", "bar"], data=data)
    return plot.bar(table, "bar", "count", title="Class proportions")


def calibration_curve(clf: Any, X: Any, y: Any, clf_name: str = "Classifier") -> Chart:
    """How well predicted probabilities match observed frequencies (scikit-learn's ``calibration_curve``, 10 bins)
    for a logistic regression, ``clf`` and its isotonic and sigmoid calibrations (``CalibratedClassifierCV``): copies
    fitted on 10 % of ``X`` and scored on the other 90 %, as W&B's (here the split is stratified, and the curves
    include uncalibrated ``clf``, which W&B leaves out; ``clf`` itself is not refitted). Binary problems only; the
    positive class is the larger label. Columns: ``model``, ``fraction_of_positives``, ``mean_predicted_value``."""
    y = _labels(y, "y")
    classes = np.unique(y)
    if len(classes) != 2:
        raise NotApplicableError(f"calibration_curve is for binary classifiers; y holds {len(classes)} classes")
    x_train, x_test, y_train, y_test = model_selection.train_test_split(X, y, test_size=0.9, random_state=42,
                                                                        stratify=y)
    models = {"Logistic": LogisticRegression(C=1.0), clf_name: clone(clf),
              f"{clf_name} + Isotonic": CalibratedClassifierCV(clone(clf), cv=2, method="isotonic"),
              f"{clf_name} + Sigmoid": CalibratedClassifierCV(clone(clf), cv=2, method="sigmoid")}
    data: list[list[Any]] = [["Perfectly calibrated", 0.0, 0.0], ["Perfectly calibrated", 1.0, 1.0]]
    for name, model in models.items():
        model.fit(x_train, y_train)
        scores = _positive_scores(model, x_test)
        fraction, mean = calibration.calibration_curve(y_test, scores, n_bins=CALIBRATION_BINS, pos_label=classes[1])
        data += [[name, f.item(), m.item()] for f, m in zip(fraction, mean, strict=True)]
    table = Table(columns=["model", "fraction_of_positives", "mean_predicted_value"], data=data)
    return plot.line(table, "mean_predicted_value", "fraction_of_positives", stroke="model",
                     title=f"Calibration curve: {clf_name}")


def _positive_scores(model: Any, x: Any) -> Any:
    """The positive class's probability, or the decision function scaled to 0 … 1 for a model without
    ``predict_proba``."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(x)[:, 1]
    scores = np.asarray(model.decision_function(x), dtype=np.float64)
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / (spread if spread > 0 else 1.0)


def present_columns(model: Any, y_test: Any, y_probas: Any) -> Any:
    """The columns of ``y_probas`` (one per class of ``model.classes_``) of the classes ``y_test`` holds: the curves
    take column *i* for the *i*-th class of ``y_test``, which a test set without one of the classes would shift."""
    classes = getattr(model, "classes_", None)
    probas = np.asarray(y_probas)
    if classes is None or probas.ndim != 2 or probas.shape[1] != len(classes):
        return y_probas
    return probas[:, np.isin(classes, np.unique(_labels(y_test, "y_test")))]


# -- classifiers and regressors ------------------------------------------------------------------------------------
def summary_metrics(model: Any, X: Any = None, y: Any = None, X_test: Any = None,
                    y_test: Any = None) -> Chart:
    """The model's scores on the test set: ``accuracy_score`` and the support-weighted ``precision``, ``recall``
    and ``f1_score`` for a classifier; ``mae``, ``mse`` and ``r2_score`` for a regressor (``X`` and ``y``, the
    training set, are not used, as in W&B). Columns: ``metric_name``, ``metric_value``, ``model_name``."""
    if X_test is None or y_test is None:
        raise ValueError("summary_metrics: give X_test and y_test, the set the model is scored on")
    check_is_fitted(model)
    y_pred = model.predict(X_test)
    if is_classifier(model):
        weighted = {"average": "weighted", "zero_division": 0}
        scores = {"accuracy_score": metrics.accuracy_score(y_test, y_pred),
                  "precision": metrics.precision_score(y_test, y_pred, **weighted),
                  "recall": metrics.recall_score(y_test, y_pred, **weighted),
                  "f1_score": metrics.f1_score(y_test, y_pred, **weighted)}
    elif is_regressor(model):
        scores = {"mae": metrics.mean_absolute_error(y_test, y_pred), "mse": metrics.mean_squared_error(y_test, y_pred),
                  "r2_score": metrics.r2_score(y_test, y_pred)}
    else:
        raise NotApplicableError(f"summary_metrics: {type(model).__name__} is neither a classifier nor a regressor")
    name = type(model).__name__
    table = Table(columns=["metric_name", "metric_value", "model_name"],
                  data=[[metric, float(value), name] for metric, value in scores.items()])
    return plot.bar(table, "metric_name", "metric_value", title=f"Summary metrics: {name}")


def learning_curve(model: Any, X: Any, y: Any, cv: Any = None, shuffle: bool = False,
                   random_state: Any = None, train_sizes: Any = None, n_jobs: int | None = 1,
                   scoring: Any = None) -> Chart:
    """The mean training and cross-validation score of ``model`` refitted on growing parts of ``X`` (scikit-learn's
    ``learning_curve``; W&B's default sizes 10 %, 32.5 %, … 100 % of each training fold). Columns: ``dataset``
    (``train``/``test``), ``score``, ``train_size``."""
    sizes, train, test = model_selection.learning_curve(
        model, X, np.asarray(y), cv=cv, shuffle=shuffle, random_state=random_state, n_jobs=n_jobs, scoring=scoring,
        train_sizes=np.linspace(0.1, 1.0, 5) if train_sizes is None else train_sizes)
    data = [[dataset, float(np.mean(scores)), int(size)]
            for size, train_scores, test_scores in zip(sizes, train, test, strict=True)
            for dataset, scores in (("train", train_scores), ("test", test_scores))]
    table = Table(columns=["dataset", "score", "train_size"], data=data)
    return plot.line(table, "train_size", "score", stroke="dataset", title="Learning curve")


# -- regressors ----------------------------------------------------------------------------------------------------
def residuals(regressor: Any, X: Any, y: Any) -> Chart:
    """Residuals (prediction − truth, as W&B and Yellowbrick define them) against predictions, of a copy of
    ``regressor`` fitted on a random 80 % of ``X`` (``train``) and scored on the other 20 % (``test``); at most
    ``RESIDUAL_POINTS`` of each, evenly spaced. Columns: ``dataset``, ``y_pred``, ``residuals``, ``train_score``,
    ``test_score`` (R² of each set)."""
    y = np.asarray(y, dtype=np.float64)
    x_train, x_test, y_train, y_test = model_selection.train_test_split(X, y, test_size=0.2, random_state=0)
    model = clone(regressor).fit(x_train, y_train)
    train_score, test_score = float(model.score(x_train, y_train)), float(model.score(x_test, y_test))
    data = []
    for dataset, xs, ys in (("train", x_train, y_train), ("test", x_test, y_test)):
        predicted = np.asarray(model.predict(xs), dtype=np.float64).reshape(-1)
        keep = _evenly(len(ys), RESIDUAL_POINTS)
        data += [[dataset, predicted[i].item(), (predicted[i] - ys[i]).item(), train_score, test_score] for i in keep]
    table = Table(columns=["dataset", "y_pred", "residuals", "train_score", "test_score"], data=data)
    return plot.scatter(table, "y_pred", "residuals", title="Residuals")


def outlier_candidates(regressor: Any, X: Any, y: Any) -> Chart:
    """Cook's distance of each training sample: how much the fitted values move when it is left out,
    ``e² h / (p s² (1 − h)²)`` with the residuals ``e`` of a copy of ``regressor`` fitted on ``X``, the leverages
    ``h`` and parameter count ``p`` of the least-squares design (``X`` with an intercept column unless the model has
    ``fit_intercept=False``) and ``s²`` the residual variance. Samples at or above ``4 / n`` are the candidates.
    The table holds the first ``jt.plot.MAX_ROWS`` samples. Columns: ``instance``, ``distance``,
    ``outlier_percentage``, ``influence_threshold``."""
    x = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    model = clone(regressor).fit(x, y)
    design = x if getattr(model, "fit_intercept", True) is False else np.column_stack([np.ones(len(x)), x])
    rank = int(np.linalg.matrix_rank(design))
    if len(x) <= rank:
        raise ValueError(f"outlier_candidates: {len(x)} samples for {rank} parameters; it needs more samples than "
                         "parameters")
    leverage = (design * np.linalg.pinv(design).T).sum(axis=1)
    error = y - np.asarray(model.predict(x), dtype=np.float64).reshape(-1)
    variance = float(error @ error) / (len(x) - rank)
    with np.errstate(divide="ignore", invalid="ignore"):  # a sample with leverage 1: an infinite distance
        distance = error**2 * leverage / (rank * variance * (1 - leverage) ** 2)
    threshold = 4 / len(x)
    share = 100.0 * float(np.mean(distance >= threshold))
    table = Table(columns=["instance", "distance", "outlier_percentage", "influence_threshold"],
                  data=[[i, _finite(d), share, threshold] for i, d in enumerate(distance)][: plot.MAX_ROWS])
    return plot.scatter(table, "instance", "distance", title="Outlier candidates (Cook's distance)")


# -- clusterers ----------------------------------------------------------------------------------------------------
def elbow_curve(clusterer: Any, X: Any, cluster_ranges: Sequence[int] | None = None,
                n_jobs: int | None = 1, show_cluster_time: bool = True) -> Chart:
    """The sum of squared distances to the nearest centre (``-clusterer.score(X)``, KMeans' inertia) of copies of
    ``clusterer`` refitted with each number of clusters in ``cluster_ranges`` (W&B's default 1, 3, 5, 7, 9), and
    the seconds each fit took. Columns: ``cluster_ranges``, ``errors``, ``clustering_time``."""
    if not hasattr(clusterer, "n_clusters") or not hasattr(clusterer, "score"):
        raise NotApplicableError(f"elbow_curve refits the clusterer with several n_clusters and scores it: "
                                 f"{type(clusterer).__name__} has no n_clusters parameter or no score() (KMeans has "
                                 "both)")
    counts = sorted(cluster_ranges) if cluster_ranges is not None else list(range(1, 10, 2))
    from joblib import Parallel, delayed  # scikit-learn's own dependency

    fits = Parallel(n_jobs=n_jobs)(delayed(_fit_and_score)(clusterer, X, k) for k in counts)
    table = Table(columns=["cluster_ranges", "errors", "clustering_time"],
                  data=[[k, error, seconds] for k, (error, seconds) in zip(counts, fits, strict=True)])
    return plot.line(table, "cluster_ranges", "errors", title="Elbow curve")


def _fit_and_score(clusterer: Any, x: Any, n_clusters: int) -> tuple[float, float]:
    start = time.perf_counter()
    model = clone(clusterer).set_params(n_clusters=n_clusters).fit(x)
    return abs(float(model.score(x))), time.perf_counter() - start


def silhouette(clusterer: Any, X: Any, cluster_labels: Any, labels: Sequence[Any] | None = None,
               metric: str = "euclidean", kmeans: bool = True) -> Chart:
    """The silhouette coefficient of each sample (scikit-learn's ``silhouette_samples``), sorted within its
    cluster; clusters follow one another along ``sample`` with a gap of 10, as in the classic silhouette plot.
    ``clusterer``, ``labels`` (W&B's target names, which do not name clusters) and ``kmeans`` are accepted for
    W&B's signature. Columns: ``cluster``, ``sample``, ``silhouette``, ``silhouette_avg``
    (``silhouette_score``); at most ``jt.plot.MAX_ROWS`` rows, evenly spaced."""
    x = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    assigned = _labels(cluster_labels, "cluster_labels")
    if len(assigned) != len(x):
        raise ValueError(f"silhouette: {len(assigned)} cluster_labels for {len(x)} samples; give one per row of X")
    average = float(metrics.silhouette_score(x, assigned, metric=metric))
    values = metrics.silhouette_samples(x, assigned, metric=metric)
    data: list[list[Any]] = []
    position = 10
    for cluster in np.unique(assigned):
        ordered = np.sort(values[assigned == cluster])
        data += [[cluster.item(), position + i, v.item(), average] for i, v in enumerate(ordered)]
        position += len(ordered) + 10
    table = Table(columns=["cluster", "sample", "silhouette", "silhouette_avg"],
                  data=[data[i] for i in _evenly(len(data), plot.MAX_ROWS)])
    return plot.line(table, "sample", "silhouette", stroke="cluster", title=f"Silhouette (average {average:.3f})")


# -- helpers -------------------------------------------------------------------------------------------------------
def _labels(values: Any, what: str) -> Any:
    if values is None:
        raise ValueError(f"give {what}: one label per sample")
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{what} must be one label per sample, not an array of shape {array.shape}")
    return array


def _name(value: Any, labels: Sequence[Any] | None) -> Any:
    """A class as stored: ``labels[value]`` for an integer class when ``labels`` is given (W&B's rule), else the
    value itself as a plain Python value."""
    plain = value.item() if hasattr(value, "item") else value
    if labels is not None and isinstance(plain, int) and not isinstance(plain, bool):
        if not 0 <= plain < len(labels):
            raise ValueError(f"labels names {len(labels)} classes, but the data holds class {plain}: give a name for "
                             "each class index 0 … n-1")
        name = labels[plain]
        return name.item() if hasattr(name, "item") else name  # iris.target_names holds numpy strings
    return plain


def _kept(classes: Any, chosen: Sequence[Any] | None, what: str) -> list[int]:
    if chosen is None:
        return list(range(len(classes)))
    unknown = set(np.asarray(chosen).tolist()) - set(classes.tolist())
    if unknown:
        raise ValueError(f"confusion_matrix: {what} names {sorted(unknown, key=str)}, which are not classes of the "
                         f"data ({classes.tolist()})")
    return [int(i) for i in np.flatnonzero(np.isin(classes, np.asarray(chosen)))]


def _evenly(count: int, limit: int) -> list[int]:
    """At most ``limit`` indexes of ``count``, evenly spaced, first and last included."""
    if count <= limit:
        return list(range(count))
    return [int(i) for i in np.unique(np.linspace(0, count - 1, limit).round())]


def _finite(value: Any) -> float | None:
    return float(value) if np.isfinite(value) else None
