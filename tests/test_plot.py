"""``wandb.plot.*`` in W&B's spelling (``import jupyter_track as wandb``): each chart logged, read back with its
data as a DataFrame, computed as W&B computes it (ROC/PR checked against scikit-learn), drawn as SVG for the
live panel, compare and the static view, with clear errors for bad input."""

from __future__ import annotations

import math
import re
import time
from typing import Any

import numpy as np
import pytest

import jupyter_track as wandb
from jupyter_track.media.chart import Chart
from jupyter_track.widgets.chart_view import SCATTER_POINTS, chart_html
from jupyter_track.widgets.compare import compare
from jupyter_track.widgets.run_panel import Feeder, RunPanel
from tests.conftest import wait_for

RNG = np.random.default_rng(7)
Y_TRUE = RNG.integers(0, 3, 300)
Y_PROBAS = np.clip(RNG.dirichlet([1, 1, 1], 300) + 0.6 * np.eye(3)[Y_TRUE], 0, None)


def _logged(key: str, chart: Chart) -> Chart:
    """Log ``chart`` in a run and read it back from the store."""
    run = wandb.init(project="plots", display=False)
    run.log({key: chart})
    run.finish()
    [(step, _, back)] = wandb.load_run(run.path).media(key)
    assert step == 0 and isinstance(back, Chart)
    return back


@pytest.mark.usefixtures("backend")  # the table's blob in the file store and in PostgreSQL
def test_line_with_stroke_and_title() -> None:
    table = wandb.Table(data=[[i, math.sin(i), "sin"] for i in range(5)] + [[i, math.cos(i), "cos"] for i in range(5)],
                        columns=["step", "value", "series"])
    back = _logged("waves", wandb.plot.line(table, "step", "value", stroke="series", title="Waves"))
    assert (back.chart, back.title, back.fields) == ("line", "Waves", {"x": "step", "y": "value", "stroke": "series"})
    frame = back.to_pandas()
    assert list(frame.columns) == ["step", "value", "series"] and len(frame) == 10
    assert frame["value"].tolist()[:2] == [0.0, math.sin(1)] and set(frame["series"]) == {"sin", "cos"}
    no_stroke = wandb.plot.line(table, "step", "value")
    assert no_stroke.fields["stroke"] is None and no_stroke.title == ""


def test_scatter_bar_and_histogram_keep_their_columns() -> None:
    points = wandb.Table(data=[[1.0, 2.0], [3.0, 4.0]], columns=["altitude (m)", "temperature (°C)"])
    back = _logged("alt", wandb.plot.scatter(points, "altitude (m)", "temperature (°C)", title="Alt"))
    assert back.fields == {"x": "altitude (m)", "y": "temperature (°C)"} and back.column("y") == [2.0, 4.0]
    bars = wandb.Table(data=[["car", 0.5], ["bus", 0.25]], columns=["class", "accuracy"])
    back = _logged("acc", wandb.plot.bar(bars, "class", "accuracy", title="Accuracy"))
    assert (back.chart, back.fields) == ("bar", {"label": "class", "value": "accuracy"})
    assert back.to_pandas().to_dict("list") == {"class": ["car", "bus"], "accuracy": [0.5, 0.25]}
    heights = wandb.Table(data=[[i, i * 0.5] for i in range(10)], columns=["step", "height"])
    back = _logged("h", wandb.plot.histogram(heights, value="height", title="My Histogram"))
    assert (back.chart, back.fields, back.title) == ("histogram", {"value": "height"}, "My Histogram")
    assert back.column("value") == [i * 0.5 for i in range(10)]


