"""Accounts: users and roles, password sign-in with lockout, expiring sessions, and the audit log."""

from core.auth.audit import list_events, record
from core.auth.roles import (
    CLI,
    ROLES,
    WORKER,
    Actor,
    PermissionDenied,
    acting_as,
    current_actor,
    require,
    requires,
    set_actor,
    set_actor_provider,
    set_process_actor,
)
from core.auth.sessions import SignInError, identity_provider_actor, resume, sign_in, sign_out
from core.auth.users import (
    create_admin_from_environment,
    create_first_admin,
    create_user,
    list_users,
    reset_password,
    set_active,
    set_role,
    user_count,
)

__all__ = [
    "CLI",
    "ROLES",
    "WORKER",
    "Actor",
    "PermissionDenied",
    "SignInError",
    "acting_as",
    "create_admin_from_environment",
    "create_first_admin",
    "create_user",
    "current_actor",
    "identity_provider_actor",
    "list_events",
    "list_users",
    "record",
    "require",
    "requires",
    "reset_password",
    "resume",
    "set_active",
    "set_actor",
    "set_actor_provider",
    "set_process_actor",
    "set_role",
    "sign_in",
    "sign_out",
    "user_count",
]
