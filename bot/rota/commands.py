"""The support rota's rules: round-robin planning, cover for absences, swaps, fairness.

Weeks are published (stored) as they are shown, so what people have seen never shifts;
weeks beyond the published horizon are planned round-robin from the last published week.
A week has started once its Monday has begun in the team's timezone.

Queries other features use (all keyword-only):
* `on_support(session=, calendar=, rota_id=, day=)` and `on_support_at(..., now=)`: who is on.
* `bot.store.rota.rotas_of_user(session=, user_id=)`: the rotas of a Slack user.
* `bot.store.rota.lead_for_client(session=, rota_id=, client=)`: a client's delivery lead.
* `bot.store.rota.is_away(session=, user_id=, day=)`: whether someone is away that day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import timefmt
from bot.blocks.kit import section
from bot.blocks.rota import (
    NO_ROTA,
    USAGE,
    ShownWeek,
    mention,
    rota_blocks,
    rota_text,
    stats_text,
    swap_request_blocks,
    swap_request_text,
    week_label,
    who_text,
)
from bot.dates import EXAMPLES, DateError, echo, parse_date, parse_range
from bot.store import rota as store
from bot.store.audit import record_audit
from bot.store.rota import Absence, Rota, RotaMember, RotaWeek, SwapRequest
from bot.worktime import WorkCalendar

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
# Published weeks never reach further than this; a bound on cover cascades too.
MAX_WEEKS_AHEAD = 60


def has_started(week_start: date, *, today: date) -> bool:
    return week_start <= today


def collides(absence_days: Iterable[Absence], week_start: date, calendar: WorkCalendar) -> bool:
    """An absence collides with a week when it covers one of the week's working days."""
    working = calendar.working_days_of_week(week_start)
    return any(a.first_day <= d <= a.last_day for a in absence_days for d in working)


def next_member(order: list[RotaMember], after_position: int) -> RotaMember:
    """The member after `after_position` in the round-robin (wrapping); `order` is not empty."""
    for member in order:
        if member.position > after_position:
            return member
    return order[0]


def rotate_after(order: list[str], user_id: str) -> list[str]:
    """Everyone but `user_id`, starting with the person after them in the order."""
    if user_id not in order:
        return list(order)
    index = order.index(user_id)
    return [u for u in order[index + 1 :] + order[:index] if u != user_id]


# Pure planning


@dataclass(frozen=True)
class Cover:
    """A cover arrangement: `coverer` takes `absent`'s week, and gives back `returned`."""

    week_start: date
    absent: str
    coverer: str
    returned: date | None


def arrange_cover(
    weeks_ahead: list[RotaWeek],
    week: RotaWeek,
    order: list[str],
    away: Callable[[str, date], bool],
) -> Cover | None:
    """Give `week` to the next available person and their next later week to the absent one.

    `weeks_ahead` are the published weeks that have not started, in order; rows are updated
    in place. None when nobody is available: the week stays with its person.
    """
    absent = week.user_id
    coverer = next((u for u in rotate_after(order, absent) if not away(u, week.week_start)), None)
    if coverer is None:
        return None
    week.user_id, week.kind, week.partner = coverer, store.COVER, absent
    returned = next(
        (
            later
            for later in weeks_ahead
            if later.week_start > week.week_start
            and later.user_id == coverer
            and not away(absent, later.week_start)
        ),
        None,
    )
    if returned is not None:
        returned.user_id, returned.kind, returned.partner = absent, store.COVER_RETURN, coverer
    return Cover(week.week_start, absent, coverer, returned.week_start if returned else None)


def swap_weeks(a: RotaWeek, b: RotaWeek) -> None:
    a.user_id, b.user_id = b.user_id, a.user_id
    a.kind = b.kind = store.SWAPPED
    a.partner, b.partner = b.user_id, a.user_id


