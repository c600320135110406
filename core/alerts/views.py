"""Alerts for the alerts view."""

from __future__ import annotations

from sqlalchemy import select

from core.storage import session_scope
from core.storage.tables import Alert, Article, Feed


def list_alerts(limit: int = 200) -> list[dict]:
    with session_scope() as session:
        return [
            {
                "id": a.id,
                "fired_at": a.fired_at,
                "rule": a.rule.name,
                "scope": a.scope_label,
                "items": a.item_count,
                "negative_share": a.negative_share,
                "baseline_share": a.baseline_share,
                "reason": a.reason,
                "email_status": a.email_status,
                "email_attempts": a.email_attempts,
                "email_error": a.email_last_error,
            }
            for a in session.scalars(select(Alert).order_by(Alert.fired_at.desc(), Alert.id.desc()).limit(limit))
        ]


def alert_items(alert_id: int) -> list[dict]:
    """The worst items of an alert, worst first."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return []
        rows = session.execute(
            select(Article, Feed.name).join(Feed).where(Article.id.in_(alert.article_ids or [0]))
        ).all()
        by_id = {a.id: (a, name) for a, name in rows}
        return [
            {
                "title": a.title,
                "link": a.link,
                "sentiment": a.sentiment,
                "confidence": a.sentiment_confidence,
                "prob_negative": a.prob_negative,
                "published_at": a.published_at,
                "feed": name,
            }
            for a, name in (by_id[i] for i in alert.article_ids if i in by_id)
        ]
