"""``jt.sklearn`` (W&B: ``wandb.sklearn``): charts of scikit-learn models logged to the active run, with W&B's
function names, arguments and keys; the data of each reads back as a DataFrame.

scikit-learn is imported on first use (``pip install 'jupyter_track[importance]'``); ``plot_roc`` and
``plot_precision_recall`` need only numpy (they are ``jt.plot.roc_curve`` and ``jt.plot.pr_curve``).

Example::

    import jupyter_track as wandb
    run = wandb.init(project="iris")
    model = RandomForestClassifier().fit(x_train, y_train)
    wandb.sklearn.plot_classifier(model, x_train, x_test, y_train, y_test, model.predict(x_test),
                                  model.predict_proba(x_test), labels=["setosa", "versicolor", "virginica"],
                                  model_name="RandomForest", feature_names=["sepal l", "sepal w", "petal l", "petal w"])
    run.finish()
    wandb.load_run(run.path).media("roc")[-1][2].to_pandas()    # class, fpr, tpr
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .. import plot, session
from ..errors import JupyterTrackWarning, UsageError, needs_extra

if TYPE_CHECKING:
    from ..disabled import DisabledRun
    from ..live_run import Run
    from ..media.chart import Chart

__all__ = ["plot_calibration_curve", "plot_class_proportions", "plot_classifier", "plot_clusterer",
           "plot_confusion_matrix", "plot_elbow_curve", "plot_feature_importances", "plot_learning_curve",
           "plot_outlier_candidates", "plot_precision_recall", "plot_regressor", "plot_residuals", "plot_roc",
           "plot_silhouette", "plot_summary_metrics"]


# -- composites ----------------------------------------------------------------------------------------------------
def plot_classifier(model: Any, X_train: Any, X_test: Any, y_train: Any, y_test: Any,
                    y_pred: Any, y_probas: Any, labels: Sequence[Any] | None = None, is_binary: bool = False,
                    model_name: str = "Classifier", feature_names: Sequence[Any] | None = None,
                    log_learning_curve: bool = False) -> None:
    """Log W&B's classifier charts in one step: ``feature_importances``, ``confusion_matrix``, ``summary_metrics``,
    ``class_proportions``, ``calibration_curve`` (binary only; it fits copies of ``model``), ``roc``,
    ``precision_recall``, and ``learning_curve`` with ``log_learning_curve``. A chart that does not apply (a model
    without importances, a multi-class calibration curve) is left out with a warning. ``labels`` names integer
    classes; ``is_binary`` is accepted for W&B's signature.

    Example::

        jt.sklearn.plot_classifier(model, x_train, x_test, y_train, y_test, model.predict(x_test),
                                   model.predict_proba(x_test), ["cat", "dog"], model_name="RandomForest")
    """
    run, charts = _start("plot_classifier")
    from sklearn.naive_bayes import MultinomialNB  # W&B leaves its 2-D log-probabilities out

    multinomial = isinstance(model, MultinomialNB)
    logged: dict[str, Chart | None] = {}
    if not multinomial:
        logged["feature_importances"] = _optional(charts.feature_importances, model, feature_names)
    if log_learning_curve:
        logged["learning_curve"] = charts.learning_curve(model, X_train, y_train)
    logged["confusion_matrix"] = charts.confusion_matrix(y_test, y_pred, labels)
    logged["summary_metrics"] = charts.summary_metrics(model, X_train, y_train, X_test, y_test)
    logged["class_proportions"] = charts.class_proportions(y_train, y_test, labels)
    if not multinomial:
        logged["calibration_curve"] = _optional(charts.calibration_curve, model, X_train, y_train, model_name)
    y_probas = charts.present_columns(model, y_test, y_probas)
    logged["roc"] = plot.roc_curve(y_test, y_probas, labels)
    logged["precision_recall"] = plot.pr_curve(y_test, y_probas, labels)
    run.log({key: chart for key, chart in logged.items() if chart is not None})


def plot_regressor(model: Any, X_train: Any, X_test: Any, y_train: Any, y_test: Any,
                   model_name: str = "Regressor") -> None:
    """Log W&B's regressor charts in one step: ``summary_metrics`` (on the test set), then ``learning_curve``,
    ``outlier_candidates`` and ``residuals`` (each fits copies of ``model`` on the training set).

    Example::

        jt.sklearn.plot_regressor(Ridge().fit(x_train, y_train), x_train, x_test, y_train, y_test, "Ridge")
    """
    run, charts = _start("plot_regressor")
    run.log({"summary_metrics": charts.summary_metrics(model, X_train, y_train, X_test, y_test),
             "learning_curve": charts.learning_curve(model, X_train, y_train),
             "outlier_candidates": charts.outlier_candidates(model, X_train, y_train),
             "residuals": charts.residuals(model, X_train, y_train)})


def plot_clusterer(model: Any, X_train: Any, cluster_labels: Any, labels: Sequence[Any] | None = None,
                   model_name: str = "Clusterer") -> None:
    """Log W&B's clusterer charts in one step: ``elbow_curve`` for a clusterer with ``n_clusters`` and ``score()``
    (KMeans; it refits copies) and ``silhouette_plot``. ``cluster_labels`` is the cluster of each row of
    ``X_train`` (``model.fit_predict(X_train)``); ``labels`` and ``model_name`` are accepted for W&B's signature.

    Example::

        kmeans = KMeans(n_clusters=3)
        jt.sklearn.plot_clusterer(kmeans, x, kmeans.fit_predict(x), model_name="KMeans")
    """
    run, charts = _start("plot_clusterer")
    logged: dict[str, Chart] = {}
    if hasattr(model, "n_clusters") and hasattr(model, "score"):
        logged["elbow_curve"] = charts.elbow_curve(model, X_train)
    logged["silhouette_plot"] = charts.silhouette(model, X_train, cluster_labels, labels)
    run.log(logged)


# -- one chart each ------------------------------------------------------------------------------------------------
def plot_roc(y_true: Any = None, y_probas: Any = None, labels: Sequence[Any] | None = None, plot_micro: bool = True,
             plot_macro: bool = True, classes_to_plot: Sequence[Any] | None = None) -> None:
    """Log the ROC curve of each class as ``roc`` (:func:`jupyter_track.plot.roc_curve`; ``plot_micro`` and
    ``plot_macro`` are accepted for W&B's signature, which ignores them too).

    Example::

        jt.sklearn.plot_roc(y_test, model.predict_proba(x_test), ["cat", "dog"])
    """
    _active_run("plot_roc").log({"roc": plot.roc_curve(y_true, y_probas, labels, classes_to_plot)})


def plot_precision_recall(y_true: Any = None, y_probas: Any = None, labels: Sequence[Any] | None = None,
                          plot_micro: bool = True, classes_to_plot: Sequence[Any] | None = None) -> None:
    """Log the precision-recall curve of each class as ``precision_recall`` (:func:`jupyter_track.plot.pr_curve`).

    Example::

        jt.sklearn.plot_precision_recall(y_test, model.predict_proba(x_test), ["cat", "dog"])
    """
    _active_run("plot_precision_recall").log({"precision_recall": plot.pr_curve(y_true, y_probas, labels,
                                                                                classes_to_plot)})


def plot_confusion_matrix(y_true: Any = None, y_pred: Any = None, labels: Sequence[Any] | None = None,
                          true_labels: Sequence[Any] | None = None, pred_labels: Sequence[Any] | None = None,
                          normalize: bool | str = False) -> None:
    """Log the confusion matrix as ``confusion_matrix``: counts of (actual, predicted) class pairs, or fractions of
    each actual class with ``normalize=True``.

    Example::

        jt.sklearn.plot_confusion_matrix(y_test, model.predict(x_test), ["cat", "dog"])
    """
    run, charts = _start("plot_confusion_matrix")
    run.log({"confusion_matrix": charts.confusion_matrix(y_true, y_pred, labels, true_labels, pred_labels, normalize)})


def plot_feature_importances(model: Any = None, feature_names: Sequence[Any] | None = None,
                             title: str = "Feature Importance", max_num_features: int = 50) -> None:
    """Log a fitted model's feature importances, largest first, as ``feature_importances`` (``feature_importances_``,
    else ``feature_log_prob_`` or one-row ``coef_``).

    Example::

        jt.sklearn.plot_feature_importances(forest, ["width", "height", "length"])
    """
    run, charts = _start("plot_feature_importances")
    run.log({"feature_importances": charts.feature_importances(model, feature_names, title, max_num_features)})


def plot_learning_curve(model: Any = None, X: Any = None, y: Any = None, cv: Any = None,
                        shuffle: bool = False, random_state: Any = None, train_sizes: Any = None,
                        n_jobs: int | None = 1, scoring: Any = None) -> None:
    """Log the training and cross-validation score against the training set size as ``learning_curve`` (it refits
    copies of ``model``; the arguments are those of scikit-learn's ``learning_curve``).

    Example::

        jt.sklearn.plot_learning_curve(model, x, y)
    """
    run, charts = _start("plot_learning_curve")
    run.log({"learning_curve": charts.learning_curve(model, X, y, cv, shuffle, random_state, train_sizes, n_jobs,
                                                     scoring)})


def plot_summary_metrics(model: Any = None, X: Any = None, y: Any = None, X_test: Any = None,
                         y_test: Any = None) -> None:
    """Log the model's test-set scores as ``summary_metrics`` (accuracy and weighted precision, recall, F1 for a
    classifier; MAE, MSE, R² for a regressor).

    Example::

        jt.sklearn.plot_summary_metrics(model, x_train, y_train, x_test, y_test)
    """
    run, charts = _start("plot_summary_metrics")
    run.log({"summary_metrics": charts.summary_metrics(model, X, y, X_test, y_test)})


def plot_class_proportions(y_train: Any = None, y_test: Any = None, labels: Sequence[Any] | None = None) -> None:
    """Log how many samples of each class the training and test sets hold as ``class_proportions``.

    Example::

        jt.sklearn.plot_class_proportions(y_train, y_test, ["dog", "cat", "owl"])
    """
    run, charts = _start("plot_class_proportions")
    run.log({"class_proportions": charts.class_proportions(y_train, y_test, labels)})


def plot_calibration_curve(clf: Any = None, X: Any = None, y: Any = None,
                           clf_name: str = "Classifier") -> None:
    """Log the calibration curves of a binary classifier, its isotonic and sigmoid calibrations and a logistic
    regression as ``calibration_curve`` (each refitted on 10 % of ``X``, scored on the rest).

    Example::

        jt.sklearn.plot_calibration_curve(forest, x_train, y_train, "RandomForest")
    """
    run, charts = _start("plot_calibration_curve")
    run.log({"calibration_curve": charts.calibration_curve(clf, X, y, clf_name)})


def plot_residuals(regressor: Any = None, X: Any = None, y: Any = None) -> None:
    """Log residuals against predictions, for a training and a test split, as ``residuals`` (it fits a copy of
    ``regressor`` on 80 % of ``X``).

    Example::

        jt.sklearn.plot_residuals(Ridge(), x, y)
    """
    run, charts = _start("plot_residuals")
    run.log({"residuals": charts.residuals(regressor, X, y)})


def plot_outlier_candidates(regressor: Any = None, X: Any = None, y: Any = None) -> None:
    """Log each sample's Cook's distance (its influence on the fit) as ``outlier_candidates``.

    Example::

        jt.sklearn.plot_outlier_candidates(LinearRegression(), x, y)
    """
    run, charts = _start("plot_outlier_candidates")
    run.log({"outlier_candidates": charts.outlier_candidates(regressor, X, y)})


def plot_elbow_curve(clusterer: Any = None, X: Any = None, cluster_ranges: Sequence[int] | None = None,
                     n_jobs: int | None = 1, show_cluster_time: bool = True) -> None:
    """Log the within-cluster sum of squares against the number of clusters as ``elbow_curve`` (it refits copies of
    ``clusterer`` with 1, 3, 5, 7, 9 clusters, or ``cluster_ranges``).

    Example::

        jt.sklearn.plot_elbow_curve(KMeans(n_init=10), x)
    """
    run, charts = _start("plot_elbow_curve")
    run.log({"elbow_curve": charts.elbow_curve(clusterer, X, cluster_ranges, n_jobs, show_cluster_time)})


def plot_silhouette(clusterer: Any = None, X: Any = None, cluster_labels: Any = None,
                    labels: Sequence[Any] | None = None, metric: str = "euclidean", kmeans: bool = True) -> None:
    """Log each sample's silhouette coefficient, sorted within its cluster, as ``silhouette_plot``.

    Example::

        jt.sklearn.plot_silhouette(kmeans, x, kmeans.labels_)
    """
    run, charts = _start("plot_silhouette")
    run.log({"silhouette_plot": charts.silhouette(clusterer, X, cluster_labels, labels, metric, kmeans)})


# -- helpers -------------------------------------------------------------------------------------------------------
def _active_run(what: str) -> Run | DisabledRun:
    run = session.current()
    if run is None:
        raise UsageError(f"jt.sklearn.{what} logs its charts to the active run: call jt.init() first")
    return run


def _start(what: str) -> tuple[Run | DisabledRun, ModuleType]:
    """The active run and the chart builders (which import scikit-learn)."""
    run = _active_run(what)
    with needs_extra("importance", "scikit-learn", f"jt.sklearn.{what}"):
        from . import sklearn_charts
    return run, sklearn_charts


def _optional(build: Callable[..., Chart], *args: Any) -> Chart | None:
    """The chart, or None with a warning saying why it does not apply."""
    from .sklearn_charts import NotApplicableError

    try:
        return build(*args)
    except NotApplicableError as exc:
        warnings.warn(f"{exc}: left out", JupyterTrackWarning, stacklevel=3)
        return None
