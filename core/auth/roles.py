"""Who is acting, and whether their role allows an action. Every state-changing core action calls
``require`` (directly or through ``@requires``), so a check never depends on which page shows a button.

The acting user lives in a context variable: the app sets it once per script run from the signed-in
session, the CLI and the worker act as named admin actors, and with no actor set every protected
action is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from core.wording import a_or_an

ROLES = ("viewer", "analyst", "admin")  # each role may do everything the ones before it may
ROLE_HELP = {
    "viewer": "read dashboards and download results",
    "analyst": "also upload, score, fine-tune, and manage their own watchlists and alert rules",
    "admin": "also feeds, users, promoting models and everything else",
}


@dataclass(frozen=True)
class Actor:
    username: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


WORKER = Actor("worker", "admin")
CLI = Actor("cli", "admin")


class PermissionDenied(PermissionError):
    """The acting user's role does not allow the action; the message says which role is needed."""


_actor: ContextVar[Actor | None] = ContextVar("beacon_actor", default=None)
_process_actor: Actor | None = None  # single-user processes (worker, CLI): seen by all their threads
_provider: Callable[[], Actor | None] | None = None  # the app: who is signed in to the session running now


def check_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    return role


def current_actor() -> Actor | None:
    actor = _actor.get()
    if actor is None and _provider is not None:
        try:
            actor = _provider()
        except Exception:  # no session in this thread: nobody is signed in here
            actor = None
    return actor or _process_actor


def set_actor_provider(provider: Callable[[], Actor | None] | None) -> None:
    """The app registers how to find the signed-in user of the session being served, so widget
    callbacks and fragment reruns (which run before or without the page script) are checked too."""
    global _provider
    _provider = provider


def set_process_actor(actor: Actor | None) -> None:
    """For the worker and the command line only: every thread of the process acts as ``actor``
    (scheduler jobs run in pool threads, which do not inherit context variables). Never in the app."""
    global _process_actor
    _process_actor = actor


def set_actor(actor: Actor | None) -> None:
    """Set the acting user for the rest of this thread's work (one Streamlit script run)."""
    _actor.set(actor)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def require(role: str, action: str) -> Actor:
    """The acting user if their role reaches ``role``; otherwise a refusal (audited) naming the role needed."""
    actor = current_actor()
    if actor is None:
        raise PermissionDenied(f"sign in to {action}")
    if not actor.can(role):
        from core.auth.audit import record

        record(action, outcome="refused", detail={"role": actor.role, "needs": role})
        raise PermissionDenied(f"{actor.username} is {a_or_an(actor.role)} and cannot {action}; this needs the {role} role")
    return actor


P = ParamSpec("P")
R = TypeVar("R")

# Every function decorated with ``@requires``, in import order: the role-matrix test checks that each
# one has a case (``tests/integration/test_role_matrix.py``), so a new protected action cannot be missed.
PROTECTED_ACTIONS: list[Callable[..., object]] = []


def requires(role: str, action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator form of ``require`` for core actions."""

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            require(role, action)
            return func(*args, **kwargs)

        checked.required_role = role  # type: ignore[attr-defined]  # read by the role-matrix test
        checked.action = action  # type: ignore[attr-defined]
        PROTECTED_ACTIONS.append(checked)
        return checked

    return wrap
