"""Score stored news items: sentiment, topic and companies, with the tasks' active models."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.auth import requires
from core.leases import end_scoring_turn, renew_scoring_turn, take_scoring_turn
from core.nlp.device import configured_batch_size
from core.nlp.registry import NoActiveModel, active_classifier
from core.repositories import claims, items
from core.sentiment.entities import CompanyDirectory, find_companies

log = logging.getLogger(__name__)
SENTIMENT_TASK = "sentiment"
TOPIC_TASK = "topic"
TURN_POLL_S = 1.0  # how often a process waiting for the scoring turn looks at the other's progress


def article_text(title: str, summary: str, limit: int = 600) -> str:
    """What the models read: the headline plus the start of the summary."""
    title = (title or "").strip()
    summary = (summary or "").strip()
    if summary and summary.lower() != title.lower():
        return f"{title}. {summary}"[:limit] if title else summary[:limit]
    return title[:limit]


def company_directory() -> CompanyDirectory:
    directory = CompanyDirectory()
    for companies, tickers in items.watchlist_entries():
        directory.add(companies, tickers)
    return directory


def _pending_items(size: int) -> list[tuple[int, str]]:
    """The oldest unscored items: (id, the text the models read)."""
    return [(article_id, article_text(title, summary)) for article_id, title, summary in items.unscored_items(size)]


ScoringProgress = Callable[[int, int], None]  # (items scored so far, items that were waiting)


@requires("analyst", "score items")
def score_pending_articles(batch_size: int | None = None, limit: int | None = None, progress: ScoringProgress | None = None) -> int:
    """Score every unscored article in batches and return how many this call scored. Each batch is claimed
    and written in its own transaction (``claims.pending_batch``: on PostgreSQL two workers score disjoint
    batches, and a killed worker's batch is pending again at once; when the rest is held by others this call
    waits for it, so what was pending when it started is scored when it returns), so a crash loses at most the batch in
    flight; items another process scored meanwhile are left as they are (see
    ``core.repositories.items.write_item_scores``), so scoring never writes an item twice. On SQLite one process
    scores at a time (``core.leases.take_scoring_turn``) and another follows its progress until the turn is free.
    ``progress`` hears after each batch (Fetch now on a CPU without bf16 scores about 16 items a second)."""
    if not _pending_items(1):  # nothing to do: no model load (the worker asks every tick)
        return 0
    waiting = items.unscored_count() if progress else 0
    if not _wait_for_turn(progress, waiting):
        return 0  # another process scored them all
    try:
        already = max(0, waiting - items.unscored_count()) if progress else 0  # scored by another process meanwhile
        done = _score_in_batches(batch_size, limit, lambda n: progress(already + n, max(waiting, already + n)) if progress else None)
    finally:
        end_scoring_turn()
    if done:
        log.info("scored %d articles", done)
    return done


def _wait_for_turn(progress: ScoringProgress | None, waiting: int) -> bool:
    """Take the turn at scoring, following another process's progress while it holds it (SQLite); False when it
    left nothing to score."""
    while not take_scoring_turn():
        time.sleep(TURN_POLL_S)
        left = items.unscored_count()
        if progress:
            progress(max(0, waiting - left), max(waiting, 1))
        if not left:
            return False
    return True


def _score_in_batches(batch_size: int | None, limit: int | None, after_batch: Callable[[int], object]) -> int:
    sentiment = active_classifier(SENTIMENT_TASK)
    try:
        topic = active_classifier(TOPIC_TASK)
    except NoActiveModel:
        topic = None  # items still get sentiment and companies; topic stays empty
        log.warning("no active topic model; scoring sentiment only")
    size = batch_size or configured_batch_size()
    directory = company_directory()
    pattern = directory.pattern()
    done, wait = 0, False
    while limit is None or done < limit:
        with claims.pending_batch(size, wait) as (session, rows):  # claimed until the batch is written
            if not rows and wait:
                break
            # none left unclaimed: wait once for the batches other workers hold (scored then, or pending if one died)
            wait = not rows
            if rows:
                batch = [(article_id, article_text(title, summary)) for article_id, title, summary in rows]
                done += items.write_item_scores(session, _scores(batch, sentiment, topic, directory, pattern))
        if rows:
            renew_scoring_turn()
            after_batch(done)
    return done


def _scores(batch: list[tuple[int, str]], sentiment, topic, directory: CompanyDirectory, pattern) -> list[items.ItemScores]:
    """What the models and the company directory find for a batch of (id, text)."""
    texts = [text for _, text in batch]
    sentiments = sentiment.predict(texts)
    topics = topic.predict(texts) if topic else [None] * len(texts)
    return [
        items.ItemScores(
            article_id,
            _score_values(s, t, sentiment.version, topic.version if topic else None),
            list(dict.fromkeys(company[:200] for company in find_companies(text, directory, pattern))),
        )
        for (article_id, text), s, t in zip(batch, sentiments, topics)
    ]


def _score_values(s, t, sentiment_version: int | None, topic_version: int | None) -> dict:
    probs = s.probabilities
    return {
        "sentiment": s.label,
        "sentiment_confidence": s.confidence,
        "prob_negative": probs.get("negative"),
        "prob_neutral": probs.get("neutral"),
        "prob_positive": probs.get("positive"),
        "topic": t.label if t else None,
        "topic_confidence": t.confidence if t else None,
        "sentiment_model_version": sentiment_version,
        "topic_model_version": topic_version,
    }
