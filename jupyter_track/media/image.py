"""``jt.Image``: numpy arrays, PIL images, torch tensors, image files and matplotlib figures → a stored image.

The original is kept as a content-addressed blob (PNG for pixel data, the file's own bytes for a path) and a
thumbnail of at most :data:`THUMB_SIZE` pixels a side as a second PNG blob. Logged data::

    {"sha": <original blob>, "thumb": <thumbnail blob>, "width": 640, "height": 480,
     "caption": "a cat" | None, "format": "png" | "jpeg" | ...}

Limits (module constants, change them with ``jupyter_track.media.image.MAX_PIXELS = ...``): at most
:data:`MAX_PIXELS` pixels and :data:`MAX_FILE_BYTES` bytes per image; larger input raises ``ValueError``.

Pixel values follow W&B: ``uint8`` as is; ``bool`` as 0/255; other integers clipped to 0..255; floats in
[0, 1] scaled by 255; floats with a negative minimum min-max scaled to 0..255; other floats (maximum > 1)
taken as 0..255 and clipped. NaN becomes 0.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .arrays import as_numpy, is_tensor

if TYPE_CHECKING:
    from PIL import Image as PILImage

MAX_PIXELS = 50_000_000
"""The largest image accepted (width × height); a larger one raises ``ValueError``."""
MAX_FILE_BYTES = 50 * 1024 * 1024
"""The largest image file (or encoded image) accepted, in bytes."""
THUMB_SIZE = 128
"""Thumbnails fit in a THUMB_SIZE × THUMB_SIZE box (aspect ratio kept)."""

_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}
GetBlob = Callable[[str], bytes]


class Image:
    """An image to log or to put in a :class:`~jupyter_track.media.Table` cell (W&B: ``wandb.Image``).

    ``data_or_path``: a numpy array (``HW`` greyscale, ``HWC`` or ``CHW`` with 1, 3 or 4 channels), a PIL image,
    a torch tensor (``CHW`` or ``HW``), a path to an image file, or a matplotlib figure. ``mode`` converts to a
    PIL mode (``"L"``, ``"RGB"``, ``"RGBA"``); ``file_type`` picks the stored encoding for pixel data
    (``"png"`` by default; ``"jpeg"``, ``"webp"`` …). The pixels are copied at once: changing the array later
    does not change what is logged.

    Example::

        jt.log({"sample": jt.Image(batch[0], caption=f"label {labels[0]}")})
        jt.log({"samples": [jt.Image(x) for x in batch[:8]]})   # several images under one key
        img = jt.load_run(path).media("sample")[-1][2]               # read back: (step, time, Image)
        img.to_numpy().shape                                     # (28, 28)
    """

    def __init__(self, data_or_path: Any, mode: str | None = None, caption: str | None = None,
                 file_type: str | None = None) -> None:
        self.caption = None if caption is None else str(caption)
        self._pil: PILImage.Image | None = None
        self._encoded: bytes | None = None  # the original, encoded (PNG, or the file's own bytes)
        self._thumb: bytes | None = None
        self._sha: str | None = None  # set for an image read back from the store
        self._thumb_sha: str | None = None
        self._get_blob: GetBlob | None = None
        fmt = (file_type or "png").lower().lstrip(".")
        if fmt not in _FORMATS:
            raise ValueError(f"Image(file_type={file_type!r}): use one of {sorted(_FORMATS)}")
        self.format = "jpeg" if fmt == "jpg" else fmt
        if isinstance(data_or_path, Image):
            data_or_path = data_or_path.to_pil()
        if isinstance(data_or_path, str | os.PathLike):
            self._from_path(Path(data_or_path))
        elif _is_matplotlib_figure(data_or_path):
            self._from_encoded(_render_figure(data_or_path), "matplotlib figure")
        elif _is_pil(data_or_path):
            _check_pixels(*data_or_path.size)
            self._pil = data_or_path.copy()
        else:
            self._pil = _pil_from_array(_as_array(data_or_path))
        if mode is not None and self.to_pil().mode != mode:
            self._pil = self.to_pil().convert(mode)
            if self._encoded is not None:  # a file converted to another mode is stored as a new PNG
                self._encoded, self.format = None, "png"
        self.width, self.height = self._pil.size if self._pil is not None else self._size

    # -- construction -------------------------------------------------------------------------------------------
    def _from_path(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"Image({str(path)!r}): no such file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"Image({str(path)!r}): the file has {size:,} bytes, more than the limit of "
                             f"{MAX_FILE_BYTES:,} (jupyter_track.media.image.MAX_FILE_BYTES); downscale it first")
        self._from_encoded(path.read_bytes(), repr(str(path)))

    def _from_encoded(self, data: bytes, what: str) -> None:
        from PIL import Image as PILImage
        from PIL import UnidentifiedImageError

        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"Image({what}): {len(data):,} bytes encoded, more than the limit of "
                             f"{MAX_FILE_BYTES:,} (jupyter_track.media.image.MAX_FILE_BYTES)")
        try:
            with PILImage.open(io.BytesIO(data)) as img:  # reads the header only
                _check_pixels(*img.size)
                self._size: tuple[int, int] = img.size
                self.format = (img.format or "png").lower()
        except UnidentifiedImageError:
            raise ValueError(f"Image({what}): not an image file Pillow can read") from None
        self._encoded = data

    @classmethod
    def from_logged(cls, data: dict[str, Any], get_blob: GetBlob) -> Image:
        """The image described by logged ``data``; its pixels are read from the store on first use."""
        self = cls.__new__(cls)
        self.caption = data.get("caption")
        self.format = data.get("format", "png")
        self.width, self.height = int(data["width"]), int(data["height"])
        self._pil = self._encoded = self._thumb = None
        self._sha, self._thumb_sha, self._get_blob = data["sha"], data.get("thumb"), get_blob
        return self

    # -- reading ------------------------------------------------------------------------------------------------
    @property
    def sha(self) -> str | None:
        """The SHA-256 of the stored original (known once logged or read back)."""
        return self._sha

    @property
    def encoded(self) -> bytes:
        """The original, encoded (``format`` tells which encoding)."""
        if self._encoded is None:
            if self._sha is not None and self._get_blob is not None:
                self._encoded = self._get_blob(self._sha)
            else:
                self._encoded = _encode(self.to_pil(), self.format)
        return self._encoded

    @property
    def thumbnail(self) -> bytes:
        """A PNG of at most THUMB_SIZE pixels a side (the original itself when it is a small PNG)."""
        if self._thumb is None:
            if self._thumb_sha is not None and self._get_blob is not None:
                self._thumb = self._get_blob(self._thumb_sha)
            elif max(self.width, self.height) <= THUMB_SIZE and self.format == "png":
                self._thumb = self.encoded
            else:
                thumb = self.to_pil().copy()
                thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
                self._thumb = _encode(thumb, "png")
        return self._thumb

    def to_pil(self) -> PILImage.Image:
        """The image as a PIL image."""
        if self._pil is None:
            from PIL import Image as PILImage

            img = PILImage.open(io.BytesIO(self.encoded))
            img.load()
            self._pil = img
        return self._pil

    def to_numpy(self) -> np.ndarray[Any, Any]:
        """The pixels as a ``uint8`` array: ``HW`` for greyscale, ``HWC`` otherwise."""
        return np.asarray(self.to_pil())

    @property
    def image(self) -> PILImage.Image:
        """W&B's spelling of :meth:`to_pil`."""
        return self.to_pil()

    # -- logging ------------------------------------------------------------------------------------------------
    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]:
        """Store the original and the thumbnail as blobs; returns ``("image", data)``."""
        sha = put_blob(self.encoded)
        thumb = self.thumbnail
        thumb_sha = sha if thumb is self._encoded else put_blob(thumb)
        self._sha, self._thumb_sha = sha, thumb_sha
        data = {"sha": sha, "thumb": thumb_sha, "width": self.width, "height": self.height,
                "caption": self.caption, "format": self.format}
        return "image", data

    def __repr__(self) -> str:
        cap = f" caption={self.caption!r}" if self.caption else ""
        return f"<Image {self.width}x{self.height} {self.format}{cap}>"


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise ValueError(f"Image: {width}x{height} is {width * height:,} pixels, more than the limit of "
                         f"{MAX_PIXELS:,} (jupyter_track.media.image.MAX_PIXELS); downscale it first")