def project(
    last: RotaWeek | None, order: list[RotaMember], first: date, through: date
) -> list[tuple[date, RotaMember]]:
    """Round-robin plan for the weeks from `first` through `through`, continuing after `last`."""
    if not order:
        return []
    position = last.planned_position if last is not None else 0
    plan = []
    week = first
    while week <= through:
        member = next_member(order, position)
        position = member.position
        plan.append((week, member))
        week += WEEK
    return plan


@dataclass(frozen=True)
class PersonStats:
    user_id: str
    served: int
    covers_given: int
    covers_taken: int


def fairness(weeks_served: list[RotaWeek], order: list[str]) -> list[PersonStats]:
    """Per person (members first, in order, then anyone who has left): weeks and covers."""
    people = list(order) + sorted(
        {w.user_id for w in weeks_served} - set(order)
        | {w.partner for w in weeks_served if w.kind == store.COVER and w.partner} - set(order)
    )
    return [
        PersonStats(
            user_id=person,
            served=sum(1 for w in weeks_served if w.user_id == person),
            covers_given=sum(
                1 for w in weeks_served if w.kind == store.COVER and w.user_id == person
            ),
            covers_taken=sum(
                1 for w in weeks_served if w.kind == store.COVER and w.partner == person
            ),
        )
        for person in people
    ]


# Store-backed operations


@dataclass
class Planner:
    """The rota's weeks, published on demand, with cover applied as absences require."""

    session: Session
    calendar: WorkCalendar
    rota_id: int
    today: date
    covers: list[Cover] = field(default_factory=list)

    @property
    def this_week(self) -> date:
        return self.calendar.week_start(self.today)

    def order(self) -> list[RotaMember]:
        return store.members(session=self.session, rota_id=self.rota_id)

    def publish(self, through: date) -> None:
        """Store the planned weeks up to the week containing `through` (bounded)."""
        through = min(self.calendar.week_start(through), self.this_week + MAX_WEEKS_AHEAD * WEEK)
        last = store.last_week(session=self.session, rota_id=self.rota_id)
        first = self.this_week if last is None else max(last.week_start + WEEK, self.this_week)
        plan = project(last, self.order(), first, through)
        if not plan:
            return
        try:
            with self.session.begin_nested():
                self.session.add_all(
                    RotaWeek(
                        rota_id=self.rota_id,
                        week_start=week_start,
                        planned_user=member.user_id,
                        planned_position=member.position,
                        user_id=member.user_id,
                    )
                    for week_start, member in plan
                )
        except IntegrityError:
            # Another request published these weeks a moment ago; its weeks stand.
            log.info("rota %s: weeks were published concurrently", self.rota_id)

    def upcoming(self) -> list[RotaWeek]:
        """Published weeks that have not started."""
        return store.weeks(session=self.session, rota_id=self.rota_id, first=self.this_week + WEEK)

    def away(self) -> Callable[[str, date], bool]:
        """Whether someone is away in a week: every member's absences read in one query."""
        first, last = self.this_week, self.this_week + (MAX_WEEKS_AHEAD + 1) * WEEK

        def read(user_ids: list[str]) -> dict[str, list[Absence]]:
            found: dict[str, list[Absence]] = {user_id: [] for user_id in user_ids}
            for absence in store.absences(
                session=self.session, user_ids=user_ids, first=first, last=last
            ):
                found[absence.user_id].append(absence)
            return found

        by_user = read([member.user_id for member in self.order()])

        def is_away(user_id: str, week_start: date) -> bool:
            if user_id not in by_user:  # someone who has left the rota but still holds a week
                by_user.update(read([user_id]))
            return collides(by_user[user_id], week_start, self.calendar)

        return is_away

    def refresh(self, through: date) -> None:
        """Publish through `through` and arrange cover wherever an absence collides."""
        self.publish(through)
        order = [m.user_id for m in self.order()]
        away = self.away()
        tried: set[date] = set()
        while True:
            upcoming = self.upcoming()
            week = next(
                (
                    w
                    for w in upcoming
                    if w.week_start not in tried and away(w.user_id, w.week_start)
                ),
                None,
            )
            if week is None:
                return
            tried.add(week.week_start)
            # The coverer's next week must be published to be given back.
            self.publish(week.week_start + (len(order) + 1) * WEEK)
            upcoming = self.upcoming()
            target = next(w for w in upcoming if w.week_start == week.week_start)
            cover = arrange_cover(upcoming, target, order, away)
            if cover is not None:
                self.covers.append(cover)
            self.session.add_all(upcoming)
            self.session.flush()

    def shown(self, count: int) -> list[RotaWeek]:
        """This week and the next `count - 1`, published."""
        last = self.this_week + (count - 1) * WEEK
        self.refresh(last)
        return store.weeks(
            session=self.session, rota_id=self.rota_id, first=self.this_week, last=last
        )

    def next_week_of(self, user_id: str, *, exclude: date | None = None) -> RotaWeek | None:
        """The person's earliest week that has not started (published on demand)."""
        self.refresh(self.this_week + (len(self.order()) + 1) * WEEK)
        return next(
            (w for w in self.upcoming() if w.user_id == user_id and w.week_start != exclude),
            None,
        )

    def week_at(self, week_start: date) -> RotaWeek | None:
        self.refresh(week_start)
        found = store.weeks(
            session=self.session, rota_id=self.rota_id, first=week_start, last=week_start
        )
        return found[0] if found else None


