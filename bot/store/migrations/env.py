"""Alembic environment: the engine comes from `bot.store.migrate`, never from an ini file."""

from alembic import context
from sqlalchemy.engine import Engine

from bot.store.migrate import include_object
from bot.store.schema import metadata

engine: Engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
