"""The store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL, and the schema revisions.

Metrics are stored as chunks of packed arrays (``metric_chunks``: int64 steps, float64 values, float64 wall times,
in the layout its ``encoding`` names, see :mod:`.chunk_codec`), one row per run, key and chunk, so reading a
1M-point series is a few vectorised reads.
``summaries`` is the denormalised per-run, per-key table that makes sorting and filtering runs one indexed query.
"""

from __future__ import annotations

import sqlalchemy as sa

from .revisions import HEAD, REVISIONS

__all__ = ["HEAD", "REVISIONS", "metadata"]

metadata = sa.MetaData()

SUMMARY_FILLFACTOR = 70  # percent of each PostgreSQL page of `summaries` filled by inserts (see the table)

# PostgreSQL too gets json, not jsonb: jsonb reorders object keys, and a run's config, summary and a sweep's
# parameters are shown in the order they were written (W&B does the same); listings read the text as it is
JSONType = sa.JSON()
AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("entity", sa.String(255)),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("group_name", sa.String(255)),
    sa.Column("job_type", sa.String(255)),
    sa.Column("notes", sa.Text),
    sa.Column("config", JSONType, nullable=False),
    sa.Column("meta", JSONType, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("heartbeat_at", sa.Double),
    sa.Column("finished_at", sa.Double),
    sa.Column("exit_code", sa.Integer),
    sa.Column("last_step", sa.BigInteger),
    sa.Column("sweep_id", sa.String(64)),
    sa.Column("host", sa.String(255)),
    sa.Column("pid", sa.Integer),
    # copies for listings (one table read): effective summary values (no system/ keys) and tags; the
    # summaries and run_tags tables stay the indexed source for sorting and filtering
    sa.Column("summary", JSONType),
    sa.Column("tags", JSONType),
    sa.Index("ix_runs_project_created", "project", "created_at"),
    sa.Index("ix_runs_updated", "updated_at"),
    sa.Index("ix_runs_group", "project", "group_name"),
    sa.Index("ix_runs_sweep", "sweep_id"),  # 0004_sweeps
)

run_tags = sa.Table(
    "run_tags",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.String(255), primary_key=True),
    sa.Index("ix_run_tags_tag", "tag"),
)

metric_chunks = sa.Table(
    "metric_chunks",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("first_step", sa.BigInteger, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),
    sa.Column("values", sa.LargeBinary, nullable=False),
    sa.Column("times", sa.LargeBinary, nullable=False),
    # chunk_codec's RAW (0: every chunk written before 0006_chunk_encoding) or PACKED (1)
    sa.Column("encoding", sa.SmallInteger, nullable=False, server_default="0"),
)

# A running run's small chunks of one flush, every key's in one row (``data``: see :mod:`.tail_rows`), until the
# writer folds them into each key's chunk in ``metric_chunks``. One row a flush, not one per key: a wide run logging
# slowly wrote a row, an index entry and a rewrite at the merge for each key at every flush (3× the raw bytes). A
# chunk in a tail row is live while its key has no chunk with a seq as high in ``metric_chunks``.
metric_tails = sa.Table(
    "metric_tails",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),  # the highest step of its chunks
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# Non-scalar logged values (text series, and the media of the widgets issue): one row per logged value.
objects = sa.Table(
    "objects",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("data", JSONType, nullable=False),
    sa.Index("ix_objects_run_key_step", "run_id", "key", "step"),
)

summaries = sa.Table(
    "summaries",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("value", sa.Double),  # the effective value when numeric: what runs are sorted and filtered by
    sa.Column("value_json", JSONType),  # the effective value when it is not a number (text, dict, list)
    sa.Column("last", sa.Double),
    sa.Column("min", sa.Double),
    sa.Column("max", sa.Double),
    sa.Column("count", sa.BigInteger, nullable=False, default=0),
    sa.Column("last_step", sa.BigInteger),
    sa.Column("user_set", sa.Boolean, nullable=False, default=False),
    # by key alone (0007): an index holding `value` moved every key's entry at every flush of a running run, and
    # as the entries of one key from every run sit together, a flush of 1,000 keys rewrote a page per key once
    # the store held a few dozen runs of the same keys (bytes written 2.8x the raw points instead of 1.9x);
    # a filter on a summary value reads that key's rows, one per run
    sa.Index("ix_summaries_key", "key"),
    # PostgreSQL: room in each page for a row's next version. A flush updates no indexed column, so the update can
    # then stay in its page (a HOT update: no new index entries, the old version pruned in place): 93 % of a
    # 1,000-key run's updates instead of 16 %, and 5 % less WAL
    postgresql_with={"fillfactor": SUMMARY_FILLFACTOR},
)

