"""Counting stories (issue 18, Monitoring 1): a story carried by several feeds counts once, through its lead item
(the first item Beacon grouped into it, articles.story_lead), in the Financial sentiment counts, trends and items
table, and in spike detection unless a rule counts items. Grouping by the real core.stories step; SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.alerts import compose_alert_email, detect_alerts, list_alert_rules, save_alert_rule
from core.alerts.rules import validate_alert_rule
from core.repositories import items
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, CompanyMention, Feed
from core.stories.assign import group_new_items
from core.views import financial_sentiment as dash

NOW = datetime(2026, 3, 9, 12, 0)
STORY = "Oil tops $100 a barrel for first time since 2022 as Iran war widens"
OTHERS = ["Apple unveils cheaper iPhone aimed at emerging markets", "Fed minutes show officials split on timing of next cut"]


def seed_story(copies: int = 5, others: int = 2) -> list[int]:
    """``copies`` feeds carry the same negative story (mentioning Nokia) within an hour; ``others`` positive items
    about other news. Grouped into stories by the worker step, then scored. Returns the story's item ids, oldest first."""
    with session_scope() as session:
        feeds = [Feed(name=f"Wire {n}", url=f"https://wire{n}.example/rss") for n in range(copies)]
        session.add_all(feeds)
        session.flush()
        story = []
        for n, feed in enumerate(feeds):
            article = Article(feed_id=feed.id, guid=f"s{n}", link=f"https://wire.example/oil-100?utm_source=w{n}", title=STORY,
                              summary="", published_at=NOW - timedelta(hours=3) + timedelta(minutes=10 * n), companies=["Nokia"])
            article.mentions = [CompanyMention(company="Nokia")]
            session.add(article)
            session.flush()
            story.append(article.id)
        for n, title in enumerate(OTHERS[:others]):
            session.add(Article(feed_id=feeds[0].id, guid=f"o{n}", link=f"https://other.example/{n}", title=title, summary="",
                                published_at=NOW - timedelta(hours=2)))
    assert group_new_items() == copies + others
    with session_scope() as session:
        session.execute(update(Article).values(scored_at=NOW, sentiment="positive", sentiment_confidence=0.9, prob_negative=0.05,
                                               topic="Markets"))
        session.execute(update(Article).where(Article.id.in_(story)).values(sentiment="negative", prob_negative=0.9, topic="Energy"))
    return story


def leads() -> dict[int, bool]:
    with session_scope() as session:
        return dict(session.execute(select(Article.id, Article.story_lead)).all())


def test_the_first_item_grouped_into_a_story_is_its_lead(db):
    story = seed_story()
    lead = leads()
    assert [lead[i] for i in story] == [True, False, False, False, False]
    assert sum(lead.values()) == 3  # the story's lead and the two items of their own stories


def test_a_story_counts_once_in_kpis_trends_and_the_items_table(db):
    story = seed_story()
    day = NOW.date()
    stories, every = dash.make_filter(day, day), dash.make_filter(day, day, count="items")
    assert stories.count_stories and not every.count_stories  # stories by default
    assert dash.summarise(stories) == dash.Summary(3, 1, 0, 2)
    assert dash.summarise(every) == dash.Summary(7, 5, 0, 2)

    by_company = dash.sentiment_trend(stories, "company", "day")
    assert by_company[["group", "items", "negative"]].values.tolist() == [["Nokia", 1, 1]]
    assert dash.sentiment_trend(every, "company", "day")[["items"]].values.tolist() == [[5]]
    by_topic = dash.sentiment_trend(stories, "topic", "hour")
    assert sorted(by_topic[["group", "items"]].values.tolist()) == [["Energy", 1], ["Markets", 2]]

    listed = dash.items_table(dash.list_articles(stories))
    assert len(listed) == 3 and sorted(listed["sources"]) == [1, 1, 5]
    assert dash.list_articles(stories).set_index("id").loc[story[0], "sources"] == 5  # the row is the story's lead item
    assert len(dash.list_articles(every)) == 7

    energy = dash.Drill(datetime.combine(day, datetime.min.time()), group="Energy")
    drilled = dash.list_articles(dash.drill_filter(stories, "topic", energy, "day"))
    assert drilled["id"].tolist() == [story[0]]  # a story point drills down to its story, one row with its sources
    assert len(dash.list_articles(dash.drill_filter(every, "topic", energy, "day"))) == 5
    comparison = dash.compare_periods(stories, "topic", "day", now=NOW)
    assert comparison.table.set_index("group").loc["Energy", "items"] == 1
    assert comparison.so_far and not dash.compare_periods(stories, "topic", "day", now=comparison.end).so_far  # NOW's day not over
    assert "so its story counts are lower" in comparison.caption()
    assert "so its item counts are lower" in dash.compare_periods(every, "topic", "day", now=NOW).caption()


