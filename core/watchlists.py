"""Watchlists: companies, tickers and keywords an analyst follows."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from core.auth import requires
from core.auth.audit import record
from core.auth.ownership import require_owner
from core.storage import session_scope
from core.storage.tables import AlertRule, Watchlist

NAME_LIMIT = 200
TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,14}$")


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
        raise ValueError(f"{bad[0]!r} is not a ticker: use letters, digits, '.' or '-', e.g. NOK or BRK.B")
    return tickers


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("a watchlist needs a name")
    if len(name) > NAME_LIMIT:
        raise ValueError(f"a watchlist name can have at most {NAME_LIMIT} characters")
    return name


@requires("analyst", "save watchlists")
def save_watchlist(
    name: str,
    companies: str | Iterable[str] = (),
    tickers: str | Iterable[str] = (),
    keywords: str | Iterable[str] = (),
) -> int:
    """Create or update (by name) a watchlist; returns its id. Lists may be comma-separated strings."""
    name = _clean_name(name)
    companies, keywords, tickers = _entries(companies), _entries(keywords), _tickers(tickers)
    if not (companies or tickers or keywords):
        raise ValueError(f"watchlist {name!r} needs at least one company, ticker or keyword")
    with session_scope() as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        actor = require_owner("watchlist", name, row.owner if row else None)
        row = row or Watchlist(name=name, owner=actor.username)
        row.companies, row.tickers, row.keywords = companies, tickers, keywords
        session.add(row)
        session.flush()
        watchlist_id = row.id
    record("watchlist saved", name, detail={"companies": companies, "tickers": tickers, "keywords": keywords})
    return watchlist_id


@requires("analyst", "delete watchlists")
def delete_watchlist(name: str) -> bool:
    """Delete a watchlist; False when there is none of that name. Refused while an alert rule uses it."""
    with session_scope() as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        if row is None:
            return False
        require_owner("watchlist", name, row.owner)
        users = session.scalars(
            select(AlertRule.name).where(AlertRule.scope_type == "watchlist", AlertRule.scope_value == name)
        ).all()
        if users:
            raise ValueError(
                f"watchlist {name!r} is used by alert rule(s) {', '.join(sorted(users))}: change or delete them first"
            )
        session.delete(row)
    record("watchlist deleted", name)
    return True


def list_watchlists() -> list[dict]:
    with session_scope() as session:
        return [
            {
                "id": w.id,
                "name": w.name,
                "companies": list(w.companies),
                "tickers": list(w.tickers),
                "keywords": list(w.keywords),
                "owner": w.owner,
            }
            for w in session.scalars(select(Watchlist).order_by(Watchlist.name))
        ]


def watchlist_terms() -> dict[str, list[str]]:
    """Every company and ticker on any watchlist (for the company tagger), without duplicates."""
    companies: dict[str, str] = {}
    tickers: set[str] = set()
    with session_scope() as session:
        for watchlist in session.scalars(select(Watchlist)):
            for company in watchlist.companies:
                companies.setdefault(company.lower(), company)
            tickers.update(watchlist.tickers)
    return {"companies": sorted(companies.values(), key=str.lower), "tickers": sorted(tickers)}
