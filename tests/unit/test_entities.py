import re
import time

import pytest

from core.sentiment.entities import CompanyDirectory, canonical_company, find_companies
from core.sentiment.gazetteer import build_gazetteer, gazetteer, normalised_name, world_listings


def test_cashtags_exchange_tickers_and_known_names():
    directory = CompanyDirectory()
    text = "$TSLA and $brk.b rally; Apple (NASDAQ: AAPL) beats, Acme Corp (ACME) too, says the CEO (CEO)"
    found = find_companies(text, directory)
    assert "TSLA" in found and "BRK.B" in found and "AAPL" in found
    assert "ACME" not in found  # unknown ticker in parentheses is not guessed
    assert "CEO" not in found


def test_watchlist_names_and_tickers_extend_the_directory():
    directory = CompanyDirectory()
    directory.add(names=["Nordvik Group"], tickers=["$NRDV"])
    found = find_companies("Nordvik Group (NRDV) cuts outlook", directory)
    assert found == ["NRDV", "Nordvik Group"]


def test_watchlist_names_are_found_in_any_case_and_cashtags_of_unknown_tickers_kept():
    directory = CompanyDirectory()
    directory.add(names=["Nordvik Group"], tickers=["NRDV"])
    assert find_companies("shares of nordvik group slid", directory, directory.pattern()) == ["Nordvik Group"]
    assert find_companies("$ZZZQ up 5%", CompanyDirectory()) == ["ZZZQ"]


def test_names_match_whole_words_only():
    directory = CompanyDirectory()
    assert find_companies("Pineapple prices rose", directory) == []
    # the hand list tagged AAPL here (the known false positive of issue 18): fruit is not the company
    assert find_companies("apple slices", directory) == []


def test_apple_the_fruit_is_not_apple_the_company():
    directory = CompanyDirectory()
    assert find_companies("Add apple slices and a pinch of cinnamon", directory) == []
    assert find_companies("Apple Slices With Peanut Butter Make a Quick Snack", directory) == []  # Title Case, no context
    assert find_companies("Big Apple rents climb again", directory) == []
    assert find_companies("Apple takes wraps off new low-cost MacBook", directory) == ["AAPL"]
    assert find_companies("Apple's New Products Lift Revenue", directory) == ["AAPL"]  # possessive: the company
    assert find_companies("Stocks moving: Amazon, Apple, Intel & more", directory) == ["AMZN", "AAPL", "INTC"]


def test_surnames_and_phrases_that_are_company_names_are_not_tagged():
    directory = CompanyDirectory()
    assert find_companies("Bill Gates backs new climate fund", directory) == []
    assert find_companies("Icahn says Buffett is the Oracle of Omaha", directory) == []
    assert find_companies("Employers shed 92,000 jobs in New York City", directory) == []
    assert find_companies("Shell shares rose after the results", directory) == ["SHEL"]


def test_meta_and_citi_found_by_their_short_names():
    directory = CompanyDirectory()
    assert find_companies("Meta's Zuckerberg buys castle in Ireland", directory) == ["META"]
    assert find_companies("Exclusive: Meta planning sweeping layoffs as AI costs mount", directory) == ["META"]
    assert find_companies("Citi, HSBC, StanChart adopt forex AI tool", directory) == ["C", "HSBA.L", "STAN.L"]
    assert find_companies("Citi CEO expects growth in investment banking", directory) == ["C"]


def test_gazetteer_covers_index_constituents_beyond_the_old_hand_list():
    directory = CompanyDirectory()
    assert find_companies("Regeneron wins FDA approval; Estée Lauder forecasts profit", directory) == ["REGN", "EL"]
    assert find_companies("Estee Lauder forecasts strong annual profit", directory) == ["EL"]
    assert find_companies("McDonald’s C.E.O. takes a bite", directory) == ["MCD"]  # curly apostrophe
    assert find_companies("Volkswagen needs deep cuts, CEO says", directory) == ["VOW3.DE"]


def test_companies_outside_the_indices_come_from_the_sec_list():
    directory, index_only = CompanyDirectory(), build_gazetteer(sec_listings=False)
    for text, found in [
        ("Nebius plans a convertible debt sale to fund data centers", ["NBIS"]),
        ("American Airlines adds premium seats in profit push", ["AAL"]),
        ("KKR makes takeover bid for energy distributor UGI", ["KKR", "UGI"]),
    ]:
        assert find_companies(text, directory) == found
        assert find_companies(text, directory, gaz=index_only) == []  # the index constituents alone miss them


def test_short_names_are_the_first_word_of_a_one_company_name():
    directory = CompanyDirectory()
    assert find_companies("Robinhood lands a new valuation", directory) == ["HOOD"]  # Robinhood Markets
    assert find_companies("Analysts name Chipotle, Amazon and Netflix their top picks", directory) == ["CMG", "AMZN", "NFLX"]
    assert find_companies("Ultragenyx's gene therapy wins approval", directory) == ["RARE"]
    assert find_companies("Carl Icahn sells stake", directory) == []  # a surname after a given name is the person
    assert find_companies("Asia shares fall as oil climbs", directory) == []  # places are never short names


@pytest.mark.parametrize(
    "text",
    [
        "Gap between rich and poor widens",
        "Snap election called in Japan",
        "Bullish investors pile into tech",
        "Elastic demand for oil",
        "Here's why stocks fell",
        "Dow closes higher as tech rallies",
        "Clean Energy stocks rally",
    ],
)
def test_sec_names_that_are_ordinary_words_need_a_company_word(text):
    assert find_companies(text, CompanyDirectory()) == []


