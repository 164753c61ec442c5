"""The HTTP door: signatures, shapes, routes, health, and ack-before-work."""

from __future__ import annotations

import json
import socket
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy
from slack_bolt import Ack, App
from sqlalchemy import create_engine

from bot.http.server import build_wsgi
from bot.http.wsgi import remembered_signatures
from bot.services import Services, build_services
from bot.settings import Settings
from bot.store.db import make_engine
from bot.store.promises import open_promises_of
from tests.doors import AppServer, SlackDoor, command_body, sign
from tests.fakes.zendesk_api import FakeZendesk
from tests.handlers.ticket_helpers import seed_ticket


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


def test_a_command_with_the_word_payload_in_it_reaches_its_handler_whole(
    bolt: App, slack: SlackDoor
) -> None:
    """Bolt's own form parser takes any body with "payload" in it for an interaction, and
    would hand the listeners an empty body (a 404 for the person): the door hands Bolt what
    it parsed itself. The command's text and its channel's name both say it here."""
    seen: list[str] = []
    register_echo(bolt, seen)
    body = command_body(
        "/echo",
        "send the payload spec",
        user="U1",
        channel="C1",
        response_url="https://hooks.slack.test/commands/1",
        trigger_id="t1",
    ).replace("channel_name=support", "channel_name=payload-team")
    response = slack.post("/slack/events", body)
    assert (response.status_code, response.text) == (200, "echo send the payload spec")
    assert seen == ["send the payload spec"]


