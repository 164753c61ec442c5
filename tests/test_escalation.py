"""Escalating a ticket to its client's delivery lead: who it goes to, what is recorded and said."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.escalation import (
    Message,
    NoLead,
    NotYours,
    Raised,
    answer_escalation,
    escalation_target,
    escalation_told,
    raise_escalation,
    retry_pending_notes,
    with_links,
)
from bot.services import Services
from bot.store.escalations import ACKNOWLEDGED, CONTACTING, RAISED, Escalation
from bot.store.rota import Rota
from bot.zendesk.client import ZendeskNotFound
from tests.doors import MutableClock
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.test_escalation import TUE, escalations
from tests.handlers.test_escalation import tickets as tickets  # noqa: F401 (the fixture)
from tests.jobs.digest_helpers import CHANNEL, U_ALICE, U_KIM, U_LEE, U_SAM

NAMES = {U_ALICE: "Alice Agent", U_LEE: "Lee Lead", U_KIM: "Kim Globex"}
LABEL = "#101 Broken after update 101 (Acme Ltd)"


def link(fake_zendesk: FakeZendesk, ticket_id: int, label: str) -> str:
    return f"<{fake_zendesk.url}/agent/tickets/{ticket_id}|{label}>"


def raised(services: Services, ticket_id: int = 101, note: str = "Angry call") -> Raised:
    return raise_escalation(services, ticket_id, raised_by=U_ALICE, reason="unhappy", note=note)


def told(services: Services, ticket_id: int = 101, *, channel_line: bool = True) -> Escalation:
    """Raised and told: the lead's DM and (unless not) the channel line landed."""
    escalation = raised(services, ticket_id)
    escalation_told(
        services,
        escalation,
        lead_dm=("DLEE", "1.1"),
        channel_line=(CHANNEL, "2.2") if channel_line else None,
        name_of=NAMES.__getitem__,
    )
    return escalation.escalation


def test_the_target_is_the_clients_lead_else_the_default_lead(
    tickets: Services, fake_zendesk: FakeZendesk
) -> None:
    acme, globex = escalation_target(tickets, 101), escalation_target(tickets, 102)
    assert (acme.client, acme.lead, acme.channel_id, acme.label) == (
        "Acme Ltd",
        U_LEE,
        CHANNEL,
        LABEL,
    )
    assert acme.url == f"{fake_zendesk.url}/agent/tickets/101"
    assert acme.link == link(fake_zendesk, 101, LABEL)
    assert (globex.client, globex.lead) == ("Globex", U_KIM)


def test_an_unknown_ticket_is_zendesks_answer(tickets: Services) -> None:
    with pytest.raises(ZendeskNotFound) as error:
        escalation_target(tickets, 999)
    assert str(error.value) == "Zendesk says ticket 999 does not exist"


