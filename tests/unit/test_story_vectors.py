"""Stories grouped by meaning (core.stories.embeddings + the cosine rule of core.stories.cluster), with the real fast
sentence encoder: reworded coverage of one event joins one story; other news about the same company, items too far
apart in time and editions of one recurring column do not."""

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from core.stories.cluster import ItemText, StoryIndex
from core.stories.embeddings import VectorCache, encoder_embed, story_text

T0 = datetime(2026, 3, 8, 12, 0)
RECALL = "Tesla recalls 200,000 vehicles over faulty rear-view cameras - Reuters"
RECALL_REWORDED = "Tesla to fix backup camera flaw in about 200,000 cars | Yahoo Finance"
QUAKE = "Earthquake of magnitude 6.1 strikes off northern Chile coast"
QUAKE_REWORDED = "Strong quake shakes northern Chile coast, no tsunami warning"


def embedded(*titles_and_hours: tuple[str, float]) -> list[ItemText]:
    items = [ItemText(title, "", None, T0 + timedelta(hours=hours)) for title, hours in titles_and_hours]
    vectors = encoder_embed([story_text(i.title, i.summary) for i in items])
    return [replace(item, vector=vector) for item, vector in zip(items, vectors, strict=True)]


def stories(items: list[ItemText], **settings) -> list[int]:
    index = StoryIndex(**settings)
    return [index.assign(item, n) for n, item in enumerate(items)]


def test_reworded_coverage_of_one_event_is_one_story_which_word_overlap_misses():
    items = embedded((RECALL, 0), (RECALL_REWORDED, 3), (QUAKE, 4), (QUAKE_REWORDED, 5))
    assert stories(items) == [0, 0, 2, 2]
    assert stories(items, cosine=None) == [0, 1, 2, 3]  # the previous method: too few words in common


def test_other_news_about_the_same_company_is_another_story():
    items = embedded((RECALL, 0), ("Tesla opens its first showroom in India", 1),
                     ("Tesla quarterly deliveries fall short of estimates", 2), (RECALL_REWORDED, 3))
    assert stories(items) == [0, 1, 2, 0]


def test_items_outside_the_window_or_a_day_and_a_half_apart_are_other_stories():
    assert stories(embedded((RECALL, 0), (RECALL_REWORDED, 12))) == [0, 0]
    assert stories(embedded((RECALL, 0), (RECALL_REWORDED, 49))) == [0, 1]  # outside the 48 h window
    # within the window, but a reworded headline 36 h later must be closer than one published alongside
    assert stories(embedded((QUAKE, 0), (QUAKE_REWORDED, 36))) == [0, 1]


def test_editions_of_a_recurring_column_are_other_stories_unless_the_headline_repeats():
    items = embedded(("Morning Bid: Oil jumps, stocks slide", 0), ("Morning Bid: Stocks slide as oil jumps", 6),
                     ("Morning Bid: Oil jumps, stocks slide - Reuters", 7))
    assert stories(items) == [0, 1, 0]


def test_the_summary_lead_is_embedded_unless_it_repeats_the_headline():
    title = "Fed holds rates steady for a third meeting - Reuters"
    assert story_text(title, "Fed holds rates steady for a third meeting Reuters") == "Fed holds rates steady for a third meeting"
    lead = "Policymakers kept the range at 4.25%."
    assert story_text(title, lead) == f"Fed holds rates steady for a third meeting. {lead}"


def test_the_worker_cache_embeds_each_text_once_and_stays_bounded():
    calls: list[list[str]] = []

    def embed(texts):
        calls.append(list(texts))
        return encoder_embed(texts)

    cache = VectorCache(limit=3)
    first = cache.vectors(["a b", "c d", "a b"], embed)
    again = cache.vectors(["c d", "e f"], embed)
    assert calls == [["a b", "c d"], ["e f"]]
    assert np.allclose(first[1], again[0], atol=1e-3) and abs(float(np.linalg.norm(first[0])) - 1) < 1e-2
    cache.vectors(["g h"], embed)
    assert len(cache) == 3
