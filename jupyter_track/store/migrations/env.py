"""Alembic environment: runs on the connection handed over by jupyter_track.store.schema_upgrade."""

from alembic import context

from jupyter_track.store.revisions import VERSION_TABLE
from jupyter_track.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=True, version_table=VERSION_TABLE
)
with context.begin_transaction():
    context.run_migrations()
