"""The company gazetteer: index constituents from ``pytickersymbols`` (bundled data, no network) with
their names normalised by ``cleanco``, plus a small documented alias list for the short names analysts
and headlines use. Built once per process (``gazetteer()``).

Every company has one key, the ticker mentions are stored under:
- the ticker the earlier hand-written list used, when it is one of the company's symbols (stored mentions
  and saved filters keep matching), else
- pytickersymbols' primary symbol (e.g. ``SIE.DE``, ``7203.T``, ``AAPL``), ``-`` written as ``.``.
Any other Yahoo symbol of the company (``UL``, ``BRK-B``, ``HSBC``) maps to that key.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cleanco import basename
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
    "Partners Bancorp Core Integer Hub Indus Qt".split()
)
_SHORT_OK = frozenset({"BP", "HP", "3M", "GM", "GE", "J&J", "VW"})
# Trailing words dropped to get the name headlines use ("Volkswagen Group" -> "Volkswagen").
_GENERIC_TAIL = re.compile(
    r"\s+(?:Group|Holdings?|Compan(?:y|ies)|Corporation|Corp|Incorporated|Laboratories|Pharmaceuticals|Technolog(?:y|ies)|"
    r"Industries|International|& Co)\.?$"
)


@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, str]  # name as written (capitalised) -> company key
    symbols: dict[str, str]  # any known Yahoo symbol (upper-case, "." for "-") -> company key
    keys: frozenset[str]


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


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    names: dict[str, str] = {}
    symbols: dict[str, str] = {}
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
    for alias, ticker in ALIASES.items():
        key = symbols.get(ticker, ticker)
        names[alias] = key
        names.setdefault(_fold(alias), key)
        symbols.setdefault(ticker, key)
    for adr, key in ADR_SYMBOLS.items():
        symbols.setdefault(adr, key)
    return Gazetteer(names=names, symbols=symbols, keys=frozenset(symbols.values()))
