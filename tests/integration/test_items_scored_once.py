"""Scoring stored news items is safe when two processes do it at once (the worker's cycle and the page's
Fetch now): every item is written once, its companies once, and neither side sees an error.

The two scorers run in threads with their own database connections (as two processes would). To make
them collide, each waits after predicting its first batch until the other has predicted too (a few seconds
at most). On PostgreSQL each batch is claimed (``FOR UPDATE SKIP LOCKED``), so the two predict disjoint
items, and a scorer that finds everything claimed waits for the other's batch instead of predicting it. On
SQLite (no row locks) both used to predict the same batches and the second write was skipped: the models
ran twice; now one holds the scoring turn (``core.leases.take_scoring_turn``) and the other follows it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

import core.sentiment.score_items as scoring
from core.auth import list_events
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
    postgres = db.startswith("postgresql")
    meeting = MeetAfterFirstPrediction(timeout=3 if not postgres or batch_size == ITEMS else 20)
    monkeypatch.setattr(scoring, "active_classifier", meeting.active_classifier)

    done, errors = score_in_two_threads(batch_size)

    assert errors == [], [f"{type(e).__name__}: {e}" for e in errors]
    predicted = [text for texts in meeting.predicted.values() for text in texts]
    assert len(predicted) == len(set(predicted)) == ITEMS  # no item predicted twice
    if postgres:  # disjoint batches; with batches of 5 both held one at the same time
        # A batch as large as the backlog is usually claimed whole by one scorer, but two claims that start
        # together may split the rows between them (SKIP LOCKED passes over what the other locked first):
        # either way no item is predicted twice (asserted above).
        assert (len(meeting.waited) == 2) if batch_size < ITEMS else (len(meeting.waited) in (1, 2))
    else:  # one scorer at a time: the other found everything scored when its turn came
        assert len(meeting.waited) == 1 and sorted(done) == [0, ITEMS]
    assert sum(done) == ITEMS  # each item written by exactly one of them
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Article).where(Article.scored_at.is_(None))) == 0
        mentions = session.execute(select(CompanyMention.article_id, CompanyMention.company)).all()
        companies = {a.id: tuple(sorted(a.companies)) for a in session.scalars(select(Article))}
    assert len(mentions) == 2 * ITEMS
    assert set(companies.values()) == {("AAPL", "JPM")}


def test_fetch_now_while_the_worker_scores_tells_the_truth(db, tiny_models, monkeypatch):
    """The page's Fetch now and the worker score the same new items at the same moment: the page
    reports the items as scored (by whichever side wrote them), never an error, and no item is predicted by
    both: what one side has claimed (PostgreSQL) or is scoring (SQLite's turn) the other waits for."""
    items = [{"title": f"$JPM item {i} shares plunged", "link": f"https://example.com/{i}"} for i in range(12)]
    meeting = MeetAfterFirstPrediction(timeout=3)
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
    # no item predicted twice. On PostgreSQL both sides may hold part of the items (the story grouping after the
    # crawl locks some rows for a moment, and the worker's claim skips those), never the same one
    assert len(predicted) == len(set(predicted)) == 12
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
        feed_id = add_feed("Wire", base + "/wire.rss")
        report = fetch_now(feed_id, progress=lambda done, waiting: heard.append((done, waiting)))
    assert "12 new items" in report.text and "all scored" in report.text, report.text
    assert heard == [(5, 12), (10, 12), (12, 12)]
    [fetched] = list_events(action="feed fetched")
    assert (fetched["target"], fetched["detail"]) == ("Wire", {"feed id": feed_id})  # the audit log names the feed


def test_a_scorer_follows_the_one_holding_the_turn_and_takes_over_from_a_killed_one(db, tiny_models):
    if db.startswith("postgresql"):
        pytest.skip("the scoring turn is SQLite's: PostgreSQL hands concurrent scorers disjoint batches")
    import socket
    from datetime import timedelta

    from sqlalchemy import update

    from core.leases import SCORER, SOLE_WORKER_PERIOD, end_scoring_turn, take_scoring_turn
    from core.repositories import leases as lease_rows

    now = utcnow()
    lease_rows.claim(SCORER, SOLE_WORKER_PERIOD, f"{socket.gethostname()}:999999999", now, now + timedelta(minutes=2))
    assert take_scoring_turn()  # that pid does not run on this host: its turn is taken over at once
    end_scoring_turn()

    add_unscored(6)
    lease_rows.claim(SCORER, SOLE_WORKER_PERIOD, "another-host:1", now, now + timedelta(minutes=2))  # scoring there now
    heard: list[tuple[int, int]] = []
    result: list[int] = []
    page = thread_as_current_user(lambda: result.append(score_pending_articles(progress=lambda d, w: heard.append((d, w)))))
    page.start()
    time.sleep(2.5)
    assert page.is_alive() and not result  # it waits for the other scorer instead of predicting the same items
    with session_scope() as session:  # the other host scores half of them
        first = session.scalars(select(Article.id).order_by(Article.id).limit(3)).all()
        session.execute(update(Article).where(Article.id.in_(first)).values(scored_at=utcnow(), sentiment="negative"))
    time.sleep(2.5)
    lease_rows.release(SCORER, SOLE_WORKER_PERIOD, "another-host:1")  # and gives the turn back
    page.join(timeout=60)
    assert result == [3] and (3, 6) in heard and heard[-1] == (6, 6), (result, heard)