# Every blob a row relies on is listed here; `gc` deletes blob files no row lists.
blob_refs = sa.Table(
    "blob_refs",
    metadata,
    sa.Column("sha", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(255), primary_key=True),
    sa.Column("name", sa.String(1024), primary_key=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE")),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Index("ix_blob_refs_run", "run_id"),
)

# Artifacts (named, typed, content-addressed versions; see jupyter_track.artifacts). Runs are referred to by id
# without a foreign key: deleting a run keeps the artifacts it logged and the lineage that names it.
artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.UniqueConstraint("project", "name", name="uq_artifacts_project_name"),
    sa.Index("ix_artifacts_project_type", "project", "type"),
)

artifact_versions = sa.Table(
    "artifact_versions",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("artifact_id", AutoId, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),  # sha256 over the sorted (path, file sha256) pairs
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("file_count", sa.Integer, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("meta", JSONType, nullable=False),
    sa.Column("run_id", sa.String(64)),  # the run that logged it first
    sa.Column("created_at", sa.Double, nullable=False),
    sa.UniqueConstraint("artifact_id", "version", name="uq_artifact_versions_version"),
    sa.UniqueConstraint("artifact_id", "digest", name="uq_artifact_versions_digest"),
)

artifact_files = sa.Table(
    "artifact_files",
    metadata,
    sa.Column("version_id", AutoId, sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(1024), primary_key=True),
    sa.Column("sha", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
)

# The current place of each user alias ("latest" is not stored: it is the newest version).
artifact_aliases = sa.Table(
    "artifact_aliases",
    metadata,
    sa.Column("artifact_id", AutoId, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("alias", sa.String(128), primary_key=True),
    sa.Column("version_id", AutoId, sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("user", sa.String(255)),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# Every alias move, for the registry's history: who, when, from which run, from which version to which.
artifact_alias_events = sa.Table(
    "artifact_alias_events",
    metadata,
    sa.Column("id", AutoId, primary_key=True, autoincrement=True),
    sa.Column("artifact_id", AutoId, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("alias", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer),
    sa.Column("previous", sa.Integer),
    sa.Column("run_id", sa.String(64)),
    sa.Column("user", sa.String(255)),
    sa.Column("at", sa.Double, nullable=False),
    sa.Index("ix_artifact_alias_events_artifact", "artifact_id", "alias"),
)

# Lineage: "output" (the run logged the version) and "input" (the run used it) edges.
artifact_edges = sa.Table(
    "artifact_edges",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("version_id", AutoId, sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("direction", sa.String(8), primary_key=True),
    sa.Column("at", sa.Double, nullable=False),
    sa.Index("ix_artifact_edges_version", "version_id"),
)

# Sweeps (jupyter_track.sweeps): our record of each sweep. The optimiser's own state (trials, parameters,
# intermediate values) is in Optuna's tables (studies, trials, trial_*, version_info) in the same database, made
# and owned by Optuna; ``study_name`` names the sweep's Optuna study. Trial runs point here by runs.sweep_id.
sweeps = sa.Table(
    "sweeps",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("metric", sa.String(512)),  # the metric's name; None: a sweep without a metric (grid/random)
    sa.Column("goal", sa.String(16)),  # minimize | maximize
    sa.Column("config", JSONType, nullable=False),  # the sweep configuration as given
    sa.Column("state", sa.String(16), nullable=False),  # pending | running | finished
    sa.Column("study_name", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Index("ix_sweeps_project_created", "project", "created_at"),
)

# Blobs kept in the database (PostgreSQL stores, see blobs.py): one row per blob, its bytes in parts of at most
# 1 MiB, so a large one is written and read in bounded memory. 0005_shared_store
blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

blob_parts = sa.Table(
    "blob_parts",
    metadata,
    sa.Column("sha", sa.String(64), sa.ForeignKey("blobs.sha", ondelete="CASCADE"), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# The number of the last run named in each project (the "-N" of adjective-noun-N), taken atomically by init() on a
# server store, so processes starting at the same moment on several machines never get the same name.
run_counters = sa.Table(
    "run_counters",
    metadata,
    sa.Column("project", sa.String(255), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)


# PostgreSQL compresses large values (TOAST, pglz) by default: for packed float arrays (compressed by chunk_codec
# already) and for blobs (mostly compressed media) that costs ten times the write time for a few percent of space.
# Stored as they are.
UNCOMPRESSED = {"metric_chunks": ("steps", "values", "times"), "metric_tails": ("data",), "blob_parts": ("data",)}


def _store_uncompressed(table: sa.Table, columns: tuple[str, ...]) -> None:
    alter = ", ".join(f'ALTER COLUMN "{c}" SET STORAGE EXTERNAL' for c in columns)
    ddl = sa.DDL(f"ALTER TABLE {table.name} {alter}")  # type: ignore[no-untyped-call]
    sa.event.listen(table, "after_create", ddl.execute_if(dialect="postgresql"))


for _name, _columns in UNCOMPRESSED.items():
    _store_uncompressed(metadata.tables[_name], _columns)
