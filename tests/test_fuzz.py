"""Fuzz: generated signed requests of every kind Rotabot answers, from every kind of person.

One app on one port serves every example (starting it per example would cost the whole CI
budget); the examples are derandomized so CI sees the same requests every run. Issue 14.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot import ids
from bot.app import build_app
from bot.blocks.escalation import NOTE_BLOCK as ESCALATION_NOTE_BLOCK
from bot.blocks.escalation import REASON_BLOCK
from bot.blocks.promises import DATE_ACTION, DATE_BLOCK, NOTE_ACTION, NOTE_BLOCK, TIME_ACTION
from bot.blocks.promises import TIME_BLOCK as PROMISE_TIME_BLOCK
from bot.http.server import build_wsgi
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.client import make_slack_client
from bot.store import rota as store
from bot.store.escalations import REASONS
from bot.zendesk.client import ZendeskClient
from tests.conftest import ZENDESK_WEBHOOK_SECRET
from tests.doors import SIGNING_SECRET, AppServer, MutableClock, SlackDoor, TrackingExecutor
from tests.fakes.slack_api import TEAM_ID, FakeSlack
from tests.fakes.zendesk_api import FakeZendesk
from tests.jobs.digest_helpers import (
    ALICE,
    CHANNEL,
    CLIENT,
    U_ALICE,
    U_KIM,
    U_LEE,
    U_SAM,
    mirror,
    team,
)

TUE = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
TICKETS = (101, 102)
OTHER_TEAM = "T2OTHER"
BATCHES = 250
BATCH_SIZE = 4
REQUESTS = BATCHES * BATCH_SIZE

# What only a program's insides say: a traceback, a source line, an exception's class name.
INSIDES = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|"
    r"\b[A-Z]\w*(?:Error|Exception)\b|sqlalchemy|psycopg|sqlite3"
)


@dataclass(frozen=True)
class Person:
    """Someone who sends Rotabot requests, and what Slack's users.info says about them."""

    user_id: str
    kind: str
    team_id: str = TEAM_ID
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_stranger: bool = False

    @property
    def full_member(self) -> bool:
        return self.team_id == TEAM_ID and not (
            self.is_restricted or self.is_ultra_restricted or self.is_stranger
        )


TEAM_KINDS = frozenset({"rota member", "rota lead", "client lead"})

PEOPLE = (
    Person(U_SAM, "rota member"),
    Person(U_ALICE, "rota member"),
    Person(U_LEE, "rota lead"),
    Person(U_KIM, "client lead"),
    Person("UNOBODY", "workspace member not on the rota"),
    Person("UGUEST", "multi-channel guest", is_restricted=True),
    Person("USINGLE", "single-channel guest", is_restricted=True, is_ultra_restricted=True),
    Person("UEXTERNAL", "external user in a shared channel", team_id=OTHER_TEAM),
    Person("USTRANGER", "stranger", team_id=OTHER_TEAM, is_stranger=True),
)


def register_people(fake_slack: FakeSlack) -> None:
    """Tell the fake Slack who the people outside the team are, each as the kind of person
    Slack's users.info describes (the team's own people are registered with their emails)."""
    for person in PEOPLE:
        if person.kind in TEAM_KINDS:
            continue
        name = person.user_id.lower()
        fake_slack.add_user(
            person.user_id,
            name=name,
            email=f"{name}@x.test",
            kind=fake_kind(person),
            team_id=person.team_id,
        )


def fake_kind(person: Person) -> str:
    if person.is_stranger:
        return "external"
    if person.is_ultra_restricted:
        return "single-channel-guest"
    return "guest" if person.is_restricted else "member"


@dataclass
class World:
    services: Services
    door: SlackDoor
    fake_slack: FakeSlack
    fake_zendesk: FakeZendesk
    rota_id: int
    sent: list[str] = field(default_factory=list)
    errors_logged: list[logging.LogRecord] = field(default_factory=list)


