"""jt.Table: building, pandas round trips, filter and search, media cells, and logging a large table."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_track as jt
from tests.stores import blob_ids

pytestmark = pytest.mark.usefixtures("backend")

XSS = "<img src=x onerror=alert(1)>"


def _predictions() -> jt.Table:
    table = jt.Table(columns=["id", "label", "prediction", "score"])
    table.add_data(0, "cat", "cat", 0.9)
    table.add_data(1, "dog", "cat", 0.4)
    table.add_data(2, "Dog", "dog", 0.8)
    return table


def test_add_data_add_column_get_column_and_len() -> None:
    table = _predictions()
    table.add_column("note", ["a", None, XSS])
    assert len(table) == 3 and table.columns == ["id", "label", "prediction", "score", "note"]
    assert table.get_column("label") == ["cat", "dog", "Dog"]
    assert table.get_column("score", convert_to="numpy").dtype == np.float64
    with pytest.raises(ValueError, match="2 values for 5 columns"):
        table.add_data(1, 2)
    with pytest.raises(ValueError, match="2 values for 3 rows"):
        table.add_column("x", [1, 2])
    with pytest.raises(KeyError, match="no column"):
        table.get_column("nope")
    built = jt.Table(columns=[])
    built.add_column("a", [1, 2])
    assert built.data == [[1], [2]]


def test_constructed_from_data_rows_numpy_and_dataframe() -> None:
    assert jt.Table(columns=["a", "b"], data=[[1, 2], [3, 4]]).data == [[1, 2], [3, 4]]
    assert jt.Table(columns=["a", "b"], rows=[(1, 2)]).data == [[1, 2]]
    assert jt.Table(columns=["a", "b"], data=np.arange(4).reshape(2, 2)).data == [[0, 1], [2, 3]]
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    table = jt.Table(dataframe=frame)
    assert table.columns == ["x", "y"] and table.data == [[1, "a"], [2, "b"]]
    pd.testing.assert_frame_equal(table.to_pandas(), frame)
    assert jt.Table(data=[[1, 2, 3]]).columns == ["Input", "Output", "Expected"]


def test_filter_evaluates_a_pandas_query_and_search_is_case_insensitive() -> None:
    table = _predictions()
    wrong = table.filter("label != prediction")
    assert wrong.get_column("id") == [1, 2]
    assert table.filter_rows("score > 0.5 and label == 'cat'") == [0]
    assert table.search_rows("DOG") == [1, 2] and table.search("dog").get_column("id") == [1, 2]
    assert table.search("zebra").data == []


def test_bad_filter_expression_gets_a_clear_error() -> None:
    table = _predictions()
    with pytest.raises(ValueError, match=r"Table\.filter.*columns"):
        table.filter("label !=")
    with pytest.raises(ValueError, match=r"Table\.filter"):
        table.filter("no_such_column > 1")


def test_logged_table_round_trips_with_media_cells_and_raw_text() -> None:
    image = np.random.default_rng(1).integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    table = jt.Table(columns=["img", "hist", "text", "flag", "n", "missing"])
    table.add_data(jt.Image(image, caption="c"), jt.Histogram([1, 2, 3]), XSS, True, np.int64(3), None)
    table.add_data(None, None, "plain", False, 2.5, None)
    run = jt.init(project="tables")
    run.log({"preds": table})
    run.finish()
    stored = jt.load_run(run.path)
    back = stored.table("preds")
    assert back.columns == table.columns and len(back) == 2
    img, hist, text, flag, n, missing = back.data[0]
    assert np.array_equal(img.to_numpy(), image) and img.caption == "c"
    assert hist.histogram[0] == 1 and text == XSS and flag is True and n == 3 and missing is None
    assert back.data[1][2:5] == ["plain", False, 2.5]
    summary = stored.summary["preds"]
    assert summary["nrows"] == 2 and summary["ncols"] == 6
    assert summary["column_types"] == ["image", "histogram", "string", "bool", "number", "none"]
    assert stored.history()["preds"][0]["sha"] == summary["sha"]


def test_table_at_a_given_step_and_missing_table() -> None:
    run = jt.init(project="tables")
    run.log({"t": jt.Table(columns=["a"], data=[[1]])})
    run.log({"t": jt.Table(columns=["a"], data=[[2]])})
    run.finish()
    stored = jt.load_run(run.path)
    assert stored.table("t").data == [[2]] and stored.table("t", step=0).data == [[1]]
    assert [s for s, _, _ in stored.media("t")] == [0, 1]
    with pytest.raises(KeyError, match="no table"):
        stored.table("nope")


def test_unsupported_cell_names_row_and_column_when_it_is_added() -> None:
    with pytest.raises(TypeError, match=r"cell \(0, 'a'\) is a builtins.dict"):
        jt.Table(columns=["a"], data=[[{"x": 1}]])
    table = jt.Table(columns=["a", "b"], data=[[1, "x"]])
    with pytest.raises(TypeError, match=r"cell \(1, 'b'\)"):
        table.add_data(2, object())
    assert table.data == [[1, "x"]]  # the refused row was not added
    table.data.append([3, {"x": 1}])  # put in directly: refused when logged, naming the cell
    run = jt.init(project="tables")
    with pytest.raises(TypeError, match=r"cell \(1, 'b'\)"):
        run.log({"t": table})


def test_numpy_array_cells_and_computed_columns_round_trip_through_a_run_and_an_artifact() -> None:
    """W&B's model-evaluation example: a column of 28×28×1 arrays, an image column computed from it, the table put
    in an artifact and read back with ``artifact.get(name).get_column(..., convert_to="numpy")``."""
    rng = np.random.default_rng(0)
    x = rng.random((30, 28, 28, 1)).astype("float32")
    table = jt.Table(data=[], columns=[])
    table.add_column("x", x)
    table.add_column("y", rng.integers(0, 10, 30))
    table.add_computed_columns(lambda i, row: {"img": jt.Image(row["x"]), "twice": int(row["y"]) * 2})
    table.add_column("ragged", [np.arange(i % 3 + 2) for i in range(30)])  # shapes differ: a blob each
    assert table.columns == ["x", "y", "img", "twice", "ragged"] and table.column_types()[0] == "ndarray"
    run = jt.init(project="tables")
    run.log({"t": table})
    art = jt.Artifact("ds", "dataset")
    art.add(table, "train_table")
    run.log_artifact(art)
    run.finish()
    for back in (jt.load_run(run.path).table("t"), jt.init(project="tables").use_artifact("ds:latest")
                 .get("train_table")):
        got = back.get_column("x", convert_to="numpy")
        assert got.dtype == np.float32 and np.array_equal(got, x)
        assert back.get_column("twice") == [int(v) * 2 for v in table.get_column("y")]
        assert isinstance(back.get_column("img")[0], jt.Image)
        assert [list(a) for a in back.get_column("ragged")] == [list(range(i % 3 + 2)) for i in range(30)]
    # media files: 30 images, the rows, "x" as one .npy blob (not 30), the 3 distinct "ragged" arrays
    media = [e for e in jt.Api().artifact("tables/ds:latest").files() if e.path.startswith("media/")]
    assert len(media) == 30 + 1 + 1 + 3
    with pytest.raises(TypeError, match=r"cell \(0, 'o'\) is a numpy.ndarray of object"):
        jt.Table(columns=["o"], data=[[np.array([{"a": 1}], dtype=object)]])


def test_ten_thousand_rows_by_twenty_columns_with_a_thousand_images(store_dir: Path) -> None:
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8) for _ in range(500)]
    t0 = time.perf_counter()
    table = jt.Table(columns=["image", "label", "prediction"] + [f"f{i}" for i in range(17)])
    for r in range(10_000):
        cell = jt.Image(pictures[(r // 10) % 500]) if r % 10 == 0 else None  # 1,000 images, 500 distinct
        table.add_data(cell, f"class {r % 7}", f"class {r % 5}", *(float(r + i) for i in range(17)))
    built = time.perf_counter() - t0
    run = jt.init(project="tables")
    t0 = time.perf_counter()
    run.log({"big": table})
    logged = time.perf_counter() - t0
    run.finish()
    t0 = time.perf_counter()
    back = jt.load_run(run.path).table("big")
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    wrong = back.filter("label != prediction")
    filtered = time.perf_counter() - t0
    print(f"\n10,000x20 table with 1,000 images: build {built:.2f} s, log {logged:.2f} s, "
          f"read {read:.2f} s, filter {filtered:.3f} s")
    assert len(back) == 10_000 and len(back.columns) == 20
    assert np.array_equal(back.data[5010][0].to_numpy(), pictures[501 % 500])
    assert 0 < len(wrong) < 10_000
    blob_files = blob_ids()
    assert len(blob_files) == 501  # 500 distinct images (each its own thumbnail) + the table
