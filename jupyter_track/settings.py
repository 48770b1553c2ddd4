"""Every environment variable jupyter_track reads, typed, with its default, declared once.

The kernel side (``jt.init``), the CLI and the server extension all resolve the store through
:func:`store_url`, so they agree on where runs live.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, an optional W&B alias honoured for drop-in use, and its doc."""

    name: str
    default: str | None
    doc: str
    alias: str | None = None

    def raw(self) -> str | None:
        """The variable's value (or its alias's), else the default; an empty variable counts as unset."""
        value = os.environ.get(self.name)
        if value is None and self.alias:
            value = os.environ.get(self.alias)
        return value if value not in (None, "") else self.default

    def number(self) -> float:
        value = self.raw()
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}={value!r} is not a number; unset it or give a number") from None

    def flag(self) -> bool:
        return (self.raw() or "").strip().lower() in ("1", "true", "yes", "on")

    def both(self, value: str) -> dict[str, str]:
        """``value`` under the name and its W&B alias, for the environment of a program started for it."""
        return {self.name: value, **({self.alias: value} if self.alias else {})}

    def both_set(self) -> str | None:
        """The value when the name and its W&B alias both hold it, else None (a program that cleared either
        spelling, as W&B's examples clear ``WANDB_*`` in their worker processes, has let go of it)."""
        value = os.environ.get(self.name)
        if not value or (self.alias and os.environ.get(self.alias) != value):
            return None
        return value


DIR = Setting(
    "JUPYTER_TRACK_DIR", None, "Folder of the embedded store (SQLite file + blobs). Default ~/.jupyter_track."
)
STORE = Setting(
    "JUPYTER_TRACK_STORE", None,
    "Store URL: postgresql://user:pass@host/db (or postgres://) for a shared PostgreSQL server. Default: the SQLite "
    "file in DIR.",
)
BLOB_DIR = Setting(
    "JUPYTER_TRACK_BLOB_DIR", None,
    "PostgreSQL stores: a folder every machine mounts, for blobs (media, files, artifact files) larger than "
    "BLOB_DB_MAX; smaller ones are kept in the database. Unset: larger blobs are refused with this advice.",
)
BLOB_DB_MAX = Setting(
    "JUPYTER_TRACK_BLOB_DB_MAX", str(64 << 20),
    "PostgreSQL stores: the largest blob (bytes) kept in the database; larger ones go to BLOB_DIR.",
)
PROJECT = Setting(
    "JUPYTER_TRACK_PROJECT", None, "Default project when init() names none. Default: the working folder's name.",
    alias="WANDB_PROJECT",
)
MODE = Setting(
    "JUPYTER_TRACK_MODE", "online", "'disabled' turns every call into a no-op; online/offline both record locally.",
    alias="WANDB_MODE",
)
FLUSH_INTERVAL = Setting("JUPYTER_TRACK_FLUSH_INTERVAL", "1", "Seconds between background commits (<= 1).")
BUFFER_POINTS = Setting(
    "JUPYTER_TRACK_BUFFER_POINTS", "500000",
    "Logged values (a log() call of 1,000 keys holds 1,000) held in memory per run before log() waits for the "
    "writer.",
)
BUFFER_SIZE = Setting(
    "JUPYTER_TRACK_BUFFER_SIZE", None,
    "Deprecated (it counted log() calls, so wide calls held unbounded memory): read as JUPYTER_TRACK_BUFFER_POINTS.",
)
HEARTBEAT_TIMEOUT = Setting(
    "JUPYTER_TRACK_HEARTBEAT_TIMEOUT", "30", "Seconds without a heartbeat after which a running run reads as crashed."
)
QUIET = Setting("JUPYTER_TRACK_QUIET", None, "1 silences the one-line messages at init() and finish().",
                alias="WANDB_SILENT")

# Defaults of init()'s arguments, for programs started by a scheduler or a shell script (W&B's spellings honoured):
# an argument given to init() wins.
RUN_ID = Setting("JUPYTER_TRACK_RUN_ID", None, "init(id=) default: with RESUME, the run a restarted job continues.",
                 alias="WANDB_RUN_ID")
RESUME = Setting("JUPYTER_TRACK_RESUME", None, "init(resume=) default: allow, must, never or auto.",
                 alias="WANDB_RESUME")
NAME = Setting("JUPYTER_TRACK_NAME", None, "init(name=) default.", alias="WANDB_NAME")
NOTES = Setting("JUPYTER_TRACK_NOTES", None, "init(notes=) default.", alias="WANDB_NOTES")
TAGS = Setting("JUPYTER_TRACK_TAGS", None, "init(tags=) default: a comma-separated list.", alias="WANDB_TAGS")
RUN_GROUP = Setting("JUPYTER_TRACK_RUN_GROUP", None, "init(group=) default.", alias="WANDB_RUN_GROUP")
JOB_TYPE = Setting("JUPYTER_TRACK_JOB_TYPE", None, "init(job_type=) default.", alias="WANDB_JOB_TYPE")

