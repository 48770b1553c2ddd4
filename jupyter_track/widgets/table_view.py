"""The table widget: a ``jt.Table`` in a cell, paged, sortable, filterable, with image thumbnails.

The kernel keeps the table and does the work (a pandas query such as ``label != prediction``, a text search,
sorting), and sends one page at a time, so 10,000 rows with 1,000 images stay responsive. Image cells travel
as small thumbnails (data URLs: JPEG for photos, else PNG); a click asks the kernel for the full image, shown in
a dialog that steps through the column's images with the arrow keys. Every cell is shown as text: the frontend
never parses cell values as HTML.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..media import Histogram, Image, Table, describe
from ..scalars import is_array
from . import static_view

STATIC = Path(__file__).with_name("static")
PAGE_SIZE = 25
STATIC_ROWS = 20  # rows in the static HTML left for viewers without widgets
STATIC_THUMB = 48  # px a side: the static table's thumbnails
STATIC_LARGE = (384, 256, 128)  # px a side tried for an image's larger copy there, biggest first
# data-URL characters for all the static table's images, thumbnails first, then the larger copies while they fit:
# the table's saved outputs stay under ~100 KB (benchmarks/bench_saved_notebook.py --images)
STATIC_IMAGE_BYTES = 80_000


class TableWidget(anywidget.AnyWidget):
    """Shows a :class:`~jupyter_track.media.Table`; ``display(table)`` (or a table as a cell's last value)
    makes one in a notebook."""

    _esm = STATIC / "table_view.js"
    _css = STATIC / "table_view.css"
    columns: traitlets.List[str] = traitlets.List().tag(sync=True)
    column_types: traitlets.List[str] = traitlets.List().tag(sync=True)
    rows: traitlets.List[list[Any]] = traitlets.List().tag(sync=True)  # the current page: lists of cells (JSON)
    row_ids: traitlets.List[int] = traitlets.List().tag(sync=True)  # their row numbers in the table
    total = traitlets.Int(0).tag(sync=True)  # rows matching the filter and search
    size = traitlets.Int(0).tag(sync=True)
    page = traitlets.Int(0).tag(sync=True)
    page_size = traitlets.Int(PAGE_SIZE).tag(sync=True)
    sort_by = traitlets.Unicode("").tag(sync=True)
    sort_desc = traitlets.Bool(False).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    search = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, table: Table, **kwargs: Any) -> None:
        super().__init__(columns=list(table.columns), column_types=table.column_types(), size=len(table), **kwargs)
        self._table = table
        self._order: list[int] = []
        self.observe(self._refresh, names=["page", "page_size", "sort_by", "sort_desc", "query", "search"])
        self.on_msg(self._on_message)
        self._refresh()

    def _refresh(self, change: Any = None) -> None:
        if change is not None and change["name"] in ("sort_by", "sort_desc", "query", "search") and self.page:
            self.page = 0  # a new order or filter starts on the first page (this refreshes again)
            return
        self._order = self._matching()
        last_page = max(0, math.ceil(len(self._order) / max(1, self.page_size)) - 1)
        if self.page > last_page:
            self.page = last_page
            return
        ids = self._order[self.page * self.page_size:(self.page + 1) * self.page_size]
        # one message: the view must never draw the new count over the old rows
        with self.hold_sync():
            self.total = len(self._order)
            self.row_ids = ids
            self.rows = [[_cell(v) for v in self._table.data[i]] for i in ids]

    def _matching(self) -> list[int]:
        ids = list(range(len(self._table)))
        errors = []
        if self.query.strip():
            try:
                keep = set(self._table.filter_rows(self.query))
                ids = [i for i in ids if i in keep]
            except ValueError as exc:
                errors.append(str(exc))
        if self.search.strip():
            found = set(self._table.search_rows(self.search))
            ids = [i for i in ids if i in found]
        self.error = "; ".join(errors)
        if self.sort_by in self._table.columns:
            col = self._table.columns.index(self.sort_by)
            present = [i for i in ids if _sort_key(self._table.data[i][col]) is not None]
            missing = [i for i in ids if _sort_key(self._table.data[i][col]) is None]
            present.sort(key=lambda i: _sort_key(self._table.data[i][col]), reverse=self.sort_desc)
            ids = present + missing  # empty cells last, whichever the direction
        return ids

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("type") == "full":  # click-to-enlarge: the whole image, not the thumbnail
            self._send_image(int(content["row"]), int(content["col"]), int(content.get("step") or 0),
                             content.get("view"))

    def _send_image(self, row: int, col: int, step: int, view: Any) -> None:
        """Send the full image in column ``col`` of ``row``, or (``step`` ±1) of the next/previous row in the
        table's current order (sort, filter and search; all pages) that has an image there."""
        images = [i for i in self._order if isinstance(self._table.data[i][col], Image)]
        if not images:
            return
        index = images.index(row) if row in images else 0
        index = min(max(index + step, 0), len(images) - 1)
        cell = self._table.data[images[index]][col]
        self.send({"type": "full", "view": view, "row": images[index], "col": col, "index": index,
                   "count": len(images), "width": cell.width, "height": cell.height,
                   "src": _data_url(cell.encoded, cell.format), "caption": cell.caption or ""})


def _sort_key(value: Any) -> Any:
    """What a cell sorts by: numbers by value, text by text, images by caption; None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float):
        return (0, float(value), "")
    if isinstance(value, Image):
        return (1, 0.0, value.caption or "")
    return (1, 0.0, str(value))


def _cell(value: Any) -> Any:
    """A cell as JSON for the frontend."""
    if isinstance(value, Image):
        return {"_type": "image", "src": _thumb_url(value), "caption": value.caption or ""}
    if isinstance(value, Histogram):
        return {"_type": "histogram", "values": [float(v) for v in value.histogram],
                "bins": [float(b) for b in value.bins]}
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if is_array(value):  # a numpy array cell: its shape, not its numbers
        return f"array {'×'.join(map(str, value.shape))} {value.dtype}"
    return str(value)


def _thumb_url(image: Image) -> str:
    """The live table's thumbnail (≤ 128 px) as a data URL (a saved notebook keeps a page of 25 in the widget
    state): the image's stored PNG thumbnail, as JPEG when it is a photo (:func:`_encoded_url`)."""
    import io

    from PIL import Image as PILImage

    png = image.thumbnail
    return _encoded_url(PILImage.open(io.BytesIO(png)), png)


