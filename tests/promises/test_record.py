"""Recording promised updates and what happens to them: kept, cancelled, moved, handed on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.promises.record import (
    PROMISE_USAGE,
    PromiseError,
    cancel,
    hand_over,
    keep,
    keep_fulfilled,
    open_promise,
    promise_from_command,
    record_from_modal,
    recorded_text,
    reschedule,
)
from bot.promises.text import EXAMPLES
from bot.services import Services
from bot.store import promises as store
from bot.store.promises import Promise
from bot.store.tickets import Ticket
from bot.zendesk.client import ZendeskNotFound, ZendeskUnavailable
from tests.doors import MutableClock
from tests.store.test_tickets import ticket

# Wednesday 2 December 2026, 10:00 GMT: the services' clock.
WED_10 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
THU_17 = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
FRI_15 = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def found(ticket_id: int) -> Ticket:
    return ticket(ticket_id, "open", WED_10)


def not_looked_up(ticket_id: int) -> Ticket:
    raise AssertionError(f"ticket #{ticket_id} should not have been looked up")


def promises(services: Services) -> list[Promise]:
    with services.session() as session:
        rows = list(session.exec(select(Promise).order_by(col(Promise.id))))
        for row in rows:
            session.expunge(row)
        return rows


def made(services: Services, *, owner: str = "UA", ticket_id: int = 1) -> int:
    promise = record_from_modal(
        services, user=owner, ticket_id=ticket_id, due=THU_17, note="check the logs"
    )
    assert promise.id is not None
    return promise.id


def refusal(error: pytest.ExceptionInfo[PromiseError]) -> str:
    return str(error.value)


def test_a_command_records_the_promise_and_says_when_it_is_due(services: Services) -> None:
    reply = promise_from_command(
        services, user="UA", args="#1 tomorrow check the logs", ticket_of=found
    )
    assert reply == (
        ":handshake: Noted: you promised an update on #1 by *Thu 3 Dec, 17:00 GMT* "
        "(check the logs). I'll remind you before it is due."
    )
    (recorded,) = promises(services)
    assert (recorded.ticket_id, recorded.owner, recorded.due_at, recorded.note) == (
        1,
        "UA",
        THU_17,
        "check the logs",
    )
    assert (recorded.source, recorded.state, recorded.made_at, recorded.created_by) == (
        store.FROM_COMMAND,
        store.OPEN,
        WED_10,
        "UA",
    )


@pytest.mark.parametrize(
    ("args", "reply"),
    [
        ("", f"Which ticket? `…` is not a ticket number.\n{PROMISE_USAGE}"),
        ("abc tomorrow", f"Which ticket? `abc` is not a ticket number.\n{PROMISE_USAGE}"),
        ("1", f"Say when the update is due, e.g. {EXAMPLES}.\n{PROMISE_USAGE}"),
        (
            "1 today 9am",
            f"“today 9am” (09:00) has already passed. Pick a time in the future, e.g. "
            f"{EXAMPLES}.\n{PROMISE_USAGE}",
        ),
    ],
)
def test_a_command_without_a_ticket_or_a_usable_time_is_explained(
    services: Services, args: str, reply: str
) -> None:
    assert promise_from_command(services, user="UA", args=args, ticket_of=not_looked_up) == reply
    assert promises(services) == []


def test_an_unknown_ticket_or_zendesk_down_records_nothing(services: Services) -> None:
    def missing(ticket_id: int) -> Ticket:
        raise ZendeskNotFound("not found")

    def down(ticket_id: int) -> Ticket:
        raise ZendeskUnavailable("Zendesk answered 503")

    assert promise_from_command(services, user="UA", args="99 tomorrow", ticket_of=missing) == (
        "I can't find ticket #99 in Zendesk, so I haven't recorded a promise."
    )
    assert promise_from_command(services, user="UA", args="99 tomorrow", ticket_of=down) == (
        ":warning: I couldn't check ticket #99 in Zendesk (Zendesk answered 503). Try again soon."
    )
    assert promises(services) == []


def test_the_reply_warns_of_a_holiday_or_a_weekend_and_escapes_the_note(
    services: Services,
) -> None:
    christmas = record_from_modal(
        services,
        user="UA",
        ticket_id=1,
        due=datetime(2026, 12, 25, 12, 0, tzinfo=UTC),
        note="<b>&",
    )
    saturday = record_from_modal(
        services, user="UA", ticket_id=2, due=datetime(2026, 12, 5, 12, 0, tzinfo=UTC), note=""
    )
    assert recorded_text(christmas, services.calendar, now=WED_10) == (
        ":handshake: Noted: you promised an update on #1 by *Fri 25 Dec, 12:00 GMT* "
        "(&lt;b&gt;&amp;). I'll remind you before it is due. "
        "Heads up: Fri 25 Dec is Christmas Day."
    )
    assert recorded_text(saturday, services.calendar, now=WED_10) == (
        ":handshake: Noted: you promised an update on #2 by *Sat 5 Dec, 12:00 GMT*. "
        "I'll remind you before it is due. Heads up: Sat 5 Dec is not a working day."
    )


def test_a_due_time_next_year_shows_the_year(services: Services) -> None:
    promise = record_from_modal(
        services, user="UA", ticket_id=1, due=datetime(2027, 1, 4, 17, 0, tzinfo=UTC), note=""
    )
    assert "by *Mon 4 Jan 2027, 17:00 GMT*." in recorded_text(
        promise, services.calendar, now=WED_10
    )


def test_a_modal_promise_is_the_makers_own_from_now(services: Services) -> None:
    made(services)
    (recorded,) = promises(services)
    assert (recorded.owner, recorded.created_by, recorded.made_at, recorded.created_at) == (
        "UA",
        "UA",
        WED_10,
        WED_10,
    )
    assert (recorded.source, recorded.replaces, recorded.origin) == (store.FROM_MODAL, None, None)


def test_the_owner_keeps_or_cancels_and_nobody_else_may(
    services: Services, clock: MutableClock
) -> None:
    first, second = made(services), made(services, ticket_id=2)
    with pytest.raises(PromiseError) as error:
        keep(services, promise_id=first, by="UB")
    assert refusal(error) == "This promise belongs to <@UA>, so only they can do that."
    with pytest.raises(PromiseError) as error:
        open_promise(services, promise_id=first, owner="UB")
    assert refusal(error) == "This promise belongs to <@UA>, so only they can do that."
    assert open_promise(services, promise_id=first, owner="UA").ticket_id == 1
    clock.advance(hours=1)
    keep(services, promise_id=first, by="UA")
    cancel(services, promise_id=second, by="UA")
    states = [(p.state, p.state_by, p.state_at) for p in promises(services)]
    later = WED_10 + timedelta(hours=1)
    assert states == [(store.KEPT, "UA", later), (store.CANCELLED, "UA", later)]


def test_a_closed_or_unknown_promise_cannot_be_closed_again(services: Services) -> None:
    kept, cancelled = made(services), made(services, ticket_id=2)
    keep(services, promise_id=kept, by="UA")
    cancel(services, promise_id=cancelled, by="UA")
    with pytest.raises(PromiseError) as error:
        keep(services, promise_id=kept, by="UA")
    assert refusal(error) == "That promise on #1 is already kept by <@UA>."
    with pytest.raises(PromiseError) as error:
        cancel(services, promise_id=cancelled, by="UA")
    assert refusal(error) == "That promise on #2 is already cancelled by <@UA>."
    with pytest.raises(PromiseError) as error:
        keep(services, promise_id=12345, by="UA")
    assert refusal(error) == "That promise no longer exists."


def test_rescheduling_opens_a_successor_made_now_and_the_chain_keeps_its_origin(
    services: Services, clock: MutableClock
) -> None:
    first = made(services)
    clock.advance(hours=2)
    second = reschedule(services, promise_id=first, due=FRI_15, by="UA")
    assert second.id is not None
    third = reschedule(services, promise_id=second.id, due=FRI_15 + timedelta(hours=1), by="UA")
    old, middle, new = promises(services)
    assert (old.state, old.state_by, old.state_at) == (store.RESCHEDULED, "UA", clock())
    assert (middle.state, middle.replaces, middle.origin) == (store.RESCHEDULED, first, first)
    assert (new.id, new.state, new.replaces, new.origin) == (third.id, store.OPEN, second.id, first)
    assert (new.owner, new.due_at, new.made_at, new.note, new.source) == (
        "UA",
        FRI_15 + timedelta(hours=1),
        clock(),
        "check the logs",
        store.FROM_MODAL,
    )
    with pytest.raises(PromiseError) as error:
        reschedule(services, promise_id=first, due=FRI_15, by="UA")
    assert refusal(error) == "That promise on #1 is already rescheduled by <@UA>."


def test_rescheduling_to_a_past_time_or_someone_elses_promise_is_refused(
    services: Services,
) -> None:
    promise = made(services)
    with pytest.raises(PromiseError) as error:
        reschedule(services, promise_id=promise, due=WED_10, by="UA")
    assert refusal(error) == "The new time has already passed: pick one in the future."
    with pytest.raises(PromiseError) as error:
        reschedule(services, promise_id=promise, due=FRI_15, by="UB")
    assert refusal(error) == "This promise belongs to <@UA>, so only they can do that."
    assert [(p.state, p.due_at) for p in promises(services)] == [(store.OPEN, THU_17)]


def test_handing_over_keeps_the_due_time_and_when_it_was_made(
    services: Services, clock: MutableClock
) -> None:
    first = made(services)
    clock.advance(hours=3)
    handed = hand_over(services, promise_id=first, to="UB", by="UA")
    old, new = promises(services)
    assert (old.state, old.state_by, old.state_at) == (store.HANDED_OVER, "UA", clock())
    assert (new.id, new.owner, new.due_at, new.made_at) == (handed.id, "UB", THU_17, WED_10)
    assert (new.created_by, new.created_at, new.replaces, new.origin) == (
        "UA",
        clock(),
        first,
        first,
    )
    with pytest.raises(PromiseError) as error:
        keep(services, promise_id=first, by="UA")
    assert refusal(error) == "That promise on #1 is already handed over by <@UA>."


def test_only_the_owner_hands_over_unless_someone_takes_it_on(services: Services) -> None:
    promise = made(services)
    with pytest.raises(PromiseError) as error:
        hand_over(services, promise_id=promise, to="UC", by="UB")
    assert refusal(error) == "This promise belongs to <@UA>, so only they can do that."
    with pytest.raises(PromiseError) as error:
        hand_over(services, promise_id=promise, to="UA", by="UA")
    assert refusal(error) == "<@UA> already holds this promise."
    taken = hand_over(services, promise_id=promise, to="UB", by="UB", owner_only=False)
    assert (taken.owner, taken.created_by) == ("UB", "UB")


def test_a_later_public_reply_or_a_solved_ticket_keeps_promises(services: Services) -> None:
    replied_after, replied_before = ticket(1, "open", WED_10), ticket(2, "pending", WED_10)
    replied_after.last_agent_public_reply_at = WED_10 + timedelta(minutes=1)
    replied_before.last_agent_public_reply_at = WED_10
    with services.session() as session:
        session.add_all([replied_after, replied_before, ticket(3, "solved", WED_10)])
        session.add(ticket(4, "closed", WED_10))
    ids = [made(services, ticket_id=n) for n in (1, 2, 3, 4, 5)]
    cancel(services, promise_id=ids[3], by="UA")
    later = WED_10 + timedelta(hours=4)
    with services.session() as session:
        kept = keep_fulfilled(session=session, now=later)
        assert sorted(p.ticket_id for p in kept) == [1, 3]
    states = [(p.ticket_id, p.state, p.state_by, p.state_at) for p in promises(services)]
    assert states == [
        (1, store.KEPT, "zendesk", later),
        (2, store.OPEN, None, None),
        (3, store.KEPT, "zendesk", later),
        (4, store.CANCELLED, "UA", WED_10),
        (5, store.OPEN, None, None),  # not mirrored: nothing to judge it by
    ]
    with pytest.raises(PromiseError) as error:
        keep(services, promise_id=ids[0], by="UA")
    assert refusal(error) == "That promise on #1 is already kept."
