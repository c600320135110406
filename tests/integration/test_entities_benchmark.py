"""The company-tagging benchmark on the labelled feed items (needs ../shared/data/feeds; skipped without it)."""

import pytest

from benchmarks import entities as bench

pytestmark = pytest.mark.skipif(not bench.FEEDS.is_dir(), reason="../shared/data/feeds is not here")


def test_every_labelled_item_is_found_and_the_tagger_beats_every_baseline():
    assert len(bench.load_items("all")) == 240  # the first sample (180) and the second validation draw (60)
    result = bench.evaluate("validation", bench.taggers())
    new = result["gazetteer"]
    assert new["precision"] >= 0.90
    for baseline in ("sec_gazetteer_baseline", "index_gazetteer_baseline", "hand_list_baseline"):
        assert new["true_positives"] > result[baseline]["true_positives"]


def test_test_split_reports_numbers_only_never_its_errors():
    result = bench.evaluate("test", bench.taggers())
    assert result["items"] == 90
    assert all("errors" not in result[name] for name in bench.taggers())
    assert "errors" in bench.evaluate("validation", bench.taggers())["gazetteer"]
