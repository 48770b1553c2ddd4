"""The bytes of a metric chunk's three columns (int64 steps, float64 values, float64 wall times), one layout for
SQLite and PostgreSQL alike, named by the chunk row's ``encoding``:

- ``RAW`` (0): the little-endian arrays as they are (24 bytes a point). Every chunk written before schema
  revision 0006 is RAW, and small chunks still are (the writer replaces them by a merged chunk soon).
- ``PACKED`` (1): each column is a tag byte and its payload. Steps that step evenly are 16 bytes for the whole
  chunk (first, delta); other steps and the wall times are delta-encoded (the differences of their 64-bit
  words, modulo 2**64); the words are then byte-shuffled (all first bytes, then all second bytes, …) and
  compressed with zstd, which turns the planes of equal high bytes (exponents, leading digits) into next to
  nothing. Values are shuffled as they are: XOR with the previous value gained nothing on real series. A column
  that zstd does not shrink is kept uncompressed and unshuffled (tag ``_PLAIN``): for steps and times, still
  their differences.

Lossless for every bit pattern (NaN payloads, ±inf, -0.0, subnormals, steps up to 2**63 - 1).

Why zstandard and numpy, not blosc2: blosc2's shuffle + zstd decoded a 64k-point column 1.3–2× as fast and
compressed to the same size, but it takes 220 ms to import (in the writer thread of the logging process) and
brings httpx, pydantic, rich, numexpr and msgpack along; zstandard imports in 1 ms and needs nothing else.

Example::

    enc, s, v, t = encode(steps, values, times)        # what a chunk row stores
    steps, values, times = decode(enc, len(steps), s, v, t)
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import zstandard

from .switches import short_switches

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

RAW = 0
PACKED = 1
ENCODINGS = (RAW, PACKED)

Chunk = tuple[int, int, bytes, bytes, bytes | None]  # encoding, n, steps, values, times (None: not read)

# Chunks below this many points stay RAW. A wide run logging slowly writes small chunks at every flush (1,000 keys
# at 50 steps/s: 25 points each) that the writer merges later; packing them too took the bytes written from 5.4-5.8x
# the raw points to 2.5-2.6x for the same CPU (bench_memory.py --only written): even steps and times shrink to a few
# bytes, and SQLite rewrites fewer pages. Below 16 points a chunk is mostly its row and index entry either way.
PACK_MIN = 16

_ARITH, _SHUFFLED, _DELTA, _PLAIN = 1, 2, 3, 4  # column tags of PACKED
_LIGHT = (bytes([_ARITH]), bytes([_PLAIN]))
_BATCH = 64  # from this many frames of one chunk position, zstd decompresses them in one call (fewer:
# starting its threads and joining the output cost more than they save)
_LEVEL = 1  # zstd's fastest level: higher ones save a few percent here at twice the time
_DTYPES = ("<i8", "<f8", "<f8")  # steps, values, times
_ARITH_DTYPE = np.dtype([("tag", "u1"), ("first", "<u8"), ("delta", "<u8")])  # struct "<BQQ", unaligned
_local = threading.local()  # zstd contexts are not thread-safe: one pair per thread


def encode(steps: Any, values: Any, times: Any, shared: dict[Any, Any] | None = None
           ) -> tuple[int, bytes, bytes, bytes]:
    """``(encoding, steps, values, times)`` of one chunk from its int64 / float64 arrays.

    ``shared``: a dict the caller keeps over the chunks of a batch, in which the keys logged together have the
    same steps and times array objects: each of those arrays is encoded once, and its chunks get the same bytes
    object (a third of a wide batch's encoding was the same steps and times again, key after key). The dict
    keeps the arrays it saw alive (so their ids stay theirs); the caller must not change them while it keeps
    the dict, and drops it with the batch."""
    v = np.ascontiguousarray(values, dtype="<f8").view("<u8")
    packed = len(v) >= PACK_MIN
    return (PACKED if packed else RAW, _encoded(steps, 0, packed, shared),
            _pack(v, _SHUFFLED) if packed else v.tobytes(), _encoded(times, 2, packed, shared))


def _encoded(column: Any, k: int, packed: bool, shared: dict[Any, Any] | None) -> bytes:
    """The bytes of column ``k`` (0: steps, 2: times) of a chunk, from ``shared`` when that array object was
    encoded before (see :func:`encode`)."""
    if shared is not None:
        seen = shared.get((k, id(column)))
        if seen is not None and seen[0] is column:
            return seen[1]  # type: ignore[no-any-return]
    w = np.ascontiguousarray(column, dtype=_DTYPES[k]).view("<u8")
    data = (w.tobytes() if not packed else _pack_steps(w) if k == 0 else _pack(_delta(w), _DELTA))
    if shared is not None:
        shared[(k, id(column))] = (column, data)
    return data


def decode(encoding: int, n: int, steps: bytes, values: bytes, times: bytes | None
           ) -> tuple[Any, Any, Any]:
    """The arrays (int64 steps, float64 values, float64 times) of a chunk of ``n`` points; ``times=None``: an
    empty times array (readers that do not need them skip their decoding)."""
    return decode_chunks([(encoding, n, steps, values, times)], times is not None)


def decode_chunks(chunks: Sequence[Chunk], times: bool = True) -> tuple[Any, Any, Any]:
    """The read-only arrays of consecutive chunks ``(encoding, n, steps, values, times)`` joined;
    ``times=False``: an empty times array."""
    return decode_series([tuple(zip(*chunks, strict=True))], times)[0]


def decode_series(series: Sequence[Sequence[tuple[Any, ...]]], times: bool = True, threads: int = 1
                  ) -> list[tuple[Any, Any, Any]]:
    """The arrays ``(steps, values, times)`` of several series, each given as the columns of its
    consecutive chunks: ``(encodings, lengths, steps, values, times)``, a tuple of each chunk's each
    (``zip(*chunks)`` of its chunk rows; an empty tuple: no chunk); ``times=False``: empty times arrays.
    Steps and times are read-only (they may be shared); values of raw chunks too. ``threads=2``: a read of at
    least :data:`PARALLEL_MIN` decoded bytes is split between the caller and a helper thread (smaller ones, and
    every read with ``threads=1``, stay in the calling thread).

    Series whose chunks have the same lengths (keys logged together) are decoded together, chunk position by
    chunk position: that position's columns of every such series are decompressed together (one zstd call from
    64 of them) and unshuffled in a few whole-array operations into a block with a row per series (a per-chunk
    loop in Python took most of a wide read's time). Steps and times stored with the same bytes are decoded
    once and shared: the same array object for every series that has them. The values of series decoded
    together are the rows, in order, of one writable 2-D block (``values.base``): ``history()`` makes its
    DataFrame from that block as it is, without copying 1,000 rows into another."""
    found: list[Any] = [None] * len(series)
    groups: dict[tuple[int, ...], list[int]] = {}
    columns = [s or ((),) * 5 for s in series]
    for i, (encodings, lengths, step_bytes, value_bytes, time_bytes) in enumerate(columns):
        for encoding in set(encodings) - {RAW, PACKED}:
            raise ValueError(f"metric chunk encoding {encoding} is unknown to this version of jupyter_track; "
                             "upgrade with `pip install -U jupyter_track`")
        if PACKED not in encodings:  # the bytes joined: one copy, as stores before this codec read
            found[i] = (np.frombuffer(b"".join(step_bytes), dtype="<i8"),
                        np.frombuffer(b"".join(value_bytes), dtype="<f8"),
                        np.frombuffer(b"".join(time_bytes) if times else b"", dtype="<f8"))
        else:
            groups.setdefault(lengths, []).append(i)
    no_times = np.zeros(0, dtype="<f8")
    jobs: list[_Job] = []  # every block is allocated and its work listed first, then the work is done
    made = []
    for lengths, members in groups.items():
        rows = [columns[i] for i in members]
        made.append((members, _shared_column(rows, 2, lengths, jobs), _column(rows, 3, lengths, jobs),
                     _shared_column(rows, 4, lengths, jobs) if times else None))
    _work(jobs, threads)
    for members, steps, values, stamps in made:
        for i, s, v, t in zip(members, _shared_rows(steps, "<i8"), values.view("<f8"),
                              _shared_rows(stamps, "<f8") if stamps else [no_times] * len(members), strict=True):
            found[i] = (s, v, t)
    return found


def _shared_rows(shared: tuple[Any, list[int]], dtype: str) -> list[Any]:
    """Each series' row of a shared column (see :func:`_shared_column`), read-only: one row may serve several."""
    block, which = shared
    block.flags.writeable = False
    decoded = list(block.view(dtype))
    return [decoded[u] for u in which]


def _shared_column(rows: Sequence[Sequence[Any]], k: int, lengths: tuple[int, ...], jobs: list[_Job]
                   ) -> tuple[Any, list[int]]:
    """Column ``k`` (2: steps, 4: times) of each series (its columns, as in :func:`decode_series`), series
    stored with the same bytes decoded once: the block of the distinct ones (filled when ``jobs`` have run) and
    which of its rows each series has."""
    first: dict[tuple[bytes, ...], int] = {}
    unique: list[Sequence[Any]] = []
    which: list[int] = []
    for row in rows:
        if which and row[k] == unique[which[-1]][k]:  # keys logged together, next to each other: no hashing
            which.append(which[-1])
            continue
        u = first.setdefault(row[k], len(first))
        if u == len(unique):
            unique.append(row)
        which.append(u)
    return _column(unique, k, lengths, jobs), which


def _column(rows: Sequence[Sequence[Any]], k: int, lengths: tuple[int, ...], jobs: list[_Job]) -> Any:
    """Column ``k`` of series whose chunks have the same lengths: a uint64 block, a row per series, filled by
    the ``jobs`` this adds (a chunk position each: the encodings and the bytes of that chunk of every series)."""
    block = np.empty((len(rows), sum(lengths)), dtype="<u8")
    octets = block.view(np.uint8).reshape(len(rows), -1, 8)
    at = 0
    for n, encodings, chunks in zip(lengths, zip(*(r[0] for r in rows), strict=True),
                                      zip(*(r[k] for r in rows), strict=True), strict=True):
        # columns 2 and 4 (steps, times) are stored as differences; 3 (values) as they are
        jobs.append(_Job(encodings, chunks, block[:, at:at + n], octets[:, at:at + n], deltas=k != 3))
        at += n
    return block


# -- two threads for a large read ------------------------------------------------------------------------------
PARALLEL_MIN = 1 << 22  # decoded bytes from which a read (threads=2) is split in two: handing half of the work
# to the helper and waiting for it costs ~0.1 ms; 4 MB take ~3 ms to decode


class _Job:
    """One chunk position of one column of series decoded together, and the rows of the block it fills."""

    __slots__ = ("chunks", "cost", "deltas", "dest", "encodings", "octets")

    def __init__(self, encodings: Sequence[int], chunks: Sequence[bytes], dest: Any, octets: Any, deltas: bool
                 ) -> None:
        self.encodings, self.chunks, self.dest, self.octets = encodings, chunks, dest, octets
        self.deltas = deltas  # steps or times: a packed chunk's column holds their differences
        # decoded bytes, weighed: (first, delta) steps and plain words are one pass of writes, not zstd's work
        # and the unshuffle (a quarter of the time, as measured)
        light = encodings[0] == RAW or chunks[0][:1] in _LIGHT
        self.cost = dest.size * (2 if light else 8)

    def run(self, threads: int) -> None:
        _unpack_rows(self.encodings, self.chunks, self.dest, self.octets, self.deltas, threads)

    def halves(self) -> list[_Job]:
        """This job as two, half of its rows each (one chunk position of 1,000 keys: work for two threads)."""
        m = len(self.chunks) // 2
        return [_Job(self.encodings[lo:hi], self.chunks[lo:hi], self.dest[lo:hi], self.octets[lo:hi], self.deltas)
                for lo, hi in ((0, m), (m, len(self.chunks)))]


def _work(jobs: list[_Job], threads: int) -> None:
    """Run the jobs: in this thread, or (``threads=2`` and :data:`PARALLEL_MIN` decoded bytes) split in two
    halves of about equal size, the second run by the helper thread meanwhile. zstd, numpy's large copies and
    cumulative sums let go of the GIL, so the halves run on two cores."""
    mine, theirs = _halves(jobs) if threads >= 2 else (jobs, [])
    if not theirs:
        for job in mine:
            job.run(2)  # zstd's batch call starts two threads of its own
        return
    try:
        helped = _helper().submit(_run_jobs, theirs)
    except RuntimeError:  # the interpreter is shutting down: no new threads
        _run_jobs(jobs)
        return
    with short_switches():  # each thread takes the GIL back as soon as the other's C call lets go of it
        try:
            _run_jobs(mine)
        finally:
            helped.result()  # waited for even when this half failed: its blocks are written no more after


def _halves(jobs: list[_Job]) -> tuple[list[_Job], list[_Job]]:
    """The jobs as two lists of about equal cost (the second empty below :data:`PARALLEL_MIN`)."""
    total = sum(j.cost for j in jobs)
    if total < PARALLEL_MIN:
        return jobs, []
    if len(jobs) == 1 or max(j.cost for j in jobs) > total // 2:  # one big position: its rows halved
        jobs = [h for j in jobs for h in (j.halves() if len(j.chunks) > 1 and j.cost > total // 4 else [j])]
    at, done = 0, 0
    while at < len(jobs) and 2 * (done + jobs[at].cost) <= total:
        done += jobs[at].cost
        at += 1
    at = max(at, 1)
    return jobs[:at], jobs[at:]


def _run_jobs(jobs: Sequence[_Job]) -> None:
    for job in jobs:
        job.run(1)  # one thread each: the two halves already keep both cores busy


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helper() -> ThreadPoolExecutor:
    """The helper thread, started by the first large read (none in a process that never makes one)."""
    global _pool
    from concurrent.futures import ThreadPoolExecutor

    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupyter_track-decode")
        return _pool


def _forget_helper() -> None:
    """In a forked child the parent's helper thread does not exist: the next large read starts one anew."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)


# -- columns -------------------------------------------------------------------------------------------------
def _pack_steps(w: Any) -> bytes:
    d = _delta(w)
    if len(w) > 1 and (d[1:] == d[1]).all():  # evenly spaced: first and delta say it all
        return struct.pack("<BQQ", _ARITH, int(w[0]), int(d[1]))
    return _pack(d, _DELTA)


def _pack(words: Any, tag: int) -> bytes:
    shuffled: bytes = words.view(np.uint8).reshape(-1, 8).T.tobytes()
    packed = _contexts()[0].compress(shuffled)
    if len(packed) >= len(shuffled):  # noise that does not compress: kept as it is
        return bytes([_PLAIN]) + bytes(words.tobytes())
    return bytes([tag]) + packed


def _unpack_rows(encodings: Sequence[int], columns: Sequence[bytes], dest: Any, octets: Any, deltas: bool,
                 threads: int = 2) -> None:
    """Decode one column of chunks of the same length into the rows of ``dest`` (uint64 words, a row per
    chunk; ``octets``: the same memory as bytes, shape (rows, n, 8)): the chunks that share a tag at once.
    ``deltas``: the column is steps or times, which a packed chunk stores as their differences (even when it
    keeps them uncompressed: tag _PLAIN)."""
    tags = [c[0] for c in columns] if RAW not in encodings else \
        [_PLAIN if e == RAW else c[0] for e, c in zip(encodings, columns, strict=True)]
    if tags.count(tags[0]) == len(tags):
        _unpack_tag(tags[0], encodings, columns, dest, octets, deltas, threads)
        return
    for tag in set(tags):  # some chunks of this position only, decoded apart and put in their rows
        rows = [r for r, t in enumerate(tags) if t == tag]
        part = np.empty((len(rows), dest.shape[1]), dtype="<u8")
        _unpack_tag(tag, [encodings[r] for r in rows], [columns[r] for r in rows], part,
                    part.view(np.uint8).reshape(len(rows), -1, 8), deltas, threads)
        dest[rows] = part


def _unpack_tag(tag: int, encodings: Sequence[int], columns: Sequence[bytes], dest: Any, octets: Any, deltas: bool,
                threads: int) -> None:
    """Decode columns that have the same tag into the rows of ``dest`` (see :func:`_unpack_rows`); ``threads``:
    zstd's own for a batch of frames."""
    m, n = dest.shape
    if tag == _ARITH:
        arith = np.frombuffer(b"".join(columns), dtype=_ARITH_DTYPE)
        np.multiply(_ramp(n), arith["delta"][:, None], out=dest)  # modulo 2**64, as int64 wraps
        dest += arith["first"][:, None]
        return
    if tag == _PLAIN:
        joined = b"".join(memoryview(c)[0 if e == RAW else 1:] for e, c in zip(encodings, columns, strict=True))
        dest[...] = np.frombuffer(joined, dtype="<u8").reshape(m, n)
        packed = [r for r, e in enumerate(encodings) if e != RAW] if deltas else []
        if packed:  # differences that did not compress, kept as they are (a RAW chunk's are the words)
            dest[packed] = np.cumsum(dest[packed], axis=1, dtype=np.uint64)
        return
    if tag not in (_SHUFFLED, _DELTA):
        raise ValueError(f"metric chunk column tag {tag} is unknown to this version of jupyter_track")
    if m < _BATCH:  # a few: each unshuffled from its own decompressed bytes (no copy of them joined)
        dctx = _contexts()[1]
        for row, column in zip(octets, columns, strict=True):
            planes = np.frombuffer(dctx.decompress(memoryview(column)[1:], max_output_size=8 * n), dtype=np.uint8)
            _unshuffle(planes.reshape(8, n), row)
    else:
        _unshuffle(np.frombuffer(_decompress(columns, 8 * n, threads), dtype=np.uint8).reshape(m, 8, n), octets)
    if tag == _DELTA:
        np.cumsum(dest, axis=1, dtype=np.uint64, out=dest)


def _decompress(columns: Sequence[bytes], size: int, threads: int = 2) -> Any:
    """The zstd frames of the columns (each after its tag byte; ``size`` bytes decompressed), decompressed and
    joined: in one call, the frames given as segments of their joined bytes (no Python object per frame); the C
    backend's threads=2 took a third of the CPU time of a Python loop over many small frames."""
    dctx = _contexts()[1]
    lengths = np.fromiter(map(len, columns), dtype=np.uint64, count=len(columns))
    segments = np.empty((len(columns), 2), dtype=np.uint64)
    np.cumsum(lengths, out=segments[:, 0])
    segments[:, 0] -= lengths - np.uint64(1)  # each frame starts after its tag byte
    segments[:, 1] = lengths - np.uint64(1)
    frames = zstandard.BufferWithSegments(b"".join(columns), segments.tobytes())
    try:
        decompressed = dctx.multi_decompress_to_buffer(frames, decompressed_sizes=np.full(
            len(columns), size, dtype=np.uint64).tobytes(), threads=threads)
    except NotImplementedError:  # the CFFI backend (PyPy) has no batch decompression
        return b"".join(dctx.decompress(memoryview(c)[1:], max_output_size=size) for c in columns)
    return b"".join(decompressed)  # type: ignore[arg-type]  # its segments are buffers


def _unshuffle(planes: Any, octets: Any) -> None:
    """The byte planes (..., 8, n) back into words (..., n, 8): plane by plane, reads stay contiguous (a third
    faster than one strided transpose)."""
    for i in range(8):
        octets[..., i] = planes[..., i, :]


def _ramp(n: int) -> Any:
    """0, 1, …, n - 1 as uint64, read-only: made once for the longest chunk read so far, not for every chunk."""
    global _RAMP
    ramp = _RAMP  # read once: another thread may replace it meanwhile
    if len(ramp) < n:
        ramp = np.arange(max(n, 1 << 16), dtype=np.uint64)
        ramp.flags.writeable = False
        _RAMP = ramp
    return ramp[:n]


_RAMP = np.zeros(0, dtype=np.uint64)


def _delta(w: Any) -> Any:
    """Differences of consecutive words (the first word as it is), modulo 2**64."""
    d = np.empty_like(w)
    d[:1] = w[:1]
    np.subtract(w[1:], w[:-1], out=d[1:])
    return d


def compress(data: bytes) -> bytes:
    """``data`` as one zstd frame (at the columns' level; the frame records its size)."""
    return _contexts()[0].compress(data)


def decompress(frame: bytes | memoryview) -> bytes:
    """The bytes of a frame made by :func:`compress`."""
    return _contexts()[1].decompress(frame)


def _contexts() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    found: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(_local, "contexts", None)
    if found is None:
        found = _local.contexts = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor())
    return found
