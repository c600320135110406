"""story leads: articles.story_lead (the item a story is counted by; True for an item not in a story), backfilled
with the first item (lowest id) of each story; alert_rules.count_items (a rule counts items instead of stories)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE articles SET story_lead = false
WHERE story_id IS NOT NULL AND id <> (SELECT min(earliest.id) FROM articles earliest WHERE earliest.story_id = articles.story_id)
"""


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_lead", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute(sa.text(BACKFILL))
    op.create_index("ix_articles_lead_published", "articles", ["published_at", "id"],
                    postgresql_where=sa.text("scored_at IS NOT NULL AND story_lead"),
                    sqlite_where=sa.text("scored_at IS NOT NULL AND story_lead = 1"))
    with op.batch_alter_table("alert_rules") as batch:
        batch.add_column(sa.Column("count_items", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("alert_rules") as batch:
        batch.drop_column("count_items")
    op.drop_index("ix_articles_lead_published", table_name="articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("story_lead")
