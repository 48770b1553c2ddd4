"""The bytes of a metric chunk's three columns (int64 steps, float64 values, float64 wall times), one layout for
SQLite and PostgreSQL alike, named by the chunk row's ``encoding``:

- ``RAW`` (0): the little-endian arrays as they are (24 bytes a point). Every chunk written before schema
  revision 0006 is RAW, and small chunks still are (the writer replaces them by a merged chunk soon).
- ``PACKED`` (1): each column is a tag byte and its payload. Steps that step evenly are 16 bytes for the whole
  chunk (first, delta); other steps and the wall times are delta-encoded (the differences of their 64-bit
  words, modulo 2**64); the words are then byte-shuffled (all first bytes, then all second bytes, …) and
  compressed with zstd, which turns the planes of equal high bytes (exponents, leading digits) into next to
  nothing. Values are shuffled as they are: XOR with the previous value gained nothing on real series.

Lossless for every bit pattern (NaN payloads, ±inf, -0.0, subnormals, steps up to 2**63 - 1).

Why zstandard and numpy, not blosc2: blosc2's shuffle + zstd decoded a 64k-point column 1.3–2× as fast and
compressed to the same size, but it takes 220 ms to import (in the writer thread of the logging process) and
brings httpx, pydantic, rich, numexpr and msgpack along; zstandard imports in 1 ms and needs nothing else.

Example::

    enc, s, v, t = encode(steps, values, times)        # what a chunk row stores
    steps, values, times = decode(enc, len(steps), s, v, t)
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import zstandard

RAW = 0
PACKED = 1
ENCODINGS = (RAW, PACKED)

# Chunks below this many points stay RAW: the writer merges them into a bigger chunk soon (store/writer.py's
# MERGE_BELOW), so compressing them would be work thrown away, done in the writer thread of the logging process.
PACK_MIN = 128

_ARITH, _SHUFFLED, _DELTA, _PLAIN = 1, 2, 3, 4  # column tags of PACKED
_PLANEWISE = 16384  # chunks from this many points are unshuffled plane by plane
_LEVEL = 1  # zstd's fastest level: higher ones save a few percent here at twice the time
_local = threading.local()  # zstd contexts are not thread-safe: one pair per thread


def encode(steps: Any, values: Any, times: Any) -> tuple[int, bytes, bytes, bytes]:
    """``(encoding, steps, values, times)`` of one chunk from its int64 / float64 arrays."""
    s = np.ascontiguousarray(steps, dtype="<i8").view("<u8")
    v = np.ascontiguousarray(values, dtype="<f8").view("<u8")
    t = np.ascontiguousarray(times, dtype="<f8").view("<u8")
    if len(s) < PACK_MIN:
        return RAW, s.tobytes(), v.tobytes(), t.tobytes()
    return PACKED, _pack_steps(s), _pack(v, _SHUFFLED), _pack(_delta(t), _DELTA)


def decode(encoding: int, n: int, steps: bytes, values: bytes, times: bytes | None
           ) -> tuple[Any, Any, Any]:
    """The arrays (int64 steps, float64 values, float64 times) of a chunk of ``n`` points; ``times=None``: an
    empty times array (readers that do not need them skip their decoding)."""
    return decode_chunks([(encoding, n, steps, values, times)], times is not None)


def decode_chunks(chunks: Sequence[tuple[int, int, bytes, bytes, bytes | None]], times: bool = True,
                  memo: dict[Any, Any] | None = None) -> tuple[Any, Any, Any]:
    """The read-only arrays of consecutive chunks ``(encoding, n, steps, values, times)`` joined, each chunk
    decoded into its place (no second copy); ``times=False``: an empty times array. With ``memo`` (one dict for
    the series of one read), steps and times stored with the same bytes as a series decoded before (keys logged
    together) are decoded once and shared."""
    if all(c[0] == RAW for c in chunks):  # the bytes joined: one copy, as stores before this codec read
        return (np.frombuffer(b"".join(c[2] for c in chunks), dtype="<i8"),
                np.frombuffer(b"".join(c[3] for c in chunks), dtype="<f8"),
                np.frombuffer(b"".join(c[4] or b"" for c in chunks) if times else b"", dtype="<f8"))
    for c in chunks:
        if c[0] not in ENCODINGS:
            raise ValueError(f"metric chunk encoding {c[0]} is unknown to this version of jupyter_track; "
                             "upgrade with `pip install -U jupyter_track`")
    out = []
    for i, dtype in enumerate(("<i8", "<f8", "<f8")):
        if i == 2 and not times:
            out.append(np.zeros(0, dtype=dtype))
            continue
        sign = tuple((c[0], c[1], c[2 + i]) for c in chunks) if memo is not None and i != 1 else None
        column = memo.get(sign) if memo is not None and sign is not None else None
        if column is None:
            words = np.empty(sum(c[1] for c in chunks), dtype="<u8")
            at = 0
            for c in chunks:
                _unpack(c[0], cast(bytes, c[2 + i]), words[at:at + c[1]])
                at += c[1]
            column = words.view(dtype)
            column.flags.writeable = False  # shared by the series of a read that have the same bytes
            if memo is not None and sign is not None:
                memo[sign] = column
        out.append(column)
    return out[0], out[1], out[2]


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


def _unpack(encoding: int, column: bytes, dest: Any) -> None:
    """Decode one column of a chunk into ``dest`` (uint64 words, the chunk's length)."""
    n = len(dest)
    tag = _PLAIN if encoding == RAW else column[0]
    if tag == _ARITH:
        first, delta = struct.unpack_from("<QQ", column, 1)
        np.multiply(np.arange(n, dtype=np.uint64), np.uint64(delta), out=dest)  # modulo 2**64, as int64 wraps
        dest += np.uint64(first)
        return
    if tag == _PLAIN:
        dest[:] = np.frombuffer(column, dtype="<u8", offset=0 if encoding == RAW else 1)
        return
    if tag not in (_SHUFFLED, _DELTA):
        raise ValueError(f"metric chunk column tag {tag} is unknown to this version of jupyter_track")
    raw = _contexts()[1].decompress(memoryview(column)[1:], max_output_size=8 * n)
    planes = np.frombuffer(raw, dtype=np.uint8).reshape(8, n)
    words = dest.view(np.uint8).reshape(n, 8)
    if n < _PLANEWISE:
        words[...] = planes.T
    else:  # plane by plane: reads stay contiguous, a third faster than one strided transpose of a large chunk
        for i in range(8):
            words[:, i] = planes[i]
    if tag == _DELTA:
        np.cumsum(dest, dtype=np.uint64, out=dest)


def _delta(w: Any) -> Any:
    """Differences of consecutive words (the first word as it is), modulo 2**64."""
    d = np.empty_like(w)
    d[:1] = w[:1]
    np.subtract(w[1:], w[:-1], out=d[1:])
    return d


def _contexts() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    found: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(_local, "contexts", None)
    if found is None:
        found = _local.contexts = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor())
    return found
