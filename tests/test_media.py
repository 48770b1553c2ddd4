"""Media types: every accepted image input, histograms, HTML and figures, logged and read back through the store."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.media import image as image_module


def _roundtrip(key: str, value: Any) -> list[tuple[int, float, Any]]:
    run = jt.init(project="media")
    run.log({key: value})
    run.finish()
    return jt.load_run(run.path).media(key)


def _rgb(h: int = 12, w: int = 20) -> np.ndarray[Any, Any]:
    return np.random.default_rng(0).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_hwc_uint8_round_trips_through_the_store_pixel_for_pixel() -> None:
    x = _rgb()
    [(step, _, img)] = _roundtrip("img", jt.Image(x, caption="a cat"))
    assert step == 0 and (img.width, img.height) == (20, 12) and img.caption == "a cat"
    assert np.array_equal(img.to_numpy(), x)


def test_chw_is_detected_and_transposed() -> None:
    x = _rgb()
    [(_, _, img)] = _roundtrip("img", jt.Image(np.moveaxis(x, -1, 0)))
    assert np.array_equal(img.to_numpy(), x)


def test_greyscale_hw_and_hw1_become_mode_l() -> None:
    g = np.arange(12 * 20, dtype=np.uint8).reshape(12, 20)
    assert np.array_equal(_roundtrip("g", jt.Image(g))[0][2].to_numpy(), g)
    img = jt.Image(g[..., None])
    assert img.to_pil().mode == "L" and np.array_equal(img.to_numpy(), g)


def test_float_in_unit_range_is_scaled_by_255_and_other_ranges_as_wandb_does() -> None:
    f = np.linspace(0, 1, 12 * 20 * 3).reshape(12, 20, 3)
    assert np.array_equal(jt.Image(f).to_numpy(), np.rint(f * 255).astype(np.uint8))
    signed = jt.Image(np.array([[-1.0, 0.0, 1.0]])).to_numpy()  # min < 0: min-max scaled
    assert signed.tolist() == [[0, 128, 255]]
    big = jt.Image(np.array([[0.0, 100.0, 300.0]])).to_numpy()  # max > 1: taken as 0..255, clipped
    assert big.tolist() == [[0, 100, 255]]
    assert jt.Image(np.array([[np.nan, 1.0]])).to_numpy().tolist() == [[0, 255]]


def test_pil_image_and_file_path_round_trip(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    x = _rgb()
    pil = PILImage.fromarray(x)
    assert np.array_equal(_roundtrip("pil", jt.Image(pil))[0][2].to_numpy(), x)
    path = tmp_path / "x.png"
    pil.save(path)
    [(_, _, img)] = _roundtrip("file", jt.Image(path))
    assert img.encoded == path.read_bytes() and img.format == "png"  # the file's own bytes are kept
    assert np.array_equal(img.to_numpy(), x)
    jpg = tmp_path / "x.jpg"
    pil.save(jpg, quality=95)
    assert jt.Image(str(jpg)).format == "jpeg"


def test_torch_tensor_chw_is_detached_and_converted() -> None:
    torch = pytest.importorskip("torch")
    x = _rgb()
    t = torch.tensor(np.moveaxis(x, -1, 0), dtype=torch.float32, requires_grad=True) / 255
    [(_, _, img)] = _roundtrip("t", jt.Image(t))
    assert np.array_equal(img.to_numpy(), x)


def test_thumbnail_fits_the_box_and_small_images_are_their_own_thumbnail() -> None:
    big = np.zeros((300, 600, 3), dtype=np.uint8)
    [(_, _, img)] = _roundtrip("big", jt.Image(big))
    from PIL import Image as PILImage

    thumb = PILImage.open(io.BytesIO(img.thumbnail))
    assert thumb.size == (image_module.THUMB_SIZE, image_module.THUMB_SIZE // 2)
    small = jt.Image(_rgb())
    _, data = small.to_logged(lambda b: "x" * 64)
    assert data["sha"] == data["thumb"]


def test_same_image_logged_twice_is_stored_once(store_dir: Path) -> None:
    run = jt.init(project="media")
    x = _rgb(64, 64)
    run.log({"a": jt.Image(x)})
    run.log({"a": jt.Image(x.copy()), "b": jt.Image(x)})
    run.finish()
    logged = jt.load_run(run.path).media("a")
    assert [s for s, _, _ in logged] == [0, 1] and logged[0][2].sha == logged[1][2].sha
    blob_files = [p for p in (store_dir / "blobs").rglob("*") if p.is_file()]
    assert len(blob_files) == 1


def test_oversized_image_raises_naming_the_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(image_module, "MAX_PIXELS", 100)
    with pytest.raises(ValueError, match="MAX_PIXELS"):
        jt.Image(np.zeros((11, 10), dtype=np.uint8))
    monkeypatch.setattr(image_module, "MAX_FILE_BYTES", 10)
    path = tmp_path / "x.png"
    path.write_bytes(b"x" * 11)
    with pytest.raises(ValueError, match="MAX_FILE_BYTES"):
        jt.Image(path)


def test_bad_image_input_gets_a_clear_error() -> None:
    with pytest.raises(ValueError, match="HW, HWC or CHW"):
        jt.Image(np.zeros((5, 7, 9)))
    with pytest.raises(ValueError, match="list"):
        jt.Image(np.zeros((2, 3, 8, 8)))
    with pytest.raises(ValueError, match="file_type"):
        jt.Image(_rgb(), file_type="tiff2")


def test_list_of_images_is_one_row_of_kind_images() -> None:
    run = jt.init(project="media")
    run.log({"batch": [jt.Image(_rgb()), jt.Image(_rgb() // 2)]})
    run.finish()
    stored = jt.load_run(run.path)
    [(_, _, images)] = stored.media("batch")
    assert len(images) == 2 and np.array_equal(images[1].to_numpy(), _rgb() // 2)
    assert stored.store.read_objects(stored.id, "batch")[0].kind == "images"


def test_histogram_from_sequence_numpy_and_np_histogram() -> None:
    h = jt.Histogram([1, 2, 2, 3], num_bins=4)
    assert h.histogram == [1, 0, 2, 1] and h.bins == [1.0, 1.5, 2.0, 2.5, 3.0]
    counts, edges = np.histogram(np.arange(10), bins=5)
    [(_, _, back)] = _roundtrip("h", jt.Histogram(np_histogram=(counts, edges)))
    assert back.histogram == counts.tolist() and back.bins == edges.tolist()
    with pytest.raises(ValueError, match="512"):
        jt.Histogram(np.arange(10), num_bins=513)
    with pytest.raises(ValueError, match="bin edges"):
        jt.Histogram(np_histogram=([1, 2], [0, 1]))


def test_histogram_drops_nan_and_inf_and_counts_them() -> None:
    h = jt.Histogram([1.0, np.nan, np.inf, -np.inf, np.nan, 2.0])
    assert sum(h.histogram) == 2 and h.dropped == {"nan": 2, "inf": 1, "-inf": 1}
    [(_, _, back)] = _roundtrip("h", h)
    assert back.dropped == h.dropped


def test_histogram_from_torch_tensor() -> None:
    torch = pytest.importorskip("torch")
    h = jt.Histogram(torch.arange(8, dtype=torch.float32, requires_grad=True), num_bins=8)
    assert h.histogram == [1] * 8


def test_history_holds_media_as_logged_dicts() -> None:
    run = jt.init(project="media")
    run.log({"loss": 1.0, "h": jt.Histogram([1, 2])})
    run.log({"loss": 0.5})
    run.finish()
    frame = jt.load_run(run.path).history()
    assert frame["h"][0]["values"][0] == 1 and frame["h"][1] is None


def test_html_is_stored_verbatim(tmp_path: Path) -> None:
    text = "<h1>hi</h1><script>alert(1)</script>"
    [(_, _, html)] = _roundtrip("page", jt.Html(text))
    assert html.html == text
    path = tmp_path / "page.html"
    path.write_text(text)
    assert jt.Html(path).html == text and jt.Html(str(path)).html == text


def test_plotly_figure_logged_directly_and_wrapped() -> None:
    go = pytest.importorskip("plotly.graph_objects")
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[4, 5, 6]))
    run = jt.init(project="media")
    run.log({"direct": fig, "wrapped": jt.Plotly(fig)})
    run.finish()
    stored = jt.load_run(run.path)
    for key in ("direct", "wrapped"):
        [(_, _, plot)] = stored.media(key)
        assert list(plot.to_dict()["data"][0]["y"]) == [4, 5, 6]
        assert list(plot.to_figure().data[0].x) == [1, 2, 3]


def test_matplotlib_figure_is_stored_as_an_image() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [0, 1])
    run = jt.init(project="media")
    run.log({"fig": fig, "wrapped": jt.Image(fig, caption="line"), "pyplot": plt})
    run.finish()
    stored = jt.load_run(run.path)
    for key in ("fig", "wrapped", "pyplot"):
        [(_, _, img)] = stored.media(key)
        assert (img.width, img.height) == (100, 50) and img.format == "png"
    plt.close(fig)


def test_media_need_an_active_run_and_non_media_still_fail_clearly() -> None:
    from jupyter_track.values import normalize

    with pytest.raises(TypeError, match="needs an active run"):
        normalize({"img": jt.Image(_rgb())})
    run = jt.init(project="media")
    with pytest.raises(TypeError, match=r"only lists of jt\.Image"):
        run.log({"mixed": [jt.Image(_rgb()), jt.Histogram([1])]})


def test_import_stays_light_until_media_are_used() -> None:
    from tests.conftest import run_python

    out = run_python("""
        import sys
        import jupyter_track as jt
        assert callable(jt.watch) and jt.Image.__name__ == "Image"
        print([m for m in ("PIL", "plotly", "matplotlib", "torch", "pandas") if m in sys.modules])
    """).stdout.strip()
    assert out == "[]"
