"""Numbers as ``log()`` and table cells accept them: numpy scalars, one-element arrays and 0-d torch / TF / jax
tensors, as the Python numbers they hold (no numpy or torch import)."""

from __future__ import annotations

import math
import numbers
from typing import Any


def one_element(v: Any) -> Any:
    """The value a one-element array or tensor holds (``.item()``), else None."""
    shape = getattr(v, "shape", None)
    item = getattr(v, "item", None)
    if shape is None or item is None or not callable(item):
        return None
    try:
        size = math.prod(tuple(shape))
    except TypeError:
        return None
    return item() if size == 1 else None


def is_array(v: Any) -> bool:
    """Whether ``v`` is a numpy array (without importing numpy)."""
    t = type(v)
    return t.__name__ == "ndarray" and t.__module__ == "numpy"


def plain_scalar(v: Any) -> bool | int | float | None:
    """A number ``log()`` accepts (numpy scalars, one-element arrays and 0-d torch / TF / jax tensors) as the
    Python bool, int or float it holds; None for anything else (strings too).

    Example::

        plain_scalar(torch.tensor(3))        # 3
        plain_scalar(np.float32(0.5))        # 0.5
    """
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        return float(v)
    value = one_element(v)
    return None if value is None or isinstance(value, str) else plain_scalar(value)
