"""training_runs and scoring_runs keep AUTOINCREMENT on SQLite: a deleted newest run's number is never given to the
next run (before, SQLite's default took max(id) + 1, so "run 7" in the audit log or a saved ?run=7 link could name
two different runs). PostgreSQL sequences never reuse a number, so nothing changes there.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TABLES = ("training_runs", "scoring_runs")  # no other table refers to them, so rebuilding them cascades nothing


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
