"""The two nudge rules, table-tested on tickets just inside and just outside each threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot.blocks.digest import ReviewReason, WaitingReason
from bot.nudges.rules import (
    client_waiting,
    needs_priority_review,
)
from bot.store.priority_reviews import PriorityReview
from bot.store.shortlists import triage_key
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar

CALENDAR = WorkCalendar(timezone="Europe/London", holidays="GB-ENG")
MON = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 30 Nov 2026, 10:00 GMT


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def ticket(
    *,
    status: str = "open",
    priority: str | None = "normal",
    created: datetime | None = None,
    client: datetime | None = None,
    reply: datetime | None = None,
    ticket_id: int = 1,
) -> Ticket:
    # Opened when the client first wrote, unless the case says otherwise.
    created = created or client or MON
    return Ticket(
        id=ticket_id,
        subject="Printer",
        status=status,
        priority=priority,
        created_at=created,
        updated_at=created,
        last_requester_comment_at=client,
        last_agent_public_reply_at=reply,
    )


def review(when: datetime) -> PriorityReview:
    return PriorityReview(ticket_id=1, reviewed_by="U1", reviewed_at=when, source="card")


REVIEWED = MON
REVIEW_CASES = [
    ("solved tickets are never reviewed", ticket(status="solved", priority=None), None, MON, None),
    ("closed", ticket(status="closed"), None, MON, None),
    ("no priority", ticket(priority=None), review(REVIEWED), MON, ReviewReason.NO_PRIORITY),
    ("on hold, never reviewed", ticket(status="hold"), None, MON, ReviewReason.NEVER_REVIEWED),
    ("pending, never reviewed", ticket(status="pending"), None, MON, ReviewReason.NEVER_REVIEWED),
    ("reviewed just now", ticket(), review(REVIEWED), MON, None),
    (
        "client wrote at the moment of the review",
        ticket(client=REVIEWED),
        review(REVIEWED),
        MON + timedelta(hours=1),
        None,
    ),
    (
        "client wrote a minute after the review",
        ticket(client=REVIEWED + timedelta(minutes=1)),
        review(REVIEWED),
        MON + timedelta(hours=1),
        ReviewReason.CLIENT_COMMENTED,
    ),
    (
        "reviewed a minute under 7 days ago",
        ticket(),
        review(REVIEWED),
        REVIEWED + timedelta(days=7, minutes=-1),
        None,
    ),
    (
        "reviewed 7 days ago",
        ticket(),
        review(REVIEWED),
        REVIEWED + timedelta(days=7),
        ReviewReason.STALE,
    ),
]


@pytest.mark.parametrize(
    ("case", "subject", "last", "now", "expected"), REVIEW_CASES, ids=[c[0] for c in REVIEW_CASES]
)
def test_needs_priority_review(
    case: str,
    subject: Ticket,
    last: PriorityReview | None,
    now: datetime,
    expected: ReviewReason | None,
) -> None:
    # The rule reads no clock: a frozen wall clock far away changes nothing.
    with freeze_time("2031-01-01"):
        assert needs_priority_review(subject, last, now=now, review_after_days=7) == expected


def test_the_review_period_is_a_setting() -> None:
    now = REVIEWED + timedelta(days=3)
    assert needs_priority_review(ticket(), review(REVIEWED), now=now, review_after_days=3) == (
        ReviewReason.STALE
    )
    assert needs_priority_review(ticket(), review(REVIEWED), now=now, review_after_days=4) is None


TUE_10 = at(1, 10)
WAITING_CASES = [
    # The client wrote Tuesday 1 Dec at 10:00 and we have not answered: 4 working hours is 14:00.
    ("client wrote 3h59 ago", ticket(client=TUE_10), at(1, 13, 59), None),
    ("client wrote 4h ago", ticket(client=TUE_10), at(1, 14), (WaitingReason.CLIENT_WROTE, 4.0)),
    # Written at 16:00: 1.5 hours that day, so the fourth hour ends Wednesday at 11:30.
    ("overnight, just inside", ticket(client=at(1, 16)), at(2, 11, 29), None),
    (
        "overnight, just outside",
        ticket(client=at(1, 16)),
        at(2, 11, 30),
        (WaitingReason.CLIENT_WROTE, 4.0),
    ),
    # Thursday 24 Dec 15:00: Christmas Day, the weekend and Boxing Day observed (Monday 28)
    # pass uncounted; the fourth working hour ends Tuesday 29 Dec at 10:30.
    ("over Christmas, just inside", ticket(client=at(24, 15)), at(29, 10, 29), None),
    (
        "over Christmas, just outside",
        ticket(client=at(24, 15)),
        at(29, 10, 30),
        (WaitingReason.CLIENT_WROTE, 4.0),
    ),
    (
        "we replied after the client",
        ticket(client=TUE_10, reply=at(1, 11)),
        at(1, 16),
        None,
    ),
    (
        "pending and the client has not written since our reply",
        ticket(status="pending", client=TUE_10, reply=at(1, 11)),
        at(18, 16),
        None,
    ),
    (
        "pending but the client wrote since",
        ticket(status="pending", client=at(1, 12), reply=at(1, 11)),
        at(1, 16),
        (WaitingReason.CLIENT_WROTE, 4.0),
    ),
    (
        "on hold and the client wrote since, not yet long",
        ticket(status="hold", client=at(1, 12), reply=at(1, 11)),
        at(1, 15, 59),
        None,
    ),
    ("solved", ticket(status="solved", client=TUE_10), at(18, 16), None),
    # We replied Monday 30 Nov 10:00 and nothing since: 2 working days (17 h) end Wed 10:00.
    ("no reply for 2 days, just inside", ticket(reply=MON), at(2, 9, 59), None),
    (
        "no reply for 2 days, just outside",
        ticket(reply=MON),
        at(2, 10),
        (WaitingReason.NO_REPLY, 17.0),
    ),
    ("never replied: counted from creation", ticket(), at(2, 9, 59), None),
    ("never replied, 2 days", ticket(), at(2, 10), (WaitingReason.NO_REPLY, 17.0)),
    ("pending, no reply for days", ticket(status="pending", reply=MON), at(9, 10), None),
    (
        "new, never replied, across the Christmas holidays",
        ticket(status="new", created=at(23, 15)),
        at(29, 15),
        (WaitingReason.NO_REPLY, 17.0),
    ),
    (
        "new, never replied, a minute short across the holidays",
        ticket(status="new", created=at(23, 15)),
        at(29, 14, 59),
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "subject", "now", "expected"), WAITING_CASES, ids=[c[0] for c in WAITING_CASES]
)
def test_client_waiting(
    case: str,
    subject: Ticket,
    now: datetime,
    expected: tuple[WaitingReason, float] | None,
) -> None:
    with freeze_time("2031-01-01"):
        found = client_waiting(
            subject, now=now, calendar=CALENDAR, waiting_hours=4, no_reply_days=2
        )
    assert (None if found is None else (found.reason, round(found.hours, 2))) == expected


def test_the_client_waiting_thresholds_are_settings() -> None:
    waiting = ticket(client=TUE_10)
    found = client_waiting(
        waiting, now=at(1, 12), calendar=CALENDAR, waiting_hours=2, no_reply_days=2
    )
    assert found is not None and found.since == TUE_10
    assert (
        client_waiting(
            ticket(reply=MON), now=at(1, 10), calendar=CALENDAR, waiting_hours=4, no_reply_days=1
        )
        is not None
    )


def test_triage_order_is_urgent_to_low_then_oldest() -> None:
    tickets = [
        ticket(ticket_id=1, priority="low", created=MON),
        ticket(ticket_id=2, priority=None, created=MON - timedelta(days=9)),
        ticket(ticket_id=3, priority="urgent", created=MON),
        ticket(ticket_id=4, priority="normal", created=MON),
        ticket(ticket_id=5, priority="urgent", created=MON - timedelta(days=1)),
        ticket(ticket_id=6, priority="high", created=MON),
    ]
    assert [t.id for t in sorted(tickets, key=triage_key)] == [5, 3, 6, 4, 1, 2]
