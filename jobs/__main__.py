"""``python -m jobs``: the Beacon worker (crawl, score, detect, notify on a timer).

``python -m jobs --once`` runs one cycle with every feed crawled and exits. The exit status is
non-zero only when the database cannot be reached (2) or is damaged (3), when another worker already
runs on the same SQLite database (4: SQLite supports one worker; use PostgreSQL for several), or when a setting
cannot be used (5, e.g. ``SMTP_PORT=abc``); failing steps are logged, not fatal. A SQLite database is checked
(``PRAGMA quick_check``) before anything else runs.
"""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger("beacon.worker")
DATABASE_UNREACHABLE = 2
DATABASE_DAMAGED = 3
SECOND_WORKER_ON_SQLITE = 4
SETTINGS_INVALID = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs", description="Beacon worker: crawl, score, detect, notify")
    parser.add_argument("--once", action="store_true", help="run one cycle (crawling every feed) and exit")
    parser.add_argument("--verbose", action="store_true", help="debug logging, with tracebacks of failed steps")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    from core.auth import WORKER, set_process_actor
    from core.settings import SettingsError, get_settings
    from core.storage import upgrade_database
    from core.storage.integrity import DatabaseDamaged, check_database

    set_process_actor(WORKER)  # the worker's own actions (crawl, score, alerts, training runs) act as an admin
    try:
        get_settings()
    except SettingsError as exc:
        log.error("not starting: %s", exc)
        return SETTINGS_INVALID

    try:
        check_database()
    except DatabaseDamaged as exc:
        log.critical("not starting: %s", exc)
        return DATABASE_DAMAGED
    try:
        upgrade_database()
    except Exception as exc:
        log.error("the database is unreachable or could not be migrated: %s: %s", type(exc).__name__, exc)
        return DATABASE_UNREACHABLE
    from core.leases import claim_sole_worker, release_sole_worker

    other = claim_sole_worker()
    if other:
        log.error("not starting: another worker (%s) already runs on this SQLite database, which supports one worker; "
                  "stop it, or use PostgreSQL to run several (README: Running several workers)", other)  # fmt: skip
        return SECOND_WORKER_ON_SQLITE
    try:
        return _run(args.once)
    finally:
        release_sole_worker()


def _run(once: bool) -> int:
    from core.storage.integrity import DatabaseDamaged

    if once:
        from jobs.cycle import run_cycle

        try:
            run_cycle(force_crawl=True)
        except DatabaseDamaged as exc:
            log.critical("stopping: %s", exc)
            return DATABASE_DAMAGED
        return 0
    from jobs.scheduler import run_forever

    return run_forever()


if __name__ == "__main__":
    sys.exit(main())
