"""The live run panel, kernel side: downsampling, throttled incremental updates, the final state, notebook
weight and the static fallback (nbclient + nbconvert). The browser side is in tests/ui/."""

from __future__ import annotations

import json
import math
import struct
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track.analysis.downsample import Downsampler, thin
from jupyter_track.widgets.run_panel import (
    BYTES_PER_UPDATE,
    POINTS_PER_SERIES,
    SNAPSHOT_POINTS,
    TOP_KEYS,
    Feeder,
    RunPanel,
)
from tests.conftest import wait_for


def test_downsampling_bounds_points_keeps_spikes_and_gaps() -> None:
    ds = Downsampler(limit=100)
    n = 1_000_000
    steps = np.arange(n)
    values = np.sin(steps / 1000.0)
    values[777_777] = 50.0  # a spike survives any bucket width
    values[300_000:320_000] = np.nan  # longer than a bucket: a gap
    for lo in range(0, n, 7919):  # uneven chunks, as the store yields them
        ds.extend(steps[lo:lo + 7919], values[lo:lo + 7919], steps[lo:lo + 7919] * 0.001)
    s, v, _ = ds.points()
    assert len(s) <= 2 * 100 + 1 and s[0] < ds.width and s[-1] == n - 1  # the whole range, newest point last
    assert np.all(np.diff(s) > 0) and np.nanmax(v) == 50.0 and np.isnan(v).any()
    assert ds.width >= n // 200 and ds.generation > 0


def test_streamed_chunks_keep_the_extremes_of_every_stretch() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=50_000)
    steps = np.arange(len(values))
    ds = Downsampler(64)
    for lo in range(0, len(values), 1234):
        ds.extend(steps[lo:lo + 1234], values[lo:lo + 1234], steps[lo:lo + 1234])
    s, v, _ = ds.points()
    assert len(s) <= 2 * 64 + 1 and ds.count == len(values)
    assert v.max() == values.max() and v.min() == values.min()
    assert np.array_equal(v, values[s.astype(int)])  # real points, not interpolations
    # no stretch of the series is skipped: consecutive kept points are at most two bucket widths apart
    assert np.diff(s).max() <= 2 * ds.width


