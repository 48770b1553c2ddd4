"""Compressed metric chunks (store/chunk_codec.py): bit-exact round trips of edge values, the stored size, and stores
written before chunks were compressed, read and migrated, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jupyter_track as jt
from jupyter_track.store import chunk_codec, open_store
from jupyter_track.store.base import Batch
from jupyter_track.store.chunk_codec import PACK_MIN, PACKED, RAW, decode, encode
from jupyter_track.store.packing import pack_chunk
from jupyter_track.store.revisions import HEAD
from jupyter_track.store.sql import SQLStore
from tests.stores import assert_bits_equal, new_run, sql
from tests.stores import engine as raw_engine

I64_MAX = 2**63 - 1
SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
           1.7976931348623157e308, 1.0]


def nan_with_payload() -> float:
    return float(np.frombuffer(np.uint64(0x7FF8_0000_DEAD_BEEF).tobytes(), dtype="<f8")[0])


def round_trip(steps: np.ndarray, values: np.ndarray, times: np.ndarray) -> int:
    encoding, s, v, t = encode(steps, values, times)
    got = decode(encoding, len(steps), s, v, t)
    for column, want in zip(got, (steps, values, times), strict=True):
        assert_bits_equal(column, want)
    return encoding


EDGE_CASES = {
    "empty": (np.zeros(0, np.int64), np.zeros(0), np.zeros(0)),
    "single point": (np.array([7], np.int64), np.array([nan_with_payload()]), np.array([1.7e9])),
    "special floats": (np.arange(1000, dtype=np.int64), np.resize([*SPECIAL, nan_with_payload()], 1000),
                       np.resize(SPECIAL, 1000)),
    "steps up to 2**63 - 1": (np.arange(I64_MAX - 999, I64_MAX + 1, dtype=np.int64), np.ones(1000),
                              np.full(1000, 1.7e9)),
    "irregular steps across the int64 range": (np.sort(np.random.default_rng(1).integers(-2**63, I64_MAX, 1000)),
                                               np.random.default_rng(2).standard_normal(1000),
                                               np.random.default_rng(3).random(1000)),
    "steps that go back and repeat": (np.array([5, 3, 3, 2**62, -2**63, 0] * 200, np.int64), np.zeros(1200),
                                      np.linspace(-1e300, 1e300, 1200)),
    "wall times stepping by microseconds": (np.arange(0, 4000, 2, dtype=np.int64), np.linspace(0, 1, 2000),
                                            1.7e9 + np.cumsum(np.full(2000, 1.5e-6))),
    # differences that do not compress are kept uncompressed (tag _PLAIN): still differences (found by the
    # property test below: they were read as the steps and times themselves)
    "steps and times of random bits": (np.random.default_rng(4).integers(-2**63, I64_MAX, 1000, dtype=np.int64),
                                       np.ones(1000),
                                       np.random.default_rng(5).integers(0, 2**64 - 1, 1000, np.uint64).view("<f8")),
}


@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_values_round_trip_bit_for_bit(case: str) -> None:
    steps, values, times = EDGE_CASES[case]
    encoding = round_trip(steps, values, times)
    assert encoding == (PACKED if len(steps) >= PACK_MIN else RAW)
    if case == "steps and times of random bits":
        _, s, _, t = encode(steps, values, times)
        assert s[0] == t[0] == chunk_codec._PLAIN


def test_raw_chunks_read_beside_packed_ones_of_the_same_length_whose_differences_are_kept_uncompressed() -> None:
    # a store written before chunks were compressed (RAW at any length) with packed chunks since: read together
    steps, values, times = EDGE_CASES["steps and times of random bits"]
    old = (RAW, 20, steps[:20].tobytes(), values[:20].tobytes(), times[:20].tobytes())
    encoding, s, v, t = encode(steps[20:40], values[20:40], times[20:40])
    assert encoding == PACKED and s[0] == t[0] == chunk_codec._PLAIN
    new = (encoding, 20, s, v, t)
    found = chunk_codec.decode_series([tuple(zip(old, strict=True)), tuple(zip(new, strict=True))], threads=1)
    for (got_s, got_v, got_t), lo in zip(found, (0, 20), strict=True):
        assert_bits_equal(got_s, steps[lo:lo + 20])
        assert_bits_equal(got_v, values[lo:lo + 20])
        assert_bits_equal(got_t, times[lo:lo + 20])


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 3 * PACK_MIN)), st.data())
def test_any_bit_patterns_round_trip(steps: np.ndarray, data: st.DataObject) -> None:
    n = len(steps)
    values = data.draw(hnp.arrays(np.uint64, n)).view("<f8")  # every bit pattern: NaN payloads, subnormals
    times = data.draw(hnp.arrays(np.uint64, n)).view("<f8")
    round_trip(steps, values, times)


def test_a_training_series_takes_under_8_bytes_a_point() -> None:
    rng = np.random.default_rng(0)
    n = 65536
    steps = np.arange(n, dtype=np.int64)
    loss = np.exp(-steps / 20_000) + rng.normal(0, 0.01, n)  # float64 noise: the hardest case for a codec
    times = 1.7e9 + np.cumsum(rng.exponential(5e-6, n))
    _, s, v, t = encode(steps, loss, times)
    assert (len(s) + len(v) + len(t)) / n <= 8
    assert len(s) <= 17  # evenly spaced steps: first and delta


def test_steps_and_times_shared_by_keys_are_encoded_once_into_the_bytes_each_key_would_get() -> None:
    # the writer passes one dict over a batch: keys logged together (the same steps and times array objects)
    # get the very same bytes objects, and those bytes are exactly what encoding each key alone gives
    rng = np.random.default_rng(5)
    even, irregular = np.arange(1000, dtype=np.int64), np.cumsum(rng.integers(1, 9, 1000)).astype(np.int64)
    times = 1.7e9 + np.cumsum(rng.exponential(1e-3, 1000))
    short_steps, short_times = even[:PACK_MIN - 1].copy(), times[:PACK_MIN - 1].copy()  # a raw chunk
    shared: dict[object, object] = {}
    cases = [(steps, rng.normal(size=len(steps)), t) for steps, t in
             ((even, times), (even, times), (irregular, times), (irregular, times), (short_steps, short_times),
              (short_steps, short_times))]
    cases.append((even.copy(), rng.normal(size=1000), times + 1.0))  # equal steps, other objects: encoded anew
    got = [encode(s, v, t, shared) for s, v, t in cases]
    for (s, v, t), mine in zip(cases, got, strict=True):
        assert mine == encode(s, v, t)  # the same bytes as without the dict
        for column, want in zip(decode(mine[0], len(s), *mine[1:]), (s, v, t), strict=True):
            assert_bits_equal(column, want)
    assert got[0][1] is got[1][1] and got[0][3] is got[1][3]  # encoded once, one bytes object
    assert got[2][1] is got[3][1] and got[2][3] is got[0][3]  # times shared with keys of other steps
    assert got[4][0] == RAW and got[4][1] is got[5][1] and got[4][3] is got[5][3]
    assert got[6][1] is not got[0][1] and got[6][3] != got[0][3]


def test_a_tail_row_holds_each_chunk_bit_for_bit_and_the_steps_and_times_of_keys_logged_together_once() -> None:
    from jupyter_track.store import tail_rows

    memo: dict[object, object] = {}
    steps, times = np.arange(40, 60, dtype="<i8"), np.linspace(1e9, 1e9 + 1, 20)
    chunks = [pack_chunk("r", f"k{j}", j, steps, np.full(20, SPECIAL[j % len(SPECIAL)]), times, shared=memo)
              for j in range(30)]
    chunks.append(pack_chunk("r", "alone", 7, np.array([3, 9], "<i8"), np.array([nan_with_payload(), -0.0]),
                             np.array([5.0, 6.0])))
    data = tail_rows.encode(chunks)
    assert len(tail_rows._header(data)[1]["sizes"]) == 2 + len(chunks) + 2  # shared steps and times: once
    got = tail_rows.decode(data)
    assert [(k, q, e, n, f, last, s, v, t) for k, q, e, n, f, last, s, v, t in got] == [
        (c.key, c.seq, c.encoding, c.n, c.first_step, c.last_step, c.steps, c.values, c.times) for c in chunks]
    assert [(k, q) for k, q, *_ in tail_rows.decode(data, lambda key, last: key in ("k3", "alone"))] == \
        [("k3", 3), ("alone", 7)]
    assert tail_rows.keys(data) == [(c.key, c.seq) for c in chunks]
    encoding, n, s, v, t = got[-1][2:4] + got[-1][6:]
    assert_bits_equal(decode(encoding, n, s, v, t)[1], np.array([nan_with_payload(), -0.0]))


def test_unknown_encoding_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"encoding 9 is unknown.*upgrade"):
        decode(9, 1, b"", b"", b"")


# -- in the store, both backends -------------------------------------------------------------------------------
both_backends = pytest.mark.usefixtures("backend")


@both_backends
def test_store_round_trips_edge_values_in_chunks_of_both_encodings() -> None:
    store = open_store()
    batch = Batch(runs=[new_run("r1")])
    for seq, case in enumerate(EDGE_CASES):
        steps, values, times = EDGE_CASES[case]
        if len(steps):
            batch.chunks.append(pack_chunk("r1", "k", seq, steps, values, times))
    store.write_batch(batch)
    got = store.read_series("r1", "k")
    cases = [c for c in EDGE_CASES.values() if len(c[0])]
    for i, column in enumerate((got.steps, got.values, got.times)):
        assert_bits_equal(column, np.concatenate([c[i] for c in cases]))
    encodings = {e for (e,) in sql("SELECT encoding FROM metric_chunks WHERE run_id = 'r1'")}
    assert encodings == {RAW, PACKED}


@both_backends
def test_logged_run_is_stored_compressed_and_reads_back_exactly() -> None:
    run = jt.init(project="p")
    rng = np.random.default_rng(0)
    loss = rng.standard_normal(20_000)
    for step, value in enumerate(loss):
        run.log({"loss": float(value), "lr": 1e-3}, step=3 * step)
    run.finish()
    r = jt.load_run(run.path)
    series = r.metric("loss")
    assert_bits_equal(series.values, loss)
    assert_bits_equal(series.steps, np.arange(0, 60_000, 3))
    assert r.history(keys=["lr"])["lr"].tolist() == [1e-3] * 20_000
    stored = sql("SELECT sum(length(steps) + length(\"values\") + length(times)), sum(n) FROM metric_chunks "
                 "WHERE key = 'lr'")
    assert stored[0][0] / stored[0][1] < 2  # a constant value at even steps: next to nothing


@both_backends
def test_store_written_before_compression_is_migrated_and_its_chunks_read_unchanged(store_url: str) -> None:
    from jupyter_track.store.schema_upgrade import upgrade

    steps, values, times = np.arange(5000, dtype="<i8"), np.random.default_rng(0).random(5000), \
        1.7e9 + np.arange(5000) * 1e-3
    engine = raw_engine(store_url)
    upgrade(engine, "0005_shared_store")  # the schema before 0006_chunk_encoding, raw chunks as it wrote them
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO runs (id, project, name, state, config, meta, created_at, updated_at) "
                             "VALUES ('old', 'p', 'veteran', 'running', '{}', '{}', 1, 2)"))
        for seq, lo in enumerate(range(0, 5000, 2500)):
            hi = lo + 2500
            conn.execute(sa.text('INSERT INTO metric_chunks (run_id, key, seq, n, first_step, last_step, steps, '
                                 '"values", times) VALUES (\'old\', \'loss\', :seq, 2500, :lo, :last, :s, :v, :t)'),
                         {"seq": seq, "lo": lo, "last": hi - 1, "s": steps[lo:hi].tobytes(),
                          "v": values[lo:hi].tobytes(), "t": times[lo:hi].tobytes()})
    engine.dispose()

    store = SQLStore(store_url)  # opening it upgrades the schema
    assert store.schema_revision() == HEAD
    old = store.read_series("old", "loss")
    for got, want in ((old.steps, steps), (old.values, values), (old.times, times)):
        assert_bits_equal(got, want)
    # no chunk was rewritten: the same bytes, marked raw
    assert sql("SELECT encoding, length(\"values\") FROM metric_chunks WHERE run_id = 'old' ORDER BY seq") \
        == [(RAW, 2500 * 8), (RAW, 2500 * 8)]
    # the run goes on: new chunks are compressed, the series reads as one across both layouts
    more = np.arange(5000, 10_000, dtype="<i8")
    store.write_batch(Batch(chunks=[pack_chunk("old", "loss", 2, more, more * 0.5, 1.7e9 + more * 1e-3)]))
    both = store.read_series("old", "loss")
    assert_bits_equal(both.steps, np.arange(10_000))
    assert_bits_equal(both.values[5000:], more * 0.5)
    assert sql("SELECT encoding FROM metric_chunks WHERE run_id = 'old' ORDER BY seq") == [(RAW,), (RAW,), (PACKED,)]
    assert store.read_series("old", "loss", after_step=4999).steps.tolist() == list(range(5000, 10_000))
    store.close()



@both_backends
def test_keys_whose_steps_pack_alike_but_differ_in_length_read_apart() -> None:
    # evenly spaced steps pack to (first, delta) alone: a read that shares decoded columns between keys must
    # still tell 300 steps from 400
    store = open_store()
    batch = Batch(runs=[new_run("r2")])
    for key, n in (("a", 300), ("b", 400), ("c", 400)):
        steps = np.arange(n, dtype=np.int64)
        batch.chunks.append(pack_chunk("r2", key, 0, steps, steps * 1.5 + len(key), np.full(n, 1.7e9)))
    store.write_batch(batch)
    found = store.read_run_series("r2")
    assert {k: len(s.steps) for k, s in found.items()} == {"a": 300, "b": 400, "c": 400}
    assert_bits_equal(found["a"].values, np.arange(300) * 1.5 + 1)
    frame = jt.Api().run("r2").history(keys=["a", "b", "c"])
    assert len(frame) == 400 and frame["a"].isna().sum() == 100
    assert frame["c"].tolist() == list(np.arange(400) * 1.5 + 1)


@both_backends
@pytest.mark.parametrize("split", [False, True], ids=["one thread", "split between two"])
def test_a_read_of_many_keys_gives_each_key_what_it_logged(split: bool, request: pytest.FixtureRequest) -> None:
    # a wide read decodes the keys whose chunks have the same lengths together, a chunk position at a time: keys
    # that mix column layouts at one position (noise stored plain next to compressed values, steps evenly spaced
    # or not, raw tails) and keys that share their steps or times must each read back bit for bit
    workers: list[str] = request.getfixturevalue("split_every_read") if split else []
    rng = np.random.default_rng(7 + split)
    store = open_store()
    batch = Batch(runs=[new_run("wide")])
    lengths = (300, 200, 5)  # the last chunk is raw (under PACK_MIN)
    shared_times = 1.7e9 + np.cumsum(rng.exponential(1e-3, sum(lengths)))
    logged = {}
    for i in range(150):  # enough for zstd's batch call at one chunk position
        n = sum(lengths) if i % 10 else 400  # a few keys with other lengths
        steps = np.arange(n, dtype=np.int64) * (1 if i % 4 else 3)
        if i % 7 == 0:  # irregular steps: delta-encoded, not (first, delta)
            steps = np.cumsum(rng.integers(1, 5, n)).astype(np.int64)
        values = {0: rng.integers(0, 2**64, n, dtype=np.uint64).view("<f8"),  # noise: stored plain
                  1: np.exp(-np.arange(n) / 300) + rng.normal(0, 0.01, n),
                  2: np.full(n, 0.5)}[i % 3]
        times = shared_times[:n] if i % 5 else 1.7e9 + np.cumsum(rng.exponential(1e-3, n))
        logged[f"k{i:03d}"] = (steps, values, times)
        cut = [0, *np.cumsum(lengths if n == sum(lengths) else (n,))]
        for seq, (lo, hi) in enumerate(itertools.pairwise(cut)):
            batch.chunks.append(pack_chunk("wide", f"k{i:03d}", seq, steps[lo:hi], values[lo:hi], times[lo:hi]))
    store.write_batch(batch)
    found = store.read_run_series("wide")
    assert sorted(found) == sorted(logged)
    for key, want in logged.items():
        for got, column in zip((found[key].steps, found[key].values, found[key].times), want, strict=True):
            assert_bits_equal(got, column)
    assert len(set(workers)) == (2 if split else 0)
    # a poll for what came after a step: the points after it, keys that shared their steps or times included;
    # it stays in the calling thread (a reader beside a training loop), however large
    workers.clear()
    later = store.read_run_series("wide", after_step=250)
    assert set(workers) <= {threading.current_thread().name}
    for key, (steps, values, times) in logged.items():
        keep = steps > 250
        for got, column in zip((later[key].steps, later[key].values, later[key].times),
                               (steps[keep], values[keep], times[keep]), strict=True):
            assert_bits_equal(got, column)
    # the compare widget's read (several runs, times left out) gives the same series
    many = store.read_series_many(["wide"], ["k001", "k007"], times=False)
    assert_bits_equal(many[("wide", "k007")].values, logged["k007"][1])
    assert len(many[("wide", "k001")].times) == 0


# -- a large read on two threads -----------------------------------------------------------------------------------
def mixed_series(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]]:
    """Series as a wide read meets them: most keys logged together (the same chunk lengths, steps and times),
    some with other lengths or steps of their own, noise stored plain, special floats, a raw tail."""
    made = []
    shared_times = 1.7e9 + np.cumsum(rng.exponential(1e-3, 1000))
    for i in range(140):
        lengths = (400, 300, 300) if i % 9 else (PACK_MIN, 5)
        n = sum(lengths)
        steps = np.arange(n, dtype=np.int64) + (I64_MAX - n + 1 if i == 3 else 0)
        if i % 11 == 0:
            steps = np.cumsum(rng.integers(1, 9, n)).astype(np.int64)
        values = {0: rng.integers(0, 2**64, n, dtype=np.uint64).view("<f8"),
                  1: np.resize([*SPECIAL, nan_with_payload()], n),
                  2: np.exp(-np.arange(n) / 300) + rng.normal(0, 0.01, n)}[i % 3]
        times = shared_times[:n] if i % 5 else 1.7e9 + np.cumsum(rng.exponential(1e-3, n))
        made.append((steps, values, times, lengths))
    return made


def chunk_columns(steps: np.ndarray, values: np.ndarray, times: np.ndarray, lengths: tuple[int, ...]
                  ) -> tuple[tuple[object, ...], ...]:
    """The columns of a series' chunk rows, as a store read gives them to ``decode_series``."""
    rows = []
    for lo, hi in itertools.pairwise([0, *np.cumsum(lengths)]):
        encoding, s, v, t = encode(steps[lo:hi], values[lo:hi], times[lo:hi])
        rows.append((encoding, hi - lo, s, v, t))
    return tuple(zip(*rows, strict=True))


