"""capture_environment(): git facts and diff from a real repository, machine facts, frameworks, packages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

from jupyter_track.capture.environment import DIFF_CAP, capture_environment, strip_credentials
from tests.conftest import run_python

SECRET_REMOTE = "https://user:s3cret@example.com/repo.git"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real repository: one commit of two files, and a remote whose URL holds a password."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "commit.gpgsign", "false")
    (root / "train.py").write_text("lr = 0.1\n")
    (root / "data.bin").write_bytes(bytes(range(256)))
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    git(root, "remote", "add", "origin", SECRET_REMOTE)
    return root


def repo_state(root: Path) -> tuple[bytes, int, list[str], str]:
    """The index (bytes, mtime), the .git entries and the status; the index is read first and the status is
    asked without optional locks, so that taking the state does not itself rewrite the index."""
    index = root / ".git" / "index"
    state = index.read_bytes(), index.stat().st_mtime_ns, sorted(p.name for p in (root / ".git").iterdir())
    return (*state, git(root, "--no-optional-locks", "status", "--porcelain"))


def test_clean_repo_reads_as_not_dirty_with_no_diff(repo: Path) -> None:
    env = capture_environment(repo, {"git"})
    info = env.meta["git"]
    assert info["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert info["branch"] == "main"
    assert Path(info["root"]).resolve() == repo.resolve()
    assert info["dirty"] is False and info["untracked"] == 0
    assert env.git_diff is None
    assert "errors" not in env.meta
    assert set(env.meta) == {"git"}  # only the part asked for


def test_changes_make_the_repo_dirty_and_the_diff_holds_them(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.01\n")
    (repo / "data.bin").write_bytes(bytes(range(255, -1, -1)))
    (repo / "notes.txt").write_text("untracked\n")
    env = capture_environment(repo, {"git"})
    info = env.meta["git"]
    assert info["dirty"] is True and info["untracked"] == 1 and info["diff_truncated"] is False
    assert env.git_diff is not None
    assert b"-lr = 0.1" in env.git_diff and b"+lr = 0.01" in env.git_diff
    assert b"GIT binary patch" in env.git_diff  # --binary: the patch can restore binary files too
    assert b"notes.txt" not in env.git_diff  # untracked files are counted, not diffed
    # the patch is a real one: it applies to a fresh checkout of the commit
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    subprocess.run(["git", "apply", "-"], cwd=clone, input=env.git_diff, check=True)
    assert (clone / "train.py").read_text() == "lr = 0.01\n"


def test_only_untracked_files_count_but_do_not_make_the_repo_dirty(repo: Path) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "a.txt").write_text("a")
    (repo / "sub" / "b.txt").write_text("b")
    info = capture_environment(repo, {"git"}).meta["git"]
    assert info["untracked"] == 2 and info["dirty"] is False


def test_remote_credentials_never_reach_the_meta(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.2\n")
    env = capture_environment(repo, {"git", "environment", "packages"})
    assert env.meta["git"]["remote"] == "https://example.com/repo.git"
    text = json.dumps(env.meta)
    assert "s3cret" not in text and "user:" not in text


def test_a_token_in_the_remote_query_string_or_fragment_never_reaches_the_meta(repo: Path) -> None:
    git(repo, "remote", "set-url", "origin", "https://gitlab.example.com/g/r.git?private_token=s3cret#t0ken")
    env = capture_environment(repo, {"git"})
    assert env.meta["git"]["remote"] == "https://gitlab.example.com/g/r.git"
    assert "s3cret" not in json.dumps(env.meta) and "t0ken" not in json.dumps(env.meta)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://user:token@github.com/o/r.git", "https://github.com/o/r.git"),
    ("https://ghp_abc@github.com:8443/o/r.git", "https://github.com:8443/o/r.git"),
    ("https://github.com/o/r.git", "https://github.com/o/r.git"),
    ("https://host/o/r.git?private_token=t&x=1", "https://host/o/r.git"),
    ("https://u:p@host/o/r.git#access_token=t", "https://host/o/r.git"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("/srv/git/r.git", "/srv/git/r.git"),
])
def test_strip_credentials_keeps_the_location_only(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected


def test_capture_never_modifies_the_repository(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.3\n")
    (repo / "notes.txt").write_text("untracked\n")
    # a stat-only change (an older mtime, so git does not treat it as racy): `git diff` writes such refreshes
    # back into the index unless told not to
    an_hour_ago = time.time() - 3600
    os.utime(repo / "data.bin", (an_hour_ago, an_hour_ago))
    before = repo_state(repo)
    env = capture_environment(repo, {"git"})
    assert env.git_diff is not None
    assert repo_state(repo) == before


def test_detached_head_has_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    info = capture_environment(repo, {"git"}).meta["git"]
    assert info["branch"] is None and info["commit"]


def test_a_folder_outside_any_repository_has_git_none_without_errors(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    if subprocess.run(["git", "rev-parse"], cwd=folder, capture_output=True).returncode == 0:
        pytest.skip("tmp_path lies inside a git repository here")
    env = capture_environment(folder, {"git"})
    assert env.meta == {"git": None} and env.git_diff is None


def test_a_huge_diff_is_cut_at_the_cap_and_flagged(repo: Path) -> None:
    # random-looking text so the patch is as big as the file; a tracked file so it is in the diff
    (repo / "big.txt").write_text("x\n")
    git(repo, "add", "big.txt")
    git(repo, "commit", "-q", "-m", "big")
    line = "".join(chr(33 + (i * 7919) % 90) for i in range(99)) + "\n"
    (repo / "big.txt").write_text(line * (DIFF_CAP // len(line) + 1000))
    env = capture_environment(repo, {"git"})
    assert env.meta["git"]["diff_truncated"] is True
    assert env.git_diff is not None and len(env.git_diff) == DIFF_CAP


def test_environment_part_describes_python_platform_and_hardware(tmp_path: Path) -> None:
    meta = capture_environment(tmp_path, {"environment"}).meta
    assert meta["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert meta["python"]["executable"] == sys.executable
    assert meta["platform"]["system"] and meta["platform"]["hostname"] and meta["platform"]["os"]
    hardware = meta["hardware"]
    assert hardware["cpu_count"] >= 1 and hardware["memory_total_gb"] > 0
    assert isinstance(meta["gpus"], list)
    assert "git" not in meta and "packages" not in meta
    json.dumps(meta)  # JSON-able as it is


@pytest.mark.skipif(not sys.platform.startswith("linux") or "model name" not in Path("/proc/cpuinfo").read_text(),
                    reason="on Linux with a CPU model in /proc/cpuinfo only (else the CPU's name comes from uname -p)")
def test_the_os_name_is_platforms_and_the_capture_starts_no_uname_for_it(tmp_path: Path) -> None:
    # a `uname` first on PATH that leaves a mark: platform.platform() would start it for the processor's name
    bin_dir, mark = tmp_path / "bin", tmp_path / "uname-ran"
    bin_dir.mkdir()
    fake = bin_dir / "uname"
    fake.write_text(f"#!/bin/sh\ntouch {mark}\necho unknown\n")
    fake.chmod(0o755)
    path = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    out = run_python(f"""
        import json
        from jupyter_track.capture.environment import capture_environment
        meta = capture_environment({str(tmp_path)!r}, {{"environment"}}).meta
        print(json.dumps([meta["platform"]["os"], meta.get("errors", [])]))
        """, env=path).stdout
    os_name, errors = json.loads(out)
    assert not mark.exists() and not errors
    # platform.platform() says the same (it starts the fake uname, which answers "unknown", left out)
    said = run_python("import platform; print(platform.platform())", env=path).stdout.strip()
    assert mark.exists() and os_name == said


def test_packages_are_the_installed_distributions_with_their_versions(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # an old-style egg-info folder (PKG-INFO, a long description in its headers) beside the installed ones
    egg = tmp_path / "site" / "Old_Style.Pkg-1.2.egg-info"
    egg.mkdir(parents=True)
    egg.joinpath("PKG-INFO").write_text("Metadata-Version: 1.1\nName: Old_Style.Pkg\nVersion: 1.2\n"
                                        "Description: An old package.\n        Name: not this one\n"
                                        "        Version: 9.9\n\nVersion: nor this\n")
    monkeypatch.syspath_prepend(str(egg.parent))
    packages = capture_environment(tmp_path, {"packages"}).meta["packages"]
    assert packages["numpy"] == metadata.version("numpy")
    assert packages["jupyter-track"] == metadata.version("jupyter_track")  # normalised as pip does
    assert packages["old-style-pkg"] == "1.2"
    # every installed distribution, as importlib.metadata's full parse names it (the first on sys.path wins)
    expected: dict[str, str] = {}
    for dist in metadata.distributions():
        if dist.metadata["Name"] and dist.version:
            expected.setdefault(re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower(), dist.version)
    assert packages == dict(sorted(expected.items()))
    assert all(name == name.lower() and "_" not in name for name in packages)


def _dist(site: Path, folder: str, name: str, version: str) -> Path:
    """A distribution's metadata as an installer leaves it: ``folder`` (a dist-info or egg-info folder)."""
    (site / folder).mkdir(parents=True, exist_ok=True)
    file = site / folder / ("METADATA" if folder.endswith(".dist-info") else "PKG-INFO")
    file.write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nA package.\n")
    return file


