"""Schema upgrades with Alembic (the scripts in ``migrations/``): a store whose revision is behind the head is
brought up to it when opened. Imported only then. Not ``jupyter-track migrate``, which copies a store into
another (:mod:`.copy_store`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

SCRIPTS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Bring the store's schema to ``revision`` (on SQLite and PostgreSQL alike).

    Given an engine, the migration runs in a transaction of its own; given a connection (the PostgreSQL store
    passes the one holding its schema lock, inside a transaction), it runs in that connection's transaction."""
    cfg = alembic_config()
    if isinstance(bind, Connection):
        cfg.attributes["connection"] = bind
        command.upgrade(cfg, revision)
        return
    with bind.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def script_revisions() -> list[str]:
    """The revision ids of the migration scripts, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [s.revision for s in reversed(list(scripts.walk_revisions()))]
