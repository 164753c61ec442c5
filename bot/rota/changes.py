"""The /rota subcommands that change the rota: add, remove, swap, away, lead, ical reset."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from bot import timefmt
from bot.blocks.rota import mention, swap_request_blocks, swap_request_text, week_label
from bot.dates import parse_date
from bot.rota.cover import ask_for_cover
from bot.rota.parse import DEFAULT_SHOWN, Command, UsageError, split_range
from bot.rota.planner import Planner
from bot.rota.planning import WEEK, Cover, has_started, rotate_after
from bot.rota.plans import SwapPlan
from bot.rota.request import (
    REFUSED,
    Outcome,
    Post,
    RotaRequest,
    channel_rota,
    lead_only,
    may_change,
    member_ids,
    not_member,
    shown_rota,
    teammates,
)
from bot.store import rota as store
from bot.store import rota_swaps
from bot.store.rota import SwapRequest


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


def add(request: RotaRequest, command: Command) -> Outcome:
    teammates(request, command.users)
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
    elif not may_change(request, rota):
        return Outcome(REFUSED)
    assert rota.id is not None
    order = member_ids(request, rota)
    new = [u for u in command.users if u not in order]
    already = [u for u in command.users if u in order]
    for user in new:
        store.add_member(session=request.session, rota_id=rota.id, user_id=user)
    if new:
        request.audit(rota, "rota.add", users=new)
    names = ", ".join(mention(u) for u in new)
    if created:
        text = f"Started the support rota for this channel with {names}."
    elif new:
        text = f"Added {names} at the end of the order; weeks already shown stay as they are."
    else:
        text = "Nobody new to add."
    if already:
        text += f" Already on the rota: {', '.join(mention(u) for u in already)}."
    return shown_rota(request, rota, DEFAULT_SHOWN, said=text)


def remove(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    if refused := lead_only(request, rota, to="take people off this rota"):
        return refused
    if not may_change(request, rota):
        return Outcome(REFUSED)
    assert rota.id is not None
    (leaving,) = command.users
    order = member_ids(request, rota)
    if leaving not in order:
        raise not_member(leaving, order)
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
    for pending in rota_swaps.pending_swaps(session=request.session, user_id=leaving):
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
    return Outcome(text, posts=posts, surfaces=rota.id)


def swap(request: RotaRequest, command: Command) -> Outcome:
    # A swap for "my next week" reads the plan remembered a moment ago, if it still holds.
    remembered = (
        None
        if command.words or request.plans is None
        else request.plans.get(request.channel_id, request.today)
    )
    planner: Planner | None = None
    if remembered is None:
        rota = channel_rota(request)
        assert rota.id is not None
        members = store.members(session=request.session, rota_id=rota.id)
        rota_id, channel, order = rota.id, rota.channel_id, [m.user_id for m in members]
        planner = request.planner(rota, members=members)
    else:
        rota_id, channel, order = remembered.rota_id, remembered.channel_id, [*remembered.order]
    (other,) = command.users
    teammates(request, [other])
    if request.user_id not in order:
        return Outcome("Only people on this rota can swap weeks: you have none to swap.")
    if other == request.user_id:
        raise UsageError("You can't swap with yourself: name a teammate, e.g. `swap @bob`.")
    if other not in order:
        raise not_member(other, order)
    today = request.today
    if command.words:
        assert planner is not None  # a plan is remembered for the next week only
        day = parse_date(" ".join(command.words), today=today, calendar=request.calendar)
        week_start = request.calendar.week_start(day)
        if has_started(week_start, today=today):
            return Outcome(
                f"The week {week_label(week_start, today=today)} has already started: "
                "only weeks that haven't started can be swapped."
            )
        week = planner.week_at(week_start)
        if week is None or week.user_id != request.user_id:
            holder = f"{mention(week.user_id)} is" if week else "nobody is planned yet"
            return Outcome(
                f"You're not on support in the week {week_label(week_start, today=today)}: "
                f"{holder}. Give a date in one of your weeks, or leave it out for your next one."
            )
        mine = week.week_start
        found = planner.next_week_of(other, exclude=mine)
        theirs = None if found is None else found.week_start
    else:
        plan = remembered
        if plan is None:
            assert planner is not None
            plan = read_plan(request, planner, rota_id=rota_id, channel=channel, order=order)
        next_week = plan.next_week_of(request.user_id)
        if next_week is None:
            return Outcome("You have no upcoming support week to swap.")
        mine = next_week
        theirs = plan.next_week_of(other, exclude=mine)
    if theirs is None:
        return Outcome(f"{mention(other)} has no upcoming support week to swap with.")
    asked = SwapRequest(
        rota_id=rota_id,
        requester=request.user_id,
        target=other,
        requester_week=mine,
        target_week=theirs,
        created_at=request.now,
    )
    engine = request.session.get_bind()
    if (
        isinstance(engine, Engine)
        and engine.dialect.name == "postgresql"
        and not request.session.in_transaction()
    ):
        # From a remembered plan, having read nothing: a write of its own, one statement where
        # a session took five round trips (on SQLite, in process, the session costs less).
        swap_request = rota_swaps.ask_for_swap(engine, asked, channel_id=channel)
    else:
        # The plan was read (and maybe planned) in this session: the request joins it.
        swap_request = rota_swaps.add_swap_request(session=request.session, request=asked)
        assert swap_request.id is not None
        request.audit_in(channel, rota_swaps.ASKED, request=swap_request.id, target=other)
    dm = Post(
        other,
        swap_request_text(swap_request, channel_id=channel, today=today),
        swap_request_blocks(swap_request, channel_id=channel, today=today),
        swap_request_id=swap_request.id,
    )
    return Outcome(
        f"I've asked {mention(other)} to take your week {week_label(mine, today=today)} "
        f"for theirs, {week_label(theirs, today=today)}. I'll tell you their answer.",
        posts=[dm, *([] if planner is None else request.cover_notices(planner))],
    )


def read_plan(
    request: RotaRequest, planner: Planner, *, rota_id: int, channel: str, order: list[str]
) -> SwapPlan:
    """The weeks to come as `planner` leaves them (published, cover arranged), through the
    furthest anyone's next week can be; remembered when reading them wrote nothing."""
    planner.refresh(planner.this_week + (len(order) + 1) * WEEK)
    plan = SwapPlan(
        rota_id=rota_id,
        channel_id=channel,
        order=tuple(order),
        upcoming=tuple((week.week_start, week.user_id) for week in planner.upcoming()),
    )
    if not planner.wrote and request.plans is not None:
        request.plans.keep(request.today, plan)
    return plan


