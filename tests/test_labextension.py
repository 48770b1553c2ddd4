"""The JupyterLab extension's TypeScript unit tests (``jlpm test`` in labextension/: tsc, then ``node --test``)
and its built bundle."""

from __future__ import annotations

import json
import os
import re
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


def test_the_bundle_asks_for_the_jupyterlab_4_0_ranges_its_package_json_declares() -> None:
    # webpack's module federation checks each shared package's version against the range the bundle asks for;
    # the builder takes JupyterLab's own packages' ranges from the JupyterLab it builds with (4.6) unless
    # jupyterlab.sharedPackages says otherwise, so that and `dependencies` must agree for older labs to load it
    package = json.loads((LABEXT / "package.json").read_text())
    shared = package["jupyterlab"]["sharedPackages"]
    assert {name: spec["requiredVersion"] for name, spec in shared.items()} == package["dependencies"]
    assert all(r.startswith("^") and r.endswith(".0.0") for r in package["dependencies"].values())
    built = REPO / "jupyter_track" / "labextension"
    entry = (built / json.loads((built / "package.json").read_text())["jupyterlab"]["_build"]["load"]).read_text()
    asked = {name: "^" + ".".join(parts.split(",")[1:]) if parts.startswith("1,") else parts
             for name, parts in re.findall(r'load\w*\("default", "([^"]+)", \w+, \[([^\]]*)\]\)', entry)}
    assert asked and asked == {name: r for name, r in package["dependencies"].items() if name in asked}, asked
    assert "@jupyterlab/application" in asked
