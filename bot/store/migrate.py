"""Alembic migrations, driven from Python so `rotabot db upgrade` needs no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(Exception):
    """The database has not been migrated to this version of Rotabot."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; running it again does nothing. Returns (before, after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, head_revision()


def new_revision(engine: Engine, message: str) -> str:
    """Autogenerate a migration from the difference between the tables and the database."""
    script = command.revision(alembic_config(engine), message=message, autogenerate=True)
    assert script is not None and not isinstance(script, list)
    return script.path


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate with the fix when the database is behind the code."""
    current = current_revision(engine)
    head = head_revision()
    if current is None:
        raise SchemaOutOfDate(
            "the database has no Rotabot tables yet: run `rotabot db upgrade` first."
        )
    if current != head:
        raise SchemaOutOfDate(
            f"the database is at migration {current} but this Rotabot needs {head}: "
            "run `rotabot db upgrade`."
        )
