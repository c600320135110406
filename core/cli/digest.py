"""``python -m core digest preview --subscription NAME``: print the digest that is due now (or at ``--at``; with
``--next`` the one due next, with what has been published so far, as the page previews it), sending nothing."""

from __future__ import annotations

import argparse
from datetime import datetime


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date and time (e.g. 2026-11-30T08:00, UTC without an offset): {text!r}") from None


def cmd_preview(args: argparse.Namespace) -> int:
    from core.digests import get_digest_subscription, preview_digest
    from core.storage import upgrade_database

    upgrade_database()
    print(preview_digest(get_digest_subscription(args.subscription), args.at, upcoming=args.next), end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    digest = sub.add_parser("digest", help="preview a digest subscription's email")
    digest_sub = digest.add_subparsers(dest="action", required=True)
    preview = digest_sub.add_parser("preview", help="print the digest due now for a subscription (sends nothing)")
    preview.add_argument("--subscription", required=True, help="the subscription's name")
    preview.add_argument("--at", type=_instant, help="the moment to preview for (ISO, UTC unless an offset is given; default now)")
    preview.add_argument("--next", action="store_true", help="the digest due next, with what has been published so far")
    preview.set_defaults(func=cmd_preview)
