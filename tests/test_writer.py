"""The background writer: durability without flush(), back-pressure, and no loss across write failures."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_track as jt
from jupyter_track import settings
from jupyter_track.errors import StoreError
from jupyter_track.store import open_store, sql_engine, tap, writer_for
from jupyter_track.store.buffer import count as _count
from tests.conftest import wait_for
from tests.stores import count_points, note_inserts, sql, writes_blocked

pytestmark = pytest.mark.usefixtures("backend")


def test_logged_points_become_durable_without_flush(store_dir: Path) -> None:
    run = jt.init(project="p")
    for i in range(1000):
        run.log({"x": float(i)})
    # the writer's own interval (0.5 s) makes them durable; no flush(), finish() or exit is involved
    assert wait_for(lambda: count_points(run.id, "x") == 1000, timeout=30)  # the first batch also makes the store
    for i in range(1000, 2000):
        run.log({"x": float(i)})
    # on a store that exists, well within 20 intervals even on a loaded machine (a writer that only wrote at
    # exit, or every 20 s, fails here); the interval itself is the benchmark's to show
    assert wait_for(lambda: count_points(run.id, "x") == 2000, timeout=10)


def test_full_buffer_applies_back_pressure_instead_of_dropping(store_dir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BUFFER_POINTS", "64")
    run = jt.init(project="p")
    writer = writer_for(open_store().url)
    assert writer.capacity == 64
    run.flush()  # the run's row exists: the block below stalls its points, not its creation
    done = threading.Event()

    def produce() -> None:
        for i in range(2000):
            run.log({"x": float(i)})
        done.set()

    with writes_blocked():  # the writer cannot commit until this is released
        thread = threading.Thread(target=produce)
        thread.start()
        # with the store locked the producer must stall once the buffer is full …
        assert not done.wait(1.5)
        buffered = writer._runs[run.id].buffer.points()
        assert 0 < buffered <= 64
    # … and carry on once the writer can drain again, losing nothing
    assert done.wait(30)
    thread.join()
    run.finish()
    assert count_points(run.id, "x") == 2000


def test_back_pressure_counts_logged_values_so_wide_calls_stay_within_the_bound(
        store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BUFFER_POINTS", "5000")
    run = jt.init(project="p")
    run.flush()  # the run's row exists: the block below stalls its points, not its creation
    buf = writer_for(open_store().url)._runs[run.id].buffer
    keys = [f"k{j}" for j in range(1000)]
    most = 0  # the most values ever held in the run's buffer (it only grows by this thread's log() calls)
    logged = 0
    done = threading.Event()

    def produce() -> None:
        nonlocal most, logged
        for i in range(40):
            run.log({k: float(i) for k in keys})
            logged += 1
            with buf.lock:
                most = max(most, _count(buf.items))
        done.set()

    with writes_blocked():  # another connection holds the store's lock: the writer cannot commit meanwhile
        thread = threading.Thread(target=produce)
        thread.start()
        assert not done.wait(1.5)  # the producer stalled: its calls wait for room …
        stalled_at = logged
        assert stalled_at < 40
    assert done.wait(60)  # … and carry on once the writer can drain again
    thread.join()
    run.finish()
    assert 1000 <= most <= 5000, f"{most} values were buffered; the bound is 5000 (5 calls of 1,000 keys)"
    assert all(count_points(run.id, k) == 40 for k in keys[::97])
    assert sum(len(jt.load_run(run.path).metric(k).values) for k in keys) == 40_000  # nothing lost


def test_the_old_buffer_variable_is_read_as_a_bound_in_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BUFFER_SIZE", "64")
    with pytest.warns(FutureWarning, match="JUPYTER_TRACK_BUFFER_SIZE is deprecated.*JUPYTER_TRACK_BUFFER_POINTS"):
        assert settings.buffer_points() == 64
    monkeypatch.setenv("JUPYTER_TRACK_BUFFER_POINTS", "128")  # the new name wins, without a warning
    assert settings.buffer_points() == 128


def test_write_failure_keeps_the_data_and_flush_reports_it(store_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_engine, "BUSY_TIMEOUT_MS", 100)
    run = jt.init(project="p")
    run.log({"x": 1.0})
    run.flush()
    with writes_blocked():
        for i in range(2, 6):
            run.log({"x": float(i)})
        with pytest.raises(StoreError, match=r"4 logged points .* not saved yet.*kept in memory"):
            run.flush()
    run.finish()  # retried: now everything lands
    assert jt.load_run(run.path).metric("x").values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_one_writer_thread_serves_every_run_of_a_store() -> None:
    a = jt.init(project="p", reinit="create_new")
    b = jt.init(project="p", reinit="create_new")
    names = [t.name for t in threading.enumerate() if t.name == "jupyter_track-writer"]
    assert len(names) == 1
    a.log({"x": 1.0})
    b.log({"x": 2.0})
    a.finish()
    b.finish()
    assert jt.load_run(a.path).summary["x"] == 1.0 and jt.load_run(b.path).summary["x"] == 2.0


def _writer_is_in_write_batch() -> bool:
    """The writer thread is inside a store's ``write_batch`` now (waiting on a lock, when one is held)."""
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1) if thread.name == "jupyter_track-writer" else None
        while frame is not None:
            if frame.f_code.co_name == "write_batch":
                return True
            frame = frame.f_back
    return False


