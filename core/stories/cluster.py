"""Incremental grouping of items into stories (pure: no database).

``StoryIndex`` holds the stories seen within a time window. ``match`` finds the story an arriving item
belongs to: the same link once tracking parameters are removed, a title (and summary) with enough words in
common (Jaccard of content words at or above ``threshold``), or, for items carrying a sentence vector
(core.stories.embeddings), a headline that means the same (cosine similarity at or above ``cosine`` with an
item of the story published within the window) - reworded coverage of one event shares few words.
Word candidates come from an inverted index of title words (blocking); vectors are compared with the window's
items in one matrix product. Editions of one recurring column ('Morning Bid: ...') are never grouped by
similarity, only by link or identical headline. Stories and vectors older than the window are dropped as
time moves on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from core.stories.normalise import canonical_link, column_name, content_words, normalise_title

DEFAULT_WINDOW_HOURS = 48.0
# Both chosen on the validation labels by benchmarks/stories.py (see benchmarks/labels/stories_README.md).
DEFAULT_THRESHOLD = 0.4  # word Jaccard
DEFAULT_COSINE = 0.6  # sentence-vector cosine asked of two items published at the same time
DEFAULT_COSINE_PER_DAY = 0.2  # ... rising by this much per day between them (follow-ups come later than rewrites)
DEFAULT_SHARED_WORDS = 3  # content words two headlines must share to be grouped by meaning (not just the company)
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
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # unit sentence vector, if embedded


@dataclass
class _Story:
    key: object
    last_seen: datetime
    members: list[tuple[frozenset[str], frozenset[str]]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    headlines: set[str] = field(default_factory=set)


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

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, window_hours: float = DEFAULT_WINDOW_HOURS,
                 cosine: float | None = DEFAULT_COSINE, cosine_per_day: float = DEFAULT_COSINE_PER_DAY,
                 shared_words: int = DEFAULT_SHARED_WORDS) -> None:
        self.threshold = threshold
        self.cosine = cosine  # None: word overlap only, vectors ignored
        self.cosine_per_day = cosine_per_day  # the cosine asked of an item a day apart is this much higher
        self.shared_words = shared_words
        self.window = timedelta(hours=window_hours)
        self._vectors = _WindowVectors(window_hours * 3600.0)
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
        column, headline = column_name(item.title), normalise_title(item.title)
        best, best_score = None, self.threshold
        for key in self._candidates(words[0] or words[1]):
            story = self._stories[key]
            if not self._live(story, item.published_at):
                continue
            if column and headline in story.headlines:
                return key
            score = max((similarity(words, member) for member, other in zip(story.members, story.columns, strict=True)
                         if not column or other != column), default=0.0)
            if score >= best_score:
                best, best_score = key, score
        if best is None and self.cosine is not None and item.vector is not None:
            rule = (self.cosine, self.cosine_per_day, self.shared_words)
            best = self._vectors.nearest(item.vector, item.published_at, column, words[0], rule)
        return best

    def add(self, item: ItemText, key: object) -> None:
        """Record that ``item`` belongs to the story ``key`` (a new one or the one ``match`` returned)."""
        words, column = item_words(item), column_name(item.title)
        story = self._stories.get(key)
        if story is None:
            story = self._stories[key] = _Story(key, item.published_at)
        story.last_seen = max(story.last_seen, item.published_at)
        if len(story.members) < MEMBERS_KEPT:
            story.members.append(words)
            story.columns.append(column)
            story.headlines.add(normalise_title(item.title))
            for word in words[0] or words[1]:
                self._by_word[word].add(key)
        if item.vector is not None and self.cosine is not None:
            self._vectors.add(item.vector, item.published_at, column, words[0], key)
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
        self._vectors.forget_before(cutoff)
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


class _WindowVectors:
    """The sentence vectors of the items of the window, as one matrix (rows appended, old rows dropped by a sweep)."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._times = np.zeros(0)
        self._columns: list[str] = []
        self._words: list[frozenset[str]] = []
        self._keys: list[object] = []
        self._size = 0

    def add(self, vector: np.ndarray, at: datetime, column: str, words: frozenset[str], key: object) -> None:
        if self._size == len(self._matrix):
            grown = np.zeros((max(1024, 2 * self._size), len(vector)), dtype=np.float32)
            if self._size:
                grown[: self._size] = self._matrix[: self._size]
            self._matrix, self._times = grown, np.resize(self._times, len(grown))
        self._matrix[self._size] = vector
        self._times[self._size] = at.timestamp()
        self._columns.append(column)
        self._words.append(words)
        self._keys.append(key)
        self._size += 1

    def nearest(self, vector: np.ndarray, at: datetime, column: str, words: frozenset[str],
                rule: tuple[float, float, int]) -> object | None:
        """The story of the most similar item within the window whose cosine is at least ``cosine`` plus ``per_day``
        for each day between the two items (the margin is what is compared) and whose headline shares ``shared``
        content words with this one; an edition of the same recurring column is skipped."""
        if not self._size:
            return None
        cosine, per_day, shared = rule
        apart = np.abs(self._times[: self._size] - at.timestamp())
        scores = self._matrix[: self._size] @ vector.astype(np.float32) - (cosine + per_day * apart / 86400.0)
        scores[apart > self.window] = -1.0
        best = int(scores.argmax())
        if scores[best] < 0:
            return None
        rows = [best] if self._fits(best, column, words, shared) else np.argsort(-scores)[1:8]
        for row in rows:
            if scores[row] < 0:
                return None
            if self._fits(row, column, words, shared):
                return self._keys[row]
        return None

    def _fits(self, row: int, column: str, words: frozenset[str], shared: int) -> bool:
        return (not column or self._columns[row] != column) and len(self._words[row] & words) >= shared

    def forget_before(self, cutoff: datetime) -> None:
        keep = np.flatnonzero(self._times[: self._size] >= cutoff.timestamp())
        if len(keep) == self._size:
            return
        self._matrix[: len(keep)] = self._matrix[keep]
        self._times[: len(keep)] = self._times[keep]
        self._columns = [self._columns[i] for i in keep]
        self._words = [self._words[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]
        self._size = len(keep)
