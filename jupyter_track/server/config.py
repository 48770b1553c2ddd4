"""The server extension's settings: a traitlets Configurable (``c.JupyterTrackServer.<name>`` in a Jupyter config)."""

from __future__ import annotations

from traitlets import Float, Integer, Unicode, default
from traitlets.config import Configurable

from .. import settings


class JupyterTrackServer(Configurable):
    """Where the REST API reads runs, and the bounds on what one request may ask for."""

    store_url = Unicode(
        help="Store URL the API reads (and edits). Default: the same store as jt.init() in a kernel started with "
             "this server's environment ($JUPYTER_TRACK_STORE, else the SQLite file in $JUPYTER_TRACK_DIR, "
             "else ~/.jupyter_track).",
    ).tag(config=True)
    page_size = Integer(100, help="Runs per page of GET runs when the request gives no limit.").tag(config=True)
    max_page_size = Integer(
        10_000, help="The largest limit GET runs and GET changes accept (a bound on one response)."
    ).tag(config=True)
    default_points = Integer(
        1000, help="Points per series GET metrics returns when the request gives no points= (downsampled)."
    ).tag(config=True)
    max_points = Integer(5000, help="The most points per series one GET metrics request returns.").tag(config=True)
    max_snapshot_bytes = Integer(
        20 * 1024 * 1024, help="Largest live-notebook snapshot POST accepted, in bytes (413 beyond)."
    ).tag(config=True)
    changes_overlap = Float(
        2.0,
        help="Seconds GET changes looks back before its cursor, so a write committed late by another process is "
             "still reported (rows may repeat; clients replace them by id).",
    ).tag(config=True)
    threads = Integer(4, help="Worker threads that read the store (the event loop never waits on it).").tag(
        config=True)

    @default("store_url")
    def _default_store_url(self) -> str:
        return settings.store_url()
