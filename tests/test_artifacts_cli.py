"""``jupyter-track artifact ls|show|get|alias``, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_track as jt
from tests.conftest import REPO


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jupyter_track", "artifact", *args], capture_output=True,
                          text=True, cwd=cwd, env=dict(os.environ), timeout=60)


@pytest.fixture
def model(tmp_path: Path) -> str:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"v0")
    trainer = jt.init(project="fashion", job_type="train")
    trainer.log_model(str(weights), name="clf", aliases=["production"])
    weights.write_bytes(b"v1 weights")
    trainer.log_model(str(weights), name="clf")
    trainer.finish()
    evaluator = jt.init(project="fashion", job_type="eval")
    evaluator.use_artifact("clf:production")
    evaluator.finish()
    return trainer.id


def test_ls_lists_artifacts_with_versions_sizes_aliases_and_creating_run(model: str) -> None:
    out = cli("ls", "fashion", "--type", "model")
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.strip().splitlines()
    assert header.split()[:5] == ["PROJECT", "NAME", "TYPE", "VERSIONS", "LATEST"]
    assert row.split()[:5] == ["fashion", "clf", "model", "2", "v1"]
    assert "production→v0" in row and model in row
    rows = json.loads(cli("ls", "--json").stdout)
    assert rows[0]["versions"] == 2 and rows[0]["size"] == 12
    assert "no artifacts in project 'other'" in cli("ls", "other").stdout


def test_show_gives_files_aliases_history_creator_and_consumers(model: str) -> None:
    out = cli("show", "clf:production")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "fashion/clf:v0" in text and "production" in text and "weights.bin" in text
    assert f"(fashion/{model})" in text  # the creating run
    assert "used by:" in text and "(finished)" in text
    assert "alias history:" in text and "production: → v0" in text
    data = json.loads(cli("show", "fashion/clf:v1", "--json").stdout)
    assert data["aliases"] == ["latest"] and [f["path"] for f in data["files"]] == ["weights.bin"]
    assert [v["version"] for v in data["versions"]] == ["v0", "v1"]


def test_alias_add_moves_it_and_remove_takes_it_off_with_history(model: str) -> None:
    moved = cli("alias", "add", "fashion/clf:v1", "production")
    assert moved.returncode == 0, moved.stderr
    assert jt.artifact("fashion/clf:production").version == "v1"
    assert "production: v0 → v1" in cli("show", "clf:production").stdout
    assert cli("alias", "remove", "fashion/clf:v1", "production").returncode == 0
    assert "production" not in jt.artifact("fashion/clf:v1").aliases
    wrong = cli("alias", "remove", "fashion/clf:v1", "production")
    assert wrong.returncode == 1 and "not on fashion/clf:v1" in wrong.stderr
    bad = cli("alias", "add", "fashion/clf:v1", "v7")
    assert bad.returncode == 2 and "looks like a version" in bad.stderr


def test_get_downloads_verified_files_into_out(model: str, tmp_path: Path) -> None:
    out = cli("get", "clf:v1", "--out", str(tmp_path / "dl"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "dl" / "weights.bin").read_bytes() == b"v1 weights" and "verified" in out.stdout
    default = cli("get", "fashion/clf", cwd=tmp_path)
    assert default.returncode == 0 and (tmp_path / "artifacts" / "clf-v1" / "weights.bin").exists()


def test_unknown_and_ambiguous_names_are_one_clear_line(model: str, tmp_path: Path) -> None:
    missing = cli("show", "clf:staging")
    assert missing.returncode == 1 and "has no version or alias 'staging'; it has: v0, v1" in missing.stderr
    assert "Traceback" not in missing.stderr
    (tmp_path / "f").write_bytes(b"x")
    jt.init(project="other").log_model(str(tmp_path / "f"), name="clf")
    ambiguous = cli("show", "clf")
    assert ambiguous.returncode == 1 and "several projects (fashion, other)" in ambiguous.stderr
