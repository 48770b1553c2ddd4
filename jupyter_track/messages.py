"""The one-line messages at ``init()``, ``finish()``, ``jt.sweep()`` and ``run.alert()``, which
``$JUPYTER_TRACK_QUIET=1`` silences.

Outside a notebook they go to stderr, as W&B's do: a script that prints its results on stdout
(``python train.py > result.json``) keeps stdout to itself. In a notebook they are ordinary cell output.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, cast

from . import frontend, settings

if TYPE_CHECKING:
    import logging


def say(message: str, alert: bool = False) -> None:
    """Print ``jupyter_track: <message>`` unless the user asked for quiet (an ``alert`` goes to stderr in a
    notebook too, where it stands out).

    Example::

        say("started run bright-river-3 (fashion/abc123) → ~/.jupyter_track/jupyter_track.db")
    """
    if not settings.QUIET.flag():
        stream = sys.stderr if alert or not frontend.in_notebook() else sys.stdout
        print(f"jupyter_track: {message}", file=stream, flush=True)


class _LazyLogger:
    """``logging.getLogger(name)``, looked up at its first use."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: logging.Logger | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self._name)
        return getattr(self._logger, attr)


def logger(name: str = "jupyter_track") -> logging.Logger:
    """The logger ``name``, for a module on ``init()``'s path: ``logging`` is imported when the logger is first
    used (a warning, an error), not when the module is (it costs ``init()`` 2.5 ms).

    Example::

        log = logger()
        log.warning("jupyter_track: the store is read-only")
    """
    return cast("logging.Logger", _LazyLogger(name))
