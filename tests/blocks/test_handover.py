"""The handover DMs and the weekly summary, as exact text on fixed dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot import ids
from bot.blocks.handover import (
    MAX_LINES,
    Handover,
    Summary,
    incoming_blocks,
    incoming_text,
    last_week_section,
    open_tickets_section,
    outgoing_blocks,
    outgoing_text,
    promises_section,
    summary_blocks,
    summary_text,
    ticket_line,
)
from bot.blocks.text import blocks_as_text
from bot.store.tickets import Ticket
from bot.worktime import WorkCalendar
from tests.blocks.helpers import NOW, buttons, escalation, promise

CALENDAR = WorkCalendar()
ZENDESK = "https://acme.zendesk.test"
# Friday 4 December 2026: U1's week ends, U2's starts on Monday 7 December.
FRIDAY = date(2026, 12, 4)


def ticket(ticket_id: int, status: str, priority: str | None = "high", subject: str = "") -> Ticket:
    return Ticket(
        id=ticket_id,
        subject=subject or f"Ticket <{ticket_id}> & co",
        status=status,
        priority=priority,
        created_at=NOW,
        updated_at=NOW,
    )


def handover(**changes: object) -> Handover:
    base = Handover(
        channel_id="C1",
        ending_week=date(2026, 11, 30),
        starting_week=date(2026, 12, 7),
        outgoing="U1",
        incoming="U2",
        lead="ULEAD",
        tickets=[ticket(101, "open"), ticket(102, "pending", priority=None)],
        today=FRIDAY,
        zendesk_url=ZENDESK,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def summary(**changes: object) -> Summary:
    base = Summary(
        channel_id="C1",
        week=date(2026, 12, 7),
        today=date(2026, 12, 7),
        now=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
        calendar=CALENDAR,
        zendesk_url=ZENDESK,
        on_support="U2",
        next_on_support="U3",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


LINE_101 = f"• <{ZENDESK}/agent/tickets/101|#101> Ticket &lt;101&gt; &amp; co · *high* · open"
LINE_102 = (
    f"• <{ZENDESK}/agent/tickets/102|#102> Ticket &lt;102&gt; &amp; co · no priority · pending"
)
OPEN_ZENDESK = ("Open Zendesk", ids.OPEN_IN_ZENDESK, None)


def test_the_outgoing_dm() -> None:
    blocks = outgoing_blocks(handover())
    assert blocks_as_text(blocks) == (
        "Handover: your support week ends\n"
        "Your support week *Mon 30 Nov – Fri 4 Dec* in <#C1> is ending. "
        "<@U2> takes over on *Mon 7 Dec*.\n"
        f"*Open tickets on us* (held by you or by nobody)\n{LINE_101}\n"
        f"*Waiting on the client*\n{LINE_102}\n"
        "Before you hand over: leave a note on any ticket you are part-way through, and tell "
        "the next person anything that is not written in Zendesk (promises made, clients to "
        "watch).\n"
        "[Open Zendesk]"
    )
    assert buttons(blocks) == [OPEN_ZENDESK]
    assert blocks[-1]["elements"][0]["url"] == f"{ZENDESK}/agent/filters"
    assert (
        outgoing_text(handover()) == "Handover: your support week Mon 30 Nov – Fri 4 Dec is ending."
    )


def test_the_outgoing_dm_when_nobody_follows_and_nothing_is_open() -> None:
    text = blocks_as_text(outgoing_blocks(handover(incoming=None, tickets=[], zendesk_url=None)))
    assert "is ending. Nobody is on the rota for next week yet.\n" in text
    assert "*Open tickets on us* (held by you or by nobody)\nNone: a clean slate.\n" in text
    assert "*Waiting on the client*\nNone.\n" in text
    assert "[Open Zendesk]" not in text


def test_the_outgoing_dm_lists_the_promises_to_keep_without_buttons() -> None:
    blocks = outgoing_blocks(handover(promises=[promise()], calendar=CALENDAR))
    assert blocks[4]["text"]["text"] == (
        "*Your open promises* (keep them, or hand them on)\n"
        "• #101: update due *Thu 3 Dec, 17:00 GMT* — Send the &lt;new&gt; export &amp; logs"
    )
    assert buttons(blocks) == [OPEN_ZENDESK]


def test_the_incoming_dm_offers_each_promise() -> None:
    promises = [promise(), promise(id=8, ticket_id=102, note="")]
    blocks = incoming_blocks(handover(promises=promises, calendar=CALENDAR))
    assert blocks_as_text(blocks) == (
        "You're on support next\n"
        "You're on support from *Mon 7 Dec to Fri 11 Dec* in <#C1>. "
        "Who to ask: <@U1> (on support until now), <@ULEAD> (delivery lead).\n"
        f"*Open tickets on us* (held by <@U1> or by nobody)\n{LINE_101}\n"
        f"*Waiting on the client*\n{LINE_102}\n"
        "*Open promises* <@U1> made to clients:\n"
        "• #101: update due *Thu 3 Dec, 17:00 GMT* — Send the &lt;new&gt; export &amp; logs"
        "  [I'll take it]\n"
        "• #102: update due *Thu 3 Dec, 17:00 GMT*  [I'll take it]\n"
        "[Open Zendesk]"
    )
    assert buttons(blocks) == [
        ("I'll take it", ids.PROMISE_TAKE, "7"),
        ("I'll take it", ids.PROMISE_TAKE, "8"),
        OPEN_ZENDESK,
    ]
    assert incoming_text(handover()) == "You're on support from Mon 7 Dec to Fri 11 Dec."


def test_the_incoming_dm_after_nobody_and_with_no_lead() -> None:
    text = blocks_as_text(incoming_blocks(handover(outgoing=None, lead=None)))
    assert "from *Mon 7 Dec to Fri 11 Dec* in <#C1>.\n" in text
    assert "Who to ask" not in text
    assert "(held by the last person or by nobody)" in text


def test_someone_on_two_weeks_running_is_not_told_to_ask_themselves() -> None:
    text = blocks_as_text(incoming_blocks(handover(outgoing="U2", lead=None)))
    assert "in <#C1>.\n" in text
    assert "Who to ask" not in text


def test_promises_without_a_calendar_are_left_out() -> None:
    assert buttons(incoming_blocks(handover(promises=[promise()]))) == [OPEN_ZENDESK]


def test_only_the_first_promises_are_offered() -> None:
    many = [promise(id=n) for n in range(1, MAX_LINES + 3)]
    blocks = incoming_blocks(handover(promises=many, calendar=CALENDAR, zendesk_url=None))
    assert [value for _, _, value in buttons(blocks)] == [str(n) for n in range(1, MAX_LINES + 1)]


def test_a_handover_across_new_year_names_the_year() -> None:
    new_year = handover(
        ending_week=date(2026, 12, 28), starting_week=date(2027, 1, 4), today=date(2026, 12, 31)
    )
    assert outgoing_text(new_year) == (
        "Handover: your support week Mon 28 Dec – Fri 1 Jan 2027 is ending."
    )
    assert incoming_text(new_year) == "You're on support from Mon 4 Jan 2027 to Fri 8 Jan 2027."
    assert "<@U2> takes over on *Mon 4 Jan 2027*." in blocks_as_text(outgoing_blocks(new_year))


def test_long_ticket_lists_are_cut_with_a_count() -> None:
    tickets = [ticket(n, "new") for n in range(1, MAX_LINES + 5)]
    first = blocks_as_text(outgoing_blocks(handover(tickets=tickets))).split("\n")
    assert first[3] == f"• <{ZENDESK}/agent/tickets/1|#1> Ticket &lt;1&gt; &amp; co · *high* · new"
    assert first[3 + MAX_LINES] == "…and 4 more in Zendesk."


def test_a_ticket_line_without_zendesk_or_subject() -> None:
    bare = ticket(9, "hold", priority="low")
    bare.subject = ""
    assert ticket_line(bare, zendesk_url=None) == "• #9 (no subject) · *low* · hold"


def test_the_weekly_summary() -> None:
    full = summary(
        counts={"urgent": 1, "high": 2, "low": 1, None: 3},
        urgent_and_high=[ticket(101, "open")],
        escalations=[(escalation(), "#101")],
        opened_last_week=1,
        solved_last_week=4,
        swaps_last_week=2,
        covered_last_week=("U3", "U1"),
        open_promises=[promise()],
    )
    assert blocks_as_text(summary_blocks(full)) == (
        "Support week Mon 7 Dec – Fri 11 Dec\n"
        "*On support this week:* <@U2> (Mon 7 Dec – Fri 11 Dec)\n"
        "*Next week:* <@U3> (Mon 14 Dec – Fri 18 Dec)\n"
        f"*Open tickets:* 1 urgent · 2 high · 1 low · 3 without a priority\n{LINE_101}\n"
        "*Clients waiting*\nNone: every client has heard from us in time.\n"
        "*Priorities to review*\nNone: every open ticket's priority is reviewed.\n"
        "*Open promises to clients*, soonest first:\n"
        "• #101: update due *Thu 3 Dec, 17:00 GMT* — Send the &lt;new&gt; export &amp; logs "
        "(<@UANN>)\n"
        "*Escalations* (1)\n"
        "• #101: Client is unhappy, Fri 4 Dec, to <@ULEAD> (waiting for the lead)\n"
        "*Last week* (Mon 30 Nov – Fri 4 Dec): 1 ticket opened, 4 solved, 2 swaps agreed. "
        "<@U3> covered for <@U1>."
    )
    assert buttons(summary_blocks(full)) == []
    assert summary_text(full) == "Support week Mon 7 Dec – Fri 11 Dec: <@U2> is on support."


def test_a_quiet_week_with_nobody_on_the_rota() -> None:
    quiet = summary(on_support=None, next_on_support=None)
    text = blocks_as_text(summary_blocks(quiet))
    assert "*On support this week:* nobody yet (Mon 7 Dec – Fri 11 Dec)\n" in text
    assert "*Next week:* nobody yet (Mon 14 Dec – Fri 18 Dec)\n" in text
    assert "*Open tickets:* none. :tada:" in text
    assert "promises" not in text
    assert "Escalations" not in text
    assert text.endswith(
        "*Last week* (Mon 30 Nov – Fri 4 Dec): 0 tickets opened, 0 solved, 0 swaps agreed."
    )
    assert summary_text(quiet) == "Support week Mon 7 Dec – Fri 11 Dec: nobody yet is on support."


def test_open_tickets_with_only_unprioritised_ones() -> None:
    assert blocks_as_text(open_tickets_section(summary(counts={None: 2}))) == (
        "*Open tickets:* 2 without a priority"
    )


def test_promises_beyond_those_read_are_counted() -> None:
    read = [promise(id=n) for n in range(1, MAX_LINES + 2)]
    lines = blocks_as_text(
        promises_section(summary(open_promises=read, open_promises_total=1234))
    ).split("\n")
    assert len(lines) == 1 + MAX_LINES + 1
    assert lines[-1] == f"…and {1234 - MAX_LINES:,} more."


def test_promises_all_read_past_the_limit_are_counted() -> None:
    read = [promise(id=n) for n in range(1, MAX_LINES + 3)]
    lines = blocks_as_text(promises_section(summary(open_promises=read))).split("\n")
    assert lines[-1] == "…and 2 more."


def test_last_week_in_the_singular() -> None:
    week = summary(opened_last_week=0, solved_last_week=1, swaps_last_week=1)
    assert blocks_as_text(last_week_section(week)) == (
        "*Last week* (Mon 30 Nov – Fri 4 Dec): 0 tickets opened, 1 solved, 1 swap agreed."
    )
