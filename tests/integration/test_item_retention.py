"""Keeping feed items for BEACON_KEEP_ITEMS_DAYS days: the worker's retention step deletes older items with their
company mentions, keeps corrected items, moves a story's count to its first remaining item, and deletes stories left
empty; unset, nothing is deleted. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.auth import list_events
from core.repositories import items
from core.sentiment.retention import delete_old_items, oldest_day_kept
from core.settings import SettingsError, get_settings
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed, LabelCorrection, Story, utcnow
from core.stories.assign import group_new_items
from core.views import financial_sentiment as dash

NOW = datetime(2026, 3, 20, 9, 30)
WIRE = "Nokia cuts 14,000 jobs as network sales slump"


@pytest.fixture
def keep_days(monkeypatch):
    def keep(value: str) -> None:
        monkeypatch.setenv("BEACON_KEEP_ITEMS_DAYS", value)
        get_settings.cache_clear()

    return keep


OTHER_TITLES = ["Tesla recalls 120,000 cars over faulty seat belts", "Unilever names new chief financial officer",
                "Airbus raises delivery target after strong March", "Zalando shares slide on weak outlook"]


def seed(now: datetime = NOW) -> dict[str, list[int]]:
    """Three feeds: a story carried from 11 days ago until 9 days ago (its lead is the oldest copy), a story only
    12 days old, old items on their own and this week's items."""
    ages = {"straddling": [11, 10, 9], "old_story": [12, 12], "old": [15, 14], "new": [1, 0]}
    titles = {"straddling": WIRE, "old_story": "Brent crude jumps 6% as Gulf shipping halts"}
    others = iter(OTHER_TITLES)
    made: dict[str, list[int]] = {}
    with session_scope() as session:
        feeds = [Feed(name=f"Wire {n}", url=f"http://127.0.0.1:9/wire{n}.xml") for n in range(3)]  # refused at once
        session.add_all(feeds)
        session.flush()
        for kind, days in ages.items():
            for n, age in enumerate(days):
                title = titles.get(kind) or next(others)
                article = Article(feed_id=feeds[n % 3].id, guid=f"{kind}{n}", link=f"https://wire.example/{kind}/{n}", title=title,
                                  summary="", published_at=now - timedelta(days=age, hours=n), companies=["Nokia"])
                article.mentions = [CompanyMention(company="Nokia")]
                session.add(article)
                session.flush()
                made.setdefault(kind, []).append(article.id)
    group_new_items()
    return made


def counts() -> dict[str, int]:
    with session_scope() as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                for table in (Article, CompanyMention, Story, LabelCorrection)}


def test_items_older_than_the_kept_days_go_with_their_mentions_and_empty_stories(db, keep_days):
    made = seed()
    items.store_correction(made["old"][0], "sentiment", "negative", "ana", lambda title, _summary: title)
    with session_scope() as session:
        story_of = dict(session.execute(select(Article.id, Article.story_id)).all())
    assert len({story_of[i] for i in made["straddling"]}) == 1 and len(set(story_of.values())) == 6  # the rest alone
    keep_days("10")

    summary = delete_old_items(now=NOW)

    assert summary == {"deleted": 4, "before": "2026-03-10"}  # 1 + 2 of the stories, 1 old item (the other was corrected)
    with session_scope() as session:
        left = dict(session.execute(select(Article.id, Article.story_lead)).all())
        stories = list(session.scalars(select(Story.id)))
    assert set(left) == {*made["straddling"][1:], made["old"][0], *made["new"]}
    assert left[made["straddling"][1]] and not left[made["straddling"][2]]  # counted through its first remaining item
    assert sorted(stories) == sorted({story_of[i] for i in left})  # the all-old stories have gone with their items
    assert counts() == {"articles": 5, "company_mentions": 5, "stories": 4, "label_corrections": 1}
    assert delete_old_items(now=NOW) == {"deleted": 0, "before": "2026-03-10"}


def test_a_large_backlog_is_deleted_a_batch_per_cycle_oldest_first(db, keep_days):
    made = seed()
    keep_days("10")
    assert delete_old_items(now=NOW, limit=2)["deleted"] == 2
    with session_scope() as session:
        assert not session.scalar(select(func.count()).where(Article.id.in_(made["old"])))  # 15 and 14 days old first
    assert delete_old_items(now=NOW, limit=2)["deleted"] == 2
    assert delete_old_items(now=NOW, limit=2)["deleted"] == 1
    assert counts() == {"articles": 4, "company_mentions": 4, "stories": 3, "label_corrections": 0}


