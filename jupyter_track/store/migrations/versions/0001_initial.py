"""The initial schema: runs, tags, metric chunks, objects, summaries, blob references.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# json, not jsonb, on PostgreSQL too: it keeps the key order users wrote (configs, sweep parameters)
JSONType = sa.JSON()
AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "runs",
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
    )
    op.create_index("ix_runs_project_created", "runs", ["project", "created_at"])
    op.create_index("ix_runs_updated", "runs", ["updated_at"])
    op.create_index("ix_runs_group", "runs", ["project", "group_name"])
    op.create_table(
        "run_tags",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.String(255), primary_key=True),
    )
    op.create_index("ix_run_tags_tag", "run_tags", ["tag"])
    op.create_table(
        "metric_chunks",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("first_step", sa.BigInteger, nullable=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "objects",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("time", sa.Double, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", JSONType, nullable=False),
    )
    op.create_index("ix_objects_run_key_step", "objects", ["run_id", "key", "step"])
    op.create_table(
        "summaries",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value", sa.Double),
        sa.Column("value_json", JSONType),
        sa.Column("last", sa.Double),
        sa.Column("min", sa.Double),
        sa.Column("max", sa.Double),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("last_step", sa.BigInteger),
        sa.Column("user_set", sa.Boolean, nullable=False),
    )
    op.create_index("ix_summaries_key_value", "summaries", ["key", "value"])
    op.create_table(
        "blob_refs",
        sa.Column("sha", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(1024), primary_key=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE")),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_index("ix_blob_refs_run", "blob_refs", ["run_id"])


def downgrade() -> None:
    for table in ("blob_refs", "summaries", "objects", "metric_chunks", "run_tags", "runs"):
        op.drop_table(table)