def _encoded_url(pic: Any, png: bytes | None = None) -> str:
    """``pic`` (a PIL image) as a data URL: JPEG for a photo (:func:`_photo`: several times smaller than PNG, and
    fast to encode) unless ``png``, its PNG already encoded, is smaller; else that PNG (or one made here)."""
    import io

    if _photo(pic):
        buffer = io.BytesIO()
        pic.convert("RGB").save(buffer, "jpeg", quality=85)
        if png is None or buffer.tell() < len(png):
            return _data_url(buffer.getvalue(), "jpeg")
    if png is None:
        buffer = io.BytesIO()
        pic.save(buffer, "png")  # transparency, a palette, 16-bit or few colours
        png = buffer.getvalue()
    return _data_url(png, "png")


def _photo(pic: Any) -> bool:
    """An opaque image of many colours (a photo), which JPEG stores several times smaller than PNG (a mask, a digit,
    a chart or transparency stays PNG)."""
    return pic.mode in ("RGB", "L", "CMYK", "YCbCr") and pic.getcolors(256) is None


def _data_url(data: bytes, fmt: str | None) -> str:
    mime = {"jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}.get((fmt or "png").lower(), "png")
    return f"data:image/{mime};base64,{base64.b64encode(data).decode()}"


def static_html(table: Table) -> str:
    """The first rows as a plain HTML table (escaped), for viewers without widgets: cells written as the live
    table writes them (:func:`cell_text`), images as small thumbnails that open a larger copy in place (``<details>``:
    no script, so GitHub and nbviewer keep it) within :data:`STATIC_IMAGE_BYTES`."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    rows = table.data[:STATIC_ROWS]
    images = static_images([v for row in rows for v in row if isinstance(v, Image)])
    body = []
    for row in rows:
        cells = []
        for v in row:
            if isinstance(v, Image):
                cells.append(f"<td>{images[id(v)]}</td>")
            elif isinstance(v, Histogram):
                cells.append(f"<td>{_static_histogram(v)}</td>")
            else:
                cells.append(f"<td>{html.escape(cell_text(_cell(v)))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    more = f"<p>{len(table) - STATIC_ROWS} more rows</p>" if len(table) > STATIC_ROWS else ""
    return (f'<div class="jt-table-static"><table border="1" style="border-collapse:collapse;font-size:12px">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}</div>")


def cell_text(value: Any) -> str:
    """A cell (as :func:`_cell` sends it) as the live table prints it (``fmt`` in static/table_view.js): whole
    numbers in full, other numbers to 6 significant digits in their shortest form (JavaScript's ``String(n)``:
    ``0.3``, ``1.5e-7``), ``true``/``false``, nothing for an empty cell."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        short = float(f"{value:.6g}")
        if 1e-6 <= abs(short) < 1e21:
            return str(np.format_float_positional(short, trim="-"))
        return str(np.format_float_scientific(short, trim="-", exp_digits=1))
    return "" if value is None else str(value)


def static_images(images: list[Image]) -> dict[int, str]:
    """Each of ``images`` (by ``id``) as a thumbnail of :data:`STATIC_THUMB` px that opens, when clicked, a
    larger copy under it (a ``<details>``): all at the biggest size of :data:`STATIC_LARGE` at which they fit
    in what :data:`STATIC_IMAGE_BYTES` leaves after the thumbnails; where none does, the first images in rows
    order at the smallest, the rest as the thumbnail alone."""
    thumbs = [_small_url(image, STATIC_THUMB) for image in images]
    left = STATIC_IMAGE_BYTES - sum(len(t) for t in thumbs)
    copies: list[str | None] = []
    for side in sorted(STATIC_LARGE):  # smallest first: with many images only those are made
        bigger: list[str | None] = [_small_url(image, side) for image in images]
        if copies and sum(len(c or "") for c in bigger) > left:
            break
        copies = bigger
    if sum(len(c or "") for c in copies) > left:  # the smallest do not all fit: as many as do, in order
        for n, copy in enumerate(copies):
            left -= len(copy or "")
            if left < 0:
                copies[n:] = [None] * (len(copies) - n)
                break
    out = {}
    for image, thumb, large in zip(images, thumbs, copies, strict=True):
        caption = html.escape(image.caption or "")
        small = f'<img src="{thumb}" alt="{caption}" title="{caption}">'
        if large is None:
            out[id(image)] = small
            continue
        # a small original is drawn bigger, its pixels kept sharp
        scale = max(1, STATIC_LARGE[-1] // max(image.width, image.height))
        size = f' width="{image.width * scale}"' if scale > 1 else ""
        out[id(image)] = (f'<details><summary title="a larger copy">{small}</summary><img src="{large}"{size} '
                          f'alt="{caption}" style="image-rendering:pixelated;max-width:none">'
                          + (f"<div>{caption}</div>" if caption else "") + "</details>")
    return out


def _small_url(image: Image, side: int) -> str:
    """``image`` within ``side`` × ``side`` px as a data URL (:func:`_encoded_url`: JPEG for a photo, else PNG)."""
    copy = image.to_pil().copy()
    copy.thumbnail((side, side))
    return _encoded_url(copy)


def _static_histogram(value: Histogram) -> str:
    """A histogram cell as a small SVG bar chart (the live table draws the same on a canvas): one path."""
    counts = [float(c) for c in value.histogram]
    top, width = max([1.0, *counts]), 80 / max(1, len(counts))
    bars = "".join(f"M{i * width:.1f} 24V{24 * (1 - c / top):.1f}h{max(1.0, width - 1):.1f}V24z"
                   for i, c in enumerate(counts) if c > 0)
    span = f"{value.bins[0]:.4g} … {value.bins[-1]:.4g}" if len(value.bins) else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="80" height="24"><title>{html.escape(span)}</title>'
            f'<path d="{bars}" fill="#1f77b4"/></svg>')


def show(table: Table) -> None:
    """Display a table in a cell: the widget, then the first rows as static HTML in a second output that stands
    in for it wherever the widget cannot render (:func:`~jupyter_track.widgets.static_view.fallback`)."""
    static_view.show(TableWidget(table), static_html(table))


def show_runs(runs: Any) -> None:
    """Display a ``RunList`` (``jt.runs(...)``) as a sortable, filterable table: one row per run."""
    show(runs_table(runs))


def runs_table(runs: Any) -> Table:
    """A ``RunList`` as a table: one row per run, columns that tell runs apart, a logged medium in the summary
    (a histogram, an image) as one line of text."""
    frame = runs.to_pandas()
    if "created_at" in frame.columns:
        frame["created_at"] = frame["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    if "tags" in frame.columns:
        frame["tags"] = frame["tags"].map(", ".join)
    same = [c for c in ("project", "entity") if c in frame.columns and frame[c].nunique(dropna=True) <= 1]
    frame = frame.drop(columns=same + [c for c in frame.columns if frame[c].isna().all()])
    frame = frame.astype(object).where(frame.notna(), None)
    for column in (c for c in frame.columns if c.startswith("summary.")):
        frame[column] = frame[column].map(lambda v: describe(v) or v)
    return Table(dataframe=frame)
