"""The way down to the active run for the modules below the session: ``Artifact.save()`` of an artifact not
logged yet logs it to the active run, as W&B's does. The package's ``__init__`` (imported before any of its
modules) sets :data:`log_artifact`; this module imports nothing, so no layer imports the one above it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

log_artifact: Callable[[Any], Any]  # logs an artifact to the active run, or raises UsageError naming init()