class ErrorLog(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def world(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The app on a port with fake Slack and Zendesk, a rota in C1 and two mirrored tickets."""
    database = tmp_path_factory.mktemp("fuzz") / "rotabot.db"
    shutil.copyfile(sqlite_template, database)
    clock = MutableClock(TUE - timedelta(minutes=10))
    fake_slack, fake_zendesk = FakeSlack().start(), FakeZendesk(now=clock).start()
    executor = TrackingExecutor()
    settings_ = Settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        database_url=f"sqlite:///{database}",
        zendesk_url=fake_zendesk.url,
        zendesk_email=fake_zendesk.email,
        zendesk_api_token=fake_zendesk.token,
        zendesk_webhook_secret=ZENDESK_WEBHOOK_SECRET,
    )
    waits: list[float] = []
    services = build_services(
        settings_,
        slack=make_slack_client(
            token=settings_.slack_bot_token, base_url=settings_.slack_api_url, sleep=waits.append
        ),
        clock=clock,
        executor=executor,
        zendesk=ZendeskClient.from_settings(settings_, sleep=waits.append),
    )
    executor.watch(services.after_answer)
    server = AppServer(build_wsgi(services, build_app(services))).start()
    door = SlackDoor(
        server.url,
        response_url=fake_slack.response_url,
        executor=executor,
        show_reply=fake_slack.show_ack_reply,
    )
    errors: list[logging.LogRecord] = []
    handler = ErrorLog(errors)
    logging.getLogger().addHandler(handler)
    try:
        team(services, fake_slack, fake_zendesk)
        register_people(fake_slack)
        for ticket_id, org in zip(TICKETS, (50, 60), strict=True):
            fake_zendesk.add_ticket(
                ticket_id,
                subject=f"Client ticket {ticket_id}",
                requester_id=CLIENT,
                assignee_id=ALICE,
                organization_id=org,
                created_at=TUE - timedelta(days=1),
            )
        mirror(services)
        clock.set(TUE)
        with services.session() as session:
            rota = store.rota_for_channel(session=session, channel_id=CHANNEL)
            assert rota is not None and rota.id is not None
            rota_id = rota.id
        yield World(services, door, fake_slack, fake_zendesk, rota_id, errors_logged=errors)
    finally:
        logging.getLogger().removeHandler(handler)
        door.close()
        server.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        services.engine.dispose()
        fake_zendesk.stop()
        fake_slack.stop()


# What people type and click


@dataclass(frozen=True)
class Fuzzed:
    """One generated request: who sends it, and what."""

    person: Person
    kind: str  # "command", "interaction" or "event"
    body: dict[str, Any]

    def describe(self) -> str:
        return f"{self.kind} from {self.person.kind} {self.person.user_id}: {self.body!r}"


people = st.sampled_from(PEOPLE)
channels = st.sampled_from([CHANNEL, "C2", "D1"])
mentions = st.sampled_from([*(p.user_id for p in PEOPLE), "UBOT", "UUNKNOWN", "W1"]).map(
    lambda user: f"<@{user}>"
)
# Past 2**63 no database integer holds them: "numbers of any size" must reach that far.
big_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=2**63 - 2, max_value=10**40),
)
ticket_numbers = st.one_of(st.sampled_from(TICKETS), big_numbers, st.integers(0, 10**6))
words = st.one_of(
    st.sampled_from(
        "show who add remove swap away lead stats ical reset help promise tomorrow fri 3pm next "
        "monday 21 Dec 2026-12-21 2026-02-30 to Acme Globex #101 @x <#C1> < > <!channel> 26 0 "
        "-1".split()
    ),
    mentions,
    ticket_numbers.map(str),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
phrases = st.lists(words, max_size=6).map(" ".join)


@st.composite
def rota_commands(draw: st.DrawFn) -> str:
    first = draw(st.sampled_from(["show", "who", "add", "remove", "swap", "away", "lead"]))
    return f"{first} {draw(phrases)}".strip()


@st.composite
def rota_changes(draw: st.DrawFn) -> str:
    """Changes well formed often enough to reach the rota's rules, not just its parser."""
    change = draw(st.sampled_from(["add", "remove", "swap", "away 7 Dec", "away tomorrow", "lead"]))
    client = draw(st.sampled_from(["", "", "Acme Ltd", "Globex"])) if change == "lead" else ""
    return f"{change} {draw(mentions)} {client}".strip()


@st.composite
def ticket_commands(draw: st.DrawFn) -> str:
    number = draw(ticket_numbers)
    return draw(
        st.sampled_from(
            [
                str(number),
                f"#{number}",
                f"promise {number} {draw(phrases)}",
                f"promise {number} tomorrow",
                draw(phrases),
            ]
        )
    )


@st.composite
def commands(draw: st.DrawFn) -> Fuzzed:
    person = draw(people)
    name = draw(st.sampled_from(["/rota", "/ticket"]))
    text = draw(
        st.one_of(rota_changes(), rota_commands(), phrases)
        if name == "/rota"
        else st.one_of(ticket_commands(), phrases)
    )
    body = {
        "team_id": person.team_id,
        "channel_id": draw(st.one_of(st.just(CHANNEL), channels)),
        "user_id": person.user_id,
        "command": name,
        "text": text,
    }
    return Fuzzed(person, "command", body)


ACTION_IDS = sorted(
    value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)
)
MODALS = (ids.PROMISE_MODAL, ids.PROMISE_RESCHEDULE_MODAL, ids.ESCALATION_MODAL)
values = st.one_of(
    ticket_numbers.map(str),
    st.tuples(ticket_numbers, st.sampled_from(["urgent", "high", "normal", "low", "x"])).map(
        lambda pair: f"{pair[0]}:{pair[1]}"
    ),
    st.integers(0, 40).map(str),
    st.text(max_size=20),
    st.just(""),
)


@st.composite
def interactions(draw: st.DrawFn) -> Fuzzed:
    person = draw(people)
    user = {"id": person.user_id, "username": person.user_id.lower(), "team_id": person.team_id}
    if draw(st.booleans()):
        action: dict[str, Any] = {
            "action_id": draw(st.sampled_from(ACTION_IDS)),
            "block_id": "b1",
            "action_ts": f"{time.time():.6f}",
        }
        if draw(st.booleans()):
            action.update(type="button", value=draw(values))
        else:
            action.update(type="static_select", selected_option={"value": draw(values)})
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": person.team_id},
            "user": user,
            "api_app_id": "A1",
            "trigger_id": "trigger-fuzz",
            "actions": [action],
        }
        if draw(st.booleans()):  # clicked on a message
            channel = draw(channels)
            payload["channel"] = {"id": channel}
            payload["message"] = {"ts": "1700000000.000100", "text": "", "blocks": []}
            payload["container"] = {"type": "message", "channel_id": channel}
            payload["response_url"] = "RESPONSE_URL"
        else:  # clicked on the App Home
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
            payload["container"] = {"type": "view", "view_id": "VHOME"}
        return Fuzzed(person, "interaction", payload)
    metadata = draw(
        st.one_of(
            st.builds(lambda n: json.dumps({"ticket": n}), ticket_numbers),
            st.builds(lambda n: json.dumps({"promise": n}), st.integers(-5, 50)),
            ticket_numbers.map(str),
            st.text(max_size=20),
        )
    )
    state = {
        DATE_BLOCK: {DATE_ACTION: {"selected_date": draw(st.sampled_from(["2026-12-03", "x"]))}},
        PROMISE_TIME_BLOCK: {TIME_ACTION: {"selected_time": draw(st.sampled_from(["15:00", ""]))}},
        NOTE_BLOCK: {NOTE_ACTION: {"value": draw(st.text(max_size=40))}},
        REASON_BLOCK: {
            ids.ESCALATION_REASON: {
                "selected_option": {"value": draw(st.sampled_from([*REASONS, "nope"]))}
            }
        },
        ESCALATION_NOTE_BLOCK: {ids.ESCALATION_NOTE: {"value": draw(st.text(max_size=40))}},
    }
    view = {
        "id": "VFUZZ",
        "type": "modal",
        "callback_id": draw(st.sampled_from([*MODALS, "unknown.modal"])),
        "private_metadata": metadata,
        "state": {"values": state},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": person.team_id},
        "user": user,
        "api_app_id": "A1",
        "trigger_id": "trigger-fuzz",
        "view": view,
    }
    return Fuzzed(person, "interaction", payload)


