"""The bytes of a tail row (``schema.metric_tails``): a running run's small chunks of one flush, every key's.

Layout: a little-endian uint32, the length of a JSON header of columns, one entry per chunk: ``{"key": […],
"seq": […], "encoding": […], "n": […], "first_step": […], "last_step": […], "parts": [steps, values, times, …],
"sizes": [length, …]}``; then the parts' bytes one after the other. A chunk's three ``parts`` entries are indices
into the parts: keys logged together have the same steps and times bytes (:func:`.chunk_codec.encode`'s
``shared``), stored once. Each part is a chunk column as :mod:`.chunk_codec` lays it out, so a chunk read from a
tail row decodes as one from ``metric_chunks`` does. Columns, not a list per chunk: a reader of a few keys of a
wide run parses the header fast and copies only their parts.

Since schema revision 0009 the header is a zstd frame of that JSON, and the length's top bit is set: a slow loop
writes a row at every flush, and the header of 1,000 keys at a point each (key names, and columns of small numbers
that repeat) took 44 KB against 24 KB of raw points; compressed, 2.5 KB. Rows written before (the top bit clear)
read as they are.

Example::

    data = encode(chunks)                     # ChunkWrites of one run
    for key, seq, encoding, n, first_step, last_step, steps, values, times in decode(data): ...
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Any

import orjson

from .base import ChunkWrite
from .chunk_codec import compress, decompress

_COMPRESSED = 1 << 31  # the header length's flag: a zstd frame
TailChunk = tuple[str, int, int, int, int, int, bytes, bytes, bytes]  # key, seq, encoding, n, first, last, s, v, t


def encode(chunks: Sequence[ChunkWrite]) -> bytes:
    """One tail row's bytes from the chunks of one run."""
    index: dict[int, int] = {}  # id of a column's bytes -> its part (the chunks keep the bytes alive)
    parts: list[bytes] = []
    refs: list[int] = []
    for c in chunks:
        for data in (c.steps, c.values, c.times):
            found = index.get(id(data))
            if found is None:
                found = index[id(data)] = len(parts)
                parts.append(data)
            refs.append(found)
    header = orjson.dumps({"key": [c.key for c in chunks], "seq": [c.seq for c in chunks],
                           "encoding": [c.encoding for c in chunks], "n": [c.n for c in chunks],
                           "first_step": [c.first_step for c in chunks], "last_step": [c.last_step for c in chunks],
                           "parts": refs, "sizes": [len(p) for p in parts]})
    header = compress(header)
    return b"".join([struct.pack("<I", len(header) | _COMPRESSED), header, *parts])


def keys(data: bytes) -> list[tuple[str, int]]:
    """The ``(key, seq)`` of each chunk of a tail row (no bytes copied)."""
    _, h = _header(data)
    return list(zip(h["key"], h["seq"], strict=True))


def decode(data: bytes, keep: Callable[[str, int], bool] | None = None) -> list[TailChunk]:
    """The chunks of a tail row, in the order they were written; ``keep(key, last step)``: only those it
    wants (their bytes alone are copied)."""
    length, h = _header(data)
    view = memoryview(data)
    keys, last = h["key"], h["last_step"]
    wanted = range(len(keys)) if keep is None else [i for i, k in enumerate(keys) if keep(k, last[i])]
    if not wanted:
        return []
    ends = list(accumulate(h["sizes"], initial=4 + length))
    parts: dict[int, bytes] = {}
    refs = h["parts"]

    def part(i: int) -> bytes:
        found = parts.get(i)
        if found is None:
            found = parts[i] = bytes(view[ends[i]:ends[i + 1]])
        return found

    seq, encoding, n, first = h["seq"], h["encoding"], h["n"], h["first_step"]
    return [(keys[i], seq[i], encoding[i], n[i], first[i], last[i], part(refs[3 * i]), part(refs[3 * i + 1]),
             part(refs[3 * i + 2])) for i in wanted]


def _header(data: bytes) -> tuple[int, dict[str, Any]]:
    (length,) = struct.unpack_from("<I", data)
    if not length & _COMPRESSED:  # written before revision 0009
        return length, orjson.loads(memoryview(data)[4:4 + length])
    length &= ~_COMPRESSED
    return length, orjson.loads(decompress(memoryview(data)[4:4 + length]))
