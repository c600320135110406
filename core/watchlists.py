"""Watchlists: companies, tickers and keywords an analyst follows."""

from __future__ import annotations

from sqlalchemy import select

from core.storage import session_scope
from core.storage.tables import Watchlist


def _terms(values) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    return [v.strip() for v in values or () if v and v.strip()]


def save_watchlist(name: str, companies=(), tickers=(), keywords=()) -> int:
    """Create or update the watchlist called ``name``."""
    name = (name or "").strip()
    if not name:
        raise ValueError("a watchlist needs a name")
    companies, keywords = _terms(companies), _terms(keywords)
    tickers = [t.lstrip("$").upper() for t in _terms(tickers)]
    if not (companies or tickers or keywords):
        raise ValueError(f"watchlist {name!r} needs at least one company, ticker or keyword")
    with session_scope() as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name)) or Watchlist(name=name)
        row.companies, row.tickers, row.keywords = companies, tickers, keywords
        session.add(row)
        session.flush()
        return row.id


def delete_watchlist(name: str) -> None:
    with session_scope() as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        if row is not None:
            session.delete(row)


def list_watchlists() -> list[dict]:
    with session_scope() as session:
        return [
            {"name": w.name, "companies": list(w.companies), "tickers": list(w.tickers), "keywords": list(w.keywords)}
            for w in session.scalars(select(Watchlist).order_by(Watchlist.name))
        ]
