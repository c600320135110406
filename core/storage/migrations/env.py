from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, event

from core.storage.db import get_engine
from core.storage.migrate import BrokenReferences
from core.storage.tables import Base

config = context.config
target_metadata = Base.metadata
UPGRADE_LOCK = 7_301_500  # pg_advisory_xact_lock key: one upgrade at a time when several workers start together


def _sqlite_upgrade_mode(connection: Connection, on: bool) -> None:
    driver = connection.connection.driver_connection
    if on:
        # Rebuilding a table drops it, and with foreign keys on SQLite first deletes every row that refers to it
        # with ON DELETE CASCADE (0014's rebuild of articles emptied company_mentions and label_corrections):
        # references are checked once, at the end, instead. Python's sqlite3 opens a transaction only before
        # INSERT/UPDATE/DELETE, so a rebuild's CREATE TABLE committed on its own and a start cut off midway left
        # "_alembic_tmp_<table>" behind: the driver's own handling is off and the upgrade is one transaction
        # that takes the write lock at once (a second process starting at the same time waits for it).
        driver.isolation_level = None
        driver.execute("PRAGMA foreign_keys=OFF")  # not possible inside a transaction
        event.listen(connection, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    else:  # the pooled connection goes back as the rest of the app expects it
        driver.execute("PRAGMA foreign_keys=ON")
        driver.isolation_level = ""


def _broken_references(connection: Connection) -> set[tuple]:
    return {tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")}


def _refuse_new_broken_references(connection: Connection, before: set[tuple]) -> None:
    broken = sorted(_broken_references(connection) - before, key=str)
    if broken:
        table, row, parent = broken[0][:3]
        raise BrokenReferences(f"the database upgrade would leave {len(broken)} row(s) referring to missing rows (first: "
                               f"{table} row {row} → {parent}); nothing was changed: restore a backup, or report it")


def run_migrations() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url").replace("%%", "%"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_upgrade_mode(connection, on=True)
        try:
            # transactional_ddl: Alembic would otherwise give SQLite a transaction per migration file
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite,
                              transactional_ddl=True)
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":  # the others wait, then find the schema current
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
                before = _broken_references(connection) if sqlite else set()
                context.run_migrations()
                if sqlite:
                    _refuse_new_broken_references(connection, before)
        finally:
            if sqlite:
                _sqlite_upgrade_mode(connection, on=False)


run_migrations()
