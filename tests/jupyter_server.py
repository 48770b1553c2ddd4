"""A real Jupyter server for tests, and real kernels started through its REST API (as JupyterLab does)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.blocking import BlockingKernelClient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    token: str
    root: Path
    runtime: Path
    process: subprocess.Popen[bytes]

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token if token is None else token}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def start_kernel(self, notebook: str, env: dict[str, str] | None = None) -> Kernel:
        """A session for ``notebook`` (relative to the root), its kernel started by the server."""
        session = self.request("POST", "api/sessions", {"path": notebook, "name": Path(notebook).name,
                                                         "type": "notebook", "kernel": {"name": "python3"}})
        return Kernel(self, session["id"], session["kernel"]["id"], env or {})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(root: Path, runtime: Path, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> Server:
    port, token = free_port(), secrets.token_hex(16)
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", *args],
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_TRACK_CAPTURE": "all", **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}/", token, root, runtime, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            server.request("GET", "api/status")
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None:
                raise RuntimeError("the Jupyter server exited at start") from None
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("the Jupyter server did not answer within 60 s")


class Kernel:
    """A kernel of a server session; :meth:`run` executes code as a notebook cell would (with history)."""

    def __init__(self, server: Server, session_id: str, kernel_id: str, env: dict[str, str]) -> None:
        self.server, self.session_id, self.kernel_id = server, session_id, kernel_id
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(server.runtime / f"kernel-{kernel_id}.json"))
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        if env:
            self.run("import os\n" + "\n".join(f"os.environ[{k!r}] = {v!r}" for k, v in env.items()))

    def run(self, code: str, timeout: float = 60, allow_error: bool = False) -> str:
        """Execute ``code``; return what it printed; raise with the traceback if it failed."""
        msg_id = self.client.execute(code, store_history=True)
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no reply within {timeout} s to:\n{code}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "execute_result":
                out.append(content["data"].get("text/plain", ""))
            elif kind == "error" and not allow_error:
                raise AssertionError("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                return "".join(out)

    def rename(self, new_path: str) -> None:
        self.server.request("PATCH", f"api/sessions/{self.session_id}", {"path": new_path})

    def close(self) -> None:
        self.client.stop_channels()
        with contextlib.suppress(urllib.error.URLError):
            self.server.request("DELETE", f"api/sessions/{self.session_id}")