@pytest.fixture
def split_every_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read that asks for two threads splits its work, however small; the names of the threads that did
    a share of it, in the list returned."""
    monkeypatch.setattr(chunk_codec, "PARALLEL_MIN", 0)
    workers: list[str] = []
    run_jobs = chunk_codec._run_jobs

    def recorded(jobs: list[object]) -> None:
        workers.append(threading.current_thread().name)
        run_jobs(jobs)  # type: ignore[arg-type]

    monkeypatch.setattr(chunk_codec, "_run_jobs", recorded)
    return workers


@pytest.mark.parametrize("times", [True, False])
def test_a_read_split_between_two_threads_gives_every_series_bit_for_bit(times: bool, split_every_read: list[str]
                                                                         ) -> None:
    made = mixed_series(np.random.default_rng(5 + times))  # other data each time: no block left as it was
    columns = [chunk_columns(*m) for m in made]
    got = chunk_codec.decode_series(columns, times, threads=2)
    assert len(split_every_read) == 2 and split_every_read[0] != split_every_read[1]  # both threads had a share
    alone = chunk_codec.decode_series(columns, times, threads=1)
    assert len(got) == len(made)
    for (steps, values, stamps, _), series, serial in zip(made, got, alone, strict=True):
        for column, want, other in zip(series, (steps, values, stamps if times else np.zeros(0)), serial,
                                       strict=True):
            assert_bits_equal(column, want)
            assert_bits_equal(other, want)


@pytest.mark.parametrize("keys, lengths", [(1, (65536, 1000, 300, 7)), (300, (500,))])
def test_one_long_series_and_one_chunk_position_of_many_keys_are_split_too(keys: int, lengths: tuple[int, ...],
                                                                           split_every_read: list[str]) -> None:
    # a 1M-point read has one series of many chunk positions; a short run of 300 keys one position of 300 rows:
    # the work is cut between positions, or between the rows of one
    rng = np.random.default_rng(9)
    n = sum(lengths)
    made = [(np.arange(n, dtype=np.int64) * 3, rng.standard_normal(n), 1.7e9 + np.cumsum(rng.random(n)), lengths)
            for _ in range(keys)]
    got = chunk_codec.decode_series([chunk_columns(*m) for m in made], threads=2)
    for (steps, values, stamps, _), series in zip(made, got, strict=True):
        for column, want in zip(series, (steps, values, stamps), strict=True):
            assert_bits_equal(column, want)
    assert got[-1][1].base is got[0][1].base  # the values still the rows of one block, for history()
    assert len(set(split_every_read)) == 2


@pytest.mark.usefixtures("split_every_read")
def test_a_bad_chunk_in_the_helpers_half_is_reported_to_the_caller() -> None:
    made = mixed_series(np.random.default_rng(6))[:20]
    columns = [chunk_columns(*m) for m in made]
    encodings, lengths, steps, values, times = columns[-1]
    columns[-1] = (encodings, lengths, steps, values, (*times[:-1], bytes([99]) + times[-1][1:]))
    with pytest.raises(ValueError, match="column tag 99 is unknown"):
        chunk_codec.decode_series(columns, threads=2)
    assert len(chunk_codec.decode_series(columns[:-1], threads=2)) == 19  # the helper still serves


@pytest.mark.usefixtures("split_every_read")
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_a_forked_child_reads_after_its_parent_started_the_helper() -> None:
    made = mixed_series(np.random.default_rng(8))[:30]
    columns = [chunk_columns(*m) for m in made]
    chunk_codec.decode_series(columns, threads=2)  # the parent's helper thread, which a child does not have
    with multiprocessing.get_context("fork").Pool(1) as pool:
        sizes = pool.apply_async(_decoded_sizes, (columns,)).get(timeout=60)
    assert sizes == [len(m[0]) for m in made]


def _decoded_sizes(columns: list[tuple[tuple[object, ...], ...]]) -> list[int]:
    return [len(v) for _, v, _ in chunk_codec.decode_series(columns, threads=2)]
