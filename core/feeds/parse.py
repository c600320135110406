"""Turn feed bytes into items: refuse entity-declaring XML, classify broken feeds, strip HTML; JSON Feed too."""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import nh3

from core.feeds.discover import feed_links, feed_links_text
from core.feeds.jsonfeed import JsonEntry, json_feed_entries, looks_like_json
from core.feeds.limits import ParseLimits, limits_refusal
from core.feeds.mojibake import repair_mojibake
from core.feeds.prolog import Prolog, read_prolog
from core.feeds.safety import FeedError
from core.settings import get_settings
from core.wording import count_of, one_or_many, shortened

SUMMARY_LIMIT = 2000
TITLE_LIMIT = 1000
GUID_LIMIT = 1000  # the column size of Article.guid
LINK_LIMIT = 2000  # the column size of Article.link
_WHITESPACE = re.compile(r"\s+")
# Control characters (NUL above all) are not allowed in PostgreSQL text and never meant as content.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Block-level tags separate words, so they become spaces instead of vanishing ("<p>a</p><p>b</p>" -> "a b").
_BLOCK_TAG = re.compile(r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|hr)\b)", re.I)
_WHOLE_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_SAX_POSITION = re.compile(r"^<unknown>:(\d+):(\d+): (.*)$")
_HTML_ROOTS = {"html", "head", "body"}
# feedparser flags these on documents that are fine to read.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass(frozen=True)
class FeedItem:
    guid: str
    link: str | None
    title: str
    summary: str
    published_at: datetime | None  # naive UTC


@dataclass(frozen=True)
class ParsedFeed:
    items: list[FeedItem]
    warning: str | None = None  # why the document is broken, when its items could still be recovered


def plain_text(fragment: str) -> str:
    """HTML fragment -> plain text: tags (and script/style content) removed, entities decoded,
    UTF-8 mojibake repaired, whitespace collapsed. The result is text, not HTML: escape it again
    before showing it as HTML."""
    cleaned = nh3.clean(_BLOCK_TAG.sub(" <", fragment or ""), tags=set(), clean_content_tags={"script", "style"})
    return _tidy(repair_mojibake(html.unescape(cleaned)))


def _tidy(text: str) -> str:
    return _WHITESPACE.sub(" ", _CONTROL.sub("", text or "")).strip()


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> list[FeedItem]:
    """Items of an RSS/Atom document; [] for a valid feed without items; FeedError with the reason otherwise.
    ``content_type`` is the HTTP Content-Type, which may name the character set."""
    return read_feed(body, url, content_type).items


def read_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Like ``parse_feed``, also saying when a broken document's items were recovered."""
    if not body.replace(b"\x00", b"").strip():
        raise FeedError(f"{url}: the response was empty")
    if looks_like_json(body):
        entries = json_feed_entries(body, url, _parse_limits().max_elements)
        return ParsedFeed([item for item in (_json_item(e, url) for e in entries) if item is not None])
    prolog = read_prolog(body)
    if prolog.refusal:
        raise FeedError(f"{url}: the document was refused because {prolog.refusal}")
    if too_big := limits_refusal(body, _parse_limits()):
        raise FeedError(f"{url}: the document was refused because {too_big}")
    parsed = _feedparser(body, content_type)
    entries = parsed.get("entries") or []
    if not parsed.get("version") and _looks_like_html(prolog, body):
        links = feed_links(body, url)
        raise FeedError(f"{url}: the URL returned an HTML page, not an RSS/Atom feed{feed_links_text(links)}", tuple(links))
    items = [item for item in (_item(entry, url) for entry in entries) if item is not None]
    if items:
        return ParsedFeed(items, _recovered_warning(parsed, url, len(items)))
    _raise_unless_feed(parsed, url, prolog.root)
    return ParsedFeed([])


def _parse_limits() -> ParseLimits:
    settings = get_settings()
    return ParseLimits(settings.feed_max_depth, settings.feed_max_elements, settings.feed_parse_timeout_s)


def _looks_like_html(prolog: Prolog, body: bytes) -> bool:
    if {(prolog.root or "").lower(), (prolog.doctype or "").lower()} & _HTML_ROOTS:
        return True
    return prolog.root is None and b"<html" in body[:4096].lower()


def _problem(parsed: feedparser.FeedParserDict) -> BaseException | None:
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    return None if isinstance(problem, _HARMLESS_BOZO) else problem


def _feedparser(body: bytes, content_type: str | None) -> feedparser.FeedParserDict:
    # No content-location: feedparser would then turn a relative guid into a URL that changes with the feed's URL.
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes: feedparser treats bytes that look like a path as a local file to open.
    return feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False)


