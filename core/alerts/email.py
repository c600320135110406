"""The alert email: plain text and HTML, worst items with links, and links back to the dashboard."""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlencode

from sqlalchemy import select

from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert, Article


def dashboard_links(alert: Alert, scope_type: str, scope_value: str) -> dict[str, str]:
    base = get_settings().base_url
    query = urlencode(
        {
            "scope_type": scope_type,
            "scope": scope_value,
            "start": alert.window_start.isoformat(timespec="minutes"),
            "end": alert.window_end.isoformat(timespec="minutes"),
        }
    )
    return {"items": f"{base}/financial_sentiment?{query}", "alert": f"{base}/alerts?alert={alert.id}"}


def compose_alert_email(alert_id: int) -> EmailMessage:
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} does not exist")
        rule = alert.rule
        by_id = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(alert.article_ids or [0])))}
        worst = [by_id[i] for i in alert.article_ids if i in by_id]
        links = dashboard_links(alert, rule.scope_type, rule.scope_value)
        subject = (
            f"[Beacon] Negative sentiment spike: {alert.scope_label} "
            f"({alert.negative_share:.0%} negative, {alert.item_count} items)"
        )
        text_lines = [alert.reason, "", "Worst items:"]
        rows = []
        for a in worst:
            text_lines.append(f"- {a.title} ({a.sentiment}, {a.sentiment_confidence or 0:.0%}) {a.link or ''}")
            title = html.escape(a.title)
            cell = f'<a href="{html.escape(a.link, quote=True)}">{title}</a>' if a.link else title
            rows.append(
                f"<tr><td>{cell}</td><td>{html.escape(a.sentiment or '')}</td>"
                f"<td>{(a.sentiment_confidence or 0):.0%}</td><td>{a.published_at:%Y-%m-%d %H:%M}</td></tr>"
            )
        text_lines += ["", f"Items in the dashboard: {links['items']}", f"This alert: {links['alert']}"]
        html_body = (
            f"<p>{html.escape(alert.reason)}</p><table border='1' cellpadding='4'>"
            "<tr><th>Item</th><th>Sentiment</th><th>Confidence</th><th>Published (UTC)</th></tr>"
            + "".join(rows)
            + f'</table><p><a href="{html.escape(links["items"], quote=True)}">Open these items in Beacon</a> · '
            f'<a href="{html.escape(links["alert"], quote=True)}">View the alert</a></p>'
        )
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = get_settings().smtp_from
        message["To"] = ", ".join(alert.recipients)
        message["Message-ID"] = make_msgid(idstring=f"beacon-alert-{alert.id}")
        message.set_content("\n".join(text_lines))
        message.add_alternative(f"<html><body>{html_body}</body></html>", subtype="html")
        return message
