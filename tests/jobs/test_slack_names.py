"""`slack-names`: the names calendar feeds show are refreshed from Slack, outside any request."""

from __future__ import annotations

from bot.jobs import slack_names
from bot.jobs.runner import run_job
from bot.services import Services
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import rota
from tests.http.test_ical_feed import feed_path


def test_a_renamed_person_shows_their_new_name_after_the_refresh(
    services: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U1", name="ann", real_name="Ann Smith")
    rota(slack, fake_slack, "add <@U1> <@U2>")
    path = feed_path(rota(slack, fake_slack, "ical"))
    assert "SUMMARY:Support: Ann Smith\r\n" in slack.http.get(path).text
    # Both change their names in Slack; the feed keeps what it learned, asking nobody.
    fake_slack.add_user("U1", name="ann", real_name="Ann Jones")
    fake_slack.add_user("U2", name="bo", real_name="Bo Brown")
    fake_slack.clear()
    assert "SUMMARY:Support: u2\r\n" in slack.http.get(path).text
    assert fake_slack.calls_to("users.info") == []

    report = run_job(services, slack_names.JOB, now=services.now())

    assert report.summary == "2 of 2 names refreshed" and report.problems == []
    body = slack.http.get(path).text
    assert "SUMMARY:Support: Ann Jones\r\n" in body
    assert "SUMMARY:Support: Bo Brown\r\n" in body


def test_people_slack_no_longer_knows_are_reported_and_keep_their_last_name(
    services: Services, slack: SlackDoor, fake_slack: FakeSlack
) -> None:
    rota(slack, fake_slack, "add <@U9>")
    fake_slack.fail("users.info", status=200, error="user_not_found")
    report = run_job(services, slack_names.JOB, now=services.now())
    assert report.summary == "0 of 1 names refreshed"
    assert report.problems == ["Slack did not say who U9 are"]
    path = feed_path(rota(slack, fake_slack, "ical", user="U9"))
    assert "SUMMARY:Support: u9\r\n" in slack.http.get(path).text
