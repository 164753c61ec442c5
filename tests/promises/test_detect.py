"""Promises in our public replies: which sentences promise an update, and by when."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.promises.detect import detect_promise
from bot.worktime import WorkCalendar

CAL = WorkCalendar()
# Tuesday 1 December 2026, 10:00 GMT.
TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


PROMISES = [
    ("I'll update you tomorrow.", utc(2026, 12, 2, 17, 0)),
    ("We'll get back to you by Friday.", utc(2026, 12, 4, 17, 0)),
    ("I will let you know by end of day.", utc(2026, 12, 1, 17, 0)),
    ("You can expect an update on Monday.", utc(2026, 12, 7, 17, 0)),
    ("Thanks for the logs. I'll have an update for you tomorrow morning.", utc(2026, 12, 2, 12, 0)),
    ("We will be in touch by 3pm today.", utc(2026, 12, 1, 15, 0)),
    ("I'm going to look into this and get back to you on Thursday.", utc(2026, 12, 3, 17, 0)),
    ("We'll work on it tomorrow and update the ticket.", utc(2026, 12, 2, 17, 0)),
    ("I'll follow up in 2 hours.", utc(2026, 12, 1, 12, 0)),
    ("We will send you an update by 21 Dec.", utc(2026, 12, 21, 17, 0)),
    ("Expect an update from us first thing tomorrow.", utc(2026, 12, 2, 17, 0)),
    ("I’ll come back to you this afternoon.", utc(2026, 12, 1, 17, 0)),
    ("We're going to investigate further and report back by Wednesday.", utc(2026, 12, 2, 17, 0)),
    ("Hi Sam,\n\nI've reproduced it. I will update you by 4pm.", utc(2026, 12, 1, 16, 0)),
    ("We'll let you know by close of business.", utc(2026, 12, 1, 17, 0)),
    ("I'll check back in with you next week.", utc(2026, 12, 7, 17, 0)),
    ("You'll hear from us by Friday at the latest.", utc(2026, 12, 4, 17, 0)),
    ("I will pick this up on Monday 10am and confirm.", utc(2026, 12, 7, 10, 0)),
]

NOT_PROMISES = [
    "We updated the plugin yesterday.",
    "I updated the theme this morning and it looks fine.",
    "Could you update us tomorrow with the error message?",
    "Please let us know by Friday if that works.",
    "If you need anything else, let me know.",
    "Will you be able to send the logs tomorrow?",
    "The plugin update is scheduled for Monday.",
    "We'll update you as soon as we hear back.",
    "I'll look into it.",
    "When you get a chance, please reply with the URL.",
    "We deployed the fix on Monday.",
    "Our office is closed on 25 Dec.",
    "Thanks, we'll close this ticket now.",
    "Can we get back to you tomorrow?",
]


@pytest.mark.parametrize(("body", "due"), PROMISES)
def test_promises_in_our_replies_are_detected(body: str, due: datetime) -> None:
    detected = detect_promise(body, now=TUESDAY, calendar=CAL)
    assert detected is not None, body
    assert detected.due == due


@pytest.mark.parametrize("body", NOT_PROMISES)
def test_things_that_are_not_promises(body: str) -> None:
    assert detect_promise(body, now=TUESDAY, calendar=CAL) is None


def test_the_table_has_at_least_thirty_sentences() -> None:
    assert len(PROMISES) + len(NOT_PROMISES) >= 30
