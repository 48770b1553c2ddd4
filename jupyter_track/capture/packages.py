"""The installed packages a run records, listed once per environment and reused while it is unchanged.

Listing them reads a metadata file per distribution (a few hundred in a usual environment, thousands in a big
conda one, slower still on a network home), beside the training loop that ``init()`` has just handed back: on a
2-core machine each such burst of file I/O is moments the loop waits for its core. So the list is kept in a cache
file, valid while the interpreter and its ``sys.path`` are the same, and so are, in each of its folders, the names
of the ``.dist-info`` folders (``{name}-{version}.dist-info``: installing, upgrading or removing a distribution
changes them) and the modification time of each ``.egg-info``'s metadata (an egg-info's name may lack the version:
a project's own, made by ``setup.py develop``). Checking that reads the folders' names, not a file per package.

Example::

    installed_packages()["numpy"]  # '2.4.6'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from ..whole_files import write_whole

_SEPARATORS = re.compile(r"[-_.]+")
# a header line (a continuation line is indented); header names are case-insensitive
_NAME_VERSION = re.compile(r"^(name|version):[ \t]*(\S*)", re.MULTILINE | re.IGNORECASE)


def installed_packages() -> dict[str, str]:
    """Every installed distribution as ``{name: version}``, names normalised (PEP 503: ``typing-extensions``,
    ``pyyaml``); when a name is installed twice, the one Python imports (first on ``sys.path``) wins. Kept
    in ``$XDG_CACHE_HOME/jupyter_track`` (``~/.cache``) for the next run while the environment is unchanged.
    """
    path = [os.fspath(entry) for entry in sys.path if isinstance(entry, str | os.PathLike)]
    state = [sys.executable, path, [_contents(entry) for entry in path]]
    # one file per interpreter (a venv, a conda env): a script's folder on sys.path makes no file of its own
    interpreter = hashlib.sha256((sys.executable or "").encode()).hexdigest()[:16]
    file = _cache_dir() / f"packages-{interpreter}.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        kept = json.loads(file.read_bytes())
        if kept["state"] == state:
            return dict(kept["packages"])
    packages = _listed()
    _keep(file, {"state": state, "packages": packages})
    return packages


def _listed() -> dict[str, str]:
    from importlib import metadata  # here: a run in an unchanged environment does not import it (nor email, zipfile)

    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        # Only the headers' Name and Version lines (PKG-INFO: an egg-info folder's; "": an egg-info file):
        # ``dist.metadata`` parses each file with the email package, whose header repair runs a regex over every
        # long description in one call that holds the GIL (this runs beside the training loop, which such calls
        # stalled for milliseconds: about 50 ms for 250 packages)
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("") or ""
        found = {k.lower(): v for k, v in _NAME_VERSION.findall(text.partition("\n\n")[0])}
        name, version = found.get("name"), found.get("version")
        if not name or not version:  # a broken install left an empty dist-info behind
            continue
        packages.setdefault(_SEPARATORS.sub("-", name).lower(), version)
    return dict(sorted(packages.items()))


def _contents(entry: str) -> Any:
    """What the listing of one ``sys.path`` entry depends on: its dist-info folders' names and its egg-infos'
    (name, modification time of their metadata); a zip file's (an egg's) modification time; None: no entry."""
    folder = entry or "."  # "": the working folder
    try:
        names = os.listdir(folder)
    except NotADirectoryError:
        return _modified(folder)
    except OSError:
        return None
    wheels = sorted(n for n in names if n.lower().endswith(".dist-info"))
    eggs = sorted([n, _modified(os.path.join(folder, n, "PKG-INFO")) or _modified(os.path.join(folder, n))]
                  for n in names if n.lower().endswith(".egg-info"))
    return [wheels, eggs]


def _modified(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jupyter_track"


def _keep(file: Path, content: Any) -> None:
    """Write the cache file whole (a process reading it meanwhile sees the old one or the new one); a cache that
    cannot be written (a read-only home) is not kept."""
    with contextlib.suppress(OSError):
        write_whole(file, [json.dumps(content).encode()])
