"""The hand-written company tagger Beacon used before the gazetteer (frozen copy of core/sentiment/entities.py
at commit 14778bd), kept only as the baseline benchmarks/entities.py measures against. Not used by the product."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Well-known issuers (name variants -> ticker). Deliberately small; watchlists extend it.
KNOWN_COMPANIES: dict[str, str] = {
    "apple": "AAPL",
    "microsoft": "MSFT",
    "alphabet": "GOOGL",
    "google": "GOOGL",
    "amazon": "AMZN",
    "meta platforms": "META",
    "facebook": "META",
    "tesla": "TSLA",
    "nvidia": "NVDA",
    "netflix": "NFLX",
    "intel": "INTC",
    "amd": "AMD",
    "ibm": "IBM",
    "oracle": "ORCL",
    "salesforce": "CRM",
    "adobe": "ADBE",
    "jpmorgan": "JPM",
    "jp morgan": "JPM",
    "goldman sachs": "GS",
    "morgan stanley": "MS",
    "citigroup": "C",
    "bank of america": "BAC",
    "wells fargo": "WFC",
    "berkshire hathaway": "BRK.B",
    "visa": "V",
    "mastercard": "MA",
    "paypal": "PYPL",
    "exxon": "XOM",
    "exxonmobil": "XOM",
    "chevron": "CVX",
    "boeing": "BA",
    "airbus": "AIR.PA",
    "walmart": "WMT",
    "costco": "COST",
    "disney": "DIS",
    "coca-cola": "KO",
    "pepsico": "PEP",
    "mcdonald's": "MCD",
    "nike": "NKE",
    "starbucks": "SBUX",
    "pfizer": "PFE",
    "moderna": "MRNA",
    "johnson & johnson": "JNJ",
    "merck": "MRK",
    "ford": "F",
    "general motors": "GM",
    "uber": "UBER",
    "airbnb": "ABNB",
    "spotify": "SPOT",
    "nokia": "NOK",
    "ericsson": "ERIC",
    "samsung": "005930.KS",
    "toyota": "TM",
    "sony": "SONY",
    "alibaba": "BABA",
    "tencent": "0700.HK",
    "shell": "SHEL",
    "bp": "BP",
    "hsbc": "HSBA.L",
    "barclays": "BARC.L",
    "ubs": "UBS",
    "deutsche bank": "DBK.DE",
    "volkswagen": "VOW3.DE",
    "siemens": "SIE.DE",
    "sap": "SAP",
    "nestle": "NESN.SW",
    "novo nordisk": "NVO",
    "astrazeneca": "AZN",
    "broadcom": "AVGO",
    "qualcomm": "QCOM",
    "palantir": "PLTR",
    "snowflake": "SNOW",
    "coinbase": "COIN",
    "blackrock": "BLK",
    "carnival": "CCL",
}
_COMMON_WORDS = {
    "A",
    "I",
    "CEO",
    "CFO",
    "USA",
    "US",
    "UK",
    "EU",
    "GDP",
    "IPO",
    "ETF",
    "AI",
    "FED",
    "SEC",
    "NYSE",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
    "EPS",
    "USD",
    "EUR",
    "THE",
    "AND",
    "FOR",
    "NEW",
    "LLC",
    "INC",
    "PLC",
    "LTD",
}
CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:\.[A-Za-z]{1,2})?)\b")
EXCHANGE_TICKER = re.compile(r"\((?:NYSE|NASDAQ|Nasdaq|NYSEARCA|AMEX|LSE|TSX|OTC|HEL|STO)\s*:\s*([A-Z][A-Z.]{0,6})\)")
PAREN_TICKER = re.compile(r"\(([A-Z]{2,5})\)")


@dataclass
class CompanyDirectory:
    """Names and tickers to look for; built once per scoring run from the defaults and watchlists."""

    names: dict[str, str] = field(default_factory=lambda: dict(KNOWN_COMPANIES))
    tickers: set[str] = field(default_factory=lambda: set(KNOWN_COMPANIES.values()))

    def add(self, names: Iterable[str] = (), tickers: Iterable[str] = ()) -> None:
        for name in names:
            if name.strip():
                self.names.setdefault(name.strip().lower(), name.strip())
        for ticker in tickers:
            if ticker.strip():
                self.tickers.add(ticker.strip().lstrip("$").upper())

    def pattern(self) -> re.Pattern:
        alternatives = sorted(self.names, key=len, reverse=True)
        return re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in alternatives) + r")(?![\w])", re.IGNORECASE)


def find_companies(text: str, directory: CompanyDirectory, pattern: re.Pattern | None = None) -> list[str]:
    """Canonical companies mentioned in ``text``: tickers upper-case, watchlist names as written."""
    found: dict[str, None] = {}
    for match in CASHTAG.finditer(text):
        found[match.group(1).upper()] = None
    for match in EXCHANGE_TICKER.finditer(text):
        found[match.group(1).upper()] = None
    for match in PAREN_TICKER.finditer(text):
        ticker = match.group(1)
        if ticker in directory.tickers and ticker not in _COMMON_WORDS:
            found[ticker] = None
    for match in (pattern or directory.pattern()).finditer(text):
        found[directory.names[match.group(1).lower()]] = None
    return list(found)


def canonical_company(value: str) -> str:
    """The key a company is stored under: the ticker for well-known names, else the text as given
    (tickers upper-cased, ``$`` removed). Use it to match user input against stored mentions."""
    cleaned = value.strip().lstrip("$")
    return KNOWN_COMPANIES.get(cleaned.lower(), cleaned.upper() if cleaned.isupper() or len(cleaned) <= 5 else cleaned)
