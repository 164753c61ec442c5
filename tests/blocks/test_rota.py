"""Block Kit for /rota and the App Home, with exact text on fixed dates."""

from __future__ import annotations

from datetime import date

from bot.blocks.home import HomeContext, home_view
from bot.blocks.rota import (
    RotaSummary,
    ShownWeek,
    rota_blocks,
    stats_text,
    swap_request_blocks,
    who_text,
)
from bot.blocks.text import blocks_as_text
from bot.store import rota as store
from bot.store.rota import SwapRequest
from bot.worktime import WorkCalendar
from tests.blocks.helpers import week

CALENDAR = WorkCalendar()
TODAY = date(2026, 12, 16)


def test_rota_blocks_mark_the_week_swaps_cover_holidays_and_absences() -> None:
    shown = [
        ShownWeek(week(date(2026, 12, 14), "U1"), uncovered=False),
        ShownWeek(week(date(2026, 12, 21), "U2", store.SWAPPED, "U3"), uncovered=False),
        ShownWeek(week(date(2026, 12, 28), "U3", store.COVER, "U1"), uncovered=False),
        ShownWeek(week(date(2027, 1, 4), "U1", store.COVER_RETURN, "U3"), uncovered=True),
    ]
    text = blocks_as_text(rota_blocks(shown, today=TODAY, calendar=CALENDAR, has_members=True))
    assert text == (
        "*Support rota*\n"
        ":arrow_forward: *Mon 14 Dec – Fri 18 Dec*  <@U1>  ← this week\n"
        "Mon 21 Dec – Fri 25 Dec  <@U2> · swapped with <@U3> "
        "_(holiday: Fri 25 Dec Christmas Day)_\n"
        "Mon 28 Dec – Fri 1 Jan 2027  <@U3> · covering for <@U1> _(holiday: Mon 28 Dec Boxing "
        "Day (observed), Fri 1 Jan 2027 New Year's Day)_\n"
        "Mon 4 Jan 2027 – Fri 8 Jan 2027  <@U1> · swapped for cover (<@U3> covered for them)  "
        ":warning: <@U1> is away: nobody available to cover\n"
        "Change it: `/rota swap @who`, `/rota away FROM TO`, `/rota help`"
    )


def test_long_lists_are_split_to_fit_slack_section_limits() -> None:
    shown = [
        ShownWeek(week(date(2027, 1, 4 + 7 * (i % 3)), "U1"), uncovered=True) for i in range(26)
    ]
    blocks = rota_blocks(shown, today=TODAY, calendar=CALENDAR, has_members=True)
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_who_text() -> None:
    assert who_text(
        week(date(2026, 12, 14), "U1"),
        week(date(2026, 12, 21), "U2"),
        today=TODAY,
        calendar=CALENDAR,
    ) == (
        ":technologist: On support now: <@U1>, until Fri 18 Dec.\n"
        "Next: <@U2>, Mon 21 Dec – Fri 25 Dec."
    )


def test_swap_request_blocks_carry_only_the_key() -> None:
    request = SwapRequest(
        id=42,
        rota_id=1,
        requester="U1",
        target="U2",
        requester_week=date(2026, 12, 21),
        target_week=date(2027, 1, 4),
    )
    blocks = swap_request_blocks(request, channel_id="C1", today=TODAY)
    buttons = blocks[1]["elements"]
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons] == [
        ("Accept", "rota.swap.accept", "42"),
        ("Decline", "rota.swap.decline", "42"),
    ]


def test_stats_text() -> None:
    assert stats_text([("U1", 3, 1, 0), ("U2", 2, 0, 1)]) == (
        "*Last 6 months* (weeks served · cover days given · cover days taken)\n"
        "<@U1>: 3 · 1 · 0\n<@U2>: 2 · 0 · 1"
    )


def test_home_view_sections() -> None:
    summary = RotaSummary(
        channel_id="C1",
        current=week(date(2026, 12, 14), "U1"),
        my_weeks=[week(date(2026, 12, 21), "U2")],
        swaps_to_me=[],
        swaps_from_me=[],
    )
    view = home_view(HomeContext("U2", TODAY, CALENDAR, [summary]))
    assert blocks_as_text(view["blocks"]) == (
        "—\n*Support rota in <#C1>*\n<@U1> is on support now, until Fri 18 Dec.\n"
        "*Your next weeks on support:*\n• Mon 21 Dec – Fri 25 Dec"
    )
    empty = home_view(HomeContext("U2", TODAY, CALENDAR, [], notice="Done."))
    assert blocks_as_text(empty["blocks"]).startswith("Done.\nWelcome to Rotabot\n")
