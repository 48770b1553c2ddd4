"""The one-line messages at ``init()``, ``finish()`` and ``jt.sweep()``, which ``$JUPYTER_TRACK_QUIET=1`` silences."""

from __future__ import annotations

from . import settings


def say(message: str) -> None:
    """Print ``jupyter_track: <message>`` unless the user asked for quiet.

    Example::

        say("started run bright-river-3 (fashion/abc123) → ~/.jupyter_track/jupyter_track.db")
    """
    if not settings.QUIET.flag():
        print(f"jupyter_track: {message}", flush=True)
