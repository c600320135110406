"""One worker cycle: crawl -> stories -> score -> recover/detect -> notify -> digests -> retention (old items deleted) -> question_log
(old asked questions deleted) -> audit_log (old audit events deleted) -> uploads (files uploaded a day ago that no run took deleted).

Each step is idempotent and isolated: a failing step is logged and the next one still runs. A step
whose results could not be written to the database counts as failed. After a disk-level database
error the file's integrity is checked, and a damaged database stops the cycle (``DatabaseDamaged``).
Each step's start and the finished cycle are recorded for the pages' health notice (beside the scheduler's
heartbeat, so a long step reads as busy, not stopped); when even that cannot be written, the log says so and
the pages show the worker as not reporting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.alerts import detect_alerts, recover_interrupted_sends, send_pending_alerts
from core.auth.retention import delete_old_events
from core.digests import send_due_digests
from core.feeds import crawl_due_feeds
from core.health import record_cycle, record_step
from core.sentiment import score_pending_articles
from core.sentiment.retention import delete_old_items
from core.staged_uploads import delete_abandoned_uploads
from core.storage.integrity import check_database, is_disk_error, short_reason
from core.stories.assign import group_new_items
from core.support.retention import delete_old_questions
from core.wording import count_of

log = logging.getLogger("beacon.worker")


class NotStored(Exception):
    """A step did its work but could not write the results (or the errors) to the database."""


def _crawl(force: bool) -> dict:
    outcomes = crawl_due_feeds(force=force)
    unstored = [o for o in outcomes if o.database_error]
    if unstored:
        raise NotStored(
            f"{len(unstored)} of {len(outcomes)} feeds could not store their result in the database ({unstored[0].database_error})"
        )
    return {
        "feeds": len(outcomes),
        "new_items": sum(o.new_items for o in outcomes),
        "errors": sorted(o.feed_name for o in outcomes if o.status == "error"),
    }


def _step(name: str, action: Callable[[], object], summary: dict) -> None:
    _note_step(name)
    started = time.monotonic()
    try:
        result = action()
    except Exception as exc:  # one failing step must not stop the next ones
        summary[name] = f"error: {type(exc).__name__}: {exc}"
        summary["failed_steps"].append(name)
        log.error("step %s failed after %.1fs: %s: %s", name, time.monotonic() - started, type(exc).__name__, exc)
        log.debug("step %s traceback", name, exc_info=True)
        if is_disk_error(exc):
            check_database()  # raises DatabaseDamaged, which stops the worker, when the file is damaged
        return
    summary[name] = result
    log.info("step %s done in %.1fs: %s", name, time.monotonic() - started, result)


def run_cycle(force_crawl: bool = False) -> dict:
    """Run every step once; returns what each step did (or its error) and the names of failed steps."""
    started = time.monotonic()
    summary: dict = {"failed_steps": []}
    _step("crawl", lambda: _crawl(force_crawl), summary)
    _step("stories", group_new_items, summary)
    _step("score", score_pending_articles, summary)
    _step("recover", recover_interrupted_sends, summary)
    _step("detect", detect_alerts, summary)
    _step("notify", send_pending_alerts, summary)
    _step("digests", send_due_digests, summary)
    _step("retention", delete_old_items, summary)
    _step("question_log", delete_old_questions, summary)
    _step("audit_log", delete_old_events, summary)
    _step("uploads", delete_abandoned_uploads, summary)
    summary["recorded"] = _record(summary["failed_steps"])
    level = logging.INFO if summary["recorded"] and not summary["failed_steps"] else logging.ERROR
    log.log(level, "cycle done in %.1fs: %s", time.monotonic() - started, _headline(summary))
    return summary


def _note_step(name: str) -> None:
    """Tell the pages which step runs now (a long one is then shown as busy, not stopped); never stops the step."""
    try:
        record_step(name)
    except Exception as exc:  # the step's own writes will fail and be reported if the database is the problem
        log.warning("could not record that step %s started: %s", name, short_reason(exc))


def _record(failed_steps: list[str]) -> bool:
    try:
        record_cycle(failed_steps)
    except Exception as exc:  # the database cannot be written: say so here, the pages see the record go stale
        log.error("the cycle could not be recorded in the database: %s", short_reason(exc))
        if is_disk_error(exc):
            check_database()
        return False
    return True


def _headline(summary: dict) -> str:
    def ok(step: str) -> bool:
        return step not in summary["failed_steps"]

    parts = [
        f"{summary['crawl']['new_items']} new items from {summary['crawl']['feeds']} feeds" if ok("crawl") else "crawl failed",
        f"{summary['score']} scored" if ok("score") else "scoring failed",
        f"{len(summary['detect'])} new alerts" if ok("detect") else "detection failed",
        f"{summary['notify']['sent']} emails sent, {summary['notify']['failed']} failed" if ok("notify") else "notify failed",
    ]
    for step, what in (("retention", "items"), ("question_log", "asked questions"), ("audit_log", "audit events")):
        if ok(step) and isinstance(summary.get(step), dict) and summary[step]["deleted"]:
            parts.append(f"{summary[step]['deleted']} {what} older than {summary[step]['before']} deleted")
    if ok("uploads") and isinstance(summary.get("uploads"), dict) and summary["uploads"]["deleted"]:
        parts.append(f"{count_of(summary['uploads']['deleted'], 'abandoned upload')} deleted")
    if summary["failed_steps"]:
        parts.append(f"FAILED steps: {', '.join(summary['failed_steps'])}")
    if not summary.get("recorded", True):
        parts.append("the database could not be written")
    return ", ".join(parts)
