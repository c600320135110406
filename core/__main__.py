"""Beacon's command line: ``python -m core COMMAND``. Errors print one line and exit non-zero.

The commands live in ``core/cli/``, one module per area; this module builds the parser and dispatches.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from core.cli import config, digest, feeds, models, recommend, score, setup, support, train, users

# In the order ``--help`` lists them.
AREAS = (setup, score, config, feeds, train, users, models, recommend, support, digest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Beacon command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for area in AREAS:
        area.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notes, not for users
    args = build_parser().parse_args(argv)
    from core.auth import CLI, roles, set_process_actor

    previous = roles._process_actor  # restored afterwards: tests call main() in their own process
    set_process_actor(CLI)  # whoever runs the command line has the server's files: an admin
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; no traceback for expected problems
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        set_process_actor(previous)


if __name__ == "__main__":
    sys.exit(main())
