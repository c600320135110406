"""Roles are ordered viewer < analyst < admin; an action refuses a missing or too-small role by name."""

from __future__ import annotations

import pytest

from core.auth.roles import Actor, PermissionDenied, acting_as, check_role, current_actor, requires


@requires("analyst", "upload files")
def upload() -> str:
    return "uploaded"


def test_each_role_includes_the_ones_below():
    assert Actor("a", "admin").can("analyst") and Actor("a", "analyst").can("viewer")
    assert not Actor("v", "viewer").can("analyst") and not Actor("n", "analyst").can("admin")


def test_no_signed_in_user_is_refused(monkeypatch):
    from core.auth import roles

    monkeypatch.setattr(roles, "_actor", roles.ContextVar("fresh", default=None))
    monkeypatch.setattr(roles, "_provider", None)
    monkeypatch.setattr(roles, "_process_actor", None)
    with pytest.raises(PermissionDenied, match="sign in to upload files"):
        upload()


def test_acting_as_sets_and_restores_the_actor():
    before = current_actor()
    with acting_as(Actor("ana", "analyst")):
        assert upload() == "uploaded"
        assert current_actor() == Actor("ana", "analyst")
    assert current_actor() == before


def test_unknown_roles_are_refused():
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        check_role("owner")
    assert check_role(" Admin ") == "admin"
