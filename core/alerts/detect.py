"""Spike detection: turn alert rules plus scored articles into Alert rows (idempotent)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from core.sentiment.entities import canonical_company
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, CompanyMention, Feed, Watchlist, utcnow

SPIKE_MIN_DELTA = 0.10  # a spike must also be at least 10 points above the baseline share


def _keyword_clause(words: list[str]):
    likes = []
    for word in words:
        pattern = f"%{word.lower()}%"
        likes += [func.lower(Article.title).like(pattern), func.lower(Article.summary).like(pattern)]
    return or_(*likes) if likes else None


def _scope_clause(session, rule: AlertRule):
    value = rule.scope_value.strip()
    if rule.scope_type == "topic":
        feed_ids = [f.id for f in session.scalars(select(Feed)) if value.lower() in [t.lower() for t in f.topics]]
        return or_(func.lower(Article.topic) == value.lower(), Article.feed_id.in_(feed_ids))
    if rule.scope_type == "company":
        keys = {canonical_company(value).lower(), value.lower()}
        mentioned = select(CompanyMention.article_id).where(func.lower(CompanyMention.company).in_(keys))
        return Article.id.in_(mentioned)
    if rule.scope_type == "keyword":
        return _keyword_clause([value])
    if rule.scope_type == "feed":
        return Article.feed_id.in_(select(Feed.id).where(Feed.name == value))
    if rule.scope_type == "watchlist":
        watchlist = session.scalar(select(Watchlist).where(Watchlist.name == value))
        if watchlist is None:
            return Article.id.is_(None)
        keys = {canonical_company(c).lower() for c in watchlist.companies + watchlist.tickers}
        keys |= {c.lower() for c in watchlist.companies}
        clauses = [
            Article.id.in_(select(CompanyMention.article_id).where(func.lower(CompanyMention.company).in_(keys)))
        ]
        keyword = _keyword_clause(list(watchlist.keywords))
        return or_(*clauses, keyword) if keyword is not None else clauses[0]
    return None


def _window(session, rule: AlertRule, start: datetime, end: datetime) -> list[Article]:
    query = select(Article).where(
        Article.scored_at.is_not(None), Article.published_at >= start, Article.published_at < end
    )
    clause = _scope_clause(session, rule)
    if clause is not None:
        query = query.where(clause)
    return list(session.scalars(query))


def _negative_share(articles: list[Article]) -> float:
    return sum(a.sentiment == "negative" for a in articles) / len(articles) if articles else 0.0


def scope_label(rule: AlertRule) -> str:
    return "all items" if rule.scope_type == "all" else f"{rule.scope_type} {rule.scope_value}"


def evaluate_rule(session, rule: AlertRule, now: datetime) -> Alert | None:
    """The alert this rule raises now, or None (not enough items, below threshold, cooling down)."""
    start = now - timedelta(hours=rule.window_hours)
    last = session.scalar(select(func.max(Alert.fired_at)).where(Alert.rule_id == rule.id))
    if last is not None and last > now - timedelta(hours=rule.cooldown_hours):
        return None
    items = _window(session, rule, start, now)
    if len(items) < rule.min_items:
        return None
    share = _negative_share(items)
    baseline = None
    if rule.mode == "share":
        if share < rule.threshold:
            return None
        reason = f"{share:.0%} of {len(items)} items about {scope_label(rule)} were negative (threshold {rule.threshold:.0%})"
    else:
        baseline = _negative_share(_window(session, rule, start - timedelta(days=rule.baseline_days), start))
        if share < max(baseline * rule.threshold, baseline + SPIKE_MIN_DELTA):
            return None
        reason = (
            f"negative share for {scope_label(rule)} rose to {share:.0%} of {len(items)} items, "
            f"against a {rule.baseline_days}-day baseline of {baseline:.0%}"
        )
    worst = sorted(items, key=lambda a: a.prob_negative or 0.0, reverse=True)[:10]
    return Alert(
        rule_id=rule.id,
        fired_at=now,
        window_start=start,
        window_end=now,
        scope_label=scope_label(rule),
        item_count=len(items),
        negative_count=sum(a.sentiment == "negative" for a in items),
        negative_share=share,
        baseline_share=baseline,
        reason=reason,
        article_ids=[a.id for a in worst],
        recipients=list(rule.recipients),
        email_status="pending" if rule.recipients else "none",
    )


def detect_alerts(now: datetime | None = None) -> list[int]:
    """Evaluate every enabled rule; store and return the new alerts. Re-running adds nothing
    (cooldown plus the unique (rule, window_end) constraint)."""
    now = now or utcnow()
    created = []
    with session_scope() as session:
        for rule in session.scalars(select(AlertRule).where(AlertRule.enabled).order_by(AlertRule.id)):
            alert = evaluate_rule(session, rule, now)
            if alert is not None:
                session.add(alert)
                session.flush()
                created.append(alert.id)
    return created