def on_support(*, session: Session, calendar: WorkCalendar, rota_id: int, day: date) -> str | None:
    """Who is on support for the rota on this local date: the published week, else the plan.

    Reads only; None when the rota has nobody (or the date is before the rota began).
    """
    week_start = calendar.week_start(day)
    found = store.weeks(session=session, rota_id=rota_id, first=week_start, last=week_start)
    if found:
        return found[0].user_id
    last = store.last_week(session=session, rota_id=rota_id)
    if last is None or last.week_start > week_start:
        return None
    plan = project(
        last, store.members(session=session, rota_id=rota_id), last.week_start + WEEK, week_start
    )
    return plan[-1][1].user_id if plan else None


def on_support_at(
    *, session: Session, calendar: WorkCalendar, rota_id: int, now: datetime
) -> str | None:
    """Who is on support for the rota at this instant."""
    return on_support(session=session, calendar=calendar, rota_id=rota_id, day=calendar.today(now))


# The /rota command

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
TOKEN = re.compile(r"<[^>]*>|[^\s<]+|<")
MAX_SHOWN = 26
DEFAULT_SHOWN = 6
STATS_WINDOW = timedelta(days=183)
IN_A_CHANNEL = (
    "A rota belongs to a channel: use `/rota` in your team's channel, not in a direct message."
)
INVITE = "Invite @Rotabot to this channel first: /invite @Rotabot"
REFUSED = (
    "Only the members of this rota and its delivery leads can change it. "
    "Ask one of them, or to be added with `/rota add @you`."
)


class UsageError(ValueError):
    """The command text was not understood; the message says what was wrong."""


@dataclass(frozen=True)
class Command:
    name: str
    users: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    count: int = DEFAULT_SHOWN


SUBCOMMANDS = ("show", "who", "add", "remove", "swap", "away", "lead", "stats", "ical", "help")


def parse_command(text: str) -> Command:
    """The subcommand and its arguments; UsageError says what is wrong with the text."""
    tokens = TOKEN.findall(text)
    if not tokens:
        return Command("show")
    name, rest = tokens[0].lower(), tokens[1:]
    if name not in SUBCOMMANDS:
        raise UsageError(f"I don't know `{echo(tokens[0])}`.")
    users: list[str] = []
    words: list[str] = []
    for token in rest:
        if match := MENTION.fullmatch(token):
            users.append(match[1])
        elif token.startswith("<") or token.startswith("@"):
            raise UsageError(
                f"I can't read `{echo(token)}` as a person: pick them from Slack's @ menu "
                "so the name turns into a mention."
            )
        else:
            words.append(token)
    command = Command(name, tuple(dict.fromkeys(users)), tuple(words))
    _check_shape(command)
    if name == "show" and words:
        return Command("show", count=int(words[0]))
    return command


