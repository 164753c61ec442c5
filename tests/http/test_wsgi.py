"""The HTTP door: signatures, shapes, routes, health, and ack-before-work."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from slack_bolt import Ack, App

from bot.http.server import build_wsgi
from bot.services import build_services
from bot.settings import Settings
from tests.doors import AppServer, SlackDoor, sign


def register_echo(bolt: App, seen: list[str]) -> None:
    def echo(ack: Ack, command: dict[str, Any]) -> None:
        ack(f"echo {command['text']}")
        seen.append(command["text"])

    bolt.command("/echo")(echo)


def test_healthz_reports_the_database(slack: SlackDoor) -> None:
    response = slack.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok"}


def test_healthz_is_503_when_the_database_is_down(settings: Settings) -> None:
    broken = Settings(**{**settings.__dict__, "database_url": "sqlite:////no/such/dir/x.db"})
    server = AppServer(build_wsgi(build_services(broken))).start()
    try:
        response = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": "unreachable"}


def test_a_signed_command_reaches_its_handler(bolt: App, slack: SlackDoor) -> None:
    seen: list[str] = []
    register_echo(bolt, seen)
    response = slack.command("/echo", "hello")
    assert response.status_code == 200
    assert response.text == "echo hello"
    assert seen == ["hello"]


def test_forged_signature_is_refused_with_no_side_effect(bolt: App, slack: SlackDoor) -> None:
    seen: list[str] = []
    register_echo(bolt, seen)
    body = "command=%2Fecho&text=hi&user_id=U1&channel_id=C1&team_id=T1"
    forged = sign(body, secret="not-the-secret")
    response = slack.post("/slack/events", body, signed=False, headers=forged)
    assert response.status_code == 401
    unsigned = slack.post("/slack/events", body, signed=False)
    assert unsigned.status_code == 401
    slack.settle()
    assert seen == []


def test_stale_signature_is_refused(bolt: App, slack: SlackDoor) -> None:
    seen: list[str] = []
    register_echo(bolt, seen)
    body = "command=%2Fecho&text=hi&user_id=U1&channel_id=C1&team_id=T1"
    six_minutes_ago = int(time.time()) - 6 * 60
    response = slack.post(
        "/slack/events", body, signed=False, headers=sign(body, timestamp=six_minutes_ago)
    )
    assert response.status_code == 401
    slack.settle()
    assert seen == []


def test_url_verification_is_answered(slack: SlackDoor) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "xyz", "token": "t"})
    response = slack.post("/slack/events", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "xyz"}


def test_unknown_route_is_404_and_wrong_method_405(slack: SlackDoor) -> None:
    assert slack.http.get("/nope").status_code == 404
    assert slack.http.post("/slack/events/extra").status_code == 404
    assert slack.http.get("/slack/events").status_code == 405


def test_signed_body_that_is_not_what_slack_sends_is_400(slack: SlackDoor) -> None:
    for body, content_type in [
        ("hello=world", "application/x-www-form-urlencoded"),
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ('{"no": "type"}', "application/json"),
        ("[1, 2, 3]", "application/json"),
        ("{broken", "application/json"),
    ]:
        response = slack.post("/slack/events", body, content_type=content_type)
        assert response.status_code == 400, body
