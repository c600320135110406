"""Is the database intact and writable? Disk-level errors are told apart from ordinary ones, SQLite
files are checked with ``PRAGMA quick_check`` (at the worker's start and after a disk-level error),
and a damaged database stops the worker with a message that says what to do. PostgreSQL keeps its
own guarantees (write-ahead log, crash recovery); nothing is checked there."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.settings import get_settings

QUICK_CHECK_LINES = 10
# SQLite's words for a damaged file, and for text it cannot decode (bytes written over a page)
_DAMAGE_WORDS = ("malformed", "not a database", "disk i/o error", "could not decode", "corrupt")
# ... and for a file or folder it may not write: a fresh connection recovers once that is fixed
_NOT_WRITABLE_WORDS = ("readonly database", "read-only database", "unable to open database file", "disk i/o error")
RESTORE_ADVICE = (
    "Stop Beacon and restore the newest backup of the database (README, 'Backups and integrity'). "
    'If only indexes are named, `sqlite3 {path} "REINDEX;"` rebuilds them; then check again with '
    '`sqlite3 {path} "PRAGMA quick_check;"`.'
)


class DatabaseDamaged(Exception):
    """The database file is damaged; the message names the problems and what to do."""


def _messages(exc: BaseException) -> str:
    """The messages of an error and of its causes, lower-cased (SQLAlchemy wraps the driver's error)."""
    found, seen = [], 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        found.append(str(current))
        if isinstance(current, DBAPIError) and current.orig is not None:
            found.append(str(current.orig))
        current, seen = current.__cause__ or current.__context__, seen + 1
    return " | ".join(found).lower()


def is_disk_error(exc: BaseException) -> bool:
    """Does this error come from a damaged database file (not from a lock, a bad query or the network)?"""
    return any(word in _messages(exc) for word in _DAMAGE_WORDS)


def is_not_writable(exc: BaseException) -> bool:
    """Could the database not be written (read-only file or folder, full or failing disk)?"""
    return any(word in _messages(exc) for word in _NOT_WRITABLE_WORDS)


def short_reason(exc: BaseException) -> str:
    """The driver's own words ("attempt to write a readonly database"), without SQLAlchemy's SQL dump."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def sqlite_path(url: str) -> str | None:
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") else None


def integrity_problems(url: str | None = None) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong with a SQLite database ([] when it is intact); always []
    for PostgreSQL. A file SQLite cannot read at all is one problem, with SQLite's reason."""
    url = url or get_settings().database_url
    path = sqlite_path(url)
    if path is None:
        return []
    try:
        # A connection of its own (read-only): the engine's pool may hold connections in a bad state.
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as connection:
            rows = connection.execute(f"PRAGMA quick_check({QUICK_CHECK_LINES})").fetchall()
    except sqlite3.OperationalError as exc:
        if "unable to open" in str(exc).lower():
            return []  # no file yet: nothing to be damaged
        return [str(exc)]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    problems = [line for row in rows for line in str(row[0]).splitlines() if line.strip()]
    return [] if problems == ["ok"] else problems


def check_database(url: str | None = None) -> None:
    """Raise DatabaseDamaged, naming the problems and what to do, when the database is damaged."""
    url = url or get_settings().database_url
    problems = integrity_problems(url)
    if problems:
        path = sqlite_path(url) or "the database"
        raise DatabaseDamaged(
            f"The database {path} is damaged (PRAGMA quick_check: {'; '.join(problems)[:1000]}). " + RESTORE_ADVICE.format(path=path)
        )
