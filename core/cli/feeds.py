"""``python -m core feeds import-opml FILE`` and ``feeds export-opml [--output FILE]``: the feed list as OPML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _read(path: Path) -> bytes:
    from core.feeds.opml import OpmlError
    from core.settings import get_settings

    limit = get_settings().feed_max_bytes
    if not path.is_file():
        raise OpmlError(f"{path}: no such file")
    if (size := path.stat().st_size) > limit:
        raise OpmlError(f"{path}: the OPML file is {size:,} bytes, over the limit of {limit:,} bytes (BEACON_FEED_MAX_BYTES)")
    return path.read_bytes()


def cmd_import_opml(args: argparse.Namespace) -> int:
    from core.feeds.opml import import_opml
    from core.storage import upgrade_database

    upgrade_database()
    report = import_opml(_read(Path(args.file)), args.interval)
    for line in report.lines():
        print(line)
    print(report.summary())
    return 1 if report.rejected else 0


def cmd_export_opml(args: argparse.Namespace) -> int:
    from core.feeds.opml import export_opml
    from core.storage import upgrade_database

    upgrade_database()
    document = export_opml()
    if args.output:
        Path(args.output).write_bytes(document)
        print(f"wrote {args.output}")
    else:
        sys.stdout.buffer.write(document)
        sys.stdout.flush()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    feeds = sub.add_parser("feeds", help="import or export the feed list as OPML (acts as an admin)")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    imp = feeds_sub.add_parser("import-opml", help="add the feeds of an OPML file; exits 1 if any entry was rejected")
    imp.add_argument("file")
    imp.add_argument("--interval", type=int, default=None, help="fetch interval in minutes (default: BEACON_CRAWL_INTERVAL_MINUTES)")
    imp.set_defaults(func=cmd_import_opml)
    exp = feeds_sub.add_parser("export-opml", help="write the feed list as OPML 2.0 (to standard output by default)")
    exp.add_argument("--output", "-o", default=None, help="file to write instead of standard output")
    exp.set_defaults(func=cmd_export_opml)
