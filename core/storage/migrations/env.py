from __future__ import annotations

from alembic import context

from core.storage.db import get_engine
from core.storage.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url").replace("%%", "%"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
