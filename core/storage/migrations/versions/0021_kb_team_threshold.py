"""support_kbs.team_threshold: the confidence threshold a team set for a knowledge base (who and when), used by
default for its questions; empty when none is set

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_kbs") as batch:
        batch.add_column(sa.Column("team_threshold", sa.Float(), nullable=True))
        batch.add_column(sa.Column("team_threshold_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("team_threshold_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_kbs") as batch:
        batch.drop_column("team_threshold_at")
        batch.drop_column("team_threshold_by")
        batch.drop_column("team_threshold")
