"""Asking for help, answering, suggesting another time; what the surfaces show of it.

A slot must lie in working time (a working day, 09:00–17:30 in the team's timezone), in the
future, with both people there that day. The domain raises SlotProblem with the modal block
to show it on; the surface shows it there, so nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from bot import timefmt
from bot.blocks.escalation import ticket_link
from bot.blocks.help import DAY_BLOCK, HELPER_BLOCK, TIME_BLOCK, HelpView
from bot.blocks.kit import mention, ticket_url
from bot.services import Services
from bot.store.help_requests import (
    ACCEPTED,
    ASKED,
    DECLINED,
    HelpRequest,
    add_help_request,
    booked_help,
    help_request_by_id,
    save_help_request,
)
from bot.store.reports import client_name
from bot.store.rota import is_away
from bot.store.tickets import tickets_by_ids
from bot.worktime import WorkCalendar


class SlotProblem(Exception):
    """The form cannot be booked as it is; `block` is where the modal shows why."""

    def __init__(self, block: str, text: str) -> None:
        super().__init__(text)
        self.block, self.text = block, text


class NotYourTurn(Exception):
    def __init__(self, waiting_on: str) -> None:
        super().__init__(f"waiting on {waiting_on}")
        self.waiting_on = waiting_on


class Settled(Exception):
    """The request was answered already (declined, or accepted and now cancelled)."""


def check_slot(
    calendar: WorkCalendar, day: date, at: time, minutes: int, *, now: datetime
) -> datetime:
    """The slot's start (UTC), or SlotProblem saying what is wrong with it."""
    today = calendar.today(now)
    if not calendar.is_working_day(day):
        holiday = calendar.holiday_name(day)
        why = f"is {holiday}" if holiday else "is not a working day"
        raise SlotProblem(
            DAY_BLOCK,
            f"{timefmt.day(day, today=today)} {why}: help is booked in working time. "
            f"The next working day is {timefmt.day(calendar.next_working_day(day), today=today)}.",
        )
    starts_at = calendar.at(day, at)
    ends_at = starts_at + timedelta(minutes=minutes)
    opens, closes = calendar.start_of_working_day(day), calendar.end_of_working_hours(day)
    if starts_at < opens or ends_at > closes:
        latest = (closes - timedelta(minutes=minutes)).astimezone(calendar.tz)
        raise SlotProblem(
            TIME_BLOCK,
            f"{at:%H:%M} for {minutes} minutes is outside working hours "
            f"({calendar.local(opens):%H:%M}–{calendar.local(closes):%H:%M}): start between "
            f"{calendar.local(opens):%H:%M} and {latest:%H:%M}, or choose "
            f"{timefmt.day(calendar.next_working_day(day), today=today)}.",
        )
    if starts_at <= now:
        raise SlotProblem(TIME_BLOCK, "That time has passed: choose a time to come.")
    return starts_at


def check_people(services: Services, *, asker: str, helper: str, day: date) -> None:
    if helper == asker:
        raise SlotProblem(HELPER_BLOCK, "Choose someone other than yourself.")
    today = services.calendar.today(services.now())
    with services.session() as session:
        for person in (helper, asker):
            if is_away(session=session, user_id=person, day=day):
                who = "You are" if person == asker else f"{mention(person)} is"
                raise SlotProblem(
                    HELPER_BLOCK if person == helper else DAY_BLOCK,
                    f"{who} away on {timefmt.day(day, today=today)}: choose another day"
                    + (" or someone else." if person == helper else "."),
                )


def view_of(services: Services, request: HelpRequest) -> HelpView:
    with services.session() as session:
        ticket = tickets_by_ids(session=session, ticket_ids=[request.ticket_id]).get(
            request.ticket_id
        )
        client = None if ticket is None else client_name(session, ticket)
    return view_from(
        request,
        ticket_subject=ticket.subject if ticket else "",
        client=client,
        zendesk_url=services.settings.zendesk_url,
    )


def view_from(
    request: HelpRequest, *, ticket_subject: str, client: str | None, zendesk_url: str | None
) -> HelpView:
    assert request.id is not None
    url = ticket_url(zendesk_url, request.ticket_id)
    return HelpView(
        request_id=request.id,
        ticket_id=request.ticket_id,
        link=ticket_link(request.ticket_id, ticket_subject, client, url),
        url=url,
        asker=request.asker,
        helper=request.helper,
        starts_at=request.starts_at,
        minutes=request.minutes,
        what=request.what,
        waiting_on=request.waiting_on,
    )


