"""The one engine and session factory. Every module opens sessions through ``session_scope``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from core.settings import get_settings
from core.storage.integrity import is_disk_error, is_not_writable


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "handle_error")
        def _fresh_connections_after_disk_errors(context) -> None:
            # A connection opened while the file was read-only stays read-only, and one that met a damaged
            # page may keep stale state: drop the pool, so the next session opens new connections and the
            # worker recovers by itself once the file is writable (or restored) again.
            if is_not_writable(context.original_exception) or is_disk_error(context.original_exception):
                context.is_disconnect = True

        return engine
    return create_engine(url, pool_pre_ping=True)


_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().database_url
    if url not in _engines:
        _engines[url] = _make_engine(url)
    return _engines[url]


def _session_factory(url: str) -> sessionmaker[Session]:
    if url not in _factories:
        _factories[url] = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    return _factories[url]


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: commits on success, rolls back on any error."""
    session = _session_factory(url or get_settings().database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engines() -> None:
    """Dispose and forget cached engines (tests switch DATABASE_URL between runs)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()