def test_unset_or_forever_keeps_every_item(db, keep_days):
    seed()
    before = counts()
    assert "not set" in delete_old_items(now=NOW)
    keep_days("forever")
    assert "not set" in delete_old_items(now=NOW) and dash.retention_note() is None
    assert counts() == before


def test_the_worker_cycle_deletes_old_items_and_says_so(db, keep_days, caplog):
    from jobs.cycle import run_cycle

    seed(now=utcnow())
    keep_days("3")
    with caplog.at_level("INFO", logger="beacon.worker"):
        summary = run_cycle()
    assert "retention" not in summary["failed_steps"] and summary["retention"]["deleted"] > 0
    assert f"{summary['retention']['deleted']} items older than" in caplog.text
    assert counts()["articles"] == 2  # this week's (none corrected)
    [event] = list_events(action="old feed items deleted")  # deleted without anyone's click: on record
    assert event["target"] == f"{summary['retention']['deleted']} items"
    assert event["detail"] == {"published_before": summary["retention"]["before"], "setting": "BEACON_KEEP_ITEMS_DAYS"}


@pytest.mark.parametrize("value", ["0", "-5", "ninety", "36501"])
def test_an_impossible_number_of_days_stops_the_start_with_its_name(beacon_env, keep_days, value):
    keep_days(value)
    with pytest.raises(SettingsError, match=r"BEACON_KEEP_ITEMS_DAYS .*\(or forever, to keep every item\)"):
        get_settings()


def test_the_page_says_how_long_items_are_kept(beacon_env, keep_days):
    keep_days("90")
    assert dash.retention_note().startswith("Items are kept for 90 days (BEACON_KEEP_ITEMS_DAYS)")
    assert oldest_day_kept(90, NOW) == datetime(2025, 12, 20)


def test_the_daily_counts_forget_the_deleted_days(db, keep_days):
    """PostgreSQL's daily counts (what whole-day trends read) drop the deleted items' days, as the items did."""
    if not db.startswith("postgresql"):
        pytest.skip("the daily counts are kept by PostgreSQL triggers; SQLite counts from the items")
    from tests.integration.test_daily_counts import RANGE, as_counter, counted_from_items, from_table
    from tests.integration.test_daily_counts import seed as seed_counted_items

    seed_counted_items()
    before = as_counter(from_table(RANGE))  # the days are counted into the table
    keep_days("1")
    assert delete_old_items(now=datetime(2026, 3, 5, 12))["deleted"] > 0  # 4 March is the first day kept
    after = as_counter(from_table(RANGE))
    assert after == counted_from_items(RANGE) and after != before
    assert {day for day, _, _ in after} and all(day >= "2026-03-04" for day, _, _ in after)


def test_a_feed_that_still_lists_old_items_does_not_store_them_again_and_fetch_now_says_why(tiny_models, keep_days):
    """Deleted at one cycle, stored again at the next fetch of a document that still lists them: the crawler skips
    items published before the first day kept, and Fetch now tells the analyst why a feed gave fewer items."""
    from core.auth.roles import Actor, acting_as
    from core.feeds import crawl_feed
    from core.views.financial_sentiment import fetch_now
    from tests.support.feed_server import rss_feed, serve_feeds
    from tests.unit.test_alert_detect import add_feed

    now = utcnow()
    dated = [("Nokia cuts 14,000 jobs", 400), ("Brent jumps 6%", 40), ("Fed holds rates", 2), ("Airbus raises target", 0)]
    document = rss_feed([{"title": title, "link": f"https://wire.example/{n}",
                          "pubDate": (now - timedelta(days=age)).strftime("%a, %d %b %Y %H:%M:%S GMT")}
                         for n, (title, age) in enumerate(dated)])  # fmt: skip
    keep_days("30")
    with serve_feeds({"/wire.rss": document}) as base:
        feed_id = add_feed("Wire")
        with session_scope() as session:
            session.get(Feed, feed_id).url = base + "/wire.rss"
        outcome = crawl_feed(feed_id)
        assert (outcome.new_items, outcome.too_old) == (2, 2)
        with acting_as(Actor("ana", "analyst")):
            report = fetch_now(feed_id)
    with session_scope() as session:
        assert sorted(session.scalars(select(Article.title))) == ["Airbus raises target", "Fed holds rates"]
    assert report.text.startswith("Wire: no new items. 2 items published before ")
    assert "2 items published before " in report.text
    assert report.text.endswith("were not stored: items are kept for 30 days (BEACON_KEEP_ITEMS_DAYS).")
