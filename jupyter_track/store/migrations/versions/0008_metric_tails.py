"""A running run's small chunks of each flush in one row (``metric_tails``), folded later into each key's chunks.
Nothing existing is rewritten: a store without tail rows reads as before.

Revision ID: 0008_metric_tails
Revises: 0007_summary_key_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_metric_tails"
down_revision = "0007_summary_key_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_tails",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":  # packed already: stored as it is (schema.UNCOMPRESSED)
        op.execute('ALTER TABLE metric_tails ALTER COLUMN "data" SET STORAGE EXTERNAL')


def downgrade() -> None:
    op.drop_table("metric_tails")