def test_the_package_list_is_kept_until_a_distribution_is_installed_upgraded_or_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    metadata_file = _dist(site, "alpha_pkg-1.0.dist-info", "alpha_pkg", "1.0")
    egg = _dist(site, "own_project.egg-info", "own-project", "0.1")  # a project's own (setup.py develop)
    monkeypatch.syspath_prepend(str(site))

    def listed() -> dict[str, str]:
        packages = capture_environment(tmp_path, {"packages"}).meta["packages"]
        return {k: v for k, v in packages.items() if k in ("alpha-pkg", "beta-pkg", "own-project")}

    assert listed() == {"alpha-pkg": "1.0", "own-project": "0.1"}
    assert list((tmp_path / "cache" / "jupyter_track").glob("packages-*.json"))  # conftest's XDG_CACHE_HOME
    # a dist-info's metadata never changes under the same folder name (name-version): the list kept is reused
    metadata_file.write_text("Metadata-Version: 2.1\nName: alpha_pkg\nVersion: 7.7\n")
    assert listed() == {"alpha-pkg": "1.0", "own-project": "0.1"}
    metadata_file.write_text("Metadata-Version: 2.1\nName: alpha_pkg\nVersion: 1.0\n")
    # installed, upgraded, removed: each is seen at the next run
    _dist(site, "beta_pkg-2.0.dist-info", "beta-pkg", "2.0")
    assert listed() == {"alpha-pkg": "1.0", "beta-pkg": "2.0", "own-project": "0.1"}
    shutil.rmtree(site / "alpha_pkg-1.0.dist-info")
    _dist(site, "alpha_pkg-1.1.dist-info", "alpha_pkg", "1.1")
    assert listed() == {"alpha-pkg": "1.1", "beta-pkg": "2.0", "own-project": "0.1"}
    shutil.rmtree(site / "beta_pkg-2.0.dist-info")
    assert listed() == {"alpha-pkg": "1.1", "own-project": "0.1"}
    # an egg-info keeps its name when its project's version changes: its metadata's time says it changed
    egg.write_text("Metadata-Version: 2.1\nName: own-project\nVersion: 0.2\n")
    os.utime(egg, ns=(time.time_ns(), egg.stat().st_mtime_ns + 1_000_000_000))
    assert listed() == {"alpha-pkg": "1.1", "own-project": "0.2"}
    # a sys.path of other folders is listed anew, not taken for this one
    monkeypatch.syspath_prepend(str(tmp_path / "other"))
    _dist(tmp_path / "other", "beta_pkg-3.0.dist-info", "beta_pkg", "3.0")
    assert listed() == {"alpha-pkg": "1.1", "beta-pkg": "3.0", "own-project": "0.2"}
    # an entry put on sys.path as a Path (importlib.metadata reads those too) is watched as well
    monkeypatch.setattr(sys, "path", [Path(p) if p == str(tmp_path / "other") else p for p in sys.path])
    assert listed() == {"alpha-pkg": "1.1", "beta-pkg": "3.0", "own-project": "0.2"}
    shutil.rmtree(tmp_path / "other" / "beta_pkg-3.0.dist-info")
    assert listed() == {"alpha-pkg": "1.1", "own-project": "0.2"}


