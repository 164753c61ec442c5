"""Bolt's Socket Mode adapters through Slack's connection lifecycle, side by side.

Each adapter Bolt ships (the built-in slack_sdk client, websocket-client, aiohttp, websockets:
whichever are installed) drives the same bare Bolt app (`process_before_response=True`, one
slash command that acks a fixed text) against the fake Socket Mode server, and goes through:
envelopes right after a `refresh_requested` disconnect, then a close frame, a `link_disabled`
and a `warning` disconnect, a TCP connection dropped with no close frame (FIN, then RST), and
Slack unreachable for a while (CPU used while disconnected). Rotabot's own connection
(bot/http/socket_mode.py) runs the same course last.

Run as `python -m benchmarks.socket_adapters`; results in results/socket_adapters.json.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from benchmarks.common import BOT_TOKEN, Check, check, percentile, report
from bot.http.socket_mode import open_socket_mode
from tests.fakes.slack_api import FakeSlack
from tests.fakes.socket_mode import Connection, FakeSocketMode

APP_TOKEN = "xapp-bench"
FIXED_TEXT = "Got it."
# How long each case waits for something before calling it a failure.
GIVE_UP_S = 20.0
OFFLINE_S = 2.0
AFTER_REFRESH = 5  # envelopes sent right after each refresh_requested
REFRESHES = 20
# The targets of issue 13.
REFRESH_ACK_LIMIT_S = 1.0
RECONNECT_LIMIT_S = 2.0
IDLE_CPU_LIMIT = 0.05  # CPU seconds per second while Slack cannot be reached


def fixed_ack(ack: Ack) -> None:
    ack(text=FIXED_TEXT)


def bare_bolt(fake_slack: FakeSlack) -> App:
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake_slack.url),
        token_verification_enabled=False,
        request_verification_enabled=False,
        process_before_response=True,
    )
    app.command("/rota")(fixed_ack)
    return app


class Runner:
    """Starts and stops one adapter around a Bolt app."""

    def __init__(self, name: str, start: Callable[[], None], stop: Callable[[], None]) -> None:
        self.name = name
        self.start = start
        self.stop = stop


def sync_runner(name: str, app: App, factory: Callable[..., Any], **options: Any) -> Runner:
    handler = factory(app, APP_TOKEN, **options)
    return Runner(name, handler.connect, handler.close)


def async_runner(name: str, app: App, module: str, base_url: str) -> Runner:
    """An asyncio adapter's handler for a sync Bolt app, on an event loop of its own thread."""
    from slack_sdk.web.async_client import AsyncWebClient

    handler_class = importlib.import_module(module).SocketModeHandler
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    handlers: list[Any] = []

    async def build() -> None:
        # aiohttp's session must be made on a running loop.
        client = AsyncWebClient(token=BOT_TOKEN, base_url=base_url)
        handlers.append(handler_class(app, APP_TOKEN, web_client=client))

    def start() -> None:
        thread.start()
        asyncio.run_coroutine_threadsafe(build(), loop).result(GIVE_UP_S)
        asyncio.run_coroutine_threadsafe(handlers[0].connect_async(), loop).result(GIVE_UP_S)

    def stop() -> None:
        asyncio.run_coroutine_threadsafe(handlers[0].close_async(), loop).result(GIVE_UP_S)
        loop.call_soon_threadsafe(loop.stop)

    return Runner(name, start, stop)


@dataclass
class Course:
    """What one adapter did on the course: seconds per case (None: never)."""

    refresh_acks: list[float] = field(default_factory=list)
    reconnect: dict[str, float | None] = field(default_factory=dict)
    idle_cpu: float | None = None
    errors: list[str] = field(default_factory=list)


def command(user: str = "U1") -> dict[str, Any]:
    return {
        "command": "/rota",
        "text": "",
        "user_id": user,
        "channel_id": "C1",
        "team_id": "T1",
        "api_app_id": "A1",
        "response_url": "http://127.0.0.1:9/response/x",
        "trigger_id": "trigger-1",
    }