def test_a_series_streamed_in_parts_of_any_size_keeps_what_one_pass_keeps() -> None:
    # The open bucket keeps only its extremes (and first NaN) between parts: with ties, NaN and ±inf among the
    # values, parts of 1 to 3 buckets' length give the points a single pass gives.
    rng = np.random.default_rng(7)
    n, width = 20_000, 37
    values = np.round(rng.normal(size=n), 1)  # ties
    odd = rng.random(n)
    values[odd < 0.05] = np.nan
    values[(odd >= 0.05) & (odd < 0.07)] = np.inf
    values[(odd >= 0.07) & (odd < 0.09)] = -np.inf
    values[5_000:5_100] = np.nan  # a bucket of NaN alone
    steps = np.arange(n)
    whole = Downsampler(10_000, width=width)
    whole.extend(steps, values, steps * 0.5)
    parts = Downsampler(10_000, width=width)
    lo = 0
    while lo < n:
        hi = lo + int(rng.integers(1, 3 * width))
        parts.extend(steps[lo:hi], values[lo:hi], steps[lo:hi] * 0.5)
        lo = hi
        if lo % width:  # the open bucket's newest point is the last one logged
            assert parts.points()[0][-1] == min(lo, n) - 1 and parts.open
    for a, b in zip(whole.points(), parts.points(), strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    assert whole.points()[0].size > 2 * (n // width) * 0.9  # the extremes of every bucket (a flat one: 1 point)


def test_thin_bounds_a_whole_series_in_one_pass_keeping_spikes() -> None:
    steps = np.arange(100_003)
    values = np.cos(steps / 500.0)
    values[12_345] = -9.0
    s, v, t = thin(steps, values, steps * 0.5, 201)
    assert len(s) <= 201 and s[0] == 0 and s[-1] == 100_002 and v.min() == -9.0
    assert np.array_equal(v, values[s.astype(int)]) and np.array_equal(t, s * 0.5)
    given = (steps[:10], values[:10], steps[:10])
    assert all(a is b for a, b in zip(thin(*given, 201), given, strict=True))  # short: as given


class RecordingPanel(RunPanel):
    """A panel with no frontend attached that keeps what the kernel sends it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.messages: list[tuple[float, dict[str, Any], list[bytes]]] = []

    def send(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        self.messages.append((time.monotonic(), content, list(buffers or [])))


def decode_snapshot(raw: bytes) -> dict[str, tuple[Any, Any, Any]]:
    (length,) = struct.unpack("<I", raw[:4])
    header = json.loads(raw[4:4 + length])
    offset, out = 4 + length, {}
    for key, n in header["keys"]:
        arrays = []
        for _ in range(3):
            arrays.append(np.frombuffer(raw[offset:offset + 4 * n], dtype="<f4"))
            offset += 4 * n
        out[key] = tuple(arrays)
    return out


def test_feeder_sends_only_new_points_throttled_and_bounded_while_logging() -> None:
    run = jt.init(project="panel", display=False)
    panel = RecordingPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id)
    feeder.start()
    run.on_finish(feeder.finish)
    started = time.monotonic()
    for i in range(300_000):
        run.log({"train/loss": 1.0 / (i + 1), "train/acc": i / 300_000, "val/x": math.nan if i == 123 else i})
        if i % 50_000 == 0:
            time.sleep(0.3)  # let a few updates go out while the loop runs
        if i == 150_000:
            # Halfway, an update must have come while the run is still logging. How soon depends on the
            # machine's load (the writer and the feeder open a new store first, and the feeder keeps to 2 % of
            # the time), so the loop waits for it rather than racing it.
            deadline = time.monotonic() + 30
            while not panel.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            assert panel.messages, "no update reached the panel within 30 s while the run was logging"
    loop_ended = time.monotonic()
    run.finish()
    assert wait_for(lambda: panel.state == "finished")  # the final view comes once the run is stored
    elapsed = time.monotonic() - started
    times = [t for t, _, _ in panel.messages]
    assert any(t < loop_ended for t in times) and len(times) >= 2  # during the loop, and the final one
    assert len(times) <= elapsed * 4 + 2  # ≤ 4 updates a second (+ the final one)
    for _, content, buffers in panel.messages:
        assert content["type"] == "series" and len(buffers) == 3 * len(content["entries"])
        for i in range(len(content["entries"])):
            assert len(buffers[3 * i]) // 8 <= 2 * POINTS_PER_SERIES + 1
    # bytes stay bounded: far below sending every point (300k steps × 3 series × 24 bytes = 21.6 MB)
    assert feeder.bytes_sent < 1_500_000
    assert panel.state == "finished" and panel.summary["train/acc"] == pytest.approx(299_999 / 300_000)
    snapshot = decode_snapshot(panel.snapshot)
    assert set(snapshot) == {"train/loss", "train/acc", "val/x"}
    assert sum(len(s) for s, _, _ in snapshot.values()) <= SNAPSHOT_POINTS + 3
    steps, values, _ = snapshot["train/acc"]
    assert steps[-1] == 299_999 and values[-1] == pytest.approx(1.0, abs=1e-4)


def test_a_wide_run_streams_its_top_keys_in_bounded_updates_and_a_picked_key_joins() -> None:
    keys = [f"layer{j // 10}/m{j}" for j in range(999)] + ["train/loss"]
    run = jt.init(project="panel", display=False)
    step = 0

    def log(steps: int) -> None:
        nonlocal step
        for _ in range(steps):
            run.log({k: step + j / 1000 for j, k in enumerate(keys)})
            step += 1
        run.flush()  # durable: the next update reads them

    log(2000)
    panel = RecordingPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id)

    def update() -> dict[str, list[tuple[bool, Any]]]:
        """One update (at most one look a second: forced here, as a second has gone by), what it sent by key."""
        sent = len(panel.messages)
        feeder._looked_at = -math.inf
        feeder.tick()
        got: dict[str, list[tuple[bool, Any]]] = {}
        for _, content, buffers in panel.messages[sent:]:
            assert sum(len(b) for b in buffers) <= max(BYTES_PER_UPDATE, 24 * (2 * POINTS_PER_SERIES + 1))
            for i, entry in enumerate(content["entries"]):
                got.setdefault(entry["key"], []).append((entry["replace"], np.frombuffer(buffers[3 * i], "<f8")))
        return got

    first = update()  # the whole run so far, of the keys shown only
    assert len(panel.all_keys) == 1000 and len(panel.shown) == TOP_KEYS and "train/loss" in panel.shown
    assert set(first) == set(panel.shown)
    for _ in range(5):
        log(50)
        new = update()
        assert set(new) <= set(panel.shown) and new  # appends of the new steps, no other key
        assert all(len(steps) <= 51 for parts in new.values() for _, steps in parts)
    assert sum(len(b) for _, _, bufs in panel.messages for b in bufs) < 1_000_000
    assert "layer50/m500" not in panel.shown
    panel.picked = {"layer50/m500": True, "train/loss": False}  # what the panel's key picker sets
    got = update()
    assert "layer50/m500" in panel.shown and "train/loss" not in panel.shown
    (replace, steps), = got["layer50/m500"]
    assert replace and steps[0] == 0 and steps[-1] == step - 1  # its whole series, downsampled
    log(30)
    got = update()
    (replace, steps), = got["layer50/m500"]  # …then it streams like the others
    assert not replace and steps[-1] == step - 1 and len(steps) <= 31 and "train/loss" not in got
    run.finish()
    feeder.finish("finished", {}, time.time())
    assert set(decode_snapshot(panel.snapshot)) == set(panel.shown)
    panel.picked = {**panel.picked, "layer99/m998": True}  # picked in a finished panel: read from the store
    steps, _, _ = decode_snapshot(panel.snapshot)["layer99/m998"]
    assert steps[0] == 0 and steps[-1] == step - 1


def test_key_marks_tell_the_panel_which_keys_moved_and_which_are_numbers(store_url: str) -> None:
    from jupyter_track.store import open_store
    from jupyter_track.store.base import Store

    run = jt.init(project="panel", display=False)
    for i in range(3):
        run.log({"loss": 1.0 / (i + 1), "gap": math.nan, "note": f"epoch {i}", "n": i})
    run.summary["best"] = 0.5  # set, never logged
    run.flush()
    store = open_store(run.store_url)
    marks = store.key_marks(run.id)
    assert marks == {"loss": (3, 2, True), "gap": (3, 2, True), "n": (3, 2, True), "note": (3, 2, False),
                     "best": (0, None, True)}
    assert marks == Store.key_marks(store, run.id)  # the one query says what the run's summary says
    run.finish()


def test_series_after_reads_each_key_from_its_own_cursor(store_url: str) -> None:
    from jupyter_track.store import open_store
    from jupyter_track.store.base import Store

    run = jt.init(project="panel", display=False)
    for i in range(300):
        run.log({"loss": 1.0 / (i + 1), "acc": i / 300})
        if i % 100 == 0:
            run.log_system({"system/cpu": float(i)})  # steps 0, 1, 2: a sample count, far behind the loop's
        if i % 50 == 49:
            run.flush()  # several chunk rows per key
    run.flush()
    store = open_store(run.store_url)
    cursors = {"loss": 249, "acc": None, "system/cpu": 0, "nothing": None, "done": 10**12}
    found = store.read_series_after(run.id, cursors)
    assert set(found) == {"loss", "acc", "system/cpu"}  # keys with points after their cursor only
    assert found["loss"].steps.tolist() == list(range(250, 300)) and found["loss"].values[0] == 1 / 251
    assert found["acc"].steps.tolist() == list(range(300))
    assert found["system/cpu"].steps.tolist() == [1, 2] and found["system/cpu"].values.tolist() == [100.0, 200.0]
    base = Store.read_series_after(store, run.id, cursors)  # what the per-key reads of any store say
    assert {k: (s.steps.tolist(), s.values.tolist(), s.times.tolist()) for k, s in found.items()} == \
        {k: (s.steps.tolist(), s.values.tolist(), s.times.tolist()) for k, s in base.items()}
    run.finish()
    wide = jt.init(project="panel", display=False)  # more keys and cursors than one query's parameters hold
    for i in range(12):
        wide.log({f"w{j}": float(i * j) for j in range(1500)})
    wide.finish()
    cursors = {f"w{j}": None if j % 13 == 0 else j % 400 - 1 for j in range(1500)}
    found = open_store(wide.store_url).read_series_after(wide.id, cursors)  # opened again: the finish is in it
    expected = {k: list(range(12)) if a is None else list(range(a + 1, 12)) for k, a in cursors.items()}
    assert {k: s.steps.tolist() for k, s in found.items()} == {k: v for k, v in expected.items() if v}
    assert found["w1"].values.tolist() == [float(i) for i in range(1, 12)]
    assert found["w402"].values.tolist() == [float(i * 402) for i in range(2, 12)]


def shown_series(panel: RecordingPanel) -> dict[str, tuple[list[float], list[float]]]:
    """Each series as the frontend has it after the messages sent so far (run_panel.js's handling of them)."""
    series: dict[str, tuple[list[float], list[float], bool]] = {}
    for _, content, buffers in panel.messages:
        for i, entry in enumerate(content["entries"]):
            s, v = (np.frombuffer(buffers[3 * i + j], "<f8").tolist() for j in (0, 1))
            old = series.get(entry["key"])
            if old is None or entry["replace"]:
                series[entry["key"]] = (s, v, entry["open"])
                continue
            if old[2]:  # the open bucket's newest point, superseded
                del old[0][-1], old[1][-1]
            series[entry["key"]] = (old[0] + s, old[1] + v, entry["open"])
    return {k: (s, v) for k, (s, v, _) in series.items()}


def test_the_panel_shows_every_point_across_chunk_merges_late_keys_a_finish_and_a_resume() -> None:
    odd = [math.nan, math.inf, -math.inf, -0.0, 2.0**60, 1e-310]
    logged: dict[str, dict[int, float]] = {}

    def log(run: Any, row: dict[str, float]) -> None:
        step = run.step
        run.log(row)
        for k, v in row.items():
            logged.setdefault(k, {})[step] = v

    def check(panel: RecordingPanel) -> None:
        got = shown_series(panel)
        assert set(got) == set(logged)
        for key, points in logged.items():
            steps, values = got[key]
            assert steps == sorted(points), key  # every point once, in order: none lost, none twice
            assert np.array_equal(values, [points[int(s)] for s in steps], equal_nan=True), key

    run = jt.init(project="panel", display=False)
    panel = RecordingPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id)
    for flush in range(45):  # a few points a flush: small chunk rows, which the writer merges every 16
        for i in range(4):
            row = {"train/loss": odd[(flush + i) % len(odd)] if i == 1 else 1.0 / (run.step + 1)}
            if flush >= 20:
                row["val/late"] = float(flush * 10 + i)  # a key that first appears late
            log(run, row)
        if flush % 7 == 0:
            run.log_system({"system/cpu": float(flush)})  # another step axis: sample numbers
            logged.setdefault("system/cpu", {})[flush // 7] = float(flush)
        run.flush()
        if flush % 3:  # an update every few flushes, some between a merge's chunks and the merge
            feeder._looked_at = -math.inf
            feeder.tick()
            check(panel)  # from the writer's tap (and the store for keys new to the panel): all so far
    assert feeder._tap is not None  # the run logs in this process: its points came from the tap
    log(run, {"train/loss": 0.5})  # not yet durable at the last update: the finish reads it
    run.finish()
    feeder.finish("finished", {}, time.time())
    assert panel.state == "finished"
    check(panel)
    snapshot = decode_snapshot(panel.snapshot)  # the final state saved with the notebook: every point too
    assert snapshot["val/late"][0].tolist() == sorted(logged["val/late"])

    again = jt.init(project="panel", id=run.id, resume="must", display=False)  # a resumed run's new panel
    panel = RecordingPanel(run_name=again.name, run_path=again.path, started_at=again.start_time)
    feeder = Feeder(panel, again.store_url, again.id)
    feeder.tick()
    for _ in range(3):
        for _ in range(5):
            log(again, {"train/loss": float(again.step), "val/late": -1.0})
        again.flush()
        feeder._looked_at = -math.inf
        feeder.tick()
    again.finish()
    feeder.finish("finished", {}, time.time())
    check(panel)


def test_a_panel_shown_with_its_run_gets_every_point_from_the_writer_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # A panel started with its run (as init() shows it) takes every point from the writer's tap as it is stored,
    # never decoding the run's series back from the store while it runs; it still shows each point once.
    from jupyter_track.store.sql_series import SeriesSQL

    read: list[str] = []
    read_series_after = SeriesSQL.read_series_after

    def reading(self: Any, run_id: str, cursors: Any) -> Any:
        read.extend(cursors)
        return read_series_after(self, run_id, cursors)

    monkeypatch.setattr(SeriesSQL, "read_series_after", reading)
    run = jt.init(project="panel", display=False, capture="none")
    panel = RecordingPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id)
    feeder.start()
    run.on_finish(feeder.finish)
    for flush in range(10):
        for i in range(40):
            run.log({"train/loss": 1.0 / (run.step + 1), "acc": math.nan if i == 7 else float(flush)})
        run.flush()
        time.sleep(0.1)  # updates come every 0.25 s: some between these flushes
    assert wait_for(lambda: len(panel.messages) >= 2)
    assert read == []  # while it ran: from the tap alone
    run.finish()
    assert wait_for(lambda: panel.state == "finished")
    got = shown_series(panel)
    assert got["train/loss"][0] == list(range(400))  # every point: none downsampled below 1,000 a series
    assert np.array_equal(got["train/loss"][1], 1.0 / np.arange(1, 401))
    assert np.array_equal(got["acc"][1], np.repeat(np.arange(10.0), 40) + np.where(
        np.arange(400) % 40 == 7, np.nan, 0.0), equal_nan=True)


def test_an_update_whose_store_read_fails_loses_none_of_the_points_it_took_from_the_tap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_track.store.sql_series import SeriesSQL

    run = jt.init(project="panel", display=False, capture="none")
    panel = RecordingPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id)
    for i in range(5):
        run.log({"a": float(i)})
    run.flush()
    feeder.tick()  # "a" read from the store; the tap, made now, hands over its next points
    for i in range(5, 10):
        run.log({"a": float(i)})
    run.log({"a": 10.0, "b": 1.0})  # a new key: the next update reads it from the store …
    run.flush()
    read_series_after = SeriesSQL.read_series_after

    def busy(self: Any, run_id: str, cursors: Any) -> Any:
        monkeypatch.setattr(SeriesSQL, "read_series_after", read_series_after)
        raise OSError("the store is busy")

    monkeypatch.setattr(SeriesSQL, "read_series_after", busy)
    feeder._looked_at = -math.inf
    with pytest.raises(OSError):
        feeder.tick()  # … which fails, after taking "a"'s points from the tap
    feeder.tick()
    got = shown_series(panel)
    assert got["a"] == (list(map(float, range(11))), list(map(float, range(11))))
    assert got["b"] == ([10.0], [1.0])
    run.finish()


def test_finished_panel_is_final_and_static_html_escapes_names() -> None:
    run = jt.init(project="panel", display=False)
    for i in range(100):
        run.log({"<img src=x onerror=alert(1)>": float(i), "loss": 1.0 / (i + 1)})
    run.finish()
    panel = RecordingPanel(run_name=run.name, run_path=run.path, started_at=run.start_time)
    feeder = Feeder(panel, run.store_url, run.id)
    feeder.finish("finished", {"loss": 0.01}, time.time())  # what run.display() does for a finished run
    html = feeder.static_html()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<svg") == 2 and "polyline" in html


EXECUTE = """
import math
import jupyter_track as jt
run = jt.init(project="nb-panel", config={"lr": 0.1})
for i in range(200_000):
    run.log({"train/loss": 1 / (i + 1), "train/acc": i / 200_000, "val/x": math.nan if i % 5_000 == 7 else i})
run.finish()
"""


@pytest.mark.slow
def test_saved_notebook_stays_light_and_exports_the_charts(tmp_path: Path, store_dir: Path) -> None:
    from nbconvert import HTMLExporter

    from tests.test_notebooks import execute_cell

    nb, growth = execute_cell(EXECUTE, store_dir, tmp_path)
    print(f"saved notebook grows by {growth:,} bytes for one run panel")
    assert growth <= 100_000
    widget, static = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    assert "application/vnd.jupyter.widget-view+json" in widget.data
    assert "data:image/svg+xml" in static.data["text/html"] and 'class="jt-static"' in static.data["text/html"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    panels = [w for w in state.values() if w["state"].get("run_path")]
    assert len(panels) == 1 and panels[0]["state"]["state"] == "finished"
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "train/loss" in html and "%3Cpolyline" in html  # the static charts (images), for viewers without widgets


def test_no_panel_outside_a_notebook_frontend(capsys: pytest.CaptureFixture[str]) -> None:
    run = jt.init(project="panel", display=True)  # plain Python: nothing can show a widget
    assert run.display() is None
    assert "jupyter_track-panel" not in [t.name for t in threading.enumerate()]
    assert "RunPanel" not in capsys.readouterr().out  # no widget repr printed instead
