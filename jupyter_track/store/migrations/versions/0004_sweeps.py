"""Sweeps: the sweep record table, and an index on runs.sweep_id (Optuna's tables are made by Optuna).

Revision ID: 0004_sweeps
Revises: 0003_artifacts
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_sweeps"
down_revision = "0003_artifacts"
branch_labels = None
depends_on = None

# json, not jsonb, on PostgreSQL too: it keeps the key order users wrote (configs, sweep parameters)
JSONType = sa.JSON()


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("metric", sa.String(512)),
        sa.Column("goal", sa.String(16)),
        sa.Column("config", JSONType, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("study_name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_index("ix_sweeps_project_created", "sweeps", ["project", "created_at"])
    op.create_index("ix_runs_sweep", "runs", ["sweep_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_sweep", "runs")
    op.drop_table("sweeps")
