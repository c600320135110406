"""The spike rule: whether an alert rule fires for one window, decided from counts alone (no database).

``decide_spike`` takes the window's item and negative counts (and, for the 'spike' test, the baseline's)
plus the rule's numbers, and says whether the rule fires and why not. ``alert_reason`` writes the
sentence an alert carries. Detection (``core.alerts.detect``) and the rule preview both call these.
"""

from __future__ import annotations

from dataclasses import dataclass

SPIKE_MIN_DELTA = 0.10  # a spike must also be at least 10 percentage points above the baseline share

SCOPE_PHRASES = {
    "topic": "on the topic {value!r}",
    "company": "mentioning {value}",
    "watchlist": "matching the watchlist {value!r}",
    "keyword": "containing {value!r}",
    "feed": "from the feed {value!r}",
}


@dataclass(frozen=True)
class Counts:
    """Scored items (or stories, each counted once) in a period and how many of them are negative."""

    items: int
    negatives: int

    @property
    def negative_share(self) -> float:
        return self.negatives / self.items if self.items else 0.0


@dataclass(frozen=True)
class SpikeDecision:
    fires: bool
    why: str  # fires: 'share' or 'spike'; quiet: 'too few items', 'too few baseline items' or 'below the threshold'
    negative_share: float
    baseline_share: float | None = None


def decide_spike(window: Counts, baseline: Counts | None, mode: str, threshold: float, min_items: int) -> SpikeDecision:
    """Whether a rule fires for a window. 'share': the window's negative share reaches ``threshold``.
    'spike': it reaches ``threshold`` times the baseline share and at least ``SPIKE_MIN_DELTA`` above it;
    a baseline with fewer than ``min_items`` items (or none measured) cannot show a spike."""
    share = window.negative_share
    if window.items < min_items:
        return SpikeDecision(False, "too few items", share)
    if mode == "share":
        return SpikeDecision(share >= threshold, "share" if share >= threshold else "below the threshold", share)
    if mode != "spike":
        raise ValueError(f"unknown test {mode!r}")
    if baseline is None or baseline.items < min_items:
        return SpikeDecision(False, "too few baseline items", share)
    base = baseline.negative_share
    fires = share >= max(base * threshold, base + SPIKE_MIN_DELTA)
    return SpikeDecision(fires, "spike" if fires else "below the threshold", share, base)


def items_phrase(scope_type: str, scope_value: str, items: int, unit: str = "items") -> str:
    """'all 50 items' or 'the 50 stories on the topic 'Earnings'', for an alert's reason (``unit``: what was counted)."""
    if scope_type == "all":
        return f"all {items} {unit}"
    return f"the {items} {unit} " + SCOPE_PHRASES.get(scope_type, scope_type + " {value!r}").format(value=scope_value)


def alert_reason(
    decision: SpikeDecision, window: Counts, scope_type: str, scope_value: str, window_hours: float, threshold: float,
    baseline_days: int, unit: str = "items",
) -> str:
    """The sentence an alert carries: what was seen in the window against the rule's test (``unit``: 'items' or
    'stories', what the rule counts)."""
    seen = (
        f"{decision.negative_share:.0%} of {items_phrase(scope_type, scope_value, window.items, unit)} in the last "
        f"{window_hours:g} hours were negative"
    )
    if decision.baseline_share is None:
        return f"{seen}, at or above the rule's threshold of {threshold:.0%}."
    baseline = decision.baseline_share
    factor = f"{decision.negative_share / baseline:.1f} times" if baseline else "up from none in"
    return (
        f"{seen}, {factor} the {baseline_days}-day baseline of {baseline:.0%} "
        f"(the rule fires at {threshold:g} times and at least {SPIKE_MIN_DELTA:.0%} points above)."
    )
