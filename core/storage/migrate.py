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


class UpgradeRefused(RuntimeError):
    """The database is sound but this Beacon will not upgrade it; the message says why and what to do."""


class DatabaseNewerThanBeacon(UpgradeRefused):
    """The database was upgraded by a newer Beacon: this version does not know its schema and changes nothing."""


class BrokenReferences(UpgradeRefused):
    """The upgrade would leave rows that point at rows that do not exist; it was rolled back."""


def _is_current(cfg: Config, database_url: str) -> bool:
    scripts = ScriptDirectory.from_config(cfg)
    with get_engine(database_url).connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        raise DatabaseNewerThanBeacon(
            f"the database was upgraded by a newer version of Beacon (schema {unknown[0]}; this version knows up to "
            f"{scripts.get_current_head()}): run that version again, or restore a backup made before the upgrade")
    return current == tuple(scripts.get_heads())


def upgrade_database(database_url: str | None = None) -> None:
    """Bring the database schema to the newest revision (safe to run on every start). A database already there is
    only read: the upgrade itself holds SQLite's write lock, which a start should not wait for when there is nothing
    to do."""
    database_url = database_url or get_settings().database_url
    cfg = alembic_config(database_url)
    if not _is_current(cfg, database_url):
        command.upgrade(cfg, "head")
