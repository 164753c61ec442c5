"""The HTTP load generator the ack benchmarks share: signed Slack requests to servers on
loopback, each timed until its answer is shown (in the ack, or posted to its response_url on
the fake Slack), closed loop at a concurrency or open loop at a fixed rate."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from benchmarks.common import SIGNING_SECRET, command_body, paused_gc, percentile
from bot import ids
from bot.listeners import WORKING
from tests.doors import sign
from tests.fakes.slack_api import FakeSlack

MEMBERS = tuple(f"U{n}" for n in range(1, 11))
CHANNEL = "CROTA"
IN_FLIGHT = 64  # open connections per load run; waitress accepts 100 per process
# A request whose answer has not been shown after this long has failed.
ANSWER_TIMEOUT = 10.0
# A load run still going after this long stops sending: something is broken, not slow.
RUN_TIMEOUT = 90.0


@dataclass
class Run:
    """One load run: every answered request's time to a visible answer in ms, and failures."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    # How many answers came after the ack (response_url) rather than in it.
    later: int = 0
    # Every request's ack time in ms (Slack gives up on an ack after 3 s).
    acks: list[float] = field(default_factory=list)
    # The answered requests' times in ms by the server they were sent to (its place in the
    # Load's list): the closed loop's p99 is the slower server's.
    by_server: dict[int, list[float]] = field(default_factory=dict)

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies) + self.errors,
            "errors": self.errors,
            "answered_after_ack": self.later,
            "p50_ms": round(self.p(0.50), 2),
            "p95_ms": round(self.p(0.95), 2),
            "p99_ms": round(self.p(0.99), 2),
        }


class WatchedSlack(FakeSlack):
    """The fake Slack, noting when each response_url post arrives, by its token."""

    def __init__(self) -> None:
        super().__init__()
        self._waiting: dict[str, tuple[threading.Event, list[float]]] = {}
        self._waiting_lock = threading.Lock()

    def expect(self, token: str) -> None:
        with self._waiting_lock:
            self._waiting[token] = (threading.Event(), [])

    def arrived(self, token: str, timeout: float) -> float | None:
        """When the first post to the token's response_url arrived (perf_counter), or None."""
        with self._waiting_lock:
            event, when = self._waiting[token]
        event.wait(timeout)
        with self._waiting_lock:
            self._waiting.pop(token, None)
        return when[0] if when else None

    def _answer_response_url(self, token: str, body: bytes, *, port: int = 0) -> Any:
        reply = super()._answer_response_url(token, body, port=port)
        at = time.perf_counter()
        with self._waiting_lock:
            found = self._waiting.get(token)
        if found is not None and not found[1]:
            found[1].append(at)
            found[0].set()
        return reply


@dataclass(frozen=True)
class Prepared:
    body: bytes
    headers: dict[str, str]
    token: str


# What a kind of request sends: (command or None for a click, text for request number n).
Kind = tuple[str | None, Callable[[int], str]]