@st.composite
def events(draw: st.DrawFn) -> Fuzzed:
    person = draw(people)
    event = {
        "type": draw(st.sampled_from(["app_home_opened", "app_mention", "message"])),
        "user": person.user_id,
        "channel": draw(channels),
        "tab": draw(st.sampled_from(["home", "messages", "about"])),
        "text": draw(phrases),
        "ts": "1700000000.000200",
        "event_ts": "1700000000.000200",
    }
    return Fuzzed(person, "event", {"team_id": person.team_id, "event": event})


requests = st.one_of(commands(), interactions(), events())


# Sending, and what must hold


def send(world: World, fuzzed: Fuzzed, number: int) -> httpx.Response:
    door = world.door
    token = f"fuzz{number}"
    if fuzzed.kind == "command":
        body = urlencode(
            {
                **fuzzed.body,
                "team_domain": "acme",
                "channel_name": "support",
                "user_name": fuzzed.person.user_id.lower(),
                "api_app_id": "A1",
                "response_url": world.fake_slack.response_url(token),
                "trigger_id": f"trigger{number}",
            }
        )
        return door.post("/slack/events", body)
    if fuzzed.kind == "interaction":
        payload = dict(fuzzed.body)
        if payload.get("response_url"):
            payload["response_url"] = world.fake_slack.response_url(token)
        return door.post("/slack/events", urlencode({"payload": json.dumps(payload)}))
    envelope = {
        "token": "deprecated",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"EvFuzz{number}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}],
        **fuzzed.body,
    }
    return door.post("/slack/events", json.dumps(envelope), content_type="application/json")


