"""Ack latency: `rotabot serve` against a bare Bolt app on the same HTTP stack.

Both run as subprocesses on loopback; this process holds the fake Slack and the fake Zendesk
and sends signed `/rota` and `/ticket ID` requests at concurrency 1, 10 and 50.
"""

from __future__ import annotations

import http.client
import itertools
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from benchmarks.common import (
    RESULTS,
    SIGNING_SECRET,
    ZENDESK_EMAIL,
    ZENDESK_TOKEN,
    Check,
    IndexedZendesk,
    check,
    command_body,
    free_port,
    migrated_sqlite,
    paused_gc,
    percentile,
    remove_sqlite,
    report,
    running,
    serve_env,
)
from bot.jobs import all_jobs
from bot.jobs.runner import run_job
from bot.services import build_services
from bot.settings import Settings
from tests.doors import sign
from tests.fakes.slack_api import FakeSlack
from tests.fakes.zendesk_api import FakeZendesk

CONCURRENCY = (1, 10, 50)
REQUESTS = 500
WARM_UP = 30
P99_LIMIT_MS = 250.0
RATIO_LIMIT = 1.5
SLOW_ZENDESK_S = 2.0
SLACK_LIMIT_MS = 3000.0
MIRRORED = range(1, 51)
# Never synced, so `/ticket` must ask Zendesk: one range with Zendesk quick, one with it slow.
UNMIRRORED_QUICK = range(1001, 1101)
UNMIRRORED_SLOW = range(2001, 2101)
MIXED_REQUESTS = 500
MEMBERS = ("U1", "U2", "U3")
CHANNEL = "CROTA"
DRAIN_TIMEOUT = 60.0
QUIET_S = 3.0
# A load run still going after this long stops sending: something is broken, not slow.
RUN_TIMEOUT = 60.0


@dataclass
class Run:
    """One load run: every request's latency in ms, and how many failed."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def p(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies),
            "errors": self.errors,
            "p50_ms": round(self.p(0.50), 2),
            "p95_ms": round(self.p(0.95), 2),
            "p99_ms": round(self.p(0.99), 2),
        }


class Load:
    """Signed slash commands to one server, from a pool of keep-alive clients."""

    def __init__(self, base_url: str, fake_slack: FakeSlack) -> None:
        parsed = urlsplit(base_url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.path = "/slack/events"
        self.fake_slack = fake_slack
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()

    def response_url(self) -> str:
        with self._lock:
            return self.fake_slack.response_url(f"r{next(self._tokens)}")

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def prepared(self, command: str, text: str) -> tuple[bytes, dict[str, str]]:
        """A signed slash command, ready to send."""
        body = command_body(
            command, text, response_url=self.response_url(), user=MEMBERS[0], channel=CHANNEL
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(body, secret=SIGNING_SECRET),
        }
        return body.encode(), headers

    def run(self, command: str, text: Callable[[int], str], *, concurrency: int, count: int) -> Run:
        result = Run()
        numbers = itertools.count()
        lock = threading.Lock()
        deadline = time.monotonic() + RUN_TIMEOUT
        connected = threading.Barrier(concurrency)
        # Bodies are built and signed before the clock starts, and sent with the standard
        # library's HTTP client: the load generator shares the two cores with the servers, and
        # the less it does per request, the less it adds to either server's figures.
        prepared = [self.prepared(command, text(n)) for n in range(count)]

        def worker() -> None:
            connection = self.connection()
            try:
                # Connect first, untimed, and start together: the figures are request
                # latency, not fifty TCP connections accepted at once (both servers pay that).
                try:
                    connection.request("GET", "/healthz")
                    connection.getresponse().read()
                    connected.wait(10)
                except (OSError, http.client.HTTPException, threading.BrokenBarrierError):
                    pass
                while (n := next(numbers)) < count and time.monotonic() < deadline:
                    body, headers = prepared[n]
                    started = time.perf_counter()
                    try:
                        connection.request("POST", self.path, body=body, headers=headers)
                        answer = connection.getresponse()
                        answer.read()
                        ok = answer.status == 200
                    except (OSError, http.client.HTTPException):
                        ok = False
                        connection.close()
                        connection = self.connection()
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        result.latencies.append(elapsed)
                        result.errors += 0 if ok else 1
            finally:
                connection.close()

        # This process also hosts the fakes, whose records grow all run long: its garbage is
        # collected between runs, not during one, so its own pauses are not counted as the
        # servers' latency (they showed as 40-90 ms outliers at any concurrency).
        with paused_gc(), ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(worker) for _ in range(concurrency)]:
                future.result()
        # Requests never sent because the run hit RUN_TIMEOUT count as failed.
        result.errors += count - len(result.latencies)
        return result


def rota_text(_n: int) -> str:
    return ""


def ticket_text(ids: range) -> Callable[[int], str]:
    return lambda n: str(ids[n % len(ids)])


def seed_zendesk(zendesk: FakeZendesk, ids: list[int]) -> None:
    now = datetime.now(UTC)
    zendesk.add_organization(70, name="Acme Ltd")
    zendesk.add_user(901, name="Agent One", email="u1@example.com", role="agent")
    zendesk.add_user(950, name="Client", email="client@example.org", role="end-user")
    for ticket_id in ids:
        created = now - timedelta(days=2, minutes=ticket_id % 500)
        zendesk.add_ticket(
            ticket_id,
            subject=f"Ticket {ticket_id}",
            requester_id=950,
            assignee_id=901,
            organization_id=70,
            priority="high" if ticket_id % 3 else "normal",
            created_at=created,
        )
        zendesk.add_comment(ticket_id, author_id=950, body="It broke.", created_at=created)
        zendesk.add_comment(
            ticket_id, author_id=901, body="Looking.", created_at=created + timedelta(hours=1)
        )


def mirror(settings: Settings) -> None:
    """One sync, as the worker would run it."""
    services = build_services(settings)
    try:
        run_job(services, all_jobs()["sync"], now=datetime.now(UTC))
    finally:
        services.engine.dispose()


def wait_for_answers(fake_slack: FakeSlack, expected: int) -> int:
    """Wait (bounded) for the after-ack answers to reach the response URLs."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while len(fake_slack.responses) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(fake_slack.responses)


