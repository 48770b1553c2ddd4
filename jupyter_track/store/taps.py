"""Taps: the points a writer has just made durable, handed as arrays to a reader in the same process.

The live panel of a run that logs flat out spent four fifths of its time reading back what the writer had
encoded a moment before (most of it putting each value's bytes back in order): 3.5 % of the loop's time for 5
keys.
A tap gives it the arrays the writer packed instead, once they are committed. The store stays the truth: a
reader reads a key from the store the first time (unless the tap was made before the run's first point was
packed: a panel shown by ``init()``), and again whenever the tap says it missed some of its points (a key asked
for while a batch packed without it was on its way; every key once it held :data:`TAP_MAX` values).

Example::

    tap = store.tap(url, run_id)              # None: the run does not log in this process
    parts, missed, whole = tap.take({"loss", "acc"})  # [(key, steps, values, times), …] committed since the
    # last take, the keys to read from the store instead, and whether the parts are all of the run so far
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

TAP_MAX = 2_000_000  # values a tap holds at most (16 MB) until its reader takes them; past it, they are dropped
# and the reader reads the store instead (a panel takes them 4 times a second)

Part = tuple[str, Any, Any, Any]  # key, steps (int64), values, times (float64): one key's points of one batch


class Tap:
    """The committed points of some keys of one run, from one writer, for one reader (see the module)."""

    def __init__(self) -> None:
        self.keys: frozenset[str] | None = None  # the keys wanted (None: every key) as the writer packs a batch
        # whether its parts have every point of the run, while it wants every key: made before the writer packed
        # any (a run's panel, shown by init()), and never overflowed. None: no batch was packed for it yet
        self.whole: bool | None = None
        self.closed = False
        self._parts: list[Part] = []
        self._held = 0
        self._missed: set[str] = set()
        self._lock = threading.Lock()

    def take(self, keys: Iterable[str]) -> tuple[list[Part], set[str], bool]:
        """The parts committed since the last take, in order; the keys whose points some of them miss (read
        those from the store, from where the reader stands); and whether they are every point of the run so
        far (a first take only). ``keys``: the keys to hand over from the next batch packed on (a key new here
        is missed by a batch packed before, if it is committed after this take)."""
        with self._lock:
            whole = self.whole is True and self.keys is None
            parts, missed = self._parts, self._missed
            self._parts, self._held, self._missed = [], 0, set()
            keys = frozenset(keys)
            if keys != self.keys:
                self.keys = keys
        return parts, missed, whole

    def put(self, parts: list[Part], keys: frozenset[str] | None) -> None:
        """(The writer) a committed batch's parts, packed for ``keys`` (None: every key)."""
        with self._lock:
            if self.keys is not None and keys is not None:
                self._missed |= self.keys - keys
            held = self._held + sum(len(p[2]) for p in parts)
            if held > TAP_MAX:
                self._parts, self._held = [], 0
                self._lose()
            else:
                self._parts += parts
                self._held = held

    def lost(self) -> None:
        """(The writer) points of a batch were not committed with it: every key is missed."""
        with self._lock:
            self._lose()

    def _lose(self) -> None:
        self.whole = False
        self._missed |= self.keys or set()

    def close(self) -> None:
        """No more batches: the writer lets go of the tap at its next flush."""
        self.closed = True
        with self._lock:
            self._parts, self._held = [], 0


class Taps:
    """(The packer) a batch's parts for the taps of its runs, until the batch is committed."""

    def __init__(self) -> None:
        self.staged: list[tuple[Tap, frozenset[str] | None, list[Part]]] = []

    def stage(self, taps: list[Tap], fresh: bool) -> list[tuple[Tap, frozenset[str] | None, list[Part]]]:
        """The open taps of a run (``fresh``: none of its points was packed before), each with the keys it wants
        now and a list for its parts."""
        staged: list[tuple[Tap, frozenset[str] | None, list[Part]]] = []
        for tap in taps:
            if tap.whole is None:
                tap.whole = fresh
            if not tap.closed:
                staged.append((tap, tap.keys, []))
        self.staged += staged
        return staged

    def publish(self) -> None:
        """The batch is committed: every tap gets its parts."""
        for tap, keys, parts in self.staged:
            tap.put(parts, keys)
        self.staged = []

    def lose(self) -> None:
        """The batch was not committed whole: every tap is told to read the store."""
        for tap, _, _ in self.staged:
            tap.lost()
        self.staged = []