def test_the_count_switch_travels_in_the_page_url():
    query = dash.filter_query(NOW.date(), NOW.date(), count="items")
    assert query["count"] == "items"
    assert "count" not in dash.filter_query(NOW.date(), NOW.date())  # stories: the default, left out
    assert dash.preset_from_query(query).count == "items"
    assert dash.preset_from_query({}).count == "stories"
    odd = dash.preset_from_query({"count": "bogus"})
    assert odd.count == "stories" and any("'bogus'" in p for p in odd.problems)
    with pytest.raises(ValueError, match="count must be one of"):
        dash.make_filter(NOW.date(), count="bogus")


def test_a_story_keeps_a_lead_when_the_lead_items_feed_is_deleted(db):
    story = seed_story(copies=3, others=0)
    with session_scope() as session:
        first_feed = session.get(Article, story[0]).feed_id
    items.delete_feed(first_feed)
    lead = leads()
    assert [lead[i] for i in story[1:]] == [True, False]
    assert dash.summarise(dash.make_filter(NOW.date(), NOW.date())).items == 1


def _alerts(rule_name: str) -> list[Alert]:
    with session_scope() as session:
        query = select(Alert).join(AlertRule).where(AlertRule.name == rule_name)
        return list(session.scalars(query))


def test_spike_detection_counts_a_syndicated_story_once_unless_the_rule_counts_items(db):
    story = seed_story(copies=5, others=0)
    save_alert_rule(name="stories", scope_type="all", min_items=3, threshold=0.5, window_hours=24)
    save_alert_rule(name="items", scope_type="all", min_items=3, threshold=0.5, window_hours=24, count_items=True)
    detect_alerts(NOW)
    assert _alerts("stories") == []  # one story in the window: fewer than the 3 the rule needs
    [alert] = _alerts("items")
    assert (alert.item_count, alert.negative_count) == (5, 5)
    assert "all 5 items" in alert.reason and sorted(alert.article_ids) == sorted(story)
    message = compose_alert_email(alert.id)
    assert message["Subject"].endswith("(100% negative, 5 items)")
    assert "count=items" in message.get_body(("plain",)).get_content()  # its link opens the page counting items


def test_a_spike_rule_on_stories_fires_when_enough_stories_turn_negative(db):
    seed_story(copies=5, others=2)
    with session_scope() as session:
        session.execute(update(Article).values(sentiment="negative", prob_negative=0.9))
    save_alert_rule(name="stories", scope_type="all", min_items=3, threshold=0.5, window_hours=24)
    detect_alerts(NOW)
    [alert] = _alerts("stories")
    assert (alert.item_count, alert.negative_count) == (3, 3) and "all 3 stories" in alert.reason
    assert len(alert.article_ids) == 3  # the worst stories, each once (its lead item)
    message = compose_alert_email(alert.id)
    assert message["Subject"].endswith("(100% negative, 3 stories)")
    assert "count=" not in message.get_body(("plain",)).get_content()  # the page counts stories by default


def test_the_rule_option_is_stored_listed_and_checked(db):
    save_alert_rule(name="copies", scope_type="all", count_items=True)
    save_alert_rule(name="news", scope_type="all")
    assert {r["name"]: r["count_items"] for r in list_alert_rules()} == {"copies": True, "news": False}
    with pytest.raises(ValueError, match="count items must be true"):
        validate_alert_rule({"name": "x", "scope_type": "all", "count_items": "yes"})


def test_the_migration_backfills_leads_and_downgrades(db):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine, text

    from core.storage.migrate import alembic_config
    from core.storage.tables import Base

    command.downgrade(alembic_config(db), "0014")  # on the empty database: later downgrades may recreate tables
    engine = create_engine(db)
    with engine.begin() as conn:  # rows as 0014 left them: grouped into stories, no lead marked
        conn.execute(text("INSERT INTO feeds (name, url, topics, enabled, interval_minutes, last_new_items, created_at) "
                          "VALUES ('Wire', 'https://wire.example/rss', '[]', true, 15, 0, :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO stories (title, first_seen_at, last_seen_at) VALUES ('a', :t, :t), ('b', :t, :t)"), {"t": NOW})
        feed = conn.execute(text("SELECT id FROM feeds")).scalar()
        first, second = conn.execute(text("SELECT id FROM stories ORDER BY id")).scalars().all()
        stories = [second, first, second, None, first]
        for n, story in enumerate(stories):
            conn.execute(text("INSERT INTO articles (feed_id, guid, title, summary, published_at, fetched_at, companies, story_id) "
                              "VALUES (:f, :g, 't', '', :t, :t, '[]', :s)"), {"f": feed, "g": f"g{n}", "t": NOW, "s": story})
    command.upgrade(alembic_config(db), "head")
    with session_scope() as session:
        rows = session.execute(select(Article.story_id, Article.story_lead).order_by(Article.id)).all()
    assert [tuple(r) for r in rows] == [(second, True), (first, True), (second, False), (None, True), (first, False)]
    save_alert_rule(name="new", scope_type="all")
    assert list_alert_rules()[0]["count_items"] is False
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    diffs = [d for d in diffs if "lead" in repr(d) or "count_items" in repr(d)]
    engine.dispose()
    assert diffs == []