def test_line_series_one_x_for_all_or_one_per_series() -> None:
    xs = list(range(4))
    ys = [[i for i in range(4)], [i**2 for i in range(4)]]
    back = _logged("powers", wandb.plot.line_series(xs, ys, title="title", xname="step"))
    assert back.fields == {"x": "step", "y": "lineVal", "stroke": "lineKey"} and back.axes == {"x": "step"}
    frame = back.to_pandas()
    assert list(frame.columns) == ["step", "lineKey", "lineVal"]
    assert frame.values.tolist() == [[0, "line_0", 0], [1, "line_0", 1], [2, "line_0", 2], [3, "line_0", 3],
                                     [0, "line_1", 0], [1, "line_1", 1], [2, "line_1", 4], [3, "line_1", 9]]
    each = wandb.plot.line_series([[0, 1], [0, 2]], [[5, 6], [7, 8]], keys=["a", "b"])
    assert each.to_pandas().values.tolist() == [[0, "a", 5], [1, "a", 6], [0, "b", 7], [2, "b", 8]]
    with pytest.raises(ValueError, match="number of keys \\(1\\) must match the number of y-series \\(2\\)"):
        wandb.plot.line_series(xs, ys, keys=["only one"])
    with pytest.raises(ValueError, match="x-series \\(3\\) must match"):
        wandb.plot.line_series([[0], [1], [2]], ys)


def test_confusion_matrix_from_preds_or_probs() -> None:
    # with class_names: labels are indexes; rows are (actual, predicted) in class order
    back = _logged("cm", wandb.plot.confusion_matrix(y_true=[0, 1, 1, 2], preds=[0, 1, 0, 2],
                                                     class_names=["cat", "dog", "bird"], title="CM"))
    assert back.fields == {"actual": "Actual", "predicted": "Predicted", "count": "nPredictions"}
    counts = {(a, p): n for a, p, n in back.to_pandas().values.tolist()}
    assert len(counts) == 9 and counts[("cat", "cat")] == 1 and counts[("dog", "dog")] == 1
    assert counts[("dog", "cat")] == 1 and counts[("bird", "bird")] == 1 and sum(counts.values()) == 4
    # probs: the arg-max; without class_names the sorted distinct labels become Class_1, Class_2, …
    probs = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]
    chart = wandb.plot.confusion_matrix(probs=probs, y_true=[0, 1, 1])
    assert chart.title == "Confusion Matrix Curve"  # W&B's default title
    assert chart.to_pandas().values.tolist() == [["Class_1", "Class_1", 1], ["Class_1", "Class_2", 0],
                                                 ["Class_2", "Class_1", 1], ["Class_2", "Class_2", 1]]
    labels = wandb.plot.confusion_matrix(y_true=["b", "a"], preds=["a", "a"])  # sorted: a → Class_1
    assert labels.to_pandas().values.tolist() == [["Class_1", "Class_1", 1], ["Class_1", "Class_2", 0],
                                                  ["Class_2", "Class_1", 1], ["Class_2", "Class_2", 0]]


def _wandb_pr_reference(y: Any, probas: Any, classes: Any, interp_size: int = 21) -> dict[Any, list[float]]:
    """W&B's pr_curve on scikit-learn: precision_recall_curve, the running best precision from full recall
    down, read at the first point reaching each recall level (from 1 down to 0)."""
    from sklearn.metrics import precision_recall_curve

    levels = np.linspace(0, 1, interp_size)[::-1]
    out = {}
    for i, c in enumerate(classes):
        precision, recall, _ = precision_recall_curve(y, probas[:, i], pos_label=c)
        precision = np.maximum.accumulate(precision)[::-1]
        out[c] = np.round(precision[np.searchsorted(recall[::-1], levels, side="left")], 3).tolist()
    return out


def test_pr_curve_is_what_wandb_computes() -> None:
    pytest.importorskip("sklearn")
    back = _logged("pr", wandb.plot.pr_curve(Y_TRUE, Y_PROBAS, labels=["cat", "dog", "bird"]))
    assert back.fields == {"x": "recall", "y": "precision", "stroke": "class"}
    assert back.title == "Precision-Recall Curve"
    assert back.axes == {"x": "Recall", "y": "Precision"}
    frame = back.to_pandas()
    assert list(frame.columns) == ["class", "precision", "recall"] and len(frame) == 3 * 21
    reference = _wandb_pr_reference(Y_TRUE, Y_PROBAS, [0, 1, 2])
    for c, name in enumerate(["cat", "dog", "bird"]):
        rows = frame[frame["class"] == name]
        assert rows["precision"].tolist() == reference[c]
        assert rows["recall"].tolist() == np.round(np.linspace(0, 1, 21)[::-1], 3).tolist()
    some = wandb.plot.pr_curve(Y_TRUE, Y_PROBAS, classes_to_plot=[2], interp_size=5)
    assert set(some.to_pandas()["class"]) == {2} and len(some.to_pandas()) == 5  # no labels: the class itself


