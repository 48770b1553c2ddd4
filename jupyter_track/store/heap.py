"""Handing memory freed by the writer back to the operating system.

glibc's allocator keeps freed heap pages for reuse: after a flush freed a buffer of wide ``log()`` calls (each a
dict of its own, thousands of bytes), the process would go on holding its peak. ``malloc_trim`` returns the free
pages; other C libraries (musl, macOS) return them on their own or lack it, and then this does nothing.

``malloc_trim`` cannot return everything: each thread that allocates gets a malloc arena of its own, and glibc
trims only the main arena's top, never another arena's (the writer thread's) top. What the writer thread frees
at the top of its arena stays resident up to the trim threshold, which glibc raises to twice the largest block
it unmapped (up to 64 MB; numpy's temporaries raise it in any training loop). So the writer's largest arrays are
not taken from malloc at all: :func:`mapped` gives them pages of their own, unmapped when the array goes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from typing import Any

MAPPED_MIN = 1 << 17  # bytes from which an array gets pages of its own (glibc's own default mmap threshold)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here: init() imports the writer, and ctypes costs it 2 ms

    try:
        libc = ctypes.CDLL("libc.so.6")  # glibc's name; find_library would start a subprocess
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def give_back() -> None:
    """Return the process's free heap pages to the OS (glibc; elsewhere a no-op). ctypes releases the GIL for
    the call, so logging threads go on meanwhile.

    Example::

        del big_buffer
        give_back()
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def mapped(shape: tuple[int, int], dtype: Any) -> Any:
    """An uninitialised numpy array; from :data:`MAPPED_MIN` bytes on in anonymous pages of its own (``mmap``),
    which go back to the OS as soon as the array and its views are gone, whichever thread frees them and
    whatever glibc's thresholds are (see the module's docstring). Smaller ones come from ``numpy.empty``.

    Example::

        matrix = mapped((1000, 500), "<f8")   # 4 MB the writer fills, packs and drops
    """
    import mmap  # here: init() imports the writer; the writer thread packs

    import numpy as np

    dt = np.dtype(dtype)
    size = shape[0] * shape[1] * dt.itemsize
    if size < MAPPED_MIN:
        return np.empty(shape, dtype=dt)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dt).reshape(shape)
