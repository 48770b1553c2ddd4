"""The jupyter-track command, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import jupyter_track as jt
from jupyter_track import settings
from jupyter_track.store import settle
from tests.conftest import REPO
from tests.stores import age_blob, blob_ids, crashed_run

pytestmark = pytest.mark.usefixtures("backend")


def cli(*args: str, stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """The command in a subprocess, once this process's writer has stored what ``finish()`` handed it (it returns
    before: a command run at once could find the run still running, as a terminal a moment later would not)."""
    settle(settings.store_url())
    return subprocess.run([sys.executable, "-m", "jupyter_track", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd, env=dict(os.environ), timeout=60)


@pytest.fixture
def runs() -> list[jt.Run]:
    made = []
    for i, acc in enumerate((0.7, 0.9, 0.8)):
        run = jt.init(project="fashion", name=f"r{i}", config={"lr": 10.0 ** -(i + 1)}, tags=["t"])
        for step in range(100):
            run.log({"acc": acc * step / 99, "loss": 1 - step / 100})
        run.log({"note": "done"})
        run.finish()
        made.append(run)
    return made


def test_ls_sorts_by_a_summary_metric_and_shows_it(runs: list[jt.Run]) -> None:
    out = cli("ls", "fashion", "--sort=-summary.acc", "--columns", "config.lr")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "STATE", "CREATED"] and "SUMMARY.ACC" in lines[0]
    assert [line.split()[1] for line in lines[1:]] == ["r1", "r2", "r0"]
    assert "0.9" in lines[1] and "0.01" in lines[1]
    tagged = json.loads(cli("ls", "fashion", "--tag", "t", "--json").stdout)
    assert len(tagged) == 3 and json.loads(cli("ls", "--tag", "nope", "--json").stdout) == []
    every = json.loads(cli("ls", "--json").stdout)
    assert {r["project"] for r in every} == {"fashion"} and len(every) == 3
    assert "fashion" in cli("projects").stdout


def test_ls_columns_take_spaces_or_commas(runs: list[jt.Run]) -> None:
    spaced = cli("ls", "fashion", "--columns", "config.lr", "summary.acc", "--json")
    assert spaced.returncode == 0, spaced.stderr
    commas = cli("ls", "fashion", "--columns", "config.lr,summary.acc", "--json")
    assert json.loads(spaced.stdout) == json.loads(commas.stdout)
    assert all({"config.lr", "summary.acc"} <= set(row) for row in json.loads(spaced.stdout))


def test_show_prints_media_as_one_line_each(backend: str) -> None:
    import numpy as np

    with jt.init(project="media", name="m") as run:
        run.log({"loss": 0.5, "weights": jt.Histogram(np.arange(1000.0)), "table": jt.Table(columns=["a"], data=[[1]]),
                 "img": jt.Image(np.zeros((8, 6, 3), "uint8"), caption="blank")})
    out = cli("show", run.path)
    assert out.returncode == 0, out.stderr
    summary = out.stdout.split("summary:")[1].split("\n\n")[0].splitlines()[1:]
    assert [line.split()[0] for line in summary] == ["img", "loss", "table", "weights"]
    assert all(len(line) < 120 for line in summary), summary  # the histogram was 30 KB of JSON on one line
    assert "histogram: 64 bins over [0, 999]" in out.stdout and "table: 1 rows × 1 columns" in out.stdout
    assert 'image: 6×8 png "blank"' in out.stdout


def test_csv_export_writes_structured_cells_as_json(backend: str, tmp_path: Path) -> None:
    import csv

    import numpy as np

    with jt.init(project="csv", name="c") as run:
        run.log({"loss": 0.5, "weights": jt.Histogram(np.arange(100.0), num_bins=4)})
    out = cli("export", run.path, "--format", "csv", "--out", str(tmp_path / "c.csv"))
    assert out.returncode == 0, out.stderr
    [row] = list(csv.DictReader((tmp_path / "c.csv").open()))
    assert float(row["loss"]) == 0.5
    weights = json.loads(row["weights"])  # was a Python repr: {'bins': [...], ...}
    assert len(weights["bins"]) == 5 and sum(weights["values"]) == 100


def test_show_into_a_pipe_closed_early_prints_no_error(backend: str) -> None:
    # `jupyter-track show … | head -1`, through a real pipe: head exits after one line and the pipe closes while
    # the rest (over 64 KB, more than a pipe holds) is still to be written
    with jt.init(project="long", config={f"key_{i:05d}": "x" * 20 for i in range(3000)}) as run:
        run.log({"loss": 1.0})
    command = f"{sys.executable} -m jupyter_track show {run.path} | head -1"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                         env=dict(os.environ), timeout=60)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert out.stdout.startswith("run ")


def test_show_prints_config_summary_and_state(runs: list[jt.Run]) -> None:
    out = cli("show", runs[1].path)
    assert out.returncode == 0, out.stderr
    for text in ("r1", "finished", "config:", "lr", "summary:", "acc", "0.9", "100 points", "note"):
        assert text in out.stdout, text
    data = json.loads(cli("show", runs[1].id, "--json").stdout)
    assert data["summary"]["acc"] == pytest.approx(0.9) and data["metrics"]["loss"]["count"] == 100


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_export_writes_every_point(runs: list[jt.Run], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"h.{fmt}"
    result = cli("export", runs[0].path, "--format", fmt, "--out", str(out))
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        frame = pd.read_csv(out)
    elif fmt == "parquet":
        frame = pq.read_table(out).to_pandas()
    else:
        data = json.loads(out.read_text())
        assert data["run"]["name"] == "r0"
        frame = pd.DataFrame(data["history"])
    assert len(frame) == 101 and frame["acc"].iloc[99] == pytest.approx(0.7)
    assert {"_step", "_timestamp", "acc", "loss", "note"} <= set(frame.columns)
    again = cli("export", runs[0].path, "--format", fmt, "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr


def test_parquet_export_without_pyarrow_names_the_extra_and_writes_nothing(runs: list[jt.Run], tmp_path: Path
                                                                          ) -> None:
    out = tmp_path / "h.parquet"
    blocked = ("import sys; sys.modules['pyarrow'] = None  # pyarrow not installed: a real import failure\n"
               "from jupyter_track.cli import main\n"
               f"sys.exit(main(['export', {runs[0].path!r}, '--format', 'parquet', '--out', {str(out)!r}]))")
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, cwd=REPO,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == ("jupyter-track: export --format parquet needs pyarrow, which is not installed: "
                                     "pip install 'jupyter_track[parquet]'")
    assert not out.exists()
    assert cli("export", runs[0].path, "--format", "csv", "--out", str(tmp_path / "h.csv")).returncode == 0


def test_rm_asks_unless_yes_and_gc_frees_unreferenced_blobs(runs: list[jt.Run], tmp_path: Path,
                                                              store_dir: Path) -> None:
    (tmp_path / "model.bin").write_bytes(os.urandom(5000))
    run = jt.init(project="fashion")
    run.save(str(tmp_path / "model.bin"))
    run.finish()
    refused = cli("rm", run.path)  # no terminal and no --yes: nothing is deleted
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert jt.load_run(run.path).id == run.id
    assert cli("rm", run.path, "--yes").returncode == 0
    with pytest.raises(jt.RunNotFoundError):
        jt.load_run(run.path)
    blobs = blob_ids()
    assert len(blobs) == 1
    age_blob(blobs[0])  # older than gc's grace period for blobs of live runs
    dry = cli("gc", "--dry-run")
    assert "would delete 1" in dry.stdout and blob_ids() == blobs
    done = cli("gc")
    assert "deleted 1 unreferenced blobs" in done.stdout and blob_ids() == []


def test_rm_refuses_a_running_run_unless_forced_and_deletes_a_crashed_one() -> None:
    run = jt.init(project="fashion")
    run.log({"x": 1.0})
    run.flush()
    refused = cli("rm", run.path, "--yes")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "is running" in refused.stderr and "pass --force to delete it anyway" in refused.stderr
    assert jt.load_run(run.path).state == "running"
    forced = cli("rm", run.path, "--yes", "--force")
    assert forced.returncode == 0 and f"deleted {run.path}" in forced.stdout
    for i in range(200):  # the deleted run's process goes on, and its log() never waits
        run.log({"x": float(i)})
    run.flush()  # finish() hands its last batch over: it says what was dropped until then
    with pytest.raises(jt.StoreError, match="deleted from the store while it was running"):
        run.finish()
    crashed = crashed_run("fashion")  # a stale heartbeat: crashed, not running, so no --force is needed
    assert jt.load_run(crashed).state == "crashed"
    assert cli("rm", crashed, "--yes").returncode == 0
    with pytest.raises(jt.RunNotFoundError):
        jt.load_run(crashed)


def test_gc_keeps_referenced_and_recent_blobs(tmp_path: Path, store_dir: Path) -> None:
    (tmp_path / "keep.bin").write_bytes(b"keep")
    with jt.init(project="p") as run:
        run.save(str(tmp_path / "keep.bin"))
    [blob] = blob_ids()
    age_blob(blob)
    assert "deleted 0" in cli("gc").stdout and blob_ids() == [blob]


def test_errors_are_one_clear_line_with_a_nonzero_exit(runs: list[jt.Run]) -> None:
    missing = cli("show", "fashion/nope")
    assert missing.returncode == 1 and "no run 'nope'" in missing.stderr and "Traceback" not in missing.stderr
    bad = cli("ls", "--filter", '{"colour": 1}')
    assert bad.returncode == 2 and "unknown filter field" in bad.stderr
    assert cli().returncode == 2
    # found by the fuzzer: a limit beyond what the store holds, and a sort with no field
    too_many = cli("ls", "--limit", str(2**63))
    assert too_many.returncode == 2 and "out of range" in too_many.stderr and "Traceback" not in too_many.stderr
    no_field = cli("ls", "--sort=--")
    assert no_field.returncode == 2 and "--sort needs a field" in no_field.stderr
    with pytest.raises(ValueError, match="out of range"):
        jt.Api().runs("fashion", limit=2**63)


def _with_live_snapshot(run: jt.Run) -> None:
    """Keep a notebook as ``run``'s live snapshot, as the sidebar's POST snapshot does."""
    import nbformat

    from jupyter_track.store import open_store
    from jupyter_track.store.base import Batch, BlobRefWrite

    data = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("u = 6")])).encode()
    store = open_store()
    sha = store.blobs.put_bytes(data)
    store.write_batch(Batch(blob_refs=[BlobRefWrite(sha=sha, owner="snapshot", name="live@init", size=len(data),
                                                    run_id=run.id)]))


def test_restore_without_out_writes_beside_the_source_or_here_and_never_outside(tmp_path: Path) -> None:
    import nbformat

    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "exp").mkdir(parents=True)
    outside.mkdir()
    written = {}
    for name in ("../outside/x", str(outside / "abs")):
        run = jt.init(project="restore", name=name, display=False)
        run.finish()
        _with_live_snapshot(run)
        out = cli("restore", run.path, "--which", "live", cwd=work)
        assert out.returncode == 0, out.stderr
        written[name] = Path(out.stdout.split(" to ", 1)[1].strip())
    assert list(outside.iterdir()) == []
    assert all(path.parent == work for path in written.values()), written
    for folder in (work / "exp", tmp_path):  # a source notebook under the working folder, and one outside it
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("t = 7")]), folder / "train.ipynb")
        run = jt.init(project="restore", notebook=str(folder / "train.ipynb"), capture="notebook", display=False)
        run.finish()
        run.flush()  # finish() hands the capture's snapshots to the writer: stored before another process reads
        out = cli("restore", run.path, "--which", "saved", cwd=work)
        assert out.returncode == 0, out.stderr
        expected = (work / "exp" if folder == work / "exp" else work) / f"train-{run.id}-saved.ipynb"
        assert out.stdout.split(" to ", 1)[1].strip() in (str(expected), str(expected.relative_to(work)))
        assert expected.is_file()
