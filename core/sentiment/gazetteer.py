"""The company gazetteer, built once per process (``gazetteer()``) from bundled data only (no network):

- index constituents from ``pytickersymbols`` (names and Yahoo symbols of the world's main indices),
- every company the SEC lists with a NYSE, Nasdaq or Cboe ticker (``company_tickers.parquet`` shipped in
  ``edgartools``, read as a file without importing ``edgar``: small and mid caps, recent IPOs, foreign ADRs),
- short names: the first word of a longer name when one company alone uses it and it is no English word, given
  name or place ("Chipotle Mexican Grill" -> "Chipotle"),
- a small documented alias list for the short names analysts and headlines use.

Names are normalised by ``cleanco``. Names that could be something else are found only with company context
(``entities.find_companies``): the reviewed ``AMBIGUOUS`` names, the short names (never a person's: "Icahn
says") and the SEC names made of ordinary English words (``words``: "Gap", "Snap", "Clean Energy", by Webster's
word list in ``english-words``), which need a company word, a possessive or a list of companies.

Every company has one key, the ticker mentions are stored under:
- the ticker the earlier hand-written list used, when it is one of the company's symbols (stored mentions
  and saved filters keep matching), else
- pytickersymbols' primary symbol (e.g. ``SIE.DE``, ``7203.T``, ``AAPL``), ``-`` written as ``.``.
Any other Yahoo symbol of the company (``UL``, ``BRK-B``, ``HSBC``) maps to that key.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import distribution

import pyarrow.parquet as pq
from cleanco import basename
from english_words import get_english_words_set
from pytickersymbols import PyTickerSymbols

# Short names and well-known issuers outside the indices pytickersymbols covers (name -> ticker).
# Short names: how headlines refer to a constituent whose gazetteer name is longer. Outside issuers: the
# big names the earlier hand list had that no covered index holds (Samsung, Alibaba, ...), so no company
# it found is lost.
ALIASES: dict[str, str] = {
    # short names of constituents
    "Meta": "META",
    "Facebook": "META",
    "Google": "GOOGL",
    "Citi": "C",
    "Citibank": "C",
    "JPMorgan": "JPM",
    "JP Morgan": "JPM",
    "J.P. Morgan": "JPM",
    "J&J": "JNJ",
    "Goldman": "GS",
    "BofA": "BAC",
    "Exxon": "XOM",
    "Disney": "DIS",
    "Ford": "F",
    "GM": "GM",
    "Berkshire": "BRK.B",
    "StanChart": "STAN.L",
    "VW": "VOW3.DE",
    "News Corp": "NWSA",
    "Nasdaq Inc": "NDAQ",
    "Merck & Co": "MRK",
    "Amazon.com": "AMZN",
    "SoftBank Group": "9984.T",
    "SoftBank": "9984.T",  # the investor; the data's "SoftBank" is its mobile unit SoftBank Corp (9434.T)
    "Samsung SDI": "006400.KS",  # not Samsung Electronics
    # cleanco strips "SE", so Porsche SE (the holding, in the data) would take the bare name headlines use for
    # the carmaker Porsche AG (not in the data)
    "Porsche": "P911.DE",
    "Porsche SE": "PAH3.DE",
    # well-known issuers no covered index holds (from the earlier hand list, plus their short forms)
    "Samsung": "005930.KS",
    "Samsung Electronics": "005930.KS",
    "Alibaba": "BABA",
    "Tencent": "0700.HK",
    "Spotify": "SPOT",
    "Snowflake": "SNOW",
    "Novo Nordisk": "NVO",
}

# The earlier hand list's tickers: a company holding one of these keeps it as its key.
LEGACY_TICKERS = frozenset(
    "AAPL MSFT GOOGL AMZN META TSLA NVDA NFLX INTC AMD IBM ORCL CRM ADBE JPM GS MS C BAC WFC BRK.B V MA PYPL XOM CVX BA "
    "AIR.PA WMT COST DIS KO PEP MCD NKE SBUX PFE MRNA JNJ MRK F GM UBER ABNB SPOT NOK ERIC 005930.KS TM SONY BABA "
    "0700.HK SHEL BP HSBA.L BARC.L UBS DBK.DE VOW3.DE SIE.DE SAP NESN.SW NVO AZN AVGO QCOM PLTR SNOW COIN BLK CCL".split()
)

# US listings (ADRs) pytickersymbols does not list for a constituent: symbol -> the company's key.
ADR_SYMBOLS = {"TM": "7203.T", "SONY": "6758.T"}

# One-word names that are also ordinary English words or common surnames ("apple slices", "Bill Gates",
# "a US visa"): found only with company context (see entities.find_companies). Reviewed by reading the
# one-word names of the gazetteer.
AMBIGUOUS = frozenset(
    "Apple Amazon Oracle Shell Target Visa Next Block Ball Box Pool Sharp Fox Gates Noble Rogers Waters Douglas Lindsay "
    "Hawkins Brady Dover Dana Evolution Interface Rational Recruit Stride Cactus Harmonic Deluxe Disco Griffon Corning "
    "Diploma Informa Prudential Pearson Sabre Frontdoor Diodes Knowles Plexus Orange Universal Continental Southern "
    "Progressive Booking Carnival Tapestry Toto Hexagon Genesis Matson Ford Meta Eaton Saab Edison Acadia Admiral Alamo "
    "Albany Andersons Arm Catalyst Compass Cooper Digi Enact Everest Gibraltar Hartford Hayward Hilltop Match Matthews "
    "Norma Oxford Patrick Phoenix Powell Sage Trinity Tyler Williams Zebra Worthington Vertex Verve Mosaic Lumen Radian "
    "Roper Weir".split()
)
# Names never matched as words: an index, not the company ("Nasdaq closes higher"), or too short to tell.
NOT_NAMES = frozenset(
    "Nasdaq NOW LY BD M3 Sto News Investor TF1 RPC PNE MLP MBB NSK NTN IMI DCC SSE SMC CTS HNI City Employers Minerals "
    "Partners Bancorp Core Integer Hub Indus Qt Dow".split()
)
_SHORT_OK = frozenset({"BP", "HP", "3M", "GM", "GE", "J&J", "VW"})
# Trailing words dropped to get the name headlines use ("Volkswagen Group" -> "Volkswagen").
_GENERIC_TAIL = re.compile(
    r"\s+(?:Group|Holdings?|Compan(?:y|ies)|Corporation|Corp|Incorporated|Laboratories|Pharmaceuticals|Technolog(?:y|ies)|"
    r"Industries|International|& Co)\.?$"
)


# The SEC list's exchanges kept: OTC quotes are left out (mostly shells and foreign ordinaries whose primary
# listing the list does not give), and so are rows without an exchange.
SEC_EXCHANGES = frozenset({"NYSE", "Nasdaq", "CBOE"})
# SEC names that are not an operating company a headline would name: blank-check companies, funds, trusts of units.
_NOT_A_COMPANY = re.compile(r"\b(?:Acquisition|Capital Corp|ETF|Fund|Trust|Royalty|Merger|SPAC|Units?)\b", re.IGNORECASE)
_STATE_SUFFIX = re.compile(r"\s*[/\\][A-Z]{2,3}[/\\]?\s*$|\s*/ADR\s*$|\s*\(?The\)?$", re.IGNORECASE)
# English function words: an SEC name that is one of them ("Here", "Now") is never matched.
FUNCTION_WORDS = frozenset(
    "here there where what when which who why how this that these those now then just also even ever only very still yet "
    "again above below after before over under about into onto upon within without across along around among between "
    "beyond both each every either neither other another some any many much more most few less least all none one two "
    "three first last next same such own our your their his her its we you they them us yes no not nor or and but if so "
    "as at by for from in of on to up with do does did done be is are was were been being have has had can could may "
    "might must shall should will would today tomorrow yesterday".split()
)


@dataclass(frozen=True, eq=False)
class Gazetteer:
    names: dict[str, str]  # name as written (capitalised) -> company key
    symbols: dict[str, str]  # any known Yahoo symbol (upper-case, "." for "-") -> company key
    keys: frozenset[str]
    guarded: frozenset[str] = AMBIGUOUS  # names found only with company context (AMBIGUOUS, short names, words)
    short: frozenset[str] = frozenset()  # first-word short names: guarded, and never a person's ("Icahn says")
    words: frozenset[str] = frozenset()  # SEC names made of ordinary words: found only with a company word or in a list


def _symbol(value: str) -> str:
    return value.strip().lstrip("$").upper().replace("-", ".")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalised_name(name: str) -> str:
    """A listed name as headlines write it: legal form removed by cleanco ("Apple Inc." -> "Apple",
    "HSBC Holdings plc" -> "HSBC"), a leading "The" and generic trailing words dropped."""
    name = basename(name.strip()).strip(" ,.")
    name = re.sub(r"^The\s+", "", name)
    shorter = _GENERIC_TAIL.sub("", name)  # one word only: "Goldman Sachs Group" -> "Goldman Sachs", never further
    return shorter if len(shorter) >= 3 else name


def _variants(name: str) -> set[str]:
    full = basename(name.strip()).strip(" ,.")
    out = {re.sub(r"^The\s+", "", full), normalised_name(name)}
    out |= {_fold(v) for v in out}
    return {v for v in out if v and v not in NOT_NAMES and (len(v) >= 3 or v in _SHORT_OK)}


def _edgar_data(file: str):  # noqa: ANN202 - a path inside the installed package
    """A reference file shipped in edgartools, read as data (the package itself is never imported)."""
    return distribution("edgartools").locate_file(f"edgar/reference/data/{file}")


def _sec_listings() -> list[dict]:
    """The SEC's company tickers as shipped in edgartools (cik, ticker, exchange, name), largest companies first."""
    return pq.read_table(_edgar_data("company_tickers.parquet"), columns=["cik", "ticker", "exchange", "name"]).to_pylist()


