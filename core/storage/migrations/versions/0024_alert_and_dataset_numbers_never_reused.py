"""alerts and rec_datasets keep AUTOINCREMENT on SQLite, as runs do since 0023: an alert email's ?alert=12 link
must not open another rule's alert after the alert's rule (and with it the newest alert) was deleted, and a
recommendation dataset version's number must not name a second dataset once the newest one was deleted.
PostgreSQL sequences never reuse a number, so nothing changes there.

Rebuilding a table drops the old one; the upgrade runs with SQLite's foreign keys off (env.py), so the
rec_evaluations that refer to rec_datasets stay.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

TABLES = ("alerts", "rec_datasets")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # The copy into the rebuilt table starts its counter at the highest number in use.
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
