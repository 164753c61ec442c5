"""Cover that starts inside a week under way: `/rota away` on a Wednesday, Accept / Decline,
everyone declining, an absence ending mid-week, and who gets nudged meanwhile."""

from __future__ import annotations

import re
from datetime import date

from bot.jobs import handover
from bot.jobs.runner import run_job
from bot.nudges.routing import recipients
from bot.promises.owners import person_on_support
from bot.rota.planner import on_support
from bot.services import Services
from bot.store.rota import rota_for_channel
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import at_london, dms_to, rota

# Wed 2 Dec 2026 10:00; with U1, U2, U3 the weeks go 30 Nov U1, 7 Dec U2, 14 Dec U3 ...


def start(slack: SlackDoor, fake_slack: FakeSlack, *people: str) -> None:
    rota(slack, fake_slack, "add " + " ".join(f"<@{p}>" for p in people or ("U1", "U2", "U3")))


def who_on(services: Services, day: date) -> str | None:
    with services.session() as session:
        found = rota_for_channel(session=session, channel_id="C1")
        assert found is not None and found.id is not None
        return on_support(session=session, calendar=services.calendar, rota_id=found.id, day=day)


def test_illness_on_a_wednesday_asks_the_next_person_who_accepts(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    start(slack, fake_slack)
    reply = rota(slack, fake_slack, "away 2 Dec 4 Dec", user="U1")
    assert reply == (
        "Noted: You're away Wed 2 Dec – Fri 4 Dec.\n"
        "I've asked <@U2> to cover support Wed 2 Dec – Fri 4 Dec."
    )
    (ask,) = dms_to(fake_slack, "U2")
    assert ask.args["text"] == (
        "<@U1> is away Wed 2 Dec – Fri 4 Dec during their support week in <#C1>. "
        "Can you cover support on those days?"
    )
    assert who_on(services, date(2026, 12, 2)) == "U1"  # not before they accept
    slack.click(FakeSlack.find_button(ask, "Accept"), user="U2", channel="DU2")
    assert fake_slack.responses[-1].body["text"] == "Thank you: you're covering."
    assert fake_slack.last("chat.update").args["text"] == (
        ":white_check_mark: You're on support in <#C1> Wed 2 Dec – Fri 4 Dec, covering for <@U1>."
    )
    assert dms_to(fake_slack, "U1")[-1].args["text"] == (
        "<@U2> covers your support Wed 2 Dec – Fri 4 Dec while you're away."
    )
    assert fake_slack.messages_to("C1")[-1].args["text"] == (
        ":handshake: <@U2> is on support Wed 2 Dec – Fri 4 Dec, covering for <@U1>."
    )
    assert who_on(services, date(2026, 12, 1)) == "U1"
    assert who_on(services, date(2026, 12, 2)) == "U2"
    assert who_on(services, date(2026, 12, 4)) == "U2"
    assert who_on(services, date(2026, 12, 7)) == "U2"  # U2's own week follows
    shown = rota(slack, fake_slack, "show 2")
    assert "*Mon 30 Nov – Tue 1 Dec*  <@U1> · *Wed 2 Dec – Fri 4 Dec*  <@U2> covering" in shown, (
        shown
    )
    # Promises and unassigned tickets' digests follow the person covering.
    with services.session() as session:
        now = services.now()
        assert person_on_support(session, services.calendar, "U3", now) == "U2"
        routed = recipients(session, [None], calendar=services.calendar, now=now)
        assert routed.person_of[None] == "U2"
    slack.click(FakeSlack.find_button(ask, "Accept"), user="U2", channel="DU2")
    assert fake_slack.responses[-1].body["text"] == (
        "This cover request has already been answered; nothing changed."
    )
    fake_slack.assert_no_protocol_errors()


def test_a_decline_asks_the_next_and_only_the_asked_person_answers(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 2 Dec 4 Dec", user="U1")
    (ask,) = dms_to(fake_slack, "U2")
    slack.click(FakeSlack.find_button(ask, "Accept"), user="U3")
    assert fake_slack.responses[-1].body["text"] == (
        "This request is for <@U2>, so only they can answer it."
    )
    slack.click(FakeSlack.find_button(ask, "Decline"), user="U2", channel="DU2")
    assert fake_slack.responses[-1].body["text"] == "Declined."
    assert dms_to(fake_slack, "U1")[-1].args["text"] == (
        "<@U2> can't cover for you. I've asked <@U3> to cover support Wed 2 Dec – Fri 4 Dec."
    )
    (ask3,) = dms_to(fake_slack, "U3")
    slack.click(FakeSlack.find_button(ask3, "Accept"), user="U3", channel="DU3")
    assert who_on(services, date(2026, 12, 3)) == "U3"


def test_when_everyone_declines_the_lead_and_the_channel_are_told(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "lead <@U9>", user="U1")
    rota(slack, fake_slack, "away <@U1> today fri", user="U9")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Decline"), user="U2")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U3")[-1], "Decline"), user="U3")
    warning = (
        ":warning: <@U1> is away Wed 2 Dec – Fri 4 Dec and nobody could cover support: "
        "please arrange cover."
    )
    assert fake_slack.messages_to("C1")[-1].args["text"] == warning
    assert dms_to(fake_slack, "U9")[-1].args["text"] == f"{warning} (Rota in <#C1>.)"
    assert who_on(services, date(2026, 12, 3)) == "U1"


