"""Swap requests: one person asks another to trade their upcoming weeks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select, update

from bot.store.rota import PENDING, SwapRequest
from bot.store.statements import inserted

# On the table, not the model: an ORM UPDATE is prepared afresh at every run.
_SWAP_REQUESTS = SwapRequest.__table__  # type: ignore[attr-defined]
_SET_SWAP_DM = (
    update(_SWAP_REQUESTS)
    .where(_SWAP_REQUESTS.c.id == bindparam("request_id"))
    .values(dm_channel=bindparam("channel"), dm_ts=bindparam("ts"))
)


def add_swap_request(
    *,
    session: Session,
    rota_id: int,
    requester: str,
    target: str,
    requester_week: date,
    target_week: date,
    now: datetime,
) -> SwapRequest:
    return inserted(
        session,
        SwapRequest(
            rota_id=rota_id,
            requester=requester,
            target=target,
            requester_week=requester_week,
            target_week=target_week,
            created_at=now,
        ),
    )


def set_swap_dm(engine: Engine, *, request_id: int, channel: str, ts: str) -> None:
    """Where the request's DM was posted: one UPDATE on a pooled connection, committed by
    itself (no session, no BEGIN and COMMIT around it: one round trip), and so no count
    bumped: no remembered answer shows it."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            _SET_SWAP_DM, {"request_id": request_id, "channel": channel, "ts": ts}
        )


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
