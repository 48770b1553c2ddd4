"""What a run ran on: git state and uncommitted diff, Python, OS, CPU, RAM, GPUs, loaded frameworks, packages.

Every probe is short and never raises: a probe that fails is recorded as a line in ``meta["errors"]`` and the
others still run. Git is only ever asked read-only questions; it must not touch the user's index or refs (see
:data:`_GIT_ENV` and :func:`_git_diff`).
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from .packages import installed_packages

log = logging.getLogger("jupyter_track")

DIFF_CAP = 10 * 1024 * 1024  # bytes of `git diff HEAD` kept; a bigger patch is cut and flagged diff_truncated
GIT_TIMEOUT = 5.0  # seconds per git command: a hang guard, a healthy repo answers in milliseconds

# GIT_OPTIONAL_LOCKS=0 stops `git status` writing the refreshed index back; LC_ALL=C keeps messages parseable;
# no prompt may ever wait for a password on a background thread.
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
# `git diff` rewrites the index after stat-only changes even with GIT_OPTIONAL_LOCKS=0 (seen with git 2.39);
# diff.autoRefreshIndex=false stops that. fsmonitor hooks are user programs: not ours to start.
_GIT_CONFIG = ("-c", "diff.autoRefreshIndex=false", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false")


@dataclass
class Environment:
    """The captured facts (``meta``, JSON-able) and the uncommitted changes as a binary patch (``git_diff``)."""

    meta: dict[str, Any]
    git_diff: bytes | None


def capture_environment(cwd: str | os.PathLike[str], parts: Collection[str]) -> Environment:
    """Capture the asked ``parts`` (a subset of ``{"git", "environment", "packages"}``) for code run in ``cwd``.

    Never raises: a failing probe is recorded under ``meta["errors"]``; unknown part names are ignored. ``meta``
    holds keys only for the parts asked for: ``git``; ``python``, ``platform``, ``hardware``, ``gpus`` (those
    ``CUDA_VISIBLE_DEVICES`` lets the process use), ``gpu_driver``, ``cuda_driver_version``,
    ``cuda_visible_devices`` (when set), ``frameworks``; ``packages``.

    Example::

        env = capture_environment(".", {"git", "environment"})
        env.meta["git"]["commit"], env.meta["python"]["version"], len(env.git_diff or b"")
    """
    meta: dict[str, Any] = {}
    errors: list[str] = []
    diff: bytes | None = None
    if "git" in parts:
        meta["git"], diff = _guarded(errors, "git", lambda: _git_info(os.fspath(cwd), errors), (None, None))
    if "environment" in parts:
        meta["python"] = {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        }
        meta["platform"] = _guarded(errors, "platform", _platform_info, None)
        meta["hardware"] = _guarded(errors, "hardware", _hardware_info, None)
        meta.update(_guarded(errors, "gpus", lambda: _gpu_info(errors), {"gpus": []}))
        meta["frameworks"] = _guarded(errors, "frameworks", lambda: _frameworks(errors), {})
    if "packages" in parts:
        meta["packages"] = _guarded(errors, "packages", installed_packages, None)
    if errors:
        meta["errors"] = errors
    return Environment(meta, diff)


def _guarded(errors: list[str], what: str, probe: Callable[[], Any], fallback: Any) -> Any:
    """Run one probe; a failure becomes a line in ``errors`` and the fallback value."""
    try:
        return probe()
    except Exception as e:  # capture must never break init(): the failure is recorded in meta and logged
        log.debug("jupyter_track: capture of %s failed", what, exc_info=True)
        errors.append(f"{what}: {type(e).__name__}: {e}")
        return fallback


# -- git ----------------------------------------------------------------------------------------------------------

def _git(cwd: str, *args: str, limit: int | None = None) -> tuple[int, bytes, str, bool]:
    """Run one read-only git command: (exit status, stdout cut at ``limit`` bytes, stderr, cut?).

    Raises OSError when git is not installed and TimeoutError when it runs past GIT_TIMEOUT."""
    # stderr goes to a file: a pipe could fill up (one warning per file) while stdout is being read, and deadlock
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            ["git", "--no-optional-locks", *_GIT_CONFIG, *args], cwd=cwd, env={**os.environ, **_GIT_ENV},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file,
        )
        # a timer rather than communicate(timeout=) so that stdout can be read up to a cap, not all into memory
        timer = threading.Timer(GIT_TIMEOUT, proc.kill)
        timer.start()
        stdout: IO[bytes] = proc.stdout  # type: ignore[assignment]
        try:
            out = stdout.read(limit + 1) if limit is not None else stdout.read()
            cut = limit is not None and len(out) > limit
            if cut:
                proc.kill()  # the rest of the patch is not wanted
                out = out[:limit]
            code = proc.wait()
        finally:
            timer.cancel()
            stdout.close()
        err_file.seek(0)
        err = err_file.read().decode("utf-8", "replace").strip()
    if code < 0 and not cut:
        raise TimeoutError(f"git {args[0]} did not answer within {GIT_TIMEOUT:g} s")
    return code, out, err, cut


def _git_text(cwd: str, *args: str) -> str | None:
    code, out, _, _ = _git(cwd, *args)
    if code != 0:
        return None
    return out.decode("utf-8", "replace").strip() or None


def _git_info(cwd: str, errors: list[str]) -> tuple[dict[str, Any] | None, bytes | None]:
    try:
        code, out, err, _ = _git(cwd, "rev-parse", "--show-toplevel")
    except FileNotFoundError:  # git not installed: same as no repository, no noise
        log.debug("git is not installed; no git facts captured")
        return None, None
    if code != 0:
        if "not a git repository" not in err.lower():  # e.g. "dubious ownership": worth telling the user
            errors.append(f"git: {err.splitlines()[-1] if err else f'exit status {code}'}")
        return None, None
    info: dict[str, Any] = {"root": out.decode("utf-8", "replace").strip()}
    info["commit"] = _git_text(cwd, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")  # None before a commit
    info["branch"] = _git_text(cwd, "symbolic-ref", "--quiet", "--short", "HEAD")  # None when detached
    info["remote"] = _git_remote(cwd)
    info["dirty"] = info["untracked"] = None  # stay None if status fails (a huge tree past the timeout)
    diff: bytes | None = None
    try:
        info["dirty"], info["untracked"] = _git_status(cwd)
        if info["dirty"] and info["commit"]:
            diff, info["diff_truncated"] = _git_diff(cwd)
    except (OSError, RuntimeError) as e:  # TimeoutError is an OSError
        errors.append(f"git: {e}")
    return info, diff


def _git_status(cwd: str) -> tuple[bool, int]:
    """(tracked changes?, number of untracked files). Untracked files are not in the diff, so they do not count
    as dirty."""
    code, out, err, _ = _git(cwd, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if code != 0:
        raise RuntimeError(f"git status failed: {err}")
    entries = iter(out.split(b"\0"))
    dirty, untracked = False, 0
    for entry in entries:
        if len(entry) < 4:
            continue
        xy = entry[:2]
        if xy == b"??":
            untracked += 1
        else:
            dirty = True
        if b"R" in xy or b"C" in xy:
            next(entries, None)  # -z lists a rename or copy as "R  new\0old": skip the old path
    return dirty, untracked


def _git_diff(cwd: str) -> tuple[bytes | None, bool]:
    code, out, err, cut = _git(cwd, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff", limit=DIFF_CAP)
    if code != 0 and not cut:
        raise RuntimeError(f"git diff failed: {err}")
    return out or None, cut


def _git_remote(cwd: str) -> str | None:
    names = (_git_text(cwd, "remote") or "").split()
    if not names:
        return None
    url = _git_text(cwd, "remote", "get-url", "origin" if "origin" in names else names[0])
    return strip_credentials(url) if url else None


def strip_credentials(url: str) -> str:
    """A remote URL without the user/password part, query string and fragment, which may hold a token
    (``?private_token=…``); scp-style ``git@host:x`` is kept.

    Example::

        strip_credentials("https://user:token@github.com/o/r.git")  # 'https://github.com/o/r.git'
    """
    if "://" not in url:
        return url  # scp-style or a local path: the user before '@' is an ssh login, never a secret
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))  # a remote names a repository by its path alone


# -- machine --------------------------------------------------------------------------------------------------------

def _platform_info() -> dict[str, Any]:
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "hostname": socket.gethostname(),
        "os": _os_name(),
    }


def _os_name() -> str:
    """``platform.platform()``'s text (``Linux-6.1.0-18-amd64-x86_64-with-glibc2.36``). On Linux it is made here
    without the processor's name: for that ``platform()`` starts a ``uname -p`` process, and most distributions
    answer ``unknown`` or the machine's name, which it leaves out."""
    if not sys.platform.startswith("linux"):
        return platform.platform()
    u = os.uname()
    libc, version = platform.libc_ver()
    return "-".join(part for part in (u.sysname, u.release, u.machine, "with", libc + version) if part)


