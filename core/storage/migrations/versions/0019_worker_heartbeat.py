"""worker heartbeat: worker_status.seen_at, the cycle step in progress (busy_step, busy_since); last_cycle_at may
be empty while the first cycle runs

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("worker_status") as batch:
        batch.add_column(sa.Column("seen_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("busy_step", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("busy_since", sa.DateTime(), nullable=True))
        batch.alter_column("last_cycle_at", existing_type=sa.DateTime(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM worker_status WHERE last_cycle_at IS NULL")
    with op.batch_alter_table("worker_status") as batch:
        batch.alter_column("last_cycle_at", existing_type=sa.DateTime(), nullable=False)
        batch.drop_column("busy_since")
        batch.drop_column("busy_step")
        batch.drop_column("seen_at")