NOTEBOOK = Setting("JUPYTER_TRACK_NOTEBOOK", None, "Path of the notebook a run belongs to; overrides detection.")
CAPTURE = Setting(
    "JUPYTER_TRACK_CAPTURE", "all",
    "What init() captures: 'all', 'none', or a comma list of notebook,code,git,environment,packages,system.",
)
SYSTEM_INTERVAL = Setting("JUPYTER_TRACK_SYSTEM_INTERVAL", "2", "Seconds between system/GPU samples; 0 disables.")
SNAPSHOT_OUTPUT_CAP = Setting(
    "JUPYTER_TRACK_SNAPSHOT_OUTPUT_CAP", "1000000",
    "Bytes of outputs per cell kept in a saved-notebook snapshot; larger outputs are replaced by a note.",
)
DISPLAY = Setting("JUPYTER_TRACK_DISPLAY", None, "0 turns off the inline live panel that init() shows.")

# Set by `jupyter-track agent` for the program it starts: the program's first init() joins this sweep trial. The
# ids are set under both spellings (ours and W&B's), and a process joins the trial only while both are set: a
# worker process that clears either (W&B's cross-validation example deletes WANDB_*) starts runs of its own.
SWEEP_ID = Setting("JUPYTER_TRACK_SWEEP_ID", None, "Sweep whose trial the first init() of this process joins.",
                   alias="WANDB_SWEEP_ID")
SWEEP_RUN_ID = Setting("JUPYTER_TRACK_SWEEP_RUN_ID", None, "Run id the sweep trial's run is created with.",
                       alias="WANDB_RUN_ID")
SWEEP_PARAMS = Setting("JUPYTER_TRACK_SWEEP_PARAMS", None, "JSON object of the trial's parameters (its config).")
SWEEP_PROJECT = Setting("JUPYTER_TRACK_SWEEP_PROJECT", None, "Project of the sweep (the trial's run goes there).")
# W&B's agent gives up on a sweep whose first trials all fail (a bug in the training function, a missing file)
# rather than run the same crash `count` times; so does ours, under the same rules and variables.
AGENT_MAX_INITIAL_FAILURES = Setting(
    "JUPYTER_TRACK_AGENT_MAX_INITIAL_FAILURES", "5",
    "An agent stops after this many failed trials in a row before any trial ran through.",
    alias="WANDB_AGENT_MAX_INITIAL_FAILURES")
AGENT_DISABLE_FLAPPING = Setting(
    "JUPYTER_TRACK_AGENT_DISABLE_FLAPPING", None,
    "true keeps an agent going when 3 of its trials fail within its first 60 s (by default it stops).",
    alias="WANDB_AGENT_DISABLE_FLAPPING")

ALL = (DIR, STORE, BLOB_DIR, BLOB_DB_MAX, PROJECT, MODE, FLUSH_INTERVAL, BUFFER_POINTS, BUFFER_SIZE, HEARTBEAT_TIMEOUT,
       QUIET, RUN_ID, RESUME, NAME, NOTES, TAGS, RUN_GROUP, JOB_TYPE,
       NOTEBOOK, CAPTURE, SYSTEM_INTERVAL, SNAPSHOT_OUTPUT_CAP, DISPLAY, SWEEP_ID, SWEEP_RUN_ID, SWEEP_PARAMS,
       SWEEP_PROJECT, AGENT_MAX_INITIAL_FAILURES, AGENT_DISABLE_FLAPPING)

DB_FILENAME = "jupyter_track.db"


def buffer_points() -> int:
    """The per-run buffer's bound in logged values: ``$JUPYTER_TRACK_BUFFER_POINTS``, else the deprecated
    ``$JUPYTER_TRACK_BUFFER_SIZE`` read as a number of values (with a warning), else 500,000.

    Example::

        os.environ["JUPYTER_TRACK_BUFFER_POINTS"] = "50000"
        buffer_points()   # 50000
    """
    if os.environ.get(BUFFER_POINTS.name) or not BUFFER_SIZE.raw():
        return int(BUFFER_POINTS.number())
    warnings.warn(
        f"{BUFFER_SIZE.name} is deprecated: it counted log() calls, so a call of 1,000 keys held 1,000 times the "
        f"memory of a call of one; its value is now read as {BUFFER_POINTS.name} (logged values held per run) — "
        f"set that instead", FutureWarning, stacklevel=2)
    return int(BUFFER_SIZE.number())


def store_dir(dir: str | os.PathLike[str] | None = None) -> Path:
    """The store folder: ``dir`` if given, else ``$JUPYTER_TRACK_DIR``, else ``~/.jupyter_track``."""
    chosen = dir if dir is not None else DIR.raw()
    return Path(chosen).expanduser().resolve() if chosen else Path.home() / ".jupyter_track"


def store_url(store: str | None = None, dir: str | os.PathLike[str] | None = None) -> str:
    """The store URL: ``store`` if given, else ``$JUPYTER_TRACK_STORE``, else the SQLite file in :func:`store_dir`.

    An explicit ``dir`` wins over ``$JUPYTER_TRACK_STORE`` (it names a folder for the embedded store).
    """
    if store:
        return store
    if dir is None and STORE.raw():
        return STORE.raw()  # type: ignore[return-value]
    return f"sqlite:///{store_dir(dir) / DB_FILENAME}"
