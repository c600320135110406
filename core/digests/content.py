"""What a digest says: counts and negative share with the change since the previous digest, the most negative
stories with links and how many sources reported each, the alerts fired in the period and a small trend table (HTML
and plain text: a table renders in every mail client and needs no image library). It counts stories, as the
Financial sentiment page does by default: syndicated copies of one story count once.

Everything from feeds (titles, links, feed names) is HTML-escaped in the HTML part."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from core.alerts.detect import scope_label
from core.alerts.email import bracketed, dashboard_links, reported_by, web_link
from core.alerts.workflow import PHRASES
from core.digests.schedule import Period, previous_periods
from core.digests.subscriptions import schedule_of
from core.repositories import digests as digest_rows
from core.settings import get_settings
from core.stats import share_text
from core.wording import count_of

TOP_ITEMS = 5
TREND_PERIODS = {"daily": 7, "weekly": 8}
CELL = 'style="text-align:left;padding:4px 8px;border-bottom:1px solid #ddd"'


@dataclass(frozen=True)
class Counts:
    items: int
    negative: int

    @property
    def share(self) -> float | None:
        return self.negative / self.items if self.items else None


@dataclass(frozen=True)
class Digest:
    subscription: dict
    period: Period
    counts: Counts
    previous: Counts
    top: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    trend: list[tuple[Period, Counts]] = field(default_factory=list)
    link: str = ""

    @property
    def scope(self) -> str:
        return scope_label(self.subscription["scope_type"], self.subscription["scope_value"])


def share_change(now: float | None, before: float | None, before_items: int) -> str:
    """The negative share's change since the previous digest, in percentage points, or why there is none to show."""
    if now is None:
        return "no stories in this period"
    if before is None:
        return "no stories in the previous digest's period to compare with"
    points = round((now - before) * 100)
    change = "unchanged" if points == 0 else f"{points:+d} pp"
    return f"{change} since the previous digest, which had {share_text(before)} of {before_items}"


def count_change(now: int, before: int) -> str:
    return "unchanged" if now == before else f"{now - before:+d}"


def build_digest(subscription: dict, period: Period) -> Digest:
    """The digest of ``subscription`` for ``period`` (as ``core.digests.schedule.due_period`` gives it)."""
    scope = (subscription["scope_type"], subscription["scope_value"])
    trend_periods = previous_periods(schedule_of(subscription), period, TREND_PERIODS[subscription["frequency"]])
    trend = [(p, Counts(*digest_rows.counts(*scope, p.start, p.end))) for p in trend_periods]
    top = digest_rows.worst_negative(*scope, period.start, period.end, TOP_ITEMS)
    for item in top:
        item["title"] = " ".join((item["title"] or "").split()) or "(no title)"
        item["link"] = web_link(item["link"])
    link = dashboard_links(0, *scope, period.start, period.end)["items"]
    return Digest(
        subscription, period, trend[-1][1], trend[-2][1], top, digest_rows.alerts_fired(*scope, period.start, period.end), trend, link
    )


def subject_line(d: Digest) -> str:
    kind = "Daily" if d.subscription["frequency"] == "daily" else "Weekly"
    counts = f"{count_of(d.counts.items, 'story', 'stories')}, {share_text(d.counts.share)} negative"
    return f"[Beacon] {kind} digest {d.subscription['name']}: {d.scope} ({counts})"


def _period_text(period: Period) -> str:
    return f"{period.start:%Y-%m-%d %H:%M} to {period.end:%Y-%m-%d %H:%M} UTC"


def digest_text(d: Digest) -> str:
    c, p = d.counts, d.previous
    lines = [
        subject_line(d),
        f"Scope: {d.scope}. Period: {_period_text(d.period)} (due {d.period.key}).",
        "",
        f"Stories: {c.items} ({count_change(c.items, p.items)} since the previous digest)",
        f"Negative: {c.negative}, share {share_text(c.share)} ({share_change(c.share, p.share, p.items)})",
        "",
        f"Most negative stories ({len(d.top)}):" if d.top else "Most negative stories: none in this period.",
    ]
    for item in d.top:
        when = f"{item['published_at']:%Y-%m-%d %H:%M} UTC"
        lines.append(f"- {item['title']} {bracketed(item['feed'], when, reported_by(item['sources']))}")
        if item["link"]:
            lines.append(f"  {item['link']}")
    lines += ["", f"Alerts fired ({len(d.alerts)}):" if d.alerts else "Alerts fired: none."]
    lines += [f"- {a['fired_at']:%Y-%m-%d %H:%M} UTC {a['rule']}: {a['reason']}{alert_state(a)}" for a in d.alerts]
    lines += ["", "Trend, one row per digest period (named by the day it is due):", f"{'due':<12} {'stories':>7} {'negative':>9}"]
    lines += [f"{q.key:<12} {n.items:>7} {share_text(n.share):>9}" for q, n in d.trend]
    lines += ["", f"Open these stories in Beacon: {d.link}", ""]
    return "\n".join(lines)


