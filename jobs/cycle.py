"""One worker cycle: crawl -> score -> recover/detect -> notify.

Each step is idempotent and isolated: a failing step is logged and the next one still runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.alerts import detect_alerts, recover_interrupted_sends, send_pending_alerts
from core.feeds import crawl_due_feeds
from core.sentiment import score_pending_articles

log = logging.getLogger("beacon.worker")


def _crawl(force: bool) -> dict:
    outcomes = crawl_due_feeds(force=force)
    return {
        "feeds": len(outcomes),
        "new_items": sum(o.new_items for o in outcomes),
        "errors": sorted(o.feed_name for o in outcomes if o.status == "error"),
    }


def _step(name: str, action: Callable[[], object], summary: dict) -> None:
    started = time.monotonic()
    try:
        result = action()
    except Exception as exc:  # one failing step must not stop the next ones
        summary[name] = f"error: {type(exc).__name__}: {exc}"
        summary["failed_steps"].append(name)
        log.error("step %s failed after %.1fs: %s: %s", name, time.monotonic() - started, type(exc).__name__, exc)
        log.debug("step %s traceback", name, exc_info=True)
        return
    summary[name] = result
    log.info("step %s done in %.1fs: %s", name, time.monotonic() - started, result)


def run_cycle(force_crawl: bool = False) -> dict:
    """Run every step once; returns what each step did (or its error) and the names of failed steps."""
    started = time.monotonic()
    summary: dict = {"failed_steps": []}
    _step("crawl", lambda: _crawl(force_crawl), summary)
    _step("score", score_pending_articles, summary)
    _step("recover", recover_interrupted_sends, summary)
    _step("detect", detect_alerts, summary)
    _step("notify", send_pending_alerts, summary)
    log.info("cycle done in %.1fs: %s", time.monotonic() - started, _headline(summary))
    return summary


def _headline(summary: dict) -> str:
    def ok(step: str) -> bool:
        return step not in summary["failed_steps"]

    parts = [
        f"{summary['crawl']['new_items']} new items from {summary['crawl']['feeds']} feeds" if ok("crawl") else "crawl failed",
        f"{summary['score']} scored" if ok("score") else "scoring failed",
        f"{len(summary['detect'])} new alerts" if ok("detect") else "detection failed",
        f"{summary['notify']['sent']} emails sent, {summary['notify']['failed']} failed" if ok("notify") else "notify failed",
    ]
    return ", ".join(parts)