def test_someone_away_too_is_not_asked(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 3 Dec", user="U2")
    assert rota(slack, fake_slack, "away today fri", user="U1").endswith(
        "I've asked <@U3> to cover support Wed 2 Dec – Fri 4 Dec."
    )
    assert dms_to(fake_slack, "U2") == []


def test_an_absence_ending_mid_week_hands_the_rest_back(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, clock: MutableClock
) -> None:
    at_london(clock, 2026, 11, 30, 9, 30)  # Monday: the person on support falls ill
    start(slack, fake_slack)
    assert rota(slack, fake_slack, "away today tue", user="U1").endswith(
        "I've asked <@U2> to cover support Mon 30 Nov – Tue 1 Dec."
    )
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    assert who_on(services, date(2026, 11, 30)) == "U2"
    assert who_on(services, date(2026, 12, 1)) == "U2"
    assert who_on(services, date(2026, 12, 2)) == "U1"
    shown = rota(slack, fake_slack, "show 1")
    assert "*Mon 30 Nov – Tue 1 Dec*  <@U2> covering · *Wed 2 Dec – Fri 4 Dec*  <@U1>" in shown, (
        shown
    )


def test_accepting_late_covers_from_the_moment_of_accepting(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, clock: MutableClock
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 2 Dec 4 Dec", user="U1")
    at_london(clock, 2026, 12, 3, 11, 0)
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    assert who_on(services, date(2026, 12, 2)) == "U1"
    assert who_on(services, date(2026, 12, 3)) == "U2"


def test_stats_count_cover_by_working_day(
    slack: SlackDoor, fake_slack: FakeSlack, clock: MutableClock
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 2 Dec 4 Dec", user="U1")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    rota(slack, fake_slack, "away 14 Dec", user="U3")  # U1 covers U3's whole week
    at_london(clock, 2026, 12, 21, 12, 0)
    assert rota(slack, fake_slack, "stats") == (
        "*Last 6 months* (weeks served · cover days given · cover days taken)\n"
        "<@U1>: 2 · 5 · 3\n<@U2>: 1 · 3 · 0\n<@U3>: 1 · 0 · 5"
    )


def test_the_calendar_feed_shows_the_split(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1", name="ann", real_name="Ann Smith")
    fake_slack.add_user("U2", name="bob", real_name="Bob Jones")
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 2 Dec 3 Dec", user="U1")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    link = rota(slack, fake_slack, "ical")
    path = link[link.index("/rota/") :].split("`")[0].split()[0]
    body = slack.http.get(path).text
    events = [
        (start_line, end_line, summary)
        for start_line, end_line, summary in re.findall(
            r"DTSTART;VALUE=DATE:(\d+)\r\nDTEND;VALUE=DATE:(\d+)\r\nSUMMARY:([^\r]*)", body
        )
    ][:4]
    assert events == [
        ("20261130", "20261202", "Support: Ann Smith"),
        ("20261202", "20261204", "Support: Bob Jones (covering for Ann Smith)"),
        ("20261204", "20261205", "Support: Ann Smith"),
        ("20261207", "20261212", "Support: Bob Jones"),
    ]


def test_the_person_covering_hands_over_at_the_end_of_the_week(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, clock: MutableClock
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away 2 Dec 4 Dec", user="U1")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Decline"), user="U2")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U3")[-1], "Accept"), user="U3")
    at_london(clock, 2026, 12, 4, 15, 0)
    fake_slack.clear()
    run_job(services, handover.JOB, now=services.now())
    assert [m.args["channel"] for m in fake_slack.calls_to("chat.postMessage")] == ["U3", "U2"]


def test_who_names_the_person_covering(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away today thu", user="U1")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    assert rota(slack, fake_slack, "who") == "Posted in the channel."
    assert fake_slack.messages_to("C1")[-1].args["text"] == (
        ":technologist: On support now: <@U2>, covering for <@U1> until Thu 3 Dec.\n"
        "Next: <@U2>, Mon 7 Dec – Fri 11 Dec."
    )


def home_line(slack: SlackDoor, fake_slack: FakeSlack, user: str) -> str:
    slack.event({"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"})
    call = fake_slack.last("views.publish")
    assert call.args["user_id"] == user
    text = FakeSlack.texts(call.args["view"])
    (line,) = [line for line in text.splitlines() if "on support now" in line]
    return line


def test_the_app_home_names_the_person_covering_this_week(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services, clock: MutableClock
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away today thu", user="U1")  # Wed 2 Dec – Thu 3 Dec
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    assert who_on(services, date(2026, 12, 2)) == "U2"
    assert home_line(slack, fake_slack, "U1") == (
        "<@U2> is on support now, covering for you until Thu 3 Dec. Back to you from Fri 4 Dec."
    )
    assert home_line(slack, fake_slack, "U2") == (
        "You're on support now, covering for <@U1> until Thu 3 Dec. Back to <@U1> from Fri 4 Dec."
    )
    assert home_line(slack, fake_slack, "U3") == (
        "<@U2> is on support now, covering for <@U1> until Thu 3 Dec. Back to <@U1> from Fri 4 Dec."
    )
    # Friday: U1 is back for the rest of the week.
    at_london(clock, 2026, 12, 4, 10, 0)
    assert who_on(services, date(2026, 12, 4)) == "U1"
    assert home_line(slack, fake_slack, "U3") == "<@U1> is on support now, until Fri 4 Dec."


def test_the_app_home_tells_of_cover_later_in_the_week(
    slack: SlackDoor, fake_slack: FakeSlack, services: Services
) -> None:
    start(slack, fake_slack)
    rota(slack, fake_slack, "away thu fri", user="U1")
    slack.click(FakeSlack.find_button(dms_to(fake_slack, "U2")[-1], "Accept"), user="U2")
    assert who_on(services, date(2026, 12, 2)) == "U1"
    assert home_line(slack, fake_slack, "U2") == (
        "<@U1> is on support now, until Wed 2 Dec. You cover from Thu 3 Dec."
    )
    assert home_line(slack, fake_slack, "U1") == (
        "You're on support now, until Wed 2 Dec. <@U2> covers from Thu 3 Dec."
    )