def test_raising_records_it_and_says_what_to_tell_without_telling_anyone(
    tickets: Services, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    result = raised(tickets)
    (recorded,) = escalations(tickets)
    assert (recorded.id, recorded.ticket_id, recorded.raised_by, recorded.lead) == (
        result.escalation.id,
        101,
        U_ALICE,
        U_LEE,
    )
    assert (recorded.reason, recorded.note, recorded.state, recorded.raised_at) == (
        "unhappy",
        "Angry call",
        RAISED,
        TUE,
    )
    assert (result.to_lead.channel, result.to_lead.text) == (
        U_LEE,
        f"{LABEL} was escalated to you: Client is unhappy",
    )
    assert result.to_channel is not None
    assert (result.to_channel.channel, result.to_channel.text) == (
        CHANNEL,
        f"{LABEL} was escalated to the delivery lead: Client is unhappy",
    )
    assert fake_slack.calls_to("chat.postMessage") == []
    assert fake_zendesk.writes == []


def test_an_unknown_reason_or_no_lead_records_nothing(tickets: Services) -> None:
    with pytest.raises(ValueError) as error:
        raise_escalation(tickets, 101, raised_by=U_ALICE, reason="angry", note="")
    assert str(error.value) == "not an escalation reason: 'angry'"
    with tickets.session() as session:
        rota = session.exec(select(Rota)).one()
        rota.default_lead = None
        session.add(rota)
    with pytest.raises(NoLead):
        raised(tickets)
    assert raised(tickets, 102).escalation.lead == U_KIM  # Globex has its own lead
    assert [e.ticket_id for e in escalations(tickets)] == [102]


def test_once_told_it_remembers_where_and_zendesk_gets_a_note_with_names(
    tickets: Services, fake_zendesk: FakeZendesk
) -> None:
    escalation = raised(tickets)
    answer = escalation_told(
        tickets,
        escalation,
        lead_dm=("DLEE", "1.1"),
        channel_line=(CHANNEL, "2.2"),
        name_of=NAMES.__getitem__,
    )
    label = link(fake_zendesk, 101, LABEL)
    assert answer == Message(
        channel=U_ALICE,
        text=f"I escalated {label} to <@{U_LEE}> and told the rota channel. Zendesk has an "
        f"internal note. You'll hear when <@{U_LEE}> acknowledges it.",
    )
    (write,) = fake_zendesk.writes
    assert (write.ticket_id, write.body) == (
        101,
        {
            "ticket": {
                "comment": {
                    "body": "Escalated to the delivery lead (Lee Lead) by Alice Agent through "
                    "Rotabot.\nReason: Client is unhappy\nNote: Angry call",
                    "public": False,
                }
            }
        },
    )
    (saved,) = escalations(tickets)
    assert (saved.lead_dm_channel, saved.lead_dm_ts, saved.channel_id, saved.channel_ts) == (
        "DLEE",
        "1.1",
        CHANNEL,
        "2.2",
    )
    assert (saved.zendesk_note_ok, saved.zendesk_error) == (True, None)


def test_a_refused_dm_and_a_closed_ticket_are_both_told_to_the_raiser(
    tickets: Services, fake_zendesk: FakeZendesk
) -> None:
    escalation = raised(tickets)
    fake_zendesk.update_ticket(101, status="closed")
    answer = escalation_told(
        tickets, escalation, lead_dm=None, channel_line=None, name_of=NAMES.__getitem__
    )
    problem = "Zendesk refused the change: Status: closed prevents ticket update"
    assert answer.text == (
        f"I recorded the escalation of {link(fake_zendesk, 101, LABEL)} and told the rota "
        f"channel, but :warning: I couldn't send <@{U_LEE}> a DM: please tell them yourself. "
        f":warning: I couldn't add the internal note to Zendesk ({problem}); I'll retry it at "
        f"the next check. You'll hear when <@{U_LEE}> acknowledges it."
    )
    (saved,) = escalations(tickets)
    assert (saved.lead_dm_ts, saved.channel_ts) == (None, None)
    assert (saved.zendesk_note_ok, saved.zendesk_error) == (False, problem)


def test_the_lead_acknowledging_tells_the_thread_and_the_raiser_once(
    tickets: Services, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    escalation = told(tickets)
    assert escalation.id is not None
    clock.advance(minutes=7)
    answered = answer_escalation(tickets, escalation.id, user=U_LEE, contacting=False)
    assert answered is not None
    recorded, target, messages = answered
    text = f"<@{U_LEE}> acknowledged the escalation of {link(fake_zendesk, 101, LABEL)}."
    assert messages == [
        Message(channel=CHANNEL, text=text, thread_ts="2.2"),
        Message(channel=U_ALICE, text=text),
    ]
    assert (recorded.state, recorded.acknowledged_at, recorded.contacting_at) == (
        ACKNOWLEDGED,
        TUE + timedelta(minutes=7),
        None,
    )
    assert target.ticket.id == 101
    clock.advance(minutes=5)
    again = answer_escalation(tickets, escalation.id, user=U_LEE, contacting=False)
    assert again is not None and again[2] == []
    (saved,) = escalations(tickets)
    assert (saved.state, saved.acknowledged_at) == (ACKNOWLEDGED, TUE + timedelta(minutes=7))


def test_contacting_after_acknowledging_is_news_but_nothing_after_it_is(
    tickets: Services, fake_zendesk: FakeZendesk, clock: MutableClock
) -> None:
    escalation = told(tickets, channel_line=False)
    assert escalation.id is not None
    answer_escalation(tickets, escalation.id, user=U_LEE, contacting=False)
    clock.advance(hours=1)
    answered = answer_escalation(tickets, escalation.id, user=U_LEE, contacting=True)
    assert answered is not None
    text = f"<@{U_LEE}> will contact the client about {link(fake_zendesk, 101, LABEL)}."
    assert answered[2] == [Message(channel=U_ALICE, text=text)]  # no channel line, no thread
    for contacting in (True, False):
        later = answer_escalation(tickets, escalation.id, user=U_LEE, contacting=contacting)
        assert later is not None and later[2] == []
    (saved,) = escalations(tickets)
    assert (saved.state, saved.acknowledged_at, saved.contacting_at) == (
        CONTACTING,
        TUE,
        TUE + timedelta(hours=1),
    )


def test_contacting_straight_away_also_acknowledges(tickets: Services) -> None:
    escalation = told(tickets)
    assert escalation.id is not None
    answered = answer_escalation(tickets, escalation.id, user=U_LEE, contacting=True)
    assert answered is not None
    assert (answered[0].state, answered[0].acknowledged_at, answered[0].contacting_at) == (
        CONTACTING,
        TUE,
        TUE,
    )


def test_only_the_lead_answers_and_an_unknown_escalation_is_none(tickets: Services) -> None:
    escalation = told(tickets)
    assert escalation.id is not None
    with pytest.raises(NotYours) as error:
        answer_escalation(tickets, escalation.id, user=U_SAM, contacting=False)
    assert error.value.lead == U_LEE
    assert escalations(tickets)[0].state == RAISED
    assert answer_escalation(tickets, 12345, user=U_LEE, contacting=False) is None


def test_links_name_the_client_and_survive_an_unmirrored_ticket(
    tickets: Services, fake_zendesk: FakeZendesk
) -> None:
    known = told(tickets)
    unknown = Escalation(
        ticket_id=555, raised_by=U_ALICE, reason="other", lead=U_LEE, raised_at=TUE
    )
    with tickets.session() as session:
        pairs = with_links(session, [known, unknown], zendesk_url=fake_zendesk.url)
        plain = with_links(session, [known], zendesk_url=None)
    assert [text for _, text in pairs] == [
        link(fake_zendesk, 101, LABEL),
        link(fake_zendesk, 555, "#555 (no subject)"),
    ]
    assert [text for _, text in plain] == [LABEL]


def test_pending_notes_are_retried_and_what_still_fails_is_said(
    tickets: Services, fake_zendesk: FakeZendesk
) -> None:
    fake_zendesk.fail("/api/v2/tickets/", status=503, times=8, method="PUT")
    first, second = told(tickets), told(tickets, 102)
    assert [e.zendesk_note_ok for e in escalations(tickets)] == [False, False]
    fake_zendesk.update_ticket(102, status="closed")
    problems = retry_pending_notes(tickets, name_of=NAMES.__getitem__)
    assert problems == [
        f"the internal note for escalation {second.id} (ticket #102) is still pending: "
        "Zendesk refused the change: Status: closed prevents ticket update"
    ]
    assert [w.ticket_id for w in fake_zendesk.writes] == [101]
    assert [(e.id, e.zendesk_note_ok) for e in escalations(tickets)] == [
        (first.id, True),
        (second.id, False),
    ]


def test_without_zendesk_nothing_is_retried(tickets: Services) -> None:
    told(tickets)
    tickets.zendesk = None
    assert retry_pending_notes(tickets, name_of=NAMES.__getitem__) == []
