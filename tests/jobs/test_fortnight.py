"""A simulated fortnight, 14–29 December 2026 (Christmas and Boxing Day observed are bank
holidays), with the real jobs run at their scheduled times against the fake Slack and Zendesk.

freezegun moves the clock the app reads (and the one requests are signed with) from run to run;
`commitments` runs on the hour in working time instead of every ten minutes, which still
includes every run that matters (every promise here is due on the hour, so its reminders are).

Bob is away Tue 22 – Thu 24 Dec, the handover day before his support week. Carol has two
promises due in the same run; Bob has one due while he is away; Alice one due on Christmas Eve.
The test counts DMs per person per run and per working day and checks that nothing is lost.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from freezegun import freeze_time
from sqlmodel import col, select

from bot.jobs import all_jobs, sync
from bot.jobs.runner import run_job
from bot.services import Services
from bot.store import promises as promise_store
from bot.store.nudge_ledger import Nudge
from bot.store.rota import RotaWeek, add_absence, add_member, create_rota, set_default_lead
from bot.worktime import WorkCalendar
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

START = datetime(2026, 12, 14, 7, 0, tzinfo=UTC)
END = datetime(2026, 12, 29, 18, 0, tzinfo=UTC)
PEOPLE = {"UA": "alice", "UB": "bob", "UC": "carol"}
AGENTS = {"UA": 101, "UB": 102, "UC": 103}
BOB_AWAY = (date(2026, 12, 22), date(2026, 12, 24))
WEEKS = [
    (date(2026, 12, 7), "UB"),
    (date(2026, 12, 14), "UC"),
    (date(2026, 12, 21), "UA"),
    (date(2026, 12, 28), "UB"),
    (date(2027, 1, 4), "UC"),
]
# Tickets 1–3 Alice's, 4–6 Bob's, 7–9 Carol's, 10 nobody's: every one needs its priority
# reviewed and has a client waiting on us, all fortnight (nobody reviews or replies).
TICKETS = {n: (101 + (n - 1) // 3 if n < 10 else None) for n in range(1, 11)}
# (when, who, what they type after /ticket promise)
PROMISES = [
    (datetime(2026, 12, 14, 10, 0, tzinfo=UTC), "UC", "7 wed 3pm send the plan"),
    (datetime(2026, 12, 14, 10, 0, tzinfo=UTC), "UC", "8 wed 3pm call back"),
    (datetime(2026, 12, 14, 10, 30, tzinfo=UTC), "UC", "9 fri 11am"),
    (datetime(2026, 12, 21, 10, 0, tzinfo=UTC), "UB", "4 tue 4pm"),
    (datetime(2026, 12, 24, 11, 0, tzinfo=UTC), "UA", "1 today 4pm"),
]


class FrozenClock(MutableClock):
    """The app's clock is the one freezegun moves."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def clock() -> MutableClock:
    return FrozenClock()


@dataclass(frozen=True)
class Sent:
    at: datetime
    job: str
    recipient: str
    blocks: list[dict[str, Any]]


def schedule(services: Services) -> list[tuple[datetime, str]]:
    """Every job's runs in the fortnight at its default time; commitments on the hour."""
    tz = services.calendar.tz
    crontabs = {name: job.default_schedule for name, job in all_jobs().items()}
    crontabs["commitments"] = "0 9-17 * * mon-fri"
    del crontabs["sync"], crontabs["slack-names"]  # nothing changes in Zendesk or Slack
    runs = []
    for name, crontab in crontabs.items():
        trigger = CronTrigger.from_crontab(crontab, timezone=tz)
        fire = trigger.get_next_fire_time(None, START)
        while fire is not None and fire <= END:
            runs.append((fire.astimezone(UTC), name))
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return sorted(runs)


def desk(services: Services, fake_slack: FakeSlack, fake_zendesk: FakeZendesk) -> None:
    for user, name in PEOPLE.items():
        fake_slack.add_user(user, name=name, email=f"{name}@acme.test")
        fake_zendesk.add_user(AGENTS[user], name=name.title(), email=f"{name}@acme.test")
    fake_slack.add_user("UL", name="lena", email="lena@acme.test")
    fake_zendesk.add_user(900, name="Client", email="client@council.test", role="end-user")
    opened = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    for number, assignee in TICKETS.items():
        fake_zendesk.add_ticket(
            number,
            subject=f"Ticket {number}",
            requester_id=900,
            assignee_id=assignee,
            priority=None,
            created_at=opened,
        )
        fake_zendesk.add_comment(number, author_id=900, body="Help", created_at=opened)
    now = services.now()
    with services.session() as session:
        rota = create_rota(session=session, channel_id="CSUP", created_by="UA", now=now)
        assert rota.id is not None
        for user in PEOPLE:
            add_member(session=session, rota_id=rota.id, user_id=user)
        for position, (week, user) in enumerate(WEEKS, start=1):
            session.add(
                RotaWeek(
                    rota_id=rota.id,
                    week_start=week,
                    planned_user=user,
                    planned_position=position,
                    user_id=user,
                )
            )
        set_default_lead(session=session, rota=rota, user_id="UL")
        add_absence(
            session=session,
            user_id="UB",
            first_day=BOB_AWAY[0],
            last_day=BOB_AWAY[1],
            created_by="UB",
            now=now,
        )
    assert run_job(services, sync.JOB, now=now).problems == []


