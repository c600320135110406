"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1), which some sites publish beside or instead of RSS: a JSON
object with a ``version`` URL and an ``items`` list. feedparser reads only XML, so a JSON document is read here
into plain entries (``JsonEntry``) that ``core.feeds.parse`` turns into items like any other."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from core.feeds.safety import FeedError

VERSION_PREFIX = "https://jsonfeed.org/version/"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class JsonEntry:
    id: str
    url: str | None
    title: str
    content: str  # HTML when ``is_html``, else text
    is_html: bool
    published_at: datetime | None  # naive UTC


def looks_like_json(body: bytes) -> bool:
    """Whether the document starts as a JSON object or array (an XML feed starts with "<")."""
    return body.removeprefix(_BOM).lstrip()[:1] in (b"{", b"[")


def json_feed_entries(body: bytes, url: str, max_values: int | None = None) -> list[JsonEntry]:
    """The entries of a JSON Feed; FeedError saying what the document is when it is not one. ``max_values`` bounds
    the objects, lists and values in it as BEACON_FEED_MAX_ELEMENTS bounds an XML feed's elements."""
    try:
        document = json.loads(body.removeprefix(_BOM).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FeedError(f"{url}: the JSON document is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise FeedError(f"{url}: the document is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:
        raise FeedError(f"{url}: the JSON document is nested too deeply to read") from exc
    if max_values is not None and _more_values_than(document, max_values):
        raise FeedError(f"{url}: the document was refused because it has more than {max_values:,} values "
                        "(limit BEACON_FEED_MAX_ELEMENTS)")  # fmt: skip
    version = document.get("version") if isinstance(document, dict) else None
    if not (isinstance(version, str) and version.startswith(VERSION_PREFIX)):
        raise FeedError(f"{url}: the URL returned JSON, not an RSS, Atom or JSON feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{url}: the JSON feed has no list of items")
    return [entry for entry in map(_entry, items) if entry is not None]


def _more_values_than(document: object, limit: int) -> bool:
    """Whether the parsed document holds more than ``limit`` objects, lists and values (stops counting there)."""
    pending, seen = [document], 0
    while pending:
        value = pending.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _entry(item: object) -> JsonEntry | None:
    if not isinstance(item, dict):
        return None
    html, text = _text(item.get("content_html")), _text(item.get("content_text"))
    summary = _text(item.get("summary"))
    url = _text(item.get("url")) or _text(item.get("external_url")) or None
    return JsonEntry(
        id=_text(item.get("id")), url=url, title=_text(item.get("title")), content=summary or html or text,
        is_html=bool(html) and not summary, published_at=_date(item.get("date_published") or item.get("date_modified")),
    )


def _text(value: object) -> str:
    """A string field as given; a number (an id written as 2) as its digits; anything else as nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _date(value: object) -> datetime | None:
    """An RFC 3339 date ("2026-12-06T10:00:00Z", "2026-12-06T12:00:00+02:00") as naive UTC; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
