"""support_interactions.policy: the threshold each logged question was decided at, in words ("balanced (threshold
0.74)", "team threshold 0.48", "custom threshold 0.60"); empty for questions logged before

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_interactions") as batch:
        batch.add_column(sa.Column("policy", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("support_interactions") as batch:
        batch.drop_column("policy")