@dataclass(frozen=True)
class RotaState:
    """What of the C1 rota only its members and leads may change.

    Its weeks are left out: showing the rota publishes and covers weeks for whoever asks.
    """

    allowed: frozenset[str]
    rota: tuple[Any, ...]
    members: tuple[tuple[str, int], ...]
    client_leads: tuple[tuple[str, str], ...]
    swaps: tuple[tuple[Any, ...], ...]
    absences: tuple[tuple[Any, ...], ...]

    @property
    def lead(self) -> str | None:
        return self.rota[1]

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(user for user, _ in self.members)

    def absences_of(self, users: frozenset[str]) -> tuple[tuple[Any, ...], ...]:
        return tuple(absence for absence in self.absences if absence[1] in users)


def assert_lead_kept(before: RotaState, after: RotaState, fuzzed: Fuzzed) -> None:
    """Finding 7: with a lead, nobody else changes the leads, removes people or records
    someone else's absence."""
    others = before.member_ids - {fuzzed.person.user_id}
    kept = (before.lead, before.client_leads, before.absences_of(others))
    assert (after.lead, after.client_leads, after.absences_of(others)) == kept, (
        f"the leads or others' absences changed for {fuzzed.describe()}"
    )
    assert before.member_ids <= after.member_ids, f"someone was removed by {fuzzed.describe()}"


def rota_state(world: World) -> RotaState:
    with world.services.session() as session:
        rota = store.rota_by_id(session=session, rota_id=world.rota_id)
        assert rota is not None
        members = store.members(session=session, rota_id=world.rota_id)
        leads = session.exec(
            select(store.ClientLead).where(store.ClientLead.rota_id == world.rota_id)
        ).all()
        swaps = session.exec(
            select(store.SwapRequest)
            .where(store.SwapRequest.rota_id == world.rota_id)
            .order_by(col(store.SwapRequest.id))
        ).all()
        member_ids = [m.user_id for m in members]
        absences = session.exec(
            select(store.Absence)
            .where(col(store.Absence.user_id).in_(member_ids))
            .order_by(col(store.Absence.id))
        ).all()
        allowed = {*member_ids, *(lead.user_id for lead in leads)}
        if rota.default_lead:
            allowed.add(rota.default_lead)
        return RotaState(
            allowed=frozenset(allowed),
            rota=(rota.channel_id, rota.default_lead, rota.ical_secret),
            members=tuple((m.user_id, m.position) for m in members),
            client_leads=tuple((lead.client_key, lead.user_id) for lead in leads),
            swaps=tuple((s.id, s.requester, s.target, s.status) for s in swaps),
            absences=tuple((a.id, a.user_id, a.first_day, a.last_day) for a in absences),
        )


def assert_no_insides(text: str, where: str, fuzzed: Fuzzed) -> None:
    found = INSIDES.search(text)
    assert found is None, f"{where} shows {found[0]!r} for {fuzzed.describe()}:\n{text[:2000]}"


def assert_no_ticket_write(person: Person, writes: int, fuzzed: Fuzzed) -> None:
    """Finding 1: Zendesk is written to only for full members of the workspace."""
    if not person.full_member:
        assert writes == 0, f"{writes} Zendesk writes for {fuzzed.describe()}"


def check_one(world: World, fuzzed: Fuzzed) -> None:
    number = len(world.sent)
    world.sent.append(fuzzed.kind)
    before = rota_state(world)
    slack_calls, responses = len(world.fake_slack.calls), len(world.fake_slack.responses)
    writes = len(world.fake_zendesk.writes)
    logged = len(world.errors_logged)
    response = send(world, fuzzed, number)
    world.door.settle()
    assert response.status_code < 500, f"{response.status_code} for {fuzzed.describe()}"
    assert_no_insides(response.text, "the HTTP answer", fuzzed)
    for call in world.fake_slack.calls[slack_calls:]:
        assert_no_insides(FakeSlack.texts(call), f"Slack's {call.method}", fuzzed)
    for reply in world.fake_slack.responses[responses:]:
        assert_no_insides(FakeSlack.texts(reply), "a response_url reply", fuzzed)
    failures = [record.getMessage() for record in world.errors_logged[logged:]]
    assert not failures, f"errors logged for {fuzzed.describe()}: {failures}"
    if fuzzed.person.user_id not in before.allowed:
        assert rota_state(world) == before, f"the C1 rota changed for {fuzzed.describe()}"
    elif before.lead not in (None, fuzzed.person.user_id):
        assert_lead_kept(before, rota_state(world), fuzzed)
    assert_no_ticket_write(fuzzed.person, len(world.fake_zendesk.writes) - writes, fuzzed)


def test_generated_requests_never_fail_leak_or_change_what_they_may_not(world: World) -> None:
    @settings(
        max_examples=BATCHES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=st.lists(requests, min_size=BATCH_SIZE, max_size=BATCH_SIZE))
    def batch_holds(batch: list[Fuzzed]) -> None:
        for fuzzed in batch:
            check_one(world, fuzzed)

    batch_holds()
    assert len(world.sent) >= REQUESTS
    assert {"command", "interaction", "event"} <= set(world.sent)
