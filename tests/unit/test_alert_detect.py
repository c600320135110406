"""Spike detection over scored articles: tests, minimum counts, cooldown, scopes and idempotency."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.alerts import detect_alerts, save_alert_rule
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, CompanyMention, Feed, utcnow
from core.watchlists import save_watchlist
from tests.support.threads import thread_as_current_user

NOW = datetime(2024, 6, 3, 12, 0)
_guids = itertools.count()


def add_feed(name: str = "News", topics: tuple[str, ...] = ()) -> int:
    with session_scope() as session:
        feed = Feed(name=name, url=f"http://127.0.0.1/{name}.rss", topics=list(topics))
        session.add(feed)
        session.flush()
        return feed.id


def add_article(
    feed_id: int,
    sentiment: str = "negative",
    hours_ago: float = 1.0,
    title: str = "Item",
    summary: str = "",
    prob_negative: float | None = None,
    topic: str | None = None,
    companies: tuple[str, ...] = (),
    scored: bool = True,
    now: datetime = NOW,
) -> int:
    if prob_negative is None:
        prob_negative = 0.9 if sentiment == "negative" else 0.05
    guid = f"g{next(_guids)}"
    with session_scope() as session:
        article = Article(  # each item its own link: items sharing a link are one story (core/stories)
            feed_id=feed_id, guid=guid, link=f"https://example.com/a/{guid}", title=title, summary=summary,
            published_at=now - timedelta(hours=hours_ago), topic=topic, companies=list(companies),
        )
        if scored:
            article.sentiment, article.sentiment_confidence = sentiment, 0.8
            article.prob_negative, article.scored_at = prob_negative, now - timedelta(hours=hours_ago)
        article.mentions = [CompanyMention(company=c) for c in companies]
        session.add(article)
        session.flush()
        return article.id


def rule(name: str = "r", **overrides) -> int:
    params = {"scope_type": "all", "window_hours": 24, "min_items": 3, "mode": "share", "threshold": 0.5,
              "cooldown_hours": 12, "recipients": ["risk@example.com"], **overrides}
    return save_alert_rule(name=name, **params)


def alerts() -> list[Alert]:
    with session_scope() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


@pytest.fixture
def feed(db) -> int:
    return add_feed()


def test_share_rule_fires_with_counts_reason_and_worst_items(feed):
    ids = [add_article(feed, "negative", prob_negative=p) for p in (0.7, 0.95, 0.8)]
    add_article(feed, "positive")
    rule_id = rule(threshold=0.6)

    created = detect_alerts(NOW)

    [alert] = alerts()
    assert created == [alert.id] and alert.rule_id == rule_id
    assert (alert.item_count, alert.negative_count, alert.negative_share) == (4, 3, 0.75)
    assert alert.baseline_share is None
    assert alert.article_ids[:3] == [ids[1], ids[2], ids[0]]  # highest prob_negative first
    assert (alert.window_start, alert.window_end) == (NOW - timedelta(hours=24), NOW)
    assert alert.recipients == ["risk@example.com"] and alert.email_status == "pending"
    assert "75%" in alert.reason and "4 stories" in alert.reason and "60%" in alert.reason
    assert alert.reason.endswith(".") and alert.reason.count(". ") == 0  # one sentence


def test_share_below_threshold_does_not_fire(feed):
    for sentiment in ("negative", "positive", "neutral", "positive"):
        add_article(feed, sentiment)
    rule(threshold=0.5)
    assert detect_alerts(NOW) == [] and alerts() == []


def test_too_few_items_do_not_fire(feed):
    add_article(feed)
    add_article(feed)
    rule(min_items=3)
    assert detect_alerts(NOW) == []


def test_only_scored_items_inside_the_window_count(feed):
    add_article(feed, hours_ago=1)
    add_article(feed, hours_ago=2)
    add_article(feed, hours_ago=3, scored=False)
    add_article(feed, hours_ago=30)  # before the window
    add_article(feed, hours_ago=-1)  # after now
    rule(min_items=3)
    assert detect_alerts(NOW) == []
    add_article(feed, hours_ago=24)  # exactly at the window start counts
    assert len(detect_alerts(NOW)) == 1
    assert alerts()[0].item_count == 3


def test_rule_without_recipients_stores_alert_without_email(feed):
    for _ in range(3):
        add_article(feed)
    rule(recipients=[])
    detect_alerts(NOW)
    assert alerts()[0].email_status == "none"


def test_disabled_rule_is_ignored(feed):
    for _ in range(3):
        add_article(feed)
    rule(enabled=False)
    assert detect_alerts(NOW) == []


def test_repeated_detect_creates_nothing_new(feed):
    for _ in range(3):
        add_article(feed)
    rule(name="with cooldown")
    rule(name="shortest cooldown", cooldown_hours=1)
    first = detect_alerts(NOW)
    assert len(first) == 2
    assert detect_alerts(NOW) == []
    assert detect_alerts(NOW) == []
    assert len(alerts()) == 2


def test_cooldown_blocks_new_alerts_until_it_has_passed(feed):
    for _ in range(3):
        add_article(feed)
    rule(cooldown_hours=12, window_hours=48)
    assert len(detect_alerts(NOW)) == 1
    add_article(feed, hours_ago=-2)
    assert detect_alerts(NOW + timedelta(hours=6)) == []
    assert detect_alerts(NOW + timedelta(hours=11, minutes=59)) == []
    assert len(detect_alerts(NOW + timedelta(hours=12))) == 1
    assert [a.window_end for a in alerts()] == [NOW, NOW + timedelta(hours=12)]


def test_the_same_evidence_never_raises_a_second_alert(feed):
    """Cooldown over, but no item the first alert did not count: a new alert would only repeat it."""
    for _ in range(3):
        add_article(feed)
    rule(cooldown_hours=1)
    assert len(detect_alerts(NOW)) == 1
    assert detect_alerts(NOW + timedelta(hours=2)) == []
    assert detect_alerts(NOW + timedelta(hours=3)) == []
    add_article(feed, hours_ago=-3.5)  # a new negative item, published after the first alert's window
    assert len(detect_alerts(NOW + timedelta(hours=4))) == 1
    assert [a.item_count for a in alerts()] == [3, 4]


def test_an_older_item_scored_after_the_alert_is_new_evidence(feed):
    for _ in range(3):
        add_article(feed)
    rule(cooldown_hours=1)
    assert len(detect_alerts(NOW)) == 1
    late = add_article(feed, hours_ago=5, scored=False)  # published inside the first window, scored only now
    with session_scope() as session:
        article = session.get(Article, late)
        article.sentiment, article.scored_at = "negative", utcnow()
    assert len(detect_alerts(NOW + timedelta(hours=2))) == 1


def test_a_stored_rule_with_cooldown_zero_waits_the_minimum(feed):
    for _ in range(3):
        add_article(feed)
    rule_id = rule(cooldown_hours=1)
    with session_scope() as session:  # stored before the minimum existed
        session.get(AlertRule, rule_id).cooldown_hours = 0
    assert len(detect_alerts(NOW)) == 1
    add_article(feed, hours_ago=-0.25)
    assert detect_alerts(NOW + timedelta(minutes=30)) == []
    assert len(detect_alerts(NOW + timedelta(hours=1))) == 1


def test_reasons_read_naturally_for_every_scope(feed):
    for _ in range(3):
        add_article(feed, topic="Earnings")
    rule(name="everything")
    rule(name="earnings", scope_type="topic", scope_value="Earnings")
    detect_alerts(NOW)
    reasons = {a.rule.name: a.reason for a in _alerts_with_rules()}
    assert reasons["everything"].startswith("100% of all 3 stories in the last 24 hours were negative"), reasons
    assert reasons["earnings"].startswith("100% of the 3 stories on the topic 'Earnings' in the last 24 hours"), reasons
    assert not any("about all items" in r for r in reasons.values())


def _alerts_with_rules() -> list[Alert]:
    with session_scope() as session:
        found = list(session.scalars(select(Alert).order_by(Alert.id)))
        for alert in found:
            alert.rule.name  # noqa: B018 - loaded while the session is open
        return found


def test_timezone_aware_now_is_accepted(feed):
    for _ in range(3):
        add_article(feed)
    rule()
    assert len(detect_alerts(NOW.replace(tzinfo=UTC))) == 1
    assert alerts()[0].window_end == NOW


def _history(feed: int, negatives: int, total: int, days_ago: float = 3) -> None:
    for i in range(total):
        add_article(feed, "negative" if i < negatives else "neutral", hours_ago=24 * days_ago)


def test_spike_fires_against_the_scopes_own_baseline(feed):
    _history(feed, negatives=1, total=10)  # baseline 10 %
    for i in range(5):
        add_article(feed, "negative" if i < 3 else "neutral")  # window 60 %
    rule(mode="spike", threshold=2, baseline_days=7, min_items=5)
    [alert_id] = detect_alerts(NOW)
    alert = alerts()[0]
    assert alert.id == alert_id and alert.baseline_share == pytest.approx(0.1)
    assert alert.negative_share == pytest.approx(0.6)
    assert "baseline of 10%" in alert.reason and "6.0 times" in alert.reason


def test_spike_needs_the_factor(feed):
    _history(feed, negatives=4, total=10)  # baseline 40 %
    for i in range(5):
        add_article(feed, "negative" if i < 3 else "neutral")  # 60 % < 2 x 40 %
    rule(mode="spike", threshold=2, min_items=5)
    assert detect_alerts(NOW) == []


def test_spike_needs_ten_points_above_the_baseline(feed):
    _history(feed, negatives=1, total=20)  # baseline 5 %
    for i in range(10):
        add_article(feed, "negative" if i < 1 else "neutral")  # 10 %: twice the baseline but only 5 points above
    rule(mode="spike", threshold=2, min_items=5)
    assert detect_alerts(NOW) == []


def test_spike_ignores_history_older_than_the_baseline_days(feed):
    _history(feed, negatives=0, total=10, days_ago=10)  # outside a 7-day baseline
    for _ in range(5):
        add_article(feed)
    rule(mode="spike", threshold=2, baseline_days=7, min_items=5)
    assert detect_alerts(NOW) == []  # too little history to call it a spike
    rule(name="longer", mode="spike", threshold=2, baseline_days=14, min_items=5)
    assert len(detect_alerts(NOW)) == 1


def test_a_broken_rule_does_not_stop_the_others(feed):
    for _ in range(3):
        add_article(feed)
    rule(name="good")
    with session_scope() as session:
        session.add(AlertRule(name="broken", scope_type="bogus", scope_value="x", min_items=1, recipients=[]))
    assert len(detect_alerts(NOW)) == 1


def test_at_most_ten_worst_items_are_kept(feed):
    ids = [add_article(feed, prob_negative=i / 100) for i in range(15)]
    rule(min_items=1)
    detect_alerts(NOW)
    assert alerts()[0].article_ids == list(reversed(ids))[:10]


@pytest.fixture
def corpus(db) -> dict[str, int]:
    """One negative article per way of being in a scope."""
    banks = add_feed("Bank wire", topics=("Banks",))
    news = add_feed("News")
    return {
        "bank_feed": add_article(banks, title="Rates unchanged"),
        "earnings": add_article(news, title="Quarter", topic="Earnings"),
        "nokia": add_article(news, title="Phones", companies=("Nokia",)),
        "ticker": add_article(news, title="Stock", companies=("AAPL",)),
        "keyword": add_article(news, title="Plant closure", summary="ACME Corp shuts its plant"),
        "percent": add_article(news, title="Acme cut 500 jobs"),
        "other": add_article(news, title="Weather"),
    }


@pytest.mark.parametrize(
    ("scope_type", "scope_value", "expected"),
    [
        ("all", "", {"bank_feed", "earnings", "nokia", "ticker", "keyword", "percent", "other"}),
        ("topic", "earnings", {"earnings"}),
        ("topic", "banks", {"bank_feed"}),  # the feed's topic tag
        ("company", "nokia", {"nokia"}),  # case-insensitive
        ("company", "$aapl", {"ticker"}),
        ("keyword", "acme", {"keyword", "percent"}),  # title or summary, any case
        ("keyword", "50%", set()),  # % is literal, not a wildcard
        ("feed", "Bank wire", {"bank_feed"}),
        ("watchlist", "Mine", {"nokia", "ticker", "keyword", "percent"}),
    ],
)
def test_scopes_select_their_articles(corpus, scope_type, scope_value, expected):
    save_watchlist("Mine", companies=["NOKIA"], tickers=["aapl"], keywords=["acme"])
    rule(scope_type=scope_type, scope_value=scope_value, min_items=1, threshold=0.01)
    detect_alerts(NOW)
    found = {name for name, article_id in corpus.items() if article_id in (alerts()[0].article_ids if alerts() else [])}
    assert found == expected
    if expected:
        assert alerts()[0].item_count == len(expected)
        assert alerts()[0].scope_label == ("all items" if scope_type == "all" else f"{scope_type}: {scope_value}")


def test_watchlist_keywords_alone_select_articles(corpus):
    save_watchlist("Words", keywords=["plant"])
    rule(scope_type="watchlist", scope_value="Words", min_items=1)
    detect_alerts(NOW)
    assert alerts()[0].article_ids == [corpus["keyword"]]


def test_detect_counts_alerts_per_rule(feed):
    for _ in range(3):
        add_article(feed)
    rule(name="a")
    rule(name="b", threshold=1.0)
    detect_alerts(NOW)
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 2


def test_concurrent_detect_runs_store_one_alert(feed):
    import threading

    for _ in range(3):
        add_article(feed)
    rule(cooldown_hours=12)
    barrier, results = threading.Barrier(4), []

    def run(offset: int) -> None:
        barrier.wait()
        results.append(detect_alerts(NOW + timedelta(seconds=offset)))

    threads = [thread_as_current_user(run, i) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(r) for r in results) == 1 and len(alerts()) == 1