def test_a_second_init_does_not_wait_for_a_write_stuck_on_a_locked_store() -> None:
    # init() registered its run under the lock the writer held across the whole write: while another connection
    # held the store's write lock, a second init() waited as long as the write did (up to the 60 s busy timeout)
    first = jt.init(project="p")
    first.log({"x": 1.0})
    first.flush()
    started: list[jt.Run] = []
    second = threading.Thread(target=lambda: started.append(jt.init(project="p", reinit="create_new")))
    with writes_blocked(points_only=True):  # SQLite: the whole file; PostgreSQL: the tables points go to
        first.log({"x": 2.0})
        assert wait_for(_writer_is_in_write_batch, timeout=30)  # the writer now waits on the lock
        second.start()
        # a bound on blocking, not a timing: the lock is held until init() returns, or 20 s. (On SQLite, init()'s
        # own attempt to make the run's row gives up after 5 s; the writer makes it later.)
        second.join(timeout=20)
        returned_while_locked = not second.is_alive()
    second.join()
    assert returned_while_locked, "init() waited for the writer's stuck write"
    [run] = started
    run.log({"y": 3.0})
    run.finish()
    first.finish()
    assert jt.load_run(first.path).metric("x").values.tolist() == [1.0, 2.0]
    assert jt.load_run(run.path).summary["y"] == 3.0


def test_flush_while_another_thread_logs_never_reports_unsaved_data() -> None:
    # flush() must not mistake a batch the writer is committing at that moment for one a failed write left
    run = jt.init(project="p")
    stop = threading.Event()

    def keep_logging() -> None:
        i = 0
        while not stop.is_set():
            run.log({"x": float(i)})
            i += 1

    thread = threading.Thread(target=keep_logging)
    thread.start()
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            run.flush()  # raised "0 logged points … not saved yet: None" before the fix, now and then
    finally:
        stop.set()
        thread.join()
    run.finish()
    assert jt.load_run(run.path).summary_stats["x"]["count"] == jt.load_run(run.path).last_step + 1


def test_a_record_the_store_cannot_hold_is_dropped_alone_and_its_finish_says_so() -> None:
    good = jt.init(project="p", reinit="create_new")
    bad = jt.init(project="p", reinit="create_new")
    for i in range(1000):
        good.log({"x": float(i)})
        bad.log({"y": float(i)})
        if i == 500:  # log() refuses such a value; the system stream is not checked at the call
            bad.log_system({"system/cpu": 10**400, "system/ram": 1.0})
    good.finish()  # untouched by the other run's bad record (it used to lose all 1000 points and stay running)
    bad.flush()  # finish() hands the last batch over without waiting: it says what was dropped until then
    with pytest.raises(StoreError, match=r"2 logged values were not stored: 'system/cpu' = 1000.*is not a float64"):
        bad.finish()
    kept, dropped_from = jt.load_run(good.path), jt.load_run(bad.path)
    assert kept.state == "finished" and count_points(good.id, "x") == 1000
    assert dropped_from.state == "finished" and count_points(bad.id, "y") == 1000  # only the bad record went
    assert "system/cpu" not in dropped_from.summary_stats