def alert_state(alert: dict) -> str:
    """What the team did with a fired alert, for the digest: " (marked a false alarm by ana)"; nothing while open."""
    state = alert.get("state") or "open"
    if state == "open":
        return ""
    by = f" by {alert['state_changed_by']}" if alert.get("state_changed_by") else ""
    return f" ({PHRASES.get(state, state)}{by})"


def _bar(share: float | None) -> str:
    width = 0 if share is None else round(share * 100)
    return f'<div style="background:#c0392b;height:10px;width:{width}px"></div>'


def digest_html(d: Digest) -> str:
    c, p = d.counts, d.previous
    rows = []
    for item in d.top:
        title = html.escape(item["title"])
        if item["link"]:
            title = f'<a href="{html.escape(item["link"], quote=True)}">{title}</a>'
        rows.append(
            f"<tr><td {CELL}>{title}</td><td {CELL}>{html.escape(item['feed'])}</td>"
            f"<td {CELL}>{item['published_at']:%Y-%m-%d %H:%M}</td><td {CELL}>{reported_by(item['sources'])}</td></tr>"
        )
    alerts = "".join(f"<li>{a['fired_at']:%Y-%m-%d %H:%M} UTC {html.escape(a['rule'])}: {html.escape(a['reason'] + alert_state(a))}</li>"
                     for a in d.alerts)  # fmt: skip
    trend = "".join(
        f"<tr><td {CELL}>{q.key}</td><td {CELL}>{n.items}</td><td {CELL}>{share_text(n.share)}</td><td {CELL}>{_bar(n.share)}</td></tr>"
        for q, n in d.trend
    )
    return (
        '<!DOCTYPE html><html><body style="font-family:sans-serif">'
        f"<h2>{html.escape(subject_line(d))}</h2>"
        f"<p>Scope: {html.escape(d.scope)}. Period: {_period_text(d.period)}.</p>"
        f"<p><b>{c.items}</b> {'story' if c.items == 1 else 'stories'} ({count_change(c.items, p.items)} since the previous digest); "
        f"<b>{share_text(c.share)}</b> negative ({html.escape(share_change(c.share, p.share, p.items))}).</p>"
        f"<h3>Most negative stories</h3>"
        + (f'<table style="border-collapse:collapse">{"".join(rows)}</table>' if rows else "<p>None in this period.</p>")
        + "<h3>Alerts fired</h3>"
        + (f"<ul>{alerts}</ul>" if alerts else "<p>None.</p>")
        + f'<h3>Trend</h3><p>One row per digest period, named by the day it is due.</p>'
        f'<table style="border-collapse:collapse"><tr><th {CELL}>Due</th><th {CELL}>Stories</th>'
        f"<th {CELL}>Negative</th><th {CELL}></th></tr>{trend}</table>"
        f'<p><a href="{html.escape(d.link, quote=True)}">Open these stories in Beacon</a></p>'
        "</body></html>"
    )


def compose_digest_email(d: Digest) -> EmailMessage:
    """The digest email to the subscription's recipients; its Message-ID is derived from the subscription and period,
    so a retry carries the same id."""
    settings = get_settings()
    domain = settings.smtp_from.rpartition("@")[2].strip("<> ") or "beacon.local"
    message = EmailMessage()
    message["Subject"] = subject_line(d)
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(d.subscription["recipients"])
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<beacon-digest-{d.subscription['id']}.{d.period.key}@{domain}>"
    message.set_content(digest_text(d))
    message.add_alternative(digest_html(d), subtype="html")
    return message
