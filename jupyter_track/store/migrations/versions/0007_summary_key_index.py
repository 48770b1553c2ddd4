"""The summaries' index by key alone, in place of (key, value): a running run's flushes update every key's value,
and an index holding it moved each key's entry at every flush, a page per key once the store held a few dozen runs
of the same keys (their entries sit together). Nothing is rewritten but the index.

PostgreSQL: the table's pages keep room for updates (fillfactor), so updates that change no indexed column stay in
their page (HOT). Pages already full get that room when rows move; nothing is rewritten now.

Revision ID: 0007_summary_key_index
Revises: 0006_chunk_encoding
"""

from alembic import op

revision = "0007_summary_key_index"
down_revision = "0006_chunk_encoding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_summaries_key_value", table_name="summaries")
    op.create_index("ix_summaries_key", "summaries", ["key"])
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE summaries SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE summaries RESET (fillfactor)")
    op.drop_index("ix_summaries_key", table_name="summaries")
    op.create_index("ix_summaries_key_value", "summaries", ["key", "value"])
