"""What the Alerts page shows and decides (no streamlit here): the alerts, one alert with its worst items
and links, alert rules and the rule form, the rule preview, watchlists, and where alert emails link to.
Everything returned is plain data; the SQL is in ``core.repositories``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pandas as pd

from core.alerts.email import dashboard_links, items_heading
from core.alerts.preview import RulePreview
from core.alerts.rules import MIN_COOLDOWN_HOURS, RULE_DEFAULTS
from core.alerts.workflow import FINAL, STATE_LABELS
from core.repositories import alerts as alert_rows
from core.repositories import items
from core.repositories import users as accounts
from core.settings import get_settings
from core.stats import share_text
from core.storage.tables import utcnow
from core.views.app import DEFAULT_DAYS, Notice, date_range, error_text, today
from core.views.financial_sentiment import ITEMS_TAB, filter_options, stored_item_span
from core.wording import count_of

__all__ = ["date_range", "error_text", "items_heading"]  # shared names the page reaches through this module

RECIPIENTS_HELP = ("Separate addresses with commas or semicolons; a list copied from a mail program "
                   "('Risk Team <risk@example.com>; …') works as it is.")
EMAIL_STATUS = {
    "pending": "pending",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed",
    "none": "no recipients",
}


def alert_items(alert_id: int) -> list[dict]:
    """The worst items of an alert, worst first (items deleted since are left out)."""
    alert = alert_rows.get_alert(alert_id)
    return [] if alert is None else items.articles_in_order(alert["article_ids"])


def alert_detail(alert_id: int) -> dict:
    """One alert with its rule, recipients, worst items and dashboard links."""
    alert = alert_rows.get_alert(alert_id)
    if alert is None:
        raise LookupError(f"alert {alert_id} does not exist")
    rule = alert.pop("rule_row")
    return {
        **{k: v for k, v in alert.items() if k != "article_ids"},
        "rule": rule,
        "articles": items.articles_in_order(alert["article_ids"]),
        "links": dashboard_links(alert["id"], rule["scope_type"], rule["scope_value"], alert["window_start"], alert["window_end"],
                                 bool(rule.get("count_items"))),
    }


def email_status_text(alert: Mapping) -> str:
    status = alert.get("email_status")
    text = EMAIL_STATUS.get(status, str(status or ""))
    if status == "failed":
        attempts = alert.get("email_attempts") or 0
        text = f"failed after {count_of(attempts, 'attempt')}"
        if alert.get("email_error"):
            text += f": {alert['email_error']}"
    elif status == "pending" and alert.get("email_error"):
        text = f"retrying (last error: {alert['email_error']})"
    return text


def counted_label(alert: Mapping) -> str:
    """The label of the alert's count: what its rule counted when it fired (alerts from before 0020 do not say)."""
    return {"stories": "Stories in the window", "items": "Items in the window"}.get(
        alert.get("counted"), "Stories or items in the window"
    )


def alerts_table(alerts: Sequence[Mapping]) -> pd.DataFrame:
    rows = [
        {
            "id": a["id"],
            "fired_at": a["fired_at"],
            "rule": a["rule"],
            "scope": a["scope"],
            "items": a["items"],
            "negative_share": a["negative_share"],
            "baseline_share": share_text(a.get("baseline_share")),
            "state": state_label(a),
            "email": email_status_text(a),
        }
        for a in alerts
    ]
    columns = ["id", "fired_at", "rule", "scope", "items", "negative_share", "baseline_share", "state", "email"]
    return pd.DataFrame(rows, columns=columns)


def alert_label(alert: Mapping) -> str:
    fired = alert["fired_at"]
    when = f"{fired:%Y-%m-%d %H:%M}" if isinstance(fired, datetime) else str(fired)
    return f"#{alert['id']} · {when} · {alert['rule']} · {alert['scope']}"


def parse_alert_id(value: object) -> int | None:
    text = str(value or "").strip().lstrip("#")
    return int(text) if text.isdigit() else None


ALERTS_SHOWN = 200  # the newest alerts listed; an older one opened by its link is listed too


@dataclass(frozen=True)
class AlertList:
    alerts: list[dict]  # newest first; an older alert asked for by a link comes last
    total: int  # alerts stored

    @property
    def caption(self) -> str | None:
        if self.total <= ALERTS_SHOWN:
            return None
        return f"The newest {ALERTS_SHOWN:,} of {self.total:,} alerts; an older one opens from its link (?alert=number)."


