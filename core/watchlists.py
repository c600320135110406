"""Watchlists: companies, tickers and keywords an analyst follows."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.auth import requires
from core.auth.audit import record
from core.auth.ownership import require_owner
from core.repositories import items

NAME_LIMIT = 200
TICKER = re.compile(r"^[A-Z0-9]{1,6}(?:[.\-][A-Z0-9]{1,3})?$")  # NOK, BRK.B, RDS-A, 7203.T, 005930.KS


def _entries(values: str | Iterable[str] | None) -> list[str]:
    """Trimmed, non-empty entries without case-insensitive duplicates; a string is comma-separated."""
    if isinstance(values, str):
        values = values.split(",")
    seen: dict[str, str] = {}
    for value in values or ():
        text = " ".join(str(value).split())
        if text:
            seen.setdefault(text.lower(), text)
    return list(seen.values())


def _tickers(values: str | Iterable[str] | None) -> list[str]:
    tickers = _entries([t.lstrip("$").upper() for t in _entries(values)])
    bad = [t for t in tickers if not TICKER.match(t)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a ticker: up to 6 letters or digits, then optionally '.' or '-' and up to 3 "
                         "more for a share class or market, e.g. NOK, BRK.B or 7203.T")  # fmt: skip
    return tickers


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("a watchlist needs a name")
    if len(name) > NAME_LIMIT:
        raise ValueError(f"a watchlist name can have at most {NAME_LIMIT} characters")
    return name


def check_watchlist(
    name: str, companies: str | Iterable[str] = (), tickers: str | Iterable[str] = (), keywords: str | Iterable[str] = ()
) -> tuple[str, list[str], list[str], list[str]]:
    """(name, companies, tickers, keywords) as ``save_watchlist`` stores them; ValueError for what it refuses."""
    name = _clean_name(name)
    companies, keywords, tickers = _entries(companies), _entries(keywords), _tickers(tickers)
    if not (companies or tickers or keywords):
        raise ValueError(f"watchlist {name!r} needs at least one company, ticker or keyword")
    return name, companies, tickers, keywords


@requires("analyst", "save watchlists")
def save_watchlist(
    name: str,
    companies: str | Iterable[str] = (),
    tickers: str | Iterable[str] = (),
    keywords: str | Iterable[str] = (),
) -> int:
    """Create or update (by name) a watchlist; returns its id. Lists may be comma-separated strings."""
    name, companies, tickers, keywords = check_watchlist(name, companies, tickers, keywords)
    watchlist_id = items.save_watchlist(
        name, companies, tickers, keywords, lambda owner: require_owner("watchlist", name, owner).username
    )
    record("watchlist saved", name, detail={"companies": companies, "tickers": tickers, "keywords": keywords})
    return watchlist_id


@requires("analyst", "delete watchlists")
def delete_watchlist(name: str) -> bool:
    """Delete a watchlist; False when there is none of that name. Refused while an alert rule uses it."""
    if not items.delete_watchlist(name, lambda owner, rules: _check_delete(name, owner, rules)):
        return False
    record("watchlist deleted", name)
    return True


def _check_delete(name: str, owner: str | None, watchers: list[str]) -> None:
    require_owner("watchlist", name, owner)
    if watchers:
        raise ValueError(f"watchlist {name!r} is used by {' and '.join(watchers)}: change or delete them first")


def list_watchlists() -> list[dict]:
    return items.list_watchlists()


def watchlist_terms() -> dict[str, list[str]]:
    """Every company and ticker on any watchlist (for the company tagger), without duplicates."""
    companies: dict[str, str] = {}
    tickers: set[str] = set()
    for names, symbols in items.watchlist_entries():
        for company in names:
            companies.setdefault(company.lower(), company)
        tickers.update(symbols)
    return {"companies": sorted(companies.values(), key=str.lower), "tickers": sorted(tickers)}
