"""Stories: SQL for grouping items into stories (core.stories.assign) and for the sources of a story."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.orm import Session

from core.storage.tables import Article, Feed, Story

ItemRow = tuple[int, int | None, str, str, str | None, datetime, str]  # id, story_id, title, summary, link, published_at, feed


def lock_grouping(session: Session) -> None:
    """Hold the grouping lock until the transaction ends, so two workers never group the same items at once:
    a transaction-scoped advisory lock on PostgreSQL, the database write lock on SQLite."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))
    else:
        session.execute(text("SELECT pg_advisory_xact_lock(18001)"))


def _rows(query) -> list:
    return query.join(Feed, Feed.id == Article.feed_id).order_by(Article.published_at, Article.id)


def ungrouped_items(session: Session, limit: int) -> list[ItemRow]:
    """The oldest items not in a story yet."""
    cols = (Article.id, Article.story_id, Article.title, Article.summary, Article.link, Article.published_at, Feed.name)
    return [tuple(r) for r in session.execute(_rows(select(*cols).where(Article.story_id.is_(None))).limit(limit))]


def grouped_items_between(session: Session, start: datetime, end: datetime) -> list[ItemRow]:
    """Items already in a story, published in [start, end] (what an arriving item is compared with)."""
    cols = (Article.id, Article.story_id, Article.title, Article.summary, Article.link, Article.published_at, Feed.name)
    query = select(*cols).where(Article.story_id.is_not(None), Article.published_at >= start, Article.published_at <= end)
    return [tuple(r) for r in session.execute(_rows(query))]


def new_story(session: Session, title: str, seen_at: datetime) -> int:
    story = Story(title=title, first_seen_at=seen_at, last_seen_at=seen_at)
    session.add(story)
    session.flush()
    return story.id


def join_story(session: Session, article_id: int, story_id: int, seen_at: datetime, lead: bool = False) -> None:
    """Put an ungrouped item into a story (repeatable: an item already grouped is left as it is). ``lead``: the
    item started the story, so the story is counted through it (articles.story_lead); any other item is not."""
    query = update(Article).where(Article.id == article_id, Article.story_id.is_(None))
    session.execute(query.values(story_id=story_id, story_lead=lead))
    session.execute(update(Story).where(Story.id == story_id, Story.last_seen_at < seen_at).values(last_seen_at=seen_at))
    session.execute(update(Story).where(Story.id == story_id, Story.first_seen_at > seen_at).values(first_seen_at=seen_at))


def story_sources(session: Session, story_ids: list[int]) -> dict[int, int]:
    """How many distinct feeds reported each story."""
    query = (select(Article.story_id, func.count(func.distinct(Article.feed_id)))
             .where(Article.story_id.in_(story_ids)).group_by(Article.story_id))
    return {int(k): int(n) for k, n in session.execute(query)}


def delete_empty(session: Session, story_ids: list[int], batch: int = 500) -> None:
    """Delete those of these stories that no item belongs to any more."""
    for start in range(0, len(story_ids), batch):
        empty = ~exists().where(Article.story_id == Story.id)
        session.execute(delete(Story).where(Story.id.in_(story_ids[start : start + batch]), empty))
