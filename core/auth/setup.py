"""The one-time setup link: while no account exists, `make run` (``python -m core setup``) prints a link with a random
token, and whoever opens it creates the first admin in the browser. Without the token nobody can.

Only the token's sha256 is kept, in a file readable by the server's user alone (``<data folder>/setup_token``,
mode 0600); a check compares digests in constant time. The token stops working once an admin exists, and using it
removes it.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

from core.auth.audit import record
from core.auth.passwords import check_password_rules, token_digest
from core.auth.users import _insert_user, check_username
from core.repositories import users as accounts
from core.settings import get_settings

SETUP_PARAM = "setup"  # the query parameter of the setup link


class SetupLinkError(Exception):
    """The setup link cannot be used (wrong, replaced or already used token, or an admin exists); safe to show."""


def _token_file() -> Path:
    return get_settings().data_dir / "setup_token"


def _admin_exists() -> bool:
    return bool(accounts.count_users("admin"))


def _account_exists() -> bool:
    return bool(accounts.count_users())


def issue_setup_token() -> str | None:
    """A new token (replacing any earlier one) while no account exists; None once one does (an old token is removed)."""
    path = _token_file()
    if _account_exists():
        path.unlink(missing_ok=True)
        return None
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(token_digest(token))
    os.chmod(partial, 0o600)  # also when an old partial file had other permissions
    os.replace(partial, path)
    return token


def setup_link(token: str) -> str:
    return f"{get_settings().base_url}/?{SETUP_PARAM}={token}"


def setup_token_valid(token: str | None) -> bool:
    """True while ``token`` is the newest setup token and no admin exists (constant-time comparison)."""
    path = _token_file()
    if not token or not path.exists():
        return False
    stored = path.read_text().strip()
    return hmac.compare_digest(stored.encode(), token_digest(token).encode()) and not _admin_exists()


def create_first_admin_with_token(token: str | None, username: str, password: str, repeated: str | None = None) -> None:
    """Create the first admin through the setup link (audited), then retire the token. Bad input (including a
    ``repeated`` password that differs) raises ValueError and keeps the token usable; an invalid token raises
    SetupLinkError (audited)."""
    if not setup_token_valid(token):
        record("first admin created", username or "(empty)", outcome="refused", detail={"via": "setup link"}, username="setup")
        raise SetupLinkError("this setup link is not valid (any more): an admin exists already, or a newer link was printed")
    username = check_username(username)
    check_password_rules(password)
    if repeated is not None and repeated != password:
        raise ValueError("the two passwords differ")
    claimed = _token_file().with_name(f".setup_token.used.{secrets.token_hex(8)}")
    try:
        os.replace(_token_file(), claimed)  # one visitor wins the token; a second, concurrent one finds it gone
    except FileNotFoundError:
        raise SetupLinkError("this setup link has just been used") from None
    try:
        if _admin_exists():
            raise SetupLinkError("an admin exists already; sign in instead")
        _insert_user(username, password, "admin")
    except Exception:
        os.replace(claimed, _token_file())  # nothing was created: the link keeps working
        raise
    claimed.unlink(missing_ok=True)
    record("user created", username, detail={"role": "admin", "via": "setup link"}, username="setup")