class Load:
    """Signed requests to one or more servers (in turn), timed until their answer is shown."""

    def __init__(
        self,
        urls: Sequence[str],
        fake_slack: WatchedSlack,
        *,
        ack_only: bool = False,
        pids: Sequence[int] = (),
    ) -> None:
        self.targets = [(url.split(":")[1].strip("/"), int(url.rsplit(":", 1)[1])) for url in urls]
        # The servers' processes, where the caller started them (for reading their CPU).
        self.pids = list(pids)
        self.fake_slack = fake_slack
        # The floor: its ack is all it answers, so the ack is what is timed.
        self.ack_only = ack_only
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()

    def prepared(self, kind: Kind, n: int) -> Prepared:
        """A signed slash command or click, ready to send, its response_url watched."""
        with self._lock:
            token = f"t{next(self._tokens)}"
        response_url = self.fake_slack.response_url(token)
        if not self.ack_only:
            self.fake_slack.expect(token)
        command, text = kind
        user = MEMBERS[n % 3]
        if command is not None:
            body = command_body(
                command, text(n), response_url=response_url, user=user, channel=CHANNEL
            )
            content_type = "application/x-www-form-urlencoded"
        else:
            body = urlencode({"payload": json.dumps(click_payload(text(n), user, response_url))})
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **sign(body, secret=SIGNING_SECRET)}
        return Prepared(body.encode(), headers, token)

    def connection(self, n: int) -> http.client.HTTPConnection:
        host, port = self.targets[n % len(self.targets)]
        return http.client.HTTPConnection(host, port, timeout=ANSWER_TIMEOUT)

    def send(self, connection: http.client.HTTPConnection, request: Prepared) -> tuple[bool, bool]:
        """Send one request; (whether it was answered, whether that was in the ack)."""
        connection.request("POST", "/slack/events", body=request.body, headers=request.headers)
        answer = connection.getresponse()
        raw = answer.read()
        if answer.status != 200:
            return False, False
        if self.ack_only or shown_in_ack(raw, answer.getheader("content-type") or ""):
            return True, True
        return True, False

    def timed(
        self,
        connections: dict[int, http.client.HTTPConnection],
        n: int,
        request: Prepared,
        started: float,
        result: Run,
        lock: threading.Lock,
    ) -> None:
        """Send request n on this thread's connection to its server; count its visible time."""
        slot = n % len(self.targets)
        ok, in_ack = False, False
        try:
            if slot not in connections:
                connections[slot] = self.connection(n)
            ok, in_ack = self.send(connections[slot], request)
        except (OSError, http.client.HTTPException):
            broken = connections.pop(slot, None)
            if broken is not None:
                broken.close()
        acked = time.perf_counter()
        shown = acked if in_ack else None
        if not self.ack_only:
            # Wait for the answer after the ack; only forget the token when it came in it.
            arrived = self.fake_slack.arrived(
                request.token, ANSWER_TIMEOUT if ok and not in_ack else 0
            )
            shown = shown if in_ack else arrived if ok else None
        with lock:
            if ok:
                result.acks.append((acked - started) * 1000)
            if shown is None:
                result.errors += 1
            else:
                result.latencies.append((shown - started) * 1000)
                result.by_server.setdefault(slot, []).append(result.latencies[-1])
                result.later += 0 if in_ack else 1

    def run(self, kind: Kind, *, concurrency: int, count: int) -> Run:
        """`count` requests, `concurrency` at a time, each sent when the last one's answer
        was shown."""
        result, lock = Run(), threading.Lock()
        numbers = itertools.count()
        deadline = time.monotonic() + RUN_TIMEOUT
        # Bodies are built and signed before the clock starts: the load generator shares the
        # two cores with the servers, and the less it does per request, the less it adds.
        prepared = [self.prepared(kind, n) for n in range(count)]

        def worker() -> None:
            connections: dict[int, http.client.HTTPConnection] = {}
            try:
                while (n := next(numbers)) < count and time.monotonic() < deadline:
                    self.timed(connections, n, prepared[n], time.perf_counter(), result, lock)
            finally:
                for connection in connections.values():
                    connection.close()

        # This process also hosts the fakes, whose records grow all run long: its garbage is
        # collected between runs, not during one, so its own pauses are not counted as the
        # servers' latency.
        with paused_gc(), ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(worker) for _ in range(concurrency)]:
                future.result()
        result.errors += count - len(result.latencies) - result.errors
        return result

    def at_rate(self, kind: Kind, rate: float, seconds: float) -> Run:
        """Requests due at a fixed rate, each timed from when it was due (so a server that
        falls behind is charged for the wait), at most IN_FLIGHT at once."""
        count = max(1, int(rate * seconds))
        prepared = [self.prepared(kind, n) for n in range(count)]
        result, lock = Run(), threading.Lock()
        local = threading.local()

        def send(n: int, due: float) -> None:
            if not hasattr(local, "connections"):
                local.connections = {}
            self.timed(local.connections, n, prepared[n], due, result, lock)

        with paused_gc(), ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            start = time.perf_counter() + 0.05
            for n in range(count):
                due = start + n / rate
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                pool.submit(send, n, due)
        return result


def shown_in_ack(raw: bytes, content_type: str) -> bool:
    """Whether an ack carries the answer itself (not nothing, nor "Working on it…")."""
    if not raw:
        return False
    if not content_type.startswith("application/json"):
        return raw.decode("utf-8", "replace") != WORKING
    body = json.loads(raw)
    if not isinstance(body, dict) or not ("text" in body or "blocks" in body):
        return False
    return body.get("text") != WORKING or bool(body.get("blocks"))


def click_payload(ticket: str, user: str, response_url: str) -> dict[str, Any]:
    """A click on a ticket card's *Priority is right*, as Slack posts it."""
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": f"trigger-{response_url.rsplit('/', 1)[-1]}",
        "channel": {"id": CHANNEL, "name": "support"},
        "response_url": response_url,
        "message": {"ts": "1700000000.000100", "text": ""},
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": CHANNEL,
        },
        "actions": [
            {
                "type": "button",
                "action_id": ids.TICKET_PRIORITY_RIGHT,
                "block_id": "b1",
                "value": ticket,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def drain(fake_slack: FakeSlack, *, quiet_s: float = 3.0, timeout: float = 60.0) -> int:
    """Wait (bounded) until posts to response URLs stop arriving; how many there were."""
    deadline = time.monotonic() + timeout
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(fake_slack.responses)
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            break
        time.sleep(0.2)
    return seen