def test_a_run_deleted_while_it_runs_never_blocks_log_and_other_runs_keep_everything(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BUFFER_POINTS", "64")
    victim = jt.init(project="p", reinit="create_new")
    other = jt.init(project="p", reinit="create_new")
    victim.log({"x": 0.0})
    victim.flush()
    store = open_store()
    with pytest.raises(jt.RunIsRunningError, match=r"is running: this process sent its last heartbeat"):
        store.delete_run(victim.id)
    assert store.delete_run(victim.id, force=True)
    taps = {run.id: tap(run.store_url, run.id) for run in (victim, other)}  # a live panel's view of each
    for t in taps.values():
        assert t is not None and t.take({"x"})[0] == []
    done = threading.Event()

    def train() -> None:
        for i in range(5000):
            victim.log({"x": float(i)})
            other.log({"x": float(i)})
        done.set()

    thread = threading.Thread(target=train, daemon=True)
    thread.start()
    # the writer used to retry "FOREIGN KEY constraint failed" forever: log() blocked once 64 calls were buffered
    assert done.wait(60)
    other.finish()
    assert count_points(other.id, "x") == 5000 and jt.load_run(other.path).state == "finished"
    # a batch of both runs that the store refused is written again run by run: the taps are told to read the
    # store, and never get a point that was not stored
    taken = {run_id: t.take({"x"}) for run_id, t in taps.items() if t is not None}
    steps = {run_id: [s for _, part, _, _ in parts for s in part.tolist()] for run_id, (parts, _, _) in taken.items()}
    assert steps[victim.id] == []
    assert steps[other.id] == sorted(set(steps[other.id])) and set(steps[other.id]) <= set(range(5000))
    # … and what the tap has not got it says it missed, for its reader to read from the store
    assert taken[other.id][1] == {"x"} or steps[other.id] == list(range(5000))
    with pytest.raises(StoreError, match="was deleted from the store while it was running"):
        victim.finish()
    with pytest.raises(jt.RunNotFoundError):  # nothing of it came back
        jt.load_run(victim.path)


def test_calls_of_different_key_sets_in_one_batch_read_back_in_order() -> None:
    run = jt.init(project="p")
    expected: dict[str, list[tuple[int, float]]] = {}
    for step in range(300):  # one flush holds calls of several key sets, plain and through normalize()
        data: dict[str, object] = {"loss": step * 0.5}
        if step % 3 == 0:
            data["acc"] = step % 7  # an int
        if step % 5 == 0:
            data["flag"] = step % 2 == 0  # a bool
        if step % 11 == 0:
            data["grad"] = {"norm": np.float32(step)}  # nested, numpy: the general path, flattened
        run.log(data)
        flat = {k: v for k, v in data.items() if k != "grad"}
        if "grad" in data:
            flat["grad/norm"] = float(step)
        for key, value in flat.items():
            expected.setdefault(key, []).append((step, float(value)))  # type: ignore[arg-type]
    run.finish()
    stored = jt.load_run(run.path)
    for key, points in expected.items():
        metric = stored.metric(key)
        assert list(zip(metric.steps.tolist(), metric.values.tolist(), strict=True)) == points, key


def test_the_gil_switch_interval_the_writer_lowers_while_runs_log_is_put_back() -> None:
    # while runs log, the process runs with a 0.1 ms switch interval (a training loop's log() then never waits
    # Python's 5 ms for the GIL at the writer's turns); it is a process-wide setting, so the user's own value must
    # be back once nothing is logged any more: after the flush that found nothing new
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.003)
    try:
        run = jt.init(project="p")
        logged = 0
        deadline = time.monotonic() + 30
        while sys.getswitchinterval() != pytest.approx(0.0001):  # lowered once the writer stored some calls
            assert time.monotonic() < deadline, "the switch interval was not lowered while a run logged"
            for _ in range(100):
                run.log({"x": float(logged), "y": 2.0 * logged})
                logged += 1
            run.flush()
        run.flush()  # the last calls; then a flush with no call since the last one puts it back
        run.flush()
        assert sys.getswitchinterval() == pytest.approx(0.003)
        run.log({"x": 1.0, "y": 2.0})
        run.finish()
        run.flush()
        run.flush()
        assert count_points(run.id, "y") == logged + 1
        assert sys.getswitchinterval() == pytest.approx(0.003)
    finally:
        sys.setswitchinterval(before)


