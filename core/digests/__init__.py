"""Digests: subscriptions (scope, schedule in a time zone, recipients), when a digest is due (``schedule``), what it
says (``content``) and sending it once per period (``send``). The SQL is in ``core.repositories.digests``."""

from core.digests.schedule import FREQUENCIES, WEEKDAYS
from core.digests.send import preview_digest, retry_digest, send_due_digests
from core.digests.subscriptions import (
    SCOPE_TYPES,
    delete_digest_subscription,
    get_digest_subscription,
    list_digest_subscriptions,
    save_digest_subscription,
)

__all__ = [
    "FREQUENCIES",
    "SCOPE_TYPES",
    "WEEKDAYS",
    "delete_digest_subscription",
    "get_digest_subscription",
    "list_digest_subscriptions",
    "preview_digest",
    "retry_digest",
    "save_digest_subscription",
    "send_due_digests",
]
