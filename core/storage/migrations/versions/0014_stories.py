"""stories: near-duplicate items across feeds grouped into one story; articles.story_id (NULL until grouped)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stories_last_seen", "stories", ["last_seen_at"])
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_articles_story", "stories", ["story_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_articles_story", ["story_id"])


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_story")
        batch.drop_constraint("fk_articles_story", type_="foreignkey")
        batch.drop_column("story_id")
    op.drop_index("ix_stories_last_seen", table_name="stories")
    op.drop_table("stories")
