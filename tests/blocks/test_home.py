"""The App Home view, section by section, as exact text on fixed dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot import ids
from bot.blocks.digest import PersonalNudges
from bot.blocks.home import (
    MAX_BLOCKS,
    HomeContext,
    home_view,
    how_to_start_section,
    nudges_section,
    promises_section,
    rotas_section,
)
from bot.blocks.rota import DaysCover, RotaSummary
from bot.blocks.text import blocks_as_text
from bot.store import rota as store
from bot.store.rota import SwapRequest
from bot.worktime import WorkCalendar
from tests.blocks.helpers import NOW, buttons, escalation, promise, week

CALENDAR = WorkCalendar()
# Wednesday 2 December 2026.
TODAY = date(2026, 12, 2)
MON = date(2026, 11, 30)


def rota(**changes: object) -> RotaSummary:
    base = RotaSummary(
        channel_id="C1",
        current=week(MON, "U1"),
        my_weeks=[
            week(date(2026, 12, 7), "U2"),
            week(date(2026, 12, 14), "U2", store.SWAPPED, partner="U3"),
            week(date(2026, 12, 21), "U2", store.COVER, partner="U1"),
        ],
        swaps_to_me=[],
        swaps_from_me=[],
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def home(**changes: object) -> HomeContext:
    base = HomeContext(user_id="U2", today=TODAY, calendar=CALENDAR, rotas=[rota()], now=NOW)
    return replace(base, **changes)  # type: ignore[arg-type]


def swap(request_id: int, requester: str, target: str, mine: date, theirs: date) -> SwapRequest:
    return SwapRequest(
        id=request_id,
        rota_id=1,
        requester=requester,
        target=target,
        requester_week=mine,
        target_week=theirs,
    )


def test_a_member_sees_the_rota_and_their_weeks() -> None:
    view = home_view(home())
    assert view["type"] == "home"
    assert blocks_as_text(view["blocks"]) == (
        "—\n*Support rota in <#C1>*\n"
        "<@U1> is on support now, until Fri 4 Dec.\n"
        "*Your next weeks on support:*\n"
        "• Mon 7 Dec – Fri 11 Dec\n"
        "• Mon 14 Dec – Fri 18 Dec · swapped with <@U3>\n"
        "• Mon 21 Dec – Fri 25 Dec · covering for <@U1>"
    )
    assert buttons(view["blocks"]) == []


def test_the_person_on_support_reads_youre() -> None:
    text = blocks_as_text(rotas_section(home(user_id="U1")))
    assert "You're on support now, until Fri 4 Dec.\n" in text


def test_a_friday_holiday_ends_the_week_on_thursday() -> None:
    christmas = home(today=date(2026, 12, 22), rotas=[rota(current=week(date(2026, 12, 21), "U1"))])
    assert "<@U1> is on support now, until Thu 24 Dec." in blocks_as_text(rotas_section(christmas))


def test_cover_to_the_end_of_the_week_is_shown_over_the_weekend() -> None:
    covered = rota(covers=(DaysCover(date(2026, 12, 3), date(2026, 12, 4), "U2"),))
    saturday = home(user_id="U3", today=date(2026, 12, 5), rotas=[covered])
    assert blocks_as_text(rotas_section(saturday)).splitlines()[2] == (
        "<@U2> is on support now, covering for <@U1> until Fri 4 Dec."
    )


def test_cover_that_was_only_asked_for_changes_nothing() -> None:
    asked = rota(covers=(DaysCover(TODAY, date(2026, 12, 4), "U2", accepted=False),))
    assert blocks_as_text(rotas_section(home(rotas=[asked]))).splitlines()[2] == (
        "<@U1> is on support now, until Fri 4 Dec."
    )


def test_a_week_of_holidays_ends_on_friday_and_new_year_names_the_year() -> None:
    closed = WorkCalendar(
        extra_holidays=[date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    )
    # Mon 28 Dec (Boxing Day moved), Fri 1 Jan and the team's three days: no working day left.
    week_off = home(
        today=date(2026, 12, 28),
        calendar=closed,
        rotas=[rota(current=week(date(2026, 12, 28), "U1"))],
    )
    assert "<@U1> is on support now, until Fri 1 Jan 2027." in blocks_as_text(
        rotas_section(week_off)
    )


def test_nobody_on_support_and_no_weeks_ahead() -> None:
    quiet = home(rotas=[rota(current=None, my_weeks=[])])
    assert blocks_as_text(rotas_section(quiet)) == (
        "—\n*Support rota in <#C1>*\nNobody is on support this week.\n"
        "You have no support weeks in the next weeks."
    )


def test_swaps_asked_of_me_have_buttons_and_mine_wait() -> None:
    asked = swap(5, "U3", "U2", date(2026, 12, 28), date(2026, 12, 7))
    mine = swap(6, "U2", "U4", date(2026, 12, 14), date(2027, 1, 4))
    blocks = rotas_section(home(rotas=[rota(swaps_to_me=[asked], swaps_from_me=[mine])]))
    assert blocks_as_text(blocks).split("\n")[-3:] == [
        "<@U3> asks to swap support weeks with you in <#C1>: you would take their week "
        "Mon 28 Dec – Fri 1 Jan 2027, and they would take yours, Mon 7 Dec – Fri 11 Dec.",
        "[Accept]  [Decline]",
        "You asked <@U4> to swap your Mon 14 Dec – Fri 18 Dec for their "
        "Mon 4 Jan 2027 – Fri 8 Jan 2027: waiting for an answer.",
    ]
    assert buttons(blocks) == [
        ("Accept", ids.SWAP_ACCEPT, "5"),
        ("Decline", ids.SWAP_DECLINE, "5"),
    ]


def test_each_rota_has_its_own_part() -> None:
    two = home(rotas=[rota(), rota(channel_id="C2", current=None, my_weeks=[])])
    text = blocks_as_text(rotas_section(two))
    assert text.count("—\n*Support rota in <#") == 2
    assert text.endswith(
        "—\n*Support rota in <#C2>*\nNobody is on support this week.\n"
        "You have no support weeks in the next weeks."
    )


def test_someone_in_no_rota_is_told_how_to_start_under_the_notice() -> None:
    view = home_view(home(rotas=[], notice="Swapped."))
    assert blocks_as_text(view["blocks"]) == (
        "Swapped.\nWelcome to Rotabot\n"
        "You're not on a support rota yet. In your team's channel, type "
        "`/rota add @you @teammate …` to start one (the first person is on support this week), "
        "or ask a teammate to add you. `/rota help` shows everything it can do."
    )
    assert how_to_start_section(home()) == []


def test_open_promises_with_their_buttons() -> None:
    blocks = promises_section(home(promises=[promise(), promise(id=8, ticket_id=102, note="")]))
    assert blocks_as_text(blocks) == (
        "—\n*Your open promises to clients*, soonest first\n"
        "• #101: update due *Thu 3 Dec, 17:00 GMT* — Send the &lt;new&gt; export &amp; logs\n"
        "[Done — client updated]  [New time…]\n"
        "• #102: update due *Thu 3 Dec, 17:00 GMT*\n"
        "[Done — client updated]  [New time…]"
    )
    assert buttons(blocks) == [
        ("Done — client updated", ids.PROMISE_DONE, "7"),
        ("New time…", ids.PROMISE_NEW_TIME, "7"),
        ("Done — client updated", ids.PROMISE_DONE, "8"),
        ("New time…", ids.PROMISE_NEW_TIME, "8"),
    ]
    assert promises_section(home()) == []


def test_escalations_show_once_the_time_is_known() -> None:
    nudges = PersonalNudges(escalations=[(escalation(), "#101")])
    assert blocks_as_text(nudges_section(home(nudges=nudges))) == (
        "—\n*Escalations* (1)\n"
        "• #101: Client is unhappy, Fri 4 Dec, to <@ULEAD> (waiting for the lead)"
    )
    assert nudges_section(home(nudges=nudges, now=None)) == []
    assert nudges_section(home()) == []


def test_the_view_keeps_to_slacks_block_limit() -> None:
    many = [promise(id=n, due_at=NOW + timedelta(days=n)) for n in range(1, 80)]
    blocks = home_view(home(promises=many))["blocks"]
    assert len(blocks) == MAX_BLOCKS == 100
    # 4 rota blocks and 2 for the promises' heading leave room for 47 promises of 2 blocks.
    assert buttons(blocks)[-2:] == [
        ("Done — client updated", ids.PROMISE_DONE, "47"),
        ("New time…", ids.PROMISE_NEW_TIME, "47"),
    ]


def test_a_view_from_chosen_sections() -> None:
    view = home_view(home(notice="Hello"), sections=[promises_section, rotas_section])
    assert blocks_as_text(view["blocks"]).startswith("—\n*Support rota in <#C1>*\n")