def ask_for_help(
    services: Services,
    *,
    ticket_id: int,
    asker: str,
    helper: str,
    starts_at: datetime,
    minutes: int,
    what: str,
) -> HelpView:
    with services.session() as session:
        request = add_help_request(
            session=session,
            request=HelpRequest(
                ticket_id=ticket_id,
                asker=asker,
                helper=helper,
                starts_at=starts_at,
                minutes=minutes,
                what=what,
                waiting_on=helper,
                asked_at=services.now(),
            ),
        )
        session.expunge(request)
    return view_of(services, request)


def remember_question(services: Services, request_id: int, *, channel: str, ts: str) -> None:
    with services.session() as session:
        request = help_request_by_id(session=session, request_id=request_id)
        if request is not None:
            request.question_channel, request.question_ts = channel, ts
            save_help_request(session=session, request=request)


@dataclass(frozen=True)
class Answered:
    view: HelpView
    state: str
    # The person who answered was in an accepted booking and cancelled it.
    cancelled: bool = False
    # The earlier question's DM, to update when it was answered elsewhere.
    question: tuple[str, str] | None = None


def answer_help(services: Services, request_id: int, *, user: str, accept: bool) -> Answered | None:
    """Accept or decline (None: no such request). An accepted booking may be declined by
    either person ("can't make it"): it is cancelled."""
    with services.session() as session:
        request = help_request_by_id(session=session, request_id=request_id, for_update=True)
        if request is None:
            return None
        cancelled = False
        if request.state == ACCEPTED and not accept and user in (request.asker, request.helper):
            request.state, cancelled = DECLINED, True
        elif request.state != ASKED:
            raise Settled()
        elif user != request.waiting_on:
            raise NotYourTurn(request.waiting_on)
        else:
            request.state = ACCEPTED if accept else DECLINED
        request.answered_at = services.now()
        save_help_request(session=session, request=request)
        session.flush()
        session.expunge(request)
    return Answered(view_of(services, request), request.state, cancelled=cancelled)


def suggest_time(
    services: Services, request_id: int, *, user: str, starts_at: datetime
) -> Answered | None:
    """The one asked suggests another start; now the other one must answer."""
    with services.session() as session:
        request = help_request_by_id(session=session, request_id=request_id, for_update=True)
        if request is None:
            return None
        if request.state != ASKED:
            raise Settled()
        if user != request.waiting_on:
            raise NotYourTurn(request.waiting_on)
        question = (
            (request.question_channel, request.question_ts)
            if request.question_channel and request.question_ts
            else None
        )
        request.starts_at = starts_at
        request.waiting_on = request.other(user)
        request.asked_at = services.now()
        request.question_channel = request.question_ts = None
        save_help_request(session=session, request=request)
        session.flush()
        session.expunge(request)
    return Answered(view_of(services, request), request.state, question=question)


def request_for(services: Services, request_id: int) -> HelpRequest | None:
    with services.session() as session:
        request = help_request_by_id(session=session, request_id=request_id)
        if request is not None:
            session.expunge(request)
        return request


def booked_views(services: Services, users: list[str] | None, now: datetime) -> list[HelpView]:
    with services.session() as session:
        return booked_views_in(session, users, now, zendesk_url=services.settings.zendesk_url)


def booked_views_in(
    session: Session, users: list[str] | None, now: datetime, *, zendesk_url: str | None
) -> list[HelpView]:
    """Accepted help not over yet, where these people ask or help, soonest first."""
    found = booked_help(session=session, now=now, users=users)
    return views_in(session, found, zendesk_url=zendesk_url)


def views_in(
    session: Session, requests: list[HelpRequest], *, zendesk_url: str | None
) -> list[HelpView]:
    tickets = tickets_by_ids(session=session, ticket_ids=sorted({r.ticket_id for r in requests}))
    views = []
    for request in requests:
        ticket = tickets.get(request.ticket_id)
        views.append(
            view_from(
                request,
                ticket_subject=ticket.subject if ticket else "",
                client=None if ticket is None else client_name(session, ticket),
                zendesk_url=zendesk_url,
            )
        )
    return views
