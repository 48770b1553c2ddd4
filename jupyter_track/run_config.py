"""The run's config: hyper-parameters with attribute and item access, as ``wandb.config`` behaves."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .values import jsonable


class Config:
    """A dict of hyper-parameters; every change is recorded with the run.

    Example::

        run.config.update({"batch_size": 64})
        run.config.lr = 0.01
        run.config["epochs"]            # also run.config.epochs
    """

    def __init__(self, data: Any = None, on_change: Callable[[dict[str, Any]], None] | None = None) -> None:
        object.__setattr__(self, "_data", {})
        object.__setattr__(self, "_on_change", None)
        if data is not None:
            self.update(data)
        object.__setattr__(self, "_on_change", on_change)

    # mapping access
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[str(key)] = jsonable(value, str(key))
        self._changed()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._changed()

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        return bool(self._data == (other._data if isinstance(other, Config) else other))

    def __repr__(self) -> str:
        return f"Config({self._data!r})"

    # attribute access
    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}; it has {sorted(self._data)}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        del self[key]

    def keys(self) -> Any:
        return self._data.keys()

    def values(self) -> Any:
        return self._data.values()

    def items(self) -> Any:
        return self._data.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def update(self, data: Any = None, allow_val_change: bool | None = None, **kwargs: Any) -> None:
        """Merge a dict, an ``argparse.Namespace``, another Config or keyword arguments into the config."""
        merged = {**_as_mapping(data), **kwargs}
        for key, value in merged.items():
            self._data[str(key)] = jsonable(value, str(key))
        if merged:
            self._changed()

    def setdefaults(self, data: Any) -> None:
        """Set the keys of ``data`` that the config does not have yet (sweep parameters keep their values)."""
        missing = {k: v for k, v in _as_mapping(data).items() if k not in self._data}
        self.update(missing)

    def clear(self) -> None:
        """Forget every key (without recording a change)."""
        self._data.clear()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(dict(self._data))


def _as_mapping(data: Any) -> Mapping[str, Any]:
    if data is None:
        return {}
    if isinstance(data, Config):
        return data.as_dict()
    if isinstance(data, Mapping):
        return data
    if isinstance(data, argparse.Namespace):
        return vars(data)
    if hasattr(data, "__dict__") and not isinstance(data, type):
        return {k: v for k, v in vars(data).items() if not k.startswith("_")}
    raise TypeError(
        f"config takes a dict, an argparse.Namespace or an object with attributes, not {type(data).__name__}"
    )
