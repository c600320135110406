"""The worker step groups reworded coverage of one event from two feeds into one story (real HTTP feed server, real
crawl, real fast sentence encoder, stored stories), and keeps other news about the same company apart."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.feeds import add_feed, crawl_due_feeds
from core.storage import session_scope
from core.storage.tables import Article
from core.stories.assign import group_new_items
from tests.support.feed_server import FeedServer, rss_feed

T0 = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
FEEDS = {
    "/wire.rss": [
        {"title": "Tesla recalls 200,000 vehicles over faulty rear-view cameras - Reuters", "link": "https://wire.example/tesla-recall",
         "pubDate": T0},
        {"title": "Tesla opens its first showroom in India - Reuters", "link": "https://wire.example/tesla-india", "pubDate": T0},
    ],
    "/autos.rss": [
        {"title": "Tesla to fix backup camera flaw in about 200,000 cars", "link": "https://autos.example/tesla-camera",
         "pubDate": T0 + timedelta(hours=4)},
        {"title": "Tesla quarterly deliveries fall short of estimates", "link": "https://autos.example/deliveries",
         "pubDate": T0 + timedelta(hours=1)},
    ],
}


def test_the_worker_step_joins_reworded_coverage_and_keeps_other_company_news_apart(db):
    with FeedServer({path: rss_feed(items) for path, items in FEEDS.items()}) as server:
        for path in FEEDS:
            add_feed(path.strip("/").split(".")[0], server.base_url + path)
        crawl_due_feeds(force=True)
    assert group_new_items() == 4
    with session_scope() as session:
        story_of = {link: story for link, story in session.execute(select(Article.link, Article.story_id))}
    assert story_of["https://wire.example/tesla-recall"] == story_of["https://autos.example/tesla-camera"]
    assert len({story_of["https://wire.example/tesla-recall"], story_of["https://wire.example/tesla-india"],
                story_of["https://autos.example/deliveries"]}) == 3
