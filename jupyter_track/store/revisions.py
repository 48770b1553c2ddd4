"""The schema revisions this version knows (the Alembic scripts in migrations/versions), without SQLAlchemy."""

from __future__ import annotations

from ..errors import StoreVersionError

# In order; the last one is the head a new store gets. A store stamped with a revision not listed here was
# written by a newer jupyter_track.
REVISIONS: tuple[str, ...] = ("0001_initial", "0002_run_summary_tags", "0003_artifacts", "0004_sweeps",
                              "0005_shared_store", "0006_chunk_encoding", "0007_summary_key_index",
                              "0008_metric_tails", "0009_tail_header_zstd")
HEAD = REVISIONS[-1]

# Our own Alembic version table: "alembic_version" is left to Optuna, whose sweep tables share the database.
VERSION_TABLE = "jupyter_track_version"
LEGACY_VERSION_TABLE = "alembic_version"  # where stores made before that kept our revision


def check(revision: str | None, where: str) -> None:
    """Refuse a store whose schema is newer than this version knows, with what to do about it."""
    if revision is not None and revision not in REVISIONS:
        raise StoreVersionError(
            f"the store {where} has schema revision {revision!r}, written by a newer jupyter_track; "
            "upgrade with `pip install -U jupyter_track` (the store was left untouched)"
        )
