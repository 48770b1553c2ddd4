"""``jt.run``: called, it reads a stored run; used as an object, it stands for the active run (``wandb.run``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from . import session

if TYPE_CHECKING:
    from .api import StoredRun


class RunHandle:
    """``jt.run("fashion/abc123")`` reads a run back; ``jt.run.name``, ``jt.run.summary[...]`` and
    ``if jt.run:`` act on the active run, as ``wandb.run`` does. ``jt.current_run`` is the active run itself
    (``None`` when there is none), for code that tests ``wandb.run is None``."""

    def __call__(self, path: str, store: str | None = None, dir: str | os.PathLike[str] | None = None
                 ) -> StoredRun:
        from .api import run as read_run

        return read_run(path, store=store, dir=dir)

    def __getattr__(self, name: str) -> Any:
        active = session.current()
        if active is None:
            raise AttributeError(f"jt.run.{name}: there is no active run; call jt.init() first")
        return getattr(active, name)

    def __setattr__(self, name: str, value: Any) -> None:
        active = session.current()
        if active is None:
            raise AttributeError(f"jt.run.{name}: there is no active run; call jt.init() first")
        setattr(active, name, value)

    def __bool__(self) -> bool:
        return session.current() is not None

    def __eq__(self, other: object) -> bool:
        return session.current() is other if other is None else session.current() == other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        active = session.current()
        return repr(active) if active is not None else "<jt.run: no active run; call it to read a stored run>"
