"""What every /rota subcommand shares: the request, its outcome, and the rota's checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlmodel import Session

from bot.blocks.kit import section
from bot.blocks.rota import DaysCover, ShownWeek, mention, rota_blocks, rota_text, week_label
from bot.rota.parse import UsageError
from bot.rota.planner import Planner
from bot.rota.planning import Cover
from bot.rota.plans import Plans
from bot.store import rota as store
from bot.store import rota_cover as covers
from bot.store.audit import record_audit
from bot.store.rota import Rota, RotaMember
from bot.worktime import WorkCalendar

REFUSED = (
    "Only the members of this rota and its delivery leads can change it. "
    "Ask one of them, or to be added with `/rota add @you`."
)


class People(Protocol):
    def is_bot(self, user_id: str) -> bool: ...


def bots_among(people: People, users: Iterable[str]) -> frozenset[str]:
    """The users who are bots, asked before a session opens: `teammates` refuses them."""
    return frozenset(user for user in users if people.is_bot(user))


@dataclass(frozen=True)
class Post:
    """A message to send: to a user id (their DM) or a channel."""

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    swap_request_id: int | None = None
    cover_id: int | None = None


@dataclass
class Outcome:
    """What to answer the person (ephemeral) and what else to send."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    posts: list[Post] = field(default_factory=list)
    # Posted in the channel; when the bot is not in it, the person is told to invite it.
    in_channel: Post | None = None
    # The rota whose user group and topic line should follow the change at once.
    surfaces: int | None = None
    # The channel whose topic loses Rotabot's line.
    topic_removed: str | None = None

    @property
    def settled(self) -> bool:
        """Nothing to send but the answer: asking again gives the same until the rota changes."""
        return (
            not self.posts
            and self.in_channel is None
            and self.surfaces is None
            and self.topic_removed is None
        )


@dataclass(frozen=True)
class GroupLookup:
    """What Slack said about the user group `/rota group` names, asked before the session:
    the group's id and handle, or nothing found, or Slack's refusal code."""

    group_id: str | None = None
    handle: str | None = None
    refused: str | None = None


@dataclass
class RotaRequest:
    session: Session
    calendar: WorkCalendar
    now: datetime
    # The people the command names who are bots (see bots_among).
    bots: frozenset[str]
    channel_id: str
    user_id: str
    public_url: str | None = None
    group: GroupLookup | None = None
    # The per-client table's columns (see bot.figures); empty: no Zendesk.
    client_columns: list[Any] = field(default_factory=list)
    # The plans remembered for `/rota swap` (bot.rota.plans); None: read them every time.
    plans: Plans | None = None

    @property
    def today(self) -> date:
        return self.calendar.today(self.now)

    def planner(self, rota: Rota, *, members: list[RotaMember] | None = None) -> Planner:
        """`members`: the rota's members as the command has just read them, if it has."""
        assert rota.id is not None
        return Planner(self.session, self.calendar, rota.id, self.today, members=members)

    def cover_notices(self, planner: Planner) -> list[Post]:
        """The DMs about the cover arrangements `planner` made while answering."""
        return cover_posts(planner.covers, channel=self.channel_id, today=self.today)

    def audit(self, rota: Rota, action: str, **detail: Any) -> None:
        self.audit_in(rota.channel_id, action, **detail)

    def audit_in(self, channel_id: str, action: str, **detail: Any) -> None:
        """`audit`, for a rota known by its channel."""
        record_audit(
            session=self.session,
            actor=self.user_id,
            action=action,
            scope=channel_id,
            detail=detail,
            at=self.now,
        )


def channel_rota(request: RotaRequest) -> Rota:
    """The channel's rota; NoRota, which run_command answers, when it has none."""
    rota = store.rota_for_channel(session=request.session, channel_id=request.channel_id)
    if rota is None:
        raise NoRota
    return rota


class NoRota(Exception):
    """The channel has no rota."""


def may_change(request: RotaRequest, rota: Rota) -> bool:
    """Members and delivery leads may change the rota (see lead_only for what a lead keeps)."""
    assert rota.id is not None
    order = store.members(session=request.session, rota_id=rota.id)
    return any(m.user_id == request.user_id for m in order) or store.is_lead(
        session=request.session, rota=rota, user_id=request.user_id
    )


def lead_only(request: RotaRequest, rota: Rota, *, to: str) -> Outcome | None:
    """The refusal when the rota has a lead and someone else tries what only the lead may do
    (change the leads, remove people, record someone else's absence); None when allowed.

    Without a lead there is nobody to keep these to, so the rota's usual rules decide.
    """
    lead = rota.default_lead
    if lead is None or lead == request.user_id:
        return None
    return Outcome(
        f"Only {mention(lead)}, this rota's delivery lead, can {to}. "
        f"Please ask {mention(lead)} to do it."
    )


def teammates(request: RotaRequest, users: Iterable[str]) -> None:
    for user in users:
        if user in request.bots:
            raise UsageError(f"{mention(user)} is a bot, not a teammate.")


def member_ids(request: RotaRequest, rota: Rota) -> list[str]:
    assert rota.id is not None
    return [m.user_id for m in store.members(session=request.session, rota_id=rota.id)]


def not_member(user: str, order: list[str]) -> UsageError:
    listed = ", ".join(mention(u) for u in order) or "nobody yet"
    return UsageError(f"{mention(user)} is not on this rota (its members: {listed}).")


def shown_rota(request: RotaRequest, rota: Rota, count: int, *, said: str = "") -> Outcome:
    """The answer showing the rota's next `count` weeks, under what was `said` about a change."""
    planner = request.planner(rota)
    away = planner.away()
    weeks = planner.shown(count)
    assert rota.id is not None
    by_week: dict[date, list[DaysCover]] = {}
    for cover in covers.midweek_covers(
        session=request.session, rota_id=rota.id, first=planner.this_week
    ):
        person = cover.coverer if cover.status == covers.ACCEPTED else cover.asked
        if person is not None:
            by_week.setdefault(cover.week_start, []).append(
                DaysCover(cover.first_day, cover.last_day, person, cover.status == covers.ACCEPTED)
            )
    shown = [
        ShownWeek(
            w,
            uncovered=away(w.user_id, w.week_start) and w.week_start not in by_week,
            covers=tuple(by_week.get(w.week_start, ())),
        )
        for w in weeks
    ]
    blocks = rota_blocks(
        shown,
        today=request.today,
        calendar=request.calendar,
        has_members=bool(member_ids(request, rota)),
    )
    if said:
        return Outcome(said, [section(said), *blocks], posts=request.cover_notices(planner))
    return Outcome(
        rota_text(shown, today=request.today, calendar=request.calendar),
        blocks,
        posts=request.cover_notices(planner),
    )


def cover_posts(covers: list[Cover], *, channel: str, today: date) -> list[Post]:
    """The DMs telling both people about each cover arrangement."""
    posts = []
    for cover in covers:
        week = week_label(cover.week_start, today=today)
        back = (
            f" In return {mention(cover.absent)} takes your week "
            f"{week_label(cover.returned, today=today)}, so nobody's share changes."
            if cover.returned
            else ""
        )
        posts.append(
            Post(
                cover.coverer,
                f"You're covering support for {mention(cover.absent)} in <#{channel}> "
                f"in the week {week}, while they're away.{back}",
            )
        )
        instead = (
            f" You take their week {week_label(cover.returned, today=today)} instead."
            if cover.returned
            else ""
        )
        posts.append(
            Post(
                cover.absent,
                f"{mention(cover.coverer)} covers your support week {week} in <#{channel}> "
                f"while you're away.{instead}",
            )
        )
    return posts
