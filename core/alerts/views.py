"""Alerts for the alerts view: the list, and one alert with its rule and worst items."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts.rules import rule_as_dict
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, Feed


def dashboard_links(alert_id: int, scope_type: str, scope_value: str, start: datetime, end: datetime) -> dict[str, str]:
    """Links to the items behind an alert in the sentiment view, and to the alert in the alerts view."""
    base = get_settings().base_url
    query = urlencode(
        {
            "scope_type": scope_type,
            "scope": scope_value,
            "start": start.isoformat(timespec="minutes"),
            "end": end.isoformat(timespec="minutes"),
        }
    )
    return {"items": f"{base}/financial_sentiment?{query}", "alert": f"{base}/alerts?{urlencode({'alert': alert_id})}"}


def _alert_row(alert: Alert, rule_name: str) -> dict:
    return {
        "id": alert.id,
        "fired_at": alert.fired_at,
        "rule": rule_name,
        "scope": alert.scope_label,
        "window_start": alert.window_start,
        "window_end": alert.window_end,
        "items": alert.item_count,
        "negatives": alert.negative_count,
        "negative_share": alert.negative_share,
        "baseline_share": alert.baseline_share,
        "reason": alert.reason,
        "email_status": alert.email_status,
        "email_attempts": alert.email_attempts,
        "email_error": alert.email_last_error,
        "email_sent_at": alert.email_sent_at,
        "email_next_attempt_at": alert.email_next_attempt_at,
    }


def list_alerts(limit: int = 200) -> list[dict]:
    """The newest alerts first."""
    with session_scope() as session:
        rows = session.execute(
            select(Alert, AlertRule.name)
            .join(AlertRule, AlertRule.id == Alert.rule_id)
            .order_by(Alert.fired_at.desc(), Alert.id.desc())
            .limit(limit)
        ).all()
        return [_alert_row(alert, name) for alert, name in rows]


def alert_articles(session: Session, article_ids: list[int]) -> list[dict]:
    """The articles with these ids, in the given order, with their feed names."""
    rows = session.execute(
        select(Article, Feed.name).join(Feed, Feed.id == Article.feed_id).where(Article.id.in_(article_ids or [-1]))
    ).all()
    by_id = {article.id: (article, feed) for article, feed in rows}
    return [
        {
            "title": article.title,
            "link": article.link,
            "sentiment": article.sentiment,
            "confidence": article.sentiment_confidence,
            "prob_negative": article.prob_negative,
            "published_at": article.published_at,
            "feed": feed,
        }
        for article, feed in (by_id[i] for i in article_ids if i in by_id)
    ]


def alert_items(alert_id: int) -> list[dict]:
    """The worst items of an alert, worst first (items deleted since are left out)."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        return [] if alert is None else alert_articles(session, list(alert.article_ids))


def alert_detail(alert_id: int) -> dict:
    """One alert with its rule, recipients, worst items and dashboard links."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} does not exist")
        rule = session.get(AlertRule, alert.rule_id)
        return {
            **_alert_row(alert, rule.name),
            "recipients": list(alert.recipients),
            "rule": rule_as_dict(rule),
            "articles": alert_articles(session, list(alert.article_ids)),
            "links": dashboard_links(alert.id, rule.scope_type, rule.scope_value, alert.window_start, alert.window_end),
        }