def test_roc_curve_is_what_wandb_computes() -> None:
    pytest.importorskip("sklearn")
    from sklearn.metrics import roc_curve

    text_labels = np.array(["ant", "bee", "cat"])[Y_TRUE]  # string labels: column i is the i-th sorted label
    back = _logged("roc", wandb.plot.roc_curve(text_labels, Y_PROBAS))
    assert back.fields == {"x": "fpr", "y": "tpr", "stroke": "class"} and back.title == "ROC Curve"
    frame = back.to_pandas()
    for i, c in enumerate(["ant", "bee", "cat"]):
        fpr, tpr, _ = roc_curve(text_labels, Y_PROBAS[:, i], pos_label=c)  # drop_intermediate=True, as W&B
        rows = frame[frame["class"] == c]
        assert rows["fpr"].tolist() == np.round(fpr, 3).tolist() and rows["tpr"].tolist() == np.round(tpr, 3).tolist()
    binary = wandb.plot.roc_curve([0, 0, 1, 1], [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]],
                                  labels=["no", "yes"], classes_to_plot=[1])
    # by hand: scores of "yes" 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-) → corners (0,0) (0,.5) (.5,.5) (.5,1) (1,1)
    assert binary.to_pandas().values.tolist() == [["yes", 0.0, 0.0], ["yes", 0.0, 0.5], ["yes", 0.5, 0.5],
                                                  ["yes", 0.5, 1.0], ["yes", 1.0, 1.0]]


def test_a_test_set_without_one_class_keeps_every_other_class_on_its_own_column() -> None:
    pytest.importorskip("sklearn")
    from sklearn.metrics import roc_curve

    present = Y_TRUE != 1  # the "dog" class (column 1) never occurs in this split
    truth, probas = Y_TRUE[present], Y_PROBAS[present]
    frame = wandb.plot.roc_curve(truth, probas, labels=["cat", "dog", "bird"]).to_pandas()
    assert set(frame["class"]) == {"cat", "bird"}
    fpr, tpr = roc_curve(truth, probas[:, 2], pos_label=2)[:2]  # bird is scored by column 2, not column 1
    bird = frame[frame["class"] == "bird"]
    assert bird["fpr"].tolist() == np.round(fpr, 3).tolist() and bird["tpr"].tolist() == np.round(tpr, 3).tolist()
    pr = wandb.plot.pr_curve(truth, probas, labels=["cat", "dog", "bird"]).to_pandas()
    assert pr[pr["class"] == "bird"]["precision"].tolist() == _wandb_pr_reference(truth, probas[:, [0, 2]], [0, 2])[2]


def test_bad_input_is_refused_saying_what_to_give() -> None:
    table = wandb.Table(data=[[1, 2]], columns=["a", "b"])
    with pytest.raises(ValueError, match=r"y='c' is not a column of the table; its columns are \['a', 'b'\]"):
        wandb.plot.line(table, "a", "c")
    with pytest.raises(TypeError, match=r"must be a jt\.Table"):
        wandb.plot.scatter([[1, 2]], "a", "b")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probs or preds, not both"):
        wandb.plot.confusion_matrix(probs=[[1.0, 0.0]], y_true=[0], preds=[0])
    with pytest.raises(ValueError, match="preds holds 3, which is not a class index 0 … 1"):
        wandb.plot.confusion_matrix(y_true=[0, 1], preds=[0, 3], class_names=["a", "b"])
    with pytest.raises(ValueError, match="2 predictions for 3 true labels"):
        wandb.plot.confusion_matrix(y_true=[0, 1, 1], preds=[0, 1])
    with pytest.raises(ValueError, match=r"y_probas must be \(samples, classes\).*column_stack"):
        wandb.plot.roc_curve([0, 1, 1], [0.2, 0.7, 0.9])
    with pytest.raises(ValueError, match="give y_true \\(labels\\) and y_probas"):
        wandb.plot.pr_curve(Y_TRUE)


