"""Media objects back from their logged ``(kind, data)``, for every kind but ``table`` (whose cells are these)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .histogram import Histogram
from .html import Html
from .image import Image
from .plotly import Plotly

KINDS: dict[str, Any] = {"image": Image, "histogram": Histogram, "html": Html, "plotly": Plotly}


def from_logged(kind: str, data: Any, get_blob: Callable[[str], bytes]) -> Any:
    """The media object logged as ``(kind, data)``: an ``Image``, a list of them for ``images``, a
    ``Histogram`` …; other kinds (``text``) come back as their data."""
    if kind == "images":
        return [Image.from_logged(d, get_blob) for d in data]
    cls = KINDS.get(kind)
    return data if cls is None else cls.from_logged(data, get_blob)
