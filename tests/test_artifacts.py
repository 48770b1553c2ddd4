"""Artifacts on a real SQLite store: content-addressed versions, aliases and their history, lineage across
processes, verified downloads, path safety, bounded memory for large files, gc and concurrent logging."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_track as jt
from jupyter_track.artifacts import LineageGraph
from jupyter_track.errors import ArtifactIntegrityError, ArtifactNotFoundError, UsageError
from jupyter_track.store import open_store
from jupyter_track.store.base import ArtifactFile, ArtifactWrite, Batch
from tests.conftest import REPO, run_python
from tests.stores import age_blob, blob_ids, corrupt_blob, remove_blob, sql

pytestmark = pytest.mark.usefixtures("backend")


def blob_files(store_dir: Path) -> list[str]:
    """The blobs stored (files of the SQLite store's folder, rows of a PostgreSQL store)."""
    return blob_ids()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    (folder / "images").mkdir(parents=True)
    (folder / "train.csv").write_text("x,y\n1,2\n")
    (folder / "images" / "a.png").write_bytes(b"\x89PNG" + bytes(range(200)))
    return folder


def dataset(folder: Path, name: str = "mnist") -> jt.Artifact:
    art = jt.Artifact(name, type="dataset", description="digits", metadata={"rows": 1})
    art.add_dir(folder)
    return art


# -- versions ---------------------------------------------------------------------------------------------------
def test_same_files_are_the_same_version_and_one_changed_byte_makes_a_new_one(data: Path, store_dir: Path) -> None:
    run = jt.init(project="p")
    first = run.log_artifact(dataset(data))
    assert first.version == "v0" and first.aliases == ["latest"]
    assert sorted(e.path for e in first.files()) == ["images/a.png", "train.csv"]
    stored_once = len(blob_files(store_dir))

    again = run.log_artifact(dataset(data), aliases=["best"])  # identical content: v0, and the alias applies
    assert again.version == "v0" and again.digest == first.digest and again.aliases == ["latest", "best"]
    assert len(blob_files(store_dir)) == stored_once

    (data / "train.csv").write_text("x,y\n1,3\n")  # one byte changed
    changed = run.log_artifact(dataset(data))
    assert changed.version == "v1" and changed.digest != first.digest
    assert len(blob_files(store_dir)) == stored_once + 1  # only the changed file is new; a.png is stored once
    assert [a.version for a in jt.artifacts("p")] == ["v0", "v1"]
    assert jt.artifact("mnist").version == "v1"  # latest moved to the new version


def test_a_file_under_another_name_is_a_new_version_but_not_a_new_blob(data: Path, store_dir: Path) -> None:
    run = jt.init(project="p")
    a = jt.Artifact("m", type="model")
    a.add_file(data / "train.csv")
    b = jt.Artifact("m", type="model")
    b.add_file(data / "train.csv", name="renamed.csv")
    assert run.log_artifact(a).version == "v0" and run.log_artifact(b).version == "v1"
    assert len(blob_files(store_dir)) == 1


def test_add_objects_dicts_dataframes_and_media_objects(store_dir: Path) -> None:
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    art = jt.Artifact("preds", type="predictions")
    art.add({"classes": ["cat", "dog"]}, "labels")
    art.add({"part": 0}, "parts/part_0")  # a path inside the artifact, as W&B's tables in parts
    art.add(frame, "frame")
    art.add(jt.Table(columns=["img", "label"], data=[[jt.Image(pixels), "cat"]]), "predictions")
    with art.new_file("notes.txt", mode="w") as f:
        f.write("hello")
    with pytest.raises(TypeError, match="add_file"):
        art.add(object(), "thing")
    run = jt.init(project="p")
    logged = run.log_artifact(art)
    paths = [e.path for e in logged.files()]
    media = [p for p in paths if p.startswith("media/")]
    assert set(paths) == {"labels.json", "parts/part_0.json", "frame.parquet", "predictions.table.json", "notes.txt",
                          *media}
    assert len(media) == 2  # the table's rows and its image
    assert logged.get("labels") == {"classes": ["cat", "dog"]} and logged.get("parts/part_0") == {"part": 0}
    with pytest.raises(ValueError, match=r"add\(name=\.\.\.\)"):
        art.add({}, "../escape")
    with pytest.warns(jt.JupyterTrackWarning, match="incremental artifacts are not supported"):
        jt.Artifact("preds", type="predictions", incremental=True)
    assert logged.get("frame").equals(frame)
    table = logged.get("predictions")  # the media object, as W&B's get() gives it, its image read back
    assert isinstance(table, jt.Table) and table.columns == ["img", "label"]
    df = table.get_dataframe()
    assert df["label"].tolist() == ["cat"] and isinstance(df["img"][0], jt.Image)
    assert np.array_equal(df["img"][0].to_numpy(), pixels)
    # the media blob is an artifact file too: gc keeps it
    assert {m.removeprefix("media/") for m in media} <= set(open_store().referenced_blobs())


def test_save_of_a_new_artifact_logs_it_to_the_active_run_as_wandbs_does(data: Path) -> None:
    """W&B's model-evaluation example makes an artifact, adds a table and calls ``artifact.save()`` in a run."""
    art = jt.Artifact("mnist", type="dataset")
    art.add_file(str(data / "train.csv"))
    with pytest.raises(UsageError, match=r"call jt.init\(\) before jt.Artifact.save\(\)"):
        art.save()
    run = jt.init(project="p")
    art.save()
    assert art.version == "v0" and art.logged
    art.description = "edited"  # a later save() stores edits, as before
    art.save()
    run.finish()
    stored = jt.artifact("p/mnist:v0")
    assert stored.description == "edited" and [e.path for e in stored.files()] == ["train.csv"]
    logged_by = stored.logged_by()
    assert logged_by is not None and logged_by.id == run.id


def test_a_dataframe_without_pyarrow_is_refused_naming_the_extra_and_the_rest_is_kept() -> None:
    out = run_python("""
        import sys
        sys.modules["pyarrow"] = None  # pyarrow not installed: a real import failure
        import pandas as pd
        import jupyter_track as jt
        art = jt.Artifact("preds", type="predictions")
        art.add({"classes": ["cat", "dog"]}, "labels")
        try:
            art.add(pd.DataFrame({"a": [1, 2]}), "frame")
        except ImportError as exc:
            print(type(exc).__name__, exc, sep=": ")
        with jt.init(project="p") as run:
            logged = run.log_artifact(art)
        print([e.path for e in logged.files()], logged.get("labels"))
    """).stdout.splitlines()
    assert out[0] == ("MissingExtraError: add() of a DataFrame (stored as frame.parquet) needs pyarrow, which is not "
                      "installed: pip install 'jupyter_track[parquet]'")
    assert out[1] == "['labels.json'] {'classes': ['cat', 'dog']}"


def test_log_model_and_module_level_functions_act_on_the_current_run(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # use_model downloads to ./artifacts/
    (tmp_path / "model.pt").write_bytes(b"weights")
    with pytest.raises(UsageError, match=r"jt.init\(\) before jt.log_artifact"):
        jt.log_artifact(jt.Artifact("x", type="t"))
    run = jt.init(project="p")
    model = jt.log_model(str(tmp_path / "model.pt"), name="clf", aliases=["staging"])
    assert (model.type, model.version, model.aliases) == ("model", "v0", ["latest", "staging"])
    used = jt.use_artifact("clf:staging")
    assert used.wait() is used and used.logged_by() is not None and used.logged_by().id == run.id  # type: ignore[union-attr]
    assert [r.id for r in used.used_by()] == [run.id]
    path = Path(run.use_model("clf:latest"))
    assert (path / "model.pt").read_bytes() == b"weights"


# -- aliases ----------------------------------------------------------------------------------------------------
def test_aliases_move_with_a_recorded_history_and_production_resolves_to_the_current_version(data: Path) -> None:
    first = jt.init(project="fashion")
    v0 = first.log_artifact(dataset(data, "clf"), aliases=["production", "latest"])  # W&B code passes latest too
    first.finish()
    (data / "train.csv").write_text("changed")
    second = jt.init(project="fashion")
    v1 = second.log_artifact(dataset(data, "clf"))
    assert jt.artifact("fashion/clf:latest").version == "v1"
    assert jt.artifact("fashion/clf:production").version == "v0"

    promoted = second.use_artifact("clf:v1")
    promoted.add_alias("production")
    assert promoted.aliases == ["latest", "production"]
    assert jt.artifact("fashion/clf:production").version == "v1"
    assert "production" not in jt.artifact("fashion/clf:v0").aliases

    history = jt.artifact("fashion/clf:production").alias_history()
    moves = [(e.alias, e.action, e.previous, e.version, e.run_id) for e in history]
    assert moves == [("production", "set", None, 0, first.id), ("production", "set", 0, 1, second.id)]
    assert all(e.user and "@" in e.user and e.at > 0 for e in history)

    v1.aliases.append("staging")  # W&B's way: edit the list, then save()
    v1.save()
    assert jt.artifact("fashion/clf:staging").version == "v1"
    v1.remove_alias("staging")
    with pytest.raises(ArtifactNotFoundError, match=r"has no version or alias 'staging'.*v0, v1"):
        jt.artifact("fashion/clf:staging")
    assert history[-1].at <= jt.artifact("fashion/clf").alias_history()[-1].at
    assert [e.action for e in jt.artifact("fashion/clf").alias_history()][-1] == "removed"
    assert v0.version == "v0"


def test_bad_names_and_aliases_are_refused_with_what_to_do(data: Path) -> None:
    for bad in ("a/b", "a:b", "", "../x", "a b"):
        with pytest.raises(ValueError, match="not valid"):
            jt.Artifact(bad, type="dataset")
    run = jt.init(project="p")
    art = run.log_artifact(dataset(data))
    for alias, match in (("v3", "version number"), ("latest", "automatic"), ("a/b", "not valid")):
        with pytest.raises(ValueError, match=match):
            art.add_alias(alias)
    with pytest.raises(FileNotFoundError, match="is not a file"):
        jt.Artifact("x", type="t").add_file(data / "missing.bin")
    with pytest.raises(FileNotFoundError, match="add_dir"):
        jt.Artifact("x", type="t").add_file(data)
    with pytest.raises(UsageError, match="no files"):
        run.log_artifact(jt.Artifact("empty", type="t"))
    with pytest.raises(UsageError, match="a logged version never changes"):
        art.add_file(data / "train.csv")
    other = jt.Artifact("mnist", type="model")
    other.add_file(data / "train.csv")
    with pytest.raises(UsageError, match="has type 'dataset'"):
        run.log_artifact(other)


def test_tags_that_are_not_stored_are_said_so_and_the_version_is_still_logged(data: Path) -> None:
    run = jt.init(project="p")
    with pytest.warns(jt.JupyterTrackWarning, match=r"tags=\['x'\]\): artifact tags are not stored; use aliases="):
        art = run.log_artifact(dataset(data), aliases=["best"], tags=["x"])
    assert art.version == "v0" and jt.use_artifact("mnist:best").version == "v0"


def test_unknown_artifacts_and_aliases_list_what_exists(data: Path) -> None:
    run = jt.init(project="p")
    run.log_artifact(dataset(data), aliases=["best"])
    with pytest.raises(ArtifactNotFoundError, match=r"has no version or alias 'prod'; it has: v0, best, latest"):
        jt.artifact("p/mnist:prod")
    with pytest.raises(ArtifactNotFoundError, match="project 'p' has: mnist"):
        run.use_artifact("cifar:latest")
    with pytest.raises(ArtifactNotFoundError, match="exists in 'p'"):
        jt.artifact("other/mnist")
    jt.init(project="q").log_artifact(dataset(data))
    with pytest.raises(ArtifactNotFoundError, match=r"several projects \(p, q\)"):
        jt.artifact("mnist:latest")


# -- lineage ----------------------------------------------------------------------------------------------------
PIPELINE = {
    "dataset": """
        import numpy as np, jupyter_track as jt
        run = jt.init(project="pipe", job_type="dataset")
        np.save("x.npy", np.arange(100.0))
        art = jt.Artifact("numbers", type="dataset"); art.add_file("x.npy")
        run.log_artifact(art)
        run.finish()
    """,
    "train": """
        import numpy as np, jupyter_track as jt
        run = jt.init(project="pipe", job_type="train")
        x = np.load(run.use_artifact("numbers:latest").download() + "/x.npy")
        np.save("w.npy", np.array([x.mean()]))
        run.log_model("w.npy", name="model", aliases=["candidate"])
        run.finish()
    """,
    "eval": """
        import numpy as np, jupyter_track as jt
        run = jt.init(project="pipe", job_type="eval")
        w = np.load(run.use_artifact("model:candidate", type="model").download() + "/w.npy")
        run.log({"score": float(w[0])})
        run.finish()
    """,
}


def test_lineage_of_a_three_step_pipeline_run_in_three_processes(tmp_path: Path) -> None:
    for step, code in PIPELINE.items():
        work = tmp_path / step
        work.mkdir()
        subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True, cwd=work, env=dict(os.environ),
                       timeout=120, capture_output=True)
    graph = jt.lineage("pipe/model:v0")
    assert isinstance(graph, LineageGraph)
    up = [(n["kind"], n.get("job_type") or n.get("label")) for n in graph.upstream()]
    down = [(n["kind"], n.get("job_type")) for n in graph.downstream()]
    assert up == [("run", "train"), ("artifact", "numbers:v0"), ("run", "dataset")]  # nearest first
    assert down == [("run", "eval")]
    kinds = {(graph.node(e["source"])["kind"], graph.node(e["target"])["kind"], e["kind"]) for e in graph.edges}
    assert kinds == {("run", "artifact", "output"), ("artifact", "run", "input")}
    assert len(graph.edges) == 4  # dataset → numbers → train → model → eval

    train = next(r for r in jt.runs("pipe") if r.job_type == "train")
    around = jt.lineage(train)  # from a run: its inputs upstream, its outputs and their users downstream
    assert [n.get("job_type") or n["label"] for n in around.upstream()] == ["numbers:v0", "dataset"]
    assert around.downstream()[0]["label"] == "model:v0"
    assert len(around.downstream()) == 2  # the model, then the evaluation run


def test_lineage_graph_state_and_its_html_escapes_names(data: Path) -> None:
    producer = jt.init(project="p", name="<script>alert(1)</script>")
    art = producer.log_artifact(dataset(data, "ds"), aliases=["x-y"])
    consumer = jt.init(project="p", job_type='"><img src=x onerror=alert(1)>', reinit="create_new")
    consumer.use_artifact("ds:latest")
    graph = jt.lineage(art)
    state = graph.to_dict()
    assert state["root"] == f"artifact:{art.id}"
    assert {n["id"] for n in state["nodes"]} == {f"artifact:{art.id}", f"run:{producer.id}", f"run:{consumer.id}"}
    assert {(e["source"], e["target"], e["kind"]) for e in state["edges"]} == {
        (f"run:{producer.id}", f"artifact:{art.id}", "output"), (f"artifact:{art.id}", f"run:{consumer.id}", "input")}
    root = graph.node(state["root"])
    assert root["aliases"] == ["latest", "x-y"] and root["type"] == "dataset" and root["level"] == 0
    page = graph._repr_html_()
    assert page.startswith("<div") and "<svg" in page and "</svg>" in page
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "&quot;&gt;&lt;img" in page


def test_deleting_a_run_keeps_its_artifacts_lineage_and_gc_keeps_their_blobs(data: Path, store_dir: Path) -> None:
    run = jt.init(project="p")
    art = run.log_artifact(dataset(data))
    run.finish()
    user = jt.init(project="p")
    user.use_artifact("mnist:v0")
    user.finish()
    store = open_store()
    assert store.delete_run(run.id)
    assert blob_files(store_dir)
    for blob in blob_files(store_dir):
        age_blob(blob)  # older than gc's grace period
    gc = subprocess.run([sys.executable, "-m", "jupyter_track", "gc"], capture_output=True, text=True,
                        env=dict(os.environ), timeout=60, cwd=REPO)
    assert gc.returncode == 0 and "deleted 0 unreferenced" in gc.stdout, gc.stdout + gc.stderr
    kept = jt.artifact("p/mnist:v0")
    assert kept.created_by == run.id and kept.logged_by() is None
    out = Path(kept.download(root=store_dir.parent / "out"))
    assert (out / "train.csv").read_text() == "x,y\n1,2\n"
    graph = jt.lineage(kept)
    assert graph.node(f"run:{run.id}")["state"] == "deleted"
    assert art.digest == kept.digest


# -- downloads: integrity and path safety ---------------------------------------------------------------------------
def test_download_verifies_digests_and_names_the_corrupted_or_missing_file(data: Path, tmp_path: Path) -> None:
    run = jt.init(project="p")
    art = run.log_artifact(dataset(data))
    out = Path(art.download(root=tmp_path / "ok"))
    assert (out / "images" / "a.png").read_bytes() == (data / "images" / "a.png").read_bytes()
    art.verify(out)
    blob = art.get_entry("images/a.png").digest or ""
    corrupt_blob(blob)  # one flipped byte in the stored blob
    with pytest.raises(ArtifactIntegrityError, match=r"'images/a.png' of p/mnist:v0 is corrupted"):
        art.download(root=tmp_path / "bad")
    assert not (tmp_path / "bad" / "images" / "a.png").exists()
    assert not [p for p in (tmp_path / "bad").rglob("*") if p.is_file()]  # nor a temporary file
    remove_blob(blob)
    with pytest.raises(ArtifactIntegrityError, match=r"'images/a.png' of p/mnist:v0 is missing"):
        art.download(root=tmp_path / "gone")


def test_default_download_folder_is_artifacts_name_version_in_the_working_folder(
        data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    art = jt.init(project="p").log_artifact(dataset(data))
    assert Path(art.download()) == tmp_path / "artifacts" / "mnist-v0"


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../x", "a\\..\\x", "./x", "a//b", "C:/x", "x\n"])
def test_unsafe_names_are_refused_when_added(name: str, data: Path) -> None:
    with pytest.raises(ValueError, match=r"artifact|name"):
        jt.Artifact("x", type="t").add_file(data / "train.csv", name=name)


def test_add_dir_refuses_files_with_odd_names_and_follows_no_folder_links(data: Path, tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "ok.txt").write_text("fine")
    (odd / "..\\..\\evil.txt").write_text("a backslash name")
    with pytest.raises(ValueError, match=r"evil.txt.*backslash"):
        jt.Artifact("x", type="t").add_dir(odd)
    (odd / "..\\..\\evil.txt").unlink()
    (odd / "outside").symlink_to(data, target_is_directory=True)
    art = jt.Artifact("x", type="t")
    art.add_dir(odd, name="sub")
    assert [e.path for e in art.files()] == ["sub/ok.txt"]


def test_a_crafted_stored_name_is_refused_at_download_and_nothing_is_written(tmp_path: Path) -> None:
    store = open_store()
    sha = store.blobs.put_bytes(b"payload")
    files = [ArtifactFile("fine.txt", sha, 7), ArtifactFile("../escaped.txt", sha, 7)]
    store.write_batch(Batch(artifacts=[ArtifactWrite("p", "evil", "t", "d" * 64, files)]))  # bypasses add_file
    root = tmp_path / "root"
    with pytest.raises(ValueError, match=r"'../escaped.txt'.*'..' part"):
        jt.artifact("p/evil:v0").download(root=root)
    assert not (tmp_path / "escaped.txt").exists() and not (root / "fine.txt").exists()


def test_a_symlink_inside_the_download_folder_cannot_lead_outside(data: Path, tmp_path: Path) -> None:
    art = jt.init(project="p").log_artifact(dataset(data))
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "images").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ValueError, match="outside"):
        art.download(root=root)
    assert not list(elsewhere.iterdir())


