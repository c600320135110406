"""Alert rules: validation and storage."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.storage import session_scope
from core.storage.tables import AlertRule, Feed, Watchlist

SCOPE_TYPES = ("all", "topic", "company", "watchlist", "keyword", "feed")
MODES = ("share", "spike")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
RULE_DEFAULTS = {
    "scope_value": "",
    "window_hours": 24.0,
    "min_items": 5,
    "mode": "share",
    "threshold": 0.5,
    "baseline_days": 7,
    "cooldown_hours": 12.0,
    "recipients": [],
    "enabled": True,
}


def validate_alert_rule(rule: dict, extra_watchlists=(), extra_feeds=()) -> dict:
    """A complete, checked rule (defaults filled in); ValueError names the first problem."""
    r = {**RULE_DEFAULTS, **rule}
    if not str(r.get("name", "")).strip():
        raise ValueError("an alert rule needs a name")
    if r["scope_type"] not in SCOPE_TYPES:
        raise ValueError(f"scope_type must be one of {', '.join(SCOPE_TYPES)}")
    if r["scope_type"] != "all" and not str(r["scope_value"]).strip():
        raise ValueError(f"a {r['scope_type']} rule needs a scope value")
    if r["mode"] not in MODES:
        raise ValueError("mode must be 'share' (negative share threshold) or 'spike' (factor over baseline)")
    if r["mode"] == "share" and not 0 < float(r["threshold"]) <= 1:
        raise ValueError("for mode 'share' the threshold is a negative share between 0 and 1, e.g. 0.5")
    if r["mode"] == "spike" and float(r["threshold"]) <= 1:
        raise ValueError("for mode 'spike' the threshold is a factor above 1, e.g. 2 = twice the baseline share")
    if float(r["window_hours"]) <= 0 or int(r["min_items"]) < 1 or int(r["baseline_days"]) < 1:
        raise ValueError("window hours must be positive and minimum items and baseline days at least 1")
    if float(r["cooldown_hours"]) < 0:
        raise ValueError("the cooldown cannot be negative")
    recipients = r["recipients"].split(",") if isinstance(r["recipients"], str) else r["recipients"]
    r["recipients"] = [x.strip() for x in recipients if x and x.strip()]
    bad = [x for x in r["recipients"] if not EMAIL.match(x)]
    if bad:
        raise ValueError(f"not a valid email address: {bad[0]!r}")
    _check_scope_exists(r, extra_watchlists, extra_feeds)
    return r


def _check_scope_exists(r: dict, extra_watchlists, extra_feeds) -> None:
    table = {"watchlist": (Watchlist, extra_watchlists), "feed": (Feed, extra_feeds)}.get(r["scope_type"])
    if not table:
        return
    model, extra = table
    if r["scope_value"] in extra:
        return
    with session_scope() as session:
        if session.scalar(select(model.id).where(model.name == r["scope_value"])) is None:
            raise ValueError(f"there is no {r['scope_type']} named {r['scope_value']!r}")


def save_alert_rule(**rule) -> int:
    """Create or update (by name) an alert rule."""
    r = validate_alert_rule(rule)
    with session_scope() as session:
        row = session.scalar(select(AlertRule).where(AlertRule.name == r["name"].strip()))
        row = row or AlertRule(name=r["name"].strip())
        for key in RULE_DEFAULTS:
            setattr(row, key, r[key])
        row.scope_type = r["scope_type"]
        session.add(row)
        session.flush()
        return row.id


def delete_alert_rule(name: str) -> None:
    with session_scope() as session:
        row = session.scalar(select(AlertRule).where(AlertRule.name == name))
        if row is not None:
            session.delete(row)


def list_alert_rules() -> list[dict]:
    with session_scope() as session:
        return [
            {"name": r.name, "scope_type": r.scope_type, **{k: getattr(r, k) for k in RULE_DEFAULTS}}
            for r in session.scalars(select(AlertRule).order_by(AlertRule.name))
        ]