def answered(sock: FakeSocketMode, connection: Connection, timeout: float) -> float | None:
    """Send a command on `connection`; seconds until its ack, or None."""
    try:
        envelope = sock.send("slash_commands", command(), connection=connection)
        return sock.wait_ack(envelope, timeout).seconds
    except (AssertionError, OSError):
        return None


def newest(sock: FakeSocketMode) -> Connection:
    sock.wait_for_connection(timeout=GIVE_UP_S)
    return max(sock.open_connections, key=lambda c: c.number)


def time_to_answer(sock: FakeSocketMode, before: int, started: float) -> float | None:
    """From `started` until a command sent on the first connection after number `before` is
    acked; None if that never happens within GIVE_UP_S."""
    try:
        fresh = sock.wait_for_connection(after=before, timeout=GIVE_UP_S)
    except AssertionError:
        return None
    seconds = answered(sock, fresh, GIVE_UP_S)
    return None if seconds is None else time.monotonic() - started


def run_course(sock: FakeSocketMode, runner: Runner) -> Course:
    course = Course()
    runner.start()
    try:
        first = sock.wait_for_connection(timeout=GIVE_UP_S)
        if answered(sock, first, GIVE_UP_S) is None:
            course.errors.append("never answered on its first connection")
            return course
        for _ in range(REFRESHES):
            old = newest(sock)
            sock.disconnect(old, "refresh_requested")
            # Right after it: the fake sends them over the next connection once there is one,
            # and each one's time counts from now.
            sent = [sock.send("slash_commands", command()) for _ in range(AFTER_REFRESH)]
            for envelope in sent:
                try:
                    course.refresh_acks.append(sock.wait_ack(envelope, GIVE_UP_S).seconds)
                except AssertionError:
                    course.refresh_acks.append(float("inf"))
            old.close(1001, "refreshed")
        for case, end in (
            ("close frame", lambda c: c.close(1001, "going away")),
            ("link_disabled", lambda c: sock.disconnect(c, "link_disabled")),
            ("warning", lambda c: sock.disconnect(c, "warning")),
            ("dropped TCP (FIN)", lambda c: c.drop()),
            ("dropped TCP (RST)", lambda c: c.drop(reset=True)),
        ):
            try:
                old = newest(sock)
            except AssertionError:
                course.errors.append(f"no connection left before {case}")
                break
            started = time.monotonic()
            end(old)
            course.reconnect[case] = time_to_answer(sock, old.number, started)
            for leftover in sock.open_connections:
                if leftover.number <= old.number:
                    leftover.close(1001)
        course.idle_cpu = offline_cpu(sock)
        course.reconnect["back online"] = None
        started = time.monotonic()
        before = max((c.number for c in sock.connections), default=0)
        sock.come_back()
        course.reconnect["back online"] = time_to_answer(sock, before, started)
    finally:
        runner.stop()
    return course


def offline_cpu(sock: FakeSocketMode) -> float:
    """CPU seconds per second this process used while Slack could not be reached."""
    sock.go_offline()
    for connection in sock.open_connections:
        connection.drop()
    time.sleep(0.2)  # let the adapter notice; this is wall time being measured, not injected
    cpu, wall = time.process_time(), time.monotonic()
    time.sleep(OFFLINE_S)
    return (time.process_time() - cpu) / (time.monotonic() - wall)


def rotabot_runner(app: App) -> Runner:
    """The adapter as bot/http/socket_mode.py runs it."""
    handlers: list[Any] = []

    def start() -> None:
        handlers.append(open_socket_mode(app, APP_TOKEN))

    return Runner(ROTABOT, start, lambda: handlers[0].close())


ROTABOT = "websocket-client, as Rotabot runs it"


