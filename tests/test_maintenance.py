"""``jt.export``, ``jt.gc`` and deleting runs from Python: the code behind ``jupyter-track export / gc / rm`` and the
server's DELETE, on a real store and real files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import jupyter_track as jt
from jupyter_track.maintenance import EXPORT_CHUNK_ROWS, delete_runs
from tests.conftest import run_python
from tests.stores import age_blob, blob_ids, crashed_run

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def run() -> jt.Run:
    with jt.init(project="fashion", name="r0", config={"lr": 0.1}) as made:
        for step in range(100):
            made.log({"acc": step / 99, "loss": 1 - step / 100})
        made.log({"note": "done"})
    return made


def read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "parquet":
        return pq.read_table(path).to_pandas()
    data = json.loads(path.read_text())
    assert data["run"]["name"] == "r0" and data["run"]["config"] == {"lr": 0.1}
    return pd.DataFrame(data["history"])


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_export_writes_every_step_and_replaces_a_file_only_when_told(run: jt.Run, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"h.{fmt}"
    done = jt.export(run.path, out, format=fmt)
    assert (done.path, done.rows) == (out, 101) and done.columns == len(read(out, fmt).columns)
    frame = read(out, fmt)
    assert len(frame) == 101 and frame["acc"].iloc[99] == pytest.approx(1.0) and frame["note"].iloc[100] == "done"
    assert {"_step", "_timestamp", "_runtime", "acc", "loss", "note"} <= set(frame.columns)
    before = out.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        jt.export(run.path, out, format=fmt, keys=["loss"])
    assert out.read_bytes() == before  # refused: the file is as it was
    only_loss = jt.export(jt.load_run(run.path), out, format=fmt, keys=["loss"], overwrite=True)
    assert only_loss.rows == 100 and "acc" not in read(out, fmt).columns


def test_export_names_the_file_after_the_run_and_refuses_an_unknown_format(run: jt.Run, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    done = jt.export(run.path)
    assert done.path == Path(f"r0-{run.id}.csv") and (tmp_path / done.path).is_file()
    with pytest.raises(ValueError, match=re.escape("export(format='xlsx'): use one of csv, parquet, json")):
        jt.export(run.path, format="xlsx")
    with pytest.raises(jt.RunNotFoundError, match="no run 'nope'"):
        jt.export("fashion/nope")


def test_export_to_parquet_without_pyarrow_names_the_extra_and_writes_nothing(run: jt.Run, tmp_path: Path) -> None:
    out = tmp_path / "h.parquet"
    result = run_python(f"""
        import sys
        sys.modules["pyarrow"] = None  # pyarrow not installed: a real import failure
        import jupyter_track as jt
        try:
            jt.export({run.path!r}, {str(out)!r}, format="parquet")
        except jt.JupyterTrackError as exc:
            print(type(exc).__name__, exc)
    """)
    assert result.stdout.strip() == ("MissingExtraError export(format=\"parquet\") needs pyarrow, which is not "
                                     "installed: pip install 'jupyter_track[parquet]'")
    assert not out.exists()


def test_a_long_export_shows_a_progress_bar_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = 2 * EXPORT_CHUNK_ROWS + 1
    with jt.init(project="long") as made:
        for step in range(rows):
            made.log({"x": float(step)})
    capsys.readouterr()
    jt.export(made.path, tmp_path / "quiet.csv")
    assert capsys.readouterr().err == ""
    done = jt.export(made.path, tmp_path / "long.csv", progress=True)
    bar = capsys.readouterr().err
    assert "export long.csv" in bar and "3/3" in bar  # one step per chunk of EXPORT_CHUNK_ROWS rows
    frame = pd.read_csv(tmp_path / "long.csv")
    assert done.rows == rows and len(frame) == rows and frame["x"].iloc[-1] == rows - 1
    assert (tmp_path / "long.csv").read_text().count("_step") == 1  # one header, not one per chunk


def test_gc_frees_only_old_unreferenced_blobs_and_a_dry_run_frees_none(tmp_path: Path) -> None:
    (tmp_path / "keep.bin").write_bytes(os.urandom(3000))
    (tmp_path / "drop.bin").write_bytes(os.urandom(5000))
    with jt.init(project="p") as kept:
        kept.save(str(tmp_path / "keep.bin"))
    with jt.init(project="p") as dropped:
        dropped.save(str(tmp_path / "drop.bin"))
    [keep_sha] = [r.sha for r in jt.Api().store.blob_refs(kept.id)]
    [drop_sha] = [r.sha for r in jt.Api().store.blob_refs(dropped.id)]
    delete_runs(jt.Api().store, [jt.load_run(dropped.path)])
    assert sorted(blob_ids()) == sorted([keep_sha, drop_sha])

    young = jt.gc()  # the unreferenced blob is recent: a run may not have flushed its reference yet
    assert (young.deleted, young.young, young.kept) == (0, 1, 1) and sorted(blob_ids()) == sorted([keep_sha, drop_sha])
    assert young.line() == "deleted 0 unreferenced blobs (0 B); kept 1 referenced and 1 written in the last 10 minutes"
    for sha in (keep_sha, drop_sha):
        age_blob(sha)
    dry = jt.gc(dry_run=True)
    assert (dry.deleted, dry.freed) == (1, 5000) and sorted(blob_ids()) == sorted([keep_sha, drop_sha])
    assert dry.line() == "would delete 1 unreferenced blobs (4.9 KB); kept 1 referenced"
    done = jt.gc(jt.Api().store.url)
    assert (done.deleted, done.freed, done.kept) == (1, 5000, 1) and blob_ids() == [keep_sha]
    assert jt.load_run(kept.path).files()[0]["sha256"] == keep_sha
    assert jt.gc(grace=0).deleted == 0  # nothing left to free


def test_delete_runs_refuses_a_running_run_before_deleting_any_unless_forced() -> None:
    with jt.init(project="d") as finished:
        finished.log({"x": 1.0})
    running = jt.init(project="d")
    running.log({"x": 1.0})
    running.flush()
    crashed = crashed_run("d")
    store = jt.Api().store
    both = [jt.load_run(finished.path), jt.load_run(running.path)]
    with pytest.raises(jt.RunIsRunningError, match=r"is running.*deleting it now would drop what it logs"):
        delete_runs(store, both)
    assert {r.id for r in jt.runs("d")} == {finished.id, running.id, "crashed-run"}  # nothing was deleted
    assert delete_runs(store, [jt.load_run(crashed), both[0]]) == [crashed, finished.path]  # crashed: no force needed
    assert delete_runs(store, [both[1]], force=True) == [running.path]
    assert list(jt.runs("d")) == []
    with pytest.raises(jt.RunNotFoundError, match=f"run {finished.path} was already deleted"):
        delete_runs(store, [both[0]])
    running.log({"x": 2.0})  # its process goes on; the writer drops what it logs from now on
    running.flush()  # finish() hands its last batch over: it says what was dropped until then
    with pytest.raises(jt.StoreError, match="deleted from the store while it was running"):
        running.finish()
