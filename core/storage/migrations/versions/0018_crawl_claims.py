"""crawl claims: a worker holds a due feed while it fetches it (feeds.crawl_claimed_until / crawl_claimed_by)

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("crawl_claimed_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("crawl_claimed_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("crawl_claimed_by")
        batch.drop_column("crawl_claimed_until")
