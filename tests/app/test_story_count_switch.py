"""The count switch (issue 18, Monitoring 1) with AppTest against a real database: Financial sentiment counts
stories by default (a story carried by five feeds is one row and counts once), 'Items' counts every item and is
kept in the URL; the Alerts page's rule form saves 'count items instead of stories'."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core.alerts import list_alert_rules
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow
from core.stories.assign import group_new_items
from tests.app.helpers import assert_no_exception, button, open_page, switch_tab, table, widget

PAGE = "financial_sentiment.py"
STORY = "Oil tops $100 a barrel for first time since 2022 as Iran war widens"


def seed_syndicated_story(db: str, copies: int = 5) -> None:
    """Five feeds carry one negative story; one more item is other, positive news. Grouped by the stories step."""
    now = utcnow()
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)  # one day for every copy, whatever the hour
    with session_scope() as session:
        feeds = [Feed(name=f"Wire {n}", url=f"https://wire{n}.example/rss") for n in range(copies)]
        session.add_all(feeds)
        session.flush()
        for n, feed in enumerate(feeds):
            session.add(Article(feed_id=feed.id, guid=f"s{n}", link=f"https://wire.example/oil?utm_source={n}", title=STORY,
                                summary="", published_at=noon + timedelta(minutes=5 * n)))
        session.add(Article(feed_id=feeds[0].id, guid="other", link="https://other.example/1", summary="",
                            title="Apple unveils cheaper iPhone aimed at emerging markets", published_at=noon + timedelta(hours=1)))
    group_new_items()
    with session_scope() as session:
        session.execute(update(Article).values(scored_at=now, sentiment="negative", sentiment_confidence=0.9, prob_negative=0.9,
                                               topic="Energy"))
        session.execute(update(Article).where(Article.guid == "other").values(sentiment="positive", prob_negative=0.05, topic="Markets"))


def kpis(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_counts_stories_by_default_and_items_on_request(db):
    seed_syndicated_story(db)
    at = open_page(PAGE)
    assert_no_exception(at)
    assert at.radio(key="f_count").value == "stories"
    assert kpis(at)["Stories"] == "2" and kpis(at)["Negative"] == "1"
    listed = table(at, "items_table")
    assert len(listed) == 2 and sorted(listed["sources"]) == [1, 5]
    assert "count" not in at.query_params

    at.radio(key="f_count").set_value("items").run()
    assert_no_exception(at)
    assert kpis(at)["Items"] == "6" and kpis(at)["Negative"] == "5"
    assert len(table(at, "items_table")) == 6
    assert dict(at.query_params)["count"] == "items"  # kept in the URL


def test_a_link_with_count_items_opens_in_items_mode(db):
    seed_syndicated_story(db)
    at = open_page(PAGE, count="items")
    assert_no_exception(at)
    assert at.radio(key="f_count").value == "items"
    assert kpis(at)["Items"] == "6"


def test_a_trend_point_drills_down_to_its_stories(db):
    seed_syndicated_story(db)
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    picks = list(at.selectbox(key="t_pick").options)
    at.selectbox(key="t_pick").select_index(next(i for i, p in enumerate(picks) if p.endswith("Energy"))).run()
    drilled = table(at, "drill_table")
    assert drilled["title"].tolist() == [STORY] and drilled["sources"].tolist() == [5]
    at.radio(key="f_count").set_value("items").run()
    switch_tab(at, "Trends")
    at.selectbox(key="t_pick").select_index(next(i for i, p in enumerate(picks) if p.endswith("Energy"))).run()
    assert len(table(at, "drill_table")) == 5


def test_the_rule_form_saves_count_items_instead_of_stories(db):
    at = open_page("alerts.py", tab="Alert rules")
    assert widget(at.checkbox, "Count items instead of stories").value is False  # stories by default
    widget(at.text_input, "Rule name").input("Every copy")
    widget(at.checkbox, "Count items instead of stories").set_value(True)
    button(at, "Save rule").click().run()
    assert_no_exception(at)
    [rule] = list_alert_rules()
    assert rule["count_items"] is True
    assert table(at, "rules_table")["counts"].tolist() == ["items"]
