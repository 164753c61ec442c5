"""Every statement an engine runs, whichever way it goes: through SQLAlchemy, or (PostgreSQL)
straight through the driver (bot.store.db.driver_statement), which SQLAlchemy's events miss."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


@dataclass
class Seen:
    # Each statement with whether it ran in autocommit (no transaction of its own around it).
    statements: list[tuple[str, bool]] = field(default_factory=list)
    commits: int = 0

    def clear(self) -> None:
        self.statements.clear()
        self.commits = 0


def statements_seen(engine: Engine) -> Seen:
    """Watch `engine` from now on: what it runs, and its commits."""
    seen = Seen()

    def executed(connection: Connection, cursor: Any, statement: str, *_args: object) -> None:
        level = connection.get_execution_options().get("isolation_level")
        driver = getattr(cursor, "connection", None)
        autocommit = level == "AUTOCOMMIT" or bool(getattr(driver, "autocommit", False))
        seen.statements.append((statement, autocommit))

    def committed(*_args: object) -> None:
        seen.commits += 1

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    event.listen(engine, "checkout", lambda connection, *_: _watch_driver(connection, seen))
    return seen


def _watch_driver(connection: Any, seen: Seen) -> None:
    """Note what a psycopg connection is asked to run and to commit (once per connection)."""
    if not hasattr(connection, "autocommit") or getattr(connection, "watched", False):
        return  # SQLite's: its statements all go through SQLAlchemy's events
    execute, commit = connection.execute, connection.commit

    def noted_execute(query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.statements.append((str(query), bool(connection.autocommit)))
        return execute(query, *args, **kwargs)

    def noted_commit() -> None:
        seen.commits += 1
        commit()

    connection.execute, connection.commit = noted_execute, noted_commit
    connection.watched = True