def test_every_chart_draws_as_svg_with_its_text_escaped() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    table = wandb.Table(data=[[1.0, 2.0, hostile], [2.0, 1.0, "b"]], columns=["x", "y", "s"])
    charts = {
        "line": wandb.plot.line(table, "x", "y", stroke="s", title=hostile),
        "scatter": wandb.plot.scatter(table, "x", "y"),
        "bar": wandb.plot.bar(table, "s", "y"),
        "histogram": wandb.plot.histogram(table, "x"),
        "line_series": wandb.plot.line_series([0, 1], [[1, 2]], keys=[hostile]),
        "confusion_matrix": wandb.plot.confusion_matrix(y_true=[0, 1], preds=[1, 1], class_names=[hostile, "b"]),
        "pr_curve": wandb.plot.pr_curve(Y_TRUE, Y_PROBAS),
        "roc_curve": wandb.plot.roc_curve(Y_TRUE, Y_PROBAS),
    }
    for kind, chart in charts.items():
        html = chart_html(hostile, chart)
        assert f'data-chart="{kind}"' in html and html.count("<svg") == 1, kind
        assert "<img" not in html and "&lt;img src=x" in html, kind
    cm = chart_html("cm", charts["confusion_matrix"])
    assert cm.count("<rect") == 4 and ">1</text>" in cm  # a cell per (actual, predicted) pair, counts written in
    many = wandb.Table(data=RNG.normal(size=(20_000, 2)).tolist(), columns=["a", "b"])
    drawn = chart_html("big", wandb.plot.scatter(many, "a", "b"))
    assert len(re.findall("h0", drawn)) == SCATTER_POINTS and len(drawn) < 40_000  # bounded for saved notebooks


def test_live_panel_and_static_view_show_logged_charts() -> None:
    run = wandb.init(project="plots", display=False)
    panel = RunPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id, interval=0.05)
    feeder.start()
    run.on_finish(feeder.finish)
    run.log({"loss": 1.0, "cm": wandb.plot.confusion_matrix(y_true=[0, 1], preds=[0, 1], class_names=["a", "b"])})
    deadline = time.monotonic() + 30  # the feeder looks for charts about once a second
    while "cm" not in panel.charts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert panel.charts["cm"]["step"] == 0 and 'data-chart="confusion_matrix"' in panel.charts["cm"]["html"]
    run.log({"cm": wandb.plot.bar(wandb.Table(data=[["x", 1]], columns=["l", "v"]), "l", "v")})  # logged again
    run.finish()
    assert wait_for(lambda: panel.state == "finished")  # the final view comes once the run is stored
    assert panel.charts["cm"]["step"] == 1 and 'data-chart="bar"' in panel.charts["cm"]["html"]
    static = feeder.static_html()
    assert 'data-chart="bar"' in static and static.count("<svg") == 2  # the loss curve and the chart


@pytest.mark.usefixtures("backend")
def test_compare_shows_the_same_chart_key_of_each_run_side_by_side() -> None:
    paths = []
    for n, preds in enumerate(([0, 1, 1], [1, 1, 1], [0, 0, 1])):
        run = wandb.init(project="cmp-plots", name=f"run{n}", display=False)
        run.log({"acc": 1.0, "cm": wandb.plot.confusion_matrix(y_true=[0, 1, 1], preds=preds)})
        if n == 0:
            run.log({"only-one": wandb.plot.line(wandb.Table(data=[[1, 2]], columns=["a", "b"]), "a", "b")})
        run.finish()
        paths.append(run.path)
    widget = compare(paths)
    assert [c["key"] for c in widget.charts] == ["cm"]  # a key that one run logged is not compared
    [cm] = widget.charts
    assert cm["runs"] == 3 and [c["name"] for c in cm["charts"]] == ["run0", "run1", "run2"]
    assert [c["color"] for c in cm["charts"]] == [r["color"] for r in widget.runs]  # the runs' colours
    assert all('data-chart="confusion_matrix"' in c["html"] and ">run" in c["html"] for c in cm["charts"])
