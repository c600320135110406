"""Try an alert rule on a past period: whether and when it would have fired, over the stored items.

The replay asks the same questions as the worker (``evaluate_rule`` for the test, ``stays_quiet`` for the
cooldown and the same-evidence check) for windows ending every step of the period, and stores nothing.
This is also how to try rules on old items (the sample feeds): pick the period the items were published in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from core.alerts.detect import Firing, WindowCheck, check_window, evaluate_rule, stays_quiet
from core.alerts.rules import validate_alert_rule
from core.alerts.spike import SCOPE_PHRASES, SPIKE_MIN_DELTA
from core.repositories import items
from core.repositories.alerts import unsaved_rule
from core.storage import session_scope
from core.storage.tables import utcnow
from core.wording import count_of

MAX_STEPS = 500  # windows evaluated per preview; longer periods use a coarser step
MAX_PREVIEW_DAYS = 366


@dataclass(frozen=True)
class PreviewFiring:
    """An alert the rule would have raised."""

    window_end: datetime
    items: int
    negative_share: float
    baseline_share: float | None
    reason: str


@dataclass(frozen=True)
class RulePreview:
    start: datetime
    end: datetime
    step: timedelta
    windows: int  # how many windows were evaluated
    firings: list[PreviewFiring] = field(default_factory=list)
    near_miss: str = ""  # when it never fired: how close the busiest and the most negative windows came

    def summary(self) -> str:
        period = f"{self.start:%Y-%m-%d} to {(self.end - timedelta(seconds=1)):%Y-%m-%d}"
        hours = self.step.total_seconds() / 3600
        every = "hour" if hours == 1 else f"{hours:g} hours"
        if not self.firings:
            return (f"This rule would not have fired from {period} (a window ending every {every}, {self.windows} in all)."
                    + (f" {self.near_miss}" if self.near_miss else ""))  # fmt: skip
        count = len(self.firings)
        return (
            f"This rule would have fired {count_of(count, 'time')} from {period}, first at "
            f"{self.firings[0].window_end:%Y-%m-%d %H:%M} UTC (a window ending every {every}, cooldown and "
            "same-evidence check applied as the worker does)."
        )


def _transient_rule(rule: dict):  # an unsaved rule row
    r = validate_alert_rule({**rule, "name": str(rule.get("name") or "").strip() or "preview"})
    return unsaved_rule(**r)


def preview_alert_rule(rule: dict, first_day: date, last_day: date) -> RulePreview:
    """Replay ``rule`` (the fields of an alert rule, saved or not) over the days ``first_day`` to
    ``last_day`` (both included, UTC). ValueError for an invalid rule or period."""
    if last_day < first_day:
        first_day, last_day = last_day, first_day
    if (last_day - first_day).days + 1 > MAX_PREVIEW_DAYS:
        raise ValueError(f"preview at most {MAX_PREVIEW_DAYS} days at a time")
    candidate = _transient_rule(rule)
    start = datetime.combine(first_day, time.min)
    end = min(datetime.combine(last_day, time.min) + timedelta(days=1), utcnow())  # a window never ends in the future
    if end <= start:
        raise ValueError(f"the period starts on {first_day:%Y-%m-%d}, after today (UTC): pick days up to today")
    hours = max(1, -(-int((end - start).total_seconds() // 3600) // MAX_STEPS))  # 1 hour, coarser for long periods
    step = timedelta(hours=hours)
    firings: list[PreviewFiring] = []
    checks: list[WindowCheck] = []
    last: Firing | None = None
    windows = 0
    with session_scope() as session:
        for moment in _window_ends(start, end, step):
            windows += 1
            if not stays_quiet(session, candidate, moment, last, late_scoring=False):
                checks.append(check := check_window(session, candidate, moment))
                firing = evaluate_rule(session, candidate, moment, check)
                if firing is not None:
                    firings.append(PreviewFiring(moment, firing.counts.items, firing.negative_share, firing.baseline_share, firing.reason))
                    last = firing
        if firings:
            return RulePreview(start, end, step, windows, firings)
        span = items.scope_span(session, items.scope_filter(session, candidate.scope_type, candidate.scope_value),
                                stories=not candidate.count_items)  # fmt: skip
    return RulePreview(start, end, step, windows, firings, near_miss(candidate, checks, span))


def near_miss(rule, checks: list[WindowCheck], span: tuple[int, datetime | None, datetime | None]) -> str:  # noqa: ANN001 - an AlertRule row
    """Why a rule never fired over the windows checked, in the rule's terms: nothing in scope that period (and
    when its stored items were published: ``span``, all of the scope's), never enough stories in one window, or the
    most negative full window and the threshold it stayed under."""
    unit = "stories" if not rule.count_items else "items"
    one = "story" if not rule.count_items else "item"
    at_least = f"at least {count_of(rule.min_items, one, unit)}"
    scope = "" if rule.scope_type == "all" else " " + SCOPE_PHRASES.get(rule.scope_type, "{value!r}").format(value=rule.scope_value)
    busiest = max((c.counts.items for c in checks), default=0)
    if not busiest:
        stored, first, last = span
        if not stored:
            return f"No scored {unit}{scope} are stored at all: check the scope value (Known scope values lists them)."
        days = f"{first:%Y-%m-%d}" + (f" to {last:%Y-%m-%d}" if last.date() != first.date() else "")
        stored_text = count_of(stored, one, unit)
        verb = "is" if stored == 1 else "are"
        return f"No scored {unit}{scope} were published in this period; the {stored_text} stored {verb} from {days}: try those days."
    if busiest < rule.min_items:
        return (f"At most {count_of(busiest, one, unit)}{scope} fell in one {rule.window_hours:g}-hour window; the rule "
                f"needs {rule.min_items:,}.")  # fmt: skip
    full = [c for c in checks if c.counts.items >= rule.min_items]
    worst = max(full, key=lambda c: c.decision.negative_share)
    seen = f"The most negative window with {at_least} was {worst.decision.negative_share:.0%} negative"
    if rule.mode == "share":
        return f"{seen}; the rule fires at {rule.threshold:.0%}."
    measured = [c for c in full if c.decision.baseline_share is not None]
    if not measured:
        return (f"No window with {at_least} had {rule.min_items:,} in the {rule.baseline_days} days before it to "
                "compare with, so a spike could not be measured.")  # fmt: skip
    def needed(c: WindowCheck) -> float:
        return max(c.decision.baseline_share * rule.threshold, c.decision.baseline_share + SPIKE_MIN_DELTA)

    worst = max(measured, key=lambda c: c.decision.negative_share - needed(c))
    base = worst.decision.baseline_share
    return (f"The closest window was {worst.decision.negative_share:.0%} negative against a baseline of {base:.0%}; the "
            f"rule fires from {needed(worst):.0%}.")  # fmt: skip


def _window_ends(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Every ``step`` after ``start`` up to ``end``, and ``end`` itself when the period is cut short at now."""
    count = int((end - start) / step)
    ends = [start + step * n for n in range(1, count + 1)]
    return ends if ends and ends[-1] == end else [*ends, end]

