"""The URL table of the REST API, under ``<base_url>/jupyter-track/api/``, and its installation on a server."""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from . import handlers as h
from .config import JupyterTrackServer

NAMESPACE = ("jupyter-track", "api")
_RUN = r"runs/([^/]+)/([^/]+)"

# (path under the namespace, handler); every verb of every handler is @tornado.web.authenticated and @authorized
ROUTES: list[tuple[str, type[h.BaseHandler]]] = [
    ("projects", h.ProjectsHandler),
    ("runs", h.RunsHandler),
    ("changes", h.ChangesHandler),
    ("compare", h.CompareHandler),  # the compare widget's data for runs=<project>/<id>,...
    (r"kernels/([^/]+)/run", h.KernelRunHandler),  # the running run of a notebook's kernel (status bar)
    (_RUN, h.RunHandler),  # GET detail, PATCH name/notes/tags, DELETE
    (_RUN + "/metrics", h.MetricsHandler),
    (_RUN + "/media", h.MediaHandler),
    (_RUN + "/table", h.TableHandler),
    (_RUN + "/restore", h.RestoreHandler),
    (_RUN + "/snapshot", h.SnapshotHandler),
    (r"blobs/([^/]+)", h.BlobHandler),
    (r"(.*)", h.NoRouteHandler),  # last: any other path under the namespace gets a JSON 404, not an HTML page
]


def api_url(base_url: str) -> str:
    return url_path_join(base_url, *NAMESPACE) + "/"


def handlers(base_url: str) -> list[tuple[str, type[h.BaseHandler]]]:
    root = api_url(base_url)
    return [(root + path, handler) for path, handler in ROUTES]


def install(serverapp: Any) -> None:
    """Add the routes to ``serverapp`` and share the settings, worker threads and root with the handlers."""
    from ..store.urls import redact

    config = JupyterTrackServer(parent=serverapp)
    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.settings["jupyter_track"] = h.Context(config, str(serverapp.root_dir), api_url(base_url))
    serverapp.web_app.add_handlers(".*$", handlers(base_url))
    serverapp.log.info("jupyter_track: REST API at %s reading %s", api_url(base_url), redact(config.store_url))