def _hardware_info() -> dict[str, Any]:
    import psutil

    return {
        "cpu_count": os.cpu_count(),
        "cpu_physical": psutil.cpu_count(logical=False),
        "cpu_model": _cpu_model(),
        "memory_total_gb": round(psutil.virtual_memory().total / 1024**3, 2),  # GiB, as `free -g` counts
    }


def _cpu_model() -> str | None:
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("model name"):
                        return line.split(":", 1)[1].strip() or None
        except OSError:
            pass  # fall back to platform.processor()
    # on Linux platform.processor() spawns `uname -p`; reached only where /proc/cpuinfo has no model name (ARM)
    return platform.processor() or None


def _gpu_info(errors: list[str]) -> dict[str, Any]:
    """The GPUs this process may use (``CUDA_VISIBLE_DEVICES``): ``index`` as the process numbers them (its
    ``system/gpu.<index>.*`` series), ``nvml_index`` and ``uuid`` saying which of the machine's GPUs it is."""
    from .system import nvml_init, nvml_visible_gpus, text

    nvml = nvml_init()
    if nvml is None:
        return {"gpus": []}
    try:
        gpus = []
        for i, (visible, handle) in enumerate(nvml_visible_gpus(nvml)):
            gpu = {
                "index": i,
                "nvml_index": visible.gpu.index,
                "uuid": visible.gpu.uuid,
                "name": text(nvml.nvmlDeviceGetName(handle)),
                "memory_total_mb": round(nvml.nvmlDeviceGetMemoryInfo(handle).total / 1024**2, 1),
            }
            gpus.append(gpu if visible.mig is None else {**gpu, "mig": visible.mig})
        found: dict[str, Any] = {"gpus": gpus, "gpu_driver": text(nvml.nvmlSystemGetDriverVersion())}
        if "CUDA_VISIBLE_DEVICES" in os.environ:
            found["cuda_visible_devices"] = os.environ["CUDA_VISIBLE_DEVICES"]
        try:
            version = int(nvml.nvmlSystemGetCudaDriverVersion())  # e.g. 12040 for CUDA 12.4
            found["cuda_driver_version"] = f"{version // 1000}.{version % 1000 // 10}"
        except nvml.NVMLError as e:
            errors.append(f"cuda_driver_version: {e}")
        return found
    finally:
        nvml.nvmlShutdown()


