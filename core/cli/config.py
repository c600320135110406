"""``python -m core config apply FILE``: feeds, watchlists and alert rules from YAML."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_config_apply(args: argparse.Namespace) -> int:
    from core.config_file import apply_config
    from core.storage import upgrade_database
    from core.wording import count_of

    upgrade_database()
    counts = apply_config(Path(args.file))
    print("applied " + ", ".join(count_of(n, section.removesuffix("s").replace("_", " ")) for section, n in counts.items()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    config = sub.add_parser("config", help="apply feeds, watchlists and alert rules from YAML")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    apply = config_sub.add_parser("apply", help="create or update the feeds, watchlists and alert rules a YAML file lists")
    apply.add_argument("file")
    apply.set_defaults(func=cmd_config_apply)
