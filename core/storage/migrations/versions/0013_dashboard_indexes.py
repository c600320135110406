"""dashboard indexes: scored items by publication time, topic and sentiment by time, companies with their items

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SCORED = sa.text("scored_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_articles_scored_published", "articles", ["published_at", "id"], postgresql_where=SCORED, sqlite_where=SCORED)
    op.create_index("ix_articles_topic_published", "articles", ["topic", "published_at"])
    op.create_index("ix_articles_sentiment_published", "articles", ["sentiment", "published_at"])
    op.create_index("ix_company_mentions_company_article", "company_mentions", ["company", "article_id"])


def downgrade() -> None:
    op.drop_index("ix_company_mentions_company_article", table_name="company_mentions")
    op.drop_index("ix_articles_sentiment_published", table_name="articles")
    op.drop_index("ix_articles_topic_published", table_name="articles")
    op.drop_index("ix_articles_scored_published", table_name="articles")