def test_sec_names_that_are_ordinary_words_are_found_with_a_company_word():
    directory = CompanyDirectory()
    assert find_companies("Gap Inc cuts its forecast", directory) == ["GAP"]
    assert find_companies("Snap shares jump on upgrade", directory) == ["SNAP"]
    assert find_companies("Chewy founder defends the company", directory) == ["CHWY"]
    assert find_companies("Stocks to watch: Snap, Apple, Intel", directory) == ["SNAP", "AAPL", "INTC"]


def test_cleanco_normalisation_strips_legal_forms_and_generic_words():
    assert normalised_name("Apple Inc.") == "Apple"
    assert normalised_name("Meta Platforms, Inc.") == "Meta Platforms"
    assert normalised_name("HSBC Holdings plc") == "HSBC"
    assert normalised_name("The Goldman Sachs Group, Inc.") == "Goldman Sachs"
    assert normalised_name("American International Group") == "American International"  # one word only, never "American"


def test_any_symbol_of_a_company_maps_to_its_one_key():
    assert canonical_company("Apple") == "AAPL"
    assert canonical_company("$nok") == "NOK"
    assert canonical_company("Nordvik Group") == "Nordvik Group"
    assert canonical_company("UL") == canonical_company("Unilever") == canonical_company("ULVR.L")
    assert canonical_company("BRK-B") == "BRK.B"
    assert find_companies("$UL slips", CompanyDirectory()) == [canonical_company("Unilever")]


def test_gazetteer_is_built_once_and_tagging_is_fast():
    assert gazetteer() is gazetteer()
    assert len(gazetteer().keys) > 5000  # index constituents and the SEC's exchange-listed companies
    directory = CompanyDirectory()
    text = "Citi, HSBC, StanChart adopt Ant International's forex AI tool - Reuters. " * 4
    find_companies(text, directory)
    started = time.perf_counter()
    for _ in range(200):
        find_companies(text, directory)
    assert (time.perf_counter() - started) / 200 < 0.005


def test_watchlist_name_that_is_a_gazetteer_name_keeps_the_ticker_and_its_guard():
    directory = CompanyDirectory()
    directory.add(names=["Apple", "Nordvik Group"])
    assert find_companies("Apple takes wraps off new MacBook", directory, directory.pattern()) == ["AAPL"]
    assert find_companies("apple slices", directory, directory.pattern()) == []


@pytest.mark.parametrize("text", ["a US visa rule", "What Comes Next for the Fed", "the shell company", "the next target"])
def test_common_words_alone_are_not_companies(text):
    assert find_companies(text, CompanyDirectory()) == []


def test_listings_of_other_markets_are_tagged_with_their_exchange_symbols():
    directory, before = CompanyDirectory(), build_gazetteer(other_markets=False)
    for text, found in [
        ("Xiaomi unveils its first electric car", ["1810.HK"]),  # Hong Kong
        ("SK Hynix to buy back, cancel $29 billion worth of treasury shares", ["000660.KS"]),  # Seoul
        ("Hyundai Motor's union stages first full strike in a decade", ["005380.KS"]),
        ("Canaccord Genuity's strategist sees a pullback", ["CF.TO"]),  # Toronto
        ("Geely Automobile lifts its sales target", ["0175.HK"]),
        ("China Mobile shares rise after results", ["0941.HK"]),  # ordinary words and a place: with a company word
    ]:
        assert find_companies(text, directory) == found
        assert find_companies(text, directory, gaz=before) == []  # the indices and the SEC list alone miss them


def test_byd_in_news_is_the_carmaker_not_boyd_gamings_ticker():
    assert find_companies("China car sales: BYD falls to fourth as EV subsidies fade", CompanyDirectory()) == ["1211.HK"]
    assert canonical_company("BYD") == "1211.HK"
    assert canonical_company("Boyd Gaming") == "BYD"


def test_other_markets_symbols_map_to_one_key():
    assert canonical_company("000660.KQ") == canonical_company("SK Hynix") == "000660.KS"  # KOSPI or KOSDAQ: one code
    assert canonical_company("600036.SS") == canonical_company("China Merchants Bank") == "3968.HK"  # Hong Kong first
    assert canonical_company("Atlas Copco") == "ATCO.A.ST"  # an index constituent keeps its key
    suffixes = {key.rsplit(".", 1)[-1] for _, _, key, _ in world_listings()}
    assert suffixes == {"HK", "SS", "SZ", "T", "KS", "TW", "TO", "AX", "OL", "ST", "SR", "SA"}  # never Reuters codes (India)


@pytest.mark.parametrize(
    "text",
    [
        "Asia shares fall as oil climbs",  # a company named after a place
        "U.S. Army picks Hanwha defence unit for artillery",  # a business group: several listed Hanwha companies
        "Optimism in Ridley Scott's thriller 'The Dog Stars'",  # a one-word name that is an English word
        "CDS spreads widen as EPS estimates fall",  # capitals that are often an abbreviation need a company word
        "China Mobile to cut prices",  # ordinary words and places without a company word
        "PNC raises its dividend",  # capitals that are a US ticker stay the US company's, not a foreign namesake
    ],
)
def test_names_of_other_markets_that_could_be_something_else_are_not_tagged(text):
    assert find_companies(text, CompanyDirectory()) == []


def test_depositary_receipts_and_preference_shares_are_not_companies():
    found = find_companies("Stocks making the biggest moves: Twitter, Starbucks, Alphabet", CompanyDirectory())
    assert found == ["SBUX", "GOOGL"]  # Twitter's Brazilian depositary receipt (TWTR34) is not Twitter
    assert not any(re.search(r"3\d\.SA$", key) for _, _, key, _ in world_listings())
    assert all("Pref" not in name for _, name, _, _ in world_listings())
