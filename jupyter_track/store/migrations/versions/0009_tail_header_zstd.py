"""Tail rows (``metric_tails``) written from this revision on have a zstd-compressed header (see
:mod:`jupyter_track.store.tail_rows`), which older versions cannot parse: the revision tells them the store is
newer than they are. Nothing existing is rewritten: tail rows written before read as they are.

Revision ID: 0009_tail_header_zstd
Revises: 0008_metric_tails
"""

revision = "0009_tail_header_zstd"
down_revision = "0008_metric_tails"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # no table changes: the layout of a column's bytes


def downgrade() -> None:
    pass  # tail rows written since stay unreadable to older versions: a running run's, until it finishes
