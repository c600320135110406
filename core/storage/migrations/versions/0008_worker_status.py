"""worker status: what the worker's last cycle did (for the pages' health notice)

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_status",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_cycle_at", sa.DateTime(), nullable=False),
        sa.Column("failed_steps", sa.JSON(), nullable=False),
        sa.Column("tick_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("worker_status")
