"""Score stored news items: sentiment, topic and companies, with the tasks' active models."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.auth import requires
from core.nlp.registry import NoActiveModel, active_classifier
from core.sentiment.entities import CompanyDirectory, find_companies
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Watchlist, utcnow

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
    with session_scope() as session:
        for watchlist in session.scalars(select(Watchlist)):
            directory.add(watchlist.companies, watchlist.tickers)
    return directory


@requires("analyst", "score items")
def score_pending_articles(batch_size: int | None = None, limit: int | None = None) -> int:
    """Score every unscored article in batches, each batch in its own transaction, so a crash
    loses at most the batch in flight and re-running never scores an article twice."""
    size = batch_size or get_settings().score_batch_size
    with session_scope() as session:  # nothing to do: no model load (the worker asks every tick)
        if session.scalar(select(Article.id).where(Article.scored_at.is_(None)).limit(1)) is None:
            return 0
    sentiment = active_classifier(SENTIMENT_TASK)
    try:
        topic = active_classifier(TOPIC_TASK)
    except NoActiveModel:
        topic = None  # items still get sentiment and companies; topic stays empty
        log.warning("no active topic model; scoring sentiment only")
    directory = company_directory()
    pattern = directory.pattern()
    done = 0
    while limit is None or done < limit:
        with session_scope() as session:
            batch = session.scalars(
                select(Article).where(Article.scored_at.is_(None)).order_by(Article.id).limit(size)
            ).all()
            if not batch:
                break
            texts = [article_text(a.title, a.summary) for a in batch]
            sentiments = sentiment.predict(texts)
            topics = topic.predict(texts) if topic else [None] * len(texts)
            for article, text, s, t in zip(batch, texts, sentiments, topics):
                _apply_scores(article, s, t, sentiment.version, topic.version if topic else None)
                for company in find_companies(text, directory, pattern):
                    article.mentions.append(CompanyMention(company=company[:200]))
                article.companies = [m.company for m in article.mentions]
            done += len(batch)
    if done:
        log.info("scored %d articles", done)
    return done


def _apply_scores(article: Article, s, t, sentiment_version: int | None, topic_version: int | None) -> None:
    probs = s.probabilities
    article.sentiment = s.label
    article.sentiment_confidence = s.confidence
    article.prob_negative = probs.get("negative")
    article.prob_neutral = probs.get("neutral")
    article.prob_positive = probs.get("positive")
    article.topic = t.label if t else None
    article.topic_confidence = t.confidence if t else None
    article.sentiment_model_version = sentiment_version
    article.topic_model_version = topic_version
    article.scored_at = utcnow()