def _check_shape(command: Command) -> None:
    name, users, words = command.name, command.users, command.words
    if name in ("who", "stats", "help") and (users or words):
        raise UsageError(f"`{name}` takes nothing after it.")
    if name == "show":
        if users or len(words) > 1 or (words and not _is_count(words[0])):
            raise UsageError(
                f"`show` takes a number of weeks from 1 to {MAX_SHOWN}, e.g. `show 8`."
            )
    if name == "add" and (not users or words):
        raise UsageError("`add` takes one or more people, e.g. `add @alice @bob`.")
    if name == "remove" and (len(users) != 1 or words):
        raise UsageError("`remove` takes one person, e.g. `remove @alice`.")
    if name == "swap" and len(users) != 1:
        raise UsageError("`swap` takes one person and optionally a date, e.g. `swap @bob 21 Dec`.")
    if name == "away" and (len(users) > 1 or not words):
        raise UsageError(
            "`away` takes a date, optionally an end date and one person, "
            "e.g. `away 21 Dec 2 Jan` or `away tomorrow @bob`."
        )
    if name == "lead" and len(users) != 1:
        raise UsageError(
            "`lead` takes one person and optionally a client, e.g. `lead @dana Acme Ltd`."
        )
    if name == "lead" and len(" ".join(words)) > 255:
        raise UsageError("That client name is too long: Zendesk organization names are shorter.")
    if name == "ical" and (users or [w.lower() for w in words] not in ([], ["reset"])):
        raise UsageError("`ical` takes nothing, or `reset` for a new link.")


def _is_count(word: str) -> bool:
    return word.isascii() and word.isdigit() and 1 <= int(word) <= MAX_SHOWN


def split_range(
    words: tuple[str, ...], *, today: date, calendar: WorkCalendar
) -> tuple[date, date]:
    """FROM [TO] from the words, e.g. `21 dec to 2 jan`, `tomorrow fri`, `next monday`."""
    words = tuple(w for w in words if w.lower() not in ("to", "until", "till", "-", "–"))
    first_error: DateError | None = None
    for cut in range(1, len(words) + 1):
        first, last = " ".join(words[:cut]), " ".join(words[cut:]) or None
        try:
            return parse_range(first, last, today=today, calendar=calendar)
        except DateError as error:
            if first_error is None or "range" in str(error) or "past" in str(error):
                first_error = error
    raise first_error or DateError(f"I expected dates, such as {EXAMPLES}.")


class People(Protocol):
    def is_bot(self, user_id: str) -> bool: ...


@dataclass(frozen=True)
class Post:
    """A message to send: to a user id (their DM) or a channel."""

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    swap_request_id: int | None = None


