"""``jt.plot`` (W&B: ``wandb.plot``): charts to log, drawn in the live panel, the run detail panel and compare.

Each function returns a :class:`~jupyter_track.media.chart.Chart` that ``log()`` stores with its data as a
table, as W&B's do (same arguments, same columns, same defaults). ``confusion_matrix``, ``pr_curve`` and
``roc_curve`` compute what W&B computes, with numpy only (no scikit-learn needed).

Example::

    import jupyter_track as wandb
    table = wandb.Table(data=[[x, x * x] for x in range(10)], columns=["x", "y"])
    wandb.log({"square": wandb.plot.line(table, "x", "y", title="x²"),
               "cm": wandb.plot.confusion_matrix(y_true=labels, preds=predictions, class_names=["cat", "dog"]),
               "roc": wandb.plot.roc_curve(labels, probabilities, labels=["cat", "dog"])})
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .media.chart import Chart
from .media.curves import interpolated_precision, roc
from .media.table import Table

__all__ = ["Chart", "bar", "confusion_matrix", "histogram", "line", "line_series", "pr_curve", "roc_curve",
           "scatter"]

MAX_ROWS = 10_000  # W&B's limit on the rows of a curve's table (wandb.Table.MAX_ROWS)


def line(table: Table, x: str, y: str, stroke: str | None = None, title: str = "",
         split_table: bool = False) -> Chart:
    """A line chart of columns ``x`` and ``y`` of ``table``; one line per value of column ``stroke``.

    Example::

        jt.log({"loss": jt.plot.line(table, "step", "loss", stroke="model", title="Loss")})
    """
    return Chart("line", table, {"x": x, "y": y, "stroke": stroke}, title)


def scatter(table: Table, x: str, y: str, title: str = "", split_table: bool = False) -> Chart:
    """A scatter plot of columns ``x`` and ``y`` of ``table``.

    Example::

        jt.log({"alt": jt.plot.scatter(table, "altitude", "temperature", title="Altitude vs temperature")})
    """
    return Chart("scatter", table, {"x": x, "y": y}, title)


def bar(table: Table, label: str, value: str, title: str = "", split_table: bool = False) -> Chart:
    """A bar per row of ``table``: its ``label`` column names the bar, its ``value`` column is the length.

    Example::

        jt.log({"acc": jt.plot.bar(table, "class", "accuracy", title="Per-class accuracy")})
    """
    return Chart("bar", table, {"label": label, "value": value}, title)


def histogram(table: Table, value: str, title: str = "", split_table: bool = False) -> Chart:
    """The distribution of column ``value`` of ``table`` (binned when drawn).

    Example::

        jt.log({"scores": jt.plot.histogram(jt.Table(data=[[s] for s in scores], columns=["score"]), "score")})
    """
    return Chart("histogram", table, {"value": value}, title)


def line_series(xs: Iterable[Any], ys: Iterable[Iterable[Any]], keys: Iterable[str] | None = None,
                title: str = "", xname: str = "x", split_table: bool = False) -> Chart:
    """Several lines in one chart: ``ys`` is a list of series, ``xs`` one x list for all or one per series;
    ``keys`` names the lines (default ``line_0``, ``line_1``, …). The table has W&B's columns ``step``,
    ``lineKey``, ``lineVal``.

    Example::

        jt.log({"powers": jt.plot.line_series(range(10), [[i for i in range(10)], [i * i for i in range(10)]],
                                              keys=["x", "x²"], xname="x")})
    """
    ys = [list(series) for series in ys]
    xs = list(xs)
    if xs and (not isinstance(xs[0], Iterable) or isinstance(xs[0], str | bytes)):
        xs = [xs] * len(ys)  # one x list for every series
    if len(xs) != len(ys):
        raise ValueError(f"plot.line_series: the number of x-series ({len(xs)}) must match the number of "
                         f"y-series ({len(ys)})")
    names = [f"line_{i}" for i in range(len(ys))] if keys is None else [str(k) for k in keys]
    if len(names) != len(ys):
        raise ValueError(f"plot.line_series: the number of keys ({len(names)}) must match the number of "
                         f"y-series ({len(ys)})")
    rows = [[x, names[i], y] for i, (xx, yy) in enumerate(zip(xs, ys, strict=True))
            for x, y in zip(xx, yy, strict=False)]
    table = Table(columns=["step", "lineKey", "lineVal"], data=rows)
    return Chart("line_series", table, {"x": "step", "y": "lineVal", "stroke": "lineKey"}, title,
                 axes={"x": xname})


def confusion_matrix(probs: Sequence[Sequence[float]] | None = None, y_true: Sequence[Any] | None = None,
                     preds: Sequence[Any] | None = None, class_names: Sequence[str] | None = None,
                     title: str = "Confusion Matrix Curve", split_table: bool = False) -> Chart:
    """Counts of (actual, predicted) class pairs, from ``preds`` or the arg-max of ``probs``. With
    ``class_names``, ``y_true`` and ``preds`` are class indexes 0 … n-1; without, the classes are the sorted
    distinct labels, named ``Class_1``, ``Class_2``, … . The table has W&B's columns ``Actual``,
    ``Predicted``, ``nPredictions``.

    Example::

        jt.log({"cm": jt.plot.confusion_matrix(y_true=[0, 1, 1], preds=[0, 1, 0], class_names=["cat", "dog"])})
    """
    if probs is not None and preds is not None:
        raise ValueError("plot.confusion_matrix: give probs or preds, not both")
    if y_true is None or (probs is None and preds is None):
        raise ValueError("plot.confusion_matrix: give y_true and one of preds (predicted labels) or probs "
                         "(one row of class probabilities per sample)")
    truth = _labels(y_true, "y_true")
    if probs is not None:
        matrix = np.asarray(probs, dtype=np.float64)
        if matrix.ndim != 2:
            raise ValueError(f"plot.confusion_matrix: probs must be (samples, classes), not of shape {matrix.shape}")
        predicted = matrix.argmax(axis=1).tolist()
    else:
        predicted = _labels(preds, "preds")
    if len(predicted) != len(truth):
        raise ValueError(f"plot.confusion_matrix: {len(predicted)} predictions for {len(truth)} true labels; "
                         "they must be as many")
    if class_names is not None:
        names = [str(n) for n in class_names]
        order: list[Any] = list(range(len(names)))
        truth, predicted = _indexes(truth, "y_true", len(names)), _indexes(predicted, "preds", len(names))
    else:
        order = sorted(set(truth) | set(predicted))
        names = [f"Class_{i + 1}" for i in range(len(order))]
    index = {label: i for i, label in enumerate(order)}
    counts = np.zeros((len(order), len(order)), dtype=np.int64)
    np.add.at(counts, ([index[t] for t in truth], [index[p] for p in predicted]), 1)
    rows = [[names[i], names[j], int(counts[i, j])] for i in range(len(order)) for j in range(len(order))]
    table = Table(columns=["Actual", "Predicted", "nPredictions"], data=rows)
    return Chart("confusion_matrix", table, {"actual": "Actual", "predicted": "Predicted", "count": "nPredictions"},
                 title, axes={"x": "Predicted", "y": "Actual"})


def pr_curve(y_true: Sequence[Any] | None = None, y_probas: Sequence[Sequence[float]] | None = None,
             labels: Sequence[str] | None = None, classes_to_plot: Sequence[Any] | None = None,
             interp_size: int = 21, title: str = "Precision-Recall Curve", split_table: bool = False) -> Chart:
    """Precision against recall for each class of ``y_true`` (one-vs-rest on its column of ``y_probas``: see
    :func:`roc_curve`), at ``interp_size`` recall levels from 1 down to 0, as W&B computes it.
    ``labels`` names integer classes; ``classes_to_plot`` picks some. Columns: ``class``, ``precision``,
    ``recall``.

    Example::

        jt.log({"pr": jt.plot.pr_curve(y_test, model.predict_proba(x_test), labels=["cat", "dog"])})
    """
    truth, probas, classes, columns = _curve_input("pr_curve", y_true, y_probas)
    recall_levels = np.linspace(0, 1, interp_size)[::-1]
    rows: list[list[Any]] = []
    for i in _plotted(classes, classes_to_plot):
        name = _class_name(classes, i, labels)
        precision = interpolated_precision(truth == classes[i], probas[:, columns[i]], recall_levels)
        rows += [[name, round(float(p), 3), round(float(r), 3)] for p, r in zip(precision, recall_levels, strict=True)]
    table = Table(columns=["class", "precision", "recall"], data=_at_most(rows, MAX_ROWS))
    return Chart("pr_curve", table, {"x": "recall", "y": "precision", "stroke": "class"}, title,
                 axes={"x": "Recall", "y": "Precision"})


def roc_curve(y_true: Sequence[Any] | None = None, y_probas: Sequence[Sequence[float]] | None = None,
              labels: Sequence[str] | None = None, classes_to_plot: Sequence[Any] | None = None,
              title: str = "ROC Curve", split_table: bool = False) -> Chart:
    """The ROC curve (true against false positive rate) of each class of ``y_true``, one-vs-rest on its column
    of ``y_probas``, as W&B (scikit-learn's ``roc_curve``) computes it. Integer labels 0 … n-1 are column
    indexes (a test set that lacks a class keeps the others on their own columns); other labels take the
    columns in sorted label order, as W&B does. ``labels`` names integer classes; ``classes_to_plot`` picks
    some. Columns: ``class``, ``fpr``, ``tpr``.

    Example::

        jt.log({"roc": jt.plot.roc_curve(y_test, model.predict_proba(x_test), labels=["cat", "dog"])})
    """
    truth, probas, classes, columns = _curve_input("roc_curve", y_true, y_probas)
    rows: list[list[Any]] = []
    for i in _plotted(classes, classes_to_plot):
        name = _class_name(classes, i, labels)
        fpr, tpr = roc(truth == classes[i], probas[:, columns[i]])
        rows += [[name, _rounded(f), _rounded(t)] for f, t in zip(fpr, tpr, strict=True)]
    table = Table(columns=["class", "fpr", "tpr"], data=_at_most(rows, MAX_ROWS))
    return Chart("roc_curve", table, {"x": "fpr", "y": "tpr", "stroke": "class"}, title,
                 axes={"x": "False positive rate", "y": "True positive rate"})


# -- helpers ------------------------------------------------------------------------------------------------
def _labels(values: Any, what: str) -> list[Any]:
    """Labels as plain Python values (numpy ints → int, numpy strings → str), so they compare and store."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"plot: {what} must be one label per sample, not an array of shape {array.shape}")
    return list(array.tolist())


def _indexes(values: list[Any], what: str, count: int) -> list[int]:
    """Class indexes 0 … count-1 (whole floats too, as W&B's dict lookup takes them)."""
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not float(v).is_integer() or not 0 <= v < count:
            raise ValueError(f"plot.confusion_matrix: {what} holds {v!r}, which is not a class index 0 … {count - 1} "
                             "(with class_names, labels are indexes into it)")
        out.append(int(v))
    return out


def _curve_input(name: str, y_true: Any, y_probas: Any) -> tuple[Any, Any, Any, Any]:
    if y_true is None or y_probas is None:
        raise ValueError(f"plot.{name}: give y_true (labels) and y_probas (one row of class scores per sample)")
    truth = np.asarray(y_true)
    probas = np.asarray(y_probas, dtype=np.float64)
    if truth.ndim != 1:
        raise ValueError(f"plot.{name}: y_true must be one label per sample, not of shape {truth.shape}")
    classes = np.unique(truth)
    if probas.ndim != 2 or len(probas) != len(truth) or probas.shape[1] < len(classes):
        raise ValueError(f"plot.{name}: y_probas must be (samples, classes) = ({len(truth)}, >= {len(classes)}), "
                         f"a column per class in sorted label order, not of shape {probas.shape} (for a binary "
                         "classifier: numpy.column_stack([1 - p, p]))")
    # W&B pairs the i-th distinct label with column i, so 3-class probabilities scored on labels {0, 2} put
    # class 2 on class 1's column; class indexes name their own column instead (as predict_proba's do)
    indexes = classes.dtype.kind in "iu" and len(classes) and classes[0] >= 0 and classes[-1] < probas.shape[1]
    columns = classes.astype(int) if indexes else np.arange(len(classes))
    return truth, probas, classes, columns


def _plotted(classes: Any, chosen: Sequence[Any] | None) -> list[int]:
    if chosen is None:
        return list(range(len(classes)))
    return [int(i) for i in np.flatnonzero(np.isin(classes, np.asarray(chosen)))]


def _class_name(classes: Any, i: int, labels: Sequence[str] | None) -> Any:
    value = classes[i].item() if hasattr(classes[i], "item") else classes[i]
    if labels is not None and isinstance(value, int) and not isinstance(value, bool):
        return labels[value]
    return value


def _rounded(value: float) -> float | None:
    return round(float(value), 3) if np.isfinite(value) else None


def _at_most(rows: list[list[Any]], limit: int) -> list[list[Any]]:
    """At most ``limit`` rows, evenly spaced and in order (W&B resamples at random to its limit)."""
    if len(rows) <= limit:
        return rows
    return [rows[int(i)] for i in np.linspace(0, len(rows) - 1, limit).round().astype(int)]
