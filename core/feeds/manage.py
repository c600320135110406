"""Register, change, remove and list feeds. User mistakes raise ValueError with a plain message."""

from __future__ import annotations

from collections.abc import Iterable

from core.auth import record, requires
from core.feeds.safety import FeedError, check_feed_url
from core.repositories import items
from core.repositories.items import FeedTaken, FeedView
from core.settings import get_settings

__all__ = ["FeedView", "add_feed", "changed_settings", "check_upsert", "delete_feed", "list_feeds", "update_feed", "upsert_feed"]

NAME_LIMIT = 200  # the column size of Feed.name
TOPIC_LIMIT = 100
EDITABLE = {"name", "url", "topics", "interval_minutes", "enabled"}


def _clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValueError("Please give the feed a name.")
    if len(name) > NAME_LIMIT:
        raise ValueError(f"The feed name is too long ({len(name)} characters; at most {NAME_LIMIT}).")
    return name


def _clean_url(url: str) -> str:
    try:
        return check_feed_url(url)
    except FeedError as exc:
        raise ValueError(f"This feed URL cannot be used: {exc}") from exc


def _clean_topics(topics: str | Iterable[str] | None) -> list[str]:
    if isinstance(topics, str):
        topics = topics.split(",")
    tags: list[str] = []
    for topic in topics or ():
        tag = " ".join(str(topic or "").split())[:TOPIC_LIMIT]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _clean_interval(interval_minutes: int | str | None) -> int:
    if interval_minutes is None:
        return get_settings().crawl_interval_minutes
    try:
        interval = int(str(interval_minutes).strip()) if not isinstance(interval_minutes, bool) else -1
    except ValueError:
        interval = -1
    if interval < 1:
        raise ValueError(f"The fetch interval must be a whole number of minutes, at least 1 (got {interval_minutes!r}).")
    return interval


def _taken(exc: FeedTaken) -> ValueError:
    if exc.field == "name":
        return ValueError(f"A feed named {exc.other!r} already exists; please choose another name.")
    if exc.field == "url":
        return ValueError(f"The feed {exc.other!r} already uses this URL.")
    return ValueError("A feed with this name or URL already exists.")


def _save(values: dict, feed_id: int | None = None, by_name: bool = False) -> tuple[int, str] | None:
    try:
        return items.save_feed(values, feed_id, by_name)
    except FeedTaken as exc:
        raise _taken(exc) from exc


@requires("admin", "add feeds")
def add_feed(name: str, url: str, topics: str | Iterable[str] = (), interval_minutes: int | None = None) -> int:
    """Register a feed; returns its id. Raises ValueError for a missing name, a URL Beacon may not
    fetch, an interval under one minute, or a name or URL already in use."""
    name, url = _clean_name(name), _clean_url(url)
    tags, interval = _clean_topics(topics), _clean_interval(interval_minutes)
    feed_id, _ = _save({"name": name, "url": url, "topics": tags, "interval_minutes": interval, "enabled": True})
    record("feed added", name, detail={"url": url})
    return feed_id


def check_upsert(name: str, url: str, topics: str | Iterable[str] = (), interval_minutes: int | None = None,
                 enabled: bool = True) -> dict:  # fmt: skip
    """The settings ``upsert_feed`` would write, cleaned; ValueError (nothing written) for any it would refuse,
    a name or URL another feed has included. ``config apply`` checks a whole file with it before writing."""
    name, url = _clean_name(name), _clean_url(url)
    values = {"name": name, "url": url, "topics": _clean_topics(topics), "interval_minutes": _clean_interval(interval_minutes),
              "enabled": bool(enabled)}  # fmt: skip
    clash = items.feed_clash(name, url)
    if clash is not None:
        raise _taken(clash)
    return values


@requires("admin", "add or change feeds")
def upsert_feed(name: str, url: str, topics: str | Iterable[str] = (), interval_minutes: int | None = None, enabled: bool = True) -> int:
    """Create the feed, or update the one with the same name (used by ``config apply``)."""
    values = check_upsert(name, url, topics, interval_minutes, enabled)
    name, url = values["name"], values["url"]
    feed_id, _ = _save(values, by_name=True)
    record("feed saved", name, detail={"url": url})
    return feed_id


@requires("admin", "change feeds")
def update_feed(feed_id: int, **changes: object) -> None:
    """Change some of: name, url, topics, interval_minutes, enabled. A new URL forgets the old
    URL's caching validators so the next fetch is a full one."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Unknown feed setting(s): {', '.join(sorted(unknown))}.")
    cleaned = _clean_changes(changes)
    saved = _save(cleaned, feed_id=feed_id)
    if saved is None:
        raise ValueError(f"Feed {feed_id} does not exist (it may have been deleted).")
    name = saved[1]
    record("feed changed", name, detail={k: v for k, v in cleaned.items()})


def changed_settings(feed: FeedView, **proposed: object) -> dict[str, object]:
    """The settings of ``proposed`` (name, url, topics, interval_minutes, enabled: as a form gives them) that differ
    from the feed's, for ``update_feed``; whitespace and repeated tags are no change. Nothing is validated here."""
    now = {"name": feed.name, "url": feed.url, "topics": feed.topics, "interval_minutes": feed.interval_minutes, "enabled": feed.enabled}
    same = {
        "name": lambda v: " ".join(str(v or "").split()),
        "url": lambda v: str(v or "").strip(),
        "topics": _clean_topics,
        "interval_minutes": lambda v: int(v) if v is not None else None,
        "enabled": bool,
    }
    return {key: value for key, value in proposed.items() if same[key](value) != now[key]}


def _clean_changes(changes: dict[str, object]) -> dict[str, object]:
    cleaners = {
        "name": _clean_name,
        "url": _clean_url,
        "topics": _clean_topics,
        "interval_minutes": _clean_interval,
        "enabled": bool,
    }
    return {key: cleaners[key](value) for key, value in changes.items()}


@requires("admin", "delete feeds")
def delete_feed(feed_id: int) -> None:
    """Remove a feed and its articles; removing a feed that is already gone does nothing. ValueError while an
    alert rule watches it (the rule would never fire again)."""
    name = items.delete_feed(feed_id, _check_unwatched)
    if name is not None:
        record("feed deleted", name)


def _check_unwatched(name: str, watchers: list[str]) -> None:
    if watchers:
        raise ValueError(f"The feed {name!r} is watched by {' and '.join(watchers)}: change or delete them first.")


def get_feed(feed_id: int) -> FeedView | None:
    """One feed's settings and last crawl result (without its article count), or None when it is gone."""
    return items.get_feed(feed_id)


def list_feeds() -> list[FeedView]:
    """All feeds by name, with their last crawl result and how many articles each has."""
    return items.list_feeds()
