"""Analysts manage their own watchlists and alert rules; admins manage everyone's."""

from __future__ import annotations

from core.auth.audit import record
from core.auth.roles import Actor, PermissionDenied, require


def may_change(actor: Actor | None, owner: str | None) -> bool:
    """Whether ``actor`` may change an entry ``owner`` owns: analysts their own (or a new one, ``owner`` None), admins any."""
    return actor is not None and actor.can("analyst") and (owner is None or actor.can("admin") or owner == actor.username)


def require_owner(kind: str, name: str, owner: str | None) -> Actor:
    """The acting analyst may change an entry they own (or create a new one, ``owner`` None)."""
    actor = require("analyst", f"change {kind}s")
    if may_change(actor, owner):
        return actor
    record(f"change {kind}", name, outcome="refused", detail={"owner": owner})
    raise PermissionDenied(f"the {kind} {name!r} belongs to {owner or 'an admin'}; only they or an admin can change it")
