"""The company gazetteer, built once per process (``gazetteer()``) from bundled data only (no network):

- index constituents from ``pytickersymbols`` (names and Yahoo symbols of the world's main indices),
- every company the SEC lists with a NYSE, Nasdaq or Cboe ticker (``company_tickers.parquet`` shipped in
  ``edgartools``, read as a file without importing ``edgar``: small and mid caps, recent IPOs, foreign ADRs),
- short names: the first word of a longer name when one company alone uses it and it is no English word, given
  name or place ("Chipotle Mexican Grill" -> "Chipotle"),
- listings on other home markets (Tokyo, Hong Kong, Shanghai/Shenzhen, Seoul, Taiwan, Toronto, Sydney, Oslo,
  Sao Paulo) from the ``stocks.csv`` that ``investpy`` 1.0.8 ships (investing.com's list, a 2021 snapshot; read as
  a file without importing ``investpy``), only on markets whose symbols there are the exchange's own codes,
- a small documented alias list for the short names analysts and headlines use.

Names are normalised by ``cleanco``. Names that could be something else are found only with company context
(``entities.find_companies``): the reviewed ``AMBIGUOUS`` names, the short names (never a person's: "Icahn
says"), the one-word names of other markets' listings, and the SEC and other markets' names made of ordinary English
words or places (``words``: "Gap", "Snap", "Clean Energy", "China Mobile", by Webster's word list in
``english-words``), which need a company word, a possessive or a list of companies.

Every company has one key, the ticker mentions are stored under:
- the ticker the earlier hand-written list used, when it is one of the company's symbols (stored mentions
  and saved filters keep matching), else
- pytickersymbols' primary symbol (e.g. ``SIE.DE``, ``7203.T``, ``AAPL``), ``-`` written as ``.``, else
- the SEC ticker, else the Yahoo-style symbol of the other market's listing (``1211.HK``, ``CF.TO``, ``012450.KS``).
Any other Yahoo symbol of the company (``UL``, ``BRK-B``, ``HSBC``) maps to that key.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
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
    # the carmaker; the listing rule leaves capitals out when they are a US ticker (Boyd Gaming's), but news writes
    # Boyd Gaming by name and BYD for the carmaker
    "BYD": "1211.HK",
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


def _with_class(match: re.Match, market: str) -> str:
    """A ticker with its share class as Yahoo writes it: "TECKb" -> "TECK-B.TO" (stored as "TECK.B.TO")."""
    return match[1] + (f"-{match[2].upper()}" if match[2] else "") + market


# Other home markets in investpy's stocks.csv whose symbols there are the exchange's own codes: numbers in Asia and
# Riyadh, the exchange tickers in Toronto, Sydney, Oslo, Stockholm and Sao Paulo (checked where pytickersymbols
# lists the same shares: Tokyo 192 of 195, Stockholm 27 of 29). Elsewhere (India, Denmark, Finland, Germany, France,
# Italy, Singapore, South Africa ...) they are often Reuters codes ("HDBK" for HDFC Bank, not NSE's "HDFCBANK"), so those
# markets are left out rather than stored under a symbol nobody writes. market -> (ISIN countries of the companies
# whose home market it is, the symbol as investpy writes it, its Yahoo-style symbols: the key first). Hong Kong
# comes before mainland China: a Chinese company listed in both is quoted by its Hong Kong listing in English news.
_MARKETS: dict[str, tuple[frozenset[str], re.Pattern, Callable[[re.Match], list[str]]]] = {
    "hong kong": (frozenset({"HK", "KY", "BM", "CN", "VG"}), re.compile(r"\d{1,5}"), lambda m: [f"{int(m[0]):04d}.HK"]),
    "china": (frozenset({"CN"}), re.compile(r"\d{6}"), lambda m: [m[0] + (".SS" if m[0][0] in "69" else ".SZ")]),
    "japan": (frozenset({"JP"}), re.compile(r"\d{4}"), lambda m: [f"{m[0]}.T"]),
    # the list does not say KOSPI or KOSDAQ (".KQ"), nor TWSE or TPEx (".TWO"): the code is unique, both map to the key
    "south korea": (frozenset({"KR"}), re.compile(r"\d{6}"), lambda m: [f"{m[0]}.KS", f"{m[0]}.KQ"]),
    "taiwan": (frozenset({"TW", "KY"}), re.compile(r"\d{4}"), lambda m: [f"{m[0]}.TW", f"{m[0]}.TWO"]),
    "canada": (frozenset({"CA"}), re.compile(r"([A-Z]{1,5})([a-c])?"), lambda m: [_with_class(m, ".TO")]),
    "australia": (frozenset({"AU", "NZ"}), re.compile(r"[A-Z0-9]{3}"), lambda m: [f"{m[0]}.AX"]),
    "norway": (frozenset({"NO"}), re.compile(r"[A-Z]{2,6}"), lambda m: [f"{m[0]}.OL"]),
    "sweden": (frozenset({"SE"}), re.compile(r"([A-Z][A-Z0-9]{0,5})([a-d])?"), lambda m: [_with_class(m, ".ST")]),
    "saudi arabia": (frozenset({"SA"}), re.compile(r"\d{4}"), lambda m: [f"{m[0]}.SR"]),
    # ordinary shares end in 3-8 or 11 (units); 31-35 and 39 are depositary receipts of foreign companies (BDRs)
    "brazil": (frozenset({"BR"}), re.compile(r"[A-Z]{4}(?:[3-8]|11)"), lambda m: [f"{m[0]}.SA"]),
}
# Rows that are not a company's ordinary shares: preference shares, depositary receipts, funds, warrants, units.
_NOT_A_SHARE = re.compile(
    r"\b(?:Pref|Prf|Pfd|Preferred|ADR|GDR|DRC|BDR|ETF|Fund|Trust|REIT|Warrants?|Rights|Units?|Notes|Debentures?|Receipts?)\b",
    re.IGNORECASE,
)
# A share class or trading line at the end of a listed name ("BYD Co Ltd-H", "Teck Resources Ltd B", "Vale SA ON").
_SHARE_CLASS = re.compile(r"[\s,-]+(?:(?i:Class|Cl|Ser\.?|Series)\s+)?(?:[A-Z]|ON|PN|N1|N2)\.?$")


def _listing_name(full_name: str) -> str:
    """A listed name without its share class and legal forms ("BYD Co Ltd-H" -> "BYD")."""
    name = full_name.strip()
    while (shorter := _SHARE_CLASS.sub("", name)) != name:
        name = shorter
    for _ in range(2):  # cleanco takes one legal form a pass: "Hanwha Aerospace Co Ltd" -> "... Co" -> "..."
        name, previous = basename(name).strip(" ,.-"), name
        if name == previous or len(name) < 3:
            break
    return re.sub(r"^The\s+", "", name)


def _listing_variants(name: str) -> set[str]:
    """``_variants`` of a name ``_listing_name`` cleaned already (without running cleanco on it again)."""
    out = {name, _GENERIC_TAIL.sub("", name)}
    out |= {_fold(v) for v in out}
    return {v for v in out if v not in NOT_NAMES and (len(v) >= 3 or v in _SHORT_OK)}


@lru_cache(maxsize=1)
def world_listings() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(market, name, key, Yahoo-style symbols) of the ordinary shares on the markets above, home companies only,
    from the stocks.csv that investpy 1.0.8 ships (the package is never imported); one row per market and name."""
    with open(distribution("investpy").locate_file("investpy/resources/stocks.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    order = {market: i for i, market in enumerate(_MARKETS)}
    out: dict[tuple[str, str], tuple[str, str, str, tuple[str, ...]]] = {}
    for row in sorted((r for r in rows if r["country"] in _MARKETS), key=lambda r: (order[r["country"]], len(r["symbol"]), r["symbol"])):
        homes, pattern, yahoo = _MARKETS[row["country"]]
        match = pattern.fullmatch(row["symbol"])
        receipt = row["isin"][6:9] == "BDR" or _NOT_A_SHARE.search(row["full_name"] + " " + row["name"])
        if match and row["isin"][:2] in homes and not receipt:
            name = _listing_name(row["full_name"])
            symbols = tuple(_symbol(s) for s in yahoo(match))
            out.setdefault((row["country"], name), (row["country"], name, symbols[0], symbols))
    return tuple(out.values())


def _is_plain_word(word: str) -> bool:
    """An English word or given name, plurals too (Webster's list has "star", not "stars")."""
    words = ordinary_words()
    return word in words or (word.endswith("s") and word[:-1] in words) or (word.endswith("es") and word[:-2] in words)


def _first_words(names: dict[str, str], by_variant: dict[str, dict[str, set[str]]]) -> dict[str, set[str]]:
    """The first word of every longer name -> the companies whose names start with it."""
    starts: dict[str, set[str]] = {}
    for name, key in names.items():
        if " " in name:
            starts.setdefault(name.split()[0], set()).add(key)
    for name, markets in by_variant.items():
        if " " in name:
            starts.setdefault(name.split()[0], set()).update(*markets.values())
    return starts


def _world_companies(names: dict[str, str], symbols: dict[str, str]) -> tuple[set[str], set[str]]:
    """Adds the other markets' listings whose names no earlier source has; returns their names that need a company word,
    a possessive or a list (made of ordinary words or places, "China Mobile", or one word in capitals, "ZTE") and their
    other one-word names (company context needed, "Keyera"). Left out: a name two companies use (unless one company
    listed in Hong Kong and mainland China), a place alone, a one-word name that is an English word, a business
    group's name, and capitals that are a ticker the earlier sources know."""
    by_variant: dict[str, dict[str, set[str]]] = {}
    symbols_of: dict[str, tuple[str, ...]] = {}
    for market, name, key, own in world_listings():
        symbols_of[key] = own
        for variant in _listing_variants(name):
            by_variant.setdefault(variant, {}).setdefault(market, set()).add(key)
    places, starts = place_words(), _first_words(names, by_variant)
    common: set[str] = set()
    single: set[str] = set()
    for variant, markets in by_variant.items():
        if variant in names or variant in ALIASES or variant.lower() in FUNCTION_WORDS or any(len(keys) > 1 for keys in markets.values()):
            continue
        if len(markets) > 1 and set(markets) != {"hong kong", "china"}:
            continue
        words = [w.lower() for w in re.findall(r"[^\W\d_]+", variant)]
        keys = [next(iter(keys)) for keys in markets.values()]  # the first market's listing is the key
        one_word, acronym = " " not in variant, " " not in variant and variant.isupper()
        if all(w in places for w in words) or (one_word and (_is_plain_word(words[0]) or len(starts.get(variant, set()) - set(keys)) >= 2)):
            continue  # a place ("Asia shares"), a word ("Stars") or a business group's name (Hanwha, Tata: several listed companies)
        if acronym and variant in symbols:
            continue  # a ticker the earlier sources know: "PNC", "KHC" in English news are the US companies
        key = symbols.get(keys[0], keys[0])
        for other in keys:
            for s in symbols_of[other]:
                symbols.setdefault(s, key)
        names[variant] = key
        if acronym or all(_is_plain_word(w) or w in places for w in words):
            common.add(variant)  # "China Mobile", and capitals that are often an abbreviation ("CDS spreads", "EPS")
        elif one_word:
            single.add(variant)
    return common, single


def build_gazetteer(sec_listings: bool = True, other_markets: bool = True) -> Gazetteer:
    """The gazetteer from the index constituents, the SEC's listed companies, the short names, the other markets'
    listings and the aliases. Baselines for the benchmark: ``other_markets=False``, the gazetteer before the other
    markets; ``sec_listings=False`` too, the earlier index-only gazetteer (no SEC names, no short names)."""
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
    world_common, world_single = _world_companies(names, symbols) if sec_listings and other_markets else (set(), set())
    for alias, ticker in ALIASES.items():
        key = symbols.get(ticker, ticker)
        names[alias] = key
        names.setdefault(_fold(alias), key)
    return Gazetteer(
        names=names,
        symbols=symbols,
        keys=frozenset(symbols.values()),
        guarded=AMBIGUOUS | common | set(shorts) | world_common | world_single,
        words=frozenset(common | world_common),
        short=frozenset(shorts),
    )


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return build_gazetteer()
