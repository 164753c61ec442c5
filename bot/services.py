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

from bot.pools import ElasticThreadPool
from bot.settings import Settings
from bot.slack.client import make_slack_client
from bot.slack.people import Standings
from bot.store.db import make_engine, session_scope
from bot.worktime import WorkCalendar
from bot.zendesk.client import Sleep, ZendeskClient, ZendeskNotConfigured

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
    # Work done after Slack has had its answer: lazy listeners, webhook follow-ups.
    executor: Executor
    clock: Clock = system_clock
    # None when ZENDESK_URL is not set: every Zendesk feature says so instead of working.
    zendesk: ZendeskClient | None = None
    # Who people are in Slack, remembered a few minutes for the ticket access check.
    standings: Standings = field(default_factory=Standings)

    def __deepcopy__(self, memo: dict[int, Any]) -> Services:
        # One per process: Bolt deep-copies a request's context (holding it) per lazy listener.
        return self

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session


def build_services(
    settings: Settings,
    *,
    slack: WebClient | None = None,
    engine: Engine | None = None,
    clock: Clock = system_clock,
    executor: Executor | None = None,
    zendesk: ZendeskClient | None = None,
    zendesk_sleep: Sleep = time.sleep,
) -> Services:
    return Services(
        settings=settings,
        engine=engine or make_engine(settings.database_url),
        slack=slack
        or make_slack_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        calendar=settings.calendar(),
        clock=clock,
        # Work waits on Zendesk and Slack (I/O): so many threads, started only as needed and
        # ended when idle, that a burst of slow requests never queues another's work.
        executor=executor or ElasticThreadPool(256, thread_name_prefix="after-ack"),
        zendesk=zendesk or ZendeskClient.from_settings(settings, sleep=zendesk_sleep),
    )


def services_of(context: BoltContext) -> Services:
    services = context[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


def zendesk_of(services: Services) -> ZendeskClient:
    if services.zendesk is None:
        raise ZendeskNotConfigured()
    return services.zendesk
