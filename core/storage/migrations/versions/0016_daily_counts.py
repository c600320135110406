"""daily counts: scored items per day, sentiment and story lead, for all items, per topic and per company, kept
current on PostgreSQL

Trends over long ranges counted every item (the per-company one joined each with its companies: 2.8 s at
1,000,000 items). On PostgreSQL, triggers on articles and company_mentions mark the days whose items changed;
core/repositories/daily_counts.py recounts those days before a trend reads the table. SQLite counts from the items.

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

MARK_DAYS = """
CREATE FUNCTION beacon_mark_item_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO daily_count_stale_days (day)
    SELECT DISTINCT date_trunc('day', published_at) FROM old_rows WHERE published_at IS NOT NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO daily_count_stale_days (day)
    SELECT DISTINCT date_trunc('day', published_at) FROM new_rows WHERE published_at IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION beacon_mark_mention_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO daily_count_stale_days (day)
    SELECT DISTINCT date_trunc('day', a.published_at) FROM old_rows m JOIN articles a ON a.id = m.article_id
    WHERE a.published_at IS NOT NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO daily_count_stale_days (day)
    SELECT DISTINCT date_trunc('day', a.published_at) FROM new_rows m JOIN articles a ON a.id = m.article_id
    WHERE a.published_at IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;
"""
COUNT_ALL = [  # the recount of core/repositories/daily_counts.py, over every day
    f"""
INSERT INTO daily_counts (day, grouping, key, sentiment, story_lead, items)
SELECT date_trunc('day', a.published_at), '{grouping}', {key}, coalesce(a.sentiment, ''), a.story_lead, count(*)
FROM articles a {join}
WHERE a.scored_at IS NOT NULL AND a.published_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""
    for grouping, key, join in (
        ("all", "'all'", ""),
        ("topic", "coalesce(a.topic, '')", ""),
        ("company", "m.company", "JOIN company_mentions m ON m.article_id = a.id"),
    )
]
TRIGGERS = [  # one trigger per event: PostgreSQL allows transition tables only on single-event triggers
    (table, event, function, referencing)
    for table, function in (("articles", "beacon_mark_item_days"), ("company_mentions", "beacon_mark_mention_days"))
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    )
]


def upgrade() -> None:
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.DateTime(), primary_key=True),
        sa.Column("grouping", sa.String(10), primary_key=True),  # all | topic | company
        sa.Column("key", sa.String(200), primary_key=True),  # 'all', the topic ('' without one), the company
        sa.Column("sentiment", sa.String(20), primary_key=True),  # '' for a scored item without a label
        sa.Column("story_lead", sa.Boolean(), primary_key=True),  # counted in stories mode (articles.story_lead)
        sa.Column("items", sa.Integer(), nullable=False),
    )
    op.create_index("ix_daily_counts_grouping_day", "daily_counts", ["grouping", "day"])
    op.create_index("ix_daily_counts_grouping_key_day", "daily_counts", ["grouping", "key", "day"])  # the top groups' days
    # A log, not a set: writers only append (a unique day would make concurrent writers wait on each other and
    # could deadlock with row locks); the recount reads the distinct days and deletes the rows it read.
    op.create_table(
        "daily_count_stale_days",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_daily_count_stale_days_day", "daily_count_stale_days", ["day"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(MARK_DAYS)
    for table, event, function, referencing in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {table}_{event.lower()}_marks_days AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    for count in COUNT_ALL:  # the items stored so far, counted once here rather than on the first page view
        op.execute(count)
    op.execute("ANALYZE daily_counts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, event, _, _ in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_marks_days ON {table}")
        op.execute("DROP FUNCTION IF EXISTS beacon_mark_item_days()")
        op.execute("DROP FUNCTION IF EXISTS beacon_mark_mention_days()")
    op.drop_index("ix_daily_count_stale_days_day", table_name="daily_count_stale_days")
    op.drop_table("daily_count_stale_days")
    op.drop_index("ix_daily_counts_grouping_key_day", table_name="daily_counts")
    op.drop_index("ix_daily_counts_grouping_day", table_name="daily_counts")
    op.drop_table("daily_counts")
