"""Memory the writer hands back to the operating system: mapped arrays, malloc_trim."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from jupyter_track.store.heap import MAPPED_MIN, give_back, mapped


def _mapping_starts() -> set[int]:
    with open("/proc/self/maps") as f:
        return {int(line.split("-", 1)[0], 16) for line in f}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_a_large_mapped_array_has_pages_of_its_own_that_leave_the_process_with_it() -> None:
    matrix = mapped((512, MAPPED_MIN // 8 // 512 * 4), "<f8")
    matrix[:] = 1.5  # writable, every page touched
    row = matrix[3]  # a view keeps the pages
    start = matrix.ctypes.data
    assert start in _mapping_starts()
    del matrix
    assert start in _mapping_starts() and float(row.sum()) == 1.5 * len(row)
    del row
    assert start not in _mapping_starts()  # unmapped, not kept by malloc for reuse
    give_back()


def test_a_small_mapped_array_is_a_plain_numpy_array() -> None:
    small = mapped((3, 4), "<f8")
    assert small.shape == (3, 4) and small.dtype == np.dtype("<f8") and small.flags.writeable
    small[:] = np.arange(12).reshape(3, 4)
    assert small[2, 3] == 11.0
