"""Spike detection: turn alert rules plus scored articles into Alert rows.

Each rule is evaluated in its own transaction that first takes the write lock (the rule row on
PostgreSQL, the database on SQLite), so the cooldown check and the insert cannot interleave with
another worker; the unique (rule_id, window_end) constraint backs this up. Re-running adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, case, false, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.alerts.rules import MIN_COOLDOWN_HOURS
from core.auth import requires
from core.sentiment.entities import canonical_company
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, CompanyMention, Feed, Watchlist, utcnow

log = logging.getLogger(__name__)
SPIKE_MIN_DELTA = 0.10  # a spike must also be at least 10 percentage points above the baseline share
WORST_ITEMS = 10


@dataclass(frozen=True)
class WindowStats:
    items: int
    negatives: int

    @property
    def negative_share(self) -> float:
        return self.negatives / self.items if self.items else 0.0


def naive_utc(moment: datetime | None) -> datetime:
    """The database stores naive UTC; accept aware datetimes too."""
    if moment is None:
        return utcnow()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def scope_label(scope_type: str, scope_value: str) -> str:
    return "all items" if scope_type == "all" else f"{scope_type}: {scope_value}"


def _mentions_any(companies: list[str]) -> ColumnElement[bool]:
    keys = {c.strip().lower() for c in companies if c.strip()}
    keys |= {canonical_company(c).lower() for c in companies if c.strip()}
    mentioned = select(CompanyMention.article_id).where(func.lower(CompanyMention.company).in_(sorted(keys)))
    return Article.id.in_(mentioned)


def _contains_any(words: list[str]) -> ColumnElement[bool]:
    clauses = []
    for word in (w.strip().lower() for w in words):
        if word:
            clauses += [
                func.lower(Article.title).contains(word, autoescape=True),
                func.lower(Article.summary).contains(word, autoescape=True),
            ]
    return or_(false(), *clauses)


def _topic(session: Session, topic: str) -> ColumnElement[bool]:
    wanted = topic.strip().lower()
    tagged_feeds = [f.id for f in session.execute(select(Feed.id, Feed.topics)) if wanted in {str(t).lower() for t in f.topics or []}]
    return or_(func.lower(Article.topic) == wanted, Article.feed_id.in_(tagged_feeds))


def _watchlist(session: Session, name: str) -> ColumnElement[bool]:
    watchlist = session.scalar(select(Watchlist).where(Watchlist.name == name))
    if watchlist is None:
        return false()
    return or_(_mentions_any(list(watchlist.companies) + list(watchlist.tickers)), _contains_any(list(watchlist.keywords)))


def scope_filter(session: Session, scope_type: str, scope_value: str) -> ColumnElement[bool] | None:
    """The condition on Article for a scope; None for 'all'."""
    if scope_type == "all":
        return None
    if scope_type == "topic":
        return _topic(session, scope_value)
    if scope_type == "company":
        return _mentions_any([scope_value])
    if scope_type == "watchlist":
        return _watchlist(session, scope_value)
    if scope_type == "keyword":
        return _contains_any([scope_value])
    if scope_type == "feed":
        return Article.feed_id.in_(select(Feed.id).where(Feed.name == scope_value))
    raise ValueError(f"unknown scope type {scope_type!r}")


def _in_scope(scope: ColumnElement[bool] | None, start: datetime, end: datetime, end_inclusive: bool) -> list:
    conditions = [Article.scored_at.is_not(None), Article.published_at >= start]
    conditions.append(Article.published_at <= end if end_inclusive else Article.published_at < end)
    return conditions if scope is None else [*conditions, scope]


def window_stats(session: Session, conditions: list) -> WindowStats:
    negatives = func.coalesce(func.sum(case((Article.sentiment == "negative", 1), else_=0)), 0)
    items, negative = session.execute(select(func.count(Article.id), negatives).where(*conditions)).one()
    return WindowStats(int(items), int(negative))


def worst_article_ids(session: Session, conditions: list, limit: int = WORST_ITEMS) -> list[int]:
    query = (
        select(Article.id)
        .where(*conditions)
        .order_by(func.coalesce(Article.prob_negative, 0.0).desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


SCOPE_PHRASES = {
    "topic": "on the topic {value!r}",
    "company": "mentioning {value}",
    "watchlist": "matching the watchlist {value!r}",
    "keyword": "containing {value!r}",
    "feed": "from the feed {value!r}",
}


def items_phrase(scope_type: str, scope_value: str, items: int) -> str:
    """'all 50 items' or 'the 50 items on the topic 'Earnings'', for an alert's reason."""
    if scope_type == "all":
        return f"all {items} items"
    return f"the {items} items " + SCOPE_PHRASES.get(scope_type, scope_type + " {value!r}").format(value=scope_value)


def _share_reason(rule: AlertRule, stats: WindowStats) -> str:
    return (
        f"{stats.negative_share:.0%} of {items_phrase(rule.scope_type, rule.scope_value, stats.items)} in the last "
        f"{rule.window_hours:g} hours were negative, at or above the rule's threshold of {rule.threshold:.0%}."
    )