def alerts_to_show(requested: int | None) -> AlertList:
    """The newest alerts, and the one a link (an alert email) asks for when it is older than those."""
    alerts = alert_rows.list_alerts(ALERTS_SHOWN)
    if requested is not None and requested not in {a["id"] for a in alerts}:
        linked = alert_rows.get_alert(requested)
        if linked is not None:
            alerts.append(linked)
    return AlertList(alerts, alert_rows.alert_count())


def alert_index(requested: object, ids: Sequence[int]) -> int:
    """Index of the alert asked for by ``?alert=ID`` among ``ids`` (0 when absent or unknown)."""
    wanted = parse_alert_id(requested)
    return ids.index(wanted) if wanted in ids else 0


def alert_dashboard_params(alert_id: int) -> dict[str, str] | None:
    """Query parameters of the Financial sentiment view behind an alert (as in its email)."""
    alert = alert_rows.get_alert(alert_id)
    if alert is None:
        return None
    return {
        "scope_type": alert["rule_row"]["scope_type"],
        "scope": alert["rule_row"]["scope_value"],
        "start": alert["window_start"].isoformat(timespec="minutes"),
        "end": alert["window_end"].isoformat(timespec="minutes"),
        "tab": ITEMS_TAB,  # the items, whichever tab of that page was used last
    }


def state_label(alert: Mapping) -> str:
    """An alert's workflow state in words: 'snoozed until 2026-12-01 09:00' (or '… (over)' once it has passed),
    with the assignee."""
    state = alert.get("state") or "open"
    text = STATE_LABELS.get(state, state)
    until = alert.get("snoozed_until")
    if state == "snoozed" and isinstance(until, datetime):
        text += f" until {until:%Y-%m-%d %H:%M} UTC" + (" (over)" if until <= utcnow() else "")
    if alert.get("assignee"):
        text += f" · assigned to {alert['assignee']}"
    return text


def state_text(alert: Mapping) -> str:
    """The state and who changed it when, for the alert detail."""
    text = f"State: {state_label(alert)}"
    changed = alert.get("state_changed_at")
    if alert.get("state_changed_by") and isinstance(changed, datetime):
        how = "reopened by" if (alert.get("state") or "open") == "open" else "by"  # an open alert changed was reopened
        text += f" ({how} {alert['state_changed_by']}, {changed:%Y-%m-%d %H:%M} UTC)"
    return text


def can_change(alert: Mapping) -> bool:
    """Whether the workflow can change this alert as it is (a resolved alert or a false alarm can only be reopened)."""
    return (alert.get("state") or "open") not in FINAL


def assignable_users() -> list[str]:
    """Active users an alert can be assigned to."""
    return accounts.active_usernames()


def false_alarm_rates() -> dict[int, tuple[int, int]]:
    """rule id -> (false alarms, alerts) of that rule."""
    return alert_rows.alert_counts_by_rule()


def false_alarm_rate_text(counts: tuple[int, int] | None) -> str:
    if not counts or not counts[1]:
        return "no alerts yet"
    marked, total = counts
    return f"{marked / total:.0%} ({marked} of {count_of(total, 'alert')} marked a false alarm)"


def rule_deletion_question(name: str) -> str:
    """The confirmation before a rule is deleted, saying how many fired alerts go with it."""
    rule_id = next((r["id"] for r in alert_rows.list_rules() if r["name"] == name), None)
    total = alert_rows.alert_counts_by_rule().get(rule_id, (0, 0))[1]
    goes = (f" Its {count_of(total, 'fired alert')} {'is' if total == 1 else 'are'} deleted with it; a link to "
            f"{'it' if total == 1 else 'one'} in an email will say it was not found.") if total else ""
    return f"Delete the alert rule {name!r}?{goes} This cannot be undone."


def rules_table(rules: Sequence[Mapping], rates: Mapping[int, tuple[int, int]] | None = None) -> pd.DataFrame:
    """The rules; with ``rates`` (``false_alarm_rates()``) each rule's alert count and false-alarm rate, so a
    noisy rule stands out."""
    rates = rates or {}
    rows = []
    for r in rules:
        marked, total = rates.get(r.get("id"), (0, 0))
        test = (
            f"negative share ≥ {r['threshold']:.0%}"
            if r["mode"] == "share"
            else f"negative share ≥ {r['threshold']:g} × the {r['baseline_days']}-day baseline"
        )
        rows.append(
            {
                "name": r["name"],
                "enabled": bool(r["enabled"]),
                "scope": "all items" if r["scope_type"] == "all" else f"{r['scope_type']}: {r['scope_value']}",
                "test": test,
                "window_hours": r["window_hours"],
                "min_items": r["min_items"],
                "counts": "items" if r.get("count_items") else "stories",
                "cooldown_hours": r["cooldown_hours"],
                "recipients": ", ".join(r["recipients"] or []),
                "alerts": total,
                "false_alarm_rate": marked / total if total else None,
            }
        )
    columns = ["name", "enabled", "scope", "test", "window_hours", "min_items", "counts", "cooldown_hours", "recipients", "alerts",
               "false_alarm_rate"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).astype({"false_alarm_rate": float})


