"""The worker's 'stories' step: put every new item into a story (an existing one or a new one).

Items are taken oldest first; the stories they may join are rebuilt from the items grouped within the time
window around them. The whole step runs under one lock (core.repositories.stories.lock_grouping), and an
item is only ever moved from 'no story' to a story, so re-running it, or running it in several workers,
groups each item once.
"""

from __future__ import annotations

from datetime import timedelta

from core.repositories import stories as rows
from core.storage import session_scope
from core.stories.cluster import DEFAULT_THRESHOLD, DEFAULT_WINDOW_HOURS, ItemText, StoryIndex
from core.stories.embeddings import story_text, worker_cache

BATCH = 2000


def _text(row: rows.ItemRow) -> ItemText:
    _, _, title, summary, link, published_at, feed = row
    vector = worker_cache.vectors([story_text(title or "", summary or "")])[0]
    return ItemText(title or "", summary or "", link, published_at, feed, vector)


def _embed_next_batch(window_hours: float) -> None:
    """Embed the next batch and its window (the worker's cache keeps them) before the grouping lock is taken."""
    with session_scope() as session:
        pending = rows.ungrouped_items(session, BATCH)
        if pending:
            window = timedelta(hours=window_hours)
            found = pending + rows.grouped_items_between(session, pending[0][5] - window, pending[-1][5] + window)
            worker_cache.vectors([story_text(row[2] or "", row[3] or "") for row in found])


def _group_batch(threshold: float, window_hours: float) -> int:
    with session_scope() as session:
        rows.lock_grouping(session)
        pending = rows.ungrouped_items(session, BATCH)
        if not pending:
            return 0
        window = timedelta(hours=window_hours)
        index = StoryIndex(threshold=threshold, window_hours=window_hours)
        for row in rows.grouped_items_between(session, pending[0][5] - window, pending[-1][5] + window):
            index.add(_text(row), row[1])
        for row in pending:
            item = _text(row)
            story_id = index.match(item)
            lead = story_id is None  # the item that starts a story is the one it is counted by
            if lead:
                story_id = rows.new_story(session, item.title, item.published_at)
            rows.join_story(session, row[0], story_id, item.published_at, lead=lead)
            index.add(item, story_id)
        return len(pending)


def group_new_items(threshold: float = DEFAULT_THRESHOLD, window_hours: float = DEFAULT_WINDOW_HOURS) -> int:
    """Group every item not in a story yet; returns how many were grouped."""
    total = 0
    while True:
        _embed_next_batch(window_hours)
        done = _group_batch(threshold, window_hours)
        total += done
        if done < BATCH:
            return total
