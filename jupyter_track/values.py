"""What ``log()`` accepts, and how a value becomes a stored scalar, text point or media object.

The fast path (plain ``int``/``float``/``bool`` values under ``str`` keys) is checked inline by ``Run.log``;
everything else comes here: numpy and 0-d torch/TF scalars become floats, strings a text series, ``None``
is skipped, nested dicts flatten to ``a/b`` keys, and media objects (``jt.Image`` …, see :mod:`.media`)
convert themselves through :class:`Loggable`; lists of ``jt.Image`` and plotly / matplotlib figures too.
"""

from __future__ import annotations

import json
import math
import numbers
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .errors import JupyterTrackWarning
from .names import KEY_MAX, checked
from .scalars import one_element, plain_scalar

FAST_TYPES = frozenset({float, int, bool})
Rich = list[tuple[str, str, Any]]
# Metric values are stored as float64 and steps as int64: an int beyond these would fail the writer's packing
FLOAT_INT_MAX = int(sys.float_info.max)  # |int| above this has no float64 (about 1.8e308)
INT64_MAX = 2**63 - 1  # also the most a JSON value (config, summary) may hold as an int
STEP_MAX = INT64_MAX

ACCEPTED = (
    "numbers (int, float, bool, numpy or 0-d torch/tensorflow scalars), strings, None (skipped), "
    "nested dicts of these, and jupyter_track media objects"
)


@runtime_checkable
class Loggable(Protocol):
    """A media object: turns itself into ``(kind, json-able data)``, storing large payloads as blobs."""

    def to_logged(self, put_blob: Callable[[bytes], str]) -> tuple[str, Any]: ...


def normalize(
    data: Mapping[str, Any], put_blob: Callable[[bytes], str] | None = None, prefix: str = ""
) -> tuple[dict[str, float], Rich | None]:
    """Split ``data`` into scalar points and rich points (text, media); raise ``TypeError`` naming a bad key."""
    if not isinstance(data, Mapping):
        raise TypeError(f"log() takes a dict of {{name: value}}, not {type(data).__name__}")
    scalars: dict[str, float] = {}
    rich: Rich = []
    _walk(data, prefix, scalars, rich, put_blob)
    return scalars, rich or None


def _walk(data: Mapping[Any, Any], prefix: str, scalars: dict[str, float], rich: Rich,
          put_blob: Callable[[bytes], str] | None) -> None:
    for k, v in data.items():
        if not isinstance(k, str):
            raise TypeError(f"log(): metric names must be strings, got {k!r} ({type(k).__name__})")
        if not k:
            raise TypeError("log(): metric names must not be empty")
        key = prefix + k
        checked("log(): a metric name", key, KEY_MAX)
        if type(v) in FAST_TYPES:
            if type(v) is int and not -FLOAT_INT_MAX <= v <= FLOAT_INT_MAX:
                raise _too_large(key, v)
            scalars[key] = v
        elif v is None:
            continue
        elif isinstance(v, Mapping):
            _walk(v, key + "/", scalars, rich, put_blob)
        elif isinstance(v, str):
            rich.append((key, "text", v))
        elif isinstance(v, numbers.Integral):  # numpy's ints (an int in the summary, as W&B shows it)
            if not -FLOAT_INT_MAX <= (whole := int(v)) <= FLOAT_INT_MAX:
                raise _too_large(key, v)
            scalars[key] = whole
        elif isinstance(v, numbers.Real):
            try:
                scalars[key] = float(v)
            except OverflowError:
                raise _too_large(key, v) from None
        elif isinstance(v, Loggable):
            if put_blob is None:
                raise TypeError(f"log(): {key!r} is a media object, which needs an active run")
            kind, payload = v.to_logged(put_blob)
            rich.append((key, kind, payload))
        elif (media := _media(v, key, put_blob)) is not None:
            rich.append(media)
        else:
            scalar = _tensor_scalar(v)
            if scalar is None:
                raise TypeError(
                    f"log(): value of {key!r} is a {_type_name(v)}; accepted: {ACCEPTED}"
                    + (" (a tensor or array with more than one element: log x.mean(), or a histogram)"
                       if getattr(v, "shape", None) else "")
                )
            scalars[key] = scalar


