"""Handing memory freed by the writer back to the operating system.

glibc's allocator keeps freed heap pages for reuse: after a flush freed a buffer of wide ``log()`` calls (each a
dict of its own, thousands of bytes), the process would go on holding its peak. ``malloc_trim`` returns the free
pages; other C libraries (musl, macOS) return them on their own or lack it, and then this does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache


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
