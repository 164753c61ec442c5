"""Rows written in bulk, for the sync: a few statements a page, where the ORM would load,
compare and flush each row in turn."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert, update
from sqlmodel import Session, SQLModel

# A table row as a dict of its columns.
Row = dict[str, Any]


def table_of(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def insert_rows(session: Session, table: Table, rows: Sequence[Row]) -> None:
    if rows:
        session.execute(_insert_into(table), rows)


@cache
def _insert_into(table: Table) -> Insert:
    """Built once per table (see bot.store.statements)."""
    return insert(table)


def update_rows_by_id(session: Session, table: Table, rows: Sequence[Row]) -> None:
    """One UPDATE per row, by its id, sent as one batch; every row sets the same columns."""
    if not rows:
        return
    names = [name for name in rows[0] if name != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id", type_=table.c.id.type))
        .values({name: bindparam(f"row_{name}", type_=table.c[name].type) for name in names})
    )
    params = [{f"row_{name}": value for name, value in row.items()} for row in rows]
    session.exec(statement, params=params)
