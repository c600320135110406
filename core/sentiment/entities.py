"""Company and ticker tagging without network lookups: cashtags, exchange-qualified tickers, tickers in
parentheses, the gazetteer of index constituents (``core.sentiment.gazetteer``: pytickersymbols names
normalised by cleanco, plus documented aliases) and the users' watchlists.

Gazetteer names are found as an analyst reads them: written with a capital ("apple" is fruit), and a name
that is also an ordinary word or surname (Apple, Shell, Gates, Ford) only with company context: a
possessive or a company word next to it (Apple's, Shell shares, Target Corp), or in running text where
the next word is lower-case and the word before is not part of a longer capitalised name ("Apple takes
wraps off ...", not "Bill Gates", not a Title Case headline "Apple Slices With Peanut Butter"). Short names
(Chipotle, Robinhood) are guarded the same way and are a person before a verb of saying ("Icahn says"); names
from the SEC list made of ordinary words (Gap, Snap, Clean Energy) need a company word after them ("Gap Inc",
"Snap shares"), a possessive or a list of companies: running text alone is not enough."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from core.sentiment.gazetteer import Gazetteer, gazetteer

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
    "IT",
    "ECB",
    "IMF",
    "OPEC",
    "UN",
    "UAE",
    "FBI",
    "DOJ",
    "FDA",
    "ESG",
    "EV",
    "CPI",
}
CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,5}(?:[.-][A-Za-z]{1,2})?)\b")
EXCHANGE_TICKER = re.compile(r"\((?:NYSE|NASDAQ|Nasdaq|NYSEARCA|AMEX|LSE|TSX|OTC|HEL|STO)\s*:\s*([A-Z][A-Z.]{0,6})\)")
PAREN_TICKER = re.compile(r"\(([A-Z]{2,5})\)")
# Words next to an ambiguous name that make it the company ("Shell shares", "Target Corp", "Apple CEO").
_CUES = frozenset(
    "inc inc. corp corp. corporation co co. plc ltd ag se nv sa shares stock stocks ceo chief boss executives earnings "
    "revenue profit sales results quarterly shareholders investors".split()
)
_SAYS = frozenset("says said tells told thinks believes writes wrote tweeted argues predicts".split())
# The company words that make an ordinary-word SEC name the company ("Snap shares", "Gap Inc", "Chewy founder").
_STRICT_CUES = frozenset("inc inc. corp corp. corporation co co. plc ltd shares stock ceo chief boss executives earnings founder".split())
_POSSESSIVE = re.compile(r"['’]s?(?!\w)")
_NEXT_WORD = re.compile(r"[\s,]+([^\s,]+)")
_PREV_WORD = re.compile(r"(\S+)\s+$")
_LIST_GAP = re.compile(r"\s*(?:,|&|and)\s*|,\s*(?:and\s+)?")


@dataclass
class CompanyDirectory:
    """The users' own names and tickers (watchlists), on top of the gazetteer; built once per scoring run."""

    names: dict[str, str] = field(default_factory=dict)  # lower-case watchlist name -> the name as written
    tickers: set[str] = field(default_factory=set)

    def add(self, names: Iterable[str] = (), tickers: Iterable[str] = ()) -> None:
        known = _gazetteer_names()
        for name in names:
            name = name.strip()
            if name and _lower(name) not in known:  # a gazetteer name keeps its ticker and its guard
                self.names.setdefault(_lower(name), name)
        for ticker in tickers:
            if ticker.strip():
                self.tickers.add(ticker.strip().lstrip("$").upper())

    def pattern(self) -> re.Pattern | None:
        """The watchlist names' matcher (the gazetteer's is compiled once per process)."""
        return _word_pattern(self.names) if self.names else None


