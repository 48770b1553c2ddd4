"""Compressed metric chunks: ``metric_chunks.encoding`` names each chunk's byte layout (store/chunk_codec.py).

Chunks already stored keep their bytes and read as they are: the column's default, 0, is the raw layout they
were written in, so upgrading rewrites no chunk.

Revision ID: 0006_chunk_encoding
Revises: 0005_shared_store
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_chunk_encoding"
down_revision = "0005_shared_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("metric_chunks", sa.Column("encoding", sa.SmallInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("metric_chunks") as batch:
        batch.drop_column("encoding")
