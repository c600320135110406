"""Crawl every document of the shared feed corpus (real publishers' captures, the feedparser and
feedvalidator test suites) through a real HTTP server: nothing crashes, real feeds give their items,
and every broken or not-a-feed document is recorded with a reason. Skipped when ../shared is absent."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from core.feeds import FeedView, add_feed, crawl_due_feeds, list_feeds
from core.storage import session_scope
from core.storage.tables import Article
from tests.conftest import shared_data
from tests.support.feed_server import FeedRoute, serve_feeds

NOW = datetime(2030, 1, 1, 12, 0)


def _manifest(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _headers(raw: str) -> dict[str, str]:
    """feedparser's test files name the HTTP header they must be served with ("Content-type: text/plain")."""
    name, _, value = raw.partition(":")
    return {name.strip(): value.strip()} if name.strip() else {}


def _routes(root: Path) -> dict[str, FeedRoute]:
    served_with = {
        f"feedparser_corpus/{row['path']}": _headers(row["http_headers"]) for row in _manifest(root / "feedparser_corpus" / "manifest.csv")
    }
    routes = {}
    for path in sorted(root.rglob("*.xml")):
        relative = path.relative_to(root).as_posix()
        headers = served_with.get(relative) or {"Content-Type": "application/xml"}
        routes["/" + quote(relative)] = FeedRoute(path.read_bytes(), headers=headers)
    return routes


def _crawl_all(root: Path) -> dict[str, FeedView]:
    """Every corpus document crawled once; {relative path: FeedView}."""
    routes = _routes(root)
    with serve_feeds(routes) as base_url:
        names = {add_feed(path[1:200], base_url + path): path for path in routes}
        outcomes = crawl_due_feeds(now=NOW)
    assert sorted(o.feed_id for o in outcomes) == sorted(names)
    return {names[view.id][1:]: view for view in list_feeds()}


def test_the_shared_corpus_is_crawled_with_a_reason_for_every_failure(db):
    root = shared_data("feeds")
    crawled = _crawl_all(root)  # one crawl (about 370 documents), several checks
    _every_document_ends_with_a_status_and_every_failure_with_a_reason(crawled)
    _real_publisher_feeds_give_all_their_items(crawled, root)
    _a_sitemap_is_reported_as_not_a_feed(crawled)
    _a_damaged_capture_keeps_its_recoverable_items_and_says_it_is_broken(crawled)
    _documents_that_are_not_well_formed_are_recorded_as_broken(crawled, root)
    _feeds_with_entity_declarations_are_refused(crawled)
    _stored_items_carry_no_markup_and_only_web_links()


def _every_document_ends_with_a_status_and_every_failure_with_a_reason(crawled: dict[str, FeedView]) -> None:
    assert len(crawled) > 300
    for path, view in crawled.items():
        assert view.last_status in {"ok", "empty", "error"}, path
        assert view.last_fetched_at == NOW
        if view.last_status == "error":
            assert view.last_error and view.url in view.last_error and len(view.last_error) > len(view.url) + 15, path
        else:
            assert view.last_status == "empty" or view.articles > 0, path


def _real_publisher_feeds_give_all_their_items(crawled: dict[str, FeedView], root: Path) -> None:
    for row in _manifest(root / "manifest.csv"):
        view = crawled[row["file"]]
        if row["well_formed_xml"] == "yes" and not row["file"].startswith("not_a_feed/"):
            assert (view.last_status, view.last_error) == ("ok", None), row["file"]
            assert view.articles == int(row["items"]), row["file"]


def _a_sitemap_is_reported_as_not_a_feed(crawled: dict[str, FeedView]) -> None:
    view = crawled["not_a_feed/bloomberg_news_sitemap_2026-03.xml"]
    assert view.last_status == "error" and "root element <urlset>, not an RSS/Atom feed" in view.last_error


def _a_damaged_capture_keeps_its_recoverable_items_and_says_it_is_broken(crawled: dict[str, FeedView]) -> None:
    view = crawled["real_malformed/economist_finance_2023_python_bytes_repr.xml"]
    assert view.articles > 0 and view.last_status == "ok"
    assert "not well-formed XML" in view.last_error and "items were recovered" in view.last_error


def _documents_that_are_not_well_formed_are_recorded_as_broken(crawled: dict[str, FeedView], root: Path) -> None:
    broken = [
        f"feedvalidator_invalid/{row['path']}"
        for row in _manifest(root / "feedvalidator_invalid" / "manifest.csv")
        if row["expected_error"] == "SAXError"
    ]
    assert broken
    for path in broken:
        view = crawled[path]
        # refused, or its items recovered with the reason kept, or no items at all; never silently "fine"
        assert view.last_error or view.last_status == "empty", path


def _feeds_with_entity_declarations_are_refused(crawled: dict[str, FeedView]) -> None:
    view = crawled["feedparser_corpus/wellformed/rdf/doctype_contains_entity_decl.xml"]
    assert view.last_status == "error" and "entities" in view.last_error


def _stored_items_carry_no_markup_and_only_web_links() -> None:
    with session_scope() as session:
        articles = session.execute(select(Article.title, Article.summary, Article.link)).all()
    assert len(articles) > 800
    for title, summary, link in articles:
        assert "<script" not in summary.lower() and "<script" not in title.lower()
        assert len(summary) <= 2000
        assert link is None or urlsplit(link).scheme in {"http", "https"}