@dataclass
class Outcome:
    """What to answer the person (ephemeral) and what else to send."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    posts: list[Post] = field(default_factory=list)
    # Posted in the channel; when the bot is not in it, the person is told to invite it.
    in_channel: Post | None = None

    @property
    def settled(self) -> bool:
        """Nothing to send but the answer: asking again gives the same until the rota changes."""
        return not self.posts and self.in_channel is None


@dataclass
class RotaRequest:
    session: Session
    calendar: WorkCalendar
    now: datetime
    people: People
    channel_id: str
    user_id: str
    public_url: str | None = None

    @property
    def today(self) -> date:
        return self.calendar.today(self.now)

    def planner(self, rota: Rota) -> Planner:
        assert rota.id is not None
        return Planner(self.session, self.calendar, rota.id, self.today)

    def audit(self, rota: Rota, action: str, **detail: Any) -> None:
        record_audit(
            session=self.session,
            actor=self.user_id,
            action=action,
            scope=rota.channel_id,
            detail=detail,
            at=self.now,
        )


def run_command(request: RotaRequest, text: str) -> Outcome:
    """Do what `/rota text` asks; every problem becomes a sentence plus the usage."""
    try:
        command = parse_command(text)
        if request.channel_id.startswith("D") and command.name != "help":
            return Outcome(IN_A_CHANNEL)
        return COMMANDS[command.name](request, command)
    except (UsageError, DateError) as error:
        return Outcome(f"{error}\n\n{USAGE}")


def _rota(request: RotaRequest) -> Rota:
    rota = store.rota_for_channel(session=request.session, channel_id=request.channel_id)
    if rota is None:
        raise NoRota
    return rota


class NoRota(Exception):
    """The channel has no rota."""


def _may_change(request: RotaRequest, rota: Rota) -> bool:
    assert rota.id is not None
    order = store.members(session=request.session, rota_id=rota.id)
    return any(m.user_id == request.user_id for m in order) or store.is_lead(
        session=request.session, rota=rota, user_id=request.user_id
    )


def _teammates(request: RotaRequest, users: Iterable[str]) -> None:
    for user in users:
        if request.people.is_bot(user):
            raise UsageError(f"{mention(user)} is a bot, not a teammate.")


def _member_ids(request: RotaRequest, rota: Rota) -> list[str]:
    assert rota.id is not None
    return [m.user_id for m in store.members(session=request.session, rota_id=rota.id)]


def _not_member(user: str, order: list[str]) -> UsageError:
    listed = ", ".join(mention(u) for u in order) or "nobody yet"
    return UsageError(f"{mention(user)} is not on this rota (its members: {listed}).")


def _shown(planner: Planner, count: int) -> list[ShownWeek]:
    away = planner.away()
    return [ShownWeek(w, uncovered=away(w.user_id, w.week_start)) for w in planner.shown(count)]


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


def _cover_lines(covers: list[Cover], today: date) -> str:
    lines = []
    for cover in covers:
        line = f"• {week_label(cover.week_start, today=today)}: {mention(cover.coverer)} covers"
        if cover.returned:
            line += (
                f"; {mention(cover.absent)} takes their week "
                f"{week_label(cover.returned, today=today)}"
            )
        lines.append(line)
    return "\n".join(lines)


def show(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    planner = request.planner(rota)
    shown = _shown(planner, command.count)
    blocks = rota_blocks(
        shown,
        today=request.today,
        calendar=request.calendar,
        has_members=bool(_member_ids(request, rota)),
    )
    return Outcome(
        rota_text(shown, today=request.today, calendar=request.calendar),
        blocks,
        posts=cover_posts(planner.covers, channel=request.channel_id, today=request.today),
    )


def who(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    planner = request.planner(rota)
    shown = planner.shown(2)
    current = next((w for w in shown if w.week_start == planner.this_week), None)
    following = next((w for w in shown if w.week_start > planner.this_week), None)
    text = who_text(current, following, today=request.today, calendar=request.calendar)
    return Outcome(
        "Posted in the channel.",
        posts=cover_posts(planner.covers, channel=request.channel_id, today=request.today),
        in_channel=Post(request.channel_id, text),
    )


def add(request: RotaRequest, command: Command) -> Outcome:
    _teammates(request, command.users)
    rota = store.rota_for_channel(session=request.session, channel_id=request.channel_id)
    created = rota is None
    if rota is None:
        rota = store.create_rota(
            session=request.session,
            channel_id=request.channel_id,
            created_by=request.user_id,
            now=request.now,
        )
        request.audit(rota, "rota.create")
    elif not _may_change(request, rota):
        return Outcome(REFUSED)
    assert rota.id is not None
    order = _member_ids(request, rota)
    new = [u for u in command.users if u not in order]
    already = [u for u in command.users if u in order]
    for user in new:
        store.add_member(session=request.session, rota_id=rota.id, user_id=user)
    if new:
        request.audit(rota, "rota.add", users=new)
    planner = request.planner(rota)
    shown = _shown(planner, DEFAULT_SHOWN)
    names = ", ".join(mention(u) for u in new)
    if created:
        text = f"Started the support rota for this channel with {names}."
    elif new:
        text = f"Added {names} at the end of the order; weeks already shown stay as they are."
    else:
        text = "Nobody new to add."
    if already:
        text += f" Already on the rota: {', '.join(mention(u) for u in already)}."
    blocks = [
        section(text),
        *rota_blocks(shown, today=request.today, calendar=request.calendar, has_members=True),
    ]
    return Outcome(
        text,
        blocks,
        posts=cover_posts(planner.covers, channel=request.channel_id, today=request.today),
    )


def remove(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    if not _may_change(request, rota):
        return Outcome(REFUSED)
    assert rota.id is not None
    (leaving,) = command.users
    order = _member_ids(request, rota)
    if leaving not in order:
        raise _not_member(leaving, order)
    planner = request.planner(rota)
    planner.refresh(planner.this_week)
    remaining = rotate_after(order, leaving)
    store.remove_member(session=request.session, rota_id=rota.id, user_id=leaving)
    upcoming = planner.upcoming()
    posts: list[Post] = []
    lines: list[str] = []
    if not remaining:
        store.delete_weeks(session=request.session, week_ids=[w.id for w in upcoming if w.id])
        text = (
            f"Removed {mention(leaving)}. Nobody is left on this rota: add people with `/rota add`."
        )
    else:
        away = planner.away()
        theirs = [w for w in upcoming if w.user_id == leaving]
        for index, week in enumerate(theirs):
            turn = remaining[index % len(remaining) :] + remaining[: index % len(remaining)]
            person = next((u for u in turn if not away(u, week.week_start)), turn[0])
            week.user_id = week.planned_user = person
            week.kind, week.partner = store.PLANNED, None
            request.session.add(week)
            label = week_label(week.week_start, today=request.today)
            lines.append(f"• {label}: {mention(person)}")
            posts.append(
                Post(
                    person,
                    f"You're now on support in <#{rota.channel_id}> in the week {label}, "
                    f"because {mention(leaving)} left the rota.",
                )
            )
        text = f"Removed {mention(leaving)}."
        text += (
            " Their weeks now go to:\n" + "\n".join(lines)
            if lines
            else " They had no upcoming weeks."
        )
    for pending in store.pending_swaps(session=request.session, user_id=leaving):
        if pending.rota_id == rota.id:
            pending.status = store.EXPIRED
            request.session.add(pending)
    if leaving != request.user_id:
        posts.append(
            Post(
                leaving,
                f"{mention(request.user_id)} took you off the support rota "
                f"in <#{rota.channel_id}>.",
            )
        )
    request.audit(rota, "rota.remove", user=leaving, replanned=len(lines))
    return Outcome(text, posts=posts)


def swap(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    (other,) = command.users
    _teammates(request, [other])
    order = _member_ids(request, rota)
    if request.user_id not in order:
        return Outcome("Only people on this rota can swap weeks: you have none to swap.")
    if other == request.user_id:
        raise UsageError("You can't swap with yourself: name a teammate, e.g. `swap @bob`.")
    if other not in order:
        raise _not_member(other, order)
    planner = request.planner(rota)
    today = request.today
    if command.words:
        day = parse_date(" ".join(command.words), today=today, calendar=request.calendar)
        week_start = request.calendar.week_start(day)
        if has_started(week_start, today=today):
            return Outcome(
                f"The week {week_label(week_start, today=today)} has already started: "
                "only weeks that haven't started can be swapped."
            )
        mine = planner.week_at(week_start)
        if mine is None or mine.user_id != request.user_id:
            holder = f"{mention(mine.user_id)} is" if mine else "nobody is planned yet"
            return Outcome(
                f"You're not on support in the week {week_label(week_start, today=today)}: "
                f"{holder}. Give a date in one of your weeks, or leave it out for your next one."
            )
    else:
        mine = planner.next_week_of(request.user_id)
        if mine is None:
            return Outcome("You have no upcoming support week to swap.")
    theirs = planner.next_week_of(other, exclude=mine.week_start)
    if theirs is None:
        return Outcome(f"{mention(other)} has no upcoming support week to swap with.")
    assert rota.id is not None
    swap_request = store.add_swap_request(
        session=request.session,
        rota_id=rota.id,
        requester=request.user_id,
        target=other,
        requester_week=mine.week_start,
        target_week=theirs.week_start,
        now=request.now,
    )
    assert swap_request.id is not None
    request.audit(rota, "rota.swap.requested", request=swap_request.id, target=other)
    dm = Post(
        other,
        swap_request_text(swap_request, channel_id=rota.channel_id, today=today),
        swap_request_blocks(swap_request, channel_id=rota.channel_id, today=today),
        swap_request_id=swap_request.id,
    )
    return Outcome(
        f"I've asked {mention(other)} to take your week {week_label(mine.week_start, today=today)} "
        f"for theirs, {week_label(theirs.week_start, today=today)}. I'll tell you their answer.",
        posts=[dm, *cover_posts(planner.covers, channel=request.channel_id, today=request.today)],
    )


def away(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    absent = command.users[0] if command.users else request.user_id
    if absent != request.user_id:
        if not store.is_lead(session=request.session, rota=rota, user_id=request.user_id):
            return Outcome(
                "Only a delivery lead can record someone else's absence: "
                f"ask {mention(absent)} to run `/rota away` themselves."
            )
        _teammates(request, [absent])
    elif not _may_change(request, rota):
        return Outcome(REFUSED)
    today = request.today
    first, last = split_range(command.words, today=today, calendar=request.calendar)
    store.add_absence(
        session=request.session,
        user_id=absent,
        first_day=first,
        last_day=last,
        created_by=request.user_id,
        now=request.now,
    )
    request.audit(rota, "rota.away", user=absent, first=first.isoformat(), last=last.isoformat())
    planner = request.planner(rota)
    planner.refresh(last)
    who = "You're" if absent == request.user_id else f"{mention(absent)} is"
    text = f"Noted: {who} away {timefmt.day_range(first, last, today=today)}."
    mine = [c for c in planner.covers if c.absent == absent]
    if mine:
        text += " Cover:\n" + _cover_lines(mine, today)
    away_check = planner.away()
    uncovered = [
        w
        for w in store.weeks(
            session=request.session, rota_id=planner.rota_id, first=planner.this_week
        )
        if w.user_id == absent and away_check(absent, w.week_start)
    ]
    for week in uncovered:
        label = week_label(week.week_start, today=today)
        if has_started(week.week_start, today=today):
            text += f"\n:warning: {label} has already started, so it stays as it is."
        else:
            text += f"\n:warning: {label}: nobody is available to cover."
    return Outcome(
        text, posts=cover_posts(planner.covers, channel=request.channel_id, today=request.today)
    )


def lead(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    if not _may_change(request, rota):
        return Outcome(REFUSED)
    (user,) = command.users
    _teammates(request, [user])
    assert rota.id is not None
    client = " ".join(command.words)
    if client:
        store.set_client_lead(session=request.session, rota_id=rota.id, client=client, user_id=user)
        text = f"{mention(user)} is now the delivery lead for {client} in this rota."
    else:
        store.set_default_lead(session=request.session, rota=rota, user_id=user)
        text = f"{mention(user)} is now this rota's delivery lead."
    request.audit(rota, "rota.lead", user=user, client=client or None)
    return Outcome(text)


def stats(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    assert rota.id is not None
    today = request.today
    served = store.weeks(
        session=request.session,
        rota_id=rota.id,
        first=request.calendar.week_start(today - STATS_WINDOW),
        last=today,
    )
    rows = fairness(served, _member_ids(request, rota))
    return Outcome(
        stats_text([(r.user_id, r.served, r.covers_given, r.covers_taken) for r in rows])
    )


def ical(request: RotaRequest, command: Command) -> Outcome:
    try:
        rota = _rota(request)
    except NoRota:
        return Outcome(NO_ROTA)
    if command.words:
        if not _may_change(request, rota):
            return Outcome(REFUSED)
        rota.ical_secret = store.new_ical_secret()
        request.session.add(rota)
        request.audit(rota, "rota.ical.reset")
        lead_in = "Here is the new link; the old one no longer works."
    else:
        lead_in = "Your private calendar feed of this rota (keep it to the team):"
    path = f"/rota/{rota.ical_secret}.ics"
    if request.public_url:
        return Outcome(f"{lead_in}\n{request.public_url.rstrip('/')}{path}")
    return Outcome(
        f"{lead_in}\n`{path}` on Rotabot's web address. "
        "(Whoever runs Rotabot can set ROTABOT_PUBLIC_URL so this shows a full link.)"
    )


def usage(request: RotaRequest, command: Command) -> Outcome:
    return Outcome(USAGE)


COMMANDS: dict[str, Callable[[RotaRequest, Command], Outcome]] = {
    "show": show,
    "who": who,
    "add": add,
    "remove": remove,
    "swap": swap,
    "away": away,
    "lead": lead,
    "stats": stats,
    "ical": ical,
    "help": usage,
}


# Answering a swap request


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
    found = store.swap_request(session=session, request_id=request_id, for_update=True)
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
        found.status = store.DECLINED
        session.add(found)
        _audit_answer(session, found, channel, "rota.swap.declined", now)
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
    found.status = store.ACCEPTED
    session.add(found)
    _audit_answer(session, found, channel, "rota.swap.accepted", now)
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


def _audit_answer(
    session: Session, found: SwapRequest, scope: str, action: str, now: datetime
) -> None:
    record_audit(
        session=session,
        actor=found.target,
        action=action,
        scope=scope,
        detail={"request": found.id, "requester": found.requester},
        at=now,
    )


def remember_swap_dm(*, session: Session, request_id: int, channel: str, ts: str) -> None:
    """Where the request's DM is, so answering it can update it."""
    found = store.swap_request(session=session, request_id=request_id)
    if found is not None:
        found.dm_channel, found.dm_ts = channel, ts
        session.add(found)


