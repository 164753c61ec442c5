"""Memory at rest: the RSS of `rotabot serve` after start, warmed up, and after 1,000 requests.

Growth is judged warmed-up to after, both read at rest, because that is the only pair a leak
shows in and nothing else does:

* "At start" is before any Slack request: the first requests still configure SQLAlchemy's
  mappers, fill its compiled-statement cache and start the pool threads the load needs, a few
  MB any server pays once after it starts (reported, not judged).
* "At rest" is once the answers have stopped and the work pools' idle threads have ended
  (`bot.services.IDLE_THREAD_TIMEOUT`): how many threads a burst starts depends on how fast
  this shared machine lets each request finish, not on how many requests there were, and
  while they live each holds its stack and malloc caches. The RSS right after the requests,
  threads and all, is reported and must be under the RSS limit as well.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.ack import MIRRORED, cycling, mirror, rota_text, seed_zendesk
from benchmarks.common import (
    RESULTS,
    ZENDESK_EMAIL,
    ZENDESK_TOKEN,
    Check,
    IndexedZendesk,
    check,
    free_port,
    migrated_sqlite,
    proc_status_kb,
    remove_sqlite,
    report,
    running,
    serve_env,
)
from benchmarks.http_load import CHANNEL, MEMBERS, Load, WatchedSlack, drain
from bot.pools import IDLE_THREAD_TIMEOUT

REQUESTS = 1_000
WARM_UP = 50
CONCURRENCY = 10
RSS_LIMIT_MB = 150.0
GROWTH_LIMIT_PCT = 10.0
# Let the process settle (after-ack work finished, freed memory returned) before reading RSS.
SETTLE_S = 1.0
# Longest wait for the pools' idle threads to end; past it RSS is read with them still there.
REST_TIMEOUT_S = IDLE_THREAD_TIMEOUT + 10.0


def rss_mb(pid: int) -> float:
    time.sleep(SETTLE_S)
    return proc_status_kb(pid, "VmRSS") / 1024


def threads(pid: int) -> int:
    return proc_status_kb(pid, "Threads")


def rss_at_rest(pid: int, threads_at_start: int) -> tuple[float, int]:
    """RSS once the server is back to its threads at start (bounded wait), and its threads."""
    deadline = time.monotonic() + REST_TIMEOUT_S
    while threads(pid) > threads_at_start and time.monotonic() < deadline:
        time.sleep(0.25)
    return rss_mb(pid), threads(pid)


def requests(load: Load, count: int) -> int:
    """`count` requests, half /rota and half /ticket, at CONCURRENCY; the errors."""
    errors = 0
    for command, text in (("/rota", rota_text), ("/ticket", cycling(MIRRORED))):
        errors += load.run((command, text), concurrency=CONCURRENCY, count=count // 2).errors
    return errors


def run() -> list[Check]:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "memory-bench.db"
    db_url = migrated_sqlite(path)
    with (
        WatchedSlack() as fake_slack,
        IndexedZendesk(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN) as zendesk,
    ):
        for user in MEMBERS:
            fake_slack.add_user(user, name=user.lower(), email=f"{user.lower()}@example.com")
        fake_slack.add_channel(CHANNEL, name="support", members=MEMBERS)
        seed_zendesk(zendesk, list(MIRRORED))
        mirror(db_url, fake_slack, zendesk)
        port = free_port()
        env = serve_env(
            database_url=db_url, port=port, slack_api_url=fake_slack.url, zendesk_url=zendesk.url
        )
        url = f"http://127.0.0.1:{port}"
        with running(
            ["-m", "bot", "serve"], env=env, health_url=f"{url}/healthz", log_name="memory-rotabot"
        ) as process:
            pid = process.pid
            started = datetime.now(UTC)
            at_start = rss_mb(pid)
            threads_at_start = threads(pid)
            load = Load([url], fake_slack)
            add = " ".join(f"<@{user}>" for user in MEMBERS)
            errors = load.run(("/rota", lambda _n: f"add {add}"), concurrency=1, count=1).errors
            errors += requests(load, WARM_UP)
            drain(fake_slack)
            warmed, warmed_threads = rss_at_rest(pid, threads_at_start)
            errors += requests(load, REQUESTS)
            posted = drain(fake_slack)
            busy, busy_threads = rss_mb(pid), threads(pid)
            after, after_threads = rss_at_rest(pid, threads_at_start)
            peak = proc_status_kb(pid, "VmHWM") / 1024
    remove_sqlite(path)
    growth = (after / warmed - 1) * 100
    print(
        f"  RSS {at_start:.1f} MB at start ({threads_at_start} threads), {warmed:.1f} MB at rest "
        f"after a {WARM_UP}-request warm-up, {busy:.1f} MB right after {REQUESTS:,} more "
        f"({busy_threads} threads), {after:.1f} MB at rest ({after_threads} threads)",
        file=sys.stderr,
    )
    data: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "rss_at_start_mb": round(at_start, 1),
        "threads_at_start": threads_at_start,
        "rss_warmed_up_at_rest_mb": round(warmed, 1),
        "threads_warmed_up_at_rest": warmed_threads,
        "rss_right_after_requests_mb": round(busy, 1),
        "threads_right_after_requests": busy_threads,
        "rss_after_requests_at_rest_mb": round(after, 1),
        "threads_after_requests_at_rest": after_threads,
        "peak_rss_mb": round(peak, 1),
        "warm_up_requests": WARM_UP + 1,
        "requests": REQUESTS,
        "errors": errors,
        # Reads are answered in the ack; only the other answers come by response_url.
        "response_url_posts": posted,
    }
    checks = [
        check(f"RSS after start < {RSS_LIMIT_MB:g} MB", at_start, RSS_LIMIT_MB, "MB"),
        check(
            f"RSS after {REQUESTS:,} requests < {RSS_LIMIT_MB:g} MB",
            max(busy, after),
            RSS_LIMIT_MB,
            "MB",
            note=f"right after them, {busy_threads} threads; {after:.1f} MB at rest; "
            f"peak {peak:.1f} MB; {errors} errors",
        ),
        check(
            f"RSS growth over {REQUESTS:,} requests, warmed up, at rest ≤ {GROWTH_LIMIT_PCT:g}%",
            growth,
            GROWTH_LIMIT_PCT,
            "%",
            note=f"{warmed:.1f} → {after:.1f} MB; at start, before any request, "
            f"{at_start:.1f} MB, so {(after / at_start - 1) * 100:+.1f}% from there",
        ),
    ]
    return report("memory", "Memory at rest: rotabot serve", checks, data)


if __name__ == "__main__":
    run()
