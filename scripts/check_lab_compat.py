"""Check that the prebuilt JupyterLab extension in a wheel loads in another JupyterLab 4.x (an older one).

Run from the repository root, with the project's venv (it drives Chromium through its playwright):
    .venv/bin/python scripts/check_lab_compat.py --lab "4.0.*" [--wheel dist/jupyter_track-*.whl] [--keep]

It makes a venv with that JupyterLab and the wheel (built with `pip wheel --no-deps .` when --wheel is not given),
records one run there, starts `jupyter lab`, opens /lab in Debian's Chromium and checks that `jupyter labextension
list` shows the extension enabled, the Runs icon is in the left sidebar, and the sidebar lists the run. It prints
the browser console's errors and webpack's "Unsatisfied version" warnings and leaves a screenshot. Exit status 0
when every check passed. It needs the package index (pip) and takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.jupyter_server import free_port  # noqa: E402
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, SIDEBAR  # noqa: E402

SIDEBAR_TAB = 'li[data-id="jupyter-track-sidebar"]'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="4.0.*", help="JupyterLab version to install (a pip version spec)")
    parser.add_argument("--wheel", help="the jupyter_track wheel (default: build one from this checkout)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="jt-lab-compat-"))
    venv = scratch / "venv"
    wheel = args.wheel or _build_wheel(scratch)
    print(f"== venv with jupyterlab=={args.lab} and {Path(wheel).name} in {venv}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"jupyterlab=={args.lab}", wheel], check=True)
    version = _out(venv / "bin" / "python", "-c", "import jupyterlab; print(jupyterlab.__version__)").strip()
    listed = _out(venv / "bin" / "jupyter", "labextension", "list")
    checks = {f"jupyter labextension list (JupyterLab {version}): jupyter-track enabled OK":
              any("jupyter-track" in line and "enabled" in line and "OK" in line for line in listed.splitlines())}

    store, root = scratch / "store", scratch / "root"
    root.mkdir()
    env = {**os.environ, "JUPYTER_TRACK_DIR": str(store)}
    record = ("import jupyter_track as jt; r = jt.init(project='compat', name='compat-run', display=False); "
              "r.log({'loss': 1.0}); r.finish(); print(r.id)")
    run_id = subprocess.run([str(venv / "bin" / "python"), "-c", record], capture_output=True, text=True, env=env,
                            check=True).stdout.splitlines()[-1]  # after the run's own messages
    port, token = free_port(), secrets.token_hex(16)
    with open(scratch / "lab.log", "w") as log:
        lab = subprocess.Popen(
            [str(venv / "bin" / "jupyter"), "lab", "--allow-root", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
             f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
             f"--LabApp.workspaces_dir={scratch / 'workspaces'}"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_until_up(f"{url}api/status?token={token}")
            checks.update(_browser(f"{url}lab?token={token}&reset", run_id, scratch / "lab-compat.png"))
        finally:
            lab.terminate()
            lab.wait(30)
    for name, ok in checks.items():
        print(("PASS " if ok else "FAIL ") + name)
    print(f"screenshot: {scratch / 'lab-compat.png'}; server log: {scratch / 'lab.log'}")
    if not args.keep and all(checks.values()):
        shutil.rmtree(venv, ignore_errors=True)
    return 0 if all(checks.values()) else 1


def _build_wheel(scratch: Path) -> str:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(scratch)],
                   check=True)
    return str(next(scratch.glob("jupyter_track-*.whl")))


def _out(*cmd: object, env: dict[str, str] | None = None) -> str:
    """The command's stdout and stderr (`jupyter labextension list` prints to both)."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, check=True, timeout=300)
    return done.stdout + done.stderr


def _wait_until_up(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _browser(url: str, run_id: str, screenshot: Path) -> dict[str, bool]:
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.goto(url)
        checks = {}
        try:
            page.wait_for_selector(SIDEBAR_TAB, timeout=90_000)
            checks["the Runs icon is in the left sidebar"] = True
            page.click(SIDEBAR_TAB)
            page.wait_for_selector(f'{SIDEBAR} [data-run-id="{run_id}"]', timeout=30_000)
            checks["the sidebar lists the run"] = True
        except Exception as exc:  # noqa: BLE001 - playwright's timeout: reported as a failed check
            checks[f"the sidebar loads ({exc})"] = False
        page.screenshot(path=str(screenshot))
        browser.close()
    # webpack's warning does not name the extension that asked: other prebuilt extensions (jupyterlab_widgets)
    # may cause some; the required range in each says whose it is
    for m in console:
        if "Unsatisfied version" in m or m.startswith("error:"):
            print("console", m)
    return checks


if __name__ == "__main__":
    sys.exit(main())
