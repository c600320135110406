from core.sentiment.entities import CompanyDirectory, canonical_company, find_companies


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


def test_names_match_whole_words_only():
    directory = CompanyDirectory()
    assert find_companies("Pineapple prices rose", directory) == []
    assert find_companies("apple slices", directory) == ["AAPL"]


def test_canonical_company_maps_names_to_tickers():
    assert canonical_company("Apple") == "AAPL"
    assert canonical_company("$nok") == "NOK"
    assert canonical_company("Nordvik Group") == "Nordvik Group"
