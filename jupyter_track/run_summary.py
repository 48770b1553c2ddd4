"""The run's summary: the last logged value of each key unless the user sets one (``wandb.summary``), or what
``define_metric(summary=...)`` makes of it (its min, max, mean, …, or nothing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .names import KEY_MAX, checked
from .values import jsonable


class Summary:
    """Read the last value of each metric; set a key to record a value of your own (best accuracy, …).

    Example::

        run.summary["best_acc"] = 0.93
        run.summary.update({"test_loss": 0.21})
        run.summary["train/loss"]          # the last logged value, unless set
    """

    def __init__(self, last: dict[str, Any], emit: Callable[[str, Any], None],
                 user: dict[str, Any] | None = None, derived: dict[str, Any] | None = None,
                 hidden: set[str] | None = None, settle: Callable[[], object] | None = None) -> None:
        object.__setattr__(self, "_last", last)
        # called before ``last`` is read: the run keeps its latest plain call aside until then
        object.__setattr__(self, "_settle", settle or _nothing)
        object.__setattr__(self, "_user", dict(user or {}))  # values set by the user (a resumed run's too)
        object.__setattr__(self, "_emit", emit)
        # kept up to date by the run: define_metric's values (min, max, mean …) and keys it leaves out ("none")
        object.__setattr__(self, "_derived", {} if derived is None else derived)
        object.__setattr__(self, "_hidden", set() if hidden is None else hidden)

    def __getitem__(self, key: str) -> Any:
        if key in self._user:
            return self._user[key]
        if key in self._derived:
            return self._derived[key]
        if key in self._hidden:
            raise KeyError(key)
        self._settle()
        return self._last[key]

    def __setitem__(self, key: str, value: Any) -> None:
        key = checked("summary key", key, KEY_MAX)
        value = jsonable(value, key, where="summary")
        self._user[key] = value
        self._emit(key, value)

    def __delitem__(self, key: str) -> None:
        """Forget a value set by the user: the key reads as its last logged value again."""
        del self._user[key]
        self._emit(key, _RESET)

    @property
    def _json_dict(self) -> dict[str, Any]:
        """A plain dict of the summary, as W&B's ``run.summary._json_dict``."""
        return self.as_dict()

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"summary has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __contains__(self, key: object) -> bool:
        self._settle()
        return key in self._user or (key in self._last and key not in self._hidden)

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def __repr__(self) -> str:
        from .media import summary_repr  # a logged medium (a jt.watch histogram) as one line, not its data

        return f"Summary({summary_repr(self.as_dict())})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def keys(self) -> Any:
        return self.as_dict().keys()

    def items(self) -> Any:
        return self.as_dict().items()

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def update(self, data: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for key, value in {**(data or {}), **kwargs}.items():
            self[key] = value

    def as_dict(self) -> dict[str, Any]:
        self._settle()
        shown = {k: v for k, v in self._last.items() if k not in self._hidden} if self._hidden else self._last
        return {**shown, **self._derived, **self._user}


def _nothing() -> None:
    pass


class _Reset:
    """Marker passed to ``emit`` when a user-set key is deleted."""


_RESET = _Reset()
