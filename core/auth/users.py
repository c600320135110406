"""User accounts: created by an admin (or the first one from the command line / environment)."""

from __future__ import annotations

import re

from core.auth.audit import record
from core.auth.passwords import hash_password
from core.auth.roles import check_role, require
from core.repositories import users as accounts
from core.repositories.users import UserView
from core.settings import get_settings

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME.match(username):
        raise ValueError("a username needs 2-100 letters, digits or . _ @ - and must start with a letter or digit")
    return username


def _insert_user(username: str, password: str, role: str) -> None:
    username, role = check_username(username), check_role(role)
    accounts.add_user(username, hash_password(password) if password else "", role)


def create_user(username: str, password: str, role: str = "viewer") -> None:
    """Admin only. The password is hashed (argon2id); it is never stored or logged in plain text."""
    require("admin", "create users")
    _insert_user(username, password, role)
    record("user created", username, detail={"role": role})


def create_first_admin(username: str, password: str) -> bool:
    """Bootstrap: create an admin only while there are no users at all (CLI and environment)."""
    if accounts.count_users():
        return False
    _insert_user(username, password, "admin")
    record("user created", username, detail={"role": "admin", "bootstrap": True}, username="setup")
    return True


def create_admin_from_environment() -> bool:
    """BEACON_ADMIN_USER and BEACON_ADMIN_PASSWORD create the first admin on the first start."""
    settings = get_settings()
    if not (settings.admin_username and settings.admin_password):
        return False
    return create_first_admin(settings.admin_username, settings.admin_password)


def _update(username: str, action: str, **values: object) -> None:
    # a disabled account or a new password ends open sessions; a role change or a disabled account must leave an admin
    accounts.update_user(username, values, end_sessions=values.get("active") is False or "password_hash" in values,
                         keep_an_admin="role" in values or values.get("active") is False)  # fmt: skip
    record(action, username, detail={k: v for k, v in values.items() if k != "password_hash"})


def set_role(username: str, role: str) -> None:
    require("admin", "change roles")
    _update(username, "role changed", role=check_role(role))


def set_active(username: str, active: bool) -> None:
    actor = require("admin", "enable or disable users")
    if not active and username == actor.username:
        raise ValueError("you cannot disable your own account")
    _update(username, "user enabled" if active else "user disabled", active=active)


def reset_password(username: str, password: str) -> None:
    require("admin", "reset passwords")
    _update(username, "password reset", password_hash=hash_password(password), failed_logins=0, locked_until=None)


def list_users() -> list[UserView]:
    require("admin", "list users")
    return accounts.all_users()


def admin_names() -> list[str]:
    """The active admins, for anyone signed in (whom to ask for a role or an account)."""
    require("viewer", "see who the admins are")
    return accounts.active_admin_names()


def user_count() -> int:
    return accounts.count_users()
