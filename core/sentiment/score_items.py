"""Score stored news items: sentiment, topic and companies, with the tasks' active models."""

from __future__ import annotations

import logging

from core.auth import requires
from core.nlp.device import configured_batch_size
from core.nlp.registry import NoActiveModel, active_classifier
from core.repositories import items
from core.sentiment.entities import CompanyDirectory, find_companies

log = logging.getLogger(__name__)
SENTIMENT_TASK = "sentiment"
TOPIC_TASK = "topic"


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


@requires("analyst", "score items")
def score_pending_articles(batch_size: int | None = None, limit: int | None = None) -> int:
    """Score every unscored article in batches and return how many this call scored. Each batch is
    written in its own transaction, so a crash loses at most the batch in flight; items another process
    scored meanwhile are left as they are (see ``core.repositories.items.store_item_scores``), so scoring never writes an item twice."""
    if not _pending_items(1):  # nothing to do: no model load (the worker asks every tick)
        return 0
    sentiment = active_classifier(SENTIMENT_TASK)
    try:
        topic = active_classifier(TOPIC_TASK)
    except NoActiveModel:
        topic = None  # items still get sentiment and companies; topic stays empty
        log.warning("no active topic model; scoring sentiment only")
    size = batch_size or configured_batch_size()
    directory = company_directory()
    pattern = directory.pattern()
    done = 0
    while limit is None or done < limit:
        batch = _pending_items(size)
        if not batch:
            break
        texts = [text for _, text in batch]
        sentiments = sentiment.predict(texts)
        topics = topic.predict(texts) if topic else [None] * len(texts)
        scored = [
            items.ItemScores(
                article_id,
                _score_values(s, t, sentiment.version, topic.version if topic else None),
                list(dict.fromkeys(company[:200] for company in find_companies(text, directory, pattern))),
            )
            for (article_id, text), s, t in zip(batch, sentiments, topics)
        ]
        done += items.store_item_scores(scored)
    if done:
        log.info("scored %d articles", done)
    return done


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
