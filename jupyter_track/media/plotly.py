"""``jt.Plotly``: a plotly figure kept as its JSON (plotly is imported only to rebuild a figure on read).

Logged data: ``{"sha": <blob of the figure JSON>, "size": <bytes>}``. A plotly figure passed to ``log()``
directly is wrapped in :class:`Plotly`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from .image import MAX_FILE_BYTES


class Plotly:
    """A plotly figure to log (W&B: ``wandb.Plotly``): a ``plotly.graph_objects.Figure`` or a figure dict.

    Example::

        fig = px.scatter(df, x="lr", y="acc")
        jt.log({"sweep": fig})                     # or jt.Plotly(fig)
        jt.load_run(path).media("sweep")[-1][2].to_figure()
    """

    def __init__(self, figure: Any) -> None:
        self._sha: str | None = None
        self._get_blob: Callable[[str], bytes] | None = None
        if isinstance(figure, Plotly):
            self._json: str | None = figure.json
        elif hasattr(figure, "to_json") and type(figure).__module__.startswith("plotly."):
            self._json = str(figure.to_json())
        elif isinstance(figure, Mapping):
            self._json = json.dumps(figure, default=_plain)
        else:
            raise TypeError(f"Plotly: takes a plotly figure or a figure dict, not {type(figure).__name__}")
        if len(self._json) > MAX_FILE_BYTES:
            raise ValueError(f"Plotly: the figure's JSON has {len(self._json):,} characters, more than the limit "
                             f"of {MAX_FILE_BYTES:,}; plot fewer points")

    @classmethod
    def from_logged(cls, data: dict[str, Any], get_blob: Callable[[str], bytes]) -> Plotly:
        """The figure described by logged ``data``, read from the store on first use."""
        self = cls.__new__(cls)
        self._json, self._sha, self._get_blob = None, data["sha"], get_blob
        return self

    @property
    def json(self) -> str:
        """The figure as plotly JSON text."""
        if self._json is None:
            assert self._sha is not None and self._get_blob is not None
            self._json = self._get_blob(self._sha).decode("utf-8")
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """The figure as a dict (``data``, ``layout``), without importing plotly."""
        result: dict[str, Any] = json.loads(self.json)
        return result

    def to_figure(self) -> Any:
        """The figure as a ``plotly.graph_objects.Figure`` (needs plotly)."""
        return importlib.import_module("plotly.io").from_json(self.json)

    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]:
        """Store the JSON as a blob; returns ``("plotly", {"sha", "size"})``."""
        raw = self.json.encode("utf-8")
        self._sha = put_blob(raw)
        return "plotly", {"sha": self._sha, "size": len(raw)}

    def __repr__(self) -> str:
        return f"<Plotly {len(self.json):,} characters of JSON>"


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    raise TypeError(f"Plotly: a figure dict holds a {type(value).__name__}, which is not JSON")
