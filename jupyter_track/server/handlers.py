"""Thin handlers: authenticate, authorize, hand the request's values to a :mod:`queries` function in a worker
thread, write JSON. Exceptions become HTTP statuses in one table (:data:`STATUS`), always as ``{"error": message}``.

Every verb asks jupyter_server's Authorizer (``ServerApp.authorizer_class``) with ``@authorized``: ``read`` (GET) or
``write`` (PATCH, DELETE, POST) on the resource :data:`AUTH_RESOURCE`; restoring a snapshot asks ``read`` on it
and ``write`` on ``contents`` (it writes a notebook into the server root, as ``PUT /api/contents`` does)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler

from ..errors import OutsideRootError, RunIsRunningError, RunNotFoundError, StoreError, StorePermissionError, UsageError
from ..store import open_store
from ..store.base import Store
from ..store.filters import FilterError
from . import queries as q
from .config import JupyterTrackServer

# The one place errors become statuses: first match wins.
STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (q.TooLarge, 413),
    (RunNotFoundError, 404),
    (q.NotFound, 404),
    (FileExistsError, 409),
    (RunIsRunningError, 409),
    (OutsideRootError, 403),
    (q.NotWritable, 403),
    (StorePermissionError, 403),
    (q.BadInput, 400),
    (FilterError, 400),
    (UsageError, 400),
    (StoreError, 503),
)
EXPECTED = tuple(cls for cls, _ in STATUS)
AUTH_RESOURCE = "jupyter_track"  # the resource an Authorizer is asked about (runs, metrics, media, blobs)
_CHUNK = 1 << 20


@dataclass
class Context:
    """What every handler shares: the settings, the worker threads and the server root."""

    config: JupyterTrackServer
    root_dir: str
    api_url: str  # <base_url>jupyter-track/api/
    executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=max(1, self.config.threads),
                                           thread_name_prefix="jupyter-track-api")

    def store(self) -> Store:
        return open_store(self.config.store_url)  # opened once per process (in a worker thread: it may migrate)


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=str)


class BaseHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def jt(self) -> Context:
        return self.settings["jupyter_track"]  # type: ignore[no-any-return]

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(store, *args)`` in a worker thread: the event loop never waits on the store."""
        def work() -> Any:
            return fn(self.jt.store(), *args)

        return await asyncio.get_running_loop().run_in_executor(self.jt.executor, work)

    async def answer(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            result = await self.call(fn, *args)
        except EXPECTED as exc:
            self.fail(exc)
            return
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(result))

    def fail(self, exc: BaseException) -> None:
        status = next(code for cls, code in STATUS if isinstance(exc, cls))
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.log.debug("jupyter_track API %s %s: %s %s", self.request.method, self.request.path, status, exc)
        body: dict[str, Any] = {"error": str(exc)}
        if isinstance(exc, RunIsRunningError):
            body["running"] = True  # the sidebar asks to confirm, then sends ?force=1
        self.finish(dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Anything not in :data:`STATUS` (and jupyter_server's own 401/403): a JSON message, never a traceback."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or exc.reason or self._reason
        elif exc is not None:
            message = "internal error in the jupyter_track server extension; the server log has the details"
        else:
            message = self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(dumps({"error": message}))

    def arg(self, name: str) -> str | None:
        return self.get_argument(name, None)


class ProjectsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(q.projects)


class RunsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        c = self.jt.config
        await self.answer(q.list_runs, self.arg("project"), self.arg("sort"), self.arg("order"), self.arg("limit"),
                          self.arg("offset"), self.arg("q"), self.arg("state"), self.get_arguments("tag"),
                          self.arg("filter"), c.page_size, c.max_page_size, c.changes_overlap, self.arg("group"))


class ChangesHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        c = self.jt.config
        await self.answer(q.changes, self.arg("project"), self.arg("since"), c.changes_overlap, c.max_page_size)


class KernelRunHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, kernel_id: str) -> None:
        await self.answer(q.kernel_run, kernel_id)


class RunHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, project: str, run_id: str) -> None:
        await self.answer(q.run_detail, project, run_id)

    @tornado.web.authenticated
    @authorized
    async def patch(self, project: str, run_id: str) -> None:
        await self.answer(q.edit_run, project, run_id, self.request.body)

    @tornado.web.authenticated
    @authorized
    async def delete(self, project: str, run_id: str) -> None:
        await self.answer(q.delete_run, project, run_id, self.arg("force"))


class MetricsHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, project: str, run_id: str) -> None:
        c = self.jt.config
        keys = [k for raw in self.get_arguments("keys") for k in raw.split(",")] + self.get_arguments("key")
        await self.answer(q.metrics, project, run_id, keys, self.arg("points"), self.arg("after"),
                          c.default_points, c.max_points)


class MediaHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, project: str, run_id: str) -> None:
        c = self.jt.config
        await self.answer(q.media, project, run_id, self.arg("key"), self.arg("offset"), self.arg("limit"),
                          self.jt.api_url + "blobs/", c.page_size, c.max_page_size)


class TableHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, project: str, run_id: str) -> None:
        c = self.jt.config
        await self.answer(q.table, project, run_id, self.arg("key"), self.arg("step"), self.arg("page"),
                          self.arg("page_size"), c.page_size, c.max_page_size, self.jt.api_url + "blobs/")


class CompareHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        await self.answer(q.compare, self.arg("runs"), self.arg("metrics"), self.arg("group_by"),
                          self.arg("importance"))


class RestoreHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized("read")  # type: ignore[untyped-decorator]  # the run's snapshot
    @authorized("write", resource="contents")  # type: ignore[untyped-decorator]  # a notebook in the server root
    async def post(self, project: str, run_id: str) -> None:
        await self.answer(q.restore_snapshot, project, run_id, self.jt.root_dir, self.request.body)


class SnapshotHandler(BaseHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self, project: str, run_id: str) -> None:
        await self.answer(q.store_live_snapshot, project, run_id, self.request.body,
                          self.jt.config.max_snapshot_bytes)


class NoRouteHandler(BaseHandler):
    """A path under the API that no route takes (``runs//x``, ``kernels//run``, a typo): a JSON 404, like every
    other error of the API, instead of jupyter_server's HTML page."""

    def no_route(self, path: str) -> None:
        self.fail(q.NotFound(f"no endpoint {self.request.method} {path[:200]!r} in the jupyter_track API; "
                             "is the labextension the same version as the Python package?"))

    # one decorated method per verb: @authorized settles its action at a method's first call
    get = tornado.web.authenticated(authorized(no_route))
    post = tornado.web.authenticated(authorized(no_route))
    patch = tornado.web.authenticated(authorized(no_route))
    put = tornado.web.authenticated(authorized(no_route))
    delete = tornado.web.authenticated(authorized(no_route))


class BlobHandler(BaseHandler):
    """A blob's bytes, only when a row of the store refers to it; the id is checked, never used as a path as given."""

    @tornado.web.authenticated
    @authorized
    async def get(self, sha: str) -> None:
        try:
            stream, size, kind = await self.call(q.blob, sha)
        except EXPECTED as exc:
            self.fail(exc)
            return
        self.set_header("Content-Type", kind)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
        self.set_header("Cache-Control", "private, max-age=31536000, immutable")  # content-addressed
        loop = asyncio.get_running_loop()
        with stream as f:  # a checked blob (a file, or rows of the store's database); the reads go to a thread
            self.set_header("Content-Length", str(size))
            read = functools.partial(f.read, _CHUNK)
            while chunk := await loop.run_in_executor(self.jt.executor, read):
                self.write(chunk)
                await self.flush()
        await self.finish()
