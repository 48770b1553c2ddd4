"""``jt.Html``: an HTML document kept as a blob (never rendered by jupyter_track outside a sandboxed iframe).

Logged data: ``{"sha": <blob of the UTF-8 HTML>, "size": <bytes>, "inject": False}``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .image import MAX_FILE_BYTES


class Html:
    """HTML to log (W&B: ``wandb.Html``): a string, a path to an .html file, or an open text file.

    ``inject`` is kept for W&B compatibility (W&B adds its stylesheet when true); it is recorded, nothing more.
    The text is stored as is: displaying it safely is the viewer's job.

    Example::

        jt.log({"report": jt.Html("<h1>Epoch 3</h1><p>accuracy 0.93</p>")})
        jt.load_run(path).media("report")[-1][2].html
    """

    def __init__(self, data: Any, inject: bool = False) -> None:
        self.inject = bool(inject)
        self._sha: str | None = None
        self._get_blob: Callable[[str], bytes] | None = None
        if isinstance(data, os.PathLike) or (isinstance(data, str) and data.endswith((".html", ".htm"))
                                             and "<" not in data and Path(data).is_file()):
            path = Path(data)
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(f"Html({str(path)!r}): more than the limit of {MAX_FILE_BYTES:,} bytes")
            self._html: str | None = path.read_text(encoding="utf-8")
        elif isinstance(data, str):
            self._html = data
        elif hasattr(data, "read"):
            self._html = str(data.read())
        else:
            raise TypeError(f"Html: takes a string, a path or an open file, not {type(data).__name__}")
        if self._html is not None and len(self._html) > MAX_FILE_BYTES:
            raise ValueError(f"Html: {len(self._html):,} characters, more than the limit of {MAX_FILE_BYTES:,}")

    @classmethod
    def from_logged(cls, data: dict[str, Any], get_blob: Callable[[str], bytes]) -> Html:
        """The HTML described by logged ``data``, read from the store on first use."""
        self = cls.__new__(cls)
        self.inject = bool(data.get("inject", False))
        self._html, self._sha, self._get_blob = None, data["sha"], get_blob
        return self

    @property
    def html(self) -> str:
        """The HTML text, exactly as given."""
        if self._html is None:
            assert self._sha is not None and self._get_blob is not None
            self._html = self._get_blob(self._sha).decode("utf-8")
        return self._html

    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]:
        """Store the HTML as a blob; returns ``("html", {"sha", "size", "inject"})``."""
        raw = self.html.encode("utf-8")
        self._sha = put_blob(raw)
        return "html", {"sha": self._sha, "size": len(raw), "inject": self.inject}

    def __repr__(self) -> str:
        return f"<Html {len(self.html):,} characters>"
