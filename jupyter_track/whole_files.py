"""Files written whole: a reader sees the old file or the new one, never a part (the blob store's blobs, an
artifact's downloaded files, the capture's cache of installed packages)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_whole(target: Path, blocks: Iterable[bytes]) -> None:
    """Write ``target`` (its folder made if need be) from ``blocks`` through a temporary file beside it, renamed
    over it at the end: a reader sees the old file or the new one, never a part; a failure leaves no file behind.

    Example::

        write_whole(Path("cache/list.json"), [json.dumps(listing).encode()])
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            for block in blocks:
                f.write(block)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
