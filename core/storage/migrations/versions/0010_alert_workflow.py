"""alert workflow: an alert's state (open, acknowledged, snoozed, resolved, false alarm), its assignee, how long it
is snoozed, and who changed its state when

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("state", sa.String(length=20), nullable=False, server_default="open"))
        batch.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("snoozed_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("state_changed_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("state_changed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for column in ("state_changed_at", "state_changed_by", "snoozed_until", "assignee", "state"):
            batch.drop_column(column)
