"""What a store shared by several machines needs: blobs kept in the database, and per-project run counters.

Revision ID: 0005_shared_store
Revises: 0004_sweeps
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_shared_store"
down_revision = "0004_sweeps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
    )
    op.create_table(
        "blob_parts",
        sa.Column("sha", sa.String(64), sa.ForeignKey("blobs.sha", ondelete="CASCADE"), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "run_counters",
        sa.Column("project", sa.String(255), primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":  # packed arrays and blobs are stored uncompressed (schema.py)
        for table, columns in {"metric_chunks": ("steps", "values", "times"), "blob_parts": ("data",)}.items():
            alter = ", ".join(f'ALTER COLUMN "{c}" SET STORAGE EXTERNAL' for c in columns)
            op.execute(f"ALTER TABLE {table} {alter}")


def downgrade() -> None:
    for table in ("run_counters", "blob_parts", "blobs"):
        op.drop_table(table)
