"""scoring runs: the engine that scores a run (local, or ray when BEACON_RAY_ADDRESS offers a Ray cluster)

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scoring_runs") as batch:
        batch.add_column(sa.Column("engine", sa.String(length=20), nullable=False, server_default="local"))


def downgrade() -> None:
    with op.batch_alter_table("scoring_runs") as batch:
        batch.drop_column("engine")
