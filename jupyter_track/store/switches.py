"""The interpreter's GIL switch interval lowered while a thread of the store works (the writer's flush, a reader's
read beside a busy training loop).

A thread that gave up the GIL (a SQLite step, a large numpy operation) waits for it until the thread holding it
must let go: Python's switch interval, 5 ms by default. A read of new rows gives the GIL up a few dozen times; in
a thread beside a training loop that logs flat out, each cost it 5 ms, so a 3 ms poll took 30 to 120 ms.

Example::

    with short_switches():
        frame = build_the_frame()
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

SHORT = 0.0001  # seconds: no wait for the GIL longer than about this, plus the holder's longest C call


def lower(interval: float = SHORT) -> tuple[float, float] | None:
    """Lower the switch interval (a process-wide setting) to ``interval``; returns what :func:`restore` needs, or
    None where it is that short already (a nested or concurrent use: the first one puts it back)."""
    before = sys.getswitchinterval()
    if before <= interval:
        return None
    sys.setswitchinterval(interval)
    return before, sys.getswitchinterval()


def restore(lowered: tuple[float, float] | None) -> None:
    """Put back the switch interval :func:`lower` replaced, unless someone changed it meanwhile."""
    if lowered is not None and sys.getswitchinterval() == lowered[1]:
        sys.setswitchinterval(lowered[0])


@contextlib.contextmanager
def short_switches(interval: float = SHORT) -> Iterator[None]:
    """Lower the switch interval to ``interval`` within the block (see :func:`lower`), and put it back after."""
    lowered = lower(interval)
    try:
        yield
    finally:
        restore(lowered)
