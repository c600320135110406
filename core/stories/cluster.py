"""Incremental grouping of items into stories (pure: no database).

``StoryIndex`` holds the stories seen within a time window. ``match`` finds the story an arriving item
belongs to: the same link once tracking parameters are removed, or a title (and summary) similar enough
(Jaccard of content words at or above ``threshold``). Candidates come from an inverted index of title
words (blocking), so an item is compared with the few stories sharing its words, never with all of them.
Stories whose last item is older than the window are dropped from the index as time moves on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.stories.normalise import canonical_link, content_words, normalise_title

DEFAULT_WINDOW_HOURS = 48.0
DEFAULT_THRESHOLD = 0.4  # chosen on the validation labels by benchmarks/stories.py (see benchmarks/labels/stories_README.md)
MEMBERS_KEPT = 8  # each story is compared through its first few items' words
COMMON_WORD_POSTINGS = 2000  # a word shared by this many live stories does not select candidates


@dataclass(frozen=True)
class ItemText:
    """What grouping reads from an item."""

    title: str
    summary: str
    link: str | None
    published_at: datetime
    source: str = ""


@dataclass
class _Story:
    key: object
    last_seen: datetime
    members: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)


def item_words(item: ItemText) -> tuple[frozenset[str], frozenset[str]]:
    """(title words, title + summary words) of an item."""
    title = content_words(normalise_title(item.title))
    return title, title | content_words(item.summary[:600])


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def similarity(a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]) -> float:
    """How alike two items are: the better of the titles' and the titles-with-summaries' word overlap."""
    return max(jaccard(a[0], b[0]), jaccard(a[1], b[1]))


class StoryIndex:
    """The live stories of the last ``window_hours``; feed items in (roughly) time order."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, window_hours: float = DEFAULT_WINDOW_HOURS) -> None:
        self.threshold = threshold
        self.window = timedelta(hours=window_hours)
        self._stories: dict[object, _Story] = {}
        self._by_word: dict[str, set[object]] = defaultdict(set)
        self._by_link: dict[str, object] = {}
        self._newest = datetime.min
        self._added_since_sweep = 0

    def __len__(self) -> int:
        return len(self._stories)

    def match(self, item: ItemText) -> object | None:
        """The key of the story this item belongs to, or None (it starts a new story)."""
        link = canonical_link(item.link)
        if link and link in self._by_link and self._live(self._stories.get(self._by_link[link]), item.published_at):
            return self._by_link[link]
        words = item_words(item)
        best, best_score = None, self.threshold
        for key in self._candidates(words[0] or words[1]):
            story = self._stories[key]
            if not self._live(story, item.published_at):
                continue
            score = max(similarity(words, member) for member in story.members)
            if score >= best_score:
                best, best_score = key, score
        return best

    def add(self, item: ItemText, key: object) -> None:
        """Record that ``item`` belongs to the story ``key`` (a new one or the one ``match`` returned)."""
        words = item_words(item)
        story = self._stories.get(key)
        if story is None:
            story = self._stories[key] = _Story(key, item.published_at)
        story.last_seen = max(story.last_seen, item.published_at)
        if len(story.members) < MEMBERS_KEPT:
            story.members.append(words)
            for word in words[0] or words[1]:
                self._by_word[word].add(key)
        link = canonical_link(item.link)
        if link:
            self._by_link[link] = key
        self._newest = max(self._newest, item.published_at)
        self._added_since_sweep += 1
        if self._added_since_sweep >= 5000:
            self._sweep()

    def assign(self, item: ItemText, new_key: object) -> object:
        """Match and record in one call: the existing story's key, or ``new_key`` for a new story."""
        key = self.match(item)
        key = new_key if key is None else key
        self.add(item, key)
        return key

    def _live(self, story: _Story | None, at: datetime) -> bool:
        return story is not None and abs(at - story.last_seen) <= self.window

    def _candidates(self, words: frozenset[str]) -> set[object]:
        """Stories sharing one of the item's rarest words (a prefix filter: two titles with Jaccard >= t share
        one of each title's first len - ceil(t * len) + 1 words in rarity order)."""
        postings = sorted((len(self._by_word.get(word, ())), word) for word in words)
        prefix = max(2, len(postings) - math.ceil(self.threshold * len(postings)) + 1)
        found: set[object] = set()
        for size, word in postings[:prefix]:
            if 0 < size < COMMON_WORD_POSTINGS:
                found |= self._by_word[word]
        return found

    def _sweep(self) -> None:
        """Forget stories that ended more than a window before the newest item."""
        self._added_since_sweep = 0
        cutoff = self._newest - self.window
        gone = {key for key, story in self._stories.items() if story.last_seen < cutoff}
        if not gone:
            return
        for key in gone:
            story = self._stories.pop(key)
            for words in story.members:
                for word in words[0] or words[1]:
                    keys = self._by_word.get(word)
                    if keys is not None:
                        keys.discard(key)
                        if not keys:
                            del self._by_word[word]
        self._by_link = {link: key for link, key in self._by_link.items() if key not in gone}