def simulate(
    services: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> list[Sent]:
    sent: list[Sent] = []
    with freeze_time(START) as frozen:
        desk(services, fake_slack, fake_zendesk)
        fake_slack.clear()
        events: list[tuple[datetime, str, str]] = [
            (at, "run", name) for at, name in schedule(services)
        ]
        events += [(at, who, text) for at, who, text in PROMISES]
        for at, kind, what in sorted(events, key=lambda event: (event[0], event[1] == "run")):
            frozen.move_to(at)
            if kind != "run":
                slack.command("/ticket", f"promise {what}", user=kind, channel="CSUP")
                assert "Noted" in str(fake_slack.responses[-1].body["text"]), what
                fake_slack.clear()
                continue
            report = run_job(services, all_jobs()[what], now=at)
            assert report.problems == [], (at, what, report)
            sent += [
                Sent(at, what, call.args["channel"], call.args.get("blocks", []))
                for call in fake_slack.calls_to("chat.postMessage")
            ]
            assert fake_slack.protocol_errors == []
            fake_slack.clear()
    return sent


def dms(sent: list[Sent]) -> Iterator[Sent]:
    return (message for message in sent if message.recipient in PEOPLE)


def away(person: str, day: date) -> bool:
    return person == "UB" and BOB_AWAY[0] <= day <= BOB_AWAY[1]


def block_ids(message: Sent, prefix: str) -> set[int]:
    pattern = re.compile(rf"{re.escape(prefix)}(\d+)(\..*)?")
    found = (pattern.fullmatch(str(block.get("block_id", ""))) for block in message.blocks)
    return {int(match.group(1)) for match in found if match}


def test_a_fortnight_of_dms_fewer_never_to_someone_away_and_nothing_lost(
    zendesk_services: Services, slack: SlackDoor, fake_slack: FakeSlack, fake_zendesk: FakeZendesk
) -> None:
    services = zendesk_services
    calendar: WorkCalendar = services.calendar
    sent = simulate(services, slack, fake_slack, fake_zendesk)
    day_of = {message.at: calendar.today(message.at) for message in sent}

    # Nothing outside working time, nothing on the bank holidays, nothing to anyone away.
    assert all(calendar.is_working_time(message.at) for message in sent)
    assert not [m for m in dms(sent) if away(m.recipient, day_of[m.at])]

    # At most one DM per person per run.
    per_run = Counter((m.at, m.job, m.recipient) for m in dms(sent))
    assert max(per_run.values()) == 1

    # Per person per working day: a median of at most 2, never more than 5.
    working_days = [
        START.date() + timedelta(days=n)
        for n in range((END.date() - START.date()).days + 1)
        if calendar.is_working_day(START.date() + timedelta(days=n))
    ]
    assert len(working_days) == 10  # 14–29 Dec less weekends, Christmas and Boxing Day
    per_day = Counter((m.recipient, day_of[m.at]) for m in dms(sent))
    counts = [per_day[(person, day)] for person in PEOPLE for day in working_days]
    present = [
        per_day[(person, day)] for person in PEOPLE for day in working_days if not away(person, day)
    ]
    assert statistics.median(counts) <= 2 and statistics.median(present) <= 2, per_day
    assert max(counts) <= 5, per_day

    # Every working day every ticket is listed to someone, in both lists.
    for day in working_days:
        messages = [m for m in dms(sent) if day_of[m.at] == day]
        reviewed = set().union(*(block_ids(m, "digest.line.") for m in messages))
        waiting = set().union(*(block_ids(m, "digest.waiting.") for m in messages))
        assert reviewed == set(TICKETS) and waiting == set(TICKETS), day

    # Every promise was reminded before it was due and when it was (or once overdue), and
    # the DMs went to whoever held it then: Bob's went to Alice while he was away.
    with services.session() as session:
        promises = session.exec(select(promise_store.Promise)).all()
        ledger = session.exec(select(Nudge).where(col(Nudge.sent_at).is_not(None))).all()
    stages: dict[int, set[str]] = defaultdict(set)
    by_id = {promise.id: promise for promise in promises}
    for nudge in ledger:
        parts = nudge.key.split(":")
        if parts[0] == "commitments" and parts[1].isdigit():
            stages[promise_store.origin_of(by_id[int(parts[1])])].add(parts[2])
    assert len(stages) == len(PROMISES)
    for origin, reached in stages.items():
        assert "before" in reached and {"due", "overdue"} <= reached, (origin, reached)
    # Carol's two promises due together came as one message, each with its buttons.
    together = [
        m for m in dms(sent) if m.job == "commitments" and len(block_ids(m, "promise.")) == 2
    ]
    assert [(m.at.day, m.at.hour, m.recipient) for m in together] == [
        (16, 13, "UC"),  # two working hours before
        (16, 15, "UC"),  # due
        (17, 9, "UC"),  # overdue, the next working morning
    ]
    for message in together:
        labels = [
            b["elements"][0]["text"]["text"] for b in message.blocks if b["type"] == "actions"
        ]
        assert labels == ["Done — client updated"] * 2

    # Both handovers reached people: Bob's on his first morning back, Tue 29 Dec at 09:00.
    handovers = [(m.at, m.recipient) for m in dms(sent) if m.job == "handover"]
    assert handovers == [
        (datetime(2026, 12, 14, 9, 0, tzinfo=UTC), "UB"),  # the missed Fri 11 Dec, healed
        (datetime(2026, 12, 14, 9, 0, tzinfo=UTC), "UC"),
        (datetime(2026, 12, 18, 15, 0, tzinfo=UTC), "UC"),
        (datetime(2026, 12, 18, 15, 0, tzinfo=UTC), "UA"),
        (datetime(2026, 12, 24, 15, 0, tzinfo=UTC), "UA"),  # Christmas Eve: Bob is away
        (datetime(2026, 12, 29, 9, 0, tzinfo=UTC), "UB"),
    ]
