"""``jt.plot.*`` charts (W&B: ``wandb.plot.line`` …): a chart kind, the columns it draws and its data as a Table.

Logged as one objects row of kind ``chart`` (the shape is :class:`jupyter_track.types.ChartData`)::

    {"chart": "roc_curve", "title": "ROC Curve", "fields": {"x": "fpr", "y": "tpr", "stroke": "class"},
     "axes": {"x": "False positive rate", "y": "True positive rate"},
     "table": {"sha": …, "nrows": 42, "ncols": 3, "columns": ["class", "fpr", "tpr"], "column_types": […]}}

``table`` is a logged :class:`~jupyter_track.media.table.Table` (its rows are a JSON blob), so the data reads
back as a DataFrame: ``jt.load_run(path).media("roc")[-1][2].to_pandas()``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .table import Table

if TYPE_CHECKING:
    import pandas as pd

# the chart kinds and the roles of their columns (a role left None is not drawn: a line chart without stroke)
ROLES: dict[str, tuple[str, ...]] = {
    "line": ("x", "y", "stroke"),
    "scatter": ("x", "y"),
    "bar": ("label", "value"),
    "histogram": ("value",),
    "line_series": ("x", "y", "stroke"),
    "confusion_matrix": ("actual", "predicted", "count"),
    "pr_curve": ("x", "y", "stroke"),
    "roc_curve": ("x", "y", "stroke"),
}
OPTIONAL = frozenset({"stroke"})


class Chart:
    """A chart of a table's columns, made by ``jt.plot.line(table, "x", "y")`` and the other ``jt.plot``
    functions, and logged like any media: ``jt.log({"roc": jt.plot.roc_curve(y, probas)})``.

    Example::

        table = jt.Table(data=[[1, 0.5], [2, 0.25]], columns=["epoch", "loss"])
        chart = jt.plot.line(table, "epoch", "loss", title="Loss")
        jt.log({"loss_chart": chart})
        jt.load_run(path).media("loss_chart")[-1][2].to_pandas()     # the table, back as a DataFrame
    """

    def __init__(self, chart: str, table: Table, fields: Mapping[str, str | None], title: str = "",
                 axes: Mapping[str, str] | None = None) -> None:
        if chart not in ROLES:
            raise ValueError(f"Chart: {chart!r} is not one of {', '.join(ROLES)}")
        if not isinstance(table, Table):
            raise TypeError(f"plot.{chart}: the data must be a jt.Table (wandb.Table), not {type(table).__name__}")
        self.chart = chart
        self.title = "" if title is None else str(title)
        self.axes = {k: str(v) for k, v in (axes or {}).items()}
        self.fields: dict[str, str | None] = {}
        for role in ROLES[chart]:
            column = fields.get(role)
            if column is None and role in OPTIONAL:
                self.fields[role] = None
                continue
            if column not in table.columns:
                raise ValueError(f"plot.{chart}: {role}={column!r} is not a column of the table; its columns are "
                                 f"{table.columns}")
            self.fields[role] = str(column)
        self._table: Table | None = table
        self._logged: tuple[dict[str, Any], Callable[[str], bytes]] | None = None

    @property
    def table(self) -> Table:
        """The chart's data (read from the store on first use for a chart read back)."""
        if self._table is None:
            assert self._logged is not None
            self._table = Table.from_logged(*self._logged)
        return self._table

    def to_pandas(self) -> pd.DataFrame:
        """The chart's data as a DataFrame."""
        return self.table.to_pandas()

    def column(self, role: str) -> list[Any]:
        """The values of the column drawn as ``role`` (``x``, ``y``, ``stroke``, ``label``, ``value`` …)."""
        name = self.fields.get(role)
        return [] if name is None else self.table.get_column(name)

    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]:
        """Store the table as a blob; returns ``("chart", ChartData)``."""
        _, table = self.table.to_logged(put_blob)
        return "chart", {"chart": self.chart, "title": self.title, "fields": dict(self.fields),
                         "axes": dict(self.axes), "table": table}

    @classmethod
    def from_logged(cls, data: Mapping[str, Any], get_blob: Callable[[str], bytes]) -> Chart:
        """The chart described by logged ``data``; its table is read on first use."""
        self = cls.__new__(cls)
        self.chart, self.title = str(data["chart"]), str(data.get("title") or "")
        self.fields = dict(data["fields"])
        self.axes = dict(data.get("axes") or {})
        self._table, self._logged = None, (dict(data["table"]), get_blob)
        return self

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.fields.items() if v is not None)
        return f"<Chart {self.chart} {self.title!r} ({shown})>"
