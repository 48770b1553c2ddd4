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
        # the bucket not full yet: how many points it has, the points it keeps so far (its extremes and first NaN
        # among them: a bucket's are among its parts'), and its newest point
        self._filled = 0
        self._kept: list[tuple[float, float, float]] = []
        self._newest = (0.0, 0.0, 0.0)
        self.count = 0

    def extend(self, steps: Any, values: Any, times: Any) -> None:
        new = [np.asarray(a) for a in (steps, values, times)]
        if not len(new[0]):
            return
        self.count += len(new[0])
        closed: list[Any] = []  # the kept points of the buckets this closes, joined to the closed ones at once
        if self._filled:  # the open bucket is filled first, from what it keeps: no copy of its points
            need = self.width - self._filled
            self._hold([n[:need] for n in new])
            new = [n[need:] for n in new]
            if self._filled < self.width:
                return
            closed.append([np.array(k, dtype=np.float64) for k in zip(*self._kept, strict=True)])
            self._filled = 0
        full = len(new[0]) // self.width * self.width
        if full:
            closed.append(_buckets(new[0][:full], new[1][:full].astype(np.float64, copy=False), new[2][:full],
                                   self.width))
        if closed:
            self._closed = [np.concatenate([c, *(np.asarray(p[i], dtype=np.float64) for p in closed)])
                            for i, c in enumerate(self._closed)]
        if full < len(new[0]):
            self._hold([n[full:] for n in new])
        while len(self._closed[0]) > 2 * self.limit:
            # the points kept so far are bucketed again, four at a time: the extremes (and a NaN) of two
            # neighbouring buckets, so the width doubles
            pairs = len(self._closed[0]) // 4 * 4
            merged = _buckets(self._closed[0][:pairs], self._closed[1][:pairs], self._closed[2][:pairs], 4)
            rest = [c[pairs:] for c in self._closed]
            self._closed = [np.concatenate([m, r]) for m, r in zip(merged, rest, strict=True)]
            self.width *= 2
            self.generation += 1

    def _hold(self, part: list[Any]) -> None:
        """Points of the open bucket: it keeps the points a bucket of what it kept and of these would keep."""
        steps, values, times = part
        values = np.asarray(values, dtype=np.float64)
        lo, hi = int(values.argmin()), int(values.argmax())
        if values[lo] == values[lo]:  # no NaN (argmin finds the first): its min and max, in step order
            kept = [(float(steps[i]), float(values[i]), float(times[i]))
                    for i in ((lo,) if lo == hi else (min(lo, hi), max(lo, hi)))]
        else:
            kept = list(zip(*(np.asarray(a, dtype=np.float64).tolist()
                              for a in _buckets(steps, values, times, len(values))), strict=True))
        if self._filled:
            kept = self._kept + kept
            kept = [kept[i] for i in _picks([p[1] for p in kept])]
        self._kept = kept
        self._filled += len(values)
        self._newest = (float(steps[-1]), float(values[-1]), float(times[-1]))

    @property
    def closed_points(self) -> int:
        return len(self._closed[0])

    @property
    def open(self) -> bool:
        """Whether :meth:`points` ends with the open bucket's newest point (superseded by the next call's)."""
        return self._filled > 0

    def points(self, since: int = 0) -> tuple[Any, Any, Any]:
        """The downsampled series from closed point ``since`` on, plus the open bucket's newest point."""
        tail = [np.array([x]) for x in self._newest] if self._filled else [np.zeros(0)] * 3
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


def _picks(values: list[float]) -> list[int]:
    """What :func:`_buckets` keeps of one bucket of a few values (their indices, in order), in plain Python."""
    inf = math.inf
    at = range(len(values))
    lo = min(at, key=lambda i: inf if values[i] != values[i] else values[i])  # the first of equal ones
    hi = max(at, key=lambda i: -inf if values[i] != values[i] else values[i])
    gap = next((i for i in at if values[i] != values[i]), lo)
    return sorted({lo, hi, gap})


def _buckets(steps: Any, values: Any, times: Any, width: int) -> tuple[Any, Any, Any]:
    """Each run of ``width`` points → its min and max point, and its first NaN if it has one (so a stretch of
    NaN stays a gap at any zoom), in step order; ±inf count as extremes."""
    if width == 1:
        return steps, values, times
    k = len(steps) // width
    v = values.reshape(k, width)
    base = np.arange(k) * width
    lo, hi = v.argmin(axis=1), v.argmax(axis=1)
    if not np.isnan(v[np.arange(k), lo]).any():  # argmin finds a bucket's first NaN: none, the usual case
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
