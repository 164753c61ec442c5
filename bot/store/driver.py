"""Statements run straight through the driver (PostgreSQL), for the ones every request runs."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, StatementError


def driver_statement(
    engine: Engine, sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """PostgreSQL: one statement run through the driver in autocommit, on a connection of the
    engine's pool; its first row (None: no row). It commits itself in its own round trip (no
    BEGIN, no COMMIT); the driver prepares it once it has run a few times.

    For the statements every request runs: SQLAlchemy's execution of one (its statement
    cache, the result's machinery, an isolation level set and reset around it) cost more CPU
    than psycopg's round trip, 0.39 against 0.18 ms. The driver's errors come back as
    SQLAlchemy's DBAPIError, as from an execution (with the statement, not its values); a
    connection found dropped is invalidated, so the pool connects afresh for the next caller.
    """
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        assert driver is not None
        # A flag of the driver's, not a round trip; set back before the pool has it again.
        given = driver.autocommit
        driver.autocommit = True
        try:
            cursor = driver.execute(sql, params)
            # A statement that returns no rows (an UPDATE without RETURNING) has no result.
            row: tuple[Any, ...] | None = (
                cursor.fetchone() if cursor.description is not None else None
            )
        finally:
            if not driver.closed:
                driver.autocommit = given
    except engine.dialect.loaded_dbapi.Error as error:
        dropped = engine.dialect.is_disconnect(error, pooled.dbapi_connection, None)
        if dropped:
            pooled.invalidate(error)
        raise DBAPIError.instance(
            sql,
            None,
            error,
            engine.dialect.loaded_dbapi.Error,
            connection_invalidated=dropped,
            dialect=engine.dialect,
        ) from error
    finally:
        pooled.close()
    return row


def driver_write(engine: Engine, statement: Any, values: Mapping[str, Any]) -> Any:
    """PostgreSQL: a SQLAlchemy statement (a module constant: compiled once) run through the
    driver by driver_statement, its values bound by name and converted as its columns' types
    convert them, as SQLAlchemy's execution would; its first row as a named tuple of its
    columns, converted the same way (None: no row)."""
    form = driver_form(statement, engine.dialect)
    found = driver_statement(engine, form.sql, form.parameters(values))
    return None if found is None else form.row_of(found)


class DriverForm:
    """A statement as the driver runs it: its SQL with named placeholders, the values of its
    literals, each value's conversion for the database and each column's back (the dialect's
    own for each type, and a type's own such as UTCDateTime's zone and its refusal of a naive
    instant), and its row as a named tuple.

    For statements whose SQL is the same at every run: one with parameters SQLAlchemy renders
    only at execution (an expanding IN, a literal rendered inline) is refused."""

    def __init__(self, statement: Any, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        # Each placeholder's parameter, by the name the SQL gives it (a name that needed
        # escaping would differ: refused, as is anything rendered only at execution).
        binds = {name: compiled.binds[name] for name in compiled.params if name in compiled.binds}
        if "POSTCOMPILE" in self.sql or len(binds) != len(compiled.params):
            raise ValueError("a statement rendered at execution cannot run through the driver")
        # Values given at compile time (literal()); the others are required of the caller.
        self.literals = {
            name: bind.value
            for name, bind in binds.items()
            if not bind.required and bind.callable is None
        }
        self.conversions: dict[str, Callable[[Any], Any]] = {
            name: convert
            for name, bind in binds.items()
            if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        columns: list[Any] = list(
            getattr(statement, "selected_columns", None)
            or getattr(statement, "exported_columns", None)
            or ()
        )
        self.row = namedtuple("Written", [column.name for column in columns])  # type: ignore[misc]
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]

    def parameters(self, values: Mapping[str, Any]) -> dict[str, Any]:
        given = {**self.literals, **values}
        for name, convert in self.conversions.items():
            if name in given:
                try:
                    given[name] = convert(given[name])
                except Exception as error:  # as SQLAlchemy's execution raises it
                    raise StatementError(
                        f"({type(error).__module__}.{type(error).__qualname__}) {error}",
                        self.sql,
                        None,
                        error,
                    ) from error
        return given

    def row_of(self, found: Sequence[Any]) -> Any:
        converted = [
            value if convert is None else convert(value)
            for value, convert in zip(found, self.results, strict=True)
        ]
        return self.row(*converted)


@cache  # per statement (a module constant) and dialect
def driver_form(statement: Any, dialect: Dialect) -> DriverForm:
    return DriverForm(statement, dialect)
