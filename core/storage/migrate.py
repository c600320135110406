"""Schema migrations (Alembic), run programmatically so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.settings import get_settings
from core.storage.db import get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's ini interpolation treats % specially; escape it in URLs with encoded passwords.
    cfg.set_main_option("sqlalchemy.url", (database_url or get_settings().database_url).replace("%", "%%"))
    return cfg


def _is_current(cfg: Config, database_url: str) -> bool:
    with get_engine(database_url).connect() as conn:
        return MigrationContext.configure(conn).get_current_heads() == tuple(ScriptDirectory.from_config(cfg).get_heads())


def upgrade_database(database_url: str | None = None) -> None:
    """Bring the database schema to the newest revision (safe to run on every start). A database already there is
    only read: the upgrade itself holds SQLite's write lock, which a start should not wait for when there is nothing
    to do."""
    database_url = database_url or get_settings().database_url
    cfg = alembic_config(database_url)
    if not _is_current(cfg, database_url):
        command.upgrade(cfg, "head")
