"""Crawling feeds into the database over real HTTP on 127.0.0.1 (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import contextvars
import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import feedparser
import pytest
from sqlalchemy import func, select

from core.feeds import add_feed, crawl_due_feeds, crawl_feed, list_feeds, update_feed
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow
from tests.support.feed_server import FeedRoute, FeedServer, atom_feed, redirect, rss_feed
from tests.support.threads import thread_as_current_user

NOW = datetime(2024, 3, 5, 12, 0)


def _items(*numbers: int, day: int = 5) -> list[dict]:
    return [
        {
            "title": f"Headline {n}",
            "link": f"https://news.example.com/{n}",
            "description": f"<p>Story <b>{n}</b></p>",
            "pubDate": datetime(2024, 3, day, 9, n % 60, tzinfo=UTC),
        }
        for n in numbers
    ]


@pytest.fixture
def server(db):
    with FeedServer() as running:
        yield running


def _articles(feed_id: int) -> list[Article]:
    with session_scope() as session:
        return list(session.scalars(select(Article).where(Article.feed_id == feed_id).order_by(Article.guid)))


def _feed(feed_id: int) -> Feed:
    with session_scope() as session:
        return session.get(Feed, feed_id)


def _count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Article))


def test_a_feed_is_stored_with_its_items_unscored(server):
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1, 2, 3)), etag='"v1"')
    feed_id = add_feed("News", server.url("/news.rss"), topics=["markets"])

    outcome = crawl_feed(feed_id, now=NOW)

    assert (outcome.status, outcome.new_items, outcome.error, outcome.feed_name) == ("ok", 3, None, "News")
    articles = _articles(feed_id)
    assert [a.title for a in articles] == ["Headline 1", "Headline 2", "Headline 3"]
    first = articles[0]
    assert first.guid == "https://news.example.com/1" and first.link == "https://news.example.com/1"
    assert first.summary == "Story 1" and first.published_at == datetime(2024, 3, 5, 9, 1)
    assert first.fetched_at == NOW and first.scored_at is None and first.sentiment is None
    feed = _feed(feed_id)
    assert (feed.last_status, feed.last_new_items, feed.last_error, feed.etag) == ("ok", 3, None, '"v1"')
    assert feed.last_fetched_at == NOW


def test_a_json_feed_is_crawled_like_an_rss_one(server):
    import json

    items = [{"id": f"j{n}", "url": f"https://news.example.com/j/{n}", "title": f"Headline {n}",
              "content_html": f"<p>Story <b>{n}</b></p>", "date_published": f"2024-03-05T09:0{n}:00Z"} for n in (1, 2)]  # fmt: skip
    document = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Wire", "items": items})
    server.routes["/feed.json"] = FeedRoute(document, headers={"Content-Type": "application/feed+json"})
    feed_id = add_feed("Wire", server.url("/feed.json"))
    outcome = crawl_feed(feed_id, now=NOW)
    assert (outcome.status, outcome.new_items, outcome.error) == ("ok", 2, None)
    first = _articles(feed_id)[0]
    assert (first.guid, first.title, first.summary, first.published_at) == ("j1", "Headline 1", "Story 1", datetime(2024, 3, 5, 9, 1))
    assert crawl_feed(feed_id, now=NOW + timedelta(minutes=20)).new_items == 0  # the ids keep it from being stored twice

    server.routes["/api.json"] = FeedRoute('{"results": []}', headers={"Content-Type": "application/json"})
    failed = crawl_feed(add_feed("Api", server.url("/api.json")), now=NOW)
    assert failed.status == "error" and "returned JSON, not an RSS, Atom or JSON feed" in failed.error


def test_a_second_crawl_stores_no_duplicates(server):
    server.routes["/news.rss"] = rss_feed(_items(1, 2, 3))
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    again = crawl_feed(feed_id, now=NOW + timedelta(minutes=20))
    assert (again.status, again.new_items) == ("ok", 0)
    assert _count() == 3 and _feed(feed_id).last_new_items == 0


def test_a_changed_feed_adds_only_its_new_items(server):
    server.routes["/news.rss"] = rss_feed(_items(1, 2, 3))
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    server.routes["/news.rss"] = rss_feed(_items(3, 4, 5))
    outcome = crawl_feed(feed_id, now=NOW + timedelta(minutes=20))
    assert outcome.new_items == 2
    assert [a.title for a in _articles(feed_id)] == [f"Headline {n}" for n in (1, 2, 3, 4, 5)]


def test_an_item_repeated_within_one_document_is_stored_once(server):
    server.routes["/news.rss"] = rss_feed(_items(1, 2) + _items(1))
    feed_id = add_feed("News", server.url("/news.rss"))
    assert crawl_feed(feed_id, now=NOW).new_items == 2


def test_the_same_item_in_two_feeds_is_stored_for_each(server):
    server.routes["/a.rss"] = rss_feed(_items(1))
    server.routes["/b.rss"] = rss_feed(_items(1))
    crawl_feed(add_feed("A", server.url("/a.rss")), now=NOW)
    crawl_feed(add_feed("B", server.url("/b.rss")), now=NOW)
    assert _count() == 2


def test_an_unchanged_feed_answers_not_modified_by_etag(server):
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1, 2)), etag='"abc"')
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    outcome = crawl_feed(feed_id, now=NOW + timedelta(minutes=20))
    assert (outcome.status, outcome.new_items) == ("not_modified", 0)
    assert server.requests[-1].headers["If-None-Match"] == '"abc"'
    feed = _feed(feed_id)
    assert (feed.last_status, feed.etag, feed.last_fetched_at) == ("not_modified", '"abc"', NOW + timedelta(minutes=20))
    assert _count() == 2


def test_an_unchanged_feed_answers_not_modified_by_last_modified(server):
    stamp = "Tue, 05 Mar 2024 10:00:00 GMT"
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1)), last_modified=stamp)
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    assert _feed(feed_id).last_modified == stamp
    assert crawl_feed(feed_id, now=NOW).status == "not_modified"


def test_a_new_etag_brings_the_new_items(server):
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1)), etag='"v1"')
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1, 2)), etag='"v2"')
    outcome = crawl_feed(feed_id, now=NOW)
    assert (outcome.status, outcome.new_items, _feed(feed_id).etag) == ("ok", 1, '"v2"')


def test_a_new_url_forgets_the_old_one_s_fetch_and_is_fetched_at_the_next_cycle(server):
    server.routes["/page"] = FeedRoute(b"<html><body>Markets</body></html>", headers={"Content-Type": "text/html"})
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1)), etag='"v1"')
    feed_id = add_feed("News", server.url("/page"))
    assert crawl_feed(feed_id, now=NOW).status == "error" and "HTML page" in _feed(feed_id).last_error
    assert crawl_due_feeds(now=NOW + timedelta(minutes=1)) == []  # fetched a minute ago: not due
    update_feed(feed_id, url=server.url("/news.rss"))
    feed = _feed(feed_id)
    assert (feed.last_status, feed.last_error, feed.last_fetched_at, feed.etag) == (None, None, None, None)
    [outcome] = crawl_due_feeds(now=NOW + timedelta(minutes=1))  # the new address is fetched at once, not in 15 minutes
    assert (outcome.status, outcome.new_items) == ("ok", 1)


def test_a_feed_without_items_is_recorded_as_empty(server):
    server.routes["/quiet.rss"] = rss_feed([])
    feed_id = add_feed("Quiet", server.url("/quiet.rss"))
    outcome = crawl_feed(feed_id, now=NOW)
    assert (outcome.status, outcome.new_items, outcome.error) == ("empty", 0, None)
    assert _feed(feed_id).last_status == "empty"


def test_atom_feeds_are_crawled(server):
    server.routes["/filings.atom"] = FeedRoute(
        atom_feed([{"id": "urn:f:1", "title": "8-K", "link": "https://sec.example.com/1", "updated": "2024-03-05T08:00:00Z"}]),
        headers={"Content-Type": "application/atom+xml"},
    )
    feed_id = add_feed("Filings", server.url("/filings.atom"))
    assert crawl_feed(feed_id, now=NOW).new_items == 1
    assert _articles(feed_id)[0].published_at == datetime(2024, 3, 5, 8, 0)


def test_missing_and_far_future_dates_become_the_fetch_time(server):
    items = [
        {"title": "No date", "link": "https://e.com/1"},
        {"title": "Future", "link": "https://e.com/2", "pubDate": "Fri, 01 Jan 2100 00:00:00 GMT"},
        {"title": "Slightly ahead", "link": "https://e.com/3", "pubDate": NOW.replace(tzinfo=UTC) + timedelta(minutes=30)},
    ]
    server.routes["/news.rss"] = rss_feed(items)
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    published = {a.title: a.published_at for a in _articles(feed_id)}
    assert published == {"No date": NOW, "Future": NOW, "Slightly ahead": NOW + timedelta(minutes=30)}


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (FeedRoute(b"missing", status=404), "HTTP 404 Not Found from"),
        (FeedRoute(b"<html><body>Sign in</body></html>", headers={"Content-Type": "text/html"}), "HTML page"),
        (FeedRoute(b""), "the response was empty"),
        (FeedRoute(b"<?xml version='1.0'?><rss version='2.0'><channel><title>x</chan"), "not well-formed XML"),
        (FeedRoute(b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><rss/>"), "entities"),
    ],
)
def test_a_broken_feed_records_the_reason(server, route, reason):
    server.routes["/bad"] = route
    feed_id = add_feed("Bad", server.url("/bad"))
    outcome = crawl_feed(feed_id, now=NOW)
    assert outcome.status == "error" and reason in outcome.error and server.url("/bad") in outcome.error
    feed = _feed(feed_id)
    assert feed.last_status == "error" and reason in feed.last_error and feed.last_fetched_at == NOW
    assert _count() == 0


def test_a_slow_server_is_recorded_as_an_error(server, monkeypatch):
    monkeypatch.setenv("BEACON_FEED_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    server.routes["/slow.rss"] = FeedRoute(rss_feed(_items(1)), delay_s=5)
    feed_id = add_feed("Slow", server.url("/slow.rss"))
    outcome = crawl_feed(feed_id, now=NOW)
    assert outcome.status == "error" and "within 0.5 s" in _feed(feed_id).last_error


def test_a_body_over_the_size_cap_is_recorded_as_an_error(server, monkeypatch):
    monkeypatch.setenv("BEACON_FEED_MAX_BYTES", "2048")
    get_settings.cache_clear()
    server.routes["/huge.rss"] = FeedRoute(rss_feed(_items(*range(100))), send_length=False)
    feed_id = add_feed("Huge", server.url("/huge.rss"))
    assert crawl_feed(feed_id, now=NOW).status == "error"
    assert "larger than the 2 KB limit" in _feed(feed_id).last_error and _count() == 0


def test_a_document_of_a_million_nested_elements_is_refused_quickly_with_the_reason(server):
    """4.5 MB, under the 5 MB size cap: without a bound on parsing this crawl took 26 s and 0.7 GB."""
    nested = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + b"<a>" * 1_500_000
    assert len(nested) < get_settings().feed_max_bytes
    server.routes["/deep.rss"] = FeedRoute(nested)
    server.routes["/news.rss"] = rss_feed(_items(1, 2))
    deep_id, news_id = add_feed("Deep", server.url("/deep.rss")), add_feed("News", server.url("/news.rss"))
    with mock.patch.object(feedparser, "parse", side_effect=AssertionError("feedparser was given the refused document")):
        outcome = crawl_feed(deep_id, now=NOW)  # refused by the cheap first pass (its speed: tests/unit/test_feed_parse.py)
    assert outcome.status == "error"
    reason = "the document was refused because its elements are nested more than 100 deep (limit BEACON_FEED_MAX_DEPTH)"
    assert _feed(deep_id).last_error == f"{server.url('/deep.rss')}: {reason}"
    assert crawl_feed(news_id, now=NOW).new_items == 2 and _count() == 2  # normal feeds still parse


def test_a_redirect_into_a_private_address_is_refused(server):
    server.routes["/moved.rss"] = redirect("http://192.168.0.10/admin/feed.rss")
    feed_id = add_feed("Moved", server.url("/moved.rss"))
    outcome = crawl_feed(feed_id, now=NOW)
    assert outcome.status == "error"
    assert "redirected to a URL Beacon does not fetch" in outcome.error and "192.168.0.10" in outcome.error


def test_an_error_keeps_the_stored_items_and_the_validators(server):
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1, 2)), etag='"v1"')
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    server.routes["/news.rss"] = FeedRoute(b"oops", status=500)
    assert crawl_feed(feed_id, now=NOW).status == "error"
    assert _count() == 2 and _feed(feed_id).etag == '"v1"'
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1, 2, 3)), etag='"v2"')
    recovered = crawl_feed(feed_id, now=NOW)
    assert (recovered.status, recovered.new_items, recovered.error) == ("ok", 1, None)
    assert _feed(feed_id).last_error is None


def test_a_recovered_broken_document_is_ok_with_a_warning(server):
    broken = rss_feed(_items(1, 2)).replace(b"Headline 1", b"Tom & Jerry")  # a raw & is not XML
    server.routes["/news.rss"] = broken
    feed_id = add_feed("News", server.url("/news.rss"))
    outcome = crawl_feed(feed_id, now=NOW)
    assert (outcome.status, outcome.new_items) == ("ok", 2)
    assert "not well-formed" in outcome.error and "2 items were recovered" in _feed(feed_id).last_error


def test_an_unchanged_broken_document_keeps_its_problem_and_a_fixed_one_clears_it(server):
    broken = rss_feed(_items(1, 2)).replace(b"Headline 1", b"Tom & Jerry")
    server.routes["/news.rss"] = FeedRoute(broken, etag='"v1"')
    feed_id = add_feed("News", server.url("/news.rss"))
    crawl_feed(feed_id, now=NOW)
    unchanged = crawl_feed(feed_id, now=NOW)  # 304: the same broken document
    assert unchanged.status == "not_modified"
    assert (_feed(feed_id).last_status, "2 items were recovered" in (_feed(feed_id).last_error or "")) == ("not_modified", True)
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1, 2)), etag='"v2"')
    assert crawl_feed(feed_id, now=NOW).status == "ok" and _feed(feed_id).last_error is None
    assert crawl_feed(feed_id, now=NOW).status == "not_modified" and _feed(feed_id).last_error is None


def test_an_unknown_feed_is_an_error_outcome_not_an_exception(db):
    outcome = crawl_feed(12345)
    assert outcome.status == "error" and "does not exist" in outcome.error


def test_a_feed_deleted_during_its_fetch_is_an_error_outcome(server):
    from core.feeds import delete_feed

    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(1)), delay_s=0.5)
    feed_id = add_feed("News", server.url("/news.rss"))
    threading.Timer(0.1, contextvars.copy_context().run, args=(delete_feed, feed_id)).start()
    outcome = crawl_feed(feed_id, now=NOW)
    assert outcome.status == "error" and "deleted" in outcome.error and _count() == 0


def test_two_crawls_of_one_feed_at_once_store_each_item_once(server):
    server.routes["/news.rss"] = FeedRoute(rss_feed(_items(*range(1, 41))), delay_s=0.3)
    feed_id = add_feed("News", server.url("/news.rss"))
    outcomes = []
    threads = [thread_as_current_user(lambda: outcomes.append(crawl_feed(feed_id, now=NOW))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.status for o in outcomes) == ["ok", "ok"]
    assert sum(o.new_items for o in outcomes) == 40 and _count() == 40


def test_due_feeds_are_crawled_and_one_failure_does_not_stop_the_others(server):
    server.routes["/good.rss"] = rss_feed(_items(1, 2))
    server.routes["/broken.rss"] = FeedRoute(b"<html><body>moved</body></html>", headers={"Content-Type": "text/html"})
    broken = add_feed("Broken", server.url("/broken.rss"), interval_minutes=15)
    good = add_feed("Good", server.url("/good.rss"), interval_minutes=15)

    outcomes = {o.feed_id: o for o in crawl_due_feeds(now=NOW)}

    assert outcomes[broken].status == "error" and outcomes[good].status == "ok" and outcomes[good].new_items == 2
    views = {v.name: v for v in list_feeds()}
    assert views["Good"].articles == 2 and views["Good"].last_status == "ok"
    assert views["Broken"].last_status == "error" and "HTML page" in views["Broken"].last_error


def test_only_feeds_whose_interval_has_passed_are_due(server):
    server.routes["/a.rss"] = rss_feed(_items(1))
    server.routes["/b.rss"] = rss_feed(_items(2))
    every_15 = add_feed("Every 15", server.url("/a.rss"), interval_minutes=15)
    hourly = add_feed("Hourly", server.url("/b.rss"), interval_minutes=60)
    assert {o.feed_id for o in crawl_due_feeds(now=NOW)} == {every_15, hourly}
    assert crawl_due_feeds(now=NOW + timedelta(minutes=14)) == []
    assert {o.feed_id for o in crawl_due_feeds(now=NOW + timedelta(minutes=15))} == {every_15}
    assert {o.feed_id for o in crawl_due_feeds(now=NOW + timedelta(minutes=61))} == {every_15, hourly}


def test_disabled_feeds_are_never_due_and_force_crawls_all_enabled(server):
    server.routes["/a.rss"] = rss_feed(_items(1))
    server.routes["/b.rss"] = rss_feed(_items(2))
    on = add_feed("On", server.url("/a.rss"))
    off = add_feed("Off", server.url("/b.rss"))
    update_feed(off, enabled=False)
    assert [o.feed_id for o in crawl_due_feeds(now=NOW)] == [on]
    assert crawl_due_feeds(now=NOW) == []
    assert [o.feed_id for o in crawl_due_feeds(now=NOW, force=True)] == [on]


def test_crawl_times_default_to_now_in_utc(server):
    server.routes["/a.rss"] = rss_feed(_items(1))
    feed_id = add_feed("A", server.url("/a.rss"))
    before = utcnow()
    crawl_feed(feed_id)
    assert before <= _feed(feed_id).last_fetched_at <= utcnow()