def _spike_reason(rule: AlertRule, stats: WindowStats, baseline: float) -> str:
    factor = f"{stats.negative_share / baseline:.1f} times" if baseline else "up from none in"
    return (
        f"{stats.negative_share:.0%} of {items_phrase(rule.scope_type, rule.scope_value, stats.items)} in the last "
        f"{rule.window_hours:g} hours were negative, {factor} the {rule.baseline_days}-day baseline of {baseline:.0%} "
        f"(the rule fires at {rule.threshold:g} times and at least {SPIKE_MIN_DELTA:.0%} points above)."
    )


def _spike_baseline(session: Session, rule: AlertRule, scope, start: datetime) -> float | None:
    """The scope's negative share over the baseline days before the window; None when there are too
    few items to call anything a spike."""
    stats = window_stats(session, _in_scope(scope, start - timedelta(days=rule.baseline_days), start, end_inclusive=False))
    return stats.negative_share if stats.items >= rule.min_items else None


def evaluate_rule(session: Session, rule: AlertRule, now: datetime) -> Alert | None:
    """The alert this rule raises for the window ending ``now``, or None (too few items, test not met).
    Does not look at the cooldown."""
    start = now - timedelta(hours=rule.window_hours)
    scope = scope_filter(session, rule.scope_type, rule.scope_value)
    conditions = _in_scope(scope, start, now, end_inclusive=True)
    stats = window_stats(session, conditions)
    if stats.items < rule.min_items:
        return None
    label, share, baseline = scope_label(rule.scope_type, rule.scope_value), stats.negative_share, None
    if rule.mode == "share":
        if share < rule.threshold:
            return None
        reason = _share_reason(rule, stats)
    else:
        baseline = _spike_baseline(session, rule, scope, start)
        if baseline is None or share < max(baseline * rule.threshold, baseline + SPIKE_MIN_DELTA):
            return None
        reason = _spike_reason(rule, stats, baseline)
    return Alert(
        rule_id=rule.id, fired_at=utcnow(), window_start=start, window_end=now, scope_label=label[:600],
        item_count=stats.items, negative_count=stats.negatives, negative_share=share, baseline_share=baseline,
        reason=reason, article_ids=worst_article_ids(session, conditions), recipients=list(rule.recipients),
        email_status="pending" if rule.recipients else "none",
    )


def last_alert(session: Session, rule_id: int) -> Alert | None:
    """The rule's alert for the latest window."""
    return session.scalar(select(Alert).where(Alert.rule_id == rule_id).order_by(Alert.window_end.desc(), Alert.id.desc()).limit(1))


def cooldown_hours(rule: AlertRule) -> float:
    """The rule's cooldown, at least the minimum (rules stored before the minimum existed may have less)."""
    return max(float(rule.cooldown_hours or 0.0), MIN_COOLDOWN_HOURS)


def _has_new_items(session: Session, rule: AlertRule, now: datetime, last: Alert, late_scoring: bool) -> bool:
    """Whether the window ending ``now`` holds an item the last alert did not count: published after its
    window ended or, with ``late_scoring``, scored after it fired (an older item scored late)."""
    start = now - timedelta(hours=rule.window_hours)
    newer = Article.published_at > last.window_end
    if late_scoring:
        newer = or_(newer, Article.scored_at > last.fired_at)
    conditions = _in_scope(scope_filter(session, rule.scope_type, rule.scope_value), start, now, end_inclusive=True)
    return session.scalar(select(Article.id).where(*conditions, newer).limit(1)) is not None


def stays_quiet(session: Session, rule: AlertRule, now: datetime, last: Alert | None, late_scoring: bool = True) -> bool:
    """True when the rule must not raise an alert for the window ending ``now``: it is still cooling
    down after its last alert, or the window holds the same evidence (no item the last alert did not
    count), which would only repeat that alert."""
    if last is None:
        return False
    if last.window_end >= now or now - last.window_end < timedelta(hours=cooldown_hours(rule)):
        return True
    return not _has_new_items(session, rule, now, last, late_scoring)


def _lock_for_writing(session: Session) -> None:
    # SQLite has no row locks: take the database write lock before reading, so two workers
    # cannot both pass the cooldown check. (pysqlite starts no transaction for reads by itself.)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def _detect_for_rule(rule_id: int, now: datetime) -> int | None:
    with session_scope() as session:
        _lock_for_writing(session)
        rule = session.scalar(select(AlertRule).where(AlertRule.id == rule_id, AlertRule.enabled).with_for_update())
        if rule is None or stays_quiet(session, rule, now, last_alert(session, rule.id)):
            return None
        alert = evaluate_rule(session, rule, now)
        if alert is None:
            return None
        session.add(alert)
        session.flush()
        log.info("alert %s fired for rule %r: %s", alert.id, rule.name, alert.reason)
        return alert.id


@requires("analyst", "run alert detection")
def detect_alerts(now: datetime | None = None) -> list[int]:
    """Evaluate every enabled rule for the window ending ``now``; return the ids of the new alerts.
    A rule that fails is logged and skipped; the others are still evaluated."""
    now = naive_utc(now)
    with session_scope() as session:
        rule_ids = list(session.scalars(select(AlertRule.id).where(AlertRule.enabled).order_by(AlertRule.id)))
    created = []
    for rule_id in rule_ids:
        try:
            alert_id = _detect_for_rule(rule_id, now)
        except IntegrityError:
            log.info("rule %s: this window's alert was already stored by another run", rule_id)
            continue
        except Exception:
            log.exception("rule %s could not be evaluated", rule_id)
            continue
        if alert_id is not None:
            created.append(alert_id)
    return created