def _raise_unless_feed(parsed: feedparser.FeedParserDict, url: str, root: str | None) -> None:
    """For a document without items: is it an empty feed (fine) or something else (FeedError)?"""
    problem = _problem(parsed)
    if problem is not None:
        raise FeedError(f"{url}: the document is not well-formed XML and has no items ({_describe(problem)})")
    if not parsed.get("version"):
        what = f"XML with the root element <{root}>" if root else "a document"
        raise FeedError(f"{url}: the URL returned {what}, not an RSS/Atom feed")


def _recovered_warning(parsed: feedparser.FeedParserDict, url: str, count: int) -> str | None:
    problem = _problem(parsed)
    if problem is None:
        return None
    recovered = f"{count_of(count, 'item')} {one_or_many(count, 'was', 'were')} recovered"
    return f"{url}: the document is not well-formed XML ({_describe(problem)}); {recovered}"


def _describe(problem: BaseException) -> str:
    """feedparser's reason, "<unknown>:2:0: syntax error" read as "syntax error at line 2, column 0"."""
    text = _tidy(str(problem) or type(problem).__name__)
    return _SAX_POSITION.sub(r"\3 at line \1, column \2", text)[:300]


def _item(entry: feedparser.FeedParserDict, feed_url: str) -> FeedItem | None:
    """The entry as an item; None for one with no title, summary or link, which says nothing (a broken document's
    last entry cut off inside its title)."""
    title = shortened(_text_of(entry, "title"), TITLE_LIMIT)
    summary = shortened(_text_of(entry, "summary") or _content_text(entry), SUMMARY_LIMIT)
    link = safe_link(entry.get("link"), feed_url)
    if not (title or summary or link):
        return None
    published = _published(entry)
    return FeedItem(
        guid=_guid(entry, link, title, published),
        link=link,
        title=title or "(untitled)",
        summary=summary,
        published_at=published,
    )


def _json_item(entry: JsonEntry, feed_url: str) -> FeedItem | None:
    """A JSON Feed entry as an item, cleaned and shortened as an RSS/Atom entry is."""
    title = shortened(_clean(entry.title, "text"), TITLE_LIMIT)
    summary = shortened(_clean(entry.content, "text/html" if entry.is_html else "text"), SUMMARY_LIMIT)
    link = safe_link(entry.url, feed_url)
    if not (title or summary or link):
        return None
    guid = _guid({"id": entry.id}, link, title, entry.published_at)
    return FeedItem(guid=guid, link=link, title=title or "(untitled)", summary=summary, published_at=entry.published_at)


def _text_of(entry: feedparser.FeedParserDict, key: str) -> str:
    value = entry.get(key) or ""
    return _clean(value, (entry.get(f"{key}_detail") or {}).get("type", "text/html"))


def _clean(value: str, kind: str) -> str:
    """One clean form whatever the declared type: text that carries tags ("<script>...</script> - shares
    plunge") is stripped like HTML; text without a whole tag keeps its angle brackets ("Profit<Loss")."""
    if "html" in kind or _WHOLE_TAG.search(value):
        return plain_text(value)
    return _tidy(repair_mojibake(value))


def _content_text(entry: feedparser.FeedParserDict) -> str:
    for content in entry.get("content") or ():
        if text := _clean(content.get("value", ""), content.get("type", "text/html")):
            return text
    return ""


def safe_link(link: str | None, base_url: str = "") -> str | None:
    """An absolute http(s) link, or None (javascript:, data:, mailto: and the like are dropped)."""
    link = _CONTROL.sub("", (link or "").strip())
    if not link:
        return None
    absolute = urljoin(base_url, link) if not urlsplit(link).scheme else link
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(absolute) > LINK_LIMIT:
        return None
    return absolute


def _published(entry: feedparser.FeedParserDict) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed") or entry.get("created_parsed")
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).replace(tzinfo=None)
    except (OverflowError, ValueError, TypeError, OSError):
        return None


def _guid(entry: feedparser.FeedParserDict | dict, link: str | None, title: str, published: datetime | None) -> str:
    """The entry's id, else its link, else a hash of title and date; hashed when too long to store."""
    guid = _tidy(entry.get("id") or "") or link
    if not guid:
        guid = "sha1:" + hashlib.sha1(f"{title}|{published}".encode()).hexdigest()
    if len(guid) > GUID_LIMIT:
        guid = "sha1:" + hashlib.sha1(guid.encode()).hexdigest()
    return guid
