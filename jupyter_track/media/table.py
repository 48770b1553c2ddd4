"""``jt.Table``: rows and named columns whose cells are numbers, strings, None, bools, numpy arrays or media.

Logged as one objects row ``{"sha", "nrows", "ncols", "columns", "column_types"}`` whose ``sha`` names a JSON
blob::

    {"columns": ["id", "image", "label"], "column_types": ["number", "image", "string"],
     "rows": [[0, {"_type": "image", "sha": …, "thumb": …, "width": 28, …}, "cat"], …]}

Media cells hold their logged data with ``"_type"`` (``image``, ``histogram``, ``html``, ``plotly``); their
payloads are blobs of their own, stored once per distinct content. A column's numpy arrays are one ``.npy`` blob
(``{"_type": "ndarray", "sha", "index", "shape", "dtype"}`` per cell). Text is kept verbatim: it is data, never HTML.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import orjson

from ..scalars import is_array, plain_scalar
from . import kinds

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_COLUMNS = ("Input", "Output", "Expected")  # W&B's default when no columns are given
_QUERY_ERRORS = (SyntaxError, NameError, TypeError, ValueError, KeyError, AttributeError, IndexError)


class Table:
    """A table of rows (W&B: ``wandb.Table``), loggable with ``log()`` and readable with ``run.table(key)``.

    Example::

        table = jt.Table(columns=["image", "label", "prediction"])
        for x, y, p in zip(images, labels, preds):
            table.add_data(jt.Image(x), y, p)
        jt.log({"predictions": table})
        wrong = table.filter("label != prediction")        # a pandas query, evaluated here in the kernel
        jt.load_run(path).table("predictions").to_pandas()
    """

    def __init__(self, columns: Sequence[str] | None = None, data: Any = None, rows: Any = None,
                 dataframe: pd.DataFrame | None = None, dtype: Any = None, optional: Any = True,
                 allow_mixed_types: bool = False) -> None:
        if data is not None and rows is not None:
            raise ValueError("Table: give data= or rows=, not both")
        data = rows if data is None else data
        if dataframe is None and data is not None and type(data).__name__ == "DataFrame":
            dataframe, data = data, None
        if dataframe is not None:
            if data is not None:
                raise ValueError("Table: give data= or dataframe=, not both")
            self.columns: list[str] = [str(c) for c in (columns or dataframe.columns)]
            self.data: list[list[Any]] = [[_checked(v, self.columns, c, r) for c, v in enumerate(row)]
                                          for r, row in enumerate(dataframe.itertuples(index=False, name=None))]
        else:
            self.columns = [str(c) for c in columns] if columns is not None else list(DEFAULT_COLUMNS)
            self.data = []
            for row in _rows(data):
                self.add_data(*row)
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"Table: column names must be unique, got {self.columns}")
        for i, row in enumerate(self.data):
            if len(row) != len(self.columns):
                raise ValueError(f"Table: row {i} has {len(row)} cells for {len(self.columns)} columns")

    # -- building -----------------------------------------------------------------------------------------------
    def add_data(self, *row: Any) -> None:
        """Append one row: one value per column. Cells are what ``log()`` accepts as a number (numpy scalars and
        0-d torch / TF tensors become Python numbers), strings, None, bools and media; anything else raises
        ``TypeError`` here, naming the cell."""
        if len(row) != len(self.columns):
            raise ValueError(f"Table.add_data: {len(row)} values for {len(self.columns)} columns {self.columns}")
        r = len(self.data)
        self.data.append([_checked(v, self.columns, c, r) for c, v in enumerate(row)])

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Append a column (one value per existing row; on an empty table, the values make the rows)."""
        name = str(name)
        if name in self.columns:
            raise ValueError(f"Table.add_column: there is already a column {name!r}")
        values = [_checked(v, [name], 0, r) for r, v in enumerate(data)]
        if not self.data and not self.columns:
            self.data = [[v] for v in values]
        elif len(values) != len(self.data):
            raise ValueError(f"Table.add_column({name!r}): {len(values)} values for {len(self.data)} rows")
        else:
            for row, v in zip(self.data, values, strict=True):
                row.append(v)
        self.columns.append(name)

    def add_computed_columns(self, fn: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
        """Add the columns ``fn(index, row)`` returns for each row (``row``: ``{column: value}``), as W&B's.

        Example::

            table.add_computed_columns(lambda i, row: {"img": jt.Image(row["x"])})
        """
        computed = [fn(i, dict(zip(self.columns, row, strict=True))) for i, row in enumerate(self.data)]
        for name in dict.fromkeys(k for values in computed for k in values):
            self.add_column(name, [values.get(name) for values in computed])

    def get_column(self, name: str, convert_to: str | None = None) -> Any:
        """The values of column ``name`` as a list (``convert_to="numpy"``: a numpy array)."""
        try:
            i = self.columns.index(name)
        except ValueError:
            raise KeyError(f"Table has no column {name!r}; columns: {self.columns}") from None
        values = [row[i] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.asarray(values)
        return values

    def get_index(self) -> list[int]:
        """Row numbers 0..n-1."""
        return list(range(len(self.data)))

    def to_pandas(self) -> pd.DataFrame:
        """The table as a DataFrame (media cells stay objects: ``Image``, ``Histogram`` …)."""
        import pandas as pd

        return cast("pd.DataFrame", pd.DataFrame(self.data, columns=self.columns))

    get_dataframe = to_pandas

    # -- filtering ----------------------------------------------------------------------------------------------
    def filter_rows(self, expr: str) -> list[int]:
        """Row numbers where the pandas query ``expr`` holds (``DataFrame.query``: ``label != prediction``,
        ``score > 0.5 and label == 'cat'``; backquote other column names: ```my col` > 1``).

        The expression is evaluated in this process, as code the user typed; it is not a sandbox."""
        if not isinstance(expr, str) or not expr.strip():
            raise ValueError("Table.filter: give a pandas query string such as \"label != prediction\"")
        frame = self.to_pandas()
        try:
            result = frame.query(expr)
        except _QUERY_ERRORS as e:
            raise ValueError(f"Table.filter({expr!r}) failed: {type(e).__name__}: {e} "
                             f"(columns: {self.columns}; quote strings, backquote names with spaces)") from None
        return [int(i) for i in result.index]

    def filter(self, expr: str) -> Table:
        """A new table with the rows where the pandas query ``expr`` holds (see :meth:`filter_rows`)."""
        return self._subset(self.filter_rows(expr))

    def search_rows(self, text: str) -> list[int]:
        """Row numbers where some text cell or image caption contains ``text`` (case-insensitive)."""
        needle = str(text).casefold()

        def words(cell: Any) -> str:
            return cell if isinstance(cell, str) else (getattr(cell, "caption", None) or "")

        return [i for i, row in enumerate(self.data) if any(needle in words(c).casefold() for c in row)]

    def search(self, text: str) -> Table:
        """A new table with the rows where some string cell contains ``text`` (case-insensitive)."""
        return self._subset(self.search_rows(text))

    def _subset(self, indices: Iterable[int]) -> Table:
        table = Table(columns=list(self.columns))
        table.data = [self.data[i] for i in indices]
        return table

    # -- logging and reading back -------------------------------------------------------------------------------
    def column_types(self) -> list[str]:
        """Per column: ``number``, ``string``, ``bool``, ``image``, ``histogram``, … , ``none`` or ``mixed``."""
        return [_column_type(row[i] for row in self.data) for i in range(len(self.columns))]

    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]:
        """Store the rows as one JSON blob (media cells as their logged data); returns ``("table", data)``."""
        cached: dict[int, Any] = {}  # the same media object in many cells is converted once
        rows = []
        for r, row in enumerate(self.data):
            # checked again: rows may have been put into .data directly
            rows.append([_cell(_checked(v, self.columns, c, r), put_blob, cached) for c, v in enumerate(row)])
        for (r, c), cell in _array_cells(self.data, put_blob).items():
            rows[r][c] = cell
        types = [_logged_type(row[i] for row in rows) for i in range(len(self.columns))]
        blob = {"columns": self.columns, "column_types": types, "rows": rows}
        sha = put_blob(orjson.dumps(blob, option=orjson.OPT_SERIALIZE_NUMPY))
        return "table", {"sha": sha, "nrows": len(rows), "ncols": len(self.columns), "columns": list(self.columns),
                         "column_types": types}

    @classmethod
    def from_logged(cls, data: dict[str, Any], get_blob: Callable[[str], bytes]) -> Table:
        """The table described by logged ``data``: rows from its blob, media cells as lazy media objects."""
        blob = orjson.loads(get_blob(data["sha"]))
        table = cls(columns=blob["columns"])
        arrays: dict[str, Any] = {}  # .npy blobs of ndarray cells, each read once

        def cell(c: Any) -> Any:  # a media cell is logged as a dict with its "_type" (a table in a table too)
            if type(c) is not dict:
                return c
            if c["_type"] == "ndarray":
                if c["sha"] not in arrays:
                    import io

                    import numpy as np

                    arrays[c["sha"]] = np.load(io.BytesIO(get_blob(c["sha"])), allow_pickle=False)
                return arrays[c["sha"]][c["index"]]
            return cls.from_logged(c, get_blob) if c["_type"] == "table" else kinds.from_logged(c["_type"], c, get_blob)

        table.data = [[cell(c) for c in row] for row in blob["rows"]]
        return table

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` pairs, as W&B's ``Table.iterrows()``."""
        return iter(enumerate(self.data))

    iterrows = __iter__

    def __repr__(self) -> str:
        return f"<Table {len(self.data)} rows x {len(self.columns)} columns {self.columns[:8]}>"

    def _ipython_display_(self) -> None:
        """In a notebook, a table is shown as the table widget: paged, sortable, filterable, with thumbnails
        (and its first rows as static HTML where the widget cannot render)."""
        from .. import frontend

        frontend.view("table")(self)


def _rows(data: Any) -> Iterable[Sequence[Any]]:
    if data is None:
        return []
    tolist = getattr(data, "tolist", None)
    if callable(tolist) and getattr(data, "ndim", 0) == 2:  # a 2-d numpy array
        result: list[Sequence[Any]] = tolist()
        return result
    return [tuple(r) for r in data]


def _checked(v: Any, columns: Sequence[str], column: int, row: int) -> Any:
    """Cell ``v`` as a table holds it, or a TypeError naming the cell."""
    t = type(v)
    if v is None or t is str or t is int or t is float or t is bool or hasattr(v, "to_logged"):
        return v
    if isinstance(v, str):
        return str(v)
    scalar = plain_scalar(v)
    if scalar is not None:
        return scalar
    if is_array(v) and v.dtype.kind in "biufc":  # W&B's ndarray cells (stored a column at a time, as .npy)
        return v
    raise TypeError(f"Table: cell ({row}, {columns[column]!r}) is a {t.__module__}.{t.__qualname__}"
                    + (f" of {v.dtype}" if is_array(v) else "") + "; cells may be numbers (Python, numpy, 0-d "
                    "torch/TF tensors), numeric numpy arrays, strings, None, bools or jupyter_track media "
                    "(jt.Image, jt.Histogram, …)")


def _array_cells(data: list[list[Any]], put_blob: Callable[[bytes], str]) -> dict[tuple[int, int], dict[str, Any]]:
    """The logged form of the ndarray cells, by (row, column): the arrays of a column, when they have one shape and
    dtype, stacked in one ``.npy`` blob (a cell names its row in it), else one blob each."""
    found: dict[int, list[tuple[int, Any]]] = {}
    for r, row in enumerate(data):
        for c, v in enumerate(row):
            if is_array(v):
                found.setdefault(c, []).append((r, v))
    if not found:
        return {}
    import io

    import numpy as np

    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for c, arrays in found.items():
        first = arrays[0][1]
        alike = all(a.shape == first.shape and a.dtype == first.dtype for _, a in arrays)
        for group in [arrays] if alike else [[one] for one in arrays]:
            buffer = io.BytesIO()
            np.save(buffer, np.stack([a for _, a in group]), allow_pickle=False)
            sha = put_blob(buffer.getvalue())
            for i, (r, a) in enumerate(group):
                cells[r, c] = {"_type": "ndarray", "sha": sha, "index": i, "shape": list(a.shape),
                               "dtype": str(a.dtype)}
    return cells


def _cell(v: Any, put_blob: Callable[[bytes], str], cached: dict[int, Any]) -> Any:
    """A checked cell as it is stored: NaN and ±inf as null (JSON has neither), media as their logged data."""
    if type(v) is float:
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    to_logged = getattr(v, "to_logged", None)
    if not callable(to_logged):
        return v
    done = cached.get(id(v))
    if done is None:
        kind, data = to_logged(put_blob)
        done = cached[id(v)] = {"_type": kind, **data}
    return done


_SCALAR_TYPES = {str: "string", int: "number", float: "number", bool: "bool"}


def _column_type(values: Iterable[Any]) -> str:
    seen = set()
    for v in values:
        if v is None:
            continue
        name = _SCALAR_TYPES.get(type(v))
        if name is None:
            name = (type(v).__name__.lower() if hasattr(v, "to_logged") else
                    "ndarray" if is_array(v) else
                    "bool" if type(v).__name__ == "bool_" else
                    "number" if isinstance(v, numbers.Number) else "string" if isinstance(v, str) else "mixed")
        seen.add(name)
        if len(seen) > 1:
            return "mixed"
    return seen.pop() if seen else "none"


def _logged_type(values: Iterable[Any]) -> str:
    seen = set()
    for v in values:
        if v is None:
            continue
        seen.add(v["_type"] if type(v) is dict else _SCALAR_TYPES[type(v)])
        if len(seen) > 1:
            return "mixed"
    return seen.pop() if seen else "none"
