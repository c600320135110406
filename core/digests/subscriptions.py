"""Digest subscriptions: validation and storage (the SQL is in ``core.repositories.digests``)."""

from __future__ import annotations

from collections.abc import Iterable

from core.alerts.rules import NAME_LIMIT, SCOPE_LIMIT, _recipients, _text, stored_scope_name, unknown_scope
from core.auth import requires
from core.auth.audit import record
from core.auth.ownership import require_owner
from core.digests.schedule import Schedule, check_schedule, parse_time, zone
from core.repositories import digests as digest_rows

SCOPE_TYPES = ("all", "topic", "company", "watchlist", "keyword")


def validate_subscription(sub: dict) -> dict:
    """A complete, checked subscription; ValueError names the first problem."""
    s = {
        "scope_value": "",
        "frequency": "daily",
        "weekday": None,
        "send_time": "08:00",
        "time_zone": "UTC",
        "recipients": [],
        "enabled": True,
        **sub,
    }
    s["name"] = _text(s.get("name"), "digest name", NAME_LIMIT)
    if not s["name"]:
        raise ValueError("a digest needs a name")
    if s.get("scope_type") not in SCOPE_TYPES:
        raise ValueError(f"the digest scope must be one of {', '.join(SCOPE_TYPES)}, got {s.get('scope_type')!r}")
    s["scope_value"] = "" if s["scope_type"] == "all" else _text(s["scope_value"], "scope value", SCOPE_LIMIT)
    if s["scope_type"] != "all" and not s["scope_value"]:
        raise ValueError(f"a {s['scope_type']} digest needs a scope value (which {s['scope_type']})")
    if s["scope_type"] == "watchlist":
        s["scope_value"] = stored_scope_name("watchlist", s["scope_value"])
    problem = unknown_scope("watchlist", s["scope_value"]) if s["scope_type"] == "watchlist" else None
    if problem:
        raise ValueError(problem)
    s["weekday"] = None if s["frequency"] == "daily" or s["weekday"] in (None, "") else _weekday(s["weekday"])
    s["send_time"] = str(s["send_time"]).strip()
    s["time_zone"] = str(s["time_zone"] or "").strip()
    check_schedule(schedule_of(s))
    s["send_time"] = parse_time(s["send_time"]).strftime("%H:%M")
    s["time_zone"] = zone(s["time_zone"]).key
    s["recipients"] = _recipients(s["recipients"])
    if not s["recipients"]:
        raise ValueError("a digest needs at least one recipient email address")
    s["enabled"] = bool(s["enabled"])
    return s


def _weekday(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"the weekday must be 0 (Monday) to 6 (Sunday), got {value!r}") from None


def schedule_of(sub: dict) -> Schedule:
    return Schedule(sub["frequency"], sub["send_time"], sub["time_zone"], sub["weekday"])


@requires("analyst", "save digest subscriptions")
def save_digest_subscription(
    name: str,
    scope_type: str,
    scope_value: str = "",
    frequency: str = "daily",
    send_time: str = "08:00",
    time_zone: str = "UTC",
    weekday: int | None = None,
    recipients: str | Iterable[str] = (),
    enabled: bool = True,
) -> int:
    """Create or update (by name) a digest subscription; returns its id. ``recipients`` may be comma-separated."""
    s = validate_subscription(
        {
            "name": name,
            "scope_type": scope_type,
            "scope_value": scope_value,
            "frequency": frequency,
            "send_time": send_time,
            "time_zone": time_zone,
            "weekday": weekday,
            "recipients": recipients,
            "enabled": enabled,
        }
    )
    sub_id = digest_rows.save_subscription(s, lambda owner: require_owner("digest", s["name"], owner).username)
    record(
        "digest saved",
        s["name"],
        detail={"scope": f"{s['scope_type']}:{s['scope_value']}", "schedule": schedule_of(s).describe(), "recipients": s["recipients"]},
    )
    return sub_id


@requires("analyst", "delete digest subscriptions")
def delete_digest_subscription(name: str) -> bool:
    """Delete a subscription and its send history; False when there is none of that name."""
    if not digest_rows.delete_subscription(name, lambda owner: require_owner("digest", name, owner)):
        return False
    record("digest deleted", name)
    return True


def list_digest_subscriptions() -> list[dict]:
    return digest_rows.list_subscriptions()


def get_digest_subscription(name: str) -> dict:
    """The subscription; LookupError naming the known ones when there is none."""
    sub = digest_rows.get_subscription(name)
    if sub is None:
        known = ", ".join(repr(s["name"]) for s in digest_rows.list_subscriptions()) or "none yet"
        raise LookupError(f"there is no digest subscription named {name!r} (known: {known})")
    return sub