def runners(fake_slack: FakeSlack) -> list[Callable[[], Runner]]:
    found: list[Callable[[], Runner]] = []
    from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler as Builtin

    found.append(lambda: sync_runner("built-in (defaults)", bare_bolt(fake_slack), Builtin))
    if importlib.util.find_spec("websocket") is not None:
        from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler as WsClient

        found.append(
            lambda: sync_runner("websocket-client (defaults)", bare_bolt(fake_slack), WsClient)
        )
    found.append(lambda: rotabot_runner(bare_bolt(fake_slack)))
    for package, module in (
        ("aiohttp", "slack_bolt.adapter.socket_mode.aiohttp"),
        ("websockets", "slack_bolt.adapter.socket_mode.websockets"),
    ):
        if importlib.util.find_spec(package) is not None:
            found.append(asyncio_adapter(package, module, fake_slack))
    return found


def asyncio_adapter(package: str, module: str, fake_slack: FakeSlack) -> Callable[[], Runner]:
    def make() -> Runner:
        return async_runner(f"{package} (defaults)", bare_bolt(fake_slack), module, fake_slack.url)

    return make


def run() -> list[Check]:
    logging.basicConfig(level=logging.CRITICAL)
    courses: dict[str, Course] = {}
    with FakeSlack() as fake_slack:
        for make in runners(fake_slack):
            with FakeSocketMode() as sock:
                fake_slack.serve_socket_mode(sock.new_url, app_token=APP_TOKEN)
                runner = make()
                courses[runner.name] = run_course(sock, runner)
    print_comparison(courses)
    return report(
        "socket_adapters",
        "Socket Mode adapters through Slack's connection lifecycle",
        checks(courses[ROTABOT]),
        {name: summary(course) for name, course in courses.items()},
    )


def summary(course: Course) -> dict[str, Any]:
    acks = course.refresh_acks
    return {
        "refresh_ack_p50_ms": round(percentile(acks, 0.5) * 1000, 1),
        "refresh_ack_max_ms": round(max(acks, default=float("inf")) * 1000, 1),
        "refresh_acks_over_1s": sum(a > REFRESH_ACK_LIMIT_S for a in acks),
        "refresh_acks": len(acks),
        "answering_again_s": {
            case: None if seconds is None else round(seconds, 3)
            for case, seconds in course.reconnect.items()
        },
        "idle_cpu_per_s": None if course.idle_cpu is None else round(course.idle_cpu, 4),
        "errors": course.errors,
    }


def print_comparison(courses: dict[str, Course]) -> None:
    print(
        "\nadapter | refresh ack max (over 1 s) | answering again after: "
        + ", ".join(courses[ROTABOT].reconnect)
        + " | idle CPU s/s"
    )
    for name, course in courses.items():
        data = summary(course)
        again = ", ".join(
            "never" if s is None else f"{s:.2f} s" for s in data["answering_again_s"].values()
        )
        print(
            f"{name} | {data['refresh_ack_max_ms']} ms ({data['refresh_acks_over_1s']} of "
            f"{data['refresh_acks']}) | {again} | {data['idle_cpu_per_s']} | {course.errors}"
        )


def checks(course: Course) -> list[Check]:
    found = [
        check(
            f"Rotabot: ack after refresh_requested, max of {len(course.refresh_acks)} < 1 s",
            max(course.refresh_acks, default=float("inf")) * 1000,
            REFRESH_ACK_LIMIT_S * 1000,
            "ms",
        )
    ]
    for case, seconds in course.reconnect.items():
        found.append(
            check(
                f"Rotabot: answering again after {case} < 2 s",
                GIVE_UP_S if seconds is None else seconds,
                RECONNECT_LIMIT_S,
                "s",
                note="never" if seconds is None else "",
            )
        )
    found.append(
        check(
            "Rotabot: CPU while Slack is out of reach < 0.05 s/s",
            course.idle_cpu if course.idle_cpu is not None else 1.0,
            IDLE_CPU_LIMIT,
            "s/s",
        )
    )
    return found


if __name__ == "__main__":
    run()
