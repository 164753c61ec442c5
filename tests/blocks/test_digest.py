"""The digest, escalation and section builders: exact text on fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks.digest import (
    ReviewLine,
    ReviewReason,
    Waiting,
    WaitingLine,
    WaitingReason,
    line_done,
    review_digest_blocks,
    review_line_text,
    review_section,
    waiting_digest_blocks,
    waiting_line_text,
    waiting_section,
)
from bot.blocks.escalation import (
    escalate_button,
    escalations_section,
    lead_dm_blocks,
    read_escalation_modal,
    zendesk_note,
)
from bot.blocks.text import blocks_as_text
from bot.store.escalations import Escalation
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar

CALENDAR = WorkCalendar()
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # Wednesday
URL = "https://acme.zendesk.test/agent/tickets/101"


def ticket(ticket_id: int = 101, priority: str | None = "high", subject: str = "A & <b>") -> Ticket:
    return Ticket(
        id=ticket_id,
        subject=subject,
        status="open",
        priority=priority,
        created_at=NOW - timedelta(days=3),
        updated_at=NOW,
    )


def test_review_lines_say_why() -> None:
    never = ReviewLine(ticket(), ReviewReason.NEVER_REVIEWED, "Acme", URL, None)
    assert review_line_text(never, CALENDAR, now=NOW) == (
        f"*<{URL}|#101 A &amp; &lt;b&gt;>*\nAcme · High · never reviewed"
    )
    stale = ReviewLine(
        ticket(priority=None), ReviewReason.STALE, None, None, NOW - timedelta(days=8)
    )
    assert review_line_text(stale, CALENDAR, now=NOW) == (
        "*#101 A &amp; &lt;b&gt;*\nno priority · last reviewed Tue 24 Nov"
    )
    commented = ReviewLine(
        ticket(), ReviewReason.CLIENT_COMMENTED, None, None, NOW - timedelta(days=1)
    )
    assert review_line_text(commented, CALENDAR, now=NOW).endswith(
        "High · the client wrote since the last review (Tue 1 Dec)"
    )


def test_the_review_digest_has_buttons_per_line() -> None:
    lines = [ReviewLine(ticket(), ReviewReason.NEVER_REVIEWED, "Acme", URL, None)]
    assert blocks_as_text(review_digest_blocks(lines, CALENDAR, now=NOW)) == (
        "Priorities to review\n"
        "Triage, priority first: confirm each priority or change it in Zendesk. "
        "A ticket stays here until someone reviews it.\n"
        f"*<{URL}|#101 A &amp; &lt;b&gt;>*\nAcme · High · never reviewed\n"
        "[Priority is right]  [Change priority ▾]  [Escalate]  [I'm on it]"
    )


def test_the_waiting_digest_and_its_lines() -> None:
    waiting = Waiting(WaitingReason.CLIENT_WROTE, datetime(2026, 12, 1, 14, 0, tzinfo=UTC), 4.5)
    line = WaitingLine(ticket(), waiting, "Acme", URL)
    assert waiting_line_text(line, CALENDAR, now=NOW) == (
        f"*<{URL}|#101 A &amp; &lt;b&gt;>*\nAcme · High\n"
        ":hourglass: client waiting 4.5 working hours (since Tue 1 Dec, 14:00 GMT)"
    )
    silent = Waiting(WaitingReason.NO_REPLY, datetime(2026, 11, 27, 9, 0, tzinfo=UTC), 25.5)
    text = blocks_as_text(
        waiting_digest_blocks([WaitingLine(ticket(), silent, None, None)], CALENDAR, now=NOW)
    )
    assert ":hourglass: no public reply from us for 3 working days (since Fri 27 Nov, " in text
    # Without a Zendesk URL there is nothing to open.
    assert text.endswith("[Promise an update]  [Escalate]  [I'm on it]")


def test_a_done_line_replaces_that_ticket_only() -> None:
    lines = [
        ReviewLine(ticket(101), ReviewReason.NEVER_REVIEWED, None, None, None),
        ReviewLine(ticket(102), ReviewReason.NEVER_REVIEWED, None, None, None),
    ]
    blocks = review_digest_blocks(lines, CALENDAR, now=NOW)
    done = line_done(blocks, 101, "confirmed")
    assert len(done) == len(blocks) - 1
    assert blocks_as_text(done).splitlines()[2:] == [
        "confirmed",
        "*#102 A &amp; &lt;b&gt;*",
        "High · never reviewed",
        "[Priority is right]  [Change priority ▾]  [Escalate]  [I'm on it]",
    ]


def test_sections_for_the_app_home_and_the_summary() -> None:
    assert blocks_as_text(review_section([], CALENDAR, now=NOW)) == (
        "*Priorities to review*\nNone: every open ticket's priority is reviewed."
    )
    many = [
        ReviewLine(ticket(100 + n), ReviewReason.NO_PRIORITY, None, None, None) for n in range(7)
    ]
    text = blocks_as_text(review_section(many, CALENDAR, now=NOW))
    assert text.startswith("*Priorities to review* (7)\n*#100 ")
    assert text.endswith("and 2 more")
    assert blocks_as_text(waiting_section([], CALENDAR, now=NOW)).startswith("*Clients waiting*")
    escalation = Escalation(
        id=3,
        ticket_id=101,
        raised_by="U1",
        reason="out-of-scope",
        lead="UL",
        raised_at=NOW - timedelta(days=1),
    )
    assert blocks_as_text(escalations_section([(escalation, "#101")], CALENDAR, now=NOW)) == (
        "*Escalations* (1)\n"
        "• #101: Out of scope — chargeable work, Tue 1 Dec, to <@UL> (waiting for the lead)"
    )


def test_escalation_pieces() -> None:
    assert escalate_button(7, label="Escalate to delivery lead") == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Escalate to delivery lead", "emoji": True},
        "action_id": "escalation.open",
        "value": "7",
    }
    escalation = Escalation(
        id=3,
        ticket_id=101,
        raised_by="U1",
        reason="unhappy",
        note="Call me",
        lead="UL",
        raised_at=NOW,
    )
    assert blocks_as_text(lead_dm_blocks(escalation, "#101", CALENDAR, now=NOW)) == (
        ":rotating_light: *Escalated to you:* #101\n*Reason:* Client is unhappy\n"
        "*Note:* Call me\n*Raised by:* <@U1>\n[Acknowledge]  [I'll contact the client]"
    )
    assert zendesk_note(escalation, raised_by="Ann", lead="Lee") == (
        "Escalated to the delivery lead (Lee) by Ann through Rotabot.\n"
        "Reason: Client is unhappy\nNote: Call me"
    )
    chosen = {
        "reason": {"escalation.reason": {"selected_option": {"value": "other"}}},
        "note": {"escalation.note": {"value": "  spaced  "}},
    }
    assert read_escalation_modal(chosen) == ("other", "spaced")
    assert read_escalation_modal({}) == (None, "")
    bogus = {"reason": {"escalation.reason": {"selected_option": {"value": "nope"}}}}
    assert read_escalation_modal(bogus) == (None, "")
