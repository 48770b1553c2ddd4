"""The JupyterLab extension's TypeScript unit tests (``jlpm test`` in labextension/: tsc, then ``node --test``)
and its built bundle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

LABEXT = REPO / "labextension"
JLPM = Path(sys.executable).with_name("jlpm")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (CI has node 20)")
def test_typescript_unit_tests_pass() -> None:
    if not (LABEXT / "node_modules").is_dir():
        pytest.fail("labextension/node_modules is missing: run `make setup` (it installs and builds the extension)")
    env = {**os.environ, "PATH": f"{JLPM.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(JLPM), "test"], cwd=LABEXT, capture_output=True, text=True, timeout=300, env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    passed = [line for line in output.splitlines() if line.startswith("# pass ")]
    assert passed and int(passed[-1].split()[-1]) > 0, output[-3000:]  # tests ran, not an empty run
    assert "# fail 0" in output, output[-6000:]


def test_the_built_extension_declares_its_bundle_and_settings_schema() -> None:
    built = REPO / "jupyter_track" / "labextension"
    package = json.loads((built / "package.json").read_text())
    assert package["name"] == "jupyter-track"
    assert (built / package["jupyterlab"]["_build"]["load"]).is_file()
    schema = json.loads((built / "schemas" / "jupyter-track" / "plugin.json").read_text())
    assert {"pollInterval", "metricColumns", "pageSize"} <= set(schema["properties"])
