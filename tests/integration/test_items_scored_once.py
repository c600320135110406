"""Scoring stored news items is safe when two processes do it at once (the worker's cycle and the page's
Fetch now): every item is written once, its companies once, and neither side sees an error.

The two scorers run in threads with their own database connections (as two processes would). To make
them collide every time, each waits after predicting its first batch until the other has predicted
too. On SQLite (one worker, no row locks) both then hold the same unscored items when they write; on
PostgreSQL each batch is claimed (``FOR UPDATE SKIP LOCKED``), so the two predict disjoint items, and a
scorer that finds everything claimed waits for the other's batch instead of predicting it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

import core.sentiment.score_items as scoring
from core.feeds import add_feed
from core.sentiment import score_pending_articles
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed, utcnow
from core.views.financial_sentiment import fetch_now
from tests.support.feed_server import rss_feed, serve_feeds
from tests.support.threads import thread_as_current_user

ITEMS = 24


class MeetAfterFirstPrediction:
    """Wraps the real active classifiers: a thread's first prediction waits for the other thread's."""

    def __init__(self, parties: int = 2, timeout: float = 20) -> None:
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.waited: set[int] = set()
        self.predicted: dict[int, list[str]] = {}  # thread -> the texts it predicted (sentiment)
        self.real = scoring.active_classifier

    def active_classifier(self, task: str):
        classifier = self.real(task)
        meeting = self

        class Meeting:
            version = classifier.version

            def predict(self, texts):
                result = classifier.predict(texts)
                me = threading.get_ident()
                if task == scoring.SENTIMENT_TASK:
                    meeting.predicted.setdefault(me, []).extend(texts)
                if task == scoring.SENTIMENT_TASK and me not in meeting.waited:
                    meeting.waited.add(me)
                    try:
                        meeting.barrier.wait()
                    except threading.BrokenBarrierError:
                        pass
                return result

        return Meeting()


def add_unscored(count: int = ITEMS) -> None:
    with session_scope() as session:
        feed = Feed(name="Wire", url="http://127.0.0.1:9/wire.rss", topics=[])
        session.add(feed)
        session.flush()
        for i in range(count):
            session.add(Article(feed_id=feed.id, guid=f"g{i}", title=f"$JPM and $AAPL item {i} shares plunged", summary="",
                                published_at=utcnow()))


def score_in_two_threads(batch_size: int) -> tuple[list[int], list[BaseException]]:
    done: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            done.append(score_pending_articles(batch_size=batch_size))
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [thread_as_current_user(work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return done, errors


@pytest.mark.parametrize("batch_size", [ITEMS, 5])
def test_two_scorers_at_once_score_every_item_once(db, tiny_models, monkeypatch, batch_size):
    add_unscored()
    claimed = db.startswith("postgresql")  # batches are claimed: one batch of every item leaves the other nothing
    meeting = MeetAfterFirstPrediction(timeout=3 if claimed and batch_size == ITEMS else 20)
    monkeypatch.setattr(scoring, "active_classifier", meeting.active_classifier)

    done, errors = score_in_two_threads(batch_size)

    assert errors == [], [f"{type(e).__name__}: {e}" for e in errors]
    if claimed:  # disjoint batches: no item predicted twice; with batches of 5 both held one at the same time
        predicted = [text for texts in meeting.predicted.values() for text in texts]
        assert len(predicted) == len(set(predicted)) == ITEMS
        assert len(meeting.waited) == (2 if batch_size < ITEMS else 1)
    else:
        assert len(meeting.waited) == 2  # both predicted the same first batch before either wrote
    assert sum(done) == ITEMS  # each item written by exactly one of them
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Article).where(Article.scored_at.is_(None))) == 0
        mentions = session.execute(select(CompanyMention.article_id, CompanyMention.company)).all()
        companies = {a.id: tuple(sorted(a.companies)) for a in session.scalars(select(Article))}
    assert len(mentions) == 2 * ITEMS
    assert set(companies.values()) == {("AAPL", "JPM")}


def test_fetch_now_while_the_worker_scores_tells_the_truth(db, tiny_models, monkeypatch):
    """The page's Fetch now and the worker score the same new items at the same moment: the page
    reports the items as scored (by whichever side wrote them), never an error. On PostgreSQL no item is
    predicted by both: what one side has claimed the other waits for instead of predicting it."""
    items = [{"title": f"$JPM item {i} shares plunged", "link": f"https://example.com/{i}"} for i in range(12)]
    claimed = db.startswith("postgresql")
    meeting = MeetAfterFirstPrediction(timeout=3 if claimed else 20)
    monkeypatch.setattr(scoring, "active_classifier", meeting.active_classifier)

    def worker_cycles() -> None:  # the worker asks for unscored items until it finds the new ones
        deadline = time.monotonic() + 60
        while not meeting.waited and time.monotonic() < deadline:
            score_pending_articles()
            time.sleep(0.01)

    with serve_feeds({"/wire.rss": rss_feed(items)}) as base:
        feed_id = add_feed("Wire", base + "/wire.rss")
        worker = thread_as_current_user(worker_cycles)
        worker.start()
        report = fetch_now(feed_id)
        worker.join(timeout=120)
    predicted = [text for texts in meeting.predicted.values() for text in texts]
    if claimed:  # disjoint claims: no item predicted twice. Both sides may hold part of the items (the story
        # grouping after the crawl locks some rows for a moment, and the worker's claim skips those), never the same one
        assert len(predicted) == len(set(predicted)) == 12
    else:
        assert len(meeting.waited) == 2  # without claims both predicted the same items before either wrote
    assert report.level == "success", report.text
    assert "12 new items" in report.text and "all scored" in report.text, report.text
    assert "Error" not in report.text and "failed" not in report.text
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(CompanyMention)) == 12


def test_fetch_now_reports_scoring_progress_batch_by_batch(db, tiny_models, monkeypatch):
    monkeypatch.setattr(scoring, "configured_batch_size", lambda: 5)
    items = [{"title": f"$JPM item {i} shares plunged", "link": f"https://example.com/{i}"} for i in range(12)]
    heard: list[tuple[int, int]] = []
    with serve_feeds({"/wire.rss": rss_feed(items)}) as base:
        report = fetch_now(add_feed("Wire", base + "/wire.rss"), progress=lambda done, waiting: heard.append((done, waiting)))
    assert "12 new items" in report.text and "all scored" in report.text, report.text
    assert heard == [(5, 12), (10, 12), (12, 12)]
