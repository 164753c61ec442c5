"""The calendar feed: RFC 5545 text, and `GET /rota/<secret>.ics` end to end."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import httpx
import pytest
from slack_bolt import App

from bot.http.ical_feed import calendar_feed, escape_text, fold
from bot.http.wsgi import WsgiApp, build_router
from bot.services import Services
from bot.settings import ConfigError, parse_settings
from bot.store.rota import Rota, RotaWeek
from tests.doors import AppServer, SlackDoor, TrackingExecutor
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


def test_feeds_never_ask_slack_nor_take_the_threads_slack_needs(
    services: Services, bolt: App, fake_slack: FakeSlack, executor: TrackingExecutor
) -> None:
    fake_slack.add_user("U1", name="ann", real_name="Ann Smith")
    fake_slack.add_user("U2", name="bo", real_name="Bo Jones")
    slots = threading.BoundedSemaphore(2)
    server = AppServer(WsgiApp(build_router(services, bolt, feed_slots=slots))).start()
    door = SlackDoor(
        server.url,
        response_url=fake_slack.response_url,
        executor=executor,
        show_reply=fake_slack.show_ack_reply,
    )

    def fetch_20(path: str) -> list[httpx.Response]:
        with ThreadPoolExecutor(max_workers=20) as pool:
            return list(pool.map(lambda _: httpx.get(server.url + path, timeout=10), range(20)))

    try:
        rota(door, fake_slack, "add <@U1> <@U2>")
        path = feed_path(rota(door, fake_slack, "ical"))
        fake_slack.clear()
        fake_slack.fail("users.info", status=429, retry_after=30, times=1000)

        fetched = fetch_20(path)
        assert {response.status_code for response in fetched} <= {200, 503}
        served = [response.text for response in fetched if response.status_code == 200]
        assert served
        assert all("SUMMARY:Support: Ann Smith\r\n" in body for body in served)
        assert all("SUMMARY:Support: Bo Jones\r\n" in body for body in served)
        assert fake_slack.calls_to("users.info") == []

        # Every feed slot busy: feeds are turned away at once; Slack's requests still answer.
        assert slots.acquire(blocking=False) and slots.acquire(blocking=False)
        try:
            turned_away = fetch_20(path)
            assert {response.status_code for response in turned_away} == {503}
            assert {response.headers["retry-after"] for response in turned_away} == {"60"}
            assert "`/rota ical`" in rota(door, fake_slack, "help")
        finally:
            slots.release()
            slots.release()
        assert httpx.get(server.url + path, timeout=10).status_code == 200
        assert fake_slack.calls_to("users.info") == []
    finally:
        door.close()
        server.stop()