def _alternation(words: Iterable[str]) -> str:
    """One regex alternation for many literal words, as a character trie (fast with thousands of names)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [("['’]" if ch == "'" else re.escape(ch)) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _word_pattern(lower_names: Iterable[str]) -> re.Pattern:
    return re.compile(r"(?<![\w])(" + _alternation(lower_names) + r")(?![\w])", re.IGNORECASE)


@lru_cache(maxsize=4)
def _gazetteer_names(gaz: Gazetteer | None = None) -> dict[str, tuple[str, str]]:
    """lower-case name (straight apostrophe) -> (the name as written, company key)."""
    out: dict[str, tuple[str, str]] = {}
    for name, key in (gaz or gazetteer()).names.items():
        out.setdefault(name.lower(), (name, key))
    return out


@lru_cache(maxsize=4)
def _gazetteer_pattern(gaz: Gazetteer | None = None) -> re.Pattern:
    return _word_pattern(_gazetteer_names(gaz))


def _lower(text: str) -> str:
    return text.lower().replace("’", "'")


def _sentence_start(before: str) -> bool:
    stripped = before.rstrip()
    return not stripped or stripped[-1] in ".!?:;\"“”'‘(—–-|"


def _company_context(text: str, start: int, end: int, companies: list[tuple[int, int]], kind: str = "ambiguous") -> bool:
    """Whether a guarded name at text[start:end] reads as the company (see the module docstring); ``companies``
    are the spans of unguarded company names in the text. ``kind``: "ambiguous" (the reviewed AMBIGUOUS names),
    "short" (a first-word short name, maybe a surname: followed by a verb of saying it is the person, "Icahn
    says"), "word" (an SEC name made of ordinary words, "Gap", "Snap", "Clean Energy": only a possessive, a
    company word after it or a list of companies will do, never running text alone)."""
    after = text[end:]
    following = _NEXT_WORD.match(after)
    next_word = following.group(1).strip(".,:;").lower() if following else ""
    if kind == "short" and next_word in _SAYS:
        return False
    if _POSSESSIVE.match(after) or next_word in (_STRICT_CUES if kind == "word" else _CUES):
        return True
    if next_word == "of":
        return False  # "the Oracle of Omaha"
    if any(_LIST_GAP.fullmatch(text[e:start]) or _LIST_GAP.fullmatch(text[end:s]) for s, e in companies):
        return True  # in a list of companies: "Twitter, Amazon, Alphabet, Apple, Intel & more"
    if kind == "word":
        return False
    before = text[:start]
    previous = _PREV_WORD.search(before)
    if previous and not _sentence_start(before) and previous.group(1)[:1].isupper():
        return False  # part of a longer name ("Bill Gates", "Big Apple") or a Title Case headline
    return bool(following) and following.group(1)[:1].islower()


def _kind(gaz: Gazetteer, name: str) -> str:
    return "word" if name in gaz.words else "short" if name in gaz.short else "ambiguous"


def _gazetteer_matches(text: str, gaz: Gazetteer | None = None) -> list[str]:
    names, gaz = _gazetteer_names(gaz), gaz or gazetteer()
    matches = []
    for match in _gazetteer_pattern(gaz).finditer(text):
        written = match.group(1)
        name, key = names[_lower(written)]
        if any(c.isupper() for c in written):  # "apple", "shell": a word, not a name
            matches.append((match.start(1), match.end(1), written, name, key))
    accepted = {i for i, (_, _, _, name, _) in enumerate(matches) if name not in gaz.guarded}
    grew = True
    while grew:  # an ambiguous name next to an accepted one in a list is accepted too ("Amazon, Apple, Intel")
        sure = [(matches[i][0], matches[i][1]) for i in accepted]
        grew = False
        for i, (start, end, written, name, _) in enumerate(matches):
            if i not in accepted and written[:1] == name[:1] and _company_context(text, start, end, sure, _kind(gaz, name)):
                accepted.add(i)
                grew = True
    return [matches[i][4] for i in sorted(accepted)]


def _symbol_key(ticker: str, gaz: Gazetteer | None = None) -> str:
    symbol = ticker.upper().replace("-", ".")
    return (gaz or gazetteer()).symbols.get(symbol, symbol)


def find_companies(text: str, directory: CompanyDirectory, pattern: re.Pattern | None = None, gaz: Gazetteer | None = None) -> list[str]:
    """Companies mentioned in ``text``: gazetteer companies and tickers by their key (upper-case
    ticker), watchlist names as written. ``pattern`` is ``directory.pattern()`` compiled once by the caller;
    ``gaz`` another gazetteer than the product's (the benchmark's baseline)."""
    found: dict[str, None] = {}
    for match in CASHTAG.finditer(text):
        found[_symbol_key(match.group(1), gaz)] = None
    for match in EXCHANGE_TICKER.finditer(text):
        found[_symbol_key(match.group(1), gaz)] = None
    keys = (gaz or gazetteer()).keys
    for match in PAREN_TICKER.finditer(text):
        ticker = match.group(1)
        if ticker not in _COMMON_WORDS and (ticker in directory.tickers or _symbol_key(ticker, gaz) in keys):
            found[_symbol_key(ticker, gaz) if ticker not in directory.tickers else ticker] = None
    for key in _gazetteer_matches(text, gaz):
        found[key] = None
    watchlist = pattern if pattern is not None else directory.pattern()
    if watchlist is not None:
        for match in watchlist.finditer(text):
            found[directory.names[_lower(match.group(1))]] = None
    return list(found)


@lru_cache(maxsize=1)
def _names_by_key() -> dict[str, str]:
    """Each gazetteer company's key -> the name it was first listed under (index constituents first: "Meta Platforms")."""
    out: dict[str, str] = {}
    for name, key in gazetteer().names.items():
        out.setdefault(key, name)
    return out


def company_label(key: str) -> str:
    """How a stored company reads to a person: "Meta Platforms (META)" for a gazetteer key; a watchlist name or a
    ticker the gazetteer does not know as it is."""
    name = _names_by_key().get(key)
    return f"{name} ({key})" if name and name.lower() != key.lower() else key


def in_company_list(value: str) -> bool:
    """Whether the company list (the gazetteer) has this name or ticker, case ignored: Beacon tags it in new items."""
    cleaned = value.strip().lstrip("$")
    return _lower(cleaned) in _gazetteer_names() or cleaned.upper().replace("-", ".") in gazetteer().symbols


def closest_company_name(value: str) -> str | None:
    """The company list's name nearest to ``value`` (a typo), or None when none is close."""
    wanted = _lower(value.strip())
    if not wanted:
        return None
    candidates = [n for n in _gazetteer_names() if n[:1] == wanted[:1]]  # the same first letter: fast enough on save
    [close] = difflib.get_close_matches(wanted, candidates, n=1, cutoff=0.8) or [None]
    return _gazetteer_names()[close][0] if close else None


def canonical_company(value: str) -> str:
    """The key a company is stored under: the gazetteer company's key for any of its names or symbols,
    else the text as given (tickers upper-cased, ``$`` removed). Use it to match user input against stored mentions."""
    cleaned = value.strip().lstrip("$")
    if hit := _gazetteer_names().get(_lower(cleaned)):
        return hit[1]
    if cleaned.isupper() or len(cleaned) <= 5:
        return _symbol_key(cleaned)
    return cleaned
