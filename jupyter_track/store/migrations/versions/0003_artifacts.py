"""Artifacts: named, typed, content-addressed versions, their files, aliases with their history, and lineage.

Revision ID: 0003_artifacts
Revises: 0002_run_summary_tags
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_artifacts"
down_revision = "0002_run_summary_tags"
branch_labels = None
depends_on = None

# json, not jsonb, on PostgreSQL too: it keeps the key order users wrote (configs, sweep parameters)
JSONType = sa.JSON()
AutoId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.UniqueConstraint("project", "name", name="uq_artifacts_project_name"),
    )
    op.create_index("ix_artifacts_project_type", "artifacts", ["project", "type"])
    op.create_table(
        "artifact_versions",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("artifact_id", AutoId, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("meta", JSONType, nullable=False),
        sa.Column("run_id", sa.String(64)),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.UniqueConstraint("artifact_id", "version", name="uq_artifact_versions_version"),
        sa.UniqueConstraint("artifact_id", "digest", name="uq_artifact_versions_digest"),
    )
    op.create_table(
        "artifact_files",
        sa.Column("version_id", AutoId, sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "artifact_aliases",
        sa.Column("artifact_id", AutoId, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("alias", sa.String(128), primary_key=True),
        sa.Column("version_id", AutoId, sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("run_id", sa.String(64)),
        sa.Column("user", sa.String(255)),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_table(
        "artifact_alias_events",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("artifact_id", AutoId, sa.ForeignKey("artifacts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("previous", sa.Integer),
        sa.Column("run_id", sa.String(64)),
        sa.Column("user", sa.String(255)),
        sa.Column("at", sa.Double, nullable=False),
    )
    op.create_index("ix_artifact_alias_events_artifact", "artifact_alias_events", ["artifact_id", "alias"])
    op.create_table(
        "artifact_edges",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("version_id", AutoId, sa.ForeignKey("artifact_versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("at", sa.Double, nullable=False),
    )
    op.create_index("ix_artifact_edges_version", "artifact_edges", ["version_id"])


def downgrade() -> None:
    for table in ("artifact_edges", "artifact_alias_events", "artifact_aliases", "artifact_files",
                  "artifact_versions", "artifacts"):
        op.drop_table(table)
