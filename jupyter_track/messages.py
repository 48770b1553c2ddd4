"""The one-line messages at ``init()``, ``finish()``, ``jt.sweep()`` and ``run.alert()``, which
``$JUPYTER_TRACK_QUIET=1`` silences.

Outside a notebook they go to stderr, as W&B's do: a script that prints its results on stdout
(``python train.py > result.json``) keeps stdout to itself. In a notebook they are ordinary cell output.
"""

from __future__ import annotations

import sys

from . import frontend, settings


def say(message: str, alert: bool = False) -> None:
    """Print ``jupyter_track: <message>`` unless the user asked for quiet (an ``alert`` goes to stderr in a
    notebook too, where it stands out).

    Example::

        say("started run bright-river-3 (fashion/abc123) → ~/.jupyter_track/jupyter_track.db")
    """
    if not settings.QUIET.flag():
        stream = sys.stderr if alert or not frontend.in_notebook() else sys.stdout
        print(f"jupyter_track: {message}", file=stream, flush=True)