# -- scale and concurrency --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_logging_and_downloading_a_1gb_file_keeps_memory_flat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    monkeypatch.setenv("JUPYTER_TRACK_BLOB_DB_MAX", str(2 << 30))  # PostgreSQL: in the database, 1 MiB at a time
    big_file = tmp_path / "big.bin"
    with open(big_file, "wb") as f:  # 1 GiB made here, so the measured process only logs and downloads it
        block = os.urandom(1 << 20)
        for i in range(1024):
            f.write(block[:-8] + i.to_bytes(8, "little"))
    out = run_python(f"""
        import os, time
        import jupyter_track as jt

        def peak_rss_mb():  # VmHWM: this process's own peak (ru_maxrss would keep the forking parent's)
            with open("/proc/self/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
        big = {str(big_file)!r}
        run = jt.init(project="big")
        art = jt.Artifact("big", type="dataset"); art.add_file(big)
        run.flush()
        before = peak_rss_mb()
        t = time.perf_counter(); run.log_artifact(art); logged = time.perf_counter() - t
        t = time.perf_counter(); path = art.download(root={str(tmp_path / "dl")!r}); fetched = time.perf_counter() - t
        assert os.path.getsize(path + "/big.bin") == 1 << 30
        peak = peak_rss_mb()
        print(f"{{before:.0f}} {{peak:.0f}} {{logged:.2f}} {{fetched:.2f}}")
    """, timeout=280)
    before_mb, peak_mb, log_s, get_s = (float(x) for x in out.stdout.split()[-4:])
    print(f"\n1 GiB artifact: peak RSS {peak_mb:.0f} MB ({before_mb:.0f} MB before logging), "
          f"log_artifact {log_s:.1f} s, download {get_s:.1f} s")
    assert peak_mb < 200 and peak_mb - before_mb < 100, (before_mb, peak_mb)


