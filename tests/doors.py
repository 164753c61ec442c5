"""The doors tests use, the same ones a user uses: signed HTTP requests into the running app."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import sqlalchemy
from sqlalchemy.engine import Engine
from waitress.server import BaseWSGIServer, MultiSocketServer

from bot.after_answer import AfterAnswer
from bot.http.server import create_http_server
from bot.http.wsgi import WsgiApp
from tests.store.statements_seen import watch_driver

SIGNING_SECRET = "test-signing-secret"


class TrackingExecutor(ThreadPoolExecutor):
    """Runs after-ack work on real threads, and lets a test wait until all of it is done."""

    def __init__(self) -> None:
        super().__init__(max_workers=64, thread_name_prefix="test-after-ack")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []
        self._watched: list[AfterAnswer] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)
        if future.exception() is not None:
            self.errors.append(future.exception())  # type: ignore[arg-type]

    def watch(self, after_answer: AfterAnswer) -> None:
        """Wait for the work web threads run after their answers too, and count its failures."""
        self._watched.append(after_answer)
        after_answer.on_failure = self.errors.append

    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or any(watched.taken for watched in self._watched)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every piece of submitted work (and the work it submitted) has finished,
        and the work web threads took after their answers (which may submit more)."""
        deadline = time.monotonic() + timeout
        while True:
            for watched in self._watched:
                if not watched.wait_idle(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("work after an answer did not finish")
            # Idle first, then the futures: work that finishes in between submitted its own.
            idle = not any(watched.taken for watched in self._watched)
            with self._lock:
                pending = list(self._pending)
            if not pending and idle:
                return
            for future in pending:
                future.result(timeout=max(0.0, deadline - time.monotonic()))


@dataclass
class MutableClock:
    """The app's clock in tests: fixed until a test moves it."""

    current: datetime = field(default_factory=lambda: datetime(2026, 12, 2, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.current

    def set(self, when: datetime) -> None:
        assert when.tzinfo is not None, "the clock only holds aware instants"
        self.current = when.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


def sign(
    body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Headers exactly as Slack signs a request: v0:{timestamp}:{body}, HMAC-SHA256."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def command_body(
    command: str,
    text: str,
    *,
    user: str,
    channel: str,
    response_url: str,
    trigger_id: str,
    team: str = "T1",
) -> str:
    """A slash command's form body, as Slack posts it."""
    return urlencode(
        {
            "token": "deprecated",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


class AppServer:
    """The WSGI app on waitress in a thread, on a free loopback port."""

    def __init__(self, wsgi: WsgiApp) -> None:
        self.after_answer = getattr(wsgi, "after_answer", None)
        self.server: BaseWSGIServer | MultiSocketServer = create_http_server(
            wsgi, host="127.0.0.1", port=0
        )
        port = getattr(self.server, "effective_port", None)
        self.url = f"http://127.0.0.1:{port}"
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True, name="test-http")

    def _serve(self) -> None:
        # Poll in short slices so the server is closed by its own thread, never mid-select.
        while not self._stopping.is_set():
            self.server.asyncore.loop(timeout=0.02, map=self.server._map, count=1)  # type: ignore[union-attr]
        self.server.close()
        self.server.task_dispatcher.shutdown()

    def start(self) -> AppServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.thread.join(5)
        if self.after_answer is not None:
            self.after_answer.stop_watching()


def ack_message(response: httpx.Response) -> dict[str, Any] | None:
    """The message a slash command's ack carries, as Slack reads it (None: a bare ack)."""
    if response.status_code != 200 or not response.content:
        return None
    if not response.headers.get("content-type", "").startswith("application/json"):
        return {"text": response.text}
    body = response.json()
    return body if isinstance(body, dict) and ("text" in body or "blocks" in body) else None


def record_app_sql(engine: Engine, statements: list[str]) -> None:
    """Record the SQL the app runs for a request, through SQLAlchemy or straight through the
    driver (PostgreSQL), except the door's memory of signatures."""

    def note(statement: str, _autocommit: bool = False) -> None:
        if "seen_slack_request" not in statement and "lock_timeout" not in statement:
            statements.append(statement)

    sqlalchemy.event.listen(engine, "before_cursor_execute", lambda *args: note(args[2]))
    sqlalchemy.event.listen(
        engine, "checkout", lambda connection, *_args: watch_driver(connection, note)
    )


class SlackDoor:
    """Sends what Slack sends: slash commands, button clicks, modal submissions, events."""

    def __init__(
        self,
        base_url: str,
        *,
        response_url: Callable[[str], str],
        executor: TrackingExecutor,
        show_reply: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.response_url = response_url
        # Where Slack shows a command's answer given in the ack (by response_url token).
        self.show_reply = show_reply
        self.executor = executor
        self._counter = 0

    def close(self) -> None:
        self.http.close()

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def post(
        self,
        path: str,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        sent = {"Content-Type": content_type, **(sign(body) if signed else {}), **(headers or {})}
        return self.http.post(path, content=body.encode("utf-8"), headers=sent)

    def settle(self) -> None:
        """Wait for the work the app does after its ack."""
        self.executor.settle()
        errors = self.executor.errors
        if errors:
            raise AssertionError(f"after-ack work raised: {errors!r}")

    def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U1",
        channel: str = "C1",
        team: str = "T1",
        settle: bool = True,
    ) -> httpx.Response:
        token = self._next("cmd")
        body = command_body(
            command,
            text,
            user=user,
            channel=channel,
            response_url=self.response_url(token),
            trigger_id=self._next("trigger"),
            team=team,
        )
        response = self.post("/slack/events", body)
        answer = ack_message(response)
        if answer is not None and self.show_reply is not None:
            self.show_reply(token, answer)
        if settle:
            self.settle()
        return response

    def interact(self, payload: dict[str, Any], *, settle: bool = True) -> httpx.Response:
        response = self.post("/slack/events", urlencode({"payload": json.dumps(payload)}))
        if settle:
            self.settle()
        return response

    def click(
        self,
        button: dict[str, Any],
        *,
        user: str = "U1",
        channel: str = "C1",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        team: str = "T1",
        settle: bool = True,
    ) -> httpx.Response:
        """Click a button element (find it in a recorded message with FakeSlack.find_button)."""
        action = {
            "type": button.get("type", "button"),
            "action_id": button["action_id"],
            "block_id": button.get("block_id", "b1"),
            "value": button.get("value", ""),
            "action_ts": f"{time.time():.6f}",
        }
        return self.interact(
            self._block_actions(action, user, channel, message, view, team), settle=settle
        )

    def select(
        self,
        select: dict[str, Any],
        value: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        message: dict[str, Any] | None = None,
        team: str = "T1",
        settle: bool = True,
    ) -> httpx.Response:
        """Choose `value` in a static_select element."""
        options = {option["value"]: option for option in select.get("options", [])}
        assert value in options, f"{value!r} is not one of the options {sorted(options)}"
        action = {
            "type": "static_select",
            "action_id": select["action_id"],
            "block_id": select.get("block_id", "b1"),
            "selected_option": options[value],
            "action_ts": f"{time.time():.6f}",
        }
        return self.interact(
            self._block_actions(action, user, channel, message, None, team), settle=settle
        )

    def _block_actions(
        self,
        action: dict[str, Any],
        user: str,
        channel: str,
        message: dict[str, Any] | None,
        view: dict[str, Any] | None,
        team: str = "T1",
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "trigger_id": self._next("trigger"),
            "actions": [action],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        else:
            payload["channel"] = {"id": channel, "name": "support"}
            payload["response_url"] = self.response_url(self._next("act"))
            payload["message"] = message or {"ts": "1700000000.000100", "text": ""}
            payload["container"] = {
                "type": "message",
                "message_ts": payload["message"].get("ts", "1700000000.000100"),
                "channel_id": channel,
            }
        return payload

    def submit_view(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        *,
        user: str = "U1",
        team: str = "T1",
        settle: bool = True,
    ) -> httpx.Response:
        """Submit a modal; `values` is {block_id: {action_id: value-dict}} as Slack sends it."""
        submitted = {**view, "id": view.get("id", "V1"), "state": {"values": values}}
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "trigger_id": self._next("trigger"),
            "view": submitted,
        }
        return self.interact(payload, settle=settle)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        settle: bool = True,
    ) -> httpx.Response:
        envelope = {
            "token": "deprecated",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or self._next("Ev"),
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        headers = (
            {}
            if retry_num is None
            else {
                "X-Slack-Retry-Num": str(retry_num),
                "X-Slack-Retry-Reason": "http_timeout",
            }
        )
        response = self.post(
            "/slack/events", json.dumps(envelope), content_type="application/json", headers=headers
        )
        if settle:
            self.settle()
        return response


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """For what the app's own threads make true: looked at every 10 ms, up to `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