def _sec_name(name: str) -> str:
    """An SEC name as a headline writes it: state and ADR suffixes dropped, capitals only where the SEC list
    has mixed case ("MICRON TECHNOLOGY INC" -> "Micron Technology Inc")."""
    name = _STATE_SUFFIX.sub("", name.strip()).strip(" ,.")
    return name.title() if name.isupper() else name


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """English words and given names, lower-cased (Webster's 2nd, public domain, from english-words): "unity",
    "titan", "lincoln"."""
    return frozenset(get_english_words_set(["web2"], lower=True))


def _is_ordinary(name: str) -> bool:
    words = ordinary_words()
    return all(w.lower() in words for w in re.findall(r"[^\W\d_]+", name))


def _index_constituents(names: dict[str, str], symbols: dict[str, str]) -> None:
    stocks = sorted(PyTickerSymbols().get_all_stocks(), key=lambda s: (s.get("name") or "", s.get("symbol") or ""))
    for stock in stocks:
        if not stock.get("name") or not stock.get("symbol"):
            continue
        own = [_symbol(stock["symbol"])]
        own += [_symbol(s["yahoo"]) for s in stock.get("symbols") or [] if s.get("yahoo") and not s["yahoo"].endswith(".F")]
        key = next((s for s in own if s in LEGACY_TICKERS), own[0])
        key = symbols.get(own[0], key)  # the same company listed in two indices keeps one key
        for s in own:
            symbols.setdefault(s, key)
        for variant in _variants(stock["name"]):
            names.setdefault(variant, key)


