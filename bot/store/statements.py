"""Statements built once, and new rows inserted without the unit of work.

SQLAlchemy spends more on a short statement than SQLite or PostgreSQL spend running it: building
the statement object, working out its cache key (a walk of the whole statement) and, for an
insert, the unit of work's flush (its dependency sort, the instance's state). Measured in process
on SQLite, reading a rota's members took 270 us built at each call and 170 us as a statement
built once with bind parameters (45 us as rows rather than instances); inserting a swap request
took 290 us through `session.add` and a flush, 70 us as one INSERT ... RETURNING.

So the queries that every request runs are module constants whose values are bind parameters
(`bindparam`, `expanding=True` for a list), and `inserted` adds a row in one statement. Both go
through the ORM session, so the change counts (bot.store.changes) see every write as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Insert, event, insert
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlmodel import SQLModel

Row = TypeVar("Row", bound=SQLModel)

# Where a session keeps the rows `inserted` added in its transaction, until it ends.
INSERTED = "rotabot.inserted_rows"


@cache
def _insert_returning_key(model: type[SQLModel]) -> tuple[Insert, str, tuple[str, ...]]:
    """The model's INSERT ... RETURNING its key, its key's attribute, and its other columns."""
    table = model.__table__  # type: ignore[attr-defined]
    (key,) = table.primary_key.columns
    columns = tuple(column.key for column in table.columns if column is not key)
    return insert(table).returning(key), key.key, columns


def inserted(session: Session, row: Row) -> Row:
    """Insert the new row (its key given by the database) and keep it in the session, as a
    flush would have: later changes to it are flushed as usual, and a rollback of the
    transaction takes it out of the session again.

    Every column is written from the instance as it stands (SQLModel fields have their defaults
    once constructed), so nothing the table would default to is left unknown to the instance.
    Inside a savepoint the unit of work does it, since it knows what a savepoint's rollback
    must forget.
    """
    if session.in_nested_transaction():
        session.add(row)
        session.flush()
        return row
    statement, key, columns = _insert_returning_key(type(row))
    values: dict[str, Any] = {name: getattr(row, name) for name in columns}
    setattr(row, key, session.execute(statement, values).scalar_one())
    make_transient_to_detached(row)  # its attributes as loaded, with its identity
    session.add(row)
    session.info.setdefault(INSERTED, []).append(row)
    return row


@event.listens_for(Session, "after_soft_rollback")
def _forget_inserted(session: Session, previous_transaction: SessionTransaction) -> None:
    """The transaction that inserted them rolled back: the rows leave the session (the unit
    of work does that for the rows it flushed)."""
    if previous_transaction.nested:
        return  # rows inserted by `inserted` belong to the outer transaction
    for row in session.info.pop(INSERTED, []):
        if row in session:
            session.expunge(row)


@event.listens_for(Session, "after_commit")
def _inserted_committed(session: Session) -> None:
    session.info.pop(INSERTED, None)
