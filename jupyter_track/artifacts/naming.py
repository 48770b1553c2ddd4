"""Names of artifacts, types, aliases and the files inside an artifact: validated once, here."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_VERSION = re.compile(r"^v\d+$")
MAX_NAME = 128
MAX_PATH = 512  # so "<project>/<name>:v<N>/<path>" fits the blob reference column
AUTOMATIC_ALIASES = ("latest",)


_COLLECTION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_. -]*(?<! )$")


def check_name(name: str, what: str = "artifact name", spaces: bool = False) -> str:
    """An artifact name or type: letters, digits, ``_``, ``-``, ``.`` (no ``/`` or ``:``), at most 128;
    ``spaces``: a registry collection's name, which may hold spaces too ("My Registered Model", as W&B's)."""
    pattern = _COLLECTION if spaces else _NAME
    if not isinstance(name, str) or not pattern.match(name) or len(name) > MAX_NAME:
        raise ValueError(f"{what} {name!r} is not valid: use 1-{MAX_NAME} letters, digits, '_', '-' or '.'"
                         + (" or spaces" if spaces else "") + ", starting with a letter, digit or '_' (no '/' or ':')")
    return name


def check_alias(alias: str, user: bool = True) -> str:
    """A user alias (``best``, ``production``): a name that is not a version ``vN`` nor the automatic
    ``latest``."""
    check_name(alias, "alias")
    if _VERSION.match(alias):
        raise ValueError(f"alias {alias!r} looks like a version number; versions v0, v1, … are assigned "
                         "automatically, choose another alias")
    if user and alias in AUTOMATIC_ALIASES:
        raise ValueError(f"alias {alias!r} is automatic (it is always on the newest version); choose another alias")
    return alias


def check_path(path: str, where: str = "artifact file name") -> str:
    """A file's path inside an artifact: relative, ``/``-separated, without ``..``, ``.``, empty parts,
    backslashes or control characters, so that it can never name a place outside the download folder."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"{where} must be a non-empty relative path, not {path!r}")
    problem = None
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        problem = "is absolute"
    elif "\\" in path:
        problem = "contains a backslash"
    elif any(ord(c) < 32 or c == "\x7f" for c in path):
        problem = "contains a control character"
    elif any(part in ("", ".", "..") for part in path.split("/")):
        problem = "has an empty, '.' or '..' part"
    elif len(path) > MAX_PATH:
        problem = f"is longer than {MAX_PATH} characters"
    if problem:
        raise ValueError(f"{where} {path!r} {problem}: names inside an artifact are relative paths such as "
                         "'data/train.csv'; pass name= to choose one")
    return path


@dataclass(frozen=True)
class Ref:
    """A parsed reference ``[entity/][project/]name[:alias]``."""

    project: str | None
    name: str
    alias: str

    def __str__(self) -> str:
        return f"{self.project + '/' if self.project else ''}{self.name}:{self.alias}"


def parse_ref(ref: str, default_alias: str = "latest") -> Ref:
    """``"fashion/cifar10-preds:production"`` → Ref("fashion", "cifar10-preds", "production"); the alias
    defaults to ``latest``; a leading entity (W&B's ``entity/project/name``) is ignored."""
    if not isinstance(ref, str) or not ref.strip():
        raise ValueError(f"give an artifact as 'project/name:alias' or 'name:alias', not {ref!r}")
    path, _, alias = ref.strip().rpartition(":") if ":" in ref else (ref.strip(), "", "")
    parts = path.split("/")
    if len(parts) > 3 or any(not p for p in parts):
        raise ValueError(f"artifact reference {ref!r} is not valid: use 'project/name:alias' or 'name:alias'")
    name = check_name(parts[-1], spaces=True)  # a linked collection's name may hold spaces
    project = parts[-2] if len(parts) > 1 else None
    alias = alias or default_alias
    if alias != "latest" and not _VERSION.match(alias):
        check_name(alias, "alias")
    return Ref(project, name, alias)
