"""Memory at rest: the RSS of `rotabot serve` after start and after 1,000 requests."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.ack import (
    CHANNEL,
    MEMBERS,
    MIRRORED,
    Load,
    mirror,
    rota_text,
    seed_zendesk,
    ticket_text,
    wait_for_answers,
)
from benchmarks.common import (
    BOT_TOKEN,
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
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlack

REQUESTS = 1_000
WARM_UP = 50
CONCURRENCY = 10
RSS_LIMIT_MB = 150.0
GROWTH_LIMIT_PCT = 10.0
# Let the process settle (imports done, after-ack work finished) before reading its RSS.
SETTLE_S = 1.0


def rss_mb(pid: int) -> float:
    time.sleep(SETTLE_S)
    return proc_status_kb(pid, "VmRSS") / 1024


def run() -> list[Check]:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "memory-bench.db"
    db_url = migrated_sqlite(path)
    with (
        FakeSlack() as fake_slack,
        IndexedZendesk(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN) as zendesk,
    ):
        for user in MEMBERS:
            fake_slack.add_user(user, name=user.lower(), email=f"{user.lower()}@example.com")
        fake_slack.add_channel(CHANNEL, name="support", members=MEMBERS)
        seed_zendesk(zendesk, list(MIRRORED))
        mirror(
            Settings(
                database_url=db_url,
                slack_bot_token=BOT_TOKEN,
                slack_api_url=fake_slack.url,
                zendesk_url=zendesk.url,
                zendesk_email=ZENDESK_EMAIL,
                zendesk_api_token=ZENDESK_TOKEN,
            )
        )
        port = free_port()
        env = serve_env(
            database_url=db_url, port=port, slack_api_url=fake_slack.url, zendesk_url=zendesk.url
        )
        url = f"http://127.0.0.1:{port}"
        with running(
            ["-m", "bot", "serve"], env=env, health_url=f"{url}/healthz", log_name="memory-rotabot"
        ) as process:
            started = datetime.now(UTC)
            at_start = rss_mb(process.pid)
            load = Load(url, fake_slack)
            add = " ".join(f"<@{user}>" for user in MEMBERS)
            load.run("/rota", lambda _n: f"add {add}", concurrency=1, count=1)
            load.run("/rota", rota_text, concurrency=CONCURRENCY, count=WARM_UP // 2)
            load.run("/ticket", ticket_text(MIRRORED), concurrency=CONCURRENCY, count=WARM_UP // 2)
            wait_for_answers(fake_slack, WARM_UP + 1)
            warmed = rss_mb(process.pid)
            errors = 0
            for command, text in (("/rota", rota_text), ("/ticket", ticket_text(MIRRORED))):
                errors += load.run(
                    command, text, concurrency=CONCURRENCY, count=REQUESTS // 2
                ).errors
            answered = wait_for_answers(fake_slack, WARM_UP + 1 + REQUESTS)
            after = rss_mb(process.pid)
            peak = proc_status_kb(process.pid, "VmHWM") / 1024
    remove_sqlite(path)
    growth = (after / at_start - 1) * 100
    print(
        f"  RSS {at_start:.1f} MB at start, {warmed:.1f} MB warmed up, {after:.1f} MB after "
        f"{REQUESTS:,} requests",
        file=sys.stderr,
    )
    data: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "rss_at_start_mb": round(at_start, 1),
        "rss_after_warm_up_mb": round(warmed, 1),
        "rss_after_requests_mb": round(after, 1),
        "peak_rss_mb": round(peak, 1),
        "requests": REQUESTS,
        "errors": errors,
        "answers_delivered": answered,
    }
    checks = [
        check(f"RSS after start < {RSS_LIMIT_MB:g} MB", at_start, RSS_LIMIT_MB, "MB"),
        check(
            f"RSS after {REQUESTS:,} requests < {RSS_LIMIT_MB:g} MB",
            after,
            RSS_LIMIT_MB,
            "MB",
            note=f"peak {peak:.1f} MB; {errors} errors",
        ),
        check(
            f"RSS growth start → {REQUESTS:,} requests ≤ {GROWTH_LIMIT_PCT:g}%",
            growth,
            GROWTH_LIMIT_PCT,
            "%",
            note=f"{at_start:.1f} → {after:.1f} MB; after a {WARM_UP}-request warm-up "
            f"{warmed:.1f} MB, so {(after / warmed - 1) * 100:+.1f}% from there",
        ),
    ]
    return report("memory", "Memory at rest: rotabot serve", checks, data)


if __name__ == "__main__":
    run()
