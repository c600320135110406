"""What the Alerts page's Digests tab shows and decides: the subscriptions table, the form's starting values, the
schedule in words and the preview text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core.digests import get_digest_subscription, preview_digest
from core.digests.schedule import WEEKDAYS, next_period
from core.digests.send import period_to_send, retry_problem
from core.digests.subscriptions import schedule_of
from core.repositories import digests as digest_rows
from core.storage.tables import naive_utc
from core.views.app import error_text

__all__ = ["error_text"]

NEW = "+ New digest"
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
)


def next_send_text(sub: Mapping, last: Mapping | None, now: datetime | None = None) -> str:
    """When the worker sends the digest next: its due period at the next cycle when that was not sent yet (and
    ended after the digest was created), else the end of the next period, in UTC."""
    if not sub["enabled"]:
        return "– (disabled)"
    now = naive_utc(now)
    due = period_to_send(dict(sub), now)
    if due is not None and (last is None or last["period"] != due.key):
        return "now: at the worker's next cycle"
    return f"{next_period(schedule_of(sub), now).end:%Y-%m-%d %H:%M} UTC"


def subscriptions_table(subs: Sequence[Mapping], now: datetime | None = None) -> pd.DataFrame:
    rows = []
    for s in subs:
        sends = digest_rows.sends_of(s["id"], limit=1)
        last = sends[0] if sends else None
        status = last and ("queued to send again" if last["status"] == "queued" else last["status"])
        last_text = "never sent" if last is None else f"{last['period']}: {status}"
        if last and last["error"]:
            last_text += f" ({last['error']})"
        rows.append({
            "name": s["name"],
            "enabled": s["enabled"],
            "scope": "all items" if s["scope_type"] == "all" else f"{s['scope_type']}: {s['scope_value']}",
            "schedule": schedule_of(s).describe(),
            "recipients": ", ".join(s["recipients"]),
            "last": last_text,
            "next": next_send_text(s, last, now),
            "owner": s["owner"],
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["name", "enabled", "scope", "schedule", "recipients", "last", "next", "owner"])


def form_values(sub: Mapping | None) -> dict:
    """The form's starting values: the subscription's, or a new daily 08:00 UTC digest of all items."""
    if sub is None:
        return {
            "name": "",
            "scope_type": "all",
            "scope_value": "",
            "frequency": "daily",
            "weekday": 0,
            "send_time": "08:00",
            "time_zone": "UTC",
            "recipients": "",
            "enabled": True,
        }
    return {**sub, "weekday": sub["weekday"] or 0, "recipients": ", ".join(sub["recipients"])}


def weekday_name(index: int) -> str:
    return WEEKDAYS[index]


@dataclass(frozen=True)
class DigestPreview:
    caption: str
    text: str


def preview(name: str, now: datetime | None = None) -> DigestPreview:
    """The next digest of the subscription named ``name`` as it stands at ``now``: what has been published since the
    last one (a preview of the digest already due would show a period that ended, often empty for a new digest)."""
    sub = get_digest_subscription(name)
    now = naive_utc(now)
    due = next_period(schedule_of(sub), now).end
    caption = f"The next digest, due {due:%Y-%m-%d %H:%M} UTC, with what has been published so far (nothing is sent):"
    return DigestPreview(caption, preview_digest(sub, now, upcoming=True))


def retryable_sends(name: str, now: datetime | None = None) -> list[dict]:
    """The recent periods of the digest ``name`` that an analyst can send again (failed, or left 'sending' by a
    stopped worker), newest first, each with ``label`` for the picker and ``interrupted`` when it may have gone out."""
    sub = get_digest_subscription(name)
    if sub is None:
        return []
    now = naive_utc(now)
    found = []
    for send in digest_rows.sends_of(sub["id"], limit=20):
        if retry_problem(send, now) is None:
            interrupted = send["status"] == "sending"
            reason = "interrupted while sending" if interrupted else (send["error"] or "failed")
            found.append({**send, "interrupted": interrupted, "label": f"{send['period']}: {reason}"})
    return found
