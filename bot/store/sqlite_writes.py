"""Writers to one SQLite database take turns in the process, in the order they asked.

SQLite lets one transaction write at a time. A writer that finds the database locked sleeps
in SQLite's busy handler for 1, 2, 5, … then 100 ms at a time before it looks again, while
newcomers (sleeping 1 ms) get in first: under a burst of writes (ten `/rota swap` at once)
some wait seconds behind later ones. So a connection about to write first waits its turn at
a first-come-first-served gate kept per engine, and leaves it when its transaction ends;
reads never wait. Writers in other processes (the worker) still meet the busy handler.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from bot.pools import Slots

# Where a DBAPI connection's info keeps the fact that it holds the gate.
HOLDS = "rotabot.holds_write_turn"
# The first word of a statement that reads and so needs no turn.
READS = frozenset({"SELECT", "PRAGMA", "WITH"})
# The engines whose writers take turns already.
_TAKING_TURNS: weakref.WeakSet[Engine] = weakref.WeakSet()
# How long a writer waits for its turn before it goes on regardless (SQLite's busy timeout).
WAIT_S = 5.0


def take_write_turns(engine: Engine) -> None:
    """Make `engine`'s writers take turns (SQLite only; once per engine)."""
    if engine.dialect.name != "sqlite" or engine in _TAKING_TURNS:
        return
    _TAKING_TURNS.add(engine)
    turns = Slots(1)

    def before(conn: Connection, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any) -> None:
        info = conn.connection.info
        if info.get(HOLDS) or (statement.split(None, 1) or [""])[0].upper() in READS:
            return
        # Not forever: a thread writing in two sessions at once waits for itself, and
        # SQLite's own busy timeout then says so, as it did before there were turns.
        if turns.acquire(timeout=WAIT_S):
            info[HOLDS] = True

    def transaction_ended(conn: Connection) -> None:
        release(conn.connection.info)

    def returned(_dbapi: Any, record: Any, _reset_state: Any) -> None:
        release(record.info)

    def invalidated(_dbapi: Any, record: Any, _exception: Any) -> None:
        release(record.info)

    def closed(_dbapi: Any, record: Any) -> None:
        release(record.info)

    def release(info: dict[Any, Any]) -> None:
        if info.pop(HOLDS, False):
            turns.release()

    event.listen(engine, "before_cursor_execute", before)
    # Released as the transaction ends (the next writer's first statement finds the commit
    # under way, and SQLite's busy handler waits a millisecond or two for it) ...
    event.listen(engine, "commit", transaction_ended)
    event.listen(engine, "rollback", transaction_ended)
    # ... or as its connection goes back to the pool, or is thrown away.
    event.listen(engine.pool, "reset", returned)
    event.listen(engine.pool, "invalidate", invalidated)
    event.listen(engine.pool, "close", closed)
