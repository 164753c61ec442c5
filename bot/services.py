"""What every handler and job needs, built once per process and passed in explicitly."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.after_answer import AfterAnswer
from bot.pools import BACKGROUND_THREADS, WORK_TURNS, ElasticThreadPool, WorkTurns
from bot.settings import Settings
from bot.slack.client import make_slack_client
from bot.slack.people import Standings
from bot.slack.responses import ResponseUrls
from bot.store.db import make_engine, session_scope
from bot.store.sqlite_writes import take_write_turns
from bot.store.zendesk_sync import DatabaseBudget
from bot.worktime import WorkCalendar
from bot.zendesk.client import Sleep, ZendeskClient, ZendeskNotConfigured
from bot.zendesk.limiter import Limiter

Clock = Callable[[], datetime]

SERVICES_KEY = "rotabot_services"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    slack: WebClient
    calendar: WorkCalendar
    # Work done after Slack has had its ack: lazy listeners, the answers they post.
    executor: Executor
    # Work done after the person has their answer, which nobody waits on: the DMs and channel
    # lines a change causes, promises noticed in a fetched ticket's replies, a webhook's
    # refresh. A few threads, so that under a burst the answers keep most of the process.
    background: Executor
    clock: Clock = system_clock
    # None when ZENDESK_URL is not set: every Zendesk feature says so instead of working.
    zendesk: ZendeskClient | None = None
    # Who people are in Slack, remembered a few minutes for the ticket access check.
    standings: Standings = field(default_factory=Standings)
    # The work after an ack runs its database sessions a few at a time (see WorkTurns).
    turns: WorkTurns = field(default_factory=WorkTurns)
    # Answers posted to response URLs, over connections kept open (see ResponseUrls).
    responses: ResponseUrls = field(default_factory=ResponseUrls)
    # Quick work run by the web thread once its answer is sent (see AfterAnswer).
    after_answer: AfterAnswer = field(default_factory=AfterAnswer)

    def __deepcopy__(self, memo: dict[int, Any]) -> Services:
        # One per process: Bolt deep-copies a request's context (holding it) per lazy listener.
        return self

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.turns.turn(), session_scope(self.engine) as session:
            yield session


def build_services(
    settings: Settings,
    *,
    slack: WebClient | None = None,
    engine: Engine | None = None,
    clock: Clock = system_clock,
    executor: Executor | None = None,
    background: Executor | None = None,
    zendesk: ZendeskClient | None = None,
    zendesk_sleep: Sleep = time.sleep,
) -> Services:
    engine = engine or make_engine(settings.database_url)
    # On SQLite, this process's writers queue for the one write lock instead of polling it.
    take_write_turns(engine)
    return Services(
        settings=settings,
        engine=engine,
        slack=slack
        or make_slack_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        calendar=settings.calendar(),
        clock=clock,
        # Work waits on Zendesk and Slack (I/O): so many threads, started only as needed and
        # ended when idle, that a burst of slow requests never queues another's work.
        executor=executor or ElasticThreadPool(256, thread_name_prefix="after-ack"),
        # Given an executor (tests do, to wait for all the work), background work goes there.
        background=background
        or executor
        or ElasticThreadPool(BACKGROUND_THREADS, thread_name_prefix="background"),
        zendesk=zendesk or _zendesk_client(settings, engine, zendesk_sleep),
        turns=WorkTurns(WORK_TURNS.get(engine.dialect.name, 1)),
    )


def _zendesk_client(settings: Settings, engine: Engine, sleep: Sleep) -> ZendeskClient | None:
    """On PostgreSQL every process's calls count against one budget kept in the database."""
    shared = DatabaseBudget(engine) if engine.dialect.name == "postgresql" else None
    limiter = Limiter(
        requests_per_minute=settings.zendesk_requests_per_minute,
        exports_per_minute=settings.zendesk_exports_per_minute,
        sleep=sleep,
        shared=shared,
    )
    return ZendeskClient.from_settings(settings, limiter=limiter)


def services_of(context: BoltContext) -> Services:
    services = context[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


def zendesk_of(services: Services) -> ZendeskClient:
    if services.zendesk is None:
        raise ZendeskNotConfigured()
    return services.zendesk
