"""The `rota-surfaces` job and `/rota group` / `/rota topic`, end to end: a Slack user group
and a topic line that follow who is on support, through the week change, a bank-holiday
Monday, a swap, cover, a hand-edited group, and a free workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import rota_surfaces
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import MutableClock, SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import at_london, dms_to, rota

LONDON = ZoneInfo("Europe/London")
GROUP = "group <!subteam^S1|@support>"

# Wed 2 Dec 2026 10:00; weeks go 30 Nov U1, 7 Dec U2, 14 Dec U3, 21 Dec U1, 28 Dec U2.


@pytest.fixture
def team(slack: SlackDoor, fake_slack: FakeSlack) -> FakeSlack:
    for user, name in [("U1", "ann"), ("U2", "bob"), ("U3", "cat"), ("U9", "lee")]:
        fake_slack.add_user(user, name=name)
    fake_slack.add_usergroup("S1", handle="support", users=("U9",))
    rota(slack, fake_slack, "add <@U1> <@U2> <@U3>")
    return fake_slack


def run_at(services: Services, *wall: int) -> int:
    when = datetime(*wall, tzinfo=LONDON).astimezone(UTC)
    report = run_job(services, rota_surfaces.JOB, now=when)
    assert not report.problems, report.problems
    return report.sent


def test_linking_sets_the_group_at_once_and_the_job_changes_nothing_more(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    reply = rota(slack, team, GROUP)
    assert reply.startswith("Linked @support: from now on it holds whoever is on support in <#C1>")
    assert team.usergroup_users("S1") == ["U1"]
    assert run_at(services, 2026, 12, 2, 10, 15) == 0
    updates = team.calls_to("usergroups.users.update")
    assert [(c.args["usergroup"], c.args["users"]) for c in updates] == [("S1", "U1")]
    team.assert_no_protocol_errors()


def test_group_by_plain_handle_unknown_group_and_off(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    assert rota(slack, team, "group @oncall").startswith(
        "Slack has no user group @oncall in this workspace."
    )
    assert rota(slack, team, "group support").startswith("Linked @support")
    assert rota(slack, team, "group <@U2>").startswith("I can't read `<@U2>` as a user group.")
    assert rota(slack, team, "group off") == (
        "Unlinked @support: Rotabot no longer changes its members (they stay as they are)."
    )
    team.edit_usergroup("S1", ("U3",))
    assert run_at(services, 2026, 12, 2, 11, 0) == 0
    assert team.usergroup_users("S1") == ["U3"]


def test_the_week_changes_at_nine_on_its_first_working_day(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    rota(slack, team, GROUP)
    assert run_at(services, 2026, 12, 5, 12, 0) == 0  # Saturday: still the week's person
    assert run_at(services, 2026, 12, 7, 8, 45) == 0
    assert team.usergroup_users("S1") == ["U1"]
    assert run_at(services, 2026, 12, 7, 9, 0) == 1
    assert team.usergroup_users("S1") == ["U2"]
    assert run_at(services, 2026, 12, 7, 9, 15) == 0


def test_after_a_bank_holiday_monday_the_change_is_on_tuesday(
    slack: SlackDoor, team: FakeSlack, services: Services, clock: MutableClock
) -> None:
    at_london(clock, 2026, 12, 24, 10, 0)
    rota(slack, team, GROUP)
    assert team.usergroup_users("S1") == ["U1"]
    assert run_at(services, 2026, 12, 28, 10, 0) == 0  # Boxing Day (observed)
    assert team.usergroup_users("S1") == ["U1"]
    assert run_at(services, 2026, 12, 29, 9, 0) == 1
    assert team.usergroup_users("S1") == ["U2"]


def test_a_swap_of_next_week_shows_when_that_week_starts(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    rota(slack, team, GROUP)
    rota(slack, team, "swap <@U3>", user="U2")
    slack.click(FakeSlack.find_button(dms_to(team, "U3")[-1], "Accept"), user="U3")
    assert team.usergroup_users("S1") == ["U1"]
    run_at(services, 2026, 12, 7, 9, 0)
    assert team.usergroup_users("S1") == ["U3"]


def test_cover_accepted_mid_week_changes_the_group_and_topic_at_once(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    team.edit_topic("C1", "Deploys on Thursdays")
    rota(slack, team, GROUP)
    rota(slack, team, "topic on")
    assert team.topic("C1") == "Deploys on Thursdays\nOn support: @ann until Fri 4 Dec"
    rota(slack, team, "away today thu", user="U1")
    slack.click(FakeSlack.find_button(dms_to(team, "U2")[-1], "Accept"), user="U2")
    assert team.usergroup_users("S1") == ["U2"]
    assert team.topic("C1") == "Deploys on Thursdays\nOn support: @bob until Thu 3 Dec"
    # The absence ends on Thursday: Friday is handed back.
    run_at(services, 2026, 12, 4, 9, 0)
    assert team.usergroup_users("S1") == ["U1"]
    assert team.topic("C1") == "Deploys on Thursdays\nOn support: @ann until Fri 4 Dec"


def test_the_topic_keeps_the_teams_own_edits_and_off_removes_only_its_line(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    rota(slack, team, "topic on")
    assert team.topic("C1") == "On support: @ann until Fri 4 Dec"
    team.edit_topic("C1", "Release freeze\nOn support: @ann until Fri 4 Dec\nbe kind")
    before = len(team.calls_to("conversations.setTopic"))
    assert run_at(services, 2026, 12, 2, 11, 0) == 0
    assert len(team.calls_to("conversations.setTopic")) == before
    run_at(services, 2026, 12, 7, 9, 0)
    assert team.topic("C1") == "Release freeze\nOn support: @bob until Fri 11 Dec\nbe kind"
    assert rota(slack, team, "topic off").startswith('Took the "On support" line out')
    assert team.topic("C1") == "Release freeze\nbe kind"
    assert rota(slack, team, "topic maybe").startswith("`topic` takes `on` or `off`")
    team.assert_no_protocol_errors()


def test_a_hand_edited_group_is_put_back_and_the_channel_told_once(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    rota(slack, team, GROUP)
    team.edit_usergroup("S1", ("U3", "U9"))
    assert run_at(services, 2026, 12, 2, 11, 0) == 1
    assert team.usergroup_users("S1") == ["U1"]
    told = [m.args["text"] for m in team.messages_to("C1") if "@support" in m.args["text"]]
    assert told == [
        "@support always holds whoever is on support, and Rotabot keeps it so: it put <@U1> "
        "back. Change who is on support with `/rota swap` or `/rota away`, and the group follows."
    ]
    team.edit_usergroup("S1", ("U3",))
    assert run_at(services, 2026, 12, 2, 11, 15) == 1
    assert team.usergroup_users("S1") == ["U1"]
    assert len([m for m in team.messages_to("C1") if "@support" in m.args["text"]]) == 1


def test_nobody_on_support_keeps_the_group_and_tells_the_channel_once(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    rota(slack, team, GROUP)
    rota(slack, team, "away 2 Dec 4 Dec", user="U2")
    rota(slack, team, "away 2 Dec 4 Dec", user="U3")
    reply = rota(slack, team, "away today fri", user="U1")
    assert "Nobody is available to cover Wed 2 Dec – Fri 4 Dec" in reply
    assert team.usergroup_users("S1") == ["U1"]  # never emptied
    nobody = "Nobody is on support now, so @support keeps its members until someone is."
    assert [m.args["text"] for m in team.messages_to("C1")].count(nobody) == 1
    run_at(services, 2026, 12, 3, 9, 0)
    assert [m.args["text"] for m in team.messages_to("C1")].count(nobody) == 1
    assert all(c.args["users"] for c in team.calls_to("usergroups.users.update"))


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("free", "Slack refused the user group (paid_teams_only). User groups need a paid"),
        ("scope", "Slack refused the user group (missing_scope). Rotabot lacks the usergroups"),
        ("token", "Slack refused the user group (not_allowed_token_type). Slack does not let"),
    ],
)
def test_a_workspace_that_cannot_have_user_groups_is_told_what_to_do(
    slack: SlackDoor, team: FakeSlack, setup: str, says: str
) -> None:
    if setup == "free":
        team.free_plan()
    elif setup == "scope":
        team.without_scope("usergroups:read")
    else:
        team.fail("usergroups.list", status=200, error="not_allowed_token_type")
    assert rota(slack, team, GROUP).startswith(says)
    assert rota(slack, team, "show 1").startswith("Support rota")  # the rota is unharmed


def test_missing_write_scope_after_linking_is_reported(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    team.without_scope("usergroups:write")
    reply = rota(slack, team, GROUP)
    assert reply.startswith("Linked @support")
    assert ":warning: <#C1> Slack refused the user group (missing_scope)." in reply
    report = run_job(services, rota_surfaces.JOB, now=services.now())
    assert report.problems and "missing_scope" in report.problems[0]


def test_help_describes_groups_topics_and_cover(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    usage = rota(slack, fake_slack, "help")
    assert "`/rota group @support` / `/rota group off`" in usage
    assert "`/rota topic on` / `/rota topic off`" in usage
    assert "inside a week under way, the rest of its working days are offered" in usage


def test_a_dry_run_says_what_it_would_change_and_changes_nothing(
    slack: SlackDoor, team: FakeSlack, services: Services
) -> None:
    rota(slack, team, GROUP)
    rota(slack, team, "topic on")
    team.edit_usergroup("S1", ("U3",))
    team.edit_topic("C1", "Freeze")
    said: list[str] = []
    team.clear()
    run_job(services, rota_surfaces.JOB, now=services.now(), dry_run=True, echo=said.append)
    assert said == [
        "would set @support to <@U1> (it holds <@U3>)",
        "would set the topic of <#C1> to 'Freeze\\nOn support: @ann until Fri 4 Dec'",
    ]
    assert {c.method for c in team.calls} == {"usergroups.users.list", "conversations.info"}
    assert team.usergroup_users("S1") == ["U3"]
