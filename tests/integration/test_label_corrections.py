"""Reviewer corrections: stored under the signed-in reviewer's name, offered as training rows."""

from __future__ import annotations

from sqlalchemy import select

from core.auth import Actor, acting_as, create_user
from core.sentiment.corrections import correct_label, corrections_for_training
from core.storage import session_scope
from core.storage.tables import Article, Feed, LabelCorrection, utcnow


def _article() -> int:
    with session_scope() as session:
        feed = Feed(name="Wire", url="http://127.0.0.1:9/wire.rss", topics=[])
        session.add(feed)
        session.flush()
        article = Article(feed_id=feed.id, guid="g1", link="https://example.com/1", title="Shares plunged", summary="",
                          published_at=utcnow(), sentiment="positive", sentiment_confidence=0.6)
        session.add(article)
        session.flush()
        return article.id


def test_a_correction_is_stored_under_the_signed_in_reviewer(db):
    article_id = _article()
    create_user("rita", "a long password here", "analyst")
    with acting_as(Actor("rita", "analyst")):
        correct_label(article_id, "sentiment", "negative", ["negative", "neutral", "positive"])
    with session_scope() as session:
        stored = session.scalar(select(LabelCorrection))
        assert (stored.created_by, stored.old_label, stored.new_label) == ("rita", "positive", "negative")
    assert corrections_for_training("sentiment") == [("Shares plunged", "negative")]
