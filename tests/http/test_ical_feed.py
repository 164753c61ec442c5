"""The calendar feed: RFC 5545 text, and `GET /rota/<secret>.ics` end to end."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from bot.http.ical_feed import calendar_feed, escape_text, fold
from bot.settings import ConfigError, parse_settings
from bot.store.rota import Rota, RotaWeek
from tests.doors import SlackDoor
from tests.fakes.slack_api import FakeSlack
from tests.handlers.rota_helpers import rota


def test_escape_text() -> None:
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_fold_keeps_lines_within_75_octets_and_whole_characters() -> None:
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line


def test_calendar_feed_exact() -> None:
    week = RotaWeek(
        rota_id=7,
        week_start=date(2026, 12, 7),
        planned_user="U1",
        planned_position=1,
        user_id="U1",
    )
    feed = calendar_feed(
        Rota(id=7, channel_id="C1", created_by="U1"),
        [week],
        name=lambda _user: "Ann, O'Neil",
        now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    )
    assert feed == (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Rotabot//Support rota//EN\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Support rota\r\n"
        "BEGIN:VEVENT\r\nUID:rota-7-20261207@rotabot\r\nDTSTAMP:20261202T100000Z\r\n"
        "DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261212\r\n"
        "SUMMARY:Support: Ann\\, O'Neil\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )


def feed_path(reply: str) -> str:
    match = re.search(r"/rota/[A-Za-z0-9_-]+\.ics", reply)
    assert match is not None, reply
    return match[0]


def test_feed_over_http_with_real_names(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U1", name="ann", real_name="Ann Smith")
    rota(slack, fake_slack, "add <@U1> <@U2>")
    path = feed_path(rota(slack, fake_slack, "ical"))
    response = slack.http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert body.count("BEGIN:VEVENT") == 6
    assert "SUMMARY:Support: Ann Smith\r\n" in body
    assert "UID:rota-1-20261130@rotabot" in body


def test_reset_makes_the_old_link_stop_working(slack: SlackDoor, fake_slack: FakeSlack) -> None:
    rota(slack, fake_slack, "add <@U1>")
    old = feed_path(rota(slack, fake_slack, "ical"))
    reply = rota(slack, fake_slack, "ical reset")
    assert "the old one no longer works" in reply
    new = feed_path(reply)
    assert new != old
    assert slack.http.get(old).status_code == 404
    assert slack.http.get(new).status_code == 200
    assert slack.http.get("/rota/nope.ics").status_code == 404


def test_public_url_setting() -> None:
    settings = parse_settings({"ROTABOT_PUBLIC_URL": "https://rota.example.com/"})
    assert settings.public_url == "https://rota.example.com"
    assert parse_settings({}).public_url is None
    with pytest.raises(ConfigError, match="ROTABOT_PUBLIC_URL must be an http"):
        parse_settings({"ROTABOT_PUBLIC_URL": "rota.example.com"})
