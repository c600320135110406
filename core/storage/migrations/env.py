from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, event

from core.storage.db import get_engine
from core.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def _begin_before_ddl(connection: Connection) -> None:
    # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so a table rebuild's CREATE TABLE
    # would commit on its own: a process cut off midway left "_alembic_tmp_<table>" behind and every later
    # start failed on it. With the driver's own transaction handling off and an explicit BEGIN, a migration
    # either completes or leaves the database as it was.
    connection.connection.driver_connection.isolation_level = None
    event.listen(connection, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))


def run_migrations() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url").replace("%%", "%"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _begin_before_ddl(connection)
        try:
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:  # the pooled connection goes back as the rest of the app expects it
                connection.connection.driver_connection.isolation_level = ""


run_migrations()
