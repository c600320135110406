"""support_kbs.team_threshold_by_hand and team_threshold_checked: whether the team threshold was set by hand (its effect
not measured) or picked on past questions with an expected answer, and on how many. Thresholds set before this
revision could only be picked on past questions (the Past questions tab), so they stay "not by hand", count unknown.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_kbs") as batch:
        batch.add_column(sa.Column("team_threshold_by_hand", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("team_threshold_checked", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_kbs") as batch:
        batch.drop_column("team_threshold_checked")
        batch.drop_column("team_threshold_by_hand")
