"""Real-browser tests: a real JupyterLab server and Debian's Chromium, driven by Python playwright."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.jupyter_server import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the tab in front
SIDEBAR = "#jupyter-track-sidebar"


def write_notebook(path: Path, *sources: str) -> None:
    """A notebook JupyterLab opens straight on the python3 kernel (no kernel picker)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    store: Path

    def home(self, page: Any) -> None:
        """JupyterLab with no notebook open (a fresh workspace)."""
        page.goto(f"{self.url}lab?token={self.token}&reset")

    def settings(self, **values: Any) -> None:
        """The extension's settings (schema/plugin.json) as a user would set them; read when a page loads."""
        folder = self.root.parent / "user-settings" / "jupyter-track"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plugin.jupyterlab-settings").write_text(json.dumps(values))

    def open(self, page: Any, notebook: str) -> None:
        page.goto(f"{self.url}lab/tree/{notebook}?token={self.token}&reset")
        page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
        # Shift+Enter before the kernel is connected does nothing: wait for the status bar to say Idle
        page.wait_for_function("() => document.body.innerText.includes('| Idle')", timeout=60_000)


def run_cell(page: Any, index: int = 0) -> None:
    """Run cell ``index`` of the visible notebook; retry once when the prompt does not show [*] or [n] (a keypress
    before the kernel was connected does nothing)."""
    cell = page.locator(f"{NOTEBOOK} .jp-Cell").nth(index)
    for _ in range(2):
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(
                "([sel, i]) => { const p = document.querySelectorAll(sel)[i]; return p && /\\[(\\*|\\d+)\\]/"
                ".test(p.innerText); }", arg=[f"{NOTEBOOK} .jp-Cell .jp-InputPrompt", index], timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - playwright's timeout: try the keypress once more
            continue
    raise AssertionError(f"cell {index} never started running")


def wait_cell_done(page: Any, index: int, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([sel, i]) => { const p = document.querySelectorAll(sel)[i]; return p && /\\[\\d+\\]/.test(p.innerText); }",
        arg=[f"{NOTEBOOK} .jp-Cell .jp-InputPrompt", index], timeout=timeout)


def requests(page: Any, part: str) -> list[str]:
    """The URLs of the page's requests that contain ``part``, as they are sent: the list grows while playwright
    is called (its sync API delivers events only then: read it with :func:`count` or :func:`quiet`)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if part in r.url else None)
    return seen


def count(page: Any, seen: list[str]) -> int:
    """``len(seen)`` once the requests sent so far were delivered."""
    page.wait_for_timeout(100)
    return len(seen)


def quiet(page: Any, seen: list[str], ms: int) -> int:
    """How many requests ``seen`` gained during ``ms`` milliseconds. That none came can only be observed over a
    window: with a 250 ms poll interval, 2 s is eight polls that did not happen."""
    before = len(seen)
    page.wait_for_timeout(ms)
    return len(seen) - before


def row(run_id: str) -> str:
    """The run's row in the Runs sidebar."""
    return f'{SIDEBAR} tr.jp-TrackSidebar-row[data-run-id="{run_id}"]'


def open_sidebar(page: Any, project: str | None = None) -> None:
    """Open the Runs sidebar and (given ``project``) pick that project once the sidebar lists it."""
    page.click('li[data-id="jupyter-track-sidebar"]', timeout=60_000)
    page.wait_for_selector(f"{SIDEBAR} .jp-TrackSidebar-table", timeout=30_000)
    if project is not None:
        page.wait_for_selector(f'{SIDEBAR} .jp-TrackSidebar-project option[value="{project}"]', state="attached",
                               timeout=30_000)
        page.select_option(f"{SIDEBAR} .jp-TrackSidebar-project", project)


def switch_to_dark_theme(page: Any) -> None:
    """Settings → Theme → JupyterLab Dark, as a user does (the menu runs apputils:change-theme); returns once
    the theme's stylesheet is in and JupyterLab's splash has gone."""
    page.click(".lm-MenuBar-item:has-text('Settings')")
    page.hover(".lm-Menu-item:has-text('Theme')")
    page.click(".lm-Menu-item[data-command='apputils:change-theme']:has-text('JupyterLab Dark')")
    page.wait_for_selector("body[data-jp-theme-light='false']", state="attached", timeout=30_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet applies after the attribute changes


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with _serve(tmp_path, ["jupyterlab"], apps=("LabApp",)) as (url, token, root, store):
        yield Lab(url, token, root, store)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()


@dataclass
class Notebook7(Lab):
    """A Notebook 7 server (``jupyter notebook``): JupyterLab's components, one document per browser tab."""

    def home(self, page: Any) -> None:
        page.goto(f"{self.url}tree?token={self.token}")

    def open(self, page: Any, notebook: str) -> None:
        page.goto(f"{self.url}notebooks/{notebook}?token={self.token}")
        page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
        # Notebook 7 has no status bar: its kernel status says "Kernel Connecting" (or "Starting") until the kernel
        # is connected, then empties; before that it is empty too, so the kernel must also be running on the server
        page.wait_for_function(
            """async ([url, token]) => {
                const kernels = await (await fetch(`${url}api/kernels?token=${token}`)).json();
                const status = document.querySelector('.jp-NotebookKernelStatus');
                return kernels.some(k => k.execution_state === 'idle') && status && !status.textContent.trim(); }""",
            arg=[self.url, self.token], polling=250, timeout=60_000)


@contextlib.contextmanager
def _serve(tmp_path: Path, argv: list[str], apps: tuple[str, ...]) -> Iterator[tuple[str, str, Path, Path]]:
    """Run ``python -m <argv>`` as a Jupyter server on a free port with a random token, in a fresh root and store;
    yields (url, token, root, store) once it answers, stops it afterwards. The user settings and workspaces of
    ``apps`` are kept in the test's folder: settings a test changes (the theme) are not in ~/.jupyter for every
    later server."""
    root, store = tmp_path / "root", tmp_path / "store"
    root.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_TRACK_DIR": str(store), "JUPYTER_TRACK_QUIET": "1",
           "JUPYTER_TRACK_CAPTURE": "none", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    process = subprocess.Popen(
        [sys.executable, "-m", *argv, "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         # JupyterLab's server extension serves the settings to Notebook 7 too: it sets both apps' folders
         *(f"--{app}.{option}={tmp_path / folder}" for app in apps
           for option, folder in (("workspaces_dir", "workspaces"), ("user_settings_dir", "user-settings")))],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2).read()
            break
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{argv[0]} did not start") from None
            time.sleep(0.3)
    try:
        yield url, token, root, store
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def notebook7(tmp_path: Path) -> Iterator[Notebook7]:
    """A running Notebook 7 (``jupyter notebook``) with this package's server extension and labextension."""
    with _serve(tmp_path, ["notebook"], apps=("LabApp", "JupyterNotebookApp")) as (url, token, root, store):
        yield Notebook7(url, token, root, store)
