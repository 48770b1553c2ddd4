"""Each run's effective summary and tags as JSON on the run row, so listings read one table.

Revision ID: 0002_run_summary_tags
Revises: 0001_initial
"""

import json
import math

import sqlalchemy as sa
from alembic import op

revision = "0002_run_summary_tags"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# json, not jsonb, on PostgreSQL too: it keeps the key order users wrote (configs, sweep parameters)
JSONType = sa.JSON()


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("summary", JSONType))
        batch.add_column(sa.Column("tags", JSONType))
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id", sa.String), sa.column("summary", JSONType), sa.column("tags", JSONType))
    summaries: dict[str, dict[str, object]] = {}
    for run_id, key, value, value_json in bind.execute(sa.text(
            "SELECT run_id, key, value, value_json FROM summaries WHERE key NOT LIKE 'system/%'")):
        if value_json is not None:
            value = json.loads(value_json) if isinstance(value_json, str) else value_json
        summaries.setdefault(run_id, {})[key] = None if isinstance(value, float) and math.isnan(value) else value
    tags: dict[str, list[str]] = {}
    for run_id, tag in bind.execute(sa.text("SELECT run_id, tag FROM run_tags ORDER BY tag")):
        tags.setdefault(run_id, []).append(tag)
    for (run_id,) in bind.execute(sa.text("SELECT id FROM runs")).all():
        bind.execute(runs.update().where(runs.c.id == run_id).values(summary=summaries.get(run_id, {}),
                                                                    tags=tags.get(run_id, [])))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("tags")
        batch.drop_column("summary")
