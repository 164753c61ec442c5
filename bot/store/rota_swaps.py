"""Swap requests: one person asks another to trade their upcoming weeks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, insert
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select, update

from bot.store.audit import AuditEvent
from bot.store.bulk_writes import table_of
from bot.store.changes import ROTA, counted_write
from bot.store.driver import driver_write
from bot.store.rota import PENDING, SwapRequest
from bot.store.statements import inserted

# On the table, not the model: an ORM UPDATE is prepared afresh at every run.
_SWAP_REQUESTS = SwapRequest.__table__  # type: ignore[attr-defined]
_SET_SWAP_DM = (
    update(_SWAP_REQUESTS)
    .where(_SWAP_REQUESTS.c.id == bindparam("request_id"))
    .values(dm_channel=bindparam("channel"), dm_ts=bindparam("ts"))
)


def add_swap_request(*, session: Session, request: SwapRequest) -> SwapRequest:
    """A new swap request, in the session's transaction; returned with its id."""
    return inserted(session, request)


# The audit action of a swap asked for; its detail names the request and whom it asks.
ASKED = "rota.swap.requested"


def ask_for_swap(engine: Engine, request: SwapRequest, *, channel_id: str) -> SwapRequest:
    """A new swap request, and its line in the channel's audit trail, committed with the rota's
    count bumped, with no session: on PostgreSQL one statement (see counted_write), where a
    session took five round trips. Returned detached, with its id."""
    values = {**request.model_dump(exclude={"id"}), "scope": channel_id, "action": ASKED}
    request.id = counted_write(engine, _ASK, values, ROTA, then=_asked_audit).id
    return request


# Its values named (bound by name), so that it can run inside a WITH clause (counted_write).
_ASK = (
    insert(_SWAP_REQUESTS)
    .values({c.name: bindparam(c.name) for c in _SWAP_REQUESTS.c if c.name != "id"})
    .returning(_SWAP_REQUESTS.c.id, _SWAP_REQUESTS.c.requester, _SWAP_REQUESTS.c.target)
)


def _asked_audit(written: Any, dialect: str) -> Any:
    """The audit line of the request just written (`written`: its row), as record_audit
    writes it, the request's id in its detail."""
    audit = table_of(AuditEvent)
    json_object = func.json_build_object if dialect == "postgresql" else func.json_object
    return insert(audit).from_select(
        ["at", "actor", "action", "scope", "detail"],
        sa_select(
            bindparam("created_at", type_=audit.c.at.type),
            written.c.requester,
            bindparam("action", type_=audit.c.action.type),
            bindparam("scope", type_=audit.c.scope.type),
            json_object("request", written.c.id, "target", written.c.target),
        ),
    )


def set_swap_dm(engine: Engine, *, request_id: int, channel: str, ts: str) -> None:
    """Where the request's DM was posted: one UPDATE on a pooled connection, committed by
    itself (no session, no BEGIN and COMMIT around it: one round trip; on PostgreSQL through
    the driver), and so no count bumped: no remembered answer shows it."""
    values = {"request_id": request_id, "channel": channel, "ts": ts}
    if engine.dialect.name == "postgresql":
        driver_write(engine, _SET_SWAP_DM, values)
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(_SET_SWAP_DM, values)


def swap_request(
    *, session: Session, request_id: int, for_update: bool = False
) -> SwapRequest | None:
    query = select(SwapRequest).where(SwapRequest.id == request_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def pending_swaps(*, session: Session, user_id: str) -> list[SwapRequest]:
    """Pending requests from or to the user, oldest first."""
    query = select(SwapRequest).where(
        SwapRequest.status == PENDING,
        or_(col(SwapRequest.requester) == user_id, col(SwapRequest.target) == user_id),
    )
    return list(session.exec(query.order_by(col(SwapRequest.id))))
