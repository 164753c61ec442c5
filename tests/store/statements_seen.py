"""Every statement an engine runs, whichever way it goes: through SQLAlchemy, or (PostgreSQL)
straight through the driver (bot.store.driver.driver_statement), which SQLAlchemy's events miss."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


@dataclass
class Seen:
    # Each statement with whether it ran in autocommit (no transaction of its own around it).
    statements: list[tuple[str, bool]] = field(default_factory=list)
    commits: int = 0

    def noted(self, statement: str, autocommit: bool) -> None:
        self.statements.append((statement, autocommit))

    def committed(self) -> None:
        self.commits += 1

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

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", lambda *_args: seen.committed())
    event.listen(
        engine,
        "checkout",
        lambda connection, *_: watch_driver(connection, seen.noted, seen.committed),
    )
    return seen


def watch_driver(
    connection: Any,
    on_statement: Callable[[str, bool], None],
    on_commit: Callable[[], None] | None = None,
) -> None:
    """Tell `on_statement` what a psycopg connection is asked to run (with whether in
    autocommit), and `on_commit` of its commits; a connection checked out again keeps them."""
    if not hasattr(connection, "autocommit"):
        return  # SQLite's: its statements all go through SQLAlchemy's events
    watchers: list[tuple[Callable[[str, bool], None], Callable[[], None] | None]] | None
    watchers = getattr(connection, "rotabot_watchers", None)
    if watchers is None:
        watchers = []
        execute, commit = connection.execute, connection.commit

        def noted_execute(query: Any, *args: Any, **kwargs: Any) -> Any:
            for noted, _committed in list(watchers):
                noted(str(query), bool(connection.autocommit))
            return execute(query, *args, **kwargs)

        def noted_commit() -> None:
            for _noted, committed in list(watchers):
                if committed is not None:
                    committed()
            commit()

        connection.execute, connection.commit = noted_execute, noted_commit
        connection.rotabot_watchers = watchers
    if (on_statement, on_commit) not in watchers:
        watchers.append((on_statement, on_commit))
