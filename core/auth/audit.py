"""The audit log: who signed in, uploaded, scored, trained, promoted, or changed a feed, rule or user."""

from __future__ import annotations

from collections.abc import Sequence

from core.repositories import users as accounts


def record(action: str, target: str = "", outcome: str = "ok", detail: dict | None = None, username: str | None = None) -> None:
    """Append one event, as the acting user unless ``username`` is given. Never store secrets in ``detail``."""
    from core.auth.roles import current_actor

    actor = current_actor()
    who = username or (actor.username if actor else "anonymous")
    accounts.add_event(who, action, str(target), outcome, detail or {})


def event_filter_choices() -> tuple[list[str], list[str]]:
    """(users, actions) found in the audit log, for its filters."""
    from core.auth.roles import require

    require("admin", "read the audit log")
    return accounts.event_filter_values()


def list_events(limit: int | None = 500, username: str = "", action: str = "", excluded: Sequence[str] = ()) -> list[dict]:
    """Newest first (every matching event when ``limit`` is None); optional exact filters on user and action, and
    actions left out (``excluded``, e.g. sign-ins)."""
    from core.auth.roles import require

    require("admin", "read the audit log")
    return accounts.events(limit, username, action, excluded)


def count_events(username: str = "", action: str = "", excluded: Sequence[str] = ()) -> int:
    """How many events match the filters (the table shows the newest ``list_events`` of them)."""
    from core.auth.roles import require

    require("admin", "read the audit log")
    return accounts.event_count(username, action, excluded)