def watchlist_saved_text(name: str, existed: bool) -> str:
    """The Save watchlist outcome: a watchlist saved under an existing name replaced that one's lists, and says so."""
    if existed:
        return f"Watchlist {name.strip()!r} updated: its companies, tickers and keywords are now the ones entered."
    return f"Watchlist {name.strip()!r} saved."


def watchlist_form_values(watchlist: Mapping | None) -> dict[str, str]:
    """What the watchlist form starts with: the watchlist being edited (its lists comma-separated), or blanks."""
    if not watchlist:
        return {"name": "", "companies": "", "tickers": "", "keywords": ""}
    return {"name": watchlist["name"]} | {k: ", ".join(watchlist[k]) for k in ("companies", "tickers", "keywords")}


def rule_form_values(rule: Mapping | None) -> dict:
    """What the rule form starts with: the rule being edited, or the defaults for a new one."""
    values = {"name": "", "scope_type": "all", **RULE_DEFAULTS}
    if rule:
        values.update({k: rule[k] for k in values if k in rule})
    values["recipients"] = ", ".join(values["recipients"] or [])
    values["cooldown_hours"] = max(float(values["cooldown_hours"]), MIN_COOLDOWN_HOURS)
    return values


def default_preview_period(days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The last ``days`` days, or the last ``days`` days with stored items when they are older (the
    sample feeds), so a first preview has something to look at."""
    span = stored_item_span()
    end = today() if span is None or span[1] >= today() - timedelta(days=days) else span[1]
    return end - timedelta(days=days - 1), end


def preview_table(preview: RulePreview) -> pd.DataFrame:
    rows = [
        {"window_end": f.window_end, "items": f.items, "negative_share": f.negative_share, "baseline_share": share_text(f.baseline_share),
         "reason": f.reason}
        for f in preview.firings
    ]
    return pd.DataFrame(rows, columns=["window_end", "items", "negative_share", "baseline_share", "reason"])


def alert_link_notice(app_port: int | None) -> Notice:
    """Where alert emails link to, and a warning when that cannot be this app: a localhost address on
    another port than the one the app runs on (BEACON_BASE_URL unset or stale)."""
    base = get_settings().base_url
    parts = urlsplit(base)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    if app_port and parts.hostname in ("localhost", "127.0.0.1", "::1") and port != app_port:
        return Notice(
            "warning",
            f"Alert emails link to {base}, but this app runs on port {app_port}, so their links will not open Beacon. "
            "Set BEACON_BASE_URL to the address people open Beacon at, then restart the app and the worker.",
        )
    return Notice("caption", f"Alert emails link to {base} (set by BEACON_BASE_URL).")


def watchlists_table(watchlists: Sequence[Mapping]) -> pd.DataFrame:
    rows = [
        {
            "name": w["name"],
            "companies": ", ".join(w["companies"]),
            "tickers": ", ".join(w["tickers"]),
            "keywords": ", ".join(w["keywords"]),
        }
        for w in watchlists
    ]
    return pd.DataFrame(rows, columns=["name", "companies", "tickers", "keywords"])


def scope_warning(scope_type: str, scope_value: str) -> str | None:
    """Why a rule or digest of this scope would match nothing yet (a topic nothing has, a company Beacon does not
    tag), or None."""
    from core.alerts.rules import unknown_topic, untagged_company

    check = {"topic": unknown_topic, "company": untagged_company}.get(scope_type)
    return check(scope_value) if check and scope_value.strip() else None


def scope_suggestions() -> dict[str, list[str]]:
    """Known values per alert scope type, to help fill in a rule."""
    options = filter_options()
    return {
        "topic": list(options["topics"]),
        "company": list(options["companies"])[:20],
        "watchlist": [w["name"] for w in items.list_watchlists()],
        "feed": [name for _, name in options["feeds"]],
    }
