"""Whether some process is logging a run right now: what deleting and resuming a run ask first.

A run is *live* while its state reads ``running``, that is while its writer's heartbeat is younger than
``JUPYTER_TRACK_HEARTBEAT_TIMEOUT`` seconds (30 by default; a live run's writer beats at every flush and at least
every 5 s), unless it ran on this host under a process id that no longer exists: a kernel killed a moment ago has
crashed, whatever its last heartbeat says. A run whose heartbeat is stale reads as ``crashed`` and is not live.
"""

from __future__ import annotations

import os
import socket
import time

from .. import settings
from ..types import RunInfo

DELETE_CONSEQUENCE = "deleting it now would drop what it logs from then on"  # why a live run is not deleted


def is_live(info: RunInfo) -> bool:
    """Whether a process is logging ``info``'s run now (see the module's docstring).

    Example::

        if is_live(store.get_run(run_id)): ...
    """
    if info.state != "running":
        return False
    if info.pid is None or info.host != socket.gethostname() or info.pid == os.getpid():
        return True
    try:
        os.kill(info.pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


def running_message(info: RunInfo) -> str:
    """Says that ``info``'s run is live, and by which process."""
    beat = info.heartbeat_at if info.heartbeat_at is not None else info.created_at
    here = info.pid == os.getpid() and info.host == socket.gethostname()
    who = "this process" if here else f"process {info.pid} on {info.host}" if info.pid is not None else "its process"
    return (f"run {info.name} ({info.path}) is running: {who} sent its last heartbeat "
            f"{max(0.0, time.time() - beat):.0f} s ago (a run reads as crashed "
            f"{settings.HEARTBEAT_TIMEOUT.number():.0f} s after its last one)")
