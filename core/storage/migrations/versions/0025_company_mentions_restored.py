"""Company mentions restored from the items' own lists on SQLite. Upgrading a database from before 0014 rebuilt
`articles` with foreign keys on, and dropping the old table deleted every company mention (ON DELETE CASCADE), so the
Companies filter, watchlists by company and company alerts found nothing among those items. Each scored item keeps its
companies in `articles.companies`, which the rebuild kept: the mentions of scored items that have none are written
again. (Reviewer corrections lost the same way cannot be restored: nothing else holds them.) PostgreSQL never lost
them: nothing changes there.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BATCH = 5000
ITEMS_WITHOUT_MENTIONS = sa.text(
    "SELECT id, companies FROM articles WHERE scored_at IS NOT NULL AND id > :after AND companies <> '[]' "
    "AND NOT EXISTS (SELECT 1 FROM company_mentions m WHERE m.article_id = articles.id) ORDER BY id LIMIT :batch"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    after = 0
    while rows := bind.execute(ITEMS_WITHOUT_MENTIONS, {"after": after, "batch": BATCH}).all():
        mentions = [{"article_id": item, "company": company}
                    for item, companies in rows for company in dict.fromkeys(json.loads(companies or "[]"))]
        if mentions:
            bind.execute(sa.text("INSERT INTO company_mentions (article_id, company) VALUES (:article_id, :company)"), mentions)
        after = rows[-1][0]


def downgrade() -> None:
    pass  # the restored mentions are what the items say: nothing to take back
