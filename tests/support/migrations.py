"""Checks that a table change and its migration agree: the live schema against the tables, and a migration taken
back and applied again (the tests of each migration use these instead of their own copies)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from core.storage import get_engine, reset_engines
from core.storage.migrate import alembic_config
from core.storage.tables import Base


def schema_differences(*names: str) -> list:
    """The differences between the migrated database and ``core.storage.tables`` that mention any of ``names``
    (other tables may be changing in work still in progress)."""
    with get_engine().connect() as conn:
        return [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if any(n in repr(d) for n in names)]


def downgrade_before(db: str, migration_file_end: str) -> None:
    """Take the database back to just before the migration whose file name ends with ``migration_file_end``."""
    ours = next(r for r in ScriptDirectory.from_config(alembic_config(db)).walk_revisions() if r.path.endswith(migration_file_end))
    command.downgrade(alembic_config(db), ours.down_revision)
    reset_engines()


def columns(table: str) -> set[str]:
    return {c["name"] for c in inspect(get_engine()).get_columns(table)}
