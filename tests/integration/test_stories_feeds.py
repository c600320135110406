"""Stories with real parts: three feeds on a local HTTP server carry the same wire story (other titles,
tracking parameters in the links, other publication times) among other news; fetched and parsed by
core.feeds, grouped by core.stories -> the copies are one story, the other news stays apart."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.feeds import add_feed, crawl_due_feeds, fetch_feed
from core.feeds.parse import parse_feed
from core.repositories.stories import story_sources
from core.storage import session_scope
from core.storage.tables import Article, Feed, Story
from core.stories.assign import group_new_items
from core.stories.cluster import ItemText, StoryIndex
from tests.support.feed_server import FeedServer, rss_feed

T0 = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
STORY = "https://wire.example/markets/oil-tops-100-iran-war"

FEEDS = {
    "/reuters.rss": [
        {"title": "Oil tops $100 a barrel for first time since 2022 as Iran war widens - Reuters",
         "link": STORY + "?utm_source=reuters&utm_medium=rss", "pubDate": T0},
        {"title": "Apple unveils cheaper iPhone aimed at emerging markets - Reuters", "link": "https://wire.example/apple", "pubDate": T0},
    ],
    "/yahoo.rss": [
        {"title": "Oil tops $100 a barrel for the first time since 2022 as Iran war widens | Yahoo Finance",
         "link": "https://finance.example/news/oil-100?guccounter=1&utm_campaign=syndication", "pubDate": T0 + timedelta(hours=2)},
        {"title": "Fed minutes show officials split on timing of next cut | Yahoo Finance",
         "link": "https://finance.example/fed", "pubDate": T0},
    ],
    "/marketwatch.rss": [
        {"title": "UPDATE 1-Oil tops $100 a barrel, first time since 2022, as Iran war widens",
         "link": STORY + "?mod=mw_rss&fbclid=abc", "pubDate": T0 + timedelta(hours=5)},
    ],
}


def test_the_same_story_from_three_feeds_is_one_story(beacon_env):
    with FeedServer({path: rss_feed(items) for path, items in FEEDS.items()}) as server:
        items = []
        for path in FEEDS:
            fetched = fetch_feed(server.base_url + path)
            for entry in parse_feed(fetched.body, fetched.final_url):
                items.append(ItemText(entry.title, entry.summary, entry.link, entry.published_at, path))
    assert len(items) == 5
    index = StoryIndex()
    stories = {}
    for n, item in enumerate(sorted(items, key=lambda i: i.published_at)):
        stories.setdefault(index.assign(item, n), []).append(item)
    groups = sorted(sorted(i.source for i in group) for group in stories.values())
    assert groups == [["/marketwatch.rss", "/reuters.rss", "/yahoo.rss"], ["/reuters.rss"], ["/yahoo.rss"]]


def _stored_stories() -> list[list[str]]:
    with session_scope() as session:
        rows = session.execute(select(Article.story_id, Feed.name).join(Feed, Feed.id == Article.feed_id)).all()
    groups: dict = {}
    for story_id, feed in rows:
        groups.setdefault(story_id, []).append(feed)
    return sorted(sorted(feeds) for feeds in groups.values())


def test_the_worker_step_stores_one_story_with_its_sources_once(db):
    with FeedServer({path: rss_feed(items) for path, items in FEEDS.items()}) as server:
        for path in FEEDS:
            add_feed(path.strip("/").split(".")[0], server.base_url + path)
        crawl_due_feeds(force=True)
    assert group_new_items() == 5
    assert group_new_items() == 0  # repeatable: every item is grouped once
    assert _stored_stories() == [["marketwatch", "reuters", "yahoo"], ["reuters"], ["yahoo"]]
    with session_scope() as session:
        story_id = session.scalar(select(Article.story_id).where(Article.title.like("UPDATE 1-%")))
        story = session.get(Story, story_id)
        assert story.first_seen_at == T0.replace(tzinfo=None) and story.title.startswith("Oil tops $100")
        assert story_sources(session, [story_id]) == {story_id: 3}


def test_an_item_arriving_in_a_later_cycle_joins_the_stored_story(db):
    first = {"/reuters.rss": FEEDS["/reuters.rss"]}
    with FeedServer({path: rss_feed(items) for path, items in first.items()}) as server:
        add_feed("reuters", server.base_url + "/reuters.rss")
        crawl_due_feeds(force=True)
        group_new_items()
        server.routes["/late.rss"] = rss_feed(FEEDS["/yahoo.rss"])
        add_feed("late", server.base_url + "/late.rss")
        crawl_due_feeds(force=True)
    assert group_new_items() == 2
    assert _stored_stories() == [["late"], ["late", "reuters"], ["reuters"]]


def test_the_stories_tables_match_their_migration_and_downgrade(db):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from core.storage.migrate import alembic_config
    from core.storage.tables import Base

    with create_engine(db).connect() as conn:
        assert [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if "stor" in repr(d)] == []
    command.downgrade(alembic_config(db), "0013")
    command.upgrade(alembic_config(db), "head")


def test_items_and_alert_emails_say_how_many_sources_reported_the_story(db):
    from sqlalchemy import update

    from core.alerts import email
    from core.repositories import items
    from core.views import financial_sentiment as view

    with FeedServer({path: rss_feed(entries) for path, entries in FEEDS.items()}) as server:
        for path in FEEDS:
            add_feed(path.strip("/").split(".")[0], server.base_url + path)
        crawl_due_feeds(force=True)
    with session_scope() as session:
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    ungrouped = {row["title"]: row["sources"] for row in items.articles_in_order(ids)}
    assert set(ungrouped.values()) == {1}  # before grouping every item is its own source
    group_new_items()
    with session_scope() as session:
        session.execute(update(Article).values(scored_at=datetime(2026, 3, 9), sentiment="negative", sentiment_confidence=0.9))
    rows = items.articles_in_order(ids)
    sources = {row["title"]: row["sources"] for row in rows}
    assert sorted(sources.values()) == [1, 1, 3, 3, 3]
    assert sources["Fed minutes show officials split on timing of next cut | Yahoo Finance"] == 1
    listed = view.items_table(view.list_articles(view.ArticleFilter()))
    assert sorted(listed["sources"]) == [1, 1, 3, 3, 3]
    text = email._text_body({"reason": "Negative spike", "items": 5}, rows, {"items": "http://x/items", "alert": "http://x/a"})
    assert text.count("reported by 3 sources]") == 3 and "reported by 1 source" not in text  # one feed: named, no count
    single = [line for line in text.splitlines() if line.startswith("- ") and "sources]" not in line]
    feeds = "|".join(path.strip("/").split(".")[0] for path in FEEDS)
    assert len(single) == 2 and all(re.search(rf" UTC, ({feeds})\]$", line) for line in single), single  # [..., UTC, feed]