def test_wide_rows_split_by_other_records_pack_into_the_logged_values_in_order() -> None:
    # several Rows records of one key set in one flush (a system sample or a summary op between them starts a
    # new one) and a record of another key set: the (keys × calls) matrix is built in pages of its own, each
    # record copied into its place; every key's column must be its values in logging order
    from jupyter_track.store.buffer import Rows
    from jupyter_track.store.heap import MAPPED_MIN
    from jupyter_track.store.packing import _point_columns

    keys = tuple(f"m{j}" for j in range(64))
    rng = np.random.default_rng(0)
    values = rng.normal(size=(600, len(keys)))
    values[5, 3], values[7, 0], values[9, 63] = np.nan, np.inf, -0.0
    records: list[Rows] = []
    for lo, hi in ((0, 250), (250, 260), (260, 600)):
        rows = Rows(keys)
        for call in range(lo, hi):
            rows.data += np.array([call], "<i8").tobytes() + np.array([call * 0.5], "<f8").tobytes()
            rows.data += values[call].astype("<f8").tobytes()
        records.append(rows)
    assert values.nbytes >= MAPPED_MIN  # the mapped path, not numpy.empty
    steps, columns, stats = _point_columns(records)
    assert steps.tolist() == list(range(600))
    assert [c[0] for c in columns] == list(keys)
    for j, (_, s, v, t) in enumerate(columns):
        assert s.tolist() == list(range(600)) and t.tolist() == [i * 0.5 for i in range(600)]
        assert v.tobytes() == values[:, j].astype("<f8").tobytes()  # bit for bit: NaN, inf, -0.0
    # the summary's statistics of every key, made in one pass over the matrix, are those of its own column (the
    # same bits: the sum adds in the same order; min and max leave NaN out)
    assert stats is not None
    expected = [(np.fmin.reduce(c), np.fmax.reduce(c), c[-1], np.sum(c)) for c in values.T]
    assert np.array(stats).tobytes() == np.array(expected).tobytes()
    assert stats[3][:2] == (values[:, 3][~np.isnan(values[:, 3])].min(), values[:, 3][~np.isnan(values[:, 3])].max())
    assert np.isnan(stats[3][3]) and stats[0][1] == np.inf

    other = Rows(("loss",))
    other.data += np.array([600], "<i8").tobytes() + np.array([1.0, 2.5], "<f8").tobytes()
    steps, columns, stats = _point_columns([*records, other])  # mixed key sets: grouped, then in logging order
    assert stats is None  # each key summarised from its own column
    by_key = {key: (s, v) for key, s, v, _ in columns}
    assert by_key["loss"][0].tolist() == [600] and by_key["loss"][1].tolist() == [2.5]
    assert by_key["m3"][1].tobytes() == values[:, 3].astype("<f8").tobytes()


def test_a_loop_that_speeds_up_between_slow_stretches_keeps_every_point() -> None:
    # slow flushes leave small chunks that a later merge rewrites as one; a fast stretch in between (compiled,
    # warmed up) writes a large chunk of its own, which that merge must not take for one of the small ones
    from jupyter_track.store.packing import MERGE_AFTER, MERGE_BELOW

    run = jt.init(project="p")
    logged: list[float] = []

    def stretch(calls: int) -> None:
        for _ in range(calls):
            logged.append(float(len(logged)))
            run.log({"loss": logged[-1]})
        run.flush()

    for _ in range(3):
        stretch(5)
    stretch(4 * MERGE_BELOW)
    for _ in range(MERGE_AFTER + 4):
        stretch(5)
    run.finish()
    assert jt.load_run(run.path).metric("loss").values.tolist() == logged


