"""One worker cycle: crawl -> score -> detect -> notify. Each step is isolated and idempotent."""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.alerts import detect_alerts, recover_interrupted_sends, send_pending_alerts
from core.feeds import crawl_due_feeds
from core.sentiment import score_pending_articles

log = logging.getLogger("beacon.worker")


def _step(name: str, action: Callable[[], object], summary: dict) -> None:
    try:
        summary[name] = action()
    except Exception as exc:  # one failing step must not stop the next ones
        log.exception("step %s failed", name)
        summary[name] = f"error: {exc}"


def run_cycle(force_crawl: bool = False) -> dict:
    summary: dict = {}
    _step("crawl", lambda: [(o.feed_name, o.status, o.new_items) for o in crawl_due_feeds(force=force_crawl)], summary)
    _step("score", score_pending_articles, summary)
    _step("recover", recover_interrupted_sends, summary)
    _step("detect", detect_alerts, summary)
    _step("notify", send_pending_alerts, summary)
    log.info("cycle: %s", summary)
    return summary
