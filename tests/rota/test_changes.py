"""The /rota subcommands that change the rota, on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.rota.commands import run_command
from bot.rota.parse import parse_command
from bot.rota.plans import plans_of
from bot.rota.request import RotaRequest
from bot.services import Services
from bot.store import rota as store
from bot.store.audit import audit_events
from bot.store.db import session_scope
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import dms_to, rota
from tests.rota.helpers import CALENDAR, NOW, TODAY, make_rota
from tests.store.sources import Source


def run(engine: Engine, text: str, *, user: str = "U1") -> str:
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", user)
        return run_command(request, parse_command(text)).text


def test_the_first_add_starts_the_rota_and_later_adds_go_at_the_end(engine: Engine) -> None:
    assert run(engine, "add <@U1> <@U2>") == (
        "Started the support rota for this channel with <@U1>, <@U2>."
    )
    assert run(engine, "add <@U2> <@U3>") == (
        "Added <@U3> at the end of the order; weeks already shown stay as they are. "
        "Already on the rota: <@U2>."
    )
    with session_scope(engine) as session:
        rota = store.rota_for_channel(session=session, channel_id="C1")
        assert rota is not None and rota.id is not None
        assert [m.user_id for m in store.members(session=session, rota_id=rota.id)] == [
            "U1",
            "U2",
            "U3",
        ]
        actions = [e.action for e in audit_events(session=session, scope="C1")]
        assert sorted(actions) == ["rota.add", "rota.add", "rota.create"]


def test_outsiders_may_not_change_the_rota(engine: Engine) -> None:
    make_rota(engine, "U1")
    assert run(engine, "add <@U8>", user="U8").startswith("Only the members of this rota")
    assert run(engine, "lead <@U8>", user="U8").startswith("Only the members of this rota")


def test_away_is_recorded_and_covered(engine: Engine) -> None:
    make_rota(engine, "U1", "U2", "U3")
    text = run(engine, "away 7 Dec 9 Dec", user="U2")
    assert text.startswith("Noted: You're away Mon 7 Dec")
    assert "<@U3> covers; <@U2> takes their week" in text
    with session_scope(engine) as session:
        assert store.is_away(session=session, user_id="U2", day=date(2026, 12, 8))


def test_removing_the_last_member_clears_the_weeks_to_come(engine: Engine) -> None:
    rota_id = make_rota(engine, "U1")
    run(engine, "show")
    assert run(engine, "remove <@U1>") == (
        "Removed <@U1>. Nobody is left on this rota: add people with `/rota add`."
    )
    with session_scope(engine) as session:
        assert store.members(session=session, rota_id=rota_id) == []
        assert [w.week_start for w in store.weeks(session=session, rota_id=rota_id)] == [
            date(2026, 11, 30)
        ]


# Governance through signed /rota requests: once a rota has a lead, the lead keeps the leads,
# removals and other people's absences (issue 14, finding 7).


def lead_refusal(lead: str, doing: str) -> str:
    return f"Only <@{lead}>, this rota's delivery lead, can {doing}. Please ask <@{lead}> to do it."


def test_without_a_lead_any_member_may_name_one_themselves_included(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    assert rota(slack, fake_slack, "lead <@U2>", user="U2") == (
        "<@U2> is now this rota's delivery lead."
    )
    with services.session() as session:
        (event, *_) = audit_events(session=session, scope="C1")
    assert (event.actor, event.action) == ("U2", "rota.lead")
    assert event.detail == {"user": "U2", "client": None, "previous": None}


def test_with_a_lead_a_member_can_no_longer_make_themselves_lead(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    rota(slack, fake_slack, "lead <@U8>")
    refusal = lead_refusal("U8", "change who leads it")
    assert rota(slack, fake_slack, "lead <@U2>", user="U2") == refusal
    assert rota(slack, fake_slack, "lead <@U2> Acme", user="U2") == refusal
    assert rota(slack, fake_slack, "lead <@U1>", user="U1") == refusal
    with services.session() as session:
        found = store.rota_for_channel(session=session, channel_id="C1")
        assert found is not None and found.id is not None
        assert found.default_lead == "U8"
        assert store.lead_for_client(session=session, rota_id=found.id, client="Acme") == "U8"


def test_the_lead_hands_the_lead_on_and_the_audit_keeps_who_it_was(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    rota(slack, fake_slack, "lead <@U8>")
    assert rota(slack, fake_slack, "lead <@U9> Acme", user="U8") == (
        "<@U9> is now the delivery lead for Acme in this rota."
    )
    assert rota(slack, fake_slack, "lead <@U2>", user="U8") == (
        "<@U2> is now this rota's delivery lead."
    )
    assert rota(slack, fake_slack, "lead <@U1>", user="U8") == lead_refusal(
        "U2", "change who leads it"
    )
    # A client's lead is not the rota's lead.
    assert rota(slack, fake_slack, "lead <@U9>", user="U9") == lead_refusal(
        "U2", "change who leads it"
    )
    with services.session() as session:
        events = audit_events(session=session, scope="C1")
    leads = [(e.actor, e.detail) for e in reversed(events) if e.action == "rota.lead"]
    assert leads == [
        ("U1", {"user": "U8", "client": None, "previous": None}),
        ("U8", {"user": "U9", "client": "Acme", "previous": None}),
        ("U8", {"user": "U2", "client": None, "previous": "U8"}),
    ]


def test_with_a_lead_only_the_lead_removes_people(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    rota(slack, fake_slack, "lead <@U8>")
    refusal = lead_refusal("U8", "take people off this rota")
    assert rota(slack, fake_slack, "remove <@U2>", user="U1") == refusal
    assert rota(slack, fake_slack, "remove <@U1>", user="U1") == refusal
    assert dms_to(fake_slack, "U2") == []
    assert rota(slack, fake_slack, "remove <@U2>", user="U8").startswith("Removed <@U2>.")
    with services.session() as session:
        found = store.rota_for_channel(session=session, channel_id="C1")
        assert found is not None and found.id is not None
        assert [m.user_id for m in store.members(session=session, rota_id=found.id)] == [
            "U1",
            "U3",
        ]
        events = audit_events(session=session, scope="C1")
    assert [(e.actor, e.action, e.detail["user"]) for e in events[:1]] == [
        ("U8", "rota.remove", "U2")
    ]


def test_with_a_lead_only_the_lead_marks_someone_else_away(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    rota(slack, fake_slack, "lead <@U8>")
    rota(slack, fake_slack, "lead <@U9> Acme", user="U8")
    refusal = lead_refusal("U8", "record someone else's absence")
    assert rota(slack, fake_slack, "away 7 Dec <@U2>", user="U1") == refusal
    # A client's lead could before there was a rota lead; now the rota's lead decides.
    assert rota(slack, fake_slack, "away 7 Dec <@U2>", user="U9") == refusal
    with services.session() as session:
        assert not store.is_away(session=session, user_id="U2", day=date(2026, 12, 7))
    assert rota(slack, fake_slack, "away 7 Dec <@U2>", user="U8").startswith(
        "Noted: <@U2> is away Mon 7 Dec"
    )
    # Everyone still records their own absence.
    assert rota(slack, fake_slack, "away 14 Dec", user="U1").startswith("Noted: You're away")
    with services.session() as session:
        assert store.is_away(session=session, user_id="U2", day=date(2026, 12, 7))
        events = audit_events(session=session, scope="C1")
    aways = [(e.actor, e.detail["user"]) for e in reversed(events) if e.action == "rota.away"]
    assert aways == [("U8", "U2"), ("U1", "U1")]


def test_without_a_lead_a_client_lead_still_marks_someone_else_away(
    slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    rota(slack, fake_slack, "lead <@U9> Acme")
    assert rota(slack, fake_slack, "away 7 Dec <@U2>", user="U9").startswith(
        "Noted: <@U2> is away Mon 7 Dec"
    )
    assert rota(slack, fake_slack, "away 8 Dec <@U2>", user="U1").startswith(
        "Only a delivery lead can record someone else's absence"
    )


def test_a_lead_records_absences_only_of_their_own_rota(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    rota(slack, fake_slack, "add <@U1> <@U2>")
    # Someone from outside starts a rota of their own elsewhere and leads it...
    rota(slack, fake_slack, "add <@U9>", user="U9", channel="C2")
    rota(slack, fake_slack, "lead <@U9>", user="U9", channel="C2")
    # ...which does not make them able to send C1's people away.
    reply = rota(slack, fake_slack, "away 7 Dec <@U2>", user="U9", channel="C2")
    assert reply.startswith("<@U2> is not on this rota (its members: <@U9>).")
    with services.session() as session:
        assert not store.is_away(session=session, user_id="U2", day=date(2026, 12, 7))
    assert "Mon 7 Dec – Fri 11 Dec  <@U2>" in rota(slack, fake_slack, "show 2")


def test_a_plan_a_swap_published_or_rearranged_is_not_remembered(engine: Engine) -> None:
    """A swap's plan is remembered only when reading it wrote nothing: weeks it published
    (or cover it arranged) exist only if its transaction commits, and a rollback (a locked
    database, say) bumps no count that would forget them."""
    make_rota(engine, "U1", "U2", "U3")
    source = Source(engine)
    swap = parse_command("swap <@U3>")
    plans = plans_of(source)
    session = Session(engine)
    try:  # the weeks to come are published on demand by this first swap, then rolled back
        run_command(RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", "U2", plans=plans), swap)
        session.rollback()
    finally:
        session.close()
    assert plans.get("C1", TODAY) is None
    with session_scope(engine) as session:  # published and committed: read, writing nothing
        run_command(RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", "U2"), swap)
    plans = plans_of(source)
    with session_scope(engine) as session:
        request = RotaRequest(session, CALENDAR, NOW, frozenset(), "C1", "U1", plans=plans)
        run_command(request, parse_command("swap <@U2>"))
    found = plans.get("C1", TODAY)
    assert found is not None and found.next_week_of("U2") == date(2026, 12, 7)
