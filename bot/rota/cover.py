"""Cover for the rest of a week that has begun: asked round the rota, Accept or Decline.

An absence inside a started week cannot move weeks about (the week is under way), so the
remaining working days are offered, in rota order, to the people who are not away; the first
to accept is on support for those days. Days after the absence stay with the absent person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot import timefmt
from bot.blocks.rota import cover_request_blocks, cover_request_text, mention
from bot.rota.planner import on_support
from bot.rota.planning import rotate_after
from bot.rota.request import Post
from bot.store import rota as store
from bot.store import rota_cover as covers
from bot.store.audit import record_audit
from bot.store.rota import Rota
from bot.store.rota_cover import MidWeekCover
from bot.worktime import WorkCalendar


@dataclass(frozen=True)
class CoverAnswer:
    """The clicker's reply; the request DM's new text (None: unchanged); what else to send."""

    reply: str
    dm_text: str | None = None
    posts: list[Post] = field(default_factory=list)
    dm: tuple[str, str] | None = None
    # The rota whose person on support may have changed, for its user group and topic.
    changed_rota: int | None = None


def cover_days(
    calendar: WorkCalendar, *, first: date, last: date, today: date
) -> tuple[date, date] | None:
    """The working days of this week's rest (from today) that the absence takes, if any."""
    monday = calendar.week_start(today)
    start, end = max(first, today), min(last, monday + timedelta(days=6))
    days = [d for d in calendar.working_days_of_week(monday) if start <= d <= end]
    return (days[0], days[-1]) if days else None


def days_label(cover: MidWeekCover, today: date) -> str:
    return timefmt.day_range(cover.first_day, cover.last_day, today=today)


def is_free(session: Session, calendar: WorkCalendar, user: str, first: date, last: date) -> bool:
    """Whether the person is away on none of the working days from first through last."""
    found = store.absences(session=session, user_ids=[user], first=first, last=last)
    day = first
    while day <= last:
        if calendar.is_working_day(day) and any(a.first_day <= day <= a.last_day for a in found):
            return False
        day += timedelta(days=1)
    return True


def ask_for_cover(
    *,
    session: Session,
    calendar: WorkCalendar,
    rota: Rota,
    absent: str,
    first: date,
    last: date,
    now: datetime,
) -> tuple[str, list[Post]]:
    """After an absence is recorded: when it takes days of the week under way from the person
    on support, ask the next available person to cover them. (What to say, what to send.)"""
    assert rota.id is not None
    today = calendar.today(now)
    days = cover_days(calendar, first=first, last=last, today=today)
    if days is None:
        return "", []
    if on_support(session=session, calendar=calendar, rota_id=rota.id, day=days[0]) != absent:
        return "", []
    already = [
        c
        for c in covers.midweek_covers(
            session=session, rota_id=rota.id, first=calendar.week_start(today)
        )
        if c.absent == absent and c.first_day <= days[1] and c.last_day >= days[0]
    ]
    if already:
        return "", []
    cover = covers.add_midweek_cover(
        session=session,
        rota_id=rota.id,
        week_start=calendar.week_start(today),
        absent=absent,
        first_day=days[0],
        last_day=days[1],
        now=now,
    )
    return _ask_next(session, calendar, rota, cover, today)


