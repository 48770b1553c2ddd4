"""``jt.Histogram``: a distribution of values (a sequence, numpy array or torch tensor), or precomputed counts.

Logged data (small, no blob)::

    {"bins": [edge0, …, edgeN], "values": [count0, …, countN-1], "dropped": {"nan": 0, "inf": 0, "-inf": 0}}

NaN and ±inf are left out of the counts; how many were left out is kept under ``dropped``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .arrays import as_numpy

MAX_BINS = 512
"""W&B's limit on the number of bins."""


class Histogram:
    """A histogram to log or to put in a table cell (W&B: ``wandb.Histogram``).

    Example::

        jt.log({"weights": jt.Histogram(layer.weight)})                     # 64 bins
        jt.log({"scores": jt.Histogram(np_histogram=np.histogram(scores, bins=20))})
        h = jt.load_run(path).media("weights")[-1][2]
        h.bins, h.histogram                                                 # edges, counts
    """

    def __init__(self, sequence: Any = None, np_histogram: tuple[Any, Any] | None = None,
                 num_bins: int = 64) -> None:
        self.dropped = {"nan": 0, "inf": 0, "-inf": 0}
        if np_histogram is not None:
            if sequence is not None:
                raise ValueError("Histogram: give a sequence or np_histogram=(counts, edges), not both")
            if len(np_histogram) != 2:
                raise ValueError("Histogram(np_histogram=...) takes (counts, edges), as numpy.histogram returns")
            counts = as_numpy(np_histogram[0]).ravel()
            edges = as_numpy(np_histogram[1]).astype(np.float64).ravel()
            if len(edges) != len(counts) + 1:
                raise ValueError(f"Histogram(np_histogram=...): {len(counts)} counts need {len(counts) + 1} "
                                 f"bin edges, got {len(edges)}")
        elif sequence is not None:
            if not isinstance(num_bins, int) or not 0 < num_bins <= MAX_BINS:
                raise ValueError(f"Histogram(num_bins={num_bins!r}): use 1 to {MAX_BINS} bins")
            values = as_numpy(sequence).ravel()
            if values.dtype == object or not (np.issubdtype(values.dtype, np.number)
                                              or values.dtype == np.bool_):
                raise TypeError(f"Histogram: needs numbers, got values of dtype {values.dtype}")
            values = values.astype(np.float64)
            finite = np.isfinite(values)
            if not finite.all():
                bad = values[~finite]
                nan = int(np.isnan(bad).sum())
                pos = int((bad == np.inf).sum())
                self.dropped = {"nan": nan, "inf": pos, "-inf": len(bad) - nan - pos}
                values = values[finite]
            counts, edges = np.histogram(values, bins=num_bins)
        else:
            raise ValueError("Histogram: give a sequence or np_histogram=(counts, edges)")
        if len(counts) > MAX_BINS:
            raise ValueError(f"Histogram: {len(counts)} bins is more than the limit of {MAX_BINS}")
        self.histogram: list[float] = [_count(c) for c in counts.tolist()]
        self.bins: list[float] = [float(e) for e in edges.tolist()]

    @classmethod
    def from_logged(cls, data: dict[str, Any], get_blob: Callable[[str], bytes] | None = None) -> Histogram:
        """The histogram described by logged ``data``."""
        self = cls(np_histogram=(data["values"], data["bins"]))
        self.dropped = dict(data.get("dropped") or self.dropped)
        return self

    @property
    def counts(self) -> list[float]:
        """The count of each bin (``histogram`` in W&B's spelling)."""
        return self.histogram

    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]:
        """``("histogram", {"bins", "values", "dropped"})``: small enough to keep in the objects row."""
        return "histogram", {"bins": self.bins, "values": self.histogram, "dropped": dict(self.dropped)}

    def __len__(self) -> int:
        return len(self.histogram)

    def __repr__(self) -> str:
        span = f" {self.bins[0]:.4g}..{self.bins[-1]:.4g}" if self.bins else ""
        return f"<Histogram {len(self.histogram)} bins{span} n={sum(self.histogram):g}>"


def _count(value: Any) -> float:
    """Counts stay ints when they are whole (JSON ``3`` rather than ``3.0``)."""
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float
