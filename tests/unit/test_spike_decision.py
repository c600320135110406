"""The spike rule as a function of numbers (core.alerts.spike): no database needed."""

from __future__ import annotations

import pytest

from core.alerts.spike import SPIKE_MIN_DELTA, Counts, alert_reason, decide_spike, items_phrase


def test_share_mode_fires_at_the_threshold_and_not_below():
    assert decide_spike(Counts(10, 5), None, "share", 0.5, 5).fires  # exactly at the threshold
    quiet = decide_spike(Counts(10, 4), None, "share", 0.5, 5)
    assert not quiet.fires and quiet.why == "below the threshold" and quiet.negative_share == 0.4


def test_share_mode_needs_min_items():
    decision = decide_spike(Counts(4, 4), None, "share", 0.5, 5)
    assert not decision.fires and decision.why == "too few items"
    assert decide_spike(Counts(5, 5), None, "share", 0.5, 5).fires


def test_share_mode_has_no_baseline():
    decision = decide_spike(Counts(10, 9), Counts(100, 1), "share", 0.5, 5)
    assert decision.fires and decision.baseline_share is None and decision.why == "share"


def test_spike_mode_needs_the_factor_over_the_baseline():
    fires = decide_spike(Counts(10, 5), Counts(100, 20), "spike", 2.0, 5)  # 50% against 20%: 2.5 times
    assert fires.fires and fires.why == "spike" and fires.baseline_share == 0.2
    quiet = decide_spike(Counts(10, 3), Counts(100, 20), "spike", 2.0, 5)  # 30% against 20%: 1.5 times
    assert not quiet.fires and quiet.why == "below the threshold"


def test_spike_mode_needs_ten_points_above_the_baseline():
    # 6% against 2% is three times the baseline, but only 4 points above it
    assert not decide_spike(Counts(100, 6), Counts(100, 2), "spike", 2.0, 5).fires
    assert decide_spike(Counts(100, 13), Counts(100, 2), "spike", 2.0, 5).fires  # 11 points above
    assert SPIKE_MIN_DELTA == pytest.approx(0.10)


def test_spike_mode_against_an_empty_or_thin_baseline():
    assert decide_spike(Counts(10, 5), None, "spike", 2.0, 5).why == "too few baseline items"
    assert decide_spike(Counts(10, 5), Counts(0, 0), "spike", 2.0, 5).why == "too few baseline items"
    assert not decide_spike(Counts(10, 5), Counts(4, 0), "spike", 2.0, 5).fires
    from_none = decide_spike(Counts(10, 5), Counts(5, 0), "spike", 2.0, 5)  # a baseline with no negatives
    assert from_none.fires and from_none.baseline_share == 0.0


def test_spike_mode_checks_min_items_before_the_baseline():
    assert decide_spike(Counts(3, 3), Counts(100, 1), "spike", 2.0, 5).why == "too few items"


def test_an_unknown_test_is_an_error():
    with pytest.raises(ValueError):
        decide_spike(Counts(10, 5), None, "sometimes", 2.0, 5)


def test_the_reason_says_what_was_seen_against_the_test():
    share = decide_spike(Counts(10, 6), None, "share", 0.5, 5)
    assert alert_reason(share, Counts(10, 6), "topic", "Earnings", 24, 0.5, 7) == (
        "60% of the 10 items on the topic 'Earnings' in the last 24 hours were negative, at or above the rule's threshold of 50%."
    )
    spike = decide_spike(Counts(10, 5), Counts(100, 20), "spike", 2.0, 5)
    assert alert_reason(spike, Counts(10, 5), "all", "", 12, 2.0, 7) == (
        "50% of all 10 items in the last 12 hours were negative, 2.5 times the 7-day baseline of 20% "
        "(the rule fires at 2 times and at least 10% points above)."
    )
    from_none = decide_spike(Counts(10, 5), Counts(5, 0), "spike", 2.0, 5)
    assert "up from none in the 7-day baseline of 0%" in alert_reason(from_none, Counts(10, 5), "all", "", 12, 2.0, 7)
    assert items_phrase("company", "Nokia", 3) == "the 3 items mentioning Nokia"
