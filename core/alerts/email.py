"""The alert email: plain text and HTML, the worst items with links, and links back to the dashboard.

Everything that comes from feeds (titles, links, feed names) is HTML-escaped in the HTML part.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import urlencode, urlsplit

from core.repositories import alerts as alert_rows
from core.repositories.items import articles_in_order
from core.settings import get_settings
from core.wording import count_of

SUBJECT_SCOPE_LIMIT = 80
ONE = {"stories": "story", "items": "item"}


def web_link(link: str | None) -> str | None:
    """The link if it is an absolute http(s) URL (never javascript: and the like), else None."""
    parts = urlsplit((link or "").strip())
    return link.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def dashboard_links(
    alert_id: int, scope_type: str, scope_value: str, start: datetime, end: datetime, count_items: bool = False
) -> dict[str, str]:
    """Links to the items behind an alert in the sentiment view (counting items there when the rule does), and to
    the alert in the alerts view."""
    base = get_settings().base_url
    params = {"scope_type": scope_type, "scope": scope_value, "start": start.isoformat(timespec="minutes"),
              "end": end.isoformat(timespec="minutes")}
    query = urlencode({**params, "count": "items"} if count_items else params)
    return {"items": f"{base}/financial_sentiment?{query}", "alert": f"{base}/alerts?{urlencode({'alert': alert_id})}"}


def subject_line(alert: dict) -> str:
    """The subject of an alert's email (``alert`` as from ``core.repositories.alerts.get_alert``)."""
    scope = re.sub(r"\s+", " ", alert["scope"]).strip()
    if len(scope) > SUBJECT_SCOPE_LIMIT:
        scope = scope[: SUBJECT_SCOPE_LIMIT - 1] + "…"
    # a spike alert always has the baseline it was compared with; a share alert has none
    kind = "High negative share" if alert["baseline_share"] is None else "Negative sentiment spike"
    return f"[Beacon] {kind}: {scope} ({alert['negative_share']:.0%} negative, {alert['items']} {_counted(alert)})"


def _counted(alert: dict) -> str:
    """What the alert's count is of: as stored when it fired, else (older alerts) what its rule counts now."""
    return alert.get("counted") or ("items" if (alert.get("rule_row") or {}).get("count_items") else "stories")


def items_heading(alert: dict, shown: int) -> str:
    """Above the items of an alert: "The 5 stories, most negative first:" or "The 10 most negative of 42 stories:"
    (the list can hold positive ones when few are negative, so it is not called the worst)."""
    total, counted = alert["items"], _counted(alert)
    if shown >= total:
        return f"The {ONE[counted]}:" if total == 1 else f"The {total} {counted}, most negative first:"
    return f"The {shown} most negative of {total} {counted}:"


def message_id(alert: dict) -> str:
    """Derived from the alert, so a resend after Retry carries the same id as the first email."""
    domain = get_settings().smtp_from.rpartition("@")[2].strip("<> ") or "beacon.local"
    return f"<beacon-alert-{alert['id']}.{alert['fired_at']:%Y%m%d%H%M%S}@{domain}>"


def _worst_items(article_ids: list[int]) -> list[dict]:
    items = articles_in_order(article_ids)
    for item in items:
        item["title"] = " ".join((item["title"] or "").split()) or "(no title)"
        item["link"] = web_link(item["link"])
        item["sentiment"] = item["sentiment"] or ""
    return items


def reported_by(sources: int) -> str:
    """How many feeds carried the item's story (syndicated copies are one story): "reported by 3 sources", or ""
    for a story only its own feed carried (the feed is named beside it; "reported by 1 source" on every line
    said nothing)."""
    return f"reported by {count_of(sources, 'source')}" if sources and sources > 1 else ""


def bracketed(*parts: str) -> str:
    """"[a, b, c]" of the parts that say something."""
    return "[" + ", ".join(p for p in parts if p) + "]"


def _confidence(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _text_body(alert: dict, items: list[dict], links: dict[str, str]) -> str:
    lines = [alert["reason"], "", items_heading(alert, len(items))]
    for item in items:
        when = f"{item['published_at']:%Y-%m-%d %H:%M} UTC"
        sentiment = f"{item['sentiment']} {_confidence(item['confidence'])}".strip()
        lines.append(f"- {item['title']} {bracketed(sentiment, when, item['feed'], reported_by(item['sources']))}")
        if item["link"]:
            lines.append(f"  {item['link']}")
    lines += ["", f"Open these items in Beacon: {links['items']}", f"This alert in Beacon: {links['alert']}", ""]
    return "\n".join(lines)


def _html_row(item: dict) -> str:
    title = html.escape(item["title"])
    if item["link"]:
        title = f'<a href="{html.escape(item["link"], quote=True)}">{title}</a>'
    cells = [
        title,
        html.escape(item["feed"]),
        html.escape(item["sentiment"]),
        _confidence(item["confidence"]),
        f"{item['published_at']:%Y-%m-%d %H:%M}",
        reported_by(item["sources"]),
    ]
    return "<tr>" + "".join(f'<td style="padding:4px 8px;border-bottom:1px solid #ddd">{c}</td>' for c in cells) + "</tr>"


def _html_body(alert: dict, items: list[dict], links: dict[str, str]) -> str:
    header = "".join(
        f'<th style="text-align:left;padding:4px 8px">{h}</th>'
        for h in ("Item", "Feed", "Sentiment", "Confidence", "Published (UTC)", "Story")
    )
    return (
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">"
        f"<p>{html.escape(alert['reason'])}</p>"
        f"<p>{items_heading(alert, len(items))}</p>"
        f'<table style="border-collapse:collapse"><tr>{header}</tr>{"".join(_html_row(i) for i in items)}</table>'
        f'<p><a href="{html.escape(links["items"], quote=True)}">Open these items in Beacon</a>'
        f' &middot; <a href="{html.escape(links["alert"], quote=True)}">View this alert</a></p>'
        "</body></html>"
    )


def compose_alert_email(alert_id: int) -> EmailMessage:
    """The notification for one alert, addressed to its recipients snapshot."""
    alert = alert_rows.get_alert(alert_id)
    if alert is None:
        raise LookupError(f"alert {alert_id} does not exist")
    rule = alert["rule_row"]
    items = _worst_items(alert["article_ids"])
    links = dashboard_links(alert["id"], rule["scope_type"], rule["scope_value"], alert["window_start"], alert["window_end"],
                            bool(rule.get("count_items")))
    message = EmailMessage()
    message["Subject"] = subject_line(alert)
    message["From"] = get_settings().smtp_from
    if alert["recipients"]:
        message["To"] = ", ".join(alert["recipients"])
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(alert)
    message.set_content(_text_body(alert, items, links))
    message.add_alternative(_html_body(alert, items, links), subtype="html")
    return message