def _ask_next(
    session: Session, calendar: WorkCalendar, rota: Rota, cover: MidWeekCover, today: date
) -> tuple[str, list[Post]]:
    assert rota.id is not None and cover.id is not None
    order = [m.user_id for m in store.members(session=session, rota_id=rota.id)]
    skip = {cover.absent, *cover.declined_by}
    candidate = next(
        (
            u
            for u in rotate_after(order, cover.absent)
            if u not in skip and is_free(session, calendar, u, cover.first_day, cover.last_day)
        ),
        None,
    )
    label = days_label(cover, today)
    if candidate is None:
        cover.status, cover.asked = covers.UNFILLED, None
        session.add(cover)
        line = (
            f":warning: {mention(cover.absent)} is away {label} and nobody could cover "
            "support: please arrange cover."
        )
        posts = [Post(rota.channel_id, line)]
        if rota.default_lead and rota.default_lead != cover.absent:
            posts.append(Post(rota.default_lead, f"{line} (Rota in <#{rota.channel_id}>.)"))
        return f"Nobody is available to cover {label}: I've told the channel.", posts
    cover.asked = candidate
    session.add(cover)
    ask = Post(
        candidate,
        cover_request_text(cover.absent, label, channel_id=rota.channel_id),
        cover_request_blocks(cover.absent, label, channel_id=rota.channel_id, cover_id=cover.id),
        cover_id=cover.id,
    )
    return f"I've asked {mention(candidate)} to cover support {label}.", [ask]


def answer_cover(
    *,
    session: Session,
    calendar: WorkCalendar,
    now: datetime,
    cover_id: int,
    user_id: str,
    accept: bool,
) -> CoverAnswer:
    cover = covers.midweek_cover(session=session, cover_id=cover_id, for_update=True)
    if cover is None:
        return CoverAnswer("This cover request no longer exists.")
    dm = (cover.dm_channel, cover.dm_ts) if cover.dm_channel and cover.dm_ts else None
    if cover.status != covers.ASKING:
        return CoverAnswer("This cover request has already been answered; nothing changed.")
    if cover.asked != user_id:
        return CoverAnswer(
            f"This request is for {mention(cover.asked or '')}, so only they can answer it."
        )
    rota = store.rota_by_id(session=session, rota_id=cover.rota_id)
    assert rota is not None
    today = calendar.today(now)
    cover.answered_at = now
    if cover.last_day < today:
        cover.status = covers.CANCELLED
        session.add(cover)
        text = "Too late to answer: the days to cover have passed. Nothing changed."
        return CoverAnswer(text, dm_text=text, dm=dm)
    if not accept:
        cover.declined = " ".join([*cover.declined_by, user_id])
        _audit(session, rota, user_id, "rota.cover.declined", cover, now)
        said, posts = _ask_next(session, calendar, rota, cover, today)
        label = days_label(cover, today)
        return CoverAnswer(
            "Declined.",
            dm_text=f"You declined to cover support for {mention(cover.absent)} {label}.",
            posts=[Post(cover.absent, f"{mention(user_id)} can't cover for you. {said}"), *posts],
            dm=dm,
        )
    # Accepted late, the cover starts now: the days before stay as they were.
    cover.first_day = max(cover.first_day, today)
    cover.status, cover.coverer, cover.asked = covers.ACCEPTED, user_id, None
    session.add(cover)
    _audit(session, rota, user_id, "rota.cover.accepted", cover, now)
    label = days_label(cover, today)
    return CoverAnswer(
        "Thank you: you're covering.",
        dm_text=f":white_check_mark: You're on support in <#{rota.channel_id}> {label}, "
        f"covering for {mention(cover.absent)}.",
        posts=[
            Post(
                cover.absent,
                f"{mention(user_id)} covers your support {label} while you're away.",
            ),
            Post(
                rota.channel_id,
                f":handshake: {mention(user_id)} is on support {label}, covering for "
                f"{mention(cover.absent)}.",
            ),
        ],
        dm=dm,
        changed_rota=rota.id,
    )


def _audit(
    session: Session, rota: Rota, actor: str, action: str, cover: MidWeekCover, now: datetime
) -> None:
    record_audit(
        session=session,
        actor=actor,
        action=action,
        scope=rota.channel_id,
        detail={"cover": cover.id, "absent": cover.absent},
        at=now,
    )


def remember_cover_dm(*, session: Session, cover_id: int, channel: str, ts: str) -> None:
    """Where the request's DM is, so answering it can update it (shown by no answer)."""
    covers.set_cover_dm(session=session, cover_id=cover_id, channel=channel, ts=ts)
