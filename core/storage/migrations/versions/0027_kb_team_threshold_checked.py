"""support_kbs.team_threshold_checked: how many past questions with an expected answer the team threshold was picked
on (the Past questions tab); empty when it was set by hand, so the page can say whether its effect was measured

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
        batch.add_column(sa.Column("team_threshold_checked", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_kbs") as batch:
        batch.drop_column("team_threshold_checked")
