"""Alert rule validation and storage."""

from __future__ import annotations

import pytest

from core.alerts import delete_alert_rule, list_alert_rules, save_alert_rule, validate_alert_rule
from core.storage import session_scope
from core.storage.tables import Feed
from core.watchlists import save_watchlist

VALID = {"name": "Banks negative", "scope_type": "topic", "scope_value": "Banks", "recipients": ["risk@example.com"]}


def test_save_creates_then_updates_by_name(db):
    rule_id = save_alert_rule(**VALID)
    assert save_alert_rule(**{**VALID, "threshold": 0.7, "recipients": "a@example.com, b@example.org"}) == rule_id
    [stored] = list_alert_rules()
    assert stored["id"] == rule_id and stored["threshold"] == 0.7
    assert stored["recipients"] == ["a@example.com", "b@example.org"]
    assert stored["mode"] == "share" and stored["window_hours"] == 24 and stored["enabled"] is True


def test_all_scope_needs_no_value_and_drops_one(db):
    save_alert_rule(name="Everything", scope_type="all", scope_value="ignored", mode="spike", threshold=2)
    assert list_alert_rules()[0]["scope_value"] == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "needs a name"),
        ({"scope_type": "sector"}, "scope must be one of"),
        ({"scope_value": ""}, "needs a scope value"),
        ({"scope_value": "Banks\nBcc: x@evil.test"}, "line breaks"),
        ({"mode": "ratio"}, "'share'"),
        ({"threshold": 0}, "above 0 and at most 1"),
        ({"threshold": 1.5}, "above 0 and at most 1"),
        ({"mode": "spike", "threshold": 1}, "factor above 1"),
        ({"threshold": "lots"}, "threshold must be a number"),
        ({"window_hours": 0}, "window"),
        ({"min_items": 0}, "at least 1"),
        ({"min_items": 2.5}, "whole number"),
        ({"baseline_days": 0}, "baseline"),
        ({"cooldown_hours": -1}, "cooldown"),
        ({"cooldown_hours": 0}, "cooldown must be at least 1 hour"),
        ({"cooldown_hours": 0.5}, "cooldown must be at least 1 hour"),
        ({"recipients": ["risk@example.com", "not-an-email"]}, "not a valid email address: 'not-an-email'"),
        ({"recipients": "risk@example"}, "not a valid email address"),
        ({"recipients": "risk team, analyst@example, ok@example.com"}, "not valid email addresses: 'risk', 'team', 'analyst@example'$"),
        ({"scope_type": "watchlist", "scope_value": "Nordics"}, "no watchlist named 'Nordics'"),
        ({"scope_type": "feed", "scope_value": "Wire"}, "no feed named 'Wire'"),
    ],
)
def test_invalid_rules_are_refused_with_a_clear_message(db, change, message):
    with pytest.raises(ValueError, match=message):
        save_alert_rule(**{**VALID, **change})
    assert list_alert_rules() == []


def add_feed(name: str) -> None:
    with session_scope() as session:
        session.add(Feed(name=name, url=f"http://127.0.0.1/{name}.rss"))


def test_watchlist_and_feed_scopes_must_exist(db):
    save_watchlist("Nordics", companies=["Nokia"])
    add_feed("Wire")
    save_alert_rule(**{**VALID, "name": "w", "scope_type": "watchlist", "scope_value": "Nordics"})
    save_alert_rule(**{**VALID, "name": "f", "scope_type": "feed", "scope_value": "Wire"})
    assert [r["name"] for r in list_alert_rules()] == ["f", "w"]


def test_a_scope_that_does_not_exist_names_the_closest_or_the_ones_there_are(db):
    def refusal(scope_type: str, value: str) -> str:
        with pytest.raises(ValueError) as caught:
            save_alert_rule(**{**VALID, "name": "x", "scope_type": scope_type, "scope_value": value})
        return str(caught.value)

    assert refusal("watchlist", "Big tech") == "there is no watchlist named 'Big tech'; there are no watchlists yet"
    save_watchlist("Big tech", companies=["Apple"])
    save_watchlist("Nordics", companies=["Nokia"])
    assert refusal("watchlist", "Big tec") == "there is no watchlist named 'Big tec': did you mean 'Big tech'?"
    assert refusal("watchlist", "Nordic") == "there is no watchlist named 'Nordic': did you mean 'Nordics'?"
    assert refusal("watchlist", "Energy") == "there is no watchlist named 'Energy'; the watchlists are 'Big tech', 'Nordics'"
    assert list_alert_rules() == []


def test_validation_accepts_names_about_to_be_created(db):
    rule = {**VALID, "scope_type": "watchlist", "scope_value": "New list"}
    assert validate_alert_rule(rule, extra_watchlists={"New list"})["scope_value"] == "New list"
    rule = {**VALID, "scope_type": "watchlist", "scope_value": "new  LIST"}
    assert validate_alert_rule(rule, extra_watchlists={"New list"})["scope_value"] == "New list"


def test_a_scope_written_in_other_capitals_or_spacing_names_the_stored_one(db):
    save_watchlist("Big tech", companies=["Apple"])
    add_feed("Wire")
    save_alert_rule(**{**VALID, "name": "w", "scope_type": "watchlist", "scope_value": "big  TECH"})
    save_alert_rule(**{**VALID, "name": "f", "scope_type": "feed", "scope_value": "wire"})
    assert {r["name"]: r["scope_value"] for r in list_alert_rules()} == {"f": "Wire", "w": "Big tech"}
    add_feed("WIRE")  # two feeds that differ only in capitals: which one is meant stays a question
    with pytest.raises(ValueError, match="no feed named 'wIrE': did you mean"):
        save_alert_rule(**{**VALID, "name": "f", "scope_type": "feed", "scope_value": "wIrE"})


def test_delete_rule(db):
    save_alert_rule(**VALID)
    assert delete_alert_rule("Banks negative") is True
    assert delete_alert_rule("Banks negative") is False
    assert list_alert_rules() == []


def test_recipients_pasted_from_a_mail_program_keep_their_addresses(db):
    pasted = 'Risk Team <risk@example.com>; "Lima, Ana" <ana@example.com>\nops@example.com, "ANA@example.com" <Ana@Example.com>'
    save_alert_rule(**{**VALID, "recipients": pasted})
    assert list_alert_rules()[0]["recipients"] == ["risk@example.com", "ana@example.com", "ops@example.com"]
    with pytest.raises(ValueError, match="not valid email addresses: 'Risk', 'Team', 'Ops <>'$"):
        save_alert_rule(**{**VALID, "recipients": "Risk Team, ok@example.com, Ops <>"})
    save_alert_rule(**{**VALID, "recipients": ["Risk Team <risk@example.com>", "ops@example.com"]})  # a YAML list likewise
    assert list_alert_rules()[0]["recipients"] == ["risk@example.com", "ops@example.com"]