@pytest.mark.slow
def test_two_processes_logging_the_same_artifact_get_distinct_consecutive_versions(tmp_path: Path,
                                                                                     store_dir: Path) -> None:
    code = """
        import sys, jupyter_track as jt
        who, n = sys.argv[1], 8
        run = jt.init(project="race")
        for i in range(n):
            art = jt.Artifact("shared", type="dataset")
            with art.new_file("content.txt", mode="w") as f:
                f.write(f"{who}-{i}")
            run.log_artifact(art)
        same = jt.Artifact("shared", type="dataset")
        with same.new_file("content.txt", mode="w") as f:
            f.write("identical in both processes")
        print(run.log_artifact(same).version)
        run.finish()
    """
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), who], env=dict(os.environ), cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for who in ("a", "b")]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    assert results[0][0].strip() == results[1][0].strip()  # the identical content is one version for both
    rows = sql("SELECT version, digest FROM artifact_versions ORDER BY version")
    assert [v for v, _ in rows] == list(range(17))  # 8 + 8 distinct, + 1 shared: v0 … v16, no gap
    assert len({d for _, d in rows}) == 17


def test_link_artifact_keeps_w_and_b_model_registry_collections_in_the_store(tmp_path: Path) -> None:
    # W&B's models quickstart: log a model, link it to "model-registry/My Registered Model"
    model = tmp_path / "my_model.h5"
    model.write_text("Model: 0.25")
    with jt.init(project="models_quickstart") as run:
        best = jt.Artifact(f"model_{run.id}", type="model")
        best.add_file(str(model))
        run.log_artifact(best)
        linked = run.link_artifact(best, "my-entity/model-registry/My Registered Model", aliases=["staging"])
        again = run.link_artifact(best, "model-registry/My Registered Model")  # same content: same version
        other = tmp_path / "other.h5"
        other.write_text("Model: 0.5")
        second = run.link_model(str(other), "My Registered Model", aliases=["production"])
    assert (linked.qualified_name, again.version, second.version) == (
        "model-registry/My Registered Model:v0", "v0", "v1")
    assert linked.metadata["linked_from"] == best.qualified_name and linked.type == "model"
    staged = jt.artifact("model-registry/My Registered Model:staging")
    assert Path(staged.download(str(tmp_path / "dl")), "my_model.h5").read_text() == "Model: 0.25"
    assert jt.artifact("model-registry/My Registered Model:production").version == "v1"
    assert jt.artifact("model-registry/My Registered Model:latest").version == "v1"
    # the source keeps its own versions, and the blob is stored once
    assert jt.artifact(f"models_quickstart/model_{run.id}:latest").version == "v0"

    with jt.init(project="models_quickstart") as run:
        for bad in ("", "a/b/c/d", "model-registry/bad:name"):
            with pytest.raises((UsageError, ValueError), match=r"collection|target_path"):
                run.link_artifact(best, bad)
        with pytest.raises(UsageError, match=r"takes a jt\.Artifact"):
            run.link_artifact("model_x:latest", "model-registry/x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="artifact name 'a b' is not valid"):
        jt.Artifact("a b", type="model")  # spaces only in a linked collection's name, as W&B


def test_entries_download_one_file_and_references_reuse_files_without_a_network(tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    # W&B's ensembles example: open(art.get_path("model.json").download()), then art.add_reference(entry, name)
    monkeypatch.chdir(tmp_path)
    with jt.init(project="ens") as run:
        m1 = jt.Artifact("m1", "model")
        with m1.new_file("model.json") as f:
            f.write('{"val": 0.5}')
        with m1.new_file("notes.txt") as f:
            f.write("not downloaded")
        run.log_artifact(m1)
    with jt.init(project="ens") as run:
        entry = run.use_artifact("m1:latest").get_path("model.json")
        path = entry.download()
        assert Path(path).read_text() == '{"val": 0.5}'
        assert sorted(p.name for p in Path(path).parent.iterdir()) == ["model.json"]  # that one file only
        (tmp_path / "local").mkdir()
        (tmp_path / "local" / "a.txt").write_text("A")
        (tmp_path / "cfg.yaml").write_text("lr: 0.1")
        ensemble = jt.Artifact("all", "model")
        assert [e.path for e in ensemble.add_reference(entry, "m1.model.json")] == ["m1.model.json"]
        ensemble.add_reference(f"file://{tmp_path / 'cfg.yaml'}")
        assert [e.path for e in ensemble.add_reference(str(tmp_path / "local"), name="local")] == ["local/a.txt"]
        with pytest.raises(UsageError, match=r"s3:// references need a network"):
            ensemble.add_reference("s3://bucket/model.json")
        run.log_artifact(ensemble)
    logged = jt.artifact("ens/all:latest")
    assert {e.path: logged.get_entry(e.path).size for e in logged.files()} == {
        "cfg.yaml": 7, "local/a.txt": 1, "m1.model.json": 12}
    assert Path(logged.download(str(tmp_path / "out")), "m1.model.json").read_text() == '{"val": 0.5}'
