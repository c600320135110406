"""Analysts manage their own watchlists and alert rules; admins manage everyone's."""

from __future__ import annotations

from core.auth.audit import record
from core.auth.roles import Actor, PermissionDenied, require


def require_owner(kind: str, name: str, owner: str | None) -> Actor:
    """The acting analyst may change an entry they own (or create a new one, ``owner`` None)."""
    actor = require("analyst", f"change {kind}s")
    if owner is None or actor.can("admin") or owner == actor.username:
        return actor
    record(f"change {kind}", name, outcome="refused", detail={"owner": owner})
    raise PermissionDenied(f"the {kind} {name!r} belongs to {owner or 'an admin'}; only they or an admin can change it")
