"""Feeds: which URLs may be fetched, fetching, parsing, crawling and feed management."""

from core.feeds.crawl import CrawlOutcome, crawl_due_feeds, crawl_feed
from core.feeds.fetch import FetchResult, fetch_feed
from core.feeds.manage import FeedView, add_feed, changed_settings, delete_feed, get_feed, list_feeds, update_feed, upsert_feed
from core.feeds.parse import FeedItem, ParsedFeed, parse_feed, plain_text, read_feed, safe_link
from core.feeds.safety import FeedError, check_feed_url

__all__ = [
    "CrawlOutcome",
    "FeedError",
    "FeedItem",
    "FeedView",
    "FetchResult",
    "ParsedFeed",
    "add_feed",
    "changed_settings",
    "check_feed_url",
    "crawl_due_feeds",
    "crawl_feed",
    "delete_feed",
    "fetch_feed",
    "get_feed",
    "list_feeds",
    "parse_feed",
    "plain_text",
    "read_feed",
    "safe_link",
    "update_feed",
    "upsert_feed",
]
