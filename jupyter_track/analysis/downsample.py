"""Streaming min/max downsampling: a series of any length shown with a bounded number of points.

Points arrive in chunks (as the store yields them). They are grouped in buckets of ``width`` consecutive
points; a full bucket becomes two points, its minimum and its maximum (in step order), so spikes survive. When
there are more than ``limit`` buckets, neighbours merge and the width doubles. A panel therefore sends each
series' new buckets as they close, and the whole (bounded) series only when the width doubles: about
``2 * limit * log2(points / limit)`` points over a run's life, whatever its length.

Example::

    ds = Downsampler(limit=1000)
    ds.extend(steps, values, times)       # numpy arrays, any length
    steps, values, times = ds.points()    # about 2 * limit points (+ the open bucket's newest point)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class Downsampler:
    """Incremental min/max buckets over (step, value, time) points; NaN and ±inf are kept as gaps/extremes."""

    def __init__(self, limit: int = 1000, width: int = 1) -> None:
        self.limit = max(2, limit)
        self.width = max(1, width)  # a known length can start at its final width: one bucketing pass, no merges
        self.generation = 0  # bumped when buckets are rebuilt: a consumer must replace what it has
        self._closed = [np.zeros(0), np.zeros(0), np.zeros(0)]  # steps, values, times: 2 points per bucket
        self._open = [np.zeros(0), np.zeros(0), np.zeros(0)]  # points of the bucket not full yet
        self.count = 0

    def extend(self, steps: Any, values: Any, times: Any) -> None:
        new = [np.asarray(a) for a in (steps, values, times)]
        if not len(new[0]):
            return
        self.count += len(new[0])
        if len(self._open[0]):  # the open bucket is filled first: no copy of the whole chunk to prepend it
            need = self.width - len(self._open[0])
            self._open = [np.concatenate([o, n[:need].astype(np.float64)]) for o, n in zip(self._open, new,
                                                                                             strict=True)]
            new = [n[need:] for n in new]
            if len(self._open[0]) < self.width:
                return
            self._close(*self._open)
        full = len(new[0]) // self.width * self.width
        if full:
            self._close(new[0][:full], new[1][:full].astype(np.float64, copy=False), new[2][:full])
        self._open = [n[full:].astype(np.float64) for n in new]  # a copy: the chunk read is not kept alive
        while len(self._closed[0]) > 2 * self.limit:
            # the points kept so far are bucketed again, four at a time: the extremes (and a NaN) of two
            # neighbouring buckets, so the width doubles
            pairs = len(self._closed[0]) // 4 * 4
            merged = _buckets(self._closed[0][:pairs], self._closed[1][:pairs], self._closed[2][:pairs], 4)
            rest = [c[pairs:] for c in self._closed]
            self._closed = [np.concatenate([m, r]) for m, r in zip(merged, rest, strict=True)]
            self.width *= 2
            self.generation += 1

    def _close(self, steps: Any, values: Any, times: Any) -> None:
        """Full buckets of points → their kept points, appended (as float64: the steps picked only)."""
        closed = _buckets(steps, values, times, self.width)
        self._closed = [np.concatenate([c, np.asarray(n, dtype=np.float64)])
                        for c, n in zip(self._closed, closed, strict=True)]

    @property
    def closed_points(self) -> int:
        return len(self._closed[0])

    @property
    def open(self) -> bool:
        """Whether :meth:`points` ends with the open bucket's newest point (superseded by the next call's)."""
        return len(self._open[0]) > 0

    def points(self, since: int = 0) -> tuple[Any, Any, Any]:
        """The downsampled series from closed point ``since`` on, plus the open bucket's newest point."""
        tail = [o[-1:] for o in self._open]
        steps, values, times = (np.concatenate([c[since:], t]) for c, t in zip(self._closed, tail, strict=True))
        return steps, values, times


def thin(steps: Any, values: Any, times: Any, points: int) -> tuple[Any, Any, Any]:
    """A whole series in at most ``max(points, 5)`` points: min/max buckets at their final width, in one
    pass; a series that short already comes back as given."""
    if len(steps) <= points:
        return steps, values, times
    buckets = max(2, (points - 1) // 2)  # 2 points per bucket + the open bucket's newest
    ds = Downsampler(buckets, width=math.ceil(len(steps) / buckets))
    ds.extend(steps, values, times)
    return ds.points()


def _buckets(steps: Any, values: Any, times: Any, width: int) -> tuple[Any, Any, Any]:
    """Each run of ``width`` points → its min and max point, and its first NaN if it has one (so a stretch of
    NaN stays a gap at any zoom), in step order; ±inf count as extremes."""
    if width == 1:
        return steps, values, times
    k = len(steps) // width
    v = values.reshape(k, width)
    base = np.arange(k) * width
    if not np.isnan(values).any():  # the usual case, in half the passes: each bucket's min and max, in order
        lo, hi = v.argmin(axis=1), v.argmax(axis=1)
        first, second = np.minimum(lo, hi), np.maximum(lo, hi)
        idx = np.stack([first, second], axis=1).ravel() + np.repeat(base, 2)
        idx = idx[np.concatenate([[True], idx[1:] != idx[:-1]])]  # a flat bucket: its point once
        return steps[idx], values[idx], times[idx]
    nan = np.isnan(v)
    lo = np.where(nan, np.inf, v).argmin(axis=1)
    hi = np.where(nan, -np.inf, v).argmax(axis=1)
    gap = np.where(nan.any(axis=1), nan.argmax(axis=1), width)  # width: no NaN in the bucket
    picks = np.sort(np.stack([lo, hi, gap], axis=1), axis=1)
    keep = picks < width
    keep[:, 1:] &= picks[:, 1:] != picks[:, :-1]  # an all-NaN bucket picks the same point thrice
    idx = (picks + base[:, None])[keep]
    return steps[idx], values[idx], times[idx]