def test_a_wide_run_holds_at_most_its_open_points_bound_and_keeps_every_point(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks stay open in the writer's memory until a fold merges them: with many keys, the bound on the
    # run's open points (all keys together) folds the tail early and keeps no chunk open, so memory does not grow
    # with the width. Scaled down: a bound of 3,000 points, 100 keys, flushes of 7 steps (700 open points each).
    from jupyter_track.store import packing

    monkeypatch.setattr(packing, "OPEN_MAX", 3000)
    run = jt.init(project="p")
    run.flush()
    state = writer_for(open_store().url)._runs[run.id]
    keys = [f"layer{j:03d}/grad" for j in range(100)]
    logged: dict[str, list[float]] = {k: [] for k in keys}
    held = []  # the open points after each flush
    for flush in range(12):
        for step in range(7):
            values = {k: flush * 100.0 + step + j / 1000 for j, k in enumerate(keys)}
            run.log(values)
            for k, v in values.items():
                logged[k].append(v)
        run.flush()
        held.append(sum(state.open_points.values()))
    assert max(held) < 3000  # folded once the bound was reached (without it: 8,400 points after 12 flushes)
    assert held[:4] == [700, 1400, 2100, 2800] and held[4] == 0  # the fold at 3,500 kept no chunk open
    run.finish()
    stored = jt.load_run(run.path)
    frame = stored.history()
    assert len(frame) == 84
    for k in keys:
        assert frame[k].tolist() == logged[k], k
    assert sql("SELECT count(*) FROM metric_tails") == [(0,)]


def test_a_fold_that_could_not_be_packed_loses_only_its_own_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # A slow loop's points wait in tail rows until a fold merges them into one chunk per key and deletes the rows.
    # A fold that fails half-way (here the encoder runs out of memory at its second key) drops its batch's records
    # and says so; the tail points written before it must still be there once a later fold deletes their rows.
    from jupyter_track.store import chunk_codec
    from jupyter_track.store.packing import MERGE_AFTER

    run = jt.init(project="p")
    steps: list[float] = []  # a's value at each step (b logs its negative)
    kept: list[float] = []

    def slow_flush(stored: bool = True) -> None:
        for _ in range(2):
            steps.append(float(len(steps)))
            run.log({"a": steps[-1], "b": -steps[-1]})
            if stored:
                kept.append(steps[-1])
        run.flush()

    for _ in range(MERGE_AFTER - 1):  # tail rows, up to the one that folds them
        slow_flush()
    encode, calls = chunk_codec.encode, []

    def out_of_memory_at_the_second_key(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise MemoryError
        return encode(*args, **kwargs)

    monkeypatch.setattr(chunk_codec, "encode", out_of_memory_at_the_second_key)
    slow_flush(stored=False)  # this batch begins the fold, which fails: its 2 calls (4 values) are dropped
    assert len(calls) == 2
    monkeypatch.setattr(chunk_codec, "encode", encode)
    for _ in range(3):  # the next fold, which deletes every tail row, then more slow flushes
        slow_flush()
    with pytest.raises(StoreError, match=r"4 logged values were not stored: they could not be prepared \(MemoryError"):
        run.finish()
    stored = jt.load_run(run.path)
    assert stored.metric("a").values.tolist() == kept
    assert stored.metric("b").values.tolist() == [-v for v in kept]


def test_keys_logged_together_share_their_encoded_steps_and_times_and_read_back_exactly() -> None:
    # the writer encodes the steps and times of keys logged together once per batch (and merges their small
    # chunks' steps and times once): every key must still read back what it logged, and each chunk row must
    # hold exactly the bytes encoding that key alone gives; keys logged together store equal steps and times
    from jupyter_track.store.chunk_codec import decode, encode
    from jupyter_track.store.packing import CHUNK_MAX, MERGE_AFTER

    run = jt.init(project="p")
    run.flush()
    together = [f"w{j:02d}" for j in range(40)]
    logged: dict[str, list[tuple[int, float]]] = {}

    def log(data: dict[str, float], step: int) -> None:
        run.log(data, step=step)
        for key, value in data.items():
            logged.setdefault(key, []).append((step, value))

    step = 0
    for flush in range(MERGE_AFTER + 3):  # slow: flushes of 2 calls, small chunks that the 16th merges …
        if flush == 0:  # … "late" alone at first, then with the others: merged with them, from other chunks
            log({"late": -1.0}, step=step)
            step += 1
        for _ in range(2):
            log({k: step + j / 64 for j, k in enumerate(together + ["late"] * bool(flush))}, step=step)
            step += 1
        run.flush()
    for _ in range(300):  # two key sets in one flush, "w00" in both: its steps and times put back in order
        log({k: step * 0.25 + j for j, k in enumerate(together)}, step=step)
        log({"w00": -float(step), "lone": float(step)}, step=step + 1)
        step += 2
    run.flush()
    special = [np.nan, np.inf, -np.inf, -0.0, 5e-324, 1e308]
    with writes_blocked():  # everything logged meanwhile goes in one or two batches: one has > CHUNK_MAX calls
        for i in range(2 * CHUNK_MAX + 10):
            log({"a": float(i), "b": special[i % 6], "c": i * 1e-3}, step=step)
            step += 1
    run.finish()

    stored = jt.load_run(run.path)
    times: dict[str, dict[int, float]] = {}
    for key, points in logged.items():
        metric = stored.metric(key)
        assert metric.steps.tolist() == [s for s, _ in points], key
        assert metric.values.tobytes() == np.array([v for _, v in points], "<f8").tobytes(), key
        times[key] = dict(zip(metric.steps.tolist(), metric.times.tolist(), strict=True))
    for s, t in times["w00"].items():  # its points carry the wall time of the call that logged them
        assert t == (times["w01"][s] if s in times["w01"] else times["lone"][s]), s
    rows = sql("SELECT key, seq, n, encoding, steps, \"values\", times FROM metric_chunks WHERE run_id = :r",
               r=run.id)
    by_seq: dict[tuple[str, int], tuple[bytes, bytes]] = {}
    for key, seq, n, encoding, s, v, t in rows:
        s, v, t = bytes(s), bytes(v), bytes(t)
        assert encode(*decode(encoding, n, s, v, t)) == (encoding, s, v, t), (key, seq)
        by_seq[key, seq] = (s, t)
    for seq in {seq for key, seq in by_seq if key == "w01"}:
        assert len({by_seq[k, seq] for k in together[1:]}) == 1, seq  # w00 was logged in two key sets
    assert {by_seq["a", seq] for seq in {q for k, q in by_seq if k == "a"}} \
        == {by_seq["c", seq] for seq in {q for k, q in by_seq if k == "c"}}
    assert max(n for key, _, n, *_ in rows if key == "a") == CHUNK_MAX  # a batch was cut into chunks
    assert any(n > MERGE_AFTER for key, _, n, *_ in rows if key == "w01")  # the small chunks were merged


def test_a_tap_hands_over_each_committed_point_of_the_keys_it_wants_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The live panel of a run logging in this process takes the new points from the writer (a tap) instead of
    # decoding them back from the store: every committed point once, in order; none that a failed write holds
    # back or that could not be packed; and the keys whose points it missed, which the panel reads from the store.
    from jupyter_track.store import chunk_codec, taps

    def points(parts: list[Any]) -> dict[str, tuple[list[int], list[float]]]:
        got: dict[str, tuple[list[int], list[float]]] = {}
        for key, steps, values, times in parts:
            assert len(steps) == len(values) == len(times)
            s, v = got.setdefault(key, ([], []))
            s += steps.tolist()
            v += values.tolist()
        return got

    run = jt.init(project="p")
    assert tap(run.store_url, "not-a-run-of-this-process") is None
    t = tap(run.store_url, run.id)  # made before the run's first point: it has all of them
    assert t is not None
    for i in range(2):
        run.log({"a": float(i), "b": -float(i)})
    run.flush()
    parts, missed, whole = t.take({"a"})  # from now on, "a" only
    assert points(parts) == {"a": ([0, 1], [0.0, 1.0]), "b": ([0, 1], [-0.0, -1.0])} and missed == set() and whole
    late = tap(run.store_url, run.id)  # made once points were packed: its parts are not the whole run
    assert late is not None
    run.log({"a": 2.0, "b": -2.0})
    run.flush()
    parts, missed, whole = t.take({"a"})
    assert points(parts) == {"a": ([2], [2.0])} and missed == set() and not whole
    assert t.take({"a"}) == ([], set(), False)  # taken once
    parts, missed, whole = late.take({"a"})  # every key until asked for some
    assert points(parts) == {"a": ([2], [2.0]), "b": ([2], [-2.0])} and missed == set() and not whole
    late.close()

    with writes_blocked():  # packed for "a" alone, then not committed
        run.log({"a": 3.0, "b": -3.0})
        with pytest.raises(StoreError):
            run.flush()
        assert t.take({"a", "b"}) == ([], set(), False)
    run.flush()  # committed now: "b" was wanted meanwhile, and this batch has none of its points
    parts, missed, _ = t.take({"a", "b"})
    assert points(parts) == {"a": ([3], [3.0])} and missed == {"b"}
    run.log({"a": 4.0, "b": -4.0})
    run.flush()
    parts, missed, _ = t.take({"a", "b"})
    assert points(parts) == {"a": ([4], [4.0]), "b": ([4], [-4.0])} and missed == set()

    monkeypatch.setattr(taps, "TAP_MAX", 5)  # more than a tap holds: it keeps none, and every key is missed
    for i in range(5, 8):
        run.log({"a": float(i), "b": -float(i)})
    run.flush()
    assert t.take({"a", "b"}) == ([], {"a", "b"}, False)

    encode = chunk_codec.encode

    def out_of_memory(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(chunk_codec, "encode", out_of_memory)
    run.log({"a": 8.0, "b": -8.0})  # dropped, as it could not be packed: not the tap's either
    run.flush()
    monkeypatch.setattr(chunk_codec, "encode", encode)
    assert t.take({"a", "b"}) == ([], set(), False)
    t.close()
    run.log({"a": 9.0, "b": -9.0})
    run.flush()
    assert t.take({"a", "b"}) == ([], set(), False)
    with pytest.raises(StoreError, match="2 logged values were not stored"):
        run.finish()
    # a finished run has no tap, once finish() has handed the run's last steps over (with the capture still
    # running they go on another thread, which closes the run in the writer a moment later)
    assert wait_for(lambda: tap(run.store_url, run.id) is None)
    assert jt.load_run(run.path).metric("a").steps.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 9]


def test_an_idle_runs_system_samples_are_committed_with_its_heartbeat_and_all_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_track.store import packing

    monkeypatch.setenv("JUPYTER_TRACK_FLUSH_INTERVAL", "0.1")
    monkeypatch.setattr(packing, "HEARTBEAT_EVERY", 1.0)
    run = jt.init(project="p", capture="none")  # the samples come from this test, as the monitor's thread sends them
    run.log({"loss": 1.0})
    run.flush()
    tails = note_inserts("metric_tails", "seq")  # a commit with samples writes one tail row
    for i in range(30):  # idle: 30 samples over 3 s or more, and as many flushes of the writer
        run.log_system({"system/cpu": float(i)})
        time.sleep(0.1)
    commits = len(tails())
    assert 1 <= commits <= 5, commits  # each at a heartbeat (1 s here), not one a sample
    run.log_system({"system/cpu": 30.0})
    run.flush()  # waits for what the run holds: the samples not committed yet too
    stored = jt.load_run(run.path).history(stream="system")
    assert stored["_step"].tolist() == list(range(31))
    assert stored["system/cpu"].tolist() == [float(i) for i in range(31)]
    run.log({"loss": 0.5})  # logging: the samples go with the points at each flush
    run.finish()
    assert jt.load_run(run.path).metric("loss").values.tolist() == [1.0, 0.5]