def drain(fake_slack: FakeSlack) -> int:
    """Wait (bounded) until the after-ack answers stop arriving, so stopping cuts none short."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(fake_slack.responses)
        if count != seen:
            seen, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            break
        time.sleep(0.2)
    return seen


def run() -> list[Check]:
    RESULTS.mkdir(exist_ok=True)
    db_url = migrated_sqlite(RESULTS / "ack-bench.db")
    data: dict[str, Any] = {"requests_per_run": REQUESTS, "runs": {}}
    with (
        FakeSlack() as fake_slack,
        IndexedZendesk(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN) as zendesk,
    ):
        for user in MEMBERS:
            fake_slack.add_user(user, name=user.lower(), email=f"{user.lower()}@example.com")
        fake_slack.add_channel(CHANNEL, name="support", members=MEMBERS)
        seed_zendesk(zendesk, list(MIRRORED))
        rotabot_port, bolt_port = free_port(), free_port()
        env = serve_env(
            database_url=db_url,
            port=rotabot_port,
            slack_api_url=fake_slack.url,
            zendesk_url=zendesk.url,
        )
        settings = Settings(
            database_url=db_url,
            slack_bot_token="xoxb-bench",
            slack_api_url=fake_slack.url,
            zendesk_url=zendesk.url,
            zendesk_email=ZENDESK_EMAIL,
            zendesk_api_token=ZENDESK_TOKEN,
        )
        mirror(settings)
        seed_zendesk(zendesk, [*UNMIRRORED_QUICK, *UNMIRRORED_SLOW])
        rotabot_url = f"http://127.0.0.1:{rotabot_port}"
        bolt_url = f"http://127.0.0.1:{bolt_port}"
        with (
            running(
                ["-m", "bot", "serve"],
                env=env,
                health_url=f"{rotabot_url}/healthz",
                log_name="ack-rotabot",
            ),
            running(
                ["-m", "benchmarks.bare_bolt", str(bolt_port)],
                env=env,
                health_url=f"{bolt_url}/healthz",
                log_name="ack-bare-bolt",
            ),
        ):
            servers = {"rotabot": Load(rotabot_url, fake_slack), "bolt": Load(bolt_url, fake_slack)}
            setup = servers["rotabot"].run(
                "/rota",
                lambda _n: "add " + " ".join(f"<@{u}>" for u in MEMBERS),
                concurrency=1,
                count=1,
            )
            if setup.errors or wait_for_answers(fake_slack, 1) < 1:
                raise RuntimeError("`/rota add` did not answer: see results/run/ack-rotabot.log")
            runs = measure_matrix(servers)
            data["runs"] = {key: run.summary() for key, run in runs.items()}
            slow = measure_slow_zendesk(servers["rotabot"], zendesk)
            data["slow_zendesk"] = {key: run.summary() for key, run in slow.items()}
            sent = sum(len(run.latencies) for run in [*runs.values(), *slow.values()])
            data["requests_sent"] = sent
            data["answers_delivered"] = drain(fake_slack)
        # Answers the fake Zendesk is still delaying would otherwise land on a stopped server.
        time.sleep(SLOW_ZENDESK_S + 0.5)
        protocol_errors = fake_slack.protocol_errors
    remove_sqlite(RESULTS / "ack-bench.db")
    log = (RESULTS / "run" / "ack-rotabot.log").read_text(errors="replace")
    # Bolt logs this when a listener had not acked within 3 s, and answers 404.
    data["listeners_not_acked_in_time"] = log.count("didn't call ack()")
    found = checks(runs, slow, not_acked=data["listeners_not_acked_in_time"])
    found.append(
        check(
            "calls the fake Slack would reject as malformed",
            len(protocol_errors),
            0,
            "",
            note="; ".join(protocol_errors[:3]),
        )
    )
    return report("ack", "Ack latency: rotabot serve vs bare Bolt", found, data)


def measure_matrix(servers: dict[str, Load]) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    commands = {"/rota": rota_text, "/ticket": ticket_text(MIRRORED)}
    for name, load in servers.items():
        for command, text in commands.items():
            load.run(command, text, concurrency=10, count=WARM_UP)
            for concurrency in CONCURRENCY:
                key = f"{name} {command} c{concurrency}"
                runs[key] = load.run(command, text, concurrency=concurrency, count=REQUESTS)
                print(f"  {key:<24} {runs[key].summary()}", file=sys.stderr)
    return runs


def measure_slow_zendesk(load: Load, zendesk: FakeZendesk) -> dict[str, Run]:
    """`/rota` beside `/ticket` for tickets Zendesk must serve, with Zendesk quick, then slow."""
    found: dict[str, Run] = {}
    for label, ids in (("quick", UNMIRRORED_QUICK), ("slow", UNMIRRORED_SLOW)):
        zendesk.delay("/api/v2/", SLOW_ZENDESK_S if label == "slow" else 0)
        with ThreadPoolExecutor(max_workers=2) as pool:
            tickets = pool.submit(
                load.run, "/ticket", ticket_text(ids), concurrency=10, count=len(ids)
            )
            rotas = pool.submit(load.run, "/rota", rota_text, concurrency=10, count=MIXED_REQUESTS)
            found[f"/ticket zendesk {label}"] = tickets.result()
            found[f"/rota zendesk {label}"] = rotas.result()
        for key in (f"/ticket zendesk {label}", f"/rota zendesk {label}"):
            print(f"  {key:<24} {found[key].summary()}", file=sys.stderr)
    zendesk.delay("/api/v2/", 0)
    return found


def checks(runs: dict[str, Run], slow: dict[str, Run], *, not_acked: int) -> list[Check]:
    found: list[Check] = []
    for command in ("/rota", "/ticket"):
        for concurrency in CONCURRENCY:
            ours, floor = (
                runs[f"rotabot {command} c{concurrency}"],
                runs[f"bolt {command} c{concurrency}"],
            )
            figures = (
                f"p50/p95/p99 {ours.p(0.5):.1f}/{ours.p(0.95):.1f}/{ours.p(0.99):.1f} ms; "
                f"bare Bolt {floor.p(0.5):.1f}/{floor.p(0.95):.1f}/{floor.p(0.99):.1f} ms"
            )
            if concurrency == 10:
                found.append(
                    check(
                        f"{command} p99 at c10 < {P99_LIMIT_MS:g} ms",
                        ours.p(0.99),
                        P99_LIMIT_MS,
                        "ms",
                        note=figures,
                    )
                )
            found.append(
                check(
                    f"{command} p99 ratio to bare Bolt at c{concurrency} ≤ {RATIO_LIMIT:g}",
                    ours.p(0.99) / max(floor.p(0.99), 1e-3),
                    RATIO_LIMIT,
                    "×",
                    note=figures,
                )
            )
    errors = sum(run.errors for run in runs.values())
    total = sum(len(run.latencies) for run in runs.values())
    found.append(check("errors, both servers, c1/c10/c50 runs", errors, 0, f"of {total:,}"))
    slow_errors = sum(run.errors for run in slow.values())
    slow_total = sum(len(run.latencies) for run in slow.values())
    found.append(
        check(
            "errors beside /ticket load, Zendesk quick then slow",
            slow_errors,
            0,
            f"of {slow_total:,}",
            note="; ".join(f"{key}: {run.errors}" for key, run in slow.items())
            + f"; Bolt logged {not_acked} listeners that had not acked within 3 s",
        )
    )
    slow_ticket = slow["/ticket zendesk slow"]
    found.append(
        check(
            f"/ticket ack with Zendesk {SLOW_ZENDESK_S:g} s slow < {SLACK_LIMIT_MS:g} ms (max)",
            max(slow_ticket.latencies, default=0.0),
            SLACK_LIMIT_MS,
            "ms",
            note=f"p99 {slow_ticket.p(0.99):.1f} ms",
        )
    )
    quick_rota, slow_rota = slow["/rota zendesk quick"], slow["/rota zendesk slow"]
    found.append(
        check(
            f"/rota p99 with Zendesk slow vs quick ≤ {RATIO_LIMIT:g}×",
            slow_rota.p(0.99) / max(quick_rota.p(0.99), 1e-3),
            RATIO_LIMIT,
            "×",
            note=f"{quick_rota.p(0.99):.1f} ms → {slow_rota.p(0.99):.1f} ms (c10, beside "
            "/ticket load)",
        )
    )
    return found


if __name__ == "__main__":
    run()
