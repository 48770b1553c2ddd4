"""The exceptions and warnings jupyter_track raises; every message says what to do next."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class JupyterTrackError(Exception):
    """Base class of every error raised by jupyter_track."""


class UsageError(JupyterTrackError):
    """The API was called in a way that cannot work (e.g. ``log()`` before ``init()``)."""


class NoRunError(UsageError, AttributeError):
    """A module attribute that needs a run (``jt.summary``) was read before ``init()`` or after ``finish()``;
    an AttributeError too, so ``hasattr(jt, "summary")`` and ``getattr(jt, "summary", None)`` work."""


class RunNotFoundError(JupyterTrackError, LookupError):
    """No run with the given id or path exists in the store."""


class OutsideRootError(JupyterTrackError, PermissionError):
    """A path that leads outside the folder it must stay in (the server's root, the folder a restore writes in)."""


class RunIsRunningError(UsageError):
    """The run is running in some process (state ``running``, heartbeat fresh): it cannot be deleted without
    force, nor resumed by a second process."""


class StoreError(JupyterTrackError):
    """The store could not be opened, read or written."""


class StorePermissionError(StoreError, PermissionError):
    """The store can be read but its database role may not write it (PostgreSQL ``permission denied``)."""


class StoreVersionError(StoreError):
    """The store was written by a newer jupyter_track than the one installed."""


class ArtifactNotFoundError(JupyterTrackError, LookupError):
    """No artifact, version or alias by the given name exists in the store."""


class ArtifactIntegrityError(StoreError):
    """A file of an artifact is missing from the blob store or its bytes no longer match its SHA-256."""


class SweepConfigError(JupyterTrackError, ValueError):
    """A sweep configuration names an unknown field or gives a value it cannot take (the message names both)."""


class TrialPruned(JupyterTrackError):
    """Raised by ``log()`` inside a sweep trial that the pruner (hyperband) stopped: the run has already ended
    as ``pruned``; ``jt.agent`` catches it and starts the next trial."""


class MissingExtraError(JupyterTrackError, ImportError):
    """An optional package is not installed; the message names the extra that installs it."""


@contextmanager
def needs_extra(extra: str, package: str, feature: str) -> Iterator[None]:
    """Turn an ImportError raised inside into a :class:`MissingExtraError` saying that ``feature`` needs
    ``package`` and which extra of jupyter_track installs it.

    Example::

        with needs_extra("parquet", "pyarrow", "export --format parquet"):
            import pyarrow.parquet
        # MissingExtraError: export --format parquet needs pyarrow, which is not installed:
        # pip install 'jupyter_track[parquet]'
    """
    try:
        yield
    except MissingExtraError:
        raise
    except ImportError as exc:
        raise MissingExtraError(f"{feature} needs {package}, which is not installed: "
                                f"pip install 'jupyter_track[{extra}]'") from exc


class JupyterTrackWarning(UserWarning):
    """Something was accepted but not as given (a value stored as its repr, a step ignored)."""


# W&B's data types jupyter_track does not have (README, "Not supported"): `wandb.Video(...)` in a tutorial says
# so, and what to do, rather than a bare AttributeError
WANDB_TYPES_MISSING = ("PartitionedTable", "JoinedTable", "Object3D", "Molecule", "Graph", "Bokeh", "Audio", "Video",
                       "Classes")
MEDIA_TYPES = ("Chart", "Histogram", "Html", "Image", "Plotly", "Table")  # jupyter_track.media's (a test checks)


def missing_wandb_type(name: str) -> AttributeError:
    """The error for ``wandb.<name>``, one of W&B's data types jupyter_track does not have."""
    return AttributeError(
        f"wandb.{name} is not supported by jupyter_track; the types it has are {', '.join(MEDIA_TYPES)}; to keep "
        "a file (audio, video, a 3-D model) with the run, run.save(path) stores it among the run's files")

