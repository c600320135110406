"""Storage: the engine/session factory, the ORM tables and schema migrations."""

from core.storage.db import get_engine, reset_engines, session_scope
from core.storage.migrate import upgrade_database

__all__ = ["get_engine", "reset_engines", "session_scope", "upgrade_database"]
