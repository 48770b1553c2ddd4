"""jupyter_track: local-first experiment tracking that lives in Jupyter.

Example::

    import jupyter_track as jt            # or: import jupyter_track as wandb
    run = jt.init(project="fashion", config={"lr": 1e-3})
    for step in range(100):
        jt.log({"train/loss": 1 / (step + 1)})
    run.finish()
    jt.runs("fashion").to_pandas()
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .errors import (
    JupyterTrackError,
    JupyterTrackWarning,
    RunNotFoundError,
    StoreError,
    StoreVersionError,
    UsageError,
)
from .handle import RunHandle
from .run_config import Config
from .session import finish, init, log, seed_everything

if TYPE_CHECKING:
    from .api import Api, RunList, StoredRun, runs
    from .live_run import Run
    from .snapshot_restore import restore

run = RunHandle()

__all__ = [
    "Api",
    "Config",
    "JupyterTrackError",
    "JupyterTrackWarning",
    "Run",
    "RunList",
    "RunNotFoundError",
    "StoreError",
    "StoreVersionError",
    "StoredRun",
    "UsageError",
    "config",
    "finish",
    "init",
    "load_ipython_extension",
    "log",
    "login",
    "restore",
    "run",
    "runs",
    "save",
    "seed_everything",
    "summary",
    "unload_ipython_extension",
]


def save(glob_str: str, base_path: str | None = None, policy: str = "now") -> list[str]:
    """Store files with the current run (see :meth:`Run.save`)."""
    from . import session

    current = session.current()
    if current is None:
        raise UsageError("call jt.init() before jt.save()")
    return current.save(glob_str, base_path=base_path, policy=policy)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext jupyter_track``: the ``%jt`` / ``%%jt_run`` magics and the executed-code hooks."""
    from .ipython import load

    load(shell)


def unload_ipython_extension(shell: Any) -> None:
    from .ipython import unload

    unload(shell)


def login(*args: Any, **kwargs: Any) -> bool:
    """W&B compatibility: there is no account or server, so there is nothing to log in to."""
    return True


_LAZY = {"Api": ".api", "RunList": ".api", "StoredRun": ".api", "runs": ".api", "Run": ".live_run",
         "restore": ".snapshot_restore"}


def __getattr__(name: str) -> Any:
    from . import session

    if name in _LAZY:  # the read API and Run load on first use, keeping `import jupyter_track` light
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    if name == "config":
        return session.config()
    if name == "summary":
        return session.summary()
    if name == "current_run":
        return session.current()
    if name == "__version__":
        from importlib.metadata import version

        return version("jupyter_track")
    raise AttributeError(f"module 'jupyter_track' has no attribute {name!r}")


class _Module(ModuleType):
    """Lets tutorials assign ``jt.config = {...}``: it updates the current run's config."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "config":
            from . import session

            session.set_config(value)
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Module
