"""``python -m jobs``: the Beacon worker. ``--once`` runs one forced cycle and exits."""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs", description="Beacon worker")
    parser.add_argument("--once", action="store_true", help="run one crawl -> score -> detect -> notify cycle and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from core.storage import upgrade_database

    try:
        upgrade_database()
    except Exception as exc:
        print(f"error: database unavailable: {exc}", file=sys.stderr)
        return 2
    if args.once:
        from jobs.cycle import run_cycle

        run_cycle(force_crawl=True)
        return 0
    from jobs.scheduler import run_forever

    run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
