"""Media: user objects (images, histograms, HTML, plotly figures, tables, ``jt.plot`` charts) → stored values,
and back.

Each type turns itself into ``(kind, json-able data)`` through ``to_logged(put_blob)`` (the
:class:`~jupyter_track.values.Loggable` protocol), keeping large payloads as content-addressed blobs, and is
rebuilt from that data with ``from_logged(data, get_blob)``. Nothing here imports PIL, plotly, matplotlib or
torch until it is used.

Example::

    import jupyter_track as jt
    jt.log({"img": jt.Image(x), "h": jt.Histogram(v), "preds": jt.Table(columns=["a"], data=[[1]])})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import WANDB_TYPES_MISSING, missing_wandb_type
from . import kinds
from .chart import Chart
from .histogram import Histogram
from .html import Html
from .image import Image
from .plotly import Plotly
from .table import Table

__all__ = ["Chart", "Histogram", "Html", "Image", "Plotly", "Table", "as_media", "brief", "describe", "from_logged",
           "summary_repr"]

def __getattr__(name: str) -> Any:
    if name in WANDB_TYPES_MISSING:  # wandb.data_types.Video …: say what there is instead
        raise missing_wandb_type(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def from_logged(kind: str, data: Any, get_blob: Callable[[str], bytes]) -> Any:
    """The media object logged as ``(kind, data)``: a ``Table``, a ``Chart``, an ``Image``, a list of them for
    ``images``, a ``Histogram`` …; other kinds (``text``) come back as their data."""
    if kind == "table":
        return Table.from_logged(data, get_blob)
    if kind == "chart":
        return Chart.from_logged(data, get_blob)
    return kinds.from_logged(kind, data, get_blob)


def describe(value: Any) -> str | None:
    """A logged medium's record (a summary value with its ``"_type"``) as one line of text for listings; None for
    anything else.

    Example::

        describe(run.summary["weights"])   # 'histogram: 64 bins over [-2.97, 3.38]'
    """
    kind = value.get("_type") if isinstance(value, dict) else None
    if not isinstance(kind, str):
        return None
    if kind == "histogram" and isinstance(value.get("bins"), list) and len(value["bins"]) > 1:
        bins = value["bins"]
        return f"histogram: {len(bins) - 1} bins over [{float(bins[0]):.6g}, {float(bins[-1]):.6g}]"
    if kind == "image":
        caption = f' "{value["caption"]}"' if value.get("caption") else ""
        return f"image: {value.get('width')}×{value.get('height')} {value.get('format') or ''}".rstrip() + caption
    if kind == "table":
        return f"table: {value.get('nrows')} rows × {value.get('ncols')} columns"
    return kind


def brief(value: Any) -> Any:
    """A summary value for a table or a listing: a logged medium as its one-line :func:`describe`, anything else
    unchanged."""
    return describe(value) or value


def summary_repr(summary: Mapping[str, Any]) -> str:
    """A summary as a dict's repr, with each logged medium as ``<its description>`` instead of its data (a
    ``jt.watch`` histogram is kilobytes of numbers)."""
    parts = []
    for key, value in summary.items():
        text = describe(value)
        parts.append(f"{key!r}: {f'<{text}>' if text else repr(value)}")
    return "{" + ", ".join(parts) + "}"


def as_media(value: Any) -> Any:
    """A plotly or matplotlib figure (or the ``matplotlib.pyplot`` module: its current figure), or a pandas
    DataFrame (a :class:`Table`, as W&B logs one), as the media object that stores it, else None. Detected by
    type, without importing plotly, matplotlib or pandas."""
    module = type(value).__module__
    if module.split(".")[0] == "pandas" and type(value).__name__ == "DataFrame":
        return Table(dataframe=value)
    if module.startswith("plotly.") and hasattr(value, "to_json"):
        return Plotly(value)
    if module.startswith("matplotlib.") and type(value).__name__ in ("Figure", "SubFigure"):
        return Image(value)
    if getattr(value, "__name__", None) == "matplotlib.pyplot" and hasattr(value, "gcf"):
        return Image(value.gcf())
    return None