def _too_large(key: str, value: Any) -> ValueError:
    """The error for a number that float64 cannot hold (metric values are stored as float64)."""
    text = str(value)
    shown = text if len(text) <= 40 else f"{text[:12]}…{text[-6:]} ({len(text)} digits)"
    return ValueError(f"log(): value of {key!r} is {shown}, too large for a float64 (at most about ±1.8e308); "
                      "nothing of this call was recorded — log a smaller number, its logarithm, or a string")


def _media(v: Any, key: str, put_blob: Callable[[bytes], str] | None) -> tuple[str, str, Any] | None:
    """A list of images (kind ``images``), a plotly / matplotlib figure, or a pandas DataFrame (a table), as a
    rich point; else None.

    They are recognised by their type's module, so plotly, matplotlib and pandas are never imported here."""
    if isinstance(v, list | tuple) and v and all(isinstance(x, Loggable) for x in v):
        if put_blob is None:
            raise TypeError(f"log(): {key!r} holds media objects, which need an active run")
        logged = [x.to_logged(put_blob) for x in v]
        if any(kind != "image" for kind, _ in logged):
            raise TypeError(f"log(): {key!r} is a list of media; only lists of jt.Image are accepted "
                            "(log other media one per key)")
        return key, "images", [data for _, data in logged]
    module = type(v).__module__
    if not (module.startswith(("plotly.", "matplotlib.")) or module.split(".")[0] == "pandas" or
            getattr(v, "__name__", None) == "matplotlib.pyplot"):
        return None
    from .media import as_media

    media = as_media(v)
    if media is None:
        return None
    if put_blob is None:
        raise TypeError(f"log(): {key!r} is a {type(media).__name__.lower()}, which needs an active run")
    kind, payload = media.to_logged(put_blob)
    return key, kind, payload


def _tensor_scalar(v: Any) -> float | None:
    """A one-element numpy array / torch / tensorflow / jax value (``numpy.bool_`` too) as the bool, int or float
    it holds (:func:`.scalars.plain_scalar`), else None."""
    value = one_element(v)
    if not isinstance(value, numbers.Real):
        return None
    try:
        scalar = plain_scalar(value)
        return None if type(scalar) is int and not -FLOAT_INT_MAX <= scalar <= FLOAT_INT_MAX else scalar
    except OverflowError:  # a number float() cannot take (a huge Fraction): no float64 holds it
        return None


def _type_name(v: Any) -> str:
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def jsonable(value: Any, key: str, where: str = "config") -> Any:
    """``value`` as JSON-able data; what cannot be stored is kept as its ``repr`` with a warning."""
    if value is None or type(value) in (str, bool):
        return value
    if type(value) is int:
        return value if -INT64_MAX - 1 <= value <= INT64_MAX else _as_repr(value, key, where, "an int beyond 64 bits")
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN/inf: stored as 'nan'/'inf'
    if isinstance(value, str):  # str subclasses (enums) as plain text
        return str(value)
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if isinstance(value, numbers.Integral):
        return jsonable(int(value), key, where)
    if isinstance(value, numbers.Real):
        try:
            return jsonable(float(value), key, where)
        except OverflowError:
            return _as_repr(value, key, where, "a number beyond float64")
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, f"{key}.{k}", where) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, f"{key}[{i}]", where) for i, v in enumerate(value)]
    scalar = _tensor_scalar(value)
    if scalar is not None:
        return scalar
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(value, "size", 1_000_000) <= 10_000:
        return jsonable(tolist(), key, where)
    if hasattr(value, "__fspath__"):
        return str(value)
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        pass
    return _as_repr(value, key, where, f"a {_type_name(value)}")


def _as_repr(value: Any, key: str, where: str, what: str) -> str:
    warnings.warn(f"{where} value {key!r} is {what}, which cannot be stored as JSON; stored as its repr",
                  JupyterTrackWarning, stacklevel=5)
    return repr(value)
