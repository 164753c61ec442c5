"""Answering a swap request: Accept or Decline, once, while both weeks are still to come."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.blocks.rota import mention, week_label
from bot.rota.planner import Planner
from bot.rota.planning import has_started, swap_weeks
from bot.rota.request import Post
from bot.store import rota as store
from bot.store import rota_swaps
from bot.store.audit import record_audit
from bot.store.rota import SwapRequest
from bot.worktime import WorkCalendar


@dataclass(frozen=True)
class SwapAnswer:
    """The clicker's ephemeral reply; the request DM's new text (None: unchanged); posts."""

    reply: str
    dm_text: str | None = None
    posts: list[Post] = field(default_factory=list)
    dm: tuple[str, str] | None = None


def answer_swap(
    *,
    session: Session,
    calendar: WorkCalendar,
    now: datetime,
    request_id: int,
    user_id: str,
    accept: bool,
) -> SwapAnswer:
    found = rota_swaps.swap_request(session=session, request_id=request_id, for_update=True)
    if found is None:
        return SwapAnswer("This swap request no longer exists.")
    if found.target != user_id:
        return SwapAnswer(
            f"This request is for {mention(found.target)}, so only they can answer it."
        )
    dm = (found.dm_channel, found.dm_ts) if found.dm_channel and found.dm_ts else None
    today = calendar.today(now)
    rota = store.rota_by_id(session=session, rota_id=found.rota_id)
    if found.status != store.PENDING or rota is None:
        return SwapAnswer(f"This swap request was already {found.status}; nothing changed.")
    requester_label = week_label(found.requester_week, today=today)
    target_label = week_label(found.target_week, today=today)
    planner = Planner(session, calendar, found.rota_id, today)
    rows = {
        w.week_start: w
        for w in store.weeks(session=session, rota_id=found.rota_id, first=planner.this_week)
    }
    theirs, yours = rows.get(found.requester_week), rows.get(found.target_week)
    earliest = min(found.requester_week, found.target_week)
    if has_started(earliest, today=today):
        reason = f"the week {week_label(earliest, today=today)} has already started"
    elif (
        theirs is None
        or yours is None
        or theirs.user_id != found.requester
        or yours.user_id != user_id
    ):
        reason = "the rota has changed since it was asked"
    else:
        reason = ""
    found.answered_at = now
    if reason:
        found.status = store.EXPIRED
        session.add(found)
        text = f"Too late to answer this swap request: {reason}. Nothing changed."
        return SwapAnswer(text, dm_text=text, dm=dm)
    assert theirs is not None and yours is not None
    channel = rota.channel_id
    if not accept:
        _settle(session, found, store.DECLINED, "rota.swap.declined", scope=channel, now=now)
        return SwapAnswer(
            "Declined.",
            dm_text=f"You declined {mention(found.requester)}'s swap request "
            f"({requester_label} for your {target_label}).",
            posts=[
                Post(
                    found.requester,
                    f"{mention(user_id)} declined your swap request: you keep {requester_label}.",
                )
            ],
            dm=dm,
        )
    swap_weeks(theirs, yours)
    session.add_all([theirs, yours])
    _settle(session, found, store.ACCEPTED, "rota.swap.accepted", scope=channel, now=now)
    return SwapAnswer(
        "Swapped.",
        dm_text=f":white_check_mark: Swapped: you're on support {requester_label}, and "
        f"{mention(found.requester)} takes {target_label}.",
        posts=[
            Post(
                found.requester,
                f"{mention(user_id)} accepted your swap: they take {requester_label}, "
                f"and you're on support {target_label}.",
            ),
            Post(
                channel,
                f":repeat: {mention(found.requester)} and {mention(user_id)} swapped support "
                f"weeks: {mention(user_id)} takes {requester_label}, "
                f"{mention(found.requester)} takes {target_label}.",
            ),
        ],
        dm=dm,
    )


def _settle(
    session: Session, found: SwapRequest, status: str, action: str, *, scope: str, now: datetime
) -> None:
    """Record the answer on the request and in the audit trail."""
    found.status = status
    session.add(found)
    record_audit(
        session=session,
        actor=found.target,
        action=action,
        scope=scope,
        detail={"request": found.id, "requester": found.requester},
        at=now,
    )
