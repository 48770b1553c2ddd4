"""jupyter_track: local-first experiment tracking that lives in Jupyter.

Example::

    import jupyter_track as jt            # or: import jupyter_track as wandb
    run = jt.init(project="fashion", config={"lr": 1e-3})
    for step in range(100):
        jt.log({"train/loss": 1 / (step + 1)})
    run.finish()
    jt.runs("fashion").to_pandas()
    jt.load_run(run.path).history()       # a stored run; jt.run is the active run (None without one), as in W&B
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from . import current_run, session
from .errors import (
    WANDB_TYPES_MISSING,
    JupyterTrackError,
    JupyterTrackWarning,
    NoRunError,
    RunIsRunningError,
    RunNotFoundError,
    StoreError,
    StorePermissionError,
    StoreVersionError,
    UsageError,
    missing_wandb_type,
)
from .run_config import Config
from .session import finish, init, log, seed_everything
from .types import AlertLevel

if TYPE_CHECKING:
    from . import plot, sklearn
    from .api import Api, RunList, StoredRun, load_run, runs
    from .artifacts import Artifact, artifact, artifacts, lineage
    from .live_run import Run
    from .maintenance import export, gc
    from .media import Histogram, Html, Image, Plotly, Table
    from .model_watch import unwatch
    from .snapshot_restore import restore
    from .sweeps import agent, get_sweep, sweep, sweep_runs
    from .widgets.compare import compare
    from .widgets.sweep_view import sweep_view

__all__ = [
    "AlertLevel",
    "Api",
    "Artifact",
    "Config",
    "Histogram",
    "Html",
    "Image",
    "JupyterTrackError",
    "JupyterTrackWarning",
    "NoRunError",
    "Plotly",
    "Run",
    "RunIsRunningError",
    "RunList",
    "RunNotFoundError",
    "StoreError",
    "StorePermissionError",
    "StoreVersionError",
    "StoredRun",
    "Table",
    "UsageError",
    "agent",
    "alert",
    "artifact",
    "artifacts",
    "compare",
    "config",
    "define_metric",
    "export",
    "finish",
    "gc",
    "get_sweep",
    "init",
    "join",
    "lineage",
    "link_artifact",
    "link_model",
    "load_ipython_extension",
    "load_run",
    "log",
    "log_artifact",
    "log_model",
    "login",
    "plot",
    "require",
    "restore",
    "run",
    "runs",
    "save",
    "seed_everything",
    "setup",
    "sklearn",
    "summary",
    "sweep",
    "sweep_runs",
    "sweep_view",
    "unload_ipython_extension",
    "unwatch",
    "use_artifact",
    "watch",
]


def save(glob_str: str | None = None, base_path: str | None = None, policy: str = "live") -> list[str] | bool:
    """Store files with the current run (see :meth:`Run.save`)."""
    current = session.current()
    if current is None:
        raise UsageError("call jt.init() before jt.save()")
    return current.save(glob_str, base_path=base_path, policy=policy)


def define_metric(name: str, step_metric: str | None = None, step_sync: bool | None = None,
                  hidden: bool | None = None, summary: str | None = None, goal: str | None = None,
                  overwrite: bool | None = None) -> Any:
    """Define how a metric of the current run is summarised and plotted (see :meth:`Run.define_metric`)."""
    current = session.current()
    if current is None:
        raise UsageError("call jt.init() before jt.define_metric()")
    return current.define_metric(name, step_metric=step_metric, step_sync=step_sync, hidden=hidden,
                                 summary=summary, goal=goal, overwrite=overwrite)


def alert(title: str, text: str, level: str | AlertLevel | None = None, wait_duration: float | None = None
          ) -> None:
    """Raise an alert in the current run (see :meth:`Run.alert`)."""
    current = session.current()
    if current is None:
        raise UsageError("call jt.init() before jt.alert()")
    current.alert(title, text, level=level, wait_duration=wait_duration)


def watch(models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
          idx: int | None = None, log_graph: bool = False) -> None:
    """Log histograms of a PyTorch model's gradients and/or parameters to the current run: the current run's
    :meth:`Run.watch` (arguments and example: :func:`jupyter_track.model_watch.watch`)."""
    current = session.current()
    if current is None:
        raise UsageError("call jt.init() before jt.watch(model)")
    current.watch(models, criterion, log=log, log_freq=log_freq, idx=idx, log_graph=log_graph)


join = finish  # W&B's old name for finish()


def log_artifact(artifact_or_path: Any, name: str | None = None, type: str | None = None,
                 aliases: list[str] | None = None, tags: list[str] | None = None) -> Artifact:
    """Log an artifact from the current run (see :meth:`Run.log_artifact`)."""
    return _current_run("log_artifact").log_artifact(artifact_or_path, name=name, type=type, aliases=aliases)


def use_artifact(artifact_or_name: Any, type: str | None = None, aliases: list[str] | None = None,
                 use_as: str | None = None) -> Artifact:
    """Use an artifact in the current run (see :meth:`Run.use_artifact`); ``jt.artifact()`` reads one without
    a run."""
    return _current_run("use_artifact").use_artifact(artifact_or_name, type=type, aliases=aliases)


def log_model(path: str, name: str | None = None, aliases: list[str] | None = None) -> Artifact:
    """Log a ``model`` artifact from the current run (see :meth:`Run.log_model`)."""
    return _current_run("log_model").log_model(path, name=name, aliases=aliases)


def link_artifact(artifact: Artifact, target_path: str, aliases: list[str] | None = None) -> Artifact:
    """Link an artifact into a registry collection from the current run (see :meth:`Run.link_artifact`)."""
    return _current_run("link_artifact").link_artifact(artifact, target_path, aliases=aliases)


def link_model(path: str, registered_model_name: str, name: str | None = None,
               aliases: list[str] | None = None) -> Artifact:
    """Log a model and link it into ``model-registry`` from the current run (see :meth:`Run.link_model`)."""
    return _current_run("link_model").link_model(path, registered_model_name, name=name, aliases=aliases)


def _current_run(what: str) -> Run:
    from .live_run import Run

    current = session.current()
    if not isinstance(current, Run):
        hint = " (read an artifact without a run with jt.artifact('name:alias'))" if what == "use_artifact" else ""
        raise UsageError(f"call jt.init() before jt.{what}(){hint}")
    return current


# Artifact.save() of an artifact not logged yet logs it to the active run, as W&B's does (see current_run.py)
current_run.log_artifact = lambda artifact: _current_run("Artifact.save").log_artifact(artifact)


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


def setup(*args: Any, **kwargs: Any) -> None:
    """W&B compatibility (``wandb.setup()`` starts W&B's service process): there is none, nothing to do."""


def require(*args: Any, **kwargs: Any) -> None:
    """W&B compatibility (``wandb.require("core")`` opts into W&B's features): nothing to opt into here."""


_LAZY = {"Api": ".api", "RunList": ".api", "StoredRun": ".api", "runs": ".api", "load_run": ".api",
         "Run": ".live_run",
         "restore": ".snapshot_restore",
         "Artifact": ".artifacts", "artifact": ".artifacts", "artifacts": ".artifacts", "lineage": ".artifacts"}
_LAZY.update({"Image": ".media", "Histogram": ".media", "Html": ".media", "Plotly": ".media", "Table": ".media",
              "unwatch": ".model_watch"})  # media and jt.unwatch: loaded on first use
_LAZY.update({"sweep": ".sweeps", "agent": ".sweeps", "get_sweep": ".sweeps", "sweep_runs": ".sweeps"})  # Optuna
_LAZY["compare"] = ".widgets.compare"  # the compare widget (anywidget, numpy, Optuna): loaded on first use
_LAZY["sweep_view"] = ".widgets.sweep_view"  # the sweep view (the compare widget over a sweep's runs)
_LAZY.update({"export": ".maintenance", "gc": ".maintenance"})  # jupyter-track export and gc, from Python
_LAZY["_jupyter_server_extension_points"] = ".server"  # jupyter_server's hook; tornado loads only with the server


_MODULES = {"plot": ".plot", "sklearn": ".sklearn", "data_types": ".media"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:  # the read API and Run load on first use, keeping `import jupyter_track` light
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    if name == "run":  # the active run, None before init() and after finish() (wandb.run)
        return session.current()
    if name in _MODULES:  # jt.plot (wandb.plot.line …), jt.sklearn, wandb.data_types.Table: loaded on first use
        import importlib

        return importlib.import_module(_MODULES[name], __name__)
    if name == "config":
        return session.config()
    if name == "summary":
        return session.summary()
    if name == "__version__":
        from importlib.metadata import version

        return version("jupyter_track")
    if name in WANDB_TYPES_MISSING:  # wandb.Video, wandb.Audio …: say what there is instead
        raise missing_wandb_type(name)
    raise AttributeError(f"module 'jupyter_track' has no attribute {name!r}")


class _Module(ModuleType):
    """Lets tutorials assign ``jt.config = {...}``: it updates the current run's config."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "artifacts" and isinstance(value, ModuleType):
            return  # importing the subpackage must not hide the function jt.artifacts(); it is in sys.modules
        if name == "config":
            session.set_config(value)
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Module


def _register_wandb_magics() -> None:
    # wandb's %wandb / %%wandb exist as soon as it is imported in a notebook, so tutorials run with
    # `import jupyter_track as wandb` use them too. IPython is looked up, never imported, here.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from .ipython import register_wandb_magics

        register_wandb_magics(shell)


_register_wandb_magics()
