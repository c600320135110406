"""The company-tagging benchmark on the labelled feed items (needs ../shared/data/feeds; skipped without it)."""

import pytest

from benchmarks import entities as bench
from core.sentiment.entities import CompanyDirectory, find_companies

pytestmark = pytest.mark.skipif(not bench.FEEDS.is_dir(), reason="../shared/data/feeds is not here")


def test_every_labelled_item_is_found_and_the_gazetteer_beats_the_hand_list():
    items = bench.load_items("all")
    assert len(items) == 240  # the first sample (180) and the second validation draw (60)
    directory, old = CompanyDirectory(), bench.hand.CompanyDirectory()
    new = bench.score(items, lambda text: find_companies(text, directory))
    baseline = bench.score(items, lambda text: bench.hand.find_companies(text, old))
    assert new["precision"] >= 0.90
    assert new["recall"] > baseline["recall"] and new["true_positives"] > baseline["true_positives"]