def _is_pil(value: Any) -> bool:
    import sys

    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(value, pil.Image)


def _is_matplotlib_figure(value: Any) -> bool:
    t = type(value)
    return t.__module__.startswith("matplotlib.") and t.__name__ in ("Figure", "SubFigure")


def _render_figure(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes, drawn by Agg (``savefig`` never opens a window)."""
    target = getattr(fig, "figure", fig)  # a SubFigure draws its parent figure
    buf = io.BytesIO()
    target.savefig(buf, format="png")
    return buf.getvalue()


def _as_array(data: Any) -> np.ndarray[Any, Any]:
    """Numpy HW / HWC uint8 pixels from an array-like (torch tensors detached and moved to the CPU)."""
    torch_like = is_tensor(data)
    arr = as_numpy(data) if torch_like else np.asarray(data)
    if arr.dtype == object or arr.size == 0:
        raise TypeError(f"Image: cannot make an image of {type(data).__name__} with dtype {arr.dtype}")
    if arr.ndim == 3:
        if arr.shape[0] == 1 and arr.shape[-1] not in (1, 3, 4):
            arr = arr[0]
        elif arr.shape[-1] not in (1, 3, 4) or (torch_like and arr.shape[0] in (1, 3, 4)):
            if arr.shape[0] not in (1, 3, 4):
                raise ValueError(f"Image: an array of shape {arr.shape} has no 1, 3 or 4 channel axis first or "
                                 "last; give HW, HWC or CHW")
            arr = np.moveaxis(arr, 0, -1)
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
    if arr.ndim != 2 and arr.ndim != 3:
        raise ValueError(f"Image: an array of shape {arr.shape} is not an image (HW, HWC or CHW); "
                         "log a batch as a list: [jt.Image(x) for x in batch]")
    _check_pixels(arr.shape[1], arr.shape[0])
    return _to_uint8(arr)


def _to_uint8(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if arr.dtype == np.uint8:
        return np.array(arr, copy=True, order="C")
    if arr.dtype == np.bool_:
        scaled: np.ndarray[Any, Any] = arr.astype(np.uint8) * 255
        return scaled
    if np.issubdtype(arr.dtype, np.integer):
        clipped: np.ndarray[Any, Any] = np.clip(arr, 0, 255).astype(np.uint8)
        return clipped
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"Image: pixel dtype {arr.dtype} is not supported (use uint8, or floats in [0, 1])")
    data = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(data.min()), float(data.max())
    if lo < 0:  # W&B: a range such as -1..1 is scaled to 0..1
        data = (data - lo) / (hi - lo) if hi > lo else np.zeros_like(data)
        hi = 1.0
    if hi <= 1.0:
        data = data * 255.0
    out: np.ndarray[Any, Any] = np.clip(np.rint(data), 0, 255).astype(np.uint8)
    return out


def _pil_from_array(arr: np.ndarray[Any, Any]) -> PILImage.Image:
    from PIL import Image as PILImage

    return PILImage.fromarray(arr)


def _encode(img: PILImage.Image, fmt: str) -> bytes:
    pil_format = _FORMATS[fmt]
    if pil_format == "JPEG" and img.mode not in ("L", "RGB", "CMYK"):
        img = img.convert("RGB")
    elif img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I"):
        img = img.convert("RGBA" if "A" in img.mode else "RGB")
    buf = io.BytesIO()
    img.save(buf, format=pil_format)
    data = buf.getvalue()
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"Image: encoded as {fmt} it has {len(data):,} bytes, more than the limit of "
                         f"{MAX_FILE_BYTES:,} (jupyter_track.media.image.MAX_FILE_BYTES)")
    return data