def test_slacks_ssl_check_is_answered_when_bolt_checks_its_token(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack's certificate check, signed, is answered by the door: Bolt's own answer reads a
    token the door's payload does not carry when SLACK_VERIFICATION_TOKEN is set (a 500), and
    refuses the request when the token matches it (a 401)."""
    monkeypatch.setenv("SLACK_VERIFICATION_TOKEN", "legacy-token")
    server = AppServer(build_wsgi(services)).start()
    body = "ssl_check=1&token=legacy-token"
    try:
        response = httpx.post(
            f"{server.url}/slack/events",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
        )
    finally:
        server.stop()
    assert response.status_code == 200


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


def test_a_malformed_signature_header_or_body_is_401_and_logs_no_traceback(
    bolt: App, slack: SlackDoor, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    register_echo(bolt, seen)
    body = "command=%2Fecho&text=hi&user_id=U1&channel_id=C1&team_id=T1"
    signature = sign(body)["X-Slack-Signature"]
    for stamp in ["abc", "", "123.5", "1_2", "-1", "1" * 40, "١٢٣"]:
        headers = {"X-Slack-Request-Timestamp": stamp.encode(), "X-Slack-Signature": signature}
        response = slack.http.post(
            "/slack/events",
            content=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        assert response.status_code == 401, stamp
    not_utf8 = b"command=%2Fecho&text=\xff\xfe"
    stamp = str(int(time.time()))
    response = slack.http.post(
        "/slack/events",
        content=not_utf8,
        headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + "0" * 64},
    )
    assert response.status_code == 401
    odd_signature = {**sign(body), "X-Slack-Signature": "v0=é".encode("latin-1")}
    response = slack.http.post("/slack/events", content=body.encode(), headers=odd_signature)
    assert response.status_code == 401
    slack.settle()
    assert seen == []
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= 40]


def test_a_replayed_request_is_acknowledged_and_not_handled_again(
    zendesk_services: Services, fake_zendesk: FakeZendesk, slack: SlackDoor
) -> None:
    seed_ticket(fake_zendesk)
    body = command_body(
        "/ticket",
        "promise 101 tomorrow",
        user="U1",
        channel="C1",
        response_url=slack.response_url("once"),
        trigger_id="trigger-once",
    )
    headers = sign(body)
    answers = [slack.post("/slack/events", body, signed=False, headers=headers) for _ in range(3)]
    slack.settle()
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[1].content == answers[2].content == b""
    with zendesk_services.session() as session:
        assert len(open_promises_of(session=session, owner="U1")) == 1


def test_a_write_lock_held_elsewhere_does_not_hold_the_door(
    bolt: App, slack: SlackDoor, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    register_echo(bolt, seen)
    holder = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        response = slack.command("/echo", "hello")
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert (response.status_code, response.text, seen) == (200, "echo hello", ["hello"])
    assert waited < 2


def test_a_request_signed_two_windows_ago_is_forgotten(services: Services) -> None:
    first_time = remembered_signatures(services)
    now = datetime.now(UTC)
    assert first_time("v0=old", now - timedelta(minutes=11))
    assert not first_time("v0=old", now - timedelta(minutes=11))
    assert first_time("v0=new", now)
    assert first_time("v0=old", now - timedelta(minutes=11))


def test_slacks_own_retry_of_an_event_still_reaches_the_event_id_check(
    bolt: App, slack: SlackDoor
) -> None:
    opened: list[str] = []
    bolt.event("app_mention")(lambda event: opened.append(event["user"]))
    envelope = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvONCE",
        "event": {"type": "app_mention", "user": "U1", "channel": "C1", "text": "hi"},
    }
    body = json.dumps(envelope)
    headers = {**sign(body), "X-Slack-Retry-Num": "1"}
    first = slack.post("/slack/events", body, content_type="application/json")
    retry = slack.post("/slack/events", body, content_type="application/json", headers=headers)
    slack.settle()
    assert (first.status_code, retry.status_code) == (200, 200)
    assert opened == ["U1"]


def test_head_answers_carry_no_body_on_a_kept_alive_connection(app_server: AppServer) -> None:
    url = httpx.URL(app_server.url)
    with socket.create_connection((url.host, url.port), timeout=5) as connection:
        connection.sendall(
            b"HEAD /healthz HTTP/1.1\r\nHost: rotabot\r\n\r\n"
            b"GET /healthz HTTP/1.1\r\nHost: rotabot\r\nConnection: close\r\n\r\n"
        )
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Content-Length: 30" in head
    assert rest.startswith(b"HTTP/1.1 200 OK"), rest[:80]
    assert rest.endswith(b"\r\n\r\n" + b'{"ok": true, "database": "ok"}')


def test_head_of_a_path_without_get_is_405_without_a_body(app_server: AppServer) -> None:
    response = httpx.head(f"{app_server.url}/slack/events")
    assert response.status_code == 405
    assert response.content == b""


def health_of(settings: Settings, database_url: str) -> httpx.Response:
    services = build_services(Settings(**{**settings.__dict__, "database_url": database_url}))
    server = AppServer(build_wsgi(services)).start()
    try:
        return httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
        services.engine.dispose()


def test_healthz_is_503_when_a_sqlite_database_is_read_only(
    settings: Settings, sqlite_url: str
) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    response = health_of(settings, f"sqlite:///file:{path}?mode=ro&uri=true")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": "read-only"}


def test_healthz_tells_a_busy_sqlite_database_from_a_read_only_one(
    slack: SlackDoor, settings: Settings
) -> None:
    holder = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        response = slack.http.get("/healthz")
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert (response.status_code, response.json()) == (200, {"ok": True, "database": "busy"})
    assert waited < 2


def test_healthz_is_503_when_a_postgresql_session_is_read_only(
    settings: Settings, pg_url: str
) -> None:
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        database = connection.exec_driver_sql("SELECT current_database()").scalar()
        connection.exec_driver_sql(
            f'ALTER DATABASE "{database}" SET default_transaction_read_only = on'
        )
    engine.dispose()
    response = health_of(settings, pg_url)
    assert response.status_code == 503
    assert response.json() == {"ok": False, "database": "read-only"}


def test_web_processes_on_one_postgresql_know_each_others_requests(pg_url: str) -> None:
    """Each process's door has its own memory; PostgreSQL is what they share."""
    engine = make_engine(pg_url)
    try:
        first_process = remembered_signatures(SimpleNamespace(engine=engine))
        second_process = remembered_signatures(SimpleNamespace(engine=engine))
        now = datetime.now(UTC)
        assert first_process("v0=abc", now)
        assert not second_process("v0=abc", now)
        assert second_process("v0=def", now)
    finally:
        engine.dispose()


def test_one_sqlite_process_remembers_requests_in_memory(services: Services) -> None:
    first_time = remembered_signatures(services)
    now = datetime.now(UTC)
    assert first_time("v0=abc", now) and not first_time("v0=abc", now)
    assert remembered_signatures(services)("v0=abc", now)  # another door: another process


def test_old_requests_are_forgotten_once_a_minute_not_at_every_request(pg_url: str) -> None:
    """A DELETE at every request made requests queue for the same old rows' locks."""
    engine = make_engine(pg_url)
    deletes: list[str] = []
    sqlalchemy.event.listen(
        engine,
        "before_cursor_execute",
        lambda *args: deletes.append(args[2]) if args[2].startswith("DELETE") else None,
    )
    try:
        first_time = remembered_signatures(SimpleNamespace(engine=engine))
        now = datetime.now(UTC)
        assert first_time("v0=old", now - timedelta(minutes=11))
        assert not first_time("v0=old", now - timedelta(minutes=11))
        assert len(deletes) == 1  # the process's first request forgets what is due
        assert first_time("v0=new", now)  # ten minutes on: forgotten...
        assert first_time("v0=old", now - timedelta(minutes=11))  # ...so no longer a replay
        assert len(deletes) == 2
        for n in range(5):
            assert first_time(f"v0=soon{n}", now + timedelta(seconds=10 * n))
        assert len(deletes) == 2  # within the minute: no more
        assert first_time("v0=later", now + timedelta(seconds=61))
        assert len(deletes) == 3
    finally:
        engine.dispose()