def test_a_package_list_whose_cache_is_damaged_or_cannot_be_written_is_listed_all_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _dist(tmp_path / "site", "alpha_pkg-1.0.dist-info", "alpha_pkg", "1.0")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    expected = capture_environment(tmp_path, {"packages"}).meta["packages"]
    assert expected["alpha-pkg"] == "1.0"
    for kept in (tmp_path / "cache" / "jupyter_track").glob("packages-*.json"):
        kept.write_text('{"state": [')  # cut short
    assert capture_environment(tmp_path, {"packages"}).meta["packages"] == expected
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "site" / "alpha_pkg-1.0.dist-info" / "METADATA"))  # a file
    meta = capture_environment(tmp_path, {"packages"}).meta
    assert meta["packages"] == expected and "errors" not in meta


def test_frameworks_list_only_those_already_imported() -> None:
    result = run_python("""
        import json, sys
        from jupyter_track.capture.environment import capture_environment
        meta = capture_environment(".", {"environment"}).meta
        print(json.dumps({"frameworks": meta["frameworks"], "imported": [m for m in ("torch", "tensorflow", "jax")
                                                                         if m in sys.modules]}))
    """)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["imported"] == []  # capture imported none of them
    assert found["frameworks"] == {}


def test_torch_facts_are_recorded_when_torch_is_imported(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    result = run_python("""
        import json, torch
        from jupyter_track.capture.environment import capture_environment
        print(json.dumps(capture_environment(".", {"environment"}).meta["frameworks"]))
    """)
    torch_info = json.loads(result.stdout.strip().splitlines()[-1])["torch"]
    assert torch_info["version"] and "cuda_available" in torch_info


def test_capture_takes_well_under_a_second(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.4\n")
    start = time.perf_counter()
    env = capture_environment(repo, {"git", "environment", "packages"})
    seconds = time.perf_counter() - start
    print(f"capture_environment(git, environment, packages): {seconds * 1000:.0f} ms, "
          f"{len(env.meta['packages'])} packages")
    assert seconds < 10  # a hang guard; the figure itself is printed above and by the benchmark
    assert "errors" not in env.meta


def test_a_capture_still_running_at_finish_is_reported_not_waited_for(
        repo: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jupyter_track as jt
    from jupyter_track.capture import Capture

    slow = repo.parent / "slow-bin"
    slow.mkdir()
    (slow / "git").write_text(f"#!/bin/sh\nsleep 3\nexec {shutil.which('git')} \"$@\"\n")
    (slow / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}{os.pathsep}{os.environ['PATH']}")  # a repository on a very slow disk
    monkeypatch.chdir(repo)
    run = jt.init(project="p", capture=False)
    capture = Capture(run, {"git"})
    capture.start()
    started = time.monotonic()
    capture.finish(timeout=0.5)
    assert time.monotonic() - started < 2.5  # did not wait for git
    run.finish()
    errors = jt.load_run(run.path).meta["capture_errors"]
    assert errors == ["capture at init was still running 0.5 s into finish(): notebook, git, environment or "
                      "package facts may be missing from this run"]