def _sec_companies(names: dict[str, str], symbols: dict[str, str]) -> set[str]:
    """Adds the SEC list's exchange-listed companies; returns their new names that are ordinary words."""
    by_cik: dict[str, list[dict]] = {}
    for row in _sec_listings():
        if row["exchange"] in SEC_EXCHANGES and row["name"] and not _NOT_A_COMPANY.search(row["name"]):
            by_cik.setdefault(row["cik"], []).append(row)
    common: set[str] = set()
    for rows in by_cik.values():
        own = [_symbol(r["ticker"]) for r in rows]
        key = next((symbols[s] for s in own if s in symbols), own[0])  # a constituent keeps its key
        for s in own:
            symbols.setdefault(s, key)
        for variant in _variants(_sec_name(rows[0]["name"])):
            if variant not in names and variant.lower() not in FUNCTION_WORDS:
                names[variant] = key
                if _is_ordinary(variant):
                    common.add(variant)
    return common


@lru_cache(maxsize=1)
def place_words() -> frozenset[str]:
    """Words of country, US state and Canadian province names (edgartools' reference files), lower-case, plus the
    regions and currency words headlines use: a short name that is one of them is a place, not a company."""
    words = set("asia asian europe european euro africa african america american pacific atlantic arctic swiss london".split())
    for file, column in (("iso3166.csv", "Name"), ("place_codes.csv", "Place")):
        with open(_edgar_data(file), newline="", encoding="utf-8") as f:
            words |= {w.lower() for row in csv.DictReader(f) for w in re.findall(r"[^\W\d_]+", row[column])}
    return frozenset(words)


def _short_names(names: dict[str, str]) -> dict[str, str]:
    """First words of longer names that are used by one company only, are no English word, given name or place,
    as analysts shorten them ("Chipotle Mexican Grill" -> "Chipotle", "Oppenheimer Holdings" -> "Oppenheimer")."""
    first: dict[str, set[str]] = {}
    anywhere: dict[str, set[str]] = {}
    for name, key in names.items():
        words = name.split()
        for word in words:
            anywhere.setdefault(word.lower(), set()).add(key)
        if len(words) > 1 and re.fullmatch(r"[A-Z][a-z]{3,}", words[0]):
            first.setdefault(words[0], set()).add(key)
    skip = ordinary_words() | place_words()
    return {
        word: next(iter(keys))
        for word, keys in first.items()
        if len(anywhere[word.lower()]) == 1 and word not in names and word.lower() not in skip and word not in NOT_NAMES
    }


def build_gazetteer(sec_listings: bool = True) -> Gazetteer:
    """The gazetteer from the index constituents, the SEC's listed companies, the short names and the aliases;
    ``sec_listings=False``: the earlier index-only gazetteer (no SEC names, no short names), the benchmark's baseline."""
    names: dict[str, str] = {}
    symbols: dict[str, str] = {}
    _index_constituents(names, symbols)
    for adr, key in ADR_SYMBOLS.items():  # before the SEC list, whose own rows for these ADRs would make new keys
        symbols.setdefault(adr, key)
    for ticker in ALIASES.values():
        symbols.setdefault(ticker, ticker)
    common = _sec_companies(names, symbols) if sec_listings else set()
    shorts = _short_names(names) if sec_listings else {}
    names.update(shorts)
    for alias, ticker in ALIASES.items():
        key = symbols.get(ticker, ticker)
        names[alias] = key
        names.setdefault(_fold(alias), key)
    return Gazetteer(
        names=names,
        symbols=symbols,
        keys=frozenset(symbols.values()),
        guarded=AMBIGUOUS | common | set(shorts),
        words=frozenset(common),
        short=frozenset(shorts),
    )


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return build_gazetteer()