def _frameworks(errors: list[str]) -> dict[str, Any]:
    """Versions of torch / tensorflow / jax, only those the user already imported: importing one here would cost
    seconds and GPU memory. Attributes are read with getattr because the user may be importing one right now."""
    found: dict[str, Any] = {}
    for name in ("torch", "tensorflow", "jax"):
        module = sys.modules.get(name)
        if module is None:
            continue
        info: dict[str, Any] = {"version": getattr(module, "__version__", None)}
        if name == "torch":
            try:
                info.update(_torch_info(module))
            except Exception as e:  # a half-imported or broken torch must not stop the capture
                log.debug("jupyter_track: torch facts failed", exc_info=True)
                errors.append(f"frameworks.torch: {type(e).__name__}: {e}")
        elif name == "jax":
            jaxlib = sys.modules.get("jaxlib")
            info["jaxlib"] = getattr(jaxlib, "__version__", None) if jaxlib else None
        found[name] = info
    return found


def _torch_info(torch: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"cuda": getattr(getattr(torch, "version", None), "cuda", None)}
    cudnn = getattr(getattr(torch, "backends", None), "cudnn", None)
    info["cudnn"] = cudnn.version() if cudnn is not None and cudnn.is_available() else None
    cuda = getattr(torch, "cuda", None)
    info["cuda_available"] = bool(cuda.is_available()) if cuda is not None else False
    return info