def away(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    absent = command.users[0] if command.users else request.user_id
    if absent != request.user_id:
        if refused := lead_only(request, rota, to="record someone else's absence"):
            return refused
        # Without a default lead, any delivery lead (a client's too) may, as before.
        if not store.is_lead(session=request.session, rota=rota, user_id=request.user_id):
            return Outcome(
                "Only a delivery lead can record someone else's absence: "
                f"ask {mention(absent)} to run `/rota away` themselves."
            )
        teammates(request, [absent])
        # An absence counts in every rota of theirs: only their own rota's lead records it.
        order = member_ids(request, rota)
        if absent not in order:
            raise not_member(absent, order)
    elif not may_change(request, rota):
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
    said, asked = ask_for_cover(
        session=request.session,
        calendar=request.calendar,
        rota=rota,
        absent=absent,
        first=first,
        last=last,
        now=request.now,
    )
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
            started = f":warning: {label} has already started, so it stays as it is."
            text += f"\n{said or started}"
        else:
            text += f"\n:warning: {label}: nobody is available to cover."
    return Outcome(text, posts=[*request.cover_notices(planner), *asked], surfaces=rota.id)


def lead(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    if refused := lead_only(request, rota, to="change who leads it"):
        return refused
    # Until the rota has a lead, any member (or client lead) may name one, themselves included.
    if not may_change(request, rota):
        return Outcome(REFUSED)
    (user,) = command.users
    teammates(request, [user])
    assert rota.id is not None
    client = " ".join(command.words)
    if client:
        previous = store.set_client_lead(
            session=request.session, rota_id=rota.id, client=client, user_id=user
        )
        text = f"{mention(user)} is now the delivery lead for {client} in this rota."
    else:
        previous = store.set_default_lead(session=request.session, rota=rota, user_id=user)
        text = f"{mention(user)} is now this rota's delivery lead."
    request.audit(rota, "rota.lead", user=user, client=client or None, previous=previous)
    return Outcome(text)


ICAL_REFUSED = (
    "Sorry, the calendar feed link is only for this rota's members and its delivery leads. "
    "Ask one of them to add you with `/rota add`, or to share the rota with you."
)


def ical(request: RotaRequest, command: Command) -> Outcome:
    rota = channel_rota(request)
    # The link reads the rota with no login: it is shown to the rota's own people only.
    if not may_change(request, rota):
        return Outcome(ICAL_REFUSED)
    if command.words:
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
