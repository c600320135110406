"""Adding, changing, removing and listing feeds, with the messages a user sees for mistakes."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from core.feeds import FeedView, add_feed, changed_settings, crawl_feed, delete_feed, list_feeds, update_feed, upsert_feed
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed
from core.views.financial_sentiment import feed_saved_text
from tests.support.feed_server import FeedRoute, rss_feed, serve_feeds

URL = "http://127.0.0.1:8123/news.rss"


def _feed(feed_id: int) -> Feed:
    with session_scope() as session:
        return session.get(Feed, feed_id)


def test_a_new_feed_is_listed_with_defaults(db):
    feed_id = add_feed("  Market   news ", " " + URL, topics="markets, earnings ,, markets")
    (view,) = list_feeds()
    assert isinstance(view, FeedView) and view.id == feed_id
    assert (view.name, view.url, view.topics) == ("Market news", URL, ["markets", "earnings"])
    assert view.enabled and view.interval_minutes == get_settings().crawl_interval_minutes
    assert (view.last_status, view.last_error, view.last_fetched_at, view.articles) == (None, None, None, 0)


def test_the_default_interval_comes_from_the_settings(db, monkeypatch):
    monkeypatch.setenv("BEACON_CRAWL_INTERVAL_MINUTES", "42")
    get_settings.cache_clear()
    add_feed("News", URL)
    assert list_feeds()[0].interval_minutes == 42


@pytest.mark.parametrize(
    ("name", "url", "interval", "message"),
    [
        ("", URL, None, "give the feed a name"),
        ("   ", URL, None, "give the feed a name"),
        ("x" * 201, URL, None, "too long"),
        ("News", "ftp://example.com/feed.xml", None, "only http:// and https://"),
        ("News", "not a url", None, "only http:// and https://"),
        ("News", "http://169.254.169.254/latest/meta-data/", None, "private or local address"),
        ("News", URL, 0, "at least 1"),
        ("News", URL, -5, "at least 1"),
        ("News", URL, "soon", "whole number of minutes"),
    ],
)
def test_mistakes_are_refused_with_a_plain_message(db, name, url, interval, message):
    with pytest.raises(ValueError, match=message):
        add_feed(name, url, interval_minutes=interval)
    assert list_feeds() == []


def test_a_duplicate_name_or_url_is_refused(db):
    add_feed("News", URL)
    with pytest.raises(ValueError, match="A feed named 'news' already exists"):
        add_feed("news", "http://127.0.0.1:8123/other.rss")
    with pytest.raises(ValueError, match="The feed 'News' already uses this URL"):
        add_feed("Other", URL)
    with pytest.raises(ValueError, match="already uses this URL"):
        add_feed("Other", URL.replace("http://", "HTTP://"))  # the same URL once normalised
    assert len(list_feeds()) == 1


def test_a_feed_can_be_changed(db):
    feed_id = add_feed("News", URL, topics=["markets"], interval_minutes=15)
    update_feed(feed_id, name="World news", topics=["world"], interval_minutes=60, enabled=False)
    (view,) = list_feeds()
    assert (view.name, view.topics, view.interval_minutes, view.enabled) == ("World news", ["world"], 60, False)


def test_only_real_changes_of_the_edit_form_are_saved(db):
    add_feed("News", URL, topics=["markets", "fx"], interval_minutes=15)
    (view,) = list_feeds()
    as_shown = {"name": " News ", "url": f"{URL} ", "topics": "markets, fx, markets", "interval_minutes": 15, "enabled": True}
    assert changed_settings(view, **as_shown) == {}  # spacing and a repeated tag are no change
    edited = as_shown | {"topics": "fx", "enabled": False}
    assert changed_settings(view, **edited) == {"topics": "fx", "enabled": False}


def test_a_new_url_forgets_the_old_caching_validators(db):
    feed_id = add_feed("News", URL)
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        feed.etag, feed.last_modified = '"v1"', "Tue, 05 Mar 2024 10:00:00 GMT"
    update_feed(feed_id, name="News")  # no URL change: validators stay
    assert _feed(feed_id).etag == '"v1"'
    update_feed(feed_id, url="http://127.0.0.1:8123/v2.rss")
    feed = _feed(feed_id)
    assert (feed.url, feed.etag, feed.last_modified) == ("http://127.0.0.1:8123/v2.rss", None, None)


def test_changes_are_checked_like_new_feeds(db):
    first = add_feed("News", URL)
    add_feed("Other", "http://127.0.0.1:8123/other.rss")
    with pytest.raises(ValueError, match="already exists"):
        update_feed(first, name="Other")
    with pytest.raises(ValueError, match="already uses this URL"):
        update_feed(first, url="http://127.0.0.1:8123/other.rss")
    with pytest.raises(ValueError, match="at least 1"):
        update_feed(first, interval_minutes=0)
    with pytest.raises(ValueError, match="Unknown feed setting"):
        update_feed(first, etag="x")
    with pytest.raises(ValueError, match="does not exist"):
        update_feed(999, name="Ghost")
    assert _feed(first).name == "News"


def test_upsert_creates_then_updates_by_name(db):
    feed_id = upsert_feed("News", URL, topics=["a"], interval_minutes=10)
    assert upsert_feed("News", URL, topics=["b"], interval_minutes=20, enabled=False) == feed_id
    (view,) = list_feeds()
    assert (view.topics, view.interval_minutes, view.enabled) == (["b"], 20, False)


def test_deleting_a_feed_removes_its_articles(db):
    routes = {"/news.rss": FeedRoute(rss_feed([{"title": f"T{n}", "link": f"https://e.com/{n}"} for n in range(3)]))}
    with serve_feeds(routes) as base_url:
        keep = add_feed("Keep", base_url + "/news.rss")
        gone = add_feed("Gone", base_url + "/news.rss?copy")
        crawl_feed(keep)
        crawl_feed(gone)
    with session_scope() as session:
        article = session.scalar(select(Article).where(Article.feed_id == gone))
        session.add(CompanyMention(article_id=article.id, company="Acme"))
    delete_feed(gone)
    delete_feed(gone)  # already gone: nothing happens
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3
        assert session.scalar(select(func.count()).select_from(CompanyMention)) == 0
    assert [v.name for v in list_feeds()] == ["Keep"]


def test_a_feed_an_alert_rule_watches_is_not_deleted_and_a_renamed_one_keeps_its_rules(db):
    from core.alerts import list_alert_rules, save_alert_rule

    feed_id = add_feed("Wire", URL)
    save_alert_rule(name="Wire watch", scope_type="feed", scope_value="Wire")
    update_feed(feed_id, name="Wire (EU)")  # the rule follows the feed's new name
    assert [(r["name"], r["scope_value"]) for r in list_alert_rules()] == [("Wire watch", "Wire (EU)")]
    said = feed_saved_text("Wire", {"name": "Wire (EU)"})
    assert said == "Saved the feed 'Wire (EU)': renamed from 'Wire' (alert rule 'Wire watch' watches it by its new name)."
    with pytest.raises(ValueError, match=r"The feed 'Wire \(EU\)' is watched by alert rule 'Wire watch': change or delete them first"):
        delete_feed(feed_id)
    assert [v.name for v in list_feeds()] == ["Wire (EU)"]


def test_the_list_shows_the_last_crawl_and_the_article_count(db):
    routes = {"/news.rss": rss_feed([{"title": "One", "link": "https://e.com/1"}]), "/bad.rss": FeedRoute(b"", status=404)}
    with serve_feeds(routes) as base_url:
        crawl_feed(add_feed("News", base_url + "/news.rss"), now=datetime(2024, 3, 5, 12, 0))
        crawl_feed(add_feed("Bad", base_url + "/bad.rss"), now=datetime(2024, 3, 5, 12, 0))
    views = {v.name: v for v in list_feeds()}
    assert [v.name for v in list_feeds()] == ["Bad", "News"]
    assert (views["News"].articles, views["News"].last_status, views["News"].last_new_items) == (1, "ok", 1)
    assert views["News"].last_fetched_at == datetime(2024, 3, 5, 12, 0)
    assert views["Bad"].last_status == "error" and "HTTP 404" in views["Bad"].last_error and views["Bad"].articles == 0
