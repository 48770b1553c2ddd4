"""Array-likes (numpy arrays, sequences, torch tensors on any device) as numpy arrays, for the media types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def is_tensor(value: Any) -> bool:
    """A torch tensor (or anything with ``detach()`` and ``cpu()``), detected without importing torch."""
    return hasattr(value, "detach") and hasattr(value, "cpu")


def as_numpy(value: Any) -> np.ndarray[Any, Any]:
    """``value`` as a numpy array: a tensor is detached and copied to the CPU (half floats widened to float32,
    which numpy cannot take from torch); an iterator is read into a list first."""
    if is_tensor(value):
        tensor = value.detach().cpu()
        if str(tensor.dtype) in ("torch.bfloat16", "torch.float16"):
            tensor = tensor.float()
        return np.asarray(tensor.numpy())
    if isinstance(value, Sequence | np.ndarray) or hasattr(value, "__array__"):
        return np.asarray(value)
    return np.asarray(list(value))
