"""Watchlists: validation, storage and the terms the company tagger uses."""

from __future__ import annotations

import pytest

from core.alerts import save_alert_rule
from core.watchlists import delete_watchlist, list_watchlists, save_watchlist, watchlist_terms


def test_save_cleans_entries_and_updates_by_name(db):
    watchlist_id = save_watchlist(" Nordics ", companies="Nokia, Kone ,nokia,", tickers=["$nok", " kne "], keywords=[])
    assert save_watchlist("Nordics", companies=["Nokia"], keywords=["5G"]) == watchlist_id
    expected = {"id": watchlist_id, "name": "Nordics", "companies": ["Nokia"], "tickers": [], "keywords": ["5G"], "owner": "tests"}
    assert list_watchlists() == [expected]


def test_tickers_are_upper_case_without_dollar(db):
    save_watchlist("Tech", tickers="$aapl, msft, brk.b, $AAPL")
    assert list_watchlists()[0]["tickers"] == ["AAPL", "MSFT", "BRK.B"]
    save_watchlist("Markets", tickers="RDS-A, 7203.T, 005930.KS")  # share classes and other markets' suffixes
    assert {w["name"]: w["tickers"] for w in list_watchlists()}["Markets"] == ["RDS-A", "7203.T", "005930.KS"]


@pytest.mark.parametrize(
    ("name", "entries", "message"),
    [
        ("", {"companies": ["Nokia"]}, "needs a name"),
        ("x" * 201, {"companies": ["Nokia"]}, "at most 200"),
        ("Empty", {}, "at least one company, ticker or keyword"),
        ("Empty", {"companies": " , ", "tickers": ["$"]}, "at least one company, ticker or keyword"),
        ("Bad", {"tickers": ["NO K"]}, "not a ticker"),
        ("Bad", {"tickers": ["TOO-LONG-TICKER"]}, "'TOO-LONG-TICKER' is not a ticker: up to 6 letters or digits"),
        ("Bad", {"tickers": ["BRK..B"]}, "not a ticker"),
    ],
)
def test_invalid_watchlists_are_refused(db, name, entries, message):
    with pytest.raises(ValueError, match=message):
        save_watchlist(name, **entries)
    assert list_watchlists() == []


def test_delete(db):
    save_watchlist("Nordics", companies=["Nokia"])
    assert delete_watchlist("Nordics") is True
    assert delete_watchlist("Nordics") is False
    assert list_watchlists() == []


def test_delete_is_refused_while_a_rule_uses_it(db):
    save_watchlist("Nordics", companies=["Nokia"])
    save_alert_rule(name="Nordic news", scope_type="watchlist", scope_value="Nordics")
    with pytest.raises(ValueError, match="used by alert rule"):
        delete_watchlist("Nordics")
    assert [w["name"] for w in list_watchlists()] == ["Nordics"]


def test_delete_is_refused_while_a_digest_uses_it_and_names_everything_that_does(db):
    from core.digests import save_digest_subscription

    save_watchlist("Nordics", companies=["Nokia"])
    save_digest_subscription("Morning Nordics", "watchlist", "Nordics", recipients="a@example.com")
    with pytest.raises(ValueError, match="watchlist 'Nordics' is used by digest 'Morning Nordics': change or delete them first"):
        delete_watchlist("Nordics")
    save_alert_rule(name="Nordic news", scope_type="watchlist", scope_value="Nordics")
    with pytest.raises(ValueError, match="used by alert rule 'Nordic news' and digest 'Morning Nordics'"):
        delete_watchlist("Nordics")
    assert [w["name"] for w in list_watchlists()] == ["Nordics"]


def test_terms_across_watchlists(db):
    save_watchlist("A", companies=["Nokia", "Kone"], tickers=["NOK"])
    save_watchlist("B", companies=["nokia", "Wärtsilä"], tickers=["$kne", "NOK"], keywords=["layoffs"])
    assert watchlist_terms() == {"companies": ["Kone", "Nokia", "Wärtsilä"], "tickers": ["KNE", "NOK"]}


def test_terms_without_watchlists(db):
    assert watchlist_terms() == {"companies": [], "tickers": []}


def test_a_company_beacon_cannot_tag_is_named_with_the_way_to_have_it_tagged(db):
    from core.alerts.rules import untagged_company

    assert untagged_company("Meta") is None and untagged_company("meta platforms") is None  # in the company list
    assert untagged_company("$ACME") is None and untagged_company("ACME") is None  # a cashtag can tag any ticker
    warning = untagged_company("OpenAI")
    assert warning.startswith("Beacon does not tag 'OpenAI': it is not in its company list or a watchlist")
    assert warning.endswith("add it to a watchlist (Watchlists tab) to have it tagged in new items")
    assert "did you mean 'Meta'? Or add it to a watchlist" in untagged_company("Metta")
    save_watchlist("AI labs", companies=["OpenAI"])
    assert untagged_company("openai") is None  # a watchlist name is tagged
