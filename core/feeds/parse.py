"""Turn feed bytes into items: refuse entity-declaring XML, classify broken feeds, strip HTML."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
import nh3

from core.feeds.safety import FeedError

_DTD_WITH_ENTITIES = re.compile(rb"<!DOCTYPE[^>\[]*\[|<!ENTITY", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
SUMMARY_LIMIT = 2000


@dataclass(frozen=True)
class FeedItem:
    guid: str
    link: str | None
    title: str
    summary: str
    published_at: datetime | None


def plain_text(fragment: str) -> str:
    """HTML fragment -> plain text: tags (and script/style content) removed, entities decoded."""
    cleaned = nh3.clean(fragment or "", tags=set(), clean_content_tags={"script", "style"})
    return _WHITESPACE.sub(" ", html.unescape(cleaned)).strip()


def _safe_link(link: str | None) -> str | None:
    link = (link or "").strip()
    return link if link.lower().startswith(("http://", "https://")) else None


def _published(entry) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).replace(tzinfo=None)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_feed(body: bytes, url: str) -> list[FeedItem]:
    """Items of an RSS/Atom document; [] for a valid feed without items; FeedError otherwise."""
    if not body.strip():
        raise FeedError(f"{url}: the response was empty")
    if _DTD_WITH_ENTITIES.search(body[:65536]):
        raise FeedError(f"{url}: the document declares XML entities (a DTD), which Beacon refuses for safety")
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.get("entries", [])
    if not entries:
        head = body[:2048].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise FeedError(f"{url}: the URL returned an HTML page, not an RSS/Atom feed")
        if parsed.get("bozo") and not parsed.get("version"):
            reason = parsed.get("bozo_exception")
            raise FeedError(f"{url}: not a readable RSS/Atom feed ({reason})")
        if not parsed.get("version"):
            raise FeedError(f"{url}: the document is not an RSS/Atom feed")
        return []
    return [_item(entry) for entry in entries]


def _item(entry) -> FeedItem:
    title = plain_text(entry.get("title", ""))
    summary = plain_text(entry.get("summary", "") or entry.get("description", ""))[:SUMMARY_LIMIT]
    link = _safe_link(entry.get("link"))
    published = _published(entry)
    guid = (entry.get("id") or link or "").strip()
    if not guid:
        guid = "sha1:" + hashlib.sha1(f"{title}|{published}".encode()).hexdigest()
    return FeedItem(guid=guid[:1000], link=link, title=title or "(untitled)", summary=summary, published_at=published)
