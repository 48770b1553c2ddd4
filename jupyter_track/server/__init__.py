"""The jupyter_server extension: a REST API over the store under ``<base_url>/jupyter-track/api/``.

Nothing here loads tornado or jupyter_server until the server loads the extension.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_track.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the routes; the store is opened on the first request (in a worker thread)."""
    from .routes import install

    install(serverapp)


load_jupyter_server_extension = _load_jupyter_server_extension  # the name jupyter_server 1.x looks for