# App Home


@dataclass(frozen=True)
class RotaSummary:
    """One rota as a member sees it on their App Home."""

    channel_id: str
    current: RotaWeek | None
    my_weeks: list[RotaWeek]
    swaps_to_me: list[SwapRequest]
    swaps_from_me: list[SwapRequest]


HOME_WEEKS = 8


def home_summaries(
    *, session: Session, calendar: WorkCalendar, now: datetime, user_id: str
) -> tuple[list[RotaSummary], list[Post]]:
    """The user's rotas (published through the next weeks) and any cover notices that made."""
    today = calendar.today(now)
    pending = [
        s
        for s in store.pending_swaps(session=session, user_id=user_id)
        if not has_started(min(s.requester_week, s.target_week), today=today)
    ]
    summaries: list[RotaSummary] = []
    posts: list[Post] = []
    for rota in store.rotas_of_user(session=session, user_id=user_id):
        assert rota.id is not None
        planner = Planner(session, calendar, rota.id, today)
        shown = planner.shown(HOME_WEEKS)
        posts += cover_posts(planner.covers, channel=rota.channel_id, today=today)
        summaries.append(
            RotaSummary(
                channel_id=rota.channel_id,
                current=next((w for w in shown if w.week_start == planner.this_week), None),
                my_weeks=[
                    w for w in shown if w.user_id == user_id and w.week_start > planner.this_week
                ],
                swaps_to_me=[s for s in pending if s.rota_id == rota.id and s.target == user_id],
                swaps_from_me=[
                    s for s in pending if s.rota_id == rota.id and s.requester == user_id
                ],
            )
        )
    return summaries, posts
